/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsim/model_image.c - the Windows structures in the target's memory: PE
 * headers, the code with its named spots, the loaded-module list
 * (KLDR_DATA_TABLE_ENTRY), the debugger data block (KDBG), KPCR / KPRCB and
 * the stack (model.h, "Image content", "Debugger data", "Module list").  The
 * byte offsets here are Windows facts, not wire layouts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdparse/modmap.h"
#include "model_impl.h"

const char *const km_module_path[KDSIM_MODULES] = {
    "\\SystemRoot\\system32\\ntoskrnl.exe", "\\SystemRoot\\system32\\hal.dll",
    "\\SystemRoot\\system32\\kdcom.dll", "\\SystemRoot\\system32\\drivers\\kdtest.sys"};
static const char *const module_name[KDSIM_MODULES] = {"ntoskrnl.exe", "hal.dll", "kdcom.dll", "kdtest.sys"};

uint64_t km_module_base(const kdsim_model *m, unsigned mod)
{
    return mod == 0 ? m->kern : mod == 1 ? m->hal : mod == 2 ? m->kdcom : m->drv;
}

uint32_t km_module_size(const kdsim_model *m, unsigned mod)
{
    return mod == 0 ? (uint32_t)m->image_size : mod == 1 ? KDSIM_HAL_SIZE : mod == 2 ? KDSIM_KDCOM_SIZE : KDSIM_DRIVER_SIZE;
}

/* A minimal PE image header at base. */
void km_write_pe(kdsim_model *m, uint64_t base, uint32_t size, uint32_t stamp, uint32_t sum, int dll)
{
    const int pe32plus = m->psz == 8;
    const uint16_t machine = m->arch == KD_ARCH_X86 ? 0x014C : m->arch == KD_ARCH_AMD64 ? 0x8664 : 0xAA64;
    const uint64_t nt = base + 0x100; /* e_lfanew */
    static const char stub[] = "This program cannot be run in DOS mode.\r\r\n$";
    km_mem_write(m, 0, base, "MZ", 2);
    km_poke(m, base + 0x3C, 0x100, 4);
    km_mem_write(m, 0, base + 0x4E, stub, sizeof stub - 1);
    km_mem_write(m, 0, nt, "PE\0\0", 4);
    const uint64_t fh = nt + 4; /* IMAGE_FILE_HEADER */
    const uint16_t opt_size = pe32plus ? 0xF0 : 0xE0;
    km_poke(m, fh + 0, machine, 2);
    km_poke(m, fh + 2, 2, 2); /* NumberOfSections */
    km_poke(m, fh + 4, stamp, 4);
    km_poke(m, fh + 16, opt_size, 2);
    km_poke(m, fh + 18, (pe32plus ? 0x0022 : 0x0102) | (dll ? 0x2000 : 0), 2);
    const uint64_t oh = fh + 20; /* IMAGE_OPTIONAL_HEADER(64) */
    km_poke(m, oh + 0, pe32plus ? 0x20B : 0x10B, 2);
    km_poke(m, oh + 16, 0x1010, 4); /* AddressOfEntryPoint */
    km_poke(m, oh + 20, 0x1000, 4); /* BaseOfCode */
    if (pe32plus)
        km_poke(m, oh + 24, base, 8);
    else
        km_poke(m, oh + 28, base, 4);
    km_poke(m, oh + 32, 0x1000, 4); /* SectionAlignment */
    km_poke(m, oh + 36, 0x200, 4);  /* FileAlignment */
    km_poke(m, oh + 40, 10, 2);     /* MajorOperatingSystemVersion */
    km_poke(m, oh + 48, 10, 2);     /* MajorSubsystemVersion */
    km_poke(m, oh + 56, size, 4);   /* SizeOfImage */
    km_poke(m, oh + 60, 0x400, 4);  /* SizeOfHeaders */
    km_poke(m, oh + 64, sum, 4);    /* CheckSum */
    km_poke(m, oh + 68, 1, 2);      /* Subsystem: native */
    km_poke(m, oh + (pe32plus ? 108 : 92), 16, 4); /* NumberOfRvaAndSizes */
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
        km_mem_write(m, 0, s, sec[i].name, strlen(sec[i].name));
        km_poke(m, s + 8, vsize, 4);
        km_poke(m, s + 12, rva, 4);
        km_poke(m, s + 16, vsize, 4);
        km_poke(m, s + 20, rva, 4);
        km_poke(m, s + 36, sec[i].flags, 4);
    }
}

/* A UNICODE_STRING at a (native layout) for the UTF-16 copy of s at buf. */
static void write_ustr(kdsim_model *m, uint64_t a, uint64_t buf, const char *s)
{
    size_t n = strlen(s);
    uint8_t w[2 * 128];
    if (n >= sizeof w / 2)
        n = sizeof w / 2 - 1; /* the module paths are far shorter */
    for (size_t i = 0; i <= n; i++) {
        w[2 * i] = (uint8_t)(i < n ? s[i] : 0);
        w[2 * i + 1] = 0;
    }
    km_mem_write(m, 0, buf, w, 2 * n + 2); /* one copy, not a poke per character */
    km_poke(m, a, 2 * n, 2);           /* Length */
    km_poke(m, a + 2, 2 * n + 2, 2);   /* MaximumLength */
    km_poke_ptr(m, a + m->psz, ext(m, buf)); /* Buffer */
}

/* KLDR_DATA_TABLE_ENTRY, simplified (offsets in pointer units, model.h; the
 * members a debugger walks from kdparse's table). */
static void write_ldr(kdsim_model *m, uint64_t e, uint64_t flink, uint64_t blink, unsigned mod,
                      uint64_t strings)
{
    const uint64_t p = m->psz;
    const kd_ldr_layout *l = kd_ldr_layout_for(m->psz);
    const uint64_t base = km_module_base(m, mod);
    km_poke_ptr(m, e, flink);
    km_poke_ptr(m, e + p, blink);
    km_poke_ptr(m, e + l->dll_base, ext(m, base));      /* DllBase */
    km_poke_ptr(m, e + 7 * p, ext(m, base + 0x1010));   /* EntryPoint */
    km_poke(m, e + l->size_of_image, km_module_size(m, mod), 4); /* SizeOfImage */
    write_ustr(m, e + 9 * p, strings, km_module_path[mod]);      /* FullDllName */
    write_ustr(m, e + l->base_dll_name, strings + 0x80, module_name[mod]); /* BaseDllName */
    km_poke(m, e + 13 * p, 0x09104000, 4);     /* Flags */
    km_poke(m, e + 13 * p + 4, 1, 2);          /* LoadCount */
}

static void write_kdbg(kdsim_model *m)
{
    /* KDDEBUGGER_DATA64, or KDDEBUGGER_DATA32 with the 32-bit protocol: the
     * same members with 4-byte pointers. */
    const uint64_t w = m->o.protocol32 ? 4 : 8;
    const uint64_t head = m->kern + KDSIM_RVA_DATA_LIST_HEAD, b = m->kern + KDSIM_RVA_KDBG;
    const uint64_t wmask = w == 4 ? 0xFFFFFFFFu : ~(uint64_t)0;
#define PTR(x) (ext(m, (x)) & wmask)
    km_poke_ptr(m, head, b); /* KdpDebuggerDataListHead: LIST_ENTRY (native) */
    km_poke_ptr(m, head + m->psz, b);
    km_poke(m, b, PTR(head), w); /* Header.List */
    km_poke(m, b + w, PTR(head), w);
    km_mem_write(m, 0, b + 2 * w, "KDBG", 4); /* OwnerTag 'KDBG' = 0x4742444B */
    km_poke(m, b + 2 * w + 4, w == 8 ? 0x340 : 0x100, 4); /* Size */
    uint64_t a = b + 2 * w + 8;
    km_poke(m, a, PTR(m->kern), w);                                      /* KernBase */
    km_poke(m, a + w, PTR(m->kern + KDSIM_RVA_BREAK_WITH_STATUS), w);    /* BreakpointWithStatus */
    /* SavedContext 0, ThCallbackStack / NextCallback / FramePointer / PaeEnabled 0 */
    a += 3 * w + 8;
    km_poke(m, a, PTR(m->kern + KDSIM_RVA_SYSCALL + 0x80), w);           /* KiCallUserMode */
    km_poke(m, a + w, 0, w);                                             /* KeUserCallbackDispatcher */
    km_poke(m, a + 2 * w, PTR(m->kern + KDSIM_RVA_MODULE_LIST), w);      /* PsLoadedModuleList */
    km_poke(m, a + 3 * w, PTR(m->kern + KDSIM_RVA_PROCESS_LIST), w);     /* PsActiveProcessHead */
#undef PTR
}

/* A page of NOPs at addr (ARM64 NOP, x86 0x90) whose last instruction is a
 * ret when ret is set. */
static void write_nop_page(kdsim_model *m, uint64_t addr, int ret)
{
    static const uint8_t nop[4] = {0x1F, 0x20, 0x03, 0xD5}; /* ARM64 NOP */
    static const uint8_t ret64[4] = {0xC0, 0x03, 0x5F, 0xD6}; /* ARM64 RET */
    uint8_t page[PG];
    if (m->arch == KD_ARCH_ARM64)
        for (unsigned i = 0; i < PG; i += 4)
            memcpy(page + i, ret && i == PG - 4 ? ret64 : nop, 4);
    else
        memset(page, 0x90, PG);
    if (ret && m->arch != KD_ARCH_ARM64)
        page[PG - 1] = 0xC3; /* ret */
    km_mem_write(m, 0, addr, page, PG);
}

void km_write_code(kdsim_model *m)
{
    static const uint8_t brk_ret[8] = {0x00, 0x00, 0x3E, 0xD4, 0xC0, 0x03, 0x5F, 0xD6}; /* BRK #0xF000; RET */
    /* the NOP sled up to 0x4000 ends with ret */
    for (uint64_t rva = 0x1000; rva < 0x4000; rva += PG)
        write_nop_page(m, m->kern + rva, rva + PG == 0x4000);
    if (m->arch == KD_ARCH_ARM64) {
        km_mem_write(m, 0, m->kern + KDSIM_RVA_BREAK_WITH_STATUS, brk_ret, 8);
        km_mem_write(m, 0, m->kern + KDSIM_RVA_DEBUG_SERVICE, brk_ret, 8);
        km_mem_write(m, 0, m->kern + KDSIM_RVA_BUGCHECK, brk_ret, 8);
        return;
    }
    static const uint8_t brk[2] = {0xCC, 0xC3};              /* int3; ret */
    static const uint8_t svc[4] = {0xCD, 0x2D, 0xCC, 0xC3};  /* int 2Dh; int3; ret */
    static const uint8_t sys64[12] = {0x0F, 0x01, 0xF8, 0x65, 0x48, 0x89, 0x24, 0x25,
                                      0x10, 0x00, 0x00, 0x00}; /* swapgs; mov gs:[10h], rsp */
    static const uint8_t sys32[5] = {0xB9, 0x23, 0x00, 0x00, 0x00}; /* mov ecx, 23h */
    km_mem_write(m, 0, m->kern + KDSIM_RVA_BREAK_WITH_STATUS, brk, 2);
    km_mem_write(m, 0, m->kern + KDSIM_RVA_DEBUG_SERVICE, svc, 4);
    km_mem_write(m, 0, m->kern + KDSIM_RVA_BUGCHECK, brk, 2);
    if (m->arch == KD_ARCH_AMD64)
        km_mem_write(m, 0, m->kern + KDSIM_RVA_SYSCALL, sys64, sizeof sys64);
    else
        km_mem_write(m, 0, m->kern + KDSIM_RVA_SYSCALL, sys32, sizeof sys32);
}

void km_write_driver_code(kdsim_model *m)
{
    for (unsigned mod = 2; mod < KDSIM_MODULES; mod++)
        write_nop_page(m, km_module_base(m, mod) + KDSIM_DRIVER_RVA_CODE, 1);
}

void km_write_structures(kdsim_model *m)
{
    const uint64_t p = m->psz;
    /* PsLoadedModuleList: head <-> nt <-> hal <-> kdcom <-> kdtest <-> head
     * (native LIST_ENTRYs); entry i at pool + 0x100 (i + 1), its strings at
     * pool + 0x1000 + 0x100 i. */
    const uint64_t head = m->kern + KDSIM_RVA_MODULE_LIST;
    uint64_t e[KDSIM_MODULES + 2];
    e[0] = e[KDSIM_MODULES + 1] = head;
    for (unsigned i = 0; i < KDSIM_MODULES; i++)
        e[i + 1] = m->pool + 0x100u * (i + 1);
    km_poke_ptr(m, head, ext(m, e[1]));
    km_poke_ptr(m, head + p, ext(m, e[KDSIM_MODULES]));
    for (unsigned i = 0; i < KDSIM_MODULES; i++)
        write_ldr(m, e[i + 1], ext(m, e[i + 2]), ext(m, e[i]), i, m->pool + 0x1000 + 0x100u * i);
    /* PsActiveProcessHead: empty. */
    const uint64_t ph = m->kern + KDSIM_RVA_PROCESS_LIST;
    km_poke_ptr(m, ph, ext(m, ph));
    km_poke_ptr(m, ph + p, ext(m, ph));
    /* KPCR (Self / SelfPcr, Prcb pointer) and Prcb.CurrentThread. */
    if (m->arch == KD_ARCH_X86) {
        km_poke_ptr(m, m->kpcr + 0x1C, m->kpcr);
        km_poke_ptr(m, m->kpcr + 0x20, m->kprcb);
        km_poke_ptr(m, m->kprcb + 4, m->thread);
    } else {
        km_poke_ptr(m, m->kpcr + 0x18, m->kpcr);
        km_poke_ptr(m, m->kpcr + 0x20, m->kprcb);
        km_poke_ptr(m, m->kprcb + 8, m->thread);
    }
    /* The stack: a return address at the stack pointer. */
    uint64_t sp = m->stack + KDSIM_STACK_SIZE - 0x200;
    km_poke_ptr(m, sp, ext(m, m->kern + KDSIM_RVA_CODE + 0x40));
    write_kdbg(m);
}
