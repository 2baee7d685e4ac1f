/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmaheap: strict parsers for sysfs files and module parameters.
 *
 * Sizes are decimal with an optional binary suffix K, M, G or T (either
 * case); anything else, a value that does not fit in 64 bits, or a missing
 * number is -EINVAL.  A leading zero does not mean octal.
 */
#ifndef _DMAHEAP_PARSE_H
#define _DMAHEAP_PARSE_H

#include <linux/types.h>

/* dmaheap_parse_bytes() flags */
#define DMAHEAP_PARSE_HEX	(1U << 0)	/* a 0x prefix reads hexadecimal */

int dmaheap_parse_bytes(const char *s, const char **end, unsigned int flags,
			u64 *val);
int dmaheap_parse_size(const char *buf, u64 *val);
int dmaheap_parse_list(const char *list, char sep,
		       int (*fn)(char *item, unsigned int index, void *data),
		       void *data);

#endif /* _DMAHEAP_PARSE_H */
