/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcp_reasm: one direction's stream from segments in capture order: in
 * order, reordered, retransmitted, overlapping (taken once), after
 * a SYN, across the 2^32 wrap, with gaps (never filled, acknowledged by the
 * peer, cut by the snap length, past the hold bound) named with their size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_reasm.h"

typedef struct out {
    uint8_t b[1 << 16];
    size_t n;
    uint64_t gaps[16];
    size_t gap_at[16]; /* output offset where each gap was reported */
    size_t ngaps;
    size_t calls;
} out;

static void collect(void *user, const uint8_t *p, size_t n, uint64_t gap)
{
    out *o = user;
    o->calls++;
    if (gap) {
        if (o->ngaps < 16) {
            o->gap_at[o->ngaps] = o->n;
            o->gaps[o->ngaps] = gap;
        }
        o->ngaps++;
    }
    assert_true(o->n + n <= sizeof o->b);
    if (n)
        memcpy(o->b + o->n, p, n);
    o->n += n;
}

static const uint8_t text[] = "The quick brown fox jumps over the lazy dog, 0123456789.";
#define TLEN (sizeof text - 1)

static void seg(tcp_reasm *r, uint32_t isn, size_t from, size_t to)
{
    assert_int_equal(tcp_reasm_segment(r, isn + (uint32_t)from, 0, text + from, to - from, to - from), 0);
}

static void test_in_order_after_syn(void **state)
{
    (void)state;
    out o = {0};
    tcp_reasm *r = tcp_reasm_new(4096, collect, &o);
    assert_int_equal(tcp_reasm_segment(r, 999, 1, NULL, 0, 0), 0); /* SYN at 999: data at 1000 */
    assert_true(tcp_reasm_started(r));
    assert_int_equal(tcp_reasm_isn(r), 1000);
    seg(r, 1000, 0, 10);
    seg(r, 1000, 10, TLEN);
    tcp_reasm_finish(r);
    assert_int_equal(o.n, TLEN);
    assert_memory_equal(o.b, text, TLEN);
    assert_int_equal(o.ngaps, 0);
    tcp_reasm_free(r);
}

static void test_every_split_and_order(void **state)
{
    (void)state;
    /* Two pieces cut at every byte, given in both orders; a third copy of each. */
    for (size_t cut = 1; cut < TLEN; cut++) {
        for (int order = 0; order < 2; order++) {
            out o = {0};
            tcp_reasm *r = tcp_reasm_new(4096, collect, &o);
            tcp_reasm_segment(r, 4999, 1, NULL, 0, 0);
            if (order) {
                seg(r, 5000, cut, TLEN);
                assert_int_equal(o.n, 0);
                assert_int_equal(tcp_reasm_held(r), TLEN - cut);
                seg(r, 5000, 0, cut);
            } else {
                seg(r, 5000, 0, cut);
                seg(r, 5000, cut, TLEN);
            }
            seg(r, 5000, 0, cut);
            seg(r, 5000, cut, TLEN);
            tcp_reasm_finish(r);
            assert_int_equal(o.n, TLEN);
            assert_memory_equal(o.b, text, TLEN);
            assert_int_equal(o.ngaps, 0);
            assert_int_equal(tcp_reasm_held(r), 0);
            tcp_reasm_free(r);
        }
    }
}

static void test_overlaps_taken_once(void **state)
{
    (void)state;
    out o = {0};
    tcp_reasm *r = tcp_reasm_new(4096, collect, &o);
    tcp_reasm_segment(r, 99, 1, NULL, 0, 0);
    seg(r, 100, 0, 5);
    /* Held: [20, 30) then an overlapping [15, 25) with other bytes in the
     * overlap, and [25, 40). */
    seg(r, 100, 20, 30);
    static const uint8_t x[10] = "XXXXXXXXXX";
    tcp_reasm_segment(r, 100 + 15, 0, x, 10, 10);
    seg(r, 100, 25, 40);
    assert_int_equal(o.n, 5);
    /* [3, 16): overlaps what came out and what is held. */
    seg(r, 100, 3, 16);
    assert_int_equal(o.n, 40);
    /* Bytes already out are never replaced: [0, 16) is the text; among held
     * copies the one that starts first supplies the overlap: [16, 25) X. */
    assert_memory_equal(o.b, text, 16);
    assert_memory_equal(o.b + 16, x + 1, 9);
    assert_memory_equal(o.b + 25, text + 25, 15);
    seg(r, 100, 38, TLEN);
    tcp_reasm_finish(r);
    assert_int_equal(o.n, TLEN);
    assert_int_equal(o.ngaps, 0);
    tcp_reasm_free(r);
}

static void test_wrap(void **state)
{
    (void)state;
    out o = {0};
    tcp_reasm *r = tcp_reasm_new(4096, collect, &o);
    uint32_t isn = 0xFFFFFFF0u;
    tcp_reasm_segment(r, isn - 1, 1, NULL, 0, 0);
    seg(r, isn, 30, TLEN); /* past the wrap, early */
    seg(r, isn, 0, 12);
    seg(r, isn, 12, 30); /* across it */
    tcp_reasm_finish(r);
    assert_int_equal(o.n, TLEN);
    assert_memory_equal(o.b, text, TLEN);
    assert_int_equal(tcp_reasm_next(r), TLEN);
    tcp_reasm_free(r);
}

static void test_gap_at_end(void **state)
{
    (void)state;
    out o = {0};
    tcp_reasm *r = tcp_reasm_new(4096, collect, &o);
    seg(r, 7, 0, 10); /* no SYN: the stream starts here (seen from its middle) */
    seg(r, 7, 20, 30);
    seg(r, 7, 35, TLEN);
    assert_int_equal(o.n, 10);
    tcp_reasm_finish(r);
    assert_int_equal(o.ngaps, 2);
    assert_int_equal(o.gaps[0], 10);
    assert_int_equal(o.gap_at[0], 10);
    assert_int_equal(o.gaps[1], 5);
    assert_int_equal(o.n, 10 + 10 + (TLEN - 35));
    assert_memory_equal(o.b + 10, text + 20, 10);
    tcp_reasm_free(r);
}

static void test_gap_acknowledged(void **state)
{
    (void)state;
    out o = {0};
    tcp_reasm *r = tcp_reasm_new(4096, collect, &o);
    tcp_reasm_segment(r, 0, 1, NULL, 0, 0);
    seg(r, 1, 0, 10);
    seg(r, 1, 20, 30);
    tcp_reasm_acked(r, 1 + 15); /* not yet past the held segment's start */
    assert_int_equal(o.n, 10 + 0);
    assert_int_equal(o.ngaps, 0);
    tcp_reasm_acked(r, 1 + 30); /* the peer has [10, 20): the capture missed it */
    assert_int_equal(o.ngaps, 1);
    assert_int_equal(o.gaps[0], 10);
    assert_int_equal(o.n, 20);
    tcp_reasm_acked(r, 1 + 1000); /* nothing held: nothing to give up */
    seg(r, 1, 30, TLEN);
    assert_int_equal(o.n, 20 + TLEN - 30);
    tcp_reasm_finish(r);
    assert_int_equal(o.ngaps, 1);
    tcp_reasm_free(r);
}

static void test_snaplen_cut(void **state)
{
    (void)state;
    out o = {0};
    tcp_reasm *r = tcp_reasm_new(4096, collect, &o);
    tcp_reasm_segment(r, 0, 1, NULL, 0, 0);
    /* 20 bytes sent, 8 captured: 12 are lost for good. */
    assert_int_equal(tcp_reasm_segment(r, 1, 0, text, 8, 20), 0);
    seg(r, 1, 20, 30);
    assert_int_equal(o.n, 18);
    assert_int_equal(o.ngaps, 1);
    assert_int_equal(o.gaps[0], 12);
    assert_int_equal(o.gap_at[0], 8);
    assert_memory_equal(o.b + 8, text + 20, 10);
    /* A retransmission of the lost bytes comes too late: taken once, not again. */
    seg(r, 1, 8, 20);
    assert_int_equal(o.n, 18);
    tcp_reasm_free(r);
}

static void test_bounds(void **state)
{
    (void)state;
    /* Held bytes past max_held: the first hole is given up. */
    out o = {0};
    tcp_reasm *r = tcp_reasm_new(16, collect, &o);
    tcp_reasm_segment(r, 0, 1, NULL, 0, 0);
    seg(r, 1, 10, 20);
    seg(r, 1, 30, 40); /* 20 > 16 held: skip to 10 */
    assert_int_equal(o.ngaps, 1);
    assert_int_equal(o.gaps[0], 10);
    assert_int_equal(o.n, 10);
    assert_true(tcp_reasm_held(r) <= 16);
    tcp_reasm_finish(r);
    assert_int_equal(o.n, 20);
    assert_int_equal(o.ngaps, 2);
    tcp_reasm_free(r);

    /* Segment count bound, one byte each with holes between. */
    out p = {0};
    r = tcp_reasm_new(1u << 20, collect, &p);
    tcp_reasm_segment(r, 0, 1, NULL, 0, 0);
    static uint8_t one = 'a';
    for (uint32_t i = 0; i < TCP_REASM_MAX_SEGMENTS + 10; i++)
        tcp_reasm_segment(r, 1 + 2 + 2 * i, 0, &one, 1, 1);
    assert_true(p.n >= 10);
    tcp_reasm_finish(r);
    assert_int_equal(p.n, TCP_REASM_MAX_SEGMENTS + 10);
    tcp_reasm_free(r);

    /* A segment far from the stream is not of it. */
    out q = {0};
    r = tcp_reasm_new(4096, collect, &q);
    seg(r, 1, 0, 10);
    tcp_reasm_segment(r, 1 + 0x60000000u, 0, text, 5, 5);
    tcp_reasm_segment(r, 1 - 0x60000000u, 0, text, 5, 5);
    assert_int_equal(tcp_reasm_ignored(r), 2);
    tcp_reasm_finish(r);
    assert_int_equal(q.n, 10);
    assert_int_equal(q.ngaps, 0);
    tcp_reasm_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order_after_syn),
        cmocka_unit_test(test_every_split_and_order),
        cmocka_unit_test(test_overlaps_taken_once),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_gap_at_end),
        cmocka_unit_test(test_gap_acknowledged),
        cmocka_unit_test(test_snaplen_cut),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
