/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsim/model_memory.c - the simulated target's memory: sparse 4 KiB pages
 * allocated on the first write, the virtual regions (kernel image, drivers,
 * pool, stack) and physical RAM with its window onto the kernel image, and
 * the copy loop every memory API goes through (model.h, "Virtual memory",
 * "Physical memory").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"

/* Index of the first page with addr >= a. */
size_t km_space_lower(const mspace *s, uint64_t a)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->p[mid].addr < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint8_t *km_space_page(mspace *s, uint64_t page, int create)
{
    if (s->last && s->last_addr == page)
        return s->last; /* a page's bytes stay where they are until a clear */
    size_t i = km_space_lower(s, page);
    if (i < s->n && s->p[i].addr == page) {
        s->last_addr = page;
        s->last = s->p[i].bytes;
        return s->last;
    }
    if (!create || s->n >= MAX_PAGES)
        return NULL;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        mpage *np = realloc(s->p, cap * sizeof *np);
        if (!np)
            return NULL;
        s->p = np;
        s->cap = cap;
    }
    uint8_t *b;
    if (s->nspare > 0) {
        b = s->spare[--s->nspare];
        if (create != KM_PAGE_OVERWRITE)
            memset(b, 0, PG);
    } else if (!(b = create == KM_PAGE_OVERWRITE ? malloc(PG) : calloc(1, PG))) {
        return NULL;
    }
    memmove(&s->p[i + 1], &s->p[i], (s->n - i) * sizeof *s->p);
    s->p[i].addr = page;
    s->p[i].bytes = b;
    s->n++;
    s->last_addr = page;
    s->last = b;
    return b;
}

void km_space_free(mspace *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->p[i].bytes);
    for (size_t i = 0; i < s->nspare; i++)
        free(s->spare[i]);
    free(s->p);
    free(s->spare);
    memset(s, 0, sizeof *s);
}

void km_space_clear(mspace *s)
{
    size_t keep = s->n;
    if (keep > SPARE_MAX - s->nspare)
        keep = SPARE_MAX - s->nspare;
    if (s->nspare + keep > s->spare_cap) {
        uint8_t **ns = realloc(s->spare, (s->nspare + keep) * sizeof *ns);
        if (ns) {
            s->spare = ns;
            s->spare_cap = s->nspare + keep;
        } else {
            keep = s->spare_cap - s->nspare;
        }
    }
    for (size_t i = 0; i < s->n; i++) {
        if (i < keep)
            s->spare[s->nspare++] = s->p[i].bytes;
        else
            free(s->p[i].bytes);
    }
    s->n = 0;
    s->last = NULL;
}


int km_vmapped(const kdsim_model *m, uint64_t a)
{
    for (size_t i = 0; i < sizeof m->vreg / sizeof m->vreg[0]; i++)
        if (a - m->vreg[i].base < m->vreg[i].size)
            return 1;
    return 0;
}

/* Where byte a of a space lives: 0 when it does not exist. */
static mspace *resolve(kdsim_model *m, int phys, uint64_t a, uint64_t *key)
{
    if (!phys) {
        if (!km_vmapped(m, a))
            return NULL;
        *key = a;
        return &m->vmem;
    }
    if (a - m->kphys < m->image_size) {
        *key = m->kern + (a - m->kphys);
        return &m->vmem;
    }
    if (a - m->ram_base < KDSIM_PHYS_RAM_SIZE) {
        *key = a;
        return &m->pmem;
    }
    return NULL;
}

/*
 * Copies between buf and the model's memory page by page; stops at the first
 * page that does not exist (or cannot be allocated).  Returns the bytes done.
 */
static size_t mem_xfer(kdsim_model *m, int phys, uint64_t addr, uint8_t *rd, const uint8_t *wr, size_t len)
{
    uint64_t mask = phys ? ~(uint64_t)0 : m->amask;
    uint64_t a = addr & mask;
    size_t done = 0;
    while (done < len) {
        size_t chunk = PG - (size_t)(a & PG_MASK);
        if (chunk > len - done)
            chunk = len - done;
        uint64_t key;
        mspace *s = resolve(m, phys, a, &key);
        if (!s)
            break;
        size_t off = (size_t)(key & PG_MASK);
        int create = !wr ? KM_PAGE_FIND : off == 0 && chunk == PG ? KM_PAGE_OVERWRITE : KM_PAGE_ZEROED;
        uint8_t *page = km_space_page(s, key & ~PG_MASK, create);
        if (wr) {
            if (!page)
                break;
            memcpy(page + off, wr + done, chunk);
        } else if (page) {
            memcpy(rd + done, page + off, chunk);
        } else {
            memset(rd + done, 0, chunk);
        }
        done += chunk;
        uint64_t next = (a + chunk) & mask;
        if (next < a && done < len) /* wrapped around the address space */
            break;
        a = next;
    }
    return done;
}

size_t km_mem_read(kdsim_model *m, int phys, uint64_t a, void *buf, size_t len)
{
    return mem_xfer(m, phys, a, buf, NULL, len);
}

size_t km_mem_write(kdsim_model *m, int phys, uint64_t a, const void *buf, size_t len)
{
    return mem_xfer(m, phys, a, NULL, buf, len);
}


void km_poke(kdsim_model *m, uint64_t a, uint64_t v, size_t n)
{
    uint8_t b[8];
    put_le(b, v, n);
    km_mem_write(m, 0, a, b, n);
}

/* A pointer of the native size. */
void km_poke_ptr(kdsim_model *m, uint64_t a, uint64_t v)
{
    km_poke(m, a, v, m->psz);
}
