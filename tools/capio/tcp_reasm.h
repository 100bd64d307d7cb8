/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcp_reasm.h - one direction of a TCP connection put back into its byte
 * stream.
 *
 * Segments are given in capture order with their sequence numbers; bytes
 * come out in sequence order, each exactly once: retransmitted and
 * overlapping bytes are taken once (bytes already out are never replaced;
 * among held copies the one that starts first supplies an overlap), segments that
 * arrive early are held until the bytes before them come.  What is held is
 * bounded (max_held bytes, TCP_REASM_MAX_SEGMENTS segments): when a new
 * segment would go past the bound, the hole before the first held segment
 * is given up as a gap and the stream goes on after it.  A segment the
 * capture cut short (snap length) leaves a gap of the missing bytes at
 * once, and so does a hole the peer has acknowledged (tcp_reasm_acked: the
 * peer got bytes the capture missed).  Every gap is reported with its size on the next bytes out (or by
 * tcp_reasm_finish).
 *
 * The stream starts after the SYN when one is seen, else at the first
 * segment (a connection seen from its middle).  Sequence numbers wrap: they
 * are read relative to the next expected byte, and a segment more than
 * TCP_REASM_MAX_AHEAD away on either side is not of this stream (ignored,
 * counted).
 */
#ifndef KDSCOPE_TCP_REASM_H
#define KDSCOPE_TCP_REASM_H

#include <stddef.h>
#include <stdint.h>

#define TCP_REASM_MAX_SEGMENTS 1024u
#define TCP_REASM_MAX_AHEAD (1u << 30) /* the largest TCP window */

/* Contiguous bytes, in order; gap: bytes lost just before them (0: none).
 * At the end (tcp_reasm_finish) a last gap may come with n == 0. */
typedef void (*tcp_reasm_out)(void *user, const uint8_t *p, size_t n, uint64_t gap);

typedef struct tcp_reasm tcp_reasm;

/* NULL when out of memory. */
tcp_reasm *tcp_reasm_new(size_t max_held, tcp_reasm_out out, void *user);
void tcp_reasm_free(tcp_reasm *r);

/* Redirects the output callback (user pointer). */
void tcp_reasm_set_user(tcp_reasm *r, void *user);

/*
 * One segment: seq as in its header, syn when its SYN flag is set, the
 * payload captured p[0, len) of wire_len bytes sent (wire_len >= len).
 * Returns -1 only when out of memory (the segment is then dropped as a gap).
 */
int tcp_reasm_segment(tcp_reasm *r, uint32_t seq, int syn, const uint8_t *p, size_t len,
                      size_t wire_len);

/* The peer acknowledged everything before sequence number ack: a hole
 * before it will not be filled (the capture missed it), so it is given up. */
void tcp_reasm_acked(tcp_reasm *r, uint32_t ack);

/* End of the stream: held segments come out after their gaps. */
void tcp_reasm_finish(tcp_reasm *r);

/* True once a SYN or a segment fixed where the stream starts. */
int tcp_reasm_started(const tcp_reasm *r);
/* Sequence number of the stream's first byte (valid when started). */
uint32_t tcp_reasm_isn(const tcp_reasm *r);
/* Stream offset of the next byte expected. */
uint64_t tcp_reasm_next(const tcp_reasm *r);
/* Bytes held now. */
size_t tcp_reasm_held(const tcp_reasm *r);
/* Segments ignored as not of this stream. */
uint64_t tcp_reasm_ignored(const tcp_reasm *r);

#endif
