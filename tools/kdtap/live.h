/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * live.h - what kdtap learns from the items as they are recorded: each is
 * decoded (with the session's architecture and width as the tracker infers
 * them) and tracked, for the --decode lines (kdcat's summary lines, with
 * the links known when the item arrived: an ACK names its packet, a reply
 * its request and the response time) and the last API of each direction
 * that the status line shows.
 */
#ifndef KDTAP_LIVE_H
#define KDTAP_LIVE_H

#include <stdint.h>
#include <stdio.h>

#include "kdparse/framer.h"
#include "kdparse/schema.h"

typedef struct kdtap_live kdtap_live;

/* lines: where --decode lines go (NULL: none).  arch/width as kdcat's
 * --arch/--width (KD_ARCH_UNKNOWN / 0: inferred).  NULL when out of memory. */
kdtap_live *kdtap_live_new(FILE *lines, kd_arch arch, uint8_t width);
void kdtap_live_free(kdtap_live *l);

/* One recorded item; record is its number in the session (from 1). */
void kdtap_live_item(kdtap_live *l, const kd_item *it, uint64_t record);

/* The last API, state change or I/O request seen in dir ("" before any),
 * e.g. "ReadVirtualMemory", "DbgKdExceptionStateChange", "DbgKdPrintStringApi". */
const char *kdtap_live_last_api(const kdtap_live *l, kd_dir dir);

#endif
