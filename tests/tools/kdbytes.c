/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kdbytes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdparse/xorshift.h"

void kdb_free(kdb_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static void reserve(kdb_buf *b, size_t n)
{
    if (b->len + n <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        fprintf(stderr, "kdbytes: out of memory\n");
        abort();
    }
    b->data = p;
    b->cap = cap;
}

void kdb_bytes(kdb_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void kdb_fill(kdb_buf *b, uint8_t v, size_t n)
{
    reserve(b, n);
    memset(b->data + b->len, v, n);
    b->len += n;
}

void kdb_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

void kdb_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void kdb_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void kdb_u8(kdb_buf *b, uint8_t v)
{
    kdb_bytes(b, &v, 1);
}

void kdb_le16(kdb_buf *b, uint16_t v)
{
    uint8_t t[2];
    kdb_put16(t, v);
    kdb_bytes(b, t, 2);
}

void kdb_le32(kdb_buf *b, uint32_t v)
{
    uint8_t t[4];
    kdb_put32(t, v);
    kdb_bytes(b, t, 4);
}

void kdb_le64(kdb_buf *b, uint64_t v)
{
    uint8_t t[8];
    kdb_put64(t, v);
    kdb_bytes(b, t, 8);
}

void kdb_data_packet(kdb_buf *b, uint16_t type, uint32_t id, const uint8_t *body, size_t len,
                     int trailer)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += body[i];
    kdb_fill(b, 0x30, 4);
    kdb_le16(b, type);
    kdb_le16(b, (uint16_t)len);
    kdb_le32(b, id);
    kdb_le32(b, sum);
    kdb_bytes(b, body, len);
    if (trailer)
        kdb_u8(b, 0xAA);
}

void kdb_control_packet(kdb_buf *b, uint16_t type, uint32_t id)
{
    kdb_fill(b, 0x69, 4);
    kdb_le16(b, type);
    kdb_le16(b, 0);
    kdb_le32(b, id);
    kdb_le32(b, 0);
}

uint64_t kdb_rand(kdb_rng *r)
{
    return kd_xorshift64s(&r->s);
}

uint32_t kdb_range(kdb_rng *r, uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t)(kdb_rand(r) % ((uint64_t)hi - lo + 1));
}
