/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Statistics -> KD: packets by type, manipulate APIs (requests), response
 * times per API (min/max/average), and the problems kdcat --stats counts
 * (the lines of kdparse's problem table), from the "kd" tap.
 */
#define WS_BUILD_DLL
#include <wireshark.h>
#include "ws_compat.h"

#include <string.h>

#include <epan/stats_tree.h>

#include "kdparse/framer.h"
#include "kdparse/problems.h"
#include "kdparse/schema.h"
#include "packet-kd.h"

static const char *const st_types_name = "Packets by type";
static const char *const st_apis_name = "Manipulate APIs (requests)";
static const char *const st_rt_name = "Response time per API (ms)";
static const char *const st_problems_name = "Problems";
static int st_types = -1, st_apis = -1, st_rt = -1, st_problems = -1;

/* Whether problem i is the first of the table on its statistics line. */
static int first_on_line(int i)
{
    if (!kd_problems[i].stat)
        return 0;
    for (int j = 0; j < i; j++)
        if (kd_problems[j].stat && strcmp(kd_problems[j].stat, kd_problems[i].stat) == 0)
            return 0;
    return 1;
}

/* The problems of the table on the same line as problem i. */
static uint32_t line_mask(int i)
{
    uint32_t m = 0;
    for (int j = 0; j < KD_P__COUNT; j++)
        if (kd_problems[j].stat && strcmp(kd_problems[j].stat, kd_problems[i].stat) == 0)
            m |= 1u << j;
    return m;
}

static void kd_stats_init(stats_tree *st)
{
    st_types = stats_tree_create_node(st, st_types_name, 0, STAT_DT_INT, TRUE);
    st_apis = stats_tree_create_node(st, st_apis_name, 0, STAT_DT_INT, TRUE);
    st_rt = stats_tree_create_node(st, st_rt_name, 0, STAT_DT_FLOAT, TRUE);
    /* Every line from the start, as kdcat --stats prints them: 0 is news too. */
    st_problems = stats_tree_create_node(st, st_problems_name, 0, STAT_DT_INT, TRUE);
    for (int i = 0; i < KD_P__COUNT; i++)
        if (first_on_line(i))
            stats_tree_create_node(st, kd_problems[i].stat, st_problems, STAT_DT_INT, FALSE);
}

static const char *api_name(uint32_t api)
{
    const char *n = kd_val_name(kd_vals_api_short, api);
    return n ? n : "(other)";
}

static tap_packet_status kd_stats_packet(stats_tree *st, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
                                         const void *p, tap_flags_t flags _U_)
{
    const kd_tap_info *t = p;
    if (t->kind == KD_ITEM_DATA || t->kind == KD_ITEM_CONTROL) {
        const char *tn = kd_packet_type_name(t->type);
        tick_stat_node(st, st_types_name, 0, TRUE);
        tick_stat_node(st, tn ? tn : "(unknown)", st_types, FALSE);
    }
    if (t->kind == KD_ITEM_DATA && t->type == KD_TYPE_STATE_MANIPULATE && !t->is_response) {
        tick_stat_node(st, st_apis_name, 0, TRUE);
        tick_stat_node(st, api_name(t->api), st_apis, FALSE);
    }
    if (t->has_response_time) {
        float ms = (float)((double)t->response_time_ns / 1e6);
        avg_stat_node_add_value_float(st, st_rt_name, 0, TRUE, ms);
        avg_stat_node_add_value_float(st, api_name(t->request_api), st_rt, FALSE, ms);
    }
    /* A message counts once on each line, however many of its problems share it. */
    for (int i = 0; i < KD_P__COUNT; i++) {
        if (first_on_line(i) && (t->problems & line_mask(i))) {
            tick_stat_node(st, st_problems_name, 0, TRUE);
            tick_stat_node(st, kd_problems[i].stat, st_problems, FALSE);
        }
    }
    return TAP_PACKET_REDRAW;
}

void register_kd_stats(void)
{
    stats_tree_register_plugin("kd", "kd", "KD", 0, kd_stats_packet, kd_stats_init, NULL);
}
