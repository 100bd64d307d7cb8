/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The problem table: built from fields/problems.def (problems.h). */
#include "kdparse/problems.h"

#define KD_PROBLEM(id, source, bit, name, group, severity, field, tag, detail, stat, text)                \
    [KD_P_##id] = {KD_PS_##source, bit, name, KD_PG_##group, KD_PSEV_##severity, field, tag,     \
                   KD_PD_##detail, stat, text},
const kd_problem kd_problems[KD_P__COUNT] = {
#include "kdparse/fields/problems.def"
};

/* Every bit of each source that raises some problem, for kd_problems_any. */
#define KD_PROBLEM(id, source, bit, name, group, severity, field, tag, detail, stat, text) \
    | (KD_PS_##source == KD_PS_ITEM ? (uint32_t)(bit) : 0u)
static const uint32_t item_bits = 0u
#include "kdparse/fields/problems.def"
    ;
#define KD_PROBLEM(id, source, bit, name, group, severity, field, tag, detail, stat, text) \
    | (KD_PS_##source == KD_PS_DECODE ? (uint32_t)(bit) : 0u)
static const uint32_t decode_bits = 0u
#include "kdparse/fields/problems.def"
    ;
#define KD_PROBLEM(id, source, bit, name, group, severity, field, tag, detail, stat, text) \
    | (KD_PS_##source == KD_PS_TRACK ? (uint32_t)(bit) : 0u)
static const uint32_t track_bits = 0u
#include "kdparse/fields/problems.def"
    ;
#define KD_PROBLEM(id, source, bit, name, group, severity, field, tag, detail, stat, text) \
    | (KD_PS_##source == KD_PS_KIND ? 1u << ((unsigned)(bit) & 31u) : 0u)
static const uint32_t kind_bits = 0u
#include "kdparse/fields/problems.def"
    ;

int kd_problems_any(const kd_msg *m, const kd_annot *a)
{
    return (m->item->flags & item_bits) || (m->problems & decode_bits) || (a && (a->problems & track_bits)) ||
           ((unsigned)m->item->kind < 32 && (kind_bits >> m->item->kind & 1u));
}

int kd_problem_raised(const kd_problem *p, const kd_msg *m, const kd_annot *a)
{
    switch (p->source) {
    case KD_PS_ITEM:
        return (m->item->flags & p->bit) != 0;
    case KD_PS_KIND:
        return (uint32_t)m->item->kind == p->bit;
    case KD_PS_DECODE:
        return (m->problems & p->bit) != 0;
    case KD_PS_TRACK:
        return a && (a->problems & p->bit) != 0;
    }
    return 0;
}

int kd_msg_api_field(const kd_msg *m)
{
    static const kd_field_id api_fields[] = {KD_F_M_API_NUMBER, KD_F_STATE_NEW_STATE, KD_F_DIO_API_NUMBER,
                                             KD_F_TIO_API_NUMBER, KD_F_CRQ_API_NUMBER, KD_F_FIO_API_NUMBER};
    for (size_t i = 0; i < sizeof api_fields / sizeof api_fields[0]; i++)
        if (kd_msg_find(m, api_fields[i]))
            return (int)api_fields[i];
    return KD_PF_NONE;
}

int kd_problem_field(const kd_problem *p, const kd_msg *m)
{
    if (p->field == KD_PF_API)
        return kd_msg_api_field(m);
    if (p->field >= 0 && kd_msg_find(m, (kd_field_id)p->field))
        return p->field;
    return KD_PF_NONE;
}
