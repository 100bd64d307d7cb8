/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Renderings of decoded messages: the summary (Info) line, node values as
 * text, the -V tree and JSON members.  Names and value tables come from the
 * schema; nothing here knows an offset.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "kdparse/decode.h"
#include "kdparse/modmap.h"
#include "kdparse/problems.h"

/* ------------------------------------------------------------ a bounded string builder */

typedef struct sbuf {
    char *p;
    size_t n, len;
} sbuf;

static void sb_printf(sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *s, const char *fmt, ...)
{
    if (s->n == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    size_t room = s->len < s->n ? s->n - s->len : 0;
    int k = vsnprintf(s->p + s->len, room, fmt, ap);
    va_end(ap);
    if (k > 0)
        s->len += (size_t)k;
    if (s->len >= s->n)
        s->len = s->n - 1;
}

/* printf-free appenders for the summary, the hot path of every renderer. */
static void sb_str(sbuf *s, const char *t)
{
    if (s->len + 1 >= s->n)
        return;
    size_t k = strlen(t), room = s->n - 1 - s->len;
    if (k > room)
        k = room;
    memcpy(s->p + s->len, t, k);
    s->len += k;
    s->p[s->len] = 0;
}

static void sb_hex(sbuf *s, uint64_t v, int width)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[20];
    int k = 0;
    do {
        tmp[k++] = digits[v & 15];
        v >>= 4;
    } while (v || k < width);
    char out[24] = "0x";
    int j = 2;
    while (k)
        out[j++] = tmp[--k];
    out[j] = 0;
    sb_str(s, out);
}

static void sb_dec(sbuf *s, uint64_t v)
{
    char tmp[24];
    int k = 23;
    tmp[k] = 0;
    do {
        tmp[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sb_str(s, tmp + k);
}

/* Text as a person can read it: printable ASCII, escapes for the rest. */
static void sb_text(sbuf *s, const uint8_t *p, size_t len, size_t max)
{
    size_t shown = 0;
    for (size_t i = 0; i < len && p[i]; i++) {
        if (shown >= max) {
            sb_printf(s, "...");
            return;
        }
        uint8_t ch = p[i];
        if (ch == '\n')
            sb_printf(s, "\\n");
        else if (ch == '\r')
            sb_printf(s, "\\r");
        else if (ch == '\t')
            sb_printf(s, "\\t");
        else if (ch == '"' || ch == '\\')
            sb_printf(s, "\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7F)
            sb_printf(s, "\\x%02x", ch);
        else
            sb_printf(s, "%c", ch);
        shown++;
    }
}

/* UTF-16LE text (BMP; other code units shown as escapes). */
static void sb_utf16(sbuf *s, const uint8_t *p, size_t len, size_t max)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        uint16_t u = kd_le16(p + i);
        if (u == 0)
            return;
        if (i / 2 >= max) {
            sb_printf(s, "...");
            return;
        }
        if (u >= 0x20 && u < 0x7F && u != '"' && u != '\\')
            sb_printf(s, "%c", (char)u);
        else
            sb_printf(s, "\\u%04x", u);
    }
}

static unsigned hex_width(kd_ftype t)
{
    switch (t) {
    case KD_FT_UINT8:
        return 2;
    case KD_FT_UINT16:
        return 4;
    case KD_FT_UINT64:
        return 16;
    default:
        return 8;
    }
}

static void sb_node_value(sbuf *s, const kd_node *nd)
{
    const kd_field *f = &kd_fields[nd->field];
    switch (f->type) {
    case KD_FT_NONE:
        return;
    case KD_FT_BOOLEAN:
        sb_printf(s, "%s", nd->value ? "TRUE" : "FALSE");
        return;
    case KD_FT_BYTES: {
        size_t k = nd->length < 32 ? nd->length : 32;
        for (size_t i = 0; i < k; i++)
            sb_printf(s, "%02x", nd->data[i]);
        if (k < nd->length)
            sb_printf(s, "...");
        sb_printf(s, " (%" PRIu32 " byte%s)", nd->length, nd->length == 1 ? "" : "s");
        return;
    }
    case KD_FT_STRING:
        sb_printf(s, "\"");
        sb_text(s, nd->data, nd->length, 200);
        sb_printf(s, "\"");
        return;
    case KD_FT_UTF16:
        sb_printf(s, "\"");
        sb_utf16(s, nd->data, nd->length, 200);
        sb_printf(s, "\"");
        return;
    case KD_FT_FRAMENUM:
        sb_printf(s, "%" PRIu64, nd->value);
        return;
    case KD_FT_RELTIME:
        sb_printf(s, "%" PRIu64 ".%09" PRIu64 " s", nd->value / 1000000000u, nd->value % 1000000000u);
        return;
    default:
        break;
    }
    if (f->base == KD_BASE_HEX)
        sb_printf(s, "0x%0*" PRIx64, (int)hex_width(f->type), nd->value);
    else
        sb_printf(s, "%" PRIu64, nd->value);
    if (!f->vals)
        return;
    if (f->is_bitmask) {
        const char *sep = " (";
        for (const kd_val *v = f->vals; v->name; v++) {
            if (v->value && (nd->value & v->value) == v->value) {
                sb_printf(s, "%s%s", sep, v->name);
                sep = "|";
            }
        }
        if (sep[0] == '|')
            sb_printf(s, ")");
    } else {
        const char *name = kd_val_name(f->vals, (uint32_t)nd->value);
        if (name)
            sb_printf(s, " (%s)", name);
    }
}

size_t kd_node_format(const kd_node *node, char *buf, size_t n)
{
    sbuf s = {buf, n, 0};
    if (n)
        buf[0] = 0;
    sb_node_value(&s, node);
    return s.len;
}

/* ------------------------------------------------------------ summary */

static uint64_t val(const kd_msg *m, kd_field_id f)
{
    const kd_node *n = kd_msg_find(m, f);
    return n ? n->value : 0;
}

static int has(const kd_msg *m, kd_field_id f)
{
    return kd_msg_find(m, f) != NULL;
}

/* An address as modules see it ("nt+0x1a5e60") when the map knows its
 * module, else the number as always. */
static void sb_addr(sbuf *s, const kd_modmap *mm, uint64_t v)
{
    char mod[KD_MODMAP_NAME + 24];
    if (mm && kd_modmap_format(mm, v, mod, sizeof mod))
        sb_str(s, mod);
    else
        sb_hex(s, v, 0);
}

static void sb_status(sbuf *s, uint32_t st)
{
    const char *name = kd_val_name(kd_vals_ntstatus, st);
    if (name)
        sb_str(s, name);
    else
        sb_hex(s, st, 8);
}

static void sb_string_field(sbuf *s, const kd_msg *m, kd_field_id f)
{
    const kd_node *n = kd_msg_find(m, f);
    sb_printf(s, "\"");
    if (n && kd_fields[f].type == KD_FT_UTF16)
        sb_utf16(s, n->data, n->length, 60);
    else if (n)
        sb_text(s, n->data, n->length, 60);
    sb_printf(s, "\"");
}

static void summary_manip(sbuf *s, const kd_msg *m, const kd_modmap *mm)
{
    const char *name = kd_val_name(kd_vals_api_short, m->api);
    if (name) {
        sb_str(s, name);
    } else {
        sb_str(s, "Manipulate API ");
        sb_hex(s, m->api, 4);
    }
    const kd_modmap *vm = m->api == KD_API_READ_VIRTUAL_MEMORY || m->api == KD_API_WRITE_VIRTUAL_MEMORY ? mm : NULL;
    switch (m->api) {
    case 0x3130:
    case 0x3137:
    case 0x313D:
        sb_str(s, " ");
        sb_addr(s, vm, val(m, KD_F_M_RM_TARGET_BASE_ADDRESS));
        sb_str(s, " len ");
        sb_hex(s, val(m, KD_F_M_RM_TRANSFER_COUNT), 0);
        break;
    case 0x3131:
    case 0x3138:
    case 0x313E:
        sb_str(s, " ");
        sb_addr(s, vm, val(m, KD_F_M_WM_TARGET_BASE_ADDRESS));
        sb_printf(s, " len 0x%" PRIx64, val(m, KD_F_M_WM_TRANSFER_COUNT));
        break;
    case 0x3133:
        sb_printf(s, " flags 0x%08" PRIx64, val(m, KD_F_M_SC_CONTEXT_FLAGS));
        break;
    case 0x3134:
        sb_str(s, " ");
        sb_addr(s, mm, val(m, KD_F_M_WB_BREAK_POINT_ADDRESS));
        break;
    case 0x3135:
        sb_printf(s, " handle 0x%" PRIx64, val(m, KD_F_M_RB_BREAK_POINT_HANDLE));
        break;
    case 0x3136:
        sb_printf(s, " ");
        sb_status(s, (uint32_t)val(m, KD_F_M_C_CONTINUE_STATUS));
        break;
    case 0x313C:
        sb_printf(s, " ");
        sb_status(s, (uint32_t)val(m, KD_F_M_C2_CONTINUE_STATUS));
        if (has(m, KD_F_CS_TRACE_FLAG))
            sb_printf(s, " trace %" PRIu64 " dr7 0x%" PRIx64, val(m, KD_F_CS_TRACE_FLAG), val(m, KD_F_CS_DR7));
        break;
    case 0x3139:
    case 0x313A:
        sb_printf(s, " port 0x%" PRIx64 " size %" PRIu64, val(m, KD_F_M_IO_IO_ADDRESS),
                  val(m, KD_F_M_IO_DATA_SIZE));
        break;
    case 0x3144:
    case 0x3145:
        sb_printf(s, " 0x%" PRIx64 " size %" PRIu64, val(m, KD_F_M_IOX_IO_ADDRESS),
                  val(m, KD_F_M_IOX_DATA_SIZE));
        break;
    case 0x3152:
    case 0x3153:
        sb_printf(s, " 0x%08" PRIx64, val(m, KD_F_M_MSR_MSR));
        break;
    case 0x3156:
        sb_str(s, " ");
        sb_addr(s, mm, m->is_response ? val(m, KD_F_M_SM_FOUND_ADDRESS) : val(m, KD_F_M_SM_SEARCH_ADDRESS));
        sb_printf(s, " len 0x%" PRIx64, val(m, KD_F_M_SM_SEARCH_LENGTH));
        break;
    case 0x315B:
        sb_printf(s, " 0x%" PRIx64 " len 0x%" PRIx64, val(m, KD_F_M_FM_ADDRESS), val(m, KD_F_M_FM_LENGTH));
        break;
    case 0x315C:
        sb_printf(s, " 0x%" PRIx64, val(m, KD_F_M_QM_ADDRESS));
        break;
    case 0x315F:
    case 0x3160:
        sb_printf(s, " offset 0x%" PRIx64 " len 0x%" PRIx64, val(m, KD_F_M_CX_OFFSET),
                  val(m, KD_F_M_CX_BYTE_COUNT));
        break;
    default:
        break;
    }
    if (!m->is_response)
        return;
    sb_str(s, " -> ");
    sb_status(s, (uint32_t)val(m, KD_F_M_RETURN_STATUS));
    switch (m->api) {
    case 0x3130:
    case 0x3137:
    case 0x313D:
        sb_str(s, ", ");
        sb_hex(s, val(m, KD_F_M_RM_ACTUAL_BYTES_READ), 0);
        sb_str(s, " read");
        break;
    case 0x3131:
    case 0x3138:
    case 0x313E:
        sb_printf(s, ", 0x%" PRIx64 " written", val(m, KD_F_M_WM_ACTUAL_BYTES_WRITTEN));
        break;
    case 0x3132: {
        static const kd_field_id pcs[] = {KD_F_CTX_RIP, KD_F_CTX_EIP, KD_F_CTX_PC};
        for (size_t i = 0; i < sizeof pcs / sizeof pcs[0]; i++) {
            const kd_node *n = kd_msg_find(m, pcs[i]);
            if (n) {
                sb_printf(s, ", %s %s ", kd_arch_name(m->arch), kd_fields[pcs[i]].label);
                sb_addr(s, mm, n->value);
                break;
            }
        }
        break;
    }
    case 0x3134:
        sb_printf(s, ", handle 0x%" PRIx64, val(m, KD_F_M_WB_BREAK_POINT_HANDLE));
        break;
    case 0x3139:
    case 0x313A:
        sb_printf(s, ", value 0x%" PRIx64, val(m, KD_F_M_IO_DATA_VALUE));
        break;
    case 0x3152:
    case 0x3153:
        sb_printf(s, ", value 0x%" PRIx64, val(m, KD_F_M_MSR_VALUE));
        break;
    case 0x3146:
        if (has(m, KD_F_M_GV_MACHINE_TYPE)) {
            const char *mt = kd_val_name(kd_vals_machine, (uint32_t)val(m, KD_F_M_GV_MACHINE_TYPE));
            sb_printf(s, ", build %" PRIu64 ", %s, protocol %" PRIu64 ", kernel ", val(m, KD_F_M_GV_MINOR_VERSION),
                      mt ? mt + strlen("IMAGE_FILE_MACHINE_") : "?", val(m, KD_F_M_GV_PROTOCOL_VERSION));
            sb_addr(s, mm, val(m, KD_F_M_GV_KERN_BASE));
        } else if (has(m, KD_F_M_GV32_MACHINE_TYPE)) {
            const char *mt = kd_val_name(kd_vals_machine, (uint32_t)val(m, KD_F_M_GV32_MACHINE_TYPE));
            sb_printf(s, ", build %" PRIu64 ", %s, protocol %" PRIu64 ", kernel ", val(m, KD_F_M_GV32_MINOR_VERSION),
                      mt ? mt + strlen("IMAGE_FILE_MACHINE_") : "?", val(m, KD_F_M_GV32_PROTOCOL_VERSION));
            sb_addr(s, mm, val(m, KD_F_M_GV32_KERN_BASE));
        }
        break;
    case 0x315F:
        sb_printf(s, ", 0x%" PRIx64 " copied", val(m, KD_F_M_CX_BYTES_COPIED));
        break;
    default:
        break;
    }
}

static void summary_state(sbuf *s, const kd_msg *m, const kd_modmap *mm)
{
    switch (m->api) {
    case 0x3030:
        sb_printf(s, "%s ", kd_val_name(kd_vals_state_short, m->api));
        sb_status(s, (uint32_t)val(m, KD_F_EXCEPTION_CODE));
        sb_str(s, " at ");
        sb_addr(s, mm, val(m, KD_F_EXCEPTION_ADDRESS));
        sb_printf(s, "%s, cpu %" PRIu64, val(m, KD_F_EXCEPTION_FIRST_CHANCE) ? ", first chance" : ", second chance",
                  val(m, KD_F_STATE_PROCESSOR));
        break;
    case 0x3031:
        sb_printf(s, "%s ", val(m, KD_F_LS_UNLOAD_SYMBOLS) ? "UnloadSymbols" : "LoadSymbols");
        sb_string_field(s, m, KD_F_LS_PATH);
        sb_str(s, " base ");
        sb_addr(s, mm, val(m, KD_F_LS_BASE_OF_DLL));
        sb_printf(s, " size 0x%" PRIx64, val(m, KD_F_LS_SIZE_OF_IMAGE));
        break;
    case 0x3032:
        sb_printf(s, "%s ", kd_val_name(kd_vals_state_short, m->api));
        sb_string_field(s, m, KD_F_CS_NAME);
        sb_printf(s, " ");
        sb_string_field(s, m, KD_F_CS_COMMAND);
        break;
    default:
        sb_printf(s, "State change 0x%04" PRIx32, m->api);
        break;
    }
}

static void summary_data(sbuf *s, const kd_msg *m, const kd_modmap *mm)
{
    switch (m->type) {
    case KD_TYPE_STATE_CHANGE64:
    case KD_TYPE_STATE_CHANGE32:
        summary_state(s, m, mm);
        break;
    case KD_TYPE_STATE_MANIPULATE:
        summary_manip(s, m, mm);
        break;
    case KD_TYPE_DEBUG_IO:
        if (m->api == 0x3230) {
            sb_printf(s, "%s ", kd_val_name(kd_vals_io_api_short, m->api));
            sb_string_field(s, m, KD_F_DIO_STRING);
        } else if (m->api == 0x3231) {
            sb_printf(s, m->is_response ? "DbgPrompt answer " : "DbgPrompt ");
            sb_string_field(s, m, m->is_response ? KD_F_DIO_RESPONSE : KD_F_DIO_PROMPT);
        } else {
            sb_printf(s, "DebugIo API 0x%04" PRIx32, m->api);
        }
        break;
    case KD_TYPE_FILE_IO:
        switch (m->api) {
        case 0x3430:
            sb_printf(s, "%s ", kd_val_name(kd_vals_io_api_short, m->api));
            sb_string_field(s, m, KD_F_FIO_FILE_NAME);
            break;
        case 0x3431:
        case 0x3432:
            sb_printf(s, "%s handle 0x%" PRIx64 " offset 0x%" PRIx64 " len 0x%" PRIx64,
                      kd_val_name(kd_vals_io_api_short, m->api), val(m, KD_F_FIO_HANDLE),
                      val(m, KD_F_FIO_OFFSET), val(m, KD_F_FIO_LENGTH));
            break;
        case 0x3433:
            sb_printf(s, "%s handle 0x%" PRIx64, kd_val_name(kd_vals_io_api_short, m->api), val(m, KD_F_FIO_HANDLE));
            break;
        default:
            sb_printf(s, "FileIo API 0x%04" PRIx32, m->api);
            break;
        }
        if (m->is_response) {
            sb_printf(s, " -> ");
            sb_status(s, (uint32_t)val(m, KD_F_FIO_STATUS));
        }
        break;
    case KD_TYPE_TRACE_IO:
        sb_printf(s, "PrintTrace %" PRIu64 " bytes", val(m, KD_F_TIO_LENGTH_OF_DATA));
        break;
    case KD_TYPE_CONTROL_REQUEST:
        sb_printf(s, "%s %" PRIu64, m->api == 0x4301 ? "ReleaseHardwareBp" : "RequestHardwareBp",
                  val(m, KD_F_CRQ_HARDWARE_BREAK_POINT_NUMBER));
        break;
    default: {
        const char *tn = kd_packet_type_name(m->type);
        if (tn)
            sb_printf(s, "%s, %u bytes", tn, m->item->byte_count);
        else
            sb_printf(s, "Packet type 0x%04x, %u bytes", m->type, m->item->byte_count);
        break;
    }
    }
}

/* The problem table's summary tags: the packet's (item and decoder) or the
 * session's (tracker), in table order. */
static void sb_tags(sbuf *s, const kd_msg *m, const kd_annot *a, int session)
{
    const kd_item *it = m->item;
    for (int i = 0; i < KD_P__COUNT; i++) {
        const kd_problem *p = &kd_problems[i];
        if (!p->tag || (p->source == KD_PS_TRACK) != session || !kd_problem_raised(p, m, a))
            continue;
        sb_str(s, " [");
        sb_str(s, p->tag);
        if (p->detail == KD_PD_TRAILER)
            sb_printf(s, " 0x%02x", it->trailer);
        else if (p->detail == KD_PD_BYTE_COUNT)
            sb_printf(s, " %u > %u", it->byte_count, KD_PACKET_MAX_SIZE);
        sb_str(s, "]");
    }
}

size_t kd_msg_summary(const kd_msg *m, const kd_annot *a, char *buf, size_t n)
{
    return kd_msg_summary_mods(m, a, NULL, buf, n);
}

size_t kd_msg_summary_mods(const kd_msg *m, const kd_annot *a, const kd_modmap *mm, char *buf, size_t n)
{
    sbuf s = {buf, n, 0};
    if (n)
        buf[0] = 0;
    const kd_item *it = m->item;
    switch (it->kind) {
    case KD_ITEM_BREAKIN:
        sb_str(&s, kd_val_name(kd_vals_item_kind_short, KD_ITEM_BREAKIN));
        if (it->len > 1)
            sb_printf(&s, " (%zu bytes)", it->len);
        break;
    case KD_ITEM_NOISE:
        sb_printf(&s, "%s, %zu byte%s", kd_val_name(kd_vals_item_kind_short, KD_ITEM_NOISE), it->len, it->len == 1 ? "" : "s");
        break;
    case KD_ITEM_TRUNCATED: {
        const char *tn = it->has_header ? kd_packet_type_name(it->type) : NULL;
        sb_printf(&s, "%s %s, %zu bytes", kd_val_name(kd_vals_item_kind_short, KD_ITEM_TRUNCATED), tn ? tn : "packet",
                  it->len);
        if (it->has_header && it->leader == KD_PACKET_LEADER && it->byte_count <= KD_PACKET_MAX_SIZE)
            sb_printf(&s, " of %u", KD_PACKET_HEADER_SIZE + it->byte_count + 1u);
        break;
    }
    case KD_ITEM_CONTROL:
        switch (it->type) {
        case KD_TYPE_ACKNOWLEDGE:
            sb_str(&s, kd_val_name(kd_vals_control_short, it->type));
            sb_str(&s, " ");
            sb_hex(&s, it->id, 8);
            break;
        case KD_TYPE_RESEND:
            sb_str(&s, kd_val_name(kd_vals_control_short, it->type));
            break;
        case KD_TYPE_RESET:
            sb_str(&s, kd_val_name(kd_vals_control_short, it->type));
            break;
        default:
            sb_printf(&s, "Control packet type %u", it->type);
            break;
        }
        break;
    case KD_ITEM_DATA:
        summary_data(&s, m, mm);
        break;
    }
    sb_tags(&s, m, a, 0);
    if (!a)
        return s.len;
    if (a->request_in && a->response_time_ns && a->response_time_ns < 99500) {
        /* Under a tenth of a millisecond: whole microseconds, rounded half up. */
        sb_str(&s, ", reply in ");
        sb_dec(&s, (a->response_time_ns + 500) / 1000);
        sb_str(&s, " \u00b5s");
    } else if (a->request_in && a->response_time_ns) {
        /* Tenths of a millisecond, rounded half up, without floating point. */
        uint64_t tenths = (a->response_time_ns + 50000) / 100000;
        sb_str(&s, ", reply in ");
        sb_dec(&s, tenths / 10);
        sb_str(&s, ".");
        sb_dec(&s, tenths % 10);
        sb_str(&s, " ms");
    }
    if (a->retransmission_of)
        sb_printf(&s, " [retransmission of #%" PRIu64 "]", a->retransmission_of);
    if (a->duplicate_of)
        sb_printf(&s, " [duplicate of #%" PRIu64 "]", a->duplicate_of);
    sb_tags(&s, m, a, 1);
    return s.len;
}

/* ------------------------------------------------------------ tree */

/* Session annotations as extra nodes, so the renderers treat them alike.
 * Architecture and width are the views the message was decoded with. */
static size_t annot_nodes(const kd_msg *m, const kd_annot *a, kd_node *out)
{
    size_t k = 0;
#define ANNOT(f, v)                                                                  \
    do {                                                                             \
        out[k] = (kd_node){.field = KD_F_##f, .depth = 1, .flags = KD_NODE_GENERATED, \
                           .value = (v)};                                            \
        k++;                                                                         \
    } while (0)
    if (!a)
        return 0;
    if (a->ack_in)
        ANNOT(S_ACK_IN, a->ack_in);
    if (a->acks)
        ANNOT(S_ACKS, a->acks);
    if (a->response_in)
        ANNOT(S_RESPONSE_IN, a->response_in);
    if (a->request_in) {
        ANNOT(S_REQUEST_IN, a->request_in);
        ANNOT(S_RESPONSE_TIME, a->response_time_ns);
    }
    if (a->retransmission_of)
        ANNOT(S_RETRANSMISSION_OF, a->retransmission_of);
    if (a->duplicate_of)
        ANNOT(S_DUPLICATE, a->duplicate_of);
    if (a->reset_epoch)
        ANNOT(S_RESET_EPOCH, a->reset_epoch);
    if (m->item->kind == KD_ITEM_DATA) {
        ANNOT(S_ARCH, (uint64_t)m->arch);
        ANNOT(S_WIDTH, m->width);
    }
#undef ANNOT
    return k;
}

void kd_msg_print_tree(FILE *out, const kd_msg *m, const kd_annot *a)
{
    kd_msg_print_tree_mods(out, m, a, NULL);
}

void kd_msg_print_tree_mods(FILE *out, const kd_msg *m, const kd_annot *a, const kd_modmap *mm)
{
    char buf[1024], mod[KD_MODMAP_NAME + 24];
    for (uint16_t i = 0; i < m->n; i++) {
        const kd_node *nd = &m->nodes[i];
        const kd_field *f = &kd_fields[nd->field];
        fprintf(out, "    %*s", nd->depth * 4, "");
        if (f->type == KD_FT_NONE) {
            fprintf(out, "%s\n", f->label);
            continue;
        }
        kd_node_format(nd, buf, sizeof buf);
        if (mm && kd_msg_field_is_address(m, nd->field) && kd_modmap_format(mm, nd->value, mod, sizeof mod))
            fprintf(out, "%s: %s (%s)\n", f->label, buf, mod);
        else if (nd->flags & KD_NODE_GENERATED)
            fprintf(out, "[%s: %s]\n", f->label, buf);
        else
            fprintf(out, "%s: %s\n", f->label, buf);
    }
    kd_node extra[16];
    size_t k = annot_nodes(m, a, extra);
    if (k)
        fprintf(out, "    %s\n", kd_fields[KD_F_SESSION].label);
    for (size_t i = 0; i < k; i++) {
        kd_node_format(&extra[i], buf, sizeof buf);
        if (extra[i].field == KD_F_S_ARCH)
            snprintf(buf, sizeof buf, "%s", kd_arch_name((kd_arch)extra[i].value));
        fprintf(out, "        [%s: %s]\n", kd_fields[extra[i].field].label, buf);
    }
}

/* ------------------------------------------------------------ JSON */

/* JSON goes through a local buffer with hand-made number formatting:
 * printf and per-character stdio calls dominated kdcat --json. */
typedef struct jw {
    FILE *out;
    size_t len;
    char buf[8192];
} jw;

static void jw_flush(jw *w)
{
    fwrite(w->buf, 1, w->len, w->out);
    w->len = 0;
}

static void jw_put(jw *w, const char *p, size_t n)
{
    if (w->len + n > sizeof w->buf) {
        jw_flush(w);
        if (n > sizeof w->buf) {
            fwrite(p, 1, n, w->out);
            return;
        }
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void jw_str(jw *w, const char *t)
{
    jw_put(w, t, strlen(t));
}

static void jw_dec(jw *w, uint64_t v)
{
    char tmp[24];
    int k = 24;
    do {
        tmp[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    jw_put(w, tmp + k, (size_t)(24 - k));
}

static const char hexdigits[] = "0123456789abcdef";

static void jw_hex_bytes(jw *w, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (w->len + 2 > sizeof w->buf)
            jw_flush(w);
        size_t room = (sizeof w->buf - w->len) / 2, k = n - i < room ? n - i : room;
        char *d = w->buf + w->len;
        for (size_t j = 0; j < k; j++) {
            d[2 * j] = hexdigits[p[i + j] >> 4];
            d[2 * j + 1] = hexdigits[p[i + j] & 15];
        }
        w->len += 2 * k;
        i += k;
    }
}

static void json_string_bytes(jw *w, const uint8_t *p, size_t len, int utf16)
{
    char esc[8];
    jw_put(w, "\"", 1);
    size_t step = utf16 ? 2 : 1;
    for (size_t i = 0; i + step <= len; i += step) {
        uint32_t ch = utf16 ? kd_le16(p + i) : p[i];
        if (ch == 0)
            break;
        if (ch == '"' || ch == '\\') {
            esc[0] = '\\';
            esc[1] = (char)ch;
            jw_put(w, esc, 2);
        } else if (ch < 0x20 || ch == 0x7F || (ch >= 0x80 && !utf16) || (ch >= 0xD800 && ch < 0xE000)) {
            /* Controls; 8-bit text as Latin-1 code points; lone surrogates. */
            snprintf(esc, sizeof esc, "\\u%04x", (unsigned)ch);
            jw_put(w, esc, 6);
        } else if (ch < 0x80) {
            esc[0] = (char)ch;
            jw_put(w, esc, 1);
        } else if (ch < 0x800) {
            esc[0] = (char)(0xC0 | (ch >> 6));
            esc[1] = (char)(0x80 | (ch & 0x3F));
            jw_put(w, esc, 2);
        } else {
            esc[0] = (char)(0xE0 | (ch >> 12));
            esc[1] = (char)(0x80 | ((ch >> 6) & 0x3F));
            esc[2] = (char)(0x80 | (ch & 0x3F));
            jw_put(w, esc, 3);
        }
    }
    jw_put(w, "\"", 1);
}

static void json_value(jw *w, const kd_node *nd)
{
    switch (kd_fields[nd->field].type) {
    case KD_FT_UINT64: {
        char hex[21] = "\"0x";
        for (int i = 0; i < 16; i++)
            hex[3 + i] = hexdigits[(nd->value >> (60 - 4 * i)) & 15];
        hex[19] = '"';
        jw_put(w, hex, 20);
        break;
    }
    case KD_FT_BYTES:
        jw_put(w, "\"", 1);
        jw_hex_bytes(w, nd->data, nd->length);
        jw_put(w, "\"", 1);
        break;
    case KD_FT_STRING:
        json_string_bytes(w, nd->data, nd->length, 0);
        break;
    case KD_FT_UTF16:
        json_string_bytes(w, nd->data, nd->length, 1);
        break;
    case KD_FT_RELTIME: {
        char frac[11];
        jw_dec(w, nd->value / 1000000000u);
        snprintf(frac, sizeof frac, ".%09u", (unsigned)(nd->value % 1000000000u));
        jw_put(w, frac, 10);
        break;
    }
    default:
        jw_dec(w, nd->value);
        break;
    }
}

/* With a module map, an address a module holds gets a companion member
 * "<field>.module": "nt+0x1a5e60" (docs/kdcat.1). */
static void json_nodes(jw *w, const kd_msg *m, const kd_modmap *mm, const kd_node *nodes, size_t n)
{
    uint64_t done[(KD_F__COUNT + 63) / 64] = {0};
    for (size_t i = 0; i < n; i++) {
        uint16_t f = nodes[i].field;
        if (kd_fields[f].type == KD_FT_NONE || (done[f / 64] >> (f % 64) & 1))
            continue;
        done[f / 64] |= 1ull << (f % 64);
        size_t count = 1;
        for (size_t j = i + 1; j < n; j++)
            count += nodes[j].field == f;
        jw_put(w, ",\"", 2);
        jw_str(w, kd_fields[f].abbrev);
        jw_put(w, "\":", 2);
        if (count == 1) {
            json_value(w, &nodes[i]);
            char mod[KD_MODMAP_NAME + 24];
            size_t k;
            if (mm && kd_msg_field_is_address(m, f) && (k = kd_modmap_format(mm, nodes[i].value, mod, sizeof mod))) {
                jw_put(w, ",\"", 2);
                jw_str(w, kd_fields[f].abbrev);
                jw_put(w, ".module\":\"", 10);
                jw_put(w, mod, k);
                jw_put(w, "\"", 1);
            }
            continue;
        }
        jw_put(w, "[", 1);
        for (size_t j = i, k = 0; j < n; j++) {
            if (nodes[j].field != f)
                continue;
            if (k++)
                jw_put(w, ",", 1);
            json_value(w, &nodes[j]);
        }
        jw_put(w, "]", 1);
    }
}

void kd_msg_print_json_fields(FILE *out, const kd_msg *m, const kd_annot *a)
{
    kd_msg_print_json_fields_mods(out, m, a, NULL);
}

void kd_msg_print_json_fields_mods(FILE *out, const kd_msg *m, const kd_annot *a, const kd_modmap *mm)
{
    jw w;
    w.out = out;
    w.len = 0;
    json_nodes(&w, m, mm, m->nodes, m->n);
    kd_node extra[16];
    size_t k = annot_nodes(m, a, extra);
    json_nodes(&w, m, NULL, extra, k);
    jw_flush(&w);
}

/* ------------------------------------------------------------ problems */

size_t kd_msg_problems(const kd_msg *m, const kd_annot *a, const char **names, size_t max)
{
    /* The item's kind (noise, truncated) is its own JSON member: not listed. */
    size_t k = 0;
    for (int i = 0; i < KD_P__COUNT && k < max; i++)
        if (kd_problems[i].source != KD_PS_KIND && kd_problem_raised(&kd_problems[i], m, a))
            names[k++] = kd_problems[i].name;
    return k;
}

void kd_json_print_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}
