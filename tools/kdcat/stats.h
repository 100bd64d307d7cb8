/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kdcat --stats: counts and response times, in memory independent of the
 * capture's length (response times go into log-linear histograms). */
#ifndef KDCAT_STATS_H
#define KDCAT_STATS_H

#include <stdio.h>

#include "kdparse/decode.h"

typedef struct kdcat_stats kdcat_stats;

kdcat_stats *kdcat_stats_new(void);
void kdcat_stats_add(kdcat_stats *s, const kd_msg *m, const kd_annot *a);
void kdcat_stats_print(const kdcat_stats *s, FILE *out);
/* The same as one JSON object on one line (--stats --json). */
void kdcat_stats_print_json(const kdcat_stats *s, FILE *out);
void kdcat_stats_free(kdcat_stats *s);

#endif
