/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdparse/framer.h - turns one direction's KD byte stream into items.
 *
 * Every input byte ends up in exactly one item, in order, so concatenating
 * the items' bytes reproduces the stream.  Bytes may be fed one at a time or
 * in blocks of any size: the items are the same either way (only the
 * timestamps, which come with each block, can differ).
 *
 * Item kinds (design.md, "The wire model"):
 *   data       16-byte header + ByteCount body bytes + 0xAA trailer (serial)
 *   control    ACK / RESEND / RESET: 16-byte header only
 *   breakin    a run of 0x62 bytes outside a packet
 *   noise      bytes that belong to no packet
 *   truncated  the tail of a packet cut off by the end of the stream
 *
 * Usage:
 *   kd_framer *f = kd_framer_new(KD_TRANSPORT_SERIAL, KD_DIR_T2D, on_item, ctx);
 *   kd_framer_feed(f, buf, n, ts_ns);   // as often as bytes arrive
 *   kd_framer_finish(f);                // end of stream: flush the tail
 *   kd_framer_free(f);
 *
 * The callback runs synchronously from feed/finish.  The item and its
 * bytes are valid only during the callback.
 */
#ifndef KDPARSE_FRAMER_H
#define KDPARSE_FRAMER_H

#include <stddef.h>
#include <stdint.h>

#include "kdparse/wire.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kd_transport {
    KD_TRANSPORT_SERIAL, /* kdcom: data packets end with 0xAA */
    KD_TRANSPORT_KDNET   /* KD packets inside KDNET datagrams: no trailer */
} kd_transport;

typedef enum kd_item_kind {
    KD_ITEM_DATA,
    KD_ITEM_CONTROL,
    KD_ITEM_BREAKIN,
    KD_ITEM_NOISE,
    KD_ITEM_TRUNCATED
} kd_item_kind;

/* Problems found while framing (kd_item.flags). */
enum kd_item_flag {
    KD_ITEM_BAD_CHECKSUM = 1u << 0,    /* body sum != header Checksum */
    KD_ITEM_TRAILER_MISSING = 1u << 1, /* a leader byte or the end came where 0xAA belongs */
    KD_ITEM_TRAILER_BAD = 1u << 2,     /* some other byte came where 0xAA belongs */
    KD_ITEM_OVERSIZE = 1u << 3         /* ByteCount > 4000: body not read (as a target does) */
};

/* The largest item the framer ever emits; also its buffer size. */
#define KD_ITEM_MAX_BYTES (KD_PACKET_HEADER_SIZE + KD_PACKET_MAX_SIZE + 1u)
/* Noise and break-in runs are cut into items of at most this many bytes. */
#define KD_RUN_MAX_BYTES 4096u

typedef struct kd_item {
    kd_item_kind kind;
    kd_dir dir;
    uint32_t flags;        /* enum kd_item_flag */
    uint64_t offset;       /* offset of the first byte in this direction's stream */
    uint64_t ts_ns;        /* timestamp of the block that held the first byte */
    const uint8_t *bytes;  /* the item's bytes, exactly as received */
    size_t len;

    /* Header fields, valid when has_header (data, control, and truncated
     * items that reached 16 bytes). */
    int has_header;
    uint32_t leader;       /* KD_PACKET_LEADER or KD_CONTROL_LEADER; for a
                            * truncated item also valid with fewer bytes */
    uint16_t type;
    uint16_t byte_count;
    uint32_t id;
    uint32_t checksum;     /* as sent */
    /* Data items only: */
    uint32_t computed_checksum; /* sum of the body bytes present */
    int has_trailer;            /* a byte stood where the trailer belongs */
    uint8_t trailer;            /* that byte */
    const uint8_t *body;        /* bytes + 16, body_len bytes */
    size_t body_len;
} kd_item;

typedef void (*kd_item_cb)(const kd_item *item, void *user);

typedef struct kd_framer kd_framer;

/* Returns NULL only when out of memory. */
kd_framer *kd_framer_new(kd_transport transport, kd_dir dir, kd_item_cb cb, void *user);
void kd_framer_free(kd_framer *f);

/* Feeds len bytes that arrived at ts_ns (nanoseconds, any epoch). */
void kd_framer_feed(kd_framer *f, const uint8_t *buf, size_t len, uint64_t ts_ns);

/*
 * Ends the current stream segment: a packet in progress becomes a truncated
 * item (or, when only its trailer is absent, a data item flagged
 * TRAILER_MISSING), pending noise and break-in runs are emitted, and the
 * framer is ready for a new segment.  Stream offsets keep counting.
 */
void kd_framer_finish(kd_framer *f);

/*
 * Emits pending noise and break-in runs now instead of when the next item
 * starts, keeping a packet in progress and 1-3 pending leader bytes (which
 * may still become a packet).  For carriers whose records end at item
 * boundaries most of the time but not always (a record holding part of a
 * packet, a TCP segment): items are attributed to the record that ends them.
 */
void kd_framer_flush_runs(kd_framer *f);

/* True while a packet is in progress (its leader has arrived, not its end). */
int kd_framer_in_packet(const kd_framer *f);

/* Changes the pointer handed to the callback (a consumer that collects
 * items per record points it at the current record's collector). */
void kd_framer_set_user(kd_framer *f, void *user);

/* Bytes fed so far, i.e. the offset the next byte will have. */
uint64_t kd_framer_offset(const kd_framer *f);

/*
 * Whether bytes start with a plausible serial KD packet header: a data
 * leader with a data packet type (§1.2) and ByteCount <= 4000, or a control
 * leader with ACK/RESEND/RESET and ByteCount 0.  0 when fewer than 16
 * bytes are given.  For heuristics that must not misfire on other traffic.
 */
int kd_packet_start_plausible(const uint8_t *p, size_t len);

/*
 * The stream offset of the first byte not yet in an emitted item (a packet
 * in progress, 1-3 leader bytes, a run not flushed), or kd_framer_offset()
 * when nothing is pending.  (The plugin asks Wireshark's TCP reassembly to
 * hand those bytes again with the next segment.)
 */
uint64_t kd_framer_pending_start(const kd_framer *f);

/*
 * Rebuilds the item the framer made, from its bytes and the facts only the
 * framer knew (kind, flags, direction): header fields, body, checksum,
 * trailer.  For consumers that keep bytes, not items (the Wireshark plugin,
 * the encoder).  Offset and timestamp are left 0.
 */
kd_item kd_item_from_bytes(const uint8_t *bytes, size_t len, kd_item_kind kind, uint32_t flags,
                           kd_dir dir);

/* Human names: "data", "control", "breakin", "noise", "truncated". */
const char *kd_item_kind_name(kd_item_kind kind);

#ifdef __cplusplus
}
#endif

#endif
