/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsample - writes a small, deterministic serial KD session for captures/
 * and the tests, until kdsim can play real sessions.
 *
 *   kdsample OUTPUT.pcapng [RAW_DIR | --text2pcap FILE]
 *
 * RAW_DIR, when given, also receives the two raw byte streams (d2t.bin,
 * t2d.bin) so tests can check that the recording holds exactly them.
 * --text2pcap writes the same session as text2pcap -D input, cut into
 * odd-sized TCP segments ("I" from the target), for the Decode As test.
 *
 * Every packet is built by hand at the offsets of the reference tables
 * (kd-protocol.md §2.4) with the kdbytes helpers, then recorded the way
 * kdtap records: each direction's bytes go through the framer and each item
 * becomes one pcapng block.
 *
 * The session (AMD64, Windows 7 SP1 numbers):
 *   break-in, RESET handshake, the initial breakpoint state change,
 *   GetVersion, a ReadVirtualMemory of the kernel's MZ header whose reply
 *   is hit by line noise (bad checksum -> RESEND -> retransmission),
 *   a DbgPrint, Continue2, and a state change cut off mid-packet.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capio.h"
#include "kdbytes.h"
#include "kdparse/framer.h"
#include "kdparse/schema.h"

#define T0_NS 1700000000000000000ull /* 2023-11-14T22:13:20Z: a fixed clock */

/* Variants for kddiff's tests (options after OUTPUT). */
static uint64_t g_slide;        /* --slide HEX: the kernel loaded elsewhere (ASLR) */
static uint64_t g_read_offset;  /* --read-offset HEX: the debugger reads elsewhere */
static int g_extra_read;        /* --extra-read: one more ReadVirtualMemory round trip */
static unsigned g_time_pct = 100; /* --time-scale PCT: the same session, other timing */
static unsigned long g_reads;     /* --reads N: N more small reads (kddiff's benchmark sessions) */
static unsigned long g_vary_every; /* --vary-every K: every K-th of those reads elsewhere */
#define KERNBASE (0xfffff80002a00000ull + g_slide)

static kdcap_writer *g_writer;
static int g_raw_fd[2] = {-1, -1};
static FILE *g_text2pcap; /* --text2pcap: the session as odd-sized TCP segments */
static uint64_t g_now = T0_NS;

static void die(const char *what)
{
    fprintf(stderr, "kdsample: %s: %s\n", what, strerror(errno));
    exit(3);
}

static void on_item(const kd_item *it, void *user)
{
    (void)user;
    if (kdcap_write_item(g_writer, it->dir, it->ts_ns, it->bytes, it->len) != 0)
        die("write");
}

static kd_framer *g_framer[2];

/* Sends bytes in one direction at the current time, then advances the clock. */
/* Writes bytes as text2pcap -D segments ("I" = from the target) cut at odd
 * sizes, so packets straddle segment boundaries everywhere. */
static void text2pcap_segments(kd_dir dir, const uint8_t *p, size_t n)
{
    static const size_t sizes[] = {1, 7, 3, 16, 5, 40, 2, 11, 64, 9, 4, 23};
    static size_t k;
    for (size_t off = 0; off < n;) {
        size_t len = sizes[k++ % (sizeof sizes / sizeof sizes[0])];
        if (len > n - off)
            len = n - off;
        /* One line per segment: text2pcap -D misreads the direction of a
         * segment that follows a multi-line one. */
        fprintf(g_text2pcap, "%s 000000", dir == KD_DIR_T2D ? "I" : "O");
        for (size_t i = 0; i < len; i++)
            fprintf(g_text2pcap, " %02x", p[off + i]);
        fprintf(g_text2pcap, "\n\n");
        off += len;
    }
}

static void send_bytes(kd_dir dir, const uint8_t *p, size_t n, uint64_t gap_us)
{
    if (g_text2pcap)
        text2pcap_segments(dir, p, n);
    kd_framer_feed(g_framer[dir], p, n, g_now);
    if (g_raw_fd[dir] >= 0 && write(g_raw_fd[dir], p, n) != (ssize_t)n)
        die("raw write");
    g_now += gap_us * 1000u * g_time_pct / 100u;
}

static void send_buf(kd_dir dir, kdb_buf *b, uint64_t gap_us)
{
    send_bytes(dir, b->data, b->len, gap_us);
    kdb_free(b);
}

/* §3.3: after RESET each side's ids start at 0x80800000 and alternate. */
static uint32_t g_next_id[2] = {0x80800000u, 0x80800000u};

static uint32_t next_id(kd_dir dir)
{
    uint32_t id = g_next_id[dir];
    g_next_id[dir] ^= 1;
    return id;
}

static void control(kd_dir dir, uint16_t type, uint32_t id, uint64_t gap_us)
{
    kdb_buf b = {0};
    kdb_control_packet(&b, type, id);
    send_buf(dir, &b, gap_us);
}

static void data(kd_dir dir, uint16_t type, uint32_t id, const uint8_t *body, size_t len,
                 uint64_t gap_us)
{
    kdb_buf b = {0};
    kdb_data_packet(&b, type, id, body, len, 1);
    send_buf(dir, &b, gap_us);
}

/* DBGKD_MANIPULATE_STATE64 header (56 bytes, union at 0x10). */
static void manip_header(uint8_t *m, uint32_t api, uint32_t status)
{
    memset(m, 0, 56);
    kdb_put32(m + 0x00, api);     /* ApiNumber */
    kdb_put16(m + 0x04, 0);       /* ProcessorLevel */
    kdb_put16(m + 0x06, 0);       /* Processor */
    kdb_put32(m + 0x08, status);  /* ReturnStatus */
}

/* DBGKD_ANY_WAIT_STATE_CHANGE for a breakpoint exception (240 bytes). */
static void exception_state_change(uint8_t *s)
{
    const uint64_t pc = KERNBASE + 0x7d490;
    const uint64_t thread = 0xfffff80002c4bcc0ull + g_slide;
    memset(s, 0, 240);
    kdb_put32(s + 0x00, 0x3030);                 /* NewState = DbgKdExceptionStateChange */
    kdb_put16(s + 0x04, 6);                      /* ProcessorLevel */
    kdb_put16(s + 0x06, 0);                      /* Processor */
    kdb_put32(s + 0x08, 1);                      /* NumberProcessors */
    kdb_put64(s + 0x10, thread);                 /* Thread */
    kdb_put64(s + 0x18, pc);                     /* ProgramCounter */
    kdb_put32(s + 0x20, 0x80000003u);            /* ExceptionCode = STATUS_BREAKPOINT */
    kdb_put64(s + 0x30, pc);                     /* ExceptionAddress */
    kdb_put32(s + 0x38, 1);                      /* NumberParameters */
    kdb_put32(s + 0xB8, 1);                      /* FirstChance */
    /* AMD64_DBGKD_CONTROL_REPORT at 0xC0 */
    kdb_put32(s + 0xD0, 0x246);                  /* EFlags */
    kdb_put16(s + 0xD4, 16);                     /* InstructionCount */
    kdb_put16(s + 0xD6, 0x3);                    /* ReportFlags: INCLUDES_SEGS|STANDARD_CS */
    static const uint8_t code[16] = {0xcc, 0xc3, 0x90, 0x90, 0x48, 0x83, 0xec, 0x28,
                                     0x48, 0x8b, 0x05, 0x11, 0x22, 0x33, 0x00, 0x48};
    memcpy(s + 0xD8, code, 16);                  /* InstructionStream */
    kdb_put16(s + 0xE8, 0x10);                   /* SegCs */
    kdb_put16(s + 0xEA, 0x2b);                   /* SegDs */
    kdb_put16(s + 0xEC, 0x2b);                   /* SegEs */
    kdb_put16(s + 0xEE, 0x53);                   /* SegFs */
}

static void session(void)
{
    const kd_dir D = KD_DIR_D2T, T = KD_DIR_T2D;
    uint8_t m[56 + 0x100];
    uint8_t s[244];

    /* The debugger breaks in and resets the link (§3.5). */
    send_bytes(D, (const uint8_t *)"b", 1, 150);
    control(D, KD_TYPE_RESET, 0, 400);
    control(T, KD_TYPE_RESET, 0, 300);

    /* Initial breakpoint: the state change, ids restart at 0x80800000. */
    exception_state_change(s);
    kdb_put32(s + 240, 1); /* trace data: one ULONG (§3.7) */
    uint32_t id = next_id(T);
    data(T, KD_TYPE_STATE_CHANGE64, id, s, 244, 200);
    control(D, KD_TYPE_ACKNOWLEDGE, id, 900);

    /* GetVersion. */
    manip_header(m, KD_API_GET_VERSION, 0);
    id = next_id(D);
    data(D, KD_TYPE_STATE_MANIPULATE, id, m, 56, 150);
    control(T, KD_TYPE_ACKNOWLEDGE, id, 300);
    manip_header(m, KD_API_GET_VERSION, 0);
    kdb_put16(m + 0x10, 0x000f);                 /* MajorVersion: NT, free build */
    kdb_put16(m + 0x12, 7601);                   /* MinorVersion: build */
    m[0x14] = 6;                                 /* ProtocolVersion */
    m[0x15] = 2;                                 /* KdSecondaryVersion: AMD64_CONTEXT */
    kdb_put16(m + 0x16, 0x0007);                 /* Flags: MP|DATA|PTR64 */
    kdb_put16(m + 0x18, 0x8664);                 /* MachineType: AMD64 */
    m[0x1A] = 12;                                /* MaxPacketType */
    m[0x1B] = 3;                                 /* MaxStateChange */
    m[0x1C] = 0x31;                              /* MaxManipulate */
    kdb_put64(m + 0x20, KERNBASE);               /* KernBase */
    kdb_put64(m + 0x28, 0xfffff80002c8e890ull + g_slide); /* PsLoadedModuleList */
    kdb_put64(m + 0x30, 0xfffff80002c5a0f0ull + g_slide); /* DebuggerDataList */
    id = next_id(T);
    data(T, KD_TYPE_STATE_MANIPULATE, id, m, 56, 200);
    control(D, KD_TYPE_ACKNOWLEDGE, id, 700);

    if (g_extra_read) {
        /* One more read: 16 bytes of the kernel's PE header offset. */
        manip_header(m, KD_API_READ_VIRTUAL_MEMORY, 0);
        kdb_put64(m + 0x10, KERNBASE + 0x30);
        kdb_put32(m + 0x18, 0x10);
        id = next_id(D);
        data(D, KD_TYPE_STATE_MANIPULATE, id, m, 56, 150);
        control(T, KD_TYPE_ACKNOWLEDGE, id, 300);
        kdb_put32(m + 0x1C, 0x10);
        memset(m + 56, 0, 16);
        kdb_put32(m + 56 + 12, 0x100);
        id = next_id(T);
        data(T, KD_TYPE_STATE_MANIPULATE, id, m, 56 + 16, 200);
        control(D, KD_TYPE_ACKNOWLEDGE, id, 700);
    }

    /* A long session: N reads of 8 bytes walking the kernel image. */
    for (unsigned long i = 0; i < g_reads; i++) {
        uint64_t addr = KERNBASE + 8 * (i % 0x100000) + (g_vary_every && i % g_vary_every == g_vary_every - 1 ? 4 : 0);
        manip_header(m, KD_API_READ_VIRTUAL_MEMORY, 0);
        kdb_put64(m + 0x10, addr);
        kdb_put32(m + 0x18, 8);
        id = next_id(D);
        data(D, KD_TYPE_STATE_MANIPULATE, id, m, 56, 150);
        control(T, KD_TYPE_ACKNOWLEDGE, id, 300);
        kdb_put32(m + 0x1C, 8);
        kdb_put64(m + 56, i);
        id = next_id(T);
        data(T, KD_TYPE_STATE_MANIPULATE, id, m, 56 + 8, 200);
        control(D, KD_TYPE_ACKNOWLEDGE, id, 700);
    }

    /* ReadVirtualMemory of the kernel's first 0x100 bytes. */
    manip_header(m, KD_API_READ_VIRTUAL_MEMORY, 0);
    kdb_put64(m + 0x10, KERNBASE + g_read_offset); /* TargetBaseAddress */
    kdb_put32(m + 0x18, 0x100);                  /* TransferCount */
    id = next_id(D);
    data(D, KD_TYPE_STATE_MANIPULATE, id, m, 56, 150);
    control(T, KD_TYPE_ACKNOWLEDGE, id, 300);
    manip_header(m, KD_API_READ_VIRTUAL_MEMORY, 0);
    kdb_put64(m + 0x10, KERNBASE + g_read_offset);
    kdb_put32(m + 0x18, 0x100);
    kdb_put32(m + 0x1C, 0x100);                  /* ActualBytesRead */
    for (size_t i = 0; i < 0x100; i++)
        m[56 + i] = (uint8_t)(i * 13 + 1);
    memcpy(m + 56, "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", 14);
    /* Line noise hits the reply: three stray bytes, then one body byte
     * flipped in flight, so the checksum fails. */
    send_bytes(T, (const uint8_t *)"\x00\xff\x13", 3, 20);
    kdb_buf b = {0};
    id = next_id(T); /* the retransmission keeps it (§3.3) */
    kdb_data_packet(&b, KD_TYPE_STATE_MANIPULATE, id, m, sizeof m, 1);
    b.data[16 + 56 + 0x40] ^= 0x04;
    send_buf(T, &b, 250);
    control(D, KD_TYPE_RESEND, 0, 300);
    data(T, KD_TYPE_STATE_MANIPULATE, id, m, sizeof m, 200);
    control(D, KD_TYPE_ACKNOWLEDGE, id, 500);

    /* DbgPrint from the target. */
    static const char msg[] = "kdscope sample: hello from the target\n";
    uint8_t io[16 + sizeof msg - 1];
    memset(io, 0, 16);
    kdb_put32(io + 0x00, 0x3230);                /* ApiNumber = DbgKdPrintStringApi */
    kdb_put32(io + 0x08, sizeof msg - 1);        /* LengthOfString */
    memcpy(io + 16, msg, sizeof msg - 1);
    id = next_id(T);
    data(T, KD_TYPE_DEBUG_IO, id, io, sizeof io, 200);
    control(D, KD_TYPE_ACKNOWLEDGE, id, 1200);

    /* Continue2 with DBG_CONTINUE; the control set is AMD64's (§2.4). */
    manip_header(m, KD_API_CONTINUE2, 0);
    kdb_put32(m + 0x10, 0x00010002u);            /* ContinueStatus = DBG_CONTINUE */
    kdb_put32(m + 0x14, 0);                      /* TraceFlag */
    kdb_put64(m + 0x18, 0);                      /* Dr7 */
    kdb_put64(m + 0x20, 1);                      /* CurrentSymbolStart: 1 = leave alone */
    kdb_put64(m + 0x28, 0);                      /* CurrentSymbolEnd */
    id = next_id(D);
    data(D, KD_TYPE_STATE_MANIPULATE, id, m, 56, 150);
    control(T, KD_TYPE_ACKNOWLEDGE, id, 250000);

    /* The target breaks again, but the cable is pulled 40 bytes in. */
    exception_state_change(s);
    kdb_put32(s + 240, 1);
    b = (kdb_buf){0};
    kdb_data_packet(&b, KD_TYPE_STATE_CHANGE64, next_id(T), s, 244, 1);
    send_bytes(T, b.data, 40, 0);
    kdb_free(&b);
}

static void usage(FILE *to)
{
    fprintf(to, "usage: kdsample OUTPUT.pcapng [RAW_DIR] [--text2pcap FILE] [--slide HEX]\n"
                "                [--read-offset HEX] [--extra-read] [--time-scale PCT]\n"
                "                [--reads N] [--vary-every K]\n");
}

int main(int argc, char **argv)
{
    /* OUTPUT [RAW_DIR] then options; the output is never an option's name
     * (kdsample --help once wrote its session into a file named "--help"). */
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && argv[1][0] == '-' && argv[1][1]) {
        fprintf(stderr, "kdsample: %s: the output file comes first (try 'kdsample --help')\n", argv[1]);
        return 2;
    }
    int nargs = argc;
    for (int i = 2; i < argc; i++) {
        if (argv[i][0] != '-')
            continue;
        if (nargs == argc)
            nargs = i;
        if (strcmp(argv[i], "--text2pcap") == 0 && i + 1 < argc) {
            g_text2pcap = fopen(argv[++i], "w");
            if (!g_text2pcap)
                die(argv[i]);
        } else if (strcmp(argv[i], "--slide") == 0 && i + 1 < argc) {
            g_slide = strtoull(argv[++i], NULL, 16);
        } else if (strcmp(argv[i], "--read-offset") == 0 && i + 1 < argc) {
            g_read_offset = strtoull(argv[++i], NULL, 16);
        } else if (strcmp(argv[i], "--extra-read") == 0) {
            g_extra_read = 1;
        } else if (strcmp(argv[i], "--reads") == 0 && i + 1 < argc) {
            g_reads = strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--vary-every") == 0 && i + 1 < argc) {
            g_vary_every = strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--time-scale") == 0 && i + 1 < argc) {
            g_time_pct = (unsigned)strtoul(argv[++i], NULL, 10);
        } else {
            nargs = 0;
            break;
        }
    }
    argc = nargs;
    if (argc < 2 || argc > 3) {
        usage(stderr);
        return 2;
    }
    const char *out = argv[1];
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die(out);
    if (argc == 3) {
        char path[4096];
        for (int d = 0; d < 2; d++) {
            snprintf(path, sizeof path, "%s/%s.bin", argv[2], d ? "t2d" : "d2t");
            g_raw_fd[d] = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (g_raw_fd[d] < 0)
                die(path);
        }
    }
    /* A fixed comment keeps the file byte-for-byte reproducible. */
    kdcap_writer_opts opts = {
        .comment = "kdsample (kdscope " KDSCOPE_VERSION "): synthetic AMD64 serial session",
        .if_name = {"debugger-tx", "target-tx"},
    };
    g_writer = kdcap_writer_open(fd, &opts);
    if (!g_writer)
        die(out);
    for (int d = 0; d < 2; d++)
        g_framer[d] = kd_framer_new(KD_TRANSPORT_SERIAL, (kd_dir)d, on_item, NULL);
    session();
    for (int d = 0; d < 2; d++) {
        kd_framer_finish(g_framer[d]);
        kd_framer_free(g_framer[d]);
        if (g_raw_fd[d] >= 0)
            close(g_raw_fd[d]);
    }
    if (kdcap_writer_close(g_writer) != 0)
        die(out);
    if (g_text2pcap && fclose(g_text2pcap) != 0)
        die("text2pcap output");
    if (close(fd) != 0)
        die(out);
    return 0;
}
