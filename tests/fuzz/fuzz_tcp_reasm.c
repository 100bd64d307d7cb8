/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the TCP reassembler: the input is a list of
 * operations with sequence numbers and lengths from the fuzzer.  Every
 * segment carries the bytes of one fixed pattern at its sequence numbers
 * (as retransmissions of one stream do), so whatever the order, overlaps,
 * wraps and gaps, each byte that comes out must be the pattern's byte at
 * its place.  Also checked: the stream offset only grows, gaps plus bytes
 * account for it exactly, and the held bytes stay within the bound.
 *
 * Operation (9 bytes): kind (0-5 segment, 6 ack, 7 segment with SYN),
 * seq (4, little-endian), length (2), lost tail (1), flags (1, unused).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kdparse/wire.h"
#include "tcp_reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HELD 4096u
#define MAX_LEN 2048u

static uint8_t pattern(uint32_t seq)
{
    return (uint8_t)((seq * 2654435761u) >> 24);
}

typedef struct check {
    tcp_reasm *r;
    uint64_t pos; /* stream offset of the next byte out */
} check;

static void out(void *user, const uint8_t *p, size_t n, uint64_t gap)
{
    check *c = user;
    c->pos += gap;
    uint32_t isn = tcp_reasm_isn(c->r);
    for (size_t i = 0; i < n; i++)
        if (p[i] != pattern(isn + (uint32_t)(c->pos + i)))
            abort();
    c->pos += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check c = {0};
    c.r = tcp_reasm_new(MAX_HELD, out, &c);
    if (!c.r)
        return 0;
    static uint8_t buf[MAX_LEN];
    for (size_t at = 0; at + 9 <= size; at += 9) {
        const uint8_t *op = data + at;
        uint8_t kind = op[0] & 7u;
        uint32_t seq = kd_le32(op + 1);
        size_t len = kd_le16(op + 5) % (MAX_LEN + 1);
        size_t lost = op[7];
        if (kind == 6) {
            tcp_reasm_acked(c.r, seq);
        } else {
            int syn = kind == 7;
            uint32_t first = syn ? seq + 1u : seq;
            for (size_t i = 0; i < len; i++)
                buf[i] = pattern(first + (uint32_t)i);
            if (tcp_reasm_segment(c.r, seq, syn, buf, len, len + lost) < 0)
                break;
        }
        if (tcp_reasm_held(c.r) > MAX_HELD)
            abort();
        if (c.pos > tcp_reasm_next(c.r))
            abort();
    }
    tcp_reasm_finish(c.r);
    if (tcp_reasm_held(c.r) != 0 || c.pos != tcp_reasm_next(c.r))
        abort();
    tcp_reasm_free(c.r);
    return 0;
}
