/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The KDNET layer without crypto (kdparse/kdnet.h): keys, datagram and
 * plaintext layout, the handshake messages, names and the field table.
 * Offsets and sizes are kdnet.md's, named once in kdnet.h.
 */
#include "kdparse/kdnet.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ names */

static const char *const problem_text[KDNET_E__COUNT] = {
    [KDNET_OK] = "no problem",
    [KDNET_E_SHORT] = "datagram too short for header, one block and tag",
    [KDNET_E_TOO_LONG] = "datagram longer than 64 KiB",
    [KDNET_E_MAGIC] = "not KDNET (no \"MDBG\" magic)",
    [KDNET_E_UNALIGNED] = "ciphertext is not a multiple of 16 bytes",
    [KDNET_E_CHANNEL] = "unknown channel (neither 0 data nor 1 control)",
    [KDNET_E_NO_KEY] = "no key given: not decrypted",
    [KDNET_E_NO_DATA_KEY] = "the data channel needs the handshake or a data key",
    [KDNET_E_BAD_TAG] = "HMAC does not verify (wrong key or corrupted datagram)",
    [KDNET_E_PAD] = "padding longer than the plaintext",
    [KDNET_E_POKE_SHORT] = "poke cut short",
    [KDNET_E_RESPONSE_SHORT] = "response cut short",
    [KDNET_E_CRYPTO] = "libgcrypt failed",
};

const char *kdnet_problem_text(kdnet_problem p)
{
    return (unsigned)p < KDNET_E__COUNT ? problem_text[p] : "unknown problem";
}

const char *kdnet_channel_name(unsigned channel)
{
    return kd_val_name(kdnet_vals_channel, channel);
}

const char *kdnet_version_name(unsigned version)
{
    return kd_val_name(kdnet_vals_version, version);
}

const char *kdnet_hmac_status_name(kdnet_hmac_status s)
{
    const char *n = kd_val_name(kdnet_vals_hmac_status, (uint32_t)s);
    return n ? n : "?";
}

const char *kdnet_kind_name(kdnet_kind k)
{
    const char *n = kd_val_name(kdnet_vals_kind, (uint32_t)k);
    return n ? n : "unknown";
}

/* ------------------------------------------------------------ fields */

#define KDNET_FIELD(id, abbrev, label, type, base, vals, blurb) \
    [KDNET_F_##id] = {{abbrev, label, KD_FT_##type, KD_BASE_##base, vals, 0, blurb}, KDNET_NOT_ADDRESS},
#define KDNET_ADDRESS(id, abbrev, label, blurb) \
    [KDNET_F_##id] = {{abbrev, label, KD_FT_BYTES, KD_BASE_NONE, NULL, 0, blurb}, KDNET_ADDRESS_IPV6},
#define KDNET_IPV4(id, abbrev, label, blurb) \
    [KDNET_F_##id] = {{abbrev, label, KD_FT_UINT32, KD_BASE_HEX, NULL, 0, blurb}, KDNET_ADDRESS_IPV4},
const kdnet_field kdnet_fields[KDNET_F__COUNT] = {
#include "kdparse/fields/kdnet.def"
};
#undef KDNET_FIELD
#undef KDNET_ADDRESS
#undef KDNET_IPV4

/* ------------------------------------------------------------ keys */

static int digit36(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return -1;
}

int kdnet_parse_key(const char *text, uint8_t key[KDNET_KEY_SIZE], const char **why)
{
    static char msg[80];
    const char *dummy;
    if (!why)
        why = &dummy;
    if (!text || !*text) {
        *why = "empty key (a.b.c.d)";
        return -1;
    }
    unsigned parts = 1;
    for (const char *p = text; *p; p++)
        parts += *p == '.';
    if (parts != 4) {
        snprintf(msg, sizeof msg, "%u part%s, a key has 4 (a.b.c.d)", parts, parts == 1 ? "" : "s");
        *why = msg;
        return -1;
    }
    uint8_t out[KDNET_KEY_SIZE];
    const char *p = text;
    for (unsigned part = 0; part < 4; part++) {
        uint64_t v = 0;
        size_t n = 0;
        for (; *p && *p != '.'; p++, n++) {
            int d = digit36(*p);
            if (d < 0) {
                unsigned char c = (unsigned char)*p;
                if (c >= 0x20 && c < 0x7F)
                    snprintf(msg, sizeof msg, "bad character '%c' in part %u (base 36: 0-9, a-z)", c, part + 1);
                else
                    snprintf(msg, sizeof msg, "bad byte 0x%02x in part %u (base 36: 0-9, a-z)", c, part + 1);
                *why = msg;
                return -1;
            }
            if (v > (UINT64_MAX - (uint64_t)d) / 36u) {
                snprintf(msg, sizeof msg, "part %u is larger than 2^64-1", part + 1);
                *why = msg;
                return -1;
            }
            v = v * 36u + (uint64_t)d;
        }
        if (n == 0) {
            snprintf(msg, sizeof msg, "part %u is empty", part + 1);
            *why = msg;
            return -1;
        }
        for (unsigned i = 0; i < 8; i++)
            out[part * 8 + i] = (uint8_t)(v >> (8 * i));
        if (*p == '.')
            p++;
    }
    memcpy(key, out, sizeof out);
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int kdnet_parse_data_key(const char *text, uint8_t key[KDNET_KEY_SIZE], const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    size_t n = text ? strlen(text) : 0;
    if (n != 2 * KDNET_KEY_SIZE) {
        *why = "a data key is 64 hex digits";
        return -1;
    }
    uint8_t out[KDNET_KEY_SIZE];
    for (size_t i = 0; i < KDNET_KEY_SIZE; i++) {
        int hi = hexval(text[2 * i]), lo = hexval(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            *why = "a data key is 64 hex digits (bad character)";
            return -1;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    memcpy(key, out, sizeof out);
    return 0;
}

/* ------------------------------------------------------------ datagram */

int kdnet_is_kdnet(const uint8_t *buf, size_t len)
{
    return len >= KDNET_MAGIC_SIZE && memcmp(buf, KDNET_MAGIC, KDNET_MAGIC_SIZE) == 0;
}

kdnet_problem kdnet_parse(const uint8_t *buf, size_t len, kdnet_datagram *out)
{
    memset(out, 0, sizeof *out);
    if (len >= KDNET_MAGIC_SIZE && !kdnet_is_kdnet(buf, len))
        return KDNET_E_MAGIC;
    if (len >= KDNET_HEADER_SIZE) {
        out->header = buf;
        out->version = buf[KDNET_OFF_VERSION];
        out->channel = buf[KDNET_OFF_CHANNEL];
    }
    if (len >= KDNET_HEADER_SIZE + KDNET_TAG_SIZE) {
        out->ciphertext = buf + KDNET_HEADER_SIZE;
        out->ciphertext_len = len - KDNET_HEADER_SIZE - KDNET_TAG_SIZE;
        out->tag = buf + len - KDNET_TAG_SIZE;
    }
    if (len < KDNET_MAGIC_SIZE)
        return len == 0 || memcmp(buf, KDNET_MAGIC, len) == 0 ? KDNET_E_SHORT : KDNET_E_MAGIC;
    if (len < KDNET_DATAGRAM_MIN)
        return KDNET_E_SHORT;
    if (len > KDNET_DATAGRAM_MAX)
        return KDNET_E_TOO_LONG;
    if (out->ciphertext_len % KDNET_BLOCK_SIZE != 0)
        return KDNET_E_UNALIGNED;
    if (out->channel != KDNET_CHANNEL_DATA && out->channel != KDNET_CHANNEL_CONTROL)
        return KDNET_E_CHANNEL;
    return KDNET_OK;
}

static uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

kdnet_problem kdnet_split(const uint8_t *plain, size_t len, kdnet_plain *out)
{
    memset(out, 0, sizeof *out);
    if (len < KDNET_SEQ_SIZE)
        return KDNET_E_SHORT;
    uint64_t w = be64(plain);
    out->seq = w >> KDNET_SEQ_SHIFT;
    out->flags = (uint8_t)w;
    out->dir = (out->flags & KDNET_FLAG_D2T) ? KD_DIR_D2T : KD_DIR_T2D;
    out->pad = out->flags & KDNET_FLAG_PAD_MASK;
    out->payload = plain + KDNET_SEQ_SIZE;
    size_t rest = len - KDNET_SEQ_SIZE;
    if (out->pad > rest)
        return KDNET_E_PAD;
    out->payload_len = rest - out->pad;
    return KDNET_OK;
}

kdnet_kind kdnet_classify(unsigned channel, const uint8_t *payload, size_t len)
{
    if (channel == KDNET_CHANNEL_CONTROL) {
        if (len >= 2 && payload[0] == KDNET_MSG_CLASS && payload[1] == KDNET_MSG_POKE)
            return KDNET_KIND_POKE;
        if (len >= 2 && payload[0] == KDNET_MSG_CLASS && payload[1] == KDNET_MSG_RESPONSE)
            return KDNET_KIND_RESPONSE;
        return KDNET_KIND_UNKNOWN;
    }
    if (channel != KDNET_CHANNEL_DATA)
        return KDNET_KIND_UNKNOWN;
    if (len == 1 && payload[0] == KDNET_BREAKIN_BYTE)
        return KDNET_KIND_BREAKIN;
    if (len == KDNET_UNUSED_SIZE && kd_le32(payload + KD_OFF_LEADER) == 0 &&
        kd_le16(payload + KD_OFF_TYPE) == KD_TYPE_UNUSED && kd_le16(payload + KD_OFF_BYTE_COUNT) == 0)
        return KDNET_KIND_UNUSED;
    if (len >= 4) {
        uint32_t leader = kd_le32(payload + KD_OFF_LEADER);
        if (leader == KD_PACKET_LEADER || leader == KD_CONTROL_LEADER)
            return KDNET_KIND_KD;
    }
    return KDNET_KIND_UNKNOWN;
}

static void read_endpoint(const uint8_t *p, kdnet_endpoint *ep)
{
    memcpy(ep->addr, p, KDNET_ADDR_SIZE);
    ep->port = (uint16_t)(p[KDNET_ADDR_SIZE] << 8 | p[KDNET_ADDR_SIZE + 1]);
}

kdnet_problem kdnet_decode_poke(const uint8_t *payload, size_t len, kdnet_poke *out)
{
    memset(out, 0, sizeof *out);
    if (len >= KDNET_OFF_CLIENT_RANDOM + KDNET_RANDOM_SIZE)
        out->client_random = payload + KDNET_OFF_CLIENT_RANDOM;
    if (len < KDNET_POKE_MIN_SIZE)
        return KDNET_E_POKE_SHORT;
    for (unsigned i = 0; i < KDNET_POKE_ADDRS; i++)
        read_endpoint(payload + KDNET_OFF_POKE_ADDRS + i * KDNET_ADDR_BLOCK_SIZE, &out->ep[i]);
    return KDNET_OK;
}

kdnet_problem kdnet_decode_response(const uint8_t *payload, size_t len, kdnet_response *out)
{
    memset(out, 0, sizeof *out);
    if (len >= KDNET_OFF_CLIENT_RANDOM + KDNET_RANDOM_SIZE)
        out->client_random = payload + KDNET_OFF_CLIENT_RANDOM;
    if (len >= KDNET_OFF_HOST_RANDOM + KDNET_RANDOM_SIZE)
        out->host_random = payload + KDNET_OFF_HOST_RANDOM;
    if (len < KDNET_RESPONSE_SIZE)
        return KDNET_E_RESPONSE_SHORT;
    out->zeros_ok = 1;
    for (size_t i = KDNET_OFF_HOST_RANDOM + KDNET_RANDOM_SIZE; i < KDNET_RESPONSE_SIZE; i++)
        if (payload[i])
            out->zeros_ok = 0;
    return KDNET_OK;
}

void kdnet_addr_text(const uint8_t addr[KDNET_ADDR_SIZE], char *buf, size_t cap)
{
    static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    char tmp[INET6_ADDRSTRLEN];
    if (memcmp(addr, v4mapped, sizeof v4mapped) == 0)
        snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", addr[12], addr[13], addr[14], addr[15]);
    else if (!inet_ntop(AF_INET6, addr, tmp, sizeof tmp))
        snprintf(tmp, sizeof tmp, "?");
    if (cap)
        snprintf(buf, cap, "%s", tmp);
}
