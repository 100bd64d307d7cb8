/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsim/model_cpu.c - the simulated processor: the CONTEXT image (members
 * found through kd_context_layout()), the registers drawn at every stop, and
 * the special registers and MSRs (model.h, "Registers", "Control space",
 * "MSRs").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"

static int layout_find(const kd_layout *l, kd_field_id f, size_t base, size_t *off, size_t *size)
{
    for (size_t i = 0; i < l->n; i++) {
        const kd_member *mb = &l->m[i];
        if (mb->sub) {
            if (mb->field == f) {
                *off = base + mb->offset;
                *size = mb->sub->size;
                return 1;
            }
            if (layout_find(mb->sub, f, base + mb->offset, off, size))
                return 1;
        } else if (mb->field == f) {
            *off = base + mb->offset;
            *size = mb->size;
            return 1;
        }
    }
    return 0;
}

/* In the order layout_find looks (a member, then what it holds), so the
 * first one found is the one mapped. */
static void map_walk(kdsim_model *m, const kd_layout *l, size_t base)
{
    for (size_t i = 0; i < l->n; i++) {
        const kd_member *mb = &l->m[i];
        size_t k = (size_t)mb->field - (size_t)KD_F_CTX;
        if (mb->field >= KD_F_CTX && k < CTX_MAP && !m->ctx_map_off[k]) {
            m->ctx_map_off[k] = (uint16_t)(base + mb->offset + 1);
            m->ctx_map_size[k] = mb->sub ? mb->sub->size : mb->size;
        }
        if (mb->sub)
            map_walk(m, mb->sub, base + mb->offset);
    }
}

void km_ctx_map(kdsim_model *m)
{
    memset(m->ctx_map_off, 0, sizeof m->ctx_map_off);
    memset(m->ctx_map_size, 0, sizeof m->ctx_map_size);
    if (m->ctx_layout)
        map_walk(m, m->ctx_layout, 0);
}

int km_ctx_loc(const kdsim_model *m, kd_field_id f, size_t *off, size_t *size)
{
    size_t k = (size_t)f - (size_t)KD_F_CTX;
    if (f >= KD_F_CTX && k < CTX_MAP) {
        if (!m->ctx_map_off[k])
            return 0;
        *off = m->ctx_map_off[k] - 1u;
        *size = m->ctx_map_size[k];
        return 1;
    }
    return layout_find(m->ctx_layout, f, 0, off, size);
}

void km_ctx_set(kdsim_model *m, kd_field_id f, uint64_t v)
{
    size_t off, size;
    if (km_ctx_loc(m, f, &off, &size) && size <= 8 && off + size <= m->ctx_size)
        put_le(m->ctx + off, v, size);
}

uint64_t km_ctx_get(const kdsim_model *m, kd_field_id f)
{
    size_t off, size;
    if (km_ctx_loc(m, f, &off, &size) && size <= 8 && off + size <= m->ctx_size)
        return get_le(m->ctx + off, size);
    return 0;
}

kd_field_id km_f_pc(const kdsim_model *m)
{
    return m->arch == KD_ARCH_X86 ? KD_F_CTX_EIP : m->arch == KD_ARCH_AMD64 ? KD_F_CTX_RIP : KD_F_CTX_PC;
}

static kd_field_id f_sp(const kdsim_model *m)
{
    return m->arch == KD_ARCH_X86 ? KD_F_CTX_ESP : m->arch == KD_ARCH_AMD64 ? KD_F_CTX_RSP : KD_F_CTX_SP;
}

static kd_field_id f_fp(const kdsim_model *m)
{
    return m->arch == KD_ARCH_X86 ? KD_F_CTX_EBP : m->arch == KD_ARCH_AMD64 ? KD_F_CTX_RBP : KD_F_CTX_FP;
}

/* The register DbgBreakPointWithStatus takes its argument in (KDDEBUGGER_DATA
 * comment: "the first argument register, or on x86 the eax register"). */
kd_field_id km_f_arg(const kdsim_model *m)
{
    return m->arch == KD_ARCH_X86 ? KD_F_CTX_EAX : m->arch == KD_ARCH_AMD64 ? KD_F_CTX_RCX : KD_F_CTX_X0;
}

uint64_t km_ctx_pc(const kdsim_model *m)
{
    return va(m, km_ctx_get(m, km_f_pc(m)));
}

/* A plausible register value: a pointer into the image or the stack, or a
 * small number. */
static uint64_t reg_value(kdsim_model *m)
{
    uint64_t r = rnd(m);
    switch (r & 3) {
    case 0:
        return ext(m, m->kern + ((r >> 8) % m->image_size & ~(uint64_t)7));
    case 1:
        return ext(m, m->stack + ((r >> 8) % KDSIM_STACK_SIZE & ~(uint64_t)7));
    default:
        return (r >> 16) & (r & 4 ? 0xFFFFu : 0xFFu);
    }
}

/* The registers that change between stops. */
void km_ctx_redraw(kdsim_model *m)
{
    static const kd_field_id x86[] = {KD_F_CTX_EAX, KD_F_CTX_EBX, KD_F_CTX_ECX,
                                      KD_F_CTX_EDX, KD_F_CTX_ESI, KD_F_CTX_EDI};
    static const kd_field_id amd64[] = {KD_F_CTX_RAX, KD_F_CTX_RBX, KD_F_CTX_RCX, KD_F_CTX_RDX,
                                        KD_F_CTX_RSI, KD_F_CTX_RDI, KD_F_CTX_R8,  KD_F_CTX_R9,
                                        KD_F_CTX_R10, KD_F_CTX_R11, KD_F_CTX_R12, KD_F_CTX_R13,
                                        KD_F_CTX_R14, KD_F_CTX_R15};
    if (m->arch == KD_ARCH_X86) {
        for (size_t i = 0; i < sizeof x86 / sizeof x86[0]; i++)
            km_ctx_set(m, x86[i], reg_value(m));
    } else if (m->arch == KD_ARCH_AMD64) {
        for (size_t i = 0; i < sizeof amd64 / sizeof amd64[0]; i++)
            km_ctx_set(m, amd64[i], reg_value(m));
    } else {
        for (int f = KD_F_CTX_X0; f <= KD_F_CTX_X28; f++)
            km_ctx_set(m, (kd_field_id)f, reg_value(m));
    }
}

void km_ctx_init(kdsim_model *m)
{
    memset(m->ctx, 0, sizeof m->ctx);
    uint64_t sp = m->stack + KDSIM_STACK_SIZE - 0x200;
    uint64_t ret = m->kern + KDSIM_RVA_CODE + 0x40; /* where the stopped code returns to */
    size_t off, size;
    switch (m->arch) {
    case KD_ARCH_X86:
        km_ctx_set(m, KD_F_CTX_CONTEXT_FLAGS, 0x0001003F); /* CONTEXT_ALL (§1.9) */
        km_ctx_set(m, KD_F_CTX_SEG_GS, 0x00);
        km_ctx_set(m, KD_F_CTX_SEG_FS, 0x30);
        km_ctx_set(m, KD_F_CTX_SEG_ES, 0x23);
        km_ctx_set(m, KD_F_CTX_SEG_DS, 0x23);
        km_ctx_set(m, KD_F_CTX_SEG_CS, 0x08);
        km_ctx_set(m, KD_F_CTX_SEG_SS, 0x10);
        km_ctx_set(m, KD_F_CTX_EFLAGS, 0x246);
        km_ctx_set(m, KD_F_CTX_FLOAT_SAVE_CONTROL_WORD, 0xFFFF027F);
        km_ctx_set(m, KD_F_CTX_FLOAT_SAVE_TAG_WORD, 0xFFFFFFFF);
        if (km_ctx_loc(m, KD_F_CTX_EXTENDED_REGISTERS, &off, &size) && size >= 32) {
            put_le(m->ctx + off, 0x027F, 2);      /* FXSAVE: FCW */
            put_le(m->ctx + off + 24, 0x1F80, 4); /* FXSAVE: MXCSR */
        }
        break;
    case KD_ARCH_AMD64:
        km_ctx_set(m, KD_F_CTX_CONTEXT_FLAGS, 0x0010001F); /* CONTROL|INTEGER|SEGMENTS|FLOATING_POINT|DEBUG */
        km_ctx_set(m, KD_F_CTX_MX_CSR, 0x1F80);
        km_ctx_set(m, KD_F_CTX_SEG_CS, 0x10);
        km_ctx_set(m, KD_F_CTX_SEG_DS, 0x2B);
        km_ctx_set(m, KD_F_CTX_SEG_ES, 0x2B);
        km_ctx_set(m, KD_F_CTX_SEG_FS, 0x53);
        km_ctx_set(m, KD_F_CTX_SEG_GS, 0x2B);
        km_ctx_set(m, KD_F_CTX_SEG_SS, 0x18);
        km_ctx_set(m, KD_F_CTX_EFLAGS, 0x246);
        km_ctx_set(m, KD_F_CTX_FLT_SAVE_CONTROL_WORD, 0x027F);
        km_ctx_set(m, KD_F_CTX_FLT_SAVE_MX_CSR, 0x1F80);
        km_ctx_set(m, KD_F_CTX_FLT_SAVE_MX_CSR_MASK, 0xFFFF);
        break;
    default:
        km_ctx_set(m, KD_F_CTX_CONTEXT_FLAGS, 0x0040000F); /* CONTROL|INTEGER|FLOATING_POINT|DEBUG */
        km_ctx_set(m, KD_F_CTX_CPSR, 0x00000005);           /* EL1h */
        km_ctx_set(m, KD_F_CTX_LR, ret);
        break;
    }
    km_ctx_set(m, f_sp(m), ext(m, sp));
    km_ctx_set(m, f_fp(m), ext(m, sp + 0x80));
    km_ctx_set(m, km_f_pc(m), ext(m, m->kern + KDSIM_RVA_BREAK_WITH_STATUS));
    km_ctx_redraw(m);
}


void km_init_special(kdsim_model *m)
{
    memset(m->kspecial, 0, sizeof m->kspecial);
    uint8_t *k = m->kspecial;
    const uint64_t syscall = m->kern + KDSIM_RVA_SYSCALL;
    m->nmsr = 0;
#define MSR(n, v) (m->msr[m->nmsr].msr = (n), m->msr[m->nmsr].value = (v), m->nmsr++)
    switch (m->arch) {
    case KD_ARCH_X86:
        /* KSPECIAL_REGISTERS (x86, 0x54): Cr0, Cr2, Cr3, Cr4, KernelDr0..7, Gdtr, Idtr, Tr, Ldtr, Reserved */
        m->kspecial_size = 0x54;
        put_le(k + 0x00, 0x8001003B, 4);
        put_le(k + 0x08, 0x00185000, 4);
        put_le(k + 0x0C, 0x000006D9, 4);
        MSR(0x10, 0x0000001234500000ull | (m->rng & 0xFFFFF));
        MSR(0x1B, 0xFEE00900);
        MSR(0x174, 0x08);
        MSR(0x175, m->kpcr + 0x800);
        MSR(0x176, syscall);
        break;
    case KD_ARCH_AMD64:
        /* KSPECIAL_REGISTERS (AMD64, 0xF0) */
        m->kspecial_size = 0xF0;
        put_le(k + 0x00, 0x80050033, 8);      /* Cr0 */
        put_le(k + 0x10, 0x001AA000, 8);      /* Cr3 */
        put_le(k + 0x18, 0x000406F8, 8);      /* Cr4 */
        put_le(k + 0xA8, m->kpcr, 8);         /* MsrGsBase */
        put_le(k + 0xB8, 0x0023001000000000ull, 8); /* MsrStar */
        put_le(k + 0xC0, syscall, 8);         /* MsrLStar */
        put_le(k + 0xC8, syscall + 0x40, 8);  /* MsrCStar */
        put_le(k + 0xD0, 0x4700, 8);          /* MsrSyscallMask */
        MSR(0x10, 0x0000001234500000ull | (m->rng & 0xFFFFF));
        MSR(0x1B, 0xFEE00900);
        MSR(0xC0000080, 0xD01);
        MSR(0xC0000081, 0x0023001000000000ull);
        MSR(0xC0000082, syscall);
        MSR(0xC0000083, syscall + 0x40);
        MSR(0xC0000084, 0x4700);
        MSR(0xC0000100, 0);
        MSR(0xC0000101, m->kpcr);
        MSR(0xC0000102, 0);
        break;
    default:
        m->kspecial_size = 0xA0;
        break;
    }
#undef MSR
}
