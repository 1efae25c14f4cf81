/* Unit tests for the WHIP endpoint protocol logic. */
#include "whip.h"

#include <string.h>

#define FP "sha-256 6B:1D:E0:93:4F:2A:77:C8:05:B9:3E:D1:8C:62:F4:0A:" \
  "95:2E:C7:13:6D:B8:41:FA:0E:57:A3:9C:24:D6:7B:E8"

/* What Chromium 13x offers for a camera and a microphone (transceivers
 * with direction sendonly), every codec it has: Opus, RED, G.722, G.711,
 * CN, DTMF; VP8, VP9 (two profiles), AV1, H.264 (several profiles), H.265,
 * each with RTX, plus RED and ULPFEC. */
static const gchar chrome_offer[] =
    "v=0\n"
    "o=- 6021453887192304155 2 IN IP4 127.0.0.1\n"
    "s=-\n"
    "t=0 0\n"
    "a=group:BUNDLE 0 1\n"
    "a=extmap-allow-mixed\n"
    "a=msid-semantic: WMS 1b0e6c3c-9f4d-4e35-a0d8-7a1f2b3c4d5e\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\n"
    "c=IN IP4 0.0.0.0\n"
    "a=rtcp:9 IN IP4 0.0.0.0\n"
    "a=ice-ufrag:Ty7u\n"
    "a=ice-pwd:c5Xw+3kq1pNV0yHbZ9LmRs2e\n"
    "a=ice-options:trickle\n"
    "a=fingerprint:" FP "\n"
    "a=setup:actpass\n"
    "a=mid:0\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\n"
    "a=extmap:3 http://www.ietf.org/id/"
    "draft-holmer-rmcat-transport-wide-cc-extensions-01\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\n"
    "a=sendonly\n"
    "a=msid:1b0e6c3c-9f4d-4e35-a0d8-7a1f2b3c4d5e "
    "aa01bb02-cc03-4d04-8e05-f0a1b2c3d4e5\n"
    "a=rtcp-mux\n"
    "a=rtcp-rsize\n"
    "a=rtpmap:111 opus/48000/2\n"
    "a=rtcp-fb:111 transport-cc\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\n"
    "a=rtpmap:63 red/48000/2\n"
    "a=fmtp:63 111/111\n"
    "a=rtpmap:9 G722/8000\n"
    "a=rtpmap:0 PCMU/8000\n"
    "a=rtpmap:8 PCMA/8000\n"
    "a=rtpmap:13 CN/8000\n"
    "a=rtpmap:110 telephone-event/48000\n"
    "a=rtpmap:126 telephone-event/8000\n"
    "a=ssrc:3405691582 cname:q2Zk9yQb1LxV0aPc\n"
    "a=ssrc:3405691582 msid:1b0e6c3c-9f4d-4e35-a0d8-7a1f2b3c4d5e "
    "aa01bb02-cc03-4d04-8e05-f0a1b2c3d4e5\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 45 46 102 103 104 105 "
    "106 107 127 125 49 50 112 113 114\n"
    "c=IN IP4 0.0.0.0\n"
    "a=rtcp:9 IN IP4 0.0.0.0\n"
    "a=ice-ufrag:Ty7u\n"
    "a=ice-pwd:c5Xw+3kq1pNV0yHbZ9LmRs2e\n"
    "a=ice-options:trickle\n"
    "a=fingerprint:" FP "\n"
    "a=setup:actpass\n"
    "a=mid:1\n"
    "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\n"
    "a=extmap:13 urn:3gpp:video-orientation\n"
    "a=extmap:3 http://www.ietf.org/id/"
    "draft-holmer-rmcat-transport-wide-cc-extensions-01\n"
    "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\n"
    "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\n"
    "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\n"
    "a=sendonly\n"
    "a=msid:1b0e6c3c-9f4d-4e35-a0d8-7a1f2b3c4d5e "
    "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a\n"
    "a=rtcp-mux\n"
    "a=rtcp-rsize\n"
    "a=rtpmap:96 VP8/90000\n"
    "a=rtcp-fb:96 goog-remb\n"
    "a=rtcp-fb:96 transport-cc\n"
    "a=rtcp-fb:96 ccm fir\n"
    "a=rtcp-fb:96 nack\n"
    "a=rtcp-fb:96 nack pli\n"
    "a=rtpmap:97 rtx/90000\n"
    "a=fmtp:97 apt=96\n"
    "a=rtpmap:98 VP9/90000\n"
    "a=rtcp-fb:98 goog-remb\n"
    "a=rtcp-fb:98 transport-cc\n"
    "a=rtcp-fb:98 ccm fir\n"
    "a=rtcp-fb:98 nack\n"
    "a=rtcp-fb:98 nack pli\n"
    "a=fmtp:98 profile-id=0\n"
    "a=rtpmap:99 rtx/90000\n"
    "a=fmtp:99 apt=98\n"
    "a=rtpmap:100 VP9/90000\n"
    "a=rtcp-fb:100 transport-cc\n"
    "a=rtcp-fb:100 nack pli\n"
    "a=fmtp:100 profile-id=2\n"
    "a=rtpmap:101 rtx/90000\n"
    "a=fmtp:101 apt=100\n"
    "a=rtpmap:45 AV1/90000\n"
    "a=rtcp-fb:45 transport-cc\n"
    "a=rtcp-fb:45 nack pli\n"
    "a=fmtp:45 level-idx=5;profile=0;tier=0\n"
    "a=rtpmap:46 rtx/90000\n"
    "a=fmtp:46 apt=45\n"
    "a=rtpmap:102 H264/90000\n"
    "a=rtcp-fb:102 transport-cc\n"
    "a=rtcp-fb:102 nack pli\n"
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;"
    "profile-level-id=42001f\n"
    "a=rtpmap:103 rtx/90000\n"
    "a=fmtp:103 apt=102\n"
    "a=rtpmap:104 H264/90000\n"
    "a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;"
    "profile-level-id=42001f\n"
    "a=rtpmap:105 rtx/90000\n"
    "a=fmtp:105 apt=104\n"
    "a=rtpmap:106 H264/90000\n"
    "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;"
    "profile-level-id=42e01f\n"
    "a=rtpmap:107 rtx/90000\n"
    "a=fmtp:107 apt=106\n"
    "a=rtpmap:127 H264/90000\n"
    "a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;"
    "profile-level-id=4d001f\n"
    "a=rtpmap:125 rtx/90000\n"
    "a=fmtp:125 apt=127\n"
    "a=rtpmap:49 H265/90000\n"
    "a=rtcp-fb:49 transport-cc\n"
    "a=fmtp:49 level-id=93;profile-id=1;tier-flag=0;tx-mode=SRST\n"
    "a=rtpmap:50 rtx/90000\n"
    "a=fmtp:50 apt=49\n"
    "a=rtpmap:112 red/90000\n"
    "a=rtpmap:113 rtx/90000\n"
    "a=fmtp:113 apt=112\n"
    "a=rtpmap:114 ulpfec/90000\n"
    "a=ssrc-group:FID 2882400001 2882400002\n"
    "a=ssrc:2882400001 cname:q2Zk9yQb1LxV0aPc\n"
    "a=ssrc:2882400002 cname:q2Zk9yQb1LxV0aPc\n";

/* What OBS 30 (libdatachannel) offers: ICE credentials, fingerprint and
 * setup at session level, one codec per track, REMB only. */
static const gchar obs_offer[] =
    "v=0\n"
    "o=rtc 3161543425 0 IN IP4 127.0.0.1\n"
    "s=-\n"
    "t=0 0\n"
    "a=group:BUNDLE 0 1\n"
    "a=group:LS 0 1\n"
    "a=msid-semantic:WMS *\n"
    "a=setup:actpass\n"
    "a=ice-ufrag:R2nV\n"
    "a=ice-pwd:8Jd0Qw3p5Lx1zS7tY9uB2c\n"
    "a=ice-options:ice2,trickle\n"
    "a=fingerprint:" FP "\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\n"
    "c=IN IP4 0.0.0.0\n"
    "a=mid:0\n"
    "a=sendonly\n"
    "a=ssrc:1048576 cname:obs\n"
    "a=msid:obs-stream obs-audio\n"
    "a=rtcp-mux\n"
    "a=rtpmap:111 opus/48000/2\n"
    "a=fmtp:111 minptime=10;maxaveragebitrate=96000;stereo=1;"
    "sprop-stereo=1;useinbandfec=1\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\n"
    "c=IN IP4 0.0.0.0\n"
    "a=mid:1\n"
    "a=sendonly\n"
    "a=ssrc:1048577 cname:obs\n"
    "a=msid:obs-stream obs-video\n"
    "a=rtcp-mux\n"
    "a=rtpmap:96 H264/90000\n"
    "a=rtcp-fb:96 nack\n"
    "a=rtcp-fb:96 nack pli\n"
    "a=rtcp-fb:96 goog-remb\n"
    "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1;"
    "level-asymmetry-allowed=1\n";

/* Chromium with sendEncodings [{rid: "q"}, {rid: "h"}, {rid: "f"}]:
 * video only. */
static const gchar simulcast_offer[] =
    "v=0\n"
    "o=- 1717171717171717171 2 IN IP4 127.0.0.1\n"
    "s=-\n"
    "t=0 0\n"
    "a=group:BUNDLE 0\n"
    "a=extmap-allow-mixed\n"
    "a=msid-semantic: WMS\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\n"
    "c=IN IP4 0.0.0.0\n"
    "a=rtcp:9 IN IP4 0.0.0.0\n"
    "a=ice-ufrag:Zp3K\n"
    "a=ice-pwd:Qm1n2b3v4c5x6z7l8k9j0h1g\n"
    "a=ice-options:trickle\n"
    "a=fingerprint:" FP "\n"
    "a=setup:actpass\n"
    "a=mid:0\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\n"
    "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\n"
    "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\n"
    "a=sendonly\n"
    "a=msid:- 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\n"
    "a=rtcp-mux\n"
    "a=rtcp-rsize\n"
    "a=rtpmap:96 VP8/90000\n"
    "a=rtcp-fb:96 nack\n"
    "a=rtcp-fb:96 nack pli\n"
    "a=rtpmap:97 rtx/90000\n"
    "a=fmtp:97 apt=96\n"
    "a=rid:q send\n"
    "a=rid:h send\n" "a=rid:f send\n" "a=simulcast:send q;h;f\n";

/* The trickle example of RFC 9725 §4.3.2 */
static const gchar rfc_trickle[] =
    "a=ice-ufrag:EsAw\n"
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\n"
    "m=audio 9 RTP/AVP 0\n"
    "a=mid:0\n"
    "a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host "
    "generation 0 ufrag EsAw network-id 1\n"
    "a=candidate:3471623853 1 udp 2122194687 198.51.100.1 61765 typ host "
    "generation 0 ufrag EsAw network-id 2\n"
    "a=candidate:473322822 1 tcp 1518280447 192.0.2.1 9 typ host "
    "tcptype active generation 0 ufrag EsAw network-id 1\n"
    "a=candidate:2154773085 1 tcp 1518214911 198.51.100.2 9 typ host "
    "tcptype active generation 0 ufrag EsAw network-id 2\n"
    "a=end-of-candidates\n";

/* LF → CRLF, as browsers send it */
static gchar *
crlf (const gchar * text)
{
  GString *s = g_string_new (NULL);

  for (; *text; text++) {
    if (*text == '\n')
      g_string_append_c (s, '\r');
    g_string_append_c (s, *text);
  }
  return g_string_free (s, FALSE);
}

/* @text with the first @old replaced by @new (which must be there) */
static gchar *
replace (const gchar * text, const gchar * old, const gchar * new)
{
  const gchar *at = strstr (text, old);

  g_assert_nonnull (at);
  return g_strdup_printf ("%.*s%s%s", (int) (at - text), text, new,
      at + strlen (old));
}

static RrWhipOffer *
parse_ok (const gchar * text)
{
  gchar *sdp = crlf (text);
  GError *err = NULL;
  guint status = 1;
  RrWhipOffer *offer;

  offer = rr_whip_offer_parse (sdp, strlen (sdp), 64 * 1024, &status, &err);
  g_assert_no_error (err);
  g_assert_nonnull (offer);
  g_assert_cmpuint (status, ==, 0);
  g_free (sdp);
  return offer;
}

/* Parses @len bytes of @sdp, which must fail with @status and a message
 * containing @message. */
static void
expect_fail_len (const gchar * sdp, gsize len, gsize max_len, guint status,
    const gchar * message)
{
  GError *err = NULL;
  guint got = 0;
  RrWhipOffer *offer;

  offer = rr_whip_offer_parse (sdp, len, max_len, &got, &err);
  if (offer != NULL)
    g_error ("offer accepted, expected %u \"%s\"", status, message);
  g_assert_nonnull (err);
  g_assert_true (err->domain == RR_WHIP_ERROR);
  if (got != status || strstr (err->message, message) == NULL)
    g_error ("expected %u \"%s\", got %u \"%s\"", status, message, got,
        err->message);
  g_assert_cmpuint (rr_whip_error_http_status (err), ==, status);
  g_error_free (err);
}

static void
expect_fail (const gchar * text, guint status, const gchar * message)
{
  gchar *sdp = crlf (text);

  expect_fail_len (sdp, strlen (sdp), 64 * 1024, status, message);
  g_free (sdp);
}

/* @text with @old replaced by @new must fail so */
static void
mutant_fails (const gchar * text, const gchar * old, const gchar * new,
    guint status, const gchar * message)
{
  gchar *m = replace (text, old, new);

  expect_fail (m, status, message);
  g_free (m);
}

static const gchar *
codec_names (const RrWhipMedia * m, GString * out)
{
  guint i;

  g_string_truncate (out, 0);
  for (i = 0; i < m->n_codecs; i++)
    g_string_append_printf (out, "%s%s/%u", i ? " " : "",
        m->codecs[i].encoding_name, m->codecs[i].pt);
  return out->str;
}

static void
test_offer_chrome (void)
{
  g_autoptr (RrWhipOffer) offer = parse_ok (chrome_offer);
  const RrWhipMedia *a, *v;
  GString *names = g_string_new (NULL);

  g_assert_nonnull (offer->sdp);
  g_assert_cmpuint (offer->n_mlines, ==, 2);
  g_assert_cmpuint (offer->n_audio, ==, 1);
  g_assert_cmpuint (offer->n_video, ==, 1);
  g_assert_cmpuint (offer->n_media, ==, 2);
  g_assert_true (offer->trickle);

  a = rr_whip_offer_get_media (offer, RR_WHIP_KIND_AUDIO);
  v = rr_whip_offer_get_media (offer, RR_WHIP_KIND_VIDEO);
  g_assert_true (a == &offer->media[0]);
  g_assert_true (v == &offer->media[1]);
  g_assert_cmpuint (a->mline, ==, 0);
  g_assert_cmpuint (v->mline, ==, 1);
  g_assert_cmpstr (a->mid, ==, "0");
  g_assert_cmpstr (v->mid, ==, "1");
  g_assert_false (a->sendrecv);
  g_assert_cmpstr (a->ice_ufrag, ==, "Ty7u");
  g_assert_cmpstr (a->ice_pwd, ==, "c5Xw+3kq1pNV0yHbZ9LmRs2e");
  g_assert_cmpstr (a->setup, ==, "actpass");
  g_assert_cmpstr (a->fingerprint, ==, FP);

  /* no red, CN, telephone-event; static PTs named by their rtpmap */
  g_assert_cmpstr (codec_names (a, names), ==, "OPUS/111 G722/9 PCMU/0 PCMA/8");
  g_assert_cmpuint (a->codecs[0].clock_rate, ==, 48000);
  g_assert_cmpuint (a->codecs[0].channels, ==, 2);
  g_assert_cmpstr (a->codecs[0].fmtp, ==, "minptime=10;useinbandfec=1");
  g_assert_true (a->codecs[0].transport_cc);
  g_assert_null (a->codecs[1].fmtp);
  g_assert_cmpuint (a->codecs[1].channels, ==, 0);
  g_assert_true (a->transport_cc);
  g_assert_false (a->goog_remb);
  g_assert_cmpuint (a->twcc_ext_id, ==, 3);
  g_assert_cmpuint (a->abs_send_time_ext_id, ==, 2);
  g_assert_cmpuint (a->mid_ext_id, ==, 4);
  g_assert_cmpuint (a->rid_ext_id, ==, 0);

  /* no rtx, red, ulpfec */
  g_assert_cmpstr (codec_names (v, names), ==,
      "VP8/96 VP9/98 VP9/100 AV1/45 H264/102 H264/104 H264/106 H264/127 "
      "H265/49");
  g_assert_true (v->codecs[0].nack && v->codecs[0].nack_pli &&
      v->codecs[0].ccm_fir && v->codecs[0].transport_cc &&
      v->codecs[0].goog_remb);
  g_assert_false (v->codecs[2].goog_remb);
  g_assert_false (v->codecs[2].nack);
  g_assert_true (v->codecs[2].nack_pli);
  g_assert_cmpstr (v->codecs[2].fmtp, ==, "profile-id=2");
  g_assert_cmpstr (v->codecs[3].fmtp, ==, "level-idx=5;profile=0;tier=0");
  g_assert_cmpuint (v->codecs[8].clock_rate, ==, 90000);
  g_assert_true (v->transport_cc);
  g_assert_true (v->goog_remb);
  g_assert_cmpuint (v->twcc_ext_id, ==, 3);
  g_assert_cmpuint (v->abs_send_time_ext_id, ==, 2);
  g_assert_cmpuint (v->rid_ext_id, ==, 10);
  g_assert_cmpuint (v->repaired_rid_ext_id, ==, 11);
  g_assert_cmpuint (v->n_rids, ==, 0);
  g_assert_null (rr_whip_offer_highest_rid (offer));

  g_assert_true (rr_whip_offer_has_codec (offer, "H265"));
  g_assert_true (rr_whip_offer_has_codec (offer, "av1"));
  g_assert_true (rr_whip_offer_has_codec (offer, "Opus"));
  g_assert_false (rr_whip_offer_has_codec (offer, "RTX"));
  g_assert_false (rr_whip_offer_has_codec (offer, "ulpfec"));
  g_assert_false (rr_whip_offer_has_codec (offer, "H266"));
  g_assert_false (rr_whip_offer_has_codec (offer, NULL));
  g_assert_false (rr_whip_offer_has_codec (NULL, "VP8"));
  g_string_free (names, TRUE);
}

static void
test_offer_line_endings (void)
{
  GError *err = NULL;
  RrWhipOffer *offer;
  gchar *sdp, *mixed;

  /* LF only */
  offer = rr_whip_offer_parse (chrome_offer, strlen (chrome_offer),
      64 * 1024, NULL, &err);
  g_assert_no_error (err);
  g_assert_cmpuint (offer->n_media, ==, 2);
  g_assert_cmpstr (offer->media[1].codecs[0].encoding_name, ==, "VP8");
  rr_whip_offer_free (offer);

  /* no newline after the last line, and blank lines at the end */
  sdp = crlf (obs_offer);
  offer = rr_whip_offer_parse (sdp, strlen (sdp) - 2, 64 * 1024, NULL, &err);
  g_assert_no_error (err);
  g_assert_cmpstr (offer->media[1].codecs[0].fmtp, ==,
      "profile-level-id=42e01f;packetization-mode=1;"
      "level-asymmetry-allowed=1");
  rr_whip_offer_free (offer);
  mixed = g_strconcat (sdp, "\r\n\n", NULL);
  offer = rr_whip_offer_parse (mixed, strlen (mixed), 64 * 1024, NULL, &err);
  g_assert_no_error (err);
  rr_whip_offer_free (offer);
  g_free (mixed);
  g_free (sdp);

  /* trailing blanks GstSDPMessage keeps are ignored */
  sdp = replace (obs_offer, "a=mid:1\n", "a=mid:1 \t\n");
  mixed = replace (sdp, "a=mid:0\na=sendonly\n", "a=mid:0\na=sendonly  \n");
  offer = parse_ok (mixed);
  g_assert_cmpstr (offer->media[1].mid, ==, "1");
  g_assert_false (offer->media[0].sendrecv);
  rr_whip_offer_free (offer);
  g_free (mixed);
  g_free (sdp);
}

static void
test_offer_obs_session_level (void)
{
  g_autoptr (RrWhipOffer) offer = parse_ok (obs_offer);

  g_assert_cmpuint (offer->n_media, ==, 2);
  g_assert_true (offer->trickle);
  g_assert_cmpstr (offer->media[0].ice_ufrag, ==, "R2nV");
  g_assert_cmpstr (offer->media[1].ice_pwd, ==, "8Jd0Qw3p5Lx1zS7tY9uB2c");
  g_assert_cmpstr (offer->media[1].setup, ==, "actpass");
  g_assert_cmpstr (offer->media[1].fingerprint, ==, FP);
  g_assert_cmpstr (offer->media[0].codecs[0].encoding_name, ==, "OPUS");
  g_assert_cmpuint (offer->media[1].n_codecs, ==, 1);
  g_assert_true (offer->media[1].goog_remb);
  g_assert_false (offer->media[1].transport_cc);
  g_assert_cmpuint (offer->media[1].twcc_ext_id, ==, 0);
}

static void
test_offer_variants (void)
{
  RrWhipOffer *offer;
  gchar *s, *t;

  /* audio only, sendrecv by default (no direction attribute) */
  s = replace (obs_offer, "a=mid:0\na=sendonly\n", "a=mid:0\n");
  t = replace (s, "m=video 9", "m=video 0");
  offer = parse_ok (t);
  g_assert_cmpuint (offer->n_mlines, ==, 2);
  g_assert_cmpuint (offer->n_audio, ==, 1);
  g_assert_cmpuint (offer->n_video, ==, 0);
  g_assert_cmpuint (offer->n_media, ==, 1);
  g_assert_true (offer->media[0].sendrecv);
  g_assert_null (rr_whip_offer_get_media (offer, RR_WHIP_KIND_VIDEO));
  g_assert_null (rr_whip_offer_highest_rid (offer));
  rr_whip_offer_free (offer);
  g_free (t);
  g_free (s);

  /* port 0 with bundle-only is not rejected */
  s = replace (chrome_offer, "m=video 9", "m=video 0");
  t = replace (s, "a=mid:1\n", "a=mid:1\na=bundle-only\n");
  offer = parse_ok (t);
  g_assert_cmpuint (offer->n_video, ==, 1);
  rr_whip_offer_free (offer);
  g_free (t);

  /* a rejected data channel m= line and a rejected second video are fine */
  t = g_strconcat (chrome_offer, "m=application 0 UDP/DTLS/SCTP "
      "webrtc-datachannel\nc=IN IP4 0.0.0.0\na=mid:2\n"
      "m=video 0 UDP/TLS/RTP/SAVPF 96\na=mid:3\na=sendonly\n", NULL);
  offer = parse_ok (t);
  g_assert_cmpuint (offer->n_mlines, ==, 4);
  g_assert_cmpuint (offer->n_media, ==, 2);
  rr_whip_offer_free (offer);
  g_free (t);
  g_free (s);

  /* static payload types without a=rtpmap: audio ones only on audio */
  s = replace (obs_offer, "m=audio 9 UDP/TLS/RTP/SAVPF 111",
      "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 9 3");
  t = replace (s, "m=video 9 UDP/TLS/RTP/SAVPF 96",
      "m=video 9 UDP/TLS/RTP/SAVPF 96 0 9");
  offer = parse_ok (t);
  {
    GString *names = g_string_new (NULL);

    g_assert_cmpstr (codec_names (&offer->media[0], names), ==,
        "OPUS/111 PCMU/0 PCMA/8 G722/9");
    g_assert_cmpuint (offer->media[0].codecs[3].clock_rate, ==, 8000);
    g_assert_cmpstr (codec_names (&offer->media[1], names), ==, "H264/96");
    g_string_free (names, TRUE);
  }
  rr_whip_offer_free (offer);
  g_free (t);
  g_free (s);

  /* video first, sendrecv, setup:passive (ffmpeg), SAVP, no trickle */
  s = g_strdup ("v=0\n"
      "o=FFmpeg 4489045141692799359 2 IN IP4 127.0.0.1\n"
      "s=FFmpegPublishSession\n"
      "t=0 0\n"
      "a=group:BUNDLE 0\n"
      "m=video 9 UDP/TLS/RTP/SAVP 106\n"
      "c=IN IP4 0.0.0.0\n"
      "a=ice-ufrag:f0e1d2c3\n"
      "a=ice-pwd:00112233445566778899aabbccddeeff\n"
      "a=fingerprint:" FP "\n"
      "a=setup:passive\n"
      "a=mid:0\n"
      "a=sendrecv\n"
      "a=rtcp-mux\n"
      "a=rtpmap:106 H264/90000\n"
      "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;"
      "profile-level-id=42e01f\n");
  offer = parse_ok (s);
  g_assert_cmpuint (offer->media[0].kind, ==, RR_WHIP_KIND_VIDEO);
  g_assert_true (offer->media[0].sendrecv);
  g_assert_cmpstr (offer->media[0].setup, ==, "passive");
  g_assert_false (offer->trickle);
  rr_whip_offer_free (offer);
  g_free (s);
}

static void
test_offer_simulcast (void)
{
  RrWhipOffer *offer;
  const RrWhipMedia *v;
  gchar *s;

  offer = parse_ok (simulcast_offer);
  v = rr_whip_offer_get_media (offer, RR_WHIP_KIND_VIDEO);
  g_assert_cmpuint (v->n_rids, ==, 3);
  g_assert_cmpstr (v->rids[0].rid, ==, "q");
  g_assert_cmpstr (v->rids[1].rid, ==, "h");
  g_assert_cmpstr (v->rids[2].rid, ==, "f");
  g_assert_cmpuint (v->rids[2].stream, ==, 2);
  g_assert_false (v->rids[0].paused);
  g_assert_cmpuint (v->rid_ext_id, ==, 10);
  g_assert_cmpstr (rr_whip_offer_highest_rid (offer), ==, "f");
  rr_whip_offer_free (offer);

  /* listed high to low: the names decide */
  s = replace (simulcast_offer, "send q;h;f", "send f;h;q");
  offer = parse_ok (s);
  g_assert_cmpstr (offer->media[0].rids[0].rid, ==, "f");
  g_assert_cmpstr (rr_whip_offer_highest_rid (offer), ==, "f");
  rr_whip_offer_free (offer);
  g_free (s);

  /* paused layers, alternatives, restrictions, the draft "rid=" syntax */
  s = replace (simulcast_offer, "a=simulcast:send q;h;f",
      "a=simulcast: send rid=q,h;~f recv x");
  offer = parse_ok (s);
  v = &offer->media[0];
  g_assert_cmpuint (v->n_rids, ==, 3);
  g_assert_cmpuint (v->rids[0].stream, ==, 0);
  g_assert_cmpuint (v->rids[1].stream, ==, 0);
  g_assert_cmpuint (v->rids[2].stream, ==, 1);
  g_assert_true (v->rids[2].paused);
  g_assert_cmpstr (rr_whip_offer_highest_rid (offer), ==, "h");
  rr_whip_offer_free (offer);
  g_free (s);

  s = replace (simulcast_offer, "a=rid:q send\na=rid:h send\na=rid:f send\n",
      "a=rid:a send max-width=640;max-height=360\n"
      "a=rid:b send max-width=1280;max-height=720;max-fps=30\n"
      "a=rid:c send max-width=320;max-height=180;max-br=150000\n");
  {
    gchar *t = replace (s, "send q;h;f", "send a;b;c");

    offer = parse_ok (t);
    v = &offer->media[0];
    g_assert_cmpuint (v->rids[1].max_width, ==, 1280);
    g_assert_cmpuint (v->rids[1].max_height, ==, 720);
    g_assert_cmpuint (v->rids[1].max_fps, ==, 30);
    g_assert_cmpuint (v->rids[2].max_br, ==, 150000);
    g_assert_cmpstr (rr_whip_offer_highest_rid (offer), ==, "b");
    rr_whip_offer_free (offer);
    g_free (t);
  }
  g_free (s);

  /* a=rid without a=simulcast: the a=rid order; recv rids are not ours */
  s = replace (simulcast_offer, "a=simulcast:send q;h;f\n", "a=rid:z recv\n");
  offer = parse_ok (s);
  g_assert_cmpuint (offer->media[0].n_rids, ==, 3);
  g_assert_cmpstr (rr_whip_offer_highest_rid (offer), ==, "f");
  rr_whip_offer_free (offer);
  g_free (s);
}

static const gchar *
highest_of (const gchar * spec)
{
  static gchar result[64];
  gchar **items = g_strsplit (spec, " ", -1);
  RrWhipMedia m = { 0 };
  const gchar *h;
  guint i;

  m.n_rids = g_strv_length (items);
  m.rids = g_new0 (RrWhipRid, m.n_rids);
  for (i = 0; i < m.n_rids; i++) {
    gchar *it = items[i], *x;

    /* "~id" paused, "id@WxH" a size restriction */
    if (*it == '~') {
      m.rids[i].paused = TRUE;
      it++;
    }
    x = strchr (it, '@');
    if (x != NULL) {
      *x = '\0';
      m.rids[i].max_width = atoi (x + 1);
      m.rids[i].max_height = atoi (strchr (x + 1, 'x') + 1);
    }
    m.rids[i].rid = it;
  }
  h = rr_whip_media_highest_rid (&m);
  g_strlcpy (result, h ? h : "(null)", sizeof (result));
  g_free (m.rids);
  g_strfreev (items);
  return result;
}

static void
test_highest_rid_heuristics (void)
{
  g_assert_cmpstr (highest_of ("q h f"), ==, "f");
  g_assert_cmpstr (highest_of ("f h q"), ==, "f");
  g_assert_cmpstr (highest_of ("H Q"), ==, "H");
  g_assert_cmpstr (highest_of ("l m h"), ==, "h");
  g_assert_cmpstr (highest_of ("h m l"), ==, "h");
  g_assert_cmpstr (highest_of ("m l"), ==, "m");
  g_assert_cmpstr (highest_of ("high low medium"), ==, "high");
  g_assert_cmpstr (highest_of ("full quarter half"), ==, "full");
  g_assert_cmpstr (highest_of ("0 1 2"), ==, "2");
  g_assert_cmpstr (highest_of ("2 1 0"), ==, "2");
  g_assert_cmpstr (highest_of ("10 9"), ==, "10");
  g_assert_cmpstr (highest_of ("r0 r2 r1"), ==, "r2");
  g_assert_cmpstr (highest_of ("layer-1 layer-3 layer-2"), ==, "layer-3");
  /* no convention: the last listed */
  g_assert_cmpstr (highest_of ("a b c"), ==, "c");
  g_assert_cmpstr (highest_of ("c b a"), ==, "a");
  g_assert_cmpstr (highest_of ("r0 s1"), ==, "s1");
  g_assert_cmpstr (highest_of ("q h x"), ==, "x");
  g_assert_cmpstr (highest_of ("only"), ==, "only");
  /* sizes beat names; no restriction counts as unbounded */
  g_assert_cmpstr (highest_of ("f@320x180 h@1280x720 q@640x360"), ==, "h");
  g_assert_cmpstr (highest_of ("a@320x180 b c@640x360"), ==, "b");
  g_assert_cmpstr (highest_of ("q@1280x720 f@1280x720"), ==, "f");
  /* paused layers only when all are paused */
  g_assert_cmpstr (highest_of ("q h ~f"), ==, "h");
  g_assert_cmpstr (highest_of ("~q ~h ~f"), ==, "f");
  g_assert_null (rr_whip_media_highest_rid (NULL));
}

static void
test_offer_shape_errors (void)
{
  GString *many;
  gchar *s;
  guint i;

  expect_fail ("v=0\no=- 1 2 IN IP4 0.0.0.0\ns=-\nt=0 0\n", 422, "no m= line");
  /* two video m= lines */
  s = g_strconcat (chrome_offer, strstr (chrome_offer, "m=video"), NULL);
  {
    gchar *dup = replace (s, "a=mid:1\n", "a=mid:v1\n");

    expect_fail (dup, 422, "the offer has 2 video m-lines; a WHIP session "
        "carries at most one audio and one video track (RFC 9725 §4.4.2)");
    g_free (dup);
  }
  g_free (s);
  /* two audio */
  s = replace (chrome_offer, "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
      "m=audio 9 UDP/TLS/RTP/SAVPF 96 97");
  expect_fail (s, 422, "2 audio m-lines");
  g_free (s);
  /* data channel only, and next to media */
  expect_fail ("v=0\no=- 1 2 IN IP4 0.0.0.0\ns=-\nt=0 0\n"
      "a=group:BUNDLE 0\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\n"
      "c=IN IP4 0.0.0.0\na=ice-ufrag:abcd\na=ice-pwd:"
      "0123456789012345678901\n" "a=fingerprint:" FP
      "\na=setup:actpass\na=mid:0\n" "a=sctp-port:5000\n", 422, "data channel");
  s = g_strconcat (chrome_offer,
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\n"
      "c=IN IP4 0.0.0.0\na=mid:2\na=sctp-port:5000\n", NULL);
  expect_fail (s, 422, "m-line 2 is a data channel");
  g_free (s);
  s = g_strconcat (chrome_offer, "m=text 9 RTP/AVP 98\n", NULL);
  expect_fail (s, 422, "\"text\"");
  g_free (s);
  /* every m= line rejected */
  s = replace (obs_offer, "m=audio 9", "m=audio 0");
  mutant_fails (s, "m=video 9", "m=video 0", 422, "rejected");
  g_free (s);
  /* does not send */
  mutant_fails (chrome_offer, "a=sendonly\na=msid:1b0e6c3c-9f4d-4e35-a0d8-"
      "7a1f2b3c4d5e 9f", "a=recvonly\na=msid:1b0e6c3c-9f4d-4e35-a0d8-"
      "7a1f2b3c4d5e 9f", 422, "is recvonly: the offer does not send media");
  mutant_fails (chrome_offer, "a=sendonly", "a=inactive", 422,
      "m-line 0 (audio, mid \"0\") is inactive: the offer does not send");
  /* a session-level direction applies to m= lines without one */
  s = replace (obs_offer, "a=mid:0\na=sendonly\n", "a=mid:0\n");
  mutant_fails (s, "t=0 0\n", "t=0 0\na=recvonly\n", 422,
      "m-line 0 (audio, mid \"0\") is recvonly");
  g_free (s);
  /* plain RTP */
  mutant_fails (obs_offer, "m=video 9 UDP/TLS/RTP/SAVPF", "m=video 9 RTP/AVP",
      422, "\"RTP/AVP\"");
  /* nothing to record */
  mutant_fails (obs_offer, "a=rtpmap:96 H264/90000",
      "a=rtpmap:96 rtx/90000", 422, "offers no codec");
  mutant_fails (obs_offer, "a=rtpmap:96 H264/90000", "", 422,
      "offers no codec");
  /* more m= lines than we look at: rejected early, whatever they are */
  many = g_string_new (obs_offer);
  for (i = 0; i < RR_WHIP_MAX_MLINES; i++)
    g_string_append_printf (many, "m=video 0 UDP/TLS/RTP/SAVPF 96\n"
        "a=mid:x%u\n", i);
  expect_fail (many->str, 422, "more than 16 m-lines");
  g_string_free (many, TRUE);
  /* 100000 of them: refused at the 17th, GstSDPMessage never sees them */
  many = g_string_new ("v=0\r\n");
  for (i = 0; i < 100000; i++)
    g_string_append (many, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n");
  expect_fail_len (many->str, many->len, G_MAXSIZE, 422, "more than 16");
  g_string_free (many, TRUE);
  /* too many simulcast layers */
  many = g_string_new (NULL);
  for (i = 0; i <= RR_WHIP_MAX_RIDS; i++)
    g_string_append_printf (many, "a=rid:r%u send\n", i);
  s = replace (simulcast_offer, "a=rid:q send\n", many->str);
  expect_fail (s, 422, "more than 8 simulcast layers");
  g_free (s);
  g_string_free (many, TRUE);
}

static void
test_offer_malformed (void)
{
  gchar *s;
  gsize len;

  expect_fail_len ("", 0, 1000, 400, "empty");
  expect_fail_len (NULL, 0, 1000, 400, "empty");
  expect_fail ("hello", 400, "must start with the line \"v=0\"");
  expect_fail ("v=1\n", 400, "\"v=0\"");
  expect_fail ("\nv=0\n", 400, "\"v=0\"");
  expect_fail ("v=0 \n", 400, "\"v=0\"");
  expect_fail ("<html>", 400, "\"v=0\"");
  mutant_fails (chrome_offer, "s=-\n", "s=-\nhello world\n", 400,
      "line 4 of the offer is not of the form <type>=<value>");
  mutant_fails (chrome_offer, "s=-\n", "s=-\nA=b\n", 400, "<type>=<value>");
  mutant_fails (chrome_offer, "s=-\n", "s=-\n a=b\n", 400, "<type>=<value>");
  mutant_fails (chrome_offer, "s=-\n", "s=-\ns\n", 400, "<type>=<value>");
  mutant_fails (chrome_offer, "s=-\n", "s=-\x01\n", 400,
      "line 3 of the offer contains the control character 0x01");
  mutant_fails (chrome_offer, "s=-\n", "s=-\rt=0 0\n", 400, "0x0d");
  mutant_fails (chrome_offer, "s=-\n", "s=\xff\xfe\n", 400, "UTF-8");
  mutant_fails (chrome_offer, "m=video 9 UDP", "m=video x UDP", 400,
      "malformed m= line");
  mutant_fails (chrome_offer, "m=video 9 UDP", "m=video 70000 UDP", 400,
      "malformed m= line");
  mutant_fails (chrome_offer, "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 "
      "110 126", "m=audio 9 UDP/TLS/RTP/SAVPF", 400, "malformed m= line");
  mutant_fails (chrome_offer, "m=audio 9 ", "m=audio/x 9 ", 400,
      "malformed m= line");

  /* NUL bytes inside the body */
  s = crlf (chrome_offer);
  len = strlen (s);
  s[100] = '\0';
  expect_fail_len (s, len, 64 * 1024, 400, "NUL byte");
  g_free (s);

  /* size limit, and a very long line */
  s = crlf (chrome_offer);
  len = strlen (s);
  expect_fail_len (s, len, len - 1, 413, "this endpoint takes at most");
  expect_fail_len (s, len, 0, 413, "bytes");
  g_free (s);
  {
    GString *big = g_string_new ("v=0\ns=");
    gchar *b;

    for (len = 0; len < 1024 * 1024; len++)
      g_string_append_c (big, 'x');
    g_string_append (big, "\n");
    b = crlf (big->str);
    expect_fail_len (b, strlen (b), G_MAXSIZE, 400,
        "line 2 of the offer is longer than 4096 bytes");
    g_free (b);
    g_string_free (big, TRUE);
  }

  /* ICE, DTLS, BUNDLE attributes */
  mutant_fails (obs_offer, "a=ice-ufrag:R2nV\n", "", 400,
      "m-line 0 (audio, mid \"0\") has no a=ice-ufrag");
  mutant_fails (obs_offer, "a=ice-ufrag:R2nV\n", "a=ice-ufrag:R2 nV\n", 400,
      "malformed a=ice-ufrag");
  mutant_fails (obs_offer, "a=ice-ufrag:R2nV\n", "a=ice-ufrag:R2n=V\n", 400,
      "malformed a=ice-ufrag");
  mutant_fails (obs_offer, "a=ice-pwd:8Jd0Qw3p5Lx1zS7tY9uB2c\n", "", 400,
      "no a=ice-pwd");
  /* only on the first m= line: the second has none */
  s = replace (chrome_offer, "a=ice-pwd:c5Xw+3kq1pNV0yHbZ9LmRs2e\n"
      "a=ice-options:trickle\na=fingerprint:" FP "\na=setup:actpass\n"
      "a=mid:1", "a=ice-options:trickle\na=fingerprint:" FP "\n"
      "a=setup:actpass\na=mid:1");
  expect_fail (s, 400, "m-line 1 (video, mid \"1\") has no a=ice-pwd");
  g_free (s);
  mutant_fails (obs_offer, "a=fingerprint:", "a=x-fingerprint:", 400,
      "has no DTLS a=fingerprint");
  mutant_fails (obs_offer, "a=fingerprint:sha-256 6B:1D", "a=fingerprint:"
      "sha-256 6B:1", 400, "malformed DTLS a=fingerprint");
  mutant_fails (obs_offer, "a=fingerprint:sha-256 6B:1D", "a=fingerprint:"
      "sha-256 6B:1G", 400, "malformed DTLS a=fingerprint");
  mutant_fails (obs_offer, "a=fingerprint:sha-256 ", "a=fingerprint:", 400,
      "malformed DTLS a=fingerprint");
  mutant_fails (obs_offer, "a=setup:actpass\n", "", 400, "has no a=setup");
  mutant_fails (obs_offer, "a=setup:actpass\n", "a=setup:both\n", 400,
      "a malformed a=setup");
  mutant_fails (obs_offer, "a=setup:actpass\n", "a=setup:holdconn\n", 422,
      "the unsupported a=setup");
  mutant_fails (obs_offer, "a=mid:1\n", "", 400,
      "m-line 1 (video) has no a=mid");
  mutant_fails (obs_offer, "a=mid:1\n", "a=mid:0\n", 400,
      "repeats the a=mid \"0\"");
  mutant_fails (obs_offer, "a=mid:1\n", "a=mid:a\"b\n", 400,
      "a malformed a=mid");

  /* codecs */
  mutant_fails (obs_offer, "m=video 9 UDP/TLS/RTP/SAVPF 96",
      "m=video 9 UDP/TLS/RTP/SAVPF 96 abc", 400, "payload type \"abc\"");
  mutant_fails (obs_offer, "m=video 9 UDP/TLS/RTP/SAVPF 96",
      "m=video 9 UDP/TLS/RTP/SAVPF 96 128", 400, "payload type \"128\"");
  mutant_fails (obs_offer, "m=video 9 UDP/TLS/RTP/SAVPF 96",
      "m=video 9 UDP/TLS/RTP/SAVPF 96 96", 400, "payload type 96 twice");
  mutant_fails (obs_offer, "a=rtpmap:96 H264/90000", "a=rtpmap:96 H264", 400,
      "malformed a=rtpmap for payload type 96");
  mutant_fails (obs_offer, "a=rtpmap:96 H264/90000", "a=rtpmap:96 H264/x",
      400, "malformed a=rtpmap");
  mutant_fails (obs_offer, "a=rtpmap:111 opus/48000/2",
      "a=rtpmap:111 opus/48000/two", 400, "malformed a=rtpmap");
  mutant_fails (chrome_offer, "a=extmap:10 ", "a=extmap:0 ", 400,
      "malformed a=extmap");
  mutant_fails (chrome_offer, "a=extmap:10 ", "a=extmap:256 ", 400,
      "malformed a=extmap");

  /* simulcast */
  mutant_fails (simulcast_offer, "send q;h;f", "send q;h;f;x", 400,
      "names the rid \"x\" that has no \"a=rid:x send\" line");
  mutant_fails (simulcast_offer, "send q;h;f", "send q;h;q", 400,
      "names the rid \"q\" twice");
  mutant_fails (simulcast_offer, "send q;h;f", "send q;;f", 400,
      "malformed a=simulcast");
  mutant_fails (simulcast_offer, "send q;h;f", "send q;h;f;", 400,
      "malformed a=simulcast");
  mutant_fails (simulcast_offer, "send q;h;f", "send", 400,
      "malformed a=simulcast");
  mutant_fails (simulcast_offer, "send q;h;f", "sideways q", 400,
      "malformed a=simulcast");
  mutant_fails (simulcast_offer, "send q;h;f", "send q send h", 400,
      "malformed a=simulcast");
  mutant_fails (simulcast_offer, "a=rid:h send", "a=rid:q send", 400,
      "declares the rid \"q\" twice");
  mutant_fails (simulcast_offer, "a=rid:h send", "a=rid:h both", 400,
      "malformed a=rid");
  mutant_fails (simulcast_offer, "a=rid:h send", "a=rid:h.1 send", 400,
      "malformed a=rid");
}

/* Offers of every size up to the whole: a truncated body never crashes
 * and is never accepted without its m= lines. */
static void
test_offer_truncated (void)
{
  gchar *s = crlf (chrome_offer);
  gsize len = strlen (s), cut;

  for (cut = 0; cut < len; cut++) {
    gchar *copy = g_memdup2 (s, cut);
    GError *err = NULL;
    guint status = 0;
    RrWhipOffer *offer = rr_whip_offer_parse (copy, cut, len, &status, &err);

    if (offer != NULL) {
      g_assert_cmpuint (offer->n_media, >=, 1);
      g_assert_no_error (err);
      rr_whip_offer_free (offer);
    } else {
      g_assert_nonnull (err);
      g_assert_true (status == 400 || status == 422);
      g_error_free (err);
    }
    g_free (copy);
  }
  g_free (s);
}

static RrWhipSdpFrag *
frag_ok (const gchar * text)
{
  GError *err = NULL;
  RrWhipSdpFrag *frag = rr_whip_sdpfrag_parse (text, strlen (text), &err);

  g_assert_no_error (err);
  g_assert_nonnull (frag);
  return frag;
}

static void
frag_fails (const gchar * text, gsize len, guint status, const gchar * msg)
{
  GError *err = NULL;
  RrWhipSdpFrag *frag = rr_whip_sdpfrag_parse (text, len, &err);

  if (frag != NULL)
    g_error ("fragment accepted, expected %u \"%s\"", status, msg);
  g_assert_nonnull (err);
  if (rr_whip_error_http_status (err) != status ||
      strstr (err->message, msg) == NULL)
    g_error ("expected %u \"%s\", got %u \"%s\"", status, msg,
        rr_whip_error_http_status (err), err->message);
  g_error_free (err);
}

static void
test_sdpfrag_rfc_example (void)
{
  gchar *body = crlf (rfc_trickle);
  RrWhipSdpFrag *frag = frag_ok (body);
  guint i;

  g_assert_cmpstr (frag->ice_ufrag, ==, "EsAw");
  g_assert_cmpstr (frag->ice_pwd, ==, "P2uYro0UCOQ4zxjKXaWCBui1");
  g_assert_null (frag->bundle_mids);
  g_assert_cmpuint (frag->n_mlines, ==, 1);
  g_assert_cmpuint (frag->n_candidates, ==, 4);
  g_assert_true (frag->end_of_candidates);
  g_assert_cmpstr (frag->candidates[0].candidate, ==,
      "candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host "
      "generation 0 ufrag EsAw network-id 1");
  for (i = 0; i < 4; i++) {
    g_assert_cmpstr (frag->candidates[i].mid, ==, "0");
    g_assert_cmpint (frag->candidates[i].mline, ==, 0);
    g_assert_cmpstr (frag->candidates[i].ufrag, ==, "EsAw");
    g_assert_true (g_str_has_prefix (frag->candidates[i].candidate,
            "candidate:"));
  }
  g_assert_cmpint (rr_whip_patch_kind (frag, "EsAw",
          "P2uYro0UCOQ4zxjKXaWCBui1"), ==, RR_WHIP_PATCH_TRICKLE);
  g_assert_cmpint (rr_whip_patch_kind (frag, NULL, NULL), ==,
      RR_WHIP_PATCH_TRICKLE);
  g_assert_cmpint (rr_whip_patch_kind (frag, "Old1",
          "0ldpassword0ldpassword"), ==, RR_WHIP_PATCH_ICE_RESTART);
  g_assert_cmpint (rr_whip_patch_kind (frag, "EsAw", "another+password+xx"),
      ==, RR_WHIP_PATCH_INVALID);
  rr_whip_sdpfrag_free (frag);
  g_free (body);

  /* LF only gives the same */
  frag = frag_ok (rfc_trickle);
  g_assert_cmpuint (frag->n_candidates, ==, 4);
  rr_whip_sdpfrag_free (frag);
}

static void
test_sdpfrag_shapes (void)
{
  RrWhipSdpFrag *frag;

  /* ICE restart (RFC 9725 §4.3.3 example) */
  frag = frag_ok ("a=ice-ufrag:ysXw\r\na=ice-pwd:vw5LmwG4y/e6dPP/zAP9Gp5k\r\n");
  g_assert_cmpuint (frag->n_candidates, ==, 0);
  g_assert_cmpint (rr_whip_patch_kind (frag, "EsAw",
          "P2uYro0UCOQ4zxjKXaWCBui1"), ==, RR_WHIP_PATCH_ICE_RESTART);
  g_assert_cmpint (rr_whip_patch_kind (frag, "ysXw",
          "vw5LmwG4y/e6dPP/zAP9Gp5k"), ==, RR_WHIP_PATCH_TRICKLE);
  rr_whip_sdpfrag_free (frag);

  /* candidates without any m= line or mid, no credentials */
  frag = frag_ok ("a=candidate:1 1 UDP 2122252543 192.168.1.5 54321 typ host"
      "\na=candidate:2 1 UDP 1686052863 203.0.113.7 54321 typ srflx raddr "
      "192.168.1.5 rport 54321\n");
  g_assert_cmpuint (frag->n_candidates, ==, 2);
  g_assert_null (frag->candidates[0].mid);
  g_assert_cmpint (frag->candidates[0].mline, ==, -1);
  g_assert_null (frag->candidates[1].ufrag);
  g_assert_false (frag->end_of_candidates);
  g_assert_null (frag->ice_ufrag);
  g_assert_cmpint (rr_whip_patch_kind (frag, "EsAw", "P2uYro0UCOQ4zxjKXaWCBu"),
      ==, RR_WHIP_PATCH_TRICKLE);
  rr_whip_sdpfrag_free (frag);

  /* a session-level a=mid, a BUNDLE group, credentials under m=, a mid after
   * the candidates of its section, c= and other attributes ignored,
   * mDNS and IPv6 addresses */
  frag = frag_ok ("a=group:BUNDLE 0 1\n"
      "a=mid:0\n"
      "a=candidate:5 1 udp 2122260223 0b1c2d3e-4f50-4a61-b273-c48495a6b7c8"
      ".local 50000 typ host generation 0\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\n"
      "c=IN IP4 0.0.0.0\n"
      "a=ice-ufrag:EsAw\n"
      "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\n"
      "a=rtcp-mux\n"
      "a=candidate:6 1 udp 2122262783 2001:db8::1 50001 typ host\n"
      "a=mid:0\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96\n"
      "a=ice-ufrag:EsAw\n"
      "a=candidate:7 2 tcp 1518280447 192.0.2.1 9 typ host tcptype active\n"
      "a=end-of-candidates\n\n\n");
  g_assert_cmpuint (g_strv_length (frag->bundle_mids), ==, 2);
  g_assert_cmpstr (frag->bundle_mids[1], ==, "1");
  g_assert_cmpstr (frag->ice_ufrag, ==, "EsAw");
  g_assert_cmpuint (frag->n_mlines, ==, 2);
  g_assert_cmpuint (frag->n_candidates, ==, 3);
  g_assert_cmpstr (frag->candidates[0].mid, ==, "0");
  g_assert_cmpint (frag->candidates[0].mline, ==, -1);
  g_assert_cmpstr (frag->candidates[1].mid, ==, "0");
  g_assert_cmpint (frag->candidates[1].mline, ==, 0);
  g_assert_null (frag->candidates[2].mid);
  g_assert_cmpint (frag->candidates[2].mline, ==, 1);
  g_assert_true (frag->end_of_candidates);
  rr_whip_sdpfrag_free (frag);

  /* only end-of-candidates */
  frag = frag_ok ("a=end-of-candidates");
  g_assert_true (frag->end_of_candidates);
  g_assert_cmpint (rr_whip_patch_kind (frag, "EsAw", NULL), ==,
      RR_WHIP_PATCH_TRICKLE);
  rr_whip_sdpfrag_free (frag);
}

static void
test_sdpfrag_errors (void)
{
  GString *s;
  gchar buf[64];
  guint i;

  frag_fails ("", 0, 400, "empty");
  frag_fails (NULL, 0, 400, "empty");
  frag_fails ("\r\n\r\n", 4, 400, "no line");
  memcpy (buf, "a=end-of-candidates\0\n", 21);
  frag_fails (buf, 21, 400, "NUL byte");
  frag_fails ("a=ice-ufrag:ab\x1b" "c\n", 16, 400, "control character");
  frag_fails ("a=ice-ufrag:abc\rd\n", 18, 400, "control character");
  frag_fails ("candidate:1 1 udp 1 1.2.3.4 5 typ host", 38, 400,
      "<type>=<value>");
  frag_fails ("a=ice-ufrag:\xc3\x28zz\n", 17, 400, "UTF-8");
  frag_fails ("v=0\no=- 1 1 IN IP4 0.0.0.0\n", 27, 400, "not a whole SDP");
  frag_fails ("a=ice-ufrag:a b\n", 16, 400, "malformed a=ice-ufrag");
  frag_fails ("a=ice-pwd:\n", 11, 400, "malformed a=ice-pwd");
  frag_fails ("a=ice-ufrag:abcd\nm=audio 9 RTP/AVP 0\na=ice-ufrag:efgh\n",
      51, 400, "a second, different a=ice-ufrag");
  frag_fails ("m=\n", 3, 400, "malformed m= line");
  frag_fails ("m= audio\n", 9, 400, "malformed m= line");
  frag_fails ("m=audio 9 RTP/AVP 0\na=mid:0\na=mid:1\n", 36, 400,
      "a second a=mid");
  frag_fails ("a=mid:\n", 7, 400, "malformed a=mid");
  frag_fails ("a=group:BUNDLE 0 \"1\"\n", 21, 400, "malformed a=group");

  /* candidates */
  {
    static const gchar *const bad[] = {
      "a=candidate\n",
      "a=candidate:\n",
      "a=candidate:1 1 udp 2122260223 192.0.2.1 61764 typ\n",
      "a=candidate:1 1 udp 2122260223 192.0.2.1 61764 type host\n",
      "a=candidate:1 1 udp 2122260223 192.0.2.1 70000 typ host\n",
      "a=candidate:1 0 udp 2122260223 192.0.2.1 61764 typ host\n",
      "a=candidate:1 1 udp 99999999999 192.0.2.1 61764 typ host\n",
      "a=candidate:1 1 udp 2122260223 192.0.2.1<x> 61764 typ host\n",
      "a=candidate:1 1 udp 2122260223 192.0.2.1 61764 typ host generation\n",
      "a=candidate:1=2 1 udp 2122260223 192.0.2.1 61764 typ host\n",
      "a=candidate:1 1 udp 2122260223 192.0.2.1 61764 typ host ufrag a=b\n",
      /* found by fuzz-whipsdp: the ufrag leaked when a later token was bad */
      "a=candidate:1 1 udp 2122260223 192.0.2.1 61764 typ host ufrag EsAw "
          "network\"id 1\n",
      "a=candidate:1 1 udp 2122260223 192.0.2.1 61764 typ host ufrag EsAw "
          "generation\n",
    };

    for (i = 0; i < G_N_ELEMENTS (bad); i++)
      frag_fails (bad[i], strlen (bad[i]), 400, "malformed a=candidate");
  }

  /* limits */
  s = g_string_new (NULL);
  for (i = 0; i <= RR_WHIP_SDPFRAG_MAX_CANDIDATES; i++)
    g_string_append_printf (s, "a=candidate:%u 1 udp 1 10.0.0.1 %u typ host\n",
        i, 1000 + i);
  frag_fails (s->str, s->len, 413, "more than 256 candidates");
  g_string_truncate (s, 0);
  while (s->len <= RR_WHIP_SDPFRAG_MAX_LEN)
    g_string_append (s, "a=end-of-candidates\n");
  frag_fails (s->str, s->len, 413, "at most 65536");
  g_string_truncate (s, 0);
  g_string_append (s, "a=x-long:");
  while (s->len <= RR_WHIP_MAX_LINE_LEN)
    g_string_append_c (s, 'y');
  frag_fails (s->str, s->len, 400, "longer than 4096 bytes");
  g_string_truncate (s, 0);
  for (i = 0; i <= RR_WHIP_MAX_MLINES; i++)
    g_string_append (s, "m=audio 9 RTP/AVP 0\n");
  frag_fails (s->str, s->len, 400, "more than 16 m= lines");
  g_string_free (s, TRUE);
}

static void
test_patch_kind (void)
{
  RrWhipSdpFrag *frag;

  g_assert_cmpint (rr_whip_patch_kind (NULL, "a", "b"), ==,
      RR_WHIP_PATCH_INVALID);

  /* a new ufrag needs a new password */
  frag = frag_ok ("a=ice-ufrag:N3wU\n");
  g_assert_cmpint (rr_whip_patch_kind (frag, "EsAw", "pw"), ==,
      RR_WHIP_PATCH_INVALID);
  g_assert_cmpint (rr_whip_patch_kind (frag, "N3wU", "pw"), ==,
      RR_WHIP_PATCH_TRICKLE);
  rr_whip_sdpfrag_free (frag);
  frag = frag_ok ("a=ice-ufrag:N3wU\na=ice-pwd:pw\n");
  g_assert_cmpint (rr_whip_patch_kind (frag, "EsAw", "pw"), ==,
      RR_WHIP_PATCH_INVALID);
  rr_whip_sdpfrag_free (frag);
  frag = frag_ok ("a=ice-pwd:other\n");
  g_assert_cmpint (rr_whip_patch_kind (frag, "EsAw", "pw"), ==,
      RR_WHIP_PATCH_INVALID);
  g_assert_cmpint (rr_whip_patch_kind (frag, "EsAw", "other"), ==,
      RR_WHIP_PATCH_TRICKLE);
  rr_whip_sdpfrag_free (frag);

  /* a candidate of another ICE generation */
  frag = frag_ok ("a=candidate:1 1 udp 1 10.0.0.1 5000 typ host ufrag Old1\n");
  g_assert_cmpint (rr_whip_patch_kind (frag, "EsAw", "pw"), ==,
      RR_WHIP_PATCH_INVALID);
  g_assert_cmpint (rr_whip_patch_kind (frag, "Old1", "pw"), ==,
      RR_WHIP_PATCH_TRICKLE);
  rr_whip_sdpfrag_free (frag);
  frag = frag_ok ("a=ice-ufrag:N3wU\na=ice-pwd:newpassword\n"
      "a=candidate:1 1 udp 1 10.0.0.1 5000 typ host ufrag EsAw\n");
  g_assert_cmpint (rr_whip_patch_kind (frag, "EsAw", "pw"), ==,
      RR_WHIP_PATCH_INVALID);
  rr_whip_sdpfrag_free (frag);
  frag = frag_ok ("a=ice-ufrag:N3wU\na=ice-pwd:newpassword\n"
      "a=candidate:1 1 udp 1 10.0.0.1 5000 typ host ufrag N3wU\n");
  g_assert_cmpint (rr_whip_patch_kind (frag, "EsAw", "pw"), ==,
      RR_WHIP_PATCH_ICE_RESTART);
  rr_whip_sdpfrag_free (frag);
}

static void
test_bearer (void)
{
  static const struct
  {
    const gchar *header;
    const gchar *token;
  } cases[] = {
    {"Bearer abc123", "abc123"},
    {"bearer abc123", "abc123"},
    {"BEARER   abc123", "abc123"},
    {"  Bearer abc.DEF-ghi_~+/== \t", "abc.DEF-ghi_~+/=="},
    {"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"},
    {NULL, NULL},
    {"", NULL},
    {"Bearer", NULL},
    {"Bearer ", NULL},
    {"Bearerabc", NULL},
    {"Bearer\tabc", NULL},
    {"Basic dXNlcjpwYXNz", NULL},
    {"Bearer abc def", NULL},
    {"Bearer ab=c", NULL},
    {"Bearer =abc", NULL},
    {"Bearer abc,", NULL},
    {"Bearer \"abc\"", NULL},
    {"Bearer abc\xc3\xa9", NULL},
    {"Token abc", NULL},
  };
  GString *long_token;
  gchar *t;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    t = rr_whip_bearer_token (cases[i].header);
    g_assert_cmpstr (t, ==, cases[i].token);
    g_free (t);
  }
  long_token = g_string_new ("Bearer ");
  while (long_token->len < 7 + RR_WHIP_MAX_TOKEN_LEN)
    g_string_append_c (long_token, 'a');
  t = rr_whip_bearer_token (long_token->str);
  g_assert_cmpuint (strlen (t), ==, RR_WHIP_MAX_TOKEN_LEN);
  g_free (t);
  g_string_append_c (long_token, 'a');
  g_assert_null (rr_whip_bearer_token (long_token->str));
  g_string_free (long_token, TRUE);
}

static void
test_token_equal (void)
{
  g_assert_true (rr_whip_token_equal ("s3cret", "s3cret"));
  g_assert_false (rr_whip_token_equal ("s3cret", "s3creT"));
  g_assert_false (rr_whip_token_equal ("s3cre", "s3cret"));
  g_assert_false (rr_whip_token_equal ("s3cret", "s3cre"));
  g_assert_false (rr_whip_token_equal ("s3crets3cret", "s3cret"));
  g_assert_false (rr_whip_token_equal ("x", "y"));
  g_assert_false (rr_whip_token_equal (NULL, "s3cret"));
  g_assert_false (rr_whip_token_equal ("s3cret", NULL));
  g_assert_false (rr_whip_token_equal (NULL, NULL));
  g_assert_false (rr_whip_token_equal ("", ""));
  g_assert_false (rr_whip_token_equal ("", "a"));
  g_assert_false (rr_whip_token_equal ("a", ""));
}

static void
test_content_type (void)
{
  g_assert_true (rr_whip_content_type_is ("application/sdp",
          "application/sdp"));
  g_assert_true (rr_whip_content_type_is ("Application/SDP", RR_WHIP_SDP_MIME));
  g_assert_true (rr_whip_content_type_is (" application/sdp ; charset=utf-8",
          RR_WHIP_SDP_MIME));
  g_assert_true (rr_whip_content_type_is ("application/sdp;charset=UTF-8",
          RR_WHIP_SDP_MIME));
  g_assert_true (rr_whip_content_type_is
      ("application/trickle-ice-sdpfrag\t", RR_WHIP_SDPFRAG_MIME));
  g_assert_false (rr_whip_content_type_is ("application/sdpfrag",
          RR_WHIP_SDP_MIME));
  g_assert_false (rr_whip_content_type_is ("application/sdp",
          RR_WHIP_SDPFRAG_MIME));
  g_assert_false (rr_whip_content_type_is ("text/plain", RR_WHIP_SDP_MIME));
  g_assert_false (rr_whip_content_type_is ("application / sdp",
          RR_WHIP_SDP_MIME));
  g_assert_false (rr_whip_content_type_is ("application/sdp, text/plain",
          RR_WHIP_SDP_MIME));
  g_assert_false (rr_whip_content_type_is ("", RR_WHIP_SDP_MIME));
  g_assert_false (rr_whip_content_type_is (NULL, RR_WHIP_SDP_MIME));
  g_assert_false (rr_whip_content_type_is ("application/sdp", NULL));
  g_assert_false (rr_whip_content_type_is ("", ""));
}

static void
test_etag (void)
{
  gchar *a = rr_whip_etag_new (), *b = rr_whip_etag_new ();
  gchar *list;
  guint i;

  g_assert_cmpuint (strlen (a), ==, 34);
  g_assert_true (a[0] == '"' && a[33] == '"');
  for (i = 1; i < 33; i++)
    g_assert_true (g_ascii_isxdigit (a[i]));
  g_assert_cmpstr (a, !=, b);

  g_assert_true (rr_whip_if_match_ok (NULL, a));
  g_assert_true (rr_whip_if_match_ok (a, a));
  g_assert_true (rr_whip_if_match_ok ("*", a));
  g_assert_true (rr_whip_if_match_ok (" * ", a));
  g_assert_true (rr_whip_if_match_ok ("*", NULL));
  list = g_strdup_printf ("%s, %s", b, a);
  g_assert_true (rr_whip_if_match_ok (list, a));
  g_free (list);
  list = g_strdup_printf (" ,%s ,, ", a);
  g_assert_true (rr_whip_if_match_ok (list, a));
  g_free (list);

  g_assert_false (rr_whip_if_match_ok (b, a));
  g_assert_false (rr_whip_if_match_ok ("", a));
  g_assert_false (rr_whip_if_match_ok (" , ", a));
  g_assert_false (rr_whip_if_match_ok (a, NULL));
  g_assert_true (rr_whip_if_match_ok ("\"\"", "\"\""));
  /* weak tags never match by strong comparison */
  list = g_strdup_printf ("W/%s", a);
  g_assert_false (rr_whip_if_match_ok (list, a));
  g_free (list);
  /* unquoted, unterminated, garbage */
  list = g_strndup (a + 1, 32);
  g_assert_false (rr_whip_if_match_ok (list, a));
  g_free (list);
  list = g_strndup (a, 33);
  g_assert_false (rr_whip_if_match_ok (list, a));
  g_free (list);
  list = g_strdup_printf ("%s x", a);
  g_assert_false (rr_whip_if_match_ok (list, a));
  g_free (list);
  list = g_strdup_printf ("*, %s", a);
  g_assert_false (rr_whip_if_match_ok (list, a));
  g_free (list);
  g_assert_false (rr_whip_if_match_ok ("\"a b\"", "\"a b\""));
  g_assert_true (rr_whip_if_match_ok ("\"xyzzy\"", "\"xyzzy\""));
  g_free (a);
  g_free (b);
}

static void
test_link_header (void)
{
  const gchar *const one[] = { "stun:stun.example.net", NULL };
  const gchar *const two[] = { "stun:stun.example.net:3478",
    "turn:turn.example.net?transport=udp", NULL
  };
  const gchar *const bad[] = { "http://example.net", "stun:", "stun:a b",
    "stun:a>b", "turn:a,b", "turn:a\"b", "stun:\xc3\xa9", "", NULL
  };
  const gchar *const mixed[] = { "stun:a>b", "TURNS:turn.example.net:443",
    NULL
  };
  const gchar *const none[] = { NULL };
  gchar *h;

  h = rr_whip_link_header (one);
  g_assert_cmpstr (h, ==, "<stun:stun.example.net>; rel=\"ice-server\"");
  g_free (h);
  h = rr_whip_link_header (two);
  g_assert_cmpstr (h, ==, "<stun:stun.example.net:3478>; rel=\"ice-server\", "
      "<turn:turn.example.net?transport=udp>; rel=\"ice-server\"");
  g_free (h);
  g_assert_null (rr_whip_link_header (bad));
  g_assert_null (rr_whip_link_header (none));
  g_assert_null (rr_whip_link_header (NULL));
  h = rr_whip_link_header (mixed);
  g_assert_cmpstr (h, ==, "<TURNS:turn.example.net:443>; rel=\"ice-server\"");
  g_free (h);

  h = rr_whip_link_header_with_credentials (two, "user", "pa\"ss\\word");
  g_assert_cmpstr (h, ==, "<stun:stun.example.net:3478>; rel=\"ice-server\", "
      "<turn:turn.example.net?transport=udp>; rel=\"ice-server\"; "
      "username=\"user\"; credential=\"pa\\\"ss\\\\word\"; "
      "credential-type=\"password\"");
  g_free (h);
  h = rr_whip_link_header_with_credentials (two, "user", "bad\r\nX: y");
  g_assert_cmpstr (h, ==, "<stun:stun.example.net:3478>; rel=\"ice-server\", "
      "<turn:turn.example.net?transport=udp>; rel=\"ice-server\"");
  g_free (h);
  h = rr_whip_link_header_with_credentials (two, "user", NULL);
  g_assert_null (strstr (h, "username"));
  g_free (h);

  g_assert_true (rr_whip_ice_server_url_valid ("stuns:stun.example.net"));
  g_assert_true (rr_whip_ice_server_url_valid ("turn:[2001:db8::1]:3478"));
  g_assert_false (rr_whip_ice_server_url_valid (NULL));
  g_assert_false (rr_whip_ice_server_url_valid ("turn:a;b"));
  g_assert_false (rr_whip_ice_server_url_valid ("turn:a\r\nSet-Cookie: x"));
}

static void
test_cors_and_methods (void)
{
  static const gchar *const expose[] = { "Location", "ETag", "Link",
    "Accept-Post", "Accept-Patch", "Access-Control-Allow-Methods"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (expose); i++)
    g_assert_nonnull (strstr (rr_whip_cors_expose_headers (), expose[i]));
  g_assert_nonnull (strstr (rr_whip_cors_allow_headers (), "Authorization"));
  g_assert_nonnull (strstr (rr_whip_cors_allow_headers (), "Content-Type"));
  g_assert_nonnull (strstr (rr_whip_cors_allow_headers (), "If-Match"));
  g_assert_cmpstr (rr_whip_allowed_methods_endpoint (), ==, "POST, OPTIONS");
  g_assert_cmpstr (rr_whip_allowed_methods_session (), ==,
      "PATCH, DELETE, OPTIONS");
}

static void
test_session_path (void)
{
  static const struct
  {
    const gchar *endpoint;
    const gchar *request;
    gboolean ok;
    const gchar *id;
  } cases[] = {
    {"/whip/room1", "/whip/room1", TRUE, NULL},
    {"/whip/room1", "/whip/room1/abc-DEF_123", TRUE, "abc-DEF_123"},
    {"/whip/room1/", "/whip/room1", TRUE, NULL},
    {"/whip/room1/", "/whip/room1/", TRUE, NULL},
    {"/whip/room1/", "/whip/room1/s1", TRUE, "s1"},
    {"/", "/", TRUE, NULL},
    {"/", "/s1", TRUE, "s1"},
    {"/whip/room1", "/whip/room1/", FALSE, NULL},
    {"/whip/room1", "/whip/room1//s1", FALSE, NULL},
    {"/whip/room1", "/whip/room1/s1/", FALSE, NULL},
    {"/whip/room1", "/whip/room1/s1/x", FALSE, NULL},
    {"/whip/room1", "/whip/room1/..", FALSE, NULL},
    {"/whip/room1", "/whip/room1/%2e%2e", FALSE, NULL},
    {"/whip/room1", "/whip/room1/s%31", FALSE, NULL},
    {"/whip/room1", "/whip/room1/s1?x=1", FALSE, NULL},
    {"/whip/room1", "/whip/room12", FALSE, NULL},
    {"/whip/room1", "/whip/room", FALSE, NULL},
    {"/whip/room1", "/whip/room2/s1", FALSE, NULL},
    {"/whip/room1", "/WHIP/room1", FALSE, NULL},
    {"/whip/room1", "", FALSE, NULL},
    {"/whip/room1", "whip/room1", FALSE, NULL},
    {"whip/room1", "whip/room1", FALSE, NULL},
    {NULL, "/whip", FALSE, NULL},
    {"/whip", NULL, FALSE, NULL},
    {"/whip", "/whip/0123456789012345678901234567890123456789012345678901"
          "2345678901234", FALSE, NULL},
    {"/whip", "/whip/01234567890123456789012345678901234567890123456789012"
          "34567890123", TRUE, "0123456789012345678901234567890123456789"
          "012345678901234567890123"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *id = (gchar *) "unset";
    gboolean ok = rr_whip_parse_session_path (cases[i].endpoint,
        cases[i].request, &id);

    if (ok != cases[i].ok)
      g_error ("%s %s: %d", cases[i].endpoint, cases[i].request, ok);
    g_assert_cmpstr (id, ==, cases[i].id);
    g_free (id);
  }
  g_assert_true (rr_whip_parse_session_path ("/w", "/w/x", NULL));
}

static void
test_session_id (void)
{
  GHashTable *seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  guint i;

  for (i = 0; i < 1000; i++) {
    gchar *id = rr_whip_session_id_new (), *parsed = NULL;
    gchar *path = g_strconcat ("/whip/", id, NULL);

    g_assert_cmpuint (strlen (id), ==, 22);
    g_assert_true (rr_whip_parse_session_path ("/whip", path, &parsed));
    g_assert_cmpstr (parsed, ==, id);
    g_assert_false (g_hash_table_contains (seen, id));
    g_hash_table_add (seen, id);
    g_free (parsed);
    g_free (path);
  }
  g_hash_table_unref (seen);
}

static void
test_error_status (void)
{
  GError *e = g_error_new (RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED, "x");

  g_assert_cmpuint (rr_whip_error_http_status (e), ==, 400);
  e->code = RR_WHIP_ERROR_TOO_LARGE;
  g_assert_cmpuint (rr_whip_error_http_status (e), ==, 413);
  e->code = RR_WHIP_ERROR_UNSUPPORTED;
  g_assert_cmpuint (rr_whip_error_http_status (e), ==, 422);
  e->domain = G_FILE_ERROR;
  g_assert_cmpuint (rr_whip_error_http_status (e), ==, 500);
  g_assert_cmpuint (rr_whip_error_http_status (NULL), ==, 500);
  g_error_free (e);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/whip/offer/chrome", test_offer_chrome);
  g_test_add_func ("/whip/offer/line-endings", test_offer_line_endings);
  g_test_add_func ("/whip/offer/obs-session-level",
      test_offer_obs_session_level);
  g_test_add_func ("/whip/offer/variants", test_offer_variants);
  g_test_add_func ("/whip/offer/simulcast", test_offer_simulcast);
  g_test_add_func ("/whip/offer/shape-errors", test_offer_shape_errors);
  g_test_add_func ("/whip/offer/malformed", test_offer_malformed);
  g_test_add_func ("/whip/offer/truncated", test_offer_truncated);
  g_test_add_func ("/whip/highest-rid", test_highest_rid_heuristics);
  g_test_add_func ("/whip/sdpfrag/rfc-example", test_sdpfrag_rfc_example);
  g_test_add_func ("/whip/sdpfrag/shapes", test_sdpfrag_shapes);
  g_test_add_func ("/whip/sdpfrag/errors", test_sdpfrag_errors);
  g_test_add_func ("/whip/patch-kind", test_patch_kind);
  g_test_add_func ("/whip/bearer", test_bearer);
  g_test_add_func ("/whip/token-equal", test_token_equal);
  g_test_add_func ("/whip/content-type", test_content_type);
  g_test_add_func ("/whip/etag", test_etag);
  g_test_add_func ("/whip/link-header", test_link_header);
  g_test_add_func ("/whip/cors", test_cors_and_methods);
  g_test_add_func ("/whip/session-path", test_session_path);
  g_test_add_func ("/whip/session-id", test_session_id);
  g_test_add_func ("/whip/error-status", test_error_status);
  return g_test_run ();
}
