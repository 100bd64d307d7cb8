/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * record.c - framers -> pcapng writer, ring files and counters (record.h).
 */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capio.h"

#define PATH_CAP 4096

struct kdtap_rec {
    kdtap_rec_opts o;
    kd_framer *framer[2];
    kdcap_writer *w;
    int fd;          /* the current file's descriptor */
    int own_fd;      /* we opened it (a file), so we close it */
    char path[PATH_CAP];
    unsigned files;  /* files started */
    char **ring;     /* ring_files names, oldest first (ring mode with a limit) */
    unsigned ring_n;
    kdtap_counts counts[2];
    uint64_t records;
    int failed;
    int not_created; /* the last file could not be created (open(2) refused its name) */
    int closed;
    int limit_reached;
    uint64_t file_bytes; /* the current file's size, pending blocks included */
    uint64_t packets;   /* both directions */
    char error[PATH_CAP + 128];
};

int kdtap_ring_name(const char *path, unsigned n, time_t t, char *out, size_t outlen)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base)
        dot = base + strlen(base); /* no extension (or a dot file) */
    struct tm tm;
    char stamp[32];
    if (!localtime_r(&t, &tm) || strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm) == 0)
        snprintf(stamp, sizeof stamp, "%lld", (long long)t);
    return snprintf(out, outlen, "%.*s_%05u_%s%s", (int)(dot - path), path, n, stamp, dot);
}

static void fail(kdtap_rec *r, int err)
{
    if (r->failed)
        return;
    r->failed = 1;
    snprintf(r->error, sizeof r->error, "%s: %s", r->path, strerror(err));
}

/* fsync where it means something: regular files (not pipes, fifos, ttys). */
static int sync_file(int fd)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fsync(fd) != 0)
        return -1;
    return 0;
}

/* Closes the current file: the writer's pending bytes, fsync, close. */
static int close_file(kdtap_rec *r)
{
    int rc = 0, err = 0;
    if (r->w && kdcap_writer_close(r->w) != 0) {
        rc = -1;
        err = errno;
    }
    r->w = NULL;
    if (r->fd >= 0) {
        if (sync_file(r->fd) != 0 && rc == 0) {
            rc = -1;
            err = errno;
        }
        if (r->own_fd && close(r->fd) != 0 && rc == 0) {
            rc = -1;
            err = errno;
        }
    }
    r->fd = -1;
    if (rc != 0)
        fail(r, err);
    return rc;
}

/* Starts the next file (the first one too) and writes its header. */
static int open_file(kdtap_rec *r)
{
    r->files++;
    if (r->o.fd >= 0) {
        snprintf(r->path, sizeof r->path, "%s", r->o.path);
        r->fd = r->o.fd;
        r->own_fd = 0;
    } else if (strcmp(r->o.path, "-") == 0) {
        snprintf(r->path, sizeof r->path, "standard output");
        r->fd = STDOUT_FILENO;
        r->own_fd = 0;
    } else {
        if (r->o.ring_bytes) {
            int n = kdtap_ring_name(r->o.path, r->files, time(NULL), r->path, sizeof r->path);
            if (n < 0 || (size_t)n >= sizeof r->path) {
                snprintf(r->path, sizeof r->path, "%s", r->o.path);
                r->not_created = 1;
                fail(r, ENAMETOOLONG);
                return -1;
            }
        } else {
            snprintf(r->path, sizeof r->path, "%s", r->o.path);
        }
        r->fd = open(r->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (r->fd < 0) {
            r->not_created = 1;
            fail(r, errno);
            return -1;
        }
        r->own_fd = 1;
        if (r->o.ring_bytes && r->o.ring_files) {
            /* Keep at most ring_files: the oldest goes. */
            if (r->ring_n == r->o.ring_files) {
                if (unlink(r->ring[0]) != 0 && errno != ENOENT) {
                    fprintf(stderr, "kdtap: %s: cannot remove: %s\n", r->ring[0], strerror(errno));
                }
                free(r->ring[0]);
                memmove(r->ring, r->ring + 1, (r->ring_n - 1) * sizeof *r->ring);
                r->ring_n--;
            }
            r->ring[r->ring_n] = strdup(r->path);
            if (r->ring[r->ring_n])
                r->ring_n++;
        }
    }
    kdcap_writer_opts wo = {
        .comment = r->o.comment,
        .if_name = {r->o.if_name[0], r->o.if_name[1]},
        /* Blocks are pushed out once per read (kdtap_rec_feed), not one
         * write(2) each: the same file at a fraction of the calls. */
        .flush_each_block = 0,
    };
    r->w = kdcap_writer_open(r->fd, &wo);
    if (!r->w) {
        fail(r, errno);
        return -1;
    }
    off_t at = lseek(r->fd, 0, SEEK_CUR);
    r->file_bytes = at > 0 ? (uint64_t)at : 0;
    return 0;
}

/* What the last read made goes to the file before kdtap waits again. */
static void flush(kdtap_rec *r)
{
    if (!r->failed && r->w && kdcap_writer_flush(r->w) != 0)
        fail(r, errno);
}

static void on_item(const kd_item *it, void *user)
{
    kdtap_rec *r = user;
    if (r->failed || r->limit_reached || it->dir > KD_DIR_T2D)
        return;
    if (kdcap_write_item(r->w, it->dir, it->ts_ns, it->bytes, it->len) != 0) {
        fail(r, errno);
        return;
    }
    r->records++;
    r->file_bytes += kdcap_block_size(it->len);
    kdtap_counts *c = &r->counts[it->dir];
    c->items++;
    switch (it->kind) {
    case KD_ITEM_DATA:
        c->packets++;
        if (it->flags & KD_ITEM_BAD_CHECKSUM)
            c->bad_checksums++;
        break;
    case KD_ITEM_CONTROL:
        c->packets++;
        if (it->type == KD_TYPE_RESEND)
            c->resends++;
        break;
    case KD_ITEM_TRUNCATED:
        c->truncated++;
        break;
    case KD_ITEM_NOISE:
        c->noise_bytes += it->len;
        break;
    default:
        break;
    }
    if (it->kind == KD_ITEM_DATA || it->kind == KD_ITEM_CONTROL) {
        r->packets++;
        if (r->o.max_packets && r->packets >= r->o.max_packets)
            r->limit_reached = 1;
    }
    if (r->o.on_item)
        r->o.on_item(it, r->records, r->o.user);
    if (r->o.ring_bytes && !r->failed && r->file_bytes >= r->o.ring_bytes) {
        if (close_file(r) == 0)
            (void)open_file(r);
    }
}

kdtap_rec *kdtap_rec_open(const kdtap_rec_opts *o, char *err, size_t errlen, int *not_created)
{
    *not_created = 0;
    kdtap_rec *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "%s: %s", o->path, strerror(ENOMEM));
        return NULL;
    }
    r->o = *o;
    r->fd = -1;
    if (o->ring_bytes && o->ring_files && !(r->ring = calloc(o->ring_files, sizeof *r->ring))) {
        free(r);
        snprintf(err, errlen, "%s: %s", o->path, strerror(ENOMEM));
        return NULL;
    }
    for (int d = 0; d < 2; d++) {
        r->framer[d] = kd_framer_new(KD_TRANSPORT_SERIAL, (kd_dir)d, on_item, r);
        if (!r->framer[d]) {
            snprintf(err, errlen, "%s: %s", o->path, strerror(ENOMEM));
            kdtap_rec_free(r);
            return NULL;
        }
    }
    if (open_file(r) != 0) {
        snprintf(err, errlen, "%s", r->error);
        *not_created = r->not_created;
        kdtap_rec_free(r);
        return NULL;
    }
    return r;
}

void kdtap_rec_feed(kdtap_rec *r, kd_dir dir, const uint8_t *buf, size_t n, uint64_t ts_ns)
{
    if (dir > KD_DIR_T2D || n == 0 || r->closed || r->limit_reached)
        return;
    r->counts[dir].bytes += n;
    kd_framer_feed(r->framer[dir], buf, n, ts_ns);
    kd_framer_flush_runs(r->framer[dir]);
    flush(r);
}

void kdtap_rec_end_stream(kdtap_rec *r, kd_dir dir)
{
    if (dir <= KD_DIR_T2D && !r->closed) {
        kd_framer_finish(r->framer[dir]);
        flush(r);
    }
}

int kdtap_rec_failed(const kdtap_rec *r)
{
    return r->failed;
}

const char *kdtap_rec_error(const kdtap_rec *r)
{
    return r->failed ? r->error : "";
}

int kdtap_rec_limit_reached(const kdtap_rec *r)
{
    return r->limit_reached;
}

const kdtap_counts *kdtap_rec_counts(const kdtap_rec *r, kd_dir dir)
{
    return &r->counts[dir <= KD_DIR_T2D ? dir : 0];
}

uint64_t kdtap_rec_records(const kdtap_rec *r)
{
    return r->records;
}

unsigned kdtap_rec_file_count(const kdtap_rec *r)
{
    return r->files;
}

const char *kdtap_rec_path(const kdtap_rec *r)
{
    return r->path;
}

int kdtap_rec_close(kdtap_rec *r, char *err, size_t errlen)
{
    if (!r)
        return 0;
    if (!r->closed) {
        r->closed = 1;
        for (int d = 0; d < 2; d++) {
            if (r->framer[d])
                kd_framer_finish(r->framer[d]);
        }
        if (r->w || r->fd >= 0)
            close_file(r);
    }
    int rc = r->failed ? -1 : 0;
    if (rc && err && errlen)
        snprintf(err, errlen, "%s", r->error);
    return rc;
}

void kdtap_rec_free(kdtap_rec *r)
{
    if (!r)
        return;
    kdtap_rec_close(r, NULL, 0);
    for (int d = 0; d < 2; d++)
        kd_framer_free(r->framer[d]);
    for (unsigned i = 0; i < r->ring_n; i++)
        free(r->ring[i]);
    free(r->ring);
    free(r);
}
