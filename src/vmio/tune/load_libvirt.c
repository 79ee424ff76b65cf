/* SPDX-License-Identifier: MIT */
/* Domains from a live libvirt connection, opened read-only. The
 * persistent definition is what is audited (and what --write-xml must
 * produce); whether the domain runs decides if its hugepages are held. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "tune/load.h"

static void quiet_errors(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

static const char *last_error(void)
{
	const char *m = virGetLastErrorMessage();

	return m ? m : "unknown libvirt error";
}

static void add_domain(virDomainPtr dom, const char *uri,
		       struct tune_dom ***tail, struct tune_report *rep)
{
	const char *name = virDomainGetName(dom);
	char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
	char src[1024], err[1024], obj[1100];
	struct tune_dom *d;

	snprintf(src, sizeof(src), "%s %s", uri, name ? name : "?");
	snprintf(obj, sizeof(obj), "libvirt %s", src);
	if (!xml) {
		tune_load_error(rep, obj, last_error(),
				"check the connection's permissions (virsh -r -c URI dumpxml NAME)");
		return;
	}
	if (dom_parse(xml, name ? name : "domain.xml", src, &d, err,
		      sizeof(err))) {
		tune_load_error(rep, obj, err, "virsh -c URI dumpxml NAME");
	} else {
		d->running = virDomainIsActive(dom) == 1;
		**tail = d;
		*tail = &d->next;
	}
	free(xml);
}

static void load_all(virConnectPtr conn, const char *uri,
		     struct tune_dom ***tail, struct tune_report *rep)
{
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(conn, &doms, 0);

	if (n < 0) {
		tune_load_error(rep, uri, last_error(),
				"virsh -r -c URI list --all shows what libvirt refuses");
		return;
	}
	for (int i = 0; i < n; i++) {
		add_domain(doms[i], uri, tail, rep);
		virDomainFree(doms[i]);
	}
	free(doms);
}

void tune_load_libvirt(const struct tune_args *a, struct tune_dom ***tail,
		       struct tune_report *rep)
{
	virConnectPtr conn;
	char msg[1024];

	if (!a->uri)
		return;
	virSetErrorFunc(NULL, quiet_errors);
	conn = virConnectOpenReadOnly(a->uri);
	if (!conn) {
		snprintf(msg, sizeof(msg), "cannot connect read-only: %s",
			 last_error());
		tune_load_error(rep, a->uri, msg,
				"start libvirtd (systemctl start libvirtd) or check the URI: virsh -r -c URI list");
		return;
	}
	if (a->all_domains)
		load_all(conn, a->uri, tail, rep);
	for (int i = 0; i < a->nnames; i++) {
		virDomainPtr dom = virDomainLookupByName(conn, a->names[i]);

		if (!dom) {
			snprintf(msg, sizeof(msg), "domain %s: %s",
				 a->names[i], last_error());
			tune_load_error(rep, a->uri, msg,
					"virsh -r -c URI list --all lists the domain names");
			continue;
		}
		add_domain(dom, a->uri, tail, rep);
		virDomainFree(dom);
	}
	virConnectClose(conn);
}
