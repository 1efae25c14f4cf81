/* Unit tests for the launcher's SDP handling (gst/core/sdp.c). */
#include "sdp.h"
#include "unit-gst.h"

#include <gst/sdp/sdp.h>
#include <string.h>

/* A Chrome-like offer: VP8, VP9, H264 (+ rtx for each), red/ulpfec, opus */
static const gchar *chrome_offer =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:0\r\n"
    "a=sendonly\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=rtpmap:63 red/48000/2\r\n"
    "a=fmtp:63 111/111\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 102 103 116 117\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:1\r\n"
    "a=sendonly\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtcp-fb:* transport-cc\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "a=rtpmap:98 VP9/90000\r\n"
    "a=fmtp:98 profile-id=0\r\n"
    "a=rtpmap:99 rtx/90000\r\n"
    "a=fmtp:99 apt=98\r\n"
    "a=rtpmap:102 H264/90000\r\n"
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=rtcp-fb:102 nack pli\r\n"
    "a=rtpmap:103 rtx/90000\r\n"
    "a=fmtp:103 apt=102\r\n"
    "a=rtpmap:116 red/90000\r\n" "a=rtpmap:117 ulpfec/90000\r\n";

static GstSDPMessage *
parse (const gchar * text)
{
  GstSDPMessage *msg = NULL;

  g_assert_cmpint (gst_sdp_message_new_from_text (text, &msg), ==, GST_SDP_OK);
  return msg;
}

static gchar *
formats_of (const GstSDPMessage * msg, guint media)
{
  const GstSDPMedia *m = gst_sdp_message_get_media (msg, media);
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < gst_sdp_media_formats_len (m); i++)
    g_string_append_printf (s, "%s%s", i ? " " : "",
        gst_sdp_media_get_format (m, i));
  return g_string_free (s, FALSE);
}

static gboolean
has_attribute_for (const GstSDPMessage * msg, guint media, const gchar * key,
    const gchar * pt)
{
  const GstSDPMedia *m = gst_sdp_message_get_media (msg, media);

  for (guint i = 0; i < gst_sdp_media_attributes_len (m); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, i);

    if (g_strcmp0 (a->key, key) == 0 && g_str_has_prefix (a->value, pt)
        && a->value[strlen (pt)] == ' ')
      return TRUE;
  }
  return FALSE;
}

static void
test_restrict_keeps_allowed_in_preference_order (void)
{
  RrCodec video[] = { RR_CODEC_H264, RR_CODEC_VP8 };
  RrCodec audio[] = { RR_CODEC_OPUS };
  GError *err = NULL;
  gchar *out = rr_sdp_restrict_codecs (chrome_offer, video, 2, audio, 1,
      "mp4", &err);
  GstSDPMessage *msg;
  gchar *fmts;

  g_assert_no_error (err);
  g_assert_nonnull (out);
  msg = parse (out);
  fmts = formats_of (msg, 1);
  /* H264 first (the room prefers it), then VP8, then their rtx; VP9, its
   * rtx, red and ulpfec gone */
  g_assert_cmpstr (fmts, ==, "102 96 97 103");
  g_free (fmts);
  g_assert_false (has_attribute_for (msg, 1, "rtpmap", "98"));
  g_assert_false (has_attribute_for (msg, 1, "fmtp", "99"));
  g_assert_false (has_attribute_for (msg, 1, "rtpmap", "116"));
  g_assert_true (has_attribute_for (msg, 1, "rtcp-fb", "102"));
  g_assert_true (has_attribute_for (msg, 1, "fmtp", "103"));
  /* what is not per payload type stays */
  g_assert_nonnull (gst_sdp_media_get_attribute_val
      (gst_sdp_message_get_media (msg, 1), "extmap"));
  g_assert_cmpstr (gst_sdp_media_get_attribute_val (gst_sdp_message_get_media
          (msg, 1), "mid"), ==, "1");
  fmts = formats_of (msg, 0);
  g_assert_cmpstr (fmts, ==, "111");
  g_free (fmts);
  gst_sdp_message_free (msg);
  g_free (out);
}

static void
test_restrict_empty_list_leaves_kind_alone (void)
{
  RrCodec video[] = { RR_CODEC_H264 };
  GError *err = NULL;
  gchar *out = rr_sdp_restrict_codecs (chrome_offer, video, 1, NULL, 0,
      "hls", &err);
  GstSDPMessage *msg;
  gchar *fmts;

  g_assert_no_error (err);
  msg = parse (out);
  fmts = formats_of (msg, 0);
  g_assert_cmpstr (fmts, ==, "111 63");
  g_free (fmts);
  gst_sdp_message_free (msg);
  g_free (out);
}

static void
test_restrict_nothing_left_is_an_error (void)
{
  RrCodec video[] = { RR_CODEC_H265, RR_CODEC_AV1 };
  GError *err = NULL;
  gchar *out = rr_sdp_restrict_codecs (chrome_offer, video, 2, NULL, 0,
      "mkv", &err);

  g_assert_null (out);
  g_assert_error (err, RR_SDP_ERROR, RR_SDP_ERROR_UNSUPPORTED);
  /* names what was offered and what the room takes */
  g_assert_nonnull (strstr (err->message, "VP8, VP9, H264"));
  g_assert_nonnull (strstr (err->message, "H265, AV1"));
  g_assert_null (strstr (err->message, "RTX"));
  g_clear_error (&err);
}

static void
test_restrict_malformed (void)
{
  RrCodec video[] = { RR_CODEC_VP8 };
  GError *err = NULL;

  g_assert_null (rr_sdp_restrict_codecs (NULL, video, 1, NULL, 0, "webm",
          &err));
  g_assert_error (err, RR_SDP_ERROR, RR_SDP_ERROR_MALFORMED);
  g_clear_error (&err);
}

static const gchar *ffmpeg_sdp =
    "v=0\n"
    "o=- 0 0 IN IP4 127.0.0.1\n"
    "s=No Name\n"
    "c=IN IP4 127.0.0.1\n"
    "t=0 0\n"
    "m=video 5004 RTP/AVP 96\n"
    "a=rtpmap:96 H264/90000\n"
    "a=fmtp:96 packetization-mode=1; sprop-parameter-sets=Z0LAH9kAUAW7ARAAAAMAEAAAAwPI8YMkgA==,aMuMsg==; profile-level-id=42C01F\n"
    "m=audio 5006 RTP/AVP 97\n" "a=rtpmap:97 opus/48000/2\n";

static void
test_rtp_sdp_streams (void)
{
  GError *err = NULL;
  GPtrArray *streams = rr_rtp_sdp_parse (ffmpeg_sdp, &err);
  RrRtpSdpStream *v, *a;
  const GstStructure *s;
  gint rate, pt;

  g_assert_no_error (err);
  g_assert_cmpuint (streams->len, ==, 2);
  v = g_ptr_array_index (streams, 0);
  a = g_ptr_array_index (streams, 1);
  g_assert_cmpstr (v->media, ==, "video");
  g_assert_cmpstr (v->address, ==, "127.0.0.1");
  g_assert_cmpuint (v->port, ==, 5004);
  g_assert_cmpstr (v->encoding_name, ==, "H264");
  s = gst_caps_get_structure (v->caps, 0);
  g_assert_true (gst_structure_has_name (s, "application/x-rtp"));
  g_assert_true (gst_structure_get_int (s, "clock-rate", &rate));
  g_assert_cmpint (rate, ==, 90000);
  g_assert_true (gst_structure_get_int (s, "payload", &pt));
  g_assert_cmpint (pt, ==, 96);
  g_assert_nonnull (gst_structure_get_string (s, "sprop-parameter-sets"));
  g_assert_cmpstr (gst_structure_get_string (s, "encoding-name"), ==, "H264");
  g_assert_cmpstr (a->encoding_name, ==, "OPUS");
  g_assert_cmpuint (a->port, ==, 5006);
  s = gst_caps_get_structure (a->caps, 0);
  g_assert_true (gst_structure_get_int (s, "clock-rate", &rate));
  g_assert_cmpint (rate, ==, 48000);
  g_assert_cmpstr (gst_structure_get_string (s, "media"), ==, "audio");
  g_ptr_array_unref (streams);
}

static void
test_rtp_sdp_static_payload (void)
{
  GError *err = NULL;
  GPtrArray *streams = rr_rtp_sdp_parse ("v=0\r\no=- 0 0 IN IP4 10.0.0.1\r\n"
      "s=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 10.0.0.1\r\n", &err);
  RrRtpSdpStream *s;

  g_assert_no_error (err);
  s = g_ptr_array_index (streams, 0);
  g_assert_cmpstr (s->encoding_name, ==, "PCMU");
  g_assert_cmpuint (s->payload, ==, 0);
  g_ptr_array_unref (streams);
}

static void
expect_rtp_sdp_error (const gchar * sdp, gint code, const gchar * needle)
{
  GError *err = NULL;

  g_assert_null (rr_rtp_sdp_parse (sdp, &err));
  g_assert_error (err, RR_SDP_ERROR, code);
  if (needle && !strstr (err->message, needle))
    g_error ("'%s' not in '%s'", needle, err->message);
  g_clear_error (&err);
}

static void
test_rtp_sdp_errors (void)
{
  expect_rtp_sdp_error ("hello", RR_SDP_ERROR_MALFORMED, "v=0");
  expect_rtp_sdp_error (NULL, RR_SDP_ERROR_MALFORMED, NULL);
  /* SRTP */
  expect_rtp_sdp_error ("v=0\r\nc=IN IP4 127.0.0.1\r\n"
      "m=video 5000 RTP/SAVP 96\r\na=rtpmap:96 VP8/90000\r\n",
      RR_SDP_ERROR_UNSUPPORTED, "RTP/SAVP");
  /* no address */
  expect_rtp_sdp_error ("v=0\r\nm=video 5000 RTP/AVP 96\r\n"
      "a=rtpmap:96 VP8/90000\r\n", RR_SDP_ERROR_MALFORMED, "connection");
  /* a hostname is not an address */
  expect_rtp_sdp_error ("v=0\r\nc=IN IP4 evil.example\r\n"
      "m=video 5000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n",
      RR_SDP_ERROR_MALFORMED, "connection");
  /* dynamic payload type without rtpmap */
  expect_rtp_sdp_error ("v=0\r\nc=IN IP4 127.0.0.1\r\n"
      "m=video 5000 RTP/AVP 96\r\n", RR_SDP_ERROR_MALFORMED, "rtpmap");
  /* a codec we cannot record */
  expect_rtp_sdp_error ("v=0\r\nc=IN IP4 127.0.0.1\r\n"
      "m=video 5000 RTP/AVP 96\r\na=rtpmap:96 JPEG/90000\r\n",
      RR_SDP_ERROR_UNSUPPORTED, "JPEG");
  /* only an application m-line */
  expect_rtp_sdp_error ("v=0\r\nc=IN IP4 127.0.0.1\r\n"
      "m=application 5000 RTP/AVP 96\r\n", RR_SDP_ERROR_UNSUPPORTED, NULL);
  /* payload type out of range */
  expect_rtp_sdp_error ("v=0\r\nc=IN IP4 127.0.0.1\r\n"
      "m=video 5000 RTP/AVP 300\r\na=rtpmap:300 VP8/90000\r\n",
      RR_SDP_ERROR_MALFORMED, "payload");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  unit_gst_init (&argc, &argv, "sdp");
  g_test_add_func ("/sdp/restrict/preference-order",
      test_restrict_keeps_allowed_in_preference_order);
  g_test_add_func ("/sdp/restrict/empty-list",
      test_restrict_empty_list_leaves_kind_alone);
  g_test_add_func ("/sdp/restrict/nothing-left",
      test_restrict_nothing_left_is_an_error);
  g_test_add_func ("/sdp/restrict/malformed", test_restrict_malformed);
  g_test_add_func ("/sdp/rtp/streams", test_rtp_sdp_streams);
  g_test_add_func ("/sdp/rtp/static-payload", test_rtp_sdp_static_payload);
  g_test_add_func ("/sdp/rtp/errors", test_rtp_sdp_errors);
  return g_test_run ();
}
