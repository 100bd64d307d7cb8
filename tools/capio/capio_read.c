/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE /* fopencookie: libpcap reads our input buffer through stdio */
/*
 * capio_read.c - reads captures for the kdscope tools (capio.h).
 *
 * Inputs are pcapng (either byte order, any number of sections), classic
 * pcap (through libpcap, which reads it from our input buffer by way of a
 * stdio cookie, so standard input and memory work the same), or raw KD
 * byte streams.  Frames of network link types go to netparse and
 * netstream, whose records come out in their place.  The reader holds one block at a time in a buffer that
 * grows to at most KDCAP_MAX_BLOCK bytes, plus a 64 KiB input buffer for
 * files, so its memory does not depend on the length of the input.  Every
 * field is read with explicit byte loads at offsets checked against the
 * block it belongs to.
 */
#include "capio.h"
#include "pcapng.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "kdparse/framer.h"
#include "netstream.h"

/* Minimum total lengths: 12 bytes of framing plus the fixed body. */
#define MIN_SHB 28u
#define MIN_IDB 20u
#define MIN_EPB 32u
#define MIN_PB 32u
#define MIN_SPB 16u

#define INPUT_BUFFER 65536u /* read(2) size for files; also the sniffing window */
#define SNIFF_LEN 65536u    /* bytes looked at to detect a raw KD stream */
#define RAW_CHUNK 65536u    /* record size of raw streams */
#define MAX_INTERFACES 4096u /* per section */
#define MAX_NAME_SHOWN 64u  /* of a foreign dissector name in an error */

#define NS_PER_S 1000000000u

struct iface {
    uint16_t linktype;
    uint8_t tsresol_pow2; /* 1: units are 2^-exp s; 0: 10^-exp s */
    uint8_t tsresol_exp;
    int64_t tsoffset_s;
};

struct kdcap_reader {
    kdcap_format format;
    kd_dir raw_dir;

    /* Input: a window [in_pos, in_len) of unread bytes at `in`, which is
     * the caller's buffer (memory input) or in_buf refilled from fd. */
    int fd; /* -1 for memory input */
    const uint8_t *in;
    size_t in_len;
    size_t in_pos;
    uint8_t *in_buf;
    int in_eof;
    int in_errno;
    uint64_t offset; /* file offset of in[in_pos] */

    /* The current block (or raw chunk). */
    uint8_t *blk;
    size_t blk_cap;

    /* A block read ahead by open (the first one after the SHB and IDBs). */
    int have_pending;
    uint32_t pending_type;
    size_t pending_len;
    uint64_t pending_offset;

    /* pcapng state. */
    int big_endian;
    unsigned sections;
    struct iface *ifs;
    size_t nifs;
    size_t ifs_cap;
    char *comment;
    char *if_name[2];

    /* Network captures. */
    kdcap_net_opts net;
    netstream *ns;
    int ns_finished;
    pcap_t *pcap;
    uint32_t pcap_linktype;
    int own_fd; /* 0 for standard input: not closed */

    uint64_t frame; /* number of the last record returned (or skipped) */
    int state;      /* 0 reading, 1 at end, -1 failed */
    char err[256];
};

/* ------------------------------------------------------------ helpers */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t rd16(const kdcap_reader *r, const uint8_t *p)
{
    return r->big_endian ? be16(p) : kd_le16(p);
}

static uint32_t rd32(const kdcap_reader *r, const uint8_t *p)
{
    return r->big_endian ? be32(p) : kd_le32(p);
}

static uint64_t rd64(const kdcap_reader *r, const uint8_t *p)
{
    if (r->big_endian)
        return (uint64_t)be32(p) << 32 | be32(p + 4);
    return kd_le64(p);
}

static size_t pad4(size_t n)
{
    return (n + 3u) & ~(size_t)3u;
}

static void vformat(char *dst, size_t dstlen, const char *fmt, va_list ap)
{
    if (!dst || dstlen == 0)
        return;
    vsnprintf(dst, dstlen, fmt, ap);
}

static void format_to(char *dst, size_t dstlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(dst, dstlen, fmt, ap);
    va_end(ap);
}

/* Records a failure; always returns -1. */
static int fail(kdcap_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    r->state = -1;
    return -1;
}

static char *dup_bytes(const uint8_t *p, size_t n)
{
    /* Stop at an embedded NUL: the value is used as a C string. */
    const uint8_t *nul = memchr(p, 0, n);
    if (nul)
        n = (size_t)(nul - p);
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* ------------------------------------------------------------ input */

/* One read(2) into in_buf.  1: bytes came, 0: end of file, -1: error. */
static int refill(kdcap_reader *r)
{
    if (r->in_pos == r->in_len)
        r->in_pos = r->in_len = 0;
    if (r->in_len == INPUT_BUFFER)
        return 1;
    for (;;) {
        ssize_t k = read(r->fd, r->in_buf + r->in_len, INPUT_BUFFER - r->in_len);
        if (k > 0) {
            r->in_len += (size_t)k;
            return 1;
        }
        if (k == 0) {
            r->in_eof = 1;
            return 0;
        }
        if (errno == EINTR)
            continue;
        r->in_errno = errno ? errno : EIO;
        return -1;
    }
}

/* Copies up to n bytes of input to dst; fewer only at end of input or on a
 * read error (then in_errno is set). */
static size_t input_read(kdcap_reader *r, uint8_t *dst, size_t n)
{
    size_t got = 0;
    while (got < n) {
        if (r->in_pos == r->in_len) {
            if (r->fd < 0 || r->in_eof || r->in_errno || refill(r) <= 0)
                break;
        }
        size_t k = r->in_len - r->in_pos;
        if (k > n - got)
            k = n - got;
        memcpy(dst + got, r->in + r->in_pos, k);
        got += k;
        r->in_pos += k;
        r->offset += k;
    }
    return got;
}

/* Fills the input buffer of a file as far as the sniffing window. */
static void input_sniff(kdcap_reader *r)
{
    while (r->fd >= 0 && r->in_len < SNIFF_LEN && !r->in_eof && !r->in_errno)
        if (refill(r) <= 0)
            break;
}

static int grow_block(kdcap_reader *r, size_t need)
{
    if (need <= r->blk_cap)
        return 0;
    size_t cap = r->blk_cap ? r->blk_cap : RAW_CHUNK;
    while (cap < need)
        cap *= 2;
    uint8_t *p = realloc(r->blk, cap);
    if (!p)
        return fail(r, "out of memory");
    r->blk = p;
    r->blk_cap = cap;
    return 0;
}

/* ------------------------------------------------------------ detection */

static int is_pcapng_magic(const uint8_t *p, size_t n)
{
    return n >= 4 && p[0] == 0x0A && p[1] == 0x0D && p[2] == 0x0D && p[3] == 0x0A;
}

static int is_classic_pcap_magic(const uint8_t *p, size_t n)
{
    static const uint8_t magics[4][4] = {
        {0xA1, 0xB2, 0xC3, 0xD4},
        {0xD4, 0xC3, 0xB2, 0xA1},
        {0xA1, 0xB2, 0x3C, 0x4D},
        {0x4D, 0x3C, 0xB2, 0xA1},
    };
    if (n < 4)
        return 0;
    for (size_t i = 0; i < 4; i++)
        if (memcmp(p, magics[i], 4) == 0)
            return 1;
    return 0;
}

static void sniff_item(const kd_item *item, void *user)
{
    int *found = user;
    if (item->kind == KD_ITEM_DATA && item->flags == 0)
        *found = 1;
    else if (item->kind == KD_ITEM_CONTROL &&
             (item->type == KD_TYPE_ACKNOWLEDGE || item->type == KD_TYPE_RESEND ||
              item->type == KD_TYPE_RESET))
        *found = 1;
}

/* 1: the bytes positively look like a serial KD stream; 0: not; -1: no memory. */
static int looks_like_kd(const uint8_t *p, size_t n, kd_dir dir)
{
    size_t i = 0;
    while (i < n && p[i] == KD_BREAKIN_BYTE)
        i++;
    if (n > 0 && i == n)
        return 1;
    int found = 0;
    kd_framer *f = kd_framer_new(KD_TRANSPORT_SERIAL, dir, sniff_item, &found);
    if (!f)
        return -1;
    /* Found stays found: the framing stops at the first KD packet (the
     * items do not depend on how the bytes are split, framer.h). */
    for (size_t off = 0; off < n && !found; off += 512)
        kd_framer_feed(f, p + off, n - off < 512 ? n - off : 512, 0);
    if (!found)
        kd_framer_finish(f);
    kd_framer_free(f);
    return found;
}

/* ------------------------------------------------------------ pcapng */

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    if (a != 0 && b > UINT64_MAX / a)
        return UINT64_MAX;
    return a * b;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

/* Nanoseconds since the epoch of a timestamp in an interface's units. */
static uint64_t ts_to_ns(const struct iface *ifc, uint64_t ts)
{
    static const uint64_t pow10[20] = {
        1u,
        10u,
        100u,
        1000u,
        10000u,
        100000u,
        1000000u,
        10000000u,
        100000000u,
        1000000000u,
        10000000000u,
        100000000000u,
        1000000000000u,
        10000000000000u,
        100000000000000u,
        1000000000000000u,
        10000000000000000u,
        100000000000000000u,
        1000000000000000000u,
        10000000000000000000u,
    };
    unsigned n = ifc->tsresol_exp;
    uint64_t ns;
    if (!ifc->tsresol_pow2) {
        if (n <= 9)
            ns = mul_sat(ts, pow10[9 - n]);
        else if (n - 9 >= 20)
            ns = 0; /* any u64 count of 10^-29 s or finer is below 1 ns */
        else
            ns = ts / pow10[n - 9];
    } else {
        /* ts = hi * 2^n + lo; ns = hi * 10^9 + lo * 10^9 / 2^n. */
        uint64_t hi = n >= 64 ? 0 : ts >> n;
        uint64_t lo = n >= 64 ? ts : ts & (((uint64_t)1 << n) - 1u);
        uint64_t frac;
        if (n <= 34) {
            frac = (lo * NS_PER_S) >> n; /* lo < 2^34, 10^9 < 2^30 */
        } else {
            unsigned s = n - 34; /* drop bits worth < 0.06 ns */
            frac = s >= 64 ? 0 : ((lo >> s) * NS_PER_S) >> 34;
        }
        ns = add_sat(mul_sat(hi, NS_PER_S), frac);
    }
    if (ifc->tsoffset_s > 0) {
        ns = add_sat(ns, mul_sat((uint64_t)ifc->tsoffset_s, NS_PER_S));
    } else if (ifc->tsoffset_s < 0) {
        uint64_t back = mul_sat((uint64_t)(-(ifc->tsoffset_s + 1)) + 1u, NS_PER_S);
        ns = ns > back ? ns - back : 0;
    }
    return ns;
}

/*
 * Steps through the options in p[0, len).  Stops at opt_endofopt and at the
 * first option that does not fit (the rest is ignored, not trusted).
 */
static int next_option(const kdcap_reader *r, const uint8_t *p, size_t len, size_t *pos,
                       uint16_t *code, const uint8_t **value, size_t *vlen)
{
    if (*pos > len || len - *pos < 4)
        return 0;
    uint16_t c = rd16(r, p + *pos);
    size_t l = rd16(r, p + *pos + 2);
    if (c == PCAPNG_OPT_END || l > len - *pos - 4)
        return 0;
    *code = c;
    *value = p + *pos + 4;
    *vlen = l;
    size_t step = 4 + pad4(l);
    *pos = step > len - *pos ? len : *pos + step;
    return 1;
}

/*
 * Reads one block into r->blk (the whole block, framing included).
 * 1: a block; 0: clean end of input; -1: failure.
 */
static int read_block(kdcap_reader *r, uint32_t *type, size_t *len, uint64_t *offset)
{
    uint8_t head[12];
    uint64_t at = r->offset;
    size_t got = input_read(r, head, 8);
    if (got == 0 && !r->in_errno)
        return 0;
    if (got < 8)
        goto short_read;

    size_t head_len = 8;
    if (is_pcapng_magic(head, 4)) {
        /* A new section: its byte-order magic says how to read everything,
         * the block length included. */
        if (input_read(r, head + 8, 4) < 4)
            goto short_read;
        head_len = 12;
        if (kd_le32(head + 8) == PCAPNG_BYTE_ORDER_MAGIC)
            r->big_endian = 0;
        else if (be32(head + 8) == PCAPNG_BYTE_ORDER_MAGIC)
            r->big_endian = 1;
        else
            return fail(r, "bad pcapng byte-order magic at offset %" PRIu64, at);
    }
    uint32_t t = rd32(r, head);
    uint32_t total = rd32(r, head + 4);
    if (total < 12 || total % 4 != 0 || total > KDCAP_MAX_BLOCK ||
        (t == PCAPNG_BLOCK_SHB && total < MIN_SHB))
        return fail(r, "bad pcapng block length at offset %" PRIu64, at);
    if (grow_block(r, total) < 0)
        return -1;
    memcpy(r->blk, head, head_len);
    if (input_read(r, r->blk + head_len, total - head_len) < total - head_len)
        goto short_read;
    if (rd32(r, r->blk + total - 4) != total)
        return fail(r, "bad pcapng block length at offset %" PRIu64, at);
    *type = t;
    *len = total;
    *offset = at;
    return 1;

short_read:
    if (r->in_errno)
        return fail(r, "read error: %s", strerror(r->in_errno));
    return fail(r, "truncated pcapng block at offset %" PRIu64, at);
}

static int do_shb(kdcap_reader *r, const uint8_t *b, size_t blen, uint64_t at)
{
    uint16_t major = rd16(r, b + 4);
    uint16_t minor = rd16(r, b + 6);
    if (major != 1)
        return fail(r, "unsupported pcapng version %u.%u at offset %" PRIu64, (unsigned)major,
                    (unsigned)minor, at);
    r->sections++;
    r->nifs = 0;
    if (r->sections == 1) {
        size_t pos = 16;
        uint16_t code;
        const uint8_t *v;
        size_t vlen;
        while (next_option(r, b, blen, &pos, &code, &v, &vlen)) {
            if (code == PCAPNG_OPT_COMMENT && !r->comment) {
                r->comment = dup_bytes(v, vlen);
                if (!r->comment)
                    return fail(r, "out of memory");
            }
        }
    }
    return 0;
}

static int do_idb(kdcap_reader *r, const uint8_t *b, size_t blen, uint64_t at)
{
    if (r->nifs >= MAX_INTERFACES)
        return fail(r, "too many interfaces at offset %" PRIu64, at);
    if (r->nifs == r->ifs_cap) {
        size_t cap = r->ifs_cap ? r->ifs_cap * 2 : 4;
        struct iface *p = realloc(r->ifs, cap * sizeof *p);
        if (!p)
            return fail(r, "out of memory");
        r->ifs = p;
        r->ifs_cap = cap;
    }
    struct iface *ifc = &r->ifs[r->nifs];
    ifc->linktype = rd16(r, b);
    ifc->tsresol_pow2 = 0;
    ifc->tsresol_exp = 6; /* default: microseconds */
    ifc->tsoffset_s = 0;

    size_t pos = 8;
    uint16_t code;
    const uint8_t *v;
    size_t vlen;
    while (next_option(r, b, blen, &pos, &code, &v, &vlen)) {
        if (code == PCAPNG_OPT_IF_TSRESOL && vlen >= 1) {
            ifc->tsresol_pow2 = (v[0] & 0x80u) != 0;
            ifc->tsresol_exp = v[0] & 0x7Fu;
        } else if (code == PCAPNG_OPT_IF_TSOFFSET && vlen == 8) {
            ifc->tsoffset_s = (int64_t)rd64(r, v);
        } else if (code == PCAPNG_OPT_IF_NAME && r->sections == 1 && r->nifs < 2 &&
                   !r->if_name[r->nifs]) {
            r->if_name[r->nifs] = dup_bytes(v, vlen);
            if (!r->if_name[r->nifs])
                return fail(r, "out of memory");
        }
    }
    r->nifs++;
    return 0;
}

/* ------------------------------------------------------------ network */

/* A frame of a network link type goes to netstream.  0, or -1 on failure. */
static int network_frame(kdcap_reader *r, uint32_t linktype, uint64_t frame, uint64_t ts_ns,
                         const uint8_t *data, size_t caplen)
{
    if (!netparse_link_supported(linktype))
        return fail(r, "link type %u is not supported (record %" PRIu64 ")", (unsigned)linktype,
                    frame);
    if (!r->ns) {
        r->ns = netstream_new(&r->net);
        if (!r->ns)
            return fail(r, "out of memory");
    }
    netparse_pkt pkt;
    netparse_status st = netparse_frame(linktype, data, caplen, &pkt);
    netstream_frame(r->ns, frame, ts_ns, st, &pkt);
    return 0;
}

/* The next record netstream has ready: 1, 0 none, -1 failure. */
static int network_next(kdcap_reader *r, kdcap_record *rec)
{
    if (!r->ns)
        return 0;
    int rc = netstream_next(r->ns, rec);
    if (rc < 0)
        return fail(r, "out of memory");
    return rc;
}

/* A dissector name fit for an error message: printable ASCII, bounded. */
static void show_name(char *dst, size_t dstlen, const uint8_t *p, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && i < MAX_NAME_SHOWN && o + 1 < dstlen; i++)
        dst[o++] = (p[i] >= 0x20 && p[i] < 0x7F && p[i] != '\'') ? (char)p[i] : '?';
    if (n > MAX_NAME_SHOWN && o + 4 < dstlen) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}

/*
 * An EPB or obsolete PB.  b/blen: the body; the fields common to both are at
 * the same offsets once the interface id is read.  1: *rec filled; -1: failure.
 */
static int do_packet(kdcap_reader *r, uint32_t if_id, const uint8_t *b, size_t blen, uint64_t at,
                     kdcap_record *rec)
{
    uint64_t frame = r->frame + 1;
    if (if_id >= r->nifs)
        return fail(r, "packet block refers to unknown interface %" PRIu32 " at offset %" PRIu64,
                    if_id, at);
    const struct iface *ifc = &r->ifs[if_id];
    uint64_t ts = (uint64_t)rd32(r, b + 4) << 32 | rd32(r, b + 8);
    uint32_t caplen = rd32(r, b + 12);
    if (caplen > blen - 20)
        return fail(r, "bad pcapng packet length at offset %" PRIu64, at);
    const uint8_t *data = b + 20;

    if (ifc->linktype != KDCAP_LINKTYPE_UPPER_PDU) {
        if (network_frame(r, ifc->linktype, frame, ts_to_ns(ifc, ts), data, caplen) < 0)
            return -1;
        r->frame = frame;
        return 0;
    }

    /* Exported-PDU TLVs: big-endian tag and length, no padding, tag 0 ends. */
    kd_dir dir = KD_DIR_UNKNOWN;
    int have_dir = 0;
    size_t pos = 0;
    for (;;) {
        if (caplen - pos < 4)
            return fail(r, "bad exported-PDU header in record %" PRIu64, frame);
        uint16_t tag = be16(data + pos);
        size_t tlen = be16(data + pos + 2);
        if (tlen > caplen - pos - 4)
            return fail(r, "bad exported-PDU header in record %" PRIu64, frame);
        const uint8_t *v = data + pos + 4;
        pos += 4 + tlen;
        if (tag == KDCAP_TAG_END)
            break;
        if (tag == KDCAP_TAG_DISSECTOR_NAME) {
            size_t n = tlen;
            while (n > 0 && v[n - 1] == 0)
                n--;
            if (n != 2 || v[0] != 'k' || v[1] != 'd') {
                char name[MAX_NAME_SHOWN + 4];
                show_name(name, sizeof name, v, n);
                return fail(r, "record %" PRIu64 " is for dissector '%s', not kd", frame, name);
            }
        } else if (tag == KDCAP_TAG_P2P_DIRECTION && tlen == 4) {
            uint32_t d = be32(v);
            if (d == KD_DIR_D2T || d == KD_DIR_T2D) {
                dir = (kd_dir)d;
                have_dir = 1;
            }
        }
    }

    if (!have_dir) {
        size_t opos = 20 + pad4(caplen);
        if (opos <= blen) {
            uint16_t code;
            const uint8_t *v;
            size_t vlen;
            size_t opt = 0;
            while (next_option(r, b + opos, blen - opos, &opt, &code, &v, &vlen)) {
                if (code == PCAPNG_OPT_EPB_FLAGS && vlen == 4) {
                    uint32_t flags = rd32(r, v);
                    if ((flags & 3u) == 1u)
                        dir = KD_DIR_T2D;
                    else if ((flags & 3u) == 2u)
                        dir = KD_DIR_D2T;
                    break;
                }
            }
        }
    }

    r->frame = frame;
    memset(rec, 0, sizeof *rec);
    rec->frame = frame;
    rec->ts_ns = ts_to_ns(ifc, ts);
    rec->dir = dir;
    rec->carrier = KDCAP_CARRIER_ITEM;
    rec->bytes = data + pos;
    rec->len = caplen - pos;
    return 1;
}

/* One block in r->blk.  1: *rec filled; 0: nothing to return; -1: failure. */
static int do_block(kdcap_reader *r, uint32_t type, size_t len, uint64_t at, kdcap_record *rec)
{
    const uint8_t *b = r->blk + 8;
    size_t blen = len - 12;
    switch (type) {
    case PCAPNG_BLOCK_SHB:
        return do_shb(r, b, blen, at);
    case PCAPNG_BLOCK_IDB:
        if (len < MIN_IDB)
            return fail(r, "bad pcapng block length at offset %" PRIu64, at);
        return do_idb(r, b, blen, at);
    case PCAPNG_BLOCK_EPB:
        if (len < MIN_EPB)
            return fail(r, "bad pcapng block length at offset %" PRIu64, at);
        return do_packet(r, rd32(r, b), b, blen, at, rec);
    case PCAPNG_BLOCK_PB:
        if (len < MIN_PB)
            return fail(r, "bad pcapng block length at offset %" PRIu64, at);
        return do_packet(r, rd16(r, b), b, blen, at, rec);
    case PCAPNG_BLOCK_SPB:
        /* Not supported: skipped, but it is a record, so frame numbers stay
         * those other tools show. */
        if (len < MIN_SPB)
            return fail(r, "bad pcapng block length at offset %" PRIu64, at);
        r->frame++;
        return 0;
    default:
        return 0; /* NRB, ISB, DSB, custom blocks, ...: nothing for us */
    }
}

/* Reads the SHB and the IDBs after it; keeps the next block pending. */
static int pcapng_start(kdcap_reader *r)
{
    uint32_t type;
    size_t len;
    uint64_t at;
    int rc = read_block(r, &type, &len, &at);
    if (rc < 0)
        return -1;
    if (rc == 0 || type != PCAPNG_BLOCK_SHB)
        return fail(r, "not a pcapng file");
    if (do_block(r, type, len, at, NULL) < 0)
        return -1;
    for (;;) {
        rc = read_block(r, &type, &len, &at);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            r->state = 1;
            return 0;
        }
        if (type != PCAPNG_BLOCK_IDB) {
            r->have_pending = 1;
            r->pending_type = type;
            r->pending_len = len;
            r->pending_offset = at;
            return 0;
        }
        if (do_block(r, type, len, at, NULL) < 0)
            return -1;
    }
}

static int pcapng_next(kdcap_reader *r, kdcap_record *rec)
{
    for (;;) {
        int got = network_next(r, rec);
        if (got != 0)
            return got;
        if (r->ns_finished) {
            r->state = 1;
            return 0;
        }
        uint32_t type;
        size_t len;
        uint64_t at;
        if (r->have_pending) {
            r->have_pending = 0;
            type = r->pending_type;
            len = r->pending_len;
            at = r->pending_offset;
        } else {
            int rc = read_block(r, &type, &len, &at);
            if (rc < 0)
                return -1;
            if (rc == 0) {
                if (r->ns) {
                    netstream_finish(r->ns);
                    r->ns_finished = 1;
                    continue;
                }
                r->state = 1;
                return 0;
            }
        }
        int rc = do_block(r, type, len, at, rec);
        if (rc != 0)
            return rc;
    }
}

/* ------------------------------------------------------------ raw */

static int raw_next(kdcap_reader *r, kdcap_record *rec)
{
    if (grow_block(r, RAW_CHUNK) < 0)
        return -1;
    size_t n = input_read(r, r->blk, RAW_CHUNK);
    if (n == 0) {
        if (r->in_errno)
            return fail(r, "read error: %s", strerror(r->in_errno));
        r->state = 1;
        return 0;
    }
    r->frame++;
    memset(rec, 0, sizeof *rec);
    rec->frame = r->frame;
    rec->ts_ns = 0;
    rec->dir = r->raw_dir;
    rec->carrier = KDCAP_CARRIER_STREAM;
    rec->bytes = r->blk;
    rec->len = n;
    return 1;
}

/* ------------------------------------------------------------ classic pcap */

/* libpcap reads through stdio: a cookie stream over our input. */
static ssize_t cookie_read(void *cookie, char *buf, size_t size)
{
    kdcap_reader *r = cookie;
    size_t n = input_read(r, (uint8_t *)buf, size);
    if (n == 0 && r->in_errno) {
        errno = r->in_errno;
        return -1;
    }
    return (ssize_t)n;
}

static int cookie_close(void *cookie)
{
    (void)cookie; /* the reader owns the input */
    return 0;
}

static int pcap_start(kdcap_reader *r)
{
    cookie_io_functions_t io = {.read = cookie_read, .close = cookie_close};
    FILE *f = fopencookie(r, "r", io);
    if (!f)
        return fail(r, "out of memory");
    char errbuf[PCAP_ERRBUF_SIZE];
    errbuf[0] = '\0';
    r->pcap = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!r->pcap) {
        fclose(f);
        char *nl = strchr(errbuf, '\n');
        if (nl)
            *nl = '\0';
        return fail(r, "bad pcap file: %s", errbuf[0] ? errbuf : "libpcap refused it");
    }
    /* libpcap names link types by DLT_* values; netparse knows both. */
    r->pcap_linktype = (uint32_t)pcap_datalink(r->pcap);
    if (!netparse_link_supported(r->pcap_linktype))
        return fail(r, "link type %u is not supported", (unsigned)r->pcap_linktype);
    return 0;
}

static int pcap_next_rec(kdcap_reader *r, kdcap_record *rec)
{
    for (;;) {
        int got = network_next(r, rec);
        if (got != 0)
            return got;
        if (r->ns_finished) {
            r->state = 1;
            return 0;
        }
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc = pcap_next_ex(r->pcap, &h, &data);
        if (rc == PCAP_ERROR_BREAK) {
            if (r->ns) {
                netstream_finish(r->ns);
            }
            r->ns_finished = 1;
            if (!r->ns) {
                r->state = 1;
                return 0;
            }
            continue;
        }
        if (rc != 1) {
            const char *e = pcap_geterr(r->pcap);
            char msg[PCAP_ERRBUF_SIZE];
            snprintf(msg, sizeof msg, "%s", e && e[0] ? e : "read error");
            char *nl = strchr(msg, '\n');
            if (nl)
                *nl = '\0';
            return fail(r, "bad pcap record %" PRIu64 ": %s", r->frame + 1, msg);
        }
        uint64_t frame = ++r->frame;
        uint64_t ts = add_sat(mul_sat((uint64_t)h->ts.tv_sec, NS_PER_S), (uint64_t)h->ts.tv_usec);
        size_t caplen = h->caplen;
        if (network_frame(r, r->pcap_linktype, frame, ts, data, caplen) < 0)
            return -1;
    }
}

/* ------------------------------------------------------------ API */

static kdcap_reader *reader_new(kd_dir raw_dir)
{
    kdcap_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->fd = -1;
    r->raw_dir = raw_dir;
    return r;
}

/* Detects or checks the format and gets the reader going; frees it on failure. */
static kdcap_reader *start(kdcap_reader *r, kdcap_format format, char *err, size_t errlen)
{
    size_t n = r->in_len < SNIFF_LEN ? r->in_len : SNIFF_LEN;
    const uint8_t *p = r->in;
    const char *why = NULL;

    if (n == 0 && r->in_errno) {
        format_to(err, errlen, "%s", strerror(r->in_errno));
        kdcap_close(r);
        return NULL;
    }
    if (n == 0) {
        why = "empty file";
    } else if (format == KDCAP_FORMAT_PCAPNG) {
        if (!is_pcapng_magic(p, n))
            why = "not a pcapng file";
    } else if (format == KDCAP_FORMAT_AUTO) {
        if (is_pcapng_magic(p, n)) {
            format = KDCAP_FORMAT_PCAPNG;
        } else if (is_classic_pcap_magic(p, n)) {
            format = KDCAP_FORMAT_PCAP;
        } else {
            int kd = looks_like_kd(p, n, r->raw_dir);
            if (kd < 0)
                why = "out of memory";
            else if (kd == 0)
                why = "not a pcapng file or a KD byte stream (use --format raw to force)";
            else
                format = KDCAP_FORMAT_RAW;
        }
    } else if (format == KDCAP_FORMAT_PCAP) {
        if (!is_classic_pcap_magic(p, n))
            why = "not a pcap file";
    } else if (format != KDCAP_FORMAT_RAW) {
        why = "unknown capture format requested";
    }
    if (why) {
        format_to(err, errlen, "%s", why);
        kdcap_close(r);
        return NULL;
    }

    r->format = format;
    if ((format == KDCAP_FORMAT_PCAPNG && pcapng_start(r) < 0) ||
        (format == KDCAP_FORMAT_PCAP && pcap_start(r) < 0)) {
        format_to(err, errlen, "%s", r->err);
        kdcap_close(r);
        return NULL;
    }
    return r;
}

kdcap_reader *kdcap_open(const char *path, kdcap_format format, kd_dir raw_dir, char *err,
                         size_t errlen)
{
    return kdcap_open_net(path, format, raw_dir, NULL, err, errlen);
}

kdcap_reader *kdcap_open_net(const char *path, kdcap_format format, kd_dir raw_dir,
                             const kdcap_net_opts *net, char *err, size_t errlen)
{
    if (!path) {
        format_to(err, errlen, "%s", strerror(EINVAL));
        return NULL;
    }
    int is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        format_to(err, errlen, "%s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (!is_stdin)
            close(fd);
        format_to(err, errlen, "is a directory");
        return NULL;
    }
    kdcap_reader *r = reader_new(raw_dir);
    uint8_t *buf = malloc(INPUT_BUFFER);
    if (!r || !buf) {
        free(r);
        free(buf);
        if (!is_stdin)
            close(fd);
        format_to(err, errlen, "out of memory");
        return NULL;
    }
    r->fd = fd;
    r->own_fd = !is_stdin;
    if (net)
        r->net = *net;
    r->in_buf = buf;
    r->in = buf;
    input_sniff(r);
    return start(r, format, err, errlen);
}

kdcap_reader *kdcap_open_mem(const uint8_t *data, size_t len, kdcap_format format, kd_dir raw_dir,
                             char *err, size_t errlen)
{
    kdcap_reader *r = reader_new(raw_dir);
    if (!r) {
        format_to(err, errlen, "out of memory");
        return NULL;
    }
    static const uint8_t nothing[1];
    r->in = data ? data : nothing;
    r->in_len = data ? len : 0;
    r->in_eof = 1;
    return start(r, format, err, errlen);
}

int kdcap_next(kdcap_reader *r, kdcap_record *rec)
{
    if (!r || !rec)
        return -1;
    if (r->state != 0)
        return r->state < 0 ? -1 : 0;
    if (r->format == KDCAP_FORMAT_RAW)
        return raw_next(r, rec);
    if (r->format == KDCAP_FORMAT_PCAP)
        return pcap_next_rec(r, rec);
    return pcapng_next(r, rec);
}

void kdcap_net_summary_get(const kdcap_reader *r, kdcap_net_summary *out)
{
    memset(out, 0, sizeof *out);
    if (!r)
        return;
    out->network = r->ns != NULL || r->format == KDCAP_FORMAT_PCAP;
    if (!r->ns)
        return;
    netstream_stats st;
    netstream_get_stats(r->ns, &st);
    out->kd_streams = st.kd_convs;
    out->kdnet_convs = st.kdnet_convs;
    out->other_tcp = st.other_tcp;
    out->other_udp = st.other_udp;
    out->fragments = st.fragments;
    out->truncated = st.truncated;
    out->no_target = st.no_target;
    out->untracked = st.untracked;
}

const char *kdcap_error(const kdcap_reader *r)
{
    return r ? r->err : "no reader";
}

uint64_t kdcap_reader_offset(const kdcap_reader *r)
{
    if (r->pcap) {
        FILE *f = pcap_file(r->pcap);
        long at = f ? ftell(f) : -1;
        return at > 0 ? (uint64_t)at : 0;
    }
    return r->offset;
}

kdcap_format kdcap_reader_format(const kdcap_reader *r)
{
    return r ? r->format : KDCAP_FORMAT_AUTO;
}

const char *kdcap_section_comment(const kdcap_reader *r)
{
    return r ? r->comment : NULL;
}

const char *kdcap_interface_name(const kdcap_reader *r, kd_dir dir)
{
    if (!r || (dir != KD_DIR_D2T && dir != KD_DIR_T2D))
        return NULL;
    return r->if_name[dir];
}

void kdcap_close(kdcap_reader *r)
{
    if (!r)
        return;
    if (r->pcap)
        pcap_close(r->pcap);
    netstream_free(r->ns);
    if (r->fd >= 0 && r->own_fd)
        close(r->fd);
    free(r->in_buf);
    free(r->blk);
    free(r->ifs);
    free(r->comment);
    free(r->if_name[0]);
    free(r->if_name[1]);
    free(r);
}
