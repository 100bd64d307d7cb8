/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * modmap.c - the session module map of modmap.h.
 *
 * Modules are kept sorted by base for a binary-search lookup.  The module
 * list is walked again only when a memory reveal could change its result:
 * the reveal touches a page the last walk read, or holds the address where
 * the last walk stopped for want of bytes.
 */
#include "kdparse/modmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdparse/memview.h"
#include "kdparse/wire.h"

/*
 * KLDR_DATA_TABLE_ENTRY: InLoadOrderLinks at 0 (Flink first), then DllBase,
 * SizeOfImage (ULONG) and BaseDllName (UNICODE_STRING: Length USHORT at 0,
 * Buffer at 8 / 4).  Offsets checked against two sources that agree: the
 * PDB dumps in ntdiff/headers (Win7 SP1 x64 ntoskrnl _LDR_DATA_TABLE_ENTRY:
 * DllBase 0x30, SizeOfImage 0x40, BaseDllName 0x58; WinXP SP3 x86: 0x18,
 * 0x20, 0x2c) and Geoff Chappell's LDR_DATA_TABLE_ENTRY page (the same
 * offsets "for all versions"); the kernel's KLDR_DATA_TABLE_ENTRY has
 * ExceptionTable/GpValue/NonPagedDebugInfo where the user-mode entry has its
 * two other LIST_ENTRYs, so these members sit at the same offsets in both.
 */
typedef kd_ldr_layout ldr_layout;
static const ldr_layout ldr64 = {8, 0x30, 0x40, 0x58, 8};
static const ldr_layout ldr32 = {4, 0x18, 0x20, 0x2C, 4};

const kd_ldr_layout *kd_ldr_layout_for(unsigned ptr_size)
{
    return ptr_size == 4 ? &ldr32 : &ldr64;
}

/*
 * KDDEBUGGER_DATA64 / KDDEBUGGER_DATA32 (wdbgexts.h), from its OwnerTag
 * "KDBG" (which follows the header's LIST_ENTRY64 / LIST_ENTRY32): KernBase
 * at tag + 8 in both, PsLoadedModuleList at tag + 0x38 (the block's 0x48) /
 * tag + 0x24 (0x2C).  Every target of the 64-bit protocol, x86 included,
 * keeps the 64-bit block; the NT4/2000 32-bit protocol the 32-bit one.
 */
static const uint8_t kdbg_tag[4] = {'K', 'D', 'B', 'G'};
#define KDBG_KERN_BASE 8u
#define KDBG64_MODULE_LIST 0x38u
#define KDBG32_MODULE_LIST 0x24u

/* PE: e_lfanew at 0x3C; SizeOfImage 56 bytes into the optional header, which
 * follows the 4-byte signature and the 20-byte file header. */
#define PE_LFANEW 0x3Cu
#define PE_SIZE_OF_IMAGE (4u + 20u + 56u)

#define WALK_PAGES 64u
#define NAME_BYTES_MAX 510u /* UTF-16 bytes of a BaseDllName we read at most */

struct kd_modmap {
    kd_memview *mem;
    kd_module mods[KD_MODMAP_MAX];
    size_t n;
    unsigned ptr;            /* the target's pointer size */
    int wide_kdbg;           /* the 64-bit protocol: KDDEBUGGER_DATA64 */
    uint64_t kern_base, module_list;
    int have_kern, have_list, kern_from_version;
    uint64_t kdbg;           /* the tag's address, 0 = none seen */
    /* The last walk: what it read and where it stopped. */
    uint64_t walk_page[WALK_PAGES];
    unsigned nwalk_pages;
    int walk_overflow, walk_dirty;
    uint64_t walk_missing;
    int have_missing;
    uint64_t frame;
};

kd_modmap *kd_modmap_new(void)
{
    kd_modmap *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    if (!(m->mem = kd_memview_new())) {
        free(m);
        return NULL;
    }
    m->ptr = 8;
    m->wide_kdbg = 1;
    return m;
}

void kd_modmap_free(kd_modmap *m)
{
    if (!m)
        return;
    kd_memview_free(m->mem);
    free(m);
}

void kd_modmap_reset(kd_modmap *m)
{
    kd_memview *mem = m->mem;
    kd_memview_clear(mem);
    memset(m, 0, sizeof *m);
    m->mem = mem;
    m->ptr = 8;
    m->wide_kdbg = 1;
}

/* ------------------------------------------------------------ the modules */

static size_t lower_bound(const kd_modmap *m, uint64_t base)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->mods[mid].base < base)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static kd_module *find_base(kd_modmap *m, uint64_t base)
{
    size_t i = lower_bound(m, base);
    return i < m->n && m->mods[i].base == base ? &m->mods[i] : NULL;
}

/* ASCII case-insensitive comparisons (file names on the wire are ASCII here). */
static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int ieq_prefix(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (lower((unsigned char)*s) != lower((unsigned char)*prefix))
            return 0;
    return 1;
}

static int ieq(const char *a, const char *b)
{
    return strlen(a) == strlen(b) && ieq_prefix(a, b);
}

static int name_taken(const kd_modmap *m, const char *name, uint64_t base)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->mods[i].base != base && ieq(m->mods[i].name, name))
            return 1;
    return 0;
}

static int synthetic_name(const kd_module *mod)
{
    return strncmp(mod->name, "module_", 7) == 0;
}

/*
 * WinDbg's module name for an image file name (path or base name, in
 * ASCII): `nt` for the kernel, `hal` for the HAL, else the base name
 * without its extension.  A path names the image even at KernBase: a boot
 * debugger's GetVersion gives winload's base as KernBase, and WinDbg (like
 * the real capture) calls it `winload`; the kernel's own files
 * (ntoskrnl, ntkr*) are `nt` by their name.  Only a nameless image at
 * KernBase is `nt` by its base.
 */
static void module_name(const kd_modmap *m, uint64_t base, const char *file, size_t len, char *out)
{
    if (m->have_kern && base == m->kern_base && len == 0) {
        snprintf(out, KD_MODMAP_NAME, "nt");
        return;
    }
    size_t start = 0;
    for (size_t i = 0; i < len; i++)
        if (file[i] == '\\' || file[i] == '/')
            start = i + 1;
    size_t end = len, dot = len;
    for (size_t i = start; i < len; i++)
        if (file[i] == '.')
            dot = i;
    char stem[KD_MODMAP_NAME], ext[8] = "";
    size_t sn = dot - start < KD_MODMAP_NAME - 1 ? dot - start : KD_MODMAP_NAME - 1;
    memcpy(stem, file + start, sn);
    stem[sn] = 0;
    if (dot < end) {
        size_t en = end - dot - 1 < sizeof ext - 1 ? end - dot - 1 : sizeof ext - 1;
        memcpy(ext, file + dot + 1, en);
        ext[en] = 0;
    }
    if (sn == 0) {
        snprintf(out, KD_MODMAP_NAME, "module_%llx", (unsigned long long)base);
        return;
    }
    if (ieq_prefix(stem, "ntoskrnl") || ieq_prefix(stem, "ntkr")) {
        snprintf(out, KD_MODMAP_NAME, "nt");
        return;
    }
    if (ieq_prefix(stem, "hal") && ieq(ext, "dll")) {
        snprintf(out, KD_MODMAP_NAME, "hal");
        return;
    }
    snprintf(out, KD_MODMAP_NAME, "%s", stem);
}

static void set_name(kd_modmap *m, kd_module *mod, const char *name)
{
    if (name_taken(m, name, mod->base))
        snprintf(mod->name, KD_MODMAP_NAME, "%.*s_%llx", (int)(KD_MODMAP_NAME - 18), name,
                 (unsigned long long)mod->base);
    else
        snprintf(mod->name, KD_MODMAP_NAME, "%s", name);
}

/* Adds or completes the module at base (name NULL: not known). */
static void upsert(kd_modmap *m, uint64_t base, uint32_t size, const char *name, kd_module_source src)
{
    kd_module *mod = find_base(m, base);
    if (!mod) {
        if (m->n == KD_MODMAP_MAX)
            return;
        size_t i = lower_bound(m, base);
        memmove(&m->mods[i + 1], &m->mods[i], (m->n - i) * sizeof m->mods[0]);
        m->n++;
        mod = &m->mods[i];
        memset(mod, 0, sizeof *mod);
        mod->base = base;
        mod->frame = m->frame;
        mod->source = src;
        snprintf(mod->name, KD_MODMAP_NAME, "module_%llx", (unsigned long long)base);
    }
    if (size && !mod->size)
        mod->size = size;
    /* "nt" by base (KernBase, a nameless list entry there) renames only an
     * image no path named (module_name); a kernel's file names it nt. */
    if (name && (synthetic_name(mod) || (strcmp(name, "nt") == 0 && src == KD_MODSRC_LOAD_SYMBOLS)) &&
        strcmp(mod->name, name) != 0)
        set_name(m, mod, name);
}

static void remove_base(kd_modmap *m, uint64_t base)
{
    kd_module *mod = find_base(m, base);
    if (!mod)
        return;
    size_t i = (size_t)(mod - m->mods);
    memmove(&m->mods[i], &m->mods[i + 1], (m->n - i - 1) * sizeof m->mods[0]);
    m->n--;
}

/* ------------------------------------------------------------ revealed memory */

static uint64_t canon(const kd_modmap *m, uint64_t a)
{
    return kd_memview_canon(a, m->ptr);
}

static void walk_note_page(kd_modmap *m, uint64_t addr)
{
    uint64_t pa = addr & ~(uint64_t)(KD_MEMVIEW_PAGE - 1);
    for (unsigned i = 0; i < m->nwalk_pages; i++)
        if (m->walk_page[i] == pa)
            return;
    if (m->nwalk_pages < WALK_PAGES)
        m->walk_page[m->nwalk_pages++] = pa;
    else
        m->walk_overflow = 1;
}

/* Reads n bytes the walk depends on: a miss is where it stopped. */
static int walk_read(kd_modmap *m, uint64_t addr, uint8_t *out, size_t n)
{
    walk_note_page(m, addr);
    walk_note_page(m, addr + n - 1);
    if (kd_memview_read(m->mem, addr, out, n) == 0)
        return 0;
    if (!m->have_missing) {
        m->walk_missing = addr;
        m->have_missing = 1;
    }
    return -1;
}

static int read_ptr(kd_modmap *m, uint64_t addr, unsigned size, uint64_t *out)
{
    uint8_t b[8];
    if (walk_read(m, addr, b, size) != 0)
        return -1;
    *out = canon(m, size == 8 ? kd_le64(b) : kd_le32(b));
    return 0;
}

/* The kernel's SizeOfImage from its PE header, when the debugger read it. */
static uint32_t pe_size_of_image(kd_modmap *m, uint64_t base)
{
    uint8_t b[4];
    if (kd_memview_read(m->mem, base, b, 2) != 0 || b[0] != 'M' || b[1] != 'Z')
        return 0;
    if (kd_memview_read(m->mem, base + PE_LFANEW, b, 4) != 0)
        return 0;
    uint32_t lfanew = kd_le32(b);
    if (lfanew > KD_MEMVIEW_PAGE)
        return 0;
    if (kd_memview_read(m->mem, base + lfanew, b, 4) != 0 || memcmp(b, "PE\0\0", 4) != 0)
        return 0;
    if (kd_memview_read(m->mem, base + lfanew + PE_SIZE_OF_IMAGE, b, 4) != 0)
        return 0;
    return kd_le32(b);
}

/* One KLDR_DATA_TABLE_ENTRY at e; -1 when the walk cannot go on. */
static int walk_entry(kd_modmap *m, const ldr_layout *l, uint64_t e)
{
    uint64_t base, buffer;
    uint8_t b[4];
    if (read_ptr(m, e + l->dll_base, l->ptr, &base) != 0 || walk_read(m, e + l->size_of_image, b, 4) != 0)
        return -1;
    uint32_t size = kd_le32(b);
    if (walk_read(m, e + l->base_dll_name, b, 2) != 0 ||
        read_ptr(m, e + l->base_dll_name + l->ustr_buffer, l->ptr, &buffer) != 0)
        return -1;
    unsigned len = kd_le16(b) & ~1u;
    if (len > NAME_BYTES_MAX)
        len = NAME_BYTES_MAX;
    uint8_t utf16[NAME_BYTES_MAX];
    char file[NAME_BYTES_MAX / 2 + 1];
    const char *name = NULL;
    char nm[KD_MODMAP_NAME];
    int have_missing = m->have_missing;
    if (len > 0 && walk_read(m, buffer, utf16, len) == 0) {
        for (unsigned i = 0; i < len / 2; i++) {
            uint16_t c = kd_le16(utf16 + 2 * i);
            file[i] = c >= 0x20 && c < 0x7F ? (char)c : '?';
        }
        module_name(m, base, file, len / 2, nm);
        name = nm;
    } else if (m->have_kern && base == m->kern_base) {
        name = "nt";
    }
    /* A name buffer not read yet does not stop the walk: remember its page only. */
    m->have_missing = have_missing;
    if (base)
        upsert(m, base, size, name, KD_MODSRC_MODULE_LIST);
    return 0;
}

static void walk(kd_modmap *m)
{
    m->walk_dirty = 0;
    m->nwalk_pages = 0;
    m->walk_overflow = 0;
    m->have_missing = 0;
    if (!m->have_list)
        return;
    const ldr_layout *l = m->ptr == 4 ? &ldr32 : &ldr64;
    const uint64_t head = m->module_list;
    uint64_t e, tortoise;
    if (read_ptr(m, head, l->ptr, &e) != 0)
        return;
    tortoise = e;
    /* Brent's cycle detection: a Flink loop that misses the head ends the walk. */
    for (unsigned steps = 1, power = 1; e != head && steps <= KD_MODMAP_MAX_WALK; steps++) {
        if (walk_entry(m, l, e) != 0)
            return;
        uint64_t next;
        if (read_ptr(m, e, l->ptr, &next) != 0)
            return;
        if (next == tortoise)
            return;
        if (steps == power) {
            tortoise = next;
            power *= 2;
        }
        e = next;
    }
}

static int range_has(uint64_t a, size_t len, uint64_t x)
{
    return x >= a && x - a < len;
}

static int walk_depends_on(const kd_modmap *m, uint64_t a, size_t len)
{
    if (m->walk_overflow || (m->have_missing && range_has(a, len, m->walk_missing)))
        return 1;
    uint64_t first = a & ~(uint64_t)(KD_MEMVIEW_PAGE - 1), last = (a + len - 1) & ~(uint64_t)(KD_MEMVIEW_PAGE - 1);
    for (unsigned i = 0; i < m->nwalk_pages; i++)
        if (m->walk_page[i] >= first && m->walk_page[i] <= last)
            return 1;
    return 0;
}

/* The kernel's module: named nt, sized from its PE header when known. */
static void kernel_module(kd_modmap *m)
{
    if (!m->have_kern)
        return;
    upsert(m, m->kern_base, pe_size_of_image(m, m->kern_base), "nt", KD_MODSRC_KERNEL_BASE);
}

/* A KDDEBUGGER_DATA block whose tag was seen: its KernBase and module list. */
static void try_kdbg(kd_modmap *m)
{
    if (!m->kdbg || m->kern_from_version)
        return;
    unsigned w = m->wide_kdbg ? 8 : 4;
    uint8_t b[8];
    if (kd_memview_read(m->mem, m->kdbg + KDBG_KERN_BASE, b, w) != 0)
        return;
    uint64_t kern = canon(m, w == 8 ? kd_le64(b) : kd_le32(b));
    uint64_t at = m->kdbg + (m->wide_kdbg ? KDBG64_MODULE_LIST : KDBG32_MODULE_LIST);
    if (kd_memview_read(m->mem, at, b, w) != 0)
        return;
    uint64_t list = canon(m, w == 8 ? kd_le64(b) : kd_le32(b));
    if (!kern || !list)
        return;
    m->kern_base = kern;
    m->module_list = list;
    m->have_kern = m->have_list = 1;
    m->walk_dirty = 1;
    m->kdbg = 0;
}

void kd_modmap_set_pointer_size(kd_modmap *m, unsigned ptr_size)
{
    if ((ptr_size == 4 || ptr_size == 8) && ptr_size != m->ptr) {
        m->ptr = ptr_size;
        m->walk_dirty = 1;
    }
}

void kd_modmap_load_symbols(kd_modmap *m, uint64_t base, uint32_t size, const char *path, size_t path_len,
                            int unload, uint64_t frame)
{
    m->frame = frame;
    base = canon(m, base);
    if (unload) {
        remove_base(m, base);
        return;
    }
    char nm[KD_MODMAP_NAME];
    module_name(m, base, path ? path : "", path ? path_len : 0, nm);
    upsert(m, base, size, nm, KD_MODSRC_LOAD_SYMBOLS);
}

void kd_modmap_kernel(kd_modmap *m, uint64_t kern_base, uint64_t ps_loaded_module_list, uint64_t frame)
{
    m->frame = frame;
    m->kern_base = canon(m, kern_base);
    m->have_kern = kern_base != 0;
    m->module_list = canon(m, ps_loaded_module_list);
    m->have_list = ps_loaded_module_list != 0;
    m->kern_from_version = 1;
    kernel_module(m);
    walk(m);
}

void kd_modmap_memory(kd_modmap *m, uint64_t addr, const uint8_t *bytes, size_t len, uint64_t frame)
{
    if (len == 0)
        return;
    m->frame = frame;
    addr = canon(m, addr);
    kd_memview_write(m->mem, addr, bytes, len);
    if (!m->kern_from_version) {
        for (size_t i = 0; i + sizeof kdbg_tag <= len; i++) {
            const uint8_t *p = memchr(bytes + i, 'K', len - i - 3);
            if (!p)
                break;
            i = (size_t)(p - bytes);
            if (memcmp(p, kdbg_tag, sizeof kdbg_tag) == 0)
                m->kdbg = addr + i;
        }
        try_kdbg(m);
    }
    if (m->have_kern) {
        kd_module *k = find_base(m, m->kern_base);
        if (!k || !k->size)
            kernel_module(m);
    }
    if (m->walk_dirty || walk_depends_on(m, addr, len))
        walk(m);
}

/* ------------------------------------------------------------ feeding */

static unsigned pointer_size_of(const kd_msg *msg)
{
    switch (msg->arch) {
    case KD_ARCH_X86:
    case KD_ARCH_ARM:
        return 4;
    case KD_ARCH_AMD64:
    case KD_ARCH_ARM64:
    case KD_ARCH_IA64:
    case KD_ARCH_ALPHA:
        return 8;
    default:
        return msg->width == 32 ? 4 : 0;
    }
}

static uint64_t node_value(const kd_msg *msg, kd_field_id f, int *ok)
{
    const kd_node *n = kd_msg_find(msg, f);
    if (!n)
        *ok = 0;
    return n ? n->value : 0;
}

void kd_modmap_feed(kd_modmap *m, const kd_msg *msg, uint64_t frame)
{
    unsigned ps = pointer_size_of(msg);
    if (ps)
        kd_modmap_set_pointer_size(m, ps);
    if (msg->width == 32 || msg->width == 64)
        m->wide_kdbg = msg->width == 64;
    /* What a corrupted packet says is not what the target said. */
    if (!msg->item || msg->item->kind != KD_ITEM_DATA || (msg->item->flags & KD_ITEM_BAD_CHECKSUM))
        return;
    int ok = 1;
    if ((msg->type == KD_TYPE_STATE_CHANGE64 || msg->type == KD_TYPE_STATE_CHANGE32) &&
        msg->api == KD_STATE_LOAD_SYMBOLS) {
        uint64_t base = node_value(msg, KD_F_LS_BASE_OF_DLL, &ok);
        uint64_t size = node_value(msg, KD_F_LS_SIZE_OF_IMAGE, &ok);
        int unload = kd_msg_find(msg, KD_F_LS_UNLOAD_SYMBOLS) && node_value(msg, KD_F_LS_UNLOAD_SYMBOLS, &ok);
        const kd_node *path = kd_msg_find(msg, KD_F_LS_PATH);
        if (ok)
            kd_modmap_load_symbols(m, base, (uint32_t)size, path ? (const char *)path->data : NULL,
                                   path ? strnlen((const char *)path->data, path->length) : 0, unload, frame);
        return;
    }
    if (msg->type != KD_TYPE_STATE_MANIPULATE || !msg->is_response ||
        msg->track.return_status != KD_STATUS_SUCCESS)
        return;
    if (msg->api == KD_API_GET_VERSION) {
        uint64_t kern, list;
        if (kd_msg_find(msg, KD_F_M_GV_KERN_BASE)) {
            kern = node_value(msg, KD_F_M_GV_KERN_BASE, &ok);
            list = node_value(msg, KD_F_M_GV_PS_LOADED_MODULE_LIST, &ok);
        } else {
            kern = node_value(msg, KD_F_M_GV32_KERN_BASE, &ok);
            list = node_value(msg, KD_F_M_GV32_PS_LOADED_MODULE_LIST, &ok);
        }
        if (ok)
            kd_modmap_kernel(m, kern, list, frame);
    } else if (msg->api == KD_API_READ_VIRTUAL_MEMORY) {
        uint64_t addr = node_value(msg, KD_F_M_RM_TARGET_BASE_ADDRESS, &ok);
        const kd_node *data = kd_msg_find(msg, KD_F_M_RM_DATA);
        if (ok && data && data->data)
            kd_modmap_memory(m, addr, data->data, data->length, frame);
    }
}

/* ------------------------------------------------------------ questions */

int kd_modmap_lookup(const kd_modmap *m, uint64_t addr, kd_module_hit *hit)
{
    addr = kd_memview_canon(addr, m->ptr);
    size_t i = addr == UINT64_MAX ? m->n : lower_bound(m, addr + 1); /* first base > addr */
    while (i > 0) {
        const kd_module *mod = &m->mods[--i];
        if (mod->size && addr - mod->base < mod->size) {
            hit->mod = mod;
            hit->offset = addr - mod->base;
            return 0;
        }
        if (addr - mod->base >= 0x100000000ull)
            break; /* no image is 4 GiB: nothing further down can hold addr */
    }
    return -1;
}

int kd_module_unnamed(const kd_module *mod)
{
    return synthetic_name(mod);
}

size_t kd_modmap_count(const kd_modmap *m)
{
    return m->n;
}

const kd_module *kd_modmap_at(const kd_modmap *m, size_t i)
{
    return i < m->n ? &m->mods[i] : NULL;
}

size_t kd_modmap_format(const kd_modmap *m, uint64_t addr, char *buf, size_t n)
{
    kd_module_hit h;
    if (n == 0)
        return 0;
    buf[0] = 0;
    if (kd_modmap_lookup(m, addr, &h) != 0)
        return 0;
    int k = snprintf(buf, n, "%s+0x%llx", h.mod->name, (unsigned long long)h.offset);
    return k < 0 ? 0 : (size_t)k < n ? (size_t)k : n - 1;
}

int kd_msg_field_is_address(const kd_msg *m, kd_field_id f)
{
    switch (f) {
    case KD_F_M_RM_TARGET_BASE_ADDRESS:
        return m->api == KD_API_READ_VIRTUAL_MEMORY;
    case KD_F_M_WM_TARGET_BASE_ADDRESS:
        return m->api == KD_API_WRITE_VIRTUAL_MEMORY;
    case KD_F_M_WB_BREAK_POINT_ADDRESS:
    case KD_F_M_SIB_BREAKPOINT_ADDRESS:
    case KD_F_M_GIB_BREAKPOINT_ADDRESS:
    case KD_F_M_WCB_BREAK_POINT_ADDRESS:
    case KD_F_M_GV_KERN_BASE:
    case KD_F_M_GV_PS_LOADED_MODULE_LIST:
    case KD_F_M_GV_DEBUGGER_DATA_LIST:
    case KD_F_M_GV32_KERN_BASE:
    case KD_F_M_GV32_PS_LOADED_MODULE_LIST:
    case KD_F_M_GV32_DEBUGGER_DATA_LIST:
    case KD_F_M_SM_SEARCH_ADDRESS:
    case KD_F_M_SM_FOUND_ADDRESS:
    case KD_F_EXCEPTION_ADDRESS:
    case KD_F_LS_BASE_OF_DLL:
    case KD_F_STATE_PROGRAM_COUNTER:
    case KD_F_CTX_EIP:
    case KD_F_CTX_RIP:
    case KD_F_CTX_PC:
        return 1;
    default:
        return 0;
    }
}

int kd_msg_field_memory(const kd_msg *m, kd_field_id f, uint64_t *addr, unsigned *ptr_size)
{
    kd_field_id at;
    if (f == KD_F_M_RM_DATA && m->api == KD_API_READ_VIRTUAL_MEMORY)
        at = KD_F_M_RM_TARGET_BASE_ADDRESS;
    else if (f == KD_F_M_WM_DATA && m->api == KD_API_WRITE_VIRTUAL_MEMORY)
        at = KD_F_M_WM_TARGET_BASE_ADDRESS;
    else
        return 0;
    const kd_node *n = kd_msg_find(m, at);
    if (!n)
        return 0;
    unsigned ps = pointer_size_of(m);
    *addr = n->value;
    *ptr_size = ps ? ps : 8;
    return 1;
}
