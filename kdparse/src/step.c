/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * step.c - decode with the session's beliefs, then track (step.h).
 */
#include "kdparse/step.h"

#include <stdlib.h>

struct kd_step {
    kd_tracker *tracker;
};

kd_step *kd_step_new(const kd_tracker_opts *opts)
{
    kd_step *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->tracker = kd_tracker_new(opts);
    if (!s->tracker) {
        free(s);
        return NULL;
    }
    return s;
}

void kd_step_free(kd_step *s)
{
    if (!s)
        return;
    kd_tracker_free(s->tracker);
    free(s);
}

/* Returns the architecture it decoded with. */
static inline kd_arch decode_now(const kd_step *s, const kd_item *item, uint64_t key, kd_msg *m)
{
    /* The tracker holds the forced arch/width, else what it has learned. */
    kd_decode_opts o = {.arch = kd_tracker_arch(s->tracker), .width = kd_tracker_width(s->tracker)};
    kd_decode(item, &o, m);
    m->track.frame = key;
    return o.arch;
}

void kd_step_decode(const kd_step *s, const kd_item *item, uint64_t key, kd_msg *m)
{
    decode_now(s, item, key, m);
}

int kd_step_item(kd_step *s, const kd_item *item, uint64_t key, kd_msg *m, kd_annot *a)
{
    kd_arch before = decode_now(s, item, key, m);
    kd_tracker_add(s->tracker, &m->track, a);
    /* An annotation carries the tracker's belief after the item. */
    return before == KD_ARCH_UNKNOWN && (a ? a->arch : kd_tracker_arch(s->tracker)) != KD_ARCH_UNKNOWN;
}

void kd_step_redecode(const kd_step *s, kd_msg *m)
{
    uint64_t key = m->track.frame;
    kd_decode_opts o = {.arch = kd_tracker_arch(s->tracker), .width = m->width};
    kd_decode(m->item, &o, m);
    m->track.frame = key;
}

const kd_annot *kd_step_get(const kd_step *s, uint64_t key)
{
    return kd_tracker_get(s->tracker, key);
}

int kd_step_pending(const kd_step *s, uint64_t key)
{
    return kd_tracker_pending(s->tracker, key);
}

void kd_step_finish(kd_step *s)
{
    kd_tracker_finish(s->tracker);
}

kd_arch kd_step_arch(const kd_step *s)
{
    return kd_tracker_arch(s->tracker);
}

uint8_t kd_step_width(const kd_step *s)
{
    return kd_tracker_width(s->tracker);
}
