/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which message a decoded message is (identity.h). */
#include "kdparse/identity.h"

#include <string.h>

#include "kdparse/modmap.h"
#include "kdparse/schema.h"

uint64_t kd_fnv1a(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

int kd_identity_key_field(kd_field_id f)
{
    switch (f) {
    case KD_F_M_RM_TARGET_BASE_ADDRESS:
    case KD_F_M_WM_TARGET_BASE_ADDRESS:
    case KD_F_M_WB_BREAK_POINT_ADDRESS:
    case KD_F_M_IO_IO_ADDRESS:
    case KD_F_M_IOX_IO_ADDRESS:
    case KD_F_M_MSR_MSR:
    case KD_F_M_CX_OFFSET:
    case KD_F_M_SM_SEARCH_ADDRESS:
    case KD_F_M_FM_ADDRESS:
    case KD_F_M_QM_ADDRESS:
    case KD_F_EXCEPTION_CODE:
    case KD_F_LS_PATH:
    case KD_F_CS_NAME:
    case KD_F_FIO_FILE_NAME:
        return 1;
    default:
        return 0;
    }
}

int kd_identity_transport_field(kd_field_id f)
{
    switch (f) {
    case KD_F_LEADER:
    case KD_F_BYTE_COUNT:
    case KD_F_ID:
    case KD_F_CHECKSUM:
    case KD_F_CHECKSUM_STATUS:
    case KD_F_CHECKSUM_COMPUTED:
    case KD_F_TRAILER:
        return 1;
    default:
        return 0;
    }
}

uint32_t kd_identity_kind(const kd_msg *m)
{
    const kd_item *it = m->item;
    if (it->kind != KD_ITEM_DATA)
        return (uint32_t)it->dir << 28 | KD_IDENTITY_NOT_DATA | (uint32_t)it->kind << 16 | (it->type & 0xFFFFu);
    return (uint32_t)it->dir << 28 | (uint32_t)(it->has_header ? it->type & 0xFFFu : 0xFFFu) << 16 |
           (m->api & 0xFFFFu);
}

kd_identity_class kd_identity_kind_split(uint32_t kind)
{
    kd_identity_class c = {.dir = (kd_dir)(kind >> 28)};
    /* A data packet without a header has type 0xFFF, whose top bits look like
     * KD_IDENTITY_NOT_DATA: it is told apart by its all-ones item byte. */
    if ((kind & KD_IDENTITY_NOT_DATA) == KD_IDENTITY_NOT_DATA && (kind >> 16 & 0xFFF) != 0xFFF) {
        c.item = (kd_item_kind)(kind >> 16 & 0xFF);
        c.type = (uint16_t)(kind & 0xFFFF);
    } else {
        c.is_data = 1;
        c.item = KD_ITEM_DATA;
        c.type = (uint16_t)(kind >> 16 & 0xFFF);
        c.api = (uint16_t)(kind & 0xFFFF);
    }
    return c;
}

static int skip_transport(kd_field_id f, void *user)
{
    (void)user;
    return kd_identity_transport_field(f);
}

static const kd_identity_opts default_opts = {.skip = skip_transport};

int kd_identity_memory_words(const kd_msg *m, const kd_node *n, const kd_identity_opts *o, kd_identity_emit emit,
                             void *user)
{
    uint64_t addr;
    unsigned ps;
    if (!o || !o->word || !n->data || !kd_msg_field_memory(m, (kd_field_id)n->field, &addr, &ps))
        return 0;
    size_t run = 0; /* start of the bytes not yet emitted */
    size_t i = (size_t)((ps - (addr & (ps - 1))) & (ps - 1));
    for (; i + ps <= n->length; i += ps) {
        uint64_t v = 0;
        for (unsigned k = 0; k < ps; k++)
            v |= (uint64_t)n->data[i + k] << (8 * k);
        int changed = 0;
        const char *name = NULL;
        uint64_t r = o->word(m, (kd_field_id)n->field, addr + i, v, &changed, &name, o->user);
        if (!changed)
            continue;
        if (i > run)
            emit(run, n->data + run, i - run, NULL, 0, 0, user);
        emit(i, n->data + i, ps, name, r, 1, user);
        run = i + ps;
    }
    if (n->length > run)
        emit(run, n->data + run, n->length - run, NULL, 0, 0, user);
    return 1;
}

static void hash_emit(size_t off, const uint8_t *bytes, size_t len, const char *name, uint64_t v, int word,
                      void *user)
{
    uint64_t *h = user;
    *h = kd_fnv1a(*h, &off, sizeof off);
    *h = kd_fnv1a(*h, &word, sizeof word);
    if (!word) {
        *h = kd_fnv1a(*h, &len, sizeof len);
        *h = kd_fnv1a(*h, bytes, len);
        return;
    }
    if (name)
        *h = kd_fnv1a(*h, name, strlen(name) + 1);
    *h = kd_fnv1a(*h, &v, sizeof v);
}

uint64_t kd_identity_hash_node(uint64_t h, const kd_msg *m, const kd_node *n, const kd_identity_opts *o)
{
    if (!o)
        o = &default_opts;
    kd_field_id f = (kd_field_id)n->field;
    h = kd_fnv1a(h, &n->field, sizeof n->field);
    kd_ftype t = kd_fields[f].type;
    if (t == KD_FT_BYTES && o->word) {
        uint64_t w = h;
        if (kd_identity_memory_words(m, n, o, hash_emit, &w))
            return kd_fnv1a(w, &n->length, sizeof n->length);
    }
    if (t == KD_FT_BYTES || t == KD_FT_STRING || t == KD_FT_UTF16)
        return kd_fnv1a(h, n->data, n->length);
    int changed = 0;
    const char *name = NULL;
    uint64_t v = o->value ? o->value(m, f, n->value, &changed, &name, o->user) : n->value;
    h = kd_fnv1a(h, &changed, sizeof changed);
    if (name)
        h = kd_fnv1a(h, name, strlen(name));
    return kd_fnv1a(h, &v, sizeof v);
}

void kd_identity_of(const kd_msg *m, const kd_identity_opts *o, kd_identity *out)
{
    if (!o)
        o = &default_opts;
    out->kind = kd_identity_kind(m);
    uint64_t id = kd_fnv1a(KD_FNV_OFFSET_BASIS, &out->kind, sizeof out->kind);
    id = kd_fnv1a(id, &m->is_response, sizeof m->is_response);
    uint64_t content = KD_FNV_OFFSET_BASIS;
    for (uint16_t i = 0; i < m->n; i++) {
        const kd_node *n = &m->nodes[i];
        kd_field_id f = (kd_field_id)n->field;
        if (kd_fields[f].type == KD_FT_NONE || (o->skip && o->skip(f, o->user)))
            continue;
        content = kd_identity_hash_node(content, m, n, o);
        if (kd_identity_key_field(f))
            id = kd_identity_hash_node(id, m, n, o);
    }
    if (o->with_length)
        id = kd_fnv1a(id, &m->item->len, sizeof m->item->len);
    out->ident = id;
    out->content = content;
}

int kd_delivered_copy(kd_delivered *d, const kd_msg *m, const kd_annot *a, uint64_t frame)
{
    const kd_item *it = m->item;
    if (it->kind != KD_ITEM_DATA || a->duplicate_of)
        return 0;
    if (it->flags) {
        d->damaged[d->n_damaged++ % 16] = frame;
        return 0;
    }
    if (!a->retransmission_of)
        return 1;
    for (unsigned i = 0; i < 16 && i < d->n_damaged; i++)
        if (d->damaged[i] == a->retransmission_of)
            return 1;
    return 0;
}
