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
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <gst/pbutils/pbutils.h>

#include "filecheck.h"
#include "layout.h"

#define CANVAS_W 1280
#define CANVAS_H 720
/* per channel, after RGB -> I420 -> RGB */
#define TOLERANCE 40
/* how long a picture may take to show the expected colours */
#define WAIT_FRAMES 60

/* the background of the tests that set one */
#define BACKGROUND 0xff3366cc
#define BACKGROUND_RGB (BACKGROUND & 0xffffff)

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
 * as RGB into an appsink named "sink"; @extra: more properties of the
 * compositorlayout, @tail: more of the pipeline, after the sources (they
 * join first). */
static GstElement *
make_pipeline_full (guint n, const gchar * extra, const gchar * tail)
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
  if (tail != NULL)
    g_string_append_printf (desc, " %s", tail);
  pipeline = gst_parse_launch (desc->str, &error);
  fail_unless (pipeline != NULL, "%s: %s", desc->str,
      error ? error->message : "?");
  g_clear_error (&error);
  g_string_free (desc, TRUE);
  return pipeline;
}

static GstElement *
make_pipeline (guint n, const gchar * extra)
{
  return make_pipeline_full (n, extra, NULL);
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
    gboolean placeholder;

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
    /* bob has sound only: a placeholder */
    fail_unless (gst_structure_get_boolean (gst_value_get_structure
            (gst_value_array_get_value (tiles, 1)), "placeholder",
            &placeholder));
    fail_unless (placeholder);
    fail_unless (gst_structure_get_boolean (gst_value_get_structure
            (gst_value_array_get_value (tiles, 0)), "placeholder",
            &placeholder));
    fail_unless (!placeholder);
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


/* ------------------------------------------------------------------ */
/* pixels                                                              */

typedef struct
{
  gint x, y;
  guint32 rgb;                  /* 0xRRGGBB */
  gboolean equal;               /* FALSE: must differ */
} PixelCheck;

static void
rgb_at (GstVideoFrame * frame, gint x, gint y, gint * r, gint * g, gint * b)
{
  const guint8 *px = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (frame, 0) +
      y * GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0) + x * 3;

  *r = px[0];
  *g = px[1];
  *b = px[2];
}

static gboolean
rgb_near (gint r, gint g, gint b, guint32 want)
{
  return ABS (r - (gint) (want >> 16)) <= TOLERANCE
      && ABS (g - (gint) ((want >> 8) & 0xff)) <= TOLERANCE
      && ABS (b - (gint) (want & 0xff)) <= TOLERANCE;
}

static gboolean
check_pixels (GstSample * sample, const PixelCheck * checks, guint n,
    gchar ** why)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  gboolean ok = TRUE;
  guint i;

  fail_unless (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  fail_unless (gst_video_frame_map (&frame, &info,
          gst_sample_get_buffer (sample), GST_MAP_READ));
  for (i = 0; i < n && ok; i++) {
    gint r, g, b;

    rgb_at (&frame, checks[i].x, checks[i].y, &r, &g, &b);
    if (rgb_near (r, g, b, checks[i].rgb) != checks[i].equal) {
      g_free (*why);
      *why = g_strdup_printf ("at (%d,%d): got #%02x%02x%02x, want %s#%06x",
          checks[i].x, checks[i].y, r, g, b, checks[i].equal ? "" : "not ",
          checks[i].rgb);
      ok = FALSE;
    }
  }
  gst_video_frame_unmap (&frame);
  return ok;
}

/* Pulls frames until one passes @checks. */
static void
wait_for_pixels (GstElement * pipeline, const PixelCheck * checks, guint n)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gchar *why = NULL;
  gboolean ok = FALSE;
  guint i;

  for (i = 0; i < WAIT_FRAMES && !ok; i++) {
    GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        5 * GST_SECOND);

    fail_unless (sample != NULL, "no frame %u", i);
    ok = check_pixels (sample, checks, n, &why);
    gst_sample_unref (sample);
  }
  fail_unless (ok, "after %u frames: %s", i, why);
  g_free (why);
  gst_object_unref (sink);
}

/* How many pixels of the rectangle are near @rgb in the next frame. */
static guint
count_pixels (GstElement * pipeline, gint x0, gint y0, gint w, gint h,
    guint32 rgb)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
      5 * GST_SECOND);
  GstVideoInfo info;
  GstVideoFrame frame;
  guint count = 0;
  gint x, y, r, g, b;

  fail_unless (sample != NULL);
  fail_unless (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  fail_unless (gst_video_frame_map (&frame, &info,
          gst_sample_get_buffer (sample), GST_MAP_READ));
  for (y = y0; y < y0 + h; y++)
    for (x = x0; x < x0 + w; x++) {
      rgb_at (&frame, x, y, &r, &g, &b);
      if (rgb_near (r, g, b, rgb))
        count++;
    }
  gst_video_frame_unmap (&frame);
  gst_sample_unref (sample);
  gst_object_unref (sink);
  return count;
}

static void
play (GstElement * pipeline)
{
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
}

/* A w x h PNG of 0xRRGGBB at @path, its right half transparent when
 * @half. */
static void
write_png (const gchar * path, guint32 rgb, gint w, gint h, gboolean half)
{
  RrTestRun run;
  gchar *desc;

  desc = g_strdup_printf ("videotestsrc num-buffers=1 pattern=solid-color "
      "foreground-color=0x%08x ! video/x-raw,format=AYUV,width=%d,height=%d "
      "! videobox border-alpha=0 right=%d ! videoconvert ! "
      "video/x-raw,format=RGBA ! pngenc ! filesink location=\"%s\"",
      0xff000000 | rgb, half ? w / 2 : w, h, half ? -(w - w / 2) : 0, path);
  rr_test_run_pipeline (desc, &run);
  fail_unless (run.error == NULL, "%s: %s", desc, run.error);
  rr_test_run_clear (&run);
  g_free (desc);
}

/* Sets a string property of the pipeline's compositorlayout "mix". */
static void
set_mix (GstElement * pipeline, const gchar * property, const gchar * value)
{
  GstElement *mix = gst_bin_get_by_name (GST_BIN (pipeline), "mix");

  g_object_set (mix, property, value, NULL);
  gst_object_unref (mix);
}

static gchar *
make_tmpdir (void)
{
  gchar *dir = g_dir_make_tmp ("compositorlayout-XXXXXX", NULL);

  fail_unless (dir != NULL);
  return dir;
}

/* ------------------------------------------------------------------ */
/* crop and letterbox                                                  */

/* A live source of frames made of three bands, left/middle/right (or
 * top/middle/bottom when the frame is taller than wide), red, green and
 * blue; its size can change while it runs. */
typedef struct
{
  GstAppSrc *src;
  GThread *thread;
  gint width, height;           /* atomic: the next frames' size */
  gint stop;
} BandSource;

#define BAND_LEFT 0xff0000
#define BAND_MIDDLE 0x00ff00
#define BAND_RIGHT 0x0000ff

static gpointer
band_source_run (gpointer data)
{
  BandSource *bs = data;
  gint cur_w = 0, cur_h = 0;

  while (!g_atomic_int_get (&bs->stop)) {
    gint w = g_atomic_int_get (&bs->width), h = g_atomic_int_get (&bs->height);
    gsize size = (gsize) w * h * 3;
    guint8 *data = g_malloc (size);
    GstBuffer *buf;
    gint x, y;

    if (w != cur_w || h != cur_h) {
      GstCaps *caps = gst_caps_new_simple ("video/x-raw", "format",
          G_TYPE_STRING, "RGB", "width", G_TYPE_INT, w, "height", G_TYPE_INT,
          h, "framerate", GST_TYPE_FRACTION, 10, 1, NULL);

      gst_app_src_set_caps (bs->src, caps);
      gst_caps_unref (caps);
      cur_w = w;
      cur_h = h;
    }
    for (y = 0; y < h; y++)
      for (x = 0; x < w; x++) {
        gint band = w >= h ? x * 3 / w : y * 3 / h;
        guint32 rgb = band == 0 ? BAND_LEFT : band == 1 ? BAND_MIDDLE :
            BAND_RIGHT;
        guint8 *px = data + (y * w + x) * 3;

        px[0] = rgb >> 16;
        px[1] = (rgb >> 8) & 0xff;
        px[2] = rgb & 0xff;
      }
    buf = gst_buffer_new_wrapped (data, size);
    if (gst_app_src_push_buffer (bs->src, buf) != GST_FLOW_OK)
      break;
    g_usleep (G_USEC_PER_SEC / 10);
  }
  return NULL;
}

/* compositorlayout (custom layout @fit, one 360x720 region at x 0) fed by
 * a band source, output into "sink". */
static GstElement *
make_band_pipeline (const gchar * fit, BandSource * bs)
{
  GError *error = NULL;
  GstElement *pipeline, *src;
  gchar *desc, *layout;

  desc = g_strdup_printf ("compositorlayout name=mix width=%d height=%d "
      "framerate=10/1 background=0x%08x mode=custom "
      "mix.video_src ! videoconvert ! video/x-raw,format=RGB ! appsink "
      "name=sink max-buffers=2 drop=true sync=false "
      "appsrc name=src is-live=true do-timestamp=true format=time ! "
      "mix.video_0", CANVAS_W, CANVAS_H, BACKGROUND);
  pipeline = gst_parse_launch (desc, &error);
  fail_unless (pipeline != NULL, "%s: %s", desc, error ? error->message : "?");
  layout = g_strdup_printf ("[{\"x\": 0, \"y\": 0, \"w\": 360, \"h\": 720, "
      "\"slot\": 0, \"fit\": \"%s\"}]", fit);
  set_mix (pipeline, "custom-layout", layout);
  g_free (layout);
  g_free (desc);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  bs->src = GST_APP_SRC (src);
  bs->width = 300;
  bs->height = 100;
  bs->stop = FALSE;
  play (pipeline);
  fail_if (gst_element_get_state (pipeline, NULL, NULL, 5 * GST_SECOND) ==
      GST_STATE_CHANGE_FAILURE);
  bs->thread = g_thread_new ("bands", band_source_run, bs);
  return pipeline;
}

static void
stop_band_pipeline (GstElement * pipeline, BandSource * bs)
{
  g_atomic_int_set (&bs->stop, TRUE);
  g_thread_join (bs->thread);
  gst_object_unref (bs->src);
  stop (pipeline);
}

/* A 3:1 picture in a 1:2 tile: only the middle band shows, up to the
 * tile's edges, no bars; then the sender changes to a 1:3 picture
 * (mid-stream caps) of three bands top to bottom: now its top and bottom
 * are cut (a sixth each: half of the top and bottom bands shows), still
 * without bars. */
GST_START_TEST (test_crop)
{
  BandSource bs;
  GstElement *pipeline = make_band_pipeline ("crop", &bs);
  const PixelCheck wide[] = {
    {2, 360, BAND_MIDDLE, TRUE},        /* left edge of the tile */
    {356, 360, BAND_MIDDLE, TRUE},      /* right edge */
    {180, 2, BAND_MIDDLE, TRUE},        /* top: no bar */
    {180, 716, BAND_MIDDLE, TRUE},      /* bottom: no bar */
    {180, 360, BAND_MIDDLE, TRUE},
    {800, 360, BACKGROUND_RGB, TRUE},   /* outside the tile */
  };
  const PixelCheck tall[] = {
    {180, 2, BAND_LEFT, TRUE},  /* top: no bar */
    {180, 170, BAND_LEFT, TRUE},
    {180, 190, BAND_MIDDLE, TRUE},
    {2, 360, BAND_MIDDLE, TRUE},
    {356, 360, BAND_MIDDLE, TRUE},
    {180, 530, BAND_MIDDLE, TRUE},
    {180, 550, BAND_RIGHT, TRUE},
    {180, 716, BAND_RIGHT, TRUE},       /* bottom: no bar */
    {800, 360, BACKGROUND_RGB, TRUE},
  };

  wait_for_pixels (pipeline, wide, G_N_ELEMENTS (wide));
  g_atomic_int_set (&bs.width, 60);
  g_atomic_int_set (&bs.height, 180);
  wait_for_pixels (pipeline, tall, G_N_ELEMENTS (tall));
  /* and back */
  g_atomic_int_set (&bs.width, 300);
  g_atomic_int_set (&bs.height, 100);
  wait_for_pixels (pipeline, wide, G_N_ELEMENTS (wide));
  stop_band_pipeline (pipeline, &bs);
}

GST_END_TEST;

/* The same 3:1 picture letterboxed: all three bands, bars of background
 * above and below. */
GST_START_TEST (test_letterbox)
{
  BandSource bs;
  GstElement *pipeline = make_band_pipeline ("letterbox", &bs);
  /* 360x120 in the middle of the 360x720 tile: y 300 to 420 */
  const PixelCheck checks[] = {
    {6, 360, BAND_LEFT, TRUE},
    {180, 360, BAND_MIDDLE, TRUE},
    {352, 360, BAND_RIGHT, TRUE},
    {180, 100, BACKGROUND_RGB, TRUE},   /* bar above */
    {180, 620, BACKGROUND_RGB, TRUE},   /* bar below */
    {800, 360, BACKGROUND_RGB, TRUE},
  };

  wait_for_pixels (pipeline, checks, G_N_ELEMENTS (checks));
  stop_band_pipeline (pipeline, &bs);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* background                                                          */

/* Three participants in a 2x2 grid: the fourth cell is background. */
GST_START_TEST (test_background_color)
{
  GstElement *pipeline = make_pipeline (3, "background=0xff3366cc");
  GstElement *mix = gst_bin_get_by_name (GST_BIN (pipeline), "mix");
  RrLayout *layout = expected_layout (RR_LAYOUT_GRID, 3, NULL);
  const PixelCheck bg[] = {
    {960, 540, BACKGROUND_RGB, TRUE},
    {642, 362, BACKGROUND_RGB, TRUE},
    {1276, 716, BACKGROUND_RGB, TRUE},
  };
  const PixelCheck white[] = {
    {960, 540, 0xffffff, TRUE},
  };

  play (pipeline);
  wait_for_layout (pipeline, layout, 5);
  wait_for_pixels (pipeline, bg, G_N_ELEMENTS (bg));
  /* any colour, changed while playing */
  g_object_set (mix, "background", 0xffffffff, NULL);
  wait_for_pixels (pipeline, white, G_N_ELEMENTS (white));
  wait_for_layout (pipeline, layout, 0);
  rr_layout_free (layout);
  gst_object_unref (mix);
  stop (pipeline);
}

GST_END_TEST;

GST_START_TEST (test_background_image)
{
  gchar *dir = make_tmpdir ();
  gchar *png = g_build_filename (dir, "bg.png", NULL);
  gchar *extra = g_strdup_printf ("background-image=\"%s\"", png);
  GstElement *pipeline;
  RrLayout *layout = expected_layout (RR_LAYOUT_GRID, 3, NULL);
  const PixelCheck checks[] = {
    {960, 540, 0x33cc66, TRUE},
    {1276, 716, 0x33cc66, TRUE},
  };

  write_png (png, 0x33cc66, 64, 48, FALSE);
  pipeline = make_pipeline (3, extra);
  play (pipeline);
  wait_for_pixels (pipeline, checks, G_N_ELEMENTS (checks));
  wait_for_layout (pipeline, layout, 0);
  rr_layout_free (layout);
  stop (pipeline);
  rr_test_rm_rf (dir);
  g_free (extra);
  g_free (png);
  g_free (dir);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* placeholders                                                        */

/* The shade of BACKGROUND a placeholder tile has (see the element) and
 * its text colour. */
#define PLACEHOLDER_FILL 0x668cd8
#define PLACEHOLDER_TEXT 0xffffff

/* video_0 and an audio-only "bob": bob's tile (the right half) is a
 * placeholder with his name, not the background. */
GST_START_TEST (test_placeholder_text)
{
  GstElement *pipeline = make_pipeline_full (1, "background=0xff3366cc "
      "audio_0::participant=bob",
      "audiotestsrc is-live=true ! mix.audio_0");
  GstElement *mix = gst_bin_get_by_name (GST_BIN (pipeline), "mix");
  GstPad *audio = gst_element_get_static_pad (mix, "audio_0");
  const PixelCheck checks[] = {
    {320, 360, participant_rgb (0), TRUE},      /* video_0 */
    {644, 4, BACKGROUND_RGB, FALSE},    /* bob's tile, a corner */
    {644, 4, PLACEHOLDER_FILL, TRUE},
    {1276, 716, PLACEHOLDER_FILL, TRUE},
  };
  gchar *participant = NULL;
  guint text;

  g_object_get (audio, "participant", &participant, NULL);
  fail_unless_equals_string (participant, "bob");
  play (pipeline);
  wait_for_pixels (pipeline, checks, G_N_ELEMENTS (checks));
  /* the name: text pixels in the middle of the tile */
  text = count_pixels (pipeline, 640, 200, 640, 320, PLACEHOLDER_TEXT);
  fail_unless (text > 500, "%u text pixels", text);
  fail_unless (count_pixels (pipeline, 0, 200, 640, 320,
          PLACEHOLDER_TEXT) == 0);

  g_free (participant);
  gst_object_unref (audio);
  gst_object_unref (mix);
  stop (pipeline);
}

GST_END_TEST;

GST_START_TEST (test_placeholder_image)
{
  gchar *dir = make_tmpdir ();
  gchar *png = g_build_filename (dir, "avatar.png", NULL);
  gchar *extra = g_strdup_printf ("placeholder-image=\"%s\" "
      "audio_0::participant=bob", png);
  GstElement *pipeline;
  const PixelCheck checks[] = {
    {320, 360, participant_rgb (0), TRUE},
    {960, 360, 0xcc3333, TRUE},
    {644, 4, 0xcc3333, TRUE},
    {1276, 716, 0xcc3333, TRUE},
  };

  write_png (png, 0xcc3333, 50, 50, FALSE);
  pipeline = make_pipeline_full (1, extra,
      "audiotestsrc is-live=true ! mix.audio_0");
  play (pipeline);
  wait_for_pixels (pipeline, checks, G_N_ELEMENTS (checks));
  stop (pipeline);
  rr_test_rm_rf (dir);
  g_free (extra);
  g_free (png);
  g_free (dir);
}

GST_END_TEST;

/* Participants come and go while playing: carol joins with sound only
 * (a placeholder appears), bob leaves (his placeholder goes), bob's
 * placeholder is reused for dave. */
GST_START_TEST (test_placeholder_dynamic)
{
  GstElement *pipeline = make_pipeline_full (1, "background=0xff3366cc "
      "audio_0::participant=bob",
      "audiotestsrc is-live=true ! mix.audio_0");
  GstElement *mix = gst_bin_get_by_name (GST_BIN (pipeline), "mix");
  GstPad *bob = gst_element_get_static_pad (mix, "audio_0");
  GstPad *carol;
  GstStructure *s;
  const PixelCheck two[] = {
    {320, 360, participant_rgb (0), TRUE},
    {644, 4, PLACEHOLDER_FILL, TRUE},
  };
  /* 2x2: video_0, bob, carol */
  const PixelCheck three[] = {
    {320, 180, participant_rgb (0), TRUE},
    {644, 4, PLACEHOLDER_FILL, TRUE},
    {4, 364, PLACEHOLDER_FILL, TRUE},
    {960, 540, BACKGROUND_RGB, TRUE},
  };
  /* video_0 and carol side by side */
  const PixelCheck after[] = {
    {320, 360, participant_rgb (0), TRUE},
    {644, 4, PLACEHOLDER_FILL, TRUE},
    {1276, 716, PLACEHOLDER_FILL, TRUE},
  };

  play (pipeline);
  wait_for_pixels (pipeline, two, G_N_ELEMENTS (two));

  /* carol: an audio pad without a source (she has not sent anything) */
  carol = gst_element_request_pad_simple (mix, "audio_%u");
  g_object_set (carol, "participant", "carol", NULL);
  s = wait_layout_message (pipeline, "grid", 3);
  gst_structure_free (s);
  wait_for_pixels (pipeline, three, G_N_ELEMENTS (three));
  fail_unless (count_pixels (pipeline, 0, 400, 640, 280,
          PLACEHOLDER_TEXT) > 200);

  /* bob leaves */
  g_object_set (bob, "participant", NULL, NULL);
  s = wait_layout_message (pipeline, "grid", 2);
  gst_structure_free (s);
  wait_for_pixels (pipeline, after, G_N_ELEMENTS (after));

  gst_element_release_request_pad (mix, carol);
  gst_object_unref (carol);
  gst_object_unref (bob);
  gst_object_unref (mix);
  stop (pipeline);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* watermarks                                                          */

/* A 200x100 watermark, its left half opaque red, its right half
 * transparent, in the background cell of a 2x2 grid. */
GST_START_TEST (test_watermark)
{
  gchar *dir = make_tmpdir ();
  gchar *png = g_build_filename (dir, "logo.png", NULL);
  gchar *json = g_strdup_printf ("[{\"image\": \"%s\", \"top\": 400, "
      "\"left\": 700, \"width\": 200, \"height\": 100}]", png);
  GstElement *pipeline;
  RrLayout *layout = expected_layout (RR_LAYOUT_GRID, 3, NULL);
  const PixelCheck checks[] = {
    {704, 404, 0xff0000, TRUE},
    {796, 496, 0xff0000, TRUE},
    {750, 450, 0xff0000, TRUE},
    {850, 450, BACKGROUND_RGB, TRUE},   /* transparent half */
    {696, 450, BACKGROUND_RGB, TRUE},   /* outside */
    {750, 504, BACKGROUND_RGB, TRUE},
  };

  write_png (png, 0xff0000, 64, 32, TRUE);
  pipeline = make_pipeline (3, "background=0xff3366cc");
  set_mix (pipeline, "watermarks", json);
  play (pipeline);
  wait_for_pixels (pipeline, checks, G_N_ELEMENTS (checks));
  /* over the tiles too */
  wait_for_layout (pipeline, layout, 0);
  rr_layout_free (layout);
  stop (pipeline);
  rr_test_rm_rf (dir);
  g_free (json);
  g_free (png);
  g_free (dir);
}

GST_END_TEST;

/* The first warning message on the bus, within 5 s. */
static gchar *
wait_warning (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 5 * GST_SECOND,
      GST_MESSAGE_WARNING);
  GError *error = NULL;
  gchar *text;

  fail_unless (msg != NULL, "no warning");
  gst_message_parse_warning (msg, &error, NULL);
  text = g_strdup (error->message);
  g_clear_error (&error);
  gst_message_unref (msg);
  gst_object_unref (bus);
  return text;
}

/* Bad watermarks and missing files: warnings naming the JSON path or the
 * file, and the room is recorded all the same. */
GST_START_TEST (test_bad_pictures)
{
  static const struct
  {
    const gchar *property, *value;
    const gchar *want;
  } cases[] = {
    {"watermarks", "[{\"image\": \"a.png\", \"top\": 0, \"left\": 0, "
          "\"width\": 1.5, \"height\": 10}]", "$[0].width"},
    {"watermarks", "[{\"image\": \"a.png\", \"top\": 0, \"left\": 1200, "
          "\"width\": 200, \"height\": 10}]", "$[0].width"},
    {"watermarks", "not json", "JSON syntax error"},
    {"watermarks", "[{\"image\": \"/nonexistent/logo.png\", \"top\": 0, "
          "\"left\": 0, \"width\": 10, \"height\": 10}]",
        "/nonexistent/logo.png"},
    {"background-image", "/nonexistent/bg.png", "/nonexistent/bg.png"},
    {"placeholder-image", "/nonexistent/ph.jpg", "/nonexistent/ph.jpg"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstElement *pipeline = make_pipeline (1, NULL);
    RrLayout *layout = expected_layout (RR_LAYOUT_GRID, 1, NULL);
    gchar *warning;

    set_mix (pipeline, cases[i].property, cases[i].value);
    play (pipeline);
    warning = wait_warning (pipeline);
    fail_unless (strstr (warning, cases[i].want) != NULL, "%s: %s",
        cases[i].value, warning);
    GST_INFO ("%s", warning);
    g_free (warning);
    /* the room is recorded all the same */
    wait_for_layout (pipeline, layout, 0);
    rr_layout_free (layout);
    stop (pipeline);
  }
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* not live                                                            */

/* gst-launch-1.0 -e style: num-buffers sources, not live, a background, an
 * audio-only placeholder and a watermark; the whole thing reaches EOS and
 * the MP4 is finished. */
GST_START_TEST (test_not_live_eos)
{
  gchar *dir = make_tmpdir ();
  gchar *png = g_build_filename (dir, "logo.png", NULL);
  gchar *mp4 = g_build_filename (dir, "out.mp4", NULL);
  gchar *desc, *json;
  RrTestRun run;
  GstDiscoverer *discoverer;
  GstDiscovererInfo *dinfo;
  GList *streams;
  gchar *uri;
  GstElement *pipeline, *sink;
  GstSample *sample;
  GError *error = NULL;
  guint frames = 0;
  const PixelCheck checks[] = {
    {320, 360, BACKGROUND_RGB, FALSE},
    {644, 4, PLACEHOLDER_FILL, TRUE},
    {10, 10, 0xff0000, TRUE},   /* the watermark */
  };
  gchar *why = NULL;
  gboolean seen = FALSE;

  write_png (png, 0xff0000, 16, 16, FALSE);
  /* into an appsink: every frame, then EOS */
  desc = g_strdup_printf ("compositorlayout name=mix width=%d height=%d "
      "framerate=10/1 background=0x%08x audio_0::participant=bob "
      "mix.video_src ! videoconvert ! "
      "video/x-raw,format=RGB ! appsink name=sink sync=false "
      "videotestsrc num-buffers=20 ! video/x-raw,width=160,height=90,"
      "framerate=10/1 ! mix.video_0 "
      "audiotestsrc num-buffers=40 samplesperbuffer=2400 ! "
      "audio/x-raw,rate=48000 ! mix.audio_0", CANVAS_W, CANVAS_H, BACKGROUND);
  pipeline = gst_parse_launch (desc, &error);
  fail_unless (pipeline != NULL, "%s", error ? error->message : "?");
  json = g_strdup_printf ("[{\"image\": \"%s\", \"top\": 0, \"left\": 0, "
      "\"width\": 20, \"height\": 20}]", png);
  set_mix (pipeline, "watermarks", json);
  g_free (json);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  play (pipeline);
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
              10 * GST_SECOND))) {
    if (!seen)
      seen = check_pixels (sample, checks, G_N_ELEMENTS (checks), &why);
    gst_sample_unref (sample);
    frames++;
  }
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (sink)), "no EOS after %u "
      "frames", frames);
  fail_unless (seen, "%s", why);
  /* 2 s of video (20 frames), 2 s of sound (40 x 2400 / 48000) */
  fail_unless (frames >= 20 && frames <= 22, "%u frames", frames);
  gst_object_unref (sink);
  stop (pipeline);
  g_free (desc);
  g_free (why);

  /* into an MP4 */
  if (gst_registry_check_feature_version (gst_registry_get (), "x264enc", 1,
          0, 0) && gst_registry_check_feature_version (gst_registry_get (),
          "mp4mux", 1, 0, 0)
      && gst_registry_check_feature_version (gst_registry_get (),
          "avenc_aac", 1, 0, 0)) {
    desc = g_strdup_printf ("compositorlayout name=mix width=640 height=360 "
        "background=0x%08x audio_0::participant=bob mix.video_src ! "
        "videoconvert ! x264enc ! mp4mux name=mux ! "
        "filesink location=\"%s\" mix.audio_src ! audioconvert ! "
        "avenc_aac ! mux. "
        "videotestsrc num-buffers=30 ! mix.video_0 "
        "audiotestsrc num-buffers=60 ! mix.audio_0", BACKGROUND, mp4);
    rr_test_run_pipeline (desc, &run);
    fail_unless (run.error == NULL, "%s: %s", desc, run.error);
    rr_test_run_clear (&run);
    /* a finished MP4: its index says how long its video is */
    discoverer = gst_discoverer_new (10 * GST_SECOND, &error);
    fail_unless (discoverer != NULL);
    uri = gst_filename_to_uri (mp4, NULL);
    dinfo = gst_discoverer_discover_uri (discoverer, uri, &error);
    fail_unless (dinfo != NULL, "%s: %s", mp4, error ? error->message : "?");
    fail_unless_equals_int (gst_discoverer_info_get_result (dinfo),
        GST_DISCOVERER_OK);
    streams = gst_discoverer_info_get_video_streams (dinfo);
    fail_unless (streams != NULL, "no video in %s", mp4);
    gst_discoverer_stream_info_list_free (streams);
    fail_unless (gst_discoverer_info_get_duration (dinfo) >= GST_SECOND,
        "%" GST_TIME_FORMAT, GST_TIME_ARGS (gst_discoverer_info_get_duration
            (dinfo)));
    gst_discoverer_info_unref (dinfo);
    g_object_unref (discoverer);
    g_free (uri);
    g_free (desc);
  }

  rr_test_rm_rf (dir);
  g_free (mp4);
  g_free (png);
  g_free (dir);
}

GST_END_TEST;

/* Not live, a placeholder no longer used (its participant is gone) stays
 * hidden and must not hold the compositor back: the pipeline ends. */
GST_START_TEST (test_not_live_hidden_placeholder)
{
  GstElement *pipeline, *mix, *sink;
  GError *error = NULL;
  GstSample *sample;
  GstPad *audio;
  guint frames = 0;

  pipeline = gst_parse_launch ("compositorlayout name=mix width=320 "
      "height=180 framerate=10/1 background=0xff3366cc "
      "audio_0::participant=bob mix.video_src ! appsink name=sink "
      "sync=false videotestsrc num-buffers=20 ! "
      "video/x-raw,framerate=10/1 ! mix.video_0 "
      "audiotestsrc num-buffers=10 ! mix.audio_0", &error);
  fail_unless (pipeline != NULL, "%s", error ? error->message : "?");
  mix = gst_bin_get_by_name (GST_BIN (pipeline), "mix");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  /* bob's placeholder was made; now he is no participant any more */
  audio = gst_element_get_static_pad (mix, "audio_0");
  g_object_set (audio, "participant", NULL, NULL);
  play (pipeline);
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
              10 * GST_SECOND))) {
    gst_sample_unref (sample);
    frames++;
  }
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (sink)), "no EOS after %u "
      "frames", frames);
  fail_unless (frames >= 20, "%u frames", frames);
  gst_object_unref (audio);
  gst_object_unref (sink);
  gst_object_unref (mix);
  stop (pipeline);
}

GST_END_TEST;

/* Only sound, not live: the video (a placeholder) lasts as long as the
 * sound and ends with it. */
GST_START_TEST (test_not_live_audio_only)
{
  GstElement *pipeline, *vsink;
  GError *error = NULL;
  GstSample *sample;
  GstClockTime last = 0;
  guint frames = 0;

  pipeline = gst_parse_launch ("compositorlayout name=mix width=320 "
      "height=180 framerate=30/1 audio_0::participant=bob "
      "mix.video_src ! appsink name=vsink sync=false "
      "mix.audio_src ! fakesink sync=false "
      "audiotestsrc num-buffers=30 samplesperbuffer=4800 ! "
      "audio/x-raw,rate=48000 ! mix.audio_0", &error);
  fail_unless (pipeline != NULL, "%s", error ? error->message : "?");
  vsink = gst_bin_get_by_name (GST_BIN (pipeline), "vsink");
  play (pipeline);
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (vsink),
              10 * GST_SECOND))) {
    last = GST_BUFFER_PTS (gst_sample_get_buffer (sample));
    gst_sample_unref (sample);
    frames++;
  }
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (vsink)));
  /* 30 x 4800 / 48000 = 3 s of sound: 90 frames; nothing holds this
   * picture back (the sinks do not sync), so it may run ahead of the sound
   * by as much as the element lets it: 3 s */
  fail_unless (frames >= 89, "%u frames", frames);
  fail_unless (last < 6 * GST_SECOND + GST_SECOND / 10, "last frame at %"
      GST_TIME_FORMAT, GST_TIME_ARGS (last));
  gst_object_unref (vsink);
  stop (pipeline);
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
  tcase_add_test (tc, test_crop);
  tcase_add_test (tc, test_letterbox);
  tcase_add_test (tc, test_background_color);
  tcase_add_test (tc, test_background_image);
  tcase_add_test (tc, test_placeholder_text);
  tcase_add_test (tc, test_placeholder_image);
  tcase_add_test (tc, test_placeholder_dynamic);
  tcase_add_test (tc, test_watermark);
  tcase_add_test (tc, test_bad_pictures);
  tcase_add_test (tc, test_not_live_eos);
  tcase_add_test (tc, test_not_live_hidden_placeholder);
  tcase_add_test (tc, test_not_live_audio_only);
  return s;
}

GST_CHECK_MAIN (compositorlayout);
