/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdtap.h - what a kdtap run needs, however it was asked for (its own
 * command line or Wireshark's extcap calls), and the run itself.
 */
#ifndef KDTAP_KDTAP_H
#define KDTAP_KDTAP_H

#include <stdint.h>

#include "kdparse/schema.h"

/* Exit statuses (design.md "Programs: conventions"). */
#define KDTAP_EXIT_OK 0
#define KDTAP_EXIT_USAGE 2
#define KDTAP_EXIT_IO 3

typedef enum kdtap_mode { KDTAP_TAP, KDTAP_RELAY } kdtap_mode;

/* The two sides: index 0 hears/is the target (its bytes are t2d), index 1
 * the debugger (d2t). */
enum { KDTAP_TARGET = 0, KDTAP_DEBUGGER = 1 };

typedef struct kdtap_config {
    kdtap_mode mode;
    const char *spec[2];   /* tap: T2D_PORT, D2T_PORT; relay: TARGET, DEBUGGER endpoints */
    const char *out;       /* -w FILE; "-" standard output */
    int out_fd;            /* >= 0: write here (extcap's fifo), out names it */
    unsigned baud;         /* 0: 115200 */
    int interval_ms;       /* tap: read at most every this many ms while bytes flow; -1: default */
    int reconnect;         /* relay: wait for a side that went away */
    double duration;       /* seconds; 0: no limit */
    uint64_t packets;      /* stop after this many KD packets (both directions); 0: no limit */
    uint64_t ring_bytes;   /* --ring-size in bytes; 0: one file */
    unsigned ring_files;   /* --ring-files; 0: keep every file */
    int decode;            /* --decode: summary lines on standard output */
    int quiet;             /* no status line, no totals */
    kd_arch arch;          /* for --decode and the status line */
    uint8_t width;
    const char *comment;   /* the SHB comment (tool, version, command line) */
} kdtap_config;

/* A tap's default --interval: at 2 x 115200 baud a wakeup per handful of
 * bytes costs more CPU than the bytes (design.md's budget: < 1% of a
 * core); timestamps stay within this of a byte's arrival. */
#define KDTAP_DEFAULT_INTERVAL_MS 10
/* The kernel holds some 68 KB a port while we sleep (n_tty's 4 KB and
 * 64 KB of flip buffers); at 921600 baud 100 ms is 9.2 KB of it. */
#define KDTAP_MAX_INTERVAL_MS 100
/* Runs a tap or relay session to its end; returns the exit status. */
int kdtap_run(const kdtap_config *c);

/* The extcap side (extcap.c): true when argv asks for it; then
 * kdtap_extcap_main answers and returns the exit status. */
int kdtap_is_extcap_call(int argc, char **argv);
int kdtap_extcap_main(int argc, char **argv);

#endif
