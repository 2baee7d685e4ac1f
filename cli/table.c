// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap command: aligned text tables.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void table_init(struct table *t, size_t ncols, const char *const *head,
		unsigned int right)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->head = head;
	t->right = right;
}

int table_add_cells(struct table *t, const char *const *cells)
{
	char **row;
	size_t i;

	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;

		row = realloc(t->cells, cap * t->ncols * sizeof(*row));
		if (!row)
			return -1;
		t->cells = row;
		t->cap = cap;
	}
	row = t->cells + t->nrows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		row[i] = strdup(cells[i] ? cells[i] : "");
		if (!row[i]) {
			while (i--)
				free(row[i]);
			return -1;
		}
	}
	t->nrows++;
	return 0;
}

int table_add(struct table *t, ...)
{
	const char *cells[32];
	va_list ap;
	size_t i;

	if (t->ncols > ARRAY_SIZE(cells))
		return -1;
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++)
		cells[i] = va_arg(ap, const char *);
	va_end(ap);
	return table_add_cells(t, cells);
}

static void print_row(const struct table *t, FILE *f, const size_t *width,
		      const char *const *cells)
{
	char line[1024];
	size_t i, len = 0;

	for (i = 0; i < t->ncols && len < sizeof(line); i++) {
		bool last = i + 1 == t->ncols;
		int w = (int)width[i];

		if (t->right & (1U << i))
			len += (size_t)snprintf(line + len, sizeof(line) - len, "%*s%s",
						w, cells[i], last ? "" : "  ");
		else
			len += (size_t)snprintf(line + len, sizeof(line) - len, "%-*s%s",
						last ? 0 : w, cells[i], last ? "" : "  ");
	}
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	while (len > 0 && line[len - 1] == ' ')
		len--;
	line[len] = '\0';
	fprintf(f, "%s\n", line);
}

void table_print(const struct table *t, FILE *f)
{
	size_t width[32] = { 0 }, i, r, len;

	for (i = 0; i < t->ncols && i < ARRAY_SIZE(width); i++) {
		width[i] = strlen(t->head[i]);
		for (r = 0; r < t->nrows; r++) {
			len = strlen(t->cells[r * t->ncols + i]);
			if (len > width[i])
				width[i] = len;
		}
	}
	print_row(t, f, width, t->head);
	for (r = 0; r < t->nrows; r++)
		print_row(t, f, width, (const char *const *)t->cells + r * t->ncols);
}

void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
