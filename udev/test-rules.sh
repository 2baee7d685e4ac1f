#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Host test of udev/60-dmaheap.rules: the file parses as udev rules (every
# line a comment or comma-separated KEY op "value" pairs with known keys and
# operators), udevadm accepts it where it can check a file, the rule opens
# exactly the device class that kernel/ registers (and nothing else, so the
# simple-allocator misc nodes stay root-only), and "make install" puts it
# where udev reads it, honouring DESTDIR and PREFIX.  TAP output.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
rules="$top/udev/60-dmaheap.rules"
tmp=$(mktemp -d /tmp/dmaheap-udev-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

n=0 pass=0 fail=0 skip=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"; }
skip() { n=$((n + 1)); skip=$((skip + 1)); echo "ok $n $1 # SKIP $2"; }
diag() { sed 's/^/# /' "$@"; }

echo "TAP version 13"

# --- parse: one "RULE<TAB>KEY<TAB>OP<TAB>VALUE" line per pair into $tmp/pairs,
# complaints into $tmp/errors.  Match keys take == and !=; assignment keys
# take =, += , -= and :=; a few keys are both (see udev(7)).
awk -v pairs="$tmp/pairs" '
BEGIN {
	split("ACTION DEVPATH KERNEL KERNELS SUBSYSTEM SUBSYSTEMS DRIVER " \
	      "DRIVERS ATTRS TAGS TEST PROGRAM RESULT CONST", m)
	for (i in m) match_only[m[i]] = 1
	split("OWNER GROUP MODE LABEL GOTO OPTIONS RUN SECLABEL", a)
	for (i in a) assign_only[a[i]] = 1
	split("NAME SYMLINK ATTR SYSCTL ENV TAG IMPORT", b)
	for (i in b) both[b[i]] = 1
	rule = 0
}
function err(msg) { printf "line %d: %s: %s\n", FNR, msg, $0; bad = 1 }
/^[ \t]*(#.*)?$/ { next }
{
	rule++
	rest = $0
	while (1) {
		if (!match(rest, /^[ \t]*[A-Z_]+(\{[^{}"]*\})?[ \t]*(==|!=|\+=|-=|:=|=)[ \t]*"[^"]*"[ \t]*/)) {
			err("not KEY op \"value\" at \"" rest "\"")
			break
		}
		pair = substr(rest, 1, RLENGTH)
		rest = substr(rest, RLENGTH + 1)
		match(pair, /[A-Z_]+/)
		key = substr(pair, RSTART, RLENGTH)
		match(pair, /(==|!=|\+=|-=|:=|=)/)
		op = substr(pair, RSTART, RLENGTH)
		match(pair, /"[^"]*"/)
		value = substr(pair, RSTART + 1, RLENGTH - 2)
		if (!(key in match_only) && !(key in assign_only) && !(key in both))
			err("unknown key " key)
		else if ((key in match_only) && op != "==" && op != "!=")
			err(key " only matches (== or !=), not " op)
		else if ((key in assign_only) && (op == "==" || op == "!="))
			err(key " is only assigned, not matched with " op)
		printf "%d\t%s\t%s\t%s\n", rule, key, op, value > pairs
		if (rest == "")
			break
		if (substr(rest, 1, 1) != ",") {
			err("pairs must be separated by commas")
			break
		}
		rest = substr(rest, 2)
		if (rest ~ /^[ \t]*$/) {
			err("trailing comma")
			break
		}
	}
}
END { exit bad }' "$rules" >"$tmp/errors" 2>&1
if [ $? -eq 0 ] && [ -s "$tmp/pairs" ]; then
	ok rules_well_formed
else
	[ -s "$tmp/pairs" ] || echo "no rule in $rules" >>"$tmp/errors"
	diag "$tmp/errors"
	not_ok rules_well_formed
fi

# --- udevadm verify (systemd 254 and later) checks a rules file offline.
if command -v udevadm >/dev/null 2>&1 && udevadm verify --help >/dev/null 2>&1; then
	if udevadm verify "$rules" >"$tmp/verify" 2>&1; then
		ok udevadm_verify
	else
		diag "$tmp/verify"
		not_ok udevadm_verify
	fi
elif command -v udevadm >/dev/null 2>&1; then
	skip udevadm_verify "this udevadm has no 'verify' (systemd before 254)"
else
	skip udevadm_verify "udevadm is not installed"
fi

# --- the class the core registers, read from kernel/: the .name of a
# "struct class X = { ... }" initializer, or a class_create() argument.
class=$(find "$top/kernel" -name '*.c' -exec awk '
	/struct class [A-Za-z0-9_]+ = \{/ { in_class = 1 }
	in_class && /\.name[ \t]*=[ \t]*"/ {
		s = $0; sub(/^[^"]*"/, "", s); sub(/".*/, "", s); print s
	}
	in_class && /\}/ { in_class = 0 }
	/class_create\(.*"[^"]*"\)/ {
		s = $0; sub(/^.*class_create\([^"]*"/, "", s); sub(/".*/, "", s); print s
	}' {} + | sort -u)
if [ -z "$class" ] || [ "$(echo "$class" | wc -l)" -ne 1 ]; then
	echo "# expected one device class in kernel/*.c, found: ${class:-none}"
	not_ok rule_opens_core_class
else
	# The rule matching SUBSYSTEM=="<class>" sets group, mode and uaccess.
	r=$(awk -F '\t' -v c="$class" '$2 == "SUBSYSTEM" && $3 == "==" && $4 == c { print $1 }' \
		"$tmp/pairs" 2>/dev/null | head -n 1)
	got=
	[ -n "$r" ] && got=$(awk -F '\t' -v r="$r" '$1 == r && $3 != "==" && $3 != "!=" {
		print $2 $3 "\"" $4 "\"" }' "$tmp/pairs" | sort | tr '\n' ' ')
	want='GROUP="video" MODE="0660" TAG+="uaccess" '
	if [ "$got" = "$want" ]; then
		ok rule_opens_core_class
	else
		echo "# class $class: rule ${r:-none} assigns '$got', expected '$want'"
		not_ok rule_opens_core_class
	fi
fi

# --- nothing else is opened: every rule that assigns something matches the
# core's class by SUBSYSTEM, so misc devices (the simple-allocator nodes,
# kept 0600 by their module) are untouched.
others=$(awk -F '\t' -v c="$class" '
	$2 == "SUBSYSTEM" && $3 == "==" && $4 == c { matched[$1] = 1 }
	$3 != "==" && $3 != "!=" { assigns[$1] = 1 }
	END { for (r in assigns) if (!(r in matched)) print r }' "$tmp/pairs" 2>/dev/null)
if [ -n "$class" ] && [ -s "$tmp/pairs" ] && [ -z "$others" ] &&
   ! grep -q '	SUBSYSTEM	==	misc$' "$tmp/pairs"; then
	ok rule_leaves_other_devices
else
	echo "# rules assigning without matching SUBSYSTEM==\"$class\": ${others:-none}"
	not_ok rule_leaves_other_devices
fi

# --- make install: PREFIX=/usr gives the packaged place, the default PREFIX
# its /usr/local twin; DESTDIR is honoured.
bad=
for prefix in /usr /usr/local; do
	dest="$tmp/dest$(echo "$prefix" | tr / _)"
	if ! make -s -C "$top" install DESTDIR="$dest" PREFIX="$prefix" \
		>"$tmp/install.log" 2>&1; then
		diag "$tmp/install.log"
		bad="$bad make-install-PREFIX=$prefix"
	elif ! cmp -s "$rules" "$dest$prefix/lib/udev/rules.d/60-dmaheap.rules"; then
		find "$dest" -name '*.rules' | diag
		bad="$bad no-rule-under-$prefix/lib/udev/rules.d"
	fi
done
if [ -z "$bad" ]; then
	ok install_rule_destdir
else
	echo "# failed:$bad"
	not_ok install_rule_destdir
fi

echo "1..$n"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
