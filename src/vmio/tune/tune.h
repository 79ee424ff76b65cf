/* SPDX-License-Identifier: MIT */
#ifndef VMIO_TUNE_H
#define VMIO_TUNE_H
int tune_main(int argc, char **argv);
#endif
