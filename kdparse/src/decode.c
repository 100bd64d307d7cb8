/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Decoding: walks the layouts of layouts.c over an item's bytes and emits
 * schema nodes (decode.h).  Every read is bounded by the bytes present and
 * by ByteCount; a structure cut short is decoded as far as it goes and the
 * message is flagged KD_DECODE_SHORT.
 */
#include <string.h>

#include "kdparse/decode.h"
#include "layouts.h"

typedef struct dctx {
    kd_msg *m;
    const uint8_t *p; /* the item's bytes */
    size_t end;       /* end of what may be read: header + body present */
} dctx;

static uint64_t read_le(const uint8_t *p, size_t size)
{
    switch (size) {
    case 1:
        return p[0];
    case 2:
        return kd_le16(p);
    case 4:
        return kd_le32(p);
    case 8:
        return kd_le64(p);
    default:
        return 0;
    }
}

static kd_node *add(dctx *c, kd_field_id f, unsigned depth, size_t off, size_t len)
{
    kd_msg *m = c->m;
    if (m->n >= KD_MSG_MAX_NODES) {
        m->problems |= KD_DECODE_TOO_MANY_NODES;
        return NULL;
    }
    kd_node *n = &m->nodes[m->n++];
    n->field = (uint16_t)f;
    n->depth = (uint8_t)depth;
    n->flags = 0;
    n->offset = (uint32_t)off;
    n->length = (uint32_t)len;
    n->value = 0;
    n->data = NULL;
    kd_ftype t = kd_fields[f].type;
    if (t == KD_FT_BYTES || t == KD_FT_STRING || t == KD_FT_UTF16)
        n->data = c->p + off;
    else if (len >= 1 && len <= 8 && t != KD_FT_NONE)
        n->value = read_le(c->p + off, len);
    return n;
}

static void add_generated(dctx *c, kd_field_id f, unsigned depth, size_t off, uint64_t v)
{
    kd_node *n = add(c, f, depth, off, 0);
    if (n) {
        n->value = v;
        n->flags = KD_NODE_GENERATED;
    }
}

/* Bytes [off, c->end) as one node of field f, if there are any. */
static void add_rest(dctx *c, kd_field_id f, unsigned depth, size_t off)
{
    if (off < c->end)
        add(c, f, depth, off, c->end - off);
}

/*
 * Emits the members of layout l.  Member offset so (relative to the
 * structure) lands at absolute offset origin + so.  Only members whose
 * structure offsets lie in [lo, hi) are shown (a CONTEXT slice); members
 * past c->end stop the walk and flag the message short.
 * Returns 0 when cut short.
 */
static int walk(dctx *c, const kd_layout *l, int64_t origin, size_t so_base, size_t lo, size_t hi,
                unsigned depth)
{
    for (size_t i = 0; i < l->n; i++) {
        const kd_member *mb = &l->m[i];
        size_t so = so_base + mb->offset;
        if (mb->sub) {
            size_t s_end = so + mb->sub->size;
            if (s_end <= lo || so >= hi)
                continue;
            size_t vis_lo = so > lo ? so : lo, vis_hi = s_end < hi ? s_end : hi;
            int64_t abs = origin + (int64_t)vis_lo;
            if ((size_t)abs >= c->end) {
                c->m->problems |= KD_DECODE_SHORT;
                return 0;
            }
            size_t len = vis_hi - vis_lo;
            if ((size_t)abs + len > c->end)
                len = c->end - (size_t)abs;
            add(c, (kd_field_id)mb->field, depth, (size_t)abs, len);
            if (!walk(c, mb->sub, origin, so, lo, hi, depth + 1))
                return 0;
            continue;
        }
        for (size_t k = 0; k < mb->count; k++) {
            size_t eso = so + k * mb->size;
            if (eso < lo || eso + mb->size > hi)
                continue;
            int64_t abs = origin + (int64_t)eso;
            if ((size_t)abs + mb->size > c->end) {
                c->m->problems |= KD_DECODE_SHORT;
                return 0;
            }
            add(c, (kd_field_id)mb->field, depth, (size_t)abs, mb->size);
        }
    }
    return 1;
}

/* A whole structure at absolute offset at. */
static int walk_at(dctx *c, const kd_layout *l, size_t at, unsigned depth)
{
    return walk(c, l, (int64_t)at, 0, 0, SIZE_MAX, depth);
}

/* A subtree node for structure l at offset at, then its members. */
static int subtree(dctx *c, kd_field_id f, const kd_layout *l, size_t at, unsigned depth)
{
    if (at >= c->end) {
        c->m->problems |= KD_DECODE_SHORT;
        return 0;
    }
    size_t len = l->size;
    if (at + len > c->end)
        len = c->end - at;
    add(c, f, depth, at, len);
    return walk_at(c, l, at, depth + 1);
}

/* ------------------------------------------------------------ architecture views */

static const kd_layout *control_report_layout(kd_arch a)
{
    switch (a) {
    case KD_ARCH_X86:
        return &kd_l_cr_x86;
    case KD_ARCH_AMD64:
        return &kd_l_cr_amd64;
    case KD_ARCH_ARM64:
        return &kd_l_cr_arm64;
    case KD_ARCH_ARM:
        return &kd_l_cr_arm;
    case KD_ARCH_IA64:
    case KD_ARCH_ALPHA:
        return &kd_l_cr_ia64;
    default:
        return NULL;
    }
}

static const kd_layout *control_set_layout(kd_arch a)
{
    switch (a) {
    case KD_ARCH_X86:
        return &kd_l_cs_x86;
    case KD_ARCH_AMD64:
        return &kd_l_cs_amd64;
    case KD_ARCH_ARM64:
        return &kd_l_cs_arm64;
    case KD_ARCH_ARM:
        return &kd_l_cs_arm;
    case KD_ARCH_IA64:
        return &kd_l_cs_ia64;
    default:
        return NULL;
    }
}

/*
 * Choice: with no architecture known (a capture that starts after
 * GetVersion), a 64-bit state change whose ProgramCounter is a
 * sign-extended 32-bit address comes from an x86 target (§3.7), and one
 * whose control report has a nonzero SegCs at 0xE8 from an AMD64 target;
 * anything else stays unknown and is shown as bytes.
 */
static kd_arch guess_arch_from_state64(const dctx *c, size_t body)
{
    if (body + 0x20 > c->end)
        return KD_ARCH_UNKNOWN;
    uint64_t pc = kd_le64(c->p + body + 0x18);
    if ((pc >> 31) == 0x1FFFFFFFFull)
        return KD_ARCH_X86;
    if (body + 0xEA <= c->end && kd_le16(c->p + body + 0xE8) != 0)
        return KD_ARCH_AMD64;
    return KD_ARCH_UNKNOWN;
}

/* Choice: a CONTEXT of unknown architecture is recognised by its size. */
static kd_arch arch_from_context_size(size_t len)
{
    switch (len) {
    case 716:
        return KD_ARCH_X86;
    case 1232:
        return KD_ARCH_AMD64;
    case 912:
        return KD_ARCH_ARM64;
    default:
        return KD_ARCH_UNKNOWN;
    }
}

static void control_report(dctx *c, size_t at, unsigned depth)
{
    const kd_layout *l = control_report_layout(c->m->arch);
    if (l) {
        subtree(c, KD_F_CONTROL_REPORT, l, at, depth);
    } else if (at < c->end) {
        /* No architecture known yet: the bytes as what they are. */
        size_t len = c->end - at < 48 ? c->end - at : 48;
        add(c, KD_F_CONTROL_REPORT, depth, at, len);
        add(c, KD_F_CR_RAW, depth + 1, at, len);
    }
}

/* A whole CONTEXT of architecture a at at, or the slice [lo, lo + len) of
 * one (ContextEx). */
static void context_as(dctx *c, kd_arch a, size_t at, size_t lo, unsigned depth)
{
    size_t len = c->end - at;
    const kd_layout *l = kd_context_layout(a);
    if (!l) {
        add(c, KD_F_DATA, depth, at, len);
        return;
    }
    add(c, KD_F_CTX, depth, at, len);
    walk(c, l, (int64_t)at - (int64_t)lo, 0, lo, lo + len, depth + 1);
}

static void context(dctx *c, size_t at, size_t lo, unsigned depth)
{
    if (c->m->arch == KD_ARCH_UNKNOWN && lo == 0)
        c->m->arch = arch_from_context_size(c->end - at);
    context_as(c, c->m->arch, at, lo, depth);
}

/* ------------------------------------------------------------ messages */

/* §2.4 DBGKD_ANY_WAIT_STATE_CHANGE (240 bytes) + data. */
static void state_change64(dctx *c, size_t body)
{
    kd_msg *m = c->m;
    m->track.width_hint = 64;
    if (m->arch == KD_ARCH_UNKNOWN)
        m->arch = guess_arch_from_state64(c, body);
    add(c, KD_F_STATE, 0, body, c->end - body);
    if (!walk_at(c, &kd_l_state64, body, 1))
        return;
    uint32_t state = kd_le32(c->p + body) & ~0x00010000u; /* DbgKdAlternateStateChange */
    m->api = state;
    size_t u = body + 0x20, data = body + KD_BODY_STATE_CHANGE64;
    const kd_state_info *si = kd_state_lookup(state);
    if (si && si->l64) {
        subtree(c, (kd_field_id)si->member, si->l64, u, 1);
    } else {
        m->problems |= KD_DECODE_UNKNOWN_API;
        if (u < c->end)
            add(c, KD_F_DATA, 1, u, (body + 0xC0 < c->end ? body + 0xC0 : c->end) - u);
    }
    if (body + 0xC0 >= c->end) {
        if (c->end < data)
            m->problems |= KD_DECODE_SHORT;
        return;
    }
    control_report(c, body + 0xC0, 1);
    if (data > c->end) {
        m->problems |= KD_DECODE_SHORT;
        return;
    }
    if (state == KD_STATE_LOAD_SYMBOLS && data < c->end) {
        kd_node *n = add(c, KD_F_LS_PATH, 1, data, c->end - data);
        (void)n;
        const kd_node *pl = kd_msg_find(m, KD_F_LS_PATH_NAME_LENGTH);
        if (pl && pl->value > c->end - data)
            m->problems |= KD_DECODE_LENGTH_MISMATCH;
    } else if (state == KD_STATE_COMMAND_STRING && data < c->end) {
        /* name NUL command NUL (§3.7 item 3) */
        const uint8_t *nul = memchr(c->p + data, 0, c->end - data);
        size_t name_len = nul ? (size_t)(nul - (c->p + data)) + 1 : c->end - data;
        add(c, KD_F_CS_NAME, 1, data, name_len);
        add_rest(c, KD_F_CS_COMMAND, 1, data + name_len);
    } else {
        add_rest(c, KD_F_DATA, 1, data);
    }
}

/*
 * DBGKD_WAIT_STATE_CHANGE32 (104) + x86 control report (40) + x86 CONTEXT,
 * whatever architecture is forced: only x86 targets sent type 1.
 * Choice: Windows 2000's CONTEXT is 716 bytes; NT4's ended before
 * ExtendedRegisters, at 204 (0xCC).  With fewer than 716 bytes left, the
 * CONTEXT is taken as NT4's and anything after it (a LoadSymbols path) as
 * data.
 */
#define X86_CONTEXT_NT4_SIZE 204u
static void state_change32(dctx *c, size_t body)
{
    kd_msg *m = c->m;
    m->track.width_hint = 32;
    if (m->arch == KD_ARCH_UNKNOWN)
        m->arch = KD_ARCH_X86; /* only NT4/2000 x86 targets sent type 1 */
    add(c, KD_F_STATE, 0, body, c->end - body);
    if (!walk_at(c, &kd_l_state32, body, 1))
        return;
    uint32_t state = kd_le32(c->p + body) & ~0x00010000u;
    m->api = state;
    size_t u = body + 0x14, cr = body + KD_BODY_STATE_CHANGE32;
    const kd_state_info *si = kd_state_lookup(state);
    if (si && si->l32) {
        subtree(c, (kd_field_id)si->member, si->l32, u, 1);
    } else {
        m->problems |= KD_DECODE_UNKNOWN_API;
        if (u < c->end)
            add(c, KD_F_DATA, 1, u, (cr < c->end ? cr : c->end) - u);
    }
    size_t ctx = cr + 40;
    size_t ctx_size = ctx + 716 <= c->end ? 716 : X86_CONTEXT_NT4_SIZE, data = ctx + ctx_size;
    if (cr < c->end)
        subtree(c, KD_F_CONTROL_REPORT, &kd_l_cr_x86, cr, 1);
    if (ctx < c->end) {
        size_t saved = c->end;
        if (c->end > data)
            c->end = data;
        context_as(c, KD_ARCH_X86, ctx, 0, 1);
        c->end = saved;
    }
    if (data < c->end) {
        if (state == KD_STATE_LOAD_SYMBOLS)
            add(c, KD_F_LS_PATH, 1, data, c->end - data);
        else
            add_rest(c, KD_F_DATA, 1, data);
    }
}

static int manip_width(const dctx *c, const kd_decode_opts *o, size_t body)
{
    if (o && (o->width == 32 || o->width == 64))
        return o->width;
    /* Choice: with nothing else known, a body of exactly 52 bytes (or one
     * between 52 and 55) can only be the 32-bit header; otherwise 64. */
    size_t bc = c->end - body;
    return (bc >= KD_BODY32_STATE_MANIPULATE && bc < KD_BODY_STATE_MANIPULATE) ? 32 : 64;
}

static void manipulate(dctx *c, const kd_decode_opts *o, size_t body)
{
    kd_msg *m = c->m;
    const kd_item *it = m->item;
    int width = manip_width(c, o, body);
    m->width = (uint8_t)width;
    size_t hdr = width == 32 ? KD_BODY32_STATE_MANIPULATE : KD_BODY_STATE_MANIPULATE;
    size_t uoff = width == 32 ? 0x0C : 0x10;
    add(c, KD_F_MANIP, 0, body, c->end - body);
    if (!walk_at(c, &kd_l_manip_header, body, 1))
        return;
    uint32_t api = kd_le32(c->p + body);
    m->api = api;
    m->track.return_status = kd_le32(c->p + body + 8);
    const kd_api_info *info = kd_api_lookup(api);
    if (!info)
        m->problems |= KD_DECODE_UNKNOWN_API;

    size_t bc = c->end - body;
    if (it->dir == KD_DIR_T2D)
        m->is_response = 1;
    else if (it->dir == KD_DIR_UNKNOWN && info && info->response_data != KD_AD_NONE &&
             info->request_data == KD_AD_NONE && bc > hdr)
        m->is_response = 1;

    size_t u = body + uoff, data = body + hdr;
    if (info && info->member) {
        const kd_layout *l = width == 32 ? info->l32 : info->l64;
        kd_field_id member = (kd_field_id)(width == 32 ? info->member32 : info->member);
        uint16_t first = m->n;
        if (!subtree(c, member, l, u, 1))
            return;
        if (api == KD_API_SEARCH_MEMORY && m->is_response) {
            for (uint16_t i = first; i < m->n; i++)
                if (m->nodes[i].field == KD_F_M_SM_SEARCH_ADDRESS)
                    m->nodes[i].field = KD_F_M_SM_FOUND_ADDRESS;
        }
        if (api == KD_API_CONTINUE2) {
            kd_arch a = width == 32 && m->arch == KD_ARCH_UNKNOWN ? KD_ARCH_X86 : m->arch;
            const kd_layout *cs = control_set_layout(a);
            size_t at = u + 4, cs_end = u + l->size < c->end ? u + l->size : c->end;
            if (cs) {
                subtree(c, KD_F_CONTROL_SET, cs, at, 2);
            } else if (a == KD_ARCH_UNKNOWN && at < cs_end) {
                /* No architecture known yet: the bytes as what they are. */
                add(c, KD_F_CONTROL_SET, 2, at, cs_end - at);
                add(c, KD_F_CS_RAW, 3, at, cs_end - at);
            }
        }
        if (api == KD_API_GET_VERSION && width == 64) {
            const kd_node *mv = kd_msg_find(m, KD_F_M_GV_MAJOR_VERSION);
            const kd_node *mt = kd_msg_find(m, KD_F_M_GV_MACHINE_TYPE);
            const kd_node *fl = kd_msg_find(m, KD_F_M_GV_FLAGS);
            if (mv)
                add_generated(c, KD_F_M_GV_MAJOR_TYPE, 2, mv->offset, mv->value >> 8);
            if (m->is_response && mt) {
                m->track.machine_type = (uint16_t)mt->value;
                m->track.version_flags = fl ? (uint16_t)fl->value : 0;
                if (o == NULL || o->arch == KD_ARCH_UNKNOWN)
                    m->arch = kd_arch_from_machine((uint32_t)mt->value);
            }
        } else if (api == KD_API_GET_VERSION && m->is_response) {
            const kd_node *mt = kd_msg_find(m, KD_F_M_GV32_MACHINE_TYPE);
            if (mt) {
                m->track.machine_type = (uint16_t)mt->value;
                if (o == NULL || o->arch == KD_ARCH_UNKNOWN)
                    m->arch = kd_arch_from_machine((uint32_t)mt->value);
            }
        }
        if (api == KD_API_READ_MSR || api == KD_API_WRITE_MSR) {
            const kd_node *lo = kd_msg_find(m, KD_F_M_MSR_DATA_VALUE_LOW);
            const kd_node *hi = kd_msg_find(m, KD_F_M_MSR_DATA_VALUE_HIGH);
            if (lo && hi)
                add_generated(c, KD_F_M_MSR_VALUE, 2, lo->offset, hi->value << 32 | lo->value);
        }
    } else if (u < c->end) {
        size_t uend = body + hdr < c->end ? body + hdr : c->end;
        if (uend > u)
            add(c, KD_F_DATA, 1, u, uend - u);
    }
    if (data > c->end) {
        m->problems |= KD_DECODE_SHORT;
        return;
    }
    if (data == c->end)
        return;

    size_t dlen = c->end - data;
    int kind = info ? (m->is_response ? info->response_data : info->request_data) : KD_AD_RAW;
    const kd_node *n;
    switch (kind) {
    case KD_AD_MEMORY_READ:
        add(c, KD_F_M_RM_DATA, 1, data, dlen);
        if (m->is_response && (n = kd_msg_find(m, KD_F_M_RM_ACTUAL_BYTES_READ)) && n->value != dlen)
            m->problems |= KD_DECODE_LENGTH_MISMATCH;
        break;
    case KD_AD_MEMORY_WRITE:
        add(c, KD_F_M_WM_DATA, 1, data, dlen);
        if (!m->is_response && (n = kd_msg_find(m, KD_F_M_WM_TRANSFER_COUNT)) && n->value != dlen)
            m->problems |= KD_DECODE_LENGTH_MISMATCH;
        break;
    case KD_AD_CONTEXT:
        context(c, data, 0, 1);
        break;
    case KD_AD_CONTEXT_EX:
        n = kd_msg_find(m, KD_F_M_CX_OFFSET);
        if (n && kd_context_layout(m->arch))
            context(c, data, (size_t)n->value, 1);
        else
            add(c, KD_F_DATA, 1, data, dlen);
        break;
    case KD_AD_SEARCH_PATTERN:
        add(c, KD_F_M_SM_PATTERN, 1, data, dlen);
        break;
    case KD_AD_FILL_PATTERN:
        add(c, KD_F_M_FM_PATTERN, 1, data, dlen);
        break;
    case KD_AD_BUS_DATA:
        add(c, KD_F_M_BUS_DATA, 1, data, dlen);
        break;
    default:
        add(c, KD_F_DATA, 1, data, dlen);
        break;
    }
}

static void debug_io(dctx *c, size_t body)
{
    kd_msg *m = c->m;
    add(c, KD_F_DEBUG_IO, 0, body, c->end - body);
    uint32_t api = body + 4 <= c->end ? kd_le32(c->p + body) : 0;
    m->api = api;
    const kd_io_info *io = kd_io_lookup(KD_TYPE_DEBUG_IO, api);
    size_t data = body + KD_BODY_DEBUG_IO;
    if (!walk_at(c, io ? io->layout : &kd_l_debug_io_print, body, 1))
        return;
    if (!io) {
        m->problems |= KD_DECODE_UNKNOWN_API;
        add_rest(c, KD_F_DATA, 1, data);
    } else if (api == KD_IO_GET_STRING) {
        /* The target prompts; the debugger's DEBUG_IO back is the answer (§3.7 item 10). */
        m->is_response = m->item->dir == KD_DIR_D2T;
        add_rest(c, m->is_response ? KD_F_DIO_RESPONSE : (kd_field_id)io->data, 1, data);
    } else {
        add_rest(c, (kd_field_id)io->data, 1, data);
        const kd_node *n = kd_msg_find(m, KD_F_DIO_LENGTH_OF_STRING);
        if (n && data <= c->end && n->value != c->end - data)
            m->problems |= KD_DECODE_LENGTH_MISMATCH;
    }
}

static void trace_io(dctx *c, size_t body)
{
    kd_msg *m = c->m;
    add(c, KD_F_TRACE_IO, 0, body, c->end - body);
    if (!walk_at(c, &kd_l_trace_io, body, 1))
        return;
    m->api = kd_le32(c->p + body);
    if (!kd_io_lookup(KD_TYPE_TRACE_IO, m->api))
        m->problems |= KD_DECODE_UNKNOWN_API;
    if (body + KD_BODY_TRACE_IO > c->end)
        m->problems |= KD_DECODE_SHORT;
    else
        add_rest(c, KD_F_TIO_DATA, 1, body + KD_BODY_TRACE_IO);
}

static void control_request(dctx *c, size_t body)
{
    kd_msg *m = c->m;
    add(c, KD_F_CONTROL_REQUEST, 0, body, c->end - body);
    uint32_t api = body + 4 <= c->end ? kd_le32(c->p + body) : 0;
    m->api = api;
    const kd_io_info *io = kd_io_lookup(KD_TYPE_CONTROL_REQUEST, api);
    if (!io)
        m->problems |= KD_DECODE_UNKNOWN_API;
    if (walk_at(c, io ? io->layout : &kd_l_control_request_bp, body, 1))
        add_rest(c, io ? (kd_field_id)io->data : KD_F_DATA, 1, body + KD_BODY_CONTROL_REQUEST);
}

static void file_io(dctx *c, size_t body)
{
    kd_msg *m = c->m;
    add(c, KD_F_FILE_IO, 0, body, c->end - body);
    if (!walk_at(c, &kd_l_file_io_header, body, 1))
        return;
    uint32_t api = kd_le32(c->p + body);
    m->api = api;
    m->track.return_status = kd_le32(c->p + body + 4);
    m->is_response = m->item->dir == KD_DIR_D2T; /* the target asks, the debugger answers */
    size_t u = body + 8, data = body + KD_BODY_FILE_IO;
    const kd_io_info *io = kd_io_lookup(KD_TYPE_FILE_IO, api);
    if (!io) {
        m->problems |= KD_DECODE_UNKNOWN_API;
        add_rest(c, KD_F_DATA, 1, u);
        return;
    }
    if (walk_at(c, io->layout, u, 1) && data <= c->end)
        add_rest(c, (kd_field_id)io->data, 1, data);
    if (data > c->end)
        m->problems |= KD_DECODE_SHORT;
}

void kd_decode(const kd_item *it, const kd_decode_opts *o, kd_msg *m)
{
    m->item = it;
    m->arch = o ? o->arch : KD_ARCH_UNKNOWN;
    m->width = o && o->width ? o->width : 64;
    m->type = 0;
    m->api = 0;
    m->is_response = 0;
    m->problems = 0;
    m->n = 0;
    memset(&m->track, 0, sizeof m->track);
    m->track.ts_ns = it->ts_ns;
    m->track.dir = it->dir;
    m->track.kind = it->kind;
    m->track.item_flags = it->flags;

    dctx c = {.m = m, .p = it->bytes, .end = it->len};
    switch (it->kind) {
    case KD_ITEM_BREAKIN:
        add(&c, KD_F_BREAKIN, 0, 0, it->len);
        return;
    case KD_ITEM_NOISE:
        add(&c, KD_F_NOISE, 0, 0, it->len);
        return;
    default:
        break;
    }
    walk_at(&c, &kd_l_packet, 0, 0);
    if (it->kind == KD_ITEM_DATA) {
        int status = (it->flags & KD_ITEM_OVERSIZE) ? 2 : (it->flags & KD_ITEM_BAD_CHECKSUM) ? 0 : 1;
        add_generated(&c, KD_F_CHECKSUM_STATUS, 0, KD_OFF_CHECKSUM, (uint64_t)status);
        if (status == 0)
            add_generated(&c, KD_F_CHECKSUM_COMPUTED, 0, KD_OFF_CHECKSUM, it->computed_checksum);
    }
    if (it->has_trailer)
        add(&c, KD_F_TRAILER, 0, it->len - 1, 1);
    if (!it->has_header)
        return;
    m->type = it->type;
    m->track.type = it->type;
    m->track.byte_count = it->byte_count;
    m->track.id = it->id;
    m->track.checksum = it->checksum;
    if (it->type >= KD_TYPE_MAX || it->type == KD_TYPE_POLL_BREAKIN ||
        (it->kind == KD_ITEM_CONTROL) != (it->type >= KD_TYPE_ACKNOWLEDGE && it->type <= KD_TYPE_RESET))
        m->problems |= KD_DECODE_UNKNOWN_TYPE;
    if (it->kind == KD_ITEM_CONTROL)
        return;

    size_t body = KD_PACKET_HEADER_SIZE;
    c.end = body + it->body_len; /* never the trailer, never past ByteCount */
    if (c.end <= body)
        return;
    switch (it->type) {
    case KD_TYPE_STATE_CHANGE64:
        state_change64(&c, body);
        break;
    case KD_TYPE_STATE_CHANGE32:
        state_change32(&c, body);
        break;
    case KD_TYPE_STATE_MANIPULATE:
        manipulate(&c, o, body);
        break;
    case KD_TYPE_DEBUG_IO:
        debug_io(&c, body);
        break;
    case KD_TYPE_TRACE_IO:
        trace_io(&c, body);
        break;
    case KD_TYPE_CONTROL_REQUEST:
        control_request(&c, body);
        break;
    case KD_TYPE_FILE_IO:
        file_io(&c, body);
        break;
    default:
        add_rest(&c, KD_F_DATA, 0, body);
        break;
    }
    /* Choice: a truncated item lacks bytes because it was cut (its kind
     * says so), not because a length on the wire is wrong: the data that
     * would show whether ByteCount or a length field is right never came. */
    if (it->kind == KD_ITEM_TRUNCATED)
        m->problems &= ~(uint32_t)(KD_DECODE_SHORT | KD_DECODE_LENGTH_MISMATCH);
    m->track.api = m->api;
}

const kd_node *kd_msg_find(const kd_msg *m, kd_field_id f)
{
    for (uint16_t i = 0; i < m->n; i++)
        if (m->nodes[i].field == f)
            return &m->nodes[i];
    return NULL;
}
