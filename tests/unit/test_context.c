/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CONTEXT layout tests.  The expected offsets and sizes below were copied by
 * hand from reference/kd-protocol.md §2.1 and §2.4 (X86_CONTEXT,
 * X86_FLOATING_SAVE_AREA, AMD64_CONTEXT, XMM_SAVE_AREA32, ARM64_CONTEXT), not
 * derived from layout_context.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kdparse/schema.h"

/* ------------------------------------------------------------ helpers */

/* Searches l (recursively) for the member named abbrev.  On success stores its
 * absolute offset from the start of the outermost structure and its total wire
 * size (size * count) and returns the member. */
static const kd_member *find_member(const kd_layout *l, unsigned base, const char *abbrev,
                                    unsigned *off, unsigned *size)
{
    for (unsigned i = 0; i < l->n; i++) {
        const kd_member *m = &l->m[i];
        const char *name = kd_fields[m->field].abbrev;
        if (name && strcmp(name, abbrev) == 0) {
            *off = base + m->offset;
            *size = (unsigned)m->size * m->count;
            return m;
        }
        if (m->sub) {
            const kd_member *r = find_member(m->sub, base + m->offset, abbrev, off, size);
            if (r)
                return r;
        }
    }
    return NULL;
}

typedef struct expect {
    unsigned off, size;
    const char *abbrev;
} expect;

static void check_offsets(kd_arch a, const expect *e, size_t n)
{
    const kd_layout *l = kd_context_layout(a);
    assert_non_null(l);
    assert_true(n >= 25);
    for (size_t i = 0; i < n; i++) {
        unsigned off = 0, size = 0;
        const kd_member *m = find_member(l, 0, e[i].abbrev, &off, &size);
        if (!m)
            fail_msg("%s: %s not in the layout", kd_arch_name(a), e[i].abbrev);
        if (off != e[i].off || size != e[i].size)
            fail_msg("%s: %s at 0x%X size %u, expected 0x%X size %u", kd_arch_name(a),
                     e[i].abbrev, off, size, e[i].off, e[i].size);
    }
}

/* ------------------------------------------------------------ (a) sizes */

static void test_sizes(void **state)
{
    (void)state;
    assert_int_equal(kd_context_layout(KD_ARCH_X86)->size, 716);
    assert_int_equal(kd_context_layout(KD_ARCH_AMD64)->size, 1232);
    assert_int_equal(kd_context_layout(KD_ARCH_ARM64)->size, 912);
}

/* ------------------------------------------------------------ (b) reference offsets */

static const expect x86_expect[] = {
    {0x000, 4, "kd.context.context_flags"},
    {0x004, 4, "kd.context.dr0"},
    {0x008, 4, "kd.context.dr1"},
    {0x00C, 4, "kd.context.dr2"},
    {0x010, 4, "kd.context.dr3"},
    {0x014, 4, "kd.context.dr6"},
    {0x018, 4, "kd.context.dr7"},
    {0x01C, 112, "kd.context.float_save"},
    {0x01C, 4, "kd.context.float_save.control_word"},
    {0x020, 4, "kd.context.float_save.status_word"},
    {0x024, 4, "kd.context.float_save.tag_word"},
    {0x028, 4, "kd.context.float_save.error_offset"},
    {0x02C, 4, "kd.context.float_save.error_selector"},
    {0x030, 4, "kd.context.float_save.data_offset"},
    {0x034, 4, "kd.context.float_save.data_selector"},
    {0x038, 80, "kd.context.float_save.register_area"},
    {0x088, 4, "kd.context.float_save.cr0_npx_state"},
    {0x08C, 4, "kd.context.seg_gs"},
    {0x090, 4, "kd.context.seg_fs"},
    {0x094, 4, "kd.context.seg_es"},
    {0x098, 4, "kd.context.seg_ds"},
    {0x09C, 4, "kd.context.edi"},
    {0x0A0, 4, "kd.context.esi"},
    {0x0A4, 4, "kd.context.ebx"},
    {0x0A8, 4, "kd.context.edx"},
    {0x0AC, 4, "kd.context.ecx"},
    {0x0B0, 4, "kd.context.eax"},
    {0x0B4, 4, "kd.context.ebp"},
    {0x0B8, 4, "kd.context.eip"},
    {0x0BC, 4, "kd.context.seg_cs"},
    {0x0C0, 4, "kd.context.eflags"},
    {0x0C4, 4, "kd.context.esp"},
    {0x0C8, 4, "kd.context.seg_ss"},
    {0x0CC, 512, "kd.context.extended_registers"},
};

static const expect amd64_expect[] = {
    {0x000, 8, "kd.context.p1_home"},
    {0x028, 8, "kd.context.p6_home"},
    {0x030, 4, "kd.context.context_flags"},
    {0x034, 4, "kd.context.mx_csr"},
    {0x038, 2, "kd.context.seg_cs"},
    {0x03A, 2, "kd.context.seg_ds"},
    {0x03C, 2, "kd.context.seg_es"},
    {0x03E, 2, "kd.context.seg_fs"},
    {0x040, 2, "kd.context.seg_gs"},
    {0x042, 2, "kd.context.seg_ss"},
    {0x044, 4, "kd.context.eflags"},
    {0x048, 8, "kd.context.dr0"},
    {0x060, 8, "kd.context.dr3"},
    {0x068, 8, "kd.context.dr6"},
    {0x070, 8, "kd.context.dr7"},
    {0x078, 8, "kd.context.rax"},
    {0x080, 8, "kd.context.rcx"},
    {0x088, 8, "kd.context.rdx"},
    {0x090, 8, "kd.context.rbx"},
    {0x098, 8, "kd.context.rsp"},
    {0x0A0, 8, "kd.context.rbp"},
    {0x0A8, 8, "kd.context.rsi"},
    {0x0B0, 8, "kd.context.rdi"},
    {0x0B8, 8, "kd.context.r8"},
    {0x0D8, 8, "kd.context.r12"},
    {0x0F0, 8, "kd.context.r15"},
    {0x0F8, 8, "kd.context.rip"},
    {0x100, 512, "kd.context.flt_save"},
    {0x100, 2, "kd.context.flt_save.control_word"},
    {0x104, 1, "kd.context.flt_save.tag_word"},
    {0x105, 1, "kd.context.flt_save.reserved1"},
    {0x106, 2, "kd.context.flt_save.error_opcode"},
    {0x108, 4, "kd.context.flt_save.error_offset"},
    {0x10C, 2, "kd.context.flt_save.error_selector"},
    {0x114, 2, "kd.context.flt_save.data_selector"},
    {0x118, 4, "kd.context.flt_save.mx_csr"},
    {0x11C, 4, "kd.context.flt_save.mx_csr_mask"},
    {0x120, 128, "kd.context.flt_save.float_registers"},
    {0x1A0, 256, "kd.context.flt_save.xmm_registers"},
    {0x2A0, 96, "kd.context.flt_save.reserved4"},
    {0x300, 416, "kd.context.vector_register"},
    {0x4A0, 8, "kd.context.vector_control"},
    {0x4A8, 8, "kd.context.debug_control"},
    {0x4B0, 8, "kd.context.last_branch_to_rip"},
    {0x4B8, 8, "kd.context.last_branch_from_rip"},
    {0x4C0, 8, "kd.context.last_exception_to_rip"},
    {0x4C8, 8, "kd.context.last_exception_from_rip"},
};

static const expect arm64_expect[] = {
    {0x000, 4, "kd.context.context_flags"},
    {0x004, 4, "kd.context.cpsr"},
    {0x008, 8, "kd.context.x0"},
    {0x010, 8, "kd.context.x1"},
    {0x018, 8, "kd.context.x2"},
    {0x020, 8, "kd.context.x3"},
    {0x040, 8, "kd.context.x7"},
    {0x048, 8, "kd.context.x8"},
    {0x058, 8, "kd.context.x10"},
    {0x080, 8, "kd.context.x15"},
    {0x088, 8, "kd.context.x16"},
    {0x090, 8, "kd.context.x17"},
    {0x098, 8, "kd.context.x18"},
    {0x0A0, 8, "kd.context.x19"},
    {0x0C0, 8, "kd.context.x23"},
    {0x0D8, 8, "kd.context.x26"},
    {0x0E0, 8, "kd.context.x27"},
    {0x0E8, 8, "kd.context.x28"},
    {0x0F0, 8, "kd.context.fp"},
    {0x0F8, 8, "kd.context.lr"},
    {0x100, 8, "kd.context.sp"},
    {0x108, 8, "kd.context.pc"},
    {0x110, 512, "kd.context.v"},
    {0x310, 4, "kd.context.fpcr"},
    {0x314, 4, "kd.context.fpsr"},
    {0x318, 32, "kd.context.bcr"},
    {0x338, 64, "kd.context.bvr"},
    {0x378, 8, "kd.context.wcr"},
    {0x380, 16, "kd.context.wvr"},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_offsets_x86(void **state)
{
    (void)state;
    check_offsets(KD_ARCH_X86, x86_expect, N(x86_expect));
}

static void test_offsets_amd64(void **state)
{
    (void)state;
    check_offsets(KD_ARCH_AMD64, amd64_expect, N(amd64_expect));
}

static void test_offsets_arm64(void **state)
{
    (void)state;
    check_offsets(KD_ARCH_ARM64, arm64_expect, N(arm64_expect));
}

/* Element shapes the decoder depends on: arrays keep their element count. */
static void test_arrays(void **state)
{
    (void)state;
    static const struct {
        kd_arch a;
        const char *abbrev;
        unsigned size, count;
    } arr[] = {
        {KD_ARCH_AMD64, "kd.context.flt_save.xmm_registers", 16, 16},
        {KD_ARCH_AMD64, "kd.context.flt_save.float_registers", 16, 8},
        {KD_ARCH_AMD64, "kd.context.vector_register", 16, 26},
        {KD_ARCH_ARM64, "kd.context.v", 16, 32},
        {KD_ARCH_ARM64, "kd.context.bcr", 4, 8},
        {KD_ARCH_ARM64, "kd.context.bvr", 8, 8},
        {KD_ARCH_ARM64, "kd.context.wcr", 4, 2},
        {KD_ARCH_ARM64, "kd.context.wvr", 8, 2},
    };
    for (size_t i = 0; i < N(arr); i++) {
        unsigned off, size;
        const kd_member *m = find_member(kd_context_layout(arr[i].a), 0, arr[i].abbrev, &off, &size);
        assert_non_null(m);
        assert_int_equal(m->size, arr[i].size);
        assert_int_equal(m->count, arr[i].count);
    }
}

/* ------------------------------------------------------------ (c) no overlap, inside */

static void check_geometry(const kd_layout *l)
{
    assert_non_null(l->m);
    assert_true(l->n > 0);
    for (unsigned i = 0; i < l->n; i++) {
        const kd_member *a = &l->m[i];
        unsigned a_end = (unsigned)a->offset + (unsigned)a->size * a->count;
        assert_true(a->size > 0);
        assert_true(a->count > 0);
        if (a_end > l->size)
            fail_msg("%s: %s ends at %u, past %u", l->name, kd_fields[a->field].abbrev, a_end,
                     l->size);
        for (unsigned j = i + 1; j < l->n; j++) {
            const kd_member *b = &l->m[j];
            unsigned b_end = (unsigned)b->offset + (unsigned)b->size * b->count;
            if (a->offset < b_end && b->offset < a_end)
                fail_msg("%s: %s and %s overlap", l->name, kd_fields[a->field].abbrev,
                         kd_fields[b->field].abbrev);
        }
        if (a->sub) {
            assert_int_equal(a->count, 1);
            assert_int_equal(a->size, a->sub->size);
            check_geometry(a->sub);
        }
    }
}

static void test_geometry(void **state)
{
    (void)state;
    check_geometry(kd_context_layout(KD_ARCH_X86));
    check_geometry(kd_context_layout(KD_ARCH_AMD64));
    check_geometry(kd_context_layout(KD_ARCH_ARM64));
}

/* The members of the three layouts cover every byte exactly: x86 and ARM64
 * have no padding, AMD64 none either (0x300 follows the 512-byte FltSave). */
static unsigned covered(const kd_layout *l)
{
    unsigned sum = 0;
    for (unsigned i = 0; i < l->n; i++)
        sum += l->m[i].sub ? covered(l->m[i].sub) : (unsigned)l->m[i].size * l->m[i].count;
    return sum;
}

static void test_coverage(void **state)
{
    (void)state;
    assert_int_equal(covered(kd_context_layout(KD_ARCH_X86)), 716);
    assert_int_equal(covered(kd_context_layout(KD_ARCH_AMD64)), 1232);
    assert_int_equal(covered(kd_context_layout(KD_ARCH_ARM64)), 912);
}

/* ------------------------------------------------------------ (d) fields */

static void check_fields(const kd_layout *l, unsigned char *used)
{
    for (unsigned i = 0; i < l->n; i++) {
        const kd_member *m = &l->m[i];
        assert_true(m->field < KD_F__COUNT);
        const kd_field *f = &kd_fields[m->field];
        assert_non_null(f->abbrev);
        assert_non_null(f->label);
        if (strncmp(f->abbrev, "kd.context.", 11) != 0)
            fail_msg("%s does not start with kd.context.", f->abbrev);
        assert_int_equal(kd_field_by_name(f->abbrev), m->field);
        used[m->field] = 1;
        if (m->sub) {
            assert_int_equal(f->type, KD_FT_NONE);
            check_fields(m->sub, used);
            continue;
        }
        /* A value field is at least as wide as its wire member. */
        switch (f->type) {
        case KD_FT_UINT8:  assert_true(m->size <= 1); break;
        case KD_FT_UINT16: assert_true(m->size <= 2); break;
        case KD_FT_UINT32: assert_true(m->size <= 4); break;
        case KD_FT_UINT64: assert_true(m->size <= 8); break;
        case KD_FT_BYTES:  break;
        default: fail_msg("%s: unexpected type %d", f->abbrev, (int)f->type);
        }
    }
}

/* Every field of context.def, so that none is left out of all three layouts. */
#define KD_FIELD(id, abbrev, label, type, base, vals, blurb) KD_F_##id,
#define KD_FLAGS(id, abbrev, label, type, base, vals, blurb) KD_F_##id,
static const int ctx_fields[] = {
#include "kdparse/fields/context.def"
};
#undef KD_FIELD
#undef KD_FLAGS

static void test_fields(void **state)
{
    (void)state;
    static unsigned char used[KD_F__COUNT];
    memset(used, 0, sizeof used);
    check_fields(kd_context_layout(KD_ARCH_X86), used);
    check_fields(kd_context_layout(KD_ARCH_AMD64), used);
    check_fields(kd_context_layout(KD_ARCH_ARM64), used);

    /* The whole-CONTEXT subtree is the first entry and is named kd.context. */
    assert_int_equal(ctx_fields[0], KD_F_CTX);
    assert_string_equal(kd_fields[KD_F_CTX].abbrev, "kd.context");
    assert_int_equal(kd_fields[KD_F_CTX].type, KD_FT_NONE);
    assert_int_equal(kd_field_by_name("kd.context"), KD_F_CTX);
    for (size_t i = 1; i < N(ctx_fields); i++)
        if (!used[ctx_fields[i]])
            fail_msg("%s is in no CONTEXT layout", kd_fields[ctx_fields[i]].abbrev);

    assert_true(kd_fields[KD_F_CTX_CONTEXT_FLAGS].is_bitmask);
    assert_int_equal(kd_fields[KD_F_CTX_RIP].type, KD_FT_UINT64);
    assert_int_equal(kd_fields[KD_F_CTX_DR7].type, KD_FT_UINT64);
    assert_int_equal(kd_fields[KD_F_CTX_SEG_CS].type, KD_FT_UINT32);
}

/* A field appears at most once in each CONTEXT. */
static void count_field(const kd_layout *l, uint16_t field, unsigned *n)
{
    for (unsigned i = 0; i < l->n; i++) {
        if (l->m[i].field == field)
            (*n)++;
        if (l->m[i].sub)
            count_field(l->m[i].sub, field, n);
    }
}

static void test_unique(void **state)
{
    (void)state;
    const kd_arch archs[] = {KD_ARCH_X86, KD_ARCH_AMD64, KD_ARCH_ARM64};
    for (size_t a = 0; a < N(archs); a++)
        for (size_t i = 0; i < N(ctx_fields); i++) {
            unsigned n = 0;
            count_field(kd_context_layout(archs[a]), (uint16_t)ctx_fields[i], &n);
            assert_true(n <= 1);
        }
}

/* ------------------------------------------------------------ (e) other architectures */

static void test_no_layout(void **state)
{
    (void)state;
    assert_null(kd_context_layout(KD_ARCH_UNKNOWN));
    assert_null(kd_context_layout(KD_ARCH_ARM));
    assert_null(kd_context_layout(KD_ARCH_IA64));
    assert_null(kd_context_layout(KD_ARCH_ALPHA));
    assert_null(kd_context_layout((kd_arch)99));
}

/* ------------------------------------------------------------ ContextFlags tables */

static void test_flag_tables(void **state)
{
    (void)state;
    /* §1.9 */
    assert_string_equal(kd_val_name(kd_vals_x86_context_flags, 0x00010000), "CONTEXT_i386");
    assert_string_equal(kd_val_name(kd_vals_x86_context_flags, 0x00010001), "CONTEXT_CONTROL");
    assert_string_equal(kd_val_name(kd_vals_x86_context_flags, 0x00010020),
                        "CONTEXT_EXTENDED_REGISTERS");
    assert_string_equal(kd_val_name(kd_vals_amd64_context_flags, 0x00100000), "CONTEXT_AMD64");
    assert_string_equal(kd_val_name(kd_vals_amd64_context_flags, 0x00100010),
                        "CONTEXT_DEBUG_REGISTERS");
    assert_string_equal(kd_val_name(kd_vals_amd64_context_flags, 0x80000000),
                        "CONTEXT_EXCEPTION_REPORTING");
    assert_string_equal(kd_val_name(kd_vals_arm64_context_flags, 0x00400000), "CONTEXT_ARM64");
    assert_string_equal(kd_val_name(kd_vals_arm64_context_flags, 0x00400010), "CONTEXT_ARM64_X18");
    assert_null(kd_val_name(kd_vals_x86_context_flags, 0x00100001));

    /* Each table ends with {0, NULL}, and every non-terminal entry has a name. */
    const kd_val *t[] = {kd_vals_x86_context_flags, kd_vals_amd64_context_flags,
                         kd_vals_arm64_context_flags};
    const size_t len[] = {8, 11, 6};
    for (size_t i = 0; i < N(t); i++) {
        size_t n = 0;
        while (t[i][n].name)
            n++;
        assert_int_equal(n, len[i]);
        assert_int_equal(t[i][n].value, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_offsets_x86),
        cmocka_unit_test(test_offsets_amd64),
        cmocka_unit_test(test_offsets_arm64),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_geometry),
        cmocka_unit_test(test_coverage),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_unique),
        cmocka_unit_test(test_no_layout),
        cmocka_unit_test(test_flag_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
