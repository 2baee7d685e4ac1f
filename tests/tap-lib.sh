# SPDX-License-Identifier: GPL-2.0
# tap-lib.sh - TAP helpers for the in-VM cli_*.sh tests (busybox sh).
# Sourced, not run: it is installed next to them without the executable
# bit, and its name does not match run-tests' cli_*.sh.
#
#   begin                  start a case
#   bad MESSAGE            print "# MESSAGE"; the current case fails
#   end NAME               "ok N NAME" or "not ok N NAME"
#   skip NAME REASON       "ok N NAME # SKIP REASON"
#   run STATUS CMD...      run CMD, stdout and stderr into $TMP/out; bad
#                          unless it exits with STATUS
#   has PATTERN            bad unless $TMP/out has a line matching PATTERN
#   tap_done               print the plan and "N passed, N failed, N skipped";
#                          returns 1 if any case failed
#
# The sourcing script sets TMP to a scratch directory before using run/has.

n=0 pass=0 fail=0 skip=0
failed=0
begin() { failed=0; }
bad() { echo "# $*"; failed=1; }
end() {
	n=$((n + 1))
	if [ $failed -eq 0 ]; then pass=$((pass + 1)); echo "ok $n $1"
	else fail=$((fail + 1)); echo "not ok $n $1"; fi
}
skip() { n=$((n + 1)); skip=$((skip + 1)); echo "ok $n $1 # SKIP $2"; }
run() {
	want=$1
	shift
	"$@" >"$TMP/out" 2>&1
	rc=$?
	if [ $rc -ne "$want" ]; then
		bad "'$*' exited $rc, expected $want"
		sed 's/^/#   /' "$TMP/out"
	fi
}
has() { grep -q -- "$1" "$TMP/out" || { bad "output lacks '$1'"; sed 's/^/#   /' "$TMP/out"; }; }
tap_done() {
	echo "1..$n"
	echo "$pass passed, $fail failed, $skip skipped"
	[ $fail -eq 0 ]
}
