#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
# Run the host test programs given as arguments (each a command line), show
# their TAP output, and end with one summary line adding up their
# "N passed, N failed[, N skipped]" lines.  A program that fails without a
# failing count (a crash, a sanitizer report, no summary) counts as one
# failure.  Exits non-zero if anything failed.
set -u
total_p=0 total_f=0 total_s=0
out=$(mktemp /tmp/dmaheap-run-all.XXXXXX)
trap 'rm -f "$out"' EXIT INT TERM

for cmd in "$@"; do
	echo "# --- $cmd"
	sh -c "$cmd" >"$out" 2>&1
	rc=$?
	cat "$out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$out" | tail -n 1)
	p=0 f=0 s=0
	if [ -n "$line" ]; then
		p=$(echo "$line" | sed 's/^\([0-9]*\) passed.*/\1/')
		f=$(echo "$line" | sed 's/^[0-9]* passed, \([0-9]*\) failed.*/\1/')
		case $line in *skipped) s=$(echo "$line" | sed 's/.* \([0-9]*\) skipped$/\1/') ;; esac
	fi
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "# '$cmd' exited $rc without a failing test: counted as one failure"
		f=1
	fi
	total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
done
echo "$total_p passed, $total_f failed, $total_s skipped"
[ $total_f -eq 0 ]
