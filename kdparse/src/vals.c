/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Value tables shared by every renderer.  Sources: kd-protocol.md §1. */
#include <string.h>

#include "kdparse/framer.h"
#include "kdparse/kdnet.h"
#include "kdparse/schema.h"
#include "kdparse/wire.h"

/* §1.2 */
const kd_val kd_vals_packet_type[] = {
    {0, "PACKET_TYPE_UNUSED"},
    {1, "PACKET_TYPE_KD_STATE_CHANGE32"},
    {2, "PACKET_TYPE_KD_STATE_MANIPULATE"},
    {3, "PACKET_TYPE_KD_DEBUG_IO"},
    {4, "PACKET_TYPE_KD_ACKNOWLEDGE"},
    {5, "PACKET_TYPE_KD_RESEND"},
    {6, "PACKET_TYPE_KD_RESET"},
    {7, "PACKET_TYPE_KD_STATE_CHANGE64"},
    {8, "PACKET_TYPE_KD_POLL_BREAKIN"},
    {9, "PACKET_TYPE_KD_TRACE_IO"},
    {10, "PACKET_TYPE_KD_CONTROL_REQUEST"},
    {11, "PACKET_TYPE_KD_FILE_IO"},
    {0, NULL},
};

/* §1.3-§1.5: fields/apis.def */
#define LONG_NAME(e, v, l, s, ...) {v, l},
#define SHORT_NAME(e, v, l, s, ...) {v, s},
const kd_val kd_vals_state[] = {
#define KD_STATE LONG_NAME
#include "kdparse/fields/apis.def"
    {0, NULL}};
const kd_val kd_vals_state_short[] = {
#define KD_STATE SHORT_NAME
#include "kdparse/fields/apis.def"
    {0, NULL}};
const kd_val kd_vals_api[] = {
#define KD_API LONG_NAME
#include "kdparse/fields/apis.def"
    {0, NULL}};
const kd_val kd_vals_api_short[] = {
#define KD_API SHORT_NAME
#include "kdparse/fields/apis.def"
    {0, NULL}};
const kd_val kd_vals_io_api[] = {
#define KD_IO LONG_NAME
#include "kdparse/fields/apis.def"
    {0, NULL}};
const kd_val kd_vals_io_api_short[] = {
#define KD_IO SHORT_NAME
#include "kdparse/fields/apis.def"
    {0, NULL}};

/* The words of summaries for control packets and for what is not a packet. */
const kd_val kd_vals_control_short[] = {
    {KD_TYPE_ACKNOWLEDGE, "ACK"},
    {KD_TYPE_RESEND, "RESEND"},
    {KD_TYPE_RESET, "RESET"},
    {0, NULL},
};

const kd_val kd_vals_item_kind_short[] = {
    {KD_ITEM_BREAKIN, "Break-in"},
    {KD_ITEM_NOISE, "Noise"},
    {KD_ITEM_TRUNCATED, "Truncated"},
    {0, NULL},
};

/* §1.8 */
const kd_val kd_vals_ntstatus[] = {
    {KD_STATUS_SUCCESS, "STATUS_SUCCESS"},
    {KD_STATUS_UNSUCCESSFUL, "STATUS_UNSUCCESSFUL"},
    {0xC0000002, "STATUS_NOT_IMPLEMENTED"},
    {KD_STATUS_INVALID_PARAMETER, "STATUS_INVALID_PARAMETER"},
    {KD_STATUS_NO_SUCH_DEVICE, "STATUS_NO_SUCH_DEVICE"},
    {0xC000000F, "STATUS_NO_SUCH_FILE"},
    {0x80000005, "STATUS_BUFFER_OVERFLOW"},
    {KD_STATUS_NOT_FOUND, "STATUS_NOT_FOUND"},
    {KD_STATUS_BREAKPOINT, "STATUS_BREAKPOINT"},
    {KD_STATUS_SINGLE_STEP, "STATUS_SINGLE_STEP"},
    {0x80000007, "STATUS_WAKE_SYSTEM_DEBUGGER"},
    {0xC0000005, "STATUS_ACCESS_VIOLATION"},
    {0x00010001, "DBG_EXCEPTION_HANDLED"},
    {KD_DBG_CONTINUE, "DBG_CONTINUE"},
    {0x40010001, "DBG_REPLY_LATER"},
    {0x40010003, "DBG_TERMINATE_THREAD"},
    {0x40010004, "DBG_TERMINATE_PROCESS"},
    {0x40010005, "DBG_CONTROL_C"},
    {0x40010006, "DBG_PRINTEXCEPTION_C"},
    {0x40010007, "DBG_RIPEXCEPTION"},
    {0x40010008, "DBG_CONTROL_BREAK"},
    {0x40010009, "DBG_COMMAND_EXCEPTION"},
    {0x80010001, "DBG_EXCEPTION_NOT_HANDLED"},
    {0, NULL},
};

/* §1.7 */
const kd_val kd_vals_machine[] = {
    {0x014C, "IMAGE_FILE_MACHINE_I386"},
    {0x8664, "IMAGE_FILE_MACHINE_AMD64"},
    {0x01C0, "IMAGE_FILE_MACHINE_ARM"},
    {0x01C2, "IMAGE_FILE_MACHINE_THUMB"},
    {0x01C4, "IMAGE_FILE_MACHINE_ARMNT"},
    {0xAA64, "IMAGE_FILE_MACHINE_ARM64"},
    {0x0200, "IMAGE_FILE_MACHINE_IA64"},
    {0x0EBC, "IMAGE_FILE_MACHINE_EBC"},
    {0x01F0, "IMAGE_FILE_MACHINE_POWERPC"},
    {0x0184, "IMAGE_FILE_MACHINE_ALPHA"},
    {0x0284, "IMAGE_FILE_MACHINE_ALPHA64"},
    {0, NULL},
};

/* §1.6 */
const kd_val kd_vals_version_flags[] = {
    {0x0001, "DBGKD_VERS_FLAG_MP"},
    {0x0002, "DBGKD_VERS_FLAG_DATA"},
    {0x0004, "DBGKD_VERS_FLAG_PTR64"},
    {0x0008, "DBGKD_VERS_FLAG_NOMM"},
    {0x0010, "DBGKD_VERS_FLAG_HSS"},
    {0x0020, "DBGKD_VERS_FLAG_PARTITIONS"},
    {0, NULL},
};

const kd_val kd_vals_major_type[] = {
    {0, "DBGKD_MAJOR_NT"},
    {1, "DBGKD_MAJOR_XBOX"},
    {2, "DBGKD_MAJOR_BIG"},
    {3, "DBGKD_MAJOR_EXDI"},
    {4, "DBGKD_MAJOR_NTBD"},
    {5, "DBGKD_MAJOR_EFI"},
    {6, "DBGKD_MAJOR_TNT"},
    {7, "DBGKD_MAJOR_SINGULARITY"},
    {8, "DBGKD_MAJOR_HYPERVISOR"},
    {9, "DBGKD_MAJOR_MIDORI"},
    {0, NULL},
};

/* §1.1 */
const kd_val kd_vals_report_flags[] = {
    {0x0001, "REPORT_INCLUDES_SEGS"},
    {0x0002, "REPORT_STANDARD_CS"},
    {0, NULL},
};

/* Wireshark's checksum status values (PROTO_CHECKSUM_E_*). */
const kd_val kd_vals_checksum_status[] = {
    {0, "Bad"},
    {1, "Good"},
    {2, "Unverified"},
    {0, NULL},
};

const kd_val kd_vals_arch[] = {
    {KD_ARCH_UNKNOWN, "unknown"}, {KD_ARCH_X86, "x86"},   {KD_ARCH_AMD64, "amd64"},
    {KD_ARCH_ARM64, "arm64"},     {KD_ARCH_ARM, "arm"},   {KD_ARCH_IA64, "ia64"},
    {KD_ARCH_ALPHA, "alpha"},     {0, NULL},
};

const char *kd_arch_name(kd_arch a)
{
    const char *n = kd_val_name(kd_vals_arch, (uint32_t)a);
    return n ? n : "unknown";
}

int kd_arch_parse(const char *s, kd_arch *out)
{
    for (const kd_val *v = kd_vals_arch; v->name; v++) {
        if (strcmp(v->name, s) == 0) {
            *out = (kd_arch)v->value;
            return 0;
        }
    }
    if (strcmp(s, "x64") == 0) {
        *out = KD_ARCH_AMD64;
        return 0;
    }
    return -1;
}

kd_arch kd_arch_from_machine(uint32_t machine_type)
{
    switch (machine_type) {
    case 0x014C:
        return KD_ARCH_X86;
    case 0x8664:
        return KD_ARCH_AMD64;
    case 0xAA64:
        return KD_ARCH_ARM64;
    case 0x01C0:
    case 0x01C2:
    case 0x01C4:
        return KD_ARCH_ARM;
    case 0x0200:
        return KD_ARCH_IA64;
    case 0x0184:
    case 0x0284:
        return KD_ARCH_ALPHA;
    default:
        return KD_ARCH_UNKNOWN;
    }
}

/* KDNET (kdnet.md): the datagram's names. */
const kd_val kdnet_vals_channel[] = {
    {KDNET_CHANNEL_DATA, "data"},
    {KDNET_CHANNEL_CONTROL, "control"},
    {0, NULL},
};

const kd_val kdnet_vals_version[] = {
    {KDNET_VERSION_2, "2 (Windows 8.1)"},
    {KDNET_VERSION_4, "4 (Windows 10)"},
    {KDNET_VERSION_5, "5"},
    {0, NULL},
};

/* The value of the flag bit KDNET_FLAG_D2T. */
const kd_val kdnet_vals_direction[] = {
    {0, "t2d"},
    {1, "d2t"},
    {0, NULL},
};

const kd_val kdnet_vals_hmac_status[] = {
    {KDNET_HMAC_UNCHECKED, "unchecked"},
    {KDNET_HMAC_GOOD, "good"},
    {KDNET_HMAC_BAD, "bad"},
    {0, NULL},
};

const kd_val kdnet_vals_kind[] = {
    {KDNET_KIND_UNKNOWN, "unknown"},
    {KDNET_KIND_POKE, "poke"},
    {KDNET_KIND_RESPONSE, "response"},
    {KDNET_KIND_KD, "kd"},
    {KDNET_KIND_UNUSED, "unused"},
    {KDNET_KIND_BREAKIN, "breakin"},
    {0, NULL},
};
