/* SPDX-License-Identifier: MIT */
/* What an RBD error means to the person who configured the disk. Pure
 * text, built with or without librbd, so it is tested on its own. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bdev/bdev_rbd.h"

/* What Ceph returns to a client the cluster blocklisted. */
#define RBD_EBLOCKLISTED ESHUTDOWN

/* Appends to the sentence in buf (len bytes, *n used), never past it. */
static void add(char *buf, size_t len, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*n >= len)
		return;
	va_start(ap, fmt);
	k = vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
	if (k > 0)
		*n = *n + (size_t)k < len ? *n + (size_t)k : len;
}

int bdev_rbd_name(const struct bdev_rbd_opts *o, char *buf, size_t len)
{
	int n;

	if (o->ns && *o->ns)
		n = snprintf(buf, len, "%s/%s/%s", o->pool, o->ns, o->image);
	else
		n = snprintf(buf, len, "%s/%s", o->pool, o->image);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static bool part_ok(const char *s)
{
	return *s && !strchr(s, '@');
}

int bdev_rbd_parse_spec(const char *spec, char *buf, size_t len,
			const char **pool, const char **ns, const char **image)
{
	char *a, *b;

	if (!spec || snprintf(buf, len, "%s", spec) >= (int)len)
		return -EINVAL;
	a = strchr(buf, '/');
	if (!a)
		return -EINVAL;
	*a++ = '\0';
	b = strchr(a, '/');
	*pool = buf;
	if (b) {
		*b++ = '\0';
		*ns = a;
		*image = b;
		if (strchr(b, '/') || !part_ok(a))
			return -EINVAL;
	} else {
		*ns = NULL;
		*image = a;
	}
	return part_ok(*pool) && part_ok(*image) ? 0 : -EINVAL;
}

static const char *user_of(const struct bdev_rbd_opts *o)
{
	return o->user && *o->user ? o->user : "admin";
}

static const char *conf_of(const struct bdev_rbd_opts *o)
{
	return o->conf && *o->conf ? o->conf : "the default ceph.conf";
}


const char *bdev_rbd_explain(enum bdev_rbd_stage stage, int err,
			     const struct bdev_rbd_opts *o, char *buf,
			     size_t len)
{
	char name[512];
	int e = err < 0 ? -err : err;
	size_t n = 0;

	if (len)
		buf[0] = '\0';
	if (bdev_rbd_name(o, name, sizeof(name)))
		snprintf(name, sizeof(name), "%s/...", o->pool);
	switch (stage) {
	case RBD_STAGE_CONF:
		add(buf, len, &n, "cannot read the Ceph configuration %s: %s",
		    conf_of(o), strerror(e));
		break;
	case RBD_STAGE_CONNECT:
		add(buf, len, &n, "cannot connect to the cluster (%s, user "
		    "client.%s): %s", conf_of(o), user_of(o), strerror(e));
		if (e == ETIMEDOUT || e == ENOENT || e == ECONNREFUSED)
			add(buf, len, &n, "; check that mon_host in it names "
			    "running monitors");
		else if (e == EACCES || e == EPERM || e == EINVAL)
			add(buf, len, &n, "; check the keyring of client.%s "
			    "(the conf's keyring = or /etc/ceph/ceph.client.%s"
			    ".keyring)", user_of(o), user_of(o));
		break;
	case RBD_STAGE_POOL:
		if (e == ENOENT && o->ns && *o->ns)
			add(buf, len, &n, "pool %s or its namespace %s does not "
			    "exist; create them (ceph osd pool create, rbd "
			    "namespace create)", o->pool, o->ns);
		else if (e == ENOENT)
			add(buf, len, &n, "pool %s does not exist; create it "
			    "(ceph osd pool create %s; rbd pool init %s)",
			    o->pool, o->pool, o->pool);
		else
			add(buf, len, &n, "cannot use pool %s: %s", o->pool,
			    strerror(e));
		break;
	case RBD_STAGE_OPEN:
		if (e == ENOENT)
			add(buf, len, &n, "image %s does not exist; create it "
			    "(rbd create), or give size= to have vmiod create "
			    "it", name);
		else
			add(buf, len, &n, "cannot open image %s: %s", name,
			    strerror(e));
		break;
	case RBD_STAGE_CREATE:
		add(buf, len, &n, "cannot create image %s: %s", name,
		    strerror(e));
		break;
	case RBD_STAGE_RESIZE:
		add(buf, len, &n, "cannot resize image %s: %s", name,
		    strerror(e));
		break;
	case RBD_STAGE_IO:
		add(buf, len, &n, "image %s: a request failed: %s", name,
		    strerror(e));
		if (e == ETIMEDOUT)
			add(buf, len, &n, " (the cluster did not answer within "
			    "rbd-timeout; the guest sees an I/O error)");
		else if (e == RBD_EBLOCKLISTED)
			add(buf, len, &n, " (the cluster blocklisted this "
			    "client, e.g. another one took the image's lock; "
			    "reopen the disk)");
		break;
	}
	/* What a user needs to serve an image. */
	if ((e == EPERM || e == EACCES) && stage != RBD_STAGE_CONNECT &&
	    stage != RBD_STAGE_CONF)
		add(buf, len, &n, "; give client.%s the caps mon 'profile rbd' "
		    "osd 'profile rbd pool=%s'", user_of(o), o->pool);
	return buf;
}
