/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Framer tests: hand-written golden vectors, every truncation point of every
 * packet kind, chunking independence (byte at a time, every split point),
 * a property test over random streams, and each flagged problem.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kdbytes.h"
#include "kdparse/framer.h"

/* ------------------------------------------------------------ collecting items */

typedef struct got_item {
    kd_item it;      /* bytes/body point into data */
    uint8_t *data;
} got_item;

typedef struct got {
    got_item *v;
    size_t n, cap;
} got;

static void collect(const kd_item *it, void *user)
{
    got *g = user;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 16;
        g->v = realloc(g->v, g->cap * sizeof *g->v);
        assert_non_null(g->v);
    }
    got_item *c = &g->v[g->n++];
    c->it = *it;
    c->data = malloc(it->len ? it->len : 1);
    assert_non_null(c->data);
    memcpy(c->data, it->bytes, it->len);
    c->it.bytes = c->data;
    c->it.body = it->body ? c->data + (it->body - it->bytes) : NULL;
}

static void got_free(got *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->v[i].data);
    free(g->v);
    memset(g, 0, sizeof *g);
}

/* Frames buf in chunks of `chunk` bytes (0 = all at once), then finishes. */
static void frame_chunked(kd_transport t, const uint8_t *buf, size_t len, size_t chunk, got *g)
{
    kd_framer *f = kd_framer_new(t, KD_DIR_T2D, collect, g);
    assert_non_null(f);
    if (chunk == 0)
        chunk = len ? len : 1;
    for (size_t i = 0; i < len; i += chunk) {
        size_t n = len - i < chunk ? len - i : chunk;
        kd_framer_feed(f, buf + i, n, 1000);
    }
    kd_framer_finish(f);
    assert_int_equal(kd_framer_offset(f), len);
    kd_framer_free(f);
}

static void frame_all(kd_transport t, const uint8_t *buf, size_t len, got *g)
{
    frame_chunked(t, buf, len, 0, g);
}

/* Lossless: the items, in order, are the input, and offsets are contiguous. */
static void assert_lossless(const got *g, const uint8_t *buf, size_t len)
{
    size_t off = 0;
    for (size_t i = 0; i < g->n; i++) {
        const kd_item *it = &g->v[i].it;
        assert_true(it->len > 0);
        assert_int_equal(it->offset, off);
        assert_true(off + it->len <= len);
        assert_memory_equal(it->bytes, buf + off, it->len);
        off += it->len;
    }
    assert_int_equal(off, len);
}

static void assert_same_items(const got *a, const got *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const kd_item *x = &a->v[i].it, *y = &b->v[i].it;
        assert_int_equal(x->kind, y->kind);
        assert_int_equal(x->flags, y->flags);
        assert_int_equal(x->offset, y->offset);
        assert_int_equal(x->len, y->len);
        assert_memory_equal(x->bytes, y->bytes, x->len);
        assert_int_equal(x->has_header, y->has_header);
        assert_int_equal(x->computed_checksum, y->computed_checksum);
    }
}

/* ------------------------------------------------------------ golden vectors */

/* An ACK for id 0x80800000, written out from §3.1/§3.4. */
static const uint8_t ack_80800000[16] = {0x69, 0x69, 0x69, 0x69, 0x04, 0x00, 0x00, 0x00,
                                         0x00, 0x00, 0x80, 0x80, 0x00, 0x00, 0x00, 0x00};

/*
 * DbgPrint("hi") from the target, written out by hand: DEBUG_IO (3),
 * ByteCount 18 = 16-byte DBGKD_DEBUG_IO + 2, id 0x80800800, body =
 * ApiNumber 0x3230, ProcessorLevel 0, Processor 0, LengthOfString 2,
 * 4 bytes of union padding, "hi".  Checksum 0x30+0x32+0x02+0x68+0x69 = 0x135.
 */
static const uint8_t print_hi[16 + 18 + 1] = {
    0x30, 0x30, 0x30, 0x30, 0x03, 0x00, 0x12, 0x00, 0x00, 0x08, 0x80, 0x80,
    0x35, 0x01, 0x00, 0x00, /* header */
    0x30, 0x32, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x68, 0x69, /* body */
    0xAA};

static void test_golden_ack(void **state)
{
    (void)state;
    got g = {0};
    frame_all(KD_TRANSPORT_SERIAL, ack_80800000, sizeof ack_80800000, &g);
    assert_int_equal(g.n, 1);
    const kd_item *it = &g.v[0].it;
    assert_int_equal(it->kind, KD_ITEM_CONTROL);
    assert_int_equal(it->flags, 0);
    assert_true(it->has_header);
    assert_int_equal(it->leader, KD_CONTROL_LEADER);
    assert_int_equal(it->type, KD_TYPE_ACKNOWLEDGE);
    assert_int_equal(it->id, 0x80800000u);
    assert_int_equal(it->len, 16);
    assert_int_equal(it->dir, KD_DIR_T2D);
    assert_int_equal(it->ts_ns, 1000);
    assert_string_equal(kd_packet_type_name(it->type), "ACKNOWLEDGE");
    got_free(&g);
}

static void test_golden_print(void **state)
{
    (void)state;
    got g = {0};
    frame_all(KD_TRANSPORT_SERIAL, print_hi, sizeof print_hi, &g);
    assert_int_equal(g.n, 1);
    const kd_item *it = &g.v[0].it;
    assert_int_equal(it->kind, KD_ITEM_DATA);
    assert_int_equal(it->flags, 0);
    assert_int_equal(it->leader, KD_PACKET_LEADER);
    assert_int_equal(it->type, KD_TYPE_DEBUG_IO);
    assert_int_equal(it->byte_count, 18);
    assert_int_equal(it->id, 0x80800800u);
    assert_int_equal(it->checksum, 0x135);
    assert_int_equal(it->computed_checksum, 0x135);
    assert_int_equal(it->body_len, 18);
    assert_memory_equal(it->body + 16, "hi", 2);
    assert_true(it->has_trailer);
    assert_int_equal(it->trailer, 0xAA);
    assert_int_equal(it->len, sizeof print_hi);
    got_free(&g);
}

static void test_checksum_function(void **state)
{
    (void)state;
    /* Unsigned bytes, 32-bit wrap (§1.10). */
    uint8_t ff[4000];
    memset(ff, 0xFF, sizeof ff);
    assert_int_equal(kd_checksum(ff, sizeof ff), 4000u * 255u);
    assert_int_equal(kd_checksum(print_hi + 16, 18), 0x135);
    assert_int_equal(kd_checksum(NULL, 0), 0);
    /* The word-at-a-time sum equals the byte-at-a-time one at every length
     * and alignment, including past the 128-word fold. */
    static uint8_t buf[5000];
    kdb_rng rng = {42};
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)kdb_rand(&rng);
    for (size_t start = 0; start < 9; start++) {
        for (size_t len = 0; start + len <= sizeof buf; len += (len < 64 ? 1 : 97)) {
            uint32_t naive = 0;
            for (size_t i = 0; i < len; i++)
                naive += buf[start + i];
            assert_int_equal(kd_checksum(buf + start, len), naive);
        }
    }
}

/* ------------------------------------------------------------ problems */

static void test_bad_checksum(void **state)
{
    (void)state;
    uint8_t pkt[sizeof print_hi];
    memcpy(pkt, print_hi, sizeof pkt);
    pkt[16 + 16] = 'H'; /* "Hi": sum now 0x115 */
    got g = {0};
    frame_all(KD_TRANSPORT_SERIAL, pkt, sizeof pkt, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.v[0].it.kind, KD_ITEM_DATA);
    assert_int_equal(g.v[0].it.flags, KD_ITEM_BAD_CHECKSUM);
    assert_int_equal(g.v[0].it.checksum, 0x135);
    assert_int_equal(g.v[0].it.computed_checksum, 0x115);
    got_free(&g);
}

static void test_trailer_bad(void **state)
{
    (void)state;
    kdb_buf b = {0};
    kdb_bytes(&b, print_hi, sizeof print_hi - 1);
    kdb_u8(&b, 0x55);                       /* wrong trailer: consumed with the packet */
    kdb_bytes(&b, ack_80800000, 16);
    got g = {0};
    frame_all(KD_TRANSPORT_SERIAL, b.data, b.len, &g);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.v[0].it.kind, KD_ITEM_DATA);
    assert_int_equal(g.v[0].it.flags, KD_ITEM_TRAILER_BAD);
    assert_int_equal(g.v[0].it.len, sizeof print_hi);
    assert_true(g.v[0].it.has_trailer);
    assert_int_equal(g.v[0].it.trailer, 0x55);
    assert_int_equal(g.v[1].it.kind, KD_ITEM_CONTROL);
    assert_lossless(&g, b.data, b.len);
    got_free(&g);
    kdb_free(&b);
}

static void test_trailer_missing_before_packet(void **state)
{
    (void)state;
    kdb_buf b = {0};
    kdb_bytes(&b, print_hi, sizeof print_hi - 1); /* no 0xAA */
    kdb_bytes(&b, ack_80800000, 16);              /* the next packet starts at once */
    got g = {0};
    frame_all(KD_TRANSPORT_SERIAL, b.data, b.len, &g);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.v[0].it.kind, KD_ITEM_DATA);
    assert_int_equal(g.v[0].it.flags, KD_ITEM_TRAILER_MISSING);
    assert_int_equal(g.v[0].it.len, sizeof print_hi - 1);
    assert_false(g.v[0].it.has_trailer);
    assert_int_equal(g.v[1].it.kind, KD_ITEM_CONTROL);
    assert_int_equal(g.v[1].it.id, 0x80800000u);
    got_free(&g);
    kdb_free(&b);
}

static void test_oversize(void **state)
{
    (void)state;
    kdb_buf b = {0};
    /* ByteCount 4001: header only, then the receiver hunts again (§3.6). */
    kdb_fill(&b, 0x30, 4);
    kdb_le16(&b, KD_TYPE_STATE_MANIPULATE);
    kdb_le16(&b, 4001);
    kdb_le32(&b, 0x80800000u);
    kdb_le32(&b, 0);
    kdb_fill(&b, 0x11, 100); /* what the sender meant as body */
    kdb_bytes(&b, ack_80800000, 16);
    got g = {0};
    frame_all(KD_TRANSPORT_SERIAL, b.data, b.len, &g);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.v[0].it.kind, KD_ITEM_DATA);
    assert_int_equal(g.v[0].it.flags, KD_ITEM_OVERSIZE);
    assert_int_equal(g.v[0].it.len, 16);
    assert_int_equal(g.v[0].it.byte_count, 4001);
    assert_int_equal(g.v[1].it.kind, KD_ITEM_NOISE);
    assert_int_equal(g.v[1].it.len, 100);
    assert_int_equal(g.v[2].it.kind, KD_ITEM_CONTROL);
    assert_lossless(&g, b.data, b.len);
    got_free(&g);
    kdb_free(&b);
}

static void test_max_size_accepted(void **state)
{
    (void)state;
    uint8_t body[KD_PACKET_MAX_SIZE];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (uint8_t)(i * 7);
    kdb_buf b = {0};
    kdb_data_packet(&b, KD_TYPE_STATE_MANIPULATE, 0x80800001u, body, sizeof body, 1);
    got g = {0};
    frame_all(KD_TRANSPORT_SERIAL, b.data, b.len, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.v[0].it.kind, KD_ITEM_DATA);
    assert_int_equal(g.v[0].it.flags, 0);
    assert_int_equal(g.v[0].it.len, 16 + 4000 + 1);
    assert_int_equal(g.v[0].it.len, KD_ITEM_MAX_BYTES);
    got_free(&g);
    kdb_free(&b);
}

/* ------------------------------------------------------------ leaders, noise, break-in */

static void test_mixed_leaders(void **state)
{
    (void)state;
    /* "000" then "iiii...": the first byte of another kind restarts the
     * count (§3.2), so 30 30 30 is noise and the control packet is whole. */
    kdb_buf b = {0};
    kdb_fill(&b, 0x30, 3);
    kdb_bytes(&b, ack_80800000, 16);
    /* "ii" interrupted by 'x', then a data packet. */
    kdb_fill(&b, 0x69, 2);
    kdb_u8(&b, 'x');
    kdb_bytes(&b, print_hi, sizeof print_hi);
    got g = {0};
    frame_all(KD_TRANSPORT_SERIAL, b.data, b.len, &g);
    assert_int_equal(g.n, 4);
    assert_int_equal(g.v[0].it.kind, KD_ITEM_NOISE);
    assert_int_equal(g.v[0].it.len, 3);
    assert_int_equal(g.v[1].it.kind, KD_ITEM_CONTROL);
    assert_int_equal(g.v[1].it.offset, 3);
    assert_int_equal(g.v[2].it.kind, KD_ITEM_NOISE);
    assert_memory_equal(g.v[2].it.bytes, "iix", 3);
    assert_int_equal(g.v[3].it.kind, KD_ITEM_DATA);
    assert_int_equal(g.v[3].it.flags, 0);
    assert_lossless(&g, b.data, b.len);
    got_free(&g);
    kdb_free(&b);
}

static void test_breakin_runs(void **state)
{
    (void)state;
    kdb_buf b = {0};
    kdb_fill(&b, 0x62, 3);       /* one run of three */
    kdb_bytes(&b, "zz", 2);      /* noise */
    kdb_u8(&b, 0x62);            /* a single break-in */
    kdb_fill(&b, 0x30, 2);       /* a partial leader, spilled by ... */
    kdb_u8(&b, 0x62);            /* ... a break-in byte */
    got g = {0};
    frame_all(KD_TRANSPORT_SERIAL, b.data, b.len, &g);
    assert_int_equal(g.n, 5);
    assert_int_equal(g.v[0].it.kind, KD_ITEM_BREAKIN);
    assert_int_equal(g.v[0].it.len, 3);
    assert_int_equal(g.v[1].it.kind, KD_ITEM_NOISE);
    assert_int_equal(g.v[1].it.len, 2);
    assert_int_equal(g.v[2].it.kind, KD_ITEM_BREAKIN);
    assert_int_equal(g.v[2].it.len, 1);
    assert_int_equal(g.v[3].it.kind, KD_ITEM_NOISE);
    assert_memory_equal(g.v[3].it.bytes, "00", 2);
    assert_int_equal(g.v[4].it.kind, KD_ITEM_BREAKIN);
    assert_lossless(&g, b.data, b.len);
    got_free(&g);
    kdb_free(&b);
}

static void test_long_noise_is_cut(void **state)
{
    (void)state;
    kdb_buf b = {0};
    kdb_fill(&b, 0x01, 10000);
    for (size_t chunk = 0; chunk <= 4097; chunk += 4097) {
        got g = {0};
        frame_chunked(KD_TRANSPORT_SERIAL, b.data, b.len, chunk, &g);
        assert_int_equal(g.n, 3);
        assert_int_equal(g.v[0].it.len, KD_RUN_MAX_BYTES);
        assert_int_equal(g.v[1].it.len, KD_RUN_MAX_BYTES);
        assert_int_equal(g.v[2].it.len, 10000 - 2 * KD_RUN_MAX_BYTES);
        assert_lossless(&g, b.data, b.len);
        got_free(&g);
    }
    kdb_free(&b);
}

static void test_kdnet_no_trailer(void **state)
{
    (void)state;
    kdb_buf b = {0};
    kdb_bytes(&b, print_hi, sizeof print_hi - 1);
    kdb_bytes(&b, ack_80800000, 16);
    got g = {0};
    frame_all(KD_TRANSPORT_KDNET, b.data, b.len, &g);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.v[0].it.kind, KD_ITEM_DATA);
    assert_int_equal(g.v[0].it.flags, 0);
    assert_false(g.v[0].it.has_trailer);
    assert_int_equal(g.v[0].it.len, sizeof print_hi - 1);
    got_free(&g);
    /* An 0xAA after a KDNET packet is not a trailer: it is noise. */
    kdb_free(&b);
    kdb_bytes(&b, print_hi, sizeof print_hi);
    frame_all(KD_TRANSPORT_KDNET, b.data, b.len, &g);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.v[1].it.kind, KD_ITEM_NOISE);
    assert_int_equal(g.v[1].it.len, 1);
    got_free(&g);
    kdb_free(&b);
}

static void test_timestamps_and_offsets(void **state)
{
    (void)state;
    got g = {0};
    kd_framer *f = kd_framer_new(KD_TRANSPORT_SERIAL, KD_DIR_D2T, collect, &g);
    kd_framer_feed(f, (const uint8_t *)"zz", 2, 5);
    kd_framer_feed(f, ack_80800000, 3, 7);      /* leader starts at ts 7 */
    kd_framer_feed(f, ack_80800000 + 3, 13, 9); /* completes at ts 9 */
    kd_framer_feed(f, print_hi, sizeof print_hi, 11);
    kd_framer_finish(f);
    kd_framer_free(f);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.v[0].it.ts_ns, 5);
    assert_int_equal(g.v[0].it.offset, 0);
    assert_int_equal(g.v[1].it.ts_ns, 7);
    assert_int_equal(g.v[1].it.offset, 2);
    assert_int_equal(g.v[1].it.dir, KD_DIR_D2T);
    assert_int_equal(g.v[2].it.ts_ns, 11);
    assert_int_equal(g.v[2].it.offset, 18);
    got_free(&g);
}

static void test_flush_runs(void **state)
{
    (void)state;
    got g = {0};
    kd_framer *f = kd_framer_new(KD_TRANSPORT_SERIAL, KD_DIR_T2D, collect, &g);
    /* A noise run is emitted at once... */
    kd_framer_feed(f, (const uint8_t *)"zz", 2, 1);
    kd_framer_flush_runs(f);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.v[0].it.kind, KD_ITEM_NOISE);
    /* ... but a packet in progress and pending leader bytes are kept. */
    kd_framer_feed(f, print_hi, 10, 2);
    kd_framer_flush_runs(f);
    assert_int_equal(g.n, 1);
    kd_framer_feed(f, print_hi + 10, sizeof print_hi - 10, 3);
    kd_framer_feed(f, ack_80800000, 2, 4); /* "ii" */
    kd_framer_flush_runs(f);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.v[1].it.kind, KD_ITEM_DATA);
    assert_int_equal(g.v[1].it.flags, 0);
    kd_framer_feed(f, ack_80800000 + 2, 14, 5);
    kd_framer_finish(f);
    kd_framer_free(f);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.v[2].it.kind, KD_ITEM_CONTROL);
    assert_int_equal(g.v[2].it.ts_ns, 4);
    got_free(&g);
}

/* ------------------------------------------------------------ truncation */

/* Cuts pkt at every point and checks what the framer makes of the prefix. */
static void check_truncations(kd_transport t, const uint8_t *pkt, size_t len, kd_item_kind whole)
{
    for (size_t cut = 0; cut <= len; cut++) {
        got g = {0};
        frame_all(t, pkt, cut, &g);
        assert_lossless(&g, pkt, cut);
        if (cut == 0) {
            assert_int_equal(g.n, 0);
        } else if (cut < 4) {
            /* An unfinished leader is noise (or a break-in run). */
            assert_int_equal(g.n, 1);
            assert_true(g.v[0].it.kind == KD_ITEM_NOISE || g.v[0].it.kind == KD_ITEM_BREAKIN);
        } else if (cut == len) {
            assert_int_equal(g.n, 1);
            assert_int_equal(g.v[0].it.kind, whole);
            assert_int_equal(g.v[0].it.flags, 0);
        } else if (t == KD_TRANSPORT_SERIAL && whole == KD_ITEM_DATA && cut == len - 1) {
            /* Everything but the trailer arrived. */
            assert_int_equal(g.n, 1);
            assert_int_equal(g.v[0].it.kind, KD_ITEM_DATA);
            assert_int_equal(g.v[0].it.flags, KD_ITEM_TRAILER_MISSING);
        } else {
            assert_int_equal(g.n, 1);
            const kd_item *it = &g.v[0].it;
            assert_int_equal(it->kind, KD_ITEM_TRUNCATED);
            assert_int_equal(it->leader, kd_le32(pkt));
            assert_int_equal(it->has_header, cut >= 16);
            if (cut >= 16)
                assert_int_equal(it->type, kd_le16(pkt + 4));
            if (cut > 16 && whole == KD_ITEM_DATA)
                assert_int_equal(it->body_len, cut - 16);
        }
        got_free(&g);
    }
}

static void test_truncation_every_kind(void **state)
{
    (void)state;
    check_truncations(KD_TRANSPORT_SERIAL, print_hi, sizeof print_hi, KD_ITEM_DATA);
    check_truncations(KD_TRANSPORT_KDNET, print_hi, sizeof print_hi - 1, KD_ITEM_DATA);
    check_truncations(KD_TRANSPORT_SERIAL, ack_80800000, 16, KD_ITEM_CONTROL);
    /* RESEND and RESET: control packets with id 0 (§1.11). */
    kdb_buf b = {0};
    kdb_control_packet(&b, KD_TYPE_RESEND, 0);
    check_truncations(KD_TRANSPORT_SERIAL, b.data, b.len, KD_ITEM_CONTROL);
    kdb_free(&b);
    kdb_control_packet(&b, KD_TYPE_RESET, 0);
    check_truncations(KD_TRANSPORT_SERIAL, b.data, b.len, KD_ITEM_CONTROL);
    kdb_free(&b);
    /* A 56-byte manipulate request and an empty-body data packet. */
    uint8_t manip[56] = {0x46, 0x31};
    kdb_data_packet(&b, KD_TYPE_STATE_MANIPULATE, 0x80800000u, manip, sizeof manip, 1);
    check_truncations(KD_TRANSPORT_SERIAL, b.data, b.len, KD_ITEM_DATA);
    kdb_free(&b);
    kdb_data_packet(&b, KD_TYPE_STATE_CHANGE64, 0x80800000u, NULL, 0, 1);
    check_truncations(KD_TRANSPORT_SERIAL, b.data, b.len, KD_ITEM_DATA);
    kdb_free(&b);
    /* Oversize: any cut past the header gives the header item plus noise. */
    uint8_t big[16] = {0x30, 0x30, 0x30, 0x30, 2, 0, 0xA1, 0x0F};
    for (size_t cut = 4; cut < 16; cut++) {
        got g = {0};
        frame_all(KD_TRANSPORT_SERIAL, big, cut, &g);
        assert_int_equal(g.n, 1);
        assert_int_equal(g.v[0].it.kind, KD_ITEM_TRUNCATED);
        got_free(&g);
    }
    /* A break-in byte: complete at every length. */
    got g = {0};
    frame_all(KD_TRANSPORT_SERIAL, (const uint8_t *)"b", 1, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.v[0].it.kind, KD_ITEM_BREAKIN);
    got_free(&g);
}

/* ------------------------------------------------------------ chunking */

/* A stream with one of everything. */
static void build_mixed_stream(kdb_buf *b)
{
    uint8_t body[300];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (uint8_t)(i ^ 0x5A);
    kdb_u8(b, 0x62);
    kdb_control_packet(b, KD_TYPE_RESET, 0);
    kdb_bytes(b, "\x01\x30\x30\x02", 4);
    kdb_bytes(b, print_hi, sizeof print_hi);
    kdb_data_packet(b, KD_TYPE_STATE_MANIPULATE, 0x80800001u, body, sizeof body, 1);
    kdb_bytes(b, ack_80800000, 16);
    kdb_fill(b, 0x62, 4);
    uint8_t bad[sizeof print_hi];
    memcpy(bad, print_hi, sizeof bad);
    bad[20] ^= 1;
    kdb_bytes(b, bad, sizeof bad);
    kdb_bytes(b, print_hi, 10); /* truncated tail */
}

static void test_byte_at_a_time_equals_all_at_once(void **state)
{
    (void)state;
    kdb_buf b = {0};
    build_mixed_stream(&b);
    got all = {0}, one = {0};
    frame_chunked(KD_TRANSPORT_SERIAL, b.data, b.len, 0, &all);
    frame_chunked(KD_TRANSPORT_SERIAL, b.data, b.len, 1, &one);
    assert_same_items(&all, &one);
    assert_lossless(&all, b.data, b.len);
    /* What the stream holds, in order: 01 30 30 02 is one noise run. */
    const kd_item_kind kinds[] = {KD_ITEM_BREAKIN, KD_ITEM_CONTROL, KD_ITEM_NOISE,
                                  KD_ITEM_DATA,    KD_ITEM_DATA,    KD_ITEM_CONTROL,
                                  KD_ITEM_BREAKIN, KD_ITEM_DATA,    KD_ITEM_TRUNCATED};
    assert_int_equal(all.n, sizeof kinds / sizeof kinds[0]);
    for (size_t i = 0; i < all.n; i++)
        assert_int_equal(all.v[i].it.kind, kinds[i]);
    assert_int_equal(all.v[2].it.len, 4);
    assert_int_equal(all.v[6].it.len, 4);
    assert_int_equal(all.v[7].it.flags, KD_ITEM_BAD_CHECKSUM);
    assert_int_equal(all.v[8].it.len, 10);
    got_free(&all);
    got_free(&one);
    kdb_free(&b);
}

/* kd_item_from_bytes gives back what the framer made, from the bytes. */
static void test_item_from_bytes(void **state)
{
    (void)state;
    kdb_buf b = {0};
    build_mixed_stream(&b);
    kdb_bytes(&b, print_hi, sizeof print_hi - 1); /* trailer missing before ... */
    kdb_bytes(&b, ack_80800000, 16);              /* ... a control packet */
    uint8_t big[16] = {0x30, 0x30, 0x30, 0x30, 2, 0, 0xA1, 0x0F};
    kdb_bytes(&b, big, 16); /* oversize */
    got g = {0};
    frame_all(KD_TRANSPORT_SERIAL, b.data, b.len, &g);
    assert_true(g.n >= 12);
    for (size_t i = 0; i < g.n; i++) {
        const kd_item *x = &g.v[i].it;
        kd_item y = kd_item_from_bytes(x->bytes, x->len, x->kind, x->flags, x->dir);
        assert_int_equal(y.has_header, x->has_header);
        assert_int_equal(y.leader, x->leader);
        assert_int_equal(y.type, x->type);
        assert_int_equal(y.byte_count, x->byte_count);
        assert_int_equal(y.id, x->id);
        assert_int_equal(y.checksum, x->checksum);
        assert_int_equal(y.computed_checksum, x->computed_checksum);
        assert_int_equal(y.body_len, x->body_len);
        assert_true(y.body == x->body);
        assert_int_equal(y.has_trailer, x->has_trailer);
        assert_int_equal(y.trailer, x->trailer);
    }
    got_free(&g);
    kdb_free(&b);
}

static void test_split_at_every_boundary(void **state)
{
    (void)state;
    kdb_buf b = {0};
    build_mixed_stream(&b);
    got ref = {0};
    frame_all(KD_TRANSPORT_SERIAL, b.data, b.len, &ref);
    for (size_t cut = 0; cut <= b.len; cut++) {
        got g = {0};
        kd_framer *f = kd_framer_new(KD_TRANSPORT_SERIAL, KD_DIR_T2D, collect, &g);
        kd_framer_feed(f, b.data, cut, 1000);
        kd_framer_feed(f, b.data + cut, b.len - cut, 1000);
        kd_framer_finish(f);
        kd_framer_free(f);
        assert_same_items(&ref, &g);
        got_free(&g);
    }
    got_free(&ref);
    kdb_free(&b);
}

/* ------------------------------------------------------------ property test */

typedef struct expect_pkt {
    size_t off, len;
    kd_item_kind kind;
} expect_pkt;

/*
 * Random streams: valid packets of random sizes and kinds, noise, break-in
 * runs and partial leaders of the other kind, framed with random chunking.
 * Noise is generated so that it cannot legitimately change the framing of
 * the next packet (no leader byte of the packet's kind right before it).
 */
static void test_property_random_streams(void **state)
{
    (void)state;
    kdb_rng rng = {0x1234567u};
    static uint8_t body[KD_PACKET_MAX_SIZE];
    for (int iter = 0; iter < 3000; iter++) {
        kdb_buf b = {0};
        expect_pkt exp[64];
        size_t nexp = 0;
        int segments = (int)kdb_range(&rng, 1, 40);
        for (int s = 0; s < segments && nexp < 64; s++) {
            uint32_t what = kdb_range(&rng, 0, 9);
            if (what <= 4) { /* data packet */
                uint32_t len = kdb_range(&rng, 0, 3) == 0 ? kdb_range(&rng, 0, KD_PACKET_MAX_SIZE)
                                                           : kdb_range(&rng, 0, 120);
                for (uint32_t i = 0; i < len; i++)
                    body[i] = (uint8_t)kdb_rand(&rng);
                exp[nexp].off = b.len;
                kdb_data_packet(&b, (uint16_t)kdb_range(&rng, 0, 11), (uint32_t)kdb_rand(&rng), body,
                                len, 1);
                exp[nexp].len = b.len - exp[nexp].off;
                exp[nexp++].kind = KD_ITEM_DATA;
            } else if (what <= 6) { /* control packet */
                exp[nexp].off = b.len;
                kdb_control_packet(&b, (uint16_t)kdb_range(&rng, 4, 6), (uint32_t)kdb_rand(&rng));
                exp[nexp].len = 16;
                exp[nexp++].kind = KD_ITEM_CONTROL;
            } else if (what == 7) { /* break-in run */
                kdb_fill(&b, 0x62, kdb_range(&rng, 1, 5));
            } else if (what == 8) { /* mixed leader bytes: a partial run of each kind */
                kdb_fill(&b, 0x30, kdb_range(&rng, 1, 3));
                kdb_fill(&b, 0x69, kdb_range(&rng, 1, 3));
                kdb_u8(&b, 0x00); /* ends on a non-leader byte */
            } else { /* noise: any bytes but runs of leader bytes, ending on a non-leader */
                uint32_t n = kdb_range(&rng, 1, 50);
                for (uint32_t i = 0; i < n; i++) {
                    uint8_t x = (uint8_t)kdb_rand(&rng);
                    if (x == 0x30 || x == 0x69)
                        x = (i & 1) ? 0x30 : 0x69; /* alternate: never 4 in a row */
                    kdb_u8(&b, x);
                }
                kdb_u8(&b, 0x01);
            }
        }
        /* Reference: all at once; then random chunking must agree. */
        got ref = {0}, chunked = {0};
        frame_all(KD_TRANSPORT_SERIAL, b.data, b.len, &ref);
        assert_lossless(&ref, b.data, b.len);
        kd_framer *f = kd_framer_new(KD_TRANSPORT_SERIAL, KD_DIR_T2D, collect, &chunked);
        for (size_t i = 0; i < b.len;) {
            size_t n = kdb_range(&rng, 0, 4) == 0 ? kdb_range(&rng, 1, 4100) : kdb_range(&rng, 1, 17);
            if (n > b.len - i)
                n = b.len - i;
            kd_framer_feed(f, b.data + i, n, 1000);
            i += n;
        }
        kd_framer_finish(f);
        kd_framer_free(f);
        assert_same_items(&ref, &chunked);
        /* Every valid packet comes out whole, verified, at its offset. */
        size_t j = 0;
        for (size_t e = 0; e < nexp; e++) {
            while (j < ref.n && ref.v[j].it.offset < exp[e].off)
                j++;
            assert_true(j < ref.n);
            const kd_item *it = &ref.v[j].it;
            assert_int_equal(it->offset, exp[e].off);
            assert_int_equal(it->len, exp[e].len);
            assert_int_equal(it->kind, exp[e].kind);
            assert_int_equal(it->flags, 0);
            if (it->kind == KD_ITEM_DATA)
                assert_int_equal(it->computed_checksum, it->checksum);
        }
        got_free(&ref);
        got_free(&chunked);
        kdb_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_ack),
        cmocka_unit_test(test_golden_print),
        cmocka_unit_test(test_checksum_function),
        cmocka_unit_test(test_bad_checksum),
        cmocka_unit_test(test_trailer_bad),
        cmocka_unit_test(test_trailer_missing_before_packet),
        cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_max_size_accepted),
        cmocka_unit_test(test_mixed_leaders),
        cmocka_unit_test(test_breakin_runs),
        cmocka_unit_test(test_long_noise_is_cut),
        cmocka_unit_test(test_kdnet_no_trailer),
        cmocka_unit_test(test_timestamps_and_offsets),
        cmocka_unit_test(test_flush_runs),
        cmocka_unit_test(test_truncation_every_kind),
        cmocka_unit_test(test_byte_at_a_time_equals_all_at_once),
        cmocka_unit_test(test_split_at_every_boundary),
        cmocka_unit_test(test_item_from_bytes),
        cmocka_unit_test(test_property_random_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
