/* roomrec — AV1 RTP payload format (AOMedia "RTP Payload Format for AV1"
 * v1.0): byte-level packetizer and depacketizer
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Written from https://aomediacodec.github.io/av1-rtp-spec/ (sections 4 and
 * 5) and the AV1 bitstream specification (sections 4.10.5 leb128, 5.3 OBU
 * header, 5.5 sequence header, 5.9 frame header).  Every length read from
 * the input is checked before it is used: the depacketizer is fed with
 * untrusted network data.
 */
#include "av1rtp.h"

#include <string.h>

#define OBU_HAS_SIZE_FIELD 0x02
#define OBU_EXTENSION_FLAG 0x04
#define OBU_FORBIDDEN_BIT 0x80

#define AGGR_Z 0x80
#define AGGR_Y 0x40
#define AGGR_W_SHIFT 4
#define AGGR_W_MASK 0x30
#define AGGR_N 0x08

/* Keyframe requests while waiting: at most one per second of RTP time. */
#define REQUEST_INTERVAL RR_AV1_RTP_CLOCK_RATE

/* ------------------------------------------------------------------------ */
/* LEB128 */

guint
rr_av1_leb128_read (const guint8 * data, gsize size, guint32 * value)
{
  guint64 v = 0;
  guint i;

  if (data == NULL)
    return 0;

  for (i = 0; i < RR_AV1_LEB128_MAX_BYTES && i < size; i++) {
    v |= ((guint64) (data[i] & 0x7f)) << (i * 7);
    if (!(data[i] & 0x80)) {
      if (v > G_MAXUINT32)
        return 0;
      if (value)
        *value = (guint32) v;
      return i + 1;
    }
  }

  /* truncated, or more than 8 bytes */
  return 0;
}

guint
rr_av1_leb128_size (guint32 value)
{
  guint n = 1;

  while (value >= 0x80) {
    value >>= 7;
    n++;
  }
  return n;
}

guint
rr_av1_leb128_write (guint32 value, guint8 * out, gsize out_size)
{
  guint n = rr_av1_leb128_size (value);
  guint i;

  if (out == NULL || out_size < n)
    return 0;

  for (i = 0; i < n; i++) {
    out[i] = value & 0x7f;
    value >>= 7;
    if (i + 1 < n)
      out[i] |= 0x80;
  }
  return n;
}

/* ------------------------------------------------------------------------ */
/* Headers */

gboolean
rr_av1_obu_header_parse (const guint8 * data, gsize size, RrAv1ObuHeader * hdr)
{
  RrAv1ObuHeader h = { 0, };

  if (data == NULL || size < 1)
    return FALSE;
  if (data[0] & OBU_FORBIDDEN_BIT)
    return FALSE;

  h.type = (data[0] >> 3) & 0x0f;
  h.has_extension = (data[0] & OBU_EXTENSION_FLAG) != 0;
  h.has_size_field = (data[0] & OBU_HAS_SIZE_FIELD) != 0;
  h.header_size = 1;
  if (h.has_extension) {
    if (size < 2)
      return FALSE;
    h.temporal_id = (data[1] >> 5) & 0x07;
    h.spatial_id = (data[1] >> 3) & 0x03;
    h.header_size = 2;
  }

  if (hdr)
    *hdr = h;
  return TRUE;
}

void
rr_av1_aggregation_header_parse (guint8 byte, RrAv1AggregationHeader * hdr)
{
  g_return_if_fail (hdr != NULL);

  hdr->z = (byte & AGGR_Z) != 0;
  hdr->y = (byte & AGGR_Y) != 0;
  hdr->w = (byte & AGGR_W_MASK) >> AGGR_W_SHIFT;
  hdr->n = (byte & AGGR_N) != 0;
}

guint8
rr_av1_aggregation_header_pack (const RrAv1AggregationHeader * hdr)
{
  guint8 b = 0;

  g_return_val_if_fail (hdr != NULL, 0);

  if (hdr->z)
    b |= AGGR_Z;
  if (hdr->y)
    b |= AGGR_Y;
  b |= (hdr->w & 0x03) << AGGR_W_SHIFT;
  if (hdr->n)
    b |= AGGR_N;
  return b;
}

/* An OBU located in a buffer: header (1-2 bytes), optional size field, then
 * payload. */
typedef struct
{
  RrAv1ObuHeader hdr;
  const guint8 *data;           /* the OBU header */
  const guint8 *payload;
  gsize payload_size;
  gsize total_size;             /* header + size field + payload */
} Obu;

/* Parses one OBU at @data. Without obu_has_size_field the OBU takes all of
 * @size. */
static gboolean
obu_parse (const guint8 * data, gsize size, Obu * obu)
{
  gsize rest;

  if (!rr_av1_obu_header_parse (data, size, &obu->hdr))
    return FALSE;

  obu->data = data;
  rest = size - obu->hdr.header_size;
  if (obu->hdr.has_size_field) {
    guint32 osize;
    guint n = rr_av1_leb128_read (data + obu->hdr.header_size, rest, &osize);

    if (n == 0 || osize > rest - n)
      return FALSE;
    obu->payload = data + obu->hdr.header_size + n;
    obu->payload_size = osize;
    obu->total_size = obu->hdr.header_size + n + osize;
  } else {
    obu->payload = data + obu->hdr.header_size;
    obu->payload_size = rest;
    obu->total_size = size;
  }
  return TRUE;
}

/* Sequence header: seq_profile f(3), still_picture f(1),
 * reduced_still_picture_header f(1). */
static gboolean
seq_header_reduced_still_picture (const Obu * obu)
{
  return obu->payload_size >= 1 && (obu->payload[0] & 0x08) != 0;
}

/* Frame header: show_existing_frame f(1), frame_type f(2) unless
 * reduced_still_picture_header (then always KEY_FRAME). */
static gboolean
frame_header_is_key (const Obu * obu, gboolean reduced_still_picture)
{
  if (obu->payload_size < 1)
    return FALSE;
  if (reduced_still_picture)
    return TRUE;
  if (obu->payload[0] & 0x80)   /* show_existing_frame */
    return FALSE;
  return ((obu->payload[0] >> 5) & 0x03) == 0;  /* KEY_FRAME */
}

static gboolean
obu_is_dropped_on_the_wire (guint8 type)
{
  return type == RR_AV1_OBU_TEMPORAL_DELIMITER || type == RR_AV1_OBU_TILE_LIST;
}

/* ------------------------------------------------------------------------ */
/* Depacketizer */

struct _RrAv1Depacketizer
{
  gboolean wait_for_keyframe;

  /* unit being assembled */
  gboolean tu_active;
  guint32 tu_ts;
  guint64 tu_pts;
  GByteArray *tu;               /* temporal delimiter + sized OBUs */
  gboolean tu_broken;           /* discard until the unit ends */
  gboolean tu_has_seq;
  gboolean tu_has_key_frame;
  gboolean tu_n;

  /* OBU fragment continued in the next packet (Y=1) */
  gboolean in_fragment;
  GByteArray *frag;

  /* stream state */
  gboolean reduced_still_picture;
  gboolean waiting_for_key;
  gboolean key_requested;
  guint32 last_request_ts;
  gboolean discont_pending;

  GQueue out;                   /* RrAv1TemporalUnit * */
};

static const guint8 temporal_delimiter[] = {
  (RR_AV1_OBU_TEMPORAL_DELIMITER << 3) | OBU_HAS_SIZE_FIELD, 0x00
};

RrAv1Depacketizer *
rr_av1_depacketizer_new (gboolean wait_for_keyframe)
{
  RrAv1Depacketizer *d = g_new0 (RrAv1Depacketizer, 1);

  d->wait_for_keyframe = wait_for_keyframe;
  d->tu = g_byte_array_new ();
  d->frag = g_byte_array_new ();
  g_queue_init (&d->out);
  rr_av1_depacketizer_reset (d);
  return d;
}

static void
temporal_unit_free (gpointer p)
{
  RrAv1TemporalUnit *tu = p;

  rr_av1_temporal_unit_clear (tu);
  g_free (tu);
}

void
rr_av1_depacketizer_free (RrAv1Depacketizer * d)
{
  if (d == NULL)
    return;
  g_queue_clear_full (&d->out, temporal_unit_free);
  g_byte_array_unref (d->tu);
  g_byte_array_unref (d->frag);
  g_free (d);
}

void
rr_av1_depacketizer_reset (RrAv1Depacketizer * d)
{
  g_return_if_fail (d != NULL);

  d->tu_active = FALSE;
  d->tu_broken = FALSE;
  g_byte_array_set_size (d->tu, 0);
  d->in_fragment = FALSE;
  g_byte_array_set_size (d->frag, 0);
  d->reduced_still_picture = FALSE;
  d->waiting_for_key = d->wait_for_keyframe;
  d->key_requested = FALSE;
  d->last_request_ts = 0;
  d->discont_pending = TRUE;
  g_queue_clear_full (&d->out, temporal_unit_free);
}

void
rr_av1_depacketizer_set_wait_for_keyframe (RrAv1Depacketizer * d,
    gboolean wait_for_keyframe)
{
  g_return_if_fail (d != NULL);

  d->wait_for_keyframe = wait_for_keyframe;
  if (!wait_for_keyframe)
    d->waiting_for_key = FALSE;
}

static void
request_keyframe (RrAv1Depacketizer * d, guint * flags)
{
  if (!d->key_requested ||
      (guint32) (d->tu_ts - d->last_request_ts) >= REQUEST_INTERVAL) {
    *flags |= RR_AV1_DEPAY_REQUEST_KEYFRAME;
    d->key_requested = TRUE;
    d->last_request_ts = d->tu_ts;
  }
}

static void
drop_fragment (RrAv1Depacketizer * d)
{
  d->in_fragment = FALSE;
  g_byte_array_set_size (d->frag, 0);
}

static void
start_unit (RrAv1Depacketizer * d, guint32 ts, guint64 pts)
{
  d->tu_active = TRUE;
  d->tu_ts = ts;
  d->tu_pts = pts;
  d->tu_broken = FALSE;
  d->tu_has_seq = FALSE;
  d->tu_has_key_frame = FALSE;
  d->tu_n = FALSE;
  g_byte_array_set_size (d->tu, 0);
  g_byte_array_append (d->tu, temporal_delimiter, sizeof (temporal_delimiter));
}

static void
break_unit (RrAv1Depacketizer * d)
{
  d->tu_broken = TRUE;
  drop_fragment (d);
}

static void
finish_unit (RrAv1Depacketizer * d, guint * flags)
{
  RrAv1TemporalUnit *tu;
  gboolean key;

  if (!d->tu_active)
    return;
  d->tu_active = FALSE;

  if (d->in_fragment) {
    /* the unit ended in the middle of an OBU */
    break_unit (d);
  }

  if (d->tu_broken) {
    *flags |= RR_AV1_DEPAY_DROPPED;
    if (d->wait_for_keyframe)
      d->waiting_for_key = TRUE;
    d->discont_pending = TRUE;
    request_keyframe (d, flags);
    g_byte_array_set_size (d->tu, 0);
    return;
  }

  if (d->tu->len <= sizeof (temporal_delimiter)) {
    /* nothing but the delimiter we added */
    g_byte_array_set_size (d->tu, 0);
    return;
  }

  key = d->tu_has_seq && (d->tu_has_key_frame || d->tu_n);
  if (d->waiting_for_key && !key) {
    *flags |= RR_AV1_DEPAY_DROPPED;
    d->discont_pending = TRUE;
    request_keyframe (d, flags);
    g_byte_array_set_size (d->tu, 0);
    return;
  }
  if (key) {
    d->waiting_for_key = FALSE;
    d->key_requested = FALSE;
  }

  tu = g_new0 (RrAv1TemporalUnit, 1);
  tu->size = d->tu->len;
  tu->data = g_byte_array_steal (d->tu, NULL);
  tu->rtp_timestamp = d->tu_ts;
  tu->pts = d->tu_pts;
  tu->keyframe = key;
  tu->discont = d->discont_pending;
  d->discont_pending = FALSE;
  g_queue_push_tail (&d->out, tu);
  *flags |= RR_AV1_DEPAY_TU_READY;
}

/* Appends one complete OBU received without (or with) a size field to the
 * unit, in obu-stream form. Returns FALSE if the OBU is invalid. */
static gboolean
append_obu (RrAv1Depacketizer * d, const guint8 * data, gsize size)
{
  Obu obu;
  guint8 head[2 + RR_AV1_LEB128_MAX_BYTES];
  guint head_len;

  if (size == 0)
    return TRUE;                /* empty element: nothing to do */
  if (!obu_parse (data, size, &obu))
    return FALSE;

  switch (obu.hdr.type) {
    case RR_AV1_OBU_TEMPORAL_DELIMITER:
    case RR_AV1_OBU_TILE_LIST:
      /* must be ignored by receivers; we add our own delimiter */
      return TRUE;
    case RR_AV1_OBU_SEQUENCE_HEADER:
      d->tu_has_seq = TRUE;
      d->reduced_still_picture = seq_header_reduced_still_picture (&obu);
      break;
    case RR_AV1_OBU_FRAME_HEADER:
    case RR_AV1_OBU_FRAME:
      if (frame_header_is_key (&obu, d->reduced_still_picture))
        d->tu_has_key_frame = TRUE;
      break;
    default:
      break;
  }

  if (obu.payload_size > G_MAXUINT32 ||
      d->tu->len + obu.payload_size + sizeof (head) > RR_AV1_MAX_TU_SIZE)
    return FALSE;

  head[0] = data[0] | OBU_HAS_SIZE_FIELD;
  head_len = 1;
  if (obu.hdr.has_extension)
    head[head_len++] = data[1];
  head_len += rr_av1_leb128_write ((guint32) obu.payload_size,
      head + head_len, sizeof (head) - head_len);

  g_byte_array_append (d->tu, head, head_len);
  g_byte_array_append (d->tu, obu.payload, obu.payload_size);
  return TRUE;
}

static gboolean
append_fragment (RrAv1Depacketizer * d, const guint8 * data, gsize size)
{
  if (d->frag->len + size > RR_AV1_MAX_TU_SIZE)
    return FALSE;
  g_byte_array_append (d->frag, data, size);
  return TRUE;
}

/* Returns FALSE if the payload is malformed. */
static gboolean
parse_elements (RrAv1Depacketizer * d, const RrAv1AggregationHeader * ah,
    const guint8 * data, gsize size)
{
  gsize pos = 1;
  guint count = 0;

  if (ah->z != d->in_fragment)
    return FALSE;               /* orphan continuation or lost fragment end */

  while (pos < size) {
    guint32 len32;
    gsize len;
    gboolean first, last;

    count++;
    if (ah->w != 0 && count > ah->w)
      return FALSE;

    if (ah->w == 0 || count < ah->w) {
      guint n = rr_av1_leb128_read (data + pos, size - pos, &len32);

      if (n == 0)
        return FALSE;
      pos += n;
      if (len32 > size - pos)
        return FALSE;
      len = len32;
    } else {
      len = size - pos;
    }

    first = (count == 1);
    last = (pos + len == size);

    if (first && ah->z) {
      if (!append_fragment (d, data + pos, len))
        return FALSE;
      if (!(last && ah->y)) {
        gboolean ok = append_obu (d, d->frag->data, d->frag->len);

        drop_fragment (d);
        if (!ok)
          return FALSE;
      }
    } else if (last && ah->y) {
      g_byte_array_set_size (d->frag, 0);
      if (!append_fragment (d, data + pos, len))
        return FALSE;
      d->in_fragment = TRUE;
    } else if (!append_obu (d, data + pos, len)) {
      return FALSE;
    }
    pos += len;
  }

  if (ah->w != 0 && count != ah->w)
    return FALSE;

  if (count == 0) {
    /* aggregation header only */
    if (ah->z && !ah->y) {
      gboolean ok = append_obu (d, d->frag->data, d->frag->len);

      drop_fragment (d);
      return ok;
    }
    if (!ah->z && ah->y)
      return FALSE;
  }
  return TRUE;
}

/* After a gap, a packet may only start a clean unit when it cannot be the
 * continuation of something lost: N bit, or a sequence header first. */
static gboolean
is_clean_start (const RrAv1AggregationHeader * ah, const guint8 * data,
    gsize size)
{
  RrAv1ObuHeader hdr;
  guint32 len;
  gsize pos = 1;

  if (ah->z)
    return FALSE;
  if (ah->n)
    return TRUE;
  if (ah->w != 1) {
    guint n = rr_av1_leb128_read (data + pos, size - pos, &len);

    if (n == 0)
      return FALSE;
    pos += n;
  }
  return rr_av1_obu_header_parse (data + pos, size - pos, &hdr) &&
      hdr.type == RR_AV1_OBU_SEQUENCE_HEADER;
}

guint
rr_av1_depacketizer_push (RrAv1Depacketizer * d, const guint8 * payload,
    gsize size, guint32 rtp_timestamp, gboolean marker, gboolean discont,
    guint64 pts)
{
  RrAv1AggregationHeader ah = { 0, };
  guint flags = 0;
  gboolean valid = (payload != NULL && size >= 1);

  g_return_val_if_fail (d != NULL, 0);

  if (valid)
    rr_av1_aggregation_header_parse (payload[0], &ah);

  /* Lost packets may belong to the unit still waiting for its marker. */
  if (discont && d->tu_active)
    break_unit (d);

  /* A new timestamp ends the previous unit even without its marker. */
  if (d->tu_active && rtp_timestamp != d->tu_ts)
    finish_unit (d, &flags);

  if (discont && d->wait_for_keyframe)
    d->waiting_for_key = TRUE;

  if (!d->tu_active) {
    start_unit (d, rtp_timestamp, pts);
    /* ... or be the start of this one */
    if (discont && !(valid && is_clean_start (&ah, payload, size)))
      break_unit (d);
  }

  if (!valid) {
    break_unit (d);
  } else if (!d->tu_broken) {
    if (ah.n)
      d->tu_n = TRUE;
    if (!parse_elements (d, &ah, payload, size))
      break_unit (d);
  }

  if (marker)
    finish_unit (d, &flags);

  if (!g_queue_is_empty (&d->out))
    flags |= RR_AV1_DEPAY_TU_READY;
  return flags;
}

guint
rr_av1_depacketizer_drain (RrAv1Depacketizer * d)
{
  guint flags = 0;

  g_return_val_if_fail (d != NULL, 0);

  finish_unit (d, &flags);
  if (!g_queue_is_empty (&d->out))
    flags |= RR_AV1_DEPAY_TU_READY;
  return flags;
}

gboolean
rr_av1_depacketizer_pop (RrAv1Depacketizer * d, RrAv1TemporalUnit * tu)
{
  RrAv1TemporalUnit *head;

  g_return_val_if_fail (d != NULL, FALSE);
  g_return_val_if_fail (tu != NULL, FALSE);

  head = g_queue_pop_head (&d->out);
  if (head == NULL)
    return FALSE;
  *tu = *head;
  g_free (head);
  return TRUE;
}

void
rr_av1_temporal_unit_clear (RrAv1TemporalUnit * tu)
{
  if (tu == NULL)
    return;
  g_clear_pointer (&tu->data, g_free);
  tu->size = 0;
}

/* ------------------------------------------------------------------------ */
/* Packetizer */

/* One element slice of the packet being built: bytes [offset, offset+len)
 * of the wire form of OBU @obu (header without size field, payload). */
typedef struct
{
  guint obu;
  gsize offset;
  gsize len;
} Slice;

typedef struct
{
  const Obu *obus;
  gsize max_payload;
  GPtrArray *packets;
  GArray *slices;               /* Slice */
  gsize size;                   /* bytes used with a length on every slice */
  gboolean z;
  gboolean n;
  gboolean have_ext;
  guint8 tid, sid;
} Packer;

static gsize
wire_size (const Obu * obu)
{
  return obu->hdr.header_size + obu->payload_size;
}

/* Copies bytes [offset, offset+len) of the wire form of @obu to @out. */
static void
wire_copy (const Obu * obu, gsize offset, gsize len, guint8 * out)
{
  while (len > 0) {
    if (offset == 0) {
      *out = obu->data[0] & ~OBU_HAS_SIZE_FIELD;
      out++, offset++, len--;
    } else if (offset < obu->hdr.header_size) {
      *out = obu->data[offset];
      out++, offset++, len--;
    } else {
      memcpy (out, obu->payload + (offset - obu->hdr.header_size), len);
      len = 0;
    }
  }
}

static void
packer_flush (Packer * p, gboolean y)
{
  RrAv1AggregationHeader ah = { 0, };
  guint8 *buf, *o;
  guint i, count = p->slices->len;

  if (count == 0)
    return;

  ah.z = p->z;
  ah.y = y;
  ah.w = count <= 3 ? count : 0;
  ah.n = p->n;

  buf = g_malloc (p->size);
  o = buf;
  *o++ = rr_av1_aggregation_header_pack (&ah);
  for (i = 0; i < count; i++) {
    const Slice *s = &g_array_index (p->slices, Slice, i);

    if (ah.w == 0 || i + 1 < count)
      o += rr_av1_leb128_write ((guint32) s->len, o, buf + p->size - o);
    wire_copy (&p->obus[s->obu], s->offset, s->len, o);
    o += s->len;
  }
  g_ptr_array_add (p->packets, g_bytes_new_take (buf, o - buf));

  g_array_set_size (p->slices, 0);
  p->size = 1;
  p->z = y;
  p->n = FALSE;
  p->have_ext = FALSE;
}

static void
packer_add (Packer * p, guint obu, gsize offset, gsize len)
{
  Slice s = { obu, offset, len };

  g_array_append_val (p->slices, s);
  p->size += rr_av1_leb128_size ((guint32) len) + len;
}

gboolean
rr_av1_packetize (const guint8 * tu, gsize size, gsize max_payload,
    GPtrArray * packets, gboolean * keyframe)
{
  GArray *obus;
  Packer p = { 0, };
  gsize pos = 0;
  gboolean has_seq = FALSE, has_key = FALSE, reduced = FALSE;
  gboolean first_is_seq = FALSE, ret = FALSE;
  guint i;

  g_return_val_if_fail (packets != NULL, FALSE);

  if (keyframe)
    *keyframe = FALSE;
  if (tu == NULL || size > G_MAXUINT32 || max_payload < 3 ||
      max_payload > G_MAXUINT32)
    return FALSE;

  /* 1. parse and validate the whole unit first */
  obus = g_array_new (FALSE, FALSE, sizeof (Obu));
  while (pos < size) {
    Obu obu;

    if (!obu_parse (tu + pos, size - pos, &obu))
      goto out;
    pos += obu.total_size;

    if (obu_is_dropped_on_the_wire (obu.hdr.type))
      continue;
    if (obus->len == 0)
      first_is_seq = obu.hdr.type == RR_AV1_OBU_SEQUENCE_HEADER;
    if (obu.hdr.type == RR_AV1_OBU_SEQUENCE_HEADER) {
      has_seq = TRUE;
      reduced = seq_header_reduced_still_picture (&obu);
    } else if (obu.hdr.type == RR_AV1_OBU_FRAME_HEADER ||
        obu.hdr.type == RR_AV1_OBU_FRAME) {
      if (frame_header_is_key (&obu, reduced))
        has_key = TRUE;
    }
    g_array_append_val (obus, obu);
  }
  if (keyframe)
    *keyframe = has_seq && has_key;

  /* 2. greedy packing */
  p.obus = (const Obu *) obus->data;
  p.max_payload = max_payload;
  p.packets = packets;
  p.slices = g_array_new (FALSE, FALSE, sizeof (Slice));
  p.size = 1;
  p.n = has_seq && has_key && first_is_seq;

  for (i = 0; i < obus->len; i++) {
    const Obu *obu = &p.obus[i];
    gsize total = wire_size (obu), offset = 0;

    /* OBUs of different layers do not share a packet */
    if (obu->hdr.has_extension) {
      if (p.have_ext && (p.tid != obu->hdr.temporal_id ||
              p.sid != obu->hdr.spatial_id))
        packer_flush (&p, FALSE);
      p.have_ext = TRUE;
      p.tid = obu->hdr.temporal_id;
      p.sid = obu->hdr.spatial_id;
    }

    while (offset < total) {
      gsize rest = total - offset;
      gsize avail = max_payload - p.size;
      gsize frag;

      if (rr_av1_leb128_size ((guint32) rest) + rest <= avail) {
        packer_add (&p, i, offset, rest);
        break;
      }
      if (avail < 2) {
        packer_flush (&p, FALSE);
        continue;
      }
      frag = avail - 1;
      while (rr_av1_leb128_size ((guint32) frag) + frag > avail)
        frag--;
      packer_add (&p, i, offset, frag);
      offset += frag;
      packer_flush (&p, TRUE);
      if (obu->hdr.has_extension) {
        p.have_ext = TRUE;
        p.tid = obu->hdr.temporal_id;
        p.sid = obu->hdr.spatial_id;
      }
    }
  }
  packer_flush (&p, FALSE);
  g_array_unref (p.slices);
  ret = TRUE;

out:
  g_array_unref (obus);
  return ret;
}
