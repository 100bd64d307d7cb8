/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pcapng.h - the pcapng format's numbers (draft-ietf-opsawg-pcapng), read
 * by capio_read.c and written by pcapng_write.c: block types, the byte
 * order magic, option codes and the epb_flags direction bits.
 */
#ifndef KDSCOPE_PCAPNG_H
#define KDSCOPE_PCAPNG_H

/* Block types. */
#define PCAPNG_BLOCK_SHB 0x0A0D0D0Au /* Section Header */
#define PCAPNG_BLOCK_IDB 0x00000001u /* Interface Description */
#define PCAPNG_BLOCK_PB 0x00000002u  /* Packet Block (obsolete) */
#define PCAPNG_BLOCK_SPB 0x00000003u /* Simple Packet */
#define PCAPNG_BLOCK_EPB 0x00000006u /* Enhanced Packet */
#define PCAPNG_BYTE_ORDER_MAGIC 0x1A2B3C4Du

/* Options: every block's, then each block type's own. */
#define PCAPNG_OPT_END 0u
#define PCAPNG_OPT_COMMENT 1u
#define PCAPNG_OPT_SHB_USERAPPL 4u
#define PCAPNG_OPT_IF_NAME 2u
#define PCAPNG_OPT_IF_DESCRIPTION 3u
#define PCAPNG_OPT_IF_TSRESOL 9u
#define PCAPNG_OPT_IF_TSOFFSET 14u
#define PCAPNG_OPT_EPB_FLAGS 2u

/* epb_flags bits 0-1: the direction. */
#define PCAPNG_EPB_FLAG_INBOUND 1u
#define PCAPNG_EPB_FLAG_OUTBOUND 2u

#endif
