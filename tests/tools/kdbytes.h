/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdbytes.h - test helpers that build KD wire bytes by hand, field by field
 * at the offsets of the reference tables (kd-protocol.md §2.4, §3.1).  They
 * are deliberately independent of kdparse: the checksum is summed here, not
 * by kd_checksum(), so a broken kdparse cannot agree with itself.
 */
#ifndef KDSCOPE_KDBYTES_H
#define KDSCOPE_KDBYTES_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer; aborts on out-of-memory (tests only). */
typedef struct kdb_buf {
    uint8_t *data;
    size_t len, cap;
} kdb_buf;

void kdb_free(kdb_buf *b);
void kdb_bytes(kdb_buf *b, const void *p, size_t n);
void kdb_u8(kdb_buf *b, uint8_t v);
void kdb_le16(kdb_buf *b, uint16_t v);
void kdb_le32(kdb_buf *b, uint32_t v);
void kdb_le64(kdb_buf *b, uint64_t v);
void kdb_fill(kdb_buf *b, uint8_t v, size_t n);

/* Stores little-endian values at p. */
void kdb_put16(uint8_t *p, uint16_t v);
void kdb_put32(uint8_t *p, uint32_t v);
void kdb_put64(uint8_t *p, uint64_t v);

/* Appends a data packet: "0000", type, ByteCount=len, id, the byte sum of
 * body, body, and the 0xAA trailer when trailer is nonzero (serial). */
void kdb_data_packet(kdb_buf *b, uint16_t type, uint32_t id, const uint8_t *body, size_t len,
                     int trailer);
/* Appends a control packet: "iiii", type, ByteCount 0, id, checksum 0. */
void kdb_control_packet(kdb_buf *b, uint16_t type, uint32_t id);

/* Deterministic PRNG (xorshift64*) for property tests. */
typedef struct kdb_rng {
    uint64_t s;
} kdb_rng;
uint64_t kdb_rand(kdb_rng *r);
/* Uniform in [lo, hi]. */
uint32_t kdb_range(kdb_rng *r, uint32_t lo, uint32_t hi);

#endif
