/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdparse/decode.h - framed items to decoded messages, and their renderings.
 *
 * A decoded message is a flat, pre-order list of nodes: each node is one
 * field of the schema (schema.h) with its depth in the tree, where it sits
 * in the item's bytes, and its value.  Structures are KD_FT_NONE nodes whose
 * children follow at depth + 1.  Every renderer (kdcat text and JSON, the
 * Wireshark plugin) walks this list; none knows an offset of its own.
 *
 *   kd_msg m;
 *   kd_decode(item, &opts, &m);
 *   kd_msg_summary(&m, NULL, line, sizeof line);
 *
 * The message points into the item's bytes: it is valid while they are.
 */
#ifndef KDPARSE_DECODE_H
#define KDPARSE_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kdparse/framer.h"
#include "kdparse/schema.h"
#include "kdparse/tracker.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KD_MSG_MAX_NODES 1024

enum kd_node_flag {
    KD_NODE_GENERATED = 1u << 0 /* computed, not a wire value (checksum status, major type, ...) */
};

typedef struct kd_node {
    uint16_t field;       /* kd_field_id */
    uint8_t depth;        /* 0 = top level */
    uint8_t flags;        /* enum kd_node_flag */
    uint32_t offset;      /* from the item's first byte */
    uint32_t length;      /* wire bytes (0 for generated nodes) */
    uint64_t value;       /* integer types */
    const uint8_t *data;  /* BYTES/STRING/UTF16: the bytes (length of them) */
} kd_node;

/* Problems found while decoding (kd_msg.problems). */
enum kd_decode_problem {
    KD_DECODE_UNKNOWN_TYPE = 1u << 0,   /* packet type outside §1.2 */
    KD_DECODE_UNKNOWN_API = 1u << 1,    /* ApiNumber or NewState outside §1.3-§1.5 */
    KD_DECODE_SHORT = 1u << 2,          /* ByteCount too small for the header of its type */
    KD_DECODE_LENGTH_MISMATCH = 1u << 3,/* a length field disagrees with the data present */
    KD_DECODE_TOO_MANY_NODES = 1u << 4  /* node list full: the rest is shown as data */
};

typedef struct kd_decode_opts {
    kd_arch arch;   /* the target's architecture: picks control report/set and CONTEXT views */
    uint8_t width;  /* 32 or 64: the manipulate layout; 0 = guess from the packet */
} kd_decode_opts;

typedef struct kd_msg {
    const kd_item *item;
    kd_arch arch;            /* the views used */
    uint8_t width;
    uint16_t type;           /* packet type when the item has a header */
    uint32_t api;            /* ApiNumber, NewState or I/O ApiNumber; 0 */
    int is_response;         /* manipulate reply / debugger's answer to a prompt */
    uint32_t problems;       /* enum kd_decode_problem */
    kd_track_in track;       /* what the tracker needs (frame/ts filled by the caller) */
    uint16_t n;
    kd_node nodes[KD_MSG_MAX_NODES];
} kd_msg;

/* Decodes item into *m.  Never reads past item->bytes + item->len. */
void kd_decode(const kd_item *item, const kd_decode_opts *opts, kd_msg *m);

/* The first node of field f, or NULL. */
const kd_node *kd_msg_find(const kd_msg *m, kd_field_id f);

/*
 * An Info-column line: what the message says, e.g.
 * "ReadVirtualMemory 0xfffff80002a5c000 len 0x100 -> STATUS_SUCCESS, 0x100 read".
 * With an annotation, session facts are appended (", reply in 0.4 ms").
 * Returns the length written (truncated to n - 1).
 */
size_t kd_msg_summary(const kd_msg *m, const kd_annot *a, char *buf, size_t n);

/*
 * The renderers with a session module map (modmap.h; NULL: as above):
 * addresses a known module holds are shown as modules see them, "nt+0x1a5e60"
 * in the summary, "0x... (nt+0x1a5e60)" in the tree, a companion JSON
 * member "<field>.module":"nt+0x1a5e60"; other addresses as numbers.
 */
typedef struct kd_modmap kd_modmap;
size_t kd_msg_summary_mods(const kd_msg *m, const kd_annot *a, const kd_modmap *mm, char *buf, size_t n);
void kd_msg_print_tree_mods(FILE *out, const kd_msg *m, const kd_annot *a, const kd_modmap *mm);
void kd_msg_print_json_fields_mods(FILE *out, const kd_msg *m, const kd_annot *a, const kd_modmap *mm);

/* The value of a node as text, as a person reads it ("0x00003130 (DbgKdReadVirtualMemoryApi)"). */
size_t kd_node_format(const kd_node *node, char *buf, size_t n);

/* Renders the tree (kdcat -V): one "label: value" line per node, indented. */
void kd_msg_print_tree(FILE *out, const kd_msg *m, const kd_annot *a);

/*
 * Renders the fields as JSON members (",\"kd.type\":7,..."), design.md rules:
 * 64-bit fields as "0x%016x" strings, other integers as numbers, text as
 * strings, bytes as lower-case hex; repeated fields as arrays.  Subtree
 * nodes are not printed.
 */
void kd_msg_print_json_fields(FILE *out, const kd_msg *m, const kd_annot *a);

/* Writes s as a JSON string (quotes, backslash and control escapes): the
 * one escaper of every JSON output (kdcat, kddiff, kdsim replay). */
void kd_json_print_string(FILE *out, const char *s);

/*
 * Short names of every problem of a message: framing (bad_checksum,
 * trailer_missing, trailer_bad, oversize), decoding (unknown_type,
 * unknown_api, short, length_mismatch, too_many_nodes) and session
 * (unexpected_id, resend, reset, retransmission, duplicate, no_response,
 * no_ack, stray_ack, error_status).  Returns how many were stored.
 */
size_t kd_msg_problems(const kd_msg *m, const kd_annot *a, const char **names, size_t max);

#ifdef __cplusplus
}
#endif

#endif
