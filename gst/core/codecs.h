/* roomrec — codecs, containers and which pairs work
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum
{
  RR_FORMAT_MP4,
  RR_FORMAT_WEBM,
  RR_FORMAT_MKV,
  RR_FORMAT_HLS,
  RR_FORMAT_OGG,
} RrFormat;

typedef enum
{
  RR_CODEC_UNKNOWN,
  RR_CODEC_H264,
  RR_CODEC_H265,
  RR_CODEC_VP8,
  RR_CODEC_VP9,
  RR_CODEC_AV1,
  RR_CODEC_OPUS,
  RR_CODEC_AAC,
  RR_CODEC_PCMU,
  RR_CODEC_PCMA,
} RrCodec;

RrCodec rr_codec_from_caps (const GstCaps *caps);
RrCodec rr_codec_from_encoding_name (const gchar *encoding_name);
gboolean rr_codec_is_video (RrCodec codec);
/* Sora's *_codec_type names: "H264", "VP9", "OPUS", … */
const gchar *rr_codec_name (RrCodec codec);
const gchar *rr_format_name (RrFormat format);
gboolean rr_format_from_string (const gchar *name, RrFormat *format);
/* File extension of a recording: audio-only MP4 is .m4a, MKV .mka */
const gchar *rr_format_extension (RrFormat format, gboolean has_video);
const gchar *rr_format_muxer_factory (RrFormat format);

/* Whether @codec can be stored in @format with the GStreamer found at run
 * time; if not, *reason says why and what to use instead. */
gboolean rr_format_accepts (RrFormat format, RrCodec codec, gchar **reason);

/* Whether the muxer of @format takes a mid-stream caps change of @codec
 * (resolution, codec data) inside one file.  When it does not, the
 * recorder starts a new file: 1.22's matroskamux refuses AV1/Opus changes
 * and mp4mux writes several sample descriptions that players reject. */
gboolean rr_format_takes_caps_changes (RrFormat format, RrCodec codec);

/* Caps the muxer wants for @codec in @format (e.g. H.264 avc3 in Matroska
 * so that resolution changes work), or NULL for "as the parser gives". */
GstCaps *rr_format_parser_caps (RrFormat format, RrCodec codec);
/* The parser to put in front of the muxer, or NULL. */
const gchar *rr_codec_parser_factory (RrCodec codec);

/* True when the installed mp4mux has a bug we must work around:
 * Opus dOps written little-endian (< 1.22.4), empty av1C (< 1.22.1). */
gboolean rr_mp4mux_writes_le_dops (void);
gboolean rr_mp4mux_writes_empty_av1c (void);
/* Whether VP9 caps need a chroma-site field before mp4mux (1.22.0 crashes
 * without one). */
gboolean rr_mp4mux_needs_vp9_chroma_site (void);

G_END_DECLS
