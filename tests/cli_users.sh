#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM tests of "dmaheap users" and of what a user who is not root sees.
# The heap node is opened to group 1000 (mode 0660, as the udev rule does
# for group video), and dmaheap-runas runs commands as uid 1000:
#   - users shows uid 1000's live bytes and buffers while it holds a buffer,
#     root as exempt, the quota and the budget with their exact values;
#   - over the quota an allocation fails with EDQUOT (exit 4, a message
#     naming the quota), which users counts, and freeing restores the usage;
#   - top as uid 1000 shows its own processes, not root's, and says what it
#     could not read.
# TAP output; busybox sh.

DEV=/dev/dma_heap
SYS=/sys/class/dmaheap
PARAMS=/sys/module/dmaheap/parameters
USERS=/sys/kernel/dmaheap/users
TMP=$(mktemp -d /tmp/cli_users.XXXXXX)
H=""
quota0="" mode0="" group0="" holder=""
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null && wait
	[ -n "$quota0" ] && echo "$quota0" > "$PARAMS/user_quota_bytes"
	[ -n "$mode0" ] && chmod "$mode0" "$DEV/$H" && chgrp "$group0" "$DEV/$H"
	rm -rf "$TMP"
}
trap cleanup EXIT

. "$(dirname "$0")/tap-lib.sh"

U=1000
as_user() { dmaheap-runas "$U" "$@"; }
# usage FIELD: uid $U's FIELD from sysfs (0 while it has no directory)
usage() { cat "$USERS/$U/$1" 2>/dev/null || echo 0; }

echo "TAP version 13"
# One of dmaheap's heaps (on 6.12 "system" is the kernel's own, uncharged).
for h in system system-uncached system-dma32; do
	if [ -z "$H" ] && [ -c "$DEV/$h" ] && [ -r "$SYS/$h/bytes" ]; then H=$h; fi
done
if [ -z "$H" ] || [ ! -c "$DEV/$H" ] || [ ! -r "$PARAMS/user_quota_bytes" ] || [ ! -d "$USERS" ] ||
	! command -v dmaheap-runas >/dev/null; then
	for t in users_show_usage users_quota_refused top_as_user; do
		skip $t "needs a system heap of dmaheap's, its per-user accounting and dmaheap-runas"
	done
	tap_done
	exit $?
fi
quota0=$(cat "$PARAMS/user_quota_bytes")
mode0=$(stat -c %a "$DEV/$H")
group0=$(stat -c %g "$DEV/$H")
chgrp "$U" "$DEV/$H"
chmod 0660 "$DEV/$H"
run 0 as_user dmaheap list "$H"

begin
b0=$(usage bytes) n0=$(usage buffers) f0=$(usage failed_allocs)
budget=$(cat "$PARAMS/budget_bytes")
run 0 as_user dmaheap alloc --exec "dmaheap users --json $U; dmaheap users --bytes" "$H" 3M
sed 's/^/# /' "$TMP/out"
has "{\"uid\": $U, \"user\": [^,]*, \"buffers\": $((n0 + 1)), \"bytes\": $((b0 + 3145728)), \"failed_allocs\": $f0, \"exempt\": false, \"quota_bytes\": $quota0}"
has "\"user_quota_bytes\": $quota0,"
has "\"budget_bytes\": $budget,"
has "^Quota: $quota0 per user over every heap (root and CAP_SYS_ADMIN exempt)$"
has "^Budget: [0-9]* of $budget in use"
has "^$U  .*  $((n0 + 1))  *$((b0 + 3145728))  *$quota0  "
# Root's buffers are root's: exempt, and not the user's.
run 0 dmaheap alloc --exec "dmaheap users --bytes 0 $U" "$H" 1M
has "^0  *root  *[1-9][0-9]*  *[1-9][0-9]*  *exempt  *-  "
has "^$U  .*  $n0  *$b0  *$quota0  "
# Freed: back to where it was.
[ "$(usage bytes)" = "$b0" ] || bad "uid $U holds $(usage bytes) bytes after freeing, not $b0"
end users_show_usage

begin
b0=$(usage bytes) f0=$(usage failed_allocs)
[ "$b0" = 0 ] || bad "uid $U still holds $b0 bytes"
echo 4M > "$PARAMS/user_quota_bytes"
run 4 as_user dmaheap alloc "$H" 8M
has "^dmaheap: heap '$H' refused 8 MiB: over the 4 MiB each user may hold over all heaps (EDQUOT"
# Up to the quota, then refused: the message says how much is held.
run 4 as_user dmaheap alloc --quiet --exec "dmaheap alloc --hold 0 $H 2M" "$H" 3M
has "^dmaheap: heap '$H' refused 2 MiB: over the 4 MiB each user may hold over all heaps, with 3 MiB already held by uid $U (EDQUOT"
[ "$(usage failed_allocs)" = $((f0 + 2)) ] ||
	bad "failed_allocs $(usage failed_allocs), expected $((f0 + 2))"
run 0 as_user dmaheap users --bytes "$U"
has "^$U  .*  0  *0  *4194304  *0.0%  *$((f0 + 2))$"
# Exactly the quota fits; root is not held to it.
run 0 as_user dmaheap alloc --quiet --exec "dmaheap alloc --hold 0 $H 2M" "$H" 2M
run 0 dmaheap alloc --hold 0 "$H" 16M
echo "$quota0" > "$PARAMS/user_quota_bytes"
[ "$(usage bytes)" = 0 ] || bad "uid $U holds $(usage bytes) bytes after freeing, not 0"
end users_quota_refused

begin
# Root holds a buffer; the user sees only its own.
dmaheap alloc --hold 600 "$H" 1M > "$TMP/root" 2>&1 &
holder=$!
i=0
while ! grep -q "^Holding it" "$TMP/root" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
run 0 as_user dmaheap alloc --exec 'dmaheap top --json --bytes' "$H" 2M
p=$(sed -n "s/^Allocated 2 MiB from heap '$H': fd [0-9]* of process \([0-9]*\),.*/\1/p" "$TMP/out")
grep "{\"pid\": $p, \"uid\": $U, .*\"heaps\": {\"$H\": {\"buffers\": 1, \"bytes\": 2097152}}" "$TMP/out" >/dev/null ||
	bad "top as uid $U does not show its process $p with 2 MiB of $H"
grep -q "{\"pid\": $holder," "$TMP/out" && bad "top as uid $U shows root's process $holder"
grep -q '"unreadable_processes": [1-9]' "$TMP/out" || bad "top as uid $U read every process"
has '"devices_only": null,'
has '"bufinfo_error": "/sys/kernel/debug/dma_buf/bufinfo: Permission denied"'
run 0 as_user dmaheap top
has "^Not shown: the buffers of [0-9]* process.* of other users"
has "^Buffers held only by devices: not known"
kill "$holder"
wait
holder=""
end top_as_user

tap_done
