/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsim/model_msg.c - the target's outgoing messages: a field list for the
 * encoder plus data (kdsim_msg), and kdsim_msg_encode, which also places the
 * control report's InstructionStream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdparse/wire.h"
#include "model_impl.h"

void km_msg_init(const kdsim_model *m, kdsim_msg *o, uint16_t type, uint32_t api)
{
    memset(&o->msg, 0, sizeof o->msg);
    o->msg.type = type;
    o->msg.api = api;
    o->msg.dir = KD_DIR_T2D;
    o->msg.arch = m->arch;
    o->msg.width = m->width;
    o->msg.fields = o->fields;
    o->msg.n_fields = 0;
    o->msg.data = o->data;
    o->msg.data_len = 0;
    memset(o->instr_stream, 0, sizeof o->instr_stream);
    o->instr_len = 0;
}

void km_f_add(kdsim_msg *o, kd_field_id f, uint64_t v)
{
    if (o->msg.n_fields < KDSIM_MSG_MAX_FIELDS) {
        o->fields[o->msg.n_fields].field = f;
        o->fields[o->msg.n_fields].value = v;
        o->msg.n_fields++;
    }
}

/* Sets the first slot of f (replacing an echoed value). */
void km_f_set(kdsim_msg *o, kd_field_id f, uint64_t v)
{
    for (size_t i = 0; i < o->msg.n_fields; i++)
        if (o->fields[i].field == f) {
            o->fields[i].value = v;
            return;
        }
    km_f_add(o, f, v);
}

/* Appends bytes to the data (clipped to what fits in a packet). */
void km_d_put(kdsim_msg *o, const void *p, size_t n)
{
    size_t room = KDSIM_MSG_MAX_DATA - o->msg.data_len;
    if (n > room)
        n = room;
    if (n) {
        if (p)
            memcpy(o->data + o->msg.data_len, p, n);
        else
            memset(o->data + o->msg.data_len, 0, n);
    }
    o->msg.data_len += n;
}

/* ------------------------------------------------------------ encoding */

long kdsim_msg_encode(const kdsim_msg *msg, uint32_t id, kd_transport t, uint8_t *out, size_t cap)
{
    if (!msg || !out)
        return -1;
    kd_enc_msg em = msg->msg;
    em.id = id;
    em.fields = msg->fields; /* also right for a copied kdsim_msg */
    em.data = msg->data;
    long n = kd_encode(&em, t, out, cap);
    if (n < 0 || msg->instr_len == 0)
        return n;
    kd_msg *d = malloc(sizeof *d);
    if (!d)
        return -1;
    kd_item it = kd_item_from_bytes(out, (size_t)n, KD_ITEM_DATA, 0, KD_DIR_T2D);
    kd_decode_opts o = {.arch = em.arch, .width = em.width ? em.width : 64};
    kd_decode(&it, &o, d);
    const kd_node *s = kd_msg_find(d, KD_F_CR_INSTRUCTION_STREAM);
    size_t len = msg->instr_len <= sizeof msg->instr_stream ? msg->instr_len : sizeof msg->instr_stream;
    if (s && s->length >= len)
        memcpy(out + s->offset, msg->instr_stream, len);
    size_t body_len = it.body_len;
    free(d);
    return kd_frame_data(t, em.type, id, out + KD_PACKET_HEADER_SIZE, body_len, out, cap);
}
