/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * endpoint.c - serial devices, ptys, Unix and TCP sockets and stdio as one
 * kind of byte stream (see endpoint.h for the spec words and the pty
 * rules).
 */
#include "endpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pty.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define EP_USAGE                                                                               \
    "serial device path, pty, unix:PATH, unix-listen:PATH, tcp:HOST:PORT, "                    \
    "tcp-listen:[HOST:]PORT or -"
#define EP_DEFAULT_BAUD 115200u
/* A write to a pty that nobody has opened waits this long for room before
 * the unread bytes are discarded. */
#define EP_PTY_STALL_MS 50
/* tcp-listen binds at most this many addresses (e.g. 0.0.0.0 and ::). */
#define EP_MAX_LISTEN 8


/* kd_endpoint_set_cancel_fd: readable means "stop waiting". */
static int g_cancel_fd = -1;

void kd_endpoint_set_cancel_fd(int fd)
{
    g_cancel_fd = fd < 0 ? -1 : fd;
}

/* True when the cancel descriptor is readable (a revents from a poll that
 * included it, or a fresh look). */
static int cancel_pending(void)
{
    if (g_cancel_fd < 0)
        return 0;
    struct pollfd p = {.fd = g_cancel_fd, .events = POLLIN};
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

struct kd_endpoint {
    kd_endpoint_kind kind;
    int rfd, wfd;    /* the same descriptor except for stdio */
    int rsock;       /* rfd is a socket: recv() */
    int wsock;       /* wfd is a socket: send() with MSG_NOSIGNAL */
    int tty;         /* rfd is a terminal: EIO means end of stream */
    int pty_keeper;  /* pty: our own slave descriptor until a peer shows up, else -1 */
    int pty_watch;   /* pty: inotify (IN_OPEN on the slave) while pty_keeper is held, else -1 */
    char *name;      /* the spec as given */
    char *pty_path;  /* pty: the slave path */
    char *sock_path; /* unix-listen: the socket file we bound, unlinked on close */
    dev_t sock_dev;
    ino_t sock_ino;
    void (*on_listen)(const char *spec, void *user); /* kd_endpoint_opts' */
    void *listen_user;
};

/* A listener is ready: its owner may say so before the wait. */
static void listening(const kd_endpoint *ep)
{
    if (ep->on_listen)
        ep->on_listen(ep->name, ep->listen_user);
}

/* ------------------------------------------------------------ helpers */

__attribute__((format(printf, 4, 5))) static void set_err(char *err, size_t errlen,
                                                           const char *spec, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    size_t o = 0;
    /* The spec with control characters shown as '?', so the message stays one line. */
    for (const char *p = spec; *p && o + 1 < errlen; p++) {
        unsigned char c = (unsigned char)*p;
        err[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    err[o] = '\0';
    if (o + 1 < errlen) {
        snprintf(err + o, errlen - o, ": ");
        o += strlen(err + o);
    }
    if (o + 1 < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + o, errlen - o, fmt, ap);
        va_end(ap);
    }
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A deadline for a timeout in ms; -1 stays -1 (none). */
static long long deadline_of(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* Milliseconds left before deadline, for poll(): -1 without a deadline. */
static int time_left(long long deadline)
{
    if (deadline < 0)
        return -1;
    long long left = deadline - now_ms();
    if (left < 0)
        return 0;
    return left > INT_MAX ? INT_MAX : (int)left;
}

static void close_keep_errno(int fd)
{
    int e = errno;
    close(fd);
    errno = e;
}

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int set_fd_flag(int fd, int on, int flag)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -1;
    int nfl = on ? (fl | flag) : (fl & ~flag);
    return nfl == fl ? 0 : fcntl(fd, F_SETFL, nfl);
}

static int set_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    return fl < 0 ? -1 : fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

static void set_nodelay(int fd)
{
    int one = 1;
    /* Best effort: the stream works without it, only slower for small packets. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Connects a blocking socket; a connect cut short by a signal goes on in
 * the background, so wait for it to finish then. */
static int connect_fd(int fd, const struct sockaddr *sa, socklen_t len)
{
    if (connect(fd, sa, len) == 0)
        return 0;
    if (errno != EINTR && errno != EINPROGRESS)
        return -1;
    struct pollfd p[2] = {{.fd = fd, .events = POLLOUT}, {.fd = g_cancel_fd, .events = POLLIN}};
    for (;;) {
        int r = poll(p, 2, -1);
        if (r > 0 && p[0].revents)
            break;
        if (r > 0 && p[1].revents) {
            errno = ECANCELED;
            return -1;
        }
        if (r < 0 && errno != EINTR)
            return -1;
    }
    int e = 0;
    socklen_t elen = sizeof e;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
        return -1;
    if (e != 0) {
        errno = e;
        return -1;
    }
    return 0;
}

/* Accepts one connection on any of the n non-blocking listeners within
 * timeout_ms (-1 forever).  The accepted socket is blocking, close-on-exec.
 * -1 with errno (ETIMEDOUT when nobody came). */
static int accept_one(const int *fds, int n, int timeout_ms)
{
    struct pollfd p[EP_MAX_LISTEN + 1];
    long long deadline = deadline_of(timeout_ms);
    for (;;) {
        for (int i = 0; i < n; i++)
            p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        p[n] = (struct pollfd){.fd = g_cancel_fd, .events = POLLIN};
        int r = poll(p, (nfds_t)n + 1, time_left(deadline));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (p[n].revents) {
            errno = ECANCELED;
            return -1;
        }
        for (int i = 0; i < n; i++) {
            if (!p[i].revents)
                continue;
            int c = accept(fds[i], NULL, NULL);
            if (c >= 0) {
                if (set_cloexec(c) != 0) {
                    close_keep_errno(c);
                    return -1;
                }
                return c;
            }
            if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK &&
                errno != ECONNABORTED && errno != EPROTO)
                return -1;
        }
    }
}

/* ------------------------------------------------------------ serial */

static const struct {
    unsigned long rate;
    speed_t code;
} baud_table[] = {
    {50, B50},         {75, B75},         {110, B110},       {134, B134},
    {150, B150},       {200, B200},       {300, B300},       {600, B600},
    {1200, B1200},     {1800, B1800},     {2400, B2400},     {4800, B4800},
    {9600, B9600},     {19200, B19200},   {38400, B38400},
#ifdef B57600
    {57600, B57600},
#endif
#ifdef B115200
    {115200, B115200},
#endif
#ifdef B230400
    {230400, B230400},
#endif
#ifdef B460800
    {460800, B460800},
#endif
#ifdef B500000
    {500000, B500000},
#endif
#ifdef B576000
    {576000, B576000},
#endif
#ifdef B921600
    {921600, B921600},
#endif
};

size_t kd_endpoint_baud_count(void)
{
    return sizeof baud_table / sizeof baud_table[0];
}

unsigned kd_endpoint_baud(size_t i)
{
    return i < kd_endpoint_baud_count() ? (unsigned)baud_table[i].rate : 0;
}

int kd_endpoint_baud_ok(unsigned long rate)
{
    for (size_t i = 0; i < kd_endpoint_baud_count(); i++) {
        if (baud_table[i].rate == rate)
            return 1;
    }
    return 0;
}

static int baud_code(unsigned long rate, speed_t *code)
{
    for (size_t i = 0; i < sizeof baud_table / sizeof baud_table[0]; i++) {
        if (baud_table[i].rate == rate) {
            *code = baud_table[i].code;
            return 1;
        }
    }
    return 0;
}

static int make_raw(int fd)
{
    struct termios t;
    if (tcgetattr(fd, &t) != 0)
        return -1;
    cfmakeraw(&t);
    return tcsetattr(fd, TCSANOW, &t);
}

/* Opens path as a serial line: raw 8N1, no flow control, VMIN=1 VTIME=0;
 * receive-only (O_RDONLY, a terminal required) when read_only. */
static int open_serial(kd_endpoint *ep, const char *path, unsigned long baud,
                       const char *baud_text, int read_only, char *err, size_t errlen)
{
    speed_t code;
    if (!baud_code(baud, &code)) {
        if (baud_text)
            set_err(err, errlen, ep->name, "unsupported baud rate %s", baud_text);
        else
            set_err(err, errlen, ep->name, "unsupported baud rate %lu", baud);
        return -1;
    }
    /* O_NONBLOCK so that open does not wait for carrier on modem lines. */
    int fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        set_err(err, errlen, ep->name, "%s", strerror(errno));
        return -1;
    }
    ep->rfd = ep->wfd = fd;
    ep->tty = 1;
    if (read_only && !isatty(fd)) {
        set_err(err, errlen, ep->name, "not a tty");
        return -1;
    }

    struct termios t;
    if (tcgetattr(fd, &t) != 0) {
        set_err(err, errlen, ep->name, "not a serial device (%s)", strerror(errno));
        return -1;
    }
    cfmakeraw(&t);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB | CRTSCTS);
    t.c_cflag |= CS8 | CLOCAL | CREAD;
    t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (cfsetispeed(&t, code) != 0 || cfsetospeed(&t, code) != 0 ||
        tcsetattr(fd, TCSANOW, &t) != 0) {
        set_err(err, errlen, ep->name, "cannot set up the line: %s", strerror(errno));
        return -1;
    }
    /* tcsetattr succeeds when any of the changes took: check the speed. */
    struct termios got;
    if (tcgetattr(fd, &got) == 0 && cfgetospeed(&got) != code) {
        set_err(err, errlen, ep->name, "baud rate %lu not accepted by the device", baud);
        return -1;
    }
    if (set_fd_flag(fd, 0, O_NONBLOCK) != 0) {
        set_err(err, errlen, ep->name, "%s", strerror(errno));
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- pty */

/*
 * The pty choice (see endpoint.h): we hold a slave descriptor of our own
 * (pty_keeper) so that the master neither reports POLLHUP nor fails reads
 * with EIO before the peer arrives.  As soon as the peer is seen (the
 * slave opened, reported by inotify, or bytes read from it) we close it,
 * so that the peer's close makes the master report EIO, which is end of
 * stream.  The kernel delivers what the peer wrote before that EIO.
 */
static void pty_release(kd_endpoint *ep)
{
    if (ep->pty_keeper >= 0) {
        close_keep_errno(ep->pty_keeper);
        ep->pty_keeper = -1;
    }
    if (ep->pty_watch >= 0) {
        close_keep_errno(ep->pty_watch);
        ep->pty_watch = -1;
    }
}

/* Reads what inotify queued; any event (IN_OPEN is the only one asked
 * for, besides the overflow and removal notices) means the peer came. */
static void pty_check_watch(kd_endpoint *ep)
{
    if (ep->pty_watch < 0)
        return;
    int e = errno;
    int seen = 0;
    union {
        struct inotify_event ev;
        char bytes[sizeof(struct inotify_event) + NAME_MAX + 1];
    } buf;
    for (;;) {
        ssize_t r = read(ep->pty_watch, &buf, sizeof buf);
        if (r > 0) {
            seen = 1;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        break; /* EAGAIN: drained */
    }
    if (seen)
        pty_release(ep);
    errno = e;
}

static int open_pty(kd_endpoint *ep, char *err, size_t errlen)
{
    int m, s;
    if (openpty(&m, &s, NULL, NULL, NULL) != 0) {
        set_err(err, errlen, ep->name, "%s", strerror(errno));
        return -1;
    }
    ep->rfd = ep->wfd = m;
    ep->pty_keeper = s;
    ep->tty = 1;
    if (set_cloexec(m) != 0 || set_cloexec(s) != 0) {
        set_err(err, errlen, ep->name, "%s", strerror(errno));
        return -1;
    }
    char path[PATH_MAX];
    int r = ttyname_r(s, path, sizeof path);
    if (r != 0) {
        set_err(err, errlen, ep->name, "cannot name the slave: %s", strerror(r));
        return -1;
    }
    ep->pty_path = strdup(path);
    if (!ep->pty_path) {
        set_err(err, errlen, ep->name, "%s", strerror(errno));
        return -1;
    }
    if (make_raw(m) != 0 || make_raw(s) != 0 || set_fd_flag(m, 1, O_NONBLOCK) != 0) {
        set_err(err, errlen, ep->name, "%s", strerror(errno));
        return -1;
    }
    /* Without inotify, only bytes from the peer reveal it (endpoint.h). */
    int w = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w >= 0 && inotify_add_watch(w, path, IN_OPEN) < 0) {
        close(w);
        w = -1;
    }
    ep->pty_watch = w;
    return 0;
}

/* ------------------------------------------------------------- unix */

static int fill_sun(kd_endpoint *ep, struct sockaddr_un *sa, const char *path, char *err,
                    size_t errlen)
{
    size_t len = strlen(path);
    if (len == 0) {
        set_err(err, errlen, ep->name, "missing socket path");
        return -1;
    }
    if (len >= sizeof sa->sun_path) {
        set_err(err, errlen, ep->name, "socket path too long (at most %zu bytes)",
                sizeof sa->sun_path - 1);
        return -1;
    }
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, path, len + 1);
    return 0;
}

static int open_unix(kd_endpoint *ep, const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa;
    if (fill_sun(ep, &sa, path, err, errlen) != 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        set_err(err, errlen, ep->name, "%s", strerror(errno));
        return -1;
    }
    ep->rfd = ep->wfd = fd;
    ep->rsock = ep->wsock = 1;
    if (connect_fd(fd, (const struct sockaddr *)&sa, sizeof sa) != 0) {
        set_err(err, errlen, ep->name, "%s", strerror(errno));
        return -1;
    }
    return 0;
}

/* A listener that got no peer (e: accept_one's errno): says why; -1. */
static int accept_failed(kd_endpoint *ep, int e, int timeout_ms, char *err, size_t errlen)
{
    if (e == ETIMEDOUT)
        set_err(err, errlen, ep->name, "no connection within %d ms", timeout_ms);
    else
        set_err(err, errlen, ep->name, "%s", strerror(e));
    return -1;
}

/* A listening socket whose file appears at PATH only once it listens: it
 * is bound under a temporary name beside PATH and hard-linked to PATH
 * (binding PATH itself left a window between bind and listen in which a
 * peer that saw the file got "Connection refused"). link, unlike rename,
 * never replaces a file already at PATH. Where the temporary name does not
 * fit or the file system has no hard links, PATH is bound directly. */
static int listen_unix_at(const char *path, const struct sockaddr_un *sa)
{
    struct sockaddr_un tmp = {.sun_family = AF_UNIX};
    int n = snprintf(tmp.sun_path, sizeof tmp.sun_path, "%.*s.%ld~",
                     (int)sizeof tmp.sun_path, path, (long)getpid());
    int staged = n > 0 && (size_t)n < sizeof tmp.sun_path;
    for (;;) {
        const struct sockaddr_un *at = staged ? &tmp : sa;
        if (staged)
            (void)unlink(tmp.sun_path); /* ours from an earlier try, if any */
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            return -1;
        int bound = bind(fd, (const struct sockaddr *)at, sizeof *at) == 0;
        if (!bound || listen(fd, 1) != 0) {
            int e = errno;
            if (bound)
                (void)unlink(at->sun_path);
            close(fd);
            errno = e;
            return -1;
        }
        if (!staged)
            return fd;
        int linked = link(tmp.sun_path, path) == 0;
        int e = errno;
        (void)unlink(tmp.sun_path);
        if (linked)
            return fd;
        close(fd);
        if (e == EEXIST) {
            errno = EADDRINUSE; /* what bind says of a taken path */
            return -1;
        }
        staged = 0;
    }
}

static int open_unix_listen(kd_endpoint *ep, const char *path, int timeout_ms, char *err,
                            size_t errlen)
{
    struct sockaddr_un sa;
    if (fill_sun(ep, &sa, path, err, errlen) != 0)
        return -1;
    /* A socket file left behind by an earlier listener is removed; any
     * other kind of file is left alone (bind then fails). */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        (void)unlink(path);

    int fd = listen_unix_at(path, &sa);
    if (fd < 0) {
        set_err(err, errlen, ep->name, "%s", strerror(errno));
        return -1;
    }
    /* From here on the file is ours: kd_endpoint_close removes it. */
    ep->sock_path = strdup(path);
    if (!ep->sock_path) {
        set_err(err, errlen, ep->name, "%s", strerror(errno));
        (void)unlink(path);
        close(fd);
        return -1;
    }
    if (lstat(path, &st) == 0) {
        ep->sock_dev = st.st_dev;
        ep->sock_ino = st.st_ino;
    }
    listening(ep);
    int c = accept_one(&fd, 1, timeout_ms);
    close_keep_errno(fd);
    if (c < 0)
        return accept_failed(ep, errno, timeout_ms, err, errlen);
    ep->rfd = ep->wfd = c;
    ep->rsock = ep->wsock = 1;
    return 0;
}

/* -------------------------------------------------------------- tcp */

/*
 * Splits "HOST:PORT", "[V6ADDR]:PORT" or (listening) "PORT" into a host
 * (malloc'd, "" when left out) and a port checked to be 1..65535.
 * -1 with the reason in err.
 */
static int split_host_port(kd_endpoint *ep, const char *s, int listening, char **host,
                           char port[6], char *err, size_t errlen)
{
    const char *hs, *he, *ps;
    if (s[0] == '[') {
        hs = s + 1;
        he = strchr(hs, ']');
        if (!he) {
            set_err(err, errlen, ep->name, "bad address (a ']' is missing)");
            return -1;
        }
        if (he[1] != ':') {
            set_err(err, errlen, ep->name, "missing port (%s)",
                    listening ? "tcp-listen:[HOST:]PORT" : "tcp:HOST:PORT");
            return -1;
        }
        ps = he + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (colon) {
            hs = s;
            he = colon;
            ps = colon + 1;
        } else if (listening) {
            hs = he = s;
            ps = s;
        } else {
            set_err(err, errlen, ep->name, "missing port (tcp:HOST:PORT)");
            return -1;
        }
    }
    size_t plen = strlen(ps);
    unsigned long pv = 0;
    if (plen == 0 || plen > 5 || strspn(ps, "0123456789") != plen ||
        (pv = strtoul(ps, NULL, 10)) == 0 || pv > 65535) {
        set_err(err, errlen, ep->name, "bad port");
        return -1;
    }
    snprintf(port, 6, "%lu", pv);
    if (he == hs && !listening) {
        set_err(err, errlen, ep->name, "missing host (tcp:HOST:PORT)");
        return -1;
    }
    *host = strndup(hs, (size_t)(he - hs));
    if (!*host) {
        set_err(err, errlen, ep->name, "%s", strerror(errno));
        return -1;
    }
    return 0;
}

static void set_gai_err(kd_endpoint *ep, int g, char *err, size_t errlen)
{
    set_err(err, errlen, ep->name, "%s", g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
}

static int open_tcp(kd_endpoint *ep, const char *arg, char *err, size_t errlen)
{
    char *host, port[6];
    if (split_host_port(ep, arg, 0, &host, port, err, errlen) != 0)
        return -1;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int g = getaddrinfo(host, port, &hints, &res);
    free(host);
    if (g != 0) {
        set_gai_err(ep, g, err, errlen);
        return -1;
    }
    int fd = -1, e = EADDRNOTAVAIL;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        if (connect_fd(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        e = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        set_err(err, errlen, ep->name, "%s", strerror(e));
        return -1;
    }
    set_nodelay(fd);
    ep->rfd = ep->wfd = fd;
    ep->rsock = ep->wsock = 1;
    return 0;
}

static int open_tcp_listen(kd_endpoint *ep, const char *arg, int timeout_ms, char *err,
                           size_t errlen)
{
    char *host, port[6];
    if (split_host_port(ep, arg, 1, &host, port, err, errlen) != 0)
        return -1;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int g = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    free(host);
    if (g != 0) {
        set_gai_err(ep, g, err, errlen);
        return -1;
    }
    /* Every address (0.0.0.0 and :: for all; 127.0.0.1 and ::1 for
     * localhost), IPv6 sockets v6-only so both can bind.  An address family
     * the host lacks is skipped; any other failure is an error. */
    int fds[EP_MAX_LISTEN], n = 0, e = 0;
    for (const struct addrinfo *ai = res; ai && n < EP_MAX_LISTEN && e == 0; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        ai->ai_protocol);
        if (fd < 0) {
            if (errno != EAFNOSUPPORT)
                e = errno;
            continue;
        }
        int one = 1;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ai->ai_family == AF_INET6)
            (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1) != 0) {
            int be = errno;
            close(fd);
            if (!(ai->ai_family == AF_INET6 && (be == EADDRNOTAVAIL || be == EAFNOSUPPORT)))
                e = be;
            continue;
        }
        fds[n++] = fd;
    }
    freeaddrinfo(res);
    if (e == 0 && n == 0)
        e = EADDRNOTAVAIL;
    int c = -1;
    if (e == 0) {
        listening(ep);
        c = accept_one(fds, n, timeout_ms);
        if (c < 0)
            e = errno;
    }
    for (int i = 0; i < n; i++)
        close(fds[i]);
    if (c < 0)
        return accept_failed(ep, e, timeout_ms, err, errlen);
    set_nodelay(c);
    ep->rfd = ep->wfd = c;
    ep->rsock = ep->wsock = 1;
    return 0;
}

/* ------------------------------------------------------------ stdio */

static int open_stdio(kd_endpoint *ep, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(STDIN_FILENO, &st) != 0) {
        set_err(err, errlen, ep->name, "stdin: %s", strerror(errno));
        return -1;
    }
    ep->rsock = S_ISSOCK(st.st_mode);
    if (fstat(STDOUT_FILENO, &st) != 0) {
        set_err(err, errlen, ep->name, "stdout: %s", strerror(errno));
        return -1;
    }
    ep->wsock = S_ISSOCK(st.st_mode);
    ep->rfd = STDIN_FILENO;
    ep->wfd = STDOUT_FILENO;
    ep->tty = isatty(STDIN_FILENO);
    return 0;
}

/* ------------------------------------------------------------- open */

/* "PATH@BAUD": the path (malloc'd) and the digits after the last '@', if
 * any.  Without a suffix the whole spec is the path. */
static char *split_baud(const char *spec, const char **digits)
{
    const char *at = strrchr(spec, '@');
    *digits = NULL;
    if (at && at[1] && strspn(at + 1, "0123456789") == strlen(at + 1)) {
        *digits = at + 1;
        return strndup(spec, (size_t)(at - spec));
    }
    return strdup(spec);
}

static unsigned long parse_baud(const char *digits)
{
    unsigned long v = 0;
    for (const char *p = digits; *p; p++) {
        if (v > 100000000ul)
            return ULONG_MAX; /* unsupported anyway */
        v = v * 10 + (unsigned long)(*p - '0');
    }
    return v;
}

int kd_endpoint_baud_option(const char *prog, const char *arg, unsigned *out)
{
    /* digits only, as after PATH@ */
    if (!arg[0] || strspn(arg, "0123456789") != strlen(arg) || !kd_endpoint_baud_ok(parse_baud(arg))) {
        fprintf(stderr, "%s: --baud: '%s' is not a standard rate (%lu to %lu, e.g. 9600, 57600, 115200)\n", prog,
                arg, baud_table[0].rate, baud_table[kd_endpoint_baud_count() - 1].rate);
        return -1;
    }
    *out = (unsigned)parse_baud(arg);
    return 0;
}

kd_endpoint_kind kd_endpoint_kind_of(const char *spec)
{
    if (!spec)
        return KD_ENDPOINT_SERIAL;
    if (strcmp(spec, "-") == 0)
        return KD_ENDPOINT_STDIO;
    if (strcmp(spec, "pty") == 0)
        return KD_ENDPOINT_PTY;
    if (has_prefix(spec, "unix:") || has_prefix(spec, "unix-listen:"))
        return KD_ENDPOINT_UNIX;
    if (has_prefix(spec, "tcp:") || has_prefix(spec, "tcp-listen:"))
        return KD_ENDPOINT_TCP;
    return KD_ENDPOINT_SERIAL;
}

static kd_endpoint *open_endpoint(const char *spec, const kd_endpoint_opts *opts, int read_only,
                                  char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!spec)
        spec = "";
    unsigned long baud = opts && opts->baud ? opts->baud : EP_DEFAULT_BAUD;
    int listen_ms = opts ? opts->listen_timeout_ms : -1;
    if (listen_ms < -1)
        listen_ms = -1;

    kd_endpoint *ep = calloc(1, sizeof *ep);
    if (ep)
        ep->name = strdup(spec);
    if (!ep || !ep->name) {
        set_err(err, errlen, spec, "%s", strerror(ENOMEM));
        free(ep);
        return NULL;
    }
    ep->rfd = ep->wfd = ep->pty_keeper = ep->pty_watch = -1;
    if (opts) {
        ep->on_listen = opts->on_listen;
        ep->listen_user = opts->user;
    }

    int r;
    if (read_only && kd_endpoint_kind_of(spec) != KD_ENDPOINT_SERIAL) {
        set_err(err, errlen, spec, "not a serial device (a receive-only port is needed)");
        r = -1;
    } else if (strcmp(spec, "-") == 0) {
        ep->kind = KD_ENDPOINT_STDIO;
        r = open_stdio(ep, err, errlen);
    } else if (strcmp(spec, "pty") == 0) {
        ep->kind = KD_ENDPOINT_PTY;
        r = open_pty(ep, err, errlen);
    } else if (has_prefix(spec, "unix:")) {
        ep->kind = KD_ENDPOINT_UNIX;
        r = open_unix(ep, spec + strlen("unix:"), err, errlen);
    } else if (has_prefix(spec, "unix-listen:")) {
        ep->kind = KD_ENDPOINT_UNIX;
        r = open_unix_listen(ep, spec + strlen("unix-listen:"), listen_ms, err, errlen);
    } else if (has_prefix(spec, "tcp:")) {
        ep->kind = KD_ENDPOINT_TCP;
        r = open_tcp(ep, spec + strlen("tcp:"), err, errlen);
    } else if (has_prefix(spec, "tcp-listen:")) {
        ep->kind = KD_ENDPOINT_TCP;
        r = open_tcp_listen(ep, spec + strlen("tcp-listen:"), listen_ms, err, errlen);
    } else {
        ep->kind = KD_ENDPOINT_SERIAL;
        const char *digits;
        char *path = split_baud(spec, &digits);
        if (!path) {
            set_err(err, errlen, spec, "%s", strerror(ENOMEM));
            r = -1;
        } else {
            struct stat st;
            int st_ok = path[0] && stat(path, &st) == 0;
            int st_errno = errno;
            if (has_prefix(path, "/dev/") || (st_ok && S_ISCHR(st.st_mode))) {
                r = open_serial(ep, path, digits ? parse_baud(digits) : baud, digits, read_only,
                                err, errlen);
            } else if (st_ok) {
                set_err(err, errlen, spec, read_only ? "not a tty"
                                                     : "not a serial device (a character device is needed)");
                r = -1;
            } else if (strchr(path, '/')) {
                set_err(err, errlen, spec, "%s", strerror(st_errno));
                r = -1;
            } else {
                set_err(err, errlen, spec, "unknown endpoint (" EP_USAGE ")");
                r = -1;
            }
            free(path);
        }
    }
    if (r != 0) {
        kd_endpoint_close(ep);
        return NULL;
    }
    return ep;
}

kd_endpoint *kd_endpoint_open(const char *spec, const kd_endpoint_opts *opts, char *err,
                              size_t errlen)
{
    return open_endpoint(spec, opts, 0, err, errlen);
}

kd_endpoint *kd_endpoint_open_receive_only(const char *spec, const kd_endpoint_opts *opts, char *err,
                                           size_t errlen)
{
    return open_endpoint(spec, opts, 1, err, errlen);
}

/* -------------------------------------------------------- accessors */

const char *kd_endpoint_pty_path(const kd_endpoint *ep)
{
    return ep ? ep->pty_path : NULL;
}

const char *kd_endpoint_name(const kd_endpoint *ep)
{
    return ep ? ep->name : NULL;
}

int kd_endpoint_read_fd(const kd_endpoint *ep)
{
    return ep ? ep->rfd : -1;
}

int kd_endpoint_write_fd(const kd_endpoint *ep)
{
    return ep ? ep->wfd : -1;
}

/* -------------------------------------------------------------- I/O */

ssize_t kd_endpoint_read(kd_endpoint *ep, void *buf, size_t n, int timeout_ms)
{
    if (!ep || (!buf && n)) {
        errno = EINVAL;
        return -1;
    }
    if (n == 0)
        return 0;
    if (n > SSIZE_MAX)
        n = SSIZE_MAX;
    long long deadline = deadline_of(timeout_ms);
    for (;;) {
        if (ep->kind == KD_ENDPOINT_PTY)
            pty_check_watch(ep);
        /* Unused entries have fd -1, which poll() skips. */
        struct pollfd p[3] = {{.fd = ep->rfd, .events = POLLIN},
                              {.fd = ep->pty_watch, .events = POLLIN},
                              {.fd = g_cancel_fd, .events = POLLIN}};
        int r = poll(p, 3, time_left(deadline));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            return 0;
        if (p[0].revents & POLLNVAL) {
            errno = EBADF;
            return -1;
        }
        if (!p[0].revents) {
            if (p[2].revents)
                return 0; /* cancelled: as on a timeout */
            continue; /* only inotify: checked at the top */
        }

        ssize_t got = ep->rsock ? recv(ep->rfd, buf, n, MSG_DONTWAIT) : read(ep->rfd, buf, n);
        if (got > 0) {
            if (ep->pty_keeper >= 0)
                pty_release(ep); /* bytes from the peer: it is there */
            return got;
        }
        if (got == 0) {
            errno = 0;
            return -1;
        }
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
            if (time_left(deadline) == 0 || cancel_pending())
                return 0;
            continue;
        }
        if (errno == EIO && ep->tty) {
            if (ep->pty_keeper >= 0) {
                /* No peer yet (cannot happen while we hold the slave, but
                 * never spin on it): no data. */
                int left = time_left(deadline);
                if (left == 0)
                    return 0;
                struct timespec ts = {0, 10 * 1000000L};
                if (left > 0 && left < 10)
                    ts.tv_nsec = left * 1000000L;
                nanosleep(&ts, NULL);
                continue;
            }
            errno = 0; /* hang-up: a pty whose peer closed, a pulled adapter */
            return -1;
        }
        return -1;
    }
}

/*
 * Waits until the write side takes more.  1 when it reported a hang-up or
 * error instead (the caller's next write tells which), 0 when writable,
 * -1 with errno.  A pty nobody has opened whose buffer stays full for
 * EP_PTY_STALL_MS has its unread bytes discarded (endpoint.h).
 */
static int wait_writable(kd_endpoint *ep)
{
    for (;;) {
        int stall = ep->pty_keeper >= 0 && ep->pty_watch >= 0;
        struct pollfd p[3] = {{.fd = ep->wfd, .events = POLLOUT},
                              {.fd = stall ? ep->pty_watch : -1, .events = POLLIN},
                              {.fd = g_cancel_fd, .events = POLLIN}};
        int r = poll(p, 3, stall ? EP_PTY_STALL_MS : -1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r > 0 && !p[0].revents && p[2].revents) {
            errno = ECANCELED;
            return -1;
        }
        if (r == 0) {
            (void)tcflush(ep->pty_keeper, TCIFLUSH);
            return 0;
        }
        if (stall && p[1].revents) {
            pty_check_watch(ep);
            if (!p[0].revents)
                continue;
        }
        if (p[0].revents & POLLNVAL) {
            errno = EBADF;
            return -1;
        }
        if (p[0].revents & (POLLERR | POLLHUP))
            return 1;
        return 0; /* POLLOUT */
    }
}

int kd_endpoint_write(kd_endpoint *ep, const void *buf, size_t n)
{
    if (!ep || (!buf && n)) {
        errno = EINVAL;
        return -1;
    }
    if (ep->kind == KD_ENDPOINT_PTY)
        pty_check_watch(ep);
    const unsigned char *p = buf;
    size_t off = 0;
    int hung = 0;
    while (off < n) {
        size_t chunk = n - off > SSIZE_MAX ? SSIZE_MAX : n - off;
        ssize_t w = ep->wsock ? send(ep->wfd, p + off, chunk, MSG_NOSIGNAL)
                              : write(ep->wfd, p + off, chunk);
        if (w > 0) {
            off += (size_t)w;
            hung = 0;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (hung) {
                /* Hung up and still full (a pty whose peer left). */
                errno = ep->tty ? EIO : EPIPE;
                return -1;
            }
            int r = wait_writable(ep);
            if (r < 0)
                return -1;
            hung = r;
            continue;
        }
        if (w == 0)
            errno = EIO;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ close */

void kd_endpoint_close(kd_endpoint *ep)
{
    if (!ep)
        return;
    int e = errno;
    if (ep->kind != KD_ENDPOINT_STDIO) {
        if (ep->rfd >= 0)
            close(ep->rfd);
        if (ep->wfd >= 0 && ep->wfd != ep->rfd)
            close(ep->wfd);
    }
    pty_release(ep);
    if (ep->sock_path) {
        /* Only if the path still names the socket we bound. */
        struct stat st;
        if (lstat(ep->sock_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
            st.st_dev == ep->sock_dev && st.st_ino == ep->sock_ino)
            (void)unlink(ep->sock_path);
        free(ep->sock_path);
    }
    free(ep->pty_path);
    free(ep->name);
    free(ep);
    errno = e;
}
