/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the network parser: the first byte picks a link type
 * (from those netparse takes, plus one it does not), the rest is one frame.
 * Besides memory safety it checks netparse's promises: a payload lies
 * inside the frame, never longer than what was sent, truncated exactly when
 * shorter; addresses are IPv4 or IPv6.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t links[] = {
        NETPARSE_LINK_NULL,     NETPARSE_LINK_ETHERNET,  NETPARSE_LINK_DLT_RAW1,
        NETPARSE_LINK_DLT_RAW2, NETPARSE_LINK_RAW,       NETPARSE_LINK_LOOP,
        NETPARSE_LINK_LINUX_SLL, NETPARSE_LINK_IPV4,     NETPARSE_LINK_IPV6,
        NETPARSE_LINK_LINUX_SLL2, 105u /* 802.11: not taken */,
    };
    if (size < 1)
        return 0;
    uint32_t link = links[data[0] % (sizeof links / sizeof links[0])];
    /* A copy of exactly the frame's size, so ASan sees any over-read. */
    size_t n = size - 1;
    uint8_t *frame = malloc(n ? n : 1);
    if (!frame)
        return 0;
    memcpy(frame, data + 1, n);
    netparse_pkt p;
    netparse_status st = netparse_frame(link, frame, n, &p);
    if (st == NETPARSE_UNSUPPORTED_LINK && netparse_link_supported(link))
        abort();
    if (st == NETPARSE_OK) {
        if (p.proto != NETPARSE_PROTO_TCP && p.proto != NETPARSE_PROTO_UDP)
            abort();
        if (p.payload < frame || p.payload > frame + n || p.payload_len > (size_t)(frame + n - p.payload))
            abort();
        if (p.payload_len > p.payload_wire_len || p.truncated != (p.payload_len < p.payload_wire_len))
            abort();
        if ((p.src.family != 4 && p.src.family != 6) || p.src.family != p.dst.family)
            abort();
        volatile uint8_t acc = 0;
        for (size_t i = 0; i < p.payload_len; i++)
            acc ^= p.payload[i];
        (void)acc;
        char buf[80];
        netparse_format_endpoint(&p.src, p.sport, buf, sizeof buf);
        if (!memchr(buf, ':', strlen(buf)))
            abort();
    }
    if (!netparse_status_name(st)[0])
        abort();
    free(frame);
    return 0;
}
