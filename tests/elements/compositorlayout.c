/* roomrec — element tests for compositorlayout
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "layout.h"

#define CANVAS_W 1280
#define CANVAS_H 720
/* per channel, after RGB -> I420 -> RGB */
#define TOLERANCE 40
/* how long a picture may take to show the expected colours */
#define WAIT_FRAMES 60

/* Distinct colours: every channel 0x00, 0x80 or 0xff, not black (the
 * background); 26 of them. */
static guint32
participant_rgb (guint i)
{
  static const guint levels[] = { 0x00, 0x80, 0xff };
  guint n = i + 1;

  return (levels[n / 9 % 3] << 16) | (levels[n / 3 % 3] << 8) | levels[n % 3];
}

static gboolean
have_elements (void)
{
  static const gchar *names[] = { "compositorlayout", "compositor",
    "audiomixer", "videotestsrc", "audiotestsrc", "videoconvert", "appsink"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    GstElementFactory *f = gst_element_factory_find (names[i]);

    if (f == NULL) {
      GST_INFO ("%s missing, skipping", names[i]);
      return FALSE;
    }
    gst_object_unref (f);
  }
  return TRUE;
}

/* n live solid-colour sources into a compositorlayout at 10 fps, its video
 * as RGB into an appsink named "sink". */
static GstElement *
make_pipeline (guint n, const gchar * extra)
{
  GString *desc = g_string_new (NULL);
  GstElement *pipeline;
  GError *error = NULL;
  guint i;

  g_string_append_printf (desc, "compositorlayout name=mix width=%d "
      "height=%d framerate=10/1 %s mix.video_src ! videoconvert ! "
      "video/x-raw,format=RGB ! appsink name=sink max-buffers=2 drop=true "
      "sync=false", CANVAS_W, CANVAS_H, extra ? extra : "");
  for (i = 0; i < n; i++)
    g_string_append_printf (desc, " videotestsrc is-live=true "
        "pattern=solid-color foreground-color=0x%08x ! "
        "video/x-raw,width=160,height=90,framerate=10/1 ! mix.video_%u",
        0xff000000 | participant_rgb (i), i);
  pipeline = gst_parse_launch (desc->str, &error);
  fail_unless (pipeline != NULL, "%s: %s", desc->str,
      error ? error->message : "?");
  g_clear_error (&error);
  g_string_free (desc, TRUE);
  return pipeline;
}

static RrLayout *
expected_layout (RrLayoutMode mode, guint n, const gchar * main_id)
{
  gchar **ids = g_new0 (gchar *, n + 1);
  RrLayoutParams p = { 0, };
  RrLayout *layout;
  GError *error = NULL;
  guint i;

  for (i = 0; i < n; i++)
    ids[i] = g_strdup_printf ("video_%u", i);
  p.mode = mode;
  p.canvas_width = CANVAS_W;
  p.canvas_height = CANVAS_H;
  p.participants = (const gchar * const *) ids;
  p.n_participants = n;
  p.main_participant = main_id;
  p.fit = RR_LAYOUT_FIT_CROP;
  layout = rr_layout_compute (&p, &error);
  fail_unless (layout != NULL, "%s", error ? error->message : "?");
  g_strfreev (ids);
  return layout;
}

/* Whether the centre pixel of each of @layout's tiles in @sample has the
 * colour of its participant; the first mismatch is written to @why. */
static gboolean
frame_matches (GstSample * sample, const RrLayout * layout, gchar ** why)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  gboolean ok = TRUE;
  guint i;

  fail_unless (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), CANVAS_W);
  fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&info), CANVAS_H);
  fail_unless (gst_video_frame_map (&frame, &info,
          gst_sample_get_buffer (sample), GST_MAP_READ));
  for (i = 0; i < layout->n_tiles && ok; i++) {
    const RrLayoutTile *t = &layout->tiles[i];
    guint idx, want;
    gint x, y, r, g, b;
    const guint8 *px;

    if (!t->has_tile)
      continue;
    /* floating: look at the main tile away from the small ones */
    x = t->rect.x + t->rect.w / 2;
    y = t->is_main && layout->mode == RR_LAYOUT_FLOATING ? t->rect.y + 4 :
        t->rect.y + t->rect.h / 2;
    fail_unless (sscanf (t->participant, "video_%u", &idx) == 1);
    want = participant_rgb (idx);
    px = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0) + x * 3;
    r = px[0];
    g = px[1];
    b = px[2];
    if (ABS (r - (gint) (want >> 16)) > TOLERANCE
        || ABS (g - (gint) ((want >> 8) & 0xff)) > TOLERANCE
        || ABS (b - (gint) (want & 0xff)) > TOLERANCE) {
      g_free (*why);
      *why = g_strdup_printf ("%s at (%d,%d): got #%02x%02x%02x, want #%06x",
          t->participant, x, y, r, g, b, want);
      ok = FALSE;
    }
  }
  gst_video_frame_unmap (&frame);
  return ok;
}

/* Pulls frames (skipping the first @skip) until one matches @layout. */
static void
wait_for_layout (GstElement * pipeline, const RrLayout * layout, guint skip)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gchar *why = NULL;
  gboolean ok = FALSE;
  guint i;

  for (i = 0; i < skip + WAIT_FRAMES && !ok; i++) {
    GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        5 * GST_SECOND);

    fail_unless (sample != NULL, "no frame %u", i);
    if (i >= skip)
      ok = frame_matches (sample, layout, &why);
    gst_sample_unref (sample);
  }
  fail_unless (ok, "after %u frames: %s", i, why);
  GST_INFO ("layout seen after %u frames", i);
  g_free (why);
  gst_object_unref (sink);
}

static void
stop (GstElement * pipeline)
{
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);
}

static void
check_grid (guint n)
{
  GstElement *pipeline = make_pipeline (n, NULL);
  RrLayout *layout = expected_layout (RR_LAYOUT_GRID, n, NULL);

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  /* about 1 s at 10 fps */
  wait_for_layout (pipeline, layout, 10);
  rr_layout_free (layout);
  stop (pipeline);
}

GST_START_TEST (test_grid_1)
{
  check_grid (1);
}

GST_END_TEST;

GST_START_TEST (test_grid_2)
{
  check_grid (2);
}

GST_END_TEST;

GST_START_TEST (test_grid_4)
{
  check_grid (4);
}

GST_END_TEST;

GST_START_TEST (test_grid_9)
{
  check_grid (9);
}

GST_END_TEST;

GST_START_TEST (test_grid_17)
{
  check_grid (17);
}

GST_END_TEST;

GST_START_TEST (test_grid_25)
{
  check_grid (25);
}

GST_END_TEST;

/* A layout-changed message with mode @mode and @n_tiles tiles, within
 * 5 s. */
static GstStructure *
wait_layout_message (GstElement * pipeline, const gchar * mode, guint n_tiles)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstStructure *found = NULL;
  gint64 end = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;

  while (found == NULL && g_get_monotonic_time () < end) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 100 * GST_MSECOND,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR);
    const GstStructure *s;

    if (msg == NULL)
      continue;
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR);
    s = gst_message_get_structure (msg);
    if (gst_structure_has_name (s, "compositorlayout-layout-changed")
        && g_strcmp0 (gst_structure_get_string (s, "mode"), mode) == 0
        && gst_value_array_get_size (gst_structure_get_value (s,
                "tiles")) == n_tiles)
      found = gst_structure_copy (s);
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  fail_unless (found != NULL, "no layout-changed message for %s", mode);
  return found;
}

GST_START_TEST (test_layout_change)
{
  GstElement *pipeline = make_pipeline (3, NULL);
  GstElement *mix = gst_bin_get_by_name (GST_BIN (pipeline), "mix");
  RrLayout *grid = expected_layout (RR_LAYOUT_GRID, 3, NULL);
  RrLayout *floating = expected_layout (RR_LAYOUT_FLOATING, 3, "video_2");
  GstStructure *s;
  const GValue *tiles, *tile;
  const GstStructure *ts;
  gint x, w;

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  s = wait_layout_message (pipeline, "grid", 3);
  tiles = gst_structure_get_value (s, "tiles");
  fail_unless_equals_int (gst_value_array_get_size (tiles), 3);
  gst_structure_free (s);
  wait_for_layout (pipeline, grid, 5);

  gst_util_set_object_arg (G_OBJECT (mix), "mode", "floating");
  g_object_set (mix, "main-participant", "video_2", NULL);
  s = wait_layout_message (pipeline, "floating", 3);
  /* the main participant may be set after the mode: take the last one */
  for (;;) {
    tiles = gst_structure_get_value (s, "tiles");
    tile = gst_value_array_get_value (tiles, 2);
    ts = gst_value_get_structure (tile);
    if (g_str_equal (gst_structure_get_string (ts, "participant"), "video_2")
        && gst_structure_get_int (ts, "w", &w) && w == CANVAS_W)
      break;
    gst_structure_free (s);
    s = wait_layout_message (pipeline, "floating", 3);
  }
  tile = gst_value_array_get_value (tiles, 0);
  ts = gst_value_get_structure (tile);
  fail_unless (gst_structure_get_int (ts, "x", &x));
  fail_unless_equals_int (x, floating->tiles[0].rect.x);
  gst_structure_free (s);
  wait_for_layout (pipeline, floating, 0);

  rr_layout_free (grid);
  rr_layout_free (floating);
  gst_object_unref (mix);
  stop (pipeline);
}

GST_END_TEST;

/* video_1 leaves mid-run: its source stops, its pad is released, the two
 * others take the 2-tile grid. */
GST_START_TEST (test_release_pad)
{
  GstElement *pipeline = make_pipeline (3, NULL);
  GstElement *mix = gst_bin_get_by_name (GST_BIN (pipeline), "mix");
  GstPad *pad = gst_element_get_static_pad (mix, "video_1");
  GstPad *peer = gst_pad_get_peer (pad);
  GstElement *upstream = gst_pad_get_parent_element (peer);
  RrLayout *layout = expected_layout (RR_LAYOUT_GRID, 3, NULL);
  GstStructure *s;
  GstElement *src;
  GstPad *src_sink, *src_pad;

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  wait_for_layout (pipeline, layout, 5);
  rr_layout_free (layout);

  /* upstream is the capsfilter; its source is the videotestsrc */
  src_sink = gst_element_get_static_pad (upstream, "sink");
  src_pad = gst_pad_get_peer (src_sink);
  src = gst_pad_get_parent_element (src_pad);
  gst_object_unref (src_pad);
  gst_object_unref (src_sink);
  gst_element_set_locked_state (src, TRUE);
  gst_element_set_locked_state (upstream, TRUE);
  gst_element_set_state (src, GST_STATE_NULL);
  gst_element_set_state (upstream, GST_STATE_NULL);
  gst_bin_remove_many (GST_BIN (pipeline), src, upstream, NULL);
  gst_element_release_request_pad (mix, pad);

  s = wait_layout_message (pipeline, "grid", 2);
  gst_structure_free (s);
  /* video_0 and video_2 side by side */
  layout = expected_layout (RR_LAYOUT_GRID, 2, NULL);
  g_free (layout->tiles[1].participant);
  layout->tiles[1].participant = g_strdup ("video_2");
  wait_for_layout (pipeline, layout, 0);

  rr_layout_free (layout);
  gst_object_unref (src);
  gst_object_unref (upstream);
  gst_object_unref (peer);
  gst_object_unref (pad);
  gst_object_unref (mix);
  stop (pipeline);
}

GST_END_TEST;

/* video_1 is requested but never linked: frames keep coming and video_0
 * shows in its half. */
GST_START_TEST (test_idle_pad_no_stall)
{
  GstElement *pipeline = make_pipeline (1, NULL);
  GstElement *mix = gst_bin_get_by_name (GST_BIN (pipeline), "mix");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *idle = gst_element_request_pad_simple (mix, "video_%u");
  RrLayout *layout = expected_layout (RR_LAYOUT_GRID, 2, NULL);
  GstClockTime first = GST_CLOCK_TIME_NONE, last = 0;
  gint64 start;
  guint i;

  fail_unless (idle != NULL);
  fail_unless_equals_string (GST_PAD_NAME (idle), "video_1");
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  start = g_get_monotonic_time ();
  for (i = 0; i < 20; i++) {
    GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        2 * GST_SECOND);

    fail_unless (sample != NULL, "stalled after %u frames", i);
    last = GST_BUFFER_PTS (gst_sample_get_buffer (sample));
    if (first == GST_CLOCK_TIME_NONE)
      first = last;
    gst_sample_unref (sample);
  }
  /* 20 frames at 10 fps: about 2 s, not one timeout per frame */
  fail_unless (g_get_monotonic_time () - start < 6 * G_TIME_SPAN_SECOND);
  fail_unless (last - first >= 15 * GST_SECOND / 10);
  /* video_0 in the left half; video_1 has a tile showing the background */
  layout->tiles[1].has_tile = FALSE;
  wait_for_layout (pipeline, layout, 0);

  rr_layout_free (layout);
  gst_object_unref (idle);
  gst_object_unref (sink);
  gst_object_unref (mix);
  stop (pipeline);
}

GST_END_TEST;

GST_START_TEST (test_audio_mix)
{
  GstElement *pipeline, *sink;
  GError *error = NULL;
  GstSample *sample;
  GstStructure *s;
  gint rate = 0, channels = 0;
  guint i;

  pipeline = gst_parse_launch ("compositorlayout name=mix "
      "mix.audio_src ! appsink name=sink sync=false "
      "audiotestsrc is-live=true freq=440 ! "
      "audio/x-raw,rate=44100,channels=1 ! mix.audio_0 "
      "audiotestsrc is-live=true freq=660 ! mix.audio_1", &error);
  fail_unless (pipeline != NULL, "%s", error ? error->message : "?");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  for (i = 0; i < 10; i++) {
    sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 2 * GST_SECOND);
    fail_unless (sample != NULL, "no audio buffer %u", i);
    fail_unless (gst_buffer_get_size (gst_sample_get_buffer (sample)) > 0);
    s = gst_caps_get_structure (gst_sample_get_caps (sample), 0);
    fail_unless (gst_structure_get_int (s, "rate", &rate));
    fail_unless (gst_structure_get_int (s, "channels", &channels));
    fail_unless_equals_int (rate, 48000);
    fail_unless_equals_int (channels, 2);
    fail_unless_equals_string (gst_structure_get_string (s, "format"), "S16LE");
    gst_sample_unref (sample);
  }
  gst_object_unref (sink);
  stop (pipeline);
}

GST_END_TEST;

/* Invalid custom-layout: refused, with a warning naming the JSON path;
 * the audio pad's participant takes a tile (audio only). */
GST_START_TEST (test_properties)
{
  GstElement *mix = gst_element_factory_make ("compositorlayout", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *error = NULL;
  gchar *debug = NULL, *str = NULL;
  GstPad *v, *a;
  const gchar *good = "[{\"x\":0,\"y\":0,\"w\":\"50%\",\"h\":\"100%\","
      "\"slot\":0}]";

  gst_element_set_bus (mix, bus);
  g_object_set (mix, "custom-layout", good, NULL);
  g_object_get (mix, "custom-layout", &str, NULL);
  fail_unless_equals_string (str, good);
  g_free (str);

  g_object_set (mix, "custom-layout", "[{\"x\":0,\"y\":0,\"w\":0.5,"
      "\"h\":\"100%\",\"slot\":0}]", NULL);
  g_object_get (mix, "custom-layout", &str, NULL);
  fail_unless_equals_string (str, good);
  g_free (str);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_parse_warning (msg, &error, &debug);
  fail_unless (strstr (error->message, "$[0].w") != NULL, "%s", error->message);
  g_clear_error (&error);
  g_free (debug);
  gst_message_unref (msg);

  v = gst_element_request_pad_simple (mix, "video_%u");
  a = gst_element_request_pad_simple (mix, "audio_%u");
  fail_unless_equals_string (GST_PAD_NAME (v), "video_0");
  fail_unless_equals_string (GST_PAD_NAME (a), "audio_0");
  g_object_get (v, "participant", &str, NULL);
  fail_unless_equals_string (str, "video_0");
  g_free (str);
  g_object_set (v, "participant", "alice", NULL);
  g_object_set (a, "participant", "bob", NULL);

  /* the last layout message: alice and bob (audio only), side by side */
  {
    GstMessage *last = NULL;
    const GstStructure *s;
    const GValue *tiles;

    while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
      if (last)
        gst_message_unref (last);
      last = msg;
    }
    fail_unless (last != NULL);
    s = gst_message_get_structure (last);
    fail_unless (gst_structure_has_name (s, "compositorlayout-layout-changed"));
    tiles = gst_structure_get_value (s, "tiles");
    fail_unless_equals_int (gst_value_array_get_size (tiles), 2);
    fail_unless_equals_string (gst_structure_get_string
        (gst_value_get_structure (gst_value_array_get_value (tiles, 1)),
            "participant"), "bob");
    gst_message_unref (last);
  }

  gst_element_release_request_pad (mix, v);
  gst_element_release_request_pad (mix, a);
  gst_object_unref (v);
  gst_object_unref (a);
  gst_element_set_bus (mix, NULL);
  gst_object_unref (bus);
  gst_object_unref (mix);
}

GST_END_TEST;

static Suite *
compositorlayout_suite (void)
{
  Suite *s = suite_create ("compositorlayout");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  if (!have_elements ())
    return s;
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_grid_1);
  tcase_add_test (tc, test_grid_2);
  tcase_add_test (tc, test_grid_4);
  tcase_add_test (tc, test_grid_9);
  tcase_add_test (tc, test_grid_17);
  tcase_add_test (tc, test_grid_25);
  tcase_add_test (tc, test_layout_change);
  tcase_add_test (tc, test_release_pad);
  tcase_add_test (tc, test_idle_pad_no_stall);
  tcase_add_test (tc, test_audio_mix);
  return s;
}

GST_CHECK_MAIN (compositorlayout);
