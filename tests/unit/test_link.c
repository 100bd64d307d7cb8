/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kdsim link over a socketpair: a debugger thread and a target thread
 * exchange requests and replies; with noise and drops on both sides the
 * protocol's RESEND and retransmission still deliver every message once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "link.h"

static ssize_t fd_read(void *ctx, void *buf, size_t n, int timeout_ms)
{
    int fd = *(int *)ctx;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, timeout_ms);
    if (r == 0)
        return 0;
    ssize_t k = read(fd, buf, n);
    return k > 0 ? k : -1;
}

static int fd_write(void *ctx, const void *buf, size_t n)
{
    int fd = *(int *)ctx;
    const uint8_t *p = buf;
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

typedef struct side {
    int fd;
    kdsim_link_opts o;
    int rounds;
    int ok;           /* rounds completed */
    kdsim_link_stats st;
} side;

/* The target: answers each ReadVirtualMemory with 16 bytes of its address. */
static void *target_main(void *arg)
{
    side *s = arg;
    kdsim_io io = {fd_read, fd_write, &s->fd};
    kdsim_link *l = kdsim_link_new(&io, &s->o);
    for (;;) {
        kdsim_event ev;
        kdsim_link_recv(l, 5000, &ev);
        if (ev.kind == KDSIM_EV_CLOSED || ev.kind == KDSIM_EV_TIMEOUT)
            break;
        if (ev.kind != KDSIM_EV_DATA)
            continue;
        const kd_node *a = kd_msg_find(ev.msg, KD_F_M_RM_TARGET_BASE_ADDRESS);
        uint64_t addr = a ? a->value : 0;
        uint8_t data[16];
        for (int i = 0; i < 16; i++)
            data[i] = (uint8_t)(addr >> (8 * (i % 8)));
        kd_enc_field f[] = {{KD_F_M_RM_TARGET_BASE_ADDRESS, addr}, {KD_F_M_RM_TRANSFER_COUNT, 16},
                            {KD_F_M_RM_ACTUAL_BYTES_READ, 16}};
        kd_enc_msg reply = {.type = KD_TYPE_STATE_MANIPULATE, .api = KD_API_READ_VIRTUAL_MEMORY, .dir = KD_DIR_T2D,
                            .fields = f, .n_fields = 3, .data = data, .data_len = 16};
        if (kdsim_link_send(l, &reply) != 0)
            break;
        s->ok++;
    }
    kdsim_link_get_stats(l, &s->st);
    kdsim_link_free(l);
    return NULL;
}

/* The debugger: RESET, then reads of distinct addresses, each answered once. */
static void *debugger_main(void *arg)
{
    side *s = arg;
    kdsim_io io = {fd_read, fd_write, &s->fd};
    kdsim_link *l = kdsim_link_new(&io, &s->o);
    if (kdsim_link_reset(l) != 0)
        goto out;
    for (int r = 0; r < s->rounds; r++) {
        uint64_t addr = 0xfffff80000001000ull + (uint64_t)r * 0x10;
        kd_enc_field f[] = {{KD_F_M_RM_TARGET_BASE_ADDRESS, addr}, {KD_F_M_RM_TRANSFER_COUNT, 16}};
        kd_enc_msg req = {.type = KD_TYPE_STATE_MANIPULATE, .api = KD_API_READ_VIRTUAL_MEMORY, .dir = KD_DIR_D2T,
                          .fields = f, .n_fields = 2};
        if (kdsim_link_send(l, &req) != 0)
            goto out;
        kdsim_event ev;
        do
            kdsim_link_recv(l, 10000, &ev);
        while (ev.kind == KDSIM_EV_BREAKIN);
        if (ev.kind != KDSIM_EV_DATA)
            goto out;
        const kd_node *a = kd_msg_find(ev.msg, KD_F_M_RM_TARGET_BASE_ADDRESS);
        const kd_node *d = kd_msg_find(ev.msg, KD_F_M_RM_DATA);
        if (!a || a->value != addr || !d || d->length != 16 || d->data[0] != (uint8_t)addr)
            goto out; /* a reply to another request, or damaged */
        s->ok++;
    }
out:
    kdsim_link_get_stats(l, &s->st);
    kdsim_link_free(l);
    shutdown(s->fd, SHUT_RDWR);
    return NULL;
}

static void run(side *dbg, side *tgt)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    dbg->fd = sv[0];
    tgt->fd = sv[1];
    pthread_t a, b;
    pthread_create(&a, NULL, target_main, tgt);
    pthread_create(&b, NULL, debugger_main, dbg);
    pthread_join(b, NULL);
    pthread_join(a, NULL);
    close(sv[0]);
    close(sv[1]);
}

static void test_clean_link(void **state)
{
    (void)state;
    side dbg = {.o = {.role = KDSIM_DEBUGGER}, .rounds = 50};
    side tgt = {.o = {.role = KDSIM_TARGET}};
    run(&dbg, &tgt);
    assert_int_equal(dbg.ok, 50);
    assert_int_equal(tgt.ok, 50);
    assert_int_equal(dbg.st.retransmitted, 0);
    assert_int_equal(tgt.st.retransmitted, 0);
    assert_int_equal(dbg.st.acks, 50);
    assert_int_equal(tgt.st.acks, 50);
    assert_int_equal(tgt.st.resets, 1);
}

static void test_noisy_link(void **state)
{
    (void)state;
    /* Flipped bytes and lost packets both ways: RESENDs and timeouts. */
    side dbg = {.o = {.role = KDSIM_DEBUGGER, .noise = 0.002, .drop = 0.05, .seed = 1, .ack_timeout_ms = 100,
                      .retries = 50},
                .rounds = 60};
    side tgt = {.o = {.role = KDSIM_TARGET, .noise = 0.002, .drop = 0.05, .seed = 2, .ack_timeout_ms = 100,
                      .retries = 50}};
    run(&dbg, &tgt);
    assert_int_equal(dbg.ok, 60);
    assert_true(dbg.st.retransmitted + tgt.st.retransmitted > 0);
    assert_true(dbg.st.resends_sent + tgt.st.resends_sent > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_link),
        cmocka_unit_test(test_noisy_link),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
