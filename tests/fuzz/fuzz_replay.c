/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for kdsim replay's plan and matcher: the input is a
 * whole capture (pcapng or raw), read through kdsession from a memory file
 * as kdsim replay reads SESSION.  Besides memory safety it checks the
 * matcher's promise and aborts when it breaks: asked in the recorded order,
 * in its stop, every recorded request matches itself, with its own reply;
 * asked once more, it is repeated; and the plan's counts add up.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kdsession.h"
#include "replay_match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int add(const kd_msg *m, const kd_annot *a, uint64_t frame, void *user)
{
    if (replay_plan_add(user, m, a, frame) != 0)
        abort(); /* inputs are far below the plan's caps */
    return 0;
}

static kd_msg g_msg;

static const kd_msg *decoded(const replay_plan *p, const replay_step *s)
{
    static kd_item it;
    it = kd_item_from_bytes(replay_plan_bytes(p, s), s->len, s->item_kind, 0, s->dir);
    kd_decode_opts o = {.arch = replay_plan_arch(p), .width = replay_plan_width(p)};
    kd_decode(&it, &o, &g_msg);
    return &g_msg;
}

/* One memory file for every input, emptied and written again: its name
 * opens it afresh (its own offset) each time kdsession reads it. */
static int fd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fd < 0) {
        fd = memfd_create("fuzz_replay", MFD_CLOEXEC);
        if (fd < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
        abort();
    char err[256];
    replay_plan *p = replay_plan_new();
    if (!p)
        abort();
    kdsession_opts o = {.raw_dir = KD_DIR_T2D};
    if (kdsession_read(path, &o, add, p, err, sizeof err) != 0 || replay_plan_finish(p) != 0) {
        replay_plan_free(p);
        return 0;
    }
    replay_counts c;
    replay_plan_counts(p, &c);
    size_t requests = 0, events = 0;
    char line[256];
    for (size_t i = 0; i < replay_plan_steps(p); i++) {
        const replay_step *s = replay_plan_step(p, i);
        replay_plan_summary(p, s, line, sizeof line);
        if (s->kind == RP_TARGET_EVENT && replay_event_counts(s->ev))
            events++;
        if (s->kind != RP_REQUEST && s->kind != RP_RESUME)
            continue;
        requests++;
        if (s->reply >= 0 && replay_plan_step(p, (size_t)s->reply)->kind != RP_REPLY)
            abort();
        replay_match m = replay_plan_match(p, s->stop, decoded(p, s));
        if (m.kind != RP_MATCHED || m.request != (long)i || m.reply != s->reply)
            abort();
    }
    if (requests != c.requests || events != c.target_events)
        abort();
    /* Everything used: asking the last request again repeats one. */
    for (size_t i = replay_plan_steps(p); i-- > 0;) {
        const replay_step *s = replay_plan_step(p, i);
        if (s->kind != RP_REQUEST && s->kind != RP_RESUME)
            continue;
        if (replay_plan_match(p, s->stop, decoded(p, s)).kind != RP_REPEATED)
            abort();
        break;
    }
    replay_plan_free(p);
    return 0;
}
