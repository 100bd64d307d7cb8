/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * capio.h - capture I/O shared by the kdscope tools.
 *
 * Writer: pcapng exactly as design.md "Capture files" says: a Section
 * Header Block whose comment names the tool and its command line, one
 * Interface Description Block per direction (IDB 0 = d2t, IDB 1 = t2d,
 * link type 252 LINKTYPE_WIRESHARK_UPPER_PDU, if_tsresol 9), and one
 * Enhanced Packet Block per framed item carrying exported-PDU tags
 * 12 "kd", 35 direction, 33 "KD", then the item's bytes unchanged, with
 * epb_flags direction bits set (outbound = d2t, inbound = t2d).
 *
 * Reader: our own pcapng (either byte order, any number of sections), the
 * pcap and pcapng files others write (tcpdump, dumpcap, Wireshark; classic
 * pcap through libpcap, pcapng through the block reader below, which takes
 * any number of interfaces and link types), and raw byte-stream files (one
 * direction per file).  The format is told from the content; "-" is
 * standard input.  Frames of network link types go through netparse (link,
 * IP, UDP, TCP) and netstream (conversations, TCP reassembly, which streams
 * are KD, which side is the target); what comes out is records of three
 * carriers (kdcap_carrier).  Anything else is refused with a one-line
 * reason.  The reader is bounded: block lengths are checked against the
 * file and capped, and it never reads past a block.
 */
#ifndef KDSCOPE_CAPIO_H
#define KDSCOPE_CAPIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kdparse/wire.h"
#include "netparse.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KDCAP_LINKTYPE_UPPER_PDU 252u
/* Exported-PDU tags (wsutil/exported_pdu_tlvs.h). */
#define KDCAP_TAG_END 0u
#define KDCAP_TAG_DISSECTOR_NAME 12u
#define KDCAP_TAG_COL_PROT_TEXT 33u
#define KDCAP_TAG_P2P_DIRECTION 35u
/* Largest pcapng block the reader accepts (a KD item is < 5 KiB). */
#define KDCAP_MAX_BLOCK (1u << 20)

/* ---------------------------------------------------------------- writer */

typedef struct kdcap_writer_opts {
    const char *comment;           /* SHB comment: tool, version, command line */
    const char *if_name[2];        /* per direction (index kd_dir); NULL: "d2t"/"t2d" */
    const char *if_description[2]; /* NULL: "debugger -> target" / "target -> debugger" */
    int flush_each_block;          /* write(2) every block as soon as it is made */
} kdcap_writer_opts;

typedef struct kdcap_writer kdcap_writer;

/*
 * Starts a pcapng file on fd (not closed by the writer) and writes the
 * SHB and both IDBs.  Returns NULL with errno set on failure.
 */
kdcap_writer *kdcap_writer_open(int fd, const kdcap_writer_opts *opts);

/*
 * Writes one EPB for one item.  dir must be KD_DIR_D2T or KD_DIR_T2D.
 * Returns 0, or -1 with errno set (the block is then not in the file;
 * everything written before it is).
 */
int kdcap_write_item(kdcap_writer *w, kd_dir dir, uint64_t ts_ns, const uint8_t *bytes,
                     size_t len);

/* Pushes buffered blocks to the fd.  0 or -1 with errno; a block the
 * failure cut is taken back out of a regular file (the file ends with a
 * whole block) and stays pending with the rest. */
int kdcap_writer_flush(kdcap_writer *w);

/* The bytes kdcap_write_item adds to the file for an item of len bytes. */
size_t kdcap_block_size(size_t len);

/* Flushes and frees.  0 or -1 with errno (the writer is freed either way). */
int kdcap_writer_close(kdcap_writer *w);

/* ---------------------------------------------------------------- reader */

typedef enum kdcap_format {
    KDCAP_FORMAT_AUTO,   /* detect from content */
    KDCAP_FORMAT_PCAPNG,
    KDCAP_FORMAT_RAW,    /* a raw KD byte stream, one direction */
    KDCAP_FORMAT_PCAP    /* classic pcap (micro- or nanosecond), through libpcap */
} kdcap_format;

/* What a record's bytes are. */
typedef enum kdcap_carrier {
    KDCAP_CARRIER_ITEM,   /* one whole KD item (our own pcapng) */
    KDCAP_CARRIER_STREAM, /* a chunk of one direction's byte stream (raw file, TCP, UDP) */
    KDCAP_CARRIER_KDNET   /* one KDNET datagram: the whole UDP payload */
} kdcap_carrier;

/* Record flags. */
enum kdcap_record_flag {
    KDCAP_REC_TRUNCATED = 1u << 0 /* the capture cut the frame short (snap length) */
};

typedef struct kdcap_endpoint {
    netparse_addr addr; /* family 0 when the record has no addresses */
    uint16_t port;
} kdcap_endpoint;

typedef struct kdcap_record {
    uint64_t frame;        /* record number in the input, from 1 */
    uint64_t ts_ns;        /* 0 for raw streams */
    kd_dir dir;            /* KD_DIR_UNKNOWN when the record does not say */
    const uint8_t *bytes;  /* valid until the next kdcap_next/kdcap_close */
    size_t len;
    kdcap_carrier carrier;
    /* Conversation (TCP connection, UDP conversation) number, from 1, in
     * order of first appearance; 0 for our pcapng and raw files (one
     * session).  A new number is a new session. */
    uint32_t conv;
    uint8_t side;          /* 0 or 1: which end of the conversation sent it */
    uint64_t gap;          /* STREAM: bytes of this direction lost just before these */
    uint32_t flags;        /* enum kdcap_record_flag */
    kdcap_endpoint src, dst; /* network captures */
} kdcap_record;

/* How network captures are read (the tools' --port, --target-port, --target). */
#define KDCAP_MAX_PORTS 16u
typedef struct kdcap_net_opts {
    uint16_t ports[KDCAP_MAX_PORTS]; /* streams on these ports are KD, others not */
    size_t nports;                   /* 0: judge every stream by its content */
    int have_target_port;
    uint16_t target_port;            /* the side using this port is the target */
    int have_target;
    kdcap_endpoint target;           /* the side at this address and port is the target */
} kdcap_net_opts;

/* What reading a network capture found (all zero for other inputs). */
typedef struct kdcap_net_summary {
    int network;             /* the input held network frames */
    uint64_t kd_streams;     /* serial KD conversations */
    uint64_t kdnet_convs;    /* KDNET conversations */
    uint64_t other_tcp, other_udp; /* conversations that were not KD */
    uint64_t fragments, truncated, no_target, untracked;
} kdcap_net_summary;

typedef struct kdcap_reader kdcap_reader;

/*
 * Opens path.  raw_dir labels a raw stream's bytes.  On failure returns
 * NULL and puts a one-line reason (no file name, no newline) in err.
 */
kdcap_reader *kdcap_open(const char *path, kdcap_format format, kd_dir raw_dir, char *err,
                         size_t errlen);

/* The same with network options (NULL: defaults).  path "-" is standard input. */
kdcap_reader *kdcap_open_net(const char *path, kdcap_format format, kd_dir raw_dir,
                             const kdcap_net_opts *net, char *err, size_t errlen);

/* The same on a buffer (used by the fuzz target); the buffer must outlive the reader. */
kdcap_reader *kdcap_open_mem(const uint8_t *data, size_t len, kdcap_format format, kd_dir raw_dir,
                             char *err, size_t errlen);

/* 1: *rec filled; 0: end of input; -1: bad input, see kdcap_error. */
int kdcap_next(kdcap_reader *r, kdcap_record *rec);

/* The reason of the last -1 from kdcap_next, one line. */
const char *kdcap_error(const kdcap_reader *r);

/* After the end: what the network part of the input held. */
void kdcap_net_summary_get(const kdcap_reader *r, kdcap_net_summary *out);

/* What the input turned out to be (PCAPNG, PCAP or RAW). */
kdcap_format kdcap_reader_format(const kdcap_reader *r);

/* How far into its input the reader is, in bytes (for progress). */
uint64_t kdcap_reader_offset(const kdcap_reader *r);

/* The first section's comment, or NULL. */
const char *kdcap_section_comment(const kdcap_reader *r);

/* Interface name of a direction as the file declared it, or NULL. */
const char *kdcap_interface_name(const kdcap_reader *r, kd_dir dir);

void kdcap_close(kdcap_reader *r);

#ifdef __cplusplus
}
#endif

#endif
