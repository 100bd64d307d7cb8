/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netstream.h - the conversations of a network capture, and the KD in them.
 *
 * Fed every frame netparse took apart, in capture order, it keeps apart the
 * TCP connections and UDP conversations (by addresses and ports; a new SYN
 * on a closed or reset connection is a new connection), reassembles each
 * TCP direction (tcp_reasm), and decides for each conversation:
 *
 *   - KDNET: UDP datagrams whose payload starts with the KDNET magic; each
 *     one is handed up whole, with its addresses and ports;
 *   - serial KD carried in TCP or UDP: bytes that frame as KD (packet
 *     leaders with valid headers and checksums, break-in bytes) within the
 *     first NETSTREAM_DETECT_BYTES, or any stream on a --port; handed up as
 *     chunks of each direction's byte stream, with the size of any gap;
 *   - anything else: ignored, counted.
 *
 * Which side is the target is decided from the content, unless the options
 * name it: the side that sends a state change or a DbgPrint, the other side
 * from the one sending break-in bytes; failing those, when the looking
 * ends, the side that answers manipulate requests (the same API back), or,
 * when that ties and the stream's start was seen, the side that did not
 * send the first one.  While a conversation is undecided its chunks are held (at most
 * NETSTREAM_HOLD_BYTES each, NETSTREAM_MAX_UNDECIDED conversations at a
 * time), so memory is bounded whatever the capture holds.
 *
 * UDP on ports 51111/51112 (cbwang505's windbg-wireshark: one port per
 * direction) is one conversation whatever the other port is.
 */
#ifndef KDSCOPE_NETSTREAM_H
#define KDSCOPE_NETSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "capio.h"
#include "netparse.h"

#define NETSTREAM_DETECT_BYTES 65536u   /* stream bytes looked at to judge "is it KD" */
#define NETSTREAM_HOLD_BYTES (1u << 20) /* held per undecided conversation */
#define NETSTREAM_MAX_UNDECIDED 64u
#define NETSTREAM_MAX_CONVS 65536u
#define NETSTREAM_REASM_HOLD (1u << 20) /* out-of-order bytes held per TCP direction */

typedef struct netstream netstream;

typedef struct netstream_stats {
    uint64_t kd_convs;        /* conversations taken as serial KD */
    uint64_t kdnet_convs;     /* conversations holding KDNET */
    uint64_t other_tcp;       /* connections that were not KD */
    uint64_t other_udp;       /* UDP conversations that were not KD */
    uint64_t untracked;       /* conversations over NETSTREAM_MAX_CONVS */
    uint64_t fragments;       /* IP fragments (not reassembled) */
    uint64_t truncated;       /* frames cut short by the snap length */
    uint64_t malformed;       /* frames whose headers contradict themselves */
    uint64_t not_udp_tcp;     /* IP frames of other protocols, non-IP frames */
    uint64_t no_target;       /* KD conversations whose target side stayed unknown */
} netstream_stats;

/* NULL when out of memory.  opts is copied (ports too). */
netstream *netstream_new(const kdcap_net_opts *opts);
void netstream_free(netstream *ns);

/* One frame (record number frame).  st: what netparse said of it. */
void netstream_frame(netstream *ns, uint64_t frame, uint64_t ts_ns, netparse_status st,
                     const netparse_pkt *pkt);

/* End of the capture: conversations still open are finished and decided. */
void netstream_finish(netstream *ns);

/* The next record for the consumer: 1 and *rec filled (bytes valid until
 * the next call), 0 when none is ready.  -1 when out of memory. */
int netstream_next(netstream *ns, kdcap_record *rec);

void netstream_get_stats(const netstream *ns, netstream_stats *out);

#endif
