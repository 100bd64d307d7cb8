/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the decoders and renderers.  The first byte picks
 * the direction, the architecture and the width; the rest is framed and
 * every item is decoded, summarised, rendered as a tree and as JSON (to
 * /dev/null), so every reader of kd_msg is exercised.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kdparse/decode.h"
#include "kdparse/modmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RENDER_ITEMS 16

static FILE *sink;
static kd_msg msg;
static kd_modmap *mods; /* fed every item: the module-relative renderers too */

typedef struct ctx {
    kd_decode_opts opts;
    size_t items; /* decoded so far in this input */
} ctx;

static void on_item(const kd_item *it, void *user)
{
    ctx *c = user;
    kd_decode(it, &c->opts, &msg);
    if (msg.n > KD_MSG_MAX_NODES)
        abort();
    for (uint16_t i = 0; i < msg.n; i++) {
        const kd_node *n = &msg.nodes[i];
        if (!(n->flags & KD_NODE_GENERATED) && (size_t)n->offset + n->length > it->len)
            abort(); /* a node outside the item's bytes */
        if (n->field >= KD_F__COUNT)
            abort();
    }
    char line[512];
    kd_modmap_feed(mods, &msg, 1);
    kd_annot a = {.ack_in = 3, .request_in = 1, .response_time_ns = 1000, .width = 64};
    kd_msg_summary_mods(&msg, &a, mods, line, sizeof line);
    /* Past the first RENDER_ITEMS items of an input only the summary: a
     * long input is many packets, each rendered as a tree and as JSON, and
     * a packet reached late is as easily reached early. */
    if (c->items++ >= RENDER_ITEMS)
        return;
    kd_msg_summary(&msg, NULL, line, sizeof line);
    kd_msg_summary(&msg, &a, line, sizeof line);
    /* The plain tree and JSON are the module-relative ones without a map:
     * rendering them for the first item only keeps their own branches
     * covered and halves the cost of inputs with many packets. */
    if (c->items == 1) {
        kd_msg_print_tree(sink, &msg, &a);
        kd_msg_print_json_fields(sink, &msg, &a);
    }
    kd_msg_print_tree_mods(sink, &msg, &a, mods);
    kd_msg_print_json_fields_mods(sink, &msg, &a, mods);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!sink) {
        sink = fopen("/dev/null", "w");
        if (sink)
            setvbuf(sink, NULL, _IOFBF, 1u << 16); /* few writes: the text is thrown away */
    }
    if (!mods)
        mods = kd_modmap_new();
    if (size < 1 || !sink || !mods)
        return 0;
    kd_modmap_reset(mods);
    static const kd_arch arches[] = {KD_ARCH_UNKNOWN, KD_ARCH_X86, KD_ARCH_AMD64, KD_ARCH_ARM64,
                                     KD_ARCH_ARM, KD_ARCH_IA64, KD_ARCH_ALPHA, KD_ARCH_AMD64};
    static const uint8_t widths[] = {0, 32, 64, 0};
    ctx c = {.opts = {.arch = arches[data[0] & 7], .width = widths[(data[0] >> 3) & 3]}};
    kd_dir dir = (kd_dir)((data[0] >> 5) % 3);
    kd_framer *f = kd_framer_new((data[0] & 0x80) ? KD_TRANSPORT_KDNET : KD_TRANSPORT_SERIAL, dir,
                                 on_item, &c);
    if (!f)
        return 0;
    kd_framer_feed(f, data + 1, size - 1, 0);
    kd_framer_finish(f);
    kd_framer_free(f);
    return 0;
}
