/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The KD stream framer (kdparse/framer.h).
 *
 * It follows the receiving side of kdcom (reference §3.1-§3.6, ReactOS
 * kdserial.c/kddll.c) so that what we show is what a real endpoint would
 * have seen.  Where the reference leaves room, or where we depart from the
 * receiver on purpose, the choice is written beside the code, marked
 * "Choice:".
 *
 * State machine, one direction:
 *
 *   HUNT --4 identical leader bytes--> HEADER --16 bytes--> control item -> HUNT
 *                                             \--> data: BODY --ByteCount--> TRAILER -> data item -> HUNT
 *
 * In HUNT, bytes that do not build a leader collect into a pending run
 * (noise, or break-in 0x62 bytes), emitted when the run ends.  Pending
 * leader bytes (1-3 identical 0x30/0x69) are held as a count until they
 * either complete a leader or spill into the noise run.
 *
 * Chunk independence: every decision depends only on the bytes, never on
 * where a feed() call ends, and runs are cut at a fixed length, so the
 * items are the same however the input is split.
 */
#include "kdparse/framer.h"

#include <stdlib.h>
#include <string.h>

enum state { ST_HUNT, ST_HEADER, ST_BODY, ST_TRAILER };

struct kd_framer {
    kd_transport transport;
    kd_dir dir;
    kd_item_cb cb;
    void *user;
    uint64_t offset; /* stream offset of the next byte */
    enum state state;

    /* HUNT: pending run of noise or break-in bytes. */
    kd_item_kind run_kind; /* KD_ITEM_NOISE or KD_ITEM_BREAKIN when run_len > 0 */
    size_t run_len;
    uint64_t run_ts, run_off;
    /* HUNT: pending leader bytes, all equal to lead_byte. */
    uint8_t lead_byte;
    unsigned lead_count;
    uint64_t lead_ts, lead_off;

    /* HEADER/BODY/TRAILER: the packet so far. */
    size_t pkt_len;
    uint64_t pkt_ts, pkt_off;
    uint16_t byte_count;
    uint32_t body_sum;

    uint8_t run[KD_RUN_MAX_BYTES];
    uint8_t pkt[KD_ITEM_MAX_BYTES];
};

kd_framer *kd_framer_new(kd_transport transport, kd_dir dir, kd_item_cb cb, void *user)
{
    kd_framer *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->transport = transport;
    f->dir = dir;
    f->cb = cb;
    f->user = user;
    f->state = ST_HUNT;
    return f;
}

void kd_framer_free(kd_framer *f)
{
    free(f);
}

uint64_t kd_framer_offset(const kd_framer *f)
{
    return f->offset;
}

const char *kd_item_kind_name(kd_item_kind kind)
{
    switch (kind) {
    case KD_ITEM_DATA:
        return "data";
    case KD_ITEM_CONTROL:
        return "control";
    case KD_ITEM_BREAKIN:
        return "breakin";
    case KD_ITEM_NOISE:
        return "noise";
    case KD_ITEM_TRUNCATED:
        return "truncated";
    }
    return "?";
}

static int is_leader_byte(uint8_t b)
{
    return b == KD_PACKET_LEADER_BYTE || b == KD_CONTROL_LEADER_BYTE;
}

/* ------------------------------------------------------------ runs (HUNT) */

static void emit_run(kd_framer *f)
{
    if (f->run_len == 0)
        return;
    kd_item it = {
        .kind = f->run_kind,
        .dir = f->dir,
        .offset = f->run_off,
        .ts_ns = f->run_ts,
        .bytes = f->run,
        .len = f->run_len,
    };
    f->run_len = 0;
    f->cb(&it, f->user);
}

static void run_append(kd_framer *f, kd_item_kind kind, uint8_t b, uint64_t ts, uint64_t off)
{
    if (f->run_len > 0 && f->run_kind != kind)
        emit_run(f);
    if (f->run_len == 0) {
        f->run_kind = kind;
        f->run_ts = ts;
        f->run_off = off;
    }
    f->run[f->run_len++] = b;
    /* Choice: long runs are cut at a fixed size so memory stays bounded
     * and the cut does not depend on how the input was chunked. */
    if (f->run_len == KD_RUN_MAX_BYTES)
        emit_run(f);
}

/* Leader bytes that did not make a leader are noise (§3.2: "the first byte
 * of a different kind restarts the count"; "any other byte resets"). */
static void spill_leader(kd_framer *f)
{
    for (unsigned i = 0; i < f->lead_count; i++)
        run_append(f, KD_ITEM_NOISE, f->lead_byte, f->lead_ts, f->lead_off + i);
    f->lead_count = 0;
}

/* ------------------------------------------------------------ packets */

static void fill_header(const kd_framer *f, kd_item *it)
{
    it->leader = kd_le32(f->pkt + KD_OFF_LEADER);
    if (f->pkt_len < KD_PACKET_HEADER_SIZE)
        return;
    it->has_header = 1;
    it->type = kd_le16(f->pkt + KD_OFF_TYPE);
    it->byte_count = kd_le16(f->pkt + KD_OFF_BYTE_COUNT);
    it->id = kd_le32(f->pkt + KD_OFF_ID);
    it->checksum = kd_le32(f->pkt + KD_OFF_CHECKSUM);
}

static void emit_packet(kd_framer *f, kd_item_kind kind, uint32_t flags)
{
    kd_item it = {
        .kind = kind,
        .dir = f->dir,
        .flags = flags,
        .offset = f->pkt_off,
        .ts_ns = f->pkt_ts,
        .bytes = f->pkt,
        .len = f->pkt_len,
    };
    fill_header(f, &it);
    if (kind != KD_ITEM_CONTROL && it.leader == KD_PACKET_LEADER && f->pkt_len > KD_PACKET_HEADER_SIZE) {
        size_t body_len = f->pkt_len - KD_PACKET_HEADER_SIZE;
        if (body_len > f->byte_count)
            body_len = f->byte_count;
        it.body = f->pkt + KD_PACKET_HEADER_SIZE;
        it.body_len = body_len;
        it.computed_checksum = f->body_sum;
        if (f->pkt_len > KD_PACKET_HEADER_SIZE + body_len) {
            it.has_trailer = 1;
            it.trailer = f->pkt[KD_PACKET_HEADER_SIZE + body_len];
        }
    }
    /* §1.10: verified only when the whole body was read. */
    if (kind == KD_ITEM_DATA && !(flags & KD_ITEM_OVERSIZE) && it.computed_checksum != it.checksum)
        it.flags |= KD_ITEM_BAD_CHECKSUM;
    f->pkt_len = 0;
    f->state = ST_HUNT;
    f->cb(&it, f->user);
}

/* The body is complete: a serial packet still expects its trailer. */
static void body_done(kd_framer *f)
{
    if (f->transport == KD_TRANSPORT_KDNET)
        emit_packet(f, KD_ITEM_DATA, 0);
    else
        f->state = ST_TRAILER;
}

static void header_done(kd_framer *f)
{
    if (f->pkt[0] == KD_CONTROL_LEADER_BYTE) {
        /* Control packets are header only, whatever their ByteCount says
         * (§3.1, kddll.c:43-58).  Choice: we always take all 16 bytes,
         * although the ReactOS receiver stops reading after PacketType when
         * it sees RESEND (§3.2); the sender always writes 16. */
        emit_packet(f, KD_ITEM_CONTROL, 0);
        return;
    }
    f->byte_count = kd_le16(f->pkt + KD_OFF_BYTE_COUNT);
    f->body_sum = 0;
    if (f->byte_count > KD_PACKET_MAX_SIZE) {
        /* §3.6: the receiver answers RESEND without reading a body and
         * goes back to hunting for a leader; the body bytes that follow
         * are then noise to it, and so they are to us. */
        emit_packet(f, KD_ITEM_DATA, KD_ITEM_OVERSIZE);
        return;
    }
    /* Choice: a ByteCount smaller than the header of its packet type is
     * not a framing matter (the framer knows no header sizes); the decoder
     * flags it. */
    if (f->byte_count == 0)
        body_done(f);
    else
        f->state = ST_BODY;
}

/* ------------------------------------------------------------ feeding */

static void hunt_byte(kd_framer *f, uint8_t b, uint64_t ts, uint64_t off)
{
    if (is_leader_byte(b)) {
        if (f->lead_count > 0 && b == f->lead_byte) {
            f->lead_count++;
        } else {
            spill_leader(f);
            f->lead_byte = b;
            f->lead_count = 1;
            f->lead_ts = ts;
            f->lead_off = off;
        }
        if (f->lead_count == 4) {
            emit_run(f);
            memset(f->pkt, b, 4);
            f->pkt_len = 4;
            f->pkt_ts = f->lead_ts;
            f->pkt_off = f->lead_off;
            f->lead_count = 0;
            f->state = ST_HEADER;
        }
    } else if (b == KD_BREAKIN_BYTE) {
        /* §3.2: a 0x62 seen while hunting is a break-in request. */
        spill_leader(f);
        run_append(f, KD_ITEM_BREAKIN, b, ts, off);
    } else {
        spill_leader(f);
        run_append(f, KD_ITEM_NOISE, b, ts, off);
    }
}

void kd_framer_feed(kd_framer *f, const uint8_t *buf, size_t len, uint64_t ts_ns)
{
    size_t i = 0;
    while (i < len) {
        uint64_t off = f->offset + i;
        switch (f->state) {
        case ST_HUNT:
            hunt_byte(f, buf[i], ts_ns, off);
            i++;
            break;
        case ST_HEADER: {
            size_t n = KD_PACKET_HEADER_SIZE - f->pkt_len;
            if (n > len - i)
                n = len - i;
            memcpy(f->pkt + f->pkt_len, buf + i, n);
            f->pkt_len += n;
            i += n;
            if (f->pkt_len == KD_PACKET_HEADER_SIZE)
                header_done(f);
            break;
        }
        case ST_BODY: {
            size_t want = KD_PACKET_HEADER_SIZE + f->byte_count - f->pkt_len;
            size_t n = want < len - i ? want : len - i;
            /* Copy, then sum: two simple loops the compiler vectorizes. */
            memcpy(f->pkt + f->pkt_len, buf + i, n);
            f->body_sum += kd_checksum(buf + i, n);
            f->pkt_len += n;
            i += n;
            if (n == want)
                body_done(f);
            break;
        }
        case ST_TRAILER: {
            uint8_t b = buf[i];
            if (b == KD_TRAILING_BYTE) {
                f->pkt[f->pkt_len++] = b;
                i++;
                emit_packet(f, KD_ITEM_DATA, 0);
            } else if (is_leader_byte(b)) {
                /* Choice: the real receiver would swallow this byte as a
                 * bad trailer (§3.6) and so miss a packet that starts
                 * here.  We leave it to start the next item instead, so
                 * a user sees that packet; the tracker shows what the
                 * receiver made of it (RESEND, retransmission). */
                emit_packet(f, KD_ITEM_DATA, KD_ITEM_TRAILER_MISSING);
            } else {
                /* §3.6: a wrong trailer byte is consumed with the packet. */
                f->pkt[f->pkt_len++] = b;
                i++;
                emit_packet(f, KD_ITEM_DATA, KD_ITEM_TRAILER_BAD);
            }
            break;
        }
        }
    }
    f->offset += len;
}

int kd_framer_in_packet(const kd_framer *f)
{
    return f->state != ST_HUNT;
}

int kd_packet_start_plausible(const uint8_t *p, size_t len)
{
    if (len < KD_PACKET_HEADER_SIZE)
        return 0;
    uint32_t leader = kd_le32(p + KD_OFF_LEADER);
    uint16_t type = kd_le16(p + KD_OFF_TYPE), bc = kd_le16(p + KD_OFF_BYTE_COUNT);
    int control = type >= KD_TYPE_ACKNOWLEDGE && type <= KD_TYPE_RESET;
    if (leader == KD_CONTROL_LEADER)
        return control && bc == 0;
    return leader == KD_PACKET_LEADER && !control && type != KD_TYPE_UNUSED && type != KD_TYPE_POLL_BREAKIN &&
           type < KD_TYPE_MAX && bc <= KD_PACKET_MAX_SIZE;
}

uint64_t kd_framer_pending_start(const kd_framer *f)
{
    if (f->state != ST_HUNT)
        return f->pkt_off;
    if (f->run_len > 0)
        return f->run_off; /* the run comes before any pending leader bytes */
    if (f->lead_count > 0)
        return f->lead_off;
    return f->offset;
}


void kd_framer_set_user(kd_framer *f, void *user)
{
    f->user = user;
}

void kd_framer_flush_runs(kd_framer *f)
{
    if (f->state == ST_HUNT)
        emit_run(f);
}

void kd_framer_finish(kd_framer *f)
{
    switch (f->state) {
    case ST_HUNT:
        /* Choice: 1-3 leader bytes at the very end are noise, like an
         * interrupted leader anywhere else; "truncated" needs a leader. */
        spill_leader(f);
        emit_run(f);
        break;
    case ST_HEADER:
    case ST_BODY:
        emit_packet(f, KD_ITEM_TRUNCATED, 0);
        break;
    case ST_TRAILER:
        /* Choice: header and body arrived whole, only the trailer did
         * not: a data item whose trailer is missing, not a truncated one. */
        emit_packet(f, KD_ITEM_DATA, KD_ITEM_TRAILER_MISSING);
        break;
    }
    f->state = ST_HUNT;
}

kd_item kd_item_from_bytes(const uint8_t *bytes, size_t len, kd_item_kind kind, uint32_t flags,
                           kd_dir dir)
{
    kd_item it = {.kind = kind, .dir = dir, .flags = flags, .bytes = bytes, .len = len};
    if (kind == KD_ITEM_BREAKIN || kind == KD_ITEM_NOISE || len < 4)
        return it;
    it.leader = kd_le32(bytes + KD_OFF_LEADER);
    if (len < KD_PACKET_HEADER_SIZE)
        return it;
    it.has_header = 1;
    it.type = kd_le16(bytes + KD_OFF_TYPE);
    it.byte_count = kd_le16(bytes + KD_OFF_BYTE_COUNT);
    it.id = kd_le32(bytes + KD_OFF_ID);
    it.checksum = kd_le32(bytes + KD_OFF_CHECKSUM);
    /* As emit_packet: control packets and oversize ones have no body. */
    if (kind == KD_ITEM_CONTROL || (flags & KD_ITEM_OVERSIZE) || it.leader != KD_PACKET_LEADER ||
        len == KD_PACKET_HEADER_SIZE)
        return it;
    size_t body = len - KD_PACKET_HEADER_SIZE;
    it.body = bytes + KD_PACKET_HEADER_SIZE;
    it.body_len = body < it.byte_count ? body : it.byte_count;
    it.computed_checksum = kd_checksum(it.body, it.body_len);
    if (len > KD_PACKET_HEADER_SIZE + it.body_len) {
        it.has_trailer = 1;
        it.trailer = bytes[len - 1];
    }
    return it;
}
