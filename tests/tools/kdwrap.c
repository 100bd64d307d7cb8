/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdwrap - writes a KD session as others capture it: the two byte streams
 * of a kdscope recording carried in TCP (a VM's serial port as a socket,
 * seen by tcpdump) or in cbwang505-style UDP, as a classic pcap file whose
 * every byte is written here (no libpcap), so the reader is tested against
 * an independent writer.  Also the session's faults a capture shows:
 *
 *   kdwrap IN OUT.pcap [OPTION]...
 *     IN                  a kdscope pcapng (or - for none, with --http)
 *     --udp               cbwang505's format: Ethernet/IPv4/UDP, d2t to port
 *                         51111, t2d to port 51112 (from 51112 / 51111)
 *     --ipv6              IPv6 instead of IPv4
 *     --link L            eth (default), vlan (802.1Q + QinQ), sll, sll2, raw,
 *                         ipv4 (LINKTYPE_IPV4, or _IPV6 with --ipv6), null, loop
 *     --nano              nanosecond timestamps (magic a1b23c4d)
 *     --seed N            for everything random below
 *     --seg MIN-MAX       segment sizes (default: each burst in one segment)
 *     --reorder PCT       swap a segment with the next one of its burst
 *     --dup PCT           send a segment twice
 *     --overlap PCT       also send a segment that overlaps its neighbours
 *                         (starts inside the previous one, ends inside the next)
 *     --drop N            lose the N-th data segment (from 1)
 *     --from-middle N     no handshake; the capture starts at the N-th record
 *     --then FILE         a second session on a second connection after the first
 *     --snaplen N         cut every frame to N bytes
 *     --isn-wrap          sequence numbers that wrap in the first kilobytes
 *     --target-client     the target is the connecting side (default: the listener)
 *     --http              a short HTTP exchange instead of KD (port 40080 to 80)
 *
 * The debugger is 10.0.0.1:40000 (fd00::1), the target 10.0.0.2:4444
 * (fd00::2); a second connection uses client port 40001.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capio.h"

#define CB505_D2T_PORT 51111u
#define CB505_T2D_PORT 51112u
#define MAX_BURST (1u << 20)

enum link { L_ETH, L_VLAN, L_SLL, L_SLL2, L_RAW, L_IPV4, L_NULL, L_LOOP };

static struct {
    int udp, ipv6, nano, isn_wrap, target_client, http;
    enum link link;
    unsigned seg_min, seg_max;
    unsigned reorder, dup, overlap;
    unsigned long drop, from_middle;
    unsigned snaplen;
    const char *then;
} g;

static FILE *g_out;
static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static unsigned long g_data_segments;

static uint32_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}

static int chance(unsigned pct)
{
    return pct && rnd() % 100u < pct;
}

static void die(const char *what)
{
    fprintf(stderr, "kdwrap: %s: %s\n", what, errno ? strerror(errno) : "failed");
    exit(2);
}

static void put(const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, g_out) != n)
        die("write");
}

static void le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
    be16(p, (uint16_t)(v >> 16));
    be16(p + 2, (uint16_t)v);
}

static uint32_t linktype(void)
{
    static const uint32_t t[] = {1, 1, 113, 276, 101, 228, 0, 108};
    if (g.link == L_IPV4 && g.ipv6)
        return 229; /* LINKTYPE_IPV6 */
    return t[g.link];
}

static void file_header(void)
{
    uint8_t h[24] = {0};
    le32(h, g.nano ? 0xA1B23C4Du : 0xA1B2C3D4u);
    h[4] = 2;
    h[6] = 4;
    le32(h + 16, 262144u);
    le32(h + 20, linktype());
    put(h, sizeof h);
}

/* Endpoints: side 0 the debugger, side 1 the target. */
typedef struct conn {
    uint16_t port[2];
    uint32_t seq[2]; /* next sequence number per side */
} conn;

static uint64_t g_ts = 1700000000000000000ull;

static void ip_addr(uint8_t *p, int side)
{
    if (g.ipv6) {
        static const uint8_t base[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        memcpy(p, base, 16);
        p[15] = (uint8_t)(side + 1);
    } else {
        p[0] = 10;
        p[1] = 0;
        p[2] = 0;
        p[3] = (uint8_t)(side + 1);
    }
}

static uint16_t ip_checksum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    while (s >> 16)
        s = (s & 0xFFFFu) + (s >> 16);
    return (uint16_t)~s;
}

/* One frame from side `from`: a TCP segment (flags, seq) or a UDP datagram. */
static void frame(const conn *c, int from, int tcp, uint8_t flags, uint32_t seq, const uint8_t *p,
                  size_t n, uint16_t sport, uint16_t dport)
{
    static uint8_t f[MAX_BURST + 256];
    size_t at = 0;
    int v6 = g.ipv6;
    uint16_t ethertype = v6 ? 0x86DD : 0x0800;
    switch (g.link) {
    case L_ETH:
    case L_VLAN:
        memset(f, 0, 12);
        f[5] = (uint8_t)(2 - from); /* dst */
        f[11] = (uint8_t)(1 + from);
        at = 12;
        if (g.link == L_VLAN) {
            be16(f + at, 0x88A8);
            be16(f + at + 2, 100);
            be16(f + at + 4, 0x8100);
            be16(f + at + 6, 200);
            at += 8;
        }
        be16(f + at, ethertype);
        at += 2;
        break;
    case L_SLL:
        memset(f, 0, 16);
        be16(f, from ? 0 : 4);
        be16(f + 2, 772);
        be16(f + 4, 6);
        be16(f + 14, ethertype);
        at = 16;
        break;
    case L_SLL2:
        memset(f, 0, 20);
        be16(f, ethertype);
        be32(f + 4, 1);
        be16(f + 8, 772);
        f[10] = from ? 0 : 4;
        f[11] = 6;
        at = 20;
        break;
    case L_RAW:
    case L_IPV4:
        break;
    case L_NULL:
        le32(f, v6 ? 24u : 2u);
        at = 4;
        break;
    case L_LOOP:
        be32(f, v6 ? 30u : 2u);
        at = 4;
        break;
    }
    size_t l4 = tcp ? 20 : 8;
    size_t ip_at = at;
    if (v6) {
        memset(f + at, 0, 40);
        f[at] = 0x60;
        be16(f + at + 4, (uint16_t)(l4 + n));
        f[at + 6] = tcp ? 6 : 17;
        f[at + 7] = 64;
        ip_addr(f + at + 8, from);
        ip_addr(f + at + 24, !from);
        at += 40;
    } else {
        memset(f + at, 0, 20);
        f[at] = 0x45;
        be16(f + at + 2, (uint16_t)(20 + l4 + n));
        be16(f + at + 6, 0x4000); /* DF */
        f[at + 8] = 64;
        f[at + 9] = tcp ? 6 : 17;
        ip_addr(f + at + 12, from);
        ip_addr(f + at + 16, !from);
        be16(f + at + 10, ip_checksum(f + at, 20));
        at += 20;
    }
    (void)ip_at;
    memset(f + at, 0, l4);
    be16(f + at, sport);
    be16(f + at + 2, dport);
    if (tcp) {
        be32(f + at + 4, seq);
        be32(f + at + 8, c->seq[!from]);
        f[at + 12] = 0x50;
        f[at + 13] = flags;
        be16(f + at + 14, 65535);
    } else {
        be16(f + at + 4, (uint16_t)(8 + n));
    }
    at += l4;
    if (n)
        memcpy(f + at, p, n);
    at += n;
    size_t cap = g.snaplen && at > g.snaplen ? g.snaplen : at;
    uint8_t h[16];
    uint64_t sub = g.nano ? g_ts % 1000000000u : (g_ts % 1000000000u) / 1000u;
    le32(h, (uint32_t)(g_ts / 1000000000u));
    le32(h + 4, (uint32_t)sub);
    le32(h + 8, (uint32_t)cap);
    le32(h + 12, (uint32_t)at);
    put(h, sizeof h);
    put(f, cap);
    g_ts += 1000;
}

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static int side_of_dir(kd_dir d)
{
    return d == KD_DIR_T2D ? 1 : 0;
}

static void tcp_send(conn *c, int from, uint32_t seq, const uint8_t *p, size_t n)
{
    uint16_t sp = c->port[from], dp = c->port[!from];
    frame(c, from, 1, F_ACK | F_PSH, seq, p, n, sp, dp);
}

static void udp_send(int from, const uint8_t *p, size_t n)
{
    conn c = {{0, 0}, {0, 0}};
    /* d2t goes to 51111, t2d to 51112. */
    uint16_t dp = from ? CB505_T2D_PORT : CB505_D2T_PORT;
    uint16_t sp = from ? CB505_D2T_PORT : CB505_T2D_PORT;
    frame(&c, from, 0, 0, 0, p, n, sp, dp);
}

typedef struct seg {
    size_t off, len;
} seg;

/* A burst: bytes one side sent before the other answered, cut into segments. */
static void burst(conn *c, int from, const uint8_t *p, size_t n)
{
    static seg segs[MAX_BURST];
    size_t ns = 0;
    for (size_t off = 0; off < n;) {
        size_t len = n - off;
        if (g.seg_max) {
            size_t want = g.seg_min + (g.seg_max > g.seg_min ? rnd() % (g.seg_max - g.seg_min + 1) : 0);
            if (want < len)
                len = want;
        }
        segs[ns++] = (seg){off, len};
        off += len;
    }
    for (size_t i = 0; i + 1 < ns; i++) {
        if (chance(g.reorder)) {
            seg t = segs[i];
            segs[i] = segs[i + 1];
            segs[i + 1] = t;
            i++;
        }
    }
    for (size_t i = 0; i < ns; i++) {
        const seg *s = &segs[i];
        g_data_segments++;
        if (g.drop && g_data_segments == g.drop)
            continue;
        if (g.udp) {
            udp_send(from, p + s->off, s->len);
            continue;
        }
        uint32_t seq = c->seq[from] + (uint32_t)s->off;
        tcp_send(c, from, seq, p + s->off, s->len);
        if (chance(g.dup))
            tcp_send(c, from, seq, p + s->off, s->len);
        if (chance(g.overlap)) {
            /* From inside this segment to inside the next bytes. */
            size_t a = s->off + s->len / 2;
            size_t b = s->off + s->len + (rnd() % 7);
            if (b > n)
                b = n;
            if (b > a)
                tcp_send(c, from, c->seq[from] + (uint32_t)a, p + a, b - a);
        }
    }
    if (!g.udp)
        c->seq[from] += (uint32_t)n;
}

static void handshake(conn *c, int client)
{
    int server = !client;
    frame(c, client, 1, F_SYN, c->seq[client] - 1, NULL, 0, c->port[client], c->port[server]);
    frame(c, server, 1, F_SYN | F_ACK, c->seq[server] - 1, NULL, 0, c->port[server], c->port[client]);
    frame(c, client, 1, F_ACK, c->seq[client], NULL, 0, c->port[client], c->port[server]);
}

static void closing(conn *c, int client)
{
    int server = !client;
    frame(c, client, 1, F_FIN | F_ACK, c->seq[client], NULL, 0, c->port[client], c->port[server]);
    frame(c, server, 1, F_FIN | F_ACK, c->seq[server], NULL, 0, c->port[server], c->port[client]);
    c->seq[client]++;
    c->seq[server]++;
    frame(c, client, 1, F_ACK, c->seq[client], NULL, 0, c->port[client], c->port[server]);
}

static void session(const char *path, uint16_t client_port, int first)
{
    int client = g.target_client ? 1 : 0;
    conn c = {.port = {client_port, g.http ? 80 : 4444}};
    if (g.http)
        c.port[0] = (uint16_t)(client_port + 80);
    if (g.target_client) {
        c.port[0] = 4444;
        c.port[1] = client_port;
    }
    c.seq[0] = g.isn_wrap ? 0xFFFFFF00u : 1000u + client_port;
    c.seq[1] = g.isn_wrap ? 0xFFFFFE00u : 500000u + client_port;
    unsigned long skip = first ? g.from_middle : 0;
    if (!g.udp && !skip)
        handshake(&c, client);
    if (g.http) {
        static const char req[] = "GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n";
        static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello world\n";
        burst(&c, 0, (const uint8_t *)req, sizeof req - 1);
        burst(&c, 1, (const uint8_t *)resp, sizeof resp - 1);
    } else {
        char err[256];
        kdcap_reader *r = kdcap_open(path, KDCAP_FORMAT_AUTO, KD_DIR_UNKNOWN, err, sizeof err);
        if (!r) {
            fprintf(stderr, "kdwrap: %s: %s\n", path, err);
            exit(2);
        }
        static uint8_t buf[MAX_BURST];
        size_t n = 0;
        int cur = -1;
        kdcap_record rec;
        int rc;
        unsigned long recno = 0;
        while ((rc = kdcap_next(r, &rec)) == 1) {
            if (++recno <= skip)
                continue;
            int from = side_of_dir(rec.dir);
            if ((from != cur && n) || n + rec.len > MAX_BURST) {
                burst(&c, cur, buf, n);
                n = 0;
            }
            cur = from;
            memcpy(buf + n, rec.bytes, rec.len);
            n += rec.len;
        }
        if (rc < 0) {
            fprintf(stderr, "kdwrap: %s: %s\n", path, kdcap_error(r));
            exit(2);
        }
        if (n)
            burst(&c, cur, buf, n);
        kdcap_close(r);
    }
    if (!g.udp)
        closing(&c, client);
}

static unsigned long num(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (*end || errno) {
        fprintf(stderr, "kdwrap: %s: '%s' is not a number\n", opt, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: kdwrap IN OUT.pcap [OPTION]...\n");
        return 2;
    }
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDS()                                                                                    \
    do {                                                                                           \
        if (!v) {                                                                                  \
            fprintf(stderr, "kdwrap: %s needs a value\n", a);                                     \
            return 2;                                                                              \
        }                                                                                          \
        i++;                                                                                       \
    } while (0)
        if (!strcmp(a, "--udp"))
            g.udp = 1;
        else if (!strcmp(a, "--ipv6"))
            g.ipv6 = 1;
        else if (!strcmp(a, "--nano"))
            g.nano = 1;
        else if (!strcmp(a, "--isn-wrap"))
            g.isn_wrap = 1;
        else if (!strcmp(a, "--target-client"))
            g.target_client = 1;
        else if (!strcmp(a, "--http"))
            g.http = 1;
        else if (!strcmp(a, "--link")) {
            NEEDS();
            static const char *names[] = {"eth", "vlan", "sll", "sll2", "raw", "ipv4", "null", "loop"};
            size_t k = 0;
            while (k < 8 && strcmp(v, names[k]))
                k++;
            if (k == 8) {
                fprintf(stderr, "kdwrap: --link: '%s'?\n", v);
                return 2;
            }
            g.link = (enum link)k;
        } else if (!strcmp(a, "--seed")) {
            NEEDS();
            g_rng ^= num(a, v) * 0x2545F4914F6CDD1Dull;
            if (!g_rng)
                g_rng = 1;
        } else if (!strcmp(a, "--seg")) {
            NEEDS();
            const char *dash = strchr(v, '-');
            if (!dash) {
                fprintf(stderr, "kdwrap: --seg: MIN-MAX\n");
                return 2;
            }
            g.seg_min = (unsigned)strtoul(v, NULL, 10);
            g.seg_max = (unsigned)strtoul(dash + 1, NULL, 10);
            if (!g.seg_min || g.seg_max < g.seg_min) {
                fprintf(stderr, "kdwrap: --seg: MIN-MAX with 0 < MIN <= MAX\n");
                return 2;
            }
        } else if (!strcmp(a, "--reorder")) {
            NEEDS();
            g.reorder = (unsigned)num(a, v);
        } else if (!strcmp(a, "--dup")) {
            NEEDS();
            g.dup = (unsigned)num(a, v);
        } else if (!strcmp(a, "--overlap")) {
            NEEDS();
            g.overlap = (unsigned)num(a, v);
        } else if (!strcmp(a, "--drop")) {
            NEEDS();
            g.drop = num(a, v);
        } else if (!strcmp(a, "--from-middle")) {
            NEEDS();
            g.from_middle = num(a, v);
        } else if (!strcmp(a, "--snaplen")) {
            NEEDS();
            g.snaplen = (unsigned)num(a, v);
        } else if (!strcmp(a, "--then")) {
            NEEDS();
            g.then = v;
        } else {
            fprintf(stderr, "kdwrap: unknown option %s\n", a);
            return 2;
        }
    }
    g_out = fopen(argv[2], "wb");
    if (!g_out)
        die(argv[2]);
    file_header();
    session(argv[1], 40000, 1);
    if (g.then)
        session(g.then, 40001, 0);
    if (fclose(g_out) != 0)
        die(argv[2]);
    return 0;
}
