/* Unit tests for the fragmented → normal MP4 rewriter.
 *
 * The fragmented inputs are recorded by GStreamer's mp4mux through
 * gst-launch-1.0 and the outputs are checked with ffprobe, ffmpeg and
 * qtdemux; those cases are skipped when the tools are missing.
 */
#include "mp4defrag.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VIDEO_CAPS "video/x-raw,format=I420,width=320,height=240,framerate=30/1"

static const gchar *pipeline_av_opus =
    "videotestsrc num-buffers=90 ! " VIDEO_CAPS " ! "
    "x264enc key-int-max=30 bframes=2 ! h264parse ! "
    "mp4mux name=m fragment-duration=1000 ! filesink location=%s "
    "audiotestsrc num-buffers=150 samplesperbuffer=960 ! "
    "audio/x-raw,rate=48000 ! opusenc ! m.";

static const gchar *pipeline_video_only =
    "videotestsrc num-buffers=90 ! " VIDEO_CAPS " ! "
    "x264enc key-int-max=30 bframes=0 ! h264parse ! "
    "mp4mux fragment-duration=1000 ! filesink location=%s";

static const gchar *pipeline_av_aac =
    "videotestsrc num-buffers=90 ! " VIDEO_CAPS " ! "
    "x264enc key-int-max=30 bframes=2 ! h264parse ! "
    "mp4mux name=m fragment-duration=1000 ! filesink location=%s "
    "audiotestsrc num-buffers=130 ! audio/x-raw,rate=44100,channels=2 ! "
    "voaacenc ! m.";

/* A video track that got caps but never a frame (a sender that never sent
 * a key frame): mp4mux writes a track without samples or sample entry. */
static const gchar *pipeline_empty_video =
    "videotestsrc num-buffers=5 ! " VIDEO_CAPS " ! x264enc ! h264parse ! "
    "identity drop-probability=1.0 ! "
    "mp4mux name=m fragment-duration=1000 ! filesink location=%s "
    "audiotestsrc num-buffers=150 samplesperbuffer=960 ! "
    "audio/x-raw,rate=48000 ! opusenc ! m.";

static const gchar *pipeline_not_fragmented =
    "videotestsrc num-buffers=30 ! " VIDEO_CAPS " ! "
    "x264enc ! h264parse ! mp4mux ! filesink location=%s";

/* ------------------------------------------------------------------------ */
/* helpers */

static gboolean
have_tools (void)
{
  const gchar *tools[] = { "gst-launch-1.0", "ffprobe", "ffmpeg" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (tools); i++) {
    gchar *p = g_find_program_in_path (tools[i]);
    if (p == NULL) {
      g_test_skip ("gst-launch-1.0, ffprobe or ffmpeg is not installed");
      return FALSE;
    }
    g_free (p);
  }
  return TRUE;
}

/* Runs @argv; returns the exit status, stdout and stderr. */
static gint
run (const gchar * const *argv, gchar ** out, gchar ** err)
{
  GError *error = NULL;
  gint status = -1;
  gchar **envp = g_get_environ ();
  gchar *registry = g_strdup_printf ("%s/rr-mp4defrag-registry-%d.bin",
      g_get_tmp_dir (), (int) getpid ());
  gboolean spawned;

  /* the tools need none of our plugins: under ASan the plugin of the
   * sanitized build cannot load into an unsanitized gst-launch */
  envp = g_environ_unsetenv (envp, "GST_PLUGIN_PATH_1_0");
  envp = g_environ_unsetenv (envp, "GST_PLUGIN_PATH");
  envp = g_environ_setenv (envp, "GST_REGISTRY_1_0", registry, TRUE);
  spawned = g_spawn_sync (NULL, (gchar **) argv, envp, G_SPAWN_SEARCH_PATH,
      NULL, NULL, out, err, &status, &error);
  g_strfreev (envp);
  g_free (registry);
  if (!spawned) {
    g_test_message ("cannot run %s: %s", argv[0], error->message);
    g_clear_error (&error);
    return -1;
  }
  return g_spawn_check_wait_status (status, NULL) ? 0 : 1;
}

static void
record (const gchar * pipeline_fmt, const gchar * path)
{
  gchar *desc = g_strdup_printf (pipeline_fmt, path);
  gchar **args = g_strsplit (desc, " ", -1);
  GPtrArray *argv = g_ptr_array_new ();
  gchar *err = NULL;
  guint i;

  g_ptr_array_add (argv, (gpointer) "gst-launch-1.0");
  g_ptr_array_add (argv, (gpointer) "-q");
  for (i = 0; args[i] != NULL; i++) {
    if (*args[i] != '\0')
      g_ptr_array_add (argv, args[i]);
  }
  g_ptr_array_add (argv, NULL);
  if (run ((const gchar * const *) argv->pdata, NULL, &err) != 0)
    g_error ("gst-launch-1.0 %s failed: %s", desc, err);
  g_free (err);
  g_ptr_array_unref (argv);
  g_strfreev (args);
  g_free (desc);
}

/* "codec,frames" lines from ffprobe, e.g. "h264,90\nopus,137\n" */
static gchar *
probe_frames (const gchar * path)
{
  const gchar *argv[] = { "ffprobe", "-v", "error", "-count_frames",
    "-show_entries", "stream=nb_read_frames,codec_name", "-of", "csv=p=0",
    path, NULL
  };
  gchar *out = NULL;

  g_assert_cmpint (run (argv, &out, NULL), ==, 0);
  return out;
}

static guint
frames_of (const gchar * probe, const gchar * codec)
{
  gchar **lines = g_strsplit_set (probe, "\n ", -1);
  gchar *prefix = g_strconcat (codec, ",", NULL);
  guint i, n = 0;

  for (i = 0; lines[i] != NULL; i++) {
    if (g_str_has_prefix (lines[i], prefix))
      n = atoi (lines[i] + strlen (prefix));
  }
  g_free (prefix);
  g_strfreev (lines);
  return n;
}

static gdouble
probe_duration (const gchar * path)
{
  const gchar *argv[] = { "ffprobe", "-v", "error", "-show_entries",
    "format=duration", "-of", "csv=p=0", path, NULL
  };
  gchar *out = NULL;
  gdouble d;

  g_assert_cmpint (run (argv, &out, NULL), ==, 0);
  d = g_ascii_strtod (out, NULL);
  g_free (out);
  return d;
}

static void
assert_decodes_cleanly (const gchar * path)
{
  const gchar *ff[] = { "ffmpeg", "-v", "error", "-i", path, "-f", "null",
    "-", NULL
  };
  gchar *loc = g_strdup_printf ("location=%s", path);
  const gchar *gst[] = { "gst-launch-1.0", "-q", "filesrc", loc, "!",
    "qtdemux", "name=d", "d.", "!", "queue", "!", "fakesink", "d.", "!",
    "queue", "!", "fakesink", NULL
  };
  const gchar *gst1[] = { "gst-launch-1.0", "-q", "filesrc", loc, "!",
    "qtdemux", "!", "fakesink", NULL
  };
  gchar *err = NULL;
  gchar *probe = probe_frames (path);
  gboolean two_streams = strchr (probe, '\n') != strrchr (probe, '\n');

  g_assert_cmpint (run (ff, NULL, &err), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_free (err);
  g_assert_cmpint (run (two_streams ? gst : gst1, NULL, &err), ==, 0);
  g_free (err);
  g_free (probe);
  g_free (loc);
}

/* Every packet's stream, dts, pts, size and MD5 (not its duration, which
 * ffmpeg only knows from a normal file's tables) as read by ffmpeg.  Times
 * count from the stream's first dts: the defragmented file's edit list
 * presents a B-frame track's first picture at 0, which moves the whole
 * track by its first composition offset (and so the interleaving FFmpeg
 * reads the streams in): the list is stream by stream. */
static gchar *
packet_list (const gchar * path)
{
  const gchar *argv[] = { "ffmpeg", "-v", "error", "-i", path, "-map", "0",
    "-c", "copy", "-f", "framemd5", "-", NULL
  };
  gchar *out = NULL, **lines;
  GString *per_stream[8], *s = g_string_new (NULL);
  gint64 first_dts[8];
  gboolean seen[8] = { FALSE, };
  guint i;

  memset (per_stream, 0, sizeof (per_stream));
  g_assert_cmpint (run (argv, &out, NULL), ==, 0);
  lines = g_strsplit (out, "\n", -1);
  for (i = 0; lines[i] != NULL; i++) {
    gchar **f;
    guint64 stream;
    gint64 dts, pts;

    if (lines[i][0] == '#' || lines[i][0] == '\0')
      continue;
    f = g_strsplit (lines[i], ",", -1);
    g_assert_cmpuint (g_strv_length (f), ==, 6);
    stream = g_ascii_strtoull (f[0], NULL, 10);
    g_assert_cmpuint (stream, <, G_N_ELEMENTS (first_dts));
    dts = g_ascii_strtoll (f[1], NULL, 10);
    pts = g_ascii_strtoll (f[2], NULL, 10);
    if (!seen[stream]) {
      seen[stream] = TRUE;
      first_dts[stream] = dts;
    }
    if (!per_stream[stream])
      per_stream[stream] = g_string_new (NULL);
    g_string_append_printf (per_stream[stream], "%s,%" G_GINT64_FORMAT ",%"
        G_GINT64_FORMAT ",%s,%s\n", f[0], dts - first_dts[stream],
        pts - first_dts[stream], f[4], f[5]);
    g_strfreev (f);
  }
  for (i = 0; i < G_N_ELEMENTS (per_stream); i++) {
    if (per_stream[i]) {
      g_string_append (s, per_stream[i]->str);
      g_string_free (per_stream[i], TRUE);
    }
  }
  g_strfreev (lines);
  g_free (out);
  return g_string_free (s, FALSE);
}

/* Top-level box types of @path, e.g. "ftyp moov mdat". */
static gchar *
top_level_boxes (const gchar * path, gchar ** moov_out, gsize * moov_len)
{
  gchar *data;
  gsize len, off = 0;
  GString *s = g_string_new (NULL);

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  while (off + 8 <= len) {
    const guint8 *p = (const guint8 *) data + off;
    guint64 size = ((guint64) p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
    gsize hdr = 8;

    if (size == 1) {
      guint i;
      g_assert_cmpuint (off + 16, <=, len);
      for (size = 0, i = 0; i < 8; i++)
        size = (size << 8) | p[8 + i];
      hdr = 16;
    } else if (size == 0) {
      size = len - off;
    }
    g_assert_cmpuint (size, >=, hdr);
    g_assert_cmpuint (size, <=, len - off);
    if (s->len)
      g_string_append_c (s, ' ');
    g_string_append_len (s, (const gchar *) p + 4, 4);
    if (moov_out && memcmp (p + 4, "moov", 4) == 0) {
      *moov_out = g_memdup2 (p + hdr, size - hdr);
      *moov_len = size - hdr;
    }
    off += size;
  }
  g_assert_cmpuint (off, ==, len);
  g_free (data);
  return g_string_free (s, FALSE);
}

static gboolean
mem_contains (const gchar * data, gsize len, const gchar * needle)
{
  gsize i, n = strlen (needle);

  for (i = 0; i + n <= len; i++) {
    if (memcmp (data + i, needle, n) == 0)
      return TRUE;
  }
  return FALSE;
}

static void
assert_normal_mp4 (const gchar * path)
{
  gchar *moov = NULL;
  gsize moov_len = 0;
  gchar *boxes = top_level_boxes (path, &moov, &moov_len);

  g_assert_cmpstr (boxes, ==, "ftyp moov mdat");
  g_assert_nonnull (moov);
  g_assert_false (mem_contains (moov, moov_len, "mvex"));
  g_assert_true (mem_contains (moov, moov_len, "stts"));
  g_assert_true (mem_contains (moov, moov_len, "stsz"));
  g_assert_true (mem_contains (moov, moov_len, "co64"));
  g_free (moov);
  g_free (boxes);
}

static void
remove_dir (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d)) != NULL) {
    gchar *p = g_build_filename (dir, name, NULL);
    g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}

static guint
dir_entries (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (g_dir_read_name (d) != NULL)
    n++;
  g_dir_close (d);
  return n;
}

/* ------------------------------------------------------------------------ */
/* recordings from mp4mux */

static void
assert_same_packets (const gchar * in, const gchar * out)
{
  gchar *a = packet_list (in), *b = packet_list (out);

  g_assert_cmpuint (strlen (a), >, 0);
  g_assert_cmpstr (a, ==, b);
  g_free (a);
  g_free (b);
}

static void
check_recording (const gchar * pipeline_fmt, const gchar * video_codec,
    const gchar * audio_codec, guint video_frames)
{
  gchar *dir, *in, *out, *pin, *pout;
  GError *err = NULL;

  if (!have_tools ())
    return;
  dir = g_dir_make_tmp ("rr-mp4defrag-XXXXXX", NULL);
  in = g_build_filename (dir, "in.mp4", NULL);
  out = g_build_filename (dir, "out.mp4", NULL);
  record (pipeline_fmt, in);

  g_assert_true (rr_mp4_defragment (in, out, &err));
  g_assert_no_error (err);

  assert_normal_mp4 (out);
  pin = probe_frames (in);
  pout = probe_frames (out);
  g_strdelimit (pin, "\n", ' ');
  g_strdelimit (pout, "\n", ' ');
  g_test_message ("in: %s out: %s", pin, pout);
  g_assert_cmpuint (frames_of (pout, video_codec), ==, video_frames);
  if (audio_codec) {
    g_assert_cmpuint (frames_of (pout, audio_codec), >, 0);
    g_assert_cmpuint (frames_of (pout, audio_codec), ==,
        frames_of (pin, audio_codec));
  }
  g_assert_cmpfloat_with_epsilon (probe_duration (out), probe_duration (in),
      0.1);
  assert_decodes_cleanly (out);
  assert_same_packets (in, out);
  /* only in.mp4 and out.mp4: no temporary file is left behind */
  g_assert_cmpuint (dir_entries (dir), ==, 2);

  g_free (pin);
  g_free (pout);
  remove_dir (dir);
  g_free (in);
  g_free (out);
  g_free (dir);
}

static void
test_h264_bframes_opus (void)
{
  check_recording (pipeline_av_opus, "h264", "opus", 90);
}

static void
test_h264_video_only (void)
{
  check_recording (pipeline_video_only, "h264", NULL, 90);
}

static void
test_h264_aac (void)
{
  check_recording (pipeline_av_aac, "h264", "aac", 90);
}

/* Offsets of the top-level boxes of @type in @path. */
static GArray *
box_offsets (const gchar * path, const gchar * type)
{
  GArray *offs = g_array_new (FALSE, FALSE, sizeof (gsize));
  gchar *data;
  gsize len, off = 0;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  while (off + 8 <= len) {
    const guint8 *p = (const guint8 *) data + off;
    gsize size = ((gsize) p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];

    g_assert_cmpuint (size, >=, 8);
    if (memcmp (p + 4, type, 4) == 0)
      g_array_append_val (offs, off);
    off += size;
  }
  g_free (data);
  return offs;
}

/* Defragments the first @cut bytes of @in; returns the video frame count. */
static guint
defrag_prefix (const gchar * dir, const gchar * in, gsize cut)
{
  gchar *data, *cut_path, *out, *probe;
  gsize len;
  GError *err = NULL;
  guint n;

  cut_path = g_build_filename (dir, "cut.mp4", NULL);
  out = g_build_filename (dir, "cut-out.mp4", NULL);
  g_assert_true (g_file_get_contents (in, &data, &len, NULL));
  g_assert_cmpuint (cut, <=, len);
  g_assert_true (g_file_set_contents (cut_path, data, cut, NULL));
  g_free (data);

  g_assert_true (rr_mp4_defragment (cut_path, out, &err));
  g_assert_no_error (err);
  assert_normal_mp4 (out);
  assert_decodes_cleanly (out);
  probe = probe_frames (out);
  n = frames_of (probe, "h264");
  g_test_message ("cut at %" G_GSIZE_FORMAT ": %s", cut,
      g_strdelimit (probe, "\n", ' '));
  g_free (probe);
  g_unlink (out);
  g_unlink (cut_path);
  g_free (out);
  g_free (cut_path);
  return n;
}

static void
test_truncated (void)
{
  gchar *dir, *in;
  GArray *moofs, *mdats;
  gsize a, b, mid;
  guint at_a, at_a_plus, in_mdat, at_b;

  if (!have_tools ())
    return;
  dir = g_dir_make_tmp ("rr-mp4defrag-XXXXXX", NULL);
  in = g_build_filename (dir, "in.mp4", NULL);
  record (pipeline_video_only, in);
  moofs = box_offsets (in, "moof");
  mdats = box_offsets (in, "mdat");
  g_assert_cmpuint (moofs->len, ==, 3);
  g_assert_cmpuint (mdats->len, ==, 3);

  /* A: start of the 2nd fragment, B: start of the 3rd one */
  a = g_array_index (moofs, gsize, 1);
  b = g_array_index (moofs, gsize, 2);
  mid = (g_array_index (mdats, gsize, 1) + b) / 2;

  at_a = defrag_prefix (dir, in, a);
  at_a_plus = defrag_prefix (dir, in, a + 40);  /* inside the moof */
  in_mdat = defrag_prefix (dir, in, mid);       /* inside the mdat */
  at_b = defrag_prefix (dir, in, b);

  g_assert_cmpuint (at_a, ==, 30);      /* one-second fragments at 30 fps */
  g_assert_cmpuint (at_a_plus, ==, at_a);
  g_assert_cmpuint (in_mdat, >, at_a);
  g_assert_cmpuint (in_mdat, <, at_b);
  g_assert_cmpuint (at_b, ==, 60);

  g_array_unref (moofs);
  g_array_unref (mdats);
  remove_dir (dir);
  g_free (in);
  g_free (dir);
}

static void
test_not_fragmented_recording (void)
{
  gchar *dir, *in, *out;
  GError *err = NULL;

  if (!have_tools ())
    return;
  dir = g_dir_make_tmp ("rr-mp4defrag-XXXXXX", NULL);
  in = g_build_filename (dir, "in.mp4", NULL);
  out = g_build_filename (dir, "out.mp4", NULL);
  record (pipeline_not_fragmented, in);
  g_assert_false (rr_mp4_defragment (in, out, &err));
  g_assert_error (err, RR_MP4DEFRAG_ERROR, RR_MP4DEFRAG_ERROR_NOT_FRAGMENTED);
  g_clear_error (&err);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (dir_entries (dir), ==, 1);
  remove_dir (dir);
  g_free (in);
  g_free (out);
  g_free (dir);
}

static void
put32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static guint32
rd32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

/* Adds @delta to the tfdt of every fragment of @track_id (32-bit box
 * sizes, as mp4mux writes them). */
static void
shift_tfdt (const gchar * path, guint32 track_id, guint64 delta)
{
  gchar *data;
  gsize len, off = 0, shifted = 0;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  while (off + 8 <= len) {
    guint8 *moof = (guint8 *) data + off;
    gsize size = rd32 (moof), t = 8;

    g_assert_cmpuint (size, >=, 8);
    g_assert_cmpuint (size, <=, len - off);
    while (memcmp (moof + 4, "moof", 4) == 0 && t + 8 <= size) {
      guint8 *traf = moof + t, *c;
      gsize traf_size = rd32 (traf), u;
      guint32 id = 0;

      for (u = 8; memcmp (traf + 4, "traf", 4) == 0 && u + 8 <= traf_size;
          u += rd32 (c)) {
        c = traf + u;
        g_assert_cmpuint (rd32 (c), >=, 8);
        if (memcmp (c + 4, "tfhd", 4) == 0)
          id = rd32 (c + 12);
        if (memcmp (c + 4, "tfdt", 4) == 0 && id == track_id) {
          guint64 v = c[8] == 1 ?
              ((guint64) rd32 (c + 12) << 32 | rd32 (c + 16)) : rd32 (c + 12);
          v += delta;
          if (c[8] == 1) {
            put32 (c + 12, v >> 32);
            put32 (c + 16, (guint32) v);
          } else {
            put32 (c + 12, (guint32) v);
          }
          shifted++;
        }
      }
      g_assert_cmpuint (traf_size, >=, 8);
      t += traf_size;
    }
    off += size;
  }
  g_assert_cmpuint (shifted, >, 0);
  g_assert_true (g_file_set_contents (path, data, len, NULL));
  g_free (data);
}

static gdouble
probe_start (const gchar * path, const gchar * stream)
{
  const gchar *argv[] = { "ffprobe", "-v", "error", "-select_streams",
    stream, "-show_entries", "stream=start_time", "-of", "csv=p=0", path,
    NULL
  };
  gchar *out = NULL;
  gdouble d;

  g_assert_cmpint (run (argv, &out, NULL), ==, 0);
  d = g_ascii_strtod (out, NULL);
  g_free (out);
  return d;
}

/* Audio that starts 100 ms after the video (tfdt of its first fragment
 * > 0) keeps its start time through an edit list. */
static void
test_late_track (void)
{
  gchar *dir, *in, *out;
  GError *err = NULL;

  if (!have_tools ())
    return;
  dir = g_dir_make_tmp ("rr-mp4defrag-XXXXXX", NULL);
  in = g_build_filename (dir, "in.mp4", NULL);
  out = g_build_filename (dir, "out.mp4", NULL);
  record (pipeline_av_opus, in);
  shift_tfdt (in, 2, 4800);     /* track 2: Opus, timescale 48000 */
  g_assert_cmpfloat_with_epsilon (probe_start (in, "a:0"), 0.1, 0.001);

  g_assert_true (rr_mp4_defragment (in, out, &err));
  g_assert_no_error (err);
  assert_normal_mp4 (out);
  assert_decodes_cleanly (out);
  assert_same_packets (in, out);
  g_assert_cmpfloat_with_epsilon (probe_start (out, "a:0"), 0.1, 0.001);
  g_assert_cmpfloat_with_epsilon (probe_duration (out), probe_duration (in),
      0.1);
  remove_dir (dir);
  g_free (in);
  g_free (out);
  g_free (dir);
}

/* A track without a single sample is left out of the normal MP4 (players
 * refuse a track without a sample description); the others stay. */
static void
test_empty_track (void)
{
  gchar *dir, *in, *out, *probe;
  GError *err = NULL;

  if (!have_tools ())
    return;
  dir = g_dir_make_tmp ("rr-mp4defrag-XXXXXX", NULL);
  in = g_build_filename (dir, "in.mp4", NULL);
  out = g_build_filename (dir, "out.mp4", NULL);
  record (pipeline_empty_video, in);
  g_assert_true (rr_mp4_defragment (in, out, &err));
  g_assert_no_error (err);
  assert_normal_mp4 (out);
  assert_decodes_cleanly (out);
  probe = probe_frames (out);
  g_assert_null (strstr (probe, "h264"));
  g_assert_cmpuint (frames_of (probe, "opus"), >=, 130);
  g_assert_cmpfloat_with_epsilon (probe_duration (out), 3.0, 0.1);
  g_free (probe);
  remove_dir (dir);
  g_free (in);
  g_free (out);
  g_free (dir);
}

/* The output may replace the input. */
static void
test_in_place (void)
{
  gchar *dir, *in;
  GError *err = NULL;

  if (!have_tools ())
    return;
  dir = g_dir_make_tmp ("rr-mp4defrag-XXXXXX", NULL);
  in = g_build_filename (dir, "in.mp4", NULL);
  record (pipeline_video_only, in);
  g_assert_true (rr_mp4_defragment (in, in, &err));
  g_assert_no_error (err);
  assert_normal_mp4 (in);
  assert_decodes_cleanly (in);
  /* and a second run sees a normal file */
  g_assert_false (rr_mp4_defragment (in, in, &err));
  g_assert_error (err, RR_MP4DEFRAG_ERROR, RR_MP4DEFRAG_ERROR_NOT_FRAGMENTED);
  g_clear_error (&err);
  assert_normal_mp4 (in);
  g_assert_cmpuint (dir_entries (dir), ==, 1);
  remove_dir (dir);
  g_free (in);
  g_free (dir);
}

/* rr_mp4_finalize: the same samples, a normal MP4 with the moov at the
 * end, the media never copied (the mdat boxes keep their offsets). */
static void
test_finalize (void)
{
  gchar *dir, *in, *ref, *boxes, *moov = NULL, *ref_boxes;
  gsize moov_len = 0;
  GError *err = NULL;
  GStatBuf before, after;

  if (!have_tools ())
    return;
  dir = g_dir_make_tmp ("rr-mp4defrag-XXXXXX", NULL);
  in = g_build_filename (dir, "in.mp4", NULL);
  ref = g_build_filename (dir, "ref.mp4", NULL);
  record (pipeline_av_opus, in);
  g_assert_true (rr_mp4_defragment (in, ref, &err));
  g_assert_no_error (err);
  ref_boxes = top_level_boxes (in, NULL, NULL);
  g_assert_nonnull (strstr (ref_boxes, "moof"));
  g_assert_cmpint (g_stat (in, &before), ==, 0);

  g_assert_true (rr_mp4_finalize (in, &err));
  g_assert_no_error (err);
  g_assert_cmpint (g_stat (in, &after), ==, 0);
  boxes = top_level_boxes (in, &moov, &moov_len);
  g_test_message ("before: %s; after: %s", ref_boxes, boxes);
  /* ftyp, the old moov and every moof now 'free', the mdats, then the moov */
  g_assert_true (g_str_has_prefix (boxes, "ftyp free "));
  g_assert_true (g_str_has_suffix (boxes, " moov"));
  g_assert_nonnull (strstr (boxes, " mdat "));
  g_assert_null (strstr (boxes, "moof"));
  g_assert_false (mem_contains (moov, moov_len, "mvex"));
  g_assert_true (mem_contains (moov, moov_len, "co64"));
  /* only a moov was added */
  g_assert_cmpint (after.st_size, ==, before.st_size + (gint64) moov_len + 8);
  assert_decodes_cleanly (in);
  assert_same_packets (ref, in);
  g_assert_cmpfloat_with_epsilon (probe_duration (in), probe_duration (ref),
      0.01);
  /* a second run sees a normal file */
  g_assert_false (rr_mp4_finalize (in, &err));
  g_assert_error (err, RR_MP4DEFRAG_ERROR, RR_MP4DEFRAG_ERROR_NOT_FRAGMENTED);
  g_clear_error (&err);

  g_free (boxes);
  g_free (ref_boxes);
  g_free (moov);
  remove_dir (dir);
  g_free (in);
  g_free (ref);
  g_free (dir);
}

/* A file cut by a kill is rewritten (rr_mp4_defragment) instead. */
static void
test_finalize_truncated (void)
{
  gchar *dir, *in;
  GError *err = NULL;
  GStatBuf st;

  if (!have_tools ())
    return;
  dir = g_dir_make_tmp ("rr-mp4defrag-XXXXXX", NULL);
  in = g_build_filename (dir, "in.mp4", NULL);
  record (pipeline_video_only, in);
  g_assert_cmpint (g_stat (in, &st), ==, 0);
  g_assert_cmpint (truncate (in, st.st_size - 100), ==, 0);
  g_assert_true (rr_mp4_finalize (in, &err));
  g_assert_no_error (err);
  assert_normal_mp4 (in);
  assert_decodes_cleanly (in);
  remove_dir (dir);
  g_free (in);
  g_free (dir);
}

/* Random byte flips and cuts of a real recording: errors are fine, crashes
 * (under ASan/UBSan), hangs and huge outputs are not. */
static void
test_corrupted (void)
{
  gchar *dir, *in, *bad, *out, *data;
  gsize len;
  GRand *rand;
  guint i, ok = 0;

  if (!have_tools ())
    return;
  dir = g_dir_make_tmp ("rr-mp4defrag-XXXXXX", NULL);
  in = g_build_filename (dir, "in.mp4", NULL);
  bad = g_build_filename (dir, "bad.mp4", NULL);
  out = g_build_filename (dir, "out.mp4", NULL);
  record (pipeline_av_opus, in);
  g_assert_true (g_file_get_contents (in, &data, &len, NULL));
  rand = g_rand_new_with_seed (4242);

  for (i = 0; i < 300; i++) {
    gchar *copy = g_memdup2 (data, len);
    GArray *offs;
    gsize cut = len, j, flips = g_rand_int_range (rand, 1, 8);
    GError *err = NULL;

    /* most headers are in the first KiB and at the moof offsets */
    offs = box_offsets (in, "moof");
    for (j = 0; j < flips; j++) {
      gsize base = g_rand_boolean (rand) ? 0 :
          g_array_index (offs, gsize, g_rand_int_range (rand, 0, offs->len));
      gsize pos = MIN (len - 1, base + g_rand_int_range (rand, 0, 1500));
      copy[pos] = g_rand_boolean (rand) ? (gchar) g_rand_int (rand) :
          copy[pos] ^ (1 << g_rand_int_range (rand, 0, 8));
    }
    g_array_unref (offs);
    if (i % 3 == 0)
      cut = g_rand_int_range (rand, 0, len);
    g_assert_true (g_file_set_contents (bad, copy, cut, NULL));
    if (rr_mp4_defragment (bad, out, &err)) {
      GStatBuf st;
      g_assert_no_error (err);
      g_assert_cmpint (g_stat (out, &st), ==, 0);
      g_assert_cmpint (st.st_size, <=, (gint64) cut + 64 * 1024);
      ok++;
    } else {
      g_assert_nonnull (err);
      g_assert_true (err->domain == RR_MP4DEFRAG_ERROR);
      g_clear_error (&err);
    }
    g_unlink (out);
    g_free (copy);
  }
  g_test_message ("%u of 300 corrupted files were accepted", ok);
  g_assert_cmpuint (dir_entries (dir), ==, 2);

  g_rand_free (rand);
  g_free (data);
  remove_dir (dir);
  g_free (in);
  g_free (bad);
  g_free (out);
  g_free (dir);
}

/* ------------------------------------------------------------------------ */
/* hand-made inputs (no tools needed) */

static gboolean
defrag_bytes (const guint8 * bytes, gsize len, GError ** err)
{
  gchar *dir = g_dir_make_tmp ("rr-mp4defrag-XXXXXX", NULL);
  gchar *in = g_build_filename (dir, "in.mp4", NULL);
  gchar *out = g_build_filename (dir, "out.mp4", NULL);
  gboolean ok;

  g_assert_true (g_file_set_contents (in, (const gchar *) bytes, len, NULL));
  ok = rr_mp4_defragment (in, out, err);
  if (!ok) {
    /* nothing is left at the output path */
    g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
    g_assert_cmpuint (dir_entries (dir), ==, 1);
  }
  remove_dir (dir);
  g_free (in);
  g_free (out);
  g_free (dir);
  return ok;
}

static void
test_not_fragmented_minimal (void)
{
  /* ftyp, moov { mvhd v0 }, mdat */
  guint8 file[16 + 8 + 108 + 12];
  GError *err = NULL;

  memset (file, 0, sizeof (file));
  put32 (file, 16);
  memcpy (file + 4, "ftypisom", 8);
  put32 (file + 16, 8 + 108);
  memcpy (file + 20, "moov", 4);
  put32 (file + 24, 108);
  memcpy (file + 28, "mvhd", 4);
  put32 (file + 24 + 8 + 12, 1000);     /* timescale */
  put32 (file + 132, 12);
  memcpy (file + 136, "mdat", 4);
  g_assert_false (defrag_bytes (file, sizeof (file), &err));
  g_assert_error (err, RR_MP4DEFRAG_ERROR, RR_MP4DEFRAG_ERROR_NOT_FRAGMENTED);
  g_clear_error (&err);
}

static void
test_empty_and_garbage (void)
{
  guint8 buf[4096];
  GRand *rand = g_rand_new_with_seed (1);
  GError *err = NULL;
  guint i, j;

  g_assert_false (defrag_bytes (buf, 0, &err));
  g_assert_error (err, RR_MP4DEFRAG_ERROR, RR_MP4DEFRAG_ERROR_TRUNCATED);
  g_clear_error (&err);

  for (i = 0; i < 200; i++) {
    gsize len = g_rand_int_range (rand, 1, sizeof (buf));

    for (j = 0; j < len; j++)
      buf[j] = g_rand_int (rand);
    /* sometimes a plausible start: ftyp then a box header */
    if (i % 2 == 0 && len >= 24) {
      put32 (buf, 16);
      memcpy (buf + 4, "ftypisom", 8);
      memcpy (buf + 20, i % 4 ? "moov" : "moof", 4);
      put32 (buf + 16, g_rand_int_range (rand, 0, len));
    }
    g_assert_false (defrag_bytes (buf, len, &err));
    g_assert_nonnull (err);
    g_assert_true (err->domain == RR_MP4DEFRAG_ERROR);
    g_clear_error (&err);
  }
  g_rand_free (rand);

  /* a missing input */
  g_assert_false (rr_mp4_defragment ("/nonexistent/in.mp4",
          "/nonexistent/out.mp4", &err));
  g_assert_error (err, RR_MP4DEFRAG_ERROR, RR_MP4DEFRAG_ERROR_IO);
  g_clear_error (&err);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mp4defrag/not-fragmented-minimal",
      test_not_fragmented_minimal);
  g_test_add_func ("/mp4defrag/empty-and-garbage", test_empty_and_garbage);
  g_test_add_func ("/mp4defrag/h264-bframes-opus", test_h264_bframes_opus);
  g_test_add_func ("/mp4defrag/h264-video-only", test_h264_video_only);
  g_test_add_func ("/mp4defrag/h264-aac", test_h264_aac);
  g_test_add_func ("/mp4defrag/truncated", test_truncated);
  g_test_add_func ("/mp4defrag/not-fragmented", test_not_fragmented_recording);
  g_test_add_func ("/mp4defrag/late-track", test_late_track);
  g_test_add_func ("/mp4defrag/empty-track", test_empty_track);
  g_test_add_func ("/mp4defrag/in-place", test_in_place);
  g_test_add_func ("/mp4defrag/finalize", test_finalize);
  g_test_add_func ("/mp4defrag/finalize-truncated", test_finalize_truncated);
  g_test_add_func ("/mp4defrag/corrupted", test_corrupted);
  return g_test_run ();
}
