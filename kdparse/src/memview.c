/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memview.c - the bounded sparse memory of memview.h.
 *
 * Pages live in a fixed array of slots; a linear-probing hash (twice the
 * slots, so probes stay short) maps a page address to its slot.  Eviction is
 * the clock algorithm: a slot touched since the hand last passed gets a
 * second chance.  Deleting from the hash shifts the following run back, so
 * no tombstones accumulate.
 */
#include "kdparse/memview.h"

#include <stdlib.h>
#include <string.h>

#define HASH_SIZE (2u * KD_MEMVIEW_PAGES)
#define NO_SLOT 0xFFFFu

typedef struct page {
    uint64_t addr;                        /* page-aligned */
    uint8_t known[KD_MEMVIEW_PAGE / 8];   /* one bit per byte */
    uint8_t bytes[KD_MEMVIEW_PAGE];
} page;

struct kd_memview {
    page *slot[KD_MEMVIEW_PAGES];
    uint8_t used[KD_MEMVIEW_PAGES];       /* slot holds a page */
    uint8_t ref[KD_MEMVIEW_PAGES];        /* touched since the hand passed */
    uint16_t hash[HASH_SIZE];             /* slot index or NO_SLOT */
    size_t npages;
    unsigned hand;
};

static unsigned bucket(uint64_t page_addr)
{
    uint64_t h = (page_addr / KD_MEMVIEW_PAGE) * 0x9E3779B97F4A7C15ull;
    return (unsigned)(h >> 40) & (HASH_SIZE - 1);
}

kd_memview *kd_memview_new(void)
{
    kd_memview *v = calloc(1, sizeof *v);
    if (v)
        memset(v->hash, 0xFF, sizeof v->hash);
    return v;
}

void kd_memview_free(kd_memview *v)
{
    if (!v)
        return;
    for (unsigned i = 0; i < KD_MEMVIEW_PAGES; i++)
        free(v->slot[i]);
    free(v);
}

void kd_memview_clear(kd_memview *v)
{
    memset(v->used, 0, sizeof v->used);
    memset(v->ref, 0, sizeof v->ref);
    memset(v->hash, 0xFF, sizeof v->hash);
    v->npages = 0;
    v->hand = 0;
}

static unsigned find(const kd_memview *v, uint64_t page_addr)
{
    for (unsigned b = bucket(page_addr), n = 0; n < HASH_SIZE; n++, b = (b + 1) & (HASH_SIZE - 1)) {
        uint16_t s = v->hash[b];
        if (s == NO_SLOT)
            return NO_SLOT;
        if (v->slot[s]->addr == page_addr)
            return s;
    }
    return NO_SLOT;
}

static void unhash(kd_memview *v, uint64_t page_addr)
{
    unsigned b = bucket(page_addr);
    while (v->hash[b] != NO_SLOT && v->slot[v->hash[b]]->addr != page_addr)
        b = (b + 1) & (HASH_SIZE - 1);
    if (v->hash[b] == NO_SLOT)
        return;
    v->hash[b] = NO_SLOT;
    /* Backward shift: move up every later entry of the run that may sit here. */
    for (unsigned j = (b + 1) & (HASH_SIZE - 1); v->hash[j] != NO_SLOT; j = (j + 1) & (HASH_SIZE - 1)) {
        unsigned home = bucket(v->slot[v->hash[j]]->addr);
        /* Entry at j may move to b when its home is not cyclically in (b, j]. */
        int in_range = b < j ? (home > b && home <= j) : (home > b || home <= j);
        if (!in_range) {
            v->hash[b] = v->hash[j];
            v->hash[j] = NO_SLOT;
            b = j;
        }
    }
}

/* A slot for a new page: a free one, else the clock's victim. */
static unsigned take_slot(kd_memview *v)
{
    if (v->npages < KD_MEMVIEW_PAGES) {
        for (unsigned i = 0; i < KD_MEMVIEW_PAGES; i++)
            if (!v->used[(v->hand + i) % KD_MEMVIEW_PAGES]) {
                unsigned s = (v->hand + i) % KD_MEMVIEW_PAGES;
                v->npages++;
                return s;
            }
    }
    for (;;) { /* at most two sweeps: the first clears every ref bit */
        unsigned s = v->hand;
        v->hand = (v->hand + 1) % KD_MEMVIEW_PAGES;
        if (v->ref[s]) {
            v->ref[s] = 0;
            continue;
        }
        unhash(v, v->slot[s]->addr);
        return s;
    }
}

static page *get_page(kd_memview *v, uint64_t page_addr, int create)
{
    unsigned s = find(v, page_addr);
    if (s != NO_SLOT) {
        v->ref[s] = 1;
        return v->slot[s];
    }
    if (!create)
        return NULL;
    s = take_slot(v);
    if (!v->slot[s] && !(v->slot[s] = malloc(sizeof(page)))) {
        v->npages--;
        return NULL;
    }
    page *p = v->slot[s];
    p->addr = page_addr;
    memset(p->known, 0, sizeof p->known);
    v->used[s] = 1;
    v->ref[s] = 1;
    unsigned b = bucket(page_addr);
    while (v->hash[b] != NO_SLOT)
        b = (b + 1) & (HASH_SIZE - 1);
    v->hash[b] = (uint16_t)s;
    return p;
}

/* Marks bytes [off, off + n) of p known: whole bytes of the bitmap at once. */
static void set_known(page *p, size_t off, size_t n)
{
    size_t end = off + n;
    while (off < end && off % 8)
        p->known[off / 8] |= (uint8_t)(1u << (off % 8)), off++;
    if (end - off >= 8) {
        memset(p->known + off / 8, 0xFF, (end - off) / 8);
        off += (end - off) / 8 * 8;
    }
    while (off < end)
        p->known[off / 8] |= (uint8_t)(1u << (off % 8)), off++;
}

static int all_known(const page *p, size_t off, size_t n)
{
    size_t end = off + n;
    for (; off < end && off % 8; off++)
        if (!(p->known[off / 8] & (1u << (off % 8))))
            return 0;
    for (; end - off >= 8; off += 8)
        if (p->known[off / 8] != 0xFF)
            return 0;
    for (; off < end; off++)
        if (!(p->known[off / 8] & (1u << (off % 8))))
            return 0;
    return 1;
}

void kd_memview_write(kd_memview *v, uint64_t addr, const uint8_t *bytes, size_t len)
{
    while (len > 0) {
        uint64_t pa = addr & ~(uint64_t)(KD_MEMVIEW_PAGE - 1);
        size_t off = (size_t)(addr - pa), n = KD_MEMVIEW_PAGE - off;
        if (n > len)
            n = len;
        page *p = get_page(v, pa, 1);
        if (!p)
            return;
        memcpy(p->bytes + off, bytes, n);
        set_known(p, off, n);
        if (pa + KD_MEMVIEW_PAGE == 0)
            return; /* the top of the address space */
        addr += n;
        bytes += n;
        len -= n;
    }
}

int kd_memview_read(kd_memview *v, uint64_t addr, uint8_t *out, size_t len)
{
    while (len > 0) {
        uint64_t pa = addr & ~(uint64_t)(KD_MEMVIEW_PAGE - 1);
        size_t off = (size_t)(addr - pa), n = KD_MEMVIEW_PAGE - off;
        if (n > len)
            n = len;
        page *p = get_page(v, pa, 0);
        if (!p || !all_known(p, off, n))
            return -1;
        memcpy(out, p->bytes + off, n);
        if (pa + KD_MEMVIEW_PAGE == 0 && len > n)
            return -1;
        addr += n;
        out += n;
        len -= n;
    }
    return 0;
}

size_t kd_memview_pages(const kd_memview *v)
{
    return v->npages;
}
