/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * options.h - kdtap's command line (kdtap tap|relay ...) into a
 * kdtap_config, and what both it and the extcap calls (extcap.c) need:
 * the SHB comment naming the command line.
 */
#ifndef KDTAP_OPTIONS_H
#define KDTAP_OPTIONS_H

#include "kdtap.h"

/* kdtap's own command line into *c.  Returns -1 when c is ready to run
 * (c->comment is then malloc'd: the caller frees it), else the exit status
 * to return at once: 0 after --help or --version, KDTAP_EXIT_USAGE after
 * one line on stderr ("kdtap: --frobnicate: unknown option ..."). */
int kdtap_parse_args(int argc, char **argv, kdtap_config *c);

/* The SHB comment for a command line: "kdtap (kdscope V): ARGS", arguments
 * that need it in single quotes.  Returns a malloc'd string (NULL: no memory). */
char *kdtap_command_comment(int argc, char **argv);

#endif
