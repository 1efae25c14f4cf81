/* Unit tests for the recovery of a killed recorder's leftovers
 * (tools/recover.c).
 *
 * The inputs are real files made by GStreamer in this process, laid out
 * as splitmuxrec leaves them: <archive>/.roomrec-tmp/<recording>/<stem>.
 */
#include "recover.h"
#include "unit-gst.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#define VIDEO_CAPS "video/x-raw,format=I420,width=160,height=120,framerate=30/1"

typedef struct
{
  gchar *root;
  gchar *archive;
  gchar *tmp;
} Dirs;

/* ------------------------------------------------------------------------ */
/* helpers */

static gboolean
have_elements (void)
{
  const gchar *names[] = { "videotestsrc", "x264enc", "h264parse", "mp4mux",
    "qtdemux", "avdec_h264", "vp8enc", "webmmux", "mpegtsmux", "fakesink",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    GstElementFactory *f = gst_element_factory_find (names[i]);

    if (f == NULL) {
      gchar *msg = g_strdup_printf ("GStreamer element %s is missing",
          names[i]);

      g_test_skip (msg);
      g_free (msg);
      return FALSE;
    }
    gst_object_unref (f);
  }
  return TRUE;
}

static void
on_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad, gpointer data)
{
  (*(guint *) data)++;
}

/* Runs @desc to EOS; returns the buffers its fakesink "count" saw. */
static guint
run_pipeline (const gchar * desc)
{
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);
  GstElement *sink;
  GstMessage *msg;
  GstBus *bus;
  guint count = 0;

  g_assert_no_error (err);
  sink = gst_bin_get_by_name (GST_BIN (p), "count");
  if (sink) {
    g_object_set (sink, "signal-handoffs", TRUE, NULL);
    g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), &count);
    gst_object_unref (sink);
  }
  g_assert_cmpint (gst_element_set_state (p, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  bus = gst_element_get_bus (p);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    g_error ("%s: %s (%s)", desc, err->message, dbg);
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  return count;
}

static void
make_dirs (Dirs * d)
{
  GError *err = NULL;

  d->root = g_dir_make_tmp ("rr-recover-XXXXXX", &err);
  g_assert_no_error (err);
  d->archive = g_build_filename (d->root, "archive", NULL);
  d->tmp = g_build_filename (d->archive, ".roomrec-tmp", NULL);
  g_assert_cmpint (g_mkdir_with_parents (d->tmp, 0755), ==, 0);
}

static void
remove_tree (const gchar * path)
{
  GStatBuf st;

  if (g_lstat (path, &st) == 0 && S_ISDIR (st.st_mode)) {
    GDir *dir = g_dir_open (path, 0, NULL);
    const gchar *name;

    while (dir && (name = g_dir_read_name (dir)) != NULL) {
      gchar *child = g_build_filename (path, name, NULL);

      remove_tree (child);
      g_free (child);
    }
    if (dir)
      g_dir_close (dir);
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

static void
free_dirs (Dirs * d)
{
  remove_tree (d->root);
  g_free (d->root);
  g_free (d->archive);
  g_free (d->tmp);
}

/* <base>/<rel>, its directory created */
static gchar *
place (const gchar * base, const gchar * rel)
{
  gchar *path = g_build_filename (base, rel, NULL);
  gchar *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_free (dir);
  return path;
}

static void
copy_file (const gchar * from, const gchar * to)
{
  gchar *data;
  gsize len;

  g_assert_true (g_file_get_contents (from, &data, &len, NULL));
  g_assert_true (g_file_set_contents (to, data, len, NULL));
  g_free (data);
}

static gchar *
checksum (const gchar * path)
{
  gchar *data, *sum;
  gsize len;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guchar *) data, len);
  g_free (data);
  return sum;
}

static gboolean
exists (const gchar * path)
{
  GStatBuf st;

  return g_lstat (path, &st) == 0;
}

static RrRecoveredFile *
find_entry (GPtrArray * files, const gchar * tmp_path)
{
  for (guint i = 0; i < files->len; i++) {
    RrRecoveredFile *f = g_ptr_array_index (files, i);

    if (g_str_equal (f->tmp_path, tmp_path))
      return f;
  }
  return NULL;
}

/* MP4 top-level boxes: fourcc → offset/size through callbacks */
typedef struct
{
  guint64 offset;
  guint64 size;
  gchar type[5];
} Box;

/* Big-endian reads at any alignment (GST_READ_UINT32_BE may load a whole
 * word from an unaligned address, which UBSan rejects). */
static guint32
read_be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | (guint32) p[3];
}

static guint64
read_be64 (const guint8 * p)
{
  return ((guint64) read_be32 (p) << 32) | read_be32 (p + 4);
}

static GArray *
top_boxes (const guint8 * d, gsize len)
{
  GArray *boxes = g_array_new (FALSE, TRUE, sizeof (Box));
  guint64 off = 0;

  while (off + 8 <= len) {
    Box b;
    guint hdr = 8;

    memset (&b, 0, sizeof (b));
    b.offset = off;
    b.size = read_be32 (d + off);
    memcpy (b.type, d + off + 4, 4);
    if (b.size == 1 && off + 16 <= len) {
      b.size = read_be64 (d + off + 8);
      hdr = 16;
    } else if (b.size == 0) {
      b.size = len - off;
    }
    if (b.size < hdr)
      break;
    g_array_append_val (boxes, b);
    off += b.size;
  }
  return boxes;
}

static const guint8 *
find_fourcc (const guint8 * d, gsize len, const gchar * fourcc)
{
  for (gsize i = 0; i + 4 <= len; i++)
    if (memcmp (d + i, fourcc, 4) == 0)
      return d + i;
  return NULL;
}

/* the sample count of the (single-track) fragment at @moof */
static guint
moof_samples (const guint8 * d, const Box * moof)
{
  const guint8 *p = find_fourcc (d + moof->offset, moof->size, "trun");

  g_assert_nonnull (p);
  return read_be32 (p + 8);
}

/* ------------------------------------------------------------------------ */
/* input files */

/* 90 frames, a key frame and a fragment every 0.5 s; cut in the middle of
 * the last fragment's mdat.  *@kept: the frames of the complete fragments. */
static void
make_cut_mp4 (const gchar * path, guint * kept)
{
  gchar *desc, *data;
  gsize len;
  GArray *boxes;
  const Box *last_moof = NULL, *last_mdat = NULL;
  guint n_moof = 0;

  desc = g_strdup_printf ("videotestsrc num-buffers=90 ! " VIDEO_CAPS " ! "
      "x264enc key-int-max=15 bframes=0 speed-preset=ultrafast ! h264parse ! "
      "mp4mux fragment-duration=500 ! filesink location=%s", path);
  run_pipeline (desc);
  g_free (desc);

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  boxes = top_boxes ((guint8 *) data, len);
  *kept = 0;
  for (guint i = 0; i < boxes->len; i++) {
    const Box *b = &g_array_index (boxes, Box, i);

    if (g_str_equal (b->type, "moof")) {
      if (last_moof)
        *kept += moof_samples ((guint8 *) data, last_moof);
      last_moof = b;
      n_moof++;
    } else if (g_str_equal (b->type, "mdat")) {
      last_mdat = b;
    }
  }
  g_assert_cmpuint (n_moof, >=, 3);
  g_assert_nonnull (last_mdat);
  g_assert_cmpuint (last_mdat->offset, >, last_moof->offset);
  g_assert_cmpuint (*kept, >, 0);
  g_assert_cmpuint (*kept, <, 90);
  g_assert_cmpint (truncate (path, last_mdat->offset + last_mdat->size / 2),
      ==, 0);
  g_array_unref (boxes);
  g_free (data);
}

static void
make_webm (const gchar * path)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=30 ! " VIDEO_CAPS
      " ! vp8enc deadline=1 ! webmmux ! filesink location=%s", path);

  run_pipeline (desc);
  g_free (desc);
}

static void
make_ts (const gchar * path)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=30 ! " VIDEO_CAPS
      " ! x264enc key-int-max=15 speed-preset=ultrafast ! h264parse ! "
      "mpegtsmux ! filesink location=%s", path);

  run_pipeline (desc);
  g_free (desc);
}

/* ------------------------------------------------------------------------ */
/* checks */

static void
check_normal_mp4 (const gchar * path, guint kept)
{
  gchar *data, *desc;
  gsize len;
  GArray *boxes;
  gboolean have_moov = FALSE;
  guint frames;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  boxes = top_boxes ((guint8 *) data, len);
  for (guint i = 0; i < boxes->len; i++) {
    const Box *b = &g_array_index (boxes, Box, i);

    g_assert_cmpstr (b->type, !=, "moof");
    if (g_str_equal (b->type, "moov")) {
      have_moov = TRUE;
      g_assert_null (find_fourcc ((guint8 *) data + b->offset, b->size,
              "mvex"));
    }
  }
  g_assert_true (have_moov);
  g_array_unref (boxes);
  g_free (data);

  desc = g_strdup_printf ("filesrc location=%s ! qtdemux ! h264parse ! "
      "avdec_h264 ! fakesink name=count sync=false", path);
  frames = run_pipeline (desc);
  g_free (desc);
  g_test_message ("%s: %u frames decoded, %u in the complete fragments",
      path, frames, kept);
  /* the complete fragments, and maybe the whole samples of the cut one */
  g_assert_cmpuint (frames, >=, kept);
  g_assert_cmpuint (frames, <, 90);
}

static void
check_sidecar (const RrRecoveredFile * f)
{
  JsonParser *parser = json_parser_new ();
  GError *err = NULL;
  JsonObject *o;
  GDateTime *dt;

  g_assert_nonnull (f->sidecar_path);
  json_parser_load_from_file (parser, f->sidecar_path, &err);
  g_assert_no_error (err);
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (json_object_get_boolean_member (o, "recovered"));
  g_assert_cmpstr (json_object_get_string_member (o, "format"), ==, f->format);
  g_assert_cmpstr (json_object_get_string_member (o, "metadata_file_path"),
      ==, f->sidecar_path);
  g_assert_nonnull (json_object_get_string_member (o, "reason"));
  g_assert_nonnull (json_object_get_string_member (o, "filename"));
  dt = g_date_time_new_from_iso8601 (json_object_get_string_member (o,
          "recovered_at"), NULL);
  g_assert_nonnull (dt);
  g_date_time_unref (dt);
  if (g_str_equal (f->format, "hls")) {
    /* the playlist's sidecar: this file is one of its tmp paths */
    g_assert_true (g_str_has_suffix (json_object_get_string_member (o,
                "file_path"), ".m3u8"));
  } else {
    g_assert_cmpstr (json_object_get_string_member (o, "tmp_path"), ==,
        f->tmp_path);
    g_assert_cmpstr (json_object_get_string_member (o, "file_path"), ==,
        f->path);
    g_assert_cmpint (json_object_get_int_member (o, "size"), ==, f->size);
  }
  g_object_unref (parser);
}

static gchar *
read_text (const gchar * path)
{
  gchar *text;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

/* ------------------------------------------------------------------------ */
/* tests */

static void
test_leftovers (void)
{
  Dirs d;
  GError *err = NULL;
  GPtrArray *files;
  RrRecoveredFile *f;
  gchar *mp4, *webm, *webm2, *empty, *old, *pl, *ts[3], *pl3, *ts3a, *ts3b;
  gchar *outside, *link, *outside_dir, *link_dir, *sum, *sum2, *text, *p;
  guint kept;

  if (!have_elements ())
    return;
  make_dirs (&d);

  /* a killed MP4 recording: fragmented, cut in its last fragment */
  mp4 = place (d.tmp, "REC1/archive-CONN1.mp4");
  make_cut_mp4 (mp4, &kept);
  /* a WebM recording */
  webm = place (d.tmp, "REC1/archive-CONN2.webm");
  make_webm (webm);
  sum = checksum (webm);
  /* the same name already in the archive dir */
  webm2 = place (d.tmp, "REC1/archive-CONN6.webm");
  copy_file (webm, webm2);
  old = place (d.archive, "REC1/archive-CONN6.webm");
  g_assert_true (g_file_set_contents (old, "earlier recording", -1, NULL));
  /* opened just before the kill */
  empty = place (d.tmp, "REC1/split-archive-CONN3_0002.mp4");
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  /* HLS: a playlist without ENDLIST, two listed segments, the open one */
  pl = place (d.tmp, "REC2/archive-CONN4.m3u8");
  for (guint i = 0; i < 3; i++) {
    gchar *rel = g_strdup_printf ("REC2/archive-CONN4_%04u.ts", i + 1);

    ts[i] = place (d.tmp, rel);
    if (i == 0)
      make_ts (ts[i]);
    else
      copy_file (ts[0], ts[i]);
    g_free (rel);
  }
  g_assert_true (g_file_set_contents (pl, "#EXTM3U\n#EXT-X-VERSION:3\n"
          "#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n"
          "#EXT-X-PLAYLIST-TYPE:EVENT\n"
          "#EXTINF:1.000,\narchive-CONN4_0001.ts\n"
          "#EXTINF:1.000,\narchive-CONN4_0002.ts\n", -1, NULL));
  /* HLS as splitmuxrec leaves it: playlist and complete segment in the
   * archive dir, the open segment in the temp dir */
  pl3 = place (d.archive, "REC3/archive-CONN5.m3u8");
  ts3a = place (d.archive, "REC3/archive-CONN5_0001.ts");
  ts3b = place (d.tmp, "REC3/archive-CONN5_0002.ts");
  copy_file (ts[0], ts3a);
  copy_file (ts[0], ts3b);
  g_assert_true (g_file_set_contents (pl3, "#EXTM3U\n#EXT-X-VERSION:3\n"
          "#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n"
          "#EXT-X-PLAYLIST-TYPE:EVENT\n"
          "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000000Z\n"
          "#EXTINF:1.000,\narchive-CONN5_0001.ts\n", -1, NULL));
  /* symbolic links out of the temp dir: a file and a directory */
  outside = place (d.root, "outside/secret.webm");
  copy_file (webm, outside);
  outside_dir = g_build_filename (d.root, "outside", NULL);
  link = place (d.tmp, "REC1/link.webm");
  g_assert_cmpint (symlink (outside, link), ==, 0);
  link_dir = place (d.tmp, "REC4");
  g_assert_cmpint (symlink (outside_dir, link_dir), ==, 0);

  files = rr_recover_leftovers (d.tmp, d.archive, &err);
  g_assert_no_error (err);
  g_assert_nonnull (files);
  for (guint i = 0; i < files->len; i++) {
    f = g_ptr_array_index (files, i);
    g_test_message ("%s -> %s: %s", f->tmp_path, f->path, f->reason);
  }
  /* mp4, 2 webm, playlist + 3 segments, 1 segment */
  g_assert_cmpuint (files->len, ==, 8);

  /* the MP4: a normal MP4 with the complete fragments */
  f = find_entry (files, mp4);
  g_assert_nonnull (f);
  g_assert_true (f->recovered);
  g_assert_cmpstr (f->format, ==, "mp4");
  p = g_build_filename (d.archive, "REC1/archive-CONN1.mp4", NULL);
  g_assert_cmpstr (f->path, ==, p);
  g_free (p);
  g_assert_false (exists (mp4));
  check_normal_mp4 (f->path, kept);
  check_sidecar (f);
  p = g_build_filename (d.archive, "REC1/archive-CONN1.json", NULL);
  g_assert_cmpstr (f->sidecar_path, ==, p);
  g_free (p);

  /* the WebM: moved, intact */
  f = find_entry (files, webm);
  g_assert_nonnull (f);
  g_assert_true (f->recovered);
  g_assert_cmpstr (f->format, ==, "webm");
  sum2 = checksum (f->path);
  g_assert_cmpstr (sum, ==, sum2);
  g_free (sum2);
  g_assert_false (exists (webm));
  check_sidecar (f);

  /* no overwrite */
  f = find_entry (files, webm2);
  g_assert_nonnull (f);
  g_assert_true (f->recovered);
  p = g_build_filename (d.archive, "REC1/archive-CONN6_recovered.webm", NULL);
  g_assert_cmpstr (f->path, ==, p);
  g_free (p);
  p = g_build_filename (d.archive, "REC1/archive-CONN6_recovered.json", NULL);
  g_assert_cmpstr (f->sidecar_path, ==, p);
  g_free (p);
  text = read_text (old);
  g_assert_cmpstr (text, ==, "earlier recording");
  g_free (text);
  sum2 = checksum (f->path);
  g_assert_cmpstr (sum, ==, sum2);
  g_free (sum2);
  check_sidecar (f);

  /* the empty file: gone, not listed */
  g_assert_false (exists (empty));
  g_assert_null (find_entry (files, empty));

  /* HLS from the temp dir: playlist and segments moved, ENDLIST */
  f = find_entry (files, pl);
  g_assert_nonnull (f);
  g_assert_true (f->recovered);
  g_assert_cmpstr (f->format, ==, "hls");
  check_sidecar (f);
  text = read_text (f->path);
  g_assert_true (g_str_has_suffix (text, "#EXT-X-ENDLIST\n"));
  g_assert_nonnull (strstr (text, "#EXT-X-PLAYLIST-TYPE:VOD\n"));
  g_assert_nonnull (strstr (text, "archive-CONN4_0001.ts\n"));
  g_assert_nonnull (strstr (text, "archive-CONN4_0002.ts\n"));
  /* the open segment, with its own duration (30 frames at 30 fps) */
  g_assert_nonnull (strstr (text, "\n#EXTINF:0.967,\narchive-CONN4_0003.ts\n"));
  g_free (text);
  for (guint i = 0; i < 3; i++) {
    f = find_entry (files, ts[i]);
    g_assert_nonnull (f);
    g_assert_true (f->recovered);
    g_assert_cmpstr (f->format, ==, "hls");
    g_assert_false (exists (ts[i]));
    g_assert_true (exists (f->path));
    check_sidecar (f);
  }

  /* the open segment joins its playlist in the archive dir */
  f = find_entry (files, ts3b);
  g_assert_nonnull (f);
  g_assert_true (f->recovered);
  check_sidecar (f);
  text = read_text (pl3);
  g_assert_nonnull (strstr (text, "#EXT-X-PROGRAM-DATE-TIME:"
          "2026-01-01T00:00:01.000000Z\n#EXTINF:0.967,\n"
          "archive-CONN5_0002.ts\n#EXT-X-ENDLIST\n"));
  g_free (text);

  /* the symbolic links: not followed, not moved */
  g_assert_true (exists (link));
  g_assert_true (exists (outside));
  g_assert_true (exists (link_dir));
  p = g_build_filename (d.archive, "REC1/link.webm", NULL);
  g_assert_false (exists (p));
  g_free (p);
  p = g_build_filename (d.archive, "REC4", NULL);
  g_assert_false (exists (p));
  g_free (p);
  g_assert_null (find_entry (files, link));
  g_ptr_array_unref (files);

  /* nothing left for a second run */
  files = rr_recover_leftovers (d.tmp, d.archive, &err);
  g_assert_no_error (err);
  g_assert_cmpuint (files->len, ==, 0);
  g_ptr_array_unref (files);

  g_free (sum);
  g_free (mp4);
  g_free (webm);
  g_free (webm2);
  g_free (old);
  g_free (empty);
  g_free (pl);
  for (guint i = 0; i < 3; i++)
    g_free (ts[i]);
  g_free (pl3);
  g_free (ts3a);
  g_free (ts3b);
  g_free (outside);
  g_free (outside_dir);
  g_free (link);
  g_free (link_dir);
  free_dirs (&d);
}

/* Cut before the end of its moov: it stays, every time. */
static void
test_unrecoverable (void)
{
  Dirs d;
  GError *err = NULL;
  GPtrArray *files;
  RrRecoveredFile *f;
  gchar *mp4, *p;
  guint kept;

  if (!have_elements ())
    return;
  make_dirs (&d);
  mp4 = place (d.tmp, "REC1/archive-CONN1.mp4");
  make_cut_mp4 (mp4, &kept);
  g_assert_cmpint (truncate (mp4, 200), ==, 0);

  for (guint run = 0; run < 2; run++) {
    files = rr_recover_leftovers (d.tmp, d.archive, &err);
    g_assert_no_error (err);
    g_assert_cmpuint (files->len, ==, 1);
    f = g_ptr_array_index (files, 0);
    g_assert_cmpstr (f->tmp_path, ==, mp4);
    g_assert_false (f->recovered);
    g_assert_null (f->path);
    g_assert_null (f->sidecar_path);
    g_assert_cmpuint (f->size, ==, 200);
    g_assert_nonnull (strstr (f->reason, "left in the temp dir"));
    g_test_message ("%s", f->reason);
    g_assert_true (exists (mp4));
    g_ptr_array_unref (files);
  }
  p = g_build_filename (d.archive, "REC1", NULL);
  g_assert_false (exists (p));
  g_free (p);
  g_free (mp4);
  free_dirs (&d);
}

/* A file killed right after it was opened: its header (ftyp, moov) is
 * all there is.  Nothing to lose: removed, not listed. */
static void
test_header_only (void)
{
  Dirs d;
  GError *err = NULL;
  GPtrArray *files;
  GArray *boxes;
  gchar *mp4, *data;
  gsize len;
  guint kept;
  guint64 first_moof = 0;

  if (!have_elements ())
    return;
  make_dirs (&d);
  mp4 = place (d.tmp, "REC1/archive-CONN2.mp4");
  make_cut_mp4 (mp4, &kept);
  g_assert_true (g_file_get_contents (mp4, &data, &len, NULL));
  boxes = top_boxes ((guint8 *) data, len);
  for (guint i = 0; i < boxes->len; i++) {
    const Box *b = &g_array_index (boxes, Box, i);

    if (first_moof == 0 && g_str_equal (b->type, "moof"))
      first_moof = b->offset;
  }
  g_array_unref (boxes);
  g_free (data);
  g_assert_cmpuint (first_moof, >, 0);
  g_assert_cmpint (truncate (mp4, first_moof), ==, 0);

  files = rr_recover_leftovers (d.tmp, d.archive, &err);
  g_assert_no_error (err);
  g_assert_cmpuint (files->len, ==, 0);
  g_assert_false (exists (mp4));
  g_ptr_array_unref (files);
  g_free (mp4);
  free_dirs (&d);
}

static void
test_lock (void)
{
  Dirs d;
  GError *err = NULL;
  GPtrArray *files;
  gchar *msg, *webm;
  gint fd, fd2;

  make_dirs (&d);
  webm = place (d.tmp, "REC1/archive-CONN1.webm");
  g_assert_true (g_file_set_contents (webm, "x", -1, NULL));

  g_assert_true (rr_recover_lock (d.tmp, &fd, &err));
  g_assert_no_error (err);
  g_assert_cmpint (fd, >=, 0);

  /* a second roomrec (here: a second open file) cannot take it */
  msg = g_strdup_printf ("another roomrec is recording into %s", d.tmp);
  g_assert_false (rr_recover_lock (d.tmp, &fd2, &err));
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_assert_cmpstr (err->message, ==, msg);
  g_clear_error (&err);
  /* nor recover its files */
  files = rr_recover_leftovers (d.tmp, d.archive, &err);
  g_assert_null (files);
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_assert_cmpstr (err->message, ==, msg);
  g_clear_error (&err);
  g_assert_true (exists (webm));

  /* the holder recovers */
  files = rr_recover_leftovers_locked (d.tmp, d.archive, &err);
  g_assert_no_error (err);
  g_assert_cmpuint (files->len, ==, 1);
  g_assert_false (exists (webm));
  g_ptr_array_unref (files);

  close (fd);
  g_assert_true (rr_recover_lock (d.tmp, &fd2, &err));
  g_assert_no_error (err);
  close (fd2);

  /* no temp dir: nothing left, nothing created */
  remove_tree (d.tmp);
  files = rr_recover_leftovers (d.tmp, d.archive, &err);
  g_assert_no_error (err);
  g_assert_cmpuint (files->len, ==, 0);
  g_assert_false (exists (d.tmp));
  g_ptr_array_unref (files);

  g_free (msg);
  g_free (webm);
  free_dirs (&d);
}

static void
test_unreadable (void)
{
  GError *err = NULL;
  GPtrArray *files;
  gchar *root = g_dir_make_tmp ("rr-recover-XXXXXX", NULL);
  gchar *file = g_build_filename (root, "not-a-dir", NULL);

  g_assert_true (g_file_set_contents (file, "x", -1, NULL));
  files = rr_recover_leftovers_locked (file, root, &err);
  g_assert_null (files);
  g_assert_nonnull (err);
  g_clear_error (&err);
  remove_tree (root);
  g_free (file);
  g_free (root);
}

int
main (int argc, char **argv)
{
  unit_gst_init (&argc, &argv, "recover");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/recover/leftovers", test_leftovers);
  g_test_add_func ("/recover/unrecoverable", test_unrecoverable);
  g_test_add_func ("/recover/header-only", test_header_only);
  g_test_add_func ("/recover/lock", test_lock);
  g_test_add_func ("/recover/unreadable", test_unreadable);
  return g_test_run ();
}
