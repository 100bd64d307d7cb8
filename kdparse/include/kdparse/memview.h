/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdparse/memview.h - what the target revealed of its memory.
 *
 * A bounded, sparse copy of the target's virtual memory as the session
 * showed it (ReadVirtualMemory replies, in time order): only bytes that were
 * read are known, each page remembers which of its bytes are.  Memory is
 * capped at KD_MEMVIEW_PAGES pages; when full, the page unused longest is
 * dropped (clock / second chance), so a long session costs a constant
 * amount.  Readers ask for whole ranges: a read succeeds only when every
 * byte of it is known.
 *
 * Addresses are 64-bit as they appear in the session; the caller makes them
 * canonical (a 32-bit target's pointers are compared on their low 32 bits:
 * kd_memview_canon).
 */
#ifndef KDPARSE_MEMVIEW_H
#define KDPARSE_MEMVIEW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KD_MEMVIEW_PAGE 4096u
#define KD_MEMVIEW_PAGES 1024u /* 4 MiB of revealed memory at the most */

typedef struct kd_memview kd_memview;

kd_memview *kd_memview_new(void);
void kd_memview_free(kd_memview *v);

/* Forget everything (a new session). */
void kd_memview_clear(kd_memview *v);

/* Records len bytes at addr (wrapping past 2^64 stops there). */
void kd_memview_write(kd_memview *v, uint64_t addr, const uint8_t *bytes, size_t len);

/* 0 and out filled when all len bytes at addr are known, else -1. */
int kd_memview_read(kd_memview *v, uint64_t addr, uint8_t *out, size_t len);

/* Pages held now (for tests of the bound). */
size_t kd_memview_pages(const kd_memview *v);

/* An address as compared for a target whose pointers are ptr_size bytes. */
static inline uint64_t kd_memview_canon(uint64_t a, unsigned ptr_size)
{
    return ptr_size == 4 ? a & 0xFFFFFFFFu : a;
}

#ifdef __cplusplus
}
#endif

#endif
