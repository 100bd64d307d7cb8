/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsim/model_stop.c - the target's stop and event state: the boot sequence,
 * state changes (with the control report), the schedule after each resume
 * (DbgPrint, breakpoint hits, single steps, DbgPrompt, the bug check) and
 * break-ins (model.h, "Target states", "Schedule").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdparse/wire.h"
#include "model_impl.h"
static uint16_t processor_level(const kdsim_model *m)
{
    return m->arch == KD_ARCH_ARM64 ? 8 : 6;
}

/* Up to 16 bytes of code at pc with breakpoints removed (§3.7 item 1). */
static size_t instruction_stream(kdsim_model *m, uint64_t pc, uint8_t *out)
{
    size_t n = km_mem_read(m, 0, pc, out, 16);
    for (size_t i = 0; i < MAX_BPS; i++) {
        const bpoint *b = &m->bp[i];
        if (!b->used)
            continue;
        size_t blen = m->arch == KD_ARCH_ARM64 ? 4 : 1;
        for (size_t k = 0; k < blen; k++) {
            uint64_t d = va(m, b->addr + k - pc);
            if (d < n)
                out[d] = b->orig[k];
        }
    }
    return n;
}

static void control_report(kdsim_model *m, kdsim_msg *o)
{
    uint8_t stream[16];
    size_t n = instruction_stream(m, m->stop.pc, stream);
    memcpy(o->instr_stream, stream, n);
    o->instr_len = (uint8_t)n;
    if (m->arch == KD_ARCH_ARM64) {
        km_f_add(o, KD_F_CR_BVR, 0);
        km_f_add(o, KD_F_CR_WVR, 0);
        km_f_add(o, KD_F_CR_INSTRUCTION_COUNT, n);
        return;
    }
    uint64_t cs = km_ctx_get(m, KD_F_CTX_SEG_CS);
    uint16_t flags = 0x0001; /* REPORT_INCLUDES_SEGS */
    if (cs == (m->arch == KD_ARCH_X86 ? 0x08u : 0x10u))
        flags |= 0x0002;     /* REPORT_STANDARD_CS */
    km_f_add(o, KD_F_CR_DR6, km_ctx_get(m, KD_F_CTX_DR6));
    km_f_add(o, KD_F_CR_DR7, km_ctx_get(m, KD_F_CTX_DR7));
    km_f_add(o, KD_F_CR_EFLAGS, km_ctx_get(m, KD_F_CTX_EFLAGS));
    km_f_add(o, KD_F_CR_INSTRUCTION_COUNT, n);
    km_f_add(o, KD_F_CR_REPORT_FLAGS, flags);
    km_f_add(o, KD_F_CR_SEG_CS, cs);
    km_f_add(o, KD_F_CR_SEG_DS, km_ctx_get(m, KD_F_CTX_SEG_DS));
    km_f_add(o, KD_F_CR_SEG_ES, km_ctx_get(m, KD_F_CTX_SEG_ES));
    km_f_add(o, KD_F_CR_SEG_FS, km_ctx_get(m, KD_F_CTX_SEG_FS));
}

/* The state change for the current stop (§3.7 items 1-2, §3.8). */
void km_build_state_change(kdsim_model *m, kdsim_msg *o)
{
    const stop_info *s = &m->stop;
    const int sc32 = m->o.protocol32;
    const int ls = s->kind == STOP_LOAD_SYMBOLS;
    km_msg_init(m, o, sc32 ? KD_TYPE_STATE_CHANGE32 : KD_TYPE_STATE_CHANGE64,
                ls ? KD_STATE_LOAD_SYMBOLS : KD_STATE_EXCEPTION);
    const uint64_t pc = ext(m, s->pc);
    km_f_add(o, KD_F_STATE_PROCESSOR_LEVEL, processor_level(m));
    km_f_add(o, KD_F_STATE_PROCESSOR, 0);
    km_f_add(o, KD_F_STATE_NUMBER_PROCESSORS, 1);
    km_f_add(o, KD_F_STATE_THREAD, ext(m, m->thread));
    km_f_add(o, KD_F_STATE_PROGRAM_COUNTER, pc);
    const char *path = NULL;
    if (ls) {
        path = km_module_path[s->module];
        km_f_add(o, KD_F_LS_PATH_NAME_LENGTH, strlen(path) + 1);
        km_f_add(o, KD_F_LS_BASE_OF_DLL, ext(m, km_module_base(m, s->module)));
        km_f_add(o, KD_F_LS_PROCESS_ID, 0);
        km_f_add(o, KD_F_LS_CHECK_SUM, s->module ? m->hal_sum : m->nt_sum);
        km_f_add(o, KD_F_LS_SIZE_OF_IMAGE, km_module_size(m, s->module));
        km_f_add(o, KD_F_LS_UNLOAD_SYMBOLS, 0);
    } else {
        km_f_add(o, KD_F_EXCEPTION_CODE, s->code);
        km_f_add(o, KD_F_EXCEPTION_FLAGS, 0);
        km_f_add(o, KD_F_EXCEPTION_RECORD, 0);
        km_f_add(o, KD_F_EXCEPTION_ADDRESS, pc);
        km_f_add(o, KD_F_EXCEPTION_NUMBER_PARAMETERS, s->nparams);
        for (uint32_t i = 0; i < s->nparams; i++)
            km_f_add(o, KD_F_EXCEPTION_INFORMATION, 0); /* BREAKPOINT_BREAK */
        km_f_add(o, KD_F_EXCEPTION_FIRST_CHANCE, 1);
    }
    control_report(m, o);
    if (sc32) {
        /* Control report (placed by the encoder), then the whole CONTEXT. */
        km_d_put(o, NULL, m->sc32_ctx_off);
        km_d_put(o, m->ctx, m->ctx_size);
        if (path)
            km_d_put(o, path, strlen(path) + 1);
    } else if (path) {
        km_d_put(o, path, strlen(path) + 1);
    } else {
        uint8_t trace[4];
        put_le(trace, 1, 4); /* ReactOS: one ULONG of trace data */
        km_d_put(o, trace, 4);
    }
}

/* The target stops: registers change, KdpContextSent is cleared. */
void km_do_stop(kdsim_model *m, int kind, uint32_t code, uint64_t pc, uint32_t nparams, unsigned module)
{
    m->stop.kind = kind;
    m->stop.code = code;
    m->stop.pc = va(m, pc);
    m->stop.nparams = nparams;
    m->stop.module = module;
    m->run = KDSIM_STOPPED;
    m->context_sent = 0;
    m->rereport = 0;
    m->break_pending = 0;
    m->pending = 0;
    km_ctx_redraw(m);
    km_ctx_set(m, km_f_pc(m), ext(m, m->stop.pc));
    if (m->arch != KD_ARCH_ARM64) {
        uint64_t fl = km_ctx_get(m, KD_F_CTX_EFLAGS);
        km_ctx_set(m, KD_F_CTX_EFLAGS, fl & ~(uint64_t)0x100); /* TF */
    }
}

static void debug_print(kdsim_model *m, kdsim_msg *o, const char *text)
{
    size_t n = strlen(text);
    if (n > KD_PACKET_MAX_SIZE - kd_body_header_size(KD_TYPE_DEBUG_IO, 64))
        n = KD_PACKET_MAX_SIZE - kd_body_header_size(KD_TYPE_DEBUG_IO, 64); /* §3.7 item 9 */
    km_msg_init(m, o, KD_TYPE_DEBUG_IO, KD_IO_PRINT_STRING);
    km_f_add(o, KD_F_DIO_PROCESSOR_LEVEL, processor_level(m));
    km_f_add(o, KD_F_DIO_PROCESSOR, 0);
    km_f_add(o, KD_F_DIO_LENGTH_OF_STRING, n);
    km_d_put(o, text, n);
}

static void debug_prompt(kdsim_model *m, kdsim_msg *o, const char *text)
{
    size_t n = strlen(text);
    km_msg_init(m, o, KD_TYPE_DEBUG_IO, KD_IO_GET_STRING);
    km_f_add(o, KD_F_DIO_PROCESSOR_LEVEL, processor_level(m));
    km_f_add(o, KD_F_DIO_PROCESSOR, 0);
    km_f_add(o, KD_F_DIO_LENGTH_OF_PROMPT_STRING, n);
    km_f_add(o, KD_F_DIO_LENGTH_OF_STRING_READ, ANSWER_MAX);
    km_d_put(o, text, n);
}

/* Where the CONTEXT goes in a type-1 state change's data: found by encoding
 * one and asking the decoder. */
int km_probe_sc32(kdsim_model *m)
{
    kdsim_msg *o = malloc(sizeof *o);
    uint8_t *buf = malloc(KD_ITEM_MAX_BYTES);
    kd_msg *d = malloc(sizeof *d);
    int rc = -1;
    if (o && buf && d) {
        km_msg_init(m, o, KD_TYPE_STATE_CHANGE32, KD_STATE_EXCEPTION);
        km_d_put(o, NULL, 2048);
        long n = kd_encode(&o->msg, KD_TRANSPORT_SERIAL, buf, KD_ITEM_MAX_BYTES);
        if (n > 0) {
            kd_item it = kd_item_from_bytes(buf, (size_t)n, KD_ITEM_DATA, 0, KD_DIR_T2D);
            kd_decode_opts opts = {.arch = KD_ARCH_X86, .width = 32};
            kd_decode(&it, &opts, d);
            const kd_node *c = kd_msg_find(d, KD_F_CTX);
            size_t data = KD_PACKET_HEADER_SIZE + kd_body_header_size(KD_TYPE_STATE_CHANGE32, 32);
            if (c && c->offset >= data) {
                m->sc32_ctx_off = c->offset - data;
                rc = 0;
            }
        }
    }
    free(o);
    free(buf);
    free(d);
    return rc;
}

/* ------------------------------------------------------------ public: events */

void km_resume(kdsim_model *m, int trace)
{
    m->rereport = 0;
    if (m->boot_stage < 3) {
        m->run = KDSIM_BOOT;
        return;
    }
    m->run = KDSIM_RUNNING;
    m->resumes++;
    if (trace) {
        m->pending = P_STEP;
        return;
    }
    if (m->bugchecked) {
        m->pending = 0;
        return;
    }
    m->pending = P_PRINT | P_BP;
    if (m->resumes % KDSIM_PROMPT_EVERY == 0)
        m->pending |= P_PROMPT;
}

static const bpoint *lowest_bp(const kdsim_model *m)
{
    const bpoint *best = NULL;
    for (size_t i = 0; i < MAX_BPS; i++)
        if (m->bp[i].used && (!best || m->bp[i].addr < best->addr))
            best = &m->bp[i];
    return best;
}

int kdsim_model_next_event(kdsim_model *m, kdsim_msg *o)
{
    if (!m || !o)
        return 0;
    char line[256];
    switch (m->run) {
    case KDSIM_BOOT:
        if (m->boot_stage < 2)
            km_do_stop(m, STOP_LOAD_SYMBOLS, 0, m->kern + KDSIM_RVA_DEBUG_SERVICE, 0, m->boot_stage);
        else {
            km_do_stop(m, STOP_EXCEPTION, KD_STATUS_BREAKPOINT, m->kern + KDSIM_RVA_BREAK_WITH_STATUS, 1, 0);
            km_ctx_set(m, km_f_arg(m), DBG_STATUS_CONTROL_C);
        }
        m->boot_stage++;
        km_build_state_change(m, o);
        return 1;
    case KDSIM_STOPPED:
        if (!m->rereport)
            return 0;
        m->rereport = 0;
        m->context_sent = 0;
        km_build_state_change(m, o);
        return 1;
    case KDSIM_PROMPT:
        return 0;
    case KDSIM_RUNNING:
        break;
    }
    if (m->break_pending) {
        km_do_stop(m, STOP_EXCEPTION, KD_STATUS_BREAKPOINT, m->kern + KDSIM_RVA_BREAK_WITH_STATUS, 1, 0);
        km_ctx_set(m, km_f_arg(m), DBG_STATUS_CONTROL_C);
        km_build_state_change(m, o);
        return 1;
    }
    if (m->pending & P_STEP) {
        uint64_t next = km_ctx_pc(m) + (m->arch == KD_ARCH_ARM64 ? 4 : 1);
        km_do_stop(m, STOP_EXCEPTION, KD_STATUS_SINGLE_STEP, next, 0, 0);
        km_build_state_change(m, o);
        return 1;
    }
    if (m->pending & P_PRINT) {
        m->pending &= ~(unsigned)P_PRINT;
        if (m->resumes == 1)
            snprintf(line, sizeof line, "kdsim: %s kernel, build %u, running\n", kd_arch_name(m->arch),
                     (unsigned)m->o.build);
        else
            snprintf(line, sizeof line, "kdsim: resume %u, tick 0x%08x\n", m->resumes,
                     (unsigned)(rnd(m) & 0xFFFFFFFFu));
        debug_print(m, o, line);
        return 1;
    }
    if (m->pending & P_BUGCHECK_PRINT) {
        m->pending &= ~(unsigned)P_BUGCHECK_PRINT;
        if (m->psz == 8)
            snprintf(line, sizeof line,
                     "\n*** Fatal System Error: 0x%08x\n                       "
                     "(0x0000000000000000,0x0000000000000000,0x0000000000000000,0x0000000000000000)\n\n",
                     MANUALLY_INITIATED_CRASH);
        else
            snprintf(line, sizeof line,
                     "\n*** Fatal System Error: 0x%08x\n                       "
                     "(0x00000000,0x00000000,0x00000000,0x00000000)\n\n",
                     MANUALLY_INITIATED_CRASH);
        debug_print(m, o, line);
        return 1;
    }
    if (m->pending & P_BUGCHECK_STOP) {
        m->bugchecked = 1;
        km_do_stop(m, STOP_EXCEPTION, KD_STATUS_BREAKPOINT, m->kern + KDSIM_RVA_BUGCHECK, 1, 0);
        km_build_state_change(m, o);
        return 1;
    }
    if (m->pending & P_ANSWER) {
        m->pending &= ~(unsigned)P_ANSWER;
        char echo[ANSWER_MAX + 1];
        size_t n = m->answer_len;
        while (n && (m->answer[n - 1] == '\n' || m->answer[n - 1] == '\r'))
            n--;
        for (size_t i = 0; i < n; i++)
            echo[i] = m->answer[i] >= 0x20 && m->answer[i] < 0x7F ? (char)m->answer[i] : '.';
        echo[n] = 0;
        snprintf(line, sizeof line, "kdsim: the debugger said \"%s\"\n", echo);
        debug_print(m, o, line);
        return 1;
    }
    if (m->pending & P_BP) {
        m->pending &= ~(unsigned)P_BP;
        const bpoint *b = lowest_bp(m);
        if (b) {
            km_do_stop(m, STOP_EXCEPTION, KD_STATUS_BREAKPOINT, b->addr, 1, 0);
            km_build_state_change(m, o);
            return 1;
        }
    }
    if (m->pending & P_PROMPT) {
        m->pending &= ~(unsigned)P_PROMPT;
        m->run = KDSIM_PROMPT;
        m->answer_len = 0;
        debug_prompt(m, o, "kdsim: say something> ");
        return 1;
    }
    return 0;
}

int kdsim_model_state_change(kdsim_model *m, kdsim_msg *o)
{
    if (!m || !o || m->run != KDSIM_STOPPED)
        return 0;
    km_build_state_change(m, o);
    return 1;
}

void kdsim_model_break_in(kdsim_model *m)
{
    if (m && m->run == KDSIM_RUNNING)
        m->break_pending = 1;
}

void kdsim_model_prompt_answer(kdsim_model *m, const char *text, size_t len)
{
    if (!m || m->run != KDSIM_PROMPT)
        return;
    if (len > ANSWER_MAX)
        len = ANSWER_MAX;
    if (len && text)
        memcpy(m->answer, text, len);
    m->answer_len = text ? len : 0;
    m->run = KDSIM_RUNNING;
    m->pending = P_ANSWER;
}
