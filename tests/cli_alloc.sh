#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM tests of "dmaheap alloc" on every heap: fill and check, --exec
# handing the buffer to a child that writes into it, --fd, exit statuses,
# names, holding and releasing, the cap message, and vgem import.
# TAP output; runs under busybox sh.

DEV=/dev/dma_heap
SYS=/sys/class/dmaheap
TMP=$(mktemp -d /tmp/cli_alloc.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

. "$(dirname "$0")/tap-lib.sh"
stat_of() { cat "$SYS/$1/$2" 2>/dev/null || echo "-"; }

echo "TAP version 13"
heaps=$(ls "$DEV" 2>/dev/null)
if [ -z "$heaps" ]; then
	echo "1..1"
	skip alloc_fill_check "no dma-buf heaps"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi

for h in $heaps; do
	begin
	before=$(stat_of "$h" bytes)
	run 0 dmaheap alloc --fill 0x5a --check 0x5a --hold 0 "$h" 1M
	has "Allocated 1 MiB from heap '$h'"
	has "Filled it with 0x5a"
	has "Checked: all 1048576 bytes are 0x5a"
	has "Released the buffer"
	[ "$(stat_of "$h" bytes)" = "$before" ] || bad "bytes $before -> $(stat_of "$h" bytes)"
	end "alloc_fill_check ($h)"

	begin
	run 0 dmaheap alloc --fill 0xab \
		--exec 'dmaheap-bufcheck --expect 0xab --write 0x5a' --check 0x5a "$h" 256K
	has "bufcheck\[[0-9]*\]: all 262144 bytes are 0xab"
	has "bufcheck\[[0-9]*\]: wrote 0x5a to all 262144 bytes"
	has "The command exited with status 0"
	has "Checked: all 262144 bytes are 0x5a"
	end "exec_child_writes ($h)"
done

h=system
[ -c "$DEV/system" ] || h=$(echo "$heaps" | head -n 1)

begin
# The child writes something else: --check notices and says where.
run 6 dmaheap alloc --fill 0 --exec 'dmaheap-bufcheck --write 0x11' --check 0x22 "$h" 64K
has "check failed: 65536 of 65536 bytes are not 0x22, the first at offset 0"
end check_detects_mismatch

begin
run 7 dmaheap alloc --exec 'exit 7' "$h" 4K
run 0 dmaheap alloc --exec 'test "$DMAHEAP_SIZE" = 8192 && test "$DMAHEAP_HEAP" = "'"$h"'"' "$h" 5000
# --fd puts the buffer where asked; without it the fd is whatever it was.
run 0 dmaheap alloc --fd 7 --exec 'test "$DMAHEAP_FD" = 7 && dmaheap-bufcheck --fd 7 --expect 0x3c' \
	--fill 0x3c "$h" 4K
run 0 dmaheap alloc --exec 'dmaheap-bufcheck --expect 0' "$h" 4K
# A killed command: 128 + the signal.
run 137 dmaheap alloc --exec 'kill -9 $$' "$h" 4K
has "killed by signal 9"
end exec_passes_status_and_fd

begin
# Only the command gets the fd: a sibling process of dmaheap does not.
run 0 dmaheap alloc --exec 'ls -l /proc/self/fd/ | grep -c dmabuf' "$h" 4K
has "^1$"
end exec_inherits_only_buffer

begin
run 0 dmaheap alloc --name cli-test-name --exec 'cat /proc/$$/fdinfo/$DMAHEAP_FD' "$h" 4K
if grep -q "warning: this kernel cannot name buffers" "$TMP/out"; then
	: # nothing more to check
else
	has "Named it 'cli-test-name'"
	has "^name:[[:space:]]*cli-test-name$"
fi
end name_shows_in_fdinfo

begin
# The last octal digit of the flags is the access mode: 0 is O_RDONLY.
run 0 dmaheap alloc --read-only --exec 'grep -q "^flags:[[:space:]]*[0-7]*0$" /proc/$$/fdinfo/$DMAHEAP_FD && dmaheap-bufcheck --expect 0' "$h" 4K
run 1 dmaheap alloc --read-only --exec 'dmaheap-bufcheck --write 1' "$h" 4K
end alloc_read_only

if [ -r "$SYS/$h/bytes" ]; then
	begin
	before=$(stat_of "$h" buffers)
	dmaheap alloc --quiet "$h" 2M > "$TMP/hold.out" 2>&1 &
	pid=$!
	i=0
	while [ "$(stat_of "$h" buffers)" = "$before" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(stat_of "$h" buffers)" = $((before + 1)) ] || bad "held buffer not in the statistics"
	kill -TERM $pid
	wait $pid
	rc=$?
	[ $rc -eq 0 ] || bad "dmaheap exited $rc after SIGTERM, expected 0"
	[ "$(stat_of "$h" buffers)" = "$before" ] || bad "buffer not released after SIGTERM"
	end hold_until_signal
else
	skip hold_until_signal "heap '$h' has no statistics"
fi

if [ -r "$SYS/$h/limit_bytes" ]; then
	begin
	cap=$(stat_of "$h" limit_bytes)
	failed_before=$(stat_of "$h" failed_allocs)
	run 4 dmaheap alloc --hold 0 "$h" $((cap + 4096))
	has "heap '$h' refused .*: over its .* cap (ENOMEM)"
	[ "$(stat_of "$h" failed_allocs)" = $((failed_before + 1)) ] || bad "failed_allocs did not count it"
	end alloc_over_cap_message
else
	skip alloc_over_cap_message "heap '$h' has no cap"
fi

begin
run 3 dmaheap alloc no-such-heap 4K
has "no heap named 'no-such-heap' (heaps here: "
run 0 dmaheap alloc --hold 0 "no-such-heap/$h" 4K
has "Allocated 4 KiB from heap '$h'"
end alloc_falls_back

begin
dmaheap alloc --fill 0xc3 --exec 'dmaheap-vgem-import --expect 0xc3' "$h" 1M > "$TMP/out" 2>&1
rc=$?
if [ $rc -eq 77 ]; then
	skip import_into_vgem "no vgem device"
else
	[ $rc -eq 0 ] || { bad "exit status $rc"; sed 's/^/#   /' "$TMP/out"; }
	has "vgem imported the dma-buf"
	has "exporting handle [0-9]* gives back the same dma-buf"
	has "the buffer reads 0xc3 throughout"
	end import_into_vgem
fi

tap_done
