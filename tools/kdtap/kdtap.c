/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdtap - records a live kernel-debugging session without losing a byte.
 *
 *   kdtap tap   [OPTION]... T2D_PORT D2T_PORT -w FILE   a Y-cable tap: two
 *               receive-only serial ports, one on each transmit line
 *   kdtap relay [OPTION]... TARGET DEBUGGER -w FILE     inline between a VM's
 *               serial pipe (or any endpoint) and the debugger
 *
 * and, for Wireshark, the extcap calls (extcap.c).  The command line is
 * options.c; the session itself run.c; the recording record.c; the status
 * line status.c; --decode live.c.
 */
#include <stdlib.h>

#include "kdtap.h"
#include "options.h"

int main(int argc, char **argv)
{
    if (kdtap_is_extcap_call(argc, argv))
        return kdtap_extcap_main(argc, argv);
    kdtap_config c;
    int rc = kdtap_parse_args(argc, argv, &c);
    if (rc >= 0)
        return rc;
    rc = kdtap_run(&c);
    free((char *)c.comment);
    return rc;
}
