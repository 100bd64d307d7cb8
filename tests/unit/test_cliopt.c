/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cliopt: what is a number and what is not, the ranges' ends, the line a
 * refusal prints, and that a refused value leaves *out alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cliopt.h"

/* stderr into a temporary file around a call; what it printed in said. */
static char said[512];

static FILE *hold_stderr(int *saved)
{
    fflush(stderr);
    FILE *t = tmpfile();
    assert_non_null(t);
    *saved = dup(2);
    dup2(fileno(t), 2);
    return t;
}

static void give_back_stderr(FILE *t, int saved)
{
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(t);
    size_t n = fread(said, 1, sizeof said - 1, t);
    said[n] = 0;
    fclose(t);
}

static int u(const char *arg, int base, uint64_t min, uint64_t max, uint64_t *out)
{
    int saved;
    FILE *t = hold_stderr(&saved);
    int rc = kd_opt_unsigned("prog", arg, base, min, max, out, "--n: '%s' is not %s", arg, "a number");
    give_back_stderr(t, saved);
    return rc;
}

static int d(const char *arg, double min, double max, double *out)
{
    int saved;
    FILE *t = hold_stderr(&saved);
    int rc = kd_opt_double("prog", arg, min, max, out, "--r: '%s' is not a rate", arg);
    give_back_stderr(t, saved);
    return rc;
}

static void test_unsigned(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_int_equal(u("0", 10, 0, 100, &v), 0);
    assert_int_equal(v, 0);
    assert_string_equal(said, "");
    assert_int_equal(u("100", 10, 0, 100, &v), 0);
    assert_int_equal(v, 100);
    assert_int_equal(u("18446744073709551615", 10, 0, UINT64_MAX, &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(u("0x1db1", 0, 0, UINT32_MAX, &v), 0);
    assert_int_equal(v, 0x1db1);
    assert_int_equal(u("010", 0, 0, 100, &v), 0); /* base 0: C's octal */
    assert_int_equal(v, 8);
    v = 7;
    const char *bad[] = {"", "x", "-1", "+1", " 1", "1 ", "5s", "0x10", "101", "18446744073709551616"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(u(bad[i], 10, 0, 100, &v), -1);
        char want[128];
        snprintf(want, sizeof want, "prog: --n: '%s' is not a number\n", bad[i]);
        assert_string_equal(said, want);
        assert_int_equal(v, 7);
    }
    assert_int_equal(u("0", 10, 1, 100, &v), -1);
    assert_int_equal(u("0x", 0, 0, 100, &v), -1);
    assert_int_equal(u("0x1g", 0, 0, 100, &v), -1);
    assert_int_equal(u("0x100000000", 0, 0, UINT32_MAX, &v), -1);
    assert_int_equal(v, 7);
}

static void test_double(void **state)
{
    (void)state;
    double v = 0.5;
    assert_int_equal(d("0", 0, 1, &v), 0);
    assert_true(v == 0);
    assert_int_equal(d("1", 0, 1, &v), 0);
    assert_true(v == 1);
    assert_int_equal(d("0.25", 0, 1, &v), 0);
    assert_true(v == 0.25);
    assert_int_equal(d("inf", 1, INFINITY, &v), 0);
    assert_true(isinf(v));
    assert_int_equal(d("1e-9", DBL_MIN, 1e9, &v), 0); /* above 0 */
    v = 0.5;
    const char *bad[] = {"", "x", "nan", "-nan", "1.5", "-0.1", " 0.5", "0.5 ", "2s", "1e-400", "1e999", "."};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(d(bad[i], 0, 1, &v), -1);
        char want[128];
        snprintf(want, sizeof want, "prog: --r: '%s' is not a rate\n", bad[i]);
        assert_string_equal(said, want);
        assert_true(v == 0.5);
    }
    assert_int_equal(d("0", DBL_MIN, 1e9, &v), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unsigned),
        cmocka_unit_test(test_double),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
