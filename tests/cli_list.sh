#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM tests of "dmaheap list" and "dmaheap stat": every heap node shows
# up (an alias in the row of its heap), the numbers are the ones in sysfs and
# follow a live buffer, JSON for scripts, and stat --watch refreshing.  TAP
# output; runs under busybox sh.

DEV=/dev/dma_heap
SYS=/sys/class/dmaheap
TMP=$(mktemp -d /tmp/cli_list.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

. "$(dirname "$0")/tap-lib.sh"

echo "TAP version 13"
heaps=$(ls "$DEV" 2>/dev/null)

# alias_of NODE: the heap NODE stands for, or nothing if it is a heap itself
alias_of() {
	a=$(cat "$SYS/$1/heap" 2>/dev/null)
	if [ -n "$a" ] && [ "$a" != "$1" ] && [ -c "$DEV/$a" ]; then echo "$a"; fi
}

begin
run 0 dmaheap list
if [ -z "$heaps" ]; then
	has "No DMA-BUF heaps in /dev/dma_heap"
else
	has "^HEAP  *MEMORY  *LAYOUT  *BUFFERS  *IN USE  *PEAK  *CAP  *POOLED  *PROPERTIES$"
	rows=0
	for h in $heaps; do
		a=$(alias_of "$h")
		if [ -n "$a" ]; then
			# An alias is no heap of its own: its heap lists it.
			grep -q "^$h  " "$TMP/out" && bad "alias $h has a row of its own"
			# (names may hold commas: the list is space-separated)
			has "^$a  .*aliases=\(.* \)*$h\(, \| \|$\)"
		else
			has "^$h  "
			rows=$((rows + 1))
		fi
	done
	[ "$(wc -l < "$TMP/out")" -eq $((rows + 1)) ] ||
		bad "list shows another number of heaps than the $rows $DEV holds"
fi
sed "s/^/# /" "$TMP/out"
end list_every_heap

begin
run 0 dmaheap list --json --bytes
has '^{$'
has '"heaps": \['
for h in $heaps; do
	a=$(alias_of "$h")
	if [ -n "$a" ]; then
		has "\"aliases\": \[.*\"$h\".*\]"
		grep -q "\"name\": \"$h\"" "$TMP/out" && bad "alias $h listed as a heap"
		continue
	fi
	has "\"name\": \"$h\""
	has "\"node\": \"$DEV/$h\""
	if [ -r "$SYS/$h/limit_bytes" ]; then
		has "\"limit_bytes\": $(cat "$SYS/$h/limit_bytes")"
		has '"statistics": true'
		if [ "$(cat "$SYS/$h/uncached")" = 1 ]; then has '"uncached": true'; fi
	fi
	if [ -r "$SYS/$h/pool_bytes" ]; then
		has "\"pool_bytes\": $(cat "$SYS/$h/pool_bytes")"
	fi
done
end list_json

if [ -z "$heaps" ]; then
	skip list_follows_buffer "no dma-buf heaps"
	skip stat_every_heap "no dma-buf heaps"
	skip stat_watch_refreshes "no dma-buf heaps"
else
	h=system
	[ -c "$DEV/system" ] || h=$(echo "$heaps" | head -n 1)
	if [ -r "$SYS/$h/buffers" ]; then
		begin
		b0=$(cat "$SYS/$h/buffers")
		# A buffer held by one process shows up in the other's list.
		run 0 dmaheap alloc --quiet --exec "dmaheap list --bytes $h" "$h" 3M
		bytes=$(awk -v h="$h" '$1 == h { print $5 }' "$TMP/out")
		buffers=$(awk -v h="$h" '$1 == h { print $4 }' "$TMP/out")
		[ "$buffers" = $((b0 + 1)) ] || bad "buffers $buffers, expected $((b0 + 1))"
		[ "$bytes" -ge 3145728 ] 2>/dev/null || bad "bytes '$bytes' below 3 MiB"
		end list_follows_buffer
	else
		skip list_follows_buffer "heap '$h' has no statistics"
	fi

	begin
	run 0 dmaheap stat
	has "^HEAP  *BUFFERS  *IN USE  *PEAK  *CAP  *USED  *POOLED  *ALLOCS  *FAILED$"
	for x in $heaps; do
		if [ -n "$(alias_of "$x")" ]; then
			grep -q "^$x " "$TMP/out" && bad "stat shows alias $x as a heap"
		elif [ -r "$SYS/$x/total_allocs" ]; then
			has "^$x .* $(cat "$SYS/$x/total_allocs")  *$(cat "$SYS/$x/failed_allocs")$"
		else
			has "^$x  *-  *-"
		fi
	done
	sed "s/^/# /" "$TMP/out"
	run 3 dmaheap stat no-such-heap
	has "no heap named 'no-such-heap'"
	end stat_every_heap

	begin
	# Allocations made during the watch show in the ALLOCS/S column.
	( sleep 0.5; for i in 1 2 3 4 5; do dmaheap alloc --quiet --hold 0 "$h" 4K; done ) &
	run 0 dmaheap stat --watch --count 3 --interval 1 "$h"
	wait
	[ "$(grep -c '^dmaheap stat ' "$TMP/out")" -eq 3 ] || bad "not 3 refreshes"
	has "ALLOCS/S$"
	if [ -r "$SYS/$h/total_allocs" ]; then
		rates=$(awk -v h="$h" '$1 == h { print $NF }' "$TMP/out" | tail -n 2)
		echo "$rates" | grep -q '[1-9]' || bad "no allocation rate seen: $rates"
	fi
	end stat_watch_refreshes
fi

tap_done
