/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "stats.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kdparse/decode.h"

/* Slots for the table's ApiNumbers, first to last (the unassigned gap
 * gets slots too: a number there is counted under its own value). */
#define API_FIRST KD_API_READ_VIRTUAL_MEMORY
#define API_LAST KD_API_SET_CONTEXT_EX
#define N_API (API_LAST - API_FIRST + 2) /* the last slot: APIs outside the table */
#define SUB 8                            /* histogram buckets per power of two (~9% wide) */
#define N_BUCKET (64 * SUB)

/* The first EXACT response times of an API are kept as they are: with no
 * more than that, percentiles are exact (p50 of {2, 2, 4} ms is 2 ms);
 * beyond, they come from the histogram (within a bucket's width, ~9%). */
#define EXACT 64

typedef struct api_times {
    uint64_t count;
    uint64_t max;
    uint64_t exact[EXACT];
    uint32_t hist[N_BUCKET];
} api_times;

struct kdcat_stats {
    uint64_t items, kinds[5], types[KD_TYPE_MAX + 1];
    uint64_t api_requests[N_API], states[4];
    uint64_t bad_checksum, trailer, oversize, resends, resets, retransmissions, duplicates;
    uint64_t unexpected_id, no_response, error_status, unknown;
    api_times times[N_API];
};

kdcat_stats *kdcat_stats_new(void)
{
    return calloc(1, sizeof(kdcat_stats));
}

void kdcat_stats_free(kdcat_stats *s)
{
    free(s);
}

static unsigned api_slot(uint32_t api)
{
    return api >= API_FIRST && api <= API_LAST ? api - API_FIRST : N_API - 1;
}

/* Log-linear bucket of a duration: exponent, then SUB steps within it. */
static unsigned bucket(uint64_t ns)
{
    if (ns < SUB)
        return (unsigned)ns;
    unsigned e = 63 - (unsigned)__builtin_clzll(ns);
    unsigned frac = (unsigned)((ns >> (e - 3)) & (SUB - 1));
    return (e - 2) * SUB + frac;
}

/* The largest duration that falls in bucket b (its upper edge). */
static uint64_t bucket_high(unsigned b)
{
    if (b < SUB)
        return b;
    unsigned e = b / SUB + 2, frac = b % SUB;
    return ((uint64_t)(SUB + frac + 1) << (e - 3)) - 1;
}

void kdcat_stats_add(kdcat_stats *s, const kd_msg *m, const kd_annot *a)
{
    const kd_item *it = m->item;
    s->items++;
    s->kinds[it->kind]++;
    if (it->has_header && it->kind != KD_ITEM_TRUNCATED)
        s->types[it->type <= KD_TYPE_MAX ? it->type : KD_TYPE_MAX]++;
    s->bad_checksum += !!(it->flags & KD_ITEM_BAD_CHECKSUM);
    s->trailer += !!(it->flags & (KD_ITEM_TRAILER_BAD | KD_ITEM_TRAILER_MISSING));
    s->oversize += !!(it->flags & KD_ITEM_OVERSIZE);
    s->unknown += !!(m->problems & (KD_DECODE_UNKNOWN_API | KD_DECODE_UNKNOWN_TYPE));
    if (it->kind == KD_ITEM_DATA && (it->type == KD_TYPE_STATE_CHANGE64 || it->type == KD_TYPE_STATE_CHANGE32))
        s->states[m->api >= 0x3030 && m->api <= 0x3032 ? m->api - 0x3030 : 3]++;
    if (a) {
        s->resends += !!(a->problems & KD_TRACK_RESEND);
        s->resets += !!(a->problems & KD_TRACK_RESET);
        s->retransmissions += !!(a->problems & KD_TRACK_RETRANSMISSION);
        s->duplicates += !!(a->problems & KD_TRACK_DUPLICATE);
        s->unexpected_id += !!(a->problems & KD_TRACK_UNEXPECTED_ID);
        s->no_response += !!(a->problems & KD_TRACK_NO_RESPONSE);
        s->error_status += !!(a->problems & KD_TRACK_ERROR_STATUS);
    }
    if (it->kind != KD_ITEM_DATA || it->type != KD_TYPE_STATE_MANIPULATE)
        return;
    /* Count each request once; a reply counts when it is linked, even if
     * it was a retransmission (the first copy may have been corrupted). */
    if (!m->is_response && !(a && (a->retransmission_of || a->duplicate_of)))
        s->api_requests[api_slot(m->api)]++;
    else if (a && a->request_in) {
        api_times *t = &s->times[api_slot(a->request_api)];
        if (t->count < EXACT)
            t->exact[t->count] = a->response_time_ns;
        t->count++;
        if (a->response_time_ns > t->max)
            t->max = a->response_time_ns;
        t->hist[bucket(a->response_time_ns)]++;
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The nearest-rank percentile p (0.5: the median) of t's response times. */
static uint64_t percentile(const api_times *t, double p)
{
    uint64_t want = (uint64_t)((double)t->count * p + 0.999999), seen = 0;
    if (want == 0)
        want = 1;
    if (t->count <= EXACT) {
        uint64_t v[EXACT];
        memcpy(v, t->exact, t->count * sizeof v[0]);
        qsort(v, t->count, sizeof v[0], cmp_u64);
        return v[want - 1];
    }
    for (unsigned b = 0; b < N_BUCKET; b++) {
        seen += t->hist[b];
        if (seen >= want) {
            uint64_t v = bucket_high(b);
            return v < t->max ? v : t->max;
        }
    }
    return t->max;
}

static const char *api_name(unsigned slot)
{
    if (slot == N_API - 1)
        return "(other)";
    const char *n = kd_val_name(kd_vals_api_short, API_FIRST + slot);
    return n ? n : "(unassigned)";
}

void kdcat_stats_print(const kdcat_stats *s, FILE *out)
{
    fprintf(out, "Items: %" PRIu64 "\n", s->items);
    static const char *const kinds[] = {"data", "control", "breakin", "noise", "truncated"};
    for (int k = 0; k < 5; k++)
        if (s->kinds[k])
            fprintf(out, "  %-10s %10" PRIu64 "\n", kinds[k], s->kinds[k]);
    fprintf(out, "\nPackets by type:\n");
    for (int t = 0; t <= KD_TYPE_MAX; t++) {
        if (!s->types[t])
            continue;
        const char *n = kd_packet_type_name((uint32_t)t);
        fprintf(out, "  %-18s %10" PRIu64 "\n", t < KD_TYPE_MAX && n ? n : "(unknown)", s->types[t]);
    }
    static const char *const states[] = {"Exception", "LoadSymbols", "CommandString", "(other)"};
    int any = 0;
    for (int k = 0; k < 4; k++) {
        if (!s->states[k])
            continue;
        if (!any++)
            fprintf(out, "\nState changes:\n");
        fprintf(out, "  %-18s %10" PRIu64 "\n", states[k], s->states[k]);
    }
    any = 0;
    for (unsigned i = 0; i < N_API; i++) {
        const api_times *t = &s->times[i];
        if (!s->api_requests[i] && !t->count)
            continue;
        if (!any++)
            fprintf(out, "\nManipulate APIs:          requests  replies     p50 ms     p95 ms     max ms\n");
        fprintf(out, "  %-24s %8" PRIu64 " %8" PRIu64, api_name(i), s->api_requests[i], t->count);
        if (t->count)
            fprintf(out, " %10.3f %10.3f %10.3f\n", (double)percentile(t, 0.50) / 1e6,
                    (double)percentile(t, 0.95) / 1e6, (double)t->max / 1e6);
        else
            fprintf(out, " %10s %10s %10s\n", "-", "-", "-");
    }
    fprintf(out, "\nProblems:\n");
    fprintf(out, "  %-18s %10" PRIu64 "\n", "checksum errors", s->bad_checksum);
    fprintf(out, "  %-18s %10" PRIu64 "\n", "trailer errors", s->trailer);
    fprintf(out, "  %-18s %10" PRIu64 "\n", "oversize", s->oversize);
    fprintf(out, "  %-18s %10" PRIu64 "\n", "resends", s->resends);
    fprintf(out, "  %-18s %10" PRIu64 "\n", "resets", s->resets);
    fprintf(out, "  %-18s %10" PRIu64 "\n", "retransmissions", s->retransmissions);
    fprintf(out, "  %-18s %10" PRIu64 "\n", "duplicates", s->duplicates);
    fprintf(out, "  %-18s %10" PRIu64 "\n", "unexpected ids", s->unexpected_id);
    fprintf(out, "  %-18s %10" PRIu64 "\n", "no response", s->no_response);
    fprintf(out, "  %-18s %10" PRIu64 "\n", "error status", s->error_status);
    fprintf(out, "  %-18s %10" PRIu64 "\n", "unknown type/API", s->unknown);
}

/* --stats --json: the same figures as one JSON object (times in ns). */
void kdcat_stats_print_json(const kdcat_stats *s, FILE *out)
{
    fprintf(out, "{\"items\":%" PRIu64 ",\"kinds\":{", s->items);
    static const char *const kinds[] = {"data", "control", "breakin", "noise", "truncated"};
    int any = 0;
    for (int k = 0; k < 5; k++)
        if (s->kinds[k])
            fprintf(out, "%s\"%s\":%" PRIu64, any++ ? "," : "", kinds[k], s->kinds[k]);
    fputs("},\"types\":{", out);
    any = 0;
    for (int t = 0; t <= KD_TYPE_MAX; t++) {
        if (!s->types[t])
            continue;
        const char *n = kd_packet_type_name((uint32_t)t);
        fprintf(out, "%s", any++ ? "," : "");
        kd_json_print_string(out, t < KD_TYPE_MAX && n ? n : "(unknown)");
        fprintf(out, ":%" PRIu64, s->types[t]);
    }
    fputs("},\"state_changes\":{", out);
    static const char *const states[] = {"Exception", "LoadSymbols", "CommandString", "(other)"};
    any = 0;
    for (int k = 0; k < 4; k++)
        if (s->states[k])
            fprintf(out, "%s\"%s\":%" PRIu64, any++ ? "," : "", states[k], s->states[k]);
    fputs("},\"apis\":[", out);
    any = 0;
    for (unsigned i = 0; i < N_API; i++) {
        const api_times *t = &s->times[i];
        if (!s->api_requests[i] && !t->count)
            continue;
        fprintf(out, "%s{\"api\":", any++ ? "," : "");
        kd_json_print_string(out, api_name(i));
        fprintf(out, ",\"requests\":%" PRIu64 ",\"replies\":%" PRIu64, s->api_requests[i], t->count);
        if (t->count)
            fprintf(out, ",\"p50_ns\":%" PRIu64 ",\"p95_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64,
                    percentile(t, 0.50), percentile(t, 0.95), t->max);
        fputc('}', out);
    }
    fprintf(out,
            "],\"problems\":{\"checksum_errors\":%" PRIu64 ",\"trailer_errors\":%" PRIu64 ",\"oversize\":%" PRIu64
            ",\"resends\":%" PRIu64 ",\"resets\":%" PRIu64 ",\"retransmissions\":%" PRIu64 ",\"duplicates\":%" PRIu64
            ",\"unexpected_ids\":%" PRIu64 ",\"no_response\":%" PRIu64 ",\"error_status\":%" PRIu64
            ",\"unknown_type_api\":%" PRIu64 "}}\n",
            s->bad_checksum, s->trailer, s->oversize, s->resends, s->resets, s->retransmissions, s->duplicates,
            s->unexpected_id, s->no_response, s->error_status, s->unknown);
}
