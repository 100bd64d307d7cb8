/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The text module's out-of-line half (text.h has the rest): printf into a
 * bounded string builder and the escapers, for text a person reads and for
 * JSON strings.
 */
#include "text.h"

#include <stdarg.h>

#include "kdparse/decode.h"

void sb_printf(sbuf *s, const char *fmt, ...)
{
    if (s->n == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    size_t room = s->len < s->n ? s->n - s->len : 0;
    int k = vsnprintf(s->p + s->len, room, fmt, ap);
    va_end(ap);
    if (k > 0)
        s->len += (size_t)k;
    if (s->len >= s->n)
        s->len = s->n - 1;
}

/* Text as a person can read it: printable ASCII, escapes for the rest. */
void sb_text(sbuf *s, const uint8_t *p, size_t len, size_t max)
{
    size_t shown = 0;
    for (size_t i = 0; i < len && p[i]; i++) {
        if (shown >= max) {
            sb_printf(s, "...");
            return;
        }
        uint8_t ch = p[i];
        if (ch == '\n')
            sb_printf(s, "\\n");
        else if (ch == '\r')
            sb_printf(s, "\\r");
        else if (ch == '\t')
            sb_printf(s, "\\t");
        else if (ch == '"' || ch == '\\')
            sb_printf(s, "\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7F)
            sb_printf(s, "\\x%02x", ch);
        else
            sb_printf(s, "%c", ch);
        shown++;
    }
}

/* UTF-16LE text (BMP; other code units shown as escapes). */
void sb_utf16(sbuf *s, const uint8_t *p, size_t len, size_t max)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        uint16_t u = kd_le16(p + i);
        if (u == 0)
            return;
        if (i / 2 >= max) {
            sb_printf(s, "...");
            return;
        }
        if (u >= 0x20 && u < 0x7F && u != '"' && u != '\\')
            sb_printf(s, "%c", (char)u);
        else
            sb_printf(s, "\\u%04x", u);
    }
}

void json_string_bytes(jw *w, const uint8_t *p, size_t len, int utf16)
{
    char esc[8];
    jw_put(w, "\"", 1);
    size_t step = utf16 ? 2 : 1;
    for (size_t i = 0; i + step <= len; i += step) {
        uint32_t ch = utf16 ? kd_le16(p + i) : p[i];
        if (ch == 0)
            break;
        if (ch == '"' || ch == '\\') {
            esc[0] = '\\';
            esc[1] = (char)ch;
            jw_put(w, esc, 2);
        } else if (ch < 0x20 || ch == 0x7F || (ch >= 0x80 && !utf16) || (ch >= 0xD800 && ch < 0xE000)) {
            /* Controls; 8-bit text as Latin-1 code points; lone surrogates. */
            snprintf(esc, sizeof esc, "\\u%04x", (unsigned)ch);
            jw_put(w, esc, 6);
        } else if (ch < 0x80) {
            esc[0] = (char)ch;
            jw_put(w, esc, 1);
        } else if (ch < 0x800) {
            esc[0] = (char)(0xC0 | (ch >> 6));
            esc[1] = (char)(0x80 | (ch & 0x3F));
            jw_put(w, esc, 2);
        } else {
            esc[0] = (char)(0xE0 | (ch >> 12));
            esc[1] = (char)(0x80 | ((ch >> 6) & 0x3F));
            esc[2] = (char)(0x80 | (ch & 0x3F));
            jw_put(w, esc, 3);
        }
    }
    jw_put(w, "\"", 1);
}

void kd_json_print_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}
