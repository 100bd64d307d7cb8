/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdparse/identity.h - which message a decoded message is, and what it says.
 *
 * Two messages are "the same message" when they have the same identity:
 * direction, packet type, API (or NewState / I/O API), request or response,
 * and the values of the API's key fields (the address a read reads, the MSR,
 * the exception code, the image path: kd_identity_key_field).  A read of
 * another address is another message.  Their content is the hash of every
 * field that is compared: two messages with one identity and different
 * content are one message that changed.
 *
 * kddiff aligns sessions by identity and reports content changes; kdsim
 * replay answers a live request with the recorded reply to the request of
 * the same identity.  Both ask here, so "the same request" means one thing.
 *
 * Hashes are FNV-1a 64 over the field ids and values as stored in the
 * decoded nodes; they are stable within one build (they hash host-order
 * integers), not a file format.
 */
#ifndef KDPARSE_IDENTITY_H
#define KDPARSE_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "kdparse/decode.h"
#include "kdparse/tracker.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KD_FNV_OFFSET_BASIS 0xcbf29ce484222325ull

/* FNV-1a 64 of n bytes, continuing from h (start with KD_FNV_OFFSET_BASIS). */
uint64_t kd_fnv1a(uint64_t h, const void *p, size_t n);

/* Key fields: what makes two messages of one API the same request. */
int kd_identity_key_field(kd_field_id f);

/* Fields that vary by design between two runs of one session: the leader,
 * ByteCount, packet id, checksums and trailer (kddiff --transport keeps them). */
int kd_identity_transport_field(kd_field_id f);

/* The message's kind: dir << 28 | packet type << 16 | API for data packets
 * (type 0xFFF without a header); dir << 28 | 0xF000000 | item kind << 16 |
 * type for the other items.  It names a class of messages (kddiff --stat). */
#define KD_IDENTITY_NOT_DATA 0xF000000u /* in a kind: not a data packet */
uint32_t kd_identity_kind(const kd_msg *m);

/* A kind taken apart again (the one place that knows its bit layout besides
 * kd_identity_kind): data packets have is_data, the packet type (0xFFF: no
 * header) and the API or NewState; other items their item kind and type. */
typedef struct kd_identity_class {
    kd_dir dir;
    int is_data;
    kd_item_kind item;   /* KD_ITEM_DATA when is_data */
    uint16_t type;       /* packet type (data: 0xFFF without a header) */
    uint16_t api;        /* data: ApiNumber / NewState; else 0 */
} kd_identity_class;
kd_identity_class kd_identity_kind_split(uint32_t kind);

typedef struct kd_identity_opts {
    /* Nonzero: the field is left out of both hashes.  NULL: none is. */
    int (*skip)(kd_field_id f, void *user);
    /* The value an integer field of m is compared by (kddiff --rebase: an
     * address as an offset from its module or the kernel base), *changed
     * nonzero when it is not the wire value, *name the module it is an
     * offset in (hashed too) or left NULL.  NULL: the wire value. */
    uint64_t (*value)(const kd_msg *m, kd_field_id f, uint64_t v, int *changed, const char **name, void *user);
    /* The same for virtual memory contents (kd_msg_field_memory): each
     * naturally aligned pointer-sized word v at target address addr of
     * bytes field f is compared by the value returned when *changed is set
     * (with *name), else its bytes are.  NULL: bytes as bytes. */
    uint64_t (*word)(const kd_msg *m, kd_field_id f, uint64_t addr, uint64_t v, int *changed, const char **name,
                     void *user);
    int with_length; /* the item's length is part of the identity (kddiff --transport) */
    void *user;
} kd_identity_opts;

typedef struct kd_identity {
    uint32_t kind;    /* kd_identity_kind */
    uint64_t ident;   /* kind, is_response, key fields */
    uint64_t content; /* every field not skipped */
} kd_identity;

/* The identity and content of m.  opts NULL: transport fields skipped,
 * wire values, no length (what kddiff compares by default). */
void kd_identity_of(const kd_msg *m, const kd_identity_opts *opts, kd_identity *out);

/* Walks bytes field n of m as kd_identity_of compares it with opts->word:
 * calls emit once per run of bytes compared as bytes (word NULL) and once
 * per word compared by value (word set: name, value), in order, with the
 * run's offset in the field.  Returns 0 when n is not memory contents or
 * opts has no word hook (nothing emitted). */
typedef void (*kd_identity_emit)(size_t off, const uint8_t *bytes, size_t len, const char *name, uint64_t v,
                                 int word, void *user);
int kd_identity_memory_words(const kd_msg *m, const kd_node *n, const kd_identity_opts *opts, kd_identity_emit emit,
                             void *user);

/* Adds one node (its field id and value or bytes) to a hash, as
 * kd_identity_of does. */
uint64_t kd_identity_hash_node(uint64_t h, const kd_msg *m, const kd_node *n, const kd_identity_opts *opts);

/*
 * Which copies of packets are compared at all: the copy of each packet its
 * receiver took.  A damaged copy (bad checksum, trailer, ByteCount) was
 * never delivered; the retransmission that replaced it is the message.
 * Other retransmissions and duplicates repeat a delivered one; control
 * packets, break-ins and noise are transport.  Feed every message of a
 * session in order; d starts zeroed.
 */
typedef struct kd_delivered {
    uint64_t damaged[16]; /* recent damaged copies (frames) */
    unsigned n_damaged;
} kd_delivered;
int kd_delivered_copy(kd_delivered *d, const kd_msg *m, const kd_annot *a, uint64_t frame);

#ifdef __cplusplus
}
#endif

#endif
