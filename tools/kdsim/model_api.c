/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsim/model_api.c - the target's answers to manipulate requests, one
 * handler per API, read through the decoder's nodes (model.h, from
 * "ContinueStatus" on).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdparse/wire.h"
#include "model_impl.h"
/* ------------------------------------------------------------ requests */

static const kd_node *rq_node(const kd_msg *rq, kd_field_id f)
{
    return kd_msg_find(rq, f);
}

static uint64_t rq_val(const kd_msg *rq, kd_field_id f)
{
    const kd_node *n = rq_node(rq, f);
    return n ? n->value : 0;
}

/* The bytes after the manipulate header. */
static const uint8_t *rq_data(const kd_msg *rq, size_t *len)
{
    const kd_item *it = rq->item;
    size_t hdr = kd_body_header_size(rq->type, rq->width);
    *len = 0;
    if (!it || !it->body || it->body_len <= hdr)
        return NULL;
    *len = it->body_len - hdr;
    return it->body + hdr;
}

static int is_int_type(kd_ftype t)
{
    return t == KD_FT_UINT8 || t == KD_FT_UINT16 || t == KD_FT_UINT32 || t == KD_FT_UINT64 ||
           t == KD_FT_BOOLEAN;
}

/* The reply starts as the request's header and union member (ReactOS answers
 * in the request's own buffer), ReturnStatus STATUS_UNSUCCESSFUL. */
static void reply_init(const kdsim_model *m, const kd_msg *rq, kdsim_msg *o)
{
    km_msg_init(m, o, KD_TYPE_STATE_MANIPULATE, rq->api);
    km_f_add(o, KD_F_M_PROCESSOR_LEVEL, rq_val(rq, KD_F_M_PROCESSOR_LEVEL));
    km_f_add(o, KD_F_M_PROCESSOR, rq_val(rq, KD_F_M_PROCESSOR));
    km_f_add(o, KD_F_M_RETURN_STATUS, KD_STATUS_UNSUCCESSFUL);
    uint16_t i = 0;
    while (i < rq->n && !(rq->nodes[i].depth == 1 && kd_fields[rq->nodes[i].field].type == KD_FT_NONE &&
                          rq->nodes[i].field != KD_F_CTX))
        i++;
    for (i++; i < rq->n && rq->nodes[i].depth > 1; i++) {
        const kd_node *n = &rq->nodes[i];
        kd_field_id f = (kd_field_id)n->field;
        if (n->depth != 2 || (n->flags & KD_NODE_GENERATED) || !is_int_type(kd_fields[f].type))
            continue;
        if (f == KD_F_M_SM_SEARCH_ADDRESS) /* a reply carries FoundAddress there */
            continue;
        km_f_add(o, f, n->value);
    }
}

static void status(kdsim_msg *o, uint32_t st)
{
    km_f_set(o, KD_F_M_RETURN_STATUS, st);
}

static int only_cpu0(const kd_msg *rq)
{
    return rq_val(rq, KD_F_M_PROCESSOR) == 0;
}

static void api_read_memory(kdsim_model *m, const kd_msg *rq, kdsim_msg *o, int phys)
{
    uint64_t a = rq_val(rq, KD_F_M_RM_TARGET_BASE_ADDRESS);
    size_t want = (size_t)rq_val(rq, KD_F_M_RM_TRANSFER_COUNT);
    if (want > m->max_read)
        want = m->max_read; /* §3.7 item 5: capped, still a success */
    size_t n = km_mem_read(m, phys, a, o->data, want);
    o->msg.data_len = n;
    km_f_set(o, KD_F_M_RM_ACTUAL_BYTES_READ, n);
    status(o, n == want ? KD_STATUS_SUCCESS : KD_STATUS_UNSUCCESSFUL);
}

static void api_write_memory(kdsim_model *m, const kd_msg *rq, kdsim_msg *o, int phys)
{
    size_t len;
    const uint8_t *d = rq_data(rq, &len);
    size_t n = d ? km_mem_write(m, phys, rq_val(rq, KD_F_M_WM_TARGET_BASE_ADDRESS), d, len) : 0;
    km_f_set(o, KD_F_M_WM_ACTUAL_BYTES_WRITTEN, n);
    status(o, n == len ? KD_STATUS_SUCCESS : KD_STATUS_UNSUCCESSFUL);
}

static void api_get_context(kdsim_model *m, const kd_msg *rq, kdsim_msg *o)
{
    if (!only_cpu0(rq))
        return;
    km_d_put(o, m->ctx, m->ctx_size);
    m->context_sent = 1;
    status(o, KD_STATUS_SUCCESS);
}

static void api_set_context(kdsim_model *m, const kd_msg *rq, kdsim_msg *o)
{
    size_t len;
    const uint8_t *d = rq_data(rq, &len);
    if (!only_cpu0(rq) || !m->context_sent || !d || len != m->ctx_size)
        return;
    memcpy(m->ctx, d, len);
    status(o, KD_STATUS_SUCCESS);
}

static size_t bp_len(const kdsim_model *m)
{
    return m->arch == KD_ARCH_ARM64 ? 4 : 1;
}

static const uint8_t *bp_insn(const kdsim_model *m)
{
    static const uint8_t int3[1] = {0xCC};
    static const uint8_t brk[4] = {0x00, 0x00, 0x3E, 0xD4}; /* BRK #0xF000 */
    return m->arch == KD_ARCH_ARM64 ? brk : int3;
}

/* KdpAddBreakpoint: handle = index + 1, or 0. */
static uint32_t bp_add(kdsim_model *m, uint64_t addr)
{
    addr = va(m, addr);
    size_t free_i = MAX_BPS;
    for (size_t i = 0; i < MAX_BPS; i++) {
        if (m->bp[i].used && m->bp[i].addr == addr)
            return 0; /* already set */
        if (!m->bp[i].used && free_i == MAX_BPS)
            free_i = i;
    }
    if (free_i == MAX_BPS)
        return 0;
    bpoint *b = &m->bp[free_i];
    size_t n = bp_len(m);
    if (km_mem_read(m, 0, addr, b->orig, n) != n)
        return 0;
    if (km_mem_write(m, 0, addr, bp_insn(m), n) != n) {
        km_mem_write(m, 0, addr, b->orig, n);
        return 0;
    }
    b->addr = addr;
    b->used = 1;
    return (uint32_t)free_i + 1;
}

static int bp_del(kdsim_model *m, uint64_t handle)
{
    if (handle == 0 || handle > MAX_BPS || !m->bp[handle - 1].used)
        return -1;
    bpoint *b = &m->bp[handle - 1];
    km_mem_write(m, 0, b->addr, b->orig, bp_len(m));
    b->used = 0;
    return 0;
}

static void api_continue2(kdsim_model *m, const kd_msg *rq)
{
    int32_t st = (int32_t)(uint32_t)rq_val(rq, KD_F_M_C2_CONTINUE_STATUS);
    int trace = 0;
    if (st >= 0) { /* NT_SUCCESS: apply the control set (§3.7 item 8) */
        trace = rq_val(rq, KD_F_CS_TRACE_FLAG) != 0;
        if (m->arch != KD_ARCH_ARM64) {
            uint64_t fl = km_ctx_get(m, KD_F_CTX_EFLAGS);
            km_ctx_set(m, KD_F_CTX_EFLAGS, trace ? fl | 0x100 : fl & ~(uint64_t)0x100);
            km_ctx_set(m, KD_F_CTX_DR7, rq_val(rq, KD_F_CS_DR7));
            km_ctx_set(m, KD_F_CTX_DR6, 0);
        }
    }
    km_resume(m, trace);
}

/* x86: KPROCESSOR_STATE = CONTEXT + KSPECIAL_REGISTERS.  Byte i of it. */
static uint8_t *x86_pstate_byte(kdsim_model *m, size_t i)
{
    return i < m->ctx_size ? &m->ctx[i] : &m->kspecial[i - m->ctx_size];
}

static void api_read_control(kdsim_model *m, const kd_msg *rq, kdsim_msg *o)
{
    uint64_t a = rq_val(rq, KD_F_M_RM_TARGET_BASE_ADDRESS);
    size_t want = (size_t)rq_val(rq, KD_F_M_RM_TRANSFER_COUNT);
    if (want > m->max_read)
        want = m->max_read;
    km_f_set(o, KD_F_M_RM_ACTUAL_BYTES_READ, 0);
    if (!only_cpu0(rq))
        return;
    if (m->arch == KD_ARCH_X86) {
        size_t total = m->ctx_size + m->kspecial_size;
        if (a >= total)
            return;
        size_t n = total - (size_t)a < want ? total - (size_t)a : want;
        for (size_t i = 0; i < n; i++)
            o->data[i] = *x86_pstate_byte(m, (size_t)a + i);
        o->msg.data_len = n;
        km_f_set(o, KD_F_M_RM_ACTUAL_BYTES_READ, n);
        status(o, KD_STATUS_SUCCESS);
        return;
    }
    uint8_t ptr[8];
    const uint8_t *src;
    size_t len;
    switch (a) {
    case 0: /* AMD64_DEBUG_CONTROL_SPACE_KPCR */
    case 1: /* KPRCB */
    case 3: /* KTHREAD */
        put_le(ptr, a == 0 ? m->kpcr : a == 1 ? m->kprcb : m->thread, 8);
        src = ptr;
        len = 8;
        break;
    case 2: /* KSPECIAL */
        src = m->kspecial;
        len = m->kspecial_size;
        break;
    default:
        return;
    }
    size_t n = len < want ? len : want;
    memcpy(o->data, src, n);
    o->msg.data_len = n;
    km_f_set(o, KD_F_M_RM_ACTUAL_BYTES_READ, n);
    status(o, KD_STATUS_SUCCESS);
}

static void api_write_control(kdsim_model *m, const kd_msg *rq, kdsim_msg *o)
{
    size_t len;
    const uint8_t *d = rq_data(rq, &len);
    uint64_t a = rq_val(rq, KD_F_M_WM_TARGET_BASE_ADDRESS);
    km_d_put(o, d, len); /* ReactOS echoes the data */
    km_f_set(o, KD_F_M_WM_ACTUAL_BYTES_WRITTEN, 0);
    if (!only_cpu0(rq) || !d)
        return;
    if (m->arch == KD_ARCH_X86) {
        size_t total = m->ctx_size + m->kspecial_size;
        if (a > total || len > total - (size_t)a)
            return;
        for (size_t i = 0; i < len; i++)
            *x86_pstate_byte(m, (size_t)a + i) = d[i];
    } else {
        if (a != 2 || len > m->kspecial_size)
            return;
        memcpy(m->kspecial, d, len);
    }
    km_f_set(o, KD_F_M_WM_ACTUAL_BYTES_WRITTEN, len);
    status(o, KD_STATUS_SUCCESS);
}

static int io_size_ok(uint64_t size)
{
    return size == 1 || size == 2 || size == 4;
}

static uint64_t io_ones(uint64_t size)
{
    return size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFFu : 0xFFu;
}

static void api_io(const kd_msg *rq, kdsim_msg *o, int write, int extended)
{
    if (extended) {
        uint64_t size = rq_val(rq, KD_F_M_IOX_DATA_SIZE);
        if (rq_val(rq, KD_F_M_IOX_INTERFACE_TYPE) != 1 || rq_val(rq, KD_F_M_IOX_BUS_NUMBER) != 0 ||
            rq_val(rq, KD_F_M_IOX_ADDRESS_SPACE) != 1 || !io_size_ok(size))
            return;
        if (!write)
            km_f_set(o, KD_F_M_IOX_DATA_VALUE, io_ones(size));
    } else {
        uint64_t size = rq_val(rq, KD_F_M_IO_DATA_SIZE);
        if (!io_size_ok(size))
            return;
        if (!write)
            km_f_set(o, KD_F_M_IO_DATA_VALUE, io_ones(size));
    }
    status(o, KD_STATUS_SUCCESS);
}

static uint16_t machine_type(const kdsim_model *m)
{
    return m->arch == KD_ARCH_X86 ? 0x014C : m->arch == KD_ARCH_AMD64 ? 0x8664 : 0xAA64;
}

/* §1.6 */
static void api_get_version(kdsim_model *m, kdsim_msg *o)
{
    const uint64_t mods = m->kern + KDSIM_RVA_MODULE_LIST, ddl = m->kern + KDSIM_RVA_DATA_LIST_HEAD;
    const uint16_t major = 0x000F; /* DBGKD_MAJOR_NT << 8 | 0xF (free build) */
    if (m->width == 32) {
        km_f_set(o, KD_F_M_GV32_MAJOR_VERSION, major);
        km_f_set(o, KD_F_M_GV32_MINOR_VERSION, m->o.build & 0xFFFF);
        km_f_set(o, KD_F_M_GV32_PROTOCOL_VERSION, 4);
        km_f_set(o, KD_F_M_GV32_FLAGS, 0x0002); /* DATA */
        km_f_set(o, KD_F_M_GV32_KERN_BASE, m->kern);
        km_f_set(o, KD_F_M_GV32_PS_LOADED_MODULE_LIST, mods);
        km_f_set(o, KD_F_M_GV32_MACHINE_TYPE, machine_type(m));
        km_f_set(o, KD_F_M_GV32_TH_CALLBACK_STACK, 0);
        km_f_set(o, KD_F_M_GV32_NEXT_CALLBACK, 0);
        km_f_set(o, KD_F_M_GV32_FRAME_POINTER, 0);
        km_f_set(o, KD_F_M_GV32_KI_CALL_USER_MODE, m->kern + KDSIM_RVA_SYSCALL + 0x80);
        km_f_set(o, KD_F_M_GV32_KE_USER_CALLBACK_DISPATCHER, 0);
        km_f_set(o, KD_F_M_GV32_BREAKPOINT_WITH_STATUS, m->kern + KDSIM_RVA_BREAK_WITH_STATUS);
        km_f_set(o, KD_F_M_GV32_DEBUGGER_DATA_LIST, ddl);
    } else {
        uint16_t flags = 0x0002; /* DATA */
        if (m->psz == 8)
            flags |= 0x0004;     /* PTR64 */
        km_f_set(o, KD_F_M_GV_MAJOR_VERSION, major);
        km_f_set(o, KD_F_M_GV_MINOR_VERSION, m->o.build & 0xFFFF);
        km_f_set(o, KD_F_M_GV_PROTOCOL_VERSION, 6);
        km_f_set(o, KD_F_M_GV_KD_SECONDARY_VERSION, m->arch == KD_ARCH_AMD64 ? 2 : 0);
        km_f_set(o, KD_F_M_GV_FLAGS, flags);
        km_f_set(o, KD_F_M_GV_MACHINE_TYPE, machine_type(m));
        km_f_set(o, KD_F_M_GV_MAX_PACKET_TYPE, KD_TYPE_MAX);
        km_f_set(o, KD_F_M_GV_MAX_STATE_CHANGE, 3);
        km_f_set(o, KD_F_M_GV_MAX_MANIPULATE, 0x31);
        km_f_set(o, KD_F_M_GV_SIMULATION, 0);
        km_f_set(o, KD_F_M_GV_UNUSED, 0);
        km_f_set(o, KD_F_M_GV_KERN_BASE, ext(m, m->kern));
        km_f_set(o, KD_F_M_GV_PS_LOADED_MODULE_LIST, ext(m, mods));
        km_f_set(o, KD_F_M_GV_DEBUGGER_DATA_LIST, ext(m, ddl));
    }
    status(o, KD_STATUS_SUCCESS);
}

static msr_ent *find_msr(kdsim_model *m, uint32_t msr)
{
    for (size_t i = 0; i < m->nmsr; i++)
        if (m->msr[i].msr == msr)
            return &m->msr[i];
    return NULL;
}

static void api_msr(kdsim_model *m, const kd_msg *rq, kdsim_msg *o, int write)
{
    msr_ent *e = find_msr(m, (uint32_t)rq_val(rq, KD_F_M_MSR_MSR));
    if (!e) {
        status(o, KD_STATUS_NO_SUCH_DEVICE);
        return;
    }
    if (write) {
        e->value = rq_val(rq, KD_F_M_MSR_DATA_VALUE_HIGH) << 32 | (rq_val(rq, KD_F_M_MSR_DATA_VALUE_LOW) & 0xFFFFFFFFu);
    } else {
        km_f_set(o, KD_F_M_MSR_DATA_VALUE_LOW, e->value & 0xFFFFFFFFu);
        km_f_set(o, KD_F_M_MSR_DATA_VALUE_HIGH, e->value >> 32);
        if (e->msr == 0x10)
            e->value += 0x10000; /* the TSC moves on */
    }
    status(o, KD_STATUS_SUCCESS);
}

/*
 * Searches the starts [lo, last_start] (all mapped, in one region) for the
 * first start of pat.  Memory is sparse: a page nobody wrote is zeros and
 * is not stored.  Scanning those byte by byte made one search over an
 * image cost milliseconds, so runs of absent pages are skipped: a start
 * inside such a run more than z bytes (pat's leading zero bytes) before its
 * end puts pat[z] != 0 on a zero byte, so only the run's last z starts can
 * match, and an all-zero pattern that fits matches at the run's first.
 */
static int scan(kdsim_model *m, uint64_t lo, uint64_t last_start, const uint8_t *pat, size_t plen, uint64_t *found)
{
    enum { CH = PG };
    size_t z = 0;
    while (z < plen && pat[z] == 0)
        z++;
    uint8_t *buf = malloc(CH + plen);
    int hit = 0;
    if (!buf)
        return 0;
    for (uint64_t s = lo;;) {
        uint64_t page = s & ~PG_MASK;
        if (!km_space_page(&m->vmem, page, KM_PAGE_FIND)) {
            size_t next = km_space_lower(&m->vmem, page);
            /* First byte that may not be zero; ~0 when no page follows. */
            uint64_t run_end = next < m->vmem.n ? m->vmem.p[next].addr : ~(uint64_t)0;
            if (z == plen && run_end - s >= plen) {
                *found = s;
                hit = 1;
                break;
            }
            if (run_end - s > z) {
                if (run_end - z > last_start)
                    break;
                s = run_end - z;
            }
        }
        /* The starts up to the end of s's page, matched against a copy. */
        uint64_t starts = (s | PG_MASK) - s + 1;
        if (starts > last_start - s + 1)
            starts = last_start - s + 1;
        size_t need = (size_t)starts + plen - 1;
        if (km_mem_read(m, 0, s, buf, need) != need)
            break;
        for (const uint8_t *p = buf; (p = memchr(p, pat[0], (size_t)(buf + starts - p))) != NULL; p++)
            if (memcmp(p, pat, plen) == 0) {
                *found = s + (uint64_t)(p - buf);
                hit = 1;
                break;
            }
        if (hit || last_start - s < starts)
            break;
        s += starts;
    }
    free(buf);
    return hit;
}

static void api_search(kdsim_model *m, const kd_msg *rq, kdsim_msg *o)
{
    size_t dlen;
    const uint8_t *pat = rq_data(rq, &dlen);
    size_t plen = (size_t)rq_val(rq, KD_F_M_SM_PATTERN_LENGTH);
    uint64_t a = va(m, rq_val(rq, KD_F_M_SM_SEARCH_ADDRESS));
    uint64_t len = rq_val(rq, KD_F_M_SM_SEARCH_LENGTH);
    km_f_set(o, KD_F_M_SM_FOUND_ADDRESS, 0);
    if (plen > dlen)
        plen = dlen;
    if (!pat || plen == 0 || len < plen)
        return;
    uint64_t last = a + len - 1 < a ? ~(uint64_t)0 : a + len - 1; /* last byte searched */
    if (last > m->amask)
        last = m->amask;
    uint64_t best = 0;
    int found = 0;
    for (size_t i = 0; i < sizeof m->vreg / sizeof m->vreg[0]; i++) {
        const region *r = &m->vreg[i];
        uint64_t lo = a > r->base ? a : r->base;
        uint64_t rlast = r->base + r->size - 1;
        uint64_t hi = last < rlast ? last : rlast;
        if (lo > hi || hi - lo + 1 < plen)
            continue;
        uint64_t f;
        if (scan(m, lo, hi - plen + 1, pat, plen, &f) && (!found || f < best)) {
            best = f;
            found = 1;
        }
    }
    if (!found) {
        status(o, KD_STATUS_NOT_FOUND);
        return;
    }
    km_f_set(o, KD_F_M_SM_FOUND_ADDRESS, ext(m, best));
    status(o, KD_STATUS_SUCCESS);
}

static void api_fill(kdsim_model *m, const kd_msg *rq, kdsim_msg *o)
{
    size_t dlen;
    const uint8_t *pat = rq_data(rq, &dlen);
    size_t plen = (size_t)rq_val(rq, KD_F_M_FM_PATTERN_LENGTH);
    uint64_t flags = rq_val(rq, KD_F_M_FM_FLAGS);
    uint64_t a = rq_val(rq, KD_F_M_FM_ADDRESS);
    uint64_t len = rq_val(rq, KD_F_M_FM_LENGTH);
    km_f_set(o, KD_F_M_FM_LENGTH, 0);
    if (plen > dlen)
        plen = dlen;
    if (!pat || plen == 0 || (flags != 1 && flags != 2))
        return;
    int phys = flags == 2;
    /* The pattern repeated over a page and one pattern more: the bytes for
     * any stretch of up to a page start at rep[done % plen].  Built once by
     * doubling, not byte by byte per page: a fill may be of 2^32 bytes,
     * and it runs until the model's memory cap (MAX_PAGES) stops it. */
    if (plen > KD_PACKET_MAX_SIZE)
        plen = KD_PACKET_MAX_SIZE;
    uint8_t rep[PG + KD_PACKET_MAX_SIZE];
    size_t have = plen, want = PG + plen;
    memcpy(rep, pat, plen);
    while (have < want) {
        size_t c = have < want - have ? have : want - have;
        memcpy(rep + have, rep, c);
        have += c;
    }
    uint64_t done = 0;
    while (done < len) {
        size_t n = len - done < PG ? (size_t)(len - done) : PG;
        const uint8_t *chunk = rep + (size_t)(done % plen);
        size_t w = km_mem_write(m, phys, phys ? a + done : va(m, a + done), chunk, n);
        done += w;
        if (w < n)
            break;
    }
    km_f_set(o, KD_F_M_FM_LENGTH, done);
    status(o, done == len ? KD_STATUS_SUCCESS : KD_STATUS_UNSUCCESSFUL);
}

static void api_query(kdsim_model *m, const kd_msg *rq, kdsim_msg *o)
{
    uint64_t a = va(m, rq_val(rq, KD_F_M_QM_ADDRESS));
    if (rq_val(rq, KD_F_M_QM_ADDRESS_SPACE) != 0) { /* DBGKD_QUERY_MEMORY_VIRTUAL */
        status(o, KD_STATUS_INVALID_PARAMETER);
        return;
    }
    uint64_t user_max = m->arch == KD_ARCH_X86 ? 0x7FFEFFFFull : 0x7FFFFFFEFFFFull;
    km_f_set(o, KD_F_M_QM_ADDRESS_SPACE, a <= user_max ? 0 : 2); /* PROCESS / KERNEL */
    km_f_set(o, KD_F_M_QM_FLAGS, km_vmapped(m, a) ? 0x7 : 0);      /* READ|WRITE|EXECUTE */
    km_f_set(o, KD_F_M_QM_RESERVED, 0);
    status(o, KD_STATUS_SUCCESS);
}

static void api_context_ex(kdsim_model *m, const kd_msg *rq, kdsim_msg *o, int set)
{
    uint64_t off = rq_val(rq, KD_F_M_CX_OFFSET), cnt = rq_val(rq, KD_F_M_CX_BYTE_COUNT);
    km_f_set(o, KD_F_M_CX_BYTES_COPIED, 0);
    if (!only_cpu0(rq) || off > m->ctx_size || cnt > m->ctx_size - off)
        return;
    if (set) {
        size_t len;
        const uint8_t *d = rq_data(rq, &len);
        if (!m->context_sent || len != cnt || (cnt && !d))
            return;
        if (cnt)
            memcpy(m->ctx + off, d, (size_t)cnt);
    } else {
        km_d_put(o, m->ctx + off, (size_t)cnt);
        m->context_sent = 1;
    }
    km_f_set(o, KD_F_M_CX_BYTES_COPIED, cnt);
    status(o, KD_STATUS_SUCCESS);
}

int kdsim_model_handle(kdsim_model *m, const kd_msg *rq, kdsim_msg *o)
{
    if (!m || !rq || !o || rq->type != KD_TYPE_STATE_MANIPULATE || rq->is_response ||
        m->run != KDSIM_STOPPED)
        return 0;
    const uint32_t api = rq->api;
    /* The APIs that get no reply (§1.4). */
    switch (api) {
    case KD_API_CONTINUE: /* Continue: resumes whatever the status (ReactOS leaves its loop) */
        km_resume(m, 0);
        return 0;
    case KD_API_CONTINUE2: /* Continue2 */
        api_continue2(m, rq);
        return 0;
    case KD_API_REBOOT: /* Reboot */
        if (km_model_reset(m) != 0)
            m->run = KDSIM_BOOT;
        return 0;
    case KD_API_CAUSE_BUG_CHECK: /* CauseBugCheck */
        m->run = KDSIM_RUNNING;
        m->pending = P_BUGCHECK_PRINT | P_BUGCHECK_STOP;
        return 0;
    case KD_API_SWITCH_PROCESSOR: /* SwitchProcessor: one processor, the stop is reported again */
        m->rereport = 1;
        return 0;
    case KD_API_CLEAR_ALL_INTERNAL_BREAKPOINTS: /* ClearAllInternalBreakpoints: no packet, still stopped */
        return 0;
    default:
        break;
    }
    reply_init(m, rq, o);
    size_t len;
    const uint8_t *d;
    switch (api) {
    case KD_API_READ_VIRTUAL_MEMORY:
        api_read_memory(m, rq, o, 0);
        break;
    case KD_API_WRITE_VIRTUAL_MEMORY:
        api_write_memory(m, rq, o, 0);
        break;
    case KD_API_GET_CONTEXT:
        api_get_context(m, rq, o);
        break;
    case KD_API_SET_CONTEXT:
        api_set_context(m, rq, o);
        break;
    case KD_API_WRITE_BREAK_POINT: {
        uint32_t h = bp_add(m, rq_val(rq, KD_F_M_WB_BREAK_POINT_ADDRESS));
        km_f_set(o, KD_F_M_WB_BREAK_POINT_HANDLE, h);
        status(o, h ? KD_STATUS_SUCCESS : KD_STATUS_UNSUCCESSFUL);
        break;
    }
    case KD_API_RESTORE_BREAK_POINT:
        status(o, bp_del(m, rq_val(rq, KD_F_M_RB_BREAK_POINT_HANDLE)) == 0 ? KD_STATUS_SUCCESS : KD_STATUS_UNSUCCESSFUL);
        break;
    case KD_API_READ_CONTROL_SPACE:
        api_read_control(m, rq, o);
        break;
    case KD_API_WRITE_CONTROL_SPACE:
        api_write_control(m, rq, o);
        break;
    case KD_API_READ_IO_SPACE:
    case KD_API_WRITE_IO_SPACE:
        api_io(rq, o, api == KD_API_WRITE_IO_SPACE, 0);
        break;
    case KD_API_READ_PHYSICAL_MEMORY:
        api_read_memory(m, rq, o, 1);
        break;
    case KD_API_WRITE_PHYSICAL_MEMORY:
        api_write_memory(m, rq, o, 1);
        break;
    case KD_API_READ_IO_SPACE_EXTENDED:
    case KD_API_WRITE_IO_SPACE_EXTENDED:
        api_io(rq, o, api == KD_API_WRITE_IO_SPACE_EXTENDED, 1);
        break;
    case KD_API_GET_VERSION:
        api_get_version(m, o);
        break;
    case KD_API_WRITE_BREAK_POINT_EX: /* WriteBreakPointEx / RestoreBreakPointEx: unimplemented, data echoed */
    case KD_API_RESTORE_BREAK_POINT_EX:
        d = rq_data(rq, &len);
        km_d_put(o, d, len);
        break;
    case KD_API_READ_MSR:
    case KD_API_WRITE_MSR:
        api_msr(m, rq, o, api == KD_API_WRITE_MSR);
        break;
    case KD_API_SEARCH_MEMORY:
        api_search(m, rq, o);
        break;
    case KD_API_GET_BUS_DATA: {
        size_t n = (size_t)rq_val(rq, KD_F_M_BUS_LENGTH);
        if (n > m->max_read)
            n = m->max_read;
        km_d_put(o, NULL, n);
        km_f_set(o, KD_F_M_BUS_LENGTH, n);
        status(o, KD_STATUS_SUCCESS);
        break;
    }
    case KD_API_SET_BUS_DATA:
        rq_data(rq, &len);
        km_f_set(o, KD_F_M_BUS_LENGTH, len);
        status(o, KD_STATUS_SUCCESS);
        break;
    case KD_API_CHECK_LOW_MEMORY: /* CheckLowMemory */
        status(o, KD_STATUS_SUCCESS);
        break;
    case KD_API_FILL_MEMORY:
        api_fill(m, rq, o);
        break;
    case KD_API_QUERY_MEMORY:
        api_query(m, rq, o);
        break;
    case KD_API_GET_CONTEXT_EX:
    case KD_API_SET_CONTEXT_EX:
        api_context_ex(m, rq, o, api == KD_API_SET_CONTEXT_EX);
        break;
    default: /* unsupported or unknown: STATUS_UNSUCCESSFUL, no data (kdapi.c:1580-1595) */
        break;
    }
    return 1;
}
