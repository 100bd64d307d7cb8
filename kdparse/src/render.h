/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal: what the renderers share beyond the text module (text.h): the
 * session annotations as extra nodes, for the tree and JSON alike.
 */
#ifndef KDPARSE_RENDER_H
#define KDPARSE_RENDER_H

#include "kdparse/decode.h"

/* Session annotations as extra nodes (at most 16), so the renderers treat
 * them alike.  Architecture and width are the views the message was
 * decoded with.  Returns how many were written to out. */
size_t kd_annot_nodes(const kd_msg *m, const kd_annot *a, kd_node *out);

#endif
