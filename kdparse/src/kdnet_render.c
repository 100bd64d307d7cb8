/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A KDNET result as fields, text and JSON (kdparse/kdnet.h): one list of
 * nodes that every renderer walks. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kdparse/kdnet.h"

typedef struct nodes {
    kdnet_node *v;
    size_t n, max;
} nodes;

static void add(nodes *ns, kdnet_field_id f, int in_plain, size_t off, size_t len, uint64_t value,
                const uint8_t *data)
{
    if (ns->n == ns->max)
        return;
    kdnet_node *n = &ns->v[ns->n++];
    memset(n, 0, sizeof *n);
    n->field = (uint16_t)f;
    n->in_plain = (uint8_t)in_plain;
    n->offset = (uint32_t)off;
    n->length = (uint32_t)len;
    n->value = value;
    n->data = data;
}

static void add_generated(nodes *ns, kdnet_field_id f, uint64_t value)
{
    add(ns, f, 0, 0, 0, value, NULL);
    if (ns->n && ns->v[ns->n - 1].field == f)
        ns->v[ns->n - 1].generated = 1;
}

static void set_depth(nodes *ns, size_t from)
{
    for (size_t i = from; i < ns->n; i++)
        ns->v[i].depth = 1;
}

size_t kdnet_nodes(const kdnet_result *r, kdnet_node *out, size_t max)
{
    nodes ns = {out, 0, max};
    const kdnet_datagram *d = &r->dg;
    if (!d->header)
        return 0;
    add(&ns, KDNET_F_MAGIC, 0, 0, KDNET_MAGIC_SIZE, 0, d->header);
    add(&ns, KDNET_F_VERSION, 0, KDNET_OFF_VERSION, 1, d->version, NULL);
    add(&ns, KDNET_F_CHANNEL, 0, KDNET_OFF_CHANNEL, 1, d->channel, NULL);
    if (d->tag) {
        add(&ns, KDNET_F_CIPHERTEXT, 0, KDNET_HEADER_SIZE, d->ciphertext_len, 0, d->ciphertext);
        add(&ns, KDNET_F_HMAC, 0, KDNET_HEADER_SIZE + d->ciphertext_len, KDNET_TAG_SIZE, 0, d->tag);
    }
    add_generated(&ns, KDNET_F_HMAC_STATUS, r->hmac);
    if (!r->has_plain || r->plain_len < KDNET_SEQ_SIZE)
        return ns.n;
    const size_t pl = KDNET_SEQ_SIZE; /* the payload's offset in the plaintext */
    add(&ns, KDNET_F_SEQ, 1, 0, KDNET_SEQ_SIZE - 1, r->p.seq, NULL);
    add(&ns, KDNET_F_FLAGS, 1, KDNET_SEQ_SIZE - 1, 1, r->p.flags, NULL);
    add(&ns, KDNET_F_DIRECTION, 1, KDNET_SEQ_SIZE - 1, 1, (r->p.flags & KDNET_FLAG_D2T) ? 1 : 0, NULL);
    add(&ns, KDNET_F_PAD, 1, KDNET_SEQ_SIZE - 1, 1, r->p.pad, NULL);
    if (r->problem == KDNET_E_PAD)
        return ns.n;
    add_generated(&ns, KDNET_F_KIND, r->kind);
    const uint8_t *p = r->p.payload;
    size_t n = r->p.payload_len;
    switch (r->kind) {
    case KDNET_KIND_POKE: {
        add(&ns, KDNET_F_POKE, 1, pl, n, 0, NULL);
        size_t sub = ns.n;
        if (r->poke.client_random)
            add(&ns, KDNET_F_POKE_CLIENT_RANDOM, 1, pl + KDNET_OFF_CLIENT_RANDOM, KDNET_RANDOM_SIZE, 0,
                r->poke.client_random);
        if (r->problem != KDNET_E_POKE_SHORT) {
            static const kdnet_field_id ids[KDNET_POKE_ADDRS][2] = {
                {KDNET_F_POKE_TARGET_ADDR, KDNET_F_POKE_TARGET_PORT},
                {KDNET_F_POKE_HOST_ADDR, KDNET_F_POKE_HOST_PORT},
                {KDNET_F_POKE_THIRD_ADDR, KDNET_F_POKE_THIRD_PORT},
            };
            for (unsigned i = 0; i < KDNET_POKE_ADDRS; i++) {
                size_t at = pl + KDNET_OFF_POKE_ADDRS + i * KDNET_ADDR_BLOCK_SIZE;
                add(&ns, ids[i][0], 1, at, KDNET_ADDR_SIZE, 0, p + at - pl);
                add(&ns, ids[i][1], 1, at + KDNET_ADDR_SIZE, 2, r->poke.ep[i].port, NULL);
            }
        }
        set_depth(&ns, sub);
        break;
    }
    case KDNET_KIND_RESPONSE: {
        add(&ns, KDNET_F_RESPONSE, 1, pl, n, 0, NULL);
        size_t sub = ns.n;
        if (r->response.client_random)
            add(&ns, KDNET_F_RESPONSE_CLIENT_RANDOM, 1, pl + KDNET_OFF_CLIENT_RANDOM, KDNET_RANDOM_SIZE, 0,
                r->response.client_random);
        if (r->response.host_random)
            add(&ns, KDNET_F_RESPONSE_HOST_RANDOM, 1, pl + KDNET_OFF_HOST_RANDOM, KDNET_RANDOM_SIZE, 0,
                r->response.host_random);
        if (r->problem != KDNET_E_RESPONSE_SHORT)
            add_generated(&ns, KDNET_F_RESPONSE_ZEROS_OK, (uint64_t)r->response.zeros_ok);
        set_depth(&ns, sub);
        break;
    }
    case KDNET_KIND_UNUSED:
        add(&ns, KDNET_F_UNUSED_HOST, 1, pl + KDNET_UNUSED_OFF_HOST, 4, r->unused_host, NULL);
        break;
    case KDNET_KIND_UNKNOWN:
        add(&ns, KDNET_F_PAYLOAD, 1, pl, n, 0, p);
        break;
    case KDNET_KIND_KD:
    case KDNET_KIND_BREAKIN:
        break;
    }
    return ns.n;
}

static void ipv4_text(uint32_t v, char *buf, size_t cap)
{
    snprintf(buf, cap, "%u.%u.%u.%u", (unsigned)(v >> 24), (unsigned)(v >> 16 & 255), (unsigned)(v >> 8 & 255),
             (unsigned)(v & 255));
}

size_t kdnet_node_format(const kdnet_node *n, char *buf, size_t cap)
{
    if (!cap)
        return 0;
    buf[0] = 0;
    const kdnet_field *f = &kdnet_fields[n->field];
    if (f->address == KDNET_ADDRESS_IPV6 && n->data) {
        kdnet_addr_text(n->data, buf, cap);
        return strlen(buf);
    }
    if (f->address == KDNET_ADDRESS_IPV4) {
        ipv4_text((uint32_t)n->value, buf, cap);
        return strlen(buf);
    }
    size_t k = 0;
    switch (f->f.type) {
    case KD_FT_NONE:
        return 0;
    case KD_FT_BYTES: {
        size_t m = n->length < 32 ? n->length : 32;
        for (size_t i = 0; i < m && n->data && k + 3 < cap; i++)
            k += (size_t)snprintf(buf + k, cap - k, "%02x", n->data[i]);
        if (m < n->length && k + 4 < cap)
            k += (size_t)snprintf(buf + k, cap - k, "...");
        return k;
    }
    case KD_FT_BOOLEAN:
        snprintf(buf, cap, "%s", n->value ? "TRUE" : "FALSE");
        return strlen(buf);
    default:
        break;
    }
    const char *name = kd_val_name(f->f.vals, (uint32_t)n->value);
    if (f->f.base == KD_BASE_HEX)
        snprintf(buf, cap, "0x%02" PRIx64, n->value);
    else
        snprintf(buf, cap, "%" PRIu64, n->value);
    k = strlen(buf);
    if (name && k + 4 < cap)
        snprintf(buf + k, cap - k, " (%s)", name);
    return strlen(buf);
}

static void ep_text(const kdnet_endpoint *ep, char *buf, size_t cap)
{
    char a[48];
    kdnet_addr_text(ep->addr, a, sizeof a);
    snprintf(buf, cap, "%s:%u", a, (unsigned)ep->port);
}

size_t kdnet_summary(const kdnet_result *r, char *buf, size_t cap)
{
    if (!cap)
        return 0;
    const kdnet_datagram *d = &r->dg;
    if (!d->header) {
        snprintf(buf, cap, "KDNET: %s", kdnet_problem_text(r->problem));
        return strlen(buf);
    }
    const char *ch = kdnet_channel_name(d->channel);
    char head[64];
    if (r->has_plain)
        snprintf(head, sizeof head, "KDNET v%u %s %s seq %" PRIu64, d->version, ch ? ch : "?", kd_dir_name(r->p.dir),
                 r->p.seq);
    else
        snprintf(head, sizeof head, "KDNET v%u %s", d->version, ch ? ch : "?");
    char what[192] = "";
    char a[64], b[64];
    if (r->has_plain && r->problem == KDNET_OK) {
        switch (r->kind) {
        case KDNET_KIND_POKE:
            ep_text(&r->poke.ep[0], a, sizeof a);
            ep_text(&r->poke.ep[1], b, sizeof b);
            snprintf(what, sizeof what, "poke %s -> %s", a, b);
            break;
        case KDNET_KIND_RESPONSE:
            snprintf(what, sizeof what, "response%s", r->sets_data_key ? " (sets the data key)" : "");
            break;
        case KDNET_KIND_UNUSED:
            ipv4_text(r->unused_host, a, sizeof a);
            snprintf(what, sizeof what, "unused announcement (host %s)", a);
            break;
        case KDNET_KIND_BREAKIN:
            snprintf(what, sizeof what, "break-in");
            break;
        case KDNET_KIND_KD:
            snprintf(what, sizeof what, "KD packet, %zu bytes", r->kd_len);
            break;
        case KDNET_KIND_UNKNOWN:
            snprintf(what, sizeof what, "unknown payload, %zu bytes", r->p.payload_len);
            break;
        }
    } else {
        snprintf(what, sizeof what, "%s", kdnet_problem_text(r->problem));
    }
    snprintf(buf, cap, "%s: %s", head, what);
    return strlen(buf);
}

/* A bounded text buffer for the JSON members (no stdio per value: it was
 * most of kdcat --json's time on KDNET captures). */
typedef struct tb {
    char *p;
    size_t len, cap;
} tb;

static void tb_put(tb *t, const char *s, size_t n)
{
    if (t->len + n >= t->cap)
        n = t->cap - 1 - t->len;
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = 0;
}

static void tb_str(tb *t, const char *s)
{
    tb_put(t, s, strlen(s));
}

static void tb_hex(tb *t, const uint8_t *d, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t k = 0; k < n && t->len + 3 < t->cap; k++) {
        t->p[t->len++] = hex[d[k] >> 4];
        t->p[t->len++] = hex[d[k] & 15];
    }
    t->p[t->len] = 0;
}

static void tb_u64(tb *t, uint64_t v, int hex16)
{
    char tmp[24];
    int k = 24;
    if (hex16) {
        for (int i = 0; i < 16; i++, v >>= 4)
            tmp[--k] = "0123456789abcdef"[v & 15];
        tb_put(t, "\"0x", 3);
        tb_put(t, tmp + k, 16);
        tb_put(t, "\"", 1);
        return;
    }
    do {
        tmp[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    tb_put(t, tmp + k, (size_t)(24 - k));
}

size_t kdnet_json_fields(const kdnet_result *r, char *buf, size_t cap)
{
    if (cap == 0)
        return 0;
    tb t = {buf, 0, cap};
    buf[0] = 0;
    kdnet_node v[KDNET_MAX_NODES];
    size_t n = kdnet_nodes(r, v, KDNET_MAX_NODES);
    for (size_t i = 0; i < n; i++) {
        const kdnet_field *f = &kdnet_fields[v[i].field];
        /* The magic and the ciphertext are not decoded values: the tree
         * shows them, JSON (one line per datagram) leaves them out. */
        if (f->f.type == KD_FT_NONE || v[i].field == KDNET_F_MAGIC || v[i].field == KDNET_F_CIPHERTEXT)
            continue;
        tb_str(&t, ",\"");
        tb_str(&t, f->f.abbrev);
        tb_str(&t, "\":");
        if (f->address == KDNET_ADDRESS_IPV6 && v[i].data) {
            char a[48];
            kdnet_addr_text(v[i].data, a, sizeof a);
            tb_str(&t, "\"");
            tb_str(&t, a);
            tb_str(&t, "\"");
        } else if (f->address == KDNET_ADDRESS_IPV4) {
            char a[20];
            ipv4_text((uint32_t)v[i].value, a, sizeof a);
            tb_str(&t, "\"");
            tb_str(&t, a);
            tb_str(&t, "\"");
        } else if (f->f.type == KD_FT_BYTES) {
            tb_str(&t, "\"");
            if (v[i].data)
                tb_hex(&t, v[i].data, v[i].length);
            tb_str(&t, "\"");
        } else {
            tb_u64(&t, v[i].value, f->f.type == KD_FT_UINT64);
        }
    }
    return t.len;
}

void kdnet_print_json_fields(FILE *out, const kdnet_result *r)
{
    char buf[4096];
    size_t n = kdnet_json_fields(r, buf, sizeof buf);
    fwrite(buf, 1, n, out);
}
