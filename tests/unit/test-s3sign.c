/* Unit tests for the S3 SigV4 signer (gst/core/s3sign.c).
 *
 * - the AWS S3 documentation's SigV4 examples (examplebucket,
 *   AKIAIOSFODNN7EXAMPLE, 20130524T000000Z) and the signing-key example of
 *   the general SigV4 documentation;
 * - encoding, canonical query and header rules, addressing styles;
 * - botocore (tests/unit/s3sign-botocore.py, Debian's python3-botocore) as
 *   an independent implementation, run live on a table of tricky requests:
 *   skipped without it, failed when ROOMREC_REQUIRE_BOTOCORE=1;
 * - bad input: always an RR_S3_ERROR, never a crash (run under ASan in
 *   make check).
 */
#include "s3sign.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#define AK "AKIAIOSFODNN7EXAMPLE"
#define SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define EXAMPLE_HOST "examplebucket.s3.amazonaws.com"

static const RrS3Credentials example_creds = { AK, SK, NULL };

static GDateTime *
example_time (void)
{
  return g_date_time_new_utc (2013, 5, 24, 0, 0, 0);
}

static RrS3Signature *
sign_ok (const RrS3Request * req, const RrS3Credentials * creds,
    const gchar * region, GDateTime * now)
{
  GError *err = NULL;
  RrS3Signature *s = rr_s3_sign (req, creds, region, RR_S3_SERVICE, now,
      &err);

  g_assert_no_error (err);
  g_assert_nonnull (s);
  return s;
}

/* ------------------------------------------------------------------ */
/* AWS documentation examples                                          */

/* "Example: GET Object" (bytes 0-9 of test.txt) */
static void
test_aws_get_object (void)
{
  RrS3Pair headers[] = { {"Range", "bytes=0-9"} };
  RrS3Request req = {
    .method = "GET",.host = EXAMPLE_HOST,.path = "/test.txt",
    .headers = headers,.n_headers = G_N_ELEMENTS (headers),
  };
  GDateTime *now = example_time ();
  RrS3Signature *s = sign_ok (&req, &example_creds, "us-east-1", now);

  g_assert_cmpstr (s->canonical_request, ==,
      "GET\n"
      "/test.txt\n"
      "\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "range:bytes=0-9\n"
      "x-amz-content-sha256:"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n"
      "\n"
      "host;range;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  g_assert_cmpstr (s->string_to_sign, ==,
      "AWS4-HMAC-SHA256\n"
      "20130524T000000Z\n"
      "20130524/us-east-1/s3/aws4_request\n"
      "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  g_assert_cmpstr (s->signature, ==,
      "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  g_assert_cmpstr (s->authorization, ==,
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/"
      "s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;"
      "x-amz-date, Signature="
      "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  g_assert_cmpstr (s->amz_date, ==, "20130524T000000Z");
  g_assert_cmpstr (s->content_sha256, ==, RR_S3_EMPTY_SHA256);
  g_assert_null (s->security_token);

  /* the headers to send, in order */
  g_assert_cmpuint (s->n_headers, ==, 3);
  g_assert_cmpstr (s->headers[0].name, ==, "x-amz-date");
  g_assert_cmpstr (s->headers[0].value, ==, "20130524T000000Z");
  g_assert_cmpstr (s->headers[1].name, ==, "x-amz-content-sha256");
  g_assert_cmpstr (s->headers[1].value, ==, RR_S3_EMPTY_SHA256);
  g_assert_cmpstr (s->headers[2].name, ==, "Authorization");
  g_assert_true (s->headers[2].value == s->authorization);
  rr_s3_signature_free (s);

  /* the same instant in another time zone signs the same */
  {
    GTimeZone *tz = g_time_zone_new_identifier ("+09:00");
    GDateTime *local = g_date_time_to_timezone (now, tz);

    s = sign_ok (&req, &example_creds, "us-east-1", local);
    g_assert_cmpstr (s->amz_date, ==, "20130524T000000Z");
    g_assert_cmpstr (s->signature, ==,
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    rr_s3_signature_free (s);
    g_date_time_unref (local);
    g_time_zone_unref (tz);
  }
  g_date_time_unref (now);
}

/* "Example: PUT Object": a '$' in the key, a Date header, a signed body */
static void
test_aws_put_object (void)
{
  static const gchar body[] = "Welcome to Amazon S3.";
  RrS3Pair headers[] = {
    {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
    {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
  };
  gchar *hash = rr_s3_sha256_hex (body, strlen (body));
  RrS3Request req = {
    .method = "PUT",.host = EXAMPLE_HOST,.path = "/test$file.text",
    .headers = headers,.n_headers = G_N_ELEMENTS (headers),
    .payload_sha256 = hash,
  };
  GDateTime *now = example_time ();
  RrS3Signature *s;

  g_assert_cmpstr (hash, ==,
      "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  s = sign_ok (&req, &example_creds, "us-east-1", now);
  g_assert_true (g_str_has_prefix (s->canonical_request,
          "PUT\n/test%24file.text\n\n"
          "date:Fri, 24 May 2013 00:00:00 GMT\n"
          "host:examplebucket.s3.amazonaws.com\n"));
  g_assert_cmpstr (s->signed_headers, ==,
      "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
  g_assert_cmpstr (s->signature, ==,
      "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  g_assert_cmpstr (s->content_sha256, ==, hash);
  rr_s3_signature_free (s);
  g_date_time_unref (now);
  g_free (hash);
}

/* "Example: GET Bucket Lifecycle" (?lifecycle: a parameter without a
 * value) and "Example: Get Bucket (List Objects)" (?max-keys=2&prefix=J) */
static void
test_aws_bucket_queries (void)
{
  RrS3Pair lifecycle[] = { {"lifecycle", NULL} };
  RrS3Pair list[] = { {"prefix", "J"}, {"max-keys", "2"} };     /* unsorted */
  RrS3Request req = {.method = "GET",.host = EXAMPLE_HOST,.path = "/" };
  GDateTime *now = example_time ();
  RrS3Signature *s;

  req.query = lifecycle;
  req.n_query = G_N_ELEMENTS (lifecycle);
  s = sign_ok (&req, &example_creds, "us-east-1", now);
  g_assert_true (g_str_has_prefix (s->canonical_request,
          "GET\n/\nlifecycle=\n"));
  g_assert_cmpstr (s->signature, ==,
      "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
  rr_s3_signature_free (s);

  req.query = list;
  req.n_query = G_N_ELEMENTS (list);
  s = sign_ok (&req, &example_creds, "us-east-1", now);
  g_assert_true (g_str_has_prefix (s->canonical_request,
          "GET\n/\nmax-keys=2&prefix=J\n"));
  g_assert_cmpstr (s->signature, ==,
      "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
  rr_s3_signature_free (s);
  g_date_time_unref (now);
}

/* "Authenticating Requests: Using Query Parameters", the GET Object
 * example: 86400 s, host the only signed header */
static void
test_aws_presigned_url (void)
{
  GError *err = NULL;
  GDateTime *now = example_time ();
  gchar *endpoint = rr_s3_aws_endpoint ("us-east-1", &err);
  RrS3Location *loc;
  RrS3Request req = {.method = "GET" };
  gchar *q, *url;

  g_assert_no_error (err);
  g_assert_cmpstr (endpoint, ==, "https://s3.amazonaws.com");
  loc = rr_s3_location_new (endpoint, "examplebucket", "test.txt",
      RR_S3_ADDRESSING_AUTO, &err);
  g_assert_no_error (err);
  g_assert_true (loc->virtual_host);
  g_assert_cmpstr (loc->host, ==, EXAMPLE_HOST);
  g_assert_cmpstr (loc->path, ==, "/test.txt");
  req.host = loc->host;
  req.path = loc->path;

  q = rr_s3_presign (&req, &example_creds, "us-east-1", RR_S3_SERVICE, now,
      86400, &err);
  g_assert_no_error (err);
  url = g_strconcat (loc->url, "?", q, NULL);
  g_assert_cmpstr (url, ==,
      "https://examplebucket.s3.amazonaws.com/test.txt"
      "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
      "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
      "aws4_request"
      "&X-Amz-Date=20130524T000000Z"
      "&X-Amz-Expires=86400"
      "&X-Amz-SignedHeaders=host"
      "&X-Amz-Signature="
      "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  g_free (url);
  g_free (q);

  /* UNSIGNED-PAYLOAD is what a presigned URL signs anyway */
  req.payload_sha256 = RR_S3_UNSIGNED_PAYLOAD;
  q = rr_s3_presign (&req, &example_creds, "us-east-1", RR_S3_SERVICE, now,
      86400, &err);
  g_assert_no_error (err);
  g_assert_true (g_str_has_suffix (q, "&X-Amz-Signature="
          "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"));
  g_free (q);

  rr_s3_location_free (loc);
  g_free (endpoint);
  g_date_time_unref (now);
}

/* The signing-key example of the SigV4 documentation ("Examples of how to
 * derive a signing key"): secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
 * 20120215, us-east-1, iam. */
static void
test_signing_key (void)
{
  guint8 key[32];
  GString *hex = g_string_new (NULL);
  guint i;

  rr_s3_signing_key ("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
      "us-east-1", "iam", key);
  for (i = 0; i < 32; i++)
    g_string_append_printf (hex, "%02x", key[i]);
  g_assert_cmpstr (hex->str, ==,
      "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
  g_string_free (hex, TRUE);
}

/* ------------------------------------------------------------------ */
/* rules                                                               */

static void
test_uri_encode (void)
{
  struct
  {
    const gchar *in;
    gboolean keep_slash;
    const gchar *out;
  } cases[] = {
    {"AZaz09-_.~", FALSE, "AZaz09-_.~"},
    {"a b+c=d&e", FALSE, "a%20b%2Bc%3Dd%26e"},
    {"/a/b c/", TRUE, "/a/b%20c/"},
    {"/a/b c/", FALSE, "%2Fa%2Fb%20c%2F"},
    {"100%", TRUE, "100%25"},
    {"é日", TRUE, "%C3%A9%E6%97%A5"},
    {"!*'();:@$,[]#?", TRUE, "%21%2A%27%28%29%3B%3A%40%24%2C%5B%5D%23%3F"},
    {"", TRUE, ""},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *s = rr_s3_uri_encode (cases[i].in, -1, cases[i].keep_slash);

    g_assert_cmpstr (s, ==, cases[i].out);
    g_free (s);
  }
  {
    /* explicit length: bytes, NUL included */
    gchar *s = rr_s3_uri_encode ("a\0b", 3, FALSE);

    g_assert_cmpstr (s, ==, "a%00b");
    g_free (s);
  }
}

static void
test_canonical_query (void)
{
  RrS3Pair q[] = {
    {"uploadId", "abc+/="}, {"partNumber", "1"}, {"a", "2"}, {"a", "1"},
    {"B", NULL}, {"a b", "c d"}, {"~", "é"},
  };
  GError *err = NULL;
  gchar *s;

  s = rr_s3_canonical_query (q, G_N_ELEMENTS (q), &err);
  g_assert_no_error (err);
  /* byte order of the encoded names: upper case before lower case, '%'
   * before letters; equal names by value */
  g_assert_cmpstr (s, ==, "B=&a=1&a=2&a%20b=c%20d&partNumber=1&"
      "uploadId=abc%2B%2F%3D&~=%C3%A9");
  g_free (s);

  /* by name first: "id" before "id-type" although "id-type=x" < "id=1" */
  {
    RrS3Pair ids[] = {
      {"id-type", "x"}, {"id", "1"}, {"key-type", "s3"}, {"key", NULL},
    };

    s = rr_s3_canonical_query (ids, G_N_ELEMENTS (ids), &err);
    g_assert_no_error (err);
    g_assert_cmpstr (s, ==, "id=1&id-type=x&key=&key-type=s3");
    g_free (s);
  }

  s = rr_s3_canonical_query (NULL, 0, &err);
  g_assert_no_error (err);
  g_assert_cmpstr (s, ==, "");
  g_free (s);
}

static void
test_canonical_headers (void)
{
  RrS3Pair headers[] = {
    {"X-Amz-Meta-B", "  two   words \t here  "},
    {"x-amz-meta-a", "first"},
    {"Content-Type", "video/mp4"},
    {"X-AMZ-META-A", " second "},
    {"x-amz-meta-empty", ""},
    {"x-amz-meta-blank", "   "},
  };
  RrS3Request req = {
    .method = "PUT",.host = "127.0.0.1:9000",.path = "/b/k",
    .headers = headers,.n_headers = G_N_ELEMENTS (headers),
    .payload_sha256 = RR_S3_UNSIGNED_PAYLOAD,
  };
  RrS3Credentials creds = { AK, SK, "token/with+chars=" };
  GDateTime *now = g_date_time_new_utc (2026, 12, 31, 23, 59, 59);
  RrS3Signature *s = sign_ok (&req, &creds, "eu-central-1", now);

  g_assert_cmpstr (s->canonical_request, ==,
      "PUT\n/b/k\n\n"
      "content-type:video/mp4\n"
      "host:127.0.0.1:9000\n"
      "x-amz-content-sha256:UNSIGNED-PAYLOAD\n"
      "x-amz-date:20261231T235959Z\n"
      "x-amz-meta-a:first,second\n"
      "x-amz-meta-b:two words here\n"
      "x-amz-meta-blank:\n"
      "x-amz-meta-empty:\n"
      "x-amz-security-token:token/with+chars=\n"
      "\n"
      "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-a;"
      "x-amz-meta-b;x-amz-meta-blank;x-amz-meta-empty;x-amz-security-token\n"
      "UNSIGNED-PAYLOAD");
  g_assert_true (g_str_has_prefix (s->string_to_sign,
          "AWS4-HMAC-SHA256\n20261231T235959Z\n"
          "20261231/eu-central-1/s3/aws4_request\n"));
  g_assert_true (g_str_has_prefix (s->authorization,
          "AWS4-HMAC-SHA256 Credential=" AK "/20261231/eu-central-1/s3/"
          "aws4_request, SignedHeaders=content-type;host;"));
  g_assert_cmpuint (s->n_headers, ==, 4);
  g_assert_cmpstr (s->headers[2].name, ==, "x-amz-security-token");
  g_assert_cmpstr (s->headers[2].value, ==, "token/with+chars=");
  g_assert_cmpstr (s->headers[3].name, ==, "Authorization");
  rr_s3_signature_free (s);
  g_date_time_unref (now);
}

/* Multipart uploads are plain query strings: they sign like anything else,
 * and the path is encoded once, '/' kept, never normalised. */
static void
test_multipart_and_paths (void)
{
  RrS3Pair uploads[] = { {"uploads", NULL} };
  RrS3Pair part[] = { {"uploadId", "2~x+y/z="}, {"partNumber", "12"} };
  RrS3Request req = {
    .method = "POST",.host = "minio:9000",
    .path = "/rec/room 1//ü+~%.mp4",
  };
  GDateTime *now = example_time ();
  RrS3Signature *s;

  req.query = uploads;
  req.n_query = 1;
  s = sign_ok (&req, &example_creds, "us-east-1", now);
  g_assert_true (g_str_has_prefix (s->canonical_request,
          "POST\n/rec/room%201//%C3%BC%2B~%25.mp4\nuploads=\n"));
  rr_s3_signature_free (s);

  req.method = "PUT";
  req.query = part;
  req.n_query = 2;
  req.payload_sha256 =
      "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
  s = sign_ok (&req, &example_creds, "us-east-1", now);
  g_assert_true (g_str_has_prefix (s->canonical_request,
          "PUT\n/rec/room%201//%C3%BC%2B~%25.mp4\n"
          "partNumber=12&uploadId=2~x%2By%2Fz%3D\n"));
  g_assert_true (g_str_has_suffix (s->canonical_request,
          "\n2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"));
  rr_s3_signature_free (s);
  g_date_time_unref (now);
}

static void
test_presign_options (void)
{
  RrS3Pair headers[] = { {"Content-Type", "video/mp4"} };
  RrS3Pair query[] = { {"response-content-type", "video/mp4"} };
  RrS3Credentials creds = { AK, SK, "tok+/=" };
  RrS3Request req = {
    .method = "PUT",.host = "127.0.0.1:9000",.path = "/b/a b.mp4",
    .headers = headers,.n_headers = 1,.query = query,.n_query = 1,
  };
  GDateTime *now = example_time ();
  GError *err = NULL;
  gchar *q;

  q = rr_s3_presign (&req, &creds, "us-east-1", RR_S3_SERVICE, now,
      RR_S3_PRESIGN_MAX_EXPIRES, &err);
  g_assert_no_error (err);
  g_assert_true (g_str_has_prefix (q,
          "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
          AK "%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
          "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=604800"
          "&X-Amz-Security-Token=tok%2B%2F%3D"
          "&X-Amz-SignedHeaders=content-type%3Bhost"
          "&response-content-type=video%2Fmp4&X-Amz-Signature="));
  g_assert_cmpuint (strlen (strstr (q, "&X-Amz-Signature=")), ==,
      strlen ("&X-Amz-Signature=") + 64);
  g_free (q);
  g_date_time_unref (now);
}

static void
test_locations (void)
{
  struct
  {
    const gchar *endpoint, *bucket, *key;
    RrS3Addressing addressing;
    const gchar *url, *host, *path;
  } cases[] = {
    {"https://s3.amazonaws.com", "examplebucket", "test.txt",
        RR_S3_ADDRESSING_AUTO, "https://examplebucket.s3.amazonaws.com/"
          "test.txt", "examplebucket.s3.amazonaws.com", "/test.txt"},
    /* a dotted bucket over HTTPS: the certificate covers one label */
    {"https://s3.eu-central-1.amazonaws.com", "my.dotted.bucket", "a b",
          RR_S3_ADDRESSING_AUTO, "https://s3.eu-central-1.amazonaws.com/"
          "my.dotted.bucket/a%20b", "s3.eu-central-1.amazonaws.com",
        "/my.dotted.bucket/a b"},
    {"http://s3.eu-central-1.amazonaws.com", "my.dotted.bucket", "k",
          RR_S3_ADDRESSING_AUTO, "http://my.dotted.bucket.s3.eu-central-1."
          "amazonaws.com/k", "my.dotted.bucket.s3.eu-central-1.amazonaws.com",
        "/k"},
    /* not DNS-compatible: path style */
    {"https://s3.amazonaws.com", "Legacy_Bucket", "k",
          RR_S3_ADDRESSING_AUTO, "https://s3.amazonaws.com/Legacy_Bucket/k",
        "s3.amazonaws.com", "/Legacy_Bucket/k"},
    /* other servers: path style unless asked */
    {"http://minio.example.com:9000/", "rec", "room/vidéo 1+2~.mp4",
          RR_S3_ADDRESSING_AUTO, "http://minio.example.com:9000/rec/room/"
          "vid%C3%A9o%201%2B2~.mp4", "minio.example.com:9000",
        "/rec/room/vidéo 1+2~.mp4"},
    {"HTTPS://MinIO.Example.COM:443", "rec", NULL,
          RR_S3_ADDRESSING_VIRTUAL_HOST, "https://rec.minio.example.com/",
        "rec.minio.example.com", "/"},
    {"http://127.0.0.1:80", "rec", "", RR_S3_ADDRESSING_PATH,
        "http://127.0.0.1/rec", "127.0.0.1", "/rec"},
    {"http://[::1]:9000", "rec", "k", RR_S3_ADDRESSING_AUTO,
        "http://[::1]:9000/rec/k", "[::1]:9000", "/rec/k"},
    {"https://s3.cn-north-1.amazonaws.com.cn", "rec", "a/b",
        RR_S3_ADDRESSING_AUTO, "https://rec.s3.cn-north-1.amazonaws.com.cn/"
          "a/b", "rec.s3.cn-north-1.amazonaws.com.cn", "/a/b"},
    {"https://s3.amazonaws.com", "b", "/leading//slashes/",
        RR_S3_ADDRESSING_PATH, "https://s3.amazonaws.com/b//leading//"
          "slashes/", "s3.amazonaws.com", "/b//leading//slashes/"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GError *err = NULL;
    RrS3Location *loc = rr_s3_location_new (cases[i].endpoint,
        cases[i].bucket, cases[i].key, cases[i].addressing, &err);

    g_test_message ("location %u: %s %s", i, cases[i].endpoint,
        cases[i].bucket);
    g_assert_no_error (err);
    g_assert_cmpstr (loc->url, ==, cases[i].url);
    g_assert_cmpstr (loc->host, ==, cases[i].host);
    g_assert_cmpstr (loc->path, ==, cases[i].path);
    rr_s3_location_free (loc);
  }
}

static void
test_aws_endpoint_and_addressing_names (void)
{
  GError *err = NULL;
  RrS3Addressing a = RR_S3_ADDRESSING_PATH;
  gchar *e;

  e = rr_s3_aws_endpoint ("eu-west-3", &err);
  g_assert_no_error (err);
  g_assert_cmpstr (e, ==, "https://s3.eu-west-3.amazonaws.com");
  g_free (e);
  e = rr_s3_aws_endpoint ("cn-northwest-1", &err);
  g_assert_no_error (err);
  g_assert_cmpstr (e, ==, "https://s3.cn-northwest-1.amazonaws.com.cn");
  g_free (e);
  g_assert_null (rr_s3_aws_endpoint ("", &err));
  g_assert_error (err, RR_S3_ERROR, RR_S3_ERROR_REQUEST);
  g_clear_error (&err);
  g_assert_null (rr_s3_aws_endpoint ("evil.com/x", &err));
  g_assert_error (err, RR_S3_ERROR, RR_S3_ERROR_REQUEST);
  g_clear_error (&err);

  g_assert_true (rr_s3_addressing_from_string ("auto", &a));
  g_assert_cmpint (a, ==, RR_S3_ADDRESSING_AUTO);
  g_assert_true (rr_s3_addressing_from_string ("virtual-host", &a));
  g_assert_cmpint (a, ==, RR_S3_ADDRESSING_VIRTUAL_HOST);
  g_assert_true (rr_s3_addressing_from_string ("path", &a));
  g_assert_cmpint (a, ==, RR_S3_ADDRESSING_PATH);
  g_assert_false (rr_s3_addressing_from_string ("Path", &a));
  g_assert_false (rr_s3_addressing_from_string (NULL, &a));
}

/* ------------------------------------------------------------------ */
/* bad input                                                           */

typedef struct
{
  const gchar *what;
  RrS3Request req;
  RrS3Credentials creds;
  const gchar *region;
  gint code;
} BadCase;

static void
test_bad_requests (void)
{
  static RrS3Pair crlf[] = { {"x-amz-meta-a", "ok\r\nX-Evil: 1"} };
  static RrS3Pair lf[] = { {"x-amz-meta-a", "a\nb"} };
  static RrS3Pair cr[] = { {"x-amz-meta-a", "a\rb"} };
  static RrS3Pair nul_like[] = { {"x-amz-meta-a", "a\x01" "b"} };
  static RrS3Pair del[] = { {"x-amz-meta-a", "a\x7f"} };
  static RrS3Pair latin1[] = { {"x-amz-meta-a", "caf\xe9"} };
  static RrS3Pair name_lf[] = { {"x-amz-meta-a\nx", "v"} };
  static RrS3Pair name_colon[] = { {"x:y", "v"} };
  static RrS3Pair name_space[] = { {"x y", "v"} };
  static RrS3Pair name_empty[] = { {"", "v"} };
  static RrS3Pair name_null[] = { {NULL, "v"} };
  static RrS3Pair value_null[] = { {"x-a", NULL} };
  static RrS3Pair host_hdr[] = { {"Host", "evil.example"} };
  static RrS3Pair auth_hdr[] = { {"authorization", "x"} };
  static RrS3Pair date_hdr[] = { {"X-Amz-Date", "20130524T000000Z"} };
  static RrS3Pair sha_hdr[] = { {"x-amz-content-sha256", "x"} };
  static RrS3Pair tok_hdr[] = { {"X-Amz-Security-Token", "x"} };
  static RrS3Pair q_latin1[] = { {"prefix", "\xff"} };
  static RrS3Pair q_noname[] = { {"", "v"} };
  static RrS3Pair q_nullname[] = { {NULL, "v"} };
#define REQ(m, h, p, ...) { .method = m, .host = h, .path = p, __VA_ARGS__ }
#define R(...) REQ ("GET", EXAMPLE_HOST, "/k", __VA_ARGS__)
#define H(arr) .headers = arr, .n_headers = G_N_ELEMENTS (arr)
#define Q(arr) .query = arr, .n_query = G_N_ELEMENTS (arr)
#define OK_CREDS { AK, SK, NULL }
#define UPPER_EMPTY_SHA256 \
  "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
  const BadCase cases[] = {
    {"CRLF in a header value", R (H (crlf)), OK_CREDS, "us-east-1",
        RR_S3_ERROR_HEADER},
    {"LF in a header value", R (H (lf)), OK_CREDS, "us-east-1",
        RR_S3_ERROR_HEADER},
    {"CR in a header value", R (H (cr)), OK_CREDS, "us-east-1",
        RR_S3_ERROR_HEADER},
    {"control character", R (H (nul_like)), OK_CREDS, "us-east-1",
        RR_S3_ERROR_HEADER},
    {"DEL", R (H (del)), OK_CREDS, "us-east-1", RR_S3_ERROR_HEADER},
    {"Latin-1 header value", R (H (latin1)), OK_CREDS, "us-east-1",
        RR_S3_ERROR_HEADER},
    {"LF in a header name", R (H (name_lf)), OK_CREDS, "us-east-1",
        RR_S3_ERROR_HEADER},
    {"':' in a header name", R (H (name_colon)), OK_CREDS, "us-east-1",
        RR_S3_ERROR_HEADER},
    {"space in a header name", R (H (name_space)), OK_CREDS, "us-east-1",
        RR_S3_ERROR_HEADER},
    {"empty header name", R (H (name_empty)), OK_CREDS, "us-east-1",
        RR_S3_ERROR_HEADER},
    {"NULL header name", R (H (name_null)), OK_CREDS, "us-east-1",
        RR_S3_ERROR_HEADER},
    {"NULL header value", R (H (value_null)), OK_CREDS, "us-east-1",
        RR_S3_ERROR_HEADER},
    {"Host header", R (H (host_hdr)), OK_CREDS, "us-east-1",
        RR_S3_ERROR_HEADER},
    {"Authorization header", R (H (auth_hdr)), OK_CREDS, "us-east-1",
        RR_S3_ERROR_HEADER},
    {"x-amz-date header", R (H (date_hdr)), OK_CREDS, "us-east-1",
        RR_S3_ERROR_HEADER},
    {"x-amz-content-sha256 header", R (H (sha_hdr)), OK_CREDS, "us-east-1",
        RR_S3_ERROR_HEADER},
    {"x-amz-security-token header", R (H (tok_hdr)), OK_CREDS, "us-east-1",
        RR_S3_ERROR_HEADER},
    {"headers count without array", R (.n_headers = 1), OK_CREDS,
        "us-east-1", RR_S3_ERROR_HEADER},
    {"non-UTF-8 query value", R (Q (q_latin1)), OK_CREDS, "us-east-1",
        RR_S3_ERROR_REQUEST},
    {"empty query name", R (Q (q_noname)), OK_CREDS, "us-east-1",
        RR_S3_ERROR_REQUEST},
    {"NULL query name", R (Q (q_nullname)), OK_CREDS, "us-east-1",
        RR_S3_ERROR_REQUEST},
    {"query count without array", R (.n_query = 2), OK_CREDS, "us-east-1",
        RR_S3_ERROR_REQUEST},
    {"empty access key", R (), {"", SK, NULL}, "us-east-1",
        RR_S3_ERROR_CREDENTIALS},
    {"NULL access key", R (), {NULL, SK, NULL}, "us-east-1",
        RR_S3_ERROR_CREDENTIALS},
    {"'/' in the access key", R (), {"AK/IA", SK, NULL}, "us-east-1",
        RR_S3_ERROR_CREDENTIALS},
    {"space in the access key", R (), {"AK IA", SK, NULL}, "us-east-1",
        RR_S3_ERROR_CREDENTIALS},
    {"non-ASCII access key", R (), {"AKé", SK, NULL}, "us-east-1",
        RR_S3_ERROR_CREDENTIALS},
    {"empty secret", R (), {AK, "", NULL}, "us-east-1",
        RR_S3_ERROR_CREDENTIALS},
    {"NULL secret", R (), {AK, NULL, NULL}, "us-east-1",
        RR_S3_ERROR_CREDENTIALS},
    {"non-UTF-8 secret", R (), {AK, "\xc3\x28", NULL}, "us-east-1",
        RR_S3_ERROR_CREDENTIALS},
    {"CRLF in the session token", R (), {AK, SK, "tok\r\nX-Evil: 1"},
        "us-east-1", RR_S3_ERROR_CREDENTIALS},
    {"empty session token", R (), {AK, SK, ""}, "us-east-1",
        RR_S3_ERROR_CREDENTIALS},
    {"NULL method", REQ (NULL, EXAMPLE_HOST, "/k"), OK_CREDS, "us-east-1",
        RR_S3_ERROR_REQUEST},
    {"lower-case method", REQ ("get", EXAMPLE_HOST, "/k"), OK_CREDS,
        "us-east-1", RR_S3_ERROR_REQUEST},
    {"method with CRLF", REQ ("GET\r\n", EXAMPLE_HOST, "/k"), OK_CREDS,
        "us-east-1", RR_S3_ERROR_REQUEST},
    {"NULL host", REQ ("GET", NULL, "/k"), OK_CREDS, "us-east-1",
        RR_S3_ERROR_REQUEST},
    {"host with CRLF", REQ ("GET", "a.example\r\nX: 1", "/k"), OK_CREDS,
        "us-east-1", RR_S3_ERROR_REQUEST},
    {"host with a path", REQ ("GET", "a.example/x", "/k"), OK_CREDS,
        "us-east-1", RR_S3_ERROR_REQUEST},
    {"NULL path", REQ ("GET", EXAMPLE_HOST, NULL), OK_CREDS, "us-east-1",
        RR_S3_ERROR_REQUEST},
    {"relative path", REQ ("GET", EXAMPLE_HOST, "k"), OK_CREDS, "us-east-1",
        RR_S3_ERROR_REQUEST},
    {"non-UTF-8 path", REQ ("GET", EXAMPLE_HOST, "/caf\xe9"), OK_CREDS,
        "us-east-1", RR_S3_ERROR_REQUEST},
    {"LF in the path", REQ ("GET", EXAMPLE_HOST, "/a\nb"), OK_CREDS,
        "us-east-1", RR_S3_ERROR_REQUEST},
    {"dot segment", REQ ("GET", EXAMPLE_HOST, "/b/../k"), OK_CREDS, "us-east-1",
        RR_S3_ERROR_REQUEST},
    {"final dot segment", REQ ("GET", EXAMPLE_HOST, "/b/."), OK_CREDS,
        "us-east-1", RR_S3_ERROR_REQUEST},
    {"upper-case payload hash", R (.payload_sha256 = UPPER_EMPTY_SHA256),
        OK_CREDS, "us-east-1", RR_S3_ERROR_REQUEST},
    {"short payload hash", R (.payload_sha256 = "e3b0"), OK_CREDS,
        "us-east-1", RR_S3_ERROR_REQUEST},
    {"payload hash with CRLF", R (.payload_sha256 = "UNSIGNED-PAYLOAD\r\n"),
        OK_CREDS, "us-east-1", RR_S3_ERROR_REQUEST},
    {"empty region", R (), OK_CREDS, "", RR_S3_ERROR_REQUEST},
    {"NULL region", R (), OK_CREDS, NULL, RR_S3_ERROR_REQUEST},
    {"'/' in the region", R (), OK_CREDS, "us/east", RR_S3_ERROR_REQUEST},
    {"LF in the region", R (), OK_CREDS, "us\n", RR_S3_ERROR_REQUEST},
  };
#undef R
#undef REQ
#undef H
#undef Q
#undef OK_CREDS
#undef UPPER_EMPTY_SHA256
  GDateTime *now = example_time ();
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GError *err = NULL;
    RrS3Signature *s;
    gchar *q;

    g_test_message ("bad case: %s", cases[i].what);
    s = rr_s3_sign (&cases[i].req, &cases[i].creds, cases[i].region,
        RR_S3_SERVICE, now, &err);
    g_assert_null (s);
    g_assert_error (err, RR_S3_ERROR, cases[i].code);
    g_assert_true (g_utf8_validate (err->message, -1, NULL));
    g_clear_error (&err);

    /* the same input makes no presigned URL either */
    q = rr_s3_presign (&cases[i].req, &cases[i].creds, cases[i].region,
        RR_S3_SERVICE, now, 60, &err);
    g_assert_null (q);
    g_assert_error (err, RR_S3_ERROR, cases[i].code);
    g_clear_error (&err);
  }

  /* a bad service, a time out of range */
  {
    RrS3Request req = {.method = "GET",.host = EXAMPLE_HOST,.path = "/" };
    GDateTime *old = g_date_time_new_utc (1969, 12, 31, 23, 59, 59);
    GError *err = NULL;

    g_assert_null (rr_s3_sign (&req, &example_creds, "us-east-1", "s3/x",
            now, &err));
    g_assert_error (err, RR_S3_ERROR, RR_S3_ERROR_REQUEST);
    g_clear_error (&err);
    g_assert_null (rr_s3_sign (&req, &example_creds, "us-east-1", "",
            now, &err));
    g_assert_error (err, RR_S3_ERROR, RR_S3_ERROR_REQUEST);
    g_clear_error (&err);
    g_assert_null (rr_s3_sign (&req, &example_creds, "us-east-1",
            RR_S3_SERVICE, old, &err));
    g_assert_error (err, RR_S3_ERROR, RR_S3_ERROR_REQUEST);
    g_clear_error (&err);
    g_date_time_unref (old);
  }
  g_date_time_unref (now);
}

static void
test_bad_limits (void)
{
  RrS3Pair *many = g_new0 (RrS3Pair, RR_S3_MAX_PAIRS + 1);
  gchar *long_value = g_strnfill (RR_S3_MAX_VALUE_LEN + 1, 'v');
  gchar *long_path = g_strnfill (RR_S3_MAX_PATH_LEN + 1, '/');
  gchar *long_key = g_strnfill (RR_S3_MAX_KEY_LEN + 1, 'k');
  gchar *long_token = g_strnfill (RR_S3_MAX_TOKEN_LEN + 1, 't');
  RrS3Pair long_hdr[] = { {"x-amz-meta-a", long_value} };
  RrS3Pair long_q[] = { {"a", long_value} };
  RrS3Request req = {.method = "GET",.host = EXAMPLE_HOST,.path = "/k" };
  RrS3Credentials creds = { AK, SK, long_token };
  GDateTime *now = example_time ();
  GError *err = NULL;
  guint i;

  for (i = 0; i <= RR_S3_MAX_PAIRS; i++) {
    many[i].name = "x-amz-meta-a";
    many[i].value = "v";
  }
  req.headers = many;
  req.n_headers = RR_S3_MAX_PAIRS + 1;
  g_assert_null (rr_s3_sign (&req, &example_creds, "us-east-1",
          RR_S3_SERVICE, now, &err));
  g_assert_error (err, RR_S3_ERROR, RR_S3_ERROR_HEADER);
  g_clear_error (&err);
  req.n_headers = RR_S3_MAX_PAIRS;      /* the limit itself is fine */
  rr_s3_signature_free (sign_ok (&req, &example_creds, "us-east-1", now));
  req.headers = NULL;
  req.n_headers = 0;

  req.query = many;
  req.n_query = RR_S3_MAX_PAIRS + 1;
  g_assert_null (rr_s3_sign (&req, &example_creds, "us-east-1",
          RR_S3_SERVICE, now, &err));
  g_assert_error (err, RR_S3_ERROR, RR_S3_ERROR_REQUEST);
  g_clear_error (&err);
  req.query = NULL;
  req.n_query = 0;

  req.headers = long_hdr;
  req.n_headers = 1;
  g_assert_null (rr_s3_sign (&req, &example_creds, "us-east-1",
          RR_S3_SERVICE, now, &err));
  g_assert_error (err, RR_S3_ERROR, RR_S3_ERROR_HEADER);
  g_clear_error (&err);
  req.headers = NULL;
  req.n_headers = 0;

  req.query = long_q;
  req.n_query = 1;
  g_assert_null (rr_s3_sign (&req, &example_creds, "us-east-1",
          RR_S3_SERVICE, now, &err));
  g_assert_error (err, RR_S3_ERROR, RR_S3_ERROR_REQUEST);
  g_clear_error (&err);
  req.query = NULL;
  req.n_query = 0;

  long_path[0] = '/';
  req.path = long_path;
  g_assert_null (rr_s3_sign (&req, &example_creds, "us-east-1",
          RR_S3_SERVICE, now, &err));
  g_assert_error (err, RR_S3_ERROR, RR_S3_ERROR_REQUEST);
  g_clear_error (&err);
  req.path = "/k";

  g_assert_null (rr_s3_sign (&req, &creds, "us-east-1", RR_S3_SERVICE, now,
          &err));
  g_assert_error (err, RR_S3_ERROR, RR_S3_ERROR_CREDENTIALS);
  g_clear_error (&err);

  g_assert_null (rr_s3_location_new ("https://s3.amazonaws.com", "b",
          long_key, RR_S3_ADDRESSING_PATH, &err));
  g_assert_error (err, RR_S3_ERROR, RR_S3_ERROR_ADDRESS);
  g_clear_error (&err);
  long_key[RR_S3_MAX_KEY_LEN] = '\0';   /* exactly the limit */
  rr_s3_location_free (rr_s3_location_new ("https://s3.amazonaws.com", "b",
          long_key, RR_S3_ADDRESSING_PATH, &err));
  g_assert_no_error (err);

  g_date_time_unref (now);
  g_free (many);
  g_free (long_value);
  g_free (long_path);
  g_free (long_key);
  g_free (long_token);
}

static void
test_bad_presign (void)
{
  RrS3Pair sig_q[] = { {"X-Amz-Signature", "forged"} };
  RrS3Pair cred_q[] = { {"x-amz-credential", "forged"} };
  RrS3Request req = {.method = "GET",.host = EXAMPLE_HOST,.path = "/k" };
  GDateTime *now = example_time ();
  GError *err = NULL;

  g_assert_null (rr_s3_presign (&req, &example_creds, "us-east-1",
          RR_S3_SERVICE, now, 0, &err));
  g_assert_error (err, RR_S3_ERROR, RR_S3_ERROR_REQUEST);
  g_clear_error (&err);
  g_assert_null (rr_s3_presign (&req, &example_creds, "us-east-1",
          RR_S3_SERVICE, now, RR_S3_PRESIGN_MAX_EXPIRES + 1, &err));
  g_assert_error (err, RR_S3_ERROR, RR_S3_ERROR_REQUEST);
  g_clear_error (&err);

  req.payload_sha256 = RR_S3_EMPTY_SHA256;
  g_assert_null (rr_s3_presign (&req, &example_creds, "us-east-1",
          RR_S3_SERVICE, now, 60, &err));
  g_assert_error (err, RR_S3_ERROR, RR_S3_ERROR_REQUEST);
  g_clear_error (&err);
  req.payload_sha256 = NULL;

  req.query = sig_q;
  req.n_query = 1;
  g_assert_null (rr_s3_presign (&req, &example_creds, "us-east-1",
          RR_S3_SERVICE, now, 60, &err));
  g_assert_error (err, RR_S3_ERROR, RR_S3_ERROR_REQUEST);
  g_clear_error (&err);
  req.query = cred_q;
  g_assert_null (rr_s3_presign (&req, &example_creds, "us-east-1",
          RR_S3_SERVICE, now, 60, &err));
  g_assert_error (err, RR_S3_ERROR, RR_S3_ERROR_REQUEST);
  g_clear_error (&err);
  g_date_time_unref (now);
}

static void
test_bad_locations (void)
{
  struct
  {
    const gchar *endpoint, *bucket, *key;
    RrS3Addressing addressing;
  } cases[] = {
    {NULL, "b", "k", RR_S3_ADDRESSING_PATH},
    {"", "b", "k", RR_S3_ADDRESSING_PATH},
    {"s3.amazonaws.com", "b", "k", RR_S3_ADDRESSING_PATH},
    {"ftp://s3.amazonaws.com", "b", "k", RR_S3_ADDRESSING_PATH},
    {"https://user:pw@s3.amazonaws.com", "b", "k", RR_S3_ADDRESSING_PATH},
    {"https://s3.amazonaws.com/prefix", "b", "k", RR_S3_ADDRESSING_PATH},
    {"https://s3.amazonaws.com/?x=1", "b", "k", RR_S3_ADDRESSING_PATH},
    {"https://s3.amazonaws.com/#f", "b", "k", RR_S3_ADDRESSING_PATH},
    {"https://s3.amazonaws.com\r\nX: 1", "b", "k", RR_S3_ADDRESSING_PATH},
    {"https://s3.amazonaws.com:99999", "b", "k", RR_S3_ADDRESSING_PATH},
    {"https://xn--bcher-kva.example\xc3\xa9", "b", "k",
        RR_S3_ADDRESSING_PATH},
    {"https://s3%2eamazonaws.com", "b", "k", RR_S3_ADDRESSING_PATH},
    {"https://", "b", "k", RR_S3_ADDRESSING_PATH},
    {"https://s3.amazonaws.com", NULL, "k", RR_S3_ADDRESSING_PATH},
    {"https://s3.amazonaws.com", "", "k", RR_S3_ADDRESSING_PATH},
    {"https://s3.amazonaws.com", "a/b", "k", RR_S3_ADDRESSING_PATH},
    {"https://s3.amazonaws.com", "..", "k", RR_S3_ADDRESSING_PATH},
    {"https://s3.amazonaws.com", "b\n", "k", RR_S3_ADDRESSING_PATH},
    {"https://s3.amazonaws.com", "b", "a/../k", RR_S3_ADDRESSING_PATH},
    {"https://s3.amazonaws.com", "b", "./k", RR_S3_ADDRESSING_PATH},
    {"https://s3.amazonaws.com", "b", "..", RR_S3_ADDRESSING_PATH},
    {"https://s3.amazonaws.com", "b", "a\r\nb", RR_S3_ADDRESSING_PATH},
    {"https://s3.amazonaws.com", "b", "caf\xe9", RR_S3_ADDRESSING_PATH},
    {"https://s3.amazonaws.com", "Upper", "k", RR_S3_ADDRESSING_VIRTUAL_HOST},
    {"https://s3.amazonaws.com", "ab", "k", RR_S3_ADDRESSING_VIRTUAL_HOST},
    {"https://s3.amazonaws.com", "a..b", "k", RR_S3_ADDRESSING_VIRTUAL_HOST},
    {"https://s3.amazonaws.com", "a-.b", "k", RR_S3_ADDRESSING_VIRTUAL_HOST},
    {"https://s3.amazonaws.com", "192.168.1.1", "k",
        RR_S3_ADDRESSING_VIRTUAL_HOST},
    {"http://127.0.0.1:9000", "bucket", "k", RR_S3_ADDRESSING_VIRTUAL_HOST},
    {"http://[::1]:9000", "bucket", "k", RR_S3_ADDRESSING_VIRTUAL_HOST},
    {"https://s3.amazonaws.com", "b", "k", (RrS3Addressing) 42},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GError *err = NULL;

    g_test_message ("bad location %u", i);
    g_assert_null (rr_s3_location_new (cases[i].endpoint, cases[i].bucket,
            cases[i].key, cases[i].addressing, &err));
    g_assert_error (err, RR_S3_ERROR, RR_S3_ERROR_ADDRESS);
    g_assert_true (g_utf8_validate (err->message, -1, NULL));
    g_clear_error (&err);
  }
}

/* Random strings in every field: an error or a signature whose headers
 * hold no CR, LF or other control character — never a crash. */
static void
test_random_input (void)
{
  static const gchar alphabet[] = "aZ09 -_.~/%+=&?#:;,\t\r\n\x01\x7f\xc3\xa9"
      "\xe6\x97\xa5\xff\xc0";
  GRand *rand = g_rand_new_with_seed (20130524);
  GDateTime *now = example_time ();
  guint iter, n_ok = 0;

  for (iter = 0; iter < 3000; iter++) {
    gchar *fields[12];
    RrS3Pair hdr[2], q[2];
    RrS3Request req;
    RrS3Credentials creds;
    RrS3Signature *s;
    RrS3Location *loc;
    GError *err = NULL;
    gchar *p;
    guint f, i;

    for (f = 0; f < G_N_ELEMENTS (fields); f++) {
      guint len = g_rand_int_range (rand, 0, 12);

      fields[f] = g_malloc (len + 1);
      for (i = 0; i < len; i++) {
        /* mostly plain letters, so that some inputs pass */
        fields[f][i] = g_rand_int_range (rand, 0, 8) ? "abcxyz"
            [g_rand_int_range (rand, 0, 6)] :
            alphabet[g_rand_int_range (rand, 0, sizeof (alphabet) - 1)];
      }
      fields[f][len] = '\0';
    }
    hdr[0].name = iter % 2 ? "x-amz-meta-q" : fields[0];
    hdr[0].value = fields[1];
    hdr[1].name = "x-amz-meta-r";
    hdr[1].value = fields[2];
    q[0].name = fields[3];
    q[0].value = fields[4];
    q[1].name = "uploads";
    q[1].value = NULL;
    p = g_strconcat ("/", fields[5], NULL);
    memset (&req, 0, sizeof (req));
    req.method = iter % 3 ? "PUT" : fields[6];
    req.host = iter % 2 ? "b.s3.amazonaws.com" : fields[7];
    req.path = iter % 5 ? p : fields[5];
    req.headers = hdr;
    req.n_headers = 2;
    req.query = q;
    req.n_query = 2;
    creds.access_key = iter % 4 ? AK : fields[8];
    creds.secret_key = iter % 7 ? SK : fields[9];
    creds.session_token = iter % 2 ? NULL : fields[10];

    s = rr_s3_sign (&req, &creds, "us-east-1", RR_S3_SERVICE, now, &err);
    if (s) {
      n_ok++;
      for (i = 0; i < s->n_headers; i++) {
        const gchar *c;

        for (c = s->headers[i].value; *c; c++)
          g_assert_true ((guchar) * c >= 0x20 && *c != 0x7f);
      }
      g_assert_true (g_utf8_validate (s->canonical_request, -1, NULL));
      rr_s3_signature_free (s);
    } else {
      g_assert_nonnull (err);
      g_assert_true (err->domain == RR_S3_ERROR);
      g_clear_error (&err);
    }
    g_free (rr_s3_presign (&req, &creds, "us-east-1", RR_S3_SERVICE, now,
            1 + iter, &err));
    g_clear_error (&err);

    loc = rr_s3_location_new (iter % 3 ? "http://minio:9000" : fields[11],
        fields[9], fields[10], iter % 3, &err);
    if (loc) {
      g_assert_true (g_utf8_validate (loc->url, -1, NULL));
      for (i = 0; loc->url[i]; i++)
        g_assert_true ((guchar) loc->url[i] > 0x20
            && (guchar) loc->url[i] < 0x7f);
      rr_s3_location_free (loc);
    } else {
      g_assert_error (err, RR_S3_ERROR, RR_S3_ERROR_ADDRESS);
      g_clear_error (&err);
    }

    g_free (p);
    for (f = 0; f < G_N_ELEMENTS (fields); f++)
      g_free (fields[f]);
  }
  g_test_message ("%u of 3000 random requests signed", n_ok);
  g_assert_cmpuint (n_ok, >, 100);
  g_rand_free (rand);
  g_date_time_unref (now);
}

/* ------------------------------------------------------------------ */
/* botocore                                                            */

static gboolean
require_botocore (void)
{
  return g_strcmp0 (g_getenv ("ROOMREC_REQUIRE_BOTOCORE"), "1") == 0;
}

static void
skip_or_fail (const gchar * why)
{
  if (require_botocore ())
    g_test_fail_printf ("%s (ROOMREC_REQUIRE_BOTOCORE=1)", why);
  else
    g_test_skip (why);
}

static const gchar *
member_string (JsonObject * o, const gchar * name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return NULL;
  return json_node_get_string (n);
}

/* [[name, value|null], ...] → pairs pointing into the JSON. */
static RrS3Pair *
member_pairs (JsonObject * o, const gchar * name, gsize * n)
{
  JsonArray *a = json_object_get_array_member (o, name);
  RrS3Pair *pairs;
  guint i;

  *n = json_array_get_length (a);
  pairs = g_new0 (RrS3Pair, *n + 1);
  for (i = 0; i < *n; i++) {
    JsonArray *pair = json_array_get_array_element (a, i);
    JsonNode *v = json_array_get_element (pair, 1);

    pairs[i].name = json_array_get_string_element (pair, 0);
    pairs[i].value = JSON_NODE_HOLDS_NULL (v) ? NULL : json_node_get_string (v);
  }
  return pairs;
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

/* The '&'-separated parts of @query, sorted, joined again. */
static gchar *
sorted_query (const gchar * query)
{
  gchar **parts = g_strsplit (query, "&", -1);
  gchar *s;

  qsort (parts, g_strv_length (parts), sizeof (gchar *), compare_strings);
  s = g_strjoinv ("&", parts);
  g_strfreev (parts);
  return s;
}

static GDateTime *
parse_amz_date (const gchar * s)
{
  gint y, mo, d, h, mi, sec;

  g_assert_cmpint (sscanf (s, "%4d%2d%2dT%2d%2d%2dZ", &y, &mo, &d, &h, &mi,
          &sec), ==, 6);
  return g_date_time_new_utc (y, mo, d, h, mi, sec);
}

/* Rebuilds one of botocore's requests with s3sign and compares. */
static void
check_botocore_row (JsonObject * o)
{
  const gchar *kind = member_string (o, "kind");
  const gchar *name = member_string (o, "name");
  const gchar *region = member_string (o, "region");
  RrS3Credentials creds = { AK, SK, member_string (o, "token") };
  RrS3Request req = {.method = member_string (o, "method") };
  RrS3Location *loc = NULL;
  RrS3Pair *query, *headers;
  GDateTime *now = parse_amz_date (member_string (o, "time"));
  GError *err = NULL;

  g_test_message ("botocore row %s (%s)", name, kind);
  query = member_pairs (o, "query", &req.n_query);
  headers = member_pairs (o, "headers", &req.n_headers);
  req.query = query;
  req.headers = headers;

  if (json_object_has_member (o, "bucket")) {
    /* through a botocore client: build the location here too */
    const gchar *endpoint = member_string (o, "endpoint");
    gchar *aws = NULL;
    RrS3Addressing addressing;

    g_assert_true (rr_s3_addressing_from_string (member_string (o,
                "addressing"), &addressing));
    if (endpoint == NULL) {
      aws = rr_s3_aws_endpoint (region, &err);
      g_assert_no_error (err);
      endpoint = aws;
    }
    loc = rr_s3_location_new (endpoint, member_string (o, "bucket"),
        member_string (o, "key"), addressing, &err);
    g_assert_no_error (err);
    g_free (aws);
    req.host = loc->host;
    req.path = loc->path;
  } else {
    req.host = member_string (o, "host");
    req.path = member_string (o, "path");
  }

  if (g_strcmp0 (kind, "sign") == 0) {
    RrS3Signature *s;

    req.payload_sha256 = member_string (o, "payload");
    if (json_object_has_member (o, "body")) {
      const gchar *body = member_string (o, "body");
      gchar *hash = rr_s3_sha256_hex (body, strlen (body));

      g_assert_cmpstr (hash, ==, req.payload_sha256);
      g_free (hash);
    }
    if (loc)
      g_assert_cmpstr (loc->url, ==, member_string (o, "url"));
    s = rr_s3_sign (&req, &creds, region, member_string (o, "service"), now,
        &err);
    g_assert_no_error (err);
    g_assert_cmpstr (s->authorization, ==, member_string (o, "authorization"));
    rr_s3_signature_free (s);
  } else {
    const gchar *want_url = member_string (o, "url");
    const gchar *want_query = strchr (want_url, '?');
    gchar *q, *got_sorted, *want_sorted;

    g_assert_nonnull (want_query);
    if (loc) {
      gchar *base = g_strndup (want_url, want_query - want_url);

      g_assert_cmpstr (loc->url, ==, base);
      g_free (base);
    }
    q = rr_s3_presign (&req, &creds, region, member_string (o, "service"),
        now, json_object_get_int_member (o, "expires"), &err);
    g_assert_no_error (err);
    /* botocore puts the operation's parameters first: compare as sets */
    got_sorted = sorted_query (q);
    want_sorted = sorted_query (want_query + 1);
    g_assert_cmpstr (got_sorted, ==, want_sorted);
    g_free (got_sorted);
    g_free (want_sorted);
    g_free (q);
  }

  rr_s3_location_free (loc);
  g_free (query);
  g_free (headers);
  g_date_time_unref (now);
}

static void
test_botocore (void)
{
  const gchar *src = g_getenv ("ROOMREC_SOURCE_DIR");
  const gchar *python = "/usr/bin/python3";
  gchar *script, *out = NULL, *errout = NULL;
  const gchar *argv[3];
  gchar **lines;
  GError *err = NULL;
  gint status, i, n_rows = 0;

  if (src == NULL) {
    skip_or_fail ("ROOMREC_SOURCE_DIR is not set (run through meson test)");
    return;
  }
  if (!g_file_test (python, G_FILE_TEST_IS_EXECUTABLE)) {
    skip_or_fail ("no /usr/bin/python3: install python3-botocore");
    return;
  }
  script = g_build_filename (src, "tests", "unit", "s3sign-botocore.py", NULL);
  argv[0] = python;
  argv[1] = script;
  argv[2] = NULL;
  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL,
          NULL, &out, &errout, &status, &err)) {
    g_test_fail_printf ("cannot run %s: %s", script, err->message);
    g_clear_error (&err);
    g_free (script);
    return;
  }
  if (WIFEXITED (status) && WEXITSTATUS (status) == 77) {
    skip_or_fail ("botocore is missing: apt-get install python3-botocore");
    goto done;
  }
  if (!g_spawn_check_wait_status (status, &err)) {
    g_test_fail_printf ("%s failed (%s): %s", script, err->message, errout);
    g_clear_error (&err);
    goto done;
  }
  g_test_message ("%s", errout);        /* "# botocore 1.29.27" */

  lines = g_strsplit (out, "\n", -1);
  for (i = 0; lines[i]; i++) {
    JsonParser *parser;

    if (lines[i][0] == '\0')
      continue;
    parser = json_parser_new ();
    json_parser_load_from_data (parser, lines[i], -1, &err);
    g_assert_no_error (err);
    check_botocore_row (json_node_get_object (json_parser_get_root (parser)));
    g_object_unref (parser);
    n_rows++;
  }
  g_strfreev (lines);
  g_test_message ("%d requests signed the same as botocore", n_rows);
  g_assert_cmpint (n_rows, >=, 30);

done:
  g_free (out);
  g_free (errout);
  g_free (script);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/s3sign/aws/get-object", test_aws_get_object);
  g_test_add_func ("/s3sign/aws/put-object", test_aws_put_object);
  g_test_add_func ("/s3sign/aws/bucket-queries", test_aws_bucket_queries);
  g_test_add_func ("/s3sign/aws/presigned-url", test_aws_presigned_url);
  g_test_add_func ("/s3sign/aws/signing-key", test_signing_key);
  g_test_add_func ("/s3sign/uri-encode", test_uri_encode);
  g_test_add_func ("/s3sign/canonical-query", test_canonical_query);
  g_test_add_func ("/s3sign/canonical-headers", test_canonical_headers);
  g_test_add_func ("/s3sign/multipart-and-paths", test_multipart_and_paths);
  g_test_add_func ("/s3sign/presign-options", test_presign_options);
  g_test_add_func ("/s3sign/locations", test_locations);
  g_test_add_func ("/s3sign/aws-endpoint",
      test_aws_endpoint_and_addressing_names);
  g_test_add_func ("/s3sign/bad/requests", test_bad_requests);
  g_test_add_func ("/s3sign/bad/limits", test_bad_limits);
  g_test_add_func ("/s3sign/bad/presign", test_bad_presign);
  g_test_add_func ("/s3sign/bad/locations", test_bad_locations);
  g_test_add_func ("/s3sign/random-input", test_random_input);
  g_test_add_func ("/s3sign/botocore", test_botocore);
  return g_test_run ();
}
