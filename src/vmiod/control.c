/* SPDX-License-Identifier: MIT */
#include "control.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_export.h"
#include "rpc/rpc.h"
#include "rpc_methods.h"
#include "sd_notify.h"
#include "util/log.h"

struct control {
	struct rpc_server *rpc;
	struct prom_http *metrics;
};

int control_socket_owner(const struct vmiod_config *cfg, int *uid, int *gid)
{
	struct passwd *u;
	struct group *g;

	*uid = *gid = -1;
	if (cfg->socket_owner) {
		u = getpwnam(cfg->socket_owner);
		if (!u) {
			log_error("--socket-owner %s: no such user", cfg->socket_owner);
			return -ENOENT;
		}
		*uid = (int)u->pw_uid;
	}
	if (cfg->socket_group) {
		g = getgrnam(cfg->socket_group);
		if (!g) {
			log_error("--socket-group %s: no such group", cfg->socket_group);
			return -ENOENT;
		}
		*gid = (int)g->gr_gid;
	}
	return 0;
}

int control_start(struct daemon *d, const struct vmiod_config *cfg,
		  struct control **out)
{
	struct rpc_methods_opts o = { cfg->image_dirs, cfg->nimage_dirs, -1, -1 };
	struct control *c = calloc(1, sizeof(*c));
	int ret = c ? control_socket_owner(cfg, &o.socket_uid, &o.socket_gid)
		    : -ENOMEM;

	if (ret)
		goto err;
	if (cfg->config_path && (ret = rpc_config_load(d, cfg->config_path, &o)))
		goto err;
	if (cfg->rpc_path) {
		ret = rpc_methods_start(d, cfg->rpc_path, &o, &c->rpc);
		if (ret)
			goto err;
		log_info("rpc: listening on %s", rpc_server_where(c->rpc));
	}
	if (cfg->metrics_addr &&
	    (ret = metrics_export_start(d, cfg->metrics_addr, &c->metrics)))
		goto err;
	*out = c;
	return 0;
err:
	control_stop(c);
	return ret;
}

void control_ready(struct control *c)
{
	sd_notify_state("READY=1");
}

void control_stop(struct control *c)
{
	if (!c)
		return;
	sd_notify_state("STOPPING=1");
	metrics_export_stop(c->metrics);
	rpc_server_destroy(c->rpc);
	free(c);
}
