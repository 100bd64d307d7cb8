/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Framer benchmark (not a test): throughput and item rate on generated
 * streams.
 *
 *   bench_framer [MB]     (default 256)
 *
 * "mix":   a realistic session mix by count - 50% ACKs, 40% 56-byte
 *          manipulate packets, 10% 3944-byte memory-read replies (the bulk
 *          of the bytes, as in a real session).
 * "small": ACKs and manipulate headers only, for the message rate.
 * Each stream is framed in 64 KiB blocks; the best of 3 runs is printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kdbytes.h"
#include "kdparse/framer.h"

static size_t g_items;
static uint64_t g_bytes;

static void on_item(const kd_item *it, void *user)
{
    (void)user;
    g_items++;
    g_bytes += it->len;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void build(kdb_buf *b, size_t target, int with_bulk)
{
    static uint8_t body[56 + 3944];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (uint8_t)(i * 31 + 7);
    uint32_t id = 0x80800000u;
    while (b->len < target) {
        for (int k = 0; k < 10 && b->len < target; k++) {
            if (k < 5)
                kdb_control_packet(b, 4, id);
            else if (k < 9 || !with_bulk)
                kdb_data_packet(b, 2, id, body, 56, 1);
            else
                kdb_data_packet(b, 2, id, body, sizeof body, 1);
            id ^= 1;
        }
    }
}

static void run(const char *name, const kdb_buf *b)
{
    double best = 1e9;
    size_t items = 0;
    for (int r = 0; r < 3; r++) {
        g_items = 0;
        g_bytes = 0;
        kd_framer *f = kd_framer_new(KD_TRANSPORT_SERIAL, KD_DIR_T2D, on_item, NULL);
        double t0 = now();
        for (size_t i = 0; i < b->len; i += 65536) {
            size_t n = b->len - i < 65536 ? b->len - i : 65536;
            kd_framer_feed(f, b->data + i, n, 0);
        }
        kd_framer_finish(f);
        double t = now() - t0;
        kd_framer_free(f);
        if (g_bytes != b->len) {
            fprintf(stderr, "bench_framer: lost bytes\n");
            exit(1);
        }
        if (t < best)
            best = t;
        items = g_items;
    }
    printf("%-6s %8.1f MB  %10zu items  %8.3f s  %8.1f MB/s  %7.2f M items/s\n", name,
           (double)b->len / 1e6, items, best, (double)b->len / 1e6 / best, (double)items / 1e6 / best);
}

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 256;
    kdb_buf mix = {0}, small = {0};
    build(&mix, mb << 20, 1);
    run("mix", &mix);
    kdb_free(&mix);
    build(&small, mb << 20, 0);
    run("small", &small);
    kdb_free(&small);
    return 0;
}
