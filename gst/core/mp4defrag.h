/* roomrec — rewrite a fragmented MP4 as a normal (non-fragmented) MP4
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RR_MP4DEFRAG_ERROR (rr_mp4defrag_error_quark ())
GQuark rr_mp4defrag_error_quark (void);

typedef enum
{
  RR_MP4DEFRAG_ERROR_NOT_FRAGMENTED,    /* a valid MP4 without 'mvex' */
  RR_MP4DEFRAG_ERROR_UNSUPPORTED,       /* not an MP4, or a layout not handled */
  RR_MP4DEFRAG_ERROR_TRUNCATED, /* cut before the end of 'moov' */
  RR_MP4DEFRAG_ERROR_IO,        /* reading, writing or renaming failed */
} RrMp4DefragError;

/* Rewrites the fragmented MP4 at @in_path as a normal MP4 at @out_path
 * (moov with stts/ctts/stss/stsc/stsz/co64, then one mdat).  Returns FALSE
 * with @error set (and writes nothing usable at @out_path) when the file
 * is not a fragmented MP4 it understands; a file that is not fragmented
 * gives RR_MP4DEFRAG_ERROR_NOT_FRAGMENTED.
 *
 * The output is written to a temporary file next to @out_path and renamed
 * over it at the end, so @out_path may equal @in_path.  A fragment cut off
 * by a killed recorder is dropped from the first incomplete sample on. */
gboolean rr_mp4_defragment (const gchar *in_path, const gchar *out_path,
                            GError **error);

/* The same result in place, writing only metadata: the new moov is appended
 * after the last fragment (its chunk offsets point into the fragments'
 * mdat boxes, which stay where they are) and the fragment boxes (the old
 * moov, each moof) become 'free'.  The cost does not grow with the media
 * (an hour of 2.5 Mbit/s is a few MB of moov, not a 1 GB copy).  A file cut
 * by a kill is rewritten by rr_mp4_defragment() instead.  A crash during
 * it leaves a fragmented file that plays (the renames come last). */
gboolean rr_mp4_finalize (const gchar *path, GError **error);

G_END_DECLS
