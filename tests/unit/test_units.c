/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_units.c - the units of kdcat's summary line: a response time under
 * a tenth of a millisecond in microseconds (not "0.0 ms"), above it in
 * tenths of a millisecond.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "kdparse/decode.h"

static const char *summary_after(uint64_t ns)
{
    static char line[256];
    static kd_item it;
    memset(&it, 0, sizeof it);
    it.kind = KD_ITEM_CONTROL;
    it.has_header = 1;
    it.type = KD_TYPE_RESEND;
    kd_msg m;
    memset(&m, 0, sizeof m);
    m.item = &it;
    kd_annot a;
    memset(&a, 0, sizeof a);
    a.request_in = 7;
    a.response_time_ns = ns;
    kd_msg_summary(&m, &a, line, sizeof line);
    const char *p = strstr(line, ", reply in ");
    return p ? p : line;
}

static void reply_units(void **state)
{
    (void)state;
    assert_string_equal(summary_after(1000), ", reply in 1 \u00b5s");
    assert_string_equal(summary_after(45000), ", reply in 45 \u00b5s");
    assert_string_equal(summary_after(45499), ", reply in 45 \u00b5s");
    assert_string_equal(summary_after(45500), ", reply in 46 \u00b5s");
    assert_string_equal(summary_after(99499), ", reply in 99 \u00b5s");
    assert_string_equal(summary_after(99500), ", reply in 0.1 ms");
    assert_string_equal(summary_after(500000), ", reply in 0.5 ms");
    assert_string_equal(summary_after(1020000), ", reply in 1.0 ms");
    assert_string_equal(summary_after(12345678), ", reply in 12.3 ms");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reply_units),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
