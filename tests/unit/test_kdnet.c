/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * KDNET layer tests.  Golden vectors come from tests/unit/kdnet_vectors.py
 * (python hashlib/hmac and openssl enc, from kdnet.md's description: never
 * from our encoder) and from hand-written bytes; the real capture in
 * ../shared is read with a test-only libpcap loop and skipped when absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pcap/pcap.h>
#include <unistd.h>

#include "kdnet_vectors.h"
#include "kdparse/framer.h"
#include "kdparse/kdnet.h"

static uint8_t plain_buf[KDNET_PLAIN_MAX];

static kdnet_state *state_with_key(void)
{
    kdnet_state *s = kdnet_state_new();
    assert_non_null(s);
    assert_int_equal(kdnet_state_add_key(s, v_control_key), 0);
    return s;
}

/* ------------------------------------------------------------ keys */

static void test_key_parse_golden(void **state)
{
    (void)state;
    uint8_t k[KDNET_KEY_SIZE];
    const uint8_t k8888[32] = {8, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0,
                               8, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(kdnet_parse_key("8.8.8.8", k, NULL), 0);
    assert_memory_equal(k, k8888, 32);
    /* "zz" = 35 * 36 + 35 = 1295 = 0x050F, little-endian: 0F 05. */
    const uint8_t kzz[32] = {0x0f, 0x05, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
                             1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(kdnet_parse_key("zz.1.1.1", k, NULL), 0);
    assert_memory_equal(k, kzz, 32);
    assert_int_equal(kdnet_parse_key("ZZ.1.1.1", k, NULL), 0);
    assert_memory_equal(k, kzz, 32);
    /* The vectors' key, parsed by python's int(s, 36). */
    assert_int_equal(kdnet_parse_key(V_KEY_TEXT, k, NULL), 0);
    assert_memory_equal(k, v_control_key, 32);
    /* 2^64-1 is "3w5e11264sgsf" in base 36. */
    assert_int_equal(kdnet_parse_key("3w5e11264sgsf.0.0.3W5E11264SGSF", k, NULL), 0);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(k[i], 0xFF);
        assert_int_equal(k[8 + i], 0);
        assert_int_equal(k[24 + i], 0xFF);
    }
    assert_int_equal(kdnet_parse_key("0.0.0.0", k, NULL), 0);
    for (int i = 0; i < 32; i++)
        assert_int_equal(k[i], 0);
}

static void expect_bad_key(const char *text, const char *why_has)
{
    uint8_t k[KDNET_KEY_SIZE];
    memset(k, 0x5A, sizeof k);
    const char *why = NULL;
    assert_int_equal(kdnet_parse_key(text, k, &why), -1);
    assert_non_null(why);
    if (!strstr(why, why_has))
        fail_msg("key \"%s\": \"%s\" lacks \"%s\"", text, why, why_has);
    assert_null(strchr(why, '\n'));
    for (int i = 0; i < 32; i++)
        assert_int_equal(k[i], 0x5A); /* untouched on error */
}

static void test_key_parse_bad(void **state)
{
    (void)state;
    expect_bad_key("", "empty key");
    expect_bad_key("1.2.3", "3 parts");
    expect_bad_key("1.2.3.4.5", "5 parts");
    expect_bad_key("1234", "1 part,");
    expect_bad_key("1..3.4", "part 2 is empty");
    expect_bad_key("1.2.3.", "part 4 is empty");
    expect_bad_key(".2.3.4", "part 1 is empty");
    expect_bad_key("1.2.3.4-", "bad character '-' in part 4");
    expect_bad_key("1.2 .3.4", "bad character ' ' in part 2");
    expect_bad_key("1.\xc3\xa9.3.4", "bad byte 0xc3 in part 2");
    expect_bad_key("3w5e11264sgsg.1.1.1", "part 1 is larger than 2^64-1");
    expect_bad_key("1.1.1.zzzzzzzzzzzzzzzzzzzz", "part 4 is larger");
    uint8_t k[32];
    assert_int_equal(kdnet_parse_key(NULL, k, NULL), -1);
}

static void test_data_key_parse(void **state)
{
    (void)state;
    uint8_t k[32];
    const char *why = NULL;
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02X", v_data_key1[i]);
    assert_int_equal(kdnet_parse_data_key(hex, k, &why), 0);
    assert_memory_equal(k, v_data_key1, 32);
    for (int i = 0; i < 64; i++)
        hex[i] = (char)(hex[i] >= 'A' ? hex[i] + 32 : hex[i]);
    assert_int_equal(kdnet_parse_data_key(hex, k, &why), 0);
    assert_memory_equal(k, v_data_key1, 32);
    hex[63] = 'g';
    assert_int_equal(kdnet_parse_data_key(hex, k, &why), -1);
    assert_non_null(strstr(why, "64 hex digits"));
    hex[63] = 0;
    assert_int_equal(kdnet_parse_data_key(hex, k, &why), -1);
    assert_int_equal(kdnet_parse_data_key("", k, &why), -1);
}

/* ------------------------------------------------------------ crypto primitives */

static void test_hmac_golden(void **state)
{
    (void)state;
    uint8_t tag[16];
    assert_int_equal(kdnet_hmac(v_control_key, v_hmac_header, v_hmac_plain, sizeof v_hmac_plain, tag), 0);
    assert_memory_equal(tag, v_hmac_tag, 16);
    /* Header and plaintext both count. */
    uint8_t h[6];
    memcpy(h, v_hmac_header, 6);
    h[4] ^= 1;
    assert_int_equal(kdnet_hmac(v_control_key, h, v_hmac_plain, sizeof v_hmac_plain, tag), 0);
    assert_memory_not_equal(tag, v_hmac_tag, 16);
    assert_int_equal(kdnet_hmac(v_control_key, v_hmac_header, v_hmac_plain, sizeof v_hmac_plain - 1, tag), 0);
    assert_memory_not_equal(tag, v_hmac_tag, 16);
}

static void test_aes_golden(void **state)
{
    (void)state;
    uint8_t out[sizeof v_hmac_plain];
    assert_int_equal(kdnet_encrypt(v_control_key, v_aes_iv, v_hmac_plain, sizeof out, out), 0);
    assert_memory_equal(out, v_aes_cipher, sizeof out);
    assert_int_equal(kdnet_decrypt(v_control_key, v_aes_iv, v_aes_cipher, sizeof out, out), 0);
    assert_memory_equal(out, v_hmac_plain, sizeof out);
    /* In place. */
    memcpy(out, v_aes_cipher, sizeof out);
    assert_int_equal(kdnet_decrypt(v_control_key, v_aes_iv, out, sizeof out, out), 0);
    assert_memory_equal(out, v_hmac_plain, sizeof out);
    /* Not a multiple of 16: refused. */
    assert_int_equal(kdnet_decrypt(v_control_key, v_aes_iv, v_aes_cipher, 17, out), -1);
}

static void test_data_key_322_bytes(void **state)
{
    (void)state;
    uint8_t dk[32];
    assert_int_equal(sizeof v_response1_payload, 322);
    assert_int_equal(KDNET_DATA_KEY_INPUT, 322);
    assert_int_equal(kdnet_derive_data_key(v_control_key, v_response1_payload, dk), 0);
    assert_memory_equal(dk, v_data_key1, 32);
    /* Exactly 322 bytes: what follows does not count. */
    uint8_t longer[400];
    memcpy(longer, v_response1_payload, 322);
    memset(longer + 322, 0xEE, sizeof longer - 322);
    assert_int_equal(kdnet_derive_data_key(v_control_key, longer, dk), 0);
    assert_memory_equal(dk, v_data_key1, 32);
    /* and the last of them does. */
    longer[321] ^= 1;
    assert_int_equal(kdnet_derive_data_key(v_control_key, longer, dk), 0);
    assert_memory_not_equal(dk, v_data_key1, 32);
}

/* ------------------------------------------------------------ parsing */

static void test_parse_header(void **state)
{
    (void)state;
    kdnet_datagram d;
    assert_true(kdnet_is_kdnet(v_poke, sizeof v_poke));
    assert_int_equal(kdnet_parse(v_poke, sizeof v_poke, &d), KDNET_OK);
    assert_int_equal(d.version, 4);
    assert_int_equal(d.channel, KDNET_CHANNEL_CONTROL);
    assert_ptr_equal(d.ciphertext, v_poke + 6);
    assert_int_equal(d.ciphertext_len, sizeof v_poke - 22);
    assert_ptr_equal(d.tag, v_poke + sizeof v_poke - 16);
    assert_int_equal(kdnet_parse(v_kd_data, sizeof v_kd_data, &d), KDNET_OK);
    assert_int_equal(d.version, 2);
    assert_int_equal(d.channel, KDNET_CHANNEL_DATA);
    /* Any version is decoded, never refused; 2, 4, 5 have names. */
    uint8_t odd[sizeof v_ack];
    memcpy(odd, v_ack, sizeof odd);
    odd[4] = 0xEE;
    assert_int_equal(kdnet_parse(odd, sizeof odd, &d), KDNET_OK);
    assert_int_equal(d.version, 0xEE);
    assert_null(kdnet_version_name(0xEE));
    assert_non_null(kdnet_version_name(2));
    assert_non_null(kdnet_version_name(4));
    assert_non_null(kdnet_version_name(5));
    assert_string_equal(kdnet_channel_name(0), "data");
    assert_string_equal(kdnet_channel_name(1), "control");
    /* A channel that is neither. */
    odd[5] = 7;
    assert_int_equal(kdnet_parse(odd, sizeof odd, &d), KDNET_E_CHANNEL);
    assert_int_equal(d.channel, 7);
    /* Not KDNET. */
    odd[0] = 'X';
    assert_false(kdnet_is_kdnet(odd, sizeof odd));
    assert_int_equal(kdnet_parse(odd, sizeof odd, &d), KDNET_E_MAGIC);
    assert_int_equal(kdnet_parse((const uint8_t *)"MDX", 3, &d), KDNET_E_MAGIC);
    assert_int_equal(kdnet_parse((const uint8_t *)"MDB", 3, &d), KDNET_E_SHORT);
}

static void test_parse_truncated_and_unaligned(void **state)
{
    (void)state;
    kdnet_datagram d;
    for (size_t n = 0; n < KDNET_DATAGRAM_MIN; n++)
        assert_int_equal(kdnet_parse(v_breakin, n, &d), KDNET_E_SHORT);
    assert_int_equal(kdnet_parse(v_breakin, KDNET_DATAGRAM_MIN, &d), KDNET_OK);
    /* Every length that is not 22 + 16k is unaligned. */
    for (size_t n = KDNET_DATAGRAM_MIN + 1; n < sizeof v_poke; n++) {
        kdnet_problem p = kdnet_parse(v_poke, n, &d);
        assert_int_equal(p, (n - 22) % 16 ? KDNET_E_UNALIGNED : KDNET_OK);
        assert_ptr_equal(d.tag, v_poke + n - 16);
    }
    uint8_t *big = calloc(1, KDNET_DATAGRAM_MAX + 1);
    memcpy(big, "MDBG\x04\x00", 6);
    assert_int_equal(kdnet_parse(big, KDNET_DATAGRAM_MAX + 1, &d), KDNET_E_TOO_LONG);
    free(big);
}

/* Hand-built plaintexts: padding 0..15, direction, sequence. */
static void test_split_padding(void **state)
{
    (void)state;
    uint8_t p[8 + 32];
    for (unsigned pad = 0; pad < 16; pad++) {
        /* seq 0x0102030405 06, flags: d2t, pad */
        uint8_t w[8] = {0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, (uint8_t)(0x80 | pad)};
        memcpy(p, w, 8);
        memset(p + 8, 0xAB, sizeof p - 8);
        kdnet_plain pl;
        size_t len = 8 + 16; /* 16 bytes after the seq word */
        assert_int_equal(kdnet_split(p, len, &pl), KDNET_OK);
        assert_int_equal(pl.seq, 0x0102030405u);
        assert_int_equal(pl.flags, 0x80 | pad);
        assert_int_equal(pl.dir, KD_DIR_D2T);
        assert_int_equal(pl.pad, pad);
        assert_ptr_equal(pl.payload, p + 8);
        assert_int_equal(pl.payload_len, 16 - pad);
        p[7] = (uint8_t)pad; /* t2d */
        assert_int_equal(kdnet_split(p, len, &pl), KDNET_OK);
        assert_int_equal(pl.dir, KD_DIR_T2D);
        /* Padding longer than what follows the seq word. */
        if (pad > 0) {
            assert_int_equal(kdnet_split(p, 8 + pad - 1, &pl), KDNET_E_PAD);
            assert_int_equal(pl.payload_len, 0);
        }
        assert_int_equal(kdnet_split(p, 8 + pad, &pl), KDNET_OK);
        assert_int_equal(pl.payload_len, 0);
    }
    kdnet_plain pl;
    assert_int_equal(kdnet_split(p, 7, &pl), KDNET_E_SHORT);
    /* seq is the whole word >> 8 (56 bits, big-endian). */
    const uint8_t w[8] = {0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x00};
    assert_int_equal(kdnet_split(w, 8, &pl), KDNET_OK);
    assert_int_equal(pl.seq, 0xFEDCBA98765432u);
}

static void test_classify(void **state)
{
    (void)state;
    const uint8_t brk = 0x62;
    assert_int_equal(kdnet_classify(0, &brk, 1), KDNET_KIND_BREAKIN);
    assert_int_equal(kdnet_classify(1, &brk, 1), KDNET_KIND_UNKNOWN);
    assert_int_equal(kdnet_classify(0, v_unused_payload, 12), KDNET_KIND_UNUSED);
    assert_int_equal(kdnet_classify(0, v_unused_payload, 11), KDNET_KIND_UNKNOWN);
    assert_int_equal(kdnet_classify(0, v_ack_payload, 16), KDNET_KIND_KD);
    assert_int_equal(kdnet_classify(0, v_kd_data_payload, sizeof v_kd_data_payload), KDNET_KIND_KD);
    assert_int_equal(kdnet_classify(1, v_poke_payload, 2), KDNET_KIND_POKE);
    assert_int_equal(kdnet_classify(1, v_response1_payload, 2), KDNET_KIND_RESPONSE);
    assert_int_equal(kdnet_classify(0, v_response1_payload, 2), KDNET_KIND_UNKNOWN);
    assert_int_equal(kdnet_classify(1, v_poke_payload, 1), KDNET_KIND_UNKNOWN);
    assert_string_equal(kdnet_kind_name(KDNET_KIND_UNUSED), "unused");
}

/* Hand-built poke payload, offsets from kdnet.md. */
static void test_poke_decode_by_hand(void **state)
{
    (void)state;
    uint8_t p[KDNET_POKE_SIZE] = {0x01, 0x01};
    for (int i = 0; i < 32; i++)
        p[2 + i] = (uint8_t)(0x10 + i);
    const uint8_t a1[18] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 5, 0xC7, 0xA7};
    const uint8_t a2[18] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1, 0xC3, 0x50};
    memcpy(p + 34, a1, 18);
    memcpy(p + 52, a2, 18);
    kdnet_poke k;
    assert_int_equal(kdnet_decode_poke(p, sizeof p, &k), KDNET_OK);
    assert_ptr_equal(k.client_random, p + 2);
    assert_int_equal(k.ep[0].port, 51111);
    assert_int_equal(k.ep[1].port, 50000);
    assert_int_equal(k.ep[2].port, 0);
    char t[64];
    kdnet_addr_text(k.ep[0].addr, t, sizeof t);
    assert_string_equal(t, "10.0.0.5");
    kdnet_addr_text(k.ep[1].addr, t, sizeof t);
    assert_string_equal(t, "10.0.0.1");
    kdnet_addr_text(k.ep[2].addr, t, sizeof t);
    assert_string_equal(t, "::");
    /* Cut short: every length under 88. */
    for (size_t n = 0; n < 88; n++)
        assert_int_equal(kdnet_decode_poke(p, n, &k), KDNET_E_POKE_SHORT);
    assert_int_equal(kdnet_decode_poke(p, 88, &k), KDNET_OK);
    kdnet_response r;
    assert_int_equal(kdnet_decode_response(v_response1_payload, 321, &r), KDNET_E_RESPONSE_SHORT);
    assert_int_equal(kdnet_decode_response(v_response1_payload, 322, &r), KDNET_OK);
    assert_true(r.zeros_ok);
    assert_memory_equal(r.host_random, v_host_random1, 32);
}

/* ------------------------------------------------------------ opening, per kind */

static void test_open_handshake_and_each_kind(void **state)
{
    (void)state;
    kdnet_state *s = state_with_key();
    kdnet_result r;

    /* Data before any handshake: not decrypted, said so. */
    assert_int_equal(kdnet_open(s, v_ack, sizeof v_ack, NULL, 0, &r), KDNET_E_NO_DATA_KEY);
    assert_int_equal(r.hmac, KDNET_HMAC_UNCHECKED);
    assert_true(kdnet_state_needs_data_key(s));

    assert_int_equal(kdnet_open(s, v_poke, sizeof v_poke, plain_buf, sizeof plain_buf, &r), KDNET_OK);
    assert_int_equal(r.hmac, KDNET_HMAC_GOOD);
    assert_int_equal(r.kind, KDNET_KIND_POKE);
    assert_ptr_equal(r.plain, plain_buf);
    assert_int_equal(r.plain_len, 352);
    assert_int_equal(r.p.seq, 1);
    assert_int_equal(r.p.dir, KD_DIR_T2D);
    assert_int_equal(r.p.pad, 0);
    assert_int_equal(r.p.payload_len, 344);
    assert_memory_equal(r.p.payload, v_poke_payload, 344);
    assert_memory_equal(r.poke.client_random, v_client_random, 32);
    assert_int_equal(r.poke.ep[0].port, 51111);
    assert_int_equal(r.poke.ep[1].port, 50001);
    char t[64];
    kdnet_addr_text(r.poke.ep[0].addr, t, sizeof t);
    assert_string_equal(t, "192.168.2.72");
    assert_null(r.kd);
    assert_int_equal(kdnet_state_key_index(s), 0);
    assert_null(kdnet_state_data_key(s));

    assert_int_equal(kdnet_open(s, v_response1, sizeof v_response1, NULL, 0, &r), KDNET_OK);
    assert_int_equal(r.kind, KDNET_KIND_RESPONSE);
    assert_int_equal(r.p.flags, 0x86);
    assert_int_equal(r.p.dir, KD_DIR_D2T);
    assert_int_equal(r.p.pad, 6);
    assert_true(r.sets_data_key);
    assert_true(r.response.zeros_ok);
    assert_memory_equal(r.response.client_random, v_client_random, 32);
    assert_memory_equal(kdnet_state_data_key(s), v_data_key1, 32);

    assert_int_equal(kdnet_open(s, v_unused, sizeof v_unused, NULL, 0, &r), KDNET_OK);
    assert_int_equal(r.kind, KDNET_KIND_UNUSED);
    assert_int_equal(r.unused_host, 0xC0A80201u); /* 192.168.2.1 */
    assert_int_equal(r.p.payload_len, 12);
    assert_int_equal(r.p.pad, 12);
    assert_null(r.kd);

    assert_int_equal(kdnet_open(s, v_breakin, sizeof v_breakin, NULL, 0, &r), KDNET_OK);
    assert_int_equal(r.kind, KDNET_KIND_BREAKIN);
    assert_int_equal(r.p.flags, 0x87);
    assert_int_equal(r.kd_len, 1);
    assert_int_equal(r.kd[0], 0x62);

    assert_int_equal(kdnet_open(s, v_ack, sizeof v_ack, NULL, 0, &r), KDNET_OK);
    assert_int_equal(r.kind, KDNET_KIND_KD);
    assert_int_equal(r.p.seq, 2);
    assert_int_equal(r.kd_len, 16);
    assert_memory_equal(r.kd, v_ack_payload, 16);

    assert_int_equal(kdnet_open(s, v_kd_data, sizeof v_kd_data, NULL, 0, &r), KDNET_OK);
    assert_int_equal(r.dg.version, 2);
    assert_int_equal(r.kind, KDNET_KIND_KD);
    assert_memory_equal(r.kd, v_kd_data_payload, sizeof v_kd_data_payload);

    /* A second handshake (target reboot) sets a new data key. */
    assert_int_equal(kdnet_open(s, v_response2, sizeof v_response2, NULL, 0, &r), KDNET_OK);
    assert_int_equal(r.dg.version, 5);
    assert_true(r.sets_data_key);
    assert_memory_equal(kdnet_state_data_key(s), v_data_key2, 32);
    assert_int_equal(kdnet_open(s, v_ack2, sizeof v_ack2, NULL, 0, &r), KDNET_OK);
    assert_int_equal(r.kind, KDNET_KIND_KD);
    /* Old data-key datagrams no longer verify. */
    assert_int_equal(kdnet_open(s, v_ack, sizeof v_ack, NULL, 0, &r), KDNET_E_BAD_TAG);
    assert_null(r.plain);

    const kdnet_counts *c = kdnet_state_counts(s);
    assert_int_equal(c->datagrams, 10);
    assert_int_equal(c->good, 8);
    assert_int_equal(c->bad, 1);
    assert_int_equal(c->no_data_key, 1);
    assert_int_equal(c->responses, 2);
    assert_int_equal(c->control, 3);
    assert_int_equal(c->data, 7);
    assert_false(kdnet_state_none_authenticated(s));
    kdnet_state_free(s);
}

/* The framer in KDNET mode takes each payload whole, no trailer. */
static int n_items, n_data, n_control, n_breakin, n_other;
static void count_item(const kd_item *it, void *user)
{
    (void)user;
    n_items++;
    if (it->kind == KD_ITEM_DATA && it->flags == 0 && it->computed_checksum == it->checksum)
        n_data++;
    else if (it->kind == KD_ITEM_CONTROL)
        n_control++;
    else if (it->kind == KD_ITEM_BREAKIN)
        n_breakin++;
    else
        n_other++;
}

static void test_payloads_to_framer(void **state)
{
    (void)state;
    n_items = n_data = n_control = n_breakin = n_other = 0;
    kd_framer *f = kd_framer_new(KD_TRANSPORT_KDNET, KD_DIR_T2D, count_item, NULL);
    kd_framer_feed(f, v_kd_data_payload, sizeof v_kd_data_payload, 0);
    kd_framer_finish(f);
    assert_int_equal(n_data, 1);
    kd_framer_feed(f, v_ack_payload, sizeof v_ack_payload, 0);
    kd_framer_finish(f);
    assert_int_equal(n_control, 1);
    const uint8_t brk = KDNET_BREAKIN_BYTE;
    kd_framer_feed(f, &brk, 1, 0);
    kd_framer_finish(f);
    assert_int_equal(n_breakin, 1);
    /* The UNUSED announcement, if a consumer feeds it anyway: 12 bytes of
     * noise, nothing read past them, nothing held back. */
    kd_framer_feed(f, v_unused_payload, 12, 0);
    kd_framer_finish(f);
    assert_int_equal(n_other, 1);
    assert_int_equal(n_items, 4);
    assert_int_equal(kd_framer_offset(f), sizeof v_kd_data_payload + 16 + 1 + 12);
    kd_framer_free(f);
}

/* ------------------------------------------------------------ keys per conversation */

static void test_several_keys(void **state)
{
    (void)state;
    uint8_t wrong[32];
    assert_int_equal(kdnet_parse_key("1.2.3.4", wrong, NULL), 0);
    kdnet_state *s = kdnet_state_new();
    assert_int_equal(kdnet_state_add_key(s, wrong), 0);
    assert_int_equal(kdnet_state_add_key(s, v_control_key), 0);
    kdnet_result r;
    assert_int_equal(kdnet_state_key_index(s), -1);
    assert_int_equal(kdnet_open(s, v_poke, sizeof v_poke, NULL, 0, &r), KDNET_OK);
    assert_int_equal(kdnet_state_key_index(s), 1);
    assert_int_equal(kdnet_open(s, v_response1, sizeof v_response1, NULL, 0, &r), KDNET_OK);
    assert_int_equal(kdnet_open(s, v_ack, sizeof v_ack, NULL, 0, &r), KDNET_OK);
    kdnet_state_free(s);

    /* Only wrong keys: every tag bad, and the state says so. */
    s = kdnet_state_new();
    assert_int_equal(kdnet_state_add_key(s, wrong), 0);
    assert_int_equal(kdnet_open(s, v_poke, sizeof v_poke, NULL, 0, &r), KDNET_E_BAD_TAG);
    assert_int_equal(r.hmac, KDNET_HMAC_BAD);
    assert_int_equal(r.kind, KDNET_KIND_UNKNOWN);
    assert_int_equal(r.dg.version, 4); /* still described */
    assert_true(kdnet_state_none_authenticated(s));
    kdnet_state_free(s);

    /* No key at all. */
    s = kdnet_state_new();
    assert_int_equal(kdnet_open(s, v_poke, sizeof v_poke, NULL, 0, &r), KDNET_E_NO_KEY);
    assert_int_equal(r.hmac, KDNET_HMAC_UNCHECKED);
    assert_int_equal(kdnet_state_counts(s)->no_key, 1);
    assert_true(kdnet_state_none_authenticated(s));
    kdnet_state_free(s);

    /* A data key given directly opens the data channel without a handshake. */
    s = state_with_key();
    kdnet_state_set_data_key(s, v_data_key1);
    assert_int_equal(kdnet_open(s, v_ack, sizeof v_ack, NULL, 0, &r), KDNET_OK);
    assert_int_equal(r.kind, KDNET_KIND_KD);
    assert_false(kdnet_state_needs_data_key(s));
    kdnet_state_free(s);

    /* Too many keys. */
    s = kdnet_state_new();
    for (unsigned i = 0; i < KDNET_MAX_KEYS; i++)
        assert_int_equal(kdnet_state_add_key(s, wrong), 0);
    assert_int_equal(kdnet_state_add_key(s, wrong), -1);
    kdnet_state_free(s);
}

/* ------------------------------------------------------------ bad input */

static void test_bad_datagrams(void **state)
{
    (void)state;
    kdnet_state *s = state_with_key();
    kdnet_result r;
    /* A tag that does not verify: one bit anywhere. */
    for (size_t i = 0; i < sizeof v_poke; i += 37) {
        uint8_t d[sizeof v_poke];
        memcpy(d, v_poke, sizeof d);
        d[i] ^= 0x01;
        kdnet_problem p = kdnet_open(s, d, sizeof d, NULL, 0, &r);
        assert_int_equal(p, i < 4 ? KDNET_E_MAGIC : i == 5 ? KDNET_E_CHANNEL : KDNET_E_BAD_TAG);
    }
    /* Every truncation. */
    for (size_t n = 0; n < sizeof v_response1; n++) {
        kdnet_problem p = kdnet_open(s, v_response1, n, NULL, 0, &r);
        assert_true(p == KDNET_E_SHORT || p == KDNET_E_UNALIGNED || p == KDNET_E_BAD_TAG);
        assert_int_not_equal(r.hmac, KDNET_HMAC_GOOD);
    }
    /* Ciphertext not a multiple of 16. */
    uint8_t d[sizeof v_poke + 1];
    memcpy(d, v_poke, sizeof v_poke);
    d[sizeof v_poke] = 0;
    assert_int_equal(kdnet_open(s, d, sizeof d, NULL, 0, &r), KDNET_E_UNALIGNED);
    assert_string_equal(kdnet_problem_text(r.problem), "ciphertext is not a multiple of 16 bytes");
    /* Padding longer than the plaintext: the tag is good, the split is not. */
    assert_int_equal(kdnet_open(s, v_bad_pad, sizeof v_bad_pad, NULL, 0, &r), KDNET_E_PAD);
    assert_int_equal(r.hmac, KDNET_HMAC_GOOD);
    assert_int_equal(r.p.seq, 9);
    assert_int_equal(r.p.pad, 15);
    assert_int_equal(r.p.payload_len, 0);
    /* A poke cut short. */
    assert_int_equal(kdnet_open(s, v_poke_short, sizeof v_poke_short, NULL, 0, &r), KDNET_E_POKE_SHORT);
    assert_int_equal(r.kind, KDNET_KIND_POKE);
    assert_memory_equal(r.poke.client_random, v_client_random, 32);
    /* A buffer too small for the plaintext. */
    uint8_t small[16];
    assert_int_equal(kdnet_open(s, v_poke, sizeof v_poke, small, sizeof small, &r), KDNET_E_TOO_LONG);
    for (int p = 0; p < KDNET_E__COUNT; p++) {
        const char *t = kdnet_problem_text((kdnet_problem)p);
        assert_non_null(t);
        assert_null(strchr(t, '\n'));
    }
    kdnet_state_free(s);
}

/* ------------------------------------------------------------ the encoder against the vectors */

static void test_build_matches_vectors(void **state)
{
    (void)state;
    uint8_t out[1024];
    struct {
        const uint8_t *want;
        size_t want_len;
        kdnet_build_args a;
    } cases[] = {
        {v_poke, sizeof v_poke, {4, 1, 1, KD_DIR_T2D, v_poke_payload, sizeof v_poke_payload, v_control_key, NULL}},
        {v_response1, sizeof v_response1,
         {4, 1, 1, KD_DIR_D2T, v_response1_payload, sizeof v_response1_payload, v_control_key, NULL}},
        {v_unused, sizeof v_unused, {4, 0, 1, KD_DIR_T2D, v_unused_payload, 12, v_control_key, v_data_key1}},
        {v_breakin, sizeof v_breakin, {4, 0, 1, KD_DIR_D2T, (const uint8_t *)"\x62", 1, v_control_key, v_data_key1}},
        {v_ack, sizeof v_ack, {4, 0, 2, KD_DIR_T2D, v_ack_payload, 16, v_control_key, v_data_key1}},
        {v_kd_data, sizeof v_kd_data,
         {2, 0, 3, KD_DIR_T2D, v_kd_data_payload, sizeof v_kd_data_payload, v_control_key, v_data_key1}},
        {v_ack2, sizeof v_ack2, {5, 0, 1, KD_DIR_T2D, v_ack_payload, 16, v_control_key, v_data_key2}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = kdnet_build(&cases[i].a, out, sizeof out);
        assert_int_equal(n, cases[i].want_len);
        assert_memory_equal(out, cases[i].want, n);
        assert_int_equal(kdnet_build(&cases[i].a, out, n - 1), 0);
    }
    /* The payload builders. */
    kdnet_endpoint ep[3] = {{{0}, 51111}, {{0}, 50001}, {{0}, 0}};
    memcpy(ep[0].addr, v_poke_payload + 34, 16);
    memcpy(ep[1].addr, v_poke_payload + 52, 16);
    assert_int_equal(kdnet_build_poke(v_client_random, ep, out, sizeof out), KDNET_POKE_SIZE);
    assert_memory_equal(out, v_poke_payload, KDNET_POKE_SIZE);
    assert_int_equal(kdnet_build_response(v_client_random, v_host_random1, out, sizeof out), 322);
    assert_memory_equal(out, v_response1_payload, 322);
    assert_int_equal(kdnet_build_poke(v_client_random, ep, out, KDNET_POKE_SIZE - 1), 0);
    /* Channel 0 without a data key: refused. */
    kdnet_build_args a = {4, 0, 1, KD_DIR_T2D, v_ack_payload, 16, v_control_key, NULL};
    assert_int_equal(kdnet_build(&a, out, sizeof out), 0);
}

/* Round trips over padding 0..15 and both channels. */
static void test_build_open_round_trip(void **state)
{
    (void)state;
    kdnet_state *s = state_with_key();
    kdnet_state_set_data_key(s, v_data_key1);
    uint8_t payload[64], out[128];
    for (unsigned i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(0x30 + i);
    for (size_t len = 0; len <= 40; len++) {
        for (unsigned ch = 0; ch < 2; ch++) {
            kdnet_build_args a = {4, (uint8_t)ch, 1000 + len, len & 1 ? KD_DIR_D2T : KD_DIR_T2D, payload, len,
                                  v_control_key, v_data_key1};
            size_t n = kdnet_build(&a, out, sizeof out);
            assert_int_equal((n - 22) % 16, 0);
            kdnet_result r;
            assert_int_equal(kdnet_open(s, out, n, NULL, 0, &r), KDNET_OK);
            assert_int_equal(r.hmac, KDNET_HMAC_GOOD);
            assert_int_equal(r.p.seq, 1000 + len);
            assert_int_equal(r.p.pad, (16 - (8 + len) % 16) % 16);
            assert_int_equal(r.p.dir, a.dir);
            assert_int_equal(r.p.payload_len, len);
            if (len)
                assert_memory_equal(r.p.payload, payload, len);
        }
    }
    kdnet_state_free(s);
}

/* ------------------------------------------------------------ fields and rendering */

static const kdnet_node *find_node(const kdnet_node *v, size_t n, kdnet_field_id f)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].field == f)
            return &v[i];
    return NULL;
}

static void test_field_table(void **state)
{
    (void)state;
    for (int i = 0; i < KDNET_F__COUNT; i++) {
        const kdnet_field *f = &kdnet_fields[i];
        assert_non_null(f->f.abbrev);
        assert_non_null(f->f.label);
        assert_non_null(f->f.blurb);
        assert_int_equal(strncmp(f->f.abbrev, "kdnet.", 6), 0);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(f->f.abbrev, kdnet_fields[j].f.abbrev);
    }
    assert_string_equal(kdnet_fields[KDNET_F_HMAC_STATUS].f.abbrev, "kdnet.hmac.status");
    assert_int_equal(kdnet_fields[KDNET_F_POKE_HOST_ADDR].address, KDNET_ADDRESS_IPV6);
    assert_int_equal(kdnet_fields[KDNET_F_UNUSED_HOST].address, KDNET_ADDRESS_IPV4);
    assert_string_equal(kd_val_name(kdnet_vals_hmac_status, KDNET_HMAC_GOOD), "good");
    assert_string_equal(kd_val_name(kdnet_vals_hmac_status, KDNET_HMAC_BAD), "bad");
    assert_string_equal(kd_val_name(kdnet_vals_direction, 1), "d2t");
    assert_string_equal(kd_val_name(kdnet_vals_direction, 0), "t2d");
}

static void test_nodes_and_text(void **state)
{
    (void)state;
    kdnet_state *s = state_with_key();
    kdnet_result r;
    kdnet_node v[KDNET_MAX_NODES];
    char t[256];
    assert_int_equal(kdnet_open(s, v_poke, sizeof v_poke, NULL, 0, &r), KDNET_OK);
    size_t n = kdnet_nodes(&r, v, KDNET_MAX_NODES);
    const kdnet_node *x = find_node(v, n, KDNET_F_VERSION);
    assert_non_null(x);
    assert_int_equal(x->offset, 4);
    assert_int_equal(x->value, 4);
    assert_false(x->in_plain);
    x = find_node(v, n, KDNET_F_HMAC);
    assert_int_equal(x->offset, sizeof v_poke - 16);
    assert_int_equal(x->length, 16);
    x = find_node(v, n, KDNET_F_HMAC_STATUS);
    assert_true(x->generated);
    kdnet_node_format(x, t, sizeof t);
    assert_string_equal(t, "1 (good)");
    x = find_node(v, n, KDNET_F_SEQ);
    assert_true(x->in_plain);
    assert_int_equal(x->offset, 0);
    assert_int_equal(x->length, 7);
    assert_int_equal(x->value, 1);
    x = find_node(v, n, KDNET_F_DIRECTION);
    kdnet_node_format(x, t, sizeof t);
    assert_string_equal(t, "0 (t2d)");
    x = find_node(v, n, KDNET_F_POKE_TARGET_ADDR);
    assert_int_equal(x->offset, 8 + 34);
    assert_int_equal(x->length, 16);
    assert_int_equal(x->depth, 1);
    kdnet_node_format(x, t, sizeof t);
    assert_string_equal(t, "192.168.2.72");
    x = find_node(v, n, KDNET_F_POKE_HOST_PORT);
    assert_int_equal(x->offset, 8 + 34 + 18 + 16);
    assert_int_equal(x->value, 50001);
    assert_int_equal(find_node(v, n, KDNET_F_POKE)->depth, 0);
    assert_null(find_node(v, n, KDNET_F_PAYLOAD));
    kdnet_summary(&r, t, sizeof t);
    assert_string_equal(t, "KDNET v4 control t2d seq 1: poke 192.168.2.72:51111 -> 192.168.2.1:50001");

    char *json = NULL;
    size_t jlen = 0;
    FILE *f = open_memstream(&json, &jlen);
    kdnet_print_json_fields(f, &r);
    fclose(f);
    assert_non_null(strstr(json, ",\"kdnet.version\":4,\"kdnet.channel\":1,"));
    assert_non_null(strstr(json, ",\"kdnet.hmac.status\":1,"));
    assert_non_null(strstr(json, ",\"kdnet.seq\":\"0x0000000000000001\","));
    assert_non_null(strstr(json, ",\"kdnet.poke.target_addr\":\"192.168.2.72\",\"kdnet.poke.target_port\":51111"));
    assert_null(strstr(json, "kdnet.ciphertext"));
    free(json);

    assert_int_equal(kdnet_open(s, v_response1, sizeof v_response1, NULL, 0, &r), KDNET_OK);
    kdnet_summary(&r, t, sizeof t);
    assert_string_equal(t, "KDNET v4 control d2t seq 1: response (sets the data key)");
    n = kdnet_nodes(&r, v, KDNET_MAX_NODES);
    assert_int_equal(find_node(v, n, KDNET_F_RESPONSE_HOST_RANDOM)->offset, 8 + 34);
    assert_int_equal(find_node(v, n, KDNET_F_RESPONSE_ZEROS_OK)->value, 1);
    assert_int_equal(kdnet_open(s, v_unused, sizeof v_unused, NULL, 0, &r), KDNET_OK);
    kdnet_summary(&r, t, sizeof t);
    assert_string_equal(t, "KDNET v4 data t2d seq 1: unused announcement (host 192.168.2.1)");
    n = kdnet_nodes(&r, v, KDNET_MAX_NODES);
    kdnet_node_format(find_node(v, n, KDNET_F_UNUSED_HOST), t, sizeof t);
    assert_string_equal(t, "192.168.2.1");
    assert_int_equal(kdnet_open(s, v_breakin, sizeof v_breakin, NULL, 0, &r), KDNET_OK);
    kdnet_summary(&r, t, sizeof t);
    assert_string_equal(t, "KDNET v4 data d2t seq 1: break-in");
    assert_int_equal(kdnet_open(s, v_ack, sizeof v_ack, NULL, 0, &r), KDNET_OK);
    kdnet_summary(&r, t, sizeof t);
    assert_string_equal(t, "KDNET v4 data t2d seq 2: KD packet, 16 bytes");

    /* A bad tag: header, tag and status, nothing from the plaintext. */
    uint8_t d[sizeof v_ack];
    memcpy(d, v_ack, sizeof d);
    d[10] ^= 1;
    assert_int_equal(kdnet_open(s, d, sizeof d, NULL, 0, &r), KDNET_E_BAD_TAG);
    n = kdnet_nodes(&r, v, KDNET_MAX_NODES);
    assert_int_equal(n, 6);
    assert_int_equal(find_node(v, n, KDNET_F_HMAC_STATUS)->value, KDNET_HMAC_BAD);
    kdnet_summary(&r, t, sizeof t);
    assert_string_equal(t, "KDNET v4 data: HMAC does not verify (wrong key or corrupted datagram)");
    /* Padding too long: seq, flags, pad, no kind. */
    assert_int_equal(kdnet_open(s, v_bad_pad, sizeof v_bad_pad, NULL, 0, &r), KDNET_E_PAD);
    n = kdnet_nodes(&r, v, KDNET_MAX_NODES);
    assert_int_equal(find_node(v, n, KDNET_F_PAD)->value, 15);
    assert_null(find_node(v, n, KDNET_F_KIND));
    kdnet_summary(&r, t, sizeof t);
    assert_string_equal(t, "KDNET v4 control t2d seq 9: padding longer than the plaintext");
    /* Too short for a header: nothing. */
    assert_int_equal(kdnet_open(s, v_ack, 5, NULL, 0, &r), KDNET_E_SHORT);
    assert_int_equal(kdnet_nodes(&r, v, KDNET_MAX_NODES), 0);
    kdnet_summary(&r, t, sizeof t);
    assert_string_equal(t, "KDNET: datagram too short for header, one block and tag");
    kdnet_state_free(s);
}

/* ------------------------------------------------------------ the real capture */

#ifndef KDSCOPE_SHARED_KDNET_CAPTURE
#define KDSCOPE_SHARED_KDNET_CAPTURE ""
#endif

/* Test-only: the UDP payload of an Ethernet / IPv4 / UDP frame, or NULL. */
static const uint8_t *udp_payload(const uint8_t *f, size_t n, size_t *len)
{
    if (n < 14 + 20 + 8 || f[12] != 0x08 || f[13] != 0x00)
        return NULL;
    const uint8_t *ip = f + 14;
    size_t ihl = (size_t)(ip[0] & 0x0F) * 4;
    if ((ip[0] >> 4) != 4 || ip[9] != 17 || n < 14 + ihl + 8)
        return NULL;
    const uint8_t *udp = ip + ihl;
    size_t ulen = (size_t)(udp[4] << 8 | udp[5]);
    if (ulen < 8 || 14 + ihl + ulen > n)
        return NULL;
    *len = ulen - 8;
    return udp + 8;
}

static void test_real_capture(void **state)
{
    (void)state;
    const char *path = KDSCOPE_SHARED_KDNET_CAPTURE;
    if (!*path || access(path, R_OK) != 0) {
        print_message("skipped: %s is absent\n", *path ? path : "the shared KDNET capture");
        skip();
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, err);
    assert_non_null(p);
    kdnet_state *s = kdnet_state_new();
    uint8_t key[32];
    assert_int_equal(kdnet_parse_key("8.8.8.8", key, NULL), 0);
    assert_int_equal(kdnet_state_add_key(s, key), 0);
    n_items = n_data = n_control = n_breakin = n_other = 0;
    kd_framer *fr = kd_framer_new(KD_TRANSPORT_KDNET, KD_DIR_UNKNOWN, count_item, NULL);
    struct pcap_pkthdr *h;
    const uint8_t *f;
    unsigned datagrams = 0, pokes = 0, responses = 0, unused = 0, kd = 0, versions4 = 0;
    while (pcap_next_ex(p, &h, &f) == 1) {
        size_t len;
        const uint8_t *u = udp_payload(f, h->caplen, &len);
        if (!u || !kdnet_is_kdnet(u, len))
            continue;
        datagrams++;
        kdnet_result r;
        kdnet_problem pb = kdnet_open(s, u, len, NULL, 0, &r);
        if (pb != KDNET_OK)
            fail_msg("datagram %u: %s", datagrams, kdnet_problem_text(pb));
        versions4 += r.dg.version == 4;
        pokes += r.kind == KDNET_KIND_POKE;
        responses += r.kind == KDNET_KIND_RESPONSE;
        unused += r.kind == KDNET_KIND_UNUSED;
        if (r.kind == KDNET_KIND_UNUSED)
            assert_int_equal(r.unused_host, 0xC0A80201u);
        if (r.kind == KDNET_KIND_POKE) {
            char t[64];
            kdnet_addr_text(r.poke.ep[0].addr, t, sizeof t);
            assert_string_equal(t, "192.168.2.72");
            assert_int_equal(r.poke.ep[0].port, 51111);
        }
        if (r.kd) {
            kd++;
            kd_framer_feed(fr, r.kd, r.kd_len, 0);
            kd_framer_finish(fr);
        }
    }
    pcap_close(p);
    kd_framer_free(fr);
    const kdnet_counts *c = kdnet_state_counts(s);
    assert_int_equal(datagrams, 955);
    assert_int_equal(c->good, 955);
    assert_int_equal(c->control, 428);
    assert_int_equal(c->data, 527);
    assert_int_equal(versions4, 955);
    assert_int_equal(pokes, 427);
    assert_int_equal(responses, 1);
    assert_int_equal(c->responses, 1);
    assert_int_equal(unused, 1);
    assert_int_equal(kd, 526);
    /* 263 data packets, every checksum valid, 263 control packets, nothing else. */
    assert_int_equal(n_data, 263);
    assert_int_equal(n_control, 263);
    assert_int_equal(n_other, 0);
    assert_int_equal(n_items, 526);
    kdnet_state_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_parse_golden),
        cmocka_unit_test(test_key_parse_bad),
        cmocka_unit_test(test_data_key_parse),
        cmocka_unit_test(test_hmac_golden),
        cmocka_unit_test(test_aes_golden),
        cmocka_unit_test(test_data_key_322_bytes),
        cmocka_unit_test(test_parse_header),
        cmocka_unit_test(test_parse_truncated_and_unaligned),
        cmocka_unit_test(test_split_padding),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_poke_decode_by_hand),
        cmocka_unit_test(test_open_handshake_and_each_kind),
        cmocka_unit_test(test_payloads_to_framer),
        cmocka_unit_test(test_several_keys),
        cmocka_unit_test(test_bad_datagrams),
        cmocka_unit_test(test_build_matches_vectors),
        cmocka_unit_test(test_build_open_round_trip),
        cmocka_unit_test(test_field_table),
        cmocka_unit_test(test_nodes_and_text),
        cmocka_unit_test(test_real_capture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
