/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdparse/xorshift.h - the one deterministic pseudo-random generator the
 * tools and tests share (xorshift64*: Marsaglia's xorshift with shifts 12,
 * 25, 27 and Vigna's multiplier): kdsim's link faults (tools/kdsim/link.c)
 * and the property tests' byte streams (tests/tools/kdbytes.c).  Not a
 * protocol fact; here because every program links kdparse.  A zero state is
 * replaced by a fixed nonzero one (xorshift stays at zero otherwise).
 */
#ifndef KDPARSE_XORSHIFT_H
#define KDPARSE_XORSHIFT_H

#include <stdint.h>

static inline uint64_t kd_xorshift64s(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

#endif
