/* SPDX-License-Identifier: MIT */
/* vmio's control commands: a JSON-RPC client of a running vmiod. */
#ifndef VMIO_CTL_H
#define VMIO_CTL_H

int ctl_disk_main(int argc, char **argv);
int ctl_scsi_main(int argc, char **argv);
int ctl_qos_main(int argc, char **argv);
int ctl_stats_main(int argc, char **argv);
int ctl_reactors_main(int argc, char **argv);
int ctl_config_main(int argc, char **argv);
int ctl_simple_main(int argc, char **argv); /* version, shutdown, rpc */

#endif
