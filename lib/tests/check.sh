#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
# Host checks of the built library as a user gets it: exported symbols,
# soname, "make install" with DESTDIR, pkg-config, the installed header as C
# and C++, and the README example built through pkg-config.
#
# Environment (set by lib/Makefile): TOP, OUT, CC, CXX, VERSION.
set -u

: "${TOP:?}" "${OUT:?}" "${CC:=cc}" "${CXX:=c++}" "${VERSION:?}"
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/dmaheap-check.XXXXXX)
trap 'rm -rf "$TMP"' EXIT INT TERM

n=0 pass=0 fail=0 skip=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"; }
skip() { n=$((n + 1)); skip=$((skip + 1)); echo "ok $n $1 # SKIP $2"; }
diag() { sed 's/^/# /' "$@"; }

echo "TAP version 13"

# --- exported symbols: exactly the map's list, each at its version node -------
awk '/^DMAHEAP_[0-9.]+ *\{/ { node = $1 }
	/^[[:space:]]*dmaheap_[a-z0-9_]*;$/ { sub(/^[[:space:]]*/, ""); sub(/;$/, "");
		print $0 "@@" node }' "$SRCDIR/libdmaheap.map" | sort > "$TMP/want.sym"
nm -D --defined-only "$OUT/libdmaheap.so.1" | awk '$2 != "A" { print $3 }' |
	sort > "$TMP/got.sym"
if [ -s "$TMP/want.sym" ] && cmp -s "$TMP/want.sym" "$TMP/got.sym"; then
	ok export_versioned_symbols
else
	diff "$TMP/want.sym" "$TMP/got.sym" | diag
	not_ok export_versioned_symbols
fi

# --- the Debian symbols file lists the same symbols at the same nodes ---------
# (dpkg-gensymbols -c4 checks it again when the package is built.)
if [ -f "$TOP/debian/libdmaheap1.symbols" ]; then
	sed -n 's/^ \(dmaheap_[a-z0-9_]*\)@\(DMAHEAP_[0-9.]*\) .*/\1@@\2/p' \
		"$TOP/debian/libdmaheap1.symbols" | sort > "$TMP/deb.sym"
	if [ -s "$TMP/deb.sym" ] && cmp -s "$TMP/want.sym" "$TMP/deb.sym"; then
		ok debian_symbols_match_map
	else
		diff "$TMP/want.sym" "$TMP/deb.sym" | diag
		not_ok debian_symbols_match_map
	fi
else
	skip debian_symbols_match_map "no debian/libdmaheap1.symbols"
fi

# --- soname carries the major version ---------------------------------------
if readelf -d "$OUT/libdmaheap.so.1" | grep -q 'SONAME.*\[libdmaheap\.so\.1\]'; then
	ok check_soname
else
	readelf -d "$OUT/libdmaheap.so.1" | diag
	not_ok check_soname
fi

# --- make install with DESTDIR and PREFIX -------------------------------------
DEST="$TMP/dest"
if make -s -C "$SRCDIR" install DESTDIR="$DEST" PREFIX=/opt/dmh >"$TMP/install.log" 2>&1 &&
	[ -f "$DEST/opt/dmh/lib/libdmaheap.so.1.1.0" ] &&
	[ -L "$DEST/opt/dmh/lib/libdmaheap.so.1" ] &&
	[ -L "$DEST/opt/dmh/lib/libdmaheap.so" ] &&
	[ -f "$DEST/opt/dmh/lib/libdmaheap.a" ] &&
	[ -f "$DEST/opt/dmh/include/dmaheap.h" ] &&
	[ -f "$DEST/opt/dmh/lib/pkgconfig/libdmaheap.pc" ]; then
	ok install_destdir
else
	diag "$TMP/install.log"
	find "$DEST" | diag
	not_ok install_destdir
fi

# --- pkg-config on the installed tree ----------------------------------------
PC="env PKG_CONFIG_PATH=$DEST/opt/dmh/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$DEST pkg-config"
libs=$(echo $($PC --libs libdmaheap 2>&1))
cflags=$(echo $($PC --cflags libdmaheap 2>&1))
modversion=$($PC --modversion libdmaheap 2>&1)
if [ "$libs" = "-L$DEST/opt/dmh/lib -ldmaheap" ] &&
	[ "$cflags" = "-I$DEST/opt/dmh/include" ] && [ "$modversion" = "$VERSION" ]; then
	ok pkgconfig_installed
else
	echo "# libs='$libs' cflags='$cflags' version='$modversion'"
	not_ok pkgconfig_installed
fi

# --- the installed header alone compiles as C and C++ -------------------------
cat > "$TMP/use.c" <<'EOF'
#include <dmaheap.h>
#include <stdlib.h>
int use(void);
int use(void)
{
	struct dmaheap_ctx *ctx;
	struct dmaheap_info info;
	struct dmaheap_limits limits;
	struct dmaheap_user_usage usage, *users;
	size_t n;
	int fd;

	if (dmaheap_ctx_new(&ctx))
		return -1;
	fd = dmaheap_alloc(ctx, "system", 4096, O_RDWR | DMAHEAP_FD_NO_CLOEXEC);
	if (dmaheap_heap_info(ctx, "system", &info) == 0)
		dmaheap_info_clear(&info);
	if (dmaheap_limits(ctx, &limits) == 0 && (limits.known & DMAHEAP_LIMITS_USER_QUOTA) &&
	    dmaheap_user_usage(ctx, 1000, &usage) == 0 && usage.bytes > limits.user_quota_bytes)
		fd = -1;
	if (dmaheap_users(ctx, &users, &n) == 0)
		free(users);
	dmaheap_ctx_free(ctx);
	return fd < 0 ? fd : dmaheap_buf_begin(fd, DMAHEAP_ACCESS_RW);
}
EOF
cp "$TMP/use.c" "$TMP/use.cc"
INC=$($PC --cflags libdmaheap)
if $CC -std=c99 -pedantic -Wall -Wextra -Werror $INC -c "$TMP/use.c" \
	-o "$TMP/use-c.o" 2>"$TMP/c.log"; then
	ok compile_header_c
else
	diag "$TMP/c.log"
	not_ok compile_header_c
fi
if $CXX -std=c++11 -pedantic -Wall -Wextra -Werror $INC -c "$TMP/use.cc" \
	-o "$TMP/use-cc.o" 2>"$TMP/cc.log"; then
	ok compile_header_cxx
else
	diag "$TMP/cc.log"
	not_ok compile_header_cxx
fi

# --- the example, built through pkg-config, linked to the shared library -----
# It runs for real in the VM (tests/lib_example); here it must either work
# (a host with heaps) or fail cleanly saying why.
run_hello() { # name bin libdir
	if ! $CC -O2 -Wall -Wextra -Werror $4 -o "$2" "$TOP/examples/hello.c" $5 \
		2>"$TMP/hello.log"; then
		diag "$TMP/hello.log"
		not_ok "$1"
		return
	fi
	if ! LD_LIBRARY_PATH=$3 ldd "$2" | grep -q "libdmaheap.so.1 => $3"; then
		LD_LIBRARY_PATH=$3 ldd "$2" | diag
		not_ok "$1"
		return
	fi
	LD_LIBRARY_PATH=$3 "$2" >"$TMP/hello.out" 2>&1
	rc=$?
	if [ -c /dev/dma_heap/system ] && [ -w /dev/dma_heap/system ]; then
		want="hello from heap '[a-z-]*': 1048576 bytes"
		[ $rc -eq 0 ] && grep -qx "$want" "$TMP/hello.out"
	else
		want="hello: no buffer: No such file or directory"
		[ $rc -eq 1 ] && grep -qx "$want" "$TMP/hello.out"
	fi
	if [ $? -eq 0 ]; then
		ok "$1"
	else
		echo "# exit status $rc, wanted output: $want"
		diag "$TMP/hello.out"
		not_ok "$1"
	fi
}
run_hello build_example_installed "$TMP/hello-inst" "$DEST/opt/dmh/lib" \
	"$($PC --cflags libdmaheap)" "$($PC --libs libdmaheap)"
UPC="env PKG_CONFIG_PATH=$OUT/pkgconfig pkg-config"
run_hello build_example_uninstalled "$TMP/hello-tree" "$OUT" \
	"$($UPC --cflags libdmaheap)" "$($UPC --libs libdmaheap)"

# --- the README quotes the example as it is -----------------------------------
if [ ! -f "$TOP/README.md" ]; then
	skip readme_quotes_example "no README.md yet"
else
	# Every fenced C block of the README, one file each.
	awk -v dir="$TMP" '
		/^```c[[:space:]]*$/ { n++; f = dir "/block" n; inb = 1; next }
		/^```/ && inb { inb = 0; close(f); next }
		inb { print > f }' "$TOP/README.md"
	tail -n +3 "$TOP/examples/hello.c" > "$TMP/hello.body"
	found=no
	for b in "$TMP"/block*; do
		[ -f "$b" ] || continue
		if cmp -s "$b" "$TOP/examples/hello.c" || cmp -s "$b" "$TMP/hello.body"; then
			found=yes
		fi
	done
	if [ $found = yes ]; then
		ok readme_quotes_example
	else
		echo "# README.md has no \`\`\`c block equal to examples/hello.c"
		not_ok readme_quotes_example
	fi
fi

echo "1..$n"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
