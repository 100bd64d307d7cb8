/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsim/model_impl.h - what the parts of the target model share (private to
 * tools/kdsim/model*.c; the public interface is model.h):
 *
 *   model.c         life (new, Reboot's reset, free) and the accessors;
 *   model_memory.c  sparse memory: virtual regions, physical RAM, the copy loop;
 *   model_cpu.c     the processor: CONTEXT, registers, special registers, MSRs;
 *   model_image.c   Windows structures in memory: PE, code, LDR list, KDBG, KPCR;
 *   model_msg.c     outgoing messages (field lists) and kdsim_msg_encode;
 *   model_stop.c    stop / event state: boot, state changes, the schedule;
 *   model_api.c     the manipulate API handlers (kdsim_model_handle).
 */
#ifndef KDSIM_MODEL_IMPL_H
#define KDSIM_MODEL_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define MANUALLY_INITIATED_CRASH 0xE2u
#define DBG_STATUS_CONTROL_C 1u

#define PG 4096u
#define PG_MASK ((uint64_t)PG - 1)
/* Pages a space may hold (8 MiB): a fill over all of RAM fails instead of
 * eating memory, and fails after 2 048 pages, not 8 192, so it costs a
 * quarter of the time (kdsim is a test target: a debugger writes kilobytes). */
#define MAX_PAGES 2048u
/* Pages a reset keeps for reuse (8 MiB; a boot writes a few dozen, a large
 * fill thousands, and freeing and allocating them again cost more than the
 * fill itself). */
#define SPARE_MAX 2048u
#define MAX_BPS 32u
#define MAX_MSRS 16u
#define CTX_MAX 1232u
#define CTX_MAP 160u /* CONTEXT member fields indexed from KD_F_CTX */
#define KSPECIAL_MAX 0xF0u
#define ANSWER_MAX 128u

/* ------------------------------------------------------------ sparse memory */

typedef struct mpage {
    uint64_t addr; /* page-aligned */
    uint8_t *bytes;
} mpage;

typedef struct mspace {
    mpage *p; /* sorted by addr */
    size_t n, cap;
    /* Pages given back by km_space_clear (a reset), reused zeroed before a
     * new one is allocated. */
    uint8_t **spare;
    size_t nspare, spare_cap;
    /* The page found last (NULL: none): most accesses stay in one page. */
    uint64_t last_addr;
    uint8_t *last;
} mspace;

/* ------------------------------------------------------------ the model */

typedef struct region {
    uint64_t base, size;
} region;

typedef struct bpoint {
    uint64_t addr;
    uint8_t orig[4];
    uint8_t used;
} bpoint;

typedef struct msr_ent {
    uint32_t msr;
    uint64_t value;
} msr_ent;

enum stop_kind { STOP_EXCEPTION, STOP_LOAD_SYMBOLS };

typedef struct stop_info {
    int kind;
    uint32_t code;   /* exception code */
    uint64_t pc;     /* model address */
    uint32_t nparams;
    unsigned module; /* LoadSymbols: 0 ntoskrnl, 1 hal */
} stop_info;

/* Pending events while RUNNING (in this order). */
enum pending_bit {
    P_STEP = 1u << 0,
    P_PRINT = 1u << 1,
    P_BUGCHECK_PRINT = 1u << 2,
    P_BUGCHECK_STOP = 1u << 3,
    P_ANSWER = 1u << 4,
    P_BP = 1u << 5,
    P_PROMPT = 1u << 6
};

struct kdsim_model {
    kdsim_model_opts o; /* normalized */
    kd_arch arch;
    uint8_t width;      /* 32 or 64 */
    unsigned psz;       /* native pointer size */
    uint64_t amask;     /* address mask: 32 bits on x86 */
    uint64_t kern, image_size, hal, pool, stack, kphys, ram_base;
    uint64_t kdcom, drv;  /* kdcom.dll, kdtest.sys */
    uint64_t thread, kpcr, kprcb;
    region vreg[6];
    mspace vmem, pmem;

    const kd_layout *ctx_layout;
    size_t ctx_size;
    /* Where the CONTEXT members KD_F_CTX + i are (offset + 1, size; 0: not
     * in this layout), found once from ctx_layout: a lookup per register
     * otherwise walks the whole layout. */
    uint16_t ctx_map_off[CTX_MAP], ctx_map_size[CTX_MAP];
    uint8_t ctx[CTX_MAX];
    uint8_t kspecial[KSPECIAL_MAX];
    size_t kspecial_size;
    msr_ent msr[MAX_MSRS];
    size_t nmsr;
    bpoint bp[MAX_BPS];

    uint64_t rng;
    uint32_t nt_stamp, nt_sum, hal_stamp, hal_sum;
    uint32_t kdcom_stamp, kdcom_sum, drv_stamp, drv_sum; /* not from rng: the seed's sequence is as before */
    size_t max_read;     /* §3.7 item 5: 3944 */
    size_t sc32_ctx_off; /* where the CONTEXT sits in a type-1 state change's data */

    kdsim_run_state run;
    unsigned boot_stage; /* boot events already reported (3 = done) */
    stop_info stop;
    int context_sent;    /* KdpContextSent */
    int rereport;        /* SwitchProcessor: report the stop again */
    int break_pending;
    int bugchecked;
    unsigned pending;
    unsigned resumes;
    uint8_t answer[ANSWER_MAX];
    size_t answer_len;

    /* kdsim_model_reset: the model as setup left it (its own copy of the
     * pages), restored when the next reset has the same options; NULL
     * until a reset made one. */
    struct kdsim_model *power_on;
};

/* ------------------------------------------------------------ small helpers */

/* splitmix64: the model's content generator (state m->rng, from the seed)
 * and, on a state of its own, the kaslr bases and the drivers' stamps. */
static inline uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t rnd(kdsim_model *m)
{
    return splitmix64(&m->rng);
}

/* A debugger's address as the model keeps it. */
static inline uint64_t va(const kdsim_model *m, uint64_t a)
{
    return a & m->amask;
}

/* A model address as the target reports it in a 64-bit field (§3.7). */
static inline uint64_t ext(const kdsim_model *m, uint64_t a)
{
    if (m->arch == KD_ARCH_X86)
        return (uint64_t)(int64_t)(int32_t)(uint32_t)a;
    return a;
}

/* Seeding helpers (model addresses; failures cannot happen inside regions). */
static inline void put_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t get_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* ------------------------------------------------------------ model.c */

/* Everything the target is at power-on (new and Reboot): 0, or -1 when out of memory. */
int km_model_reset(kdsim_model *m);

/* ------------------------------------------------------------ model_memory.c */

/* Index of the first page with addr >= a; the page at page, or NULL.  A
 * missing page is created when create is KM_PAGE_ZEROED (reading zeros, as a
 * page never written does) or KM_PAGE_OVERWRITE (bytes undefined: the caller
 * writes the whole page at once). */
enum { KM_PAGE_FIND = 0, KM_PAGE_ZEROED = 1, KM_PAGE_OVERWRITE = 2 };
size_t km_space_lower(const mspace *s, uint64_t a);
uint8_t *km_space_page(mspace *s, uint64_t page, int create);
void km_space_free(mspace *s);
/* Empty again (every page unwritten), keeping up to SPARE_MAX pages for reuse. */
void km_space_clear(mspace *s);
int km_vmapped(const kdsim_model *m, uint64_t a);
/* Copies page by page, stopping at the first page that does not exist:
 * returns the bytes done.  phys selects the physical space. */
size_t km_mem_read(kdsim_model *m, int phys, uint64_t a, void *buf, size_t len);
size_t km_mem_write(kdsim_model *m, int phys, uint64_t a, const void *buf, size_t len);
/* Seeding helpers (model addresses): n little-endian bytes, a native pointer. */
void km_poke(kdsim_model *m, uint64_t a, uint64_t v, size_t n);
void km_poke_ptr(kdsim_model *m, uint64_t a, uint64_t v);

/* ------------------------------------------------------------ model_cpu.c */

/* Fills ctx_map from ctx_layout (the model's setup). */
void km_ctx_map(kdsim_model *m);
int km_ctx_loc(const kdsim_model *m, kd_field_id f, size_t *off, size_t *size);
void km_ctx_set(kdsim_model *m, kd_field_id f, uint64_t v);
uint64_t km_ctx_get(const kdsim_model *m, kd_field_id f);
kd_field_id km_f_pc(const kdsim_model *m);
kd_field_id km_f_arg(const kdsim_model *m);
uint64_t km_ctx_pc(const kdsim_model *m);
void km_ctx_redraw(kdsim_model *m);
void km_ctx_init(kdsim_model *m);
void km_init_special(kdsim_model *m);

/* ------------------------------------------------------------ model_image.c */

/* The module list's images (KDSIM_MODULES, in list order), for the list and LoadSymbols. */
extern const char *const km_module_path[KDSIM_MODULES];
uint64_t km_module_base(const kdsim_model *m, unsigned mod);
uint32_t km_module_size(const kdsim_model *m, unsigned mod);
void km_write_pe(kdsim_model *m, uint64_t base, uint32_t size, uint32_t stamp, uint32_t sum, int dll);
void km_write_code(kdsim_model *m);
/* The NOP sleds of kdcom's and kdtest's .text. */
void km_write_driver_code(kdsim_model *m);
void km_write_structures(kdsim_model *m);

/* ------------------------------------------------------------ model_msg.c */

void km_msg_init(const kdsim_model *m, kdsim_msg *o, uint16_t type, uint32_t api);
void km_f_add(kdsim_msg *o, kd_field_id f, uint64_t v);
void km_f_set(kdsim_msg *o, kd_field_id f, uint64_t v);
void km_d_put(kdsim_msg *o, const void *p, size_t n);

/* ------------------------------------------------------------ model_stop.c */

void km_build_state_change(kdsim_model *m, kdsim_msg *o);
void km_do_stop(kdsim_model *m, int kind, uint32_t code, uint64_t pc, uint32_t nparams, unsigned module);
int km_probe_sc32(kdsim_model *m);
void km_resume(kdsim_model *m, int trace);

#endif
