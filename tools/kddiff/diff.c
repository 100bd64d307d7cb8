/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * diff.c - Myers' diff in linear space (see diff.h).
 *
 * The forward search walks D-paths from (0,0), the backward one from
 * (n,m); where they meet on a diagonal is the "middle snake", and the two
 * halves on either side are solved the same way.  Each search keeps one
 * furthest-reaching x per diagonal, so memory is two arrays of about
 * max_d longs, whatever the lengths.  Points outside the grid are never
 * recorded (a move off the edge is not taken), so the meeting test is
 * exact.
 */
#include "diff.h"

#include <stdlib.h>

typedef struct aligner {
    const uint64_t *a, *b;
    long *vf, *vb; /* furthest x per diagonal, indexed -lim..lim */
    long lim;      /* rounds a search may take */
    diff_script *out;
} aligner;

static int push(diff_script *s, diff_kind k, size_t a, size_t b)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        diff_op *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = (diff_op){k, a, b};
    return 0;
}

static int push_run(diff_script *s, diff_kind k, size_t a0, size_t n, size_t b0, size_t m)
{
    for (size_t i = 0; i < n; i++)
        if (push(s, DIFF_DEL, a0 + i, 0) != 0)
            return -1;
    for (size_t j = 0; j < m; j++)
        if (push(s, DIFF_INS, 0, b0 + j) != 0)
            return -1;
    (void)k;
    return 0;
}

typedef struct snake {
    long x0, y0, x1, y1; /* from (x0,y0) to (x1,y1), forward coordinates */
    long d;              /* the length of the edit script through it */
} snake;

/*
 * One round of one search.  v holds the previous round's x per diagonal
 * (-1: not reached); the diagonals of this round (k = -d, -d+2, .., d)
 * get the furthest x a d-path reaches on them.  same(x, y) compares in the
 * search's direction.  Each new diagonal is checked against the other
 * search's array w with check(k).
 */
static long step_x(const long *v, long k, long n, long m)
{
    /* Right move from k-1 (a deletion) or down move from k+1 (an
     * insertion), whichever gets further and stays in the grid. */
    long right = v[k - 1] >= 0 && v[k - 1] < n ? v[k - 1] + 1 : -1;
    long down = v[k + 1] >= 0 && v[k + 1] - (k + 1) < m ? v[k + 1] : -1;
    return right > down ? right : down;
}

/* Finds the middle snake of A[a0..a0+n) and B[b0..b0+m) within lim
 * rounds: 1 found, 0 not (the script is longer than 2 * lim). */
static int middle_snake(aligner *al, size_t a0, long n, size_t b0, long m, snake *sn)
{
    long *vf = al->vf + al->lim + 1, *vb = al->vb + al->lim + 1;
    long delta = n - m;
    int odd = (delta & 1) != 0;
    vf[-1] = vb[-1] = -1;
    vf[1] = vb[1] = 0; /* the start: a "down move" from (0,-1) */
    long rounds = (n + m + 1) / 2;
    if (rounds > al->lim)
        rounds = al->lim;
    for (long d = 0; d <= rounds; d++) {
        if (d > 0)
            vf[-d - 1] = vf[d + 1] = vb[-d - 1] = vb[d + 1] = -1;
        for (long k = -d; k <= d; k += 2) {
            long x = step_x(vf, k, n, m);
            if (x < 0 || x - k > m) {
                vf[k] = -1;
                continue;
            }
            long y = x - k, x0 = x, y0 = y;
            while (x < n && y < m && al->a[a0 + (size_t)x] == al->b[b0 + (size_t)y]) {
                x++;
                y++;
            }
            vf[k] = x;
            long kb = delta - k;
            if (odd && kb >= -(d - 1) && kb <= d - 1 && vb[kb] >= 0 && x + vb[kb] >= n) {
                *sn = (snake){x0, y0, x, y, 2 * d - 1};
                return 1;
            }
        }
        for (long k = -d; k <= d; k += 2) {
            long x = step_x(vb, k, n, m);
            if (x < 0 || x - k > m) {
                vb[k] = -1;
                continue;
            }
            long y = x - k, x0 = x, y0 = y;
            while (x < n && y < m &&
                   al->a[a0 + (size_t)(n - 1 - x)] == al->b[b0 + (size_t)(m - 1 - y)]) {
                x++;
                y++;
            }
            vb[k] = x;
            long kf = delta - k;
            if (!odd && kf >= -d && kf <= d && vf[kf] >= 0 && vf[kf] + x >= n) {
                *sn = (snake){n - x, m - y, n - x0, m - y0, 2 * d};
                return 1;
            }
        }
    }
    return 0;
}

/* The script of A[a0..a0+n) -> B[b0..b0+m): 0, 1 cut off (top only), -1 out of memory. */
static int solve(aligner *al, size_t a0, size_t n, size_t b0, size_t m, size_t max_d)
{
    size_t pre = 0;
    while (pre < n && pre < m && al->a[a0 + pre] == al->b[b0 + pre])
        pre++;
    for (size_t i = 0; i < pre; i++)
        if (push(al->out, DIFF_SAME, a0 + i, b0 + i) != 0)
            return -1;
    a0 += pre;
    b0 += pre;
    n -= pre;
    m -= pre;
    size_t suf = 0;
    while (suf < n && suf < m && al->a[a0 + n - 1 - suf] == al->b[b0 + m - 1 - suf])
        suf++;
    n -= suf;
    m -= suf;
    int rc = 0;
    snake sn;
    if (n == 0 || m == 0) {
        rc = push_run(al->out, DIFF_DEL, a0, n, b0, m);
    } else if ((n > m ? n - m : m - n) > max_d || !middle_snake(al, a0, (long)n, b0, (long)m, &sn) ||
               (size_t)sn.d > max_d) {
        rc = push_run(al->out, DIFF_DEL, a0, n, b0, m) ? -1 : 1;
    } else if ((sn.x0 == 0 && sn.y0 == 0 && (size_t)sn.x1 == n && (size_t)sn.y1 == m) ||
               (sn.x0 == (long)n && sn.y0 == (long)m) || (sn.x1 == 0 && sn.y1 == 0)) {
        /* Cannot happen after the trims (D >= 2); never loop on it. */
        rc = push_run(al->out, DIFF_DEL, a0, n, b0, m);
    } else {
        rc = solve(al, a0, (size_t)sn.x0, b0, (size_t)sn.y0, (size_t)sn.d);
        for (long i = 0; rc >= 0 && i < sn.x1 - sn.x0; i++)
            rc = push(al->out, DIFF_SAME, a0 + (size_t)(sn.x0 + i), b0 + (size_t)(sn.y0 + i));
        if (rc >= 0)
            rc = solve(al, a0 + (size_t)sn.x1, n - (size_t)sn.x1, b0 + (size_t)sn.y1, m - (size_t)sn.y1,
                       (size_t)sn.d);
        if (rc > 0)
            rc = 0; /* halves of an aligned middle are never cut */
    }
    for (size_t i = 0; rc >= 0 && i < suf; i++)
        if (push(al->out, DIFF_SAME, a0 + n + i, b0 + m + i) != 0)
            rc = -1;
    return rc;
}

int diff_align(const uint64_t *a, size_t n, const uint64_t *b, size_t m, size_t max_d, diff_script *out)
{
    /* A search of r rounds touches diagonals -r-1 .. r+1. */
    size_t r = max_d / 2 + 1, most = (n + m) / 2 + 1;
    if (r > most)
        r = most;
    aligner al = {.a = a, .b = b, .lim = (long)r, .out = out};
    al.vf = malloc((2 * r + 3) * sizeof *al.vf);
    al.vb = malloc((2 * r + 3) * sizeof *al.vb);
    int rc = al.vf && al.vb ? solve(&al, 0, n, 0, m, max_d) : -1;
    free(al.vf);
    free(al.vb);
    return rc;
}

/* ------------------------------------------------------------ pairing */

typedef struct pending {
    uint32_t cls;
    size_t pos; /* index among the run's insertions */
} pending;

static int cmp_pending(const void *x, const void *y)
{
    const pending *a = x, *b = y;
    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* The first of the sorted insertions with class cls (or n). */
static size_t first_of(const pending *v, size_t n, uint32_t cls)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].cls < cls)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int diff_pair_changes(diff_script *s, diff_class_fn cls, const void *ctx)
{
    size_t longest = 0;
    for (size_t i = 0; i < s->n;) {
        size_t j = i;
        while (j < s->n && (s->v[j].kind == DIFF_DEL || s->v[j].kind == DIFF_INS))
            j++;
        if (j - i > longest)
            longest = j - i;
        i = j > i ? j : i + 1;
    }
    if (longest == 0)
        return 0;
    size_t *dels = malloc(longest * sizeof *dels), *inss = malloc(longest * sizeof *inss);
    size_t *cursor = malloc(longest * sizeof *cursor);
    pending *sorted = malloc(longest * sizeof *sorted);
    if (!dels || !inss || !cursor || !sorted) {
        free(dels);
        free(inss);
        free(cursor);
        free(sorted);
        return -1;
    }
    size_t w = 0; /* the script is rewritten in place: never longer */
    for (size_t i = 0; i < s->n;) {
        if (s->v[i].kind != DIFF_DEL && s->v[i].kind != DIFF_INS) {
            s->v[w++] = s->v[i++];
            continue;
        }
        size_t j = i, nd = 0, ni = 0;
        for (; j < s->n && (s->v[j].kind == DIFF_DEL || s->v[j].kind == DIFF_INS); j++) {
            if (s->v[j].kind == DIFF_DEL)
                dels[nd++] = s->v[j].a;
            else
                inss[ni++] = s->v[j].b;
        }
        for (size_t k = 0; k < ni; k++)
            sorted[k] = (pending){cls(ctx, 1, inss[k]), k};
        qsort(sorted, ni, sizeof *sorted, cmp_pending);
        /* cursor[g]: the next unused insertion of the class starting at g. */
        for (size_t k = 0; k < ni; k++)
            cursor[k] = k;
        size_t next_ins = 0; /* insertions before it are written */
        for (size_t d = 0; d < nd; d++) {
            uint32_t c = cls(ctx, 0, dels[d]);
            size_t g = first_of(sorted, ni, c), *cur = &cursor[g < ni ? g : 0];
            while (g < ni && *cur < ni && sorted[*cur].cls == c && sorted[*cur].pos < next_ins)
                (*cur)++;
            if (g >= ni || *cur >= ni || sorted[*cur].cls != c) {
                s->v[w++] = (diff_op){DIFF_DEL, dels[d], 0};
                continue;
            }
            size_t match = sorted[(*cur)++].pos;
            for (; next_ins < match; next_ins++)
                s->v[w++] = (diff_op){DIFF_INS, 0, inss[next_ins]};
            s->v[w++] = (diff_op){DIFF_CHANGE, dels[d], inss[match]};
            next_ins = match + 1;
        }
        for (; next_ins < ni; next_ins++)
            s->v[w++] = (diff_op){DIFF_INS, 0, inss[next_ins]};
        i = j;
    }
    s->n = w;
    free(dels);
    free(inss);
    free(cursor);
    free(sorted);
    return 0;
}

void diff_script_free(diff_script *s)
{
    free(s->v);
    *s = (diff_script){0};
}
