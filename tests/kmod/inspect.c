// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap_inspect: a test-only window into dma-bufs (see dmaheap_inspect.h).
 *
 * Not loaded by default and not meant for production systems: the heap
 * tests load it when they need to prove a property userspace cannot see,
 * such as physical contiguity or the cache type of a mapping.  It only uses
 * the importer side of the dma-buf API, so it works on any exporter; the
 * cache-type queries read x86 or arm64 page tables and fail with
 * -EOPNOTSUPP elsewhere.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/capability.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/iosys-map.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pgtable.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <dmaheap/compat.h>

#include "dmaheap_inspect.h"
#include "kmod_util.h"

/* The device that attaches to buffers: DMA-capable, never translated. */
static struct platform_device *inspect_pdev;

/* Attach, map and report ----------------------------------------------------- */

/**
 * struct inspect_mapping - a dma-buf mapped for the inspector's device
 * @dmabuf:	The buffer, with a reference held.
 * @attach:	The attachment of inspect_pdev.
 * @sgt:	The mapped table.
 */
struct inspect_mapping {
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
};

static int inspect_map(int fd, struct inspect_mapping *m)
{
	int ret;

	m->dmabuf = dma_buf_get(fd);
	if (IS_ERR(m->dmabuf))
		return PTR_ERR(m->dmabuf);
	m->attach = dma_buf_attach(m->dmabuf, &inspect_pdev->dev);
	if (IS_ERR(m->attach)) {
		ret = PTR_ERR(m->attach);
		goto put_dmabuf;
	}
	m->sgt = kmod_map_attachment(m->attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(m->sgt)) {
		ret = PTR_ERR(m->sgt);
		goto detach;
	}
	return 0;

detach:
	dma_buf_detach(m->dmabuf, m->attach);
put_dmabuf:
	dma_buf_put(m->dmabuf);
	return ret;
}

static void inspect_unmap(struct inspect_mapping *m)
{
	kmod_unmap_attachment(m->attach, m->sgt, DMA_BIDIRECTIONAL);
	dma_buf_detach(m->dmabuf, m->attach);
	dma_buf_put(m->dmabuf);
}

/* Write segment @idx to userspace if the caller made room for it. */
static int inspect_emit(struct dmaheap_inspect_segment __user *out, u32 max,
			u32 idx, const struct dmaheap_inspect_segment *seg)
{
	if (idx >= max)
		return 0;
	return copy_to_user(&out[idx], seg, sizeof(*seg)) ? -EFAULT : 0;
}

static long inspect_segments(void __user *uarg)
{
	struct dmaheap_inspect_segments arg;
	struct dmaheap_inspect_segment seg = { 0 };
	struct dmaheap_inspect_segment __user *out;
	struct inspect_mapping m;
	struct scatterlist *sg;
	unsigned int i;
	u32 count = 0;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags)
		return -EINVAL;
	out = u64_to_user_ptr(arg.segs);
	ret = inspect_map(arg.fd, &m);
	if (ret)
		return ret;

	/* Walk the CPU entries; the DMA side matches them while i < nents. */
	for_each_sgtable_sg(m.sgt, sg, i) {
		u64 phys = sg_page(sg) ? page_to_phys(sg_page(sg)) + sg->offset :
			   ~0ULL;
		u64 dma = i < m.sgt->nents ? sg_dma_address(sg) : ~0ULL;

		if (count && phys != ~0ULL && seg.phys + seg.len == phys &&
		    seg.dma + seg.len == dma) {
			seg.len += sg->length;
			continue;
		}
		if (count) {
			ret = inspect_emit(out, arg.max, count - 1, &seg);
			if (ret)
				goto unmap;
		}
		seg.phys = phys;
		seg.dma = dma;
		seg.len = sg->length;
		count++;
	}
	if (count) {
		ret = inspect_emit(out, arg.max, count - 1, &seg);
		if (ret)
			goto unmap;
	}
	arg.count = count;
	arg.size = m.dmabuf->size;
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
unmap:
	inspect_unmap(&m);
	return ret;
}

/* Importer habits ------------------------------------------------------------ */

/*
 * Take and drop a reference on every page of the mapped sg_table, as an
 * importer that pins pages (or inserts them into a user mapping) does.  On
 * an exporter whose high-order tail pages have no count of their own, the
 * put frees a page the buffer still owns.
 */
static long inspect_pageref(void __user *uarg)
{
	struct dmaheap_inspect_pages arg;
	struct sg_page_iter piter;
	struct inspect_mapping m;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags)
		return -EINVAL;
	ret = inspect_map(arg.fd, &m);
	if (ret)
		return ret;
	arg.pages = 0;
	for_each_sgtable_page(m.sgt, &piter, 0) {
		struct page *page = sg_page_iter_page(&piter);

		get_page(page);
		put_page(page);
		arg.pages++;
	}
	inspect_unmap(&m);
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

/* A device that cannot do DMA: no DMA mask at all. */
static struct platform_device *inspect_nomask_pdev;

static long inspect_nomask(void __user *uarg)
{
	struct dmaheap_inspect_nomask arg;
	struct dma_buf_attachment *attach;
	struct dma_buf *dmabuf;
	struct sg_table *sgt;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags)
		return -EINVAL;
	dmabuf = dma_buf_get(arg.fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	arg.map = 0;
	attach = dma_buf_attach(dmabuf, &inspect_nomask_pdev->dev);
	arg.attach = PTR_ERR_OR_ZERO(attach);
	if (!arg.attach) {
		sgt = kmod_map_attachment(attach, DMA_TO_DEVICE);
		arg.map = PTR_ERR_OR_ZERO(sgt);
		if (!arg.map)
			kmod_unmap_attachment(attach, sgt, DMA_TO_DEVICE);
		dma_buf_detach(dmabuf, attach);
	}
	dma_buf_put(dmabuf);
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

/* Cache types (x86, arm64) ----------------------------------------------------- */

#if defined(CONFIG_X86) || (defined(CONFIG_ARM64) && !defined(CONFIG_ARM64_PA_BITS_52))

/*
 * The entry that maps @addr below the top-level entry @pgd (of a user or
 * the kernel's page table), in *@val; *@large says it maps more than a
 * page.  Both architectures keep their page tables in the linear mapping,
 * so the kernel's helpers reach user tables too (pte_offset_map() is not
 * exported everywhere).  False if nothing maps @addr.
 */
static bool inspect_walk(pgd_t *pgd, unsigned long addr, u64 *val,
			 bool *large)
{
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;

	*large = true;
	if (pgd_none(*pgd))
		return false;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d))
		return false;
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud))
		return false;
	if (pud_leaf(*pud)) {
		*val = pud_val(*pud);
		return true;
	}
	pmd = pmd_offset(pud, addr);
	if (pmd_none(*pmd))
		return false;
	if (pmd_leaf(*pmd)) {
		*val = pmd_val(*pmd);
		return true;
	}
	*large = false;
	*val = pte_val(ptep_get(pte_offset_kernel(pmd, addr)));
	return true;
}

#ifdef CONFIG_X86
static u32 inspect_bits_type(pgprotval_t bits)
{
	static const struct {
		enum page_cache_mode pcm;
		u32 type;
	} modes[] = {
		{ _PAGE_CACHE_MODE_WB, DMAHEAP_CACHE_WB },
		{ _PAGE_CACHE_MODE_WC, DMAHEAP_CACHE_WC },
		{ _PAGE_CACHE_MODE_UC_MINUS, DMAHEAP_CACHE_UC_MINUS },
		{ _PAGE_CACHE_MODE_UC, DMAHEAP_CACHE_UC },
		{ _PAGE_CACHE_MODE_WT, DMAHEAP_CACHE_WT },
		{ _PAGE_CACHE_MODE_WP, DMAHEAP_CACHE_WP },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(modes); i++)
		if ((cachemode2protval(modes[i].pcm) & _PAGE_CACHE_MASK) == bits)
			return modes[i].type;
	return DMAHEAP_CACHE_UNKNOWN;
}

/* Type of a page table entry (large entries keep PAT elsewhere). */
static u32 inspect_entry_type(u64 val, bool large)
{
	if (!(val & _PAGE_PRESENT))
		return DMAHEAP_CACHE_NONE;
	if (large)
		val = protval_large_2_4k(val);
	return inspect_bits_type(val & _PAGE_CACHE_MASK);
}

static u32 inspect_kernel_type(unsigned long addr)
{
	unsigned int level;
	pte_t *pte = lookup_address(addr, &level);
	u64 val;

	if (!pte)
		return DMAHEAP_CACHE_NONE;
	val = pte_val(*pte);
	/*
	 * With debug_pagealloc (the debug kernel) a free page's linear
	 * mapping is only hidden: its entry loses _PAGE_PRESENT and
	 * _PAGE_RW and keeps its cache bits, which it has again when the
	 * page is next allocated.  Those bits are the type asked for.
	 */
	if (debug_pagealloc_enabled() && level == PG_LEVEL_4K &&
	    !(val & _PAGE_PRESENT) && pte_pfn(*pte))
		val |= _PAGE_PRESENT;
	return inspect_entry_type(val, level != PG_LEVEL_4K);
}
#else
/*
 * Type of an arm64 descriptor (page or block): its AttrIndx field picks one
 * of the attributes the kernel put in MAIR_EL1, by the kernel's fixed index
 * (MT_*): Normal write-back (tagged or not), Normal Non-cacheable (what
 * pgprot_writecombine() gives), or Device memory.
 */
static u32 inspect_entry_type(u64 val, bool large)
{
	if (!(val & PTE_VALID))
		return DMAHEAP_CACHE_NONE;
	switch (FIELD_GET(PTE_ATTRINDX_MASK, val)) {
	case MT_NORMAL:
	case MT_NORMAL_TAGGED:
		return DMAHEAP_CACHE_WB;
	case MT_NORMAL_NC:
		return DMAHEAP_CACHE_WC;
	case MT_DEVICE_nGnRnE:
	case MT_DEVICE_nGnRE:
		return DMAHEAP_CACHE_UC;
	default:
		return DMAHEAP_CACHE_UNKNOWN;
	}
}

/*
 * Neither init_mm nor swapper_pg_dir is exported, but while the CPU runs
 * the kernel TTBR1_EL1 holds the kernel's page table (with KPTI too: the
 * trampoline table is only there at EL0).  Its base address is in bits
 * 47:1 (48-bit physical addresses; bits 63:48 hold an ASID, bit 0 CnP).
 */
static u32 inspect_kernel_type(unsigned long addr)
{
	pgd_t *pgd = __va(read_sysreg(ttbr1_el1) & GENMASK_ULL(47, 1));
	bool large;
	u64 val;

	if (!inspect_walk(pgd_offset_pgd(pgd, addr), addr, &val, &large))
		return DMAHEAP_CACHE_NONE;
	return inspect_entry_type(val, large);
}
#endif

/*
 * Type of the user mapping at @addr in @mm; the caller holds the mmap lock,
 * under which this VM_PFNMAP mapping's tables stay put.
 */
static u32 inspect_user_type(struct mm_struct *mm, unsigned long addr)
{
	bool large;
	u64 val;

	if (!inspect_walk(pgd_offset(mm, addr), addr, &val, &large))
		return DMAHEAP_CACHE_NONE;
	return inspect_entry_type(val, large);
}

/* Fold one more page's type into *@acc (NONE before the first page). */
static void inspect_fold(u32 *acc, u32 type, bool *first)
{
	if (*first)
		*acc = type;
	else if (*acc != type)
		*acc = DMAHEAP_CACHE_MIXED;
	*first = false;
}

static u32 inspect_linear_pages(struct sg_table *sgt)
{
	struct sg_page_iter piter;
	u32 acc = DMAHEAP_CACHE_NONE;
	bool first = true;

	for_each_sgtable_page(sgt, &piter, 0) {
		struct page *page = sg_page_iter_page(&piter);

		if (PageHighMem(page))
			inspect_fold(&acc, DMAHEAP_CACHE_NONE, &first);
		else
			inspect_fold(&acc, inspect_kernel_type((unsigned long)
						page_address(page)), &first);
	}
	return acc;
}

static int inspect_vmap_type(struct dma_buf *dmabuf, u32 *type)
{
	struct iosys_map map;
	unsigned long off;
	bool first = true;
	int ret;

	/* Newer kernels want the reservation lock held; older ones ignore it. */
	ret = dma_resv_lock(dmabuf->resv, NULL);
	if (ret)
		return ret;
	ret = dma_buf_vmap(dmabuf, &map);
	if (ret)
		goto unlock;
	*type = DMAHEAP_CACHE_NONE;
	if (map.is_iomem) {
		*type = DMAHEAP_CACHE_UNKNOWN;
	} else {
		for (off = 0; off < dmabuf->size; off += PAGE_SIZE)
			inspect_fold(type, inspect_kernel_type((unsigned long)
						map.vaddr + off), &first);
	}
	dma_buf_vunmap(dmabuf, &map);
unlock:
	dma_resv_unlock(dmabuf->resv);
	return ret;
}

static int inspect_user_mapping(struct dma_buf *dmabuf, unsigned long uaddr,
				u32 *type)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	int ret = 0;

	mmap_read_lock(mm);
	vma = find_vma(mm, uaddr);
	/* The address must lie in a mapping of this very buffer. */
	if (!vma || uaddr < vma->vm_start || vma->vm_file != dmabuf->file)
		ret = -EINVAL;
	else
		*type = inspect_user_type(mm, uaddr);
	mmap_read_unlock(mm);
	return ret;
}

static long inspect_caching(void __user *uarg)
{
	struct dmaheap_inspect_caching arg;
	struct inspect_mapping m;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.pad)
		return -EINVAL;
	ret = inspect_map(arg.fd, &m);
	if (ret)
		return ret;

	arg.user = DMAHEAP_CACHE_NONE;
	if (arg.uaddr) {
		ret = inspect_user_mapping(m.dmabuf, arg.uaddr, &arg.user);
		if (ret)
			goto unmap;
	}
	arg.linear = inspect_linear_pages(m.sgt);
	ret = inspect_vmap_type(m.dmabuf, &arg.vmap);
	if (ret)
		goto unmap;
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
unmap:
	inspect_unmap(&m);
	return ret;
}

static long inspect_linear(void __user *uarg)
{
	struct dmaheap_inspect_linear arg;
	unsigned long pfn, end;
	bool first = true;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.pad || !arg.len || arg.len > SZ_1G ||
	    !PAGE_ALIGNED(arg.phys) || !PAGE_ALIGNED(arg.len) ||
	    arg.phys + arg.len < arg.phys)
		return -EINVAL;

	arg.type = DMAHEAP_CACHE_NONE;
	end = PHYS_PFN(arg.phys + arg.len);
	for (pfn = PHYS_PFN(arg.phys); pfn < end; pfn++) {
		struct page *page = pfn_valid(pfn) ? pfn_to_page(pfn) : NULL;

		if (!page || PageHighMem(page))
			inspect_fold(&arg.type, DMAHEAP_CACHE_NONE, &first);
		else
			inspect_fold(&arg.type, inspect_kernel_type((unsigned long)
						page_address(page)), &first);
		cond_resched();
	}
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}
#else /* neither x86 nor arm64 with 48-bit physical addresses */
static long inspect_caching(void __user *uarg)
{
	return -EOPNOTSUPP;
}

static long inspect_linear(void __user *uarg)
{
	return -EOPNOTSUPP;
}
#endif

static long inspect_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	/* Physical addresses are not for everyone. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	switch (cmd) {
	case DMAHEAP_INSPECT_IOC_SEGMENTS:
		return inspect_segments(uarg);
	case DMAHEAP_INSPECT_IOC_CACHING:
		return inspect_caching(uarg);
	case DMAHEAP_INSPECT_IOC_LINEAR:
		return inspect_linear(uarg);
	case DMAHEAP_INSPECT_IOC_PAGEREF:
		return inspect_pageref(uarg);
	case DMAHEAP_INSPECT_IOC_NOMASK:
		return inspect_nomask(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations inspect_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= inspect_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice inspect_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "dmaheap_inspect",
	.fops	= &inspect_fops,
	.mode	= 0600,
};

static int __init inspect_init(void)
{
	int ret;

	inspect_pdev = platform_device_register_simple("dmaheap_inspect",
						       PLATFORM_DEVID_NONE,
						       NULL, 0);
	if (IS_ERR(inspect_pdev))
		return PTR_ERR(inspect_pdev);
	ret = dma_set_mask_and_coherent(&inspect_pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		goto unregister_pdev;
	inspect_nomask_pdev = platform_device_register_simple("dmaheap_inspect_nomask",
							      PLATFORM_DEVID_NONE,
							      NULL, 0);
	if (IS_ERR(inspect_nomask_pdev)) {
		ret = PTR_ERR(inspect_nomask_pdev);
		goto unregister_pdev;
	}
	/* Platform devices get a 32-bit mask by default: take it away. */
	inspect_nomask_pdev->dev.dma_mask = NULL;
	ret = misc_register(&inspect_misc);
	if (ret)
		goto unregister_nomask_pdev;
	return 0;

unregister_nomask_pdev:
	platform_device_unregister(inspect_nomask_pdev);
unregister_pdev:
	platform_device_unregister(inspect_pdev);
	return ret;
}

static void __exit inspect_exit(void)
{
	misc_deregister(&inspect_misc);
	platform_device_unregister(inspect_nomask_pdev);
	platform_device_unregister(inspect_pdev);
}

module_init(inspect_init);
module_exit(inspect_exit);

MODULE_DESCRIPTION("dmaheap test helper: physical layout and cache types of dma-bufs");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMAHEAP_NS(DMA_BUF));
