/* roomrec — SDP handling of the launcher's inputs
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two jobs, both on outside input (fuzzed): restricting the codecs of a
 * WebRTC offer to what the room's container can hold (so that a sender
 * never picks a codec the recorder would refuse), and turning the SDP of a
 * plain RTP sender (Janus rtp_forward, mediasoup PlainTransport, ffmpeg,
 * GStreamer) into the udpsrc ports and RTP caps to receive it with.
 */
#pragma once

#include <gst/gst.h>

#include "codecs.h"

G_BEGIN_DECLS

#define RR_SDP_ERROR (rr_sdp_error_quark ())
GQuark rr_sdp_error_quark (void);

typedef enum
{
  RR_SDP_ERROR_MALFORMED,       /* not SDP we can read */
  RR_SDP_ERROR_UNSUPPORTED,     /* readable, but nothing we can record */
} RrSdpError;

/* Rewrites @offer so that each audio/video m-line keeps only the codecs in
 * the allowed list of its kind, in the list's order of preference (their
 * RTX formats stay; RED/FEC go).  A kind with an empty list is left as it
 * is (the launcher receives it without recording it).  An m-line left with
 * no codec is an RR_SDP_ERROR_UNSUPPORTED error naming what was offered
 * and what is allowed. */
gchar *rr_sdp_restrict_codecs (const gchar * offer,
    const RrCodec * video, guint n_video, const RrCodec * audio,
    guint n_audio, const gchar * format_name, GError ** error);

typedef struct
{
  gchar *media;                 /* "audio" or "video" */
  gchar *address;               /* c= address: where to listen */
  guint port;                   /* RTP port */
  guint payload;
  gchar *encoding_name;         /* upper case */
  GstCaps *caps;                /* application/x-rtp for rtparchivesink */
} RrRtpSdpStream;

/* The streams of a plain RTP/AVP SDP, one per m-line (its first payload
 * type).  Refuses SRTP (RTP/SAVP), ports out of range, m-lines without a
 * connection address or a clock rate. */
GPtrArray *rr_rtp_sdp_parse (const gchar * sdp, GError ** error);
void rr_rtp_sdp_stream_free (RrRtpSdpStream * stream);

G_END_DECLS
