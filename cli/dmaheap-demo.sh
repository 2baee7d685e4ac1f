#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# dmaheap-demo: a narrated tour of the heaps, for "make demo" in the VM.
# Lists the heaps, allocates from each, shares a buffer with a second
# process, hands one to a DRM driver (vgem), and shows the statistics and
# what a request over a heap's cap looks like.  Runs under busybox sh.

failed=0
step=0
SYS=${DMAHEAP_SYSFS_DIR:-/sys/class/dmaheap}
DEV=${DMAHEAP_DEV_DIR:-/dev/dma_heap}

say() {
	step=$((step + 1))
	printf '\n== %d. %s\n' "$step" "$1"
	shift
	[ $# -gt 0 ] && printf '   %s\n' "$@"
	echo
}

# Show a command, run it, and remember whether it did what was expected
# (exit status $1).
run() {
	want=$1
	shift
	printf '$ %s\n' "$*"
	"$@"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		printf '!! exit status %d, expected %d\n' "$rc" "$want"
		failed=$((failed + 1))
	fi
}

say "Which heaps does this kernel offer?" \
	"Every heap is a node in $DEV; the dmaheap core adds statistics and" \
	"a cap in $SYS/NAME/."
run 0 dmaheap list

heaps=$(ls "$DEV" 2>/dev/null)
if [ -z "$heaps" ]; then
	echo "No heaps: load the dmaheap modules first."
	exit 1
fi
first=system
[ -c "$DEV/system" ] || first=$(echo "$heaps" | head -n 1)

say "Allocate 1 MiB from every heap, map it, write it and read it back" \
	"(--fill writes 0x5a through a CPU mapping between begin/end access" \
	"calls; --check maps it again and reads every byte)."
for h in $heaps; do
	run 0 dmaheap alloc --fill 0x5a --check 0x5a --hold 0 "$h" 1M
	echo
done

say "Share a buffer with a second process" \
	"dmaheap fills a buffer with 0xab and runs dmaheap-bufcheck, which" \
	"inherits the fd, finds 0xab, and writes 0x5a; back in dmaheap, --check" \
	"sees what the other process wrote."
printf '$ %s\n' "dmaheap alloc --name demo-shared --fill 0xab --exec 'dmaheap-bufcheck --expect 0xab --write 0x5a' --check 0x5a $first 1M"
dmaheap alloc --name demo-shared --fill 0xab \
	--exec 'dmaheap-bufcheck --expect 0xab --write 0x5a' --check 0x5a "$first" 1M ||
	{ echo "!! this step did not work"; failed=$((failed + 1)); }

say "Hand a buffer to a DRM driver" \
	"vgem imports the dma-buf through PRIME, as a display or GPU driver" \
	"would, gives it a GEM handle, and exports the very same buffer back."
printf '$ %s\n' "dmaheap alloc --fill 0xc3 --exec 'dmaheap-vgem-import --expect 0xc3' $first 1M"
dmaheap alloc --fill 0xc3 --exec 'dmaheap-vgem-import --expect 0xc3' "$first" 1M
rc=$?
if [ $rc -eq 77 ]; then
	echo "(vgem is not loaded here; skipping this step)"
elif [ $rc -ne 0 ]; then
	printf '!! exit status %d, expected 0\n' "$rc"
	failed=$((failed + 1))
fi

say "Statistics while buffers are alive" \
	"Two buffers are held (8 MiB and 3 MiB from heap '$first') while" \
	"'dmaheap stat' reads the counters: BUFFERS and IN USE show them."
run 0 dmaheap alloc --quiet --exec \
	"dmaheap alloc --quiet --exec 'dmaheap stat' $first 3M" "$first" 8M

say "Statistics: every buffer above was released again" \
	"ALLOCS counts the allocations since the heap was loaded."
run 0 dmaheap stat

if [ -r "$SYS/$first/limit_bytes" ]; then
	cap=$(cat "$SYS/$first/limit_bytes")
	say "A request over the heap's cap is refused cleanly" \
		"Heap '$first' may hold $cap bytes in all; asking for twice that fails" \
		"with ENOMEM and a plain explanation instead of waking the OOM killer."
	run 4 dmaheap alloc --hold 0 "$first" $((cap * 2))
fi

echo
if [ $failed -eq 0 ]; then
	echo "Demo finished: every step worked."
else
	echo "Demo finished: $failed step(s) did not work."
fi
[ $failed -eq 0 ]
