/* SPDX-License-Identifier: GPL-2.0-or-later */
/* record.c - kdsim's --record (record.h). */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capio.h"

struct kdsim_recorder {
    kdsim_record_opts o;
    kdcap_writer *w;
    kd_framer *framer[2];
    int fd, failed;
    uint64_t clock_ns;   /* --fixed-clock */
    uint64_t last_ts[2]; /* per direction: the clock never goes back */
    uint64_t wall0, mono0;
};

static uint64_t clock_of(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(kdsim_recorder *r)
{
    uint64_t mono = clock_of(CLOCK_MONOTONIC);
    if (!r->wall0) {
        r->wall0 = clock_of(CLOCK_REALTIME);
        r->mono0 = mono;
    }
    return r->wall0 + (mono - r->mono0);
}

static void on_item(const kd_item *it, void *user)
{
    kdsim_recorder *r = user;
    if (r->o.on_item)
        r->o.on_item(it, r->o.user);
    if (!r->w || r->failed)
        return;
    uint64_t ts = r->o.fixed_clock ? (r->clock_ns += 1000000u) : it->ts_ns;
    if (it->dir <= KD_DIR_T2D) {
        if (ts < r->last_ts[it->dir])
            ts = r->last_ts[it->dir];
        r->last_ts[it->dir] = ts;
    }
    if (kdcap_write_item(r->w, it->dir, ts, it->bytes, it->len) != 0) {
        fprintf(stderr, "%s: --record: %s: %s\n", r->o.prog, r->o.path, strerror(errno));
        r->failed = 1;
    }
}

static int open_file(kdsim_recorder *r)
{
    const kdsim_record_opts *o = &r->o;
    r->fd = open(o->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (r->fd < 0) {
        fprintf(stderr, "%s: %s: %s\n", o->prog, o->path, strerror(errno));
        return -1;
    }
    char comment[1024];
    size_t k = (size_t)snprintf(comment, sizeof comment, "kdsim (kdscope %s):", KDSCOPE_VERSION);
    for (int i = 1; i < o->argc && k < sizeof comment; i++) {
        /* With --fixed-clock the file is reproducible: paths as base names. */
        const char *a = o->argv[i], *slash = strrchr(a, '/');
        if (o->fixed_clock && slash)
            a = slash + 1;
        k += (size_t)snprintf(comment + k, sizeof comment - k, " %s", a);
    }
    kdcap_writer_opts wo = {.comment = comment, .flush_each_block = 1};
    if (!(r->w = kdcap_writer_open(r->fd, &wo))) {
        fprintf(stderr, "%s: %s: %s\n", o->prog, o->path, strerror(errno));
        close(r->fd);
        return -1;
    }
    return 0;
}

kdsim_recorder *kdsim_record_open(const kdsim_record_opts *o)
{
    kdsim_recorder *r = calloc(1, sizeof *r);
    if (!r) {
        fprintf(stderr, "%s: --record: out of memory\n", o->prog);
        return NULL;
    }
    r->o = *o;
    r->fd = -1;
    r->clock_ns = 1700000000000000000ull;
    for (int d = 0; d < 2; d++)
        if (!(r->framer[d] = kd_framer_new(KD_TRANSPORT_SERIAL, (kd_dir)d, on_item, r))) {
            fprintf(stderr, "%s: --record: out of memory\n", o->prog);
            kdsim_record_close(r);
            return NULL;
        }
    if (o->path && open_file(r) != 0) {
        kdsim_record_close(r);
        return NULL;
    }
    return r;
}

void kdsim_record_tap(kd_dir dir, const uint8_t *bytes, size_t len, void *user)
{
    kdsim_recorder *r = user;
    if (dir <= KD_DIR_T2D) {
        kd_framer_feed(r->framer[dir], bytes, len, now_ns(r));
        kd_framer_flush_runs(r->framer[dir]);
    }
}

int kdsim_record_failed(const kdsim_recorder *r)
{
    return r && r->failed;
}

int kdsim_record_close(kdsim_recorder *r)
{
    if (!r)
        return 0;
    for (int d = 0; d < 2; d++)
        if (r->framer[d]) {
            kd_framer_finish(r->framer[d]);
            kd_framer_free(r->framer[d]);
        }
    int bad = r->failed;
    if (r->w) {
        if (kdcap_writer_close(r->w) != 0)
            bad = 1;
        fsync(r->fd);
        close(r->fd);
        if (bad && !r->failed)
            fprintf(stderr, "%s: --record: %s: %s\n", r->o.prog, r->o.path, strerror(errno));
    }
    free(r);
    return bad ? -1 : 0;
}
