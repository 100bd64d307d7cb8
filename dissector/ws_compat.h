/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ws_compat.h - the only place that tests Wireshark's version.
 *
 * A binary plugin loads only into the major.minor it was built for, so the
 * plugin is rebuilt for each; this header lets the same source build on
 * every Wireshark 4.x.  Each difference below was read in the installed
 * headers of 4.0.17 (Debian 12), 4.2.6 and 4.4.5 (README, "The Wireshark
 * plugin", says which trees and when).
 *
 * A dissector file (packet-kd.c, a new packet-*.c, kd-stats.c, plugin.c)
 * starts with
 *
 *     #define WS_BUILD_DLL
 *     #include <wireshark.h>
 *     #include "ws_compat.h"
 *
 * and then writes, on every version:
 *
 *   kd_ws_bool         the type of a bool preference's variable
 *                      (prefs_register_bool_preference), of the result of
 *                      proto_tree_add_item_ret_boolean, and what a
 *                      heuristic dissector returns (heur_dissector_t):
 *                      gboolean up to 4.2, bool from 4.4.
 *   kd_ws_cb_bool      what a wmem_user_cb_t returns: gboolean in 4.0,
 *                      bool from 4.2.
 *   tvb_get_uint8 ... tvb_get_uint64, tvb_get_int8 ... tvb_get_int64,
 *   tvb_find_uint8, tvb_find_uint16, tvb_skip_uint8
 *                      the 4.4 names (4.4 deprecates tvb_get_guint8 and
 *                      friends; before 4.4 only those exist).  Never the
 *                      g-names: they warn from 4.4 on.
 *   wmem_strbuf_new_sized(allocator, size)
 *                      the 4.2 name (4.0: wmem_strbuf_sized_new with no
 *                      maximum; wmem_strbuf_new_label is gone from 4.2).
 *   tvb_get_raw_bytes_as_stringz
 *                      the 4.2 name (4.0: tvb_get_nstringz0).
 *   KD_WS_MENU_SEP     between the parts of a stats_tree menu path ("KD"
 *                      KD_WS_MENU_SEP "Problems"): "/" up to 4.2, "//"
 *                      (STATS_TREE_MENU_SEPARATOR) from 4.4.  From 4.4
 *                      stats_tree_register_plugin returns the tree's
 *                      stats_tree_cfg * (void before): do not use it.
 *   KD_WS_PLUGIN_ENTRY_POINTS(version, blurb, register_fn, flags)
 *                      the plugin's exported entry points (plugin.c only),
 *                      flags from KD_WS_DESC_DISSECTOR, KD_WS_DESC_TAP
 *                      (plugin_describe() and WS_PLUGIN_DESC_* exist from
 *                      4.4; they are 0 before).
 *
 * A new difference is added here, with the versions it was read in, and
 * to tests/tools/ws_compat_probe.c (which uses every name above); the
 * dissector files use the name this header gives it.  Check a version with
 * scripts/check-wireshark INCLUDE_DIR tests/tools/ws_compat_probe.c.
 */
#ifndef KD_WS_COMPAT_H
#define KD_WS_COMPAT_H

#include <stdbool.h>
#include <stdint.h>

#include <ws_version.h>

#define KD_WS_AT_LEAST(major, minor)                                                               \
    (WIRESHARK_VERSION_MAJOR > (major) ||                                                          \
     (WIRESHARK_VERSION_MAJOR == (major) && WIRESHARK_VERSION_MINOR >= (minor)))

#if !KD_WS_AT_LEAST(4, 0)
#error "the kd plugin needs Wireshark 4.0 or later"
#endif

#if KD_WS_AT_LEAST(4, 2)
#include <wsutil/plugins.h> /* WS_PLUGIN_DESC_*; absent from 4.0's headers */
#endif

/* ------------------------------------------------------------ types */

#if KD_WS_AT_LEAST(4, 4)
typedef bool kd_ws_bool;
#else
typedef gboolean kd_ws_bool;
#endif

#if KD_WS_AT_LEAST(4, 2)
typedef bool kd_ws_cb_bool;
#else
typedef gboolean kd_ws_cb_bool;
#endif

/* ------------------------------------------------------------ renamed calls */

#if !KD_WS_AT_LEAST(4, 4)
#define tvb_get_uint8 tvb_get_guint8
#define tvb_get_uint16 tvb_get_guint16
#define tvb_get_uint24 tvb_get_guint24
#define tvb_get_uint32 tvb_get_guint32
#define tvb_get_uint40 tvb_get_guint40
#define tvb_get_uint48 tvb_get_guint48
#define tvb_get_uint56 tvb_get_guint56
#define tvb_get_uint64 tvb_get_guint64
#define tvb_get_int8 tvb_get_gint8
#define tvb_get_int16 tvb_get_gint16
#define tvb_get_int24 tvb_get_gint24
#define tvb_get_int32 tvb_get_gint32
#define tvb_get_int40 tvb_get_gint40
#define tvb_get_int48 tvb_get_gint48
#define tvb_get_int56 tvb_get_gint56
#define tvb_get_int64 tvb_get_gint64
#define tvb_find_uint8 tvb_find_guint8
#define tvb_find_uint16 tvb_find_guint16
#define tvb_skip_uint8 tvb_skip_guint8
#endif

#if !KD_WS_AT_LEAST(4, 2)
#define wmem_strbuf_new_sized(allocator, size) wmem_strbuf_sized_new((allocator), (size), 0)
#define tvb_get_raw_bytes_as_stringz tvb_get_nstringz0
#endif

#if KD_WS_AT_LEAST(4, 4)
#define KD_WS_MENU_SEP STATS_TREE_MENU_SEPARATOR
#else
#define KD_WS_MENU_SEP "/"
#endif

/* ------------------------------------------------------------ entry points */

#if KD_WS_AT_LEAST(4, 4)
#define KD_WS_DESC_DISSECTOR WS_PLUGIN_DESC_DISSECTOR
#define KD_WS_DESC_TAP WS_PLUGIN_DESC_TAP_LISTENER
#else
#define KD_WS_DESC_DISSECTOR 0u
#define KD_WS_DESC_TAP 0u
#endif

#if defined(WIRESHARK_PLUGIN_REGISTER_EPAN)
/* Development versions (4.5/4.7 trees) that load a module struct through
 * wireshark_load_module() instead of the symbols below.  No release header
 * tree with it was found to compile against: this branch is unchecked. */
#define KD_WS_PLUGIN_ENTRY_POINTS(version_, blurb_, register_fn_, flags_)                          \
    static struct ws_module kd_ws_module = {                                                       \
        .flags = (flags_),                                                                         \
        .version = (version_),                                                                     \
        .spdx_id = WS_PLUGIN_SPDX_GPLv2,                                                           \
        .home_url = "",                                                                            \
        .blurb = (blurb_),                                                                         \
        .register_cb = (register_fn_),                                                             \
    };                                                                                             \
    WIRESHARK_PLUGIN_REGISTER_EPAN(&kd_ws_module, 0)
#else
#if KD_WS_AT_LEAST(4, 4)
#define KD_WS_PLUGIN_DESCRIBE(flags_)                                                              \
    WS_DLL_PUBLIC uint32_t plugin_describe(void);                                                  \
    uint32_t plugin_describe(void)                                                                 \
    {                                                                                              \
        return (flags_);                                                                           \
    }
#else
#define KD_WS_PLUGIN_DESCRIBE(flags_)
#endif
/* doc/README.plugins: the four symbols every 4.x loader looks up (the
 * build helpers that would generate them are not installed with -dev),
 * and plugin_describe() from 4.4. */
#define KD_WS_PLUGIN_ENTRY_POINTS(version_, blurb_, register_fn_, flags_)                          \
    WS_DLL_PUBLIC_DEF const char plugin_version[] = version_;                                      \
    WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;                       \
    WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;                       \
    WS_DLL_PUBLIC void plugin_register(void);                                                      \
    void plugin_register(void)                                                                     \
    {                                                                                              \
        register_fn_();                                                                            \
    }                                                                                              \
    KD_WS_PLUGIN_DESCRIBE(flags_)
#endif

#endif
