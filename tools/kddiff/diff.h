/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * diff.h - the shortest edit script between two sequences, in linear space.
 *
 * Myers' O((N+M)D) greedy diff with Hirschberg's refinement (the "middle
 * snake", Myers 1986 §4b): memory O(max_d) beyond the script itself, so a
 * pair of million-element sequences costs no more than their script.  The
 * elements are 64-bit keys (hashes of whatever the caller compares); the
 * search compares them in a tight loop, its cost O((n + m) D).
 */
#ifndef KDSCOPE_KDDIFF_DIFF_H
#define KDSCOPE_KDDIFF_DIFF_H

#include <stddef.h>
#include <stdint.h>

/* kddiff's cut-off: past this many deletions plus insertions between the
 * common head and tail, the middle is a wholesale replacement.  The search
 * costs about (this / 2)^2 steps at worst. */
#define KDDIFF_MAX_DIFFERENCES 20000

typedef enum { DIFF_SAME, DIFF_CHANGE, DIFF_DEL, DIFF_INS } diff_kind;

typedef struct diff_op {
    diff_kind kind;
    size_t a, b; /* A's index (SAME, CHANGE, DEL), B's index (SAME, CHANGE, INS) */
} diff_op;

/* An edit script in order: A's and B's indices both increase. */
typedef struct diff_script {
    diff_op *v;
    size_t n, cap;
} diff_script;

/*
 * Appends the edit script of A[0..n) into B[0..m) to out: equal elements
 * SAME, the rest DEL and INS.  When the sequences need more than max_d
 * deletions plus insertions, the common head and tail stay SAME and the
 * middle between them becomes all DEL then all INS (a wholesale
 * replacement) and 1 is returned.  0 when aligned, -1 out of memory.
 */
int diff_align(const uint64_t *a, size_t n, const uint64_t *b, size_t m, size_t max_d, diff_script *out);

/* The class of A[i] (side 0) or B[i] (side 1): what may pair as a change. */
typedef uint32_t (*diff_class_fn)(const void *ctx, int side, size_t i);

/*
 * Within each run of DEL and INS, a deletion and the next insertion of the
 * same class (taken in order) become one CHANGE where the deletion stood;
 * insertions before that one stay where they were.  In place, time
 * O(r log r) per run of r.  0, or -1 out of memory (script unchanged).
 */
int diff_pair_changes(diff_script *s, diff_class_fn cls, const void *ctx);

void diff_script_free(diff_script *s);

#endif
