/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The KDNET layer's crypto (kdparse/kdnet.h): HMAC, AES-256-CBC, the data
 * key, the encoder and a conversation's key state.  Everything goes through
 * libgcrypt, the library Wireshark itself links, so the plugin adds no
 * dependency; this file is in the kdparse_kdnet target so that programs
 * without KDNET do not link it.
 */
#include "kdparse/kdnet.h"

#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

/* ------------------------------------------------------------ libgcrypt */

int kdnet_crypto_init(void)
{
    static int done; /* 1 ok, -1 failed */
    if (done)
        return done > 0 ? 0 : -1;
    /* A host program (Wireshark) that initialised libgcrypt has chosen its
     * own settings: only check the version then.  Otherwise we are the
     * first user and finish the initialisation, as a library must. */
    if (!gcry_check_version(GCRYPT_VERSION)) {
        done = -1;
        return -1;
    }
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        /* No secret keys worth locking in memory: the keys come from a
         * command line or a preference file. */
        gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
    done = 1;
    return 0;
}

static void not_key(const uint8_t key[KDNET_KEY_SIZE], uint8_t out[KDNET_KEY_SIZE])
{
    for (unsigned i = 0; i < KDNET_KEY_SIZE; i++)
        out[i] = (uint8_t)~key[i];
}

/* An HMAC-SHA256 handle keyed with NOT(control key). */
static gcry_md_hd_t hmac_open(const uint8_t control_key[KDNET_KEY_SIZE])
{
    gcry_md_hd_t h;
    uint8_t k[KDNET_KEY_SIZE];
    if (gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC))
        return NULL;
    not_key(control_key, k);
    if (gcry_md_setkey(h, k, sizeof k)) {
        gcry_md_close(h);
        return NULL;
    }
    return h;
}

static void hmac_run(gcry_md_hd_t h, const uint8_t *header, const uint8_t *plain, size_t len,
                     uint8_t tag[KDNET_TAG_SIZE])
{
    gcry_md_reset(h);
    gcry_md_write(h, header, KDNET_HEADER_SIZE);
    gcry_md_write(h, plain, len);
    memcpy(tag, gcry_md_read(h, GCRY_MD_SHA256), KDNET_TAG_SIZE);
}

static gcry_cipher_hd_t aes_open(const uint8_t key[KDNET_KEY_SIZE])
{
    gcry_cipher_hd_t c;
    if (gcry_cipher_open(&c, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_CBC, 0))
        return NULL;
    if (gcry_cipher_setkey(c, key, KDNET_KEY_SIZE)) {
        gcry_cipher_close(c);
        return NULL;
    }
    return c;
}

static int aes_run(gcry_cipher_hd_t c, int encrypt, const uint8_t iv[KDNET_TAG_SIZE], const uint8_t *in,
                   size_t len, uint8_t *out)
{
    if (len % KDNET_BLOCK_SIZE || gcry_cipher_setiv(c, iv, KDNET_TAG_SIZE))
        return -1;
    if (len == 0)
        return 0;
    gcry_error_t e;
    if (in == out)
        e = encrypt ? gcry_cipher_encrypt(c, out, len, NULL, 0) : gcry_cipher_decrypt(c, out, len, NULL, 0);
    else
        e = encrypt ? gcry_cipher_encrypt(c, out, len, in, len) : gcry_cipher_decrypt(c, out, len, in, len);
    return e ? -1 : 0;
}

int kdnet_hmac(const uint8_t control_key[KDNET_KEY_SIZE], const uint8_t header[KDNET_HEADER_SIZE],
               const uint8_t *plain, size_t len, uint8_t tag[KDNET_TAG_SIZE])
{
    if (kdnet_crypto_init())
        return -1;
    gcry_md_hd_t h = hmac_open(control_key);
    if (!h)
        return -1;
    hmac_run(h, header, plain, len, tag);
    gcry_md_close(h);
    return 0;
}

static int aes_once(int encrypt, const uint8_t key[KDNET_KEY_SIZE], const uint8_t iv[KDNET_TAG_SIZE],
                    const uint8_t *in, size_t len, uint8_t *out)
{
    if (kdnet_crypto_init())
        return -1;
    gcry_cipher_hd_t c = aes_open(key);
    if (!c)
        return -1;
    int rc = aes_run(c, encrypt, iv, in, len, out);
    gcry_cipher_close(c);
    return rc;
}

int kdnet_decrypt(const uint8_t key[KDNET_KEY_SIZE], const uint8_t iv[KDNET_TAG_SIZE], const uint8_t *in,
                  size_t len, uint8_t *out)
{
    return aes_once(0, key, iv, in, len, out);
}

int kdnet_encrypt(const uint8_t key[KDNET_KEY_SIZE], const uint8_t iv[KDNET_TAG_SIZE], const uint8_t *in,
                  size_t len, uint8_t *out)
{
    return aes_once(1, key, iv, in, len, out);
}

int kdnet_derive_data_key(const uint8_t control_key[KDNET_KEY_SIZE],
                          const uint8_t response_payload[KDNET_DATA_KEY_INPUT], uint8_t data_key[KDNET_KEY_SIZE])
{
    if (kdnet_crypto_init())
        return -1;
    uint8_t in[KDNET_KEY_SIZE + KDNET_DATA_KEY_INPUT];
    memcpy(in, control_key, KDNET_KEY_SIZE);
    memcpy(in + KDNET_KEY_SIZE, response_payload, KDNET_DATA_KEY_INPUT);
    gcry_md_hash_buffer(GCRY_MD_SHA256, data_key, in, sizeof in);
    return 0;
}

/* ------------------------------------------------------------ encoder */

size_t kdnet_build(const kdnet_build_args *a, uint8_t *out, size_t cap)
{
    const uint8_t *enc_key = a->channel == KDNET_CHANNEL_CONTROL ? a->control_key
                             : a->channel == KDNET_CHANNEL_DATA  ? a->data_key
                                                                 : NULL;
    if (!a->control_key || !enc_key || (a->payload_len && !a->payload))
        return 0;
    if (a->payload_len > KDNET_PLAIN_MAX)
        return 0;
    size_t plain = KDNET_SEQ_SIZE + a->payload_len;
    size_t pad = (KDNET_BLOCK_SIZE - plain % KDNET_BLOCK_SIZE) % KDNET_BLOCK_SIZE;
    plain += pad;
    size_t total = KDNET_HEADER_SIZE + plain + KDNET_TAG_SIZE;
    if (total > KDNET_DATAGRAM_MAX || total > cap)
        return 0;
    memcpy(out, KDNET_MAGIC, KDNET_MAGIC_SIZE);
    out[KDNET_OFF_VERSION] = a->version;
    out[KDNET_OFF_CHANNEL] = a->channel;
    uint8_t *p = out + KDNET_HEADER_SIZE;
    uint8_t flags = (uint8_t)((a->dir == KD_DIR_D2T ? KDNET_FLAG_D2T : 0) | pad);
    uint64_t word = a->seq << KDNET_SEQ_SHIFT | flags;
    for (unsigned i = 0; i < KDNET_SEQ_SIZE; i++)
        p[i] = (uint8_t)(word >> (8 * (KDNET_SEQ_SIZE - 1 - i)));
    if (a->payload_len)
        memmove(p + KDNET_SEQ_SIZE, a->payload, a->payload_len);
    memset(p + KDNET_SEQ_SIZE + a->payload_len, 0, pad);
    uint8_t *tag = p + plain;
    if (kdnet_hmac(a->control_key, out, p, plain, tag) || kdnet_encrypt(enc_key, tag, p, plain, p))
        return 0;
    return total;
}

size_t kdnet_build_poke(const uint8_t client_random[KDNET_RANDOM_SIZE],
                        const kdnet_endpoint ep[KDNET_POKE_ADDRS], uint8_t *out, size_t cap)
{
    if (cap < KDNET_POKE_SIZE)
        return 0;
    memset(out, 0, KDNET_POKE_SIZE);
    out[0] = KDNET_MSG_CLASS;
    out[1] = KDNET_MSG_POKE;
    memcpy(out + KDNET_OFF_CLIENT_RANDOM, client_random, KDNET_RANDOM_SIZE);
    for (unsigned i = 0; i < KDNET_POKE_ADDRS; i++) {
        uint8_t *b = out + KDNET_OFF_POKE_ADDRS + i * KDNET_ADDR_BLOCK_SIZE;
        memcpy(b, ep[i].addr, KDNET_ADDR_SIZE);
        b[KDNET_ADDR_SIZE] = (uint8_t)(ep[i].port >> 8);
        b[KDNET_ADDR_SIZE + 1] = (uint8_t)ep[i].port;
    }
    return KDNET_POKE_SIZE;
}

size_t kdnet_build_response(const uint8_t client_random[KDNET_RANDOM_SIZE],
                            const uint8_t host_random[KDNET_RANDOM_SIZE], uint8_t *out, size_t cap)
{
    if (cap < KDNET_RESPONSE_SIZE)
        return 0;
    memset(out, 0, KDNET_RESPONSE_SIZE);
    out[0] = KDNET_MSG_CLASS;
    out[1] = KDNET_MSG_RESPONSE;
    memcpy(out + KDNET_OFF_CLIENT_RANDOM, client_random, KDNET_RANDOM_SIZE);
    memcpy(out + KDNET_OFF_HOST_RANDOM, host_random, KDNET_RANDOM_SIZE);
    return KDNET_RESPONSE_SIZE;
}

/* ------------------------------------------------------------ a conversation */

typedef struct candidate {
    uint8_t key[KDNET_KEY_SIZE];
    gcry_md_hd_t hmac;          /* keyed with NOT(key) */
    gcry_cipher_hd_t aes;       /* keyed with key: channel 1 */
} candidate;

struct kdnet_state {
    candidate keys[KDNET_MAX_KEYS];
    unsigned nkeys;
    int chosen;                 /* index in keys, or -1 */
    int have_data_key;
    uint8_t data_key[KDNET_KEY_SIZE];
    gcry_cipher_hd_t data_aes;  /* keyed with data_key */
    kdnet_counts counts;
    uint8_t buf[KDNET_PLAIN_MAX];
};

kdnet_state *kdnet_state_new(void)
{
    if (kdnet_crypto_init())
        return NULL;
    kdnet_state *s = calloc(1, sizeof *s);
    if (s)
        s->chosen = -1;
    return s;
}

void kdnet_state_free(kdnet_state *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < s->nkeys; i++) {
        gcry_md_close(s->keys[i].hmac);
        gcry_cipher_close(s->keys[i].aes);
    }
    if (s->data_aes)
        gcry_cipher_close(s->data_aes);
    free(s);
}

int kdnet_state_add_key(kdnet_state *s, const uint8_t control_key[KDNET_KEY_SIZE])
{
    if (s->nkeys == KDNET_MAX_KEYS)
        return -1;
    candidate *c = &s->keys[s->nkeys];
    memcpy(c->key, control_key, KDNET_KEY_SIZE);
    c->hmac = hmac_open(control_key);
    c->aes = aes_open(control_key);
    if (!c->hmac || !c->aes) {
        if (c->hmac)
            gcry_md_close(c->hmac);
        if (c->aes)
            gcry_cipher_close(c->aes);
        return -1;
    }
    s->nkeys++;
    return 0;
}

static int set_data_key(kdnet_state *s, const uint8_t key[KDNET_KEY_SIZE])
{
    if (!s->data_aes && gcry_cipher_open(&s->data_aes, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_CBC, 0)) {
        s->data_aes = NULL;
        return -1;
    }
    if (gcry_cipher_setkey(s->data_aes, key, KDNET_KEY_SIZE))
        return -1;
    memcpy(s->data_key, key, KDNET_KEY_SIZE);
    s->have_data_key = 1;
    return 0;
}

void kdnet_state_set_data_key(kdnet_state *s, const uint8_t data_key[KDNET_KEY_SIZE])
{
    if (set_data_key(s, data_key))
        s->have_data_key = 0;
}

const kdnet_counts *kdnet_state_counts(const kdnet_state *s)
{
    return &s->counts;
}

int kdnet_state_key_index(const kdnet_state *s)
{
    return s->chosen;
}

const uint8_t *kdnet_state_data_key(const kdnet_state *s)
{
    return s->have_data_key ? s->data_key : NULL;
}

int kdnet_state_none_authenticated(const kdnet_state *s)
{
    return s->counts.datagrams > s->counts.malformed && s->counts.good == 0;
}

int kdnet_state_needs_data_key(const kdnet_state *s)
{
    return s->counts.no_data_key > 0;
}

/* Verifies plain against the tag with the chosen key, or with every
 * candidate while none is chosen; decrypt_each re-decrypts per candidate
 * (channel 1, where the key encrypts too). */
static int authenticate(kdnet_state *s, kdnet_result *r, uint8_t *buf, int decrypt_each)
{
    const kdnet_datagram *d = &r->dg;
    unsigned first = s->chosen >= 0 ? (unsigned)s->chosen : 0;
    unsigned end = s->chosen >= 0 ? first + 1 : s->nkeys;
    for (unsigned i = first; i < end; i++) {
        candidate *c = &s->keys[i];
        if (decrypt_each && aes_run(c->aes, 0, d->tag, d->ciphertext, d->ciphertext_len, buf))
            return -1;
        hmac_run(c->hmac, d->header, buf, d->ciphertext_len, r->computed_tag);
        if (memcmp(r->computed_tag, d->tag, KDNET_TAG_SIZE) == 0) {
            s->chosen = (int)i;
            return 1;
        }
    }
    return 0;
}

static void decode_payload(kdnet_state *s, kdnet_result *r)
{
    const uint8_t *pl = r->p.payload;
    size_t n = r->p.payload_len;
    r->kind = kdnet_classify(r->dg.channel, pl, n);
    kdnet_problem pb = KDNET_OK;
    switch (r->kind) {
    case KDNET_KIND_POKE:
        pb = kdnet_decode_poke(pl, n, &r->poke);
        break;
    case KDNET_KIND_RESPONSE:
        pb = kdnet_decode_response(pl, n, &r->response);
        /* The newest authenticated response sets the data key. */
        if (pb == KDNET_OK) {
            uint8_t dk[KDNET_KEY_SIZE];
            if (kdnet_derive_data_key(s->keys[s->chosen].key, pl, dk) || set_data_key(s, dk))
                pb = KDNET_E_CRYPTO;
            else {
                r->sets_data_key = 1;
                s->counts.responses++;
            }
        }
        break;
    case KDNET_KIND_UNUSED:
        r->unused_host = kd_le32(pl + KDNET_UNUSED_OFF_HOST);
        break;
    case KDNET_KIND_KD:
    case KDNET_KIND_BREAKIN:
    case KDNET_KIND_UNKNOWN:
        if (r->dg.channel == KDNET_CHANNEL_DATA && n > 0) {
            r->kd = pl;
            r->kd_len = n;
        }
        break;
    }
    if (r->problem == KDNET_OK)
        r->problem = pb;
}

kdnet_problem kdnet_open(kdnet_state *s, const uint8_t *dg, size_t len, uint8_t *buf, size_t cap,
                         kdnet_result *r)
{
    memset(r, 0, sizeof *r);
    s->counts.datagrams++;
    r->problem = kdnet_parse(dg, len, &r->dg);
    if (r->problem != KDNET_OK) {
        s->counts.malformed++;
        return r->problem;
    }
    if (!buf) {
        buf = s->buf;
        cap = sizeof s->buf;
    }
    if (cap < r->dg.ciphertext_len) {
        s->counts.malformed++;
        return r->problem = KDNET_E_TOO_LONG;
    }
    int control = r->dg.channel == KDNET_CHANNEL_CONTROL;
    if (control)
        s->counts.control++;
    else
        s->counts.data++;
    if (s->nkeys == 0) {
        s->counts.no_key++;
        return r->problem = KDNET_E_NO_KEY;
    }
    int ok;
    if (control) {
        ok = authenticate(s, r, buf, 1);
    } else {
        if (!s->have_data_key) {
            s->counts.no_data_key++;
            return r->problem = KDNET_E_NO_DATA_KEY;
        }
        ok = aes_run(s->data_aes, 0, r->dg.tag, r->dg.ciphertext, r->dg.ciphertext_len, buf) ? -1
                                                                                           : authenticate(s, r, buf, 0);
    }
    if (ok < 0)
        return r->problem = KDNET_E_CRYPTO;
    if (!ok) {
        /* Do not guess: a plaintext that does not verify is not shown. */
        r->hmac = KDNET_HMAC_BAD;
        s->counts.bad++;
        return r->problem = KDNET_E_BAD_TAG;
    }
    r->hmac = KDNET_HMAC_GOOD;
    s->counts.good++;
    r->plain = buf;
    r->plain_len = r->dg.ciphertext_len;
    r->has_plain = 1;
    r->problem = kdnet_split(buf, r->plain_len, &r->p);
    if (r->problem != KDNET_OK)
        return r->problem;
    decode_payload(s, r);
    return r->problem;
}
