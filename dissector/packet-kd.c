/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * packet-kd.c - Wireshark dissector for the Windows kernel debugger
 * protocol (KD), a thin layer over kdparse.
 *
 * Every field, offset, name and value table comes from kdparse's schema:
 * this file only turns decoded nodes into proto_tree items, problems into
 * expert infos, session annotations into frame links, and keeps the
 * per-file state.
 *
 * Carriers: kdscope pcapng records (exported PDU, dissector name "kd"), and
 * raw KD bytes in TCP or UDP payloads via Decode As.  Each direction of a
 * carrier is one byte stream fed to a kdparse framer on the first pass; the
 * items a record completes are stored with that record (copies, so a
 * packet split across records or segments is reassembled), decoded, and fed
 * to the session tracker.  Later passes show the stored items.
 */
#define WS_BUILD_DLL
#include <wireshark.h>
#include "ws_compat.h"

#include <epan/conversation.h>
#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/prefs-int.h> /* prefs_get_bool_value: reads TCP's reassembly preferences */
#include <epan/tap.h>

#include "kdparse/decode.h"
#include "kdparse/framer.h"
#include "kdparse/modmap.h"
#include "kdparse/problems.h"
#include "kdparse/step.h"
#include "kdparse/wire.h"
#include "packet-kd.h"

static int proto_kd = -1;
static int hf_kd[KD_F__COUNT];
/* A bitmask field's bits, one boolean each, from its flag table (GetVersion
 * Flags, ReportFlags): hf_bits[field][k] is the k-th named bit. */
static int *hf_bits[KD_F__COUNT];
static guint n_bits[KD_F__COUNT];
static gint ett_kd = -1;
static gint ett_field[KD_F__COUNT];
static dissector_handle_t kd_handle;
static int kd_tap = -1;

/* ------------------------------------------------------------ preferences */

static gint pref_arch = KD_ARCH_UNKNOWN;
static gint pref_width = 0;
static kd_ws_bool pref_check_checksum = TRUE;

/* kdparse's architectures (kd_vals_arch), "unknown" offered as "auto". */
static const enum_val_t *arch_enum_of(void)
{
    size_t n = 0;
    while (kd_vals_arch[n].name)
        n++;
    enum_val_t *e = g_new0(enum_val_t, n + 1);
    for (size_t i = 0; i < n; i++) {
        const kd_val *v = &kd_vals_arch[i];
        e[i].value = (gint)v->value;
        e[i].name = v->value == KD_ARCH_UNKNOWN ? "auto" : v->name;
        e[i].description = v->value == KD_ARCH_UNKNOWN ? "Infer from the session" : v->name;
    }
    return e;
}

static const enum_val_t width_enum[] = {
    {"auto", "Infer from the session", 0},
    {"32", "32-bit (NT4/2000)", 32},
    {"64", "64-bit", 64},
    {NULL, NULL, 0},
};

/* ------------------------------------------------------------ expert infos */

/* One per line of kdparse's problem table (fields/problems.def), named
 * kd.expert.<name>: declared, registered and raised in one loop each. */
static expert_field ei_kd[KD_P__COUNT];

/* ------------------------------------------------------------ per-file state */

/* Tracker keys (kd_step_key): a record (a TCP segment of 64 KiB holds
 * thousands of ACKs) may give up to MAX_ITEMS items. */
#define MAX_ITEMS KD_STEP_INDEX_MAX

/*
 * One item, as the first pass framed and decoded it, kept small (56 bytes):
 * a capture holds millions, and the memory they take is most of what the
 * plugin costs tshark.  Its bytes are read back from the record (or from a
 * copy, kept aside, when it was reassembled across records) and its header
 * fields re-read from them; session links are kept as frame numbers.
 */
typedef struct stored_item {
    gint32 tvb_offset;   /* where it lies in the record's tvb, or -1 */
    guint16 len;
    guint16 index;       /* its place among its record's items: the tracker's key is kd_step_key(frame, index) */
    guint8 kind, flags;
    guint8 arch;         /* the view used on the first pass */
    guint8 bits;         /* SI_* */
    guint32 ack_in, acks, response_in, request_in, retransmission_of, duplicate_of;
    guint32 reset_epoch, problems, request_api;
    guint64 response_time_ns;
} stored_item;

G_STATIC_ASSERT(sizeof(stored_item) == 56);

#define SI_DIR 0x03u      /* kd_dir */
#define SI_WIDTH32 0x04u  /* decoded with the 32-bit layout (else 64) */
#define SI_COPY 0x08u     /* its bytes are in g_file->copies, not in its record */
#define SI_AWAITS 0x10u   /* a request still awaiting its response (kd_annot.awaits_response) */

static kd_dir si_dir(const stored_item *s)
{
    return (kd_dir)(s->bits & SI_DIR);
}

static guint8 si_width(const stored_item *s)
{
    return s->bits & SI_WIDTH32 ? 32 : 64;
}

/* A record's items: a view into g_file->items (valid until items are
 * stored again). */
typedef struct frame_items {
    guint n;
    stored_item *items;
} frame_items;

/* Where a record's items are in g_file->items, and whose session they are. */
typedef struct frame_slot {
    guint32 first;
    guint32 n_plus_1; /* 0: the record was not seen yet */
    guint32 session;  /* index in g_file->sessions */
    guint32 deseg_plus_1; /* TCP: where this record asked for the next segment, + 1; 0: it did not */
} frame_slot;

/* One session: the records of a kdscope file, or one TCP/UDP conversation
 * (a new connection is a new session: its architecture is learned again). */
typedef struct kd_session {
    kd_step *step;       /* its decode-and-track step (its tracker) */
    kd_modmap *mods;     /* its modules: fed on the first pass in time order, kept whole for later passes */
    guint32 index;       /* in g_file->sessions */
    guint32 epoch;       /* the latest item's reset epoch */
} kd_session;

/* One direction of one carrier: a byte stream. */
typedef struct stream {
    kd_framer *framer;
    kd_session *sess;
    int records_are_items;  /* exported-PDU records: one item each */
    int desegment;          /* TCP with out-of-order reassembly: TCP hands the stream in order */
    guint32 deseg_skip;     /* bytes the next record repeats (already fed) */
    guint32 open_frame;     /* the record that left a packet unfinished, or 0 */
    guint64 open_start;     /* its first byte's stream offset */
} stream;

typedef struct kd_file {
    GArray *items;       /* of stored_item, every record's in turn */
    GArray *frames;      /* of frame_slot, by record number */
    GHashTable *copies;  /* key (kd_step_key(frame, index)) -> bytes, for SI_COPY items */
    GPtrArray *streams;  /* every stream, to free at the end */
    GPtrArray *sessions; /* every session */
    stream *exported[3]; /* exported-PDU records: one stream per direction */
    kd_session *exported_session;
} kd_file;

static kd_file *g_file;
static guint64 g_msg_key; /* whose decode g_msg holds (0: none) */

/* The first pass collects a record's items here. */
typedef struct collect {
    kd_session *sess;
    guint32 frame;
    guint64 record_start; /* stream offset of the record's first byte */
    gint32 tvb_base;      /* where the record's bytes start in the tvb */
    stored_item *items;   /* small, or grown on the heap for records of many items */
    guint n, cap;
    stored_item small[4];
    int late;             /* items of an earlier record: too late for the tracker */
} collect;

static kd_session *session_new_for(int kdnet)
{
    kd_session *ss = g_new0(kd_session, 1);
    kd_tracker_opts o = {.arch = (kd_arch)pref_arch, .width = (uint8_t)pref_width, .kdnet = kdnet};
    ss->step = kd_step_new(&o);
    ss->mods = kd_modmap_new();
    ss->index = g_file->sessions->len;
    g_ptr_array_add(g_file->sessions, ss);
    return ss;
}

static kd_session *session_new(void)
{
    return session_new_for(0);
}

static void kd_init(void)
{
    g_msg_key = 0;
    g_file = g_new0(kd_file, 1);
    g_file->sessions = g_ptr_array_new();
    g_file->items = g_array_new(FALSE, FALSE, sizeof(stored_item));
    g_file->frames = g_array_new(FALSE, TRUE, sizeof(frame_slot));
    g_file->copies = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    g_file->streams = g_ptr_array_new();
}

static void kd_cleanup(void)
{
    if (!g_file)
        return;
    for (guint i = 0; i < g_file->streams->len; i++) {
        stream *s = g_ptr_array_index(g_file->streams, i);
        kd_framer_free(s->framer);
        g_free(s);
    }
    g_ptr_array_free(g_file->streams, TRUE);
    g_array_free(g_file->items, TRUE);
    g_array_free(g_file->frames, TRUE);
    g_hash_table_destroy(g_file->copies);
    for (guint i = 0; i < g_file->sessions->len; i++) {
        kd_session *ss = g_ptr_array_index(g_file->sessions, i);
        kd_step_free(ss->step);
        kd_modmap_free(ss->mods);
        g_free(ss);
    }
    g_ptr_array_free(g_file->sessions, TRUE);
    g_free(g_file);
    g_file = NULL;
}

static void on_item(const kd_item *it, void *user);

static void collect_init(collect *c, kd_session *sess, guint32 frame)
{
    memset(c, 0, sizeof *c);
    c->sess = sess;
    c->frame = frame;
    c->items = c->small;
    c->cap = G_N_ELEMENTS(c->small);
}

static void collect_free(collect *c)
{
    if (c->items != c->small)
        g_free(c->items);
}

static void collect_add(collect *c, const stored_item *s)
{
    if (c->n == c->cap) {
        stored_item *grown = g_new(stored_item, c->cap * 2);
        memcpy(grown, c->items, c->n * sizeof *grown);
        collect_free(c);
        c->items = grown;
        c->cap *= 2;
    }
    c->items[c->n++] = *s;
}

/* The items of record num, or FALSE when it was not seen yet. */
static gboolean frame_get(guint32 num, frame_items *fi)
{
    if (num >= g_file->frames->len)
        return FALSE;
    const frame_slot *fs = &g_array_index(g_file->frames, frame_slot, num);
    if (!fs->n_plus_1)
        return FALSE;
    fi->n = fs->n_plus_1 - 1;
    fi->items = fi->n ? &g_array_index(g_file->items, stored_item, fs->first) : NULL;
    return TRUE;
}

/* The session of a record already seen. */
static kd_session *frame_session(guint32 num)
{
    const frame_slot *fs = &g_array_index(g_file->frames, frame_slot, num);
    return g_ptr_array_index(g_file->sessions, fs->session);
}

static const guint8 *copy_get(guint64 key)
{
    return g_hash_table_lookup(g_file->copies, &key);
}

static void copy_put(guint64 key, const guint8 *bytes, guint len)
{
    guint64 *k = g_new(guint64, 1);
    *k = key;
    g_hash_table_replace(g_file->copies, k, g_memdup2(bytes, len));
}

/* Tracker annotations in and out of the compact form (frame numbers). */
static void annot_store(stored_item *s, const kd_annot *a)
{
    s->ack_in = (guint32)kd_step_key_frame(a->ack_in);
    s->acks = (guint32)kd_step_key_frame(a->acks);
    s->response_in = (guint32)kd_step_key_frame(a->response_in);
    s->request_in = (guint32)kd_step_key_frame(a->request_in);
    s->retransmission_of = (guint32)kd_step_key_frame(a->retransmission_of);
    s->duplicate_of = (guint32)kd_step_key_frame(a->duplicate_of);
    s->reset_epoch = a->reset_epoch;
    s->problems = a->problems;
    s->request_api = a->request_api;
    s->response_time_ns = a->response_time_ns;
    s->bits = (guint8)((s->bits & ~SI_AWAITS) | (a->awaits_response ? SI_AWAITS : 0u));
}

static kd_annot annot_load(const stored_item *s)
{
    kd_annot a = {
        .ack_in = s->ack_in, .acks = s->acks, .response_in = s->response_in,
        .request_in = s->request_in, .response_time_ns = s->response_time_ns,
        .retransmission_of = s->retransmission_of, .duplicate_of = s->duplicate_of,
        .reset_epoch = s->reset_epoch, .problems = s->problems, .arch = (kd_arch)s->arch,
        .width = si_width(s), .request_api = s->request_api, .awaits_response = (s->bits & SI_AWAITS) != 0,
    };
    return a;
}

/* The framer's item again, from its bytes and the few facts kept. */
static kd_item item_load(const stored_item *s, const guint8 *bytes)
{
    return kd_item_from_bytes(bytes, s->len, (kd_item_kind)s->kind, s->flags, si_dir(s));
}

static stream *stream_new_for(kd_session *sess, kd_dir dir, kd_transport transport)
{
    stream *s = g_new0(stream, 1);
    s->sess = sess;
    s->framer = kd_framer_new(transport, dir, on_item, NULL);
    g_ptr_array_add(g_file->streams, s);
    return s;
}

static stream *stream_new(kd_session *sess, kd_dir dir, collect *c)
{
    stream *s = g_new0(stream, 1);
    s->sess = sess;
    s->framer = kd_framer_new(KD_TRANSPORT_SERIAL, dir, on_item, c);
    g_ptr_array_add(g_file->streams, s);
    return s;
}

/* ------------------------------------------------------------ first pass */

static kd_msg g_msg;   /* decoding scratch: one message at a time */
static kd_item g_item; /* the item g_msg was decoded from on the first pass */

static void refresh(kd_session *sess, guint64 key)
{
    if (!key)
        return;
    frame_items fi;
    const kd_annot *a = kd_step_get(sess->step, key);
    if (a && frame_get((guint32)kd_step_key_frame(key), &fi) && kd_step_key_index(key) < fi.n)
        annot_store(&fi.items[kd_step_key_index(key)], a);
}

static void on_item(const kd_item *it, void *user)
{
    collect *c = user;
    stored_item s;
    memset(&s, 0, sizeof s);
    s.len = (guint16)it->len;
    s.kind = (guint8)it->kind;
    s.flags = (guint8)it->flags;
    s.bits = (guint8)(it->dir & SI_DIR);
    s.index = (guint16)(c->n & MAX_ITEMS);
    guint64 key = kd_step_key(c->frame, s.index);
    s.tvb_offset = it->offset >= c->record_start ? c->tvb_base + (gint32)(it->offset - c->record_start) : -1;
    /* An item that lies in its record is read back from the record's tvb;
     * only one reassembled across records needs its own copy. */
    if (s.tvb_offset < 0 || c->late) {
        s.bits |= SI_COPY;
        copy_put(key, it->bytes, it->len);
    }

    if (c->late) {
        /* The tracker takes frames in order; a cut packet links nothing. */
        kd_step_decode(c->sess->step, it, key, &g_msg);
        s.reset_epoch = c->sess->epoch;
    } else {
        kd_annot a;
        kd_step_item(c->sess->step, it, key, &g_msg, &a);
        annot_store(&s, &a);
        c->sess->epoch = a.reset_epoch;
        if (c->sess->mods)
            kd_modmap_feed(c->sess->mods, &g_msg, c->frame);
    }
    g_msg_key = key;
    g_item = *it;
    s.arch = (guint8)g_msg.arch;
    if (g_msg.width == 32)
        s.bits |= SI_WIDTH32;
    collect_add(c, &s);
}

/* Stores a record's items (again, for a record cut late: the new block
 * replaces the old one, which stays unused) and returns them. */
static frame_items store_items(guint32 frame, const collect *c)
{
    guint n = c->n > MAX_ITEMS ? MAX_ITEMS : c->n;
    if (frame >= g_file->frames->len)
        g_array_set_size(g_file->frames, frame + 1);
    frame_slot *fs = &g_array_index(g_file->frames, frame_slot, frame);
    fs->first = g_file->items->len;
    fs->n_plus_1 = n + 1;
    fs->session = c->sess->index;
    g_array_append_vals(g_file->items, c->items, n);
    frame_items fi;
    frame_get(frame, &fi);
    /* Links to earlier records that these items just created. */
    for (guint i = 0; i < fi.n; i++) {
        const kd_annot *a = kd_step_get(c->sess->step, kd_step_key(frame, i));
        if (!a)
            continue;
        refresh(c->sess, a->acks);
        refresh(c->sess, a->request_in);
        refresh(c->sess, a->retransmission_of);
        refresh(c->sess, a->duplicate_of);
    }
    return fi;
}

/*
 * A TCP/UDP stream that ended inside a packet (the capture stopped): the
 * packet is finished as a truncated item of the record where it began.
 */
static void close_open_record(stream *st)
{
    collect c;
    collect_init(&c, st->sess, st->open_frame);
    c.record_start = st->open_start;
    c.late = TRUE;
    frame_items old;
    if (frame_get(st->open_frame, &old))
        for (guint i = 0; i < old.n; i++)
            collect_add(&c, &old.items[i]);
    kd_framer_set_user(st->framer, &c);
    kd_framer_finish(st->framer);
    kd_framer_set_user(st->framer, NULL);
    store_items(st->open_frame, &c);
    collect_free(&c);
    st->open_frame = 0;
}

/* Feeds a record's bytes to its stream; returns the items it completed. */
static frame_items first_pass(tvbuff_t *tvb, packet_info *pinfo, stream *st)
{
    collect c;
    collect_init(&c, st->sess, pinfo->num);
    kd_framer *f = st->framer;
    c.record_start = kd_framer_offset(f);
    guint len = tvb_captured_length(tvb);
    const guint8 *bytes = tvb_get_ptr(tvb, 0, len);
    guint skip = st->deseg_skip < len ? st->deseg_skip : 0;
    st->deseg_skip = 0;
    /* TCP hands again what this stream asked it to (the start of an
     * unfinished packet, already fed), then the new bytes. */
    c.record_start -= skip;
    bytes += skip;
    len -= skip;
    kd_framer_set_user(f, &c);
    kd_framer_feed(f, bytes, len, (guint64)pinfo->abs_ts.secs * 1000000000u + (guint64)pinfo->abs_ts.nsecs);
    kd_framer_flush_runs(f);
    /* Our records are whole items (design.md), as kdcat reads them: one
     * that ends inside a packet was cut (Ctrl-C, a pulled cable), and is
     * shown so at once, in tshark's single pass too. */
    if (st->records_are_items)
        kd_framer_finish(f);
    kd_framer_set_user(f, NULL);
    guint32 deseg_plus_1 = 0;
    if (st->desegment && pinfo->can_desegment > 0 && kd_framer_pending_start(f) < kd_framer_offset(f) &&
        kd_framer_pending_start(f) > c.record_start) {
        /* A packet goes on in the next segment: TCP hands its bytes again
         * with the next segment's, in sequence order (out-of-order ones
         * held back); the framer keeps them, so they are skipped then, and
         * an unfinished packet is still shown where it began (cut_at_end).
         * Choice: one more segment at a time, the framer knows no more;
         * and only for a packet that starts after the record's first byte
         * (TCP hands a record wholly taken into a reassembly to nobody on
         * later passes, and the packet's cut end would not be shown). */
        deseg_plus_1 = (guint32)(kd_framer_pending_start(f) - c.record_start) + 1;
        st->deseg_skip = (guint32)(kd_framer_offset(f) - kd_framer_pending_start(f));
    }
    if (kd_framer_in_packet(f)) {
        if (!st->open_frame) {
            st->open_frame = pinfo->num;
            st->open_start = c.record_start;
        }
    } else {
        st->open_frame = 0;
    }
    frame_items fi = store_items(pinfo->num, &c);
    collect_free(&c);
    g_array_index(g_file->frames, frame_slot, pinfo->num).deseg_plus_1 = deseg_plus_1;
    return fi;
}

/* A record still unfinished when the capture ended: show it as what it is
 * (TRUE and its items in *fi). */
static gboolean cut_at_end(packet_info *pinfo, stream *st, frame_items *fi)
{
    if (st->open_frame != pinfo->num)
        return FALSE;
    close_open_record(st);
    return frame_get(pinfo->num, fi);
}

/* ------------------------------------------------------------ tree */

/* The problems of one message (kdparse's table), each with the field it is
 * about: its expert info goes on that field's item, else on the packet. */
typedef struct raised {
    guint n;
    guint32 mask; /* bit i: kd_problems[i] */
    struct {
        kd_problem_id id;
        int field; /* kd_field_id, or KD_PF_NONE */
        gboolean done;
    } p[KD_P__COUNT];
} raised;

G_STATIC_ASSERT(KD_P__COUNT <= 32);

static void problems_of(const kd_msg *m, const kd_annot *a, int visited, raised *r)
{
    r->n = 0;
    r->mask = 0;
    if (!kd_problems_any(m, a) && !(visited && a->awaits_response))
        return;
    for (int i = 0; i < KD_P__COUNT; i++) {
        const kd_problem *p = &kd_problems[i];
        /* Without an end-of-capture hook, "no response" is judged once the
         * whole file has been read: on later passes, a request the tracker
         * says still awaits its response. */
        if (!kd_problem_raised(p, m, a) && !(i == KD_P_NO_RESPONSE && visited && a->awaits_response))
            continue;
        r->p[r->n].id = (kd_problem_id)i;
        r->p[r->n].field = kd_problem_field(p, m);
        r->p[r->n].done = FALSE;
        r->n++;
        r->mask |= 1u << i;
    }
}

/* The expert infos about node n's field, on its item pi (once each). */
static void attach_problems(packet_info *pinfo, proto_item *pi, const kd_node *n, raised *r)
{
    for (guint j = 0; j < r->n; j++) {
        if (r->p[j].done || r->p[j].field != (int)n->field)
            continue;
        const kd_problem *p = &kd_problems[r->p[j].id];
        expert_add_info(pinfo, pi, &ei_kd[r->p[j].id]);
        if (p->tag)
            proto_item_append_text(pi, " [%s]", p->tag);
        r->p[j].done = TRUE;
    }
}

/* The rest, about the packet as a whole (or a field the tree lacks), on pi. */
static void add_expert(packet_info *pinfo, proto_item *pi, raised *r)
{
    for (guint j = 0; j < r->n; j++)
        if (!r->p[j].done)
            expert_add_info(pinfo, pi, &ei_kd[r->p[j].id]);
}

static proto_item *add_node(proto_tree *tree, tvbuff_t *tvb, const kd_node *n)
{
    int hf = hf_kd[n->field];
    const kd_field *f = &kd_fields[n->field];
    proto_item *pi;
    if (n->flags & KD_NODE_GENERATED) {
        if (f->type == KD_FT_UINT64)
            pi = proto_tree_add_uint64(tree, hf, tvb, n->offset, 0, n->value);
        else
            pi = proto_tree_add_uint(tree, hf, tvb, n->offset, 0, (guint32)n->value);
        proto_item_set_generated(pi);
        return pi;
    }
    switch (f->type) {
    case KD_FT_NONE:
    case KD_FT_BYTES:
        return proto_tree_add_item(tree, hf, tvb, n->offset, n->length, ENC_NA);
    case KD_FT_STRING:
        return proto_tree_add_item(tree, hf, tvb, n->offset, n->length, ENC_ASCII);
    case KD_FT_UTF16:
        return proto_tree_add_item(tree, hf, tvb, n->offset, n->length, ENC_UTF_16 | ENC_LITTLE_ENDIAN);
    case KD_FT_BOOLEAN:
        return proto_tree_add_boolean(tree, hf, tvb, n->offset, n->length, (guint32)n->value);
    case KD_FT_UINT64:
        return proto_tree_add_uint64(tree, hf, tvb, n->offset, n->length, n->value);
    default:
        break;
    }
    guint32 v = (guint32)n->value;
    if (f->vals && !f->is_bitmask && !kd_val_name(f->vals, v)) {
        /* A value the tables do not name (an unknown packet type, API or
         * state): in hex, whatever the field's base. */
        int digits = f->type == KD_FT_UINT8 ? 2 : f->type == KD_FT_UINT16 ? 4 : 8;
        return proto_tree_add_uint_format_value(tree, hf, tvb, n->offset, n->length, v, "Unknown (0x%0*x)", digits, v);
    }
    pi = proto_tree_add_uint(tree, hf, tvb, n->offset, n->length, v);
    if (n_bits[n->field]) {
        /* A bitmask: each bit its flag table names, set or not. */
        proto_tree *bt = proto_item_add_subtree(pi, ett_field[n->field]);
        for (guint k = 0; k < n_bits[n->field]; k++)
            proto_tree_add_boolean(bt, hf_bits[n->field][k], tvb, n->offset, n->length, v);
    }
    return pi;
}

static void add_session(proto_tree *tree, tvbuff_t *tvb, const kd_annot *a, int data_packet)
{
    proto_item *pi;
    proto_tree *st = proto_tree_add_subtree(tree, tvb, 0, 0, ett_field[KD_F_SESSION], NULL, "Session");
#define LINK(field, key)                                                           \
    if (key) {                                                                      \
        pi = proto_tree_add_uint(st, hf_kd[KD_F_##field], tvb, 0, 0, (guint32)(key));        \
        proto_item_set_generated(pi);                                               \
    }
    LINK(S_ACK_IN, a->ack_in);
    LINK(S_ACKS, a->acks);
    LINK(S_RESPONSE_IN, a->response_in);
    LINK(S_REQUEST_IN, a->request_in);
    LINK(S_RETRANSMISSION_OF, a->retransmission_of);
    LINK(S_DUPLICATE, a->duplicate_of);
#undef LINK
    if (a->request_in) {
        nstime_t t;
        t.secs = (time_t)(a->response_time_ns / 1000000000u);
        t.nsecs = (int)(a->response_time_ns % 1000000000u);
        pi = proto_tree_add_time(st, hf_kd[KD_F_S_RESPONSE_TIME], tvb, 0, 0, &t);
        proto_item_set_generated(pi);
    }
    pi = proto_tree_add_uint(st, hf_kd[KD_F_S_RESET_EPOCH], tvb, 0, 0, a->reset_epoch);
    proto_item_set_generated(pi);
    if (data_packet) {
        /* The views the message was decoded with (as kdcat shows them). */
        pi = proto_tree_add_uint(st, hf_kd[KD_F_S_ARCH], tvb, 0, 0, (guint32)g_msg.arch);
        proto_item_set_generated(pi);
        pi = proto_tree_add_uint(st, hf_kd[KD_F_S_WIDTH], tvb, 0, 0, g_msg.width);
        proto_item_set_generated(pi);
    }
}

/* Under an address a known module holds: its module and offset, generated
 * and filterable (kd.session.module == "nt"), and nt+0x... beside the value. */
static void add_module(proto_item *pi, tvbuff_t *tvb, const kd_modmap *mods, const kd_node *n)
{
    kd_module_hit h;
    if (!mods || !kd_msg_field_is_address(&g_msg, n->field) || kd_modmap_lookup(mods, n->value, &h) != 0)
        return;
    proto_item_append_text(pi, " (%s+0x%" PRIx64 ")", h.mod->name, h.offset);
    proto_tree *mt = proto_item_add_subtree(pi, ett_field[KD_F_SESSION]);
    proto_item *mi = proto_tree_add_string(mt, hf_kd[KD_F_S_MODULE], tvb, n->offset, n->length, h.mod->name);
    proto_item_set_generated(mi);
    mi = proto_tree_add_uint64(mt, hf_kd[KD_F_S_MODULE_OFFSET], tvb, n->offset, n->length, h.offset);
    proto_item_set_generated(mi);
}

/* Shows one stored item: returns its summary for the Info column. */
static void show_item(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, stored_item *s, int visited,
                      char *info, size_t info_size)
{
    /* Without a tree (tshark's one pass, summary lines only) no tvb is
     * needed: the Info column and the expert infos come from the bytes. */
    tvbuff_t *itvb = NULL;
    const guint8 *bytes;
    guint64 key = kd_step_key(pinfo->num, s->index);
    const guint8 *copy = s->bits & SI_COPY ? copy_get(key) : NULL;
    if (!(s->bits & SI_COPY) && s->tvb_offset >= 0 && (guint)s->tvb_offset + s->len <= tvb_captured_length(tvb)) {
        bytes = tvb_get_ptr(tvb, s->tvb_offset, s->len);
        if (tree)
            itvb = tvb_new_subset_length(tvb, s->tvb_offset, s->len);
    } else if (copy) {
        bytes = copy;
        if (tree) {
            itvb = tvb_new_child_real_data(tvb, copy, s->len, s->len);
            add_new_data_source(pinfo, itvb, "Reassembled KD packet");
        }
    } else {
        return; /* cannot happen: an item in its record always fits it */
    }
    kd_session *sess = frame_session(pinfo->num);
    /* Later passes decode with what the first pass learned anywhere in the
     * session (the architecture comes with GetVersion, after the first
     * state change and Continue2). */
    kd_arch arch = (kd_arch)s->arch;
    if (visited && arch == KD_ARCH_UNKNOWN && s->kind == KD_ITEM_DATA)
        arch = kd_step_arch(sess->step);
    kd_item it;
    if (g_msg_key == key && arch == (kd_arch)s->arch) {
        /* Decoded a moment ago by the first pass, from the framer's buffer:
         * point the item and the byte fields at the same bytes here. */
        it = g_item;
        it.bytes = bytes;
        if (it.body)
            it.body = bytes + KD_PACKET_HEADER_SIZE;
        for (guint16 i = 0; i < g_msg.n; i++)
            if (g_msg.nodes[i].data)
                g_msg.nodes[i].data = bytes + g_msg.nodes[i].offset;
    } else {
        it = item_load(s, bytes);
        kd_decode_opts o = {.arch = arch, .width = si_width(s)};
        kd_decode(&it, &o, &g_msg);
        g_msg_key = key;
    }
    /* The checksum preference reaches every rendering, the Info column too. */
    if (!pref_check_checksum)
        it.flags &= ~(uint32_t)KD_ITEM_BAD_CHECKSUM;
    g_msg.item = &it;
    if (visited) {
        const kd_annot *fresh = kd_step_get(sess->step, key);
        if (fresh)
            annot_store(s, fresh);
    }
    kd_annot annot = annot_load(s);
    const kd_annot *a = &annot;
    size_t used = strlen(info);
    if (used && used + 3 < info_size) {
        memcpy(info + used, " | ", 4);
        used += 3;
    }
    char *line = info + used;
    /* Modules as learned so far (first pass) or in the whole session (later passes). */
    kd_msg_summary_mods(&g_msg, a, sess->mods, line, info_size - used);

    raised r;
    problems_of(&g_msg, a, visited, &r);
    if (have_tap_listener(kd_tap)) {
        kd_tap_info *tap = wmem_new0(pinfo->pool, kd_tap_info);
        tap->problems = r.mask;
        tap->kind = s->kind;
        tap->type = g_msg.type;
        tap->api = g_msg.api;
        tap->is_response = g_msg.is_response;
        tap->request_api = a->request_api;
        tap->response_time_ns = a->request_in ? a->response_time_ns : 0;
        tap->has_response_time = a->request_in != 0;
        tap_queue_packet(kd_tap, pinfo, tap);
    }
    if (!tree) {
        /* Nobody looks at the tree; the problems still reach the expert system. */
        add_expert(pinfo, NULL, &r);
        return;
    }
    proto_item *ti = proto_tree_add_item(tree, proto_kd, itvb, 0, -1, ENC_NA);
    proto_item_append_text(ti, ", %s", line);
    proto_tree *kt = proto_item_add_subtree(ti, ett_kd);
    if (si_dir(s) != KD_DIR_UNKNOWN) {
        proto_item *di = proto_tree_add_string(kt, hf_kd[KD_F_DIR], itvb, 0, 0, kd_dir_name(si_dir(s)));
        proto_item_set_generated(di);
    }
    /* ExceptionInformation: the NumberParameters slots that hold
     * parameters are shown, the rest hidden (still there for filters). */
    const kd_node *np = kd_msg_find(&g_msg, KD_F_EXCEPTION_NUMBER_PARAMETERS);
    guint64 info_shown = np ? np->value : G_MAXUINT64, info_slot = 0;
    proto_tree *stack[256];
    stack[0] = kt;
    for (guint16 i = 0; i < g_msg.n; i++) {
        const kd_node *n = &g_msg.nodes[i];
        proto_tree *parent = stack[n->depth];
        proto_item *pi;
        if (n->field == KD_F_CHECKSUM_STATUS && !pref_check_checksum) {
            pi = proto_tree_add_uint(parent, hf_kd[n->field], itvb, n->offset, 0, 2);
            proto_item_set_generated(pi);
        } else {
            pi = add_node(parent, itvb, n);
            add_module(pi, itvb, sess->mods, n);
        }
        if (n->field == KD_F_EXCEPTION_INFORMATION && info_slot++ >= info_shown)
            proto_item_set_hidden(pi);
        if (r.n)
            attach_problems(pinfo, pi, n, &r);
        if (kd_fields[n->field].type == KD_FT_NONE && n->depth + 1 < 256)
            stack[n->depth + 1] = proto_item_add_subtree(pi, ett_field[n->field]);
    }
    add_session(kt, itvb, a, s->kind == KD_ITEM_DATA);
    add_expert(pinfo, ti, &r);
}

static int dissect_stream(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, stream *st, kd_dir dir)
{
    col_set_str(pinfo->cinfo, COL_PROTOCOL, "KD");
    if (dir != KD_DIR_UNKNOWN) {
        col_set_str(pinfo->cinfo, COL_DEF_SRC, dir == KD_DIR_D2T ? "debugger" : "target");
        col_set_str(pinfo->cinfo, COL_DEF_DST, dir == KD_DIR_D2T ? "target" : "debugger");
    }
    int visited = PINFO_FD_VISITED(pinfo);
    frame_items fi;
    gboolean have = frame_get(pinfo->num, &fi);
    if (!have && !visited) {
        fi = first_pass(tvb, pinfo, st);
        have = TRUE;
    }
    if (have) {
        /* Every pass asks TCP for what the first one asked. */
        const frame_slot *fs = &g_array_index(g_file->frames, frame_slot, pinfo->num);
        if (fs->deseg_plus_1) {
            pinfo->desegment_offset = (int)fs->deseg_plus_1 - 1;
            pinfo->desegment_len = DESEGMENT_ONE_MORE_SEGMENT;
        }
    }
    if (have && visited) {
        frame_items cut;
        if (cut_at_end(pinfo, st, &cut))
            fi = cut;
    }
    char info[1024];
    info[0] = '\0'; /* an initialiser would clear 1 KiB a packet */
    if (have) {
        for (guint i = 0; i < fi.n; i++)
            show_item(tvb, pinfo, tree, &fi.items[i], visited, info, sizeof info);
        if (fi.n == 0)
            g_strlcpy(info, "[part of a KD packet]", sizeof info);
    }
    col_add_str(pinfo->cinfo, COL_INFO, info);
    return tvb_captured_length(tvb);
}

static kd_dir dir_of(packet_info *pinfo)
{
    return pinfo->p2p_dir == P2P_DIR_SENT ? KD_DIR_D2T : pinfo->p2p_dir == P2P_DIR_RECV ? KD_DIR_T2D : KD_DIR_UNKNOWN;
}

/* Records of our own pcapng (exported PDU, dissector name "kd"). */
static int dissect_kd(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    kd_dir dir = dir_of(pinfo);
    if (!g_file->exported_session)
        g_file->exported_session = session_new();
    if (!g_file->exported[dir]) {
        g_file->exported[dir] = stream_new(g_file->exported_session, dir, NULL);
        g_file->exported[dir]->records_are_items = TRUE;
    }
    return dissect_stream(tvb, pinfo, tree, g_file->exported[dir], dir);
}

/*
 * Choice: TCP hands the stream in sequence order only through its
 * reassembly (a segment that comes early is held until the gap fills, when
 * "reassemble_out_of_order" is on).  Asking for it costs the cut packet at
 * the very end of a capture (TCP never hands an unfinished reassembly), so
 * it is asked for only when the user has turned out-of-order reassembly on.
 */
static gboolean tcp_reorders(void)
{
    module_t *tcp = prefs_find_module("tcp");
    pref_t *desegment = tcp ? prefs_find_preference(tcp, "desegment_tcp_streams") : NULL;
    pref_t *ooo = tcp ? prefs_find_preference(tcp, "reassemble_out_of_order") : NULL;
    return desegment && ooo && prefs_get_bool_value(desegment, pref_current) && prefs_get_bool_value(ooo, pref_current);
}

/* A TCP/UDP conversation: its session and its two streams. */
typedef struct conv_streams {
    kd_session *sess;
    stream *dir[2];
    guint32 target_port; /* bytes from it are t2d */
} conv_streams;

static dissector_handle_t kd_conv_handle; /* a conversation the heuristic took */

/* Raw KD bytes in TCP or UDP (Decode As): the port the user named is the
 * target's (a VM's serial port exposed as a socket), so bytes from it are t2d. */
static int dissect_conv(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, guint32 target_port)
{
    conversation_t *conv = find_or_create_conversation(pinfo);
    conv_streams *cs = (conv_streams *)conversation_get_proto_data(conv, proto_kd);
    if (!cs) {
        cs = wmem_new0(wmem_file_scope(), conv_streams);
        cs->sess = session_new(); /* a new connection is a new session */
        cs->target_port = target_port;
        conversation_add_proto_data(conv, proto_kd, cs);
    }
    kd_dir dir = pinfo->srcport == cs->target_port ? KD_DIR_T2D : KD_DIR_D2T;
    if (!cs->dir[dir]) {
        cs->dir[dir] = stream_new(cs->sess, dir, NULL);
        cs->dir[dir]->desegment = pinfo->ptype == PT_TCP && tcp_reorders();
    }
    return dissect_stream(tvb, pinfo, tree, cs->dir[dir], dir);
}

static int dissect_kd_socket(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    return dissect_conv(tvb, pinfo, tree, pinfo->match_uint);
}

static int dissect_kd_conv(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    return dissect_conv(tvb, pinfo, tree, 0);
}

/*
 * Serial KD in TCP or UDP without Decode As (a QEMU serial socket): the
 * payload starts with a plausible KD header; the conversation is then
 * KD's.  Off by default (a heuristic that can misfire).  Choice: the side
 * that sent it is the target when the packet is one only targets send
 * (state change, print, file and trace I/O); otherwise (RESET, break-in,
 * manipulate, ACK: the debugger speaks first on connect, §3.5) the other.
 */
static kd_ws_bool dissect_kd_heur(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    guint len = tvb_captured_length(tvb);
    if (len < KD_PACKET_HEADER_SIZE || !kd_packet_start_plausible(tvb_get_ptr(tvb, 0, KD_PACKET_HEADER_SIZE), len))
        return FALSE;
    guint16 type = tvb_get_letohs(tvb, KD_OFF_TYPE);
    gboolean from_target = tvb_get_letohl(tvb, KD_OFF_LEADER) == KD_PACKET_LEADER && type != KD_TYPE_STATE_MANIPULATE;
    conversation_t *conv = find_or_create_conversation(pinfo);
    conversation_set_dissector(conv, kd_conv_handle);
    dissect_conv(tvb, pinfo, tree, from_target ? pinfo->srcport : pinfo->destport);
    return TRUE;
}

/* ------------------------------------------------------------ KDNET */

/* KDNET (packet-kdnet.c hands each decrypted KD packet here): one session
 * per handshake, a packet per datagram (no trailer), KDNET's id rules. */
struct kd_kdnet_session {
    kd_session *sess;
    stream *dir[2];
};

kd_kdnet_session *kd_kdnet_session_new(void)
{
    kd_kdnet_session *k = wmem_new0(wmem_file_scope(), kd_kdnet_session);
    k->sess = session_new_for(1);
    return k;
}

void kd_kdnet_session_restart(kd_kdnet_session *k)
{
    k->sess = session_new_for(1);
    k->dir[0] = k->dir[1] = NULL;
}

int kd_dissect_kdnet_packet(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, kd_kdnet_session *k, kd_dir dir)
{
    int d = dir == KD_DIR_T2D;
    if (!k->dir[d]) {
        k->dir[d] = stream_new_for(k->sess, dir, KD_TRANSPORT_KDNET);
        k->dir[d]->records_are_items = TRUE;
    }
    return dissect_stream(tvb, pinfo, tree, k->dir[d], dir);
}

/* ------------------------------------------------------------ registration */

static enum ftenum ftype_of(kd_ftype t)
{
    switch (t) {
    case KD_FT_NONE:
        return FT_NONE;
    case KD_FT_UINT8:
        return FT_UINT8;
    case KD_FT_UINT16:
        return FT_UINT16;
    case KD_FT_UINT32:
        return FT_UINT32;
    case KD_FT_UINT64:
        return FT_UINT64;
    case KD_FT_BOOLEAN:
        return FT_BOOLEAN;
    case KD_FT_BYTES:
        return FT_BYTES;
    case KD_FT_STRING:
    case KD_FT_UTF16:
        return FT_STRING;
    case KD_FT_FRAMENUM:
        return FT_FRAMENUM;
    case KD_FT_RELTIME:
        return FT_RELATIVE_TIME;
    }
    return FT_NONE;
}

/* kdparse's value tables as value_strings (same pairs, Wireshark's type). */
static const value_string *value_strings_of(const kd_val *v)
{
    size_t n = 0;
    while (v[n].name)
        n++;
    value_string *vs = g_new0(value_string, n + 1);
    for (size_t i = 0; i < n; i++) {
        vs[i].value = v[i].value;
        vs[i].strptr = v[i].name;
    }
    return vs;
}

/* The common "WORD_" start of a flag table's names ("DBGKD_VERS_FLAG_"). */
static size_t flag_prefix(const kd_val *v)
{
    size_t n = strlen(v->name);
    for (const kd_val *w = v + 1; w->name; w++) {
        size_t k = 0;
        while (k < n && w->name[k] == v->name[k])
            k++;
        n = k;
    }
    while (n && v->name[n - 1] != '_')
        n--;
    return n;
}

/*
 * Each bitmask field's bits as booleans: kd.<field>.<name> (the flag's
 * name in lower case without the table's common prefix:
 * kd.manip.get_version64.flags.ptr64), labelled with the Windows name.
 */
static const true_false_string tfs_set = {"Set", "Not set"};

static void register_bits(void)
{
    for (int i = 0; i < KD_F__COUNT; i++) {
        const kd_field *f = &kd_fields[i];
        if (!f->is_bitmask || !f->vals)
            continue;
        guint n = 0;
        while (f->vals[n].name)
            n++;
        size_t cut = flag_prefix(f->vals);
        hf_register_info *hf = g_new0(hf_register_info, n);
        hf_bits[i] = g_new(int, n);
        n_bits[i] = n;
        int width = f->type == KD_FT_UINT8 ? 8 : f->type == KD_FT_UINT16 ? 16 : 32;
        for (guint k = 0; k < n; k++) {
            const kd_val *v = &f->vals[k];
            header_field_info *h = &hf[k].hfinfo;
            hf_bits[i][k] = -1;
            hf[k].p_id = &hf_bits[i][k];
            h->name = v->name;
            char *abbrev = g_strdup_printf("%s.%s", f->abbrev, v->name + cut);
            h->abbrev = g_ascii_strdown(abbrev, -1);
            g_free(abbrev);
            h->type = FT_BOOLEAN;
            h->display = width;
            h->strings = &tfs_set;
            h->bitmask = v->value;
            h->id = -1;
            h->ref_type = HF_REF_TYPE_NONE;
            h->same_name_prev_id = -1;
        }
        proto_register_field_array(proto_kd, hf, (int)n);
    }
}

static void register_fields(void)
{
    hf_register_info *hf = g_new0(hf_register_info, KD_F__COUNT);
    gint **ett = g_new0(gint *, KD_F__COUNT + 1);
    int nett = 0;
    ett[nett++] = &ett_kd;
    for (int i = 0; i < KD_F__COUNT; i++) {
        const kd_field *f = &kd_fields[i];
        header_field_info *h = &hf[i].hfinfo;
        hf_kd[i] = -1;
        hf[i].p_id = &hf_kd[i];
        h->name = f->label;
        h->abbrev = f->abbrev;
        h->type = ftype_of(f->type);
        h->blurb = f->blurb;
        h->display = BASE_NONE;
        if (f->type == KD_FT_UINT8 || f->type == KD_FT_UINT16 || f->type == KD_FT_UINT32 || f->type == KD_FT_UINT64)
            h->display = f->base == KD_BASE_HEX ? BASE_HEX : BASE_DEC;
        if (f->vals && !f->is_bitmask && f->type != KD_FT_UINT64)
            h->strings = value_strings_of(f->vals);
        if (i == KD_F_S_ARCH)
            h->strings = value_strings_of(kd_vals_arch);
        if (i == KD_F_S_RESPONSE_IN || i == KD_F_S_ACK_IN)
            h->strings = FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE);
        else if (i == KD_F_S_REQUEST_IN || i == KD_F_S_ACKS)
            h->strings = FRAMENUM_TYPE(FT_FRAMENUM_REQUEST);
        else if (i == KD_F_S_RETRANSMISSION_OF || i == KD_F_S_DUPLICATE)
            h->strings = FRAMENUM_TYPE(FT_FRAMENUM_RETRANS_PREV);
        h->id = -1;
        h->parent = 0;
        h->ref_type = HF_REF_TYPE_NONE;
        h->same_name_prev_id = -1;
        h->same_name_next = NULL;
        ett_field[i] = -1;
        if (f->type == KD_FT_NONE || (f->is_bitmask && f->vals))
            ett[nett++] = &ett_field[i];
    }
    proto_register_field_array(proto_kd, hf, KD_F__COUNT);
    proto_register_subtree_array(ett, nett);
    register_bits();
}

static int expert_group_of(kd_problem_group g)
{
    switch (g) {
    case KD_PG_CHECKSUM:
        return PI_CHECKSUM;
    case KD_PG_SEQUENCE:
        return PI_SEQUENCE;
    case KD_PG_RESPONSE_CODE:
        return PI_RESPONSE_CODE;
    case KD_PG_UNDECODED:
        return PI_UNDECODED;
    case KD_PG_MALFORMED:
        return PI_MALFORMED;
    case KD_PG_PROTOCOL:
        return PI_PROTOCOL;
    }
    return PI_PROTOCOL;
}

static int expert_severity_of(kd_problem_severity v)
{
    return v == KD_PSEV_ERROR ? PI_ERROR : v == KD_PSEV_WARN ? PI_WARN : PI_NOTE;
}

/* One expert info per line of kdparse's problem table. */
static void register_expert(void)
{
    static const expert_field ei_init = EI_INIT;
    static const ei_register_info blank = {NULL, {NULL, 0, 0, NULL, EXPFILL}};
    ei_register_info *ei = g_new(ei_register_info, KD_P__COUNT);
    for (int i = 0; i < KD_P__COUNT; i++) {
        const kd_problem *p = &kd_problems[i];
        ei_kd[i] = ei_init;
        ei[i] = blank;
        ei[i].ids = &ei_kd[i];
        ei[i].eiinfo.name = g_strdup_printf("kd.expert.%s", p->name);
        ei[i].eiinfo.group = expert_group_of(p->group);
        ei[i].eiinfo.severity = expert_severity_of(p->severity);
        ei[i].eiinfo.summary = p->text;
    }
    expert_module_t *em = expert_register_protocol(proto_kd);
    expert_register_field_array(em, ei, KD_P__COUNT);
}

void proto_register_kd(void)
{
    proto_kd = proto_register_protocol("Windows Kernel Debugger Protocol", "KD", "kd");
    register_fields();
    register_expert();
    module_t *m = prefs_register_protocol(proto_kd, NULL);
    prefs_register_enum_preference(m, "arch", "Target architecture",
                                   "Which control report, control set and CONTEXT views to decode",
                                   &pref_arch, arch_enum_of(), FALSE);
    prefs_register_enum_preference(m, "width", "Manipulate layout",
                                   "32-bit (NT4/2000) or 64-bit DBGKD_MANIPULATE_STATE", &pref_width,
                                   width_enum, FALSE);
    prefs_register_bool_preference(m, "check_checksum", "Validate the checksum",
                                   "Compare the body's byte sum with the header's Checksum", &pref_check_checksum);
    kd_handle = register_dissector("kd", dissect_kd, proto_kd);
    kd_tap = register_tap("kd");
    register_init_routine(kd_init);
    register_cleanup_routine(kd_cleanup);
}

void proto_reg_handoff_kd(void)
{
    dissector_handle_t socket_handle = create_dissector_handle(dissect_kd_socket, proto_kd);
    dissector_add_for_decode_as_with_preference("tcp.port", socket_handle);
    dissector_add_for_decode_as_with_preference("udp.port", socket_handle);
    kd_conv_handle = create_dissector_handle(dissect_kd_conv, proto_kd);
    heur_dissector_add("tcp", dissect_kd_heur, "KD over TCP (a VM's serial port)", "kd_tcp", proto_kd, HEURISTIC_DISABLE);
    heur_dissector_add("udp", dissect_kd_heur, "KD serial bytes over UDP", "kd_udp", proto_kd, HEURISTIC_DISABLE);
}

int kd_tap_id(void)
{
    return kd_tap;
}

enum ftenum kd_ws_ftype(kd_ftype t)
{
    return ftype_of(t);
}

const value_string *kd_ws_value_strings(const kd_val *v)
{
    return value_strings_of(v);
}
