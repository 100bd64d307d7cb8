/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Session tracker tests.  Every session is written by hand as kd_track_in
 * values (what kd_msg would fill in), following the conversation shapes of
 * reference §3.3-§3.7, and every link is checked from both ends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kdparse/tracker.h"

/* ------------------------------------------------------------ building sessions */

#define T2D KD_DIR_T2D
#define D2T KD_DIR_D2T

#define ID0 0x80800000u
#define ID1 0x80800001u
#define IDSYNC 0x80800800u

#define API_READ_VIRTUAL KD_API_READ_VIRTUAL_MEMORY
#define API_GET_CONTEXT KD_API_GET_CONTEXT
#define API_CONTINUE KD_API_CONTINUE
#define API_REBOOT KD_API_REBOOT
#define API_CONTINUE2 KD_API_CONTINUE2
#define API_GET_VERSION KD_API_GET_VERSION
#define API_CAUSE_BUGCHECK KD_API_CAUSE_BUG_CHECK
#define API_SWITCH_PROCESSOR KD_API_SWITCH_PROCESSOR
#define API_CLEAR_ALL_IBP KD_API_CLEAR_ALL_INTERNAL_BREAKPOINTS
#define API_PRINT_STRING 0x3230u
#define API_GET_STRING 0x3231u
#define NEW_STATE_EXCEPTION 0x3030u

typedef struct sess {
    kd_tracker *t;
    uint64_t frame; /* last frame fed */
    uint64_t ts;    /* last timestamp given */
    kd_annot out;   /* annotation returned for the last item */
} sess;

static void sess_open(sess *s, const kd_tracker_opts *opts)
{
    memset(s, 0, sizeof *s);
    s->t = kd_tracker_new(opts);
    assert_non_null(s->t);
}

static void sess_close(sess *s)
{
    kd_tracker_free(s->t);
    s->t = NULL;
}

/* Feeds one item as the next frame; timestamps advance by 1 ms unless given. */
static uint64_t feed(sess *s, kd_track_in in)
{
    in.frame = ++s->frame;
    if (in.ts_ns == 0)
        in.ts_ns = s->ts + 1000000u;
    s->ts = in.ts_ns;
    kd_tracker_add(s->t, &in, &s->out);
    assert_int_equal(s->out.frame, in.frame);
    /* What add returned is what get returns now. */
    const kd_annot *g = kd_tracker_get(s->t, in.frame);
    assert_non_null(g);
    assert_memory_equal(g, &s->out, sizeof *g);
    return in.frame;
}

static uint16_t header_size(uint16_t type)
{
    switch (type) {
    case KD_TYPE_STATE_CHANGE32: return 104;
    case KD_TYPE_STATE_MANIPULATE: return 56;
    case KD_TYPE_DEBUG_IO: return 16;
    case KD_TYPE_STATE_CHANGE64: return 240;
    default: return 64;
    }
}

static kd_track_in data(kd_dir dir, uint16_t type, uint32_t id, uint32_t checksum, uint32_t api)
{
    kd_track_in in = {
        .dir = dir,
        .kind = KD_ITEM_DATA,
        .type = type,
        .byte_count = header_size(type),
        .id = id,
        .checksum = checksum,
        .api = api,
    };
    if (type == KD_TYPE_STATE_CHANGE64)
        in.width_hint = 64;
    else if (type == KD_TYPE_STATE_CHANGE32)
        in.width_hint = 32;
    return in;
}

/* The usual packets, with checksums that differ by content. */
static kd_track_in state_change(uint32_t id, uint32_t checksum)
{
    kd_track_in in = data(T2D, KD_TYPE_STATE_CHANGE64, id, checksum, NEW_STATE_EXCEPTION);
    in.byte_count = 244;
    return in;
}

static kd_track_in manip(kd_dir dir, uint32_t id, uint32_t checksum, uint32_t api)
{
    return data(dir, KD_TYPE_STATE_MANIPULATE, id, checksum, api);
}

static kd_track_in version_reply(uint32_t id, uint16_t machine)
{
    kd_track_in in = manip(T2D, id, 0x1234, API_GET_VERSION);
    in.machine_type = machine;
    in.version_flags = 0x0007;
    return in;
}

static kd_track_in ctl(kd_dir dir, uint16_t type, uint32_t id)
{
    kd_track_in in = {.dir = dir, .kind = KD_ITEM_CONTROL, .type = type, .id = id};
    return in;
}

static kd_track_in ack(kd_dir dir, uint32_t id)
{
    return ctl(dir, KD_TYPE_ACKNOWLEDGE, id);
}

static kd_track_in reset(kd_dir dir)
{
    return ctl(dir, KD_TYPE_RESET, 0);
}

static kd_track_in resend(kd_dir dir)
{
    return ctl(dir, KD_TYPE_RESEND, 0);
}

static kd_track_in other(kd_item_kind kind, kd_dir dir)
{
    kd_track_in in = {.dir = dir, .kind = kind};
    return in;
}

static const kd_annot *get(const sess *s, uint64_t frame)
{
    const kd_annot *a = kd_tracker_get(s->t, frame);
    assert_non_null(a);
    return a;
}

/* ------------------------------------------------------------ link checks */

static void assert_acked(const sess *s, uint64_t pkt, uint64_t ack_frame)
{
    assert_int_equal(get(s, pkt)->ack_in, ack_frame);
    assert_int_equal(get(s, ack_frame)->acks, pkt);
    assert_int_equal(get(s, ack_frame)->problems & KD_TRACK_STRAY_ACK, 0);
}

static void assert_pair(const sess *s, uint64_t req, uint64_t resp, uint32_t api)
{
    const kd_annot *q = get(s, req), *r = get(s, resp);
    assert_int_equal(q->response_in, resp);
    assert_int_equal(r->request_in, req);
    assert_int_equal(r->request_api, api);
    assert_int_equal(q->request_in, 0);
    assert_int_equal(r->response_in, 0);
}

static void assert_problems(const sess *s, uint64_t frame, uint32_t problems)
{
    assert_int_equal(get(s, frame)->problems, problems);
}

/* ------------------------------------------------------------ sessions */

/*
 * The connect shape of §3.5/§3.7: RESET both ways, the state change under
 * 0x80800000, GetVersion, a memory read; every data packet acked.
 */
static void test_clean_session(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);

    uint64_t rst_d = feed(&s, reset(D2T));
    assert_problems(&s, rst_d, KD_TRACK_RESET);
    assert_int_equal(s.out.reset_epoch, 0);
    uint64_t rst_t = feed(&s, reset(T2D));
    assert_problems(&s, rst_t, KD_TRACK_RESET);
    assert_int_equal(s.out.reset_epoch, 1);

    uint64_t sc = feed(&s, state_change(ID0, 0x5000));
    assert_int_equal(s.out.reset_epoch, 2);
    assert_true(kd_tracker_pending(s.t, sc));
    uint64_t sc_ack = feed(&s, ack(D2T, ID0));
    assert_false(kd_tracker_pending(s.t, sc));

    uint64_t gv = feed(&s, manip(D2T, ID0, 0x100, API_GET_VERSION));
    assert_true(kd_tracker_pending(s.t, gv));
    uint64_t gv_ack = feed(&s, ack(T2D, ID0));
    assert_true(kd_tracker_pending(s.t, gv)); /* acked, but the response is due */
    uint64_t gv_r = feed(&s, version_reply(ID1, 0x8664));
    assert_false(kd_tracker_pending(s.t, gv));
    assert_true(kd_tracker_pending(s.t, gv_r));
    uint64_t gv_r_ack = feed(&s, ack(D2T, ID1));
    assert_false(kd_tracker_pending(s.t, gv_r));

    uint64_t rd = feed(&s, manip(D2T, ID1, 0x200, API_READ_VIRTUAL));
    uint64_t rd_ack = feed(&s, ack(T2D, ID1));
    uint64_t rd_r = feed(&s, manip(T2D, ID0, 0x300, API_READ_VIRTUAL));
    uint64_t rd_r_ack = feed(&s, ack(D2T, ID0));

    kd_tracker_finish(s.t);

    assert_acked(&s, sc, sc_ack);
    assert_acked(&s, gv, gv_ack);
    assert_acked(&s, gv_r, gv_r_ack);
    assert_acked(&s, rd, rd_ack);
    assert_acked(&s, rd_r, rd_r_ack);
    assert_pair(&s, gv, gv_r, API_GET_VERSION);
    assert_pair(&s, rd, rd_r, API_READ_VIRTUAL);
    assert_int_equal(get(&s, gv_r)->response_time_ns, 2000000u);
    assert_int_equal(get(&s, rd_r)->response_time_ns, 2000000u);

    /* Nothing else anywhere: no id problem, no retransmission, no flags
     * from finish, no links on the control packets beyond acks. */
    for (uint64_t f = sc; f <= rd_r_ack; f++) {
        const kd_annot *a = get(&s, f);
        assert_int_equal(a->problems, 0);
        assert_int_equal(a->reset_epoch, 2);
        assert_int_equal(a->retransmission_of, 0);
        assert_int_equal(a->duplicate_of, 0);
        assert_int_equal(a->width, 64);
        assert_false(kd_tracker_pending(s.t, f));
    }
    /* The state change is not a request; the ACKs are not acked. */
    assert_int_equal(get(&s, sc)->response_in, 0);
    assert_int_equal(get(&s, sc_ack)->ack_in, 0);
    assert_int_equal(get(&s, rst_d)->ack_in, 0);
    assert_int_equal(get(&s, rst_d)->problems, KD_TRACK_RESET);
    sess_close(&s);
}

/* After boot the target's first id has the sync bit; debuggers ack it with
 * the bit stripped (R2) or exactly (as ROS does). */
static void test_boot_sync_id(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    uint64_t p1 = feed(&s, state_change(IDSYNC, 0x10));
    uint64_t a1 = feed(&s, ack(D2T, ID0)); /* masked */
    uint64_t p2 = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID1, 0x20, API_PRINT_STRING));
    uint64_t a2 = feed(&s, ack(D2T, ID1));
    assert_acked(&s, p1, a1);
    assert_acked(&s, p2, a2);
    assert_problems(&s, p2, 0);

    /* kdcom takes only the masked id (§3.3): the exact one acks nothing
     * (test_sync_bit_ack_kdcom_rule). */
    sess t;
    sess_open(&t, NULL);
    uint64_t q1 = feed(&t, state_change(IDSYNC, 0x10));
    feed(&t, ack(D2T, IDSYNC));
    assert_int_equal(t.out.problems, KD_TRACK_STRAY_ACK);
    uint64_t b1 = feed(&t, ack(D2T, ID0));
    uint64_t q2 = feed(&t, data(T2D, KD_TYPE_DEBUG_IO, ID1, 0x20, API_PRINT_STRING));
    assert_acked(&t, q1, b1);
    assert_problems(&t, q2, 0);

    /* A later sync id (the target gave up a send, §3.7.12) is not a violation. */
    feed(&t, ack(D2T, ID1));
    uint64_t q3 = feed(&t, data(T2D, KD_TYPE_DEBUG_IO, IDSYNC, 0x30, API_PRINT_STRING));
    assert_problems(&t, q3, 0);
    sess_close(&s);
    sess_close(&t);
}

/* The debugger's ACK never came: the target sends the same packet again,
 * and the ACK that finally comes belongs to the newest copy. */
static void test_lost_ack_retransmission(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    uint64_t c1 = feed(&s, state_change(IDSYNC, 0x777));
    uint64_t c2 = feed(&s, state_change(IDSYNC, 0x777));
    assert_int_equal(s.out.retransmission_of, c1);
    /* c1 arrived intact: the debugger acks c2 and drops it (§3.3). */
    assert_int_equal(s.out.problems, KD_TRACK_RETRANSMISSION | KD_TRACK_DUPLICATE);
    assert_int_equal(s.out.duplicate_of, c1);
    assert_false(kd_tracker_pending(s.t, c1)); /* superseded: it cannot get the ACK */
    assert_true(kd_tracker_pending(s.t, c2));
    uint64_t c3 = feed(&s, state_change(IDSYNC, 0x777));
    assert_int_equal(s.out.retransmission_of, c2); /* the chain, copy by copy */
    assert_int_equal(s.out.duplicate_of, c1);      /* the copy taken */

    uint64_t a = feed(&s, ack(D2T, ID0));
    assert_acked(&s, c3, a);
    assert_int_equal(get(&s, c1)->ack_in, 0);
    assert_int_equal(get(&s, c2)->ack_in, 0);

    kd_tracker_finish(s.t);
    /* Superseded copies are not "never acked": their chain was. */
    assert_problems(&s, c1, 0);
    assert_problems(&s, c2, KD_TRACK_RETRANSMISSION | KD_TRACK_DUPLICATE);
    assert_problems(&s, c3, KD_TRACK_RETRANSMISSION | KD_TRACK_DUPLICATE);
    sess_close(&s);
}

/* §3.6: a damaged request, the target's RESEND, the debugger's second copy.
 * The copy that arrived intact is the request the target answers. */
static void test_bad_checksum_resend(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    feed(&s, state_change(ID0, 0x1));
    feed(&s, ack(D2T, ID0));

    kd_track_in bad = manip(D2T, ID0, 0x4242, API_GET_CONTEXT);
    bad.item_flags = KD_ITEM_BAD_CHECKSUM;
    uint64_t r1 = feed(&s, bad);
    assert_int_equal(s.out.problems, 0);
    uint64_t rs = feed(&s, resend(T2D));
    assert_int_equal(s.out.problems, KD_TRACK_RESEND);
    uint64_t r2 = feed(&s, manip(D2T, ID0, 0x4242, API_GET_CONTEXT));
    assert_int_equal(s.out.retransmission_of, r1);
    assert_int_equal(s.out.problems, KD_TRACK_RETRANSMISSION);
    uint64_t a2 = feed(&s, ack(T2D, ID0));
    uint64_t resp = feed(&s, manip(T2D, ID1, 0x9999, API_GET_CONTEXT));
    uint64_t a3 = feed(&s, ack(D2T, ID1));

    assert_acked(&s, r2, a2);
    assert_acked(&s, resp, a3);
    assert_pair(&s, r2, resp, API_GET_CONTEXT);
    assert_int_equal(get(&s, r1)->response_in, 0);
    assert_int_equal(get(&s, r1)->ack_in, 0);
    assert_int_equal(get(&s, rs)->acks, 0);

    kd_tracker_finish(s.t);
    assert_problems(&s, r1, 0); /* neither NO_ACK nor NO_RESPONSE: r2 took over */
    assert_problems(&s, r2, KD_TRACK_RETRANSMISSION);
    assert_problems(&s, resp, 0);
    sess_close(&s);
}

/* Damage in the header itself (ByteCount/Checksum): after the RESEND the
 * next packet with the damaged one's id is still its copy. */
static void test_damaged_header_resend(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    kd_track_in bad = data(T2D, KD_TYPE_DEBUG_IO, IDSYNC, 0xFFFF, API_PRINT_STRING);
    bad.item_flags = KD_ITEM_TRAILER_BAD;
    bad.byte_count = 99;
    uint64_t p1 = feed(&s, bad);
    feed(&s, resend(D2T));
    uint64_t p2 = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, IDSYNC, 0x0123, API_PRINT_STRING));
    assert_int_equal(s.out.retransmission_of, p1);
    assert_int_equal(s.out.problems, KD_TRACK_RETRANSMISSION);
    uint64_t a = feed(&s, ack(D2T, ID0));
    assert_acked(&s, p2, a);
    sess_close(&s);
}

/* §3.3: the same packet again after its ACK: acked again, ignored. */
static void test_duplicate_after_ack(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    uint64_t p = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID0, 0x55, API_PRINT_STRING));
    uint64_t a1 = feed(&s, ack(D2T, ID0));
    uint64_t d = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID0, 0x55, API_PRINT_STRING));
    assert_int_equal(s.out.duplicate_of, p);
    assert_int_equal(s.out.retransmission_of, p);
    assert_int_equal(s.out.problems, KD_TRACK_RETRANSMISSION | KD_TRACK_DUPLICATE);
    assert_true(kd_tracker_pending(s.t, d));
    uint64_t a2 = feed(&s, ack(D2T, ID0));
    assert_acked(&s, p, a1);
    assert_acked(&s, d, a2);

    /* The sequence goes on as if the duplicate had not been there. */
    uint64_t n = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID1, 0x66, API_PRINT_STRING));
    assert_problems(&s, n, 0);
    feed(&s, ack(D2T, ID1));
    /* The same content under the alternated id again is a new packet. */
    uint64_t n2 = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID0, 0x55, API_PRINT_STRING));
    assert_problems(&s, n2, 0);
    kd_tracker_finish(s.t);
    assert_problems(&s, d, KD_TRACK_RETRANSMISSION | KD_TRACK_DUPLICATE);
    sess_close(&s);
}

/* A duplicate request is not a new request: the one response pairs with
 * the first copy. */
static void test_duplicate_request_not_paired(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    uint64_t r = feed(&s, manip(D2T, ID0, 0x10, API_READ_VIRTUAL));
    feed(&s, ack(T2D, ID0));
    uint64_t d = feed(&s, manip(D2T, ID0, 0x10, API_READ_VIRTUAL));
    assert_int_equal(s.out.duplicate_of, r);
    feed(&s, ack(T2D, ID0));
    uint64_t resp = feed(&s, manip(T2D, ID0, 0x20, API_READ_VIRTUAL));
    feed(&s, ack(D2T, ID0));
    assert_pair(&s, r, resp, API_READ_VIRTUAL);
    kd_tracker_finish(s.t);
    assert_problems(&s, d, KD_TRACK_RETRANSMISSION | KD_TRACK_DUPLICATE); /* not NO_RESPONSE */
    sess_close(&s);
}

/* RESET in the middle: epochs, ids restart on both sides, what was in
 * flight is abandoned. */
static void test_reset_mid_session(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    feed(&s, state_change(ID0, 0x1));
    feed(&s, ack(D2T, ID0));
    feed(&s, manip(D2T, ID0, 0x2, API_READ_VIRTUAL));
    feed(&s, ack(T2D, ID0));
    feed(&s, manip(T2D, ID1, 0x3, API_READ_VIRTUAL));
    feed(&s, ack(D2T, ID1));
    /* Expected next: target ID0, debugger ID1.  A request goes unanswered. */
    uint64_t lost = feed(&s, manip(D2T, ID1, 0x4, API_GET_CONTEXT));
    assert_int_equal(s.out.problems, 0);
    assert_int_equal(s.out.reset_epoch, 0);
    assert_true(kd_tracker_pending(s.t, lost));

    uint64_t r1 = feed(&s, reset(D2T));
    assert_int_equal(s.out.reset_epoch, 0);
    assert_false(kd_tracker_pending(s.t, lost));
    uint64_t r2 = feed(&s, reset(T2D));
    assert_int_equal(s.out.reset_epoch, 1);

    /* §3.5: the state change again under 0x80800000, then the debugger's
     * first request under 0x80800000 (it would have been ID1 before). */
    uint64_t sc = feed(&s, state_change(ID0, 0x1));
    assert_int_equal(s.out.reset_epoch, 2);
    assert_int_equal(s.out.problems, 0);
    assert_int_equal(s.out.retransmission_of, 0);
    assert_int_equal(s.out.duplicate_of, 0);
    uint64_t sca = feed(&s, ack(D2T, ID0));
    uint64_t q = feed(&s, manip(D2T, ID0, 0x4, API_GET_CONTEXT));
    assert_int_equal(s.out.problems, 0);
    assert_int_equal(s.out.reset_epoch, 2);
    uint64_t qa = feed(&s, ack(T2D, ID0));
    uint64_t qr = feed(&s, manip(T2D, ID1, 0x5, API_GET_CONTEXT));
    assert_int_equal(s.out.problems, 0);
    feed(&s, ack(D2T, ID1));

    assert_acked(&s, sc, sca);
    assert_acked(&s, q, qa);
    assert_pair(&s, q, qr, API_GET_CONTEXT);
    assert_problems(&s, r1, KD_TRACK_RESET);
    assert_problems(&s, r2, KD_TRACK_RESET);
    assert_int_equal(kd_tracker_get(s.t, lost)->response_in, 0);

    kd_tracker_finish(s.t);
    assert_problems(&s, lost, KD_TRACK_NO_RESPONSE | KD_TRACK_NO_ACK);
    sess_close(&s);
}

/* A wrong id is flagged once; the sender's sequence is then followed. */
static void test_unexpected_id_once(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID0, 0x1, API_PRINT_STRING));
    feed(&s, ack(D2T, ID0));
    /* Expected ID1; the target sends new content under ID0. */
    uint64_t bad = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID0, 0x2, API_PRINT_STRING));
    assert_int_equal(s.out.problems, KD_TRACK_UNEXPECTED_ID);
    assert_int_equal(s.out.duplicate_of, 0);
    /* Its retransmission is not flagged again. */
    uint64_t again = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID0, 0x2, API_PRINT_STRING));
    assert_int_equal(s.out.problems, KD_TRACK_RETRANSMISSION | KD_TRACK_DUPLICATE);
    assert_int_equal(s.out.retransmission_of, bad);
    uint64_t a = feed(&s, ack(D2T, ID0));
    assert_acked(&s, again, a);
    uint64_t next = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID1, 0x3, API_PRINT_STRING));
    assert_int_equal(s.out.problems, 0);
    feed(&s, ack(D2T, ID1));
    uint64_t next2 = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID0, 0x4, API_PRINT_STRING));
    assert_int_equal(s.out.problems, 0);
    (void)next;
    (void)next2;

    /* The debugger's side too: first seen sets it (mid-session capture). */
    uint64_t q1 = feed(&s, manip(D2T, ID1, 0x10, API_READ_VIRTUAL));
    assert_int_equal(s.out.problems, 0);
    feed(&s, ack(T2D, ID1));
    feed(&s, ack(D2T, ID0)); /* next2 */
    feed(&s, manip(T2D, ID1, 0x11, API_READ_VIRTUAL)); /* after ID0 acked: ID1 due */
    assert_int_equal(s.out.problems, 0);
    feed(&s, ack(D2T, ID1));
    uint64_t q2 = feed(&s, manip(D2T, ID1 + 2, 0x12, API_READ_VIRTUAL));
    assert_int_equal(s.out.problems, KD_TRACK_UNEXPECTED_ID);
    feed(&s, ack(T2D, ID1 + 2));
    feed(&s, manip(T2D, ID0, 0x13, API_READ_VIRTUAL));
    feed(&s, ack(D2T, ID0));
    /* Followed from the violation on: 0x80800003 acked, so 0x80800002. */
    uint64_t q3 = feed(&s, manip(D2T, ID1 + 1, 0x14, API_READ_VIRTUAL));
    assert_int_equal(s.out.problems, 0);
    (void)q1;
    (void)q2;
    (void)q3;
    sess_close(&s);
}

/* A capture that starts mid-session: no flag for the first packets. */
static void test_mid_session_start(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    uint64_t a0 = feed(&s, ack(T2D, ID1)); /* its packet was before the capture */
    assert_int_equal(s.out.problems, 0);
    uint64_t p = feed(&s, manip(T2D, ID1, 0x1, API_READ_VIRTUAL)); /* its request too */
    assert_int_equal(s.out.problems, 0);
    assert_int_equal(s.out.request_in, 0);
    feed(&s, ack(D2T, ID1));
    uint64_t q = feed(&s, manip(D2T, ID0, 0x2, API_READ_VIRTUAL));
    assert_int_equal(s.out.problems, 0);
    (void)a0;
    (void)p;
    (void)q;
    sess_close(&s);
}

/* FILE_IO: the target's request (CreateFile 0x3430, ReadFile 0x3431) is
 * answered by the debugger's FILE_IO with the same ApiNumber; a print in
 * between is no answer. */
static void test_file_io_pairs(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    kd_track_in create = data(T2D, KD_TYPE_FILE_IO, ID0, 0x100, 0x3430);
    create.ts_ns = 1000000;
    uint64_t c = feed(&s, create);
    assert_true(kd_tracker_pending(s.t, c));
    feed(&s, ack(D2T, ID0));
    /* The debugger's answer to something else does not pair. */
    feed(&s, data(D2T, KD_TYPE_FILE_IO, ID0, 0x200, 0x3431));
    assert_int_equal(s.out.request_in, 0);
    feed(&s, ack(T2D, ID0));
    kd_track_in reply = data(D2T, KD_TYPE_FILE_IO, ID1, 0x300, 0x3430);
    reply.ts_ns = 3500000;
    uint64_t r = feed(&s, reply);
    assert_int_equal(s.out.request_in, c);
    assert_int_equal(s.out.response_time_ns, 2500000u);
    assert_int_equal(s.out.request_api, 0x3430);
    assert_false(kd_tracker_pending(s.t, c));
    feed(&s, ack(T2D, ID1));
    assert_pair(&s, c, r, 0x3430);
    /* The debugger does not ask: its FILE_IO waits for nothing. */
    uint64_t d = feed(&s, data(D2T, KD_TYPE_FILE_IO, ID0, 0x400, 0x3433));
    feed(&s, ack(T2D, ID0));
    assert_false(kd_tracker_pending(s.t, d));
    sess_close(&s);
}

/* DbgPrompt (§3.7.10): the target's GetString is answered by the
 * debugger's next DEBUG_IO. */
static void test_get_string_prompt(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    kd_track_in prompt = data(T2D, KD_TYPE_DEBUG_IO, ID0, 0x700, API_GET_STRING);
    prompt.ts_ns = 10000000;
    uint64_t p = feed(&s, prompt);
    assert_true(kd_tracker_pending(s.t, p));
    kd_track_in pa = ack(D2T, ID0);
    pa.ts_ns = 10100000;
    uint64_t pak = feed(&s, pa);
    assert_true(kd_tracker_pending(s.t, p)); /* the answer is due */
    kd_track_in answer = data(D2T, KD_TYPE_DEBUG_IO, ID0, 0x800, API_GET_STRING);
    answer.ts_ns = 13500000;
    uint64_t r = feed(&s, answer);
    assert_int_equal(s.out.request_in, p);
    assert_int_equal(s.out.response_time_ns, 3500000u);
    assert_int_equal(s.out.request_api, API_GET_STRING);
    assert_false(kd_tracker_pending(s.t, p));
    uint64_t rak = feed(&s, ack(T2D, ID0));

    assert_acked(&s, p, pak);
    assert_acked(&s, r, rak);
    assert_pair(&s, p, r, API_GET_STRING);

    /* A print is not a request. */
    uint64_t pr = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID1, 0x900, API_PRINT_STRING));
    feed(&s, ack(D2T, ID1));

    /* The answer pairs whatever ApiNumber the debugger put in it. */
    uint64_t p2 = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID0, 0x701, API_GET_STRING));
    feed(&s, ack(D2T, ID0));
    uint64_t r2 = feed(&s, data(D2T, KD_TYPE_DEBUG_IO, ID1, 0x801, 0));
    feed(&s, ack(T2D, ID1));
    assert_pair(&s, p2, r2, API_GET_STRING);
    kd_tracker_finish(s.t);
    assert_problems(&s, p, 0);
    assert_problems(&s, r, 0);
    assert_problems(&s, pr, 0);
    sess_close(&s);
}

/* A request that never gets its response; a packet nobody acked. */
static void test_no_response_finish(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    uint64_t q = feed(&s, manip(D2T, ID0, 0x1, API_READ_VIRTUAL));
    uint64_t qa = feed(&s, ack(T2D, ID0));
    uint64_t p = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID0, 0x2, API_PRINT_STRING));
    assert_true(kd_tracker_pending(s.t, q));
    assert_true(kd_tracker_pending(s.t, p));
    assert_int_equal(get(&s, q)->problems, 0);
    kd_tracker_finish(s.t);
    assert_false(kd_tracker_pending(s.t, q));
    assert_false(kd_tracker_pending(s.t, p));
    assert_acked(&s, q, qa);
    assert_problems(&s, q, KD_TRACK_NO_RESPONSE);
    assert_problems(&s, p, KD_TRACK_NO_ACK);
    assert_problems(&s, qa, 0);
    sess_close(&s);
}

/* The APIs with no reply (§1.4) are never pending for a response and never
 * flagged NO_RESPONSE. */
static void test_no_reply_apis(void **state)
{
    (void)state;
    static const uint32_t apis[] = {API_CONTINUE2,     API_CONTINUE,         API_REBOOT,
                                    API_CAUSE_BUGCHECK, API_SWITCH_PROCESSOR, API_CLEAR_ALL_IBP};
    for (size_t i = 0; i < sizeof apis / sizeof apis[0]; i++) {
        sess s;
        sess_open(&s, NULL);
        uint64_t c = feed(&s, manip(D2T, ID0, 0x10 + (uint32_t)i, apis[i]));
        assert_true(kd_tracker_pending(s.t, c)); /* until its ACK */
        uint64_t a = feed(&s, ack(T2D, ID0));
        assert_false(kd_tracker_pending(s.t, c));
        /* The target runs, then breaks in again. */
        uint64_t sc = feed(&s, state_change(ID0, 0x20));
        assert_int_equal(s.out.request_in, 0);
        feed(&s, ack(D2T, ID0));
        kd_tracker_finish(s.t);
        assert_acked(&s, c, a);
        assert_problems(&s, c, 0);
        assert_int_equal(get(&s, c)->response_in, 0);
        assert_problems(&s, sc, 0);
        sess_close(&s);
    }
}

static void test_error_status(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    feed(&s, manip(D2T, ID0, 0x1, API_READ_VIRTUAL));
    feed(&s, ack(T2D, ID0));
    kd_track_in r = manip(T2D, ID0, 0x2, API_READ_VIRTUAL);
    r.return_status = 0xC0000001u; /* STATUS_UNSUCCESSFUL */
    feed(&s, r);
    assert_int_equal(s.out.problems, KD_TRACK_ERROR_STATUS);
    assert_int_not_equal(s.out.request_in, 0);
    feed(&s, ack(D2T, ID0));

    feed(&s, manip(D2T, ID1, 0x3, API_READ_VIRTUAL));
    feed(&s, ack(T2D, ID1));
    r = manip(T2D, ID1, 0x4, API_READ_VIRTUAL);
    r.return_status = 0x80000005u; /* STATUS_BUFFER_OVERFLOW: a warning */
    feed(&s, r);
    assert_int_equal(s.out.problems, 0);
    feed(&s, ack(D2T, ID1));

    /* The request side's ReturnStatus is not looked at. */
    kd_track_in q = manip(D2T, ID0, 0x5, API_READ_VIRTUAL);
    q.return_status = 0xC0000001u;
    feed(&s, q);
    assert_int_equal(s.out.problems, 0);
    sess_close(&s);
}

static void test_stray_ack(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    uint64_t p = feed(&s, state_change(ID0, 0x1));
    uint64_t a1 = feed(&s, ack(D2T, ID0));
    uint64_t a2 = feed(&s, ack(D2T, ID0)); /* acked twice */
    assert_int_equal(s.out.problems, KD_TRACK_STRAY_ACK);
    assert_int_equal(s.out.acks, 0);
    uint64_t a3 = feed(&s, ack(T2D, ID0)); /* the other way: nothing sent */
    assert_int_equal(s.out.problems, KD_TRACK_STRAY_ACK);
    uint64_t a4 = feed(&s, ack(KD_DIR_UNKNOWN, ID0)); /* unlabelled: not judged */
    assert_int_equal(s.out.problems, 0);
    assert_acked(&s, p, a1);
    (void)a2;
    (void)a3;
    (void)a4;
    sess_close(&s);
}

/* ------------------------------------------------------------ arch and width */

static void test_arch_from_get_version(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    assert_int_equal(kd_tracker_arch(s.t), KD_ARCH_UNKNOWN);
    assert_int_equal(kd_tracker_width(s.t), 64);
    uint64_t sc = feed(&s, state_change(ID0, 0x1));
    feed(&s, ack(D2T, ID0));
    uint64_t q = feed(&s, manip(D2T, ID0, 0x2, API_GET_VERSION));
    assert_int_equal(s.out.arch, KD_ARCH_UNKNOWN);
    feed(&s, ack(T2D, ID0));
    uint64_t r = feed(&s, version_reply(ID1, 0x8664));
    assert_int_equal(s.out.arch, KD_ARCH_AMD64); /* the reply itself */
    uint64_t ra = feed(&s, ack(D2T, ID1));
    assert_int_equal(s.out.arch, KD_ARCH_AMD64);
    assert_int_equal(kd_tracker_arch(s.t), KD_ARCH_AMD64);
    assert_int_equal(get(&s, sc)->arch, KD_ARCH_UNKNOWN);
    assert_int_equal(get(&s, q)->arch, KD_ARCH_UNKNOWN);
    assert_pair(&s, q, r, API_GET_VERSION);
    (void)ra;

    /* A later reply does not change it. */
    feed(&s, manip(D2T, ID1, 0x3, API_GET_VERSION));
    feed(&s, ack(T2D, ID1));
    feed(&s, version_reply(ID0, 0x014C));
    assert_int_equal(s.out.arch, KD_ARCH_AMD64);
    sess_close(&s);

    /* Every machine of §1.7 that kdparse knows. */
    static const struct {
        uint16_t m;
        kd_arch a;
    } machines[] = {{0x014C, KD_ARCH_X86}, {0x8664, KD_ARCH_AMD64}, {0xAA64, KD_ARCH_ARM64},
                    {0x01C0, KD_ARCH_ARM}, {0x01C2, KD_ARCH_ARM},   {0x01C4, KD_ARCH_ARM},
                    {0x0200, KD_ARCH_IA64}, {0x0184, KD_ARCH_ALPHA}, {0x0284, KD_ARCH_ALPHA}};
    for (size_t i = 0; i < sizeof machines / sizeof machines[0]; i++) {
        sess_open(&s, NULL);
        feed(&s, version_reply(ID0, machines[i].m));
        assert_int_equal(kd_tracker_arch(s.t), machines[i].a);
        sess_close(&s);
    }

    /* An unknown machine (PowerPC) leaves it open for the next reply; a
     * damaged reply is not believed. */
    sess_open(&s, NULL);
    feed(&s, version_reply(ID0, 0x01F0));
    assert_int_equal(kd_tracker_arch(s.t), KD_ARCH_UNKNOWN);
    feed(&s, ack(D2T, ID0));
    kd_track_in bad = version_reply(ID1, 0xAA64);
    bad.item_flags = KD_ITEM_BAD_CHECKSUM;
    feed(&s, bad);
    assert_int_equal(kd_tracker_arch(s.t), KD_ARCH_UNKNOWN);
    feed(&s, version_reply(ID1, 0xAA64));
    assert_int_equal(kd_tracker_arch(s.t), KD_ARCH_ARM64);
    sess_close(&s);
}

static void test_arch_opts_override(void **state)
{
    (void)state;
    kd_tracker_opts o = {.arch = KD_ARCH_ARM64, .width = 32};
    sess s;
    sess_open(&s, &o);
    assert_int_equal(kd_tracker_arch(s.t), KD_ARCH_ARM64);
    assert_int_equal(kd_tracker_width(s.t), 32);
    uint64_t first = feed(&s, state_change(ID0, 0x1)); /* width_hint 64 */
    assert_int_equal(s.out.arch, KD_ARCH_ARM64);
    assert_int_equal(s.out.width, 32);
    feed(&s, version_reply(ID0, 0x8664));
    assert_int_equal(s.out.arch, KD_ARCH_ARM64);
    assert_int_equal(kd_tracker_arch(s.t), KD_ARCH_ARM64);
    assert_int_equal(kd_tracker_width(s.t), 32);
    assert_int_equal(get(&s, first)->arch, KD_ARCH_ARM64);
    sess_close(&s);
}

static void test_width_hint(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    uint64_t n = feed(&s, other(KD_ITEM_NOISE, T2D));
    assert_int_equal(s.out.width, 64); /* the default */
    uint64_t sc = feed(&s, data(T2D, KD_TYPE_STATE_CHANGE32, ID0, 0x1, NEW_STATE_EXCEPTION));
    assert_int_equal(s.out.width, 32); /* the packet itself shows it */
    uint64_t a = feed(&s, ack(D2T, ID0));
    assert_int_equal(s.out.width, 32);
    assert_int_equal(kd_tracker_width(s.t), 32);
    assert_int_equal(get(&s, n)->width, 64);
    assert_int_equal(get(&s, sc)->width, 32);
    assert_int_equal(get(&s, a)->width, 32);
    /* A manipulate packet shows nothing. */
    feed(&s, manip(D2T, ID0, 0x2, API_READ_VIRTUAL));
    assert_int_equal(s.out.width, 32);
    sess_close(&s);

    /* Forced 64: a type-1 hint does not change it. */
    kd_tracker_opts o = {.width = 64};
    sess_open(&s, &o);
    feed(&s, data(T2D, KD_TYPE_STATE_CHANGE32, ID0, 0x1, NEW_STATE_EXCEPTION));
    assert_int_equal(s.out.width, 64);
    sess_close(&s);
}

/* ------------------------------------------------------------ KDNET */

/* KDNET mode: RESET still counts epochs; ACKs are still flagged when missing. */
static void test_kdnet_reset_and_finish(void **state)
{
    (void)state;
    kd_tracker_opts o = {.kdnet = 1};
    sess s;
    sess_open(&s, &o);
    feed(&s, ctl(D2T, KD_TYPE_RESET, KD_KDNET_HOST_ID));
    feed(&s, reset(T2D));
    uint64_t sc = feed(&s, state_change(0, 0x1));
    assert_int_equal(s.out.reset_epoch, 2);
    assert_int_equal(s.out.problems, 0);
    kd_tracker_finish(s.t);
    assert_problems(&s, sc, KD_TRACK_NO_ACK);
    sess_close(&s);
}

/* ------------------------------------------------------------ other implementations (issue 13) */

/* Finding 1: a target that does not stop-and-wait sends its next packet
 * before the ACK of the previous one.  The ids alternate, so nothing is
 * wrong, wherever the capture was taken (ACK before or after it). */
static void test_ids_independent_of_ack_order(void **state)
{
    (void)state;
    for (int late = 0; late < 2; late++) {
        sess s;
        sess_open(&s, NULL);
        uint64_t p1 = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, IDSYNC, 0x10, API_PRINT_STRING));
        uint64_t a1 = 0;
        if (!late)
            a1 = feed(&s, ack(D2T, ID0));
        uint64_t p2 = feed(&s, state_change(ID1, 0x20));
        assert_int_equal(s.out.problems, 0);
        if (late)
            a1 = feed(&s, ack(D2T, ID0));
        uint64_t a2 = feed(&s, ack(D2T, ID1));
        uint64_t p3 = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID0, 0x30, API_PRINT_STRING));
        uint64_t p4 = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID1, 0x40, API_PRINT_STRING));
        uint64_t a3 = feed(&s, ack(D2T, ID0));
        uint64_t a4 = feed(&s, ack(D2T, ID1));
        kd_tracker_finish(s.t);
        assert_acked(&s, p1, a1);
        assert_acked(&s, p2, a2);
        assert_acked(&s, p3, a3);
        assert_acked(&s, p4, a4);
        for (uint64_t f = p1; f <= a4; f++)
            assert_problems(&s, f, 0);
        sess_close(&s);
    }
    /* A real violation is flagged whatever the ACK order: new content
     * under the same id is dropped by the receiver as a duplicate (§3.3). */
    for (int late = 0; late < 2; late++) {
        sess s;
        sess_open(&s, NULL);
        feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID0, 0x10, API_PRINT_STRING));
        if (!late)
            feed(&s, ack(D2T, ID0));
        uint64_t bad = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID0, 0x20, API_PRINT_STRING));
        if (late)
            feed(&s, ack(D2T, ID0));
        assert_int_equal(get(&s, bad)->problems & KD_TRACK_UNEXPECTED_ID, KD_TRACK_UNEXPECTED_ID);
        sess_close(&s);
    }
}

/* Finding 2: kdcom accepts an ACK only for CurrentPacketId & ~0x800
 * (§3.3, kddll.c:166): an ACK carrying the sync bit acknowledges nothing,
 * in particular not the state change re-sent under 0x80800000 after a
 * RESET (a debugger acking the boot packet late). */
static void test_sync_bit_ack_kdcom_rule(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    uint64_t boot = feed(&s, state_change(IDSYNC, 0x10));
    feed(&s, reset(D2T));
    feed(&s, reset(T2D));
    uint64_t sc = feed(&s, state_change(ID0, 0x10));
    assert_int_equal(s.out.problems, 0);
    uint64_t late = feed(&s, ack(D2T, IDSYNC));
    assert_int_equal(s.out.problems, KD_TRACK_STRAY_ACK);
    assert_int_equal(s.out.acks, 0);
    uint64_t real = feed(&s, ack(D2T, ID0));
    assert_acked(&s, sc, real);
    assert_int_equal(get(&s, boot)->ack_in, 0);
    (void)late;

    /* Without a RESET too: 0x80800800 is acked by 0x80800000 only. */
    sess t;
    sess_open(&t, NULL);
    uint64_t p = feed(&t, state_change(IDSYNC, 0x10));
    feed(&t, ack(D2T, IDSYNC));
    assert_int_equal(t.out.problems, KD_TRACK_STRAY_ACK);
    uint64_t a = feed(&t, ack(D2T, ID0));
    assert_acked(&t, p, a);
    sess_close(&t);
    sess_close(&s);
}

/* Finding 5: with one direction in the input, nothing that needs the other
 * one is judged: ACKs, missing ACKs, missing responses. */
static void test_one_direction(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    /* The target's stream only: its packets and its ACKs of the debugger's. */
    uint64_t first = feed(&s, state_change(IDSYNC, 0x10));
    feed(&s, ack(T2D, ID0));
    feed(&s, manip(T2D, ID1, 0x20, API_GET_VERSION));
    feed(&s, ack(T2D, ID1));
    feed(&s, manip(T2D, ID0, 0x30, API_READ_VIRTUAL));
    feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID1, 0x40, API_GET_STRING));
    uint64_t last = feed(&s, ack(T2D, ID0));
    kd_tracker_finish(s.t);
    for (uint64_t f = first; f <= last; f++)
        assert_problems(&s, f, 0);
    sess_close(&s);

    /* The debugger's stream only. */
    sess d;
    sess_open(&d, NULL);
    first = feed(&d, ack(D2T, ID0));
    feed(&d, manip(D2T, ID0, 0x20, API_GET_VERSION));
    feed(&d, ack(D2T, ID1));
    feed(&d, manip(D2T, ID1, 0x30, API_READ_VIRTUAL));
    last = feed(&d, ack(D2T, ID0));
    kd_tracker_finish(d.t);
    for (uint64_t f = first; f <= last; f++)
        assert_problems(&d, f, 0);
    sess_close(&d);
}

/* Finding 6: one definition.  A retransmission is a packet sent again; it
 * is a duplicate when the receiver already took an intact copy (it acks
 * and drops it, §3.3), whether or not that copy's ACK was on the wire yet. */
static void test_duplicate_definition(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    /* The ACK was lost: the copy is both. */
    uint64_t p1 = feed(&s, manip(D2T, ID0, 0x10, API_GET_VERSION));
    uint64_t p2 = feed(&s, manip(D2T, ID0, 0x10, API_GET_VERSION));
    assert_int_equal(s.out.problems, KD_TRACK_RETRANSMISSION | KD_TRACK_DUPLICATE);
    assert_int_equal(s.out.retransmission_of, p1);
    assert_int_equal(s.out.duplicate_of, p1);
    feed(&s, ack(T2D, ID0));
    /* Sent again after its ACK: both, pointing at the copy taken. */
    uint64_t p3 = feed(&s, manip(D2T, ID0, 0x10, API_GET_VERSION));
    assert_int_equal(s.out.problems, KD_TRACK_RETRANSMISSION | KD_TRACK_DUPLICATE);
    assert_int_equal(s.out.retransmission_of, p2);
    assert_int_equal(s.out.duplicate_of, p1);
    feed(&s, ack(T2D, ID0));
    (void)p3;
    /* A damaged copy, the RESEND, the copy again: a retransmission only. */
    kd_track_in bad = manip(D2T, ID1, 0x20, API_READ_VIRTUAL);
    bad.item_flags = KD_ITEM_BAD_CHECKSUM;
    uint64_t b1 = feed(&s, bad);
    feed(&s, resend(T2D));
    feed(&s, manip(D2T, ID1, 0x20, API_READ_VIRTUAL));
    assert_int_equal(s.out.problems, KD_TRACK_RETRANSMISSION);
    assert_int_equal(s.out.retransmission_of, b1);
    assert_int_equal(s.out.duplicate_of, 0);
    feed(&s, ack(T2D, ID1));
    /* Intact where we look, but the receiver asked again: not a duplicate. */
    uint64_t c1 = feed(&s, manip(D2T, ID0, 0x30, API_READ_VIRTUAL));
    feed(&s, resend(T2D));
    feed(&s, manip(D2T, ID0, 0x30, API_READ_VIRTUAL));
    assert_int_equal(s.out.problems, KD_TRACK_RETRANSMISSION);
    assert_int_equal(s.out.retransmission_of, c1);
    sess_close(&s);
}

/* KDNET's ids (kdnet.md): the target 0, 2, 4, ...; the host 0x80000000 +
 * 2n; an ACK echoes the id; the host's RESET carries 0x80000000 and the
 * target answers RESET, then its state change again. */
static void test_kdnet_id_rules(void **state)
{
    (void)state;
    kd_tracker_opts o = {.kdnet = 1};
    sess s;
    sess_open(&s, &o);
    uint64_t sc = feed(&s, state_change(0, 0x1));
    uint64_t sca = feed(&s, ack(D2T, 0));
    uint64_t q = feed(&s, manip(D2T, KD_KDNET_HOST_ID, 0x2, API_GET_VERSION));
    uint64_t qa = feed(&s, ack(T2D, KD_KDNET_HOST_ID));
    /* Sent before its request's ACK: still judged by the count. */
    uint64_t q2 = feed(&s, manip(D2T, KD_KDNET_HOST_ID + 2, 0x3, API_READ_VIRTUAL));
    uint64_t r = feed(&s, version_reply(2, 0x8664));
    feed(&s, ack(D2T, 2));
    feed(&s, ack(T2D, KD_KDNET_HOST_ID + 2));
    uint64_t r2 = feed(&s, manip(T2D, 4, 0x4, API_READ_VIRTUAL));
    uint64_t last = feed(&s, ack(D2T, 4));
    for (uint64_t f = sc; f <= last; f++)
        assert_problems(&s, f, 0);
    assert_acked(&s, sc, sca);
    assert_acked(&s, q, qa);
    assert_pair(&s, q, r, API_GET_VERSION);
    assert_pair(&s, q2, r2, API_READ_VIRTUAL);
    assert_int_equal(kd_tracker_arch(s.t), KD_ARCH_AMD64);

    /* Out of count: the serial alternation is wrong here. */
    uint64_t w = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, 5, 0x5, API_PRINT_STRING));
    assert_int_equal(s.out.problems, KD_TRACK_UNEXPECTED_ID);
    feed(&s, ack(D2T, 5));
    /* ... and the count goes on from the sender's id. */
    feed(&s, data(T2D, KD_TYPE_DEBUG_IO, 7, 0x6, API_PRINT_STRING));
    assert_int_equal(s.out.problems, 0);
    feed(&s, ack(D2T, 7));
    feed(&s, manip(D2T, KD_KDNET_HOST_ID + 3, 0x7, API_READ_VIRTUAL));
    assert_int_equal(s.out.problems, KD_TRACK_UNEXPECTED_ID);
    feed(&s, ack(T2D, KD_KDNET_HOST_ID + 3));
    /* An ACK must echo the id exactly (no sync-bit rule in KDNET). */
    uint64_t p = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, 9, 0x8, API_PRINT_STRING));
    feed(&s, ack(D2T, 9 | 0x800));
    assert_int_equal(s.out.problems, KD_TRACK_STRAY_ACK);
    uint64_t pa = feed(&s, ack(D2T, 9));
    assert_acked(&s, p, pa);
    (void)w;

    /* RESET: the host's carries 0x80000000; the target answers RESET and
     * its state change again; the counts start again from what comes. */
    uint64_t rs = feed(&s, ctl(D2T, KD_TYPE_RESET, KD_KDNET_HOST_ID));
    assert_int_equal(s.out.problems, KD_TRACK_RESET);
    feed(&s, ctl(T2D, KD_TYPE_RESET, 0));
    uint64_t sc2 = feed(&s, state_change(0, 0x1));
    assert_int_equal(s.out.problems, 0);
    assert_int_equal(s.out.retransmission_of, 0);
    feed(&s, ack(D2T, 0));
    feed(&s, manip(D2T, KD_KDNET_HOST_ID, 0x9, API_GET_VERSION));
    assert_int_equal(s.out.problems, 0);
    (void)rs;
    (void)sc2;
    /* WinDbg's RESET may carry the host's next id instead (the real
     * capture's frame 202: 0x80000060 after 0x8000005e). */
    feed(&s, ack(T2D, KD_KDNET_HOST_ID));
    feed(&s, ctl(D2T, KD_TYPE_RESET, KD_KDNET_HOST_ID + 2));
    assert_int_equal(s.out.problems, KD_TRACK_RESET);
    /* A host RESET with another id breaks the rule. */
    feed(&s, ctl(D2T, KD_TYPE_RESET, 0));
    assert_int_equal(s.out.problems, KD_TRACK_RESET | KD_TRACK_UNEXPECTED_ID);
    sess_close(&s);
}

/* ------------------------------------------------------------ bookkeeping */

static void test_window_eviction(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    uint64_t q = feed(&s, manip(D2T, ID0, 0x1, API_READ_VIRTUAL)); /* frame 1 */
    assert_int_equal(q, 1);
    assert_true(kd_tracker_pending(s.t, 1));
    for (uint64_t i = 1; i < (uint64_t)KD_TRACK_WINDOW + 10; i++) {
        kd_track_in in = other(i % 2 ? KD_ITEM_NOISE : KD_ITEM_BREAKIN, i % 3 ? T2D : D2T);
        in.frame = ++s.frame;
        in.ts_ns = i;
        kd_tracker_add(s.t, &in, &s.out);
    }
    assert_int_equal(s.frame, (uint64_t)KD_TRACK_WINDOW + 10);
    assert_null(kd_tracker_get(s.t, 1));
    assert_null(kd_tracker_get(s.t, 10));
    assert_false(kd_tracker_pending(s.t, 1));
    assert_non_null(kd_tracker_get(s.t, 11)); /* the oldest still kept */
    assert_non_null(kd_tracker_get(s.t, s.frame));
    assert_null(kd_tracker_get(s.t, s.frame + 1));

    /* The evicted request's response still links back to its frame. */
    uint64_t r = feed(&s, manip(T2D, ID0, 0x2, API_READ_VIRTUAL));
    assert_int_equal(s.out.request_in, 1);
    (void)r;
    kd_tracker_finish(s.t); /* touches only what is in the window */
    sess_close(&s);
}

/* Frame numbers with gaps (Wireshark numbers every frame of a capture). */
static void test_sparse_frames(void **state)
{
    (void)state;
    kd_tracker *t = kd_tracker_new(NULL);
    assert_non_null(t);
    kd_annot out;
    for (uint64_t i = 0; i < 1000; i++) {
        kd_track_in in = other(KD_ITEM_NOISE, T2D);
        in.frame = 7 + i * 13;
        kd_tracker_add(t, &in, &out);
        assert_int_equal(out.frame, in.frame);
    }
    for (uint64_t i = 0; i < 1000; i++) {
        const kd_annot *a = kd_tracker_get(t, 7 + i * 13);
        assert_non_null(a);
        assert_int_equal(a->frame, 7 + i * 13);
        assert_null(kd_tracker_get(t, 8 + i * 13));
    }
    assert_null(kd_tracker_get(t, 0));
    assert_null(kd_tracker_get(t, 6));
    kd_tracker_free(t);
}

/* A frame that does not increase links nothing and changes nothing. */
static void test_frames_not_increasing(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    uint64_t p = feed(&s, state_change(ID0, 0x1));
    uint64_t a = feed(&s, ack(D2T, ID0));

    /* A second item under the same frame number (an ACK that would match
     * nothing): no links, no problems, and the stored one is untouched. */
    kd_track_in again = ack(D2T, ID1);
    again.frame = a;
    kd_annot out;
    kd_tracker_add(s.t, &again, &out);
    assert_int_equal(out.frame, a);
    assert_int_equal(out.acks, 0);
    assert_int_equal(out.problems, 0);
    assert_int_equal(out.width, 64);
    assert_int_equal(get(&s, a)->acks, p);
    /* Nor does an older frame's data packet become an ACK candidate. */
    kd_track_in older = data(T2D, KD_TYPE_DEBUG_IO, ID1, 0x2, API_PRINT_STRING);
    older.frame = 1;
    kd_tracker_add(s.t, &older, &out);
    assert_int_equal(out.frame, 1);
    assert_int_equal(get(&s, 1)->frame, 1);
    assert_int_equal(get(&s, 1)->ack_in, a);

    kd_track_in zero = reset(D2T);
    zero.frame = 0;
    kd_tracker_add(s.t, &zero, &out);
    assert_int_equal(out.frame, 0);
    assert_int_equal(out.reset_epoch, 0);
    assert_null(kd_tracker_get(s.t, 0));

    uint64_t n = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID1, 0x2, API_PRINT_STRING));
    assert_int_equal(s.out.reset_epoch, 0); /* the RESET with frame 0 did not count */
    assert_int_equal(s.out.problems, 0);
    assert_int_equal(s.out.retransmission_of, 0); /* the frame-1 copy was not kept */
    uint64_t na = feed(&s, ack(D2T, ID1));
    assert_acked(&s, p, a);
    assert_acked(&s, n, na);

    kd_tracker_add(s.t, NULL, &out); /* tolerated */
    kd_tracker_add(NULL, &again, &out);
    assert_int_equal(out.frame, 0);
    sess_close(&s);
}

/* Truncated items, noise and break-in get the session state, nothing else. */
static void test_other_items_annotated_only(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    feed(&s, reset(D2T));
    feed(&s, reset(T2D));
    feed(&s, version_reply(ID0, 0xAA64));
    static const kd_item_kind kinds[] = {KD_ITEM_NOISE, KD_ITEM_BREAKIN, KD_ITEM_TRUNCATED};
    for (size_t i = 0; i < 3; i++) {
        kd_track_in in = other(kinds[i], D2T);
        in.type = KD_TYPE_ACKNOWLEDGE; /* a truncated ACK header: still no ACK */
        in.id = ID0;
        in.width_hint = 32;
        uint64_t f = feed(&s, in);
        assert_int_equal(s.out.reset_epoch, 2);
        assert_int_equal(s.out.arch, KD_ARCH_ARM64);
        assert_int_equal(s.out.width, 64);
        assert_int_equal(s.out.problems, 0);
        assert_int_equal(s.out.acks, 0);
        assert_false(kd_tracker_pending(s.t, f));
    }
    assert_true(kd_tracker_pending(s.t, 3)); /* the version reply is still unacked */
    kd_tracker_finish(s.t);
    assert_problems(&s, 4, 0);
    assert_problems(&s, 3, KD_TRACK_NO_ACK);
    sess_close(&s);
}

/* §3.4: a sender waiting for its ACK gets a data packet instead, answers
 * RESEND and moves on to the next id. */
static void test_collision_resend(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID0, 0x1, API_PRINT_STRING));
    feed(&s, ack(D2T, ID0));
    uint64_t p = feed(&s, data(T2D, KD_TYPE_DEBUG_IO, ID1, 0x2, API_PRINT_STRING));
    uint64_t q = feed(&s, manip(D2T, ID0, 0x3, API_READ_VIRTUAL)); /* instead of the ACK */
    uint64_t rs = feed(&s, resend(T2D));
    assert_int_equal(s.out.problems, KD_TRACK_RESEND);
    /* The debugger sends its request again; the target acks it. */
    uint64_t q2 = feed(&s, manip(D2T, ID0, 0x3, API_READ_VIRTUAL));
    assert_int_equal(s.out.retransmission_of, q);
    uint64_t qa = feed(&s, ack(T2D, ID0));
    /* The target's next packet has the toggled id: not a violation. */
    uint64_t r = feed(&s, manip(T2D, ID0, 0x4, API_READ_VIRTUAL));
    assert_int_equal(s.out.problems, 0);
    assert_int_equal(s.out.request_in, q);
    feed(&s, ack(D2T, ID0));
    assert_acked(&s, q2, qa);
    kd_tracker_finish(s.t);
    assert_problems(&s, p, KD_TRACK_NO_ACK); /* still true: nobody acked it */
    (void)rs;
    (void)r;
    sess_close(&s);
}

/* Answers come in order: the oldest matching request gets the response. */
static void test_requests_in_order(void **state)
{
    (void)state;
    sess s;
    sess_open(&s, NULL);
    uint64_t q1 = feed(&s, manip(D2T, ID0, 0x1, API_READ_VIRTUAL));
    feed(&s, ack(T2D, ID0));
    uint64_t q2 = feed(&s, manip(D2T, ID1, 0x2, API_GET_CONTEXT));
    feed(&s, ack(T2D, ID1));
    uint64_t q3 = feed(&s, manip(D2T, ID0, 0x3, API_READ_VIRTUAL));
    feed(&s, ack(T2D, ID0));
    /* The answer to the context read comes first: q1 will never be answered. */
    uint64_t r2 = feed(&s, manip(T2D, ID0, 0x4, API_GET_CONTEXT));
    assert_false(kd_tracker_pending(s.t, q1));
    feed(&s, ack(D2T, ID0));
    uint64_t r3 = feed(&s, manip(T2D, ID1, 0x5, API_READ_VIRTUAL));
    feed(&s, ack(D2T, ID1));
    /* A response nobody asked for. */
    uint64_t r4 = feed(&s, manip(T2D, ID0, 0x6, API_READ_VIRTUAL));
    assert_int_equal(s.out.request_in, 0);
    feed(&s, ack(D2T, ID0));
    assert_pair(&s, q2, r2, API_GET_CONTEXT);
    assert_pair(&s, q3, r3, API_READ_VIRTUAL);
    kd_tracker_finish(s.t);
    assert_problems(&s, q1, KD_TRACK_NO_RESPONSE);
    assert_problems(&s, r4, 0);
    sess_close(&s);
}

static void test_new_free_defaults(void **state)
{
    (void)state;
    kd_tracker *t = kd_tracker_new(NULL);
    assert_non_null(t);
    assert_int_equal(kd_tracker_arch(t), KD_ARCH_UNKNOWN);
    assert_int_equal(kd_tracker_width(t), 64);
    assert_null(kd_tracker_get(t, 1));
    assert_false(kd_tracker_pending(t, 1));
    kd_tracker_finish(t);
    kd_tracker_finish(t);
    kd_tracker_free(t);
    kd_tracker_free(NULL);
    kd_tracker_opts odd = {.width = 48};
    t = kd_tracker_new(&odd);
    assert_non_null(t);
    assert_int_equal(kd_tracker_width(t), 64); /* not 32/64: inferred */
    kd_tracker_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_session),
        cmocka_unit_test(test_boot_sync_id),
        cmocka_unit_test(test_lost_ack_retransmission),
        cmocka_unit_test(test_bad_checksum_resend),
        cmocka_unit_test(test_damaged_header_resend),
        cmocka_unit_test(test_duplicate_after_ack),
        cmocka_unit_test(test_duplicate_request_not_paired),
        cmocka_unit_test(test_reset_mid_session),
        cmocka_unit_test(test_unexpected_id_once),
        cmocka_unit_test(test_mid_session_start),
        cmocka_unit_test(test_get_string_prompt),
        cmocka_unit_test(test_file_io_pairs),
        cmocka_unit_test(test_no_response_finish),
        cmocka_unit_test(test_no_reply_apis),
        cmocka_unit_test(test_error_status),
        cmocka_unit_test(test_stray_ack),
        cmocka_unit_test(test_arch_from_get_version),
        cmocka_unit_test(test_arch_opts_override),
        cmocka_unit_test(test_width_hint),
        cmocka_unit_test(test_kdnet_reset_and_finish),
        cmocka_unit_test(test_window_eviction),
        cmocka_unit_test(test_sparse_frames),
        cmocka_unit_test(test_frames_not_increasing),
        cmocka_unit_test(test_other_items_annotated_only),
        cmocka_unit_test(test_collision_resend),
        cmocka_unit_test(test_requests_in_order),
        cmocka_unit_test(test_new_free_defaults),
        cmocka_unit_test(test_ids_independent_of_ack_order),
        cmocka_unit_test(test_sync_bit_ack_kdcom_rule),
        cmocka_unit_test(test_one_direction),
        cmocka_unit_test(test_duplicate_definition),
        cmocka_unit_test(test_kdnet_id_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
