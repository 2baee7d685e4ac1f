#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM tests of "dmaheap top", as root.  Several processes hold buffers:
#   O  dmaheap alloc: one buffer of heap H1 (3 MiB, system where it is
#      dmaheap's), by fd;
#   I  its command, another dmaheap alloc: O's buffer (inherited fd) and one
#      of heap H2 (2 MiB);
#   B  I's command, dmaheap-bufcheck: I's buffer, mapped, its fd closed;
#   C  dmaheap alloc of 6 MiB through an alias (linux,cma), if there is one;
#   V  dmaheap-vgem-import: a 1 MiB buffer of H1 imported into vgem, every
#      fd closed: held by the device only.
# top must report exact bytes and buffers per process and heap, the
# devices-only sum, every buffer once in (all buffers) (equal to the heaps'
# own counters), sort by bytes, filter by heap, refresh with --watch, and
# forget the processes once they are gone.  TAP output; busybox sh.

DEV=/dev/dma_heap
SYS=/sys/class/dmaheap
TMP=$(mktemp -d /tmp/cli_top.XXXXXX)
holders=""
cleanup() {
	for p in $holders; do kill "$p" 2>/dev/null; done
	wait
	rm -rf "$TMP"
}
trap cleanup EXIT

. "$(dirname "$0")/tap-lib.sh"

# wait_for FILE PATTERN: until FILE has a line matching PATTERN (30 s at most)
wait_for() {
	i=0
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le 300 ] || return 1
		sleep 0.1
	done
}
# line PID: the JSON line of process PID in $TMP/out
line() { grep "{\"pid\": $1," "$TMP/out"; }
# json_has PID TEXT: the process's JSON line holds TEXT
json_has() {
	line "$1" | grep -qF -- "$2" || { bad "process $1: no '$2' in: $(line "$1")"; }
}
# heap_json NAME: the "all" line's usage of heap NAME, as {"buffers": N, "bytes": N}
all_heap() { grep '^  "all": ' "$TMP/out" | grep -o "\"$1\": {[^}]*}"; }

echo "TAP version 13"
# Two of dmaheap's heaps (their counters are checked): on 6.12 "system" is
# the kernel's own, and arm64 has no system-uncached.
H1="" H2=""
for h in system system-uncached system-dma32 system-uncached-dma32; do
	[ -c "$DEV/$h" ] && [ -r "$SYS/$h/bytes" ] || continue
	if [ -z "$H1" ]; then H1=$h; elif [ -z "$H2" ]; then H2=$h; fi
done
ALIAS="" AHEAP=""
if [ -c "$DEV/linux,cma" ] && [ -r "$SYS/linux,cma/heap" ] &&
	[ "$(cat "$SYS/linux,cma/heap")" != "linux,cma" ]; then
	ALIAS=linux,cma
	AHEAP=$(cat "$SYS/linux,cma/heap")
fi
if [ -z "$H1" ] || [ -z "$H2" ]; then
	for t in top_counts_per_process top_devices_only top_all_matches_heaps \
		top_table_sorted top_filters_heaps top_watch_refreshes top_forgets_exited; do
		skip $t "needs two of dmaheap's system heaps"
	done
	tap_done
	exit $?
fi
echo "# H1=$H1 H2=$H2 alias=${ALIAS:-none}"

# ---- the holders ---------------------------------------------------------------
dmaheap alloc --fd 5 --exec "exec dmaheap alloc --fd 6 --exec 'exec dmaheap-bufcheck --fd 6 --close --hold 5>&-' $H2 2M" \
	"$H1" 3M > "$TMP/oib" 2>&1 &
O=$!
holders="$holders $O"
if [ -n "$ALIAS" ]; then
	dmaheap alloc --hold 600 "$ALIAS" 6M > "$TMP/c" 2>&1 &
	C=$!
	holders="$holders $C"
fi
# The command backgrounds the importer and returns: dmaheap then releases
# its fd, and the importer closes its own once vgem has the buffer.
run 0 dmaheap alloc --exec "dmaheap-vgem-import --hold > $TMP/v 2>&1 &" "$H1" 1M
wait_for "$TMP/oib" "^bufcheck\[[0-9]*\]: holding" || sed 's/^/#   /' "$TMP/oib"
B=$(sed -n 's/^bufcheck\[\([0-9]*\)\]: holding.*/\1/p' "$TMP/oib")
I=$(sed -n "s/^Allocated 2 MiB from heap '$H2': fd [0-9]* of process \([0-9]*\),.*/\1/p" "$TMP/oib")
[ -n "$B" ] && holders="$holders $B"
if [ -n "$ALIAS" ]; then
	wait_for "$TMP/c" "^Holding it" || sed 's/^/#   /' "$TMP/c"
fi
V=""
if wait_for "$TMP/v" "holding GEM handle"; then
	V=$(sed -n 's/^vgem-import\[\([0-9]*\)\]: holding.*/\1/p' "$TMP/v")
	VINO=$(sed -n 's/.*holding GEM handle [0-9]* (dma-buf inode \([0-9]*\)).*/\1/p' "$TMP/v")
	holders="$holders $V"
else
	sed 's/^/#   /' "$TMP/v"
fi
echo "# O=$O I=$I B=$B C=${C:-} V=$V"

# ---- one snapshot ----------------------------------------------------------------
begin
run 0 dmaheap top --json --bytes
if [ -z "$I" ] || [ -z "$B" ]; then
	bad "the holders did not start (I='$I' B='$B')"
else
	json_has "$O" "\"buffers\": 1, \"bytes\": 3145728, \"heaps\": {\"$H1\": {\"buffers\": 1, \"bytes\": 3145728}}"
	json_has "$O" '"fds": 1, "mapped": false}'
	# I: O's buffer and its own, two heaps.
	json_has "$I" '"buffers": 2, "bytes": 5242880,'
	json_has "$I" "\"$H1\": {\"buffers\": 1, \"bytes\": 3145728}"
	json_has "$I" "\"$H2\": {\"buffers\": 1, \"bytes\": 2097152}"
	# B: I's buffer through a mapping alone, counted once.
	json_has "$B" "\"buffers\": 1, \"bytes\": 2097152, \"heaps\": {\"$H2\": {\"buffers\": 1, \"bytes\": 2097152}}"
	json_has "$B" "\"exporter\": \"$H2\", \"size\": 2097152, \"size_exact\": true, \"name\": null, \"fds\": 0, \"mapped\": true}"
	if [ -n "$ALIAS" ]; then
		# Under the heap's own name, not the alias's.
		json_has "$C" "\"buffers\": 1, \"bytes\": 6291456, \"heaps\": {\"$AHEAP\": {\"buffers\": 1, \"bytes\": 6291456}}"
	fi
fi
has '"unreadable_processes": 0,'
has '"bufinfo_error": null'
cp "$TMP/out" "$TMP/snapshot"
end top_counts_per_process

begin
if [ -z "$V" ]; then
	skip top_devices_only "vgem did not hold the buffer (see above)"
else
	cp "$TMP/snapshot" "$TMP/out"
	has "^  \"devices_only\": {\"buffers\": 1, \"bytes\": 1048576, \"heaps\": {\"$H1\": {\"buffers\": 1, \"bytes\": 1048576}}, \"dmabufs\": \[{\"inode\": $VINO, \"exporter\": \"$H1\", \"size\": 1048576, \"size_exact\": true, \"name\": null, \"devices\": \[\"vgem\"\]}\]},$"
	# No process holds it: the importer closed every fd.
	grep -q "{\"pid\": $V," "$TMP/out" && bad "the importer is shown holding the buffer"
	end top_devices_only
fi

begin
cp "$TMP/snapshot" "$TMP/out"
# Every buffer once: what the heaps themselves count.
for h in "$H1" "$H2" $AHEAP; do
	want=$(cat "$SYS/$h/bytes") nbuf=$(cat "$SYS/$h/buffers")
	got=$(all_heap "$h")
	if [ "$want" = 0 ]; then
		[ -z "$got" ] || bad "heap $h: sysfs says 0 bytes, top says $got"
	else
		[ "$got" = "\"$h\": {\"buffers\": $nbuf, \"bytes\": $want}" ] ||
			bad "heap $h: sysfs says $nbuf buffers, $want bytes; top says '$got'"
	fi
done
end top_all_matches_heaps

begin
run 0 dmaheap top --bytes
sed 's/^/# /' "$TMP/out"
has "^ *PID  *USER  *COMMAND  .*TOTAL$"
has "^ *$I  *root  *dmaheap  .*  5242880 (2)$"
# The command as the kernel keeps it: 15 characters.
has "^ *$B  *root  *dmaheap-bufchec  .*  2097152 (1)$"
[ -n "$V" ] && has "^ *-  *-  *(devices only)  .*  1048576 (1)$"
# Largest first: C (6 MiB), I (5), O (3), B (2).
order=$(awk -v pids="${C:-} $I $O $B" 'BEGIN { n = split(pids, p, " "); for (i = 1; i <= n; i++) want[p[i]] = 1 }
	$1 in want { printf "%s ", $1 }' "$TMP/out")
[ "$order" = "$(echo ${C:-} $I $O $B) " ] || bad "order of the rows: '$order', expected '${C:-} $I $O $B'"
run 0 dmaheap top
has "^ *$I  *root  *dmaheap  .*  5 MiB (2)$"
end top_table_sorted

begin
run 0 dmaheap top --json --bytes "$H2"
json_has "$I" "\"buffers\": 1, \"bytes\": 2097152, \"heaps\": {\"$H2\": {\"buffers\": 1, \"bytes\": 2097152}}"
line "$O" | grep -q . && bad "top $H2 shows O, which holds only $H1"
if [ -n "$ALIAS" ]; then
	run 0 dmaheap top --json --bytes "$ALIAS"
	json_has "$C" "\"heaps\": {\"$AHEAP\": {\"buffers\": 1, \"bytes\": 6291456}}"
	line "$I" | grep -q . && bad "top $ALIAS shows I"
fi
# A name that is no heap may be another exporter's: nothing to show here.
run 0 dmaheap top --json no-such-exporter
has '^  "processes": \[\],$'
end top_filters_heaps

begin
run 0 dmaheap top --watch 0.5 --count 2 "$H1"
[ "$(grep -c '^dmaheap top  .*  every 0.5 s$' "$TMP/out")" -eq 2 ] || bad "not 2 refreshes"
[ "$(grep -c "^ *$O  *root  *dmaheap " "$TMP/out")" -eq 2 ] || bad "O not in both refreshes"
end top_watch_refreshes

begin
for p in $holders; do kill "$p" 2>/dev/null; done
wait
holders=""
# I ends when B does, V was adopted by init: wait until they are gone (or
# zombies, which hold nothing).
for p in $I $B $V; do
	i=0
	while [ $i -lt 300 ] && grep -q '^State:.*[^Z] (' "/proc/$p/status" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
done
run 0 dmaheap top --json --bytes
for p in $O $I $B ${C:-} $V; do
	line "$p" | grep -q . && bad "process $p is gone but still shown"
done
has '^  "devices_only": {"buffers": 0, "bytes": 0,'
end top_forgets_exited

tap_done
