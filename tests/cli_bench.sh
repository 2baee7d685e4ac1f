#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM tests of "dmaheap bench" / dmaheap-bench: a table row per heap and
# size with the memset floor, CSV output that reads back, and a clear
# refusal of --png where gnuplot is missing.  TAP output; busybox sh.

DEV=/dev/dma_heap
TMP=$(mktemp -d /tmp/cli_bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

. "$(dirname "$0")/tap-lib.sh"

echo "TAP version 13"
heaps=$(ls "$DEV" 2>/dev/null)
if [ -z "$heaps" ]; then
	begin
	run 3 dmaheap-bench
	has "no DMA-BUF heaps to measure"
	end bench_without_heaps
else
	begin
	run 0 dmaheap-bench --sizes 4K,1M --iterations 3 --csv "$TMP/b.csv"
	sed "s/^/# /" "$TMP/out"
	has "^HEAP  *SIZE  *ALLOC+CLOSE  *MIN  *MAX  *MEMSET  *RATIO"
	for h in $heaps; do
		has "^$h  *4 KiB  *[0-9.]* [mun]*s  .*  [0-9.]*$"
		has "^$h  *1 MiB  *[0-9.]* [mun]*s  .*  [0-9.]*$"
	done
	lines=$(($(echo "$heaps" | wc -l) * 2 + 1))
	[ "$(wc -l < "$TMP/b.csv")" -eq $lines ] || bad "CSV has $(wc -l < "$TMP/b.csv") lines, not $lines"
	grep -q '^heap,size_bytes,iterations,alloc_median_ns,' "$TMP/b.csv" || bad "CSV header"
	end bench_every_heap

	begin
	cp "$TMP/out" "$TMP/first"
	run 0 dmaheap bench --from-csv "$TMP/b.csv"
	# The same table, from the file.
	grep -v '^Wrote' "$TMP/first" > "$TMP/first.table"
	cmp -s "$TMP/out" "$TMP/first.table" || bad "--from-csv prints another table"
	end bench_reads_csv

	begin
	h=$(echo "$heaps" | head -n 1)
	run 0 dmaheap bench --heap "$h" --sizes 64K --iterations 1
	[ "$(grep -c "^$h  *64 KiB" "$TMP/out")" -eq 1 ] || bad "not one row for $h"
	[ "$(grep -c "  64 KiB  " "$TMP/out")" -eq 1 ] || bad "other heaps measured"
	run 3 dmaheap bench --heap no-such-heap
	end bench_one_heap
fi

begin
if command -v gnuplot >/dev/null; then
	skip bench_png_needs_gnuplot "gnuplot is installed here"
else
	run 1 dmaheap bench --png "$TMP/x.png"
	has "--png needs gnuplot, which is not installed"
	[ -e "$TMP/x.png" ] && bad "a PNG appeared"
	end bench_png_needs_gnuplot
fi

tap_done
