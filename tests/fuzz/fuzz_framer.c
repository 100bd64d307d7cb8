/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the framer.  The first byte picks the transport and a
 * chunk size; the rest is the stream.  Besides memory safety it checks the
 * framer's promises and aborts when one breaks: items are contiguous, cover
 * every byte exactly once, stay within KD_ITEM_MAX_BYTES, and chunked
 * framing gives the same items as framing all at once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kdparse/framer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct check {
    const uint8_t *stream;
    size_t len;
    uint64_t next_off;
    uint64_t hash;   /* over kinds, flags and lengths */
    size_t items;
} check;

static void on_item(const kd_item *it, void *user)
{
    check *c = user;
    if (it->offset != c->next_off || it->len == 0 || it->len > KD_ITEM_MAX_BYTES ||
        it->offset + it->len > c->len || memcmp(it->bytes, c->stream + it->offset, it->len) != 0)
        abort();
    if ((it->kind == KD_ITEM_NOISE || it->kind == KD_ITEM_BREAKIN) && it->len > KD_RUN_MAX_BYTES)
        abort();
    if (it->body && (it->body < it->bytes || it->body + it->body_len > it->bytes + it->len))
        abort();
    c->next_off += it->len;
    c->hash = (c->hash * 1000003u) ^ ((uint64_t)it->kind << 40 | (uint64_t)it->flags << 32 | it->len);
    c->items++;
}

static check run(kd_transport t, const uint8_t *s, size_t len, size_t chunk)
{
    check c = {.stream = s, .len = len};
    kd_framer *f = kd_framer_new(t, KD_DIR_D2T, on_item, &c);
    if (!f)
        abort();
    for (size_t i = 0; i < len; i += chunk)
        kd_framer_feed(f, s + i, len - i < chunk ? len - i : chunk, i);
    kd_framer_finish(f);
    kd_framer_free(f);
    if (c.next_off != len)
        abort();
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    kd_transport t = (data[0] & 0x80) ? KD_TRANSPORT_KDNET : KD_TRANSPORT_SERIAL;
    size_t chunk = (size_t)(data[0] & 0x7F) + 1;
    const uint8_t *s = data + 1;
    size_t len = size - 1;
    check whole = run(t, s, len, len ? len : 1);
    check parts = run(t, s, len, chunk);
    if (whole.hash != parts.hash || whole.items != parts.items)
        abort();
    return 0;
}
