/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libxml/parser.h>

#include "tune/dom.h"
#include "tune/report.h"

static void parse_error(xmlParserCtxtPtr ctxt, const char *what, char *err,
			size_t errlen)
{
	const xmlError *e = xmlCtxtGetLastError(ctxt);
	size_t n;

	if (!e || !e->message) {
		snprintf(err, errlen, "%s is not well-formed XML", what);
		return;
	}
	snprintf(err, errlen, "%s line %d: %s", what, e->line, e->message);
	n = strlen(err);
	while (n && err[n - 1] == '\n')
		err[--n] = '\0';
}

static xmlDocPtr read_doc(const char *xml, const char *file, char *err,
			  size_t errlen)
{
	const int opts = XML_PARSE_NONET | XML_PARSE_NOERROR |
			 XML_PARSE_NOWARNING;
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	xmlDocPtr doc;

	if (!ctxt) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (xml)
		doc = xmlCtxtReadMemory(ctxt, xml, strlen(xml), file, NULL,
					opts);
	else
		doc = xmlCtxtReadFile(ctxt, file, NULL, opts);
	if (!doc)
		parse_error(ctxt, file, err, errlen);
	xmlFreeParserCtxt(ctxt);
	return doc;
}

unsigned long long dom_scaled_kib(const char *val, const char *unit)
{
	static const struct {
		const char *u;
		double mult;	/* bytes */
	} units[] = {
		{ "b", 1 },	   { "bytes", 1 },	 { "KB", 1e3 },
		{ "k", 1024 },	   { "KiB", 1024 },	 { "MB", 1e6 },
		{ "M", 1 << 20 }, { "MiB", 1 << 20 },	 { "GB", 1e9 },
		{ "G", 1 << 30 }, { "GiB", 1 << 30 },	 { "TB", 1e12 },
		{ "T", 1099511627776.0 }, { "TiB", 1099511627776.0 },
	};
	double mult = 1024;

	if (!val)
		return 0;
	if (unit)
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strcmp(unit, units[i].u))
				mult = units[i].mult;
	return (unsigned long long)(strtod(val, NULL) * mult / 1024);
}

static void load_facts(struct tune_dom *d)
{
	xmlNodePtr n, pins[DOM_MAX_NODES];
	char buf[256], unit[32];
	int npins;

	d->name = tune_strdup(dom_text(dom_node(d, NULL, "/domain/name"), buf,
				       sizeof(buf)) ?: "(unnamed)");
	n = dom_node(d, NULL, "/domain/vcpu");
	d->vcpus = n && dom_text(n, buf, sizeof(buf)) ? atoi(buf) : 1;
	if (d->vcpus < 1)
		d->vcpus = 1;
	n = dom_node(d, NULL, "/domain/memory");
	if (n && dom_text(n, buf, sizeof(buf)))
		d->mem_kib = dom_scaled_kib(buf, dom_attr(n, "unit", unit,
							  sizeof(unit)));
	npins = dom_nodes(d, NULL, "/domain/cputune/vcpupin[@cpuset]", pins,
			  DOM_MAX_NODES);
	cpuset_zero(&d->pins);
	for (int i = 0; i < npins; i++) {
		struct cpuset s;

		if (!cpuset_parse(&s, dom_attr(pins[i], "cpuset", buf,
					       sizeof(buf))))
			cpuset_or(&d->pins, &s);
	}
	d->pinned = npins > 0;
	n = dom_node(d, NULL, "/domain/vcpu[@cpuset]");
	if (!npins && n)
		cpuset_parse(&d->pins, dom_attr(n, "cpuset", buf, sizeof(buf)));
}

/* Parse a domain from a string (xml) or a file; err says why not. */
int dom_parse(const char *xml, const char *file, const char *source,
	      struct tune_dom **out, char *err, size_t errlen)
{
	struct tune_dom *d;
	xmlDocPtr doc = read_doc(xml, file, err, errlen);
	xmlNodePtr root;

	if (!doc)
		return -EINVAL;
	root = xmlDocGetRootElement(doc);
	if (!root || strcmp((const char *)root->name, "domain")) {
		snprintf(err, errlen,
			 "%s: root element is <%s>, not a libvirt <domain>",
			 file, root ? (const char *)root->name : "none");
		xmlFreeDoc(doc);
		return -EINVAL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		xmlFreeDoc(doc);
		return -ENOMEM;
	}
	d->doc = doc;
	d->root = root;
	d->xp = xmlXPathNewContext(doc);
	d->source = tune_strdup(source);
	if (!d->xp) {
		dom_free(d);
		return -ENOMEM;
	}
	load_facts(d);
	*out = d;
	return 0;
}

void dom_free(struct tune_dom *d)
{
	if (!d)
		return;
	xmlXPathFreeContext(d->xp);
	xmlFreeDoc(d->doc);
	free(d->name);
	free(d->source);
	free(d);
}

int dom_nodes(struct tune_dom *d, xmlNodePtr ctx, const char *xpath,
	      xmlNodePtr *out, int max)
{
	xmlXPathObjectPtr o;
	int n = 0;

	d->xp->node = ctx ? ctx : d->root;
	o = xmlXPathEvalExpression((const xmlChar *)xpath, d->xp);
	if (!o)
		return 0;
	if (o->type == XPATH_NODESET && o->nodesetval)
		for (; n < o->nodesetval->nodeNr && n < max; n++)
			out[n] = o->nodesetval->nodeTab[n];
	xmlXPathFreeObject(o);
	return n;
}

xmlNodePtr dom_node(struct tune_dom *d, xmlNodePtr ctx, const char *xpath)
{
	xmlNodePtr n;

	return dom_nodes(d, ctx, xpath, &n, 1) ? n : NULL;
}

int dom_count(struct tune_dom *d, xmlNodePtr ctx, const char *xpath)
{
	xmlNodePtr n[DOM_MAX_NODES];

	return dom_nodes(d, ctx, xpath, n, DOM_MAX_NODES);
}

xmlNodePtr dom_child(xmlNodePtr n, const char *name)
{
	if (!n)
		return NULL;
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    !strcmp((const char *)c->name, name))
			return c;
	return NULL;
}

char *dom_attr(xmlNodePtr n, const char *name, char *buf, size_t len)
{
	xmlChar *v;

	if (!n)
		return NULL;
	v = xmlGetProp(n, (const xmlChar *)name);
	if (!v)
		return NULL;
	snprintf(buf, len, "%s", (const char *)v);
	xmlFree(v);
	return buf;
}

bool dom_attr_is(xmlNodePtr n, const char *name, const char *val)
{
	char buf[256];

	return dom_attr(n, name, buf, sizeof(buf)) && !strcmp(buf, val);
}

char *dom_text(xmlNodePtr n, char *buf, size_t len)
{
	xmlChar *v;
	char *s, *e;

	if (!n)
		return NULL;
	v = xmlNodeGetContent(n);
	if (!v)
		return NULL;
	s = (char *)v;
	s += strspn(s, " \t\n");
	e = s + strlen(s);
	while (e > s && strchr(" \t\n", e[-1]))
		e--;
	snprintf(buf, len, "%.*s", (int)(e - s), s);
	xmlFree(v);
	return buf;
}

/* XPath of an element (and optionally one of its attributes), as
 * "/domain/devices/disk[2]/driver/@cache". */
char *dom_path(xmlNodePtr n, const char *attr, char *buf, size_t len)
{
	xmlChar *p = n ? xmlGetNodePath(n) : NULL;

	snprintf(buf, len, "%s%s%s", p ? (const char *)p : "/domain",
		 attr ? "/@" : "", attr ? attr : "");
	xmlFree(p);
	return buf;
}

/* Path of a child element that may not exist yet (where a rule looked
 * for, or will add, driver/@cache and the like). */
char *dom_path_child(xmlNodePtr n, const char *child, const char *attr,
		     char *buf, size_t len)
{
	char parent[512];
	xmlNodePtr c = dom_child(n, child);

	if (c)
		return dom_path(c, attr, buf, len);
	dom_path(n, NULL, parent, sizeof(parent));
	snprintf(buf, len, "%s/%s%s%s", parent, child, attr ? "/@" : "",
		 attr ? attr : "");
	return buf;
}

char *dom_disk_label(xmlNodePtr disk, char *buf, size_t len)
{
	char dev[64];

	if (!dom_attr(dom_child(disk, "target"), "dev", dev, sizeof(dev)))
		snprintf(dev, sizeof(dev), "?");
	snprintf(buf, len, "disk %s", dev);
	return buf;
}

/* Host path behind a disk: source/@file or @dev; NULL for network disks. */
char *dom_disk_source(xmlNodePtr disk, char *buf, size_t len)
{
	xmlNodePtr src = dom_child(disk, "source");

	return dom_attr(src, "file", buf, len) ?: dom_attr(src, "dev", buf, len);
}

char *dom_object(struct tune_dom *d, xmlNodePtr n, char *buf, size_t len)
{
	char what[128] = "", tmp[64], idx[16];

	if (n && !strcmp((const char *)n->name, "disk"))
		dom_disk_label(n, what, sizeof(what));
	else if (n && !strcmp((const char *)n->name, "interface"))
		snprintf(what, sizeof(what), "interface %s",
			 dom_attr(dom_child(n, "mac"), "address", tmp,
				  sizeof(tmp)) ?: "?");
	else if (n && !strcmp((const char *)n->name, "controller"))
		snprintf(what, sizeof(what), "controller %s %s",
			 dom_attr(n, "type", tmp, sizeof(tmp)) ?: "?",
			 dom_attr(n, "index", idx, sizeof(idx)) ?: "0");
	snprintf(buf, len, "domain %s%s%s", d->name, *what ? " " : "", what);
	return buf;
}

/* Bus as written, or as libvirt infers it from the target name. */
const char *dom_disk_bus_raw(xmlNodePtr disk, char *buf, size_t len)
{
	static const char *const prefix[][2] = {
		{ "vd", "virtio" }, { "hd", "ide" }, { "sd", "scsi" },
		{ "xvd", "xen" },
	};
	xmlNodePtr t = dom_child(disk, "target");
	char dev[64];

	snprintf(buf, len, "?");
	if (dom_attr(t, "bus", buf, len))
		return buf;
	if (!dom_attr(t, "dev", dev, sizeof(dev)))
		return buf;
	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
		if (!strncmp(dev, prefix[i][0], strlen(prefix[i][0])))
			snprintf(buf, len, "%s", prefix[i][1]);
	return buf;
}

const char *dom_disk_bus(xmlNodePtr disk, char *buf, size_t len)
{
	dom_disk_bus_raw(disk, buf, len);
	/* A disk without @device is device='disk'. */
	if ((!xmlHasProp(disk, (const xmlChar *)"device") ||
	     dom_attr_is(disk, "device", "disk")) &&
	    (!strcmp(buf, "ide") || !strcmp(buf, "sata") ||
	     !strcmp(buf, "usb")))
		snprintf(buf, len, "virtio");
	return buf;
}

bool dom_disk_is_virtio(xmlNodePtr disk)
{
	char bus[32];

	return !strcmp(dom_disk_bus(disk, bus, sizeof(bus)), "virtio");
}
