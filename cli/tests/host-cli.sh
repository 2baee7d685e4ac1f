#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Host tests of the dmaheap command against a fake heap tree: help texts and
# the man page made from them, usage errors and exit codes, list/stat output
# (table and JSON, aliases folded), heap lookup errors, users against a fake
# core tree, top against a fake /proc and dma-buf debug file, and bench's
# CSV and PNG output, with and without --compare.
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
	failed_allocs=1 limit_bytes=268435456 uncached=0 contiguous=0 pool_pages=128 \
	pool_bytes=4194304; do
	echo "${kv#*=}" > "$SYS/system/${kv%%=*}"
done
for kv in buffers=0 bytes=0 peak_bytes=0 total_allocs=0 failed_allocs=0 \
	limit_bytes=268435456 uncached=1 contiguous=0; do
	echo "${kv#*=}" > "$SYS/system-uncached/${kv%%=*}"
done
export DMAHEAP_DEV_DIR="$DEV" DMAHEAP_SYSFS_DIR="$SYS"
D=$DMAHEAP
VERBS="list alloc stat top users bench"

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
# --compare and its options
for pair in system system/ /system system/system a/b/c ""; do
	run 2 "$D" bench --compare "$pair"
	has "compare" "$TMP/err"
done
run 2 "$D" bench --compare system-uncached/system --compare system-uncached/system
has "given twice" "$TMP/err"
run 2 "$D" bench --compare system-uncached/system --heap system
has "do not mix" "$TMP/err"
for opt in "--mode cold" "--rounds 2" "--hold 1M"; do
	run 2 "$D" bench $opt
	has "${opt% *} needs --compare" "$TMP/err"
done
for opt in "--mode warm" "--mode cold,,x" "--mode=" "--rounds 0" "--rounds x" "--hold 0" \
	"--hold 1Q" "--sizes 4K,4K" "--sizes 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17"; do
	run 2 "$D" bench --compare system-uncached/system $opt
done
run 3 "$D" bench --compare no-such-heap/system
end reject_bad_usage

# ---- list and stat on the fake tree -------------------------------------------------
if [ $nodes = no ]; then
	for t in list_fake_heaps stat_fake_heaps parse_sizes alloc_falls_back; do
		skip $t "mknod of fake heap nodes failed (not root?)"
	done
else
	begin
	run 0 "$D" list
	has "^HEAP  *MEMORY  *LAYOUT  *BUFFERS  *IN USE  *PEAK  *CAP  *POOLED  *PROPERTIES$" "$TMP/out"
	has "^linux,cma  *-  *-  *-  *-  *-  *-  *-  *-$" "$TMP/out"
	has "^system  *cached  *scattered  *2  *2 MiB  *8 MiB  *256 MiB  *4 MiB  *pool_pages=128$" "$TMP/out"
	has "^system-uncached  *uncached  *scattered  *0  *0  *0  *256 MiB  *-  *-$" "$TMP/out"
	run 0 "$D" list --bytes system
	has "^system  *cached  *scattered  *2  *2097152  *8388608  *268435456  *4194304" "$TMP/out"
	[ "$(wc -l < "$TMP/out")" -eq 2 ] || bad "list system printed more than one heap"
	run 0 "$D" list --json
	has '"name": "linux,cma"' "$TMP/out"
	has '"limit_bytes": 268435456' "$TMP/out"
	has '"pool_bytes": 4194304' "$TMP/out"
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
	has "^HEAP  *BUFFERS  *IN USE  *PEAK  *CAP  *USED  *POOLED  *ALLOCS  *FAILED$" "$TMP/out"
	has "^system  *2  *2 MiB  *8 MiB  *256 MiB  *0.8%  *4 MiB  *40  *1$" "$TMP/out"
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

# ---- aliases: folded into the heap they stand for --------------------------------
if [ $nodes = no ]; then
	skip fold_aliases "mknod of fake heap nodes failed (not root?)"
else
	begin
	ADEV=$TMP/adev ASYS=$TMP/asys
	mkdir -p "$ADEV" "$ASYS/contig" "$ASYS/cma-alias" "$ASYS/orphan"
	for h in contig cma-alias orphan; do mknod "$ADEV/$h" c 1 3; done
	for d in contig cma-alias; do
		for kv in buffers=1 bytes=4194304 peak_bytes=4194304 total_allocs=3 \
			failed_allocs=0 limit_bytes=268435456 uncached=0 contiguous=1 \
			heap=contig largest_free=1024; do
			echo "${kv#*=}" > "$ASYS/$d/${kv%%=*}"
		done
	done
	echo gone > "$ASYS/orphan/heap"
	A="env DMAHEAP_DEV_DIR=$ADEV DMAHEAP_SYSFS_DIR=$ASYS $D"
	run 0 $A list
	has "^contig  *cached  *contiguous  *1  *4 MiB  *4 MiB  *256 MiB  *-  *aliases=cma-alias, largest_free=1024$" "$TMP/out"
	has "^orphan  .* alias of gone$" "$TMP/out"
	grep -q "^cma-alias " "$TMP/out" && bad "the alias has a row of its own"
	[ "$(wc -l < "$TMP/out")" -eq 3 ] || bad "list printed $(wc -l < "$TMP/out") lines, not 3"
	# Naming the alias shows its heap.
	run 0 $A list cma-alias
	has "^contig  .*aliases=cma-alias" "$TMP/out"
	[ "$(wc -l < "$TMP/out")" -eq 2 ] || bad "list cma-alias printed more than its heap"
	run 0 $A stat
	has "^contig  *1  *4 MiB" "$TMP/out"
	grep -q "^cma-alias " "$TMP/out" && bad "stat shows the alias as a heap"
	run 0 $A stat contig cma-alias
	[ "$(grep -c '^contig ' "$TMP/out")" -eq 1 ] || bad "stat contig cma-alias shows contig twice"
	run 0 $A list --json
	has '"aliases": \["cma-alias"\]' "$TMP/out"
	has '"alias_of": "gone"' "$TMP/out"
	if command -v python3 >/dev/null; then
		python3 -c 'import json,sys; d=json.load(sys.stdin); h={x["name"]: x for x in d["heaps"]}; assert sorted(h) == ["contig","orphan"]; assert h["contig"]["alias_of"] is None and h["contig"]["aliases"] == ["cma-alias"]; assert h["orphan"]["alias_of"] == "gone"' \
			< "$TMP/out" || bad "list --json: aliases are not folded as expected"
	fi
	end fold_aliases
fi

# ---- users: the core's limits and the usage per user -------------------------------
R=$TMP/root/sys
mkdir -p "$R/class/dmaheap" "$R/kernel/dmaheap/users/0" "$R/kernel/dmaheap/users/1000" \
	"$R/kernel/dmaheap/users/4321" "$R/module/dmaheap/parameters"
echo 6291456 > "$R/kernel/dmaheap/bytes"
printf '%s\n' 2097152 1 0 > "$TMP/v0"
for kv in bytes=2097152 buffers=1 failed_allocs=0; do echo "${kv#*=}" > "$R/kernel/dmaheap/users/0/${kv%%=*}"; done
for kv in bytes=4194304 buffers=2 failed_allocs=5; do echo "${kv#*=}" > "$R/kernel/dmaheap/users/1000/${kv%%=*}"; done
for kv in bytes=0 buffers=0 failed_allocs=1; do echo "${kv#*=}" > "$R/kernel/dmaheap/users/4321/${kv%%=*}"; done
for kv in budget_bytes=536870912 user_quota_bytes=16777216 memcg_charge=Y; do
	echo "${kv#*=}" > "$R/module/dmaheap/parameters/${kv%%=*}"
done
U="env DMAHEAP_SYSFS_DIR=$R/class/dmaheap $D"
begin
run 0 $U users
has "^Budget: 6 MiB of 512 MiB in use (1.2%), over every heap but carveouts$" "$TMP/out"
has "^Quota: 16 MiB per user over every heap (root and CAP_SYS_ADMIN exempt)$" "$TMP/out"
has "^Memory cgroup charging: on$" "$TMP/out"
has "^UID  *USER  *BUFFERS  *IN USE  *QUOTA  *USED  *FAILED$" "$TMP/out"
has "^0  *root  *1  *2 MiB  *exempt  *-  *0$" "$TMP/out"
has "^1000  .*  2  *4 MiB  *16 MiB  *25.0%  *5$" "$TMP/out"
has "^4321  .*  0  *0  *16 MiB  *0.0%  *1$" "$TMP/out"
run 0 $U users --bytes 1000 7777
has "^1000  .*  2  *4194304  *16777216  *25.0%  *5$" "$TMP/out"
# A user who never allocated holds nothing.
has "^7777  .*  0  *0  *16777216  *0.0%  *0$" "$TMP/out"
grep -q "^0 " "$TMP/out" && bad "users 1000 7777 also shows root"
run 0 $U users --json
has '"budget_bytes": 536870912,' "$TMP/out"
has '"budget_used_bytes": 6291456,' "$TMP/out"
has '"user_quota_bytes": 16777216,' "$TMP/out"
has '"memcg_charge": true,' "$TMP/out"
has '{"uid": 0, "user": "root", "buffers": 1, "bytes": 2097152, "failed_allocs": 0, "exempt": true, "quota_bytes": null}' "$TMP/out"
has '{"uid": 1000, "user": .*, "buffers": 2, "bytes": 4194304, "failed_allocs": 5, "exempt": false, "quota_bytes": 16777216}' "$TMP/out"
if command -v python3 >/dev/null; then
	python3 -c 'import json,sys; d=json.load(sys.stdin); assert [u["uid"] for u in d["users"]] == [0,1000,4321]' \
		< "$TMP/out" || bad "users --json is not the JSON expected"
fi
run 0 $U users root
has "^0  *root  *1  *2 MiB  *exempt" "$TMP/out"
run 2 $U users no-such-user-here
has "no user 'no-such-user-here'" "$TMP/err"
echo N > "$R/module/dmaheap/parameters/memcg_charge"
run 0 $U users
has "^Memory cgroup charging: off$" "$TMP/out"
# Without the core: exit 3, and a reason.
run 3 env DMAHEAP_SYSFS_DIR="$TMP/root/none/class/dmaheap" "$D" users
has "keeps no usage per user" "$TMP/err"
end show_users_and_limits

# ---- top: a fake /proc and dma-buf debug file ---------------------------------------
P=$TMP/proc
# mkproc PID COMM UID: a process directory with comm, status and stat
mkproc() {
	mkdir -p "$P/$1/fd" "$P/$1/fdinfo"
	echo "$2" > "$P/$1/comm"
	printf 'Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t%s\t%s\t%s\t%s\n' \
		"$2" "$3" "$3" "$3" "$3" > "$P/$1/status"
	echo "$1 ($2) S 1 $1 $1 0 -1 4194560 0 0" > "$P/$1/stat"
	: > "$P/$1/maps"
}
# mkfd PID FD INODE SIZE EXPORTER [NAME]: a dma-buf fd
mkfd() {
	ln -s "/dmabuf:${6:-}" "$P/$1/fd/$2"
	printf 'pos:\t0\nflags:\t02\nmnt_id:\t11\nino:\t%s\nsize:\t%s\ncount:\t2\nexp_name:\t%s\n' \
		"$3" "$4" "$5" > "$P/$1/fdinfo/$2"
	[ -n "${6:-}" ] && printf 'name:\t%s\n' "$6" >> "$P/$1/fdinfo/$2"
	return 0
}
# mkmap PID START END OFFSET INODE: a dma-buf mapping
mkmap() {
	printf '%s-%s rw-s %s 00:0b %s                          /dmabuf:\n' "$2" "$3" "$4" "$5" >> "$P/$1/maps"
}
mkproc 100 camera 0
mkfd 100 3 7 4194304 system
mkfd 100 6 7 4194304 system
mkfd 100 4 8 1048576 system-uncached frame
ln -s /dev/null "$P/100/fd/5"
printf '00400000-00452000 r-xp 00000000 08:01 1234    /usr/bin/camera\n' >> "$P/100/maps"
mkmap 100 7f0000000000 7f0000400000 00000000 7		# its fd's buffer, mapped too
mkmap 100 7f1000000000 7f1000100000 00000000 9		# no fd: size from 101's fd
mkmap 100 7f1000200000 7f1000300000 00100000 9		# a second piece of it
mkmap 100 7f2000000000 7f2000800000 00000000 10	# no fd: from the debug file
mkmap 100 7f3000000000 7f3000003000 00001000 11	# no fd, nowhere else
mkproc 101 "compositor x" 0
mkfd 101 3 9 2097152 system
mkfd 101 4 7 4194304 system
mkproc 102 idle 0
ln -s /dev/null "$P/102/fd/0"
mkproc 103 "$(printf 'esc\033[2J')" 4242
mkfd 103 3 14 4096 system
mkdir -p "$P/self" "$P/sys"
cat > "$TMP/bufinfo" <<'EOF'

Dma-buf Objects:
size    	flags   	mode    	count   	exp_name	ino     	name
04194304	00000002	00080007	00000004	system	00000007	<none>
	Attached Devices:
Total 0 devices attached

01048576	00000002	00080007	00000002	system-uncached	00000008	frame
	Attached Devices:
Total 0 devices attached

02097152	00000002	00080007	00000002	system	00000009	<none>
	Attached Devices:
Total 0 devices attached

08388608	00000002	00080007	00000001	system-contiguous	00000010	<none>
	Attached Devices:
Total 0 devices attached

00065536	00000002	00080007	00000001	system	00000012	scanout buf
	write fence:vgem fence:1 signalled
	Attached Devices:
	vgem
Total 1 devices attached

00012288	00000002	00080007	00000001	drm	00000013	<none>
	Attached Devices:
	0000:00:02.0
	vgem
Total 2 devices attached


Total 6 objects, 15823872 bytes
EOF
T="env DMAHEAP_PROC_DIR=$P DMAHEAP_BUFINFO=$TMP/bufinfo $D"
begin
run 0 $T top --bytes
has "^PID  *USER  *COMMAND  *drm  *system  *system-contiguous  *system-uncached  *?  *TOTAL$" "$TMP/out"
# camera: 7 (two fds and a mapping: once), 8, 9 and 10 (mapped only), 11 (unknown)
has "^100  *root  *camera  *-  *6291456 (2)  *8388608 (1)  *1048576 (1)  *16384 (1)  *15745024 (5)$" "$TMP/out"
has "^101  *root  *compositor x  *-  *6291456 (2)  *-  *-  *-  *6291456 (2)$" "$TMP/out"
has "^  -  *-  *(devices only)  *12288 (1)  *65536 (1)  *-  *-  *-  *77824 (2)$" "$TMP/out"
has "^  -  *-  *(all buffers)  *12288 (1)  *6361088 (4)  *8388608 (1)  *1048576 (1)  *16384 (1)  *15826944 (8)$" "$TMP/out"
# A command with control characters is shown without them.
has "^103  *[^ ]*  *esc?\[2J  *-  *4096 (1)  *-  *-  *-  *4096 (1)$" "$TMP/out"
grep -q "^102 " "$TMP/out" && bad "a process without dma-bufs is shown"
# Largest first.
[ "$(awk 'NR >= 2 && NR <= 4 { print $1 }' "$TMP/out" | tr '\n' ' ')" = "100 101 103 " ] ||
	bad "processes not sorted by bytes"
has "^1 buffer mapped without an fd could not be identified" "$TMP/out"
run 0 $T top
has "^100  *root  *camera  *-  *6 MiB (2)  *8 MiB (1)  *1 MiB (1)  *16 KiB (1)  *15.0 MiB (5)$" "$TMP/out"
end top_fake_proc

begin
run 0 $T top --json
has '"pid": 100, "uid": 0, "user": "root", "command": "camera", "buffers": 5, "bytes": 15745024,' "$TMP/out"
has '{"inode": 7, "exporter": "system", "size": 4194304, "size_exact": true, "name": null, "fds": 2, "mapped": true}' "$TMP/out"
has '{"inode": 8, "exporter": "system-uncached", "size": 1048576, "size_exact": true, "name": "frame", "fds": 1, "mapped": false}' "$TMP/out"
has '{"inode": 9, "exporter": "system", "size": 2097152, "size_exact": true, "name": null, "fds": 0, "mapped": true}' "$TMP/out"
has '{"inode": 11, "exporter": null, "size": 16384, "size_exact": false, "name": null, "fds": 0, "mapped": true}' "$TMP/out"
has '"devices_only": {"buffers": 2, "bytes": 77824, "heaps": {"drm": {"buffers": 1, "bytes": 12288}, "system": {"buffers": 1, "bytes": 65536}}' "$TMP/out"
has '{"inode": 12, "exporter": "system", "size": 65536, "size_exact": true, "name": "scanout buf", "devices": \["vgem"\]}' "$TMP/out"
has '"devices": \["0000:00:02.0", "vgem"\]' "$TMP/out"
has '"all": {"buffers": 8, "bytes": 15826944,' "$TMP/out"
has '"pid": 103, "uid": 4242, .*"command": "esc\\u001b\[2J"' "$TMP/out"
has '"bufinfo_error": null' "$TMP/out"
if command -v python3 >/dev/null; then
	python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [p["pid"] for p in d["processes"]] == [100, 101, 103]
assert d["processes"][1]["command"] == "compositor x"
assert d["processes"][0]["heaps"]["system-contiguous"] == {"buffers": 1, "bytes": 8388608}
assert d["devices_only"]["buffers"] == 2 and d["all"]["buffers"] == 8
assert d["processes"][2]["command"] == "esc\x1b[2J"
assert d["unreadable_processes"] == 0' < "$TMP/out" || bad "top --json is not the JSON expected"
fi
# Only the heaps asked for (other exporters by their name).
run 0 $T top --json system drm
has '"pid": 100, .*"buffers": 2, "bytes": 6291456, "heaps": {"system": {"buffers": 2, "bytes": 6291456}}' "$TMP/out"
has '"all": {"buffers": 5, "bytes": 6373376,' "$TMP/out"
grep -q '"inode": 8,' "$TMP/out" && bad "top system drm shows a system-uncached buffer"
end top_fake_json

begin
# Without the debug file: no devices-only row, and it says why.
T2="env DMAHEAP_PROC_DIR=$P DMAHEAP_BUFINFO=$TMP/no-bufinfo $D"
run 0 $T2 top --bytes
grep -q "(devices only)" "$TMP/out" && bad "a devices-only row without the debug file"
has "^Buffers held only by devices: not known ($TMP/no-bufinfo: No such file or directory" "$TMP/out"
# 10 is now unknown too: counted at its mapped length under '?'.
has "^100  *root  *camera  *6291456 (2)  *1048576 (1)  *8404992 (2)  *15745024 (5)$" "$TMP/out"
has "^2 buffers mapped without an fd could not be identified" "$TMP/out"
run 0 $T2 top --json
has '"devices_only": null,' "$TMP/out"
has "\"bufinfo_error\": \"$TMP/no-bufinfo: No such file or directory\"" "$TMP/out"
end top_without_bufinfo

begin
run 0 $T top --watch 0.05 --count 3 system
[ "$(grep -c '^dmaheap top ' "$TMP/out")" -eq 3 ] || bad "top --watch --count 3 did not refresh 3 times"
has "every 0.1 s" "$TMP/out"
run 0 $T top -w 0.2 -n 2
[ "$(grep -c '^dmaheap top  .*  every 0.2 s$' "$TMP/out")" -eq 2 ] || bad "top -w 0.2 -n 2"
run 0 $T top --watch=0.1 --count 1
has "every 0.1 s" "$TMP/out"
run 2 $T top --watch 0.01
run 2 $T top --watch=x
run 2 $T top --watch --json
run 2 $T top --count 0
run 1 env DMAHEAP_PROC_DIR="$TMP/no-proc" "$D" top
has "cannot read the processes in $TMP/no-proc" "$TMP/err"
end top_watch_and_errors

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

# ---- bench --compare output ---------------------------------------------------------
# Two sizes, three modes; "linux,cma" tests quoting, its 32 MiB round failed.
C='mode,size_bytes,heap,baseline,samples,median_ns,min_ns,max_ns,alloc_median_ns,close_median_ns,wait_median_ns,hold_bytes,mib_per_s,memset_median_ns,memset_mib_per_s,ratio,pools,status,note'
{
	echo "$C"
	cat <<'EOF'
cold,4096,"ours","system",15,20000,15000,40000,12000,8000,0,0,,1000,,2.0000,drained,"ok",""
cold,4096,"system","",15,10000,9000,12000,7000,3000,0,0,,1000,,,none,"ok",""
cold,4096,"linux,cma","ours",15,30000,25000,35000,20000,10000,0,0,,1000,,1.5000,kept+scrubbed,"ok",""
cold,33554432,"ours","system",15,9000000,8000000,9900000,8800000,200000,0,0,,6000000,,1.0000,drained,"ok",""
cold,33554432,"system","",15,9000000,8500000,9500000,8900000,100000,0,0,,6000000,,,none,"ok",""
cold,33554432,"linux,cma","ours",15,18000000,17000000,19000000,17900000,100000,0,0,,6000000,,2.0000,kept+scrubbed,"ok",""
steady,4096,"ours","system",15,5000,4000,6000,3000,2000,0,0,,1000,,0.5000,drained,"ok",""
steady,4096,"system","",15,10000,9000,11000,7000,3000,0,0,,1000,,,none,"ok",""
steady,4096,"linux,cma","ours",0,0,0,0,0,0,0,0,,1000,,,kept+scrubbed,"skipped: over the heap's cap",""
steady,33554432,"ours","system",15,450000,400000,500000,300000,150000,0,0,,6000000,,0.0500,drained,"ok",""
steady,33554432,"system","",15,9000000,8500000,9500000,8900000,100000,0,0,,6000000,,,none,"ok",""
steady,33554432,"linux,cma","ours",15,900000,800000,1000000,800000,100000,0,0,,6000000,,2.0000,kept+scrubbed,"ok",""
sustained,4096,"ours","system",3,1000000000,900000000,1100000000,600000000,300000000,100000000,67108864,64.0,250000000,256.0,0.8000,drained,"ok","held 64 MiB, not 256 MiB: the open-file limit"
sustained,4096,"system","",3,1250000000,1200000000,1300000000,1000000000,250000000,0,67108864,51.2,250000000,256.0,,none,"ok","held 64 MiB, not 256 MiB: the open-file limit"
sustained,4096,"linux,cma","ours",3,2000000000,1900000000,2100000000,1800000000,200000000,0,67108864,32.0,250000000,256.0,2.0000,kept+scrubbed,"ok","held 64 MiB, not 256 MiB: the open-file limit"
sustained,33554432,"ours","system",3,1000000000,900000000,1100000000,600000000,300000000,100000000,268435456,256.0,500000000,512.0,1.2500,drained,"ok",""
sustained,33554432,"system","",3,800000000,700000000,900000000,700000000,100000000,0,268435456,320.0,500000000,512.0,,none,"ok",""
sustained,33554432,"linux,cma","ours",0,0,0,0,0,0,0,268435456,,500000000,512.0,,kept+scrubbed,"error: ENOMEM after 3 of 8 buffers",""
EOF
} > "$TMP/cmp.csv"
begin
run 0 "$D" bench --from-csv "$TMP/cmp.csv" --csv "$TMP/cmp-out.csv"
cmp -s "$TMP/cmp.csv" "$TMP/cmp-out.csv" || { bad "--compare CSV did not survive a round trip"; diff "$TMP/cmp.csv" "$TMP/cmp-out.csv" | diag; }
has "^15 samples (cold, steady) and 3 rounds (sustained)\.$" "$TMP/out"
has "^HEAP  *MODE  *4 KiB  *32 MiB$" "$TMP/out"
has "^ours  *cold  *20.0 us  *9.00 ms$" "$TMP/out"
has "^linux,cma  *steady  *-  *900.0 us$" "$TMP/out"
has "^memset  *steady  *1.0 us  *6.00 ms$" "$TMP/out"
has "^ours  *sustained  *64.0 MiB/s  *256 MiB/s$" "$TMP/out"
has "^system  *sustained  *51.2 MiB/s  *320 MiB/s$" "$TMP/out"
has "^linux,cma  *sustained  *32.0 MiB/s  *-$" "$TMP/out"
has "^memset  *sustained  *256 MiB/s  *512 MiB/s$" "$TMP/out"
has "^RATIO  *MODE  *4 KiB  *32 MiB$" "$TMP/out"
# The ratios are computed again from the medians, not read.
has "^ours/system  *cold  *2.00  *1.00$" "$TMP/out"
has "^ours/system  *steady  *0.50  *0.05$" "$TMP/out"
has "^ours/system  *sustained  *0.80  *1.25$" "$TMP/out"
has "^linux,cma/ours  *steady  *-  *2.00$" "$TMP/out"
has "^linux,cma/ours  *sustained  *2.00  *-$" "$TMP/out"
[ "$(grep -c '^[a-z,]*/[a-z]*  ' "$TMP/out")" -eq 6 ] || bad "not 6 ratio rows"
has "^ours: pools emptied for every cold sample$" "$TMP/out"
has "^system: no pools (no pool_bytes): cold is steady$" "$TMP/out"
has "^linux,cma: memory the ceilings do not empty" "$TMP/out"
has "^linux,cma: a reserved range, zeroed in the background: cold samples$" "$TMP/out"
grep -q "^ours.*zeroed in the background" "$TMP/out" && bad "ours noted as scrubbed"
has "^sustained  MiB/s of a round: allocate 256 MiB in buffers of the size,$" "$TMP/out"
has "^sustained, 4 KiB: held 64 MiB, not 256 MiB: the open-file limit$" "$TMP/out"
has "^linux,cma, steady, 4 KiB: skipped: over the heap's cap$" "$TMP/out"
has "^linux,cma, sustained, 32 MiB: error: ENOMEM after 3 of 8 buffers$" "$TMP/out"
# Another order of rows, a heap that is only a baseline first: listed first.
{ echo "$C"; grep '"system",""' "$TMP/cmp.csv"; grep -v '"system",""' "$TMP/cmp.csv" | sed 1d; } > "$TMP/cmp2.csv"
run 0 "$D" bench --from-csv "$TMP/cmp2.csv"
[ "$(grep -m 1 '  cold  ' "$TMP/out" | cut -d ' ' -f 1)" = system ] ||
	bad "heaps are not listed in the order of the file"
has "^ours/system  *cold  *2.00  *1.00$" "$TMP/out"
{ echo "$C"; echo 'cold,4096,"ours","system",15,x,1,1,1,1,0,0,,1,,,drained,"ok",""'; } > "$TMP/cmp3.csv"
run 1 "$D" bench --from-csv "$TMP/cmp3.csv"
has "line 2: not a 'dmaheap bench --compare --csv' file" "$TMP/err"
{ echo "$C"; echo 'cold,4096,"ours","system",15,1,1,1,1,1,0,0,,1,,,frob,"ok",""'; } > "$TMP/cmp3.csv"
run 1 "$D" bench --from-csv "$TMP/cmp3.csv"
has "line 2: not a" "$TMP/err"
end read_compare_csv

begin
if command -v gnuplot >/dev/null; then
	run 0 "$D" bench --from-csv "$TMP/cmp.csv" --png "$TMP/cmp.png"
	if [ "$(head -c 4 "$TMP/cmp.png" | od -An -tx1 | tr -d ' \n')" != "89504e47" ]; then
		bad "$TMP/cmp.png is not a PNG"
	fi
	has "Wrote the chart to $TMP/cmp.png" "$TMP/out"
	end draw_compare_png
else
	skip draw_compare_png "gnuplot is not installed"
fi

begin
if [ $nodes = yes ]; then
	# The fake heaps refuse every allocation (ENOTTY): a failed run with
	# a full table, memset measured, and the pool ceiling left as it was.
	P=$TMP/pools/sys
	mkdir -p "$P/class/dmaheap/system" "$P/module/dmaheap_system/parameters"
	echo 0 > "$P/class/dmaheap/system/pool_bytes"
	echo 12345 > "$P/module/dmaheap_system/parameters/pool_bytes_max"
	run 1 env DMAHEAP_SYSFS_DIR="$P/class/dmaheap" "$(dirname "$D")/dmaheap-bench" \
		--compare system/system-uncached --sizes 4K,8K --iterations 2 --rounds 1 \
		--hold 64K --csv "$TMP/fake.csv"
	has "^system  *cold  *-  *-$" "$TMP/out"
	has "^memset  *sustained  *[0-9.]* MiB/s  *[0-9.]* MiB/s$" "$TMP/out"
	has "^system/system-uncached  *steady  *-  *-$" "$TMP/out"
	has "^system, cold, 4 KiB: error: ENOTTY$" "$TMP/out"
	has "^system: pools emptied for every cold sample$" "$TMP/out"
	has "^system-uncached: no pools (no pool_bytes)" "$TMP/out"
	[ "$(cat "$P/module/dmaheap_system/parameters/pool_bytes_max")" = 12345 ] ||
		bad "the pool ceiling was not put back"
	[ "$(head -n 1 "$TMP/fake.csv")" = "$C" ] || bad "CSV header: $(head -n 1 "$TMP/fake.csv")"
	# 3 modes x 2 sizes x 2 heaps, every memset figure above 0.
	[ "$(wc -l < "$TMP/fake.csv")" -eq 13 ] || bad "bench wrote $(wc -l < "$TMP/fake.csv") CSV lines, not 13"
	awk -F, 'NR > 1 && !($14 > 0) { bad = 1 } END { exit bad }' "$TMP/fake.csv" ||
		bad "a memset figure is not above 0"
	awk -F, 'NR > 1 && $1 == "sustained" && !($15 > 0) { bad = 1 } END { exit bad }' "$TMP/fake.csv" ||
		bad "a sustained memset MiB/s is not above 0"
	# Without the ceiling: said so, and cold samples are taken anyway.
	rm "$P/module/dmaheap_system/parameters/pool_bytes_max"
	run 1 env DMAHEAP_SYSFS_DIR="$P/class/dmaheap" "$D" bench \
		--compare system/system-uncached --sizes 4K --iterations 1 --mode cold
	has "cannot control the pool ceiling $P/module/dmaheap_system/parameters/pool_bytes_max" "$TMP/err"
	has "^system: the pool ceiling could not be changed" "$TMP/out"
	end run_compare_on_fake_heaps
else
	skip run_compare_on_fake_heaps "mknod needs root"
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
