/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netparse.c - link, IP, UDP and TCP headers of captured frames (netparse.h).
 * Every read is at an offset checked against the bytes captured.
 */
#include "netparse.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_IPV6 0x86DDu
#define ETHERTYPE_VLAN 0x8100u
#define ETHERTYPE_QINQ 0x88A8u
#define ETHERTYPE_QINQ_OLD 0x9100u
#define ETHER_HEADER 14u
#define VLAN_TAG 4u
#define SLL_HEADER 16u
#define SLL_PROTOCOL_AT 14u
#define SLL2_HEADER 20u
#define SLL2_PROTOCOL_AT 0u
#define LOOP_HEADER 4u

/* Address families in BSD loopback headers: AF_INET is 2 everywhere; AF_INET6
 * is 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS), 10 (Linux). */
#define BSD_AF_INET 2u
#define BSD_AF_INET6_NETBSD 24u
#define BSD_AF_INET6_FREEBSD 28u
#define BSD_AF_INET6_DARWIN 30u
#define LINUX_AF_INET6 10u

#define IPV4_MIN_HEADER 20u
#define IPV4_MF 0x2000u
#define IPV4_OFFSET_MASK 0x1FFFu
#define IPV6_HEADER 40u
#define IPV6_HOP_BY_HOP 0u
#define IPV6_ROUTING 43u
#define IPV6_FRAGMENT 44u
#define IPV6_ESP 50u
#define IPV6_AH 51u
#define IPV6_NO_NEXT 59u
#define IPV6_DEST_OPTS 60u
#define IPV6_MOBILITY 135u
#define IPV6_FRAGMENT_HEADER 8u
#define UDP_HEADER 8u
#define TCP_MIN_HEADER 20u

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int netparse_link_supported(uint32_t linktype)
{
    switch (linktype) {
    case NETPARSE_LINK_NULL:
    case NETPARSE_LINK_ETHERNET:
    case NETPARSE_LINK_DLT_RAW1:
    case NETPARSE_LINK_DLT_RAW2:
    case NETPARSE_LINK_RAW:
    case NETPARSE_LINK_LOOP:
    case NETPARSE_LINK_LINUX_SLL:
    case NETPARSE_LINK_IPV4:
    case NETPARSE_LINK_IPV6:
    case NETPARSE_LINK_LINUX_SLL2:
        return 1;
    default:
        return 0;
    }
}

/* The transport header and payload at p[0, n); wire: the length the IP layer
 * declares for them (>= n when the capture was cut). */
static netparse_status transport(uint8_t proto, const uint8_t *p, size_t n, size_t wire,
                                 netparse_pkt *out)
{
    out->proto = proto;
    size_t hlen;
    if (proto == NETPARSE_PROTO_UDP) {
        if (n < UDP_HEADER)
            return wire < UDP_HEADER ? NETPARSE_MALFORMED : NETPARSE_TRUNCATED;
        size_t ulen = be16(p + 4);
        /* The UDP length is trusted only when it fits the IP payload (0 is
         * jumbogram style: take the IP length). */
        if (ulen != 0 && (ulen < UDP_HEADER || ulen > wire))
            return NETPARSE_MALFORMED;
        if (ulen != 0)
            wire = ulen;
        hlen = UDP_HEADER;
    } else if (proto == NETPARSE_PROTO_TCP) {
        if (n < TCP_MIN_HEADER)
            return wire < TCP_MIN_HEADER ? NETPARSE_MALFORMED : NETPARSE_TRUNCATED;
        hlen = (size_t)(p[12] >> 4) * 4u;
        if (hlen < TCP_MIN_HEADER || hlen > wire)
            return NETPARSE_MALFORMED;
        if (hlen > n)
            return NETPARSE_TRUNCATED;
        out->seq = be32(p + 4);
        out->ack = be32(p + 8);
        out->tcp_flags = p[13];
    } else {
        return NETPARSE_OTHER_PROTO;
    }
    out->sport = be16(p);
    out->dport = be16(p + 2);
    out->payload = p + hlen;
    out->payload_wire_len = wire - hlen;
    out->payload_len = n - hlen < out->payload_wire_len ? n - hlen : out->payload_wire_len;
    out->truncated = out->payload_len < out->payload_wire_len;
    return NETPARSE_OK;
}

static netparse_status ipv4(const uint8_t *p, size_t n, netparse_pkt *out)
{
    if (n < IPV4_MIN_HEADER)
        return NETPARSE_TRUNCATED;
    if (p[0] >> 4 != 4)
        return NETPARSE_MALFORMED;
    size_t ihl = (size_t)(p[0] & 0x0Fu) * 4u;
    size_t total = be16(p + 2);
    if (ihl < IPV4_MIN_HEADER || total < ihl)
        return NETPARSE_MALFORMED;
    if (ihl > n)
        return NETPARSE_TRUNCATED;
    out->src.family = out->dst.family = 4;
    memset(out->src.a, 0, sizeof out->src.a);
    memset(out->dst.a, 0, sizeof out->dst.a);
    memcpy(out->src.a, p + 12, 4);
    memcpy(out->dst.a, p + 16, 4);
    uint16_t frag = be16(p + 6);
    if ((frag & IPV4_MF) || (frag & IPV4_OFFSET_MASK))
        return NETPARSE_FRAGMENT;
    /* Bytes captured past the IP datagram are link padding (Ethernet's
     * minimum frame): cut them off. */
    size_t have = n < total ? n : total;
    return transport(p[9], p + ihl, have - ihl, total - ihl, out);
}

static netparse_status ipv6(const uint8_t *p, size_t n, netparse_pkt *out)
{
    if (n < IPV6_HEADER)
        return NETPARSE_TRUNCATED;
    if (p[0] >> 4 != 6)
        return NETPARSE_MALFORMED;
    out->src.family = out->dst.family = 6;
    memcpy(out->src.a, p + 8, 16);
    memcpy(out->dst.a, p + 24, 16);
    size_t wire = be16(p + 4); /* after the fixed header, extension headers included */
    size_t have = n - IPV6_HEADER < wire ? n - IPV6_HEADER : wire;
    const uint8_t *q = p + IPV6_HEADER;
    uint8_t next = p[6];
    for (unsigned i = 0;; i++) {
        size_t len;
        switch (next) {
        case IPV6_HOP_BY_HOP:
        case IPV6_ROUTING:
        case IPV6_DEST_OPTS:
        case IPV6_MOBILITY:
            if (have < 2)
                return wire < 2 ? NETPARSE_MALFORMED : NETPARSE_TRUNCATED;
            len = ((size_t)q[1] + 1u) * 8u;
            break;
        case IPV6_AH:
            if (have < 2)
                return wire < 2 ? NETPARSE_MALFORMED : NETPARSE_TRUNCATED;
            len = ((size_t)q[1] + 2u) * 4u;
            break;
        case IPV6_FRAGMENT:
            if (have < IPV6_FRAGMENT_HEADER)
                return wire < IPV6_FRAGMENT_HEADER ? NETPARSE_MALFORMED : NETPARSE_TRUNCATED;
            /* An atomic fragment (offset 0, no more) is a whole datagram. */
            if ((be16(q + 2) & 0xFFF9u) != 0)
                return NETPARSE_FRAGMENT;
            len = IPV6_FRAGMENT_HEADER;
            break;
        case IPV6_ESP:
        case IPV6_NO_NEXT:
            return NETPARSE_OTHER_PROTO;
        default:
            return transport(next, q, have, wire, out);
        }
        if (i + 1 >= NETPARSE_MAX_EXT)
            return NETPARSE_OTHER_PROTO; /* more headers than we follow */
        if (len > wire)
            return NETPARSE_MALFORMED;
        if (len > have)
            return NETPARSE_TRUNCATED;
        next = q[0];
        q += len;
        have -= len;
        wire -= len;
    }
}

static netparse_status by_version(const uint8_t *p, size_t n, netparse_pkt *out)
{
    if (n < 1)
        return NETPARSE_TRUNCATED;
    if (p[0] >> 4 == 4)
        return ipv4(p, n, out);
    if (p[0] >> 4 == 6)
        return ipv6(p, n, out);
    return NETPARSE_NOT_IP;
}

static netparse_status by_ethertype(uint16_t type, const uint8_t *p, size_t n, netparse_pkt *out)
{
    if (type == ETHERTYPE_IPV4)
        return ipv4(p, n, out);
    if (type == ETHERTYPE_IPV6)
        return ipv6(p, n, out);
    return NETPARSE_NOT_IP;
}

static netparse_status ethernet(const uint8_t *p, size_t n, netparse_pkt *out)
{
    if (n < ETHER_HEADER)
        return NETPARSE_TRUNCATED;
    size_t at = 12;
    uint16_t type = be16(p + at);
    for (unsigned tags = 0;
         type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD; tags++) {
        if (tags == NETPARSE_MAX_VLAN)
            return NETPARSE_MALFORMED;
        at += VLAN_TAG;
        if (n < at + 2)
            return NETPARSE_TRUNCATED;
        type = be16(p + at);
    }
    at += 2;
    return by_ethertype(type, p + at, n - at, out);
}

static netparse_status bsd_loopback(const uint8_t *p, size_t n, int big_endian, netparse_pkt *out)
{
    if (n < LOOP_HEADER)
        return NETPARSE_TRUNCATED;
    /* NULL is in the writer's byte order: take whichever reading names a family. */
    uint32_t fam = big_endian ? be32(p) : (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                                              (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    if (!big_endian && fam > 0xFFFFu)
        fam = be32(p);
    p += LOOP_HEADER;
    n -= LOOP_HEADER;
    if (fam == BSD_AF_INET)
        return ipv4(p, n, out);
    if (fam == BSD_AF_INET6_NETBSD || fam == BSD_AF_INET6_FREEBSD || fam == BSD_AF_INET6_DARWIN ||
        fam == LINUX_AF_INET6)
        return ipv6(p, n, out);
    return NETPARSE_NOT_IP;
}

netparse_status netparse_frame(uint32_t linktype, const uint8_t *p, size_t caplen, netparse_pkt *out)
{
    memset(out, 0, sizeof *out);
    if (!p)
        caplen = 0;
    switch (linktype) {
    case NETPARSE_LINK_ETHERNET:
        return ethernet(p, caplen, out);
    case NETPARSE_LINK_LINUX_SLL:
        if (caplen < SLL_HEADER)
            return NETPARSE_TRUNCATED;
        return by_ethertype(be16(p + SLL_PROTOCOL_AT), p + SLL_HEADER, caplen - SLL_HEADER, out);
    case NETPARSE_LINK_LINUX_SLL2:
        if (caplen < SLL2_HEADER)
            return NETPARSE_TRUNCATED;
        return by_ethertype(be16(p + SLL2_PROTOCOL_AT), p + SLL2_HEADER, caplen - SLL2_HEADER, out);
    case NETPARSE_LINK_DLT_RAW1:
    case NETPARSE_LINK_DLT_RAW2:
    case NETPARSE_LINK_RAW:
        return by_version(p, caplen, out);
    case NETPARSE_LINK_IPV4:
        return ipv4(p, caplen, out);
    case NETPARSE_LINK_IPV6:
        return ipv6(p, caplen, out);
    case NETPARSE_LINK_NULL:
        return bsd_loopback(p, caplen, 0, out);
    case NETPARSE_LINK_LOOP:
        return bsd_loopback(p, caplen, 1, out);
    default:
        return NETPARSE_UNSUPPORTED_LINK;
    }
}

const char *netparse_status_name(netparse_status s)
{
    switch (s) {
    case NETPARSE_OK:
        return "ok";
    case NETPARSE_UNSUPPORTED_LINK:
        return "unsupported link type";
    case NETPARSE_NOT_IP:
        return "not IP";
    case NETPARSE_OTHER_PROTO:
        return "neither UDP nor TCP";
    case NETPARSE_FRAGMENT:
        return "IP fragment";
    case NETPARSE_TRUNCATED:
        return "truncated";
    case NETPARSE_MALFORMED:
        return "malformed";
    }
    return "?";
}

void netparse_format_endpoint(const netparse_addr *a, uint16_t port, char *buf, size_t n)
{
    char host[INET6_ADDRSTRLEN];
    if (a->family == 4) {
        inet_ntop(AF_INET, a->a, host, sizeof host);
        snprintf(buf, n, "%s:%u", host, (unsigned)port);
    } else {
        inet_ntop(AF_INET6, a->a, host, sizeof host);
        snprintf(buf, n, "[%s]:%u", host, (unsigned)port);
    }
}

int netparse_parse_endpoint(const char *text, netparse_addr *a, uint16_t *port)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon;
    size_t hl;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':')
            return -1;
        hl = (size_t)(close - text - 1);
        if (hl >= sizeof host)
            return -1;
        memcpy(host, text + 1, hl);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon)
            return -1;
        hl = (size_t)(colon - text);
        if (hl >= sizeof host || memchr(text, ':', hl))
            return -1;
        memcpy(host, text, hl);
    }
    host[hl] = '\0';
    char *end;
    unsigned long pv = strtoul(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || pv > 65535u)
        return -1;
    memset(a, 0, sizeof *a);
    if (inet_pton(AF_INET, host, a->a) == 1)
        a->family = 4;
    else if (inet_pton(AF_INET6, host, a->a) == 1)
        a->family = 6;
    else
        return -1;
    *port = (uint16_t)pv;
    return 0;
}
