/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsim/model.c - the simulated target's life (model.h): kdsim_model_new
 * lays out the address space for the architecture, the reset that Reboot
 * repeats seeds memory and registers, and the accessors.  The parts are
 * listed in model_impl.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdparse/wire.h"
#include "model_impl.h"


/* Everything the target is at power-on (new and Reboot). */
int km_model_reset(kdsim_model *m)
{
    km_space_clear(&m->vmem);
    km_space_clear(&m->pmem);
    memset(m->bp, 0, sizeof m->bp);
    m->rng = m->o.seed;
    m->nt_stamp = 0x5F000000u | (uint32_t)(rnd(m) & 0x00FFFFFFu);
    m->nt_sum = 0x00900000u | (uint32_t)(rnd(m) & 0x000FFFFFu);
    m->hal_stamp = 0x5F000000u | (uint32_t)(rnd(m) & 0x00FFFFFFu);
    m->hal_sum = 0x00070000u | (uint32_t)(rnd(m) & 0x0000FFFFu);

    km_write_pe(m, m->kern, (uint32_t)m->image_size, m->nt_stamp, m->nt_sum, 0);
    km_write_pe(m, m->hal, KDSIM_HAL_SIZE, m->hal_stamp, m->hal_sum, 1);
    /* kdcom and kdtest: stamps from a generator of their own, so the seed's
     * sequence (registers, schedule) is what it was with two modules. */
    uint64_t ds = m->o.seed ^ 0x6B64746573742E73ull;
    m->kdcom_stamp = 0x5F000000u | (uint32_t)(splitmix64(&ds) & 0x00FFFFFFu);
    m->kdcom_sum = 0x00020000u | (uint32_t)(splitmix64(&ds) & 0x0000FFFFu);
    m->drv_stamp = 0x5F000000u | (uint32_t)(splitmix64(&ds) & 0x00FFFFFFu);
    m->drv_sum = 0x00010000u | (uint32_t)(splitmix64(&ds) & 0x0000FFFFu);
    km_write_pe(m, m->kdcom, KDSIM_KDCOM_SIZE, m->kdcom_stamp, m->kdcom_sum, 1);
    km_write_pe(m, m->drv, KDSIM_DRIVER_SIZE, m->drv_stamp, m->drv_sum, 0);
    km_write_code(m);
    km_write_driver_code(m);
    km_write_structures(m);
    km_init_special(m);
    km_ctx_init(m);

    m->run = KDSIM_BOOT;
    m->boot_stage = 0;
    memset(&m->stop, 0, sizeof m->stop);
    m->context_sent = 0;
    m->rereport = 0;
    m->break_pending = 0;
    m->bugchecked = 0;
    m->pending = 0;
    m->resumes = 0;
    m->answer_len = 0;
    /* Seeding touches a handful of pages: if one failed, so did memory. */
    uint8_t mz[2] = {0, 0};
    return km_mem_read(m, 0, m->kern, mz, 2) == 2 && mz[0] == 'M' && m->vmem.n > 0 ? 0 : -1;
}


/* ------------------------------------------------------------ public: life */

/*
 * opts.kaslr: the kernel and each driver at independent bases drawn from
 * kaslr_seed (model.h, "Module bases").  Drivers take 64 KiB slots of a
 * window above the kernel's; a draw that overlaps one placed before is drawn
 * again (after 64 tries the next free slot up is taken, so it always ends).
 */
static void kaslr_place(kdsim_model *m)
{
    uint64_t s = m->o.kaslr_seed ^ 0x6B61736C72ull;
    const int x86 = m->arch == KD_ARCH_X86;
    const uint64_t kwin = x86 ? 0x80000000ull : 0xfffff80000000000ull;
    const uint64_t kalign = x86 ? 0x400000ull : 0x200000ull, kslots = x86 ? 0x3F : 0x3FF;
    m->kern = kwin + (1 + splitmix64(&s) % kslots) * kalign;
    const uint64_t dwin = x86 ? 0x98000000ull : 0xfffff80090000000ull;
    const uint64_t dslots = (x86 ? 0x08000000ull : 0x10000000ull) >> 16;
    const uint32_t size[3] = {KDSIM_HAL_SIZE, KDSIM_KDCOM_SIZE, KDSIM_DRIVER_SIZE};
    uint64_t lo[3], hi[3]; /* slots taken: [lo, hi) */
    for (int i = 0; i < 3; i++) {
        const uint64_t n = (size[i] + 0xFFFFu) >> 16;
        uint64_t slot = splitmix64(&s) % (dslots - n);
        for (int tries = 0;; tries++) {
            int clash = 0;
            for (int j = 0; j < i; j++)
                if (slot < hi[j] && lo[j] < slot + n)
                    clash = 1;
            if (!clash)
                break;
            slot = tries < 64 ? splitmix64(&s) % (dslots - n) : (slot + 1) % (dslots - n);
        }
        lo[i] = slot;
        hi[i] = slot + n;
    }
    m->hal = dwin + (lo[0] << 16);
    m->kdcom = dwin + (lo[1] << 16);
    m->drv = dwin + (lo[2] << 16);
    /* The pool (the LDR entries and their strings) stays put: only the
     * images move, as on Windows, where the entries are in pool. */
    m->pool = x86 ? 0xA0000000ull : 0xfffff800a0000000ull;
}

/* The options as the model keeps them: 0, or -1 when they are refused. */
static int normalize(const kdsim_model_opts *opts, kdsim_model_opts *out)
{
    kdsim_model_opts o = {0};
    if (opts)
        o = *opts;
    if (o.arch == KD_ARCH_UNKNOWN)
        o.arch = o.protocol32 ? KD_ARCH_X86 : KD_ARCH_AMD64;
    if (o.arch != KD_ARCH_X86 && o.arch != KD_ARCH_AMD64 && o.arch != KD_ARCH_ARM64)
        return -1;
    if (o.protocol32 && o.arch != KD_ARCH_X86)
        return -1;
    if (o.build == 0)
        o.build = o.protocol32 ? 2195 : 19041;
    o.protocol32 = o.protocol32 ? 1 : 0;
    *out = o;
    return 0;
}

/*
 * Lays out the address space for o on a model whose every other field is
 * zero (its memory spaces empty), then powers it on: 0, or -1 (memory).
 */
static int setup(kdsim_model *m, const kdsim_model_opts *o_)
{
    const kdsim_model_opts o = *o_;
    m->o = o;
    m->arch = o.arch;
    m->width = o.protocol32 ? 32 : 64;
    m->psz = o.arch == KD_ARCH_X86 ? 4 : 8;
    m->amask = o.arch == KD_ARCH_X86 ? 0xFFFFFFFFull : ~(uint64_t)0;
    switch (o.arch) {
    case KD_ARCH_X86:
        m->kern = 0x80800000ull;
        m->image_size = KDSIM_IMAGE_SIZE_32;
        m->kphys = 0x00800000ull;
        m->ram_base = 0;
        break;
    case KD_ARCH_AMD64:
        m->kern = 0xfffff80002a00000ull;
        m->image_size = KDSIM_IMAGE_SIZE_64;
        m->kphys = 0x02a00000ull;
        m->ram_base = 0;
        break;
    default:
        m->kern = 0xfffff80000000000ull;
        m->image_size = KDSIM_IMAGE_SIZE_64;
        m->kphys = 0x40200000ull;
        m->ram_base = 0x40000000ull;
        break;
    }
    m->hal = va(m, m->kern + KDSIM_HAL_OFFSET);
    m->kdcom = va(m, m->kern + KDSIM_KDCOM_OFFSET);
    m->drv = va(m, m->kern + KDSIM_DRIVER_OFFSET);
    m->pool = va(m, m->kern + KDSIM_POOL_OFFSET);
    if (o.kaslr)
        kaslr_place(m);
    m->stack = va(m, m->kern - KDSIM_STACK_BELOW);
    m->thread = m->kern + KDSIM_RVA_KTHREAD;
    m->kpcr = m->kern + KDSIM_RVA_KPCR;
    m->kprcb = m->kpcr + (o.arch == KD_ARCH_X86 ? 0x120 : 0x180);
    m->vreg[0] = (region){m->kern, m->image_size};
    m->vreg[1] = (region){m->hal, KDSIM_HAL_SIZE};
    m->vreg[2] = (region){m->pool, KDSIM_POOL_SIZE};
    m->vreg[3] = (region){m->stack, KDSIM_STACK_SIZE};
    m->vreg[4] = (region){m->kdcom, KDSIM_KDCOM_SIZE};
    m->vreg[5] = (region){m->drv, KDSIM_DRIVER_SIZE};
    m->ctx_layout = kd_context_layout(o.arch);
    m->ctx_size = m->ctx_layout ? m->ctx_layout->size : 0;
    km_ctx_map(m);
    m->max_read = KD_PACKET_MAX_SIZE - kd_body_header_size(KD_TYPE_STATE_MANIPULATE, 64);
    if (!m->ctx_layout || m->ctx_size > CTX_MAX || (o.protocol32 && !m->sc32_ctx_off && km_probe_sc32(m) != 0) ||
        km_model_reset(m) != 0)
        return -1;
    return 0;
}

kdsim_model *kdsim_model_new(const kdsim_model_opts *opts)
{
    kdsim_model_opts o;
    if (normalize(opts, &o) != 0)
        return NULL;
    kdsim_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    if (setup(m, &o) != 0) {
        kdsim_model_free(m);
        return NULL;
    }
    return m;
}

static int same_opts(const kdsim_model_opts *a, const kdsim_model_opts *b)
{
    return a->arch == b->arch && a->build == b->build && a->protocol32 == b->protocol32 && a->seed == b->seed &&
           a->kaslr == b->kaslr && a->kaslr_seed == b->kaslr_seed;
}

static void power_on_free(kdsim_model *m)
{
    if (m->power_on) {
        km_space_free(&m->power_on->vmem);
        free(m->power_on);
        m->power_on = NULL;
    }
}

/* Keeps m (just set up) as m->power_on; without memory, none is kept. */
static void power_on_keep(kdsim_model *m)
{
    if (m->pmem.n != 0)
        return; /* setup writes virtual memory only */
    kdsim_model *c = malloc(sizeof *c);
    if (!c)
        return;
    *c = *m;
    c->power_on = NULL;
    memset(&c->vmem, 0, sizeof c->vmem);
    c->vmem.p = malloc((m->vmem.n ? m->vmem.n : 1) * sizeof *c->vmem.p);
    if (!c->vmem.p) {
        free(c);
        return;
    }
    c->vmem.cap = m->vmem.n;
    for (size_t i = 0; i < m->vmem.n; i++) {
        uint8_t *b = malloc(PG);
        if (!b) {
            km_space_free(&c->vmem);
            free(c);
            return;
        }
        memcpy(b, m->vmem.p[i].bytes, PG);
        c->vmem.p[i] = (mpage){m->vmem.p[i].addr, b};
        c->vmem.n++;
    }
    m->power_on = c;
}

/* m as m->power_on: 0, or -1 (memory; m is then only to be set up again). */
static int power_on_restore(kdsim_model *m)
{
    const kdsim_model *c = m->power_on;
    mspace vmem = m->vmem, pmem = m->pmem;
    km_space_clear(&vmem);
    km_space_clear(&pmem);
    m->vmem = vmem; /* emptied: m stays freeable whatever fails below */
    m->pmem = pmem;
    if (vmem.cap < c->vmem.n) {
        mpage *np = realloc(vmem.p, c->vmem.n * sizeof *np);
        if (!np)
            return -1;
        m->vmem.p = vmem.p = np;
        m->vmem.cap = vmem.cap = c->vmem.n;
    }
    for (size_t i = 0; i < c->vmem.n; i++) {
        uint8_t *b = vmem.nspare ? vmem.spare[--vmem.nspare] : malloc(PG);
        if (!b) {
            m->vmem = vmem;
            return -1;
        }
        memcpy(b, c->vmem.p[i].bytes, PG);
        vmem.p[i] = (mpage){c->vmem.p[i].addr, b};
        vmem.n++;
    }
    kdsim_model *keep = m->power_on;
    *m = *c;
    m->vmem = vmem;
    m->pmem = pmem;
    m->power_on = keep;
    return 0;
}

int kdsim_model_reset(kdsim_model *m, const kdsim_model_opts *opts)
{
    kdsim_model_opts o;
    if (!m || normalize(opts, &o) != 0)
        return -1;
    if (m->power_on && same_opts(&m->power_on->o, &o)) {
        if (power_on_restore(m) == 0)
            return 0;
    }
    power_on_free(m);
    /* Everything as calloc left it but the memory spaces, emptied with
     * their pages kept: then the same steps as kdsim_model_new. */
    mspace vmem = m->vmem, pmem = m->pmem;
    km_space_clear(&vmem);
    km_space_clear(&pmem);
    /* Where a type-1 state change puts the CONTEXT depends on nothing but
     * the layout tables: probed once. */
    size_t sc32 = m->o.protocol32 ? m->sc32_ctx_off : 0;
    memset(m, 0, sizeof *m);
    m->vmem = vmem;
    m->pmem = pmem;
    m->sc32_ctx_off = o.protocol32 ? sc32 : 0;
    if (setup(m, &o) != 0)
        return -1;
    power_on_keep(m);
    return 0;
}

void kdsim_model_free(kdsim_model *m)
{
    if (!m)
        return;
    km_space_free(&m->vmem);
    km_space_free(&m->pmem);
    power_on_free(m);
    free(m);
}

/* ------------------------------------------------------------ accessors */

kd_decode_opts kdsim_model_decode_opts(const kdsim_model *m)
{
    kd_decode_opts o = {.arch = m ? m->arch : KD_ARCH_UNKNOWN, .width = m ? m->width : 64};
    return o;
}

kdsim_run_state kdsim_model_state(const kdsim_model *m)
{
    return m ? m->run : KDSIM_BOOT;
}

kdsim_model_info kdsim_model_get_info(const kdsim_model *m)
{
    kdsim_model_info i;
    memset(&i, 0, sizeof i);
    if (!m)
        return i;
    i.arch = m->arch;
    i.width = m->width;
    i.kern_base = ext(m, m->kern);
    i.image_size = (uint32_t)m->image_size;
    i.hal_base = ext(m, m->hal);
    i.kdcom_base = ext(m, m->kdcom);
    i.driver_base = ext(m, m->drv);
    i.ps_loaded_module_list = ext(m, m->kern + KDSIM_RVA_MODULE_LIST);
    i.debugger_data_list = ext(m, m->kern + KDSIM_RVA_DATA_LIST_HEAD);
    i.kdbg = ext(m, m->kern + KDSIM_RVA_KDBG);
    i.break_pc = ext(m, m->kern + KDSIM_RVA_BREAK_WITH_STATUS);
    i.code = ext(m, m->kern + KDSIM_RVA_CODE);
    i.scratch = ext(m, m->kern + KDSIM_RVA_SCRATCH);
    i.stack_base = ext(m, m->stack + KDSIM_STACK_SIZE);
    i.stack_limit = ext(m, m->stack);
    i.context_size = m->ctx_size;
    return i;
}

int kdsim_model_read(kdsim_model *m, uint64_t addr, void *buf, size_t len)
{
    if (!m || (!buf && len))
        return -1;
    return km_mem_read(m, 0, addr, buf, len) == len ? 0 : -1;
}

int kdsim_model_write(kdsim_model *m, uint64_t addr, const void *buf, size_t len)
{
    if (!m || (!buf && len))
        return -1;
    return km_mem_write(m, 0, addr, buf, len) == len ? 0 : -1;
}

uint64_t kdsim_model_kernel_base(const kdsim_model *m)
{
    return m ? ext(m, m->kern) : 0;
}

const uint8_t *kdsim_model_context(const kdsim_model *m, size_t *len)
{
    if (len)
        *len = m ? m->ctx_size : 0;
    return m ? m->ctx : NULL;
}

uint64_t kdsim_model_pc(const kdsim_model *m)
{
    return m ? ext(m, km_ctx_pc(m)) : 0;
}
