/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdparse/step.h - the decode-and-track step every consumer takes per item.
 *
 * A session's items, in time order across both directions, each decoded
 * with what the session believes so far (the target's architecture and
 * 32/64 layout width: forced, or learned by the tracker from GetVersion and
 * the state changes) and then given to the tracker.  The step owns the
 * session's tracker and the tracker keys.
 *
 * Keys: one record (a pcapng record, a TCP segment) may carry several
 * items, so an item's tracker key is its record number and its index among
 * that record's items, kd_step_key(frame, index) = frame << 16 | index.
 * Annotation links (ack_in, response_in, ...) are keys; people read record
 * numbers (kd_step_links_to_frames).
 *
 *   kd_step *s = kd_step_new(&tracker_opts);
 *   // for every item, in order:
 *   kd_step_item(s, item, kd_step_key(frame, index), &msg, &annot);
 *   kd_step_finish(s);                       // end of session
 *   kd_step_free(s);
 *
 * step.h sits above decode.h and tracker.h (the tracker knows nothing of
 * decoding; the decoder nothing of sessions).
 */
#ifndef KDPARSE_STEP_H
#define KDPARSE_STEP_H

#include <stdint.h>

#include "kdparse/decode.h"
#include "kdparse/framer.h"
#include "kdparse/tracker.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bits of a key that hold the index in the record; a record's items beyond
 * KD_STEP_INDEX_MAX share keys (the index wraps). */
#define KD_STEP_INDEX_BITS 16u
#define KD_STEP_INDEX_MAX ((1u << KD_STEP_INDEX_BITS) - 1u)

/* The tracker key of item index (0, 1, ...) of record frame. */
static inline uint64_t kd_step_key(uint64_t frame, uint32_t index)
{
    return frame << KD_STEP_INDEX_BITS | (index & KD_STEP_INDEX_MAX);
}

/* The record of a key (0 for 0: "no link"). */
static inline uint64_t kd_step_key_frame(uint64_t key)
{
    return key >> KD_STEP_INDEX_BITS;
}

/* The index in its record of a key. */
static inline uint32_t kd_step_key_index(uint64_t key)
{
    return (uint32_t)(key & KD_STEP_INDEX_MAX);
}

/* An annotation's links (ack_in, acks, response_in, request_in,
 * retransmission_of, duplicate_of) from keys to record numbers, in place.
 * a->frame stays the key. */
static inline void kd_step_links_to_frames(kd_annot *a)
{
    a->ack_in = kd_step_key_frame(a->ack_in);
    a->acks = kd_step_key_frame(a->acks);
    a->response_in = kd_step_key_frame(a->response_in);
    a->request_in = kd_step_key_frame(a->request_in);
    a->retransmission_of = kd_step_key_frame(a->retransmission_of);
    a->duplicate_of = kd_step_key_frame(a->duplicate_of);
}

typedef struct kd_step kd_step;

/* A session's step; NULL opts: the tracker's defaults.  NULL when out of memory. */
kd_step *kd_step_new(const kd_tracker_opts *opts);
void kd_step_free(kd_step *s);

/*
 * Decodes item (with the session's arch and width now) into *m, m->track
 * keyed by key, and tracks it: *a (may be NULL) receives its annotation as
 * known now, links as keys.  key must increase within the session (an item
 * whose key does not is decoded but links nothing: kd_tracker_add).
 * Returns 1 when this item taught the session its architecture (items
 * decoded before it may want kd_step_redecode), else 0.
 */
int kd_step_item(kd_step *s, const kd_item *item, uint64_t key, kd_msg *m, kd_annot *a);

/* Decodes as kd_step_item does, without tracking (an item too late for the
 * tracker: a packet cut off in an earlier record). */
void kd_step_decode(const kd_step *s, const kd_item *item, uint64_t key, kd_msg *m);

/* Decodes m's item again (it must still be valid) with the session's
 * architecture now and the width m was decoded with; m's key is kept. */
void kd_step_redecode(const kd_step *s, kd_msg *m);

/* The annotation of an earlier item as known now (links as keys), or NULL
 * once it left the tracker's window. */
const kd_annot *kd_step_get(const kd_step *s, uint64_t key);

/* True while the item of key may still gain a forward link (its ACK or response). */
int kd_step_pending(const kd_step *s, uint64_t key);

/* End of session: kd_tracker_finish. */
void kd_step_finish(kd_step *s);

/* The session's beliefs, which the next item is decoded with. */
kd_arch kd_step_arch(const kd_step *s);
uint8_t kd_step_width(const kd_step *s);

#ifdef __cplusplus
}
#endif

#endif
