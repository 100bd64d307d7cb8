/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsession.c - read, frame, decode and track a capture (kdsession.h).
 *
 * Framers: our pcapng's records are whole items, each framed on its own
 * (so a truncated or trailer-less item stays what it was when recorded);
 * stream chunks (raw files, TCP, UDP-carried serial) are framed as one
 * stream per conversation and side, restarted after a gap and at each new
 * conversation.
 */
#include "kdsession.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cliopt.h"
#include "kdparse/framer.h"
#include "kdparse/step.h"

#define MAX_GAP_NOTICES 5u
#define KDNET_CONVS 16u /* KDNET conversations with a key state at once */

typedef struct kdnet_conv {
    uint32_t conv;
    kdnet_state *st;
    uint64_t last_use;
} kdnet_conv;

typedef struct items_ctx {
    const kdsession_sink *sink;
    const kdsession_opts *o;
    const char *path;
    int raw;             /* item numbers, not record numbers */
    uint64_t frame;      /* the record being framed */
    uint64_t key_frame;  /* frame of the last key given */
    uint64_t key_index;  /* items of key_frame so far */
    uint64_t seq;        /* items so far */
    int stop;
    kd_framer *own[3];   /* our pcapng, by direction */
    kd_framer *side[2];  /* the current stream conversation, by side */
    uint32_t conv;
    int have_conv;
    int last_side;
    uint64_t last_frame; /* of the record before this one */
    uint64_t gaps, gap_bytes;
    /* KDNET */
    kdnet_conv kn[KDNET_CONVS];
    kd_framer *kdnet_framer[2]; /* by direction (d2t, t2d): one datagram at a time */
    uint64_t kn_uses;
    kdnet_counts kn_total;       /* of the states already freed */
    int kn_needs_data_key;
} items_ctx;

static void on_item(const kd_item *it, void *user)
{
    items_ctx *c = user;
    if (c->stop)
        return;
    uint64_t frame = c->raw ? c->seq + 1 : c->frame;
    if (frame != c->key_frame) {
        c->key_frame = frame;
        c->key_index = 0;
    }
    uint64_t key = kd_step_key(frame, (uint32_t)c->key_index++);
    c->seq++;
    if (c->sink->item(it, frame, key, c->sink->user))
        c->stop = 1;
}

static void end_stream_conv(items_ctx *c)
{
    for (int s = 0; s < 2; s++) {
        if (c->side[s]) {
            kd_framer_finish(c->side[s]);
            kd_framer_free(c->side[s]);
            c->side[s] = NULL;
        }
    }
}

/* A new conversation: the framers and (through the sink) the tracker start again. */
static void switch_conv(items_ctx *c, uint32_t conv, int kdnet)
{
    if (c->have_conv && conv == c->conv)
        return;
    /* What the old conversation still holds belongs to its last record. */
    uint64_t frame = c->frame;
    c->frame = c->last_frame;
    end_stream_conv(c);
    c->frame = frame;
    /* A KDNET session is announced even when first: its ids are KDNET's. */
    if ((c->have_conv || kdnet) && c->sink->epoch) {
        kdsession_epoch e = {.conv = conv, .kdnet = kdnet};
        c->sink->epoch(&e, c->sink->user);
    }
    c->have_conv = 1;
    c->conv = conv;
}

static const char *shown_path(const char *path)
{
    return strcmp(path, "-") == 0 ? "standard input" : path;
}

static void notice_gap(items_ctx *c, const kdcap_record *rec)
{
    c->gaps++;
    c->gap_bytes += rec->gap;
    if (!c->o->prog || c->gaps > MAX_GAP_NOTICES)
        return;
    char src[80], dst[80];
    netparse_format_endpoint(&rec->src.addr, rec->src.port, src, sizeof src);
    netparse_format_endpoint(&rec->dst.addr, rec->dst.port, dst, sizeof dst);
    fprintf(stderr,
            "%s: %s: conversation %" PRIu32 " %s -> %s (%s): %" PRIu64
            " bytes lost before frame %" PRIu64 "; framing restarts after the gap\n",
            c->o->prog, shown_path(c->path), rec->conv, src, dst, kd_dir_name(rec->dir), rec->gap,
            rec->frame);
}

static void stream_record(items_ctx *c, const kdcap_record *rec)
{
    switch_conv(c, rec->conv, 0);
    int s = rec->side & 1;
    if (!c->side[s]) {
        c->side[s] = kd_framer_new(KD_TRANSPORT_SERIAL, rec->dir, on_item, c);
        if (!c->side[s])
            return;
    }
    if (rec->gap) {
        kd_framer_finish(c->side[s]);
        notice_gap(c, rec);
    }
    /* When the other side speaks, this side's pending break-in and noise
     * runs have ended (chunk boundaries alone say nothing: TCP cuts a
     * stream anywhere). */
    if (rec->conv && c->last_side != s && c->side[!s])
        kd_framer_flush_runs(c->side[!s]);
    c->last_side = s;
    if (rec->len)
        kd_framer_feed(c->side[s], rec->bytes, rec->len, rec->ts_ns);
}

static void add_counts(kdnet_counts *to, const kdnet_counts *n)
{
    to->datagrams += n->datagrams;
    to->malformed += n->malformed;
    to->good += n->good;
    to->bad += n->bad;
    to->no_key += n->no_key;
    to->no_data_key += n->no_data_key;
    to->responses += n->responses;
}

static void kdnet_conv_free(items_ctx *c, kdnet_conv *k)
{
    if (!k->st)
        return;
    add_counts(&c->kn_total, kdnet_state_counts(k->st));
    if (kdnet_state_needs_data_key(k->st))
        c->kn_needs_data_key = 1;
    kdnet_state_free(k->st);
    k->st = NULL;
}

/* What KDNET could not open, one line each. */
static void kdnet_notices(items_ctx *c, const char *prog, const char *path)
{
    for (unsigned i = 0; i < KDNET_CONVS; i++)
        kdnet_conv_free(c, &c->kn[i]);
    const kdnet_counts *t = &c->kn_total;
    if (t->datagrams == 0)
        return;
    size_t nkeys = c->o->kdnet ? c->o->kdnet->nkeys : 0;
    if (nkeys == 0 && !(c->o->kdnet && c->o->kdnet->have_data_key))
        fprintf(stderr,
                "%s: %s: %" PRIu64 " KDNET datagrams not decrypted: no --kdnet-key given (the key "
                "the target was given, a.b.c.d)\n",
                prog, path, t->datagrams);
    else if (t->good == 0)
        fprintf(stderr, "%s: %s: no datagram authenticated with the key%s given (%" PRIu64
                        " KDNET datagrams)\n",
                prog, path, nkeys > 1 ? "s" : "", t->datagrams);
    else if (t->bad)
        fprintf(stderr, "%s: %s: %" PRIu64 " KDNET datagrams did not authenticate (bad tag)\n", prog,
                path, t->bad);
    if (t->good && c->kn_needs_data_key)
        fprintf(stderr,
                "%s: %s: the data channel needs the handshake or --kdnet-data-key (%" PRIu64
                " data datagrams not decrypted: the capture holds no handshake response)\n",
                prog, path, t->no_data_key);
    if (t->malformed)
        fprintf(stderr, "%s: %s: %" PRIu64 " KDNET datagrams are malformed\n", prog, path,
                t->malformed);
}

/* The key state of a KDNET conversation (a new one starts with the keys given). */
static kdnet_state *kdnet_conv_state(items_ctx *c, uint32_t conv)
{
    kdnet_conv *oldest = &c->kn[0];
    for (unsigned i = 0; i < KDNET_CONVS; i++) {
        kdnet_conv *k = &c->kn[i];
        if (k->st && k->conv == conv) {
            k->last_use = ++c->kn_uses;
            return k->st;
        }
        if (!k->st || (oldest->st && k->last_use < oldest->last_use))
            oldest = k;
    }
    kdnet_conv_free(c, oldest);
    if (!(oldest->st = kdnet_state_new()))
        return NULL;
    const kdsession_kdnet *keys = c->o->kdnet;
    if (keys) {
        for (size_t i = 0; i < keys->nkeys; i++)
            kdnet_state_add_key(oldest->st, keys->keys[i]);
        if (keys->have_data_key)
            kdnet_state_set_data_key(oldest->st, keys->data_key);
    }
    oldest->conv = conv;
    oldest->last_use = ++c->kn_uses;
    return oldest->st;
}

/* One KDNET datagram: opened, shown to the sink, its KD packet framed. */
static void kdnet_record(items_ctx *c, const kdcap_record *rec)
{
    switch_conv(c, rec->conv, 1);
    kdnet_state *st = kdnet_conv_state(c, rec->conv);
    if (!st)
        return;
    int had_data_key = kdnet_state_data_key(st) != NULL;
    kdnet_result r;
    kdnet_open(st, rec->bytes, rec->len, NULL, 0, &r);
    /* A new handshake (a target that rebooted) is a new session. */
    if (r.sets_data_key && had_data_key && c->sink->epoch) {
        kdsession_epoch e = {.conv = rec->conv, .kdnet = 1};
        c->sink->epoch(&e, c->sink->user);
    }
    if (c->sink->datagram)
        c->sink->datagram(&r, rec->len, rec->frame, rec->ts_ns, c->sink->user);
    if (!r.kd || (r.p.dir != KD_DIR_D2T && r.p.dir != KD_DIR_T2D))
        return;
    kd_framer **f = &c->kdnet_framer[r.p.dir == KD_DIR_T2D];
    if (!*f && !(*f = kd_framer_new(KD_TRANSPORT_KDNET, r.p.dir, on_item, c)))
        return;
    kd_framer_feed(*f, r.kd, r.kd_len, rec->ts_ns);
    kd_framer_finish(*f);
}

/* What the network part held, said once at the end. 0, or -1: no KD at all. */
static int net_notices(items_ctx *c, const kdcap_net_summary *ns, char *err, size_t errlen)
{
    if (!ns->network)
        return 0;
    if (ns->kd_streams == 0 && ns->kdnet_convs == 0) {
        snprintf(err, errlen,
                 "no KD found (%" PRIu64 " TCP and %" PRIu64
                 " UDP conversations, none frames as KD or holds KDNET%s)",
                 ns->other_tcp, ns->other_udp,
                 ns->fragments ? "; some IP fragments were not reassembled" : "");
        return -1;
    }
    const char *prog = c->o->prog;
    if (!prog)
        return 0;
    const char *path = shown_path(c->path);
    if (c->gaps > MAX_GAP_NOTICES)
        fprintf(stderr, "%s: %s: %" PRIu64 " gaps in all, %" PRIu64 " bytes lost\n", prog, path,
                c->gaps, c->gap_bytes);
    if (ns->other_tcp || ns->other_udp)
        fprintf(stderr, "%s: %s: ignored %" PRIu64 " TCP and %" PRIu64
                        " UDP conversations that are not KD\n",
                prog, path, ns->other_tcp, ns->other_udp);
    if (ns->no_target)
        fprintf(stderr,
                "%s: %s: %" PRIu64 " KD conversations do not show which side is the target "
                "(directions shown as ?; --target-port or --target names it)\n",
                prog, path, ns->no_target);
    if (ns->truncated)
        fprintf(stderr,
                "%s: %s: %" PRIu64 " frames cut short by the snap length (their lost bytes are "
                "gaps)\n",
                prog, path, ns->truncated);
    if (ns->fragments)
        fprintf(stderr, "%s: %s: %" PRIu64 " IP fragments not reassembled (ignored)\n", prog, path,
                ns->fragments);
    if (ns->untracked)
        fprintf(stderr, "%s: %s: %" PRIu64 " conversations over the limit, not read\n", prog,
                path, ns->untracked);
    kdnet_notices(c, prog, path);
    return 0;
}

int kdsession_items(const char *path, const kdsession_opts *opts, const kdsession_sink *sink,
                    char *err, size_t errlen)
{
    kdcap_reader *rd = kdcap_open_net(path, opts->format, opts->raw_dir, &opts->net, err, errlen);
    if (!rd)
        return -1;
    items_ctx *c = calloc(1, sizeof *c);
    int rc = 0;
    if (c) {
        c->sink = sink;
        c->o = opts;
        c->path = path;
        c->raw = kdcap_reader_format(rd) == KDCAP_FORMAT_RAW;
        c->key_frame = UINT64_MAX;
        for (int d = 0; d < 3; d++)
            c->own[d] = kd_framer_new(KD_TRANSPORT_SERIAL, (kd_dir)d, on_item, c);
    }
    if (!c || !c->own[0] || !c->own[1] || !c->own[2]) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
        goto out;
    }
    kdcap_record rec;
    int got = 0;
    while (!c->stop && (got = kdcap_next(rd, &rec)) == 1) {
        c->frame = rec.frame;
        if (sink->offset)
            *sink->offset = kdcap_reader_offset(rd);
        switch (rec.carrier) {
        case KDCAP_CARRIER_ITEM: {
            switch_conv(c, rec.conv, 0);
            kd_framer *f = c->own[rec.dir <= KD_DIR_UNKNOWN ? rec.dir : KD_DIR_UNKNOWN];
            kd_framer_feed(f, rec.bytes, rec.len, rec.ts_ns);
            kd_framer_finish(f);
            break;
        }
        case KDCAP_CARRIER_STREAM:
            stream_record(c, &rec);
            break;
        case KDCAP_CARRIER_KDNET:
            kdnet_record(c, &rec);
            break;
        }
        c->last_frame = rec.frame;
    }
    for (int d = 0; d < 3; d++)
        kd_framer_finish(c->own[d]);
    end_stream_conv(c);
    if (!c->stop && got < 0) {
        snprintf(err, errlen, "%s", kdcap_error(rd));
        rc = -1;
    } else if (!c->stop) {
        kdcap_net_summary ns;
        kdcap_net_summary_get(rd, &ns);
        rc = net_notices(c, &ns, err, errlen);
    }
out:
    if (c) {
        for (int d = 0; d < 3; d++)
            kd_framer_free(c->own[d]);
        end_stream_conv(c);
        for (int d = 0; d < 2; d++)
            kd_framer_free(c->kdnet_framer[d]);
        for (unsigned i = 0; i < KDNET_CONVS; i++)
            kdnet_state_free(c->kn[i].st);
    }
    free(c);
    kdcap_close(rd);
    return rc;
}

/* ------------------------------------------------------------ decoded */

typedef struct read_ctx {
    kdsession_cb cb;
    void *user;
    const kdsession_opts *opts;
    kd_step *step;
    int oom;
    kd_msg msg;
} read_ctx;

static int read_item(const kd_item *it, uint64_t frame, uint64_t key, void *user)
{
    read_ctx *c = user;
    if (!c->step)
        return 1;
    kd_annot a;
    kd_step_item(c->step, it, key, &c->msg, &a);
    kd_step_links_to_frames(&a);
    return c->cb(&c->msg, &a, frame, c->user);
}

static void read_epoch(const kdsession_epoch *e, void *user)
{
    read_ctx *c = user;
    kd_step_free(c->step);
    kd_tracker_opts topts = {.arch = c->opts->arch, .width = c->opts->width, .kdnet = e->kdnet};
    c->step = kd_step_new(&topts);
    if (!c->step)
        c->oom = 1;
}

int kdsession_read(const char *path, const kdsession_opts *opts, kdsession_cb cb, void *user, char *err,
                   size_t errlen)
{
    read_ctx *c = calloc(1, sizeof *c);
    kd_tracker_opts topts = {.arch = opts->arch, .width = opts->width};
    if (c)
        c->step = kd_step_new(&topts);
    if (!c || !c->step) {
        free(c);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    c->cb = cb;
    c->user = user;
    c->opts = opts;
    kdsession_sink sink = {.item = read_item, .epoch = read_epoch, .user = c};
    int rc = kdsession_items(path, opts, &sink, err, errlen);
    if (rc == 0 && c->oom) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    kd_step_free(c->step);
    free(c);
    return rc;
}

/* ------------------------------------------------------------ options */

int kdsession_parse_kdnet_key(const char *prog, const char *arg, kdsession_kdnet *k)
{
    const char *why = NULL;
    if (k->nkeys == KDNET_MAX_KEYS) {
        fprintf(stderr, "%s: --kdnet-key: at most %u keys\n", prog, KDNET_MAX_KEYS);
        return -1;
    }
    if (kdnet_parse_key(arg, k->keys[k->nkeys], &why) != 0) {
        fprintf(stderr, "%s: --kdnet-key %s: %s\n", prog, arg, why);
        return -1;
    }
    k->nkeys++;
    return 0;
}

int kdsession_parse_kdnet_data_key(const char *prog, const char *arg, kdsession_kdnet *k)
{
    const char *why = NULL;
    if (kdnet_parse_data_key(arg, k->data_key, &why) != 0) {
        fprintf(stderr, "%s: --kdnet-data-key: %s\n", prog, why);
        return -1;
    }
    k->have_data_key = 1;
    return 0;
}

int kdsession_parse_arch(const char *prog, const char *arg, kd_arch *out)
{
    if (kd_arch_parse(arg, out) == 0 && *out != KD_ARCH_UNKNOWN)
        return 0;
    /* the names of kdparse's table (every one but "unknown"): "x86, amd64, ... or alpha" */
    fprintf(stderr, "%s: --arch: '%s' is not ", prog, arg);
    int first = 1;
    for (const kd_val *v = kd_vals_arch; v->name; v++) {
        if (v->value == KD_ARCH_UNKNOWN)
            continue;
        fprintf(stderr, "%s%s", first ? "" : v[1].name ? ", " : " or ", v->name);
        first = 0;
    }
    fputc('\n', stderr);
    return -1;
}

int kdsession_parse_width(const char *prog, const char *arg, uint8_t *out)
{
    if (strcmp(arg, "32") != 0 && strcmp(arg, "64") != 0) {
        fprintf(stderr, "%s: --width: '%s' is not 32 or 64\n", prog, arg);
        return -1;
    }
    *out = (uint8_t)atoi(arg);
    return 0;
}

int kdsession_parse_port(const char *prog, const char *arg, kdcap_net_opts *net)
{
    uint64_t p;
    if (kd_opt_unsigned(prog, arg, 10, 1, 65535, &p, "--port: '%s' is not a port number (1-65535)", arg) != 0)
        return -1;
    if (net->nports == KDCAP_MAX_PORTS) {
        fprintf(stderr, "%s: --port: at most %u ports\n", prog, (unsigned)KDCAP_MAX_PORTS);
        return -1;
    }
    net->ports[net->nports++] = (uint16_t)p;
    return 0;
}

int kdsession_parse_target_port(const char *prog, const char *arg, kdcap_net_opts *net)
{
    uint64_t p;
    if (kd_opt_unsigned(prog, arg, 10, 1, 65535, &p, "--target-port: '%s' is not a port number (1-65535)", arg) != 0)
        return -1;
    net->target_port = (uint16_t)p;
    net->have_target_port = 1;
    return 0;
}

int kdsession_parse_target(const char *prog, const char *arg, kdcap_net_opts *net)
{
    if (netparse_parse_endpoint(arg, &net->target.addr, &net->target.port) != 0 ||
        net->target.port == 0) {
        fprintf(stderr, "%s: --target: '%s' is not HOST:PORT (1.2.3.4:5 or [::1]:5)\n", prog,
                arg);
        return -1;
    }
    net->have_target = 1;
    return 0;
}

int kdsession_spool_stdin(const char *prog, const char **path)
{
    static char name[64];
    if (strcmp(*path, "-") != 0)
        return 0;
    FILE *t = tmpfile();
    if (!t) {
        fprintf(stderr, "%s: standard input: cannot make a temporary copy: %s\n", prog,
                strerror(errno));
        return -1;
    }
    char buf[65536];
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "%s: standard input: %s\n", prog, strerror(errno));
            fclose(t);
            return -1;
        }
        if (fwrite(buf, 1, (size_t)n, t) != (size_t)n) {
            fprintf(stderr, "%s: standard input: cannot make a temporary copy: %s\n", prog,
                    strerror(errno));
            fclose(t);
            return -1;
        }
    }
    if (fflush(t) != 0) {
        fprintf(stderr, "%s: standard input: cannot make a temporary copy: %s\n", prog,
                strerror(errno));
        fclose(t);
        return -1;
    }
    /* The stream stays open (and the file alive) until the program ends. */
    snprintf(name, sizeof name, "/dev/fd/%d", fileno(t));
    *path = name;
    return 0;
}

int kdsession_parse_option(const char *prog, int code, const char *arg, kdsession_opts *o, kdsession_kdnet *keys)
{
    switch (code) {
    case 'a':
        return kdsession_parse_arch(prog, arg, &o->arch);
    case 'w':
        return kdsession_parse_width(prog, arg, &o->width);
    case 'd':
        if (kd_dir_parse(arg, &o->raw_dir) != 0) {
            fprintf(stderr, "%s: --direction: '%s' is not d2t or t2d\n", prog, arg);
            return -1;
        }
        return 0;
    case 'f':
        if (strcmp(arg, "auto") == 0)
            o->format = KDCAP_FORMAT_AUTO;
        else if (strcmp(arg, "pcapng") == 0)
            o->format = KDCAP_FORMAT_PCAPNG;
        else if (strcmp(arg, "raw") == 0)
            o->format = KDCAP_FORMAT_RAW;
        else if (strcmp(arg, "pcap") == 0)
            o->format = KDCAP_FORMAT_PCAP;
        else {
            fprintf(stderr, "%s: --format: '%s' is not auto, pcapng, pcap or raw\n", prog, arg);
            return -1;
        }
        return 0;
    case KDSESSION_OPT_PORT:
        return kdsession_parse_port(prog, arg, &o->net);
    case KDSESSION_OPT_TARGET_PORT:
        return kdsession_parse_target_port(prog, arg, &o->net);
    case KDSESSION_OPT_TARGET:
        return kdsession_parse_target(prog, arg, &o->net);
    case KDSESSION_OPT_KDNET_KEY:
        return kdsession_parse_kdnet_key(prog, arg, keys);
    case KDSESSION_OPT_KDNET_DATA_KEY:
        return kdsession_parse_kdnet_data_key(prog, arg, keys);
    }
    return 1;
}
