/* roomrec — the composite of a room (mode mixed/both)
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

#include "roomconfig.h"

G_BEGIN_DECLS

typedef struct _RrRoomMix RrRoomMix;

/* Adds a bin to @pipeline: compositorlayout → encoders → one splitmuxrec
 * per output file of c->mix, and brings it to the pipeline's state.
 * @start_us: the recording's UNIX start time (sidecar offsets). */
RrRoomMix *rr_room_mix_new (GstBin * pipeline, const RrRoomConfig * c,
    gint64 start_us, GError ** error);
/* A sink pad taking one participant's decoded video or audio; the
 * participant is named @participant in the layout.  (transfer full) */
GstPad *rr_room_mix_request_pad (RrRoomMix * mix, gboolean video,
    const gchar * participant);
/* Gives the pad back (main context, after its upstream stopped). */
void rr_room_mix_release_pad (RrRoomMix * mix, GstPad * pad);
/* A running composite takes @m's layout, main participant, regions and
 * watermarks (TRTC Modify). */
void rr_room_mix_set_layout (RrRoomMix * mix, const RrMixConfig * m);
/* Ends the composite's files; rr_room_mix_is_done() turns TRUE once every
 * recorder has finished (rr_room_mix_handle_eos saw their EOS). */
void rr_room_mix_stop (RrRoomMix * mix);
/* Whether @src (of a forwarded EOS) was one of the mix's recorders. */
gboolean rr_room_mix_handle_eos (RrRoomMix * mix, GstObject * src);
/* After the stop: a recorder's last file is complete (the message @name
 * from @src); TRUE when that finished a recorder. */
gboolean rr_room_mix_handle_file_message (RrRoomMix * mix,
    const gchar * name, GstObject * src, gboolean split_only);
gboolean rr_room_mix_is_done (RrRoomMix * mix);
/* Whether @obj is the mix bin or inside it. */
gboolean rr_room_mix_contains (RrRoomMix * mix, GstObject * obj);
/* Stops the bin and takes it out of the pipeline. */
void rr_room_mix_free (RrRoomMix * mix);

G_END_DECLS
