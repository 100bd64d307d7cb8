/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Encoders (encode.h): place field values where the decoder finds them. */
#include <stdlib.h>
#include <string.h>

#include "kdparse/decode.h"
#include "kdparse/encode.h"

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

size_t kd_body_header_size(uint16_t type, uint8_t width)
{
    switch (type) {
#define KD_BODY(t, s64, s32, name) \
    case KD_TYPE_##t:              \
        return width == 32 ? KD_BODY32_##t : KD_BODY_##t;
#include "kdparse/fields/bodies.def"
    default:
        return 0;
    }
}

long kd_frame_data(kd_transport t, uint16_t type, uint32_t id, const uint8_t *body, size_t len,
                   uint8_t *out, size_t cap)
{
    size_t total = KD_PACKET_HEADER_SIZE + len + (t == KD_TRANSPORT_SERIAL);
    if (len > KD_PACKET_MAX_SIZE || total > cap)
        return -1;
    put_le(out + KD_OFF_LEADER, KD_PACKET_LEADER, 4);
    put_le(out + KD_OFF_TYPE, type, 2);
    put_le(out + KD_OFF_BYTE_COUNT, len, 2);
    put_le(out + KD_OFF_ID, id, 4);
    put_le(out + KD_OFF_CHECKSUM, kd_checksum(body, len), 4);
    if (len)
        memmove(out + KD_PACKET_HEADER_SIZE, body, len);
    if (t == KD_TRANSPORT_SERIAL)
        out[KD_PACKET_HEADER_SIZE + len] = KD_TRAILING_BYTE;
    return (long)total;
}

long kd_frame_control(uint16_t type, uint32_t id, uint8_t *out, size_t cap)
{
    if (cap < KD_PACKET_HEADER_SIZE)
        return -1;
    memset(out, 0, KD_PACKET_HEADER_SIZE);
    put_le(out + KD_OFF_LEADER, KD_CONTROL_LEADER, 4);
    put_le(out + KD_OFF_TYPE, type, 2);
    put_le(out + KD_OFF_ID, id, 4);
    return KD_PACKET_HEADER_SIZE;
}


long kd_encode(const kd_enc_msg *m, kd_transport t, uint8_t *out, size_t cap)
{
    uint8_t width = m->width ? m->width : 64;
    size_t hdr = kd_body_header_size(m->type, width);
    size_t len = hdr + m->data_len;
    if (len > KD_PACKET_MAX_SIZE || KD_PACKET_HEADER_SIZE + len + 1 > cap)
        return -1;
    uint8_t *body = out + KD_PACKET_HEADER_SIZE;
    memset(body, 0, hdr);
    if (hdr >= 4)
        put_le(body, m->api, 4); /* ApiNumber / NewState lead every body */
    if (m->data_len)
        memcpy(body + hdr, m->data, m->data_len);
    long total = kd_frame_data(t, m->type, m->id, body, len, out, cap);
    if (total < 0)
        return -1;

    /* Where does each field live in a message of this shape? */
    kd_msg *shape = malloc(sizeof *shape);
    if (!shape)
        return -1;
    kd_item it = kd_item_from_bytes(out, (size_t)total, KD_ITEM_DATA, 0, m->dir);
    kd_decode_opts o = {.arch = m->arch, .width = width};
    kd_decode(&it, &o, shape);
    long rc = total;
    for (size_t i = 0; i < m->n_fields && rc >= 0; i++) {
        kd_field_id f = m->fields[i].field;
        size_t nth = 0;
        for (size_t j = 0; j < i; j++)
            nth += m->fields[j].field == f;
        const kd_node *node = NULL;
        for (uint16_t k = 0; k < shape->n; k++) {
            const kd_node *n = &shape->nodes[k];
            if (n->field == f && !(n->flags & KD_NODE_GENERATED) && nth-- == 0) {
                node = n;
                break;
            }
        }
        kd_ftype ft = kd_fields[f].type;
        if (!node || ft == KD_FT_NONE || ft == KD_FT_BYTES || ft == KD_FT_STRING || ft == KD_FT_UTF16 ||
            node->length > 8)
            rc = -1;
        else
            put_le(out + node->offset, m->fields[i].value, node->length);
    }
    free(shape);
    if (rc < 0)
        return -1;
    put_le(out + KD_OFF_CHECKSUM, kd_checksum(body, len), 4);
    return total;
}
