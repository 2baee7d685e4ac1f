/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmaheap: what a device's DMA setup says about the addresses it uses.
 *
 * Shared by the exporter and by the test-only importers, which must agree
 * on when a device sees IO virtual addresses rather than bus addresses.
 */
#ifndef _DMAHEAP_DMA_H
#define _DMAHEAP_DMA_H

#include <linux/device.h>
#include <linux/iommu.h>

/**
 * dmaheap_dev_translated() - does an IOMMU translate the device's DMA?
 * @dev: the device
 *
 * Behind a translating (paging) IOMMU domain the device reaches any page
 * the domain maps; otherwise it sees bus addresses and its DMA mask limits
 * it (and the DMA layer may bounce through swiotlb).
 *
 * Return: true if the device's default domain translates.
 */
static inline bool dmaheap_dev_translated(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	return domain && (domain->type & __IOMMU_DOMAIN_PAGING);
}

#endif /* _DMAHEAP_DMA_H */
