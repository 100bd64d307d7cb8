/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tables made from fields/apis.def and fields/bodies.def, against
 * expectations written by hand from ../shared/reference/kd-protocol.md
 * (§1.3-§1.5, §2.4, §3.8): body header sizes by packet type and width (and
 * where the decoder and the encoder put what follows them), for every
 * manipulate API and NewState the union member, its layouts and the reply,
 * and for every I/O ApiNumber its packet type, structure and data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kdparse/decode.h"
#include "kdparse/encode.h"
#include "layouts.h" /* kdparse's internal tables (kd_api_lookup, kd_state_lookup) */

/* ------------------------------------------------------------ body sizes */

/* §3.8 "Header sizes by type", §2.4 sizeof: 64-bit layout, 32-bit layout. */
static const struct {
    uint16_t type;
    size_t size64, size32;
} ref_bodies[] = {
    {KD_TYPE_STATE_CHANGE32, 104, 104}, /* DBGKD_WAIT_STATE_CHANGE32, 0x68 */
    {KD_TYPE_STATE_MANIPULATE, 56, 52}, /* DBGKD_MANIPULATE_STATE64 0x38, ..32 0x34 (pack 4) */
    {KD_TYPE_DEBUG_IO, 16, 16},
    {KD_TYPE_STATE_CHANGE64, 240, 240}, /* DBGKD_ANY_WAIT_STATE_CHANGE, 0xF0 */
    {KD_TYPE_TRACE_IO, 64, 64},
    {KD_TYPE_CONTROL_REQUEST, 12, 12},
    {KD_TYPE_FILE_IO, 64, 64},
};

static void test_body_header_sizes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof ref_bodies / sizeof ref_bodies[0]; i++) {
        assert_int_equal(kd_body_header_size(ref_bodies[i].type, 64), ref_bodies[i].size64);
        assert_int_equal(kd_body_header_size(ref_bodies[i].type, 0), ref_bodies[i].size64); /* 0 = 64 */
        assert_int_equal(kd_body_header_size(ref_bodies[i].type, 32), ref_bodies[i].size32);
    }
    /* The constants decode.c reads. */
    assert_int_equal(KD_BODY_STATE_CHANGE64, 240);
    assert_int_equal(KD_BODY_STATE_CHANGE32, 104);
    assert_int_equal(KD_BODY_STATE_MANIPULATE, 56);
    assert_int_equal(KD_BODY32_STATE_MANIPULATE, 52);
    assert_int_equal(KD_BODY_DEBUG_IO, 16);
    assert_int_equal(KD_BODY_TRACE_IO, 64);
    assert_int_equal(KD_BODY_CONTROL_REQUEST, 12);
    assert_int_equal(KD_BODY_FILE_IO, 64);
    /* Control packets, the pseudo-type and unknown types have no body header. */
    static const uint16_t none[] = {KD_TYPE_UNUSED, KD_TYPE_ACKNOWLEDGE, KD_TYPE_RESEND, KD_TYPE_RESET,
                                    KD_TYPE_POLL_BREAKIN, KD_TYPE_MAX, 0xFFFF};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        assert_int_equal(kd_body_header_size(none[i], 64), 0);
        assert_int_equal(kd_body_header_size(none[i], 32), 0);
    }
}

static kd_msg g_m;
static uint8_t g_pkt[KD_ITEM_MAX_BYTES];
static kd_item g_it;

/* A body of len bytes (ApiNumber / NewState first, the rest zero), framed
 * and decoded; width 0 lets the decoder guess. */
static void decode_body(uint16_t type, uint32_t api, size_t len, kd_dir dir, uint8_t width)
{
    uint8_t body[KD_PACKET_MAX_SIZE];
    memset(body, 0, sizeof body);
    assert_true(len >= 4 && len <= sizeof body);
    for (int i = 0; i < 4; i++)
        body[i] = (uint8_t)(api >> (8 * i));
    long n = kd_frame_data(KD_TRANSPORT_SERIAL, type, 0x80800000u, body, len, g_pkt, sizeof g_pkt);
    assert_true(n > 0);
    g_it = kd_item_from_bytes(g_pkt, (size_t)n, KD_ITEM_DATA, 0, dir);
    kd_decode_opts o = {.arch = KD_ARCH_AMD64, .width = width};
    kd_decode(&g_it, &o, &g_m);
}

static void assert_at(kd_field_id f, size_t offset)
{
    const kd_node *n = kd_msg_find(&g_m, f);
    assert_non_null(n);
    assert_int_equal(n->offset, offset);
}

/* What follows each header is where the reference says: 16 (KD_PACKET) +
 * the header size above, in the decoder and in the encoder. */
static void test_body_data_offsets(void **state)
{
    (void)state;
    decode_body(KD_TYPE_STATE_CHANGE64, KD_STATE_EXCEPTION, 240 + 4, KD_DIR_T2D, 0);
    assert_at(KD_F_DATA, 16 + 240);
    assert_int_equal(g_m.problems & KD_DECODE_SHORT, 0);
    decode_body(KD_TYPE_STATE_CHANGE64, KD_STATE_EXCEPTION, 239, KD_DIR_T2D, 0);
    assert_int_not_equal(g_m.problems & KD_DECODE_SHORT, 0);
    decode_body(KD_TYPE_STATE_CHANGE32, KD_STATE_EXCEPTION, 104 + 40, KD_DIR_T2D, 0);
    assert_at(KD_F_CONTROL_REPORT, 16 + 104);
    decode_body(KD_TYPE_DEBUG_IO, KD_IO_PRINT_STRING, 16 + 3, KD_DIR_T2D, 0);
    assert_at(KD_F_DIO_STRING, 16 + 16);
    decode_body(KD_TYPE_TRACE_IO, KD_IO_PRINT_TRACE, 64 + 8, KD_DIR_T2D, 0);
    assert_at(KD_F_TIO_DATA, 16 + 64);
    decode_body(KD_TYPE_TRACE_IO, KD_IO_PRINT_TRACE, 63, KD_DIR_T2D, 0);
    assert_int_not_equal(g_m.problems & KD_DECODE_SHORT, 0);
    decode_body(KD_TYPE_CONTROL_REQUEST, KD_IO_REQUEST_HARDWARE_BP, 12 + 2, KD_DIR_D2T, 0);
    assert_at(KD_F_DATA, 16 + 12);
    decode_body(KD_TYPE_FILE_IO, KD_IO_CREATE_FILE, 64 + 6, KD_DIR_T2D, 0);
    assert_at(KD_F_FIO_FILE_NAME, 16 + 64);
    /* Manipulate: 56 bytes in the 64-bit layout, 52 in the 32-bit one. */
    decode_body(KD_TYPE_STATE_MANIPULATE, KD_API_READ_VIRTUAL_MEMORY, 56 + 8, KD_DIR_T2D, 64);
    assert_at(KD_F_M_RM_DATA, 16 + 56);
    decode_body(KD_TYPE_STATE_MANIPULATE, KD_API_READ_VIRTUAL_MEMORY, 52 + 8, KD_DIR_T2D, 32);
    assert_at(KD_F_M_RM_DATA, 16 + 52);
    /* With no width given, a body of 52..55 bytes is the 32-bit header. */
    static const struct {
        size_t len;
        int width;
    } guess[] = {{51, 64}, {52, 32}, {55, 32}, {56, 64}, {60, 64}};
    for (size_t i = 0; i < sizeof guess / sizeof guess[0]; i++) {
        decode_body(KD_TYPE_STATE_MANIPULATE, KD_API_GET_VERSION, guess[i].len, KD_DIR_D2T, 0);
        assert_int_equal(g_m.width, guess[i].width);
    }
    /* The encoder: ByteCount = header + data. */
    for (size_t i = 0; i < sizeof ref_bodies / sizeof ref_bodies[0]; i++) {
        for (int w = 32; w <= 64; w += 32) {
            uint8_t data[5] = {1, 2, 3, 4, 5};
            kd_enc_msg e = {.type = ref_bodies[i].type, .dir = KD_DIR_T2D, .width = (uint8_t)w,
                            .arch = KD_ARCH_X86, .data = data, .data_len = sizeof data};
            e.api = e.type == KD_TYPE_STATE_MANIPULATE ? KD_API_READ_VIRTUAL_MEMORY : 0;
            long n = kd_encode(&e, KD_TRANSPORT_SERIAL, g_pkt, sizeof g_pkt);
            assert_true(n > 0);
            size_t hdr = w == 32 ? ref_bodies[i].size32 : ref_bodies[i].size64;
            assert_int_equal(n, 16 + hdr + sizeof data + 1);
            assert_int_equal(g_pkt[6] | g_pkt[7] << 8, hdr + sizeof data);
            assert_memory_equal(g_pkt + 16 + hdr, data, sizeof data);
        }
    }
}

/* ------------------------------------------------------------ the API table */

static const uint32_t table_apis[] = {
#define KD_API(e, v, ...) KD_API_##e,
#include "kdparse/fields/apis.def"
};

/* §1.4, written by hand: the APIs whose union member kdparse does not
 * decode (no layout), and those the target answers by resuming. */
static int ref_no_layout(uint32_t api)
{
    switch (api) {
    case KD_API_REBOOT:
    case KD_API_CLEAR_SPECIAL_CALLS:
    case KD_API_CAUSE_BUG_CHECK:
    case KD_API_SWITCH_PROCESSOR:
    case KD_API_PAGE_IN:
    case KD_API_OLD_VLM1:
    case KD_API_OLD_VLM2:
    case KD_API_CHECK_LOW_MEMORY:
    case KD_API_CLEAR_ALL_INTERNAL_BREAKPOINTS:
        return 1;
    default:
        return 0;
    }
}

static int ref_no_reply(uint32_t api)
{
    switch (api) {
    case KD_API_CONTINUE:
    case KD_API_CONTINUE2:
    case KD_API_REBOOT:
    case KD_API_CAUSE_BUG_CHECK:
    case KD_API_SWITCH_PROCESSOR:
    case KD_API_CLEAR_ALL_INTERNAL_BREAKPOINTS:
        return 1;
    default:
        return 0;
    }
}

static void test_api_table(void **state)
{
    (void)state;
    size_t n = sizeof table_apis / sizeof table_apis[0];
    assert_int_equal(n, 43); /* §1.4: ReadVirtualMemory..CauseBugCheck, SwitchProcessor..SetContextEx */
    size_t layouts = 0, resumes = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t api = table_apis[i];
        const kd_api_info *info = kd_api_lookup(api);
        assert_non_null(info);
        assert_int_equal(info->api, api);
        if (ref_no_layout(api)) {
            assert_int_equal(info->member, 0);
            assert_int_equal(info->member32, 0);
            assert_null(info->l64);
            assert_null(info->l32);
            assert_int_equal(info->request_data, KD_AD_NONE);
            assert_int_equal(info->response_data, KD_AD_NONE);
        } else {
            layouts++;
            assert_int_not_equal(info->member, 0);
            assert_int_not_equal(info->member32, 0);
            assert_non_null(info->l64);
            assert_non_null(info->l32);
            assert_true(info->l64->n > 0 && info->l64->size > 0);
            assert_true(info->l32->n > 0 && info->l32->size > 0);
            assert_int_equal(kd_fields[info->member].type, KD_FT_NONE); /* a subtree */
        }
        assert_int_equal(info->no_reply, ref_no_reply(api));
        assert_int_equal(kd_api_expects_reply(api), !ref_no_reply(api));
        resumes += info->no_reply;
    }
    assert_int_equal(layouts, 34);
    assert_int_equal(resumes, 6);
    /* Outside §1.4: no row, and a reply is expected. */
    static const uint32_t outside[] = {KD_API_READ_VIRTUAL_MEMORY - 1, KD_API_CAUSE_BUG_CHECK + 1,
                                       KD_API_SWITCH_PROCESSOR - 1, KD_API_SET_CONTEXT_EX + 1,
                                       KD_STATE_EXCEPTION, KD_IO_PRINT_STRING, 0};
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        assert_null(kd_api_lookup(outside[i]));
        assert_int_equal(kd_api_expects_reply(outside[i]), 1);
    }
}

static void assert_layout(const kd_layout *l, const char *name, size_t size)
{
    assert_non_null(l);
    assert_string_equal(l->name, name);
    assert_int_equal(l->size, size);
}

/* Rows with something particular, against §2.4's structures. */
static void test_api_rows(void **state)
{
    (void)state;
    const kd_api_info *i = kd_api_lookup(KD_API_READ_VIRTUAL_MEMORY);
    assert_int_equal(i->member, KD_F_M_READ_MEMORY);
    assert_layout(i->l64, "DBGKD_READ_MEMORY64", 16);
    assert_layout(i->l32, "DBGKD_READ_MEMORY32", 12);
    assert_int_equal(i->request_data, KD_AD_NONE);
    assert_int_equal(i->response_data, KD_AD_MEMORY_READ);
    /* GetVersion: two different members. */
    i = kd_api_lookup(KD_API_GET_VERSION);
    assert_int_equal(i->member, KD_F_M_GET_VERSION64);
    assert_int_equal(i->member32, KD_F_M_GET_VERSION32);
    assert_layout(i->l64, "DBGKD_GET_VERSION64", 40);
    assert_layout(i->l32, "DBGKD_GET_VERSION32", 40);
    /* Physical memory: the 64-bit member in both layouts. */
    i = kd_api_lookup(KD_API_READ_PHYSICAL_MEMORY);
    assert_layout(i->l32, "DBGKD_READ_MEMORY64", 16);
    i = kd_api_lookup(KD_API_WRITE_PHYSICAL_MEMORY);
    assert_layout(i->l32, "DBGKD_WRITE_MEMORY64", 16);
    /* The ReactOS target echoes WriteControlSpace's data. */
    i = kd_api_lookup(KD_API_WRITE_CONTROL_SPACE);
    assert_int_equal(i->request_data, KD_AD_MEMORY_WRITE);
    assert_int_equal(i->response_data, KD_AD_MEMORY_WRITE);
    i = kd_api_lookup(KD_API_CONTINUE2);
    assert_int_equal(i->member, KD_F_M_CONTINUE2);
    assert_layout(i->l64, "DBGKD_CONTINUE2", 32);
    i = kd_api_lookup(KD_API_GET_CONTEXT_EX);
    assert_layout(i->l64, "DBGKD_CONTEXT_EX", 12);
    assert_int_equal(i->response_data, KD_AD_CONTEXT_EX);
    i = kd_api_lookup(KD_API_SET_CONTEXT);
    assert_int_equal(i->request_data, KD_AD_CONTEXT);
    assert_int_equal(i->response_data, KD_AD_NONE);
    i = kd_api_lookup(KD_API_SEARCH_MEMORY);
    assert_int_equal(i->request_data, KD_AD_SEARCH_PATTERN);
    i = kd_api_lookup(KD_API_FILL_MEMORY);
    assert_int_equal(i->request_data, KD_AD_FILL_PATTERN);
    i = kd_api_lookup(KD_API_GET_BUS_DATA);
    assert_int_equal(i->response_data, KD_AD_BUS_DATA);
    i = kd_api_lookup(KD_API_WRITE_BREAK_POINT_EX);
    assert_int_equal(i->request_data, KD_AD_RAW);
    assert_int_equal(i->response_data, KD_AD_RAW);
}

/* §1.3 NewState: the union member of DBGKD_ANY_WAIT_STATE_CHANGE (at 0x20)
 * and of DBGKD_WAIT_STATE_CHANGE32 (at 0x14, no CommandString). */
static void test_state_table(void **state)
{
    (void)state;
    const kd_state_info *s = kd_state_lookup(0x3030);
    assert_non_null(s);
    assert_int_equal(s->member, KD_F_EXCEPTION);
    assert_layout(s->l64, "DBGKM_EXCEPTION64", 160);
    assert_layout(s->l32, "DBGKM_EXCEPTION32", 84);
    s = kd_state_lookup(0x3031);
    assert_non_null(s);
    assert_int_equal(s->member, KD_F_LOAD_SYMBOLS);
    assert_layout(s->l64, "DBGKD_LOAD_SYMBOLS64", 40);
    assert_layout(s->l32, "DBGKD_LOAD_SYMBOLS32", 24);
    s = kd_state_lookup(0x3032);
    assert_non_null(s);
    assert_int_equal(s->member, KD_F_COMMAND_STRING);
    assert_layout(s->l64, "DBGKD_COMMAND_STRING", 64);
    assert_null(s->l32);
    assert_null(kd_state_lookup(0x3033));
    assert_null(kd_state_lookup(KD_API_READ_VIRTUAL_MEMORY));
    /* A CommandString in type 1 is not one the 32-bit layout knows. */
    decode_body(KD_TYPE_STATE_CHANGE32, KD_STATE_COMMAND_STRING, 104, KD_DIR_T2D, 0);
    assert_int_not_equal(g_m.problems & KD_DECODE_UNKNOWN_API, 0);
    decode_body(KD_TYPE_STATE_CHANGE64, KD_STATE_COMMAND_STRING, 240, KD_DIR_T2D, 0);
    assert_int_equal(g_m.problems & KD_DECODE_UNKNOWN_API, 0);
    assert_at(KD_F_COMMAND_STRING, 16 + 0x20);
}

/* §1.5 the I/O ApiNumbers: which packet type carries each, its structure
 * (FILE_IO: the union member at 8) and what follows the header. */
static const struct {
    uint32_t api;
    uint16_t type;
    const char *layout;
    size_t size;
    kd_field_id data;
} ref_ios[] = {
    {0x3230, KD_TYPE_DEBUG_IO, "DBGKD_DEBUG_IO", 16, KD_F_DIO_STRING},           /* PrintString */
    {0x3231, KD_TYPE_DEBUG_IO, "DBGKD_DEBUG_IO", 16, KD_F_DIO_PROMPT},           /* GetString */
    {0x3330, KD_TYPE_TRACE_IO, "DBGKD_TRACE_IO", 64, KD_F_TIO_DATA},             /* PrintTrace */
    {0x4300, KD_TYPE_CONTROL_REQUEST, "DBGKD_CONTROL_REQUEST", 12, KD_F_DATA},   /* RequestHardwareBp */
    {0x4301, KD_TYPE_CONTROL_REQUEST, "DBGKD_CONTROL_REQUEST", 12, KD_F_DATA},   /* ReleaseHardwareBp */
    {0x3430, KD_TYPE_FILE_IO, "DBGKD_CREATE_FILE", 40, KD_F_FIO_FILE_NAME},      /* CreateFile */
    {0x3431, KD_TYPE_FILE_IO, "DBGKD_READ_FILE", 24, KD_F_FIO_DATA},             /* ReadFile */
    {0x3432, KD_TYPE_FILE_IO, "DBGKD_READ_FILE", 24, KD_F_FIO_DATA},             /* WriteFile */
    {0x3433, KD_TYPE_FILE_IO, "DBGKD_CLOSE_FILE", 8, KD_F_DATA},                 /* CloseFile */
};

static const uint32_t table_ios[] = {
#define KD_IO(e, v, ...) KD_IO_##e,
#include "kdparse/fields/apis.def"
};

static void test_io_table(void **state)
{
    (void)state;
    size_t n = sizeof ref_ios / sizeof ref_ios[0];
    assert_int_equal(sizeof table_ios / sizeof table_ios[0], n);
    static const uint16_t types[] = {KD_TYPE_DEBUG_IO, KD_TYPE_TRACE_IO, KD_TYPE_CONTROL_REQUEST, KD_TYPE_FILE_IO,
                                     KD_TYPE_STATE_MANIPULATE};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(table_ios[i], ref_ios[i].api);
        const kd_io_info *io = kd_io_lookup(ref_ios[i].type, ref_ios[i].api);
        assert_non_null(io);
        assert_int_equal(io->api, ref_ios[i].api);
        assert_int_equal(io->type, ref_ios[i].type);
        assert_int_equal(io->data, ref_ios[i].data);
        assert_layout(io->layout, ref_ios[i].layout, ref_ios[i].size);
        /* Carried by its own packet type only. */
        for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
            if (types[t] != ref_ios[i].type)
                assert_null(kd_io_lookup(types[t], ref_ios[i].api));
    }
    /* The two control requests differ in their third member. */
    assert_int_equal(kd_io_lookup(KD_TYPE_CONTROL_REQUEST, 0x4300)->layout->m[2].field, KD_F_CRQ_AVAILABLE);
    assert_int_equal(kd_io_lookup(KD_TYPE_CONTROL_REQUEST, 0x4301)->layout->m[2].field, KD_F_CRQ_RELEASED);
    assert_null(kd_io_lookup(KD_TYPE_FILE_IO, 0x3434));
    assert_null(kd_io_lookup(KD_TYPE_DEBUG_IO, 0x3232));
    /* A FileIo ApiNumber in a DEBUG_IO packet is an unknown API there. */
    decode_body(KD_TYPE_DEBUG_IO, KD_IO_CREATE_FILE, 16, KD_DIR_T2D, 0);
    assert_int_not_equal(g_m.problems & KD_DECODE_UNKNOWN_API, 0);
    decode_body(KD_TYPE_FILE_IO, KD_IO_CLOSE_FILE, 64 + 2, KD_DIR_T2D, 0);
    assert_int_equal(g_m.problems & KD_DECODE_UNKNOWN_API, 0);
    assert_at(KD_F_FIO_HANDLE, 16 + 8);
    assert_at(KD_F_DATA, 16 + 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_header_sizes),
        cmocka_unit_test(test_body_data_offsets),
        cmocka_unit_test(test_api_table),
        cmocka_unit_test(test_api_rows),
        cmocka_unit_test(test_state_table),
        cmocka_unit_test(test_io_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
