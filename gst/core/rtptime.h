/* roomrec — media time of RTP packets from their RTP timestamps
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef RR_RTPTIME_H
#define RR_RTPTIME_H

#include <glib.h>

G_BEGIN_DECLS

/* rtpjitterbuffer (mode=slave) times packets by when they arrive: a burst
 * after a network stall, or a receiver short of CPU, squeezes seconds of
 * media into milliseconds.  A recording wants the sender's clock: here a
 * stream's first packet keeps the time it arrived with, and every later one
 * is that plus its RTP time since.
 *
 * While a stream settles (RR_RTP_TIME_SETTLE of media after an anchor), a
 * packet that arrives earlier than the anchor predicts, after a wait like
 * its RTP step, moves the anchor back (by 1 s at most): a first packet held
 * up by a busy receiver would otherwise shift the stream for good.  A new anchor is taken when the RTP time jumps against the arrival
 * times (a sender restarted, a new SSRC). */

#define RR_RTP_TIME_SETTLE (5 * G_GINT64_CONSTANT (1000000000))
/* RTP time ahead of arrival by more than this: the sender's clock jumped */
#define RR_RTP_TIME_MAX_JUMP (3 * G_GINT64_CONSTANT (1000000000))

typedef struct
{
  guint clock_rate;
  gboolean anchored;
  guint64 ext_rtp;              /* extended RTP time of the last packet */
  guint64 anchor_rtp;           /* extended RTP time at the anchor */
  gint64 anchor_ns;             /* arrival time at the anchor */
  gint64 settle_shift;          /* how far the anchor moved back */
  gint64 last_arrival_ns;
  gint64 last_ns;               /* what the last packet was given */
} RrRtpTime;

void rr_rtp_time_init (RrRtpTime * t, guint clock_rate);

/* Forget the anchor (flush, new segment): the next packet takes one. */
void rr_rtp_time_reset (RrRtpTime * t);

/* The media time in ns of a packet with RTP timestamp @rtptime that arrived
 * at @arrival_ns (same time base as the result). */
gint64 rr_rtp_time_map (RrRtpTime * t, guint32 rtptime, gint64 arrival_ns);

/* What the last packet was moved by: media time − arrival time (0 before
 * the first).  For events timed by arrival, such as lost packets. */
gint64 rr_rtp_time_offset (const RrRtpTime * t);

G_END_DECLS

#endif
