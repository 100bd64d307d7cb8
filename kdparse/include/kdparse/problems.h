/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdparse/problems.h - every problem kdscope reports, described once
 * (fields/problems.def): the bit that raises it, its JSON name, its
 * Wireshark expert group, severity and text, the field it is about, its
 * summary tag and its statistics line.  JSON's "problems" lists, the
 * summary's [tags], the plugin's expert infos and the Problems statistics
 * all come from kd_problems[].
 */
#ifndef KDPARSE_PROBLEMS_H
#define KDPARSE_PROBLEMS_H

#include "kdparse/decode.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kd_problem_source {
    KD_PS_ITEM,   /* a bit of kd_item.flags */
    KD_PS_KIND,   /* kd_item.kind == bit */
    KD_PS_DECODE, /* a bit of kd_msg.problems */
    KD_PS_TRACK   /* a bit of kd_annot.problems */
} kd_problem_source;

/* Wireshark's expert groups and severities (PI_*), by name. */
typedef enum kd_problem_group {
    KD_PG_CHECKSUM,
    KD_PG_SEQUENCE,
    KD_PG_RESPONSE_CODE,
    KD_PG_UNDECODED,
    KD_PG_MALFORMED,
    KD_PG_PROTOCOL
} kd_problem_group;

typedef enum kd_problem_severity {
    KD_PSEV_NOTE,
    KD_PSEV_WARN,
    KD_PSEV_ERROR
} kd_problem_severity;

/* What follows a summary tag. */
typedef enum kd_problem_detail {
    KD_PD_NONE,
    KD_PD_TRAILER,   /* " 0x%02x": the byte found where 0xAA belongs */
    KD_PD_BYTE_COUNT /* " %u > %u": ByteCount and KD_PACKET_MAX_SIZE */
} kd_problem_detail;

/* The field a problem is about, beside kd_field_id's. */
#define KD_PF_NONE (-1) /* the packet as a whole */
#define KD_PF_API (-2)  /* the message's ApiNumber or NewState (kd_msg_api_field) */

typedef struct kd_problem {
    kd_problem_source source;
    uint32_t bit;
    const char *name;    /* "bad_checksum" */
    kd_problem_group group;
    kd_problem_severity severity;
    int field;           /* kd_field_id, KD_PF_NONE or KD_PF_API */
    const char *tag;     /* "bad checksum", or NULL */
    kd_problem_detail detail;
    const char *stat;    /* "checksum errors", or NULL */
    const char *text;    /* "Bad checksum: the receiver asks for a RESEND" */
} kd_problem;

typedef enum kd_problem_id {
#define KD_PROBLEM(id, source, bit, name, group, severity, field, tag, detail, stat, text) KD_P_##id,
#include "kdparse/fields/problems.def"
    KD_P__COUNT
} kd_problem_id;

extern const kd_problem kd_problems[KD_P__COUNT];

/* Whether problem p is raised on message m (its annotation a may be NULL). */
int kd_problem_raised(const kd_problem *p, const kd_msg *m, const kd_annot *a);

/* Whether any problem of the table is raised on m: one test of a few masks,
 * for renderers that would otherwise ask the table row by row (most
 * messages raise none). */
int kd_problems_any(const kd_msg *m, const kd_annot *a);

/* The field p is about in m: a kd_field_id, or KD_PF_NONE. */
int kd_problem_field(const kd_problem *p, const kd_msg *m);

/* The field that holds m->api (manipulate, state, I/O ApiNumber), or KD_PF_NONE. */
int kd_msg_api_field(const kd_msg *m);

#ifdef __cplusplus
}
#endif

#endif
