/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * record.h - kdsim's --record, for kdsim target/debugger and kdsim replay:
 * the link's bytes (link.h's tap) framed per direction and written as
 * kdscope pcapng, one block per framed item, flushed as written.
 *
 * Timestamps: the wall clock at the first byte advanced by the monotonic
 * clock (the wall clock may step back while a session is recorded), never
 * going back within a direction; with --fixed-clock 1 ms an item from
 * 2023-11-14, so a recording does not depend on how the bytes arrived.
 */
#ifndef KDSIM_RECORD_H
#define KDSIM_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "kdparse/framer.h"

typedef struct kdsim_recorder kdsim_recorder;

typedef struct kdsim_record_opts {
    const char *path;   /* NULL: frame only (for on_item), no file */
    const char *prog;   /* for the error lines */
    int fixed_clock;
    int argc;           /* the command line, kept in the file's comment */
    char **argv;
    kd_item_cb on_item; /* optional: sees every framed item first */
    void *user;
} kdsim_record_opts;

/* NULL after one line on stderr ("prog: PATH: why"). */
kdsim_recorder *kdsim_record_open(const kdsim_record_opts *o);
/* link.h's tap: user is the recorder. */
void kdsim_record_tap(kd_dir dir, const uint8_t *bytes, size_t len, void *user);
/* 1 once a write failed (said once, "prog: --record: PATH: why"). */
int kdsim_record_failed(const kdsim_recorder *r);
/* Flushes and closes (NULL is fine): 0, or -1 when the file is incomplete. */
int kdsim_record_close(kdsim_recorder *r);

#endif
