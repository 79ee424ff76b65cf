/* SPDX-License-Identifier: MIT */
/* Findings: what one rule saw about one object, what to do, and (for
 * domain rules) the XML edits that --write-xml applies. */
#ifndef VMIO_TUNE_REPORT_H
#define VMIO_TUNE_REPORT_H

#include <stdbool.h>
#include <libxml/tree.h>

enum tune_sev { TUNE_SKIP = 0, TUNE_INFO, TUNE_WARN, TUNE_ERROR, TUNE_NSEV };

enum edit_op { EDIT_SET_ATTR, EDIT_DEL_ATTR, EDIT_SET_TEXT, EDIT_DEL_NODE };

/* An edit names an element (base), an optional element path below it that
 * is created when missing ("driver", "numatune/memory"), and what to do. */
struct tune_edit {
	enum edit_op op;
	xmlNodePtr base;
	char *path;
	char *attr;
	char *value;
	struct tune_edit *next;
};

struct tune_dom;

struct tune_finding {
	const char *id;
	const char *title;
	enum tune_sev sev;
	char *object;
	char *observed;
	char *where;
	char *recommend;
	char *fix;
	struct tune_dom *dom;
	struct tune_edit *edits;
	struct tune_edit **edit_tail;
	struct tune_finding *next;
};

struct tune_passed {
	const char *id;
	const char *title;
	struct tune_passed *next;
};

struct tune_report {
	struct tune_finding *head;
	struct tune_finding **tail;
	struct tune_passed *passed;
	struct tune_passed **passed_tail;
	int count[TUNE_NSEV];
};

void report_init(struct tune_report *r);
void report_free(struct tune_report *r);
struct tune_finding *report_add(struct tune_report *r, const char *id,
				const char *title, enum tune_sev sev,
				struct tune_dom *dom, const char *object);
void report_pass(struct tune_report *r, const char *id, const char *title);
int report_exit_code(const struct tune_report *r);
const char *tune_sev_name(enum tune_sev sev);

void finding_observed(struct tune_finding *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void finding_where(struct tune_finding *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void finding_recommend(struct tune_finding *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void finding_fix(struct tune_finding *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void edit_set_attr(struct tune_finding *f, xmlNodePtr base, const char *path,
		   const char *attr, const char *value);
void edit_del_attr(struct tune_finding *f, xmlNodePtr base, const char *path,
		   const char *attr);
void edit_set_text(struct tune_finding *f, xmlNodePtr base, const char *path,
		   const char *text);
void edit_del_node(struct tune_finding *f, xmlNodePtr node);

/* Out-of-memory in a short-lived CLI: say so and stop. */
char *tune_strdup(const char *s);
char *tune_vasprintf(const char *fmt, va_list ap);
char *tune_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
