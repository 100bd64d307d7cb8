/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdparse/schema.h - every decoded KD value, described once.
 *
 * Fields: one entry per name (design.md "Field names"), with its label
 * (the Windows member name), type, display base and value table.  The list
 * lives in the fields/NAME.def files as X-macros and becomes both the
 * enum kd_field_id and the table kd_fields[].  Text, JSON, the encoder and
 * the Wireshark plugin all read this one table.
 *
 * Layouts: each wire structure of kd-protocol.md §2.4 as a list of members
 * (field, offset, wire size, element count, nested layout).  The decoder
 * walks them; the encoder writes by them.  Offsets are explicit: nothing is
 * ever cast to a C struct.
 */
#ifndef KDPARSE_SCHEMA_H
#define KDPARSE_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kd_ftype {
    KD_FT_NONE,      /* a structure: a subtree, no value of its own */
    KD_FT_UINT8,
    KD_FT_UINT16,
    KD_FT_UINT32,
    KD_FT_UINT64,    /* also used for pointers that are 32-bit in some layouts */
    KD_FT_BOOLEAN,   /* BOOLEAN / ULONG used as a truth value */
    KD_FT_BYTES,
    KD_FT_STRING,    /* 8-bit text, up to the first NUL within its length */
    KD_FT_UTF16,     /* UTF-16LE text, up to the first NUL */
    KD_FT_FRAMENUM,  /* session annotation: a frame (record) number */
    KD_FT_RELTIME    /* session annotation: a duration in nanoseconds */
} kd_ftype;

typedef enum kd_base {
    KD_BASE_NONE,
    KD_BASE_DEC,
    KD_BASE_HEX
} kd_base;

/* A value table: {value, name} pairs ending with {0, NULL}. */
typedef struct kd_val {
    uint32_t value;
    const char *name;
} kd_val;

typedef struct kd_field {
    const char *abbrev;  /* "kd.manip.read_memory.target_base_address" */
    const char *label;   /* "TargetBaseAddress" */
    kd_ftype type;
    kd_base base;
    const kd_val *vals;  /* value names, or NULL */
    int is_bitmask;      /* vals name single bits (flags) rather than values */
    const char *blurb;   /* one line of help */
} kd_field;

#define KD_FIELD(id, abbrev, label, type, base, vals, blurb) KD_F_##id,
#define KD_FLAGS(id, abbrev, label, type, base, vals, blurb) KD_F_##id,
typedef enum kd_field_id {
#include "kdparse/fields/packet.def"
#include "kdparse/fields/state.def"
#include "kdparse/fields/manip.def"
#include "kdparse/fields/io.def"
#include "kdparse/fields/context.def"
#include "kdparse/fields/session.def"
    KD_F__COUNT
} kd_field_id;
#undef KD_FIELD
#undef KD_FLAGS

extern const kd_field kd_fields[KD_F__COUNT];

/* The field whose abbrev is name, or -1. */
int kd_field_by_name(const char *name);

/* Name of v in vals, or NULL. */
const char *kd_val_name(const kd_val *vals, uint32_t v);

/* ------------------------------------------------------------ layouts */

typedef struct kd_layout kd_layout;

typedef struct kd_member {
    uint16_t field;        /* kd_field_id */
    uint16_t offset;       /* from the start of the structure */
    uint16_t size;         /* wire bytes of one element */
    uint16_t count;        /* elements: 1, or the array length */
    const kd_layout *sub;  /* nested structure (field is then a KD_FT_NONE subtree) */
} kd_member;

struct kd_layout {
    const char *name;      /* the Windows type name */
    uint16_t size;         /* sizeof on the wire */
    uint16_t n;
    const kd_member *m;
};

/* Architectures whose views differ (control report/set, CONTEXT). */
typedef enum kd_arch {
    KD_ARCH_UNKNOWN,
    KD_ARCH_X86,
    KD_ARCH_AMD64,
    KD_ARCH_ARM64,
    KD_ARCH_ARM,
    KD_ARCH_IA64,
    KD_ARCH_ALPHA
} kd_arch;

const char *kd_arch_name(kd_arch a);       /* "x86", "amd64", "arm64", ... */
int kd_arch_parse(const char *s, kd_arch *out);
kd_arch kd_arch_from_machine(uint32_t machine_type); /* IMAGE_FILE_MACHINE_* (§1.7) */

/* The CONTEXT layout of an architecture, or NULL (layout_context.c). */
const kd_layout *kd_context_layout(kd_arch a);

/* The protocol's numbered words (fields/apis.def): KD_API_GET_VERSION, ... */
enum kd_api {
#define KD_API(e, v, ...) KD_API_##e = v,
#include "kdparse/fields/apis.def"
};
enum kd_state {
#define KD_STATE(e, v, ...) KD_STATE_##e = v,
#include "kdparse/fields/apis.def"
};
enum kd_io_api {
#define KD_IO(e, v, ...) KD_IO_##e = v,
#include "kdparse/fields/apis.def"
};

/* ------------------------------------------------------------ value tables */

extern const kd_val kd_vals_packet_type[];
extern const kd_val kd_vals_state[];       /* NewState */
extern const kd_val kd_vals_state_short[]; /* the same, short names for summaries */
extern const kd_val kd_vals_api[];         /* manipulate ApiNumber */
extern const kd_val kd_vals_api_short[];   /* the same, short names for summaries */
extern const kd_val kd_vals_io_api[];      /* DEBUG_IO, TRACE_IO, CONTROL_REQUEST, FILE_IO */
extern const kd_val kd_vals_io_api_short[]; /* the same, short names for summaries */
extern const kd_val kd_vals_control_short[];   /* ACK, RESEND, RESET (packet types) */
extern const kd_val kd_vals_item_kind_short[]; /* Break-in, Noise, Truncated (kd_item_kind) */
extern const kd_val kd_vals_ntstatus[];    /* NTSTATUS and DBG_* codes met in KD */
extern const kd_val kd_vals_machine[];     /* IMAGE_FILE_MACHINE_* */
extern const kd_val kd_vals_version_flags[];
extern const kd_val kd_vals_major_type[];
extern const kd_val kd_vals_report_flags[];
extern const kd_val kd_vals_checksum_status[];
extern const kd_val kd_vals_arch[];         /* enum kd_arch */
extern const kd_val kd_vals_x86_context_flags[];
extern const kd_val kd_vals_amd64_context_flags[];
extern const kd_val kd_vals_arm64_context_flags[];

/* Whether a manipulate request with this ApiNumber gets a reply (§1.4:
 * Continue, Continue2, Reboot, SwitchProcessor, ... resume instead): a fact
 * of the API table (layouts.c), here so that the tracker needs no decoder. */
int kd_api_expects_reply(uint32_t api);

#ifdef __cplusplus
}
#endif

#endif
