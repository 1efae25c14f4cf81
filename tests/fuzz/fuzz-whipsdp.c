/* Fuzz target for the WHIP endpoint checks (gst/core/whip.c).
 *
 * Input: one selector byte, then the body.  selector % 4:
 *   0 ('0'): the body is the SDP offer of a POST (limit 64 KiB);
 *   1 ('1'): the body is the trickle ICE SDP fragment of a PATCH, checked
 *            against a few session credentials;
 *   2 ('2'): the body's lines are header values: Authorization,
 *            Content-Type, If-Match, the endpoint path, the request path,
 *            then ICE server URLs for the Link header;
 *   3 ('3'): the body goes to the offer check with a limit of half its size
 *            and then to the fragment parser.
 * Corpus files start with the digit, so they stay readable.  The body is
 * copied into a buffer of exactly its size (no NUL after it) so that
 * AddressSanitizer sees any read past it; every result is checked against
 * the documented guarantees and abort()s if one does not hold.
 *
 * libFuzzer build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DROOMREC_LIBFUZZER \
 *     -Igst/core $(pkg-config --cflags gstreamer-sdp-1.0) \
 *     tests/fuzz/fuzz-whipsdp.c gst/core/whip.c \
 *     $(pkg-config --libs gstreamer-sdp-1.0) -o fuzz-whipsdp
 *   ./fuzz-whipsdp tests/fuzz/corpus/whipsdp
 * Without ROOMREC_LIBFUZZER a main() replays the files and directories given
 * on the command line (used by the test suite).
 */
#include "whip.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static void
check (gboolean ok)
{
  if (!ok)
    abort ();
}

static gboolean
is_rid_in (const RrWhipMedia * m, const gchar * rid)
{
  guint i;

  for (i = 0; i < m->n_rids; i++)
    if (m->rids[i].rid == rid)
      return TRUE;
  return FALSE;
}

static void
check_error (GError * err, guint status)
{
  check (err != NULL && err->domain == RR_WHIP_ERROR);
  check (err->message != NULL && err->message[0] != '\0');
  check (g_utf8_validate (err->message, -1, NULL));
  check (rr_whip_error_http_status (err) == status);
  check (status == 400 || status == 413 || status == 422);
}

static void
check_offer (const guint8 * body, gsize len, gsize max_len)
{
  GError *err = NULL;
  guint status = 1, i, j, k;
  RrWhipOffer *offer;

  offer = rr_whip_offer_parse ((const gchar *) body, len, max_len, &status,
      &err);
  if (offer == NULL) {
    check_error (err, status);
    check (len <= max_len || status == 413);
    g_error_free (err);
    return;
  }
  check (err == NULL && status == 0 && len <= max_len);
  check (offer->sdp != NULL);
  check (offer->n_audio <= 1 && offer->n_video <= 1);
  check (offer->n_media == offer->n_audio + offer->n_video);
  check (offer->n_media >= 1 && offer->n_media <= offer->n_mlines);
  check (offer->n_mlines <= RR_WHIP_MAX_MLINES);
  check (offer->n_mlines == gst_sdp_message_medias_len (offer->sdp));
  for (i = 0; i < offer->n_media; i++) {
    const RrWhipMedia *m = &offer->media[i];

    check (m->mline < offer->n_mlines);
    check (i == 0 || m->mline > offer->media[i - 1].mline);
    check (rr_whip_offer_get_media (offer, m->kind) == m);
    check (m->mid != NULL && m->mid[0] != '\0' &&
        strlen (m->mid) <= RR_WHIP_MAX_ID_LEN);
    for (j = 0; j < i; j++)
      check (strcmp (m->mid, offer->media[j].mid) != 0);
    check (m->ice_ufrag != NULL && m->ice_ufrag[0] != '\0');
    check (m->ice_pwd != NULL && m->ice_pwd[0] != '\0');
    check (m->fingerprint != NULL);
    check (m->setup != NULL && (strcmp (m->setup, "actpass") == 0 ||
            strcmp (m->setup, "active") == 0 ||
            strcmp (m->setup, "passive") == 0));
    check (m->n_codecs >= 1 && m->n_codecs <= 128);
    for (j = 0; j < m->n_codecs; j++) {
      const RrWhipCodec *c = &m->codecs[j];

      check (c->pt <= 127 && c->clock_rate > 0);
      check (c->encoding_name != NULL && c->encoding_name[0] != '\0');
      for (k = 0; c->encoding_name[k]; k++)
        check (!g_ascii_islower (c->encoding_name[k]));
      check (g_ascii_strcasecmp (c->encoding_name, "rtx") != 0);
      check (rr_whip_offer_has_codec (offer, c->encoding_name));
      for (k = 0; k < j; k++)
        check (m->codecs[k].pt != c->pt);
      if (c->transport_cc)
        check (m->transport_cc);
      if (c->goog_remb)
        check (m->goog_remb);
    }
    check (m->n_rids <= RR_WHIP_MAX_RIDS);
    for (j = 0; j < m->n_rids; j++) {
      check (m->rids[j].rid != NULL && m->rids[j].rid[0] != '\0');
      for (k = 0; k < j; k++)
        check (strcmp (m->rids[k].rid, m->rids[j].rid) != 0);
    }
    if (m->n_rids == 0)
      check (rr_whip_media_highest_rid (m) == NULL);
    else
      check (is_rid_in (m, rr_whip_media_highest_rid (m)));
  }
  rr_whip_offer_highest_rid (offer);
  rr_whip_offer_free (offer);
}

static void
check_sdpfrag (const guint8 * body, gsize len)
{
  static const gchar *const creds[][2] = {
    {NULL, NULL}, {"EsAw", "P2uYro0UCOQ4zxjKXaWCBui1"}, {"abcd", NULL},
  };
  GError *err = NULL;
  RrWhipSdpFrag *frag;
  guint i;

  frag = rr_whip_sdpfrag_parse ((const gchar *) body, len, &err);
  if (frag == NULL) {
    check_error (err, rr_whip_error_http_status (err));
    g_error_free (err);
    check (rr_whip_patch_kind (NULL, "a", "b") == RR_WHIP_PATCH_INVALID);
    return;
  }
  check (err == NULL);
  check (frag->n_candidates <= RR_WHIP_SDPFRAG_MAX_CANDIDATES);
  check (frag->n_mlines <= RR_WHIP_MAX_MLINES);
  for (i = 0; i < frag->n_candidates; i++) {
    const RrWhipCandidate *c = &frag->candidates[i];

    check (g_str_has_prefix (c->candidate, "candidate:"));
    check (strchr (c->candidate, '\r') == NULL &&
        strchr (c->candidate, '\n') == NULL);
    check (c->mline >= -1 && c->mline < (gint) frag->n_mlines);
  }
  for (i = 0; i < G_N_ELEMENTS (creds); i++) {
    RrWhipPatchKind kind = rr_whip_patch_kind (frag, creds[i][0],
        creds[i][1]);

    check (kind == RR_WHIP_PATCH_TRICKLE || kind == RR_WHIP_PATCH_ICE_RESTART
        || kind == RR_WHIP_PATCH_INVALID);
    if (creds[i][0] == NULL && creds[i][1] == NULL)
      check (kind != RR_WHIP_PATCH_ICE_RESTART);
  }
  /* its own credentials are never a restart */
  check (rr_whip_patch_kind (frag, frag->ice_ufrag, frag->ice_pwd) !=
      RR_WHIP_PATCH_ICE_RESTART);
  rr_whip_sdpfrag_free (frag);
}

static void
check_headers (const guint8 * body, gsize len)
{
  gchar *text = g_strndup ((const gchar *) body, len);
  gchar **lines = g_strsplit (text, "\n", 64);
  guint n = g_strv_length (lines);
  const gchar *auth = n > 0 ? lines[0] : NULL;
  const gchar *ctype = n > 1 ? lines[1] : NULL;
  const gchar *if_match = n > 2 ? lines[2] : NULL;
  const gchar *endpoint = n > 3 ? lines[3] : NULL;
  const gchar *request = n > 4 ? lines[4] : NULL;
  gchar *token, *etag, *id = NULL, *link;

  token = rr_whip_bearer_token (auth);
  if (token != NULL) {
    check (token[0] != '\0' && strlen (token) <= RR_WHIP_MAX_TOKEN_LEN);
    check (strpbrk (token, " \t\r\n,\"") == NULL);
    check (rr_whip_token_equal (token, token));
    check (!rr_whip_token_equal (token, ""));
  }
  rr_whip_token_equal (auth, ctype);
  g_free (token);

  if (rr_whip_content_type_is (ctype, RR_WHIP_SDP_MIME))
    check (!rr_whip_content_type_is (ctype, RR_WHIP_SDPFRAG_MIME));

  etag = rr_whip_etag_new ();
  rr_whip_if_match_ok (if_match, etag);
  rr_whip_if_match_ok (if_match, NULL);
  rr_whip_if_match_ok (if_match, if_match);
  check (rr_whip_if_match_ok (etag, etag));
  g_free (etag);

  if (rr_whip_parse_session_path (endpoint, request, &id) && id != NULL) {
    gsize i;

    check (id[0] != '\0' && strlen (id) <= 64);
    for (i = 0; id[i]; i++)
      check (g_ascii_isalnum (id[i]) || id[i] == '-' || id[i] == '_');
  }
  g_free (id);

  if (n > 5) {
    link = rr_whip_link_header_with_credentials ((const gchar * const *)
        &lines[5], auth, ctype);
    if (link != NULL) {
      check (strstr (link, "rel=\"ice-server\"") != NULL);
      check (strpbrk (link, "\r\n") == NULL);
    }
    g_free (link);
    link = rr_whip_link_header ((const gchar * const *) &lines[5]);
    g_free (link);
  }
  g_strfreev (lines);
  g_free (text);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  guint8 *body;
  gsize len;

  if (size < 1)
    return 0;
  len = size - 1;
  /* malloc (0) may return NULL: keep one byte */
  body = malloc (len ? len : 1);
  if (body == NULL)
    abort ();
  memcpy (body, data + 1, len);

  switch (data[0] % 4) {
    case 0:
      check_offer (body, len, 64 * 1024);
      break;
    case 1:
      check_sdpfrag (body, len);
      break;
    case 2:
      check_headers (body, len);
      break;
    default:
      check_offer (body, len, len / 2);
      check_sdpfrag (body, len);
      break;
  }
  free (body);
  return 0;
}

#ifndef ROOMREC_LIBFUZZER
#include "fuzz-replay.h"
#endif
