/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The plugin's entry points (doc/README.plugins §5.1): written by hand, as
 * the build helpers that generate them are not installed with -dev. */
#define WS_BUILD_DLL
#include <wireshark.h>

#include <epan/packet.h>
#include <epan/tap.h>

#include "packet-kd.h"

#ifndef PLUGIN_VERSION
#define PLUGIN_VERSION "0.0.0"
#endif

WS_DLL_PUBLIC_DEF const gchar plugin_version[] = PLUGIN_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);
#if WIRESHARK_VERSION_MAJOR > 4 || (WIRESHARK_VERSION_MAJOR == 4 && WIRESHARK_VERSION_MINOR >= 2)
WS_DLL_PUBLIC uint32_t plugin_describe(void);
uint32_t plugin_describe(void)
{
    return WS_PLUGIN_DESC_DISSECTOR | WS_PLUGIN_DESC_TAP_LISTENER;
}
#endif

void plugin_register(void)
{
    static proto_plugin proto;
    proto.register_protoinfo = proto_register_kd;
    proto.register_handoff = proto_reg_handoff_kd;
    proto_register_plugin(&proto);

    static tap_plugin tap;
    tap.register_tap_listener = register_kd_stats;
    tap_register_plugin(&tap);
}
