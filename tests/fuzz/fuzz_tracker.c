/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the session tracker.
 *
 * Input: one option byte, then 24-byte chunks, each one kd_track_in:
 *
 *   [0]      frame step: 1 + (b & 7), or back by (b & 0x3F) when the top
 *            two bits are set (frames that do not increase)
 *   [1]      dir = b & 3 (3 is out of range), kind = (b >> 2) & 7 (5-7 too)
 *   [2]      item_flags (low 5 bits)
 *   [3]      packet type = b % 14
 *   [4..5]   byte_count, little-endian
 *   [6]      id: from a table of ids met on the wire, or raw [7..10] when b & 0x80
 *   [7..10]  raw id
 *   [11..12] checksum (16 bits, so that copies are frequent)
 *   [13]     api: a manipulate API from KD_API_READ_VIRTUAL_MEMORY to one past
 *            KD_API_SET_CONTEXT_EX, or one of the I/O APIs when b >= 0xE0
 *   [14..17] return_status
 *   [18]     machine_type from the §1.7 table (or a raw byte); [19] version_flags
 *   [20]     width_hint: 0, 32, 64 or the raw byte
 *   [21]     a query: get/pending on the frame that many items back
 *   [22]     timestamp step in microseconds, signed
 *   [23]     chunk 0 only, in modes 2 and 3 below: the window, 1 << (b % 10)
 *
 * Option byte: bits 0-2 arch (7 = none), bits 3-4 width (0, 32, 64, 48),
 * bit 5 KDNET, bits 6-7 the mode: 0 plain, 1 finish half way (and go on
 * adding), 2 a small window (1 to 512 items, so the chunks themselves
 * push items out of it), 3 eviction: a small window, the chunks, then a
 * window of noise items, then the chunks again, so the first pass leaves
 * the window and the second links to frames that left it.  The window is
 * small so that eviction costs a few hundred items, not KD_TRACK_WINDOW
 * (65536 items per input made this target run at 93 executions a second);
 * the ring code is the same for every window size, and windows above 256
 * also take the ring's growth path.
 *
 * Besides memory safety it checks the tracker's promises and aborts when
 * one breaks: add returns what get returns, back links point back and
 * forward links forward, both ends of every link agree, epochs never go
 * down, width is 32 or 64, and nothing is pending after finish.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kdparse/schema.h"
#include "kdparse/tracker.h"

/* The manipulate APIs, READ_VIRTUAL_MEMORY to SET_CONTEXT_EX, and one past the end. */
#define MANIP_SPAN ((unsigned)(KD_API_SET_CONTEXT_EX - KD_API_READ_VIRTUAL_MEMORY) + 2u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHUNK 24u

static const uint32_t ids[] = {0x80800000u, 0x80800001u, 0x80800800u, 0x80800801u,
                               0u,          2u,          4u,          0x80000000u};
static const uint16_t machines[] = {0,      0x014C, 0x8664, 0xAA64, 0x01C0, 0x01C2,
                                    0x01C4, 0x0200, 0x0184, 0x0284, 0x01F0, 0x0EBC};
static const uint32_t io_apis[] = {0x3230u, 0x3231u, 0x3330u, 0x4300u,
                                   0x4301u, 0x3430u, 0x3431u, 0x3433u};

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void check_annot(const kd_annot *a)
{
    if (a->width != 32 && a->width != 64)
        abort();
    if ((unsigned)a->arch > (unsigned)KD_ARCH_ALPHA)
        abort();
    /* Back links point back, forward links forward. */
    if ((a->acks && a->acks >= a->frame) || (a->request_in && a->request_in >= a->frame) ||
        (a->retransmission_of && a->retransmission_of >= a->frame) ||
        (a->duplicate_of && a->duplicate_of >= a->frame))
        abort();
    if ((a->ack_in && a->ack_in <= a->frame) || (a->response_in && a->response_in <= a->frame))
        abort();
    if (!a->request_in && (a->response_time_ns || a->request_api))
        abort();
}

/* Both ends of a link agree, when both are still in the window. */
static void check_links(const kd_tracker *t, const kd_annot *a)
{
    const kd_annot *b;
    if (a->ack_in && (b = kd_tracker_get(t, a->ack_in)) && b->acks != a->frame)
        abort();
    if (a->acks && (b = kd_tracker_get(t, a->acks)) && b->ack_in != a->frame)
        abort();
    if (a->response_in && (b = kd_tracker_get(t, a->response_in)) && b->request_in != a->frame)
        abort();
    if (a->request_in && (b = kd_tracker_get(t, a->request_in)) && b->response_in != a->frame)
        abort();
}

static kd_track_in decode_chunk(const uint8_t *c, uint64_t frame, uint64_t ts)
{
    kd_track_in in;
    memset(&in, 0, sizeof in);
    in.frame = frame;
    in.ts_ns = ts;
    in.dir = (kd_dir)(c[1] & 3u);
    in.kind = (kd_item_kind)((c[1] >> 2) & 7u);
    in.item_flags = c[2] & 0x1Fu;
    in.type = (uint16_t)(c[3] % 14u);
    in.byte_count = (uint16_t)(c[4] | c[5] << 8);
    in.id = (c[6] & 0x80u) ? le32(c + 7) : ids[c[6] % (sizeof ids / sizeof ids[0])];
    in.checksum = (uint32_t)(c[11] | c[12] << 8);
    in.api = c[13] >= 0xE0 ? io_apis[c[13] % (sizeof io_apis / sizeof io_apis[0])]
                           : KD_API_READ_VIRTUAL_MEMORY + c[13] % MANIP_SPAN;
    in.return_status = le32(c + 14);
    in.machine_type = c[18] < 0xF0 ? machines[c[18] % (sizeof machines / sizeof machines[0])]
                                   : (uint16_t)(c[18] << 4);
    in.version_flags = c[19];
    switch (c[20] & 3u) {
    case 0: in.width_hint = 0; break;
    case 1: in.width_hint = 32; break;
    case 2: in.width_hint = 64; break;
    default: in.width_hint = c[20]; break;
    }
    return in;
}

typedef struct run {
    kd_tracker *t;
    uint64_t frame, last, ts;
    uint32_t epoch;
    uint64_t items;   /* items recorded so far */
    /* Frames recorded by the chunk passes, with their item index. */
    uint64_t *rec_frame, *rec_item;
    size_t nrec, cap;
} run;

static void record(run *r, uint64_t frame)
{
    if (r->nrec < r->cap) {
        r->rec_frame[r->nrec] = frame;
        r->rec_item[r->nrec] = r->items;
        r->nrec++;
    }
    r->items++;
}

static void chunk_pass(run *r, const uint8_t *chunks, size_t n, int allow_back, int finish_half)
{
    for (size_t k = 0; k < n; k++) {
        const uint8_t *c = chunks + k * CHUNK;
        if ((c[0] & 0xC0u) == 0xC0u && allow_back)
            r->frame = r->frame > (c[0] & 0x3Fu) ? r->frame - (c[0] & 0x3Fu) : 0;
        else
            r->frame += 1u + (c[0] & 7u);
        r->ts += (uint64_t)(int64_t)(int8_t)c[22] * 1000u;

        kd_track_in in = decode_chunk(c, r->frame, r->ts);
        kd_annot out;
        kd_tracker_add(r->t, &in, &out);
        if (out.frame != r->frame)
            abort();
        check_annot(&out);

        if (r->frame > r->last) {
            r->last = r->frame;
            const kd_annot *g = kd_tracker_get(r->t, r->frame);
            if (!g || memcmp(g, &out, sizeof out) != 0)
                abort();
            if (out.reset_epoch < r->epoch)
                abort();
            r->epoch = out.reset_epoch;
            record(r, r->frame);
        }

        /* A query on an earlier frame. */
        if (r->nrec > 0) {
            uint64_t q = r->rec_frame[r->nrec - 1 - c[21] % r->nrec];
            const kd_annot *a = kd_tracker_get(r->t, q);
            int p = kd_tracker_pending(r->t, q);
            if (a) {
                if (a->frame != q)
                    abort();
                check_annot(a);
                check_links(r->t, a);
            } else if (p) {
                abort();
            }
        }
        (void)kd_tracker_get(r->t, r->frame + 1u);
        (void)kd_tracker_get(r->t, (uint64_t)c[21] << 8);

        if (finish_half && k == n / 2)
            kd_tracker_finish(r->t);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t opt = data[0];
    static const uint8_t widths[] = {0, 32, 64, 48};
    kd_tracker_opts o = {
        .arch = (kd_arch)(opt & 7u),
        .width = widths[(opt >> 3) & 3u],
        .kdnet = (opt >> 5) & 1u,
    };
    int finish_half = (opt >> 6) == 1u;
    int evict = (opt >> 6) == 3u;
    if ((unsigned)o.arch > (unsigned)KD_ARCH_ALPHA)
        o.arch = KD_ARCH_UNKNOWN; /* the API takes a kd_arch: keep it one */

    const uint8_t *chunks = data + 1;
    size_t n = (size - 1) / CHUNK;
    uint64_t window = KD_TRACK_WINDOW;
    if ((opt >> 6) >= 2u && n > 0)
        window = 1u << (chunks[23] % 10u);
    o.window = (uint32_t)window;

    run r = {.ts = 1000000000u, .cap = 2 * n + 1};
    r.t = kd_tracker_new(&o);
    r.rec_frame = malloc(r.cap * sizeof *r.rec_frame);
    r.rec_item = malloc(r.cap * sizeof *r.rec_item);
    if (!r.t || !r.rec_frame || !r.rec_item)
        abort();

    chunk_pass(&r, chunks, n, !evict, finish_half);
    if (evict && n > 0) {
        for (uint64_t i = 0; i < window; i++) {
            kd_track_in in = {.frame = ++r.frame, .ts_ns = r.ts, .kind = KD_ITEM_NOISE,
                              .dir = (kd_dir)(i & 1u)};
            kd_annot out;
            kd_tracker_add(r.t, &in, &out);
            r.items++;
        }
        r.last = r.frame;
        /* The first pass has left the window. */
        for (size_t i = 0; i < r.nrec; i++)
            if (kd_tracker_get(r.t, r.rec_frame[i]) || kd_tracker_pending(r.t, r.rec_frame[i]))
                abort();
        chunk_pass(&r, chunks, n, 0, 0);
    }

    kd_tracker_finish(r.t);
    (void)kd_tracker_arch(r.t);
    if (kd_tracker_width(r.t) != 32 && kd_tracker_width(r.t) != 64)
        abort();
    /* The newest window items are kept, no more; those kept are
     * consistent, and nothing is pending after finish. */
    for (size_t i = 0; i < r.nrec; i++) {
        const kd_annot *a = kd_tracker_get(r.t, r.rec_frame[i]);
        int kept = r.items - r.rec_item[i] <= window;
        if (kept != (a != NULL))
            abort();
        if (kd_tracker_pending(r.t, r.rec_frame[i]))
            abort();
        if (a) {
            if (a->frame != r.rec_frame[i])
                abort();
            check_annot(a);
            check_links(r.t, a);
        }
    }
    free(r.rec_frame);
    free(r.rec_item);
    kd_tracker_free(r.t);
    return 0;
}
