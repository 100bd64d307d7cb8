/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdcat - print the KD items of a capture, one line each, or as JSON Lines.
 *
 * Input: kdscope pcapng files (each record is framed on its own, so the
 * items are exactly the recorded ones) and raw byte-stream files (framed as
 * one stream; --direction labels them).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capio.h"
#include "kdparse/framer.h"

#ifndef KDSCOPE_VERSION
#define KDSCOPE_VERSION "0.0.0"
#endif

static const char *prog = "kdcat";

typedef struct out_ctx {
    int json;
    kdcap_format format;
    uint64_t frame;     /* record of the item's first byte (pcapng) */
    uint64_t raw_items; /* item counter standing in for records (raw) */
    int have_t0;
    uint64_t t0_ns;
} out_ctx;

/* ------------------------------------------------------------ output helpers */

static void put_hex(const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char buf[512];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        buf[k++] = digits[p[i] >> 4];
        buf[k++] = digits[p[i] & 15];
        if (k == sizeof buf) {
            fwrite(buf, 1, k, stdout);
            k = 0;
        }
    }
    fwrite(buf, 1, k, stdout);
}

/* Names of the item's problems, for both renderers. */
static size_t item_problems(const kd_item *it, const char *names[4])
{
    size_t n = 0;
    if (it->flags & KD_ITEM_BAD_CHECKSUM)
        names[n++] = "bad_checksum";
    if (it->flags & KD_ITEM_TRAILER_MISSING)
        names[n++] = "trailer_missing";
    if (it->flags & KD_ITEM_TRAILER_BAD)
        names[n++] = "trailer_bad";
    if (it->flags & KD_ITEM_OVERSIZE)
        names[n++] = "oversize";
    return n;
}

/* Wireshark's checksum status values: 0 bad, 1 good, 2 unverified. */
static int checksum_status(const kd_item *it)
{
    if (it->kind != KD_ITEM_DATA || (it->flags & KD_ITEM_OVERSIZE))
        return 2;
    return (it->flags & KD_ITEM_BAD_CHECKSUM) ? 0 : 1;
}

static void print_time(uint64_t ns)
{
    printf("%" PRIu64 ".%09" PRIu64, ns / 1000000000u, ns % 1000000000u);
}

/* ------------------------------------------------------------ text */

static void print_text(out_ctx *o, const kd_item *it, uint64_t frame)
{
    if (!o->have_t0) {
        o->have_t0 = 1;
        o->t0_ns = it->ts_ns;
    }
    uint64_t rel = it->ts_ns >= o->t0_ns ? it->ts_ns - o->t0_ns : 0;
    printf("%6" PRIu64 " ", frame);
    print_time(rel);
    printf(" %s %-9s", kd_dir_name(it->dir), kd_item_kind_name(it->kind));

    if (it->has_header) {
        const char *tn = kd_packet_type_name(it->type);
        char unknown[16];
        if (!tn) {
            snprintf(unknown, sizeof unknown, "type=%u", it->type);
            tn = unknown;
        }
        printf(" %-16s", tn);
        printf(" id=0x%08" PRIx32, it->id);
    }
    switch (it->kind) {
    case KD_ITEM_DATA:
        printf(" bytes=%u", it->byte_count);
        if (it->flags & KD_ITEM_OVERSIZE)
            printf(" checksum=unverified");
        else if (it->flags & KD_ITEM_BAD_CHECKSUM)
            printf(" checksum=BAD(sent 0x%08" PRIx32 ", computed 0x%08" PRIx32 ")", it->checksum,
                   it->computed_checksum);
        else
            printf(" checksum=good");
        if (it->flags & KD_ITEM_TRAILER_MISSING)
            printf(" [trailer missing]");
        if (it->flags & KD_ITEM_TRAILER_BAD)
            printf(" [trailer 0x%02x, expected 0xaa]", it->trailer);
        if (it->flags & KD_ITEM_OVERSIZE)
            printf(" [ByteCount %u > %u, body not read]", it->byte_count, KD_PACKET_MAX_SIZE);
        break;
    case KD_ITEM_TRUNCATED:
        if (it->has_header && it->leader == KD_PACKET_LEADER)
            printf(" [cut after %zu of %u bytes]", it->len,
                   KD_PACKET_HEADER_SIZE + it->byte_count + 1u);
        else
            printf(" [cut after %zu bytes]", it->len);
        break;
    case KD_ITEM_CONTROL:
        break;
    case KD_ITEM_BREAKIN:
    case KD_ITEM_NOISE:
        printf(" len=%zu", it->len);
        break;
    }
    putchar('\n');
}

/* ------------------------------------------------------------ JSON */

static void print_json(const kd_item *it, uint64_t frame)
{
    printf("{\"frame\":%" PRIu64 ",\"time\":\"", frame);
    print_time(it->ts_ns);
    printf("\",\"dir\":");
    if (it->dir == KD_DIR_UNKNOWN)
        printf("null");
    else
        printf("\"%s\"", kd_dir_name(it->dir));
    printf(",\"kind\":\"%s\",\"offset\":%" PRIu64 ",\"length\":%zu", kd_item_kind_name(it->kind),
           it->offset, it->len);

    const char *problems[4];
    size_t np = item_problems(it, problems);
    if (np) {
        printf(",\"problems\":[");
        for (size_t i = 0; i < np; i++)
            printf("%s\"%s\"", i ? "," : "", problems[i]);
        putchar(']');
    }

    switch (it->kind) {
    case KD_ITEM_BREAKIN:
        printf(",\"kd.breakin\":\"");
        put_hex(it->bytes, it->len);
        putchar('"');
        break;
    case KD_ITEM_NOISE:
        printf(",\"kd.noise\":\"");
        put_hex(it->bytes, it->len);
        putchar('"');
        break;
    case KD_ITEM_DATA:
    case KD_ITEM_CONTROL:
    case KD_ITEM_TRUNCATED:
        printf(",\"kd.leader\":%" PRIu32, it->leader);
        if (it->has_header) {
            printf(",\"kd.type\":%u,\"kd.byte_count\":%u,\"kd.id\":%" PRIu32 ",\"kd.checksum\":%" PRIu32,
                   it->type, it->byte_count, it->id, it->checksum);
        }
        if (it->kind == KD_ITEM_DATA)
            printf(",\"kd.checksum.status\":%d", checksum_status(it));
        if (it->has_trailer)
            printf(",\"kd.trailer\":%u", it->trailer);
        if (it->body_len) {
            printf(",\"kd.data\":\"");
            put_hex(it->body, it->body_len);
            putchar('"');
        }
        break;
    }
    printf("}\n");
}

static void on_item(const kd_item *it, void *user)
{
    out_ctx *o = user;
    uint64_t frame = o->frame;
    if (o->format == KDCAP_FORMAT_RAW)
        frame = ++o->raw_items;
    if (o->json)
        print_json(it, frame);
    else
        print_text(o, it, frame);
}

/* ------------------------------------------------------------ driver */

/* Returns 0, or 2 after printing why the file could not be read. */
static int cat_file(const char *path, kdcap_format format, kd_dir raw_dir, int json)
{
    char err[256];
    kdcap_reader *r = kdcap_open(path, format, raw_dir, err, sizeof err);
    if (!r) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, err);
        return 2;
    }
    out_ctx o = {.json = json, .format = kdcap_reader_format(r)};
    kd_framer *framers[3];
    for (int d = 0; d < 3; d++) {
        framers[d] = kd_framer_new(KD_TRANSPORT_SERIAL, (kd_dir)d, on_item, &o);
        if (!framers[d]) {
            fprintf(stderr, "%s: %s: out of memory\n", prog, path);
            exit(3);
        }
    }
    int rc = 0;
    kdcap_record rec;
    int got;
    while ((got = kdcap_next(r, &rec)) == 1) {
        kd_framer *f = framers[rec.dir <= KD_DIR_UNKNOWN ? rec.dir : KD_DIR_UNKNOWN];
        o.frame = rec.frame;
        kd_framer_feed(f, rec.bytes, rec.len, rec.ts_ns);
        /* Our pcapng records are whole items: frame each on its own so a
         * truncated or trailer-less item stays what it was when recorded. */
        if (o.format == KDCAP_FORMAT_PCAPNG)
            kd_framer_finish(f);
    }
    for (int d = 0; d < 3; d++) {
        kd_framer_finish(framers[d]);
        kd_framer_free(framers[d]);
    }
    if (got < 0) {
        fflush(stdout);
        fprintf(stderr, "%s: %s: %s\n", prog, path, kdcap_error(r));
        rc = 2;
    }
    kdcap_close(r);
    return rc;
}

static void usage(FILE *to)
{
    fprintf(to,
            "Usage: %s [OPTION]... FILE...\n"
            "Print the KD protocol items of kernel-debugger captures, one per line.\n"
            "\n"
            "FILE is a kdscope pcapng capture or a raw KD byte stream (one direction).\n"
            "\n"
            "  -j, --json             JSON Lines: one object per item\n"
            "  -d, --direction=DIR    label raw streams named after it: d2t (debugger to\n"
            "                         target) or t2d (target to debugger)\n"
            "  -f, --format=FMT       auto (default), pcapng or raw\n"
            "  -h, --help             show this help and exit\n"
            "      --version          show the version and exit\n"
            "\n"
            "Each line: frame, time (seconds since the first item), direction, kind\n"
            "(data, control, breakin, noise, truncated), then for packets the type,\n"
            "id, ByteCount and checksum status, and any framing problem.\n"
            "\n"
            "Exit status: 0 on success, 2 on bad usage or unreadable input, 3 on an\n"
            "I/O error while writing.\n",
            prog);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"direction", required_argument, NULL, 'd'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'v' + 256},
        {NULL, 0, NULL, 0},
    };
    int json = 0;
    kdcap_format format = KDCAP_FORMAT_AUTO;
    kd_dir raw_dir = KD_DIR_UNKNOWN;
    int files = 0, rc = 0;
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);

    /* Leading '-': files come back in order (as argument 1), so that
     * --direction applies to the files named after it. */
    int c;
    while ((c = getopt_long(argc, argv, "-jd:f:h", opts, NULL)) != -1) {
        switch (c) {
        case 1:
            files++;
            if (cat_file(optarg, format, raw_dir, json) != 0)
                rc = 2;
            break;
        case 'j':
            json = 1;
            break;
        case 'd':
            if (kd_dir_parse(optarg, &raw_dir) != 0) {
                fprintf(stderr, "%s: --direction: '%s' is not d2t or t2d\n", prog, optarg);
                return 2;
            }
            break;
        case 'f':
            if (strcmp(optarg, "auto") == 0)
                format = KDCAP_FORMAT_AUTO;
            else if (strcmp(optarg, "pcapng") == 0)
                format = KDCAP_FORMAT_PCAPNG;
            else if (strcmp(optarg, "raw") == 0)
                format = KDCAP_FORMAT_RAW;
            else {
                fprintf(stderr, "%s: --format: '%s' is not auto, pcapng or raw\n", prog, optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'v' + 256:
            printf("kdcat (kdscope) %s\n", KDSCOPE_VERSION);
            return 0;
        default:
            fprintf(stderr, "Try '%s --help' for more information.\n", prog);
            return 2;
        }
    }
    if (files == 0) {
        fprintf(stderr, "%s: no input files (try '%s --help')\n", prog, prog);
        return 2;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: standard output: %s\n", prog, strerror(errno));
        return 3;
    }
    return rc;
}
