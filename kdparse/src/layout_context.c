/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * layout_context.c - the CONTEXT of x86, AMD64 and ARM64 as explicit member
 * lists (kd-protocol.md §2.4 "X86_CONTEXT", "AMD64_CONTEXT", "ARM64_CONTEXT"),
 * and the ContextFlags value tables (§1.9).
 *
 * Offsets are the reference's byte offsets; a nested area's members are relative
 * to the nested structure.  Where Windows declares a union, one view is kept so
 * that members never overlap:
 *   - AMD64 FltSave (XMM_SAVE_AREA32) rather than Header/Legacy/Xmm0..Xmm15;
 *   - ARM64 X0..X28, Fp, Lr rather than the alias X[31];
 *   - NEON128 / M128A elements as 16 raw bytes (BYTES) rather than Low/High/D/S/H/B.
 */
#include <stddef.h>

#include "kdparse/schema.h"

/* One member: field, offset, wire size of one element, element count. */
#define M(id, off, sz, cnt) { .field = KD_F_##id, .offset = (off), .size = (sz), .count = (cnt), .sub = NULL }
/* A nested structure: field (a NONE subtree), offset, its size, its layout. */
#define S(id, off, sz, lay) { .field = KD_F_##id, .offset = (off), .size = (sz), .count = 1, .sub = &(lay) }
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ x86 */

/* FLOATING_SAVE_AREA: 112 bytes. */
static const kd_member x86_float_save_m[] = {
    M(CTX_FLOAT_SAVE_CONTROL_WORD,   0x000, 4, 1),
    M(CTX_FLOAT_SAVE_STATUS_WORD,    0x004, 4, 1),
    M(CTX_FLOAT_SAVE_TAG_WORD,       0x008, 4, 1),
    M(CTX_FLOAT_SAVE_ERROR_OFFSET,   0x00C, 4, 1),
    M(CTX_FLOAT_SAVE_ERROR_SELECTOR, 0x010, 4, 1),
    M(CTX_FLOAT_SAVE_DATA_OFFSET,    0x014, 4, 1),
    M(CTX_FLOAT_SAVE_DATA_SELECTOR,  0x018, 4, 1),
    M(CTX_FLOAT_SAVE_REGISTER_AREA,  0x01C, 10, 8),  /* UCHAR[80]: ST0..ST7 */
    M(CTX_FLOAT_SAVE_CR0_NPX_STATE,  0x06C, 4, 1),
};

static const kd_layout x86_float_save = {
    "FLOATING_SAVE_AREA", 112, (uint16_t)NELEM(x86_float_save_m), x86_float_save_m
};

/* X86 CONTEXT: 716 bytes, all ULONG apart from the two byte areas. */
static const kd_member x86_context_m[] = {
    M(CTX_CONTEXT_FLAGS, 0x000, 4, 1),
    M(CTX_DR0,           0x004, 4, 1),
    M(CTX_DR1,           0x008, 4, 1),
    M(CTX_DR2,           0x00C, 4, 1),
    M(CTX_DR3,           0x010, 4, 1),
    M(CTX_DR6,           0x014, 4, 1),
    M(CTX_DR7,           0x018, 4, 1),
    S(CTX_FLOAT_SAVE,    0x01C, 112, x86_float_save),
    M(CTX_SEG_GS,        0x08C, 4, 1),
    M(CTX_SEG_FS,        0x090, 4, 1),
    M(CTX_SEG_ES,        0x094, 4, 1),
    M(CTX_SEG_DS,        0x098, 4, 1),
    M(CTX_EDI,           0x09C, 4, 1),
    M(CTX_ESI,           0x0A0, 4, 1),
    M(CTX_EBX,           0x0A4, 4, 1),
    M(CTX_EDX,           0x0A8, 4, 1),
    M(CTX_ECX,           0x0AC, 4, 1),
    M(CTX_EAX,           0x0B0, 4, 1),
    M(CTX_EBP,           0x0B4, 4, 1),
    M(CTX_EIP,           0x0B8, 4, 1),
    M(CTX_SEG_CS,        0x0BC, 4, 1),
    M(CTX_EFLAGS,        0x0C0, 4, 1),
    M(CTX_ESP,           0x0C4, 4, 1),
    M(CTX_SEG_SS,        0x0C8, 4, 1),
    M(CTX_EXTENDED_REGISTERS, 0x0CC, 512, 1),        /* UCHAR[512]: FXSAVE image */
};

static const kd_layout x86_context = {
    "CONTEXT", 716, (uint16_t)NELEM(x86_context_m), x86_context_m
};

/* ------------------------------------------------------------ AMD64 */

/* XMM_SAVE_AREA32: 512 bytes (the FXSAVE format). */
static const kd_member amd64_flt_save_m[] = {
    M(CTX_FLT_SAVE_CONTROL_WORD,    0x000, 2, 1),
    M(CTX_FLT_SAVE_STATUS_WORD,     0x002, 2, 1),
    M(CTX_FLT_SAVE_TAG_WORD,        0x004, 1, 1),
    M(CTX_FLT_SAVE_RESERVED1,       0x005, 1, 1),
    M(CTX_FLT_SAVE_ERROR_OPCODE,    0x006, 2, 1),
    M(CTX_FLT_SAVE_ERROR_OFFSET,    0x008, 4, 1),
    M(CTX_FLT_SAVE_ERROR_SELECTOR,  0x00C, 2, 1),
    M(CTX_FLT_SAVE_RESERVED2,       0x00E, 2, 1),
    M(CTX_FLT_SAVE_DATA_OFFSET,     0x010, 4, 1),
    M(CTX_FLT_SAVE_DATA_SELECTOR,   0x014, 2, 1),
    M(CTX_FLT_SAVE_RESERVED3,       0x016, 2, 1),
    M(CTX_FLT_SAVE_MX_CSR,          0x018, 4, 1),
    M(CTX_FLT_SAVE_MX_CSR_MASK,     0x01C, 4, 1),
    M(CTX_FLT_SAVE_FLOAT_REGISTERS, 0x020, 16, 8),   /* M128A[8] */
    M(CTX_FLT_SAVE_XMM_REGISTERS,   0x0A0, 16, 16),  /* M128A[16] */
    M(CTX_FLT_SAVE_RESERVED4,       0x1A0, 96, 1),   /* UCHAR[96] */
};

static const kd_layout amd64_flt_save = {
    "XMM_SAVE_AREA32", 512, (uint16_t)NELEM(amd64_flt_save_m), amd64_flt_save_m
};

/* AMD64 CONTEXT: 1232 bytes. */
static const kd_member amd64_context_m[] = {
    M(CTX_P1_HOME,       0x000, 8, 1),
    M(CTX_P2_HOME,       0x008, 8, 1),
    M(CTX_P3_HOME,       0x010, 8, 1),
    M(CTX_P4_HOME,       0x018, 8, 1),
    M(CTX_P5_HOME,       0x020, 8, 1),
    M(CTX_P6_HOME,       0x028, 8, 1),
    M(CTX_CONTEXT_FLAGS, 0x030, 4, 1),
    M(CTX_MX_CSR,        0x034, 4, 1),
    M(CTX_SEG_CS,        0x038, 2, 1),
    M(CTX_SEG_DS,        0x03A, 2, 1),
    M(CTX_SEG_ES,        0x03C, 2, 1),
    M(CTX_SEG_FS,        0x03E, 2, 1),
    M(CTX_SEG_GS,        0x040, 2, 1),
    M(CTX_SEG_SS,        0x042, 2, 1),
    M(CTX_EFLAGS,        0x044, 4, 1),
    M(CTX_DR0,           0x048, 8, 1),
    M(CTX_DR1,           0x050, 8, 1),
    M(CTX_DR2,           0x058, 8, 1),
    M(CTX_DR3,           0x060, 8, 1),
    M(CTX_DR6,           0x068, 8, 1),
    M(CTX_DR7,           0x070, 8, 1),
    M(CTX_RAX,           0x078, 8, 1),
    M(CTX_RCX,           0x080, 8, 1),
    M(CTX_RDX,           0x088, 8, 1),
    M(CTX_RBX,           0x090, 8, 1),
    M(CTX_RSP,           0x098, 8, 1),
    M(CTX_RBP,           0x0A0, 8, 1),
    M(CTX_RSI,           0x0A8, 8, 1),
    M(CTX_RDI,           0x0B0, 8, 1),
    M(CTX_R8,            0x0B8, 8, 1),
    M(CTX_R9,            0x0C0, 8, 1),
    M(CTX_R10,           0x0C8, 8, 1),
    M(CTX_R11,           0x0D0, 8, 1),
    M(CTX_R12,           0x0D8, 8, 1),
    M(CTX_R13,           0x0E0, 8, 1),
    M(CTX_R14,           0x0E8, 8, 1),
    M(CTX_R15,           0x0F0, 8, 1),
    M(CTX_RIP,           0x0F8, 8, 1),
    S(CTX_FLT_SAVE,      0x100, 512, amd64_flt_save),     /* union with Header/Legacy/Xmm0..15 */
    /* 0x300: the union ends at 0x100 + 512 */
    M(CTX_VECTOR_REGISTER,         0x300, 16, 26),   /* M128A[26] */
    M(CTX_VECTOR_CONTROL,          0x4A0, 8, 1),
    M(CTX_DEBUG_CONTROL,           0x4A8, 8, 1),
    M(CTX_LAST_BRANCH_TO_RIP,      0x4B0, 8, 1),
    M(CTX_LAST_BRANCH_FROM_RIP,    0x4B8, 8, 1),
    M(CTX_LAST_EXCEPTION_TO_RIP,   0x4C0, 8, 1),
    M(CTX_LAST_EXCEPTION_FROM_RIP, 0x4C8, 8, 1),
};

static const kd_layout amd64_context = {
    "CONTEXT", 1232, (uint16_t)NELEM(amd64_context_m), amd64_context_m
};

/* ------------------------------------------------------------ ARM64 */

/* ARM64 CONTEXT: 912 bytes. */
static const kd_member arm64_context_m[] = {
    M(CTX_CONTEXT_FLAGS, 0x000, 4, 1),
    M(CTX_CPSR,          0x004, 4, 1),
    M(CTX_X0,            0x008, 8, 1),
    M(CTX_X1,            0x010, 8, 1),
    M(CTX_X2,            0x018, 8, 1),
    M(CTX_X3,            0x020, 8, 1),
    M(CTX_X4,            0x028, 8, 1),
    M(CTX_X5,            0x030, 8, 1),
    M(CTX_X6,            0x038, 8, 1),
    M(CTX_X7,            0x040, 8, 1),
    M(CTX_X8,            0x048, 8, 1),
    M(CTX_X9,            0x050, 8, 1),
    M(CTX_X10,           0x058, 8, 1),
    M(CTX_X11,           0x060, 8, 1),
    M(CTX_X12,           0x068, 8, 1),
    M(CTX_X13,           0x070, 8, 1),
    M(CTX_X14,           0x078, 8, 1),
    M(CTX_X15,           0x080, 8, 1),
    M(CTX_X16,           0x088, 8, 1),
    M(CTX_X17,           0x090, 8, 1),
    M(CTX_X18,           0x098, 8, 1),
    M(CTX_X19,           0x0A0, 8, 1),
    M(CTX_X20,           0x0A8, 8, 1),
    M(CTX_X21,           0x0B0, 8, 1),
    M(CTX_X22,           0x0B8, 8, 1),
    M(CTX_X23,           0x0C0, 8, 1),
    M(CTX_X24,           0x0C8, 8, 1),
    M(CTX_X25,           0x0D0, 8, 1),
    M(CTX_X26,           0x0D8, 8, 1),
    M(CTX_X27,           0x0E0, 8, 1),
    M(CTX_X28,           0x0E8, 8, 1),
    M(CTX_FP,            0x0F0, 8, 1),
    M(CTX_LR,            0x0F8, 8, 1),
    M(CTX_SP,            0x100, 8, 1),
    M(CTX_PC,            0x108, 8, 1),
    M(CTX_V,             0x110, 16, 32),             /* NEON128[32] */
    M(CTX_FPCR,          0x310, 4, 1),
    M(CTX_FPSR,          0x314, 4, 1),
    M(CTX_BCR,           0x318, 4, 8),               /* ULONG[8] */
    M(CTX_BVR,           0x338, 8, 8),               /* ULONG64[8] */
    M(CTX_WCR,           0x378, 4, 2),               /* ULONG[2] */
    M(CTX_WVR,           0x380, 8, 2),               /* ULONG64[2] */
};

static const kd_layout arm64_context = {
    "CONTEXT", 912, (uint16_t)NELEM(arm64_context_m), arm64_context_m
};

const kd_layout *kd_context_layout(kd_arch a)
{
    switch (a) {
    case KD_ARCH_X86:
        return &x86_context;
    case KD_ARCH_AMD64:
        return &amd64_context;
    case KD_ARCH_ARM64:
        return &arm64_context;
    default:
        return NULL;
    }
}

/* ------------------------------------------------------------ ContextFlags (§1.9) */

/* Each entry but the architecture bit carries that bit too (CONTEXT_CONTROL is
 * CONTEXT_i386 | 1), so a bitmask renderer names a flag only in a CONTEXT of
 * its own architecture. */
const kd_val kd_vals_x86_context_flags[] = {
    { 0x00010000, "CONTEXT_i386" },
    { 0x00010001, "CONTEXT_CONTROL" },
    { 0x00010002, "CONTEXT_INTEGER" },
    { 0x00010004, "CONTEXT_SEGMENTS" },
    { 0x00010008, "CONTEXT_FLOATING_POINT" },
    { 0x00010010, "CONTEXT_DEBUG_REGISTERS" },
    { 0x00010020, "CONTEXT_EXTENDED_REGISTERS" },
    { 0x00010040, "CONTEXT_XSTATE" },
    { 0, NULL }
};

/* The four state bits at the top stand alone, as the reference lists them. */
const kd_val kd_vals_amd64_context_flags[] = {
    { 0x00100000, "CONTEXT_AMD64" },
    { 0x00100001, "CONTEXT_CONTROL" },
    { 0x00100002, "CONTEXT_INTEGER" },
    { 0x00100004, "CONTEXT_SEGMENTS" },
    { 0x00100008, "CONTEXT_FLOATING_POINT" },
    { 0x00100010, "CONTEXT_DEBUG_REGISTERS" },
    { 0x00100040, "CONTEXT_XSTATE" },
    { 0x08000000, "CONTEXT_EXCEPTION_ACTIVE" },
    { 0x10000000, "CONTEXT_SERVICE_ACTIVE" },
    { 0x40000000, "CONTEXT_EXCEPTION_REQUEST" },
    { 0x80000000, "CONTEXT_EXCEPTION_REPORTING" },
    { 0, NULL }
};

const kd_val kd_vals_arm64_context_flags[] = {
    { 0x00400000, "CONTEXT_ARM64" },
    { 0x00400001, "CONTEXT_ARM64_CONTROL" },
    { 0x00400002, "CONTEXT_ARM64_INTEGER" },
    { 0x00400004, "CONTEXT_ARM64_FLOATING_POINT" },
    { 0x00400008, "CONTEXT_ARM64_DEBUG_REGISTERS" },
    { 0x00400010, "CONTEXT_ARM64_X18" },
    { 0, NULL }
};
