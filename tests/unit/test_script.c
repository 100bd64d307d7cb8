/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsim debugger scripts: bad lines are refused with their line number;
 * a script runs against a small fake target over a socketpair, and a
 * failed expect names its line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "script.h"

static char *write_script(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/kdsim-script-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void expect_load_error(const char *text, const char *want)
{
    char err[256] = "";
    char *path = write_script(text);
    kdsim_script *s = kdsim_script_load(path, err, sizeof err);
    unlink(path);
    assert_null(s);
    if (!strstr(err, want))
        fail_msg("error '%s' lacks '%s'", err, want);
}

static void test_bad_scripts(void **state)
{
    (void)state;
    expect_load_error("reset\n\nfrob 1\n", "3: unknown command 'frob'");
    expect_load_error("read_virtual 0x1000 5000\n", "1: read_virtual: bad length (1 to 3944)");
    expect_load_error("# comment\nread_virtual no-where 16\n", "2: read_virtual: bad address");
    expect_load_error("expect kd.nope == 1\n", "1: expect: no such field");
    expect_load_error("expect kd.id ~ 1\n", "1: expect: expected == != < <= > >= or contains");
    expect_load_error("write_virtual 0x1000 abc\n", "1: write_virtual: bad bytes");
    expect_load_error("get_version now\n", "1: get_version takes 0 arguments");
    expect_load_error("expect modules == many\n", "1: expect: modules: expected contains NAME or a count");
    expect_load_error("bp mydrv+x\n", "1: bp: bad address");
    char err[256];
    kdsim_script *s = kdsim_script_load("/nonexistent/script", err, sizeof err);
    assert_null(s);
    assert_string_equal(err, "No such file or directory");
}

/* ------------------------------------------------------------ a fake target */

static ssize_t fd_read(void *ctx, void *buf, size_t n, int timeout_ms)
{
    int fd = *(int *)ctx;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) == 0)
        return 0;
    ssize_t k = read(fd, buf, n);
    return k > 0 ? k : -1;
}

static int fd_write(void *ctx, const void *buf, size_t n)
{
    return write(*(int *)ctx, buf, n) == (ssize_t)n ? 0 : -1;
}

#define KERNBASE 0xfffff80002a00000ull
#define MODLIST (KERNBASE + 0x300400)
#define MYDRV 0xfffff88000c40000ull

/*
 * The fake target's loaded-module list, built by hand from the 64-bit
 * KLDR_DATA_TABLE_ENTRY (InLoadOrderLinks 0, DllBase 0x30, SizeOfImage
 * 0x40, BaseDllName 0x58: Length 0x58, Buffer 0x60): head -> nt -> mydrv.sys
 * -> head, names in UTF-16.  Other reads give "MZ" and zeros.
 */
typedef struct blob {
    uint64_t addr;
    uint8_t b[0x68];
    size_t len;
} blob;
static blob mem[5];

static void put(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void make_list(void)
{
    const uint64_t e1 = 0xfffffa8000100000ull, e2 = 0xfffffa8000100200ull;
    const uint64_t n1 = 0xfffffa8000101000ull, n2 = 0xfffffa8000101100ull;
    memset(mem, 0, sizeof mem);
    mem[0].addr = MODLIST, mem[0].len = 16;
    put(mem[0].b, e1, 8), put(mem[0].b + 8, e2, 8);
    mem[1].addr = e1, mem[1].len = 0x68;
    put(mem[1].b, e2, 8), put(mem[1].b + 8, MODLIST, 8);
    put(mem[1].b + 0x30, KERNBASE, 8), put(mem[1].b + 0x40, 0x800000, 4);
    put(mem[1].b + 0x58, 24, 2), put(mem[1].b + 0x5A, 26, 2), put(mem[1].b + 0x60, n1, 8);
    mem[2].addr = e2, mem[2].len = 0x68;
    put(mem[2].b, MODLIST, 8), put(mem[2].b + 8, e1, 8);
    put(mem[2].b + 0x30, MYDRV, 8), put(mem[2].b + 0x40, 0x9000, 4);
    put(mem[2].b + 0x58, 18, 2), put(mem[2].b + 0x5A, 20, 2), put(mem[2].b + 0x60, n2, 8);
    mem[3].addr = n1, mem[3].len = 24;
    for (int i = 0; i < 12; i++)
        mem[3].b[2 * i] = (uint8_t)"ntoskrnl.exe"[i];
    mem[4].addr = n2, mem[4].len = 18;
    for (int i = 0; i < 9; i++)
        mem[4].b[2 * i] = (uint8_t)"mydrv.sys"[i];
}

/* Answers GetVersion and ReadVirtualMemory; after RESET sends its state change. */
static void *fake_target(void *arg)
{
    int fd = *(int *)arg;
    kdsim_io io = {fd_read, fd_write, &fd};
    kdsim_link_opts o = {.role = KDSIM_TARGET};
    kdsim_link *l = kdsim_link_new(&io, &o);
    for (;;) {
        kdsim_event ev;
        kdsim_link_recv(l, 5000, &ev);
        if (ev.kind == KDSIM_EV_CLOSED || ev.kind == KDSIM_EV_TIMEOUT)
            break;
        if (ev.kind == KDSIM_EV_RESET) {
            kd_enc_field f[] = {{KD_F_EXCEPTION_CODE, 0x80000003u}, {KD_F_EXCEPTION_ADDRESS, KERNBASE + 0x10},
                                {KD_F_EXCEPTION_FIRST_CHANCE, 1}};
            kd_enc_msg sc = {.type = KD_TYPE_STATE_CHANGE64, .api = KD_STATE_EXCEPTION, .dir = KD_DIR_T2D,
                             .arch = KD_ARCH_AMD64, .fields = f, .n_fields = 3};
            kdsim_link_send(l, &sc);
            continue;
        }
        if (ev.kind != KDSIM_EV_DATA)
            continue;
        if (ev.msg->api == KD_API_GET_VERSION) {
            kd_enc_field f[] = {{KD_F_M_GV_MACHINE_TYPE, 0x8664}, {KD_F_M_GV_KERN_BASE, KERNBASE},
                                {KD_F_M_GV_MINOR_VERSION, 19041}, {KD_F_M_GV_PS_LOADED_MODULE_LIST, MODLIST}};
            kd_enc_msg r = {.type = KD_TYPE_STATE_MANIPULATE, .api = KD_API_GET_VERSION, .dir = KD_DIR_T2D,
                            .fields = f, .n_fields = 4};
            kdsim_link_send(l, &r);
        } else if (ev.msg->api == KD_API_READ_VIRTUAL_MEMORY) {
            const kd_node *a = kd_msg_find(ev.msg, KD_F_M_RM_TARGET_BASE_ADDRESS);
            const kd_node *n = kd_msg_find(ev.msg, KD_F_M_RM_TRANSFER_COUNT);
            uint8_t data[0x68] = "MZ";
            size_t len = n && n->value < sizeof data ? n->value : sizeof data;
            for (size_t i = 0; a && i < sizeof mem / sizeof mem[0]; i++)
                if (mem[i].addr == a->value && len <= mem[i].len)
                    memcpy(data, mem[i].b, len);
            kd_enc_field f[] = {{KD_F_M_RM_TARGET_BASE_ADDRESS, a ? a->value : 0},
                                {KD_F_M_RM_TRANSFER_COUNT, len}, {KD_F_M_RM_ACTUAL_BYTES_READ, len}};
            kd_enc_msg r = {.type = KD_TYPE_STATE_MANIPULATE, .api = KD_API_READ_VIRTUAL_MEMORY, .dir = KD_DIR_T2D,
                            .fields = f, .n_fields = 3, .data = data, .data_len = len};
            kdsim_link_send(l, &r);
        }
    }
    kdsim_link_free(l);
    return NULL;
}

static int run_script(const char *text, char *err, size_t errlen)
{
    make_list();
    char *path = write_script(text);
    kdsim_script *s = kdsim_script_load(path, err, errlen);
    unlink(path);
    assert_non_null(s);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pthread_t t;
    pthread_create(&t, NULL, fake_target, &sv[1]);
    kdsim_io io = {fd_read, fd_write, &sv[0]};
    kdsim_link_opts o = {.role = KDSIM_DEBUGGER};
    kdsim_link *l = kdsim_link_new(&io, &o);
    FILE *log = fopen("/dev/null", "w");
    int rc = kdsim_script_run(s, l, log, err, errlen);
    fclose(log);
    shutdown(sv[0], SHUT_RDWR);
    pthread_join(t, NULL);
    kdsim_link_free(l);
    kdsim_script_free(s);
    close(sv[0]);
    close(sv[1]);
    return rc;
}

static void test_script_runs(void **state)
{
    (void)state;
    char err[256] = "";
    int rc = run_script("reset\n"
                        "wait_state exception\n"
                        "expect kd.exception.exception_code == 0x80000003\n"
                        "get_version\n"
                        "expect kd.manip.get_version64.minor_version == 19041\n"
                        "read_virtual kernbase 16\n"
                        "expect kd.manip.read_memory.target_base_address == 0xfffff80002a00000\n"
                        "expect kd.manip.read_memory.actual_bytes_read == 16\n"
                        "expect kd.manip.read_memory.data contains MZ\n",
                        err, sizeof err);
    if (rc != 0)
        fail_msg("script failed: %s", err);
}

/* modules walks the list (head, each entry, each name), names the modules
 * as WinDbg does (nt: the GetVersion KernBase; mydrv), and the names work
 * in addresses and expects. */
static void test_modules_walk(void **state)
{
    (void)state;
    char err[256] = "";
    int rc = run_script("reset\n"
                        "wait_state exception\n"
                        "get_version\n"
                        "modules\n"
                        "expect modules == 2\n"
                        "expect modules contains nt\n"
                        "expect modules contains mydrv\n"
                        "read_virtual mydrv+0x1140 4\n"
                        "expect kd.manip.read_memory.target_base_address == 0xfffff88000c41140\n"
                        "expect kd.manip.read_memory.target_base_address == mydrv+0x1140\n"
                        "read_virtual nt+0x10 4\n"
                        "expect kd.manip.read_memory.target_base_address == 0xfffff80002a00010\n",
                        err, sizeof err);
    if (rc != 0)
        fail_msg("script failed: %s", err);
    rc = run_script("reset\nwait_state\nget_version\nmodules\nexpect modules contains hal\n", err, sizeof err);
    assert_int_equal(rc, 1);
    if (!strstr(err, "5: expect modules contains hal: the walk found 2 modules, the first nt"))
        fail_msg("error: %s", err);
    rc = run_script("reset\nwait_state\nget_version\nbp mydrv+0x10\n", err, sizeof err);
    assert_int_equal(rc, 1);
    if (!strstr(err, "4: bp: no module 'mydrv'"))
        fail_msg("error: %s", err);
    rc = run_script("reset\nwait_state\nmodules\n", err, sizeof err);
    assert_int_equal(rc, 1);
    if (!strstr(err, "3: modules: no PsLoadedModuleList (get_version first)"))
        fail_msg("error: %s", err);
}

static void test_failed_expect_names_its_line(void **state)
{
    (void)state;
    char err[256] = "";
    int rc = run_script("reset\nwait_state\nget_version\n\nexpect kd.manip.get_version64.minor_version == 7601\n",
                        err, sizeof err);
    assert_int_equal(rc, 1);
    if (!strstr(err, "5: expect kd.manip.get_version64.minor_version == 7601: it is 0x4a61"))
        fail_msg("error: %s", err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_scripts),
        cmocka_unit_test(test_script_runs),
        cmocka_unit_test(test_failed_expect_names_its_line),
        cmocka_unit_test(test_modules_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
