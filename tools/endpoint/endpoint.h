/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * endpoint.h - the byte-stream endpoints kdsim and kdtap talk through,
 * named by one command-line word:
 *
 *   /dev/ttyUSB0[@BAUD]     a serial device: any existing character device
 *                           (a symlink to one is fine) or any path under
 *                           /dev/; raw 8N1, no flow control, BAUD from the
 *                           suffix or opts->baud (default 115200)
 *   pty                     a new pseudo terminal; the peer opens its slave
 *                           (kd_endpoint_pty_path), e.g. as a serial device
 *   unix:PATH               connect to a Unix stream socket
 *   unix-listen:PATH        listen there and accept one connection
 *   tcp:HOST:PORT           connect (IPv4 or IPv6; "[::1]:PORT" works)
 *   tcp-listen:[HOST:]PORT  listen (every address when HOST is left out)
 *                           and accept one connection
 *   -                       stdin for reading, stdout for writing
 *
 * Every endpoint is one full-duplex byte stream.  Nothing here installs
 * signal handlers: socket writes use MSG_NOSIGNAL, but a program that
 * writes to a pipe (for "-") must ignore SIGPIPE itself to get EPIPE
 * instead of dying.  A pty master never raises SIGPIPE.
 *
 * The pty endpoint and its peer.  A Linux pty master reports POLLHUP and
 * fails reads with EIO for as long as nobody has the slave open, which
 * would make callers that poll() spin before the peer arrives.  So the
 * endpoint keeps a slave descriptor of its own open until it sees a peer:
 * the slave being opened (inotify IN_OPEN on the slave path) or bytes
 * arriving from it.  Then it lets go, and the peer closing the slave shows
 * as end of stream (after the bytes it wrote have been read).  Until a
 * peer comes, reads time out normally, and what is written is buffered by
 * the kernel up to its limit (a few KiB); after that the unread bytes are
 * discarded, as on a serial line that nobody listens to, so writers never
 * block on an absent peer.  A peer that opens and closes the slave without
 * writing is noticed by the next kd_endpoint_read or kd_endpoint_write
 * call, not by poll() on the descriptor alone: callers that poll() should
 * use a finite timeout.  Where inotify is unavailable only bytes from the
 * peer reveal it, and writes wait (rather than discard) while nobody
 * reads.  The pty master descriptor is non-blocking.
 */
#ifndef KDSCOPE_ENDPOINT_H
#define KDSCOPE_ENDPOINT_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kd_endpoint kd_endpoint;

typedef struct kd_endpoint_opts {
    unsigned baud;         /* serial devices: 0 = 115200; any standard rate up to 921600 */
    int listen_timeout_ms; /* -listen endpoints: how long kd_endpoint_open waits for the
                              peer; -1 forever, 0 only a connection already waiting */
    /* -listen endpoints: called once the socket listens, before the wait
     * for a peer begins (NULL: nothing), with the spec as given. */
    void (*on_listen)(const char *spec, void *user);
    void *user;
} kd_endpoint_opts;

/* The standard serial rates (50 to 921600 baud, ascending) this build can
 * set: kd_endpoint_baud(i) for i below kd_endpoint_baud_count(); 1 from
 * kd_endpoint_baud_ok when rate is one of them. */
size_t kd_endpoint_baud_count(void);
unsigned kd_endpoint_baud(size_t i);
int kd_endpoint_baud_ok(unsigned long rate);

/* A --baud option's value, checked as PATH@BAUD is: decimal digits naming
 * one of those rates.  0 with *out set, or -1 after printing "PROG: --baud:
 * 'ARG' is not a standard rate (50 to 921600, e.g. 9600, 57600, 115200)". */
int kd_endpoint_baud_option(const char *prog, const char *arg, unsigned *out);

/*
 * Opens spec.  opts may be NULL (115200 baud, listeners wait forever).
 * Listeners return once one peer has connected (the listening socket is
 * then closed).  On failure returns NULL and writes one line (no newline)
 * naming the endpoint and the reason into err (when err and errlen allow),
 * e.g. "tcp:localhost:99999: bad port", "/dev/ttyS9: No such file or
 * directory", "unix-listen:/x/y: Permission denied", "frob:1: unknown
 * endpoint (serial device path, pty, unix:PATH, unix-listen:PATH,
 * tcp:HOST:PORT, tcp-listen:[HOST:]PORT or -)".  No descriptor is left
 * open and no socket file is left behind on failure.
 */
kd_endpoint *kd_endpoint_open(const char *spec, const kd_endpoint_opts *opts, char *err,
                              size_t errlen);

/*
 * The same for a receive-only serial port, a tap that must never transmit:
 * the device is opened O_RDONLY | O_NOCTTY and set up as above; one that is
 * not a terminal is refused ("/dev/null: not a tty"), and so is every
 * other kind of endpoint ("pty: not a serial device (a receive-only port
 * is needed)").  Writes fail with EBADF.
 */
kd_endpoint *kd_endpoint_open_receive_only(const char *spec, const kd_endpoint_opts *opts, char *err,
                                           size_t errlen);

/*
 * A descriptor, e.g. the read end of a self-pipe that a SIGINT/SIGTERM
 * handler writes to, whose becoming readable cuts every wait of every
 * endpoint short: kd_endpoint_read then returns 0 (as on a timeout) unless
 * bytes are there, kd_endpoint_write fails with errno ECANCELED (part of
 * the bytes may have gone), and kd_endpoint_open fails ("...: Operation
 * canceled") instead of waiting for a listener's peer or a slow connect.
 * Process-wide; -1 (the default) turns it off.  Set it before opening
 * endpoints (it is read, not locked, by threads that open them).
 */
void kd_endpoint_set_cancel_fd(int fd);

/* What kind of endpoint a spec names, by its form alone (nothing is
 * opened): every word that is not one of the others is a serial device. */
typedef enum kd_endpoint_kind {
    KD_ENDPOINT_SERIAL,
    KD_ENDPOINT_PTY,
    KD_ENDPOINT_UNIX,   /* unix: and unix-listen: */
    KD_ENDPOINT_TCP,    /* tcp: and tcp-listen: */
    KD_ENDPOINT_STDIO   /* - */
} kd_endpoint_kind;

kd_endpoint_kind kd_endpoint_kind_of(const char *spec);

/* For "pty": the slave path (e.g. "/dev/pts/5"); NULL otherwise.  The pty
 * is raw (cfmakeraw) on both sides. */
const char *kd_endpoint_pty_path(const kd_endpoint *ep);

/* A human name for messages: the spec as given. */
const char *kd_endpoint_name(const kd_endpoint *ep);

/* Descriptors for poll(): read side and write side (different only for
 * "-": 0 and 1).  They belong to the endpoint. */
int kd_endpoint_read_fd(const kd_endpoint *ep);
int kd_endpoint_write_fd(const kd_endpoint *ep);

/*
 * Reads up to n bytes, waiting at most timeout_ms (-1 forever, 0 poll).
 * Returns >0 bytes, 0 on timeout (or n == 0), -1 on end of stream (the
 * peer closed; a hang-up; EIO from a tty, e.g. a pulled USB adapter or a
 * pty whose peer closed) with errno = 0, or -1 on error with errno set
 * (e.g. ECONNRESET).  Signals (EINTR) do not cut the wait short.
 */
ssize_t kd_endpoint_read(kd_endpoint *ep, void *buf, size_t n, int timeout_ms);

/* Writes all n bytes (partial writes, EINTR and EAGAIN are retried, waiting
 * with poll).  0, or -1 with errno set (EPIPE, EIO, ...). */
int kd_endpoint_write(kd_endpoint *ep, const void *buf, size_t n);

/* Closes and frees (NULL is fine).  "-" leaves stdin and stdout open.
 * unix-listen: also unlinks the socket path it created (if that path still
 * names the socket it bound). */
void kd_endpoint_close(kd_endpoint *ep);

#ifdef __cplusplus
}
#endif

#endif
