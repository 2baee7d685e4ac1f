#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM test of the README's example (examples/hello.c, built as
# dmaheap-hello): it picks system-uncached, else system, writes a greeting
# into a 1 MiB buffer through a mapping and reads it back.  TAP output.

DEV=/dev/dma_heap
echo "TAP version 13"
echo "1..1"
want=
for h in system-uncached system; do
	if [ -c "$DEV/$h" ]; then want=$h; break; fi
done
out=$(dmaheap-hello 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
if [ -z "$want" ]; then
	if [ $rc -eq 1 ] && [ "$out" = "hello: no buffer: No such file or directory" ]; then
		echo "ok 1 run_readme_example # SKIP neither system-uncached nor system exists (it failed cleanly)"
		echo "0 passed, 0 failed, 1 skipped"
		exit 0
	fi
	echo "not ok 1 run_readme_example"
	echo "0 passed, 1 failed"
	exit 1
fi
if [ $rc -eq 0 ] && [ "$out" = "hello from heap '$want': 1048576 bytes" ]; then
	echo "ok 1 run_readme_example"
	echo "1 passed, 0 failed"
	exit 0
fi
echo "# expected: hello from heap '$want': 1048576 bytes (exit 0), got exit $rc"
echo "not ok 1 run_readme_example"
echo "0 passed, 1 failed"
exit 1
