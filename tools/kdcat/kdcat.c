/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdcat - decode kernel-debugger captures: a summary line per message, the
 * full tree (-V), JSON Lines (--json), statistics (--stats).
 *
 * Input: whatever kdsession reads (kdscope pcapng, captures made by others,
 * raw byte streams; - is standard input).  Every item is decoded, fed to the
 * session tracker, and held in a short queue until its forward links (its
 * ACK, its response) are known, so lines carry them; memory stays bounded.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capio.h"
#include "cliopt.h"
#include "kdsession.h"
#include "kdparse/decode.h"
#include "kdparse/framer.h"
#include "kdparse/kdnet.h"
#include "kdparse/modmap.h"
#include "kdparse/step.h"
#include "stats.h"

static const char *prog = "kdcat";

/* Items wait here until nothing more can be learnt about them. */
#define QUEUE_MAX 256u
#define QUEUE_MAX_AGE_NS 2000000000ull /* or until 2 s of capture time passed */

typedef struct slot {
    uint64_t frame;                   /* the record (pcapng) or item number (raw) */
    uint64_t key;                     /* the tracker's: kd_step_key(frame, index in the record) */
    kd_item item;                     /* bytes point into buf */
    kd_annot annot;                   /* as known when added */
    uint8_t buf[KD_ITEM_MAX_BYTES > KD_RUN_MAX_BYTES ? KD_ITEM_MAX_BYTES : KD_RUN_MAX_BYTES];
    kd_msg msg;
    /* KDNET: the datagram that carried the item, or (datagram set) a
     * datagram that carries no KD packet (handshake, announcement, one not
     * decrypted), rendered when it arrived: its key state moves on. */
    int datagram;
    kd_dir dg_dir;
    size_t dg_len;
    char dg_line[256];
    char dg_tree[2048];
    char dg_json[2048];
} slot;

/* A KDNET datagram rendered for a slot. */
typedef struct dg_text {
    uint64_t frame;
    int valid;
    char line[256], tree[2048], json[2048];
} dg_text;

typedef enum { OUT_LINES, OUT_TREE, OUT_JSON, OUT_STATS, OUT_MODULES } out_mode;

typedef struct opts {
    out_mode mode;
    int hex;
    int quiet;
    kd_arch arch;
    uint8_t width;
    kdcap_format format;
    kd_dir raw_dir;
    kdcap_net_opts net;
    kdsession_kdnet kdnet;
    int no_modules;    /* --no-modules: addresses as numbers only */
    int stats_json;    /* --stats --json: the statistics as one JSON object */
    int several;       /* more than one file: JSON objects name theirs ("file") */
} opts;

typedef struct run {
    const opts *o;
    uint64_t seq;      /* items so far */
    int have_t0;
    uint64_t t0_ns;
    kd_step *step;     /* the session's decode-and-track step (its tracker) */
    kdcat_stats *stats;
    kd_modmap *mods;   /* the session's modules, fed in time order as items go out */
    unsigned session;  /* sessions of this file so far (for --modules) */
    slot *q;           /* ring of QUEUE_MAX */
    size_t head, count;
    /* progress */
    int progress;
    time_t last_progress;
    uint64_t bytes;
    uint64_t offset;   /* of the input read so far */
    uint64_t size;     /* the input's size (a regular file), else 0 */
    dg_text dg;        /* the KDNET datagram of the items that follow */
    const char *path;  /* as shown by --modules */
} run;

/* ------------------------------------------------------------ output */

static void print_time(uint64_t ns)
{
    printf("%" PRIu64 ".%09" PRIu64, ns / 1000000000u, ns % 1000000000u);
}

static void hex_dump(const kd_item *it)
{
    for (size_t off = 0; off < it->len; off += 16) {
        printf("    %04zx ", off);
        for (size_t i = 0; i < 16; i++) {
            if (off + i < it->len)
                printf(" %02x", it->bytes[off + i]);
            else
                printf("   ");
        }
        printf("  ");
        for (size_t i = 0; i < 16 && off + i < it->len; i++) {
            uint8_t ch = it->bytes[off + i];
            putchar(ch >= 0x20 && ch < 0x7F ? ch : '.');
        }
        putchar('\n');
    }
}

/* A JSON object's start; with several files, the first member names the
 * object's file. */
static void json_start(const run *r)
{
    putchar('{');
    if (!r->o->several)
        return;
    fputs("\"file\":", stdout);
    kd_json_print_string(stdout, r->path);
    putchar(',');
}

/* A KDNET datagram that carries no KD packet: its own line, tree and JSON. */
static void emit_datagram(run *r, const slot *s)
{
    const kd_item *it = &s->item;
    if (r->o->mode == OUT_STATS || r->o->mode == OUT_MODULES)
        return;
    if (r->o->mode == OUT_JSON) {
        json_start(r);
        printf("\"frame\":%" PRIu64 ",\"time\":\"", s->frame);
        print_time(it->ts_ns);
        printf("\",\"dir\":");
        if (s->dg_dir == KD_DIR_UNKNOWN)
            printf("null");
        else
            printf("\"%s\"", kd_dir_name(s->dg_dir));
        printf(",\"kind\":\"kdnet\",\"offset\":0,\"length\":%zu%s}\n", s->dg_len, s->dg_json);
        return;
    }
    uint64_t rel = it->ts_ns >= r->t0_ns ? it->ts_ns - r->t0_ns : 0;
    printf("%6" PRIu64 " ", s->frame);
    print_time(rel);
    printf(" %s  %s\n", kd_dir_name(s->dg_dir), s->dg_line);
    if (r->o->mode == OUT_TREE)
        printf("%s\n", s->dg_tree);
}

static void emit(run *r, slot *s)
{
    const kd_annot *fresh = kd_step_get(r->step, s->key);
    /* Links are tracker keys; people read frame numbers. */
    kd_annot shown = fresh ? *fresh : s->annot;
    kd_step_links_to_frames(&shown);
    const kd_annot *a = &shown;
    const kd_msg *m = &s->msg;
    const kd_item *it = &s->item;
    if (!r->have_t0) {
        r->have_t0 = 1;
        r->t0_ns = it->ts_ns;
    }
    if (s->datagram) {
        emit_datagram(r, s);
        return;
    }
    if (r->o->mode == OUT_STATS) {
        kdcat_stats_add(r->stats, m, a);
        return;
    }
    /* Fed before it is shown: a LoadSymbols names its own base. */
    if (!r->o->no_modules || r->o->mode == OUT_MODULES)
        kd_modmap_feed(r->mods, m, s->frame);
    if (r->o->mode == OUT_MODULES)
        return;
    const kd_modmap *mm = r->o->no_modules ? NULL : r->mods;
    if (r->o->mode == OUT_JSON) {
        json_start(r);
        printf("\"frame\":%" PRIu64 ",\"time\":\"", s->frame);
        print_time(it->ts_ns);
        printf("\",\"dir\":");
        if (it->dir == KD_DIR_UNKNOWN)
            printf("null");
        else
            printf("\"%s\"", kd_dir_name(it->dir));
        printf(",\"kind\":\"%s\",\"offset\":%" PRIu64 ",\"length\":%zu", kd_item_kind_name(it->kind),
               it->offset, it->len);
        const char *names[24];
        size_t np = kd_msg_problems(m, a, names, 24);
        if (np) {
            printf(",\"problems\":[");
            for (size_t i = 0; i < np; i++)
                printf("%s\"%s\"", i ? "," : "", names[i]);
            putchar(']');
        }
        kd_msg_print_json_fields_mods(stdout, m, a, mm);
        fputs(s->dg_json, stdout);
        printf("}\n");
        return;
    }
    char line[1024];
    kd_msg_summary_mods(m, a, mm, line, sizeof line);
    uint64_t rel = it->ts_ns >= r->t0_ns ? it->ts_ns - r->t0_ns : 0;
    printf("%6" PRIu64 " ", s->frame);
    print_time(rel);
    printf(" %s  %s\n", kd_dir_name(it->dir), line);
    if (r->o->mode == OUT_TREE) {
        fputs(s->dg_tree, stdout);
        kd_msg_print_tree_mods(stdout, m, a, mm);
    }
    if (r->o->hex)
        hex_dump(it);
    if (r->o->mode == OUT_TREE || r->o->hex)
        putchar('\n');
}

/* Emits queued items that can learn nothing more (or must go: the queue is
 * full or the item is old); all of them when flush is set.  Choice: while
 * the session's architecture is not known, items wait too (within the same
 * bounds), so that the state changes and Continue2s before GetVersion are
 * shown decoded with it (redecode_held). */
static void drain(run *r, int flush, uint64_t now_ns)
{
    int arch_known = kd_step_arch(r->step) != KD_ARCH_UNKNOWN;
    while (r->count) {
        slot *s = &r->q[r->head];
        int ready = flush || r->count >= QUEUE_MAX || (arch_known && !kd_step_pending(r->step, s->key)) ||
                    (now_ns > s->item.ts_ns && now_ns - s->item.ts_ns > QUEUE_MAX_AGE_NS);
        if (!ready)
            break;
        emit(r, s);
        r->head = (r->head + 1) % QUEUE_MAX;
        r->count--;
    }
}

static void progress(run *r)
{
    time_t now = time(NULL);
    if (now == r->last_progress)
        return;
    r->last_progress = now;
    /* A file's size is known: how far through it, in percent. */
    if (r->size && r->offset <= r->size)
        fprintf(stderr, "\r%s: %3u%%  %" PRIu64 " items, %.1f MB", prog, (unsigned)(r->offset * 100 / r->size),
                r->seq, (double)r->bytes / 1e6);
    else
        fprintf(stderr, "\r%s: %" PRIu64 " items, %.1f MB", prog, r->seq, (double)r->bytes / 1e6);
}

/* The session's architecture was just learned: what is still held was
 * decoded without it, so it is decoded again (with the width it had). */
static void redecode_held(run *r)
{
    for (size_t i = 0; i < r->count; i++) {
        slot *s = &r->q[(r->head + i) % QUEUE_MAX];
        if (s->item.kind != KD_ITEM_DATA)
            continue;
        kd_step_redecode(r->step, &s->msg);
    }
}

static int on_item(const kd_item *it, uint64_t frame, uint64_t key, void *user)
{
    run *r = user;
    if (r->count == QUEUE_MAX)
        drain(r, 0, it->ts_ns);
    slot *s = &r->q[(r->head + r->count) % QUEUE_MAX];
    r->count++;
    s->frame = frame;
    s->key = key;
    s->datagram = 0;
    s->dg_tree[0] = s->dg_json[0] = 0;
    if (r->dg.valid && r->dg.frame == frame) {
        strcpy(s->dg_tree, r->dg.tree);
        strcpy(s->dg_json, r->dg.json);
    }
    r->seq++;
    r->bytes += it->len;
    /* Own the bytes: the framer's buffer is reused after this call. */
    memcpy(s->buf, it->bytes, it->len);
    s->item = *it;
    s->item.bytes = s->buf;
    if (it->body)
        s->item.body = s->buf + (it->body - it->bytes);

    if (kd_step_item(r->step, &s->item, s->key, &s->msg, &s->annot))
        redecode_held(r);
    drain(r, 0, it->ts_ns);
    if (r->progress && (r->seq & 4095) == 0)
        progress(r);
    return 0;
}

/* Renders a KDNET datagram into r->dg (text, tree, JSON members). */
static void render_datagram(run *r, const kdnet_result *res, uint64_t frame)
{
    r->dg.frame = frame;
    r->dg.valid = 1;
    r->dg.line[0] = r->dg.tree[0] = r->dg.json[0] = 0;
    /* Only what the output shows (a datagram's fields as text are costly). */
    out_mode mode = r->o->mode;
    if (mode == OUT_STATS)
        return;
    if (mode == OUT_JSON) {
        kdnet_json_fields(res, r->dg.json, sizeof r->dg.json);
        return;
    }
    kdnet_summary(res, r->dg.line, sizeof r->dg.line);
    if (mode != OUT_TREE)
        return;
    kdnet_node nodes[KDNET_MAX_NODES];
    size_t n = kdnet_nodes(res, nodes, KDNET_MAX_NODES), used = 0;
    r->dg.tree[0] = 0;
    for (size_t i = 0; i < n && used < sizeof r->dg.tree; i++) {
        char v[160];
        kdnet_node_format(&nodes[i], v, sizeof v);
        int k = snprintf(r->dg.tree + used, sizeof r->dg.tree - used, "    %*s%s: %s\n",
                         2 * nodes[i].depth, "", kdnet_fields[nodes[i].field].f.label, v);
        if (k < 0)
            break;
        used += (size_t)k;
    }
    if (used >= sizeof r->dg.tree)
        r->dg.tree[sizeof r->dg.tree - 1] = 0;
}

static void on_datagram(const kdnet_result *res, size_t len, uint64_t frame, uint64_t ts_ns, void *user)
{
    run *r = user;
    render_datagram(r, res, frame);
    if (res->kd)
        return; /* the item that follows carries it */
    if (r->count == QUEUE_MAX)
        drain(r, 0, ts_ns);
    slot *s = &r->q[(r->head + r->count) % QUEUE_MAX];
    r->count++;
    memset(&s->item, 0, sizeof s->item);
    s->item.kind = KD_ITEM_NOISE;
    s->item.ts_ns = ts_ns;
    s->frame = frame;
    s->key = 0;
    memset(&s->annot, 0, sizeof s->annot);
    s->msg.n = 0;
    s->datagram = 1;
    s->dg_dir = res->has_plain ? res->p.dir : KD_DIR_UNKNOWN;
    s->dg_len = len;
    strcpy(s->dg_line, r->dg.line);
    strcpy(s->dg_tree, r->dg.tree);
    strcpy(s->dg_json, r->dg.json);
    r->seq++;
    drain(r, 0, ts_ns);
}

static const char *module_source_name(kd_module_source src)
{
    switch (src) {
    case KD_MODSRC_LOAD_SYMBOLS:
        return "LoadSymbols";
    case KD_MODSRC_KERNEL_BASE:
        return "KernBase";
    case KD_MODSRC_MODULE_LIST:
        return "PsLoadedModuleList";
    }
    return "?";
}

/* --modules: the map as the session left it. */
static void print_modules(run *r, const char *path)
{
    size_t n = kd_modmap_count(r->mods);
    r->session++;
    printf("%s: session %u: %zu module%s\n", path, r->session, n, n == 1 ? "" : "s");
    if (n)
        printf("  %-18s %-10s %-20s %-18s %s\n", "base", "size", "name", "source", "frame");
    for (size_t i = 0; i < n; i++) {
        const kd_module *mod = kd_modmap_at(r->mods, i);
        char base[24];
        /* A 32-bit target's bases as its pointers are (modmap keeps them canonical). */
        snprintf(base, sizeof base, mod->base >> 32 ? "0x%016" PRIx64 : "0x%08" PRIx64, mod->base);
        printf("  %-18s 0x%08" PRIx32 " %-20s %-18s %" PRIu64 "\n", base, mod->size, mod->name,
               module_source_name(mod->source), mod->frame);
    }
}

/* A new session (TCP connection, conversation) in the same file: what is
 * queued goes out with the old tracker's links; the new one learns again. */
static void on_epoch(const kdsession_epoch *e, void *user)
{
    run *r = user;
    kd_step_finish(r->step);
    drain(r, 1, 0);
    if (r->o->mode == OUT_MODULES && r->seq)
        print_modules(r, r->path);
    kd_modmap_reset(r->mods);
    kd_step_free(r->step);
    kd_tracker_opts topts = {.arch = r->o->arch, .width = r->o->width, .kdnet = e->kdnet};
    r->step = kd_step_new(&topts);
    if (!r->step) {
        fprintf(stderr, "%s: out of memory\n", prog);
        exit(3);
    }
}

/* ------------------------------------------------------------ driver */

/* Returns 0, 2 after printing why the file could not be read. */
static int cat_file(const char *path, const opts *o, slot *queue, kdcat_stats *stats)
{
    char err[256];
    kd_tracker_opts topts = {.arch = o->arch, .width = o->width};
    run r = {
        .o = o,
        .step = kd_step_new(&topts),
        .mods = kd_modmap_new(),
        .path = strcmp(path, "-") == 0 ? "standard input" : path,
        .stats = stats,
        .q = queue,
        .progress = !o->quiet && isatty(STDERR_FILENO),
    };
    if (!r.step || !r.mods) {
        fprintf(stderr, "%s: %s: out of memory\n", prog, path);
        exit(3);
    }
    kdsession_opts so = {
        .arch = o->arch,
        .width = o->width,
        .format = o->format,
        .raw_dir = o->raw_dir,
        .net = o->net,
        .kdnet = &o->kdnet,
        .prog = prog,
    };
    struct stat st;
    if (r.progress && strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
        r.size = (uint64_t)st.st_size;
    kdsession_sink sink = {.item = on_item, .epoch = on_epoch, .datagram = on_datagram, .user = &r, .offset = &r.offset};
    int rc = 0;
    int got = kdsession_items(path, &so, &sink, err, sizeof err);
    kd_step_finish(r.step);
    drain(&r, 1, 0);
    if (o->mode == OUT_MODULES && got >= 0)
        print_modules(&r, r.path);
    if (r.progress && r.seq >= 4096)
        fprintf(stderr, "\r%*s\r", 60, "");
    if (got < 0) {
        fflush(stdout);
        fprintf(stderr, "%s: %s: %s\n", prog, strcmp(path, "-") == 0 ? "standard input" : path, err);
        rc = 2;
    }
    kd_step_free(r.step);
    kd_modmap_free(r.mods);
    return rc;
}

/* Every field name of the schema: the names of filters, JSON keys and
 * kddiff --ignore arguments. */
static void list_fields(void)
{
    static const char *const types[] = {"none",  "uint8", "uint16", "uint32", "uint64",  "boolean",
                                        "bytes", "string", "utf16", "framenum", "reltime"};
    for (int i = 0; i < KD_F__COUNT; i++)
        printf("%s\t%s\t%s\n", kd_fields[i].abbrev, types[kd_fields[i].type], kd_fields[i].label);
}

static void usage(FILE *to)
{
    fprintf(to,
            "Usage: %s [OPTION]... FILE...\n"
            "Decode Windows kernel debugger (KD) captures: one line per message.\n"
            "\n"
            "FILE is a kdscope pcapng capture, a pcap or pcapng capture made by others\n"
            "(tcpdump, dumpcap, Wireshark: serial KD carried in TCP or UDP, KDNET), or a\n"
            "raw KD byte stream (one direction); - is standard input.  Several files:\n"
            "each one's lines under '==> FILE <==' (JSON: a \"file\" member).\n"
            "\n"
            "  -V, --verbose          the full decode tree under each line\n"
            "  -j, --json             JSON Lines: one object per item, every field\n"
            "  -s, --stats            counts by type, API and state; problems; response\n"
            "                         times (p50/p95/max) per API; with --json one object\n"
            "  -m, --modules          the modules each session revealed (base, size,\n"
            "                         name, where learned, frame) instead of messages\n"
            "      --no-modules       addresses as numbers, not as module+offset\n"
            "  -x, --hex              a hex dump of each item's bytes\n"
            "  -a, --arch=ARCH        decode as x86, amd64, arm64, arm (default: inferred)\n"
            "  -w, --width=BITS       manipulate layout 32 or 64 (default: inferred)\n"
            "  -d, --direction=DIR    label raw streams named after it: d2t (debugger to\n"
            "                         target) or t2d (target to debugger)\n"
            "  -f, --format=FMT       auto (default), pcapng, pcap or raw\n"
            "      --port=N           only streams on TCP or UDP port N are KD, and they\n"
            "                         are, whatever their content (repeatable; default:\n"
            "                         every stream that frames as KD)\n"
            "      --target-port=PORT the side using PORT is the target (default: the\n"
            "                         side that sends state changes)\n"
            "      --target=HOST:PORT the side at HOST:PORT is the target\n"
            "      --kdnet-key=KEY    decrypt KDNET with KEY, the a.b.c.d the target was\n"
            "                         given (repeatable: each conversation uses the key\n"
            "                         that authenticates it)\n"
            "      --kdnet-data-key=HEX  the data channel's key (64 hex digits), for a\n"
            "                         capture that starts after the handshake\n"
            "  -q, --quiet            no progress on standard error\n"
            "      --list-fields      list every field name (kd.*) with its type\n"
            "  -h, --help             show this help and exit\n"
            "      --version          show the version and exit\n"
            "\n"
            "Exit status: 0 on success, 2 on bad usage or unreadable input, 3 on an\n"
            "I/O error while writing.\n",
            prog);
}

#define SHORTOPTS "-:Vjsmx" KDSESSION_SHORTOPTS "qh"

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"verbose", no_argument, NULL, 'V'},
        {"json", no_argument, NULL, 'j'},
        {"stats", no_argument, NULL, 's'},
        {"hex", no_argument, NULL, 'x'},
        {"modules", no_argument, NULL, 'm'},
        {"no-modules", no_argument, NULL, 'N' + 256},
        KDSESSION_LONGOPTS,
        {"quiet", no_argument, NULL, 'q'},
        {"list-fields", no_argument, NULL, 'L' + 256},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'v' + 256},
        {NULL, 0, NULL, 0},
    };
    opts o = {.mode = OUT_LINES, .format = KDCAP_FORMAT_AUTO, .raw_dir = KD_DIR_UNKNOWN};
    /* The capture-reading options, parsed by kdsession and copied into o. */
    kdsession_opts so = {.format = KDCAP_FORMAT_AUTO, .raw_dir = KD_DIR_UNKNOWN};
    /* The outputs asked for, in the order of out_names. */
    enum { ASK_TREE = 1, ASK_JSON = 2, ASK_STATS = 4, ASK_MODULES = 8 };
    static const char *const out_names[] = {"--verbose", "--json", "--stats", "--modules"};
    unsigned asked = 0;
    int nfiles = 0;
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);

    /* Options first (they apply to every file) except --direction and
     * --format, which apply to the files named after them: a first pass
     * checks the options, the second (in order) reads the files. */
    int c;
    opterr = 0; /* our own one-line messages */
    while ((c = getopt_long(argc, argv, SHORTOPTS, longopts, NULL)) != -1) {
        switch (c) {
        case 1:
            nfiles++;
            break;
        case 'd':
        case 'f':
            break;
        case 'V':
            o.mode = OUT_TREE;
            asked |= ASK_TREE;
            break;
        case 'j':
            o.mode = OUT_JSON;
            asked |= ASK_JSON;
            break;
        case 's':
            o.mode = OUT_STATS;
            asked |= ASK_STATS;
            break;
        case 'x':
            o.hex = 1;
            break;
        case 'm':
            o.mode = OUT_MODULES;
            asked |= ASK_MODULES;
            break;
        case 'N' + 256:
            o.no_modules = 1;
            break;
        case 'q':
            o.quiet = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'v' + 256:
            printf("kdcat (kdscope) %s\n", KDSCOPE_VERSION);
            return 0;
        case 'L' + 256:
            list_fields();
            return 0;
        case ':':
        case '?':
            return kd_opt_complaint(prog, NULL, c, argv);
        default:
            if (kdsession_parse_option(prog, c, optarg, &so, &o.kdnet) != 0)
                return 2;
            o.arch = so.arch;
            o.width = so.width;
            o.net = so.net;
            break;
        }
    }
    /* Outputs that go together: --stats --json is the statistics as one
     * JSON object; any other two are refused. */
    if (asked == (ASK_STATS | ASK_JSON)) {
        o.mode = OUT_STATS;
        o.stats_json = 1;
    } else if (asked & (asked - 1)) {
        const char *first = NULL, *second = NULL;
        for (unsigned i = 0; i < 4; i++) {
            if (!(asked & (1u << i)))
                continue;
            if (!first)
                first = out_names[i];
            else if (!second)
                second = out_names[i];
        }
        fprintf(stderr, "%s: %s and %s: choose one output (try '%s --help')\n", prog, first, second, prog);
        return 2;
    }
    if (o.hex && (o.mode == OUT_JSON || o.mode == OUT_STATS || o.mode == OUT_MODULES)) {
        fprintf(stderr, "%s: --hex: the hex dump goes under the lines or the tree, not with %s\n", prog,
                o.mode == OUT_JSON ? "--json" : o.mode == OUT_STATS ? "--stats" : "--modules");
        return 2;
    }
    o.several = nfiles > 1;

    slot *queue = calloc(QUEUE_MAX, sizeof *queue);
    kdcat_stats *stats = kdcat_stats_new();
    if (!queue || !stats) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return 3;
    }
    int files = 0, rc = 0;
    optind = 0; /* GNU getopt: restart */
    while ((c = getopt_long(argc, argv, SHORTOPTS, longopts, NULL)) != -1) {
        switch (c) {
        case 1:
            /* Several files: each one's output under a header line of its own. */
            if (o.several && (o.mode == OUT_LINES || o.mode == OUT_TREE))
                printf("%s==> %s <==\n", files ? "\n" : "", strcmp(optarg, "-") == 0 ? "standard input" : optarg);
            files++;
            if (cat_file(optarg, &o, queue, stats) != 0)
                rc = 2;
            break;
        case 'd':
        case 'f':
            if (kdsession_parse_option(prog, c, optarg, &so, &o.kdnet) != 0) {
                rc = 2;
                goto out;
            }
            o.raw_dir = so.raw_dir;
            o.format = so.format;
            break;
        default:
            break;
        }
    }
    if (files == 0) {
        fprintf(stderr, "%s: no input files (try '%s --help')\n", prog, prog);
        rc = 2;
        goto out;
    }
    if (o.mode == OUT_STATS && o.stats_json)
        kdcat_stats_print_json(stats, stdout);
    else if (o.mode == OUT_STATS)
        kdcat_stats_print(stats, stdout);
out:
    kdcat_stats_free(stats);
    free(queue);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: standard output: %s\n", prog, strerror(errno));
        return 3;
    }
    return rc;
}
