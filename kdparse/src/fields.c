/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The field table: built from the fields/NAME.def lists (schema.h). */
#include <string.h>

#include "kdparse/schema.h"

#define KD_FIELD(id, abbrev, label, type, base, vals, blurb) \
    [KD_F_##id] = {abbrev, label, KD_FT_##type, KD_BASE_##base, vals, 0, blurb},
#define KD_FLAGS(id, abbrev, label, type, base, vals, blurb) \
    [KD_F_##id] = {abbrev, label, KD_FT_##type, KD_BASE_##base, vals, 1, blurb},
const kd_field kd_fields[KD_F__COUNT] = {
#include "kdparse/fields/packet.def"
#include "kdparse/fields/state.def"
#include "kdparse/fields/manip.def"
#include "kdparse/fields/io.def"
#include "kdparse/fields/context.def"
#include "kdparse/fields/session.def"
};
#undef KD_FIELD
#undef KD_FLAGS

int kd_field_by_name(const char *name)
{
    for (int i = 0; i < KD_F__COUNT; i++)
        if (kd_fields[i].abbrev && strcmp(kd_fields[i].abbrev, name) == 0)
            return i;
    return -1;
}

const char *kd_val_name(const kd_val *vals, uint32_t v)
{
    if (!vals)
        return NULL;
    for (; vals->name; vals++)
        if (vals->value == v)
            return vals->name;
    return NULL;
}
