/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcp_reasm.c - TCP stream reassembly for one direction (tcp_reasm.h).
 *
 * State: `next`, the stream offset of the next byte to hand out, and a
 * sorted array of held segments that start after it.  Stream offsets are
 * 64-bit counts from the stream's first byte, so wrapping sequence numbers
 * never reach the comparisons.
 */
#include "tcp_reasm.h"

#include <stdlib.h>
#include <string.h>

typedef struct held {
    uint64_t off;
    size_t len;
    uint8_t *data;
} held;

struct tcp_reasm {
    tcp_reasm_out out;
    void *user;
    size_t max_held;
    int started;
    uint32_t isn;    /* sequence number of stream offset 0 */
    uint64_t next;   /* stream offset of the next byte out */
    uint64_t gap;    /* bytes given up, not yet reported */
    held segs[TCP_REASM_MAX_SEGMENTS];
    size_t nsegs;
    size_t held_bytes;
    uint64_t ignored;
};

tcp_reasm *tcp_reasm_new(size_t max_held, tcp_reasm_out out, void *user)
{
    tcp_reasm *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->out = out;
    r->user = user;
    r->max_held = max_held;
    return r;
}

void tcp_reasm_free(tcp_reasm *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nsegs; i++)
        free(r->segs[i].data);
    free(r);
}

void tcp_reasm_set_user(tcp_reasm *r, void *user)
{
    r->user = user;
}

static void emit(tcp_reasm *r, const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    uint64_t gap = r->gap;
    r->gap = 0;
    r->next += n;
    r->out(r->user, p, n, gap);
}

/* Hands out the held segments that the stream has reached. */
static void release(tcp_reasm *r)
{
    size_t i = 0;
    while (i < r->nsegs && r->segs[i].off <= r->next) {
        held *h = &r->segs[i];
        uint64_t end = h->off + h->len;
        if (end > r->next) {
            size_t skip = (size_t)(r->next - h->off);
            emit(r, h->data + skip, h->len - skip);
        }
        r->held_bytes -= h->len;
        free(h->data);
        i++;
    }
    if (i) {
        memmove(r->segs, r->segs + i, (r->nsegs - i) * sizeof *r->segs);
        r->nsegs -= i;
    }
}

/* Gives up the hole before the first held segment. */
static void skip_hole(tcp_reasm *r)
{
    if (r->nsegs == 0)
        return;
    if (r->segs[0].off > r->next) {
        r->gap += r->segs[0].off - r->next;
        r->next = r->segs[0].off;
    }
    release(r);
}

/* Holds p[0, n) at stream offset off (> next). -1: out of memory. */
static int hold(tcp_reasm *r, uint64_t off, const uint8_t *p, size_t n)
{
    while (r->nsegs > 0 &&
           (r->nsegs == TCP_REASM_MAX_SEGMENTS || r->held_bytes + n > r->max_held)) {
        skip_hole(r);
        if (off + n <= r->next)
            return 0; /* the skip went past it: its bytes were held already */
        if (off < r->next) {
            size_t cut = (size_t)(r->next - off);
            p += cut;
            n -= cut;
            off = r->next;
        }
        if (off == r->next) {
            emit(r, p, n);
            release(r);
            return 0;
        }
    }
    if (n > r->max_held) {
        /* Larger than the whole bound: the bytes before it are lost. */
        r->gap += off - r->next;
        r->next = off;
        emit(r, p, n);
        return 0;
    }
    size_t at = r->nsegs;
    while (at > 0 && r->segs[at - 1].off > off)
        at--;
    uint8_t *copy = malloc(n);
    if (!copy)
        return -1;
    memcpy(copy, p, n);
    memmove(r->segs + at + 1, r->segs + at, (r->nsegs - at) * sizeof *r->segs);
    r->segs[at] = (held){.off = off, .len = n, .data = copy};
    r->nsegs++;
    r->held_bytes += n;
    return 0;
}

int tcp_reasm_segment(tcp_reasm *r, uint32_t seq, int syn, const uint8_t *p, size_t len,
                      size_t wire_len)
{
    if (wire_len < len)
        wire_len = len;
    uint32_t data_seq = syn ? seq + 1u : seq;
    if (!r->started) {
        if (wire_len == 0 && !syn)
            return 0; /* a bare ACK says nothing about where data starts */
        r->started = 1;
        r->isn = data_seq;
    }
    if (wire_len == 0)
        return 0;
    /* Where the segment lies, relative to the next byte expected. */
    uint32_t next_seq = r->isn + (uint32_t)r->next;
    int64_t rel = (int64_t)(int32_t)(data_seq - next_seq);
    if (rel >= (int64_t)TCP_REASM_MAX_AHEAD || rel <= -(int64_t)TCP_REASM_MAX_AHEAD) {
        r->ignored++;
        return 0;
    }
    if (rel < 0 && (uint64_t)-rel > r->next) {
        /* Starts before the stream does (seen from its middle, the first
         * segment seen was not the first sent): only what follows counts. */
        uint64_t before = (uint64_t)-rel - r->next;
        if (before >= wire_len)
            return 0;
        size_t skip = (size_t)before;
        size_t cut = skip < len ? skip : len;
        p += cut;
        len -= cut;
        wire_len -= skip;
        rel = -(int64_t)r->next;
    }
    uint64_t off = (uint64_t)((int64_t)r->next + rel);
    uint64_t end = off + wire_len;
    if (end <= r->next)
        return 0; /* retransmission of bytes already out */
    size_t missing = wire_len - len; /* cut by the snap length: never coming */
    if (off < r->next) {
        size_t cut = (size_t)(r->next - off);
        if (cut >= len) {
            /* Only the lost tail is new. */
            if (r->nsegs == 0) {
                r->gap += end - r->next;
                r->next = end;
            }
            return 0;
        }
        p += cut;
        len -= cut;
        off = r->next;
    }
    int rc = 0;
    if (off == r->next) {
        emit(r, p, len);
        if (missing) {
            r->gap += missing;
            r->next += missing;
        }
        release(r);
    } else if (len) {
        rc = hold(r, off, p, len);
        /* A truncated early segment: its lost tail shows when the stream gets there. */
    }
    return rc;
}

void tcp_reasm_acked(tcp_reasm *r, uint32_t ack)
{
    if (!r->started || r->nsegs == 0)
        return;
    uint32_t next_seq = r->isn + (uint32_t)r->next;
    int32_t rel = (int32_t)(ack - next_seq);
    if (rel <= 0 || (uint32_t)rel >= TCP_REASM_MAX_AHEAD)
        return;
    uint64_t acked = r->next + (uint64_t)rel;
    while (r->nsegs && r->segs[0].off < acked)
        skip_hole(r);
}

void tcp_reasm_finish(tcp_reasm *r)
{
    while (r->nsegs)
        skip_hole(r);
    if (r->gap) {
        uint64_t gap = r->gap;
        r->gap = 0;
        r->out(r->user, NULL, 0, gap);
    }
}

int tcp_reasm_started(const tcp_reasm *r)
{
    return r->started;
}

uint32_t tcp_reasm_isn(const tcp_reasm *r)
{
    return r->isn;
}

uint64_t tcp_reasm_next(const tcp_reasm *r)
{
    return r->next;
}

size_t tcp_reasm_held(const tcp_reasm *r)
{
    return r->held_bytes;
}

uint64_t tcp_reasm_ignored(const tcp_reasm *r)
{
    return r->ignored;
}
