/* Placeholder until 'vmio tune' lands; replaced by the real sub-command. */
#include <stdio.h>
#include "tune/tune.h"
int tune_main(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "vmio tune: not built yet\n");
	return 2;
}
