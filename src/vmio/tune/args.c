/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tune/args.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vmio tune [--root DIR] [--domain FILE.xml ...]\n"
		"                 [--connect URI [--all-domains | --name NAME ...]]\n"
		"                 [--json] [--write-xml OUT] [--quiet | --verbose]\n"
		"                 [--only host|domain] [--list-rules]\n\n"
		"Audit a KVM host and its libvirt domains for I/O performance.\n\n"
		"  --root DIR        read sysfs/procfs below DIR (default /)\n"
		"  --domain FILE     a domain XML file (repeatable)\n"
		"  --connect URI     read domains from libvirt, read-only (e.g. qemu:///system)\n"
		"  --all-domains     every domain of --connect\n"
		"  --name NAME       one domain of --connect (repeatable)\n"
		"  --json            machine-readable report\n"
		"  --write-xml OUT   write the corrected domain XML to OUT (a directory\n"
		"                    when several domains are given); never in place\n"
		"  --quiet           print only warnings and errors\n"
		"  --verbose         also print the rules that passed\n"
		"  --only WHAT       run only the host (H*) or domain (D*) rules\n"
		"  --list-rules      print the rule catalogue and exit\n\n"
		"Exit status: 0 clean (info at most), 1 warnings, 2 errors.\n");
}

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "vmio tune: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n'vmio tune --help' lists the options.\n");
	return -EINVAL;
}

static int add(const char **list, int *n, const char *val, const char *opt)
{
	if (*n >= TUNE_MAX_INPUTS)
		return bad("too many %s options (64 at most)", opt);
	list[(*n)++] = val;
	return 0;
}

static int check(struct tune_args *a)
{
	struct stat st;

	if (stat(a->root, &st) || !S_ISDIR(st.st_mode))
		return bad("--root %s is not a directory", a->root);
	if ((a->all_domains || a->nnames) && !a->uri)
		return bad("%s needs --connect URI",
			   a->all_domains ? "--all-domains" : "--name");
	if (a->uri && !a->all_domains && !a->nnames)
		return bad("--connect %s needs --all-domains or --name NAME",
			   a->uri);
	if (a->write_xml && !a->nfiles && !a->uri)
		return bad("%s: --write-xml needs a domain (--domain or --connect)",
			   a->write_xml);
	if (a->quiet && a->verbose)
		return bad("%s", "--quiet and --verbose exclude each other");
	return 0;
}

int tune_args_parse(int argc, char **argv, struct tune_args *a)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "domain", required_argument, NULL, 'd' },
		{ "connect", required_argument, NULL, 'c' },
		{ "all-domains", no_argument, NULL, 'a' },
		{ "name", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "write-xml", required_argument, NULL, 'w' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "only", required_argument, NULL, 'o' },
		{ "list-rules", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret = 0;

	memset(a, 0, sizeof(*a));
	a->root = "/";
	optind = 1;
	opterr = 0;
	while (!ret && (c = getopt_long(argc, argv, "r:d:c:an:jw:qvo:lh", opts,
					NULL)) != -1) {
		switch (c) {
		case 'r':
			a->root = optarg;
			break;
		case 'd':
			ret = add(a->files, &a->nfiles, optarg, "--domain");
			break;
		case 'c':
			a->uri = optarg;
			break;
		case 'a':
			a->all_domains = true;
			break;
		case 'n':
			ret = add(a->names, &a->nnames, optarg, "--name");
			break;
		case 'j':
			a->json = true;
			break;
		case 'w':
			a->write_xml = optarg;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'v':
			a->verbose = true;
			break;
		case 'l':
			a->list_rules = true;
			break;
		case 'o':
			if (!strcmp(optarg, "host"))
				a->only = TUNE_ONLY_HOST;
			else if (!strcmp(optarg, "domain"))
				a->only = TUNE_ONLY_DOMAIN;
			else
				ret = bad("--only takes 'host' or 'domain', not '%s'",
					  optarg);
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return bad("unknown or incomplete option '%s'",
				   argv[optind - 1]);
		}
	}
	if (!ret && optind < argc)
		ret = bad("unexpected argument '%s'", argv[optind]);
	return ret ? ret : check(a);
}
