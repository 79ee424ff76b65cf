/* SPDX-License-Identifier: MIT */
#include "ctl/ctl_table.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void table_init(struct table *t, unsigned int ncols,
		const char *const *head, const char *align)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->head = head;
	t->align = align;
}

void table_cell(struct table *t, const char *fmt, ...)
{
	char *cell = NULL;
	va_list ap;

	if (t->ncells == t->cap) {
		unsigned int cap = t->cap ? t->cap * 2 : 64;
		char **p = realloc(t->cells, cap * sizeof(*p));

		if (!p)
			return;
		t->cells = p;
		t->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&cell, fmt, ap) < 0)
		cell = NULL;
	va_end(ap);
	t->cells[t->ncells++] = cell;
}

static void print_row(const struct table *t, const char *const *cells,
		      const size_t *w, FILE *out)
{
	for (unsigned int c = 0; c < t->ncols; c++) {
		const char *s = cells[c] ? cells[c] : "";
		bool last = c + 1 == t->ncols;

		if (t->align[c] == 'r')
			fprintf(out, "%*s", (int)w[c], s);
		else if (last)
			fputs(s, out); /* no trailing blanks */
		else
			fprintf(out, "%-*s", (int)w[c], s);
		fputs(last ? "\n" : "  ", out);
	}
}

void table_print(const struct table *t, FILE *out)
{
	size_t *w = calloc(t->ncols, sizeof(*w));

	if (!w)
		return;
	for (unsigned int c = 0; c < t->ncols; c++)
		w[c] = strlen(t->head[c]);
	for (unsigned int i = 0; i < t->ncells; i++) {
		size_t n = t->cells[i] ? strlen(t->cells[i]) : 0;

		if (n > w[i % t->ncols])
			w[i % t->ncols] = n;
	}
	print_row(t, t->head, w, out);
	for (unsigned int i = 0; i + t->ncols <= t->ncells; i += t->ncols)
		print_row(t, (const char *const *)t->cells + i, w, out);
	free(w);
}

void table_free(struct table *t)
{
	for (unsigned int i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
