/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * link.h - one end of a serial KD link, as kdcom does it (reference §3):
 * packet ids (§3.3), ACK after the trailer and checksum check (§3.4),
 * RESEND on a damaged packet and retransmission on RESEND or timeout
 * (§3.6), RESET (§3.5), duplicates acknowledged and dropped, break-in
 * bytes.  Both kdsim roles use it; faults can be injected on what it sends.
 *
 * The link reads and writes through a kdsim_io (an endpoint, a socketpair
 * in tests) and frames what it reads with kdparse's framer.
 */
#ifndef KDSIM_LINK_H
#define KDSIM_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kdparse/decode.h"
#include "kdparse/encode.h"

typedef struct kdsim_io {
    /* >0 bytes read, 0 timeout, -1 end of stream or error. */
    ssize_t (*read)(void *ctx, void *buf, size_t n, int timeout_ms);
    /* 0 or -1. */
    int (*write)(void *ctx, const void *buf, size_t n);
    void *ctx;
} kdsim_io;

typedef enum kdsim_role { KDSIM_TARGET, KDSIM_DEBUGGER } kdsim_role;

/* Called with every byte run that crossed the link: what this end wrote
 * (after faults) and what it read.  For --record. */
typedef void (*kdsim_tap_fn)(kd_dir dir, const uint8_t *bytes, size_t len, void *user);

typedef enum kdsim_ack_late {
    KDSIM_ACK_AT_ONCE,     /* kdcom: after the trailer and checksum check */
    KDSIM_ACK_AFTER_NEXT,  /* after this end's next packet (or before it waits idle) */
    KDSIM_ACK_AFTER_RESET  /* debugger: a packet that came before its RESET was
                              answered is acked after it, with the id as received */
} kdsim_ack_late;

typedef struct kdsim_link_opts {
    kdsim_role role;
    int ack_timeout_ms; /* 0: 1000 */
    int retries;        /* sends give up after this many timeouts; 0: 20 (kdinit.c) */
    /* Faults on what this end sends. */
    double noise;       /* probability that a sent byte is flipped */
    double drop;        /* probability that a sent packet is lost */
    int delay_ms, jitter_ms;
    /* Faults by schedule, for reproducible sessions: the n-th packet this
     * end writes (data or control, retransmissions included, from 1) is
     * lost / has one bit flipped (a data packet in the middle of its
     * payload, so its checksum fails; a control packet in its id).  Sorted
     * or not; the arrays must outlive the link. */
    const uint32_t *drop_nth, *corrupt_nth;
    size_t n_drop_nth, n_corrupt_nth;
    uint64_t seed;
    /* Behaviours of other KD implementations, so tests can check the
     * analyzer against them (all off by default, where kdsim is kdcom). */
    int no_wait;           /* send the next packet without waiting for the ACK */
    int keep_ids_on_reset; /* packet ids go on across RESET (§3.5 restarts them) */
    int reset_id_set;      /* the target answers RESET with reset_id, not 0 (§1.11) */
    uint32_t reset_id;
    kdsim_ack_late ack_late;
    int resend_with_id;    /* RESEND carries the damaged packet's id, not 0 */
    unsigned control_junk; /* junk bytes (0x00) after every control packet */
    kdsim_tap_fn tap;
    void *tap_user;
} kdsim_link_opts;

typedef enum kdsim_event_kind {
    KDSIM_EV_DATA,     /* a data packet was delivered (msg decoded) */
    KDSIM_EV_BREAKIN,  /* a 0x62 byte outside a packet */
    KDSIM_EV_RESET,    /* the peer reset the link (ids restarted) */
    KDSIM_EV_TIMEOUT,
    KDSIM_EV_CLOSED    /* end of stream */
} kdsim_event_kind;

typedef struct kdsim_event {
    kdsim_event_kind kind;
    kd_item item;      /* KDSIM_EV_DATA: bytes owned by the link until the next call */
    kd_msg *msg;       /* KDSIM_EV_DATA: decoded with the link's views */
} kdsim_event;

typedef struct kdsim_link kdsim_link;

kdsim_link *kdsim_link_new(const kdsim_io *io, const kdsim_link_opts *opts);
void kdsim_link_free(kdsim_link *l);
/* As kdsim_link_free(l) then kdsim_link_new(io, opts), keeping l's 0.5 MB of
 * queues (a fuzz target's inputs: no large allocation each).  0, or -1 when
 * out of memory (l unchanged). */
int kdsim_link_renew(kdsim_link *l, const kdsim_io *io, const kdsim_link_opts *opts);

/* Views used to decode what arrives (the debugger learns them from GetVersion). */
void kdsim_link_set_views(kdsim_link *l, kd_arch arch, uint8_t width);

/*
 * Sends a data message and waits for its ACK, retransmitting on RESEND or
 * timeout.  Data packets that arrive meanwhile are acknowledged and queued
 * for kdsim_link_recv.  Returns 0 when acknowledged, 1 when the peer reset
 * the link (the packet is dropped, ids restarted), -1 when the link is
 * down or the retries ran out.
 */
int kdsim_link_send(kdsim_link *l, const kd_enc_msg *m);

/* The same for a message that kd_encode alone cannot frame: enc(msg, id,
 * buf, cap) writes the serial packet with this id and returns its length or
 * -1 (the target's state changes, whose InstructionStream kdsim_msg_encode
 * places). */
typedef long (*kdsim_encode_fn)(const void *msg, uint32_t id, uint8_t *buf, size_t cap);
int kdsim_link_send_with(kdsim_link *l, kdsim_encode_fn enc, const void *msg);

/* Sends RESET (ids restart).  As the debugger: waits for the target's
 * RESET back (1000 ms per try); returns 0 or -1. */
int kdsim_link_reset(kdsim_link *l);

/* Sends a break-in byte. */
int kdsim_link_break_in(kdsim_link *l);

/* The next event within timeout_ms (-1: wait). */
void kdsim_link_recv(kdsim_link *l, int timeout_ms, kdsim_event *ev);

/* Counters for tests and the summary line.  retransmitted: copies sent
 * again after an earlier copy reached the line; duplicates: intact copies
 * of a packet already taken, acknowledged and dropped (§3.3).  The session
 * tracker's retransmission and duplicate (tracker.h) are the same things
 * seen on a recording, so the two sides' counts add up to kdcat --stats'. */
typedef struct kdsim_link_stats {
    uint64_t sent, retransmitted, resends_sent, resends_received, acks, duplicates, resets;
} kdsim_link_stats;
void kdsim_link_get_stats(const kdsim_link *l, kdsim_link_stats *out);

#endif
