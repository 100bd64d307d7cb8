/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdparse/encode.h - building KD packets (for tests, fuzz seeds and kdsim).
 *
 * A message is given as its packet type, API (or NewState), direction,
 * views (arch, width), a list of field values by schema name, and the data
 * that follows the header.  The encoder finds where each field lives the
 * same way the decoder does (it decodes a zeroed message of that shape and
 * writes each value at its node), so no offset is written down twice and
 * decode(encode(m)) gives m back.
 *
 *   kd_enc_field f[] = {{KD_F_M_RM_TARGET_BASE_ADDRESS, 0xfffff80002a00000},
 *                       {KD_F_M_RM_TRANSFER_COUNT, 0x100}};
 *   kd_enc_msg m = {.type = KD_TYPE_STATE_MANIPULATE, .api = 0x3130, .dir = KD_DIR_D2T,
 *                   .id = 0x80800000, .fields = f, .n_fields = 2};
 *   uint8_t pkt[KD_ITEM_MAX_BYTES];
 *   long n = kd_encode(&m, KD_TRANSPORT_SERIAL, pkt, sizeof pkt);
 */
#ifndef KDPARSE_ENCODE_H
#define KDPARSE_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "kdparse/framer.h"
#include "kdparse/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kd_enc_field {
    kd_field_id field; /* a repeated field fills its slots in order */
    uint64_t value;
} kd_enc_field;

typedef struct kd_enc_msg {
    uint16_t type;        /* KD_TYPE_* (a data packet type) */
    uint32_t id;
    kd_dir dir;           /* d2t: requests; t2d: replies (picks union views) */
    kd_arch arch;         /* control report / control set / CONTEXT views */
    uint8_t width;        /* manipulate layout: 32 or 64 (0 = 64) */
    uint32_t api;         /* ApiNumber, NewState, or the I/O ApiNumber */
    const kd_enc_field *fields;
    size_t n_fields;
    const uint8_t *data;  /* what follows the header (memory, CONTEXT, text, ...) */
    size_t data_len;
} kd_enc_msg;

/* Size of the fixed header of a data packet type's body (0 if unknown). */
size_t kd_body_header_size(uint16_t type, uint8_t width);

/*
 * Writes the framed packet into out.  Returns its length, or -1 when the
 * body would exceed KD_PACKET_MAX_SIZE, out is too small, or a field is
 * not part of this message (that is a caller's mistake, not a wire fact).
 */
long kd_encode(const kd_enc_msg *m, kd_transport t, uint8_t *out, size_t cap);

/* Frames a ready body: header with ByteCount and checksum, body, trailer. */
long kd_frame_data(kd_transport t, uint16_t type, uint32_t id, const uint8_t *body, size_t len,
                   uint8_t *out, size_t cap);

/* A control packet (ACK, RESEND, RESET): 16 bytes. */
long kd_frame_control(uint16_t type, uint32_t id, uint8_t *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
