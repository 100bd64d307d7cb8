/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Module map and revealed-memory tests.  The target's memory is written by
 * hand here, at offsets taken from the layouts themselves (PDB dumps of
 * _LDR_DATA_TABLE_ENTRY: x64 DllBase 0x30, SizeOfImage 0x40, BaseDllName
 * 0x58 with its Buffer at +8; x86 0x18, 0x20, 0x2C with Buffer at +4;
 * KDDEBUGGER_DATA64: OwnerTag 0x10, KernBase 0x18, PsLoadedModuleList 0x48;
 * KDDEBUGGER_DATA32: OwnerTag 0x08, KernBase 0x10, PsLoadedModuleList
 * 0x2C), not from modmap.c's tables, and revealed the way a debugger reads
 * it: in pieces, out of order, split across replies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kdsession.h"
#include "kdparse/memview.h"
#include "kdparse/identity.h"
#include "kdparse/modmap.h"

/* ------------------------------------------------------------ a hand-made target */

#define IMG 0x2000u
typedef struct img {
    uint64_t base;
    uint8_t b[IMG];
} img;

static void put(img *m, uint64_t a, uint64_t v, unsigned n)
{
    assert_true(a >= m->base && a - m->base + n <= IMG);
    for (unsigned i = 0; i < n; i++)
        m->b[a - m->base + i] = (uint8_t)(v >> (8 * i));
}

static void put_utf16(img *m, uint64_t a, const char *s)
{
    for (size_t i = 0; s[i]; i++)
        put(m, a + 2 * i, (uint8_t)s[i], 2);
}

/* An x64 entry at e: Flink, DllBase, SizeOfImage, BaseDllName -> buf. */
static void ldr64(img *m, uint64_t e, uint64_t flink, uint64_t base, uint32_t size, uint64_t buf, const char *name)
{
    put(m, e + 0x00, flink, 8);
    put(m, e + 0x30, base, 8);
    put(m, e + 0x40, size, 4);
    put(m, e + 0x58, 2 * strlen(name), 2);
    put(m, e + 0x5A, 2 * strlen(name) + 2, 2);
    put(m, e + 0x60, buf, 8);
    put_utf16(m, buf, name);
}

static void ldr32(img *m, uint64_t e, uint32_t flink, uint32_t base, uint32_t size, uint32_t buf, const char *name)
{
    put(m, e + 0x00, flink, 4);
    put(m, e + 0x18, base, 4);
    put(m, e + 0x20, size, 4);
    put(m, e + 0x2C, 2 * strlen(name), 2);
    put(m, e + 0x2E, 2 * strlen(name) + 2, 2);
    put(m, e + 0x30, buf, 4);
    put_utf16(m, buf, name);
}

/* The debugger reads [a, a + n) of the image. */
static void reveal(kd_modmap *mm, const img *m, uint64_t a, size_t n, uint64_t frame)
{
    kd_modmap_memory(mm, a, m->b + (a - m->base), n, frame);
}

static void assert_at(const kd_modmap *mm, uint64_t addr, const char *want)
{
    char buf[96];
    kd_modmap_format(mm, addr, buf, sizeof buf);
    assert_string_equal(buf, want);
}

#define POOL 0xFFFFA00000100000ull
#define NT 0xFFFFF80123400000ull
#define HAL 0xFFFFF80123000000ull
#define DRV 0xFFFFF80999990000ull
#define HEAD (POOL + 0x10)

/* head -> nt -> hal -> mydrv -> head, names in a string area. */
static void make_list64(img *m)
{
    memset(m, 0, sizeof *m);
    m->base = POOL;
    put(m, HEAD, POOL + 0x100, 8);
    ldr64(m, POOL + 0x100, POOL + 0x200, NT, 0x800000, POOL + 0x1000, "ntoskrnl.exe");
    ldr64(m, POOL + 0x200, POOL + 0x300, HAL, 0x60000, POOL + 0x1100, "hal.dll");
    ldr64(m, POOL + 0x300, HEAD, DRV, 0x8000, POOL + 0x1200, "mydrv.sys");
}

/* ------------------------------------------------------------ tests */

static void test_walk_64_in_pieces(void **state)
{
    (void)state;
    static img m;
    make_list64(&m);
    kd_modmap *mm = kd_modmap_new();
    kd_modmap_kernel(mm, NT, HEAD, 10);
    /* Only the kernel is known, and without a size nothing is claimed yet. */
    assert_int_equal(kd_modmap_count(mm), 1);
    assert_at(mm, NT + 0x10, "");
    /* Names first, then the entries in two halves each, out of order. */
    reveal(mm, &m, POOL + 0x1000, 0x300, 11);
    reveal(mm, &m, POOL + 0x330, 0x40, 12);
    reveal(mm, &m, POOL + 0x300, 0x30, 13);
    reveal(mm, &m, POOL + 0x200, 0x70, 14);
    assert_at(mm, DRV + 0x10, ""); /* mydrv's entry is there, the path to it is not */
    reveal(mm, &m, HEAD, 8, 15);
    reveal(mm, &m, POOL + 0x100, 0x70, 16);
    assert_int_equal(kd_modmap_count(mm), 3);
    assert_at(mm, NT + 0x1a5e60, "nt+0x1a5e60");
    assert_at(mm, HAL, "hal+0x0");
    assert_at(mm, DRV + 0x1140, "mydrv+0x1140");
    assert_at(mm, DRV + 0x8000, ""); /* one past its end */
    assert_at(mm, 0xFFFFF80000000000ull, "");
    kd_module_hit h;
    assert_int_equal(kd_modmap_lookup(mm, DRV + 4, &h), 0);
    assert_int_equal(h.mod->frame, 16);
    assert_int_equal(h.mod->source, KD_MODSRC_MODULE_LIST);
    assert_int_equal(h.mod->size, 0x8000);
    assert_int_equal(kd_modmap_lookup(mm, NT, &h), 0);
    assert_int_equal(h.mod->frame, 10);
    assert_int_equal(h.mod->source, KD_MODSRC_KERNEL_BASE);
    kd_modmap_free(mm);
}

static void test_name_never_read(void **state)
{
    (void)state;
    static img m;
    make_list64(&m);
    kd_modmap *mm = kd_modmap_new();
    kd_modmap_load_symbols(mm, HAL, 0x60000, "\\SystemRoot\\system32\\halmacpi.dll", 33, 0, 3);
    kd_modmap_kernel(mm, NT, HEAD, 4);
    reveal(mm, &m, HEAD, 8, 5);
    reveal(mm, &m, POOL + 0x100, 0x300, 6); /* entries, no names */
    assert_at(mm, HAL + 0x2f00, "hal+0x2f00");             /* from LoadSymbols */
    assert_at(mm, DRV + 0x10, "module_fffff80999990000+0x10"); /* never named */
    assert_at(mm, NT + 1, "nt+0x1");                         /* the kernel is nt anyway */
    /* The name buffer read later names it. */
    reveal(mm, &m, POOL + 0x1200, 0x20, 7);
    assert_at(mm, DRV + 0x10, "mydrv+0x10");
    kd_modmap_free(mm);
}

static void test_loop_and_bad_flink(void **state)
{
    (void)state;
    static img m;
    make_list64(&m);
    put(&m, POOL + 0x300, POOL + 0x200, 8); /* mydrv -> hal: a loop that misses the head */
    kd_modmap *mm = kd_modmap_new();
    kd_modmap_kernel(mm, NT, HEAD, 1);
    reveal(mm, &m, POOL, IMG, 2);
    assert_int_equal(kd_modmap_count(mm), 3);
    assert_at(mm, DRV + 1, "mydrv+0x1");
    kd_modmap_free(mm);

    make_list64(&m);
    put(&m, POOL + 0x200, 0xFFFF123400000000ull, 8); /* hal -> somewhere never read */
    mm = kd_modmap_new();
    kd_modmap_kernel(mm, NT, HEAD, 1);
    reveal(mm, &m, POOL, IMG, 2);
    assert_int_equal(kd_modmap_count(mm), 2);
    assert_at(mm, HAL + 1, "hal+0x1");
    assert_at(mm, DRV + 1, "");
    /* A self-loop on the first entry. */
    make_list64(&m);
    put(&m, POOL + 0x100, POOL + 0x100, 8);
    kd_modmap_reset(mm);
    kd_modmap_kernel(mm, NT, HEAD, 1);
    reveal(mm, &m, POOL, IMG, 2);
    assert_int_equal(kd_modmap_count(mm), 1);
    kd_modmap_free(mm);
}

static void test_walk_32(void **state)
{
    (void)state;
    static img m;
    memset(&m, 0, sizeof m);
    m.base = 0x80550000u;
    const uint32_t head = 0x80550010u, nt = 0x804D7000u, hal = 0x806E5000u;
    put(&m, head, 0x80550100u, 4);
    ldr32(&m, 0x80550100u, 0x80550200u, nt, 0x1F8580, 0x80551000u, "ntkrnlpa.exe");
    ldr32(&m, 0x80550200u, head, hal, 0x20380, 0x80551100u, "halaacpi.dll");
    kd_modmap *mm = kd_modmap_new();
    kd_modmap_set_pointer_size(mm, 4);
    /* The 64-bit protocol sign-extends a 32-bit target's addresses. */
    kd_modmap_kernel(mm, 0xFFFFFFFF804D7000ull, 0xFFFFFFFF80550010ull, 1);
    reveal(mm, &m, 0x80550000u, IMG, 2);
    assert_int_equal(kd_modmap_count(mm), 2);
    assert_at(mm, 0xFFFFFFFF804D7123ull, "nt+0x123");
    assert_at(mm, 0x806E5010u, "hal+0x10");
    kd_modmap_free(mm);
}

static void test_kdbg_without_version(void **state)
{
    (void)state;
    static img m;
    make_list64(&m);
    /* KDDEBUGGER_DATA64 at POOL + 0x1800: tag at +0x10, KernBase +0x18, list +0x48. */
    memcpy(m.b + 0x1810, "KDBG", 4);
    put(&m, POOL + 0x1814, 0x340, 4);
    put(&m, POOL + 0x1818, NT, 8);
    put(&m, POOL + 0x1848, HEAD, 8);
    kd_modmap *mm = kd_modmap_new();
    reveal(mm, &m, POOL, 0x1800, 1);   /* the list first: no head known yet */
    assert_int_equal(kd_modmap_count(mm), 0);
    reveal(mm, &m, POOL + 0x1800, 0x20, 2); /* the tag and KernBase, not the list pointer */
    assert_int_equal(kd_modmap_count(mm), 0);
    reveal(mm, &m, POOL + 0x1820, 0x100, 3);
    assert_int_equal(kd_modmap_count(mm), 3);
    assert_at(mm, NT + 0x99, "nt+0x99");
    assert_at(mm, DRV, "mydrv+0x0");
    kd_modmap_free(mm);

    /* KDDEBUGGER_DATA32 (the NT4/2000 protocol): tag at +0x08, KernBase +0x10, list +0x2C. */
    memset(&m, 0, sizeof m);
    m.base = 0x80550000u;
    put(&m, 0x80550010u, 0x80550100u, 4);
    ldr32(&m, 0x80550100u, 0x80550010u, 0x80400000u, 0x1A0000, 0x80551000u, "ntoskrnl.exe");
    memcpy(m.b + 0x1808, "KDBG", 4);
    put(&m, 0x80551810u, 0x80400000u, 4);
    put(&m, 0x8055182Cu, 0x80550010u, 4);
    mm = kd_modmap_new();
    kd_modmap_set_pointer_size(mm, 4);
    kd_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.width = 32; /* feeding a message of the 32-bit protocol says which block */
    kd_modmap_feed(mm, &msg, 1);
    reveal(mm, &m, 0x80550000u, IMG, 2);
    assert_at(mm, 0x80400010u, "nt+0x10");
    kd_modmap_free(mm);
}

static void test_kernel_size_from_pe(void **state)
{
    (void)state;
    static img k;
    memset(&k, 0, sizeof k);
    k.base = NT;
    k.b[0] = 'M';
    k.b[1] = 'Z';
    put(&k, NT + 0x3C, 0x108, 4);
    memcpy(k.b + 0x108, "PE\0\0", 4);
    put(&k, NT + 0x108 + 4 + 20 + 56, 0x00A4F000, 4); /* OptionalHeader.SizeOfImage */
    kd_modmap *mm = kd_modmap_new();
    kd_modmap_kernel(mm, NT, 0, 1);
    assert_at(mm, NT + 0x10, "");
    reveal(mm, &k, NT, 0x200, 2);
    assert_at(mm, NT + 0x1a5e60, "nt+0x1a5e60");
    assert_at(mm, NT + 0xA4F000, "");
    kd_modmap_free(mm);
}

static void test_load_symbols_names(void **state)
{
    (void)state;
    kd_modmap *mm = kd_modmap_new();
    const char *p1 = "\\Windows\\System32\\winload.efi";
    kd_modmap_load_symbols(mm, 0x96f000, 0x12d000, p1, strlen(p1), 0, 5);
    assert_at(mm, 0x96f000, "winload+0x0");
    assert_at(mm, 0x96f0e8, "winload+0xe8");
    const char *p2 = "\\SystemRoot\\system32\\ntoskrnl.exe";
    kd_modmap_load_symbols(mm, NT, 0x800000, p2, strlen(p2), 0, 6);
    assert_at(mm, NT + 8, "nt+0x8");
    const char *p3 = "\\SystemRoot\\system32\\drivers\\kdcom.dll";
    kd_modmap_load_symbols(mm, DRV, 0x1000, p3, strlen(p3), 0, 7);
    assert_at(mm, DRV + 8, "kdcom+0x8");
    /* A second image of the same name: WinDbg appends the base. */
    const char *p4 = "\\??\\C:\\other\\kdcom.dll";
    kd_modmap_load_symbols(mm, 0xFFFFF80AAAA00000ull, 0x1000, p4, strlen(p4), 0, 8);
    assert_at(mm, 0xFFFFF80AAAA00010ull, "kdcom_fffff80aaaa00000+0x10");
    assert_int_equal(kd_modmap_count(mm), 4);
    /* Unload removes it. */
    kd_modmap_load_symbols(mm, DRV, 0, NULL, 0, 1, 9);
    assert_at(mm, DRV + 8, "");
    assert_int_equal(kd_modmap_count(mm), 3);
    kd_module_hit h;
    assert_int_equal(kd_modmap_lookup(mm, 0x96f100, &h), 0);
    assert_int_equal(h.mod->frame, 5);
    assert_int_equal(h.mod->source, KD_MODSRC_LOAD_SYMBOLS);
    kd_modmap_free(mm);
}

/* A boot debugger: GetVersion's KernBase is winload's base (the real
 * capture); the image a LoadSymbols named keeps its name, and a nameless
 * image at KernBase is nt. */
static void test_kern_base_keeps_loader_name(void **state)
{
    (void)state;
    kd_modmap *mm = kd_modmap_new();
    const char *p1 = "winload.efi";
    kd_modmap_load_symbols(mm, 0x96f000, 0x17d000, p1, strlen(p1), 0, 8);
    kd_modmap_kernel(mm, 0x96f000, 0, 12);
    assert_at(mm, 0x96f0e8, "winload+0xe8");
    kd_modmap_reset(mm);
    kd_modmap_kernel(mm, NT, 0, 1);
    kd_modmap_load_symbols(mm, NT, 0x800000, NULL, 0, 0, 2);
    assert_at(mm, NT + 0x10, "nt+0x10");
    kd_modmap_free(mm);
}

static void test_memview_bounded(void **state)
{
    (void)state;
    kd_memview *v = kd_memview_new();
    uint8_t page[KD_MEMVIEW_PAGE], out[16];
    for (unsigned i = 0; i < 3 * KD_MEMVIEW_PAGES; i++) {
        memset(page, (int)(i & 0xFF), sizeof page);
        kd_memview_write(v, 0x100000000ull + (uint64_t)i * KD_MEMVIEW_PAGE, page, sizeof page);
        assert_true(kd_memview_pages(v) <= KD_MEMVIEW_PAGES);
    }
    assert_int_equal(kd_memview_pages(v), KD_MEMVIEW_PAGES);
    /* The newest page is there, the oldest are gone. */
    uint64_t last = 0x100000000ull + (uint64_t)(3 * KD_MEMVIEW_PAGES - 1) * KD_MEMVIEW_PAGE;
    assert_int_equal(kd_memview_read(v, last + 100, out, 16), 0);
    assert_int_equal(out[0], (3 * KD_MEMVIEW_PAGES - 1) & 0xFF);
    assert_int_equal(kd_memview_read(v, 0x100000000ull, out, 16), -1);
    /* Partly known ranges are not known; a range across two pages is. */
    kd_memview_clear(v);
    kd_memview_write(v, 0x1FFA, (const uint8_t *)"abcdefghijkl", 12);
    assert_int_equal(kd_memview_read(v, 0x1FFA, out, 12), 0);
    assert_memory_equal(out, "abcdefghijkl", 12);
    assert_int_equal(kd_memview_read(v, 0x1FF9, out, 2), -1);
    assert_int_equal(kd_memview_read(v, 0x2005, out, 2), -1);
    /* The top of the address space does not wrap. */
    kd_memview_write(v, UINT64_MAX - 1, (const uint8_t *)"xyzw", 4);
    assert_int_equal(kd_memview_read(v, UINT64_MAX - 1, out, 2), 0);
    assert_int_equal(kd_memview_read(v, 0, out, 2), -1);
    kd_memview_free(v);
}

/* ------------------------------------------------------------ fed from real sessions */

static int feed_cb(const kd_msg *msg, const kd_annot *a, uint64_t frame, void *user)
{
    (void)a;
    kd_modmap_feed(user, msg, frame);
    return 0;
}

static kd_modmap *feed_sample(const char *name)
{
    char path[1024], err[256];
    snprintf(path, sizeof path, "%s/captures/%s", KDSCOPE_SRC, name);
    kd_modmap *mm = kd_modmap_new();
    kdsession_opts o = {0};
    assert_int_equal(kdsession_read(path, &o, feed_cb, mm, err, sizeof err), 0);
    return mm;
}

static void test_feed_kdsim_sessions(void **state)
{
    (void)state;
    /* captures/README.md: nt at 0xfffff80002a00000 (0x800000), hal at 0xfffff80003400000. */
    kd_modmap *mm = feed_sample("kdsim-amd64-boot.pcapng");
    assert_at(mm, 0xfffff80002a01010ull, "nt+0x1010");
    assert_at(mm, 0xfffff80003400040ull, "hal+0x40");
    assert_at(mm, 0xfffff80003480000ull, "");
    kd_module_hit h;
    assert_int_equal(kd_modmap_lookup(mm, 0xfffff80002a00000ull, &h), 0);
    assert_int_equal(h.mod->frame, 2); /* the first LoadSymbols */
    kd_modmap_free(mm);
    /* x86 in the 64-bit protocol: sign-extended addresses name the same modules. */
    mm = feed_sample("kdsim-x86-xp.pcapng");
    assert_at(mm, 0xffffffff80801000ull, "nt+0x1000");
    assert_at(mm, 0x81200010ull, "hal+0x10");
    kd_modmap_free(mm);
    /* A LoadSymbols with a bad checksum teaches nothing; its retransmission does. */
    mm = feed_sample("kdsim-noisy.pcapng");
    assert_int_equal(kd_modmap_lookup(mm, 0xfffff80003400000ull, &h), 0);
    assert_int_equal(h.mod->frame, 10);
    kd_modmap_free(mm);
}

/* kddiff --rebase's view of memory contents (identity.h's word hook): a
 * ReadVirtualMemory reply whose bytes hold a pointer into kdtest.sys, the
 * driver at two bases.  The reply starts 4 bytes before an 8-byte boundary,
 * so the pointer at offset 4 is the one aligned word. */
static uint64_t word_in_module(const kd_msg *m, kd_field_id f, uint64_t addr, uint64_t v, int *changed,
                               const char **name, void *user)
{
    (void)m;
    (void)f;
    (void)addr;
    kd_module_hit h;
    if (kd_modmap_lookup(user, v, &h) != 0)
        return v;
    *changed = 1;
    *name = h.mod->name;
    return h.offset;
}

typedef struct runs {
    size_t off[8], len[8];
    int word[8];
    char name[8][32];
    uint64_t v[8];
    int n;
} runs;

static void note_run(size_t off, const uint8_t *bytes, size_t len, const char *name, uint64_t v, int word, void *user)
{
    (void)bytes;
    runs *r = user;
    assert_true(r->n < 8);
    r->off[r->n] = off;
    r->len[r->n] = len;
    r->word[r->n] = word;
    snprintf(r->name[r->n], sizeof r->name[0], "%s", name ? name : "");
    r->v[r->n++] = v;
}

static void read_reply(kd_msg *m, kd_item *it, uint8_t *data, uint64_t base, uint64_t off)
{
    static const uint8_t fixed[24] = {0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0, 0, 0, 0, 0,
                                      0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01, 0xaa, 0xbb, 0xcc, 0xdd};
    memcpy(data, fixed, sizeof fixed);
    for (unsigned k = 0; k < 8; k++)
        data[4 + k] = (uint8_t)((base + off) >> (8 * k));
    *it = (kd_item){.kind = KD_ITEM_DATA, .dir = KD_DIR_T2D, .has_header = 1, .type = KD_TYPE_STATE_MANIPULATE};
    *m = (kd_msg){.item = it, .arch = KD_ARCH_AMD64, .width = 64, .type = KD_TYPE_STATE_MANIPULATE,
                  .api = KD_API_READ_VIRTUAL_MEMORY, .is_response = 1, .n = 2};
    m->nodes[0] = (kd_node){.field = KD_F_M_RM_TARGET_BASE_ADDRESS, .value = 0xfffff800a0000204ull};
    m->nodes[1] = (kd_node){.field = KD_F_M_RM_DATA, .length = sizeof fixed, .data = data};
}

/* kddiff names classes from a kind: kd_identity_kind_split undoes
 * kd_identity_kind for a data packet, a headerless data item and an ACK. */
static void test_identity_kind_split(void **state)
{
    (void)state;
    kd_item it = {.kind = KD_ITEM_DATA, .dir = KD_DIR_T2D, .has_header = 1, .type = KD_TYPE_STATE_MANIPULATE};
    kd_msg m = {.item = &it, .type = KD_TYPE_STATE_MANIPULATE, .api = KD_API_GET_VERSION};
    kd_identity_class c = kd_identity_kind_split(kd_identity_kind(&m));
    assert_int_equal(c.dir, KD_DIR_T2D);
    assert_true(c.is_data);
    assert_int_equal(c.item, KD_ITEM_DATA);
    assert_int_equal(c.type, KD_TYPE_STATE_MANIPULATE);
    assert_int_equal(c.api, KD_API_GET_VERSION);

    it.has_header = 0;
    it.dir = KD_DIR_D2T;
    c = kd_identity_kind_split(kd_identity_kind(&m));
    assert_int_equal(c.dir, KD_DIR_D2T);
    assert_true(c.is_data);
    assert_int_equal(c.type, 0xFFF);

    kd_item ack = {.kind = KD_ITEM_CONTROL, .dir = KD_DIR_D2T, .type = KD_TYPE_ACKNOWLEDGE};
    kd_msg am = {.item = &ack};
    c = kd_identity_kind_split(kd_identity_kind(&am));
    assert_int_equal(c.dir, KD_DIR_D2T);
    assert_false(c.is_data);
    assert_int_equal(c.item, KD_ITEM_CONTROL);
    assert_int_equal(c.type, KD_TYPE_ACKNOWLEDGE);
    assert_int_equal(c.api, 0);
}

static void test_identity_rebases_memory_words(void **state)
{
    (void)state;
    static const char path[] = "\\SystemRoot\\system32\\drivers\\kdtest.sys";
    kd_modmap *ma = kd_modmap_new(), *mb = kd_modmap_new();
    assert_non_null(ma);
    assert_non_null(mb);
    kd_modmap_load_symbols(ma, 0xfffff80090010000ull, 0x10000, path, sizeof path - 1, 0, 1);
    kd_modmap_load_symbols(mb, 0xfffff80095530000ull, 0x10000, path, sizeof path - 1, 0, 1);
    kd_msg a, b, c;
    kd_item ia, ib, ic;
    uint8_t da[24], db[24], dc[24];
    read_reply(&a, &ia, da, 0xfffff80090010000ull, 0x1100);
    read_reply(&b, &ib, db, 0xfffff80095530000ull, 0x1100);
    read_reply(&c, &ic, dc, 0xfffff80095530000ull, 0x1120);
    assert_memory_not_equal(da, db, sizeof da);

    kd_identity_opts ra = {.word = word_in_module, .user = ma}, rb = {.word = word_in_module, .user = mb};
    kd_identity xa, xb, xc;
    kd_identity_of(&a, &ra, &xa);
    kd_identity_of(&b, &rb, &xb);
    kd_identity_of(&c, &rb, &xc);
    assert_true(xa.ident == xb.ident);
    assert_true(xa.content == xb.content);   /* kdtest+0x1100 on both sides */
    assert_true(xa.content != xc.content);   /* kdtest+0x1120 is another pointer */
    kd_identity_of(&a, NULL, &xa);
    kd_identity_of(&b, NULL, &xb);
    assert_true(xa.content != xb.content);   /* without the hook: raw bytes */

    runs r = {0};
    assert_int_equal(kd_identity_memory_words(&a, &a.nodes[1], &ra, note_run, &r), 1);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.off[0], 0);
    assert_int_equal(r.len[0], 4);
    assert_int_equal(r.word[0], 0);
    assert_int_equal(r.off[1], 4);
    assert_int_equal(r.len[1], 8);
    assert_int_equal(r.word[1], 1);
    assert_string_equal(r.name[1], "kdtest");
    assert_int_equal(r.v[1], 0x1100);
    assert_int_equal(r.off[2], 12);
    assert_int_equal(r.len[2], 12);
    assert_int_equal(r.word[2], 0);
    /* Not virtual memory (a physical read): no words. */
    a.api = KD_API_READ_PHYSICAL_MEMORY;
    r.n = 0;
    assert_int_equal(kd_identity_memory_words(&a, &a.nodes[1], &ra, note_run, &r), 0);
    assert_int_equal(r.n, 0);
    kd_modmap_free(ma);
    kd_modmap_free(mb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_64_in_pieces),
        cmocka_unit_test(test_name_never_read),
        cmocka_unit_test(test_loop_and_bad_flink),
        cmocka_unit_test(test_walk_32),
        cmocka_unit_test(test_kdbg_without_version),
        cmocka_unit_test(test_kernel_size_from_pe),
        cmocka_unit_test(test_load_symbols_names),
        cmocka_unit_test(test_kern_base_keeps_loader_name),
        cmocka_unit_test(test_memview_bounded),
        cmocka_unit_test(test_feed_kdsim_sessions),
        cmocka_unit_test(test_identity_rebases_memory_words),
        cmocka_unit_test(test_identity_kind_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
