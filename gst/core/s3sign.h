/* roomrec — AWS Signature Version 4 for S3-compatible storage
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Plain C on GLib only (GHmac, GChecksum, GUri): no GStreamer and no HTTP
 * library.  It computes what an uploader has to put on an HTTP request so
 * that AWS S3, MinIO, Ceph RGW, Garage, Cloudflare R2 and the like accept
 * it, and nothing else — sending the request is the caller's business
 * (libsoup 3 in roomrec, see docs/s3.md).
 *
 * - rr_s3_sign(): the "Authorization" header of any request (GET, HEAD,
 *   PUT, DELETE, POST ?uploads, PUT ?partNumber=1&uploadId=…, POST
 *   ?uploadId=…: multipart uploads are plain query strings here), with
 *   x-amz-date, x-amz-content-sha256 and, for session credentials,
 *   x-amz-security-token;
 * - rr_s3_presign(): the query string of a presigned URL (X-Amz-Algorithm
 *   … X-Amz-Signature) valid for a number of seconds;
 * - rr_s3_location_new(): the URL, Host header and path of an object for
 *   an endpoint, bucket and key, path-style or virtual-hosted-style.
 *
 * The canonical request follows the S3 rules (AWS S3 API reference,
 * "Signature Calculations for the Authorization Header"): the path is
 * percent-encoded ONCE (RFC 3986 unreserved characters and '/' kept, no
 * dot-segment normalisation — unlike the other AWS services), query names
 * and values are percent-encoded (everything but A-Z a-z 0-9 - _ . ~) and
 * sorted by name, then value; header names are lower-cased and sorted,
 * values trimmed with inner runs of blanks collapsed to one space, and the
 * values of a repeated header joined with ','.
 *
 * Strings are UTF-8.  Paths, keys, query names and values are the raw
 * (decoded) strings: the signer encodes them, so a key "a b%.mp4" is given
 * as is and travels as "a%20b%25.mp4".  Every function validates its input
 * and fails with an error of the RR_S3_ERROR domain, never aborts: empty or
 * malformed credentials, invalid UTF-8, control characters (CR or LF in a
 * header value would be header injection), reserved or duplicated names,
 * oversized input.  No global state: every function may be called from any
 * thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RR_S3_ERROR (rr_s3_error_quark ())
GQuark rr_s3_error_quark (void);

typedef enum
{
  RR_S3_ERROR_CREDENTIALS,      /* access key, secret key or session token */
  RR_S3_ERROR_REQUEST,          /* method, host, path, query, payload hash,
                                 * region, service, time or expiry */
  RR_S3_ERROR_HEADER,           /* a header name or value */
  RR_S3_ERROR_ADDRESS,          /* endpoint, bucket or key (locations) */
} RrS3Error;

#define RR_S3_ALGORITHM "AWS4-HMAC-SHA256"
#define RR_S3_SERVICE "s3"
/* x-amz-content-sha256 of a request whose body is not signed (presigned
 * URLs always; header-signed requests when the body is streamed over
 * HTTPS and its hash is not known in advance). */
#define RR_S3_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* SHA-256 of the empty string: the payload hash of GET, HEAD, DELETE, POST
 * ?uploads ... */
#define RR_S3_EMPTY_SHA256 \
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Limits on what the functions accept. */
#define RR_S3_MAX_PAIRS 64      /* query parameters, and headers, of a request */
#define RR_S3_MAX_NAME_LEN 256  /* a header or query parameter name, bytes */
#define RR_S3_MAX_VALUE_LEN 8192        /* a header or query value, bytes */
#define RR_S3_MAX_PATH_LEN 4096 /* a request path, bytes */
#define RR_S3_MAX_KEY_LEN 1024  /* an object key, bytes (S3's own limit) */
#define RR_S3_MAX_TOKEN_LEN 8192        /* a session token, bytes */
#define RR_S3_PRESIGN_MAX_EXPIRES 604800        /* 7 days, S3's limit */

/* A name and its value: one query parameter or one header. */
typedef struct
{
  const gchar *name;
  const gchar *value;
} RrS3Pair;

typedef struct
{
  const gchar *access_key;      /* "AKIAIOSFODNN7EXAMPLE": printable ASCII,
                                 * no blank, '/' or ',' */
  const gchar *secret_key;      /* UTF-8, no control character */
  const gchar *session_token;   /* NULL, or the token of temporary (STS)
                                 * credentials: printable ASCII */
} RrS3Credentials;

/* The request to sign, as it will be sent.
 *
 * @method: "GET", "PUT", "POST", "HEAD", "DELETE" (upper-case letters).
 * @host: the Host header value the HTTP client will send, with ":port"
 *   when the port is not the scheme's default ("bucket.s3.amazonaws.com",
 *   "127.0.0.1:9000", "[::1]:9000"); RrS3Location.host gives it.
 * @path: the raw (unencoded) absolute path, "/" for a bucket of a
 *   virtual-hosted-style request; no "." or ".." segment (HTTP clients
 *   would remove them).  RrS3Location.path gives it.
 * @query, @n_query: raw query parameters in any order; a NULL value is the
 *   empty value (S3's "?uploads" is {"uploads", NULL}).  Send them as
 *   rr_s3_canonical_query() encodes them.
 * @headers, @n_headers: the other headers to sign and send (Content-Type,
 *   Content-MD5, Range, x-amz-meta-*, x-amz-storage-class, ...); names are
 *   case-insensitive, a name given twice signs the values joined with ','
 *   in the order given.  Not "Host", "Authorization" nor the x-amz-date,
 *   x-amz-content-sha256 and x-amz-security-token headers the signer adds.
 *   Do not sign headers a proxy or the HTTP library may change
 *   (User-Agent, Expect, Connection, ...).
 * @payload_sha256: the lower-case hex SHA-256 of the body (see
 *   rr_s3_sha256_hex()), RR_S3_UNSIGNED_PAYLOAD, or NULL for an empty
 *   body (RR_S3_EMPTY_SHA256).  Ignored by rr_s3_presign() unless it is
 *   neither NULL nor RR_S3_UNSIGNED_PAYLOAD, which is an error there.
 */
typedef struct
{
  const gchar *method;
  const gchar *host;
  const gchar *path;
  const RrS3Pair *query;
  gsize n_query;
  const RrS3Pair *headers;
  gsize n_headers;
  const gchar *payload_sha256;
} RrS3Request;

/* What rr_s3_sign() computed.
 *
 * @headers, @n_headers: the headers to add to the request, besides Host
 *   and the request's own @headers — "x-amz-date", "x-amz-content-sha256",
 *   "x-amz-security-token" (session credentials only) and "Authorization",
 *   in that order; the values point into this structure.
 * @authorization: "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/
 *   aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date,
 *   Signature=<64 hex>".
 * @amz_date: the x-amz-date value (ISO 8601 basic, UTC: 20130524T000000Z).
 * @content_sha256: the x-amz-content-sha256 value.
 * @security_token: the x-amz-security-token value, or NULL.
 * @signed_headers: "host;x-amz-content-sha256;x-amz-date".
 * @signature: the 64 hex digits.
 * @canonical_request, @string_to_sign: the intermediate strings, for
 *   debugging a "SignatureDoesNotMatch" (S3 returns its own in the error
 *   body).  They hold no secret.
 */
typedef struct
{
  RrS3Pair headers[4];
  guint n_headers;
  gchar *authorization;
  gchar *amz_date;
  gchar *content_sha256;
  gchar *security_token;
  gchar *signed_headers;
  gchar *signature;
  gchar *canonical_request;
  gchar *string_to_sign;
} RrS3Signature;

void rr_s3_signature_free (RrS3Signature *signature);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RrS3Signature, rr_s3_signature_free)

/* Signs @request for the Authorization header.  @region is the bucket's
 * region ("us-east-1", "eu-central-1"; "auto" for R2, whatever the server
 * is configured with for MinIO/Garage), @service is RR_S3_SERVICE for S3
 * (both: letters, digits, '-', '_', '.'), @now the signing time (any time
 * zone; NULL: the current time; S3 refuses requests more than 15 minutes
 * away from its clock).  Returns NULL and sets @error on invalid input.
 * Free with rr_s3_signature_free(). */
RrS3Signature *rr_s3_sign (const RrS3Request *request,
                           const RrS3Credentials *credentials,
                           const gchar *region,
                           const gchar *service,
                           GDateTime *now,
                           GError **error);

/* The query string (without '?') of a presigned URL for @request, valid
 * @expires seconds (1 to RR_S3_PRESIGN_MAX_EXPIRES) from @now: the
 * request's own parameters and X-Amz-Algorithm, X-Amz-Credential,
 * X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Security-Token
 * (session credentials), all sorted and encoded as in the canonical
 * request, then X-Amz-Signature.  The URL is RrS3Location.url + "?" + this.
 * The payload is UNSIGNED-PAYLOAD; Host and the request's @headers are
 * signed, so whoever uses the URL must send those headers with those
 * values (a presigned PUT with a Content-Type, for example).  The
 * request's query must not hold X-Amz-* authentication parameters.
 * Free with g_free(). */
gchar *rr_s3_presign (const RrS3Request *request,
                      const RrS3Credentials *credentials,
                      const gchar *region,
                      const gchar *service,
                      GDateTime *now,
                      guint expires,
                      GError **error);

/* ------------------------------------------------------------------ */
/* Addressing: endpoint + bucket + key → URL, Host and path             */

typedef enum
{
  /* virtual-hosted style for AWS endpoints (*.amazonaws.com[.cn]) when the
   * bucket name allows it (a DNS name, without '.' over HTTPS, whose
   * certificates cover one label); path style otherwise — every
   * S3-compatible server (MinIO, Ceph RGW, Garage, R2, ...) supports it.
   * This is botocore's "auto". */
  RR_S3_ADDRESSING_AUTO,
  /* https://endpoint/bucket/key */
  RR_S3_ADDRESSING_PATH,
  /* https://bucket.endpoint/key */
  RR_S3_ADDRESSING_VIRTUAL_HOST,
} RrS3Addressing;

/* "auto", "path" or "virtual-host" (also "virtual") → @addressing. */
gboolean rr_s3_addressing_from_string (const gchar *name,
                                       RrS3Addressing *addressing);

/* Where a bucket or an object is.
 *
 * @url: scheme://host[:port]/encoded-path, without query: append "?" and
 *   rr_s3_canonical_query() or rr_s3_presign() to it.  Parse it for
 *   libsoup with SOUP_HTTP_URI_FLAGS (which keep the path encoded as is).
 * @host: the Host header value (RrS3Request.host): lower-case, ":port"
 *   only when not the scheme's default, IPv6 addresses in brackets.
 * @path: the raw path (RrS3Request.path): "/bucket/key" (path style),
 *   "/key" (virtual-hosted style), "/bucket" or "/" without a key.
 * @virtual_host: which style was chosen.
 */
typedef struct
{
  gchar *url;
  gchar *host;
  gchar *path;
  gboolean virtual_host;
} RrS3Location;

/* @endpoint is "scheme://host[:port]" with an optional trailing "/" (http
 * or https; no user, path, query or fragment; an ASCII host name or an IP
 * address), see rr_s3_aws_endpoint().  @bucket is required; a
 * virtual-hosted-style bucket must be a DNS name (3-63 of a-z 0-9 . -),
 * a path-style one any UTF-8 without '/' or control character.  @key is
 * the object key (UTF-8, at most RR_S3_MAX_KEY_LEN bytes, no control
 * character, no "." or ".." segment), or NULL or "" for the bucket itself.
 * Free with rr_s3_location_free(). */
RrS3Location *rr_s3_location_new (const gchar *endpoint,
                                  const gchar *bucket,
                                  const gchar *key,
                                  RrS3Addressing addressing,
                                  GError **error);
void rr_s3_location_free (RrS3Location *location);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RrS3Location, rr_s3_location_free)

/* The AWS S3 endpoint of @region: "https://s3.amazonaws.com" for
 * us-east-1, "https://s3.<region>.amazonaws.com[.cn]" otherwise.  NULL
 * with @error set for an empty or malformed region.  Free with g_free(). */
gchar *rr_s3_aws_endpoint (const gchar *region, GError **error);

/* ------------------------------------------------------------------ */
/* Building blocks (exported for the uploader and the tests)           */

/* Percent-encodes the @len bytes of @s (-1: NUL-terminated) as SigV4
 * does: A-Z a-z 0-9 - _ . ~ kept, '/' kept when @keep_slash, every other
 * byte as %XX (upper-case hex).  Never fails.  Free with g_free(). */
gchar *rr_s3_uri_encode (const gchar *s, gssize len, gboolean keep_slash);

/* The canonical query string of @query: each name and value encoded with
 * rr_s3_uri_encode(), "name=value" pairs sorted by encoded name then
 * value, joined with '&' ("" for no parameter).  This is also the query
 * string to send.  NULL with @error set for an empty name, invalid UTF-8,
 * too many or too long parameters.  Free with g_free(). */
gchar *rr_s3_canonical_query (const RrS3Pair *query, gsize n_query,
                              GError **error);

/* The lower-case hex SHA-256 of @len bytes at @data (the payload hash of
 * a body held in memory; for a file, feed a GChecksum of type
 * G_CHECKSUM_SHA256 and take g_checksum_get_string()).  Free with
 * g_free(). */
gchar *rr_s3_sha256_hex (gconstpointer data, gsize len);

/* The SigV4 signing key: HMAC-SHA256 chain over "AWS4" + @secret_key,
 * @date (YYYYMMDD), @region, @service and "aws4_request".  No validation:
 * rr_s3_sign() validates first. */
void rr_s3_signing_key (const gchar *secret_key, const gchar *date,
                        const gchar *region, const gchar *service,
                        guint8 key[32]);

G_END_DECLS
