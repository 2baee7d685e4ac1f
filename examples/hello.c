// SPDX-License-Identifier: MIT
/* Allocate 1 MiB from the best heap there is, write to it, read it back. */
#include <dmaheap.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	const char *const prefer[] = { "system-uncached", "system", NULL };
	struct dmaheap_ctx *ctx;
	int heap = -1, buf = -1, err;
	size_t i, len;
	char *p;

	err = dmaheap_ctx_new(&ctx);
	if (!err && (err = heap = dmaheap_open_first(ctx, prefer, &i)) >= 0 &&
	    (err = buf = dmaheap_alloc_fd(heap, 1 << 20, O_RDWR)) >= 0)
		err = dmaheap_buf_map(buf, PROT_READ | PROT_WRITE, (void **)&p, &len);
	if (err < 0)
		return fprintf(stderr, "hello: no buffer: %s\n", strerror(-err)), 1;
	dmaheap_buf_begin(buf, DMAHEAP_ACCESS_RW);
	snprintf(p, len, "hello from heap '%s'", prefer[i]);
	dmaheap_buf_end(buf, DMAHEAP_ACCESS_RW);
	printf("%s: %zu bytes\n", p, len);
	dmaheap_buf_unmap(p, len);
	close(buf);
	dmaheap_ctx_free(ctx);
	return 0;
}
