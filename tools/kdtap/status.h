/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * status.h - kdtap's one-line live status on a terminal, and the totals
 * printed on exit.
 *
 *   kdtap: 0:01:23  t2d 48.1 kB 312 pkt 0 bad 1 resend GetVersion | d2t 3.2 kB 301 pkt ...
 *
 * The line is redrawn in place ("\r", erase to the end of the line) at
 * most four times a second, made to fit the terminal's width: details go
 * (the last APIs, the bytes, the resends, ...) before either direction does.
 */
#ifndef KDTAP_STATUS_H
#define KDTAP_STATUS_H

#include <stdint.h>
#include <stdio.h>

#include "live.h"
#include "record.h"

typedef struct kdtap_status {
    int enabled;        /* stderr is a terminal and not --quiet */
    int visible;        /* a status line is on the screen */
    uint64_t start_ns;  /* CLOCK_MONOTONIC at the start */
    uint64_t last_ns;   /* last redraw */
    const char *names[2]; /* per direction: the port or endpoint */
} kdtap_status;

void kdtap_status_init(kdtap_status *s, int enabled);

/* Redraws the line when it is due (or now, when force). */
void kdtap_status_tick(kdtap_status *s, const kdtap_rec *r, const kdtap_live *l, int force);

/* The line for a terminal of cols columns (0: unknown, no limit) into
 * line: the most detailed form that fits in cols - 1.  Returns strlen. */
size_t kdtap_status_format(char *line, size_t n, unsigned cols, uint64_t secs, const kdtap_counts *t2d,
                           const char *t2d_api, const kdtap_counts *d2t, const char *d2t_api);

/* Erases the line (before other output goes to the terminal). */
void kdtap_status_hide(kdtap_status *s);

/* The totals: one line per direction, then the records and files, e.g.
 *   kdtap: t2d (/dev/ttyS0): 4821 bytes, 37 packets, 0 checksum errors, 1 resend
 *   kdtap: 75 records in out.pcapng */
void kdtap_status_summary(FILE *out, const kdtap_rec *r, const char *const names[2],
                          uint64_t dropped[2]);

/* "48.1 kB", "1.20 MB", "912 B" */
void kdtap_human_bytes(char *out, size_t n, uint64_t bytes);

#endif
