/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsim replay's plan and matcher (replay_match.h) on the sample sessions,
 * and kdparse's message identity (identity.h).  The boot sample's shape is
 * in captures/README.md: load-symbols ntoskrnl (stop 1) and hal (stop 2),
 * each continued; the initial breakpoint (stop 3) with GetVersion, two
 * reads, GetContext, a write read back, SetContext, GetContext, a
 * breakpoint, Continue2; a DbgPrint; the breakpoint hit (stop 4) with
 * RestoreBreakPoint and Continue2; a DbgPrint.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kdparse/encode.h"
#include "kdparse/identity.h"
#include "kdsession.h"
#include "replay_match.h"

static int add(const kd_msg *m, const kd_annot *a, uint64_t frame, void *user)
{
    assert_int_equal(replay_plan_add(user, m, a, frame), 0);
    return 0;
}

static replay_plan *load(const char *name)
{
    char path[1024], err[256];
    snprintf(path, sizeof path, "%s/%s", KDSCOPE_CAPTURES, name);
    replay_plan *p = replay_plan_new();
    assert_non_null(p);
    kdsession_opts o = {.raw_dir = KD_DIR_UNKNOWN};
    assert_int_equal(kdsession_read(path, &o, add, p, err, sizeof err), 0);
    assert_int_equal(replay_plan_finish(p), 0);
    return p;
}

static kd_msg g_msg;
static kd_item g_item;

/* A recorded step decoded as the live link decodes it. */
static const kd_msg *decoded(const replay_plan *p, const replay_step *s)
{
    g_item = kd_item_from_bytes(replay_plan_bytes(p, s), s->len, s->item_kind, 0, s->dir);
    kd_decode_opts o = {.arch = replay_plan_arch(p), .width = replay_plan_width(p)};
    kd_decode(&g_item, &o, &g_msg);
    return &g_msg;
}

static uint8_t g_pkt[KD_ITEM_MAX_BYTES];

/* A ReadVirtualMemory request (ApiNumber KD_API_READ_VIRTUAL_MEMORY, §1.4) as a debugger sends it. */
static const kd_msg *read_request(const replay_plan *p, uint64_t addr, uint64_t len, uint32_t id)
{
    kd_enc_field f[] = {{KD_F_M_RM_TARGET_BASE_ADDRESS, addr}, {KD_F_M_RM_TRANSFER_COUNT, len}};
    kd_enc_msg m = {.type = KD_TYPE_STATE_MANIPULATE, .id = id, .dir = KD_DIR_D2T, .api = KD_API_READ_VIRTUAL_MEMORY,
                    .arch = replay_plan_arch(p), .width = 64, .fields = f, .n_fields = 2};
    long n = kd_encode(&m, KD_TRANSPORT_SERIAL, g_pkt, sizeof g_pkt);
    assert_true(n > 0);
    g_item = kd_item_from_bytes(g_pkt, (size_t)n, KD_ITEM_DATA, 0, KD_DIR_D2T);
    kd_decode_opts o = {.arch = replay_plan_arch(p), .width = 64};
    kd_decode(&g_item, &o, &g_msg);
    return &g_msg;
}

static void test_boot_plan_shape(void **state)
{
    (void)state;
    replay_plan *p = load("kdsim-amd64-boot.pcapng");
    replay_counts c;
    replay_plan_counts(p, &c);
    assert_int_equal(c.stops, 4);
    assert_int_equal(c.target_events, 6); /* 4 stops, 2 DbgPrints */
    assert_int_equal(c.requests, 14);     /* 10 requests, 4 Continue2 */
    assert_int_equal(replay_plan_arch(p), KD_ARCH_AMD64);
    size_t per_stop[4] = {0}, replies = 0, again = 0;
    for (size_t i = 0; i < replay_plan_steps(p); i++) {
        const replay_step *s = replay_plan_step(p, i);
        if (s->kind == RP_REQUEST || s->kind == RP_RESUME)
            per_stop[s->stop]++;
        if (s->kind == RP_REQUEST) {
            assert_true(s->reply > (long)i);
            const replay_step *r = replay_plan_step(p, (size_t)s->reply);
            assert_int_equal(r->kind, RP_REPLY);
            assert_int_equal(r->api, s->api);
            replies++;
        }
        again += s->kind == RP_TARGET_EVENT && s->ev == RP_EV_STOP_AGAIN;
    }
    assert_int_equal(per_stop[0], 1);
    assert_int_equal(per_stop[1], 1);
    assert_int_equal(per_stop[2], 10);
    assert_int_equal(per_stop[3], 2);
    assert_int_equal(replies, 10);
    assert_int_equal(again, 1); /* the first load-symbols, sent again after the RESET */
    replay_plan_free(p);
}

/* In the recorded order, each request gets its own reply. */
static void test_same_order(void **state)
{
    (void)state;
    replay_plan *p = load("kdsim-amd64-boot.pcapng");
    for (size_t i = 0; i < replay_plan_steps(p); i++) {
        const replay_step *s = replay_plan_step(p, i);
        if (s->kind != RP_REQUEST && s->kind != RP_RESUME)
            continue;
        replay_match m = replay_plan_match(p, s->stop, decoded(p, s));
        assert_int_equal(m.kind, RP_MATCHED);
        assert_int_equal(m.request, (long)i);
        assert_int_equal(m.reply, s->reply);
    }
    replay_plan_free(p);
}

/* In reverse order, still each its own: GetContext twice in stop 3 gets
 * the recorded ones in their order of appearance, a third one the last
 * again. */
static void test_other_order_and_repeats(void **state)
{
    (void)state;
    replay_plan *p = load("kdsim-amd64-boot.pcapng");
    long getctx[2] = {-1, -1};
    int ng = 0;
    for (size_t i = replay_plan_steps(p); i-- > 0;) {
        const replay_step *s = replay_plan_step(p, i);
        if (s->kind != RP_REQUEST || s->stop != 2)
            continue;
        if (s->api == KD_API_GET_CONTEXT) { /* GetContext: asked below */
            getctx[1 - ng++] = (long)i;
            continue;
        }
        replay_match m = replay_plan_match(p, 2, decoded(p, s));
        assert_int_equal(m.kind, RP_MATCHED);
        assert_int_equal(m.request, (long)i);
    }
    assert_int_equal(ng, 2);
    const replay_step *g = replay_plan_step(p, (size_t)getctx[1]);
    replay_match m = replay_plan_match(p, 2, decoded(p, g));
    assert_int_equal(m.kind, RP_MATCHED);
    assert_int_equal(m.request, getctx[0]); /* the first one recorded first */
    m = replay_plan_match(p, 2, decoded(p, g));
    assert_int_equal(m.kind, RP_MATCHED);
    assert_int_equal(m.request, getctx[1]);
    m = replay_plan_match(p, 2, decoded(p, g));
    assert_int_equal(m.kind, RP_REPEATED);
    assert_int_equal(m.request, getctx[1]);
    assert_int_equal(m.reply, replay_plan_step(p, (size_t)getctx[1])->reply);
    replay_plan_free(p);
}

/* Another address: unmatched.  The same address, another length: changed
 * (the recorded reply still).  The right request in another stop: unmatched. */
static void test_unmatched_changed_and_stops(void **state)
{
    (void)state;
    replay_plan *p = load("kdsim-amd64-boot.pcapng");
    const uint64_t kernbase = 0xfffff80002a00000ull;
    replay_match m = replay_plan_match(p, 2, read_request(p, kernbase + 0x123000, 16, KD_INITIAL_PACKET_ID));
    assert_int_equal(m.kind, RP_UNMATCHED);
    assert_int_equal(m.request, -1);
    assert_int_equal(m.reply, -1);
    m = replay_plan_match(p, 3, read_request(p, kernbase, 64, KD_INITIAL_PACKET_ID));
    assert_int_equal(m.kind, RP_UNMATCHED);
    /* The packet id is transport: the same request with another id matches. */
    m = replay_plan_match(p, 2, read_request(p, kernbase, 64, KD_INITIAL_PACKET_ID ^ 1));
    assert_int_equal(m.kind, RP_MATCHED);
    const replay_step *req = replay_plan_step(p, (size_t)m.request);
    assert_int_equal(req->api, KD_API_READ_VIRTUAL_MEMORY);
    m = replay_plan_match(p, 2, read_request(p, kernbase + 0x300010, 8, KD_INITIAL_PACKET_ID));
    assert_int_equal(m.kind, RP_CHANGED);
    assert_true(m.reply >= 0);
    replay_plan_free(p);
}

static void test_breakin_and_reset_stops(void **state)
{
    (void)state;
    replay_plan *p = load("kdsim-breakin.pcapng");
    size_t breakin_stops = 0, breakins = 0;
    for (size_t i = 0; i < replay_plan_steps(p); i++) {
        const replay_step *s = replay_plan_step(p, i);
        breakin_stops += s->kind == RP_TARGET_EVENT && s->needs_breakin;
        breakins += s->kind == RP_BREAKIN;
    }
    assert_int_equal(breakins, 2);
    assert_int_equal(breakin_stops, 2);
    replay_plan_free(p);
    /* The demo's target answers the RESET before its first state change;
     * its DbgPrint comes while stopped, after two requests. */
    p = load("serial-demo.pcapng");
    int seen_stop = 0;
    for (size_t i = 0; i < replay_plan_steps(p); i++) {
        const replay_step *s = replay_plan_step(p, i);
        if (s->kind == RP_TARGET_EVENT && s->ev == RP_EV_STOP) {
            assert_int_equal(s->needs_reset, 1);
            assert_int_equal(s->needs_breakin, 1);
            seen_stop = 1;
        }
        if (s->kind == RP_TARGET_EVENT && s->ev == RP_EV_PRINT) {
            assert_int_equal(s->in_stop, 1);
            assert_int_equal(s->dsync, 2);
        }
    }
    assert_true(seen_stop);
    replay_plan_free(p);
}

/* ------------------------------------------------------------ identity */

static void test_fnv_vectors(void **state)
{
    (void)state;
    /* FNV-1a 64 test vectors (Fowler/Noll/Vo). */
    assert_true(kd_fnv1a(KD_FNV_OFFSET_BASIS, "", 0) == 0xcbf29ce484222325ull);
    assert_true(kd_fnv1a(KD_FNV_OFFSET_BASIS, "a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(kd_fnv1a(KD_FNV_OFFSET_BASIS, "foobar", 6) == 0x85944171f73967e8ull);
}

static void test_identity_key_fields(void **state)
{
    (void)state;
    replay_plan *p = replay_plan_new();
    kd_identity a, b, c, d;
    kd_identity_of(read_request(p, 0x1000, 16, KD_INITIAL_PACKET_ID), NULL, &a);
    kd_identity_of(read_request(p, 0x1000, 16, KD_INITIAL_PACKET_ID ^ 1), NULL, &b);
    kd_identity_of(read_request(p, 0x1000, 32, KD_INITIAL_PACKET_ID), NULL, &c);
    kd_identity_of(read_request(p, 0x2000, 16, KD_INITIAL_PACKET_ID), NULL, &d);
    assert_true(a.ident == b.ident && a.content == b.content); /* the id is transport */
    assert_true(a.ident == c.ident && a.content != c.content); /* the length is not a key */
    assert_true(a.ident != d.ident);                           /* the address is */
    assert_int_equal(a.kind, (uint32_t)KD_DIR_D2T << 28 | (uint32_t)KD_TYPE_STATE_MANIPULATE << 16 | KD_API_READ_VIRTUAL_MEMORY);
    assert_true(kd_identity_key_field(KD_F_M_RM_TARGET_BASE_ADDRESS));
    assert_false(kd_identity_key_field(KD_F_M_RM_TRANSFER_COUNT));
    assert_true(kd_identity_transport_field(KD_F_ID));
    /* With the length in the identity (kddiff --transport) and nothing skipped. */
    kd_identity_opts keep = {.with_length = 1};
    kd_identity_of(read_request(p, 0x1000, 16, KD_INITIAL_PACKET_ID), &keep, &a);
    kd_identity_of(read_request(p, 0x1000, 16, KD_INITIAL_PACKET_ID ^ 1), &keep, &b);
    assert_true(a.ident == b.ident && a.content != b.content);
    replay_plan_free(p);
}

static void test_classifier(void **state)
{
    (void)state;
    replay_plan *p = replay_plan_new();
    kd_enc_field f[] = {{KD_F_EXCEPTION_CODE, KD_STATUS_BREAKPOINT}};
    kd_enc_msg m = {.type = KD_TYPE_STATE_CHANGE64, .id = KD_INITIAL_PACKET_ID, .dir = KD_DIR_T2D, .api = 0x3030,
                    .arch = KD_ARCH_AMD64, .fields = f, .n_fields = 1};
    long n = kd_encode(&m, KD_TRANSPORT_SERIAL, g_pkt, sizeof g_pkt);
    assert_true(n > 0);
    g_item = kd_item_from_bytes(g_pkt, (size_t)n, KD_ITEM_DATA, 0, KD_DIR_T2D);
    kd_decode_opts o = {.arch = KD_ARCH_AMD64, .width = 64};
    kd_decode(&g_item, &o, &g_msg);
    replay_classifier c = {0};
    assert_int_equal(replay_classify(&c, &g_msg), RP_EV_STOP);
    assert_int_equal(replay_classify(&c, &g_msg), RP_EV_STOP_AGAIN);
    replay_classifier_resumed(&c);
    assert_int_equal(replay_classify(&c, &g_msg), RP_EV_STOP);
    assert_true(replay_event_counts(RP_EV_STOP));
    assert_false(replay_event_counts(RP_EV_STOP_AGAIN));
    replay_plan_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boot_plan_shape),     cmocka_unit_test(test_same_order),
        cmocka_unit_test(test_other_order_and_repeats), cmocka_unit_test(test_unmatched_changed_and_stops),
        cmocka_unit_test(test_breakin_and_reset_stops), cmocka_unit_test(test_fnv_vectors),
        cmocka_unit_test(test_identity_key_fields), cmocka_unit_test(test_classifier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
