/* roomrec — rr-webrtc-peer: WHIP publisher and WHEP server for tests
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * A test peer for the end-to-end tests of the launcher, built on webrtcbin
 * and libsoup 3.  Two modes:
 *
 *  whip-publish: sends test video/audio to a WHIP endpoint (like a browser
 *    publishing), counts the key frame requests (PLI/FIR turned into
 *    GstForceKeyUnit events) that reach the encoder and prints
 *    "keyframe-requests: N" at exit.
 *  whep-serve: a small WHEP server on 127.0.0.1 that answers recvonly
 *    offers with test media, for testing a WHEP client.
 *
 * Threading: everything runs in the main thread and its default main
 * context.  webrtcbin calls back from its own threads (promises, signals,
 * notify); those callbacks only copy what they need and queue a Deferred
 * call on the main context.  libsoup objects are created and used only in
 * the main thread.
 *
 * Exit codes: 0 ok, 1 other failure, 2 usage, 3 HTTP error, 4 ICE did not
 * connect (or failed).
 *
 * Lines on stdout, for test scripts:
 *  whip-publish: "location: URL", "answer set", "ice-connected",
 *    "resized to WxH", "duration reached", "deleted URL", and always last
 *    "keyframe-requests: N".  --duration and --resize-at count from
 *    ICE connected.
 *  whep-serve: "listening on PORT", then per session "session ID created",
 *    "session ID: m-line N sends CODEC (pt PT)", "session ID answered
 *    (LOCATION)", "session ID ice-connected", "session ID closed (WHY)
 *    keyframe-requests: N"; "stopping" on SIGINT/SIGTERM.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>
#include <glib-unix.h>
#include <libsoup/soup.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 2
#define EXIT_HTTP 3
#define EXIT_ICE 4

#define VIDEO_PT 96
#define AUDIO_PT 111
#define ICE_TIMEOUT_S 10
#define GATHER_TIMEOUT_S 10
#define CAPS_TIMEOUT_S 10
#define CAPS_POLL_MS 20

/* ------------------------------------------------------------------ */
/* Media: test sources, encoders, payloaders                          */
/* ------------------------------------------------------------------ */

typedef struct
{
  const gchar *name;            /* command line value */
  const gchar *encoding_name;   /* SDP rtpmap name */
  guint clock_rate;
  /* elements between the raw caps filter and the payloader; the encoder
   * itself is named "enc" */
  const gchar *encoder;
  const gchar *payloader;
} Codec;

static const Codec video_codecs[] = {
  {"vp8", "VP8", 90000, "vp8enc name=enc deadline=1 keyframe-max-dist=60",
      "rtpvp8pay"},
  {"vp9", "VP9", 90000,
        "vp9enc name=enc deadline=1 cpu-used=8 keyframe-max-dist=60",
      "rtpvp9pay"},
  {"h264", "H264", 90000,
        "x264enc name=enc tune=zerolatency speed-preset=ultrafast "
        "key-int-max=60 ! video/x-h264,profile=constrained-baseline",
      "rtph264pay config-interval=-1 aggregate-mode=zero-latency"},
  {"h265", "H265", 90000,
        "x265enc name=enc tune=zerolatency speed-preset=ultrafast "
        "key-int-max=60",
      "rtph265pay config-interval=-1"},
  {"av1", "AV1", 90000,
        "av1enc name=enc cpu-used=8 keyframe-max-dist=30 "
        "usage-profile=realtime ! av1parse",
      "rtpaomav1pay"},
};

static const Codec audio_codecs[] = {
  {"opus", "OPUS", 48000, "opusenc name=enc", "rtpopuspay"},
};

typedef struct
{
  const Codec *video;           /* NULL: no video */
  const Codec *audio;           /* NULL: no audio */
  gint width, height, fps;
  gint gop;                     /* frames between key frames, 0: encoder's */
  gint bitrate;                 /* video kbit/s, 0: encoder's */
  const gchar *pattern;         /* videotestsrc pattern, "ball" */
  guint color;                  /* solid 0xRRGGBB when has_color */
  gboolean has_color;
  gboolean flash;               /* A/V sync source: see flash_video */
} MediaOptions;

/* --flash: black video with a white flash, silence with a 1 kHz beep,
 * both during the first FLASH_MS of every second of running time, so a
 * receiver can measure how far its sound and picture drifted apart. */
#define FLASH_MS 100

static gboolean
in_flash (GstClockTime t)
{
  return t % GST_SECOND < FLASH_MS * GST_MSECOND;
}

/* I420: luma 255 and neutral chroma during a flash, else black */
static GstPadProbeReturn
flash_video (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstVideoInfo vinfo;
  GstVideoFrame frame;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  gboolean ok = caps && gst_video_info_from_caps (&vinfo, caps);

  if (caps)
    gst_caps_unref (caps);
  if (!ok || !GST_BUFFER_PTS_IS_VALID (buf))
    return GST_PAD_PROBE_OK;
  buf = gst_buffer_make_writable (buf);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  if (gst_video_frame_map (&frame, &vinfo, buf, GST_MAP_WRITE)) {
    guint8 y = in_flash (GST_BUFFER_PTS (buf)) ? 255 : 16;

    for (guint c = 0; c < 3; c++) {
      guint8 *d = GST_VIDEO_FRAME_COMP_DATA (&frame, c);
      gint stride = GST_VIDEO_FRAME_COMP_STRIDE (&frame, c);
      gint h = GST_VIDEO_FRAME_COMP_HEIGHT (&frame, c);

      memset (d, c == 0 ? y : 128, (gsize) stride * h);
    }
    gst_video_frame_unmap (&frame);
  }
  return GST_PAD_PROBE_OK;
}

/* S16LE mono 48 kHz sine: samples outside the flash are silenced */
static GstPadProbeReturn
flash_audio (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;

  if (!GST_BUFFER_PTS_IS_VALID (buf))
    return GST_PAD_PROBE_OK;
  buf = gst_buffer_make_writable (buf);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  if (gst_buffer_map (buf, &map, GST_MAP_READWRITE)) {
    gint16 *samples = (gint16 *) map.data;
    gsize n = map.size / 2;

    for (gsize i = 0; i < n; i++) {
      GstClockTime t = GST_BUFFER_PTS (buf) +
          gst_util_uint64_scale_int (i, GST_SECOND, 48000);

      if (!in_flash (t))
        samples[i] = 0;
    }
    gst_buffer_unmap (buf, &map);
  }
  return GST_PAD_PROBE_OK;
}

static const Codec *
find_codec (const Codec * table, gsize n, const gchar * name)
{
  gsize i;

  for (i = 0; i < n; i++) {
    if (g_ascii_strcasecmp (table[i].name, name) == 0)
      return &table[i];
  }
  return NULL;
}

static GstCaps *
raw_video_caps (gint width, gint height, gint fps)
{
  return gst_caps_new_simple ("video/x-raw",
      "format", G_TYPE_STRING, "I420",
      "width", G_TYPE_INT, width, "height", G_TYPE_INT, height,
      "framerate", GST_TYPE_FRACTION, fps, 1, NULL);
}

static GstPadProbeReturn
count_force_key_unit (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  gint *counter = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

  if (event && gst_video_event_is_force_key_unit (event))
    g_atomic_int_inc (counter);
  return GST_PAD_PROBE_OK;
}

/* Drops RTP packets while *gate is 0: the sources run from the start
 * (the offer needs their caps) but, like a browser, the receiver only
 * gets media produced after ICE connected, starting with a delta frame. */
static GstPadProbeReturn
gate_buffers (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  gint *gate = user_data;

  return g_atomic_int_get (gate) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

/* Builds "source ! [caps] ! encoder ! payloader" as a bin with a ghost
 * "src" pad.  Upstream GstForceKeyUnit events reaching the encoder's src
 * pad are counted in @fku_counter; buffers leave the bin only once *@gate
 * is non-zero.  The raw video capsfilter (for resizing) is returned in
 * @capsfilter if asked for. */
static GstElement *
make_branch (const Codec * codec, gboolean video, const MediaOptions * opts,
    guint pt, gint * fku_counter, gint * gate, GstElement ** capsfilter,
    GError ** error)
{
  GstElement *bin, *enc;
  GstPad *pad;
  gchar *desc;

  if (video) {
    GstCaps *caps = raw_video_caps (opts->width, opts->height, opts->fps);
    gchar *caps_str = gst_caps_to_string (caps);
    gchar *source = opts->has_color || opts->flash ?
        g_strdup_printf ("pattern=solid-color foreground-color=0x%08x",
        opts->flash ? 0xff000000 : 0xff000000 | opts->color) :
        g_strdup_printf ("pattern=%s", opts->pattern ? opts->pattern : "ball");

    desc = g_strdup_printf ("videotestsrc is-live=true %s ! "
        "capsfilter name=rawcaps caps=\"%s\" ! %s ! %s pt=%u", source,
        caps_str, codec->encoder, codec->payloader, pt);
    g_free (source);
    g_free (caps_str);
    gst_caps_unref (caps);
  } else if (opts->flash) {
    desc = g_strdup_printf ("audiotestsrc is-live=true wave=sine freq=1000 "
        "volume=0.5 ! capsfilter name=rawcaps caps=\"audio/x-raw, "
        "format=S16LE, rate=48000, channels=1\" ! audioconvert ! "
        "audioresample ! %s ! %s pt=%u", codec->encoder, codec->payloader, pt);
  } else {
    desc = g_strdup_printf ("audiotestsrc is-live=true wave=ticks ! "
        "audioconvert ! audioresample ! %s ! %s pt=%u",
        codec->encoder, codec->payloader, pt);
  }

  bin = gst_parse_bin_from_description (desc, TRUE, error);
  g_free (desc);
  if (bin == NULL)
    return NULL;

  enc = gst_bin_get_by_name (GST_BIN (bin), "enc");
  g_assert (enc != NULL);
  if (video && opts->bitrate > 0) {
    GObjectClass *klass = G_OBJECT_GET_CLASS (enc);

    /* x264enc, x265enc "bitrate" and av1enc "target-bitrate" are in
     * kbit/s, vp8enc/vp9enc "target-bitrate" in bit/s */
    if (g_object_class_find_property (klass, "bitrate"))
      g_object_set (enc, "bitrate", (guint) opts->bitrate, NULL);
    else if (g_str_has_prefix (GST_OBJECT_NAME (gst_element_get_factory
                (enc)), "av1"))
      g_object_set (enc, "target-bitrate", (guint) opts->bitrate, NULL);
    else if (g_object_class_find_property (klass, "target-bitrate"))
      g_object_set (enc, "target-bitrate", opts->bitrate * 1000, NULL);
  }
  if (video && opts->gop > 0) {
    GObjectClass *klass = G_OBJECT_GET_CLASS (enc);

    if (g_object_class_find_property (klass, "keyframe-max-dist"))
      g_object_set (enc, "keyframe-max-dist", opts->gop, NULL);
    else if (g_object_class_find_property (klass, "key-int-max")) {
      gchar *v = g_strdup_printf ("%d", opts->gop);

      /* guint in x264enc, gint in x265enc */
      gst_util_set_object_arg (G_OBJECT (enc), "key-int-max", v);
      g_free (v);
    }
  }
  pad = gst_element_get_static_pad (enc, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      count_force_key_unit, fku_counter, NULL);
  gst_object_unref (pad);
  gst_object_unref (enc);

  pad = gst_element_get_static_pad (bin, "src");
  gst_pad_add_probe (pad,
      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
      gate_buffers, gate, NULL);
  gst_object_unref (pad);

  if (opts->flash) {
    GstElement *raw = gst_bin_get_by_name (GST_BIN (bin), "rawcaps");

    pad = gst_element_get_static_pad (raw, "src");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
        video ? flash_video : flash_audio, NULL, NULL);
    gst_object_unref (pad);
    gst_object_unref (raw);
  }
  if (capsfilter)
    *capsfilter = gst_bin_get_by_name (GST_BIN (bin), "rawcaps");

  return bin;
}

/* Adds @branch to @pipeline and links its src pad to the webrtcbin sink
 * pad @pad_name (NULL: next free one).  Returns the webrtcbin sink pad
 * (a reference) or NULL. */
static GstPad *
link_branch (GstElement * pipeline, GstElement * webrtc, GstElement * branch,
    const gchar * pad_name)
{
  GstPad *srcpad, *sinkpad;
  GstPadLinkReturn ret;

  gst_bin_add (GST_BIN (pipeline), branch);
  if (pad_name)
    sinkpad = gst_element_request_pad_simple (webrtc, pad_name);
  else
    sinkpad = gst_element_request_pad_simple (webrtc, "sink_%u");
  if (sinkpad == NULL) {
    g_printerr ("webrtcbin refused a sink pad %s\n",
        pad_name ? pad_name : "sink_%u");
    return NULL;
  }
  srcpad = gst_element_get_static_pad (branch, "src");
  ret = gst_pad_link (srcpad, sinkpad);
  gst_object_unref (srcpad);
  if (ret != GST_PAD_LINK_OK) {
    g_printerr ("could not link to webrtcbin %s: %s\n",
        GST_PAD_NAME (sinkpad), gst_pad_link_get_name (ret));
    gst_element_release_request_pad (webrtc, sinkpad);
    gst_object_unref (sinkpad);
    return NULL;
  }
  return sinkpad;
}

static gboolean
check_elements (const MediaOptions * opts)
{
  const gchar *needed[] = { "webrtcbin", "nicesrc", "dtlssrtpenc",
    "videotestsrc", "audiotestsrc", NULL
  };
  gboolean ok = TRUE;
  guint i;

  for (i = 0; needed[i]; i++) {
    GstElementFactory *f = gst_element_factory_find (needed[i]);

    if (f == NULL) {
      g_printerr ("missing GStreamer element %s\n", needed[i]);
      ok = FALSE;
    } else {
      gst_object_unref (f);
    }
  }
  if (opts->video && g_strcmp0 (opts->video->name, "av1") == 0) {
    GstElementFactory *f = gst_element_factory_find ("rtpaomav1pay");

    if (f == NULL) {
      g_printerr ("missing element rtpaomav1pay: set GST_PLUGIN_PATH_1_0 "
          "to <builddir>/gst\n");
      ok = FALSE;
    } else {
      gst_object_unref (f);
    }
  }
  return ok;
}

/* ------------------------------------------------------------------ */
/* Calls from webrtcbin's threads into the main context                */
/* ------------------------------------------------------------------ */

typedef struct _Deferred Deferred;
typedef void (*DeferredFunc) (Deferred * d);

struct _Deferred
{
  DeferredFunc func;
  gpointer obj;
  GDestroyNotify obj_unref;
  guint value;
  gchar *text;
  GstWebRTCSessionDescription *desc;
};

static gboolean
deferred_dispatch (gpointer data)
{
  Deferred *d = data;

  d->func (d);
  return G_SOURCE_REMOVE;
}

static void
deferred_free (gpointer data)
{
  Deferred *d = data;

  if (d->obj_unref)
    d->obj_unref (d->obj);
  g_free (d->text);
  if (d->desc)
    gst_webrtc_session_description_free (d->desc);
  g_free (d);
}

/* @obj must already be referenced for the Deferred if @obj_unref is set */
static Deferred *
deferred_new (DeferredFunc func, gpointer obj, GDestroyNotify obj_unref)
{
  Deferred *d = g_new0 (Deferred, 1);

  d->func = func;
  d->obj = obj;
  d->obj_unref = obj_unref;
  return d;
}

/* Always goes through an idle source: never runs @d in the calling thread
 * (g_main_context_invoke() would, before the main loop runs). */
static void
deferred_submit (Deferred * d)
{
  GSource *source = g_idle_source_new ();

  g_source_set_callback (source, deferred_dispatch, d, deferred_free);
  g_source_attach (source, NULL);
  g_source_unref (source);
}

/* NULL if the promise was replied without an error, else a message */
static gchar *
promise_error (GstPromise * promise)
{
  const GstStructure *reply;
  GError *error = NULL;
  gchar *msg;

  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED)
    return g_strdup ("promise was not replied");
  reply = gst_promise_get_reply (promise);
  if (reply == NULL || !gst_structure_has_field (reply, "error"))
    return NULL;
  gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL);
  msg = g_strdup (error ? error->message : "unknown error");
  g_clear_error (&error);
  return msg;
}

/* The session description of a create-offer/create-answer reply */
static GstWebRTCSessionDescription *
promise_description (GstPromise * promise, const gchar * field)
{
  const GstStructure *reply;
  GstWebRTCSessionDescription *desc = NULL;

  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED)
    return NULL;
  reply = gst_promise_get_reply (promise);
  if (reply == NULL || !gst_structure_has_field (reply, field))
    return NULL;
  gst_structure_get (reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
      &desc, NULL);
  return desc;
}

static gchar *
local_description_text (GstElement * webrtc)
{
  GstWebRTCSessionDescription *desc = NULL;
  gchar *text;

  g_object_get (webrtc, "local-description", &desc, NULL);
  if (desc == NULL)
    return NULL;
  text = gst_sdp_message_as_text (desc->sdp);
  gst_webrtc_session_description_free (desc);
  return text;
}

/* First value of attribute @key in the first media section (or the
 * session level) */
static gchar *
sdp_first_attribute (const GstSDPMessage * sdp, const gchar * key)
{
  const gchar *val = NULL;

  if (gst_sdp_message_medias_len (sdp) > 0)
    val = gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp, 0),
        key);
  if (val == NULL)
    val = gst_sdp_message_get_attribute_val (sdp, key);
  return g_strdup (val);
}

/* ------------------------------------------------------------------ */
/* whip-publish                                                        */
/* ------------------------------------------------------------------ */

typedef struct
{
  /* options */
  gchar *url;
  gchar *token;
  MediaOptions media;
  gdouble duration;
  gboolean no_delete;
  gboolean trickle;
  gdouble resize_at;            /* < 0: no resize */
  gint resize_width, resize_height;
  gdouble ssrc_change_at;       /* < 0: never */
  gint ssrc_changed;            /* atomic: rewrite video packets */
  guint32 new_ssrc;

  GMainLoop *loop;
  GstElement *pipeline;
  GstElement *webrtc;
  GstElement *capsfilter;       /* raw video caps, for --resize-at */
  GPtrArray *sinkpads;          /* webrtcbin sink pads waiting for caps */
  SoupSession *http;

  gchar *location;              /* absolute URL of the WHIP session */
  gchar *etag;
  gchar *ice_ufrag, *ice_pwd;   /* for trickle PATCH bodies */
  gchar *mid0, *media0;
  GPtrArray *pending_candidates;        /* "a=candidate:..." lines */
  gboolean gathering_done;
  gboolean end_of_candidates_sent;
  gboolean offer_posted;
  gboolean connected;
  gboolean finished;

  guint caps_poll_id;
  guint caps_polls;
  guint gather_timeout_id;
  guint ice_timeout_id;
  guint duration_id;
  guint resize_id;
  guint ssrc_id;

  gint keyframe_requests;
  gint media_gate;              /* 0 until ICE connected */
  gint exit_code;
} Publisher;

static void publisher_finish (Publisher * p, gint exit_code);

static void
clear_source (guint * id)
{
  if (*id) {
    g_source_remove (*id);
    *id = 0;
  }
}

static void
publisher_add_auth (Publisher * p, SoupMessage * msg)
{
  if (p->token) {
    gchar *value = g_strdup_printf ("Bearer %s", p->token);

    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Authorization", value);
    g_free (value);
  }
}

/* Sends one request synchronously.  Returns the response body (maybe
 * empty) or NULL on a transport error (printed).  The message is returned
 * in @out_msg for the status and headers. */
static GBytes *
publisher_http (Publisher * p, const gchar * method, const gchar * url,
    const gchar * content_type, const gchar * body, const gchar * if_match,
    SoupMessage ** out_msg)
{
  SoupMessage *msg;
  GBytes *response;
  GError *error = NULL;

  *out_msg = NULL;
  msg = soup_message_new (method, url);
  if (msg == NULL) {
    g_printerr ("%s %s: invalid URL\n", method, url);
    return NULL;
  }
  publisher_add_auth (p, msg);
  if (if_match)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "If-Match", if_match);
  if (body) {
    GBytes *bytes = g_bytes_new (body, strlen (body));

    soup_message_set_request_body_from_bytes (msg, content_type, bytes);
    g_bytes_unref (bytes);
  }
  response = soup_session_send_and_read (p->http, msg, NULL, &error);
  if (response == NULL) {
    g_printerr ("%s %s: %s\n", method, url, error->message);
    g_clear_error (&error);
    g_object_unref (msg);
    return NULL;
  }
  *out_msg = msg;
  return response;
}

static void
print_http_error (const gchar * method, const gchar * url, SoupMessage * msg,
    GBytes * body)
{
  gsize len = 0;
  const gchar *data = body ? g_bytes_get_data (body, &len) : NULL;

  g_printerr ("%s %s: HTTP %u %s\n", method, url, soup_message_get_status (msg),
      GST_STR_NULL (soup_message_get_reason_phrase (msg)));
  if (data && len > 0)
    g_printerr ("%.*s\n", (int) len, data);
}

/* Sends the queued candidates (and the end-of-candidates marker once
 * gathering is done) in one PATCH. */
static void
publisher_flush_candidates (Publisher * p)
{
  GString *frag;
  SoupMessage *msg;
  GBytes *body;
  guint status, i;
  gboolean send_end;

  if (p->finished || p->location == NULL)
    return;
  send_end = p->gathering_done && !p->end_of_candidates_sent;
  if (p->pending_candidates->len == 0 && !send_end)
    return;

  frag = g_string_new (NULL);
  if (p->ice_ufrag)
    g_string_append_printf (frag, "a=ice-ufrag:%s\r\n", p->ice_ufrag);
  if (p->ice_pwd)
    g_string_append_printf (frag, "a=ice-pwd:%s\r\n", p->ice_pwd);
  g_string_append_printf (frag, "m=%s 9 UDP/TLS/RTP/SAVPF 0\r\n",
      p->media0 ? p->media0 : "video");
  if (p->mid0)
    g_string_append_printf (frag, "a=mid:%s\r\n", p->mid0);
  for (i = 0; i < p->pending_candidates->len; i++)
    g_string_append_printf (frag, "%s\r\n",
        (gchar *) g_ptr_array_index (p->pending_candidates, i));
  if (send_end)
    g_string_append (frag, "a=end-of-candidates\r\n");
  g_ptr_array_set_size (p->pending_candidates, 0);
  if (send_end)
    p->end_of_candidates_sent = TRUE;

  body = publisher_http (p, "PATCH", p->location,
      "application/trickle-ice-sdpfrag", frag->str, p->etag, &msg);
  g_string_free (frag, TRUE);
  if (body == NULL) {
    publisher_finish (p, EXIT_HTTP);
    return;
  }
  status = soup_message_get_status (msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status)) {
    print_http_error ("PATCH", p->location, msg, body);
    publisher_finish (p, EXIT_HTTP);
  }
  g_bytes_unref (body);
  g_object_unref (msg);
}

static void
publisher_delete (Publisher * p)
{
  SoupMessage *msg;
  GBytes *body;

  if (p->location == NULL || p->no_delete)
    return;
  body = publisher_http (p, "DELETE", p->location, NULL, NULL, NULL, &msg);
  if (body == NULL) {
    if (p->exit_code == 0)
      p->exit_code = EXIT_HTTP;
    return;
  }
  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg))) {
    print_http_error ("DELETE", p->location, msg, body);
    if (p->exit_code == 0)
      p->exit_code = EXIT_HTTP;
  } else {
    g_print ("deleted %s\n", p->location);
  }
  g_bytes_unref (body);
  g_object_unref (msg);
  g_clear_pointer (&p->location, g_free);
}

/* Ends the run: DELETE (unless --no-delete) and quit the main loop.  The
 * first exit code wins. */
static void
publisher_finish (Publisher * p, gint exit_code)
{
  if (p->finished)
    return;
  p->finished = TRUE;
  p->exit_code = exit_code;
  clear_source (&p->caps_poll_id);
  clear_source (&p->gather_timeout_id);
  clear_source (&p->ice_timeout_id);
  clear_source (&p->duration_id);
  clear_source (&p->resize_id);
  clear_source (&p->ssrc_id);
  publisher_delete (p);
  g_main_loop_quit (p->loop);
}

static void
on_remote_set_main (Deferred * d)
{
  Publisher *p = d->obj;

  if (p->finished)
    return;
  if (d->text) {
    g_printerr ("setting the answer failed: %s\n", d->text);
    publisher_finish (p, EXIT_FAILURE);
    return;
  }
  g_print ("answer set\n");
}

static void
on_remote_set (GstPromise * promise, gpointer user_data)
{
  Deferred *d = deferred_new (on_remote_set_main, user_data, NULL);

  d->text = promise_error (promise);
  deferred_submit (d);
  gst_promise_unref (promise);
}

static gboolean
on_ice_timeout (gpointer user_data)
{
  Publisher *p = user_data;

  p->ice_timeout_id = 0;
  g_printerr ("ICE did not connect within %d s\n", ICE_TIMEOUT_S);
  publisher_finish (p, EXIT_ICE);
  return G_SOURCE_REMOVE;
}

/* POSTs @offer_sdp, applies the answer */
static void
publisher_post_offer (Publisher * p, const gchar * offer_sdp)
{
  SoupMessage *msg;
  GBytes *body;
  const gchar *location, *etag;
  GstSDPMessage *sdp = NULL;
  GstWebRTCSessionDescription *answer;
  GstPromise *promise;
  GError *error = NULL;
  gsize len;
  const gchar *data;
  gchar *text;

  p->offer_posted = TRUE;
  body = publisher_http (p, "POST", p->url, "application/sdp", offer_sdp,
      NULL, &msg);
  if (body == NULL) {
    publisher_finish (p, EXIT_HTTP);
    return;
  }
  if (soup_message_get_status (msg) != SOUP_STATUS_CREATED) {
    print_http_error ("POST", p->url, msg, body);
    goto http_error;
  }
  location = soup_message_headers_get_one (soup_message_get_response_headers
      (msg), "Location");
  if (location == NULL) {
    g_printerr ("POST %s: 201 without a Location header\n", p->url);
    goto http_error;
  }
  p->location = g_uri_resolve_relative (p->url, location, G_URI_FLAGS_NONE,
      &error);
  if (p->location == NULL) {
    g_printerr ("POST %s: bad Location '%s': %s\n", p->url, location,
        error->message);
    g_clear_error (&error);
    goto http_error;
  }
  g_print ("location: %s\n", p->location);
  etag = soup_message_headers_get_one (soup_message_get_response_headers
      (msg), "ETag");
  p->etag = g_strdup (etag);

  data = g_bytes_get_data (body, &len);
  text = g_strndup (data ? data : "", len);
  if (gst_sdp_message_new_from_text (text, &sdp) != GST_SDP_OK ||
      gst_sdp_message_medias_len (sdp) == 0) {
    g_printerr ("POST %s: the answer is not valid SDP:\n%s\n", p->url, text);
    g_free (text);
    if (sdp)
      gst_sdp_message_free (sdp);
    goto http_error;
  }
  g_free (text);
  g_bytes_unref (body);
  g_object_unref (msg);

  answer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  promise = gst_promise_new_with_change_func (on_remote_set, p, NULL);
  g_signal_emit_by_name (p->webrtc, "set-remote-description", answer, promise);
  gst_webrtc_session_description_free (answer);

  p->ice_timeout_id = g_timeout_add_seconds (ICE_TIMEOUT_S, on_ice_timeout, p);
  if (p->trickle)
    publisher_flush_candidates (p);
  return;

http_error:
  g_bytes_unref (body);
  g_object_unref (msg);
  publisher_finish (p, EXIT_HTTP);
}

static gboolean
on_gather_timeout (gpointer user_data)
{
  Publisher *p = user_data;

  p->gather_timeout_id = 0;
  g_printerr ("ICE gathering did not complete within %d s\n", GATHER_TIMEOUT_S);
  publisher_finish (p, EXIT_ICE);
  return G_SOURCE_REMOVE;
}

static void
on_gathering_state_main (Deferred * d)
{
  Publisher *p = d->obj;
  gchar *sdp;

  /* the state at the time of the notification: the candidates emitted
   * before it are queued before this call */
  if (p->finished || p->gathering_done ||
      d->value != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    return;
  p->gathering_done = TRUE;
  clear_source (&p->gather_timeout_id);
  if (p->trickle) {
    publisher_flush_candidates (p);
    return;
  }
  if (p->offer_posted)
    return;
  sdp = local_description_text (p->webrtc);
  if (sdp == NULL) {
    g_printerr ("no local description after ICE gathering\n");
    publisher_finish (p, EXIT_FAILURE);
    return;
  }
  publisher_post_offer (p, sdp);
  g_free (sdp);
}

/* notify:: handlers run in webrtcbin's thread without its lock held:
 * reading the property there is safe and gives the new value */
static guint
get_enum_property (GObject * object, const gchar * name)
{
  gint value = 0;

  g_object_get (object, name, &value, NULL);
  return (guint) value;
}

static void
on_gathering_state (GObject * object, GParamSpec * pspec, gpointer user_data)
{
  Deferred *d = deferred_new (on_gathering_state_main, user_data, NULL);

  d->value = get_enum_property (object, "ice-gathering-state");
  deferred_submit (d);
}

static void
on_ice_candidate_main (Deferred * d)
{
  Publisher *p = d->obj;

  if (p->finished || !p->trickle)
    return;
  g_ptr_array_add (p->pending_candidates, g_strdup_printf ("a=%s", d->text));
  publisher_flush_candidates (p);
}

static void
on_ice_candidate (GstElement * webrtc, guint mline, gchar * candidate,
    gpointer user_data)
{
  Deferred *d = deferred_new (on_ice_candidate_main, user_data, NULL);

  d->value = mline;
  d->text = g_strdup (candidate);
  deferred_submit (d);
}

static gboolean
on_duration_done (gpointer user_data)
{
  Publisher *p = user_data;

  p->duration_id = 0;
  g_print ("duration reached\n");
  publisher_finish (p, 0);
  return G_SOURCE_REMOVE;
}

static gboolean
on_resize (gpointer user_data)
{
  Publisher *p = user_data;
  GstCaps *caps;

  p->resize_id = 0;
  caps = raw_video_caps (p->resize_width, p->resize_height, p->media.fps);
  g_object_set (p->capsfilter, "caps", caps, NULL);
  gst_caps_unref (caps);
  g_print ("resized to %dx%d\n", p->resize_width, p->resize_height);
  return G_SOURCE_REMOVE;
}

/* A sender that restarts its video stream: from now on its packets carry
 * another SSRC and sequence numbers.  Done on the packets because the
 * payloaders take their SSRC from the negotiated caps. */
static gboolean
rewrite_rtp (GstBuffer ** buf, guint idx, gpointer user_data)
{
  Publisher *p = user_data;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  *buf = gst_buffer_make_writable (*buf);
  if (gst_rtp_buffer_map (*buf, GST_MAP_READWRITE, &rtp)) {
    gst_rtp_buffer_set_ssrc (&rtp, p->new_ssrc);
    gst_rtp_buffer_set_seq (&rtp, gst_rtp_buffer_get_seq (&rtp) + 20000);
    gst_rtp_buffer_unmap (&rtp);
  }
  return TRUE;
}

static GstPadProbeReturn
change_ssrc (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Publisher *p = user_data;

  if (!g_atomic_int_get (&p->ssrc_changed))
    return GST_PAD_PROBE_OK;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

    rewrite_rtp (&buf, 0, p);
    info->data = buf;
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list =
        gst_buffer_list_make_writable (GST_PAD_PROBE_INFO_BUFFER_LIST (info));

    gst_buffer_list_foreach (list, rewrite_rtp, p);
    info->data = list;
  }
  return GST_PAD_PROBE_OK;
}

static gboolean
on_ssrc_change (gpointer user_data)
{
  Publisher *p = user_data;

  p->ssrc_id = 0;
  p->new_ssrc = g_random_int ();
  g_atomic_int_set (&p->ssrc_changed, 1);
  g_print ("ssrc changed to %u\n", p->new_ssrc);
  return G_SOURCE_REMOVE;
}

static void
on_ice_state_main (Deferred * d)
{
  Publisher *p = d->obj;

  if (p->finished)
    return;
  switch (d->value) {
    case GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED:
    case GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED:
      if (p->connected)
        break;
      p->connected = TRUE;
      g_atomic_int_set (&p->media_gate, 1);
      clear_source (&p->ice_timeout_id);
      g_print ("ice-connected\n");
      if (p->duration > 0)
        p->duration_id = g_timeout_add ((guint) (p->duration * 1000),
            on_duration_done, p);
      if (p->resize_at >= 0 && p->capsfilter)
        p->resize_id = g_timeout_add ((guint) (p->resize_at * 1000),
            on_resize, p);
      if (p->ssrc_change_at >= 0)
        p->ssrc_id = g_timeout_add ((guint) (p->ssrc_change_at * 1000),
            on_ssrc_change, p);
      break;
    case GST_WEBRTC_ICE_CONNECTION_STATE_FAILED:
      g_printerr ("ICE failed\n");
      publisher_finish (p, EXIT_ICE);
      break;
    default:
      break;
  }
}

static void
on_ice_state (GObject * object, GParamSpec * pspec, gpointer user_data)
{
  Deferred *d = deferred_new (on_ice_state_main, user_data, NULL);

  d->value = get_enum_property (object, "ice-connection-state");
  deferred_submit (d);
}

static void
on_local_set_main (Deferred * d)
{
  Publisher *p = d->obj;

  if (p->finished || d->text == NULL)
    return;
  g_printerr ("setting the offer failed: %s\n", d->text);
  publisher_finish (p, EXIT_FAILURE);
}

static void
on_local_set (GstPromise * promise, gpointer user_data)
{
  Deferred *d = deferred_new (on_local_set_main, user_data, NULL);

  d->text = promise_error (promise);
  deferred_submit (d);
  gst_promise_unref (promise);
}

static void
on_offer_created_main (Deferred * d)
{
  Publisher *p = d->obj;
  GstPromise *promise;
  const GstSDPMedia *media;

  if (p->finished)
    return;
  if (d->desc == NULL) {
    g_printerr ("create-offer failed: %s\n", GST_STR_NULL (d->text));
    publisher_finish (p, EXIT_FAILURE);
    return;
  }
  p->ice_ufrag = sdp_first_attribute (d->desc->sdp, "ice-ufrag");
  p->ice_pwd = sdp_first_attribute (d->desc->sdp, "ice-pwd");
  media = gst_sdp_message_get_media (d->desc->sdp, 0);
  if (media) {
    p->media0 = g_strdup (gst_sdp_media_get_media (media));
    p->mid0 = g_strdup (gst_sdp_media_get_attribute_val (media, "mid"));
  }

  promise = gst_promise_new_with_change_func (on_local_set, p, NULL);
  g_signal_emit_by_name (p->webrtc, "set-local-description", d->desc, promise);

  if (p->trickle) {
    gchar *text = gst_sdp_message_as_text (d->desc->sdp);

    publisher_post_offer (p, text);
    g_free (text);
  } else {
    p->gather_timeout_id = g_timeout_add_seconds (GATHER_TIMEOUT_S,
        on_gather_timeout, p);
  }
}

static void
on_offer_created (GstPromise * promise, gpointer user_data)
{
  Deferred *d = deferred_new (on_offer_created_main, user_data, NULL);

  d->desc = promise_description (promise, "offer");
  if (d->desc == NULL)
    d->text = promise_error (promise);
  deferred_submit (d);
  gst_promise_unref (promise);
}

/* The offer is created once every sink pad has caps: the payloaders'
 * caps (sprop-parameter-sets, ...) end up in the SDP. */
static gboolean
on_caps_poll (gpointer user_data)
{
  Publisher *p = user_data;
  GstPromise *promise;
  guint i;

  for (i = 0; i < p->sinkpads->len; i++) {
    if (gst_pad_has_current_caps (g_ptr_array_index (p->sinkpads, i)))
      continue;
    if (++p->caps_polls < CAPS_TIMEOUT_S * 1000 / CAPS_POLL_MS)
      return G_SOURCE_CONTINUE;
    p->caps_poll_id = 0;
    g_printerr ("the encoders produced no caps within %d s\n", CAPS_TIMEOUT_S);
    publisher_finish (p, EXIT_FAILURE);
    return G_SOURCE_REMOVE;
  }
  p->caps_poll_id = 0;
  promise = gst_promise_new_with_change_func (on_offer_created, p, NULL);
  g_signal_emit_by_name (p->webrtc, "create-offer", NULL, promise);
  return G_SOURCE_REMOVE;
}

static gboolean
on_publisher_bus (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Publisher *p = user_data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *error = NULL;
    gchar *debug = NULL;

    gst_message_parse_error (msg, &error, &debug);
    g_printerr ("error from %s: %s\n%s\n", GST_OBJECT_NAME (msg->src),
        error->message, GST_STR_NULL (debug));
    g_clear_error (&error);
    g_free (debug);
    publisher_finish (p, EXIT_FAILURE);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
    GError *error = NULL;

    gst_message_parse_warning (msg, &error, NULL);
    g_printerr ("warning from %s: %s\n", GST_OBJECT_NAME (msg->src),
        error->message);
    g_clear_error (&error);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_publisher_signal (gpointer user_data)
{
  Publisher *p = user_data;

  g_print ("interrupted\n");
  publisher_finish (p, p->connected ? 0 : EXIT_FAILURE);
  return G_SOURCE_CONTINUE;
}

static gboolean
publisher_add_media (Publisher * p, const Codec * codec, gboolean video)
{
  GError *error = NULL;
  GstElement *branch;
  GstPad *sinkpad;
  GstWebRTCRTPTransceiver *trans = NULL;

  branch = make_branch (codec, video, &p->media, video ? VIDEO_PT : AUDIO_PT,
      &p->keyframe_requests, &p->media_gate,
      video ? &p->capsfilter : NULL, &error);
  if (branch == NULL) {
    g_printerr ("cannot build the %s branch: %s\n", codec->name,
        error->message);
    g_clear_error (&error);
    return FALSE;
  }
  if (video) {
    GstPad *src = gst_element_get_static_pad (branch, "src");

    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_BUFFER_LIST, change_ssrc, p, NULL);
    gst_object_unref (src);
  }
  sinkpad = link_branch (p->pipeline, p->webrtc, branch, NULL);
  if (sinkpad == NULL)
    return FALSE;
  g_object_get (sinkpad, "transceiver", &trans, NULL);
  g_object_set (trans, "direction",
      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, NULL);
  gst_object_unref (trans);
  g_ptr_array_add (p->sinkpads, sinkpad);
  return TRUE;
}

static gint
publisher_run (Publisher * p)
{
  GstBus *bus;
  guint sigint_id, sigterm_id;
  gint i;

  if (!check_elements (&p->media))
    return EXIT_FAILURE;

  p->loop = g_main_loop_new (NULL, FALSE);
  p->http = soup_session_new_with_options ("timeout", 10,
      "user-agent", "rr-webrtc-peer", NULL);
  /* loopback tests: never ask the environment (http_proxy, libproxy) */
  soup_session_set_proxy_resolver (p->http, NULL);
  p->sinkpads = g_ptr_array_new_with_free_func (gst_object_unref);
  p->pending_candidates = g_ptr_array_new_with_free_func (g_free);

  p->pipeline = gst_pipeline_new ("publisher");
  p->webrtc = gst_element_factory_make ("webrtcbin", "webrtc");
  g_object_set (p->webrtc, "bundle-policy",
      GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  gst_bin_add (GST_BIN (p->pipeline), p->webrtc);
  g_signal_connect (p->webrtc, "notify::ice-gathering-state",
      G_CALLBACK (on_gathering_state), p);
  g_signal_connect (p->webrtc, "notify::ice-connection-state",
      G_CALLBACK (on_ice_state), p);
  g_signal_connect (p->webrtc, "on-ice-candidate",
      G_CALLBACK (on_ice_candidate), p);

  if ((p->media.video && !publisher_add_media (p, p->media.video, TRUE)) ||
      (p->media.audio && !publisher_add_media (p, p->media.audio, FALSE))) {
    p->exit_code = EXIT_FAILURE;
    goto done;
  }

  bus = gst_pipeline_get_bus (GST_PIPELINE (p->pipeline));
  gst_bus_add_watch (bus, on_publisher_bus, p);
  gst_object_unref (bus);

  sigint_id = g_unix_signal_add (SIGINT, on_publisher_signal, p);
  sigterm_id = g_unix_signal_add (SIGTERM, on_publisher_signal, p);

  if (gst_element_set_state (p->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("cannot start the pipeline\n");
    p->exit_code = EXIT_FAILURE;
  } else {
    p->caps_poll_id = g_timeout_add (CAPS_POLL_MS, on_caps_poll, p);
    g_main_loop_run (p->loop);
  }
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

done:
  p->finished = TRUE;
  gst_element_set_state (p->pipeline, GST_STATE_NULL);
  bus = gst_pipeline_get_bus (GST_PIPELINE (p->pipeline));
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  /* run (and free) what webrtcbin queued before it stopped */
  for (i = 0; i < 100 && g_main_context_iteration (NULL, FALSE); i++);

  g_print ("keyframe-requests: %d\n", g_atomic_int_get (&p->keyframe_requests));

  g_ptr_array_unref (p->sinkpads);
  g_ptr_array_unref (p->pending_candidates);
  gst_clear_object (&p->capsfilter);
  gst_object_unref (p->pipeline);
  g_object_unref (p->http);
  g_main_loop_unref (p->loop);
  g_free (p->location);
  g_free (p->etag);
  g_free (p->ice_ufrag);
  g_free (p->ice_pwd);
  g_free (p->mid0);
  g_free (p->media0);
  return p->exit_code;
}

/* ------------------------------------------------------------------ */
/* whep-serve                                                          */
/* ------------------------------------------------------------------ */

typedef struct
{
  MediaOptions media;
  guint port;
  gchar *path;
  gdouble not_before;
  gchar *token;

  GMainLoop *loop;
  SoupServer *server;
  GHashTable *sessions;         /* id → Session */
  gint64 start_time;
  guint next_id;
} Server;

typedef struct
{
  gint refcount;
  Server *server;
  gchar *id;
  SoupServerMessage *msg;       /* the POST waiting for the answer */
  gulong msg_finished_id;
  gulong msg_disconnected_id;
  GstElement *pipeline;
  GstElement *webrtc;
  GstWebRTCSessionDescription *offer;
  gint keyframe_requests;
  gint media_gate;              /* 0 until ICE connected */
  guint gather_timeout_id;
  gboolean connected;
  gboolean closed;
} Session;

static Session *
session_ref (Session * s)
{
  g_atomic_int_inc (&s->refcount);
  return s;
}

static void
session_unref (gpointer data)
{
  Session *s = data;

  if (!g_atomic_int_dec_and_test (&s->refcount))
    return;
  g_assert (s->pipeline == NULL && s->msg == NULL);
  if (s->offer)
    gst_webrtc_session_description_free (s->offer);
  g_free (s->id);
  g_free (s);
}

static Deferred *
session_deferred (DeferredFunc func, Session * s)
{
  return deferred_new (func, session_ref (s), session_unref);
}

static gboolean
server_check_token (Server * srv, SoupServerMessage * msg)
{
  const gchar *auth;
  gchar *expected;
  gboolean ok;

  if (srv->token == NULL)
    return TRUE;
  auth = soup_message_headers_get_one (soup_server_message_get_request_headers
      (msg), "Authorization");
  expected = g_strdup_printf ("Bearer %s", srv->token);
  ok = g_strcmp0 (auth, expected) == 0;
  g_free (expected);
  return ok;
}

static void
reply_text (SoupServerMessage * msg, guint status, const gchar * text)
{
  soup_server_message_set_status (msg, status, NULL);
  if (text)
    soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY,
        text, strlen (text));
}

static void
session_reply_pending (Session * s, guint status, const gchar * text)
{
  if (s->msg == NULL)
    return;
  g_signal_handler_disconnect (s->msg, s->msg_finished_id);
  g_signal_handler_disconnect (s->msg, s->msg_disconnected_id);
  if (status)
    reply_text (s->msg, status, text);
  soup_server_message_unpause (s->msg);
  g_clear_object (&s->msg);
}

/* Stops the session's pipeline; called from the main thread only.  The
 * session stays in the table (the caller removes it). */
static void
session_close (Session * s, const gchar * why)
{
  GstBus *bus;

  if (s->closed)
    return;
  s->closed = TRUE;
  clear_source (&s->gather_timeout_id);
  session_reply_pending (s, SOUP_STATUS_SERVICE_UNAVAILABLE,
      "session closed\n");
  if (s->pipeline) {
    gst_element_set_state (s->pipeline, GST_STATE_NULL);
    bus = gst_pipeline_get_bus (GST_PIPELINE (s->pipeline));
    gst_bus_remove_watch (bus);
    gst_object_unref (bus);
    gst_clear_object (&s->pipeline);
    s->webrtc = NULL;
  }
  g_print ("session %s closed (%s) keyframe-requests: %d\n", s->id, why,
      g_atomic_int_get (&s->keyframe_requests));
}

static void
server_drop_session (Server * srv, Session * s, const gchar * why)
{
  session_close (s, why);
  g_hash_table_remove (srv->sessions, s->id);
}

static void
on_pending_msg_finished (SoupServerMessage * msg, gpointer user_data)
{
  Session *s = user_data;

  /* the client went away before the answer */
  if (s->msg != msg)
    return;
  g_signal_handler_disconnect (s->msg, s->msg_finished_id);
  g_signal_handler_disconnect (s->msg, s->msg_disconnected_id);
  g_clear_object (&s->msg);
  if (!s->closed)
    server_drop_session (s->server, s, "client gone");
}

static void
session_fail (Session * s, guint status, const gchar * what)
{
  gchar *text = g_strdup_printf ("%s\n", what);

  g_printerr ("session %s: %s\n", s->id, what);
  session_reply_pending (s, status, text);
  g_free (text);
  server_drop_session (s->server, s, "failed");
}

static void
session_answer_ready_main (Deferred * d)
{
  Session *s = d->obj;
  GstWebRTCICEGatheringState state;
  SoupMessageHeaders *headers;
  gchar *sdp, *location, *etag;

  if (s->closed || s->msg == NULL)
    return;
  g_object_get (s->webrtc, "ice-gathering-state", &state, NULL);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    return;
  sdp = local_description_text (s->webrtc);
  if (sdp == NULL)
    return;                     /* set-local-description still pending */
  clear_source (&s->gather_timeout_id);

  location = g_strdup_printf ("%s/%s", s->server->path, s->id);
  etag = g_strdup_printf ("\"%s\"", s->id);
  headers = soup_server_message_get_response_headers (s->msg);
  soup_message_headers_replace (headers, "Location", location);
  soup_message_headers_replace (headers, "ETag", etag);
  soup_server_message_set_status (s->msg, SOUP_STATUS_CREATED, NULL);
  soup_server_message_set_response (s->msg, "application/sdp",
      SOUP_MEMORY_TAKE, sdp, strlen (sdp));
  session_reply_pending (s, 0, NULL);
  g_print ("session %s answered (%s)\n", s->id, location);
  g_free (location);
  g_free (etag);
}

static void
session_on_gathering_state (GObject * object, GParamSpec * pspec,
    gpointer user_data)
{
  deferred_submit (session_deferred (session_answer_ready_main, user_data));
}

static void
session_ice_state_main (Deferred * d)
{
  Session *s = d->obj;
  guint state = d->value;

  if (s->closed)
    return;
  if ((state == GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED ||
          state == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED) &&
      !s->connected) {
    s->connected = TRUE;
    g_atomic_int_set (&s->media_gate, 1);
    g_print ("session %s ice-connected\n", s->id);
  } else if (state == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED) {
    g_print ("session %s ice-failed\n", s->id);
  }
}

static void
session_on_ice_state (GObject * object, GParamSpec * pspec, gpointer user_data)
{
  Deferred *d = session_deferred (session_ice_state_main, user_data);

  d->value = get_enum_property (object, "ice-connection-state");
  deferred_submit (d);
}

static void
session_local_set_main (Deferred * d)
{
  Session *s = d->obj;

  if (s->closed)
    return;
  if (d->text) {
    session_fail (s, SOUP_STATUS_INTERNAL_SERVER_ERROR, d->text);
    return;
  }
  /* gathering may have completed before the description was set */
  session_answer_ready_main (d);
}

static void
session_on_local_set (GstPromise * promise, gpointer user_data)
{
  Deferred *d = session_deferred (session_local_set_main, user_data);

  d->text = promise_error (promise);
  deferred_submit (d);
  gst_promise_unref (promise);
}

static void
session_answer_created_main (Deferred * d)
{
  Session *s = d->obj;
  GstPromise *promise;

  if (s->closed)
    return;
  if (d->desc == NULL) {
    gchar *what = g_strdup_printf ("create-answer failed: %s",
        GST_STR_NULL (d->text));

    session_fail (s, SOUP_STATUS_INTERNAL_SERVER_ERROR, what);
    g_free (what);
    return;
  }
  promise = gst_promise_new_with_change_func (session_on_local_set,
      session_ref (s), session_unref);
  g_signal_emit_by_name (s->webrtc, "set-local-description", d->desc, promise);
}

static void
session_on_answer_created (GstPromise * promise, gpointer user_data)
{
  Deferred *d = session_deferred (session_answer_created_main, user_data);

  d->desc = promise_description (promise, "answer");
  if (d->desc == NULL)
    d->text = promise_error (promise);
  deferred_submit (d);
  gst_promise_unref (promise);
}

/* The payload type of @codec in the offered @media, or -1.  For H.264
 * packetization-mode=1 and a baseline profile are preferred.  Only the
 * dynamic range 96-127 is usable: the payloaders' src templates
 * (payload=[96,127]) refuse anything else, e.g. Chrome's AV1 at 45. */
static gint
offer_find_pt (const GstSDPMedia * media, const Codec * codec)
{
  gint best_pt = -1, best_score = -1;
  guint i;

  for (i = 0; i < gst_sdp_media_formats_len (media); i++) {
    gint pt = atoi (gst_sdp_media_get_format (media, i));
    GstCaps *caps = gst_sdp_media_get_caps_from_media (media, pt);
    GstStructure *s;
    const gchar *name, *value;
    gint rate = 0, score = 0;

    if (pt < 96 || pt > 127 || caps == NULL) {
      gst_clear_caps (&caps);
      continue;
    }
    s = gst_caps_get_structure (caps, 0);
    name = gst_structure_get_string (s, "encoding-name");
    gst_structure_get_int (s, "clock-rate", &rate);
    if (name == NULL || g_ascii_strcasecmp (name, codec->encoding_name) != 0
        || (guint) rate != codec->clock_rate) {
      gst_caps_unref (caps);
      continue;
    }
    if (g_strcmp0 (codec->name, "h264") == 0) {
      value = gst_structure_get_string (s, "packetization-mode");
      if (g_strcmp0 (value, "1") == 0)
        score += 2;
      value = gst_structure_get_string (s, "profile-level-id");
      if (value && g_str_has_prefix (value, "42"))
        score += 1;
    }
    gst_caps_unref (caps);
    if (score > best_score) {
      best_score = score;
      best_pt = pt;
    }
  }
  return best_pt;
}

/* Links a test source for @codec to the sink pad of m-line @mline and
 * makes its transceiver sendonly with the offered payload type @pt. */
static gboolean
session_add_media (Session * s, const Codec * codec, gboolean video,
    guint mline, gint pt)
{
  GstWebRTCRTPTransceiver *trans = NULL;
  GstElement *branch;
  GstCaps *prefs;
  GstPad *sinkpad;
  GError *error = NULL;
  gchar *pad_name;

  branch = make_branch (codec, video, &s->server->media, pt,
      &s->keyframe_requests, &s->media_gate, NULL, &error);
  if (branch == NULL) {
    g_printerr ("session %s: cannot build %s: %s\n", s->id, codec->name,
        error->message);
    g_clear_error (&error);
    return FALSE;
  }
  /* "sink_<mline>" ties the new transceiver to that m-line */
  pad_name = g_strdup_printf ("sink_%u", mline);
  sinkpad = link_branch (s->pipeline, s->webrtc, branch, pad_name);
  g_free (pad_name);
  if (sinkpad == NULL) {
    gst_element_set_state (branch, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (s->pipeline), branch);
    return FALSE;
  }

  /* create-answer picks, for each offered m-line, a transceiver whose
   * codec preferences intersect the offered codecs */
  prefs = gst_caps_new_simple ("application/x-rtp",
      "media", G_TYPE_STRING, video ? "video" : "audio",
      "encoding-name", G_TYPE_STRING, codec->encoding_name,
      "clock-rate", G_TYPE_INT, (gint) codec->clock_rate,
      "payload", G_TYPE_INT, pt, NULL);
  g_object_get (sinkpad, "transceiver", &trans, NULL);
  g_object_set (trans, "direction",
      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
      "codec-preferences", prefs, NULL);
  gst_object_unref (trans);
  gst_caps_unref (prefs);
  gst_object_unref (sinkpad);

  gst_element_sync_state_with_parent (branch);
  g_print ("session %s: m-line %u sends %s (pt %d)\n", s->id, mline,
      codec->name, pt);
  return TRUE;
}

/* Remote offer applied.  webrtcbin 1.22 creates transceivers for a remote
 * offer only when the answer is set, so for every offered m-line we can
 * serve: a sendonly transceiver + sink pad of our own, then the answer.
 * Other m-lines (offered codecs we do not send, --audio none, ...) end
 * up rejected in the answer. */
static void
session_remote_set_main (Deferred * d)
{
  Session *s = d->obj;
  Server *srv = s->server;
  GstPromise *promise;
  guint i, linked = 0;

  if (s->closed)
    return;
  if (d->text) {
    gchar *what = g_strdup_printf ("bad offer: %s", d->text);

    session_fail (s, SOUP_STATUS_BAD_REQUEST, what);
    g_free (what);
    return;
  }

  for (i = 0; i < gst_sdp_message_medias_len (s->offer->sdp); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (s->offer->sdp, i);
    const gchar *kind = gst_sdp_media_get_media (media);
    const Codec *codec;
    gboolean video;
    gint pt;

    video = g_strcmp0 (kind, "video") == 0;
    if (!video && g_strcmp0 (kind, "audio") != 0)
      continue;
    codec = video ? srv->media.video : srv->media.audio;
    if (codec == NULL)
      continue;
    pt = offer_find_pt (media, codec);
    if (pt < 0) {
      g_print ("session %s: m-line %u does not offer %s (payload type "
          "96-127)\n", s->id, i, codec->encoding_name);
      continue;
    }
    if (session_add_media (s, codec, video, i, pt))
      linked++;
  }

  if (linked == 0) {
    session_fail (s, SOUP_STATUS_NOT_ACCEPTABLE,
        "the offer has no media this server sends");
    return;
  }

  promise = gst_promise_new_with_change_func (session_on_answer_created,
      session_ref (s), session_unref);
  g_signal_emit_by_name (s->webrtc, "create-answer", NULL, promise);
}

static void
session_on_remote_set (GstPromise * promise, gpointer user_data)
{
  Deferred *d = session_deferred (session_remote_set_main, user_data);

  d->text = promise_error (promise);
  deferred_submit (d);
  gst_promise_unref (promise);
}

static gboolean
session_on_gather_timeout (gpointer user_data)
{
  Session *s = user_data;

  s->gather_timeout_id = 0;
  session_fail (s, SOUP_STATUS_INTERNAL_SERVER_ERROR,
      "ICE gathering did not complete");
  return G_SOURCE_REMOVE;
}

static gboolean
session_on_bus (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Session *s = user_data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR && !s->closed) {
    GError *error = NULL;
    gchar *debug = NULL, *what;

    gst_message_parse_error (msg, &error, &debug);
    what = g_strdup_printf ("error from %s: %s (%s)",
        GST_OBJECT_NAME (msg->src), error->message, GST_STR_NULL (debug));
    g_clear_error (&error);
    g_free (debug);
    session_fail (s, SOUP_STATUS_INTERNAL_SERVER_ERROR, what);
    g_free (what);
  }
  return G_SOURCE_CONTINUE;
}

static void
server_handle_post (Server * srv, SoupServerMessage * msg)
{
  const gchar *content_type;
  SoupMessageBody *body;
  GBytes *bytes;
  GstSDPMessage *sdp = NULL;
  Session *s;
  GstBus *bus;
  GstPromise *promise;
  gchar *text;
  gsize len;
  const gchar *data;
  gdouble elapsed;

  elapsed = (g_get_monotonic_time () - srv->start_time) / (gdouble)
      G_USEC_PER_SEC;
  if (elapsed < srv->not_before) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Retry-After", "1");
    reply_text (msg, SOUP_STATUS_CONFLICT, "stream not there yet\n");
    return;
  }
  content_type = soup_message_headers_get_content_type
      (soup_server_message_get_request_headers (msg), NULL);
  if (g_strcmp0 (content_type, "application/sdp") != 0) {
    reply_text (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
        "expected application/sdp\n");
    return;
  }
  body = soup_server_message_get_request_body (msg);
  bytes = soup_message_body_flatten (body);
  data = g_bytes_get_data (bytes, &len);
  text = g_strndup (data ? data : "", len);
  g_bytes_unref (bytes);
  if (gst_sdp_message_new_from_text (text, &sdp) != GST_SDP_OK ||
      gst_sdp_message_medias_len (sdp) == 0) {
    g_free (text);
    if (sdp)
      gst_sdp_message_free (sdp);
    reply_text (msg, SOUP_STATUS_BAD_REQUEST, "the offer is not SDP\n");
    return;
  }
  g_free (text);

  s = g_new0 (Session, 1);
  s->refcount = 1;
  s->server = srv;
  s->id = g_strdup_printf ("s%u", ++srv->next_id);
  s->offer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER,
      sdp);
  s->msg = g_object_ref (msg);
  s->msg_finished_id = g_signal_connect (msg, "finished",
      G_CALLBACK (on_pending_msg_finished), s);
  s->msg_disconnected_id = g_signal_connect (msg, "disconnected",
      G_CALLBACK (on_pending_msg_finished), s);
  g_hash_table_insert (srv->sessions, s->id, s);
  soup_server_message_pause (msg);
  g_print ("session %s created\n", s->id);

  s->pipeline = gst_pipeline_new (s->id);
  s->webrtc = gst_element_factory_make ("webrtcbin", "webrtc");
  g_object_set (s->webrtc, "bundle-policy",
      GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  gst_bin_add (GST_BIN (s->pipeline), s->webrtc);
  g_signal_connect (s->webrtc, "notify::ice-gathering-state",
      G_CALLBACK (session_on_gathering_state), s);
  g_signal_connect (s->webrtc, "notify::ice-connection-state",
      G_CALLBACK (session_on_ice_state), s);
  bus = gst_pipeline_get_bus (GST_PIPELINE (s->pipeline));
  gst_bus_add_watch (bus, session_on_bus, s);
  gst_object_unref (bus);

  if (gst_element_set_state (s->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    session_fail (s, SOUP_STATUS_INTERNAL_SERVER_ERROR,
        "cannot start webrtcbin");
    return;
  }
  s->gather_timeout_id = g_timeout_add_seconds (GATHER_TIMEOUT_S,
      session_on_gather_timeout, s);
  promise = gst_promise_new_with_change_func (session_on_remote_set,
      session_ref (s), session_unref);
  g_signal_emit_by_name (s->webrtc, "set-remote-description", s->offer,
      promise);
}

/* PATCH with an application/trickle-ice-sdpfrag body: remote candidates */
static void
server_handle_patch (Server * srv, Session * s, SoupServerMessage * msg)
{
  const gchar *content_type;
  GBytes *bytes;
  gchar *text, **lines;
  const gchar *data;
  gsize len;
  guint i, n = 0;

  content_type = soup_message_headers_get_content_type
      (soup_server_message_get_request_headers (msg), NULL);
  if (g_strcmp0 (content_type, "application/trickle-ice-sdpfrag") != 0) {
    reply_text (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
        "expected application/trickle-ice-sdpfrag\n");
    return;
  }
  bytes = soup_message_body_flatten (soup_server_message_get_request_body
      (msg));
  data = g_bytes_get_data (bytes, &len);
  text = g_strndup (data ? data : "", len);
  g_bytes_unref (bytes);
  lines = g_strsplit_set (text, "\r\n", -1);
  g_free (text);
  for (i = 0; lines[i]; i++) {
    if (g_str_has_prefix (lines[i], "a=candidate:") && s->webrtc) {
      /* max-bundle: everything goes over the first m-line's transport */
      g_signal_emit_by_name (s->webrtc, "add-ice-candidate", 0, lines[i] + 2);
      n++;
    }
  }
  g_strfreev (lines);
  g_print ("session %s: %u remote candidate(s)\n", s->id, n);
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

static void
server_handler (SoupServer * server, SoupServerMessage * msg,
    const gchar * path, GHashTable * query, gpointer user_data)
{
  Server *srv = user_data;
  const gchar *method = soup_server_message_get_method (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  Session *s;
  gsize plen = strlen (srv->path);

  soup_message_headers_replace (headers, "Access-Control-Allow-Origin", "*");
  soup_message_headers_replace (headers, "Access-Control-Expose-Headers",
      "Location, ETag");

  if (g_strcmp0 (method, "OPTIONS") == 0) {
    soup_message_headers_replace (headers, "Access-Control-Allow-Methods",
        "OPTIONS, POST, PATCH, DELETE");
    soup_message_headers_replace (headers, "Access-Control-Allow-Headers",
        "Authorization, Content-Type, If-Match");
    soup_message_headers_replace (headers, "Accept-Post", "application/sdp");
    soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
    return;
  }

  if (!server_check_token (srv, msg)) {
    soup_message_headers_replace (headers, "WWW-Authenticate", "Bearer");
    reply_text (msg, SOUP_STATUS_UNAUTHORIZED, "bad or missing token\n");
    return;
  }

  if (g_strcmp0 (path, srv->path) == 0) {
    if (g_strcmp0 (method, "POST") == 0) {
      server_handle_post (srv, msg);
    } else {
      soup_message_headers_replace (headers, "Allow", "OPTIONS, POST");
      reply_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    }
    return;
  }

  if (strncmp (path, srv->path, plen) != 0 || path[plen] != '/' ||
      (s = g_hash_table_lookup (srv->sessions, path + plen + 1)) == NULL) {
    reply_text (msg, SOUP_STATUS_NOT_FOUND, "no such session\n");
    return;
  }
  if (g_strcmp0 (method, "DELETE") == 0) {
    server_drop_session (srv, s, "DELETE");
    soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  } else if (g_strcmp0 (method, "PATCH") == 0) {
    server_handle_patch (srv, s, msg);
  } else {
    soup_message_headers_replace (headers, "Allow", "OPTIONS, PATCH, DELETE");
    reply_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
  }
}

static gboolean
on_server_signal (gpointer user_data)
{
  Server *srv = user_data;

  g_main_loop_quit (srv->loop);
  return G_SOURCE_CONTINUE;
}

static void
server_session_destroy (gpointer data)
{
  Session *s = data;

  session_close (s, "shutdown");
  session_unref (s);
}

static gint
server_run (Server * srv)
{
  GError *error = NULL;
  GSList *uris;
  guint sigint_id, sigterm_id;
  gint i;

  if (!check_elements (&srv->media))
    return EXIT_FAILURE;

  srv->loop = g_main_loop_new (NULL, FALSE);
  srv->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      server_session_destroy);
  srv->server = soup_server_new ("server-header", "rr-webrtc-peer ", NULL);
  soup_server_add_handler (srv->server, srv->path, server_handler, srv, NULL);
  if (!soup_server_listen_local (srv->server, srv->port,
          SOUP_SERVER_LISTEN_IPV4_ONLY, &error)) {
    g_printerr ("cannot listen on 127.0.0.1:%u: %s\n", srv->port,
        error->message);
    g_clear_error (&error);
    g_object_unref (srv->server);
    g_hash_table_unref (srv->sessions);
    g_main_loop_unref (srv->loop);
    return EXIT_FAILURE;
  }
  uris = soup_server_get_uris (srv->server);
  if (uris)
    srv->port = (guint) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  sigint_id = g_unix_signal_add (SIGINT, on_server_signal, srv);
  sigterm_id = g_unix_signal_add (SIGTERM, on_server_signal, srv);
  srv->start_time = g_get_monotonic_time ();
  g_print ("listening on %u\n", srv->port);

  g_main_loop_run (srv->loop);

  g_print ("stopping\n");
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_hash_table_remove_all (srv->sessions);
  soup_server_disconnect (srv->server);
  /* run (and free) what webrtcbin queued before it stopped */
  for (i = 0; i < 100 && g_main_context_iteration (NULL, FALSE); i++);
  g_object_unref (srv->server);
  g_hash_table_unref (srv->sessions);
  g_main_loop_unref (srv->loop);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Command line                                                        */
/* ------------------------------------------------------------------ */

static void
usage (FILE * out)
{
  fputs ("usage:\n"
      "  rr-webrtc-peer whip-publish --url URL [--token T]\n"
      "      [--video vp8|vp9|h264|h265|av1|none] [--audio opus|none]\n"
      "      [--duration SECONDS] [--no-delete] [--trickle]\n"
      "      [--width W --height H] [--fps N] [--resize-at SECONDS WxH]\n"
      "      [--gop FRAMES] [--ssrc-change-at SECONDS] [--bitrate KBITS]\n"
      "      [--pattern videotestsrc-pattern] [--color RRGGBB] [--flash]\n"
      "    defaults: --video vp8 --audio opus --duration 5 (0: until\n"
      "    SIGINT/SIGTERM) --width 320 --height 240 --fps 30, key frames\n"
      "    every 60 frames (30 for av1) unless --gop or a request;\n"
      "    --flash: black video with a white flash and a 1 kHz beep\n"
      "    during the first 100 ms of every second (A/V sync)\n"
      "  rr-webrtc-peer whep-serve --port PORT [--path /whep]\n"
      "      [--video vp8|vp9|h264|h265|av1|none] [--audio opus|none]\n"
      "      [--not-before SECONDS] [--token T] [--width W --height H]\n"
      "      [--fps N]\n"
      "    defaults: --port 0 (any free port) --path /whep --not-before 0\n"
      "    (counted from \"listening on PORT\"; earlier POSTs get 409)\n"
      "    runs until SIGINT/SIGTERM\n"
      "exit codes: 0 ok, 1 failure, 2 usage, 3 HTTP error, "
      "4 ICE did not connect\n", out);
}

static gboolean
parse_double (const gchar * s, gdouble * out)
{
  gchar *end = NULL;

  *out = g_ascii_strtod (s, &end);
  return end != s && *end == '\0' && *out >= 0;
}

static gboolean
parse_int (const gchar * s, gint min, gint max, gint * out)
{
  gint64 v;

  if (!g_ascii_string_to_signed (s, 10, min, max, &v, NULL))
    return FALSE;
  *out = (gint) v;
  return TRUE;
}

static gboolean
parse_size (const gchar * s, gint * w, gint * h)
{
  gchar **parts = g_strsplit (s, "x", 2);
  gboolean ok = g_strv_length (parts) == 2 &&
      parse_int (parts[0], 16, 4096, w) && parse_int (parts[1], 16, 4096, h);

  g_strfreev (parts);
  return ok;
}

static gboolean
parse_codec (const gchar * value, gboolean video, const Codec ** out)
{
  if (g_strcmp0 (value, "none") == 0) {
    *out = NULL;
    return TRUE;
  }
  if (video)
    *out = find_codec (video_codecs, G_N_ELEMENTS (video_codecs), value);
  else
    *out = find_codec (audio_codecs, G_N_ELEMENTS (audio_codecs), value);
  return *out != NULL;
}

/* Parses argv[2..]; one table for both modes, unknown or misplaced
 * options are usage errors. */
static gboolean
parse_args (int argc, char **argv, gboolean whip, Publisher * p, Server * srv)
{
  MediaOptions *media = whip ? &p->media : &srv->media;
  gint i;

  for (i = 2; i < argc; i++) {
    const gchar *opt = argv[i];
    const gchar *val = i + 1 < argc ? argv[i + 1] : NULL;
    gboolean ok = TRUE, takes_value = TRUE;
    gint port;

    if (g_strcmp0 (opt, "--help") == 0 || g_strcmp0 (opt, "-h") == 0) {
      usage (stdout);
      exit (0);
    } else if (g_strcmp0 (opt, "--no-delete") == 0 && whip) {
      p->no_delete = TRUE;
      takes_value = FALSE;
    } else if (g_strcmp0 (opt, "--flash") == 0) {
      media->flash = TRUE;
      takes_value = FALSE;
    } else if (g_strcmp0 (opt, "--trickle") == 0 && whip) {
      p->trickle = TRUE;
      takes_value = FALSE;
    } else if (g_strcmp0 (opt, "--simulcast") == 0 && whip) {
      g_printerr ("--simulcast is not implemented\n");
      return FALSE;
    } else if (val == NULL) {
      ok = FALSE;
    } else if (g_strcmp0 (opt, "--video") == 0) {
      ok = parse_codec (val, TRUE, &media->video);
    } else if (g_strcmp0 (opt, "--audio") == 0) {
      ok = parse_codec (val, FALSE, &media->audio);
    } else if (g_strcmp0 (opt, "--token") == 0) {
      if (whip)
        p->token = g_strdup (val);
      else
        srv->token = g_strdup (val);
    } else if (g_strcmp0 (opt, "--width") == 0) {
      ok = parse_int (val, 16, 4096, &media->width);
    } else if (g_strcmp0 (opt, "--height") == 0) {
      ok = parse_int (val, 16, 4096, &media->height);
    } else if (g_strcmp0 (opt, "--fps") == 0) {
      ok = parse_int (val, 1, 120, &media->fps);
    } else if (g_strcmp0 (opt, "--pattern") == 0) {
      /* videotestsrc's: "snow" costs the full bitrate, "ball" very little */
      ok = strspn (val, "abcdefghijklmnopqrstuvwxyz-") == strlen (val);
      media->pattern = val;
    } else if (g_strcmp0 (opt, "--color") == 0) {
      gchar *end = NULL;
      guint64 v = g_ascii_strtoull (val, &end, 16);

      ok = end && *end == '\0' && end != val && v <= 0xffffff;
      media->color = (guint) v;
      media->has_color = TRUE;
    } else if (g_strcmp0 (opt, "--bitrate") == 0) {
      ok = parse_int (val, 50, 50000, &media->bitrate);
    } else if (g_strcmp0 (opt, "--gop") == 0) {
      ok = parse_int (val, 1, 100000, &media->gop);
    } else if (g_strcmp0 (opt, "--url") == 0 && whip) {
      p->url = g_strdup (val);
    } else if (g_strcmp0 (opt, "--duration") == 0 && whip) {
      ok = parse_double (val, &p->duration);
    } else if (g_strcmp0 (opt, "--ssrc-change-at") == 0 && whip) {
      ok = parse_double (val, &p->ssrc_change_at);
    } else if (g_strcmp0 (opt, "--resize-at") == 0 && whip) {
      ok = i + 2 < argc && parse_double (val, &p->resize_at) &&
          parse_size (argv[i + 2], &p->resize_width, &p->resize_height);
      i++;
    } else if (g_strcmp0 (opt, "--port") == 0 && !whip) {
      ok = parse_int (val, 0, 65535, &port);
      srv->port = port;
    } else if (g_strcmp0 (opt, "--path") == 0 && !whip) {
      ok = val[0] == '/' && val[1] != '\0' && !g_str_has_suffix (val, "/");
      g_free (srv->path);
      srv->path = g_strdup (val);
    } else if (g_strcmp0 (opt, "--not-before") == 0 && !whip) {
      ok = parse_double (val, &srv->not_before);
    } else {
      g_printerr ("unknown option %s\n", opt);
      return FALSE;
    }
    if (!ok) {
      g_printerr ("bad or missing value for %s\n", opt);
      return FALSE;
    }
    if (takes_value)
      i++;
  }
  return TRUE;
}

int
main (int argc, char **argv)
{
  Publisher p;
  Server srv;
  MediaOptions defaults = {
    &video_codecs[0], &audio_codecs[0], 320, 240, 30, 0, 0, "ball", 0, FALSE,
    FALSE
  };
  gboolean whip;
  gint ret;

  memset (&p, 0, sizeof (p));
  memset (&srv, 0, sizeof (srv));
  p.media = defaults;
  p.duration = 5;
  p.resize_at = -1;
  p.ssrc_change_at = -1;
  srv.media = defaults;
  srv.path = g_strdup ("/whep");
  srv.not_before = 0;

  /* output is parsed by test scripts */
  setvbuf (stdout, NULL, _IOLBF, 0);

  gst_init (&argc, &argv);

  if (argc < 2 || (g_strcmp0 (argv[1], "whip-publish") != 0 &&
          g_strcmp0 (argv[1], "whep-serve") != 0)) {
    if (argc >= 2 && (g_strcmp0 (argv[1], "--help") == 0 ||
            g_strcmp0 (argv[1], "-h") == 0)) {
      usage (stdout);
      return 0;
    }
    usage (stderr);
    return EXIT_USAGE;
  }
  whip = g_strcmp0 (argv[1], "whip-publish") == 0;
  if (!parse_args (argc, argv, whip, &p, &srv)) {
    usage (stderr);
    ret = EXIT_USAGE;
    goto out;
  }

  if (whip) {
    if (p.url == NULL) {
      g_printerr ("whip-publish needs --url\n");
      ret = EXIT_USAGE;
      goto out;
    }
    if (p.media.video == NULL && p.media.audio == NULL) {
      g_printerr ("nothing to send (--video none --audio none)\n");
      ret = EXIT_USAGE;
      goto out;
    }
    ret = publisher_run (&p);
  } else {
    if (srv.media.video == NULL && srv.media.audio == NULL) {
      g_printerr ("nothing to send (--video none --audio none)\n");
      ret = EXIT_USAGE;
      goto out;
    }
    ret = server_run (&srv);
  }

out:
  g_free (p.url);
  g_free (p.token);
  g_free (srv.path);
  g_free (srv.token);
  gst_deinit ();
  return ret;
}
