/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The problem list of a message (kd_msg_problems): the item's, the
 * decoder's and the tracker's flags by name.
 */
#include "kdparse/decode.h"
#include "kdparse/problems.h"

size_t kd_msg_problems(const kd_msg *m, const kd_annot *a, const char **names, size_t max)
{
    /* The item's kind (noise, truncated) is its own JSON member: not listed. */
    size_t k = 0;
    if (!kd_problems_any(m, a))
        return 0;
    for (int i = 0; i < KD_P__COUNT && k < max; i++)
        if (kd_problems[i].source != KD_PS_KIND && kd_problem_raised(&kd_problems[i], m, a))
            names[k++] = kd_problems[i].name;
    return k;
}
