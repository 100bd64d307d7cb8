/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * options.c - kdtap's command line (options.h): the options of tap and
 * relay, their checks, --help, and the SHB comment that records them.
 */
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliopt.h"
#include "endpoint.h"
#include "kdsession.h"
#include "options.h"

/* Characters that need no quoting in a shell word. */
static int plain_word(const char *a)
{
    if (!*a)
        return 0;
    for (const char *p = a; *p; p++) {
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:@=,+-%", *p))
            return 0;
    }
    return 1;
}

char *kdtap_command_comment(int argc, char **argv)
{
    size_t cap = 64 + strlen(KDSCOPE_VERSION);
    for (int i = 1; i < argc; i++)
        cap += 3 + 4 * strlen(argv[i]);
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t k = (size_t)snprintf(s, cap, "kdtap (kdscope %s):", KDSCOPE_VERSION);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        s[k++] = ' ';
        if (plain_word(a)) {
            memcpy(s + k, a, strlen(a));
            k += strlen(a);
            continue;
        }
        s[k++] = '\'';
        for (const char *p = a; *p; p++) {
            if (*p == '\'') {
                memcpy(s + k, "'\\''", 4);
                k += 4;
            } else {
                s[k++] = *p;
            }
        }
        s[k++] = '\'';
    }
    s[k] = '\0';
    return s;
}

static void usage(FILE *to)
{
    fprintf(to,
            "Usage: kdtap tap [OPTION]... T2D_PORT D2T_PORT -w FILE\n"
            "       kdtap relay [OPTION]... TARGET DEBUGGER -w FILE\n"
            "Record a live Windows kernel debugging (KD) session as pcapng, losing nothing.\n"
            "\n"
            "tap:   two receive-only serial ports on a Y-cable: T2D_PORT hears the target's\n"
            "       transmit line, D2T_PORT the debugger's (/dev/ttyUSB0, /dev/ttyS1@57600).\n"
            "relay: inline between the target (a VM's serial pipe) and the debugger,\n"
            "       forwarding every byte both ways.  Endpoints: a serial device, pty (prints\n"
            "       the slave path), unix:PATH, unix-listen:PATH, tcp:HOST:PORT,\n"
            "       tcp-listen:[HOST:]PORT, or -.\n"
            "\n"
            "  -w, --write=FILE       the pcapng file to write ('-': standard output)\n"
            "  -b, --baud=RATE        serial ports' rate, 50 to 921600 (default 115200);\n"
            "                         PORT@RATE sets one port's\n"
            "      --interval=MS      tap: while bytes flow, read the ports at most every\n"
            "                         MS ms, 0 to 100 (default 10); timestamps are within MS\n"
            "                         of a byte's arrival; 0 reads bytes as they come\n"
            "                         (the finest timestamps, the most CPU)\n"
            "      --reconnect        relay: wait for a side that went away, do not stop\n"
            "      --duration=SECS    stop after SECS seconds\n"
            "  -c, --packets=N        stop after N KD packets (data and control, both ways)\n"
            "      --ring-size=MB     start a new file whenever one reaches MB megabytes\n"
            "      --ring-files=N     with --ring-size: keep only the newest N files\n"
            "      --decode           print a kdcat summary line per item on standard output\n"
            "      --arch=ARCH        decode as x86, amd64, arm64 or arm (default: inferred)\n"
            "      --width=BITS       manipulate layout 32 or 64 (default: inferred)\n"
            "  -q, --quiet            no status line on a terminal, no totals at the end\n"
            "  -h, --help             show this help and exit\n"
            "      --version          show the version and exit\n"
            "\n"
            "Wireshark runs kdtap as an extcap program (--extcap-interfaces, ...): its\n"
            "interfaces kdtap-tap and kdtap-relay capture live.\n"
            "\n"
            "Exit status: 0 stopped (a signal, --duration, --packets, or a relay side\n"
            "closed its connection), 2 bad usage or a port that cannot be opened,\n"
            "3 an I/O error while recording (a port hung up, the disk is full).\n");
}

__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kdtap: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return KDTAP_EXIT_USAGE;
}

/* A global, so that early returns leave nothing unreachable. */
static char *comment;

int kdtap_parse_args(int argc, char **argv, kdtap_config *out)
{
    enum { O_RECONNECT = 256, O_DURATION, O_RING_SIZE, O_RING_FILES, O_DECODE, O_ARCH, O_WIDTH, O_VERSION, O_INTERVAL };
    static const struct option longopts[] = {
        {"write", required_argument, NULL, 'w'},        {"baud", required_argument, NULL, 'b'},
        {"reconnect", no_argument, NULL, O_RECONNECT},  {"duration", required_argument, NULL, O_DURATION},
        {"packets", required_argument, NULL, 'c'},      {"ring-size", required_argument, NULL, O_RING_SIZE},
        {"ring-files", required_argument, NULL, O_RING_FILES}, {"decode", no_argument, NULL, O_DECODE},
        {"arch", required_argument, NULL, O_ARCH},      {"width", required_argument, NULL, O_WIDTH},
        {"quiet", no_argument, NULL, 'q'},              {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, O_VERSION},      {"interval", required_argument, NULL, O_INTERVAL},
        {NULL, 0, NULL, 0},
    };
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("kdtap (kdscope) %s\n", KDSCOPE_VERSION);
        return 0;
    }
    if (argc < 2)
        return bad("expected 'tap' or 'relay' (try 'kdtap --help')");
    if (strcmp(argv[1], "tap") != 0 && strcmp(argv[1], "relay") != 0) {
        /* An option first: one of tap's and relay's, or none at all. */
        if (argv[1][0] == '-' && argv[1][1]) {
            opterr = 0;
            optind = 1;
            int o = getopt_long(2, argv, ":w:b:c:qh", longopts, NULL);
            if (o == '?')
                return kd_opt_complaint("kdtap", NULL, o, argv);
            return bad("%s: expected 'tap' or 'relay' before the options (try 'kdtap --help')", argv[1]);
        }
        return bad("%s: expected 'tap' or 'relay' (try 'kdtap --help')", argv[1]);
    }
    kdtap_config c = {.mode = strcmp(argv[1], "tap") == 0 ? KDTAP_TAP : KDTAP_RELAY, .out_fd = -1,
                      .interval_ms = -1};
    /* Before getopt_long permutes argv: the command line as typed. */
    comment = kdtap_command_comment(argc, argv);
    if (!comment) {
        fprintf(stderr, "kdtap: %s\n", strerror(ENOMEM));
        return KDTAP_EXIT_IO;
    }
    c.comment = comment;
    const char *ring_files_arg = NULL;
    int opt;
    uint64_t v;
    opterr = 0; /* our own one-line messages */
    optind = 2;
    while ((opt = getopt_long(argc, argv, ":w:b:c:qh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'w':
            c.out = optarg;
            break;
        case 'b':
            if (kd_endpoint_baud_option("kdtap", optarg, &c.baud) != 0)
                return KDTAP_EXIT_USAGE;
            break;
        case O_RECONNECT:
            c.reconnect = 1;
            break;
        case O_INTERVAL:
            if (kd_opt_unsigned("kdtap", optarg, 10, 0, KDTAP_MAX_INTERVAL_MS, &v,
                                "--interval: '%s' is not a number of milliseconds (0 to %d)", optarg,
                                KDTAP_MAX_INTERVAL_MS) != 0)
                return KDTAP_EXIT_USAGE;
            c.interval_ms = (int)v;
            break;
        case O_DURATION:
            /* above 0: DBL_MIN, the smallest double strtod gives without ERANGE */
            if (kd_opt_double("kdtap", optarg, DBL_MIN, 1e9, &c.duration,
                              "--duration: '%s' is not a number of seconds", optarg) != 0)
                return KDTAP_EXIT_USAGE;
            break;
        case 'c':
            if (kd_opt_unsigned("kdtap", optarg, 10, 1, UINT64_MAX, &c.packets,
                                "--packets: '%s' is not a positive number", optarg) != 0)
                return KDTAP_EXIT_USAGE;
            break;
        case O_RING_SIZE:
            if (kd_opt_unsigned("kdtap", optarg, 10, 1, 1000000, &v,
                                "--ring-size: '%s' is not a number of megabytes (1 to 1000000)", optarg) != 0)
                return KDTAP_EXIT_USAGE;
            c.ring_bytes = v * 1000000u;
            break;
        case O_RING_FILES:
            if (kd_opt_unsigned("kdtap", optarg, 10, 1, 100000, &v,
                                "--ring-files: '%s' is not a number of files (1 to 100000)", optarg) != 0)
                return KDTAP_EXIT_USAGE;
            c.ring_files = (unsigned)v;
            ring_files_arg = optarg;
            break;
        case O_DECODE:
            c.decode = 1;
            break;
        case O_ARCH:
            if (kdsession_parse_arch("kdtap", optarg, &c.arch) != 0)
                return KDTAP_EXIT_USAGE;
            break;
        case O_WIDTH:
            if (kdsession_parse_width("kdtap", optarg, &c.width) != 0)
                return KDTAP_EXIT_USAGE;
            break;
        case 'q':
            c.quiet = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case O_VERSION:
            printf("kdtap (kdscope) %s\n", KDSCOPE_VERSION);
            return 0;
        default:
            return kd_opt_complaint("kdtap", NULL, opt, argv);
        }
    }
    const char *what = c.mode == KDTAP_TAP ? "T2D_PORT D2T_PORT" : "TARGET DEBUGGER";
    if (argc - optind != 2)
        return bad("%s: expected %s (try 'kdtap --help')", argv[1], what);
    c.spec[KDTAP_TARGET] = argv[optind];
    c.spec[KDTAP_DEBUGGER] = argv[optind + 1];
    if (!c.out)
        return bad("-w FILE is required (-w - for standard output)");
    if (c.mode == KDTAP_TAP && c.reconnect)
        return bad("--reconnect is for relay (a tap only listens)");
    if (c.mode == KDTAP_RELAY && c.interval_ms >= 0)
        return bad("--interval is for tap (a relay forwards every byte at once)");
    if (c.mode == KDTAP_TAP && strcmp(c.spec[0], c.spec[1]) == 0)
        return bad("%s: the same port for both directions", c.spec[0]);
    if (ring_files_arg && !c.ring_bytes)
        return bad("--ring-files %s needs --ring-size", ring_files_arg);
    if (c.ring_bytes && strcmp(c.out, "-") == 0)
        return bad("--ring-size needs a file name, not -w -");
    if (c.decode && strcmp(c.out, "-") == 0)
        return bad("--decode prints on standard output: it cannot share it with -w -");
    if (c.mode == KDTAP_RELAY && strcmp(c.out, "-") == 0 &&
        (strcmp(c.spec[0], "-") == 0 || strcmp(c.spec[1], "-") == 0))
        return bad("the endpoint - and -w - would share standard output");
    *out = c;
    comment = NULL; /* the caller's now */
    return -1;
}
