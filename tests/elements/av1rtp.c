/* roomrec — element tests for rtpaomav1pay / rtpaomav1depay
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>

#define NUM_FRAMES 30
#define RTP_CAPS "application/x-rtp, media=(string)video, " \
    "clock-rate=(int)90000, encoding-name=(string)AV1, payload=(int)96"
/* libaom 3.6 (bookworm) asserts in CBR rate control with the default
 * key frame distance; a short GOP also gives key frames to recover on. */
#define ENCODER "videotestsrc num-buffers=" G_STRINGIFY (NUM_FRAMES) " ! " \
    "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! " \
    "av1enc cpu-used=8 end-usage=cbr target-bitrate=300 " \
    "keyframe-max-dist=10 ! av1parse"

static gboolean
have_elements (void)
{
  static const gchar *names[] = { "av1enc", "av1dec", "av1parse",
    "webmmux", "matroskademux", "rtpaomav1pay", "rtpaomav1depay"
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

static GstFlowReturn
collect_sample (GstElement * sink, GPtrArray * out)
{
  GstSample *sample = NULL;

  g_signal_emit_by_name (sink, "pull-sample", &sample);
  if (sample) {
    g_ptr_array_add (out, gst_buffer_ref (gst_sample_get_buffer (sample)));
    gst_sample_unref (sample);
  }
  return GST_FLOW_OK;
}

static void
run_to_eos (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "timeout");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    fail ("error: %s (%s)", err->message, GST_STR_NULL (dbg));
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

/* Encodes NUM_FRAMES frames and returns the RTP packets. */
static GPtrArray *
encode_rtp (guint mtu)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  gchar *desc = g_strdup_printf ("%s ! rtpaomav1pay mtu=%u ! "
      "appsink name=sink sync=false emit-signals=true", ENCODER, mtu);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *sink;

  fail_unless (pipeline != NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_signal_connect (sink, "new-sample", G_CALLBACK (collect_sample), out);
  run_to_eos (pipeline);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (desc);
  return out;
}

static gboolean
rtp_marker (GstBuffer * buf)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gboolean marker;

  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp));
  marker = gst_rtp_buffer_get_marker (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  return marker;
}

static guint
count_markers (GPtrArray * packets)
{
  guint i, n = 0;

  for (i = 0; i < packets->len; i++)
    n += rtp_marker (packets->pdata[i]);
  return n;
}

/* Counts the upstream force-key-unit events that reached the harness. */
static guint
count_fku (GstHarness * h)
{
  GstEvent *ev;
  guint n = 0;

  while ((ev = gst_harness_try_pull_upstream_event (h)) != NULL) {
    if (gst_video_event_is_force_key_unit (ev)) {
      gboolean all_headers = FALSE;

      fail_unless (gst_video_event_parse_upstream_force_key_unit (ev, NULL,
              &all_headers, NULL));
      fail_unless (all_headers);
      n++;
    }
    gst_event_unref (ev);
  }
  return n;
}

/* Pushes @packets (skipping index @skip, -1 for none) into @h, then EOS.
 * Returns the output buffers. */
static GPtrArray *
depayload (GstHarness * h, GPtrArray * packets, gint skip)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstBuffer *buf;
  guint i;

  gst_harness_set_src_caps_str (h, RTP_CAPS);
  for (i = 0; i < packets->len; i++) {
    if ((gint) i == skip)
      continue;
    fail_unless_equals_int (gst_harness_push (h,
            gst_buffer_ref (packets->pdata[i])), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  while ((buf = gst_harness_try_pull (h)) != NULL)
    g_ptr_array_add (out, buf);
  return out;
}

static void
check_caps (GstHarness * h)
{
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  GstStructure *s;

  fail_unless (caps != NULL);
  s = gst_caps_get_structure (caps, 0);
  fail_unless (gst_structure_has_name (s, "video/x-av1"));
  fail_unless_equals_string (gst_structure_get_string (s, "stream-format"),
      "obu-stream");
  fail_unless_equals_string (gst_structure_get_string (s, "alignment"), "tu");
  gst_caps_unref (caps);
}

static void
check_roundtrip (guint mtu)
{
  GPtrArray *packets, *out;
  GstHarness *h;
  guint i;

  packets = encode_rtp (mtu);
  fail_unless_equals_int (count_markers (packets), NUM_FRAMES);
  for (i = 0; i < packets->len; i++)
    fail_unless (gst_buffer_get_size (packets->pdata[i]) <= mtu);

  h = gst_harness_new_parse ("rtpaomav1depay ! av1parse");
  out = depayload (h, packets, -1);
  fail_unless_equals_int (out->len, NUM_FRAMES);
  fail_if (GST_BUFFER_FLAG_IS_SET (out->pdata[0], GST_BUFFER_FLAG_DELTA_UNIT));
  fail_unless (GST_BUFFER_FLAG_IS_SET (out->pdata[1],
          GST_BUFFER_FLAG_DELTA_UNIT));
  check_caps (h);

  g_ptr_array_unref (out);
  g_ptr_array_unref (packets);
  gst_harness_teardown (h);
}

GST_START_TEST (test_roundtrip)
{
  if (!have_elements ())
    return;
  check_roundtrip (1400);
}

GST_END_TEST;

GST_START_TEST (test_small_mtu)
{
  GPtrArray *packets;

  if (!have_elements ())
    return;

  /* every temporal unit needs several packets */
  packets = encode_rtp (300);
  fail_unless (packets->len > 3 * NUM_FRAMES);
  g_ptr_array_unref (packets);

  check_roundtrip (300);
}

GST_END_TEST;

/* index of the @n-th packet (from 0) of temporal unit @tu */
static gint
packet_index (GPtrArray * packets, guint tu, guint n)
{
  guint i, cur = 0, in_tu = 0;

  for (i = 0; i < packets->len; i++) {
    if (cur == tu && in_tu == n)
      return i;
    in_tu++;
    if (rtp_marker (packets->pdata[i])) {
      cur++;
      in_tu = 0;
    }
  }
  return -1;
}

GST_START_TEST (test_packet_loss)
{
  GPtrArray *packets, *out;
  GstHarness *h;
  gint skip;
  guint i;

  if (!have_elements ())
    return;

  /* key frames at 0, 10, 20; lose the second packet of unit 5 */
  packets = encode_rtp (600);
  skip = packet_index (packets, 5, 1);
  fail_unless (skip > 0);

  h = gst_harness_new ("rtpaomav1depay");
  out = depayload (h, packets, skip);
  /* units 0-4, then nothing until the key frame at 10 */
  fail_unless_equals_int (out->len, 5 + (NUM_FRAMES - 10));
  fail_if (GST_BUFFER_FLAG_IS_SET (out->pdata[0], GST_BUFFER_FLAG_DELTA_UNIT));
  fail_if (GST_BUFFER_FLAG_IS_SET (out->pdata[5], GST_BUFFER_FLAG_DELTA_UNIT));
  fail_unless (GST_BUFFER_FLAG_IS_SET (out->pdata[5], GST_BUFFER_FLAG_DISCONT));
  for (i = 1; i < 5; i++)
    fail_unless (GST_BUFFER_FLAG_IS_SET (out->pdata[i],
            GST_BUFFER_FLAG_DELTA_UNIT));
  /* PTS of the unit after the gap is the one of frame 10 */
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out->pdata[5]),
      gst_util_uint64_scale (10, GST_SECOND, 30));

  /* exactly one upstream force-key-unit request (rate-limited to one per
   * second while waiting) */
  fail_unless_equals_int (count_fku (h), 1);

  g_ptr_array_unref (out);
  gst_harness_teardown (h);

  /* without wait-for-keyframe only the broken unit is dropped */
  h = gst_harness_new ("rtpaomav1depay");
  g_object_set (h->element, "wait-for-keyframe", FALSE, NULL);
  out = depayload (h, packets, skip);
  fail_unless_equals_int (out->len, NUM_FRAMES - 1);
  fail_unless_equals_int (count_fku (h), 1);
  g_ptr_array_unref (out);
  gst_harness_teardown (h);

  g_ptr_array_unref (packets);
}

GST_END_TEST;

GST_START_TEST (test_join_mid_stream)
{
  GPtrArray *packets, *out;
  GstHarness *h;
  gint first;

  if (!have_elements ())
    return;

  /* start in the middle of unit 3: nothing until the key frame at 10 */
  packets = encode_rtp (600);
  first = packet_index (packets, 3, 1);
  fail_unless (first > 0);
  g_ptr_array_remove_range (packets, 0, first);

  h = gst_harness_new ("rtpaomav1depay");
  out = depayload (h, packets, -1);
  fail_unless_equals_int (out->len, NUM_FRAMES - 10);
  fail_if (GST_BUFFER_FLAG_IS_SET (out->pdata[0], GST_BUFFER_FLAG_DELTA_UNIT));
  fail_unless_equals_int (count_fku (h), 1);

  g_ptr_array_unref (out);
  gst_harness_teardown (h);
  g_ptr_array_unref (packets);
}

GST_END_TEST;

static void
count_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad, guint * count)
{
  (*count)++;
}

GST_START_TEST (test_webm_decode)
{
  gchar *dir, *file, *desc;
  GstElement *pipeline, *sink;
  guint decoded = 0;

  if (!have_elements ())
    return;

  dir = g_dir_make_tmp ("av1rtp-XXXXXX", NULL);
  fail_unless (dir != NULL);
  file = g_build_filename (dir, "out.webm", NULL);

  desc = g_strdup_printf ("%s ! rtpaomav1pay mtu=500 ! rtpaomav1depay ! "
      "av1parse ! webmmux ! filesink location=\"%s\"", ENCODER, file);
  pipeline = gst_parse_launch (desc, NULL);
  fail_unless (pipeline != NULL);
  run_to_eos (pipeline);
  gst_object_unref (pipeline);
  g_free (desc);

  desc = g_strdup_printf ("filesrc location=\"%s\" ! matroskademux ! "
      "av1dec ! fakesink name=sink signal-handoffs=true", file);
  pipeline = gst_parse_launch (desc, NULL);
  fail_unless (pipeline != NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_signal_connect (sink, "handoff", G_CALLBACK (count_handoff), &decoded);
  run_to_eos (pipeline);
  fail_unless_equals_int (decoded, NUM_FRAMES);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (desc);

  g_unlink (file);
  g_rmdir (dir);
  g_free (file);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_garbage_input)
{
  GstHarness *h = gst_harness_new ("rtpaomav1depay");
  GRand *r = g_rand_new_with_seed (7);
  guint i, j;

  g_object_set (h->element, "wait-for-keyframe", FALSE, NULL);
  gst_harness_set_src_caps_str (h, RTP_CAPS);
  for (i = 0; i < 2000; i++) {
    guint len = g_rand_int_range (r, 0, 40);
    GstBuffer *buf = gst_rtp_buffer_new_allocate (len, 0, 0);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    guint8 *p;

    gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp);
    p = gst_rtp_buffer_get_payload (&rtp);
    for (j = 0; j < len; j++)
      p[j] = g_rand_int (r);
    gst_rtp_buffer_set_seq (&rtp, i * (1 + (i % 7 == 0)));
    gst_rtp_buffer_set_timestamp (&rtp, (i / 3) * 3000);
    gst_rtp_buffer_set_marker (&rtp, g_rand_boolean (r));
    gst_rtp_buffer_set_payload_type (&rtp, 96);
    gst_rtp_buffer_unmap (&rtp);
    GST_BUFFER_PTS (buf) = i * GST_MSECOND;
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  g_rand_free (r);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
av1rtp_suite (void)
{
  Suite *s = suite_create ("av1rtp");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_roundtrip);
  tcase_add_test (tc, test_small_mtu);
  tcase_add_test (tc, test_packet_loss);
  tcase_add_test (tc, test_join_mid_stream);
  tcase_add_test (tc, test_webm_decode);
  tcase_add_test (tc, test_garbage_input);

  return s;
}

GST_CHECK_MAIN (av1rtp);
