/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cliopt.h - what every tool's command line checks the same way: numbers
 * within a range, and getopt_long's complaints, each refused in the tools'
 * one line on stderr, "PROG: --OPT: why" (the caller then exits 2).
 */
#ifndef KDSCOPE_CLIOPT_H
#define KDSCOPE_CLIOPT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A whole number from min to max.  base 10: decimal digits only; base 0:
 * as C writes it (0x1db1, 0755, 42).  Nothing else is a number: no sign,
 * no space, no empty string, no value too large for 64 bits.  0 with *out
 * set, or -1 after printing "PROG: " and fmt's line (the caller's own
 * words, e.g. "--delay: '%s' is not a number from 0 to 60000", arg).
 */
__attribute__((format(printf, 7, 8))) int kd_opt_unsigned(const char *prog, const char *arg, int base, uint64_t min,
                                                          uint64_t max, uint64_t *out, const char *fmt, ...);

/* The same for a real number from min to max (strtod's forms; not NaN, no
 * leading space, nothing after it, not beyond what a double holds). */
__attribute__((format(printf, 6, 7))) int kd_opt_double(const char *prog, const char *arg, double min, double max,
                                                        double *out, const char *fmt, ...);

/*
 * getopt_long's complaint (run with opterr = 0 and a ':' first in the
 * short options), in one line: c is what it returned, '?' (an unknown
 * option) or ':' (one without its value).  Prints "PROG: -x: unknown
 * option (try 'HELP --help')" or "PROG: --opt: needs a value (...)";
 * HELP is the command that shows the help ("kdsim replay"), NULL for PROG.
 * Returns 2, the exit status of bad usage.
 */
int kd_opt_complaint(const char *prog, const char *help, int c, char **argv);

#ifdef __cplusplus
}
#endif

#endif
