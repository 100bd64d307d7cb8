/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The summary (Info) line of a message: kd_msg_summary(_mods).  Names and
 * value tables come from the schema; nothing here knows an offset.
 */
#include <inttypes.h>
#include <string.h>

#include "kdparse/decode.h"
#include "kdparse/modmap.h"
#include "kdparse/problems.h"
#include "text.h"

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
    case KD_API_READ_VIRTUAL_MEMORY:
    case KD_API_READ_CONTROL_SPACE:
    case KD_API_READ_PHYSICAL_MEMORY:
        sb_str(s, " ");
        sb_addr(s, vm, val(m, KD_F_M_RM_TARGET_BASE_ADDRESS));
        sb_str(s, " len ");
        sb_hex(s, val(m, KD_F_M_RM_TRANSFER_COUNT), 0);
        break;
    case KD_API_WRITE_VIRTUAL_MEMORY:
    case KD_API_WRITE_CONTROL_SPACE:
    case KD_API_WRITE_PHYSICAL_MEMORY:
        sb_str(s, " ");
        sb_addr(s, vm, val(m, KD_F_M_WM_TARGET_BASE_ADDRESS));
        sb_printf(s, " len 0x%" PRIx64, val(m, KD_F_M_WM_TRANSFER_COUNT));
        break;
    case KD_API_SET_CONTEXT:
        sb_printf(s, " flags 0x%08" PRIx64, val(m, KD_F_M_SC_CONTEXT_FLAGS));
        break;
    case KD_API_WRITE_BREAK_POINT:
        sb_str(s, " ");
        sb_addr(s, mm, val(m, KD_F_M_WB_BREAK_POINT_ADDRESS));
        break;
    case KD_API_RESTORE_BREAK_POINT:
        sb_printf(s, " handle 0x%" PRIx64, val(m, KD_F_M_RB_BREAK_POINT_HANDLE));
        break;
    case KD_API_CONTINUE:
        sb_printf(s, " ");
        sb_status(s, (uint32_t)val(m, KD_F_M_C_CONTINUE_STATUS));
        break;
    case KD_API_CONTINUE2:
        sb_printf(s, " ");
        sb_status(s, (uint32_t)val(m, KD_F_M_C2_CONTINUE_STATUS));
        if (has(m, KD_F_CS_TRACE_FLAG))
            sb_printf(s, " trace %" PRIu64 " dr7 0x%" PRIx64, val(m, KD_F_CS_TRACE_FLAG), val(m, KD_F_CS_DR7));
        break;
    case KD_API_READ_IO_SPACE:
    case KD_API_WRITE_IO_SPACE:
        sb_printf(s, " port 0x%" PRIx64 " size %" PRIu64, val(m, KD_F_M_IO_IO_ADDRESS),
                  val(m, KD_F_M_IO_DATA_SIZE));
        break;
    case KD_API_READ_IO_SPACE_EXTENDED:
    case KD_API_WRITE_IO_SPACE_EXTENDED:
        sb_printf(s, " 0x%" PRIx64 " size %" PRIu64, val(m, KD_F_M_IOX_IO_ADDRESS),
                  val(m, KD_F_M_IOX_DATA_SIZE));
        break;
    case KD_API_READ_MSR:
    case KD_API_WRITE_MSR:
        sb_printf(s, " 0x%08" PRIx64, val(m, KD_F_M_MSR_MSR));
        break;
    case KD_API_SEARCH_MEMORY:
        sb_str(s, " ");
        sb_addr(s, mm, m->is_response ? val(m, KD_F_M_SM_FOUND_ADDRESS) : val(m, KD_F_M_SM_SEARCH_ADDRESS));
        sb_printf(s, " len 0x%" PRIx64, val(m, KD_F_M_SM_SEARCH_LENGTH));
        break;
    case KD_API_FILL_MEMORY:
        sb_printf(s, " 0x%" PRIx64 " len 0x%" PRIx64, val(m, KD_F_M_FM_ADDRESS), val(m, KD_F_M_FM_LENGTH));
        break;
    case KD_API_QUERY_MEMORY:
        sb_printf(s, " 0x%" PRIx64, val(m, KD_F_M_QM_ADDRESS));
        break;
    case KD_API_GET_CONTEXT_EX:
    case KD_API_SET_CONTEXT_EX:
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
    case KD_API_READ_VIRTUAL_MEMORY:
    case KD_API_READ_CONTROL_SPACE:
    case KD_API_READ_PHYSICAL_MEMORY:
        sb_str(s, ", ");
        sb_hex(s, val(m, KD_F_M_RM_ACTUAL_BYTES_READ), 0);
        sb_str(s, " read");
        break;
    case KD_API_WRITE_VIRTUAL_MEMORY:
    case KD_API_WRITE_CONTROL_SPACE:
    case KD_API_WRITE_PHYSICAL_MEMORY:
        sb_printf(s, ", 0x%" PRIx64 " written", val(m, KD_F_M_WM_ACTUAL_BYTES_WRITTEN));
        break;
    case KD_API_GET_CONTEXT: {
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
    case KD_API_WRITE_BREAK_POINT:
        sb_printf(s, ", handle 0x%" PRIx64, val(m, KD_F_M_WB_BREAK_POINT_HANDLE));
        break;
    case KD_API_READ_IO_SPACE:
    case KD_API_WRITE_IO_SPACE:
        sb_printf(s, ", value 0x%" PRIx64, val(m, KD_F_M_IO_DATA_VALUE));
        break;
    case KD_API_READ_MSR:
    case KD_API_WRITE_MSR:
        sb_printf(s, ", value 0x%" PRIx64, val(m, KD_F_M_MSR_VALUE));
        break;
    case KD_API_GET_VERSION:
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
    case KD_API_GET_CONTEXT_EX:
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
    if (!kd_problems_any(m, a))
        return;
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
