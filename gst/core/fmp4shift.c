/* roomrec — start each track of a fragmented MP4 at its own time
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Written from ISO/IEC 14496-12: 8.3.2 tkhd, 8.4.2 mdhd, 8.4.3 hdlr,
 * 8.8.7 tfhd, 8.8.12 tfdt.
 */
#include "fmp4shift.h"

#include <string.h>

#define FOURCC(a,b,c,d) (((guint32) (a) << 24) | ((guint32) (b) << 16) | \
    ((guint32) (c) << 8) | (guint32) (d))

#define MAX_TRACKS 16

typedef struct
{
  guint32 id;
  guint32 handler;
  guint32 timescale;
} TrackInfo;

struct _RrFmp4Shift
{
  TrackInfo tracks[MAX_TRACKS];
  guint n_tracks;
  guint64 video_delay_ns;
  guint64 audio_delay_ns;
};

typedef struct
{
  guint32 type;
  guint8 *payload;
  gsize len;
} Box;

static guint32
rd32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

static guint64
rd64 (const guint8 * p)
{
  return ((guint64) rd32 (p) << 32) | rd32 (p + 4);
}

static void
wr32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static void
wr64 (guint8 * p, guint64 v)
{
  wr32 (p, (guint32) (v >> 32));
  wr32 (p + 4, (guint32) v);
}

/* The next box in data[*pos..size); FALSE at the end or on a box that
 * does not fit (the rest is not looked at). */
static gboolean
next_box (guint8 * data, gsize size, gsize * pos, Box * box)
{
  gsize left = size - *pos, header = 8;
  guint64 len;
  guint8 *p = data + *pos;

  if (left < 8)
    return FALSE;
  len = rd32 (p);
  box->type = rd32 (p + 4);
  if (len == 1) {
    if (left < 16)
      return FALSE;
    len = rd64 (p + 8);
    header = 16;
  } else if (len == 0) {
    len = left;
  }
  if (len < header || len > left)
    return FALSE;
  box->payload = p + header;
  box->len = (gsize) len - header;
  *pos += (gsize) len;
  return TRUE;
}

static gboolean
find_child (const Box * parent, guint32 type, Box * out)
{
  gsize pos = 0;

  while (next_box (parent->payload, parent->len, &pos, out))
    if (out->type == type)
      return TRUE;
  return FALSE;
}

static void
read_trak (RrFmp4Shift * s, const Box * trak)
{
  Box tkhd, mdia, mdhd, hdlr;
  TrackInfo t = { 0, };
  gsize off;

  if (s->n_tracks >= MAX_TRACKS || !find_child (trak, FOURCC ('t', 'k', 'h',
              'd'), &tkhd) || !find_child (trak, FOURCC ('m', 'd', 'i', 'a'),
          &mdia) || !find_child (&mdia, FOURCC ('m', 'd', 'h', 'd'), &mdhd)
      || !find_child (&mdia, FOURCC ('h', 'd', 'l', 'r'), &hdlr))
    return;
  /* version 1: 64-bit creation and modification times */
  off = tkhd.len > 0 && tkhd.payload[0] == 1 ? 4 + 16 : 4 + 8;
  if (tkhd.len < off + 4)
    return;
  t.id = rd32 (tkhd.payload + off);
  off = mdhd.len > 0 && mdhd.payload[0] == 1 ? 4 + 16 : 4 + 8;
  if (mdhd.len < off + 4)
    return;
  t.timescale = rd32 (mdhd.payload + off);
  if (hdlr.len < 12 || t.timescale == 0)
    return;
  t.handler = rd32 (hdlr.payload + 8);
  s->tracks[s->n_tracks++] = t;
}

static void
read_moov (RrFmp4Shift * s, const Box * moov)
{
  gsize pos = 0;
  Box b;

  s->n_tracks = 0;
  while (next_box (moov->payload, moov->len, &pos, &b))
    if (b.type == FOURCC ('t', 'r', 'a', 'k'))
      read_trak (s, &b);
}

static const TrackInfo *
track_by_id (RrFmp4Shift * s, guint32 id)
{
  for (guint i = 0; i < s->n_tracks; i++)
    if (s->tracks[i].id == id)
      return &s->tracks[i];
  return NULL;
}

static gboolean
patch_traf (RrFmp4Shift * s, const Box * traf)
{
  Box tfhd, tfdt;
  const TrackInfo *t;
  guint64 delay_ns, ticks, v;

  if (!find_child (traf, FOURCC ('t', 'f', 'h', 'd'), &tfhd) || tfhd.len < 8
      || !find_child (traf, FOURCC ('t', 'f', 'd', 't'), &tfdt))
    return FALSE;
  t = track_by_id (s, rd32 (tfhd.payload + 4));
  if (t == NULL)
    return FALSE;
  delay_ns = t->handler == RR_FMP4_HANDLER_VIDEO ? s->video_delay_ns
      : t->handler == RR_FMP4_HANDLER_AUDIO ? s->audio_delay_ns : 0;
  if (delay_ns == 0)
    return FALSE;
  ticks = (guint64) ((gdouble) delay_ns * t->timescale / 1e9 + 0.5);
  if (tfdt.len >= 12 && tfdt.payload[0] == 1) {
    v = rd64 (tfdt.payload + 4);
    if (v > G_MAXUINT64 - ticks)
      return FALSE;
    wr64 (tfdt.payload + 4, v + ticks);
    return TRUE;
  }
  if (tfdt.len >= 8 && tfdt.payload[0] == 0) {
    v = rd32 (tfdt.payload + 4);
    if (v + ticks > G_MAXUINT32)        /* no room to grow in place */
      return FALSE;
    wr32 (tfdt.payload + 4, (guint32) (v + ticks));
    return TRUE;
  }
  return FALSE;
}

RrFmp4Shift *
rr_fmp4_shift_new (void)
{
  return g_new0 (RrFmp4Shift, 1);
}

void
rr_fmp4_shift_free (RrFmp4Shift * shift)
{
  g_free (shift);
}

void
rr_fmp4_shift_set_delay (RrFmp4Shift * shift, guint32 handler, guint64 delay_ns)
{
  if (handler == RR_FMP4_HANDLER_VIDEO)
    shift->video_delay_ns = delay_ns;
  else if (handler == RR_FMP4_HANDLER_AUDIO)
    shift->audio_delay_ns = delay_ns;
}

guint
rr_fmp4_shift_process (RrFmp4Shift * shift, guint8 * data, gsize size,
    gboolean * saw_moov)
{
  gsize pos = 0;
  guint patched = 0;
  Box b;

  if (saw_moov)
    *saw_moov = FALSE;
  while (next_box (data, size, &pos, &b)) {
    if (b.type == FOURCC ('m', 'o', 'o', 'v')) {
      read_moov (shift, &b);
      if (saw_moov)
        *saw_moov = TRUE;
    } else if (b.type == FOURCC ('m', 'o', 'o', 'f')) {
      gsize tpos = 0;
      Box traf;

      while (next_box (b.payload, b.len, &tpos, &traf))
        if (traf.type == FOURCC ('t', 'r', 'a', 'f')
            && patch_traf (shift, &traf))
          patched++;
    }
  }
  return patched;
}
