/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * replay.h - kdsim replay: one side of a recorded session played against a
 * live peer (the other side), so a KD implementation can be tested in CI.
 *
 *   kdsim replay --as target   SESSION ENDPOINT   the recorded target
 *   kdsim replay --as debugger SESSION ENDPOINT   the recorded debugger
 *
 * The recording becomes a plan (replay_match.h); the live side runs over
 * kdsim's link (link.h: ids, ACKs, RESEND, RESET, retries).
 *
 * Exit status: 0 the live peer did exactly what the recording holds (as
 * target: asked every recorded request and nothing else; as debugger: every
 * request answered and every target event seen), 1 it differs, 2 bad usage
 * or bad input (a session that cannot be read or has nothing to replay, an
 * endpoint that cannot be opened), 3 the link failed (no ACK after the
 * retries, the peer gone in the middle, a --record write error).
 */
#ifndef KDSIM_REPLAY_H
#define KDSIM_REPLAY_H

/* argv[0] is the program, argv[1] "replay". */
int kdsim_replay_main(int argc, char **argv);

#endif
