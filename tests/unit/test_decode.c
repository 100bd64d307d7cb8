/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Encoder/decoder round trips for every message kind, and a session built
 * with the encoder going through framer -> decoder -> tracker.
 * (Offsets themselves are checked against the reference by test_golden.c.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kdparse/decode.h"
#include "kdparse/encode.h"
#include "kdparse/step.h"
#include "kdparse/tracker.h"

static kd_msg g_a, g_b;

typedef struct one_item {
    uint8_t buf[KD_ITEM_MAX_BYTES];
    kd_item it;
    int n;
} one_item;

static void keep(const kd_item *it, void *user)
{
    one_item *o = user;
    o->n++;
    memcpy(o->buf, it->bytes, it->len);
    o->it = *it;
    o->it.bytes = o->buf;
    if (it->body)
        o->it.body = o->buf + (it->body - it->bytes);
}

/* Frames a packet the way a receiver would and decodes it. */
static void decode_packet(const uint8_t *pkt, size_t len, kd_dir dir, kd_arch arch, uint8_t width,
                          one_item *o, kd_msg *m)
{
    o->n = 0;
    kd_framer *f = kd_framer_new(KD_TRANSPORT_SERIAL, dir, keep, o);
    kd_framer_feed(f, pkt, len, 0);
    kd_framer_finish(f);
    kd_framer_free(f);
    assert_int_equal(o->n, 1);
    assert_int_equal(o->it.kind, KD_ITEM_DATA);
    assert_int_equal(o->it.flags, 0);
    kd_decode_opts opts = {.arch = arch, .width = width};
    kd_decode(&o->it, &opts, m);
}

/* Fields whose value changes the message's shape, or that frame it. */
static int shape_field(uint16_t f)
{
    switch (f) {
    case KD_F_M_API_NUMBER:
    case KD_F_STATE_NEW_STATE:
    case KD_F_DIO_API_NUMBER:
    case KD_F_TIO_API_NUMBER:
    case KD_F_CRQ_API_NUMBER:
    case KD_F_FIO_API_NUMBER:
    case KD_F_M_CX_OFFSET:
    case KD_F_M_GV_MACHINE_TYPE:
    case KD_F_M_GV32_MACHINE_TYPE:
        return 1;
    default:
        return 0;
    }
}

/*
 * Encodes the message with no field set, gives every settable integer field
 * a distinct value, encodes again and checks that decoding returns exactly
 * those values in the same shape.  Returns how many fields were checked.
 */
static size_t round_trip(uint16_t type, uint32_t api, kd_dir dir, kd_arch arch, uint8_t width,
                         size_t data_len)
{
    static uint8_t pkt[KD_ITEM_MAX_BYTES], data[KD_PACKET_MAX_SIZE];
    static one_item o;
    static kd_enc_field fields[KD_MSG_MAX_NODES];
    memset(data, 0, data_len);
    kd_enc_msg m = {.type = type, .api = api, .dir = dir, .arch = arch, .width = width,
                    .id = 0x80800001u, .data = data, .data_len = data_len};
    long n = kd_encode(&m, KD_TRANSPORT_SERIAL, pkt, sizeof pkt);
    assert_true(n > 0);
    decode_packet(pkt, (size_t)n, dir, arch, width, &o, &g_a);
    assert_int_equal(g_a.api, api);

    size_t nf = 0;
    for (uint16_t i = 0; i < g_a.n; i++) {
        const kd_node *nd = &g_a.nodes[i];
        kd_ftype t = kd_fields[nd->field].type;
        int in_body = nd->offset >= KD_PACKET_HEADER_SIZE && nd->offset < KD_PACKET_HEADER_SIZE + o.it.body_len;
        if (!in_body || (nd->flags & KD_NODE_GENERATED) || t == KD_FT_NONE ||
            t == KD_FT_BYTES || t == KD_FT_STRING || t == KD_FT_UTF16 || shape_field(nd->field))
            continue;
        uint64_t v = 0x0102030405060708ull * (uint64_t)(nf + 1) ^ 0xA5A5A5A5A5A5A5A5ull;
        if (nd->length < 8)
            v &= (1ull << (8 * nd->length)) - 1;
        fields[nf++] = (kd_enc_field){(kd_field_id)nd->field, v};
    }
    m.fields = fields;
    m.n_fields = nf;
    n = kd_encode(&m, KD_TRANSPORT_SERIAL, pkt, sizeof pkt);
    assert_true(n > 0);
    decode_packet(pkt, (size_t)n, dir, arch, width, &o, &g_b);
    assert_int_equal(g_b.n, g_a.n);
    for (uint16_t i = 0; i < g_b.n; i++) {
        assert_int_equal(g_b.nodes[i].field, g_a.nodes[i].field);
        assert_int_equal(g_b.nodes[i].offset, g_a.nodes[i].offset);
    }
    size_t k = 0;
    for (uint16_t i = 0; i < g_b.n; i++) {
        const kd_node *nd = &g_b.nodes[i];
        if (k < nf && nd->field == fields[k].field && !(nd->flags & KD_NODE_GENERATED) &&
            nd->offset >= KD_PACKET_HEADER_SIZE) {
            assert_int_equal(nd->value, fields[k].value);
            k++;
        }
    }
    assert_int_equal(k, nf);
    uint32_t allowed = KD_DECODE_LENGTH_MISMATCH;
    if (type == KD_TYPE_STATE_MANIPULATE && !kd_val_name(kd_vals_api, api))
        allowed |= KD_DECODE_UNKNOWN_API; /* between CauseBugCheck and SwitchProcessor: unassigned (§1.4) */
    assert_int_equal(g_b.problems & ~allowed, 0);
    return nf;
}

static size_t context_size(kd_arch a)
{
    return a == KD_ARCH_X86 ? 716 : a == KD_ARCH_AMD64 ? 1232 : 912;
}

static const kd_arch arches[] = {KD_ARCH_X86, KD_ARCH_AMD64, KD_ARCH_ARM64};

static void test_round_trip_state_changes(void **state)
{
    (void)state;
    for (size_t a = 0; a < 3; a++) {
        assert_true(round_trip(KD_TYPE_STATE_CHANGE64, 0x3030, KD_DIR_T2D, arches[a], 64, 4) > 25);
        assert_true(round_trip(KD_TYPE_STATE_CHANGE64, 0x3031, KD_DIR_T2D, arches[a], 64, 20) > 10);
        assert_true(round_trip(KD_TYPE_STATE_CHANGE64, 0x3032, KD_DIR_T2D, arches[a], 64, 8) > 10);
    }
    /* Type 1: header, x86 control report and x86 CONTEXT. */
    assert_true(round_trip(KD_TYPE_STATE_CHANGE32, 0x3030, KD_DIR_T2D, KD_ARCH_X86, 32, 40 + 716) > 60);
    assert_true(round_trip(KD_TYPE_STATE_CHANGE32, 0x3031, KD_DIR_T2D, KD_ARCH_X86, 32, 40) > 15);
}

/* Every ApiNumber of the table (fields/apis.def), requests and replies in
 * both widths: encoded, framed and decoded without an unknown-API problem,
 * and named in every output: the short name in the summary line, the
 * Windows name in the tree, the number in JSON.  Adding an API to the table
 * without its layout fails here. */
static const struct {
    uint32_t api;
    const char *windows, *name;
} table_apis[] = {
#define KD_API(e, v, l, s, ...) {KD_API_##e, l, s},
#include "kdparse/fields/apis.def"
#undef KD_API
};

static char *render(int what, const kd_msg *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    if (what == 0)
        kd_msg_print_tree(f, m, NULL);
    else
        kd_msg_print_json_fields(f, m, NULL);
    fclose(f);
    return text;
}

static void test_every_table_api_named_everywhere(void **state)
{
    (void)state;
    size_t n = sizeof table_apis / sizeof table_apis[0];
    assert_true(n >= 43); /* the 43 of the reference (§1.4) at least */
    for (size_t i = 0; i < n; i++) {
        for (int w = 32; w <= 64; w += 32) {
            for (int d = 0; d < 2; d++) {
                kd_dir dir = d ? KD_DIR_T2D : KD_DIR_D2T;
                kd_enc_msg m = {.type = KD_TYPE_STATE_MANIPULATE, .api = table_apis[i].api, .dir = dir,
                                .id = 0x80800000u, .width = (uint8_t)w, .arch = KD_ARCH_AMD64};
                uint8_t pkt[KD_ITEM_MAX_BYTES];
                int len = kd_encode(&m, KD_TRANSPORT_SERIAL, pkt, sizeof pkt);
                assert_true(len > 0);
                one_item o;
                decode_packet(pkt, (size_t)len, dir, KD_ARCH_AMD64, (uint8_t)w, &o, &g_a);
                assert_int_equal(g_a.api, table_apis[i].api);
                assert_int_equal(g_a.problems & KD_DECODE_UNKNOWN_API, 0);
                char line[512];
                kd_msg_summary(&g_a, NULL, line, sizeof line);
                if (!strstr(line, table_apis[i].name))
                    fail_msg("API 0x%04x: summary '%s' lacks '%s'", table_apis[i].api, line, table_apis[i].name);
                char *tree = render(0, &g_a);
                if (!strstr(tree, table_apis[i].windows))
                    fail_msg("API 0x%04x: the tree lacks '%s'", table_apis[i].api, table_apis[i].windows);
                free(tree);
                char *json = render(1, &g_a), want[64];
                snprintf(want, sizeof want, "\"kd.manip.api_number\":%u", (unsigned)table_apis[i].api);
                if (!strstr(json, want))
                    fail_msg("API 0x%04x: JSON lacks %s", table_apis[i].api, want);
                free(json);
            }
        }
    }
}

static void test_round_trip_every_api(void **state)
{
    (void)state;
    size_t checked = 0, kinds = 0;
    for (uint32_t api = KD_API_READ_VIRTUAL_MEMORY; api <= KD_API_SET_CONTEXT_EX; api++) {
        for (size_t a = 0; a < 3; a++) {
            for (int w = 32; w <= 64; w += 32) {
                for (int d = 0; d < 2; d++) {
                    kd_dir dir = d ? KD_DIR_T2D : KD_DIR_D2T;
                    size_t data = 0;
                    if ((api == KD_API_GET_CONTEXT && dir == KD_DIR_T2D) || (api == KD_API_SET_CONTEXT && dir == KD_DIR_D2T))
                        data = context_size(arches[a]);
                    else if ((api == KD_API_READ_VIRTUAL_MEMORY && dir == KD_DIR_T2D) || (api == KD_API_WRITE_VIRTUAL_MEMORY && dir == KD_DIR_D2T))
                        data = 16;
                    checked += round_trip(KD_TYPE_STATE_MANIPULATE, api, dir, arches[a], (uint8_t)w, data);
                    kinds++;
                }
            }
        }
    }
    assert_int_equal(kinds, 49 * 3 * 2 * 2);
    assert_true(checked > kinds * 3);
}

static void test_round_trip_io(void **state)
{
    (void)state;
    assert_true(round_trip(KD_TYPE_DEBUG_IO, 0x3230, KD_DIR_T2D, KD_ARCH_AMD64, 64, 5) >= 3);
    assert_true(round_trip(KD_TYPE_DEBUG_IO, 0x3231, KD_DIR_T2D, KD_ARCH_AMD64, 64, 5) >= 4);
    assert_true(round_trip(KD_TYPE_DEBUG_IO, 0x3231, KD_DIR_D2T, KD_ARCH_AMD64, 64, 5) >= 4);
    assert_true(round_trip(KD_TYPE_TRACE_IO, 0x3330, KD_DIR_T2D, KD_ARCH_AMD64, 64, 8) >= 3);
    assert_true(round_trip(KD_TYPE_CONTROL_REQUEST, 0x4300, KD_DIR_T2D, KD_ARCH_AMD64, 64, 0) >= 2);
    assert_true(round_trip(KD_TYPE_CONTROL_REQUEST, 0x4301, KD_DIR_T2D, KD_ARCH_AMD64, 64, 0) >= 2);
    for (uint32_t api = 0x3430; api <= 0x3433; api++)
        assert_true(round_trip(KD_TYPE_FILE_IO, api, KD_DIR_T2D, KD_ARCH_AMD64, 64, 8) >= 2);
}

static void test_encode_refuses_bad_input(void **state)
{
    (void)state;
    uint8_t pkt[KD_ITEM_MAX_BYTES];
    /* A field that is not part of a GetVersion request. */
    kd_enc_field wrong[] = {{KD_F_M_RM_TARGET_BASE_ADDRESS, 1}};
    kd_enc_msg m = {.type = KD_TYPE_STATE_MANIPULATE, .api = KD_API_GET_VERSION, .dir = KD_DIR_D2T,
                    .fields = wrong, .n_fields = 1};
    assert_int_equal(kd_encode(&m, KD_TRANSPORT_SERIAL, pkt, sizeof pkt), -1);
    /* A body over 4000 bytes. */
    static uint8_t big[KD_PACKET_MAX_SIZE];
    kd_enc_msg m2 = {.type = KD_TYPE_STATE_MANIPULATE, .api = KD_API_READ_VIRTUAL_MEMORY, .dir = KD_DIR_T2D,
                     .data = big, .data_len = sizeof big};
    assert_int_equal(kd_encode(&m2, KD_TRANSPORT_SERIAL, pkt, sizeof pkt), -1);
    /* KDNET framing has no trailer; serial has 0xAA. */
    kd_enc_msg m3 = {.type = KD_TYPE_STATE_MANIPULATE, .api = KD_API_GET_VERSION, .dir = KD_DIR_D2T};
    assert_int_equal(kd_encode(&m3, KD_TRANSPORT_KDNET, pkt, sizeof pkt), 16 + 56);
    assert_int_equal(kd_encode(&m3, KD_TRANSPORT_SERIAL, pkt, sizeof pkt), 16 + 56 + 1);
    assert_int_equal(pkt[16 + 56], 0xAA);
    assert_int_equal(kd_frame_control(KD_TYPE_ACKNOWLEDGE, 0x80800000u, pkt, 16), 16);
    assert_int_equal(pkt[0], 0x69);
    assert_int_equal(pkt[4], 4);
}

/* ------------------------------------------------------------ a session */

typedef struct sess {
    kd_step *t;
    uint64_t frame;
    kd_annot annot[64];
    kd_msg msg;
    char summary[64][160];
} sess;

static void on_session_item(const kd_item *it, void *user)
{
    sess *s = user;
    /* One item per record: record n is item n. */
    ++s->frame;
    kd_step_item(s->t, it, kd_step_key(s->frame, 0), &s->msg, &s->annot[s->frame]);
    kd_step_links_to_frames(&s->annot[s->frame]);
    kd_msg_summary(&s->msg, NULL, s->summary[s->frame], sizeof s->summary[0]);
}

/* Item n's annotation as known now, links as item numbers. */
static kd_annot got(const kd_step *t, uint64_t n)
{
    const kd_annot *a = kd_step_get(t, kd_step_key(n, 0));
    assert_non_null(a);
    kd_annot shown = *a;
    kd_step_links_to_frames(&shown);
    return shown;
}

static void send_pkt(kd_framer *f, const uint8_t *p, long n, uint64_t *ts)
{
    assert_true(n > 0);
    kd_framer_feed(f, p, (size_t)n, *ts);
    *ts += 1000000; /* 1 ms apart */
}

static void test_session_scenarios(void **state)
{
    (void)state;
    sess *s = calloc(1, sizeof *s);
    s->t = kd_step_new(NULL);
    kd_framer *d2t = kd_framer_new(KD_TRANSPORT_SERIAL, KD_DIR_D2T, on_session_item, s);
    kd_framer *t2d = kd_framer_new(KD_TRANSPORT_SERIAL, KD_DIR_T2D, on_session_item, s);
    uint8_t p[KD_ITEM_MAX_BYTES];
    uint64_t ts = 0;
    long n;

    /* 1-3: GetVersion request, ACK, reply (AMD64). */
    kd_enc_msg gv = {.type = KD_TYPE_STATE_MANIPULATE, .api = KD_API_GET_VERSION, .dir = KD_DIR_D2T, .id = 0x80800000u};
    n = kd_encode(&gv, KD_TRANSPORT_SERIAL, p, sizeof p);
    send_pkt(d2t, p, n, &ts);
    send_pkt(t2d, p, kd_frame_control(KD_TYPE_ACKNOWLEDGE, 0x80800000u, p, sizeof p), &ts);
    kd_enc_field gvf[] = {{KD_F_M_GV_MACHINE_TYPE, 0x8664}, {KD_F_M_GV_MINOR_VERSION, 19041}};
    gv.dir = KD_DIR_T2D;
    gv.id = 0x80800001u;
    gv.fields = gvf;
    gv.n_fields = 2;
    n = kd_encode(&gv, KD_TRANSPORT_SERIAL, p, sizeof p);
    send_pkt(t2d, p, n, &ts);
    /* 4: the debugger's ACK (so the reply is delivered). */
    send_pkt(d2t, p, kd_frame_control(KD_TYPE_ACKNOWLEDGE, 0x80800001u, p, sizeof p), &ts);
    /* 5: DbgPrompt from the target; 6: ACK; 7: the debugger's answer; 8: ACK. */
    static const char prompt[] = "Break, Ignore? ";
    kd_enc_field pf[] = {{KD_F_DIO_LENGTH_OF_PROMPT_STRING, sizeof prompt - 1}, {KD_F_DIO_LENGTH_OF_STRING_READ, 80}};
    kd_enc_msg pr = {.type = KD_TYPE_DEBUG_IO, .api = 0x3231, .dir = KD_DIR_T2D, .id = 0x80800000u,
                     .fields = pf, .n_fields = 2, .data = (const uint8_t *)prompt, .data_len = sizeof prompt - 1};
    send_pkt(t2d, p, kd_encode(&pr, KD_TRANSPORT_SERIAL, p, sizeof p), &ts);
    send_pkt(d2t, p, kd_frame_control(KD_TYPE_ACKNOWLEDGE, 0x80800000u, p, sizeof p), &ts);
    kd_enc_msg an = {.type = KD_TYPE_DEBUG_IO, .api = 0x3231, .dir = KD_DIR_D2T, .id = 0x80800001u,
                     .data = (const uint8_t *)"i", .data_len = 1};
    send_pkt(d2t, p, kd_encode(&an, KD_TRANSPORT_SERIAL, p, sizeof p), &ts);
    send_pkt(t2d, p, kd_frame_control(KD_TYPE_ACKNOWLEDGE, 0x80800001u, p, sizeof p), &ts);
    /* 9: a ReadVirtualMemory that never gets its reply; 10: ACK. */
    kd_enc_field rf[] = {{KD_F_M_RM_TARGET_BASE_ADDRESS, 0xfffff80000001000ull}, {KD_F_M_RM_TRANSFER_COUNT, 8}};
    kd_enc_msg rd = {.type = KD_TYPE_STATE_MANIPULATE, .api = KD_API_READ_VIRTUAL_MEMORY, .dir = KD_DIR_D2T, .id = 0x80800000u,
                     .fields = rf, .n_fields = 2};
    send_pkt(d2t, p, kd_encode(&rd, KD_TRANSPORT_SERIAL, p, sizeof p), &ts);
    send_pkt(t2d, p, kd_frame_control(KD_TYPE_ACKNOWLEDGE, 0x80800000u, p, sizeof p), &ts);
    /* 11, 12: the debugger resets the link; the target answers RESET. */
    send_pkt(d2t, p, kd_frame_control(KD_TYPE_RESET, 0, p, sizeof p), &ts);
    send_pkt(t2d, p, kd_frame_control(KD_TYPE_RESET, 0, p, sizeof p), &ts);
    kd_step_finish(s->t);

    assert_int_equal(s->frame, 12);
    /* GetVersion: linked both ways, AMD64 learnt from the reply. */
    assert_int_equal(got(s->t, 1).response_in, 3);
    assert_int_equal(got(s->t, 3).request_in, 1);
    assert_int_equal(got(s->t, 3).response_time_ns, 2000000);
    assert_int_equal(got(s->t, 1).ack_in, 2);
    assert_int_equal(kd_step_arch(s->t), KD_ARCH_AMD64);
    assert_string_equal(s->summary[3], "GetVersion -> STATUS_SUCCESS, build 19041, AMD64, protocol 0, kernel 0x0");
    /* The prompt and its answer. */
    assert_string_equal(s->summary[5], "DbgPrompt \"Break, Ignore? \"");
    assert_string_equal(s->summary[7], "DbgPrompt answer \"i\"");
    assert_int_equal(got(s->t, 5).response_in, 7);
    assert_int_equal(got(s->t, 7).request_in, 5);
    /* The unanswered read. */
    assert_string_equal(s->summary[9], "ReadVirtualMemory 0xfffff80000001000 len 0x8");
    assert_true(got(s->t, 9).problems & KD_TRACK_NO_RESPONSE);
    assert_false(got(s->t, 1).problems & KD_TRACK_NO_RESPONSE);
    /* RESET: flagged, and the epoch moves on. */
    assert_true(got(s->t, 11).problems & KD_TRACK_RESET);
    assert_true(got(s->t, 12).reset_epoch > got(s->t, 10).reset_epoch);

    kd_framer_free(d2t);
    kd_framer_free(t2d);
    kd_step_free(s->t);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_state_changes),
        cmocka_unit_test(test_round_trip_every_api),
        cmocka_unit_test(test_every_table_api_named_everywhere),
        cmocka_unit_test(test_round_trip_io),
        cmocka_unit_test(test_encode_refuses_bad_input),
        cmocka_unit_test(test_session_scenarios),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
