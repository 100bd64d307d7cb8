/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A message's fields as JSON members (kd_msg_print_json_fields(_mods)),
 * written through text.h's buffered writer.
 */
#include <string.h>

#include "kdparse/decode.h"
#include "kdparse/modmap.h"
#include "render.h"
#include "text.h"

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
    size_t k = kd_annot_nodes(m, a, extra);
    json_nodes(&w, m, NULL, extra, k);
    jw_flush(&w);
}
