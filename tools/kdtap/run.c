/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run.c - kdtap's session: the two sides, the loop that reads them (and,
 * relaying, forwards each read to the other side before recording it),
 * signals, stop conditions, and --reconnect.
 *
 * Signals: SIGINT, SIGTERM and SIGHUP only set a flag and write a byte to
 * a self-pipe.  The loop polls that pipe with the sides, so it never sleeps
 * through a signal, and the endpoints are given it as their cancel
 * descriptor, so no wait elsewhere (a listener waiting for its peer, a
 * forward to a side that stopped reading, a reconnecting thread) outlasts
 * it either.  Then what is already readable is read once more, the framers
 * are finished (a packet in progress becomes a truncated item), and the
 * file is closed and fsync'd.
 *
 * --reconnect: a side that went away is opened again by a thread (a
 * listener waits for the next peer, a connect or a serial device is tried
 * every half second), while the loop keeps reading and recording the other
 * side; what that side sends meanwhile cannot be forwarded and is counted
 * as such.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "endpoint.h"
#include "kdtap.h"
#include "live.h"
#include "record.h"
#include "status.h"

#define READ_CAP (64u * 1024u)
#define TICK_MS 250
#define RETRY_MS 500
#define DRAIN_READS 64 /* at the end: at most this many reads per side */
#define TAP_BUSY_READ 4096 /* tap: a round that read this much does not wait */

static volatile sig_atomic_t g_signal;
static int g_wake[2] = {-1, -1}; /* the self-pipe: [0] polled, [1] written */

static void on_signal(int sig)
{
    int e = errno;
    g_signal = sig;
    ssize_t w = write(g_wake[1], "s", 1);
    (void)w;
    errno = e;
}

/* Wakes every wait (the loop's, the endpoints', the reconnect threads'). */
static void wake_all(void)
{
    ssize_t w = write(g_wake[1], "w", 1);
    (void)w;
}

static int set_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    int fd_fl = fcntl(fd, F_GETFD);
    if (fl < 0 || fd_fl < 0)
        return -1;
    if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, fd_fl | FD_CLOEXEC) < 0)
        return -1;
    return 0;
}

static int make_pipe(int p[2])
{
    if (pipe(p) != 0)
        return -1;
    if (set_flags(p[0]) != 0 || set_flags(p[1]) != 0) {
        close(p[0]);
        close(p[1]);
        p[0] = p[1] = -1;
        return -1;
    }
    return 0;
}

static int setup_signals(void)
{
    if (g_wake[0] < 0 && make_pipe(g_wake) != 0)
        return -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: poll() returns at once */
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0 ||
        sigaction(SIGHUP, &sa, NULL) != 0)
        return -1;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN); /* a file size limit: EFBIG, an I/O error like a full disk */
    kd_endpoint_set_cancel_fd(g_wake[0]);
    return 0;
}

static uint64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ms(void)
{
    return mono_ns() / 1000000u;
}

/* ------------------------------------------------------------ sides */

typedef struct run run;

typedef struct side {
    run *owner;
    const char *spec;
    const char *role;   /* for messages: "target", "debugger", "t2d port", "d2t port" */
    kd_dir dir;         /* the direction of the bytes read from it */
    kd_endpoint *ep;    /* NULL while away */
    int is_pty, is_serial, is_stdio;
    int receive_only;   /* tap ports */
    int tty;            /* its read descriptor is a terminal: EIO is a hang-up */
    kd_endpoint_opts eo;
    /* --reconnect */
    pthread_t thread;
    int reopening;      /* a thread is opening it */
    int notify[2];      /* the thread writes a byte here when done */
    kd_endpoint *found; /* what the thread opened (NULL: cancelled) */
} side;

static void classify(side *s)
{
    kd_endpoint_kind k = kd_endpoint_kind_of(s->spec);
    s->is_stdio = k == KD_ENDPOINT_STDIO;
    s->is_pty = k == KD_ENDPOINT_PTY;
    s->is_serial = k == KD_ENDPOINT_SERIAL;
}

static void announce_pty(const side *s)
{
    const char *p = kd_endpoint_pty_path(s->ep);
    if (p) {
        fprintf(stderr, "kdtap: %s pty: %s\n", s->role, p);
        fflush(stderr);
    }
}

static void *reopen_thread(void *arg)
{
    side *s = arg;
    char err[512];
    for (;;) {
        kd_endpoint *ep = s->receive_only ? kd_endpoint_open_receive_only(s->spec, &s->eo, err, sizeof err)
                                          : kd_endpoint_open(s->spec, &s->eo, err, sizeof err);
        if (ep) {
            s->found = ep;
            break;
        }
        /* Refused, not there yet, or cancelled: try again later unless stopping. */
        struct pollfd p = {.fd = g_wake[0], .events = POLLIN};
        if (poll(&p, 1, RETRY_MS) != 0)
            break;
    }
    ssize_t w = write(s->notify[1], "d", 1);
    (void)w;
    return NULL;
}

static int start_reopen(side *s)
{
    if (s->notify[0] < 0 && make_pipe(s->notify) != 0)
        return -1;
    s->found = NULL;
    if (pthread_create(&s->thread, NULL, reopen_thread, s) != 0)
        return -1;
    s->reopening = 1;
    return 0;
}

/* Joins a finished (or, when stopping, cancelled) opener thread. */
static void finish_reopen(side *s)
{
    if (!s->reopening)
        return;
    pthread_join(s->thread, NULL);
    s->reopening = 0;
    char b[16];
    while (read(s->notify[0], b, sizeof b) > 0)
        ;
}

/* ------------------------------------------------------------ the run */

struct run {
    const kdtap_config *c;
    side s[2];
    kdtap_rec *rec;
    kdtap_live *live;
    kdtap_status st;
    int stop;
    int status;            /* exit status so far */
    uint64_t dropped[2];   /* relay: bytes that could not be forwarded, per direction */
    uint8_t buf[READ_CAP];
};

static void on_item(const kd_item *it, uint64_t record, void *user)
{
    run *R = user;
    if (!R->live)
        return;
    if (R->c->decode)
        kdtap_status_hide(&R->st);
    kdtap_live_item(R->live, it, record);
}

static void stop_with(run *R, int status)
{
    R->stop = 1;
    if (status > R->status)
        R->status = status;
}

static void message(run *R, const char *fmt, const char *a, const char *b, const char *c)
{
    kdtap_status_hide(&R->st);
    fprintf(stderr, fmt, a, b, c);
    fflush(stderr);
}

/* A side ended (err 0: end of stream or hang-up; else the errno of a read
 * or of a forward to it). */
static void side_gone(run *R, side *s, int err)
{
    if (!s->ep)
        return;
    kdtap_rec_end_stream(R->rec, s->dir);
    kd_endpoint_close(s->ep);
    s->ep = NULL;
    if (R->stop)
        return; /* already stopping (the last reads): one reason is enough */
    /* A peer that closes a socket with bytes still unread (a debugger quitting
     * with the target's last ACK in flight) shows as a reset: still a close. */
    if (!s->is_serial && !s->is_stdio && (err == ECONNRESET || err == EPIPE))
        err = 0;
    const char *why = err ? strerror(err)
                      : s->is_serial ? "the port hung up (device removed or closed)"
                      : s->is_stdio  ? "end of input"
                                     : "closed the connection";
    if (R->c->mode == KDTAP_TAP) {
        message(R, "kdtap: %s: %s%s\n", s->spec, why, "");
        stop_with(R, KDTAP_EXIT_IO);
        return;
    }
    if (R->c->reconnect && !s->is_stdio && !R->stop) {
        if (!R->c->quiet)
            message(R, "kdtap: %s (%s): %s; waiting for it to come back\n", s->role, s->spec, why);
        if (start_reopen(s) != 0) {
            message(R, "kdtap: %s (%s): cannot wait for it: %s\n", s->role, s->spec, strerror(errno));
            stop_with(R, KDTAP_EXIT_IO);
        }
        return;
    }
    /* A side that closes its connection ends the relay normally; an error
     * or a serial device hanging up is an I/O failure. */
    if (err == 0 && !s->is_serial) {
        if (!R->c->quiet)
            message(R, "kdtap: %s (%s): %s\n", s->role, s->spec, why);
        stop_with(R, KDTAP_EXIT_OK);
    } else {
        message(R, "kdtap: %s (%s): %s\n", s->role, s->spec, why);
        stop_with(R, KDTAP_EXIT_IO);
    }
}

/*
 * One read from a side that poll() found readable: >0 bytes, 0 nothing
 * after all, -1 at the end (errno 0: end of stream or hang-up) or on an
 * error.  A plain read(2), one system call, except for a pty endpoint,
 * whose peer only kd_endpoint_read can track (endpoint.h).
 */
static ssize_t read_side(side *s, void *buf, size_t n)
{
    if (s->is_pty)
        return kd_endpoint_read(s->ep, buf, n, 0);
    for (;;) {
        ssize_t r = read(kd_endpoint_read_fd(s->ep), buf, n);
        if (r > 0)
            return r;
        if (r == 0) {
            errno = 0;
            return -1;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        if (errno == EIO && s->tty)
            errno = 0; /* a pulled adapter, a pty whose master closed */
        return -1;
    }
}

/* One read from side i, forwarded (relay) and recorded.  Returns the byte
 * count (0: nothing there, -1: the side went away). */
static ssize_t pump(run *R, int i, uint64_t ts)
{
    side *s = &R->s[i];
    ssize_t n = read_side(s, R->buf, sizeof R->buf);
    if (n < 0) {
        side_gone(R, s, errno);
        return -1;
    }
    if (n == 0)
        return 0;
    if (R->c->mode == KDTAP_RELAY) {
        side *o = &R->s[1 - i];
        if (o->ep) {
            /* Forward first: nothing is added to the latency but this read. */
            if (kd_endpoint_write(o->ep, R->buf, (size_t)n) != 0) {
                int e = errno;
                R->dropped[s->dir] += (uint64_t)n; /* at most this many did not get there */
                if (e != ECANCELED)
                    side_gone(R, o, e);
            }
        } else {
            R->dropped[s->dir] += (uint64_t)n;
        }
    }
    kdtap_rec_feed(R->rec, s->dir, R->buf, (size_t)n, ts);
    return n;
}

static void adopt(run *R, side *s)
{
    finish_reopen(s);
    if (!s->found)
        return;
    s->ep = s->found;
    s->found = NULL;
    s->tty = isatty(kd_endpoint_read_fd(s->ep));
    if (!R->c->quiet)
        message(R, "kdtap: %s (%s): %s\n", s->role, s->spec, "connected again");
    announce_pty(s);
}

/* A listening side is ready: who is awaited, and where. */
static void on_listen(const char *spec, void *user)
{
    run *R = ((side *)user)->owner;
    if (!R->c->quiet)
        message(R, "kdtap: waiting for the %s on %s\n", ((side *)user)->role, spec, "");
}

/* Opens a side at the start; a listener waits for its peer at most until
 * --duration is over.  0 open, 1 stop now (a signal, --duration), -1
 * failed (said). */
static int open_side(run *R, side *s, uint64_t end_ms)
{
    char err[600];
    kd_endpoint_opts eo = s->eo;
    eo.on_listen = on_listen;
    eo.user = s;
    if (end_ms) {
        uint64_t now = mono_ms();
        if (now >= end_ms)
            return 1;
        eo.listen_timeout_ms = end_ms - now > 1000000000u ? 1000000000 : (int)(end_ms - now);
    }
    s->ep = s->receive_only ? kd_endpoint_open_receive_only(s->spec, &eo, err, sizeof err)
                            : kd_endpoint_open(s->spec, &eo, err, sizeof err);
    if (!s->ep) {
        if (g_signal)
            return 1; /* interrupted while waiting for it */
        if (end_ms && mono_ms() >= end_ms) {
            if (!R->c->quiet)
                message(R, "kdtap: %s (%s): nobody connected within --duration\n", s->role, s->spec, "");
            return 1;
        }
        message(R, "kdtap: %s%s%s\n", err, "", "");
        return -1;
    }
    s->tty = isatty(kd_endpoint_read_fd(s->ep));
    announce_pty(s);
    return 0;
}

/* end_ms: CLOCK_MONOTONIC ms at which --duration is over (0: never). */
static void loop(run *R, uint64_t end_ms)
{
    const kdtap_config *c = R->c;
    int interval_ms = c->interval_ms >= 0 ? c->interval_ms : KDTAP_DEFAULT_INTERVAL_MS;
    uint64_t round_ns = c->mode == KDTAP_TAP ? (uint64_t)interval_ms * 1000000u : 0;
    while (!R->stop) {
        struct pollfd p[5];
        p[0] = (struct pollfd){.fd = g_wake[0], .events = POLLIN};
        for (int i = 0; i < 2; i++) {
            p[1 + i] = (struct pollfd){.fd = R->s[i].ep ? kd_endpoint_read_fd(R->s[i].ep) : -1, .events = POLLIN};
            p[3 + i] = (struct pollfd){.fd = R->s[i].reopening ? R->s[i].notify[0] : -1, .events = POLLIN};
        }
        int timeout = TICK_MS;
        if (end_ms) {
            uint64_t now = mono_ms();
            if (now >= end_ms)
                break;
            if (end_ms - now < (uint64_t)timeout)
                timeout = (int)(end_ms - now);
        }
        int r = poll(p, 5, timeout);
        uint64_t ts = real_ns(); /* the arrival time of every byte this round brings */
        uint64_t round_start = mono_ns();
        if (r < 0 && errno != EINTR) {
            message(R, "kdtap: poll: %s%s%s\n", strerror(errno), "", "");
            stop_with(R, KDTAP_EXIT_IO);
            break;
        }
        if (g_signal)
            break;
        ssize_t got = 0;
        for (int i = 0; i < 2 && !R->stop; i++) {
            side *s = &R->s[i];
            /* A pty endpoint learns of its peer only when asked (endpoint.h). */
            if (s->ep && (p[1 + i].revents || s->is_pty)) {
                ssize_t n = pump(R, i, ts);
                got += n > 0 ? n : 0;
            }
        }
        /* A tap forwards nothing, so it can let bytes gather: a UART hands
         * over a few bytes at a time, and on this project's 2-core VM a
         * wakeup costs some 60 us of CPU, more than the bytes.  While bytes
         * flow, a tap takes at most one round per --interval (it sleeps out
         * the rest of the round): at 2 x 115200 baud in 1-16-byte reads,
         * 4.6% of a core with no wait, 0.7% at 10 ms (bench_kdtap.sh).  Timestamps stay within the interval of a
         * byte's arrival; a relay never waits (no added latency).  A
         * round that read a tty's whole line buffer (4 KB) does not wait:
         * bytes come faster than any wait is worth (a pty, a fast port),
         * and the kernel's buffers must not fill while we sleep. */
        if (got > 0 && got < TAP_BUSY_READ && round_ns && !R->stop && !g_signal) {
            uint64_t spent = mono_ns() - round_start;
            if (spent < round_ns) {
                uint64_t left = round_ns - spent;
                struct timespec nap = {(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
                nanosleep(&nap, NULL);
            }
        }
        for (int i = 0; i < 2; i++) {
            if (R->s[i].reopening && p[3 + i].revents)
                adopt(R, &R->s[i]);
        }
        if (kdtap_rec_failed(R->rec)) {
            message(R, "kdtap: %s%s%s\n", kdtap_rec_error(R->rec), "", "");
            stop_with(R, KDTAP_EXIT_IO);
        }
        if (kdtap_rec_limit_reached(R->rec))
            stop_with(R, KDTAP_EXIT_OK);
        kdtap_status_tick(&R->st, R->rec, R->live, 0);
    }
}

/* At the end: what the sides already hold is read (and forwarded) once more. */
static void drain(run *R)
{
    uint64_t ts = real_ns();
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < DRAIN_READS && R->s[i].ep && !kdtap_rec_failed(R->rec); k++) {
            struct pollfd p = {.fd = kd_endpoint_read_fd(R->s[i].ep), .events = POLLIN};
            if ((!R->s[i].is_pty && poll(&p, 1, 0) <= 0) || pump(R, i, ts) <= 0)
                break;
        }
    }
}

int kdtap_run(const kdtap_config *c)
{
    run *R = calloc(1, sizeof *R);
    if (!R) {
        fprintf(stderr, "kdtap: %s\n", strerror(ENOMEM));
        return KDTAP_EXIT_IO;
    }
    R->c = c;
    kdtap_status_init(&R->st, !c->quiet && isatty(STDERR_FILENO));
    if (setup_signals() != 0) {
        fprintf(stderr, "kdtap: signals: %s\n", strerror(errno));
        free(R);
        return KDTAP_EXIT_IO;
    }
    static const char *const roles[2][2] = {{"t2d port", "d2t port"}, {"target", "debugger"}};
    for (int i = 0; i < 2; i++) {
        side *s = &R->s[i];
        s->owner = R;
        s->spec = c->spec[i];
        s->role = roles[c->mode == KDTAP_RELAY][i];
        s->dir = i == KDTAP_TARGET ? KD_DIR_T2D : KD_DIR_D2T;
        s->notify[0] = s->notify[1] = -1;
        s->eo = (kd_endpoint_opts){.baud = c->baud, .listen_timeout_ms = -1};
        s->receive_only = c->mode == KDTAP_TAP;
        classify(s);
    }

    /* The output: a tap opens its ports first (so a bad port leaves no
     * file); a relay opens the file first, so a reader of the file (or
     * Wireshark, of its fifo) has the header while kdtap waits for the
     * sides to connect. */
    kdtap_rec_opts ro = {
        .path = c->out,
        .fd = c->out_fd,
        .comment = c->comment,
        .if_name = {c->spec[KDTAP_DEBUGGER], c->spec[KDTAP_TARGET]}, /* indexed by kd_dir */
        .ring_bytes = c->ring_bytes,
        .ring_files = c->ring_files,
        .max_packets = c->packets,
        .on_item = on_item,
        .user = R,
    };
    char err[5000];
    int rc = 0;
    /* --duration counts from here: the wait for a relay's sides is part of it. */
    uint64_t end_ms = c->duration > 0 ? mono_ms() + (uint64_t)(c->duration * 1000.0 + 0.5) : 0;
    if (c->mode == KDTAP_TAP) {
        for (int i = 0; i < 2 && rc == 0; i++)
            rc = open_side(R, &R->s[i], 0);
    }
    if (rc == 0) {
        int not_created;
        R->rec = kdtap_rec_open(&ro, err, sizeof err, &not_created);
        if (!R->rec) {
            /* Nothing recorded yet: a file that cannot be made is bad usage. */
            fprintf(stderr, "kdtap: %s\n", err);
            rc = not_created ? -1 : -2;
        }
    }
    if (rc == 0 && c->mode == KDTAP_RELAY) {
        for (int i = 0; i < 2 && rc == 0; i++)
            rc = open_side(R, &R->s[i], end_ms);
    }
    if (rc == 0 && (c->decode || R->st.enabled)) {
        R->live = kdtap_live_new(c->decode ? stdout : NULL, c->arch, c->width);
        if (!R->live) {
            fprintf(stderr, "kdtap: %s\n", strerror(ENOMEM));
            rc = -2;
        }
    }
    if (rc == 0) {
        loop(R, end_ms);
        wake_all(); /* from now on no forward may block */
        if (!kdtap_rec_failed(R->rec) && !kdtap_rec_limit_reached(R->rec))
            drain(R);
    }
    R->stop = 1;
    wake_all(); /* reconnecting threads give up */
    for (int i = 0; i < 2; i++) {
        finish_reopen(&R->s[i]);
        if (R->s[i].found)
            kd_endpoint_close(R->s[i].found);
    }
    int status = rc == 0 ? R->status : rc == -1 ? KDTAP_EXIT_USAGE : rc == 1 ? KDTAP_EXIT_OK : KDTAP_EXIT_IO;
    /* The sides first: a relay's peers see the end at once, not after the fsync. */
    for (int i = 0; i < 2; i++) {
        kd_endpoint_close(R->s[i].ep);
        R->s[i].ep = NULL;
    }
    if (R->rec) {
        int was_failed = kdtap_rec_failed(R->rec);
        if (kdtap_rec_close(R->rec, err, sizeof err) != 0) {
            if (!was_failed)
                message(R, "kdtap: %s%s%s\n", err, "", "");
            status = KDTAP_EXIT_IO;
        }
        kdtap_status_tick(&R->st, R->rec, R->live, 1);
        kdtap_status_hide(&R->st);
        if (!c->quiet && rc == 0) {
            const char *names[2] = {c->spec[KDTAP_DEBUGGER], c->spec[KDTAP_TARGET]};
            kdtap_status_summary(stderr, R->rec, names, c->mode == KDTAP_RELAY ? R->dropped : NULL);
        }
        kdtap_rec_free(R->rec);
    }
    for (int i = 0; i < 2; i++) {
        if (R->s[i].notify[0] >= 0) {
            close(R->s[i].notify[0]);
            close(R->s[i].notify[1]);
        }
    }
    kdtap_live_free(R->live);
    free(R);
    return status;
}
