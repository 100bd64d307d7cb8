/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for kdsim's serial link (the receiving half of both
 * roles): whatever the line brings (noise, break-ins, damaged and
 * duplicate packets, RESETs, stray ACKs), the link acknowledges, asks for
 * resends and delivers without crashing or waiting past its timeouts.
 *
 * Input: one option byte (bit 0: the debugger role, else the target;
 * bit 1: answer each delivered packet with a send, which waits for its ACK
 * while the rest of the input arrives), then the bytes the peer sends, in
 * reads whose sizes come from the data: each read takes 1 + (b & 63) bytes
 * after a length byte b, or 1 + 16 * (b & 127) when b's top bit is set
 * (large reads: a queue that one read can overflow trips an assert in the
 * link).  When the input is used up the line is closed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct line {
    const uint8_t *p;
    size_t left;
} line;

static ssize_t line_read(void *ctx, void *buf, size_t n, int timeout_ms)
{
    (void)timeout_ms;
    line *ln = ctx;
    if (ln->left == 0)
        return -1; /* closed */
    size_t want = (ln->p[0] & 0x80u) ? 1 + (size_t)(ln->p[0] & 0x7Fu) * 16 : 1 + (ln->p[0] & 63u);
    ln->p++;
    ln->left--;
    if (want > ln->left)
        want = ln->left;
    if (want > n)
        want = n;
    if (want == 0)
        return 0; /* a timeout */
    memcpy(buf, ln->p, want);
    ln->p += want;
    ln->left -= want;
    return (ssize_t)want;
}

static int line_write(void *ctx, const void *buf, size_t n)
{
    (void)ctx, (void)buf, (void)n;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    line ln = {data + 1, size - 1};
    kdsim_io io = {line_read, line_write, &ln};
    kdsim_link_opts o = {.role = (data[0] & 1) ? KDSIM_DEBUGGER : KDSIM_TARGET, .ack_timeout_ms = 1, .retries = 2};
    kdsim_link *l = kdsim_link_new(&io, &o);
    if (!l)
        return 0;
    kdsim_link_set_views(l, KD_ARCH_AMD64, 64);
    uint8_t body[8] = {(uint8_t)KD_API_GET_VERSION, (uint8_t)(KD_API_GET_VERSION >> 8), 0, 0, 0, 0, 0, 0};
    kd_enc_msg reply = {.type = KD_TYPE_STATE_MANIPULATE, .api = KD_API_GET_VERSION, .dir = o.role == KDSIM_TARGET ? KD_DIR_T2D : KD_DIR_D2T,
                        .arch = KD_ARCH_AMD64, .width = 64, .data = body, .data_len = 0};
    for (int rounds = 0; rounds < 100000; rounds++) {
        kdsim_event ev;
        kdsim_link_recv(l, 5, &ev); /* the line answers at once: no real wait */
        if (ev.kind == KDSIM_EV_CLOSED)
            break;
        if (ev.kind == KDSIM_EV_DATA && (ev.item.len < 16 || !ev.msg))
            abort(); /* a delivered packet has a header and a decode */
        if (ev.kind == KDSIM_EV_DATA && (data[0] & 2))
            kdsim_link_send(l, &reply);
    }
    kdsim_link_free(l);
    return 0;
}
