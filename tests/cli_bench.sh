#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-VM tests of "dmaheap bench" / dmaheap-bench: a table row per heap and
# size with the memset floor, CSV output that reads back, a short
# --compare run (its tables, positive figures, the pool ceiling put back,
# nothing left allocated), and a clear refusal of --png where gnuplot is
# missing.  TAP output; busybox sh.

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

# ---- --compare: two heaps, every mode, small sizes ----------------------------------
# system-uncached against system where both exist, else the first two heaps
# whose names hold no comma (the CSV checks below split on commas).
if [ -e "$DEV/system-uncached" ] && [ -e "$DEV/system" ]; then
	A=system-uncached B=system
else
	A=$(echo "$heaps" | grep -v , | sed -n 1p) B=$(echo "$heaps" | grep -v , | sed -n 2p)
fi
CEIL=/sys/module/dmaheap_system/parameters/pool_bytes_max
if [ -z "$B" ]; then
	skip bench_compare "fewer than two heaps"
	skip bench_compare_reads_csv "fewer than two heaps"
else
	begin
	before=$(cat "$CEIL" 2>/dev/null)
	run 0 dmaheap-bench --compare "$A/$B" --sizes 4K,64K --iterations 3 --rounds 2 \
		--hold 1M --csv "$TMP/c.csv"
	sed "s/^/# /" "$TMP/out"
	has "^HEAP  *MODE  *4 KiB  *64 KiB$"
	for h in "$A" "$B" memset; do
		for m in cold steady; do
			has "^$h  *$m  *[0-9.]* [mun]s  *[0-9.]* [mun]s$"
		done
		has "^$h  *sustained  *[0-9.]* MiB/s  *[0-9.]* MiB/s$"
	done
	has "^RATIO  *MODE  *4 KiB  *64 KiB$"
	for m in cold steady sustained; do
		has "^$A/$B  *$m  *[0-9.]*  *[0-9.]*$"
	done
	[ "$(cat "$CEIL" 2>/dev/null)" = "$before" ] || bad "pool ceiling $before became $(cat "$CEIL")"
	for h in "$A" "$B"; do
		if [ -e "$CEIL" ] && [ -e "/sys/class/dmaheap/$h/pool_bytes" ]; then
			grep "pools emptied for every cold sample" "$TMP/out" | grep -q "$h" ||
				grep -q "^$h: memory the ceilings do not empty" "$TMP/out" ||
				bad "no note on the pools of $h"
		elif [ ! -e "/sys/class/dmaheap/$h/pool_bytes" ]; then
			grep "no pools" "$TMP/out" | grep -q "$h" || bad "no note that $h has no pools"
		fi
		b=$(cat "/sys/class/dmaheap/$h/bytes" 2>/dev/null || echo 0)
		[ "$b" = 0 ] || bad "$h still holds $b bytes"
	done
	# The CSV: 3 modes x 2 sizes x 2 heaps, all measured, every figure above 0.
	C='mode,size_bytes,heap,baseline,samples,median_ns,min_ns,max_ns,alloc_median_ns,close_median_ns,wait_median_ns,hold_bytes,mib_per_s,memset_median_ns,memset_mib_per_s,ratio,pools,status,note'
	[ "$(head -n 1 "$TMP/c.csv")" = "$C" ] || bad "CSV header: $(head -n 1 "$TMP/c.csv")"
	[ "$(wc -l < "$TMP/c.csv")" -eq 13 ] || bad "CSV has $(wc -l < "$TMP/c.csv") lines, not 13"
	awk -F, -v a="\"$A\"" 'NR > 1 {
		if ($18 != "\"ok\"") { print "# not measured: " $0; bad = 1 }
		if (!($6 > 0 && $7 > 0 && $8 >= $6 && $9 > 0 && $10 > 0 && $14 > 0)) {
			print "# a figure is not above 0: " $0; bad = 1
		}
		if ($1 == "sustained" && !($12 >= 1048576 && $13 > 0 && $15 > 0)) {
			print "# no MiB/s: " $0; bad = 1
		}
		if ($3 == a && !($16 > 0)) { print "# no ratio: " $0; bad = 1 }
	} END { exit bad }' "$TMP/c.csv" || bad "CSV figures"
	end bench_compare

	begin
	grep -v '^Wrote\|^dmaheap bench: ' "$TMP/out" > "$TMP/first.table"
	run 0 dmaheap bench --from-csv "$TMP/c.csv"
	cmp -s "$TMP/out" "$TMP/first.table" || bad "--from-csv prints another table"
	run 0 dmaheap bench --compare "$A/$B" --mode steady --sizes 64K --iterations 1
	has "^$A  *steady  *[0-9.]* [mun]s$"
	grep -q "  cold  \|  sustained  " "$TMP/out" && bad "--mode steady measured other modes"
	end bench_compare_reads_csv
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
