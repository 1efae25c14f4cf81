/* roomrec — unit tests of core/fmp4shift.c
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fmp4shift.h"

#include <string.h>

/* Builds boxes into a GByteArray: box_open () returns the offset of the
 * size field that box_close () fills in. */
static gsize
box_open (GByteArray * b, const gchar * type)
{
  gsize at = b->len;

  g_byte_array_append (b, (const guint8 *) "\0\0\0\0", 4);
  g_byte_array_append (b, (const guint8 *) type, 4);
  return at;
}

static void
box_close (GByteArray * b, gsize at)
{
  guint32 size = GUINT32_TO_BE ((guint32) (b->len - at));

  memcpy (b->data + at, &size, 4);
}

static void
put32 (GByteArray * b, guint32 v)
{
  guint32 be = GUINT32_TO_BE (v);

  g_byte_array_append (b, (const guint8 *) &be, 4);
}

static void
put64 (GByteArray * b, guint64 v)
{
  put32 (b, (guint32) (v >> 32));
  put32 (b, (guint32) v);
}

static void
add_trak (GByteArray * b, guint32 id, const gchar * handler, guint32 scale,
    gboolean v1)
{
  gsize trak = box_open (b, "trak"), box, mdia;

  box = box_open (b, "tkhd");
  put32 (b, v1 ? 0x01000007 : 7);
  if (v1) {
    put64 (b, 1);
    put64 (b, 2);
  } else {
    put32 (b, 1);
    put32 (b, 2);
  }
  put32 (b, id);
  box_close (b, box);
  mdia = box_open (b, "mdia");
  box = box_open (b, "mdhd");
  put32 (b, v1 ? 0x01000000 : 0);
  if (v1) {
    put64 (b, 1);
    put64 (b, 2);
  } else {
    put32 (b, 1);
    put32 (b, 2);
  }
  put32 (b, scale);
  put32 (b, 0);
  box_close (b, box);
  box = box_open (b, "hdlr");
  put32 (b, 0);
  put32 (b, 0);
  g_byte_array_append (b, (const guint8 *) handler, 4);
  put32 (b, 0);
  box_close (b, box);
  box_close (b, mdia);
  box_close (b, trak);
}

/* ftyp + moov with an audio track 1 (48 kHz) and a video track 2 (90 kHz) */
static GByteArray *
make_moov (gboolean v1)
{
  GByteArray *b = g_byte_array_new ();
  gsize box = box_open (b, "ftyp"), moov;

  g_byte_array_append (b, (const guint8 *) "iso6", 4);
  box_close (b, box);
  moov = box_open (b, "moov");
  box = box_open (b, "mvhd");
  put32 (b, 0);
  box_close (b, box);
  add_trak (b, 1, "soun", 48000, v1);
  add_trak (b, 2, "vide", 90000, FALSE);
  box_close (b, moov);
  return b;
}

/* moof with one traf of @track whose tfdt is @tfdt (version @version);
 * *@tfdt_at is the offset of the tfdt's value */
static GByteArray *
make_moof (guint32 track, guint version, guint64 tfdt, gsize * tfdt_at)
{
  GByteArray *b = g_byte_array_new ();
  gsize moof = box_open (b, "moof"), traf, box;

  box = box_open (b, "mfhd");
  put32 (b, 0);
  put32 (b, 1);
  box_close (b, box);
  traf = box_open (b, "traf");
  box = box_open (b, "tfhd");
  put32 (b, 0x020000);
  put32 (b, track);
  box_close (b, box);
  box = box_open (b, "tfdt");
  put32 (b, version << 24);
  *tfdt_at = b->len;
  if (version == 1)
    put64 (b, tfdt);
  else
    put32 (b, (guint32) tfdt);
  box_close (b, box);
  box = box_open (b, "trun");
  put32 (b, 0);
  put32 (b, 0);
  box_close (b, box);
  box_close (b, traf);
  box_close (b, moof);
  return b;
}

static guint64
read_tfdt (GByteArray * b, gsize at, guint version)
{
  guint64 v = 0;

  for (guint i = 0; i < (version == 1 ? 8u : 4u); i++)
    v = (v << 8) | b->data[at + i];
  return v;
}

static void
test_shift (void)
{
  RrFmp4Shift *s = rr_fmp4_shift_new ();
  GByteArray *moov = make_moov (FALSE), *moof;
  gboolean saw_moov = FALSE;
  gsize at;

  g_assert_cmpuint (rr_fmp4_shift_process (s, moov->data, moov->len,
          &saw_moov), ==, 0);
  g_assert_true (saw_moov);
  /* video 0.5 s late: 45000 ticks at 90 kHz; audio not late */
  rr_fmp4_shift_set_delay (s, RR_FMP4_HANDLER_VIDEO,
      (G_GUINT64_CONSTANT (1000000000) / 2));

  moof = make_moof (2, 0, 3000, &at);
  g_assert_cmpuint (rr_fmp4_shift_process (s, moof->data, moof->len,
          &saw_moov), ==, 1);
  g_assert_false (saw_moov);
  g_assert_cmpuint (read_tfdt (moof, at, 0), ==, 48000);
  g_byte_array_unref (moof);

  moof = make_moof (1, 1, 960, &at);
  g_assert_cmpuint (rr_fmp4_shift_process (s, moof->data, moof->len, NULL),
      ==, 0);
  g_assert_cmpuint (read_tfdt (moof, at, 1), ==, 960);
  g_byte_array_unref (moof);

  /* audio late by 20 ms: 960 ticks at 48 kHz, 64-bit tfdt */
  rr_fmp4_shift_set_delay (s, RR_FMP4_HANDLER_AUDIO, 20 * 1000000);
  moof = make_moof (1, 1, G_GUINT64_CONSTANT (0x100000000), &at);
  g_assert_cmpuint (rr_fmp4_shift_process (s, moof->data, moof->len, NULL),
      ==, 1);
  g_assert_cmpuint (read_tfdt (moof, at, 1), ==,
      G_GUINT64_CONSTANT (0x100000000) + 960);
  g_byte_array_unref (moof);

  /* a track the moov did not list is left alone */
  moof = make_moof (7, 0, 5, &at);
  g_assert_cmpuint (rr_fmp4_shift_process (s, moof->data, moof->len, NULL),
      ==, 0);
  g_assert_cmpuint (read_tfdt (moof, at, 0), ==, 5);
  g_byte_array_unref (moof);

  /* a 32-bit tfdt that would overflow is left alone */
  moof = make_moof (2, 0, G_MAXUINT32 - 10, &at);
  g_assert_cmpuint (rr_fmp4_shift_process (s, moof->data, moof->len, NULL),
      ==, 0);
  g_assert_cmpuint (read_tfdt (moof, at, 0), ==, G_MAXUINT32 - 10);
  g_byte_array_unref (moof);

  g_byte_array_unref (moov);
  rr_fmp4_shift_free (s);
}

/* moov (64-bit tkhd/mdhd) and moof in one buffer, as one write */
static void
test_moov_and_moof_together (void)
{
  RrFmp4Shift *s = rr_fmp4_shift_new ();
  GByteArray *all = make_moov (TRUE), *moof;
  gsize at;

  moof = make_moof (1, 0, 100, &at);
  at += all->len;
  g_byte_array_append (all, moof->data, moof->len);
  g_byte_array_unref (moof);
  rr_fmp4_shift_set_delay (s, RR_FMP4_HANDLER_AUDIO,
      G_GUINT64_CONSTANT (1000000000));
  g_assert_cmpuint (rr_fmp4_shift_process (s, all->data, all->len, NULL), ==,
      1);
  g_assert_cmpuint (read_tfdt (all, at, 0), ==, 48100);
  g_byte_array_unref (all);
  rr_fmp4_shift_free (s);
}

/* Every cut and every corrupted byte of a moov+moof is survived (ASan
 * runs this too) and never patches outside the buffer. */
static void
test_damaged (void)
{
  GByteArray *all = make_moov (FALSE), *moof;
  gsize at;

  moof = make_moof (2, 0, 100, &at);
  g_byte_array_append (all, moof->data, moof->len);
  g_byte_array_unref (moof);
  for (gsize cut = 0; cut <= all->len; cut++) {
    RrFmp4Shift *s = rr_fmp4_shift_new ();
    guint8 *copy = g_memdup2 (all->data, cut);

    rr_fmp4_shift_set_delay (s, RR_FMP4_HANDLER_VIDEO,
        G_GUINT64_CONSTANT (1000000000));
    rr_fmp4_shift_process (s, copy, cut, NULL);
    g_free (copy);
    rr_fmp4_shift_free (s);
  }
  for (gsize i = 0; i < all->len; i++) {
    for (guint v = 0; v < 3; v++) {
      static const guint8 values[] = { 0x00, 0x01, 0xff };
      RrFmp4Shift *s = rr_fmp4_shift_new ();
      guint8 *copy = g_memdup2 (all->data, all->len);

      copy[i] = values[v];
      rr_fmp4_shift_set_delay (s, RR_FMP4_HANDLER_VIDEO,
          G_GUINT64_CONSTANT (1000000000));
      rr_fmp4_shift_process (s, copy, all->len, NULL);
      g_free (copy);
      rr_fmp4_shift_free (s);
    }
  }
  g_byte_array_unref (all);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fmp4shift/shift", test_shift);
  g_test_add_func ("/fmp4shift/moov-and-moof-together",
      test_moov_and_moof_together);
  g_test_add_func ("/fmp4shift/damaged", test_damaged);
  return g_test_run ();
}
