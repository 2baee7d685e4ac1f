/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmaheap contiguous heap: a walk over system memory for runs of pageblocks
 * that migration could empty (contig_scan.c).
 */
#ifndef _DMAHEAP_CONTIG_SCAN_H
#define _DMAHEAP_CONTIG_SCAN_H

#include <linux/types.h>

struct zone;

/**
 * struct contig_scan - position of a walk over movable pageblock runs
 * @nid:	Node being walked; MAX_NUMNODES once the walk is over.
 * @zi:		Index of the zone being walked in the walk's zone list.
 * @zone:	That zone, or NULL before its walk has started.
 * @first:	Its lowest whole pageblock.
 * @pfn:	The walk continues with the pageblock below this frame.
 */
struct contig_scan {
	int nid;
	unsigned int zi;
	struct zone *zone;
	unsigned long first;
	unsigned long pfn;
};

void contig_scan_start(struct contig_scan *s);
bool contig_scan_next(struct contig_scan *s, unsigned long *start,
		      unsigned long *end);

#endif /* _DMAHEAP_CONTIG_SCAN_H */
