/* roomrec — protocol logic of a WHIP endpoint (RFC 9725)
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Plain C, no GStreamer elements and no HTTP library: everything the
 * launcher's HTTP layer has to decide about a WHIP request that does not
 * need a socket — the Bearer token, content types, the SDP offer check
 * (RFC 9725 §4.2, §4.4), the trickle ICE SDP fragments of PATCH requests
 * (RFC 8840, RFC 9725 §4.3), entity-tags, the ICE server Link header
 * (§4.6), the CORS header values and the session resource paths.
 *
 * Every parser here takes outside input: lengths are explicit, NUL bytes
 * and control characters are refused, and sizes and counts are bounded.
 * Errors are in the RR_WHIP_ERROR domain; rr_whip_error_http_status()
 * gives the HTTP status to answer with.
 */
#pragma once

#include <glib.h>
#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

#define RR_WHIP_ERROR (rr_whip_error_quark ())
GQuark rr_whip_error_quark (void);

typedef enum
{
  RR_WHIP_ERROR_MALFORMED,      /* 400 Bad Request */
  RR_WHIP_ERROR_TOO_LARGE,      /* 413 Content Too Large */
  RR_WHIP_ERROR_UNSUPPORTED,    /* 422 Unprocessable Content */
} RrWhipError;

/* The HTTP status for an error of the RR_WHIP_ERROR domain (400, 413 or
 * 422); 500 for any other error or NULL. */
guint rr_whip_error_http_status (const GError *error);

#define RR_WHIP_SDP_MIME "application/sdp"
#define RR_WHIP_SDPFRAG_MIME "application/trickle-ice-sdpfrag"

/* RTP header extensions the answer may need to negotiate */
#define RR_WHIP_EXT_TWCC \
  "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define RR_WHIP_EXT_ABS_SEND_TIME \
  "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define RR_WHIP_EXT_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define RR_WHIP_EXT_RID "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
#define RR_WHIP_EXT_REPAIRED_RID \
  "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"

/* Limits on what the parsers accept. */
#define RR_WHIP_MAX_LINE_LEN 4096       /* bytes of one SDP line */
#define RR_WHIP_MAX_MLINES 16   /* m= lines of an offer, rejected ones too */
#define RR_WHIP_MAX_RIDS 8      /* simulcast layers of one m= line */
#define RR_WHIP_MAX_ID_LEN 64   /* a=mid and rid values */
#define RR_WHIP_MAX_ICE_LEN 256 /* ice-ufrag, ice-pwd (RFC 8839 §5.4) */
#define RR_WHIP_MAX_TOKEN_LEN 4096      /* Bearer token */
#define RR_WHIP_SDPFRAG_MAX_LEN (64 * 1024)     /* a PATCH body */
#define RR_WHIP_SDPFRAG_MAX_CANDIDATES 256

/* ------------------------------------------------------------------ */
/* HTTP header helpers                                                 */

/* The token of an "Authorization: Bearer <token>" value (RFC 6750 §2.1):
 * the scheme is case-insensitive and followed by one or more spaces, the
 * token is token68 (letters, digits, "-._~+/", then "=" padding only),
 * surrounding blanks are ignored.  NULL when @authorization is NULL, of
 * another scheme, malformed or longer than RR_WHIP_MAX_TOKEN_LEN.
 * Free with g_free(). */
gchar *rr_whip_bearer_token (const gchar *authorization);

/* Compares two secrets without an early exit: the time taken depends only
 * on the length of @a (pass the presented token as @a, the configured one
 * as @b).  NULL or empty strings never equal anything. */
gboolean rr_whip_token_equal (const gchar *a, const gchar *b);

/* Whether the Content-Type value @content_type is the media type @mime
 * ("application/sdp"): type/subtype compared case-insensitively,
 * parameters (";charset=utf-8") and surrounding blanks ignored.  FALSE for
 * NULL. */
gboolean rr_whip_content_type_is (const gchar *content_type,
                                  const gchar *mime);

/* A new strong entity-tag for a session's ICE session, quoted as it goes
 * in the ETag header: '"' + 32 random hex digits + '"'.  Free with
 * g_free(). */
gchar *rr_whip_etag_new (void);

/* Whether the If-Match header value @if_match lets a PATCH go ahead on a
 * session whose current entity-tag is @etag (quoted, as sent in ETag; may be
 * NULL when the session has none): "*" matches, otherwise one of the
 * comma-separated entity-tags must equal @etag by the strong comparison
 * of RFC 9110 §8.8.3.2 (W/ weak tags never match).  A malformed or empty
 * value matches nothing (answer 412).
 *
 * A missing header (@if_match NULL) is TRUE: RFC 9725 §4.3.1 tells clients
 * to send If-Match with trickle PATCHes, but makes the entity-tag optional
 * for sessions that do not support ICE restarts (ours) and only requires
 * the session to compare a tag that was sent; browser WHIP libraries do
 * not all send it (docs: gstreamer-1.22-notes PART C). */
gboolean rr_whip_if_match_ok (const gchar *if_match, const gchar *etag);

/* Whether @url can be announced as an ICE server: a stun:, stuns:, turn:
 * or turns: URI (RFC 7064, RFC 7065) of printable ASCII without blanks,
 * quotes, "<", ">", ",", ";" or "\". */
gboolean rr_whip_ice_server_url_valid (const gchar *url);

/* The Link header value announcing @ice_server_urls (NULL-terminated) to
 * the client (RFC 9725 §4.6): `<stun:stun.example.net>; rel="ice-server"`
 * entries joined with ", ".  URLs that rr_whip_ice_server_url_valid()
 * refuses are left out.  NULL when no URL is left.  Free with g_free(). */
gchar *rr_whip_link_header (const gchar *const *ice_server_urls);

/* As rr_whip_link_header(), and turn:/turns: entries carry `username`,
 * `credential` and `credential-type="password"` when @username and
 * @credential are both non-NULL (quoted, '"' and '\' escaped; credentials
 * with control characters are left out). */
gchar *rr_whip_link_header_with_credentials (const gchar *const
                                             *ice_server_urls,
                                             const gchar *username,
                                             const gchar *credential);

/* CORS (RFC 9725 §4.2; browsers publish from other origins): the value of
 * Access-Control-Expose-Headers ("Location, ETag, Link, Accept-Post,
 * Accept-Patch, Access-Control-Allow-Methods") */
const gchar *rr_whip_cors_expose_headers (void);
/* the value of Access-Control-Allow-Headers for a preflight
 * ("Authorization, Content-Type, If-Match") */
const gchar *rr_whip_cors_allow_headers (void);
/* Allow / Access-Control-Allow-Methods of the endpoint: "POST, OPTIONS" */
const gchar *rr_whip_allowed_methods_endpoint (void);
/* ... and of a session: "PATCH, DELETE, OPTIONS" */
const gchar *rr_whip_allowed_methods_session (void);

/* ------------------------------------------------------------------ */
/* Resource paths                                                      */

/* Where a request for @request_path goes, for an endpoint at
 * @endpoint_path ("/whip/room1"; a trailing "/" is ignored):
 * - the endpoint itself: TRUE, *session_id = NULL;
 * - "<endpoint_path>/<id>" where id is 1 to 64 of [A-Za-z0-9_-]: TRUE,
 *   *session_id = id (free with g_free());
 * - anything else ("..", "%2e", "//", a query, a longer path): FALSE.
 * @request_path is the path as received, not percent-decoded. */
gboolean rr_whip_parse_session_path (const gchar *endpoint_path,
                                     const gchar *request_path,
                                     gchar **session_id);

/* A new unguessable session id (RFC 9725 §5: hard-to-guess session URLs):
 * 128 bits from the system's random source, 22 characters of
 * [A-Za-z0-9_-].  Free with g_free(). */
gchar *rr_whip_session_id_new (void);

/* ------------------------------------------------------------------ */
/* The SDP offer of a POST                                             */

typedef enum
{
  RR_WHIP_KIND_AUDIO,
  RR_WHIP_KIND_VIDEO,
} RrWhipKind;

/* One codec offered on an m= line (retransmission and redundancy formats —
 * rtx, red, ulpfec, flexfec — and the audio helpers CN and
 * telephone-event are left out). */
typedef struct
{
  guint pt;                     /* payload type, 0-127 */
  gchar *encoding_name;         /* upper case: "VP8", "H264", "OPUS" */
  guint clock_rate;
  guint channels;               /* from rtpmap, 0 when not given */
  gchar *fmtp;                  /* a=fmtp parameters, NULL when none */
  /* a=rtcp-fb for this payload type (or "*") */
  gboolean nack;
  gboolean nack_pli;
  gboolean ccm_fir;
  gboolean transport_cc;
  gboolean goog_remb;
} RrWhipCodec;

/* One simulcast layer the client will send (RFC 8851, RFC 8853). */
typedef struct
{
  gchar *rid;
  gboolean paused;              /* "~" in a=simulcast: not sent at first */
  guint stream;                 /* position in a=simulcast (";"-separated);
                                 * alternatives (",") share it */
  /* a=rid restrictions, 0 when absent */
  guint max_width;
  guint max_height;
  guint max_fps;
  guint max_br;
} RrWhipRid;

/* One m= line that sends media. */
typedef struct
{
  guint mline;                  /* index of the m= line in the offer */
  RrWhipKind kind;
  gchar *mid;
  gboolean sendrecv;            /* FALSE: sendonly */
  gchar *ice_ufrag;             /* media level, else session level */
  gchar *ice_pwd;
  gchar *setup;                 /* "actpass", "active" or "passive" */
  gchar *fingerprint;           /* "sha-256 AB:CD:..." */

  RrWhipCodec *codecs;          /* in m= line order */
  guint n_codecs;

  /* simulcast: in a=simulcast order when the line has one, else in a=rid
   * order (send direction only); empty without simulcast */
  RrWhipRid *rids;
  guint n_rids;

  /* bandwidth estimation feedback offered: */
  gboolean transport_cc;        /* a=rtcp-fb ... transport-cc on any codec */
  gboolean goog_remb;           /* a=rtcp-fb ... goog-remb on any codec */
  /* a=extmap ids (1-255), 0 when not offered */
  guint twcc_ext_id;            /* RR_WHIP_EXT_TWCC */
  guint abs_send_time_ext_id;   /* RR_WHIP_EXT_ABS_SEND_TIME */
  guint mid_ext_id;             /* RR_WHIP_EXT_MID */
  guint rid_ext_id;             /* RR_WHIP_EXT_RID */
  guint repaired_rid_ext_id;    /* RR_WHIP_EXT_REPAIRED_RID */
} RrWhipMedia;

typedef struct
{
  GstSDPMessage *sdp;           /* the parsed offer (owned) */
  guint n_mlines;               /* all m= lines, rejected ones too */
  guint n_audio;                /* 0 or 1 */
  guint n_video;                /* 0 or 1 */
  RrWhipMedia *media;           /* the n_audio + n_video sending m= lines,
                                 * in offer order */
  guint n_media;
  gboolean trickle;             /* a=ice-options:trickle */
} RrWhipOffer;

/* Checks the SDP offer of a WHIP POST (@sdp, @len bytes, need not be
 * NUL-terminated) and returns what the answer needs, or NULL with @error
 * set and *@http_status (if non-NULL) the status to answer with:
 * - 413 when @len > @max_len;
 * - 400 when it is not a well-formed WebRTC offer: it must start with
 *   "v=0", be UTF-8 without NUL bytes or control characters, have lines
 *   of "<letter>=<value>" (CRLF or LF) of at most RR_WHIP_MAX_LINE_LEN
 *   bytes, well-formed m= lines, and every sending m= line needs a=mid,
 *   ICE credentials, a DTLS fingerprint and a setup role (session or media
 *   level);
 * - 422 when it is well-formed but not something a WHIP session takes: no
 *   m= line, more than RR_WHIP_MAX_MLINES, media other than audio and video
 *   (a data channel), more than one audio or one video m= line, a proto
 *   other than UDP/TLS/RTP/SAVPF (or .../SAVP), an m= line that does not
 *   send (recvonly, inactive), no recordable codec, too many simulcast
 *   layers.
 * An m= line with port 0 and no a=bundle-only is rejected by the client
 * and ignored here.  *@http_status is 0 on success.  Free with
 * rr_whip_offer_free(). */
RrWhipOffer *rr_whip_offer_parse (const gchar *sdp, gsize len,
                                  gsize max_len, guint *http_status,
                                  GError **error);
void rr_whip_offer_free (RrWhipOffer *offer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RrWhipOffer, rr_whip_offer_free)

/* The sending m= line of @kind, or NULL. */
const RrWhipMedia *rr_whip_offer_get_media (const RrWhipOffer *offer,
                                            RrWhipKind kind);

/* Whether any m= line offers @encoding_name (case-insensitive). */
gboolean rr_whip_offer_has_codec (const RrWhipOffer *offer,
                                  const gchar *encoding_name);

/* The simulcast layer to record on @media: the highest one, or NULL when
 * the line has no simulcast.  Layers sent from the start are preferred
 * over paused ("~") ones.  Among those:
 * 1. when any layer has a=rid max-width/max-height, the largest area (a
 *    layer without a restriction counts as unbounded);
 * 2. then by naming convention when every rid of the line fits one:
 *    q < h < f, l < m < h, low < mid/medium < high,
 *    quarter < half < full (case-insensitive), all-numeric rids ("0",
 *    "1", "2") or one prefix plus a number ("r0", "r1") by the number;
 * 3. then the layer listed last (libwebrtc lists encodings low to high).
 */
const gchar *rr_whip_media_highest_rid (const RrWhipMedia *media);

/* rr_whip_media_highest_rid() of the video m= line; NULL without video or
 * without simulcast. */
const gchar *rr_whip_offer_highest_rid (const RrWhipOffer *offer);

/* ------------------------------------------------------------------ */
/* Trickle ICE: the body of a PATCH (RFC 8840 application/trickle-ice-sdpfrag)
 */

typedef struct
{
  gchar *candidate;             /* "candidate:..." (the text after "a=") */
  gchar *mid;                   /* a=mid of its m= section; NULL if none */
  gint mline;                   /* index of its m= section in the fragment;
                                 * -1 for a candidate before any m= line */
  gchar *ufrag;                 /* its "ufrag" extension, NULL if none */
} RrWhipCandidate;

typedef struct
{
  gchar *ice_ufrag;             /* session level, else from an m= section; */
  gchar *ice_pwd;               /* NULL when the fragment has none */
  gchar **bundle_mids;          /* a=group:BUNDLE, NULL-terminated; NULL
                                 * when absent */
  guint n_mlines;
  RrWhipCandidate *candidates;  /* in fragment order */
  guint n_candidates;
  gboolean end_of_candidates;
} RrWhipSdpFrag;

/* Parses a trickle ICE SDP fragment (@body, @len bytes, need not be
 * NUL-terminated; CRLF or LF lines): session-level a=ice-ufrag/ice-pwd
 * (also accepted under an m= line; conflicting values are an error),
 * a=group:BUNDLE, m= lines with a=mid, any number of a=candidate lines
 * (up to RR_WHIP_SDPFRAG_MAX_CANDIDATES) and a=end-of-candidates; other
 * attributes and c=/b=/i= lines are ignored.  Errors
 * (rr_whip_error_http_status()): empty, NUL bytes, control characters,
 * lines that are not "<letter>=<value>", v=/o=/s=/t= lines (a whole SDP is
 * not a fragment), malformed candidates or ICE credentials → 400; larger
 * than RR_WHIP_SDPFRAG_MAX_LEN or too many candidates → 413.
 * Free with rr_whip_sdpfrag_free(). */
RrWhipSdpFrag *rr_whip_sdpfrag_parse (const gchar *body, gsize len,
                                      GError **error);
void rr_whip_sdpfrag_free (RrWhipSdpFrag *frag);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RrWhipSdpFrag, rr_whip_sdpfrag_free)

typedef enum
{
  RR_WHIP_PATCH_TRICKLE,        /* new candidates: 204 */
  RR_WHIP_PATCH_ICE_RESTART,    /* new ufrag+pwd: 422 unless supported */
  RR_WHIP_PATCH_INVALID,        /* inconsistent credentials: 400 */
} RrWhipPatchKind;

/* What a PATCH fragment asks for, given the client's current ICE
 * credentials (from the offer; NULL when unknown):
 * - TRICKLE: the fragment has no credentials, or the session's;
 * - ICE_RESTART: it has both a=ice-ufrag and a=ice-pwd and the ufrag is
 *   new (RFC 8839 §4.4.1.1.1);
 * - INVALID: NULL @frag, a new ufrag without a password, a new password
 *   with the old ufrag, or a candidate whose "ufrag" extension is not the
 *   ufrag of the ICE session it would go to. */
RrWhipPatchKind rr_whip_patch_kind (const RrWhipSdpFrag *frag,
                                    const gchar *session_ufrag,
                                    const gchar *session_pwd);

G_END_DECLS
