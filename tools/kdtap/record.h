/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * record.h - kdtap's recorder: the bytes of each direction go through a
 * framer, and every item becomes one pcapng block (design.md "Capture
 * files").  The blocks a read completes are written (write(2), no stdio
 * buffer) before kdtap goes back to waiting, so a killed kdtap leaves a
 * file that holds every item of every read it finished.
 *
 * Ring files (--ring-size, --ring-files): the file is cut between items
 * when it reaches the size; each part is a complete pcapng (SHB and both
 * IDBs), named as dumpcap names its ring files (kdtap_ring_name).  Files
 * are fsync'd when they are closed (rotation and exit).
 *
 * Counters per direction are kept here; what the items say (the last API,
 * the --decode lines) is left to the on_item callback.
 */
#ifndef KDTAP_RECORD_H
#define KDTAP_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "kdparse/framer.h"

typedef struct kdtap_counts {
    uint64_t bytes;         /* bytes received in this direction */
    uint64_t items;         /* items (blocks) recorded */
    uint64_t packets;       /* data and control packets */
    uint64_t bad_checksums; /* data packets whose body does not sum to the Checksum */
    uint64_t resends;       /* RESEND control packets */
    uint64_t truncated;     /* packets cut off by the end of a stream */
    uint64_t noise_bytes;   /* bytes in noise items */
} kdtap_counts;

/* Called for every item after it was written; record counts from 1 over
 * the whole session (across ring files). */
typedef void (*kdtap_item_fn)(const kd_item *it, uint64_t record, void *user);

typedef struct kdtap_rec_opts {
    const char *path;       /* output file; "-" is standard output */
    int fd;                 /* >= 0: write to this descriptor instead (path names it) */
    const char *comment;    /* SHB comment: tool, version, command line */
    const char *if_name[2]; /* per direction (kd_dir) */
    uint64_t ring_bytes;    /* > 0: start a new file once this many bytes are written */
    unsigned ring_files;    /* with ring_bytes: keep at most this many files (0: all) */
    uint64_t max_packets;   /* > 0: record nothing after this many packets (both directions) */
    kdtap_item_fn on_item;
    void *user;
} kdtap_rec_opts;

typedef struct kdtap_rec kdtap_rec;

/* Opens the (first) file and writes its header.  NULL with one line
 * ("FILE: reason") in err, and *not_created 1 when the file could not be
 * created at all (no such folder, no permission: bad usage), 0 when
 * something else failed (writing its header: an I/O error). */
kdtap_rec *kdtap_rec_open(const kdtap_rec_opts *o, char *err, size_t errlen, int *not_created);

/* Bytes of one direction that arrived at ts_ns (the time of the read that
 * returned them).  Complete items are written at once; pending noise and
 * break-in runs too (kd_framer_flush_runs), so a break-in shows at once. */
void kdtap_rec_feed(kdtap_rec *r, kd_dir dir, const uint8_t *buf, size_t n, uint64_t ts_ns);

/* The stream of dir ended (its side went away): a packet in progress
 * becomes a truncated item.  Later bytes start a new stream segment. */
void kdtap_rec_end_stream(kdtap_rec *r, kd_dir dir);

/* Nonzero once writing failed; then nothing more is written and
 * kdtap_rec_error says why ("FILE: No space left on device"). */
int kdtap_rec_failed(const kdtap_rec *r);
const char *kdtap_rec_error(const kdtap_rec *r);

/* Nonzero once max_packets packets are recorded. */
int kdtap_rec_limit_reached(const kdtap_rec *r);

const kdtap_counts *kdtap_rec_counts(const kdtap_rec *r, kd_dir dir);
uint64_t kdtap_rec_records(const kdtap_rec *r); /* items written, all files */
unsigned kdtap_rec_file_count(const kdtap_rec *r); /* files started */
const char *kdtap_rec_path(const kdtap_rec *r);  /* the file being written */

/* Ends both streams (packets in progress become truncated items), closes
 * and fsyncs the file.  0, or -1 with the reason in err (also when writing
 * had failed before).  The counters stay readable until kdtap_rec_free. */
int kdtap_rec_close(kdtap_rec *r, char *err, size_t errlen);
void kdtap_rec_free(kdtap_rec *r);

/*
 * The name of ring file number n (from 1) started at t, dumpcap's way:
 * "dir/out.pcapng" -> "dir/out_00001_20240131235959.pcapng" (local time);
 * without an extension "out" -> "out_00001_20240131235959".  Returns the
 * length it needed (as snprintf).
 */
int kdtap_ring_name(const char *path, unsigned n, time_t t, char *out, size_t outlen);

#endif
