/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsim - a KD peer that speaks the real serial protocol.
 *
 *   kdsim target   [options] ENDPOINT   plays a Windows kernel
 *   kdsim debugger [options] --script FILE ENDPOINT   plays the debugger
 *
 * The target boots (load-symbols for the kernel and the HAL, the initial
 * breakpoint), then loops: state change -> manipulate requests answered
 * from its machine model -> Continue -> running (DbgPrint, DbgPrompt,
 * breakpoint hits, break-in) -> the next state change.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capio.h"
#include "cliopt.h"
#include "endpoint.h"
#include "kdparse/framer.h"
#include "kdnet_io.h"
#include "kdsession.h"
#include "link.h"
#include "model.h"
#include "record.h"
#include "replay.h"
#include "script.h"

static const char *prog = "kdsim";

/* ------------------------------------------------------------ endpoint I/O */

static ssize_t ep_read(void *ctx, void *buf, size_t n, int timeout_ms)
{
    return kd_endpoint_read(ctx, buf, n, timeout_ms);
}

static int ep_write(void *ctx, const void *buf, size_t n)
{
    return kd_endpoint_write(ctx, buf, n);
}

/* ------------------------------------------------------------ --record */

static kdsim_recorder *g_rec;

/* link.h's tap: the recorder, and a write error ends the run (exit 3). */
static void tap(kd_dir dir, const uint8_t *bytes, size_t len, void *user)
{
    (void)user;
    if (!g_rec)
        return;
    kdsim_record_tap(dir, bytes, len, g_rec);
    if (kdsim_record_failed(g_rec))
        exit(3);
}

/* ------------------------------------------------------------ the target */

static long encode_target_msg(const void *msg, uint32_t id, uint8_t *buf, size_t cap)
{
    return kdsim_msg_encode(msg, id, KD_TRANSPORT_SERIAL, buf, cap);
}

/* Sends a message, again after each RESET (§3.5: the pending packet is
 * re-sent).  0, or -1 when the debugger went away. */
static int send_resending(kdsim_link *l, const kdsim_msg *msg)
{
    int rc;
    while ((rc = kdsim_link_send_with(l, encode_target_msg, msg)) == 1)
        ;
    return rc < 0 ? -1 : 0;
}

/* The target's loop, driven by the model's state: events to send first,
 * then requests while stopped, a DbgPrompt's answer, or break-in polling
 * while running. */
static int run_target(kdsim_link *l, kdsim_model *m)
{
    static kdsim_msg out;
    for (;;) {
        if (kdsim_model_next_event(m, &out)) {
            if (send_resending(l, &out) != 0)
                return 0;
            continue;
        }
        kdsim_run_state st = kdsim_model_state(m);
        kdsim_event ev;
        kdsim_link_recv(l, st == KDSIM_RUNNING ? 100 : -1, &ev);
        switch (ev.kind) {
        case KDSIM_EV_CLOSED:
            return 0;
        case KDSIM_EV_BREAKIN:
            kdsim_model_break_in(m);
            break;
        case KDSIM_EV_RESET:
            /* §3.5: stopped, the target answers RESET by sending its
             * current state change again (the model rebuilds it). */
            if (st == KDSIM_STOPPED && kdsim_model_state_change(m, &out) && send_resending(l, &out) != 0)
                return 0;
            break;
        case KDSIM_EV_DATA:
            if (st == KDSIM_PROMPT && ev.msg->type == KD_TYPE_DEBUG_IO) {
                const kd_node *r = kd_msg_find(ev.msg, KD_F_DIO_RESPONSE);
                kdsim_model_prompt_answer(m, r ? (const char *)r->data : "", r ? r->length : 0);
            } else if (ev.msg->type == KD_TYPE_STATE_MANIPULATE && kdsim_model_handle(m, ev.msg, &out)) {
                if (send_resending(l, &out) != 0)
                    return 0;
            }
            break;
        default:
            break;
        }
    }
}

/* ------------------------------------------------------------ main */

#define MAX_SCHEDULED 64

/* "3,7,12" -> packet numbers (from 1).  The count, or -1 on a bad list. */
static int parse_packet_list(const char *opt, const char *list, uint32_t *v)
{
    int n = 0;
    for (const char *s = list;;) {
        char *end;
        unsigned long k = strtoul(s, &end, 10);
        if (end == s || k == 0 || k > UINT32_MAX || n == MAX_SCHEDULED || (*end && *end != ',')) {
            fprintf(stderr, "%s: --%s: '%s' is not a list of packet numbers (1,2,...; at most %d)\n", prog, opt,
                    list, MAX_SCHEDULED);
            return -1;
        }
        v[n++] = (uint32_t)k;
        if (!*end)
            return n;
        s = end + 1;
    }
}

/* "--delay 5": a whole number min..max, or -1 after one line. */
static int parse_int(const char *opt, const char *arg, int min, int max, int *out)
{
    uint64_t v;
    if (kd_opt_unsigned(prog, arg, 10, (uint64_t)min, (uint64_t)max, &v, "--%s: '%s' is not a number from %d to %d", opt,
                        arg, min, max) != 0)
        return -1;
    *out = (int)v;
    return 0;
}

static void usage(FILE *to)
{
    fprintf(to,
            "Usage: %s target [OPTION]... ENDPOINT\n"
            "       %s debugger --script FILE [OPTION]... ENDPOINT\n"
            "       %s replay --as target|debugger [OPTION]... SESSION ENDPOINT\n"
            "A KD peer over a serial link: a simulated Windows kernel, a scripted debugger,\n"
            "or one side of a recorded session (kdsim replay --help).\n"
            "\n"
            "ENDPOINT: a serial device (/dev/ttyS0, /dev/ttyUSB0@921600), pty (prints the slave\n"
            "path), unix:PATH, unix-listen:PATH, tcp:HOST:PORT, tcp-listen:[HOST:]PORT, or -.\n"
            "KDNET:    --kdnet KEY (a.b.c.d) with udp:HOST:PORT (target: pokes the host) or\n"
            "          udp-listen:[HOST:]PORT (debugger: answers the poke); --poke-interval MS\n"
            "          (default 3000); --record then holds the KD packets as a serial link\n"
            "          numbers them (a real UDP capture: dumpcap, tcpdump)\n"
            "\n"
            "Target:   --arch x86|amd64|arm64  --build N  --protocol 64|32  --seed N\n"
            "          --kaslr[=N]  kernel and drivers at random bases from N (default: the seed)\n"
            "Debugger: --script FILE (the script language: kdsim(1))\n"
            "Both:     --record FILE   write what crossed the link as kdscope pcapng\n"
            "          --fixed-clock   timestamps 1 ms apart from 2023-11-14 (reproducible files)\n"
            "          --noise RATE --drop RATE --delay MS --jitter MS   faults on what it sends\n"
            "          --drop-packets N,.. --corrupt-packets N,..   lose / damage the N-th packet sent\n"
            "          --baud N  --timeout MS (ACK timeout, default 1000)  --quiet\n"
            "Other implementations' ways (kdsim is kdcom otherwise):\n"
            "          --no-wait            send the next packet before the last one's ACK\n"
            "          --keep-ids-on-reset  packet ids go on across RESET\n"
            "          --reset-id ID        (target) answer RESET with this id, not 0\n"
            "          --ack-late next|reset  ACK after this end's next packet; or (debugger)\n"
            "                               ACK a packet that came before its RESET after it\n"
            "          --resend-with-id     RESEND carries the damaged packet's id, not 0\n"
            "          --control-junk N     N junk bytes (0x00) after every control packet\n"
            "          -h, --help  this text;  --version  the version\n"
            "\n"
            "Exit status: 0 done, 1 an expect failed (replay: the peer differs from the\n"
            "recording), 2 bad usage, 3 the link failed.\n",
            prog, prog, prog);
}

int main(int argc, char **argv)
{
    enum { O_ARCH = 256, O_BUILD, O_PROTOCOL, O_SEED, O_SCRIPT, O_RECORD, O_FIXED, O_NOISE, O_DROP, O_DELAY,
           O_JITTER, O_BAUD, O_TIMEOUT, O_QUIET, O_VERSION, O_DROP_PACKETS, O_CORRUPT_PACKETS, O_KDNET,
           O_POKE_INTERVAL, O_NO_WAIT, O_KEEP_IDS, O_RESET_ID, O_ACK_LATE, O_RESEND_WITH_ID, O_CONTROL_JUNK,
           O_KASLR };
    static const struct option longopts[] = {
        {"arch", required_argument, NULL, O_ARCH},     {"build", required_argument, NULL, O_BUILD},
        {"protocol", required_argument, NULL, O_PROTOCOL}, {"seed", required_argument, NULL, O_SEED},
        {"script", required_argument, NULL, O_SCRIPT}, {"record", required_argument, NULL, O_RECORD},
        {"fixed-clock", no_argument, NULL, O_FIXED},   {"noise", required_argument, NULL, O_NOISE},
        {"drop", required_argument, NULL, O_DROP},     {"delay", required_argument, NULL, O_DELAY},
        {"jitter", required_argument, NULL, O_JITTER}, {"baud", required_argument, NULL, O_BAUD},
        {"timeout", required_argument, NULL, O_TIMEOUT}, {"quiet", no_argument, NULL, O_QUIET},
        {"drop-packets", required_argument, NULL, O_DROP_PACKETS},
        {"corrupt-packets", required_argument, NULL, O_CORRUPT_PACKETS},
        {"kdnet", required_argument, NULL, O_KDNET},
        {"poke-interval", required_argument, NULL, O_POKE_INTERVAL},
        {"no-wait", no_argument, NULL, O_NO_WAIT},     {"keep-ids-on-reset", no_argument, NULL, O_KEEP_IDS},
        {"reset-id", required_argument, NULL, O_RESET_ID}, {"ack-late", required_argument, NULL, O_ACK_LATE},
        {"resend-with-id", no_argument, NULL, O_RESEND_WITH_ID},
        {"control-junk", required_argument, NULL, O_CONTROL_JUNK},
        {"kaslr", optional_argument, NULL, O_KASLR},
        {"help", no_argument, NULL, 'h'},              {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("kdsim (kdscope) %s\n", KDSCOPE_VERSION);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "replay") == 0)
        return kdsim_replay_main(argc, argv);
    if (argc < 2 || (strcmp(argv[1], "target") != 0 && strcmp(argv[1], "debugger") != 0)) {
        fprintf(stderr, "%s: expected 'target', 'debugger' or 'replay' (try '%s --help')\n", prog, prog);
        return 2;
    }
    int is_target = strcmp(argv[1], "target") == 0;
    kdsim_model_opts mo = {.arch = KD_ARCH_AMD64};
    kdsim_link_opts lo = {.role = is_target ? KDSIM_TARGET : KDSIM_DEBUGGER};
    kd_endpoint_opts eo = {.listen_timeout_ms = -1};
    static uint32_t drop_nth[MAX_SCHEDULED], corrupt_nth[MAX_SCHEDULED];
    const char *script_path = NULL, *record_path = NULL;
    kdsim_kdnet_opts ko = {.role = is_target ? KDSIM_TARGET : KDSIM_DEBUGGER, .handshake_timeout_ms = -1};
    int use_kdnet = 0, fixed_clock = 0;
    int quiet = 0, c;
    uint64_t v;
    optind = 2;
    opterr = 0; /* our own one-line messages */
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case O_ARCH:
            /* the simulated target's arches (the model has no 32-bit ARM) */
            if (kd_arch_parse(optarg, &mo.arch) != 0 ||
                (mo.arch != KD_ARCH_X86 && mo.arch != KD_ARCH_AMD64 && mo.arch != KD_ARCH_ARM64)) {
                fprintf(stderr, "%s: --arch: '%s' is not x86, amd64 or arm64\n", prog, optarg);
                return 2;
            }
            break;
        case O_BUILD:
            if (kd_opt_unsigned(prog, optarg, 0, 0, UINT32_MAX, &v, "--build: '%s' is not a number", optarg) != 0)
                return 2;
            mo.build = (uint32_t)v;
            break;
        case O_PROTOCOL:
            if (strcmp(optarg, "32") && strcmp(optarg, "64")) {
                fprintf(stderr, "%s: --protocol: '%s' is not 32 or 64\n", prog, optarg);
                return 2;
            }
            mo.protocol32 = strcmp(optarg, "32") == 0;
            break;
        case O_SEED:
            if (kd_opt_unsigned(prog, optarg, 0, 0, UINT64_MAX, &mo.seed, "--seed: '%s' is not a number", optarg) != 0)
                return 2;
            lo.seed = mo.seed;
            break;
        case O_KASLR: /* module bases drawn from N, or from --seed (model.h, "Module bases") */
            mo.kaslr = optarg ? 2 : 1;
            mo.kaslr_seed = 0;
            if (optarg &&
                kd_opt_unsigned(prog, optarg, 0, 0, UINT64_MAX, &mo.kaslr_seed, "--kaslr: '%s' is not a number",
                                optarg) != 0)
                return 2;
            break;
        case O_SCRIPT:
            script_path = optarg;
            break;
        case O_RECORD:
            record_path = optarg;
            break;
        case O_FIXED:
            fixed_clock = 1;
            break;
        case O_NOISE:
        case O_DROP: {
            if (kd_opt_double(prog, optarg, 0, 1, c == O_NOISE ? &lo.noise : &lo.drop,
                              "--%s: '%s' is not a rate from 0 to 1", c == O_NOISE ? "noise" : "drop", optarg) != 0)
                return 2;
            break;
        }
        case O_DROP_PACKETS:
        case O_CORRUPT_PACKETS: {
            int drop = c == O_DROP_PACKETS;
            int n = parse_packet_list(drop ? "drop-packets" : "corrupt-packets", optarg, drop ? drop_nth : corrupt_nth);
            if (n < 0)
                return 2;
            if (drop) {
                lo.drop_nth = drop_nth;
                lo.n_drop_nth = (size_t)n;
            } else {
                lo.corrupt_nth = corrupt_nth;
                lo.n_corrupt_nth = (size_t)n;
            }
            break;
        }
        case O_NO_WAIT:
            lo.no_wait = 1;
            break;
        case O_KEEP_IDS:
            lo.keep_ids_on_reset = 1;
            break;
        case O_RESET_ID:
            lo.reset_id_set = 1;
            if (kd_opt_unsigned(prog, optarg, 0, 0, UINT32_MAX, &v, "--reset-id: '%s' is not a number", optarg) != 0)
                return 2;
            lo.reset_id = (uint32_t)v;
            break;
        case O_ACK_LATE:
            if (strcmp(optarg, "next") == 0)
                lo.ack_late = KDSIM_ACK_AFTER_NEXT;
            else if (strcmp(optarg, "reset") == 0)
                lo.ack_late = KDSIM_ACK_AFTER_RESET;
            else {
                fprintf(stderr, "%s: --ack-late: '%s' is not next or reset\n", prog, optarg);
                return 2;
            }
            break;
        case O_RESEND_WITH_ID:
            lo.resend_with_id = 1;
            break;
        case O_CONTROL_JUNK:
            if (kd_opt_unsigned(prog, optarg, 10, 0, 64, &v, "--control-junk: '%s' is not a number of bytes 0..64",
                                optarg) != 0)
                return 2;
            lo.control_junk = (unsigned)v;
            break;
        case O_DELAY:
        case O_JITTER:
            if (parse_int(c == O_DELAY ? "delay" : "jitter", optarg, 0, 60000,
                          c == O_DELAY ? &lo.delay_ms : &lo.jitter_ms) != 0)
                return 2;
            break;
        case O_BAUD:
            if (kd_endpoint_baud_option(prog, optarg, &eo.baud) != 0)
                return 2;
            break;
        case O_TIMEOUT:
            if (parse_int("timeout", optarg, 1, 3600000, &lo.ack_timeout_ms) != 0)
                return 2;
            break;
        case O_QUIET:
            quiet = 1;
            break;
        case O_KDNET:
            if (kdsim_kdnet_parse_key(prog, optarg, &ko) != 0)
                return 2;
            use_kdnet = 1;
            break;
        case O_POKE_INTERVAL:
            if (kdsim_kdnet_parse_poke_interval(prog, optarg, &ko) != 0)
                return 2;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case O_VERSION:
            printf("kdsim (kdscope) %s\n", KDSCOPE_VERSION);
            return 0;
        default:
            return kd_opt_complaint(prog, NULL, c, argv);
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "%s: expected one ENDPOINT (try '%s --help')\n", prog, prog);
        return 2;
    }
    char err[512];
    kdsim_script *script = NULL;
    if (is_target && script_path) {
        fprintf(stderr, "%s: target: --script is for the debugger (kdsim debugger --script FILE)\n", prog);
        return 2;
    }
    if (!is_target) {
        struct stat sb;
        if (script_path && stat(script_path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "%s: %s: %s\n", prog, script_path, strerror(EISDIR));
            return 2;
        }
        if (!script_path) {
            fprintf(stderr, "%s: debugger: --script FILE is required\n", prog);
            return 2;
        }
        script = kdsim_script_load(script_path, err, sizeof err);
        if (!script) {
            /* "FILE:LINE: what" for a bad line, "FILE: why" when it cannot be read */
            fprintf(stderr, "%s: %s:%s%s\n", prog, script_path, isdigit((unsigned char)err[0]) ? "" : " ", err);
            return 2;
        }
    }
    kdsim_model *model = NULL;
    if (mo.kaslr == 1)
        mo.kaslr_seed = mo.seed; /* --kaslr without N: the seed, wherever --seed came */
    if (is_target && !(model = kdsim_model_new(&mo))) {
        fprintf(stderr, "%s: target: this architecture and protocol do not go together\n", prog);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    /* --record first: a file that cannot be written fails before any
     * endpoint (a pty, a listening socket) exists.  record_open says why. */
    kdsim_record_opts ro = {.path = record_path, .prog = prog, .fixed_clock = fixed_clock, .argc = argc, .argv = argv};
    if (record_path && !(g_rec = kdsim_record_open(&ro))) {
        kdsim_script_free(script);
        kdsim_model_free(model);
        return 2;
    }
    kdsim_kdnet *kn = NULL;
    kd_endpoint *ep = NULL;
    if (use_kdnet) {
        /* KDNET: the serial link over datagrams (kdnet_io.h). */
        ko.spec = argv[optind];
        ko.seed = mo.seed;
        int fail = 0;
        if (!(kn = kdsim_kdnet_open(&ko, err, sizeof err)))
            fail = 2;
        else if (kdsim_kdnet_handshake(kn, err, sizeof err) != 0)
            fail = 3;
        if (fail) {
            fprintf(stderr, "%s: %s\n", prog, err);
            kdsim_record_close(g_rec);
            kdsim_kdnet_close(kn);
            kdsim_script_free(script);
            kdsim_model_free(model);
            return fail;
        }
        if (!quiet)
            fprintf(stderr, "%s: KDNET: handshake done on %s\n", prog, argv[optind]);
    } else if (!(ep = kd_endpoint_open(argv[optind], &eo, err, sizeof err))) {
        fprintf(stderr, "%s: %s\n", prog, err);
        kdsim_record_close(g_rec);
        kdsim_script_free(script);
        kdsim_model_free(model);
        return 2;
    }
    if (ep && kd_endpoint_pty_path(ep)) {
        fprintf(stderr, "%s: pty: %s\n", prog, kd_endpoint_pty_path(ep));
        fflush(stderr);
    }
    lo.tap = tap;
    kdsim_io io = kn ? kdsim_kdnet_io(kn) : (kdsim_io){ep_read, ep_write, ep};
    kdsim_link *l = kdsim_link_new(&io, &lo);
    int rc = 0;
    if (is_target) {
        kd_decode_opts views = kdsim_model_decode_opts(model);
        kdsim_link_set_views(l, views.arch, views.width);
        run_target(l, model);
    } else {
        /* The transcript goes to stdout, unless stdout is the link; line by
         * line, so it can be watched through a pipe (| tee). */
        FILE *shown = strcmp(argv[optind], "-") == 0 ? stderr : stdout;
        setvbuf(shown, NULL, _IOLBF, 0);
        FILE *log = quiet ? fopen("/dev/null", "w") : shown;
        int r = kdsim_script_run(script, l, log ? log : shown, err, sizeof err);
        if (log && log != shown)
            fclose(log);
        if (r != 0) {
            fprintf(stderr, "%s: %s:%s\n", prog, script_path, err);
            rc = r > 0 ? 1 : 3;
        }
    }
    if (!quiet) {
        kdsim_link_stats st;
        kdsim_link_get_stats(l, &st);
        fprintf(stderr, "%s: %s: %llu packets sent, %llu retransmitted, %llu RESENDs sent, %llu duplicates, %llu resets\n",
                prog, is_target ? "target" : "debugger", (unsigned long long)st.sent,
                (unsigned long long)st.retransmitted, (unsigned long long)st.resends_sent,
                (unsigned long long)st.duplicates, (unsigned long long)st.resets);
    }
    if (kdsim_record_close(g_rec) != 0 && rc == 0)
        rc = 3;
    kdsim_link_free(l);
    kd_endpoint_close(ep);
    kdsim_kdnet_close(kn);
    kdsim_script_free(script);
    kdsim_model_free(model);
    return rc;
}
