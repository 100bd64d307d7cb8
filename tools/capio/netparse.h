/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netparse.h - one captured frame of a capture made by others (tcpdump,
 * dumpcap, Wireshark) taken apart down to its UDP or TCP payload.
 *
 * Link types: Ethernet (802.1Q / QinQ tags), Linux cooked v1 and v2, raw IP
 * (DLT_RAW and LINKTYPE_IPV4/IPV6), BSD loopback (NULL and LOOP).  Network:
 * IPv4 and IPv6 (extension headers skipped, at most NETPARSE_MAX_EXT of
 * them).  Transport: UDP and TCP.  Stateless and bounded: it reads only
 * [p, p + caplen) and keeps pointers into it.
 *
 * A frame cut short by the snap length (caplen < the lengths its headers
 * declare) is parsed as far as it goes and marked truncated: the payload is
 * what was captured, payload_wire_len what was sent.  A fragment of an IP
 * datagram is not read as UDP or TCP (its transport header may be missing
 * or belong to another fragment): it is reported as NETPARSE_FRAGMENT.
 */
#ifndef KDSCOPE_NETPARSE_H
#define KDSCOPE_NETPARSE_H

#include <stddef.h>
#include <stdint.h>

/* Link types as pcap and pcapng files number them (LINKTYPE_*), with the
 * DLT_* values libpcap hands back where they differ. */
#define NETPARSE_LINK_NULL 0u
#define NETPARSE_LINK_ETHERNET 1u
#define NETPARSE_LINK_DLT_RAW1 12u  /* DLT_RAW on most systems */
#define NETPARSE_LINK_DLT_RAW2 14u  /* DLT_RAW on OpenBSD */
#define NETPARSE_LINK_RAW 101u
#define NETPARSE_LINK_LOOP 108u
#define NETPARSE_LINK_LINUX_SLL 113u
#define NETPARSE_LINK_IPV4 228u
#define NETPARSE_LINK_IPV6 229u
#define NETPARSE_LINK_LINUX_SLL2 276u

#define NETPARSE_PROTO_TCP 6u
#define NETPARSE_PROTO_UDP 17u

#define NETPARSE_MAX_VLAN 4u /* tags stacked on one Ethernet frame */
#define NETPARSE_MAX_EXT 8u  /* IPv6 extension headers before giving up */

/* TCP flags (byte 13 of the header). */
#define NETPARSE_TCP_FIN 0x01u
#define NETPARSE_TCP_SYN 0x02u
#define NETPARSE_TCP_RST 0x04u
#define NETPARSE_TCP_ACK 0x10u

typedef enum netparse_status {
    NETPARSE_OK,           /* a UDP or TCP payload (maybe truncated) */
    NETPARSE_UNSUPPORTED_LINK,
    NETPARSE_NOT_IP,       /* ARP, LLC, ...: not for us */
    NETPARSE_OTHER_PROTO,  /* IP, but neither UDP nor TCP (ICMP, ESP, ...) */
    NETPARSE_FRAGMENT,     /* a piece of a fragmented IP datagram */
    NETPARSE_TRUNCATED,    /* cut before the transport header ended */
    NETPARSE_MALFORMED     /* headers that contradict themselves */
} netparse_status;

typedef struct netparse_addr {
    uint8_t family; /* 4 or 6 */
    uint8_t a[16];  /* IPv4 in the first 4 bytes */
} netparse_addr;

typedef struct netparse_pkt {
    uint8_t proto; /* NETPARSE_PROTO_TCP / _UDP */
    netparse_addr src, dst;
    uint16_t sport, dport;
    uint32_t seq;      /* TCP */
    uint32_t ack;      /* TCP, valid with NETPARSE_TCP_ACK */
    uint8_t tcp_flags; /* TCP */
    const uint8_t *payload;
    size_t payload_len;      /* bytes captured */
    size_t payload_wire_len; /* bytes sent (>= payload_len) */
    int truncated;           /* payload_len < payload_wire_len */
} netparse_pkt;

/* True for the link types netparse_frame takes. */
int netparse_link_supported(uint32_t linktype);

/* Takes one frame apart.  On NETPARSE_OK *out is filled; otherwise it is
 * left partly filled (addresses of a fragment, for instance). */
netparse_status netparse_frame(uint32_t linktype, const uint8_t *p, size_t caplen, netparse_pkt *out);

/* "IPv4 fragment", "truncated", ...: words for a status. */
const char *netparse_status_name(netparse_status s);

/* "127.0.0.1:5000" or "[::1]:5000" into buf (at least 64 bytes). */
void netparse_format_endpoint(const netparse_addr *a, uint16_t port, char *buf, size_t n);

/* Parses "HOST:PORT" ("1.2.3.4:5", "[::1]:5", "::1" is refused: brackets
 * needed with a port).  0 on success. */
int netparse_parse_endpoint(const char *text, netparse_addr *a, uint16_t *port);

#endif
