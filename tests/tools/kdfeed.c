/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdfeed - the cable in kdtap's tests: plays known byte streams into two
 * ptys, and checks that a recording holds exactly them.
 *
 *   kdfeed split CAPTURE D2T_OUT T2D_OUT
 *       each direction's bytes of a kdscope pcapng, concatenated
 *   kdfeed random [--seed N] [--size BYTES] OUT
 *       a stream of data and control packets (some with bad checksums or
 *       bad trailers) mixed with noise, partial leaders and break-in runs
 *   kdfeed play [--seed N] [--min-chunk N] [--max-chunk N] [--max-delay-us N] [--rate BAUD]
 *               [--repeat-for SECS] [--hangup] T2D_IN D2T_IN
 *       makes two raw ptys and prints "t2d SLAVE" and "d2t SLAVE"; once
 *       both slaves have been opened by someone else (the tap), writes the
 *       streams to the masters in random chunks at random moments (or paced
 *       at --rate), waits until the tap has read every byte (the slaves'
 *       input queues stay empty), prints "drained", then keeps the masters
 *       open until SIGTERM/SIGINT -- or, with --hangup, closes them at once
 *       (a USB adapter pulled out).
 *   kdfeed check CAPTURE D2T_IN T2D_IN
 *       the capture's bytes per direction are exactly the files', and its
 *       packets (data, control, truncated: kind, offset, length, flags) are
 *       those of framing each file in one go.  Exit 1 with the first
 *       difference otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "capio.h"
#include "kdbytes.h"
#include "kdparse/framer.h"

static void die(const char *what, const char *why)
{
    fprintf(stderr, "kdfeed: %s: %s\n", what, why);
    exit(2);
}

static void read_file(const char *path, kdb_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path, strerror(errno));
    uint8_t tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        kdb_bytes(b, tmp, n);
    if (ferror(f))
        die(path, strerror(errno));
    fclose(f);
}

static void write_file(const char *path, const kdb_buf *b)
{
    FILE *f = fopen(path, "wb");
    if (!f || (b->len && fwrite(b->data, 1, b->len, f) != b->len) || fclose(f) != 0)
        die(path, strerror(errno));
}

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sleep_us(uint64_t us)
{
    struct timespec ts = {(time_t)(us / 1000000u), (long)(us % 1000000u) * 1000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ------------------------------------------------------------ split */

static int do_split(int argc, char **argv)
{
    if (argc != 4)
        die("split", "expected CAPTURE D2T_OUT T2D_OUT");
    char err[256];
    kdcap_reader *r = kdcap_open(argv[1], KDCAP_FORMAT_PCAPNG, KD_DIR_UNKNOWN, err, sizeof err);
    if (!r)
        die(argv[1], err);
    kdb_buf out[2] = {{0}, {0}};
    kdcap_record rec;
    int got;
    while ((got = kdcap_next(r, &rec)) == 1) {
        if (rec.dir <= KD_DIR_T2D)
            kdb_bytes(&out[rec.dir], rec.bytes, rec.len);
    }
    if (got < 0)
        die(argv[1], kdcap_error(r));
    kdcap_close(r);
    write_file(argv[2], &out[KD_DIR_D2T]);
    write_file(argv[3], &out[KD_DIR_T2D]);
    kdb_free(&out[0]);
    kdb_free(&out[1]);
    return 0;
}

/* ------------------------------------------------------------ random */

static void random_body(kdb_rng *g, uint8_t *body, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        /* Now and then bytes that look like the protocol's own. */
        uint32_t k = kdb_range(g, 0, 15);
        body[i] = k == 0 ? 0x30 : k == 1 ? 0x69 : k == 2 ? 0x62 : k == 3 ? 0xAA : (uint8_t)kdb_rand(g);
    }
}

static int do_random(int argc, char **argv)
{
    static const struct option lo[] = {{"seed", required_argument, NULL, 's'},
                                        {"size", required_argument, NULL, 'n'},
                                        {NULL, 0, NULL, 0}};
    kdb_rng g = {1};
    size_t size = 200000;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c == 's')
            g.s = strtoull(optarg, NULL, 0) * 2654435761u + 1;
        else if (c == 'n')
            size = strtoul(optarg, NULL, 0);
        else
            die("random", "bad option");
    }
    if (argc - optind != 1)
        die("random", "expected OUT");
    kdb_buf b = {0};
    static uint8_t body[4000];
    uint32_t id = 0x80800000u;
    while (b.len < size) {
        uint32_t what = kdb_range(&g, 0, 99);
        if (what < 45) { /* a data packet, now and then damaged */
            size_t n = what < 30 ? kdb_range(&g, 0, 120) : kdb_range(&g, 0, 4000);
            random_body(&g, body, n);
            size_t at = b.len;
            kdb_data_packet(&b, (uint16_t)kdb_range(&g, 1, 11), id++, body, n, 1);
            uint32_t harm = kdb_range(&g, 0, 19);
            if (harm == 0 && n > 0)
                b.data[at + 16 + kdb_range(&g, 0, (uint32_t)n - 1)] ^= 0x01; /* bad checksum */
            else if (harm == 1)
                b.data[b.len - 1] = (uint8_t)kdb_range(&g, 0, 0xA9);  /* bad trailer */
        } else if (what < 70) {
            kdb_control_packet(&b, (uint16_t)kdb_range(&g, 4, 6), id);
        } else if (what < 80) {
            kdb_fill(&b, 0x62, kdb_range(&g, 1, 8)); /* break-in */
        } else if (what < 95) {
            size_t n = kdb_range(&g, 1, 300); /* line noise */
            for (size_t i = 0; i < n; i++)
                kdb_u8(&b, (uint8_t)kdb_rand(&g));
        } else {
            /* A partial leader, or a header cut off by noise. */
            kdb_fill(&b, kdb_range(&g, 0, 1) ? 0x30 : 0x69, kdb_range(&g, 1, 3));
            kdb_u8(&b, (uint8_t)kdb_range(&g, 0x70, 0x7f));
        }
    }
    if (kdb_range(&g, 0, 1)) { /* end inside a packet */
        random_body(&g, body, 100);
        size_t at = b.len;
        kdb_data_packet(&b, 2, id, body, 100, 1);
        b.len = at + kdb_range(&g, 4, 60);
    }
    write_file(argv[optind], &b);
    kdb_free(&b);
    return 0;
}

/* ------------------------------------------------------------ play */

static volatile sig_atomic_t g_stop;

static void on_stop(int sig)
{
    (void)sig;
    g_stop = 1;
}

typedef struct line {
    int master, slave;
    char path[PATH_MAX];
    kdb_buf data;
    size_t off;
} line;

static void open_line(line *l)
{
    if (openpty(&l->master, &l->slave, NULL, NULL, NULL) != 0)
        die("openpty", strerror(errno));
    struct termios t;
    if (tcgetattr(l->slave, &t) != 0)
        die("tcgetattr", strerror(errno));
    cfmakeraw(&t);
    if (tcsetattr(l->slave, TCSANOW, &t) != 0 || tcgetattr(l->master, &t) != 0)
        die("tcsetattr", strerror(errno));
    cfmakeraw(&t);
    if (tcsetattr(l->master, TCSANOW, &t) != 0)
        die("tcsetattr", strerror(errno));
    if (ttyname_r(l->slave, l->path, sizeof l->path) != 0)
        die("ttyname", strerror(errno));
}

/* Waits (at most 30 s) until both slaves have been opened by another process. */
static void wait_opened(line *l)
{
    int in = inotify_init1(IN_CLOEXEC);
    if (in < 0)
        die("inotify", strerror(errno));
    int seen = 0;
    int w0 = inotify_add_watch(in, l[0].path, IN_OPEN), w1 = inotify_add_watch(in, l[1].path, IN_OPEN);
    if (w0 < 0 || w1 < 0)
        die("inotify_add_watch", strerror(errno));
    uint64_t end = mono_us() + 30000000u;
    while (seen != 3 && !g_stop) {
        struct pollfd p = {.fd = in, .events = POLLIN};
        uint64_t now = mono_us();
        if (now >= end)
            die("play", "nobody opened the ptys within 30 s");
        if (poll(&p, 1, (int)((end - now) / 1000u) + 1) <= 0)
            continue;
        union {
            struct inotify_event ev;
            char bytes[sizeof(struct inotify_event) + NAME_MAX + 1];
        } buf;
        ssize_t n = read(in, &buf, sizeof buf);
        for (ssize_t o = 0; o < n;) {
            const struct inotify_event *ev = (const struct inotify_event *)(buf.bytes + o);
            seen |= ev->wd == w0 ? 1 : ev->wd == w1 ? 2 : 0;
            o += (ssize_t)(sizeof *ev + ev->len);
        }
    }
    close(in);
}

static void write_some(line *l, size_t n)
{
    while (n > 0 && !g_stop) {
        ssize_t w = write(l->master, l->data.data + l->off, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            die(l->path, w < 0 ? strerror(errno) : "write returned 0");
        l->off += (size_t)w;
        n -= (size_t)w;
    }
}

/* The tap has read everything: both slaves' input queues empty, several
 * times in a row (bytes may still be on their way into the queue). */
static void wait_drained(line *l)
{
    uint64_t end = mono_us() + 30000000u;
    int quiet = 0;
    while (quiet < 5 && !g_stop) {
        int q0 = 0, q1 = 0;
        if (ioctl(l[0].slave, FIONREAD, &q0) != 0 || ioctl(l[1].slave, FIONREAD, &q1) != 0)
            die("FIONREAD", strerror(errno));
        quiet = q0 == 0 && q1 == 0 ? quiet + 1 : 0;
        if (mono_us() > end)
            die("play", "the tap did not read everything within 30 s");
        sleep_us(20000);
    }
}

static int do_play(int argc, char **argv)
{
    static const struct option lo[] = {{"seed", required_argument, NULL, 's'},
                                        {"max-chunk", required_argument, NULL, 'c'},
                                        {"min-chunk", required_argument, NULL, 'm'},
                                        {"max-delay-us", required_argument, NULL, 'd'},
                                        {"rate", required_argument, NULL, 'r'},
                                        {"repeat-for", required_argument, NULL, 'f'},
                                        {"hangup", no_argument, NULL, 'h'},
                                        {NULL, 0, NULL, 0}};
    kdb_rng g = {7};
    uint32_t max_chunk = 700, min_chunk = 1, max_delay = 3000;
    double rate = 0, repeat_for = 0;
    int hangup = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 's':
            g.s = strtoull(optarg, NULL, 0) * 2654435761u + 7;
            break;
        case 'c':
            max_chunk = (uint32_t)strtoul(optarg, NULL, 0);
            break;
        case 'm':
            min_chunk = (uint32_t)strtoul(optarg, NULL, 0);
            break;
        case 'd':
            max_delay = (uint32_t)strtoul(optarg, NULL, 0);
            break;
        case 'r':
            rate = strtod(optarg, NULL) / 10.0; /* 8N1: ten bit times a byte */
            break;
        case 'f':
            repeat_for = strtod(optarg, NULL);
            break;
        case 'h':
            hangup = 1;
            break;
        default:
            die("play", "bad option");
        }
    }
    if (min_chunk == 0)
        min_chunk = 1;
    if (max_chunk < min_chunk)
        max_chunk = min_chunk;
    if (argc - optind != 2)
        die("play", "expected T2D_IN D2T_IN");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    line l[2];
    memset(l, 0, sizeof l);
    for (int i = 0; i < 2; i++) {
        open_line(&l[i]);
        read_file(argv[optind + i], &l[i].data);
    }
    printf("t2d %s\nd2t %s\n", l[0].path, l[1].path);
    fflush(stdout);
    wait_opened(l);

    uint64_t start = mono_us(), sent = 0;
    uint64_t until = repeat_for > 0 ? start + (uint64_t)(repeat_for * 1e6) : 0;
    while (!g_stop) {
        int i = (int)kdb_range(&g, 0, 1);
        if (l[i].off == l[i].data.len)
            i = 1 - i;
        if (l[i].off == l[i].data.len) {
            if (!until || mono_us() >= until)
                break;
            l[0].off = l[1].off = 0; /* --repeat-for: again from the start */
            continue;
        }
        size_t left = l[i].data.len - l[i].off;
        size_t n = kdb_range(&g, min_chunk, max_chunk);
        if (n > left)
            n = left;
        write_some(&l[i], n);
        sent += n;
        if (rate > 0) {
            /* Paced: each line at rate bytes/s, so both together at 2x. */
            uint64_t due = start + (uint64_t)((double)sent / (2.0 * rate) * 1e6);
            uint64_t now = mono_us();
            if (due > now)
                sleep_us(due - now);
        } else if (max_delay) {
            if (kdb_range(&g, 0, 3) == 0)
                sleep_us(kdb_range(&g, 0, max_delay));
        }
    }
    wait_drained(l);
    printf("drained\n");
    fflush(stdout);
    if (!hangup) {
        while (!g_stop)
            pause();
    }
    for (int i = 0; i < 2; i++) {
        close(l[i].slave);
        close(l[i].master);
        kdb_free(&l[i].data);
    }
    return 0;
}

/* ------------------------------------------------------------ check */

typedef struct item_rec {
    kd_item_kind kind;
    uint64_t offset;
    size_t len;
    uint32_t flags;
} item_rec;

typedef struct item_list {
    item_rec *v;
    size_t n, cap;
    uint64_t offset; /* running offset (capture records) */
} item_list;

static int is_packet(kd_item_kind k)
{
    return k == KD_ITEM_DATA || k == KD_ITEM_CONTROL || k == KD_ITEM_TRUNCATED;
}

static void add_item(item_list *l, kd_item_kind kind, uint64_t offset, size_t len, uint32_t flags)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v)
            die("check", "out of memory");
    }
    l->v[l->n++] = (item_rec){kind, offset, len, flags};
}

static void on_ref_item(const kd_item *it, void *user)
{
    if (is_packet(it->kind))
        add_item(user, it->kind, it->offset, it->len, it->flags);
}

/* A capture record framed alone: the item it holds. */
typedef struct one {
    int n;
    kd_item_kind kind;
    uint32_t flags;
} one;

static void on_one(const kd_item *it, void *user)
{
    one *o = user;
    o->n++;
    o->kind = it->kind;
    o->flags = it->flags;
}

static int do_check(int argc, char **argv)
{
    if (argc != 4)
        die("check", "expected CAPTURE D2T_IN T2D_IN");
    /* Static: a failure returns at once, and the buffers stay reachable. */
    static kdb_buf want[2], got[2];
    static item_list rec_items[2], ref_items[2];
    read_file(argv[2], &want[KD_DIR_D2T]);
    read_file(argv[3], &want[KD_DIR_T2D]);
    char err[256];
    kdcap_reader *r = kdcap_open(argv[1], KDCAP_FORMAT_PCAPNG, KD_DIR_UNKNOWN, err, sizeof err);
    if (!r)
        die(argv[1], err);
    kdcap_record rec;
    int rc;
    uint64_t records = 0;
    static one o;
    static kd_framer *alone;
    alone = kd_framer_new(KD_TRANSPORT_SERIAL, KD_DIR_UNKNOWN, on_one, &o);
    while ((rc = kdcap_next(r, &rec)) == 1) {
        if (rec.dir > KD_DIR_T2D)
            die(argv[1], "a record without a direction");
        records++;
        o.n = 0;
        kd_framer_feed(alone, rec.bytes, rec.len, 0);
        kd_framer_finish(alone);
        if (o.n != 1 && rec.len > 0) {
            fprintf(stderr, "FAIL: record %" PRIu64 " holds %d items, not one\n", records, o.n);
            return 1;
        }
        item_list *l = &rec_items[rec.dir];
        if (is_packet(o.kind))
            add_item(l, o.kind, l->offset, rec.len, o.flags);
        l->offset += rec.len;
        kdb_bytes(&got[rec.dir], rec.bytes, rec.len);
    }
    if (rc < 0)
        die(argv[1], kdcap_error(r));
    kdcap_close(r);
    kd_framer_free(alone);
    for (int d = 0; d < 2; d++) {
        const char *dn = kd_dir_name((kd_dir)d);
        if (got[d].len != want[d].len || (got[d].len && memcmp(got[d].data, want[d].data, got[d].len) != 0)) {
            size_t at = 0;
            while (at < got[d].len && at < want[d].len && got[d].data[at] == want[d].data[at])
                at++;
            fprintf(stderr, "FAIL: %s: the capture holds %zu bytes, the stream %zu; first difference at %zu\n", dn,
                    got[d].len, want[d].len, at);
            return 1;
        }
        kd_framer *f = kd_framer_new(KD_TRANSPORT_SERIAL, (kd_dir)d, on_ref_item, &ref_items[d]);
        kd_framer_feed(f, want[d].data, want[d].len, 0);
        kd_framer_finish(f);
        kd_framer_free(f);
        const item_list *a = &rec_items[d], *b = &ref_items[d];
        for (size_t i = 0; i < a->n || i < b->n; i++) {
            if (i >= a->n || i >= b->n || a->v[i].kind != b->v[i].kind || a->v[i].offset != b->v[i].offset ||
                a->v[i].len != b->v[i].len || a->v[i].flags != b->v[i].flags) {
                fprintf(stderr, "FAIL: %s: packet %zu differs from the stream's framing (%s)\n", dn, i + 1,
                        i >= a->n ? "missing" : i >= b->n ? "extra" : "kind, offset, length or flags");
                return 1;
            }
        }
        printf("%s %zu bytes %zu packets\n", dn, got[d].len, a->n);
        free(rec_items[d].v);
        free(ref_items[d].v);
        kdb_free(&got[d]);
        kdb_free(&want[d]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage", "kdfeed split|random|play|check ...");
    signal(SIGPIPE, SIG_IGN);
    if (strcmp(argv[1], "split") == 0)
        return do_split(argc - 1, argv + 1);
    if (strcmp(argv[1], "random") == 0)
        return do_random(argc - 1, argv + 1);
    if (strcmp(argv[1], "play") == 0)
        return do_play(argc - 1, argv + 1);
    if (strcmp(argv[1], "check") == 0)
        return do_check(argc - 1, argv + 1);
    die(argv[1], "unknown command (split, random, play, check)");
    return 2;
}
