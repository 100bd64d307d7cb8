/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The plugin's entry points: the symbols each Wireshark version looks up
 * come from ws_compat.h; this file says what they register. */
#define WS_BUILD_DLL
#include <wireshark.h>
#include "ws_compat.h"

#include <epan/packet.h>
#include <epan/tap.h>

#include "packet-kd.h"

#ifndef PLUGIN_VERSION
#define PLUGIN_VERSION "0.0.0"
#endif

static void kd_plugin_register(void)
{
    static proto_plugin proto;
    proto.register_protoinfo = proto_register_kd;
    proto.register_handoff = proto_reg_handoff_kd;
    proto_register_plugin(&proto);
    static proto_plugin kdnet;
    kdnet.register_protoinfo = proto_register_kdnet;
    kdnet.register_handoff = proto_reg_handoff_kdnet;
    proto_register_plugin(&kdnet);

    static tap_plugin tap;
    tap.register_tap_listener = register_kd_stats;
    tap_register_plugin(&tap);
}

KD_WS_PLUGIN_ENTRY_POINTS(PLUGIN_VERSION, "Windows kernel debugger protocol (KD, KDNET) dissectors and statistics",
                          kd_plugin_register, KD_WS_DESC_DISSECTOR | KD_WS_DESC_TAP)
