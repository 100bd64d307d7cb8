/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between the dissector, its statistics and the plugin entry points. */
#ifndef PACKET_KD_H
#define PACKET_KD_H

#include <stdint.h>

/* What the "kd" tap sees of each message. */
typedef struct kd_tap_info {
    int kind;                  /* kd_item_kind */
    uint16_t type;             /* packet type */
    uint32_t api;              /* ApiNumber / NewState */
    int is_response;
    uint32_t request_api;      /* responses: the request's API */
    uint64_t response_time_ns;
    int has_response_time;
} kd_tap_info;

void proto_register_kd(void);
void proto_reg_handoff_kd(void);
void register_kd_stats(void);
int kd_tap_id(void);

#endif
