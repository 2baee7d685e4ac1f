// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap: strict parsers for sysfs files and module parameters, shared by
 * the core and every heap, so that "16E", "010" or "12junk" mean the same
 * thing (an error, ten, an error) wherever a size is written.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <dmaheap/compat.h>
#include <dmaheap/parse.h>

static unsigned int dmaheap_suffix_shift(char c)
{
	switch (tolower(c)) {
	case 'k':
		return 10;
	case 'm':
		return 20;
	case 'g':
		return 30;
	case 't':
		return 40;
	default:
		return 0;
	}
}

/**
 * dmaheap_parse_bytes() - read a size in bytes
 * @s: the text
 * @end: where to store a pointer past the size (the caller checks what
 *	follows), or NULL when the size must be all of @s but for one
 *	trailing newline (as sysfs writes arrive)
 * @flags: DMAHEAP_PARSE_HEX to read a 0x-prefixed hexadecimal number
 * @val: the result
 *
 * Digits (decimal, or hexadecimal after 0x with DMAHEAP_PARSE_HEX), then
 * optionally one of the binary suffixes K, M, G, T in either case.  No sign,
 * no spaces, no octal.
 *
 * Return: 0, or -EINVAL for no digits, junk, or a value over 2^64 - 1.
 */
int dmaheap_parse_bytes(const char *s, const char **end, unsigned int flags,
			u64 *val)
{
	unsigned int base = 10, shift;
	const char *p = s;
	bool digits = false;
	u64 v = 0;

	if ((flags & DMAHEAP_PARSE_HEX) && p[0] == '0' && tolower(p[1]) == 'x') {
		base = 16;
		p += 2;
	}
	for (;; p++) {
		unsigned int d;

		if (isdigit(*p))
			d = *p - '0';
		else if (base == 16 && isxdigit(*p))
			d = tolower(*p) - 'a' + 10;
		else
			break;
		if (check_mul_overflow(v, (u64)base, &v) ||
		    check_add_overflow(v, (u64)d, &v))
			return -EINVAL;
		digits = true;
	}
	if (!digits)
		return -EINVAL;
	shift = dmaheap_suffix_shift(*p);
	if (shift) {
		if (v > (U64_MAX >> shift))
			return -EINVAL;
		v <<= shift;
		p++;
	}
	if (end)
		*end = p;
	else if (*p && !(*p == '\n' && !p[1]))
		return -EINVAL;
	*val = v;
	return 0;
}
DMAHEAP_EXPORT(dmaheap_parse_bytes);

/**
 * dmaheap_parse_size() - read a sysfs size: decimal, optional suffix
 * @buf: what was written, with at most one trailing newline
 * @val: the result
 *
 * Return: 0 or -EINVAL.
 */
int dmaheap_parse_size(const char *buf, u64 *val)
{
	return dmaheap_parse_bytes(buf, NULL, 0, val);
}
DMAHEAP_EXPORT(dmaheap_parse_size);

/**
 * dmaheap_parse_list() - call a function for each item of a list parameter
 * @list: items separated by @sep; empty items are skipped; NULL is empty
 * @sep: the separator
 * @fn: called with a writable copy of each item (valid during the call),
 *	its index among the non-empty items, and @data; non-zero stops
 * @data: passed to @fn
 *
 * Return: 0, -ENOMEM, or the first non-zero value @fn returned.
 */
int dmaheap_parse_list(const char *list, char sep,
		       int (*fn)(char *item, unsigned int index, void *data),
		       void *data)
{
	const char seps[2] = { sep, '\0' };
	unsigned int index = 0;
	char *copy, *cur, *item;
	int ret = 0;

	if (!list)
		return 0;
	copy = kstrdup(list, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	cur = copy;
	while ((item = strsep(&cur, seps))) {
		if (!*item)
			continue;
		ret = fn(item, index++, data);
		if (ret)
			break;
	}
	kfree(copy);
	return ret;
}
DMAHEAP_EXPORT(dmaheap_parse_list);
