/* SPDX-License-Identifier: MIT */
/* vmiod: serves virtual disks to QEMU guests over vhost-user-blk. */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "control.h"
#include "daemon.h"
#include "util/listen_fds.h"
#include "util/log.h"
#include "vhost/vu_socket.h"

int main(int argc, char **argv)
{
	struct vmiod_config cfg;
	struct control *ctl = NULL;
	struct daemon *dm;
	int ret, uid, gid;

	ret = vmiod_parse_args(argc, argv, &cfg);
	if (ret)
		return ret > 0 ? 0 : 2;
	log_init("vmiod", cfg.log_level);
	/* Before anything opens a file: what is open now was handed in. */
	listen_fds_init();
	/* Every socket is made with its owner and group in place. */
	if (control_socket_owner(&cfg, &uid, &gid)) {
		vmiod_config_free(&cfg);
		return 1;
	}
	vu_socket_set_owner(uid, gid);
	ret = daemon_create(&cfg, &dm);
	if (ret) {
		log_error("cannot start: %s", strerror(-ret));
		vmiod_config_free(&cfg);
		return 1;
	}
	ret = control_start(dm, &cfg, &ctl);
	if (ret) {
		daemon_destroy(dm);
		vmiod_config_free(&cfg);
		return 1;
	}
	/* Every device of the command line and --config has its socket. */
	listen_fds_warn_unused();
	control_ready(ctl);
	ret = daemon_run(dm);
	control_stop(ctl);
	daemon_destroy(dm);
	vmiod_config_free(&cfg);
	log_info("stopped");
	return ret ? 1 : 0;
}
