/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The session tracker (kdparse/tracker.h).
 *
 * It watches both directions of one session in time order and follows the
 * link layer of kdcom as reference §3.3-§3.7 describes it (ReactOS
 * kddll.c/kdapi.c): stop-and-wait data packets, each acknowledged by an ACK
 * control packet carrying its id, RESEND asking for the last packet again,
 * RESET restarting the ids.  Where the reference leaves room the choice is
 * written beside the code, marked "Choice:".
 *
 * State, besides the annotation ring:
 *   - per sending direction, the few data packets still waiting for their
 *     ACK (newest last), the last acknowledged one (to tell duplicates), and
 *     the id expected next (§3.3);
 *   - the requests still waiting for their response (oldest first).
 * All of it is fixed-size.  The ring itself starts at 256 slots and
 * doubles up to the window, KD_TRACK_WINDOW unless opts ask for less
 * (eight reallocations in a session's life, never one per item), so short
 * sessions stay small.
 *
 * Vocabulary: a "chain" is a packet and its retransmissions.  A chain is
 * "delivered" once one of its copies arrived intact (no checksum or
 * trailer problem); that first intact copy is the one that counts: it is
 * checked against the id rules and takes part in request -> response
 * pairing.  Later copies do neither.  Every later copy is a
 * *retransmission* (the packet sent again); one that follows an intact
 * copy the receiver did not ask again for (no RESEND since) is also a
 * *duplicate*: the receiver acknowledges and drops it (§3.3).  kdsim's
 * link counts the same two things (tools/kdsim/link.h).
 *
 * Nothing here depends on where the capture was taken: ids are judged
 * against the sender's previous packet whether or not its ACK has been
 * seen yet (a sender that does not stop-and-wait, or a capture point
 * where the ACK arrives late, gives the same verdicts), and what needs a
 * direction that is absent from the input (ACKs of its packets, its
 * responses) is not judged until that direction has been seen.
 */
#include "kdparse/tracker.h"

#include <stdlib.h>
#include <string.h>

#define WIN KD_TRACK_WINDOW
#define FIRST_CAP 256u /* initial ring size (the window if smaller) */

/* Choice: at most this many unacknowledged packets per direction are kept
 * as ACK candidates (stop-and-wait has one in flight; the rest are packets
 * the sender gave up on).  The oldest drops out when a fifth arrives. */
#define MAX_CAND 4u
/* Outstanding requests kept for pairing; the oldest drops out beyond this. */
#define MAX_REQ 8u

/* Item flags that mean the receiver did not take the packet (§3.6: it
 * answers with RESEND).  OVERSIZE too: the target rejects ByteCount > 4000. */
#define BAD_MASK (KD_ITEM_BAD_CHECKSUM | KD_ITEM_TRAILER_MISSING | KD_ITEM_TRAILER_BAD | \
                  KD_ITEM_OVERSIZE)

#define SYNC_ID (KD_INITIAL_PACKET_ID | KD_SYNC_PACKET_ID) /* 0x80800800 */

/* DEBUG_IO GetString: the target's prompt, answered by the debugger (§3.7.10). */
#define API_GET_STRING 0x3231u

/* Per-slot bookkeeping beside the public annotation. */
enum {
    SB_DATA = 1u << 0,       /* a tracked data packet (known direction) */
    SB_AWAIT_ACK = 1u << 1,  /* still an ACK candidate */
    SB_REQUEST = 1u << 2,    /* registered as a request */
    SB_AWAIT_RESP = 1u << 3, /* still waiting for its response */
    SB_SUPERSEDED = 1u << 4, /* a later retransmission took over its ACK */
    SB_T2D = 1u << 5         /* a data packet from the target (else the debugger) */
};

typedef struct pkt {
    uint64_t seq;   /* item sequence number: the ring slot */
    uint64_t frame;
    uint32_t id, checksum;
    uint16_t type, byte_count;
    uint64_t good_frame; /* the chain's first intact copy, or 0 */
    uint8_t bad;       /* framing problems: not taken by the receiver */
    uint8_t delivered; /* some copy of this chain arrived intact */
} pkt;

typedef struct req {
    uint64_t seq, frame, ts;
    uint32_t api;
    kd_dir resp_dir;    /* where the response comes from */
    uint16_t resp_type; /* and its packet type */
    uint8_t match_api;  /* the response must carry the same api */
} req;

typedef struct side {
    pkt cand[MAX_CAND]; /* unacknowledged, oldest first */
    unsigned ncand;
    pkt last_acked;
    int has_last_acked;
    uint32_t exp_id;    /* §3.3 (KDNET: kdnet.md): id of the next new packet */
    int exp_valid;
    int seen;           /* some item came from this direction */
    int resend_asked;   /* the other side sent RESEND since our last data packet */
} side;

struct kd_tracker {
    kd_tracker_opts opts;
    kd_arch arch;
    uint8_t width;
    int arch_locked;  /* forced, or learned from a GetVersion reply */
    uint32_t epoch;
    int finished;
    uint64_t count;      /* items recorded; the next one gets seq = count */
    uint64_t last_frame; /* frames must increase past this */
    side sd[2];          /* indexed by kd_dir: D2T = 0, T2D = 1 */
    req reqs[MAX_REQ];   /* oldest first */
    unsigned nreq;
    kd_annot *ann;       /* cap slots, slot = seq % cap (slot_of) */
    uint8_t *bits;       /* SB_* per slot */
    uint64_t cap;        /* grows to win while the ring has not wrapped */
    uint64_t win;        /* the window: a power of two, at most WIN */
    int cap_frozen;      /* out of memory once: this is the window now */
};

/* ------------------------------------------------------------ helpers */

/* cap is a power of two (FIRST_CAP doubled, at most win): a mask, not a
 * division, which the hot paths would pay several times an item. */
_Static_assert((WIN & (WIN - 1)) == 0 && (FIRST_CAP & (FIRST_CAP - 1)) == 0, "ring sizes must be powers of two");
static inline uint64_t slot_of(const kd_tracker *t, uint64_t seq)
{
    return seq & (t->cap - 1);
}

static int is_known_dir(kd_dir d)
{
    return d == KD_DIR_D2T || d == KD_DIR_T2D;
}

static kd_dir other_dir(kd_dir d)
{
    return d == KD_DIR_D2T ? KD_DIR_T2D : KD_DIR_D2T;
}

/* The API table (layouts.c, §1.4) says which requests get no reply. */
static int no_reply_api(uint32_t api)
{
    return !kd_api_expects_reply(api);
}

/* The annotation of item seq, or NULL once it left the window. */
static kd_annot *ann_at(kd_tracker *t, uint64_t seq)
{
    if (seq >= t->count || t->count - seq > t->cap)
        return NULL;
    return &t->ann[slot_of(t, seq)];
}

static void clear_bits(kd_tracker *t, uint64_t seq, uint8_t b)
{
    if (ann_at(t, seq))
        t->bits[slot_of(t, seq)] &= (uint8_t)~b;
}

static void set_bits(kd_tracker *t, uint64_t seq, uint8_t b)
{
    if (ann_at(t, seq))
        t->bits[slot_of(t, seq)] |= b;
}

/*
 * Does an ACK carrying ack_id acknowledge a packet sent with id?  Serial:
 * kdcom's rule (§3.3, kddll.c:166): only the id with the sync bit cleared,
 * so 0x80800800 is acked by 0x80800000 and an ACK that carries the sync
 * bit acknowledges nothing.  Choice: the same rule for the debugger's
 * packets (which never carry the sync bit: for them it is the exact id).
 * KDNET: an ACK echoes the id (kdnet.md), bit 0x800 included.
 */
static int ack_matches(const kd_tracker *t, uint32_t id, uint32_t ack_id)
{
    if (t->opts.kdnet)
        return id == ack_id;
    return ack_id == (id & ~KD_SYNC_PACKET_ID);
}

/* Would one ACK acknowledge either of two packets sent with these ids? */
static int same_ack_id(const kd_tracker *t, uint32_t a, uint32_t b)
{
    if (t->opts.kdnet)
        return a == b;
    return ((a ^ b) & ~KD_SYNC_PACKET_ID) == 0;
}

/* The same packet sent again: what the header says about its content. */
static int same_packet(const pkt *a, const pkt *b)
{
    return a->type == b->type && a->byte_count == b->byte_count && a->id == b->id &&
           a->checksum == b->checksum;
}

static void cand_remove(side *s, unsigned i)
{
    memmove(&s->cand[i], &s->cand[i + 1], (s->ncand - i - 1) * sizeof s->cand[0]);
    s->ncand--;
}

/* A new ACK candidate from this side. */
static void cand_add(kd_tracker *t, side *s, const pkt *p)
{
    /* An ACK goes to the newest packet with a matching id, so older
     * candidates with the same id can never be acknowledged any more:
     * they stop being candidates (and stay without ACK). */
    for (unsigned i = s->ncand; i-- > 0;) {
        if (same_ack_id(t, s->cand[i].id, p->id)) {
            clear_bits(t, s->cand[i].seq, SB_AWAIT_ACK);
            cand_remove(s, i);
        }
    }
    if (s->ncand == MAX_CAND) {
        clear_bits(t, s->cand[0].seq, SB_AWAIT_ACK);
        cand_remove(s, 0);
    }
    s->cand[s->ncand++] = *p;
    set_bits(t, p->seq, SB_AWAIT_ACK);
}

static void req_remove(kd_tracker *t, unsigned i)
{
    memmove(&t->reqs[i], &t->reqs[i + 1], (t->nreq - i - 1) * sizeof t->reqs[0]);
    t->nreq--;
}

/* ------------------------------------------------------------ beliefs */

static void learn_arch_width(kd_tracker *t, const kd_track_in *in)
{
    if (in->item_flags & BAD_MASK)
        return; /* Choice: a damaged packet's content is not trusted */

    /* Choice: the arch is learned once, from the first GetVersion reply
     * whose MachineType names an architecture we know; later replies (the
     * same target after a RESET) do not change it.  The debugger's request
     * carries no MachineType, so any direction but d2t is accepted (an
     * unlabelled raw stream included). */
    if (!t->arch_locked && in->machine_type != 0 && in->dir != KD_DIR_D2T &&
        in->type == KD_TYPE_STATE_MANIPULATE && in->api == KD_API_GET_VERSION) {
        kd_arch a = kd_arch_from_machine(in->machine_type); /* §1.7 */
        if (a != KD_ARCH_UNKNOWN) {
            t->arch = a;
            t->arch_locked = 1;
        }
    }

    /* Width is the manipulate layout (32 = DBGKD_MANIPULATE_STATE32, old
     * targets that send type-1 state changes; 64 = the kd64 structures).
     * Choice: only the packet type shows it (width_hint); GetVersion's
     * PTR64 flag is about pointer size (clear on 32-bit kd64 targets) and
     * is not used.  The newest hint wins. */
    if ((t->opts.width != 32 && t->opts.width != 64) &&
        (in->width_hint == 32 || in->width_hint == 64))
        t->width = in->width_hint;
}

/* ------------------------------------------------------------ data packets */

/* The id a sender uses for its next new packet after one sent with id:
 * serial §3.3, bit 0 alternates and the sync bit drops (kddll.c:170, 372);
 * KDNET counts by two (kdnet.md). */
static uint32_t next_id(const kd_tracker *t, uint32_t id)
{
    if (t->opts.kdnet)
        return id + KD_KDNET_ID_STEP;
    return (id ^ 1u) & ~KD_SYNC_PACKET_ID;
}

/*
 * The id rules, on the first intact copy of a chain.  Choice: a new packet
 * is judged against the sender's previous new packet, not against the
 * ACKs: the alternation (or KDNET's count) is the sender's rule, and the
 * ACK may be on the wire before or after the next packet depending on the
 * sender (one that does not stop-and-wait) and on where the capture was
 * taken.  A sender whose packet the receiver never took sends it again
 * (same id, a retransmission, not judged), so the rule holds without ACKs.
 */
static void check_id(kd_tracker *t, kd_dir d, kd_annot *a, uint32_t id)
{
    side *s = &t->sd[d];

    if (!t->opts.kdnet && d == KD_DIR_T2D && id == SYNC_ID) {
        /* Choice: the sync bit announces that the target restarted its
         * numbering (after boot, or after giving up a send, §3.7.12, which
         * puts no RESET on the wire), so 0x80800800 from the target is
         * always accepted.  What the debugger does then is not in the
         * reference: its next id is taken as it comes. */
        s->exp_id = next_id(t, id);
        s->exp_valid = 1;
        t->sd[KD_DIR_D2T].exp_valid = 0;
        return;
    }
    if (s->exp_valid && id != s->exp_id)
        a->problems |= KD_TRACK_UNEXPECTED_ID;
    /* Capture may start mid-session: the first packet seen sets the
     * expectation; after a violation we follow the sender (resync). */
    s->exp_id = next_id(t, id);
    s->exp_valid = 1;
}

/* The first intact copy of a chain came from d: pairing and checks. */
static void on_delivered(kd_tracker *t, uint64_t seq, kd_annot *a, const kd_track_in *in)
{
    kd_dir d = in->dir;

    check_id(t, d, a, in->id);

    /* Is it the response to an outstanding request?  Choice: requests are
     * answered in order (the target serves one at a time), so the oldest
     * request this packet can answer gets it; older requests of the same
     * kind still unanswered then never will be, and stop waiting. */
    for (unsigned i = 0; i < t->nreq; i++) {
        req *r = &t->reqs[i];
        if (r->resp_dir != d || r->resp_type != in->type || (r->match_api && r->api != in->api))
            continue;
        a->request_in = r->frame;
        /* Choice: a timestamp that goes backwards gives 0, not a wrap. */
        a->response_time_ns = in->ts_ns >= r->ts ? in->ts_ns - r->ts : 0;
        a->request_api = r->api;
        kd_annot *ra = ann_at(t, r->seq);
        if (ra) {
            ra->response_in = in->frame;
            ra->awaits_response = 0;
        }
        clear_bits(t, r->seq, SB_AWAIT_RESP);
        kd_dir rd = r->resp_dir;
        uint16_t rt = r->resp_type;
        req_remove(t, i);
        for (unsigned j = i; j-- > 0;) {
            if (t->reqs[j].resp_dir == rd && t->reqs[j].resp_type == rt) {
                clear_bits(t, t->reqs[j].seq, SB_AWAIT_RESP);
                req_remove(t, j);
            }
        }
        break;
    }

    /* Choice: every target manipulate packet is a reply, so its status is
     * checked even when its request was not seen (capture started late).
     * NT error = severity bits 11 (§1.8: 0xC... codes); warnings 0x8...
     * (STATUS_BUFFER_OVERFLOW) are not errors. */
    if (d == KD_DIR_T2D && in->type == KD_TYPE_STATE_MANIPULATE && (in->return_status >> 30) == 3u)
        a->problems |= KD_TRACK_ERROR_STATUS;

    /* Is it a request? */
    req nr = {.seq = seq, .frame = in->frame, .ts = in->ts_ns, .api = in->api};
    if (d == KD_DIR_D2T && in->type == KD_TYPE_STATE_MANIPULATE && !no_reply_api(in->api)) {
        nr.resp_dir = KD_DIR_T2D;
        nr.resp_type = KD_TYPE_STATE_MANIPULATE;
        nr.match_api = 1;
    } else if (d == KD_DIR_T2D && in->type == KD_TYPE_DEBUG_IO && in->api == API_GET_STRING) {
        /* §3.7.10: the answer is the debugger's next DEBUG_IO, whatever
         * its ApiNumber. */
        nr.resp_dir = KD_DIR_D2T;
        nr.resp_type = KD_TYPE_DEBUG_IO;
        nr.match_api = 0;
    } else if (d == KD_DIR_T2D && in->type == KD_TYPE_FILE_IO) {
        /* The target asks (CreateFile, ReadFile, ... of a .kdfiles
         * replacement), the debugger answers with the same ApiNumber. */
        nr.resp_dir = KD_DIR_D2T;
        nr.resp_type = KD_TYPE_FILE_IO;
        nr.match_api = 1;
    } else {
        return;
    }
    if (t->nreq == MAX_REQ) {
        clear_bits(t, t->reqs[0].seq, SB_AWAIT_RESP);
        req_remove(t, 0);
    }
    t->reqs[t->nreq++] = nr;
    set_bits(t, seq, SB_REQUEST | SB_AWAIT_RESP);
    a->awaits_response = 1;
}

/* Index of the candidate p is a copy of, or -1. */
static int find_original(const side *s, const pkt *p)
{
    for (unsigned i = s->ncand; i-- > 0;)
        if (same_packet(&s->cand[i], p))
            return (int)i;
    /* Choice: after a RESEND, the next packet with the id of a damaged one
     * is its copy even when the damage reached the header's ByteCount or
     * Checksum (so the headers differ).  Only for the newest candidate. */
    if (s->resend_asked && s->ncand > 0) {
        const pkt *c = &s->cand[s->ncand - 1];
        if (c->bad && c->id == p->id)
            return (int)(s->ncand - 1);
    }
    return -1;
}

static void on_data(kd_tracker *t, uint64_t seq, kd_annot *a, const kd_track_in *in)
{
    kd_dir d = in->dir;
    side *s = &t->sd[d];
    pkt p = {
        .seq = seq,
        .frame = in->frame,
        .id = in->id,
        .checksum = in->checksum,
        .type = in->type,
        .byte_count = in->byte_count,
        .bad = (in->item_flags & BAD_MASK) != 0,
    };

    set_bits(t, seq, SB_DATA);

    if (d == KD_DIR_T2D)
        set_bits(t, seq, SB_T2D);

    int i = find_original(s, &p);
    const pkt *prev = NULL;
    if (i >= 0) {
        /* Sent again before any ACK.  Choice: it points at the previous
         * copy (the chain can be followed back), and the previous copy
         * leaves the ACK candidates: the ACK belongs to the newest copy. */
        pkt *c = &s->cand[i];
        p.delivered = c->delivered;
        p.good_frame = c->good_frame;
        a->retransmission_of = c->frame;
        clear_bits(t, c->seq, SB_AWAIT_ACK);
        set_bits(t, c->seq, SB_SUPERSEDED);
        cand_remove(s, (unsigned)i);
        prev = &p;
    } else if (s->has_last_acked && same_packet(&s->last_acked, &p)) {
        /* Sent again after its ACK.  Choice: compared with the last
         * acknowledged packet only; with alternating ids an older acked
         * packet of the same id and content can be a legitimate new one
         * (the same DbgPrint twice). */
        p.delivered = 1;
        p.good_frame = s->last_acked.good_frame;
        a->retransmission_of = s->last_acked.frame;
        prev = &p;
    }
    if (prev) {
        a->problems |= KD_TRACK_RETRANSMISSION;
        /* The receiver had an intact copy and did not ask again: it acks
         * this one and drops it (§3.3). */
        if (p.delivered && p.good_frame && !s->resend_asked) {
            a->problems |= KD_TRACK_DUPLICATE;
            a->duplicate_of = p.good_frame;
        }
    }
    s->resend_asked = 0;

    if (!p.bad) {
        if (!p.delivered) {
            p.delivered = 1;
            p.good_frame = in->frame;
            on_delivered(t, seq, a, in);
        } else if (!p.good_frame) {
            p.good_frame = in->frame;
        }
    }
    cand_add(t, s, &p);
}

/* ------------------------------------------------------------ control packets */

static void on_ack(kd_tracker *t, kd_annot *a, const kd_track_in *in)
{
    side *s = &t->sd[other_dir(in->dir)];
    for (unsigned i = s->ncand; i-- > 0;) {
        pkt *c = &s->cand[i];
        if (!ack_matches(t, c->id, in->id))
            continue;
        a->acks = c->frame;
        kd_annot *ca = ann_at(t, c->seq);
        if (ca)
            ca->ack_in = in->frame;
        clear_bits(t, c->seq, SB_AWAIT_ACK);
        s->last_acked = *c;
        s->has_last_acked = 1;
        cand_remove(s, i);
        return;
    }
    /* Choice: before the acknowledged direction has shown anything, the
     * ACK may be for a packet sent before the capture began, or that
     * direction is not in the input at all: not judged. */
    if (s->seen)
        a->problems |= KD_TRACK_STRAY_ACK;
}

/* §3.4: a sender waiting for its ACK that gets a data packet instead
 * answers RESEND, toggles its id and takes its own packet as delivered:
 * what the id rule expects anyway (check_id), so a RESEND only tells that
 * the peer's last packet was not taken. */
static void on_resend(kd_tracker *t, kd_dir from)
{
    t->sd[other_dir(from)].resend_asked = 1;
}

/*
 * RESET (§3.5).  Choice: it ends everything in flight on both sides: the
 * unacknowledged packets stop being ACK candidates (the target resends its
 * pending packet under a new id, as a new packet) and outstanding requests
 * stop waiting; finish() still flags them, since nobody answered them.
 * Both sides' ids restart at 0x80800000.  KDNET (kdnet.md): the host's
 * RESET carries 0x80000000 or its next id, the target answers RESET and sends its state
 * change again; where each side's count goes on from is not documented,
 * so the next packet of each side sets it again.
 */
static void on_reset(kd_tracker *t, kd_annot *a, const kd_track_in *in)
{
    /* WinDbg's RESET in the real capture (frame 202) carries the host's next
     * id (0x80000060), not 0x80000000: both are KDNET's rule. */
    const side *host = &t->sd[KD_DIR_D2T];
    if (t->opts.kdnet && in->dir == KD_DIR_D2T && in->id != KD_KDNET_HOST_ID &&
        !(host->exp_valid && in->id == host->exp_id))
        a->problems |= KD_TRACK_UNEXPECTED_ID;
    for (int d = 0; d < 2; d++) {
        side *s = &t->sd[d];
        for (unsigned i = 0; i < s->ncand; i++)
            clear_bits(t, s->cand[i].seq, SB_AWAIT_ACK);
        s->ncand = 0;
        s->has_last_acked = 0;
        s->resend_asked = 0;
        s->exp_id = KD_INITIAL_PACKET_ID;
        s->exp_valid = !t->opts.kdnet;
    }
    for (unsigned i = 0; i < t->nreq; i++)
        clear_bits(t, t->reqs[i].seq, SB_AWAIT_RESP);
    t->nreq = 0;
    /* Choice: every RESET counts, the debugger's and the target's reply
     * alike, so a handshake advances the epoch by two.  reset_epoch is
     * "RESETs seen before this item": a RESET carries the count before it. */
    t->epoch++;
}

/* ------------------------------------------------------------ API */

/*
 * Called when every slot is in use.  Below win the ring has not wrapped
 * (slot = seq for all seq < cap), so doubling keeps every item where
 * seq % cap says.  Choice: when memory runs out the ring stops growing for
 * good and the window is what we have (the mapping must not change once
 * items start being evicted).
 */
static void grow(kd_tracker *t)
{
    if (t->cap >= t->win || t->cap_frozen)
        return;
    uint64_t ncap = t->cap * 2 < t->win ? t->cap * 2 : t->win;
    kd_annot *na = realloc(t->ann, (size_t)ncap * sizeof *na);
    if (!na) {
        t->cap_frozen = 1;
        return;
    }
    t->ann = na;
    uint8_t *nb = realloc(t->bits, (size_t)ncap);
    if (!nb) {
        t->cap_frozen = 1; /* ann is merely larger than needed */
        return;
    }
    t->bits = nb;
    t->cap = ncap;
}

kd_tracker *kd_tracker_new(const kd_tracker_opts *opts)
{
    kd_tracker *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    /* The window: the smallest power of two >= opts->window, or WIN. */
    t->win = WIN;
    if (opts && opts->window > 0 && opts->window < WIN)
        for (t->win = 1; t->win < opts->window;)
            t->win *= 2;
    t->cap = FIRST_CAP < t->win ? FIRST_CAP : t->win;
    t->ann = calloc((size_t)t->cap, sizeof *t->ann);
    t->bits = calloc((size_t)t->cap, sizeof *t->bits);
    if (!t->ann || !t->bits) {
        kd_tracker_free(t);
        return NULL;
    }
    if (opts)
        t->opts = *opts;
    t->arch = t->opts.arch;
    t->arch_locked = t->opts.arch != KD_ARCH_UNKNOWN;
    /* Choice: a width other than 32/64 in opts means "infer". */
    t->width = (t->opts.width == 32 || t->opts.width == 64) ? t->opts.width : 64;
    return t;
}

void kd_tracker_free(kd_tracker *t)
{
    if (!t)
        return;
    free(t->ann);
    free(t->bits);
    free(t);
}

void kd_tracker_add(kd_tracker *t, const kd_track_in *in, kd_annot *out)
{
    if (!t || !in) {
        if (out)
            memset(out, 0, sizeof *out);
        return;
    }

    /* Choice: frames must increase (0 is not a frame: 0 means "no link").
     * A frame that does not is neither recorded nor linked: it gets the
     * current beliefs only.  (Handing back what is stored under that
     * number would give a second item that shares a frame number with the
     * first one the first one's links.) */
    if (in->frame <= t->last_frame) {
        if (out) {
            memset(out, 0, sizeof *out);
            out->frame = in->frame;
            out->reset_epoch = t->epoch;
            out->arch = t->arch;
            out->width = t->width;
        }
        return;
    }
    t->last_frame = in->frame;

    if (t->count == t->cap)
        grow(t);
    uint64_t seq = t->count++;
    kd_annot *a = &t->ann[slot_of(t, seq)];
    memset(a, 0, sizeof *a);
    t->bits[slot_of(t, seq)] = 0;
    a->frame = in->frame;
    a->reset_epoch = t->epoch;

    int known = is_known_dir(in->dir);
    if (known)
        t->sd[in->dir].seen = 1;
    if (in->kind == KD_ITEM_DATA) {
        /* The reply that shows the arch is itself decoded with it. */
        learn_arch_width(t, in);
        /* Choice: data from an unlabelled stream cannot be paired with
         * anything: it only teaches arch/width. */
        if (known)
            on_data(t, seq, a, in);
    } else if (in->kind == KD_ITEM_CONTROL) {
        switch (in->type) {
        case KD_TYPE_ACKNOWLEDGE:
            if (known)
                on_ack(t, a, in);
            break;
        case KD_TYPE_RESEND:
            /* RESEND/RESET carry id 0 (§1.11): never an id problem. */
            a->problems |= KD_TRACK_RESEND;
            if (known)
                on_resend(t, in->dir);
            break;
        case KD_TYPE_RESET:
            /* Choice: a RESET counts whatever its direction (an
             * unlabelled stream still shows where ids restart). */
            a->problems |= KD_TRACK_RESET;
            on_reset(t, a, in);
            break;
        default:
            break; /* Choice: other control types are only annotated */
        }
    }
    /* Break-in, noise and truncated items take part in nothing. */

    a->arch = t->arch;
    a->width = t->width;
    if (out)
        *out = *a;
}

const kd_annot *kd_tracker_get(const kd_tracker *t, uint64_t frame)
{
    if (!t || t->count == 0 || frame == 0)
        return NULL;
    uint64_t lo = t->count > t->cap ? t->count - t->cap : 0, hi = t->count; /* [lo, hi) */
    /* Fast path: consecutive frame numbers. */
    uint64_t last = t->ann[slot_of(t, t->count - 1)].frame;
    if (frame > last)
        return NULL;
    if (last - frame < hi - lo) {
        const kd_annot *a = &t->ann[slot_of(t, hi - 1 - (last - frame))];
        if (a->frame == frame)
            return a;
    }
    /* Sparse keys (kd_step_key: frame << 16 | index): callers mostly ask
     * about the newest few items, so look there before searching. */
    for (uint64_t seq = hi; seq > lo && hi - seq < 8;) {
        const kd_annot *a = &t->ann[slot_of(t, --seq)];
        if (a->frame == frame)
            return a;
        if (a->frame < frame)
            return NULL;
    }
    /* Frames increase with seq: binary search. */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        uint64_t f = t->ann[slot_of(t, mid)].frame;
        if (f == frame)
            return &t->ann[slot_of(t, mid)];
        if (f < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int kd_tracker_pending(const kd_tracker *t, uint64_t frame)
{
    if (!t || t->finished)
        return 0;
    const kd_annot *a = kd_tracker_get(t, frame);
    if (!a)
        return 0;
    return (t->bits[(size_t)(a - t->ann)] & (SB_AWAIT_ACK | SB_AWAIT_RESP)) != 0;
}

void kd_tracker_finish(kd_tracker *t)
{
    if (!t)
        return;
    uint64_t lo = t->count > t->cap ? t->count - t->cap : 0;
    for (uint64_t seq = lo; seq < t->count; seq++) {
        kd_annot *a = &t->ann[slot_of(t, seq)];
        uint8_t b = t->bits[slot_of(t, seq)];
        /* A copy superseded by its retransmission is not flagged: the
         * chain's fate is told on its newest copy.  Choice: KDNET acks
         * every data packet too, so this holds in both modes. */
        /* What the other direction should have sent is judged only when
         * that direction is in the input. */
        int peer_seen = t->sd[(b & SB_T2D) ? KD_DIR_D2T : KD_DIR_T2D].seen;
        if ((b & SB_DATA) && !(b & SB_SUPERSEDED) && a->ack_in == 0 && peer_seen)
            a->problems |= KD_TRACK_NO_ACK;
        if ((b & SB_REQUEST) && a->response_in == 0 && peer_seen)
            a->problems |= KD_TRACK_NO_RESPONSE;
        a->awaits_response = 0;
        t->bits[slot_of(t, seq)] = (uint8_t)(b & ~(SB_AWAIT_ACK | SB_AWAIT_RESP));
    }
    /* Choice: items added after finish are still tracked, but nothing is
     * pending any more and finish's flags are not withdrawn. */
    t->finished = 1;
}

kd_arch kd_tracker_arch(const kd_tracker *t)
{
    return t ? t->arch : KD_ARCH_UNKNOWN;
}

uint8_t kd_tracker_width(const kd_tracker *t)
{
    return t ? t->width : 64;
}
