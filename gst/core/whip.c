/* roomrec — protocol logic of a WHIP endpoint (RFC 9725)
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "whip.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

G_DEFINE_QUARK (rr - whip - error - quark, rr_whip_error);

guint
rr_whip_error_http_status (const GError * error)
{
  if (error == NULL || error->domain != RR_WHIP_ERROR)
    return 500;
  switch (error->code) {
    case RR_WHIP_ERROR_MALFORMED:
      return 400;
    case RR_WHIP_ERROR_TOO_LARGE:
      return 413;
    case RR_WHIP_ERROR_UNSUPPORTED:
      return 422;
    default:
      return 500;
  }
}

/* ------------------------------------------------------------------ */
/* small string helpers                                                */

static inline gboolean
is_blank (gchar c)
{
  return c == ' ' || c == '\t';
}

static const gchar *
skip_blanks (const gchar * p)
{
  while (is_blank (*p))
    p++;
  return p;
}

/* A copy of @s without leading and trailing blanks. */
static gchar *
strdup_trim (const gchar * s)
{
  const gchar *end;

  s = skip_blanks (s);
  end = s + strlen (s);
  while (end > s && is_blank (end[-1]))
    end--;
  return g_strndup (s, end - s);
}

/* The next blank-separated token of [*p, end); FALSE when none is left. */
static gboolean
next_token (const gchar ** p, const gchar * end, const gchar ** tok,
    gsize * tok_len)
{
  const gchar *s = *p;

  while (s < end && is_blank (*s))
    s++;
  if (s >= end) {
    *p = end;
    return FALSE;
  }
  *tok = s;
  while (s < end && !is_blank (*s))
    s++;
  *tok_len = s - *tok;
  *p = s;
  return TRUE;
}

/* Decimal digits only, at most 10 of them, value <= @max. */
static gboolean
parse_uint (const gchar * s, gsize n, guint max, guint * out)
{
  guint64 v = 0;
  gsize i;

  if (n == 0 || n > 10)
    return FALSE;
  for (i = 0; i < n; i++) {
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
    v = v * 10 + (guint) (s[i] - '0');
  }
  if (v > max)
    return FALSE;
  *out = (guint) v;
  return TRUE;
}

static gboolean
token_eq (const gchar * tok, gsize n, const gchar * word)
{
  return strlen (word) == n && memcmp (tok, word, n) == 0;
}

/* RFC 4566 token-char */
static gboolean
is_token_char (guchar c)
{
  return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b ||
      c == 0x2d || c == 0x2e || (c >= 0x30 && c <= 0x39) ||
      (c >= 0x41 && c <= 0x5a) || (c >= 0x5e && c <= 0x7e);
}

static gboolean
is_token (const gchar * s, gsize n, gsize max_len)
{
  gsize i;

  if (n == 0 || n > max_len)
    return FALSE;
  for (i = 0; i < n; i++)
    if (!is_token_char (s[i]))
      return FALSE;
  return TRUE;
}

/* RFC 8839 ice-char: ALPHA / DIGIT / "+" / "/" */
static gboolean
is_ice_string (const gchar * s, gsize n)
{
  gsize i;

  if (n == 0 || n > RR_WHIP_MAX_ICE_LEN)
    return FALSE;
  for (i = 0; i < n; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '+' && s[i] != '/')
      return FALSE;
  return TRUE;
}

/* RFC 8851 rid-id: 1*(alpha-numeric / "-" / "_") */
static gboolean
is_rid_id (const gchar * s, gsize n)
{
  gsize i;

  if (n == 0 || n > RR_WHIP_MAX_ID_LEN)
    return FALSE;
  for (i = 0; i < n; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '-' && s[i] != '_')
      return FALSE;
  return TRUE;
}

static void
random_bytes (guint8 * buf, gsize n)
{
  gsize got = 0;

  while (got < n) {
    gssize r = getrandom (buf + got, n - got, 0);

    if (r < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    got += r;
  }
  /* only without getrandom() (ENOSYS): GLib's generator, seeded from
   * /dev/urandom */
  for (; got < n; got++)
    buf[got] = (guint8) g_random_int_range (0, 256);
}

/* ------------------------------------------------------------------ */
/* HTTP header helpers                                                 */

static gboolean
is_b64token_char (gchar c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '.' || c == '_' ||
      c == '~' || c == '+' || c == '/';
}

gchar *
rr_whip_bearer_token (const gchar * authorization)
{
  const gchar *p, *start, *end;

  if (authorization == NULL)
    return NULL;
  p = skip_blanks (authorization);
  if (g_ascii_strncasecmp (p, "Bearer", 6) != 0)
    return NULL;
  p += 6;
  if (*p != ' ')
    return NULL;
  while (*p == ' ')
    p++;
  start = p;
  while (is_b64token_char (*p))
    p++;
  if (p == start)
    return NULL;
  while (*p == '=')
    p++;
  end = p;
  p = skip_blanks (p);
  if (*p != '\0' || end - start > RR_WHIP_MAX_TOKEN_LEN)
    return NULL;
  return g_strndup (start, end - start);
}

gboolean
rr_whip_token_equal (const gchar * a, const gchar * b)
{
  gsize la, lb, i;
  volatile guint8 diff;

  if (a == NULL || b == NULL)
    return FALSE;
  la = strlen (a);
  lb = strlen (b);
  if (la == 0 || lb == 0)
    return FALSE;
  diff = la != lb;
  for (i = 0; i < la; i++)
    diff |= (guint8) a[i] ^ (guint8) b[i % lb];
  return diff == 0;
}

gboolean
rr_whip_content_type_is (const gchar * content_type, const gchar * mime)
{
  const gchar *p, *end;
  gsize n;

  if (content_type == NULL || mime == NULL || *mime == '\0')
    return FALSE;
  p = skip_blanks (content_type);
  end = strchr (p, ';');
  if (end == NULL)
    end = p + strlen (p);
  while (end > p && is_blank (end[-1]))
    end--;
  n = end - p;
  return n == strlen (mime) && g_ascii_strncasecmp (p, mime, n) == 0;
}

gchar *
rr_whip_etag_new (void)
{
  guint8 bytes[16];
  gchar *out = g_malloc (2 * sizeof (bytes) + 3);
  guint i;

  random_bytes (bytes, sizeof (bytes));
  out[0] = '"';
  for (i = 0; i < sizeof (bytes); i++) {
    out[1 + 2 * i] = "0123456789abcdef"[bytes[i] >> 4];
    out[2 + 2 * i] = "0123456789abcdef"[bytes[i] & 0xf];
  }
  out[1 + 2 * sizeof (bytes)] = '"';
  out[2 + 2 * sizeof (bytes)] = '\0';
  return out;
}

/* RFC 9110 etagc: %x21 / %x23-7E / obs-text */
static gboolean
is_etagc (guchar c)
{
  return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

gboolean
rr_whip_if_match_ok (const gchar * if_match, const gchar * etag)
{
  const gchar *p;
  gsize etag_len;
  gboolean matched = FALSE, any = FALSE;

  if (if_match == NULL)
    return TRUE;
  p = skip_blanks (if_match);
  if (*p == '*')
    return *skip_blanks (p + 1) == '\0';

  etag_len = etag ? strlen (etag) : 0;
  while (TRUE) {
    const gchar *start;
    gboolean weak = FALSE;

    /* empty list elements are allowed (RFC 9110 §5.6.1) */
    while (*p == ',' || is_blank (*p))
      p++;
    if (*p == '\0')
      break;
    if (p[0] == 'W' && p[1] == '/') {
      weak = TRUE;
      p += 2;
    }
    if (*p != '"')
      return FALSE;
    start = p++;
    while (*p != '"') {
      if (!is_etagc (*p))
        return FALSE;
      p++;
    }
    p++;
    any = TRUE;
    if (!weak && etag_len > 0 && (gsize) (p - start) == etag_len &&
        memcmp (start, etag, etag_len) == 0)
      matched = TRUE;
    p = skip_blanks (p);
    if (*p != ',' && *p != '\0')
      return FALSE;
  }
  return any && matched;
}

gboolean
rr_whip_ice_server_url_valid (const gchar * url)
{
  static const gchar *const schemes[] = { "stun:", "stuns:", "turn:",
    "turns:"
  };
  const gchar *p = NULL;
  guint i;

  if (url == NULL)
    return FALSE;
  for (i = 0; i < G_N_ELEMENTS (schemes) && p == NULL; i++)
    if (g_ascii_strncasecmp (url, schemes[i], strlen (schemes[i])) == 0)
      p = url + strlen (schemes[i]);
  if (p == NULL || *p == '\0' || strlen (url) > 1024)
    return FALSE;
  for (; *p; p++) {
    guchar c = *p;

    if (c <= 0x20 || c >= 0x7f || strchr ("<>\",;\\", c) != NULL)
      return FALSE;
  }
  return TRUE;
}

/* Appends @s as an HTTP quoted-string; FALSE (nothing appended) if it
 * has control characters. */
static gboolean
append_quoted (GString * out, const gchar * s)
{
  const gchar *p;

  for (p = s; *p; p++)
    if ((guchar) * p < 0x20 || *p == 0x7f)
      return FALSE;
  g_string_append_c (out, '"');
  for (p = s; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_c (out, '\\');
    g_string_append_c (out, *p);
  }
  g_string_append_c (out, '"');
  return TRUE;
}

gchar *
rr_whip_link_header_with_credentials (const gchar * const *ice_server_urls,
    const gchar * username, const gchar * credential)
{
  GString *out;
  guint i;

  if (ice_server_urls == NULL)
    return NULL;
  out = g_string_new (NULL);
  for (i = 0; ice_server_urls[i] != NULL; i++) {
    const gchar *url = ice_server_urls[i];

    if (!rr_whip_ice_server_url_valid (url))
      continue;
    if (out->len > 0)
      g_string_append (out, ", ");
    g_string_append_printf (out, "<%s>; rel=\"ice-server\"", url);
    if (username != NULL && credential != NULL &&
        g_ascii_strncasecmp (url, "turn", 4) == 0) {
      gsize mark = out->len;

      g_string_append (out, "; username=");
      if (!append_quoted (out, username)) {
        g_string_truncate (out, mark);
        continue;
      }
      g_string_append (out, "; credential=");
      if (!append_quoted (out, credential)) {
        g_string_truncate (out, mark);
        continue;
      }
      g_string_append (out, "; credential-type=\"password\"");
    }
  }
  if (out->len == 0) {
    g_string_free (out, TRUE);
    return NULL;
  }
  return g_string_free (out, FALSE);
}

gchar *
rr_whip_link_header (const gchar * const *ice_server_urls)
{
  return rr_whip_link_header_with_credentials (ice_server_urls, NULL, NULL);
}

const gchar *
rr_whip_cors_expose_headers (void)
{
  return "Location, ETag, Link, Accept-Post, Accept-Patch, "
      "Access-Control-Allow-Methods";
}

const gchar *
rr_whip_cors_allow_headers (void)
{
  return "Authorization, Content-Type, If-Match";
}

const gchar *
rr_whip_allowed_methods_endpoint (void)
{
  return "POST, OPTIONS";
}

const gchar *
rr_whip_allowed_methods_session (void)
{
  return "PATCH, DELETE, OPTIONS";
}

/* ------------------------------------------------------------------ */
/* Resource paths                                                      */

static gboolean
is_session_id (const gchar * s)
{
  gsize n = strlen (s), i;

  if (n == 0 || n > 64)
    return FALSE;
  for (i = 0; i < n; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '_' && s[i] != '-')
      return FALSE;
  return TRUE;
}

gboolean
rr_whip_parse_session_path (const gchar * endpoint_path,
    const gchar * request_path, gchar ** session_id)
{
  gsize base_len;
  const gchar *rest;

  if (session_id != NULL)
    *session_id = NULL;
  if (endpoint_path == NULL || request_path == NULL ||
      endpoint_path[0] != '/' || request_path[0] != '/')
    return FALSE;
  if (strcmp (request_path, endpoint_path) == 0)
    return TRUE;
  base_len = strlen (endpoint_path);
  while (base_len > 0 && endpoint_path[base_len - 1] == '/')
    base_len--;
  if (strncmp (request_path, endpoint_path, base_len) != 0)
    return FALSE;
  rest = request_path + base_len;
  if (*rest == '\0')
    return base_len > 0;
  if (*rest != '/' || !is_session_id (rest + 1))
    return FALSE;
  if (session_id != NULL)
    *session_id = g_strdup (rest + 1);
  return TRUE;
}

gchar *
rr_whip_session_id_new (void)
{
  static const gchar alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  guint8 bytes[16];
  gchar *out = g_malloc (23);
  guint i, bit;

  random_bytes (bytes, sizeof (bytes));
  for (i = 0, bit = 0; i < 22; i++, bit += 6) {
    guint byte = bit / 8, shift = bit % 8;
    guint v = bytes[byte] << 8;

    if (byte + 1 < sizeof (bytes))
      v |= bytes[byte + 1];
    out[i] = alphabet[(v >> (10 - shift)) & 0x3f];
  }
  out[22] = '\0';
  return out;
}

/* ------------------------------------------------------------------ */
/* Lines of an SDP or SDP fragment                                     */

typedef struct
{
  const gchar *p;
  const gchar *end;
  guint lineno;                 /* of the line last returned, from 1 */
} LineIter;

/* The next line without its LF or CR LF; FALSE at the end. */
static gboolean
line_next (LineIter * it, const gchar ** line, gsize * line_len)
{
  const gchar *nl;
  gsize n;

  if (it->p >= it->end)
    return FALSE;
  nl = memchr (it->p, '\n', it->end - it->p);
  n = nl ? (gsize) (nl - it->p) : (gsize) (it->end - it->p);
  *line = it->p;
  it->p = nl ? nl + 1 : it->end;
  if (n > 0 && (*line)[n - 1] == '\r')
    n--;
  *line_len = n;
  it->lineno++;
  return TRUE;
}

/* An empty line, or "<letter>=<value>" of printable characters (and
 * tabs), at most RR_WHIP_MAX_LINE_LEN bytes. */
static gboolean
check_line (const gchar * line, gsize n, guint lineno, const gchar * what,
    GError ** error)
{
  gsize i;

  if (n > RR_WHIP_MAX_LINE_LEN) {
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
        "line %u of the %s is longer than %u bytes", lineno, what,
        RR_WHIP_MAX_LINE_LEN);
    return FALSE;
  }
  for (i = 0; i < n; i++) {
    guchar c = line[i];

    if (c == '\0') {
      g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
          "line %u of the %s contains a NUL byte", lineno, what);
      return FALSE;
    }
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
          "line %u of the %s contains the control character 0x%02x",
          lineno, what, c);
      return FALSE;
    }
  }
  if (n > 0 && (n < 2 || line[0] < 'a' || line[0] > 'z' || line[1] != '=')) {
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
        "line %u of the %s is not of the form <type>=<value>", lineno, what);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_utf8 (const gchar * text, gsize len, const gchar * what, GError ** error)
{
  if (!g_utf8_validate_len (text, len, NULL)) {
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
        "the %s is not valid UTF-8", what);
    return FALSE;
  }
  return TRUE;
}

/* m=<media> <port>[/<number>] <proto> <fmt> ... (@v is after "m=") */
static gboolean
mline_well_formed (const gchar * v, gsize n)
{
  const gchar *p = v, *end = v + n, *tok, *slash;
  gsize tl, i;
  guint port, count;

  if (!next_token (&p, end, &tok, &tl) || !is_token (tok, tl, 32))
    return FALSE;
  if (!next_token (&p, end, &tok, &tl))
    return FALSE;
  slash = memchr (tok, '/', tl);
  if (slash != NULL) {
    if (!parse_uint (slash + 1, tok + tl - slash - 1, 65535, &count))
      return FALSE;
    tl = slash - tok;
  }
  if (!parse_uint (tok, tl, 65535, &port))
    return FALSE;
  /* proto: token *("/" token) */
  if (!next_token (&p, end, &tok, &tl) || tl > 64)
    return FALSE;
  for (i = 0; i < tl; i++)
    if (!is_token_char (tok[i]) && !(tok[i] == '/' && i > 0 && i + 1 < tl &&
            tok[i + 1] != '/'))
      return FALSE;
  return next_token (&p, end, &tok, &tl);
}

/* ------------------------------------------------------------------ */
/* The SDP offer                                                       */

/* GstSDPMessage keeps the blanks around attribute keys and values: compare
 * and read them without. */
static gboolean
attr_is (const GstSDPAttribute * a, const gchar * key)
{
  const gchar *k = a->key;
  gsize n = strlen (key);

  if (k == NULL)
    return FALSE;
  k = skip_blanks (k);
  if (strncmp (k, key, n) != 0)
    return FALSE;
  return *skip_blanks (k + n) == '\0';
}

static const gchar *
attr_value (const GstSDPAttribute * a)
{
  return a->value ? skip_blanks (a->value) : "";
}

static const gchar *
media_attr (const GstSDPMedia * m, const gchar * key)
{
  guint i, n = gst_sdp_media_attributes_len (m);

  for (i = 0; i < n; i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, i);

    if (attr_is (a, key))
      return attr_value (a);
  }
  return NULL;
}

static const gchar *
session_attr (const GstSDPMessage * msg, const gchar * key)
{
  guint i, n = gst_sdp_message_attributes_len (msg);

  for (i = 0; i < n; i++) {
    const GstSDPAttribute *a = gst_sdp_message_get_attribute (msg, i);

    if (attr_is (a, key))
      return attr_value (a);
  }
  return NULL;
}

/* media level, else session level */
static const gchar *
either_attr (const GstSDPMessage * msg, const GstSDPMedia * m,
    const gchar * key)
{
  const gchar *v = media_attr (m, key);

  return v ? v : session_attr (msg, key);
}

static void
codec_clear (gpointer data)
{
  RrWhipCodec *c = data;

  g_free (c->encoding_name);
  g_free (c->fmtp);
}

static void
rid_clear (gpointer data)
{
  RrWhipRid *r = data;

  g_free (r->rid);
}

static void
media_clear (gpointer data)
{
  RrWhipMedia *m = data;
  guint i;

  g_free (m->mid);
  g_free (m->ice_ufrag);
  g_free (m->ice_pwd);
  g_free (m->setup);
  g_free (m->fingerprint);
  for (i = 0; i < m->n_codecs; i++)
    codec_clear (&m->codecs[i]);
  g_free (m->codecs);
  for (i = 0; i < m->n_rids; i++)
    rid_clear (&m->rids[i]);
  g_free (m->rids);
}

void
rr_whip_offer_free (RrWhipOffer * offer)
{
  guint i;

  if (offer == NULL)
    return;
  if (offer->sdp)
    gst_sdp_message_free (offer->sdp);
  for (i = 0; i < offer->n_media; i++)
    media_clear (&offer->media[i]);
  g_free (offer->media);
  g_free (offer);
}

/* The leading payload type of an rtpmap/fmtp/rtcp-fb value: -2 for "*",
 * -1 when malformed; *rest is after it and its blanks. */
static gint
leading_pt (const gchar * v, const gchar ** rest)
{
  const gchar *p = v;
  guint pt;

  if (*p == '*') {
    *rest = skip_blanks (p + 1);
    return -2;
  }
  while (g_ascii_isdigit (*p))
    p++;
  if (!parse_uint (v, p - v, 127, &pt) || (*p != '\0' && !is_blank (*p)))
    return -1;
  *rest = skip_blanks (p);
  return (gint) pt;
}

static gboolean
is_redundancy_codec (const gchar * name)
{
  static const gchar *const names[] = { "RTX", "RED", "ULPFEC", "CN",
    "TELEPHONE-EVENT"
  };
  guint i;

  if (g_ascii_strncasecmp (name, "FLEXFEC", 7) == 0)
    return TRUE;
  for (i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (name, names[i]) == 0)
      return TRUE;
  return FALSE;
}

/* "<name>/<rate>[/<channels>]" after the payload type of an rtpmap */
static gboolean
parse_rtpmap (const gchar * v, gchar ** name, guint * rate, guint * channels)
{
  const gchar *slash1, *slash2, *end;

  end = v + strlen (v);
  while (end > v && is_blank (end[-1]))
    end--;
  slash1 = memchr (v, '/', end - v);
  if (slash1 == NULL || !is_token (v, slash1 - v, 64))
    return FALSE;
  slash2 = memchr (slash1 + 1, '/', end - slash1 - 1);
  if (!parse_uint (slash1 + 1, (slash2 ? slash2 : end) - slash1 - 1,
          G_MAXINT32, rate) || *rate == 0)
    return FALSE;
  *channels = 0;
  if (slash2 && !parse_uint (slash2 + 1, end - slash2 - 1, 255, channels))
    return FALSE;
  *name = g_ascii_strup (v, slash1 - v);
  return TRUE;
}

static const gchar *
kind_name (RrWhipKind kind)
{
  return kind == RR_WHIP_KIND_AUDIO ? "audio" : "video";
}

/* Fills @out->codecs from the formats of @m. */
static gboolean
parse_codecs (const GstSDPMedia * m, guint idx, RrWhipMedia * out,
    GError ** error)
{
  GArray *codecs = g_array_new (FALSE, TRUE, sizeof (RrWhipCodec));
  guint i, j, n_fmt = gst_sdp_media_formats_len (m);
  guint n_attr = gst_sdp_media_attributes_len (m);
  guint8 seen[128] = { 0 };

  g_array_set_clear_func (codecs, codec_clear);
  for (i = 0; i < n_fmt; i++) {
    const gchar *fmt = gst_sdp_media_get_format (m, i);
    RrWhipCodec c = { 0 };
    gboolean have_map = FALSE;
    guint pt;

    if (fmt == NULL || *fmt == '\0')
      continue;
    if (!parse_uint (fmt, strlen (fmt), 127, &pt)) {
      g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
          "m-line %u (%s) lists the payload type \"%.16s\"; payload types "
          "are numbers from 0 to 127", idx, kind_name (out->kind), fmt);
      goto fail;
    }
    if (seen[pt]) {
      g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
          "m-line %u (%s) lists the payload type %u twice", idx,
          kind_name (out->kind), pt);
      goto fail;
    }
    seen[pt] = 1;
    c.pt = pt;

    for (j = 0; j < n_attr; j++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, j);
      const gchar *rest;
      gint apt;

      if (attr_is (a, "rtpmap")) {
        if (have_map || leading_pt (attr_value (a), &rest) != (gint) pt)
          continue;
        if (!parse_rtpmap (rest, &c.encoding_name, &c.clock_rate, &c.channels)) {
          codec_clear (&c);
          g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
              "m-line %u (%s): malformed a=rtpmap for payload type %u "
              "(expected \"a=rtpmap:%u <name>/<clock rate>[/<channels>]\")",
              idx, kind_name (out->kind), pt, pt);
          goto fail;
        }
        have_map = TRUE;
      } else if (attr_is (a, "fmtp")) {
        if (c.fmtp != NULL || leading_pt (attr_value (a), &rest) != (gint) pt)
          continue;
        c.fmtp = strdup_trim (rest);
        if (*c.fmtp == '\0')
          g_clear_pointer (&c.fmtp, g_free);
      } else if (attr_is (a, "rtcp-fb")) {
        const gchar *end;
        gsize n;

        apt = leading_pt (attr_value (a), &rest);
        if (apt != -2 && apt != (gint) pt)
          continue;
        end = rest + strlen (rest);
        while (end > rest && is_blank (end[-1]))
          end--;
        n = end - rest;
        if (token_eq (rest, n, "nack"))
          c.nack = TRUE;
        else if (token_eq (rest, n, "nack pli"))
          c.nack_pli = TRUE;
        else if (token_eq (rest, n, "ccm fir"))
          c.ccm_fir = TRUE;
        else if (token_eq (rest, n, "transport-cc"))
          c.transport_cc = TRUE;
        else if (token_eq (rest, n, "goog-remb"))
          c.goog_remb = TRUE;
      }
    }
    if (!have_map) {
      /* static payload types of RFC 3551 that WebRTC audio uses */
      if (out->kind == RR_WHIP_KIND_AUDIO && (pt == 0 || pt == 8 || pt == 9)) {
        c.encoding_name = g_strdup (pt == 0 ? "PCMU" : pt == 8 ? "PCMA" :
            "G722");
        c.clock_rate = 8000;
        c.channels = 1;
      } else {
        g_free (c.fmtp);
        continue;
      }
    }
    if (is_redundancy_codec (c.encoding_name)) {
      codec_clear (&c);
      continue;
    }
    if (c.transport_cc)
      out->transport_cc = TRUE;
    if (c.goog_remb)
      out->goog_remb = TRUE;
    g_array_append_val (codecs, c);
  }
  if (codecs->len == 0) {
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_UNSUPPORTED,
        "m-line %u (%s) offers no codec to record (only retransmission or "
        "error correction formats, or payload types without a=rtpmap)",
        idx, kind_name (out->kind));
    goto fail;
  }
  out->n_codecs = codecs->len;
  out->codecs = (RrWhipCodec *) g_array_free (codecs, FALSE);
  return TRUE;

fail:
  g_array_free (codecs, TRUE);
  return FALSE;
}

/* a=extmap:<id>[/<direction>] <uri> [<attributes>] */
static gboolean
parse_extmaps (const GstSDPMedia * m, guint idx, RrWhipMedia * out,
    GError ** error)
{
  guint i, n = gst_sdp_media_attributes_len (m);

  for (i = 0; i < n; i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, i);
    const gchar *v, *p, *end, *tok, *slash;
    gsize tl;
    guint id;

    if (!attr_is (a, "extmap"))
      continue;
    v = attr_value (a);
    p = v;
    end = v + strlen (v);
    if (!next_token (&p, end, &tok, &tl))
      goto bad;
    slash = memchr (tok, '/', tl);
    if (!parse_uint (tok, slash ? (gsize) (slash - tok) : tl, 255, &id) ||
        id == 0)
      goto bad;
    if (!next_token (&p, end, &tok, &tl))
      goto bad;
    if (token_eq (tok, tl, RR_WHIP_EXT_TWCC))
      out->twcc_ext_id = id;
    else if (token_eq (tok, tl, RR_WHIP_EXT_ABS_SEND_TIME))
      out->abs_send_time_ext_id = id;
    else if (token_eq (tok, tl, RR_WHIP_EXT_MID))
      out->mid_ext_id = id;
    else if (token_eq (tok, tl, RR_WHIP_EXT_RID))
      out->rid_ext_id = id;
    else if (token_eq (tok, tl, RR_WHIP_EXT_REPAIRED_RID))
      out->repaired_rid_ext_id = id;
    continue;
  bad:
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
        "m-line %u (%s): malformed a=extmap \"%.64s\" (expected "
        "\"a=extmap:<1-255> <URI>\")", idx, kind_name (out->kind), v);
    return FALSE;
  }
  return TRUE;
}

static gint
find_rid (GArray * rids, const gchar * id, gsize n)
{
  guint i;

  for (i = 0; i < rids->len; i++) {
    const gchar *r = g_array_index (rids, RrWhipRid, i).rid;

    if (strlen (r) == n && memcmp (r, id, n) == 0)
      return i;
  }
  return -1;
}

/* "max-width=1280;max-height=720" of an a=rid line */
static void
parse_rid_params (const gchar * p, RrWhipRid * r)
{
  gchar **params = g_strsplit (p, ";", 64);
  guint i;

  for (i = 0; params[i] != NULL; i++) {
    gchar *kv = g_strstrip (params[i]);
    gchar *eq = strchr (kv, '=');
    guint *field = NULL;
    guint v;

    if (eq == NULL)
      continue;
    *eq = '\0';
    g_strstrip (kv);
    if (strcmp (kv, "max-width") == 0)
      field = &r->max_width;
    else if (strcmp (kv, "max-height") == 0)
      field = &r->max_height;
    else if (strcmp (kv, "max-fps") == 0)
      field = &r->max_fps;
    else if (strcmp (kv, "max-br") == 0)
      field = &r->max_br;
    if (field != NULL) {
      const gchar *val = g_strstrip (eq + 1);

      /* max-fps may have a fraction; keep the integer part */
      gsize digits = strspn (val, "0123456789");
      if (parse_uint (val, digits, G_MAXINT32, &v))
        *field = v;
    }
  }
  g_strfreev (params);
}

/* a=rid:<id> send [<params>] lines, then a=simulcast:send <list> */
static gboolean
parse_simulcast (const GstSDPMedia * m, guint idx, RrWhipMedia * out,
    GError ** error)
{
  GArray *declared = g_array_new (FALSE, TRUE, sizeof (RrWhipRid));
  GArray *result = NULL;
  guint i, n = gst_sdp_media_attributes_len (m);
  const gchar *sim = NULL;
  const gchar *kind = kind_name (out->kind);

  g_array_set_clear_func (declared, rid_clear);
  for (i = 0; i < n; i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, i);
    const gchar *v, *p, *end, *id, *dir;
    gsize idl, dirl;
    RrWhipRid r = { 0 };

    if (attr_is (a, "simulcast")) {
      if (sim == NULL)
        sim = attr_value (a);
      continue;
    }
    if (!attr_is (a, "rid"))
      continue;
    v = p = attr_value (a);
    end = v + strlen (v);
    if (!next_token (&p, end, &id, &idl) || !is_rid_id (id, idl) ||
        !next_token (&p, end, &dir, &dirl) ||
        !(token_eq (dir, dirl, "send") || token_eq (dir, dirl, "recv"))) {
      g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
          "m-line %u (%s): malformed a=rid \"%.64s\" (expected "
          "\"a=rid:<id> send [<restrictions>]\", id of at most %u letters, "
          "digits, \"-\" or \"_\")", idx, kind, v, RR_WHIP_MAX_ID_LEN);
      goto fail;
    }
    if (!token_eq (dir, dirl, "send"))
      continue;
    if (find_rid (declared, id, idl) >= 0) {
      g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
          "m-line %u (%s) declares the rid \"%.*s\" twice", idx, kind,
          (int) idl, id);
      goto fail;
    }
    if (declared->len >= RR_WHIP_MAX_RIDS) {
      g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_UNSUPPORTED,
          "m-line %u (%s) offers more than %u simulcast layers", idx, kind,
          RR_WHIP_MAX_RIDS);
      goto fail;
    }
    r.rid = g_strndup (id, idl);
    parse_rid_params (skip_blanks (p), &r);
    g_array_append_val (declared, r);
  }

  if (sim != NULL) {
    const gchar *p = sim, *end = sim + strlen (sim), *tok, *list = NULL;
    gsize tl, list_len = 0;

    /* send <list> [recv <list>] | recv <list> [send <list>] */
    while (next_token (&p, end, &tok, &tl)) {
      gboolean send = token_eq (tok, tl, "send");
      const gchar *l;
      gsize ll;

      if (!send && !token_eq (tok, tl, "recv"))
        goto bad_simulcast;
      if (!next_token (&p, end, &l, &ll))
        goto bad_simulcast;
      /* the draft syntax Firefox used: "send rid=a;b;c" */
      if (ll > 4 && memcmp (l, "rid=", 4) == 0) {
        l += 4;
        ll -= 4;
      }
      if (send) {
        if (list != NULL)
          goto bad_simulcast;
        list = l;
        list_len = ll;
      }
    }
    if (list != NULL) {
      const gchar *q = list, *lend = list + list_len;
      guint stream = 0;

      result = g_array_new (FALSE, TRUE, sizeof (RrWhipRid));
      g_array_set_clear_func (result, rid_clear);
      while (q <= lend) {
        const gchar *item = q;
        gsize il;
        gboolean paused = FALSE;
        gint at;
        RrWhipRid r;

        while (q < lend && *q != ';' && *q != ',')
          q++;
        il = q - item;
        if (il > 0 && item[0] == '~') {
          paused = TRUE;
          item++;
          il--;
        }
        if (!is_rid_id (item, il))
          goto bad_simulcast;
        at = find_rid (declared, item, il);
        if (at < 0) {
          g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
              "m-line %u (%s): a=simulcast names the rid \"%.*s\" that has "
              "no \"a=rid:%.*s send\" line (RFC 8853)", idx, kind,
              (int) il, item, (int) il, item);
          goto fail;
        }
        if (find_rid (result, item, il) >= 0) {
          g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
              "m-line %u (%s): a=simulcast names the rid \"%.*s\" twice",
              idx, kind, (int) il, item);
          goto fail;
        }
        r = g_array_index (declared, RrWhipRid, at);
        r.rid = g_strdup (r.rid);
        r.paused = paused;
        r.stream = stream;
        g_array_append_val (result, r);
        if (q < lend && *q == ';')
          stream++;
        q++;
      }
      g_array_free (declared, TRUE);
      declared = NULL;
    }
  }
  if (result == NULL) {
    result = declared;
    declared = NULL;
  }
  out->n_rids = result->len;
  out->rids = (RrWhipRid *) g_array_free (result, FALSE);
  return TRUE;

bad_simulcast:
  g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
      "m-line %u (%s): malformed a=simulcast \"%.64s\" (expected "
      "\"a=simulcast:send <rid>;<rid>...\", \"~\" before a paused rid)",
      idx, kind, sim);
fail:
  if (declared)
    g_array_free (declared, TRUE);
  if (result)
    g_array_free (result, TRUE);
  return FALSE;
}

/* "<hash-function> XX:XX:..." (RFC 8122 §5) */
static gboolean
fingerprint_valid (const gchar * v)
{
  const gchar *p = v, *end = v + strlen (v), *tok;
  gsize tl, i;

  if (!next_token (&p, end, &tok, &tl) || !is_token (tok, tl, 16))
    return FALSE;
  if (!next_token (&p, end, &tok, &tl) || tl < 2 || (tl + 1) % 3 != 0)
    return FALSE;
  for (i = 0; i < tl; i++) {
    if (i % 3 == 2 ? tok[i] != ':' : !g_ascii_isxdigit (tok[i]))
      return FALSE;
  }
  return !next_token (&p, end, &tok, &tl);
}

/* A copy of the first blank-separated word of @v, if it is the whole
 * value. */
static gchar *
single_word (const gchar * v)
{
  gchar *w = strdup_trim (v);

  if (*w == '\0' || strpbrk (w, " \t") != NULL)
    g_clear_pointer (&w, g_free);
  return w;
}

static gboolean
has_ice_option (const gchar * v, const gchar * option)
{
  const gchar *p = v, *end, *tok;
  gsize tl;

  if (v == NULL)
    return FALSE;
  end = v + strlen (v);
  /* space-separated (RFC 8839 §5.6); libdatachannel uses commas */
  while (next_token (&p, end, &tok, &tl)) {
    const gchar *t = tok, *tend = tok + tl;

    while (t < tend) {
      const gchar *comma = memchr (t, ',', tend - t);
      const gchar *e = comma ? comma : tend;

      if (token_eq (t, e - t, option))
        return TRUE;
      t = e + 1;
    }
  }
  return FALSE;
}

/* The direction of @m; NULL when it has none (sendrecv by default). */
static const gchar *
direction_of (const GstSDPMedia * m)
{
  static const gchar *const dirs[] = { "sendonly", "sendrecv", "recvonly",
    "inactive"
  };
  guint i, j, n = gst_sdp_media_attributes_len (m);

  for (i = 0; i < n; i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, i);

    for (j = 0; j < G_N_ELEMENTS (dirs); j++)
      if (attr_is (a, dirs[j]))
        return dirs[j];
  }
  return NULL;
}

static const gchar *
session_direction (const GstSDPMessage * msg)
{
  static const gchar *const dirs[] = { "sendonly", "sendrecv", "recvonly",
    "inactive"
  };
  guint i, j, n = gst_sdp_message_attributes_len (msg);

  for (i = 0; i < n; i++) {
    const GstSDPAttribute *a = gst_sdp_message_get_attribute (msg, i);

    for (j = 0; j < G_N_ELEMENTS (dirs); j++)
      if (attr_is (a, dirs[j]))
        return dirs[j];
  }
  return NULL;
}

/* Everything about one sending audio/video m= line. */
static gboolean
parse_media (const GstSDPMessage * msg, const GstSDPMedia * m, guint idx,
    RrWhipKind kind, GPtrArray * mids, RrWhipMedia * out, GError ** error)
{
  const gchar *kn = kind_name (kind);
  const gchar *proto = gst_sdp_media_get_proto (m);
  const gchar *v, *dir;
  guint i;

  out->mline = idx;
  out->kind = kind;

  if (proto == NULL || (g_ascii_strcasecmp (proto, "UDP/TLS/RTP/SAVPF") != 0
          && g_ascii_strcasecmp (proto, "UDP/TLS/RTP/SAVP") != 0)) {
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_UNSUPPORTED,
        "m-line %u (%s) uses the transport \"%.32s\"; WebRTC media uses "
        "UDP/TLS/RTP/SAVPF (DTLS-SRTP)", idx, kn, proto ? proto : "");
    return FALSE;
  }

  v = media_attr (m, "mid");
  out->mid = v ? strdup_trim (v) : NULL;
  if (out->mid == NULL || !is_token (out->mid, strlen (out->mid),
          RR_WHIP_MAX_ID_LEN)) {
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
        "m-line %u (%s) has %s a=mid; every m-line of a WHIP offer needs "
        "one for BUNDLE (RFC 9725 §4.4.1), a token of at most %u "
        "characters", idx, kn, out->mid ? "a malformed" : "no",
        RR_WHIP_MAX_ID_LEN);
    return FALSE;
  }
  for (i = 0; i < mids->len; i++) {
    if (strcmp (g_ptr_array_index (mids, i), out->mid) == 0) {
      g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
          "m-line %u (%s) repeats the a=mid \"%s\" of an earlier m-line",
          idx, kn, out->mid);
      return FALSE;
    }
  }
  g_ptr_array_add (mids, out->mid);

  dir = direction_of (m);
  if (dir == NULL)
    dir = session_direction (msg);
  if (dir != NULL && strcmp (dir, "sendonly") != 0 &&
      strcmp (dir, "sendrecv") != 0) {
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_UNSUPPORTED,
        "m-line %u (%s, mid \"%s\") is %s: the offer does not send media; "
        "a WHIP client offers sendonly (RFC 9725 §4.2)", idx, kn, out->mid,
        dir);
    return FALSE;
  }
  out->sendrecv = dir == NULL || strcmp (dir, "sendrecv") == 0;

  v = either_attr (msg, m, "ice-ufrag");
  out->ice_ufrag = v ? single_word (v) : NULL;
  if (out->ice_ufrag == NULL || !is_ice_string (out->ice_ufrag,
          strlen (out->ice_ufrag))) {
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
        "m-line %u (%s, mid \"%s\") has %s a=ice-ufrag (session or media "
        "level; 1-%u letters, digits, \"+\" or \"/\")", idx, kn, out->mid,
        v ? "a malformed" : "no", RR_WHIP_MAX_ICE_LEN);
    return FALSE;
  }
  v = either_attr (msg, m, "ice-pwd");
  out->ice_pwd = v ? single_word (v) : NULL;
  if (out->ice_pwd == NULL || !is_ice_string (out->ice_pwd,
          strlen (out->ice_pwd))) {
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
        "m-line %u (%s, mid \"%s\") has %s a=ice-pwd (session or media "
        "level; 1-%u letters, digits, \"+\" or \"/\")", idx, kn, out->mid,
        v ? "a malformed" : "no", RR_WHIP_MAX_ICE_LEN);
    return FALSE;
  }

  v = either_attr (msg, m, "fingerprint");
  if (v == NULL || !fingerprint_valid (v)) {
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
        "m-line %u (%s, mid \"%s\") has %s DTLS a=fingerprint (expected "
        "\"a=fingerprint:sha-256 AB:CD:...\" at session or media level)",
        idx, kn, out->mid, v ? "a malformed" : "no");
    return FALSE;
  }
  out->fingerprint = strdup_trim (v);

  v = either_attr (msg, m, "setup");
  out->setup = v ? single_word (v) : NULL;
  if (out->setup == NULL || (strcmp (out->setup, "actpass") != 0 &&
          strcmp (out->setup, "active") != 0 &&
          strcmp (out->setup, "passive") != 0)) {
    gboolean holdconn = out->setup && strcmp (out->setup, "holdconn") == 0;

    g_set_error (error, RR_WHIP_ERROR, holdconn ? RR_WHIP_ERROR_UNSUPPORTED :
        RR_WHIP_ERROR_MALFORMED,
        "m-line %u (%s, mid \"%s\") has %s a=setup; a WHIP offer uses "
        "a=setup:actpass (or active) (RFC 9725 §4.4.4)", idx, kn, out->mid,
        holdconn ? "the unsupported" : v ? "a malformed" : "no");
    return FALSE;
  }

  if (!parse_codecs (m, idx, out, error) ||
      !parse_extmaps (m, idx, out, error) ||
      !parse_simulcast (m, idx, out, error))
    return FALSE;
  return TRUE;
}

/* Line structure, "v=0" first, m= lines well-formed and not too many. */
static gboolean
prescan_offer (const gchar * sdp, gsize len, GError ** error)
{
  LineIter it = { sdp, sdp + len, 0 };
  const gchar *line;
  gsize n;
  guint n_m = 0;

  while (line_next (&it, &line, &n)) {
    if (it.lineno == 1 && !(n == 3 && memcmp (line, "v=0", 3) == 0)) {
      g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
          "the body is not an SDP offer: it must start with the line "
          "\"v=0\"");
      return FALSE;
    }
    if (!check_line (line, n, it.lineno, "offer", error))
      return FALSE;
    if (n > 0 && line[0] == 'm') {
      if (!mline_well_formed (line + 2, n - 2)) {
        g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
            "line %u of the offer is a malformed m= line (expected "
            "\"m=<media> <port> <proto> <fmt> ...\")", it.lineno);
        return FALSE;
      }
      if (++n_m > RR_WHIP_MAX_MLINES) {
        g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_UNSUPPORTED,
            "the offer has more than %u m-lines; a WHIP session carries at "
            "most one audio and one video track (RFC 9725 §4.4.2)",
            RR_WHIP_MAX_MLINES);
        return FALSE;
      }
    }
  }
  return check_utf8 (sdp, len, "offer", error);
}

static RrWhipOffer *
offer_parse (const gchar * sdp, gsize len, gsize max_len, GError ** error)
{
  RrWhipOffer *offer;
  GArray *media;
  GPtrArray *mids;
  guint i, n_m, n_kind[2] = { 0, 0 };

  if (len > max_len || len > G_MAXUINT) {
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_TOO_LARGE,
        "the offer is %" G_GSIZE_FORMAT " bytes; this endpoint takes at "
        "most %" G_GSIZE_FORMAT, len, MIN (max_len, (gsize) G_MAXUINT));
    return NULL;
  }
  if (sdp == NULL || len == 0) {
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
        "the request body is empty; POST an SDP offer (Content-Type: "
        "application/sdp)");
    return NULL;
  }
  if (!prescan_offer (sdp, len, error))
    return NULL;

  offer = g_new0 (RrWhipOffer, 1);
  if (gst_sdp_message_new (&offer->sdp) != GST_SDP_OK ||
      gst_sdp_message_parse_buffer ((const guint8 *) sdp, (guint) len,
          offer->sdp) != GST_SDP_OK) {
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
        "the SDP offer could not be parsed");
    rr_whip_offer_free (offer);
    return NULL;
  }

  n_m = gst_sdp_message_medias_len (offer->sdp);
  offer->n_mlines = n_m;
  if (n_m == 0) {
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_UNSUPPORTED,
        "the offer has no m= line; a WHIP client offers the audio and/or "
        "video track it sends");
    rr_whip_offer_free (offer);
    return NULL;
  }

  /* the shape first: kinds and counts of the m= lines that are used */
  for (i = 0; i < n_m; i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (offer->sdp, i);
    const gchar *kind = gst_sdp_media_get_media (m);

    if (gst_sdp_media_get_port (m) == 0 && !media_attr (m, "bundle-only"))
      continue;
    if (kind == NULL)
      kind = "";
    if (strcmp (kind, "audio") == 0) {
      n_kind[RR_WHIP_KIND_AUDIO]++;
    } else if (strcmp (kind, "video") == 0) {
      n_kind[RR_WHIP_KIND_VIDEO]++;
    } else {
      if (strcmp (kind, "application") == 0)
        g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_UNSUPPORTED,
            "m-line %u is a data channel (m=application); a WHIP session "
            "carries only one audio and one video track (RFC 9725 §4.4.2): "
            "publish without a data channel", i);
      else
        g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_UNSUPPORTED,
            "m-line %u has the media \"%.32s\"; a WHIP session carries only "
            "audio and video (RFC 9725 §4.4.2)", i, kind);
      rr_whip_offer_free (offer);
      return NULL;
    }
  }
  for (i = 0; i < 2; i++) {
    if (n_kind[i] > 1) {
      g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_UNSUPPORTED,
          "the offer has %u %s m-lines; a WHIP session carries at most one "
          "audio and one video track (RFC 9725 §4.4.2)", n_kind[i],
          kind_name (i));
      rr_whip_offer_free (offer);
      return NULL;
    }
  }
  if (n_kind[0] + n_kind[1] == 0) {
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_UNSUPPORTED,
        "every m-line of the offer is rejected (port 0); a WHIP client "
        "offers the audio and/or video track it sends");
    rr_whip_offer_free (offer);
    return NULL;
  }
  offer->n_audio = n_kind[RR_WHIP_KIND_AUDIO];
  offer->n_video = n_kind[RR_WHIP_KIND_VIDEO];

  media = g_array_new (FALSE, TRUE, sizeof (RrWhipMedia));
  g_array_set_clear_func (media, media_clear);
  mids = g_ptr_array_new ();
  for (i = 0; i < n_m; i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (offer->sdp, i);
    RrWhipMedia out = { 0 };
    RrWhipKind kind;

    if (gst_sdp_media_get_port (m) == 0 && !media_attr (m, "bundle-only"))
      continue;
    kind = strcmp (gst_sdp_media_get_media (m), "audio") == 0 ?
        RR_WHIP_KIND_AUDIO : RR_WHIP_KIND_VIDEO;
    if (!parse_media (offer->sdp, m, i, kind, mids, &out, error)) {
      media_clear (&out);
      g_ptr_array_free (mids, TRUE);
      g_array_free (media, TRUE);
      rr_whip_offer_free (offer);
      return NULL;
    }
    if (has_ice_option (either_attr (offer->sdp, m, "ice-options"), "trickle"))
      offer->trickle = TRUE;
    g_array_append_val (media, out);
  }
  g_ptr_array_free (mids, TRUE);
  offer->n_media = media->len;
  offer->media = (RrWhipMedia *) g_array_free (media, FALSE);
  return offer;
}

/* Messages quote excerpts of the offer, cut at a byte count: keep them
 * UTF-8 (they end up in JSON and logs). */
static void
make_message_valid (GError * err)
{
  if (!g_utf8_validate (err->message, -1, NULL)) {
    gchar *m = g_utf8_make_valid (err->message, -1);

    g_free (err->message);
    err->message = m;
  }
}

RrWhipOffer *
rr_whip_offer_parse (const gchar * sdp, gsize len, gsize max_len,
    guint * http_status, GError ** error)
{
  GError *err = NULL;
  RrWhipOffer *offer = offer_parse (sdp, len, max_len, &err);

  if (http_status != NULL)
    *http_status = offer ? 0 : rr_whip_error_http_status (err);
  if (err != NULL) {
    make_message_valid (err);
    g_propagate_error (error, err);
  }
  return offer;
}

const RrWhipMedia *
rr_whip_offer_get_media (const RrWhipOffer * offer, RrWhipKind kind)
{
  guint i;

  if (offer == NULL)
    return NULL;
  for (i = 0; i < offer->n_media; i++)
    if (offer->media[i].kind == kind)
      return &offer->media[i];
  return NULL;
}

gboolean
rr_whip_offer_has_codec (const RrWhipOffer * offer, const gchar * encoding_name)
{
  guint i, j;

  if (offer == NULL || encoding_name == NULL)
    return FALSE;
  for (i = 0; i < offer->n_media; i++)
    for (j = 0; j < offer->media[i].n_codecs; j++)
      if (g_ascii_strcasecmp (offer->media[i].codecs[j].encoding_name,
              encoding_name) == 0)
        return TRUE;
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* The highest simulcast layer                                         */

typedef struct
{
  const gchar *name;
  gint rank;
} RidName;

static const RidName qhf_names[] = { {"q", 0}, {"h", 1}, {"f", 2}, {NULL, 0} };
static const RidName lmh_names[] = { {"l", 0}, {"m", 1}, {"h", 2}, {NULL, 0} };
static const RidName word_names[] = { {"low", 0}, {"lo", 0}, {"mid", 1},
{"medium", 1}, {"high", 2}, {"hi", 2}, {NULL, 0}
};
static const RidName size_names[] = { {"quarter", 0}, {"half", 1},
{"full", 2}, {NULL, 0}
};

static gboolean
rank_by_names (const RrWhipMedia * m, const RidName * names, gint64 * ranks)
{
  guint i, j;

  for (i = 0; i < m->n_rids; i++) {
    for (j = 0; names[j].name != NULL; j++)
      if (g_ascii_strcasecmp (m->rids[i].rid, names[j].name) == 0)
        break;
    if (names[j].name == NULL)
      return FALSE;
    ranks[i] = names[j].rank;
  }
  return TRUE;
}

/* "<prefix><number>" with the same (possibly empty) prefix for all */
static gboolean
rank_by_number (const RrWhipMedia * m, gint64 * ranks)
{
  gsize prefix_len = 0;
  guint i;

  for (i = 0; i < m->n_rids; i++) {
    const gchar *rid = m->rids[i].rid;
    gsize n = strlen (rid), start = n;
    guint v;

    while (start > 0 && g_ascii_isdigit (rid[start - 1]))
      start--;
    if (i == 0)
      prefix_len = start;
    if (start != prefix_len || strncmp (rid, m->rids[0].rid, start) != 0 ||
        !parse_uint (rid + start, n - start, G_MAXINT32, &v))
      return FALSE;
    ranks[i] = v;
  }
  return TRUE;
}

static gboolean
rank_rids (const RrWhipMedia * m, gint64 * ranks)
{
  return rank_by_names (m, qhf_names, ranks) ||
      rank_by_names (m, lmh_names, ranks) ||
      rank_by_names (m, word_names, ranks) ||
      rank_by_names (m, size_names, ranks) || rank_by_number (m, ranks);
}

static guint64
rid_area (const RrWhipRid * r)
{
  return (guint64) (r->max_width ? r->max_width : G_MAXUINT32) *
      (r->max_height ? r->max_height : G_MAXUINT32);
}

const gchar *
rr_whip_media_highest_rid (const RrWhipMedia * media)
{
  gboolean any_active = FALSE, any_size = FALSE, have_ranks;
  gint64 *ranks;
  guint i, best = G_MAXUINT;

  if (media == NULL || media->n_rids == 0 || media->rids == NULL)
    return NULL;
  for (i = 0; i < media->n_rids; i++) {
    if (!media->rids[i].paused)
      any_active = TRUE;
    if (media->rids[i].max_width || media->rids[i].max_height)
      any_size = TRUE;
  }
  ranks = g_new0 (gint64, media->n_rids);
  have_ranks = rank_rids (media, ranks);
  for (i = 0; i < media->n_rids; i++) {
    const RrWhipRid *r = &media->rids[i];
    gint cmp = 0;

    if (any_active && r->paused)
      continue;
    if (best != G_MAXUINT) {
      const RrWhipRid *b = &media->rids[best];

      if (any_size && rid_area (r) != rid_area (b))
        cmp = rid_area (r) > rid_area (b) ? 1 : -1;
      else if (have_ranks && ranks[i] != ranks[best])
        cmp = ranks[i] > ranks[best] ? 1 : -1;
    }
    /* ties: the one listed last */
    if (best == G_MAXUINT || cmp >= 0)
      best = i;
  }
  g_free (ranks);
  return media->rids[best].rid;
}

const gchar *
rr_whip_offer_highest_rid (const RrWhipOffer * offer)
{
  return rr_whip_media_highest_rid (rr_whip_offer_get_media (offer,
          RR_WHIP_KIND_VIDEO));
}

/* ------------------------------------------------------------------ */
/* Trickle ICE SDP fragments                                           */

static void
candidate_clear (gpointer data)
{
  RrWhipCandidate *c = data;

  g_free (c->candidate);
  g_free (c->mid);
  g_free (c->ufrag);
}

void
rr_whip_sdpfrag_free (RrWhipSdpFrag * frag)
{
  guint i;

  if (frag == NULL)
    return;
  g_free (frag->ice_ufrag);
  g_free (frag->ice_pwd);
  g_strfreev (frag->bundle_mids);
  for (i = 0; i < frag->n_candidates; i++)
    candidate_clear (&frag->candidates[i]);
  g_free (frag->candidates);
  g_free (frag);
}

/* An ICE candidate (RFC 8839 §5.1) after "candidate:":
 * <foundation> <component> <transport> <priority> <address> <port>
 * typ <type> *(<extension name> <extension value>) */
static gboolean
candidate_parse (const gchar * v, gsize n, gchar ** ufrag)
{
  const gchar *p = v, *end = v + n, *tok, *name = NULL;
  gsize tl, name_len = 0, i;
  guint field = 0, num;

  *ufrag = NULL;
  while (next_token (&p, end, &tok, &tl)) {
    switch (field) {
      case 0:                  /* foundation: 1*32ice-char */
        if (tl > 32 || !is_ice_string (tok, tl))
          return FALSE;
        break;
      case 1:                  /* component-id: 1*3DIGIT */
        if (tl > 3 || !parse_uint (tok, tl, 256, &num) || num == 0)
          return FALSE;
        break;
      case 2:                  /* transport */
      case 7:                  /* candidate type */
        if (!is_token (tok, tl, 32))
          return FALSE;
        break;
      case 3:                  /* priority: 1*10DIGIT */
        if (!parse_uint (tok, tl, G_MAXUINT32, &num))
          return FALSE;
        break;
      case 4:                  /* IPv4, IPv6 or an FQDN (mDNS) */
        if (tl > 255)
          return FALSE;
        for (i = 0; i < tl; i++)
          if (!g_ascii_isalnum (tok[i]) && !strchr (".:-_%[]", tok[i]))
            return FALSE;
        break;
      case 5:                  /* port */
        if (!parse_uint (tok, tl, 65535, &num))
          return FALSE;
        break;
      case 6:
        if (!token_eq (tok, tl, "typ"))
          return FALSE;
        break;
      default:
        if (!is_token (tok, tl, 256))
          return FALSE;
        if (name == NULL) {
          name = tok;
          name_len = tl;
        } else {
          if (token_eq (name, name_len, "ufrag") && *ufrag == NULL) {
            if (!is_ice_string (tok, tl))
              return FALSE;
            *ufrag = g_strndup (tok, tl);
          }
          name = NULL;
        }
        break;
    }
    field++;
  }
  return field >= 8 && name == NULL;
}

static gboolean
candidate_valid (const gchar * v, gsize n, gchar ** ufrag)
{
  if (candidate_parse (v, n, ufrag))
    return TRUE;
  g_clear_pointer (ufrag, g_free);
  return FALSE;
}

/* Sets *@slot from an a=ice-ufrag/ice-pwd value, refusing conflicts. */
static gboolean
set_ice_value (gchar ** slot, const gchar * v, gsize n, const gchar * what,
    guint lineno, GError ** error)
{
  while (n > 0 && is_blank (v[0])) {
    v++;
    n--;
  }
  while (n > 0 && is_blank (v[n - 1]))
    n--;
  if (!is_ice_string (v, n)) {
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
        "line %u of the SDP fragment: malformed a=%s (1-%u letters, digits, "
        "\"+\" or \"/\")", lineno, what, RR_WHIP_MAX_ICE_LEN);
    return FALSE;
  }
  if (*slot != NULL) {
    if (strlen (*slot) != n || memcmp (*slot, v, n) != 0) {
      g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
          "line %u of the SDP fragment: a second, different a=%s", lineno,
          what);
      return FALSE;
    }
    return TRUE;
  }
  *slot = g_strndup (v, n);
  return TRUE;
}

RrWhipSdpFrag *
rr_whip_sdpfrag_parse (const gchar * body, gsize len, GError ** error)
{
  LineIter it = { body, body + len, 0 };
  RrWhipSdpFrag *frag;
  GArray *cands;
  GPtrArray *mline_mids;
  gchar *session_mid = NULL;
  const gchar *line;
  gsize n;
  gboolean any = FALSE;
  guint i;

  if (len > RR_WHIP_SDPFRAG_MAX_LEN) {
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_TOO_LARGE,
        "the SDP fragment is %" G_GSIZE_FORMAT " bytes; at most %u are "
        "accepted", len, RR_WHIP_SDPFRAG_MAX_LEN);
    return NULL;
  }
  if (body == NULL || len == 0) {
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
        "the request body is empty; PATCH a trickle ICE SDP fragment "
        "(Content-Type: application/trickle-ice-sdpfrag, RFC 8840)");
    return NULL;
  }

  /* NUL bytes and control characters first, by line, for a better error */
  while (line_next (&it, &line, &n))
    if (!check_line (line, n, it.lineno, "SDP fragment", error))
      return NULL;
  if (!check_utf8 (body, len, "SDP fragment", error))
    return NULL;
  it.p = body;
  it.lineno = 0;

  frag = g_new0 (RrWhipSdpFrag, 1);
  cands = g_array_new (FALSE, TRUE, sizeof (RrWhipCandidate));
  g_array_set_clear_func (cands, candidate_clear);
  mline_mids = g_ptr_array_new_with_free_func (g_free);

  while (line_next (&it, &line, &n)) {
    const gchar *key, *val, *colon;
    gsize key_len, val_len;

    if (n == 0)
      continue;
    any = TRUE;
    switch (line[0]) {
      case 'm':{
        /* m=<media> ...: only the media token matters here */
        gsize tl = 0;

        while (2 + tl < n && !is_blank (line[2 + tl]))
          tl++;
        if (!is_token (line + 2, tl, 32)) {
          g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
              "line %u of the SDP fragment is a malformed m= line", it.lineno);
          goto fail;
        }
        if (mline_mids->len >= RR_WHIP_MAX_MLINES) {
          g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
              "the SDP fragment has more than %u m= lines", RR_WHIP_MAX_MLINES);
          goto fail;
        }
        g_ptr_array_add (mline_mids, NULL);
        continue;
      }
      case 'a':
        break;
      case 'v':
      case 'o':
      case 's':
      case 't':
        g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
            "line %u of the SDP fragment is a \"%c=\" line: PATCH a trickle "
            "ICE SDP fragment (RFC 8840), not a whole SDP", it.lineno, line[0]);
        goto fail;
      default:
        /* c=, b=, i=, ...: nothing for ICE */
        continue;
    }

    key = line + 2;
    colon = memchr (key, ':', n - 2);
    key_len = colon ? (gsize) (colon - key) : n - 2;
    val = colon ? colon + 1 : line + n;
    val_len = line + n - val;
    while (key_len > 0 && is_blank (key[key_len - 1]))
      key_len--;

    if (token_eq (key, key_len, "ice-ufrag")) {
      if (!set_ice_value (&frag->ice_ufrag, val, val_len, "ice-ufrag",
              it.lineno, error))
        goto fail;
    } else if (token_eq (key, key_len, "ice-pwd")) {
      if (!set_ice_value (&frag->ice_pwd, val, val_len, "ice-pwd",
              it.lineno, error))
        goto fail;
    } else if (token_eq (key, key_len, "mid")) {
      gchar *mid = g_strndup (val, val_len);
      gchar **slot = mline_mids->len > 0 ?
          (gchar **) & g_ptr_array_index (mline_mids, mline_mids->len - 1) :
          &session_mid;

      g_strstrip (mid);
      if (!is_token (mid, strlen (mid), RR_WHIP_MAX_ID_LEN) ||
          (*slot != NULL && strcmp (*slot, mid) != 0)) {
        g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
            "line %u of the SDP fragment: %s a=mid", it.lineno,
            *slot ? "a second" : "malformed");
        g_free (mid);
        goto fail;
      }
      g_free (*slot);
      *slot = mid;
    } else if (token_eq (key, key_len, "group")) {
      const gchar *p = val, *end = val + val_len, *tok;
      gsize tl;
      GPtrArray *ids;

      if (!next_token (&p, end, &tok, &tl) || !token_eq (tok, tl, "BUNDLE") ||
          frag->bundle_mids != NULL)
        continue;
      ids = g_ptr_array_new ();
      while (next_token (&p, end, &tok, &tl)) {
        if (!is_token (tok, tl, RR_WHIP_MAX_ID_LEN) ||
            ids->len >= RR_WHIP_MAX_MLINES) {
          g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
              "line %u of the SDP fragment: malformed a=group:BUNDLE",
              it.lineno);
          g_ptr_array_add (ids, NULL);
          g_strfreev ((gchar **) g_ptr_array_free (ids, FALSE));
          goto fail;
        }
        g_ptr_array_add (ids, g_strndup (tok, tl));
      }
      g_ptr_array_add (ids, NULL);
      frag->bundle_mids = (gchar **) g_ptr_array_free (ids, FALSE);
    } else if (token_eq (key, key_len, "candidate")) {
      RrWhipCandidate c = { 0 };

      while (val_len > 0 && is_blank (val[val_len - 1]))
        val_len--;
      if (colon == NULL || !candidate_valid (val, val_len, &c.ufrag)) {
        g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
            "line %u of the SDP fragment is a malformed a=candidate "
            "(RFC 8839 §5.1)", it.lineno);
        goto fail;
      }
      if (cands->len >= RR_WHIP_SDPFRAG_MAX_CANDIDATES) {
        g_free (c.ufrag);
        g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_TOO_LARGE,
            "the SDP fragment has more than %u candidates",
            RR_WHIP_SDPFRAG_MAX_CANDIDATES);
        goto fail;
      }
      c.candidate = g_strdup_printf ("candidate:%.*s", (int) val_len, val);
      c.mline = (gint) mline_mids->len - 1;
      g_array_append_val (cands, c);
    } else if (token_eq (key, key_len, "end-of-candidates")) {
      frag->end_of_candidates = TRUE;
    }
  }
  if (!any) {
    g_set_error (error, RR_WHIP_ERROR, RR_WHIP_ERROR_MALFORMED,
        "the SDP fragment has no line");
    goto fail;
  }
  for (i = 0; i < cands->len; i++) {
    RrWhipCandidate *c = &g_array_index (cands, RrWhipCandidate, i);
    const gchar *mid = c->mline >= 0 ?
        g_ptr_array_index (mline_mids, c->mline) : session_mid;

    c->mid = g_strdup (mid);
  }
  frag->n_mlines = mline_mids->len;
  frag->n_candidates = cands->len;
  frag->candidates = (RrWhipCandidate *) g_array_free (cands, FALSE);
  g_ptr_array_free (mline_mids, TRUE);
  g_free (session_mid);
  return frag;

fail:
  g_array_free (cands, TRUE);
  g_ptr_array_free (mline_mids, TRUE);
  g_free (session_mid);
  rr_whip_sdpfrag_free (frag);
  return NULL;
}

RrWhipPatchKind
rr_whip_patch_kind (const RrWhipSdpFrag * frag, const gchar * session_ufrag,
    const gchar * session_pwd)
{
  RrWhipPatchKind kind;
  const gchar *ufrag;
  guint i;

  if (frag == NULL)
    return RR_WHIP_PATCH_INVALID;
  if (frag->ice_ufrag != NULL && session_ufrag != NULL &&
      strcmp (frag->ice_ufrag, session_ufrag) != 0) {
    /* an ICE restart brings a new ufrag and a new password */
    if (frag->ice_pwd == NULL || (session_pwd != NULL &&
            strcmp (frag->ice_pwd, session_pwd) == 0))
      return RR_WHIP_PATCH_INVALID;
    kind = RR_WHIP_PATCH_ICE_RESTART;
    ufrag = frag->ice_ufrag;
  } else {
    if (frag->ice_pwd != NULL && session_pwd != NULL &&
        strcmp (frag->ice_pwd, session_pwd) != 0)
      return RR_WHIP_PATCH_INVALID;
    kind = RR_WHIP_PATCH_TRICKLE;
    ufrag = frag->ice_ufrag ? frag->ice_ufrag : session_ufrag;
  }
  for (i = 0; i < frag->n_candidates; i++) {
    const gchar *cu = frag->candidates[i].ufrag;

    if (cu != NULL && ufrag != NULL && strcmp (cu, ufrag) != 0)
      return RR_WHIP_PATCH_INVALID;
  }
  return kind;
}
