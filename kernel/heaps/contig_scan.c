// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap contiguous heap: find runs of pageblocks that alloc_contig_range()
 * could empty by migration.
 *
 * The walk goes through the zones a long-lived unmovable buffer may come
 * from (not ZONE_MOVABLE), from the top of memory down (each zone from its end), so that low
 * memory, which devices with small DMA masks need, is offered last.  It
 * yields maximal runs [start, end) of pageblocks whose every page frame is
 * free or movable.  Reads are racy by nature; alloc_contig_range() has the
 * final word.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/page-flags.h>
#include <linux/pageblock-flags.h>
#include <linux/sched.h>

#include "contig_scan.h"

/*
 * Zones walked, top first.  Never ZONE_MOVABLE: its pages must stay
 * movable so that the memory can be offlined (virtio-mem, hot-unplug,
 * movablecore=), and a buffer pins its pages for as long as it lives.
 */
static const enum zone_type contig_scan_zones[] = {
	ZONE_NORMAL,
#ifdef CONFIG_ZONE_DMA32
	ZONE_DMA32,
#endif
};

/*
 * Could alloc_contig_range() take this page frame?  The same tests the
 * kernel applies when it isolates a pageblock: free pages and pages on an
 * LRU list or otherwise movable qualify; reserved, hugetlb, offline and
 * other in-use pages (slab, page tables, other drivers' pages, our own
 * buffers) do not.  *@next is set past the frames this answer covers.
 */
static bool contig_pfn_movable(struct zone *zone, unsigned long pfn,
			       unsigned long *next)
{
	struct page *page = pfn_to_online_page(pfn), *head;

	*next = pfn + 1;
	if (!page || page_zone(page) != zone || PageReserved(page))
		return false;
	if (PageCompound(page)) {
		if (PageHuge(page))
			return false;
		head = compound_head(page);
		if (!PageLRU(head) && !__PageMovable(head))
			return false;
		*next = page_to_pfn(head) + compound_nr(head);
		return true;
	}
	if (!page_ref_count(page)) {
		/* A free block's order sits in page_private(). */
		if (PageBuddy(page) && page_private(page) < BITS_PER_LONG)
			*next = pfn + (1UL << page_private(page));
		return true;
	}
	return PageLRU(page) || __PageMovable(page);
}

static bool contig_pageblock_movable(struct zone *zone, unsigned long start)
{
	unsigned long end = start + pageblock_nr_pages;
	unsigned long pfn = start, next;

	while (pfn < end) {
		if (!contig_pfn_movable(zone, pfn, &next))
			return false;
		/* Racy orders can be anything: never skip backwards. */
		pfn = max(next, pfn + 1);
	}
	return true;
}

/* Is there a pageblock below s->pfn in the zone, and is it movable? */
static bool contig_scan_below(struct contig_scan *s, bool *movable)
{
	if (s->pfn < s->first + pageblock_nr_pages)
		return false;
	cond_resched();
	*movable = contig_pageblock_movable(s->zone,
					    s->pfn - pageblock_nr_pages);
	return true;
}

/* Move to the next zone in the walk (the next node's first after the last). */
static void contig_scan_next_zone(struct contig_scan *s)
{
	s->zone = NULL;
	if (++s->zi < ARRAY_SIZE(contig_scan_zones))
		return;
	s->zi = 0;
	s->nid = next_online_node(s->nid);
}

/**
 * contig_scan_start() - start a walk
 * @s: the walk's state
 */
void contig_scan_start(struct contig_scan *s)
{
	s->nid = first_online_node;
	s->zi = 0;
	s->zone = NULL;
}

/**
 * contig_scan_next() - the next run of movable pageblocks
 * @s: the walk's state
 * @start: first page frame of the run
 * @end: one past its last page frame
 *
 * May sleep.
 *
 * Return: false once the walk is over.
 */
bool contig_scan_next(struct contig_scan *s, unsigned long *start,
		      unsigned long *end)
{
	bool movable;

	while (s->nid < MAX_NUMNODES) {
		if (!s->zone) {
			struct zone *zone = &NODE_DATA(s->nid)->node_zones[
				contig_scan_zones[s->zi]];

			if (!populated_zone(zone)) {
				contig_scan_next_zone(s);
				continue;
			}
			s->zone = zone;
			s->first = ALIGN(zone->zone_start_pfn,
					 pageblock_nr_pages);
			s->pfn = ALIGN_DOWN(zone_end_pfn(zone),
					    pageblock_nr_pages);
		}
		/* Skip down to the top of a run, then down to its bottom. */
		while (contig_scan_below(s, &movable) && !movable)
			s->pfn -= pageblock_nr_pages;
		if (s->pfn < s->first + pageblock_nr_pages) {
			contig_scan_next_zone(s);
			continue;
		}
		*end = s->pfn;
		while (contig_scan_below(s, &movable) && movable)
			s->pfn -= pageblock_nr_pages;
		*start = s->pfn;
		/* The block below the run (if any) is known not to move. */
		if (s->pfn >= s->first + pageblock_nr_pages)
			s->pfn -= pageblock_nr_pages;
		return true;
	}
	return false;
}
