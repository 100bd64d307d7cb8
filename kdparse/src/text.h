/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal: the small text module every renderer writes through.
 *
 * sbuf is a bounded string builder (summary line, node values); jw is a
 * buffered JSON writer over a FILE.  The hot appenders are static inline
 * here so each renderer keeps them inlined; the escapers (text as a person
 * reads it, UTF-16LE, JSON strings) are in text.c.
 */
#ifndef KDPARSE_TEXT_H
#define KDPARSE_TEXT_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ a bounded string builder */

typedef struct sbuf {
    char *p;
    size_t n, len;
} sbuf;

void sb_printf(sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* printf-free appenders for the summary, the hot path of every renderer. */
static inline void sb_str(sbuf *s, const char *t)
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

static inline void sb_hex(sbuf *s, uint64_t v, int width)
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

static inline void sb_dec(sbuf *s, uint64_t v)
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
void sb_text(sbuf *s, const uint8_t *p, size_t len, size_t max);
/* UTF-16LE text (BMP; other code units shown as escapes). */
void sb_utf16(sbuf *s, const uint8_t *p, size_t len, size_t max);

/* ------------------------------------------------------------ JSON */


/* JSON goes through a local buffer with hand-made number formatting:
 * printf and per-character stdio calls dominated kdcat --json. */
typedef struct jw {
    FILE *out;
    size_t len;
    char buf[8192];
} jw;

static inline void jw_flush(jw *w)
{
    fwrite(w->buf, 1, w->len, w->out);
    w->len = 0;
}

static inline void jw_put(jw *w, const char *p, size_t n)
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

static inline void jw_str(jw *w, const char *t)
{
    jw_put(w, t, strlen(t));
}

static inline void jw_dec(jw *w, uint64_t v)
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

static inline void jw_hex_bytes(jw *w, const uint8_t *p, size_t n)
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

/* A JSON string of 8-bit text (as Latin-1 code points) or of UTF-16LE. */
void json_string_bytes(jw *w, const uint8_t *p, size_t len, int utf16);

#endif
