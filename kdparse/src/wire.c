/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Names and small helpers shared by every layer (kdparse/wire.h). */
#include "kdparse/wire.h"

#include <string.h>

const char *kd_dir_name(kd_dir dir)
{
    switch (dir) {
    case KD_DIR_D2T:
        return "d2t";
    case KD_DIR_T2D:
        return "t2d";
    default:
        return "?";
    }
}

int kd_dir_parse(const char *text, kd_dir *out)
{
    if (strcmp(text, "d2t") == 0 || strcmp(text, "sent") == 0) {
        *out = KD_DIR_D2T;
        return 0;
    }
    if (strcmp(text, "t2d") == 0 || strcmp(text, "received") == 0) {
        *out = KD_DIR_T2D;
        return 0;
    }
    return -1;
}

const char *kd_packet_type_name(uint32_t type)
{
    /* §1.2, without the PACKET_TYPE_KD_ prefix. */
    static const char *const names[] = {
        [KD_TYPE_UNUSED] = "UNUSED",
        [KD_TYPE_STATE_CHANGE32] = "STATE_CHANGE32",
        [KD_TYPE_STATE_MANIPULATE] = "STATE_MANIPULATE",
        [KD_TYPE_DEBUG_IO] = "DEBUG_IO",
        [KD_TYPE_ACKNOWLEDGE] = "ACKNOWLEDGE",
        [KD_TYPE_RESEND] = "RESEND",
        [KD_TYPE_RESET] = "RESET",
        [KD_TYPE_STATE_CHANGE64] = "STATE_CHANGE64",
        [KD_TYPE_POLL_BREAKIN] = "POLL_BREAKIN",
        [KD_TYPE_TRACE_IO] = "TRACE_IO",
        [KD_TYPE_CONTROL_REQUEST] = "CONTROL_REQUEST",
        [KD_TYPE_FILE_IO] = "FILE_IO",
        [KD_TYPE_MAX] = "MAX",
    };
    if (type < sizeof names / sizeof names[0])
        return names[type];
    return NULL;
}

uint32_t kd_checksum(const uint8_t *body, size_t len)
{
    /* Eight bytes at a time: byte pairs add into four 16-bit lanes, folded
     * every 128 words, before a lane can overflow (128 * 510 < 65536).
     * The byte order of the load does not matter to a sum. */
    uint32_t sum = 0;
    size_t i = 0;
    while (len - i >= 8) {
        size_t stop = len - i > 8 * 128 ? i + 8 * 128 : len;
        uint64_t lanes = 0;
        for (; stop - i >= 8; i += 8) {
            uint64_t w;
            memcpy(&w, body + i, 8);
            lanes += (w & 0x00FF00FF00FF00FFull) + ((w >> 8) & 0x00FF00FF00FF00FFull);
        }
        lanes = (lanes & 0x0000FFFF0000FFFFull) + ((lanes >> 16) & 0x0000FFFF0000FFFFull);
        sum += (uint32_t)(lanes + (lanes >> 32));
    }
    for (; i < len; i++)
        sum += body[i];
    return sum;
}
