/* Unit tests for the AV1 RTP payload format core (gst/core/av1rtp.c). */
#include "av1rtp.h"

#include <string.h>

/* OBU headers with obu_has_size_field, as in an obu-stream */
#define HDR_SEQ 0x0a            /* type 1 */
#define HDR_TD 0x12             /* type 2 */
#define HDR_FRAME 0x32          /* type 6 */
#define HDR_TILE_LIST 0x42      /* type 8 */

/* first payload byte of a frame OBU: show_existing_frame=0, frame_type,
 * show_frame=1 */
#define FRAME_KEY 0x10
#define FRAME_INTER 0x30

/* ------------------------------------------------------------------------ */
/* helpers */

/* Appends an OBU in obu-stream form (with size field). */
static void
add_obu (GByteArray * a, guint8 hdr, const guint8 * payload, gsize len)
{
  guint8 leb[8];
  guint n = rr_av1_leb128_write ((guint32) len, leb, sizeof (leb));

  g_byte_array_append (a, &hdr, 1);
  g_byte_array_append (a, leb, n);
  if (len)
    g_byte_array_append (a, payload, len);
}

static guint8 *
pattern (gsize len, guint8 first, guint8 seed)
{
  guint8 *p = g_malloc (MAX (len, 1));
  gsize i;

  for (i = 0; i < len; i++)
    p[i] = (guint8) (seed + i * 7);
  if (len)
    p[0] = first;
  return p;
}

/* A temporal unit in obu-stream form: TD [+ seq header] + frame. */
static GByteArray *
make_tu (gboolean key, gsize frame_len)
{
  GByteArray *a = g_byte_array_new ();
  guint8 *frame = pattern (frame_len, key ? FRAME_KEY : FRAME_INTER, 3);
  static const guint8 seq[] = { 0x00, 0x00, 0x00, 0x02, 0xaf, 0xff, 0x9f };

  add_obu (a, HDR_TD, NULL, 0);
  if (key)
    add_obu (a, HDR_SEQ, seq, sizeof (seq));
  add_obu (a, HDR_FRAME, frame, frame_len);
  g_free (frame);
  return a;
}

/* Appends an OBU element as sent on the wire (no size field). */
static void
add_wire_obu (GByteArray * a, guint8 hdr, const guint8 * payload, gsize len)
{
  guint8 h = hdr & ~0x02;

  g_byte_array_append (a, &h, 1);
  if (len)
    g_byte_array_append (a, payload, len);
}

static void
add_leb (GByteArray * a, guint32 v)
{
  guint8 leb[8];
  guint n = rr_av1_leb128_write (v, leb, sizeof (leb));

  g_byte_array_append (a, leb, n);
}

static guint
push (RrAv1Depacketizer * d, GByteArray * p, guint32 ts, gboolean marker,
    gboolean discont)
{
  return rr_av1_depacketizer_push (d, p->data, p->len, ts, marker, discont, ts);
}

static void
assert_no_tu (RrAv1Depacketizer * d)
{
  RrAv1TemporalUnit tu;

  g_assert_false (rr_av1_depacketizer_pop (d, &tu));
}

static void
assert_tu_equals (RrAv1Depacketizer * d, GByteArray * expected,
    gboolean keyframe)
{
  RrAv1TemporalUnit tu = { 0, };

  g_assert_true (rr_av1_depacketizer_pop (d, &tu));
  g_assert_cmpmem (tu.data, tu.size, expected->data, expected->len);
  g_assert_cmpint (tu.keyframe, ==, keyframe);
  rr_av1_temporal_unit_clear (&tu);
}

/* Packetizes @tu and feeds the packets to @d. Returns number of packets. */
static guint
feed_packetized (RrAv1Depacketizer * d, GByteArray * tu, gsize mtu,
    guint32 ts, gboolean drop_second)
{
  GPtrArray *packets = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  guint i, n;
  gboolean lost = FALSE;

  g_assert_true (rr_av1_packetize (tu->data, tu->len, mtu, packets, NULL));
  for (i = 0; i < packets->len; i++) {
    gsize len;
    const guint8 *data = g_bytes_get_data (packets->pdata[i], &len);

    if (drop_second && i == 1) {
      lost = TRUE;
      continue;
    }
    rr_av1_depacketizer_push (d, data, len, ts, i + 1 == packets->len, lost,
        ts);
    lost = FALSE;
  }
  n = packets->len;
  g_ptr_array_unref (packets);
  return n;
}

/* ------------------------------------------------------------------------ */
/* LEB128 */

static void
test_leb128_read (void)
{
  guint32 v = 12345;
  static const guint8 zero[] = { 0x00 };
  static const guint8 v127[] = { 0x7f };
  static const guint8 v128[] = { 0x80, 0x01 };
  static const guint8 max[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
  static const guint8 too_big[] = { 0xff, 0xff, 0xff, 0xff, 0x1f };
  static const guint8 padded[] = { 0x85, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x00
  };
  static const guint8 nine[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x00
  };
  static const guint8 truncated[] = { 0x80, 0x80 };

  g_assert_cmpuint (rr_av1_leb128_read (zero, 1, &v), ==, 1);
  g_assert_cmpuint (v, ==, 0);
  g_assert_cmpuint (rr_av1_leb128_read (v127, 1, &v), ==, 1);
  g_assert_cmpuint (v, ==, 127);
  g_assert_cmpuint (rr_av1_leb128_read (v128, 2, &v), ==, 2);
  g_assert_cmpuint (v, ==, 128);
  g_assert_cmpuint (rr_av1_leb128_read (max, 5, &v), ==, 5);
  g_assert_cmpuint (v, ==, G_MAXUINT32);
  /* a non-minimal (padded) encoding of up to 8 bytes is valid */
  g_assert_cmpuint (rr_av1_leb128_read (padded, 8, &v), ==, 8);
  g_assert_cmpuint (v, ==, 5);

  g_assert_cmpuint (rr_av1_leb128_read (too_big, 5, &v), ==, 0);
  g_assert_cmpuint (rr_av1_leb128_read (nine, 9, &v), ==, 0);
  g_assert_cmpuint (rr_av1_leb128_read (truncated, 2, &v), ==, 0);
  g_assert_cmpuint (rr_av1_leb128_read (v128, 1, &v), ==, 0);
  g_assert_cmpuint (rr_av1_leb128_read (zero, 0, &v), ==, 0);
  g_assert_cmpuint (rr_av1_leb128_read (NULL, 4, &v), ==, 0);
  /* trailing bytes are not consumed */
  g_assert_cmpuint (rr_av1_leb128_read (max, 5, NULL), ==, 5);
}

static void
test_leb128_write (void)
{
  static const guint32 values[] = { 0, 1, 127, 128, 16383, 16384, 2097151,
    2097152, 268435455, 268435456, G_MAXUINT32
  };
  static const guint sizes[] = { 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5 };
  guint8 buf[8];
  guint i;

  for (i = 0; i < G_N_ELEMENTS (values); i++) {
    guint32 back = 0;
    guint n;

    g_assert_cmpuint (rr_av1_leb128_size (values[i]), ==, sizes[i]);
    n = rr_av1_leb128_write (values[i], buf, sizeof (buf));
    g_assert_cmpuint (n, ==, sizes[i]);
    g_assert_cmpuint (rr_av1_leb128_read (buf, n, &back), ==, n);
    g_assert_cmpuint (back, ==, values[i]);
    /* too small output buffer */
    g_assert_cmpuint (rr_av1_leb128_write (values[i], buf, n - 1), ==, 0);
  }
  g_assert_cmpuint (rr_av1_leb128_write (300, buf, 2), ==, 2);
  g_assert_cmpuint (buf[0], ==, 0xac);
  g_assert_cmpuint (buf[1], ==, 0x02);
}

/* ------------------------------------------------------------------------ */
/* headers */

static void
test_aggregation_header (void)
{
  RrAv1AggregationHeader h;
  guint b;

  rr_av1_aggregation_header_parse (0x80, &h);
  g_assert_true (h.z && !h.y && h.w == 0 && !h.n);
  rr_av1_aggregation_header_parse (0x40, &h);
  g_assert_true (!h.z && h.y && h.w == 0 && !h.n);
  rr_av1_aggregation_header_parse (0x30, &h);
  g_assert_true (!h.z && !h.y && h.w == 3 && !h.n);
  rr_av1_aggregation_header_parse (0x18, &h);
  g_assert_true (!h.z && !h.y && h.w == 1 && h.n);
  /* reserved bits are ignored */
  rr_av1_aggregation_header_parse (0x27, &h);
  g_assert_true (!h.z && !h.y && h.w == 2 && !h.n);

  for (b = 0; b < 256; b++) {
    rr_av1_aggregation_header_parse (b, &h);
    g_assert_cmpuint (rr_av1_aggregation_header_pack (&h), ==, b & 0xf8);
  }
}

static void
test_obu_header (void)
{
  RrAv1ObuHeader h;
  static const guint8 seq[] = { 0x0a };
  static const guint8 ext[] = { 0x34, 0x48 };   /* frame OBU, ext tid 2 sid 1 */
  static const guint8 forbidden[] = { 0x8a };

  g_assert_true (rr_av1_obu_header_parse (seq, 1, &h));
  g_assert_cmpuint (h.type, ==, RR_AV1_OBU_SEQUENCE_HEADER);
  g_assert_true (h.has_size_field);
  g_assert_false (h.has_extension);
  g_assert_cmpuint (h.header_size, ==, 1);

  g_assert_true (rr_av1_obu_header_parse (ext, 2, &h));
  g_assert_cmpuint (h.type, ==, RR_AV1_OBU_FRAME);
  g_assert_true (h.has_extension);
  g_assert_false (h.has_size_field);
  g_assert_cmpuint (h.temporal_id, ==, 2);
  g_assert_cmpuint (h.spatial_id, ==, 1);
  g_assert_cmpuint (h.header_size, ==, 2);

  g_assert_false (rr_av1_obu_header_parse (ext, 1, &h));
  g_assert_false (rr_av1_obu_header_parse (forbidden, 1, &h));
  g_assert_false (rr_av1_obu_header_parse (seq, 0, &h));
}

/* ------------------------------------------------------------------------ */
/* depacketizer */

static void
test_depay_single_packet (void)
{
  RrAv1Depacketizer *d = rr_av1_depacketizer_new (TRUE);
  GByteArray *tu = make_tu (TRUE, 20);
  GByteArray *p = g_byte_array_new ();
  static const guint8 seq[] = { 0x00, 0x00, 0x00, 0x02, 0xaf, 0xff, 0x9f };
  guint8 *frame = pattern (20, FRAME_KEY, 3);
  guint8 ah = 0x28;             /* W=2, N=1 */
  guint flags;

  g_byte_array_append (p, &ah, 1);
  add_leb (p, 1 + sizeof (seq));
  add_wire_obu (p, HDR_SEQ, seq, sizeof (seq));
  add_wire_obu (p, HDR_FRAME, frame, 20);

  flags = push (d, p, 1000, TRUE, TRUE);
  g_assert_cmpuint (flags, ==, RR_AV1_DEPAY_TU_READY);
  assert_tu_equals (d, tu, TRUE);
  assert_no_tu (d);

  g_free (frame);
  g_byte_array_unref (p);
  g_byte_array_unref (tu);
  rr_av1_depacketizer_free (d);
}

/* One frame OBU in three packets: Y=1 / Z=1,Y=1 / Z=1 */
static void
test_depay_fragments_3_packets (void)
{
  RrAv1Depacketizer *d = rr_av1_depacketizer_new (FALSE);
  GByteArray *tu = make_tu (FALSE, 30);
  guint8 *frame = pattern (30, FRAME_INTER, 3);
  GByteArray *p1 = g_byte_array_new (), *p2 = g_byte_array_new (),
      *p3 = g_byte_array_new ();
  guint8 wire[31];
  guint8 ah;

  wire[0] = HDR_FRAME & ~0x02;
  memcpy (wire + 1, frame, 30);

  ah = 0x50;                    /* Y=1, W=1 */
  g_byte_array_append (p1, &ah, 1);
  g_byte_array_append (p1, wire, 10);
  ah = 0xd0;                    /* Z=1, Y=1, W=1 */
  g_byte_array_append (p2, &ah, 1);
  g_byte_array_append (p2, wire + 10, 10);
  ah = 0x80;                    /* Z=1, W=0: with a length field */
  g_byte_array_append (p3, &ah, 1);
  add_leb (p3, 11);
  g_byte_array_append (p3, wire + 20, 11);

  g_assert_cmpuint (push (d, p1, 3000, FALSE, FALSE), ==, 0);
  g_assert_cmpuint (push (d, p2, 3000, FALSE, FALSE), ==, 0);
  g_assert_cmpuint (push (d, p3, 3000, TRUE, FALSE), ==, RR_AV1_DEPAY_TU_READY);
  assert_tu_equals (d, tu, FALSE);

  /* the same with the middle packet lost: unit dropped, key requested */
  g_assert_cmpuint (push (d, p1, 6000, FALSE, FALSE), ==, 0);
  g_assert_cmpuint (push (d, p3, 6000, TRUE, TRUE), ==,
      RR_AV1_DEPAY_DROPPED | RR_AV1_DEPAY_REQUEST_KEYFRAME);
  assert_no_tu (d);

  /* the next complete unit goes through (wait-for-keyframe off) */
  push (d, p1, 9000, FALSE, FALSE);
  push (d, p2, 9000, FALSE, FALSE);
  push (d, p3, 9000, TRUE, FALSE);
  assert_tu_equals (d, tu, FALSE);

  g_free (frame);
  g_byte_array_unref (p1);
  g_byte_array_unref (p2);
  g_byte_array_unref (p3);
  g_byte_array_unref (tu);
  rr_av1_depacketizer_free (d);
}

/* The same three OBUs with W=0 (all lengths), W=3 (last without length),
 * as three W=1 packets and as W=2 + W=1 give the same unit. */
static void
test_depay_w_variants (void)
{
  static const guint8 seq[] = { 0x00, 0x00, 0x00, 0x02, 0xaf, 0xff, 0x9f };
  static const guint8 meta[] = { 0x01, 0x02, 0x03 };
  guint8 *frame = pattern (40, FRAME_KEY, 9);
  GByteArray *expected = g_byte_array_new ();
  guint variant;

  add_obu (expected, HDR_TD, NULL, 0);
  add_obu (expected, HDR_SEQ, seq, sizeof (seq));
  add_obu (expected, 0x2a, meta, sizeof (meta));        /* metadata */
  add_obu (expected, HDR_FRAME, frame, 40);

  for (variant = 0; variant < 4; variant++) {
    RrAv1Depacketizer *d = rr_av1_depacketizer_new (TRUE);
    GByteArray *p = g_byte_array_new ();
    guint8 ah;

    switch (variant) {
      case 0:
        ah = 0x08;              /* W=0, N */
        g_byte_array_append (p, &ah, 1);
        add_leb (p, 8);
        add_wire_obu (p, HDR_SEQ, seq, sizeof (seq));
        add_leb (p, 4);
        add_wire_obu (p, 0x2a, meta, sizeof (meta));
        add_leb (p, 41);
        add_wire_obu (p, HDR_FRAME, frame, 40);
        push (d, p, 0, TRUE, FALSE);
        break;
      case 1:
        ah = 0x38;              /* W=3, N */
        g_byte_array_append (p, &ah, 1);
        add_leb (p, 8);
        add_wire_obu (p, HDR_SEQ, seq, sizeof (seq));
        add_leb (p, 4);
        add_wire_obu (p, 0x2a, meta, sizeof (meta));
        add_wire_obu (p, HDR_FRAME, frame, 40);
        push (d, p, 0, TRUE, FALSE);
        break;
      case 2:
        ah = 0x18;              /* W=1, N */
        g_byte_array_append (p, &ah, 1);
        add_wire_obu (p, HDR_SEQ, seq, sizeof (seq));
        push (d, p, 0, FALSE, FALSE);
        g_byte_array_set_size (p, 0);
        ah = 0x10;
        g_byte_array_append (p, &ah, 1);
        add_wire_obu (p, 0x2a, meta, sizeof (meta));
        push (d, p, 0, FALSE, FALSE);
        g_byte_array_set_size (p, 0);
        g_byte_array_append (p, &ah, 1);
        add_wire_obu (p, HDR_FRAME, frame, 40);
        push (d, p, 0, TRUE, FALSE);
        break;
      case 3:
        ah = 0x28;              /* W=2, N */
        g_byte_array_append (p, &ah, 1);
        add_leb (p, 8);
        add_wire_obu (p, HDR_SEQ, seq, sizeof (seq));
        add_wire_obu (p, 0x2a, meta, sizeof (meta));
        push (d, p, 0, FALSE, FALSE);
        g_byte_array_set_size (p, 0);
        ah = 0x10;
        g_byte_array_append (p, &ah, 1);
        /* with obu_has_size_field set on the wire: also accepted */
        add_obu (p, HDR_FRAME, frame, 40);
        push (d, p, 0, TRUE, FALSE);
        break;
    }
    assert_tu_equals (d, expected, TRUE);
    assert_no_tu (d);
    g_byte_array_unref (p);
    rr_av1_depacketizer_free (d);
  }

  g_free (frame);
  g_byte_array_unref (expected);
}

/* A unit is completed by a timestamp change when the marker is missing;
 * temporal delimiters and tile lists received are dropped. */
static void
test_depay_timestamp_change (void)
{
  RrAv1Depacketizer *d = rr_av1_depacketizer_new (FALSE);
  GByteArray *tu = make_tu (FALSE, 5);
  guint8 *frame = pattern (5, FRAME_INTER, 3);
  GByteArray *p = g_byte_array_new ();
  guint8 ah = 0x30;             /* W=3 */
  guint8 td = HDR_TD & ~0x02, tl[] = { HDR_TILE_LIST & ~0x02, 0x01 };

  g_byte_array_append (p, &ah, 1);
  add_leb (p, 1);
  g_byte_array_append (p, &td, 1);
  add_leb (p, 2);
  g_byte_array_append (p, tl, 2);
  add_wire_obu (p, HDR_FRAME, frame, 5);

  g_assert_cmpuint (push (d, p, 100, FALSE, FALSE), ==, 0);
  g_assert_cmpuint (push (d, p, 200, FALSE, FALSE), ==, RR_AV1_DEPAY_TU_READY);
  assert_tu_equals (d, tu, FALSE);
  g_assert_cmpuint (rr_av1_depacketizer_drain (d), ==, RR_AV1_DEPAY_TU_READY);
  assert_tu_equals (d, tu, FALSE);
  g_assert_cmpuint (rr_av1_depacketizer_drain (d), ==, 0);

  g_free (frame);
  g_byte_array_unref (p);
  g_byte_array_unref (tu);
  rr_av1_depacketizer_free (d);
}

typedef struct
{
  const gchar *name;
  guint8 bytes[16];
  gsize len;
} BadPacket;

static void
test_depay_garbage (void)
{
  static const BadPacket bad[] = {
    {"empty", {0}, 0},
    {"W=2 but one element", {0x20, 0x02, 0x30, 0x10}, 4},
    {"W=0 length past end", {0x00, 0x09, 0x30, 0x10}, 4},
    {"W=0 unterminated leb128", {0x00, 0x80, 0x80}, 3},
    {"W=0 leb128 > 32 bits", {0x00, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x30}, 7},
    {"Z=1 without fragment", {0x90, 0x30, 0x10}, 3},
    {"forbidden bit", {0x10, 0xb0, 0x10}, 3},
    {"extension flag, 1 byte", {0x10, 0x34}, 2},
    {"size field past end", {0x10, 0x32, 0x05, 0x10}, 4},
    {"size field unterminated", {0x10, 0x32, 0x85}, 3},
    {"Y=1 without element", {0x40}, 1},
    {"W=2, one zero-length element", {0x20, 0x00}, 2},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    RrAv1Depacketizer *d = rr_av1_depacketizer_new (FALSE);
    guint flags;

    g_test_message ("bad packet: %s", bad[i].name);
    flags = rr_av1_depacketizer_push (d, bad[i].len ? bad[i].bytes : NULL,
        bad[i].len, 0, TRUE, FALSE, 0);
    g_assert_cmpuint (flags & RR_AV1_DEPAY_DROPPED, !=, 0);
    g_assert_cmpuint (flags & RR_AV1_DEPAY_TU_READY, ==, 0);
    assert_no_tu (d);
    rr_av1_depacketizer_free (d);
  }
}

/* A fragment left open by Y=1 is dropped with its unit when the timestamp
 * changes or a packet without Z arrives. */
static void
test_depay_open_fragment (void)
{
  RrAv1Depacketizer *d = rr_av1_depacketizer_new (FALSE);
  GByteArray *p = g_byte_array_new ();
  GByteArray *tu = make_tu (FALSE, 3);
  guint8 start[] = { 0x50, 0x30, 0x10, 0x11 };  /* Y=1 W=1 */
  guint8 whole[] = { 0x10, 0x30, FRAME_INTER, 0x0a, 0x11 };     /* W=1 */

  g_byte_array_append (p, start, sizeof (start));
  g_assert_cmpuint (push (d, p, 0, FALSE, FALSE), ==, 0);
  g_byte_array_set_size (p, 0);
  g_byte_array_append (p, whole, sizeof (whole));
  /* same unit, no Z: the fragment lost its end */
  g_assert_cmpuint (push (d, p, 0, TRUE, FALSE) & RR_AV1_DEPAY_DROPPED, !=, 0);
  assert_no_tu (d);

  g_byte_array_set_size (p, 0);
  g_byte_array_append (p, start, sizeof (start));
  push (d, p, 10, FALSE, FALSE);
  g_byte_array_set_size (p, 0);
  g_byte_array_append (p, whole, sizeof (whole));
  /* new timestamp: previous unit ends inside an OBU -> dropped */
  g_assert_cmpuint (push (d, p, 20, TRUE, FALSE), ==,
      RR_AV1_DEPAY_DROPPED | RR_AV1_DEPAY_TU_READY);
  /* make_tu (FALSE, 3) has frame bytes FRAME_INTER, 0x0a, 0x11 */
  assert_tu_equals (d, tu, FALSE);

  g_byte_array_unref (p);
  g_byte_array_unref (tu);
  rr_av1_depacketizer_free (d);
}

/* wait-for-keyframe: deltas before the first key frame and after a loss are
 * dropped, with rate-limited key frame requests. */
static void
test_depay_wait_for_keyframe (void)
{
  RrAv1Depacketizer *d = rr_av1_depacketizer_new (TRUE);
  GByteArray *key = make_tu (TRUE, 100), *delta = make_tu (FALSE, 100);
  RrAv1TemporalUnit out;
  guint32 ts = 0;
  guint i, requests = 0;

  /* 3 deltas: dropped, one request */
  for (i = 0; i < 3; i++) {
    GPtrArray *packets = g_ptr_array_new_with_free_func ((GDestroyNotify)
        g_bytes_unref);
    gsize len;
    const guint8 *data;
    guint flags;

    g_assert_true (rr_av1_packetize (delta->data, delta->len, 1200, packets,
            NULL));
    g_assert_cmpuint (packets->len, ==, 1);
    data = g_bytes_get_data (packets->pdata[0], &len);
    flags = rr_av1_depacketizer_push (d, data, len, ts, TRUE, FALSE, 0);
    g_assert_cmpuint (flags & RR_AV1_DEPAY_DROPPED, !=, 0);
    if (flags & RR_AV1_DEPAY_REQUEST_KEYFRAME)
      requests++;
    ts += 3000;
    g_ptr_array_unref (packets);
  }
  g_assert_cmpuint (requests, ==, 1);
  assert_no_tu (d);

  feed_packetized (d, key, 1200, ts, FALSE);
  ts += 3000;
  assert_tu_equals (d, key, TRUE);
  feed_packetized (d, delta, 1200, ts, FALSE);
  ts += 3000;
  assert_tu_equals (d, delta, FALSE);

  /* a loss inside a fragmented delta: dropped until the next key frame */
  g_assert_cmpuint (feed_packetized (d, delta, 40, ts, TRUE), >, 2);
  ts += 3000;
  assert_no_tu (d);
  feed_packetized (d, delta, 40, ts, FALSE);
  ts += 3000;
  assert_no_tu (d);
  feed_packetized (d, key, 40, ts, FALSE);
  ts += 3000;
  g_assert_true (rr_av1_depacketizer_pop (d, &out));
  g_assert_true (out.keyframe);
  g_assert_true (out.discont);
  rr_av1_temporal_unit_clear (&out);

  g_byte_array_unref (key);
  g_byte_array_unref (delta);
  rr_av1_depacketizer_free (d);
}

/* ------------------------------------------------------------------------ */
/* packetizer */

static void
check_packets (GPtrArray * packets, gsize mtu, gboolean n_first)
{
  guint i;

  for (i = 0; i < packets->len; i++) {
    gsize len;
    const guint8 *data = g_bytes_get_data (packets->pdata[i], &len);
    RrAv1AggregationHeader ah;

    g_assert_cmpuint (len, <=, mtu);
    g_assert_cmpuint (len, >=, 2);
    rr_av1_aggregation_header_parse (data[0], &ah);
    g_assert_cmpint (ah.n, ==, (i == 0 && n_first));
    if (i == 0)
      g_assert_false (ah.z);
    if (i + 1 == packets->len)
      g_assert_false (ah.y);
  }
}

static void
test_pay_roundtrip (void)
{
  static const gsize sizes[] = { 0, 1, 126, 127, 128, 129, 1000, 20000 };
  static const gsize mtus[] = { 3, 4, 5, 10, 100, 129, 130, 131, 300, 1200,
    65535
  };
  guint s, m, k;
  guint32 ts = 0;

  for (k = 0; k < 2; k++) {
    for (s = 0; s < G_N_ELEMENTS (sizes); s++) {
      GByteArray *tu = make_tu (k == 1, sizes[s]);

      for (m = 0; m < G_N_ELEMENTS (mtus); m++) {
        RrAv1Depacketizer *d = rr_av1_depacketizer_new (FALSE);
        GPtrArray *packets = g_ptr_array_new_with_free_func ((GDestroyNotify)
            g_bytes_unref);
        gboolean keyframe;
        guint i;

        g_assert_true (rr_av1_packetize (tu->data, tu->len, mtus[m], packets,
                &keyframe));
        /* an empty frame OBU has no frame_type: not a key frame */
        g_assert_cmpint (keyframe, ==, k == 1 && sizes[s] > 0);
        check_packets (packets, mtus[m], keyframe);
        for (i = 0; i < packets->len; i++) {
          gsize len;
          const guint8 *data = g_bytes_get_data (packets->pdata[i], &len);

          rr_av1_depacketizer_push (d, data, len, ts, i + 1 == packets->len,
              FALSE, 0);
        }
        ts += 3000;
        assert_tu_equals (d, tu, keyframe);
        g_ptr_array_unref (packets);
        rr_av1_depacketizer_free (d);
      }
      g_byte_array_unref (tu);
    }
  }
}

static void
test_pay_aggregation (void)
{
  GByteArray *tu = make_tu (TRUE, 10);
  GPtrArray *packets = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  const guint8 *data;
  gsize len;

  /* seq header + frame fit one packet: W=2, N=1, first has a length */
  g_assert_true (rr_av1_packetize (tu->data, tu->len, 1200, packets, NULL));
  g_assert_cmpuint (packets->len, ==, 1);
  data = g_bytes_get_data (packets->pdata[0], &len);
  g_assert_cmpuint (data[0], ==, 0x28);
  g_assert_cmpuint (data[1], ==, 8);
  g_assert_cmpuint (data[2], ==, HDR_SEQ & ~0x02);
  g_assert_cmpuint (data[10], ==, HDR_FRAME & ~0x02);
  g_assert_cmpuint (len, ==, 1 + 1 + 8 + 11);
  g_ptr_array_unref (packets);
  g_byte_array_unref (tu);
}

static void
test_pay_malformed (void)
{
  GPtrArray *packets = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  static const guint8 past_end[] = { 0x32, 0x10, 0x00 };
  static const guint8 forbidden[] = { 0x12, 0x00, 0xb2, 0x00 };
  static const guint8 unterminated[] = { 0x32, 0xff };
  static const guint8 only_td[] = { 0x12, 0x00 };
  static const guint8 no_size[] = { 0x12, 0x00, 0x30, FRAME_INTER, 1, 2 };

  g_assert_false (rr_av1_packetize (past_end, sizeof (past_end), 100,
          packets, NULL));
  g_assert_false (rr_av1_packetize (forbidden, sizeof (forbidden), 100,
          packets, NULL));
  g_assert_false (rr_av1_packetize (unterminated, sizeof (unterminated), 100,
          packets, NULL));
  g_assert_false (rr_av1_packetize (only_td, sizeof (only_td), 2, packets,
          NULL));
  g_assert_cmpuint (packets->len, ==, 0);
  g_assert_true (rr_av1_packetize (only_td, sizeof (only_td), 100, packets,
          NULL));
  g_assert_cmpuint (packets->len, ==, 0);
  /* last OBU without size field takes the rest */
  g_assert_true (rr_av1_packetize (no_size, sizeof (no_size), 100, packets,
          NULL));
  g_assert_cmpuint (packets->len, ==, 1);
  g_ptr_array_unref (packets);
}

/* ------------------------------------------------------------------------ */

static void
test_depay_random_garbage (void)
{
  GRand *r = g_rand_new_with_seed (42);
  RrAv1Depacketizer *d = rr_av1_depacketizer_new (FALSE);
  guint8 buf[64];
  guint i, j;

  for (i = 0; i < 200000; i++) {
    guint len = g_rand_int_range (r, 0, sizeof (buf));
    guint32 bits = g_rand_int (r);
    RrAv1TemporalUnit tu;

    for (j = 0; j < len; j++)
      buf[j] = g_rand_int (r);
    rr_av1_depacketizer_push (d, buf, len, (bits >> 8) & 3, bits & 1,
        (bits & 0xf0) == 0, 0);
    while (rr_av1_depacketizer_pop (d, &tu))
      rr_av1_temporal_unit_clear (&tu);
  }
  rr_av1_depacketizer_free (d);
  g_rand_free (r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/av1rtp/leb128/read", test_leb128_read);
  g_test_add_func ("/av1rtp/leb128/write", test_leb128_write);
  g_test_add_func ("/av1rtp/header/aggregation", test_aggregation_header);
  g_test_add_func ("/av1rtp/header/obu", test_obu_header);
  g_test_add_func ("/av1rtp/depay/single-packet", test_depay_single_packet);
  g_test_add_func ("/av1rtp/depay/fragments-3-packets",
      test_depay_fragments_3_packets);
  g_test_add_func ("/av1rtp/depay/w-variants", test_depay_w_variants);
  g_test_add_func ("/av1rtp/depay/timestamp-change",
      test_depay_timestamp_change);
  g_test_add_func ("/av1rtp/depay/garbage", test_depay_garbage);
  g_test_add_func ("/av1rtp/depay/open-fragment", test_depay_open_fragment);
  g_test_add_func ("/av1rtp/depay/wait-for-keyframe",
      test_depay_wait_for_keyframe);
  g_test_add_func ("/av1rtp/depay/random-garbage", test_depay_random_garbage);
  g_test_add_func ("/av1rtp/pay/roundtrip", test_pay_roundtrip);
  g_test_add_func ("/av1rtp/pay/aggregation", test_pay_aggregation);
  g_test_add_func ("/av1rtp/pay/malformed", test_pay_malformed);

  return g_test_run ();
}
