/* roomrec — media time of RTP packets from their RTP timestamps
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtptime.h"

#include <string.h>

#define NS_PER_S G_GINT64_CONSTANT (1000000000)
/* how far the anchor may move back while a stream settles */
#define MAX_SETTLE_SHIFT NS_PER_S

void
rr_rtp_time_init (RrRtpTime * t, guint clock_rate)
{
  memset (t, 0, sizeof (*t));
  t->clock_rate = clock_rate ? clock_rate : 90000;
}

void
rr_rtp_time_reset (RrRtpTime * t)
{
  t->anchored = FALSE;
}

/* The 64-bit RTP time nearest to @last with the low 32 bits @ts. */
static guint64
extend (guint64 last, guint32 ts)
{
  guint64 ext = (last & ~G_GUINT64_CONSTANT (0xffffffff)) | ts;

  if (ext + G_GUINT64_CONSTANT (0x80000000) < last)
    ext += G_GUINT64_CONSTANT (0x100000000);
  else if (ext > last + G_GUINT64_CONSTANT (0x80000000)
      && ext >= G_GUINT64_CONSTANT (0x100000000))
    ext -= G_GUINT64_CONSTANT (0x100000000);
  return ext;
}

/* RTP ticks to ns without overflow for any realistic duration */
static gint64
ticks_to_ns (gint64 ticks, guint rate)
{
  return ticks / rate * NS_PER_S + ticks % rate * NS_PER_S / rate;
}

static gint64
anchor (RrRtpTime * t, guint64 ext, gint64 arrival_ns)
{
  t->anchored = TRUE;
  t->ext_rtp = t->anchor_rtp = ext;
  t->anchor_ns = arrival_ns;
  t->settle_shift = 0;
  t->last_arrival_ns = t->last_ns = arrival_ns;
  return arrival_ns;
}

gint64
rr_rtp_time_map (RrRtpTime * t, guint32 rtptime, gint64 arrival_ns)
{
  guint64 ext;
  gint64 step_ns, elapsed_ns, predicted;

  if (!t->anchored)
    /* 2^32 up: the first time may be followed by earlier ones */
    return anchor (t, G_GUINT64_CONSTANT (0x100000000) | rtptime, arrival_ns);

  ext = extend (t->ext_rtp, rtptime);
  step_ns = ticks_to_ns ((gint64) (ext - t->ext_rtp), t->clock_rate);
  if (step_ns < -RR_RTP_TIME_MAX_JUMP
      || step_ns > arrival_ns - t->last_arrival_ns + RR_RTP_TIME_MAX_JUMP)
    return anchor (t, ext, arrival_ns);

  elapsed_ns = ticks_to_ns ((gint64) (ext - t->anchor_rtp), t->clock_rate);
  predicted = t->anchor_ns + elapsed_ns;
  /* Only a packet that waited about as long as its RTP step since the one
   * before tells when it was sent: one of a burst does not. */
  if (elapsed_ns < RR_RTP_TIME_SETTLE && predicted > arrival_ns
      && step_ns > 0 && arrival_ns - t->last_arrival_ns >= step_ns / 2
      && t->settle_shift < MAX_SETTLE_SHIFT) {
    gint64 back = MIN (predicted - arrival_ns,
        MAX_SETTLE_SHIFT - t->settle_shift);

    t->anchor_ns -= back;
    t->settle_shift += back;
    predicted -= back;
  }
  t->ext_rtp = ext;
  t->last_arrival_ns = arrival_ns;
  t->last_ns = predicted;
  return predicted;
}

gint64
rr_rtp_time_offset (const RrRtpTime * t)
{
  return t->anchored ? t->last_ns - t->last_arrival_ns : 0;
}
