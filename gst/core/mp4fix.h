/* roomrec — in-place repairs of MP4 boxes written by buggy muxers
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Rewrites a little-endian 'dOps' box (GStreamer qtmux < 1.22.4) to the
 * big-endian layout of the Opus-in-ISOBMFF spec.  *fixed tells whether
 * anything was rewritten; a file with a correct box is left alone. */
gboolean rr_mp4_fix_opus_dops (const gchar *path, gboolean *fixed,
                               GError **error);

/* The same check on a memory buffer holding a whole 'moov' box payload
 * (exposed for unit tests and the fuzzer). Returns the number of boxes
 * rewritten. */
guint rr_mp4_fix_opus_dops_in_buffer (guint8 *data, gsize size);

G_END_DECLS
