/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the module map over arbitrary revealed memory.  The
 * input is a list of steps (one opcode byte, then its arguments): the
 * kernel's base and module list, LoadSymbols, memory reveals and lookups,
 * all in one small window of addresses so that pointers written by one
 * reveal hit what another revealed: loops, huge lengths and bad pointers
 * come for free.  The map must never hang, never read out of bounds and
 * keep its bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kdparse/memview.h"
#include "kdparse/modmap.h"

#define WINDOW 0xFFFFF80000000000ull

typedef struct in {
    const uint8_t *p;
    size_t n;
} in;

static uint64_t take(in *s, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes && s->n; i++, s->p++, s->n--)
        v |= (uint64_t)*s->p << (8 * i);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kd_modmap *mm;
    if (!mm)
        mm = kd_modmap_new();
    if (!mm)
        return 0;
    kd_modmap_reset(mm);
    in s = {data, size};
    while (s.n > 0) {
        unsigned op = (unsigned)take(&s, 1);
        switch (op % 5) {
        case 0: {
            uint64_t k = WINDOW + take(&s, 2) * 8, l = WINDOW + take(&s, 2) * 8;
            kd_modmap_kernel(mm, k, l, 1);
            break;
        }
        case 1: {
            uint64_t base = WINDOW + take(&s, 2) * 8;
            uint32_t sz = (uint32_t)take(&s, 4);
            size_t len = (size_t)take(&s, 1);
            if (len > s.n)
                len = s.n;
            kd_modmap_load_symbols(mm, base, sz, (const char *)s.p, len, op & 0x80, 2);
            s.p += len;
            s.n -= len;
            break;
        }
        case 2: {
            uint64_t a = WINDOW + take(&s, 2) * 8;
            size_t len = (size_t)take(&s, 2);
            if (len > s.n)
                len = s.n;
            kd_modmap_memory(mm, a, s.p, len, 3);
            s.p += len;
            s.n -= len;
            break;
        }
        case 3:
            kd_modmap_set_pointer_size(mm, op & 0x80 ? 4 : 8);
            break;
        default: {
            char buf[96];
            kd_modmap_format(mm, WINDOW + take(&s, 3), buf, sizeof buf);
            break;
        }
        }
    }
    if (kd_modmap_count(mm) > KD_MODMAP_MAX)
        __builtin_trap();
    for (size_t i = 0; i < kd_modmap_count(mm); i++)
        if (strlen(kd_modmap_at(mm, i)->name) >= KD_MODMAP_NAME)
            __builtin_trap();
    return 0;
}
