/* Command-line parsing shared by every subcommand, so that all of them complain
 * alike and every MPI rank reaches the same verdict on the same argv:
 *   - hw_getopt: getopt_long without getopt's own messages (it would print one per
 *     rank); an unknown option or a missing value leaves one line in hw_error();
 *   - hw_usage_error: the line and the usage text, printed once (rank 0); returns 2,
 *     the exit status of every usage error, on every rank;
 *   - hw_parse_int / hw_parse_double: numbers read as 64 bits and range-checked
 *     (no silent wrap: "--resolution: 4294977296 is out of range [1, 2147483647]"). */
#ifndef HITWIN_CLI_ARGS_H
#define HITWIN_CLI_ARGS_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "hitwin/cli_set.h"
#include "hitwin/error.h"

/* getopt_long(argc, argv, shortopts, longopts, NULL) with opterr off. Returns the
 * option, -1 at the end, or '?' with hw_error() set to "CMD: unknown option '--x'"
 * or "CMD: option '--output' needs a value" (CMD is argv[0], the subcommand). */
int hw_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);

/* Rank 0 prints "hitwin: error: <hw_error()>" and then usage(stderr); every rank
 * returns 2. */
int hw_usage_error(void (*usage)(FILE *out));
/* The same with a message of its own (hw_fail format). */
int hw_usage_fail(void (*usage)(FILE *out), const char *fmt, ...) HW_PRINTF(2, 3);

/* Integers: hw_parse_int in cli_set.h, the one parser for configs, --set and flags. */
/* TEXT as a finite number in [lo, hi]: "WHAT: 'x' is not a number", "... is out of range". */
int hw_parse_double(const char *what, const char *text, double lo, double hi, double *out);

#endif
