/* roomrec — tests of the S3 uploader (tools/s3upload.c)
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Against tests/integration/fake-s3.py, which re-signs every request with
 * botocore and refuses a wrong signature, body hash or Content-MD5: a
 * small file and a multipart one byte-for-byte, statuses and events,
 * local files deleted, retries after 500s and dropped connections, a
 * wrong secret (403, no retry, evacuated), an exhausted retry budget, a
 * restart that resumes (and aborts the stale multipart upload), and the
 * credentials from the environment.
 */
#include "s3upload.h"

#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#define MIB (1024 * 1024)
#define AK "AKIDROOMRECTEST"
#define SK "roomrec/test+secret"
#define BUCKET "rec-bucket"

static GSubprocess *server;
static guint server_port;
static gchar *tmp_root;
static gchar *store_root;
static SoupSession *control_session;
static guint test_counter;

/* ------------------------------------------------------------------ */

static gboolean
start_server (void)
{
  const gchar *src = g_getenv ("ROOMREC_SOURCE_DIR");
  g_autofree gchar *script = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autofree gchar *line = NULL;

  script = g_build_filename (src ? src : ".", "tests", "integration",
      "fake-s3.py", NULL);
  store_root = g_build_filename (tmp_root, "store", NULL);
  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
      G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "/usr/bin/python3", script,
      "--root", store_root, "--access-key", AK, "--secret-key", SK, NULL);
  if (server == NULL) {
    g_printerr ("cannot start %s: %s\n", script, error->message);
    return FALSE;
  }
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  if (line == NULL || !g_str_has_prefix (line, "PORT ")) {
    g_printerr ("fake-s3.py did not start (botocore missing?)\n");
    return FALSE;
  }
  server_port = atoi (line + 5);
  return server_port > 0;
}

static void
stop_server (void)
{
  if (server == NULL)
    return;
  g_output_stream_close (g_subprocess_get_stdin_pipe (server), NULL, NULL);
  g_subprocess_wait (server, NULL, NULL);
  g_clear_object (&server);
}

static gchar *
control (const gchar * what)
{
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u/_fake/%s",
      server_port, what);
  g_autoptr (SoupMessage) msg = soup_message_new (g_str_has_prefix (what,
          "stats") ? "GET" : "POST", url);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;
  gsize len;
  const gchar *data;

  body = soup_session_send_and_read (control_session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  data = g_bytes_get_data (body, &len);
  return g_strndup (data ? data : "", len);
}

static JsonNode *
stats (void)
{
  g_autofree gchar *text = control ("stats");
  g_autoptr (GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  return node;
}

static gint64
stat_int (const gchar * name)
{
  g_autoptr (JsonNode) node = stats ();

  return json_object_get_int_member (json_node_get_object (node), name);
}

/* How many logged requests have @method, a query containing @query (or
 * any) and a result starting with @result (or any). */
static guint
count_log (const gchar * method, const gchar * query, const gchar * result)
{
  g_autoptr (JsonNode) node = stats ();
  JsonArray *log = json_object_get_array_member (json_node_get_object (node),
      "log");
  guint i, n = 0;

  for (i = 0; i < json_array_get_length (log); i++) {
    JsonObject *o = json_array_get_object_element (log, i);

    if (g_strcmp0 (json_object_get_string_member (o, "method"), method))
      continue;
    if (query && !strstr (json_object_get_string_member (o, "query"), query))
      continue;
    if (result && !g_str_has_prefix (json_object_get_string_member (o,
                "result"), result))
      continue;
    n++;
  }
  return n;
}

/* ------------------------------------------------------------------ */

typedef struct
{
  gchar *path;
  gchar *event;
  RrS3FileStatus status;
  guint64 bytes_sent, bytes_total;
  guint parts_sent, n_parts, retries;
  gchar *error;
  gchar *evacuated;
  gchar *etag;
} Seen;

static void
seen_free (Seen * s)
{
  g_free (s->path);
  g_free (s->event);
  g_free (s->error);
  g_free (s->evacuated);
  g_free (s->etag);
  g_free (s);
}

typedef struct
{
  GPtrArray *events;
  gchar *dir;
  RrS3UploaderConfig config;
  gchar *name, *state_dir, *evac_dir;
} Fixture;

static void
on_event (const RrS3UploadEvent * ev, gpointer user_data)
{
  Fixture *f = user_data;
  Seen *s = g_new0 (Seen, 1);

  g_assert_nonnull (ev->path);
  g_assert_nonnull (ev->key);
  g_assert_true (g_str_has_prefix (ev->url, "http://127.0.0.1:"));
  s->path = g_strdup (ev->path);
  s->event = g_strdup (ev->event);
  s->status = ev->status;
  s->bytes_sent = ev->bytes_sent;
  s->bytes_total = ev->bytes_total;
  s->parts_sent = ev->parts_sent;
  s->n_parts = ev->n_parts;
  s->retries = ev->retries;
  s->error = ev->error ? g_strdup (ev->error->message) : NULL;
  s->evacuated = g_strdup (ev->evacuated_path);
  s->etag = g_strdup (ev->etag);
  if (g_test_verbose ())
    g_printerr ("event %s %s %s %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
        " %s\n", ev->path, rr_s3_file_status_name (ev->status),
        ev->event ? ev->event : "-", ev->bytes_sent, ev->bytes_total,
        s->error ? s->error : "");
  g_ptr_array_add (f->events, s);
}

static void
fixture_init (Fixture * f)
{
  gchar *name = g_strdup_printf ("t%u", ++test_counter);

  f->name = name;
  f->events = g_ptr_array_new_with_free_func ((GDestroyNotify) seen_free);
  f->dir = g_build_filename (tmp_root, name, NULL);
  f->state_dir = g_build_filename (f->dir, "state", NULL);
  f->evac_dir = g_build_filename (f->dir, "evacuated", NULL);
  g_assert_cmpint (g_mkdir_with_parents (f->dir, 0755), ==, 0);
  memset (&f->config, 0, sizeof (f->config));
  f->config.endpoint = NULL;
  f->config.region = "eu-west-1";
  f->config.bucket = BUCKET;
  f->config.prefix = name;
  f->config.addressing = RR_S3_ADDRESSING_PATH;
  f->config.access_key = AK;
  f->config.secret_key = SK;
  f->config.part_size = 5 * MIB;
  f->config.multipart_threshold = 5 * MIB;
  f->config.max_retries = 3;
  f->config.retry_initial_ms = 20;
  f->config.retry_max_ms = 100;
  f->config.timeout_s = 10;
  f->config.delete_after_upload = TRUE;
  f->config.evacuation_dir = f->evac_dir;
  f->config.state_dir = f->state_dir;
  g_free (control ("reset"));
}

static void
fixture_clear (Fixture * f)
{
  g_ptr_array_unref (f->events);
  g_free (f->dir);
  g_free (f->name);
  g_free (f->state_dir);
  g_free (f->evac_dir);
}

static gchar *
endpoint (void)
{
  return g_strdup_printf ("http://127.0.0.1:%u", server_port);
}

static RrS3Uploader *
uploader_new (Fixture * f)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *ep = endpoint ();
  RrS3Uploader *u;

  f->config.endpoint = ep;
  u = rr_s3_uploader_new (&f->config, on_event, f, NULL, &error);
  f->config.endpoint = NULL;
  g_assert_no_error (error);
  g_assert_nonnull (u);
  return u;
}

static GBytes *
make_file (const gchar * path, gsize size, guint32 seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  guint8 *data = g_malloc (size + 1);
  gsize i;

  for (i = 0; i < size; i++)
    data[i] = g_rand_int (rand) & 0xff;
  g_rand_free (rand);
  g_assert_true (g_file_set_contents (path, (gchar *) data, size, NULL));
  return g_bytes_new_take (data, size);
}

static const Seen *
find_event (Fixture * f, const gchar * path, RrS3FileStatus status,
    const gchar * event)
{
  guint i;

  for (i = 0; i < f->events->len; i++) {
    const Seen *s = g_ptr_array_index (f->events, i);

    if (strcmp (s->path, path) == 0 && s->status == status
        && (event == NULL || g_strcmp0 (s->event, event) == 0))
      return s;
  }
  return NULL;
}

static gboolean
wake (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the default main context until @path reached @status (or 30 s). */
static const Seen *
wait_status (Fixture * f, const gchar * path, RrS3FileStatus status)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  guint tick = g_timeout_add (50, wake, NULL);
  const Seen *s;

  while ((s = find_event (f, path, status, NULL)) == NULL
      && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  if (s == NULL)
    g_error ("%s never reached %s", path, rr_s3_file_status_name (status));
  return s;
}

static void
check_object (Fixture * f, const gchar * key, GBytes * expected)
{
  g_autofree gchar *path = g_build_filename (store_root, BUCKET,
      f->config.prefix, key, NULL);
  g_autofree gchar *data = NULL;
  gsize len;
  g_autoptr (GBytes) got = NULL;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  got = g_bytes_new_take (g_steal_pointer (&data), len);
  g_assert_cmpuint (len, ==, g_bytes_get_size (expected));
  g_assert_true (g_bytes_equal (got, expected));
}

/* The status of @path in the state file. */
static gchar *
state_status (Fixture * f, const gchar * path, gchar ** upload_id)
{
  g_autofree gchar *file = g_build_filename (f->state_dir, "uploads.json",
      NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonArray *files;
  guint i;

  g_assert_true (json_parser_load_from_file (parser, file, &error));
  files = json_object_get_array_member (json_node_get_object
      (json_parser_get_root (parser)), "files");
  for (i = 0; i < json_array_get_length (files); i++) {
    JsonObject *o = json_array_get_object_element (files, i);

    if (strcmp (json_object_get_string_member (o, "path"), path) == 0) {
      if (upload_id)
        *upload_id = g_strdup (json_object_get_string_member (o, "upload_id"));
      return g_strdup (json_object_get_string_member (o, "status"));
    }
  }
  return NULL;
}

/* ------------------------------------------------------------------ */

static void
test_status_names (void)
{
  RrS3FileStatus s;
  guint i;

  for (i = RR_S3_STATUS_RECORDING; i <= RR_S3_STATUS_DELETED; i++) {
    g_assert_true (rr_s3_file_status_from_name (rr_s3_file_status_name (i),
            &s));
    g_assert_cmpuint (s, ==, i);
  }
  g_assert_cmpstr (rr_s3_file_status_name (RR_S3_STATUS_TRANSFER_FAIL), ==,
      "TRANSFER_FAIL");
  g_assert_null (rr_s3_file_status_name (99));
  g_assert_false (rr_s3_file_status_from_name ("transfer", &s));
}

static void
test_config_errors (void)
{
  Fixture f;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *ep = endpoint ();
  RrS3Uploader *u;

  fixture_init (&f);
  f.config.endpoint = ep;
  f.config.part_size = MIB;
  u = rr_s3_uploader_new (&f.config, NULL, NULL, NULL, &error);
  g_assert_null (u);
  g_assert_error (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_CONFIG);
  g_clear_error (&error);

  f.config.part_size = 0;
  f.config.access_key = "bad key";
  u = rr_s3_uploader_new (&f.config, NULL, NULL, NULL, &error);
  g_assert_null (u);
  g_assert_error (error, RR_S3_ERROR, RR_S3_ERROR_CREDENTIALS);
  g_clear_error (&error);

  f.config.access_key = AK;
  f.config.endpoint = "ftp://example.com";
  u = rr_s3_uploader_new (&f.config, NULL, NULL, NULL, &error);
  g_assert_null (u);
  g_assert_error (error, RR_S3_ERROR, RR_S3_ERROR_ADDRESS);
  g_clear_error (&error);

  /* a key with a ".." segment is refused at once */
  f.config.endpoint = ep;
  u = rr_s3_uploader_new (&f.config, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (rr_s3_uploader_enqueue (u, "/nonexistent", "a/../b", &error));
  g_assert_error (error, RR_S3_ERROR, RR_S3_ERROR_ADDRESS);
  rr_s3_uploader_free (u);
  fixture_clear (&f);
}

/* A small file (single PUT), an empty one and an 11 MiB one (multipart
 * with 5 MiB parts). */
static void
test_upload (void)
{
  Fixture f;
  RrS3Uploader *u;
  g_autofree gchar *small = NULL, *empty = NULL, *big = NULL;
  g_autofree gchar *st = NULL;
  g_autoptr (GBytes) small_data = NULL, empty_data = NULL, big_data = NULL;
  const Seen *s;
  guint i, progress = 0, order = 0;

  fixture_init (&f);
  small = g_build_filename (f.dir, "archive-small.mp4", NULL);
  empty = g_build_filename (f.dir, "archive-empty.json", NULL);
  big = g_build_filename (f.dir, "archive-big.webm", NULL);
  small_data = make_file (small, 100 * 1024 + 7, 1);
  empty_data = make_file (empty, 0, 2);
  big_data = make_file (big, 11 * MIB + 123, 3);

  u = uploader_new (&f);
  g_assert_true (rr_s3_uploader_enqueue (u, small, "rec 1/vidéo+1 ~a.mp4",
          NULL));
  g_assert_true (rr_s3_uploader_enqueue (u, empty, NULL, NULL));
  g_assert_true (rr_s3_uploader_enqueue (u, big, "rec 1/big.webm", NULL));
  g_assert_cmpuint (rr_s3_uploader_get_pending (u), ==, 3);
  wait_status (&f, small, RR_S3_STATUS_DELETED);
  wait_status (&f, empty, RR_S3_STATUS_DELETED);
  wait_status (&f, big, RR_S3_STATUS_DELETED);
  g_assert_cmpuint (rr_s3_uploader_get_pending (u), ==, 0);

  check_object (&f, "rec 1/vidéo+1 ~a.mp4", small_data);
  check_object (&f, "archive-empty.json", empty_data);
  check_object (&f, "rec 1/big.webm", big_data);
  g_assert_false (g_file_test (small, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (empty, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (big, G_FILE_TEST_EXISTS));

  /* the statuses of the small file, in order */
  for (i = 0; i < f.events->len; i++) {
    const Seen *e = g_ptr_array_index (f.events, i);
    static const RrS3FileStatus want[] = {
      RR_S3_STATUS_TRANSFER_READY, RR_S3_STATUS_TRANSFER,
      RR_S3_STATUS_TRANSFER_FINISH, RR_S3_STATUS_DELETED
    };

    if (strcmp (e->path, small) != 0)
      continue;
    g_assert_cmpuint (order, <, G_N_ELEMENTS (want));
    g_assert_cmpuint (e->status, ==, want[order]);
    order++;
  }
  g_assert_cmpuint (order, ==, 4);
  s = find_event (&f, small, RR_S3_STATUS_TRANSFER, "upload.started");
  g_assert_nonnull (s);
  s = find_event (&f, small, RR_S3_STATUS_TRANSFER_FINISH, "upload.completed");
  g_assert_nonnull (s);
  g_assert_cmpuint (s->bytes_sent, ==, 100 * 1024 + 7);
  g_assert_cmpuint (strlen (s->etag), ==, 34);  /* "md5" */

  for (i = 0; i < f.events->len; i++) {
    const Seen *e = g_ptr_array_index (f.events, i);

    if (strcmp (e->path, big) == 0
        && g_strcmp0 (e->event, "upload.progress") == 0) {
      progress++;
      g_assert_cmpuint (e->parts_sent, ==, progress);
      g_assert_cmpuint (e->n_parts, ==, 3);
      g_assert_cmpuint (e->bytes_total, ==, 11 * MIB + 123);
    }
  }
  g_assert_cmpuint (progress, ==, 3);
  s = find_event (&f, big, RR_S3_STATUS_TRANSFER_FINISH, "upload.completed");
  g_assert_true (g_str_has_suffix (s->etag, "-3\""));

  /* every request was signed right (botocore agreed) */
  g_assert_cmpint (stat_int ("bad_signatures"), ==, 0);
  g_assert_cmpuint (count_log ("POST", "uploads=", "ok"), ==, 1);
  g_assert_cmpuint (count_log ("POST", "uploadId=", "ok"), ==, 1);
  g_assert_cmpuint (count_log ("PUT", "partNumber", "ok"), ==, 3);
  g_assert_cmpuint (count_log ("PUT", NULL, "ok"), ==, 5);

  rr_s3_uploader_free (u);
  st = state_status (&f, big, NULL);
  g_assert_cmpstr (st, ==, "DELETED");
  g_free (st);
  st = state_status (&f, small, NULL);
  g_assert_cmpstr (st, ==, "DELETED");
  fixture_clear (&f);
}

/* 500, 500, then OK; a dropped connection; a dropped part; without
 * delete-after-upload the file stays (TRANSFER_FINISH). */
static void
test_retry (void)
{
  Fixture f;
  RrS3Uploader *u;
  g_autofree gchar *a = NULL, *b = NULL, *c = NULL, *st = NULL;
  g_autoptr (GBytes) a_data = NULL, b_data = NULL, c_data = NULL;
  const Seen *s;

  fixture_init (&f);
  f.config.delete_after_upload = FALSE;
  a = g_build_filename (f.dir, "a.mp4", NULL);
  b = g_build_filename (f.dir, "b.mp4", NULL);
  c = g_build_filename (f.dir, "c.mkv", NULL);
  a_data = make_file (a, 4096, 4);
  b_data = make_file (b, 5000, 5);
  c_data = make_file (c, 6 * MIB, 6);
  u = uploader_new (&f);

  g_free (control ("fail?count=2&mode=500"));
  g_assert_true (rr_s3_uploader_enqueue (u, a, NULL, NULL));
  s = wait_status (&f, a, RR_S3_STATUS_TRANSFER_FINISH);
  g_assert_cmpuint (s->retries, ==, 2);
  check_object (&f, "a.mp4", a_data);
  g_assert_true (g_file_test (a, G_FILE_TEST_EXISTS));
  g_assert_null (find_event (&f, a, RR_S3_STATUS_DELETED, NULL));

  /* dropped on the kept-alive connection (libsoup sends it again by
   * itself), then on a new one (the uploader's retry) */
  g_free (control ("fail?count=2&mode=drop"));
  g_assert_true (rr_s3_uploader_enqueue (u, b, NULL, NULL));
  s = wait_status (&f, b, RR_S3_STATUS_TRANSFER_FINISH);
  g_assert_cmpuint (s->retries, >=, 2);
  check_object (&f, "b.mp4", b_data);

  /* a part dropped; CompleteMultipartUpload answering 200 + <Error> */
  g_free (control ("fail?count=1&mode=drop&method=PUT"));
  g_assert_true (rr_s3_uploader_enqueue (u, c, NULL, NULL));
  wait_status (&f, c, RR_S3_STATUS_TRANSFER);
  s = wait_status (&f, c, RR_S3_STATUS_TRANSFER_FINISH);
  g_assert_cmpuint (s->retries, >=, 1);
  check_object (&f, "c.mkv", c_data);
  g_assert_cmpint (stat_int ("failed_injected"), ==, 5);

  g_ptr_array_set_size (f.events, 0);
  g_free (control ("fail?count=1&mode=200error&method=POST&query=uploadId="));
  g_assert_true (rr_s3_uploader_enqueue (u, c, NULL, NULL));
  wait_status (&f, c, RR_S3_STATUS_TRANSFER);
  s = wait_status (&f, c, RR_S3_STATUS_TRANSFER_FINISH);
  g_assert_cmpuint (s->retries, >=, 1);
  check_object (&f, "c.mkv", c_data);
  g_assert_cmpint (stat_int ("bad_signatures"), ==, 0);
  g_assert_cmpint (stat_int ("failed_injected"), ==, 6);
  g_assert_cmpuint (count_log ("POST", "uploadId=", "injected"), ==, 1);
  g_assert_cmpuint (count_log ("POST", "uploadId=", "ok"), ==, 2);

  rr_s3_uploader_free (u);
  st = state_status (&f, c, NULL);
  g_assert_cmpstr (st, ==, "TRANSFER_FINISH");
  fixture_clear (&f);
}

/* A wrong secret: 403 SignatureDoesNotMatch, no retry, TRANSFER_FAIL, the
 * file in the evacuation dir.  Then a server that keeps failing: the
 * retry budget runs out, the multipart upload is aborted. */
static void
test_fail (void)
{
  Fixture f;
  RrS3Uploader *u;
  g_autofree gchar *a = NULL, *b = NULL, *evac = NULL, *st = NULL;
  g_autoptr (GBytes) a_data = NULL, b_data = NULL;
  g_autofree gchar *evac_data = NULL;
  gsize len;
  const Seen *s;

  fixture_init (&f);
  a = g_build_filename (f.dir, "archive-a.mp4", NULL);
  b = g_build_filename (f.dir, "archive-b.mp4", NULL);
  a_data = make_file (a, 3000, 7);
  b_data = make_file (b, 6 * MIB, 8);

  f.config.secret_key = "not the secret";
  u = uploader_new (&f);
  g_assert_true (rr_s3_uploader_enqueue (u, a, NULL, NULL));
  s = wait_status (&f, a, RR_S3_STATUS_TRANSFER_FAIL);
  g_assert_cmpstr (s->event, ==, "upload.failed");
  g_assert_nonnull (strstr (s->error, "403"));
  g_assert_nonnull (strstr (s->error, "SignatureDoesNotMatch"));
  g_assert_nonnull (strstr (s->error, "does not match"));
  g_assert_cmpuint (s->retries, ==, 0);
  evac = g_build_filename (f.evac_dir, "archive-a.mp4", NULL);
  g_assert_cmpstr (s->evacuated, ==, evac);
  g_assert_false (g_file_test (a, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_get_contents (evac, &evac_data, &len, NULL));
  g_assert_cmpmem (evac_data, len, g_bytes_get_data (a_data, NULL), 3000);
  g_assert_cmpint (stat_int ("bad_signatures"), ==, 1);
  g_assert_cmpuint (rr_s3_uploader_get_pending (u), ==, 0);
  rr_s3_uploader_free (u);
  st = state_status (&f, a, NULL);
  g_assert_cmpstr (st, ==, "TRANSFER_FAIL");

  /* parts keep failing: 1 + 3 retries, then abort and evacuate */
  f.config.secret_key = SK;
  g_free (control ("reset"));
  g_free (control ("fail?count=1000&mode=503&method=PUT"));
  u = uploader_new (&f);
  g_assert_true (rr_s3_uploader_enqueue (u, b, NULL, NULL));
  s = wait_status (&f, b, RR_S3_STATUS_TRANSFER_FAIL);
  g_assert_nonnull (strstr (s->error, "gave up after 4 attempts"));
  g_assert_nonnull (strstr (s->error, "503"));
  g_assert_nonnull (s->evacuated);
  g_assert_true (g_file_test (s->evacuated, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_log ("PUT", "partNumber", NULL), ==, 4);
  g_assert_cmpuint (count_log ("DELETE", "uploadId", "ok"), ==, 1);
  rr_s3_uploader_free (u);
  g_free (control ("reset"));
  fixture_clear (&f);
}

/* Stopped while a multipart upload is retrying: the state says TRANSFER
 * with the upload id, and TRANSFER_READY for a file enqueued during the
 * backoff; the next uploader on that state dir aborts the stale upload
 * and uploads both files (the first from scratch). */
static void
test_restart (void)
{
  Fixture f;
  RrS3Uploader *u;
  g_autofree gchar *a = NULL, *b = NULL, *st = NULL, *upload_id = NULL;
  g_autoptr (GBytes) a_data = NULL, b_data = NULL;
  g_autoptr (GError) error = NULL;
  gint64 t0;

  fixture_init (&f);
  a = g_build_filename (f.dir, "archive-r.webm", NULL);
  b = g_build_filename (f.dir, "archive-r2.mp4", NULL);
  a_data = make_file (a, 6 * MIB + 1, 9);
  b_data = make_file (b, 777, 11);

  g_free (control ("fail?count=1000&mode=500&method=PUT"));
  f.config.retry_initial_ms = 60000;
  u = uploader_new (&f);
  g_assert_true (rr_s3_uploader_enqueue (u, a, NULL, NULL));
  wait_status (&f, a, RR_S3_STATUS_TRANSFER);
  t0 = g_get_monotonic_time ();
  while (stat_int ("failed_injected") < 1) {
    g_assert_cmpint (g_get_monotonic_time () - t0, <, 30 * G_USEC_PER_SEC);
    g_usleep (10 * 1000);
  }
  /* in its 60 s backoff: a new file is taken in (persisted) at once */
  g_assert_true (rr_s3_uploader_enqueue (u, b, NULL, NULL));
  wait_status (&f, b, RR_S3_STATUS_TRANSFER_READY);
  /* and stop does not wait for the backoff */
  t0 = g_get_monotonic_time ();
  rr_s3_uploader_stop (u);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 5 * G_USEC_PER_SEC);
  g_assert_false (rr_s3_uploader_enqueue (u, b, NULL, &error));
  g_assert_error (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_CONFIG);
  rr_s3_uploader_free (u);
  st = state_status (&f, a, &upload_id);
  g_assert_cmpstr (st, ==, "TRANSFER");
  g_assert_nonnull (upload_id);
  g_free (st);
  st = state_status (&f, b, NULL);
  g_assert_cmpstr (st, ==, "TRANSFER_READY");
  g_assert_true (g_file_test (a, G_FILE_TEST_EXISTS));

  g_free (control ("reset"));
  f.config.retry_initial_ms = 20;
  g_ptr_array_set_size (f.events, 0);
  u = uploader_new (&f);
  g_assert_cmpuint (rr_s3_uploader_get_pending (u), ==, 2);
  wait_status (&f, a, RR_S3_STATUS_TRANSFER_READY);
  wait_status (&f, a, RR_S3_STATUS_DELETED);
  wait_status (&f, b, RR_S3_STATUS_DELETED);
  check_object (&f, "archive-r.webm", a_data);
  check_object (&f, "archive-r2.mp4", b_data);
  g_assert_cmpuint (count_log ("DELETE", upload_id, "ok"), ==, 1);
  g_assert_cmpuint (count_log ("PUT", "partNumber", "ok"), ==, 2);
  g_assert_cmpint (stat_int ("bad_signatures"), ==, 0);
  rr_s3_uploader_free (u);
  g_free (st);
  st = state_status (&f, a, NULL);
  g_assert_cmpstr (st, ==, "DELETED");
  fixture_clear (&f);
}

/* Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN (x-amz-security-token is signed too). */
/* Retention: a kept copy goes once its time is up (status DELETED, the
 * time in the event and the state file); one whose time passed while no
 * uploader ran goes when the next one starts on the same state dir. */
static void
test_retention (void)
{
  Fixture f;
  RrS3Uploader *u;
  g_autofree gchar *a = NULL, *b = NULL, *st = NULL, *state = NULL;
  g_autoptr (GBytes) a_data = NULL, b_data = NULL;
  gint64 before = g_get_real_time ();

  fixture_init (&f);
  f.config.delete_after_upload = FALSE;
  f.config.retention_s = 1;
  a = g_build_filename (f.dir, "a.webm", NULL);
  a_data = make_file (a, 3000, 7);
  u = uploader_new (&f);
  g_assert_true (rr_s3_uploader_enqueue (u, a, NULL, NULL));
  wait_status (&f, a, RR_S3_STATUS_TRANSFER_FINISH);
  check_object (&f, "a.webm", a_data);
  g_assert_true (g_file_test (a, G_FILE_TEST_EXISTS));
  state = g_build_filename (f.state_dir, "uploads.json", NULL);
  {
    g_autofree gchar *text = NULL;

    g_assert_true (g_file_get_contents (state, &text, NULL, NULL));
    g_assert_nonnull (strstr (text, "should_delete_time"));
  }
  wait_status (&f, a, RR_S3_STATUS_DELETED);
  g_assert_false (g_file_test (a, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_get_real_time () - before, >=, G_USEC_PER_SEC);

  /* stopped before the time is up: the next uploader deletes it */
  b = g_build_filename (f.dir, "b.webm", NULL);
  b_data = make_file (b, 2000, 8);
  g_assert_true (rr_s3_uploader_enqueue (u, b, NULL, NULL));
  wait_status (&f, b, RR_S3_STATUS_TRANSFER_FINISH);
  rr_s3_uploader_free (u);
  g_assert_true (g_file_test (b, G_FILE_TEST_EXISTS));
  g_usleep (1100 * 1000);
  g_ptr_array_set_size (f.events, 0);
  u = uploader_new (&f);
  wait_status (&f, b, RR_S3_STATUS_DELETED);
  g_assert_false (g_file_test (b, G_FILE_TEST_EXISTS));
  rr_s3_uploader_free (u);
  st = state_status (&f, b, NULL);
  g_assert_cmpstr (st, ==, "DELETED");
  fixture_clear (&f);
}

static void
test_env_credentials (void)
{
  Fixture f;
  RrS3Uploader *u;
  g_autofree gchar *a = NULL;
  g_autoptr (GBytes) a_data = NULL;
  g_autoptr (GError) error = NULL;

  fixture_init (&f);
  a = g_build_filename (f.dir, "env.mp4", NULL);
  a_data = make_file (a, 1234, 10);
  /* main() set them, before any thread */
  f.config.access_key = NULL;
  f.config.secret_key = NULL;
  u = uploader_new (&f);
  g_assert_true (rr_s3_uploader_enqueue (u, a, "x/env.mp4", &error));
  g_assert_no_error (error);
  wait_status (&f, a, RR_S3_STATUS_DELETED);
  check_object (&f, "x/env.mp4", a_data);
  g_assert_cmpint (stat_int ("with_session_token"), ==, 1);
  rr_s3_uploader_free (u);
  fixture_clear (&f);
}

static void
rm_rf (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (dir) {
    while ((name = g_dir_read_name (dir)) != NULL) {
      g_autofree gchar *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR)
          && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        rm_rf (child);
      else
        g_unlink (child);
    }
    g_dir_close (dir);
  }
  g_rmdir (path);
}

int
main (int argc, char **argv)
{
  int ret;

  /* for /s3upload/env-credentials: set before any thread exists */
  g_setenv ("AWS_ACCESS_KEY_ID", AK, TRUE);
  g_setenv ("AWS_SECRET_ACCESS_KEY", SK, TRUE);
  /* only with the keys of the environment: the other tests sign without */
  g_setenv ("AWS_SESSION_TOKEN", "FQoGZXIvYXdzEXAMPLE//token+=", TRUE);
  g_test_init (&argc, &argv, NULL);
  /* the uploader warns about files that failed for good: expected here */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  tmp_root = g_dir_make_tmp ("roomrec-s3upload-XXXXXX", NULL);
  g_assert_nonnull (tmp_root);
  control_session = soup_session_new ();
  g_test_add_func ("/s3upload/status-names", test_status_names);
  if (!start_server ()) {
    if (g_strcmp0 (g_getenv ("ROOMREC_REQUIRE_BOTOCORE"), "1") == 0)
      g_error ("fake-s3.py (python3-botocore) is required");
    g_test_skip ("fake-s3.py did not start");
    ret = g_test_run ();
  } else {
    g_test_add_func ("/s3upload/config-errors", test_config_errors);
    g_test_add_func ("/s3upload/env-credentials", test_env_credentials);
    g_test_add_func ("/s3upload/upload", test_upload);
    g_test_add_func ("/s3upload/retry", test_retry);
    g_test_add_func ("/s3upload/fail", test_fail);
    g_test_add_func ("/s3upload/restart", test_restart);
    g_test_add_func ("/s3upload/retention", test_retention);
    ret = g_test_run ();
  }
  stop_server ();
  g_clear_object (&control_session);
  rm_rf (tmp_root);
  g_free (tmp_root);
  g_free (store_root);
  return ret;
}
