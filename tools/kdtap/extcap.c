/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * extcap.c - kdtap as a Wireshark extcap program (man 4 extcap).
 *
 * Two interfaces, one per mode, so each shows only its own settings:
 *   kdtap-tap    the Y-cable tap: the two receive-only ports (the serial
 *                ports present are offered: /dev/ttyS* with a UART behind
 *                them, /dev/ttyUSB*, /dev/ttyACM*), the baud rate, the
 *                read interval
 *   kdtap-relay  the relay: target and debugger endpoints, --reconnect,
 *                the baud rate of serial endpoints
 * both with the stop conditions.  Link type 252 (exported PDU, "kd").
 *
 * A capture is an ordinary kdtap run writing pcapng to Wireshark's fifo, a
 * block at a time; Wireshark stops it with SIGTERM.  Selector defaults are
 * not passed by Wireshark, so every option has its default here too: the
 * tap's two ports default to two different ports present, USB adapters
 * (ttyUSB, ttyACM: a tap's usual hardware) before built-in ttyS lines.
 *
 * The calls follow upstream's extcap interface (doc/README.extcap,
 * extcap/extcap-base.[ch], read at its newest), of which 4.0's is a subset:
 * --extcap-version alone answers the version sentence; the newer
 * --extcap-config-option-name/-value (one option's values, like
 * --extcap-reload-option), --extcap-cleanup-postkill, --log-level and
 * --log-file are accepted, so no version's call is an unknown option.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kdparse/schema.h"

#include "cliopt.h"
#include "endpoint.h"
#include "kdtap.h"
#include "options.h"

#define IF_TAP "kdtap-tap"
#define IF_RELAY "kdtap-relay"
#define DEFAULT_BAUD 115200u
#define MAX_PORTS 256

int kdtap_is_extcap_call(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--extcap-", 9) == 0 || strcmp(argv[i], "--capture") == 0)
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------------ ports */

/* Where the ports are looked for: ROOT/dev and ROOT/sys/class/tty, ROOT
 * being $KDTAP_DEVICE_ROOT (tests and screenshots stand in a folder of
 * their own for the machine's devices) or "" (the machine's). */
static const char *device_root(void)
{
    const char *r = getenv("KDTAP_DEVICE_ROOT");
    return r && *r ? r : "";
}

/* A ttyS line is listed when the kernel found a UART behind it (its sysfs
 * "type" is not 0, PORT_UNKNOWN); when sysfs cannot say, it is listed. */
static int uart_present(const char *name)
{
    char path[PATH_MAX], buf[16];
    snprintf(path, sizeof path, "%s/sys/class/tty/%s/type", device_root(), name);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    int ok = fgets(buf, sizeof buf, f) != NULL && atoi(buf) != 0;
    fclose(f);
    return ok;
}

static int is_adapter(const char *name)
{
    return (strncmp(name, "ttyUSB", 6) == 0 || strncmp(name, "ttyACM", 6) == 0) &&
           isdigit((unsigned char)name[6]);
}

/* Natural order: ttyS2 before ttyS10, ttyACM before ttyS before ttyUSB. */
static int port_cmp(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    size_t px = strcspn(x, "0123456789"), py = strcspn(y, "0123456789");
    int c = strncmp(x, y, px < py ? px : py);
    if (c || px != py)
        return c ? c : (px < py ? -1 : 1);
    long nx = atol(x + px), ny = atol(y + py);
    return nx < ny ? -1 : nx > ny;
}

/* The serial ports present, as device names ("ttyUSB0", malloc'd), in
 * natural order; returns the count. */
static size_t list_ports(char **out, size_t max)
{
    char dev[PATH_MAX];
    snprintf(dev, sizeof dev, "%s/dev", device_root());
    DIR *d = opendir(dev);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        const char *nm = e->d_name;
        int serial = strncmp(nm, "ttyS", 4) == 0 && isdigit((unsigned char)nm[4]);
        if (!(is_adapter(nm) || (serial && uart_present(nm))))
            continue;
        char *p = strdup(nm);
        if (!p)
            break;
        out[n++] = p;
    }
    closedir(d);
    qsort(out, n, sizeof *out, port_cmp);
    return n;
}

static void free_ports(char **ports, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ports[i]);
}

/* The ports in the order defaults are taken from: adapters first (in
 * natural order), then the built-in lines; order[] gets indexes into ports. */
static void default_order(char *const *ports, size_t n, size_t *order)
{
    size_t k = 0;
    for (int adapters = 1; adapters >= 0; adapters--) {
        for (size_t i = 0; i < n; i++) {
            if (is_adapter(ports[i]) == adapters)
                order[k++] = i;
        }
    }
}

/* What kdtap opens for a port name. */
static void port_path(const char *name, char *path, size_t size)
{
    snprintf(path, size, "%s/dev/%s", device_root(), name);
}

/* side: KDTAP_TARGET (t2d, arg 0) or KDTAP_DEBUGGER (d2t, arg 1); the
 * default of each is the first, and the second, port in default order:
 * two different ports, and none for d2t when there is one port only.
 * Shown as the machine names them (/dev/NAME). */
static void print_port_values(int side, int with_default)
{
    char *ports[MAX_PORTS];
    size_t order[MAX_PORTS];
    size_t n = list_ports(ports, MAX_PORTS);
    default_order(ports, n, order);
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        port_path(ports[i], path, sizeof path);
        int is_default = with_default && (size_t)side < n && order[side] == i;
        printf("value {arg=%d}{value=%s}{display=/dev/%s}%s\n", side, path, ports[i],
               is_default ? "{default=true}" : "");
    }
    free_ports(ports, n);
}

/* A side's port when Wireshark gave none: the first port in default order
 * that is not the other side's (other: NULL when not known yet), into
 * path; 0 when there is none.  found lists the ports present. */
static int default_port(const char *other, char *path, size_t size, char *found, size_t found_size)
{
    char *ports[MAX_PORTS];
    size_t order[MAX_PORTS];
    size_t n = list_ports(ports, MAX_PORTS);
    default_order(ports, n, order);
    int ok = 0;
    found[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(found);
        snprintf(found + used, found_size - used, "%s/dev/%s", used ? ", " : "", ports[i]);
    }
    for (size_t k = 0; k < n && !ok; k++) {
        port_path(ports[order[k]], path, size);
        ok = !other || strcmp(path, other) != 0;
    }
    free_ports(ports, n);
    return ok;
}

/* ------------------------------------------------------------ answers */

/* The version sentence, alone (--extcap-version) or before the interfaces. */
static void print_version(void)
{
    printf("extcap {version=%s}{display=kdscope KD recorder}\n", KDSCOPE_VERSION);
}

static void print_interfaces(void)
{
    print_version();
    printf("interface {value=" IF_TAP "}{display=Windows KD serial tap (two receive-only ports on a Y-cable)}\n");
    printf("interface {value=" IF_RELAY "}{display=Windows KD serial relay (VM serial pipe <-> debugger)}\n");
}

static void print_dlts(void)
{
    printf("dlt {number=252}{name=WIRESHARK_UPPER_PDU}{display=Windows KD (exported PDU)}\n");
}

static void print_baud(int arg)
{
    printf("arg {number=%d}{call=--baud}{display=Baud rate}{type=selector}"
           "{tooltip=Rate of the serial ports (8N1, no flow control)}\n",
           arg);
    for (size_t i = 0; i < kd_endpoint_baud_count(); i++) {
        unsigned rate = kd_endpoint_baud(i);
        if (rate < 9600)
            continue;
        printf("value {arg=%d}{value=%u}{display=%u}%s\n", arg, rate, rate,
               rate == DEFAULT_BAUD ? "{default=true}" : "");
    }
}

static void print_stops(int arg)
{
    printf("arg {number=%d}{call=--packets}{display=Stop after packets}{type=unsigned}{default=0}"
           "{tooltip=Stop after this many KD packets, both directions (0: no limit)}{group=Stop}\n",
           arg);
    printf("arg {number=%d}{call=--duration}{display=Stop after seconds}{type=unsigned}{default=0}"
           "{tooltip=Stop after this many seconds (0: no limit)}{group=Stop}\n",
           arg + 1);
}

static void print_config(const char *iface)
{
    if (strcmp(iface, IF_TAP) == 0) {
        printf("arg {number=0}{call=--t2d-port}{display=Target's transmit line (t2d)}{type=selector}"
               "{required=true}{reload=true}{placeholder=Rescan}"
               "{tooltip=The receive-only port wired to the target's TX: what the target sends}\n");
        print_port_values(KDTAP_TARGET, 1);
        printf("arg {number=1}{call=--d2t-port}{display=Debugger's transmit line (d2t)}{type=selector}"
               "{required=true}{reload=true}{placeholder=Rescan}"
               "{tooltip=The receive-only port wired to the debugger's TX: what the debugger sends}\n");
        print_port_values(KDTAP_DEBUGGER, 1);
        print_baud(2);
        print_stops(3);
        printf("arg {number=5}{call=--interval}{display=Read interval (ms)}{type=integer}{range=0,%d}"
               "{default=%d}{tooltip=While bytes flow, read the ports at most every this many ms: "
               "timestamps are within it of a byte's arrival; 0 reads bytes as they come (the "
               "finest timestamps, the most CPU)}{group=Timing}\n",
               KDTAP_MAX_INTERVAL_MS, KDTAP_DEFAULT_INTERVAL_MS);
    } else {
        printf("arg {number=0}{call=--target}{display=Target endpoint}{type=string}{required=true}"
               "{placeholder=unix:/tmp/vm.sock}"
               "{tooltip=The VM's serial pipe or the target's line: unix:PATH, tcp:HOST:PORT, "
               "unix-listen:PATH, tcp-listen:[HOST:]PORT, a serial device, pty}\n");
        printf("arg {number=1}{call=--debugger}{display=Debugger endpoint}{type=string}{required=true}"
               "{placeholder=tcp-listen:9999}"
               "{tooltip=Where the debugger connects or is: tcp-listen:[HOST:]PORT, unix-listen:PATH, "
               "pty, a serial device, tcp:HOST:PORT, unix:PATH}\n");
        printf("arg {number=2}{call=--reconnect}{display=Wait for a side that goes away}{type=boolflag}"
               "{default=true}{tooltip=Debuggers and VMs restart: wait for them instead of stopping}\n");
        print_baud(3);
        print_stops(4);
    }
}

/* ------------------------------------------------------------ main */

static int usage_error(const char *what)
{
    fprintf(stderr, "kdtap: extcap: %s\n", what);
    return KDTAP_EXIT_USAGE;
}

/* A global, so that early returns leave nothing unreachable. */
static char *comment;

/* The example filter's number comes from kdparse's API table. */
#define NO_CAPTURE_FILTERS                                                                     \
    "capture filters are not supported: kdtap records every byte; use a display filter "       \
    "(e.g. kd.manip.api_number == 0x%04x)"

int kdtap_extcap_main(int argc, char **argv)
{
    enum {
        O_INTERFACES = 256, O_VERSION, O_INTERFACE, O_DLTS, O_CONFIG, O_RELOAD, O_FILTER, O_CONTROL_IN,
        O_CONTROL_OUT, O_CAPTURE, O_FIFO, O_DEBUG, O_DEBUG_FILE, O_T2D, O_D2T, O_TARGET, O_DEBUGGER,
        O_BAUD, O_RECONNECT, O_PACKETS, O_DURATION, O_INTERVAL, O_OPTION_NAME, O_OPTION_VALUE,
        O_CLEANUP_POSTKILL, O_LOG_LEVEL, O_LOG_FILE
    };
    static const struct option longopts[] = {
        {"extcap-interfaces", no_argument, NULL, O_INTERFACES},
        {"extcap-version", optional_argument, NULL, O_VERSION},
        {"extcap-interface", required_argument, NULL, O_INTERFACE},
        {"extcap-dlts", no_argument, NULL, O_DLTS},
        {"extcap-config", no_argument, NULL, O_CONFIG},
        {"extcap-reload-option", required_argument, NULL, O_RELOAD},
        {"extcap-config-option-name", required_argument, NULL, O_OPTION_NAME},
        {"extcap-config-option-value", required_argument, NULL, O_OPTION_VALUE},
        {"extcap-cleanup-postkill", no_argument, NULL, O_CLEANUP_POSTKILL},
        {"log-level", required_argument, NULL, O_LOG_LEVEL},
        {"log-file", required_argument, NULL, O_LOG_FILE},
        {"extcap-capture-filter", required_argument, NULL, O_FILTER},
        {"extcap-control-in", required_argument, NULL, O_CONTROL_IN},
        {"extcap-control-out", required_argument, NULL, O_CONTROL_OUT},
        {"capture", no_argument, NULL, O_CAPTURE},
        {"fifo", required_argument, NULL, O_FIFO},
        {"debug", no_argument, NULL, O_DEBUG},
        {"debug-file", required_argument, NULL, O_DEBUG_FILE},
        {"t2d-port", required_argument, NULL, O_T2D},
        {"d2t-port", required_argument, NULL, O_D2T},
        {"target", required_argument, NULL, O_TARGET},
        {"debugger", required_argument, NULL, O_DEBUGGER},
        {"baud", required_argument, NULL, O_BAUD},
        {"reconnect", no_argument, NULL, O_RECONNECT},
        {"packets", required_argument, NULL, O_PACKETS},
        {"duration", required_argument, NULL, O_DURATION},
        {"interval", required_argument, NULL, O_INTERVAL},
        {NULL, 0, NULL, 0},
    };
    int want_interfaces = 0, want_version = 0, want_dlts = 0, want_config = 0, capture = 0;
    int cleanup_postkill = 0;
    const char *iface = NULL, *fifo = NULL, *reload = NULL, *filter = NULL;
    int capture_refused = 0;
    kdtap_config c = {.out_fd = -1, .quiet = 1, .interval_ms = -1}; /* Wireshark shows any stderr output as an error */
    int opt;
    uint64_t v;
    comment = kdtap_command_comment(argc, argv); /* before getopt permutes argv */
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case O_INTERFACES:
            want_interfaces = 1;
            break;
        case O_INTERFACE:
            iface = optarg;
            break;
        case O_DLTS:
            want_dlts = 1;
            break;
        case O_CONFIG:
            want_config = 1;
            break;
        case O_RELOAD:
        case O_OPTION_NAME:
            reload = optarg[0] == '-' && optarg[1] == '-' ? optarg + 2 : optarg;
            break;
        case O_VERSION:
            want_version = 1;
            break;
        case O_CLEANUP_POSTKILL:
            cleanup_postkill = 1;
            break;
        case O_CAPTURE:
            capture = 1;
            break;
        case O_FIFO:
            fifo = optarg;
            break;
        case O_T2D:
            c.spec[KDTAP_TARGET] = optarg;
            break;
        case O_D2T:
            c.spec[KDTAP_DEBUGGER] = optarg;
            break;
        case O_TARGET:
            c.spec[KDTAP_TARGET] = optarg;
            break;
        case O_DEBUGGER:
            c.spec[KDTAP_DEBUGGER] = optarg;
            break;
        case O_BAUD:
            if (kd_endpoint_baud_option("kdtap: extcap", optarg, &c.baud) != 0)
                return KDTAP_EXIT_USAGE;
            break;
        case O_RECONNECT:
            c.reconnect = 1;
            break;
        case O_PACKETS:
            if (kd_opt_unsigned("kdtap: extcap", optarg, 10, 0, UINT64_MAX, &c.packets, "--packets: not a number") != 0)
                return KDTAP_EXIT_USAGE;
            break;
        case O_DURATION:
            if (kd_opt_double("kdtap: extcap", optarg, 0, 1e9, &c.duration, "--duration: not a number of seconds") != 0)
                return KDTAP_EXIT_USAGE;
            break;
        case O_INTERVAL:
            if (kd_opt_unsigned("kdtap: extcap", optarg, 10, 0, KDTAP_MAX_INTERVAL_MS, &v,
                                "--interval: not a number of milliseconds (0 to %d)", KDTAP_MAX_INTERVAL_MS) != 0)
                return KDTAP_EXIT_USAGE;
            c.interval_ms = (int)v;
            break;
        case O_FILTER:
            filter = optarg;
            break;
        case O_OPTION_VALUE: case O_CONTROL_IN: case O_CONTROL_OUT: case O_DEBUG: case O_DEBUG_FILE:
        case O_LOG_LEVEL: case O_LOG_FILE:
            break; /* the values do not depend on a current value; no toolbar, no log */
        default:
            fprintf(stderr, "kdtap: extcap: unknown option '%s'\n", argv[optind - 1]);
            return KDTAP_EXIT_USAGE;
        }
    }
    if (want_interfaces) {
        print_interfaces();
        return 0;
    }
    if (cleanup_postkill)
        return 0; /* a killed kdtap leaves nothing behind */
    if (want_version && !iface) {
        print_version();
        return 0;
    }
    if (!iface)
        return usage_error("--extcap-interface is needed");
    int tap = strcmp(iface, IF_TAP) == 0;
    if (!tap && strcmp(iface, IF_RELAY) != 0) {
        fprintf(stderr, "kdtap: extcap: unknown interface '%s' (" IF_TAP " or " IF_RELAY ")\n", iface);
        return KDTAP_EXIT_USAGE;
    }
    if (want_dlts) {
        print_dlts();
        return 0;
    }
    if (reload) {
        if (tap && (strcmp(reload, "t2d-port") == 0 || strcmp(reload, "d2t-port") == 0))
            print_port_values(strcmp(reload, "t2d-port") == 0 ? KDTAP_TARGET : KDTAP_DEBUGGER, 0);
        return 0;
    }
    if (want_config) {
        print_config(iface);
        return 0;
    }
    /* kdtap records every byte (a filtered recording would not reframe), so
     * any capture filter is refused.  Wireshark checks a filter by running
     * us without --capture: an empty answer is "valid", a line is the
     * reason shown on the red filter bar.  With --capture it is an error. */
    if (filter && filter[strspn(filter, " \t\r\n")] != '\0') {
        if (!capture) {
            printf(NO_CAPTURE_FILTERS "\n", (unsigned)KD_API_GET_VERSION);
            return 0;
        }
        capture_refused = 1; /* once the fifo is open: Wireshark waits on it */
    }
    if (!capture && filter)
        return 0; /* the empty filter: valid */
    if (!capture)
        return usage_error("nothing to do (--extcap-interfaces, --extcap-dlts, --extcap-config or --capture)");
    if (!fifo)
        return usage_error("--capture needs --fifo PATH");
    c.mode = tap ? KDTAP_TAP : KDTAP_RELAY;
    /* tshark passes no selector's default: the ports Wireshark offers as
     * defaults are the ones used when none is given. */
    char def_path[2][PATH_MAX], found[1024] = "";
    for (int side = 0; tap && side < 2; side++) {
        if (!c.spec[side] && default_port(c.spec[!side], def_path[side], sizeof def_path[side], found, sizeof found))
            c.spec[side] = def_path[side];
    }
    if (!c.spec[KDTAP_TARGET] || !c.spec[KDTAP_DEBUGGER]) {
        if (!tap)
            return usage_error("the relay needs --target and --debugger");
        fprintf(stderr, "kdtap: extcap: the tap needs --t2d-port and --d2t-port, two serial ports (found: %s)\n",
                found[0] ? found : "none");
        return KDTAP_EXIT_USAGE;
    }
    if (tap && strcmp(c.spec[KDTAP_TARGET], c.spec[KDTAP_DEBUGGER]) == 0) {
        fprintf(stderr, "kdtap: extcap: %s: the same port for both directions\n", c.spec[KDTAP_TARGET]);
        return KDTAP_EXIT_USAGE;
    }
    if (tap)
        c.reconnect = 0;
    c.out = fifo;
    c.out_fd = open(fifo, O_WRONLY | O_CLOEXEC);
    if (c.out_fd < 0) {
        fprintf(stderr, "kdtap: %s: %s\n", fifo, strerror(errno));
        return KDTAP_EXIT_IO;
    }
    if (capture_refused) {
        fprintf(stderr, "kdtap: " NO_CAPTURE_FILTERS "\n", (unsigned)KD_API_GET_VERSION);
        close(c.out_fd);
        free(comment);
        return KDTAP_EXIT_USAGE;
    }
    c.comment = comment;
    int rc = comment ? kdtap_run(&c) : KDTAP_EXIT_IO;
    free(comment);
    close(c.out_fd);
    return rc;
}
