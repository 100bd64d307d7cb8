/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A recorded session as steps, and the request matcher (replay_match.h). */
#include "replay_match.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdparse/encode.h"

/* Caps on what one recording may hold: far above real sessions (a 1 M
 * message kddiff benchmark is 4 M steps at most), they keep a hostile file
 * from growing the plan without bound. */
#define MAX_STEPS (16u << 20)
#define MAX_BYTES ((size_t)1 << 30)
/* A reply names its request by frame; the request is among the last ones. */
#define REPLY_LOOKBACK 256

typedef struct slot {
    uint64_t ident;
    int stop;
    long head, tail; /* the chain of requests with this identity in this stop */
    long cursor;     /* no request before it in the chain is unused */
} slot;

struct replay_plan {
    replay_step *v;
    size_t n, cap;
    uint8_t *bytes;
    size_t nbytes, bcap;
    kd_arch arch;
    uint8_t width;
    replay_counts counts;
    /* building */
    replay_classifier cls;
    kd_delivered dl;
    int stop;
    int breakin_pending, reset_pending;
    uint32_t requests_in_stop;
    long last_debugger;
    /* the matcher's index */
    slot *slots;
    size_t nslots; /* a power of two, or 0 */
};

/* ------------------------------------------------------------ classifying */

replay_event replay_classify(replay_classifier *c, const kd_msg *m)
{
    switch (m->type) {
    case KD_TYPE_STATE_CHANGE32:
    case KD_TYPE_STATE_CHANGE64:
        if (c->stopped)
            return RP_EV_STOP_AGAIN;
        c->stopped = 1;
        return RP_EV_STOP;
    case KD_TYPE_STATE_MANIPULATE:
        return RP_EV_REPLY;
    case KD_TYPE_DEBUG_IO:
        return kd_msg_find(m, KD_F_DIO_PROMPT) ? RP_EV_PROMPT : RP_EV_PRINT;
    default:
        return RP_EV_OTHER;
    }
}

void replay_classifier_resumed(replay_classifier *c)
{
    c->stopped = 0;
}

int replay_event_counts(replay_event e)
{
    return e != RP_EV_STOP_AGAIN && e != RP_EV_REPLY;
}

replay_step_kind replay_debugger_kind(const kd_msg *m)
{
    if (m->type == KD_TYPE_STATE_MANIPULATE && !m->is_response)
        return kd_api_expects_reply(m->api) ? RP_REQUEST : RP_RESUME;
    return RP_ANSWER;
}

/* ------------------------------------------------------------ building */

replay_plan *replay_plan_new(void)
{
    replay_plan *p = calloc(1, sizeof *p);
    if (p) {
        p->stop = -1;
        p->last_debugger = -1;
        p->width = 64;
    }
    return p;
}

void replay_plan_free(replay_plan *p)
{
    if (!p)
        return;
    free(p->v);
    free(p->bytes);
    free(p->slots);
    free(p);
}

static replay_step *new_step(replay_plan *p, replay_step_kind kind, const kd_msg *m, uint64_t frame)
{
    if (p->n == MAX_STEPS)
        return NULL;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        replay_step *v = realloc(p->v, cap * sizeof *v);
        if (!v)
            return NULL;
        p->v = v;
        p->cap = cap;
    }
    const kd_item *it = m->item;
    size_t len = it->len;
    if (len) {
        if (len > MAX_BYTES - p->nbytes)
            return NULL;
        if (p->nbytes + len > p->bcap) {
            size_t cap = p->bcap ? p->bcap : 65536;
            while (cap < p->nbytes + len)
                cap *= 2;
            uint8_t *b = realloc(p->bytes, cap);
            if (!b)
                return NULL;
            p->bytes = b;
            p->bcap = cap;
        }
        memcpy(p->bytes + p->nbytes, it->bytes, len);
    }
    replay_step *s = &p->v[p->n++];
    *s = (replay_step){.kind = kind, .frame = frame, .ts_ns = it->ts_ns, .off = p->nbytes, .len = len,
                       .item_kind = it->kind, .dir = it->dir, .type = it->type, .api = m->api, .stop = p->stop, .reply = -1, .next_same = -1};
    p->nbytes += len;
    return s;
}

/* The request a reply answers: by the tracker's link, else the latest
 * request of the API still without a reply. */
static long request_of(replay_plan *p, const kd_msg *m, const kd_annot *a)
{
    long fallback = -1;
    size_t stop_at = p->n > REPLY_LOOKBACK ? p->n - REPLY_LOOKBACK : 0;
    for (size_t i = p->n; i-- > stop_at;) {
        replay_step *s = &p->v[i];
        if (s->kind != RP_REQUEST || s->reply >= 0)
            continue;
        if (a->request_in && s->frame == a->request_in)
            return (long)i;
        if (fallback < 0 && s->api == m->api)
            fallback = (long)i;
    }
    return fallback;
}

static int add_target(replay_plan *p, const kd_msg *m, const kd_annot *a, uint64_t frame)
{
    int was_stopped = p->cls.stopped;
    replay_event ev = replay_classify(&p->cls, m);
    if (ev == RP_EV_STOP) {
        p->stop++;
        p->requests_in_stop = 0;
    }
    replay_step *s = new_step(p, ev == RP_EV_REPLY ? RP_REPLY : RP_TARGET_EVENT, m, frame);
    if (!s)
        return -1;
    s->ev = ev;
    s->in_stop = was_stopped && replay_event_counts(ev);
    s->dsync = p->requests_in_stop;
    if (ev == RP_EV_REPLY) {
        long r = request_of(p, m, a);
        if (r >= 0)
            p->v[r].reply = (long)(p->n - 1);
        return 0;
    }
    if (ev == RP_EV_STOP || ev == RP_EV_STOP_AGAIN) {
        if (p->last_debugger >= 0 && p->v[p->last_debugger].kind == RP_RESET)
            p->v[p->last_debugger].then_state = 1;
    }
    if (ev == RP_EV_STOP) {
        s->needs_breakin = p->breakin_pending;
        s->needs_reset = p->reset_pending;
        p->breakin_pending = p->reset_pending = 0;
        p->counts.stops++;
    }
    if (replay_event_counts(ev))
        p->counts.target_events++;
    return 0;
}

static int add_debugger(replay_plan *p, replay_step_kind kind, const kd_msg *m, uint64_t frame)
{
    replay_step *s = new_step(p, kind, m, frame);
    if (!s)
        return -1;
    s->sync = (uint32_t)p->counts.target_events;
    p->last_debugger = (long)(p->n - 1);
    p->counts.debugger_steps++;
    switch (kind) {
    case RP_REQUEST:
    case RP_RESUME:
        p->counts.requests++;
        p->requests_in_stop++;
        if (kind == RP_RESUME) {
            replay_classifier_resumed(&p->cls);
            p->breakin_pending = p->reset_pending = 0;
        }
        break;
    case RP_BREAKIN:
        /* Only a running target reacts to a break-in. */
        if (!p->cls.stopped)
            p->breakin_pending = 1;
        break;
    default:
        break;
    }
    return 0;
}

int replay_plan_add(replay_plan *p, const kd_msg *m, const kd_annot *a, uint64_t frame)
{
    const kd_item *it = m->item;
    if (a->arch != KD_ARCH_UNKNOWN)
        p->arch = a->arch;
    if (a->width)
        p->width = a->width;
    if (it->dir == KD_DIR_D2T && it->kind == KD_ITEM_BREAKIN)
        return add_debugger(p, RP_BREAKIN, m, frame);
    if (it->dir == KD_DIR_D2T && it->kind == KD_ITEM_CONTROL && it->type == KD_TYPE_RESET)
        return add_debugger(p, RP_RESET, m, frame);
    if (it->dir == KD_DIR_T2D && it->kind == KD_ITEM_CONTROL && it->type == KD_TYPE_RESET && !p->cls.stopped)
        p->reset_pending = 1; /* the next stop came after the target's answer */
    if (!kd_delivered_copy(&p->dl, m, a, frame) || !it->has_header)
        return 0;
    if (it->dir == KD_DIR_T2D)
        return add_target(p, m, a, frame);
    if (it->dir == KD_DIR_D2T)
        return add_debugger(p, replay_debugger_kind(m), m, frame);
    return 0; /* a raw stream nobody labelled: neither side */
}

static size_t slot_hash(uint64_t ident, int stop)
{
    uint64_t h = ident ^ ((uint64_t)(uint32_t)stop * 0x9E3779B97F4A7C15ull);
    return (size_t)(h ^ (h >> 29));
}

static slot *find_slot(const replay_plan *p, uint64_t ident, int stop)
{
    if (!p->nslots)
        return NULL;
    for (size_t i = slot_hash(ident, stop) & (p->nslots - 1);; i = (i + 1) & (p->nslots - 1)) {
        slot *s = &p->slots[i];
        if (s->head < 0 || (s->ident == ident && s->stop == stop))
            return s;
    }
}

int replay_plan_finish(replay_plan *p)
{
    /* Requests are matched as the live link decodes them: with the views
     * the recording ends with (a Continue2 sent before GetVersion was
     * decoded without the architecture's control set). */
    kd_msg *m = malloc(sizeof *m);
    if (!m)
        return -1;
    kd_decode_opts views = {.arch = p->arch, .width = p->width};
    for (size_t i = 0; i < p->n; i++) {
        replay_step *s = &p->v[i];
        if (s->kind != RP_REQUEST && s->kind != RP_RESUME)
            continue;
        kd_item it = kd_item_from_bytes(p->bytes + s->off, s->len, s->item_kind, 0, s->dir);
        kd_decode(&it, &views, m);
        kd_identity_of(m, NULL, &s->id);
    }
    free(m);
    size_t want = 16;
    while (want < 2 * p->counts.requests + 2)
        want *= 2;
    p->slots = malloc(want * sizeof *p->slots);
    if (!p->slots)
        return -1;
    p->nslots = want;
    for (size_t i = 0; i < want; i++)
        p->slots[i].head = -1;
    for (size_t i = 0; i < p->n; i++) {
        replay_step *s = &p->v[i];
        if (s->kind != RP_REQUEST && s->kind != RP_RESUME)
            continue;
        slot *sl = find_slot(p, s->id.ident, s->stop);
        if (sl->head < 0) {
            *sl = (slot){.ident = s->id.ident, .stop = s->stop, .head = (long)i, .tail = (long)i, .cursor = (long)i};
        } else {
            p->v[sl->tail].next_same = (long)i;
            sl->tail = (long)i;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ reading */

size_t replay_plan_steps(const replay_plan *p)
{
    return p->n;
}

const replay_step *replay_plan_step(const replay_plan *p, size_t i)
{
    return i < p->n ? &p->v[i] : NULL;
}

const uint8_t *replay_plan_bytes(const replay_plan *p, const replay_step *s)
{
    return s->len ? p->bytes + s->off : NULL;
}

kd_arch replay_plan_arch(const replay_plan *p)
{
    return p->arch;
}

uint8_t replay_plan_width(const replay_plan *p)
{
    return p->width;
}

void replay_plan_counts(const replay_plan *p, replay_counts *out)
{
    *out = p->counts;
}

/* ------------------------------------------------------------ matching */

replay_match replay_plan_match(replay_plan *p, int stop, const kd_msg *live)
{
    replay_match r = {RP_UNMATCHED, -1, -1};
    kd_identity id;
    kd_identity_of(live, NULL, &id);
    slot *sl = find_slot(p, id.ident, stop);
    if (!sl || sl->head < 0)
        return r;
    /* Skip the used head of the chain once, so a long run of one request
     * (a debugger polling one address) stays linear. */
    while (sl->cursor >= 0 && p->v[sl->cursor].used)
        sl->cursor = p->v[sl->cursor].next_same;
    long first_unused = sl->cursor, same = -1, last_used = -1;
    for (long i = sl->cursor; i >= 0; i = p->v[i].next_same)
        if (!p->v[i].used && p->v[i].id.content == id.content) {
            same = i;
            break;
        }
    if (same >= 0) {
        r.kind = RP_MATCHED;
        r.request = same;
    } else if (first_unused >= 0) {
        r.kind = RP_CHANGED;
        r.request = first_unused;
    } else {
        for (long i = sl->head; i >= 0; i = p->v[i].next_same)
            if (p->v[i].used)
                last_used = i;
        r.kind = RP_REPEATED;
        r.request = last_used;
    }
    p->v[r.request].used++;
    r.reply = p->v[r.request].reply;
    return r;
}

void replay_plan_summary(const replay_plan *p, const replay_step *s, char *buf, size_t n)
{
    kd_item it = kd_item_from_bytes(replay_plan_bytes(p, s), s->len, s->item_kind, 0, s->dir);
    kd_msg *m = malloc(sizeof *m);
    if (!m) {
        snprintf(buf, n, "?");
        return;
    }
    kd_decode_opts o = {.arch = p->arch, .width = p->width};
    kd_decode(&it, &o, m);
    kd_msg_summary(m, NULL, buf, n);
    free(m);
}
