/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdparse/wire.h - framing constants of the KD wire protocol and the few
 * helpers every layer needs (little-endian reads, directions, names).
 *
 * Values are from ../shared/reference/kd-protocol.md §1.1 and §1.2
 * (ReactOS windbgkd.h); the section is cited beside each group.
 */
#ifndef KDPARSE_WIRE_H
#define KDPARSE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* §1.1 framing constants */
#define KD_PACKET_HEADER_SIZE 16u     /* sizeof(KD_PACKET) */
#define KD_PACKET_MAX_SIZE 4000u      /* PACKET_MAX_SIZE: largest ByteCount a target accepts */
#define KD_PACKET_LEADER 0x30303030u  /* "0000": data packet */
#define KD_CONTROL_LEADER 0x69696969u /* "iiii": ACK / RESEND / RESET */
#define KD_PACKET_LEADER_BYTE 0x30u
#define KD_CONTROL_LEADER_BYTE 0x69u
#define KD_BREAKIN_BYTE 0x62u         /* 'b' */
#define KD_TRAILING_BYTE 0xAAu        /* follows serial data packets only */
#define KD_INITIAL_PACKET_ID 0x80800000u
#define KD_SYNC_PACKET_ID 0x00000800u
/* KDNET ids (kdnet.md): the target counts 0, 2, 4, ...; the host from
 * 0x80000000 by 2; the host's RESET carries KD_KDNET_HOST_ID. */
#define KD_KDNET_HOST_ID 0x80000000u
#define KD_KDNET_ID_STEP 2u

/* Byte offsets inside the 16-byte KD_PACKET header (§2.4). */
#define KD_OFF_LEADER 0u
#define KD_OFF_TYPE 4u
#define KD_OFF_BYTE_COUNT 6u
#define KD_OFF_ID 8u
#define KD_OFF_CHECKSUM 12u

/* §1.2 packet types (KD_PACKET.PacketType) */
enum kd_packet_type {
    KD_TYPE_UNUSED = 0,
    KD_TYPE_STATE_CHANGE32 = 1,
    KD_TYPE_STATE_MANIPULATE = 2,
    KD_TYPE_DEBUG_IO = 3,
    KD_TYPE_ACKNOWLEDGE = 4,
    KD_TYPE_RESEND = 5,
    KD_TYPE_RESET = 6,
    KD_TYPE_STATE_CHANGE64 = 7,
    KD_TYPE_POLL_BREAKIN = 8, /* pseudo-type, never on the wire */
    KD_TYPE_TRACE_IO = 9,
    KD_TYPE_CONTROL_REQUEST = 10,
    KD_TYPE_FILE_IO = 11,
    KD_TYPE_MAX = 12
};

/* §3.8 the fixed header of each data packet type's body (fields/bodies.def):
 * KD_BODY_<type> in the 64-bit layout, KD_BODY32_<type> in the 32-bit one. */
enum kd_body_size {
#define KD_BODY(t, s64, s32, name) KD_BODY_##t = s64, KD_BODY32_##t = s32,
#include "kdparse/fields/bodies.def"
};

/* §1.8 status codes kdscope's tools send or test (all of them, with names,
 * are in kd_vals_ntstatus). */
#define KD_STATUS_SUCCESS 0x00000000u
#define KD_STATUS_UNSUCCESSFUL 0xC0000001u
#define KD_STATUS_INVALID_PARAMETER 0xC000000Du
#define KD_STATUS_NO_SUCH_DEVICE 0xC000000Eu
#define KD_STATUS_NOT_FOUND 0xC0000225u
#define KD_STATUS_BREAKPOINT 0x80000003u
#define KD_STATUS_SINGLE_STEP 0x80000004u
#define KD_DBG_CONTINUE 0x00010002u

/*
 * Directions, named from the debugger host's point of view (design.md).
 * The numeric values are those of the exported-PDU P2P direction tag 35
 * (0 = sent, 1 = received), so they can be written as they are.
 */
typedef enum kd_dir {
    KD_DIR_D2T = 0,     /* debugger -> target ("sent") */
    KD_DIR_T2D = 1,     /* target -> debugger ("received") */
    KD_DIR_UNKNOWN = 2  /* a raw stream nobody labelled */
} kd_dir;

/* "d2t", "t2d" or "?" */
const char *kd_dir_name(kd_dir dir);
/* Parses "d2t"/"t2d" (also "sent"/"received"); returns 0 on success. */
int kd_dir_parse(const char *text, kd_dir *out);

/*
 * Short name of a packet type as in §1.2 without the PACKET_TYPE_KD_
 * prefix ("STATE_MANIPULATE", "ACKNOWLEDGE", ...), or NULL when the value
 * is not in the table.
 */
const char *kd_packet_type_name(uint32_t type);

/* Explicit little-endian reads: the only way kdparse looks at wire bytes. */
static inline uint16_t kd_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t kd_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t kd_le64(const uint8_t *p)
{
    return (uint64_t)kd_le32(p) | (uint64_t)kd_le32(p + 4) << 32;
}

/* §1.10: the 32-bit sum of the unsigned body bytes, wrapping modulo 2^32. */
uint32_t kd_checksum(const uint8_t *body, size_t len);

#ifdef __cplusplus
}
#endif

#endif
