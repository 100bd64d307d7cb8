/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the capture reader: the input is a whole file, opened
 * from memory with format detection and read to the end.  Every byte of every
 * record is touched (so ASan sees any record pointing outside the input or
 * the reader's buffers).  Besides memory safety it checks the reader's
 * promises and aborts when one breaks: frame numbers grow (records of a
 * network conversation: within the conversation, several may share one),
 * records stay within KDCAP_MAX_BLOCK, errors are one non-empty line and
 * stick, and a raw stream's records concatenate to the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(const char *s)
{
    if (!s || s[0] == '\0' || strchr(s, '\n'))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    kdcap_reader *r = kdcap_open_mem(data, size, KDCAP_FORMAT_AUTO, KD_DIR_T2D, err, sizeof err);
    if (!r) {
        check_line(err);
        return 0;
    }
    kdcap_format format = kdcap_reader_format(r);
    if (format != KDCAP_FORMAT_PCAPNG && format != KDCAP_FORMAT_RAW && format != KDCAP_FORMAT_PCAP)
        abort();
    const char *s = kdcap_section_comment(r);
    volatile size_t sink = s ? strlen(s) : 0;
    for (int d = 0; d < 3; d++) {
        s = kdcap_interface_name(r, (kd_dir)d);
        sink += s ? strlen(s) : 0;
    }

    kdcap_record rec;
    uint64_t last_frame = 0;
    uint32_t last_conv = 0;
    size_t raw_at = 0;
    int rc;
    while ((rc = kdcap_next(r, &rec)) == 1) {
        int net = rec.conv != 0;
        if ((net ? rec.conv == last_conv && rec.frame < last_frame : rec.frame <= last_frame) ||
            rec.len > KDCAP_MAX_BLOCK || (rec.len && !rec.bytes) ||
            (rec.dir != KD_DIR_D2T && rec.dir != KD_DIR_T2D && rec.dir != KD_DIR_UNKNOWN) ||
            (net && rec.carrier == KDCAP_CARRIER_ITEM) || rec.side > 1)
            abort();
        last_frame = rec.frame;
        last_conv = rec.conv;
        uint8_t acc = 0;
        for (size_t i = 0; i < rec.len; i++)
            acc ^= rec.bytes[i];
        sink += acc;
        if (format == KDCAP_FORMAT_RAW) {
            if (rec.dir != KD_DIR_T2D || rec.ts_ns != 0 || rec.len > size - raw_at ||
                memcmp(rec.bytes, data + raw_at, rec.len) != 0)
                abort();
            raw_at += rec.len;
        }
    }
    if (rc == -1) {
        check_line(kdcap_error(r));
        if (kdcap_next(r, &rec) != -1)
            abort();
    } else if (rc != 0 || kdcap_next(r, &rec) != 0) {
        abort();
    } else if (format == KDCAP_FORMAT_RAW && raw_at != size) {
        abort();
    }
    (void)sink;
    kdcap_close(r);
    return 0;
}
