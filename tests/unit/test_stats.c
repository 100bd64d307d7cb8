/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_stats.c - kdcat --stats' response-time percentiles: exact while
 * there are few samples (p50 of {2, 2, 4} ms is 2 ms, not a histogram
 * bucket's upper edge), the histogram beyond, and --stats --json's figures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

/* count replies to GetVersion, the i-th after ms(i) milliseconds. */
static char *run(unsigned count, uint64_t (*ns)(unsigned), int json)
{
    kdcat_stats *s = kdcat_stats_new();
    assert_non_null(s);
    kd_item it = {.kind = KD_ITEM_DATA, .has_header = 1, .type = KD_TYPE_STATE_MANIPULATE};
    kd_msg m = {.item = &it, .api = KD_API_GET_VERSION, .is_response = 1};
    for (unsigned i = 0; i < count; i++) {
        kd_annot a = {.request_in = 1, .request_api = KD_API_GET_VERSION, .response_time_ns = ns(i)};
        kdcat_stats_add(s, &m, &a);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    if (json)
        kdcat_stats_print_json(s, f);
    else
        kdcat_stats_print(s, f);
    fclose(f);
    kdcat_stats_free(s);
    return buf;
}

static uint64_t two_two_four(unsigned i)
{
    return (i == 2 ? 4 : 2) * 1000000ull;
}

static void exact_when_few(void **state)
{
    (void)state;
    char *out = run(3, two_two_four, 0);
    const char *line = strstr(out, "\n  GetVersion ");
    assert_non_null(line);
    /* requests 0, replies 3, p50 2 ms, p95 and max 4 ms */
    char got[200];
    snprintf(got, sizeof got, "%.*s", (int)strcspn(line + 1, "\n"), line + 1);
    assert_string_equal(got, "  GetVersion                      0        3      2.000      4.000      4.000");
    free(out);
    out = run(3, two_two_four, 1);
    assert_non_null(strstr(out, "{\"api\":\"GetVersion\",\"requests\":0,\"replies\":3,\"p50_ns\":2000000,"
                                "\"p95_ns\":4000000,\"max_ns\":4000000}"));
    free(out);
}

/* 1..64 ms: still exact; the median of 64 is the 32nd, 32 ms. */
static uint64_t ramp(unsigned i)
{
    return (i + 1) * 1000000ull;
}

static void exact_up_to_64(void **state)
{
    (void)state;
    char *out = run(64, ramp, 1);
    assert_non_null(strstr(out, "\"replies\":64,\"p50_ns\":32000000,\"p95_ns\":61000000,\"max_ns\":64000000}"));
    free(out);
}

/* 1000 replies: the histogram, within a bucket (~9%) above the exact value. */
static void histogram_beyond(void **state)
{
    (void)state;
    char *out = run(1000, ramp, 1);
    const char *p = strstr(out, "\"p50_ns\":");
    assert_non_null(p);
    unsigned long long p50 = strtoull(p + 9, NULL, 10);
    assert_true(p50 >= 500000000ull && p50 <= 500000000ull * 110 / 100);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exact_when_few),
        cmocka_unit_test(exact_up_to_64),
        cmocka_unit_test(histogram_beyond),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
