#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Host tests of the dmaheap command against a fake heap tree: help texts and
# the man page made from them, usage errors and exit codes, list/stat output
# (table and JSON), heap lookup errors, and bench's CSV and PNG output.
#
# The fake heap nodes are character devices with /dev/null's numbers (mknod
# needs root; tests that need them skip otherwise): they open like heap
# nodes, and the allocation ioctl fails on them with ENOTTY.
#
# Environment (set by cli/Makefile): TOP, DMAHEAP, MANPAGE.
set -u
: "${TOP:?}" "${DMAHEAP:?}" "${MANPAGE:?}"
VERSION=$(cat "$TOP/VERSION")
TMP=$(mktemp -d /tmp/dmaheap-cli-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT INT TERM

n=0 pass=0 fail=0 skip=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"; }
skip() { n=$((n + 1)); skip=$((skip + 1)); echo "ok $n $1 # SKIP $2"; }
diag() { sed 's/^/# /' "$@"; }
# Record a failed expectation of the current test.
bad() { echo "# $*"; failed=1; }
begin() { failed=0; }
end() { if [ $failed -eq 0 ]; then ok "$1"; else not_ok "$1"; fi; }

# run EXPECTED_STATUS CMD...: output in $TMP/out, stderr in $TMP/err
run() {
	want=$1
	shift
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		bad "'$*' exited $rc, expected $want"
		diag "$TMP/err"
	fi
}
has() { grep -q -- "$1" "$2" || bad "no '$1' in the output of the last command"; }

echo "TAP version 13"

# ---- fake heap tree -----------------------------------------------------------
DEV=$TMP/dev SYS=$TMP/sys
mkdir -p "$DEV" "$SYS/system" "$SYS/system-uncached"
nodes=no
if mknod "$DEV/system" c 1 3 2>/dev/null && mknod "$DEV/system-uncached" c 1 3 &&
	mknod "$DEV/linux,cma" c 1 3; then
	nodes=yes
fi
for kv in buffers=2 bytes=2097152 peak_bytes=8388608 total_allocs=40 \
	failed_allocs=1 limit_bytes=268435456 uncached=0 contiguous=0 pool_pages=128; do
	echo "${kv#*=}" > "$SYS/system/${kv%%=*}"
done
for kv in buffers=0 bytes=0 peak_bytes=0 total_allocs=0 failed_allocs=0 \
	limit_bytes=268435456 uncached=1 contiguous=0; do
	echo "${kv#*=}" > "$SYS/system-uncached/${kv%%=*}"
done
export DMAHEAP_DEV_DIR="$DEV" DMAHEAP_SYSFS_DIR="$SYS"
D=$DMAHEAP
VERBS="list alloc stat bench"

# ---- help and man page ----------------------------------------------------------
begin
run 0 "$D" --help
has "^Usage: dmaheap" "$TMP/out"
cp "$TMP/out" "$TMP/main.help"
for v in $VERBS; do
	has "^  $v " "$TMP/main.help"
	run 0 "$D" "$v" --help
	has "^Usage: dmaheap $v" "$TMP/out"
	cp "$TMP/out" "$TMP/help1"
	run 0 "$D" help "$v"
	cmp -s "$TMP/out" "$TMP/help1" || bad "'help $v' differs from '$v --help'"
done
run 0 "$D" --version
[ "$(cat "$TMP/out")" = "dmaheap $VERSION" ] || bad "version: $(cat "$TMP/out")"
end show_help_per_verb

begin
if [ ! -s "$MANPAGE" ]; then
	bad "no man page at $MANPAGE"
else
	# Every usage line and every option of every verb is in the page.
	sed 's/\\-/-/g; s/\\e/\\/g' "$MANPAGE" > "$TMP/man.txt"
	for v in $VERBS; do
		"$D" "$v" --help > "$TMP/h"
		sed -n 's/^Usage: //p' "$TMP/h" | while read -r line; do
			grep -qF -- "$line" "$TMP/man.txt" || echo "# usage missing: $line"
		done > "$TMP/missing"
		grep -o -- '--[a-z][a-z-]*' "$TMP/h" | sort -u | while read -r opt; do
			grep -qF -- "$opt" "$TMP/man.txt" || echo "# option missing: $v $opt"
		done >> "$TMP/missing"
		if [ -s "$TMP/missing" ]; then
			cat "$TMP/missing"
			failed=1
		fi
	done
	grep -q "^\.TH DMAHEAP 1 .*dmaheap $VERSION" "$MANPAGE" || bad "no .TH with the version"
	if command -v groff >/dev/null; then
		groff -man -Tutf8 -ww -z "$MANPAGE" >"$TMP/groff" 2>&1
		[ -s "$TMP/groff" ] && { bad "groff warnings:"; diag "$TMP/groff"; }
	fi
fi
end generate_man_from_help

# ---- usage errors -----------------------------------------------------------------
begin
run 2 "$D"
run 2 "$D" frob
run 2 "$D" --frob
run 2 "$D" list --frob
run 2 "$D" alloc system
run 2 "$D" alloc system 4K extra
for size in 0 1Q -1 4KK 1.5M 99999999999999999999 20000000T ""; do
	run 2 "$D" alloc system "$size"
	has "bad size" "$TMP/err"
done
run 2 "$D" alloc --fill 256 system 4K
run 2 "$D" alloc --read-only --fill 1 system 4K
run 2 "$D" alloc --fd 5 system 4K
run 2 "$D" alloc --exec true --fd 2 system 4K
run 2 "$D" alloc --name 0123456789abcdef0123456789abcdef system 4K
run 2 "$D" alloc "a//b" 4K
run 2 "$D" alloc ".." 4K
run 2 "$D" stat --interval 0
run 2 "$D" stat --watch --json
run 2 "$D" bench --iterations 0
run 2 "$D" bench --sizes 4K,,x
run 2 "$D" bench stray
end reject_bad_usage

# ---- list and stat on the fake tree -------------------------------------------------
if [ $nodes = no ]; then
	for t in list_fake_heaps stat_fake_heaps parse_sizes alloc_falls_back; do
		skip $t "mknod of fake heap nodes failed (not root?)"
	done
else
	begin
	run 0 "$D" list
	has "^HEAP  *MEMORY  *LAYOUT  *BUFFERS  *IN USE  *PEAK  *CAP  *PROPERTIES$" "$TMP/out"
	has "^linux,cma  *-  *-  *-  *-  *-  *-  *-$" "$TMP/out"
	has "^system  *cached  *scattered  *2  *2 MiB  *8 MiB  *256 MiB  *pool_pages=128$" "$TMP/out"
	has "^system-uncached  *uncached  *scattered  *0  *0  *0  *256 MiB  *-$" "$TMP/out"
	run 0 "$D" list --bytes system
	has "^system  *cached  *scattered  *2  *2097152  *8388608  *268435456" "$TMP/out"
	[ "$(wc -l < "$TMP/out")" -eq 2 ] || bad "list system printed more than one heap"
	run 0 "$D" list --json
	has '"name": "linux,cma"' "$TMP/out"
	has '"limit_bytes": 268435456' "$TMP/out"
	has '"properties": {"pool_pages": "128"}' "$TMP/out"
	has '"statistics": false' "$TMP/out"
	if command -v python3 >/dev/null; then
		python3 -c 'import json,sys; d=json.load(sys.stdin); assert [h["name"] for h in d["heaps"]] == ["linux,cma","system","system-uncached"]; assert d["heaps"][0]["bytes"] is None; assert d["heaps"][2]["uncached"] is True' \
			< "$TMP/out" || bad "list --json is not the JSON expected"
	fi
	run 3 "$D" list nosuch
	has "no heap named 'nosuch' (heaps here: linux,cma, system, system-uncached)" "$TMP/err"
	end list_fake_heaps

	begin
	run 0 "$D" stat
	has "^HEAP  *BUFFERS  *IN USE  *PEAK  *CAP  *USED  *ALLOCS  *FAILED$" "$TMP/out"
	has "^system  *2  *2 MiB  *8 MiB  *256 MiB  *0.8%  *40  *1$" "$TMP/out"
	run 0 "$D" stat --count 3 --interval 0.05 system
	[ "$(grep -c '^dmaheap stat ' "$TMP/out")" -eq 3 ] || bad "stat --count 3 did not refresh 3 times"
	has "ALLOCS/S$" "$TMP/out"
	has "^system  *2 .* 0.0$" "$TMP/out"
	run 0 "$D" stat --json system-uncached
	has '"uncached": true' "$TMP/out"
	end stat_fake_heaps

	# The fake nodes refuse the allocation ioctl; the message names the size.
	begin
	for pair in 64K:"64 KiB" 64KiB:"64 KiB" 65536:"64 KiB" 0x10000:"64 KiB" \
		3M:"3 MiB" 2G:"2 GiB" 1T:"1 TiB" 100:"100 bytes" 1536K:"1.5 MiB"; do
		run 1 "$D" alloc system "${pair%%:*}"
		has "heap 'system' refused ${pair#*:}: .* not a DMA-BUF heap (ENOTTY)" "$TMP/err"
	done
	end parse_sizes

	begin
	run 1 "$D" alloc nosuch/reserved/system 4K
	has "heap 'system' refused" "$TMP/err"
	run 3 "$D" alloc nosuch/reserved 4K
	has "none of the heaps 'nosuch', 'reserved' exists (heaps here: " "$TMP/err"
	run 3 "$D" alloc nosuch 4K
	has "no heap named 'nosuch'" "$TMP/err"
	end alloc_falls_back
fi

begin
DMAHEAP_DEV_DIR=$TMP/none run 3 "$D" alloc system 4K
has "there are no DMA-BUF heaps ($TMP/none is missing or empty" "$TMP/err"
DMAHEAP_DEV_DIR=$TMP/none run 0 "$D" list
has "No DMA-BUF heaps in $TMP/none" "$TMP/out"
DMAHEAP_DEV_DIR=$TMP/none run 0 "$D" list --json
has '"heaps": \[\]' "$TMP/out"
DMAHEAP_DEV_DIR=$TMP/none run 3 "$D" bench
end report_no_heaps

# ---- bench output -------------------------------------------------------------------
cat > "$TMP/in.csv" <<'EOF'
heap,size_bytes,iterations,alloc_median_ns,alloc_min_ns,alloc_max_ns,memset_median_ns,ratio,status
"system",4096,15,20000,15000,40000,1000,20.0000,ok
"linux,cma",4096,15,0,0,0,1000,0.0000,skipped: over the heap's cap
"system",1048576,15,300000,150000,400000,200000,1.5000,ok
"system",33554432,15,9000000,8000000,9900000,6000000,1.5000,ok
EOF
begin
run 0 "$D" bench --from-csv "$TMP/in.csv" --csv "$TMP/out.csv"
has "^system  *4 KiB  *20.0 us  *15.0 us  *40.0 us  *1.0 us  *20.00$" "$TMP/out"
has "^linux,cma  *4 KiB  *-  *-  *-  *1.0 us  *-  *skipped: over the heap's cap$" "$TMP/out"
has "^system  *32 MiB  *9.00 ms  *8.00 ms  *9.90 ms  *6.00 ms  *1.50$" "$TMP/out"
cmp -s "$TMP/in.csv" "$TMP/out.csv" || { bad "CSV did not survive a round trip"; diff "$TMP/in.csv" "$TMP/out.csv" | diag; }
printf 'not,a,bench,file\n' > "$TMP/junk.csv"
run 1 "$D" bench --from-csv "$TMP/junk.csv"
has "not a 'dmaheap bench --csv' file" "$TMP/err"
end write_bench_csv

begin
if command -v gnuplot >/dev/null; then
	run 0 "$D" bench --from-csv "$TMP/in.csv" --png "$TMP/chart.png"
	if [ "$(head -c 4 "$TMP/chart.png" | od -An -tx1 | tr -d ' \n')" != "89504e47" ]; then
		bad "$TMP/chart.png is not a PNG"
	fi
	has "Wrote the chart to $TMP/chart.png" "$TMP/out"
	end draw_bench_png
else
	skip draw_bench_png "gnuplot is not installed"
fi

begin
mkdir "$TMP/nognuplot"
PATH=$TMP/nognuplot run 1 "$D" bench --png "$TMP/x.png"
has "--png needs gnuplot, which is not installed" "$TMP/err"
[ -e "$TMP/x.png" ] && bad "a PNG appeared without gnuplot"
end refuse_png_without_gnuplot

begin
run 0 "$(dirname "$D")/dmaheap-bench" --help
has "^Usage: dmaheap bench" "$TMP/out"
if [ $nodes = yes ]; then
	# The fake heaps refuse every allocation: a failed run, but a full table.
	run 1 "$(dirname "$D")/dmaheap-bench" --heap system --sizes 4K,64K --iterations 2 \
		--csv "$TMP/run.csv"
	has "^system  *64 KiB  *-  *-  *-  .*  *error: ENOTTY$" "$TMP/out"
	[ "$(wc -l < "$TMP/run.csv")" -eq 3 ] || bad "bench wrote $(wc -l < "$TMP/run.csv") CSV lines, not 3"
fi
end run_as_dmaheap_bench

echo "1..$n"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
