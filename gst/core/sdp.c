/* roomrec — SDP handling of the launcher's inputs
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sdp.h"

#include <gio/gio.h>
#include <gst/sdp/sdp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (rr - sdp - error - quark, rr_sdp_error);

/* Largest SDP we read: a browser offer is a few KiB. */
#define MAX_SDP_BYTES (256 * 1024)

static gboolean
parse_pt (const gchar * s, guint * pt)
{
  gchar *end;
  guint64 v;

  if (s == NULL || !g_ascii_isdigit (s[0]))
    return FALSE;
  v = g_ascii_strtoull (s, &end, 10);
  if (v > 127 || (*end != '\0' && *end != ' ' && *end != '/'))
    return FALSE;
  *pt = (guint) v;
  return TRUE;
}

/* Encoding name of @pt from its rtpmap (upper case), or the static
 * assignment of RFC 3551; NULL when unknown. */
static gchar *
encoding_of (const GstSDPMedia * m, guint pt, gint * clock_rate)
{
  for (guint i = 0; i < gst_sdp_media_attributes_len (m); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, i);
    guint apt;
    const gchar *sp;

    if (g_strcmp0 (a->key, "rtpmap") != 0 || !parse_pt (a->value, &apt)
        || apt != pt)
      continue;
    sp = strchr (a->value, ' ');
    if (sp == NULL)
      return NULL;
    while (*sp == ' ')
      sp++;
    if (clock_rate) {
      const gchar *slash = strchr (sp, '/');

      *clock_rate = slash ? atoi (slash + 1) : 0;
    }
    {
      const gchar *slash = strchr (sp, '/');
      gchar *name = g_ascii_strup (sp, slash ? slash - sp : -1);

      return name;
    }
  }
  if (clock_rate)
    *clock_rate = 8000;
  if (pt == 0)
    return g_strdup ("PCMU");
  if (pt == 8)
    return g_strdup ("PCMA");
  return NULL;
}

/* The payload type an rtx format repairs (its fmtp apt=), or -1. */
static gint
rtx_apt (const GstSDPMedia * m, guint pt)
{
  for (guint i = 0; i < gst_sdp_media_attributes_len (m); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, i);
    guint fpt;
    const gchar *apt;

    if (g_strcmp0 (a->key, "fmtp") != 0 || !parse_pt (a->value, &fpt)
        || fpt != pt)
      continue;
    apt = strstr (a->value, "apt=");
    if (apt) {
      guint v;

      if (sscanf (apt + 4, "%u", &v) == 1 && v <= 127)
        return (gint) v;
    }
  }
  return -1;
}

/* Formats that only repair or protect another one. */
static gboolean
is_repair_format (const gchar * enc)
{
  return g_str_equal (enc, "RED") || g_str_equal (enc, "ULPFEC")
      || g_str_has_prefix (enc, "FLEXFEC");
}

static gboolean
pt_in (GArray * pts, guint pt)
{
  for (guint i = 0; i < pts->len; i++)
    if (g_array_index (pts, guint, i) == pt)
      return TRUE;
  return FALSE;
}

static gchar *
codec_list_string (const RrCodec * codecs, guint n)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "",
        rr_codec_name (codecs[i]));
  return g_string_free (s, FALSE);
}

static gboolean
restrict_media (GstSDPMedia * m, const RrCodec * allowed, guint n_allowed,
    const gchar * format_name, GError ** error)
{
  GArray *kept = g_array_new (FALSE, FALSE, sizeof (guint));
  GString *offered = g_string_new (NULL);
  guint n_formats = gst_sdp_media_formats_len (m);

  for (guint c = 0; c < n_allowed; c++) {
    for (guint f = 0; f < n_formats; f++) {
      guint pt;
      gchar *enc;

      if (!parse_pt (gst_sdp_media_get_format (m, f), &pt))
        continue;
      enc = encoding_of (m, pt, NULL);
      if (enc && rr_codec_from_encoding_name (enc) == allowed[c]
          && !pt_in (kept, pt))
        g_array_append_val (kept, pt);
      g_free (enc);
    }
  }
  for (guint f = 0; f < n_formats; f++) {
    guint pt;
    gchar *enc;
    gint apt;

    if (!parse_pt (gst_sdp_media_get_format (m, f), &pt))
      continue;
    enc = encoding_of (m, pt, NULL);
    if (enc && g_str_equal (enc, "RTX")) {
      apt = rtx_apt (m, pt);
      if (apt >= 0 && pt_in (kept, (guint) apt) && !pt_in (kept, pt))
        g_array_append_val (kept, pt);
    } else if (enc && !is_repair_format (enc) && !strstr (offered->str, enc)) {
      g_string_append_printf (offered, "%s%s", offered->len ? ", " : "", enc);
    }
    g_free (enc);
  }

  if (kept->len == 0) {
    gchar *allowed_str = codec_list_string (allowed, n_allowed);

    g_set_error (error, RR_SDP_ERROR, RR_SDP_ERROR_UNSUPPORTED,
        "none of the offered %s codecs (%s) can be recorded here; this room "
        "records %s as %s (set video_codecs/audio_codecs and format in the "
        "room config)", gst_sdp_media_get_media (m),
        offered->len ? offered->str : "none", allowed_str, format_name);
    g_free (allowed_str);
    g_string_free (offered, TRUE);
    g_array_unref (kept);
    return FALSE;
  }
  g_string_free (offered, TRUE);

  while (gst_sdp_media_formats_len (m) > 0)
    gst_sdp_media_remove_format (m, 0);
  for (guint i = 0; i < kept->len; i++) {
    gchar *s = g_strdup_printf ("%u", g_array_index (kept, guint, i));

    gst_sdp_media_add_format (m, s);
    g_free (s);
  }

  /* drop what described the removed formats */
  for (guint i = gst_sdp_media_attributes_len (m); i > 0; i--) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, i - 1);
    guint pt;

    if ((g_strcmp0 (a->key, "rtpmap") == 0 || g_strcmp0 (a->key, "fmtp") == 0
            || g_strcmp0 (a->key, "rtcp-fb") == 0)
        && parse_pt (a->value, &pt) && !pt_in (kept, pt))
      gst_sdp_media_remove_attribute (m, i - 1);
  }
  g_array_unref (kept);
  return TRUE;
}

gchar *
rr_sdp_restrict_codecs (const gchar * offer, const RrCodec * video,
    guint n_video, const RrCodec * audio, guint n_audio,
    const gchar * format_name, GError ** error)
{
  GstSDPMessage *msg = NULL;
  gchar *text = NULL;

  if (offer == NULL || strlen (offer) > MAX_SDP_BYTES
      || gst_sdp_message_new_from_text (offer, &msg) != GST_SDP_OK) {
    g_set_error (error, RR_SDP_ERROR, RR_SDP_ERROR_MALFORMED,
        "the offer is not a readable SDP");
    if (msg)
      gst_sdp_message_free (msg);
    return NULL;
  }

  for (guint i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    /* GstSDPMessage has no setter for a media in place */
    GstSDPMedia *m = (GstSDPMedia *) gst_sdp_message_get_media (msg, i);
    const gchar *kind = gst_sdp_media_get_media (m);
    const RrCodec *allowed = NULL;
    guint n_allowed = 0;

    if (g_strcmp0 (kind, "video") == 0) {
      allowed = video;
      n_allowed = n_video;
    } else if (g_strcmp0 (kind, "audio") == 0) {
      allowed = audio;
      n_allowed = n_audio;
    }
    if (n_allowed == 0)
      continue;
    if (gst_sdp_media_get_port (m) == 0
        && gst_sdp_media_get_attribute_val (m, "bundle-only") == NULL)
      continue;                 /* rejected by the offerer itself */
    if (!restrict_media (m, allowed, n_allowed, format_name, error))
      goto out;
  }
  text = gst_sdp_message_as_text (msg);

out:
  gst_sdp_message_free (msg);
  return text;
}

void
rr_rtp_sdp_stream_free (RrRtpSdpStream * s)
{
  if (!s)
    return;
  g_free (s->media);
  g_free (s->address);
  g_free (s->encoding_name);
  if (s->caps)
    gst_caps_unref (s->caps);
  g_free (s);
}

static const gchar *
connection_address (const GstSDPMessage * msg, const GstSDPMedia * m)
{
  const GstSDPConnection *c = NULL;

  if (gst_sdp_media_connections_len (m) > 0)
    c = gst_sdp_media_get_connection (m, 0);
  else
    c = gst_sdp_message_get_connection (msg);
  if (c == NULL || c->address == NULL || c->address[0] == '\0')
    return NULL;
  return c->address;
}

static gboolean
address_is_valid (const gchar * address)
{
  GInetAddress *a = g_inet_address_new_from_string (address);

  if (a == NULL)
    return FALSE;
  g_object_unref (a);
  return TRUE;
}

GPtrArray *
rr_rtp_sdp_parse (const gchar * sdp, GError ** error)
{
  GstSDPMessage *msg = NULL;
  GPtrArray *streams;

  if (sdp == NULL || strlen (sdp) > MAX_SDP_BYTES
      || gst_sdp_message_new_from_text (sdp, &msg) != GST_SDP_OK
      || g_strcmp0 (gst_sdp_message_get_version (msg), "0") != 0) {
    g_set_error (error, RR_SDP_ERROR, RR_SDP_ERROR_MALFORMED,
        "not a readable SDP (it must start with \"v=0\")");
    if (msg)
      gst_sdp_message_free (msg);
    return NULL;
  }

  streams = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rr_rtp_sdp_stream_free);
  for (guint i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (msg, i);
    const gchar *kind = gst_sdp_media_get_media (m);
    const gchar *proto = gst_sdp_media_get_proto (m);
    const gchar *address = connection_address (msg, m);
    guint port = gst_sdp_media_get_port (m), pt;
    gint clock_rate = 0;
    gchar *enc;
    RrRtpSdpStream *s;
    GstStructure *st;
    GstCaps *caps;

    if (g_strcmp0 (kind, "audio") != 0 && g_strcmp0 (kind, "video") != 0)
      continue;
    if (port == 0)
      continue;                 /* disabled m-line */
    if (g_strcmp0 (proto, "RTP/AVP") != 0 && g_strcmp0 (proto, "RTP/AVPF") != 0) {
      g_set_error (error, RR_SDP_ERROR, RR_SDP_ERROR_UNSUPPORTED,
          "m-line %u: protocol %s is not supported; send plain RTP "
          "(RTP/AVP or RTP/AVPF)", i + 1, proto ? proto : "(none)");
      goto fail;
    }
    if (port > 65535) {
      g_set_error (error, RR_SDP_ERROR, RR_SDP_ERROR_MALFORMED,
          "m-line %u: port %u is out of range", i + 1, port);
      goto fail;
    }
    if (address == NULL || !address_is_valid (address)) {
      g_set_error (error, RR_SDP_ERROR, RR_SDP_ERROR_MALFORMED,
          "m-line %u: no valid connection address (c=IN IP4 <address>)", i + 1);
      goto fail;
    }
    if (gst_sdp_media_formats_len (m) == 0
        || !parse_pt (gst_sdp_media_get_format (m, 0), &pt)) {
      g_set_error (error, RR_SDP_ERROR, RR_SDP_ERROR_MALFORMED,
          "m-line %u: no payload type", i + 1);
      goto fail;
    }
    enc = encoding_of (m, pt, &clock_rate);
    if (enc == NULL || clock_rate <= 0) {
      g_set_error (error, RR_SDP_ERROR, RR_SDP_ERROR_MALFORMED,
          "m-line %u: payload type %u has no a=rtpmap with a clock rate",
          i + 1, pt);
      g_free (enc);
      goto fail;
    }
    if (rr_codec_from_encoding_name (enc) == RR_CODEC_UNKNOWN) {
      g_set_error (error, RR_SDP_ERROR, RR_SDP_ERROR_UNSUPPORTED,
          "m-line %u: codec %s cannot be recorded (VP8, VP9, H264, H265, "
          "AV1, OPUS, PCMU, PCMA, MP4A-LATM, MPEG4-GENERIC can)", i + 1, enc);
      g_free (enc);
      goto fail;
    }

    caps = gst_sdp_media_get_caps_from_media (m, pt);
    if (caps == NULL) {
      caps = gst_caps_new_empty_simple ("application/x-rtp");
    } else {
      /* the fmtp parameters (sprop-parameter-sets, …) in the caps */
      gst_sdp_media_attributes_to_caps (m, caps);
      gst_caps_set_simple (caps, "media", G_TYPE_STRING, kind, NULL);
    }
    st = gst_caps_get_structure (caps, 0);
    gst_structure_set_name (st, "application/x-rtp");
    gst_structure_set (st, "media", G_TYPE_STRING, kind,
        "payload", G_TYPE_INT, (gint) pt,
        "clock-rate", G_TYPE_INT, clock_rate,
        "encoding-name", G_TYPE_STRING, enc, NULL);

    s = g_new0 (RrRtpSdpStream, 1);
    s->media = g_strdup (kind);
    s->address = g_strdup (address);
    s->port = port;
    s->payload = pt;
    s->encoding_name = enc;
    s->caps = caps;
    g_ptr_array_add (streams, s);
  }

  if (streams->len == 0) {
    g_set_error (error, RR_SDP_ERROR, RR_SDP_ERROR_UNSUPPORTED,
        "the SDP has no audio or video m-line to receive");
    goto fail;
  }
  gst_sdp_message_free (msg);
  return streams;

fail:
  gst_sdp_message_free (msg);
  g_ptr_array_unref (streams);
  return NULL;
}
