/* SPDX-License-Identifier: MIT */
/* Edits keep the document's own layout: new elements are indented like
 * their siblings, so a diff against the input shows only the fixes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/xmlsave.h>

#include "tune/xml_edit.h"

#define MAX_GRAVE 256

static void indent_of(xmlNodePtr n, char *out, size_t len)
{
	xmlNodePtr t = n ? n->prev : NULL;
	const char *nl;

	out[0] = '\0';
	if (!t || t->type != XML_TEXT_NODE || !t->content)
		return;
	nl = strrchr((const char *)t->content, '\n');
	if (nl)
		snprintf(out, len, "%s", nl + 1);
}

static bool is_blank(xmlNodePtr n)
{
	return n && n->type == XML_TEXT_NODE && xmlIsBlankNode(n);
}

static xmlNodePtr add_child(xmlNodePtr parent, const char *name)
{
	char pind[128], cind[160], buf[200];
	xmlNodePtr child = xmlNewNode(NULL, (const xmlChar *)name);
	xmlNodePtr last = parent->last;

	if (!child)
		return NULL;
	indent_of(parent, pind, sizeof(pind));
	snprintf(cind, sizeof(cind), "%s  ", pind);
	snprintf(buf, sizeof(buf), "\n%s", cind);
	/* Element first: libxml2 merges a text node added next to another
	 * text node, which would swallow the new line before the child. */
	if (is_blank(last)) {
		xmlAddPrevSibling(last, child);
		xmlAddPrevSibling(child, xmlNewText((const xmlChar *)buf));
		return child;
	}
	xmlAddChild(parent, xmlNewText((const xmlChar *)buf));
	xmlAddChild(parent, child);
	snprintf(buf, sizeof(buf), "\n%s", pind);
	xmlAddChild(parent, xmlNewText((const xmlChar *)buf));
	return child;
}

/* One path step: "name" or "name[@attr='value']". */
static int parse_step(const char *step, char *name, char *attr, char *val)
{
	attr[0] = val[0] = '\0';
	if (sscanf(step, "%63[^[][@%63[^=]='%127[^']']", name, attr, val) < 1)
		return -EINVAL;
	return 0;
}

static xmlNodePtr find_step(xmlNodePtr parent, const char *name,
			    const char *attr, const char *val)
{
	for (xmlNodePtr c = parent->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE ||
		    strcmp((const char *)c->name, name))
			continue;
		if (!attr[0] || dom_attr_is(c, attr, val))
			return c;
	}
	return NULL;
}

static xmlNodePtr walk(xmlNodePtr base, const char *path, bool create)
{
	char copy[512], *save, *step;
	xmlNodePtr n = base;

	if (!path)
		return base;
	snprintf(copy, sizeof(copy), "%s", path);
	for (step = strtok_r(copy, "/", &save); step && n;
	     step = strtok_r(NULL, "/", &save)) {
		char name[64], attr[64], val[128];
		xmlNodePtr next;

		if (parse_step(step, name, attr, val))
			return NULL;
		next = find_step(n, name, attr, val);
		if (!next && create) {
			next = add_child(n, name);
			if (next && attr[0])
				xmlSetProp(next, (const xmlChar *)attr,
					   (const xmlChar *)val);
		}
		n = next;
	}
	return n;
}

static void del_node(xmlNodePtr n, xmlNodePtr *grave, int *ngrave)
{
	if (!n->parent || *ngrave >= MAX_GRAVE)
		return;
	if (is_blank(n->prev)) {
		xmlNodePtr t = n->prev;

		xmlUnlinkNode(t);
		xmlFreeNode(t);
	}
	xmlUnlinkNode(n);
	grave[(*ngrave)++] = n;
}

static int apply_one(const struct tune_edit *e, xmlNodePtr *grave,
		     int *ngrave)
{
	xmlNodePtr n;

	if (e->op == EDIT_DEL_NODE) {
		del_node(e->base, grave, ngrave);
		return 1;
	}
	/* A base that an earlier edit removed is gone with its subtree. */
	for (n = e->base; n && n->type != XML_DOCUMENT_NODE; n = n->parent)
		if (!n->parent)
			return 0;
	n = walk(e->base, e->path, e->op != EDIT_DEL_ATTR);
	if (!n)
		return 0;
	if (e->op == EDIT_SET_ATTR)
		xmlSetProp(n, (const xmlChar *)e->attr,
			   (const xmlChar *)e->value);
	else if (e->op == EDIT_DEL_ATTR)
		xmlUnsetProp(n, (const xmlChar *)e->attr);
	else if (e->value)
		xmlNodeSetContent(n, (const xmlChar *)e->value);
	return 1;
}

/* Apply every edit the report holds for d; returns how many applied. */
int xml_edit_apply(struct tune_dom *d, const struct tune_report *r)
{
	xmlNodePtr grave[MAX_GRAVE];
	int ngrave = 0, n = 0;

	for (const struct tune_finding *f = r->head; f; f = f->next) {
		if (f->dom != d || f->sev == TUNE_SKIP)
			continue;
		for (const struct tune_edit *e = f->edits; e; e = e->next)
			n += apply_one(e, grave, &ngrave);
	}
	for (int i = 0; i < ngrave; i++)
		xmlFreeNode(grave[i]);
	return n;
}

int xml_edit_write(struct tune_dom *d, const char *path)
{
	xmlSaveCtxtPtr s = xmlSaveToFilename(path, "UTF-8", XML_SAVE_NO_DECL);
	int ret;

	if (!s)
		return -EIO;
	ret = xmlSaveDoc(s, d->doc);
	if (xmlSaveClose(s) < 0 || ret < 0)
		return -EIO;
	return 0;
}
