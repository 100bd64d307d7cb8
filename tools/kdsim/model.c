/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsim/model.c - the simulated target's machine state and its answers
 * (model.h).  Every message is a field list for the encoder; requests are
 * read through the decoder's nodes.  The only byte offsets written here are
 * those of memory content (PE headers, the debugger data block, loader
 * entries, KPCR), which are Windows facts, not wire layouts; CONTEXT members
 * are found through kd_context_layout().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdparse/wire.h"
#include "model.h"

/* ------------------------------------------------------------ constants */


/* §1.3 */
#define NS_EXCEPTION 0x3030u
#define NS_LOAD_SYMBOLS 0x3031u
/* §1.5 */
#define IO_PRINT_STRING 0x3230u
#define IO_GET_STRING 0x3231u

#define MANUALLY_INITIATED_CRASH 0xE2u
#define DBG_STATUS_CONTROL_C 1u

#define PG 4096u
#define PG_MASK ((uint64_t)PG - 1)
/* Pages a space may hold: a fill over all of RAM fails instead of eating memory. */
#define MAX_PAGES 8192u
#define MAX_BPS 32u
#define MAX_MSRS 16u
#define CTX_MAX 1232u
#define KSPECIAL_MAX 0xF0u
#define ANSWER_MAX 128u

/* ------------------------------------------------------------ sparse memory */

typedef struct mpage {
    uint64_t addr; /* page-aligned */
    uint8_t *bytes;
} mpage;

typedef struct mspace {
    mpage *p; /* sorted by addr */
    size_t n, cap;
} mspace;

/* Index of the first page with addr >= a. */
static size_t space_lower(const mspace *s, uint64_t a)
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

static uint8_t *space_page(mspace *s, uint64_t page, int create)
{
    size_t i = space_lower(s, page);
    if (i < s->n && s->p[i].addr == page)
        return s->p[i].bytes;
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
    uint8_t *b = calloc(1, PG);
    if (!b)
        return NULL;
    memmove(&s->p[i + 1], &s->p[i], (s->n - i) * sizeof *s->p);
    s->p[i].addr = page;
    s->p[i].bytes = b;
    s->n++;
    return b;
}

static void space_free(mspace *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->p[i].bytes);
    free(s->p);
    memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------ the model */

typedef struct region {
    uint64_t base, size;
} region;

typedef struct bpoint {
    uint64_t addr;
    uint8_t orig[4];
    uint8_t used;
} bpoint;

typedef struct msr_ent {
    uint32_t msr;
    uint64_t value;
} msr_ent;

enum stop_kind { STOP_EXCEPTION, STOP_LOAD_SYMBOLS };

typedef struct stop_info {
    int kind;
    uint32_t code;   /* exception code */
    uint64_t pc;     /* model address */
    uint32_t nparams;
    unsigned module; /* LoadSymbols: 0 ntoskrnl, 1 hal */
} stop_info;

/* Pending events while RUNNING (in this order). */
enum pending_bit {
    P_STEP = 1u << 0,
    P_PRINT = 1u << 1,
    P_BUGCHECK_PRINT = 1u << 2,
    P_BUGCHECK_STOP = 1u << 3,
    P_ANSWER = 1u << 4,
    P_BP = 1u << 5,
    P_PROMPT = 1u << 6
};

struct kdsim_model {
    kdsim_model_opts o; /* normalized */
    kd_arch arch;
    uint8_t width;      /* 32 or 64 */
    unsigned psz;       /* native pointer size */
    uint64_t amask;     /* address mask: 32 bits on x86 */
    uint64_t kern, image_size, hal, pool, stack, kphys, ram_base;
    uint64_t thread, kpcr, kprcb;
    region vreg[4];
    mspace vmem, pmem;

    const kd_layout *ctx_layout;
    size_t ctx_size;
    uint8_t ctx[CTX_MAX];
    uint8_t kspecial[KSPECIAL_MAX];
    size_t kspecial_size;
    msr_ent msr[MAX_MSRS];
    size_t nmsr;
    bpoint bp[MAX_BPS];

    uint64_t rng;
    uint32_t nt_stamp, nt_sum, hal_stamp, hal_sum;
    size_t max_read;     /* §3.7 item 5: 3944 */
    size_t sc32_ctx_off; /* where the CONTEXT sits in a type-1 state change's data */

    kdsim_run_state run;
    unsigned boot_stage; /* boot events already reported (3 = done) */
    stop_info stop;
    int context_sent;    /* KdpContextSent */
    int rereport;        /* SwitchProcessor: report the stop again */
    int break_pending;
    int bugchecked;
    unsigned pending;
    unsigned resumes;
    uint8_t answer[ANSWER_MAX];
    size_t answer_len;
};

static const char *const module_path[2] = {"\\SystemRoot\\system32\\ntoskrnl.exe",
                                           "\\SystemRoot\\system32\\hal.dll"};
static const char *const module_name[2] = {"ntoskrnl.exe", "hal.dll"};

static uint64_t rnd(kdsim_model *m)
{
    /* splitmix64 */
    uint64_t z = (m->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A debugger's address as the model keeps it. */
static uint64_t va(const kdsim_model *m, uint64_t a)
{
    return a & m->amask;
}

/* A model address as the target reports it in a 64-bit field (§3.7). */
static uint64_t ext(const kdsim_model *m, uint64_t a)
{
    if (m->arch == KD_ARCH_X86)
        return (uint64_t)(int64_t)(int32_t)(uint32_t)a;
    return a;
}

static int vmapped(const kdsim_model *m, uint64_t a)
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
        if (!vmapped(m, a))
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
        uint8_t *page = space_page(s, key & ~PG_MASK, wr != NULL);
        size_t off = (size_t)(key & PG_MASK);
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

static size_t mem_read(kdsim_model *m, int phys, uint64_t a, void *buf, size_t len)
{
    return mem_xfer(m, phys, a, buf, NULL, len);
}

static size_t mem_write(kdsim_model *m, int phys, uint64_t a, const void *buf, size_t len)
{
    return mem_xfer(m, phys, a, NULL, buf, len);
}

/* Seeding helpers (model addresses; failures cannot happen inside regions). */
static void put_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void poke(kdsim_model *m, uint64_t a, uint64_t v, size_t n)
{
    uint8_t b[8];
    put_le(b, v, n);
    mem_write(m, 0, a, b, n);
}

/* A pointer of the native size. */
static void poke_ptr(kdsim_model *m, uint64_t a, uint64_t v)
{
    poke(m, a, v, m->psz);
}

/* ------------------------------------------------------------ CONTEXT */

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

static int ctx_loc(const kdsim_model *m, kd_field_id f, size_t *off, size_t *size)
{
    return layout_find(m->ctx_layout, f, 0, off, size);
}

static void ctx_set(kdsim_model *m, kd_field_id f, uint64_t v)
{
    size_t off, size;
    if (ctx_loc(m, f, &off, &size) && size <= 8 && off + size <= m->ctx_size)
        put_le(m->ctx + off, v, size);
}

static uint64_t ctx_get(const kdsim_model *m, kd_field_id f)
{
    size_t off, size;
    if (ctx_loc(m, f, &off, &size) && size <= 8 && off + size <= m->ctx_size)
        return get_le(m->ctx + off, size);
    return 0;
}

static kd_field_id f_pc(const kdsim_model *m)
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
static kd_field_id f_arg(const kdsim_model *m)
{
    return m->arch == KD_ARCH_X86 ? KD_F_CTX_EAX : m->arch == KD_ARCH_AMD64 ? KD_F_CTX_RCX : KD_F_CTX_X0;
}

static uint64_t ctx_pc(const kdsim_model *m)
{
    return va(m, ctx_get(m, f_pc(m)));
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
static void ctx_redraw(kdsim_model *m)
{
    static const kd_field_id x86[] = {KD_F_CTX_EAX, KD_F_CTX_EBX, KD_F_CTX_ECX,
                                      KD_F_CTX_EDX, KD_F_CTX_ESI, KD_F_CTX_EDI};
    static const kd_field_id amd64[] = {KD_F_CTX_RAX, KD_F_CTX_RBX, KD_F_CTX_RCX, KD_F_CTX_RDX,
                                        KD_F_CTX_RSI, KD_F_CTX_RDI, KD_F_CTX_R8,  KD_F_CTX_R9,
                                        KD_F_CTX_R10, KD_F_CTX_R11, KD_F_CTX_R12, KD_F_CTX_R13,
                                        KD_F_CTX_R14, KD_F_CTX_R15};
    if (m->arch == KD_ARCH_X86) {
        for (size_t i = 0; i < sizeof x86 / sizeof x86[0]; i++)
            ctx_set(m, x86[i], reg_value(m));
    } else if (m->arch == KD_ARCH_AMD64) {
        for (size_t i = 0; i < sizeof amd64 / sizeof amd64[0]; i++)
            ctx_set(m, amd64[i], reg_value(m));
    } else {
        for (int f = KD_F_CTX_X0; f <= KD_F_CTX_X28; f++)
            ctx_set(m, (kd_field_id)f, reg_value(m));
    }
}

static void ctx_init(kdsim_model *m)
{
    memset(m->ctx, 0, sizeof m->ctx);
    uint64_t sp = m->stack + KDSIM_STACK_SIZE - 0x200;
    uint64_t ret = m->kern + KDSIM_RVA_CODE + 0x40; /* where the stopped code returns to */
    size_t off, size;
    switch (m->arch) {
    case KD_ARCH_X86:
        ctx_set(m, KD_F_CTX_CONTEXT_FLAGS, 0x0001003F); /* CONTEXT_ALL (§1.9) */
        ctx_set(m, KD_F_CTX_SEG_GS, 0x00);
        ctx_set(m, KD_F_CTX_SEG_FS, 0x30);
        ctx_set(m, KD_F_CTX_SEG_ES, 0x23);
        ctx_set(m, KD_F_CTX_SEG_DS, 0x23);
        ctx_set(m, KD_F_CTX_SEG_CS, 0x08);
        ctx_set(m, KD_F_CTX_SEG_SS, 0x10);
        ctx_set(m, KD_F_CTX_EFLAGS, 0x246);
        ctx_set(m, KD_F_CTX_FLOAT_SAVE_CONTROL_WORD, 0xFFFF027F);
        ctx_set(m, KD_F_CTX_FLOAT_SAVE_TAG_WORD, 0xFFFFFFFF);
        if (ctx_loc(m, KD_F_CTX_EXTENDED_REGISTERS, &off, &size) && size >= 32) {
            put_le(m->ctx + off, 0x027F, 2);      /* FXSAVE: FCW */
            put_le(m->ctx + off + 24, 0x1F80, 4); /* FXSAVE: MXCSR */
        }
        break;
    case KD_ARCH_AMD64:
        ctx_set(m, KD_F_CTX_CONTEXT_FLAGS, 0x0010001F); /* CONTROL|INTEGER|SEGMENTS|FLOATING_POINT|DEBUG */
        ctx_set(m, KD_F_CTX_MX_CSR, 0x1F80);
        ctx_set(m, KD_F_CTX_SEG_CS, 0x10);
        ctx_set(m, KD_F_CTX_SEG_DS, 0x2B);
        ctx_set(m, KD_F_CTX_SEG_ES, 0x2B);
        ctx_set(m, KD_F_CTX_SEG_FS, 0x53);
        ctx_set(m, KD_F_CTX_SEG_GS, 0x2B);
        ctx_set(m, KD_F_CTX_SEG_SS, 0x18);
        ctx_set(m, KD_F_CTX_EFLAGS, 0x246);
        ctx_set(m, KD_F_CTX_FLT_SAVE_CONTROL_WORD, 0x027F);
        ctx_set(m, KD_F_CTX_FLT_SAVE_MX_CSR, 0x1F80);
        ctx_set(m, KD_F_CTX_FLT_SAVE_MX_CSR_MASK, 0xFFFF);
        break;
    default:
        ctx_set(m, KD_F_CTX_CONTEXT_FLAGS, 0x0040000F); /* CONTROL|INTEGER|FLOATING_POINT|DEBUG */
        ctx_set(m, KD_F_CTX_CPSR, 0x00000005);           /* EL1h */
        ctx_set(m, KD_F_CTX_LR, ret);
        break;
    }
    ctx_set(m, f_sp(m), ext(m, sp));
    ctx_set(m, f_fp(m), ext(m, sp + 0x80));
    ctx_set(m, f_pc(m), ext(m, m->kern + KDSIM_RVA_BREAK_WITH_STATUS));
    ctx_redraw(m);
}

/* ------------------------------------------------------------ memory content */

/* A minimal PE image header at base. */
static void write_pe(kdsim_model *m, uint64_t base, uint32_t size, uint32_t stamp, uint32_t sum, int dll)
{
    const int pe32plus = m->psz == 8;
    const uint16_t machine = m->arch == KD_ARCH_X86 ? 0x014C : m->arch == KD_ARCH_AMD64 ? 0x8664 : 0xAA64;
    const uint64_t nt = base + 0x100; /* e_lfanew */
    static const char stub[] = "This program cannot be run in DOS mode.\r\r\n$";
    mem_write(m, 0, base, "MZ", 2);
    poke(m, base + 0x3C, 0x100, 4);
    mem_write(m, 0, base + 0x4E, stub, sizeof stub - 1);
    mem_write(m, 0, nt, "PE\0\0", 4);
    const uint64_t fh = nt + 4; /* IMAGE_FILE_HEADER */
    const uint16_t opt_size = pe32plus ? 0xF0 : 0xE0;
    poke(m, fh + 0, machine, 2);
    poke(m, fh + 2, 2, 2); /* NumberOfSections */
    poke(m, fh + 4, stamp, 4);
    poke(m, fh + 16, opt_size, 2);
    poke(m, fh + 18, (pe32plus ? 0x0022 : 0x0102) | (dll ? 0x2000 : 0), 2);
    const uint64_t oh = fh + 20; /* IMAGE_OPTIONAL_HEADER(64) */
    poke(m, oh + 0, pe32plus ? 0x20B : 0x10B, 2);
    poke(m, oh + 16, 0x1010, 4); /* AddressOfEntryPoint */
    poke(m, oh + 20, 0x1000, 4); /* BaseOfCode */
    if (pe32plus)
        poke(m, oh + 24, base, 8);
    else
        poke(m, oh + 28, base, 4);
    poke(m, oh + 32, 0x1000, 4); /* SectionAlignment */
    poke(m, oh + 36, 0x200, 4);  /* FileAlignment */
    poke(m, oh + 40, 10, 2);     /* MajorOperatingSystemVersion */
    poke(m, oh + 48, 10, 2);     /* MajorSubsystemVersion */
    poke(m, oh + 56, size, 4);   /* SizeOfImage */
    poke(m, oh + 60, 0x400, 4);  /* SizeOfHeaders */
    poke(m, oh + 64, sum, 4);    /* CheckSum */
    poke(m, oh + 68, 1, 2);      /* Subsystem: native */
    poke(m, oh + (pe32plus ? 108 : 92), 16, 4); /* NumberOfRvaAndSizes */
    /* Section headers: .text and .data. */
    const uint64_t sh = oh + opt_size;
    const struct {
        const char *name;
        uint32_t rva, vsize, flags;
    } sec[2] = {{".text", 0x1000, 0x2FF000, 0x68000020}, {".data", 0x300000, 0x10000, 0xC8000040}};
    for (int i = 0; i < 2; i++) {
        uint64_t s = sh + 40u * (unsigned)i;
        uint32_t vsize = sec[i].rva + sec[i].vsize <= size ? sec[i].vsize : 0x1000;
        uint32_t rva = sec[i].rva + sec[i].vsize <= size ? sec[i].rva : 0x1000u * (unsigned)(i + 1);
        mem_write(m, 0, s, sec[i].name, strlen(sec[i].name));
        poke(m, s + 8, vsize, 4);
        poke(m, s + 12, rva, 4);
        poke(m, s + 16, vsize, 4);
        poke(m, s + 20, rva, 4);
        poke(m, s + 36, sec[i].flags, 4);
    }
}

/* A UNICODE_STRING at a (native layout) for the UTF-16 copy of s at buf. */
static void write_ustr(kdsim_model *m, uint64_t a, uint64_t buf, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i <= n; i++)
        poke(m, buf + 2 * i, (uint8_t)s[i], 2);
    poke(m, a, 2 * n, 2);           /* Length */
    poke(m, a + 2, 2 * n + 2, 2);   /* MaximumLength */
    poke_ptr(m, a + m->psz, ext(m, buf)); /* Buffer */
}

/* KLDR_DATA_TABLE_ENTRY, simplified (offsets in pointer units, model.h). */
static void write_ldr(kdsim_model *m, uint64_t e, uint64_t flink, uint64_t blink, unsigned mod,
                      uint64_t strings)
{
    const uint64_t p = m->psz;
    const uint64_t base = mod ? m->hal : m->kern;
    const uint32_t size = mod ? KDSIM_HAL_SIZE : (uint32_t)m->image_size;
    poke_ptr(m, e, flink);
    poke_ptr(m, e + p, blink);
    poke_ptr(m, e + 6 * p, ext(m, base));            /* DllBase */
    poke_ptr(m, e + 7 * p, ext(m, base + 0x1010));   /* EntryPoint */
    poke(m, e + 8 * p, size, 4);             /* SizeOfImage */
    write_ustr(m, e + 9 * p, strings, module_path[mod]);           /* FullDllName */
    write_ustr(m, e + 11 * p, strings + 0x80, module_name[mod]);   /* BaseDllName */
    poke(m, e + 13 * p, 0x09104000, 4);     /* Flags */
    poke(m, e + 13 * p + 4, 1, 2);          /* LoadCount */
}

static void write_kdbg(kdsim_model *m)
{
    /* KDDEBUGGER_DATA64, or KDDEBUGGER_DATA32 with the 32-bit protocol: the
     * same members with 4-byte pointers. */
    const uint64_t w = m->o.protocol32 ? 4 : 8;
    const uint64_t head = m->kern + KDSIM_RVA_DATA_LIST_HEAD, b = m->kern + KDSIM_RVA_KDBG;
    const uint64_t wmask = w == 4 ? 0xFFFFFFFFu : ~(uint64_t)0;
#define PTR(x) (ext(m, (x)) & wmask)
    poke_ptr(m, head, b); /* KdpDebuggerDataListHead: LIST_ENTRY (native) */
    poke_ptr(m, head + m->psz, b);
    poke(m, b, PTR(head), w); /* Header.List */
    poke(m, b + w, PTR(head), w);
    mem_write(m, 0, b + 2 * w, "KDBG", 4); /* OwnerTag 'KDBG' = 0x4742444B */
    poke(m, b + 2 * w + 4, w == 8 ? 0x340 : 0x100, 4); /* Size */
    uint64_t a = b + 2 * w + 8;
    poke(m, a, PTR(m->kern), w);                                      /* KernBase */
    poke(m, a + w, PTR(m->kern + KDSIM_RVA_BREAK_WITH_STATUS), w);    /* BreakpointWithStatus */
    /* SavedContext 0, ThCallbackStack / NextCallback / FramePointer / PaeEnabled 0 */
    a += 3 * w + 8;
    poke(m, a, PTR(m->kern + KDSIM_RVA_SYSCALL + 0x80), w);           /* KiCallUserMode */
    poke(m, a + w, 0, w);                                             /* KeUserCallbackDispatcher */
    poke(m, a + 2 * w, PTR(m->kern + KDSIM_RVA_MODULE_LIST), w);      /* PsLoadedModuleList */
    poke(m, a + 3 * w, PTR(m->kern + KDSIM_RVA_PROCESS_LIST), w);     /* PsActiveProcessHead */
#undef PTR
}

static void write_code(kdsim_model *m)
{
    static const uint8_t nop[4] = {0x1F, 0x20, 0x03, 0xD5}; /* ARM64 NOP */
    static const uint8_t brk_ret[8] = {0x00, 0x00, 0x3E, 0xD4, 0xC0, 0x03, 0x5F, 0xD6}; /* BRK #0xF000; RET */
    uint8_t page[PG];
    if (m->arch == KD_ARCH_ARM64)
        for (unsigned i = 0; i < PG; i += 4)
            memcpy(page + i, nop, 4);
    else
        memset(page, 0x90, PG);
    for (uint64_t rva = 0x1000; rva < 0x4000; rva += PG)
        mem_write(m, 0, m->kern + rva, page, PG);
    if (m->arch == KD_ARCH_ARM64) {
        mem_write(m, 0, m->kern + KDSIM_RVA_BREAK_WITH_STATUS, brk_ret, 8);
        mem_write(m, 0, m->kern + KDSIM_RVA_DEBUG_SERVICE, brk_ret, 8);
        mem_write(m, 0, m->kern + KDSIM_RVA_BUGCHECK, brk_ret, 8);
        mem_write(m, 0, m->kern + 0x3FFC, brk_ret + 4, 4);
        return;
    }
    static const uint8_t brk[2] = {0xCC, 0xC3};              /* int3; ret */
    static const uint8_t svc[4] = {0xCD, 0x2D, 0xCC, 0xC3};  /* int 2Dh; int3; ret */
    static const uint8_t sys64[12] = {0x0F, 0x01, 0xF8, 0x65, 0x48, 0x89, 0x24, 0x25,
                                      0x10, 0x00, 0x00, 0x00}; /* swapgs; mov gs:[10h], rsp */
    static const uint8_t sys32[5] = {0xB9, 0x23, 0x00, 0x00, 0x00}; /* mov ecx, 23h */
    mem_write(m, 0, m->kern + KDSIM_RVA_BREAK_WITH_STATUS, brk, 2);
    mem_write(m, 0, m->kern + KDSIM_RVA_DEBUG_SERVICE, svc, 4);
    mem_write(m, 0, m->kern + KDSIM_RVA_BUGCHECK, brk, 2);
    if (m->arch == KD_ARCH_AMD64)
        mem_write(m, 0, m->kern + KDSIM_RVA_SYSCALL, sys64, sizeof sys64);
    else
        mem_write(m, 0, m->kern + KDSIM_RVA_SYSCALL, sys32, sizeof sys32);
    poke(m, m->kern + 0x3FFF, 0xC3, 1); /* the NOP sled ends with ret */
}

static void write_structures(kdsim_model *m)
{
    const uint64_t p = m->psz;
    /* PsLoadedModuleList: head <-> nt <-> hal <-> head (native LIST_ENTRYs). */
    const uint64_t head = m->kern + KDSIM_RVA_MODULE_LIST;
    const uint64_t e_nt = m->pool + 0x100, e_hal = m->pool + 0x200;
    poke_ptr(m, head, ext(m, e_nt));
    poke_ptr(m, head + p, ext(m, e_hal));
    write_ldr(m, e_nt, ext(m, e_hal), ext(m, head), 0, m->pool + 0x1000);
    write_ldr(m, e_hal, ext(m, head), ext(m, e_nt), 1, m->pool + 0x1100);
    /* PsActiveProcessHead: empty. */
    const uint64_t ph = m->kern + KDSIM_RVA_PROCESS_LIST;
    poke_ptr(m, ph, ext(m, ph));
    poke_ptr(m, ph + p, ext(m, ph));
    /* KPCR (Self / SelfPcr, Prcb pointer) and Prcb.CurrentThread. */
    if (m->arch == KD_ARCH_X86) {
        poke_ptr(m, m->kpcr + 0x1C, m->kpcr);
        poke_ptr(m, m->kpcr + 0x20, m->kprcb);
        poke_ptr(m, m->kprcb + 4, m->thread);
    } else {
        poke_ptr(m, m->kpcr + 0x18, m->kpcr);
        poke_ptr(m, m->kpcr + 0x20, m->kprcb);
        poke_ptr(m, m->kprcb + 8, m->thread);
    }
    /* The stack: a return address at the stack pointer. */
    uint64_t sp = m->stack + KDSIM_STACK_SIZE - 0x200;
    poke_ptr(m, sp, ext(m, m->kern + KDSIM_RVA_CODE + 0x40));
    write_kdbg(m);
}

static void init_special(kdsim_model *m)
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

/* Everything the target is at power-on (new and Reboot). */
static int model_reset(kdsim_model *m)
{
    space_free(&m->vmem);
    space_free(&m->pmem);
    memset(m->bp, 0, sizeof m->bp);
    m->rng = m->o.seed;
    m->nt_stamp = 0x5F000000u | (uint32_t)(rnd(m) & 0x00FFFFFFu);
    m->nt_sum = 0x00900000u | (uint32_t)(rnd(m) & 0x000FFFFFu);
    m->hal_stamp = 0x5F000000u | (uint32_t)(rnd(m) & 0x00FFFFFFu);
    m->hal_sum = 0x00070000u | (uint32_t)(rnd(m) & 0x0000FFFFu);

    write_pe(m, m->kern, (uint32_t)m->image_size, m->nt_stamp, m->nt_sum, 0);
    write_pe(m, m->hal, KDSIM_HAL_SIZE, m->hal_stamp, m->hal_sum, 1);
    write_code(m);
    write_structures(m);
    init_special(m);
    ctx_init(m);

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
    return mem_read(m, 0, m->kern, mz, 2) == 2 && mz[0] == 'M' && m->vmem.n > 0 ? 0 : -1;
}

/* ------------------------------------------------------------ messages */

static void msg_init(const kdsim_model *m, kdsim_msg *o, uint16_t type, uint32_t api)
{
    memset(&o->msg, 0, sizeof o->msg);
    o->msg.type = type;
    o->msg.api = api;
    o->msg.dir = KD_DIR_T2D;
    o->msg.arch = m->arch;
    o->msg.width = m->width;
    o->msg.fields = o->fields;
    o->msg.n_fields = 0;
    o->msg.data = o->data;
    o->msg.data_len = 0;
    memset(o->instr_stream, 0, sizeof o->instr_stream);
    o->instr_len = 0;
}

static void f_add(kdsim_msg *o, kd_field_id f, uint64_t v)
{
    if (o->msg.n_fields < KDSIM_MSG_MAX_FIELDS) {
        o->fields[o->msg.n_fields].field = f;
        o->fields[o->msg.n_fields].value = v;
        o->msg.n_fields++;
    }
}

/* Sets the first slot of f (replacing an echoed value). */
static void f_set(kdsim_msg *o, kd_field_id f, uint64_t v)
{
    for (size_t i = 0; i < o->msg.n_fields; i++)
        if (o->fields[i].field == f) {
            o->fields[i].value = v;
            return;
        }
    f_add(o, f, v);
}

/* Appends bytes to the data (clipped to what fits in a packet). */
static void d_put(kdsim_msg *o, const void *p, size_t n)
{
    size_t room = KDSIM_MSG_MAX_DATA - o->msg.data_len;
    if (n > room)
        n = room;
    if (n) {
        if (p)
            memcpy(o->data + o->msg.data_len, p, n);
        else
            memset(o->data + o->msg.data_len, 0, n);
    }
    o->msg.data_len += n;
}

static uint16_t processor_level(const kdsim_model *m)
{
    return m->arch == KD_ARCH_ARM64 ? 8 : 6;
}

/* Up to 16 bytes of code at pc with breakpoints removed (§3.7 item 1). */
static size_t instruction_stream(kdsim_model *m, uint64_t pc, uint8_t *out)
{
    size_t n = mem_read(m, 0, pc, out, 16);
    for (size_t i = 0; i < MAX_BPS; i++) {
        const bpoint *b = &m->bp[i];
        if (!b->used)
            continue;
        size_t blen = m->arch == KD_ARCH_ARM64 ? 4 : 1;
        for (size_t k = 0; k < blen; k++) {
            uint64_t d = va(m, b->addr + k - pc);
            if (d < n)
                out[d] = b->orig[k];
        }
    }
    return n;
}

static void control_report(kdsim_model *m, kdsim_msg *o)
{
    uint8_t stream[16];
    size_t n = instruction_stream(m, m->stop.pc, stream);
    memcpy(o->instr_stream, stream, n);
    o->instr_len = (uint8_t)n;
    if (m->arch == KD_ARCH_ARM64) {
        f_add(o, KD_F_CR_BVR, 0);
        f_add(o, KD_F_CR_WVR, 0);
        f_add(o, KD_F_CR_INSTRUCTION_COUNT, n);
        return;
    }
    uint64_t cs = ctx_get(m, KD_F_CTX_SEG_CS);
    uint16_t flags = 0x0001; /* REPORT_INCLUDES_SEGS */
    if (cs == (m->arch == KD_ARCH_X86 ? 0x08u : 0x10u))
        flags |= 0x0002;     /* REPORT_STANDARD_CS */
    f_add(o, KD_F_CR_DR6, ctx_get(m, KD_F_CTX_DR6));
    f_add(o, KD_F_CR_DR7, ctx_get(m, KD_F_CTX_DR7));
    f_add(o, KD_F_CR_EFLAGS, ctx_get(m, KD_F_CTX_EFLAGS));
    f_add(o, KD_F_CR_INSTRUCTION_COUNT, n);
    f_add(o, KD_F_CR_REPORT_FLAGS, flags);
    f_add(o, KD_F_CR_SEG_CS, cs);
    f_add(o, KD_F_CR_SEG_DS, ctx_get(m, KD_F_CTX_SEG_DS));
    f_add(o, KD_F_CR_SEG_ES, ctx_get(m, KD_F_CTX_SEG_ES));
    f_add(o, KD_F_CR_SEG_FS, ctx_get(m, KD_F_CTX_SEG_FS));
}

/* The state change for the current stop (§3.7 items 1-2, §3.8). */
static void build_state_change(kdsim_model *m, kdsim_msg *o)
{
    const stop_info *s = &m->stop;
    const int sc32 = m->o.protocol32;
    const int ls = s->kind == STOP_LOAD_SYMBOLS;
    msg_init(m, o, sc32 ? KD_TYPE_STATE_CHANGE32 : KD_TYPE_STATE_CHANGE64, ls ? NS_LOAD_SYMBOLS : NS_EXCEPTION);
    const uint64_t pc = ext(m, s->pc);
    f_add(o, KD_F_STATE_PROCESSOR_LEVEL, processor_level(m));
    f_add(o, KD_F_STATE_PROCESSOR, 0);
    f_add(o, KD_F_STATE_NUMBER_PROCESSORS, 1);
    f_add(o, KD_F_STATE_THREAD, ext(m, m->thread));
    f_add(o, KD_F_STATE_PROGRAM_COUNTER, pc);
    const char *path = NULL;
    if (ls) {
        path = module_path[s->module];
        f_add(o, KD_F_LS_PATH_NAME_LENGTH, strlen(path) + 1);
        f_add(o, KD_F_LS_BASE_OF_DLL, ext(m, s->module ? m->hal : m->kern));
        f_add(o, KD_F_LS_PROCESS_ID, 0);
        f_add(o, KD_F_LS_CHECK_SUM, s->module ? m->hal_sum : m->nt_sum);
        f_add(o, KD_F_LS_SIZE_OF_IMAGE, s->module ? KDSIM_HAL_SIZE : m->image_size);
        f_add(o, KD_F_LS_UNLOAD_SYMBOLS, 0);
    } else {
        f_add(o, KD_F_EXCEPTION_CODE, s->code);
        f_add(o, KD_F_EXCEPTION_FLAGS, 0);
        f_add(o, KD_F_EXCEPTION_RECORD, 0);
        f_add(o, KD_F_EXCEPTION_ADDRESS, pc);
        f_add(o, KD_F_EXCEPTION_NUMBER_PARAMETERS, s->nparams);
        for (uint32_t i = 0; i < s->nparams; i++)
            f_add(o, KD_F_EXCEPTION_INFORMATION, 0); /* BREAKPOINT_BREAK */
        f_add(o, KD_F_EXCEPTION_FIRST_CHANCE, 1);
    }
    control_report(m, o);
    if (sc32) {
        /* Control report (placed by the encoder), then the whole CONTEXT. */
        d_put(o, NULL, m->sc32_ctx_off);
        d_put(o, m->ctx, m->ctx_size);
        if (path)
            d_put(o, path, strlen(path) + 1);
    } else if (path) {
        d_put(o, path, strlen(path) + 1);
    } else {
        uint8_t trace[4];
        put_le(trace, 1, 4); /* ReactOS: one ULONG of trace data */
        d_put(o, trace, 4);
    }
}

/* The target stops: registers change, KdpContextSent is cleared. */
static void do_stop(kdsim_model *m, int kind, uint32_t code, uint64_t pc, uint32_t nparams, unsigned module)
{
    m->stop.kind = kind;
    m->stop.code = code;
    m->stop.pc = va(m, pc);
    m->stop.nparams = nparams;
    m->stop.module = module;
    m->run = KDSIM_STOPPED;
    m->context_sent = 0;
    m->rereport = 0;
    m->break_pending = 0;
    m->pending = 0;
    ctx_redraw(m);
    ctx_set(m, f_pc(m), ext(m, m->stop.pc));
    if (m->arch != KD_ARCH_ARM64) {
        uint64_t fl = ctx_get(m, KD_F_CTX_EFLAGS);
        ctx_set(m, KD_F_CTX_EFLAGS, fl & ~(uint64_t)0x100); /* TF */
    }
}

static void debug_print(kdsim_model *m, kdsim_msg *o, const char *text)
{
    size_t n = strlen(text);
    if (n > KD_PACKET_MAX_SIZE - kd_body_header_size(KD_TYPE_DEBUG_IO, 64))
        n = KD_PACKET_MAX_SIZE - kd_body_header_size(KD_TYPE_DEBUG_IO, 64); /* §3.7 item 9 */
    msg_init(m, o, KD_TYPE_DEBUG_IO, IO_PRINT_STRING);
    f_add(o, KD_F_DIO_PROCESSOR_LEVEL, processor_level(m));
    f_add(o, KD_F_DIO_PROCESSOR, 0);
    f_add(o, KD_F_DIO_LENGTH_OF_STRING, n);
    d_put(o, text, n);
}

static void debug_prompt(kdsim_model *m, kdsim_msg *o, const char *text)
{
    size_t n = strlen(text);
    msg_init(m, o, KD_TYPE_DEBUG_IO, IO_GET_STRING);
    f_add(o, KD_F_DIO_PROCESSOR_LEVEL, processor_level(m));
    f_add(o, KD_F_DIO_PROCESSOR, 0);
    f_add(o, KD_F_DIO_LENGTH_OF_PROMPT_STRING, n);
    f_add(o, KD_F_DIO_LENGTH_OF_STRING_READ, ANSWER_MAX);
    d_put(o, text, n);
}

/* Where the CONTEXT goes in a type-1 state change's data: found by encoding
 * one and asking the decoder. */
static int probe_sc32(kdsim_model *m)
{
    kdsim_msg *o = malloc(sizeof *o);
    uint8_t *buf = malloc(KD_ITEM_MAX_BYTES);
    kd_msg *d = malloc(sizeof *d);
    int rc = -1;
    if (o && buf && d) {
        msg_init(m, o, KD_TYPE_STATE_CHANGE32, NS_EXCEPTION);
        d_put(o, NULL, 2048);
        long n = kd_encode(&o->msg, KD_TRANSPORT_SERIAL, buf, KD_ITEM_MAX_BYTES);
        if (n > 0) {
            kd_item it = kd_item_from_bytes(buf, (size_t)n, KD_ITEM_DATA, 0, KD_DIR_T2D);
            kd_decode_opts opts = {.arch = KD_ARCH_X86, .width = 32};
            kd_decode(&it, &opts, d);
            const kd_node *c = kd_msg_find(d, KD_F_CTX);
            size_t data = KD_PACKET_HEADER_SIZE + kd_body_header_size(KD_TYPE_STATE_CHANGE32, 32);
            if (c && c->offset >= data) {
                m->sc32_ctx_off = c->offset - data;
                rc = 0;
            }
        }
    }
    free(o);
    free(buf);
    free(d);
    return rc;
}

/* ------------------------------------------------------------ public: life */

kdsim_model *kdsim_model_new(const kdsim_model_opts *opts)
{
    kdsim_model_opts o = {0};
    if (opts)
        o = *opts;
    if (o.arch == KD_ARCH_UNKNOWN)
        o.arch = o.protocol32 ? KD_ARCH_X86 : KD_ARCH_AMD64;
    if (o.arch != KD_ARCH_X86 && o.arch != KD_ARCH_AMD64 && o.arch != KD_ARCH_ARM64)
        return NULL;
    if (o.protocol32 && o.arch != KD_ARCH_X86)
        return NULL;
    if (o.build == 0)
        o.build = o.protocol32 ? 2195 : 19041;
    o.protocol32 = o.protocol32 ? 1 : 0;

    kdsim_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
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
    m->pool = va(m, m->kern + KDSIM_POOL_OFFSET);
    m->stack = va(m, m->kern - KDSIM_STACK_BELOW);
    m->thread = m->kern + KDSIM_RVA_KTHREAD;
    m->kpcr = m->kern + KDSIM_RVA_KPCR;
    m->kprcb = m->kpcr + (o.arch == KD_ARCH_X86 ? 0x120 : 0x180);
    m->vreg[0] = (region){m->kern, m->image_size};
    m->vreg[1] = (region){m->hal, KDSIM_HAL_SIZE};
    m->vreg[2] = (region){m->pool, KDSIM_POOL_SIZE};
    m->vreg[3] = (region){m->stack, KDSIM_STACK_SIZE};
    m->ctx_layout = kd_context_layout(o.arch);
    m->ctx_size = m->ctx_layout ? m->ctx_layout->size : 0;
    m->max_read = KD_PACKET_MAX_SIZE - kd_body_header_size(KD_TYPE_STATE_MANIPULATE, 64);
    if (!m->ctx_layout || m->ctx_size > CTX_MAX || (o.protocol32 && probe_sc32(m) != 0) ||
        model_reset(m) != 0) {
        kdsim_model_free(m);
        return NULL;
    }
    return m;
}

void kdsim_model_free(kdsim_model *m)
{
    if (!m)
        return;
    space_free(&m->vmem);
    space_free(&m->pmem);
    free(m);
}

/* ------------------------------------------------------------ public: events */

static void resume(kdsim_model *m, int trace)
{
    m->rereport = 0;
    if (m->boot_stage < 3) {
        m->run = KDSIM_BOOT;
        return;
    }
    m->run = KDSIM_RUNNING;
    m->resumes++;
    if (trace) {
        m->pending = P_STEP;
        return;
    }
    if (m->bugchecked) {
        m->pending = 0;
        return;
    }
    m->pending = P_PRINT | P_BP;
    if (m->resumes % KDSIM_PROMPT_EVERY == 0)
        m->pending |= P_PROMPT;
}

static const bpoint *lowest_bp(const kdsim_model *m)
{
    const bpoint *best = NULL;
    for (size_t i = 0; i < MAX_BPS; i++)
        if (m->bp[i].used && (!best || m->bp[i].addr < best->addr))
            best = &m->bp[i];
    return best;
}

int kdsim_model_next_event(kdsim_model *m, kdsim_msg *o)
{
    if (!m || !o)
        return 0;
    char line[256];
    switch (m->run) {
    case KDSIM_BOOT:
        if (m->boot_stage < 2)
            do_stop(m, STOP_LOAD_SYMBOLS, 0, m->kern + KDSIM_RVA_DEBUG_SERVICE, 0, m->boot_stage);
        else {
            do_stop(m, STOP_EXCEPTION, KD_STATUS_BREAKPOINT, m->kern + KDSIM_RVA_BREAK_WITH_STATUS, 1, 0);
            ctx_set(m, f_arg(m), DBG_STATUS_CONTROL_C);
        }
        m->boot_stage++;
        build_state_change(m, o);
        return 1;
    case KDSIM_STOPPED:
        if (!m->rereport)
            return 0;
        m->rereport = 0;
        m->context_sent = 0;
        build_state_change(m, o);
        return 1;
    case KDSIM_PROMPT:
        return 0;
    case KDSIM_RUNNING:
        break;
    }
    if (m->break_pending) {
        do_stop(m, STOP_EXCEPTION, KD_STATUS_BREAKPOINT, m->kern + KDSIM_RVA_BREAK_WITH_STATUS, 1, 0);
        ctx_set(m, f_arg(m), DBG_STATUS_CONTROL_C);
        build_state_change(m, o);
        return 1;
    }
    if (m->pending & P_STEP) {
        uint64_t next = ctx_pc(m) + (m->arch == KD_ARCH_ARM64 ? 4 : 1);
        do_stop(m, STOP_EXCEPTION, KD_STATUS_SINGLE_STEP, next, 0, 0);
        build_state_change(m, o);
        return 1;
    }
    if (m->pending & P_PRINT) {
        m->pending &= ~(unsigned)P_PRINT;
        if (m->resumes == 1)
            snprintf(line, sizeof line, "kdsim: %s kernel, build %u, running\n", kd_arch_name(m->arch),
                     (unsigned)m->o.build);
        else
            snprintf(line, sizeof line, "kdsim: resume %u, tick 0x%08x\n", m->resumes,
                     (unsigned)(rnd(m) & 0xFFFFFFFFu));
        debug_print(m, o, line);
        return 1;
    }
    if (m->pending & P_BUGCHECK_PRINT) {
        m->pending &= ~(unsigned)P_BUGCHECK_PRINT;
        if (m->psz == 8)
            snprintf(line, sizeof line,
                     "\n*** Fatal System Error: 0x%08x\n                       "
                     "(0x0000000000000000,0x0000000000000000,0x0000000000000000,0x0000000000000000)\n\n",
                     MANUALLY_INITIATED_CRASH);
        else
            snprintf(line, sizeof line,
                     "\n*** Fatal System Error: 0x%08x\n                       "
                     "(0x00000000,0x00000000,0x00000000,0x00000000)\n\n",
                     MANUALLY_INITIATED_CRASH);
        debug_print(m, o, line);
        return 1;
    }
    if (m->pending & P_BUGCHECK_STOP) {
        m->bugchecked = 1;
        do_stop(m, STOP_EXCEPTION, KD_STATUS_BREAKPOINT, m->kern + KDSIM_RVA_BUGCHECK, 1, 0);
        build_state_change(m, o);
        return 1;
    }
    if (m->pending & P_ANSWER) {
        m->pending &= ~(unsigned)P_ANSWER;
        char echo[ANSWER_MAX + 1];
        size_t n = m->answer_len;
        while (n && (m->answer[n - 1] == '\n' || m->answer[n - 1] == '\r'))
            n--;
        for (size_t i = 0; i < n; i++)
            echo[i] = m->answer[i] >= 0x20 && m->answer[i] < 0x7F ? (char)m->answer[i] : '.';
        echo[n] = 0;
        snprintf(line, sizeof line, "kdsim: the debugger said \"%s\"\n", echo);
        debug_print(m, o, line);
        return 1;
    }
    if (m->pending & P_BP) {
        m->pending &= ~(unsigned)P_BP;
        const bpoint *b = lowest_bp(m);
        if (b) {
            do_stop(m, STOP_EXCEPTION, KD_STATUS_BREAKPOINT, b->addr, 1, 0);
            build_state_change(m, o);
            return 1;
        }
    }
    if (m->pending & P_PROMPT) {
        m->pending &= ~(unsigned)P_PROMPT;
        m->run = KDSIM_PROMPT;
        m->answer_len = 0;
        debug_prompt(m, o, "kdsim: say something> ");
        return 1;
    }
    return 0;
}

int kdsim_model_state_change(kdsim_model *m, kdsim_msg *o)
{
    if (!m || !o || m->run != KDSIM_STOPPED)
        return 0;
    build_state_change(m, o);
    return 1;
}

void kdsim_model_break_in(kdsim_model *m)
{
    if (m && m->run == KDSIM_RUNNING)
        m->break_pending = 1;
}

void kdsim_model_prompt_answer(kdsim_model *m, const char *text, size_t len)
{
    if (!m || m->run != KDSIM_PROMPT)
        return;
    if (len > ANSWER_MAX)
        len = ANSWER_MAX;
    if (len && text)
        memcpy(m->answer, text, len);
    m->answer_len = text ? len : 0;
    m->run = KDSIM_RUNNING;
    m->pending = P_ANSWER;
}

/* ------------------------------------------------------------ requests */

static const kd_node *rq_node(const kd_msg *rq, kd_field_id f)
{
    return kd_msg_find(rq, f);
}

static uint64_t rq_val(const kd_msg *rq, kd_field_id f)
{
    const kd_node *n = rq_node(rq, f);
    return n ? n->value : 0;
}

/* The bytes after the manipulate header. */
static const uint8_t *rq_data(const kd_msg *rq, size_t *len)
{
    const kd_item *it = rq->item;
    size_t hdr = kd_body_header_size(rq->type, rq->width);
    *len = 0;
    if (!it || !it->body || it->body_len <= hdr)
        return NULL;
    *len = it->body_len - hdr;
    return it->body + hdr;
}

static int is_int_type(kd_ftype t)
{
    return t == KD_FT_UINT8 || t == KD_FT_UINT16 || t == KD_FT_UINT32 || t == KD_FT_UINT64 ||
           t == KD_FT_BOOLEAN;
}

/* The reply starts as the request's header and union member (ReactOS answers
 * in the request's own buffer), ReturnStatus STATUS_UNSUCCESSFUL. */
static void reply_init(const kdsim_model *m, const kd_msg *rq, kdsim_msg *o)
{
    msg_init(m, o, KD_TYPE_STATE_MANIPULATE, rq->api);
    f_add(o, KD_F_M_PROCESSOR_LEVEL, rq_val(rq, KD_F_M_PROCESSOR_LEVEL));
    f_add(o, KD_F_M_PROCESSOR, rq_val(rq, KD_F_M_PROCESSOR));
    f_add(o, KD_F_M_RETURN_STATUS, KD_STATUS_UNSUCCESSFUL);
    uint16_t i = 0;
    while (i < rq->n && !(rq->nodes[i].depth == 1 && kd_fields[rq->nodes[i].field].type == KD_FT_NONE &&
                          rq->nodes[i].field != KD_F_CTX))
        i++;
    for (i++; i < rq->n && rq->nodes[i].depth > 1; i++) {
        const kd_node *n = &rq->nodes[i];
        kd_field_id f = (kd_field_id)n->field;
        if (n->depth != 2 || (n->flags & KD_NODE_GENERATED) || !is_int_type(kd_fields[f].type))
            continue;
        if (f == KD_F_M_SM_SEARCH_ADDRESS) /* a reply carries FoundAddress there */
            continue;
        f_add(o, f, n->value);
    }
}

static void status(kdsim_msg *o, uint32_t st)
{
    f_set(o, KD_F_M_RETURN_STATUS, st);
}

static int only_cpu0(const kd_msg *rq)
{
    return rq_val(rq, KD_F_M_PROCESSOR) == 0;
}

static void api_read_memory(kdsim_model *m, const kd_msg *rq, kdsim_msg *o, int phys)
{
    uint64_t a = rq_val(rq, KD_F_M_RM_TARGET_BASE_ADDRESS);
    size_t want = (size_t)rq_val(rq, KD_F_M_RM_TRANSFER_COUNT);
    if (want > m->max_read)
        want = m->max_read; /* §3.7 item 5: capped, still a success */
    size_t n = mem_read(m, phys, a, o->data, want);
    o->msg.data_len = n;
    f_set(o, KD_F_M_RM_ACTUAL_BYTES_READ, n);
    status(o, n == want ? KD_STATUS_SUCCESS : KD_STATUS_UNSUCCESSFUL);
}

static void api_write_memory(kdsim_model *m, const kd_msg *rq, kdsim_msg *o, int phys)
{
    size_t len;
    const uint8_t *d = rq_data(rq, &len);
    size_t n = d ? mem_write(m, phys, rq_val(rq, KD_F_M_WM_TARGET_BASE_ADDRESS), d, len) : 0;
    f_set(o, KD_F_M_WM_ACTUAL_BYTES_WRITTEN, n);
    status(o, n == len ? KD_STATUS_SUCCESS : KD_STATUS_UNSUCCESSFUL);
}

static void api_get_context(kdsim_model *m, const kd_msg *rq, kdsim_msg *o)
{
    if (!only_cpu0(rq))
        return;
    d_put(o, m->ctx, m->ctx_size);
    m->context_sent = 1;
    status(o, KD_STATUS_SUCCESS);
}

static void api_set_context(kdsim_model *m, const kd_msg *rq, kdsim_msg *o)
{
    size_t len;
    const uint8_t *d = rq_data(rq, &len);
    if (!only_cpu0(rq) || !m->context_sent || !d || len != m->ctx_size)
        return;
    memcpy(m->ctx, d, len);
    status(o, KD_STATUS_SUCCESS);
}

static size_t bp_len(const kdsim_model *m)
{
    return m->arch == KD_ARCH_ARM64 ? 4 : 1;
}

static const uint8_t *bp_insn(const kdsim_model *m)
{
    static const uint8_t int3[1] = {0xCC};
    static const uint8_t brk[4] = {0x00, 0x00, 0x3E, 0xD4}; /* BRK #0xF000 */
    return m->arch == KD_ARCH_ARM64 ? brk : int3;
}

/* KdpAddBreakpoint: handle = index + 1, or 0. */
static uint32_t bp_add(kdsim_model *m, uint64_t addr)
{
    addr = va(m, addr);
    size_t free_i = MAX_BPS;
    for (size_t i = 0; i < MAX_BPS; i++) {
        if (m->bp[i].used && m->bp[i].addr == addr)
            return 0; /* already set */
        if (!m->bp[i].used && free_i == MAX_BPS)
            free_i = i;
    }
    if (free_i == MAX_BPS)
        return 0;
    bpoint *b = &m->bp[free_i];
    size_t n = bp_len(m);
    if (mem_read(m, 0, addr, b->orig, n) != n)
        return 0;
    if (mem_write(m, 0, addr, bp_insn(m), n) != n) {
        mem_write(m, 0, addr, b->orig, n);
        return 0;
    }
    b->addr = addr;
    b->used = 1;
    return (uint32_t)free_i + 1;
}

static int bp_del(kdsim_model *m, uint64_t handle)
{
    if (handle == 0 || handle > MAX_BPS || !m->bp[handle - 1].used)
        return -1;
    bpoint *b = &m->bp[handle - 1];
    mem_write(m, 0, b->addr, b->orig, bp_len(m));
    b->used = 0;
    return 0;
}

static void api_continue2(kdsim_model *m, const kd_msg *rq)
{
    int32_t st = (int32_t)(uint32_t)rq_val(rq, KD_F_M_C2_CONTINUE_STATUS);
    int trace = 0;
    if (st >= 0) { /* NT_SUCCESS: apply the control set (§3.7 item 8) */
        trace = rq_val(rq, KD_F_CS_TRACE_FLAG) != 0;
        if (m->arch != KD_ARCH_ARM64) {
            uint64_t fl = ctx_get(m, KD_F_CTX_EFLAGS);
            ctx_set(m, KD_F_CTX_EFLAGS, trace ? fl | 0x100 : fl & ~(uint64_t)0x100);
            ctx_set(m, KD_F_CTX_DR7, rq_val(rq, KD_F_CS_DR7));
            ctx_set(m, KD_F_CTX_DR6, 0);
        }
    }
    resume(m, trace);
}

/* x86: KPROCESSOR_STATE = CONTEXT + KSPECIAL_REGISTERS.  Byte i of it. */
static uint8_t *x86_pstate_byte(kdsim_model *m, size_t i)
{
    return i < m->ctx_size ? &m->ctx[i] : &m->kspecial[i - m->ctx_size];
}

static void api_read_control(kdsim_model *m, const kd_msg *rq, kdsim_msg *o)
{
    uint64_t a = rq_val(rq, KD_F_M_RM_TARGET_BASE_ADDRESS);
    size_t want = (size_t)rq_val(rq, KD_F_M_RM_TRANSFER_COUNT);
    if (want > m->max_read)
        want = m->max_read;
    f_set(o, KD_F_M_RM_ACTUAL_BYTES_READ, 0);
    if (!only_cpu0(rq))
        return;
    if (m->arch == KD_ARCH_X86) {
        size_t total = m->ctx_size + m->kspecial_size;
        if (a >= total)
            return;
        size_t n = total - (size_t)a < want ? total - (size_t)a : want;
        for (size_t i = 0; i < n; i++)
            o->data[i] = *x86_pstate_byte(m, (size_t)a + i);
        o->msg.data_len = n;
        f_set(o, KD_F_M_RM_ACTUAL_BYTES_READ, n);
        status(o, KD_STATUS_SUCCESS);
        return;
    }
    uint8_t ptr[8];
    const uint8_t *src;
    size_t len;
    switch (a) {
    case 0: /* AMD64_DEBUG_CONTROL_SPACE_KPCR */
    case 1: /* KPRCB */
    case 3: /* KTHREAD */
        put_le(ptr, a == 0 ? m->kpcr : a == 1 ? m->kprcb : m->thread, 8);
        src = ptr;
        len = 8;
        break;
    case 2: /* KSPECIAL */
        src = m->kspecial;
        len = m->kspecial_size;
        break;
    default:
        return;
    }
    size_t n = len < want ? len : want;
    memcpy(o->data, src, n);
    o->msg.data_len = n;
    f_set(o, KD_F_M_RM_ACTUAL_BYTES_READ, n);
    status(o, KD_STATUS_SUCCESS);
}

static void api_write_control(kdsim_model *m, const kd_msg *rq, kdsim_msg *o)
{
    size_t len;
    const uint8_t *d = rq_data(rq, &len);
    uint64_t a = rq_val(rq, KD_F_M_WM_TARGET_BASE_ADDRESS);
    d_put(o, d, len); /* ReactOS echoes the data */
    f_set(o, KD_F_M_WM_ACTUAL_BYTES_WRITTEN, 0);
    if (!only_cpu0(rq) || !d)
        return;
    if (m->arch == KD_ARCH_X86) {
        size_t total = m->ctx_size + m->kspecial_size;
        if (a > total || len > total - (size_t)a)
            return;
        for (size_t i = 0; i < len; i++)
            *x86_pstate_byte(m, (size_t)a + i) = d[i];
    } else {
        if (a != 2 || len > m->kspecial_size)
            return;
        memcpy(m->kspecial, d, len);
    }
    f_set(o, KD_F_M_WM_ACTUAL_BYTES_WRITTEN, len);
    status(o, KD_STATUS_SUCCESS);
}

static int io_size_ok(uint64_t size)
{
    return size == 1 || size == 2 || size == 4;
}

static uint64_t io_ones(uint64_t size)
{
    return size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFFu : 0xFFu;
}

static void api_io(const kd_msg *rq, kdsim_msg *o, int write, int extended)
{
    if (extended) {
        uint64_t size = rq_val(rq, KD_F_M_IOX_DATA_SIZE);
        if (rq_val(rq, KD_F_M_IOX_INTERFACE_TYPE) != 1 || rq_val(rq, KD_F_M_IOX_BUS_NUMBER) != 0 ||
            rq_val(rq, KD_F_M_IOX_ADDRESS_SPACE) != 1 || !io_size_ok(size))
            return;
        if (!write)
            f_set(o, KD_F_M_IOX_DATA_VALUE, io_ones(size));
    } else {
        uint64_t size = rq_val(rq, KD_F_M_IO_DATA_SIZE);
        if (!io_size_ok(size))
            return;
        if (!write)
            f_set(o, KD_F_M_IO_DATA_VALUE, io_ones(size));
    }
    status(o, KD_STATUS_SUCCESS);
}

static uint16_t machine_type(const kdsim_model *m)
{
    return m->arch == KD_ARCH_X86 ? 0x014C : m->arch == KD_ARCH_AMD64 ? 0x8664 : 0xAA64;
}

/* §1.6 */
static void api_get_version(kdsim_model *m, kdsim_msg *o)
{
    const uint64_t mods = m->kern + KDSIM_RVA_MODULE_LIST, ddl = m->kern + KDSIM_RVA_DATA_LIST_HEAD;
    const uint16_t major = 0x000F; /* DBGKD_MAJOR_NT << 8 | 0xF (free build) */
    if (m->width == 32) {
        f_set(o, KD_F_M_GV32_MAJOR_VERSION, major);
        f_set(o, KD_F_M_GV32_MINOR_VERSION, m->o.build & 0xFFFF);
        f_set(o, KD_F_M_GV32_PROTOCOL_VERSION, 4);
        f_set(o, KD_F_M_GV32_FLAGS, 0x0002); /* DATA */
        f_set(o, KD_F_M_GV32_KERN_BASE, m->kern);
        f_set(o, KD_F_M_GV32_PS_LOADED_MODULE_LIST, mods);
        f_set(o, KD_F_M_GV32_MACHINE_TYPE, machine_type(m));
        f_set(o, KD_F_M_GV32_TH_CALLBACK_STACK, 0);
        f_set(o, KD_F_M_GV32_NEXT_CALLBACK, 0);
        f_set(o, KD_F_M_GV32_FRAME_POINTER, 0);
        f_set(o, KD_F_M_GV32_KI_CALL_USER_MODE, m->kern + KDSIM_RVA_SYSCALL + 0x80);
        f_set(o, KD_F_M_GV32_KE_USER_CALLBACK_DISPATCHER, 0);
        f_set(o, KD_F_M_GV32_BREAKPOINT_WITH_STATUS, m->kern + KDSIM_RVA_BREAK_WITH_STATUS);
        f_set(o, KD_F_M_GV32_DEBUGGER_DATA_LIST, ddl);
    } else {
        uint16_t flags = 0x0002; /* DATA */
        if (m->psz == 8)
            flags |= 0x0004;     /* PTR64 */
        f_set(o, KD_F_M_GV_MAJOR_VERSION, major);
        f_set(o, KD_F_M_GV_MINOR_VERSION, m->o.build & 0xFFFF);
        f_set(o, KD_F_M_GV_PROTOCOL_VERSION, 6);
        f_set(o, KD_F_M_GV_KD_SECONDARY_VERSION, m->arch == KD_ARCH_AMD64 ? 2 : 0);
        f_set(o, KD_F_M_GV_FLAGS, flags);
        f_set(o, KD_F_M_GV_MACHINE_TYPE, machine_type(m));
        f_set(o, KD_F_M_GV_MAX_PACKET_TYPE, KD_TYPE_MAX);
        f_set(o, KD_F_M_GV_MAX_STATE_CHANGE, 3);
        f_set(o, KD_F_M_GV_MAX_MANIPULATE, 0x31);
        f_set(o, KD_F_M_GV_SIMULATION, 0);
        f_set(o, KD_F_M_GV_UNUSED, 0);
        f_set(o, KD_F_M_GV_KERN_BASE, ext(m, m->kern));
        f_set(o, KD_F_M_GV_PS_LOADED_MODULE_LIST, ext(m, mods));
        f_set(o, KD_F_M_GV_DEBUGGER_DATA_LIST, ext(m, ddl));
    }
    status(o, KD_STATUS_SUCCESS);
}

static msr_ent *find_msr(kdsim_model *m, uint32_t msr)
{
    for (size_t i = 0; i < m->nmsr; i++)
        if (m->msr[i].msr == msr)
            return &m->msr[i];
    return NULL;
}

static void api_msr(kdsim_model *m, const kd_msg *rq, kdsim_msg *o, int write)
{
    msr_ent *e = find_msr(m, (uint32_t)rq_val(rq, KD_F_M_MSR_MSR));
    if (!e) {
        status(o, KD_STATUS_NO_SUCH_DEVICE);
        return;
    }
    if (write) {
        e->value = rq_val(rq, KD_F_M_MSR_DATA_VALUE_HIGH) << 32 | (rq_val(rq, KD_F_M_MSR_DATA_VALUE_LOW) & 0xFFFFFFFFu);
    } else {
        f_set(o, KD_F_M_MSR_DATA_VALUE_LOW, e->value & 0xFFFFFFFFu);
        f_set(o, KD_F_M_MSR_DATA_VALUE_HIGH, e->value >> 32);
        if (e->msr == 0x10)
            e->value += 0x10000; /* the TSC moves on */
    }
    status(o, KD_STATUS_SUCCESS);
}

/*
 * Searches the starts [lo, last_start] (all mapped, in one region) for the
 * first start of pat.  Memory is sparse: a page nobody wrote is zeros and
 * is not stored.  Scanning those byte by byte made one search over an
 * image cost milliseconds, so runs of absent pages are skipped: a start
 * inside such a run more than z bytes (pat's leading zero bytes) before its
 * end puts pat[z] != 0 on a zero byte, so only the run's last z starts can
 * match, and an all-zero pattern that fits matches at the run's first.
 */
static int scan(kdsim_model *m, uint64_t lo, uint64_t last_start, const uint8_t *pat, size_t plen, uint64_t *found)
{
    enum { CH = PG };
    size_t z = 0;
    while (z < plen && pat[z] == 0)
        z++;
    uint8_t *buf = malloc(CH + plen);
    int hit = 0;
    if (!buf)
        return 0;
    for (uint64_t s = lo;;) {
        uint64_t page = s & ~PG_MASK;
        if (!space_page(&m->vmem, page, 0)) {
            size_t next = space_lower(&m->vmem, page);
            /* First byte that may not be zero; ~0 when no page follows. */
            uint64_t run_end = next < m->vmem.n ? m->vmem.p[next].addr : ~(uint64_t)0;
            if (z == plen && run_end - s >= plen) {
                *found = s;
                hit = 1;
                break;
            }
            if (run_end - s > z) {
                if (run_end - z > last_start)
                    break;
                s = run_end - z;
            }
        }
        /* The starts up to the end of s's page, matched against a copy. */
        uint64_t starts = (s | PG_MASK) - s + 1;
        if (starts > last_start - s + 1)
            starts = last_start - s + 1;
        size_t need = (size_t)starts + plen - 1;
        if (mem_read(m, 0, s, buf, need) != need)
            break;
        for (const uint8_t *p = buf; (p = memchr(p, pat[0], (size_t)(buf + starts - p))) != NULL; p++)
            if (memcmp(p, pat, plen) == 0) {
                *found = s + (uint64_t)(p - buf);
                hit = 1;
                break;
            }
        if (hit || last_start - s < starts)
            break;
        s += starts;
    }
    free(buf);
    return hit;
}

static void api_search(kdsim_model *m, const kd_msg *rq, kdsim_msg *o)
{
    size_t dlen;
    const uint8_t *pat = rq_data(rq, &dlen);
    size_t plen = (size_t)rq_val(rq, KD_F_M_SM_PATTERN_LENGTH);
    uint64_t a = va(m, rq_val(rq, KD_F_M_SM_SEARCH_ADDRESS));
    uint64_t len = rq_val(rq, KD_F_M_SM_SEARCH_LENGTH);
    f_set(o, KD_F_M_SM_FOUND_ADDRESS, 0);
    if (plen > dlen)
        plen = dlen;
    if (!pat || plen == 0 || len < plen)
        return;
    uint64_t last = a + len - 1 < a ? ~(uint64_t)0 : a + len - 1; /* last byte searched */
    if (last > m->amask)
        last = m->amask;
    uint64_t best = 0;
    int found = 0;
    for (size_t i = 0; i < sizeof m->vreg / sizeof m->vreg[0]; i++) {
        const region *r = &m->vreg[i];
        uint64_t lo = a > r->base ? a : r->base;
        uint64_t rlast = r->base + r->size - 1;
        uint64_t hi = last < rlast ? last : rlast;
        if (lo > hi || hi - lo + 1 < plen)
            continue;
        uint64_t f;
        if (scan(m, lo, hi - plen + 1, pat, plen, &f) && (!found || f < best)) {
            best = f;
            found = 1;
        }
    }
    if (!found) {
        status(o, KD_STATUS_NOT_FOUND);
        return;
    }
    f_set(o, KD_F_M_SM_FOUND_ADDRESS, ext(m, best));
    status(o, KD_STATUS_SUCCESS);
}

static void api_fill(kdsim_model *m, const kd_msg *rq, kdsim_msg *o)
{
    size_t dlen;
    const uint8_t *pat = rq_data(rq, &dlen);
    size_t plen = (size_t)rq_val(rq, KD_F_M_FM_PATTERN_LENGTH);
    uint64_t flags = rq_val(rq, KD_F_M_FM_FLAGS);
    uint64_t a = rq_val(rq, KD_F_M_FM_ADDRESS);
    uint64_t len = rq_val(rq, KD_F_M_FM_LENGTH);
    f_set(o, KD_F_M_FM_LENGTH, 0);
    if (plen > dlen)
        plen = dlen;
    if (!pat || plen == 0 || (flags != 1 && flags != 2))
        return;
    int phys = flags == 2;
    uint8_t chunk[PG];
    uint64_t done = 0;
    while (done < len) {
        size_t n = len - done < PG ? (size_t)(len - done) : PG;
        for (size_t i = 0; i < n; i++)
            chunk[i] = pat[(done + i) % plen];
        size_t w = mem_write(m, phys, phys ? a + done : va(m, a + done), chunk, n);
        done += w;
        if (w < n)
            break;
    }
    f_set(o, KD_F_M_FM_LENGTH, done);
    status(o, done == len ? KD_STATUS_SUCCESS : KD_STATUS_UNSUCCESSFUL);
}

static void api_query(kdsim_model *m, const kd_msg *rq, kdsim_msg *o)
{
    uint64_t a = va(m, rq_val(rq, KD_F_M_QM_ADDRESS));
    if (rq_val(rq, KD_F_M_QM_ADDRESS_SPACE) != 0) { /* DBGKD_QUERY_MEMORY_VIRTUAL */
        status(o, KD_STATUS_INVALID_PARAMETER);
        return;
    }
    uint64_t user_max = m->arch == KD_ARCH_X86 ? 0x7FFEFFFFull : 0x7FFFFFFEFFFFull;
    f_set(o, KD_F_M_QM_ADDRESS_SPACE, a <= user_max ? 0 : 2); /* PROCESS / KERNEL */
    f_set(o, KD_F_M_QM_FLAGS, vmapped(m, a) ? 0x7 : 0);      /* READ|WRITE|EXECUTE */
    f_set(o, KD_F_M_QM_RESERVED, 0);
    status(o, KD_STATUS_SUCCESS);
}

static void api_context_ex(kdsim_model *m, const kd_msg *rq, kdsim_msg *o, int set)
{
    uint64_t off = rq_val(rq, KD_F_M_CX_OFFSET), cnt = rq_val(rq, KD_F_M_CX_BYTE_COUNT);
    f_set(o, KD_F_M_CX_BYTES_COPIED, 0);
    if (!only_cpu0(rq) || off > m->ctx_size || cnt > m->ctx_size - off)
        return;
    if (set) {
        size_t len;
        const uint8_t *d = rq_data(rq, &len);
        if (!m->context_sent || len != cnt || (cnt && !d))
            return;
        if (cnt)
            memcpy(m->ctx + off, d, (size_t)cnt);
    } else {
        d_put(o, m->ctx + off, (size_t)cnt);
        m->context_sent = 1;
    }
    f_set(o, KD_F_M_CX_BYTES_COPIED, cnt);
    status(o, KD_STATUS_SUCCESS);
}

int kdsim_model_handle(kdsim_model *m, const kd_msg *rq, kdsim_msg *o)
{
    if (!m || !rq || !o || rq->type != KD_TYPE_STATE_MANIPULATE || rq->is_response ||
        m->run != KDSIM_STOPPED)
        return 0;
    const uint32_t api = rq->api;
    /* The APIs that get no reply (§1.4). */
    switch (api) {
    case 0x3136: /* Continue: resumes whatever the status (ReactOS leaves its loop) */
        resume(m, 0);
        return 0;
    case 0x313C: /* Continue2 */
        api_continue2(m, rq);
        return 0;
    case 0x313B: /* Reboot */
        if (model_reset(m) != 0)
            m->run = KDSIM_BOOT;
        return 0;
    case 0x3149: /* CauseBugCheck */
        m->run = KDSIM_RUNNING;
        m->pending = P_BUGCHECK_PRINT | P_BUGCHECK_STOP;
        return 0;
    case 0x3150: /* SwitchProcessor: one processor, the stop is reported again */
        m->rereport = 1;
        return 0;
    case 0x315A: /* ClearAllInternalBreakpoints: no packet, still stopped */
        return 0;
    default:
        break;
    }
    reply_init(m, rq, o);
    size_t len;
    const uint8_t *d;
    switch (api) {
    case 0x3130:
        api_read_memory(m, rq, o, 0);
        break;
    case 0x3131:
        api_write_memory(m, rq, o, 0);
        break;
    case 0x3132:
        api_get_context(m, rq, o);
        break;
    case 0x3133:
        api_set_context(m, rq, o);
        break;
    case 0x3134: {
        uint32_t h = bp_add(m, rq_val(rq, KD_F_M_WB_BREAK_POINT_ADDRESS));
        f_set(o, KD_F_M_WB_BREAK_POINT_HANDLE, h);
        status(o, h ? KD_STATUS_SUCCESS : KD_STATUS_UNSUCCESSFUL);
        break;
    }
    case 0x3135:
        status(o, bp_del(m, rq_val(rq, KD_F_M_RB_BREAK_POINT_HANDLE)) == 0 ? KD_STATUS_SUCCESS : KD_STATUS_UNSUCCESSFUL);
        break;
    case 0x3137:
        api_read_control(m, rq, o);
        break;
    case 0x3138:
        api_write_control(m, rq, o);
        break;
    case 0x3139:
    case 0x313A:
        api_io(rq, o, api == 0x313A, 0);
        break;
    case 0x313D:
        api_read_memory(m, rq, o, 1);
        break;
    case 0x313E:
        api_write_memory(m, rq, o, 1);
        break;
    case 0x3144:
    case 0x3145:
        api_io(rq, o, api == 0x3145, 1);
        break;
    case 0x3146:
        api_get_version(m, o);
        break;
    case 0x3147: /* WriteBreakPointEx / RestoreBreakPointEx: unimplemented, data echoed */
    case 0x3148:
        d = rq_data(rq, &len);
        d_put(o, d, len);
        break;
    case 0x3152:
    case 0x3153:
        api_msr(m, rq, o, api == 0x3153);
        break;
    case 0x3156:
        api_search(m, rq, o);
        break;
    case 0x3157: {
        size_t n = (size_t)rq_val(rq, KD_F_M_BUS_LENGTH);
        if (n > m->max_read)
            n = m->max_read;
        d_put(o, NULL, n);
        f_set(o, KD_F_M_BUS_LENGTH, n);
        status(o, KD_STATUS_SUCCESS);
        break;
    }
    case 0x3158:
        rq_data(rq, &len);
        f_set(o, KD_F_M_BUS_LENGTH, len);
        status(o, KD_STATUS_SUCCESS);
        break;
    case 0x3159: /* CheckLowMemory */
        status(o, KD_STATUS_SUCCESS);
        break;
    case 0x315B:
        api_fill(m, rq, o);
        break;
    case 0x315C:
        api_query(m, rq, o);
        break;
    case 0x315F:
    case 0x3160:
        api_context_ex(m, rq, o, api == 0x3160);
        break;
    default: /* unsupported or unknown: STATUS_UNSUCCESSFUL, no data (kdapi.c:1580-1595) */
        break;
    }
    return 1;
}

/* ------------------------------------------------------------ encoding */

long kdsim_msg_encode(const kdsim_msg *msg, uint32_t id, kd_transport t, uint8_t *out, size_t cap)
{
    if (!msg || !out)
        return -1;
    kd_enc_msg em = msg->msg;
    em.id = id;
    em.fields = msg->fields; /* also right for a copied kdsim_msg */
    em.data = msg->data;
    long n = kd_encode(&em, t, out, cap);
    if (n < 0 || msg->instr_len == 0)
        return n;
    kd_msg *d = malloc(sizeof *d);
    if (!d)
        return -1;
    kd_item it = kd_item_from_bytes(out, (size_t)n, KD_ITEM_DATA, 0, KD_DIR_T2D);
    kd_decode_opts o = {.arch = em.arch, .width = em.width ? em.width : 64};
    kd_decode(&it, &o, d);
    const kd_node *s = kd_msg_find(d, KD_F_CR_INSTRUCTION_STREAM);
    size_t len = msg->instr_len <= sizeof msg->instr_stream ? msg->instr_len : sizeof msg->instr_stream;
    if (s && s->length >= len)
        memcpy(out + s->offset, msg->instr_stream, len);
    size_t body_len = it.body_len;
    free(d);
    return kd_frame_data(t, em.type, id, out + KD_PACKET_HEADER_SIZE, body_len, out, cap);
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
    return mem_read(m, 0, addr, buf, len) == len ? 0 : -1;
}

int kdsim_model_write(kdsim_model *m, uint64_t addr, const void *buf, size_t len)
{
    if (!m || (!buf && len))
        return -1;
    return mem_write(m, 0, addr, buf, len) == len ? 0 : -1;
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
    return m ? ext(m, ctx_pc(m)) : 0;
}
