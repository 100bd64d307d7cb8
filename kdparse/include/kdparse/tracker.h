/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdparse/tracker.h - the session tracker (design.md "The wire model").
 *
 * Fed every item of a session in time order across both directions, it
 * works out which ACK acknowledges which packet, retransmissions and
 * duplicates, RESEND/RESET and reset epochs, request -> response pairs
 * (manipulate APIs, DbgPrompt -> its answer) with response times, the
 * packet-id rules (serial: reference §3.3; KDNET: kdnet.md) with
 * violations flagged, and the target's architecture and 32/64 width.
 * Verdicts do not depend on where the capture was taken (the order in which
 * a packet and the previous one's ACK cross), and what needs a direction
 * absent from the input is not judged.
 *
 * Links that point forward (ack_in, response_in) are filled in on the
 * earlier item's annotation when the later item arrives, so consumers that
 * print as they go keep recent items a little while (kd_tracker_get) and
 * consumers that make two passes (Wireshark) read them on the second.
 * Memory is bounded: annotations are kept for the last KD_TRACK_WINDOW
 * items only (or the smaller window a consumer asks for).
 */
#ifndef KDPARSE_TRACKER_H
#define KDPARSE_TRACKER_H

#include <stdint.h>

#include "kdparse/framer.h"
#include "kdparse/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KD_TRACK_WINDOW 65536u

/* What the tracker needs to know of one item (kd_msg fills it: decode.h). */
typedef struct kd_track_in {
    uint64_t frame;          /* unique, increasing: the consumer's item number */
    uint64_t ts_ns;
    kd_dir dir;
    kd_item_kind kind;
    uint32_t item_flags;     /* enum kd_item_flag */
    uint16_t type;           /* packet type (data, control, truncated with header) */
    uint16_t byte_count;
    uint32_t id;
    uint32_t checksum;       /* as sent: with type/byte_count it tells a resend of the same content */
    uint32_t api;            /* ApiNumber (manipulate, DEBUG_IO, FILE_IO, ...) or NewState; 0 */
    uint32_t return_status;  /* manipulate replies */
    uint16_t machine_type;   /* from a GetVersion reply, else 0 */
    uint16_t version_flags;  /* from a GetVersion reply */
    uint8_t  width_hint;     /* 32 or 64 when the packet itself shows it (type 1/7), else 0 */
} kd_track_in;

/* Problems and events (kd_annot.problems). */
enum kd_track_problem {
    KD_TRACK_UNEXPECTED_ID = 1u << 0,  /* breaks the §3.3 id sequence */
    KD_TRACK_RESEND = 1u << 1,         /* a RESEND control packet */
    KD_TRACK_RESET = 1u << 2,          /* a RESET control packet */
    KD_TRACK_RETRANSMISSION = 1u << 3, /* the same packet sent again (any later copy) */
    KD_TRACK_DUPLICATE = 1u << 4,      /* a retransmission after an intact copy the receiver
                                          did not ask again for: acked and dropped (§3.3) */
    KD_TRACK_NO_RESPONSE = 1u << 5,    /* a request that never got its response */
    KD_TRACK_NO_ACK = 1u << 6,         /* a data packet nobody acknowledged */
    KD_TRACK_STRAY_ACK = 1u << 7,      /* an ACK that matches no packet */
    KD_TRACK_ERROR_STATUS = 1u << 8    /* a reply whose ReturnStatus is an error */
};

typedef struct kd_annot {
    uint64_t frame;
    uint64_t ack_in;            /* 0 = none yet */
    uint64_t acks;
    uint64_t response_in;
    uint64_t request_in;
    uint64_t response_time_ns;  /* valid when request_in != 0 */
    uint64_t retransmission_of; /* the previous copy */
    uint64_t duplicate_of;      /* the copy the receiver took */
    uint32_t reset_epoch;       /* RESETs seen before this item */
    uint32_t problems;          /* enum kd_track_problem */
    kd_arch arch;               /* the session's belief when this item was seen */
    uint8_t width;              /* 32 or 64 */
    /* A request whose response has not come, so far: set when the request
     * is seen, cleared when its response arrives (on the tracker's copy:
     * kd_tracker_get) and at kd_tracker_finish, which turns what is left
     * into KD_TRACK_NO_RESPONSE.  A consumer that cannot call finish
     * (Wireshark reads on while the user looks) judges "no response" from
     * it once it has seen what it was given. */
    uint8_t awaits_response;
    uint32_t request_api;       /* responses: the API of the request */
} kd_annot;

typedef struct kd_tracker_opts {
    kd_arch arch;         /* KD_ARCH_UNKNOWN = infer */
    uint8_t width;        /* 0 = infer (default 64), or force 32/64 */
    int kdnet;            /* judge ids by KDNET's rules (kdnet.md), not by §3.3's */
    uint32_t window;      /* items whose annotations are kept: 0 = KD_TRACK_WINDOW; else
                           * rounded up to a power of two, at most KD_TRACK_WINDOW */
} kd_tracker_opts;

typedef struct kd_tracker kd_tracker;

kd_tracker *kd_tracker_new(const kd_tracker_opts *opts); /* NULL opts: defaults */
void kd_tracker_free(kd_tracker *t);

/*
 * Adds the next item.  *out receives its annotation as known now (backward
 * links, problems, arch, width); earlier items' forward links are updated.
 */
void kd_tracker_add(kd_tracker *t, const kd_track_in *in, kd_annot *out);

/* The annotation of an earlier frame, or NULL once it left the window. */
const kd_annot *kd_tracker_get(const kd_tracker *t, uint64_t frame);

/* True while frame may still gain a forward link (its ACK or response). */
int kd_tracker_pending(const kd_tracker *t, uint64_t frame);

/* End of session: requests without response and packets without ACK are
 * flagged on their (still windowed) annotations. */
void kd_tracker_finish(kd_tracker *t);

/* Current beliefs, for decoding the next packets. */
kd_arch kd_tracker_arch(const kd_tracker *t);
uint8_t kd_tracker_width(const kd_tracker *t);

#ifdef __cplusplus
}
#endif

#endif
