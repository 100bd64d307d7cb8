/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsim replay (replay.h): the two loops, --record, pacing and the report.
 *
 * As target: send the recorded target events in order; a stop holds until
 * the debugger resumes, its requests answered by the matcher (recorded
 * reply, or the --unknown-status reply); a stop the recorded debugger
 * caused by breaking in waits for the live debugger's break-in; a DbgPrompt
 * waits for the answer; a RESET while stopped brings the stop's state
 * change again (§3.5).  The end: the debugger hangs up, or all is sent and
 * it stays silent for --wait.
 *
 * As debugger: send the recorded debugger steps in order, each once the
 * live target has sent as many target events as the recording had before
 * it; wait for each request's reply; at the end wait for the target events
 * the recording still holds.
 */
#include "record.h"
#include "replay.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capio.h"
#include "cliopt.h"
#include "endpoint.h"
#include "kdparse/framer.h"
#include "kdsession.h"
#include "kdnet_io.h"
#include "link.h"
#include "replay_match.h"


static const char *prog = "kdsim";

typedef struct ropts {
    int as_target;
    const char *session, *endpoint, *record;
    int fixed_clock, json, realtime, quiet;
    uint32_t unknown_status;
    uint64_t until;    /* 0: the whole recording */
    int wait_ms;       /* for the live peer; 0: forever */
    kdsim_link_opts lo;
    kd_endpoint_opts eo;
    kdsession_opts so;
    kdsession_kdnet kdnet;
    int live_kdnet;      /* --kdnet KEY: the live side over KDNET */
    kdsim_kdnet_opts ko;
} ropts;

/* What the report lists: at most this many lines of each kind are kept. */
#define MAX_LISTED 200

typedef struct listed {
    const char *what; /* "not_recorded", "changed", "repeated", "never_asked", "missing", "no_reply" */
    uint64_t frame;   /* recorded frame, 0 for a live message */
    int stop;
    char summary[256];
} listed;

typedef struct run {
    const ropts *o;
    replay_plan *plan;
    kdsim_link *l;
    kd_dir in_dir;
    FILE *out;        /* the report */
    /* the tap: recording and counting break-ins */
    kdsim_recorder *rec;
    int rec_failed;
    uint64_t breakins, resets; /* seen from the peer */
    /* pacing (--realtime) */
    int paced;
    uint64_t rec_prev, wall_prev;
    /* the outcome */
    size_t asked, resumes, matched, changed, repeated, unmatched, ignored, never_asked;
    size_t events_sent, events_total, steps_done, steps_total, replies, replies_missing;
    int link_failed, hung_up, differs;
    char why[400];    /* why the replay stopped early */
    listed *list;
    size_t nlist;
} run;

/* ------------------------------------------------------------ small helpers */

static uint64_t now_ns(int realtime_clock)
{
    struct timespec ts;
    clock_gettime(realtime_clock ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void list_add(run *r, const char *what, uint64_t frame, int stop, const char *summary)
{
    if (r->nlist == MAX_LISTED)
        return;
    listed *x = &r->list[r->nlist++];
    x->what = what;
    x->frame = frame;
    x->stop = stop;
    snprintf(x->summary, sizeof x->summary, "%s", summary);
}

static void live_summary(const kd_msg *m, char *buf, size_t n)
{
    kd_msg_summary(m, NULL, buf, n);
}

/* --realtime: wait until as much time has passed since the last paced
 * moment as the recording had between their timestamps. */
static void pace(run *r, uint64_t rec_ts)
{
    if (!r->o->realtime)
        return;
    uint64_t now = now_ns(0);
    if (r->paced && rec_ts > r->rec_prev) {
        uint64_t due = r->wall_prev + (rec_ts - r->rec_prev);
        if (due > now) {
            uint64_t d = due - now;
            struct timespec ts = {(time_t)(d / 1000000000u), (long)(d % 1000000000u)};
            nanosleep(&ts, NULL);
            now = due;
        }
    }
    r->paced = 1;
    r->rec_prev = rec_ts;
    r->wall_prev = now;
}

/* ------------------------------------------------------------ the tap */

/* Every framed item, before record.c writes it: break-ins counted. */
static void tap_item(const kd_item *it, void *user)
{
    run *r = user;
    if (it->kind == KD_ITEM_BREAKIN && it->dir == r->in_dir)
        r->breakins++;
}

static void tap(kd_dir dir, const uint8_t *bytes, size_t len, void *user)
{
    run *r = user;
    kdsim_record_tap(dir, bytes, len, r->rec);
    r->rec_failed = kdsim_record_failed(r->rec);
}

static int tap_open(run *r, int argc, char **argv)
{
    kdsim_record_opts ro = {.path = r->o->record, .prog = prog, .fixed_clock = r->o->fixed_clock,
                            .argc = argc, .argv = argv, .on_item = tap_item, .user = r};
    return (r->rec = kdsim_record_open(&ro)) ? 0 : -1;
}

static int tap_close(run *r)
{
    int rc = kdsim_record_close(r->rec);
    r->rec = NULL;
    return rc;
}

/* ------------------------------------------------------------ sending */

typedef struct recorded {
    const uint8_t *bytes;
    size_t len;
} recorded;

/* A send failed: the peer hung up (its choice: the session differs), or
 * it stopped acknowledging (the link failed). */
static void link_down(run *r)
{
    kdsim_event ev;
    kdsim_link_recv(r->l, 0, &ev);
    if (ev.kind == KDSIM_EV_CLOSED)
        r->hung_up = 1;
    else
        r->link_failed = 1;
}

/* A recorded packet framed again for this (serial) link with the link's
 * id: the same bytes for a serial recording, a trailer added for one made
 * over KDNET. */
static long encode_recorded(const void *msg, uint32_t id, uint8_t *buf, size_t cap)
{
    const recorded *p = msg;
    if (p->len < KD_PACKET_HEADER_SIZE)
        return -1;
    size_t body = kd_le16(p->bytes + KD_OFF_BYTE_COUNT);
    if (body > p->len - KD_PACKET_HEADER_SIZE)
        body = p->len - KD_PACKET_HEADER_SIZE;
    return kd_frame_data(KD_TRANSPORT_SERIAL, kd_le16(p->bytes + KD_OFF_TYPE), id, p->bytes + KD_PACKET_HEADER_SIZE,
                         body, buf, cap);
}

/* Sends a recorded step, again after each RESET from the peer (§3.5: the
 * pending packet is sent again).  0, or -1 when the link failed. */
static int send_step(run *r, const replay_step *s)
{
    recorded p = {replay_plan_bytes(r->plan, s), s->len};
    int rc;
    while ((rc = kdsim_link_send_with(r->l, encode_recorded, &p)) == 1)
        r->resets++;
    if (rc < 0)
        link_down(r);
    return rc < 0 ? -1 : 0;
}

/* A reply to a request the recording never saw: the API, the chosen status. */
static int send_unknown(run *r, const kd_msg *req)
{
    kd_enc_field f[] = {{KD_F_M_RETURN_STATUS, r->o->unknown_status}};
    kd_enc_msg m = {.type = KD_TYPE_STATE_MANIPULATE, .dir = KD_DIR_T2D, .api = req->api,
                    .arch = replay_plan_arch(r->plan), .width = replay_plan_width(r->plan), .fields = f, .n_fields = 1};
    int rc;
    while ((rc = kdsim_link_send(r->l, &m)) == 1)
        r->resets++;
    if (rc < 0)
        link_down(r);
    return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------ as target */

typedef enum { T_RUNNING, T_STOPPED, T_PROMPT } tstate;

/* The next target event to send from step i on (re-sent stops are the
 * link's business), or -1. */
static long next_event(const run *r, size_t i)
{
    for (size_t n = replay_plan_steps(r->plan); i < n; i++) {
        const replay_step *s = replay_plan_step(r->plan, i);
        if (s->kind == RP_TARGET_EVENT && s->ev != RP_EV_STOP_AGAIN && (!r->o->until || s->frame <= r->o->until))
            return (long)i;
    }
    return -1;
}

static void serve_request(run *r, const kd_msg *m, int stop)
{
    replay_match mt = replay_plan_match(r->plan, stop, m);
    r->asked++;
    char line[256];
    switch (mt.kind) {
    case RP_MATCHED:
        r->matched++;
        break;
    case RP_CHANGED:
        r->changed++;
        live_summary(m, line, sizeof line);
        list_add(r, "changed", 0, stop, line);
        break;
    case RP_REPEATED:
        r->repeated++;
        live_summary(m, line, sizeof line);
        list_add(r, "repeated", 0, stop, line);
        break;
    case RP_UNMATCHED:
        r->unmatched++;
        live_summary(m, line, sizeof line);
        list_add(r, "not_recorded", 0, stop, line);
        break;
    }
    if (replay_debugger_kind(m) != RP_REQUEST) {
        r->resumes++;
        return; /* a resume: no reply */
    }
    if (mt.request >= 0)
        pace(r, replay_plan_step(r->plan, (size_t)mt.request)->ts_ns);
    if (mt.reply >= 0) {
        const replay_step *rep = replay_plan_step(r->plan, (size_t)mt.reply);
        pace(r, rep->ts_ns);
        send_step(r, rep);
    } else {
        send_unknown(r, m);
    }
}

static void play_target(run *r)
{
    tstate st = T_RUNNING;
    size_t from = 0;
    int stop = -1;
    long stop_step = -1;
    uint64_t breakins_at_resume = 0, resets_at_resume = 0;
    uint32_t asked_in_stop = 0;
    uint64_t idle_since = now_ns(0);
    for (;;) {
        if (r->link_failed || r->hung_up || r->rec_failed) {
            if (r->hung_up && next_event(r, from) >= 0)
                snprintf(r->why, sizeof r->why, "the debugger hung up");
            return;
        }
        long e = next_event(r, from);
        const replay_step *s = e >= 0 ? replay_plan_step(r->plan, (size_t)e) : NULL;
        /* Running, the target sends what comes next, a stop the debugger
         * caused once it has broken in; stopped, only what the recording
         * has it send between the requests, after as many of them. */
        int ready = 0;
        if (s && st == T_RUNNING)
            ready = !(s->needs_breakin && r->breakins == breakins_at_resume) &&
                    !(s->needs_reset && r->resets == resets_at_resume);
        else if (s && st == T_STOPPED)
            ready = s->in_stop && s->stop == stop && asked_in_stop >= s->dsync;
        if (ready) {
            pace(r, s->ts_ns);
            if (send_step(r, s) != 0)
                continue;
            r->events_sent++;
            from = (size_t)e + 1;
            if (s->ev == RP_EV_STOP) {
                st = T_STOPPED;
                stop = s->stop;
                stop_step = e;
                asked_in_stop = 0;
            } else if (s->ev == RP_EV_PROMPT) {
                st = T_PROMPT;
            }
            idle_since = now_ns(0);
            continue;
        }
        /* Waiting for the debugger: a request, a resume, an answer, a
         * break-in, or (everything sent) for it to hang up. */
        kdsim_event ev;
        kdsim_link_recv(r->l, s ? 50 : 100, &ev);
        uint64_t now = now_ns(0);
        switch (ev.kind) {
        case KDSIM_EV_CLOSED:
            if (next_event(r, from) >= 0)
                snprintf(r->why, sizeof r->why, "the debugger hung up");
            return;
        case KDSIM_EV_TIMEOUT:
            if (r->o->wait_ms && now - idle_since > (uint64_t)r->o->wait_ms * 1000000u) {
                if (next_event(r, from) >= 0)
                    snprintf(r->why, sizeof r->why, "%s for %d ms",
                             st == T_RUNNING && s && s->needs_breakin   ? "the debugger did not break in"
                             : st == T_RUNNING && s && s->needs_reset ? "the debugger did not reset the link"
                                                                      : "the debugger sent nothing",
                             r->o->wait_ms);
                return;
            }
            break;
        case KDSIM_EV_BREAKIN:
            idle_since = now;
            break;
        case KDSIM_EV_RESET:
            idle_since = now;
            r->resets++;
            /* §3.5: stopped, the target sends its state change again. */
            if (st == T_STOPPED && stop_step >= 0 && send_step(r, replay_plan_step(r->plan, (size_t)stop_step)) != 0)
                return;
            break;
        case KDSIM_EV_DATA: {
            idle_since = now;
            const kd_msg *m = ev.msg;
            replay_step_kind k = replay_debugger_kind(m);
            if (st == T_STOPPED && k != RP_ANSWER) {
                serve_request(r, m, stop);
                asked_in_stop++;
                if (k == RP_RESUME) {
                    st = T_RUNNING;
                    breakins_at_resume = r->breakins;
                    resets_at_resume = r->resets;
                }
            } else if (st == T_PROMPT && m->type == KD_TYPE_DEBUG_IO) {
                st = T_RUNNING;
            } else {
                r->ignored++; /* a target that runs reads no requests */
            }
            break;
        }
        }
    }
}

/* ------------------------------------------------------------ as debugger */

typedef struct dstate {
    replay_classifier cls;
    size_t events;      /* counting target events seen */
    size_t stop_events; /* state changes seen, new or again */
    int reply_api;      /* the API whose reply we wait for, -1 none */
    int replied;
} dstate;

/* One event from the live target; 0, or -1 when the link is down. */
static int take_event(run *r, dstate *d, int timeout_ms)
{
    kdsim_event ev;
    kdsim_link_recv(r->l, timeout_ms, &ev);
    if (ev.kind == KDSIM_EV_CLOSED) {
        r->hung_up = 1;
        snprintf(r->why, sizeof r->why, "the target hung up");
        return -1;
    }
    if (ev.kind != KDSIM_EV_DATA)
        return 0;
    const kd_msg *m = ev.msg;
    if (m->type == KD_TYPE_STATE_CHANGE32 && replay_plan_width(r->plan) != 32)
        kdsim_link_set_views(r->l, KD_ARCH_X86, 32); /* NT4/2000: 32-bit manipulate from now on */
    replay_event e = replay_classify(&d->cls, m);
    if (replay_event_counts(e))
        d->events++;
    if (e == RP_EV_STOP || e == RP_EV_STOP_AGAIN)
        d->stop_events++;
    if (e == RP_EV_REPLY && d->reply_api >= 0 && m->api == (uint32_t)d->reply_api)
        d->replied = 1;
    return 0;
}

/* Waits until done(d) or --wait passes; 0 done, 1 timeout, -1 link down. */
static int wait_until(run *r, dstate *d, int (*done)(const dstate *, size_t), size_t arg)
{
    uint64_t start = now_ns(0);
    while (!done(d, arg)) {
        if (r->o->wait_ms && now_ns(0) - start > (uint64_t)r->o->wait_ms * 1000000u)
            return 1;
        if (take_event(r, d, 100) != 0)
            return -1;
    }
    return 0;
}

static int have_events(const dstate *d, size_t n)
{
    return d->events >= n;
}

static int have_stop_events(const dstate *d, size_t n)
{
    return d->stop_events >= n;
}

static int have_reply(const dstate *d, size_t n)
{
    (void)n;
    return d->replied;
}

/* The recorded target event the live target has not sent (the (n+1)-th). */
static void missing_event(run *r, size_t n, char *buf, size_t len)
{
    size_t k = 0;
    for (size_t i = 0; i < replay_plan_steps(r->plan); i++) {
        const replay_step *s = replay_plan_step(r->plan, i);
        if (s->kind == RP_TARGET_EVENT && replay_event_counts(s->ev) && k++ == n) {
            char sum[200];
            replay_plan_summary(r->plan, s, sum, sizeof sum);
            snprintf(buf, len, "#%llu %s", (unsigned long long)s->frame, sum);
            return;
        }
    }
    snprintf(buf, len, "?");
}

static void play_steps(run *r, dstate *d);

/* The counts are the live target's, however far the steps got. */
static void play_debugger(run *r)
{
    dstate d = {.reply_api = -1};
    play_steps(r, &d);
    if (r->events_sent < d.events)
        r->events_sent = d.events;
}

static void play_steps(run *r, dstate *dp)
{
#define d (*dp)
    size_t want_events = 0;
    for (size_t i = 0; i < replay_plan_steps(r->plan); i++) {
        const replay_step *s = replay_plan_step(r->plan, i);
        if (r->o->until && s->frame > r->o->until)
            break;
        if (s->kind == RP_TARGET_EVENT && replay_event_counts(s->ev))
            want_events++;
        if (s->kind == RP_TARGET_EVENT || s->kind == RP_REPLY)
            continue;
        int w = wait_until(r, &d, have_events, s->sync);
        if (w < 0 || r->rec_failed)
            return;
        if (r->hung_up)
            return;
        if (w > 0) {
            char sum[256];
            missing_event(r, d.events, sum, sizeof sum);
            list_add(r, "missing", 0, s->stop, sum);
            snprintf(r->why, sizeof r->why, "the target did not send %s within %d ms", sum, r->o->wait_ms);
            return;
        }
        pace(r, s->ts_ns);
        switch (s->kind) {
        case RP_RESET: {
            size_t seen = d.stop_events;
            if (kdsim_link_reset(r->l) != 0) {
                link_down(r);
                return;
            }
            /* The target's state change comes back (§3.5), as recorded. */
            if (s->then_state && wait_until(r, &d, have_stop_events, seen + 1) != 0)
                return;
            break;
        }
        case RP_BREAKIN:
            if (kdsim_link_break_in(r->l) != 0) {
                link_down(r);
                return;
            }
            break;
        case RP_REQUEST:
            d.reply_api = (int)s->api;
            d.replied = 0;
            if (send_step(r, s) != 0)
                return;
            r->asked++;
            w = wait_until(r, &d, have_reply, 0);
            d.reply_api = -1;
            if (w < 0)
                return;
            if (w > 0) {
                char sum[256];
                replay_plan_summary(r->plan, s, sum, sizeof sum);
                list_add(r, "no_reply", s->frame, s->stop, sum);
                r->replies_missing++;
            } else {
                r->replies++;
            }
            break;
        case RP_RESUME:
            if (send_step(r, s) != 0)
                return;
            replay_classifier_resumed(&d.cls);
            r->asked++;
            r->resumes++;
            break;
        default:
            if (send_step(r, s) != 0)
                return;
            break;
        }
        r->steps_done++;
    }
    /* The target events the recording has after the last step. */
    int w = wait_until(r, &d, have_events, want_events);
    r->events_sent = d.events < want_events ? d.events : want_events;
    if (w > 0) {
        char sum[256];
        missing_event(r, d.events, sum, sizeof sum);
        list_add(r, "missing", 0, -1, sum);
        snprintf(r->why, sizeof r->why, "the target did not send %s within %d ms", sum, r->o->wait_ms);
    }
#undef d
}

/* ------------------------------------------------------------ the report */

static void json_str(FILE *f, const char *s)
{
    kd_json_print_string(f, s);
}

static void collect_never_asked(run *r)
{
    for (size_t i = 0; i < replay_plan_steps(r->plan); i++) {
        const replay_step *s = replay_plan_step(r->plan, i);
        if ((s->kind != RP_REQUEST && s->kind != RP_RESUME) || s->used || (r->o->until && s->frame > r->o->until))
            continue;
        r->never_asked++;
        char sum[256];
        replay_plan_summary(r->plan, s, sum, sizeof sum);
        list_add(r, "never_asked", s->frame, s->stop, sum);
    }
}

static void report(run *r, int rc)
{
    FILE *f = r->out;
    const char *st = kd_val_name(kd_vals_ntstatus, r->o->unknown_status);
    if (r->o->json) {
        for (size_t i = 0; i < r->nlist; i++) {
            const listed *x = &r->list[i];
            fprintf(f, "{\"kind\":\"%s\",\"frame\":", x->what);
            if (x->frame)
                fprintf(f, "%llu", (unsigned long long)x->frame);
            else
                fprintf(f, "null");
            fprintf(f, ",\"stop\":%d,\"summary\":", x->stop + 1);
            json_str(f, x->summary);
            fprintf(f, "}\n");
        }
        fprintf(f, "{\"kind\":\"summary\",\"as\":\"%s\"", r->o->as_target ? "target" : "debugger");
        if (r->o->as_target)
            fprintf(f, ",\"requests\":%zu,\"resumes\":%zu,\"matched\":%zu,\"changed\":%zu,\"repeated\":%zu,\"not_recorded\":%zu,"
                       "\"never_asked\":%zu,\"ignored\":%zu",
                    r->asked, r->resumes, r->matched, r->changed, r->repeated, r->unmatched, r->never_asked,
                    r->ignored);
        else
            fprintf(f, ",\"requests\":%zu,\"resumes\":%zu,\"replies\":%zu,\"no_reply\":%zu,\"steps\":%zu,"
                       "\"steps_done\":%zu",
                    r->asked, r->resumes, r->replies, r->replies_missing, r->steps_total, r->steps_done);
        fprintf(f, ",\"events\":%zu,\"events_done\":%zu,\"stopped_early\":", r->events_total, r->events_sent);
        if (r->why[0])
            json_str(f, r->why);
        else
            fprintf(f, "null");
        fprintf(f, ",\"exit\":%d}\n", rc);
        return;
    }
    if (r->o->as_target)
        fprintf(f,
                "replay as target: %zu requests (%zu resumes): %zu as recorded, %zu with other content, %zu repeated, %zu not "
                "recorded (answered %s); %zu recorded requests never asked; %zu ignored while running; %zu of %zu "
                "target events sent\n",
                r->asked, r->resumes, r->matched, r->changed, r->repeated, r->unmatched, st ? st : "?", r->never_asked,
                r->ignored, r->events_sent, r->events_total);
    else
        fprintf(f,
                "replay as debugger: %zu of %zu steps played; %zu requests sent (%zu resumes): %zu answered, "
                "%zu without a reply; the target sent %zu of %zu events\n",
                r->steps_done, r->steps_total, r->asked, r->resumes, r->replies, r->replies_missing, r->events_sent,
                r->events_total);
    for (size_t i = 0; i < r->nlist; i++) {
        const listed *x = &r->list[i];
        const char *label = strcmp(x->what, "not_recorded") == 0 ? "not recorded"
                            : strcmp(x->what, "never_asked") == 0 ? "never asked"
                            : strcmp(x->what, "no_reply") == 0    ? "no reply"
                            : strcmp(x->what, "missing") == 0     ? "not sent by the target"
                                                                  : x->what;
        fprintf(f, "  %s:", label);
        if (x->stop >= 0)
            fprintf(f, " stop %d:", x->stop + 1);
        if (x->frame)
            fprintf(f, " #%llu", (unsigned long long)x->frame);
        fprintf(f, " %s\n", x->summary);
    }
    if (r->why[0])
        fprintf(f, "  stopped early: %s\n", r->why);
}

/* ------------------------------------------------------------ options */

static void usage(FILE *to)
{
    fprintf(to,
            "Usage: %s replay --as target|debugger [OPTION]... SESSION ENDPOINT\n"
            "Play one side of a recorded session against a live peer.\n"
            "\n"
            "  --as target     send the recorded target's state changes; answer each request\n"
            "                  with the recorded reply to the same request (API and key\n"
            "                  fields, as kddiff matches them), in order of appearance\n"
            "  --as debugger   send the recorded debugger's requests in order, each after the\n"
            "                  target's events that came before it; ACK and resend as a debugger\n"
            "  --record FILE   write the new session as kdscope pcapng (kddiff SESSION FILE)\n"
            "  --fixed-clock   timestamps 1 ms apart in --record (reproducible files)\n"
            "  --unknown-status STATUS   the reply to a request never recorded (default\n"
            "                  STATUS_UNSUCCESSFUL; a number or an NTSTATUS name)\n"
            "  --until FRAME   stop after the recording's frame FRAME\n"
            "  --realtime      keep the recorded gaps (default: as fast as the peer allows)\n"
            "  --wait MS       how long to wait for the live peer (default 10000; 0 forever)\n"
            "  --json          the report as JSON Lines: one object per listed request, then\n"
            "                  a summary object\n"
            "  --timeout MS    ACK timeout (default 1000)  --baud N  --quiet\n"
            "  -a, --arch=ARCH, -w, --width=BITS, -d, --direction=DIR   how to read SESSION,\n"
            "                  as kdcat (a raw stream holds one direction: one side)\n"
            "  --kdnet KEY     the live side over KDNET (a.b.c.d): ENDPOINT udp:HOST:PORT\n"
            "                  (--as target: pokes the debugger) or udp-listen:[HOST:]PORT\n"
            "                  (--as debugger); --poke-interval MS (default 3000)\n"
            "  --kdnet-key=KEY, --kdnet-data-key=HEX   decrypt a KDNET SESSION, as kdcat\n"
            "\n"
            "SESSION: any recording kdcat reads.  ENDPOINT: as for kdsim target/debugger.\n"
            "Exit status: 0 the peer did what the recording holds, 1 it differs, 2 bad usage\n"
            "or input, 3 the link failed.\n",
            prog);
}

static int parse_status(const char *arg, uint32_t *out)
{
    char *end;
    unsigned long v = strtoul(arg, &end, 0);
    if (*arg && !*end && v <= UINT32_MAX) {
        *out = (uint32_t)v;
        return 0;
    }
    for (const kd_val *k = kd_vals_ntstatus; k->name; k++)
        if (strcmp(k->name, arg) == 0) {
            *out = k->value;
            return 0;
        }
    fprintf(stderr, "%s: --unknown-status: '%s' is not a number or an NTSTATUS name (STATUS_UNSUCCESSFUL)\n", prog,
            arg);
    return -1;
}

static int parse_ms(const char *opt, const char *arg, int *out)
{
    uint64_t v;
    if (kd_opt_unsigned(prog, arg, 10, 0, 86400000, &v, "--%s: '%s' is not a number of milliseconds", opt, arg) != 0)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_args(int argc, char **argv, ropts *o)
{
    enum { O_AS = 256, O_KDNET_KEY, O_KDNET_DATA_KEY, O_RECORD, O_FIXED, O_UNKNOWN, O_UNTIL, O_REALTIME, O_WAIT, O_JSON, O_TIMEOUT, O_BAUD, O_QUIET, O_KDNET, O_POKE_INTERVAL };
    static const struct option longopts[] = {
        {"as", required_argument, NULL, O_AS},           {"record", required_argument, NULL, O_RECORD},
        {"kdnet-key", required_argument, NULL, O_KDNET_KEY},
        {"kdnet", required_argument, NULL, O_KDNET},     {"poke-interval", required_argument, NULL, O_POKE_INTERVAL},
        {"kdnet-data-key", required_argument, NULL, O_KDNET_DATA_KEY},
        {"fixed-clock", no_argument, NULL, O_FIXED},     {"unknown-status", required_argument, NULL, O_UNKNOWN},
        {"until", required_argument, NULL, O_UNTIL},     {"realtime", no_argument, NULL, O_REALTIME},
        {"wait", required_argument, NULL, O_WAIT},       {"json", no_argument, NULL, O_JSON},
        {"timeout", required_argument, NULL, O_TIMEOUT}, {"baud", required_argument, NULL, O_BAUD},
        {"quiet", no_argument, NULL, O_QUIET},           {"arch", required_argument, NULL, 'a'},
        {"width", required_argument, NULL, 'w'},         {"direction", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (ropts){.unknown_status = KD_STATUS_UNSUCCESSFUL, .wait_ms = 10000, .as_target = -1};
    o->eo.listen_timeout_ms = -1;
    o->so.raw_dir = KD_DIR_UNKNOWN;
    o->ko.handshake_timeout_ms = -1;
    int c;
    optind = 2;
    opterr = 0; /* our own one-line messages */
    while ((c = getopt_long(argc, argv, ":a:w:d:h", longopts, NULL)) != -1) {
        switch (c) {
        case O_AS:
            if (strcmp(optarg, "target") && strcmp(optarg, "debugger")) {
                fprintf(stderr, "%s: replay: --as: '%s' is not target or debugger\n", prog, optarg);
                return 2;
            }
            o->as_target = strcmp(optarg, "target") == 0;
            break;
        case O_RECORD:
            o->record = optarg;
            break;
        case O_KDNET_KEY:
            if (kdsession_parse_kdnet_key(prog, optarg, &o->kdnet) != 0)
                return 2;
            o->so.kdnet = &o->kdnet;
            break;
        case O_KDNET_DATA_KEY:
            if (kdsession_parse_kdnet_data_key(prog, optarg, &o->kdnet) != 0)
                return 2;
            o->so.kdnet = &o->kdnet;
            break;
        case O_KDNET:
            if (kdsim_kdnet_parse_key(prog, optarg, &o->ko) != 0)
                return 2;
            o->live_kdnet = 1;
            break;
        case O_POKE_INTERVAL:
            if (kdsim_kdnet_parse_poke_interval(prog, optarg, &o->ko) != 0)
                return 2;
            break;
        case O_FIXED:
            o->fixed_clock = 1;
            break;
        case O_UNKNOWN:
            if (parse_status(optarg, &o->unknown_status) != 0)
                return 2;
            break;
        case O_UNTIL:
            if (kd_opt_unsigned(prog, optarg, 10, 1, UINT64_MAX, &o->until,
                                "--until: '%s' is not a frame number (from 1)", optarg) != 0)
                return 2;
            break;
        case O_REALTIME:
            o->realtime = 1;
            break;
        case O_WAIT:
            if (parse_ms("wait", optarg, &o->wait_ms) != 0)
                return 2;
            break;
        case O_JSON:
            o->json = 1;
            break;
        case O_TIMEOUT:
            if (parse_ms("timeout", optarg, &o->lo.ack_timeout_ms) != 0)
                return 2;
            break;
        case O_BAUD:
            if (kd_endpoint_baud_option(prog, optarg, &o->eo.baud) != 0)
                return 2;
            break;
        case O_QUIET:
            o->quiet = 1;
            break;
        case 'a':
            if (kdsession_parse_arch(prog, optarg, &o->so.arch) != 0)
                return 2;
            break;
        case 'w':
            if (kdsession_parse_width(prog, optarg, &o->so.width) != 0)
                return 2;
            break;
        case 'd':
            if (kd_dir_parse(optarg, &o->so.raw_dir) != 0 || o->so.raw_dir == KD_DIR_UNKNOWN) {
                fprintf(stderr, "%s: --direction: '%s' is not d2t or t2d\n", prog, optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return kd_opt_complaint(prog, "kdsim replay", c, argv);
        }
    }
    if (o->as_target < 0) {
        fprintf(stderr, "%s: replay: --as target or --as debugger is required\n", prog);
        return 2;
    }
    if (argc - optind != 2) {
        fprintf(stderr, "%s: replay: expected SESSION and ENDPOINT (try '%s replay --help')\n", prog, prog);
        return 2;
    }
    o->session = argv[optind];
    o->endpoint = argv[optind + 1];
    return -1;
}

/* ------------------------------------------------------------ main */

static int plan_add(const kd_msg *m, const kd_annot *a, uint64_t frame, void *user)
{
    replay_plan *p = user;
    if (replay_plan_add(p, m, a, frame) != 0) {
        fprintf(stderr, "%s: replay: out of memory\n", prog);
        exit(2);
    }
    return 0;
}

static ssize_t ep_read(void *ctx, void *buf, size_t n, int timeout_ms)
{
    return kd_endpoint_read(ctx, buf, n, timeout_ms);
}

static int ep_write(void *ctx, const void *buf, size_t n)
{
    return kd_endpoint_write(ctx, buf, n);
}

int kdsim_replay_main(int argc, char **argv)
{
    ropts o;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    char err[512];
    replay_plan *plan = replay_plan_new();
    if (!plan) {
        fprintf(stderr, "%s: replay: out of memory\n", prog);
        return 2;
    }
    if (kdsession_read(o.session, &o.so, plan_add, plan, err, sizeof err) != 0 || replay_plan_finish(plan) != 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, o.session, err);
        replay_plan_free(plan);
        return 2;
    }
    replay_counts cn;
    replay_plan_counts(plan, &cn);
    if (o.as_target && cn.target_events == 0) {
        fprintf(stderr, "%s: %s: no target messages (the target side is missing): nothing to replay as target\n",
                prog, o.session);
        replay_plan_free(plan);
        return 2;
    }
    if (!o.as_target && cn.requests == 0) {
        fprintf(stderr, "%s: %s: no debugger requests: nothing to replay as debugger\n", prog, o.session);
        replay_plan_free(plan);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    static listed list[MAX_LISTED];
    run r = {.o = &o, .plan = plan, .list = list};
    /* --record first: a file that cannot be written fails before any
     * endpoint (a pty, a listening socket) exists. */
    if (tap_open(&r, argc, argv) != 0) {
        replay_plan_free(plan);
        return 2;
    }
    kd_endpoint *ep = NULL;
    kdsim_kdnet *kn = NULL;
    if (o.live_kdnet) {
        /* KDNET: the serial link over datagrams (kdnet_io.h), as kdsim target/debugger. */
        o.ko.role = o.as_target ? KDSIM_TARGET : KDSIM_DEBUGGER;
        o.ko.spec = o.endpoint;
        int fail = 0;
        if (!(kn = kdsim_kdnet_open(&o.ko, err, sizeof err)))
            fail = 2;
        else if (kdsim_kdnet_handshake(kn, err, sizeof err) != 0)
            fail = 3;
        if (fail) {
            fprintf(stderr, "%s: %s\n", prog, err);
            kdsim_kdnet_close(kn);
            tap_close(&r);
            replay_plan_free(plan);
            return fail;
        }
        if (!o.quiet)
            fprintf(stderr, "%s: KDNET: handshake done on %s\n", prog, o.endpoint);
    } else if (!(ep = kd_endpoint_open(o.endpoint, &o.eo, err, sizeof err))) {
        fprintf(stderr, "%s: %s\n", prog, err);
        tap_close(&r);
        replay_plan_free(plan);
        return 2;
    }
    if (ep && kd_endpoint_pty_path(ep)) {
        fprintf(stderr, "%s: pty: %s\n", prog, kd_endpoint_pty_path(ep));
        fflush(stderr);
    }
    r.out = strcmp(o.endpoint, "-") == 0 ? stderr : stdout;
    r.in_dir = o.as_target ? KD_DIR_D2T : KD_DIR_T2D;
    r.events_total = cn.target_events;
    r.steps_total = cn.debugger_steps;
    o.lo.role = o.as_target ? KDSIM_TARGET : KDSIM_DEBUGGER;
    o.lo.tap = tap;
    o.lo.tap_user = &r;
    kdsim_io io = kn ? kdsim_kdnet_io(kn) : (kdsim_io){ep_read, ep_write, ep};
    r.l = kdsim_link_new(&io, &o.lo);
    if (!r.l) {
        fprintf(stderr, "%s: replay: out of memory\n", prog);
        return 2;
    }
    kdsim_link_set_views(r.l, replay_plan_arch(plan), replay_plan_width(plan));
    if (o.as_target) {
        play_target(&r);
        collect_never_asked(&r);
        r.differs = r.changed || r.repeated || r.unmatched || r.never_asked || r.events_sent < r.events_total;
    } else {
        play_debugger(&r);
        if (o.until) { /* the totals of the part played */
            r.steps_total = r.events_total = 0;
            for (size_t i = 0; i < replay_plan_steps(plan); i++) {
                const replay_step *s = replay_plan_step(plan, i);
                if (s->frame > o.until)
                    break;
                r.events_total += s->kind == RP_TARGET_EVENT && replay_event_counts(s->ev);
                r.steps_total += s->kind != RP_TARGET_EVENT && s->kind != RP_REPLY;
            }
        }
        r.differs = r.replies_missing || r.steps_done < r.steps_total || r.events_sent < r.events_total;
    }
    if (tap_close(&r) != 0)
        r.rec_failed = 1;
    if (r.hung_up && !r.why[0] && (r.differs || !o.as_target))
        snprintf(r.why, sizeof r.why, "the %s hung up", o.as_target ? "debugger" : "target");
    rc = r.rec_failed || r.link_failed ? 3 : r.differs || r.why[0] ? 1 : 0;
    if (r.link_failed && !r.why[0])
        snprintf(r.why, sizeof r.why, "the link failed (no ACK after the retries)");
    report(&r, rc);
    fflush(r.out);
    if (!o.quiet) {
        kdsim_link_stats st;
        kdsim_link_get_stats(r.l, &st);
        fprintf(stderr,
                "%s: replay: %llu packets sent, %llu retransmitted, %llu RESENDs sent, %llu duplicates, %llu resets\n",
                prog, (unsigned long long)st.sent, (unsigned long long)st.retransmitted,
                (unsigned long long)st.resends_sent, (unsigned long long)st.duplicates, (unsigned long long)st.resets);
    }
    kdsim_link_free(r.l);
    kd_endpoint_close(ep);
    kdsim_kdnet_close(kn);
    replay_plan_free(plan);
    return rc;
}
