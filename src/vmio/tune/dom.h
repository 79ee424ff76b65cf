/* SPDX-License-Identifier: MIT */
/* A libvirt domain as a parsed XML document, plus the few facts many
 * rules share (name, vCPUs, memory, pins). Rules query it with XPath so
 * each finding can name the exact place it looked at. */
#ifndef VMIO_TUNE_DOM_H
#define VMIO_TUNE_DOM_H

#include <stdbool.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "topo/cpuset.h"

#define DOM_MAX_NODES 512

struct tune_dom {
	char *name;
	char *source;
	xmlDocPtr doc;
	xmlXPathContextPtr xp;
	xmlNodePtr root;
	bool running;
	int vcpus;
	unsigned long long mem_kib;
	bool pinned;		/* has cputune/vcpupin */
	struct cpuset pins;	/* union of vcpupins, else vcpu/@cpuset */
	struct tune_dom *next;
};

int dom_parse(const char *xml, const char *file, const char *source,
	      struct tune_dom **out, char *err, size_t errlen);
void dom_free(struct tune_dom *d);

int dom_nodes(struct tune_dom *d, xmlNodePtr ctx, const char *xpath,
	      xmlNodePtr *out, int max);
xmlNodePtr dom_node(struct tune_dom *d, xmlNodePtr ctx, const char *xpath);
int dom_count(struct tune_dom *d, xmlNodePtr ctx, const char *xpath);
xmlNodePtr dom_child(xmlNodePtr n, const char *name);
char *dom_attr(xmlNodePtr n, const char *name, char *buf, size_t len);
bool dom_attr_is(xmlNodePtr n, const char *name, const char *val);
char *dom_text(xmlNodePtr n, char *buf, size_t len);
char *dom_path(xmlNodePtr n, const char *attr, char *buf, size_t len);
char *dom_path_child(xmlNodePtr n, const char *child, const char *attr,
		     char *buf, size_t len);
char *dom_disk_label(xmlNodePtr disk, char *buf, size_t len);
char *dom_disk_source(xmlNodePtr disk, char *buf, size_t len);
char *dom_object(struct tune_dom *d, xmlNodePtr n, char *buf, size_t len);
unsigned long long dom_scaled_kib(const char *val, const char *unit);

/* Bus a disk has once the rules' fixes are applied: D01 moves emulated
 * buses to virtio, and the rules that follow judge the disk that will be. */
const char *dom_disk_bus_raw(xmlNodePtr disk, char *buf, size_t len);
const char *dom_disk_bus(xmlNodePtr disk, char *buf, size_t len);
bool dom_disk_is_virtio(xmlNodePtr disk);

#endif
