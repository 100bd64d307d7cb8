/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * KDNET layer benchmark (not a test): kdnet_open's rate on datagrams made
 * by the encoder.
 *
 *   bench_kdnet [N]     (default 200000 datagrams per run)
 *
 * "small": data datagrams holding ACKs (16 bytes) and 56-byte manipulate
 *          packets, the datagram mix of the real capture by count;
 * "mix":   the same with 10% 3944-byte memory-read replies.
 * A poke and a response open the conversation; the best of 3 runs prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kdparse/kdnet.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct dg {
    uint8_t *b;
    size_t n;
} dg;

static uint8_t ck[KDNET_KEY_SIZE], dk[KDNET_KEY_SIZE];

static dg make(uint8_t channel, uint64_t seq, kd_dir dir, const uint8_t *payload, size_t len)
{
    dg d = {malloc(len + 64), 0};
    kdnet_build_args a = {4, channel, seq, dir, payload, len, ck, dk};
    d.n = kdnet_build(&a, d.b, len + 64);
    if (!d.n) {
        fprintf(stderr, "bench_kdnet: build failed\n");
        exit(1);
    }
    return d;
}

static void run(const char *name, size_t n, int with_bulk)
{
    uint8_t random[KDNET_RANDOM_SIZE] = {1}, payload[4000];
    kdnet_endpoint ep[3] = {{{0}, 51111}, {{0}, 50000}, {{0}, 0}};
    uint8_t poke[KDNET_POKE_SIZE], resp[KDNET_RESPONSE_SIZE];
    kdnet_build_poke(random, ep, poke, sizeof poke);
    kdnet_build_response(random, random, resp, sizeof resp);
    kdnet_derive_data_key(ck, resp, dk);
    dg *v = calloc(n + 2, sizeof *v);
    v[0] = make(1, 1, KD_DIR_T2D, poke, sizeof poke);
    v[1] = make(1, 1, KD_DIR_D2T, resp, sizeof resp);
    memset(payload, 0x30, 16);
    uint64_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = (with_bulk && i % 10 == 9) ? 16 + 3944 : (i % 2 ? 16 + 56 : 16);
        v[i + 2] = make(0, i + 1, i % 2 ? KD_DIR_D2T : KD_DIR_T2D, payload, len);
        bytes += v[i + 2].n;
    }
    double best = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        kdnet_state *s = kdnet_state_new();
        kdnet_state_add_key(s, ck);
        double t0 = now();
        kdnet_result r;
        for (size_t i = 0; i < n + 2; i++)
            if (kdnet_open(s, v[i].b, v[i].n, NULL, 0, &r) != KDNET_OK) {
                fprintf(stderr, "bench_kdnet: datagram %zu: %s\n", i, kdnet_problem_text(r.problem));
                exit(1);
            }
        double t = now() - t0;
        if (t < best)
            best = t;
        kdnet_state_free(s);
    }
    printf("%-6s %zu datagrams, %.1f MB: %.0f k datagrams/s, %.0f MB/s\n", name, n, bytes / 1e6,
           n / best / 1e3, bytes / best / 1e6);
    for (size_t i = 0; i < n + 2; i++)
        free(v[i].b);
    free(v);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
    if (kdnet_parse_key("8.8.8.8", ck, NULL))
        return 2;
    run("small", n, 0);
    run("mix", n, 1);
    return 0;
}
