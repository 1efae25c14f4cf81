/* roomrec — test helpers: run pipelines, inspect the files they wrote
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "filecheck.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

void
rr_test_run_pipeline (const gchar * description, RrTestRun * run)
{
  GError *err = NULL;
  GstElement *pipeline;
  GstBus *bus;
  gboolean done = FALSE;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  memset (run, 0, sizeof (*run));
  run->messages = g_ptr_array_new_with_free_func (g_free);
  run->structures = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_structure_free);

  pipeline = gst_parse_launch (description, &err);
  if (err != NULL) {
    run->error = g_strdup_printf ("parse: %s", err->message);
    g_error_free (err);
    if (pipeline)
      gst_object_unref (pipeline);
    return;
  }
  bus = gst_element_get_bus (pipeline);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    done = FALSE;               /* the error is on the bus */

  while (!done) {
    GstMessage *msg = gst_bus_timed_pop (bus, 100 * GST_MSECOND);

    if (g_get_monotonic_time () > deadline) {
      run->error = g_strdup ("timeout: no EOS after 60 s");
      break;
    }
    if (msg == NULL)
      continue;
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_EOS:
        done = TRUE;
        break;
      case GST_MESSAGE_ERROR:
        if (run->error == NULL) {
          gst_message_parse_error (msg, &err, NULL);
          run->error = g_strdup (err->message);
          g_clear_error (&err);
        }
        done = TRUE;
        break;
      case GST_MESSAGE_ELEMENT:{
        const GstStructure *s = gst_message_get_structure (msg);
        if (s) {
          g_ptr_array_add (run->messages, g_strdup (gst_structure_get_name
                  (s)));
          g_ptr_array_add (run->structures, gst_structure_copy (s));
        }
        break;
      }
      default:
        break;
    }
    gst_message_unref (msg);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  /* messages posted while stopping (files finished on the way down) */
  {
    GstMessage *msg;
    while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
      const GstStructure *s = gst_message_get_structure (msg);
      if (s) {
        g_ptr_array_add (run->messages, g_strdup (gst_structure_get_name (s)));
        g_ptr_array_add (run->structures, gst_structure_copy (s));
      }
      gst_message_unref (msg);
    }
  }
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

void
rr_test_run_clear (RrTestRun * run)
{
  g_free (run->error);
  if (run->messages)
    g_ptr_array_unref (run->messages);
  if (run->structures)
    g_ptr_array_unref (run->structures);
  memset (run, 0, sizeof (*run));
}

guint
rr_test_count (const RrTestRun * run, const gchar * name)
{
  guint n = 0;

  for (guint i = 0; run->messages && i < run->messages->len; i++)
    if (g_str_equal (g_ptr_array_index (run->messages, i), name))
      n++;
  return n;
}

typedef struct
{
  RrTestMediaInfo *info;
  GstClockTime first;
  GstClockTime last;
  GstElement *pipeline;
  GstClockTime last_audio;
} MediaCtx;

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * pinfo, gpointer user_data)
{
  MediaCtx *ctx = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (pinfo);
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *name = caps ? gst_structure_get_name (gst_caps_get_structure
      (caps, 0)) : "";
  GstClockTime ts = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) :
      GST_BUFFER_DTS (buf);

  if (g_str_has_prefix (name, "video/")) {
    if (ctx->info->video_frames == 0) {
      ctx->info->first_video_is_keyframe =
          !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
      g_strlcpy (ctx->info->video_caps_name, name,
          sizeof (ctx->info->video_caps_name));
    }
    ctx->info->video_frames++;
    if (GST_CLOCK_TIME_IS_VALID (ts)) {
      if (!GST_CLOCK_TIME_IS_VALID (ctx->first) || ts < ctx->first)
        ctx->first = ts;
      ts += GST_BUFFER_DURATION_IS_VALID (buf) ? GST_BUFFER_DURATION (buf) : 0;
      if (!GST_CLOCK_TIME_IS_VALID (ctx->last) || ts > ctx->last)
        ctx->last = ts;
    }
  } else if (g_str_has_prefix (name, "audio/")) {
    if (ctx->info->audio_frames == 0)
      g_strlcpy (ctx->info->audio_caps_name, name,
          sizeof (ctx->info->audio_caps_name));
    ctx->info->audio_frames++;
    if (GST_CLOCK_TIME_IS_VALID (ts)) {
      if (GST_CLOCK_TIME_IS_VALID (ctx->last_audio) && ts < ctx->last_audio)
        ctx->info->audio_backward++;
      ctx->last_audio = ts;
    }
  }
  if (caps)
    gst_caps_unref (caps);
  return GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement * element, GstPad * pad, MediaCtx * ctx)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstPad *sinkpad;

  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add (GST_BIN (ctx->pipeline), sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, ctx, NULL);
  gst_element_sync_state_with_parent (sink);
}

static void
run_to_eos (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg)
    gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
}

void
rr_test_media_info (const gchar * path, RrTestMediaInfo * info)
{
  MediaCtx ctx = { info, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, NULL,
    GST_CLOCK_TIME_NONE
  };
  GstElement *src, *parse;

  memset (info, 0, sizeof (*info));
  ctx.pipeline = gst_pipeline_new (NULL);
  src = gst_element_factory_make ("filesrc", NULL);
  parse = gst_element_factory_make ("parsebin", NULL);
  g_object_set (src, "location", path, NULL);
  gst_bin_add_many (GST_BIN (ctx.pipeline), src, parse, NULL);
  gst_element_link (src, parse);
  g_signal_connect (parse, "pad-added", G_CALLBACK (on_pad_added), &ctx);
  run_to_eos (ctx.pipeline);
  gst_object_unref (ctx.pipeline);
  if (GST_CLOCK_TIME_IS_VALID (ctx.first) && GST_CLOCK_TIME_IS_VALID (ctx.last))
    info->duration = ctx.last - ctx.first;
}

static GstPadProbeReturn
count_any (GstPad * pad, GstPadProbeInfo * pinfo, gpointer user_data)
{
  (*(guint *) user_data)++;
  return GST_PAD_PROBE_OK;
}

guint
rr_test_decoded_video_frames (const gchar * path)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! "
      "video/x-raw ! fakesink name=sink sync=false", path);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *sink;
  GstPad *pad;
  guint frames = 0;

  g_free (desc);
  if (pipeline == NULL)
    return 0;
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_any, &frames, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
  run_to_eos (pipeline);
  gst_object_unref (pipeline);
  return frames;
}

/* popen, not g_spawn: check forks each test, and GLib's child watch thread
 * does not survive that fork */
gint
rr_test_ffmpeg_video_frames (const gchar * path)
{
  gchar *quoted = g_shell_quote (path);
  gchar *cmd = g_strdup_printf ("ffmpeg -nostdin -v error -i %s -map 0:v:0 "
      "-fps_mode passthrough -f framemd5 - 2>/dev/null", quoted);
  gchar line[512];
  FILE *f = popen (cmd, "r");
  gint frames = 0;

  g_free (cmd);
  g_free (quoted);
  if (f == NULL)
    return -1;
  while (fgets (line, sizeof (line), f))
    if (g_str_has_prefix (line, "0,"))
      frames++;
  if (pclose (f) != 0 && frames == 0)
    return -1;
  return frames;
}

JsonObject *
rr_test_load_json (const gchar * dir, const gchar * relpath)
{
  gchar *path = g_build_filename (dir, relpath, NULL);
  JsonParser *parser = json_parser_new ();
  GError *err = NULL;
  JsonObject *o = NULL;

  if (json_parser_load_from_file (parser, path, &err))
    o = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  else
    g_printerr ("cannot load %s: %s\n", path, err->message);
  g_clear_error (&err);
  g_object_unref (parser);
  g_free (path);
  g_assert (o != NULL);
  return o;
}

guint
rr_test_count_files (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  guint n = 0;

  if (d == NULL)
    return 0;
  while ((name = g_dir_read_name (d))) {
    gchar *p = g_build_filename (dir, name, NULL);
    if (g_file_test (p, G_FILE_TEST_IS_DIR))
      n += rr_test_count_files (p);
    else
      n++;
    g_free (p);
  }
  g_dir_close (d);
  return n;
}

void
rr_test_rm_rf (const gchar * path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (d) {
    while ((name = g_dir_read_name (d))) {
      gchar *p = g_build_filename (path, name, NULL);
      rr_test_rm_rf (p);
      g_free (p);
    }
    g_dir_close (d);
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

/* Big-endian at any alignment (GST_READ_UINT32_BE may load a whole word
 * from an unaligned address, which UBSan rejects). */
static guint64
read_be (const guint8 * p, guint n)
{
  guint64 v = 0;

  for (guint i = 0; i < n; i++)
    v = (v << 8) | p[i];
  return v;
}

static gboolean
find_top_box (const guint8 * d, gsize len, const gchar * fourcc, gsize * off,
    gsize * size)
{
  gsize o = 0;

  while (o + 8 <= len) {
    guint64 sz = read_be (d + o, 4);
    if (sz == 1 && o + 16 <= len)
      sz = read_be (d + o + 8, 8);
    else if (sz == 0)
      sz = len - o;
    if (sz < 8 || o + sz > len)
      return FALSE;
    if (memcmp (d + o + 4, fourcc, 4) == 0) {
      *off = o;
      *size = sz;
      return TRUE;
    }
    o += sz;
  }
  return FALSE;
}

gboolean
rr_test_mp4_has_box (const gchar * path, const gchar * fourcc)
{
  gchar *data;
  gsize len, off, size;
  gboolean found;

  if (!g_file_get_contents (path, &data, &len, NULL))
    return FALSE;
  found = find_top_box ((guint8 *) data, len, fourcc, &off, &size);
  g_free (data);
  return found;
}

gboolean
rr_test_mp4_moov_dops (const gchar * path, guint8 payload[11])
{
  gchar *data;
  gsize len, off, size;
  gboolean found = FALSE;

  if (!g_file_get_contents (path, &data, &len, NULL))
    return FALSE;
  if (find_top_box ((guint8 *) data, len, "moov", &off, &size)) {
    for (gsize i = off + 8; i + 4 + 11 <= off + size; i++) {
      if (memcmp (data + i, "dOps", 4) == 0) {
        memcpy (payload, data + i + 4, 11);
        found = TRUE;
        break;
      }
    }
  }
  g_free (data);
  return found;
}
