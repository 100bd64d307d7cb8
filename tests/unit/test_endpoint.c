/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Endpoint tests, all real I/O: a pty and its slave opened as a serial
 * device exchanging random bytes both ways, the line settings and baud
 * rates on the slave, the pty's peer rules (no end of stream before a peer,
 * end of stream after it leaves, writes that never block on an absent
 * peer), unix and tcp listeners and clients in a child process each way
 * with end of stream, stdio through pipes in a child, read timeouts and
 * signals, every refusal's message, and descriptor counts around failed
 * opens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "endpoint.h"

/* The endpoint code's listen() resolves to this one (the executable's
 * symbol comes first), so a test can widen the gap between bind and listen
 * that a peer could otherwise hit only under load. */
static int listen_delay_ms;
int listen(int fd, int backlog)
{
    static int (*real_listen)(int, int);
    if (!real_listen)
        *(void **)&real_listen = dlsym(RTLD_NEXT, "listen");
    if (listen_delay_ms > 0)
        (void)poll(NULL, 0, listen_delay_ms);
    return real_listen(fd, backlog);
}

#define USAGE_TAIL                                                                             \
    ": unknown endpoint (serial device path, pty, unix:PATH, unix-listen:PATH, "               \
    "tcp:HOST:PORT, tcp-listen:[HOST:]PORT or -)"

/* ------------------------------------------------------------ helpers */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static void fill_random(uint8_t *b, size_t n, uint64_t seed)
{
    uint64_t s = seed | 1;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(rng_next(&s) >> 56);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static kd_endpoint *must_open(const char *spec, unsigned baud, int listen_ms)
{
    char err[512];
    kd_endpoint_opts o = {.baud = baud, .listen_timeout_ms = listen_ms};
    kd_endpoint *ep = kd_endpoint_open(spec, &o, err, sizeof err);
    if (!ep)
        fail_msg("open %s: %s", spec, err);
    return ep;
}

/* Opens spec expecting failure; returns the message (static buffer). */
static const char *open_error(const char *spec, unsigned baud, int listen_ms)
{
    static char err[512];
    memset(err, 'x', sizeof err);
    kd_endpoint_opts o = {.baud = baud, .listen_timeout_ms = listen_ms};
    kd_endpoint *ep = kd_endpoint_open(spec, &o, err, sizeof err);
    if (ep) {
        kd_endpoint_close(ep);
        fail_msg("open %s succeeded", spec);
    }
    assert_non_null(memchr(err, '\0', sizeof err));
    assert_null(strchr(err, '\n'));
    return err;
}

/* Exactly n bytes, each read waiting at most 5 s.  0 or -1 (usable in a child). */
static int read_exact(kd_endpoint *ep, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = kd_endpoint_read(ep, buf + got, n - got, 5000);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

/* Expects end of stream: -1 with errno 0 within 5 s. */
static void expect_eof(kd_endpoint *ep)
{
    uint8_t b;
    errno = 12345;
    ssize_t r = kd_endpoint_read(ep, &b, 1, 5000);
    int e = errno;
    assert_int_equal(r, -1);
    assert_int_equal(e, 0);
}

/* n random bytes from a to b and n others from b to a, in random chunks,
 * interleaved; both arrive byte for byte. */
static void exchange(kd_endpoint *a, kd_endpoint *b, size_t n, uint64_t seed)
{
    uint8_t *ab = malloc(n), *ba = malloc(n), *got_b = malloc(n), *got_a = malloc(n);
    assert_non_null(ab);
    assert_non_null(ba);
    assert_non_null(got_b);
    assert_non_null(got_a);
    fill_random(ab, n, seed);
    fill_random(ba, n, seed * 7 + 3);
    uint64_t s = seed + 11;
    size_t off = 0;
    while (off < n) {
        size_t c = 1 + (size_t)(rng_next(&s) % 500);
        if (c > n - off)
            c = n - off;
        assert_int_equal(kd_endpoint_write(a, ab + off, c), 0);
        assert_int_equal(kd_endpoint_write(b, ba + off, c), 0);
        assert_int_equal(read_exact(b, got_b + off, c), 0);
        assert_int_equal(read_exact(a, got_a + off, c), 0);
        off += c;
    }
    assert_memory_equal(got_b, ab, n);
    assert_memory_equal(got_a, ba, n);
    free(ab);
    free(ba);
    free(got_b);
    free(got_a);
}

/* Whether inotify can watch path (the pty endpoint's way of seeing a peer
 * that has not written yet). */
static int inotify_works(const char *path)
{
    int w = inotify_init1(IN_CLOEXEC);
    if (w < 0)
        return 0;
    int ok = inotify_add_watch(w, path, IN_OPEN) >= 0;
    close(w);
    return ok;
}

static char tmpdir[64];

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kdep-test.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *e;
        char p[PATH_MAX];
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(tmpdir);
    return 0;
}

/* --------------------------------------------------------------- pty */

/* The kind of a spec, by its form (kdtap decides what an end means by it). */
static void test_kind_of(void **state)
{
    (void)state;
    assert_int_equal(kd_endpoint_kind_of("-"), KD_ENDPOINT_STDIO);
    assert_int_equal(kd_endpoint_kind_of("pty"), KD_ENDPOINT_PTY);
    assert_int_equal(kd_endpoint_kind_of("unix:/tmp/a"), KD_ENDPOINT_UNIX);
    assert_int_equal(kd_endpoint_kind_of("unix-listen:/tmp/a"), KD_ENDPOINT_UNIX);
    assert_int_equal(kd_endpoint_kind_of("tcp:localhost:1"), KD_ENDPOINT_TCP);
    assert_int_equal(kd_endpoint_kind_of("tcp-listen:1"), KD_ENDPOINT_TCP);
    assert_int_equal(kd_endpoint_kind_of("/dev/ttyUSB0@921600"), KD_ENDPOINT_SERIAL);
    assert_int_equal(kd_endpoint_kind_of("ptyx"), KD_ENDPOINT_SERIAL);
}

static void test_pty_serial_exchange(void **state)
{
    (void)state;
    kd_endpoint *m = must_open("pty", 0, -1);
    const char *path = kd_endpoint_pty_path(m);
    assert_non_null(path);
    assert_true(strncmp(path, "/dev/", 5) == 0);
    assert_string_equal(kd_endpoint_name(m), "pty");
    assert_int_equal(kd_endpoint_read_fd(m), kd_endpoint_write_fd(m));
    assert_true(isatty(kd_endpoint_read_fd(m)));

    kd_endpoint *s = must_open(path, 0, -1);
    assert_null(kd_endpoint_pty_path(s));
    assert_string_equal(kd_endpoint_name(s), path);
    assert_int_equal(kd_endpoint_read_fd(s), kd_endpoint_write_fd(s));

    /* Every byte value, the terminal's special characters among them. */
    uint8_t all[256], got[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    assert_int_equal(kd_endpoint_write(m, all, sizeof all), 0);
    assert_int_equal(read_exact(s, got, sizeof got), 0);
    assert_memory_equal(got, all, sizeof all);
    assert_int_equal(kd_endpoint_write(s, all, sizeof all), 0);
    assert_int_equal(read_exact(m, got, sizeof got), 0);
    assert_memory_equal(got, all, sizeof all);

    exchange(m, s, 4096, 1);
    exchange(s, m, 4096, 2);

    /* Both sides are raw. */
    struct termios t;
    assert_int_equal(tcgetattr(kd_endpoint_read_fd(m), &t), 0);
    assert_int_equal(t.c_lflag & (ICANON | ECHO | ISIG | IEXTEN), 0);
    assert_int_equal(t.c_oflag & OPOST, 0);
    kd_endpoint_close(s);
    kd_endpoint_close(m);
}

static void check_line(kd_endpoint *ep, speed_t want)
{
    struct termios t;
    assert_int_equal(tcgetattr(kd_endpoint_read_fd(ep), &t), 0);
    assert_true(cfgetospeed(&t) == want);
    assert_true(cfgetispeed(&t) == want || cfgetispeed(&t) == 0);
    assert_int_equal(t.c_lflag & (ICANON | ECHO | ISIG | IEXTEN), 0);
    assert_int_equal(t.c_oflag & OPOST, 0);
    assert_int_equal(t.c_iflag & (IXON | IXOFF | IXANY | ICRNL | ISTRIP), 0);
    assert_int_equal(t.c_cflag & CSIZE, CS8);
    assert_int_equal(t.c_cflag & (PARENB | CSTOPB | CRTSCTS), 0);
    assert_int_equal(t.c_cflag & (CLOCAL | CREAD), CLOCAL | CREAD);
    assert_int_equal(t.c_cc[VMIN], 1);
    assert_int_equal(t.c_cc[VTIME], 0);
    /* Blocking again after the O_NONBLOCK open. */
    assert_int_equal(fcntl(kd_endpoint_read_fd(ep), F_GETFL) & O_NONBLOCK, 0);
    assert_true(fcntl(kd_endpoint_read_fd(ep), F_GETFD) & FD_CLOEXEC);
}

static void test_serial_baud(void **state)
{
    (void)state;
    kd_endpoint *m = must_open("pty", 0, -1);
    const char *path = kd_endpoint_pty_path(m);
    char spec[PATH_MAX + 16];

    snprintf(spec, sizeof spec, "%s@9600", path);
    kd_endpoint *s = must_open(spec, 0, -1);
    assert_string_equal(kd_endpoint_name(s), spec);
    check_line(s, B9600);
    exchange(m, s, 300, 3);
    kd_endpoint_close(s);

    s = must_open(path, 0, -1); /* default */
    check_line(s, B115200);
    kd_endpoint_close(s);

    s = must_open(path, 57600, -1); /* opts->baud */
    check_line(s, B57600);
    kd_endpoint_close(s);

    snprintf(spec, sizeof spec, "%s@921600", path); /* the suffix wins over opts */
    s = must_open(spec, 57600, -1);
    check_line(s, B921600);
    kd_endpoint_close(s);

    snprintf(spec, sizeof spec, "%s@230400", path);
    s = must_open(spec, 0, -1);
    check_line(s, B230400);
    kd_endpoint_close(s);

    kd_endpoint_close(m);
}

/* A symlink to the slave (as socat's link= makes) is a serial device too. */
static void test_serial_via_symlink(void **state)
{
    (void)state;
    kd_endpoint *m = must_open("pty", 0, -1);
    char link[PATH_MAX], spec[PATH_MAX + 16];
    snprintf(link, sizeof link, "%s/ttyV0", tmpdir);
    assert_int_equal(symlink(kd_endpoint_pty_path(m), link), 0);
    snprintf(spec, sizeof spec, "%s@38400", link);
    kd_endpoint *s = must_open(spec, 0, -1);
    check_line(s, B38400);
    exchange(s, m, 1000, 4);
    kd_endpoint_close(s);
    kd_endpoint_close(m);
    unlink(link);
}

/* Before a peer: reads time out (no end of stream), and writes do not block
 * on the absent reader. */
static void test_pty_no_peer_yet(void **state)
{
    (void)state;
    kd_endpoint *m = must_open("pty", 0, -1);
    uint8_t buf[64];
    assert_int_equal(kd_endpoint_read(m, buf, sizeof buf, 0), 0);
    assert_int_equal(kd_endpoint_read(m, buf, sizeof buf, 30), 0);

    if (inotify_works(kd_endpoint_pty_path(m))) {
        static uint8_t big[64 * 1024];
        fill_random(big, sizeof big, 5);
        long long t0 = now_ms();
        assert_int_equal(kd_endpoint_write(m, big, sizeof big), 0);
        assert_true(now_ms() - t0 < 5000);
    } else {
        print_message("inotify unavailable on the pty: skipping the no-reader write\n");
    }
    assert_int_equal(kd_endpoint_read(m, buf, sizeof buf, 30), 0);

    /* A peer then gets a working line (after dropping what was queued
     * while nobody listened). */
    kd_endpoint *s = must_open(kd_endpoint_pty_path(m), 0, -1);
    assert_int_equal(tcflush(kd_endpoint_read_fd(s), TCIFLUSH), 0);
    exchange(m, s, 2000, 6);
    kd_endpoint_close(s);
    expect_eof(m);
    kd_endpoint_close(m);
}

static void test_pty_peer_close_eof(void **state)
{
    (void)state;
    uint8_t buf[16];

    /* The peer writes, we read, the peer closes: end of stream. */
    kd_endpoint *m = must_open("pty", 0, -1);
    kd_endpoint *s = must_open(kd_endpoint_pty_path(m), 0, -1);
    assert_int_equal(kd_endpoint_write(s, "hello", 5), 0);
    assert_int_equal(read_exact(m, buf, 5), 0);
    assert_memory_equal(buf, "hello", 5);
    kd_endpoint_close(s);
    expect_eof(m);
    expect_eof(m); /* and it stays so */
    kd_endpoint_close(m);

    /* The peer writes and closes before we read: the bytes, then the end. */
    m = must_open("pty", 0, -1);
    s = must_open(kd_endpoint_pty_path(m), 0, -1);
    assert_int_equal(kd_endpoint_write(s, "abc", 3), 0);
    kd_endpoint_close(s);
    assert_int_equal(read_exact(m, buf, 3), 0);
    assert_memory_equal(buf, "abc", 3);
    expect_eof(m);
    kd_endpoint_close(m);

    /* The peer opens and closes without a word: seen through inotify. */
    m = must_open("pty", 0, -1);
    if (inotify_works(kd_endpoint_pty_path(m))) {
        s = must_open(kd_endpoint_pty_path(m), 0, -1);
        kd_endpoint_close(s);
        expect_eof(m);
    }
    kd_endpoint_close(m);

    /* The peer only reads, then leaves: our writes fail once nobody can
     * ever read them, rather than blocking. */
    m = must_open("pty", 0, -1);
    if (inotify_works(kd_endpoint_pty_path(m))) {
        s = must_open(kd_endpoint_pty_path(m), 0, -1);
        assert_int_equal(kd_endpoint_write(m, "xyz", 3), 0);
        assert_int_equal(read_exact(s, buf, 3), 0);
        assert_memory_equal(buf, "xyz", 3);
        kd_endpoint_close(s);
        static uint8_t big[256 * 1024];
        errno = 0;
        int r = kd_endpoint_write(m, big, sizeof big);
        int e = errno;
        assert_int_equal(r, -1);
        assert_int_equal(e, EIO);
        expect_eof(m);
    }
    kd_endpoint_close(m);

    /* The serial side sees the pty going away as end of stream. */
    m = must_open("pty", 0, -1);
    s = must_open(kd_endpoint_pty_path(m), 0, -1);
    kd_endpoint_close(m);
    expect_eof(s);
    kd_endpoint_close(s);
}

static int alarms;
static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

static void test_read_timeout(void **state)
{
    (void)state;
    kd_endpoint *m = must_open("pty", 0, -1);
    kd_endpoint *s = must_open(kd_endpoint_pty_path(m), 0, -1);
    uint8_t buf[16];

    long long t0 = now_ms();
    assert_int_equal(kd_endpoint_read(s, buf, sizeof buf, 150), 0);
    assert_true(now_ms() - t0 >= 100);
    assert_int_equal(kd_endpoint_read(m, buf, sizeof buf, 0), 0);
    assert_int_equal(kd_endpoint_read(m, buf, 0, 1000), 0); /* nothing asked */

    /* Signals during the wait do not end it early. */
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: poll sees EINTR */
    assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
    struct itimerval it = {{0, 20000}, {0, 20000}};
    alarms = 0;
    assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
    t0 = now_ms();
    assert_int_equal(kd_endpoint_read(s, buf, sizeof buf, 200), 0);
    long long took = now_ms() - t0;
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    sigaction(SIGALRM, &old, NULL);
    assert_true(alarms >= 1);
    assert_true(took >= 150);

    /* Data that is there comes at once. */
    assert_int_equal(kd_endpoint_write(m, "Q", 1), 0);
    assert_int_equal(kd_endpoint_read(s, buf, sizeof buf, 2000), 1);
    assert_int_equal(buf[0], 'Q');

    kd_endpoint_close(s);
    kd_endpoint_close(m);
}

/* ------------------------------------------------------ unix and tcp */

#define PAIR_BYTES 4096

/* Opens spec, retrying for 5 s while a connect is refused or the socket
 * file is not there yet (the listener is still starting). */
static kd_endpoint *open_retry(const char *spec, char *err, size_t errlen)
{
    kd_endpoint_opts o = {.listen_timeout_ms = 5000};
    for (int i = 0; i < 500; i++) {
        kd_endpoint *ep = kd_endpoint_open(spec, &o, err, errlen);
        if (ep || (!strstr(err, "Connection refused") && !strstr(err, "No such file")))
            return ep;
        nap_ms(10);
    }
    return NULL;
}

/* The child's side: opens spec, echoes PAIR_BYTES bytes xor 0x5a, then
 * either closes (closes_first) or waits for the parent to close. */
static _Noreturn void child_echo(const char *spec, int closes_first)
{
    char err[512];
    uint8_t buf[PAIR_BYTES];
    kd_endpoint *ep = open_retry(spec, err, sizeof err);
    if (!ep)
        _exit(10);
    if (read_exact(ep, buf, sizeof buf) != 0)
        _exit(11);
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] ^= 0x5a;
    if (kd_endpoint_write(ep, buf, sizeof buf) != 0)
        _exit(12);
    if (!closes_first) {
        errno = 1;
        ssize_t r = kd_endpoint_read(ep, buf, 1, 5000);
        if (r != -1 || errno != 0)
            _exit(13);
    }
    kd_endpoint_close(ep);
    _exit(0);
}

/*
 * One connection between this process and a child: the child listens on
 * listen_spec (and closes first) when child_listens, else the child
 * connects to connect_spec and waits for our close.  Returns nothing;
 * asserts the echo, the end of stream and the child's exit status.
 */
static void run_pair(const char *listen_spec, const char *connect_spec, int child_listens,
                     int tcp)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        child_echo(child_listens ? listen_spec : connect_spec, child_listens);

    char err[512];
    kd_endpoint *ep;
    if (child_listens) {
        ep = open_retry(connect_spec, err, sizeof err);
    } else {
        kd_endpoint_opts o = {.listen_timeout_ms = 5000};
        ep = kd_endpoint_open(listen_spec, &o, err, sizeof err);
    }
    if (!ep) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("%s", err);
    }
    assert_int_equal(kd_endpoint_read_fd(ep), kd_endpoint_write_fd(ep));
    if (tcp) {
        int v = 0;
        socklen_t len = sizeof v;
        assert_int_equal(
            getsockopt(kd_endpoint_read_fd(ep), IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
        assert_true(v != 0);
    }
    assert_true(fcntl(kd_endpoint_read_fd(ep), F_GETFD) & FD_CLOEXEC);

    uint8_t out[PAIR_BYTES], back[PAIR_BYTES];
    fill_random(out, sizeof out, (uint64_t)pid);
    uint64_t s = 99;
    for (size_t off = 0; off < sizeof out;) {
        size_t c = 1 + (size_t)(rng_next(&s) % 700);
        if (c > sizeof out - off)
            c = sizeof out - off;
        assert_int_equal(kd_endpoint_write(ep, out + off, c), 0);
        off += c;
    }
    assert_int_equal(read_exact(ep, back, sizeof back), 0);
    for (size_t i = 0; i < sizeof back; i++)
        back[i] ^= 0x5a;
    assert_memory_equal(back, out, sizeof out);
    if (child_listens)
        expect_eof(ep);
    kd_endpoint_close(ep);

    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* Names in DIR ending in '~': unix-listen's temporary names. */
static int count_staged_names(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        n += len > 0 && e->d_name[len - 1] == '~';
    }
    closedir(d);
    return n;
}

static void test_unix_pair(void **state)
{
    (void)state;
    char path[PATH_MAX], lspec[PATH_MAX + 16], cspec[PATH_MAX + 16];
    struct stat st;
    snprintf(path, sizeof path, "%s/kd.sock", tmpdir);
    snprintf(lspec, sizeof lspec, "unix-listen:%s", path);
    snprintf(cspec, sizeof cspec, "unix:%s", path);

    run_pair(lspec, cspec, 1, 0); /* the child listens and closes first */
    assert_int_equal(lstat(path, &st), -1); /* its close removed the socket */
    assert_int_equal(errno, ENOENT);

    run_pair(lspec, cspec, 0, 0); /* we listen; the child sees our close */
    assert_int_equal(lstat(path, &st), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(count_staged_names(tmpdir), 0); /* no temporary name left */

    /* A path too long to take the temporary suffix (".PID~") is bound
     * directly, and works the same. */
    size_t dirlen = strlen(tmpdir);
    assert_true(dirlen + 2 < 105);
    memset(path, 0, sizeof path);
    memcpy(path, tmpdir, dirlen);
    path[dirlen] = '/';
    memset(path + dirlen + 1, 'a', 105 - dirlen - 1); /* 105 bytes in all */
    snprintf(lspec, sizeof lspec, "unix-listen:%s", path);
    snprintf(cspec, sizeof cspec, "unix:%s", path);
    run_pair(lspec, cspec, 0, 0);
    assert_int_equal(lstat(path, &st), -1);
    assert_int_equal(count_staged_names(tmpdir), 0);
}

static void test_unix_listen_files(void **state)
{
    (void)state;
    char path[PATH_MAX], spec[PATH_MAX + 16];
    struct stat st;
    snprintf(path, sizeof path, "%s/stale.sock", tmpdir);
    snprintf(spec, sizeof spec, "unix-listen:%s", path);

    /* A stale socket file is replaced (then removed when we give up). */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/stale.sock", tmpdir);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    close(fd);
    assert_int_equal(lstat(path, &st), 0);
    const char *err = open_error(spec, 0, 0);
    assert_true(strncmp(err, spec, strlen(spec)) == 0);
    assert_non_null(strstr(err, ": no connection within 0 ms"));
    assert_int_equal(lstat(path, &st), -1);

    /* A short wait for a listener nobody calls. */
    long long t0 = now_ms();
    err = open_error(spec, 0, 100);
    assert_non_null(strstr(err, "no connection within 100 ms"));
    assert_true(now_ms() - t0 >= 80);
    assert_int_equal(lstat(path, &st), -1);

    /* Any other file is left alone. */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    err = open_error(spec, 0, 0);
    assert_non_null(strstr(err, "Address already in use"));
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    unlink(path);

    /* A directory that is not there. */
    snprintf(spec, sizeof spec, "unix-listen:%s/no-such-dir/x.sock", tmpdir);
    err = open_error(spec, 0, 0);
    assert_non_null(strstr(err, ": No such file or directory"));

    /* A directory we may not write to (root may). */
    if (geteuid() != 0) {
        char ro[128];
        snprintf(ro, sizeof ro, "%s/ro", tmpdir);
        assert_int_equal(mkdir(ro, 0500), 0);
        snprintf(spec, sizeof spec, "unix-listen:%s/x.sock", ro);
        err = open_error(spec, 0, 0);
        char want[PATH_MAX + 64];
        snprintf(want, sizeof want, "%s: Permission denied", spec);
        assert_string_equal(err, want);
        rmdir(ro);
    }
}

/* Once a unix-listen socket file is there, a connect succeeds: the file
 * appears only when the socket listens (a peer polling for it, as scripts
 * and the e2e tests do, once hit the gap between bind and listen and got
 * "Connection refused"). */
static void test_unix_listen_path_means_listening(void **state)
{
    (void)state;
    enum { ROUNDS = 20 };
    char path[PATH_MAX], spec[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/race.sock", tmpdir);
    snprintf(spec, sizeof spec, "unix-listen:%s", path);
    int done[2];
    assert_int_equal(pipe(done), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(done[0]);
        listen_delay_ms = 20; /* the parent sees any early file for sure */
        for (int i = 0; i < ROUNDS; i++) {
            char e[256];
            kd_endpoint_opts o = {.listen_timeout_ms = 5000};
            kd_endpoint *ep = kd_endpoint_open(spec, &o, e, sizeof e);
            if (!ep)
                _exit(1);
            kd_endpoint_close(ep); /* removes the file before we say so */
            if (write(done[1], "x", 1) != 1)
                _exit(1);
        }
        _exit(0);
    }
    close(done[1]);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/race.sock", tmpdir);
    int refused = 0;
    for (int i = 0; i < ROUNDS; i++) {
        struct stat st;
        long long t0 = now_ms();
        while (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
            assert_true(now_ms() - t0 < 5000);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
            refused++;
        close(fd);
        if (refused)
            break; /* the child keeps waiting for a connection; kill it */
        char c;
        assert_int_equal(read(done[0], &c, 1), 1);
    }
    if (refused)
        kill(pid, SIGKILL);
    close(done[0]);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_int_equal(refused, 0);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static int free_port(int family)
{
    int fd = socket(family, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *in;
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_addr = in6addr_loopback;
        len = sizeof *in6;
    }
    int port = -1;
    if (bind(fd, (struct sockaddr *)&ss, len) == 0 &&
        getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        port = family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                 : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    close(fd);
    return port;
}

static void test_tcp_pair(void **state)
{
    (void)state;
    char lspec[64], cspec[64];
    int port = free_port(AF_INET);
    assert_true(port > 0);
    snprintf(lspec, sizeof lspec, "tcp-listen:127.0.0.1:%d", port);
    snprintf(cspec, sizeof cspec, "tcp:127.0.0.1:%d", port);
    run_pair(lspec, cspec, 1, 1);
    run_pair(lspec, cspec, 0, 1);

    /* Every address, reached through a name. */
    port = free_port(AF_INET);
    snprintf(lspec, sizeof lspec, "tcp-listen:%d", port);
    snprintf(cspec, sizeof cspec, "tcp:localhost:%d", port);
    run_pair(lspec, cspec, 0, 1);

    /* IPv6 in brackets, where the host has it. */
    port = free_port(AF_INET6);
    if (port > 0) {
        snprintf(lspec, sizeof lspec, "tcp-listen:[::1]:%d", port);
        snprintf(cspec, sizeof cspec, "tcp:[::1]:%d", port);
        run_pair(lspec, cspec, 1, 1);
    } else {
        print_message("no IPv6 loopback: skipping [::1]\n");
    }

    port = free_port(AF_INET);
    snprintf(lspec, sizeof lspec, "tcp-listen:127.0.0.1:%d", port);
    const char *err = open_error(lspec, 0, 50);
    char want[128];
    snprintf(want, sizeof want, "%s: no connection within 50 ms", lspec);
    assert_string_equal(err, want);
}

/* ------------------------------------------------------------- stdio */

static void test_stdio(void **state)
{
    (void)state;
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
            _exit(9);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        char err[256];
        kd_endpoint *ep = kd_endpoint_open("-", NULL, err, sizeof err);
        if (!ep)
            _exit(10);
        if (kd_endpoint_read_fd(ep) != 0 || kd_endpoint_write_fd(ep) != 1 ||
            strcmp(kd_endpoint_name(ep), "-") != 0 || kd_endpoint_pty_path(ep))
            _exit(11);
        uint8_t buf[700];
        for (;;) {
            errno = 1;
            ssize_t r = kd_endpoint_read(ep, buf, sizeof buf, 5000);
            if (r == -1 && errno == 0)
                break;
            if (r <= 0)
                _exit(12);
            for (ssize_t i = 0; i < r; i++)
                buf[i] ^= 0xa5;
            if (kd_endpoint_write(ep, buf, (size_t)r) != 0)
                _exit(13);
        }
        kd_endpoint_close(ep);
        if (fcntl(0, F_GETFD) < 0 || fcntl(1, F_GETFD) < 0) /* left open */
            _exit(14);
        _exit(0);
    }
    close(in[0]);
    close(out[1]);
    uint8_t data[PAIR_BYTES], back[PAIR_BYTES];
    fill_random(data, sizeof data, 77);
    for (size_t off = 0; off < sizeof data;) {
        ssize_t w = write(in[1], data + off, sizeof data - off);
        assert_true(w > 0);
        off += (size_t)w;
    }
    close(in[1]);
    size_t got = 0;
    for (;;) {
        ssize_t r = read(out[0], back + got, sizeof back - got);
        assert_true(r >= 0);
        if (r == 0)
            break;
        got += (size_t)r;
        if (got == sizeof back) {
            uint8_t extra;
            assert_int_equal(read(out[0], &extra, 1), 0);
            break;
        }
    }
    close(out[0]);
    assert_int_equal(got, sizeof back);
    for (size_t i = 0; i < got; i++)
        back[i] ^= 0xa5;
    assert_memory_equal(back, data, sizeof data);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);

    /* A write to a pipe nobody reads: EPIPE (SIGPIPE ignored by the program). */
    assert_int_equal(pipe(out), 0);
    fflush(stdout);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGPIPE, SIG_IGN);
        if (dup2(out[1], 1) < 0)
            _exit(9);
        close(out[0]);
        close(out[1]);
        kd_endpoint *ep = kd_endpoint_open("-", NULL, NULL, 0);
        if (!ep)
            _exit(10);
        errno = 0;
        if (kd_endpoint_write(ep, "x", 1) != -1 || errno != EPIPE)
            _exit(11);
        kd_endpoint_close(ep);
        _exit(0);
    }
    close(out[0]);
    close(out[1]);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* ------------------------------------------------------------ errors */

static void expect_msg(const char *spec, unsigned baud, const char *tail)
{
    const char *err = open_error(spec, baud, 0);
    char want[PATH_MAX + 512];
    snprintf(want, sizeof want, "%s%s", spec, tail);
    assert_string_equal(err, want);
}

static void test_errors(void **state)
{
    (void)state;
    expect_msg("frob:1", 0, USAGE_TAIL);
    expect_msg("ttyUSB0", 0, USAGE_TAIL);
    expect_msg("", 0, USAGE_TAIL);
    expect_msg("/dev/kdscope-no-such-tty", 0, ": No such file or directory");
    expect_msg("/dev/kdscope-no-such-tty@9600", 0, ": No such file or directory");

    char spec[PATH_MAX + 64];
    snprintf(spec, sizeof spec, "%s/not-there", tmpdir);
    expect_msg(spec, 0, ": No such file or directory");
    snprintf(spec, sizeof spec, "%s/plain", tmpdir);
    FILE *f = fopen(spec, "w");
    assert_non_null(f);
    fclose(f);
    expect_msg(spec, 0, ": not a serial device (a character device is needed)");
    unlink(spec);
    expect_msg("/dev/null", 0, ": not a serial device (Inappropriate ioctl for device)");

    expect_msg("tcp:localhost:99999", 0, ": bad port");
    expect_msg("tcp:localhost:0", 0, ": bad port");
    expect_msg("tcp:localhost:", 0, ": bad port");
    expect_msg("tcp:localhost:http", 0, ": bad port");
    expect_msg("tcp:localhost:-1", 0, ": bad port");
    expect_msg("tcp-listen:99999", 0, ": bad port");
    expect_msg("tcp-listen:", 0, ": bad port");
    expect_msg("tcp-listen:[::1]:123456", 0, ": bad port");
    expect_msg("tcp:localhost", 0, ": missing port (tcp:HOST:PORT)");
    expect_msg("tcp:[::1]", 0, ": missing port (tcp:HOST:PORT)");
    expect_msg("tcp::4444", 0, ": missing host (tcp:HOST:PORT)");
    expect_msg("tcp:[::1:4444", 0, ": bad address (a ']' is missing)");

    const char *err = open_error("tcp:127.0.0.1:1", 0, 0);
    assert_true(strncmp(err, "tcp:127.0.0.1:1: ", 17) == 0);
    assert_non_null(strstr(err, "Connection refused"));

    snprintf(spec, sizeof spec, "unix:%s/missing.sock", tmpdir);
    expect_msg(spec, 0, ": No such file or directory");
    expect_msg("unix:", 0, ": missing socket path");
    expect_msg("unix-listen:", 0, ": missing socket path");
    char longspec[300] = "unix:/";
    memset(longspec + 6, 'a', 200);
    longspec[206] = '\0';
    expect_msg(longspec, 0, ": socket path too long (at most 107 bytes)");

    kd_endpoint *m = must_open("pty", 0, -1);
    snprintf(spec, sizeof spec, "%s@12345", kd_endpoint_pty_path(m));
    expect_msg(spec, 0, ": unsupported baud rate 12345");
    snprintf(spec, sizeof spec, "%s@99999999999999999999999", kd_endpoint_pty_path(m));
    expect_msg(spec, 0, ": unsupported baud rate 99999999999999999999999");
    snprintf(spec, sizeof spec, "%s@0", kd_endpoint_pty_path(m));
    expect_msg(spec, 0, ": unsupported baud rate 0");
    expect_msg(kd_endpoint_pty_path(m), 12345, ": unsupported baud rate 12345");
    expect_msg(kd_endpoint_pty_path(m), 1000000, ": unsupported baud rate 1000000");
    kd_endpoint_close(m);

    /* Control characters in a spec do not break the line. */
    err = open_error("frob\n2", 0, 0);
    assert_true(strncmp(err, "frob?2: unknown endpoint", 24) == 0);

    /* Short, absent and empty message buffers. */
    char small[8];
    kd_endpoint_opts o = {.listen_timeout_ms = 0};
    assert_null(kd_endpoint_open("frob:1", &o, small, sizeof small));
    assert_string_equal(small, "frob:1:");
    assert_null(kd_endpoint_open("frob:1", &o, NULL, 0));
    assert_null(kd_endpoint_open("frob:1", &o, small, 0));
    assert_null(kd_endpoint_open(NULL, &o, small, sizeof small));

    /* NULL endpoints. */
    kd_endpoint_close(NULL);
    assert_null(kd_endpoint_name(NULL));
    assert_null(kd_endpoint_pty_path(NULL));
    assert_int_equal(kd_endpoint_read_fd(NULL), -1);
    assert_int_equal(kd_endpoint_write_fd(NULL), -1);
    assert_int_equal(kd_endpoint_read(NULL, small, 1, 0), -1);
    assert_int_equal(kd_endpoint_write(NULL, small, 1), -1);
}

/* ------------------------------------------------------------- leaks */

static void failed_opens(int tcp_port)
{
    char spec[PATH_MAX + 64];
    (void)open_error("frob:1", 0, 0);
    (void)open_error("/dev/kdscope-no-such-tty", 0, 0);
    (void)open_error("/dev/null", 0, 0);
    (void)open_error("tcp:localhost:99999", 0, 0);
    (void)open_error("tcp:127.0.0.1:1", 0, 0);
    (void)open_error("tcp:localhost:1", 0, 0);
    snprintf(spec, sizeof spec, "tcp-listen:127.0.0.1:%d", tcp_port);
    (void)open_error(spec, 0, 0);
    snprintf(spec, sizeof spec, "tcp-listen:%d", tcp_port);
    (void)open_error(spec, 0, 0);
    snprintf(spec, sizeof spec, "unix:%s/missing.sock", tmpdir);
    (void)open_error(spec, 0, 0);
    snprintf(spec, sizeof spec, "unix-listen:%s/leak.sock", tmpdir);
    (void)open_error(spec, 0, 0);
    snprintf(spec, sizeof spec, "unix-listen:%s/no-dir/leak.sock", tmpdir);
    (void)open_error(spec, 0, 0);

    kd_endpoint *m = must_open("pty", 0, -1);
    (void)open_error(kd_endpoint_pty_path(m), 12345, 0);
    kd_endpoint *s = must_open(kd_endpoint_pty_path(m), 0, -1);
    exchange(m, s, 100, 8);
    kd_endpoint_close(s);
    kd_endpoint_close(m);
    m = must_open("pty", 0, -1); /* closed without a peer */
    kd_endpoint_close(m);
}

static void test_no_fd_leak(void **state)
{
    (void)state;
    int port = free_port(AF_INET);
    assert_true(port > 0);
    failed_opens(port); /* first use loads what the libraries keep open */
    int before = count_fds();
    assert_true(before > 0);
    for (int i = 0; i < 3; i++)
        failed_opens(port);
    assert_int_equal(count_fds(), before);

    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/leak.sock", tmpdir);
    assert_int_equal(lstat(path, &st), -1); /* the failed listener removed its file */
}

int main(void)
{
    /* A test that fails while a child holds the other end must not die
     * of SIGPIPE; the endpoint itself installs no handler. */
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_of),
        cmocka_unit_test(test_pty_serial_exchange),
        cmocka_unit_test(test_serial_baud),
        cmocka_unit_test(test_serial_via_symlink),
        cmocka_unit_test(test_pty_no_peer_yet),
        cmocka_unit_test(test_pty_peer_close_eof),
        cmocka_unit_test(test_read_timeout),
        cmocka_unit_test(test_unix_pair),
        cmocka_unit_test(test_unix_listen_files),
        cmocka_unit_test(test_unix_listen_path_means_listening),
        cmocka_unit_test(test_tcp_pair),
        cmocka_unit_test(test_stdio),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_no_fd_leak),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
