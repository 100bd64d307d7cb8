/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * status.c - the live status line and the exit totals (status.h).
 */
#include "status.h"

#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define REDRAW_NS 250000000ull

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void kdtap_human_bytes(char *out, size_t n, uint64_t b)
{
    if (b < 1000)
        snprintf(out, n, "%" PRIu64 " B", b);
    else if (b < 1000000)
        snprintf(out, n, "%.1f kB", (double)b / 1e3);
    else if (b < 1000000000)
        snprintf(out, n, "%.2f MB", (double)b / 1e6);
    else
        snprintf(out, n, "%.2f GB", (double)b / 1e9);
}

void kdtap_status_init(kdtap_status *s, int enabled)
{
    memset(s, 0, sizeof *s);
    s->enabled = enabled;
    s->start_ns = mono_ns();
}

/* One direction's part at a level of detail: 0 everything, 1 without the
 * last API, 2 without the bytes, 3 the packets and bad checksums, 4 the
 * packets alone. */
static void dir_part(char *out, size_t n, int level, const char *label, const kdtap_counts *c, const char *api)
{
    char b[32];
    kdtap_human_bytes(b, sizeof b, c->bytes);
    if (level == 0)
        snprintf(out, n, "%s %s %" PRIu64 " pkt %" PRIu64 " bad %" PRIu64 " resend%s%s", label, b, c->packets,
                 c->bad_checksums, c->resends, api[0] ? " " : "", api);
    else if (level == 1)
        snprintf(out, n, "%s %s %" PRIu64 " pkt %" PRIu64 " bad %" PRIu64 " resend", label, b, c->packets,
                 c->bad_checksums, c->resends);
    else if (level == 2)
        snprintf(out, n, "%s %" PRIu64 " pkt %" PRIu64 " bad %" PRIu64 " resend", label, c->packets,
                 c->bad_checksums, c->resends);
    else if (level == 3)
        snprintf(out, n, "%s %" PRIu64 " pkt %" PRIu64 " bad", label, c->packets, c->bad_checksums);
    else
        snprintf(out, n, "%s %" PRIu64, label, c->packets);
}

size_t kdtap_status_format(char *line, size_t n, unsigned cols, uint64_t secs, const kdtap_counts *t2d,
                           const char *t2d_api, const kdtap_counts *d2t, const char *d2t_api)
{
    if (!n)
        return 0;
    size_t room = cols > 1 ? cols - 1 : SIZE_MAX; /* one line: never wrap */
    size_t len = 0;
    for (int level = 0; level <= 4; level++) {
        char a[200], b[200];
        dir_part(a, sizeof a, level, "t2d", t2d, t2d_api);
        dir_part(b, sizeof b, level, "d2t", d2t, d2t_api);
        int k = snprintf(line, n, "kdtap: %" PRIu64 ":%02" PRIu64 ":%02" PRIu64 "  %s | %s", secs / 3600,
                         secs / 60 % 60, secs % 60, a, b);
        len = k < 0 ? 0 : (size_t)k >= n ? n - 1 : (size_t)k;
        if (len <= room)
            return len;
        /* The shortest forms drop the prefix before they drop a direction. */
        if (level >= 2) {
            k = snprintf(line, n, "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64 " %s | %s", secs / 3600, secs / 60 % 60,
                         secs % 60, a, b);
            len = k < 0 ? 0 : (size_t)k >= n ? n - 1 : (size_t)k;
            if (len <= room)
                return len;
        }
    }
    if (len > room)
        len = room;
    line[len] = '\0';
    return len;
}

void kdtap_status_tick(kdtap_status *s, const kdtap_rec *r, const kdtap_live *l, int force)
{
    if (!s->enabled)
        return;
    uint64_t now = mono_ns();
    if (!force && s->visible && now - s->last_ns < REDRAW_NS)
        return;
    s->last_ns = now;
    struct winsize ws;
    unsigned cols = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
    char line[512];
    size_t len = kdtap_status_format(line, sizeof line, cols, (now - s->start_ns) / 1000000000u,
                                     kdtap_rec_counts(r, KD_DIR_T2D), l ? kdtap_live_last_api(l, KD_DIR_T2D) : "",
                                     kdtap_rec_counts(r, KD_DIR_D2T), l ? kdtap_live_last_api(l, KD_DIR_D2T) : "");
    fprintf(stderr, "\r%.*s\033[K", (int)len, line);
    fflush(stderr);
    s->visible = 1;
}

void kdtap_status_hide(kdtap_status *s)
{
    if (!s->visible)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    s->visible = 0;
}

void kdtap_status_summary(FILE *out, const kdtap_rec *r, const char *const names[2], uint64_t dropped[2])
{
    static const kd_dir order[2] = {KD_DIR_T2D, KD_DIR_D2T};
    for (int i = 0; i < 2; i++) {
        kd_dir d = order[i];
        const kdtap_counts *c = kdtap_rec_counts(r, d);
        fprintf(out, "kdtap: %s (%s): %" PRIu64 " bytes, %" PRIu64 " packets, %" PRIu64 " checksum error%s, %" PRIu64
                " resend%s", kd_dir_name(d), names[d] ? names[d] : "?", c->bytes, c->packets, c->bad_checksums,
                c->bad_checksums == 1 ? "" : "s", c->resends, c->resends == 1 ? "" : "s");
        if (c->truncated)
            fprintf(out, ", %" PRIu64 " truncated", c->truncated);
        if (c->noise_bytes)
            fprintf(out, ", %" PRIu64 " bytes of noise", c->noise_bytes);
        if (dropped && dropped[d])
            fprintf(out, ", %" PRIu64 " bytes not forwarded (the other side was gone)", dropped[d]);
        fputc('\n', out);
    }
    unsigned files = kdtap_rec_file_count(r);
    if (files > 1)
        fprintf(out, "kdtap: %" PRIu64 " records in %u files, the last %s\n", kdtap_rec_records(r), files,
                kdtap_rec_path(r));
    else
        fprintf(out, "kdtap: %" PRIu64 " records in %s\n", kdtap_rec_records(r), kdtap_rec_path(r));
    fflush(out);
}
