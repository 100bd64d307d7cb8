/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsession.h - a capture as a stream of KD items and decoded messages:
 * read (capio), frame (per conversation and direction), decode with the
 * session's architecture and width, and track, in order.
 *
 * Two levels:
 *   - kdsession_items: the items of every session of the capture, each
 *     with its frame number and tracker key (kdparse/step.h); a new
 *     session (a new TCP connection, UDP conversation) is announced first,
 *     so the consumer starts a new kd_step (architecture and width are
 *     learned again).
 *     For consumers that keep items (kdcat's queue).
 *   - kdsession_read: the same, decoded and tracked; the callback sees each
 *     message with the annotation known when it arrived (backward links:
 *     which packet an ACK acknowledges, which request a response answers,
 *     response times); forward links need kdcat's queue.
 *
 * Network captures: the streams that are not KD are ignored; a gap in a
 * stream restarts framing after it; with opts.prog set, what was ignored or
 * lost is said on stderr, one line each ("prog: FILE: ...").
 *
 * KDNET: each conversation's datagrams are opened with the keys given
 * (kdparse/kdnet.h); the KD packet inside is framed in KDNET mode (one
 * datagram, one packet) with its direction from the datagram's flag; a new
 * handshake is a new session.  What could not be decrypted is said once at
 * the end: no key given, no datagram authenticated with the key(s) given,
 * or the data channel without its handshake.  A network
 * capture with no KD at all is an error ("no KD found (...)").
 */
#ifndef KDSCOPE_KDSESSION_H
#define KDSCOPE_KDSESSION_H

#include <stddef.h>
#include <stdint.h>

#include "capio.h"
#include "kdparse/decode.h"
#include "kdparse/kdnet.h"
#include "kdparse/tracker.h"

/* KDNET keys (--kdnet-key, repeatable; --kdnet-data-key). */
typedef struct kdsession_kdnet {
    uint8_t keys[KDNET_MAX_KEYS][KDNET_KEY_SIZE];
    size_t nkeys;
    uint8_t data_key[KDNET_KEY_SIZE];
    int have_data_key;
} kdsession_kdnet;

typedef struct kdsession_opts {
    kd_arch arch;        /* KD_ARCH_UNKNOWN: infer */
    uint8_t width;       /* 0: infer */
    kdcap_format format; /* KDCAP_FORMAT_AUTO */
    kd_dir raw_dir;      /* label of a raw stream */
    kdcap_net_opts net;  /* --port, --target-port, --target */
    const kdsession_kdnet *kdnet; /* NULL: no keys */
    const char *prog;    /* non-NULL: notices on stderr, "prog: FILE: ..." */
} kdsession_opts;

/* A new session starts (not said before the first). */
typedef struct kdsession_epoch {
    uint32_t conv;  /* its conversation number (0: the file's one session) */
    int kdnet;      /* KDNET ids: track with kd_tracker_opts.kdnet */
} kdsession_epoch;

typedef struct kdsession_sink {
    /* One item.  frame: the record (pcap, pcapng) or item number (raw);
     * key: unique and increasing within a session, kd_step_key(frame, index)
     * (kdparse/step.h).
     * Return nonzero to stop reading. */
    int (*item)(const kd_item *it, uint64_t frame, uint64_t key, void *user);
    void (*epoch)(const kdsession_epoch *e, void *user); /* may be NULL */
    /* Every KDNET datagram, opened (decrypted when a key fits), before the
     * item its KD packet makes, if any (r->kd).  May be NULL. */
    void (*datagram)(const kdnet_result *r, size_t len, uint64_t frame, uint64_t ts_ns, void *user);
    void *user;
    /* Non-NULL: kept at the bytes of the input read so far (for progress). */
    uint64_t *offset;
} kdsession_sink;

/* 0 when the whole capture was read (or the sink stopped it); -1 with a
 * one-line reason in err (no file name) when it could not be read. */
int kdsession_items(const char *path, const kdsession_opts *opts, const kdsession_sink *sink,
                    char *err, size_t errlen);

/* Return nonzero to stop reading. frame: the record (pcapng) or item number (raw). */
typedef int (*kdsession_cb)(const kd_msg *m, const kd_annot *a, uint64_t frame, void *user);

/* Decoded and tracked, as above. */
int kdsession_read(const char *path, const kdsession_opts *opts, kdsession_cb cb, void *user, char *err,
                   size_t errlen);

/* The --arch and --width options of the tools: 0, or -1 after printing
 * "prog: --arch: ..." on stderr. */
int kdsession_parse_arch(const char *prog, const char *arg, kd_arch *out);
int kdsession_parse_width(const char *prog, const char *arg, uint8_t *out);

/* The network options shared by the tools: --port N (repeatable),
 * --target-port PORT, --target HOST:PORT.  0, or -1 after printing why. */
int kdsession_parse_port(const char *prog, const char *arg, kdcap_net_opts *net);
int kdsession_parse_target_port(const char *prog, const char *arg, kdcap_net_opts *net);
int kdsession_parse_target(const char *prog, const char *arg, kdcap_net_opts *net);

/* --kdnet-key KEY (a.b.c.d, repeatable) and --kdnet-data-key HEX (64 digits). */
int kdsession_parse_kdnet_key(const char *prog, const char *arg, kdsession_kdnet *k);
int kdsession_parse_kdnet_data_key(const char *prog, const char *arg, kdsession_kdnet *k);

/*
 * The options of every tool that reads captures (kdcat, kddiff), parsed in
 * one place: -a/--arch, -w/--width, -d/--direction, -f/--format, --port,
 * --target-port, --target, --kdnet-key, --kdnet-data-key.  Put
 * KDSESSION_LONGOPTS in the getopt_long table and KDSESSION_SHORTOPTS in
 * the short options; hand every code getopt_long returns to
 * kdsession_parse_option: 0 when it was one of these and is now in *o
 * (keys in *keys), -1 after printing "prog: --x: why" on stderr, 1 when
 * the code is not one of them.
 */
enum {
    KDSESSION_OPT_PORT = 0x1000,
    KDSESSION_OPT_TARGET_PORT,
    KDSESSION_OPT_TARGET,
    KDSESSION_OPT_KDNET_KEY,
    KDSESSION_OPT_KDNET_DATA_KEY,
};
#define KDSESSION_SHORTOPTS "a:w:d:f:"
#define KDSESSION_LONGOPTS                                                                                  \
    {"arch", required_argument, NULL, 'a'}, {"width", required_argument, NULL, 'w'},                        \
        {"direction", required_argument, NULL, 'd'}, {"format", required_argument, NULL, 'f'},              \
        {"port", required_argument, NULL, KDSESSION_OPT_PORT},                                              \
        {"target-port", required_argument, NULL, KDSESSION_OPT_TARGET_PORT},                                \
        {"target", required_argument, NULL, KDSESSION_OPT_TARGET},                                          \
        {"kdnet-key", required_argument, NULL, KDSESSION_OPT_KDNET_KEY},                                    \
        {"kdnet-data-key", required_argument, NULL, KDSESSION_OPT_KDNET_DATA_KEY}
int kdsession_parse_option(const char *prog, int code, const char *arg, kdsession_opts *o, kdsession_kdnet *keys);

/* For tools that read an input more than once: standard input ("-") is
 * copied to an unlinked temporary file, and *path becomes a name that opens
 * it again from its start.  0, or -1 after printing why. */
int kdsession_spool_stdin(const char *prog, const char **path);

#endif
