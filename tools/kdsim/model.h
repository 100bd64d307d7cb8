/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsim/model.h - the simulated Windows kernel ("the target") that kdsim
 * plays over a KD link: its machine state and its answers, as pure functions
 * on decoded messages.  No I/O, no clock, no link layer: packet ids, ACKs,
 * RESEND and RESET belong to the caller.
 *
 * Facts come from ../shared/reference/kd-protocol.md (cited as §n.n); where
 * the reference leaves room, the choice made is written down beside the code
 * and summarised under "Choices" below.
 *
 * Conversation (§3.7):
 *
 *   kdsim_model *m = kdsim_model_new(&opts);          // NULL opts: AMD64 defaults
 *   kdsim_msg out;
 *   while (kdsim_model_next_event(m, &out))           // boot: LoadSymbols nt
 *       send(&out), then serve requests:              //       (the target stops)
 *   for each STATE_MANIPULATE request r (decoded with kdsim_model_decode_opts):
 *       if (kdsim_model_handle(m, &r, &out)) send(&out);
 *       // 0: no reply.  After Continue/Continue2 the target runs again and
 *       // kdsim_model_next_event yields what happens next.
 *
 * Messages are built with the encoder's field lists (kdparse/encode.h), so
 * the caller frames them with kd_encode(&out.msg, ...).  One thing the
 * encoder cannot place is a byte array: the control report's
 * InstructionStream.  kdsim_msg_encode() does kd_encode and then writes that
 * stream where the decoder finds it; use it to send (plain kd_encode gives the
 * same packet with the stream left zero).
 *
 * Target states:
 *   BOOT      about to report the next boot event (LoadSymbols ntoskrnl.exe,
 *             LoadSymbols hal.dll, the initial breakpoint);
 *   STOPPED   a state change was reported: the target serves manipulate
 *             requests until Continue / Continue2 (also Reboot, CauseBugCheck);
 *   RUNNING   resumed: next_event gives the scheduled DbgPrint / breakpoint
 *             hit / single step / DbgPrompt, then 0 ("waiting": the link layer
 *             polls for a break-in byte and calls kdsim_model_break_in);
 *   PROMPT    a DbgPrompt was sent: the target waits for the debugger's
 *             DEBUG_IO answer (kdsim_model_prompt_answer).
 * Requests that arrive while the target is not STOPPED are ignored (handle
 * returns 0), as a kernel that is not in KdpSendWaitContinue reads none.
 *
 * Schedule after the initial breakpoint, for resume number n = 1, 2, ...:
 *   - Continue2 with TraceFlag set: a STATUS_SINGLE_STEP state change at the
 *     next instruction (PC + 1 on x86/AMD64, whose fake code is one-byte
 *     instructions; PC + 4 on ARM64), nothing else;
 *   - otherwise a DbgPrint line "kdsim: ...\n" (every resume), then
 *       a STATUS_BREAKPOINT state change at the lowest-address active software
 *       breakpoint, if there is one; else
 *       a DbgPrompt when n is a multiple of KDSIM_PROMPT_EVERY (2: the
 *       same for every seed, so scripts can count on it);
 *       after the answer, a DbgPrint echoing it; else
 *       nothing: the target runs until a break-in.
 *   A break-in while RUNNING preempts the rest: the next event is a
 *   STATUS_BREAKPOINT state change at RtlpBreakWithStatusInstruction (the
 *   status DBG_STATUS_CONTROL_C in Eax / Rcx / X0).
 *
 * Choices (where the reference leaves room):
 *   Addresses (KernBase): AMD64 0xfffff80002a00000 (Windows 7 style, as the
 *     sample capture), x86 0x80800000, ARM64 0xfffff80000000000.  The fake
 *     image is KDSIM_IMAGE_SIZE_64 / _32 bytes; HAL at KernBase +
 *     KDSIM_HAL_OFFSET; pool (module list entries, names) at KernBase +
 *     KDSIM_POOL_OFFSET; the current thread's stack just below KernBase
 *     (KernBase - KDSIM_STACK_BELOW, KDSIM_STACK_SIZE bytes); kdcom and the
 *     test driver (see "Module bases").  These six regions are the only
 *     mapped virtual memory.  On x86 the model keeps
 *     32-bit addresses: a 64-bit address from the debugger is truncated to
 *     its low 32 bits, and every address the target reports in a 64-bit field
 *     is sign-extended (§3.7: (ULONG64)(LONG_PTR)).  kdsim_model_kernel_base
 *     returns the value GetVersion reports.
 *   Virtual memory: 4 KiB pages, allocated on the first write, in a sorted
 *     array.  A page of a mapped region that was never written reads as zeros;
 *     a page outside the regions fails.  Reads and writes stop at the first
 *     page that fails (as KdpCopyMemoryChunks): ActualBytes* = what was done,
 *     ReturnStatus STATUS_UNSUCCESSFUL when short.  Every region is writable.
 *     Each space (virtual, physical) holds at most 8 MiB of written pages
 *     (2 048): a write that needs a page beyond that fails as an unmapped
 *     page does, so a FillMemory over all of RAM stops at 8 MiB and says so;
 *     pages already written can still be rewritten.
 *   Physical memory: RAM of KDSIM_PHYS_RAM_SIZE bytes at a per-arch base
 *     (0 on x86/AMD64, 0x40000000 on ARM64), a sparse space of its own that
 *     reads zeros until written, except a window that mirrors the kernel image
 *     (physical KernPhys..+image size is the same memory as KernBase..):
 *     KernPhys = 0x02a00000 (AMD64), 0x00800000 (x86), 0x40200000 (ARM64).
 *     Outside RAM a physical access fails.  The caching type carried in a
 *     physical request's ActualBytes* field is ignored.
 *   Image content: "MZ" header, e_lfanew 0x100, "PE\0\0", FileHeader with
 *     the arch's Machine, a PE32 (x86) or PE32+ optional header (ImageBase,
 *     SizeOfImage, CheckSum, Subsystem native), .text and .data section
 *     headers.  .text (RVA 0x1000..0x4000) is filled with one-byte NOPs (ARM64
 *     NOP words) with a few named spots (KDSIM_RVA_*).  HAL has a header too.
 *   Debugger data: DebuggerDataList is, as in ReactOS (kdinit.c) and Windows,
 *     the address of KdpDebuggerDataListHead, a LIST_ENTRY whose Flink points
 *     to KdDebuggerDataBlock: KDDEBUGGER_DATA64 (KDDEBUGGER_DATA32 with
 *     protocol32), whose header is List, OwnerTag 'KDBG' (0x4742444B, the
 *     bytes "KDBG"), Size; then KernBase, BreakpointWithStatus, SavedContext,
 *     ThCallbackStack.., KiCallUserMode, KeUserCallbackDispatcher,
 *     PsLoadedModuleList, PsActiveProcessHead; the rest is zero.  Size is
 *     0x340 (Windows 7's KDDEBUGGER_DATA64) or 0x100 for the 32-bit block.
 *     The tag is at DebuggerDataList->Flink + 0x10 (+0x08 for the 32-bit one).
 *   Module list: PsLoadedModuleList is a LIST_ENTRY (native pointers) with
 *     four KLDR_DATA_TABLE_ENTRYs, ntoskrnl.exe, hal.dll, kdcom.dll and the
 *     test driver kdtest.sys (KDSIM_MODULES), in the pool, filled in at the
 *     Windows offsets (pointer size p; DllBase, SizeOfImage and BaseDllName
 *     from kd_ldr_layout_for(), kdparse/modmap.h): InLoadOrderLinks 0,
 *     DllBase 6p, EntryPoint 7p, SizeOfImage 8p, FullDllName 9p, BaseDllName
 *     11p (UTF-16 UNICODE_STRINGs), Flags 13p, LoadCount 13p+4.  Each image
 *     has a PE header; kdcom's and kdtest's .text (RVA 0x1000..0x2000) is a
 *     NOP sled.  Only ntoskrnl.exe and hal.dll are announced by LoadSymbols
 *     (at boot): the debugger learns the others by walking the list.
 *   Module bases: by default fixed, HAL at KernBase + KDSIM_HAL_OFFSET,
 *     kdcom at + KDSIM_KDCOM_OFFSET, kdtest at + KDSIM_DRIVER_OFFSET (so
 *     sessions made before the list had four entries stay byte for byte).
 *     With opts.kaslr the kernel and each driver are at independent bases
 *     drawn from opts.kaslr_seed (and nothing else: --seed still decides the
 *     registers, stamps and schedule): the kernel 2 MiB aligned in the first
 *     2 GiB above 0xfffff80000000000 (x86: 4 MiB aligned above 0x80000000,
 *     below 0x92000000), the drivers 64 KiB aligned and not
 *     overlapping in a 256 MiB window above 0xfffff80090000000 (x86: 128 MiB
 *     above 0x98000000).  The stack stays where it is relative to KernBase;
 *     the pool (LDR entries, their strings) is at 0xfffff800a0000000 (x86:
 *     0xA0000000) whatever the seed, so only image addresses move.  LoadSymbols, GetVersion (KernBase, PsLoadedModuleList) and
 *     the KDBG block report the same bases as the list.
 *   Registers: one CONTEXT image (716 / 1232 / 912 bytes) written through
 *     kd_context_layout(); ContextFlags CONTEXT_ALL (x86 0x0001003F), AMD64
 *     0x0010001F, ARM64 0x0040000F; kernel segments (x86 CS 8, AMD64 CS 0x10);
 *     EFlags 0x246; general registers seed-derived, re-drawn at every stop
 *     except the stack and frame pointers.  SetContext needs a GetContext
 *     (or GetContextEx) since the last state change (KdpContextSent) and
 *     exactly sizeof(CONTEXT) bytes.
 *   Breakpoints: up to 32 (handle = index + 1, as ReactOS); a second one at
 *     the same address fails; the address must be readable and writable.
 *     Memory reads show the breakpoint instruction (0xCC / BRK #0xF000, bytes
 *     00 00 3E D4), as ReactOS reads raw memory; the control report's
 *     InstructionStream shows the original bytes ("breakpoints removed").
 *   State changes: ProcessorLevel 6 (ARM64 8), one processor, Thread = the
 *     fake KTHREAD in the image.  Exception state changes carry 4 bytes of
 *     trace data (ULONG 1) as ReactOS; LoadSymbols carries the path.  The
 *     boot LoadSymbols report PC = the "int 2Dh" debug service spot.
 *     protocol32: type 1 with DBGKD_WAIT_STATE_CHANGE32, then an x86 control
 *     report and the whole x86 CONTEXT (Windows 2000), then the path.
 *   ContinueStatus: Continue and Continue2 resume whether it is a success or
 *     not (ReactOS leaves its loop either way); a failing Continue2 does not
 *     apply its control set.  Continue2 success applies TraceFlag (EFLAGS.TF on
 *     x86/AMD64, cleared at the single-step stop) and Dr7 (Dr6 = 0).
 *   APIs without a reply: Continue, Continue2, Reboot (the model starts its
 *     boot sequence again, memory and breakpoints reset), CauseBugCheck (the
 *     target prints "*** Fatal System Error: 0x000000E2" and reports a
 *     STATUS_BREAKPOINT at KeBugCheckEx; after that it only answers a
 *     break-in), SwitchProcessor (one processor: the current state change is
 *     reported again), ClearAllInternalBreakpoints (stays stopped).
 *   Unsupported APIs (special calls, internal breakpoints, PageIn, OldVlm*,
 *     SwitchPartition, WriteCustomBreakpoint, unknown numbers): the request
 *     header comes back with STATUS_UNSUCCESSFUL and no data; BreakPointEx and
 *     RestoreBreakPointEx echo their data, as ReactOS.  Every reply echoes the
 *     request's union member (ReactOS answers in the request's buffer) with
 *     the results written over it.
 *   Implemented beyond ReactOS: SearchMemory (the whole pattern must lie in
 *     [SearchAddress, +SearchLength); reply FoundAddress, or STATUS_NOT_FOUND),
 *     FillMemory (Flags 1 virtual / 2 physical; reply Length = bytes filled).
 *   Control space: x86, TargetBaseAddress is an offset into KPROCESSOR_STATE
 *     = the live CONTEXT (716) + KSPECIAL_REGISTERS (0x54); AMD64 and ARM64,
 *     0 = KPCR pointer, 1 = KPRCB pointer, 2 = KSPECIAL_REGISTERS (0xF0 bytes
 *     AMD64 with Cr0/Cr2/Cr3/Cr4/Cr8 and the syscall MSRs; 0xA0 bytes ARM64),
 *     3 = KTHREAD pointer.  Writes: x86 into KPROCESSOR_STATE, others into
 *     selector 2; the reply echoes the data (ReactOS).  Processor != 0 fails.
 *   I/O space: reads return all ones (0xFF.. of DataSize 1, 2 or 4), writes
 *     are accepted; other sizes STATUS_UNSUCCESSFUL.  Extended I/O also needs
 *     InterfaceType Isa (1), BusNumber 0, AddressSpace 1 (as ReactOS).
 *   MSRs: x86/AMD64 tables (EFER, STAR, LSTAR = KiSystemCall64, CSTAR,
 *     SFMASK, FS/GS bases, APIC base, TSC, SYSENTER_*); unknown ones
 *     STATUS_NO_SUCH_DEVICE (a faulting rdmsr in ReactOS).  ARM64 has none.
 *   Bus data: reads give zeros, writes are accepted.  QueryMemory: as
 *     ReactOS (AddressSpace 0 only, else STATUS_INVALID_PARAMETER; answers
 *     PROCESS below the user limit, else KERNEL), Flags R|W|X inside a mapped
 *     region and 0 outside.  CheckLowMemory: STATUS_SUCCESS.
 *   GetVersion64: MajorVersion 0x000F (NT, free build), MinorVersion = build,
 *     ProtocolVersion 6, KdSecondaryVersion 2 on AMD64 else 0, Flags DATA
 *     (+PTR64 on AMD64/ARM64), MaxPacketType 12, MaxStateChange 3,
 *     MaxManipulate 0x31.  GetVersion32 (protocol32): ProtocolVersion 4 (a
 *     guess: the 64-bit versions start at 5), Flags DATA, the callback
 *     offsets 0.  Default build: 19041, or 2195 with protocol32.
 *   Memory reads are capped at 3944 bytes (§3.7 item 5); DbgPrint text at
 *     3984.  No message body exceeds 4000 bytes.
 */
#ifndef KDSIM_MODEL_H
#define KDSIM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "kdparse/decode.h"
#include "kdparse/encode.h"
#include "kdparse/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The schedule: a DbgPrompt on every second resume (see above). */
#define KDSIM_PROMPT_EVERY 2u

/* Layout of the fake kernel (offsets from KernBase; see "Choices"). */
#define KDSIM_IMAGE_SIZE_64 0x00800000u /* ntoskrnl SizeOfImage, AMD64 / ARM64 */
#define KDSIM_IMAGE_SIZE_32 0x00400000u /* ntoskrnl SizeOfImage, x86 */
#define KDSIM_HAL_OFFSET 0x00A00000u    /* hal.dll base - KernBase */
#define KDSIM_HAL_SIZE 0x00080000u
#define KDSIM_KDCOM_OFFSET 0x00C00000u  /* kdcom.dll base - KernBase (without kaslr) */
#define KDSIM_KDCOM_SIZE 0x00020000u
#define KDSIM_DRIVER_OFFSET 0x00D00000u /* kdtest.sys base - KernBase (without kaslr) */
#define KDSIM_DRIVER_SIZE 0x00010000u
#define KDSIM_DRIVER_RVA_CODE 0x1000u   /* kdtest's NOP sled up to 0x2000: set breakpoints here */
#define KDSIM_MODULES 4u                /* ntoskrnl.exe, hal.dll, kdcom.dll, kdtest.sys */
#define KDSIM_POOL_OFFSET 0x02000000u   /* a 64 KiB pool region */
#define KDSIM_POOL_SIZE 0x00010000u
#define KDSIM_STACK_BELOW 0x00100000u   /* stack base = KernBase - this */
#define KDSIM_STACK_SIZE 0x00006000u
#define KDSIM_PHYS_RAM_SIZE 0x10000000u /* 256 MiB */

/* Named spots in the image (RVAs). */
#define KDSIM_RVA_BREAK_WITH_STATUS 0x1000u /* RtlpBreakWithStatusInstruction: int3 / brk */
#define KDSIM_RVA_DEBUG_SERVICE 0x1010u     /* int 2Dh; int3 (LoadSymbols reports) */
#define KDSIM_RVA_BUGCHECK 0x1020u          /* KeBugCheckEx's breakpoint */
#define KDSIM_RVA_SYSCALL 0x1100u           /* KiSystemCall64 / KiFastCallEntry */
#define KDSIM_RVA_CODE 0x2000u              /* a NOP sled up to 0x4000: set breakpoints here */
#define KDSIM_RVA_DATA_LIST_HEAD 0x300000u  /* KdpDebuggerDataListHead */
#define KDSIM_RVA_KDBG 0x300010u            /* KdDebuggerDataBlock */
#define KDSIM_RVA_MODULE_LIST 0x300400u     /* PsLoadedModuleList */
#define KDSIM_RVA_PROCESS_LIST 0x300410u    /* PsActiveProcessHead (empty) */
#define KDSIM_RVA_KPCR 0x301000u            /* KPCR (simplified); KPRCB at +0x180 (x86 +0x120) */
#define KDSIM_RVA_KTHREAD 0x302000u         /* the current (only) thread */
#define KDSIM_RVA_SCRATCH 0x304000u         /* a free data page, for tests and debuggers */

typedef struct kdsim_model kdsim_model;

typedef struct kdsim_model_opts {
    kd_arch arch;   /* KD_ARCH_X86, KD_ARCH_AMD64 (default, also for KD_ARCH_UNKNOWN), KD_ARCH_ARM64 */
    uint32_t build; /* reported in GetVersion MinorVersion; 0: 19041 (2195 with protocol32) */
    int protocol32; /* NT4/2000: STATE_CHANGE32 (type 1) and the 32-bit manipulate
                     * layout; x86 only (arch UNKNOWN becomes x86, others fail) */
    uint64_t seed;  /* deterministic pseudo-random content (register values, schedule) */
    int kaslr;      /* 0: the fixed module bases; else drawn from kaslr_seed ("Module bases") */
    uint64_t kaslr_seed;
} kdsim_model_opts;

/* NULL opts: all defaults.  Returns NULL for an unsupported arch or protocol32
 * with a non-x86 arch, or when out of memory. */
kdsim_model *kdsim_model_new(const kdsim_model_opts *o);
void kdsim_model_free(kdsim_model *m);
/* m becomes what kdsim_model_new(o) returns, reusing its allocations (for a
 * caller that runs many short sessions: the fuzzer, a test loop).  The model
 * keeps a copy of what it was at power-on after a reset, so a reset to the
 * same options again copies that back instead of building the address space
 * anew.  0; -1 for options kdsim_model_new refuses (m unchanged) or when out
 * of memory (m must then only be freed or reset again). */
int kdsim_model_reset(kdsim_model *m, const kdsim_model_opts *o);

#define KDSIM_MSG_MAX_FIELDS 96
#define KDSIM_MSG_MAX_DATA 4000

/*
 * A message for the link layer to send (a data packet body: type + fields +
 * data).  msg.fields and msg.data point into this structure's own arrays:
 * after copying a kdsim_msg by value, kd_encode(&copy.msg) would read the
 * original's arrays, while kdsim_msg_encode(&copy) uses the copy's own.
 * msg.id is 0: the link layer picks the packet id.
 */
typedef struct kdsim_msg {
    kd_enc_msg msg;       /* type, api, dir=KD_DIR_T2D, arch, width; fields/data point below */
    kd_enc_field fields[KDSIM_MSG_MAX_FIELDS];
    uint8_t data[KDSIM_MSG_MAX_DATA];
    /* The control report's InstructionStream (state changes only), which
     * kd_encode cannot place; kdsim_msg_encode writes it.  instr_len is also
     * the report's InstructionCount. */
    uint8_t instr_stream[16];
    uint8_t instr_len;
} kdsim_msg;

/*
 * Frames m as a packet with this id: kd_encode, then the InstructionStream at
 * the node the decoder finds for it, then the checksum again.  Returns the
 * packet length or -1 (as kd_encode).
 */
long kdsim_msg_encode(const kdsim_msg *m, uint32_t id, kd_transport t, uint8_t *out, size_t cap);

/*
 * What the target does next when it is not answering a request ("events"):
 * the boot sequence (LoadSymbols state changes for ntoskrnl.exe and hal.dll,
 * then the initial breakpoint exception; each one stops the target until a
 * Continue), then after each resume the next thing on its schedule (see the
 * top of this file).  Returns 1 with *out filled, 0 when the target waits
 * (stopped in the manipulate loop, waiting for a prompt answer, or running
 * with nothing scheduled: the link layer then polls for a break-in).
 */
int kdsim_model_next_event(kdsim_model *m, kdsim_msg *out);

/*
 * The state change of the current stop again, rebuilt from the model (for the
 * resend after a RESET, §3.5, instead of keeping a copy of the kdsim_msg).
 * Returns 1 when STOPPED, else 0.  Changes nothing in the model.
 */
int kdsim_model_state_change(kdsim_model *m, kdsim_msg *out);

/* A break-in (0x62) arrived.  While RUNNING the next event is a
 * STATUS_BREAKPOINT state change (DbgBreakPointWithStatus); otherwise it is
 * ignored (the target is stopped, booting, or waiting for a prompt answer). */
void kdsim_model_break_in(kdsim_model *m);

/*
 * A manipulate request from the debugger, decoded by kdparse with
 * kdsim_model_decode_opts(m) (the item's bytes must still be valid).  Returns
 * 1 with the reply in *out; 0 when the API gets no reply (Continue, Continue2:
 * the target resumes; Reboot; CauseBugCheck; SwitchProcessor;
 * ClearAllInternalBreakpoints), when the message is not a STATE_MANIPULATE,
 * or when the target is not STOPPED.
 */
int kdsim_model_handle(kdsim_model *m, const kd_msg *request, kdsim_msg *out);

/* The debugger answered the pending DbgPrompt with this text (clipped to the
 * LengthOfStringRead the prompt offered).  Ignored when no prompt is pending. */
void kdsim_model_prompt_answer(kdsim_model *m, const char *text, size_t len);

/* The views to decode the debugger's requests with (arch; width 32 or 64). */
kd_decode_opts kdsim_model_decode_opts(const kdsim_model *m);

typedef enum kdsim_run_state {
    KDSIM_BOOT,
    KDSIM_STOPPED,
    KDSIM_RUNNING,
    KDSIM_PROMPT
} kdsim_run_state;

kdsim_run_state kdsim_model_state(const kdsim_model *m);

/* Where things are, as the target reports addresses (sign-extended on x86). */
typedef struct kdsim_model_info {
    kd_arch arch;
    uint8_t width;                /* manipulate layout: 32 (protocol32) or 64 */
    uint64_t kern_base;
    uint32_t image_size;
    uint64_t hal_base;
    uint64_t kdcom_base;
    uint64_t driver_base;         /* kdtest.sys (KDSIM_DRIVER_SIZE bytes) */
    uint64_t ps_loaded_module_list;
    uint64_t debugger_data_list;  /* KdpDebuggerDataListHead */
    uint64_t kdbg;                /* KdDebuggerDataBlock */
    uint64_t break_pc;            /* RtlpBreakWithStatusInstruction */
    uint64_t code;                /* KDSIM_RVA_CODE: free for breakpoints */
    uint64_t scratch;             /* KDSIM_RVA_SCRATCH: a free data page */
    uint64_t stack_base, stack_limit;
    size_t context_size;          /* sizeof(CONTEXT): 716, 1232 or 912 */
} kdsim_model_info;

kdsim_model_info kdsim_model_get_info(const kdsim_model *m);

/* Test hooks: the model's memory and registers. */
int kdsim_model_read(kdsim_model *m, uint64_t addr, void *buf, size_t len); /* 0, or -1 if any byte is unmapped */
int kdsim_model_write(kdsim_model *m, uint64_t addr, const void *buf, size_t len); /* 0 or -1 */
uint64_t kdsim_model_kernel_base(const kdsim_model *m);
/* The live CONTEXT image (*len = its size). */
const uint8_t *kdsim_model_context(const kdsim_model *m, size_t *len);
/* The program counter in the CONTEXT (sign-extended on x86). */
uint64_t kdsim_model_pc(const kdsim_model *m);

#ifdef __cplusplus
}
#endif

#endif
