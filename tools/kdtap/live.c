/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * live.c - decode, track and summarise items as they are recorded (live.h).
 */
#include "live.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kdparse/decode.h"
#include "kdparse/step.h"

struct kdtap_live {
    FILE *lines;
    kd_step *step;
    int have_t0;
    uint64_t t0_ns;
    char last[2][48];
    kd_msg msg; /* large: one, reused */
};

kdtap_live *kdtap_live_new(FILE *lines, kd_arch arch, uint8_t width)
{
    kdtap_live *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    kd_tracker_opts to = {.arch = arch, .width = width};
    l->step = kd_step_new(&to);
    if (!l->step) {
        free(l);
        return NULL;
    }
    l->lines = lines;
    return l;
}

void kdtap_live_free(kdtap_live *l)
{
    if (!l)
        return;
    kd_step_free(l->step);
    free(l);
}

/* The last message of a direction, named as kdcat's summary line names it
 * (its first word: "ReadVirtualMemory", "LoadSymbols", "DbgPrint", ...). */
static void note_api(kdtap_live *l, const kd_item *it, const char *summary)
{
    if (it->kind != KD_ITEM_DATA || it->dir > KD_DIR_T2D)
        return;
    size_t len = strcspn(summary, " ");
    snprintf(l->last[it->dir], sizeof l->last[0], "%.*s", (int)len, summary);
}

void kdtap_live_item(kdtap_live *l, const kd_item *it, uint64_t record)
{
    /* Our pcapng: one item per record. */
    kd_annot a;
    kd_step_item(l->step, it, kd_step_key(record, 0), &l->msg, &a);
    kd_step_links_to_frames(&a);
    char line[1024];
    kd_msg_summary(&l->msg, &a, line, sizeof line);
    note_api(l, it, line);
    if (!l->lines)
        return;
    if (!l->have_t0) {
        l->have_t0 = 1;
        l->t0_ns = it->ts_ns;
    }
    uint64_t rel = it->ts_ns >= l->t0_ns ? it->ts_ns - l->t0_ns : 0;
    fprintf(l->lines, "%6" PRIu64 " %" PRIu64 ".%09" PRIu64 " %s  %s\n", record, rel / 1000000000u,
            rel % 1000000000u, kd_dir_name(it->dir), line);
    fflush(l->lines);
}

const char *kdtap_live_last_api(const kdtap_live *l, kd_dir dir)
{
    return dir <= KD_DIR_T2D ? l->last[dir] : "";
}
