/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/report.h"

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);

	if (!p) {
		fprintf(stderr, "vmio tune: out of memory\n");
		exit(2);
	}
	return p;
}

char *tune_strdup(const char *s)
{
	char *p;

	if (!s)
		return NULL;
	p = strdup(s);
	if (!p) {
		fprintf(stderr, "vmio tune: out of memory\n");
		exit(2);
	}
	return p;
}

char *tune_vasprintf(const char *fmt, va_list ap)
{
	char *p;

	if (vasprintf(&p, fmt, ap) < 0) {
		fprintf(stderr, "vmio tune: out of memory\n");
		exit(2);
	}
	return p;
}

char *tune_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = tune_vasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void report_init(struct tune_report *r)
{
	memset(r, 0, sizeof(*r));
	r->tail = &r->head;
	r->passed_tail = &r->passed;
}

static void free_edits(struct tune_edit *e)
{
	while (e) {
		struct tune_edit *next = e->next;

		free(e->path);
		free(e->attr);
		free(e->value);
		free(e);
		e = next;
	}
}

void report_free(struct tune_report *r)
{
	struct tune_finding *f = r->head;
	struct tune_passed *p = r->passed;

	while (f) {
		struct tune_finding *next = f->next;

		free(f->object);
		free(f->observed);
		free(f->where);
		free(f->recommend);
		free(f->fix);
		free_edits(f->edits);
		free(f);
		f = next;
	}
	while (p) {
		struct tune_passed *next = p->next;

		free(p);
		p = next;
	}
	report_init(r);
}

struct tune_finding *report_add(struct tune_report *r, const char *id,
				const char *title, enum tune_sev sev,
				struct tune_dom *dom, const char *object)
{
	struct tune_finding *f = xcalloc(1, sizeof(*f));

	f->id = id;
	f->title = title;
	f->sev = sev;
	f->dom = dom;
	f->object = tune_strdup(object);
	f->edit_tail = &f->edits;
	*r->tail = f;
	r->tail = &f->next;
	r->count[sev]++;
	return f;
}

void report_pass(struct tune_report *r, const char *id, const char *title)
{
	struct tune_passed *p = xcalloc(1, sizeof(*p));

	p->id = id;
	p->title = title;
	*r->passed_tail = p;
	r->passed_tail = &p->next;
}

/* 0 clean (info only), 1 warnings, 2 errors: the contract scripts use. */
int report_exit_code(const struct tune_report *r)
{
	if (r->count[TUNE_ERROR])
		return 2;
	return r->count[TUNE_WARN] ? 1 : 0;
}

const char *tune_sev_name(enum tune_sev sev)
{
	static const char *const names[] = { "skip", "info", "warn", "error" };

	return sev < TUNE_NSEV ? names[sev] : "?";
}

#define FINDING_SETTER(field)                                                  \
	void finding_##field(struct tune_finding *f, const char *fmt, ...)     \
	{                                                                      \
		va_list ap;                                                    \
		free(f->field);                                                \
		va_start(ap, fmt);                                             \
		f->field = tune_vasprintf(fmt, ap);                            \
		va_end(ap);                                                    \
	}

FINDING_SETTER(observed)
FINDING_SETTER(where)
FINDING_SETTER(recommend)
FINDING_SETTER(fix)

static void add_edit(struct tune_finding *f, enum edit_op op, xmlNodePtr base,
		     const char *path, const char *attr, const char *value)
{
	struct tune_edit *e = xcalloc(1, sizeof(*e));

	e->op = op;
	e->base = base;
	e->path = tune_strdup(path);
	e->attr = tune_strdup(attr);
	e->value = tune_strdup(value);
	*f->edit_tail = e;
	f->edit_tail = &e->next;
}

void edit_set_attr(struct tune_finding *f, xmlNodePtr base, const char *path,
		   const char *attr, const char *value)
{
	add_edit(f, EDIT_SET_ATTR, base, path, attr, value);
}

void edit_del_attr(struct tune_finding *f, xmlNodePtr base, const char *path,
		   const char *attr)
{
	add_edit(f, EDIT_DEL_ATTR, base, path, attr, NULL);
}

void edit_set_text(struct tune_finding *f, xmlNodePtr base, const char *path,
		   const char *text)
{
	add_edit(f, EDIT_SET_TEXT, base, path, NULL, text);
}

void edit_del_node(struct tune_finding *f, xmlNodePtr node)
{
	add_edit(f, EDIT_DEL_NODE, node, NULL, NULL, NULL);
}
