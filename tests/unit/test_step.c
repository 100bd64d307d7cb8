/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The decode-and-track step (kdparse/step.h): tracker keys of several items
 * in one record, request -> response links through the step, and the
 * session's architecture and width reaching the next decode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kdparse/encode.h"
#include "kdparse/step.h"

#define MS 1000000ull

/* One item as the step gave it back. */
typedef struct got {
    uint8_t buf[KD_ITEM_MAX_BYTES];
    kd_item it;
    uint64_t key;
    int taught; /* kd_step_item's return */
    kd_annot a;
    kd_msg m;
} got;

typedef struct rig {
    kd_step *step;
    kd_framer *f[2]; /* by direction */
    uint64_t record;
    uint32_t index;
    size_t n;
    got g[16];
} rig;

static void on_item(const kd_item *it, void *user)
{
    rig *r = user;
    assert_true(r->n < 16);
    got *g = &r->g[r->n++];
    memcpy(g->buf, it->bytes, it->len);
    g->it = *it;
    g->it.bytes = g->buf;
    if (it->body)
        g->it.body = g->buf + (it->body - it->bytes);
    g->key = kd_step_key(r->record, r->index++);
    g->taught = kd_step_item(r->step, &g->it, g->key, &g->m, &g->a);
}

static rig *rig_new(const kd_tracker_opts *o)
{
    rig *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->step = kd_step_new(o);
    assert_non_null(r->step);
    r->f[KD_DIR_D2T] = kd_framer_new(KD_TRANSPORT_SERIAL, KD_DIR_D2T, on_item, r);
    r->f[KD_DIR_T2D] = kd_framer_new(KD_TRANSPORT_SERIAL, KD_DIR_T2D, on_item, r);
    return r;
}

static void rig_free(rig *r)
{
    kd_framer_free(r->f[0]);
    kd_framer_free(r->f[1]);
    kd_step_free(r->step);
    free(r);
}

/* One record of a capture: its bytes, in one direction, at ts. */
static void record(rig *r, uint64_t frame, kd_dir dir, const uint8_t *p, size_t n, uint64_t ts)
{
    r->record = frame;
    r->index = 0;
    kd_framer_feed(r->f[dir], p, n, ts);
}

static size_t enc(const kd_enc_msg *m, uint8_t *out)
{
    long n = kd_encode(m, KD_TRANSPORT_SERIAL, out, KD_ITEM_MAX_BYTES);
    assert_true(n > 0);
    return (size_t)n;
}

static size_t ack(uint32_t id, uint8_t *out)
{
    assert_int_equal(kd_frame_control(KD_TYPE_ACKNOWLEDGE, id, out, 16), 16);
    return 16;
}

static size_t get_version_reply(uint32_t id, uint8_t *out)
{
    kd_enc_field f[] = {{KD_F_M_GV_MACHINE_TYPE, 0x8664}, {KD_F_M_GV_MINOR_VERSION, 19041}};
    kd_enc_msg m = {.type = KD_TYPE_STATE_MANIPULATE, .api = KD_API_GET_VERSION, .dir = KD_DIR_T2D, .id = id,
                    .fields = f, .n_fields = 2};
    return enc(&m, out);
}

static size_t exception64(uint32_t id, uint64_t dr6, uint8_t *out)
{
    kd_enc_field f[] = {{KD_F_CR_DR6, dr6}};
    kd_enc_msg m = {.type = KD_TYPE_STATE_CHANGE64, .api = KD_STATE_EXCEPTION, .dir = KD_DIR_T2D, .id = id,
                    .arch = KD_ARCH_AMD64, .fields = f, .n_fields = 1};
    return enc(&m, out);
}

static void test_keys(void **state)
{
    (void)state;
    assert_int_equal(KD_STEP_INDEX_BITS, 16);
    assert_int_equal(kd_step_key(7, 0), 7u << 16);
    assert_int_equal(kd_step_key(7, 3), (7u << 16) | 3);
    assert_true(kd_step_key(7, 0) != kd_step_key(7, 1));
    /* Keys increase with the index, then with the record. */
    assert_true(kd_step_key(7, 1) > kd_step_key(7, 0));
    assert_true(kd_step_key(8, 0) > kd_step_key(7, KD_STEP_INDEX_MAX));
    /* The index wraps past KD_STEP_INDEX_MAX (as kdsession's and the plugin's always did). */
    assert_int_equal(kd_step_key(7, KD_STEP_INDEX_MAX + 1), kd_step_key(7, 0));
    static const uint64_t frames[] = {1, 2, 0xFFFF, 0x10000, 123456789, 0xFFFFFFFFull, 1ull << 40};
    static const uint32_t idx[] = {0, 1, 2, 0x7FFF, KD_STEP_INDEX_MAX};
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++)
        for (size_t j = 0; j < sizeof idx / sizeof idx[0]; j++) {
            uint64_t k = kd_step_key(frames[i], idx[j]);
            assert_int_equal(kd_step_key_frame(k), frames[i]);
            assert_int_equal(kd_step_key_index(k), idx[j]);
        }
    assert_int_equal(kd_step_key_frame(0), 0); /* no link stays no link */

    kd_annot a = {.frame = kd_step_key(9, 2),
                  .ack_in = kd_step_key(10, 1),
                  .acks = kd_step_key(8, 0),
                  .response_in = kd_step_key(12, 4),
                  .request_in = kd_step_key(3, 5),
                  .retransmission_of = kd_step_key(5, 6),
                  .duplicate_of = kd_step_key(6, 7),
                  .response_time_ns = 77,
                  .reset_epoch = 2};
    kd_step_links_to_frames(&a);
    assert_int_equal(a.ack_in, 10);
    assert_int_equal(a.acks, 8);
    assert_int_equal(a.response_in, 12);
    assert_int_equal(a.request_in, 3);
    assert_int_equal(a.retransmission_of, 5);
    assert_int_equal(a.duplicate_of, 6);
    assert_int_equal(a.frame, kd_step_key(9, 2));
    assert_int_equal(a.response_time_ns, 77);
    assert_int_equal(a.reset_epoch, 2);
}

/* GetVersion request (record 1); the target's ACK and reply in one record
 * (2); the debugger's ACK (3). */
static void test_two_in_one_record(void **state)
{
    (void)state;
    rig *r = rig_new(NULL);
    uint8_t p[2 * KD_ITEM_MAX_BYTES];
    kd_enc_msg rq = {.type = KD_TYPE_STATE_MANIPULATE, .api = KD_API_GET_VERSION, .dir = KD_DIR_D2T, .id = 0x80800000u};
    record(r, 1, KD_DIR_D2T, p, enc(&rq, p), 1 * MS);
    size_t n = ack(0x80800000u, p);
    n += get_version_reply(0x80800001u, p + n);
    record(r, 2, KD_DIR_T2D, p, n, 6 * MS);
    assert_int_equal(r->n, 3);
    /* The reply still awaits its ACK. */
    assert_true(kd_step_pending(r->step, r->g[2].key));
    assert_false(kd_step_pending(r->step, r->g[0].key));
    record(r, 3, KD_DIR_D2T, p, ack(0x80800001u, p), 7 * MS);
    assert_int_equal(r->n, 4);
    assert_false(kd_step_pending(r->step, r->g[2].key));

    /* Two items of record 2: distinct keys, each telling its record and place. */
    assert_int_equal(r->g[1].key, kd_step_key(2, 0));
    assert_int_equal(r->g[2].key, kd_step_key(2, 1));
    assert_true(r->g[1].key != r->g[2].key);
    assert_int_equal(kd_step_key_frame(r->g[2].key), 2);
    assert_int_equal(kd_step_key_index(r->g[2].key), 1);
    assert_int_equal(kd_step_key_index(r->g[1].key), 0);
    /* The message is keyed too (what the tracker was given). */
    assert_int_equal(r->g[2].m.track.frame, kd_step_key(2, 1));
    assert_int_equal(r->g[2].a.frame, kd_step_key(2, 1));

    /* Both were tracked: the ACK acknowledges the request, the reply answers it. */
    assert_int_equal(r->g[1].a.acks, kd_step_key(1, 0));
    assert_int_equal(r->g[2].m.api, KD_API_GET_VERSION);
    assert_true(r->g[2].m.is_response);
    assert_int_equal(r->g[2].a.request_in, kd_step_key(1, 0));
    assert_int_equal(r->g[2].a.request_api, KD_API_GET_VERSION);
    assert_int_equal(r->g[2].a.response_time_ns, 5 * MS);
    /* The request's forward links, as the tracker filled them in. */
    const kd_annot *req = kd_step_get(r->step, kd_step_key(1, 0));
    assert_non_null(req);
    assert_int_equal(req->ack_in, kd_step_key(2, 0));
    assert_int_equal(req->response_in, kd_step_key(2, 1));
    assert_false(req->awaits_response);
    assert_int_equal(kd_step_get(r->step, kd_step_key(2, 1))->ack_in, kd_step_key(3, 0));
    /* Links as people read them: record numbers. */
    kd_annot shown = *req;
    kd_step_links_to_frames(&shown);
    assert_int_equal(shown.ack_in, 2);
    assert_int_equal(shown.response_in, 2);
    shown = r->g[2].a;
    kd_step_links_to_frames(&shown);
    assert_int_equal(shown.request_in, 1);
    assert_int_equal(shown.response_time_ns, 5 * MS);
    char line[160];
    kd_msg_summary(&r->g[2].m, &shown, line, sizeof line);
    assert_string_equal(line, "GetVersion -> STATUS_SUCCESS, build 19041, AMD64, protocol 0, kernel 0x0, reply in 5.0 ms");

    /* Only the reply taught the architecture. */
    assert_int_equal(r->g[0].taught, 0);
    assert_int_equal(r->g[1].taught, 0);
    assert_int_equal(r->g[2].taught, 1);
    assert_int_equal(r->g[3].taught, 0);
    kd_step_finish(r->step);
    assert_false(kd_step_get(r->step, kd_step_key(1, 0))->problems & KD_TRACK_NO_RESPONSE);
    rig_free(r);
}

/* A state change before the architecture is known, GetVersion's reply, a
 * state change after it; then a type-1 state change and a manipulate. */
static void test_arch_and_width_reach_next_decode(void **state)
{
    (void)state;
    rig *r = rig_new(NULL);
    uint8_t p[KD_ITEM_MAX_BYTES];
    assert_int_equal(kd_step_arch(r->step), KD_ARCH_UNKNOWN);
    assert_int_equal(kd_step_width(r->step), 64);

    record(r, 1, KD_DIR_T2D, p, exception64(0x80800000u, 0xFFFF0FF1u, p), 1 * MS);
    assert_int_equal(r->g[0].m.arch, KD_ARCH_UNKNOWN);
    assert_non_null(kd_msg_find(&r->g[0].m, KD_F_CR_RAW));
    assert_null(kd_msg_find(&r->g[0].m, KD_F_CR_DR6));
    assert_int_equal(r->g[0].a.arch, KD_ARCH_UNKNOWN);

    record(r, 2, KD_DIR_T2D, p, get_version_reply(0x80800001u, p), 2 * MS);
    assert_int_equal(r->g[1].taught, 1);
    assert_int_equal(kd_step_arch(r->step), KD_ARCH_AMD64);
    assert_int_equal(r->g[1].a.arch, KD_ARCH_AMD64);

    /* The next decode uses it. */
    record(r, 3, KD_DIR_T2D, p, exception64(0x80800000u, 0xFFFF0FF2u, p), 3 * MS);
    assert_int_equal(r->g[2].taught, 0);
    assert_int_equal(r->g[2].m.arch, KD_ARCH_AMD64);
    assert_int_equal(r->g[2].m.width, 64);
    const kd_node *dr6 = kd_msg_find(&r->g[2].m, KD_F_CR_DR6);
    assert_non_null(dr6);
    assert_int_equal(dr6->value, 0xFFFF0FF2u);
    assert_null(kd_msg_find(&r->g[2].m, KD_F_CR_RAW));

    /* What was decoded before can be decoded again with it, keeping its key. */
    kd_step_redecode(r->step, &r->g[0].m);
    assert_int_equal(r->g[0].m.arch, KD_ARCH_AMD64);
    assert_int_equal(r->g[0].m.track.frame, kd_step_key(1, 0));
    dr6 = kd_msg_find(&r->g[0].m, KD_F_CR_DR6);
    assert_non_null(dr6);
    assert_int_equal(dr6->value, 0xFFFF0FF1u);

    /* A type-1 (32-bit) state change: the next manipulate takes the 32-bit layout. */
    kd_enc_msg sc32 = {.type = KD_TYPE_STATE_CHANGE32, .api = KD_STATE_LOAD_SYMBOLS, .dir = KD_DIR_T2D,
                       .id = 0x80800001u, .arch = KD_ARCH_X86, .width = 32};
    record(r, 4, KD_DIR_T2D, p, enc(&sc32, p), 4 * MS);
    assert_int_equal(kd_step_width(r->step), 32);
    kd_enc_field rf[] = {{KD_F_M_RM_TARGET_BASE_ADDRESS, 0x80001000u}, {KD_F_M_RM_TRANSFER_COUNT, 8}};
    kd_enc_msg rd = {.type = KD_TYPE_STATE_MANIPULATE, .api = KD_API_READ_VIRTUAL_MEMORY, .dir = KD_DIR_D2T,
                     .id = 0x80800000u, .width = 32, .fields = rf, .n_fields = 2};
    record(r, 5, KD_DIR_D2T, p, enc(&rd, p), 5 * MS);
    assert_int_equal(r->n, 5);
    assert_int_equal(r->g[4].m.width, 32);
    const kd_node *addr = kd_msg_find(&r->g[4].m, KD_F_M_RM_TARGET_BASE_ADDRESS);
    assert_non_null(addr);
    assert_int_equal(addr->value, 0x80001000u);
    assert_int_equal(r->g[4].a.width, 32);
    rig_free(r);

    /* Forced views hold from the first item, and nothing teaches them. */
    kd_tracker_opts forced = {.arch = KD_ARCH_AMD64, .width = 64};
    r = rig_new(&forced);
    record(r, 1, KD_DIR_T2D, p, exception64(0x80800000u, 0xFFFF0FF3u, p), 1 * MS);
    assert_int_equal(r->g[0].m.arch, KD_ARCH_AMD64);
    assert_non_null(kd_msg_find(&r->g[0].m, KD_F_CR_DR6));
    record(r, 2, KD_DIR_T2D, p, get_version_reply(0x80800001u, p), 2 * MS);
    assert_int_equal(r->g[1].taught, 0);
    rig_free(r);
}

/* An item decoded without tracking (too late for the tracker) gets the
 * session's views and its key, and leaves the tracker alone. */
static void test_decode_untracked(void **state)
{
    (void)state;
    rig *r = rig_new(NULL);
    uint8_t p[KD_ITEM_MAX_BYTES];
    record(r, 2, KD_DIR_T2D, p, get_version_reply(0x80800001u, p), 2 * MS);
    record(r, 3, KD_DIR_T2D, p, exception64(0x80800000u, 0xFFFF0FF4u, p), 3 * MS);
    assert_int_equal(r->n, 2);
    static kd_msg m;
    kd_step_decode(r->step, &r->g[1].it, kd_step_key(1, 3), &m);
    assert_int_equal(m.arch, KD_ARCH_AMD64);
    assert_int_equal(m.track.frame, kd_step_key(1, 3));
    assert_int_equal(m.api, KD_STATE_EXCEPTION);
    const kd_node *dr6 = kd_msg_find(&m, KD_F_CR_DR6);
    assert_non_null(dr6);
    assert_int_equal(dr6->value, 0xFFFF0FF4u);
    assert_null(kd_step_get(r->step, kd_step_key(1, 3)));
    assert_non_null(kd_step_get(r->step, kd_step_key(3, 0)));
    rig_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_two_in_one_record),
        cmocka_unit_test(test_arch_and_width_reach_next_decode),
        cmocka_unit_test(test_decode_untracked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
