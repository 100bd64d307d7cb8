/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdnet_io.c - kdsim over KDNET (kdnet_io.h).
 *
 * Ids: the link numbers its packets the serial way; on the wire they are
 * KDNET's.  Outgoing data packets take the next KDNET id (a packet sent
 * again, the same bytes, keeps its id); incoming ones are numbered for the
 * link as a serial peer would (alternating from 0x80800000, the same id
 * again for a datagram sent again, from 0x80800000 after a RESET).  ACKs are
 * mapped back through the last packets each way.  The checksum covers the
 * body only, so rewriting the id leaves it valid.
 */
#include "kdnet_io.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cliopt.h"
#include "kdparse/framer.h"
#include "kdparse/wire.h"

int kdsim_kdnet_parse_key(const char *prog, const char *arg, kdsim_kdnet_opts *o)
{
    const char *why = NULL;
    if (kdnet_parse_key(arg, o->control_key, &why) != 0) {
        fprintf(stderr, "%s: --kdnet %s: %s\n", prog, arg, why);
        return -1;
    }
    return 0;
}

int kdsim_kdnet_parse_poke_interval(const char *prog, const char *arg, kdsim_kdnet_opts *o)
{
    uint64_t v;
    if (kd_opt_unsigned(prog, arg, 10, 1, 60000, &v, "--poke-interval: '%s' is not 1 to 60000 ms", arg) != 0)
        return -1;
    o->poke_interval_ms = (int)v;
    return 0;
}

#define SERIAL_ID_MASK (~KD_SYNC_PACKET_ID)

typedef struct id_pair {
    uint32_t serial, kdnet;
    int valid;
} id_pair;

struct kdsim_kdnet {
    kdsim_kdnet_opts o;
    int fd;
    int connected;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    kdnet_state *st;
    uint8_t data_key[KDNET_KEY_SIZE];
    int have_data_key;
    uint64_t seq[2];          /* our next sequence number per channel */
    kd_dir out_dir;
    uint64_t rng;
    uint64_t next_poke_ms;
    uint64_t rejected;
    /* ids */
    uint32_t out_next;        /* our next KDNET id */
    id_pair out_last[2];      /* our last data packets: serial -> KDNET */
    uint8_t out_last_bytes[KD_ITEM_MAX_BYTES];
    size_t out_last_len;
    uint32_t in_serial;       /* the serial id the next new incoming packet gets */
    id_pair in_last[2];       /* the peer's last data packets: KDNET -> serial */
    /* the link's side */
    kd_framer *out_framer;    /* frames what the link writes */
    int write_failed;
    uint8_t in[4 * KD_ITEM_MAX_BYTES];
    size_t in_len, in_off;
    uint8_t dgram[KDNET_DATAGRAM_MAX];
};

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Milliseconds from now to t (0 when past). */
static int ms_until(uint64_t t, uint64_t now)
{
    return t > now ? (int)(t - now) : 0;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t next_rand(kdsim_kdnet *k)
{
    /* splitmix64: the randoms of the handshake, reproducible by --seed */
    uint64_t z = (k->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void random_bytes(kdsim_kdnet *k, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(next_rand(k) >> 56);
}

/* ------------------------------------------------------------ socket */

/* "udp:HOST:PORT", "udp-listen:[HOST:]PORT"; HOST may be [v6]. */
static int split_spec(const char *spec, int *listen, char *host, size_t hcap, char *port, size_t pcap)
{
    const char *rest;
    if (strncmp(spec, "udp-listen:", 11) == 0) {
        *listen = 1;
        rest = spec + 11;
    } else if (strncmp(spec, "udp:", 4) == 0) {
        *listen = 0;
        rest = spec + 4;
    } else {
        return -1;
    }
    const char *colon = strrchr(rest, ':');
    const char *h = rest, *p = colon ? colon + 1 : rest;
    size_t hl = colon ? (size_t)(colon - rest) : 0;
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl >= hcap || strlen(p) >= pcap || !*p || (!*listen && hl == 0))
        return -1;
    memcpy(host, h, hl);
    host[hl] = 0;
    snprintf(port, pcap, "%s", p);
    return 0;
}

kdsim_kdnet *kdsim_kdnet_open(const kdsim_kdnet_opts *o, char *err, size_t errlen)
{
    int listen = 0;
    char host[256], port[32];
    if (split_spec(o->spec, &listen, host, sizeof host, port, sizeof port) != 0) {
        snprintf(err, errlen, "%s: a KDNET endpoint is udp:HOST:PORT (target) or udp-listen:[HOST:]PORT (debugger)",
                 o->spec);
        return NULL;
    }
    if (listen != (o->role == KDSIM_DEBUGGER)) {
        snprintf(err, errlen, "%s: over KDNET the target connects (udp:HOST:PORT) and the debugger listens "
                              "(udp-listen:[HOST:]PORT)", o->spec);
        return NULL;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = listen ? AI_PASSIVE : 0}, *ai = NULL;
    int gai = getaddrinfo(*host ? host : NULL, port, &hints, &ai);
    if (gai != 0) {
        snprintf(err, errlen, "%s: %s", o->spec, gai_strerror(gai));
        return NULL;
    }
    kdsim_kdnet *k = calloc(1, sizeof *k);
    if (!k) {
        freeaddrinfo(ai);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    k->o = *o;
    if (!k->o.version)
        k->o.version = KDNET_VERSION_4;
    if (!k->o.poke_interval_ms)
        k->o.poke_interval_ms = 3000;
    k->rng = o->seed ^ (o->role == KDSIM_TARGET ? 0x7461726765740000ull : 0x6465627567000000ull);
    k->seq[0] = k->seq[1] = 1;
    k->out_dir = o->role == KDSIM_TARGET ? KD_DIR_T2D : KD_DIR_D2T;
    k->out_next = o->role == KDSIM_TARGET ? 0 : KD_KDNET_HOST_ID;
    k->in_serial = KD_INITIAL_PACKET_ID;
    k->fd = socket(ai->ai_family, SOCK_DGRAM, 0);
    int rc = k->fd < 0 ? -1 : listen ? bind(k->fd, ai->ai_addr, ai->ai_addrlen) : connect(k->fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    k->connected = !listen;
    k->st = kdnet_state_new();
    if (rc != 0 || !k->st) {
        snprintf(err, errlen, "%s: %s", o->spec, k->st ? strerror(errno) : "libgcrypt could not be set up");
        kdsim_kdnet_close(k);
        return NULL;
    }
    kdnet_state_add_key(k->st, o->control_key);
    return k;
}

void kdsim_kdnet_close(kdsim_kdnet *k)
{
    if (!k)
        return;
    if (k->fd >= 0)
        close(k->fd);
    kdnet_state_free(k->st);
    kd_framer_free(k->out_framer);
    free(k);
}

uint64_t kdsim_kdnet_rejected(const kdsim_kdnet *k)
{
    return k->rejected;
}

/* Sends one payload as a datagram of a channel.  0 or -1. */
static int send_payload(kdsim_kdnet *k, unsigned channel, uint64_t seq, const uint8_t *p, size_t n)
{
    kdnet_build_args a = {
        .version = (uint8_t)k->o.version, .channel = (uint8_t)channel, .seq = seq, .dir = k->out_dir,
        .payload = p, .payload_len = n, .control_key = k->o.control_key,
        .data_key = k->have_data_key ? k->data_key : NULL,
    };
    size_t len = kdnet_build(&a, k->dgram, sizeof k->dgram);
    if (len == 0)
        return -1;
    ssize_t w = k->connected ? send(k->fd, k->dgram, len, 0)
                             : sendto(k->fd, k->dgram, len, 0, (struct sockaddr *)&k->peer, k->peer_len);
    return w == (ssize_t)len ? 0 : -1;
}

static int send_next(kdsim_kdnet *k, unsigned channel, const uint8_t *p, size_t n)
{
    return send_payload(k, channel, k->seq[channel]++, p, n);
}

/* One datagram within timeout_ms, opened: 1, 0 on timeout, -1 on error.
 * Datagrams that do not authenticate are counted and skipped. */
static int recv_open(kdsim_kdnet *k, int timeout_ms, kdnet_result *r)
{
    uint64_t deadline = timeout_ms < 0 ? 0 : now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        int wait = -1;
        if (timeout_ms >= 0) {
            uint64_t t = now_ms();
            wait = t >= deadline ? 0 : (int)(deadline - t);
        }
        struct pollfd p = {.fd = k->fd, .events = POLLIN};
        int pr = poll(&p, 1, wait);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0)
            return -1;
        if (pr == 0)
            return 0;
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        ssize_t n = recvfrom(k->fd, k->dgram, sizeof k->dgram, 0, (struct sockaddr *)&from, &flen);
        if (n < 0) {
            if (errno == EINTR || errno == ECONNREFUSED)
                continue; /* the peer is not there (yet): a datagram lost */
            return -1;
        }
        kdnet_open(k->st, k->dgram, (size_t)n, NULL, 0, r);
        if (r->hmac != KDNET_HMAC_GOOD || !r->has_plain) {
            k->rejected++;
            continue;
        }
        if (!k->connected) {
            memcpy(&k->peer, &from, flen);
            k->peer_len = flen;
        }
        return 1;
    }
}

/* ------------------------------------------------------------ handshake */

static void endpoint_of(const struct sockaddr_storage *ss, kdnet_endpoint *ep)
{
    memset(ep, 0, sizeof *ep);
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        ep->addr[10] = ep->addr[11] = 0xFF; /* ::ffff:a.b.c.d */
        memcpy(ep->addr + 12, &in->sin_addr, 4);
        ep->port = ntohs(in->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        memcpy(ep->addr, &in6->sin6_addr, 16);
        ep->port = ntohs(in6->sin6_port);
    }
}

static int send_poke(kdsim_kdnet *k)
{
    uint8_t client[KDNET_RANDOM_SIZE], poke[KDNET_POKE_SIZE];
    random_bytes(k, client, sizeof client);
    struct sockaddr_storage me, peer;
    socklen_t ml = sizeof me, pl = sizeof peer;
    kdnet_endpoint ep[KDNET_POKE_ADDRS];
    memset(ep, 0, sizeof ep);
    if (getsockname(k->fd, (struct sockaddr *)&me, &ml) == 0)
        endpoint_of(&me, &ep[0]);
    if (getpeername(k->fd, (struct sockaddr *)&peer, &pl) == 0)
        endpoint_of(&peer, &ep[1]);
    if (k->have_data_key)
        ep[2] = ep[1]; /* zero at first, later the host's (kdnet.md) */
    size_t n = kdnet_build_poke(client, ep, poke, sizeof poke);
    k->next_poke_ms = now_ms() + (uint64_t)k->o.poke_interval_ms;
    return n ? send_next(k, KDNET_CHANNEL_CONTROL, poke, n) : -1;
}

/* The target: poke until the host answers; then the UNUSED announcement. */
static int target_handshake(kdsim_kdnet *k, char *err, size_t errlen)
{
    uint64_t give_up = k->o.handshake_timeout_ms < 0 ? 0 : now_ms() + (uint64_t)k->o.handshake_timeout_ms;
    for (;;) {
        if (send_poke(k) != 0 && errno != ECONNREFUSED) {
            snprintf(err, errlen, "%s: poke: %s", k->o.spec, strerror(errno));
            return -1;
        }
        kdnet_result r;
        int got;
        while ((got = recv_open(k, ms_until(k->next_poke_ms, now_ms()), &r)) == 1) {
            if (r.kind == KDNET_KIND_RESPONSE && r.sets_data_key) {
                memcpy(k->data_key, kdnet_state_data_key(k->st), KDNET_KEY_SIZE);
                k->have_data_key = 1;
                /* The UNUSED announcement: leader 0, type 0, ByteCount 0,
                 * the host's IPv4 address where the id goes. */
                uint8_t unused[KDNET_UNUSED_SIZE] = {0};
                struct sockaddr_storage peer;
                socklen_t pl = sizeof peer;
                if (getpeername(k->fd, (struct sockaddr *)&peer, &pl) == 0 && peer.ss_family == AF_INET) {
                    uint32_t a = ntohl(((struct sockaddr_in *)&peer)->sin_addr.s_addr);
                    put_le32(unused + KDNET_UNUSED_OFF_HOST, a);
                }
                return send_next(k, KDNET_CHANNEL_DATA, unused, sizeof unused);
            }
        }
        if (got < 0) {
            snprintf(err, errlen, "%s: %s", k->o.spec, strerror(errno));
            return -1;
        }
        if (give_up && now_ms() >= give_up) {
            snprintf(err, errlen, "%s: no answer to the poke (%llu datagrams did not authenticate: the key?)",
                     k->o.spec, (unsigned long long)k->rejected);
            return -1;
        }
    }
}

/* The debugger: wait for a poke, answer it, take the data key. */
static int debugger_handshake(kdsim_kdnet *k, char *err, size_t errlen)
{
    kdnet_result r;
    for (;;) {
        int got = recv_open(k, k->o.handshake_timeout_ms, &r);
        if (got < 0) {
            snprintf(err, errlen, "%s: %s", k->o.spec, strerror(errno));
            return -1;
        }
        if (got == 0) {
            snprintf(err, errlen, "%s: no poke from a target (%llu datagrams did not authenticate: the key?)",
                     k->o.spec, (unsigned long long)k->rejected);
            return -1;
        }
        if (r.kind == KDNET_KIND_POKE)
            break;
    }
    if (connect(k->fd, (struct sockaddr *)&k->peer, k->peer_len) == 0)
        k->connected = 1;
    uint8_t host[KDNET_RANDOM_SIZE], resp[KDNET_RESPONSE_SIZE];
    random_bytes(k, host, sizeof host);
    size_t n = kdnet_build_response(r.poke.client_random, host, resp, sizeof resp);
    /* The response reuses the poke's sequence number (kdnet.md). */
    if (!n || send_payload(k, KDNET_CHANNEL_CONTROL, r.p.seq, resp, n) != 0) {
        snprintf(err, errlen, "%s: response: %s", k->o.spec, strerror(errno));
        return -1;
    }
    if (kdnet_derive_data_key(k->o.control_key, resp, k->data_key) != 0) {
        snprintf(err, errlen, "libgcrypt failed");
        return -1;
    }
    k->have_data_key = 1;
    kdnet_state_set_data_key(k->st, k->data_key);
    return 0;
}

int kdsim_kdnet_handshake(kdsim_kdnet *k, char *err, size_t errlen)
{
    return k->o.role == KDSIM_TARGET ? target_handshake(k, err, errlen) : debugger_handshake(k, err, errlen);
}

/* ------------------------------------------------------------ the link's bytes */

static void remember(id_pair p[2], uint32_t serial, uint32_t kdnet)
{
    p[1] = p[0];
    p[0] = (id_pair){serial, kdnet, 1};
}

/* A RESET, either way: the link's ids start again (§3.5); KDNET's go on. */
static void reset_ids(kdsim_kdnet *k)
{
    k->in_serial = KD_INITIAL_PACKET_ID;
    k->in_last[0].valid = k->in_last[1].valid = 0;
    k->out_last[0].valid = k->out_last[1].valid = 0;
}

/* What the link wrote, one framed item at a time, goes out as datagrams. */
static void on_out_item(const kd_item *it, void *user)
{
    kdsim_kdnet *k = user;
    uint8_t pkt[KD_ITEM_MAX_BYTES];
    if (it->kind == KD_ITEM_BREAKIN) {
        const uint8_t b = KDNET_BREAKIN_BYTE;
        if (send_next(k, KDNET_CHANNEL_DATA, &b, 1) != 0)
            k->write_failed = 1;
        return;
    }
    if ((it->kind != KD_ITEM_DATA && it->kind != KD_ITEM_CONTROL) || !it->has_header)
        return; /* noise the link's faults made: lost on the way */
    size_t n = it->kind == KD_ITEM_DATA ? KD_PACKET_HEADER_SIZE + it->byte_count : KD_PACKET_HEADER_SIZE;
    if (n > it->len)
        n = it->len;
    memcpy(pkt, it->bytes, n);
    uint32_t serial = it->id & SERIAL_ID_MASK, kid;
    if (it->kind == KD_ITEM_DATA) {
        /* The same packet again (a retransmission: the same serial id and
         * bytes; a new one toggles the id) keeps its KDNET id. */
        if (k->out_last[0].valid && k->out_last[0].serial == serial && k->out_last_len == n &&
            memcmp(k->out_last_bytes + KD_OFF_TYPE, pkt + KD_OFF_TYPE, 4) == 0 &&
            memcmp(k->out_last_bytes + 12, pkt + 12, n - 12) == 0) {
            kid = k->out_last[0].kdnet;
        } else {
            kid = k->out_next;
            k->out_next += KD_KDNET_ID_STEP;
            remember(k->out_last, serial, kid);
            memcpy(k->out_last_bytes, pkt, n);
            k->out_last_len = n;
        }
    } else if (it->type == KD_TYPE_ACKNOWLEDGE) {
        kid = serial;
        for (int i = 0; i < 2; i++)
            if (k->in_last[i].valid && k->in_last[i].serial == serial)
                kid = k->in_last[i].kdnet;
    } else if (it->type == KD_TYPE_RESET) {
        kid = k->o.role == KDSIM_DEBUGGER ? KD_KDNET_HOST_ID : k->out_next;
        reset_ids(k);
    } else {
        kid = 0; /* RESEND */
    }
    put_le32(pkt + KD_OFF_ID, kid);
    if (send_next(k, KDNET_CHANNEL_DATA, pkt, n) != 0)
        k->write_failed = 1;
}

static int io_write(void *ctx, const void *buf, size_t n)
{
    kdsim_kdnet *k = ctx;
    if (!k->out_framer && !(k->out_framer = kd_framer_new(KD_TRANSPORT_SERIAL, k->out_dir, on_out_item, k)))
        return -1;
    k->write_failed = 0;
    kd_framer_feed(k->out_framer, buf, n, 0);
    kd_framer_flush_runs(k->out_framer);
    return k->write_failed ? -1 : 0;
}

/* A KD packet from the peer, as the link reads it on a serial line. */
static void take_packet(kdsim_kdnet *k, const uint8_t *p, size_t n)
{
    if (n < KD_PACKET_HEADER_SIZE || k->in_len + n + 1 > sizeof k->in)
        return;
    uint8_t *q = k->in + k->in_len;
    memcpy(q, p, n);
    uint16_t type = kd_le16(p + KD_OFF_TYPE);
    uint32_t kid = kd_le32(p + KD_OFF_ID), serial;
    int data = kd_le32(p) == KD_PACKET_LEADER;
    if (data) {
        if (k->in_last[0].valid && k->in_last[0].kdnet == kid) {
            serial = k->in_last[0].serial; /* sent again */
        } else {
            serial = k->in_serial;
            k->in_serial ^= 1;
            remember(k->in_last, serial, kid);
        }
    } else if (type == KD_TYPE_ACKNOWLEDGE) {
        serial = 0;
        for (int i = 0; i < 2; i++)
            if (k->out_last[i].valid && k->out_last[i].kdnet == kid)
                serial = k->out_last[i].serial;
    } else if (type == KD_TYPE_RESET) {
        serial = KD_INITIAL_PACKET_ID;
        reset_ids(k);
    } else {
        serial = 0;
    }
    put_le32(q + KD_OFF_ID, serial);
    k->in_len += n;
    if (data)
        k->in[k->in_len++] = KD_TRAILING_BYTE;
}

static ssize_t io_read(void *ctx, void *buf, size_t n, int timeout_ms)
{
    kdsim_kdnet *k = ctx;
    uint64_t deadline = timeout_ms < 0 ? 0 : now_ms() + (uint64_t)timeout_ms;
    while (k->in_off == k->in_len) {
        k->in_off = k->in_len = 0;
        uint64_t t = now_ms();
        if (k->o.role == KDSIM_TARGET && t >= k->next_poke_ms)
            send_poke(k); /* Windows pokes for the whole session */
        int wait = k->o.role == KDSIM_TARGET ? ms_until(k->next_poke_ms, t) : -1;
        if (timeout_ms >= 0) {
            if (t >= deadline)
                return 0;
            if (wait < 0 || wait > ms_until(deadline, t))
                wait = ms_until(deadline, t);
        }
        kdnet_result r;
        int got = recv_open(k, wait, &r);
        if (got < 0)
            return -1;
        if (got == 0 || r.dg.channel != KDNET_CHANNEL_DATA)
            continue; /* pokes and responses after the handshake: nothing for the link */
        if (r.kind == KDNET_KIND_BREAKIN)
            k->in[k->in_len++] = KD_BREAKIN_BYTE;
        else if (r.kind == KDNET_KIND_KD && r.kd)
            take_packet(k, r.kd, r.kd_len);
    }
    size_t m = k->in_len - k->in_off < n ? k->in_len - k->in_off : n;
    memcpy(buf, k->in + k->in_off, m);
    k->in_off += m;
    return (ssize_t)m;
}

kdsim_io kdsim_kdnet_io(kdsim_kdnet *k)
{
    kdsim_io io = {io_read, io_write, k};
    return io;
}
