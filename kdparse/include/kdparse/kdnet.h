/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdparse/kdnet.h - the KDNET layer: KD over encrypted UDP datagrams.
 *
 * Facts from ../shared/reference/kdnet.md.  A datagram is
 *
 *   "MDBG" | version | channel | AES-256-CBC ciphertext (n * 16) | tag (16)
 *
 * the tag is HMAC-SHA256(NOT control key, header || plaintext) truncated to
 * 16 bytes and is also the CBC IV.  Channel 1 (control) is encrypted with the
 * control key (from the user's "a.b.c.d" key), channel 0 (data) with the data
 * key = SHA-256(control key || first 322 bytes of the host's response).  The
 * plaintext is  seq << 8 | flags  (big-endian u64), payload, padding.
 *
 * Three levels, each usable alone:
 *   1. pure parsing, no crypto, no state: kdnet_parse(), kdnet_split(),
 *      kdnet_classify(), kdnet_decode_poke(), kdnet_decode_response(),
 *      kdnet_parse_key(), kdnet_parse_data_key();
 *   2. crypto primitives (libgcrypt): kdnet_hmac(), kdnet_decrypt(),
 *      kdnet_encrypt(), kdnet_derive_data_key(), and the encoder
 *      kdnet_build() / kdnet_build_poke() / kdnet_build_response();
 *   3. one conversation's key state: kdnet_state_new(), add keys, then
 *      kdnet_open() on every datagram in capture order.
 *
 * Contract:
 *   - Nothing reads outside the buffer it is given; every length comes from
 *     the caller.  Datagrams over KDNET_DATAGRAM_MAX bytes are refused
 *     (KDNET_E_TOO_LONG), so a plaintext always fits KDNET_PLAIN_MAX.
 *   - Never refused for its version byte: any version is decoded and named
 *     (kdnet_version_name: 2, 4 and 5 are the known ones).
 *   - Problems are kdnet_problem values with one-line texts
 *     (kdnet_problem_text); a datagram with a problem is still described as
 *     far as it could be read.
 *   - Spans (pointers + lengths) in results point into the caller's
 *     datagram or into the plaintext buffer; they are valid as long as those.
 *   - The crypto functions need libgcrypt: link kdparse_kdnet (CMake
 *     target), not only kdparse.  kdnet_crypto_init() is called by every
 *     function that needs it; it initialises libgcrypt only when the host
 *     program (Wireshark) has not already done so.
 *   - Not thread-safe per state; distinct states are independent.
 */
#ifndef KDPARSE_KDNET_H
#define KDPARSE_KDNET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kdparse/schema.h"
#include "kdparse/wire.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ datagram */

#define KDNET_MAGIC "MDBG"            /* offset 0, 4 bytes */
#define KDNET_MAGIC_SIZE 4u
#define KDNET_OFF_VERSION 4u
#define KDNET_OFF_CHANNEL 5u
#define KDNET_HEADER_SIZE 6u          /* magic + version + channel */
#define KDNET_TAG_SIZE 16u            /* truncated HMAC-SHA256; also the CBC IV */
#define KDNET_BLOCK_SIZE 16u          /* AES block: the ciphertext is a multiple of it */
#define KDNET_KEY_SIZE 32u            /* control key, data key (AES-256) */
/* Smallest datagram: header, one block (the 8-byte seq/flags word needs
 * one), tag. */
#define KDNET_DATAGRAM_MIN (KDNET_HEADER_SIZE + KDNET_BLOCK_SIZE + KDNET_TAG_SIZE)
#define KDNET_DATAGRAM_MAX 65536u     /* larger than any UDP payload */
#define KDNET_PLAIN_MAX (KDNET_DATAGRAM_MAX - KDNET_HEADER_SIZE - KDNET_TAG_SIZE)

/* Known version bytes (none differs in layout or key derivation). */
#define KDNET_VERSION_2 2u            /* Windows 8.1, libKDNET's vectors */
#define KDNET_VERSION_4 4u            /* Windows 10 10586, the real capture */
#define KDNET_VERSION_5 5u            /* AeroCTF 2021 kek.pcap */

enum kdnet_channel {
    KDNET_CHANNEL_DATA = 0,           /* KD packets, data key */
    KDNET_CHANNEL_CONTROL = 1         /* poke / response, control key */
};

/* ------------------------------------------------------------ plaintext */

#define KDNET_SEQ_SIZE 8u             /* big-endian u64: seq << 8 | flags */
#define KDNET_SEQ_SHIFT 8u
#define KDNET_FLAG_D2T 0x80u          /* set: debugger -> target */
#define KDNET_FLAG_PAD_MASK 0x0Fu     /* number of padding bytes at the end */

/* ------------------------------------------------------------ control channel */

#define KDNET_MSG_CLASS 0x01u         /* first payload byte of both messages */
#define KDNET_MSG_POKE 0x01u          /* second byte: the target's offer */
#define KDNET_MSG_RESPONSE 0x02u      /* second byte: the host's reply */
#define KDNET_RANDOM_SIZE 32u         /* client random, host random */
#define KDNET_OFF_CLIENT_RANDOM 2u
#define KDNET_OFF_HOST_RANDOM 34u     /* response only */
#define KDNET_OFF_POKE_ADDRS 34u      /* poke: three address blocks */
#define KDNET_ADDR_SIZE 16u           /* IPv4-mapped IPv6 address */
#define KDNET_ADDR_BLOCK_SIZE 18u     /* address + big-endian port */
#define KDNET_POKE_ADDRS 3u           /* target, host, third (zero at first, then the host) */
#define KDNET_POKE_MIN_SIZE (KDNET_OFF_POKE_ADDRS + KDNET_POKE_ADDRS * KDNET_ADDR_BLOCK_SIZE)
#define KDNET_RESPONSE_ZEROS 256u     /* zero bytes that end the response */
#define KDNET_RESPONSE_SIZE (KDNET_OFF_HOST_RANDOM + KDNET_RANDOM_SIZE + KDNET_RESPONSE_ZEROS)
/* The data key is SHA-256(control key || this many response payload bytes). */
#define KDNET_DATA_KEY_INPUT KDNET_RESPONSE_SIZE /* 322 */
/* What Windows sends: a poke's payload is 344 bytes (352-byte plaintext, no
 * padding); the response is answered with 6 padding bytes (336). */
#define KDNET_POKE_SIZE 344u

/* ------------------------------------------------------------ data channel */

#define KDNET_BREAKIN_BYTE KD_BREAKIN_BYTE /* break-in: a one-byte payload 0x62 */
/* The UNUSED announcement: a 12-byte KD header, leader 0, type 0
 * (PACKET_TYPE_UNUSED), ByteCount 0, the host's IPv4 address (little-endian)
 * where the id goes, no checksum. */
#define KDNET_UNUSED_SIZE 12u
#define KDNET_UNUSED_OFF_HOST 8u

/* ------------------------------------------------------------ names */

/* What a datagram's payload is. */
typedef enum kdnet_kind {
    KDNET_KIND_UNKNOWN = 0,   /* not readable (no key, bad tag) or not a known message */
    KDNET_KIND_POKE = 1,      /* control: the target's offer */
    KDNET_KIND_RESPONSE = 2,  /* control: the host's reply */
    KDNET_KIND_KD = 3,        /* data: a KD packet (leader "0000" or "iiii") */
    KDNET_KIND_UNUSED = 4,    /* data: the 12-byte UNUSED announcement */
    KDNET_KIND_BREAKIN = 5    /* data: the single byte 0x62 */
} kdnet_kind;

typedef enum kdnet_hmac_status {
    KDNET_HMAC_UNCHECKED = 0, /* no key, no data key, or the datagram is malformed */
    KDNET_HMAC_GOOD = 1,
    KDNET_HMAC_BAD = 2        /* wrong key or a corrupted datagram */
} kdnet_hmac_status;

/* The first problem found in a datagram (0 = none). */
typedef enum kdnet_problem {
    KDNET_OK = 0,
    KDNET_E_SHORT,           /* shorter than header + one block + tag */
    KDNET_E_TOO_LONG,        /* over KDNET_DATAGRAM_MAX */
    KDNET_E_MAGIC,           /* does not start with "MDBG" */
    KDNET_E_UNALIGNED,       /* ciphertext not a multiple of 16 */
    KDNET_E_CHANNEL,         /* channel byte neither 0 nor 1 */
    KDNET_E_NO_KEY,          /* no control key given */
    KDNET_E_NO_DATA_KEY,     /* data channel, no handshake seen and no data key given */
    KDNET_E_BAD_TAG,         /* the tag does not verify with any key */
    KDNET_E_PAD,             /* padding longer than the plaintext after the seq word */
    KDNET_E_POKE_SHORT,      /* a poke cut short (under 88 bytes) */
    KDNET_E_RESPONSE_SHORT,  /* a response under 322 bytes */
    KDNET_E_CRYPTO,          /* libgcrypt failed (version too old, out of memory) */
    KDNET_E__COUNT
} kdnet_problem;

/* One line, no trailing period: "ciphertext is not a multiple of 16 bytes". */
const char *kdnet_problem_text(kdnet_problem p);
/* "data", "control", or NULL. */
const char *kdnet_channel_name(unsigned channel);
/* "2 (Windows 8.1)", ..., or NULL for a version not seen yet. */
const char *kdnet_version_name(unsigned version);
/* "good", "bad", "unchecked". */
const char *kdnet_hmac_status_name(kdnet_hmac_status s);
/* "poke", "response", "kd", "unused", "breakin", "unknown". */
const char *kdnet_kind_name(kdnet_kind k);

/* ------------------------------------------------------------ keys */

/*
 * Parses the key WinDbg shows, "a.b.c.d": four base-36 numbers (0-9, a-z,
 * either case), each written as a little-endian u64, into the 32-byte
 * control key.  Returns 0, or -1 with a one-line reason in *why ("part 2 is
 * empty", "bad character 'x' in part 1", "part 3 is larger than 2^64-1",
 * "3 parts, a key has 4").  why may be NULL.
 */
int kdnet_parse_key(const char *text, uint8_t key[KDNET_KEY_SIZE], const char **why);
/* Parses a data key given directly: 64 hex digits, either case. */
int kdnet_parse_data_key(const char *text, uint8_t key[KDNET_KEY_SIZE], const char **why);

/* ------------------------------------------------------------ level 1: parsing */

typedef struct kdnet_datagram {
    uint8_t version;
    uint8_t channel;
    const uint8_t *header;      /* the datagram's first 6 bytes (HMAC input) */
    const uint8_t *ciphertext;
    size_t ciphertext_len;
    const uint8_t *tag;         /* KDNET_TAG_SIZE bytes, NULL when too short */
} kdnet_datagram;

/* True when buf starts with "MDBG" (the heuristic: no port needed). */
int kdnet_is_kdnet(const uint8_t *buf, size_t len);

/*
 * Splits a datagram.  Fills as much of *out as the bytes allow (version and
 * channel from 6 bytes on, the tag from 22) and returns the first problem:
 * SHORT, TOO_LONG, MAGIC, UNALIGNED, CHANNEL, or OK.
 */
kdnet_problem kdnet_parse(const uint8_t *buf, size_t len, kdnet_datagram *out);

typedef struct kdnet_plain {
    uint64_t seq;               /* the big-endian word >> 8 */
    uint8_t flags;
    kd_dir dir;                 /* D2T when KDNET_FLAG_D2T is set */
    unsigned pad;               /* flags & KDNET_FLAG_PAD_MASK */
    const uint8_t *payload;
    size_t payload_len;
} kdnet_plain;

/* Splits a plaintext.  Returns SHORT (under 8 bytes), PAD (padding longer
 * than what follows the seq word: payload is then empty), or OK. */
kdnet_problem kdnet_split(const uint8_t *plain, size_t len, kdnet_plain *out);

/* What a payload is, from its channel and bytes alone. */
kdnet_kind kdnet_classify(unsigned channel, const uint8_t *payload, size_t len);

typedef struct kdnet_endpoint {
    uint8_t addr[KDNET_ADDR_SIZE];  /* as on the wire: IPv4-mapped IPv6 */
    uint16_t port;                  /* host order */
} kdnet_endpoint;

typedef struct kdnet_poke {
    const uint8_t *client_random;   /* KDNET_RANDOM_SIZE bytes */
    kdnet_endpoint ep[KDNET_POKE_ADDRS]; /* target, host, third */
} kdnet_poke;

typedef struct kdnet_response {
    const uint8_t *client_random;   /* echoed from the poke */
    const uint8_t *host_random;
    int zeros_ok;                   /* the 256 bytes after them are all zero */
} kdnet_response;

/* Poke payload (starting "01 01"): POKE_SHORT under 88 bytes, else OK. */
kdnet_problem kdnet_decode_poke(const uint8_t *payload, size_t len, kdnet_poke *out);
/* Response payload (starting "01 02"): RESPONSE_SHORT under 322, else OK. */
kdnet_problem kdnet_decode_response(const uint8_t *payload, size_t len, kdnet_response *out);

/* Writes an endpoint's address as text: "192.168.2.72" for an IPv4-mapped
 * address, else the IPv6 form ("::" for zero).  buf needs 46 bytes. */
void kdnet_addr_text(const uint8_t addr[KDNET_ADDR_SIZE], char *buf, size_t cap);

/* ------------------------------------------------------------ level 2: crypto */

/* Initialises libgcrypt unless the host program already did.  Returns 0,
 * or -1 when libgcrypt is older than the version built against. */
int kdnet_crypto_init(void);

/* tag = HMAC-SHA256(NOT control_key, header[6] || plain) truncated to 16. */
int kdnet_hmac(const uint8_t control_key[KDNET_KEY_SIZE], const uint8_t header[KDNET_HEADER_SIZE],
               const uint8_t *plain, size_t len, uint8_t tag[KDNET_TAG_SIZE]);
/* AES-256-CBC without padding; len a multiple of 16; out may equal in. */
int kdnet_decrypt(const uint8_t key[KDNET_KEY_SIZE], const uint8_t iv[KDNET_TAG_SIZE],
                  const uint8_t *in, size_t len, uint8_t *out);
int kdnet_encrypt(const uint8_t key[KDNET_KEY_SIZE], const uint8_t iv[KDNET_TAG_SIZE],
                  const uint8_t *in, size_t len, uint8_t *out);
/* data key = SHA-256(control_key || response_payload[0..322)). */
int kdnet_derive_data_key(const uint8_t control_key[KDNET_KEY_SIZE],
                          const uint8_t response_payload[KDNET_DATA_KEY_INPUT],
                          uint8_t data_key[KDNET_KEY_SIZE]);

typedef struct kdnet_build_args {
    uint8_t version;
    uint8_t channel;
    uint64_t seq;                   /* low 56 bits are sent */
    kd_dir dir;                     /* D2T sets KDNET_FLAG_D2T */
    const uint8_t *payload;
    size_t payload_len;
    const uint8_t *control_key;     /* signs, and encrypts channel 1 */
    const uint8_t *data_key;        /* encrypts channel 0 (may be NULL for channel 1) */
} kdnet_build_args;

/* Builds a whole datagram: seq word, payload, zero padding to 16, HMAC,
 * AES-256-CBC with the tag as IV.  Returns its length, or 0 when cap is too
 * small, the datagram would exceed KDNET_DATAGRAM_MAX, a key is missing or
 * libgcrypt fails. */
size_t kdnet_build(const kdnet_build_args *a, uint8_t *out, size_t cap);
/* Poke payload (KDNET_POKE_SIZE bytes, zero after the addresses).
 * Returns its length, or 0 when cap is too small. */
size_t kdnet_build_poke(const uint8_t client_random[KDNET_RANDOM_SIZE],
                        const kdnet_endpoint ep[KDNET_POKE_ADDRS], uint8_t *out, size_t cap);
/* Response payload (KDNET_RESPONSE_SIZE bytes). */
size_t kdnet_build_response(const uint8_t client_random[KDNET_RANDOM_SIZE],
                            const uint8_t host_random[KDNET_RANDOM_SIZE], uint8_t *out, size_t cap);

/* ------------------------------------------------------------ level 3: a conversation */

#define KDNET_MAX_KEYS 16u

typedef struct kdnet_state kdnet_state;

/* Counters for the tools' one-line messages. */
typedef struct kdnet_counts {
    uint64_t datagrams;         /* kdnet_open calls */
    uint64_t malformed;         /* problems found before any crypto */
    uint64_t good;              /* tag verified */
    uint64_t bad;               /* tag did not verify */
    uint64_t no_key;            /* not checked: no control key given */
    uint64_t no_data_key;       /* data channel, not checked: no handshake, no data key */
    uint64_t responses;         /* authenticated responses (each sets the data key) */
    uint64_t control, data;     /* datagrams per channel (parsed ones) */
} kdnet_counts;

/* NULL when out of memory. */
kdnet_state *kdnet_state_new(void);
void kdnet_state_free(kdnet_state *s);
/* A candidate control key; returns -1 when KDNET_MAX_KEYS are held. */
int kdnet_state_add_key(kdnet_state *s, const uint8_t control_key[KDNET_KEY_SIZE]);
/* A data key given directly: used until a response sets one. */
void kdnet_state_set_data_key(kdnet_state *s, const uint8_t data_key[KDNET_KEY_SIZE]);
const kdnet_counts *kdnet_state_counts(const kdnet_state *s);
/* The control key in use (the first candidate that authenticated a
 * datagram), or -1 while none has: an index in add order. */
int kdnet_state_key_index(const kdnet_state *s);
/* The data key now in use, or NULL. */
const uint8_t *kdnet_state_data_key(const kdnet_state *s);
/* True when datagrams were opened, keys were given, and none verified:
 * "no datagram authenticated with the key(s) given". */
int kdnet_state_none_authenticated(const kdnet_state *s);
/* True when some data datagram could not be opened for want of a data
 * key: "the data channel needs the handshake or a data key". */
int kdnet_state_needs_data_key(const kdnet_state *s);

typedef struct kdnet_result {
    kdnet_problem problem;      /* the first problem, OK when none */
    kdnet_datagram dg;          /* always filled as far as the bytes allow */
    kdnet_hmac_status hmac;
    uint8_t computed_tag[KDNET_TAG_SIZE]; /* valid when hmac != UNCHECKED */
    const uint8_t *plain;       /* the plaintext (buffer given to kdnet_open), or NULL */
    size_t plain_len;
    int has_plain;              /* plaintext split: seq..payload valid */
    kdnet_plain p;
    kdnet_kind kind;            /* UNKNOWN unless the tag verified */
    /* Channel 0 with a good tag, kinds KD, BREAKIN and UNKNOWN: the bytes
     * to feed the framer in KD_TRANSPORT_KDNET mode (then finish it: one
     * datagram holds one whole KD packet).  NULL otherwise: the UNUSED
     * announcement is not a KD packet the framer knows (it has no leader). */
    const uint8_t *kd;
    size_t kd_len;
    kdnet_poke poke;            /* kind POKE */
    kdnet_response response;    /* kind RESPONSE */
    uint32_t unused_host;       /* kind UNUSED: the host's IPv4 (192.168.2.1 = 0xC0A80201) */
    int sets_data_key;          /* this response set the data key */
} kdnet_result;

/*
 * Opens one datagram of the conversation, in capture order: parse, pick the
 * key (channel 1: control key; channel 0: the current data key), decrypt
 * into buf, verify the tag with NOT(control key), split, classify, decode.
 * While no candidate key has authenticated a datagram every candidate is
 * tried; the first that verifies is kept for the conversation.  An
 * authenticated response sets the data key for the datagrams after it.
 * buf needs KDNET_PLAIN_MAX bytes (or at least len - 22); NULL uses a
 * buffer inside the state, valid until the next call.  Returns r->problem.
 */
kdnet_problem kdnet_open(kdnet_state *s, const uint8_t *dg, size_t len, uint8_t *buf, size_t cap,
                         kdnet_result *r);

/* ------------------------------------------------------------ fields */

/* The kdnet.* fields (fields/kdnet.def): a table of their own, beside
 * kd_fields, because they belong to the KDNET layer (in Wireshark, the
 * kdnet protocol), not to the KD packet.  Types and bases as in
 * schema.h; addresses are marked (Wireshark: FT_IPv6 / FT_IPv4). */
#define KDNET_FIELD(id, abbrev, label, type, base, vals, blurb) KDNET_F_##id,
#define KDNET_ADDRESS(id, abbrev, label, blurb) KDNET_F_##id,
#define KDNET_IPV4(id, abbrev, label, blurb) KDNET_F_##id,
typedef enum kdnet_field_id {
#include "kdparse/fields/kdnet.def"
    KDNET_F__COUNT
} kdnet_field_id;
#undef KDNET_FIELD
#undef KDNET_ADDRESS
#undef KDNET_IPV4

enum kdnet_address {
    KDNET_NOT_ADDRESS = 0,
    KDNET_ADDRESS_IPV4 = 4,     /* KD_FT_UINT32 holding an IPv4 address (192.168.2.1 = 0xC0A80201) */
    KDNET_ADDRESS_IPV6 = 6      /* KD_FT_BYTES of 16 bytes: an IPv6 (IPv4-mapped) address */
};

typedef struct kdnet_field {
    kd_field f;                 /* abbrev, label, type, base, vals, blurb */
    int address;                /* enum kdnet_address: show the value as an address */
} kdnet_field;

extern const kdnet_field kdnet_fields[KDNET_F__COUNT];

/*
 * A result as a list of fields, for every renderer (kdcat's text and JSON,
 * the dissector's tree): one node per value, in datagram order, poke and
 * response members at depth 1 under their subtree node.  Offsets are in the
 * datagram, or in the plaintext when in_plain; generated nodes (hmac.status,
 * kind, response.zeros_ok) have no bytes.  kdnet.payload is listed only for
 * kind UNKNOWN (the KD packet of kind KD goes to the KD decoders).
 */
typedef struct kdnet_node {
    uint16_t field;             /* kdnet_field_id */
    uint8_t depth;
    uint8_t in_plain;
    uint8_t generated;
    uint32_t offset, length;
    uint64_t value;             /* integer fields */
    const uint8_t *data;        /* bytes and IPv6 address fields */
} kdnet_node;

#define KDNET_MAX_NODES 32u

/* Fills out[] (at most max nodes) and returns the count. */
size_t kdnet_nodes(const kdnet_result *r, kdnet_node *out, size_t max);

/* The value of a node as text: numbers by base and value table ("1 (control)"),
 * addresses as addresses, bytes as hex (cut at 32 bytes).  Returns strlen. */
size_t kdnet_node_format(const kdnet_node *n, char *buf, size_t cap);

/* One line for a summary or the Info column: "KDNET v4 control t2d seq 1:
 * poke 192.168.2.72:51111 -> 192.168.2.1:50000", "... data d2t seq 5:
 * break-in", "... unused announcement (host 192.168.2.1)", "... response
 * (sets the data key)", or the problem's text. */
size_t kdnet_summary(const kdnet_result *r, char *buf, size_t cap);

/* Writes ,"kdnet.version":4,... for every node but kdnet.magic and
 * kdnet.ciphertext (design.md's JSON rules: 64-bit values as "0x" strings,
 * bytes as hex strings, booleans as numbers, addresses as strings), for a
 * consumer that writes the rest of the line. */
void kdnet_print_json_fields(FILE *out, const kdnet_result *r);
/* The same into buf (NUL-terminated, cut at cap - 1); returns the length. */
size_t kdnet_json_fields(const kdnet_result *r, char *buf, size_t cap);

/* Value tables (kdparse/src/vals.c). */
extern const kd_val kdnet_vals_channel[];
extern const kd_val kdnet_vals_version[];
extern const kd_val kdnet_vals_direction[];   /* 0 t2d, 1 d2t (the flag bit) */
extern const kd_val kdnet_vals_hmac_status[];
extern const kd_val kdnet_vals_kind[];

#ifdef __cplusplus
}
#endif

#endif
