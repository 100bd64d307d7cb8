/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netstream.c - conversations, TCP reassembly and KD detection for network
 * captures (netstream.h).
 *
 * Each conversation moves UNDECIDED -> SERIAL (KD bytes in TCP or UDP),
 * KDNET, or OTHER.  Undecided conversations keep their chunks (held) and
 * feed them to a framer per side (the "sniffers") whose items are the
 * evidence; once a serial conversation also knows its target side, the
 * held chunks go out labelled, and later ones go straight out.
 */
#include "netstream.h"

#include <stdlib.h>
#include <string.h>

#include "kdparse/decode.h"
#include "kdparse/framer.h"
#include "tcp_reasm.h"

/* KDNET datagrams start with "MDBG" (reference kdnet.md). XXX: take the
 * constant from kdparse/kdnet.h once the KDNET layer is on main. */
static const uint8_t kdnet_magic[4] = {'M', 'D', 'B', 'G'};

/* cbwang505/windbg-wireshark: serial bytes in fake UDP, one port per direction. */
#define CB505_PORT_A 51111u
#define CB505_PORT_B 51112u

#define HASH_BUCKETS 16384u

typedef enum conv_state { UNDECIDED, SERIAL, KDNET, OTHER } conv_state;

typedef struct outrec {
    struct outrec *next;
    kdcap_record rec;
    uint8_t *buf;
} outrec;

typedef struct conv conv;

typedef struct sniff_ctx {
    conv *c;
    int side;
} sniff_ctx;

struct conv {
    conv *hnext;
    conv *all_next; /* every conversation, in order of number */
    conv *und_next, *und_prev; /* the undecided list, oldest first */
    netstream *ns;
    uint32_t number;
    uint8_t proto;
    int cb505;
    netparse_addr addr[2];
    uint16_t port[2];
    conv_state state;
    int closed; /* RST, or FIN both ways: a later SYN starts a new connection */
    int fin[2];
    tcp_reasm *rs[2];
    uint64_t pending_gap[2]; /* UDP: bytes a truncated datagram lost */
    /* Detection. */
    kd_framer *sniff[2];
    sniff_ctx sctx[2];
    uint64_t seen_bytes;
    uint64_t payload_bytes; /* carried, whatever became of them (empty ones are not counted) */
    uint64_t good, noise, breakin;
    /* Strong evidence of the target's side (decides at once): */
    int state_change_side, print_side, breakin_side;
    /* Weak evidence (decides at the end of looking): a manipulate whose API
     * is that of the other side's last one answers it. */
    uint32_t last_manip_api[2];
    int have_manip[2];
    unsigned answers[2];
    int first_manip_side; /* when the answers tie, and the start was seen: it asked */
    int saw_start;        /* TCP: the SYN was seen; UDP: always */
    int target_side;  /* -1: not known (yet) */
    int target_final; /* no more looking: target_side is what it is */
    outrec *held_head, *held_tail;
    size_t held_bytes;
};

struct netstream {
    kdcap_net_opts opts;
    conv *buckets[HASH_BUCKETS];
    uint64_t nconvs;
    conv *und_head, *und_tail;
    size_t nundecided;
    conv *all_head, *all_tail;
    outrec *out_head, *out_tail;
    outrec *last; /* handed out, freed on the next call */
    /* The frame being fed. */
    uint64_t frame, ts_ns;
    uint32_t flags;
    int oom;
    kd_msg *msg; /* for the sniffers */
    netstream_stats st;
};

/* ------------------------------------------------------------ helpers */

static int addr_eq(const netparse_addr *a, const netparse_addr *b)
{
    return a->family == b->family && memcmp(a->a, b->a, sizeof a->a) == 0;
}

static int ep_cmp(const netparse_addr *a, uint16_t ap, const netparse_addr *b, uint16_t bp)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    int c = memcmp(a->a, b->a, sizeof a->a);
    if (c)
        return c;
    return ap == bp ? 0 : ap < bp ? -1 : 1;
}

static uint32_t hash_bytes(uint32_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static int port_listed(const netstream *ns, uint16_t port)
{
    for (size_t i = 0; i < ns->opts.nports; i++)
        if (ns->opts.ports[i] == port)
            return 1;
    return 0;
}

static int is_cb505_port(uint16_t p)
{
    return p == CB505_PORT_A || p == CB505_PORT_B;
}

/* ------------------------------------------------------------ output */

static outrec *new_rec(netstream *ns, conv *c, int side, kdcap_carrier carrier, const uint8_t *p,
                       size_t n)
{
    outrec *o = calloc(1, sizeof *o);
    uint8_t *buf = n ? malloc(n) : NULL;
    if (!o || (n && !buf)) {
        free(o);
        free(buf);
        ns->oom = 1;
        return NULL;
    }
    if (n)
        memcpy(buf, p, n);
    o->buf = buf;
    kdcap_record *r = &o->rec;
    r->frame = ns->frame;
    r->ts_ns = ns->ts_ns;
    r->dir = KD_DIR_UNKNOWN;
    r->bytes = buf;
    r->len = n;
    r->carrier = carrier;
    r->conv = c->number;
    r->side = (uint8_t)side;
    r->flags = ns->flags;
    r->src.addr = c->addr[side];
    r->src.port = c->port[side];
    r->dst.addr = c->addr[!side];
    r->dst.port = c->port[!side];
    return o;
}

static void push_out(netstream *ns, outrec *o)
{
    o->next = NULL;
    if (ns->out_tail)
        ns->out_tail->next = o;
    else
        ns->out_head = o;
    ns->out_tail = o;
}

static void free_list(outrec *o)
{
    while (o) {
        outrec *n = o->next;
        free(o->buf);
        free(o);
        o = n;
    }
}

static kd_dir side_dir(const conv *c, int side)
{
    if (c->target_side < 0)
        return KD_DIR_UNKNOWN;
    return side == c->target_side ? KD_DIR_T2D : KD_DIR_D2T;
}

/* ------------------------------------------------------------ detection */

static void sniff_item(const kd_item *it, void *user)
{
    sniff_ctx *s = user;
    conv *c = s->c;
    switch (it->kind) {
    case KD_ITEM_DATA:
        if (it->flags != 0)
            break;
        c->good++;
        if ((it->type == KD_TYPE_STATE_CHANGE32 || it->type == KD_TYPE_STATE_CHANGE64) &&
            c->state_change_side < 0)
            c->state_change_side = s->side;
        if ((it->type == KD_TYPE_STATE_MANIPULATE || it->type == KD_TYPE_DEBUG_IO) &&
            c->ns->msg && c->target_side < 0) {
            kd_decode_opts o = {.arch = KD_ARCH_UNKNOWN};
            kd_decode(it, &o, c->ns->msg);
            uint32_t api = c->ns->msg->api;
            if (it->type == KD_TYPE_DEBUG_IO && api == KD_IO_PRINT_STRING && c->print_side < 0)
                c->print_side = s->side;
            if (it->type == KD_TYPE_STATE_MANIPULATE) {
                if (c->have_manip[!s->side] && c->last_manip_api[!s->side] == api)
                    c->answers[s->side]++;
                if (c->first_manip_side < 0)
                    c->first_manip_side = s->side;
                c->have_manip[s->side] = 1;
                c->last_manip_api[s->side] = api;
            }
        }
        break;
    case KD_ITEM_CONTROL:
        if (it->type == KD_TYPE_ACKNOWLEDGE || it->type == KD_TYPE_RESEND ||
            it->type == KD_TYPE_RESET)
            c->good++;
        break;
    case KD_ITEM_BREAKIN:
        c->breakin += it->len;
        if (c->breakin_side < 0)
            c->breakin_side = s->side;
        break;
    case KD_ITEM_NOISE:
        c->noise += it->len;
        break;
    case KD_ITEM_TRUNCATED:
        break;
    }
}

static void undecided_unlink(netstream *ns, conv *c)
{
    if (c->und_prev)
        c->und_prev->und_next = c->und_next;
    else if (ns->und_head == c)
        ns->und_head = c->und_next;
    else
        return; /* not on the list */
    if (c->und_next)
        c->und_next->und_prev = c->und_prev;
    else
        ns->und_tail = c->und_prev;
    c->und_next = c->und_prev = NULL;
    ns->nundecided--;
}

static void drop_sniffers(conv *c)
{
    for (int s = 0; s < 2; s++) {
        kd_framer_free(c->sniff[s]);
        c->sniff[s] = NULL;
    }
}

static void drop_reasm(conv *c)
{
    for (int s = 0; s < 2; s++) {
        tcp_reasm_free(c->rs[s]);
        c->rs[s] = NULL;
    }
}

static void become_other(netstream *ns, conv *c)
{
    c->state = OTHER;
    undecided_unlink(ns, c);
    free_list(c->held_head);
    c->held_head = c->held_tail = NULL;
    c->held_bytes = 0;
    drop_sniffers(c);
    drop_reasm(c);
}

/* A serial conversation whose target is settled: its held chunks go out. */
static void release_held(netstream *ns, conv *c)
{
    for (outrec *o = c->held_head; o;) {
        outrec *n = o->next;
        o->rec.dir = side_dir(c, o->rec.side);
        push_out(ns, o);
        o = n;
    }
    c->held_head = c->held_tail = NULL;
    c->held_bytes = 0;
    drop_sniffers(c);
    undecided_unlink(ns, c);
}

/* final: no more evidence will come, weak evidence decides. */
static void judge_target(conv *c, int final)
{
    if (c->target_final)
        return;
    if (c->state_change_side >= 0)
        c->target_side = c->state_change_side;
    else if (c->print_side >= 0)
        c->target_side = c->print_side;
    else if (c->breakin_side >= 0)
        c->target_side = !c->breakin_side;
    else if (final && c->answers[0] != c->answers[1])
        c->target_side = c->answers[1] > c->answers[0];
    else if (final && c->saw_start && c->first_manip_side >= 0)
        c->target_side = !c->first_manip_side;
    if (c->target_side >= 0)
        c->target_final = 1;
}

/* Decides what can be decided; final: no more evidence will come. */
static void judge(netstream *ns, conv *c, int final)
{
    if (c->state == UNDECIDED) {
        int breakin_only = c->breakin > 0 && c->noise == 0;
        if (c->good > 0) {
            c->state = SERIAL;
        } else if (final || c->seen_bytes >= NETSTREAM_DETECT_BYTES ||
                   c->held_bytes >= NETSTREAM_HOLD_BYTES) {
            if (breakin_only && final) {
                c->state = SERIAL;
            } else {
                become_other(ns, c);
                return;
            }
        } else {
            return;
        }
        ns->st.kd_convs++;
    }
    if (c->state != SERIAL)
        return;
    int last_look = final || c->held_bytes >= NETSTREAM_HOLD_BYTES;
    judge_target(c, last_look);
    if (!c->target_final && last_look) {
        c->target_final = 1;
        ns->st.no_target++;
    }
    if (c->target_final && (c->held_head || c->sniff[0] || c->sniff[1] || c->und_prev ||
                            ns->und_head == c))
        release_held(ns, c);
}

/* ------------------------------------------------------------ conversations */

static conv *conv_new(netstream *ns, uint8_t proto, int cb505, const netparse_addr *a0, uint16_t p0,
                      const netparse_addr *a1, uint16_t p1, uint32_t h)
{
    if (ns->nconvs >= NETSTREAM_MAX_CONVS) {
        ns->st.untracked++;
        return NULL;
    }
    conv *c = calloc(1, sizeof *c);
    if (!c) {
        ns->oom = 1;
        return NULL;
    }
    c->ns = ns;
    c->number = (uint32_t)++ns->nconvs;
    c->proto = proto;
    c->cb505 = cb505;
    c->addr[0] = *a0;
    c->port[0] = p0;
    c->addr[1] = *a1;
    c->port[1] = p1;
    c->state_change_side = c->print_side = c->breakin_side = c->first_manip_side = -1;
    c->saw_start = proto == NETPARSE_PROTO_UDP;
    c->target_side = -1;
    c->hnext = ns->buckets[h];
    ns->buckets[h] = c;
    if (ns->all_tail)
        ns->all_tail->all_next = c;
    else
        ns->all_head = c;
    ns->all_tail = c;

    /* The options may settle the target now. */
    for (int s = 0; s < 2; s++) {
        if ((ns->opts.have_target_port && c->port[s] == ns->opts.target_port) ||
            (ns->opts.have_target && addr_eq(&c->addr[s], &ns->opts.target.addr) &&
             c->port[s] == ns->opts.target.port)) {
            c->target_side = s;
            c->target_final = 1;
            break;
        }
    }
    if (ns->opts.nports) {
        if (port_listed(ns, p0) || port_listed(ns, p1)) {
            c->state = SERIAL;
            ns->st.kd_convs++;
        } else {
            c->state = UNDECIDED;
            become_other(ns, c);
            return c;
        }
    }
    if (c->state == UNDECIDED || !c->target_final) {
        for (int s = 0; s < 2; s++) {
            c->sctx[s] = (sniff_ctx){.c = c, .side = s};
            c->sniff[s] = kd_framer_new(KD_TRANSPORT_SERIAL, (kd_dir)s, sniff_item, &c->sctx[s]);
            if (!c->sniff[s])
                ns->oom = 1;
        }
        /* On the undecided list (bounded: the oldest is judged on what it has). */
        if (ns->nundecided >= NETSTREAM_MAX_UNDECIDED && ns->und_head)
            judge(ns, ns->und_head, 1);
        c->und_prev = ns->und_tail;
        if (ns->und_tail)
            ns->und_tail->und_next = c;
        else
            ns->und_head = c;
        ns->und_tail = c;
        ns->nundecided++;
    }
    return c;
}

/* Finds the conversation of a frame; *side is its sender's side. */
static conv *conv_find(netstream *ns, uint8_t proto, int cb505, const netparse_pkt *p, int *side,
                       uint32_t *hash_out)
{
    netparse_addr none = {0};
    const netparse_addr *ka = &p->src, *kb = &p->dst;
    uint16_t pa = p->sport, pb = p->dport;
    if (cb505) {
        ka = kb = &none;
        pa = CB505_PORT_A;
        pb = CB505_PORT_B;
    }
    if (ep_cmp(ka, pa, kb, pb) > 0) {
        const netparse_addr *t = ka;
        ka = kb;
        kb = t;
        uint16_t tp = pa;
        pa = pb;
        pb = tp;
    }
    uint32_t h = 2166136261u;
    h = hash_bytes(h, &proto, 1);
    h = hash_bytes(h, ka->a, 16);
    h = hash_bytes(h, &pa, 2);
    h = hash_bytes(h, kb->a, 16);
    h = hash_bytes(h, &pb, 2);
    h %= HASH_BUCKETS;
    *hash_out = h;
    for (conv *c = ns->buckets[h]; c; c = c->hnext) {
        if (c->proto != proto || c->cb505 != cb505)
            continue;
        if (cb505) {
            /* The port that names the direction: the destination's when it
             * is one of the pair, else the source's. */
            *side = p->dport == CB505_PORT_A ? 0 : p->dport == CB505_PORT_B ? 1
                    : p->sport == CB505_PORT_B ? 0 : 1;
            return c;
        }
        if (addr_eq(&c->addr[0], &p->src) && c->port[0] == p->sport &&
            addr_eq(&c->addr[1], &p->dst) && c->port[1] == p->dport) {
            *side = 0;
            return c;
        }
        if (addr_eq(&c->addr[1], &p->src) && c->port[1] == p->sport &&
            addr_eq(&c->addr[0], &p->dst) && c->port[0] == p->dport) {
            *side = 1;
            return c;
        }
    }
    return NULL;
}

/* Removes c from its bucket (a closed connection replaced by a new one). */
static void conv_unhash(netstream *ns, conv *c, uint32_t h)
{
    for (conv **pp = &ns->buckets[h]; *pp; pp = &(*pp)->hnext) {
        if (*pp == c) {
            *pp = c->hnext;
            return;
        }
    }
}

static void conv_free(conv *c)
{
    drop_sniffers(c);
    drop_reasm(c);
    free_list(c->held_head);
    free(c);
}

/* A chunk of side's byte stream (TCP after reassembly, or a UDP payload). */
static void chunk(netstream *ns, conv *c, int side, const uint8_t *p, size_t n, uint64_t gap)
{
    if (c->state == OTHER || c->state == KDNET)
        return;
    outrec *o = new_rec(ns, c, side, KDCAP_CARRIER_STREAM, p, n);
    if (!o)
        return;
    o->rec.gap = gap;
    if (c->state == SERIAL && c->target_final) {
        o->rec.dir = side_dir(c, side);
        push_out(ns, o);
        return;
    }
    o->next = NULL;
    if (c->held_tail)
        c->held_tail->next = o;
    else
        c->held_head = o;
    c->held_tail = o;
    c->held_bytes += n;
    c->seen_bytes += n;
    if (c->sniff[side]) {
        if (gap)
            kd_framer_finish(c->sniff[side]);
        kd_framer_feed(c->sniff[side], p, n, 0);
        kd_framer_flush_runs(c->sniff[side]);
    }
    judge(ns, c, 0);
}

static void reasm_out(void *user, const uint8_t *p, size_t n, uint64_t gap)
{
    sniff_ctx *s = user;
    chunk(s->c->ns, s->c, s->side, p, n, gap);
}

/* The end of a conversation: what is held comes out, the rest is decided. */
static void conv_end(netstream *ns, conv *c)
{
    for (int s = 0; s < 2; s++)
        if (c->rs[s])
            tcp_reasm_finish(c->rs[s]);
    for (int s = 0; s < 2; s++) {
        if (c->pending_gap[s] && c->state != OTHER && c->state != KDNET) {
            chunk(ns, c, s, NULL, 0, c->pending_gap[s]);
            c->pending_gap[s] = 0;
        }
    }
    for (int s = 0; s < 2; s++)
        if (c->sniff[s])
            kd_framer_finish(c->sniff[s]);
    judge(ns, c, 1);
    drop_reasm(c);
    c->closed = 1;
}

static void tcp_frame(netstream *ns, const netparse_pkt *p)
{
    int side = 0;
    uint32_t h;
    int syn = (p->tcp_flags & NETPARSE_TCP_SYN) != 0;
    conv *c = conv_find(ns, NETPARSE_PROTO_TCP, 0, p, &side, &h);
    if (c && syn) {
        /* A SYN on a finished connection, or one that starts another stream
         * than the one under way: a new connection on the same ports. */
        int other_isn = c->rs[side] && tcp_reasm_started(c->rs[side]) &&
                        tcp_reasm_isn(c->rs[side]) != p->seq + 1u;
        if (c->closed || other_isn) {
            if (!c->closed)
                conv_end(ns, c);
            /* It stays on the list of all conversations (freed at the end). */
            conv_unhash(ns, c, h);
            undecided_unlink(ns, c);
            drop_sniffers(c);
            c = NULL;
        }
    }
    if (!c) {
        /* The SYN's sender (or, seen from the middle, the first sender) is
         * side 0; a SYN-ACK comes from side 1. */
        int synack = syn && (p->tcp_flags & 0x10u);
        if (synack)
            c = conv_new(ns, NETPARSE_PROTO_TCP, 0, &p->dst, p->dport, &p->src, p->sport, h);
        else
            c = conv_new(ns, NETPARSE_PROTO_TCP, 0, &p->src, p->sport, &p->dst, p->dport, h);
        if (!c)
            return;
        side = synack ? 1 : 0;
    }
    c->payload_bytes += p->payload_wire_len;
    if (syn)
        c->saw_start = 1;
    if (c->closed || c->state == OTHER || c->state == KDNET) {
        return;
    }
    if (!c->rs[side]) {
        c->sctx[side].c = c;
        c->sctx[side].side = side;
        c->rs[side] = tcp_reasm_new(NETSTREAM_REASM_HOLD, reasm_out, &c->sctx[side]);
        if (!c->rs[side]) {
            ns->oom = 1;
            return;
        }
    }
    if (tcp_reasm_segment(c->rs[side], p->seq, syn, p->payload, p->payload_len,
                          p->payload_wire_len) < 0)
        ns->oom = 1;
    /* What the peer acknowledged it has: holes before that were missed by the capture. */
    if ((p->tcp_flags & NETPARSE_TCP_ACK) && c->rs[!side] && c->state != OTHER)
        tcp_reasm_acked(c->rs[!side], p->ack);
    if (p->tcp_flags & NETPARSE_TCP_FIN)
        c->fin[side] = 1;
    if ((p->tcp_flags & NETPARSE_TCP_RST) || (c->fin[0] && c->fin[1]))
        conv_end(ns, c);
}

static void udp_frame(netstream *ns, const netparse_pkt *p)
{
    int is_kdnet = p->payload_len >= sizeof kdnet_magic &&
                   memcmp(p->payload, kdnet_magic, sizeof kdnet_magic) == 0;
    int cb505 = !is_kdnet && (is_cb505_port(p->sport) || is_cb505_port(p->dport));
    int side = 0;
    uint32_t h;
    conv *c = conv_find(ns, NETPARSE_PROTO_UDP, cb505, p, &side, &h);
    if (!c) {
        c = conv_new(ns, NETPARSE_PROTO_UDP, cb505, &p->src, p->sport, &p->dst, p->dport, h);
        if (!c)
            return;
        side = 0;
        if (cb505) {
            /* Name side 0 after the port that says it (see conv_find). */
            int s = p->dport == CB505_PORT_A ? 0 : p->dport == CB505_PORT_B ? 1
                    : p->sport == CB505_PORT_B ? 0 : 1;
            if (s == 1) {
                c->addr[1] = p->src;
                c->port[1] = p->sport;
                c->addr[0] = p->dst;
                c->port[0] = p->dport;
            }
            side = s;
        }
    }
    c->payload_bytes += p->payload_wire_len;
    if (is_kdnet) {
        if (c->state == UNDECIDED) {
            c->state = KDNET;
            ns->st.kdnet_convs++;
            free_list(c->held_head);
            c->held_head = c->held_tail = NULL;
            c->held_bytes = 0;
            drop_sniffers(c);
            undecided_unlink(ns, c);
        }
        if (c->state != KDNET && c->state != SERIAL)
            return;
        outrec *o = new_rec(ns, c, side, KDCAP_CARRIER_KDNET, p->payload, p->payload_len);
        if (o)
            push_out(ns, o);
        return;
    }
    uint64_t gap = c->pending_gap[side];
    c->pending_gap[side] = 0;
    chunk(ns, c, side, p->payload, p->payload_len, gap);
    if (p->truncated)
        c->pending_gap[side] += p->payload_wire_len - p->payload_len;
}

/* ------------------------------------------------------------ API */

netstream *netstream_new(const kdcap_net_opts *opts)
{
    netstream *ns = calloc(1, sizeof *ns);
    if (!ns)
        return NULL;
    if (opts)
        ns->opts = *opts;
    if (ns->opts.nports > KDCAP_MAX_PORTS)
        ns->opts.nports = KDCAP_MAX_PORTS;
    ns->msg = malloc(sizeof *ns->msg);
    if (!ns->msg) {
        free(ns);
        return NULL;
    }
    return ns;
}

void netstream_free(netstream *ns)
{
    if (!ns)
        return;
    for (conv *c = ns->all_head; c;) {
        conv *n = c->all_next;
        conv_free(c);
        c = n;
    }
    free_list(ns->out_head);
    free_list(ns->last);
    free(ns->msg);
    free(ns);
}

void netstream_frame(netstream *ns, uint64_t frame, uint64_t ts_ns, netparse_status st,
                     const netparse_pkt *pkt)
{
    ns->frame = frame;
    ns->ts_ns = ts_ns;
    ns->flags = 0;
    switch (st) {
    case NETPARSE_OK:
        break;
    case NETPARSE_FRAGMENT:
        ns->st.fragments++;
        return;
    case NETPARSE_TRUNCATED:
        ns->st.truncated++;
        return;
    case NETPARSE_MALFORMED:
        ns->st.malformed++;
        return;
    default:
        ns->st.not_udp_tcp++;
        return;
    }
    if (pkt->truncated) {
        ns->st.truncated++;
        ns->flags |= KDCAP_REC_TRUNCATED;
    }
    if (pkt->proto == NETPARSE_PROTO_TCP)
        tcp_frame(ns, pkt);
    else if (pkt->proto == NETPARSE_PROTO_UDP)
        udp_frame(ns, pkt);
}

void netstream_finish(netstream *ns)
{
    /* In order of conversation number, so their records come out in order. */
    for (conv *c = ns->all_head; c; c = c->all_next)
        if (!c->closed)
            conv_end(ns, c);
}

int netstream_next(netstream *ns, kdcap_record *rec)
{
    free_list(ns->last);
    ns->last = NULL;
    if (ns->oom)
        return -1;
    outrec *o = ns->out_head;
    if (!o)
        return 0;
    ns->out_head = o->next;
    if (!ns->out_head)
        ns->out_tail = NULL;
    o->next = NULL;
    ns->last = o;
    *rec = o->rec;
    return 1;
}

void netstream_get_stats(const netstream *ns, netstream_stats *out)
{
    *out = ns->st;
    /* Conversations that carried nothing (a refused connection) are not streams. */
    for (const conv *c = ns->all_head; c; c = c->all_next) {
        if (c->state != OTHER || c->payload_bytes == 0)
            continue;
        if (c->proto == NETPARSE_PROTO_TCP)
            out->other_tcp++;
        else
            out->other_udp++;
    }
}
