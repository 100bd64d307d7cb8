/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for kdsim's target model: whatever a debugger sends, the
 * simulated kernel answers without crashing, and every answer it makes can
 * be framed and decodes as the reply to the request.
 *
 * Input: one option byte (arch = b % 3: AMD64, x86, ARM64; bit 2: the
 * 32-bit protocol, x86 only; the rest seeds the model), one kaslr byte
 * (bit 0: kdsim --kaslr, the modules at bases drawn from the other bits, so
 * the placement and the module list built on it are fuzzed too), then
 * chunks:
 *
 *   [0] op:  op % 4 == 0  a STATE_MANIPULATE request, body = the chunk's bytes;
 *                         unless [1] >= 0xF0 its ApiNumber is set to
 *                         KD_API_READ_VIRTUAL_MEMORY + [1] % 0x32 (every API,
 *                         and a few past the end)
 *            op % 4 == 1  the model's next event (boot, DbgPrint, breakpoint, ...)
 *            op % 4 == 2  a break-in
 *            op % 4 == 3  a DbgPrompt answer, the chunk's bytes
 *   [1] api  (see above)
 *   [2..3]   length of the bytes that follow, little-endian (clipped to
 *            what is left and to the largest body)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kdparse/decode.h"
#include "kdparse/encode.h"
#include "kdparse/schema.h"
#include "kdparse/wire.h"
#include "model.h"
#include "fuzz_max_len.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_default_max_len(argc, argv, "-max_len=2048");
    return 0;
}

static kdsim_msg out;
static kd_msg reply;
static kd_msg request;
static uint8_t pkt[KD_ITEM_MAX_BYTES];
static uint8_t sent[KD_ITEM_MAX_BYTES];

/* Frames what the model made; it must always be a valid packet. */
static void check_answer(kdsim_model *m, uint32_t want_api)
{
    long n = kdsim_msg_encode(&out, 0x80800000u, KD_TRANSPORT_SERIAL, sent, sizeof sent);
    if (n < KD_PACKET_HEADER_SIZE)
        abort();
    kd_item it = kd_item_from_bytes(sent, (size_t)n, KD_ITEM_DATA, 0, KD_DIR_T2D);
    kd_decode_opts o = kdsim_model_decode_opts(m);
    kd_decode(&it, &o, &reply);
    if (want_api && (reply.type != KD_TYPE_STATE_MANIPULATE || reply.api != want_api))
        abort(); /* a reply answers the API it was asked */
}

/* A few models, each reset to the input's options (what kdsim_model_new
 * would give, without allocating its memory again): libFuzzer mutates an
 * input a few times in a row, mostly not its first two bytes, so the slot
 * for these options is often reset to the same ones, which copies the
 * power-on state back instead of building it. */
#define SLOTS 16u
static kdsim_model *models[SLOTS];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const kd_arch arches[3] = {KD_ARCH_AMD64, KD_ARCH_X86, KD_ARCH_ARM64};
    kdsim_model_opts mo = {.arch = arches[data[0] % 3],
                           .protocol32 = (data[0] >> 2) & 1,
                           .seed = data[0] >> 3,
                           .kaslr = data[1] & 1,
                           .kaslr_seed = data[1] >> 1};
    if (mo.protocol32 && mo.arch != KD_ARCH_X86) {
        if (kdsim_model_new(&mo))
            abort(); /* protocol32 with a non-x86 arch is refused */
        return 0;
    }
    kdsim_model **slot = &models[(data[0] * 31u + data[1]) % SLOTS];
    if (!*slot)
        *slot = kdsim_model_new(&mo);
    else if (kdsim_model_reset(*slot, &mo) != 0)
        abort(); /* options kdsim_model_new takes: only out of memory fails */
    kdsim_model *m = *slot;
    if (!m)
        abort();
    size_t i = 2;
    while (i + 4 <= size) {
        uint8_t op = data[i], api = data[i + 1];
        size_t len = (size_t)data[i + 2] | (size_t)data[i + 3] << 8;
        i += 4;
        if (len > size - i)
            len = size - i;
        if (len > KD_PACKET_MAX_SIZE)
            len = KD_PACKET_MAX_SIZE;
        const uint8_t *bytes = data + i;
        i += len;
        switch (op % 4) {
        case 0: {
            uint8_t body[KD_PACKET_MAX_SIZE];
            memcpy(body, bytes, len);
            if (api < 0xF0 && len >= 4) {
                uint32_t a = (uint32_t)KD_API_READ_VIRTUAL_MEMORY + api % 0x32u;
                body[0] = (uint8_t)a;
                body[1] = (uint8_t)(a >> 8);
                body[2] = body[3] = 0;
            }
            long n = kd_frame_data(KD_TRANSPORT_SERIAL, KD_TYPE_STATE_MANIPULATE, 0x80800000u, body, len, pkt,
                                   sizeof pkt);
            if (n < 0)
                break;
            kd_item it = kd_item_from_bytes(pkt, (size_t)n, KD_ITEM_DATA, 0, KD_DIR_D2T);
            kd_decode_opts o = kdsim_model_decode_opts(m);
            kd_decode(&it, &o, &request);
            if (kdsim_model_handle(m, &request, &out))
                check_answer(m, request.api);
            break;
        }
        case 1:
            if (kdsim_model_next_event(m, &out))
                check_answer(m, 0);
            break;
        case 2:
            kdsim_model_break_in(m);
            break;
        default:
            kdsim_model_prompt_answer(m, (const char *)bytes, len);
            break;
        }
    }
    if (kdsim_model_state_change(m, &out))
        check_answer(m, 0);
    return 0;
}
