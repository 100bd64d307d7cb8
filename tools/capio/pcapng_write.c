/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pcapng_write.c - the kdscope pcapng writer (capio.h, design.md "Capture
 * files").
 *
 * The file is little-endian pcapng: one SHB, IDB 0 (d2t) and IDB 1 (t2d)
 * with link type 252, then one EPB per item whose data is the exported-PDU
 * TLVs [12 "kd"][35 dir][33 "KD"][0] followed by the item's bytes.
 *
 * Every block is built whole in memory before any of it goes to the fd, and
 * bytes only ever leave in order, so the file is always a valid pcapng up to
 * its last complete block.  The SHB and IDBs are written by
 * kdcap_writer_open itself, so a reader (Wireshark through extcap, say) sees
 * a valid header at once.
 */
#include "capio.h"
#include "pcapng.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define SNAPLEN 262144u
/* Blocks are collected up to this many bytes unless flush_each_block. */
#define BUFFER_LIMIT (64u * 1024u)
/* An option value is at most 65535 bytes; keep strings a multiple of 4 below. */
#define MAX_OPTION_VALUE 65532u

/* Exported-PDU TLVs before every item: [12 "kd"] 6 + [35 dir] 8 + [33 "KD"] 6 + [0] 4. */
#define TLV_HEADER_LEN 24u
/* EPB: type, length, if_id, ts_high, ts_low, caplen, origlen (28), data,
 * epb_flags (8), end of options (4), trailing length (4). */
#define EPB_OVERHEAD 44u

struct kdcap_writer {
    int fd;
    int flush_each;
    uint8_t *buf; /* bytes made but not yet written, always in file order */
    size_t len;
    size_t cap;
    int aligned;  /* buf starts with a whole block (no tail of a cut one) */
};

static size_t pad4(size_t n)
{
    return (n + 3u) & ~(size_t)3u;
}

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void put_le64(uint8_t *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, (uint32_t)(v >> 32));
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/*
 * Length of a string option value: the string, cut to MAX_OPTION_VALUE bytes
 * at a UTF-8 character boundary if it is longer.
 */
static size_t string_value_len(const char *s)
{
    size_t n = strlen(s);
    if (n <= MAX_OPTION_VALUE)
        return n;
    n = MAX_OPTION_VALUE;
    while (n > 0 && ((uint8_t)s[n] & 0xC0u) == 0x80u)
        n--;
    return n;
}

static size_t option_size(size_t value_len)
{
    return 4u + pad4(value_len);
}

/* Writes one option (code, length, value, zero padding); returns its size. */
static size_t put_option(uint8_t *p, uint16_t code, const void *value, size_t len)
{
    put_le16(p, code);
    put_le16(p + 2, (uint16_t)len);
    if (len)
        memcpy(p + 4, value, len);
    memset(p + 4 + len, 0, pad4(len) - len);
    return option_size(len);
}

static size_t put_string_option(uint8_t *p, uint16_t code, const char *s)
{
    return put_option(p, code, s, string_value_len(s));
}

/* Makes room for extra more bytes at the end of the pending buffer. */
static int reserve(kdcap_writer *w, size_t extra)
{
    if (extra > SIZE_MAX - w->len) {
        errno = ENOMEM;
        return -1;
    }
    size_t need = w->len + extra;
    if (need <= w->cap)
        return 0;
    size_t cap = w->cap ? w->cap : BUFFER_LIMIT;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(w->buf, cap);
    if (!p) {
        errno = ENOMEM;
        return -1;
    }
    w->buf = p;
    w->cap = cap;
    return 0;
}

/*
 * write(2) until all n bytes are out.  Retries on EINTR, waits on EAGAIN.
 * *done is how many bytes reached the fd, also on failure.
 */
static int write_all(int fd, const uint8_t *p, size_t n, size_t *done)
{
    *done = 0;
    while (*done < n) {
        size_t chunk = n - *done;
        if (chunk > (size_t)SSIZE_MAX)
            chunk = (size_t)SSIZE_MAX;
        ssize_t k = write(fd, p + *done, chunk);
        if (k > 0) {
            *done += (size_t)k;
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT, .revents = 0};
            if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
                return -1;
            continue;
        }
        if (k == 0)
            errno = EIO; /* no progress and no reason: do not spin */
        return -1;
    }
    return 0;
}

/*
 * Takes back the last `partial` bytes written to a regular file (the head
 * of a block whose tail could not be written).  Returns 0 when done.
 */
static int rollback(int fd, size_t partial)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return -1;
    off_t end = lseek(fd, 0, SEEK_CUR);
    if (end < 0 || (uint64_t)end < (uint64_t)partial)
        return -1;
    off_t keep = end - (off_t)partial;
    if (ftruncate(fd, keep) < 0 || lseek(fd, keep, SEEK_SET) != keep)
        return -1;
    return 0;
}

/* The end of the last whole block within the first n pending bytes (the
 * buffer must start with a whole block: w->aligned). */
static size_t whole_blocks(const kdcap_writer *w, size_t n)
{
    size_t off = 0;
    while (off + 8 <= w->len) {
        size_t size = (size_t)w->buf[off + 4] | (size_t)w->buf[off + 5] << 8 |
                      (size_t)w->buf[off + 6] << 16 | (size_t)w->buf[off + 7] << 24;
        if (size < 12 || size > w->len - off || off + size > n)
            break;
        off += size;
    }
    return off;
}

/*
 * Writes the pending bytes.  newest is the offset in the buffer of a block
 * that the caller is about to report as failed (SIZE_MAX: none): on failure
 * that block is taken out of the file and the buffer, whereas older bytes
 * that did not get out stay pending.  A block cut by the failure is taken
 * back out of a regular file, so the file ends with a whole block; where
 * that cannot be done (a pipe) its tail stays pending so a retry completes
 * it, and the file remains a prefix of the intended stream.  errno is kept
 * from the failing write.
 */
static int write_pending(kdcap_writer *w, size_t newest)
{
    size_t done;
    if (w->len == 0)
        return 0;
    if (write_all(w->fd, w->buf, w->len, &done) == 0) {
        w->len = 0;
        w->aligned = 1;
        return 0;
    }
    int err = errno;
    size_t end = w->len;
    if (w->aligned) {
        size_t whole = whole_blocks(w, done);
        if (whole < done && rollback(w->fd, done - whole) == 0)
            done = whole;
    }
    /* The newest block leaves the buffer unless part of it is in the file
     * for good (it could not be taken back): then its tail stays pending. */
    if (newest != SIZE_MAX && done <= newest)
        end = newest;
    int at_block = w->aligned && whole_blocks(w, done) == done;
    memmove(w->buf, w->buf + done, end - done);
    w->len = end - done;
    w->aligned = at_block;
    errno = err;
    return -1;
}

static size_t shb_size(const kdcap_writer_opts *o)
{
    size_t n = 12u + 16u + option_size(strlen("kdscope")) + 4u;
    if (o && o->comment)
        n += option_size(string_value_len(o->comment));
    return n;
}

static void put_shb(uint8_t *p, size_t size, const kdcap_writer_opts *o)
{
    put_le32(p, PCAPNG_BLOCK_SHB);
    put_le32(p + 4, (uint32_t)size);
    put_le32(p + 8, PCAPNG_BYTE_ORDER_MAGIC);
    put_le16(p + 12, 1); /* major */
    put_le16(p + 14, 0); /* minor */
    put_le64(p + 16, UINT64_MAX); /* section length -1: not known */
    size_t at = 24;
    if (o && o->comment)
        at += put_string_option(p + at, PCAPNG_OPT_COMMENT, o->comment);
    at += put_string_option(p + at, PCAPNG_OPT_SHB_USERAPPL, "kdscope");
    at += put_option(p + at, PCAPNG_OPT_END, NULL, 0);
    put_le32(p + at, (uint32_t)size);
}

static const char *const default_if_name[2] = {"d2t", "t2d"};
static const char *const default_if_description[2] = {"debugger -> target",
                                                       "target -> debugger"};

static const char *if_name_of(const kdcap_writer_opts *o, int dir)
{
    return o && o->if_name[dir] ? o->if_name[dir] : default_if_name[dir];
}

static const char *if_description_of(const kdcap_writer_opts *o, int dir)
{
    return o && o->if_description[dir] ? o->if_description[dir] : default_if_description[dir];
}

static size_t idb_size(const kdcap_writer_opts *o, int dir)
{
    return 12u + 8u + option_size(string_value_len(if_name_of(o, dir))) +
           option_size(string_value_len(if_description_of(o, dir))) + option_size(1) + 4u;
}

static void put_idb(uint8_t *p, size_t size, const kdcap_writer_opts *o, int dir)
{
    static const uint8_t tsresol = 9; /* 10^-9 s */
    put_le32(p, PCAPNG_BLOCK_IDB);
    put_le32(p + 4, (uint32_t)size);
    put_le16(p + 8, (uint16_t)KDCAP_LINKTYPE_UPPER_PDU);
    put_le16(p + 10, 0); /* reserved */
    put_le32(p + 12, SNAPLEN);
    size_t at = 16;
    at += put_string_option(p + at, PCAPNG_OPT_IF_NAME, if_name_of(o, dir));
    at += put_string_option(p + at, PCAPNG_OPT_IF_DESCRIPTION, if_description_of(o, dir));
    at += put_option(p + at, PCAPNG_OPT_IF_TSRESOL, &tsresol, 1);
    at += put_option(p + at, PCAPNG_OPT_END, NULL, 0);
    put_le32(p + at, (uint32_t)size);
}

/* The exported-PDU TLVs in front of every item: 24 bytes, big-endian. */
static void put_tlvs(uint8_t *p, kd_dir dir)
{
    put_be16(p, (uint16_t)KDCAP_TAG_DISSECTOR_NAME);
    put_be16(p + 2, 2);
    p[4] = 'k';
    p[5] = 'd';
    put_be16(p + 6, (uint16_t)KDCAP_TAG_P2P_DIRECTION);
    put_be16(p + 8, 4);
    put_be32(p + 10, (uint32_t)dir);
    put_be16(p + 14, (uint16_t)KDCAP_TAG_COL_PROT_TEXT);
    put_be16(p + 16, 2);
    p[18] = 'K';
    p[19] = 'D';
    put_be16(p + 20, (uint16_t)KDCAP_TAG_END);
    put_be16(p + 22, 0);
}

kdcap_writer *kdcap_writer_open(int fd, const kdcap_writer_opts *opts)
{
    if (fd < 0) {
        errno = EBADF;
        return NULL;
    }
    kdcap_writer *w = calloc(1, sizeof *w);
    if (!w) {
        errno = ENOMEM;
        return NULL;
    }
    w->fd = fd;
    w->flush_each = opts ? opts->flush_each_block : 0;
    w->aligned = 1;

    size_t s = shb_size(opts), i0 = idb_size(opts, 0), i1 = idb_size(opts, 1);
    if (reserve(w, s + i0 + i1) < 0) {
        free(w);
        errno = ENOMEM;
        return NULL;
    }
    put_shb(w->buf, s, opts);
    put_idb(w->buf + s, i0, opts, 0);
    put_idb(w->buf + s + i0, i1, opts, 1);
    w->len = s + i0 + i1;
    /* The header goes out at once, whatever the buffering. */
    if (write_pending(w, 0) < 0) {
        int err = errno;
        free(w->buf);
        free(w);
        errno = err;
        return NULL;
    }
    return w;
}

int kdcap_write_item(kdcap_writer *w, kd_dir dir, uint64_t ts_ns, const uint8_t *bytes, size_t len)
{
    if (!w || (dir != KD_DIR_D2T && dir != KD_DIR_T2D) || (len > 0 && !bytes)) {
        errno = EINVAL;
        return -1;
    }
    /* Stay within what our reader (and anyone's) accepts. */
    if (len > KDCAP_MAX_BLOCK || EPB_OVERHEAD + pad4(TLV_HEADER_LEN + len) > KDCAP_MAX_BLOCK) {
        errno = EMSGSIZE;
        return -1;
    }
    size_t caplen = TLV_HEADER_LEN + len;
    size_t size = EPB_OVERHEAD + pad4(caplen);

    if (!w->flush_each && w->len > 0 && w->len + size > BUFFER_LIMIT) {
        if (write_pending(w, SIZE_MAX) < 0)
            return -1;
    }
    if (reserve(w, size) < 0)
        return -1;

    size_t start = w->len;
    uint8_t *p = w->buf + start;
    put_le32(p, PCAPNG_BLOCK_EPB);
    put_le32(p + 4, (uint32_t)size);
    put_le32(p + 8, (uint32_t)dir); /* interface id: IDB 0 = d2t, IDB 1 = t2d */
    put_le32(p + 12, (uint32_t)(ts_ns >> 32));
    put_le32(p + 16, (uint32_t)ts_ns);
    put_le32(p + 20, (uint32_t)caplen);
    put_le32(p + 24, (uint32_t)caplen);
    put_tlvs(p + 28, dir);
    if (len)
        memcpy(p + 28 + TLV_HEADER_LEN, bytes, len);
    size_t o = 28 + caplen;
    memset(p + o, 0, pad4(caplen) - caplen);
    o = 28 + pad4(caplen);
    uint8_t flags[4];
    put_le32(flags, dir == KD_DIR_D2T ? PCAPNG_EPB_FLAG_OUTBOUND : PCAPNG_EPB_FLAG_INBOUND);
    o += put_option(p + o, PCAPNG_OPT_EPB_FLAGS, flags, 4);
    o += put_option(p + o, PCAPNG_OPT_END, NULL, 0);
    put_le32(p + o, (uint32_t)size);
    w->len += size;

    if (w->flush_each || w->len >= BUFFER_LIMIT)
        return write_pending(w, start);
    return 0;
}

size_t kdcap_block_size(size_t len)
{
    return EPB_OVERHEAD + pad4(TLV_HEADER_LEN + len);
}

int kdcap_writer_flush(kdcap_writer *w)
{
    if (!w) {
        errno = EINVAL;
        return -1;
    }
    return write_pending(w, SIZE_MAX);
}

int kdcap_writer_close(kdcap_writer *w)
{
    if (!w)
        return 0;
    int rc = write_pending(w, SIZE_MAX);
    int err = errno;
    free(w->buf);
    free(w);
    errno = err;
    return rc;
}
