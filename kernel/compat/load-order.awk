# SPDX-License-Identifier: GPL-2.0
#
# Turn kernel/load-order into the load order for one kernel.
#
#   awk -f load-order.awk AUTO_CONF LOAD_ORDER...
#
# A line is "file.ko [params...]".  It may start with conditions on the
# target kernel's configuration, each "CONFIG_X" or "!CONFIG_X": the line is
# kept only when every CONFIG_X is (or is not) set to y or m in AUTO_CONF
# (the kernel's include/config/auto.conf).  Comments (#) and blank lines are
# dropped.
FNR == NR {
	if ($0 ~ /^CONFIG_[A-Za-z0-9_]+=[ym]$/) {
		split($0, kv, "=")
		set[kv[1]] = 1
	}
	next
}
{ sub(/#.*/, "") }
NF == 0 { next }
{
	while ($1 ~ /^!?CONFIG_/) {
		sym = $1
		neg = sub(/^!/, "", sym)
		if ((sym in set) == neg)
			next
		$1 = ""
		sub(/^ +/, "")
	}
	print
}
