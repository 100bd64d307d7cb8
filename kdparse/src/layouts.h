/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal: the wire layouts of kd-protocol.md §2.4 (layouts.c), and the
 * tables that tie each manipulate API, NewState and I/O ApiNumber to its
 * structure and data, made from the rows of fields/apis.def. */
#ifndef KDPARSE_LAYOUTS_H
#define KDPARSE_LAYOUTS_H

#include "kdparse/schema.h"

#define KD_MEMBER(f, off, sz) {KD_F_##f, (off), (sz), 1, NULL}
#define KD_ARRAY(f, off, sz, cnt) {KD_F_##f, (off), (sz), (cnt), NULL}
#define KD_NESTED(f, off, lay) {KD_F_##f, (off), 0, 1, &(lay)}
#define KD_LAYOUT(var, tname, sz, members) \
    const kd_layout var = {tname, (sz), sizeof(members) / sizeof((members)[0]), (members)}

extern const kd_layout kd_l_packet;
extern const kd_layout kd_l_state64, kd_l_state32;             /* common headers */
extern const kd_layout kd_l_exception64, kd_l_exception32;
extern const kd_layout kd_l_load_symbols64, kd_l_load_symbols32;
extern const kd_layout kd_l_command_string;
extern const kd_layout kd_l_cr_x86, kd_l_cr_amd64, kd_l_cr_arm64, kd_l_cr_arm, kd_l_cr_ia64;
extern const kd_layout kd_l_cs_x86, kd_l_cs_amd64, kd_l_cs_arm64, kd_l_cs_arm, kd_l_cs_ia64;
extern const kd_layout kd_l_manip_header;                      /* ApiNumber..ReturnStatus */
extern const kd_layout kd_l_debug_io_print, kd_l_debug_io_get_string;
extern const kd_layout kd_l_trace_io;
extern const kd_layout kd_l_control_request_bp, kd_l_control_request_release;
extern const kd_layout kd_l_file_io_create, kd_l_file_io_rw, kd_l_file_io_close, kd_l_file_io_header;

/* What follows a manipulate header, by direction. */
typedef enum kd_api_data {
    KD_AD_NONE,
    KD_AD_MEMORY_READ,   /* kd.manip.read_memory.data */
    KD_AD_MEMORY_WRITE,  /* kd.manip.write_memory.data */
    KD_AD_CONTEXT,       /* a whole CONTEXT of the target's architecture */
    KD_AD_CONTEXT_EX,    /* a slice of it at ContextEx.Offset */
    KD_AD_SEARCH_PATTERN,
    KD_AD_FILL_PATTERN,
    KD_AD_BUS_DATA,
    KD_AD_RAW            /* kd.data */
} kd_api_data;

typedef struct kd_api_info {
    uint32_t api;
    uint16_t member;             /* subtree field of the union member, 0 = none */
    uint16_t member32;           /* the same in the 32-bit layout */
    const kd_layout *l64, *l32;  /* the member in the 64- and 32-bit headers */
    uint8_t request_data, response_data; /* kd_api_data */
    uint8_t no_reply;            /* the target resumes instead of replying (§1.4) */
} kd_api_info;

/* NULL for APIs outside §1.4. */
const kd_api_info *kd_api_lookup(uint32_t api);

/* A NewState's union member (§1.3). */
typedef struct kd_state_info {
    uint32_t state;
    uint16_t member;             /* subtree field of the union member */
    const kd_layout *l64, *l32;  /* in DBGKD_ANY_WAIT_STATE_CHANGE / _WAIT_STATE_CHANGE32; NULL = none */
} kd_state_info;

/* NULL for states outside §1.3. */
const kd_state_info *kd_state_lookup(uint32_t state);

/* A DEBUG_IO / TRACE_IO / CONTROL_REQUEST / FILE_IO ApiNumber (§1.5). */
typedef struct kd_io_info {
    uint32_t api;
    uint16_t type;               /* the packet type that carries it */
    uint16_t data;               /* field of what follows the header */
    const kd_layout *layout;     /* its structure (FILE_IO: the union member at 8) */
} kd_io_info;

/* NULL for an ApiNumber that packet type does not carry. */
const kd_io_info *kd_io_lookup(uint16_t type, uint32_t api);

#endif
