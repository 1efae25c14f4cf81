/* roomrec — rtpaomav1pay: AV1 video into RTP (AOMedia AV1 RTP v1.0)
 * Copyright (C) 2026 roomrec contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-rtpaomav1pay
 * @title: rtpaomav1pay
 * @short_description: Payloads AV1 video into RTP packets
 * @see_also: rtpaomav1depay, av1parse
 *
 * Payloads AV1 temporal units (`stream-format=obu-stream, alignment=tu`, as
 * produced by `av1parse`) into RTP packets following the AOMedia "RTP
 * Payload Format for AV1" v1.0. OBUs are sent without their size field,
 * temporal delimiters and tile-list OBUs are dropped, OBUs are aggregated
 * and fragmented to fit the MTU. The marker bit is set on the last packet
 * of every temporal unit and the N bit on the first packet of a key frame
 * that starts with a sequence header.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -e videotestsrc num-buffers=300 is-live=true ! \
 *     video/x-raw,format=I420,width=320,height=240 ! \
 *     av1enc cpu-used=8 usage-profile=realtime keyframe-max-dist=60 ! \
 *     av1parse ! rtpaomav1pay mtu=1200 ! udpsink host=127.0.0.1 port=5004
 * ]| Sends AV1 over RTP to UDP port 5004 (see rtpaomav1depay for a receiver).
 * |[
 * gst-launch-1.0 -e videotestsrc num-buffers=60 ! \
 *     video/x-raw,format=I420,width=320,height=240 ! \
 *     av1enc cpu-used=8 ! av1parse ! rtpaomav1pay mtu=300 ! \
 *     rtpaomav1depay ! av1parse ! av1dec ! videoconvert ! fakesink
 * ]| Loops AV1 through small RTP packets and decodes it again.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/rtp/gstrtpbuffer.h>
#include <gst/video/video.h>

#include "gstrtpaomav1pay.h"
#include "av1rtp.h"

GST_DEBUG_CATEGORY_STATIC (rtpaomav1pay_debug);
#define GST_CAT_DEFAULT rtpaomav1pay_debug

struct _GstRtpAomAv1Pay
{
  GstRTPBasePayload parent;
};

static GstStaticPadTemplate gst_rtp_aom_av1_pay_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-av1, stream-format = (string) obu-stream, "
        "alignment = (string) tu"));

static GstStaticPadTemplate gst_rtp_aom_av1_pay_src_template =
GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp, media = (string) video, "
        "payload = (int) " GST_RTP_PAYLOAD_DYNAMIC_STRING ", "
        "clock-rate = (int) 90000, encoding-name = (string) AV1"));

#define gst_rtp_aom_av1_pay_parent_class parent_class
G_DEFINE_TYPE (GstRtpAomAv1Pay, gst_rtp_aom_av1_pay, GST_TYPE_RTP_BASE_PAYLOAD);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtpaomav1pay, "rtpaomav1pay",
    GST_RANK_MARGINAL, GST_TYPE_RTP_AOM_AV1_PAY,
    GST_DEBUG_CATEGORY_INIT (rtpaomav1pay_debug, "rtpaomav1pay", 0,
        "AV1 RTP payloader"));

static gboolean gst_rtp_aom_av1_pay_set_caps (GstRTPBasePayload * payload,
    GstCaps * caps);
static GstFlowReturn gst_rtp_aom_av1_pay_handle_buffer (GstRTPBasePayload *
    payload, GstBuffer * buffer);

static void
gst_rtp_aom_av1_pay_class_init (GstRtpAomAv1PayClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstRTPBasePayloadClass *pay_class = GST_RTP_BASE_PAYLOAD_CLASS (klass);

  gst_element_class_add_static_pad_template (element_class,
      &gst_rtp_aom_av1_pay_src_template);
  gst_element_class_add_static_pad_template (element_class,
      &gst_rtp_aom_av1_pay_sink_template);
  gst_element_class_set_static_metadata (element_class,
      "RTP AV1 payloader", "Codec/Payloader/Network/RTP",
      "Payloads AV1 video into RTP packets (AOMedia AV1 RTP payload "
      "format v1.0)", "roomrec contributors");

  pay_class->set_caps = GST_DEBUG_FUNCPTR (gst_rtp_aom_av1_pay_set_caps);
  pay_class->handle_buffer =
      GST_DEBUG_FUNCPTR (gst_rtp_aom_av1_pay_handle_buffer);
}

static void
gst_rtp_aom_av1_pay_init (GstRtpAomAv1Pay * self)
{
}

static gboolean
gst_rtp_aom_av1_pay_set_caps (GstRTPBasePayload * payload, GstCaps * caps)
{
  gst_rtp_base_payload_set_options (payload, "video", TRUE,
      RR_AV1_RTP_ENCODING_NAME, RR_AV1_RTP_CLOCK_RATE);

  return gst_rtp_base_payload_set_outcaps (payload, NULL);
}

static GstFlowReturn
gst_rtp_aom_av1_pay_handle_buffer (GstRTPBasePayload * payload,
    GstBuffer * buffer)
{
  GstRtpAomAv1Pay *self = GST_RTP_AOM_AV1_PAY (payload);
  GPtrArray *packets;
  GstBufferList *list;
  GstMapInfo map;
  gsize max_payload;
  gboolean keyframe, ok;
  guint i;

  max_payload = gst_rtp_buffer_calc_payload_len
      (GST_RTP_BASE_PAYLOAD_MTU (payload), 0, 0);
  if (max_payload < 3) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, (NULL),
        ("MTU %u is too small", GST_RTP_BASE_PAYLOAD_MTU (payload)));
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }
  packets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  ok = rr_av1_packetize (map.data, map.size, max_payload, packets, &keyframe);
  gst_buffer_unmap (buffer, &map);

  if (!ok) {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT, (NULL),
        ("Dropping malformed AV1 temporal unit of %" G_GSIZE_FORMAT
            " bytes", gst_buffer_get_size (buffer)));
    g_ptr_array_unref (packets);
    gst_buffer_unref (buffer);
    return GST_FLOW_OK;
  }

  GST_LOG_OBJECT (self, "temporal unit of %" G_GSIZE_FORMAT " bytes%s -> "
      "%u packets", gst_buffer_get_size (buffer),
      keyframe ? " (keyframe)" : "", packets->len);

  if (packets->len == 0) {
    g_ptr_array_unref (packets);
    gst_buffer_unref (buffer);
    return GST_FLOW_OK;
  }

  list = gst_buffer_list_new_sized (packets->len);
  for (i = 0; i < packets->len; i++) {
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    GBytes *bytes = g_ptr_array_index (packets, i);
    gsize len;
    gconstpointer data = g_bytes_get_data (bytes, &len);
    GstBuffer *outbuf;

    outbuf = gst_rtp_base_payload_allocate_output_buffer (payload, len, 0, 0);
    gst_rtp_buffer_map (outbuf, GST_MAP_WRITE, &rtp);
    memcpy (gst_rtp_buffer_get_payload (&rtp), data, len);
    gst_rtp_buffer_set_marker (&rtp, i + 1 == packets->len);
    gst_rtp_buffer_unmap (&rtp);

    GST_BUFFER_PTS (outbuf) = GST_BUFFER_PTS (buffer);
    GST_BUFFER_DTS (outbuf) = GST_BUFFER_DTS (buffer);
    if (!keyframe)
      GST_BUFFER_FLAG_SET (outbuf, GST_BUFFER_FLAG_DELTA_UNIT);

    gst_buffer_list_add (list, outbuf);
  }
  g_ptr_array_unref (packets);
  gst_buffer_unref (buffer);

  return gst_rtp_base_payload_push_list (payload, list);
}
