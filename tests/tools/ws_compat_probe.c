/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ws_compat_probe.c - uses every name dissector/ws_compat.h promises, the
 * way a dissector file would, so that scripts/check-wireshark INCLUDE_DIR
 * tests/tools/ws_compat_probe.c shows each exists, with the right type, in
 * that version's headers (compiled only: never linked or run).
 */
#define WS_BUILD_DLL
#include <wireshark.h>
#include "ws_compat.h"

#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/stats_tree.h>
#include <wsutil/wmem/wmem_user_cb.h>

void ws_compat_probe(module_t *m, tvbuff_t *tvb, proto_tree *tree, int hf);

static kd_ws_bool probe_pref;

static kd_ws_bool probe_heuristic(tvbuff_t *tvb, packet_info *pinfo _U_, proto_tree *tree _U_, void *data _U_)
{
    uint64_t sum = tvb_get_uint8(tvb, 0) + tvb_get_uint16(tvb, 0, ENC_LITTLE_ENDIAN) +
                   tvb_get_uint24(tvb, 0, ENC_LITTLE_ENDIAN) + tvb_get_uint32(tvb, 0, ENC_LITTLE_ENDIAN) +
                   tvb_get_uint40(tvb, 0, ENC_LITTLE_ENDIAN) + tvb_get_uint48(tvb, 0, ENC_LITTLE_ENDIAN) +
                   tvb_get_uint56(tvb, 0, ENC_LITTLE_ENDIAN) + tvb_get_uint64(tvb, 0, ENC_LITTLE_ENDIAN);
    int64_t ssum = tvb_get_int8(tvb, 0) + tvb_get_int16(tvb, 0, ENC_LITTLE_ENDIAN) +
                   tvb_get_int24(tvb, 0, ENC_LITTLE_ENDIAN) + tvb_get_int32(tvb, 0, ENC_LITTLE_ENDIAN) +
                   tvb_get_int40(tvb, 0, ENC_LITTLE_ENDIAN) + tvb_get_int48(tvb, 0, ENC_LITTLE_ENDIAN) +
                   tvb_get_int56(tvb, 0, ENC_LITTLE_ENDIAN) + tvb_get_int64(tvb, 0, ENC_LITTLE_ENDIAN);
    int at = tvb_find_uint8(tvb, 0, -1, 0x30) + tvb_find_uint16(tvb, 0, -1, 0x3030) + tvb_skip_uint8(tvb, 0, 1, 0x30);
    return sum + (uint64_t)ssum + (uint64_t)at > 0;
}

static kd_ws_cb_bool probe_wmem_cb(wmem_allocator_t *allocator _U_, wmem_cb_event_t event _U_, void *data _U_)
{
    return FALSE;
}

void ws_compat_probe(module_t *m, tvbuff_t *tvb, proto_tree *tree, int hf)
{
    static const char menu[] = "KD" KD_WS_MENU_SEP "Problems";
    kd_ws_bool b;
    uint8_t buf[16];
    prefs_register_bool_preference(m, "probe", "Probe", "Probe", &probe_pref);
    proto_tree_add_item_ret_boolean(tree, hf, tvb, 0, 1, ENC_NA, &b);
    heur_dissector_add("udp", probe_heuristic, "Probe", "probe", hf, HEURISTIC_ENABLE);
    wmem_register_callback(wmem_file_scope(), probe_wmem_cb, NULL);
    tvb_get_raw_bytes_as_stringz(tvb, 0, sizeof buf, buf);
    wmem_strbuf_destroy(wmem_strbuf_new_sized(wmem_file_scope(), sizeof menu + b));
}
