/* roomrec — rewrite a fragmented MP4 as a normal (non-fragmented) MP4
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Written from ISO/IEC 14496-12 (ISO base media file format): 8.8 movie
 * fragments (mvex/trex, moof/traf/tfhd/tfdt/trun), 8.6 and 8.7 sample
 * tables (stts, ctts, stss, stsc, stsz, co64) and 8.6.6 edit lists.
 *
 * The fragment headers ('moov', every 'moof') are read into memory one at a
 * time; the per-sample tables are kept in memory; the media data is only
 * ever copied through a fixed-size buffer.  Every length read from the file
 * is checked before it is used.
 */
#include "mp4defrag.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK (rr - mp4defrag - error - quark, rr_mp4defrag_error);

#define FOURCC(a,b,c,d) (((guint32) (a) << 24) | ((guint32) (b) << 16) | \
    ((guint32) (c) << 8) | (guint32) (d))

#define BOX_FTYP FOURCC ('f', 't', 'y', 'p')
#define BOX_MOOV FOURCC ('m', 'o', 'o', 'v')
#define BOX_MVHD FOURCC ('m', 'v', 'h', 'd')
#define BOX_TRAK FOURCC ('t', 'r', 'a', 'k')
#define BOX_TKHD FOURCC ('t', 'k', 'h', 'd')
#define BOX_EDTS FOURCC ('e', 'd', 't', 's')
#define BOX_ELST FOURCC ('e', 'l', 's', 't')
#define BOX_MDIA FOURCC ('m', 'd', 'i', 'a')
#define BOX_MDHD FOURCC ('m', 'd', 'h', 'd')
#define BOX_MINF FOURCC ('m', 'i', 'n', 'f')
#define BOX_STBL FOURCC ('s', 't', 'b', 'l')
#define BOX_STSD FOURCC ('s', 't', 's', 'd')
#define BOX_STTS FOURCC ('s', 't', 't', 's')
#define BOX_CTTS FOURCC ('c', 't', 't', 's')
#define BOX_STSS FOURCC ('s', 't', 's', 's')
#define BOX_STSC FOURCC ('s', 't', 's', 'c')
#define BOX_STSZ FOURCC ('s', 't', 's', 'z')
#define BOX_STZ2 FOURCC ('s', 't', 'z', '2')
#define BOX_STCO FOURCC ('s', 't', 'c', 'o')
#define BOX_CO64 FOURCC ('c', 'o', '6', '4')
#define BOX_FREE FOURCC ('f', 'r', 'e', 'e')
#define BOX_MFRA FOURCC ('m', 'f', 'r', 'a')
#define BOX_SIDX FOURCC ('s', 'i', 'd', 'x')
#define BOX_STYP FOURCC ('s', 't', 'y', 'p')
#define BOX_SDTP FOURCC ('s', 'd', 't', 'p')
#define BOX_MVEX FOURCC ('m', 'v', 'e', 'x')
#define BOX_TREX FOURCC ('t', 'r', 'e', 'x')
#define BOX_MOOF FOURCC ('m', 'o', 'o', 'f')
#define BOX_TRAF FOURCC ('t', 'r', 'a', 'f')
#define BOX_TFHD FOURCC ('t', 'f', 'h', 'd')
#define BOX_TFDT FOURCC ('t', 'f', 'd', 't')
#define BOX_TRUN FOURCC ('t', 'r', 'u', 'n')
#define BOX_MDAT FOURCC ('m', 'd', 'a', 't')

/* tfhd flags */
#define TFHD_BASE_DATA_OFFSET 0x000001
#define TFHD_SAMPLE_DESCRIPTION_INDEX 0x000002
#define TFHD_DEFAULT_DURATION 0x000008
#define TFHD_DEFAULT_SIZE 0x000010
#define TFHD_DEFAULT_FLAGS 0x000020
#define TFHD_DEFAULT_BASE_IS_MOOF 0x020000

/* trun flags */
#define TRUN_DATA_OFFSET 0x000001
#define TRUN_FIRST_SAMPLE_FLAGS 0x000004
#define TRUN_DURATION 0x000100
#define TRUN_SIZE 0x000200
#define TRUN_FLAGS 0x000400
#define TRUN_CTS_OFFSET 0x000800

#define SAMPLE_IS_NON_SYNC 0x00010000

/* 'ftyp', 'moov' and 'moof' are read whole; larger ones are not ours. */
#define MAX_HEADER_BOX_SIZE (256 * 1024 * 1024)
#define COPY_BUFFER_SIZE (1024 * 1024)

typedef struct
{
  guint32 duration;
  guint32 size;
  gint64 cts_offset;
  gboolean sync;
} Sample;

/* One trun = one chunk of the output. */
typedef struct
{
  guint track;
  guint32 n_samples;
  guint32 sdi;
  guint64 src_offset;
  guint64 size;
  guint64 out_offset;           /* relative to the start of the mdat payload */
} Chunk;

typedef struct
{
  guint32 track_id;
  guint32 timescale;
  guint32 stsd_entries;
  gboolean moov_has_samples;
  gboolean has_edts;
  gboolean have_trex;
  guint32 trex_sdi, trex_duration, trex_size, trex_flags;

  GArray *samples;              /* Sample */
  guint32 n_chunks;
  guint64 duration;             /* media timescale, sum of sample durations */
  guint64 first_dts;            /* tfdt of the first fragment */
  guint64 tkhd_duration;        /* movie timescale, incl. an initial gap */
  gsize co64_entries;           /* position of the co64 entries in the moov */
} Track;

typedef struct
{
  int fd;
  guint64 file_size;
  const guint8 *map;            /* the input mapped, or NULL: pread */
  guint8 *ftyp;
  gsize ftyp_len;
  guint8 *moov;
  gsize moov_len;
  guint32 movie_timescale;
  GArray *tracks;               /* Track */
  GArray *chunks;               /* Chunk, in file order */
  guint64 total_data;           /* sum of all chunk sizes */
  gboolean truncated;
  GError **error;
} Defrag;

/* ------------------------------------------------------------------------ */
/* Byte helpers */

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

/* Bounds-checked sequential reader: a read past the end returns 0 and
 * clears ok. */
typedef struct
{
  const guint8 *data;
  gsize len;
  gsize pos;
  gboolean ok;
} Reader;

static void
reader_init (Reader * r, const guint8 * data, gsize len)
{
  r->data = data;
  r->len = len;
  r->pos = 0;
  r->ok = TRUE;
}

static gboolean
reader_skip (Reader * r, gsize n)
{
  if (!r->ok || r->len - r->pos < n) {
    r->ok = FALSE;
    return FALSE;
  }
  r->pos += n;
  return TRUE;
}

static guint32
reader_u32 (Reader * r)
{
  if (!reader_skip (r, 4))
    return 0;
  return rd32 (r->data + r->pos - 4);
}

static guint64
reader_u64 (Reader * r)
{
  if (!reader_skip (r, 8))
    return 0;
  return rd64 (r->data + r->pos - 8);
}

/* version (8 bits) and flags (24 bits) of a full box */
static guint32
reader_full_header (Reader * r, guint32 * flags)
{
  guint32 v = reader_u32 (r);

  *flags = v & 0xffffff;
  return v >> 24;
}

static void
put32 (GByteArray * ba, guint32 v)
{
  guint8 b[4] = { v >> 24, v >> 16, v >> 8, v };

  g_byte_array_append (ba, b, 4);
}

static void
put64 (GByteArray * ba, guint64 v)
{
  put32 (ba, v >> 32);
  put32 (ba, (guint32) v);
}

static void
set32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static void
set64 (guint8 * p, guint64 v)
{
  set32 (p, v >> 32);
  set32 (p + 4, (guint32) v);
}

/* val * num / den rounded to nearest, saturating; num and den are 32-bit. */
static guint64
scale_u64 (guint64 val, guint32 num, guint32 den)
{
  guint64 q, r;

  if (den == 0)
    return 0;
  q = val / den;
  r = val % den;
  if (num != 0 && q > G_MAXUINT64 / num)
    return G_MAXUINT64;
  q *= num;
  r = (r * num + den / 2) / den;
  if (q > G_MAXUINT64 - r)
    return G_MAXUINT64;
  return q + r;
}

/* ------------------------------------------------------------------------ */
/* Boxes in memory */

typedef struct
{
  guint32 type;
  const guint8 *payload;
  gsize len;
} Box;

typedef struct
{
  const guint8 *data;
  gsize len;
  gsize pos;
} BoxIter;

static void
box_iter_init (BoxIter * it, const guint8 * data, gsize len)
{
  it->data = data;
  it->len = len;
  it->pos = 0;
}

/* 1: next child in @box; 0: end (fewer than 8 bytes of padding left are
 * ignored); -1: a child that does not fit its parent. */
static gint
box_iter_next (BoxIter * it, Box * box)
{
  const guint8 *p = it->data + it->pos;
  gsize left = it->len - it->pos;
  guint64 size;
  gsize hdr = 8;

  if (left < 8)
    return 0;
  size = rd32 (p);
  if (size == 1) {
    if (left < 16)
      return -1;
    size = rd64 (p + 8);
    hdr = 16;
  } else if (size == 0) {
    size = left;
  }
  if (size < hdr || size > left)
    return -1;
  box->type = rd32 (p + 4);
  box->payload = p + hdr;
  box->len = size - hdr;
  it->pos += size;
  return 1;
}

/* *INDENT-OFF* */
static gboolean fail (Defrag * d, RrMp4DefragError code,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);
/* *INDENT-ON* */

static gboolean
fail (Defrag * d, RrMp4DefragError code, const gchar * format, ...)
{
  va_list args;
  gchar *msg;

  /* the first error is the one reported */
  if (d->error == NULL || *d->error != NULL)
    return FALSE;
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (d->error, RR_MP4DEFRAG_ERROR, code, msg);
  g_free (msg);
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* moov (first pass: what the fragments need) */

/* mvhd, mdhd and tkhd: version 0 has 32-bit times, version 1 64-bit ones;
 * @mid is the length of the fields between modification_time and
 * duration.  Returns the offset of the duration or 0 when malformed. */
static gsize
time_box_duration_offset (const Box * box, gsize mid)
{
  gsize off;

  if (box->len < 4)
    return 0;
  if (box->payload[0] == 0)
    off = 4 + 8 + mid;
  else if (box->payload[0] == 1)
    off = 4 + 16 + mid;
  else
    return 0;
  if (box->len < off + (box->payload[0] == 1 ? 8 : 4))
    return 0;
  return off;
}

/* timescale (mvhd, mdhd) or track_ID (tkhd): the 32 bits after the times */
static guint32
time_box_field (const Box * box)
{
  return rd32 (box->payload + (box->payload[0] == 1 ? 20 : 12));
}

static gboolean
parse_stbl (Defrag * d, Track * t, const Box * stbl, gboolean * have_stsd)
{
  BoxIter it;
  Box b;
  gint r;

  box_iter_init (&it, stbl->payload, stbl->len);
  while ((r = box_iter_next (&it, &b)) > 0) {
    Reader rd;
    guint32 flags, n;

    reader_init (&rd, b.payload, b.len);
    if (b.type == BOX_STSD) {
      reader_full_header (&rd, &flags);
      t->stsd_entries = reader_u32 (&rd);
      if (!rd.ok)
        return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "short 'stsd' box");
      *have_stsd = TRUE;
    } else if (b.type == BOX_STSZ || b.type == BOX_STZ2) {
      reader_full_header (&rd, &flags);
      reader_u32 (&rd);
      n = reader_u32 (&rd);
      if (rd.ok && n > 0)
        t->moov_has_samples = TRUE;
    } else if (b.type == BOX_STTS) {
      reader_full_header (&rd, &flags);
      n = reader_u32 (&rd);
      if (rd.ok && n > 0)
        t->moov_has_samples = TRUE;
    }
  }
  if (r < 0)
    return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "malformed 'stbl' box");
  return TRUE;
}

static gboolean
parse_trak (Defrag * d, const Box * trak)
{
  Track t = { 0, };
  gboolean have_tkhd = FALSE, have_mdhd = FALSE, have_stsd = FALSE;
  BoxIter it, it2, it3;
  Box b, b2, b3;
  gint r, r2 = 0, r3 = 0;
  guint i;

  box_iter_init (&it, trak->payload, trak->len);
  while ((r = box_iter_next (&it, &b)) > 0) {
    if (b.type == BOX_TKHD) {
      if (time_box_duration_offset (&b, 8) == 0)
        return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "bad 'tkhd' box");
      t.track_id = time_box_field (&b);
      have_tkhd = TRUE;
    } else if (b.type == BOX_EDTS) {
      t.has_edts = TRUE;
    } else if (b.type == BOX_MDIA) {
      box_iter_init (&it2, b.payload, b.len);
      while ((r2 = box_iter_next (&it2, &b2)) > 0) {
        if (b2.type == BOX_MDHD) {
          if (time_box_duration_offset (&b2, 4) == 0)
            return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "bad 'mdhd' box");
          t.timescale = time_box_field (&b2);
          have_mdhd = TRUE;
        } else if (b2.type == BOX_MINF) {
          box_iter_init (&it3, b2.payload, b2.len);
          while ((r3 = box_iter_next (&it3, &b3)) > 0) {
            if (b3.type == BOX_STBL && !parse_stbl (d, &t, &b3, &have_stsd))
              return FALSE;
          }
          if (r3 < 0)
            break;
        }
      }
      if (r2 < 0 || r3 < 0)
        break;
    }
  }
  if (r < 0 || r2 < 0 || r3 < 0)
    return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "malformed 'trak' box");
  if (!have_tkhd || !have_mdhd || !have_stsd || t.timescale == 0)
    return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED,
        "a 'trak' box without tkhd, mdhd, timescale or stsd");
  for (i = 0; i < d->tracks->len; i++) {
    if (g_array_index (d->tracks, Track, i).track_id == t.track_id)
      return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED,
          "two tracks with ID %u", t.track_id);
  }
  t.samples = g_array_new (FALSE, FALSE, sizeof (Sample));
  g_array_append_val (d->tracks, t);
  return TRUE;
}

static Track *
find_track (Defrag * d, guint32 track_id, guint * index)
{
  guint i;

  for (i = 0; i < d->tracks->len; i++) {
    Track *t = &g_array_index (d->tracks, Track, i);
    if (t->track_id == track_id) {
      if (index)
        *index = i;
      return t;
    }
  }
  return NULL;
}

static gboolean
parse_mvex (Defrag * d, const Box * mvex)
{
  BoxIter it;
  Box b;
  gint r;

  box_iter_init (&it, mvex->payload, mvex->len);
  while ((r = box_iter_next (&it, &b)) > 0) {
    Reader rd;
    guint32 flags, id;
    Track *t;

    if (b.type != BOX_TREX)
      continue;
    reader_init (&rd, b.payload, b.len);
    reader_full_header (&rd, &flags);
    id = reader_u32 (&rd);
    t = find_track (d, id, NULL);
    if (t == NULL) {
      reader_skip (&rd, 16);
      if (!rd.ok)
        return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "short 'trex' box");
      continue;
    }
    t->trex_sdi = reader_u32 (&rd);
    t->trex_duration = reader_u32 (&rd);
    t->trex_size = reader_u32 (&rd);
    t->trex_flags = reader_u32 (&rd);
    if (!rd.ok)
      return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "short 'trex' box");
    t->have_trex = TRUE;
  }
  if (r < 0)
    return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "malformed 'mvex' box");
  return TRUE;
}

static gboolean
parse_moov (Defrag * d)
{
  BoxIter it;
  Box b, mvex = { 0, };
  gboolean have_mvhd = FALSE, have_mvex = FALSE;
  gint r;
  guint i;

  box_iter_init (&it, d->moov, d->moov_len);
  while ((r = box_iter_next (&it, &b)) > 0) {
    if (b.type == BOX_MVHD) {
      if (time_box_duration_offset (&b, 4) == 0)
        return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "bad 'mvhd' box");
      d->movie_timescale = time_box_field (&b);
      have_mvhd = TRUE;
    } else if (b.type == BOX_TRAK) {
      if (!parse_trak (d, &b))
        return FALSE;
    } else if (b.type == BOX_MVEX) {
      mvex = b;
      have_mvex = TRUE;
    }
  }
  if (r < 0)
    return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "malformed 'moov' box");
  if (!have_mvex)
    return fail (d, RR_MP4DEFRAG_ERROR_NOT_FRAGMENTED,
        "the file is not fragmented (no 'mvex' box)");
  if (!have_mvhd || d->movie_timescale == 0)
    return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "no usable 'mvhd' box");
  if (d->tracks->len == 0)
    return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "no tracks");
  if (!parse_mvex (d, &mvex))
    return FALSE;
  for (i = 0; i < d->tracks->len; i++) {
    Track *t = &g_array_index (d->tracks, Track, i);
    if (!t->have_trex)
      return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED,
          "no 'trex' box for track %u", t->track_id);
    if (t->moov_has_samples)
      return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED,
          "track %u has samples both in 'moov' and in fragments", t->track_id);
  }
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* moof */

typedef struct
{
  gboolean have;
  guint32 flags;
  guint32 track_id;
  guint64 base_data_offset;
  guint32 sdi, duration, size, sample_flags;
} Tfhd;

static gboolean
parse_tfhd (Defrag * d, const Box * b, Tfhd * h)
{
  Reader rd;

  reader_init (&rd, b->payload, b->len);
  reader_full_header (&rd, &h->flags);
  h->track_id = reader_u32 (&rd);
  if (h->flags & TFHD_BASE_DATA_OFFSET)
    h->base_data_offset = reader_u64 (&rd);
  if (h->flags & TFHD_SAMPLE_DESCRIPTION_INDEX)
    h->sdi = reader_u32 (&rd);
  if (h->flags & TFHD_DEFAULT_DURATION)
    h->duration = reader_u32 (&rd);
  if (h->flags & TFHD_DEFAULT_SIZE)
    h->size = reader_u32 (&rd);
  if (h->flags & TFHD_DEFAULT_FLAGS)
    h->sample_flags = reader_u32 (&rd);
  if (!rd.ok)
    return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "short 'tfhd' box");
  h->have = TRUE;
  return TRUE;
}

/* The decode time of the next sample differs from the track fragment's
 * tfdt: stretch or shrink the previous sample so that they match. */
static void
apply_tfdt (Track * t, guint64 tfdt)
{
  Sample *last;
  guint64 last_dts, dur;

  if (t->samples->len == 0) {
    t->first_dts = tfdt;
    return;
  }
  if (tfdt == t->first_dts + t->duration)
    return;
  last = &g_array_index (t->samples, Sample, t->samples->len - 1);
  last_dts = t->first_dts + t->duration - last->duration;
  if (tfdt < last_dts || tfdt - last_dts > G_MAXUINT32)
    return;                     /* not representable: keep the durations */
  dur = tfdt - last_dts;
  t->duration = t->duration - last->duration + dur;
  last->duration = (guint32) dur;
}

static gboolean
parse_trun (Defrag * d, const Box * b, Track * t, guint track_index,
    const Tfhd * h, guint32 sdi, guint64 base, guint64 * data_pos)
{
  Reader rd;
  guint32 version, flags, count, first_flags = 0, i;
  guint64 start, pos, entry_len;
  Chunk c = { 0, };

  reader_init (&rd, b->payload, b->len);
  version = reader_full_header (&rd, &flags);
  count = reader_u32 (&rd);
  if (flags & TRUN_DATA_OFFSET) {
    gint32 off = (gint32) reader_u32 (&rd);

    if (off < 0 && (guint64) (-(gint64) off) > base)
      return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED,
          "'trun' data before the start of the file");
    if (off > 0 && base > G_MAXUINT64 - (guint64) off)
      return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED,
          "'trun' data offset overflows");
    start = off >= 0 ? base + (guint64) off : base - (guint64) (-(gint64) off);
  } else {
    start = *data_pos;
  }
  if (flags & TRUN_FIRST_SAMPLE_FLAGS)
    first_flags = reader_u32 (&rd);
  entry_len = 4 * (!!(flags & TRUN_DURATION) + !!(flags & TRUN_SIZE) +
      !!(flags & TRUN_FLAGS) + !!(flags & TRUN_CTS_OFFSET));
  if (!rd.ok || (guint64) count * entry_len > rd.len - rd.pos)
    return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "short 'trun' box");
  if ((guint64) t->samples->len + count > G_MAXUINT32)
    return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED,
        "more than 2^32-1 samples in track %u", t->track_id);

  pos = start;
  for (i = 0; i < count; i++) {
    Sample s;
    guint32 sflags;

    s.duration = (flags & TRUN_DURATION) ? reader_u32 (&rd) :
        (h->flags & TFHD_DEFAULT_DURATION) ? h->duration : t->trex_duration;
    s.size = (flags & TRUN_SIZE) ? reader_u32 (&rd) :
        (h->flags & TFHD_DEFAULT_SIZE) ? h->size : t->trex_size;
    sflags = (h->flags & TFHD_DEFAULT_FLAGS) ? h->sample_flags : t->trex_flags;
    if (flags & TRUN_FLAGS)
      sflags = reader_u32 (&rd);
    if (i == 0 && (flags & TRUN_FIRST_SAMPLE_FLAGS))
      sflags = first_flags;
    s.sync = !(sflags & SAMPLE_IS_NON_SYNC);
    s.cts_offset = 0;
    if (flags & TRUN_CTS_OFFSET) {
      guint32 v = reader_u32 (&rd);
      s.cts_offset = version == 0 ? (gint64) v : (gint64) (gint32) v;
    }
    if (pos > d->file_size || s.size > d->file_size - pos) {
      d->truncated = TRUE;      /* cut off by a killed recorder */
      break;
    }
    if (t->duration > G_MAXUINT64 - s.duration)
      return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "duration overflows");
    g_array_append_val (t->samples, s);
    t->duration += s.duration;
    pos += s.size;
  }
  *data_pos = pos;
  if (i == 0)
    return TRUE;
  /* samples of a valid file never overlap, so they cannot add up to more
   * than the file: this bounds the output of a hostile input */
  if (pos - start > d->file_size - d->total_data)
    return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED,
        "sample data of different runs overlaps");
  d->total_data += pos - start;

  if (t->n_chunks == G_MAXUINT32)
    return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "too many chunks");
  c.track = track_index;
  c.n_samples = i;
  c.sdi = sdi;
  c.src_offset = start;
  c.size = pos - start;
  g_array_append_val (d->chunks, c);
  t->n_chunks++;
  return TRUE;
}

static gboolean
parse_traf (Defrag * d, const Box * traf, guint64 moof_start,
    guint64 * implicit_base)
{
  BoxIter it;
  Box b;
  gint r;
  Tfhd h = { 0, };
  gboolean have_tfdt = FALSE;
  guint64 tfdt = 0, base, data_pos;
  guint32 sdi;
  guint track_index;
  Track *t;

  box_iter_init (&it, traf->payload, traf->len);
  while ((r = box_iter_next (&it, &b)) > 0) {
    if (b.type == BOX_TFHD && !h.have) {
      if (!parse_tfhd (d, &b, &h))
        return FALSE;
    } else if (b.type == BOX_TFDT && !have_tfdt) {
      Reader rd;
      guint32 flags;

      reader_init (&rd, b.payload, b.len);
      tfdt = reader_full_header (&rd, &flags) == 1 ? reader_u64 (&rd) :
          reader_u32 (&rd);
      if (!rd.ok)
        return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "short 'tfdt' box");
      have_tfdt = TRUE;
    }
  }
  if (r < 0)
    return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "malformed 'traf' box");
  if (!h.have)
    return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "'traf' without 'tfhd'");
  t = find_track (d, h.track_id, &track_index);
  if (t == NULL)
    return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED,
        "fragment of unknown track %u", h.track_id);
  sdi = (h.flags & TFHD_SAMPLE_DESCRIPTION_INDEX) ? h.sdi : t->trex_sdi;
  if (sdi == 0 || sdi > t->stsd_entries)
    return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED,
        "sample description index %u out of range in track %u", sdi,
        t->track_id);

  if (h.flags & TFHD_BASE_DATA_OFFSET)
    base = h.base_data_offset;
  else if (h.flags & TFHD_DEFAULT_BASE_IS_MOOF)
    base = moof_start;
  else
    base = *implicit_base;
  if (have_tfdt)
    apply_tfdt (t, tfdt);

  data_pos = base;
  box_iter_init (&it, traf->payload, traf->len);
  while (!d->truncated && box_iter_next (&it, &b) > 0) {
    if (b.type == BOX_TRUN &&
        !parse_trun (d, &b, t, track_index, &h, sdi, base, &data_pos))
      return FALSE;
  }
  *implicit_base = data_pos;
  return TRUE;
}

static gboolean
parse_moof (Defrag * d, const guint8 * payload, gsize len, guint64 moof_start)
{
  BoxIter it;
  Box b;
  gint r = 0;
  guint64 implicit_base = moof_start;

  box_iter_init (&it, payload, len);
  while (!d->truncated && (r = box_iter_next (&it, &b)) > 0) {
    if (b.type == BOX_TRAF && !parse_traf (d, &b, moof_start, &implicit_base))
      return FALSE;
  }
  if (!d->truncated && r < 0)
    return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "malformed 'moof' box");
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Reading the file */

static gboolean
read_exact (int fd, guint8 * buf, gsize len, guint64 off)
{
  gsize done = 0;

  while (done < len) {
    ssize_t n = pread (fd, buf + done, len - done, (off_t) (off + done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    done += n;
  }
  return TRUE;
}

/* Box headers and moofs are a few bytes every few kB of a file that can be
 * gigabytes: reading them from a mapping costs a page fault where pread
 * costs a system call and a copy (an hour of recording: 100 000 boxes). */
static gboolean
defrag_read (Defrag * d, guint8 * buf, gsize len, guint64 off)
{
  if (d->map && off <= d->file_size && len <= d->file_size - off) {
    memcpy (buf, d->map + off, len);
    return TRUE;
  }
  return read_exact (d->fd, buf, len, off);
}

static void
defrag_map (Defrag * d)
{
  void *m;

  if (d->file_size == 0 || d->file_size > G_MAXSIZE)
    return;
  m = mmap (NULL, d->file_size, PROT_READ, MAP_SHARED, d->fd, 0);
  if (m != MAP_FAILED)
    d->map = m;
}

static void
defrag_unmap (Defrag * d)
{
  if (d->map)
    munmap ((void *) d->map, d->file_size);
  d->map = NULL;
}

static gboolean
type_is_printable (const guint8 * t)
{
  guint i;

  for (i = 0; i < 4; i++) {
    if (t[i] < 0x20 || t[i] > 0x7e)
      return FALSE;
  }
  return TRUE;
}

static guint8 *
load_payload (Defrag * d, guint64 off, guint64 len, const gchar * what)
{
  guint8 *buf;

  if (len > MAX_HEADER_BOX_SIZE) {
    fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "'%s' box too large", what);
    return NULL;
  }
  buf = g_malloc (len ? len : 1);
  errno = 0;
  if (!defrag_read (d, buf, len, off)) {
    fail (d, RR_MP4DEFRAG_ERROR_IO, "cannot read the '%s' box: %s", what,
        errno ? g_strerror (errno) : "unexpected end of file");
    g_free (buf);
    return NULL;
  }
  return buf;
}

/* Walks the top-level boxes and collects all samples. */
static gboolean
scan_file (Defrag * d)
{
  guint64 off = 0;
  gboolean cut = FALSE;

  while (off < d->file_size) {
    guint8 hdr[16];
    guint64 size, left = d->file_size - off;
    guint hdr_len = 8;
    guint32 type;

    if (left < 8) {
      cut = TRUE;
      break;
    }
    errno = 0;
    if (!defrag_read (d, hdr, 8, off))
      goto read_error;
    size = rd32 (hdr);
    type = rd32 (hdr + 4);
    if (size == 1) {
      if (left < 16) {
        cut = TRUE;
        break;
      }
      if (!defrag_read (d, hdr + 8, 8, off + 8))
        goto read_error;
      size = rd64 (hdr + 8);
      hdr_len = 16;
    } else if (size == 0) {
      size = left;
    }
    if (!type_is_printable (hdr + 4) || size < hdr_len) {
      if (d->moov == NULL)
        return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED,
            "not an MP4 file (bad box at offset %" G_GUINT64_FORMAT ")", off);
      cut = TRUE;               /* garbage after the last fragment */
      break;
    }
    if (size > left) {
      cut = TRUE;               /* the last box was cut off */
      break;
    }

    if (type == BOX_FTYP && d->ftyp == NULL) {
      d->ftyp_len = size - hdr_len;
      d->ftyp = load_payload (d, off + hdr_len, d->ftyp_len, "ftyp");
      if (d->ftyp == NULL)
        return FALSE;
    } else if (type == BOX_MOOV) {
      if (d->moov != NULL)
        return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "two 'moov' boxes");
      d->moov_len = size - hdr_len;
      d->moov = load_payload (d, off + hdr_len, d->moov_len, "moov");
      if (d->moov == NULL || !parse_moov (d))
        return FALSE;
    } else if (type == BOX_MOOF) {
      guint8 *moof;
      gboolean ok;

      if (d->moov == NULL)
        return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "'moof' before 'moov'");
      moof = load_payload (d, off + hdr_len, size - hdr_len, "moof");
      if (moof == NULL)
        return FALSE;
      ok = parse_moof (d, moof, size - hdr_len, off);
      g_free (moof);
      if (!ok)
        return FALSE;
      if (d->truncated)
        break;
    }
    off += size;
  }

  if (d->moov == NULL) {
    if (cut || d->file_size == 0)
      return fail (d, RR_MP4DEFRAG_ERROR_TRUNCATED,
          "the file ends before its 'moov' box");
    return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "no 'moov' box");
  }
  if (cut)
    d->truncated = TRUE;
  return TRUE;

read_error:
  return fail (d, RR_MP4DEFRAG_ERROR_IO, "cannot read: %s",
      errno ? g_strerror (errno) : "the input file shrank");
}

/* ------------------------------------------------------------------------ */
/* Building the new moov */

typedef struct
{
  Defrag *d;
  GByteArray *ba;
  gboolean ok;
} Builder;

static gsize
box_begin (Builder * b, guint32 type)
{
  gsize off = b->ba->len;

  put32 (b->ba, 0);
  put32 (b->ba, type);
  return off;
}

static void
box_end (Builder * b, gsize off)
{
  gsize size = b->ba->len - off;

  if (size > G_MAXUINT32) {
    b->ok = FALSE;
    fail (b->d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "'moov' box too large");
    return;
  }
  set32 (b->ba->data + off, (guint32) size);
}

static void
copy_box (Builder * b, const Box * box)
{
  gsize off = box_begin (b, box->type);

  g_byte_array_append (b->ba, box->payload, box->len);
  box_end (b, off);
}

/* mvhd/tkhd/mdhd with a new duration; a version 0 box whose duration does
 * not fit 32 bits becomes version 1. */
static void
write_time_box (Builder * b, const Box * box, gsize mid, guint64 duration)
{
  const guint8 *p = box->payload;
  gsize dur_off = time_box_duration_offset (box, mid), off;

  if (dur_off == 0) {
    copy_box (b, box);
    return;
  }
  off = box_begin (b, box->type);
  if (p[0] == 1) {
    g_byte_array_append (b->ba, p, dur_off);
    put64 (b->ba, duration);
    g_byte_array_append (b->ba, p + dur_off + 8, box->len - dur_off - 8);
  } else if (duration <= G_MAXUINT32) {
    g_byte_array_append (b->ba, p, dur_off);
    put32 (b->ba, (guint32) duration);
    g_byte_array_append (b->ba, p + dur_off + 4, box->len - dur_off - 4);
  } else {
    put32 (b->ba, (1u << 24) | (rd32 (p) & 0xffffff));
    put64 (b->ba, rd32 (p + 4));        /* creation_time */
    put64 (b->ba, rd32 (p + 8));        /* modification_time */
    g_byte_array_append (b->ba, p + 12, mid);
    put64 (b->ba, duration);
    g_byte_array_append (b->ba, p + dur_off + 4, box->len - dur_off - 4);
  }
  box_end (b, off);
}

static void
write_stts (Builder * b, Track * t)
{
  gsize off = box_begin (b, BOX_STTS), count_pos;
  guint32 entries = 0, i = 0, n = t->samples->len;

  put32 (b->ba, 0);
  count_pos = b->ba->len;
  put32 (b->ba, 0);
  while (i < n) {
    guint32 dur = g_array_index (t->samples, Sample, i).duration, run = 0;

    while (i < n && g_array_index (t->samples, Sample, i).duration == dur) {
      run++;
      i++;
    }
    put32 (b->ba, run);
    put32 (b->ba, dur);
    entries++;
  }
  set32 (b->ba->data + count_pos, entries);
  box_end (b, off);
}

static void
write_ctts (Builder * b, Track * t)
{
  gboolean any = FALSE, negative = FALSE;
  guint32 entries = 0, i, n = t->samples->len;
  gsize off, count_pos;

  for (i = 0; i < n; i++) {
    gint64 o = g_array_index (t->samples, Sample, i).cts_offset;
    any |= o != 0;
    negative |= o < 0;
  }
  if (!any)
    return;
  for (i = 0; i < n; i++) {
    gint64 o = g_array_index (t->samples, Sample, i).cts_offset;
    if (negative ? o > G_MAXINT32 : o > G_MAXUINT32) {
      b->ok = FALSE;
      fail (b->d, RR_MP4DEFRAG_ERROR_UNSUPPORTED,
          "composition offsets of track %u cannot be written", t->track_id);
      return;
    }
  }

  off = box_begin (b, BOX_CTTS);
  put32 (b->ba, negative ? 1u << 24 : 0);
  count_pos = b->ba->len;
  put32 (b->ba, 0);
  i = 0;
  while (i < n) {
    gint64 o = g_array_index (t->samples, Sample, i).cts_offset;
    guint32 run = 0;

    while (i < n && g_array_index (t->samples, Sample, i).cts_offset == o) {
      run++;
      i++;
    }
    put32 (b->ba, run);
    put32 (b->ba, (guint32) o);
    entries++;
  }
  set32 (b->ba->data + count_pos, entries);
  box_end (b, off);
}

static void
write_stss (Builder * b, Track * t)
{
  guint32 i, n = t->samples->len, entries = 0;
  gsize off, count_pos;

  for (i = 0; i < n; i++) {
    if (!g_array_index (t->samples, Sample, i).sync)
      break;
  }
  if (i == n)
    return;                     /* every sample is a sync sample */
  off = box_begin (b, BOX_STSS);
  put32 (b->ba, 0);
  count_pos = b->ba->len;
  put32 (b->ba, 0);
  for (i = 0; i < n; i++) {
    if (g_array_index (t->samples, Sample, i).sync) {
      put32 (b->ba, i + 1);
      entries++;
    }
  }
  set32 (b->ba->data + count_pos, entries);
  box_end (b, off);
}

static void
write_stsc (Builder * b, guint track_index)
{
  GArray *chunks = b->d->chunks;
  gsize off = box_begin (b, BOX_STSC), count_pos;
  guint32 entries = 0, chunk_no = 0, last_n = 0, last_sdi = 0;
  guint i;

  put32 (b->ba, 0);
  count_pos = b->ba->len;
  put32 (b->ba, 0);
  for (i = 0; i < chunks->len; i++) {
    Chunk *c = &g_array_index (chunks, Chunk, i);

    if (c->track != track_index)
      continue;
    chunk_no++;
    if (entries == 0 || c->n_samples != last_n || c->sdi != last_sdi) {
      put32 (b->ba, chunk_no);
      put32 (b->ba, c->n_samples);
      put32 (b->ba, c->sdi);
      last_n = c->n_samples;
      last_sdi = c->sdi;
      entries++;
    }
  }
  set32 (b->ba->data + count_pos, entries);
  box_end (b, off);
}

static void
write_stsz (Builder * b, Track * t)
{
  gsize off = box_begin (b, BOX_STSZ);
  guint32 i, n = t->samples->len, size = 0;
  gboolean constant = n > 0;

  for (i = 0; i < n; i++) {
    guint32 s = g_array_index (t->samples, Sample, i).size;
    if (i == 0)
      size = s;
    else if (s != size)
      constant = FALSE;
  }
  put32 (b->ba, 0);
  put32 (b->ba, constant ? size : 0);
  put32 (b->ba, n);
  if (!constant) {
    for (i = 0; i < n; i++)
      put32 (b->ba, g_array_index (t->samples, Sample, i).size);
  }
  box_end (b, off);
}

/* Offsets relative to the mdat payload; fixed up once the moov size is
 * known. */
static void
write_co64 (Builder * b, Track * t, guint track_index)
{
  GArray *chunks = b->d->chunks;
  gsize off = box_begin (b, BOX_CO64);
  guint i;

  put32 (b->ba, 0);
  put32 (b->ba, t->n_chunks);
  t->co64_entries = b->ba->len;
  for (i = 0; i < chunks->len; i++) {
    Chunk *c = &g_array_index (chunks, Chunk, i);
    if (c->track == track_index)
      put64 (b->ba, c->out_offset);
  }
  box_end (b, off);
}

static void
write_stbl (Builder * b, const Box * stbl, Track * t, guint track_index)
{
  gsize off = box_begin (b, BOX_STBL);
  BoxIter it;
  Box c;

  box_iter_init (&it, stbl->payload, stbl->len);
  while (box_iter_next (&it, &c) > 0) {
    switch (c.type) {
      case BOX_STTS:
      case BOX_CTTS:
      case BOX_STSS:
      case BOX_STSC:
      case BOX_STSZ:
      case BOX_STZ2:
      case BOX_STCO:
      case BOX_CO64:
      case BOX_SDTP:
        break;                  /* rebuilt below (sdtp: dropped) */
      default:
        copy_box (b, &c);
        break;
    }
  }
  write_stts (b, t);
  write_ctts (b, t);
  write_stss (b, t);
  write_stsc (b, track_index);
  write_stsz (b, t);
  write_co64 (b, t, track_index);
  box_end (b, off);
}

static void
write_minf (Builder * b, const Box * minf, Track * t, guint track_index)
{
  gsize off = box_begin (b, minf->type);
  BoxIter it;
  Box c;

  box_iter_init (&it, minf->payload, minf->len);
  while (box_iter_next (&it, &c) > 0) {
    if (c.type == BOX_STBL)
      write_stbl (b, &c, t, track_index);
    else
      copy_box (b, &c);
  }
  box_end (b, off);
}

static void
write_mdia (Builder * b, const Box * mdia, Track * t, guint track_index)
{
  gsize off = box_begin (b, mdia->type);
  BoxIter it;
  Box c;

  box_iter_init (&it, mdia->payload, mdia->len);
  while (box_iter_next (&it, &c) > 0) {
    if (c.type == BOX_MDHD)
      write_time_box (b, &c, 4, t->duration);
    else if (c.type == BOX_MINF)
      write_minf (b, &c, t, track_index);
    else
      copy_box (b, &c);
  }
  box_end (b, off);
}

/* The edit list of a track without one of its own: an empty edit when
 * its first fragment starts later than 0 (splitmuxrec shifts a track that
 * began late), then its media from the first sample's composition time.
 * So the first sample is presented at its decode time even when it has a
 * composition offset (B-frames), as a non-fragmented mp4mux does it. */
static gboolean
needs_edts (const Track * t)
{
  return !t->has_edts && t->samples->len > 0 && (t->first_dts > 0
      || g_array_index (t->samples, Sample, 0).cts_offset > 0);
}

static void
write_edts (Builder * b, Defrag * d, Track * t)
{
  const Sample *first = &g_array_index (t->samples, Sample, 0);
  guint64 media_time = first->cts_offset > 0 ? (guint64) first->cts_offset : 0;
  guint64 gap = scale_u64 (t->first_dts, d->movie_timescale, t->timescale);
  guint64 media = t->tkhd_duration > gap ? t->tkhd_duration - gap : 0;
  gboolean v1 = gap >= G_MAXUINT32 || t->tkhd_duration > G_MAXUINT32
      || media_time >= G_MAXUINT32;
  gsize edts = box_begin (b, BOX_EDTS), elst = box_begin (b, BOX_ELST);

  put32 (b->ba, v1 ? 1u << 24 : 0);
  put32 (b->ba, gap > 0 ? 2 : 1);
  if (gap > 0 && v1) {
    put64 (b->ba, gap);
    put64 (b->ba, G_MAXUINT64); /* media_time -1: empty edit */
    put32 (b->ba, 0x00010000);
  } else if (gap > 0) {
    put32 (b->ba, (guint32) gap);
    put32 (b->ba, G_MAXUINT32);
    put32 (b->ba, 0x00010000);
  }
  if (v1) {
    put64 (b->ba, media);
    put64 (b->ba, media_time);
  } else {
    put32 (b->ba, (guint32) media);
    put32 (b->ba, (guint32) media_time);
  }
  put32 (b->ba, 0x00010000);
  box_end (b, elst);
  box_end (b, edts);
}

static void
write_trak (Builder * b, const Box * trak, Track * t, guint track_index)
{
  gsize off = box_begin (b, BOX_TRAK);
  BoxIter it;
  Box c;

  box_iter_init (&it, trak->payload, trak->len);
  while (box_iter_next (&it, &c) > 0) {
    if (c.type == BOX_TKHD) {
      write_time_box (b, &c, 8, t->tkhd_duration);
      if (needs_edts (t))
        write_edts (b, b->d, t);
    } else if (c.type == BOX_MDIA) {
      write_mdia (b, &c, t, track_index);
    } else {
      copy_box (b, &c);
    }
  }
  box_end (b, off);
}

static GByteArray *
build_moov (Defrag * d)
{
  Builder b = { d, g_byte_array_new (), TRUE };
  guint64 movie_duration = 0, out = 0;
  guint i, trak_index = 0;
  gboolean have_samples = FALSE;
  BoxIter it;
  Box c;
  gsize off;

  for (i = 0; i < d->chunks->len; i++) {
    Chunk *ch = &g_array_index (d->chunks, Chunk, i);
    ch->out_offset = out;
    out += ch->size;
  }
  for (i = 0; i < d->tracks->len; i++) {
    Track *t = &g_array_index (d->tracks, Track, i);
    guint64 start = t->has_edts ? 0 : t->first_dts;
    guint n = t->samples->len;

    /* A muxer that stops writes the last sample with duration 0; a player
     * then cuts that frame at the track's end: give it its predecessor's. */
    if (n >= 2 && g_array_index (t->samples, Sample, n - 1).duration == 0) {
      guint32 prev = g_array_index (t->samples, Sample, n - 2).duration;
      g_array_index (t->samples, Sample, n - 1).duration = prev;
      if (t->duration <= G_MAXUINT64 - prev)
        t->duration += prev;
    }
    if (t->samples->len == 0 || start > G_MAXUINT64 - t->duration)
      start = 0;
    t->tkhd_duration = scale_u64 (start + t->duration, d->movie_timescale,
        t->timescale);
    movie_duration = MAX (movie_duration, t->tkhd_duration);
  }

  for (i = 0; i < d->tracks->len; i++)
    have_samples |= g_array_index (d->tracks, Track, i).samples->len > 0;

  off = box_begin (&b, BOX_MOOV);
  box_iter_init (&it, d->moov, d->moov_len);
  while (b.ok && box_iter_next (&it, &c) > 0) {
    if (c.type == BOX_MVHD) {
      write_time_box (&b, &c, 4, movie_duration);
    } else if (c.type == BOX_TRAK) {
      Track *t = &g_array_index (d->tracks, Track, trak_index);

      /* A track that never got a sample (a sender that never sent a key
       * frame) has no sample description either: players refuse the whole
       * file for it.  Leave it out when another track has media. */
      if (t->samples->len > 0 || t->moov_has_samples || !have_samples)
        write_trak (&b, &c, t, trak_index);
      trak_index++;
    } else if (c.type != BOX_MVEX) {
      copy_box (&b, &c);
    }
  }
  box_end (&b, off);
  if (!b.ok) {
    g_byte_array_unref (b.ba);
    return NULL;
  }
  return b.ba;
}

/* ------------------------------------------------------------------------ */
/* Writing */

static gboolean
write_all (int fd, const guint8 * buf, gsize len)
{
  while (len > 0) {
    ssize_t n = write (fd, buf, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    buf += n;
    len -= n;
  }
  return TRUE;
}

static gboolean
write_output (Defrag * d, int out, GByteArray * moov)
{
  guint8 hdr[16];
  guint64 mdat_payload = 0, base;
  gsize hdr_len;
  guint8 *buf;
  guint i, j;

  for (i = 0; i < d->chunks->len; i++)
    mdat_payload += g_array_index (d->chunks, Chunk, i).size;
  hdr_len = mdat_payload > G_MAXUINT32 - 8 ? 16 : 8;

  /* co64 entries become absolute file offsets */
  base = moov->len + hdr_len + (d->ftyp ? d->ftyp_len + 8 : 0);
  for (i = 0; i < d->tracks->len; i++) {
    Track *t = &g_array_index (d->tracks, Track, i);
    for (j = 0; j < t->n_chunks; j++) {
      guint8 *p = moov->data + t->co64_entries + 8 * (gsize) j;
      set64 (p, rd64 (p) + base);
    }
  }

  if (d->ftyp) {
    if (d->ftyp_len > G_MAXUINT32 - 8)
      return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "'ftyp' too large");
    set32 (hdr, (guint32) d->ftyp_len + 8);
    set32 (hdr + 4, BOX_FTYP);
    if (!write_all (out, hdr, 8) || !write_all (out, d->ftyp, d->ftyp_len))
      goto write_error;
  }
  if (!write_all (out, moov->data, moov->len))
    goto write_error;
  if (hdr_len == 16) {
    set32 (hdr, 1);
    set32 (hdr + 4, BOX_MDAT);
    set64 (hdr + 8, mdat_payload + 16);
  } else {
    set32 (hdr, (guint32) mdat_payload + 8);
    set32 (hdr + 4, BOX_MDAT);
  }
  if (!write_all (out, hdr, hdr_len))
    goto write_error;

  buf = g_malloc (COPY_BUFFER_SIZE);
  for (i = 0; i < d->chunks->len; i++) {
    Chunk *c = &g_array_index (d->chunks, Chunk, i);
    guint64 done = 0;

    while (done < c->size) {
      gsize n = MIN (c->size - done, COPY_BUFFER_SIZE);

      errno = 0;
      if (!defrag_read (d, buf, n, c->src_offset + done)) {
        g_free (buf);
        return fail (d, RR_MP4DEFRAG_ERROR_IO, "cannot read samples: %s",
            errno ? g_strerror (errno) : "the input file shrank");
      }
      if (!write_all (out, buf, n)) {
        g_free (buf);
        goto write_error;
      }
      done += n;
    }
  }
  g_free (buf);
  if (fsync (out) != 0)
    goto write_error;
  return TRUE;

write_error:
  return fail (d, RR_MP4DEFRAG_ERROR_IO, "cannot write the output: %s",
      g_strerror (errno));
}

/* ------------------------------------------------------------------------ */

static gboolean
defrag_open (Defrag * d, const gchar * path, int flags, GStatBuf * st,
    GError ** error)
{
  d->error = error;
  d->fd = g_open (path, flags | O_CLOEXEC, 0);
  if (d->fd < 0 || fstat (d->fd, st) != 0) {
    fail (d, RR_MP4DEFRAG_ERROR_IO, "cannot open '%s': %s", path,
        g_strerror (errno));
    if (d->fd >= 0)
      close (d->fd);
    return FALSE;
  }
  d->file_size = st->st_size;
  defrag_map (d);
  d->tracks = g_array_new (FALSE, FALSE, sizeof (Track));
  d->chunks = g_array_new (FALSE, FALSE, sizeof (Chunk));
  return TRUE;
}

static void
defrag_clear (Defrag * d)
{
  for (guint i = 0; i < d->tracks->len; i++)
    g_array_unref (g_array_index (d->tracks, Track, i).samples);
  g_array_unref (d->tracks);
  g_array_unref (d->chunks);
  g_free (d->ftyp);
  g_free (d->moov);
  defrag_unmap (d);
  close (d->fd);
}

gboolean
rr_mp4_defragment (const gchar * in_path, const gchar * out_path,
    GError ** error)
{
  Defrag d = { 0, };
  GStatBuf st;
  GByteArray *moov = NULL;
  gchar *tmp_path = NULL;
  int out = -1;
  gboolean ok = FALSE;

  g_return_val_if_fail (in_path != NULL, FALSE);
  g_return_val_if_fail (out_path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!defrag_open (&d, in_path, O_RDONLY, &st, error))
    return FALSE;

  if (!scan_file (&d))
    goto done;
  moov = build_moov (&d);
  if (moov == NULL)
    goto done;

  tmp_path = g_strdup_printf ("%s.XXXXXX", out_path);
  out = g_mkstemp_full (tmp_path, O_WRONLY | O_CLOEXEC, 0666);
  if (out < 0) {
    fail (&d, RR_MP4DEFRAG_ERROR_IO, "cannot create '%s': %s", tmp_path,
        g_strerror (errno));
    goto done;
  }
  /* g_mkstemp creates 0600; give the output the input's permissions */
  if (fchmod (out, st.st_mode & 0777) != 0 || !write_output (&d, out, moov)) {
    fail (&d, RR_MP4DEFRAG_ERROR_IO, "cannot write '%s': %s", tmp_path,
        g_strerror (errno));
    goto done;
  }
  if (close (out) != 0) {
    out = -1;
    fail (&d, RR_MP4DEFRAG_ERROR_IO, "cannot write '%s': %s", tmp_path,
        g_strerror (errno));
    goto done;
  }
  out = -1;
  if (g_rename (tmp_path, out_path) != 0) {
    fail (&d, RR_MP4DEFRAG_ERROR_IO, "cannot rename '%s' to '%s': %s",
        tmp_path, out_path, g_strerror (errno));
    goto done;
  }
  ok = TRUE;

done:
  if (out >= 0)
    close (out);
  if (!ok && tmp_path != NULL)
    g_unlink (tmp_path);
  g_free (tmp_path);
  if (moov)
    g_byte_array_unref (moov);
  defrag_clear (&d);
  return ok;
}

/* ------------------------------------------------------------------------ */
/* Finalising in place */

/* Overwrites the type of every top-level box of a fragmented layout (the
 * old moov, moof, mfra, sidx, styp) below @end with 'free'. */
static gboolean
free_fragment_boxes (Defrag * d, int fd, guint64 end)
{
  guint64 off = 0;
  guint8 hdr[16], free_type[4];

  set32 (free_type, BOX_FREE);
  while (off + 8 <= end) {
    guint64 size;
    guint32 type;

    if (!defrag_read (d, hdr, 8, off))
      return fail (d, RR_MP4DEFRAG_ERROR_IO, "cannot read: %s",
          g_strerror (errno));
    size = rd32 (hdr);
    type = rd32 (hdr + 4);
    if (size == 1) {
      if (!defrag_read (d, hdr + 8, 8, off + 8))
        return fail (d, RR_MP4DEFRAG_ERROR_IO, "cannot read: %s",
            g_strerror (errno));
      size = rd64 (hdr + 8);
    }
    if (size < 8 || size > end - off)
      return fail (d, RR_MP4DEFRAG_ERROR_UNSUPPORTED, "box sizes changed");
    if (type == BOX_MOOV || type == BOX_MOOF || type == BOX_MFRA
        || type == BOX_SIDX || type == BOX_STYP) {
      if (pwrite (fd, free_type, 4, off + 4) != 4)
        return fail (d, RR_MP4DEFRAG_ERROR_IO, "cannot write: %s",
            g_strerror (errno));
    }
    off += size;
  }
  return TRUE;
}

gboolean
rr_mp4_finalize (const gchar * path, GError ** error)
{
  Defrag d = { 0, };
  GStatBuf st;
  GByteArray *moov = NULL;
  gboolean ok = FALSE, copy = FALSE;
  guint i;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!defrag_open (&d, path, O_RDWR, &st, error))
    return FALSE;

  if (!scan_file (&d))
    goto done;
  if (d.truncated) {
    /* the tail is not whole boxes: rewrite what can be kept */
    copy = TRUE;
    goto done;
  }
  moov = build_moov (&d);
  if (moov == NULL)
    goto done;
  /* the samples stay where they are: co64 points into the old mdats */
  for (i = 0; i < d.tracks->len; i++) {
    Track *t = &g_array_index (d.tracks, Track, i);
    guint j = 0;

    for (guint k = 0; k < d.chunks->len && j < t->n_chunks; k++) {
      Chunk *c = &g_array_index (d.chunks, Chunk, k);

      if (c->track == i)
        set64 (moov->data + t->co64_entries + 8 * (gsize) j++, c->src_offset);
    }
  }
  /* the new moov first (a crash before the renames leaves the fragmented
   * file, which plays), then the fragment boxes become 'free' */
  if (pwrite (d.fd, moov->data, moov->len, d.file_size) != (ssize_t) moov->len
      || fsync (d.fd) != 0) {
    fail (&d, RR_MP4DEFRAG_ERROR_IO, "cannot write '%s': %s", path,
        g_strerror (errno));
    if (ftruncate (d.fd, d.file_size) != 0)
      g_clear_error (d.error);
    goto done;
  }
  if (!free_fragment_boxes (&d, d.fd, d.file_size) || fsync (d.fd) != 0) {
    if (d.error && *d.error == NULL)
      fail (&d, RR_MP4DEFRAG_ERROR_IO, "cannot write '%s': %s", path,
          g_strerror (errno));
    goto done;
  }
  ok = TRUE;

done:
  if (moov)
    g_byte_array_unref (moov);
  defrag_clear (&d);
  if (copy)
    return rr_mp4_defragment (path, path, error);
  return ok;
}
