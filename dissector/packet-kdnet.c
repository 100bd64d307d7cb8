/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * packet-kdnet.c - KDNET, the kernel debugger over UDP (reference kdnet.md).
 *
 * A heuristic on UDP finds the "MDBG" magic on any port (also offered in
 * Decode As).  kdparse's KDNET layer opens each datagram with the keys of
 * the preferences: it verifies the tag, decrypts, and says what the
 * payload is (the target's poke, the host's response, the UNUSED
 * announcement, break-in, a KD packet).  The plaintext is shown as a data
 * source of its own; the KD packet inside goes to packet-kd.c, in a KD
 * session per conversation and handshake.
 *
 * The key state only moves forward (the response sets the data channel's
 * key), so the first pass keeps what it opened for each frame and every
 * later pass (tshark -2, a click in the GUI) shows that.
 */
#define WS_BUILD_DLL
#include <wireshark.h>
#include "ws_compat.h"

#include <epan/conversation.h>
#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/proto_data.h>

#include "kdparse/kdnet.h"
#include "packet-kd.h"

static int proto_kdnet = -1;
static int hf_kdnet[KDNET_F__COUNT];
static gint ett_kdnet = -1;
static gint ett_kdnet_field[KDNET_F__COUNT];
static dissector_handle_t kdnet_handle;

static expert_field ei_hmac_bad = EI_INIT;
static expert_field ei_malformed = EI_INIT;
static expert_field ei_no_key = EI_INIT;
static expert_field ei_no_data_key = EI_INIT;
static expert_field ei_bad_pref = EI_INIT;

/* Preferences: the key(s) the target was given, a data key. */
static const char *pref_keys = "";
static const char *pref_data_key = "";
static uint8_t g_keys[KDNET_MAX_KEYS][KDNET_KEY_SIZE];
static guint g_nkeys;
static uint8_t g_data_key[KDNET_KEY_SIZE];
static gboolean g_have_data_key;
static char g_pref_error[160]; /* why a preference was not taken, or "" */

/* ------------------------------------------------------------ per file */

/* One conversation: its key state and its KD session. */
typedef struct kdnet_conv {
    kdnet_state *st;
    kd_kdnet_session *kd;
} kdnet_conv;

/* What the first pass opened for a frame: the result, its plaintext kept. */
typedef struct kdnet_frame {
    kdnet_result r;
    guint8 *plain;
    guint plain_len;
    kdnet_conv *conv;
} kdnet_frame;

static GPtrArray *g_states; /* every kdnet_state of the file, freed at its end */

static void kdnet_init(void)
{
    g_states = g_ptr_array_new_with_free_func((GDestroyNotify)kdnet_state_free);
}

static void kdnet_cleanup(void)
{
    if (g_states)
        g_ptr_array_free(g_states, TRUE);
    g_states = NULL;
}

/* Keys: separated by commas, semicolons or spaces ("1.2.3.4, 8.8.8.8"). */
static void apply_prefs(void)
{
    g_nkeys = 0;
    g_have_data_key = FALSE;
    g_pref_error[0] = '\0';
    gchar **parts = g_strsplit_set(pref_keys ? pref_keys : "", ",; \t", -1);
    for (gchar **p = parts; *p; p++) {
        const char *why = NULL;
        if (!**p)
            continue;
        if (g_nkeys == KDNET_MAX_KEYS) {
            g_snprintf(g_pref_error, sizeof g_pref_error, "kdnet.key: at most %u keys", KDNET_MAX_KEYS);
            break;
        }
        if (kdnet_parse_key(*p, g_keys[g_nkeys], &why) == 0)
            g_nkeys++;
        else
            g_snprintf(g_pref_error, sizeof g_pref_error, "kdnet.key %s: %s", *p, why);
    }
    g_strfreev(parts);
    if (pref_data_key && *pref_data_key) {
        const char *why = NULL;
        if (kdnet_parse_data_key(pref_data_key, g_data_key, &why) == 0)
            g_have_data_key = TRUE;
        else
            g_snprintf(g_pref_error, sizeof g_pref_error, "kdnet.data_key: %s", why);
    }
}

static kdnet_conv *conv_of(packet_info *pinfo)
{
    conversation_t *conv = find_or_create_conversation(pinfo);
    kdnet_conv *c = (kdnet_conv *)conversation_get_proto_data(conv, proto_kdnet);
    if (c)
        return c;
    c = wmem_new0(wmem_file_scope(), kdnet_conv);
    c->st = kdnet_state_new();
    if (c->st) {
        g_ptr_array_add(g_states, c->st);
        for (guint i = 0; i < g_nkeys; i++)
            kdnet_state_add_key(c->st, g_keys[i]);
        if (g_have_data_key)
            kdnet_state_set_data_key(c->st, g_data_key);
    }
    c->kd = kd_kdnet_session_new();
    conversation_add_proto_data(conv, proto_kdnet, c);
    return c;
}

/* Points p, which pointed into [from, from + len), into to instead. */
static const uint8_t *rebase(const uint8_t *p, const uint8_t *from, size_t len, const uint8_t *to)
{
    if (!p)
        return NULL;
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)from;
    return a >= b && a - b <= len ? to + (a - b) : p;
}

/* The first pass: open the datagram in its conversation's state, keep it. */
static kdnet_frame *first_pass(tvbuff_t *tvb, packet_info *pinfo)
{
    kdnet_frame *f = wmem_new0(wmem_file_scope(), kdnet_frame);
    f->conv = conv_of(pinfo);
    guint len = tvb_captured_length(tvb);
    const guint8 *bytes = tvb_get_ptr(tvb, 0, len);
    if (!f->conv->st) {
        kdnet_parse(bytes, len, &f->r.dg);
        return f;
    }
    int had_data_key = kdnet_state_data_key(f->conv->st) != NULL;
    kdnet_open(f->conv->st, bytes, len, NULL, 0, &f->r);
    /* A new handshake (the target rebooted) is a new KD session. */
    if (f->r.sets_data_key && had_data_key)
        kd_kdnet_session_restart(f->conv->kd);
    if (f->r.plain) {
        const uint8_t *old = f->r.plain;
        size_t n = f->r.plain_len;
        f->plain = (guint8 *)wmem_memdup(wmem_file_scope(), old, n);
        f->plain_len = (guint)n;
        f->r.plain = f->plain;
        f->r.p.payload = rebase(f->r.p.payload, old, n, f->plain);
        f->r.kd = rebase(f->r.kd, old, n, f->plain);
        f->r.poke.client_random = rebase(f->r.poke.client_random, old, n, f->plain);
        f->r.response.client_random = rebase(f->r.response.client_random, old, n, f->plain);
        f->r.response.host_random = rebase(f->r.response.host_random, old, n, f->plain);
    }
    return f;
}

/* ------------------------------------------------------------ tree */

static proto_item *add_node(proto_tree *tree, tvbuff_t *dtvb, tvbuff_t *ptvb, const kdnet_node *n)
{
    const kdnet_field *f = &kdnet_fields[n->field];
    tvbuff_t *tvb = n->in_plain && ptvb ? ptvb : dtvb;
    int hf = hf_kdnet[n->field];
    gint off = (gint)n->offset, len = n->generated ? 0 : (gint)n->length;
    proto_item *pi;
    if (n->field == KDNET_F_VERSION) {
        const char *name = kdnet_version_name((unsigned)n->value);
        pi = name ? proto_tree_add_uint_format_value(tree, hf, tvb, off, len, (guint32)n->value, "%s", name)
                  : proto_tree_add_uint_format_value(tree, hf, tvb, off, len, (guint32)n->value, "%u (not seen before)",
                                                     (guint32)n->value);
    } else if (f->address == KDNET_ADDRESS_IPV6 && n->data)
        pi = proto_tree_add_ipv6(tree, hf, tvb, off, len, (const ws_in6_addr *)n->data);
    else if (f->address == KDNET_ADDRESS_IPV4)
        pi = proto_tree_add_ipv4(tree, hf, tvb, off, len, g_htonl((guint32)n->value));
    else if (f->f.type == KD_FT_NONE || f->f.type == KD_FT_BYTES)
        pi = proto_tree_add_item(tree, hf, tvb, off, len, ENC_NA);
    else if (f->f.type == KD_FT_BOOLEAN)
        pi = proto_tree_add_boolean(tree, hf, tvb, off, len, (guint32)n->value);
    else if (f->f.type == KD_FT_UINT64)
        pi = proto_tree_add_uint64(tree, hf, tvb, off, len, n->value);
    else
        pi = proto_tree_add_uint(tree, hf, tvb, off, len, (guint32)n->value);
    if (n->generated)
        proto_item_set_generated(pi);
    return pi;
}

static void add_expert(packet_info *pinfo, proto_item *top, proto_item *hmac, const kdnet_result *r)
{
    if (g_pref_error[0])
        expert_add_info_format(pinfo, top, &ei_bad_pref, "%s", g_pref_error);
    if (r->hmac == KDNET_HMAC_BAD)
        expert_add_info_format(pinfo, hmac ? hmac : top, &ei_hmac_bad, "%s", kdnet_problem_text(r->problem));
    else if (r->problem == KDNET_E_NO_KEY)
        expert_add_info(pinfo, top, &ei_no_key);
    else if (r->problem == KDNET_E_NO_DATA_KEY)
        expert_add_info(pinfo, top, &ei_no_data_key);
    else if (r->problem != KDNET_OK)
        expert_add_info_format(pinfo, top, &ei_malformed, "%s", kdnet_problem_text(r->problem));
}

static int dissect_kdnet(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    kdnet_frame *f = (kdnet_frame *)p_get_proto_data(wmem_file_scope(), pinfo, proto_kdnet, 0);
    if (!f) {
        if (PINFO_FD_VISITED(pinfo))
            return 0; /* not seen on the first pass: nothing kept to show */
        f = first_pass(tvb, pinfo);
        p_add_proto_data(wmem_file_scope(), pinfo, proto_kdnet, 0, f);
    }
    kdnet_result r = f->r;
    guint len = tvb_captured_length(tvb);
    kdnet_parse(tvb_get_ptr(tvb, 0, len), len, &r.dg); /* this pass's bytes */

    col_set_str(pinfo->cinfo, COL_PROTOCOL, "KDNET");
    char info[256];
    kdnet_summary(&r, info, sizeof info);
    col_add_str(pinfo->cinfo, COL_INFO, info);

    proto_item *top = proto_tree_add_item(tree, proto_kdnet, tvb, 0, -1, ENC_NA);
    proto_tree *kt = proto_item_add_subtree(top, ett_kdnet);
    tvbuff_t *ptvb = NULL;
    if (f->plain) {
        ptvb = tvb_new_child_real_data(tvb, f->plain, f->plain_len, f->plain_len);
        add_new_data_source(pinfo, ptvb, "Decrypted KDNET");
    }
    kdnet_node nodes[KDNET_MAX_NODES];
    size_t n = kdnet_nodes(&r, nodes, KDNET_MAX_NODES);
    proto_tree *stack[4] = {kt, kt, kt, kt};
    proto_item *hmac = NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned d = nodes[i].depth < 3 ? nodes[i].depth : 3;
        proto_item *pi = add_node(stack[d], tvb, ptvb, &nodes[i]);
        if (nodes[i].field == KDNET_F_HMAC)
            hmac = pi;
        if (kdnet_fields[nodes[i].field].f.type == KD_FT_NONE && d < 3)
            stack[d + 1] = proto_item_add_subtree(pi, ett_kdnet_field[nodes[i].field]);
    }
    add_expert(pinfo, top, hmac, &r);

    /* The KD packet inside: decoded by the kd dissector in this
     * conversation's session (its Info column then tells the packet). */
    if (r.kd && ptvb && (r.p.dir == KD_DIR_D2T || r.p.dir == KD_DIR_T2D)) {
        tvbuff_t *kd_tvb = tvb_new_subset_length(ptvb, (gint)(r.kd - f->plain), (gint)r.kd_len);
        kd_dissect_kdnet_packet(kd_tvb, pinfo, tree, f->conv->kd, r.p.dir);
    }
    return (int)len;
}

static kd_ws_bool dissect_kdnet_heur(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    guint len = tvb_captured_length(tvb);
    if (len < KDNET_MAGIC_SIZE || !kdnet_is_kdnet(tvb_get_ptr(tvb, 0, KDNET_MAGIC_SIZE), KDNET_MAGIC_SIZE))
        return FALSE;
    conversation_t *conv = find_or_create_conversation(pinfo);
    conversation_set_dissector(conv, kdnet_handle);
    dissect_kdnet(tvb, pinfo, tree, data);
    return TRUE;
}

/* ------------------------------------------------------------ registration */

static void register_fields(void)
{
    hf_register_info *hf = g_new0(hf_register_info, KDNET_F__COUNT);
    gint **ett = g_new0(gint *, KDNET_F__COUNT + 1);
    int nett = 0;
    ett[nett++] = &ett_kdnet;
    for (int i = 0; i < KDNET_F__COUNT; i++) {
        const kdnet_field *f = &kdnet_fields[i];
        header_field_info *h = &hf[i].hfinfo;
        hf_kdnet[i] = -1;
        hf[i].p_id = &hf_kdnet[i];
        h->name = f->f.label;
        h->abbrev = f->f.abbrev;
        h->blurb = f->f.blurb;
        h->type = f->address == KDNET_ADDRESS_IPV6 ? FT_IPv6
                  : f->address == KDNET_ADDRESS_IPV4 ? FT_IPv4
                                                     : kd_ws_ftype(f->f.type);
        h->display = BASE_NONE;
        if (!f->address && (f->f.type == KD_FT_UINT8 || f->f.type == KD_FT_UINT16 || f->f.type == KD_FT_UINT32 ||
                            f->f.type == KD_FT_UINT64))
            h->display = f->f.base == KD_BASE_HEX ? BASE_HEX : BASE_DEC;
        /* The version's names hold the number already ("4 (Windows 10)"): add_node shows them. */
        if (f->f.vals && f->f.type != KD_FT_UINT64 && i != KDNET_F_VERSION)
            h->strings = kd_ws_value_strings(f->f.vals);
        h->id = -1;
        h->ref_type = HF_REF_TYPE_NONE;
        h->same_name_prev_id = -1;
        ett_kdnet_field[i] = -1;
        if (f->f.type == KD_FT_NONE)
            ett[nett++] = &ett_kdnet_field[i];
    }
    proto_register_field_array(proto_kdnet, hf, KDNET_F__COUNT);
    proto_register_subtree_array(ett, nett);
}

void proto_register_kdnet(void)
{
    proto_kdnet = proto_register_protocol("Windows Kernel Debugger over the network (KDNET)", "KDNET", "kdnet");
    register_fields();
    static ei_register_info ei[] = {
        {&ei_hmac_bad, {"kdnet.expert.hmac_bad", PI_CHECKSUM, PI_ERROR, "HMAC does not verify", EXPFILL}},
        {&ei_malformed, {"kdnet.expert.malformed", PI_MALFORMED, PI_ERROR, "Malformed KDNET datagram", EXPFILL}},
        {&ei_no_key, {"kdnet.expert.no_key", PI_UNDECODED, PI_NOTE,
                      "Not decrypted: no key (Preferences > KDNET > key: the a.b.c.d the target was given)", EXPFILL}},
        {&ei_no_data_key, {"kdnet.expert.no_data_key", PI_UNDECODED, PI_WARN,
                           "Not decrypted: the data channel needs the handshake or kdnet.data_key", EXPFILL}},
        {&ei_bad_pref, {"kdnet.expert.bad_preference", PI_PROTOCOL, PI_WARN, "A KDNET preference was not taken", EXPFILL}},
    };
    expert_module_t *em = expert_register_protocol(proto_kdnet);
    expert_register_field_array(em, ei, array_length(ei));
    module_t *m = prefs_register_protocol(proto_kdnet, apply_prefs);
    prefs_register_string_preference(m, "key", "Key(s)",
                                     "The key the target was given (a.b.c.d, as bcdedit /dbgsettings net "
                                     "printed it); several separated by commas: each conversation uses the "
                                     "one that authenticates it",
                                     &pref_keys);
    prefs_register_string_preference(m, "data_key", "Data key",
                                     "The data channel's key (64 hex digits) for a capture that starts after "
                                     "the handshake",
                                     &pref_data_key);
    kdnet_handle = register_dissector("kdnet", dissect_kdnet, proto_kdnet);
    register_init_routine(kdnet_init);
    register_cleanup_routine(kdnet_cleanup);
}

void proto_reg_handoff_kdnet(void)
{
    dissector_add_for_decode_as_with_preference("udp.port", kdnet_handle);
    heur_dissector_add("udp", dissect_kdnet_heur, "KDNET over UDP (\"MDBG\")", "kdnet_udp", proto_kdnet,
                       HEURISTIC_ENABLE);
    apply_prefs();
}
