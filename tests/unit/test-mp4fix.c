/* Unit tests for the dOps repair. */
#include "mp4fix.h"

#include <glib/gstdio.h>
#include <string.h>

/* moov > … > Opus > dOps as GStreamer 1.22.0 writes it: PreSkip 312 and
 * rate 48000 little-endian. */
static const guint8 broken_dops[] = {
  0x00, 0x00, 0x00, 0x13, 'd', 'O', 'p', 's',
  0x00, 0x02, 0x38, 0x01, 0x80, 0xbb, 0x00, 0x00, 0x00, 0x00, 0x00
};

static const guint8 good_dops[] = {
  0x00, 0x00, 0x00, 0x13, 'd', 'O', 'p', 's',
  0x00, 0x02, 0x01, 0x38, 0x00, 0x00, 0xbb, 0x80, 0x00, 0x00, 0x00
};

static void
test_buffer_fix (void)
{
  guint8 buf[64];

  memset (buf, 0xaa, sizeof (buf));
  memcpy (buf + 20, broken_dops, sizeof (broken_dops));
  g_assert_cmpuint (rr_mp4_fix_opus_dops_in_buffer (buf, sizeof (buf)), ==, 1);
  g_assert_cmpmem (buf + 20, sizeof (good_dops), good_dops, sizeof (good_dops));
  /* idempotent: a correct box is never touched */
  g_assert_cmpuint (rr_mp4_fix_opus_dops_in_buffer (buf, sizeof (buf)), ==, 0);
  g_assert_cmpmem (buf + 20, sizeof (good_dops), good_dops, sizeof (good_dops));
}

static void
test_truncated_box_ignored (void)
{
  guint8 buf[sizeof (broken_dops) - 2];

  memcpy (buf, broken_dops, sizeof (buf));
  g_assert_cmpuint (rr_mp4_fix_opus_dops_in_buffer (buf, sizeof (buf)), ==, 0);
}

static void
put32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static void
test_file_fix (void)
{
  gchar *dir = g_dir_make_tmp ("rr-mp4fix-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "a.mp4", NULL);
  guint8 file[8 + 8 + sizeof (broken_dops) + 8 + 4];
  gchar *contents;
  gsize len;
  gboolean fixed;
  GError *err = NULL;
  guint off = 0;

  /* ftyp(8) moov(8 + dOps) mdat(8 + 4) */
  put32 (file, 8);
  memcpy (file + 4, "ftyp", 4);
  off = 8;
  put32 (file + off, 8 + sizeof (broken_dops));
  memcpy (file + off + 4, "moov", 4);
  memcpy (file + off + 8, broken_dops, sizeof (broken_dops));
  off += 8 + sizeof (broken_dops);
  put32 (file + off, 12);
  memcpy (file + off + 4, "mdat", 4);
  memset (file + off + 8, 0, 4);

  g_assert_true (g_file_set_contents (path, (gchar *) file, sizeof (file),
          NULL));
  g_assert_true (rr_mp4_fix_opus_dops (path, &fixed, &err));
  g_assert_no_error (err);
  g_assert_true (fixed);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpmem (contents + 16, sizeof (good_dops), good_dops,
      sizeof (good_dops));
  g_free (contents);

  g_assert_true (rr_mp4_fix_opus_dops (path, &fixed, &err));
  g_assert_false (fixed);

  g_unlink (path);
  g_assert_false (rr_mp4_fix_opus_dops (path, &fixed, &err));
  g_assert_nonnull (err);
  g_clear_error (&err);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mp4fix/buffer", test_buffer_fix);
  g_test_add_func ("/mp4fix/truncated", test_truncated_box_ignored);
  g_test_add_func ("/mp4fix/file", test_file_fix);
  return g_test_run ();
}
