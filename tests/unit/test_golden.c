/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Golden vectors for the decoder, built by hand from the reference tables.
 *
 * Every offset and size below was copied from ../shared/reference/
 * kd-protocol.md: §2.4 (the structure tables) and §2.3 (the 32-bit
 * manipulate header as Windows lays it out: 52 bytes, union at 0x0C; the
 * ARM64 control set as Windows lays it out).  None was taken from
 * kdparse/src/layouts.c or layout_context.c, so an offset mistake there
 * cannot cancel out here.
 *
 * Method: a table lists the fields of one structure (field id, offset in
 * the structure, wire size, element count).  fill() writes a distinct,
 * recognisable value into every element (0x1111222233334444 + c, truncated
 * to the wire size, c counting up; byte arrays get the bytes c, c+1, ...),
 * and fills everything else with 0xEE so that a read that is too wide or
 * misplaced picks up a wrong byte.  The bytes become a serial packet
 * (kdb_data_packet), go through the framer and the decoder, and check()
 * then finds every node and compares its value, its absolute offset (from
 * the first byte of the packet: the body starts at 16) and its length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kdbytes.h"
#include "kdparse/decode.h"
#include "kdparse/framer.h"

#define BODY 16u          /* the body follows the 16-byte KD_PACKET */
#define FILLER 0xEEu      /* every byte no field claims */
#define N(t) (sizeof(t) / sizeof((t)[0]))

static unsigned long g_checks; /* field checks made, for the report at the end */

/* ------------------------------------------------------------ framing and decoding */

typedef struct framed {
    kd_item item;
    uint8_t bytes[KD_ITEM_MAX_BYTES];
    unsigned items;
} framed;

static framed g_fr;
static kd_msg g_msg;
static uint8_t g_body[KD_PACKET_MAX_SIZE];

static void on_item(const kd_item *it, void *user)
{
    framed *f = user;
    if (f->items++ > 0)
        return;
    f->item = *it;
    memcpy(f->bytes, it->bytes, it->len);
    f->item.bytes = f->bytes;
    f->item.body = it->body ? f->bytes + (it->body - it->bytes) : NULL;
}

/* Frames bytes (exactly one data packet) from direction dir into *out. */
static void frame_one(const uint8_t *bytes, size_t len, kd_dir dir, framed *out)
{
    out->items = 0;
    kd_framer *f = kd_framer_new(KD_TRANSPORT_SERIAL, dir, on_item, out);
    assert_non_null(f);
    kd_framer_feed(f, bytes, len, 1000);
    kd_framer_finish(f);
    kd_framer_free(f);
    assert_int_equal(out->items, 1);
    assert_int_equal(out->item.kind, KD_ITEM_DATA);
    assert_int_equal(out->item.flags, 0);
    assert_int_equal(out->item.len, len);
    assert_int_equal(out->item.dir, dir);
}

/* A clean body: every byte FILLER. */
static uint8_t *new_body(void)
{
    memset(g_body, FILLER, sizeof g_body);
    return g_body;
}

static const kd_node *node_at(const kd_msg *m, kd_field_id f, unsigned index)
{
    for (uint16_t i = 0; i < m->n; i++)
        if (m->nodes[i].field == f && index-- == 0)
            return &m->nodes[i];
    return NULL;
}

static unsigned count_of(const kd_msg *m, kd_field_id f)
{
    unsigned k = 0;
    for (uint16_t i = 0; i < m->n; i++)
        k += m->nodes[i].field == f;
    return k;
}

/*
 * Mismatches are reported and counted, not fatal, so one run lists every
 * discrepancy; the teardown (verdict) fails the test when there was any.
 */
static unsigned g_bad;
static char g_ctx[96]; /* which packet: set by decode_one */

/* At most this many mismatches are printed per test; all are counted. */
#define BAD_SHOWN 24

#define BAD(...)                                         \
    do {                                                 \
        if (g_bad++ < BAD_SHOWN) {                       \
            print_message("MISMATCH [%s]: ", g_ctx);     \
            print_message(__VA_ARGS__);                  \
            print_message("\n");                         \
        }                                                \
    } while (0)

/* The index-th node of f at off, len bytes; NULL (reported) otherwise. */
static const kd_node *want_node(const kd_msg *m, kd_field_id f, unsigned index, size_t off,
                                size_t len)
{
    const kd_node *n = node_at(m, f, index);
    g_checks++;
    if (!n) {
        BAD("%s[%u]: no node (expected at %zu, %zu bytes)", kd_fields[f].abbrev, index, off, len);
        return NULL;
    }
    if (n->offset != off || n->length != len) {
        BAD("%s[%u]: at %u, %u bytes; expected at %zu, %zu bytes", kd_fields[f].abbrev, index,
            n->offset, n->length, off, len);
        return NULL;
    }
    return n;
}

static void want_value(const kd_msg *m, kd_field_id f, unsigned index, size_t off, size_t len,
                       uint64_t v)
{
    const kd_node *n = want_node(m, f, index, off, len);
    if (n && n->value != v)
        BAD("%s[%u] at %zu: value 0x%llx, expected 0x%llx", kd_fields[f].abbrev, index, off,
            (unsigned long long)n->value, (unsigned long long)v);
}

/* A text/bytes node holding exactly the len bytes p at off. */
static void want_bytes(const kd_msg *m, kd_field_id f, size_t off, const void *p, size_t len)
{
    const kd_node *n = want_node(m, f, 0, off, len);
    if (n && (n->data != m->item->bytes + off || memcmp(n->data, p, len) != 0))
        BAD("%s at %zu: wrong bytes", kd_fields[f].abbrev, off);
}

static void want_absent(const kd_msg *m, kd_field_id f)
{
    const kd_node *n = node_at(m, f, 0);
    g_checks++;
    if (n)
        BAD("%s: unexpected node at %u, %u bytes", kd_fields[f].abbrev, n->offset, n->length);
}

static void want_problems(const kd_msg *m, uint32_t problems)
{
    g_checks++;
    if (m->problems != problems)
        BAD("problems 0x%x, expected 0x%x", m->problems, problems);
}

static void want_flag(const kd_msg *m, uint32_t flag)
{
    g_checks++;
    if (!(m->problems & flag))
        BAD("problems 0x%x lack 0x%x", m->problems, flag);
}

static int reset(void **state)
{
    (void)state;
    g_bad = 0;
    return 0;
}

static int verdict(void **state)
{
    (void)state;
    if (g_bad)
        print_error("%u mismatches\n", g_bad);
    return g_bad ? -1 : 0;
}

/* Invariant of every decode: no wire node reaches past the end of the body. */
static void want_within(const kd_msg *m, size_t end)
{
    for (uint16_t i = 0; i < m->n; i++) {
        const kd_node *n = &m->nodes[i];
        if (n->field == KD_F_TRAILER)
            continue;
        g_checks++;
        if ((size_t)n->offset + n->length > end)
            BAD("%s: %u+%u reaches past the body end %zu", kd_fields[n->field].abbrev, n->offset,
                n->length, end);
    }
}

/*
 * Invariant of every decode: the list is a pre-order tree.  Depth grows by
 * at most one from node to node, and a node lies inside its parent (the
 * nearest earlier node one level up), generated nodes included.
 */
static void want_tree(const kd_msg *m)
{
    for (uint16_t i = 0; i < m->n; i++) {
        const kd_node *n = &m->nodes[i];
        g_checks++;
        if (i == 0 ? n->depth != 0 : n->depth > m->nodes[i - 1].depth + 1) {
            BAD("%s: depth %u after depth %u", kd_fields[n->field].abbrev, n->depth,
                i ? m->nodes[i - 1].depth : 0);
            continue;
        }
        if (n->depth == 0)
            continue;
        const kd_node *p = NULL;
        for (uint16_t j = i; j-- > 0;)
            if (m->nodes[j].depth == n->depth - 1) {
                p = &m->nodes[j];
                break;
            }
        if (!p || kd_fields[p->field].type != KD_FT_NONE)
            BAD("%s: parent %s is not a structure", kd_fields[n->field].abbrev,
                p ? kd_fields[p->field].abbrev : "(none)");
        else if (n->offset < p->offset || n->offset + n->length > p->offset + p->length ||
                 (n->length == 0 && n->offset >= p->offset + p->length && p->length))
            BAD("%s at %u+%u lies outside its parent %s at %u+%u", kd_fields[n->field].abbrev,
                n->offset, n->length, kd_fields[p->field].abbrev, p->offset, p->length);
    }
}

/* The KD_PACKET header nodes (§2.4 KD_PACKET) of a packet built by decode_one. */
static void want_packet_header(const kd_msg *m, uint16_t type, const uint8_t *body, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += body[i];
    want_value(m, KD_F_LEADER, 0, 0, 4, 0x30303030u);
    want_value(m, KD_F_TYPE, 0, 4, 2, type);
    want_value(m, KD_F_BYTE_COUNT, 0, 6, 2, len);
    want_value(m, KD_F_ID, 0, 8, 4, 0x80800001u);
    want_value(m, KD_F_CHECKSUM, 0, 12, 4, sum);
    want_value(m, KD_F_TRAILER, 0, BODY + len, 1, 0xAA);
    assert_int_equal(m->type, type);
}

/* Builds a serial packet of type with body[0..len), frames it as coming
 * from dir and decodes it with the given views (0/UNKNOWN: infer). */
static const kd_msg *decode_one(uint16_t type, kd_dir dir, const uint8_t *body, size_t len,
                                kd_arch arch, uint8_t width)
{
    kdb_buf b = {0};
    kdb_data_packet(&b, type, 0x80800001u, body, len, 1);
    frame_one(b.data, b.len, dir, &g_fr);
    kdb_free(&b);
    kd_decode_opts o = {.arch = arch, .width = width};
    snprintf(g_ctx, sizeof g_ctx, "type %u %s 0x%04x, %zu bytes, %s, width %u", type, kd_dir_name(dir),
             len >= 4 ? kd_le32(body) : 0u, len, kd_arch_name(arch), width);
    kd_decode(&g_fr.item, &o, &g_msg);
    want_packet_header(&g_msg, type, body, len);
    want_within(&g_msg, BODY + len);
    want_tree(&g_msg);
    return &g_msg;
}

/* A STATE_MANIPULATE packet (width 32 or 64; 0 = guess). */
static const kd_msg *decode_manip(kd_dir dir, const uint8_t *body, size_t len, kd_arch arch,
                                  unsigned width)
{
    return decode_one(KD_TYPE_STATE_MANIPULATE, dir, body, len, arch, (uint8_t)width);
}

/* ------------------------------------------------------------ field tables */

/* One member of a structure: field, offset in the structure, wire size of
 * one element, element count. */
typedef struct fld {
    kd_field_id f;
    uint16_t off;
    uint16_t size;
    uint16_t count;
} fld;

#define M(id, off, size) {KD_F_##id, (off), (size), 1}
#define ARR(id, off, size, n) {KD_F_##id, (off), (size), (n)}

static uint64_t golden(unsigned c, size_t size)
{
    uint64_t v = 0x1111222233334444ull + c;
    return size >= 8 ? v : v & ((1ull << (8 * size)) - 1);
}

static int is_bytes(kd_field_id f)
{
    return kd_fields[f].type == KD_FT_BYTES;
}

static void put_le(uint8_t *p, uint64_t v, size_t size)
{
    for (size_t i = 0; i < size; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Writes the table's golden values into body at structure offset rel. */
static void fill(uint8_t *body, size_t rel, const fld *t, size_t n, unsigned c)
{
    for (size_t k = 0; k < n; k++) {
        if (is_bytes(t[k].f)) {
            size_t total = (size_t)t[k].size * t[k].count;
            for (size_t i = 0; i < total; i++)
                body[rel + t[k].off + i] = (uint8_t)(c + i);
            c++;
            continue;
        }
        for (unsigned e = 0; e < t[k].count; e++)
            put_le(body + rel + t[k].off + (size_t)e * t[k].size, golden(c++, t[k].size), t[k].size);
    }
}

/* A byte array may be one node or one node per element: either way its
 * nodes must tile [off, off + total) in order and hold the golden bytes. */
static void check_bytes(const kd_msg *m, const fld *e, size_t off, unsigned c)
{
    size_t total = (size_t)e->size * e->count, at = off;
    for (unsigned i = 0; at < off + total; i++) {
        const kd_node *n = node_at(m, e->f, i);
        g_checks++;
        if (!n) {
            BAD("%s: no node at %zu (array %zu..%zu)", kd_fields[e->f].abbrev, at, off, off + total);
            return;
        }
        if (n->offset != at || n->length == 0 || at + n->length > off + total) {
            BAD("%s: node at %u, %u bytes; expected one starting at %zu within %zu..%zu",
                kd_fields[e->f].abbrev, n->offset, n->length, at, off, off + total);
            return;
        }
        for (size_t j = 0; j < n->length; j++) {
            if (n->data != m->item->bytes + at || n->data[j] != (uint8_t)(c + (at - off) + j)) {
                BAD("%s: wrong byte %zu", kd_fields[e->f].abbrev, at - off + j);
                return;
            }
        }
        at += n->length;
    }
}

/* Checks every member of the table, the structure starting at absolute offset abs. */
static void check(const kd_msg *m, size_t abs, const fld *t, size_t n, unsigned c)
{
    for (size_t k = 0; k < n; k++) {
        if (is_bytes(t[k].f)) {
            check_bytes(m, &t[k], abs + t[k].off, c++);
            continue;
        }
        for (unsigned e = 0; e < t[k].count; e++) {
            size_t off = abs + t[k].off + (size_t)e * t[k].size;
            want_value(m, t[k].f, e, off, t[k].size, golden(c++, t[k].size));
        }
    }
}

/* A structure node (subtree) at abs, len bytes. */
static void want_struct(const kd_msg *m, kd_field_id f, size_t abs, size_t len)
{
    assert_int_equal(kd_fields[f].type, KD_FT_NONE);
    want_node(m, f, 0, abs, len);
}

/* ------------------------------------------------------------ §2.4 tables */

/* DBGKD_ANY_WAIT_STATE_CHANGE, the common header (NewState written apart). */
static const fld state64_hdr[] = {
    M(STATE_PROCESSOR_LEVEL, 0x04, 2), M(STATE_PROCESSOR, 0x06, 2),
    M(STATE_NUMBER_PROCESSORS, 0x08, 4), M(STATE_THREAD, 0x10, 8),
    M(STATE_PROGRAM_COUNTER, 0x18, 8),
};

/* DBGKM_EXCEPTION64 (160) */
static const fld exception64[] = {
    M(EXCEPTION_CODE, 0x00, 4),      M(EXCEPTION_FLAGS, 0x04, 4),
    M(EXCEPTION_RECORD, 0x08, 8),    M(EXCEPTION_ADDRESS, 0x10, 8),
    M(EXCEPTION_NUMBER_PARAMETERS, 0x18, 4), ARR(EXCEPTION_INFORMATION, 0x20, 8, 15),
    M(EXCEPTION_FIRST_CHANCE, 0x98, 4),
};

/* DBGKD_LOAD_SYMBOLS64 (40), PathNameLength written apart. */
static const fld load_symbols64[] = {
    M(LS_BASE_OF_DLL, 0x08, 8), M(LS_PROCESS_ID, 0x10, 8), M(LS_CHECK_SUM, 0x18, 4),
    M(LS_SIZE_OF_IMAGE, 0x1C, 4), M(LS_UNLOAD_SYMBOLS, 0x20, 1),
};

/* DBGKD_COMMAND_STRING (64) */
static const fld command_string[] = {
    M(CS_FLAGS, 0x00, 4), M(CS_RESERVED1, 0x04, 4), ARR(CS_RESERVED2, 0x08, 8, 7),
};

/* X86_DBGKD_CONTROL_REPORT (40) */
static const fld cr_x86[] = {
    M(CR_DR6, 0x00, 4),           M(CR_DR7, 0x04, 4),       M(CR_INSTRUCTION_COUNT, 0x08, 2),
    M(CR_REPORT_FLAGS, 0x0A, 2),  M(CR_INSTRUCTION_STREAM, 0x0C, 16),
    M(CR_SEG_CS, 0x1C, 2),        M(CR_SEG_DS, 0x1E, 2),    M(CR_SEG_ES, 0x20, 2),
    M(CR_SEG_FS, 0x22, 2),        M(CR_EFLAGS, 0x24, 4),
};

/* AMD64_DBGKD_CONTROL_REPORT (48) */
static const fld cr_amd64[] = {
    M(CR_DR6, 0x00, 8),           M(CR_DR7, 0x08, 8),       M(CR_EFLAGS, 0x10, 4),
    M(CR_INSTRUCTION_COUNT, 0x14, 2), M(CR_REPORT_FLAGS, 0x16, 2),
    M(CR_INSTRUCTION_STREAM, 0x18, 16),
    M(CR_SEG_CS, 0x28, 2),        M(CR_SEG_DS, 0x2A, 2),    M(CR_SEG_ES, 0x2C, 2),
    M(CR_SEG_FS, 0x2E, 2),
};

/* ARM64_DBGKD_CONTROL_REPORT (40) */
static const fld cr_arm64[] = {
    M(CR_BVR, 0x00, 8), M(CR_WVR, 0x08, 8), M(CR_INSTRUCTION_COUNT, 0x10, 4),
    M(CR_INSTRUCTION_STREAM, 0x14, 16),
};

/* ARM_DBGKD_CONTROL_REPORT (24) */
static const fld cr_arm[] = {
    M(CR_CPSR, 0x00, 4), M(CR_INSTRUCTION_COUNT, 0x04, 4), M(CR_INSTRUCTION_STREAM, 0x08, 16),
};

/* IA64_ / ALPHA_DBGKD_CONTROL_REPORT (20) */
static const fld cr_ia64[] = {
    M(CR_INSTRUCTION_COUNT, 0x00, 4), M(CR_INSTRUCTION_STREAM, 0x04, 16),
};

/* DBGKD_WAIT_STATE_CHANGE32 (104), the common header (NewState apart). */
static const fld state32_hdr[] = {
    M(STATE_PROCESSOR_LEVEL, 0x04, 2), M(STATE_PROCESSOR, 0x06, 2),
    M(STATE_NUMBER_PROCESSORS, 0x08, 4), M(STATE_THREAD, 0x0C, 4),
    M(STATE_PROGRAM_COUNTER, 0x10, 4),
};

/* DBGKM_EXCEPTION32 (84) */
static const fld exception32[] = {
    M(EXCEPTION_CODE, 0x00, 4),      M(EXCEPTION_FLAGS, 0x04, 4),
    M(EXCEPTION_RECORD, 0x08, 4),    M(EXCEPTION_ADDRESS, 0x0C, 4),
    M(EXCEPTION_NUMBER_PARAMETERS, 0x10, 4), ARR(EXCEPTION_INFORMATION, 0x14, 4, 15),
    M(EXCEPTION_FIRST_CHANCE, 0x50, 4),
};

/* DBGKD_LOAD_SYMBOLS32 (24) */
static const fld load_symbols32[] = {
    M(LS_PATH_NAME_LENGTH, 0x00, 4), M(LS_BASE_OF_DLL, 0x04, 4), M(LS_PROCESS_ID, 0x08, 4),
    M(LS_CHECK_SUM, 0x0C, 4),        M(LS_SIZE_OF_IMAGE, 0x10, 4), M(LS_UNLOAD_SYMBOLS, 0x14, 1),
};

/* DBGKD_MANIPULATE_STATE32/64 header (ApiNumber apart): the same 12 bytes in both. */
static const fld manip_hdr[] = {
    M(M_PROCESSOR_LEVEL, 0x04, 2), M(M_PROCESSOR, 0x06, 2), M(M_RETURN_STATUS, 0x08, 4),
};

/* ---- union members, offsets within the member */
static const fld rm64[] = {M(M_RM_TARGET_BASE_ADDRESS, 0, 8), M(M_RM_TRANSFER_COUNT, 8, 4),
                           M(M_RM_ACTUAL_BYTES_READ, 12, 4)};
static const fld rm32[] = {M(M_RM_TARGET_BASE_ADDRESS, 0, 4), M(M_RM_TRANSFER_COUNT, 4, 4),
                           M(M_RM_ACTUAL_BYTES_READ, 8, 4)};
static const fld wm64[] = {M(M_WM_TARGET_BASE_ADDRESS, 0, 8), M(M_WM_TRANSFER_COUNT, 8, 4),
                           M(M_WM_ACTUAL_BYTES_WRITTEN, 12, 4)};
static const fld wm32[] = {M(M_WM_TARGET_BASE_ADDRESS, 0, 4), M(M_WM_TRANSFER_COUNT, 4, 4),
                           M(M_WM_ACTUAL_BYTES_WRITTEN, 8, 4)};
static const fld get_context[] = {M(M_GC_UNUSED, 0, 4)};
static const fld set_context[] = {M(M_SC_CONTEXT_FLAGS, 0, 4)};
static const fld wb64[] = {M(M_WB_BREAK_POINT_ADDRESS, 0, 8), M(M_WB_BREAK_POINT_HANDLE, 8, 4)};
static const fld wb32[] = {M(M_WB_BREAK_POINT_ADDRESS, 0, 4), M(M_WB_BREAK_POINT_HANDLE, 4, 4)};
static const fld restore_bp[] = {M(M_RB_BREAK_POINT_HANDLE, 0, 4)};
static const fld cont[] = {M(M_C_CONTINUE_STATUS, 0, 4)};
static const fld cont2[] = {M(M_C2_CONTINUE_STATUS, 0, 4)};
static const fld io64[] = {M(M_IO_IO_ADDRESS, 0, 8), M(M_IO_DATA_SIZE, 8, 4), M(M_IO_DATA_VALUE, 12, 4)};
static const fld io32[] = {M(M_IO_IO_ADDRESS, 0, 4), M(M_IO_DATA_SIZE, 4, 4), M(M_IO_DATA_VALUE, 8, 4)};
static const fld iox64[] = {M(M_IOX_DATA_SIZE, 0x00, 4),     M(M_IOX_INTERFACE_TYPE, 0x04, 4),
                            M(M_IOX_BUS_NUMBER, 0x08, 4),    M(M_IOX_ADDRESS_SPACE, 0x0C, 4),
                            M(M_IOX_IO_ADDRESS, 0x10, 8),    M(M_IOX_DATA_VALUE, 0x18, 4)};
static const fld iox32[] = {M(M_IOX_DATA_SIZE, 0x00, 4),     M(M_IOX_INTERFACE_TYPE, 0x04, 4),
                            M(M_IOX_BUS_NUMBER, 0x08, 4),    M(M_IOX_ADDRESS_SPACE, 0x0C, 4),
                            M(M_IOX_IO_ADDRESS, 0x10, 4),    M(M_IOX_DATA_VALUE, 0x14, 4)};
static const fld qsc[] = {M(M_QSC_NUMBER_OF_SPECIAL_CALLS, 0, 4)};
static const fld ssc64[] = {M(M_SSC_SPECIAL_CALL, 0, 8)};
static const fld ssc32[] = {M(M_SSC_SPECIAL_CALL, 0, 4)};
static const fld sib64[] = {M(M_SIB_BREAKPOINT_ADDRESS, 0, 8), M(M_SIB_FLAGS, 8, 4)};
static const fld sib32[] = {M(M_SIB_BREAKPOINT_ADDRESS, 0, 4), M(M_SIB_FLAGS, 4, 4)};
static const fld gib64[] = {M(M_GIB_BREAKPOINT_ADDRESS, 0x00, 8), M(M_GIB_FLAGS, 0x08, 4),
                            M(M_GIB_CALLS, 0x0C, 4),              M(M_GIB_MAX_CALLS_PER_PERIOD, 0x10, 4),
                            M(M_GIB_MIN_INSTRUCTIONS, 0x14, 4),   M(M_GIB_MAX_INSTRUCTIONS, 0x18, 4),
                            M(M_GIB_TOTAL_INSTRUCTIONS, 0x1C, 4)};
static const fld gib32[] = {M(M_GIB_BREAKPOINT_ADDRESS, 0x00, 4), M(M_GIB_FLAGS, 0x04, 4),
                            M(M_GIB_CALLS, 0x08, 4),              M(M_GIB_MAX_CALLS_PER_PERIOD, 0x0C, 4),
                            M(M_GIB_MIN_INSTRUCTIONS, 0x10, 4),   M(M_GIB_MAX_INSTRUCTIONS, 0x14, 4),
                            M(M_GIB_TOTAL_INSTRUCTIONS, 0x18, 4)};
static const fld gv64[] = {
    M(M_GV_MAJOR_VERSION, 0x00, 2),  M(M_GV_MINOR_VERSION, 0x02, 2),
    M(M_GV_PROTOCOL_VERSION, 0x04, 1), M(M_GV_KD_SECONDARY_VERSION, 0x05, 1),
    M(M_GV_FLAGS, 0x06, 2),          M(M_GV_MACHINE_TYPE, 0x08, 2),
    M(M_GV_MAX_PACKET_TYPE, 0x0A, 1), M(M_GV_MAX_STATE_CHANGE, 0x0B, 1),
    M(M_GV_MAX_MANIPULATE, 0x0C, 1), M(M_GV_SIMULATION, 0x0D, 1),
    M(M_GV_UNUSED, 0x0E, 2),         M(M_GV_KERN_BASE, 0x10, 8),
    M(M_GV_PS_LOADED_MODULE_LIST, 0x18, 8), M(M_GV_DEBUGGER_DATA_LIST, 0x20, 8),
};
static const fld gv32[] = {
    M(M_GV32_MAJOR_VERSION, 0x00, 2),   M(M_GV32_MINOR_VERSION, 0x02, 2),
    M(M_GV32_PROTOCOL_VERSION, 0x04, 2), M(M_GV32_FLAGS, 0x06, 2),
    M(M_GV32_KERN_BASE, 0x08, 4),       M(M_GV32_PS_LOADED_MODULE_LIST, 0x0C, 4),
    M(M_GV32_MACHINE_TYPE, 0x10, 2),    M(M_GV32_TH_CALLBACK_STACK, 0x12, 2),
    M(M_GV32_NEXT_CALLBACK, 0x14, 2),   M(M_GV32_FRAME_POINTER, 0x16, 2),
    M(M_GV32_KI_CALL_USER_MODE, 0x18, 4), M(M_GV32_KE_USER_CALLBACK_DISPATCHER, 0x1C, 4),
    M(M_GV32_BREAKPOINT_WITH_STATUS, 0x20, 4), M(M_GV32_DEBUGGER_DATA_LIST, 0x24, 4),
};
static const fld bpx[] = {M(M_BPX_BREAK_POINT_COUNT, 0, 4), M(M_BPX_CONTINUE_STATUS, 4, 4)};
static const fld msr[] = {M(M_MSR_MSR, 0, 4), M(M_MSR_DATA_VALUE_LOW, 4, 4), M(M_MSR_DATA_VALUE_HIGH, 8, 4)};
static const fld search_req[] = {M(M_SM_SEARCH_ADDRESS, 0x00, 8), M(M_SM_SEARCH_LENGTH, 0x08, 8),
                                 M(M_SM_PATTERN_LENGTH, 0x10, 4)};
static const fld search_reply[] = {M(M_SM_FOUND_ADDRESS, 0x00, 8), M(M_SM_SEARCH_LENGTH, 0x08, 8),
                                   M(M_SM_PATTERN_LENGTH, 0x10, 4)};
static const fld bus[] = {M(M_BUS_BUS_DATA_TYPE, 0x00, 4), M(M_BUS_BUS_NUMBER, 0x04, 4),
                          M(M_BUS_SLOT_NUMBER, 0x08, 4),   M(M_BUS_OFFSET, 0x0C, 4),
                          M(M_BUS_LENGTH, 0x10, 4)};
static const fld fillm[] = {M(M_FM_ADDRESS, 0x00, 8), M(M_FM_LENGTH, 0x08, 4), M(M_FM_FLAGS, 0x0C, 2),
                            M(M_FM_PATTERN_LENGTH, 0x0E, 2)};
static const fld querym[] = {M(M_QM_ADDRESS, 0x00, 8), M(M_QM_RESERVED, 0x08, 8),
                             M(M_QM_ADDRESS_SPACE, 0x10, 4), M(M_QM_FLAGS, 0x14, 4)};
static const fld partition[] = {M(M_SP_PARTITION, 0, 4)};
static const fld custom_bp[] = {M(M_WCB_BREAK_POINT_ADDRESS, 0x00, 8),
                                M(M_WCB_BREAK_POINT_INSTRUCTION, 0x08, 8),
                                M(M_WCB_BREAK_POINT_HANDLE, 0x10, 4),
                                M(M_WCB_BREAK_POINT_INSTRUCTION_SIZE, 0x14, 1),
                                M(M_WCB_BREAK_POINT_INSTRUCTION_ALIGNMENT, 0x15, 1)};
static const fld context_ex[] = {M(M_CX_OFFSET, 0, 4), M(M_CX_BYTE_COUNT, 4, 4), M(M_CX_BYTES_COPIED, 8, 4)};

/* ---- control sets, offsets within the set (it starts at Continue2 + 4) */
static const fld cs_x86[] = {M(CS_TRACE_FLAG, 0x00, 4), M(CS_DR7, 0x04, 4),
                             M(CS_CURRENT_SYMBOL_START, 0x08, 4), M(CS_CURRENT_SYMBOL_END, 0x0C, 4)};
static const fld cs_amd64[] = {M(CS_TRACE_FLAG, 0x00, 4), M(CS_DR7, 0x04, 8),
                               M(CS_CURRENT_SYMBOL_START, 0x0C, 8), M(CS_CURRENT_SYMBOL_END, 0x14, 8)};
/* §2.3 item 2: Windows' ARM64_DBGKD_CONTROL_SET (0x18), not ROS's 12-byte one. */
static const fld cs_arm64[] = {M(CS_CONTINUE, 0x00, 4), M(CS_TRACE_FLAG, 0x04, 4),
                               M(CS_CURRENT_SYMBOL_START, 0x08, 8), M(CS_CURRENT_SYMBOL_END, 0x10, 8)};

static const fld cs_arm[] = {M(CS_CONTINUE, 0x00, 4), M(CS_CURRENT_SYMBOL_START, 0x04, 4),
                             M(CS_CURRENT_SYMBOL_END, 0x08, 4)};
static const fld cs_ia64[] = {M(CS_CONTINUE, 0x00, 4), M(CS_CURRENT_SYMBOL_START, 0x04, 8),
                              M(CS_CURRENT_SYMBOL_END, 0x0C, 8)};

/* ---- CONTEXT (X86_CONTEXT 716, AMD64_CONTEXT 1232, ARM64_CONTEXT 912) */
static const fld ctx_x86[] = {
    M(CTX_CONTEXT_FLAGS, 0x000, 4), M(CTX_DR0, 0x004, 4), M(CTX_DR1, 0x008, 4),
    M(CTX_DR2, 0x00C, 4), M(CTX_DR3, 0x010, 4), M(CTX_DR6, 0x014, 4), M(CTX_DR7, 0x018, 4),
    M(CTX_FLOAT_SAVE_CONTROL_WORD, 0x01C, 4), M(CTX_FLOAT_SAVE_STATUS_WORD, 0x020, 4),
    M(CTX_FLOAT_SAVE_TAG_WORD, 0x024, 4), M(CTX_FLOAT_SAVE_ERROR_OFFSET, 0x028, 4),
    M(CTX_FLOAT_SAVE_ERROR_SELECTOR, 0x02C, 4), M(CTX_FLOAT_SAVE_DATA_OFFSET, 0x030, 4),
    M(CTX_FLOAT_SAVE_DATA_SELECTOR, 0x034, 4), M(CTX_FLOAT_SAVE_REGISTER_AREA, 0x038, 80),
    M(CTX_FLOAT_SAVE_CR0_NPX_STATE, 0x088, 4),
    M(CTX_SEG_GS, 0x08C, 4), M(CTX_SEG_FS, 0x090, 4), M(CTX_SEG_ES, 0x094, 4), M(CTX_SEG_DS, 0x098, 4),
    M(CTX_EDI, 0x09C, 4), M(CTX_ESI, 0x0A0, 4), M(CTX_EBX, 0x0A4, 4), M(CTX_EDX, 0x0A8, 4),
    M(CTX_ECX, 0x0AC, 4), M(CTX_EAX, 0x0B0, 4), M(CTX_EBP, 0x0B4, 4), M(CTX_EIP, 0x0B8, 4),
    M(CTX_SEG_CS, 0x0BC, 4), M(CTX_EFLAGS, 0x0C0, 4), M(CTX_ESP, 0x0C4, 4), M(CTX_SEG_SS, 0x0C8, 4),
    M(CTX_EXTENDED_REGISTERS, 0x0CC, 512),
};

static const fld ctx_amd64[] = {
    M(CTX_P1_HOME, 0x000, 8), M(CTX_P2_HOME, 0x008, 8), M(CTX_P3_HOME, 0x010, 8),
    M(CTX_P4_HOME, 0x018, 8), M(CTX_P5_HOME, 0x020, 8), M(CTX_P6_HOME, 0x028, 8),
    M(CTX_CONTEXT_FLAGS, 0x030, 4), M(CTX_MX_CSR, 0x034, 4),
    M(CTX_SEG_CS, 0x038, 2), M(CTX_SEG_DS, 0x03A, 2), M(CTX_SEG_ES, 0x03C, 2),
    M(CTX_SEG_FS, 0x03E, 2), M(CTX_SEG_GS, 0x040, 2), M(CTX_SEG_SS, 0x042, 2),
    M(CTX_EFLAGS, 0x044, 4),
    M(CTX_DR0, 0x048, 8), M(CTX_DR1, 0x050, 8), M(CTX_DR2, 0x058, 8), M(CTX_DR3, 0x060, 8),
    M(CTX_DR6, 0x068, 8), M(CTX_DR7, 0x070, 8),
    M(CTX_RAX, 0x078, 8), M(CTX_RCX, 0x080, 8), M(CTX_RDX, 0x088, 8), M(CTX_RBX, 0x090, 8),
    M(CTX_RSP, 0x098, 8), M(CTX_RBP, 0x0A0, 8), M(CTX_RSI, 0x0A8, 8), M(CTX_RDI, 0x0B0, 8),
    M(CTX_R8, 0x0B8, 8), M(CTX_R9, 0x0C0, 8), M(CTX_R10, 0x0C8, 8), M(CTX_R11, 0x0D0, 8),
    M(CTX_R12, 0x0D8, 8), M(CTX_R13, 0x0E0, 8), M(CTX_R14, 0x0E8, 8), M(CTX_R15, 0x0F0, 8),
    M(CTX_RIP, 0x0F8, 8),
    M(CTX_FLT_SAVE_CONTROL_WORD, 0x100, 2), M(CTX_FLT_SAVE_STATUS_WORD, 0x102, 2),
    M(CTX_FLT_SAVE_TAG_WORD, 0x104, 1), M(CTX_FLT_SAVE_RESERVED1, 0x105, 1),
    M(CTX_FLT_SAVE_ERROR_OPCODE, 0x106, 2), M(CTX_FLT_SAVE_ERROR_OFFSET, 0x108, 4),
    M(CTX_FLT_SAVE_ERROR_SELECTOR, 0x10C, 2), M(CTX_FLT_SAVE_RESERVED2, 0x10E, 2),
    M(CTX_FLT_SAVE_DATA_OFFSET, 0x110, 4), M(CTX_FLT_SAVE_DATA_SELECTOR, 0x114, 2),
    M(CTX_FLT_SAVE_RESERVED3, 0x116, 2), M(CTX_FLT_SAVE_MX_CSR, 0x118, 4),
    M(CTX_FLT_SAVE_MX_CSR_MASK, 0x11C, 4), ARR(CTX_FLT_SAVE_FLOAT_REGISTERS, 0x120, 16, 8),
    ARR(CTX_FLT_SAVE_XMM_REGISTERS, 0x1A0, 16, 16), M(CTX_FLT_SAVE_RESERVED4, 0x2A0, 96),
    ARR(CTX_VECTOR_REGISTER, 0x300, 16, 26),
    M(CTX_VECTOR_CONTROL, 0x4A0, 8), M(CTX_DEBUG_CONTROL, 0x4A8, 8),
    M(CTX_LAST_BRANCH_TO_RIP, 0x4B0, 8), M(CTX_LAST_BRANCH_FROM_RIP, 0x4B8, 8),
    M(CTX_LAST_EXCEPTION_TO_RIP, 0x4C0, 8), M(CTX_LAST_EXCEPTION_FROM_RIP, 0x4C8, 8),
};

static const fld ctx_arm64[] = {
    M(CTX_CONTEXT_FLAGS, 0x000, 4), M(CTX_CPSR, 0x004, 4),
    M(CTX_X0, 0x008, 8), M(CTX_X1, 0x010, 8), M(CTX_X2, 0x018, 8), M(CTX_X3, 0x020, 8),
    M(CTX_X4, 0x028, 8), M(CTX_X5, 0x030, 8), M(CTX_X6, 0x038, 8), M(CTX_X7, 0x040, 8),
    M(CTX_X8, 0x048, 8), M(CTX_X9, 0x050, 8), M(CTX_X10, 0x058, 8), M(CTX_X11, 0x060, 8),
    M(CTX_X12, 0x068, 8), M(CTX_X13, 0x070, 8), M(CTX_X14, 0x078, 8), M(CTX_X15, 0x080, 8),
    M(CTX_X16, 0x088, 8), M(CTX_X17, 0x090, 8), M(CTX_X18, 0x098, 8), M(CTX_X19, 0x0A0, 8),
    M(CTX_X20, 0x0A8, 8), M(CTX_X21, 0x0B0, 8), M(CTX_X22, 0x0B8, 8), M(CTX_X23, 0x0C0, 8),
    M(CTX_X24, 0x0C8, 8), M(CTX_X25, 0x0D0, 8), M(CTX_X26, 0x0D8, 8), M(CTX_X27, 0x0E0, 8),
    M(CTX_X28, 0x0E8, 8), M(CTX_FP, 0x0F0, 8), M(CTX_LR, 0x0F8, 8),
    M(CTX_SP, 0x100, 8), M(CTX_PC, 0x108, 8), ARR(CTX_V, 0x110, 16, 32),
    M(CTX_FPCR, 0x310, 4), M(CTX_FPSR, 0x314, 4), ARR(CTX_BCR, 0x318, 4, 8),
    ARR(CTX_BVR, 0x338, 8, 8), ARR(CTX_WCR, 0x378, 4, 2), ARR(CTX_WVR, 0x380, 8, 2),
};

/* The first value number of each table in one packet: all values distinct. */
enum { C_HDR = 1, C_UNION = 0x20, C_VIEW = 0x50, C_CTX = 0x70 };

/* ------------------------------------------------------------ STATE_CHANGE64 */

/* A 240-byte state change with header fields filled and NewState set. */
static uint8_t *state64_body(uint32_t new_state)
{
    uint8_t *b = new_body();
    kdb_put32(b, new_state);
    fill(b, 0, state64_hdr, N(state64_hdr), C_HDR);
    return b;
}

static void check_state64_header(const kd_msg *m, uint32_t new_state, size_t len)
{
    want_struct(m, KD_F_STATE, BODY, len);
    want_value(m, KD_F_STATE_NEW_STATE, 0, BODY + 0, 4, new_state);
    check(m, BODY, state64_hdr, N(state64_hdr), C_HDR);
    assert_int_equal(m->track.width_hint, 64);
}

static void test_state64_exception(void **state)
{
    (void)state;
    uint8_t *b = state64_body(0x3030);
    fill(b, 0x20, exception64, N(exception64), C_UNION);
    fill(b, 0xC0, cr_amd64, N(cr_amd64), C_VIEW);
    kdb_put32(b + 240, 1); /* ROS: 4 bytes of trace data after the structure (§3.7) */
    const kd_msg *m = decode_one(KD_TYPE_STATE_CHANGE64, KD_DIR_T2D, b, 244, KD_ARCH_AMD64, 0);

    want_problems(m, 0);
    assert_int_equal(m->api, 0x3030);
    check_state64_header(m, 0x3030, 244);
    want_struct(m, KD_F_EXCEPTION, BODY + 0x20, 160);
    check(m, BODY + 0x20, exception64, N(exception64), C_UNION);
    assert_int_equal(count_of(m, KD_F_EXCEPTION_INFORMATION), 15);
    want_struct(m, KD_F_CONTROL_REPORT, BODY + 0xC0, 48);
    check(m, BODY + 0xC0, cr_amd64, N(cr_amd64), C_VIEW);
    want_bytes(m, KD_F_DATA, BODY + 240, b + 240, 4);
}

/* §1.1: DbgKdAlternateStateChange (0x10000) may be OR'ed into NewState. */
static void test_state64_alternate(void **state)
{
    (void)state;
    uint8_t *b = state64_body(0x00013030);
    fill(b, 0x20, exception64, N(exception64), C_UNION);
    const kd_msg *m = decode_one(KD_TYPE_STATE_CHANGE64, KD_DIR_T2D, b, 240, KD_ARCH_AMD64, 0);
    want_problems(m, 0);
    assert_int_equal(m->api, 0x3030);
    want_value(m, KD_F_STATE_NEW_STATE, 0, BODY, 4, 0x00013030);
    check(m, BODY + 0x20, exception64, N(exception64), C_UNION);
}

static void test_state64_load_symbols(void **state)
{
    (void)state;
    static const char path[] = "\\SystemRoot\\system32\\drivers\\golden.sys";
    uint8_t *b = state64_body(0x3031);
    kdb_put32(b + 0x20, sizeof path); /* PathNameLength counts the NUL (§3.7 item 2) */
    fill(b, 0x20, load_symbols64, N(load_symbols64), C_UNION);
    fill(b, 0xC0, cr_x86, N(cr_x86), C_VIEW);
    memcpy(b + 240, path, sizeof path);
    const kd_msg *m = decode_one(KD_TYPE_STATE_CHANGE64, KD_DIR_T2D, b, 240 + sizeof path, KD_ARCH_X86, 0);

    want_problems(m, 0);
    assert_int_equal(m->api, 0x3031);
    check_state64_header(m, 0x3031, 240 + sizeof path);
    want_struct(m, KD_F_LOAD_SYMBOLS, BODY + 0x20, 40);
    want_value(m, KD_F_LS_PATH_NAME_LENGTH, 0, BODY + 0x20, 4, sizeof path);
    check(m, BODY + 0x20, load_symbols64, N(load_symbols64), C_UNION);
    want_struct(m, KD_F_CONTROL_REPORT, BODY + 0xC0, 40);
    check(m, BODY + 0xC0, cr_x86, N(cr_x86), C_VIEW);
    want_bytes(m, KD_F_LS_PATH, BODY + 240, path, sizeof path);
    want_absent(m, KD_F_EXCEPTION);
    want_absent(m, KD_F_DATA);

    /* PathNameLength larger than the data present */
    kdb_put32(b + 0x20, sizeof path + 10);
    m = decode_one(KD_TYPE_STATE_CHANGE64, KD_DIR_T2D, b, 240 + sizeof path, KD_ARCH_X86, 0);
    want_flag(m, KD_DECODE_LENGTH_MISMATCH);
}

static void test_state64_command_string(void **state)
{
    (void)state;
    static const char name[] = "golden", cmd[] = "!process 0 0; g";
    uint8_t *b = state64_body(0x3032);
    fill(b, 0x20, command_string, N(command_string), C_UNION);
    fill(b, 0xC0, cr_arm64, N(cr_arm64), C_VIEW);
    memcpy(b + 240, name, sizeof name);
    memcpy(b + 240 + sizeof name, cmd, sizeof cmd);
    size_t len = 240 + sizeof name + sizeof cmd;
    const kd_msg *m = decode_one(KD_TYPE_STATE_CHANGE64, KD_DIR_T2D, b, len, KD_ARCH_ARM64, 0);

    want_problems(m, 0);
    assert_int_equal(m->api, 0x3032);
    check_state64_header(m, 0x3032, len);
    want_struct(m, KD_F_COMMAND_STRING, BODY + 0x20, 64);
    check(m, BODY + 0x20, command_string, N(command_string), C_UNION);
    want_struct(m, KD_F_CONTROL_REPORT, BODY + 0xC0, 40);
    check(m, BODY + 0xC0, cr_arm64, N(cr_arm64), C_VIEW);
    want_bytes(m, KD_F_CS_NAME, BODY + 240, name, sizeof name);
    want_bytes(m, KD_F_CS_COMMAND, BODY + 240 + sizeof name, cmd, sizeof cmd);
}

/* The control report at 0xC0 in each view (§2.4 DBGKD_ANY_CONTROL_REPORT). */
static void test_state64_control_reports(void **state)
{
    (void)state;
    static const struct {
        kd_arch arch;
        const fld *t;
        size_t n, size;
    } views[] = {
        {KD_ARCH_X86, cr_x86, N(cr_x86), 40},
        {KD_ARCH_AMD64, cr_amd64, N(cr_amd64), 48},
        {KD_ARCH_ARM64, cr_arm64, N(cr_arm64), 40},
        {KD_ARCH_ARM, cr_arm, N(cr_arm), 24},
        {KD_ARCH_IA64, cr_ia64, N(cr_ia64), 20},
        {KD_ARCH_ALPHA, cr_ia64, N(cr_ia64), 20},
    };
    for (size_t v = 0; v < N(views); v++) {
        uint8_t *b = state64_body(0x3030);
        fill(b, 0x20, exception64, N(exception64), C_UNION);
        fill(b, 0xC0, views[v].t, views[v].n, C_VIEW);
        const kd_msg *m = decode_one(KD_TYPE_STATE_CHANGE64, KD_DIR_T2D, b, 240, views[v].arch, 0);
        want_problems(m, 0);
        assert_int_equal(m->arch, views[v].arch);
        want_struct(m, KD_F_CONTROL_REPORT, BODY + 0xC0, views[v].size);
        check(m, BODY + 0xC0, views[v].t, views[v].n, C_VIEW);
        want_absent(m, KD_F_DATA); /* 240 bytes: nothing after the structure */
    }
}

/* ------------------------------------------------------------ STATE_CHANGE32 */

static uint8_t *state32_body(uint32_t new_state)
{
    uint8_t *b = new_body();
    kdb_put32(b, new_state);
    fill(b, 0, state32_hdr, N(state32_hdr), C_HDR);
    return b;
}

static void test_state32(void **state)
{
    (void)state;
    /* Exception32 + x86 control report (104 + 40, §3.8) + a whole x86 CONTEXT. */
    uint8_t *b = state32_body(0x3030);
    fill(b, 0x14, exception32, N(exception32), C_UNION);
    fill(b, 104, cr_x86, N(cr_x86), C_VIEW);
    fill(b, 144, ctx_x86, N(ctx_x86), C_CTX);
    const kd_msg *m = decode_one(KD_TYPE_STATE_CHANGE32, KD_DIR_T2D, b, 144 + 716, KD_ARCH_X86, 0);

    want_problems(m, 0);
    assert_int_equal(m->api, 0x3030);
    assert_int_equal(m->track.width_hint, 32);
    want_struct(m, KD_F_STATE, BODY, 144 + 716);
    want_value(m, KD_F_STATE_NEW_STATE, 0, BODY, 4, 0x3030);
    check(m, BODY, state32_hdr, N(state32_hdr), C_HDR);
    want_struct(m, KD_F_EXCEPTION, BODY + 0x14, 84);
    check(m, BODY + 0x14, exception32, N(exception32), C_UNION);
    assert_int_equal(count_of(m, KD_F_EXCEPTION_INFORMATION), 15);
    want_struct(m, KD_F_CONTROL_REPORT, BODY + 104, 40);
    check(m, BODY + 104, cr_x86, N(cr_x86), C_VIEW);
    want_struct(m, KD_F_CTX, BODY + 144, 716);
    check(m, BODY + 144, ctx_x86, N(ctx_x86), C_CTX);

    /* LoadSymbols32 + control report, no CONTEXT. */
    b = state32_body(0x3031);
    fill(b, 0x14, load_symbols32, N(load_symbols32), C_UNION);
    fill(b, 104, cr_x86, N(cr_x86), C_VIEW);
    m = decode_one(KD_TYPE_STATE_CHANGE32, KD_DIR_T2D, b, 144, KD_ARCH_X86, 0);
    assert_int_equal(m->api, 0x3031);
    check(m, BODY, state32_hdr, N(state32_hdr), C_HDR);
    want_struct(m, KD_F_LOAD_SYMBOLS, BODY + 0x14, 24);
    check(m, BODY + 0x14, load_symbols32, N(load_symbols32), C_UNION);
    check(m, BODY + 104, cr_x86, N(cr_x86), C_VIEW);
    want_absent(m, KD_F_CTX);
    want_absent(m, KD_F_CTX_EIP);

    /* As much CONTEXT as ByteCount allows: up to SegSs (0xCC bytes). */
    b = state32_body(0x3030);
    fill(b, 0x14, exception32, N(exception32), C_UNION);
    fill(b, 104, cr_x86, N(cr_x86), C_VIEW);
    fill(b, 144, ctx_x86, N(ctx_x86), C_CTX);
    m = decode_one(KD_TYPE_STATE_CHANGE32, KD_DIR_T2D, b, 144 + 0xCC, KD_ARCH_X86, 0);
    check(m, BODY + 144, ctx_x86, N(ctx_x86) - 1, C_CTX); /* all but ExtendedRegisters */
    want_value(m, KD_F_CTX_EIP, 0, BODY + 144 + 0xB8, 4, golden(C_CTX + 27, 4));
    want_value(m, KD_F_CTX_EAX, 0, BODY + 144 + 0xB0, 4, golden(C_CTX + 25, 4));
    want_absent(m, KD_F_CTX_EXTENDED_REGISTERS);
}

/*
 * DECODER BUG (reported to the lead): a type-1 state change always carries
 * the x86 control report and the x86 CONTEXT (§3.8; decode.c says so in its
 * comment on state_change32), but decode.c:327 decodes the CONTEXT with
 * m->arch, which is the forced/session arch when one is given (decode.c:303
 * only sets x86 when it is unknown).  With opts.arch = AMD64 the 716 bytes
 * come out as Rip, Rax, ... and no problem is flagged.  These assertions
 * fail until that is fixed.
 */
static void test_state32_forced_arch(void **state)
{
    (void)state;
    static const kd_arch forced[] = {KD_ARCH_AMD64, KD_ARCH_ARM64};
    for (size_t i = 0; i < N(forced); i++) {
        uint8_t *b = state32_body(0x3030);
        fill(b, 0x14, exception32, N(exception32), C_UNION);
        fill(b, 104, cr_x86, N(cr_x86), C_VIEW);
        fill(b, 144, ctx_x86, N(ctx_x86), C_CTX);
        const kd_msg *m = decode_one(KD_TYPE_STATE_CHANGE32, KD_DIR_T2D, b, 144 + 716, forced[i], 0);
        check(m, BODY + 104, cr_x86, N(cr_x86), C_VIEW);
        want_struct(m, KD_F_CTX, BODY + 144, 716);
        check(m, BODY + 144, ctx_x86, N(ctx_x86), C_CTX); /* fails: decoded with the forced arch */
        want_absent(m, KD_F_CTX_RIP);
        want_absent(m, KD_F_CTX_PC);
    }
}

/* NewState 0x3032 has no 32-bit union member: the union as kd.data. */
static void test_state32_unknown(void **state)
{
    (void)state;
    uint8_t *b = state32_body(0x3032);
    fill(b, 104, cr_x86, N(cr_x86), C_VIEW);
    const kd_msg *m = decode_one(KD_TYPE_STATE_CHANGE32, KD_DIR_T2D, b, 144, KD_ARCH_X86, 0);
    want_flag(m, KD_DECODE_UNKNOWN_API);
    check(m, BODY, state32_hdr, N(state32_hdr), C_HDR);
    want_bytes(m, KD_F_DATA, BODY + 0x14, b + 0x14, 84);
    check(m, BODY + 104, cr_x86, N(cr_x86), C_VIEW);
}

/* ------------------------------------------------------------ STATE_MANIPULATE: union members */

typedef struct api_case {
    uint32_t api;
    kd_field_id member64;
    uint16_t size64;
    const fld *t64;
    size_t n64;
    kd_field_id member32;
    uint16_t size32;
    const fld *t32;
    size_t n32;
} api_case;

#define T(t) (t), N(t)
static const api_case api_cases[] = {
    {0x3130, KD_F_M_READ_MEMORY, 16, T(rm64), KD_F_M_READ_MEMORY, 12, T(rm32)},
    {0x3131, KD_F_M_WRITE_MEMORY, 16, T(wm64), KD_F_M_WRITE_MEMORY, 12, T(wm32)},
    {0x3132, KD_F_M_GET_CONTEXT, 4, T(get_context), KD_F_M_GET_CONTEXT, 4, T(get_context)},
    {0x3133, KD_F_M_SET_CONTEXT, 4, T(set_context), KD_F_M_SET_CONTEXT, 4, T(set_context)},
    {0x3134, KD_F_M_WRITE_BREAK_POINT, 16, T(wb64), KD_F_M_WRITE_BREAK_POINT, 8, T(wb32)},
    {0x3135, KD_F_M_RESTORE_BREAK_POINT, 4, T(restore_bp), KD_F_M_RESTORE_BREAK_POINT, 4, T(restore_bp)},
    {0x3136, KD_F_M_CONTINUE, 4, T(cont), KD_F_M_CONTINUE, 4, T(cont)},
    {0x3137, KD_F_M_READ_MEMORY, 16, T(rm64), KD_F_M_READ_MEMORY, 12, T(rm32)},
    {0x3138, KD_F_M_WRITE_MEMORY, 16, T(wm64), KD_F_M_WRITE_MEMORY, 12, T(wm32)},
    {0x3139, KD_F_M_READ_WRITE_IO, 16, T(io64), KD_F_M_READ_WRITE_IO, 12, T(io32)},
    {0x313A, KD_F_M_READ_WRITE_IO, 16, T(io64), KD_F_M_READ_WRITE_IO, 12, T(io32)},
    {0x313C, KD_F_M_CONTINUE2, 32, T(cont2), KD_F_M_CONTINUE2, 32, T(cont2)},
    /* The reference does not say which member the 32-bit layout uses for
     * physical memory; kdparse chooses ReadMemory64/WriteMemory64 (a
     * physical address is 64 bits), both members of the Windows union (§2.3). */
    {0x313D, KD_F_M_READ_MEMORY, 16, T(rm64), KD_F_M_READ_MEMORY, 16, T(rm64)},
    {0x313E, KD_F_M_WRITE_MEMORY, 16, T(wm64), KD_F_M_WRITE_MEMORY, 16, T(wm64)},
    {0x313F, KD_F_M_QUERY_SPECIAL_CALLS, 4, T(qsc), KD_F_M_QUERY_SPECIAL_CALLS, 4, T(qsc)},
    {0x3140, KD_F_M_SET_SPECIAL_CALL, 8, T(ssc64), KD_F_M_SET_SPECIAL_CALL, 4, T(ssc32)},
    {0x3142, KD_F_M_SET_INTERNAL_BREAKPOINT, 16, T(sib64), KD_F_M_SET_INTERNAL_BREAKPOINT, 8, T(sib32)},
    {0x3143, KD_F_M_GET_INTERNAL_BREAKPOINT, 32, T(gib64), KD_F_M_GET_INTERNAL_BREAKPOINT, 28, T(gib32)},
    {0x3144, KD_F_M_READ_WRITE_IO_EXTENDED, 32, T(iox64), KD_F_M_READ_WRITE_IO_EXTENDED, 24, T(iox32)},
    {0x3145, KD_F_M_READ_WRITE_IO_EXTENDED, 32, T(iox64), KD_F_M_READ_WRITE_IO_EXTENDED, 24, T(iox32)},
    {0x3146, KD_F_M_GET_VERSION64, 40, T(gv64), KD_F_M_GET_VERSION32, 40, T(gv32)},
    {0x3147, KD_F_M_BREAK_POINT_EX, 8, T(bpx), KD_F_M_BREAK_POINT_EX, 8, T(bpx)},
    {0x3148, KD_F_M_BREAK_POINT_EX, 8, T(bpx), KD_F_M_BREAK_POINT_EX, 8, T(bpx)},
    {0x3152, KD_F_M_READ_WRITE_MSR, 12, T(msr), KD_F_M_READ_WRITE_MSR, 12, T(msr)},
    {0x3153, KD_F_M_READ_WRITE_MSR, 12, T(msr), KD_F_M_READ_WRITE_MSR, 12, T(msr)},
    {0x3156, KD_F_M_SEARCH_MEMORY, 24, T(search_req), KD_F_M_SEARCH_MEMORY, 24, T(search_req)},
    {0x3157, KD_F_M_GET_SET_BUS_DATA, 20, T(bus), KD_F_M_GET_SET_BUS_DATA, 20, T(bus)},
    {0x3158, KD_F_M_GET_SET_BUS_DATA, 20, T(bus), KD_F_M_GET_SET_BUS_DATA, 20, T(bus)},
    {0x315B, KD_F_M_FILL_MEMORY, 16, T(fillm), KD_F_M_FILL_MEMORY, 16, T(fillm)},
    {0x315C, KD_F_M_QUERY_MEMORY, 24, T(querym), KD_F_M_QUERY_MEMORY, 24, T(querym)},
    {0x315D, KD_F_M_SWITCH_PARTITION, 4, T(partition), KD_F_M_SWITCH_PARTITION, 4, T(partition)},
    {0x315E, KD_F_M_WRITE_CUSTOM_BREAK_POINT, 24, T(custom_bp),
     KD_F_M_WRITE_CUSTOM_BREAK_POINT, 24, T(custom_bp)},
    {0x315F, KD_F_M_CONTEXT_EX, 12, T(context_ex), KD_F_M_CONTEXT_EX, 12, T(context_ex)},
    {0x3160, KD_F_M_CONTEXT_EX, 12, T(context_ex), KD_F_M_CONTEXT_EX, 12, T(context_ex)},
};

/* APIs of §1.4 without a union member: the union is shown as kd.data. */
static const uint32_t memberless_apis[] = {0x313B, 0x3141, 0x3149, 0x3150, 0x3151,
                                           0x3154, 0x3155, 0x3159, 0x315A};

/* A manipulate header (56 or 52 bytes) with ApiNumber and the header fields. */
static uint8_t *manip_body(uint32_t api)
{
    uint8_t *b = new_body();
    kdb_put32(b, api);
    fill(b, 0, manip_hdr, N(manip_hdr), C_HDR);
    return b;
}

static void check_manip_header(const kd_msg *m, uint32_t api, size_t len, unsigned width)
{
    want_struct(m, KD_F_MANIP, BODY, len);
    want_value(m, KD_F_M_API_NUMBER, 0, BODY, 4, api);
    check(m, BODY, manip_hdr, N(manip_hdr), C_HDR);
    assert_int_equal(m->api, api);
    assert_int_equal(m->width, width);
}

/* Every union member at 0x10 (DBGKD_MANIPULATE_STATE64, §2.4), both directions. */
static void test_manip_members64(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(api_cases); i++) {
        const api_case *a = &api_cases[i];
        for (int d = 0; d < 2; d++) {
            kd_dir dir = d ? KD_DIR_T2D : KD_DIR_D2T;
            if (a->api == 0x3156 && dir == KD_DIR_T2D)
                continue; /* the reply renames SearchAddress: test_manip_search */
            uint8_t *b = manip_body(a->api);
            fill(b, 0x10, a->t64, a->n64, C_UNION);
            const kd_msg *m = decode_manip(dir, b, 56, KD_ARCH_AMD64, 64);
            check_manip_header(m, a->api, 56, 64);
            want_problems(m, 0);
            assert_int_equal(m->is_response, dir == KD_DIR_T2D);
            want_struct(m, a->member64, BODY + 0x10, a->size64);
            check(m, BODY + 0x10, a->t64, a->n64, C_UNION);
            want_absent(m, KD_F_DATA);
        }
    }
}

/* Every union member at 0x0C (DBGKD_MANIPULATE_STATE32 as Windows lays it
 * out, §2.3 item 1: pack(4), 52 bytes), both directions. */
static void test_manip_members32(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(api_cases); i++) {
        const api_case *a = &api_cases[i];
        for (int d = 0; d < 2; d++) {
            kd_dir dir = d ? KD_DIR_T2D : KD_DIR_D2T;
            if (a->api == 0x3156 && dir == KD_DIR_T2D)
                continue;
            uint8_t *b = manip_body(a->api);
            fill(b, 0x0C, a->t32, a->n32, C_UNION);
            const kd_msg *m = decode_manip(dir, b, 52, KD_ARCH_X86, 32);
            check_manip_header(m, a->api, 52, 32);
            want_problems(m, 0);
            want_struct(m, a->member32, BODY + 0x0C, a->size32);
            check(m, BODY + 0x0C, a->t32, a->n32, C_UNION);
            want_absent(m, KD_F_DATA);
        }
    }
}

/* Width 0: a 52-byte body can only be the 32-bit header (decode.h opts). */
static void test_manip_width_guess(void **state)
{
    (void)state;
    uint8_t *b = manip_body(0x3130);
    fill(b, 0x0C, rm32, N(rm32), C_UNION);
    const kd_msg *m = decode_manip(KD_DIR_D2T, b, 52, KD_ARCH_UNKNOWN, 0);
    check_manip_header(m, 0x3130, 52, 32);
    check(m, BODY + 0x0C, rm32, N(rm32), C_UNION);

    b = manip_body(0x3130);
    fill(b, 0x10, rm64, N(rm64), C_UNION);
    m = decode_manip(KD_DIR_D2T, b, 56, KD_ARCH_UNKNOWN, 0);
    check_manip_header(m, 0x3130, 56, 64);
    check(m, BODY + 0x10, rm64, N(rm64), C_UNION);
}

static void test_manip_memberless(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(memberless_apis); i++) {
        for (unsigned width = 32; width <= 64; width += 32) {
            size_t hdr = width == 32 ? 52 : 56, u = width == 32 ? 0x0C : 0x10;
            uint8_t *b = manip_body(memberless_apis[i]);
            const kd_msg *m = decode_manip(KD_DIR_D2T, b, hdr, KD_ARCH_X86,
                                         (uint8_t)width);
            check_manip_header(m, memberless_apis[i], hdr, width);
            g_checks++;
            if (m->problems & KD_DECODE_UNKNOWN_API)
                BAD("API 0x%04x flagged unknown", memberless_apis[i]);
            want_bytes(m, KD_F_DATA, BODY + u, b + u, 40);
        }
    }
}

/* Continue2: ContinueStatus, then the control set at +4 in the view of the arch. */
static void test_manip_continue2(void **state)
{
    (void)state;
    static const struct {
        kd_arch arch;
        unsigned width;
        const fld *t;
        size_t n, size;
    } views[] = {
        {KD_ARCH_X86, 64, cs_x86, N(cs_x86), 16},
        {KD_ARCH_AMD64, 64, cs_amd64, N(cs_amd64), 28},
        {KD_ARCH_ARM64, 64, cs_arm64, N(cs_arm64), 24},
        {KD_ARCH_ARM, 64, cs_arm, N(cs_arm), 12},
        {KD_ARCH_IA64, 64, cs_ia64, N(cs_ia64), 20},
        {KD_ARCH_X86, 32, cs_x86, N(cs_x86), 16},
        {KD_ARCH_UNKNOWN, 32, cs_x86, N(cs_x86), 16}, /* a 32-bit target is x86 */
    };
    for (size_t v = 0; v < N(views); v++) {
        size_t hdr = views[v].width == 32 ? 52 : 56, u = views[v].width == 32 ? 0x0C : 0x10;
        uint8_t *b = manip_body(0x313C);
        fill(b, u, cont2, N(cont2), C_UNION);
        fill(b, u + 4, views[v].t, views[v].n, C_VIEW);
        const kd_msg *m = decode_manip(KD_DIR_D2T, b, hdr, views[v].arch,
                                     (uint8_t)views[v].width);
        check_manip_header(m, 0x313C, hdr, views[v].width);
        want_problems(m, 0);
        want_struct(m, KD_F_M_CONTINUE2, BODY + u, 32);
        check(m, BODY + u, cont2, N(cont2), C_UNION);
        want_struct(m, KD_F_CONTROL_SET, BODY + u + 4, views[v].size);
        check(m, BODY + u + 4, views[v].t, views[v].n, C_VIEW);
    }
}

/* GetVersion64: the generated major type; the reply tells the arch. */
static void test_manip_get_version(void **state)
{
    (void)state;
    uint8_t *b = manip_body(0x3146);
    fill(b, 0x10, gv64, N(gv64), C_UNION);
    const kd_msg *m = decode_manip(KD_DIR_D2T, b, 56, KD_ARCH_UNKNOWN, 64);
    const kd_node *n = node_at(m, KD_F_M_GV_MAJOR_TYPE, 0);
    assert_non_null(n);
    assert_int_equal(n->flags & KD_NODE_GENERATED, KD_NODE_GENERATED);
    assert_int_equal(n->length, 0);
    assert_int_equal(n->value, golden(C_UNION, 2) >> 8);

    /* A real reply: MajorVersion 0x0F (NT, free), build 19041, AMD64. */
    b = manip_body(0x3146);
    kdb_put32(b + 8, 0);                     /* ReturnStatus */
    kdb_put16(b + 0x10 + 0x00, 0x000F);      /* MajorVersion */
    kdb_put16(b + 0x10 + 0x02, 19041);       /* MinorVersion */
    b[0x10 + 0x04] = 6;                      /* ProtocolVersion */
    b[0x10 + 0x05] = 2;                      /* KdSecondaryVersion */
    kdb_put16(b + 0x10 + 0x06, 0x0007);      /* Flags MP|DATA|PTR64 */
    kdb_put16(b + 0x10 + 0x08, 0x8664);      /* MachineType */
    b[0x10 + 0x0A] = 12;
    b[0x10 + 0x0B] = 3;
    b[0x10 + 0x0C] = 0x31;
    b[0x10 + 0x0D] = 0;
    kdb_put16(b + 0x10 + 0x0E, 0);
    kdb_put64(b + 0x10 + 0x10, 0xfffff80002a00000ull);
    kdb_put64(b + 0x10 + 0x18, 0xfffff80002c4e6d0ull);
    kdb_put64(b + 0x10 + 0x20, 0xfffff80002c1f0a0ull);
    m = decode_manip(KD_DIR_T2D, b, 56, KD_ARCH_UNKNOWN, 64);
    want_problems(m, 0);
    assert_int_equal(m->is_response, 1);
    assert_int_equal(m->arch, KD_ARCH_AMD64);
    assert_int_equal(m->track.machine_type, 0x8664);
    assert_int_equal(m->track.version_flags, 0x0007);
    want_value(m, KD_F_M_GV_MACHINE_TYPE, 0, BODY + 0x18, 2, 0x8664);
    want_value(m, KD_F_M_GV_KERN_BASE, 0, BODY + 0x20, 8, 0xfffff80002a00000ull);
    want_value(m, KD_F_M_GV_DEBUGGER_DATA_LIST, 0, BODY + 0x30, 8, 0xfffff80002c1f0a0ull);

    /* GetVersion32 reply in width 32 (union at 0x0C): an i386 target. */
    b = manip_body(0x3146);
    kdb_put16(b + 0x0C + 0x10, 0x014C);
    m = decode_manip(KD_DIR_T2D, b, 52, KD_ARCH_UNKNOWN, 32);
    want_struct(m, KD_F_M_GET_VERSION32, BODY + 0x0C, 40);
    want_value(m, KD_F_M_GV32_MACHINE_TYPE, 0, BODY + 0x0C + 0x10, 2, 0x014C);
    want_absent(m, KD_F_M_GET_VERSION64);
    assert_int_equal(m->arch, KD_ARCH_X86);
    assert_int_equal(m->track.machine_type, 0x014C);
}

/* ReadWriteMsr: the generated Value = DataValueHigh << 32 | DataValueLow. */
static void test_manip_msr(void **state)
{
    (void)state;
    for (unsigned width = 32; width <= 64; width += 32) {
        size_t hdr = width == 32 ? 52 : 56, u = width == 32 ? 0x0C : 0x10;
        uint8_t *b = manip_body(0x3152);
        fill(b, u, msr, N(msr), C_UNION);
        const kd_msg *m = decode_manip(KD_DIR_T2D, b, hdr, KD_ARCH_X86, (uint8_t)width);
        check(m, BODY + u, msr, N(msr), C_UNION);
        const kd_node *n = node_at(m, KD_F_M_MSR_VALUE, 0);
        assert_non_null(n);
        assert_int_equal(n->flags & KD_NODE_GENERATED, KD_NODE_GENERATED);
        assert_int_equal(n->length, 0);
        assert_int_equal(n->value, golden(C_UNION + 2, 4) << 32 | golden(C_UNION + 1, 4));
        g_checks++;
    }
}

/* SearchMemory: pattern after the header in the request, FoundAddress in the reply. */
static void test_manip_search(void **state)
{
    (void)state;
    static const uint8_t pattern[] = {0x48, 0x8b, 0x05, 0x11, 0x22};
    uint8_t *b = manip_body(0x3156);
    fill(b, 0x10, search_req, N(search_req), C_UNION);
    memcpy(b + 56, pattern, sizeof pattern);
    const kd_msg *m = decode_manip(KD_DIR_D2T, b, 56 + sizeof pattern, KD_ARCH_AMD64, 64);
    want_problems(m, 0);
    check(m, BODY + 0x10, search_req, N(search_req), C_UNION);
    want_absent(m, KD_F_M_SM_FOUND_ADDRESS);
    want_bytes(m, KD_F_M_SM_PATTERN, BODY + 56, pattern, sizeof pattern);

    b = manip_body(0x3156);
    fill(b, 0x10, search_reply, N(search_reply), C_UNION);
    m = decode_manip(KD_DIR_T2D, b, 56, KD_ARCH_AMD64, 64);
    assert_int_equal(m->is_response, 1);
    want_struct(m, KD_F_M_SEARCH_MEMORY, BODY + 0x10, 24);
    check(m, BODY + 0x10, search_reply, N(search_reply), C_UNION);
    want_absent(m, KD_F_M_SM_SEARCH_ADDRESS);

    /* width 32 */
    b = manip_body(0x3156);
    fill(b, 0x0C, search_reply, N(search_reply), C_UNION);
    m = decode_manip(KD_DIR_T2D, b, 52, KD_ARCH_X86, 32);
    check(m, BODY + 0x0C, search_reply, N(search_reply), C_UNION);
    b = manip_body(0x3156);
    fill(b, 0x0C, search_req, N(search_req), C_UNION);
    memcpy(b + 52, pattern, sizeof pattern);
    m = decode_manip(KD_DIR_D2T, b, 52 + sizeof pattern, KD_ARCH_X86, 32);
    check(m, BODY + 0x0C, search_req, N(search_req), C_UNION);
    want_bytes(m, KD_F_M_SM_PATTERN, BODY + 52, pattern, sizeof pattern);
}

/* Whether a memory API uses the 64-bit Read/WriteMemory member. */
static int mem64(uint32_t api, unsigned width)
{
    return width == 64 || api == 0x313D || api == 0x313E;
}

/* The data after the header: memory, fill pattern, bus data, in both widths. */
static void test_manip_data(void **state)
{
    (void)state;
    uint8_t data[0x40];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(0xA0 + i);
    for (unsigned width = 32; width <= 64; width += 32) {
        size_t hdr = width == 32 ? 52 : 56, u = width == 32 ? 0x0C : 0x10;
        uint8_t w = (uint8_t)width;

        /* read replies (virtual, control space, physical): the bytes read */
        static const uint32_t reads[] = {0x3130, 0x3137, 0x313D};
        for (size_t k = 0; k < N(reads); k++) {
            int wide = mem64(reads[k], width);
            size_t tc = u + (wide ? 8 : 4), abr = u + (wide ? 12 : 8);
            uint64_t addr = wide ? 0xfffff80002a5c000ull : 0x80a5c000u;
            uint8_t *b = manip_body(reads[k]);
            put_le(b + u, addr, wide ? 8 : 4);
            kdb_put32(b + tc, sizeof data);
            kdb_put32(b + abr, sizeof data);
            memcpy(b + hdr, data, sizeof data);
            const kd_msg *m = decode_manip(KD_DIR_T2D, b, hdr + sizeof data, KD_ARCH_X86, w);
            want_problems(m, 0);
            want_value(m, KD_F_M_RM_TARGET_BASE_ADDRESS, 0, BODY + u, wide ? 8 : 4, addr);
            want_value(m, KD_F_M_RM_TRANSFER_COUNT, 0, BODY + tc, 4, sizeof data);
            want_value(m, KD_F_M_RM_ACTUAL_BYTES_READ, 0, BODY + abr, 4, sizeof data);
            want_bytes(m, KD_F_M_RM_DATA, BODY + hdr, data, sizeof data);

            /* ActualBytesRead that disagrees with the data present */
            kdb_put32(b + abr, 0x20);
            m = decode_manip(KD_DIR_T2D, b, hdr + sizeof data, KD_ARCH_X86, w);
            want_flag(m, KD_DECODE_LENGTH_MISMATCH);
        }

        /* write requests (virtual, control space, physical): the bytes to write */
        static const uint32_t writes[] = {0x3131, 0x3138, 0x313E};
        for (size_t k = 0; k < N(writes); k++) {
            int wide = mem64(writes[k], width);
            size_t tc = u + (wide ? 8 : 4);
            uint8_t *b = manip_body(writes[k]);
            kdb_put32(b + tc, sizeof data);
            memcpy(b + hdr, data, sizeof data);
            const kd_msg *m = decode_manip(KD_DIR_D2T, b, hdr + sizeof data, KD_ARCH_X86, w);
            want_problems(m, 0);
            assert_int_equal(m->is_response, 0);
            want_value(m, KD_F_M_WM_TRANSFER_COUNT, 0, BODY + tc, 4, sizeof data);
            want_bytes(m, KD_F_M_WM_DATA, BODY + hdr, data, sizeof data);

            /* TransferCount that disagrees with the data present */
            kdb_put32(b + tc, 0x20);
            m = decode_manip(KD_DIR_D2T, b, hdr + sizeof data, KD_ARCH_X86, w);
            want_flag(m, KD_DECODE_LENGTH_MISMATCH);
        }

        uint8_t *b;
        const kd_msg *m;
        /* FillMemory request: the pattern */
        b = manip_body(0x315B);
        fill(b, u, fillm, N(fillm), C_UNION);
        memcpy(b + hdr, data, 4);
        m = decode_manip(KD_DIR_D2T, b, hdr + 4, KD_ARCH_X86, w);
        check(m, BODY + u, fillm, N(fillm), C_UNION);
        want_bytes(m, KD_F_M_FM_PATTERN, BODY + hdr, data, 4);

        /* GetBusData reply and SetBusData request: the bus data */
        b = manip_body(0x3157);
        fill(b, u, bus, N(bus), C_UNION);
        memcpy(b + hdr, data, 0x10);
        m = decode_manip(KD_DIR_T2D, b, hdr + 0x10, KD_ARCH_X86, w);
        check(m, BODY + u, bus, N(bus), C_UNION);
        want_bytes(m, KD_F_M_BUS_DATA, BODY + hdr, data, 0x10);
        b = manip_body(0x3158);
        fill(b, u, bus, N(bus), C_UNION);
        memcpy(b + hdr, data, 0x10);
        m = decode_manip(KD_DIR_D2T, b, hdr + 0x10, KD_ARCH_X86, w);
        check(m, BODY + u, bus, N(bus), C_UNION);
        want_bytes(m, KD_F_M_BUS_DATA, BODY + hdr, data, 0x10);
    }
}

/* ------------------------------------------------------------ CONTEXT payloads */

static const struct ctx_view {
    kd_arch arch;
    const fld *t;
    size_t n, size;
} ctx_views[] = {
    {KD_ARCH_X86, ctx_x86, N(ctx_x86), 716},
    {KD_ARCH_AMD64, ctx_amd64, N(ctx_amd64), 1232},
    {KD_ARCH_ARM64, ctx_arm64, N(ctx_arm64), 912},
};

/* GetContext reply: a whole CONTEXT after the header (§3.7 item 7). */
static void test_context_get(void **state)
{
    (void)state;
    for (size_t v = 0; v < N(ctx_views); v++) {
        const struct ctx_view *cv = &ctx_views[v];
        for (int known = 0; known < 2; known++) {
            uint8_t *b = manip_body(0x3132);
            kdb_put32(b + 8, 0);
            fill(b, 56, cv->t, cv->n, C_CTX);
            /* unknown arch: recognised by the CONTEXT's size */
            const kd_msg *m = decode_manip(KD_DIR_T2D, b, 56 + cv->size,
                                         known ? cv->arch : KD_ARCH_UNKNOWN, 64);
            want_problems(m, 0);
            assert_int_equal(m->arch, cv->arch);
            want_struct(m, KD_F_M_GET_CONTEXT, BODY + 0x10, 4);
            want_struct(m, KD_F_CTX, BODY + 56, cv->size);
            check(m, BODY + 56, cv->t, cv->n, C_CTX);
        }
    }
    /* x86 in width 32: the CONTEXT follows the 52-byte header. */
    uint8_t *b = manip_body(0x3132);
    fill(b, 52, ctx_x86, N(ctx_x86), C_CTX);
    const kd_msg *m = decode_manip(KD_DIR_T2D, b, 52 + 716, KD_ARCH_X86, 32);
    want_problems(m, 0);
    want_struct(m, KD_F_CTX, BODY + 52, 716);
    check(m, BODY + 52, ctx_x86, N(ctx_x86), C_CTX);
}

/* SetContext request: ContextFlags in the union, the CONTEXT after it. */
static void test_context_set(void **state)
{
    (void)state;
    for (size_t v = 0; v < N(ctx_views); v++) {
        const struct ctx_view *cv = &ctx_views[v];
        uint8_t *b = manip_body(0x3133);
        fill(b, 0x10, set_context, N(set_context), C_UNION);
        fill(b, 56, cv->t, cv->n, C_CTX);
        const kd_msg *m = decode_manip(KD_DIR_D2T, b, 56 + cv->size, cv->arch, 64);
        want_problems(m, 0);
        assert_int_equal(m->is_response, 0);
        check(m, BODY + 0x10, set_context, N(set_context), C_UNION);
        want_struct(m, KD_F_CTX, BODY + 56, cv->size);
        check(m, BODY + 56, cv->t, cv->n, C_CTX);
    }
}

/* GetContextEx / SetContextEx: a slice of the CONTEXT at ContextEx.Offset. */
static void test_context_ex(void **state)
{
    (void)state;
    /* GetContextEx reply, AMD64: Rip (0xF8), 8 bytes */
    uint8_t *b = manip_body(0x315F);
    kdb_put32(b + 8, 0);
    kdb_put32(b + 0x10, 0xF8);
    kdb_put32(b + 0x14, 8);
    kdb_put32(b + 0x18, 8);
    kdb_put64(b + 56, 0xfffff80002a5c123ull);
    const kd_msg *m = decode_manip(KD_DIR_T2D, b, 64, KD_ARCH_AMD64, 64);
    want_problems(m, 0);
    want_value(m, KD_F_M_CX_OFFSET, 0, BODY + 0x10, 4, 0xF8);
    want_value(m, KD_F_M_CX_BYTE_COUNT, 0, BODY + 0x14, 4, 8);
    want_value(m, KD_F_M_CX_BYTES_COPIED, 0, BODY + 0x18, 4, 8);
    want_struct(m, KD_F_CTX, BODY + 56, 8);
    want_value(m, KD_F_CTX_RIP, 0, BODY + 56, 8, 0xfffff80002a5c123ull);
    want_absent(m, KD_F_CTX_RAX);
    want_absent(m, KD_F_CTX_CONTEXT_FLAGS);

    /* GetContextEx reply, AMD64: Rax..Rdx (0x78, 0x18 bytes) */
    b = manip_body(0x315F);
    kdb_put32(b + 0x10, 0x78);
    kdb_put32(b + 0x14, 0x18);
    kdb_put32(b + 0x18, 0x18);
    kdb_put64(b + 56, 0x1111222233334401ull);
    kdb_put64(b + 64, 0x1111222233334402ull);
    kdb_put64(b + 72, 0x1111222233334403ull);
    m = decode_manip(KD_DIR_T2D, b, 80, KD_ARCH_AMD64, 64);
    want_problems(m, 0);
    want_value(m, KD_F_CTX_RAX, 0, BODY + 56, 8, 0x1111222233334401ull);
    want_value(m, KD_F_CTX_RCX, 0, BODY + 64, 8, 0x1111222233334402ull);
    want_value(m, KD_F_CTX_RDX, 0, BODY + 72, 8, 0x1111222233334403ull);
    want_absent(m, KD_F_CTX_RBX);
    want_absent(m, KD_F_CTX_DR7);

    /* SetContextEx request, ARM64: Sp and Pc (0x100, 16 bytes) */
    b = manip_body(0x3160);
    kdb_put32(b + 0x10, 0x100);
    kdb_put32(b + 0x14, 16);
    kdb_put32(b + 0x18, 0);
    kdb_put64(b + 56, 0xffff800012345670ull);
    kdb_put64(b + 64, 0xffff800087654320ull);
    m = decode_manip(KD_DIR_D2T, b, 72, KD_ARCH_ARM64, 64);
    want_problems(m, 0);
    want_value(m, KD_F_CTX_SP, 0, BODY + 56, 8, 0xffff800012345670ull);
    want_value(m, KD_F_CTX_PC, 0, BODY + 64, 8, 0xffff800087654320ull);
    want_absent(m, KD_F_CTX_LR);

    /* x86, width 32: Eip (0xB8) after the 52-byte header */
    b = manip_body(0x315F);
    kdb_put32(b + 0x0C, 0xB8);
    kdb_put32(b + 0x10, 4);
    kdb_put32(b + 0x14, 4);
    kdb_put32(b + 52, 0x8054c123u);
    m = decode_manip(KD_DIR_T2D, b, 56, KD_ARCH_X86, 32);
    want_problems(m, 0);
    want_value(m, KD_F_M_CX_OFFSET, 0, BODY + 0x0C, 4, 0xB8);
    want_value(m, KD_F_CTX_EIP, 0, BODY + 52, 4, 0x8054c123u);
    want_absent(m, KD_F_CTX_EBP);
}

/* ------------------------------------------------------------ DEBUG_IO */

static void test_debug_io(void **state)
{
    (void)state;
    static const fld dio_hdr[] = {M(DIO_PROCESSOR_LEVEL, 4, 2), M(DIO_PROCESSOR, 6, 2)};

    /* PrintString: DBGKD_DEBUG_IO (16) + LengthOfString bytes */
    static const char text[] = "golden DbgPrint line\n";
    size_t tl = sizeof text - 1;
    uint8_t *b = new_body();
    kdb_put32(b, 0x3230);
    fill(b, 0, dio_hdr, N(dio_hdr), C_HDR);
    kdb_put32(b + 8, (uint32_t)tl);
    memcpy(b + 16, text, tl);
    const kd_msg *m = decode_one(KD_TYPE_DEBUG_IO, KD_DIR_T2D, b, 16 + tl, KD_ARCH_AMD64, 0);
    want_problems(m, 0);
    assert_int_equal(m->api, 0x3230);
    want_struct(m, KD_F_DEBUG_IO, BODY, 16 + tl);
    want_value(m, KD_F_DIO_API_NUMBER, 0, BODY, 4, 0x3230);
    check(m, BODY, dio_hdr, N(dio_hdr), C_HDR);
    want_value(m, KD_F_DIO_LENGTH_OF_STRING, 0, BODY + 8, 4, tl);
    want_bytes(m, KD_F_DIO_STRING, BODY + 16, text, tl);

    /* GetString prompt from the target */
    static const char prompt[] = "Break, Ignore, terminate Process or terminate Thread (bipt)? ";
    size_t pl = sizeof prompt - 1;
    b = new_body();
    kdb_put32(b, 0x3231);
    fill(b, 0, dio_hdr, N(dio_hdr), C_HDR);
    kdb_put32(b + 8, (uint32_t)pl);
    kdb_put32(b + 12, 0x200);
    memcpy(b + 16, prompt, pl);
    m = decode_one(KD_TYPE_DEBUG_IO, KD_DIR_T2D, b, 16 + pl, KD_ARCH_AMD64, 0);
    want_problems(m, 0);
    assert_int_equal(m->is_response, 0);
    check(m, BODY, dio_hdr, N(dio_hdr), C_HDR);
    want_value(m, KD_F_DIO_LENGTH_OF_PROMPT_STRING, 0, BODY + 8, 4, pl);
    want_value(m, KD_F_DIO_LENGTH_OF_STRING_READ, 0, BODY + 12, 4, 0x200);
    want_bytes(m, KD_F_DIO_PROMPT, BODY + 16, prompt, pl);
    want_absent(m, KD_F_DIO_RESPONSE);
    want_absent(m, KD_F_DIO_STRING);

    /* The debugger's answer */
    static const char answer[] = "b";
    b = new_body();
    kdb_put32(b, 0x3231);
    fill(b, 0, dio_hdr, N(dio_hdr), C_HDR);
    kdb_put32(b + 8, 0);
    kdb_put32(b + 12, sizeof answer - 1);
    memcpy(b + 16, answer, sizeof answer - 1);
    m = decode_one(KD_TYPE_DEBUG_IO, KD_DIR_D2T, b, 16 + sizeof answer - 1, KD_ARCH_AMD64, 0);
    want_problems(m, 0);
    assert_int_equal(m->is_response, 1);
    want_value(m, KD_F_DIO_LENGTH_OF_STRING_READ, 0, BODY + 12, 4, sizeof answer - 1);
    want_bytes(m, KD_F_DIO_RESPONSE, BODY + 16, answer, sizeof answer - 1);
    want_absent(m, KD_F_DIO_PROMPT);
}

/* ------------------------------------------------------------ TRACE_IO, CONTROL_REQUEST, FILE_IO */

static void test_trace_io(void **state)
{
    (void)state;
    static const fld tio[] = {M(TIO_PROCESSOR_LEVEL, 4, 2), M(TIO_PROCESSOR, 6, 2)};
    uint8_t data[24];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(0x60 + i);
    uint8_t *b = new_body();
    kdb_put32(b, 0x3330);
    fill(b, 0, tio, N(tio), C_HDR);
    kdb_put32(b + 8, sizeof data);
    memcpy(b + 64, data, sizeof data);
    const kd_msg *m = decode_one(KD_TYPE_TRACE_IO, KD_DIR_T2D, b, 64 + sizeof data, KD_ARCH_AMD64, 0);
    want_problems(m, 0);
    assert_int_equal(m->api, 0x3330);
    want_struct(m, KD_F_TRACE_IO, BODY, 64 + sizeof data);
    want_value(m, KD_F_TIO_API_NUMBER, 0, BODY, 4, 0x3330);
    check(m, BODY, tio, N(tio), C_HDR);
    want_value(m, KD_F_TIO_LENGTH_OF_DATA, 0, BODY + 8, 4, sizeof data);
    want_bytes(m, KD_F_TIO_DATA, BODY + 64, data, sizeof data);
}

static void test_control_request(void **state)
{
    (void)state;
    static const fld req[] = {M(CRQ_HARDWARE_BREAK_POINT_NUMBER, 4, 4), M(CRQ_AVAILABLE, 8, 4)};
    static const fld rel[] = {M(CRQ_HARDWARE_BREAK_POINT_NUMBER, 4, 4), M(CRQ_RELEASED, 8, 4)};
    uint8_t *b = new_body();
    kdb_put32(b, 0x4300);
    fill(b, 0, req, N(req), C_UNION);
    const kd_msg *m = decode_one(KD_TYPE_CONTROL_REQUEST, KD_DIR_T2D, b, 12, KD_ARCH_AMD64, 0);
    want_problems(m, 0);
    assert_int_equal(m->api, 0x4300);
    want_struct(m, KD_F_CONTROL_REQUEST, BODY, 12);
    want_value(m, KD_F_CRQ_API_NUMBER, 0, BODY, 4, 0x4300);
    check(m, BODY, req, N(req), C_UNION);
    want_absent(m, KD_F_CRQ_RELEASED);

    b = new_body();
    kdb_put32(b, 0x4301);
    fill(b, 0, rel, N(rel), C_UNION);
    m = decode_one(KD_TYPE_CONTROL_REQUEST, KD_DIR_T2D, b, 12, KD_ARCH_AMD64, 0);
    want_problems(m, 0);
    assert_int_equal(m->api, 0x4301);
    check(m, BODY, rel, N(rel), C_UNION);
    want_absent(m, KD_F_CRQ_AVAILABLE);
}

static void test_file_io(void **state)
{
    (void)state;
    static const fld create[] = {
        M(FIO_STATUS, 0x04, 4),           M(FIO_DESIRED_ACCESS, 0x08, 4),
        M(FIO_FILE_ATTRIBUTES, 0x0C, 4),  M(FIO_SHARE_ACCESS, 0x10, 4),
        M(FIO_CREATE_DISPOSITION, 0x14, 4), M(FIO_CREATE_OPTIONS, 0x18, 4),
        M(FIO_HANDLE, 0x20, 8),           M(FIO_LENGTH, 0x28, 8),
    };
    static const fld rw[] = {M(FIO_STATUS, 0x04, 4), M(FIO_HANDLE, 0x08, 8), M(FIO_OFFSET, 0x10, 8),
                             M(FIO_LENGTH, 0x18, 4)};
    static const fld closef[] = {M(FIO_STATUS, 0x04, 4), M(FIO_HANDLE, 0x08, 8)};

    /* CreateFile from the target: UTF-16LE name after the 64-byte header */
    static const char name[] = "\\??\\C:\\symbols\\golden.pdb";
    uint8_t wname[2 * sizeof name];
    for (size_t i = 0; i < sizeof name; i++)
        kdb_put16(wname + 2 * i, (uint8_t)name[i]);
    uint8_t *b = new_body();
    kdb_put32(b, 0x3430);
    fill(b, 0, create, N(create), C_UNION);
    memcpy(b + 64, wname, sizeof wname);
    const kd_msg *m = decode_one(KD_TYPE_FILE_IO, KD_DIR_T2D, b, 64 + sizeof wname, KD_ARCH_AMD64, 0);
    want_problems(m, 0);
    assert_int_equal(m->api, 0x3430);
    assert_int_equal(m->is_response, 0);
    want_struct(m, KD_F_FILE_IO, BODY, 64 + sizeof wname);
    want_value(m, KD_F_FIO_API_NUMBER, 0, BODY, 4, 0x3430);
    check(m, BODY, create, N(create), C_UNION);
    want_bytes(m, KD_F_FIO_FILE_NAME, BODY + 64, wname, sizeof wname);

    /* ... and the debugger's answer (Status, Handle) */
    b = new_body();
    kdb_put32(b, 0x3430);
    fill(b, 0, create, N(create), C_UNION);
    m = decode_one(KD_TYPE_FILE_IO, KD_DIR_D2T, b, 64, KD_ARCH_AMD64, 0);
    want_problems(m, 0);
    assert_int_equal(m->is_response, 1);
    check(m, BODY, create, N(create), C_UNION);
    want_absent(m, KD_F_FIO_FILE_NAME);

    /* ReadFile request, and the reply with data */
    uint8_t data[32];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(0x80 + i);
    b = new_body();
    kdb_put32(b, 0x3431);
    fill(b, 0, rw, N(rw), C_UNION);
    m = decode_one(KD_TYPE_FILE_IO, KD_DIR_T2D, b, 64, KD_ARCH_AMD64, 0);
    want_problems(m, 0);
    check(m, BODY, rw, N(rw), C_UNION);
    want_absent(m, KD_F_FIO_DATA);
    memcpy(b + 64, data, sizeof data);
    m = decode_one(KD_TYPE_FILE_IO, KD_DIR_D2T, b, 64 + sizeof data, KD_ARCH_AMD64, 0);
    want_problems(m, 0);
    check(m, BODY, rw, N(rw), C_UNION);
    want_bytes(m, KD_F_FIO_DATA, BODY + 64, data, sizeof data);

    /* WriteFile with data */
    b = new_body();
    kdb_put32(b, 0x3432);
    fill(b, 0, rw, N(rw), C_UNION);
    memcpy(b + 64, data, sizeof data);
    m = decode_one(KD_TYPE_FILE_IO, KD_DIR_T2D, b, 64 + sizeof data, KD_ARCH_AMD64, 0);
    want_problems(m, 0);
    assert_int_equal(m->api, 0x3432);
    check(m, BODY, rw, N(rw), C_UNION);
    want_bytes(m, KD_F_FIO_DATA, BODY + 64, data, sizeof data);

    /* CloseFile */
    b = new_body();
    kdb_put32(b, 0x3433);
    fill(b, 0, closef, N(closef), C_UNION);
    m = decode_one(KD_TYPE_FILE_IO, KD_DIR_T2D, b, 64, KD_ARCH_AMD64, 0);
    want_problems(m, 0);
    assert_int_equal(m->api, 0x3433);
    check(m, BODY, closef, N(closef), C_UNION);
    want_absent(m, KD_F_FIO_OFFSET);
}

/* ------------------------------------------------------------ unknown and short */

static void test_unknown(void **state)
{
    (void)state;
    /* Manipulate API 0x3170: header decoded, union and data as kd.data */
    uint8_t *b = manip_body(0x3170);
    for (size_t i = 0x10; i < 64; i++)
        b[i] = (uint8_t)i;
    const kd_msg *m = decode_manip(KD_DIR_D2T, b, 64, KD_ARCH_AMD64, 64);
    want_flag(m, KD_DECODE_UNKNOWN_API);
    check_manip_header(m, 0x3170, 64, 64);
    assert_int_equal(count_of(m, KD_F_DATA), 2);
    want_bytes(m, KD_F_DATA, BODY + 0x10, b + 0x10, 40);
    const kd_node *n = node_at(m, KD_F_DATA, 1);
    assert_non_null(n);
    assert_int_equal(n->offset, BODY + 56);
    assert_int_equal(n->length, 8);
    for (uint16_t i = 0; i < m->n; i++)
        assert_true(m->nodes[i].depth <= 1); /* no union member */

    /* ... and in width 32: the union at 0x0C */
    b = manip_body(0x3170);
    m = decode_manip(KD_DIR_D2T, b, 52, KD_ARCH_X86, 32);
    want_flag(m, KD_DECODE_UNKNOWN_API);
    check_manip_header(m, 0x3170, 52, 32);
    want_bytes(m, KD_F_DATA, BODY + 0x0C, b + 0x0C, 40);

    /* NewState 0x3033: the header and the control report decoded, the union as kd.data */
    b = state64_body(0x3033);
    fill(b, 0xC0, cr_amd64, N(cr_amd64), C_VIEW);
    m = decode_one(KD_TYPE_STATE_CHANGE64, KD_DIR_T2D, b, 240, KD_ARCH_AMD64, 0);
    want_flag(m, KD_DECODE_UNKNOWN_API);
    check_state64_header(m, 0x3033, 240);
    want_bytes(m, KD_F_DATA, BODY + 0x20, b + 0x20, 160);
    check(m, BODY + 0xC0, cr_amd64, N(cr_amd64), C_VIEW);
    want_absent(m, KD_F_EXCEPTION);

    /* DEBUG_IO API 0x3232 */
    b = new_body();
    kdb_put32(b, 0x3232);
    m = decode_one(KD_TYPE_DEBUG_IO, KD_DIR_T2D, b, 20, KD_ARCH_AMD64, 0);
    want_flag(m, KD_DECODE_UNKNOWN_API);
    want_bytes(m, KD_F_DATA, BODY + 16, b + 16, 4);

    /* FILE_IO API 0x3434: the union as kd.data */
    b = new_body();
    kdb_put32(b, 0x3434);
    m = decode_one(KD_TYPE_FILE_IO, KD_DIR_T2D, b, 64, KD_ARCH_AMD64, 0);
    want_flag(m, KD_DECODE_UNKNOWN_API);
    want_value(m, KD_F_FIO_API_NUMBER, 0, BODY, 4, 0x3434);
    want_bytes(m, KD_F_DATA, BODY + 8, b + 8, 56);
}

/* ByteCount too small for the header of its type. */
static void test_short(void **state)
{
    (void)state;
    static const struct {
        uint16_t type;
        uint32_t api;
        size_t len;
    } cases[] = {
        {KD_TYPE_STATE_MANIPULATE, 0x3130, 8},   /* ReturnStatus cut */
        {KD_TYPE_STATE_MANIPULATE, 0x3130, 20},  /* ReadMemory cut */
        {KD_TYPE_STATE_MANIPULATE, 0x3146, 55},  /* 64-bit GetVersion one byte short */
        {KD_TYPE_STATE_CHANGE64, 0x3030, 0x30},  /* exception cut */
        {KD_TYPE_STATE_CHANGE64, 0x3030, 200},   /* control report cut */
        {KD_TYPE_STATE_CHANGE64, 0x3031, 239},
        {KD_TYPE_STATE_CHANGE32, 0x3030, 60},
        {KD_TYPE_DEBUG_IO, 0x3230, 10},
        {KD_TYPE_TRACE_IO, 0x3330, 12},
        {KD_TYPE_CONTROL_REQUEST, 0x4300, 6},
        {KD_TYPE_FILE_IO, 0x3430, 40},
    };
    for (size_t i = 0; i < N(cases); i++) {
        uint8_t *b = new_body();
        kdb_put32(b, cases[i].api);
        const kd_msg *m = decode_one(cases[i].type, KD_DIR_T2D, b, cases[i].len, KD_ARCH_AMD64,
                                     cases[i].type == KD_TYPE_STATE_MANIPULATE ? 64 : 0);
        g_checks++;
        if (!(m->problems & KD_DECODE_SHORT))
            BAD("case %zu (type %u, %zu bytes): not flagged short", i, cases[i].type, cases[i].len);
        /* decode_one has checked that no node reaches past BODY + len */
    }
}

/* ------------------------------------------------------------ views inferred, edge cases */

/* With no arch given, GetVersion's MachineType (§1.7) picks the views. */
static void test_arch_from_get_version(void **state)
{
    (void)state;
    static const struct {
        uint16_t machine;
        kd_arch arch;
    } cases[] = {
        {0x014C, KD_ARCH_X86},   {0x8664, KD_ARCH_AMD64}, {0xAA64, KD_ARCH_ARM64},
        {0x01C0, KD_ARCH_ARM},   {0x01C4, KD_ARCH_ARM},   {0x0200, KD_ARCH_IA64},
        {0x0184, KD_ARCH_ALPHA},
    };
    for (size_t i = 0; i < N(cases); i++) {
        uint8_t *b = manip_body(0x3146);
        kdb_put16(b + 0x10 + 0x08, cases[i].machine);
        const kd_msg *m = decode_manip(KD_DIR_T2D, b, 56, KD_ARCH_UNKNOWN, 64);
        g_checks++;
        if (m->arch != cases[i].arch)
            BAD("MachineType 0x%04x: arch %s, expected %s", cases[i].machine, kd_arch_name(m->arch),
                kd_arch_name(cases[i].arch));
        assert_int_equal(m->track.machine_type, cases[i].machine);
    }
    /* A forced arch wins over the reply. */
    uint8_t *b = manip_body(0x3146);
    kdb_put16(b + 0x10 + 0x08, 0x8664);
    const kd_msg *m = decode_manip(KD_DIR_T2D, b, 56, KD_ARCH_ARM64, 64);
    assert_int_equal(m->arch, KD_ARCH_ARM64);
}

/* With no arch given, a state change shows which control report it carries:
 * a sign-extended 32-bit ProgramCounter (§3.7 item 1) is x86, an AMD64
 * SegCs at 0xC0 + 0x28 is AMD64; otherwise the 48 bytes stay bytes. */
static void test_arch_from_state_change(void **state)
{
    (void)state;
    uint8_t *b = state64_body(0x3030);
    kdb_put64(b + 0x18, 0xffffffff80a5c123ull);
    fill(b, 0xC0, cr_x86, N(cr_x86), C_VIEW);
    const kd_msg *m = decode_one(KD_TYPE_STATE_CHANGE64, KD_DIR_T2D, b, 240, KD_ARCH_UNKNOWN, 0);
    assert_int_equal(m->arch, KD_ARCH_X86);
    check(m, BODY + 0xC0, cr_x86, N(cr_x86), C_VIEW);

    b = state64_body(0x3030);
    kdb_put64(b + 0x18, 0xfffff80002a5c123ull);
    fill(b, 0xC0, cr_amd64, N(cr_amd64), C_VIEW);
    m = decode_one(KD_TYPE_STATE_CHANGE64, KD_DIR_T2D, b, 240, KD_ARCH_UNKNOWN, 0);
    assert_int_equal(m->arch, KD_ARCH_AMD64);
    check(m, BODY + 0xC0, cr_amd64, N(cr_amd64), C_VIEW);

    b = state64_body(0x3030);
    kdb_put64(b + 0x18, 0xfffff80002a5c123ull);
    memset(b + 0xC0, 0, 48);
    m = decode_one(KD_TYPE_STATE_CHANGE64, KD_DIR_T2D, b, 240, KD_ARCH_UNKNOWN, 0);
    assert_int_equal(m->arch, KD_ARCH_UNKNOWN);
    want_struct(m, KD_F_CONTROL_REPORT, BODY + 0xC0, 48);
    /* issue 13: the raw control report, named as such */
    want_bytes(m, KD_F_CR_RAW, BODY + 0xC0, b + 0xC0, 48);
    want_absent(m, KD_F_CR_DR6);

    /* Continue2 with no arch known: the control set's bytes (after the
     * 4-byte ContinueStatus, to the end of the 32-byte member, §2.4) */
    b = manip_body(0x313C);
    m = decode_manip(KD_DIR_D2T, b, 56, KD_ARCH_UNKNOWN, 64);
    want_struct(m, KD_F_M_CONTINUE2, BODY + 0x10, 32);
    want_struct(m, KD_F_CONTROL_SET, BODY + 0x14, 28);
    want_bytes(m, KD_F_CS_RAW, BODY + 0x14, b + 0x14, 28);
    want_absent(m, KD_F_CS_DR7);

    /* Continue2 of an Alpha target: no control set to show (§2.4: padding only) */
    b = manip_body(0x313C);
    m = decode_manip(KD_DIR_D2T, b, 56, KD_ARCH_ALPHA, 64);
    want_struct(m, KD_F_M_CONTINUE2, BODY + 0x10, 32);
    want_absent(m, KD_F_CONTROL_SET);

    /* GetContextEx with no arch known: the slice stays bytes */
    b = manip_body(0x315F);
    kdb_put32(b + 0x10, 0xF8);
    kdb_put32(b + 0x14, 8);
    m = decode_manip(KD_DIR_T2D, b, 64, KD_ARCH_UNKNOWN, 64);
    want_bytes(m, KD_F_DATA, BODY + 56, b + 56, 8);
    want_absent(m, KD_F_CTX_RIP);
}

static void test_edges(void **state)
{
    (void)state;
    /* LoadSymbols with no name: PathNameLength 0 and no data (§3.7 item 2) */
    uint8_t *b = state64_body(0x3031);
    kdb_put32(b + 0x20, 0);
    const kd_msg *m = decode_one(KD_TYPE_STATE_CHANGE64, KD_DIR_T2D, b, 240, KD_ARCH_AMD64, 0);
    want_problems(m, 0);
    want_value(m, KD_F_LS_PATH_NAME_LENGTH, 0, BODY + 0x20, 4, 0);
    want_absent(m, KD_F_LS_PATH);

    /* DbgPrint whose LengthOfString disagrees with the text present */
    b = new_body();
    kdb_put32(b, 0x3230);
    kdb_put32(b + 8, 5);
    memcpy(b + 16, "abc", 3);
    m = decode_one(KD_TYPE_DEBUG_IO, KD_DIR_T2D, b, 19, KD_ARCH_AMD64, 0);
    want_flag(m, KD_DECODE_LENGTH_MISMATCH);
    want_bytes(m, KD_F_DIO_STRING, BODY + 16, "abc", 3);

    /* Packet types outside §1.2, or never on the wire: the body as bytes */
    static const uint16_t types[] = {0, 8, 12, 0x7fff};
    for (size_t i = 0; i < N(types); i++) {
        b = new_body();
        m = decode_one(types[i], KD_DIR_T2D, b, 24, KD_ARCH_AMD64, 0);
        if (types[i] != 0)
            want_flag(m, KD_DECODE_UNKNOWN_TYPE);
        want_bytes(m, KD_F_DATA, BODY, b, 24);
    }

    /* The checksum is good: its status node says so (generated) */
    b = manip_body(0x3130);
    m = decode_manip(KD_DIR_D2T, b, 56, KD_ARCH_AMD64, 64);
    const kd_node *n = node_at(m, KD_F_CHECKSUM_STATUS, 0);
    assert_non_null(n);
    assert_int_equal(n->flags & KD_NODE_GENERATED, KD_NODE_GENERATED);
    assert_int_equal(n->value, 1);
    want_absent(m, KD_F_CHECKSUM_COMPUTED);

    /* A node's value as text (decode.h: "0x3130 (DbgKdReadVirtualMemoryApi)") */
    char text[128];
    n = node_at(m, KD_F_M_API_NUMBER, 0);
    assert_non_null(n);
    kd_node_format(n, text, sizeof text);
    g_checks++;
    if (strstr(text, "(DbgKdReadVirtualMemoryApi)") == NULL || strstr(text, "3130") == NULL)
        BAD("ApiNumber formats as \"%s\"", text);
}

/* ------------------------------------------------------------ summaries */

static void want_summary(const kd_msg *m, const char *want)
{
    char line[256];
    kd_msg_summary(m, NULL, line, sizeof line);
    g_checks++;
    if (strcmp(line, want) != 0)
        BAD("summary \"%s\", expected \"%s\"", line, want);
}

static void test_summaries(void **state)
{
    (void)state;
    /* ReadVirtualMemory reply */
    uint8_t *b = manip_body(0x3130);
    kdb_put32(b + 8, 0);
    kdb_put64(b + 0x10, 0xfffff80002a5c000ull);
    kdb_put32(b + 0x18, 0x100);
    kdb_put32(b + 0x1C, 0x100);
    memset(b + 56, 0x90, 0x100);
    const kd_msg *m = decode_manip(KD_DIR_T2D, b, 56 + 0x100, KD_ARCH_AMD64, 64);
    want_problems(m, 0);
    want_summary(m, "ReadVirtualMemory 0xfffff80002a5c000 len 0x100 -> STATUS_SUCCESS, 0x100 read");

    /* ... its request */
    kdb_put32(b + 0x1C, 0);
    m = decode_manip(KD_DIR_D2T, b, 56, KD_ARCH_AMD64, 64);
    want_summary(m, "ReadVirtualMemory 0xfffff80002a5c000 len 0x100");

    /* GetVersion reply */
    b = manip_body(0x3146);
    kdb_put32(b + 8, 0);
    kdb_put16(b + 0x10, 0x000F);
    kdb_put16(b + 0x12, 19041);
    b[0x14] = 6;
    b[0x15] = 2;
    kdb_put16(b + 0x16, 0x0007);
    kdb_put16(b + 0x18, 0x8664);
    kdb_put64(b + 0x20, 0xfffff80002a00000ull);
    m = decode_manip(KD_DIR_T2D, b, 56, KD_ARCH_UNKNOWN, 64);
    want_summary(m, "GetVersion -> STATUS_SUCCESS, build 19041, AMD64, protocol 6, "
                    "kernel 0xfffff80002a00000");

    /* Exception state change */
    b = new_body();
    kdb_put32(b, 0x3030);
    kdb_put16(b + 4, 6);
    kdb_put16(b + 6, 1);
    kdb_put32(b + 8, 4);
    kdb_put64(b + 0x10, 0xffffe00012345080ull);
    kdb_put64(b + 0x18, 0xfffff80002a5c123ull);
    kdb_put32(b + 0x20, 0x80000003u);
    kdb_put32(b + 0x24, 0);
    kdb_put64(b + 0x28, 0);
    kdb_put64(b + 0x30, 0xfffff80002a5c123ull);
    kdb_put32(b + 0x38, 1);
    kdb_put32(b + 0x20 + 0x98, 1);
    m = decode_one(KD_TYPE_STATE_CHANGE64, KD_DIR_T2D, b, 240, KD_ARCH_AMD64, 0);
    want_summary(m, "Exception STATUS_BREAKPOINT at 0xfffff80002a5c123, first chance, cpu 1");
    kdb_put32(b + 0x20 + 0x98, 0);
    m = decode_one(KD_TYPE_STATE_CHANGE64, KD_DIR_T2D, b, 240, KD_ARCH_AMD64, 0);
    want_summary(m, "Exception STATUS_BREAKPOINT at 0xfffff80002a5c123, second chance, cpu 1");

    /* GetContext reply, AMD64 */
    b = manip_body(0x3132);
    kdb_put32(b + 8, 0);
    kdb_put64(b + 56 + 0xF8, 0xfffff80002a5c123ull);
    m = decode_manip(KD_DIR_T2D, b, 56 + 1232, KD_ARCH_AMD64, 64);
    want_summary(m, "GetContext -> STATUS_SUCCESS, amd64 Rip 0xfffff80002a5c123");

    /* ReadMsr reply */
    b = manip_body(0x3152);
    kdb_put32(b + 8, 0);
    kdb_put32(b + 0x10, 0xC0000082u);
    kdb_put32(b + 0x14, 0x02a61180u);
    kdb_put32(b + 0x18, 0xfffff800u);
    m = decode_manip(KD_DIR_T2D, b, 56, KD_ARCH_AMD64, 64);
    want_summary(m, "ReadMsr 0xc0000082 -> STATUS_SUCCESS, value 0xfffff80002a61180");

    /* Continue2 (no reply exists) */
    b = manip_body(0x313C);
    kdb_put32(b + 0x10, 0x00010002u);
    kdb_put32(b + 0x14, 1);
    kdb_put64(b + 0x18, 0x400);
    m = decode_manip(KD_DIR_D2T, b, 56, KD_ARCH_AMD64, 64);
    want_summary(m, "Continue2 DBG_CONTINUE trace 1 dr7 0x400");

    /* DbgPrint */
    static const char text[] = "golden\n";
    b = new_body();
    kdb_put32(b, 0x3230);
    kdb_put32(b + 8, sizeof text - 1);
    memcpy(b + 16, text, sizeof text - 1);
    m = decode_one(KD_TYPE_DEBUG_IO, KD_DIR_T2D, b, 16 + sizeof text - 1, KD_ARCH_AMD64, 0);
    want_summary(m, "DbgPrint \"golden\\n\"");

    /* DbgPrompt and its answer */
    static const char prompt[] = "Continue? ", answer[] = "y";
    b = new_body();
    kdb_put32(b, 0x3231);
    kdb_put32(b + 8, sizeof prompt - 1);
    kdb_put32(b + 12, 16);
    memcpy(b + 16, prompt, sizeof prompt - 1);
    m = decode_one(KD_TYPE_DEBUG_IO, KD_DIR_T2D, b, 16 + sizeof prompt - 1, KD_ARCH_AMD64, 0);
    want_summary(m, "DbgPrompt \"Continue? \"");
    b = new_body();
    kdb_put32(b, 0x3231);
    kdb_put32(b + 8, 0);
    kdb_put32(b + 12, sizeof answer - 1);
    memcpy(b + 16, answer, sizeof answer - 1);
    m = decode_one(KD_TYPE_DEBUG_IO, KD_DIR_D2T, b, 16 + sizeof answer - 1, KD_ARCH_AMD64, 0);
    want_summary(m, "DbgPrompt answer \"y\"");

    /* LoadSymbols */
    static const char path[] = "\\SystemRoot\\system32\\ntoskrnl.exe";
    b = new_body();
    kdb_put32(b, 0x3031);
    kdb_put32(b + 0x20, sizeof path);
    kdb_put64(b + 0x28, 0xfffff80002a00000ull);
    kdb_put32(b + 0x3C, 0x5e5000);
    b[0x40] = 0;
    memcpy(b + 240, path, sizeof path);
    m = decode_one(KD_TYPE_STATE_CHANGE64, KD_DIR_T2D, b, 240 + sizeof path, KD_ARCH_AMD64, 0);
    want_summary(m, "LoadSymbols \"\\\\SystemRoot\\\\system32\\\\ntoskrnl.exe\" "
                    "base 0xfffff80002a00000 size 0x5e5000");

    /* CreateFile (UTF-16LE name) and the debugger's answer */
    static const char fname[] = "C:/sym/golden.pdb";
    b = new_body();
    kdb_put32(b, 0x3430);
    for (size_t i = 0; i < sizeof fname; i++)
        kdb_put16(b + 64 + 2 * i, (uint8_t)fname[i]);
    m = decode_one(KD_TYPE_FILE_IO, KD_DIR_T2D, b, 64 + 2 * sizeof fname, KD_ARCH_AMD64, 0);
    want_summary(m, "CreateFile \"C:/sym/golden.pdb\"");
    b = new_body();
    kdb_put32(b, 0x3431);
    kdb_put32(b + 4, 0xC000000Fu);
    kdb_put64(b + 8, 0x1c);
    kdb_put64(b + 0x10, 0x2000);
    kdb_put32(b + 0x18, 0x800);
    m = decode_one(KD_TYPE_FILE_IO, KD_DIR_D2T, b, 64, KD_ARCH_AMD64, 0);
    want_summary(m, "ReadFile handle 0x1c offset 0x2000 len 0x800 -> STATUS_NO_SUCH_FILE");

    /* Unknown API */
    b = manip_body(0x3170);
    m = decode_manip(KD_DIR_D2T, b, 56, KD_ARCH_AMD64, 64);
    want_summary(m, "Manipulate API 0x3170");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_state64_exception, reset, verdict),
        cmocka_unit_test_setup_teardown(test_state64_alternate, reset, verdict),
        cmocka_unit_test_setup_teardown(test_state64_load_symbols, reset, verdict),
        cmocka_unit_test_setup_teardown(test_state64_command_string, reset, verdict),
        cmocka_unit_test_setup_teardown(test_state64_control_reports, reset, verdict),
        cmocka_unit_test_setup_teardown(test_state32, reset, verdict),
        cmocka_unit_test_setup_teardown(test_state32_forced_arch, reset, verdict),
        cmocka_unit_test_setup_teardown(test_state32_unknown, reset, verdict),
        cmocka_unit_test_setup_teardown(test_manip_members64, reset, verdict),
        cmocka_unit_test_setup_teardown(test_manip_members32, reset, verdict),
        cmocka_unit_test_setup_teardown(test_manip_width_guess, reset, verdict),
        cmocka_unit_test_setup_teardown(test_manip_memberless, reset, verdict),
        cmocka_unit_test_setup_teardown(test_manip_continue2, reset, verdict),
        cmocka_unit_test_setup_teardown(test_manip_get_version, reset, verdict),
        cmocka_unit_test_setup_teardown(test_manip_msr, reset, verdict),
        cmocka_unit_test_setup_teardown(test_manip_search, reset, verdict),
        cmocka_unit_test_setup_teardown(test_manip_data, reset, verdict),
        cmocka_unit_test_setup_teardown(test_context_get, reset, verdict),
        cmocka_unit_test_setup_teardown(test_context_set, reset, verdict),
        cmocka_unit_test_setup_teardown(test_context_ex, reset, verdict),
        cmocka_unit_test_setup_teardown(test_debug_io, reset, verdict),
        cmocka_unit_test_setup_teardown(test_trace_io, reset, verdict),
        cmocka_unit_test_setup_teardown(test_control_request, reset, verdict),
        cmocka_unit_test_setup_teardown(test_file_io, reset, verdict),
        cmocka_unit_test_setup_teardown(test_unknown, reset, verdict),
        cmocka_unit_test_setup_teardown(test_short, reset, verdict),
        cmocka_unit_test_setup_teardown(test_arch_from_get_version, reset, verdict),
        cmocka_unit_test_setup_teardown(test_arch_from_state_change, reset, verdict),
        cmocka_unit_test_setup_teardown(test_edges, reset, verdict),
        cmocka_unit_test_setup_teardown(test_summaries, reset, verdict),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    printf("test_golden: %lu field checks\n", g_checks);
    return rc;
}
