/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdnet_io.h - kdsim over KDNET (reference kdnet.md): the serial link of
 * link.c runs unchanged over a byte stream this module makes of KDNET
 * datagrams on a UDP socket.
 *
 *   target:   udp:HOST:PORT         pokes the host (every --poke-interval,
 *                                   for the whole session, as Windows does),
 *                                   takes the response's data key, announces
 *                                   itself (the UNUSED packet), then speaks KD
 *   debugger: udp-listen:[HOST:]PORT answers the first poke, then speaks KD
 *
 * What the link writes is framed here: each KD packet goes out as one
 * data datagram without its 0xAA trailer, a break-in byte as a one-byte
 * datagram; what arrives is given to the link as the serial bytes it would
 * have read.  Packet ids follow KDNET's scheme on the wire (the target 0,
 * 2, 4, ...; the host 0x80000000 + 2n; an ACK echoes the id; the host's
 * RESET carries 0x80000000) and the serial scheme towards the link, which
 * keeps its own id rules: this module maps one to the other.
 */
#ifndef KDSIM_KDNET_IO_H
#define KDSIM_KDNET_IO_H

#include <stdint.h>

#include "kdparse/kdnet.h"
#include "link.h"

typedef struct kdsim_kdnet_opts {
    kdsim_role role;
    const char *spec;               /* udp:HOST:PORT or udp-listen:[HOST:]PORT */
    uint8_t control_key[KDNET_KEY_SIZE];
    unsigned version;               /* KDNET version byte sent; 0: 4 */
    uint64_t seed;                  /* the client and host randoms */
    int poke_interval_ms;           /* target; 0: 3000 */
    int handshake_timeout_ms;       /* -1: wait for ever */
} kdsim_kdnet_opts;

/* kdsim's --kdnet KEY (a.b.c.d) and --poke-interval MS (1 to 60000), for
 * target, debugger and replay alike: into *o; 0, or -1 after one line
 * "PROG: --kdnet KEY: why" / "PROG: --poke-interval: ..." on stderr. */
int kdsim_kdnet_parse_key(const char *prog, const char *arg, kdsim_kdnet_opts *o);
int kdsim_kdnet_parse_poke_interval(const char *prog, const char *arg, kdsim_kdnet_opts *o);

typedef struct kdsim_kdnet kdsim_kdnet;

/* Opens the socket (the debugger binds, the target connects).  NULL with
 * a one-line reason in err. */
kdsim_kdnet *kdsim_kdnet_open(const kdsim_kdnet_opts *o, char *err, size_t errlen);

/* The handshake: 0, or -1 with the reason in err (timeout, socket error). */
int kdsim_kdnet_handshake(kdsim_kdnet *k, char *err, size_t errlen);

/* The byte stream the link reads and writes. */
kdsim_io kdsim_kdnet_io(kdsim_kdnet *k);

/* Datagrams that did not authenticate (a wrong key on one side). */
uint64_t kdsim_kdnet_rejected(const kdsim_kdnet *k);

void kdsim_kdnet_close(kdsim_kdnet *k);

#endif
