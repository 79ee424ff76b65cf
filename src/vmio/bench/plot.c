/* SPDX-License-Identifier: MIT */
#include "bench/plot.h"

#include <stdio.h>
#include <stdlib.h>

bool bench_have_gnuplot(const char *who)
{
	if (!system("command -v gnuplot >/dev/null"))
		return true;
	fprintf(stderr, "%s: no plots: gnuplot is not installed (apt-get install "
		"gnuplot-nox)\n", who);
	return false;
}

int bench_gnuplot(const char *dir, const char *script)
{
	char cmd[2400];

	snprintf(cmd, sizeof(cmd), "cd '%s' && gnuplot -e \"set terminal svg "
		 "size 720,420 noenhanced; set style fill solid border -1; set grid ytics; "
		 "set key top left; %s\" 2>/dev/null", dir, script);
	return system(cmd);
}
