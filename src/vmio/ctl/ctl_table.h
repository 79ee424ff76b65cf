/* SPDX-License-Identifier: MIT */
/* Tables for people: columns as wide as their widest cell. */
#ifndef VMIO_CTL_TABLE_H
#define VMIO_CTL_TABLE_H

#include <stdio.h>

struct table {
	unsigned int ncols, ncells, cap;
	const char *const *head;
	const char *align; /* one 'l' or 'r' per column */
	char **cells;
};

void table_init(struct table *t, unsigned int ncols,
		const char *const *head, const char *align);
/* Adds the next cell (rows fill left to right, ncols per row). */
void table_cell(struct table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void table_print(const struct table *t, FILE *out);
void table_free(struct table *t);

#endif
