/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kddiff's diff (tools/kddiff/diff.c): every script replays A into B, is
 * as short as the textbook O(nm) edit distance says, and keeps A's and
 * B's order; inserts, deletes and changes at either end; long equal runs;
 * the cut-off at KDDIFF_MAX_DIFFERENCES; pairing of changes by class.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "diff.h"

typedef struct seqs {
    const uint64_t *a, *b;
    size_t n, m;
} seqs;

/* The sequences in exactly-sized heap blocks: ASan catches a read past either. */
static diff_script align(const seqs *s, int want_rc)
{
    uint64_t *a = malloc((s->n ? s->n : 1) * sizeof *a), *b = malloc((s->m ? s->m : 1) * sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    memcpy(a, s->a, s->n * sizeof *a);
    memcpy(b, s->b, s->m * sizeof *b);
    diff_script d = {0};
    assert_int_equal(diff_align(a, s->n, b, s->m, KDDIFF_MAX_DIFFERENCES, &d), want_rc);
    free(a);
    free(b);
    return d;
}

/* Checks the script replays A into B in order; returns its DEL + INS count. */
static size_t check_script(const seqs *s, const diff_script *d)
{
    size_t ia = 0, ib = 0, edits = 0;
    for (size_t k = 0; k < d->n; k++) {
        const diff_op *o = &d->v[k];
        switch (o->kind) {
        case DIFF_SAME:
            assert_int_equal(o->a, ia);
            assert_int_equal(o->b, ib);
            assert_int_equal(s->a[ia], s->b[ib]);
            ia++;
            ib++;
            break;
        case DIFF_DEL:
            assert_int_equal(o->a, ia++);
            edits++;
            break;
        case DIFF_INS:
            assert_int_equal(o->b, ib++);
            edits++;
            break;
        case DIFF_CHANGE:
            assert_int_equal(o->a, ia++);
            assert_int_equal(o->b, ib++);
            edits += 2;
            break;
        }
    }
    assert_int_equal(ia, s->n);
    assert_int_equal(ib, s->m);
    return edits;
}

/* n + m - 2 LCS, by the O(nm) table. */
static size_t edit_distance(const seqs *s)
{
    size_t *row = calloc(s->m + 1, sizeof *row), *prev = calloc(s->m + 1, sizeof *prev);
    assert_non_null(row);
    assert_non_null(prev);
    for (size_t i = 1; i <= s->n; i++) {
        for (size_t j = 1; j <= s->m; j++) {
            size_t best = prev[j] > row[j - 1] ? prev[j] : row[j - 1];
            if (s->a[i - 1] == s->b[j - 1] && prev[j - 1] + 1 > best)
                best = prev[j - 1] + 1;
            row[j] = best;
        }
        size_t *t = prev;
        prev = row;
        row = t;
    }
    size_t lcs = prev[s->m];
    free(row);
    free(prev);
    return s->n + s->m - 2 * lcs;
}

static size_t run(const uint64_t *a, size_t n, const uint64_t *b, size_t m, int want_rc)
{
    seqs s = {a, b, n, m};
    diff_script d = align(&s, want_rc);
    size_t edits = check_script(&s, &d);
    diff_script_free(&d);
    return edits;
}

static void test_empty_and_equal(void **state)
{
    (void)state;
    static const uint64_t a[] = {1, 2, 3};
    assert_int_equal(run(a, 0, a, 0, 0), 0);
    assert_int_equal(run(a, 3, a, 3, 0), 0);
    assert_int_equal(run(a, 3, a, 0, 0), 3);
    assert_int_equal(run(a, 0, a, 3, 0), 3);
}

static void test_ends(void **state)
{
    (void)state;
    static const uint64_t base[] = {1, 2, 3, 4, 5, 6};
    static const uint64_t ins_head[] = {9, 1, 2, 3, 4, 5, 6}, ins_tail[] = {1, 2, 3, 4, 5, 6, 9};
    static const uint64_t del_head[] = {2, 3, 4, 5, 6}, del_tail[] = {1, 2, 3, 4, 5};
    static const uint64_t chg_head[] = {9, 2, 3, 4, 5, 6}, chg_tail[] = {1, 2, 3, 4, 5, 9};
    static const uint64_t chg_both[] = {8, 2, 3, 4, 5, 9};
    assert_int_equal(run(base, 6, ins_head, 7, 0), 1);
    assert_int_equal(run(base, 6, ins_tail, 7, 0), 1);
    assert_int_equal(run(base, 6, del_head, 5, 0), 1);
    assert_int_equal(run(base, 6, del_tail, 5, 0), 1);
    assert_int_equal(run(base, 6, chg_head, 6, 0), 2);
    assert_int_equal(run(base, 6, chg_tail, 6, 0), 2);
    assert_int_equal(run(base, 6, chg_both, 6, 0), 4);
    assert_int_equal(run(ins_head, 7, base, 6, 0), 1);
    assert_int_equal(run(chg_both, 6, base, 6, 0), 4);
}

/* Random sequences over small alphabets: the script is a shortest one. */
static void test_shortest_random(void **state)
{
    (void)state;
    uint64_t a[80], b[80];
    unsigned seed = 12345;
    for (int t = 0; t < 3000; t++) {
        size_t n = (size_t)(rand_r(&seed) % 80), m = (size_t)(rand_r(&seed) % 80);
        uint64_t alpha = 1 + (uint64_t)(rand_r(&seed) % 6);
        for (size_t i = 0; i < n; i++)
            a[i] = (uint64_t)(rand_r(&seed) % (int)alpha);
        /* B: mostly A, edited, so there are long snakes too. */
        for (size_t j = 0; j < m; j++)
            b[j] = j < n && rand_r(&seed) % 4 ? a[j] : (uint64_t)(rand_r(&seed) % (int)alpha);
        seqs s = {a, b, n, m};
        assert_int_equal(run(a, n, b, m, 0), edit_distance(&s));
    }
}

/* A million equal elements around a few differences. */
static void test_long_equal_runs(void **state)
{
    (void)state;
    size_t n = 1000000;
    uint64_t *a = malloc(n * sizeof *a), *b = malloc((n + 1) * sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++)
        a[i] = b[i] = (uint64_t)i;
    b[10] = 0xFFFFFFFFFFull;         /* a change */
    memmove(b + 500001, b + 500000, (n - 500000) * sizeof *b);
    b[500000] = 0xFFFFFFFFFEull;     /* an insertion */
    assert_int_equal(run(a, n, b, n + 1, 0), 3);
    assert_int_equal(run(b, n + 1, a, n, 0), 3);
    free(a);
    free(b);
}

/* Exactly KDDIFF_MAX_DIFFERENCES differences are aligned; one more is a
 * wholesale replacement of the middle, the common head and tail kept. */
static void test_cut_off(void **state)
{
    (void)state;
    size_t half = KDDIFF_MAX_DIFFERENCES / 2, head = 50, tail = 70;
    size_t n = head + half + 1 + tail;
    uint64_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        a[i] = (uint64_t)i;
        b[i] = i < head || i >= n - tail ? (uint64_t)i : (uint64_t)(0x8000000000ull + i);
    }
    /* Middle of half + 1 against half + 1 with nothing in common: 2 half + 2. */
    seqs s = {a, b, n, n};
    diff_script d = align(&s, 1);
    assert_int_equal(check_script(&s, &d), 2 * (half + 1));
    for (size_t k = 0; k < head; k++)
        assert_int_equal(d.v[k].kind, DIFF_SAME);
    for (size_t k = head; k < head + half + 1; k++)
        assert_int_equal(d.v[k].kind, DIFF_DEL);
    for (size_t k = head + half + 1; k < head + 2 * (half + 1); k++)
        assert_int_equal(d.v[k].kind, DIFF_INS);
    diff_script_free(&d);
    /* One element fewer in B's middle: half + 1 against half = 2 half + 1... */
    b[head] = a[head]; /* ...with one in common: 2 half differences, aligned. */
    assert_int_equal(run(a, n, b, n, 0), 2 * half);
    free(a);
    /* Lengths alone too far apart: cut at once. */
    n = KDDIFF_MAX_DIFFERENCES + 3;
    a = malloc(n * sizeof *a);
    assert_non_null(a);
    for (size_t i = 0; i < n; i++)
        a[i] = (uint64_t)i;
    assert_int_equal(run(a + 1, n - 1, a, 1, 1), n);
    free(a);
    free(b);
}

/* Classes: the low byte's tens. */
static uint32_t cls(const void *ctx, int side, size_t i)
{
    const seqs *s = ctx;
    return (uint32_t)((side ? s->b[i] : s->a[i]) / 10);
}

static void test_pair_changes(void **state)
{
    (void)state;
    static const uint64_t a[] = {1, 11, 21, 5}, b[] = {12, 2, 22, 5};
    seqs s = {a, b, 4, 4};
    diff_script d = align(&s, 0);
    assert_int_equal(diff_pair_changes(&d, cls, &s), 0);
    check_script(&s, &d);
    /* 1 pairs with 2 (class 0), 11 with 12 (class 1) would cross: in
     * order, 1 takes 2 and 12 before it stays an insertion; 11 finds no
     * class-1 insertion after 2 and is deleted; 21 pairs with 22. */
    static const diff_kind want[] = {DIFF_INS, DIFF_CHANGE, DIFF_DEL, DIFF_CHANGE, DIFF_SAME};
    assert_int_equal(d.n, 5);
    for (size_t k = 0; k < 5; k++)
        assert_int_equal(d.v[k].kind, want[k]);
    assert_int_equal(d.v[1].a, 0);
    assert_int_equal(d.v[1].b, 1);
    assert_int_equal(d.v[3].a, 2);
    assert_int_equal(d.v[3].b, 2);
    diff_script_free(&d);
}

/* A long run with one class on each side is linear, not quadratic. */
static void test_pair_long_run(void **state)
{
    (void)state;
    size_t n = 200000, m = n / 2; /* lengths this far apart are cut at once */
    diff_script d = {0};
    uint64_t *a = malloc(n * sizeof *a), *b = malloc(m * sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++)
        a[i] = 10;
    for (size_t j = 0; j < m; j++)
        b[j] = 20;
    seqs s = {a, b, n, m};
    d = align(&s, 1);
    assert_int_equal(diff_pair_changes(&d, cls, &s), 0);
    assert_int_equal(check_script(&s, &d), n + m);
    assert_int_equal(d.n, n + m);
    diff_script_free(&d);
    b[m / 2] = 10; /* the first deletion pairs with it: B's first half stays inserted */
    d = align(&s, 1);
    assert_int_equal(diff_pair_changes(&d, cls, &s), 0);
    check_script(&s, &d);
    assert_int_equal(d.v[m / 2 - 1].kind, DIFF_INS);
    assert_int_equal(d.v[m / 2].kind, DIFF_CHANGE);
    assert_int_equal(d.v[m / 2].a, 0);
    assert_int_equal(d.v[m / 2].b, m / 2);
    assert_int_equal(d.v[m / 2 + 1].kind, DIFF_DEL);
    diff_script_free(&d);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_equal), cmocka_unit_test(test_ends),
        cmocka_unit_test(test_shortest_random), cmocka_unit_test(test_long_equal_runs),
        cmocka_unit_test(test_cut_off),         cmocka_unit_test(test_pair_changes),
        cmocka_unit_test(test_pair_long_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
