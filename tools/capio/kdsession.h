/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsession.h - a capture as a stream of decoded messages: read, frame,
 * decode with the session's architecture and width, and track, in order.
 * The callback sees each message with the annotation known when it
 * arrived (backward links: which packet an ACK acknowledges, which request
 * a response answers, response times); forward links need kdcat's queue.
 */
#ifndef KDSCOPE_KDSESSION_H
#define KDSCOPE_KDSESSION_H

#include <stddef.h>
#include <stdint.h>

#include "capio.h"
#include "kdparse/decode.h"
#include "kdparse/tracker.h"

typedef struct kdsession_opts {
    kd_arch arch;        /* KD_ARCH_UNKNOWN: infer */
    uint8_t width;       /* 0: infer */
    kdcap_format format; /* KDCAP_FORMAT_AUTO */
    kd_dir raw_dir;      /* label of a raw stream */
} kdsession_opts;

/* Return nonzero to stop reading. frame: the record (pcapng) or item number (raw). */
typedef int (*kdsession_cb)(const kd_msg *m, const kd_annot *a, uint64_t frame, void *user);

/* 0 when the whole capture was read (or the callback stopped it); -1 with a
 * one-line reason in err (no file name) when it could not be read. */
int kdsession_read(const char *path, const kdsession_opts *opts, kdsession_cb cb, void *user, char *err,
                   size_t errlen);

/* The --arch and --width options of the tools: 0, or -1 after printing
 * "prog: --arch: ..." on stderr. */
int kdsession_parse_arch(const char *prog, const char *arg, kd_arch *out);
int kdsession_parse_width(const char *prog, const char *arg, uint8_t *out);

#endif
