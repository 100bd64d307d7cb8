/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The wire layouts of kd-protocol.md §2.4 (MSVC ABI: what targets send),
 * one table per structure, offsets relative to the structure.  CONTEXT
 * layouts are in layout_context.c.  At the end, the API, NewState and I/O
 * tables, made from the rows of fields/apis.def, which name these layouts.
 */
#include "layouts.h"

#include <stddef.h>

#include "kdparse/wire.h"

/* KD_PACKET */
static const kd_member packet_m[] = {
    KD_MEMBER(LEADER, 0x0, 4), KD_MEMBER(TYPE, 0x4, 2), KD_MEMBER(BYTE_COUNT, 0x6, 2),
    KD_MEMBER(ID, 0x8, 4),     KD_MEMBER(CHECKSUM, 0xC, 4),
};
KD_LAYOUT(kd_l_packet, "KD_PACKET", 16, packet_m);

/* The common head of DBGKD_ANY_WAIT_STATE_CHANGE (union at 0x20). */
static const kd_member state64_m[] = {
    KD_MEMBER(STATE_NEW_STATE, 0x00, 4),         KD_MEMBER(STATE_PROCESSOR_LEVEL, 0x04, 2),
    KD_MEMBER(STATE_PROCESSOR, 0x06, 2),         KD_MEMBER(STATE_NUMBER_PROCESSORS, 0x08, 4),
    KD_MEMBER(STATE_THREAD, 0x10, 8),            KD_MEMBER(STATE_PROGRAM_COUNTER, 0x18, 8),
};
KD_LAYOUT(kd_l_state64, "DBGKD_ANY_WAIT_STATE_CHANGE", 0x20, state64_m);

/* The common head of DBGKD_WAIT_STATE_CHANGE32 (union at 0x14). */
static const kd_member state32_m[] = {
    KD_MEMBER(STATE_NEW_STATE, 0x00, 4),         KD_MEMBER(STATE_PROCESSOR_LEVEL, 0x04, 2),
    KD_MEMBER(STATE_PROCESSOR, 0x06, 2),         KD_MEMBER(STATE_NUMBER_PROCESSORS, 0x08, 4),
    KD_MEMBER(STATE_THREAD, 0x0C, 4),            KD_MEMBER(STATE_PROGRAM_COUNTER, 0x10, 4),
};
KD_LAYOUT(kd_l_state32, "DBGKD_WAIT_STATE_CHANGE32", 0x14, state32_m);

/* DBGKM_EXCEPTION64 = EXCEPTION_RECORD64 + FirstChance, flattened. */
static const kd_member exception64_m[] = {
    KD_MEMBER(EXCEPTION_CODE, 0x00, 4),    KD_MEMBER(EXCEPTION_FLAGS, 0x04, 4),
    KD_MEMBER(EXCEPTION_RECORD, 0x08, 8),  KD_MEMBER(EXCEPTION_ADDRESS, 0x10, 8),
    KD_MEMBER(EXCEPTION_NUMBER_PARAMETERS, 0x18, 4),
    KD_ARRAY(EXCEPTION_INFORMATION, 0x20, 8, 15),
    KD_MEMBER(EXCEPTION_FIRST_CHANCE, 0x98, 4),
};
KD_LAYOUT(kd_l_exception64, "DBGKM_EXCEPTION64", 160, exception64_m);

static const kd_member exception32_m[] = {
    KD_MEMBER(EXCEPTION_CODE, 0x00, 4),    KD_MEMBER(EXCEPTION_FLAGS, 0x04, 4),
    KD_MEMBER(EXCEPTION_RECORD, 0x08, 4),  KD_MEMBER(EXCEPTION_ADDRESS, 0x0C, 4),
    KD_MEMBER(EXCEPTION_NUMBER_PARAMETERS, 0x10, 4),
    KD_ARRAY(EXCEPTION_INFORMATION, 0x14, 4, 15),
    KD_MEMBER(EXCEPTION_FIRST_CHANCE, 0x50, 4),
};
KD_LAYOUT(kd_l_exception32, "DBGKM_EXCEPTION32", 84, exception32_m);

static const kd_member load_symbols64_m[] = {
    KD_MEMBER(LS_PATH_NAME_LENGTH, 0x00, 4), KD_MEMBER(LS_BASE_OF_DLL, 0x08, 8),
    KD_MEMBER(LS_PROCESS_ID, 0x10, 8),       KD_MEMBER(LS_CHECK_SUM, 0x18, 4),
    KD_MEMBER(LS_SIZE_OF_IMAGE, 0x1C, 4),    KD_MEMBER(LS_UNLOAD_SYMBOLS, 0x20, 1),
};
KD_LAYOUT(kd_l_load_symbols64, "DBGKD_LOAD_SYMBOLS64", 40, load_symbols64_m);

static const kd_member load_symbols32_m[] = {
    KD_MEMBER(LS_PATH_NAME_LENGTH, 0x00, 4), KD_MEMBER(LS_BASE_OF_DLL, 0x04, 4),
    KD_MEMBER(LS_PROCESS_ID, 0x08, 4),       KD_MEMBER(LS_CHECK_SUM, 0x0C, 4),
    KD_MEMBER(LS_SIZE_OF_IMAGE, 0x10, 4),    KD_MEMBER(LS_UNLOAD_SYMBOLS, 0x14, 1),
};
KD_LAYOUT(kd_l_load_symbols32, "DBGKD_LOAD_SYMBOLS32", 24, load_symbols32_m);

static const kd_member command_string_m[] = {
    KD_MEMBER(CS_FLAGS, 0x0, 4), KD_MEMBER(CS_RESERVED1, 0x4, 4), KD_ARRAY(CS_RESERVED2, 0x8, 8, 7),
};
KD_LAYOUT(kd_l_command_string, "DBGKD_COMMAND_STRING", 64, command_string_m);

/* Control reports (at 0xC0 of the state change; after the 32-bit header). */
static const kd_member cr_x86_m[] = {
    KD_MEMBER(CR_DR6, 0x00, 4),           KD_MEMBER(CR_DR7, 0x04, 4),
    KD_MEMBER(CR_INSTRUCTION_COUNT, 0x08, 2), KD_MEMBER(CR_REPORT_FLAGS, 0x0A, 2),
    KD_MEMBER(CR_INSTRUCTION_STREAM, 0x0C, 16),
    KD_MEMBER(CR_SEG_CS, 0x1C, 2),        KD_MEMBER(CR_SEG_DS, 0x1E, 2),
    KD_MEMBER(CR_SEG_ES, 0x20, 2),        KD_MEMBER(CR_SEG_FS, 0x22, 2),
    KD_MEMBER(CR_EFLAGS, 0x24, 4),
};
KD_LAYOUT(kd_l_cr_x86, "X86_DBGKD_CONTROL_REPORT", 40, cr_x86_m);

static const kd_member cr_amd64_m[] = {
    KD_MEMBER(CR_DR6, 0x00, 8),           KD_MEMBER(CR_DR7, 0x08, 8),
    KD_MEMBER(CR_EFLAGS, 0x10, 4),        KD_MEMBER(CR_INSTRUCTION_COUNT, 0x14, 2),
    KD_MEMBER(CR_REPORT_FLAGS, 0x16, 2),  KD_MEMBER(CR_INSTRUCTION_STREAM, 0x18, 16),
    KD_MEMBER(CR_SEG_CS, 0x28, 2),        KD_MEMBER(CR_SEG_DS, 0x2A, 2),
    KD_MEMBER(CR_SEG_ES, 0x2C, 2),        KD_MEMBER(CR_SEG_FS, 0x2E, 2),
};
KD_LAYOUT(kd_l_cr_amd64, "AMD64_DBGKD_CONTROL_REPORT", 48, cr_amd64_m);

/* ReactOS only; not cross-checked against a PDB (§2.3 item 3). */
static const kd_member cr_arm64_m[] = {
    KD_MEMBER(CR_BVR, 0x00, 8), KD_MEMBER(CR_WVR, 0x08, 8),
    KD_MEMBER(CR_INSTRUCTION_COUNT, 0x10, 4), KD_MEMBER(CR_INSTRUCTION_STREAM, 0x14, 16),
};
KD_LAYOUT(kd_l_cr_arm64, "ARM64_DBGKD_CONTROL_REPORT", 40, cr_arm64_m);

static const kd_member cr_arm_m[] = {
    KD_MEMBER(CR_CPSR, 0x00, 4), KD_MEMBER(CR_INSTRUCTION_COUNT, 0x04, 4),
    KD_MEMBER(CR_INSTRUCTION_STREAM, 0x08, 16),
};
KD_LAYOUT(kd_l_cr_arm, "ARM_DBGKD_CONTROL_REPORT", 24, cr_arm_m);

/* IA64 and Alpha share this shape. */
static const kd_member cr_ia64_m[] = {
    KD_MEMBER(CR_INSTRUCTION_COUNT, 0x00, 4), KD_MEMBER(CR_INSTRUCTION_STREAM, 0x04, 16),
};
KD_LAYOUT(kd_l_cr_ia64, "IA64_DBGKD_CONTROL_REPORT", 20, cr_ia64_m);

/* Control sets (at +4 of DBGKD_CONTINUE2, pack 4). */
static const kd_member cs_x86_m[] = {
    KD_MEMBER(CS_TRACE_FLAG, 0x0, 4), KD_MEMBER(CS_DR7, 0x4, 4),
    KD_MEMBER(CS_CURRENT_SYMBOL_START, 0x8, 4), KD_MEMBER(CS_CURRENT_SYMBOL_END, 0xC, 4),
};
KD_LAYOUT(kd_l_cs_x86, "X86_DBGKD_CONTROL_SET", 16, cs_x86_m);

static const kd_member cs_amd64_m[] = {
    KD_MEMBER(CS_TRACE_FLAG, 0x00, 4), KD_MEMBER(CS_DR7, 0x04, 8),
    KD_MEMBER(CS_CURRENT_SYMBOL_START, 0x0C, 8), KD_MEMBER(CS_CURRENT_SYMBOL_END, 0x14, 8),
};
KD_LAYOUT(kd_l_cs_amd64, "AMD64_DBGKD_CONTROL_SET", 28, cs_amd64_m);

/* Windows' layout from the PDB (§2.3 item 2), not ReactOS's 12 bytes. */
static const kd_member cs_arm64_m[] = {
    KD_MEMBER(CS_CONTINUE, 0x00, 4), KD_MEMBER(CS_TRACE_FLAG, 0x04, 4),
    KD_MEMBER(CS_CURRENT_SYMBOL_START, 0x08, 8), KD_MEMBER(CS_CURRENT_SYMBOL_END, 0x10, 8),
};
KD_LAYOUT(kd_l_cs_arm64, "ARM64_DBGKD_CONTROL_SET", 24, cs_arm64_m);

static const kd_member cs_arm_m[] = {
    KD_MEMBER(CS_CONTINUE, 0x0, 4), KD_MEMBER(CS_CURRENT_SYMBOL_START, 0x4, 4),
    KD_MEMBER(CS_CURRENT_SYMBOL_END, 0x8, 4),
};
KD_LAYOUT(kd_l_cs_arm, "ARM_DBGKD_CONTROL_SET", 12, cs_arm_m);

static const kd_member cs_ia64_m[] = {
    KD_MEMBER(CS_CONTINUE, 0x0, 4), KD_MEMBER(CS_CURRENT_SYMBOL_START, 0x4, 8),
    KD_MEMBER(CS_CURRENT_SYMBOL_END, 0xC, 8),
};
KD_LAYOUT(kd_l_cs_ia64, "IA64_DBGKD_CONTROL_SET", 20, cs_ia64_m);

/* DBGKD_MANIPULATE_STATE32/64 heads are the same up to ReturnStatus; the
 * union is at 0x10 (64) or 0x0C (32, Windows' pack(4) layout, §2.3). */
static const kd_member manip_m[] = {
    KD_MEMBER(M_API_NUMBER, 0x0, 4), KD_MEMBER(M_PROCESSOR_LEVEL, 0x4, 2),
    KD_MEMBER(M_PROCESSOR, 0x6, 2),  KD_MEMBER(M_RETURN_STATUS, 0x8, 4),
};
KD_LAYOUT(kd_l_manip_header, "DBGKD_MANIPULATE_STATE", 12, manip_m);

/* ---- manipulate union members ---- */
static const kd_member read_memory64_m[] = {
    KD_MEMBER(M_RM_TARGET_BASE_ADDRESS, 0x0, 8), KD_MEMBER(M_RM_TRANSFER_COUNT, 0x8, 4),
    KD_MEMBER(M_RM_ACTUAL_BYTES_READ, 0xC, 4),
};
static KD_LAYOUT(read_memory64, "DBGKD_READ_MEMORY64", 16, read_memory64_m);
static const kd_member read_memory32_m[] = {
    KD_MEMBER(M_RM_TARGET_BASE_ADDRESS, 0x0, 4), KD_MEMBER(M_RM_TRANSFER_COUNT, 0x4, 4),
    KD_MEMBER(M_RM_ACTUAL_BYTES_READ, 0x8, 4),
};
static KD_LAYOUT(read_memory32, "DBGKD_READ_MEMORY32", 12, read_memory32_m);

static const kd_member write_memory64_m[] = {
    KD_MEMBER(M_WM_TARGET_BASE_ADDRESS, 0x0, 8), KD_MEMBER(M_WM_TRANSFER_COUNT, 0x8, 4),
    KD_MEMBER(M_WM_ACTUAL_BYTES_WRITTEN, 0xC, 4),
};
static KD_LAYOUT(write_memory64, "DBGKD_WRITE_MEMORY64", 16, write_memory64_m);
static const kd_member write_memory32_m[] = {
    KD_MEMBER(M_WM_TARGET_BASE_ADDRESS, 0x0, 4), KD_MEMBER(M_WM_TRANSFER_COUNT, 0x4, 4),
    KD_MEMBER(M_WM_ACTUAL_BYTES_WRITTEN, 0x8, 4),
};
static KD_LAYOUT(write_memory32, "DBGKD_WRITE_MEMORY32", 12, write_memory32_m);

static const kd_member get_context_m[] = {KD_MEMBER(M_GC_UNUSED, 0, 4)};
static KD_LAYOUT(get_context, "DBGKD_GET_CONTEXT", 4, get_context_m);
static const kd_member set_context_m[] = {KD_MEMBER(M_SC_CONTEXT_FLAGS, 0, 4)};
static KD_LAYOUT(set_context, "DBGKD_SET_CONTEXT", 4, set_context_m);

static const kd_member write_bp64_m[] = {
    KD_MEMBER(M_WB_BREAK_POINT_ADDRESS, 0x0, 8), KD_MEMBER(M_WB_BREAK_POINT_HANDLE, 0x8, 4),
};
static KD_LAYOUT(write_bp64, "DBGKD_WRITE_BREAKPOINT64", 16, write_bp64_m);
static const kd_member write_bp32_m[] = {
    KD_MEMBER(M_WB_BREAK_POINT_ADDRESS, 0x0, 4), KD_MEMBER(M_WB_BREAK_POINT_HANDLE, 0x4, 4),
};
static KD_LAYOUT(write_bp32, "DBGKD_WRITE_BREAKPOINT32", 8, write_bp32_m);

static const kd_member restore_bp_m[] = {KD_MEMBER(M_RB_BREAK_POINT_HANDLE, 0, 4)};
static KD_LAYOUT(restore_bp, "DBGKD_RESTORE_BREAKPOINT", 4, restore_bp_m);

static const kd_member continue_m[] = {KD_MEMBER(M_C_CONTINUE_STATUS, 0, 4)};
static KD_LAYOUT(continue1, "DBGKD_CONTINUE", 4, continue_m);
/* Continue2's control set depends on the architecture: the decoder adds it. */
static const kd_member continue2_m[] = {KD_MEMBER(M_C2_CONTINUE_STATUS, 0, 4)};
static KD_LAYOUT(continue2, "DBGKD_CONTINUE2", 32, continue2_m);

static const kd_member io64_m[] = {
    KD_MEMBER(M_IO_IO_ADDRESS, 0x0, 8), KD_MEMBER(M_IO_DATA_SIZE, 0x8, 4),
    KD_MEMBER(M_IO_DATA_VALUE, 0xC, 4),
};
static KD_LAYOUT(io64, "DBGKD_READ_WRITE_IO64", 16, io64_m);
static const kd_member io32_m[] = {
    KD_MEMBER(M_IO_IO_ADDRESS, 0x0, 4), KD_MEMBER(M_IO_DATA_SIZE, 0x4, 4),
    KD_MEMBER(M_IO_DATA_VALUE, 0x8, 4),
};
static KD_LAYOUT(io32, "DBGKD_READ_WRITE_IO32", 12, io32_m);

static const kd_member iox64_m[] = {
    KD_MEMBER(M_IOX_DATA_SIZE, 0x00, 4),  KD_MEMBER(M_IOX_INTERFACE_TYPE, 0x04, 4),
    KD_MEMBER(M_IOX_BUS_NUMBER, 0x08, 4), KD_MEMBER(M_IOX_ADDRESS_SPACE, 0x0C, 4),
    KD_MEMBER(M_IOX_IO_ADDRESS, 0x10, 8), KD_MEMBER(M_IOX_DATA_VALUE, 0x18, 4),
};
static KD_LAYOUT(iox64, "DBGKD_READ_WRITE_IO_EXTENDED64", 32, iox64_m);
static const kd_member iox32_m[] = {
    KD_MEMBER(M_IOX_DATA_SIZE, 0x00, 4),  KD_MEMBER(M_IOX_INTERFACE_TYPE, 0x04, 4),
    KD_MEMBER(M_IOX_BUS_NUMBER, 0x08, 4), KD_MEMBER(M_IOX_ADDRESS_SPACE, 0x0C, 4),
    KD_MEMBER(M_IOX_IO_ADDRESS, 0x10, 4), KD_MEMBER(M_IOX_DATA_VALUE, 0x14, 4),
};
static KD_LAYOUT(iox32, "DBGKD_READ_WRITE_IO_EXTENDED32", 24, iox32_m);

static const kd_member qsc_m[] = {KD_MEMBER(M_QSC_NUMBER_OF_SPECIAL_CALLS, 0, 4)};
static KD_LAYOUT(qsc, "DBGKD_QUERY_SPECIAL_CALLS", 4, qsc_m);
static const kd_member ssc64_m[] = {KD_MEMBER(M_SSC_SPECIAL_CALL, 0, 8)};
static KD_LAYOUT(ssc64, "DBGKD_SET_SPECIAL_CALL64", 8, ssc64_m);
static const kd_member ssc32_m[] = {KD_MEMBER(M_SSC_SPECIAL_CALL, 0, 4)};
static KD_LAYOUT(ssc32, "DBGKD_SET_SPECIAL_CALL32", 4, ssc32_m);

static const kd_member sib64_m[] = {
    KD_MEMBER(M_SIB_BREAKPOINT_ADDRESS, 0x0, 8), KD_MEMBER(M_SIB_FLAGS, 0x8, 4),
};
static KD_LAYOUT(sib64, "DBGKD_SET_INTERNAL_BREAKPOINT64", 16, sib64_m);
static const kd_member sib32_m[] = {
    KD_MEMBER(M_SIB_BREAKPOINT_ADDRESS, 0x0, 4), KD_MEMBER(M_SIB_FLAGS, 0x4, 4),
};
static KD_LAYOUT(sib32, "DBGKD_SET_INTERNAL_BREAKPOINT32", 8, sib32_m);

static const kd_member gib64_m[] = {
    KD_MEMBER(M_GIB_BREAKPOINT_ADDRESS, 0x00, 8), KD_MEMBER(M_GIB_FLAGS, 0x08, 4),
    KD_MEMBER(M_GIB_CALLS, 0x0C, 4),              KD_MEMBER(M_GIB_MAX_CALLS_PER_PERIOD, 0x10, 4),
    KD_MEMBER(M_GIB_MIN_INSTRUCTIONS, 0x14, 4),   KD_MEMBER(M_GIB_MAX_INSTRUCTIONS, 0x18, 4),
    KD_MEMBER(M_GIB_TOTAL_INSTRUCTIONS, 0x1C, 4),
};
static KD_LAYOUT(gib64, "DBGKD_GET_INTERNAL_BREAKPOINT64", 32, gib64_m);
static const kd_member gib32_m[] = {
    KD_MEMBER(M_GIB_BREAKPOINT_ADDRESS, 0x00, 4), KD_MEMBER(M_GIB_FLAGS, 0x04, 4),
    KD_MEMBER(M_GIB_CALLS, 0x08, 4),              KD_MEMBER(M_GIB_MAX_CALLS_PER_PERIOD, 0x0C, 4),
    KD_MEMBER(M_GIB_MIN_INSTRUCTIONS, 0x10, 4),   KD_MEMBER(M_GIB_MAX_INSTRUCTIONS, 0x14, 4),
    KD_MEMBER(M_GIB_TOTAL_INSTRUCTIONS, 0x18, 4),
};
static KD_LAYOUT(gib32, "DBGKD_GET_INTERNAL_BREAKPOINT32", 28, gib32_m);

static const kd_member gv64_m[] = {
    KD_MEMBER(M_GV_MAJOR_VERSION, 0x00, 2),     KD_MEMBER(M_GV_MINOR_VERSION, 0x02, 2),
    KD_MEMBER(M_GV_PROTOCOL_VERSION, 0x04, 1),  KD_MEMBER(M_GV_KD_SECONDARY_VERSION, 0x05, 1),
    KD_MEMBER(M_GV_FLAGS, 0x06, 2),             KD_MEMBER(M_GV_MACHINE_TYPE, 0x08, 2),
    KD_MEMBER(M_GV_MAX_PACKET_TYPE, 0x0A, 1),   KD_MEMBER(M_GV_MAX_STATE_CHANGE, 0x0B, 1),
    KD_MEMBER(M_GV_MAX_MANIPULATE, 0x0C, 1),    KD_MEMBER(M_GV_SIMULATION, 0x0D, 1),
    KD_MEMBER(M_GV_UNUSED, 0x0E, 2),            KD_MEMBER(M_GV_KERN_BASE, 0x10, 8),
    KD_MEMBER(M_GV_PS_LOADED_MODULE_LIST, 0x18, 8), KD_MEMBER(M_GV_DEBUGGER_DATA_LIST, 0x20, 8),
};
static KD_LAYOUT(gv64, "DBGKD_GET_VERSION64", 40, gv64_m);
static const kd_member gv32_m[] = {
    KD_MEMBER(M_GV32_MAJOR_VERSION, 0x00, 2),   KD_MEMBER(M_GV32_MINOR_VERSION, 0x02, 2),
    KD_MEMBER(M_GV32_PROTOCOL_VERSION, 0x04, 2), KD_MEMBER(M_GV32_FLAGS, 0x06, 2),
    KD_MEMBER(M_GV32_KERN_BASE, 0x08, 4),       KD_MEMBER(M_GV32_PS_LOADED_MODULE_LIST, 0x0C, 4),
    KD_MEMBER(M_GV32_MACHINE_TYPE, 0x10, 2),    KD_MEMBER(M_GV32_TH_CALLBACK_STACK, 0x12, 2),
    KD_MEMBER(M_GV32_NEXT_CALLBACK, 0x14, 2),   KD_MEMBER(M_GV32_FRAME_POINTER, 0x16, 2),
    KD_MEMBER(M_GV32_KI_CALL_USER_MODE, 0x18, 4),
    KD_MEMBER(M_GV32_KE_USER_CALLBACK_DISPATCHER, 0x1C, 4),
    KD_MEMBER(M_GV32_BREAKPOINT_WITH_STATUS, 0x20, 4), KD_MEMBER(M_GV32_DEBUGGER_DATA_LIST, 0x24, 4),
};
static KD_LAYOUT(gv32, "DBGKD_GET_VERSION32", 40, gv32_m);

static const kd_member bpx_m[] = {
    KD_MEMBER(M_BPX_BREAK_POINT_COUNT, 0x0, 4), KD_MEMBER(M_BPX_CONTINUE_STATUS, 0x4, 4),
};
static KD_LAYOUT(bpx, "DBGKD_BREAKPOINTEX", 8, bpx_m);

static const kd_member msr_m[] = {
    KD_MEMBER(M_MSR_MSR, 0x0, 4), KD_MEMBER(M_MSR_DATA_VALUE_LOW, 0x4, 4),
    KD_MEMBER(M_MSR_DATA_VALUE_HIGH, 0x8, 4),
};
static KD_LAYOUT(msr, "DBGKD_READ_WRITE_MSR", 12, msr_m);

/* SearchAddress and FoundAddress share offset 0: the decoder picks by direction. */
static const kd_member search_m[] = {
    KD_MEMBER(M_SM_SEARCH_ADDRESS, 0x00, 8), KD_MEMBER(M_SM_SEARCH_LENGTH, 0x08, 8),
    KD_MEMBER(M_SM_PATTERN_LENGTH, 0x10, 4),
};
static KD_LAYOUT(search, "DBGKD_SEARCH_MEMORY", 24, search_m);

static const kd_member bus_m[] = {
    KD_MEMBER(M_BUS_BUS_DATA_TYPE, 0x00, 4), KD_MEMBER(M_BUS_BUS_NUMBER, 0x04, 4),
    KD_MEMBER(M_BUS_SLOT_NUMBER, 0x08, 4),   KD_MEMBER(M_BUS_OFFSET, 0x0C, 4),
    KD_MEMBER(M_BUS_LENGTH, 0x10, 4),
};
static KD_LAYOUT(bus, "DBGKD_GET_SET_BUS_DATA", 20, bus_m);

static const kd_member fill_m[] = {
    KD_MEMBER(M_FM_ADDRESS, 0x0, 8), KD_MEMBER(M_FM_LENGTH, 0x8, 4),
    KD_MEMBER(M_FM_FLAGS, 0xC, 2),   KD_MEMBER(M_FM_PATTERN_LENGTH, 0xE, 2),
};
static KD_LAYOUT(fill, "DBGKD_FILL_MEMORY", 16, fill_m);

static const kd_member query_m[] = {
    KD_MEMBER(M_QM_ADDRESS, 0x00, 8),       KD_MEMBER(M_QM_RESERVED, 0x08, 8),
    KD_MEMBER(M_QM_ADDRESS_SPACE, 0x10, 4), KD_MEMBER(M_QM_FLAGS, 0x14, 4),
};
static KD_LAYOUT(query, "DBGKD_QUERY_MEMORY", 24, query_m);

static const kd_member partition_m[] = {KD_MEMBER(M_SP_PARTITION, 0, 4)};
static KD_LAYOUT(partition, "DBGKD_SWITCH_PARTITION", 4, partition_m);

static const kd_member custom_bp_m[] = {
    KD_MEMBER(M_WCB_BREAK_POINT_ADDRESS, 0x00, 8), KD_MEMBER(M_WCB_BREAK_POINT_INSTRUCTION, 0x08, 8),
    KD_MEMBER(M_WCB_BREAK_POINT_HANDLE, 0x10, 4),  KD_MEMBER(M_WCB_BREAK_POINT_INSTRUCTION_SIZE, 0x14, 1),
    KD_MEMBER(M_WCB_BREAK_POINT_INSTRUCTION_ALIGNMENT, 0x15, 1),
};
static KD_LAYOUT(custom_bp, "DBGKD_WRITE_CUSTOM_BREAKPOINT", 24, custom_bp_m);

static const kd_member context_ex_m[] = {
    KD_MEMBER(M_CX_OFFSET, 0x0, 4), KD_MEMBER(M_CX_BYTE_COUNT, 0x4, 4),
    KD_MEMBER(M_CX_BYTES_COPIED, 0x8, 4),
};
static KD_LAYOUT(context_ex, "DBGKD_CONTEXT_EX", 12, context_ex_m);

/* ---- DEBUG_IO, TRACE_IO, CONTROL_REQUEST, FILE_IO ---- */
static const kd_member dio_print_m[] = {
    KD_MEMBER(DIO_API_NUMBER, 0x0, 4), KD_MEMBER(DIO_PROCESSOR_LEVEL, 0x4, 2),
    KD_MEMBER(DIO_PROCESSOR, 0x6, 2),  KD_MEMBER(DIO_LENGTH_OF_STRING, 0x8, 4),
};
KD_LAYOUT(kd_l_debug_io_print, "DBGKD_DEBUG_IO", 16, dio_print_m);
static const kd_member dio_get_m[] = {
    KD_MEMBER(DIO_API_NUMBER, 0x0, 4), KD_MEMBER(DIO_PROCESSOR_LEVEL, 0x4, 2),
    KD_MEMBER(DIO_PROCESSOR, 0x6, 2),  KD_MEMBER(DIO_LENGTH_OF_PROMPT_STRING, 0x8, 4),
    KD_MEMBER(DIO_LENGTH_OF_STRING_READ, 0xC, 4),
};
KD_LAYOUT(kd_l_debug_io_get_string, "DBGKD_DEBUG_IO", 16, dio_get_m);

static const kd_member tio_m[] = {
    KD_MEMBER(TIO_API_NUMBER, 0x0, 4), KD_MEMBER(TIO_PROCESSOR_LEVEL, 0x4, 2),
    KD_MEMBER(TIO_PROCESSOR, 0x6, 2),  KD_MEMBER(TIO_LENGTH_OF_DATA, 0x8, 4),
};
KD_LAYOUT(kd_l_trace_io, "DBGKD_TRACE_IO", 64, tio_m);

static const kd_member crq_bp_m[] = {
    KD_MEMBER(CRQ_API_NUMBER, 0x0, 4), KD_MEMBER(CRQ_HARDWARE_BREAK_POINT_NUMBER, 0x4, 4),
    KD_MEMBER(CRQ_AVAILABLE, 0x8, 4),
};
KD_LAYOUT(kd_l_control_request_bp, "DBGKD_CONTROL_REQUEST", 12, crq_bp_m);
static const kd_member crq_rel_m[] = {
    KD_MEMBER(CRQ_API_NUMBER, 0x0, 4), KD_MEMBER(CRQ_HARDWARE_BREAK_POINT_NUMBER, 0x4, 4),
    KD_MEMBER(CRQ_RELEASED, 0x8, 4),
};
KD_LAYOUT(kd_l_control_request_release, "DBGKD_CONTROL_REQUEST", 12, crq_rel_m);

/* DBGKD_FILE_IO: ApiNumber, Status, then the union at 8. */
static const kd_member fio_head_m[] = {
    KD_MEMBER(FIO_API_NUMBER, 0x0, 4), KD_MEMBER(FIO_STATUS, 0x4, 4),
};
KD_LAYOUT(kd_l_file_io_header, "DBGKD_FILE_IO", 64, fio_head_m);
static const kd_member fio_create_m[] = {
    KD_MEMBER(FIO_DESIRED_ACCESS, 0x00, 4),     KD_MEMBER(FIO_FILE_ATTRIBUTES, 0x04, 4),
    KD_MEMBER(FIO_SHARE_ACCESS, 0x08, 4),       KD_MEMBER(FIO_CREATE_DISPOSITION, 0x0C, 4),
    KD_MEMBER(FIO_CREATE_OPTIONS, 0x10, 4),     KD_MEMBER(FIO_HANDLE, 0x18, 8),
    KD_MEMBER(FIO_LENGTH, 0x20, 8),
};
KD_LAYOUT(kd_l_file_io_create, "DBGKD_CREATE_FILE", 40, fio_create_m);
static const kd_member fio_rw_m[] = {
    KD_MEMBER(FIO_HANDLE, 0x00, 8), KD_MEMBER(FIO_OFFSET, 0x08, 8), KD_MEMBER(FIO_LENGTH, 0x10, 4),
};
KD_LAYOUT(kd_l_file_io_rw, "DBGKD_READ_FILE", 24, fio_rw_m);
static const kd_member fio_close_m[] = {KD_MEMBER(FIO_HANDLE, 0x00, 8)};
KD_LAYOUT(kd_l_file_io_close, "DBGKD_CLOSE_FILE", 8, fio_close_m);

/* ---- API, state and I/O tables (§1.3-§1.5): rows of fields/apis.def ---- */
#define KD_F_NONE 0 /* no union member (field id 0 is kd.leader, never one) */
#define KD_REPLY_REPLIES 0
#define KD_REPLY_RESUMES 1
/* The choices of the 32-bit columns are written above the KD_API rows. */
static const kd_api_info apis[] = {
#define KD_API(e, v, l, s, mem, mem32, l64, l32, rq, rs, reply) \
    {KD_API_##e, KD_F_##mem, KD_F_##mem32, l64, l32, KD_AD_##rq, KD_AD_##rs, KD_REPLY_##reply},
#include "kdparse/fields/apis.def"
};

static const kd_state_info states[] = {
#define KD_STATE(e, v, l, s, mem, l64, l32) {KD_STATE_##e, KD_F_##mem, l64, l32},
#include "kdparse/fields/apis.def"
};

const kd_state_info *kd_state_lookup(uint32_t state)
{
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if (states[i].state == state)
            return &states[i];
    return NULL;
}

static const kd_io_info ios[] = {
#define KD_IO(e, v, l, s, type, layout, data) {KD_IO_##e, KD_TYPE_##type, KD_F_##data, layout},
#include "kdparse/fields/apis.def"
};

const kd_io_info *kd_io_lookup(uint16_t type, uint32_t api)
{
    for (size_t i = 0; i < sizeof ios / sizeof ios[0]; i++)
        if (ios[i].api == api && ios[i].type == type)
            return &ios[i];
    return NULL;
}

const kd_api_info *kd_api_lookup(uint32_t api)
{
    for (size_t i = 0; i < sizeof apis / sizeof apis[0]; i++)
        if (apis[i].api == api)
            return &apis[i];
    return NULL;
}

int kd_api_expects_reply(uint32_t api)
{
    const kd_api_info *info = kd_api_lookup(api);
    return info ? !info->no_reply : 1;
}
