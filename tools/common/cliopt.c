/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cliopt.c - number-valued options and getopt_long's complaints, checked
 * one way for every tool (cliopt.h).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cliopt.h"

/* 0 when ok, else -1 after "PROG: " and the caller's line. */
static int verdict(int ok, const char *prog, const char *fmt, va_list ap)
{
    if (ok)
        return 0;
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    return -1;
}

static int unsigned_ok(const char *arg, int base, uint64_t min, uint64_t max, uint64_t *out)
{
    /* strtoull would take a sign or leading space: a digit must come first */
    if (!isdigit((unsigned char)arg[0]))
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, base);
    if (errno || *end || v < min || v > max)
        return 0;
    *out = v;
    return 1;
}

static int double_ok(const char *arg, double min, double max, double *out)
{
    if (!arg[0] || isspace((unsigned char)arg[0]))
        return 0;
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    /* NaN fails both comparisons */
    if (errno || *end || !(v >= min && v <= max))
        return 0;
    *out = v;
    return 1;
}

int kd_opt_unsigned(const char *prog, const char *arg, int base, uint64_t min, uint64_t max, uint64_t *out,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = verdict(unsigned_ok(arg, base, min, max, out), prog, fmt, ap);
    va_end(ap);
    return rc;
}

int kd_opt_double(const char *prog, const char *arg, double min, double max, double *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = verdict(double_ok(arg, min, max, out), prog, fmt, ap);
    va_end(ap);
    return rc;
}

int kd_opt_complaint(const char *prog, const char *help, int c, char **argv)
{
    char opt[3] = {'-', (char)optopt, 0};
    fprintf(stderr, "%s: %s: %s (try '%s --help')\n", prog, optopt && c != ':' ? opt : argv[optind - 1],
            c == ':' ? "needs a value" : "unknown option", help ? help : prog);
    return 2;
}
