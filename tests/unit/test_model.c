/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsim model tests.  Requests are built with the encoder (dir d2t) and
 * decoded frame-free, as a link layer would hand them over; every reply and
 * event is framed (kdsim_msg_encode), decoded again and checked through the
 * decoder's nodes.  Every decoded message must be free of problems and no
 * body may exceed 4000 bytes.
 *
 * The memory checks read Windows structures the model documents (PE header,
 * KDDEBUGGER_DATA64/32, KLDR_DATA_TABLE_ENTRY) at their Windows offsets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kdparse/decode.h"
#include "kdparse/encode.h"
#include "kdparse/wire.h"
#include "model.h"

#define ST_SUCCESS 0x00000000u
#define ST_UNSUCCESSFUL 0xC0000001u
#define ST_INVALID_PARAMETER 0xC000000Du
#define ST_NO_SUCH_DEVICE 0xC000000Eu
#define ST_NOT_FOUND 0xC0000225u
#define ST_BREAKPOINT 0x80000003u
#define ST_SINGLE_STEP 0x80000004u
#define DBG_CONTINUE 0x00010002u
#define DBG_EXCEPTION_NOT_HANDLED 0x80010001u

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ harness */

typedef struct harness {
    kdsim_model *m;
    kd_decode_opts o;
    kdsim_model_info info;
    uint32_t allow; /* decode problems tolerated in the next reply */
    uint8_t rq_bytes[KD_ITEM_MAX_BYTES];
    kd_item rq_item;
    kd_msg rq;
    kdsim_msg out;
    uint8_t rp_bytes[KD_ITEM_MAX_BYTES];
    long rp_len;
    kd_item rp_item;
    kd_msg rp;
} harness;

static harness *h_new_opts(const kdsim_model_opts *o)
{
    harness *h = calloc(1, sizeof *h);
    assert_non_null(h);
    h->m = kdsim_model_new(o);
    assert_non_null(h->m);
    h->o = kdsim_model_decode_opts(h->m);
    h->info = kdsim_model_get_info(h->m);
    return h;
}

static harness *h_new(kd_arch arch, int p32, uint64_t seed)
{
    kdsim_model_opts o = {.arch = arch, .protocol32 = p32, .seed = seed};
    return h_new_opts(&o);
}

static void h_free(harness *h)
{
    kdsim_model_free(h->m);
    free(h);
}

/* Frames the model's message and decodes it into h->rp. */
static void h_take(harness *h)
{
    h->rp_len = kdsim_msg_encode(&h->out, 0x80800001u, KD_TRANSPORT_SERIAL, h->rp_bytes, sizeof h->rp_bytes);
    assert_true(h->rp_len > 0);
    h->rp_item = kd_item_from_bytes(h->rp_bytes, (size_t)h->rp_len, KD_ITEM_DATA, 0, KD_DIR_T2D);
    assert_true(h->rp_item.body_len <= KD_PACKET_MAX_SIZE);
    assert_int_equal(h->rp_item.body_len, h->rp_item.byte_count);
    assert_int_equal(h->rp_item.checksum, h->rp_item.computed_checksum);
    kd_decode(&h->rp_item, &h->o, &h->rp);
    if (h->rp.problems & ~h->allow)
        fail_msg("reply to 0x%x: decode problems 0x%x", (unsigned)h->rp.api, (unsigned)h->rp.problems);
    h->allow = 0;
}

static int h_event(harness *h)
{
    int r = kdsim_model_next_event(h->m, &h->out);
    if (r)
        h_take(h);
    return r;
}

static void h_encode_request(harness *h, uint32_t api, const kd_enc_field *f, size_t nf, const void *data,
                             size_t len)
{
    kd_enc_msg e = {.type = KD_TYPE_STATE_MANIPULATE, .id = 0x80800000u, .dir = KD_DIR_D2T,
                    .arch = h->o.arch, .width = h->o.width, .api = api, .fields = f, .n_fields = nf,
                    .data = data, .data_len = len};
    long n = kd_encode(&e, KD_TRANSPORT_SERIAL, h->rq_bytes, sizeof h->rq_bytes);
    assert_true(n > 0);
    h->rq_item = kd_item_from_bytes(h->rq_bytes, (size_t)n, KD_ITEM_DATA, 0, KD_DIR_D2T);
    kd_decode(&h->rq_item, &h->o, &h->rq);
}

/* Sends a request; returns what kdsim_model_handle returned (the reply is in h->rp). */
static int h_req(harness *h, uint32_t api, const kd_enc_field *f, size_t nf, const void *data, size_t len)
{
    h_encode_request(h, api, f, nf, data, len);
    int r = kdsim_model_handle(h->m, &h->rq, &h->out);
    if (r) {
        h_take(h);
        assert_int_equal(h->rp.type, KD_TYPE_STATE_MANIPULATE);
        assert_int_equal(h->rp.api, api);
        assert_true(h->rp.is_response);
    }
    return r;
}

static const kd_node *rnode(harness *h, kd_field_id f)
{
    const kd_node *n = kd_msg_find(&h->rp, f);
    if (!n)
        fail_msg("%s missing in the message (api 0x%x)", kd_fields[f].abbrev, (unsigned)h->rp.api);
    return n;
}

static uint64_t rval(harness *h, kd_field_id f)
{
    return rnode(h, f)->value;
}

static uint32_t rstatus(harness *h)
{
    return (uint32_t)rval(h, KD_F_M_RETURN_STATUS);
}

/* Bytes after the header of the last message. */
static const uint8_t *rdata(harness *h, size_t *len)
{
    size_t hdr = kd_body_header_size(h->rp.type, h->rp.width);
    *len = h->rp_item.body_len > hdr ? h->rp_item.body_len - hdr : 0;
    return h->rp_item.body + hdr;
}

static uint64_t sx(const harness *h, uint64_t a)
{
    return h->o.arch == KD_ARCH_X86 ? (uint64_t)(int64_t)(int32_t)(uint32_t)a : a;
}

static unsigned psz(const harness *h)
{
    return h->o.arch == KD_ARCH_X86 ? 4 : 8;
}

static void h_continue(harness *h)
{
    kd_enc_field f[] = {{KD_F_M_C_CONTINUE_STATUS, DBG_CONTINUE}};
    assert_int_equal(h_req(h, KD_API_CONTINUE, f, N(f), NULL, 0), 0);
}

static void h_continue2(harness *h, uint32_t st, int trace)
{
    kd_enc_field f[] = {{KD_F_M_C2_CONTINUE_STATUS, st}, {KD_F_CS_TRACE_FLAG, (uint64_t)trace}};
    assert_int_equal(h_req(h, KD_API_CONTINUE2, f, N(f), NULL, 0), 0);
}

static int is_state_change(const harness *h)
{
    return h->rp.type == KD_TYPE_STATE_CHANGE64 || h->rp.type == KD_TYPE_STATE_CHANGE32;
}

/* Boot to the initial breakpoint (checked in detail by test_boot_sequence). */
static void h_boot(harness *h)
{
    for (int i = 0; i < 3; i++) {
        assert_int_equal(h_event(h), 1);
        assert_true(is_state_change(h));
        if (i < 2)
            h_continue(h);
    }
    assert_int_equal(h->rp.api, KD_STATE_EXCEPTION);
}

/*
 * After a resume: takes events until the next state change (returns 1) or
 * until the target waits (returns 0).  Prompts are answered with "x"; prints
 * are counted in *prints when given.
 */
static int h_next_stop(harness *h, int *prints)
{
    for (int i = 0; i < 16; i++) {
        if (!h_event(h))
            return 0;
        if (is_state_change(h))
            return 1;
        assert_int_equal(h->rp.type, KD_TYPE_DEBUG_IO);
        if (h->rp.api == KD_IO_GET_STRING)
            kdsim_model_prompt_answer(h->m, "x", 1);
        else if (prints)
            (*prints)++;
    }
    fail_msg("the target never stops talking");
    return 0;
}

static size_t h_read_ex(harness *h, uint32_t api, uint64_t addr, uint32_t len, uint8_t *buf, uint32_t *st)
{
    kd_enc_field f[] = {{KD_F_M_RM_TARGET_BASE_ADDRESS, addr}, {KD_F_M_RM_TRANSFER_COUNT, len}};
    assert_int_equal(h_req(h, api, f, N(f), NULL, 0), 1);
    size_t n = (size_t)rval(h, KD_F_M_RM_ACTUAL_BYTES_READ);
    size_t dlen;
    const uint8_t *d = rdata(h, &dlen);
    assert_int_equal(dlen, n);
    if (n) {
        const kd_node *dn = rnode(h, KD_F_M_RM_DATA);
        assert_int_equal(dn->length, n);
        if (buf)
            memcpy(buf, d, n);
    }
    if (st)
        *st = rstatus(h);
    return n;
}

static size_t h_read(harness *h, uint64_t addr, uint32_t len, uint8_t *buf, uint32_t *st)
{
    return h_read_ex(h, KD_API_READ_VIRTUAL_MEMORY, addr, len, buf, st);
}

/* Reads exactly len bytes or fails. */
static void h_read_ok(harness *h, uint64_t addr, uint32_t len, uint8_t *buf)
{
    uint32_t st;
    assert_int_equal(h_read(h, addr, len, buf, &st), len);
    assert_int_equal(st, ST_SUCCESS);
}

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint64_t h_read_le(harness *h, uint64_t addr, unsigned n)
{
    uint8_t b[8];
    h_read_ok(h, addr, n, b);
    return le(b, n);
}

static uint32_t h_write(harness *h, uint64_t addr, const void *data, uint32_t len, uint64_t *written)
{
    kd_enc_field f[] = {{KD_F_M_WM_TARGET_BASE_ADDRESS, addr}, {KD_F_M_WM_TRANSFER_COUNT, len}};
    assert_int_equal(h_req(h, KD_API_WRITE_VIRTUAL_MEMORY, f, N(f), data, len), 1);
    size_t dlen;
    rdata(h, &dlen);
    assert_int_equal(dlen, 0);
    if (written)
        *written = rval(h, KD_F_M_WM_ACTUAL_BYTES_WRITTEN);
    return rstatus(h);
}

/* GetContext; returns the CONTEXT bytes (valid until the next message). */
static const uint8_t *h_get_context(harness *h, size_t *len)
{
    kd_enc_field f[] = {{KD_F_M_GC_UNUSED, 0}};
    assert_int_equal(h_req(h, KD_API_GET_CONTEXT, f, N(f), NULL, 0), 1);
    assert_int_equal(rstatus(h), ST_SUCCESS);
    const kd_node *c = rnode(h, KD_F_CTX);
    *len = c->length;
    return h->rp_item.bytes + c->offset;
}

static kd_field_id pc_field(kd_arch a)
{
    return a == KD_ARCH_X86 ? KD_F_CTX_EIP : a == KD_ARCH_AMD64 ? KD_F_CTX_RIP : KD_F_CTX_PC;
}

static kd_field_id gp_field(kd_arch a)
{
    return a == KD_ARCH_X86 ? KD_F_CTX_EAX : a == KD_ARCH_AMD64 ? KD_F_CTX_RAX : KD_F_CTX_X5;
}

static size_t context_size(kd_arch a)
{
    return a == KD_ARCH_X86 ? 716 : a == KD_ARCH_AMD64 ? 1232 : 912;
}

/* Offset of a CONTEXT member, from the layout (nested areas included). */
static int find_ctx(const kd_layout *l, kd_field_id f, size_t base, size_t *off)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->m[i].sub && find_ctx(l->m[i].sub, f, base + l->m[i].offset, off))
            return 1;
        if (!l->m[i].sub && l->m[i].field == f) {
            *off = base + l->m[i].offset;
            return 1;
        }
    }
    return 0;
}

static const kd_arch arches[] = {KD_ARCH_X86, KD_ARCH_AMD64, KD_ARCH_ARM64};

/* ------------------------------------------------------------ tests */

static void test_options(void **state)
{
    (void)state;
    kdsim_model *m = kdsim_model_new(NULL);
    assert_non_null(m);
    kdsim_model_info i = kdsim_model_get_info(m);
    assert_int_equal(i.arch, KD_ARCH_AMD64);
    assert_int_equal(i.width, 64);
    assert_int_equal(kdsim_model_kernel_base(m), 0xfffff80002a00000ull);
    assert_int_equal(kdsim_model_state(m), KDSIM_BOOT);
    kdsim_model_free(m);

    kdsim_model_opts bad1 = {.arch = KD_ARCH_ARM64, .protocol32 = 1};
    kdsim_model_opts bad2 = {.arch = KD_ARCH_IA64};
    assert_null(kdsim_model_new(&bad1));
    assert_null(kdsim_model_new(&bad2));
    kdsim_model_opts p32 = {.protocol32 = 1};
    m = kdsim_model_new(&p32);
    assert_non_null(m);
    assert_int_equal(kdsim_model_get_info(m).arch, KD_ARCH_X86);
    assert_int_equal(kdsim_model_decode_opts(m).width, 32);
    kdsim_model_free(m);
    kdsim_model_free(NULL);
}

static void check_boot(kd_arch arch, int p32)
{
    harness *h = h_new(arch, p32, 7);
    const uint16_t sc_type = p32 ? KD_TYPE_STATE_CHANGE32 : KD_TYPE_STATE_CHANGE64;
    const char *names[2] = {"ntoskrnl.exe", "hal.dll"};
    const uint64_t bases[2] = {h->info.kern_base, h->info.hal_base};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(kdsim_model_state(h->m), KDSIM_BOOT);
        assert_int_equal(h_event(h), 1);
        assert_int_equal(h->rp.type, sc_type);
        assert_int_equal(h->rp.api, KD_STATE_LOAD_SYMBOLS);
        const kd_node *p = rnode(h, KD_F_LS_PATH);
        char path[128] = {0};
        memcpy(path, p->data, p->length < sizeof path - 1 ? p->length : sizeof path - 1);
        assert_non_null(strstr(path, names[i]));
        assert_int_equal(rval(h, KD_F_LS_PATH_NAME_LENGTH), strlen(path) + 1);
        assert_int_equal(rval(h, KD_F_LS_BASE_OF_DLL), p32 ? (uint32_t)bases[i] : bases[i]);
        assert_int_equal(rval(h, KD_F_LS_UNLOAD_SYMBOLS), 0);
        assert_true(rval(h, KD_F_LS_SIZE_OF_IMAGE) > 0);
        if (p32) /* Windows 2000: the whole x86 CONTEXT follows the control report */
            assert_int_equal(rnode(h, KD_F_CTX)->length, 716);
        /* Stopped: no event until the debugger continues; requests are served. */
        assert_int_equal(kdsim_model_state(h->m), KDSIM_STOPPED);
        assert_int_equal(h_event(h), 0);
        assert_int_equal(h_req(h, KD_API_GET_VERSION, NULL, 0, NULL, 0), 1);
        h_continue(h);
    }
    assert_int_equal(h_event(h), 1);
    assert_int_equal(h->rp.type, sc_type);
    assert_int_equal(h->rp.api, KD_STATE_EXCEPTION);
    assert_int_equal(rval(h, KD_F_EXCEPTION_CODE), ST_BREAKPOINT);
    assert_int_equal(rval(h, KD_F_EXCEPTION_FIRST_CHANCE), 1);
    uint64_t pc = rval(h, KD_F_STATE_PROGRAM_COUNTER);
    assert_int_equal(pc, p32 ? (uint32_t)h->info.break_pc : h->info.break_pc);
    assert_int_equal(rval(h, KD_F_EXCEPTION_ADDRESS), pc);
    assert_int_equal(rval(h, KD_F_STATE_NUMBER_PROCESSORS), 1);
    assert_int_equal(rval(h, KD_F_CR_INSTRUCTION_COUNT), 16);
    /* The instruction stream: the breakpoint instruction really is there. */
    const kd_node *is = rnode(h, KD_F_CR_INSTRUCTION_STREAM);
    if (arch == KD_ARCH_ARM64)
        assert_memory_equal(is->data, "\x00\x00\x3e\xd4", 4);
    else
        assert_int_equal(is->data[0], 0xCC);
    if (p32) {
        assert_int_equal(rnode(h, KD_F_CTX)->length, 716);
        assert_int_equal(rval(h, KD_F_CTX_EIP), (uint32_t)pc);
    } else {
        size_t dlen;
        const uint8_t *d = rdata(h, &dlen);
        assert_int_equal(dlen, 4); /* trace data, one ULONG 1 (ReactOS) */
        assert_int_equal(le(d, 4), 1);
    }
    assert_int_equal(kdsim_model_pc(h->m), sx(h, pc));
    assert_int_equal(h_event(h), 0);
    h_free(h);
}

static void test_boot_sequence(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(arches); i++)
        check_boot(arches[i], 0);
    check_boot(KD_ARCH_X86, 1);
}

static void test_get_version(void **state)
{
    (void)state;
    static const uint64_t kern[] = {0xffffffff80800000ull, 0xfffff80002a00000ull, 0xfffff80000000000ull};
    static const uint16_t machine[] = {0x014C, 0x8664, 0xAA64};
    for (size_t i = 0; i < N(arches); i++) {
        harness *h = h_new(arches[i], 0, 1);
        h_boot(h);
        assert_int_equal(h_req(h, KD_API_GET_VERSION, NULL, 0, NULL, 0), 1);
        assert_int_equal(rstatus(h), ST_SUCCESS);
        assert_int_equal(rval(h, KD_F_M_GV_MAJOR_VERSION), 0x000F);
        assert_int_equal(rval(h, KD_F_M_GV_MINOR_VERSION), 19041);
        assert_int_equal(rval(h, KD_F_M_GV_PROTOCOL_VERSION), 6);
        assert_int_equal(rval(h, KD_F_M_GV_KD_SECONDARY_VERSION), arches[i] == KD_ARCH_AMD64 ? 2 : 0);
        assert_int_equal(rval(h, KD_F_M_GV_FLAGS), arches[i] == KD_ARCH_X86 ? 0x2 : 0x6);
        assert_int_equal(rval(h, KD_F_M_GV_MACHINE_TYPE), machine[i]);
        assert_int_equal(rval(h, KD_F_M_GV_MAX_PACKET_TYPE), 12);
        assert_int_equal(rval(h, KD_F_M_GV_MAX_STATE_CHANGE), 3);
        assert_int_equal(rval(h, KD_F_M_GV_MAX_MANIPULATE), 0x31);
        assert_int_equal(rval(h, KD_F_M_GV_KERN_BASE), kern[i]);
        assert_int_equal(kdsim_model_kernel_base(h->m), kern[i]);
        assert_int_equal(rval(h, KD_F_M_GV_PS_LOADED_MODULE_LIST), h->info.ps_loaded_module_list);
        assert_int_equal(rval(h, KD_F_M_GV_DEBUGGER_DATA_LIST), h->info.debugger_data_list);
        assert_int_equal(h->rp.track.machine_type, machine[i]);
        h_free(h);
    }
    kdsim_model_opts o = {.arch = KD_ARCH_AMD64, .build = 7601};
    harness *h = h_new_opts(&o);
    h_boot(h);
    assert_int_equal(h_req(h, KD_API_GET_VERSION, NULL, 0, NULL, 0), 1);
    assert_int_equal(rval(h, KD_F_M_GV_MINOR_VERSION), 7601);
    h_free(h);
}

/* PsLoadedModuleList from its head: ntoskrnl.exe, hal.dll, kdcom.dll,
 * kdtest.sys at the bases and sizes kdsim_model_get_info reports (offsets of
 * the 64- and 32-bit KLDR_DATA_TABLE_ENTRY: DllBase 0x30 / 0x18, SizeOfImage
 * 0x40 / 0x20, BaseDllName 0x58 / 0x2C, written here by hand), each with an
 * MZ header, Blinks back, then the head again. */
static void check_module_list(harness *h, uint64_t mods)
{
    static const char *const names[4] = {"ntoskrnl.exe", "hal.dll", "kdcom.dll", "kdtest.sys"};
    const uint64_t p = psz(h);
    const uint64_t bases[4] = {h->info.kern_base, h->info.hal_base, h->info.kdcom_base, h->info.driver_base};
    const uint64_t sizes[4] = {h->info.image_size, 0x80000, 0x20000, 0x10000};
    const unsigned dll_base = p == 8 ? 0x30 : 0x18, size_of_image = p == 8 ? 0x40 : 0x20;
    const unsigned base_dll_name = p == 8 ? 0x58 : 0x2C;
    uint8_t b[64];
    uint64_t prev = mods;
    uint64_t e = sx(h, h_read_le(h, mods, (unsigned)p));
    for (int i = 0; i < 4; i++) {
        assert_int_equal(sx(h, h_read_le(h, e + p, (unsigned)p)), prev);                /* Blink */
        assert_int_equal(sx(h, h_read_le(h, e + dll_base, (unsigned)p)), bases[i]);     /* DllBase */
        assert_int_equal(h_read_le(h, e + size_of_image, 4), sizes[i]);                 /* SizeOfImage */
        uint64_t len = h_read_le(h, e + base_dll_name, 2);                               /* BaseDllName.Length */
        uint64_t buf = sx(h, h_read_le(h, e + base_dll_name + p, (unsigned)p));          /* .Buffer */
        assert_int_equal(len, 2 * strlen(names[i]));
        h_read_ok(h, buf, (uint32_t)len, b);
        for (size_t c = 0; c < strlen(names[i]); c++)
            assert_int_equal(le(b + 2 * c, 2), (uint8_t)names[i][c]);
        h_read_ok(h, bases[i], 2, b);
        assert_memory_equal(b, "MZ", 2);
        prev = e;
        e = sx(h, h_read_le(h, e, (unsigned)p));
    }
    assert_int_equal(e, mods);
    assert_int_equal(sx(h, h_read_le(h, mods + p, (unsigned)p)), prev); /* the head's Blink: the last entry */
}

/* MZ/PE at KernBase, the KDBG block behind DebuggerDataList, the module list. */
static void check_memory_content(kd_arch arch)
{
    harness *h = h_new(arch, 0, 3);
    h_boot(h);
    const uint64_t k = h->info.kern_base, p = psz(h);
    uint8_t b[64];
    h_read_ok(h, k, 2, b);
    assert_memory_equal(b, "MZ", 2);
    uint64_t lfanew = h_read_le(h, k + 0x3C, 4);
    h_read_ok(h, k + lfanew, 6, b);
    assert_memory_equal(b, "PE\0\0", 4);
    static const uint16_t machine[] = {0x014C, 0x8664, 0xAA64};
    assert_int_equal(le(b + 4, 2), machine[arch == KD_ARCH_X86 ? 0 : arch == KD_ARCH_AMD64 ? 1 : 2]);

    assert_int_equal(h_req(h, KD_API_GET_VERSION, NULL, 0, NULL, 0), 1);
    const uint64_t ddl = rval(h, KD_F_M_GV_DEBUGGER_DATA_LIST);
    const uint64_t mods = rval(h, KD_F_M_GV_PS_LOADED_MODULE_LIST);
    /* DebuggerDataList: KdpDebuggerDataListHead -> KdDebuggerDataBlock. */
    uint64_t block = sx(h, h_read_le(h, ddl, p));
    assert_int_equal(block, h->info.kdbg);
    h_read_ok(h, block + 0x10, 8, b); /* DBGKD_DEBUG_DATA_HEADER64.OwnerTag, Size */
    assert_memory_equal(b, "KDBG", 4);
    assert_int_equal(le(b, 4), 0x4742444Bu);
    assert_int_equal(le(b + 4, 4), 0x340);
    assert_int_equal(h_read_le(h, block, 8), ddl);          /* Header.List.Flink -> head */
    assert_int_equal(h_read_le(h, block + 0x18, 8), k);     /* KernBase */
    assert_int_equal(h_read_le(h, block + 0x20, 8), h->info.break_pc); /* BreakpointWithStatus */
    assert_int_equal(h_read_le(h, block + 0x48, 8), mods);  /* PsLoadedModuleList */

    check_module_list(h, mods);

    /* The test hook agrees with the protocol. */
    assert_int_equal(kdsim_model_read(h->m, k, b, 2), 0);
    assert_memory_equal(b, "MZ", 2);
    assert_int_equal(kdsim_model_read(h->m, 0x1000, b, 2), -1);
    h_free(h);
}

static void test_memory_content(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(arches); i++)
        check_memory_content(arches[i]);
}

/* --kaslr: the kernel and each driver at their own base, drawn from
 * kaslr_seed alone; 64 KiB aligned (the kernel 2 MiB / 4 MiB), no two
 * overlapping; without it the fixed bases (KernBase + 0xA00000 / 0xC00000 /
 * 0xD00000).  LoadSymbols, GetVersion and the list agree. */
static void check_kaslr(kd_arch arch)
{
    harness *f = h_new(arch, 0, 3);
    assert_int_equal(f->info.hal_base, f->info.kern_base + 0xA00000);
    assert_int_equal(f->info.kdcom_base, f->info.kern_base + 0xC00000);
    assert_int_equal(f->info.driver_base, f->info.kern_base + 0xD00000);
    harness *hs[3];
    const uint64_t kseeds[3] = {1, 2, 1};
    for (int k = 0; k < 3; k++) {
        kdsim_model_opts o = {.arch = arch, .seed = k == 2 ? 99 : 3, .kaslr = 1, .kaslr_seed = kseeds[k]};
        harness *h = hs[k] = h_new_opts(&o);
        const uint64_t b[4] = {h->info.kern_base, h->info.hal_base, h->info.kdcom_base, h->info.driver_base};
        const uint64_t s[4] = {h->info.image_size, 0x80000, 0x20000, 0x10000};
        assert_int_equal(b[0] % (arch == KD_ARCH_X86 ? 0x400000 : 0x200000), 0);
        for (int i = 0; i < 4; i++) {
            assert_int_equal(b[i] & 0xFFFF, 0);
            for (int j = 0; j < i; j++)
                assert_true(b[i] + s[i] <= b[j] || b[j] + s[j] <= b[i]);
        }
        /* LoadSymbols nt and hal at the list's bases. */
        for (int i = 0; i < 2; i++) {
            assert_int_equal(h_event(h), 1);
            assert_int_equal(h->rp.api, KD_STATE_LOAD_SYMBOLS);
            assert_int_equal(rval(h, KD_F_LS_BASE_OF_DLL), b[i]);
            assert_int_equal(rval(h, KD_F_LS_SIZE_OF_IMAGE), s[i]);
            h_continue(h);
        }
        assert_int_equal(h_event(h), 1);
        assert_int_equal(h_req(h, KD_API_GET_VERSION, NULL, 0, NULL, 0), 1);
        assert_int_equal(rval(h, KD_F_M_GV_KERN_BASE), b[0]);
        assert_int_equal(rval(h, KD_F_M_GV_PS_LOADED_MODULE_LIST), h->info.ps_loaded_module_list);
        check_module_list(h, h->info.ps_loaded_module_list);
        /* A breakpoint in kdtest's code is hit there. */
        kd_enc_field w[] = {{KD_F_M_WB_BREAK_POINT_ADDRESS, b[3] + 0x1100}};
        assert_int_equal(h_req(h, KD_API_WRITE_BREAK_POINT, w, N(w), NULL, 0), 1);
        assert_int_equal(rstatus(h), ST_SUCCESS);
    }
    /* Two kaslr seeds: every module elsewhere; the same kaslr seed with
     * another --seed: the same bases. */
    assert_true(hs[0]->info.kern_base != hs[1]->info.kern_base);
    assert_true(hs[0]->info.hal_base != hs[1]->info.hal_base);
    assert_true(hs[0]->info.kdcom_base != hs[1]->info.kdcom_base);
    assert_true(hs[0]->info.driver_base != hs[1]->info.driver_base);
    assert_true(hs[1]->info.driver_base - hs[1]->info.kern_base != hs[0]->info.driver_base - hs[0]->info.kern_base);
    assert_int_equal(hs[2]->info.kern_base, hs[0]->info.kern_base);
    assert_int_equal(hs[2]->info.driver_base, hs[0]->info.driver_base);
    for (int k = 0; k < 3; k++)
        h_free(hs[k]);
    h_free(f);
}

static void test_kaslr(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(arches); i++)
        check_kaslr(arches[i]);
}

static void test_protocol32(void **state)
{
    (void)state;
    harness *h = h_new(KD_ARCH_X86, 1, 5);
    h_boot(h);
    assert_int_equal(h->rp.type, KD_TYPE_STATE_CHANGE32);
    assert_int_equal(h_req(h, KD_API_GET_VERSION, NULL, 0, NULL, 0), 1);
    assert_int_equal(h->rp.width, 32);
    assert_int_equal(rstatus(h), ST_SUCCESS);
    assert_int_equal(rval(h, KD_F_M_GV32_MINOR_VERSION), 2195);
    assert_int_equal(rval(h, KD_F_M_GV32_MACHINE_TYPE), 0x014C);
    assert_int_equal(rval(h, KD_F_M_GV32_KERN_BASE), 0x80800000u);
    assert_int_equal(rval(h, KD_F_M_GV32_BREAKPOINT_WITH_STATUS), (uint32_t)h->info.break_pc);
    const uint64_t ddl = rval(h, KD_F_M_GV32_DEBUGGER_DATA_LIST);
    const uint64_t mods = rval(h, KD_F_M_GV32_PS_LOADED_MODULE_LIST);
    assert_int_equal(ddl, (uint32_t)h->info.debugger_data_list);
    /* KDDEBUGGER_DATA32: OwnerTag at 8, KernBase at 0x10, PsLoadedModuleList at 0x2C. */
    uint64_t block = h_read_le(h, ddl, 4);
    uint8_t b[8];
    h_read_ok(h, block + 8, 4, b);
    assert_memory_equal(b, "KDBG", 4);
    assert_int_equal(h_read_le(h, block + 0x10, 4), 0x80800000u);
    assert_int_equal(h_read_le(h, block + 0x2C, 4), mods);
    h_read_ok(h, 0x80800000u, 2, b);
    assert_memory_equal(b, "MZ", 2);
    size_t len;
    h_get_context(h, &len);
    assert_int_equal(len, 716);
    assert_int_equal(rval(h, KD_F_CTX_EIP), (uint32_t)h->info.break_pc);
    /* A breakpoint round trip in the 32-bit layout. */
    kd_enc_field w[] = {{KD_F_M_WB_BREAK_POINT_ADDRESS, (uint32_t)h->info.code}};
    assert_int_equal(h_req(h, KD_API_WRITE_BREAK_POINT, w, N(w), NULL, 0), 1);
    assert_int_equal(rstatus(h), ST_SUCCESS);
    h_continue(h);
    assert_int_equal(h_next_stop(h, NULL), 1);
    assert_int_equal(h->rp.type, KD_TYPE_STATE_CHANGE32);
    assert_int_equal(rval(h, KD_F_STATE_PROGRAM_COUNTER), (uint32_t)h->info.code);
    assert_int_equal(rval(h, KD_F_CTX_EIP), (uint32_t)h->info.code);
    h_free(h);
}

static void test_write_read_back(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(arches); i++) {
        harness *h = h_new(arches[i], 0, 9);
        h_boot(h);
        static const uint8_t pat[16] = "kdsim test data";
        uint64_t n;
        assert_int_equal(h_write(h, h->info.scratch, pat, 16, &n), ST_SUCCESS);
        assert_int_equal(n, 16);
        uint8_t b[16];
        h_read_ok(h, h->info.scratch, 16, b);
        assert_memory_equal(b, pat, 16);
        /* The stack region is writable too. */
        assert_int_equal(h_write(h, h->info.stack_base - 32, pat, 16, &n), ST_SUCCESS);
        /* Outside the regions writes fail; across the end they stop there. */
        assert_int_equal(h_write(h, 0x1000, pat, 16, &n), ST_UNSUCCESSFUL);
        assert_int_equal(n, 0);
        uint64_t end = h->info.kern_base + h->info.image_size;
        assert_int_equal(h_write(h, end - 8, pat, 16, &n), ST_UNSUCCESSFUL);
        assert_int_equal(n, 8);
        h_free(h);
    }
}

static void test_read_limits(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(arches); i++) {
        harness *h = h_new(arches[i], 0, 9);
        h_boot(h);
        uint32_t st;
        assert_int_equal(h_read(h, 0x1000, 16, NULL, &st), 0);
        assert_int_equal(st, ST_UNSUCCESSFUL);
        uint64_t end = h->info.kern_base + h->info.image_size;
        assert_int_equal(h_read(h, end - 16, 64, NULL, &st), 16); /* up to the hole */
        assert_int_equal(st, ST_UNSUCCESSFUL);
        /* §3.7 item 5: capped at 3944, the body is then exactly 4000 bytes. */
        assert_int_equal(h_read(h, h->info.kern_base, 0xFFFFFFFFu, NULL, &st), 3944);
        assert_int_equal(st, ST_SUCCESS);
        assert_int_equal(h->rp_item.body_len, 4000);
        /* A never-written page of a mapped region reads as zeros. */
        uint8_t b[8];
        h_read_ok(h, h->info.kern_base + 0x200000, 8, b);
        assert_memory_equal(b, "\0\0\0\0\0\0\0\0", 8);
        h_free(h);
    }
}

static void test_context(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(arches); i++) {
        kd_arch a = arches[i];
        harness *h = h_new(a, 0, 11);
        h_boot(h);
        uint64_t pc = rval(h, KD_F_STATE_PROGRAM_COUNTER);
        size_t len;
        const uint8_t *c = h_get_context(h, &len);
        assert_int_equal(len, context_size(a));
        assert_int_equal(sx(h, rval(h, pc_field(a))), pc);
        uint8_t ctx[1232];
        memcpy(ctx, c, len);
        size_t mlen;
        const uint8_t *mc = kdsim_model_context(h->m, &mlen);
        assert_int_equal(mlen, len);
        assert_memory_equal(mc, ctx, len);
        /* SetContext after GetContext: the encoder writes the register into the copy. */
        kd_enc_field f[] = {{KD_F_M_SC_CONTEXT_FLAGS, le(ctx, 4)}, {gp_field(a), 0x1234}};
        assert_int_equal(h_req(h, KD_API_SET_CONTEXT, f, N(f), ctx, len), 1);
        assert_int_equal(rstatus(h), ST_SUCCESS);
        h_get_context(h, &len);
        assert_int_equal(rval(h, gp_field(a)), 0x1234);
        /* Wrong size: refused. */
        assert_int_equal(h_req(h, KD_API_SET_CONTEXT, NULL, 0, ctx, len - 4), 1);
        assert_int_equal(rstatus(h), ST_UNSUCCESSFUL);
        /* A new stop clears KdpContextSent: SetContext without GetContext fails. */
        h_continue2(h, DBG_CONTINUE, 1);
        assert_int_equal(h_event(h), 1);
        assert_int_equal(rval(h, KD_F_EXCEPTION_CODE), ST_SINGLE_STEP);
        assert_int_equal(h_req(h, KD_API_SET_CONTEXT, NULL, 0, ctx, len), 1);
        assert_int_equal(rstatus(h), ST_UNSUCCESSFUL);
        h_free(h);
    }
    /* Also right after boot. */
    harness *h = h_new(KD_ARCH_AMD64, 0, 11);
    h_boot(h);
    uint8_t ctx[1232] = {0};
    assert_int_equal(h_req(h, KD_API_SET_CONTEXT, NULL, 0, ctx, sizeof ctx), 1);
    assert_int_equal(rstatus(h), ST_UNSUCCESSFUL);
    h_free(h);
}

static void test_context_ex(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(arches); i++) {
        kd_arch a = arches[i];
        harness *h = h_new(a, 0, 13);
        h_boot(h);
        const kd_layout *l = kd_context_layout(a);
        size_t off_pc, off_gp;
        assert_true(find_ctx(l, pc_field(a), 0, &off_pc));
        assert_true(find_ctx(l, gp_field(a), 0, &off_gp));
        unsigned w = a == KD_ARCH_X86 ? 4 : 8;
        kd_enc_field g[] = {{KD_F_M_CX_OFFSET, off_pc}, {KD_F_M_CX_BYTE_COUNT, w}};
        assert_int_equal(h_req(h, KD_API_GET_CONTEXT_EX, g, N(g), NULL, 0), 1);
        assert_int_equal(rstatus(h), ST_SUCCESS);
        assert_int_equal(rval(h, KD_F_M_CX_BYTES_COPIED), w);
        assert_int_equal(sx(h, rval(h, pc_field(a))), h->info.break_pc); /* the slice is decoded */
        /* SetContextEx after GetContextEx. */
        uint8_t v[8] = {0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0};
        kd_enc_field s[] = {{KD_F_M_CX_OFFSET, off_gp}, {KD_F_M_CX_BYTE_COUNT, w}};
        assert_int_equal(h_req(h, KD_API_SET_CONTEXT_EX, s, N(s), v, w), 1);
        assert_int_equal(rstatus(h), ST_SUCCESS);
        size_t len;
        h_get_context(h, &len);
        assert_int_equal(rval(h, gp_field(a)), 0x12345678);
        /* Out of range. */
        kd_enc_field bad[] = {{KD_F_M_CX_OFFSET, len - 4}, {KD_F_M_CX_BYTE_COUNT, 8}};
        assert_int_equal(h_req(h, KD_API_GET_CONTEXT_EX, bad, N(bad), NULL, 0), 1);
        assert_int_equal(rstatus(h), ST_UNSUCCESSFUL);
        assert_int_equal(rval(h, KD_F_M_CX_BYTES_COPIED), 0);
        h_free(h);
    }
}

static void check_breakpoint(kd_arch a)
{
    harness *h = h_new(a, 0, 17);
    h_boot(h);
    const uint64_t addr = h->info.code + 0x10;
    const uint8_t *bp = a == KD_ARCH_ARM64 ? (const uint8_t *)"\x00\x00\x3e\xd4" : (const uint8_t *)"\xcc";
    const uint8_t *orig = a == KD_ARCH_ARM64 ? (const uint8_t *)"\x1f\x20\x03\xd5" : (const uint8_t *)"\x90";
    const size_t n = a == KD_ARCH_ARM64 ? 4 : 1;
    uint8_t b[4];
    h_read_ok(h, addr, (uint32_t)n, b);
    assert_memory_equal(b, orig, n);

    kd_enc_field w[] = {{KD_F_M_WB_BREAK_POINT_ADDRESS, addr}};
    assert_int_equal(h_req(h, KD_API_WRITE_BREAK_POINT, w, N(w), NULL, 0), 1);
    assert_int_equal(rstatus(h), ST_SUCCESS);
    uint64_t handle = rval(h, KD_F_M_WB_BREAK_POINT_HANDLE);
    assert_true(handle != 0);
    h_read_ok(h, addr, (uint32_t)n, b);
    assert_memory_equal(b, bp, n); /* reads show the breakpoint instruction */
    /* The same address twice fails (KdpAddBreakpoint), so does unmapped memory. */
    assert_int_equal(h_req(h, KD_API_WRITE_BREAK_POINT, w, N(w), NULL, 0), 1);
    assert_int_equal(rstatus(h), ST_UNSUCCESSFUL);
    assert_int_equal(rval(h, KD_F_M_WB_BREAK_POINT_HANDLE), 0);
    kd_enc_field w2[] = {{KD_F_M_WB_BREAK_POINT_ADDRESS, 0x1000}};
    assert_int_equal(h_req(h, KD_API_WRITE_BREAK_POINT, w2, N(w2), NULL, 0), 1);
    assert_int_equal(rstatus(h), ST_UNSUCCESSFUL);

    /* Resume: a DbgPrint, then the hit. */
    h_continue(h);
    assert_int_equal(kdsim_model_state(h->m), KDSIM_RUNNING);
    assert_int_equal(h_event(h), 1);
    assert_int_equal(h->rp.type, KD_TYPE_DEBUG_IO);
    assert_int_equal(h->rp.api, KD_IO_PRINT_STRING);
    const kd_node *s = rnode(h, KD_F_DIO_STRING);
    assert_true(s->length > 6 && memcmp(s->data, "kdsim:", 6) == 0);
    assert_int_equal(rval(h, KD_F_DIO_LENGTH_OF_STRING), s->length);
    assert_int_equal(h_event(h), 1);
    assert_true(is_state_change(h));
    assert_int_equal(rval(h, KD_F_EXCEPTION_CODE), ST_BREAKPOINT);
    assert_int_equal(rval(h, KD_F_STATE_PROGRAM_COUNTER), addr);
    assert_int_equal(rval(h, KD_F_EXCEPTION_ADDRESS), addr);
    /* InstructionStream: breakpoints removed. */
    const kd_node *is = rnode(h, KD_F_CR_INSTRUCTION_STREAM);
    assert_memory_equal(is->data, orig, n);
    size_t len;
    h_get_context(h, &len);
    assert_int_equal(sx(h, rval(h, pc_field(a))), addr);

    /* Continue again without removing it: hit again. */
    h_continue(h);
    assert_int_equal(h_next_stop(h, NULL), 1);
    assert_int_equal(rval(h, KD_F_STATE_PROGRAM_COUNTER), addr);

    kd_enc_field r[] = {{KD_F_M_RB_BREAK_POINT_HANDLE, handle}};
    assert_int_equal(h_req(h, KD_API_RESTORE_BREAK_POINT, r, N(r), NULL, 0), 1);
    assert_int_equal(rstatus(h), ST_SUCCESS);
    h_read_ok(h, addr, (uint32_t)n, b);
    assert_memory_equal(b, orig, n);
    assert_int_equal(h_req(h, KD_API_RESTORE_BREAK_POINT, r, N(r), NULL, 0), 1);
    assert_int_equal(rstatus(h), ST_UNSUCCESSFUL);

    /* Nothing set: the target runs until a break-in. */
    h_continue(h);
    int prints = 0;
    assert_int_equal(h_next_stop(h, &prints), 0);
    assert_true(prints >= 1);
    assert_int_equal(kdsim_model_state(h->m), KDSIM_RUNNING);
    h_free(h);
}

static void test_breakpoint(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(arches); i++)
        check_breakpoint(arches[i]);
}

static void test_lowest_breakpoint_first(void **state)
{
    (void)state;
    harness *h = h_new(KD_ARCH_AMD64, 0, 19);
    h_boot(h);
    kd_enc_field hi[] = {{KD_F_M_WB_BREAK_POINT_ADDRESS, h->info.code + 0x300}};
    kd_enc_field lo[] = {{KD_F_M_WB_BREAK_POINT_ADDRESS, h->info.code + 0x100}};
    assert_int_equal(h_req(h, KD_API_WRITE_BREAK_POINT, hi, 1, NULL, 0), 1);
    assert_int_equal(rval(h, KD_F_M_WB_BREAK_POINT_HANDLE), 1); /* index + 1 */
    assert_int_equal(h_req(h, KD_API_WRITE_BREAK_POINT, lo, 1, NULL, 0), 1);
    assert_int_equal(rval(h, KD_F_M_WB_BREAK_POINT_HANDLE), 2);
    h_continue(h);
    assert_int_equal(h_next_stop(h, NULL), 1);
    assert_int_equal(rval(h, KD_F_STATE_PROGRAM_COUNTER), h->info.code + 0x100);
    h_free(h);
}

static void test_single_step(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(arches); i++) {
        kd_arch a = arches[i];
        harness *h = h_new(a, 0, 23);
        h_boot(h);
        uint64_t pc = rval(h, KD_F_STATE_PROGRAM_COUNTER);
        h_continue2(h, DBG_CONTINUE, 1);
        assert_int_equal(h_event(h), 1); /* no DbgPrint before a step */
        assert_true(is_state_change(h));
        assert_int_equal(rval(h, KD_F_EXCEPTION_CODE), ST_SINGLE_STEP);
        assert_int_equal(rval(h, KD_F_STATE_PROGRAM_COUNTER), pc + (a == KD_ARCH_ARM64 ? 4 : 1));
        if (a != KD_ARCH_ARM64) {
            size_t len;
            h_get_context(h, &len);
            assert_int_equal(rval(h, KD_F_CTX_EFLAGS) & 0x100, 0); /* TF cleared at the stop */
        }
        /* TraceFlag 0: an ordinary resume (DbgPrint first). */
        h_continue2(h, DBG_CONTINUE, 0);
        assert_int_equal(h_event(h), 1);
        assert_int_equal(h->rp.type, KD_TYPE_DEBUG_IO);
        h_free(h);
    }
    /* A failing Continue2 still resumes, without its control set. */
    harness *h = h_new(KD_ARCH_AMD64, 0, 23);
    h_boot(h);
    h_continue2(h, DBG_EXCEPTION_NOT_HANDLED, 1);
    assert_int_equal(h_event(h), 1);
    assert_int_equal(h->rp.type, KD_TYPE_DEBUG_IO);
    h_free(h);
}

static void test_break_in(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(arches); i++) {
        kd_arch a = arches[i];
        harness *h = h_new(a, 0, 29);
        h_boot(h);
        kdsim_model_break_in(h->m); /* stopped: ignored */
        assert_int_equal(h_event(h), 0);
        h_continue(h);
        assert_int_equal(h_next_stop(h, NULL), 0);
        kdsim_model_break_in(h->m);
        assert_int_equal(h_event(h), 1);
        assert_true(is_state_change(h));
        assert_int_equal(rval(h, KD_F_EXCEPTION_CODE), ST_BREAKPOINT);
        assert_int_equal(rval(h, KD_F_STATE_PROGRAM_COUNTER), h->info.break_pc);
        size_t len;
        h_get_context(h, &len);
        kd_field_id arg = a == KD_ARCH_X86 ? KD_F_CTX_EAX : a == KD_ARCH_AMD64 ? KD_F_CTX_RCX : KD_F_CTX_X0;
        assert_int_equal(rval(h, arg), 1); /* DBG_STATUS_CONTROL_C */
        h_free(h);
    }
}

static void test_prompt(void **state)
{
    (void)state;
    harness *h = h_new(KD_ARCH_AMD64, 0, 31);
    h_boot(h);
    int found = 0;
    for (int resume = 1; resume <= 4 && !found; resume++) {
        h_continue(h);
        while (h_event(h)) {
            assert_int_equal(h->rp.type, KD_TYPE_DEBUG_IO);
            if (h->rp.api == KD_IO_GET_STRING) {
                found = resume;
                break;
            }
        }
        if (!found) {
            kdsim_model_break_in(h->m);
            assert_int_equal(h_event(h), 1);
        }
    }
    assert_true(found >= 2); /* never on the first resume */
    const kd_node *p = rnode(h, KD_F_DIO_PROMPT);
    assert_int_equal(rval(h, KD_F_DIO_LENGTH_OF_PROMPT_STRING), p->length);
    assert_true(rval(h, KD_F_DIO_LENGTH_OF_STRING_READ) > 0);
    assert_int_equal(kdsim_model_state(h->m), KDSIM_PROMPT);
    assert_int_equal(h_event(h), 0);
    kdsim_model_break_in(h->m); /* not polled while waiting */
    assert_int_equal(h_event(h), 0);
    kdsim_model_prompt_answer(h->m, "hello\r\n", 7);
    assert_int_equal(kdsim_model_state(h->m), KDSIM_RUNNING);
    assert_int_equal(h_event(h), 1);
    assert_int_equal(h->rp.api, KD_IO_PRINT_STRING);
    const kd_node *s = rnode(h, KD_F_DIO_STRING);
    char text[256] = {0};
    memcpy(text, s->data, s->length < 255 ? s->length : 255);
    assert_non_null(strstr(text, "\"hello\""));
    assert_int_equal(h_event(h), 0);
    h_free(h);
}

/* Runs a fixed script and returns a hash of every byte the target sent. */
static uint64_t script_hash(kd_arch a, uint64_t seed)
{
    harness *h = h_new(a, 0, seed);
    uint64_t x = 1469598103934665603ull;
#define MIX()                                              \
    for (long i_ = 0; i_ < h->rp_len; i_++)                \
        x = (x ^ h->rp_bytes[i_]) * 1099511628211ull
    for (int i = 0; i < 3; i++) {
        assert_int_equal(h_event(h), 1);
        MIX();
        size_t len;
        h_get_context(h, &len);
        MIX();
        h_continue(h);
    }
    for (int r = 0; r < 6; r++) {
        while (h_event(h)) {
            MIX();
            if (h->rp.api == KD_IO_GET_STRING)
                kdsim_model_prompt_answer(h->m, "ok", 2);
        }
        kdsim_model_break_in(h->m);
        assert_int_equal(h_event(h), 1);
        MIX();
        size_t len;
        h_get_context(h, &len);
        MIX();
        h_continue(h);
    }
#undef MIX
    h_free(h);
    return x;
}

static void test_determinism(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(arches); i++) {
        assert_int_equal(script_hash(arches[i], 42), script_hash(arches[i], 42));
        assert_true(script_hash(arches[i], 42) != script_hash(arches[i], 43));
    }
}

static int in_list(uint32_t api, const uint32_t *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (l[i] == api)
            return 1;
    return 0;
}

/* Numbers without an API in the table: the gap between CauseBugCheck and
 * SwitchProcessor, and one past the last API. */
static int unknown_api(uint32_t api)
{
    return (api > KD_API_CAUSE_BUG_CHECK && api < KD_API_SWITCH_PROCESSOR) || api == KD_API_SET_CONTEXT_EX + 1;
}

/* Every API ReadVirtualMemory..SetContextEx (and the numbers between and one
 * past) gets a reply or is a documented no-reply API. */
static void check_every_api(kd_arch a, int p32)
{
    static const uint32_t no_reply[] = {KD_API_CONTINUE,         KD_API_REBOOT,
                                        KD_API_CONTINUE2,        KD_API_CAUSE_BUG_CHECK,
                                        KD_API_SWITCH_PROCESSOR, KD_API_CLEAR_ALL_INTERNAL_BREAKPOINTS};
    static const uint32_t unsupported[] = {
        KD_API_QUERY_SPECIAL_CALLS,      KD_API_SET_SPECIAL_CALL,       KD_API_CLEAR_SPECIAL_CALLS,
        KD_API_SET_INTERNAL_BREAK_POINT, KD_API_GET_INTERNAL_BREAK_POINT, KD_API_WRITE_BREAK_POINT_EX,
        KD_API_RESTORE_BREAK_POINT_EX,   KD_API_PAGE_IN,                KD_API_OLD_VLM1,
        KD_API_OLD_VLM2,                 KD_API_SWITCH_PARTITION,       KD_API_WRITE_CUSTOM_BREAKPOINT};
    for (uint32_t api = KD_API_READ_VIRTUAL_MEMORY; api <= KD_API_SET_CONTEXT_EX + 1; api++) {
        harness *h = h_new(a, p32, api);
        h_boot(h);
        if (unknown_api(api))
            h->allow = KD_DECODE_UNKNOWN_API;
        int r = h_req(h, api, NULL, 0, NULL, 0);
        if (r) {
            assert_false(in_list(api, no_reply, N(no_reply)));
            assert_true(kd_api_expects_reply(api));
            assert_true(h->rp_item.body_len <= KD_PACKET_MAX_SIZE);
            uint32_t st = rstatus(h);
            if (in_list(api, unsupported, N(unsupported)) || unknown_api(api)) {
                assert_int_equal(st, ST_UNSUCCESSFUL);
                size_t dlen;
                rdata(h, &dlen);
                assert_int_equal(dlen, 0);
            }
            assert_int_equal(kdsim_model_state(h->m), KDSIM_STOPPED);
        } else {
            if (!in_list(api, no_reply, N(no_reply)))
                fail_msg("0x%x: no reply", (unsigned)api);
            assert_false(kd_api_expects_reply(api));
        }
        h_free(h);
    }
}

static void test_every_api(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(arches); i++)
        check_every_api(arches[i], 0);
    check_every_api(KD_ARCH_X86, 1);
}

/* Requests that ask for too much still give bodies of at most 4000 bytes. */
static void test_reply_sizes(void **state)
{
    (void)state;
    static const uint32_t apis[] = {KD_API_READ_VIRTUAL_MEMORY, KD_API_READ_CONTROL_SPACE,
                                    KD_API_READ_PHYSICAL_MEMORY, KD_API_GET_BUS_DATA, KD_API_GET_CONTEXT_EX};
    for (size_t i = 0; i < N(arches); i++) {
        harness *h = h_new(arches[i], 0, 37);
        h_boot(h);
        for (size_t k = 0; k < N(apis); k++) {
            kd_enc_field f[2];
            size_t nf = 0;
            switch (apis[k]) {
            case KD_API_READ_VIRTUAL_MEMORY:
            case KD_API_READ_CONTROL_SPACE:
            case KD_API_READ_PHYSICAL_MEMORY:
                f[nf++] = (kd_enc_field){KD_F_M_RM_TARGET_BASE_ADDRESS,
                                         apis[k] == KD_API_READ_VIRTUAL_MEMORY     ? h->info.kern_base
                                         : apis[k] == KD_API_READ_PHYSICAL_MEMORY ? 0
                                                                                  : 2};
                f[nf++] = (kd_enc_field){KD_F_M_RM_TRANSFER_COUNT, 0xFFFFFFFFu};
                break;
            case KD_API_GET_BUS_DATA:
                f[nf++] = (kd_enc_field){KD_F_M_BUS_LENGTH, 0xFFFFFFFFu};
                break;
            default:
                f[nf++] = (kd_enc_field){KD_F_M_CX_BYTE_COUNT, 0xFFFFFFFFu};
                break;
            }
            assert_int_equal(h_req(h, apis[k], f, nf, NULL, 0), 1);
            assert_true(h->rp_item.body_len <= KD_PACKET_MAX_SIZE);
        }
        h_free(h);
    }
}

static void test_misc_apis(void **state)
{
    (void)state;
    harness *h = h_new(KD_ARCH_AMD64, 0, 41);
    h_boot(h);
    const uint64_t k = h->info.kern_base;
    /* MSRs: LSTAR = KiSystemCall64 in the image. */
    kd_enc_field lstar[] = {{KD_F_M_MSR_MSR, 0xC0000082u}};
    assert_int_equal(h_req(h, KD_API_READ_MSR, lstar, 1, NULL, 0), 1);
    assert_int_equal(rstatus(h), ST_SUCCESS);
    assert_int_equal(rval(h, KD_F_M_MSR_VALUE), k + KDSIM_RVA_SYSCALL);
    uint8_t code[3];
    h_read_ok(h, k + KDSIM_RVA_SYSCALL, 3, code);
    assert_memory_equal(code, "\x0f\x01\xf8", 3); /* swapgs */
    kd_enc_field nosuch[] = {{KD_F_M_MSR_MSR, 0x12345678u}};
    assert_int_equal(h_req(h, KD_API_READ_MSR, nosuch, 1, NULL, 0), 1);
    assert_int_equal(rstatus(h), ST_NO_SUCH_DEVICE);
    kd_enc_field wr[] = {{KD_F_M_MSR_MSR, 0xC0000102u}, {KD_F_M_MSR_DATA_VALUE_LOW, 0x89abcdef},
                         {KD_F_M_MSR_DATA_VALUE_HIGH, 0x01234567}};
    assert_int_equal(h_req(h, KD_API_WRITE_MSR, wr, N(wr), NULL, 0), 1);
    assert_int_equal(rstatus(h), ST_SUCCESS);
    kd_enc_field rd[] = {{KD_F_M_MSR_MSR, 0xC0000102u}};
    assert_int_equal(h_req(h, KD_API_READ_MSR, rd, 1, NULL, 0), 1);
    assert_int_equal(rval(h, KD_F_M_MSR_VALUE), 0x0123456789abcdefull);

    /* Control space: KPCR pointer (0), KSPECIAL_REGISTERS (2), bad selector. */
    uint8_t b[0x100];
    uint32_t st;
    assert_int_equal(h_read_ex(h, KD_API_READ_CONTROL_SPACE, 0, 8, b, &st), 8);
    assert_int_equal(st, ST_SUCCESS);
    uint64_t kpcr = le(b, 8);
    assert_int_equal(h_read_le(h, kpcr + 0x18, 8), kpcr); /* KPCR.Self */
    assert_int_equal(h_read_ex(h, KD_API_READ_CONTROL_SPACE, 2, 0x1000, b, &st), 0xF0);
    assert_int_equal(le(b + 0xC0, 8), k + KDSIM_RVA_SYSCALL); /* MsrLStar */
    assert_int_equal(h_read_ex(h, KD_API_READ_CONTROL_SPACE, 7, 8, b, &st), 0);
    assert_int_equal(st, ST_UNSUCCESSFUL);
    /* WriteControlSpace echoes its data. */
    kd_enc_field wc[] = {{KD_F_M_WM_TARGET_BASE_ADDRESS, 2}, {KD_F_M_WM_TRANSFER_COUNT, 8}};
    assert_int_equal(h_req(h, KD_API_WRITE_CONTROL_SPACE, wc, N(wc), "\x33\x00\x05\x80\0\0\0\0", 8), 1);
    assert_int_equal(rstatus(h), ST_SUCCESS);
    assert_int_equal(rnode(h, KD_F_M_WM_DATA)->length, 8);

    /* I/O space: all ones; bad sizes and buses refused. */
    kd_enc_field io1[] = {{KD_F_M_IO_IO_ADDRESS, 0x2F8}, {KD_F_M_IO_DATA_SIZE, 1}};
    assert_int_equal(h_req(h, KD_API_READ_IO_SPACE, io1, N(io1), NULL, 0), 1);
    assert_int_equal(rstatus(h), ST_SUCCESS);
    assert_int_equal(rval(h, KD_F_M_IO_DATA_VALUE), 0xFF);
    kd_enc_field io3[] = {{KD_F_M_IO_IO_ADDRESS, 0x2F8}, {KD_F_M_IO_DATA_SIZE, 3}};
    assert_int_equal(h_req(h, KD_API_READ_IO_SPACE, io3, N(io3), NULL, 0), 1);
    assert_int_equal(rstatus(h), ST_UNSUCCESSFUL);
    kd_enc_field iow[] = {{KD_F_M_IO_IO_ADDRESS, 0x80}, {KD_F_M_IO_DATA_SIZE, 4}, {KD_F_M_IO_DATA_VALUE, 1}};
    assert_int_equal(h_req(h, KD_API_WRITE_IO_SPACE, iow, N(iow), NULL, 0), 1);
    assert_int_equal(rstatus(h), ST_SUCCESS);
    kd_enc_field iox[] = {{KD_F_M_IOX_DATA_SIZE, 2}, {KD_F_M_IOX_INTERFACE_TYPE, 1},
                          {KD_F_M_IOX_BUS_NUMBER, 0}, {KD_F_M_IOX_ADDRESS_SPACE, 1},
                          {KD_F_M_IOX_IO_ADDRESS, 0x3F8}};
    assert_int_equal(h_req(h, KD_API_READ_IO_SPACE_EXTENDED, iox, N(iox), NULL, 0), 1);
    assert_int_equal(rstatus(h), ST_SUCCESS);
    assert_int_equal(rval(h, KD_F_M_IOX_DATA_VALUE), 0xFFFF);
    kd_enc_field ioxb[] = {{KD_F_M_IOX_DATA_SIZE, 2}, {KD_F_M_IOX_INTERFACE_TYPE, 5}};
    assert_int_equal(h_req(h, KD_API_READ_IO_SPACE_EXTENDED, ioxb, N(ioxb), NULL, 0), 1);
    assert_int_equal(rstatus(h), ST_UNSUCCESSFUL);

    /* SearchMemory finds the KDBG tag; a pattern that is nowhere is not found. */
    kd_enc_field sm[] = {{KD_F_M_SM_SEARCH_ADDRESS, k}, {KD_F_M_SM_SEARCH_LENGTH, h->info.image_size},
                         {KD_F_M_SM_PATTERN_LENGTH, 4}};
    assert_int_equal(h_req(h, KD_API_SEARCH_MEMORY, sm, N(sm), "KDBG", 4), 1);
    assert_int_equal(rstatus(h), ST_SUCCESS);
    assert_int_equal(rval(h, KD_F_M_SM_FOUND_ADDRESS), h->info.kdbg + 0x10);
    assert_int_equal(h_req(h, KD_API_SEARCH_MEMORY, sm, N(sm), "zq#!", 4), 1);
    assert_int_equal(rstatus(h), ST_NOT_FOUND);
    /* The whole pattern must lie inside the range. */
    kd_enc_field sm2[] = {{KD_F_M_SM_SEARCH_ADDRESS, h->info.kdbg + 0x10}, {KD_F_M_SM_SEARCH_LENGTH, 3},
                          {KD_F_M_SM_PATTERN_LENGTH, 4}};
    assert_int_equal(h_req(h, KD_API_SEARCH_MEMORY, sm2, N(sm2), "KDBG", 4), 1);
    assert_true(rstatus(h) != ST_SUCCESS);

    /* FillMemory repeats its pattern. */
    kd_enc_field fm[] = {{KD_F_M_FM_ADDRESS, h->info.scratch}, {KD_F_M_FM_LENGTH, 7}, {KD_F_M_FM_FLAGS, 1},
                         {KD_F_M_FM_PATTERN_LENGTH, 2}};
    assert_int_equal(h_req(h, KD_API_FILL_MEMORY, fm, N(fm), "ab", 2), 1);
    assert_int_equal(rstatus(h), ST_SUCCESS);
    assert_int_equal(rval(h, KD_F_M_FM_LENGTH), 7);
    h_read_ok(h, h->info.scratch, 8, b);
    assert_memory_equal(b, "abababa\0", 8);
    /* Over page boundaries, with a pattern whose length does not divide
     * the page: byte k of the fill is pattern[k % 3] on every page. */
    kd_enc_field fp[] = {{KD_F_M_FM_ADDRESS, 0x200000 - 2}, {KD_F_M_FM_LENGTH, 3 * 4096 + 5}, {KD_F_M_FM_FLAGS, 2},
                         {KD_F_M_FM_PATTERN_LENGTH, 3}};
    assert_int_equal(h_req(h, KD_API_FILL_MEMORY, fp, N(fp), "xyz", 3), 1);
    assert_int_equal(rstatus(h), ST_SUCCESS);
    assert_int_equal(rval(h, KD_F_M_FM_LENGTH), 3 * 4096 + 5);
    assert_int_equal(h_read_ex(h, KD_API_READ_PHYSICAL_MEMORY, 0x200000 - 2, 4, b, &st), 4);
    assert_memory_equal(b, "xyzx", 4);
    /* fill byte 4097 is 4097 % 3 = 2: 'z' at 0x200000 + 4095 */
    assert_int_equal(h_read_ex(h, KD_API_READ_PHYSICAL_MEMORY, 0x200000 + 4095, 3, b, &st), 3);
    assert_memory_equal(b, "zxy", 3);
    /* the last page: fill bytes 3*4096+1 .. +4 are y z x y, then untouched zero */
    assert_int_equal(h_read_ex(h, KD_API_READ_PHYSICAL_MEMORY, 0x200000 - 2 + 3 * 4096 + 1, 5, b, &st), 5);
    assert_memory_equal(b, "yzxy\0", 5);

    /* QueryMemory (ReactOS). */
    kd_enc_field qk[] = {{KD_F_M_QM_ADDRESS, k}, {KD_F_M_QM_ADDRESS_SPACE, 0}};
    assert_int_equal(h_req(h, KD_API_QUERY_MEMORY, qk, N(qk), NULL, 0), 1);
    assert_int_equal(rstatus(h), ST_SUCCESS);
    assert_int_equal(rval(h, KD_F_M_QM_ADDRESS_SPACE), 2);
    assert_int_equal(rval(h, KD_F_M_QM_FLAGS), 7);
    kd_enc_field qu[] = {{KD_F_M_QM_ADDRESS, 0x10000}, {KD_F_M_QM_ADDRESS_SPACE, 0}};
    assert_int_equal(h_req(h, KD_API_QUERY_MEMORY, qu, N(qu), NULL, 0), 1);
    assert_int_equal(rval(h, KD_F_M_QM_ADDRESS_SPACE), 0);
    assert_int_equal(rval(h, KD_F_M_QM_FLAGS), 0);
    kd_enc_field qb[] = {{KD_F_M_QM_ADDRESS, k}, {KD_F_M_QM_ADDRESS_SPACE, 1}};
    assert_int_equal(h_req(h, KD_API_QUERY_MEMORY, qb, N(qb), NULL, 0), 1);
    assert_int_equal(rstatus(h), ST_INVALID_PARAMETER);

    /* Physical memory: the kernel image window, RAM, and nothing beyond. */
    assert_int_equal(h_read_ex(h, KD_API_READ_PHYSICAL_MEMORY, 0x02a00000u, 2, b, &st), 2);
    assert_memory_equal(b, "MZ", 2);
    kd_enc_field pw[] = {{KD_F_M_WM_TARGET_BASE_ADDRESS, 0x100000}, {KD_F_M_WM_TRANSFER_COUNT, 4}};
    assert_int_equal(h_req(h, KD_API_WRITE_PHYSICAL_MEMORY, pw, N(pw), "phys", 4), 1);
    assert_int_equal(rstatus(h), ST_SUCCESS);
    assert_int_equal(h_read_ex(h, KD_API_READ_PHYSICAL_MEMORY, 0x100000, 4, b, &st), 4);
    assert_memory_equal(b, "phys", 4);
    assert_int_equal(h_read_ex(h, KD_API_READ_PHYSICAL_MEMORY, 0x100000000ull, 4, b, &st), 0);
    assert_int_equal(st, ST_UNSUCCESSFUL);
    /* The physical window and the virtual image are one memory. */
    kd_enc_field pw2[] = {{KD_F_M_WM_TARGET_BASE_ADDRESS, 0x02a00000u + KDSIM_RVA_SCRATCH}};
    assert_int_equal(h_req(h, KD_API_WRITE_PHYSICAL_MEMORY, pw2, N(pw2), "win", 3), 1);
    h_read_ok(h, h->info.scratch, 3, b);
    assert_memory_equal(b, "win", 3);

    /* Bus data: zeros. */
    kd_enc_field bus[] = {{KD_F_M_BUS_BUS_DATA_TYPE, 4}, {KD_F_M_BUS_LENGTH, 16}};
    assert_int_equal(h_req(h, KD_API_GET_BUS_DATA, bus, N(bus), NULL, 0), 1);
    assert_int_equal(rstatus(h), ST_SUCCESS);
    assert_int_equal(rnode(h, KD_F_M_BUS_DATA)->length, 16);
    h_free(h);

    /* x86 control space: offsets into KPROCESSOR_STATE, the CONTEXT first. */
    h = h_new(KD_ARCH_X86, 0, 41);
    h_boot(h);
    assert_int_equal(h_read_ex(h, KD_API_READ_CONTROL_SPACE, 0, 4, b, &st), 4);
    assert_int_equal(le(b, 4), 0x0001003F);
    assert_int_equal(h_read_ex(h, KD_API_READ_CONTROL_SPACE, 716, 0x100, b, &st), 0x54); /* KSPECIAL_REGISTERS */
    assert_int_equal(h_read_ex(h, KD_API_READ_CONTROL_SPACE, 0x400, 4, b, &st), 0);
    assert_int_equal(st, ST_UNSUCCESSFUL);
    kd_enc_field ms[] = {{KD_F_M_MSR_MSR, 0x176}};
    assert_int_equal(h_req(h, KD_API_READ_MSR, ms, 1, NULL, 0), 1);
    assert_int_equal(rval(h, KD_F_M_MSR_VALUE), (uint32_t)(h->info.kern_base + KDSIM_RVA_SYSCALL));
    h_free(h);
}

/* SearchMemory's answer by brute force over kdsim_model_read (0 = none). */
static uint64_t brute_search(harness *h, uint64_t a, uint64_t len, const uint8_t *pat, size_t plen)
{
    static uint8_t mem[6 * 4096];
    assert_true(len <= sizeof mem);
    assert_int_equal(kdsim_model_read(h->m, a, mem, (size_t)len), 0);
    for (uint64_t i = 0; i + plen <= len; i++)
        if (memcmp(mem + i, pat, plen) == 0)
            return a + i;
    return 0;
}

/* One SearchMemory request; its FoundAddress, or 0 for STATUS_NOT_FOUND. */
static uint64_t h_search(harness *h, uint64_t a, uint64_t len, const uint8_t *pat, size_t plen)
{
    kd_enc_field sm[] = {{KD_F_M_SM_SEARCH_ADDRESS, a}, {KD_F_M_SM_SEARCH_LENGTH, len},
                         {KD_F_M_SM_PATTERN_LENGTH, plen}};
    assert_int_equal(h_req(h, KD_API_SEARCH_MEMORY, sm, N(sm), pat, plen), 1);
    if (rstatus(h) == ST_NOT_FOUND)
        return 0;
    assert_int_equal(rstatus(h), ST_SUCCESS);
    return rval(h, KD_F_M_SM_FOUND_ADDRESS);
}

/*
 * SearchMemory over sparse memory: pages nobody wrote are zeros the model
 * does not store, and the search skips them; matches that start in such a
 * run, end in one or lie wholly inside one are still found, at the same
 * address a byte-by-byte search gives.  Scratch page P0 and the next page
 * are unwritten, P2 gets 'Q' at its first byte and 'A' at its last, P3 is
 * unwritten.
 */
static void test_search_sparse(void **state)
{
    (void)state;
    static const kd_arch arches[] = {KD_ARCH_AMD64, KD_ARCH_X86};
    static uint8_t zeros[3000];
    for (size_t ai = 0; ai < N(arches); ai++) {
        harness *h = h_new(arches[ai], 0, 71);
        h_boot(h);
        const uint64_t p0 = h->info.scratch, p2 = p0 + 2 * 4096, p4 = p0 + 4 * 4096;
        uint8_t chk[4 * 4096];
        assert_int_equal(kdsim_model_read(h->m, p0, chk, sizeof chk), 0);
        for (size_t i = 0; i < sizeof chk; i++)
            assert_int_equal(chk[i], 0); /* P0..P3 start out unwritten */
        assert_int_equal(kdsim_model_write(h->m, p2, "Q", 1), 0);
        assert_int_equal(kdsim_model_write(h->m, p2 + 4095, "A", 1), 0);

        struct { uint64_t a, len; const char *pat; size_t plen; uint64_t want; } c[] = {
            {p0, p4 - p0, "\0\0\0\0", 4, p0},           /* inside an unwritten run */
            {p0, p4 - p0, "\0\0Q", 3, p2 - 2},            /* starts in the run's tail */
            {p0, p4 - p0, "Q", 1, p2},
            {p0, p4 - p0, "A\0\0\0", 4, p2 + 4095},      /* ends in an unwritten page */
            {p0, p4 - p0, "\0A\0", 3, p2 + 4094},
            {p0, p4 - p0, "\0\0\0\0\0R", 6, 0},        /* nowhere */
            {p0, p2 + 1 - p0, "\0\0Q", 3, p2 - 2},        /* just fits the range */
            {p0, p2 - p0, "\0\0Q", 3, 0},                 /* one byte short */
            {p2 + 1, p4 - p2 - 1, "\0\0", 2, p2 + 1},     /* zeros in a written page */
            {p0 + 5, p4 - p0 - 5, "\0", 1, p0 + 5},
        };
        for (size_t i = 0; i < N(c); i++) {
            const uint8_t *pat = (const uint8_t *)c[i].pat;
            uint64_t got = h_search(h, c[i].a, c[i].len, pat, c[i].plen);
            if (got != c[i].want || got != brute_search(h, c[i].a, c[i].len, pat, c[i].plen))
                fail_msg("arch %d case %zu: found 0x%llx, want 0x%llx", (int)arches[ai], i,
                         (unsigned long long)got, (unsigned long long)c[i].want);
        }
        /* 3000 zeros: the run before 'Q' is 1000 bytes, too short; the
         * written page's zeros between 'Q' and 'A' hold them. */
        assert_int_equal(h_search(h, p2 - 1000, p4 - p2 + 1000, zeros, sizeof zeros), p2 + 1);
        /* 3000 zeros then nothing else: the run after 'A' holds them. */
        assert_int_equal(h_search(h, p2 + 4000, p4 - p2 - 4000, zeros, sizeof zeros), p2 + 4096);
        h_free(h);
    }
}

static void test_reboot(void **state)
{
    (void)state;
    harness *h = h_new(KD_ARCH_AMD64, 0, 43);
    h_boot(h);
    assert_int_equal(h_write(h, h->info.scratch, "gone", 4, NULL), ST_SUCCESS);
    kd_enc_field w[] = {{KD_F_M_WB_BREAK_POINT_ADDRESS, h->info.code}};
    assert_int_equal(h_req(h, KD_API_WRITE_BREAK_POINT, w, 1, NULL, 0), 1);
    assert_int_equal(h_req(h, KD_API_REBOOT, NULL, 0, NULL, 0), 0);
    assert_int_equal(kdsim_model_state(h->m), KDSIM_BOOT);
    uint8_t b[4];
    assert_int_equal(kdsim_model_read(h->m, h->info.scratch, b, 4), 0);
    assert_memory_equal(b, "\0\0\0\0", 4);
    assert_int_equal(kdsim_model_read(h->m, h->info.code, b, 1), 0);
    assert_int_equal(b[0], 0x90);
    assert_int_equal(h_event(h), 1);
    assert_int_equal(h->rp.api, KD_STATE_LOAD_SYMBOLS);
    h_free(h);
}

static void test_bugcheck(void **state)
{
    (void)state;
    harness *h = h_new(KD_ARCH_AMD64, 0, 47);
    h_boot(h);
    assert_int_equal(h_req(h, KD_API_CAUSE_BUG_CHECK, NULL, 0, NULL, 0), 0);
    assert_int_equal(h_event(h), 1);
    assert_int_equal(h->rp.api, KD_IO_PRINT_STRING);
    const kd_node *s = rnode(h, KD_F_DIO_STRING);
    char text[256] = {0};
    memcpy(text, s->data, s->length < 255 ? s->length : 255);
    assert_non_null(strstr(text, "*** Fatal System Error: 0x000000e2"));
    assert_int_equal(h_event(h), 1);
    assert_int_equal(rval(h, KD_F_EXCEPTION_CODE), ST_BREAKPOINT);
    assert_int_equal(rval(h, KD_F_STATE_PROGRAM_COUNTER), h->info.kern_base + KDSIM_RVA_BUGCHECK);
    h_continue(h);
    assert_int_equal(h_event(h), 0); /* dead: nothing more */
    kdsim_model_break_in(h->m);
    assert_int_equal(h_event(h), 1);
    assert_int_equal(rval(h, KD_F_STATE_PROGRAM_COUNTER), h->info.break_pc);
    h_free(h);
}

static void test_switch_processor(void **state)
{
    (void)state;
    harness *h = h_new(KD_ARCH_AMD64, 0, 53);
    h_boot(h);
    size_t len;
    h_get_context(h, &len);
    kd_enc_field f[] = {{KD_F_M_PROCESSOR, 0}};
    assert_int_equal(h_req(h, KD_API_SWITCH_PROCESSOR, f, 1, NULL, 0), 0);
    assert_int_equal(h_event(h), 1);
    assert_true(is_state_change(h));
    assert_int_equal(rval(h, KD_F_STATE_PROGRAM_COUNTER), h->info.break_pc);
    assert_int_equal(h_event(h), 0);
    /* A fresh report: KdpContextSent is cleared. */
    uint8_t ctx[1232] = {0};
    assert_int_equal(h_req(h, KD_API_SET_CONTEXT, NULL, 0, ctx, sizeof ctx), 1);
    assert_int_equal(rstatus(h), ST_UNSUCCESSFUL);
    /* Another processor's context: there is none. */
    kd_enc_field p1[] = {{KD_F_M_PROCESSOR, 1}};
    assert_int_equal(h_req(h, KD_API_GET_CONTEXT, p1, 1, NULL, 0), 1);
    assert_int_equal(rstatus(h), ST_UNSUCCESSFUL);
    h_free(h);
}

/* The RESET resend: the same state change, rebuilt; nothing while running. */
static void test_state_change_again(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(arches); i++) {
        harness *h = h_new(arches[i], 0, 67);
        h_boot(h);
        uint8_t first[KD_ITEM_MAX_BYTES];
        long n = h->rp_len;
        memcpy(first, h->rp_bytes, (size_t)n);
        size_t len;
        h_get_context(h, &len);
        assert_int_equal(kdsim_model_state_change(h->m, &h->out), 1);
        h_take(h);
        assert_int_equal(h->rp_len, n);
        assert_memory_equal(h->rp_bytes, first, (size_t)n);
        h_continue(h);
        assert_int_equal(kdsim_model_state_change(h->m, &h->out), 0);
        h_free(h);
    }
    harness *h = h_new(KD_ARCH_X86, 1, 67);
    h_boot(h);
    long n = h->rp_len;
    uint8_t first[KD_ITEM_MAX_BYTES];
    memcpy(first, h->rp_bytes, (size_t)n);
    assert_int_equal(kdsim_model_state_change(h->m, &h->out), 1);
    h_take(h);
    assert_memory_equal(h->rp_bytes, first, (size_t)n);
    h_free(h);
}

static void test_ignored_while_running(void **state)
{
    (void)state;
    harness *h = h_new(KD_ARCH_AMD64, 0, 59);
    h_boot(h);
    h_continue(h);
    assert_int_equal(h_req(h, KD_API_GET_VERSION, NULL, 0, NULL, 0), 0);
    kdsim_model_prompt_answer(h->m, "stray", 5); /* no prompt pending: ignored */
    assert_int_equal(h_event(h), 1);
    assert_int_equal(h->rp.api, KD_IO_PRINT_STRING);
    h_free(h);
}

/* kdsim_msg_encode = kd_encode + the InstructionStream; a copied kdsim_msg still encodes. */
static void test_msg_encode(void **state)
{
    (void)state;
    harness *h = h_new(KD_ARCH_AMD64, 0, 61);
    h_boot(h);
    uint8_t plain[KD_ITEM_MAX_BYTES];
    kd_enc_msg em = h->out.msg;
    em.id = 0x80800001u;
    long n = kd_encode(&em, KD_TRANSPORT_SERIAL, plain, sizeof plain);
    assert_int_equal(n, h->rp_len);
    kd_item it = kd_item_from_bytes(plain, (size_t)n, KD_ITEM_DATA, 0, KD_DIR_T2D);
    kd_msg *d = malloc(sizeof *d);
    assert_non_null(d);
    kd_decode(&it, &h->o, d);
    const kd_node *s = kd_msg_find(d, KD_F_CR_INSTRUCTION_STREAM);
    assert_non_null(s);
    assert_int_equal(s->data[0], 0); /* the encoder cannot place it */
    assert_int_equal(rnode(h, KD_F_CR_INSTRUCTION_STREAM)->data[0], 0xCC);
    size_t differ = 0;
    for (long i = 0; i < n; i++)
        differ += plain[i] != h->rp_bytes[i];
    assert_true(differ > 0 && differ <= 16 + 4); /* the stream and the checksum */
    kdsim_msg *copy = malloc(sizeof *copy);
    assert_non_null(copy);
    *copy = h->out;
    long n2 = kdsim_msg_encode(copy, 0x80800001u, KD_TRANSPORT_SERIAL, plain, sizeof plain);
    assert_int_equal(n2, h->rp_len);
    assert_memory_equal(plain, h->rp_bytes, (size_t)n2);
    free(copy);
    free(d);
    h_free(h);
}

/* The bytes of a mapped region, page by page (an unmapped page: 0xEE). */
static void region_bytes(kdsim_model *m, uint64_t base, size_t len, uint8_t *out)
{
    for (size_t o = 0; o < len; o += 4096)
        if (kdsim_model_read(m, base + o, out + o, 4096) != 0)
            memset(out + o, 0xEE, 4096);
}

/* Boots h and compares every event with g's, byte for byte. */
static void same_session(harness *g, harness *h)
{
    for (int i = 0; i < 3; i++) {
        assert_int_equal(h_event(g), 1);
        assert_int_equal(h_event(h), 1);
        assert_int_equal(g->rp_len, h->rp_len);
        assert_memory_equal(g->rp_bytes, h->rp_bytes, (size_t)g->rp_len);
        h_continue(g);
        h_continue(h);
    }
    assert_int_equal(h_event(g), h_event(h)); /* the DbgPrint of the first resume */
    assert_int_equal(g->rp_len, h->rp_len);
    assert_memory_equal(g->rp_bytes, h->rp_bytes, (size_t)g->rp_len);
}

/* kdsim_model_reset gives what kdsim_model_new gives, whatever the model
 * was and did before: the layout, memory (what it wrote is gone), the
 * CONTEXT and the session. */
/* A fill over all of RAM stops at the page cap (2 048 pages, 8 MiB) and
 * says how far it got; after a reset the pages kept for reuse read as never
 * written, whether the next write covers a whole page or a few bytes. */
static void test_memory_cap(void **state)
{
    (void)state;
    const kdsim_model_opts o = {.arch = KD_ARCH_AMD64, .seed = 3};
    harness *h = h_new_opts(&o);
    h_boot(h);
    kd_enc_field fm[] = {{KD_F_M_FM_ADDRESS, 0}, {KD_F_M_FM_LENGTH, KDSIM_PHYS_RAM_SIZE}, {KD_F_M_FM_FLAGS, 2},
                         {KD_F_M_FM_PATTERN_LENGTH, 2}};
    assert_int_equal(h_req(h, KD_API_FILL_MEMORY, fm, N(fm), "KD", 2), 1);
    assert_int_equal(rstatus(h), ST_UNSUCCESSFUL);
    assert_int_equal(rval(h, KD_F_M_FM_LENGTH), 2048 * 4096);
    uint8_t b[8];
    uint32_t st;
    assert_int_equal(h_read_ex(h, KD_API_READ_PHYSICAL_MEMORY, 2048 * 4096 - 2, 4, b, &st), 4);
    assert_memory_equal(b, "KD\0\0", 4);
    /* Written memory can still be rewritten at the cap; new pages cannot. */
    kd_enc_field pw[] = {{KD_F_M_WM_TARGET_BASE_ADDRESS, 0x1000}, {KD_F_M_WM_TRANSFER_COUNT, 2}};
    assert_int_equal(h_req(h, KD_API_WRITE_PHYSICAL_MEMORY, pw, N(pw), "ok", 2), 1);
    assert_int_equal(rstatus(h), ST_SUCCESS);
    kd_enc_field pn[] = {{KD_F_M_WM_TARGET_BASE_ADDRESS, 0x900000}, {KD_F_M_WM_TRANSFER_COUNT, 2}};
    assert_int_equal(h_req(h, KD_API_WRITE_PHYSICAL_MEMORY, pn, N(pn), "no", 2), 1);
    assert_int_equal(rstatus(h), ST_UNSUCCESSFUL);

    assert_int_equal(kdsim_model_reset(h->m, &o), 0);
    h->info = kdsim_model_get_info(h->m);
    h_boot(h);
    assert_int_equal(h_read_ex(h, KD_API_READ_PHYSICAL_MEMORY, 0x1000, 4, b, &st), 4);
    assert_memory_equal(b, "\0\0\0\0", 4);
    /* A few bytes into a reused page: the rest of it reads zeros. */
    kd_enc_field p1[] = {{KD_F_M_WM_TARGET_BASE_ADDRESS, 0x5003}, {KD_F_M_WM_TRANSFER_COUNT, 1}};
    assert_int_equal(h_req(h, KD_API_WRITE_PHYSICAL_MEMORY, p1, N(p1), "x", 1), 1);
    assert_int_equal(h_read_ex(h, KD_API_READ_PHYSICAL_MEMORY, 0x5000, 8, b, &st), 8);
    assert_memory_equal(b, "\0\0\0x\0\0\0\0", 8);
    /* A whole page written over one kept from the fill holds just that. */
    kd_enc_field fp[] = {{KD_F_M_FM_ADDRESS, 0x6000}, {KD_F_M_FM_LENGTH, 4096}, {KD_F_M_FM_FLAGS, 2},
                         {KD_F_M_FM_PATTERN_LENGTH, 1}};
    assert_int_equal(h_req(h, KD_API_FILL_MEMORY, fp, N(fp), "p", 1), 1);
    assert_int_equal(rstatus(h), ST_SUCCESS);
    assert_int_equal(h_read_ex(h, KD_API_READ_PHYSICAL_MEMORY, 0x5FFE, 4, b, &st), 4);
    assert_memory_equal(b, "\0\0pp", 4);
    h_free(h);
}

static void test_reset(void **state)
{
    (void)state;
    const kdsim_model_opts want[] = {
        {.arch = KD_ARCH_AMD64, .seed = 7},
        {.arch = KD_ARCH_X86, .protocol32 = 1, .seed = 2},
        {.arch = KD_ARCH_ARM64, .seed = 1, .kaslr = 1, .kaslr_seed = 9},
        {.arch = KD_ARCH_X86, .seed = 5, .kaslr = 1, .kaslr_seed = 4},
    };
    const kdsim_model_opts before = {.arch = KD_ARCH_X86, .protocol32 = 1, .seed = 11, .kaslr = 1, .kaslr_seed = 3};
    static uint8_t a[KDSIM_IMAGE_SIZE_64], b[KDSIM_IMAGE_SIZE_64];
    for (size_t k = 0; k < N(want); k++) {
        harness *used = h_new_opts(k % 2 ? &before : &want[(k + 1) % N(want)]);
        /* Round 0 resets from other options (the address space built anew),
         * rounds 1 and 2 to the same ones (the power-on copy restored). */
        for (int round = 0; round < 3; round++) {
            if (round > 0) {
                assert_int_equal(kdsim_model_reset(used->m, &want[k]), 0);
                used->info = kdsim_model_get_info(used->m);
            }
            /* Dirty it: boot, write memory of every region, set a breakpoint. */
            h_boot(used);
            const uint8_t junk[8] = {1, 2, 3, 4, 5, 6, 7, 8};
            const kdsim_model_info ui = used->info;
            const uint64_t spots[] = {ui.scratch, ui.kern_base, ui.hal_base + 0x2000, ui.kdcom_base + 0x1000,
                                      ui.driver_base + 0x1000, ui.stack_limit + 0x100,
                                      ui.ps_loaded_module_list};
            for (size_t i = 0; i < N(spots); i++)
                assert_int_equal(kdsim_model_write(used->m, spots[i], junk, sizeof junk), 0);
            kd_enc_field w[] = {{KD_F_M_WB_BREAK_POINT_ADDRESS, ui.code + 0x40}};
            assert_int_equal(h_req(used, KD_API_WRITE_BREAK_POINT, w, N(w), NULL, 0), 1);
            assert_int_equal(rstatus(used), ST_SUCCESS);

            assert_int_equal(kdsim_model_reset(used->m, &want[k]), 0);
            used->o = kdsim_model_decode_opts(used->m);
            used->info = kdsim_model_get_info(used->m);
            harness *fresh = h_new_opts(&want[k]);
            assert_memory_equal(&used->info, &fresh->info, sizeof used->info);
            assert_int_equal(kdsim_model_state(used->m), KDSIM_BOOT);
            size_t la, lb;
            const uint8_t *ca = kdsim_model_context(used->m, &la), *cb = kdsim_model_context(fresh->m, &lb);
            assert_int_equal(la, lb);
            assert_memory_equal(ca, cb, la);
            const kdsim_model_info *fi = &fresh->info;
            const struct {
                uint64_t base;
                size_t len;
            } regions[] = {{fi->kern_base, fi->image_size}, {fi->hal_base, 0x80000}, {fi->kdcom_base, 0x20000},
                           {fi->driver_base, 0x10000}, {fi->stack_limit, (size_t)(fi->stack_base - fi->stack_limit)},
                           {fi->ps_loaded_module_list & ~(uint64_t)0xFFFF, 0x10000}};
            uint8_t fl[8] = {0}; /* the list's Flink: the first LDR entry, in the pool */
            assert_int_equal(kdsim_model_read(fresh->m, fi->ps_loaded_module_list, fl, psz(fresh)), 0);
            region_bytes(used->m, le(fl, psz(fresh)) & ~(uint64_t)0xFFFF, 0x10000, a);
            region_bytes(fresh->m, le(fl, psz(fresh)) & ~(uint64_t)0xFFFF, 0x10000, b);
            assert_memory_equal(a, b, 0x10000);
            for (size_t r = 0; r < N(regions); r++) {
                region_bytes(used->m, regions[r].base, regions[r].len, a);
                region_bytes(fresh->m, regions[r].base, regions[r].len, b);
                assert_memory_equal(a, b, regions[r].len);
            }
            /* Where the old model wrote: as fresh (zeros or the seeded content). */
            uint8_t x[8], y[8];
            for (size_t i = 0; i < N(spots); i++) {
                int ra = kdsim_model_read(used->m, spots[i], x, sizeof x);
                assert_int_equal(ra, kdsim_model_read(fresh->m, spots[i], y, sizeof y));
                if (ra == 0)
                    assert_memory_equal(x, y, sizeof x);
            }
            same_session(fresh, used);
            h_free(fresh);
        }
        h_free(used);
    }
    /* Options kdsim_model_new refuses: -1, the model as it was. */
    harness *h = h_new(KD_ARCH_AMD64, 0, 1);
    kdsim_model_opts bad = {.arch = KD_ARCH_ARM64, .protocol32 = 1};
    assert_int_equal(kdsim_model_reset(h->m, &bad), -1);
    assert_int_equal(kdsim_model_get_info(h->m).kern_base, h->info.kern_base);
    assert_int_equal(h_event(h), 1);
    assert_int_equal(h->rp.api, KD_STATE_LOAD_SYMBOLS);
    assert_int_equal(kdsim_model_reset(NULL, NULL), -1);
    h_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_boot_sequence),
        cmocka_unit_test(test_get_version),
        cmocka_unit_test(test_memory_content),
        cmocka_unit_test(test_kaslr),
        cmocka_unit_test(test_protocol32),
        cmocka_unit_test(test_write_read_back),
        cmocka_unit_test(test_read_limits),
        cmocka_unit_test(test_context),
        cmocka_unit_test(test_context_ex),
        cmocka_unit_test(test_breakpoint),
        cmocka_unit_test(test_lowest_breakpoint_first),
        cmocka_unit_test(test_single_step),
        cmocka_unit_test(test_break_in),
        cmocka_unit_test(test_prompt),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_every_api),
        cmocka_unit_test(test_reply_sizes),
        cmocka_unit_test(test_misc_apis),
        cmocka_unit_test(test_search_sparse),
        cmocka_unit_test(test_reboot),
        cmocka_unit_test(test_bugcheck),
        cmocka_unit_test(test_switch_processor),
        cmocka_unit_test(test_state_change_again),
        cmocka_unit_test(test_ignored_while_running),
        cmocka_unit_test(test_msg_encode),
        cmocka_unit_test(test_memory_cap),
        cmocka_unit_test(test_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
