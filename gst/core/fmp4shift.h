/* roomrec — start each track of a fragmented MP4 at its own time
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GStreamer 1.22's mp4mux, fragmented, starts every track's decode time
 * ('tfdt') at 0, even when one track began later than another: audio
 * that started 0.4 s before the picture plays 0.4 s late.  (Its
 * non-fragmented mode writes an edit list instead.)  This module patches
 * the muxer's output: it learns the tracks from each 'moov' and adds a
 * per-track delay to the 'tfdt' of every 'moof', in place.  Pure byte
 * work; every length is checked.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RR_FMP4_HANDLER_VIDEO 0x76696465u       /* 'vide' */
#define RR_FMP4_HANDLER_AUDIO 0x736f756eu       /* 'soun' */

typedef struct _RrFmp4Shift RrFmp4Shift;

RrFmp4Shift *rr_fmp4_shift_new (void);
void rr_fmp4_shift_free (RrFmp4Shift * shift);

/* The delay (ns) of the tracks whose handler is @handler, from now on. */
void rr_fmp4_shift_set_delay (RrFmp4Shift * shift, guint32 handler,
    guint64 delay_ns);

/* Walks the top-level boxes that lie completely in @data: a 'moov'
 * replaces the known tracks (a new file began); each 'moof' gets its
 * tracks' delays added to their 'tfdt'.  Returns the number of 'tfdt'
 * boxes changed.  *@saw_moov is set when @data held a 'moov'. */
guint rr_fmp4_shift_process (RrFmp4Shift * shift, guint8 * data, gsize size,
    gboolean * saw_moov);

G_END_DECLS
