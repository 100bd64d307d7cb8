/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the KDNET layer, with fixed keys so that inputs get
 * past the HMAC and reach the decoders: the control key 8.8.8.8 and the
 * data key of the real capture's handshake (so its datagrams, the seeds,
 * authenticate).  The first byte picks the mode:
 *
 *   bit 0 clear: the rest is a datagram, opened as it is;
 *   bit 0 set:   bit 1 is the channel, the next byte the version, and the
 *                rest a plaintext (zero-filled to a whole block), which is
 *                signed and encrypted here and then opened: it must come
 *                back with a good tag and the same bytes.
 *
 * Whatever verifies goes on: the KD payload to the framer (KDNET mode) and
 * every item to the decoder, so a KD packet inside KDNET is fuzzed too.
 * The result is also rendered (nodes, text, JSON to /dev/null).  Besides
 * memory safety it checks that the result's spans and nodes stay inside
 * their bytes and aborts when one does not.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdparse/decode.h"
#include "kdparse/framer.h"
#include "kdparse/kdnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t control_key[KDNET_KEY_SIZE] = {8, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0,
                                                    8, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0};
/* SHA-256(control key || the capture's response payload). */
static const uint8_t data_key[KDNET_KEY_SIZE] = {
    0x6b, 0xd9, 0x1c, 0x57, 0xbd, 0x6a, 0x55, 0x1a, 0xd3, 0x0b, 0x50, 0x9c, 0x05, 0xc0, 0xc9, 0x5b,
    0x32, 0xcc, 0x5e, 0x47, 0xa0, 0x86, 0x69, 0x07, 0xea, 0xf0, 0xb1, 0x58, 0x33, 0x84, 0xf6, 0x60};

static kd_msg msg;
static FILE *sink;
static uint8_t dgram[KDNET_DATAGRAM_MAX];
static uint8_t plain[KDNET_PLAIN_MAX];

static void on_item(const kd_item *it, void *user)
{
    (void)user;
    kd_decode_opts o = {0};
    kd_decode(it, &o, &msg);
    if (msg.n > KD_MSG_MAX_NODES)
        abort();
}

static int inside(const uint8_t *p, size_t n, const uint8_t *base, size_t len)
{
    return p >= base && n <= len && (size_t)(p - base) <= len - n;
}

static void check(const kdnet_result *r, const uint8_t *dg, size_t len)
{
    if (r->dg.tag && !inside(r->dg.tag, KDNET_TAG_SIZE, dg, len))
        abort();
    if (r->dg.ciphertext && !inside(r->dg.ciphertext, r->dg.ciphertext_len, dg, len))
        abort();
    kdnet_node v[KDNET_MAX_NODES];
    size_t n = kdnet_nodes(r, v, KDNET_MAX_NODES);
    char text[512];
    for (size_t i = 0; i < n; i++) {
        if (v[i].field >= KDNET_F__COUNT)
            abort();
        if (!v[i].generated && !(v[i].in_plain ? (size_t)v[i].offset + v[i].length <= r->plain_len
                                               : (size_t)v[i].offset + v[i].length <= len))
            abort(); /* a node outside its bytes */
        kdnet_node_format(&v[i], text, sizeof text);
    }
    kdnet_summary(r, text, sizeof text);
    if (!sink)
        sink = fopen("/dev/null", "w");
    if (sink)
        kdnet_print_json_fields(sink, r);
    if (!r->has_plain)
        return;
    if (r->p.payload && !inside(r->p.payload, r->p.payload_len, r->plain, r->plain_len))
        abort();
    if (r->kd && !inside(r->kd, r->kd_len, r->p.payload, r->p.payload_len))
        abort();
    if (r->poke.client_random && !inside(r->poke.client_random, KDNET_RANDOM_SIZE, r->p.payload, r->p.payload_len))
        abort();
    if (r->response.host_random && !inside(r->response.host_random, KDNET_RANDOM_SIZE, r->p.payload, r->p.payload_len))
        abort();
    if (r->kd) {
        kd_framer *f = kd_framer_new(KD_TRANSPORT_KDNET, r->p.dir, on_item, NULL);
        if (!f)
            abort();
        kd_framer_feed(f, r->kd, r->kd_len, 0);
        kd_framer_finish(f);
        kd_framer_free(f);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    kdnet_state *s = kdnet_state_new();
    if (!s || kdnet_state_add_key(s, control_key))
        abort();
    kdnet_state_set_data_key(s, data_key);
    kdnet_result r;
    if (!(data[0] & 1)) {
        kdnet_open(s, data + 1, size - 1, plain, sizeof plain, &r);
        check(&r, data + 1, size - 1);
        kdnet_state_free(s);
        return 0;
    }
    if (size < 2)
        goto out;
    uint8_t channel = (data[0] >> 1) & 1;
    size_t n = size - 2;
    size_t padded = n + (KDNET_BLOCK_SIZE - n % KDNET_BLOCK_SIZE) % KDNET_BLOCK_SIZE;
    if (padded == 0)
        padded = KDNET_BLOCK_SIZE;
    size_t len = KDNET_HEADER_SIZE + padded + KDNET_TAG_SIZE;
    if (len > sizeof dgram)
        goto out;
    memcpy(dgram, KDNET_MAGIC, KDNET_MAGIC_SIZE);
    dgram[KDNET_OFF_VERSION] = data[1];
    dgram[KDNET_OFF_CHANNEL] = channel;
    uint8_t *p = dgram + KDNET_HEADER_SIZE;
    memcpy(p, data + 2, n);
    memset(p + n, 0, padded - n);
    uint8_t *tag = p + padded;
    if (kdnet_hmac(control_key, dgram, p, padded, tag) ||
        kdnet_encrypt(channel ? control_key : data_key, tag, p, padded, p))
        abort();
    kdnet_open(s, dgram, len, plain, sizeof plain, &r);
    if (r.hmac != KDNET_HMAC_GOOD || r.plain_len != padded || memcmp(r.plain, data + 2, n) != 0)
        abort(); /* what we sealed must open */
    check(&r, dgram, len);
out:
    kdnet_state_free(s);
    return 0;
}
