/* roomrec — rtpaomav1depay: AV1 video from RTP (AOMedia AV1 RTP v1.0)
 * Copyright (C) 2026 roomrec contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-rtpaomav1depay
 * @title: rtpaomav1depay
 * @short_description: Extracts AV1 video from RTP packets
 * @see_also: rtpaomav1pay, av1parse
 *
 * Depayloads AV1 video from RTP packets following the AOMedia "RTP Payload
 * Format for AV1" v1.0 (https://aomediacodec.github.io/av1-rtp-spec/).
 * Fragmented OBUs are reassembled, every OBU gets its size field back and
 * each temporal unit is output as one buffer starting with a temporal
 * delimiter, in `stream-format=obu-stream, alignment=tu` (with
 * `framerate=0/1`: RTP does not tell the frame rate, and matroskamux and
 * webmmux need the field). Non key-frame units are flagged
 * %GST_BUFFER_FLAG_DELTA_UNIT.
 *
 * A unit that lost packets is dropped and a key frame is requested upstream
 * with a force-key-unit event. With #GstRtpAomAv1Depay:wait-for-keyframe
 * (the default) nothing is output before the first key frame, nor after a
 * loss until the next key frame.
 *
 * GStreamer 1.22 has no other AV1 RTP depayloader in C; the Rust
 * `rtpav1depay` from gst-plugins-rs does the same job.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -e videotestsrc num-buffers=60 ! \
 *     video/x-raw,format=I420,width=320,height=240 ! \
 *     av1enc cpu-used=8 keyframe-max-dist=30 ! av1parse ! rtpaomav1pay ! \
 *     rtpaomav1depay ! av1parse ! webmmux ! filesink location=av1.webm
 * ]| Payloads and depayloads AV1 and writes the result to a WebM file.
 * |[
 * gst-launch-1.0 -e udpsrc port=5004 \
 *   caps="application/x-rtp,media=video,encoding-name=AV1,clock-rate=90000" ! \
 *     rtpjitterbuffer ! rtpaomav1depay ! av1parse ! \
 *     matroskamux ! filesink location=av1.mkv
 * ]| Records an AV1 RTP stream received on UDP port 5004 (see
 * rtpaomav1pay for a sender).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/rtp/gstrtpbuffer.h>
#include <gst/video/video.h>

#include "gstrtpaomav1depay.h"
#include "av1rtp.h"

GST_DEBUG_CATEGORY_STATIC (rtpaomav1depay_debug);
#define GST_CAT_DEFAULT rtpaomav1depay_debug

enum
{
  PROP_0,
  PROP_WAIT_FOR_KEYFRAME,
  PROP_REQUEST_KEYFRAME,
};

#define DEFAULT_WAIT_FOR_KEYFRAME TRUE
#define DEFAULT_REQUEST_KEYFRAME TRUE

struct _GstRtpAomAv1Depay
{
  GstRTPBaseDepayload parent;

  /* protected by the stream lock */
  RrAv1Depacketizer *depay;
  gboolean lost;                /* GstRTPPacketLost seen */

  /* protected by the object lock */
  gboolean wait_for_keyframe;
  gboolean request_keyframe;
};

static GstStaticPadTemplate gst_rtp_aom_av1_depay_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp, media = (string) video, "
        "clock-rate = (int) 90000, encoding-name = (string) AV1"));

static GstStaticPadTemplate gst_rtp_aom_av1_depay_src_template =
GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-av1, stream-format = (string) obu-stream, "
        "alignment = (string) tu"));

#define gst_rtp_aom_av1_depay_parent_class parent_class
G_DEFINE_TYPE (GstRtpAomAv1Depay, gst_rtp_aom_av1_depay,
    GST_TYPE_RTP_BASE_DEPAYLOAD);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtpaomav1depay, "rtpaomav1depay",
    GST_RANK_MARGINAL, GST_TYPE_RTP_AOM_AV1_DEPAY,
    GST_DEBUG_CATEGORY_INIT (rtpaomav1depay_debug, "rtpaomav1depay", 0,
        "AV1 RTP depayloader"));

static void gst_rtp_aom_av1_depay_finalize (GObject * object);
static void gst_rtp_aom_av1_depay_set_property (GObject * object,
    guint prop_id, const GValue * value, GParamSpec * pspec);
static void gst_rtp_aom_av1_depay_get_property (GObject * object,
    guint prop_id, GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_rtp_aom_av1_depay_change_state (GstElement *
    element, GstStateChange transition);
static gboolean gst_rtp_aom_av1_depay_set_caps (GstRTPBaseDepayload *
    depayload, GstCaps * caps);
static GstBuffer *gst_rtp_aom_av1_depay_process (GstRTPBaseDepayload *
    depayload, GstRTPBuffer * rtp);
static gboolean gst_rtp_aom_av1_depay_handle_event (GstRTPBaseDepayload *
    depayload, GstEvent * event);
static gboolean gst_rtp_aom_av1_depay_packet_lost (GstRTPBaseDepayload *
    depayload, GstEvent * event);

static void
gst_rtp_aom_av1_depay_class_init (GstRtpAomAv1DepayClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstRTPBaseDepayloadClass *depay_class = GST_RTP_BASE_DEPAYLOAD_CLASS (klass);

  gobject_class->finalize = gst_rtp_aom_av1_depay_finalize;
  gobject_class->set_property = gst_rtp_aom_av1_depay_set_property;
  gobject_class->get_property = gst_rtp_aom_av1_depay_get_property;

  /**
   * GstRtpAomAv1Depay:wait-for-keyframe:
   *
   * Drop everything before the first key frame, and after packet loss until
   * the next key frame.
   */
  g_object_class_install_property (gobject_class, PROP_WAIT_FOR_KEYFRAME,
      g_param_spec_boolean ("wait-for-keyframe", "Wait for keyframe",
          "Drop temporal units until a key frame is received (at start and "
          "after packet loss)", DEFAULT_WAIT_FOR_KEYFRAME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstRtpAomAv1Depay:request-keyframe:
   *
   * Send an upstream force-key-unit event when data had to be dropped.
   */
  g_object_class_install_property (gobject_class, PROP_REQUEST_KEYFRAME,
      g_param_spec_boolean ("request-keyframe", "Request keyframe",
          "Request a key frame upstream (force-key-unit) when a broken "
          "temporal unit is dropped or while waiting for a key frame",
          DEFAULT_REQUEST_KEYFRAME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class,
      &gst_rtp_aom_av1_depay_src_template);
  gst_element_class_add_static_pad_template (element_class,
      &gst_rtp_aom_av1_depay_sink_template);
  gst_element_class_set_static_metadata (element_class,
      "RTP AV1 depayloader", "Codec/Depayloader/Network/RTP",
      "Extracts AV1 video from RTP packets (AOMedia AV1 RTP payload "
      "format v1.0)", "roomrec contributors");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_rtp_aom_av1_depay_change_state);

  depay_class->set_caps = GST_DEBUG_FUNCPTR (gst_rtp_aom_av1_depay_set_caps);
  depay_class->process_rtp_packet =
      GST_DEBUG_FUNCPTR (gst_rtp_aom_av1_depay_process);
  depay_class->handle_event =
      GST_DEBUG_FUNCPTR (gst_rtp_aom_av1_depay_handle_event);
  depay_class->packet_lost =
      GST_DEBUG_FUNCPTR (gst_rtp_aom_av1_depay_packet_lost);
}

static void
gst_rtp_aom_av1_depay_init (GstRtpAomAv1Depay * self)
{
  self->wait_for_keyframe = DEFAULT_WAIT_FOR_KEYFRAME;
  self->request_keyframe = DEFAULT_REQUEST_KEYFRAME;
  self->depay = rr_av1_depacketizer_new (self->wait_for_keyframe);
}

static void
gst_rtp_aom_av1_depay_finalize (GObject * object)
{
  GstRtpAomAv1Depay *self = GST_RTP_AOM_AV1_DEPAY (object);

  rr_av1_depacketizer_free (self->depay);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_rtp_aom_av1_depay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtpAomAv1Depay *self = GST_RTP_AOM_AV1_DEPAY (object);

  switch (prop_id) {
    case PROP_WAIT_FOR_KEYFRAME:
      GST_OBJECT_LOCK (self);
      self->wait_for_keyframe = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_REQUEST_KEYFRAME:
      GST_OBJECT_LOCK (self);
      self->request_keyframe = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtp_aom_av1_depay_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtpAomAv1Depay *self = GST_RTP_AOM_AV1_DEPAY (object);

  switch (prop_id) {
    case PROP_WAIT_FOR_KEYFRAME:
      GST_OBJECT_LOCK (self);
      g_value_set_boolean (value, self->wait_for_keyframe);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_REQUEST_KEYFRAME:
      GST_OBJECT_LOCK (self);
      g_value_set_boolean (value, self->request_keyframe);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtp_aom_av1_depay_reset (GstRtpAomAv1Depay * self)
{
  gboolean wait;

  GST_OBJECT_LOCK (self);
  wait = self->wait_for_keyframe;
  GST_OBJECT_UNLOCK (self);

  rr_av1_depacketizer_set_wait_for_keyframe (self->depay, wait);
  rr_av1_depacketizer_reset (self->depay);
  self->lost = FALSE;
}

static GstStateChangeReturn
gst_rtp_aom_av1_depay_change_state (GstElement * element,
    GstStateChange transition)
{
  GstRtpAomAv1Depay *self = GST_RTP_AOM_AV1_DEPAY (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    gst_rtp_aom_av1_depay_reset (self);

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    gst_rtp_aom_av1_depay_reset (self);

  return ret;
}

static gboolean
gst_rtp_aom_av1_depay_set_caps (GstRTPBaseDepayload * depayload, GstCaps * caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  GstCaps *srccaps;
  gint clock_rate = RR_AV1_RTP_CLOCK_RATE;
  gboolean ret;

  gst_structure_get_int (s, "clock-rate", &clock_rate);
  depayload->clock_rate = clock_rate;

  /* RTP carries no frame rate; matroskamux/webmmux 1.22 insist on a
   * framerate field, 0/1 means variable */
  srccaps = gst_caps_new_simple ("video/x-av1",
      "stream-format", G_TYPE_STRING, "obu-stream",
      "alignment", G_TYPE_STRING, "tu",
      "framerate", GST_TYPE_FRACTION, 0, 1, NULL);
  ret = gst_pad_set_caps (GST_RTP_BASE_DEPAYLOAD_SRCPAD (depayload), srccaps);
  gst_caps_unref (srccaps);

  return ret;
}

static void
gst_rtp_aom_av1_depay_request_keyframe (GstRtpAomAv1Depay * self)
{
  gboolean request;

  GST_OBJECT_LOCK (self);
  request = self->request_keyframe;
  GST_OBJECT_UNLOCK (self);

  if (!request)
    return;

  GST_DEBUG_OBJECT (self, "requesting a key frame");
  gst_pad_push_event (GST_RTP_BASE_DEPAYLOAD_SINKPAD (self),
      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
          TRUE, 0));
}

static GstFlowReturn
gst_rtp_aom_av1_depay_push_units (GstRtpAomAv1Depay * self)
{
  RrAv1TemporalUnit tu;
  GstFlowReturn ret = GST_FLOW_OK;

  while (rr_av1_depacketizer_pop (self->depay, &tu)) {
    GstBuffer *outbuf;

    if (ret != GST_FLOW_OK) {
      rr_av1_temporal_unit_clear (&tu);
      continue;
    }

    outbuf = gst_buffer_new_wrapped (tu.data, tu.size);
    tu.data = NULL;
    GST_BUFFER_PTS (outbuf) = tu.pts;
    if (!tu.keyframe)
      GST_BUFFER_FLAG_SET (outbuf, GST_BUFFER_FLAG_DELTA_UNIT);
    if (tu.discont)
      GST_BUFFER_FLAG_SET (outbuf, GST_BUFFER_FLAG_DISCONT);

    GST_LOG_OBJECT (self, "pushing %" G_GSIZE_FORMAT " bytes, ts %u%s",
        tu.size, tu.rtp_timestamp, tu.keyframe ? ", keyframe" : "");
    ret = gst_rtp_base_depayload_push (GST_RTP_BASE_DEPAYLOAD (self), outbuf);
  }

  return ret;
}

static void
gst_rtp_aom_av1_depay_handle_flags (GstRtpAomAv1Depay * self, guint flags)
{
  if (flags & RR_AV1_DEPAY_DROPPED)
    GST_DEBUG_OBJECT (self, "dropped a broken or non-key temporal unit");
  if (flags & RR_AV1_DEPAY_REQUEST_KEYFRAME)
    gst_rtp_aom_av1_depay_request_keyframe (self);
}

static GstBuffer *
gst_rtp_aom_av1_depay_process (GstRTPBaseDepayload * depayload,
    GstRTPBuffer * rtp)
{
  GstRtpAomAv1Depay *self = GST_RTP_AOM_AV1_DEPAY (depayload);
  gboolean discont, wait;
  guint flags;

  GST_OBJECT_LOCK (self);
  wait = self->wait_for_keyframe;
  GST_OBJECT_UNLOCK (self);
  rr_av1_depacketizer_set_wait_for_keyframe (self->depay, wait);

  /* the base class flags sequence number gaps DISCONT */
  discont = GST_BUFFER_IS_DISCONT (rtp->buffer) || self->lost;
  self->lost = FALSE;

  if (discont)
    GST_DEBUG_OBJECT (self, "discontinuity at seq %u",
        gst_rtp_buffer_get_seq (rtp));

  flags = rr_av1_depacketizer_push (self->depay,
      gst_rtp_buffer_get_payload (rtp), gst_rtp_buffer_get_payload_len (rtp),
      gst_rtp_buffer_get_timestamp (rtp), gst_rtp_buffer_get_marker (rtp),
      discont, GST_BUFFER_PTS (rtp->buffer));
  gst_rtp_aom_av1_depay_handle_flags (self, flags);

  /* gst_rtp_base_depayload_push() hands the flow return to the base
   * class, which returns it from the chain function */
  gst_rtp_aom_av1_depay_push_units (self);

  return NULL;
}

static gboolean
gst_rtp_aom_av1_depay_handle_event (GstRTPBaseDepayload * depayload,
    GstEvent * event)
{
  GstRtpAomAv1Depay *self = GST_RTP_AOM_AV1_DEPAY (depayload);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      gst_rtp_aom_av1_depay_handle_flags (self,
          rr_av1_depacketizer_drain (self->depay));
      gst_rtp_aom_av1_depay_push_units (self);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_rtp_aom_av1_depay_reset (self);
      break;
    default:
      break;
  }

  return GST_RTP_BASE_DEPAYLOAD_CLASS (parent_class)->handle_event (depayload,
      event);
}

static gboolean
gst_rtp_aom_av1_depay_packet_lost (GstRTPBaseDepayload * depayload,
    GstEvent * event)
{
  GstRtpAomAv1Depay *self = GST_RTP_AOM_AV1_DEPAY (depayload);

  GST_DEBUG_OBJECT (self, "packet lost");
  self->lost = TRUE;

  return GST_RTP_BASE_DEPAYLOAD_CLASS (parent_class)->packet_lost (depayload,
      event);
}
