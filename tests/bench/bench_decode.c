/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Decode benchmark (not a test).
 *
 *   bench_decode [MB]             frame + checksum + decode, in memory
 *   bench_decode --write FILE N   write a pcapng session of about N items
 *                                 (for timing kdcat --json and tshark)
 *
 * The session repeats: ReadVirtualMemory request, ACK, reply with 3944
 * bytes (one in ten) or a 16-byte read, ACK, and GetVersion round trips.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capio.h"
#include "kdbytes.h"
#include "kdparse/decode.h"
#include "kdparse/encode.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef void (*emit_fn)(kd_dir dir, const uint8_t *p, size_t n, void *user);

/* One round: request, ACK, reply, ACK.  big: a 3944-byte read. */
static void round_trip(uint32_t *id, int big, emit_fn emit, void *user)
{
    static uint8_t mem[3944], pkt[KD_ITEM_MAX_BYTES];
    size_t len = big ? sizeof mem : 16;
    kd_enc_field rq[] = {{KD_F_M_RM_TARGET_BASE_ADDRESS, 0xfffff80002a00000ull + (*id & 0xfff) * 16},
                         {KD_F_M_RM_TRANSFER_COUNT, len}};
    kd_enc_msg m = {.type = KD_TYPE_STATE_MANIPULATE, .api = KD_API_READ_VIRTUAL_MEMORY, .dir = KD_DIR_D2T, .id = *id,
                    .fields = rq, .n_fields = 2};
    long n = kd_encode(&m, KD_TRANSPORT_SERIAL, pkt, sizeof pkt);
    emit(KD_DIR_D2T, pkt, (size_t)n, user);
    n = kd_frame_control(KD_TYPE_ACKNOWLEDGE, *id, pkt, sizeof pkt);
    emit(KD_DIR_T2D, pkt, (size_t)n, user);
    kd_enc_field rs[] = {rq[0], rq[1], {KD_F_M_RM_ACTUAL_BYTES_READ, len}};
    m = (kd_enc_msg){.type = KD_TYPE_STATE_MANIPULATE, .api = KD_API_READ_VIRTUAL_MEMORY, .dir = KD_DIR_T2D, .id = *id ^ 1,
                     .fields = rs, .n_fields = 3, .data = mem, .data_len = len};
    n = kd_encode(&m, KD_TRANSPORT_SERIAL, pkt, sizeof pkt);
    emit(KD_DIR_T2D, pkt, (size_t)n, user);
    n = kd_frame_control(KD_TYPE_ACKNOWLEDGE, *id ^ 1, pkt, sizeof pkt);
    emit(KD_DIR_D2T, pkt, (size_t)n, user);
    *id ^= 1;
}

/* ------------------------------------------------------------ in memory */

static kdb_buf g_stream;
static size_t g_msgs;
static kd_msg g_msg;

static void to_stream(kd_dir dir, const uint8_t *p, size_t n, void *user)
{
    (void)dir;
    (void)user;
    kdb_bytes(&g_stream, p, n);
}

static void on_item(const kd_item *it, void *user)
{
    (void)user;
    kd_decode(it, NULL, &g_msg);
    g_msgs++;
}

static void bench_memory(size_t mb, int big_every)
{
    uint32_t id = 0x80800000u;
    int k = 0;
    g_stream.len = 0;
    while (g_stream.len < mb << 20)
        round_trip(&id, big_every && ++k % big_every == 0, to_stream, NULL);
    double best = 1e9;
    for (int r = 0; r < 3; r++) {
        g_msgs = 0;
        kd_framer *f = kd_framer_new(KD_TRANSPORT_SERIAL, KD_DIR_T2D, on_item, NULL);
        double t0 = now();
        for (size_t i = 0; i < g_stream.len; i += 65536)
            kd_framer_feed(f, g_stream.data + i, g_stream.len - i < 65536 ? g_stream.len - i : 65536, 0);
        kd_framer_finish(f);
        double t = now() - t0;
        kd_framer_free(f);
        if (t < best)
            best = t;
    }
    printf("%-6s %8.1f MB  %10zu msgs  %7.3f s  %8.1f MB/s  %6.2f M msgs/s\n", big_every ? "mix" : "small",
           (double)g_stream.len / 1e6, g_msgs, best, (double)g_stream.len / 1e6 / best,
           (double)g_msgs / 1e6 / best);
}

/* ------------------------------------------------------------ capture */

typedef struct cap {
    kdcap_writer *w;
    uint64_t ts;
    size_t items;
} cap;

static void to_capture(kd_dir dir, const uint8_t *p, size_t n, void *user)
{
    cap *c = user;
    c->ts += 150000; /* 150 us apart */
    if (kdcap_write_item(c->w, dir, c->ts, p, n) != 0) {
        perror("bench_decode: write");
        exit(3);
    }
    c->items++;
}

static int write_capture(const char *path, size_t items)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror(path);
        return 3;
    }
    kdcap_writer_opts o = {.comment = "bench_decode synthetic session"};
    cap c = {.w = kdcap_writer_open(fd, &o), .ts = 1700000000000000000ull};
    uint32_t id = 0x80800000u;
    int k = 0;
    while (c.items < items)
        round_trip(&id, ++k % 10 == 0, to_capture, &c);
    kdcap_writer_close(c.w);
    close(fd);
    printf("%s: %zu items\n", path, c.items);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--write") == 0)
        return write_capture(argv[2], (size_t)strtoul(argv[3], NULL, 10));
    size_t mb = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 256;
    bench_memory(mb, 10);
    bench_memory(mb / 4 ? mb / 4 : 1, 0);
    kdb_free(&g_stream);
    return 0;
}
