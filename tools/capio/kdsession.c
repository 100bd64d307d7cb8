/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kdsession.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdparse/framer.h"

typedef struct ctx {
    kdsession_cb cb;
    void *user;
    kd_tracker *tracker;
    const kdsession_opts *opts;
    kdcap_format format;
    uint64_t record, record_items, seq;
    int stop;
    kd_msg msg;
} ctx;

static void on_item(const kd_item *it, void *user)
{
    ctx *c = user;
    if (c->stop)
        return;
    uint64_t frame = c->format == KDCAP_FORMAT_PCAPNG ? c->record : c->seq + 1;
    /* Tracker keys as kdcat's: frame << 16 | index in the record. */
    uint64_t key = frame << 16 | (c->format == KDCAP_FORMAT_PCAPNG ? c->record_items++ & 0xFFFF : 0);
    c->seq++;
    /* The tracker holds the forced arch/width, else what it has learned. */
    kd_decode_opts o = {.arch = kd_tracker_arch(c->tracker), .width = kd_tracker_width(c->tracker)};
    kd_decode(it, &o, &c->msg);
    c->msg.track.frame = key;
    kd_annot a;
    kd_tracker_add(c->tracker, &c->msg.track, &a);
    a.ack_in >>= 16;
    a.acks >>= 16;
    a.response_in >>= 16;
    a.request_in >>= 16;
    a.retransmission_of >>= 16;
    a.duplicate_of >>= 16;
    if (c->cb(&c->msg, &a, frame, c->user))
        c->stop = 1;
}

int kdsession_read(const char *path, const kdsession_opts *opts, kdsession_cb cb, void *user, char *err,
                   size_t errlen)
{
    kdcap_reader *rd = kdcap_open(path, opts->format, opts->raw_dir, err, errlen);
    if (!rd)
        return -1;
    ctx *c = calloc(1, sizeof *c);
    kd_tracker_opts topts = {.arch = opts->arch, .width = opts->width};
    kd_framer *framers[3] = {NULL, NULL, NULL};
    int rc = 0;
    if (c) {
        c->cb = cb;
        c->user = user;
        c->opts = opts;
        c->format = kdcap_reader_format(rd);
        c->tracker = kd_tracker_new(&topts);
        for (int d = 0; d < 3; d++)
            framers[d] = kd_framer_new(KD_TRANSPORT_SERIAL, (kd_dir)d, on_item, c);
    }
    if (!c || !c->tracker || !framers[0] || !framers[1] || !framers[2]) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
        goto out;
    }
    kdcap_record rec;
    int got = 0;
    while (!c->stop && (got = kdcap_next(rd, &rec)) == 1) {
        kd_framer *f = framers[rec.dir <= KD_DIR_UNKNOWN ? rec.dir : KD_DIR_UNKNOWN];
        c->record = rec.frame;
        c->record_items = 0;
        kd_framer_feed(f, rec.bytes, rec.len, rec.ts_ns);
        /* Our pcapng records are whole items (as kdcat frames them). */
        if (c->format == KDCAP_FORMAT_PCAPNG)
            kd_framer_finish(f);
    }
    for (int d = 0; d < 3; d++)
        kd_framer_finish(framers[d]);
    if (!c->stop && got < 0) {
        snprintf(err, errlen, "%s", kdcap_error(rd));
        rc = -1;
    }
out:
    for (int d = 0; d < 3; d++)
        kd_framer_free(framers[d]);
    if (c)
        kd_tracker_free(c->tracker);
    free(c);
    kdcap_close(rd);
    return rc;
}

int kdsession_parse_arch(const char *prog, const char *arg, kd_arch *out)
{
    if (kd_arch_parse(arg, out) != 0 || *out == KD_ARCH_UNKNOWN) {
        fprintf(stderr, "%s: --arch: '%s' is not x86, amd64, arm64 or arm\n", prog, arg);
        return -1;
    }
    return 0;
}

int kdsession_parse_width(const char *prog, const char *arg, uint8_t *out)
{
    if (strcmp(arg, "32") != 0 && strcmp(arg, "64") != 0) {
        fprintf(stderr, "%s: --width: '%s' is not 32 or 64\n", prog, arg);
        return -1;
    }
    *out = (uint8_t)atoi(arg);
    return 0;
}
