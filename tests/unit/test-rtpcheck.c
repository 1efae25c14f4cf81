/* Unit tests for the RTP packet checks. */
#include "rtpcheck.h"

#include <string.h>

/* Builds an RTP packet into @buf and returns its size. */
static gsize
make_packet (guint8 * buf, guint8 pt, guint16 seq, guint32 ts, guint32 ssrc,
    guint csrc_count, gsize ext_words, gsize payload_len, guint8 pad)
{
  gsize off = 0, i;

  buf[off++] = 0x80 | (pad ? 0x20 : 0) | (ext_words != (gsize) - 1 ? 0x10 : 0)
      | (csrc_count & 0x0f);
  buf[off++] = pt & 0x7f;
  buf[off++] = seq >> 8;
  buf[off++] = seq & 0xff;
  buf[off++] = ts >> 24;
  buf[off++] = (ts >> 16) & 0xff;
  buf[off++] = (ts >> 8) & 0xff;
  buf[off++] = ts & 0xff;
  buf[off++] = ssrc >> 24;
  buf[off++] = (ssrc >> 16) & 0xff;
  buf[off++] = (ssrc >> 8) & 0xff;
  buf[off++] = ssrc & 0xff;
  for (i = 0; i < 4 * (gsize) csrc_count; i++)
    buf[off++] = 0xc0 + i;
  if (ext_words != (gsize) - 1) {
    buf[off++] = 0xbe;
    buf[off++] = 0xde;
    buf[off++] = ext_words >> 8;
    buf[off++] = ext_words & 0xff;
    for (i = 0; i < 4 * ext_words; i++)
      buf[off++] = 0xe0;
  }
  for (i = 0; i < payload_len; i++)
    buf[off++] = (guint8) i;
  if (pad) {
    for (i = 0; i + 1 < pad; i++)
      buf[off++] = 0;
    buf[off++] = pad;
  }
  return off;
}

#define NO_EXT ((gsize) -1)

static void
test_valid_minimal (void)
{
  guint8 buf[64];
  RrRtpHeader h;
  gsize n = make_packet (buf, 96, 1234, 0xdeadbeef, 0x11223344, 0, NO_EXT,
      1, 0);

  g_assert_cmpuint (n, ==, 13);
  g_assert_cmpint (rr_rtp_parse (buf, n, &h), ==, RR_RTP_OK);
  g_assert_cmpuint (h.version, ==, 2);
  g_assert_cmpuint (h.payload_type, ==, 96);
  g_assert_cmpuint (h.seq, ==, 1234);
  g_assert_cmpuint (h.timestamp, ==, 0xdeadbeef);
  g_assert_cmpuint (h.ssrc, ==, 0x11223344);
  g_assert_cmpuint (h.header_len, ==, 12);
  g_assert_cmpuint (h.payload_offset, ==, 12);
  g_assert_cmpuint (h.payload_len, ==, 1);
  g_assert_false (h.marker);

  buf[1] |= 0x80;
  g_assert_cmpint (rr_rtp_parse (buf, n, &h), ==, RR_RTP_OK);
  g_assert_true (h.marker);
  g_assert_cmpuint (h.payload_type, ==, 96);
}

static void
test_csrc_and_extension (void)
{
  guint8 buf[256];
  RrRtpHeader h;
  gsize n;

  /* 15 CSRCs + a 2-word one-byte-header extension + 10 payload bytes */
  n = make_packet (buf, 111, 1, 2, 3, 15, 2, 10, 0);
  g_assert_cmpint (rr_rtp_parse (buf, n, &h), ==, RR_RTP_OK);
  g_assert_cmpuint (h.csrc_count, ==, 15);
  g_assert_true (h.extension);
  g_assert_cmpuint (h.extension_profile, ==, 0xbede);
  g_assert_cmpuint (h.extension_len, ==, 8);
  g_assert_cmpuint (h.header_len, ==, 12 + 60 + 4 + 8);
  g_assert_cmpuint (h.payload_len, ==, 10);

  /* an extension with zero data words is fine */
  n = make_packet (buf, 111, 1, 2, 3, 0, 0, 5, 0);
  g_assert_cmpint (rr_rtp_parse (buf, n, &h), ==, RR_RTP_OK);
  g_assert_cmpuint (h.header_len, ==, 16);

  /* CSRC list cut short */
  n = make_packet (buf, 111, 1, 2, 3, 4, NO_EXT, 0, 0);
  g_assert_cmpint (rr_rtp_parse (buf, n - 1, &h), ==,
      RR_RTP_ERROR_CSRC_TRUNCATED);
  /* all CSRCs but no payload */
  g_assert_cmpint (rr_rtp_parse (buf, n, &h), ==, RR_RTP_ERROR_EMPTY_PAYLOAD);

  /* extension header missing / extension length past the end */
  n = make_packet (buf, 111, 1, 2, 3, 0, 3, 0, 0);
  g_assert_cmpint (rr_rtp_parse (buf, 14, &h), ==,
      RR_RTP_ERROR_EXTENSION_TRUNCATED);
  g_assert_cmpint (rr_rtp_parse (buf, n - 1, &h), ==,
      RR_RTP_ERROR_EXTENSION_TRUNCATED);
  g_assert_cmpint (rr_rtp_parse (buf, n, &h), ==, RR_RTP_ERROR_EMPTY_PAYLOAD);
  /* the largest extension length with a small packet must not overflow */
  buf[14] = 0xff;
  buf[15] = 0xff;
  g_assert_cmpint (rr_rtp_parse (buf, n, &h), ==,
      RR_RTP_ERROR_EXTENSION_TRUNCATED);
}

static void
test_padding (void)
{
  guint8 buf[300];
  RrRtpHeader h;
  gsize n;

  n = make_packet (buf, 96, 1, 2, 3, 0, NO_EXT, 20, 4);
  g_assert_cmpint (rr_rtp_parse (buf, n, &h), ==, RR_RTP_OK);
  g_assert_cmpuint (h.padding_len, ==, 4);
  g_assert_cmpuint (h.payload_len, ==, 20);

  /* padding-only packets (bandwidth probing) are valid */
  n = make_packet (buf, 96, 1, 2, 3, 0, NO_EXT, 0, 255);
  g_assert_cmpint (rr_rtp_parse (buf, n, &h), ==, RR_RTP_OK);
  g_assert_cmpuint (h.payload_len, ==, 0);
  g_assert_cmpuint (h.padding_len, ==, 255);

  /* padding count 0 */
  n = make_packet (buf, 96, 1, 2, 3, 0, NO_EXT, 20, 4);
  buf[n - 1] = 0;
  g_assert_cmpint (rr_rtp_parse (buf, n, &h), ==, RR_RTP_ERROR_PADDING);
  /* padding longer than the payload */
  buf[n - 1] = 25;
  g_assert_cmpint (rr_rtp_parse (buf, n, &h), ==, RR_RTP_ERROR_PADDING);
  /* padding exactly the payload */
  buf[n - 1] = 24;
  g_assert_cmpint (rr_rtp_parse (buf, n, &h), ==, RR_RTP_OK);
  g_assert_cmpuint (h.payload_len, ==, 0);

  /* padding bit on a header-only packet: the last header byte is taken as
   * count and eats the header */
  n = make_packet (buf, 96, 1, 2, 3, 0, NO_EXT, 0, 0);
  buf[0] |= 0x20;
  buf[11] = 1;
  g_assert_cmpint (rr_rtp_parse (buf, n, &h), ==, RR_RTP_ERROR_PADDING);
}

static void
test_truncated_and_version (void)
{
  guint8 buf[64];
  RrRtpHeader h;
  gsize n, i;

  n = make_packet (buf, 96, 1, 2, 3, 0, NO_EXT, 8, 0);
  for (i = 0; i < 12; i++)
    g_assert_cmpint (rr_rtp_parse (buf, i, &h), ==, RR_RTP_ERROR_TOO_SHORT);
  g_assert_cmpint (rr_rtp_parse (buf, 12, &h), ==, RR_RTP_ERROR_EMPTY_PAYLOAD);
  g_assert_cmpint (rr_rtp_parse (NULL, 100, &h), ==, RR_RTP_ERROR_TOO_SHORT);

  for (i = 0; i < 4; i++) {
    buf[0] = (buf[0] & 0x3f) | (i << 6);
    g_assert_cmpint (rr_rtp_parse (buf, n, &h), ==,
        i == 2 ? RR_RTP_OK : RR_RTP_ERROR_VERSION);
  }

  /* rtcp-mux: an RTCP receiver report */
  buf[0] = 0x81;
  buf[1] = 201;
  g_assert_cmpint (rr_rtp_parse (buf, n, &h), ==, RR_RTP_ERROR_RTCP);
  /* but PT 72 without marker is (odd) RTP */
  buf[0] = 0x80;
  buf[1] = 72;
  g_assert_cmpint (rr_rtp_parse (buf, n, &h), ==, RR_RTP_OK);

  g_assert_cmpstr (rr_rtp_result_to_string (RR_RTP_ERROR_VERSION), ==,
      "RTP version is not 2");
  g_assert_cmpstr (rr_rtp_result_to_string (RR_RTP_RESULT_LAST), ==, "unknown");
}

static RrRtpResult
check (RrRtpChecker * c, guint8 pt, guint16 seq, guint32 ssrc,
    RrRtpCheckInfo * info)
{
  guint8 buf[64];
  gsize n = make_packet (buf, pt, seq, seq * 3000u, ssrc, 0, NO_EXT, 10, 0);

  return rr_rtp_checker_check (c, buf, n, info);
}

static void
test_checker_payload_type (void)
{
  RrRtpChecker c;
  RrRtpCheckInfo info;
  guint8 junk[5] = { 1, 2, 3, 4, 5 };

  rr_rtp_checker_init (&c, 96);
  g_assert_cmpint (check (&c, 96, 10, 1, &info), ==, RR_RTP_OK);
  g_assert_cmpuint (info.events, ==, RR_RTP_EVENT_FIRST_PACKET);
  g_assert_cmpint (check (&c, 97, 11, 1, &info), ==,
      RR_RTP_ERROR_WRONG_PAYLOAD_TYPE);
  g_assert_cmpint (rr_rtp_checker_check (&c, junk, sizeof (junk), NULL), ==,
      RR_RTP_ERROR_TOO_SHORT);
  g_assert_cmpint (check (&c, 96, 11, 1, &info), ==, RR_RTP_OK);
  g_assert_cmpuint (info.events, ==, 0);
  g_assert_cmpuint (info.lost, ==, 0);

  g_assert_cmpuint (c.stats.packets_received, ==, 4);
  g_assert_cmpuint (c.stats.packets_accepted, ==, 2);
  g_assert_cmpuint (c.stats.packets_dropped_wrong_pt, ==, 1);
  g_assert_cmpuint (c.stats.packets_dropped_invalid, ==, 1);
  g_assert_cmpuint (c.stats.dropped_by_result[RR_RTP_ERROR_TOO_SHORT], ==, 1);

  /* renegotiated payload type */
  rr_rtp_checker_set_payload_type (&c, 97);
  g_assert_cmpint (check (&c, 96, 12, 1, &info), ==,
      RR_RTP_ERROR_WRONG_PAYLOAD_TYPE);
  g_assert_cmpint (check (&c, 97, 12, 1, &info), ==, RR_RTP_OK);
  g_assert_cmpuint (info.events, ==, RR_RTP_EVENT_PT_CHANGED);
  g_assert_cmpint (info.old_pt, ==, 96);
  g_assert_cmpuint (c.stats.pt_changes, ==, 1);

  /* any payload type */
  rr_rtp_checker_set_payload_type (&c, -1);
  g_assert_cmpint (check (&c, 0, 13, 1, &info), ==, RR_RTP_OK);
  g_assert_cmpuint (info.events, ==, RR_RTP_EVENT_PT_CHANGED);
  rr_rtp_checker_set_payload_type (&c, 1000);
  g_assert_cmpint (c.expected_pt, ==, -1);
}

static void
test_checker_ssrc_change (void)
{
  RrRtpChecker c;
  RrRtpCheckInfo info;
  guint16 s;

  rr_rtp_checker_init (&c, -1);
  for (s = 100; s < 110; s++)
    g_assert_cmpint (check (&c, 96, s, 0xaaaa, &info), ==, RR_RTP_OK);

  /* sender restart: new SSRC and an unrelated sequence number */
  g_assert_cmpint (check (&c, 96, 50000, 0xbbbb, &info), ==, RR_RTP_OK);
  g_assert_cmpuint (info.events, ==, RR_RTP_EVENT_SSRC_CHANGED);
  g_assert_cmpuint (info.old_ssrc, ==, 0xaaaa);
  g_assert_cmpuint (info.header.ssrc, ==, 0xbbbb);
  g_assert_cmpint (check (&c, 96, 50001, 0xbbbb, &info), ==, RR_RTP_OK);
  g_assert_cmpuint (info.events, ==, 0);
  g_assert_cmpuint (c.stats.ssrc_changes, ==, 1);
  g_assert_cmpuint (c.stats.seq_jumps, ==, 0);
  g_assert_cmpuint (c.stats.packets_lost, ==, 0);

  rr_rtp_checker_reset_stream (&c);
  g_assert_cmpuint (rr_rtp_checker_extended_seq (&c), ==, 0);
  g_assert_cmpint (check (&c, 96, 7, 0xcccc, &info), ==, RR_RTP_OK);
  g_assert_cmpuint (info.events, ==, RR_RTP_EVENT_FIRST_PACKET);
  g_assert_cmpuint (c.stats.ssrc_changes, ==, 1);
}

static void
test_checker_sequence (void)
{
  RrRtpChecker c;
  RrRtpCheckInfo info;

  rr_rtp_checker_init (&c, 96);
  g_assert_cmpint (check (&c, 96, 65530, 1, &info), ==, RR_RTP_OK);

  /* wrap-around with 3 lost packets (65531, 65532, 65533) */
  g_assert_cmpint (check (&c, 96, 65534, 1, &info), ==, RR_RTP_OK);
  g_assert_cmpuint (info.lost, ==, 3);
  g_assert_cmpint (check (&c, 96, 1, 1, &info), ==, RR_RTP_OK);
  g_assert_cmpuint (info.events, ==, 0);
  g_assert_cmpuint (info.lost, ==, 2);
  g_assert_cmpuint (rr_rtp_checker_extended_seq (&c), ==, 65536 + 1);

  /* late and duplicate packets */
  g_assert_cmpint (check (&c, 96, 65535, 1, &info), ==, RR_RTP_OK);
  g_assert_cmpuint (info.events, ==, RR_RTP_EVENT_REORDERED);
  g_assert_cmpint (check (&c, 96, 1, 1, &info), ==, RR_RTP_OK);
  g_assert_cmpuint (info.events, ==, RR_RTP_EVENT_DUPLICATE);
  g_assert_cmpuint (c.stats.packets_lost, ==, 5);

  /* a gap just below the dropout limit is loss */
  g_assert_cmpint (check (&c, 96, 1 + 2999, 1, &info), ==, RR_RTP_OK);
  g_assert_cmpuint (info.events, ==, 0);
  g_assert_cmpuint (info.lost, ==, 2998);

  /* a huge forward jump is a new stream, not loss */
  g_assert_cmpint (check (&c, 96, 3000 + 3001, 1, &info), ==, RR_RTP_OK);
  g_assert_cmpuint (info.events, ==, RR_RTP_EVENT_SEQ_JUMP);
  g_assert_cmpuint (info.old_seq, ==, 3000);
  g_assert_cmpuint (info.lost, ==, 0);
  g_assert_cmpuint (c.stats.seq_jumps, ==, 1);
  g_assert_cmpuint (c.stats.packets_lost, ==, 5 + 2998);
  g_assert_cmpuint (rr_rtp_checker_extended_seq (&c), ==, 6001);

  /* a huge backward jump too */
  g_assert_cmpint (check (&c, 96, 6001 - 101, 1, &info), ==, RR_RTP_OK);
  g_assert_cmpuint (info.events, ==, RR_RTP_EVENT_SEQ_JUMP);
  g_assert_cmpint (check (&c, 96, 5901, 1, &info), ==, RR_RTP_OK);
  g_assert_cmpuint (info.events, ==, 0);
  g_assert_cmpuint (c.stats.seq_jumps, ==, 2);
  g_assert_cmpuint (c.stats.packets_reordered, ==, 1);
  g_assert_cmpuint (c.stats.packets_duplicate, ==, 1);
}

static void
test_checker_padding_only (void)
{
  RrRtpChecker c;
  RrRtpCheckInfo info;
  guint8 buf[300];
  gsize n;

  rr_rtp_checker_init (&c, 96);
  n = make_packet (buf, 96, 1, 1, 1, 0, NO_EXT, 0, 200);
  g_assert_cmpint (rr_rtp_checker_check (&c, buf, n, &info), ==, RR_RTP_OK);
  g_assert_true (info.events & RR_RTP_EVENT_PADDING_ONLY);
  n = make_packet (buf, 96, 2, 1, 1, 0, NO_EXT, 0, 0);
  g_assert_cmpint (rr_rtp_checker_check (&c, buf, n, &info), ==,
      RR_RTP_ERROR_EMPTY_PAYLOAD);
  g_assert_cmpuint (c.stats.packets_padding_only, ==, 1);
  g_assert_cmpuint (c.stats.packets_dropped_invalid, ==, 1);
}

static void
test_checker_random_bytes (void)
{
  RrRtpChecker c;
  GRand *rand = g_rand_new_with_seed (42);
  guint8 buf[200];
  guint i, j;

  rr_rtp_checker_init (&c, 96);
  for (i = 0; i < 20000; i++) {
    gsize n = g_rand_int_range (rand, 0, sizeof (buf));
    for (j = 0; j < n; j++)
      buf[j] = g_rand_int (rand);
    rr_rtp_checker_check (&c, buf, n, NULL);
  }
  g_assert_cmpuint (c.stats.packets_received, ==, 20000);
  g_assert_cmpuint (c.stats.packets_accepted + c.stats.packets_dropped_invalid
      + c.stats.packets_dropped_wrong_pt, ==, 20000);
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/rtpcheck/parse/valid", test_valid_minimal);
  g_test_add_func ("/rtpcheck/parse/csrc-extension", test_csrc_and_extension);
  g_test_add_func ("/rtpcheck/parse/padding", test_padding);
  g_test_add_func ("/rtpcheck/parse/truncated-version",
      test_truncated_and_version);
  g_test_add_func ("/rtpcheck/checker/payload-type", test_checker_payload_type);
  g_test_add_func ("/rtpcheck/checker/ssrc-change", test_checker_ssrc_change);
  g_test_add_func ("/rtpcheck/checker/sequence", test_checker_sequence);
  g_test_add_func ("/rtpcheck/checker/padding-only", test_checker_padding_only);
  g_test_add_func ("/rtpcheck/checker/random-bytes", test_checker_random_bytes);

  return g_test_run ();
}
