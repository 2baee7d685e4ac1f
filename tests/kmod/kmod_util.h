/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the test-only importer modules (edu_importer,
 * dmaheap_inspect): mapping an attachment the way the running kernel wants
 * it done.
 */
#ifndef _DMAHEAP_TESTS_KMOD_UTIL_H
#define _DMAHEAP_TESTS_KMOD_UTIL_H

#include <linux/dma-buf.h>

#include <dmaheap/compat.h>

/*
 * Importers that do not hold the reservation lock call the _unlocked
 * variants (6.2+); before that the plain calls were them.
 */
static inline struct sg_table *
kmod_map_attachment(struct dma_buf_attachment *attach,
		    enum dma_data_direction dir)
{
#ifdef HAVE_DMA_BUF_MAP_ATTACHMENT_UNLOCKED
	return dma_buf_map_attachment_unlocked(attach, dir);
#else
	return dma_buf_map_attachment(attach, dir);
#endif
}

static inline void kmod_unmap_attachment(struct dma_buf_attachment *attach,
					 struct sg_table *sgt,
					 enum dma_data_direction dir)
{
#ifdef HAVE_DMA_BUF_MAP_ATTACHMENT_UNLOCKED
	dma_buf_unmap_attachment_unlocked(attach, sgt, dir);
#else
	dma_buf_unmap_attachment(attach, sgt, dir);
#endif
}

#endif /* _DMAHEAP_TESTS_KMOD_UTIL_H */
