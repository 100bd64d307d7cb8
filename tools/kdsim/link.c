/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One end of a serial KD link (link.h), after ReactOS kddll.c (§3.3-§3.6). */
#include "link.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kdparse/xorshift.h"

#define SYNC_ID (KD_INITIAL_PACKET_ID | KD_SYNC_PACKET_ID)
#define INQ 64 /* items framed but not yet handled */

typedef struct qitem {
    kd_item it;
    uint8_t buf[KD_RUN_MAX_BYTES > KD_ITEM_MAX_BYTES ? KD_RUN_MAX_BYTES : KD_ITEM_MAX_BYTES];
} qitem;

struct kdsim_link {
    kdsim_io io;
    kdsim_link_opts o;
    kd_dir out_dir, in_dir;
    uint32_t send_id;   /* CurrentPacketId */
    uint32_t expect_id; /* RemotePacketId */
    int synced;         /* debugger: the target's first packet sets the expectation */
    kd_framer *framer;
    qitem *inq;         /* ring of framed incoming items */
    size_t head, count;
    qitem *deliver;     /* data packets received while sending, for recv */
    size_t dhead, dcount;
    qitem current;      /* the item of the last event */
    kd_msg msg;
    kd_arch arch;
    uint8_t width;
    uint64_t rng;
    int closed;
    kdsim_link_stats st;
    uint32_t packets_written; /* for the scheduled faults */
    int dropped;              /* the last packet written was lost on the line */
    int late_ack;             /* an ACK held back (opts.ack_late) */
    uint32_t late_ack_id;
    uint8_t out[KD_ITEM_MAX_BYTES];
    size_t out_len;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t rnd(kdsim_link *l)
{
    return kd_xorshift64s(&l->rng);
}

static double chance(kdsim_link *l)
{
    return (double)(rnd(l) >> 11) / 9007199254740992.0;
}

static void on_item(const kd_item *it, void *user)
{
    kdsim_link *l = user;
    assert(l->count < INQ); /* pump reads few enough bytes (fuzz_link checks) */
    if (l->count == INQ)
        return;
    qitem *q = &l->inq[(l->head + l->count++) % INQ];
    memcpy(q->buf, it->bytes, it->len);
    q->it = kd_item_from_bytes(q->buf, it->len, it->kind, it->flags, it->dir);
    q->it.offset = it->offset;
    q->it.ts_ns = it->ts_ns;
}

/* The state of a new link; l's buffers (ring, framer) are kept as they are. */
static void link_start(kdsim_link *l, const kdsim_io *io, const kdsim_link_opts *opts)
{
    qitem *inq = l->inq, *deliver = l->deliver;
    kd_framer *framer = l->framer;
    memset(l, 0, sizeof *l);
    l->inq = inq;
    l->deliver = deliver;
    l->framer = framer;
    l->io = *io;
    l->o = *opts;
    if (!l->o.ack_timeout_ms)
        l->o.ack_timeout_ms = 1000;
    if (!l->o.retries)
        l->o.retries = 20;
    l->out_dir = opts->role == KDSIM_TARGET ? KD_DIR_T2D : KD_DIR_D2T;
    l->in_dir = opts->role == KDSIM_TARGET ? KD_DIR_D2T : KD_DIR_T2D;
    /* §3.3: the target starts with the sync bit; the debugger with 0x80800000. */
    l->send_id = opts->role == KDSIM_TARGET ? SYNC_ID : KD_INITIAL_PACKET_ID;
    l->expect_id = KD_INITIAL_PACKET_ID;
    l->rng = opts->seed * 0x9E3779B97F4A7C15ull + 1;
    l->width = 64;
}

kdsim_link *kdsim_link_new(const kdsim_io *io, const kdsim_link_opts *opts)
{
    kdsim_link *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    link_start(l, io, opts);
    l->inq = calloc(INQ, sizeof *l->inq);
    l->deliver = calloc(INQ, sizeof *l->deliver);
    l->framer = kd_framer_new(KD_TRANSPORT_SERIAL, l->in_dir, on_item, l);
    if (!l->inq || !l->deliver || !l->framer) {
        kdsim_link_free(l);
        return NULL;
    }
    return l;
}

int kdsim_link_renew(kdsim_link *l, const kdsim_io *io, const kdsim_link_opts *opts)
{
    kd_dir in_dir = opts->role == KDSIM_TARGET ? KD_DIR_D2T : KD_DIR_T2D;
    kd_framer *framer = kd_framer_new(KD_TRANSPORT_SERIAL, in_dir, on_item, l);
    if (!framer)
        return -1;
    kd_framer_free(l->framer);
    l->framer = framer;
    link_start(l, io, opts);
    return 0;
}

void kdsim_link_free(kdsim_link *l)
{
    if (!l)
        return;
    kd_framer_free(l->framer);
    free(l->inq);
    free(l->deliver);
    free(l);
}

void kdsim_link_set_views(kdsim_link *l, kd_arch arch, uint8_t width)
{
    l->arch = arch;
    l->width = width ? width : 64;
}

void kdsim_link_get_stats(const kdsim_link *l, kdsim_link_stats *out)
{
    *out = l->st;
}

/* ------------------------------------------------------------ bytes out */

static int scheduled(const uint32_t *v, size_t n, uint32_t k)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == k)
            return 1;
    return 0;
}

typedef enum { W_PACKET, W_RESET, W_BREAKIN } write_kind;

/* Writes bytes as they cross the link: faults applied, then recorded. */
static int wire_write(kdsim_link *l, const uint8_t *p, size_t n, write_kind kind)
{
    if (l->o.delay_ms || l->o.jitter_ms) {
        long ms = l->o.delay_ms + (l->o.jitter_ms ? (long)(rnd(l) % (uint64_t)(l->o.jitter_ms + 1)) : 0);
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    uint32_t k = kind == W_BREAKIN ? 0 : ++l->packets_written;
    l->dropped = 1;
    if (k && scheduled(l->o.drop_nth, l->o.n_drop_nth, k))
        return 0; /* lost on the line */
    /* Random drops spare RESET: the target's answer to one is never repeated. */
    if (kind == W_PACKET && l->o.drop > 0 && chance(l) < l->o.drop)
        return 0;
    l->dropped = 0;
    int corrupt = k && scheduled(l->o.corrupt_nth, l->o.n_corrupt_nth, k) && n >= KD_PACKET_HEADER_SIZE;
    uint8_t buf[KD_ITEM_MAX_BYTES];
    if ((l->o.noise > 0 || corrupt) && n <= sizeof buf) {
        memcpy(buf, p, n);
        if (l->o.noise > 0)
            for (size_t i = 0; i < n; i++)
                if (chance(l) < l->o.noise)
                    buf[i] ^= (uint8_t)(1u << (rnd(l) % 8));
        if (corrupt) {
            size_t at = n > KD_PACKET_HEADER_SIZE + 1 ? KD_PACKET_HEADER_SIZE + (n - KD_PACKET_HEADER_SIZE - 1) / 2
                                                      : KD_OFF_ID;
            buf[at] ^= 0x01;
        }
        p = buf;
    }
    if (l->o.tap)
        l->o.tap(l->out_dir, p, n, l->o.tap_user);
    return l->io.write(l->io.ctx, p, n);
}

#define JUNK_MAX 64u

static int send_control(kdsim_link *l, uint16_t type, uint32_t id)
{
    uint8_t pkt[KD_PACKET_HEADER_SIZE + JUNK_MAX] = {0};
    kd_frame_control(type, id, pkt, KD_PACKET_HEADER_SIZE);
    /* opts.control_junk: bytes after the header that are no packet (0x00
     * is neither a leader nor a break-in byte): noise to the receiver. */
    size_t n = KD_PACKET_HEADER_SIZE + (l->o.control_junk < JUNK_MAX ? l->o.control_junk : JUNK_MAX);
    return wire_write(l, pkt, n, type == KD_TYPE_RESET ? W_RESET : W_PACKET);
}

/* Sends the ACK held back by opts.ack_late, if any. */
static void flush_late_ack(kdsim_link *l)
{
    if (!l->late_ack)
        return;
    l->late_ack = 0;
    send_control(l, KD_TYPE_ACKNOWLEDGE, l->late_ack_id);
}

static void ack(kdsim_link *l, uint32_t id)
{
    if (l->o.ack_late == KDSIM_ACK_AFTER_NEXT) {
        flush_late_ack(l); /* one held at a time */
        l->late_ack = 1;
        l->late_ack_id = id;
        return;
    }
    send_control(l, KD_TYPE_ACKNOWLEDGE, id);
}

int kdsim_link_break_in(kdsim_link *l)
{
    uint8_t b = KD_BREAKIN_BYTE;
    return wire_write(l, &b, 1, W_BREAKIN);
}

/* ------------------------------------------------------------ bytes in */

/* Reads what arrives within timeout_ms and frames it: 1 read, 0 timeout, -1 closed. */
static int pump(kdsim_link *l, int timeout_ms)
{
    if (l->closed)
        return -1;
    /* The queue is empty when we read (callers handle it first), and a
     * read of n bytes completes at most n items (a noisy line alternating
     * break-in and noise bytes makes one a byte) plus the run flushed after
     * it: so at most INQ - 2 bytes, or items would be lost. */
    uint8_t buf[INQ - 2];
    ssize_t n = l->io.read(l->io.ctx, buf, sizeof buf, timeout_ms);
    if (n < 0) {
        l->closed = 1;
        kd_framer_finish(l->framer);
        return -1;
    }
    if (n == 0)
        return 0;
    if (l->o.tap)
        l->o.tap(l->in_dir, buf, (size_t)n, l->o.tap_user);
    kd_framer_feed(l->framer, buf, (size_t)n, 0);
    kd_framer_flush_runs(l->framer); /* a break-in byte is seen at once */
    return 1;
}

static void reset_ids(kdsim_link *l)
{
    /* §3.5: both ids restart at 0x80800000, the sync bit clear. */
    if (!l->o.keep_ids_on_reset) {
        l->send_id = KD_INITIAL_PACKET_ID;
        l->expect_id = KD_INITIAL_PACKET_ID;
    }
    l->synced = 0;
    l->st.resets++;
}

typedef enum { H_NONE, H_DATA, H_ACK, H_RESEND, H_RESET, H_BREAKIN } handled;

/* Handles one framed incoming item: acknowledges, answers, drops duplicates. */
static handled handle(kdsim_link *l, qitem *q)
{
    kd_item *it = &q->it;
    switch (it->kind) {
    case KD_ITEM_BREAKIN:
        return H_BREAKIN;
    case KD_ITEM_CONTROL:
        if (it->type == KD_TYPE_ACKNOWLEDGE)
            return H_ACK;
        if (it->type == KD_TYPE_RESEND) {
            l->st.resends_received++;
            return H_RESEND;
        }
        if (it->type == KD_TYPE_RESET) {
            if (l->o.role == KDSIM_TARGET) /* §3.5: reply RESET (id 0, §1.11) */
                send_control(l, KD_TYPE_RESET, l->o.reset_id_set ? l->o.reset_id : 0);
            reset_ids(l);
            return H_RESET;
        }
        return H_NONE;
    case KD_ITEM_DATA:
        break;
    default:
        return H_NONE;
    }
    if (it->flags) {
        /* §3.6: a bad trailer, checksum or ByteCount gets RESEND, id 0. */
        send_control(l, KD_TYPE_RESEND, l->o.resend_with_id ? it->id : 0);
        l->st.resends_sent++;
        return H_NONE;
    }
    /* §3.4: ACK what passed the checks.  The target acknowledges with the
     * id as received; a debugger strips the sync bit, which the ReactOS
     * target requires (kddll.c:166). */
    ack(l, l->o.role == KDSIM_DEBUGGER ? it->id & ~KD_SYNC_PACKET_ID : it->id);
    uint32_t id = it->id & ~KD_SYNC_PACKET_ID;
    if (l->o.role == KDSIM_DEBUGGER && !l->synced) {
        /* Choice: a debugger takes the target's first packet as it comes. */
        l->synced = 1;
        l->expect_id = id;
    }
    if (id != l->expect_id) {
        l->st.duplicates++; /* §3.3: acknowledged, then ignored */
        return H_NONE;
    }
    l->expect_id ^= 1;
    return H_DATA;
}

/* Takes the oldest framed incoming item off the queue (there must be one). */
static qitem *pop_item(kdsim_link *l)
{
    qitem *q = &l->inq[l->head];
    l->head = (l->head + 1) % INQ;
    l->count--;
    return q;
}

/* Moves a delivered data packet from the inbound queue to the delivery queue. */
static void keep_for_recv(kdsim_link *l, const qitem *q)
{
    if (l->dcount == INQ)
        return;
    qitem *d = &l->deliver[(l->dhead + l->dcount++) % INQ];
    memcpy(d->buf, q->buf, q->it.len);
    d->it = kd_item_from_bytes(d->buf, q->it.len, q->it.kind, q->it.flags, q->it.dir);
}

/* ------------------------------------------------------------ sending */

static long encode_plain(const void *m, uint32_t id, uint8_t *buf, size_t cap)
{
    kd_enc_msg msg = *(const kd_enc_msg *)m;
    msg.id = id;
    return kd_encode(&msg, KD_TRANSPORT_SERIAL, buf, cap);
}

int kdsim_link_send(kdsim_link *l, const kd_enc_msg *m)
{
    return kdsim_link_send_with(l, encode_plain, m);
}

int kdsim_link_send_with(kdsim_link *l, kdsim_encode_fn enc, const void *m)
{
    long n = enc(m, l->send_id, l->out, sizeof l->out);
    if (n < 0)
        return -1;
    l->out_len = (size_t)n;
    l->st.sent++;
    int tries = l->o.retries;
    if (wire_write(l, l->out, l->out_len, W_PACKET) != 0)
        return -1;
    /* A retransmission is a copy sent again after one reached the line
     * (what a recording shows, as the tracker counts it). */
    int on_line = !l->dropped;
    flush_late_ack(l);
    if (l->o.no_wait) {
        /* Not stop-and-wait: the ids alternate all the same; the ACK is
         * taken whenever it comes (handle ignores it). */
        l->send_id = (l->send_id ^ 1) & ~KD_SYNC_PACKET_ID;
        return 0;
    }
    uint64_t deadline = now_ms() + (uint64_t)l->o.ack_timeout_ms;
    for (;;) {
        while (l->count) {
            qitem *q = pop_item(l);
            handled h = handle(l, q);
            if (h == H_ACK && q->it.id == (l->send_id & ~KD_SYNC_PACKET_ID)) {
                l->st.acks++;
                l->send_id = (l->send_id ^ 1) & ~KD_SYNC_PACKET_ID; /* kddll.c:170, 372 */
                return 0;
            }
            if (h == H_RESEND) {
                l->st.retransmitted += on_line;
                if (wire_write(l, l->out, l->out_len, W_PACKET) != 0)
                    return -1;
                on_line |= !l->dropped;
                deadline = now_ms() + (uint64_t)l->o.ack_timeout_ms;
            } else if (h == H_RESET) {
                return 1;
            } else if (h == H_DATA) {
                keep_for_recv(l, q);
            }
        }
        uint64_t t = now_ms();
        if (t >= deadline) {
            if (--tries <= 0)
                return -1;
            l->st.retransmitted += on_line;
            if (wire_write(l, l->out, l->out_len, W_PACKET) != 0)
                return -1;
            on_line |= !l->dropped;
            deadline = now_ms() + (uint64_t)l->o.ack_timeout_ms;
            continue;
        }
        if (l->o.ack_late == KDSIM_ACK_AFTER_NEXT)
            flush_late_ack(l); /* this end sent its packet and waits */
        if (pump(l, (int)(deadline - t)) < 0)
            return -1;
    }
}

int kdsim_link_reset(kdsim_link *l)
{
    for (int tries = 0; tries < l->o.retries; tries++) {
        if (send_control(l, KD_TYPE_RESET, 0) != 0)
            return -1;
        reset_ids(l);
        uint64_t deadline = now_ms() + (uint64_t)l->o.ack_timeout_ms;
        for (;;) {
            while (l->count) {
                qitem *q = pop_item(l);
                if (q->it.kind == KD_ITEM_CONTROL && q->it.type == KD_TYPE_RESET) {
                    /* opts.ack_late AFTER_RESET: the stale packet acked now. */
                    if (l->late_ack && l->o.ack_late == KDSIM_ACK_AFTER_RESET) {
                        l->late_ack = 0;
                        send_control(l, KD_TYPE_ACKNOWLEDGE, l->late_ack_id);
                    }
                    return 0; /* the target answered */
                }
                /* Choice: anything else before the answer is stale. */
                if (q->it.kind == KD_ITEM_DATA && !q->it.flags && l->o.ack_late == KDSIM_ACK_AFTER_RESET) {
                    l->late_ack = 1;
                    l->late_ack_id = q->it.id;
                }
            }
            uint64_t t = now_ms();
            if (t >= deadline)
                break;
            if (pump(l, (int)(deadline - t)) < 0)
                return -1;
        }
    }
    return -1;
}

/* ------------------------------------------------------------ receiving */

static void deliver_event(kdsim_link *l, const qitem *q, kdsim_event *ev)
{
    memcpy(l->current.buf, q->buf, q->it.len);
    l->current.it = kd_item_from_bytes(l->current.buf, q->it.len, q->it.kind, q->it.flags, q->it.dir);
    kd_decode_opts o = {.arch = l->arch, .width = l->width};
    kd_decode(&l->current.it, &o, &l->msg);
    ev->kind = KDSIM_EV_DATA;
    ev->item = l->current.it;
    ev->msg = &l->msg;
}

void kdsim_link_recv(kdsim_link *l, int timeout_ms, kdsim_event *ev)
{
    memset(ev, 0, sizeof *ev);
    if (l->dcount) {
        deliver_event(l, &l->deliver[l->dhead], ev);
        l->dhead = (l->dhead + 1) % INQ;
        l->dcount--;
        return;
    }
    uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        while (l->count) {
            qitem *q = pop_item(l);
            handled h = handle(l, q);
            if (h == H_DATA) {
                deliver_event(l, q, ev);
                return;
            }
            if (h == H_BREAKIN) {
                ev->kind = KDSIM_EV_BREAKIN;
                return;
            }
            if (h == H_RESET) {
                ev->kind = KDSIM_EV_RESET;
                return;
            }
        }
        uint64_t t = now_ms();
        if (t >= deadline) {
            ev->kind = KDSIM_EV_TIMEOUT;
            return;
        }
        int wait = deadline == UINT64_MAX ? -1 : (int)(deadline - t);
        /* Nothing more to send before waiting: a held ACK goes now. */
        if (l->o.ack_late == KDSIM_ACK_AFTER_NEXT)
            flush_late_ack(l);
        if (pump(l, wait) < 0) {
            ev->kind = KDSIM_EV_CLOSED;
            return;
        }
    }
}
