/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netparse: frames built here byte by byte from the header layouts (RFC 791,
 * 8200, 768, 793; IEEE 802.1Q; the Linux cooked and BSD loopback headers),
 * every link type, extension headers, fragments, truncation, padding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netparse.h"

typedef struct fb {
    uint8_t b[2048];
    size_t n;
} fb;

static void u8(fb *f, unsigned v)
{
    f->b[f->n++] = (uint8_t)v;
}

static void u16be(fb *f, unsigned v)
{
    u8(f, v >> 8);
    u8(f, v & 0xFF);
}

static void u32be(fb *f, uint32_t v)
{
    u16be(f, v >> 16);
    u16be(f, v & 0xFFFF);
}

static void bytes(fb *f, const void *p, size_t n)
{
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

static const char payload[] = "0000payload";

/* IPv4 header (no options) for proto and l4 bytes after it. */
static void ipv4(fb *f, unsigned proto, size_t l4, unsigned frag)
{
    u8(f, 0x45);
    u8(f, 0);
    u16be(f, (unsigned)(20 + l4));
    u16be(f, 0x1234);
    u16be(f, frag);
    u8(f, 64);
    u8(f, proto);
    u16be(f, 0);
    bytes(f, "\x7f\x00\x00\x01", 4);
    bytes(f, "\x7f\x00\x00\x02", 4);
}

static void ipv6(fb *f, unsigned next, size_t rest)
{
    u32be(f, 0x60000000u);
    u16be(f, (unsigned)rest);
    u8(f, next);
    u8(f, 64);
    static const uint8_t a[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static const uint8_t b[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    bytes(f, a, 16);
    bytes(f, b, 16);
}

static void tcp(fb *f, uint32_t seq, unsigned flags)
{
    u16be(f, 40000);
    u16be(f, 4444);
    u32be(f, seq);
    u32be(f, 77);
    u8(f, 0x50);
    u8(f, flags);
    u16be(f, 65535);
    u16be(f, 0);
    u16be(f, 0);
    bytes(f, payload, sizeof payload - 1);
}

static void udp(fb *f, size_t len)
{
    u16be(f, 51112);
    u16be(f, 51111);
    u16be(f, (unsigned)(8 + len));
    u16be(f, 0);
    bytes(f, payload, len);
}

static void eth(fb *f, unsigned type)
{
    bytes(f, "\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x01", 12);
    u16be(f, type);
}

#define TCP_LEN (20 + sizeof payload - 1)
#define UDP_LEN (8 + sizeof payload - 1)

static void expect_tcp4(const netparse_pkt *p)
{
    assert_int_equal(p->proto, NETPARSE_PROTO_TCP);
    assert_int_equal(p->src.family, 4);
    assert_memory_equal(p->src.a, "\x7f\x00\x00\x01", 4);
    assert_memory_equal(p->dst.a, "\x7f\x00\x00\x02", 4);
    assert_int_equal(p->sport, 40000);
    assert_int_equal(p->dport, 4444);
    assert_int_equal(p->seq, 0x01020304u);
    assert_int_equal(p->ack, 77);
    assert_int_equal(p->tcp_flags, NETPARSE_TCP_ACK);
    assert_int_equal(p->payload_len, sizeof payload - 1);
    assert_int_equal(p->payload_wire_len, sizeof payload - 1);
    assert_false(p->truncated);
    assert_memory_equal(p->payload, payload, sizeof payload - 1);
}

static void test_ethernet_ipv4_tcp(void **state)
{
    (void)state;
    fb f = {0};
    eth(&f, 0x0800);
    ipv4(&f, 6, TCP_LEN, 0x4000);
    tcp(&f, 0x01020304u, 0x10);
    netparse_pkt p;
    assert_int_equal(netparse_frame(1, f.b, f.n, &p), NETPARSE_OK);
    expect_tcp4(&p);
    /* Ethernet pads short frames: bytes after the IP datagram are not payload. */
    memset(f.b + f.n, 0xEE, 20);
    assert_int_equal(netparse_frame(1, f.b, f.n + 20, &p), NETPARSE_OK);
    expect_tcp4(&p);
}

static void test_vlan(void **state)
{
    (void)state;
    fb f = {0};
    bytes(&f, "\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x01", 12);
    u16be(&f, 0x88A8);
    u16be(&f, 10);
    u16be(&f, 0x8100);
    u16be(&f, 20);
    u16be(&f, 0x0800);
    ipv4(&f, 6, TCP_LEN, 0);
    tcp(&f, 0x01020304u, 0x10);
    netparse_pkt p;
    assert_int_equal(netparse_frame(1, f.b, f.n, &p), NETPARSE_OK);
    expect_tcp4(&p);

    /* More tags than NETPARSE_MAX_VLAN: refused, not walked forever. */
    fb g = {0};
    bytes(&g, "\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x01", 12);
    for (int i = 0; i < 6; i++) {
        u16be(&g, 0x8100);
        u16be(&g, 1);
    }
    u16be(&g, 0x0800);
    assert_int_equal(netparse_frame(1, g.b, g.n, &p), NETPARSE_MALFORMED);
    /* Not IP: ARP. */
    fb a = {0};
    eth(&a, 0x0806);
    u32be(&a, 0);
    assert_int_equal(netparse_frame(1, a.b, a.n, &p), NETPARSE_NOT_IP);
}

static void test_cooked_raw_loopback(void **state)
{
    (void)state;
    netparse_pkt p;
    fb body = {0};
    ipv4(&body, 6, TCP_LEN, 0);
    tcp(&body, 0x01020304u, 0x10);

    fb sll = {0};
    u16be(&sll, 0); /* to us */
    u16be(&sll, 772);
    u16be(&sll, 6);
    bytes(&sll, "\0\0\0\0\0\0\0\0", 8);
    u16be(&sll, 0x0800);
    bytes(&sll, body.b, body.n);
    assert_int_equal(netparse_frame(NETPARSE_LINK_LINUX_SLL, sll.b, sll.n, &p), NETPARSE_OK);
    expect_tcp4(&p);

    fb sll2 = {0};
    u16be(&sll2, 0x0800);
    u16be(&sll2, 0);
    u32be(&sll2, 1);
    u16be(&sll2, 772);
    u8(&sll2, 0);
    u8(&sll2, 6);
    bytes(&sll2, "\0\0\0\0\0\0\0\0", 8);
    bytes(&sll2, body.b, body.n);
    assert_int_equal(netparse_frame(NETPARSE_LINK_LINUX_SLL2, sll2.b, sll2.n, &p), NETPARSE_OK);
    expect_tcp4(&p);

    static const uint32_t raws[] = {NETPARSE_LINK_DLT_RAW1, NETPARSE_LINK_DLT_RAW2,
                                    NETPARSE_LINK_RAW, NETPARSE_LINK_IPV4};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(netparse_frame(raws[i], body.b, body.n, &p), NETPARSE_OK);
        expect_tcp4(&p);
    }
    /* LINKTYPE_IPV6 takes IPv6 only. */
    assert_int_equal(netparse_frame(NETPARSE_LINK_IPV6, body.b, body.n, &p), NETPARSE_MALFORMED);

    /* NULL: the family in the writer's byte order (2 little-endian here). */
    fb nul = {0};
    bytes(&nul, "\x02\x00\x00\x00", 4);
    bytes(&nul, body.b, body.n);
    assert_int_equal(netparse_frame(NETPARSE_LINK_NULL, nul.b, nul.n, &p), NETPARSE_OK);
    expect_tcp4(&p);
    memcpy(nul.b, "\x00\x00\x00\x02", 4); /* a big-endian writer */
    assert_int_equal(netparse_frame(NETPARSE_LINK_NULL, nul.b, nul.n, &p), NETPARSE_OK);
    expect_tcp4(&p);
    /* LOOP: always network order. */
    assert_int_equal(netparse_frame(NETPARSE_LINK_LOOP, nul.b, nul.n, &p), NETPARSE_OK);
    expect_tcp4(&p);
    memcpy(nul.b, "\x00\x00\x00\x07", 4);
    assert_int_equal(netparse_frame(NETPARSE_LINK_LOOP, nul.b, nul.n, &p), NETPARSE_NOT_IP);

    assert_int_equal(netparse_frame(105, body.b, body.n, &p), NETPARSE_UNSUPPORTED_LINK);
    assert_false(netparse_link_supported(105));
    assert_true(netparse_link_supported(NETPARSE_LINK_LINUX_SLL2));
}

static void test_ipv6_extensions(void **state)
{
    (void)state;
    netparse_pkt p;
    /* Hop-by-hop (8 bytes), destination options (16 bytes), then UDP. */
    fb f = {0};
    ipv6(&f, 0, 8 + 16 + UDP_LEN);
    u8(&f, 60);
    u8(&f, 0);
    bytes(&f, "\x01\x04\0\0\0\0", 6);
    u8(&f, 17);
    u8(&f, 1);
    bytes(&f, "\x01\x0c\0\0\0\0\0\0\0\0\0\0\0\0", 14);
    udp(&f, sizeof payload - 1);
    assert_int_equal(netparse_frame(NETPARSE_LINK_IPV6, f.b, f.n, &p), NETPARSE_OK);
    assert_int_equal(p.proto, NETPARSE_PROTO_UDP);
    assert_int_equal(p.src.family, 6);
    assert_int_equal(p.src.a[15], 1);
    assert_int_equal(p.dst.a[15], 2);
    assert_int_equal(p.sport, 51112);
    assert_int_equal(p.dport, 51111);
    assert_int_equal(p.payload_len, sizeof payload - 1);
    assert_memory_equal(p.payload, payload, sizeof payload - 1);

    /* An atomic fragment header (offset 0, no more fragments) is a whole datagram. */
    fb a = {0};
    ipv6(&a, 44, 8 + UDP_LEN);
    u8(&a, 17);
    u8(&a, 0);
    u16be(&a, 0);
    u32be(&a, 99);
    udp(&a, sizeof payload - 1);
    assert_int_equal(netparse_frame(NETPARSE_LINK_RAW, a.b, a.n, &p), NETPARSE_OK);
    assert_int_equal(p.proto, NETPARSE_PROTO_UDP);
    /* A first fragment (M set) and a later one: fragments, not UDP. */
    a.b[40 + 3] = 1;
    assert_int_equal(netparse_frame(NETPARSE_LINK_RAW, a.b, a.n, &p), NETPARSE_FRAGMENT);
    a.b[40 + 3] = 0;
    a.b[40 + 2] = 0x01; /* offset 32 */
    assert_int_equal(netparse_frame(NETPARSE_LINK_RAW, a.b, a.n, &p), NETPARSE_FRAGMENT);

    /* A chain longer than NETPARSE_MAX_EXT headers ends the walk. */
    fb c = {0};
    ipv6(&c, 60, 8 * 10 + UDP_LEN);
    for (int i = 0; i < 10; i++) {
        u8(&c, i == 9 ? 17 : 60);
        u8(&c, 0);
        bytes(&c, "\x01\x04\0\0\0\0", 6);
    }
    udp(&c, sizeof payload - 1);
    assert_int_equal(netparse_frame(NETPARSE_LINK_RAW, c.b, c.n, &p), NETPARSE_OTHER_PROTO);
    /* An extension header longer than the datagram. */
    fb d = {0};
    ipv6(&d, 0, 8);
    u8(&d, 17);
    u8(&d, 5);
    bytes(&d, "\x01\x04\0\0\0\0", 6);
    assert_int_equal(netparse_frame(NETPARSE_LINK_RAW, d.b, d.n, &p), NETPARSE_MALFORMED);
    /* ESP: not ours. */
    fb e = {0};
    ipv6(&e, 50, 8);
    u32be(&e, 1);
    u32be(&e, 2);
    assert_int_equal(netparse_frame(NETPARSE_LINK_RAW, e.b, e.n, &p), NETPARSE_OTHER_PROTO);
}

static void test_ipv4_fragments_and_bad(void **state)
{
    (void)state;
    netparse_pkt p;
    fb f = {0};
    ipv4(&f, 17, UDP_LEN, 0x2000); /* MF */
    udp(&f, sizeof payload - 1);
    assert_int_equal(netparse_frame(NETPARSE_LINK_RAW, f.b, f.n, &p), NETPARSE_FRAGMENT);
    f.b[6] = 0x00;
    f.b[7] = 0x10; /* offset 128, last fragment */
    assert_int_equal(netparse_frame(NETPARSE_LINK_RAW, f.b, f.n, &p), NETPARSE_FRAGMENT);
    f.b[7] = 0x00;
    assert_int_equal(netparse_frame(NETPARSE_LINK_RAW, f.b, f.n, &p), NETPARSE_OK);
    assert_int_equal(p.proto, NETPARSE_PROTO_UDP);

    /* UDP length beyond the IP payload; IHL below 5; ICMP. */
    fb u = f;
    u.b[20 + 5] = 0xFF;
    assert_int_equal(netparse_frame(NETPARSE_LINK_RAW, u.b, u.n, &p), NETPARSE_MALFORMED);
    fb h = f;
    h.b[0] = 0x44;
    assert_int_equal(netparse_frame(NETPARSE_LINK_RAW, h.b, h.n, &p), NETPARSE_MALFORMED);
    fb i = f;
    i.b[9] = 1;
    assert_int_equal(netparse_frame(NETPARSE_LINK_RAW, i.b, i.n, &p), NETPARSE_OTHER_PROTO);
    /* TCP data offset below 5. */
    fb t = {0};
    ipv4(&t, 6, TCP_LEN, 0);
    tcp(&t, 1, 0x10);
    t.b[20 + 12] = 0x40;
    assert_int_equal(netparse_frame(NETPARSE_LINK_RAW, t.b, t.n, &p), NETPARSE_MALFORMED);
}

static void test_truncated(void **state)
{
    (void)state;
    netparse_pkt p;
    fb f = {0};
    eth(&f, 0x0800);
    ipv4(&f, 6, TCP_LEN, 0);
    tcp(&f, 0x01020304u, 0x10);
    /* Cut inside the payload: parsed, marked, the sent length known. */
    assert_int_equal(netparse_frame(1, f.b, f.n - 5, &p), NETPARSE_OK);
    assert_true(p.truncated);
    assert_int_equal(p.payload_len, sizeof payload - 1 - 5);
    assert_int_equal(p.payload_wire_len, sizeof payload - 1);
    /* Cut inside the TCP header, the IP header, the Ethernet header. */
    assert_int_equal(netparse_frame(1, f.b, 14 + 20 + 10, &p), NETPARSE_TRUNCATED);
    assert_int_equal(netparse_frame(1, f.b, 14 + 10, &p), NETPARSE_TRUNCATED);
    assert_int_equal(netparse_frame(1, f.b, 5, &p), NETPARSE_TRUNCATED);
    assert_int_equal(netparse_frame(1, NULL, 0, &p), NETPARSE_TRUNCATED);
    /* Every cut of every link type: never past the bytes given (ASan). */
    for (size_t n = 0; n <= f.n; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, f.b, n);
        static const uint32_t links[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276};
        for (size_t l = 0; l < sizeof links / sizeof links[0]; l++) {
            netparse_status st = netparse_frame(links[l], copy, n, &p);
            if (st == NETPARSE_OK)
                assert_true(p.payload + p.payload_len <= copy + n);
        }
        free(copy);
    }
}

static void test_endpoints(void **state)
{
    (void)state;
    netparse_addr a;
    uint16_t port;
    char buf[80];
    assert_int_equal(netparse_parse_endpoint("127.0.0.1:4444", &a, &port), 0);
    assert_int_equal(a.family, 4);
    assert_int_equal(port, 4444);
    netparse_format_endpoint(&a, port, buf, sizeof buf);
    assert_string_equal(buf, "127.0.0.1:4444");
    assert_int_equal(netparse_parse_endpoint("[fd00::2]:50000", &a, &port), 0);
    assert_int_equal(a.family, 6);
    assert_int_equal(a.a[0], 0xfd);
    assert_int_equal(a.a[15], 2);
    netparse_format_endpoint(&a, port, buf, sizeof buf);
    assert_string_equal(buf, "[fd00::2]:50000");
    assert_int_equal(netparse_parse_endpoint("::1:5", &a, &port), -1);
    assert_int_equal(netparse_parse_endpoint("1.2.3.4", &a, &port), -1);
    assert_int_equal(netparse_parse_endpoint("1.2.3.4:", &a, &port), -1);
    assert_int_equal(netparse_parse_endpoint("1.2.3.4:65536", &a, &port), -1);
    assert_int_equal(netparse_parse_endpoint("host:5", &a, &port), -1);
    assert_int_equal(netparse_parse_endpoint("[::1]5", &a, &port), -1);
    assert_string_equal(netparse_status_name(NETPARSE_FRAGMENT), "IP fragment");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ethernet_ipv4_tcp),
        cmocka_unit_test(test_vlan),
        cmocka_unit_test(test_cooked_raw_loopback),
        cmocka_unit_test(test_ipv6_extensions),
        cmocka_unit_test(test_ipv4_fragments_and_bad),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_endpoints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
