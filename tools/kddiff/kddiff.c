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
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cliopt.h"
#include "diff.h"
#include "kdparse/identity.h"
#include "kdsession.h"
#include "kdparse/modmap.h"

static const char *prog = "kddiff";
static int g_progress; /* progress on standard error (a terminal, no -q) */


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

static int ignored_field(kd_field_id f)
{
    if (!g_o.transport && kd_identity_transport_field(f))
        return 1;
    if (g_o.ignore_data && kd_fields[f].type == KD_FT_BYTES)
        return 1;
    for (size_t i = 0; i < g_o.n_ignore; i++)
        if (fnmatch(g_o.ignore[i], kd_fields[f].abbrev, 0) == 0)
            return 1;
    return 0;
}

/* ------------------------------------------------------------ sessions */

typedef struct rec {
    uint64_t frame;
    uint64_t ident;   /* identity hash */
    uint64_t content; /* hash of the compared fields */
    uint32_t kind;    /* kd_identity_kind: pairs changes, names classes */
    uint32_t rt_api;  /* responses: the request's API */
    uint64_t rt_ns;   /* responses: response time (0: none) */
} rec;

typedef struct session {
    const char *path;
    kdsession_opts opts; /* how to read it */
    rec *v;
    size_t n, cap;
    uint64_t base;    /* kernel base (--rebase), 0 unknown */
    kd_modmap *mods;  /* --rebase: the modules as the session revealed them, fed in time order per pass */
    uint64_t damaged[16]; /* recent damaged copies (frames), per pass */
    unsigned n_damaged;
} session;

/* An address in the kernel image becomes an offset from its base; with
 * --rebase, an address a known module holds is its module and offset
 * (*is_rebased 2, *mod its name), so drivers that moved compare equal. */
#define REBASE_SPAN 0x10000000ull
static uint64_t rebased(const session *s, const kd_msg *m, kd_field_id f, uint64_t v, int *is_rebased,
                        const char **mod)
{
    *is_rebased = 0;
    kd_module_hit h;
    if (g_o.rebase && s->mods && kd_msg_field_is_address(m, f) && kd_modmap_lookup(s->mods, v, &h) == 0) {
        *is_rebased = 2;
        *mod = h.mod->name;
        return h.offset;
    }
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

static int skip_cb(kd_field_id f, void *user)
{
    (void)user;
    return ignored_field(f);
}

static uint64_t value_cb(const kd_msg *m, kd_field_id f, uint64_t v, int *changed, const char **name, void *user)
{
    return rebased(user, m, f, v, changed, name);
}

/* --rebase: a pointer in memory contents a known module holds is its
 * module and offset; a module not named yet (its name is read later) is
 * "unnamed", not its base. */
static uint64_t word_cb(const kd_msg *m, kd_field_id f, uint64_t addr, uint64_t v, int *changed, const char **name,
                        void *user)
{
    (void)m;
    (void)f;
    (void)addr;
    const session *s = user;
    kd_module_hit h;
    *changed = 0;
    if (!g_o.rebase || !s->mods || kd_modmap_lookup(s->mods, v, &h) != 0)
        return v;
    *changed = 1;
    *name = kd_module_unnamed(h.mod) ? "unnamed" : h.mod->name;
    return h.offset;
}

static int add_record(const kd_msg *m, const kd_annot *a, uint64_t frame, void *user)
{
    session *s = user;
    if (s->mods)
        kd_modmap_feed(s->mods, m, frame);
    if (!compared(s, m, a, frame))
        return 0;
    rec r = {.frame = frame};
    /* The identity and content kdparse defines (identity.h), with this
     * run's --ignore and --rebase. */
    kd_identity_opts io = {.skip = skip_cb, .value = value_cb, .word = g_o.rebase ? word_cb : NULL,
                           .with_length = g_o.transport, .user = s};
    kd_identity idn;
    kd_identity_of(m, &io, &idn);
    r.kind = idn.kind;
    r.ident = idn.ident;
    r.content = idn.content;
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
    kdsession_opts noisy = s->opts;
    noisy.prog = prog;
    if (g_o.rebase && kdsession_read(s->path, &s->opts, find_base, s, err, sizeof err) != 0)
        goto bad;
    if (g_o.rebase && !s->mods && !(s->mods = kd_modmap_new())) {
        fprintf(stderr, "%s: %s: out of memory\n", prog, s->path);
        exit(2);
    }
    if (s->mods)
        kd_modmap_reset(s->mods);
    if (kdsession_read(s->path, &noisy, add_record, s, err, sizeof err) != 0)
        goto bad;
    return 0;
bad:
    if (g_progress)
        fprintf(stderr, "\r\033[K");
    fprintf(stderr, "%s: %s: %s\n", prog, s->path, err);
    return -1;
}

/* ------------------------------------------------------------ alignment */

typedef diff_op op;
typedef diff_script ops;
#define OP_SAME DIFF_SAME
#define OP_CHANGE DIFF_CHANGE
#define OP_DEL DIFF_DEL
#define OP_INS DIFF_INS

typedef struct pair_ctx {
    const session *A, *B;
} pair_ctx;

static uint32_t kind_of(const void *ctx, int side, size_t i)
{
    const pair_ctx *p = ctx;
    return side ? p->B->v[i].kind : p->A->v[i].kind;
}

static void out_of_memory(void)
{
    fprintf(stderr, "%s: out of memory\n", prog);
    exit(2);
}

/*
 * Aligns the sessions by identity (diff.c), then: aligned messages whose
 * fields differ are changes, and within a run of deletions and insertions
 * a deleted and an inserted message of the same kind (in order) are one
 * message that changed.  Returns 1 when the middle was too different to
 * align (replaced wholesale), else 0.
 */
static int align(const session *A, const session *B, ops *out)
{
    pair_ctx p = {A, B};
    uint64_t *ia = malloc((A->n ? A->n : 1) * sizeof *ia), *ib = malloc((B->n ? B->n : 1) * sizeof *ib);
    if (!ia || !ib)
        out_of_memory();
    for (size_t i = 0; i < A->n; i++)
        ia[i] = A->v[i].ident;
    for (size_t j = 0; j < B->n; j++)
        ib[j] = B->v[j].ident;
    int cut = diff_align(ia, A->n, ib, B->n, KDDIFF_MAX_DIFFERENCES, out);
    free(ia);
    free(ib);
    if (cut < 0)
        out_of_memory();
    for (size_t i = 0; i < out->n; i++)
        if (out->v[i].kind == OP_SAME && A->v[out->v[i].a].content != B->v[out->v[i].b].content)
            out->v[i].kind = OP_CHANGE;
    if (diff_pair_changes(out, kind_of, &p) != 0)
        out_of_memory();
    return cut;
}

/* ------------------------------------------------------------ pass 2: what to show */

/*
 * The messages a reader sees (differences and their context) are read
 * again for their summaries, and for changes their fields.  They go to a
 * temporary file in record order, not to memory: a million differences
 * cost disk, not RSS.  The output walks each session's list in order, so
 * one record is in memory at a time.
 */
#define WANT_FIELDS ((size_t)1 << (sizeof(size_t) * 8 - 1)) /* flag on an index: keep its fields */

typedef struct shown {
    size_t idx;        /* record index */
    char *summary;
    char **fields;     /* "name\tvalue" of compared fields, for changes */
    size_t n_fields;
} shown;

typedef struct want {
    session *s;
    size_t *idx;       /* increasing record indices, | WANT_FIELDS */
    size_t n, cap, pos, seen;
    FILE *spill;       /* the shown messages, in order */
    shown cur;         /* the one last read back */
    int have;
} want;

static void spill_str(FILE *f, const char *t)
{
    uint32_t n = (uint32_t)strlen(t);
    fwrite(&n, sizeof n, 1, f);
    fwrite(t, 1, n, f);
}

/* --rebase's view of memory contents: words a module holds as
 * "kdtest+0x1100", the other bytes in hex, space-separated runs. */
typedef struct memtext {
    char *buf;
    size_t n, len;
} memtext;

static void memtext_emit(size_t off, const uint8_t *bytes, size_t len, const char *name, uint64_t v, int word,
                         void *user)
{
    (void)off;
    memtext *t = user;
    if (t->len + 1 >= t->n)
        return;
    int k = t->len ? snprintf(t->buf + t->len, t->n - t->len, " ") : 0;
    t->len += (size_t)k;
    if (word) {
        k = snprintf(t->buf + t->len, t->n - t->len, "%s+0x%" PRIx64, name, v);
        t->len += k < 0 ? 0 : (size_t)k < t->n - t->len ? (size_t)k : t->n - t->len - 1;
        return;
    }
    for (size_t i = 0; i < len && t->len + 3 < t->n; i++)
        t->len += (size_t)snprintf(t->buf + t->len, t->n - t->len, "%02x", bytes[i]);
}

static int collect_shown(const kd_msg *m, const kd_annot *a, uint64_t frame, void *user)
{
    want *w = user;
    if (w->s->mods)
        kd_modmap_feed(w->s->mods, m, frame);
    if (!compared(w->s, m, a, frame))
        return 0;
    size_t idx = w->seen++;
    if (w->pos >= w->n)
        return 1;
    if ((w->idx[w->pos] & ~WANT_FIELDS) != idx)
        return 0;
    int fields = (w->idx[w->pos++] & WANT_FIELDS) != 0;
    char line[1024];
    kd_msg_summary_mods(m, NULL, w->s->mods, line, sizeof line);
    fwrite(&idx, sizeof idx, 1, w->spill);
    spill_str(w->spill, line);
    uint32_t nf = 0;
    for (uint16_t i = 0; fields && i < m->n; i++)
        nf += kd_fields[m->nodes[i].field].type != KD_FT_NONE && !ignored_field((kd_field_id)m->nodes[i].field);
    fwrite(&nf, sizeof nf, 1, w->spill);
    for (uint16_t i = 0; nf && i < m->n; i++) {
        const kd_node *n = &m->nodes[i];
        kd_field_id f = (kd_field_id)n->field;
        if (kd_fields[f].type == KD_FT_NONE || ignored_field(f))
            continue;
        char val[2048], buf[2200];
        int r;
        const char *mod = NULL;
        uint64_t v = rebased(w->s, m, f, n->value, &r, &mod);
        kd_identity_opts io = {.word = word_cb, .user = w->s};
        memtext mt = {val, sizeof val, 0};
        val[0] = 0;
        if (g_o.rebase && kd_fields[f].type == KD_FT_BYTES && kd_identity_memory_words(m, n, &io, memtext_emit, &mt))
            snprintf(val + mt.len, sizeof val - mt.len, " (%" PRIu32 " byte%s)", n->length, n->length == 1 ? "" : "s");
        else if (mod)
            snprintf(val, sizeof val, "%s+0x%" PRIx64, mod, v);
        else if (r)
            snprintf(val, sizeof val, "base+0x%" PRIx64, v);
        else
            kd_node_format(n, val, sizeof val);
        snprintf(buf, sizeof buf, "%s\t%s", kd_fields[f].abbrev, val);
        spill_str(w->spill, buf);
    }
    return 0;
}

static void want_add(want *w, size_t idx, int fields)
{
    if (w->n && (w->idx[w->n - 1] & ~WANT_FIELDS) == idx) {
        w->idx[w->n - 1] |= fields ? WANT_FIELDS : 0;
        return;
    }
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 1024;
        size_t *v = realloc(w->idx, w->cap * sizeof *v);
        if (!v)
            out_of_memory();
        w->idx = v;
    }
    w->idx[w->n++] = idx | (fields ? WANT_FIELDS : 0);
}

static void shown_clear(shown *sh)
{
    free(sh->summary);
    for (size_t j = 0; j < sh->n_fields; j++)
        free(sh->fields[j]);
    free(sh->fields);
    *sh = (shown){0};
}

static char *read_str(FILE *f)
{
    uint32_t n;
    if (fread(&n, sizeof n, 1, f) != 1)
        return NULL;
    char *t = malloc((size_t)n + 1);
    if (!t)
        out_of_memory();
    if (fread(t, 1, n, f) != n) {
        free(t);
        return NULL;
    }
    t[n] = 0;
    return t;
}

/* Reads the next shown message back: 0, or -1 at the end. */
static int want_next(want *w)
{
    shown_clear(&w->cur);
    w->have = 0;
    uint32_t nf;
    if (fread(&w->cur.idx, sizeof w->cur.idx, 1, w->spill) != 1 || !(w->cur.summary = read_str(w->spill)) ||
        fread(&nf, sizeof nf, 1, w->spill) != 1)
        return -1;
    w->cur.fields = calloc(nf ? nf : 1, sizeof *w->cur.fields);
    if (!w->cur.fields)
        out_of_memory();
    for (uint32_t i = 0; i < nf; i++) {
        if (!(w->cur.fields[i] = read_str(w->spill)))
            return -1;
        w->cur.n_fields++;
    }
    w->have = 1;
    return 0;
}

/* The shown message idx, or NULL; calls come in increasing idx between rewinds. */
static const shown *find_shown(want *w, size_t idx)
{
    while (!w->have || w->cur.idx < idx)
        if (want_next(w) != 0)
            return NULL;
    return w->cur.idx == idx ? &w->cur : NULL;
}

static void want_rewind(want *w)
{
    shown_clear(&w->cur);
    w->have = 0;
    rewind(w->spill);
}

static void want_free(want *w)
{
    shown_clear(&w->cur);
    free(w->idx);
    if (w->spill)
        fclose(w->spill);
}

static void session_free(session *s)
{
    free(s->v);
    kd_modmap_free(s->mods);
}

/* What main holds, given back on the way out. */
static void free_all(session *A, session *B, want *wa, want *wb, ops *o)
{
    want_free(wa);
    want_free(wb);
    diff_script_free(o);
    session_free(A);
    session_free(B);
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
    return kd_dir_name(kd_identity_kind_split(kind).dir);
}

/* "d2t ReadVirtualMemory", "t2d LoadSymbols", "d2t ACK": a class of
 * messages, in kdcat's words (kdparse's short-name tables). */
static void class_name(uint32_t kind, char *buf, size_t n)
{
    kd_identity_class c = kd_identity_kind_split(kind);
    const char *what = NULL, *tn = NULL;
    unsigned number = c.api;
    if (!c.is_data) {
        number = c.type;
        what = c.item == KD_ITEM_CONTROL ? kd_val_name(kd_vals_control_short, c.type)
                                         : kd_val_name(kd_vals_item_kind_short, c.item);
        tn = c.item == KD_ITEM_CONTROL ? kd_packet_type_name(c.type) : kd_item_kind_name(c.item);
    } else {
        if (c.type == KD_TYPE_STATE_MANIPULATE)
            what = kd_val_name(kd_vals_api_short, c.api);
        else if (c.type == KD_TYPE_STATE_CHANGE64 || c.type == KD_TYPE_STATE_CHANGE32)
            what = kd_val_name(kd_vals_state_short, c.api);
        else if (c.type <= KD_TYPE_MAX)
            what = kd_val_name(kd_vals_io_api_short, c.api);
        tn = c.type <= KD_TYPE_MAX ? kd_packet_type_name(c.type) : NULL;
    }
    if (what)
        snprintf(buf, n, "%s %s", kd_dir_name(c.dir), what);
    else
        snprintf(buf, n, "%s %s 0x%04x", kd_dir_name(c.dir), tn ? tn : "item", number);
}

/* JUnit's classname: the packet type the class belongs to. */
static void class_group(uint32_t kind, char *buf, size_t n)
{
    kd_identity_class c = kd_identity_kind_split(kind);
    const char *tn = !c.is_data ? (c.item == KD_ITEM_CONTROL ? kd_packet_type_name(c.type) : kd_item_kind_name(c.item))
                                : (c.type <= KD_TYPE_MAX ? kd_packet_type_name(c.type) : NULL);
    snprintf(buf, n, "kddiff.%s", tn ? tn : "other");
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

/* A hunk's line: tag (' ', '-' or '+'), the frame and direction of S's i-th entry, its summary. */
static void print_hunk_line(char tag, const session *S, size_t i, const shown *sh)
{
    printf("%c #%-5" PRIu64 " %s  %s\n", tag, S->v[i].frame, dir_tag(S->v[i].kind), sh ? sh->summary : "?");
}

static void print_unified(const session *A, const session *B, const ops *o, want *wa, want *wb)
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
                print_hunk_line(' ', A, p->a, sa);
                break;
            case OP_DEL:
                print_hunk_line('-', A, p->a, sa);
                break;
            case OP_INS:
                print_hunk_line('+', B, p->b, sb);
                break;
            case OP_CHANGE:
                print_hunk_line('-', A, p->a, sa);
                print_hunk_line('+', B, p->b, sb);
                if (sa && sb)
                    print_fdiffs(sa, sb);
                break;
            }
        }
        i = stop;
    }
}

static void print_json(const session *A, const session *B, const ops *o, want *wa, want *wb)
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
        kd_json_print_string(stdout, cls);
        if (sa) {
            printf(",\"a_frame\":%" PRIu64 ",\"a\":", A->v[p->a].frame);
            kd_json_print_string(stdout, sa->summary);
        }
        if (sb) {
            printf(",\"b_frame\":%" PRIu64 ",\"b\":", B->v[p->b].frame);
            kd_json_print_string(stdout, sb->summary);
        }
        if (sa && sb) {
            fdiff d[64];
            size_t n = field_diffs(sa, sb, d, 64);
            printf(",\"fields\":[");
            for (size_t k = 0; k < n && k < 64; k++) {
                char name[256];
                snprintf(name, sizeof name, "%.*s", (int)d[k].name_len, d[k].name);
                printf("%s{\"field\":", k ? "," : "");
                kd_json_print_string(stdout, name);
                printf(",\"a\":");
                if (d[k].a)
                    kd_json_print_string(stdout, d[k].a);
                else
                    printf("null");
                printf(",\"b\":");
                if (d[k].b)
                    kd_json_print_string(stdout, d[k].b);
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
    char *detail;      /* JUnit: the first differences, as text */
    size_t detail_len, n_detail;
} klass;

typedef struct klasses {
    klass *v;
    size_t n, cap;
} klasses;

static klass *class_of(klasses *c, uint32_t kind)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].kind == kind)
            return &c->v[i];
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        klass *v = realloc(c->v, c->cap * sizeof *v);
        if (!v)
            out_of_memory();
        c->v = v;
    }
    c->v[c->n] = (klass){.kind = kind};
    return &c->v[c->n++];
}

static void classes(const session *A, const session *B, const ops *o, klasses *out)
{
    for (size_t i = 0; i < o->n; i++) {
        const op *p = &o->v[i];
        klass *c = class_of(out, p->kind == OP_INS ? B->v[p->b].kind : A->v[p->a].kind);
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
}

static void classes_free(klasses *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i].detail);
    free(c->v);
}

/* ------------------------------------------------------------ timing */

/* An API whose p95 response time grew by more than --max-time-ratio. */
typedef struct slowdown {
    uint32_t api;
    uint64_t a_ns, b_ns; /* p95 */
    size_t na, nb;       /* replies */
} slowdown;

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
        out_of_memory();
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

/* The APIs (of kdparse's table) answered in both sessions, and whether each is slower. */
static size_t timing(const session *A, const session *B, slowdown *out, int *slower, size_t max)
{
    size_t n = 0;
    for (const kd_val *v = kd_vals_api_short; v->name && n < max; v++) {
        size_t na, nb;
        uint64_t a = p95(A, v->value, &na), b = p95(B, v->value, &nb);
        if (!na || !nb)
            continue;
        slower[n] = (double)b > (double)a * g_o.max_time_ratio;
        out[n++] = (slowdown){v->value, a, b, na, nb};
    }
    return n;
}

static void print_slowdown(const slowdown *d)
{
    const char *name = kd_val_name(kd_vals_api_short, d->api);
    if (g_o.json) {
        printf("{\"op\":\"slower\",\"class\":\"t2d %s\",\"api\":\"%s\",\"a_p95_ms\":%.3f,\"b_p95_ms\":%.3f,"
               "\"ratio\":%.2f,\"limit\":%.2f,\"a_replies\":%zu,\"b_replies\":%zu}\n",
               name, name, (double)d->a_ns / 1e6, (double)d->b_ns / 1e6,
               d->a_ns ? (double)d->b_ns / (double)d->a_ns : 0.0, g_o.max_time_ratio, d->na, d->nb);
        return;
    }
    printf("slower: %s p95 %.3f ms -> %.3f ms (x%.2f, limit x%.2f; %zu and %zu replies)\n", name,
           (double)d->a_ns / 1e6, (double)d->b_ns / 1e6, d->a_ns ? (double)d->b_ns / (double)d->a_ns : 0.0,
           g_o.max_time_ratio, d->na, d->nb);
}

/* ------------------------------------------------------------ summaries */

static void print_stat(const klasses *c)
{
    size_t same = 0, changed = 0, only_a = 0, only_b = 0;
    if (!g_o.json)
        printf("%-40s %8s %8s %8s %8s\n", "messages", "same", "changed", "only A", "only B");
    else
        printf("{\"classes\":[");
    int first = 1;
    for (size_t i = 0; i < c->n; i++) {
        const klass *k = &c->v[i];
        char cls[128];
        class_name(k->kind, cls, sizeof cls);
        same += k->same;
        changed += k->changed;
        only_a += k->only_a;
        only_b += k->only_b;
        if (!(k->changed || k->only_a || k->only_b))
            continue;
        if (g_o.json) {
            printf("%s{\"class\":", first ? "" : ",");
            kd_json_print_string(stdout, cls);
            printf(",\"same\":%zu,\"changed\":%zu,\"only_a\":%zu,\"only_b\":%zu}", k->same, k->changed, k->only_a,
                   k->only_b);
            first = 0;
        } else {
            printf("%-40s %8zu %8zu %8zu %8zu\n", cls, k->same, k->changed, k->only_a, k->only_b);
        }
    }
    if (g_o.json)
        printf("],\"total\":{\"same\":%zu,\"changed\":%zu,\"only_a\":%zu,\"only_b\":%zu}}\n", same, changed, only_a,
               only_b);
    else
        printf("%-40s %8zu %8zu %8zu %8zu\n", "total", same, changed, only_a, only_b);
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

/* A JUnit failure lists this many differences of its class, then a count. */
#define JUNIT_DETAIL_MAX 100

static void detail_add(klass *k, const char *line)
{
    size_t n = strlen(line);
    char *d = realloc(k->detail, k->detail_len + n + 1);
    if (!d)
        out_of_memory();
    memcpy(d + k->detail_len, line, n + 1);
    k->detail = d;
    k->detail_len += n;
}

/* The failure text of each class: one walk over the script. */
static void junit_details(const session *A, const session *B, const ops *o, klasses *c, want *wa, want *wb)
{
    for (size_t i = 0; i < o->n; i++) {
        const op *p = &o->v[i];
        if (p->kind == OP_SAME)
            continue;
        klass *k = class_of(c, p->kind == OP_INS ? B->v[p->b].kind : A->v[p->a].kind);
        if (k->n_detail++ >= JUNIT_DETAIL_MAX)
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
        detail_add(k, line);
        if (sa && sb) {
            fdiff d[64];
            size_t nd = field_diffs(sa, sb, d, 64);
            for (size_t j = 0; j < nd && j < 64; j++) {
                snprintf(line, sizeof line, "  %.*s: %s -> %s\n", (int)d[j].name_len, d[j].name,
                         d[j].a ? d[j].a : "(absent)", d[j].b ? d[j].b : "(absent)");
                detail_add(k, line);
            }
        }
    }
}

/* One test case per class of messages and per API timed; a failure lists what differs. */
static int write_junit(const char *path, const klasses *c, const slowdown *sd, const int *slower, size_t n_sd)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    size_t failures = 0;
    for (size_t i = 0; i < c->n; i++)
        failures += (c->v[i].changed || c->v[i].only_a || c->v[i].only_b);
    for (size_t i = 0; i < n_sd; i++)
        failures += slower[i] != 0;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites><testsuite name=\"kddiff\" tests=\"%zu\" failures=\"%zu\">\n", c->n + n_sd, failures);
    for (size_t i = 0; i < c->n; i++) {
        const klass *k = &c->v[i];
        char cls[128], group[64];
        class_name(k->kind, cls, sizeof cls);
        class_group(k->kind, group, sizeof group);
        fprintf(f, "  <testcase classname=\"%s\" name=\"", group);
        xml_str(f, cls);
        fprintf(f, "\"");
        if (!(k->changed || k->only_a || k->only_b)) {
            fprintf(f, "/>\n");
            continue;
        }
        fprintf(f, ">\n    <failure message=\"%zu changed, %zu only in A, %zu only in B\">", k->changed, k->only_a,
                k->only_b);
        if (k->detail)
            xml_str(f, k->detail);
        if (k->n_detail > JUNIT_DETAIL_MAX)
            fprintf(f, "... and %zu more\n", k->n_detail - JUNIT_DETAIL_MAX);
        fprintf(f, "</failure>\n  </testcase>\n");
    }
    for (size_t i = 0; i < n_sd; i++) {
        const slowdown *d = &sd[i];
        const char *name = kd_val_name(kd_vals_api_short, d->api);
        fprintf(f, "  <testcase classname=\"kddiff.timing\" name=\"%s p95\"", name);
        if (!slower[i]) {
            fprintf(f, "/>\n");
            continue;
        }
        fprintf(f, ">\n    <failure message=\"p95 %.3f ms -&gt; %.3f ms (x%.2f, limit x%.2f)\">%zu and %zu replies\n"
                   "</failure>\n  </testcase>\n",
                (double)d->a_ns / 1e6, (double)d->b_ns / 1e6, d->a_ns ? (double)d->b_ns / (double)d->a_ns : 0.0,
                g_o.max_time_ratio, d->na, d->nb);
    }
    fprintf(f, "</testsuite></testsuites>\n");
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        fprintf(stderr, "%s: %s: write error\n", prog, path);
        return -1;
    }
    return 0;
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
            "                         (with --json: one JSON object)\n"
            "      --json             JSON Lines, one object per difference\n"
            "      --junit=FILE       also write a JUnit report (one test case per class\n"
            "                         and, with --max-time-ratio, per API timed)\n"
            "      --ignore=FIELD     leave out fields matching FIELD (a glob such as\n"
            "                         'kd.context.*'); repeatable\n"
            "      --ignore-data      leave out payload bytes\n"
            "      --rebase           compare kernel addresses relative to the kernel base\n"
            "                         (from GetVersion or the first load-symbols event)\n"
            "      --transport        keep packet ids, checksums, ACKs, RESENDs, RESETs,\n"
            "                         retransmissions and duplicates\n"
            "      --max-time-ratio=R report APIs whose p95 response time in B exceeds\n"
            "                         A's by more than R times (R >= 1; a difference)\n"
            "  -a, --arch=ARCH        decode as x86, amd64, arm64 (default: inferred)\n"
            "  -w, --width=BITS       manipulate layout 32 or 64 (default: inferred)\n"
            "  -d, --direction=DIR    label raw streams named after it: d2t or t2d\n"
            "  -f, --format=FMT       auto (default), pcapng, pcap or raw, for those named after it\n"
            "      --port=N, --target-port=PORT, --target=HOST:PORT   captures made by\n"
            "                         others (KD in TCP or UDP), as kdcat\n"
            "      --kdnet-key=KEY, --kdnet-data-key=HEX   decrypt KDNET, as kdcat\n"
            "  -q, --quiet            no progress on standard error\n"
            "  -h, --help             show this help and exit\n"
            "      --version          show the version and exit\n"
            "\n"
            "Exit status: 0 the sessions match, 1 they differ, 2 error.\n",
            prog);
}

/* Progress on a terminal: what is being done, rewritten in place. */
static void progress(const char *what, const char *path)
{
    if (g_progress)
        fprintf(stderr, "\r\033[K%s: %s %s", prog, what, path ? path : "");
}

static void progress_done(void)
{
    if (g_progress)
        fprintf(stderr, "\r\033[K");
}

int main(int argc, char **argv)
{
    enum { O_STAT = 256, O_JSON, O_JUNIT, O_IGNORE, O_IGNORE_DATA, O_REBASE, O_TRANSPORT, O_RATIO, O_VERSION };
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
        KDSESSION_LONGOPTS,
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    int c, quiet = 0;
    uint64_t v;
    /* Sessions in order; --direction and --format apply to those named after them, as in kdcat. */
    const char *paths[2];
    kdsession_opts sess_opts[2];
    int n_paths = 0;
    g_o.sess.raw_dir = KD_DIR_UNKNOWN;
    g_o.sess.format = KDCAP_FORMAT_AUTO;
    opterr = 0; /* our own one-line messages */
    while ((c = getopt_long(argc, argv, "-:U:" KDSESSION_SHORTOPTS "qh", longopts, NULL)) != -1) {
        switch (c) {
        case 1:
            if (n_paths == 2) {
                fprintf(stderr, "%s: %s: expected two sessions, A and B (try '%s --help')\n", prog, optarg, prog);
                return 2;
            }
            paths[n_paths] = optarg;
            sess_opts[n_paths++] = g_o.sess;
            break;
        case 'U':
            if (kd_opt_unsigned(prog, optarg, 10, 0, INT_MAX, &v, "--unified: '%s' is not a number of lines",
                                optarg) != 0)
                return 2;
            g_o.context = (int)v;
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
            if (kd_opt_double(prog, optarg, 1, INFINITY, &g_o.max_time_ratio,
                              "--max-time-ratio: '%s' is not a ratio of at least 1", optarg) != 0)
                return 2;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case O_VERSION:
            printf("kddiff (kdscope) %s\n", KDSCOPE_VERSION);
            return 0;
        case ':':
        default: {
            int r = c == ':' || c == '?' ? 1 : kdsession_parse_option(prog, c, optarg, &g_o.sess, &kdnet);
            if (r < 0)
                return 2;
            if (r == 0)
                break;
            return kd_opt_complaint(prog, NULL, c, argv);
        }
        }
    }
    if (n_paths != 2) {
        fprintf(stderr, "%s: expected two sessions, A and B (try '%s --help')\n", prog, prog);
        return 2;
    }
    g_progress = !quiet && isatty(STDERR_FILENO);
    /* All but --direction and --format apply to both sessions wherever they stand. */
    for (int i = 0; i < 2; i++) {
        kd_dir dir = sess_opts[i].raw_dir;
        kdcap_format format = sess_opts[i].format;
        sess_opts[i] = g_o.sess;
        sess_opts[i].raw_dir = dir;
        sess_opts[i].format = format;
    }
    session A = {.path = paths[0], .opts = sess_opts[0]}, B = {.path = paths[1], .opts = sess_opts[1]};
    /* "-" is standard input, for one of the two (each is read more than once). */
    if (strcmp(A.path, "-") == 0 && strcmp(B.path, "-") == 0) {
        fprintf(stderr, "%s: -: standard input can be only one of the two sessions\n", prog);
        return 2;
    }
    if (kdsession_spool_stdin(prog, &A.path) != 0 || kdsession_spool_stdin(prog, &B.path) != 0)
        return 2;
    progress("reading", A.path);
    if (load(&A) != 0) {
        session_free(&A);
        return 2;
    }
    progress("reading", B.path);
    if (load(&B) != 0) {
        session_free(&A);
        session_free(&B);
        return 2;
    }

    progress("aligning", NULL);
    ops o = {0};
    align(&A, &B, &o);
    size_t ndiff = 0;
    for (size_t i = 0; i < o.n; i++)
        ndiff += o.v[i].kind != OP_SAME;

    /* Pass 2: summaries and fields of the messages a reader will see
     * (none for --stat alone: it counts). */
    int show = ndiff && (!g_o.stat || g_o.junit);
    size_t ctx = g_o.json || g_o.junit || g_o.stat ? 0 : (size_t)g_o.context;
    want wa = {.s = &A}, wb = {.s = &B};
    if (show) {
        size_t done = 0; /* ops[0..done) are in the lists */
        for (size_t i = 0; i < o.n; i++) {
            if (o.v[i].kind == OP_SAME)
                continue;
            size_t lo = i >= ctx ? i - ctx : 0, hi = i + ctx + 1 < o.n ? i + ctx + 1 : o.n;
            for (size_t k = lo > done ? lo : done; k < hi; k++) {
                int fields = o.v[k].kind == OP_CHANGE;
                if (o.v[k].kind != OP_INS)
                    want_add(&wa, o.v[k].a, fields);
                if (o.v[k].kind != OP_DEL)
                    want_add(&wb, o.v[k].b, fields);
            }
            if (hi > done)
                done = hi;
        }
        wa.spill = tmpfile();
        wb.spill = tmpfile();
        if (!wa.spill || !wb.spill) {
            progress_done();
            fprintf(stderr, "%s: temporary file: %s\n", prog, strerror(errno));
            want_free(&wa);
            want_free(&wb);
            return 2;
        }
    }
    char err[256];
    A.n_damaged = B.n_damaged = 0;
    if (show) {
        const char *bad = NULL;
        if (A.mods)
            kd_modmap_reset(A.mods);
        if (B.mods)
            kd_modmap_reset(B.mods);
        progress("reading again", A.path);
        if (kdsession_read(A.path, &A.opts, collect_shown, &wa, err, sizeof err) != 0)
            bad = A.path;
        progress("reading again", B.path);
        if (!bad && kdsession_read(B.path, &B.opts, collect_shown, &wb, err, sizeof err) != 0)
            bad = B.path;
        if (!bad && (fflush(wa.spill) != 0 || fflush(wb.spill) != 0 || ferror(wa.spill) || ferror(wb.spill))) {
            bad = "temporary file";
            snprintf(err, sizeof err, "%s", strerror(errno));
        }
        if (bad) {
            progress_done();
            fprintf(stderr, "%s: %s: %s\n", prog, bad, err);
            free_all(&A, &B, &wa, &wb, &o);
            return 2;
        }
        want_rewind(&wa);
        want_rewind(&wb);
    }
    progress_done();

    slowdown sd[128];
    int slower[128];
    size_t n_sd = g_o.max_time_ratio > 0 ? timing(&A, &B, sd, slower, 128) : 0;
    int rc = ndiff ? 1 : 0;
    klasses cl = {0};
    classes(&A, &B, &o, &cl);
    if (g_o.stat)
        print_stat(&cl);
    else if (g_o.json)
        print_json(&A, &B, &o, &wa, &wb);
    else if (ndiff)
        print_unified(&A, &B, &o, &wa, &wb);
    for (size_t i = 0; i < n_sd; i++) {
        if (!slower[i])
            continue;
        if (!g_o.stat)
            print_slowdown(&sd[i]);
        rc = 1;
    }
    if (g_o.junit) {
        if (show && !g_o.stat) {
            want_rewind(&wa);
            want_rewind(&wb);
        }
        if (show)
            junit_details(&A, &B, &o, &cl, &wa, &wb);
        if (write_junit(g_o.junit, &cl, sd, slower, n_sd) != 0)
            rc = 2;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: standard output: %s\n", prog, strerror(errno));
        rc = 2;
    }
    classes_free(&cl);
    free_all(&A, &B, &wa, &wb, &o);
    return rc;
}
