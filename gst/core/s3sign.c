/* roomrec — AWS Signature Version 4 for S3-compatible storage
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "s3sign.h"

#include <stdlib.h>
#include <string.h>             /* explicit_bzero (glibc >= 2.25) */

G_DEFINE_QUARK (rr - s3 - error - quark, rr_s3_error);

#define SHA256_LEN 32
#define MAX_METHOD_LEN 16
#define MAX_HOST_LEN 300
#define MAX_SCOPE_PART_LEN 64
#define MAX_ACCESS_KEY_LEN 256
#define MAX_SECRET_KEY_LEN 1024
#define MAX_BUCKET_LEN 255
#define MAX_ENDPOINT_LEN 1024

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

static const gchar hex_digits[] = "0123456789abcdef";

static gchar *
to_hex (const guint8 * data, gsize len)
{
  gchar *s = g_malloc (len * 2 + 1);
  gsize i;

  for (i = 0; i < len; i++) {
    s[2 * i] = hex_digits[data[i] >> 4];
    s[2 * i + 1] = hex_digits[data[i] & 0xf];
  }
  s[len * 2] = '\0';
  return s;
}

static void
hmac_sha256 (const guint8 * key, gsize key_len, const gchar * msg,
    guint8 out[SHA256_LEN])
{
  GHmac *hmac = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
  gsize out_len = SHA256_LEN;

  g_hmac_update (hmac, (const guchar *) msg, strlen (msg));
  g_hmac_get_digest (hmac, out, &out_len);
  g_hmac_unref (hmac);
  g_assert (out_len == SHA256_LEN);
}

static inline void
pair_set (RrS3Pair * p, const gchar * name, const gchar * value)
{
  p->name = name;
  p->value = value;
}

static inline gboolean
is_blank (gchar c)
{
  return c == ' ' || c == '\t';
}

static inline gboolean
is_unreserved (guchar c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_' || c == '.' || c == '~';
}

/* RFC 9110 §5.6.2 tchar */
static inline gboolean
is_tchar (guchar c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~",
          c) != NULL);
}

/* Whether @s has a control character (C0 or DEL); a tab passes when
 * @allow_tab. */
static gboolean
has_control (const gchar * s, gboolean allow_tab)
{
  const guchar *p;

  for (p = (const guchar *) s; *p; p++) {
    if ((*p < 0x20 && !(allow_tab && *p == '\t')) || *p == 0x7f)
      return TRUE;
  }
  return FALSE;
}

/* Checks that @s is non-NULL, at most @max_len bytes, valid UTF-8 and
 * free of control characters (tabs pass when @allow_tab).  @what names
 * the string in the message. */
static gboolean
check_text (const gchar * s, gsize max_len, gboolean allow_empty,
    gboolean allow_tab, gint code, const gchar * what, GError ** error)
{
  gsize len;

  if (s == NULL || (!allow_empty && *s == '\0')) {
    g_set_error (error, RR_S3_ERROR, code, "%s is missing or empty", what);
    return FALSE;
  }
  len = strlen (s);
  if (len > max_len) {
    g_set_error (error, RR_S3_ERROR, code, "%s is longer than %"
        G_GSIZE_FORMAT " bytes", what, max_len);
    return FALSE;
  }
  if (!g_utf8_validate (s, len, NULL)) {
    g_set_error (error, RR_S3_ERROR, code, "%s is not valid UTF-8", what);
    return FALSE;
  }
  if (has_control (s, allow_tab)) {
    g_set_error (error, RR_S3_ERROR, code,
        "%s contains a control character (CR, LF, ...)", what);
    return FALSE;
  }
  return TRUE;
}

/* Checks that @s is 1 to @max_len printable ASCII characters other than
 * space and those of @forbidden. */
static gboolean
check_printable (const gchar * s, gsize max_len, const gchar * forbidden,
    gint code, const gchar * what, GError ** error)
{
  const guchar *p;

  if (s == NULL || *s == '\0') {
    g_set_error (error, RR_S3_ERROR, code, "%s is missing or empty", what);
    return FALSE;
  }
  for (p = (const guchar *) s; *p; p++) {
    if ((gsize) (p - (const guchar *) s) >= max_len) {
      g_set_error (error, RR_S3_ERROR, code, "%s is longer than %"
          G_GSIZE_FORMAT " bytes", what, max_len);
      return FALSE;
    }
    if (*p <= 0x20 || *p >= 0x7f || strchr (forbidden, *p) != NULL) {
      g_set_error (error, RR_S3_ERROR, code,
          "%s has a character that is not allowed (byte 0x%02x)", what, *p);
      return FALSE;
    }
  }
  return TRUE;
}

/* Region and service: they go into the credential scope between '/'. */
static gboolean
check_scope_part (const gchar * s, const gchar * what, GError ** error)
{
  const gchar *p;

  if (s == NULL || *s == '\0') {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
        "%s is missing or empty", what);
    return FALSE;
  }
  for (p = s; *p; p++) {
    if (p - s >= MAX_SCOPE_PART_LEN || !(g_ascii_isalnum (*p) || *p == '-'
            || *p == '_' || *p == '.')) {
      g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
          "%s \"%s\" is not letters, digits, '-', '_' and '.' (at most %d)",
          what, g_utf8_validate (s, -1, NULL) ? s : "(not UTF-8)",
          MAX_SCOPE_PART_LEN);
      return FALSE;
    }
  }
  return TRUE;
}

/* Whether the '/'-separated @s has a "." or ".." segment. */
static gboolean
has_dot_segment (const gchar * s)
{
  const gchar *seg = s;

  for (;;) {
    const gchar *end = strchr (seg, '/');
    gsize n = end ? (gsize) (end - seg) : strlen (seg);

    if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
      return TRUE;
    if (end == NULL)
      return FALSE;
    seg = end + 1;
  }
}

/* ------------------------------------------------------------------ */
/* encoding                                                            */

gchar *
rr_s3_uri_encode (const gchar * s, gssize len, gboolean keep_slash)
{
  GString *out;
  gsize i, n;

  g_return_val_if_fail (s != NULL || len == 0, NULL);

  n = len < 0 ? strlen (s) : (gsize) len;
  out = g_string_sized_new (n + 16);
  for (i = 0; i < n; i++) {
    guchar c = (guchar) s[i];

    if (is_unreserved (c) || (keep_slash && c == '/')) {
      g_string_append_c (out, c);
    } else {
      g_string_append_c (out, '%');
      g_string_append_c (out, "0123456789ABCDEF"[c >> 4]);
      g_string_append_c (out, "0123456789ABCDEF"[c & 0xf]);
    }
  }
  return g_string_free (out, FALSE);
}

gchar *
rr_s3_sha256_hex (gconstpointer data, gsize len)
{
  g_return_val_if_fail (data != NULL || len == 0, NULL);

  return g_compute_checksum_for_data (G_CHECKSUM_SHA256,
      data ? data : (gconstpointer) "", len);
}

typedef struct
{
  gchar *name;
  gchar *value;
} EncodedPair;

static int
compare_encoded_pairs (const void *a, const void *b)
{
  const EncodedPair *pa = a, *pb = b;
  int c = strcmp (pa->name, pb->name);

  return c != 0 ? c : strcmp (pa->value, pb->value);
}

/* Validates @query (@n_query pairs), then the canonical query string of
 * @query followed by the @n_extra pairs of @extra (trusted). */
static gchar *
canonical_query (const RrS3Pair * query, gsize n_query,
    const RrS3Pair * extra, gsize n_extra, GError ** error)
{
  EncodedPair *pairs;
  GString *out;
  gsize i, n = 0;
  gboolean ok = TRUE;

  if (n_query > 0 && query == NULL) {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
        "%" G_GSIZE_FORMAT " query parameters but no array", n_query);
    return NULL;
  }
  if (n_query > RR_S3_MAX_PAIRS) {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
        "more than %d query parameters", RR_S3_MAX_PAIRS);
    return NULL;
  }
  pairs = g_new0 (EncodedPair, n_query + n_extra + 1);
  for (i = 0; i < n_query + n_extra; i++) {
    const RrS3Pair *p = i < n_query ? &query[i] : &extra[i - n_query];
    const gchar *value = p->value ? p->value : "";

    if (i < n_query) {
      /* the value of a parameter may hold anything but invalid UTF-8: it
       * is percent-encoded, control characters included */
      if (p->name == NULL || *p->name == '\0') {
        g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
            "query parameter %" G_GSIZE_FORMAT " has no name", i);
        ok = FALSE;
        break;
      }
      if (strlen (p->name) > RR_S3_MAX_NAME_LEN
          || strlen (value) > RR_S3_MAX_VALUE_LEN) {
        g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
            "query parameter %" G_GSIZE_FORMAT " is too long", i);
        ok = FALSE;
        break;
      }
      if (!g_utf8_validate (p->name, -1, NULL)
          || !g_utf8_validate (value, -1, NULL)) {
        g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
            "query parameter %" G_GSIZE_FORMAT " is not valid UTF-8", i);
        ok = FALSE;
        break;
      }
    }
    pairs[n].name = rr_s3_uri_encode (p->name, -1, FALSE);
    pairs[n].value = rr_s3_uri_encode (value, -1, FALSE);
    n++;
  }

  out = NULL;
  if (ok) {
    qsort (pairs, n, sizeof (EncodedPair), compare_encoded_pairs);
    out = g_string_new (NULL);
    for (i = 0; i < n; i++) {
      if (i > 0)
        g_string_append_c (out, '&');
      g_string_append (out, pairs[i].name);
      g_string_append_c (out, '=');
      g_string_append (out, pairs[i].value);
    }
  }
  for (i = 0; i < n; i++) {
    g_free (pairs[i].name);
    g_free (pairs[i].value);
  }
  g_free (pairs);
  return out ? g_string_free (out, FALSE) : NULL;
}

gchar *
rr_s3_canonical_query (const RrS3Pair * query, gsize n_query, GError ** error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return canonical_query (query, n_query, NULL, 0, error);
}

/* ------------------------------------------------------------------ */
/* canonical headers                                                   */

typedef struct
{
  gchar *name;                  /* lower case */
  gchar *value;                 /* trimmed, blanks collapsed */
  gsize order;                  /* position in the input, for stable sort */
} CanonHeader;

static int
compare_headers (const void *a, const void *b)
{
  const CanonHeader *ha = a, *hb = b;
  int c = strcmp (ha->name, hb->name);

  if (c != 0)
    return c;
  return ha->order < hb->order ? -1 : ha->order > hb->order;
}

/* Trimall: no leading or trailing blanks, each inner run of blanks (space
 * or tab) one space. */
static gchar *
trim_all (const gchar * value)
{
  GString *out = g_string_sized_new (strlen (value));
  const gchar *p = value;

  while (is_blank (*p))
    p++;
  while (*p) {
    if (is_blank (*p)) {
      while (is_blank (*p))
        p++;
      if (*p)
        g_string_append_c (out, ' ');
    } else {
      g_string_append_c (out, *p++);
    }
  }
  return g_string_free (out, FALSE);
}

static const gchar *const reserved_headers[] = {
  "host", "authorization", "x-amz-date", "x-amz-content-sha256",
  "x-amz-security-token", NULL
};

typedef struct
{
  CanonHeader *items;
  gsize n;
} HeaderList;

static void
header_list_clear (HeaderList * l)
{
  gsize i;

  for (i = 0; i < l->n; i++) {
    g_free (l->items[i].name);
    g_free (l->items[i].value);
  }
  g_free (l->items);
  l->items = NULL;
  l->n = 0;
}

static void
header_list_add (HeaderList * l, const gchar * name, const gchar * value)
{
  l->items[l->n].name = g_ascii_strdown (name, -1);
  l->items[l->n].value = trim_all (value);
  l->items[l->n].order = l->n;
  l->n++;
}

/* Validates the caller's headers and fills @l with them and the @n_extra
 * headers of @extra (trusted), room for all made here. */
static gboolean
header_list_build (HeaderList * l, const RrS3Pair * headers, gsize n_headers,
    const RrS3Pair * extra, gsize n_extra, GError ** error)
{
  gsize i;

  l->items = NULL;
  l->n = 0;
  if (n_headers > 0 && headers == NULL) {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_HEADER,
        "%" G_GSIZE_FORMAT " headers but no array", n_headers);
    return FALSE;
  }
  if (n_headers > RR_S3_MAX_PAIRS) {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_HEADER,
        "more than %d headers", RR_S3_MAX_PAIRS);
    return FALSE;
  }
  for (i = 0; i < n_headers; i++) {
    const gchar *name = headers[i].name;
    const gchar *value = headers[i].value;
    const gchar *p;
    guint r;

    if (name == NULL || *name == '\0') {
      g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_HEADER,
          "header %" G_GSIZE_FORMAT " has no name", i);
      return FALSE;
    }
    for (p = name; *p; p++) {
      if (!is_tchar (*p) || p - name >= RR_S3_MAX_NAME_LEN) {
        g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_HEADER,
            "header %" G_GSIZE_FORMAT " has an invalid or too long name", i);
        return FALSE;
      }
    }
    for (r = 0; reserved_headers[r]; r++) {
      if (g_ascii_strcasecmp (name, reserved_headers[r]) == 0) {
        g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_HEADER,
            "header \"%s\" is set by the signer, not by the request", name);
        return FALSE;
      }
    }
    if (value == NULL) {
      g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_HEADER,
          "header \"%s\" has no value", name);
      return FALSE;
    }
    if (strlen (value) > RR_S3_MAX_VALUE_LEN) {
      g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_HEADER,
          "header \"%s\" is longer than %d bytes", name, RR_S3_MAX_VALUE_LEN);
      return FALSE;
    }
    if (!g_utf8_validate (value, -1, NULL)) {
      g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_HEADER,
          "header \"%s\" is not valid UTF-8", name);
      return FALSE;
    }
    if (has_control (value, TRUE)) {
      g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_HEADER,
          "header \"%s\" has a control character (CR or LF would inject "
          "headers)", name);
      return FALSE;
    }
  }

  l->items = g_new0 (CanonHeader, n_headers + n_extra);
  for (i = 0; i < n_extra; i++)
    header_list_add (l, extra[i].name, extra[i].value);
  for (i = 0; i < n_headers; i++)
    header_list_add (l, headers[i].name, headers[i].value);
  qsort (l->items, l->n, sizeof (CanonHeader), compare_headers);
  return TRUE;
}

/* Appends the canonical headers ("name:value\n" each, repeated names
 * joined) to @cr and returns the signed header list. */
static gchar *
header_list_canonical (const HeaderList * l, GString * cr)
{
  GString *signed_headers = g_string_new (NULL);
  gsize i;

  for (i = 0; i < l->n; i++) {
    if (i > 0 && strcmp (l->items[i].name, l->items[i - 1].name) == 0) {
      /* same name: already opened the line */
      g_string_append_c (cr, ',');
      g_string_append (cr, l->items[i].value);
      continue;
    }
    if (i > 0) {
      g_string_append_c (cr, '\n');
      g_string_append_c (signed_headers, ';');
    }
    g_string_append (cr, l->items[i].name);
    g_string_append_c (cr, ':');
    g_string_append (cr, l->items[i].value);
    g_string_append (signed_headers, l->items[i].name);
  }
  g_string_append_c (cr, '\n');
  return g_string_free (signed_headers, FALSE);
}

/* ------------------------------------------------------------------ */
/* request validation, shared by rr_s3_sign and rr_s3_presign           */

typedef struct
{
  gchar *amz_date;              /* 20130524T000000Z */
  gchar *date;                  /* 20130524 */
  gchar *scope;                 /* 20130524/us-east-1/s3/aws4_request */
  gchar *encoded_path;
} Common;

static void
common_clear (Common * c)
{
  g_free (c->amz_date);
  g_free (c->date);
  g_free (c->scope);
  g_free (c->encoded_path);
}

static gboolean
check_path (const gchar * path, GError ** error)
{
  if (!check_text (path, RR_S3_MAX_PATH_LEN, FALSE, FALSE,
          RR_S3_ERROR_REQUEST, "the path", error))
    return FALSE;
  if (path[0] != '/') {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
        "the path does not start with '/'");
    return FALSE;
  }
  if (has_dot_segment (path + 1)) {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
        "the path has a \".\" or \"..\" segment, which HTTP clients remove");
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_host (const gchar * host, GError ** error)
{
  const gchar *p;

  if (host == NULL || *host == '\0') {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
        "the host is missing or empty");
    return FALSE;
  }
  for (p = host; *p; p++) {
    if (p - host >= MAX_HOST_LEN || !(g_ascii_isalnum (*p) || *p == '.'
            || *p == '-' || *p == '_' || *p == ':' || *p == '[' || *p == ']')) {
      g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
          "the host is not a host name or address with an optional port");
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
check_credentials (const RrS3Credentials * creds, GError ** error)
{
  if (!check_printable (creds->access_key, MAX_ACCESS_KEY_LEN, "/,",
          RR_S3_ERROR_CREDENTIALS, "the access key", error))
    return FALSE;
  if (!check_text (creds->secret_key, MAX_SECRET_KEY_LEN, FALSE, FALSE,
          RR_S3_ERROR_CREDENTIALS, "the secret key", error))
    return FALSE;
  if (creds->session_token != NULL
      && !check_printable (creds->session_token, RR_S3_MAX_TOKEN_LEN, "",
          RR_S3_ERROR_CREDENTIALS, "the session token", error))
    return FALSE;
  return TRUE;
}

static gboolean
common_init (Common * c, const RrS3Request * request,
    const RrS3Credentials * creds, const gchar * region,
    const gchar * service, GDateTime * now, GError ** error)
{
  GDateTime *utc;
  const gchar *p;
  gint year;

  memset (c, 0, sizeof (Common));
  if (!check_credentials (creds, error))
    return FALSE;
  if (!check_scope_part (region, "the region", error)
      || !check_scope_part (service, "the service", error))
    return FALSE;

  if (request->method == NULL || *request->method == '\0'
      || strlen (request->method) > MAX_METHOD_LEN) {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
        "the method is missing or too long");
    return FALSE;
  }
  for (p = request->method; *p; p++) {
    if (!g_ascii_isupper (*p)) {
      g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
          "the method is not upper-case letters");
      return FALSE;
    }
  }
  if (!check_host (request->host, error) || !check_path (request->path, error))
    return FALSE;

  utc = now ? g_date_time_to_utc (now) : g_date_time_new_now_utc ();
  if (utc == NULL) {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
        "the time cannot be converted to UTC");
    return FALSE;
  }
  year = g_date_time_get_year (utc);
  if (year < 1970 || year > 9999) {
    g_date_time_unref (utc);
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
        "the year %d is out of range", year);
    return FALSE;
  }
  c->date = g_strdup_printf ("%04d%02d%02d", year,
      g_date_time_get_month (utc), g_date_time_get_day_of_month (utc));
  c->amz_date = g_strdup_printf ("%sT%02d%02d%02dZ", c->date,
      g_date_time_get_hour (utc), g_date_time_get_minute (utc),
      g_date_time_get_second (utc));
  g_date_time_unref (utc);
  c->scope = g_strdup_printf ("%s/%s/%s/aws4_request", c->date, region,
      service);
  c->encoded_path = rr_s3_uri_encode (request->path, -1, TRUE);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* signing                                                             */

void
rr_s3_signing_key (const gchar * secret_key, const gchar * date,
    const gchar * region, const gchar * service, guint8 key[32])
{
  gchar *k_secret;
  guint8 k[SHA256_LEN];

  g_return_if_fail (secret_key != NULL && date != NULL && region != NULL
      && service != NULL && key != NULL);

  k_secret = g_strconcat ("AWS4", secret_key, NULL);
  hmac_sha256 ((const guint8 *) k_secret, strlen (k_secret), date, k);
  explicit_bzero (k_secret, strlen (k_secret));
  g_free (k_secret);
  hmac_sha256 (k, SHA256_LEN, region, k);
  hmac_sha256 (k, SHA256_LEN, service, k);
  hmac_sha256 (k, SHA256_LEN, "aws4_request", key);
  explicit_bzero (k, sizeof (k));
}

/* The string to sign for @canonical_request and its signature (hex). */
static gchar *
sign_canonical (const Common * c, const gchar * canonical_request,
    const RrS3Credentials * creds, const gchar * region,
    const gchar * service, gchar ** string_to_sign)
{
  gchar *cr_hash, *sts;
  guint8 key[SHA256_LEN], sig[SHA256_LEN];

  cr_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
      canonical_request, -1);
  sts = g_strdup_printf (RR_S3_ALGORITHM "\n%s\n%s\n%s", c->amz_date,
      c->scope, cr_hash);
  g_free (cr_hash);

  rr_s3_signing_key (creds->secret_key, c->date, region, service, key);
  hmac_sha256 (key, SHA256_LEN, sts, sig);
  explicit_bzero (key, sizeof (key));

  *string_to_sign = sts;
  return to_hex (sig, SHA256_LEN);
}

static gboolean
check_payload_hash (const gchar * h, GError ** error)
{
  const gchar *p;

  if (strcmp (h, RR_S3_UNSIGNED_PAYLOAD) == 0)
    return TRUE;
  for (p = h; *p; p++) {
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      break;
  }
  if (*p != '\0' || p - h != 2 * SHA256_LEN) {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
        "the payload hash is neither 64 lower-case hex digits nor "
        RR_S3_UNSIGNED_PAYLOAD);
    return FALSE;
  }
  return TRUE;
}

void
rr_s3_signature_free (RrS3Signature * s)
{
  if (s == NULL)
    return;
  g_free (s->authorization);
  g_free (s->amz_date);
  g_free (s->content_sha256);
  g_free (s->security_token);
  g_free (s->signed_headers);
  g_free (s->signature);
  g_free (s->canonical_request);
  g_free (s->string_to_sign);
  g_free (s);
}

RrS3Signature *
rr_s3_sign (const RrS3Request * request, const RrS3Credentials * credentials,
    const gchar * region, const gchar * service, GDateTime * now,
    GError ** error)
{
  Common c;
  HeaderList hl;
  RrS3Pair extra[4];
  gsize n_extra = 0;
  const gchar *payload;
  gchar *query;
  GString *cr;
  RrS3Signature *s;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (credentials != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!common_init (&c, request, credentials, region, service, now, error)) {
    common_clear (&c);
    return NULL;
  }
  payload = request->payload_sha256 ? request->payload_sha256 :
      RR_S3_EMPTY_SHA256;
  if (!check_payload_hash (payload, error)) {
    common_clear (&c);
    return NULL;
  }
  query = canonical_query (request->query, request->n_query, NULL, 0, error);
  if (query == NULL) {
    common_clear (&c);
    return NULL;
  }

  pair_set (&extra[n_extra++], "host", request->host);
  pair_set (&extra[n_extra++], "x-amz-content-sha256", payload);
  pair_set (&extra[n_extra++], "x-amz-date", c.amz_date);
  if (credentials->session_token)
    pair_set (&extra[n_extra++], "x-amz-security-token",
        credentials->session_token);
  if (!header_list_build (&hl, request->headers, request->n_headers, extra,
          n_extra, error)) {
    g_free (query);
    common_clear (&c);
    return NULL;
  }

  s = g_new0 (RrS3Signature, 1);
  cr = g_string_new (request->method);
  g_string_append_printf (cr, "\n%s\n%s\n", c.encoded_path, query);
  s->signed_headers = header_list_canonical (&hl, cr);
  g_string_append_printf (cr, "\n%s\n%s", s->signed_headers, payload);
  s->canonical_request = g_string_free (cr, FALSE);
  header_list_clear (&hl);
  g_free (query);

  s->signature = sign_canonical (&c, s->canonical_request, credentials,
      region, service, &s->string_to_sign);
  s->authorization = g_strdup_printf (RR_S3_ALGORITHM " Credential=%s/%s, "
      "SignedHeaders=%s, Signature=%s", credentials->access_key, c.scope,
      s->signed_headers, s->signature);
  s->amz_date = g_strdup (c.amz_date);
  s->content_sha256 = g_strdup (payload);
  s->security_token = g_strdup (credentials->session_token);

  pair_set (&s->headers[s->n_headers++], "x-amz-date", s->amz_date);
  pair_set (&s->headers[s->n_headers++], "x-amz-content-sha256",
      s->content_sha256);
  if (s->security_token)
    pair_set (&s->headers[s->n_headers++], "x-amz-security-token",
        s->security_token);
  pair_set (&s->headers[s->n_headers++], "Authorization", s->authorization);

  common_clear (&c);
  return s;
}

static const gchar *const presign_params[] = {
  "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
  "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature", NULL
};

gchar *
rr_s3_presign (const RrS3Request * request,
    const RrS3Credentials * credentials, const gchar * region,
    const gchar * service, GDateTime * now, guint expires, GError ** error)
{
  Common c;
  HeaderList hl;
  RrS3Pair host = { "host", NULL };
  RrS3Pair auth[6];
  gsize n_auth = 0, i;
  gchar *credential, *expires_str, *signed_headers, *query, *signature;
  gchar *sts, *result;
  GString *cr;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (credentials != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!common_init (&c, request, credentials, region, service, now, error)) {
    common_clear (&c);
    return NULL;
  }
  if (expires < 1 || expires > RR_S3_PRESIGN_MAX_EXPIRES) {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
        "the expiry %u s is not between 1 s and %d s", expires,
        RR_S3_PRESIGN_MAX_EXPIRES);
    common_clear (&c);
    return NULL;
  }
  if (request->payload_sha256 != NULL
      && strcmp (request->payload_sha256, RR_S3_UNSIGNED_PAYLOAD) != 0) {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
        "a presigned URL cannot sign a payload hash");
    common_clear (&c);
    return NULL;
  }
  for (i = 0; i < request->n_query && request->query; i++) {
    guint k;

    for (k = 0; presign_params[k]; k++) {
      if (request->query[i].name
          && g_ascii_strcasecmp (request->query[i].name,
              presign_params[k]) == 0) {
        g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
            "query parameter %s is set by the signer", presign_params[k]);
        common_clear (&c);
        return NULL;
      }
    }
  }

  host.value = request->host;
  if (!header_list_build (&hl, request->headers, request->n_headers, &host,
          1, error)) {
    common_clear (&c);
    return NULL;
  }
  /* the signed header list goes into the query, so it is needed first */
  cr = g_string_new (NULL);
  signed_headers = header_list_canonical (&hl, cr);
  header_list_clear (&hl);

  credential = g_strdup_printf ("%s/%s", credentials->access_key, c.scope);
  expires_str = g_strdup_printf ("%u", expires);
  pair_set (&auth[n_auth++], "X-Amz-Algorithm", RR_S3_ALGORITHM);
  pair_set (&auth[n_auth++], "X-Amz-Credential", credential);
  pair_set (&auth[n_auth++], "X-Amz-Date", c.amz_date);
  pair_set (&auth[n_auth++], "X-Amz-Expires", expires_str);
  pair_set (&auth[n_auth++], "X-Amz-SignedHeaders", signed_headers);
  if (credentials->session_token)
    pair_set (&auth[n_auth++], "X-Amz-Security-Token",
        credentials->session_token);
  query =
      canonical_query (request->query, request->n_query, auth, n_auth, error);
  g_free (credential);
  g_free (expires_str);
  if (query == NULL) {
    g_free (signed_headers);
    g_string_free (cr, TRUE);
    common_clear (&c);
    return NULL;
  }

  g_string_prepend (cr, "\n");
  g_string_prepend (cr, query);
  g_string_prepend (cr, "\n");
  g_string_prepend (cr, c.encoded_path);
  g_string_prepend (cr, "\n");
  g_string_prepend (cr, request->method);
  g_string_append_printf (cr, "\n%s\n" RR_S3_UNSIGNED_PAYLOAD, signed_headers);
  g_free (signed_headers);

  signature = sign_canonical (&c, cr->str, credentials, region, service, &sts);
  result = g_strdup_printf ("%s&X-Amz-Signature=%s", query, signature);
  g_free (sts);
  g_free (signature);
  g_free (query);
  g_string_free (cr, TRUE);
  common_clear (&c);
  return result;
}

/* ------------------------------------------------------------------ */
/* addressing                                                          */

gboolean
rr_s3_addressing_from_string (const gchar * name, RrS3Addressing * addressing)
{
  RrS3Addressing a;

  if (name == NULL)
    return FALSE;
  if (strcmp (name, "auto") == 0)
    a = RR_S3_ADDRESSING_AUTO;
  else if (strcmp (name, "path") == 0)
    a = RR_S3_ADDRESSING_PATH;
  else if (strcmp (name, "virtual-host") == 0 || strcmp (name, "virtual") == 0)
    a = RR_S3_ADDRESSING_VIRTUAL_HOST;
  else
    return FALSE;
  if (addressing)
    *addressing = a;
  return TRUE;
}

void
rr_s3_location_free (RrS3Location * location)
{
  if (location == NULL)
    return;
  g_free (location->url);
  g_free (location->host);
  g_free (location->path);
  g_free (location);
}

/* A bucket name that can be the first label(s) of a host name: S3's
 * rules for new buckets (3-63 characters, a-z 0-9 . -, a letter or digit
 * at both ends, no "..", ".-" or "-.", not an IPv4 address). */
static gboolean
bucket_is_dns_compatible (const gchar * bucket)
{
  gsize len = strlen (bucket), i;

  if (len < 3 || len > 63)
    return FALSE;
  if (!g_ascii_isalnum (bucket[0]) || !g_ascii_isalnum (bucket[len - 1]))
    return FALSE;
  for (i = 0; i < len; i++) {
    gchar ch = bucket[i];

    if (!(g_ascii_islower (ch) || g_ascii_isdigit (ch) || ch == '.'
            || ch == '-'))
      return FALSE;
    if (i > 0 && (ch == '.' || ch == '-') && bucket[i - 1] == '.')
      return FALSE;
    if (i > 0 && ch == '.' && bucket[i - 1] == '-')
      return FALSE;
  }
  return !g_hostname_is_ip_address (bucket);
}

static gboolean
host_is_aws (const gchar * host)
{
  return g_str_has_suffix (host, ".amazonaws.com")
      || g_str_has_suffix (host, ".amazonaws.com.cn");
}

/* Parses @endpoint into a lower-case scheme, host (no brackets) and port
 * (-1 for the default). */
static gboolean
parse_endpoint (const gchar * endpoint, gchar ** scheme, gchar ** host,
    gint * port, GError ** error)
{
  GUri *uri;
  GError *err = NULL;
  const gchar *s, *h, *path;
  const guchar *p;

  if (endpoint == NULL || *endpoint == '\0') {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_ADDRESS,
        "the endpoint is missing or empty");
    return FALSE;
  }
  for (p = (const guchar *) endpoint; *p; p++) {
    /* no percent-encoding either: GUri would decode it in the host */
    if (*p <= 0x20 || *p >= 0x7f || *p == '%' || p - (const guchar *) endpoint
        >= MAX_ENDPOINT_LEN) {
      g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_ADDRESS,
          "the endpoint is not a short printable ASCII URL without '%%'");
      return FALSE;
    }
  }
  uri = g_uri_parse (endpoint, G_URI_FLAGS_ENCODED, &err);
  if (uri == NULL) {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_ADDRESS,
        "the endpoint \"%s\" is not a URL: %s", endpoint, err->message);
    g_error_free (err);
    return FALSE;
  }
  s = g_uri_get_scheme (uri);
  h = g_uri_get_host (uri);
  path = g_uri_get_path (uri);
  if (g_ascii_strcasecmp (s, "http") != 0
      && g_ascii_strcasecmp (s, "https") != 0) {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_ADDRESS,
        "the endpoint \"%s\" is not http:// or https://", endpoint);
    goto fail;
  }
  if (h == NULL || *h == '\0') {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_ADDRESS,
        "the endpoint \"%s\" has no usable host", endpoint);
    goto fail;
  }
  if (g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL
      || g_uri_get_fragment (uri) != NULL || (strcmp (path, "") != 0
          && strcmp (path, "/") != 0)) {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_ADDRESS,
        "the endpoint \"%s\" has a user, path, query or fragment: give "
        "scheme://host[:port] only", endpoint);
    goto fail;
  }
  if (strchr (h, ':') != NULL) {
    /* an IPv6 address */
    for (p = (const guchar *) h; *p; p++) {
      if (!g_ascii_isxdigit (*p) && *p != ':' && *p != '.')
        break;
    }
  } else {
    for (p = (const guchar *) h; *p; p++) {
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && *p != '_')
        break;
    }
  }
  if (*p != '\0' || strlen (h) > 253) {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_ADDRESS,
        "the endpoint host \"%s\" is not an ASCII host name or an IP "
        "address", h);
    goto fail;
  }

  *scheme = g_ascii_strdown (s, -1);
  *host = g_ascii_strdown (h, -1);
  *port = g_uri_get_port (uri);
  if ((*port == 80 && strcmp (*scheme, "http") == 0) || (*port == 443
          && strcmp (*scheme, "https") == 0))
    *port = -1;
  g_uri_unref (uri);
  return TRUE;

fail:
  g_uri_unref (uri);
  return FALSE;
}

RrS3Location *
rr_s3_location_new (const gchar * endpoint, const gchar * bucket,
    const gchar * key, RrS3Addressing addressing, GError ** error)
{
  gchar *scheme = NULL, *host = NULL, *host_port, *encoded;
  gint port = -1;
  gboolean virtual_host, dns_ok, is_ip;
  RrS3Location *loc;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (addressing != RR_S3_ADDRESSING_AUTO
      && addressing != RR_S3_ADDRESSING_PATH
      && addressing != RR_S3_ADDRESSING_VIRTUAL_HOST) {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_ADDRESS,
        "unknown addressing style %d", (gint) addressing);
    return NULL;
  }
  if (!check_text (bucket, MAX_BUCKET_LEN, FALSE, FALSE,
          RR_S3_ERROR_ADDRESS, "the bucket", error))
    return NULL;
  if (strchr (bucket, '/') != NULL || strcmp (bucket, ".") == 0
      || strcmp (bucket, "..") == 0) {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_ADDRESS,
        "the bucket \"%s\" has a '/' or is a dot segment", bucket);
    return NULL;
  }
  if (key != NULL && *key != '\0') {
    if (!check_text (key, RR_S3_MAX_KEY_LEN, FALSE, FALSE,
            RR_S3_ERROR_ADDRESS, "the key", error))
      return NULL;
    if (has_dot_segment (key)) {
      g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_ADDRESS,
          "the key has a \".\" or \"..\" segment, which HTTP clients "
          "remove");
      return NULL;
    }
  } else {
    key = NULL;
  }
  if (!parse_endpoint (endpoint, &scheme, &host, &port, error))
    return NULL;

  dns_ok = bucket_is_dns_compatible (bucket);
  is_ip = g_hostname_is_ip_address (host);
  switch (addressing) {
    case RR_S3_ADDRESSING_PATH:
      virtual_host = FALSE;
      break;
    case RR_S3_ADDRESSING_VIRTUAL_HOST:
      if (!dns_ok || is_ip) {
        g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_ADDRESS,
            is_ip ? "virtual-hosted style needs a host name, not the IP "
            "address %s" : "the bucket \"%s\" is not a DNS name: use path "
            "style", is_ip ? host : bucket);
        g_free (scheme);
        g_free (host);
        return NULL;
      }
      virtual_host = TRUE;
      break;
    default:
      virtual_host = dns_ok && !is_ip && host_is_aws (host)
          && !(strcmp (scheme, "https") == 0 && strchr (bucket, '.'));
      break;
  }

  loc = g_new0 (RrS3Location, 1);
  loc->virtual_host = virtual_host;
  if (virtual_host) {
    gchar *h = g_strconcat (bucket, ".", host, NULL);

    g_free (host);
    host = h;
    loc->path = g_strconcat ("/", key ? key : "", NULL);
  } else {
    loc->path = key ? g_strconcat ("/", bucket, "/", key, NULL) :
        g_strconcat ("/", bucket, NULL);
  }
  if (strchr (host, ':') != NULL)
    host_port = g_strdup_printf ("[%s]", host);
  else
    host_port = g_strdup (host);
  if (port >= 0)
    loc->host = g_strdup_printf ("%s:%d", host_port, port);
  else
    loc->host = g_strdup (host_port);
  encoded = rr_s3_uri_encode (loc->path, -1, TRUE);
  loc->url = g_strconcat (scheme, "://", loc->host, encoded, NULL);

  g_free (encoded);
  g_free (host_port);
  g_free (host);
  g_free (scheme);
  return loc;
}

gchar *
rr_s3_aws_endpoint (const gchar * region, GError ** error)
{
  const gchar *p;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (region == NULL || *region == '\0') {
    g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
        "the region is missing or empty");
    return NULL;
  }
  for (p = region; *p; p++) {
    if (p - region >= MAX_SCOPE_PART_LEN || !(g_ascii_islower (*p)
            || g_ascii_isdigit (*p) || *p == '-')) {
      g_set_error (error, RR_S3_ERROR, RR_S3_ERROR_REQUEST,
          "the region is not an AWS region (a-z, 0-9, '-')");
      return NULL;
    }
  }
  if (strcmp (region, "us-east-1") == 0)
    return g_strdup ("https://s3.amazonaws.com");
  return g_strdup_printf ("https://s3.%s.amazonaws.com%s", region,
      g_str_has_prefix (region, "cn-") ? ".cn" : "");
}
