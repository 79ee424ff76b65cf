/* SPDX-License-Identifier: MIT */
/* Built when libvirt's development files were missing at configure time. */
#include "tune/load.h"

void tune_load_libvirt(const struct tune_args *a, struct tune_dom ***tail,
		       struct tune_report *rep)
{
	(void)tail;
	if (!a->uri)
		return;
	tune_load_error(rep, a->uri,
			"this vmio was built without libvirt support",
			"apt-get install libvirt-dev, re-run meson setup and rebuild; or pass --domain FILE.xml (virsh dumpxml NAME > FILE.xml)");
}
