/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * replay_match.h - a recorded session as what each side did (the plan), and
 * the matcher that answers a live debugger's request with the recorded
 * reply (kdsim replay, replay.c).  No I/O: messages in, decisions out.
 *
 * The plan is the session's delivered messages (kd_delivered_copy: no
 * damaged copies, retransmissions, duplicates or ACKs) as steps, in order:
 *
 *   target events   what the target sent on its own: a state change that
 *                   stops it (a "stop"; one re-sent after a RESET in the
 *                   same stop is not a new one), a DbgPrint, a DbgPrompt
 *                   (the target then waits for the answer), other I/O;
 *   replies         the target's replies, each linked to its request;
 *   debugger steps  requests (manipulate packets that get a reply),
 *                   resumes (Continue, Continue2, ...: no reply, the target
 *                   runs), prompt answers and other debugger data,
 *                   break-ins, RESETs.
 *
 * Each debugger step carries "sync": how many target events came before it,
 * so a replayed debugger sends it after the live target has sent as many
 * (replay_classifier counts them the same way live).  A stop that the
 * debugger's break-in caused carries needs_breakin, so a replayed target
 * waits for the live debugger's break-in before sending it (one sent after
 * the target answered a RESET, needs_reset, for the RESET); a target event
 * sent while stopped carries "dsync", the requests of its stop before it.
 *
 * Matching (replay_plan_match): a live request, asked while the replayed
 * target is in stop k, is answered from the requests recorded in stop k of
 * the same identity (kdparse/identity.h: API and key fields), in order of
 * appearance: the first one not used yet with the same content, else the
 * first one not used yet (the debugger asked the same thing differently,
 * e.g. another length: "changed"), else the last one used again
 * ("repeated").  None: "unmatched" (the caller answers with a status).
 * So a debugger that asks what the recording holds in the same order gets
 * the recorded replies in order, byte for byte; in another order, still the
 * reply to its own request.
 */
#ifndef KDSIM_REPLAY_MATCH_H
#define KDSIM_REPLAY_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "kdparse/decode.h"
#include "kdparse/identity.h"
#include "kdparse/tracker.h"

typedef enum replay_step_kind {
    RP_TARGET_EVENT,
    RP_REPLY,
    RP_REQUEST,
    RP_RESUME,
    RP_ANSWER,  /* debugger data that is not a manipulate request (a prompt's answer) */
    RP_BREAKIN,
    RP_RESET
} replay_step_kind;

/* What a message from the target is, for both the plan and a live link. */
typedef enum replay_event {
    RP_EV_STOP,        /* a state change while running: the target stops */
    RP_EV_STOP_AGAIN,  /* a state change while stopped (after a RESET) */
    RP_EV_PRINT,
    RP_EV_PROMPT,
    RP_EV_OTHER,       /* other target I/O (file, trace) */
    RP_EV_REPLY        /* a manipulate reply */
} replay_event;

/* Counts target events the way the plan does.  Zero it to start (the target
 * is running: it boots). */
typedef struct replay_classifier {
    int stopped;
} replay_classifier;

/* A data message from the target. */
replay_event replay_classify(replay_classifier *c, const kd_msg *m);
/* The debugger resumed the target. */
void replay_classifier_resumed(replay_classifier *c);
/* Whether a target event counts in "sync" (everything but STOP_AGAIN and REPLY). */
int replay_event_counts(replay_event e);
/* A data message from the debugger: RP_REQUEST, RP_RESUME or RP_ANSWER. */
replay_step_kind replay_debugger_kind(const kd_msg *m);

typedef struct replay_step {
    replay_step_kind kind;
    replay_event ev;        /* RP_TARGET_EVENT, RP_REPLY */
    uint64_t frame, ts_ns;
    size_t off, len;        /* the recorded bytes in the plan */
    kd_item_kind item_kind;
    kd_dir dir;
    uint16_t type;
    uint32_t api;
    int stop;               /* the stop it happened in (-1: before the first) */
    uint32_t sync;          /* debugger steps: target events before it */
    int needs_breakin;      /* RP_EV_STOP: the debugger broke in to cause it */
    int needs_reset;        /* RP_EV_STOP: the target answered a RESET before it */
    int in_stop;            /* target events: sent while stopped (a DbgPrint between requests) */
    uint32_t dsync;         /* in_stop events: requests of the stop before it */
    int then_state;         /* RP_RESET: the target's state change came back before the next step */
    kd_identity id;         /* requests and resumes */
    long reply;             /* requests: step index of the recorded reply, -1 none */
    long next_same;         /* requests: the next one of this stop and identity, -1 */
    int used;               /* requests: times the matcher answered with it */
} replay_step;

typedef struct replay_plan replay_plan;

replay_plan *replay_plan_new(void);
void replay_plan_free(replay_plan *p);
/* Adds the next message of the recording (kdsession's callback order).
 * 0, or -1 when out of memory or the recording exceeds the plan's caps. */
int replay_plan_add(replay_plan *p, const kd_msg *m, const kd_annot *a, uint64_t frame);
/* After the last message: builds the matcher's index.  0 or -1 (memory). */
int replay_plan_finish(replay_plan *p);

size_t replay_plan_steps(const replay_plan *p);
const replay_step *replay_plan_step(const replay_plan *p, size_t i);
const uint8_t *replay_plan_bytes(const replay_plan *p, const replay_step *s);
/* The views the recording was decoded with (its arch and width). */
kd_arch replay_plan_arch(const replay_plan *p);
uint8_t replay_plan_width(const replay_plan *p);

typedef struct replay_counts {
    size_t target_events; /* counting ones */
    size_t stops;
    size_t requests;      /* requests + resumes */
    size_t debugger_steps;
} replay_counts;
void replay_plan_counts(const replay_plan *p, replay_counts *out);

typedef enum replay_match_kind { RP_MATCHED, RP_CHANGED, RP_REPEATED, RP_UNMATCHED } replay_match_kind;

typedef struct replay_match {
    replay_match_kind kind;
    long request;  /* the recorded request's step index, -1 when unmatched */
    long reply;    /* its recorded reply, -1 when it had none */
} replay_match;

/* Answers live (a request or resume from the debugger) while the target is
 * in stop; marks the recorded request used. */
replay_match replay_plan_match(replay_plan *p, int stop, const kd_msg *live);

/* A one-line summary of a step's recorded message (kd_msg_summary). */
void replay_plan_summary(const replay_plan *p, const replay_step *s, char *buf, size_t n);

#endif
