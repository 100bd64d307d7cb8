/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kddiff - compare two kernel-debugging sessions message by message.
 *
 * Pass 1 reads each session into compact records: which message it is
 * (direction, packet type, API or state, and the key fields of that API:
 * the "identity") and a hash of every compared field (the "content").
 * Transport noise (ACKs, RESENDs, RESETs, retransmissions, duplicates,
 * break-ins, noise) and varying fields (ids, checksums, times) are left out
 * unless --transport.  Myers' diff aligns the identities; within each
 * hunk, deleted and inserted messages of the same kind pair up as
 * "changed", as do aligned messages whose content differs.  Pass 2 reads
 * only the messages to show, for their summaries and field differences.
 *
 * Exit status: 0 the sessions match, 1 they differ, 2 error.
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdsession.h"

#ifndef KDSCOPE_VERSION
#define KDSCOPE_VERSION "0.0.0"
#endif

static const char *prog = "kddiff";

/* ------------------------------------------------------------ options */

typedef struct opts {
    int context;         /* -U */
    int transport;       /* keep ids, ACKs, RESENDs, ... */
    int ignore_data;     /* leave out payload bytes */
    int rebase;          /* addresses relative to the kernel base */
    int stat, json;
    const char *junit;
    double max_time_ratio; /* 0: off */
    const char *ignore[64]; /* globs */
    size_t n_ignore;
    kdsession_opts sess;
} opts;

static opts g_o = {.context = 3};

/* Fields that vary by design: left out unless --transport. */
static int transport_field(kd_field_id f)
{
    switch (f) {
    case KD_F_LEADER:
    case KD_F_BYTE_COUNT:
    case KD_F_ID:
    case KD_F_CHECKSUM:
    case KD_F_CHECKSUM_STATUS:
    case KD_F_CHECKSUM_COMPUTED:
    case KD_F_TRAILER:
        return 1;
    default:
        return 0;
    }
}

static int ignored_field(kd_field_id f)
{
    if (!g_o.transport && transport_field(f))
        return 1;
    if (g_o.ignore_data && kd_fields[f].type == KD_FT_BYTES)
        return 1;
    for (size_t i = 0; i < g_o.n_ignore; i++)
        if (fnmatch(g_o.ignore[i], kd_fields[f].abbrev, 0) == 0)
            return 1;
    return 0;
}

/*
 * Key fields: what makes two messages of one API "the same request".  A
 * read of another address is another message (an insertion and a
 * deletion, paired as a change when they meet in a hunk).
 */
static int key_field(kd_field_id f)
{
    switch (f) {
    case KD_F_M_RM_TARGET_BASE_ADDRESS:
    case KD_F_M_WM_TARGET_BASE_ADDRESS:
    case KD_F_M_WB_BREAK_POINT_ADDRESS:
    case KD_F_M_IO_IO_ADDRESS:
    case KD_F_M_IOX_IO_ADDRESS:
    case KD_F_M_MSR_MSR:
    case KD_F_M_CX_OFFSET:
    case KD_F_M_SM_SEARCH_ADDRESS:
    case KD_F_M_FM_ADDRESS:
    case KD_F_M_QM_ADDRESS:
    case KD_F_EXCEPTION_CODE:
    case KD_F_LS_PATH:
    case KD_F_CS_NAME:
    case KD_F_FIO_FILE_NAME:
        return 1;
    default:
        return 0;
    }
}

/* ------------------------------------------------------------ sessions */

typedef struct rec {
    uint64_t frame;
    uint64_t ident;   /* identity hash */
    uint64_t content; /* hash of the compared fields */
    uint32_t kind;    /* dir << 28 | type << 16 | api: pairs changes, names classes */
    uint32_t rt_api;  /* responses: the request's API */
    uint64_t rt_ns;   /* responses: response time (0: none) */
} rec;

typedef struct session {
    const char *path;
    rec *v;
    size_t n, cap;
    uint64_t base;    /* kernel base (--rebase), 0 unknown */
    uint64_t damaged[16]; /* recent damaged copies (frames), per pass */
    unsigned n_damaged;
} session;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* An address in the kernel image becomes an offset from its base. */
#define REBASE_SPAN 0x10000000ull
static uint64_t rebased(const session *s, kd_field_id f, uint64_t v, int *is_rebased)
{
    *is_rebased = 0;
    if (g_o.rebase && s->base && kd_fields[f].type == KD_FT_UINT64 && v >= s->base &&
        v - s->base < REBASE_SPAN) {
        *is_rebased = 1;
        return v - s->base;
    }
    return v;
}

/*
 * Messages compared at all: the copy of each packet its receiver took.  A
 * damaged copy (bad checksum, trailer, ByteCount) was never delivered; the
 * retransmission that replaced it is the message.  Other retransmissions
 * and duplicates repeat a delivered one.
 */
static int compared(session *s, const kd_msg *m, const kd_annot *a, uint64_t frame)
{
    const kd_item *it = m->item;
    if (g_o.transport)
        return 1;
    if (it->kind != KD_ITEM_DATA || a->duplicate_of)
        return 0;
    if (it->flags) {
        s->damaged[s->n_damaged++ % 16] = frame;
        return 0;
    }
    if (!a->retransmission_of)
        return 1;
    for (unsigned i = 0; i < 16 && i < s->n_damaged; i++)
        if (s->damaged[i] == a->retransmission_of)
            return 1;
    return 0;
}

static uint64_t hash_node(const session *s, uint64_t h, const kd_node *n)
{
    kd_field_id f = (kd_field_id)n->field;
    h = fnv(h, &n->field, sizeof n->field);
    kd_ftype t = kd_fields[f].type;
    if (t == KD_FT_BYTES || t == KD_FT_STRING || t == KD_FT_UTF16)
        return fnv(h, n->data, n->length);
    int r;
    uint64_t v = rebased(s, f, n->value, &r);
    h = fnv(h, &r, sizeof r);
    return fnv(h, &v, sizeof v);
}

static int find_base(const kd_msg *m, const kd_annot *a, uint64_t frame, void *user)
{
    (void)a;
    (void)frame;
    session *s = user;
    const kd_node *n = kd_msg_find(m, KD_F_M_GV_KERN_BASE);
    if (!n)
        n = kd_msg_find(m, KD_F_M_GV32_KERN_BASE);
    if (n && m->is_response && n->value) {
        s->base = n->value;
        return 1;
    }
    /* Choice: without GetVersion, the first image loaded is the kernel
     * (the boot order of reference seed 001: the kernel, then the HAL). */
    n = kd_msg_find(m, KD_F_LS_BASE_OF_DLL);
    if (n && n->value) {
        s->base = n->value;
        return 1;
    }
    return 0;
}

static int add_record(const kd_msg *m, const kd_annot *a, uint64_t frame, void *user)
{
    session *s = user;
    if (!compared(s, m, a, frame))
        return 0;
    const kd_item *it = m->item;
    rec r = {.frame = frame};
    r.kind = (uint32_t)it->dir << 28 | (uint32_t)(it->has_header ? it->type & 0xFFF : 0xFFF) << 16 |
             (m->api & 0xFFFF);
    if (it->kind != KD_ITEM_DATA)
        r.kind = (uint32_t)it->dir << 28 | 0xF000000u | (uint32_t)it->kind << 16 | (it->type & 0xFFFF);
    uint64_t id = fnv(0xcbf29ce484222325ull, &r.kind, sizeof r.kind);
    id = fnv(id, &m->is_response, sizeof m->is_response);
    uint64_t content = 0xcbf29ce484222325ull;
    for (uint16_t i = 0; i < m->n; i++) {
        const kd_node *n = &m->nodes[i];
        if (kd_fields[n->field].type == KD_FT_NONE || ignored_field((kd_field_id)n->field))
            continue;
        content = hash_node(s, content, n);
        if (key_field((kd_field_id)n->field))
            id = hash_node(s, id, n);
    }
    if (g_o.transport)
        id = fnv(id, &it->len, sizeof it->len);
    r.ident = id;
    r.content = content;
    if (a->request_in && m->type == KD_TYPE_STATE_MANIPULATE) {
        r.rt_api = a->request_api;
        r.rt_ns = a->response_time_ns ? a->response_time_ns : 1;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        rec *v = realloc(s->v, s->cap * sizeof *v);
        if (!v) {
            fprintf(stderr, "%s: %s: out of memory\n", prog, s->path);
            exit(2);
        }
        s->v = v;
    }
    s->v[s->n++] = r;
    return 0;
}

static int load(session *s)
{
    char err[256];
    s->n_damaged = 0;
    /* Notices (streams ignored, gaps) once per session, on the main read. */
    kdsession_opts noisy = g_o.sess;
    noisy.prog = prog;
    if (g_o.rebase && kdsession_read(s->path, &g_o.sess, find_base, s, err, sizeof err) != 0)
        goto bad;
    if (kdsession_read(s->path, &noisy, add_record, s, err, sizeof err) != 0)
        goto bad;
    return 0;
bad:
    fprintf(stderr, "%s: %s: %s\n", prog, s->path, err);
    return -1;
}

/* ------------------------------------------------------------ alignment */

typedef enum { OP_SAME, OP_CHANGE, OP_DEL, OP_INS } op_kind;

typedef struct op {
    op_kind kind;
    size_t a, b; /* indices into the sessions (a for DEL, b for INS) */
} op;

typedef struct ops {
    op *v;
    size_t n, cap;
} ops;

static void push(ops *o, op_kind k, size_t a, size_t b)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 1024;
        o->v = realloc(o->v, o->cap * sizeof *o->v);
        if (!o->v) {
            fprintf(stderr, "%s: out of memory\n", prog);
            exit(2);
        }
    }
    o->v[o->n++] = (op){k, a, b};
}

/* Past this many differences in the middle, the middle is reported as
 * replaced wholesale rather than aligned (Myers costs D^2 memory). */
#define MAX_D 20000

/*
 * Myers' O((N+M)D) diff of A[0..n) and B[0..m) by identity, keeping every
 * round's furthest-reaching frontier for the backtrack.  Appends ops.
 */
static void myers(const rec *A, size_t n, const rec *B, size_t m, size_t a0, size_t b0, ops *out)
{
    size_t max = n + m;
    if (max == 0)
        return;
    size_t limit = max < MAX_D ? max : MAX_D;
    long off = (long)limit + 1;
    long *v = calloc(2 * (size_t)off + 1, sizeof *v);
    long **trace = calloc(limit + 1, sizeof *trace);
    if (!v || !trace) {
        fprintf(stderr, "%s: out of memory\n", prog);
        exit(2);
    }
    long d_found = -1;
    for (long d = 0; d <= (long)limit; d++) {
        for (long k = -d; k <= d; k += 2) {
            long x;
            if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
                x = v[off + k + 1];
            else
                x = v[off + k - 1] + 1;
            long y = x - k;
            while (x < (long)n && y < (long)m && A[x].ident == B[y].ident) {
                x++;
                y++;
            }
            v[off + k] = x;
            if (x >= (long)n && y >= (long)m) {
                d_found = d;
                break;
            }
        }
        trace[d] = malloc((2 * (size_t)d + 1) * sizeof(long));
        if (!trace[d]) {
            fprintf(stderr, "%s: out of memory\n", prog);
            exit(2);
        }
        for (long k = -d; k <= d; k++)
            trace[d][k + d] = v[off + k];
        if (d_found >= 0)
            break;
    }
    if (d_found < 0) {
        /* Too different to align: everything replaced. */
        for (size_t i = 0; i < n; i++)
            push(out, OP_DEL, a0 + i, 0);
        for (size_t j = 0; j < m; j++)
            push(out, OP_INS, 0, b0 + j);
    } else {
        /* Backtrack into a reversed list, then append in order. */
        ops rev = {0};
        long x = (long)n, y = (long)m;
        for (long d = d_found; d > 0; d--) {
            long k = x - y;
            long *prev = trace[d - 1];
            long pk;
            if (k == -d || (k != d && prev[k - 1 + (d - 1)] < prev[k + 1 + (d - 1)]))
                pk = k + 1;
            else
                pk = k - 1;
            long px = prev[pk + (d - 1)], py = px - pk;
            while (x > px && y > py) {
                x--;
                y--;
                push(&rev, OP_SAME, a0 + (size_t)x, b0 + (size_t)y);
            }
            if (x == px)
                push(&rev, OP_INS, 0, b0 + (size_t)--y);
            else
                push(&rev, OP_DEL, a0 + (size_t)--x, 0);
        }
        while (x > 0 && y > 0) {
            x--;
            y--;
            push(&rev, OP_SAME, a0 + (size_t)x, b0 + (size_t)y);
        }
        for (size_t i = rev.n; i-- > 0;)
            push(out, rev.v[i].kind, rev.v[i].a, rev.v[i].b);
        free(rev.v);
    }
    for (long d = 0; d <= (long)limit && trace[d]; d++)
        free(trace[d]);
    free(trace);
    free(v);
}

/* Aligns the sessions: common head and tail first, Myers on the middle. */
static void align(const session *A, const session *B, ops *out)
{
    size_t pre = 0;
    while (pre < A->n && pre < B->n && A->v[pre].ident == B->v[pre].ident)
        pre++;
    size_t suf = 0;
    while (suf < A->n - pre && suf < B->n - pre && A->v[A->n - 1 - suf].ident == B->v[B->n - 1 - suf].ident)
        suf++;
    for (size_t i = 0; i < pre; i++)
        push(out, OP_SAME, i, i);
    myers(A->v + pre, A->n - pre - suf, B->v + pre, B->n - pre - suf, pre, pre, out);
    for (size_t i = 0; i < suf; i++)
        push(out, OP_SAME, A->n - suf + i, B->n - suf + i);
    /* Aligned messages whose fields differ are changes. */
    for (size_t i = 0; i < out->n; i++)
        if (out->v[i].kind == OP_SAME && A->v[out->v[i].a].content != B->v[out->v[i].b].content)
            out->v[i].kind = OP_CHANGE;
}

/*
 * Within a run of deletions and insertions, a deleted and an inserted
 * message of the same kind (in order) are one message that changed.
 * The result keeps A's order: changes where the deletion stood.
 */
static void pair_changes(const session *A, const session *B, ops *o)
{
    ops out = {0};
    for (size_t i = 0; i < o->n;) {
        if (o->v[i].kind != OP_DEL && o->v[i].kind != OP_INS) {
            push(&out, o->v[i].kind, o->v[i].a, o->v[i].b);
            i++;
            continue;
        }
        size_t j = i;
        while (j < o->n && (o->v[j].kind == OP_DEL || o->v[j].kind == OP_INS))
            j++;
        /* ops[i..j) is a run: pair greedily in order. */
        size_t nd = 0, ni = 0;
        size_t *dels = malloc((j - i) * sizeof *dels), *inss = malloc((j - i) * sizeof *inss);
        char *used = calloc(j - i, 1);
        if (!dels || !inss || !used) {
            fprintf(stderr, "%s: out of memory\n", prog);
            exit(2);
        }
        for (size_t k = i; k < j; k++) {
            if (o->v[k].kind == OP_DEL)
                dels[nd++] = o->v[k].a;
            else
                inss[ni++] = o->v[k].b;
        }
        size_t next_ins = 0;
        for (size_t d = 0; d < nd; d++) {
            size_t match = ni;
            for (size_t k = next_ins; k < ni; k++) {
                if (!used[k] && B->v[inss[k]].kind == A->v[dels[d]].kind) {
                    match = k;
                    break;
                }
            }
            /* Insertions before the match stay insertions, in place. */
            if (match < ni) {
                for (size_t k = next_ins; k < match; k++)
                    if (!used[k]) {
                        push(&out, OP_INS, 0, inss[k]);
                        used[k] = 1;
                    }
                push(&out, OP_CHANGE, dels[d], inss[match]);
                used[match] = 1;
                next_ins = match + 1;
            } else {
                push(&out, OP_DEL, dels[d], 0);
            }
        }
        for (size_t k = 0; k < ni; k++)
            if (!used[k])
                push(&out, OP_INS, 0, inss[k]);
        free(dels);
        free(inss);
        free(used);
        i = j;
    }
    free(o->v);
    *o = out;
}

/* ------------------------------------------------------------ pass 2: what to show */

typedef struct shown {
    size_t idx;        /* record index */
    char *summary;
    char **fields;     /* "name\tvalue" of compared fields, for changes */
    size_t n_fields;
} shown;

typedef struct want {
    session *s;
    shown *v; /* sorted by idx */
    size_t n, pos, seen;
    int detail_all;
} want;

static char *xstrdup(const char *t)
{
    char *p = strdup(t);
    if (!p) {
        fprintf(stderr, "%s: out of memory\n", prog);
        exit(2);
    }
    return p;
}

static int collect_shown(const kd_msg *m, const kd_annot *a, uint64_t frame, void *user)
{
    want *w = user;
    if (!compared(w->s, m, a, frame))
        return 0;
    size_t idx = w->seen++;
    if (w->pos >= w->n)
        return 1;
    if (w->v[w->pos].idx != idx)
        return 0;
    shown *sh = &w->v[w->pos++];
    char line[1024];
    kd_msg_summary(m, NULL, line, sizeof line);
    sh->summary = xstrdup(line);
    sh->fields = calloc(m->n ? m->n : 1, sizeof *sh->fields);
    for (uint16_t i = 0; i < m->n; i++) {
        const kd_node *n = &m->nodes[i];
        kd_field_id f = (kd_field_id)n->field;
        if (kd_fields[f].type == KD_FT_NONE || ignored_field(f))
            continue;
        char val[512], buf[700];
        int r;
        uint64_t v = rebased(w->s, f, n->value, &r);
        if (r)
            snprintf(val, sizeof val, "base+0x%" PRIx64, v);
        else
            kd_node_format(n, val, sizeof val);
        snprintf(buf, sizeof buf, "%s\t%s", kd_fields[f].abbrev, val);
        sh->fields[sh->n_fields++] = xstrdup(buf);
    }
    return 0;
}

static int cmp_shown(const void *x, const void *y)
{
    const shown *a = x, *b = y;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static const shown *find_shown(const want *w, size_t idx)
{
    shown key = {.idx = idx};
    return bsearch(&key, w->v, w->n, sizeof *w->v, cmp_shown);
}

static void want_add(want *w, size_t idx)
{
    w->v[w->n++] = (shown){.idx = idx};
}

static void want_finish(want *w)
{
    qsort(w->v, w->n, sizeof *w->v, cmp_shown);
    size_t k = 0;
    for (size_t i = 0; i < w->n; i++)
        if (k == 0 || w->v[k - 1].idx != w->v[i].idx)
            w->v[k++] = w->v[i];
    w->n = k;
}

static void want_free(want *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->v[i].summary);
        for (size_t j = 0; j < w->v[i].n_fields; j++)
            free(w->v[i].fields[j]);
        free(w->v[i].fields);
    }
    free(w->v);
}

/* ------------------------------------------------------------ field differences */

typedef struct fdiff {
    const char *name; /* points into a shown entry */
    size_t name_len;
    const char *a, *b; /* NULL: absent */
} fdiff;

/* Differences between the field lists of two shown messages, in A's order
 * then B's extras; repeated fields compare occurrence by occurrence. */
static size_t field_diffs(const shown *sa, const shown *sb, fdiff *out, size_t max)
{
    size_t k = 0;
    char *used = calloc(sb->n_fields + 1, 1);
    for (size_t i = 0; i < sa->n_fields; i++) {
        const char *tab = strchr(sa->fields[i], '\t');
        size_t nl = (size_t)(tab - sa->fields[i]);
        const char *bval = NULL;
        for (size_t j = 0; j < sb->n_fields; j++) {
            if (used[j] || strncmp(sb->fields[j], sa->fields[i], nl + 1) != 0)
                continue;
            used[j] = 1;
            bval = sb->fields[j] + nl + 1;
            break;
        }
        if (bval && strcmp(bval, tab + 1) == 0)
            continue;
        if (k < max)
            out[k] = (fdiff){sa->fields[i], nl, tab + 1, bval};
        k++;
    }
    for (size_t j = 0; j < sb->n_fields; j++) {
        if (used[j])
            continue;
        const char *tab = strchr(sb->fields[j], '\t');
        if (k < max)
            out[k] = (fdiff){sb->fields[j], (size_t)(tab - sb->fields[j]), NULL, tab + 1};
        k++;
    }
    free(used);
    return k;
}

/* ------------------------------------------------------------ output */

static const char *dir_tag(uint32_t kind)
{
    return kd_dir_name((kd_dir)(kind >> 28));
}

/* "d2t ReadVirtualMemory" / "t2d ReadVirtualMemory reply": a class of messages. */
static void class_name(uint32_t kind, char *buf, size_t n)
{
    unsigned type = (kind >> 16) & 0xFFF, api = kind & 0xFFFF;
    const char *what = NULL;
    if (type == KD_TYPE_STATE_MANIPULATE)
        what = kd_val_name(kd_vals_api_short, api);
    else if (type == KD_TYPE_STATE_CHANGE64 || type == KD_TYPE_STATE_CHANGE32)
        what = kd_val_name(kd_vals_state, api);
    else if (type <= KD_TYPE_FILE_IO)
        what = kd_val_name(kd_vals_io_api, api);
    const char *tn = type <= KD_TYPE_MAX ? kd_packet_type_name(type) : NULL;
    if (what)
        snprintf(buf, n, "%s %s", dir_tag(kind), what);
    else
        snprintf(buf, n, "%s %s 0x%04x", dir_tag(kind), tn ? tn : "item", api);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void print_fdiffs(const shown *sa, const shown *sb)
{
    fdiff d[64];
    size_t n = field_diffs(sa, sb, d, 64);
    for (size_t i = 0; i < n && i < 64; i++)
        printf("      %.*s: %s -> %s\n", (int)d[i].name_len, d[i].name, d[i].a ? d[i].a : "(absent)",
               d[i].b ? d[i].b : "(absent)");
    if (n > 64)
        printf("      ... %zu more fields\n", n - 64);
}

static void print_unified(const session *A, const session *B, const ops *o, const want *wa, const want *wb)
{
    printf("--- %s\n+++ %s\n", A->path, B->path);
    size_t i = 0;
    while (i < o->n) {
        if (o->v[i].kind == OP_SAME) {
            i++;
            continue;
        }
        /* A hunk: from U before the first difference to U after the last one
         * that is not followed by another difference within 2U. */
        size_t start = i >= (size_t)g_o.context ? i - (size_t)g_o.context : 0, end = i;
        while (end < o->n) {
            if (o->v[end].kind != OP_SAME) {
                end++;
                continue;
            }
            size_t run = end;
            while (run < o->n && o->v[run].kind == OP_SAME && run - end < 2 * (size_t)g_o.context)
                run++;
            if (run < o->n && o->v[run].kind != OP_SAME)
                end = run;
            else
                break;
        }
        size_t stop = end + (size_t)g_o.context < o->n ? end + (size_t)g_o.context : o->n;
        printf("@@ A #%" PRIu64 " B #%" PRIu64 " @@\n",
               o->v[start].kind == OP_INS ? 0 : A->v[o->v[start].a].frame,
               o->v[start].kind == OP_DEL ? 0 : B->v[o->v[start].b].frame);
        for (size_t k = start; k < stop; k++) {
            const op *p = &o->v[k];
            const shown *sa = p->kind == OP_INS ? NULL : find_shown(wa, p->a);
            const shown *sb = p->kind == OP_DEL ? NULL : find_shown(wb, p->b);
            switch (p->kind) {
            case OP_SAME:
                printf("  #%-5" PRIu64 " %s  %s\n", A->v[p->a].frame, dir_tag(A->v[p->a].kind),
                       sa ? sa->summary : "?");
                break;
            case OP_DEL:
                printf("- #%-5" PRIu64 " %s  %s\n", A->v[p->a].frame, dir_tag(A->v[p->a].kind),
                       sa ? sa->summary : "?");
                break;
            case OP_INS:
                printf("+ #%-5" PRIu64 " %s  %s\n", B->v[p->b].frame, dir_tag(B->v[p->b].kind),
                       sb ? sb->summary : "?");
                break;
            case OP_CHANGE:
                printf("- #%-5" PRIu64 " %s  %s\n", A->v[p->a].frame, dir_tag(A->v[p->a].kind),
                       sa ? sa->summary : "?");
                printf("+ #%-5" PRIu64 " %s  %s\n", B->v[p->b].frame, dir_tag(B->v[p->b].kind),
                       sb ? sb->summary : "?");
                if (sa && sb)
                    print_fdiffs(sa, sb);
                break;
            }
        }
        i = stop;
    }
}

static void print_json(const session *A, const session *B, const ops *o, const want *wa, const want *wb)
{
    static const char *const names[] = {"same", "change", "delete", "insert"};
    for (size_t i = 0; i < o->n; i++) {
        const op *p = &o->v[i];
        if (p->kind == OP_SAME)
            continue;
        const shown *sa = p->kind == OP_INS ? NULL : find_shown(wa, p->a);
        const shown *sb = p->kind == OP_DEL ? NULL : find_shown(wb, p->b);
        char cls[128];
        class_name(p->kind == OP_INS ? B->v[p->b].kind : A->v[p->a].kind, cls, sizeof cls);
        printf("{\"op\":\"%s\",\"class\":", names[p->kind]);
        json_str(stdout, cls);
        if (sa) {
            printf(",\"a_frame\":%" PRIu64 ",\"a\":", A->v[p->a].frame);
            json_str(stdout, sa->summary);
        }
        if (sb) {
            printf(",\"b_frame\":%" PRIu64 ",\"b\":", B->v[p->b].frame);
            json_str(stdout, sb->summary);
        }
        if (sa && sb) {
            fdiff d[64];
            size_t n = field_diffs(sa, sb, d, 64);
            printf(",\"fields\":[");
            for (size_t k = 0; k < n && k < 64; k++) {
                char name[256];
                snprintf(name, sizeof name, "%.*s", (int)d[k].name_len, d[k].name);
                printf("%s{\"field\":", k ? "," : "");
                json_str(stdout, name);
                printf(",\"a\":");
                if (d[k].a)
                    json_str(stdout, d[k].a);
                else
                    printf("null");
                printf(",\"b\":");
                if (d[k].b)
                    json_str(stdout, d[k].b);
                else
                    printf("null");
                putchar('}');
            }
            putchar(']');
        }
        printf("}\n");
    }
}

/* Classes (kinds) in both sessions, with their counts of differences. */
typedef struct klass {
    uint32_t kind;
    size_t same, changed, only_a, only_b;
} klass;

static klass *class_of(klass **v, size_t *n, size_t *cap, uint32_t kind)
{
    for (size_t i = 0; i < *n; i++)
        if ((*v)[i].kind == kind)
            return &(*v)[i];
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *v = realloc(*v, *cap * sizeof **v);
        if (!*v) {
            fprintf(stderr, "%s: out of memory\n", prog);
            exit(2);
        }
    }
    (*v)[*n] = (klass){.kind = kind};
    return &(*v)[(*n)++];
}

static size_t classes(const session *A, const session *B, const ops *o, klass **out)
{
    klass *v = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < o->n; i++) {
        const op *p = &o->v[i];
        uint32_t kind = p->kind == OP_INS ? B->v[p->b].kind : A->v[p->a].kind;
        klass *c = class_of(&v, &n, &cap, kind);
        switch (p->kind) {
        case OP_SAME:
            c->same++;
            break;
        case OP_CHANGE:
            c->changed++;
            break;
        case OP_DEL:
            c->only_a++;
            break;
        case OP_INS:
            c->only_b++;
            break;
        }
    }
    *out = v;
    return n;
}

static void print_stat(const session *A, const session *B, const ops *o)
{
    klass *v;
    size_t n = classes(A, B, o, &v);
    size_t same = 0, changed = 0, only_a = 0, only_b = 0;
    printf("%-40s %8s %8s %8s %8s\n", "messages", "same", "changed", "only A", "only B");
    for (size_t i = 0; i < n; i++) {
        char cls[128];
        class_name(v[i].kind, cls, sizeof cls);
        same += v[i].same;
        changed += v[i].changed;
        only_a += v[i].only_a;
        only_b += v[i].only_b;
        if (v[i].changed || v[i].only_a || v[i].only_b)
            printf("%-40s %8zu %8zu %8zu %8zu\n", cls, v[i].same, v[i].changed, v[i].only_a, v[i].only_b);
    }
    printf("%-40s %8zu %8zu %8zu %8zu\n", "total", same, changed, only_a, only_b);
    free(v);
}

static void xml_str(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
                fputc(*s, f);
            break;
        }
    }
}

/* One test case per class of messages; a failure lists what differs. */
static int write_junit(const char *path, const session *A, const session *B, const ops *o, const want *wa,
                       const want *wb)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    klass *v;
    size_t n = classes(A, B, o, &v), failures = 0;
    for (size_t i = 0; i < n; i++)
        failures += (v[i].changed || v[i].only_a || v[i].only_b);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites><testsuite name=\"kddiff\" tests=\"%zu\" failures=\"%zu\">\n", n, failures);
    for (size_t i = 0; i < n; i++) {
        char cls[128];
        class_name(v[i].kind, cls, sizeof cls);
        fprintf(f, "  <testcase classname=\"kddiff\" name=\"");
        xml_str(f, cls);
        fprintf(f, "\"");
        if (!(v[i].changed || v[i].only_a || v[i].only_b)) {
            fprintf(f, "/>\n");
            continue;
        }
        fprintf(f, ">\n    <failure message=\"%zu changed, %zu only in A, %zu only in B\">", v[i].changed,
                v[i].only_a, v[i].only_b);
        for (size_t k = 0; k < o->n; k++) {
            const op *p = &o->v[k];
            uint32_t kind = p->kind == OP_INS ? B->v[p->b].kind : A->v[p->a].kind;
            if (p->kind == OP_SAME || kind != v[i].kind)
                continue;
            const shown *sa = p->kind == OP_INS ? NULL : find_shown(wa, p->a);
            const shown *sb = p->kind == OP_DEL ? NULL : find_shown(wb, p->b);
            char line[1200];
            if (p->kind == OP_DEL)
                snprintf(line, sizeof line, "only in A #%" PRIu64 ": %s\n", A->v[p->a].frame, sa ? sa->summary : "?");
            else if (p->kind == OP_INS)
                snprintf(line, sizeof line, "only in B #%" PRIu64 ": %s\n", B->v[p->b].frame, sb ? sb->summary : "?");
            else
                snprintf(line, sizeof line, "changed A #%" PRIu64 " B #%" PRIu64 ": %s\n", A->v[p->a].frame,
                         B->v[p->b].frame, sb ? sb->summary : "?");
            xml_str(f, line);
            if (sa && sb) {
                fdiff d[64];
                size_t nd = field_diffs(sa, sb, d, 64);
                for (size_t j = 0; j < nd && j < 64; j++) {
                    snprintf(line, sizeof line, "  %.*s: %s -> %s\n", (int)d[j].name_len, d[j].name,
                             d[j].a ? d[j].a : "(absent)", d[j].b ? d[j].b : "(absent)");
                    xml_str(f, line);
                }
            }
        }
        fprintf(f, "</failure>\n  </testcase>\n");
    }
    fprintf(f, "</testsuite></testsuites>\n");
    free(v);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        fprintf(stderr, "%s: %s: write error\n", prog, path);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ timing */

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* p95 of the response times of api in s, in ns; 0 when none. */
static uint64_t p95(const session *s, uint32_t api, size_t *count)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->v[i].rt_ns && s->v[i].rt_api == api;
    *count = n;
    if (!n)
        return 0;
    uint64_t *t = malloc(n * sizeof *t);
    if (!t)
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].rt_ns && s->v[i].rt_api == api)
            t[k++] = s->v[i].rt_ns;
    qsort(t, n, sizeof *t, cmp_u64);
    size_t idx = (size_t)((double)n * 0.95 + 0.999999);
    uint64_t v = t[(idx ? idx : 1) - 1];
    free(t);
    return v;
}

/* Prints the APIs whose p95 grew by more than the ratio; returns how many. */
static int timing(const session *A, const session *B)
{
    int slow = 0;
    for (uint32_t api = 0x3130; api <= 0x3160; api++) {
        size_t na, nb;
        uint64_t a = p95(A, api, &na), b = p95(B, api, &nb);
        if (!na || !nb || (double)b <= (double)a * g_o.max_time_ratio)
            continue;
        const char *name = kd_val_name(kd_vals_api_short, api);
        printf("slower: %s p95 %.3f ms -> %.3f ms (x%.2f, limit x%.2f; %zu and %zu replies)\n",
               name ? name : "?", (double)a / 1e6, (double)b / 1e6, a ? (double)b / (double)a : 0.0,
               g_o.max_time_ratio, na, nb);
        slow++;
    }
    return slow;
}

/* ------------------------------------------------------------ main */

static void usage(FILE *to)
{
    fprintf(to,
            "Usage: %s [OPTION]... A B\n"
            "Compare two kernel-debugging sessions (any input kdcat reads) message by\n"
            "message: what the debugger asked and the kernel answered, not timestamps.\n"
            "One of A and B may be -, standard input.\n"
            "\n"
            "  -U, --unified=N        lines of context (default 3)\n"
            "      --stat             a summary per class of messages instead of the diff\n"
            "      --json             JSON Lines, one object per difference\n"
            "      --junit=FILE       also write a JUnit report (one test case per class)\n"
            "      --ignore=FIELD     leave out fields matching FIELD (a glob such as\n"
            "                         'kd.context.*'); repeatable\n"
            "      --ignore-data      leave out payload bytes\n"
            "      --rebase           compare kernel addresses relative to the kernel base\n"
            "                         (from GetVersion or the first load-symbols event)\n"
            "      --transport        keep packet ids, checksums, ACKs, RESENDs, RESETs,\n"
            "                         retransmissions and duplicates\n"
            "      --max-time-ratio=R report APIs whose p95 response time in B exceeds\n"
            "                         A's by more than R (a difference)\n"
            "  -a, --arch=ARCH, -w, --width=BITS   decode views, as kdcat\n"
            "      --port=N, --target-port=PORT, --target=HOST:PORT   captures made by\n"
            "                         others (KD in TCP or UDP), as kdcat\n"
            "      --kdnet-key=KEY, --kdnet-data-key=HEX   decrypt KDNET, as kdcat\n"
            "  -h, --help, --version\n"
            "\n"
            "Exit status: 0 the sessions match, 1 they differ, 2 error.\n",
            prog);
}

int main(int argc, char **argv)
{
    enum { O_STAT = 256, O_JSON, O_JUNIT, O_IGNORE, O_IGNORE_DATA, O_REBASE, O_TRANSPORT, O_RATIO, O_VERSION,
           O_PORT, O_TARGET_PORT, O_TARGET, O_KDNET_KEY, O_KDNET_DATA_KEY };
    static kdsession_kdnet kdnet;
    g_o.sess.kdnet = &kdnet;
    static const struct option longopts[] = {
        {"unified", required_argument, NULL, 'U'},
        {"stat", no_argument, NULL, O_STAT},
        {"json", no_argument, NULL, O_JSON},
        {"junit", required_argument, NULL, O_JUNIT},
        {"ignore", required_argument, NULL, O_IGNORE},
        {"ignore-data", no_argument, NULL, O_IGNORE_DATA},
        {"rebase", no_argument, NULL, O_REBASE},
        {"transport", no_argument, NULL, O_TRANSPORT},
        {"max-time-ratio", required_argument, NULL, O_RATIO},
        {"arch", required_argument, NULL, 'a'},
        {"width", required_argument, NULL, 'w'},
        {"port", required_argument, NULL, O_PORT},
        {"target-port", required_argument, NULL, O_TARGET_PORT},
        {"target", required_argument, NULL, O_TARGET},
        {"kdnet-key", required_argument, NULL, O_KDNET_KEY},
        {"kdnet-data-key", required_argument, NULL, O_KDNET_DATA_KEY},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "U:a:w:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'U':
            g_o.context = (int)strtol(optarg, &end, 10);
            if (*end || g_o.context < 0) {
                fprintf(stderr, "%s: --unified: '%s' is not a number of lines\n", prog, optarg);
                return 2;
            }
            break;
        case O_STAT:
            g_o.stat = 1;
            break;
        case O_JSON:
            g_o.json = 1;
            break;
        case O_JUNIT:
            g_o.junit = optarg;
            break;
        case O_IGNORE:
            if (kd_field_by_name(optarg) < 0 && !strpbrk(optarg, "*?[")) {
                fprintf(stderr, "%s: --ignore: no field is named '%s' (kdcat --list-fields)\n", prog, optarg);
                return 2;
            }
            if (g_o.n_ignore == sizeof g_o.ignore / sizeof g_o.ignore[0]) {
                fprintf(stderr, "%s: --ignore: at most 64 patterns\n", prog);
                return 2;
            }
            g_o.ignore[g_o.n_ignore++] = optarg;
            break;
        case O_IGNORE_DATA:
            g_o.ignore_data = 1;
            break;
        case O_REBASE:
            g_o.rebase = 1;
            break;
        case O_TRANSPORT:
            g_o.transport = 1;
            break;
        case O_RATIO:
            g_o.max_time_ratio = strtod(optarg, &end);
            if (*end || g_o.max_time_ratio <= 0) {
                fprintf(stderr, "%s: --max-time-ratio: '%s' is not a positive number\n", prog, optarg);
                return 2;
            }
            break;
        case 'a':
            if (kdsession_parse_arch(prog, optarg, &g_o.sess.arch) != 0)
                return 2;
            break;
        case 'w':
            if (kdsession_parse_width(prog, optarg, &g_o.sess.width) != 0)
                return 2;
            break;
        case O_PORT:
            if (kdsession_parse_port(prog, optarg, &g_o.sess.net) != 0)
                return 2;
            break;
        case O_TARGET_PORT:
            if (kdsession_parse_target_port(prog, optarg, &g_o.sess.net) != 0)
                return 2;
            break;
        case O_TARGET:
            if (kdsession_parse_target(prog, optarg, &g_o.sess.net) != 0)
                return 2;
            break;
        case O_KDNET_KEY:
            if (kdsession_parse_kdnet_key(prog, optarg, &kdnet) != 0)
                return 2;
            break;
        case O_KDNET_DATA_KEY:
            if (kdsession_parse_kdnet_data_key(prog, optarg, &kdnet) != 0)
                return 2;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case O_VERSION:
            printf("kddiff (kdscope) %s\n", KDSCOPE_VERSION);
            return 0;
        default:
            fprintf(stderr, "Try '%s --help' for more information.\n", prog);
            return 2;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "%s: expected two sessions, A and B (try '%s --help')\n", prog, prog);
        return 2;
    }
    g_o.sess.raw_dir = KD_DIR_UNKNOWN;
    session A = {.path = argv[optind]}, B = {.path = argv[optind + 1]};
    /* "-" is standard input, for one of the two (each is read more than once). */
    if (strcmp(A.path, "-") == 0 && strcmp(B.path, "-") == 0) {
        fprintf(stderr, "%s: -: standard input can be only one of the two sessions\n", prog);
        return 2;
    }
    if (kdsession_spool_stdin(prog, &A.path) != 0 || kdsession_spool_stdin(prog, &B.path) != 0)
        return 2;
    if (load(&A) != 0 || load(&B) != 0) {
        free(A.v);
        free(B.v);
        return 2;
    }

    ops o = {0};
    align(&A, &B, &o);
    pair_changes(&A, &B, &o);
    size_t ndiff = 0;
    for (size_t i = 0; i < o.n; i++)
        ndiff += o.v[i].kind != OP_SAME;

    /* Pass 2: summaries and fields of the messages a reader will see. */
    size_t ctx = g_o.json || g_o.junit || g_o.stat ? 0 : (size_t)g_o.context;
    size_t slots = (2 * ctx + 1) * ndiff + 1; /* before duplicates are merged */
    want wa = {.s = &A, .v = calloc(slots, sizeof(shown))}, wb = {.s = &B, .v = calloc(slots, sizeof(shown))};
    if (!wa.v || !wb.v) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return 2;
    }
    for (size_t i = 0; i < o.n; i++) {
        if (o.v[i].kind == OP_SAME)
            continue;
        size_t lo = i >= ctx ? i - ctx : 0, hi = i + ctx + 1 < o.n ? i + ctx + 1 : o.n;
        for (size_t k = lo; k < hi; k++) {
            if (o.v[k].kind != OP_INS)
                want_add(&wa, o.v[k].a);
            if (o.v[k].kind != OP_DEL)
                want_add(&wb, o.v[k].b);
        }
    }
    want_finish(&wa);
    want_finish(&wb);
    char err[256];
    A.n_damaged = B.n_damaged = 0;
    if (ndiff && (kdsession_read(A.path, &g_o.sess, collect_shown, &wa, err, sizeof err) != 0 ||
                  kdsession_read(B.path, &g_o.sess, collect_shown, &wb, err, sizeof err) != 0)) {
        fprintf(stderr, "%s: %s\n", prog, err);
        want_free(&wa);
        want_free(&wb);
        free(o.v);
        free(A.v);
        free(B.v);
        return 2;
    }

    int rc = ndiff ? 1 : 0;
    if (g_o.stat)
        print_stat(&A, &B, &o);
    else if (g_o.json)
        print_json(&A, &B, &o, &wa, &wb);
    else if (ndiff)
        print_unified(&A, &B, &o, &wa, &wb);
    if (g_o.max_time_ratio > 0 && timing(&A, &B) > 0)
        rc = 1;
    if (g_o.junit && write_junit(g_o.junit, &A, &B, &o, &wa, &wb) != 0)
        rc = 2;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: standard output: %s\n", prog, strerror(errno));
        rc = 2;
    }
    want_free(&wa);
    want_free(&wb);
    free(o.v);
    free(A.v);
    free(B.v);
    return rc;
}
