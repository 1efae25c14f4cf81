/* Fuzz target for the S3 SigV4 signer (gst/core/s3sign.c).
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: NUL-separated fields — method, host, path, header name, header
 * value, query name, query value, access key, secret key, session token,
 * endpoint, bucket, key — each copied into a buffer of exactly its length
 * plus the NUL, so that AddressSanitizer sees any read past it.  A missing
 * field is NULL; the first byte of the input (mod 4) picks the addressing
 * style and whether the token is used.  rr_s3_sign(), rr_s3_presign() and
 * rr_s3_location_new() run on them.  A result must hold no control
 * character nor, for URLs and queries, anything but printable ASCII; an
 * error must be an RR_S3_ERROR with a UTF-8 message.
 *
 * libFuzzer build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DROOMREC_LIBFUZZER \
 *     -fno-sanitize-recover=undefined -Igst/core \
 *     $(pkg-config --cflags glib-2.0) \
 *     tests/fuzz/fuzz-s3sign.c gst/core/s3sign.c \
 *     $(pkg-config --libs glib-2.0) -o fuzz-s3sign
 *   ./fuzz-s3sign -max_len=2048 CORPUS_DIR
 * Without ROOMREC_LIBFUZZER a main() replays the files and directories given
 * on the command line.
 */
#include "s3sign.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#define N_FIELDS 13

static void
check_error (GError * err)
{
  if (err == NULL || err->domain != RR_S3_ERROR
      || err->code > RR_S3_ERROR_ADDRESS
      || !g_utf8_validate (err->message, -1, NULL))
    abort ();
  g_error_free (err);
}

/* printable ASCII, no space */
static void
check_url_text (const gchar * s)
{
  for (; *s; s++) {
    if ((guchar) * s <= 0x20 || (guchar) * s >= 0x7f)
      abort ();
  }
}

static void
check_header_value (const gchar * s)
{
  if (!g_utf8_validate (s, -1, NULL))
    abort ();
  for (; *s; s++) {
    if ((guchar) * s < 0x20 || *s == 0x7f)
      abort ();
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  gchar *fields[N_FIELDS] = { NULL };
  RrS3Pair header, query;
  RrS3Request req;
  RrS3Credentials creds;
  RrS3Signature *s;
  RrS3Location *loc;
  GDateTime *now;
  GError *err = NULL;
  gchar *q;
  guint mode, f, i;
  size_t pos = 1;

  if (size < 1)
    return 0;
  mode = data[0] % 4;
  for (f = 0; f < N_FIELDS && pos <= size; f++) {
    const uint8_t *end = memchr (data + pos, 0, size - pos);
    size_t len = end ? (size_t) (end - (data + pos)) : size - pos;

    fields[f] = malloc (len + 1);
    if (fields[f] == NULL)
      abort ();
    memcpy (fields[f], data + pos, len);
    fields[f][len] = '\0';
    pos += len + 1;
  }

  header.name = fields[3];
  header.value = fields[4];
  query.name = fields[5];
  query.value = fields[6];
  memset (&req, 0, sizeof (req));
  req.method = fields[0];
  req.host = fields[1];
  req.path = fields[2];
  req.headers = &header;
  req.n_headers = fields[3] ? 1 : 0;
  req.query = &query;
  req.n_query = fields[5] ? 1 : 0;
  creds.access_key = fields[7];
  creds.secret_key = fields[8];
  creds.session_token = mode & 1 ? fields[9] : NULL;
  now = g_date_time_new_utc (2013, 5, 24, 0, 0, 0);

  s = rr_s3_sign (&req, &creds, "us-east-1", RR_S3_SERVICE, now, &err);
  if (s) {
    if (err || s->n_headers < 3 || s->n_headers > 4
        || strlen (s->signature) != 64
        || !g_str_has_prefix (s->authorization, "AWS4-HMAC-SHA256 Credential="))
      abort ();
    for (i = 0; i < s->n_headers; i++)
      check_header_value (s->headers[i].value);
    if (!g_utf8_validate (s->canonical_request, -1, NULL))
      abort ();
    rr_s3_signature_free (s);
  } else {
    check_error (err);
    err = NULL;
  }

  q = rr_s3_presign (&req, &creds, "us-east-1", RR_S3_SERVICE, now,
      1 + size, &err);
  if (q) {
    if (err || !strstr (q, "&X-Amz-Signature="))
      abort ();
    check_url_text (q);
    g_free (q);
  } else {
    check_error (err);
    err = NULL;
  }

  loc = rr_s3_location_new (fields[10], fields[11], fields[12],
      (RrS3Addressing) (mode >> 1 ? mode - 1 : mode), &err);
  if (loc) {
    const gchar *after = g_str_has_prefix (loc->url, "https://") ?
        loc->url + 8 : g_str_has_prefix (loc->url, "http://") ?
        loc->url + 7 : NULL;

    /* scheme://host/encoded-path */
    if (err || loc->path[0] != '/' || after == NULL
        || !g_str_has_prefix (after, loc->host)
        || after[strlen (loc->host)] != '/')
      abort ();
    check_url_text (loc->url);
    check_url_text (loc->host);
    if (!g_utf8_validate (loc->path, -1, NULL))
      abort ();
    rr_s3_location_free (loc);
  } else {
    check_error (err);
  }

  g_date_time_unref (now);
  for (f = 0; f < N_FIELDS; f++)
    free (fields[f]);
  return 0;
}

#ifndef ROOMREC_LIBFUZZER
#include "fuzz-replay.h"
#endif
