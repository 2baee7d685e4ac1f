/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * edu_importer: ioctl interface of the test-only dma-buf importer for qemu's
 * edu PCI device (tests/kmod/edu_importer.c).  Shared by the module and the
 * in-VM tests under tests/device/.
 *
 * Each edu device gets a node /dev/edu-importer<N>.  A process opens it and:
 *
 *   ATTACH  hands over a dma-buf fd; the driver takes its own reference on
 *           the dma-buf, attaches the PCI device and returns a handle.  The
 *           fd may be closed right away: the buffer lives until DETACH.
 *   MAP     maps the attachment for the device and reports the mapping: the
 *           DMA segments (address, length) as the device sees them.
 *   DMA     lets the device's DMA engine copy between its own buffer and
 *           any byte range of the mapped dma-buf, either way.
 *   UNMAP   ends the mapping.
 *   DETACH  unmaps if needed, detaches and drops the driver's reference.
 *
 * DEV_WRITE and DEV_READ load and read back the device's own buffer (through
 * a DMA-coherent bounce page of the driver), so a test can check what the
 * device read from, or will write to, a dma-buf.
 *
 * Closing the node releases every attachment the file still holds.  All
 * structures have fixed sizes; fields named "pad" must be zero.
 *
 * Errors (errno):
 *   ENOTTY     unknown ioctl
 *   EINVAL     non-zero pad, unknown direction, zero or too long length,
 *              range outside the dma-buf or the device buffer, MAP of a
 *              mapped attachment, UNMAP or DMA of an unmapped one, DMA in a
 *              direction the mapping does not allow, fd not a dma-buf
 *   EBADF      ATTACH of something that is not an open fd
 *   ENOENT     unknown handle
 *   ENOSPC     EDU_IMPORTER_MAX_ATTACHMENTS reached on this file
 *   EIO        MAP: the exporter cannot map the buffer for the device;
 *              dmaheap's exporter refuses so a buffer with pages beyond the
 *              device's 28-bit DMA mask when no IOMMU translates
 *   ENOMEM     MAP: no room for the buffer in the device's IO virtual
 *              address space (with an IOMMU), or no memory
 *   ERANGE     MAP: the DMA layer returned a segment beyond the device's
 *              DMA mask (a safety net: the mapping is undone and the device
 *              never sees it)
 *   other      MAP: whatever else the exporter or the DMA layer returned
 *   ETIMEDOUT  the DMA engine did not finish in time; the device is then
 *              treated as broken and further DMA returns EIO
 *   ENODEV     the PCI device was removed
 */
#ifndef _EDU_IMPORTER_UAPI_H
#define _EDU_IMPORTER_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * Usable bytes of the device's own DMA buffer, and the longest transfer.
 * The device has 4096, but qemu up to at least 7.2 treats a transfer that
 * ends at the buffer's last byte as out of bounds (an off-by-one fixed in
 * later releases) and aborts the whole machine, so the last byte is never
 * used.
 */
#define EDU_IMPORTER_DEV_BUF_SIZE	4095

/* Attachments one open file may hold at once. */
#define EDU_IMPORTER_MAX_ATTACHMENTS	64

/* struct edu_importer_info::flags */
/* DMA goes through a translating IOMMU domain (DMA addresses are IOVAs). */
#define EDU_IMPORTER_INFO_TRANSLATED	(1U << 0)
/*
 * The DMA layer bounces every mapping through swiotlb (swiotlb=force): DMA
 * addresses are bounce slots, and CPU access syncs copy.
 */
#define EDU_IMPORTER_INFO_BOUNCED	(1U << 1)

/**
 * struct edu_importer_info - EDU_IMPORTER_IOC_INFO (all fields out)
 * @dma_mask:	   The device's streaming DMA mask.
 * @dev_buf_size:  Usable bytes of the device's own buffer
 *		   (EDU_IMPORTER_DEV_BUF_SIZE).
 * @flags:	   EDU_IMPORTER_INFO_* flags.
 * @max_seg_size:  Longest DMA segment the driver lets the DMA layer build.
 * @pad:	   Zero.
 */
struct edu_importer_info {
	__u64 dma_mask;
	__u32 dev_buf_size;
	__u32 flags;
	__u32 max_seg_size;
	__u32 pad;
};

/**
 * struct edu_importer_attach - EDU_IMPORTER_IOC_ATTACH
 * @fd:		In: a dma-buf fd.
 * @handle:	Out: handle for the other ioctls (never 0).
 * @size:	Out: size of the dma-buf in bytes.
 */
struct edu_importer_attach {
	__s32 fd;
	__u32 handle;
	__u64 size;
};

/* Directions, as the DMA API sees them from the dma-buf's side. */
#define EDU_IMPORTER_DIR_BIDIRECTIONAL	0	/* MAP only */
#define EDU_IMPORTER_DIR_TO_DEVICE	1	/* the device reads the dma-buf */
#define EDU_IMPORTER_DIR_FROM_DEVICE	2	/* the device writes the dma-buf */

/**
 * struct edu_importer_segment - one DMA segment of a mapping
 * @addr:	Address the device uses (bus address or IOVA).
 * @len:	Length in bytes.
 */
struct edu_importer_segment {
	__u64 addr;
	__u64 len;
};

/**
 * struct edu_importer_map - EDU_IMPORTER_IOC_MAP
 * @handle:	In: attachment handle.
 * @dir:	In: EDU_IMPORTER_DIR_*; DMA is allowed only in this direction
 *		(both for BIDIRECTIONAL).
 * @segs:	In: user pointer to an array of @max_segs segments, or 0.
 * @max_segs:	In: entries at @segs.
 * @nsegs:	Out: number of DMA segments of the mapping; the first
 *		min(@nsegs, @max_segs) are copied to @segs in buffer order.
 * @mapped_len:	Out: sum of the segment lengths.
 */
struct edu_importer_map {
	__u32 handle;
	__u32 dir;
	__u64 segs;
	__u32 max_segs;
	__u32 nsegs;
	__u64 mapped_len;
};

/**
 * struct edu_importer_handle - EDU_IMPORTER_IOC_UNMAP and _DETACH
 * @handle:	In: attachment handle.
 * @pad:	Zero.
 */
struct edu_importer_handle {
	__u32 handle;
	__u32 pad;
};

/**
 * struct edu_importer_dma - EDU_IMPORTER_IOC_DMA
 * @handle:	In: handle of a mapped attachment.
 * @dir:	In: EDU_IMPORTER_DIR_TO_DEVICE copies dma-buf bytes
 *		[@offset, @offset + @len) into the device buffer at
 *		@dev_offset; EDU_IMPORTER_DIR_FROM_DEVICE copies the other way.
 * @offset:	In: byte offset in the dma-buf (any alignment).
 * @len:	In: 1..EDU_IMPORTER_DEV_BUF_SIZE bytes.
 * @dev_offset:	In: byte offset in the device buffer; @dev_offset + @len
 *		must not exceed EDU_IMPORTER_DEV_BUF_SIZE.
 * @transfers:	Out: engine transfers used (one per DMA segment touched).
 * @pad:	Zero.
 */
struct edu_importer_dma {
	__u32 handle;
	__u32 dir;
	__u64 offset;
	__u32 len;
	__u32 dev_offset;
	__u32 transfers;
	__u32 pad;
};

/**
 * struct edu_importer_devbuf - EDU_IMPORTER_IOC_DEV_WRITE and _DEV_READ
 * @data:	In: user pointer to @len bytes (source for DEV_WRITE,
 *		destination for DEV_READ).
 * @offset:	In: byte offset in the device buffer.
 * @len:	In: 1..EDU_IMPORTER_DEV_BUF_SIZE - @offset bytes.
 */
struct edu_importer_devbuf {
	__u64 data;
	__u32 offset;
	__u32 len;
};

#define EDU_IMPORTER_IOC_MAGIC	0xED

#define EDU_IMPORTER_IOC_INFO \
	_IOR(EDU_IMPORTER_IOC_MAGIC, 0, struct edu_importer_info)
#define EDU_IMPORTER_IOC_ATTACH \
	_IOWR(EDU_IMPORTER_IOC_MAGIC, 1, struct edu_importer_attach)
#define EDU_IMPORTER_IOC_MAP \
	_IOWR(EDU_IMPORTER_IOC_MAGIC, 2, struct edu_importer_map)
#define EDU_IMPORTER_IOC_UNMAP \
	_IOW(EDU_IMPORTER_IOC_MAGIC, 3, struct edu_importer_handle)
#define EDU_IMPORTER_IOC_DMA \
	_IOWR(EDU_IMPORTER_IOC_MAGIC, 4, struct edu_importer_dma)
#define EDU_IMPORTER_IOC_DETACH \
	_IOW(EDU_IMPORTER_IOC_MAGIC, 5, struct edu_importer_handle)
#define EDU_IMPORTER_IOC_DEV_WRITE \
	_IOW(EDU_IMPORTER_IOC_MAGIC, 6, struct edu_importer_devbuf)
#define EDU_IMPORTER_IOC_DEV_READ \
	_IOW(EDU_IMPORTER_IOC_MAGIC, 7, struct edu_importer_devbuf)

#endif /* _EDU_IMPORTER_UAPI_H */
