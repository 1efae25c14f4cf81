/* roomrec — the composite of a room (mode mixed/both)
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One bin in the room's pipeline:
 *
 *   compositorlayout.video_src ! queue ! <video encoder> ! [tee !] splitmuxrec…
 *   compositorlayout.audio_src ! queue ! audioconvert ! <audio encoder> ! [tee !] …
 *   audiotestsrc wave=silence is-live=true ! compositorlayout.audio_%u
 *
 * with one splitmuxrec per output file (HLS, MP4, WebM; TRTC hls+mp4 is
 * two).  The silent source keeps the audio track going while nobody
 * speaks, so the files always have sound.  Participants' decoded pads are
 * requested from the compositorlayout by the room.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "roommix.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (room_mix_debug);
#define GST_CAT_DEFAULT room_mix_debug

/* After the EOS went in, how long the composite may take to come out of
 * the compositor before it is pushed into the encoders directly. */
#define STOP_GRACE_S 3

struct _RrRoomMix
{
  GstBin *pipeline;
  GstElement *bin;
  GstElement *layout;
  GstElement *silence;
  GstElement *video_queue;
  GstElement *audio_queue;
  GPtrArray *recorders;         /* splitmuxrec elements */
  GArray *finished;             /* gboolean per recorder */
  gint fps;
  guint n_finished;
  gboolean stopping;
  guint stop_timeout;
};

static GstElement *
add (RrRoomMix * mix, const gchar * factory, const gchar * name,
    GError ** error)
{
  GstElement *e = gst_element_factory_make (factory, name);

  if (e == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "the composite needs the %s element, which is not installed%s",
        factory, g_str_has_suffix (factory, "layout")
        || g_str_equal (factory, "splitmuxrec") ?
        ": point GST_PLUGIN_PATH at the roomrec plugin" :
        " (make deps installs the GStreamer plugins roomrec uses)");
    return NULL;
  }
  gst_bin_add (GST_BIN (mix->bin), e);
  return e;
}

static gboolean
set_optional (GstElement * e, const gchar * prop, const gchar * value,
    const gchar * key, GError ** error)
{
  if (value == NULL)
    return TRUE;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (e), prop) == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NOT_IMPLEMENTED,
        "$.mix.%s: this roomrec's compositorlayout has no %s property", key,
        prop);
    return FALSE;
  }
  g_object_set (e, prop, value, NULL);
  return TRUE;
}

static GstElement *
make_layout (RrRoomMix * mix, const RrMixConfig * m, GError ** error)
{
  GstElement *l = add (mix, "compositorlayout", "compositorlayout", error);

  if (l == NULL)
    return NULL;
  /* what arrives later than this after its time is not waited for */
  g_object_set (l, "width", m->width, "height", m->height,
      "framerate", m->fps, 1, "background", m->background,
      "latency", (guint64) 100 * GST_MSECOND, NULL);
  gst_util_set_object_arg (G_OBJECT (l), "mode",
      rr_layout_mode_to_string (m->layout));
  if (!set_optional (l, "main-participant", m->main_participant,
          "main_participant", error)
      || !set_optional (l, "custom-layout", m->regions_json, "regions", error)
      || !set_optional (l, "background-image", m->background_image,
          "background_image", error)
      || !set_optional (l, "placeholder-image", m->placeholder_image,
          "placeholder_image", error)
      || !set_optional (l, "watermarks", m->watermarks_json, "watermarks",
          error))
    return NULL;
  return l;
}

void
rr_room_mix_set_layout (RrRoomMix * mix, const RrMixConfig * m)
{
  GstElement *l = mix->layout;

  /* the element applies its pads' new geometry together, at the next
   * output frame (no frame is drawn half old, half new) */
  g_object_set (l, "custom-layout", m->regions_json,
      "main-participant", m->main_participant,
      "watermarks", m->watermarks_json, NULL);
  gst_util_set_object_arg (G_OBJECT (l), "mode",
      rr_layout_mode_to_string (m->layout));
}

static GstElement *
make_video_encoder (RrRoomMix * mix, const RrMixConfig * m, GError ** error)
{
  guint key_distance = m->fps * m->gop_s;
  GstElement *e;

  switch (m->video_codec) {
    case RR_CODEC_VP8:
    case RR_CODEC_VP9:
      e = add (mix, m->video_codec == RR_CODEC_VP8 ? "vp8enc" : "vp9enc",
          "video-encoder", error);
      if (e == NULL)
        return NULL;
      /* realtime: libvpx's "good" deadline cannot keep up live */
      g_object_set (e, "deadline", (gint64) 1, "cpu-used", 8,
          "target-bitrate", (gint) (m->bitrate_kbps * 1000),
          "keyframe-max-dist", (gint) key_distance, "threads", 2, NULL);
      gst_util_set_object_arg (G_OBJECT (e), "end-usage", "cbr");
      return e;
    default:
      e = add (mix, "x264enc", "video-encoder", error);
      if (e == NULL)
        return NULL;
      g_object_set (e, "bitrate", m->bitrate_kbps, "key-int-max",
          key_distance, NULL);
      gst_util_set_object_arg (G_OBJECT (e), "speed-preset", "veryfast");
      return e;
  }
}

/* voaacenc's output is heard 1600 samples (33 ms) after the time on it:
 * 1024 of AAC priming plus its own delay (measured by decoding a click
 * with FFmpeg; tests/integration/launcher-mixed.sh checks A/V sync).
 * MPEG-TS cannot say so, and 1.22's mp4mux writes no priming edit for it:
 * the packets are stamped that much earlier instead. */
#define AAC_ENCODER_DELAY (1600 * GST_SECOND / 48000)

static GstPadProbeReturn
undo_encoder_delay (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  if (!GST_BUFFER_PTS_IS_VALID (buf)
      || GST_BUFFER_PTS (buf) < AAC_ENCODER_DELAY)
    return GST_PAD_PROBE_OK;
  buf = gst_buffer_make_writable (buf);
  GST_BUFFER_PTS (buf) -= AAC_ENCODER_DELAY;
  if (GST_BUFFER_DTS_IS_VALID (buf))
    GST_BUFFER_DTS (buf) = GST_BUFFER_DTS (buf) > AAC_ENCODER_DELAY ?
        GST_BUFFER_DTS (buf) - AAC_ENCODER_DELAY : 0;
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

static GstElement *
make_audio_encoder (RrRoomMix * mix, const RrMixConfig * m, GError ** error)
{
  GstElement *e;

  if (m->audio_codec == RR_CODEC_OPUS) {
    e = add (mix, "opusenc", "audio-encoder", error);
    if (e)
      g_object_set (e, "bitrate", (gint) (m->audio_bitrate_kbps * 1000), NULL);
  } else {
    e = add (mix, "voaacenc", "audio-encoder", error);
    if (e) {
      GstPad *src = gst_element_get_static_pad (e, "src");

      g_object_set (e, "bitrate", (gint) (m->audio_bitrate_kbps * 1000), NULL);
      gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, undo_encoder_delay,
          NULL, NULL);
      gst_object_unref (src);
    }
  }
  return e;
}

static GstElement *
make_recorder (RrRoomMix * mix, const RrRoomConfig * c, RrFormat format,
    const gchar * connection_id, gint64 start_us, GError ** error)
{
  gchar *name = g_strdup_printf ("recorder-%s", connection_id);
  GstElement *r = add (mix, "splitmuxrec", name, error);

  g_free (name);
  if (r == NULL)
    return NULL;
  g_object_set (r, "archive-dir", c->archive_dir,
      "recording-id", c->recording_id, "room-id", c->room_id,
      "connection-id", connection_id, "session-id", c->recording_id,
      "recording-start-time", start_us,
      "max-size-bytes", c->max_size_bytes,
      "max-duration", c->max_duration_ns,
      "max-pause", c->max_pause_ns,
      "hls-target-duration", c->hls_target_duration_ns,
      "ha", c->failover, NULL);
  /* the sound starts at once, the picture with the first encoded frame
   * (which may take seconds on a loaded machine): one file with both */
  g_object_set (r, "track-wait", (guint64) 20 * GST_SECOND, NULL);
  /* HLS is segmented already */
  if (format != RR_FORMAT_HLS)
    g_object_set (r, "split-duration", c->split_duration_ns,
        "split-only", c->split_only, NULL);
  gst_util_set_object_arg (G_OBJECT (r), "format", rr_format_name (format));
  gst_util_set_object_arg (G_OBJECT (r), "naming",
      c->naming == RR_NAMING_PRESET_TRTC ? "trtc" :
      c->naming == RR_NAMING_PRESET_SPARKRTC ? "sparkrtc" : "sora");
  if (c->tmp_dir)
    g_object_set (r, "tmp-dir", c->tmp_dir, NULL);
  if (c->app_id)
    g_object_set (r, "app-id", c->app_id, NULL);
  if (c->metadata_json)
    g_object_set (r, "metadata", c->metadata_json, NULL);
  g_ptr_array_add (mix->recorders, r);
  g_array_set_size (mix->finished, mix->recorders->len);
  return r;
}

/* @from ! [tee !] every recorder's new sink pad */
static gboolean
link_to_recorders (RrRoomMix * mix, GstElement * from, const gchar * name,
    GError ** error)
{
  GstElement *tee = NULL;

  if (mix->recorders->len > 1) {
    tee = add (mix, "tee", name, error);
    if (tee == NULL)
      return FALSE;
    gst_element_link (from, tee);
    from = tee;
  }
  for (guint i = 0; i < mix->recorders->len; i++) {
    GstElement *r = g_ptr_array_index (mix->recorders, i);

    if (!gst_element_link_pads (from, NULL, r, "sink_%u")) {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
          "the composite's %s cannot go into %s", name, GST_OBJECT_NAME (r));
      return FALSE;
    }
  }
  return TRUE;
}

static void
link_static (GstElement * from, const gchar * pad_name, GstElement * to)
{
  GstPad *src = gst_element_get_static_pad (from, pad_name);
  GstPad *sink = gst_element_get_static_pad (to, "sink");

  gst_pad_link (src, sink);
  gst_object_unref (src);
  gst_object_unref (sink);
}

static gboolean
build (RrRoomMix * mix, const RrRoomConfig * c, gint64 start_us,
    GError ** error)
{
  const RrMixConfig *m = &c->mix;
  GstElement *venc, *aconv, *aenc;
  GstPad *pad, *silence_pad;

  mix->layout = make_layout (mix, m, error);
  if (mix->layout == NULL)
    return FALSE;

  if (m->outputs & RR_MIX_OUTPUT_HLS
      && !make_recorder (mix, c, RR_FORMAT_HLS,
          m->outputs == RR_MIX_OUTPUT_HLS ? "mix" : "mix-hls", start_us, error))
    return FALSE;
  if (m->outputs & RR_MIX_OUTPUT_MP4
      && !make_recorder (mix, c, RR_FORMAT_MP4,
          m->outputs == RR_MIX_OUTPUT_MP4 ? "mix" : "mix-mp4", start_us, error))
    return FALSE;
  if (m->outputs & RR_MIX_OUTPUT_WEBM
      && !make_recorder (mix, c, RR_FORMAT_WEBM, "mix", start_us, error))
    return FALSE;

  /* video: the queue is the encoder's thread */
  mix->video_queue = add (mix, "queue", "video-queue", error);
  venc = mix->video_queue ? make_video_encoder (mix, m, error) : NULL;
  if (venc == NULL)
    return FALSE;
  link_static (mix->layout, "video_src", mix->video_queue);
  if (!gst_element_link (mix->video_queue, venc)
      || !link_to_recorders (mix, venc, "video-tee", error))
    return FALSE;

  /* audio */
  mix->audio_queue = add (mix, "queue", "audio-queue", error);
  aconv = mix->audio_queue ? add (mix, "audioconvert", NULL, error) : NULL;
  aenc = aconv ? make_audio_encoder (mix, m, error) : NULL;
  if (aenc == NULL)
    return FALSE;
  link_static (mix->layout, "audio_src", mix->audio_queue);
  if (!gst_element_link_many (mix->audio_queue, aconv, aenc, NULL)
      || !link_to_recorders (mix, aenc, "audio-tee", error))
    return FALSE;

  mix->silence = add (mix, "audiotestsrc", "silence", error);
  if (mix->silence == NULL)
    return FALSE;
  g_object_set (mix->silence, "is-live", TRUE, "samplesperbuffer", 960, NULL);
  gst_util_set_object_arg (G_OBJECT (mix->silence), "wave", "silence");
  silence_pad = gst_element_get_static_pad (mix->silence, "src");
  pad = gst_element_request_pad_simple (mix->layout, "audio_%u");
  gst_pad_link (silence_pad, pad);
  gst_object_unref (silence_pad);
  gst_object_unref (pad);
  return TRUE;
}

RrRoomMix *
rr_room_mix_new (GstBin * pipeline, const RrRoomConfig * c, gint64 start_us,
    GError ** error)
{
  RrRoomMix *mix;

  if (GST_CAT_DEFAULT == NULL)
    GST_DEBUG_CATEGORY_INIT (room_mix_debug, "roomrec-mix", 0,
        "roomrec room composite");
  mix = g_new0 (RrRoomMix, 1);
  mix->pipeline = gst_object_ref (pipeline);
  mix->recorders = g_ptr_array_new ();
  mix->finished = g_array_new (FALSE, TRUE, sizeof (gboolean));
  mix->fps = c->mix.fps;
  mix->bin = gst_bin_new ("mix");
  /* the recorders' EOS reaches the bus wrapped in GstBinForwarded */
  g_object_set (mix->bin, "message-forward", TRUE, NULL);
  /* its sinks preroll only once the first picture is encoded; the running
   * pipeline must not lose its PLAYING state (and hold back participants
   * joining meanwhile) until then */
  g_object_set (mix->bin, "async-handling", TRUE, NULL);
  gst_bin_add (pipeline, mix->bin);
  if (!build (mix, c, start_us, error)
      || !gst_element_sync_state_with_parent (mix->bin)) {
    if (error && *error == NULL)
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
          "the composite could not start (see the error above)");
    rr_room_mix_free (mix);
    return NULL;
  }
  return mix;
}

GstPad *
rr_room_mix_request_pad (RrRoomMix * mix, gboolean video,
    const gchar * participant)
{
  GstPad *pad = gst_element_request_pad_simple (mix->layout,
      video ? "video_%u" : "audio_%u");
  GstPad *ghost;

  if (pad == NULL)
    return NULL;
  g_object_set (pad, "participant", participant, NULL);
  /* participants are bins beside the mix bin: link through its border */
  ghost = gst_ghost_pad_new (GST_OBJECT_NAME (pad), pad);
  gst_object_unref (pad);
  /* the compositor shows a picture in the output frame it starts in, i.e.
   * up to one frame early; half a frame later it is shown within half a
   * frame of its time, early or late (A/V sync) */
  if (video)
    gst_pad_set_offset (ghost, GST_SECOND / (2 * mix->fps));
  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (mix->bin, gst_object_ref (ghost));
  return ghost;
}

void
rr_room_mix_release_pad (RrRoomMix * mix, GstPad * ghost)
{
  GstPad *pad = gst_ghost_pad_get_target (GST_GHOST_PAD (ghost));

  gst_element_remove_pad (mix->bin, ghost);
  if (pad) {
    gst_element_release_request_pad (mix->layout, pad);
    gst_object_unref (pad);
  }
}

static void
send_eos_to_pads (GstElement * element, gboolean sink_pads)
{
  GstIterator *it = sink_pads ? gst_element_iterate_sink_pads (element)
      : gst_element_iterate_src_pads (element);
  GValue item = G_VALUE_INIT;

  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    gst_pad_send_event (g_value_get_object (&item), gst_event_new_eos ());
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
}

/* gst_pad_send_event of a serialised event waits for the pad's stream
 * lock: not on the main loop */
static void
end_inputs (GstElement * bin, gpointer data)
{
  RrRoomMix *mix = data;

  gst_element_send_event (mix->silence, gst_event_new_eos ());
  send_eos_to_pads (mix->layout, TRUE);
}

/* A compositor without a single input produces nothing, so no EOS comes
 * out of it either: end the encoders' inputs directly. */
static void
end_encoders (GstElement * bin, gpointer data)
{
  RrRoomMix *mix = data;

  send_eos_to_pads (mix->video_queue, TRUE);
  send_eos_to_pads (mix->audio_queue, TRUE);
}

static gboolean
stop_timeout_cb (gpointer data)
{
  RrRoomMix *mix = data;

  mix->stop_timeout = 0;
  if (!rr_room_mix_is_done (mix)) {
    GST_WARNING ("the composite did not end within %d s: ending the "
        "encoders", STOP_GRACE_S);
    gst_element_call_async (mix->bin, end_encoders, mix, NULL);
  }
  return G_SOURCE_REMOVE;
}

void
rr_room_mix_stop (RrRoomMix * mix)
{
  if (mix->stopping)
    return;
  mix->stopping = TRUE;
  gst_element_call_async (mix->bin, end_inputs, mix, NULL);
  mix->stop_timeout = g_timeout_add_seconds (STOP_GRACE_S, stop_timeout_cb,
      mix);
}

static gboolean
mark_finished (RrRoomMix * mix, guint i)
{
  if (g_array_index (mix->finished, gboolean, i))
    return FALSE;
  g_array_index (mix->finished, gboolean, i) = TRUE;
  mix->n_finished++;
  GST_INFO ("%s finished (%u of %u)", GST_OBJECT_NAME
      (g_ptr_array_index (mix->recorders, i)), mix->n_finished,
      mix->recorders->len);
  return TRUE;
}

gboolean
rr_room_mix_handle_eos (RrRoomMix * mix, GstObject * src)
{
  for (guint i = 0; i < mix->recorders->len; i++)
    if (src == g_ptr_array_index (mix->recorders, i)) {
      mark_finished (mix, i);
      return TRUE;
    }
  return FALSE;
}

/* After the stop, a recorder whose last file is complete is done even if
 * its EOS has not come through yet (or got lost). */
gboolean
rr_room_mix_handle_file_message (RrRoomMix * mix, const gchar * name,
    GstObject * src, gboolean split_only)
{
  if (!mix->stopping)
    return FALSE;
  if (!(g_str_equal (name, "splitmuxrec-archive-available")
          || (split_only && g_str_equal (name,
                  "splitmuxrec-split-archive-end"))))
    return FALSE;
  for (guint i = 0; i < mix->recorders->len; i++) {
    GstObject *r = g_ptr_array_index (mix->recorders, i);

    if (src == r || gst_object_has_as_ancestor (src, r))
      return mark_finished (mix, i);
  }
  return FALSE;
}

gboolean
rr_room_mix_is_done (RrRoomMix * mix)
{
  return mix->n_finished >= mix->recorders->len;
}

gboolean
rr_room_mix_contains (RrRoomMix * mix, GstObject * obj)
{
  return obj == GST_OBJECT (mix->bin)
      || gst_object_has_as_ancestor (obj, GST_OBJECT (mix->bin));
}

void
rr_room_mix_free (RrRoomMix * mix)
{
  if (mix == NULL)
    return;
  if (mix->stop_timeout)
    g_source_remove (mix->stop_timeout);
  gst_element_set_state (mix->bin, GST_STATE_NULL);
  gst_bin_remove (mix->pipeline, mix->bin);
  g_ptr_array_unref (mix->recorders);
  g_array_unref (mix->finished);
  gst_object_unref (mix->pipeline);
  g_free (mix);
}
