/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Capture I/O tests: the pcapng writer read back by our reader and by
 * libpcap, every truncation point of a written file, flushing per block,
 * write errors (/dev/full, a file size limit), format detection, hand-built
 * big-endian pcapng, and each refusal of the reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capio.h"
#include "kdbytes.h"

/* ------------------------------------------------------------ the items */

#define NITEMS 24

typedef struct item {
    kd_dir dir;
    uint64_t ts_ns;
    uint8_t *bytes;
    size_t len;
} item;

static item items[NITEMS];

static const size_t item_sizes[NITEMS] = {1,  2,   3,    4,    5,    6,    7,    8,
                                          15, 16,  17,   23,   24,   25,   100,  255,
                                          256, 1000, 1023, 2048, 3999, 4000, 4016, 4017};

static const uint64_t item_ts[NITEMS] = {
    1u,
    999u,
    1000000u,
    4294967295u,          /* 2^32 - 1 */
    4294967296u,          /* 2^32 */
    4294967297u,
    123456789012u,
    1000000000000u,
    1700000000000000000u, /* a real epoch time */
    1700000000000000001u,
    1700000000123456789u,
    1700000000999999999u,
    1700000001000000000u,
    1700000001000000007u,
    1700000002500000000u,
    1700000003000000001u,
    1700000004000000002u,
    1700000005000000003u,
    1700000006000000004u,
    1700000007000000005u,
    1700000008000000006u,
    1700000009000000007u,
    1700000010000000008u,
    18446744073709551615u, /* 2^64 - 1 */
};

static int items_setup(void **state)
{
    (void)state;
    kdb_rng rng = {0x9E3779B97F4A7C15u};
    for (size_t i = 0; i < NITEMS; i++) {
        items[i].dir = (i % 3 == 1) ? KD_DIR_D2T : KD_DIR_T2D;
        items[i].ts_ns = item_ts[i];
        items[i].len = item_sizes[i];
        items[i].bytes = malloc(items[i].len);
        assert_non_null(items[i].bytes);
        for (size_t k = 0; k < items[i].len; k++)
            items[i].bytes[k] = (uint8_t)kdb_rand(&rng);
    }
    /* One item that looks like a real ACK, one with NULs and 0x0A0D0D0A. */
    static const uint8_t ack[16] = {0x69, 0x69, 0x69, 0x69, 0x04, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x80, 0x80, 0x00, 0x00, 0x00, 0x00};
    free(items[9].bytes);
    items[9].bytes = malloc(16);
    assert_non_null(items[9].bytes);
    memcpy(items[9].bytes, ack, 16);
    static const uint8_t odd[8] = {0x0A, 0x0D, 0x0D, 0x0A, 0x00, 0x00, 0x00, 0x00};
    memcpy(items[7].bytes, odd, 8);
    return 0;
}

static int items_teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < NITEMS; i++)
        free(items[i].bytes);
    return 0;
}

static size_t epb_size(size_t len)
{
    return 44u + ((24u + len + 3u) & ~(size_t)3u);
}

/* ------------------------------------------------------------ files */

static int temp_fd(char *path)
{
    strcpy(path, "/tmp/test_capio_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    return fd;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        if (k == 0)
            break;
        n += k;
    }
    fclose(f);
    *len = n;
    return buf;
}

static int contains(const uint8_t *buf, size_t len, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(buf + i, s, n) == 0)
            return 1;
    return 0;
}

static off_t file_size(int fd)
{
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    return st.st_size;
}

static const kdcap_writer_opts write_opts = {
    .comment = "kdtap 0.1.0 --test \xc3\xa9t\xc3\xa9",
    .if_name = {"COM1", NULL},
    .if_description = {NULL, "from the target"},
    .flush_each_block = 0,
};

/* Writes all items to path with opts; returns the size written. */
static void write_items(int fd, const kdcap_writer_opts *opts)
{
    kdcap_writer *w = kdcap_writer_open(fd, opts);
    assert_non_null(w);
    for (size_t i = 0; i < NITEMS; i++)
        assert_int_equal(
            kdcap_write_item(w, items[i].dir, items[i].ts_ns, items[i].bytes, items[i].len), 0);
    assert_int_equal(kdcap_writer_close(w), 0);
}

static void check_records(kdcap_reader *r)
{
    kdcap_record rec;
    for (size_t i = 0; i < NITEMS; i++) {
        assert_int_equal(kdcap_next(r, &rec), 1);
        assert_int_equal(rec.frame, i + 1);
        assert_int_equal(rec.dir, items[i].dir);
        assert_true(rec.ts_ns == items[i].ts_ns);
        assert_int_equal(rec.len, items[i].len);
        assert_memory_equal(rec.bytes, items[i].bytes, items[i].len);
    }
    assert_int_equal(kdcap_next(r, &rec), 0);
    assert_int_equal(kdcap_next(r, &rec), 0);
}

/* (a) */
static void test_write_read_back(void **state)
{
    (void)state;
    char path[64];
    int fd = temp_fd(path);
    write_items(fd, &write_opts);
    close(fd);

    char err[256] = "";
    kdcap_reader *r = kdcap_open(path, KDCAP_FORMAT_AUTO, KD_DIR_UNKNOWN, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(kdcap_reader_format(r), KDCAP_FORMAT_PCAPNG);
    assert_string_equal(kdcap_section_comment(r), write_opts.comment);
    assert_string_equal(kdcap_interface_name(r, KD_DIR_D2T), "COM1");
    assert_string_equal(kdcap_interface_name(r, KD_DIR_T2D), "t2d");
    assert_null(kdcap_interface_name(r, KD_DIR_UNKNOWN));
    check_records(r);
    kdcap_close(r);

    /* The same from memory, and forced. */
    size_t len;
    uint8_t *buf = slurp(path, &len);
    r = kdcap_open_mem(buf, len, KDCAP_FORMAT_PCAPNG, KD_DIR_UNKNOWN, err, sizeof err);
    assert_non_null(r);
    check_records(r);
    kdcap_close(r);
    free(buf);
    unlink(path);
}

/* No options at all: no comment, default names and descriptions. */
static void test_write_defaults(void **state)
{
    (void)state;
    char path[64];
    int fd = temp_fd(path);
    write_items(fd, NULL);
    close(fd);
    size_t len;
    uint8_t *buf = slurp(path, &len);
    char err[256];
    kdcap_reader *r = kdcap_open_mem(buf, len, KDCAP_FORMAT_AUTO, KD_DIR_UNKNOWN, err, sizeof err);
    assert_non_null(r);
    assert_null(kdcap_section_comment(r));
    assert_string_equal(kdcap_interface_name(r, KD_DIR_D2T), "d2t");
    assert_string_equal(kdcap_interface_name(r, KD_DIR_T2D), "t2d");
    check_records(r);
    kdcap_close(r);

    /* The descriptions are in the IDBs as written. */
    static const char d0[] = "debugger -> target", d1[] = "target -> debugger";
    assert_true(contains(buf, len, d0));
    assert_true(contains(buf, len, d1));
    assert_true(contains(buf, len, "kdscope"));
    free(buf);
    unlink(path);
}

/* (b) */
static void test_libpcap_reads_it(void **state)
{
    (void)state;
    char path[64];
    int fd = temp_fd(path);
    write_items(fd, &write_opts);
    close(fd);

    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!p)
        fail_msg("libpcap: %s", errbuf);
    assert_int_equal(pcap_datalink(p), 252);
    struct pcap_pkthdr *h;
    const u_char *data;
    size_t n = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        assert_true(n < NITEMS);
        const item *it = &items[n];
        const uint8_t tlv[24] = {0x00, 0x0c, 0x00, 0x02, 'k',  'd',  0x00, 0x23,
                                 0x00, 0x04, 0x00, 0x00, 0x00, (uint8_t)it->dir, 0x00, 0x21,
                                 0x00, 0x02, 'K',  'D',  0x00, 0x00, 0x00, 0x00};
        assert_int_equal(h->caplen, 24 + it->len);
        assert_int_equal(h->len, 24 + it->len);
        assert_memory_equal(data, tlv, 24);
        assert_memory_equal(data + 24, it->bytes, it->len);
        uint64_t ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
        assert_true(ns == it->ts_ns);
        n++;
    }
    assert_int_equal(rc, PCAP_ERROR_BREAK);
    assert_int_equal(n, NITEMS);
    pcap_close(p);
    unlink(path);
}

/* (c) */
static void test_every_truncation(void **state)
{
    (void)state;
    char path[64];
    int fd = temp_fd(path);
    write_items(fd, &write_opts);
    close(fd);
    size_t len;
    uint8_t *buf = slurp(path, &len);
    unlink(path);

    /* Block ends, from the little-endian lengths we wrote. */
    size_t ends[NITEMS + 3], nends = 0, at = 0;
    while (at < len) {
        uint32_t bl = (uint32_t)buf[at + 4] | (uint32_t)buf[at + 5] << 8 |
                      (uint32_t)buf[at + 6] << 16 | (uint32_t)buf[at + 7] << 24;
        at += bl;
        assert_true(nends < NITEMS + 3);
        ends[nends++] = at;
    }
    assert_int_equal(at, len);
    assert_int_equal(nends, NITEMS + 3);

    for (size_t cut = 0; cut <= len; cut++) {
        int boundary = 0;
        size_t complete = 0; /* EPBs wholly inside the prefix */
        for (size_t i = 0; i < nends; i++) {
            if (ends[i] == cut)
                boundary = 1;
            if (i >= 3 && ends[i] <= cut)
                complete++;
        }
        char err[256] = "";
        uint8_t *copy = malloc(cut ? cut : 1); /* exact size, so ASan sees overreads */
        assert_non_null(copy);
        memcpy(copy, buf, cut);
        kdcap_reader *r = kdcap_open_mem(copy, cut, KDCAP_FORMAT_AUTO, KD_DIR_UNKNOWN, err,
                                         sizeof err);
        if (!r) {
            assert_true(err[0] != '\0');
            assert_null(strchr(err, '\n'));
            if (cut == 0)
                assert_string_equal(err, "empty file");
            else if (cut < 4)
                assert_string_equal(
                    err, "not a pcapng file or a KD byte stream (use --format raw to force)");
            else {
                assert_false(boundary);
                if (!strstr(err, "truncated"))
                    fail_msg("cut %zu: %s", cut, err);
            }
            free(copy);
            continue;
        }
        kdcap_record rec;
        size_t n = 0;
        int rc;
        while ((rc = kdcap_next(r, &rec)) == 1) {
            assert_true(n < NITEMS);
            assert_int_equal(rec.frame, n + 1);
            assert_int_equal(rec.dir, items[n].dir);
            assert_true(rec.ts_ns == items[n].ts_ns);
            assert_int_equal(rec.len, items[n].len);
            assert_memory_equal(rec.bytes, items[n].bytes, rec.len);
            n++;
        }
        assert_int_equal(n, complete);
        if (rc == 0) {
            if (!boundary)
                fail_msg("cut %zu: clean end inside a block", cut);
        } else {
            assert_int_equal(rc, -1);
            assert_false(boundary);
            if (!strstr(kdcap_error(r), "truncated"))
                fail_msg("cut %zu: %s", cut, kdcap_error(r));
        }
        kdcap_close(r);
        free(copy);
    }
    free(buf);
}

/* (d) */
static void test_flush_each_block(void **state)
{
    (void)state;
    char path[64];
    int fd = temp_fd(path);
    kdcap_writer_opts o = write_opts;
    o.flush_each_block = 1;
    kdcap_writer *w = kdcap_writer_open(fd, &o);
    assert_non_null(w);
    off_t size = file_size(fd);
    assert_true(size > 0);
    for (size_t i = 0; i < NITEMS; i++) {
        assert_int_equal(
            kdcap_write_item(w, items[i].dir, items[i].ts_ns, items[i].bytes, items[i].len), 0);
        size += (off_t)epb_size(items[i].len);
        assert_int_equal(file_size(fd), size);
    }
    assert_int_equal(kdcap_writer_close(w), 0);
    assert_int_equal(file_size(fd), size);
    close(fd);
    unlink(path);

    /* Buffered: the header goes out at once, the items on flush. */
    fd = temp_fd(path);
    o.flush_each_block = 0;
    w = kdcap_writer_open(fd, &o);
    assert_non_null(w);
    off_t header = file_size(fd);
    assert_true(header > 0);
    size = header;
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(
            kdcap_write_item(w, items[i].dir, items[i].ts_ns, items[i].bytes, items[i].len), 0);
        size += (off_t)epb_size(items[i].len);
    }
    assert_int_equal(file_size(fd), header);
    assert_int_equal(kdcap_writer_flush(w), 0);
    assert_int_equal(file_size(fd), size);
    assert_int_equal(kdcap_writer_close(w), 0);
    close(fd);
    unlink(path);
}

/* Buffering stays near 64 KiB: many items reach the file before the end. */
static void test_buffer_bound(void **state)
{
    (void)state;
    char path[64];
    int fd = temp_fd(path);
    kdcap_writer *w = kdcap_writer_open(fd, NULL);
    assert_non_null(w);
    uint8_t body[4017];
    memset(body, 0x30, sizeof body);
    size_t total = (size_t)file_size(fd);
    for (int i = 0; i < 200; i++) {
        assert_int_equal(kdcap_write_item(w, KD_DIR_T2D, (uint64_t)i, body, sizeof body), 0);
        total += epb_size(sizeof body);
        assert_true((size_t)file_size(fd) + 70000u > total);
    }
    assert_int_equal(kdcap_writer_close(w), 0);
    assert_int_equal((size_t)file_size(fd), total);
    close(fd);
    unlink(path);
}

/* (e) */
static void test_dev_full(void **state)
{
    (void)state;
    int full = open("/dev/full", O_WRONLY);
    if (full < 0)
        skip();
    kdcap_writer_opts o = {.flush_each_block = 1};

    /* The header cannot be written. */
    errno = 0;
    assert_null(kdcap_writer_open(full, &o));
    assert_int_equal(errno, ENOSPC);

    /* The items cannot be written. */
    char path[64];
    int fd = temp_fd(path);
    kdcap_writer *w = kdcap_writer_open(fd, &o);
    assert_non_null(w);
    assert_true(dup2(full, fd) == fd);
    errno = 0;
    assert_int_equal(kdcap_write_item(w, KD_DIR_D2T, 1, items[0].bytes, items[0].len), -1);
    assert_int_equal(errno, ENOSPC);
    errno = 0;
    assert_int_equal(kdcap_write_item(w, KD_DIR_T2D, 2, items[5].bytes, items[5].len), -1);
    assert_int_equal(errno, ENOSPC);
    assert_int_equal(kdcap_writer_close(w), 0); /* the failed blocks are not pending */
    close(fd);

    /* Buffered: the failure shows at flush and at close. */
    fd = temp_fd(path);
    o.flush_each_block = 0;
    w = kdcap_writer_open(fd, &o);
    assert_non_null(w);
    assert_true(dup2(full, fd) == fd);
    assert_int_equal(kdcap_write_item(w, KD_DIR_D2T, 1, items[0].bytes, items[0].len), 0);
    errno = 0;
    assert_int_equal(kdcap_writer_flush(w), -1);
    assert_int_equal(errno, ENOSPC);
    errno = 0;
    assert_int_equal(kdcap_writer_close(w), -1);
    assert_int_equal(errno, ENOSPC);
    close(fd);
    close(full);
    unlink(path);

    /* Bad arguments. */
    errno = 0;
    assert_null(kdcap_writer_open(-1, NULL));
    assert_int_equal(errno, EBADF);
}

/* A block cut by a file size limit is taken back: the file stays clean. */
static void test_partial_write_rolled_back(void **state)
{
    (void)state;
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    char path[64];
    int fd = temp_fd(path);
    kdcap_writer_opts o = {.flush_each_block = 1};
    kdcap_writer *w = kdcap_writer_open(fd, &o);
    assert_non_null(w);
    assert_int_equal(kdcap_write_item(w, KD_DIR_D2T, 5, items[3].bytes, items[3].len), 0);
    off_t good = file_size(fd);

    lim = old;
    lim.rlim_cur = (rlim_t)good + 100;
    if (old.rlim_cur != RLIM_INFINITY && old.rlim_cur < lim.rlim_cur)
        skip();
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    errno = 0;
    int rc = kdcap_write_item(w, KD_DIR_T2D, 6, items[17].bytes, items[17].len);
    int e = errno;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, -1);
    assert_int_equal(e, EFBIG);
    assert_int_equal(file_size(fd), good);

    /* The writer goes on where the file ends. */
    assert_int_equal(kdcap_write_item(w, KD_DIR_T2D, 7, items[4].bytes, items[4].len), 0);
    assert_int_equal(kdcap_writer_close(w), 0);
    close(fd);

    char err[256];
    kdcap_reader *r = kdcap_open(path, KDCAP_FORMAT_AUTO, KD_DIR_UNKNOWN, err, sizeof err);
    assert_non_null(r);
    kdcap_record rec;
    assert_int_equal(kdcap_next(r, &rec), 1);
    assert_int_equal(rec.ts_ns, 5);
    assert_memory_equal(rec.bytes, items[3].bytes, items[3].len);
    assert_int_equal(kdcap_next(r, &rec), 1);
    assert_int_equal(rec.ts_ns, 7);
    assert_int_equal(rec.dir, KD_DIR_T2D);
    assert_memory_equal(rec.bytes, items[4].bytes, items[4].len);
    assert_int_equal(kdcap_next(r, &rec), 0);
    kdcap_close(r);
    unlink(path);
}

static void test_write_bad_args(void **state)
{
    (void)state;
    char path[64];
    int fd = temp_fd(path);
    kdcap_writer *w = kdcap_writer_open(fd, NULL);
    assert_non_null(w);
    errno = 0;
    assert_int_equal(kdcap_write_item(w, KD_DIR_UNKNOWN, 0, items[0].bytes, 1), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(kdcap_write_item(w, KD_DIR_D2T, 0, NULL, 1), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(kdcap_write_item(w, KD_DIR_D2T, 0, items[0].bytes, KDCAP_MAX_BLOCK), -1);
    assert_int_equal(errno, EMSGSIZE);
    /* An empty item is a record with only the TLVs. */
    assert_int_equal(kdcap_write_item(w, KD_DIR_D2T, 3, NULL, 0), 0);
    assert_int_equal(kdcap_writer_close(w), 0);
    close(fd);

    char err[256];
    kdcap_reader *r = kdcap_open(path, KDCAP_FORMAT_AUTO, KD_DIR_UNKNOWN, err, sizeof err);
    assert_non_null(r);
    kdcap_record rec;
    assert_int_equal(kdcap_next(r, &rec), 1);
    assert_int_equal(rec.len, 0);
    assert_int_equal(rec.ts_ns, 3);
    assert_int_equal(kdcap_next(r, &rec), 0);
    kdcap_close(r);
    unlink(path);
}

/* ------------------------------------------------------------ detection */

static const uint8_t ack_bytes[16] = {0x69, 0x69, 0x69, 0x69, 0x04, 0x00, 0x00, 0x00,
                                      0x00, 0x00, 0x80, 0x80, 0x00, 0x00, 0x00, 0x00};

static void expect_refused(const uint8_t *buf, size_t len, kdcap_format f, const char *why)
{
    char err[256] = "";
    kdcap_reader *r = kdcap_open_mem(buf, len, f, KD_DIR_T2D, err, sizeof err);
    if (r) {
        kdcap_close(r);
        fail_msg("accepted, expected: %s", why);
    }
    assert_string_equal(err, why);
}

static const char not_kd[] = "not a pcapng file or a KD byte stream (use --format raw to force)";

/* (f) */
static void test_detect_raw(void **state)
{
    (void)state;
    char err[256];
    kdcap_record rec;
    kdcap_reader *r = kdcap_open_mem(ack_bytes, sizeof ack_bytes, KDCAP_FORMAT_AUTO, KD_DIR_T2D,
                                     err, sizeof err);
    assert_non_null(r);
    assert_int_equal(kdcap_reader_format(r), KDCAP_FORMAT_RAW);
    assert_null(kdcap_section_comment(r));
    assert_null(kdcap_interface_name(r, KD_DIR_T2D));
    assert_int_equal(kdcap_next(r, &rec), 1);
    assert_int_equal(rec.frame, 1);
    assert_int_equal(rec.ts_ns, 0);
    assert_int_equal(rec.dir, KD_DIR_T2D);
    assert_int_equal(rec.len, sizeof ack_bytes);
    assert_memory_equal(rec.bytes, ack_bytes, sizeof ack_bytes);
    assert_int_equal(kdcap_next(r, &rec), 0);
    kdcap_close(r);

    /* Noise around a good data packet. */
    kdb_buf b = {0};
    kdb_bytes(&b, "garbage", 7);
    static const uint8_t body[5] = {1, 2, 3, 4, 5};
    kdb_data_packet(&b, KD_TYPE_DEBUG_IO, KD_INITIAL_PACKET_ID, body, sizeof body, 1);
    kdb_bytes(&b, "more", 4);
    r = kdcap_open_mem(b.data, b.len, KDCAP_FORMAT_AUTO, KD_DIR_D2T, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(kdcap_reader_format(r), KDCAP_FORMAT_RAW);
    kdcap_close(r);

    /* A data packet with a bad checksum alone is not proof. */
    b.data[7 + 12] ^= 1;
    expect_refused(b.data, b.len, KDCAP_FORMAT_AUTO, not_kd);
    kdb_free(&b);

    /* A control packet of an unknown type is not proof either. */
    uint8_t ctl[16];
    memcpy(ctl, ack_bytes, 16);
    ctl[4] = 9;
    expect_refused(ctl, sizeof ctl, KDCAP_FORMAT_AUTO, not_kd);

    /* Break-in bytes only. */
    uint8_t bb[300];
    memset(bb, 0x62, sizeof bb);
    r = kdcap_open_mem(bb, sizeof bb, KDCAP_FORMAT_AUTO, KD_DIR_D2T, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(kdcap_reader_format(r), KDCAP_FORMAT_RAW);
    assert_int_equal(kdcap_next(r, &rec), 1);
    assert_int_equal(rec.len, sizeof bb);
    assert_int_equal(rec.dir, KD_DIR_D2T);
    kdcap_close(r);
}

static void test_raw_chunks(void **state)
{
    (void)state;
    size_t len = 150000;
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    for (size_t i = 0; i < len; i++)
        buf[i] = ack_bytes[i % 16];
    char err[256];
    char path[64];
    int fd = temp_fd(path);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    close(fd);

    for (int from_file = 0; from_file < 2; from_file++) {
        kdcap_reader *r =
            from_file ? kdcap_open(path, KDCAP_FORMAT_AUTO, KD_DIR_D2T, err, sizeof err)
                      : kdcap_open_mem(buf, len, KDCAP_FORMAT_AUTO, KD_DIR_D2T, err, sizeof err);
        assert_non_null(r);
        assert_int_equal(kdcap_reader_format(r), KDCAP_FORMAT_RAW);
        kdcap_record rec;
        size_t at = 0;
        uint64_t frame = 0;
        while (kdcap_next(r, &rec) == 1) {
            assert_int_equal(rec.frame, ++frame);
            assert_true(rec.len <= 65536);
            assert_true(rec.len == 65536 || at + rec.len == len);
            assert_memory_equal(rec.bytes, buf + at, rec.len);
            at += rec.len;
        }
        assert_int_equal(at, len);
        assert_int_equal(frame, 3);
        kdcap_close(r);
    }
    unlink(path);
    free(buf);
}

static void test_refusals(void **state)
{
    (void)state;
    static const uint8_t png[16] = {0x89, 'P',  'N',  'G',  0x0D, 0x0A, 0x1A, 0x0A,
                                    0x00, 0x00, 0x00, 0x0D, 'I',  'H',  'D',  'R'};
    expect_refused(png, sizeof png, KDCAP_FORMAT_AUTO, not_kd);
    expect_refused(png, 0, KDCAP_FORMAT_AUTO, "empty file");
    expect_refused(NULL, 0, KDCAP_FORMAT_AUTO, "empty file");
    expect_refused(ack_bytes, sizeof ack_bytes, KDCAP_FORMAT_PCAPNG, "not a pcapng file");

    static const uint8_t pcap_le[24] = {0xD4, 0xC3, 0xB2, 0xA1, 0x02, 0x00, 0x04, 0x00,
                                        0,    0,    0,    0,    0,    0,    0,    0,
                                        0x00, 0x00, 0x04, 0x00, 0x93, 0x00, 0x00, 0x00};
    static const uint8_t heads[4][4] = {{0xA1, 0xB2, 0xC3, 0xD4},
                                        {0xD4, 0xC3, 0xB2, 0xA1},
                                        {0xA1, 0xB2, 0x3C, 0x4D},
                                        {0x4D, 0x3C, 0xB2, 0xA1}};
    /* Classic pcap is read (through libpcap); a link type netparse does not
     * take (147, USER0) is refused by number. */
    expect_refused(pcap_le, sizeof pcap_le, KDCAP_FORMAT_AUTO, "link type 147 is not supported");
    for (int i = 0; i < 4; i++) {
        uint8_t h[24];
        memcpy(h, pcap_le, sizeof h);
        memcpy(h, heads[i], 4);
        char err[256] = "";
        kdcap_reader *r = kdcap_open_mem(h, sizeof h, KDCAP_FORMAT_AUTO, KD_DIR_T2D, err, sizeof err);
        assert_null(r);
        assert_true(strncmp(err, "link type ", 10) == 0 || strncmp(err, "bad pcap file: ", 15) == 0);
    }

    /* Forced raw takes anything. */
    char err[256];
    kdcap_reader *r =
        kdcap_open_mem(png, sizeof png, KDCAP_FORMAT_RAW, KD_DIR_T2D, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(kdcap_reader_format(r), KDCAP_FORMAT_RAW);
    kdcap_record rec;
    assert_int_equal(kdcap_next(r, &rec), 1);
    assert_memory_equal(rec.bytes, png, sizeof png);
    kdcap_close(r);

    /* Files. */
    r = kdcap_open("/tmp", KDCAP_FORMAT_AUTO, KD_DIR_T2D, err, sizeof err);
    assert_null(r);
    assert_string_equal(err, "is a directory");
    r = kdcap_open("/nonexistent/kdscope/capture", KDCAP_FORMAT_AUTO, KD_DIR_T2D, err, sizeof err);
    assert_null(r);
    assert_string_equal(err, strerror(ENOENT));
    char path[64];
    int fd = temp_fd(path);
    close(fd);
    r = kdcap_open(path, KDCAP_FORMAT_AUTO, KD_DIR_T2D, err, sizeof err);
    assert_null(r);
    assert_string_equal(err, "empty file");
    unlink(path);

    /* A NULL or tiny error buffer is fine. */
    assert_null(kdcap_open_mem(png, sizeof png, KDCAP_FORMAT_AUTO, KD_DIR_T2D, NULL, 0));
    char tiny[4];
    assert_null(kdcap_open_mem(png, sizeof png, KDCAP_FORMAT_AUTO, KD_DIR_T2D, tiny, sizeof tiny));
    assert_string_equal(tiny, "not");
}

/* ------------------------------------------------------------ hand-built pcapng */

typedef struct ng {
    kdb_buf b;
    int be;
    size_t block; /* start of the open block */
} ng;

static void ng_u16(ng *n, uint16_t v)
{
    uint8_t p[2] = {(uint8_t)(n->be ? v >> 8 : v), (uint8_t)(n->be ? v : v >> 8)};
    kdb_bytes(&n->b, p, 2);
}

static void ng_u32(ng *n, uint32_t v)
{
    if (n->be) {
        uint8_t p[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
        kdb_bytes(&n->b, p, 4);
    } else {
        kdb_le32(&n->b, v);
    }
}

static void ng_pad(ng *n)
{
    while (n->b.len % 4)
        kdb_u8(&n->b, 0);
}

static void ng_begin(ng *n, uint32_t type)
{
    n->block = n->b.len;
    ng_u32(n, type);
    ng_u32(n, 0); /* patched by ng_end */
}

static void ng_end(ng *n)
{
    ng_pad(n);
    uint32_t total = (uint32_t)(n->b.len - n->block + 4);
    ng_u32(n, total);
    uint8_t *p = n->b.data + n->block + 4;
    if (n->be) {
        p[0] = (uint8_t)(total >> 24);
        p[1] = (uint8_t)(total >> 16);
        p[2] = (uint8_t)(total >> 8);
        p[3] = (uint8_t)total;
    } else {
        kdb_put32(p, total);
    }
}

static void ng_opt(ng *n, uint16_t code, const void *v, size_t len)
{
    ng_u16(n, code);
    ng_u16(n, (uint16_t)len);
    kdb_bytes(&n->b, v, len);
    ng_pad(n);
}

static void ng_shb(ng *n, const char *comment)
{
    ng_begin(n, 0x0A0D0D0Au);
    ng_u32(n, 0x1A2B3C4Du);
    ng_u16(n, 1);
    ng_u16(n, 0);
    ng_u32(n, 0xFFFFFFFFu);
    ng_u32(n, 0xFFFFFFFFu);
    if (comment)
        ng_opt(n, 1, comment, strlen(comment));
    ng_opt(n, 0, NULL, 0);
    ng_end(n);
}

/* tsresol < 0: no option. */
static void ng_idb(ng *n, uint16_t linktype, const char *name, int tsresol)
{
    ng_begin(n, 1);
    ng_u16(n, linktype);
    ng_u16(n, 0);
    ng_u32(n, 0);
    if (name)
        ng_opt(n, 2, name, strlen(name));
    if (tsresol >= 0) {
        uint8_t v = (uint8_t)tsresol;
        ng_opt(n, 9, &v, 1);
    }
    ng_opt(n, 0, NULL, 0);
    ng_end(n);
}

/* An EPB; flags < 0: no epb_flags option. */
static void ng_epb(ng *n, uint32_t ifid, uint64_t ts, const uint8_t *data, size_t len,
                   int64_t flags)
{
    ng_begin(n, 6);
    ng_u32(n, ifid);
    ng_u32(n, (uint32_t)(ts >> 32));
    ng_u32(n, (uint32_t)ts);
    ng_u32(n, (uint32_t)len);
    ng_u32(n, (uint32_t)len);
    kdb_bytes(&n->b, data, len);
    ng_pad(n);
    if (flags >= 0) {
        uint8_t v[4];
        if (n->be) {
            v[0] = v[1] = v[2] = 0;
            v[3] = (uint8_t)flags;
        } else {
            kdb_put32(v, (uint32_t)flags);
        }
        ng_opt(n, 2, v, 4);
        ng_opt(n, 0, NULL, 0);
    }
    ng_end(n);
}

/* Exported-PDU record: TLVs (big-endian whatever the file) then payload. */
static size_t make_record(uint8_t *out, const char *dissector, size_t name_len, int dir,
                          const uint8_t *payload, size_t len)
{
    size_t o = 0;
    if (dissector) {
        out[o++] = 0;
        out[o++] = 12;
        out[o++] = 0;
        out[o++] = (uint8_t)name_len;
        memset(out + o, 0, name_len);
        memcpy(out + o, dissector, strlen(dissector));
        o += name_len;
    }
    if (dir >= 0) {
        static const uint8_t t[4] = {0, 35, 0, 4};
        memcpy(out + o, t, 4);
        o += 4;
        out[o++] = 0;
        out[o++] = 0;
        out[o++] = 0;
        out[o++] = (uint8_t)dir;
    }
    memset(out + o, 0, 4);
    o += 4;
    memcpy(out + o, payload, len);
    return o + len;
}

static void test_big_endian(void **state)
{
    (void)state;
    ng n = {.be = 1};
    uint8_t rec1[64], rec2[64], rec3[64];
    static const uint8_t p1[5] = {0x30, 0x30, 0x30, 0x30, 0x02};
    static const uint8_t p2[3] = {0xAA, 0xBB, 0xCC};
    size_t l1 = make_record(rec1, "kd", 4, -1, p1, sizeof p1);         /* "kd\0\0", flags */
    size_t l2 = make_record(rec2, NULL, 0, 0, p2, sizeof p2);          /* tag 35 only */
    size_t l3 = make_record(rec3, "kd", 2, -1, ack_bytes, sizeof ack_bytes); /* nothing */

    ng_shb(&n, "big-endian test");
    ng_idb(&n, 252, "be0", -1);         /* microseconds */
    ng_idb(&n, 252, "be1", 0x80 | 10); /* 2^-10 s */
    /* A name resolution block and a custom block, to be skipped. */
    ng_begin(&n, 4);
    ng_u32(&n, 0);
    ng_end(&n);
    ng_begin(&n, 0x00000BADu);
    ng_u32(&n, 12345);
    ng_end(&n);
    ng_epb(&n, 0, 1234567u, rec1, l1, 1); /* inbound */
    /* A simple packet block: skipped, but it is frame 2. */
    ng_begin(&n, 3);
    ng_u32(&n, 3);
    kdb_bytes(&n.b, "abc", 3);
    ng_end(&n);
    ng_epb(&n, 1, 3u * 1024u + 512u, rec2, l2, 1); /* tag 35 wins over flags */
    ng_epb(&n, 1, 5u * 1024u, rec3, l3, -1);
    /* A second section, little-endian, whose interface 0 is in ns. */
    ng n2 = {.be = 0};
    ng_shb(&n2, "second");
    ng_idb(&n2, 252, "le0", 9);
    ng_epb(&n2, 0, 0x0000000100000002u, rec2, l2, 2);
    kdb_bytes(&n.b, n2.b.data, n2.b.len);
    kdb_free(&n2.b);

    char err[256];
    kdcap_reader *r = kdcap_open_mem(n.b.data, n.b.len, KDCAP_FORMAT_AUTO, KD_DIR_UNKNOWN, err,
                                     sizeof err);
    if (!r)
        fail_msg("%s", err);
    assert_int_equal(kdcap_reader_format(r), KDCAP_FORMAT_PCAPNG);
    assert_string_equal(kdcap_section_comment(r), "big-endian test");
    assert_string_equal(kdcap_interface_name(r, KD_DIR_D2T), "be0");
    assert_string_equal(kdcap_interface_name(r, KD_DIR_T2D), "be1");

    kdcap_record rec;
    assert_int_equal(kdcap_next(r, &rec), 1);
    assert_int_equal(rec.frame, 1);
    assert_int_equal(rec.dir, KD_DIR_T2D);
    assert_int_equal(rec.ts_ns, 1234567000u);
    assert_int_equal(rec.len, sizeof p1);
    assert_memory_equal(rec.bytes, p1, sizeof p1);

    assert_int_equal(kdcap_next(r, &rec), 1);
    assert_int_equal(rec.frame, 3);
    assert_int_equal(rec.dir, KD_DIR_D2T);
    assert_int_equal(rec.ts_ns, 3500000000u);
    assert_memory_equal(rec.bytes, p2, sizeof p2);

    assert_int_equal(kdcap_next(r, &rec), 1);
    assert_int_equal(rec.frame, 4);
    assert_int_equal(rec.dir, KD_DIR_UNKNOWN);
    assert_int_equal(rec.ts_ns, 5000000000u);
    assert_memory_equal(rec.bytes, ack_bytes, sizeof ack_bytes);

    assert_int_equal(kdcap_next(r, &rec), 1);
    assert_int_equal(rec.frame, 5);
    assert_int_equal(rec.dir, KD_DIR_D2T);
    assert_true(rec.ts_ns == 0x0000000100000002u);

    assert_int_equal(kdcap_next(r, &rec), 0);
    /* Names and comment stay those of the first section. */
    assert_string_equal(kdcap_section_comment(r), "big-endian test");
    assert_string_equal(kdcap_interface_name(r, KD_DIR_D2T), "be0");
    kdcap_close(r);
    kdb_free(&n.b);
}

/* Builds SHB + IDB(linktype) + one EPB of rec on interface ifid; expects err. */
static void expect_bad_record(int be, uint16_t linktype, uint32_t ifid, const uint8_t *rec,
                              size_t len, const char *why)
{
    ng n = {.be = be};
    ng_shb(&n, NULL);
    ng_idb(&n, linktype, NULL, 6);
    size_t at = n.b.len;
    ng_epb(&n, ifid, 0, rec, len, -1);
    char err[256];
    char expect[256];
    /* A reason ending in "offset " gets the EPB's offset appended. */
    size_t wl = strlen(why);
    if (wl >= 7 && strcmp(why + wl - 7, "offset ") == 0)
        snprintf(expect, sizeof expect, "%s%zu", why, at);
    else
        snprintf(expect, sizeof expect, "%s", why);
    kdcap_reader *r = kdcap_open_mem(n.b.data, n.b.len, KDCAP_FORMAT_AUTO, KD_DIR_UNKNOWN, err,
                                     sizeof err);
    if (!r) {
        assert_string_equal(err, expect);
    } else {
        kdcap_record rr;
        assert_int_equal(kdcap_next(r, &rr), -1);
        assert_string_equal(kdcap_error(r), expect);
        assert_int_equal(kdcap_next(r, &rr), -1);
        kdcap_close(r);
    }
    kdb_free(&n.b);
}

static void test_bad_records(void **state)
{
    (void)state;
    uint8_t rec[64];
    size_t l = make_record(rec, "kd", 2, 1, ack_bytes, 4);
    expect_bad_record(0, 252, 1, rec, l, "packet block refers to unknown interface 1 at offset ");
    expect_bad_record(1, 252, 7, rec, l, "packet block refers to unknown interface 7 at offset ");
    expect_bad_record(0, 105, 0, rec, l, "link type 105 is not supported (record 1)");
    expect_bad_record(1, 147, 0, rec, l, "link type 147 is not supported (record 1)");

    l = make_record(rec, "udp", 4, 1, ack_bytes, 4);
    expect_bad_record(0, 252, 0, rec, l, "record 1 is for dissector 'udp', not kd");
    l = make_record(rec, "kdx", 3, 1, ack_bytes, 4);
    expect_bad_record(0, 252, 0, rec, l, "record 1 is for dissector 'kdx', not kd");
    l = make_record(rec, "k\n", 2, 1, ack_bytes, 4);
    expect_bad_record(0, 252, 0, rec, l, "record 1 is for dissector 'k?', not kd");

    /* TLVs that run past the record, or never end. */
    static const uint8_t over[8] = {0, 12, 0, 9, 'k', 'd', 0, 0};
    expect_bad_record(0, 252, 0, over, sizeof over, "bad exported-PDU header in record 1");
    static const uint8_t noend[6] = {0, 12, 0, 2, 'k', 'd'};
    expect_bad_record(1, 252, 0, noend, sizeof noend, "bad exported-PDU header in record 1");
    expect_bad_record(0, 252, 0, noend, 0, "bad exported-PDU header in record 1");
}

static void test_bad_blocks(void **state)
{
    (void)state;
    char err[256];
    ng n = {.be = 0};
    ng_shb(&n, "c");
    ng_idb(&n, 252, "x", 9);
    size_t idb_end = n.b.len;
    uint8_t rec[64];
    size_t l = make_record(rec, "kd", 2, 1, ack_bytes, 16);
    ng_epb(&n, 0, 0, rec, l, -1);
    size_t epb_end = n.b.len;
    ng_epb(&n, 0, 0, rec, l, -1);

    uint8_t *copy = malloc(n.b.len);
    assert_non_null(copy);
    kdcap_record rr;

    /* Second EPB: length not a multiple of 4, too small, too big, trailer differs. */
    static const uint32_t bad_lengths[] = {13, 8, 0, KDCAP_MAX_BLOCK + 4, 0xFFFFFFFCu};
    for (size_t i = 0; i < sizeof bad_lengths / sizeof bad_lengths[0]; i++) {
        memcpy(copy, n.b.data, n.b.len);
        kdb_put32(copy + epb_end + 4, bad_lengths[i]);
        kdcap_reader *r =
            kdcap_open_mem(copy, n.b.len, KDCAP_FORMAT_AUTO, KD_DIR_UNKNOWN, err, sizeof err);
        assert_non_null(r);
        assert_int_equal(kdcap_next(r, &rr), 1);
        assert_int_equal(kdcap_next(r, &rr), -1);
        char expect[64];
        snprintf(expect, sizeof expect, "bad pcapng block length at offset %zu", epb_end);
        assert_string_equal(kdcap_error(r), expect);
        kdcap_close(r);
    }
    memcpy(copy, n.b.data, n.b.len);
    copy[n.b.len - 4] ^= 4;
    kdcap_reader *r =
        kdcap_open_mem(copy, n.b.len, KDCAP_FORMAT_AUTO, KD_DIR_UNKNOWN, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(kdcap_next(r, &rr), 1);
    assert_int_equal(kdcap_next(r, &rr), -1);
    assert_non_null(strstr(kdcap_error(r), "bad pcapng block length"));
    kdcap_close(r);

    /* EPB whose caplen exceeds its block. */
    memcpy(copy, n.b.data, n.b.len);
    kdb_put32(copy + idb_end + 20, 1000);
    r = kdcap_open_mem(copy, n.b.len, KDCAP_FORMAT_AUTO, KD_DIR_UNKNOWN, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(kdcap_next(r, &rr), -1);
    assert_non_null(strstr(kdcap_error(r), "bad pcapng packet length"));
    kdcap_close(r);

    /* Bad byte-order magic; unsupported version. */
    memcpy(copy, n.b.data, n.b.len);
    copy[8] = 0x11;
    r = kdcap_open_mem(copy, n.b.len, KDCAP_FORMAT_AUTO, KD_DIR_UNKNOWN, err, sizeof err);
    assert_null(r);
    assert_string_equal(err, "bad pcapng byte-order magic at offset 0");
    memcpy(copy, n.b.data, n.b.len);
    copy[12] = 2;
    r = kdcap_open_mem(copy, n.b.len, KDCAP_FORMAT_AUTO, KD_DIR_UNKNOWN, err, sizeof err);
    assert_null(r);
    assert_string_equal(err, "unsupported pcapng version 2.0 at offset 0");
    free(copy);
    kdb_free(&n.b);
}

/* Timestamp resolutions and offsets. */
static void test_tsresol(void **state)
{
    (void)state;
    static const struct {
        int tsresol;
        uint64_t ts;
        uint64_t ns;
    } cases[] = {
        {0, 3, 3000000000u},
        {3, 1500, 1500000000u},
        {9, 42, 42},
        {12, 123456789000u, 123456789u},
        {29, UINT64_MAX, 0},
        {127, UINT64_MAX, 0},
        {0x80 | 0, 2, 2000000000u},
        {0x80 | 1, 3, 1500000000u},
        {0x80 | 30, (uint64_t)1 << 30, 1000000000u},
        {0x80 | 32, ((uint64_t)7 << 32) | 0x80000000u, 7500000000u},
        {0x80 | 40, (uint64_t)1 << 39, 500000000u},
        {0x80 | 63, (uint64_t)1 << 62, 500000000u},
        {0x80 | 64, UINT64_MAX, 999999999u},
        {0x80 | 127, UINT64_MAX, 0},
        {0, UINT64_MAX, UINT64_MAX}, /* saturates */
    };
    uint8_t rec[64];
    size_t l = make_record(rec, "kd", 2, 0, ack_bytes, 16);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ng n = {.be = (int)(i & 1)};
        ng_shb(&n, NULL);
        ng_idb(&n, 252, NULL, cases[i].tsresol);
        ng_epb(&n, 0, cases[i].ts, rec, l, -1);
        char err[256];
        kdcap_reader *r =
            kdcap_open_mem(n.b.data, n.b.len, KDCAP_FORMAT_AUTO, KD_DIR_UNKNOWN, err, sizeof err);
        assert_non_null(r);
        kdcap_record rr;
        assert_int_equal(kdcap_next(r, &rr), 1);
        if (rr.ts_ns != cases[i].ns)
            fail_msg("case %zu: %llu != %llu", i, (unsigned long long)rr.ts_ns,
                     (unsigned long long)cases[i].ns);
        kdcap_close(r);
        kdb_free(&n.b);
    }

    /* if_tsoffset, both signs. */
    for (int sign = 0; sign < 2; sign++) {
        ng n = {.be = 0};
        ng_shb(&n, NULL);
        ng_begin(&n, 1);
        ng_u16(&n, 252);
        ng_u16(&n, 0);
        ng_u32(&n, 0);
        uint8_t off[8];
        kdb_put64(off, sign ? (uint64_t)-2 : 1000);
        ng_opt(&n, 14, off, 8);
        ng_opt(&n, 0, NULL, 0);
        ng_end(&n);
        ng_epb(&n, 0, 5000000, rec, l, -1); /* 5 s in µs */
        char err[256];
        kdcap_reader *r =
            kdcap_open_mem(n.b.data, n.b.len, KDCAP_FORMAT_AUTO, KD_DIR_UNKNOWN, err, sizeof err);
        assert_non_null(r);
        kdcap_record rr;
        assert_int_equal(kdcap_next(r, &rr), 1);
        assert_true(rr.ts_ns == (sign ? 3000000000u : 1005000000000u));
        kdcap_close(r);
        kdb_free(&n.b);
    }
}

/* A file with only the header is a clean, empty capture. */
static void test_header_only(void **state)
{
    (void)state;
    char path[64];
    int fd = temp_fd(path);
    kdcap_writer *w = kdcap_writer_open(fd, &write_opts);
    assert_non_null(w);
    assert_int_equal(kdcap_writer_close(w), 0);
    close(fd);
    char err[256];
    kdcap_reader *r = kdcap_open(path, KDCAP_FORMAT_AUTO, KD_DIR_UNKNOWN, err, sizeof err);
    assert_non_null(r);
    kdcap_record rec;
    assert_int_equal(kdcap_next(r, &rec), 0);
    assert_string_equal(kdcap_interface_name(r, KD_DIR_D2T), "COM1");
    kdcap_close(r);
    unlink(path);
}

/* Option values are at most 65535 bytes: long strings are cut at a UTF-8 boundary. */
static void test_long_strings(void **state)
{
    (void)state;
    size_t n = 70001;
    char *comment = malloc(n + 1);
    assert_non_null(comment);
    comment[0] = 'a'; /* then "é" repeated: byte 65532 is a continuation byte */
    for (size_t i = 1; i < n; i += 2) {
        comment[i] = (char)0xC3;
        comment[i + 1] = (char)0xA9;
    }
    comment[n] = '\0';
    kdcap_writer_opts o = {.comment = comment, .if_name = {comment, "n"}};
    char path[64];
    int fd = temp_fd(path);
    kdcap_writer *w = kdcap_writer_open(fd, &o);
    assert_non_null(w);
    assert_int_equal(kdcap_write_item(w, KD_DIR_T2D, 9, items[2].bytes, items[2].len), 0);
    assert_int_equal(kdcap_writer_close(w), 0);
    close(fd);
    char err[256];
    kdcap_reader *r = kdcap_open(path, KDCAP_FORMAT_AUTO, KD_DIR_UNKNOWN, err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    const char *c = kdcap_section_comment(r);
    assert_non_null(c);
    size_t got = strlen(c);
    assert_int_equal(got, 65531); /* cut before the lead byte, not inside "é" */
    assert_memory_equal(c, comment, got);
    assert_int_equal(strlen(kdcap_interface_name(r, KD_DIR_D2T)), got);
    kdcap_record rec;
    assert_int_equal(kdcap_next(r, &rec), 1);
    assert_memory_equal(rec.bytes, items[2].bytes, items[2].len);
    assert_int_equal(kdcap_next(r, &rec), 0);
    kdcap_close(r);
    unlink(path);
    free(comment);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_read_back),
        cmocka_unit_test(test_write_defaults),
        cmocka_unit_test(test_libpcap_reads_it),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_flush_each_block),
        cmocka_unit_test(test_buffer_bound),
        cmocka_unit_test(test_dev_full),
        cmocka_unit_test(test_partial_write_rolled_back),
        cmocka_unit_test(test_write_bad_args),
        cmocka_unit_test(test_detect_raw),
        cmocka_unit_test(test_raw_chunks),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_big_endian),
        cmocka_unit_test(test_bad_records),
        cmocka_unit_test(test_bad_blocks),
        cmocka_unit_test(test_tsresol),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_long_strings),
    };
    return cmocka_run_group_tests(tests, items_setup, items_teardown);
}
