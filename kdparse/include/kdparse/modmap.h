/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdparse/modmap.h - the session's modules: which image holds an address.
 *
 * Learned from the session itself, in time order, with no symbol files:
 *   - LoadSymbols state changes (base, size, path; an unload removes),
 *   - GetVersion's KernBase and PsLoadedModuleList (the kernel is `nt`),
 *   - what the target revealed in ReadVirtualMemory replies (memview.h):
 *     the kernel's PE header (its SizeOfImage), the KDDEBUGGER_DATA block
 *     found by its "KDBG" tag (KernBase and PsLoadedModuleList when
 *     GetVersion is not in the capture), and the loaded-module list walked
 *     from PsLoadedModuleList through KLDR_DATA_TABLE_ENTRYs.
 *
 *   kd_modmap *mm = kd_modmap_new();
 *   for each decoded message in time order: kd_modmap_feed(mm, &msg, frame);
 *   kd_module_hit h;
 *   if (kd_modmap_lookup(mm, addr, &h) == 0) printf("%s+0x%llx", h.mod->name, h.offset);
 *
 * Names as WinDbg prints them: the kernel `nt`, the HAL `hal`, otherwise the
 * image's base name without its extension; a second module of the same name
 * is `name_<base in hex>`; a module whose name was never revealed is
 * `module_<base in hex>`.  Until a module is learned its addresses are not
 * claimed (no guessing).
 *
 * Bounded: at most KD_MODMAP_MAX modules, a walk visits at most
 * KD_MODMAP_MAX_WALK entries and stops at a loop, at memory not revealed and
 * at a pointer outside what was read; names are cut at KD_MODMAP_NAME - 1.
 */
#ifndef KDPARSE_MODMAP_H
#define KDPARSE_MODMAP_H

#include <stddef.h>
#include <stdint.h>

#include "kdparse/decode.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KD_MODMAP_MAX 4096u
#define KD_MODMAP_MAX_WALK 4096u
#define KD_MODMAP_NAME 64u

/* The KLDR_DATA_TABLE_ENTRY members the walk reads, by pointer size (the
 * offsets and their sources are in modmap.c): InLoadOrderLinks at 0, then
 * DllBase, SizeOfImage (ULONG), BaseDllName (UNICODE_STRING: Length at 0,
 * Buffer at ustr_buffer).  kdsim's target writes its list from the same table. */
typedef struct kd_ldr_layout {
    unsigned ptr, dll_base, size_of_image, base_dll_name, ustr_buffer;
} kd_ldr_layout;
/* 4: the 32-bit layout; anything else the 64-bit one. */
const kd_ldr_layout *kd_ldr_layout_for(unsigned ptr_size);

typedef enum kd_module_source {
    KD_MODSRC_LOAD_SYMBOLS,  /* a LoadSymbols state change */
    KD_MODSRC_KERNEL_BASE,   /* GetVersion's or KDBG's KernBase */
    KD_MODSRC_MODULE_LIST    /* the PsLoadedModuleList walk */
} kd_module_source;

typedef struct kd_module {
    uint64_t base;
    uint32_t size;              /* 0: not known yet (addresses not claimed) */
    char name[KD_MODMAP_NAME];
    uint64_t frame;             /* where it was first learned */
    kd_module_source source;
} kd_module;

typedef struct kd_module_hit {
    const kd_module *mod;
    uint64_t offset;
} kd_module_hit;

typedef struct kd_modmap kd_modmap;

kd_modmap *kd_modmap_new(void);
void kd_modmap_free(kd_modmap *m);

/* A new session: everything learned is forgotten. */
void kd_modmap_reset(kd_modmap *m);

/* Feeds one decoded message (either direction) seen at frame. */
void kd_modmap_feed(kd_modmap *m, const kd_msg *msg, uint64_t frame);

/* The lower-level steps kd_modmap_feed takes (for tests and other feeders). */
void kd_modmap_set_pointer_size(kd_modmap *m, unsigned ptr_size); /* 4 or 8 (default 8) */
void kd_modmap_load_symbols(kd_modmap *m, uint64_t base, uint32_t size, const char *path, size_t path_len,
                            int unload, uint64_t frame);
void kd_modmap_kernel(kd_modmap *m, uint64_t kern_base, uint64_t ps_loaded_module_list, uint64_t frame);
void kd_modmap_memory(kd_modmap *m, uint64_t addr, const uint8_t *bytes, size_t len, uint64_t frame);

/* 0 and *hit filled when a known module holds addr, else -1. */
int kd_modmap_lookup(const kd_modmap *m, uint64_t addr, kd_module_hit *hit);

/* Whether mod has no name of its own yet (a list entry whose BaseDllName
 * was not read: the "module_BASE" placeholder). */
int kd_module_unnamed(const kd_module *mod);

/* The modules by base address. */
size_t kd_modmap_count(const kd_modmap *m);
const kd_module *kd_modmap_at(const kd_modmap *m, size_t i);

/* Whether field f of m holds a virtual address a module may hold (an
 * instruction pointer, a breakpoint, a virtual-memory address, a module or
 * kernel base): the fields shown module-relative.  Physical, I/O and
 * control-space addresses are not. */
int kd_msg_field_is_address(const kd_msg *m, kd_field_id f);

/* Whether bytes field f of m is virtual memory contents (the data of a
 * ReadVirtualMemory reply or a WriteVirtualMemory request): 1, *addr the
 * target address of its first byte and *ptr_size the target's pointer size
 * (4 or 8), else 0. */
int kd_msg_field_memory(const kd_msg *m, kd_field_id f, uint64_t *addr, unsigned *ptr_size);

/* "nt+0x1a5e60" for an address inside a module, else "" (returns the length). */
size_t kd_modmap_format(const kd_modmap *m, uint64_t addr, char *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif
