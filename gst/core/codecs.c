/* roomrec — codecs, containers and which pairs work
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "codecs.h"

#include <string.h>

RrCodec
rr_codec_from_caps (const GstCaps * caps)
{
  const GstStructure *s;
  const gchar *name;

  if (caps == NULL || gst_caps_get_size (caps) == 0)
    return RR_CODEC_UNKNOWN;
  s = gst_caps_get_structure (caps, 0);
  name = gst_structure_get_name (s);

  if (g_str_equal (name, "video/x-h264"))
    return RR_CODEC_H264;
  if (g_str_equal (name, "video/x-h265"))
    return RR_CODEC_H265;
  if (g_str_equal (name, "video/x-vp8"))
    return RR_CODEC_VP8;
  if (g_str_equal (name, "video/x-vp9"))
    return RR_CODEC_VP9;
  if (g_str_equal (name, "video/x-av1"))
    return RR_CODEC_AV1;
  if (g_str_equal (name, "audio/x-opus"))
    return RR_CODEC_OPUS;
  if (g_str_equal (name, "audio/x-mulaw"))
    return RR_CODEC_PCMU;
  if (g_str_equal (name, "audio/x-alaw"))
    return RR_CODEC_PCMA;
  if (g_str_equal (name, "audio/mpeg")) {
    gint version = 0;
    if (gst_structure_get_int (s, "mpegversion", &version)) {
      if (version == 2 || version == 4)
        return RR_CODEC_AAC;
    } else if (gst_structure_has_field (s, "mpegversion")) {
      return RR_CODEC_AAC;      /* unfixed caps, e.g. a pad template */
    }
  }
  return RR_CODEC_UNKNOWN;
}

RrCodec
rr_codec_from_encoding_name (const gchar * encoding_name)
{
  static const struct
  {
    const gchar *name;
    RrCodec codec;
  } map[] = {
    {"H264", RR_CODEC_H264}, {"H265", RR_CODEC_H265}, {"VP8", RR_CODEC_VP8},
    {"VP9", RR_CODEC_VP9}, {"AV1", RR_CODEC_AV1}, {"OPUS", RR_CODEC_OPUS},
    {"PCMU", RR_CODEC_PCMU}, {"PCMA", RR_CODEC_PCMA},
    {"MP4A-LATM", RR_CODEC_AAC}, {"MPEG4-GENERIC", RR_CODEC_AAC},
  };

  if (encoding_name == NULL)
    return RR_CODEC_UNKNOWN;
  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (g_ascii_strcasecmp (encoding_name, map[i].name) == 0)
      return map[i].codec;
  return RR_CODEC_UNKNOWN;
}

gboolean
rr_codec_is_video (RrCodec codec)
{
  return codec == RR_CODEC_H264 || codec == RR_CODEC_H265
      || codec == RR_CODEC_VP8 || codec == RR_CODEC_VP9
      || codec == RR_CODEC_AV1;
}

const gchar *
rr_codec_name (RrCodec codec)
{
  switch (codec) {
    case RR_CODEC_H264:
      return "H264";
    case RR_CODEC_H265:
      return "H265";
    case RR_CODEC_VP8:
      return "VP8";
    case RR_CODEC_VP9:
      return "VP9";
    case RR_CODEC_AV1:
      return "AV1";
    case RR_CODEC_OPUS:
      return "OPUS";
    case RR_CODEC_AAC:
      return "AAC";
    case RR_CODEC_PCMU:
      return "PCMU";
    case RR_CODEC_PCMA:
      return "PCMA";
    case RR_CODEC_UNKNOWN:
      break;
  }
  return "unknown";
}

const gchar *
rr_format_name (RrFormat format)
{
  switch (format) {
    case RR_FORMAT_MP4:
      return "mp4";
    case RR_FORMAT_WEBM:
      return "webm";
    case RR_FORMAT_MKV:
      return "mkv";
    case RR_FORMAT_HLS:
      return "hls";
    case RR_FORMAT_OGG:
      return "ogg";
  }
  return "unknown";
}

gboolean
rr_format_from_string (const gchar * name, RrFormat * format)
{
  for (RrFormat f = RR_FORMAT_MP4; f <= RR_FORMAT_OGG; f++) {
    if (g_strcmp0 (name, rr_format_name (f)) == 0) {
      *format = f;
      return TRUE;
    }
  }
  return FALSE;
}

const gchar *
rr_format_extension (RrFormat format, gboolean has_video)
{
  switch (format) {
    case RR_FORMAT_MP4:
      return has_video ? "mp4" : "m4a";
    case RR_FORMAT_WEBM:
      return "webm";
    case RR_FORMAT_MKV:
      return has_video ? "mkv" : "mka";
    case RR_FORMAT_HLS:
      return "ts";
    case RR_FORMAT_OGG:
      return "ogg";
  }
  return "bin";
}

const gchar *
rr_format_muxer_factory (RrFormat format)
{
  switch (format) {
    case RR_FORMAT_MP4:
      return "mp4mux";
    case RR_FORMAT_WEBM:
      return "webmmux";
    case RR_FORMAT_MKV:
      return "matroskamux";
    case RR_FORMAT_HLS:
      return "mpegtsmux";
    case RR_FORMAT_OGG:
      return "oggmux";
  }
  return NULL;
}

static gboolean
plugin_older_than (const gchar * feature, guint major, guint minor, guint micro)
{
  GstPluginFeature *f;
  gboolean older;

  f = gst_registry_lookup_feature (gst_registry_get (), feature);
  if (f == NULL)
    return FALSE;
  older = !gst_plugin_feature_check_version (f, major, minor, micro);
  gst_object_unref (f);
  return older;
}

gboolean
rr_mp4mux_writes_le_dops (void)
{
  /* upstream fix: "qtmux: fix byte order for opus extension", 1.22.4 */
  return plugin_older_than ("mp4mux", 1, 22, 4);
}

gboolean
rr_mp4mux_writes_empty_av1c (void)
{
  /* upstream fix: "qtmux: Implement writing of av1C version 1 box", 1.22.1 */
  return plugin_older_than ("mp4mux", 1, 22, 1);
}

gboolean
rr_mp4mux_needs_vp9_chroma_site (void)
{
  /* 1.22.0's mp4mux crashes (strcmp on NULL) on VP9 caps without
   * chroma-site, which vp9parse leaves out for depayloaded streams; fixed
   * upstream in the 1.22 series.  Adding the field is harmless, so it is
   * done on everything older than 1.24. */
  return plugin_older_than ("mp4mux", 1, 24, 0);
}

gboolean
rr_format_accepts (RrFormat format, RrCodec codec, gchar ** reason)
{
  const gchar *why = NULL;
  gboolean ok = FALSE;

  switch (format) {
    case RR_FORMAT_MP4:
      switch (codec) {
        case RR_CODEC_H264:
        case RR_CODEC_H265:
        case RR_CODEC_VP9:
        case RR_CODEC_OPUS:    /* dOps repaired after the file is closed */
        case RR_CODEC_AAC:
          ok = TRUE;
          break;
        case RR_CODEC_AV1:
          ok = !rr_mp4mux_writes_empty_av1c ();
          if (!ok)
            why = "the installed mp4mux (older than GStreamer 1.22.1) "
                "writes an empty av1C box that players reject; "
                "use format webm or mkv";
          break;
        case RR_CODEC_VP8:
          why = "MP4 has no VP8 mapping; use format webm or mkv";
          break;
        default:
          why = "use format mkv";
          break;
      }
      break;
    case RR_FORMAT_WEBM:
      ok = codec == RR_CODEC_VP8 || codec == RR_CODEC_VP9
          || codec == RR_CODEC_AV1 || codec == RR_CODEC_OPUS;
      if (!ok)
        why = "WebM holds only VP8, VP9, AV1 and Opus; use format mp4 or "
            "mkv";
      break;
    case RR_FORMAT_MKV:
      ok = codec != RR_CODEC_UNKNOWN;
      break;
    case RR_FORMAT_HLS:
      ok = codec == RR_CODEC_H264 || codec == RR_CODEC_H265
          || codec == RR_CODEC_AAC;
      if (!ok)
        why = "HLS (MPEG-TS) recordings take H.264, H.265 and AAC; "
            "Opus, VP8, VP9 and AV1 in TS do not play in HLS players; "
            "use format mp4, webm or mkv";
      break;
    case RR_FORMAT_OGG:
      ok = codec == RR_CODEC_OPUS;
      if (!ok)
        why = "Ogg recordings are audio-only Opus; use format webm or mkv";
      break;
  }

  if (!ok && reason) {
    *reason = g_strdup_printf ("%s cannot be recorded in %s: %s",
        rr_codec_name (codec), rr_format_name (format),
        why ? why : "unsupported codec");
  }
  return ok;
}

gboolean
rr_format_takes_caps_changes (RrFormat format, RrCodec codec)
{
  switch (format) {
    case RR_FORMAT_HLS:        /* MPEG-TS: parameters travel in-band */
      return TRUE;
    case RR_FORMAT_MKV:        /* avc3/hev1: SPS/PPS in-band */
      if (codec == RR_CODEC_H264 || codec == RR_CODEC_H265)
        return TRUE;
      /* fall through */
    case RR_FORMAT_WEBM:
      return codec == RR_CODEC_VP8 || codec == RR_CODEC_VP9;
    default:
      return FALSE;
  }
}

GstCaps *
rr_format_parser_caps (RrFormat format, RrCodec codec)
{
  switch (codec) {
    case RR_CODEC_H264:
      if (format == RR_FORMAT_MKV)      /* avc3: SPS/PPS may change */
        return gst_caps_from_string ("video/x-h264, stream-format=avc3, "
            "alignment=au");
      if (format == RR_FORMAT_HLS)
        return gst_caps_from_string ("video/x-h264, "
            "stream-format=byte-stream, alignment=au");
      return gst_caps_from_string ("video/x-h264, stream-format=avc, "
          "alignment=au");
    case RR_CODEC_H265:
      if (format == RR_FORMAT_MKV)
        return gst_caps_from_string ("video/x-h265, stream-format=hev1, "
            "alignment=au");
      if (format == RR_FORMAT_HLS)
        return gst_caps_from_string ("video/x-h265, "
            "stream-format=byte-stream, alignment=au");
      return gst_caps_from_string ("video/x-h265, stream-format=hvc1, "
          "alignment=au");
    case RR_CODEC_AV1:
      return gst_caps_from_string ("video/x-av1, stream-format=obu-stream, "
          "alignment=tu");
    case RR_CODEC_AAC:
      if (format == RR_FORMAT_HLS)
        return gst_caps_from_string ("audio/mpeg, stream-format=adts");
      return gst_caps_from_string ("audio/mpeg, stream-format=raw");
    default:
      return NULL;
  }
}

const gchar *
rr_codec_parser_factory (RrCodec codec)
{
  switch (codec) {
    case RR_CODEC_H264:
      return "h264parse";
    case RR_CODEC_H265:
      return "h265parse";
    case RR_CODEC_VP9:
      return "vp9parse";
    case RR_CODEC_AV1:
      return "av1parse";
    case RR_CODEC_OPUS:        /* adds rate=48000 that browsers leave out */
      return "opusparse";
    case RR_CODEC_AAC:
      return "aacparse";
    default:
      return NULL;
  }
}
