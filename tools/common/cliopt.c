/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cliopt.c - number-valued options and getopt_long's complaints, checked
 * one way for every tool (cliopt.h).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cliopt.h"

static void refuse(const char *prog, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int kd_opt_unsigned(const char *prog, const char *arg, int base, uint64_t min, uint64_t max, uint64_t *out,
                    const char *fmt, ...)
{
    char *end;
    errno = 0;
    /* strtoull would take a sign or leading space: a digit must come first */
    unsigned long long v = isdigit((unsigned char)arg[0]) ? strtoull(arg, &end, base) : 0;
    if (!isdigit((unsigned char)arg[0]) || errno || *end || v < min || v > max) {
        va_list ap;
        va_start(ap, fmt);
        refuse(prog, fmt, ap);
        va_end(ap);
        return -1;
    }
    *out = v;
    return 0;
}

int kd_opt_double(const char *prog, const char *arg, double min, double max, double *out, const char *fmt, ...)
{
    char *end = NULL;
    errno = 0;
    double v = arg[0] && !isspace((unsigned char)arg[0]) ? strtod(arg, &end) : NAN;
    /* NaN fails both comparisons */
    if (!end || end == arg || errno || *end || !(v >= min && v <= max)) {
        va_list ap;
        va_start(ap, fmt);
        refuse(prog, fmt, ap);
        va_end(ap);
        return -1;
    }
    *out = v;
    return 0;
}

int kd_opt_complaint(const char *prog, const char *help, int c, char **argv)
{
    char opt[3] = {'-', (char)optopt, 0};
    fprintf(stderr, "%s: %s: %s (try '%s --help')\n", prog, optopt && c != ':' ? opt : argv[optind - 1],
            c == ':' ? "needs a value" : "unknown option", help ? help : prog);
    return 2;
}
