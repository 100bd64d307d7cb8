/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The problem list of a message (kd_msg_problems): the item's, the
 * decoder's and the tracker's flags by name.
 */
#include "kdparse/decode.h"

size_t kd_msg_problems(const kd_msg *m, const kd_annot *a, const char **names, size_t max)
{
    static const struct {
        int source; /* 0 item, 1 decoder, 2 tracker */
        uint32_t bit;
        const char *name;
    } table[] = {
        {0, KD_ITEM_BAD_CHECKSUM, "bad_checksum"},
        {0, KD_ITEM_TRAILER_MISSING, "trailer_missing"},
        {0, KD_ITEM_TRAILER_BAD, "trailer_bad"},
        {0, KD_ITEM_OVERSIZE, "oversize"},
        {1, KD_DECODE_UNKNOWN_TYPE, "unknown_type"},
        {1, KD_DECODE_UNKNOWN_API, "unknown_api"},
        {1, KD_DECODE_SHORT, "short"},
        {1, KD_DECODE_LENGTH_MISMATCH, "length_mismatch"},
        {1, KD_DECODE_TOO_MANY_NODES, "too_many_nodes"},
        {2, KD_TRACK_UNEXPECTED_ID, "unexpected_id"},
        {2, KD_TRACK_RESEND, "resend"},
        {2, KD_TRACK_RESET, "reset"},
        {2, KD_TRACK_RETRANSMISSION, "retransmission"},
        {2, KD_TRACK_DUPLICATE, "duplicate"},
        {2, KD_TRACK_NO_RESPONSE, "no_response"},
        {2, KD_TRACK_NO_ACK, "no_ack"},
        {2, KD_TRACK_STRAY_ACK, "stray_ack"},
        {2, KD_TRACK_ERROR_STATUS, "error_status"},
    };
    uint32_t bits[3] = {m->item->flags, m->problems, a ? a->problems : 0};
    size_t k = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0] && k < max; i++)
        if (bits[table[i].source] & table[i].bit)
            names[k++] = table[i].name;
    return k;
}
