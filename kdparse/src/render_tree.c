/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Node values as text (kd_node_format) and the -V decode tree
 * (kd_msg_print_tree(_mods)), with the session annotations as nodes.
 */
#include <inttypes.h>
#include <string.h>

#include "kdparse/decode.h"
#include "kdparse/modmap.h"
#include "render.h"
#include "text.h"

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

/* ------------------------------------------------------------ tree */

size_t kd_annot_nodes(const kd_msg *m, const kd_annot *a, kd_node *out)
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
    size_t k = kd_annot_nodes(m, a, extra);
    if (k)
        fprintf(out, "    %s\n", kd_fields[KD_F_SESSION].label);
    for (size_t i = 0; i < k; i++) {
        kd_node_format(&extra[i], buf, sizeof buf);
        if (extra[i].field == KD_F_S_ARCH)
            snprintf(buf, sizeof buf, "%s", kd_arch_name((kd_arch)extra[i].value));
        fprintf(out, "        [%s: %s]\n", kd_fields[extra[i].field].label, buf);
    }
}
