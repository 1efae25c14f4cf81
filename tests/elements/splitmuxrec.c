/* roomrec — splitmuxrec tests: real encoders, real files, demuxed and
 * decoded again.
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "filecheck.h"

static gchar *tmpdir;

static void
tempdir_setup (void)
{
  tmpdir = g_dir_make_tmp ("splitmuxrec-XXXXXX", NULL);
}

static void
tempdir_cleanup (void)
{
  rr_test_rm_rf (tmpdir);
  g_free (tmpdir);
}

static gboolean
have (const gchar * factory)
{
  GstElementFactory *f = gst_element_factory_find (factory);
  if (f)
    gst_object_unref (f);
  return f != NULL;
}

/* ---------------------------------------------------------------- */

GST_START_TEST (test_dual_output_webm_vp8_opus)
{
  gchar *desc, *path;
  RrTestRun run;
  RrTestMediaInfo mi;
  JsonObject *o;
  guint total = 0;
  GStatBuf st;

  desc = g_strdup_printf ("splitmuxrec name=rec archive-dir=%s "
      "recording-id=rec1 connection-id=alice format=webm "
      "split-duration=2000000000 metadata={\"spam\":\"egg\"} "
      "videotestsrc num-buffers=150 ! video/x-raw,framerate=30/1 ! "
      "vp8enc deadline=1 keyframe-max-dist=15 ! rec. "
      "audiotestsrc num-buffers=250 ! opusenc ! rec.", tmpdir);
  rr_test_run_pipeline (desc, &run);
  fail_unless (run.error == NULL, "pipeline error: %s", run.error);

  /* the whole file */
  path = g_build_filename (tmpdir, "rec1", "archive-alice.webm", NULL);
  rr_test_media_info (path, &mi);
  fail_unless_equals_int (mi.video_frames, 150);
  fail_unless (mi.first_video_is_keyframe);
  fail_unless (mi.audio_frames >= 240, "audio frames %u", mi.audio_frames);
  fail_unless_equals_int (rr_test_decoded_video_frames (path), 150);
  fail_unless (g_stat (path, &st) == 0);
  g_free (path);

  o = rr_test_load_json (tmpdir, "rec1/archive-alice.json");
  fail_unless_equals_string (json_object_get_string_member (o,
          "video_codec_type"), "VP8");
  fail_unless_equals_string (json_object_get_string_member (o,
          "audio_codec_type"), "OPUS");
  fail_unless_equals_string (json_object_get_string_member (o,
          "connection_id"), "alice");
  fail_unless_equals_string (json_object_get_string_member (o, "format"),
      "webm");
  fail_unless_equals_int (json_object_get_int_member (o, "size"), st.st_size);
  fail_unless_equals_int (json_object_get_int_member (o, "video_width"), 320);
  fail_unless (g_str_has_suffix (json_object_get_string_member (o,
              "file_path"), "/rec1/archive-alice.webm"));
  fail_unless (g_path_is_absolute (json_object_get_string_member (o,
              "file_path")));
  fail_unless_equals_string (json_object_get_string_member
      (json_object_get_object_member (o, "event_metadata"), "spam"), "egg");
  fail_unless (!json_object_has_member (o, "split_index"));
  json_object_unref (o);

  /* split files: 2 s each, cut at the key frame at 2.0 s and 4.0 s */
  for (guint i = 1; i <= 3; i++) {
    gchar *name = g_strdup_printf ("rec1/split-archive-alice_%04u.webm", i);
    gchar *json = g_strdup_printf ("rec1/split-archive-alice_%04u.json", i);
    gchar *idx = g_strdup_printf ("%04u", i);

    path = g_build_filename (tmpdir, name, NULL);
    rr_test_media_info (path, &mi);
    fail_unless (mi.first_video_is_keyframe, "%s starts without key frame",
        name);
    if (i < 3)
      fail_unless_equals_int (mi.video_frames, 60);
    total += mi.video_frames;
    o = rr_test_load_json (tmpdir, json);
    fail_unless_equals_string (json_object_get_string_member (o,
            "split_index"), idx);
    fail_unless_equals_int (json_object_get_int_member (o,
            "start_time_offset_ms") / 100,
        json_object_get_int_member (o, "start_time_offset_ms") / 100);
    json_object_unref (o);
    g_free (path);
    g_free (name);
    g_free (json);
    g_free (idx);
  }
  fail_unless_equals_int (total, 150);
  path = g_build_filename (tmpdir, "rec1/split-archive-alice_0004.webm", NULL);
  fail_if (g_file_test (path, G_FILE_TEST_EXISTS));
  g_free (path);

  o = rr_test_load_json (tmpdir, "rec1/split-archive-end-alice.json");
  fail_unless_equals_string (json_object_get_string_member (o,
          "split_last_index"), "0003");
  json_object_unref (o);

  /* messages a webhook forwarder will use */
  fail_unless_equals_int (rr_test_count (&run, "splitmuxrec-archive-started"),
      4);
  fail_unless_equals_int (rr_test_count (&run,
          "splitmuxrec-split-archive-available"), 3);
  fail_unless_equals_int (rr_test_count (&run,
          "splitmuxrec-archive-available"), 1);
  fail_unless_equals_int (rr_test_count (&run,
          "splitmuxrec-split-archive-end"), 1);
  fail_unless_equals_int (rr_test_count (&run, "splitmuxrec-archive-failed"),
      0);

  /* nothing left behind in the temp dir */
  path = g_build_filename (tmpdir, ".roomrec-tmp", NULL);
  fail_unless_equals_int (rr_test_count_files (path), 0);
  g_free (path);

  rr_test_run_clear (&run);
  g_free (desc);
}

GST_END_TEST;

GST_START_TEST (test_split_only)
{
  gchar *desc, *path;
  RrTestRun run;

  desc = g_strdup_printf ("videotestsrc num-buffers=60 ! "
      "video/x-raw,framerate=30/1 ! vp8enc deadline=1 keyframe-max-dist=10 ! "
      "splitmuxrec archive-dir=%s recording-id=r connection-id=c "
      "format=webm split-duration=1000000000 split-only=true", tmpdir);
  rr_test_run_pipeline (desc, &run);
  fail_unless (run.error == NULL, "pipeline error: %s", run.error);
  path = g_build_filename (tmpdir, "r", "archive-c.webm", NULL);
  fail_if (g_file_test (path, G_FILE_TEST_EXISTS));
  g_free (path);
  path = g_build_filename (tmpdir, "r", "split-archive-c_0002.webm", NULL);
  fail_unless (g_file_test (path, G_FILE_TEST_EXISTS));
  g_free (path);
  fail_unless_equals_int (rr_test_count (&run,
          "splitmuxrec-split-archive-available"), 2);
  rr_test_run_clear (&run);
  g_free (desc);
}

GST_END_TEST;

GST_START_TEST (test_h264_mp4)
{
  gchar *desc, *path;
  RrTestRun run;
  RrTestMediaInfo mi;
  JsonObject *o;

  if (!have ("x264enc"))
    return;
  desc = g_strdup_printf ("videotestsrc num-buffers=90 ! "
      "video/x-raw,width=640,height=360,framerate=30/1 ! "
      "x264enc key-int-max=30 speed-preset=ultrafast ! "
      "splitmuxrec archive-dir=%s recording-id=r connection-id=bob "
      "format=mp4", tmpdir);
  rr_test_run_pipeline (desc, &run);
  fail_unless (run.error == NULL, "pipeline error: %s", run.error);
  path = g_build_filename (tmpdir, "r", "archive-bob.mp4", NULL);
  rr_test_media_info (path, &mi);
  fail_unless_equals_int (mi.video_frames, 90);
  fail_unless (mi.first_video_is_keyframe);
  fail_unless_equals_string (mi.video_caps_name, "video/x-h264");
  fail_unless_equals_int (rr_test_decoded_video_frames (path), 90);
  fail_unless (mi.duration > 2.9 * GST_SECOND && mi.duration < 3.1 *
      GST_SECOND, "duration %" GST_TIME_FORMAT, GST_TIME_ARGS (mi.duration));
  /* written fragmented (crash-safe), a normal MP4 after the clean stop */
  fail_unless (rr_test_mp4_has_box (path, "moov"));
  fail_unless (!rr_test_mp4_has_box (path, "moof"));
  g_free (path);
  o = rr_test_load_json (tmpdir, "r/archive-bob.json");
  fail_unless_equals_string (json_object_get_string_member (o,
          "video_codec_type"), "H264");
  fail_unless_equals_int (json_object_get_int_member (o, "video_width"), 640);
  fail_unless_equals_int (json_object_get_int_member (o, "video_height"), 360);
  fail_unless (!json_object_get_boolean_member (o, "audio"));
  json_object_unref (o);
  rr_test_run_clear (&run);
  g_free (desc);
}

GST_END_TEST;

GST_START_TEST (test_opus_mp4_gets_spec_dops)
{
  gchar *desc, *path;
  RrTestRun run;
  guint8 dops[11];

  desc = g_strdup_printf ("audiotestsrc num-buffers=100 ! opusenc ! "
      "splitmuxrec archive-dir=%s recording-id=r connection-id=a "
      "format=mp4", tmpdir);
  rr_test_run_pipeline (desc, &run);
  fail_unless (run.error == NULL, "pipeline error: %s", run.error);
  /* audio-only MP4 is .m4a */
  path = g_build_filename (tmpdir, "r", "archive-a.m4a", NULL);
  fail_unless (rr_test_mp4_moov_dops (path, dops));
  /* Version 0, PreSkip 312, InputSampleRate 48000 — big-endian */
  fail_unless_equals_int (dops[0], 0);
  fail_unless_equals_int ((dops[2] << 8) | dops[3], 312);
  fail_unless_equals_int (((guint32) dops[4] << 24) | (dops[5] << 16) |
      (dops[6] << 8) | dops[7], 48000);
  g_free (path);
  rr_test_run_clear (&run);
  g_free (desc);
}

GST_END_TEST;

/* Browsers' Opus caps have no rate: 1.22.0's muxers refuse them alone */
GST_START_TEST (test_browser_opus_caps_without_rate)
{
  gchar *desc, *path;
  RrTestRun run;
  RrTestMediaInfo mi;

  desc = g_strdup_printf ("audiotestsrc num-buffers=100 samplesperbuffer=960 "
      "! audio/x-raw,rate=48000 ! opusenc frame-size=20 ! "
      "capssetter replace=true "
      "caps=\"audio/x-opus,channel-mapping-family=0,channels=1\" ! "
      "splitmuxrec archive-dir=%s recording-id=r connection-id=o "
      "format=webm", tmpdir);
  rr_test_run_pipeline (desc, &run);
  fail_unless (run.error == NULL, "pipeline error: %s", run.error);
  path = g_build_filename (tmpdir, "r", "archive-o.webm", NULL);
  rr_test_media_info (path, &mi);
  /* 2 s of 20 ms frames (opusenc may add one for its delay) */
  fail_unless (mi.audio_frames >= 100 && mi.audio_frames <= 101, "%u frames",
      mi.audio_frames);
  fail_unless_equals_string (mi.audio_caps_name, "audio/x-opus");
  g_free (path);
  rr_test_run_clear (&run);
  g_free (desc);
}

GST_END_TEST;

static void
check_refused (const gchar * encoder, const gchar * format,
    const gchar * codec_word)
{
  gchar *desc;
  RrTestRun run;

  desc = g_strdup_printf ("videotestsrc num-buffers=10 ! %s ! "
      "splitmuxrec archive-dir=%s recording-id=r connection-id=c format=%s",
      encoder, tmpdir, format);
  rr_test_run_pipeline (desc, &run);
  fail_unless (run.error != NULL, "%s in %s was accepted", codec_word, format);
  fail_unless (strstr (run.error, codec_word) != NULL, "error: %s", run.error);
  fail_unless (strstr (run.error, format) != NULL, "error: %s", run.error);
  rr_test_run_clear (&run);
  g_free (desc);
}

GST_START_TEST (test_refuses_impossible_pairs)
{
  if (have ("x265enc"))
    check_refused ("x265enc", "webm", "H265");
  check_refused ("vp8enc deadline=1", "mp4", "VP8");
  check_refused ("vp8enc deadline=1", "hls", "VP8");
}

GST_END_TEST;

GST_START_TEST (test_unwritable_dir)
{
  GstElement *rec = gst_element_factory_make ("splitmuxrec", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;

  gst_element_set_bus (rec, bus);
  g_object_set (rec, "archive-dir", "/proc/roomrec-cannot-write", NULL);
  fail_unless_equals_int (gst_element_set_state (rec, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "/proc/roomrec-cannot-write") != NULL,
      "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_state (rec, GST_STATE_NULL);
  gst_element_set_bus (rec, NULL);
  gst_object_unref (bus);
  gst_object_unref (rec);
}

GST_END_TEST;

GST_START_TEST (test_bad_settings)
{
  const gchar *bad[] = {
    "metadata={not-json",
    "split-only=true",
    "naming-template=../../escape",
    "naming-template=/abs/{connection_id}",
    "format=hls split-duration=1000000000",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    gchar *desc = g_strdup_printf ("videotestsrc num-buffers=5 ! vp8enc ! "
        "splitmuxrec archive-dir=%s format=webm %s", tmpdir, bad[i]);
    RrTestRun run;

    rr_test_run_pipeline (desc, &run);
    fail_unless (run.error != NULL, "'%s' was accepted", bad[i]);
    rr_test_run_clear (&run);
    g_free (desc);
  }
}

GST_END_TEST;

GST_START_TEST (test_hostile_ids_stay_inside)
{
  gchar *desc, *outside;
  RrTestRun run;
  gchar *archive = g_build_filename (tmpdir, "a", "b", NULL);

  /* ids that try to climb out of archive-dir */
  desc = g_strdup_printf ("videotestsrc num-buffers=10 ! vp8enc ! "
      "splitmuxrec archive-dir=%s recording-id=.. "
      "connection-id=../../../evil format=webm", archive);
  rr_test_run_pipeline (desc, &run);
  fail_unless (run.error == NULL, "pipeline error: %s", run.error);
  outside = g_build_filename (tmpdir, "evil.webm", NULL);
  fail_if (g_file_test (outside, G_FILE_TEST_EXISTS));
  fail_unless_equals_int (rr_test_count_files (tmpdir),
      rr_test_count_files (archive));
  fail_unless_equals_int (rr_test_count (&run,
          "splitmuxrec-archive-available"), 1);
  rr_test_run_clear (&run);
  g_free (outside);
  g_free (archive);
  g_free (desc);
}

GST_END_TEST;

GST_START_TEST (test_hls_playlist)
{
  gchar *desc, *path, *text = NULL;
  RrTestRun run;
  RrTestMediaInfo mi;
  gchar **lines;
  guint pdt = 0, segments = 0;

  if (!have ("x264enc"))
    return;
  desc = g_strdup_printf ("splitmuxrec name=r archive-dir=%s "
      "recording-id=r connection-id=d format=hls "
      "hls-target-duration=1000000000 "
      "videotestsrc num-buffers=90 ! video/x-raw,framerate=30/1 ! "
      "x264enc key-int-max=10 speed-preset=ultrafast ! r. "
      "audiotestsrc num-buffers=150 ! voaacenc ! r.", tmpdir);
  rr_test_run_pipeline (desc, &run);
  fail_unless (run.error == NULL, "pipeline error: %s", run.error);
  path = g_build_filename (tmpdir, "r", "archive-d.m3u8", NULL);
  fail_unless (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  fail_unless_equals_string (lines[0], "#EXTM3U");
  for (guint i = 0; lines[i]; i++) {
    if (g_str_has_prefix (lines[i], "#EXT-X-PROGRAM-DATE-TIME:"))
      pdt++;
    if (g_str_has_suffix (lines[i], ".ts"))
      segments++;
  }
  fail_unless_equals_int (segments, 3);
  fail_unless_equals_int (pdt, segments);
  fail_unless (strstr (text, "#EXT-X-ENDLIST") != NULL);
  g_strfreev (lines);
  g_free (text);
  g_free (path);

  path = g_build_filename (tmpdir, "r", "archive-d_0002.ts", NULL);
  rr_test_media_info (path, &mi);
  fail_unless (mi.first_video_is_keyframe);
  fail_unless_equals_int (mi.video_frames, 30);
  g_free (path);
  fail_unless_equals_int (rr_test_count (&run, "splitmuxrec-hls-slice"), 1);
  rr_test_run_clear (&run);
  g_free (desc);
}

GST_END_TEST;

GST_START_TEST (test_forced_shards_by_size)
{
  gchar *desc, *path;
  RrTestRun run;
  RrTestMediaInfo mi;
  guint total = 0, n;

  desc = g_strdup_printf ("videotestsrc num-buffers=90 pattern=snow ! "
      "video/x-raw,framerate=30/1 ! vp8enc deadline=1 keyframe-max-dist=10 ! "
      "splitmuxrec archive-dir=%s recording-id=r connection-id=c "
      "format=webm max-size-bytes=200000", tmpdir);
  rr_test_run_pipeline (desc, &run);
  fail_unless (run.error == NULL, "pipeline error: %s", run.error);
  n = rr_test_count (&run, "splitmuxrec-archive-available");
  fail_unless (n >= 2, "only %u files", n);
  for (guint i = 1; i <= n; i++) {
    gchar *name = i == 1 ? g_strdup ("archive-c.webm") :
        g_strdup_printf ("archive-c_%u.webm", i - 1);
    path = g_build_filename (tmpdir, "r", name, NULL);
    rr_test_media_info (path, &mi);
    fail_unless (mi.first_video_is_keyframe);
    total += mi.video_frames;
    g_free (path);
    g_free (name);
  }
  fail_unless_equals_int (total, 90);
  rr_test_run_clear (&run);
  g_free (desc);
}

GST_END_TEST;

/* A resolution change in the middle (browsers adapt to bandwidth): where
 * the container takes it, one file; elsewhere a new file at the change.
 * Every frame decodes either way. */
GST_START_TEST (test_resolution_change)
{
  const struct
  {
    const gchar *encoder, *format, *ext;
    guint files;
  } cases[] = {
    {"vp8enc deadline=1", "webm", "webm", 1},
    {"vp9enc deadline=1", "webm", "webm", 1},
    {"vp9enc deadline=1", "mp4", "mp4", 2},
    {"x264enc speed-preset=ultrafast", "mp4", "mp4", 2},
    {"x264enc speed-preset=ultrafast", "mkv", "mkv", 1},
    {"x265enc speed-preset=ultrafast", "mp4", "mp4", 2},
    {"av1enc cpu-used=8", "webm", "webm", 2},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *factory = g_strndup (cases[i].encoder,
        strcspn (cases[i].encoder, " "));
    gchar *conn = g_strdup_printf ("c%u", i);
    gchar *desc;
    RrTestRun run;
    guint decoded = 0;

    if (!have (factory)) {
      g_free (factory);
      g_free (conn);
      continue;
    }
    desc = g_strdup_printf ("concat name=c ! splitmuxrec archive-dir=%s "
        "recording-id=r connection-id=%s format=%s "
        "videotestsrc num-buffers=30 ! "
        "video/x-raw,width=320,height=240,framerate=30/1 ! %s ! c. "
        "videotestsrc num-buffers=30 ! "
        "video/x-raw,width=640,height=480,framerate=30/1 ! %s ! c.",
        tmpdir, conn, cases[i].format, cases[i].encoder, cases[i].encoder);
    rr_test_run_pipeline (desc, &run);
    fail_unless (run.error == NULL, "%s/%s: %s", factory, cases[i].format,
        run.error);
    fail_unless_equals_int (rr_test_count (&run,
            "splitmuxrec-archive-available"), cases[i].files);
    for (guint n = 1; n <= cases[i].files; n++) {
      gchar *name = n == 1 ? g_strdup_printf ("archive-%s.%s", conn,
          cases[i].ext) : g_strdup_printf ("archive-%s_%u.%s", conn, n - 1,
          cases[i].ext);
      gchar *path = g_build_filename (tmpdir, "r", name, NULL);
      RrTestMediaInfo mi;

      gchar *json = g_strdup_printf ("r/%.*s.json",
          (int) (strlen (name) - strlen (cases[i].ext) - 1), name);
      JsonObject *o = rr_test_load_json (tmpdir, json);

      /* sizes per file: the largest in that file */
      fail_unless_equals_int (json_object_get_int_member (o, "video_width"),
          cases[i].files == 1 || n == 2 ? 640 : 320);
      json_object_unref (o);
      g_free (json);
      rr_test_media_info (path, &mi);
      fail_unless (mi.first_video_is_keyframe, "%s", name);
      /* FFmpeg: 1.22's qtdemux drops the first two frames of fragmented
       * H.265 with B-frames (a file FFmpeg decodes whole) */
      decoded += rr_test_ffmpeg_video_frames (path);
      g_free (path);
      g_free (name);
    }
    fail_unless (decoded == 60, "%s/%s: %u frames decoded", factory,
        cases[i].format, decoded);
    rr_test_run_clear (&run);
    g_free (desc);
    g_free (conn);
    g_free (factory);
  }
}

GST_END_TEST;

/* ---------------------------------------------------------------- */
/* key frame requests and the pause rule, with a harness             */

static GstBus *harness_bus;

static void
harness_setup (void)
{
  tempdir_setup ();
  harness_bus = gst_bus_new ();
}

static void
harness_cleanup (void)
{
  gst_object_unref (harness_bus);
  tempdir_cleanup ();
}

/* EOS in, then wait until the element has finished every file */
static void
finish (GstHarness * h)
{
  GstMessage *msg;

  gst_harness_push_event (h, gst_event_new_eos ());
  msg = gst_bus_timed_pop_filtered (harness_bus, 20 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_harness_teardown (h);
}

static GstHarness *
vp8_harness (const gchar * props)
{
  gchar *desc = g_strdup_printf ("splitmuxrec archive-dir=%s "
      "recording-id=h connection-id=c format=webm %s", tmpdir, props);
  GstElement *rec = gst_parse_launch (desc, NULL);
  GstHarness *h;

  g_free (desc);
  fail_unless (rec != NULL);
  /* a bus to see the element's EOS: files are complete only then */
  gst_element_set_bus (rec, harness_bus);
  h = gst_harness_new_with_element (rec, "sink_%u", NULL);
  gst_object_unref (rec);
  gst_harness_set_src_caps_str (h,
      "video/x-vp8, width=(int)320, height=(int)240, framerate=(fraction)30/1");
  return h;
}

static GstFlowReturn
push_frame (GstHarness * h, GstClockTime pts, gboolean key)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 100, NULL);

  gst_buffer_memset (buf, 0, key ? 0x10 : 0x11, 100);
  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  if (!key)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  return gst_harness_push (h, buf);
}

static guint
drain_keyframe_requests (GstHarness * h)
{
  GstEvent *ev;
  guint n = 0;

  while ((ev = gst_harness_try_pull_upstream_event (h))) {
    if (gst_video_event_is_force_key_unit (ev))
      n++;
    gst_event_unref (ev);
  }
  return n;
}

GST_START_TEST (test_keyframe_requests)
{
  GstHarness *h = vp8_harness ("pli-interval=2000000000 track-wait=0");
  GstClockTime t;

  /* a recording never starts on a delta frame: it is dropped and a key
   * frame requested */
  fail_unless_equals_int (push_frame (h, 0, FALSE), GST_FLOW_OK);
  fail_unless_equals_int (drain_keyframe_requests (h), 1);

  /* key frame, then 5 s without one: requests at 2 s and 4 s */
  push_frame (h, GST_SECOND / 30, TRUE);
  fail_unless_equals_int (drain_keyframe_requests (h), 0);
  for (t = 2 * GST_SECOND / 30; t < GST_SECOND * 19 / 10; t += GST_SECOND / 30)
    push_frame (h, t, FALSE);
  fail_unless_equals_int (drain_keyframe_requests (h), 0);
  for (; t < GST_SECOND * 21 / 10; t += GST_SECOND / 30)
    push_frame (h, t, FALSE);
  fail_unless_equals_int (drain_keyframe_requests (h), 1);
  for (; t < GST_SECOND * 41 / 10; t += GST_SECOND / 30)
    push_frame (h, t, FALSE);
  fail_unless_equals_int (drain_keyframe_requests (h), 1);

  /* a key frame from the sender resets the interval */
  push_frame (h, t, TRUE);
  t += GST_SECOND / 30;
  for (; t < GST_SECOND * 58 / 10; t += GST_SECOND / 30)
    push_frame (h, t, FALSE);
  fail_unless_equals_int (drain_keyframe_requests (h), 0);

  finish (h);
}

GST_END_TEST;

GST_START_TEST (test_keyframe_request_at_split)
{
  GstHarness *h = vp8_harness ("split-duration=1000000000 split-only=true "
      "track-wait=0");
  GstClockTime t = 0;

  push_frame (h, 0, TRUE);
  for (t = GST_SECOND / 30; t < GST_SECOND * 29 / 30; t += GST_SECOND / 30)
    push_frame (h, t, FALSE);
  fail_unless_equals_int (drain_keyframe_requests (h), 0);
  /* crossing 1 s without a key frame asks for one */
  push_frame (h, t, FALSE);
  t += GST_SECOND / 30;
  push_frame (h, t, FALSE);
  fail_unless_equals_int (drain_keyframe_requests (h), 1);
  finish (h);
}

GST_END_TEST;

GST_START_TEST (test_pause_starts_new_file)
{
  GstHarness *h = vp8_harness ("max-pause=1000000000 track-wait=0");
  GstClockTime t;
  gchar *first, *second, *third;
  JsonObject *o;
  JsonArray *events;

  for (t = 0; t < 2 * GST_SECOND; t += GST_SECOND / 30)
    push_frame (h, t, (t / (GST_SECOND / 30)) % 15 == 0);
  /* 0.5 s gap: same file */
  t += GST_SECOND / 2;
  for (guint i = 0; i < 30; i++, t += GST_SECOND / 30)
    push_frame (h, t, i % 15 == 0);
  /* 5 s gap: new file */
  t += 5 * GST_SECOND;
  for (guint i = 0; i < 60; i++, t += GST_SECOND / 30)
    push_frame (h, t, i % 15 == 0);
  finish (h);

  first = g_build_filename (tmpdir, "h", "archive-c.webm", NULL);
  second = g_build_filename (tmpdir, "h", "archive-c_1.webm", NULL);
  third = g_build_filename (tmpdir, "h", "archive-c_2.webm", NULL);
  fail_unless (g_file_test (first, G_FILE_TEST_EXISTS));
  fail_unless (g_file_test (second, G_FILE_TEST_EXISTS));
  fail_if (g_file_test (third, G_FILE_TEST_EXISTS));
  o = rr_test_load_json (tmpdir, "h/archive-c.json");
  events = json_object_get_array_member (o, "events");
  fail_unless_equals_int (json_array_get_length (events), 1);
  fail_unless_equals_string (json_object_get_string_member
      (json_array_get_object_element (events, 0), "what"), "pause");
  json_object_unref (o);
  g_free (first);
  g_free (second);
  g_free (third);
}

GST_END_TEST;

/* splitmuxsink hands a GOP to its muxer only when the next key frame
 * arrives; splitmuxrec lets frames through as they come, so a browser's
 * 20 s between key frames is neither held in memory nor lost when the
 * recorder is killed. */
GST_START_TEST (test_frames_reach_the_file_before_the_next_key_frame)
{
  GstHarness *h = vp8_harness ("track-wait=0");
  gchar *path = g_build_filename (tmpdir, ".roomrec-tmp", "h",
      "archive-c.webm", NULL);
  RrTestMediaInfo mi = { 0 };

  for (guint i = 0; i < 90; i++) {
    /* 1000 bytes: filesink's 4 KiB buffer holds only the last few */
    GstBuffer *buf = gst_buffer_new_allocate (NULL, 1000, NULL);

    gst_buffer_memset (buf, 0, i == 0 ? 0x10 : 0x11, 1000);
    GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = i * GST_SECOND / 30;
    GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
    if (i > 0)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  /* the muxer and filesink run in splitmuxsink's threads: wait for them */
  for (guint tries = 0; tries < 100 && mi.video_frames < 70; tries++) {
    g_usleep (G_USEC_PER_SEC / 20);
    if (g_file_test (path, G_FILE_TEST_EXISTS))
      rr_test_media_info (path, &mi);
  }
  /* all but the last half second (and what filesink buffers) */
  fail_unless (mi.video_frames >= 70, "%u of 90 frames in the file while "
      "the recording waits for its next key frame", mi.video_frames);
  finish (h);
  g_free (path);

  path = g_build_filename (tmpdir, "h", "archive-c.webm", NULL);
  rr_test_media_info (path, &mi);
  fail_unless_equals_int (mi.video_frames, 90);
  fail_unless (mi.first_video_is_keyframe);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_bad_timestamps_survive)
{
  GstHarness *h = vp8_harness ("track-wait=0");
  GstBuffer *buf;
  gchar *path;
  RrTestMediaInfo mi;

  push_frame (h, 0, TRUE);
  /* no timestamps at all: dropped (1.22.0 splitmuxsink would assert) */
  buf = gst_buffer_new_allocate (NULL, 10, NULL);
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  /* DTS > PTS (1.22.0 splitmuxsink would hang) */
  buf = gst_buffer_new_allocate (NULL, 10, NULL);
  GST_BUFFER_PTS (buf) = GST_SECOND / 30;
  GST_BUFFER_DTS (buf) = GST_SECOND;
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  /* PTS only */
  buf = gst_buffer_new_allocate (NULL, 10, NULL);
  GST_BUFFER_PTS (buf) = 2 * GST_SECOND / 30;
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  push_frame (h, 3 * GST_SECOND / 30, FALSE);
  /* going back in time (a jitter buffer fed a burst): splitmuxsink would
   * fail the whole recording with "Queued GOP time is negative" */
  push_frame (h, 1 * GST_SECOND / 30, FALSE);
  push_frame (h, 4 * GST_SECOND / 30, FALSE);
  push_frame (h, 5 * GST_SECOND / 30, TRUE);
  push_frame (h, 6 * GST_SECOND / 30, FALSE);
  finish (h);

  path = g_build_filename (tmpdir, "h", "archive-c.webm", NULL);
  rr_test_media_info (path, &mi);
  /* all but the frame without timestamps */
  fail_unless_equals_int (mi.video_frames, 8);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_stream_notes_in_sidecar)
{
  GstHarness *h = vp8_harness ("track-wait=0");
  JsonObject *o, *ev;
  JsonArray *events;

  push_frame (h, 0, TRUE);
  gst_harness_push_event (h, gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
          gst_structure_new ("roomrec-stream-note", "what", G_TYPE_STRING,
              "ssrc-changed", "old-ssrc", G_TYPE_UINT, 1, "new-ssrc",
              G_TYPE_UINT, 2, NULL)));
  /* resolution change */
  gst_harness_set_src_caps_str (h, "video/x-vp8, width=(int)640, "
      "height=(int)480, framerate=(fraction)30/1");
  push_frame (h, GST_SECOND / 30, TRUE);
  finish (h);

  o = rr_test_load_json (tmpdir, "h/archive-c.json");
  events = json_object_get_array_member (o, "events");
  fail_unless_equals_int (json_array_get_length (events), 2);
  ev = json_array_get_object_element (events, 0);
  fail_unless_equals_string (json_object_get_string_member (ev, "what"),
      "ssrc-changed");
  fail_unless_equals_int (json_object_get_int_member (ev, "new-ssrc"), 2);
  ev = json_array_get_object_element (events, 1);
  fail_unless_equals_string (json_object_get_string_member (ev, "what"),
      "resolution-changed");
  fail_unless_equals_int (json_object_get_int_member (o, "video_width"), 640);
  json_object_unref (o);
}

GST_END_TEST;

static void push_video_range (GstHarness * h, guint from, guint to);

/* Stopped without EOS (a crash of the application's logic, a kill of the
 * pipeline): the open file stays in the temp dir and is reported. */
GST_START_TEST (test_stop_without_eos_reports_failed)
{
  GstHarness *h = vp8_harness ("track-wait=0");
  GstMessage *msg;
  gchar *location = NULL;

  for (guint i = 0; i < 60; i++)
    push_frame (h, gst_util_uint64_scale (i, GST_SECOND, 30), i % 15 == 0);
  /* wait until the file is open */
  for (;;) {
    gboolean started;

    msg = gst_bus_timed_pop_filtered (harness_bus, 10 * GST_SECOND,
        GST_MESSAGE_ELEMENT);
    fail_unless (msg != NULL, "no file was opened");
    started = gst_structure_has_name (gst_message_get_structure (msg),
        "splitmuxrec-archive-started");
    gst_message_unref (msg);
    if (started)
      break;
  }
  gst_harness_teardown (h);

  while ((msg = gst_bus_pop_filtered (harness_bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *st = gst_message_get_structure (msg);
    if (gst_structure_has_name (st, "splitmuxrec-archive-failed")) {
      location = g_strdup (gst_structure_get_string (st, "tmp-location"));
    }
    gst_message_unref (msg);
  }
  fail_unless (location != NULL, "no splitmuxrec-archive-failed message");
  fail_unless (strstr (location, ".roomrec-tmp/h/archive-c.webm") != NULL,
      "%s", location);
  fail_unless (g_file_test (location, G_FILE_TEST_EXISTS));
  g_free (location);
}

GST_END_TEST;

/* A second recording with the same ids never overwrites the first */
GST_START_TEST (test_second_recording_does_not_overwrite)
{
  GstHarness *h = vp8_harness ("track-wait=0");
  gchar *path;

  push_video_range (h, 0, 30);
  finish (h);
  h = vp8_harness ("track-wait=0");
  push_video_range (h, 0, 45);
  finish (h);
  /* the second recording never overwrites the first */
  path = g_build_filename (tmpdir, "h", "archive-c-dup1.webm", NULL);
  fail_unless (g_file_test (path, G_FILE_TEST_EXISTS));
  g_free (path);
}

GST_END_TEST;

/* an audio harness on a second pad of the same element, fed by opusenc */
static GstHarness *
opus_harness_on (GstHarness * video)
{
  GstHarness *a = gst_harness_new_with_element (video->element, "sink_%u",
      NULL);

  gst_harness_add_src_parse (a, "audiotestsrc samplesperbuffer=960 ! "
      "opusenc frame-size=20", FALSE);
  return a;
}

static void
push_audio_until (GstHarness * a, GstClockTime until)
{
  for (;;) {
    GstBuffer *buf = gst_harness_pull (a->src_harness);
    GstClockTime pts = GST_BUFFER_PTS (buf);

    fail_unless_equals_int (gst_harness_push (a, buf), GST_FLOW_OK);
    if (pts >= until)
      break;
  }
}

/* frames [from, to) at 30 fps, a key frame every 15 */
static void
push_video_range (GstHarness * h, guint from, guint to)
{
  for (guint i = from; i < to; i++)
    push_frame (h, gst_util_uint64_scale (i, GST_SECOND, 30), i % 15 == 0);
}

GST_START_TEST (test_late_audio_joins_new_file)
{
  GstHarness *v = vp8_harness ("track-wait=0");
  GstHarness *a = opus_harness_on (v);
  RrTestMediaInfo mi;
  gchar *path;
  JsonObject *o;

  /* video alone for 2 s: the files start without audio */
  push_video_range (v, 0, 60);
  /* audio shows up: a new file with both tracks from the next key frame */
  gst_harness_push_from_src (a);
  push_video_range (v, 60, 120);
  push_audio_until (a, 4 * GST_SECOND);
  gst_harness_push_event (a, gst_event_new_eos ());
  finish (v);
  gst_harness_teardown (a);

  path = g_build_filename (tmpdir, "h", "archive-c.webm", NULL);
  rr_test_media_info (path, &mi);
  fail_unless_equals_int (mi.video_frames, 60);
  fail_unless_equals_int (mi.audio_frames, 0);
  g_free (path);
  path = g_build_filename (tmpdir, "h", "archive-c_1.webm", NULL);
  rr_test_media_info (path, &mi);
  fail_unless (mi.first_video_is_keyframe);
  fail_unless_equals_int (mi.video_frames, 60);
  fail_unless (mi.audio_frames >= 95, "audio frames %u", mi.audio_frames);
  g_free (path);

  o = rr_test_load_json (tmpdir, "h/archive-c.json");
  fail_unless (!json_object_get_boolean_member (o, "audio"));
  fail_unless_equals_string (json_object_get_string_member
      (json_array_get_object_element (json_object_get_array_member (o,
                  "events"), 0), "what"), "track-joined");
  json_object_unref (o);
  o = rr_test_load_json (tmpdir, "h/archive-c_1.json");
  fail_unless (json_object_get_boolean_member (o, "audio"));
  fail_unless_equals_string (json_object_get_string_member (o,
          "audio_codec_type"), "OPUS");
  json_object_unref (o);
}

GST_END_TEST;

/* A jitter buffer short of CPU repeats a time when its clock estimate
 * falls behind ("backwards timestamps, using previous time"); the parser
 * counts on from a repeated time, past the times that follow. */
GST_START_TEST (test_repeated_audio_times_stay_in_order)
{
  GstHarness *v = vp8_harness ("track-wait=0");
  GstHarness *a = opus_harness_on (v);
  RrTestMediaInfo mi;
  gchar *path;

  gst_harness_play (a->src_harness);
  for (guint i = 0, frame = 0; i < 150; i++) {
    GstBuffer *buf = gst_harness_pull (a->src_harness);
    GstClockTime pts = i * 20 * GST_MSECOND;

    /* interleaved as they come, or splitmuxsink holds the audio */
    for (; frame * 50 <= i * 30; frame++)
      push_frame (v, gst_util_uint64_scale (frame, GST_SECOND, 30),
          frame % 15 == 0);

    if (i >= 50 && i < 60)
      pts = GST_SECOND;
    else if (i >= 60)
      pts -= 160 * GST_MSECOND;
    buf = gst_buffer_make_writable (buf);
    GST_BUFFER_PTS (buf) = pts;
    GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
    fail_unless_equals_int (gst_harness_push (a, buf), GST_FLOW_OK);
  }
  gst_harness_push_event (a, gst_event_new_eos ());
  finish (v);
  gst_harness_teardown (a);

  path = g_build_filename (tmpdir, "h", "archive-c.webm", NULL);
  rr_test_media_info (path, &mi);
  fail_unless_equals_int (mi.video_frames, 90);
  fail_unless_equals_int (mi.audio_frames, 150);
  fail_unless_equals_int (mi.audio_backward, 0);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_video_removed_and_readded)
{
  GstHarness *v = vp8_harness ("track-wait=0");
  GstHarness *a = opus_harness_on (v);
  RrTestMediaInfo mi;
  gchar *path;

  gst_harness_push_from_src (a);
  push_video_range (v, 0, 60);
  push_audio_until (a, 2 * GST_SECOND);
  /* the camera track goes away, audio goes on */
  gst_harness_push_event (v, gst_event_new_eos ());
  push_audio_until (a, 3 * GST_SECOND);
  /* and comes back */
  gst_harness_push_event (v, gst_event_new_stream_start ("video-again"));
  gst_harness_set_src_caps_str (v, "video/x-vp8, width=(int)640, "
      "height=(int)480, framerate=(fraction)30/1");
  {
    GstSegment seg;
    gst_segment_init (&seg, GST_FORMAT_TIME);
    gst_harness_push_event (v, gst_event_new_segment (&seg));
  }
  push_video_range (v, 90, 150);
  push_audio_until (a, 5 * GST_SECOND);
  gst_harness_push_event (a, gst_event_new_eos ());
  finish (v);
  gst_harness_teardown (a);

  path = g_build_filename (tmpdir, "h", "archive-c.webm", NULL);
  rr_test_media_info (path, &mi);
  fail_unless_equals_int (mi.video_frames, 60);
  fail_unless (mi.audio_frames >= 140, "audio frames %u", mi.audio_frames);
  g_free (path);
  path = g_build_filename (tmpdir, "h", "archive-c_1.webm", NULL);
  rr_test_media_info (path, &mi);
  fail_unless (mi.first_video_is_keyframe);
  fail_unless_equals_int (mi.video_frames, 60);
  fail_unless (mi.audio_frames >= 95, "audio frames %u", mi.audio_frames);
  g_free (path);
}

GST_END_TEST;

static Suite *
splitmuxrec_suite (void)
{
  Suite *s = suite_create ("splitmuxrec");
  TCase *tc = tcase_create ("files");
  TCase *th = tcase_create ("harness");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, tempdir_setup, tempdir_cleanup);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_dual_output_webm_vp8_opus);
  tcase_add_test (tc, test_split_only);
  tcase_add_test (tc, test_h264_mp4);
  tcase_add_test (tc, test_opus_mp4_gets_spec_dops);
  tcase_add_test (tc, test_browser_opus_caps_without_rate);
  tcase_add_test (tc, test_refuses_impossible_pairs);
  tcase_add_test (tc, test_unwritable_dir);
  tcase_add_test (tc, test_bad_settings);
  tcase_add_test (tc, test_hostile_ids_stay_inside);
  tcase_add_test (tc, test_hls_playlist);
  tcase_add_test (tc, test_forced_shards_by_size);
  tcase_add_test (tc, test_resolution_change);

  suite_add_tcase (s, th);
  tcase_add_checked_fixture (th, harness_setup, harness_cleanup);
  tcase_add_test (th, test_keyframe_requests);
  tcase_add_test (th, test_keyframe_request_at_split);
  tcase_add_test (th, test_pause_starts_new_file);
  tcase_add_test (th, test_frames_reach_the_file_before_the_next_key_frame);
  tcase_add_test (th, test_bad_timestamps_survive);
  tcase_add_test (th, test_stream_notes_in_sidecar);
  tcase_add_test (th, test_late_audio_joins_new_file);
  tcase_add_test (th, test_stop_without_eos_reports_failed);
  tcase_add_test (th, test_second_recording_does_not_overwrite);
  tcase_add_test (th, test_video_removed_and_readded);
  tcase_add_test (th, test_repeated_audio_times_stay_in_order);
  return s;
}

GST_CHECK_MAIN (splitmuxrec);
