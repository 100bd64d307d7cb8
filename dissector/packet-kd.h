/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between the dissector, its statistics and the plugin entry points. */
#ifndef PACKET_KD_H
#define PACKET_KD_H

#include <stdint.h>

#include <epan/packet.h>

#include "kdparse/framer.h"
#include "kdparse/schema.h"

/* What the "kd" tap sees of each message. */
typedef struct kd_tap_info {
    int kind;                  /* kd_item_kind */
    uint16_t type;             /* packet type */
    uint32_t api;              /* ApiNumber / NewState */
    int is_response;
    uint32_t request_api;      /* responses: the request's API */
    uint64_t response_time_ns;
    int has_response_time;
    uint32_t problems;         /* bit i: kd_problems[i] raised (problems.h) */
} kd_tap_info;

/* KDNET: packet-kdnet.c decrypts, packet-kd.c decodes the KD packet inside
 * (one per datagram) in a session of its own per handshake. */
typedef struct kd_kdnet_session kd_kdnet_session;
kd_kdnet_session *kd_kdnet_session_new(void);      /* file scope */
void kd_kdnet_session_restart(kd_kdnet_session *k); /* a new handshake */
int kd_dissect_kdnet_packet(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, kd_kdnet_session *k,
                            kd_dir dir);
/* kdparse's schema types as Wireshark's (one mapping, shared by both protocols). */
enum ftenum kd_ws_ftype(kd_ftype t);
const value_string *kd_ws_value_strings(const kd_val *v);

void proto_register_kd(void);
void proto_register_kdnet(void);
void proto_reg_handoff_kdnet(void);
void proto_reg_handoff_kd(void);
void register_kd_stats(void);
int kd_tap_id(void);

#endif
