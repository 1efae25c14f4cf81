/* roomrec — uploading finished files to S3-compatible storage
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * See s3upload.h and docs/s3.md ("The uploader").  The worker thread runs
 * the libsoup 3 *synchronous* API on its own thread-default GMainContext:
 * one file after the other, one request at a time, so the whole upload of
 * a file reads as straight-line code (hash, send, retry, next part), and
 * rr_s3_uploader_stop() interrupts it with a GCancellable and a GCond.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define G_LOG_DOMAIN "roomrec-s3upload"

#include "s3upload.h"
#include "sidecar.h"
#include "webhook.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

/* not G_DEFINE_QUARK: GNU indent would put blanks into its name */
GQuark
rr_s3_upload_error_quark (void)
{
  return g_quark_from_static_string ("rr-s3-upload-error-quark");
}

#define STATE_VERSION 1
#define S3_XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"

static const gchar *const status_names[] = {
  "RECORDING", "PROCESSING", "PROCESSING_FAIL", "TRANSFER_READY",
  "TRANSFER", "TRANSFER_FINISH", "TRANSFER_FAIL", "DELETED",
};

const gchar *
rr_s3_file_status_name (RrS3FileStatus status)
{
  if ((guint) status >= G_N_ELEMENTS (status_names))
    return NULL;
  return status_names[status];
}

gboolean
rr_s3_file_status_from_name (const gchar * name, RrS3FileStatus * status)
{
  guint i;

  for (i = 0; name && i < G_N_ELEMENTS (status_names); i++) {
    if (strcmp (name, status_names[i]) == 0) {
      if (status)
        *status = (RrS3FileStatus) i;
      return TRUE;
    }
  }
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* One file of the state                                               */

typedef struct
{
  gchar *path;
  gchar *key;                   /* prefix included */
  gchar *url;
  RrS3FileStatus status;
  guint64 size;
  guint64 bytes_sent;
  gchar *upload_id;             /* multipart upload in progress */
  gchar *error;
  gchar *evacuated_path;
  gint64 updated_us;
  gint64 should_delete_us;      /* retention: when the local copy goes */
} Entry;

static void
entry_free (Entry * e)
{
  g_free (e->path);
  g_free (e->key);
  g_free (e->url);
  g_free (e->upload_id);
  g_free (e->error);
  g_free (e->evacuated_path);
  g_free (e);
}

/* ------------------------------------------------------------------ */
/* Events, delivered in order on the caller's main context             */

typedef struct
{
  RrS3UploadEvent ev;
  gchar *path, *key, *url, *etag, *evacuated_path;
  GError *error;
} QueuedEvent;

static void
queued_event_free (QueuedEvent * q)
{
  g_free (q->path);
  g_free (q->key);
  g_free (q->url);
  g_free (q->etag);
  g_free (q->evacuated_path);
  g_clear_error (&q->error);
  g_free (q);
}

typedef struct
{
  gint ref;
  GMainContext *context;
  RrS3UploadFunc func;
  gpointer user_data;
  gint alive;
  GMutex lock;
  GQueue events;                /* QueuedEvent*, under lock */
  gboolean scheduled;           /* a dispatch source is attached */
} Sink;

static Sink *
sink_ref (Sink * s)
{
  g_atomic_int_inc (&s->ref);
  return s;
}

static void
sink_unref (gpointer data)
{
  Sink *s = data;

  if (!g_atomic_int_dec_and_test (&s->ref))
    return;
  g_queue_clear_full (&s->events, (GDestroyNotify) queued_event_free);
  g_mutex_clear (&s->lock);
  g_main_context_unref (s->context);
  g_free (s);
}

static gboolean
sink_dispatch (gpointer data)
{
  Sink *s = data;

  for (;;) {
    QueuedEvent *q;

    g_mutex_lock (&s->lock);
    q = g_queue_pop_head (&s->events);
    if (q == NULL)
      s->scheduled = FALSE;
    g_mutex_unlock (&s->lock);
    if (q == NULL)
      break;
    if (g_atomic_int_get (&s->alive))
      s->func (&q->ev, s->user_data);
    queued_event_free (q);
  }
  return G_SOURCE_REMOVE;
}

static void
sink_push (Sink * s, QueuedEvent * q)
{
  gboolean schedule;

  if (s->func == NULL) {
    queued_event_free (q);
    return;
  }
  g_mutex_lock (&s->lock);
  g_queue_push_tail (&s->events, q);
  schedule = !s->scheduled;
  s->scheduled = TRUE;
  g_mutex_unlock (&s->lock);
  if (schedule) {
    /* always deferred, even when called on the caller's thread */
    GSource *src = g_idle_source_new ();

    g_source_set_priority (src, G_PRIORITY_DEFAULT);
    g_source_set_callback (src, sink_dispatch, sink_ref (s), sink_unref);
    g_source_attach (src, s->context);
    g_source_unref (src);
  }
}

/* ------------------------------------------------------------------ */

struct _RrS3Uploader
{
  /* configuration, read-only after new() */
  gchar *endpoint;
  gchar *region;
  gchar *bucket;
  gchar *prefix;
  RrS3Addressing addressing;
  gchar *access_key;
  gchar *secret_key;
  gchar *session_token;
  guint64 part_size;
  guint64 threshold;
  guint max_retries;
  guint retry_initial_ms;
  guint retry_max_ms;
  guint timeout_s;
  gboolean delete_after_upload;
  guint64 retention_s;
  gboolean skip_etag_check;
  gchar *evacuation_dir;
  gchar *state_path;

  GMutex lock;
  GCond cond;
  GQueue incoming;              /* Entry*, enqueued, not yet seen by the
                                 * worker; under lock */
  guint pending;                /* under lock */
  gboolean stopping;            /* under lock */
  GCancellable *cancellable;
  GThread *thread;
  Sink *sink;
  GDestroyNotify notify;
  gpointer user_data;

  /* the worker's (and new()'s, before the thread starts) */
  GPtrArray *entries;           /* Entry* */
  Entry *current;
  GMainContext *context;
  SoupSession *session;
  guint retries;                /* of the current file */
  gboolean state_warned;
};

/* ------------------------------------------------------------------ */
/* Events                                                              */

static void
emit (RrS3Uploader * self, Entry * e, const gchar * event, guint parts_sent,
    guint n_parts, const gchar * etag, const GError * error)
{
  QueuedEvent *q = g_new0 (QueuedEvent, 1);

  q->path = g_strdup (e->path);
  q->key = g_strdup (e->key);
  q->url = g_strdup (e->url);
  q->etag = g_strdup (etag);
  q->evacuated_path = g_strdup (e->evacuated_path);
  q->error = error ? g_error_copy (error) : NULL;
  q->ev.path = q->path;
  q->ev.key = q->key;
  q->ev.url = q->url;
  q->ev.status = e->status;
  q->ev.event = event;
  q->ev.bytes_sent = e->bytes_sent;
  q->ev.bytes_total = e->size;
  q->ev.parts_sent = parts_sent;
  q->ev.n_parts = n_parts;
  q->ev.retries = self->retries;
  q->ev.etag = q->etag;
  q->ev.error = q->error;
  q->ev.evacuated_path = q->evacuated_path;
  q->ev.should_delete_us = e->should_delete_us;
  sink_push (self->sink, q);
}

static const gchar *
event_name (RrWebhookEventType type)
{
  return rr_webhook_event_type_name (type);
}

/* ------------------------------------------------------------------ */
/* State file                                                          */

static void
add_string (JsonBuilder * b, const gchar * name, const gchar * value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

/* Writes the state file: temp file, fsync, rename, fsync of the dir. */
static gboolean
save_state (RrS3Uploader * self, GError ** error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *data = NULL;
  GError *err = NULL;
  gboolean ok;
  guint i;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, STATE_VERSION);
  add_string (b, "endpoint", self->endpoint);
  add_string (b, "bucket", self->bucket);
  json_builder_set_member_name (b, "files");
  json_builder_begin_array (b);
  for (i = 0; i < self->entries->len; i++) {
    Entry *e = g_ptr_array_index (self->entries, i);
    g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (e->updated_us
        / G_USEC_PER_SEC);
    g_autofree gchar *ts = t ? g_date_time_format_iso8601 (t) : NULL;

    json_builder_begin_object (b);
    add_string (b, "path", e->path);
    add_string (b, "key", e->key);
    add_string (b, "status", rr_s3_file_status_name (e->status));
    json_builder_set_member_name (b, "size");
    json_builder_add_int_value (b, (gint64) e->size);
    json_builder_set_member_name (b, "bytes_sent");
    json_builder_add_int_value (b, (gint64) e->bytes_sent);
    add_string (b, "upload_id", e->upload_id);
    add_string (b, "error", e->error);
    add_string (b, "evacuated_path", e->evacuated_path);
    if (e->should_delete_us) {
      g_autoptr (GDateTime) d = g_date_time_new_from_unix_utc
          (e->should_delete_us / G_USEC_PER_SEC);
      g_autofree gchar *ds = d ? g_date_time_format_iso8601 (d) : NULL;

      add_string (b, "should_delete_time", ds);
      json_builder_set_member_name (b, "should_delete_unix_us");
      json_builder_add_int_value (b, e->should_delete_us);
    }
    add_string (b, "updated_at", ts);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  data = json_generator_to_data (gen, NULL);

  ok = rr_file_write_atomic (self->state_path, data, &err);
  if (!ok) {
    g_set_error_literal (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_IO,
        err->message);
    g_error_free (err);
  }
  return ok;
}

/* The worker's save: a failure is logged (once), not fatal: the uploads
 * go on, only a restart would not know about them. */
static void
persist (RrS3Uploader * self)
{
  g_autoptr (GError) error = NULL;

  if (!save_state (self, &error) && !self->state_warned) {
    g_warning ("%s", error->message);
    self->state_warned = TRUE;
  }
}

static gchar *
make_key (RrS3Uploader * self, const gchar * key)
{
  if (self->prefix == NULL || self->prefix[0] == '\0')
    return g_strdup (key);
  if (g_str_has_suffix (self->prefix, "/"))
    return g_strconcat (self->prefix, key, NULL);
  return g_strconcat (self->prefix, "/", key, NULL);
}

static gchar *
object_url (RrS3Uploader * self, const gchar * key, GError ** error)
{
  RrS3Location *loc = rr_s3_location_new (self->endpoint, self->bucket, key,
      self->addressing, error);
  gchar *url;

  if (loc == NULL)
    return NULL;
  url = g_steal_pointer (&loc->url);
  rr_s3_location_free (loc);
  return url;
}

static const gchar *
member_string (JsonObject * o, const gchar * name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n && JSON_NODE_HOLDS_VALUE (n)
      && json_node_get_value_type (n) == G_TYPE_STRING)
    return json_node_get_string (n);
  return NULL;
}

static gint64
member_int (JsonObject * o, const gchar * name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n && JSON_NODE_HOLDS_VALUE (n)
      && json_node_get_value_type (n) == G_TYPE_INT64)
    return json_node_get_int (n);
  return 0;
}

/* The "files" of a parsed state file, or NULL when it is not one. */
static JsonArray *
state_files (JsonParser * parser)
{
  JsonNode *root = json_parser_get_root (parser);
  JsonNode *files;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  files = json_object_get_member (json_node_get_object (root), "files");
  return files && JSON_NODE_HOLDS_ARRAY (files) ?
      json_node_get_array (files) : NULL;
}

gboolean
rr_s3_file_status_is_pending (RrS3FileStatus status)
{
  return status == RR_S3_STATUS_TRANSFER_READY
      || status == RR_S3_STATUS_TRANSFER;
}

gboolean
rr_s3_upload_state_has_pending (const gchar * path)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *files;

  if (!json_parser_load_from_file (parser, path, NULL)
      || (files = state_files (parser)) == NULL)
    return TRUE;
  for (guint i = 0; i < json_array_get_length (files); i++) {
    JsonNode *n = json_array_get_element (files, i);
    RrS3FileStatus status;

    if (JSON_NODE_HOLDS_OBJECT (n)
        && rr_s3_file_status_from_name (member_string (json_node_get_object
                (n), "status"), &status)
        && rr_s3_file_status_is_pending (status))
      return TRUE;
  }
  return FALSE;
}

/* Loads the state file, if any.  A file that cannot be parsed is moved
 * aside (".corrupt") with a warning: it must not stop new uploads. */
static void
load_state (RrS3Uploader * self)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonArray *files;
  guint i;

  if (!g_file_test (self->state_path, G_FILE_TEST_EXISTS))
    return;
  if (!json_parser_load_from_file (parser, self->state_path, &error)
      || (files = state_files (parser)) == NULL) {
    g_autofree gchar *aside = g_strconcat (self->state_path, ".corrupt",
        NULL);

    g_warning ("%s: unreadable upload state (%s), moved to %s",
        self->state_path, error ? error->message : "not a state file", aside);
    g_rename (self->state_path, aside);
    return;
  }
  for (i = 0; i < json_array_get_length (files); i++) {
    JsonNode *n = json_array_get_element (files, i);
    JsonObject *f;
    const gchar *path, *key;
    RrS3FileStatus status;
    g_autofree gchar *url = NULL;
    Entry *e;

    if (!JSON_NODE_HOLDS_OBJECT (n))
      continue;
    f = json_node_get_object (n);
    path = member_string (f, "path");
    key = member_string (f, "key");
    if (path == NULL || key == NULL
        || !rr_s3_file_status_from_name (member_string (f, "status"),
            &status)) {
      g_warning ("%s: skipping malformed entry %u", self->state_path, i);
      continue;
    }
    url = object_url (self, key, NULL);
    if (url == NULL) {
      g_warning ("%s: skipping entry %u: invalid key", self->state_path, i);
      continue;
    }
    e = g_new0 (Entry, 1);
    e->path = g_strdup (path);
    e->key = g_strdup (key);
    e->url = g_steal_pointer (&url);
    e->status = status;
    e->size = member_int (f, "size");
    e->bytes_sent = member_int (f, "bytes_sent");
    e->upload_id = g_strdup (member_string (f, "upload_id"));
    e->error = g_strdup (member_string (f, "error"));
    e->evacuated_path = g_strdup (member_string (f, "evacuated_path"));
    e->updated_us = g_get_real_time ();
    e->should_delete_us = member_int (f, "should_delete_unix_us");
    /* restart resumes: an interrupted upload starts again from scratch
     * (its multipart upload, if any, is aborted first) */
    if (rr_s3_file_status_is_pending (status)) {
      e->status = RR_S3_STATUS_TRANSFER_READY;
      e->bytes_sent = 0;
      self->pending++;
    }
    g_ptr_array_add (self->entries, e);
  }
}

/* ------------------------------------------------------------------ */
/* Queue                                                               */

static void
set_status (Entry * e, RrS3FileStatus status)
{
  e->status = status;
  e->updated_us = g_get_real_time ();
}

/* Moves the enqueued files into the state.  Called with the lock held;
 * TRUE if the state changed (the caller persists it, without the lock). */
static gboolean
absorb_locked (RrS3Uploader * self)
{
  Entry *n;
  gboolean changed = FALSE;

  while ((n = g_queue_pop_head (&self->incoming)) != NULL) {
    Entry *old = NULL;
    guint i;

    for (i = 0; i < self->entries->len; i++) {
      Entry *e = g_ptr_array_index (self->entries, i);

      if (e != self->current && strcmp (e->path, n->path) == 0) {
        old = e;
        break;
      }
    }
    if (old != NULL) {
      if (old->status == RR_S3_STATUS_TRANSFER_READY)
        self->pending--;        /* counted twice */
      g_free (old->key);
      old->key = g_steal_pointer (&n->key);
      g_free (old->url);
      old->url = g_steal_pointer (&n->url);
      g_clear_pointer (&old->error, g_free);
      g_clear_pointer (&old->evacuated_path, g_free);
      old->bytes_sent = 0;
      entry_free (n);
      n = old;
    } else {
      g_ptr_array_add (self->entries, n);
    }
    set_status (n, RR_S3_STATUS_TRANSFER_READY);
    emit (self, n, NULL, 0, 0, NULL, NULL);
    changed = TRUE;
  }
  return changed;
}

/* Between two requests: take in what was enqueued meanwhile. */
static void
poll_incoming (RrS3Uploader * self)
{
  gboolean changed;

  g_mutex_lock (&self->lock);
  changed = absorb_locked (self);
  g_mutex_unlock (&self->lock);
  if (changed)
    persist (self);
}

static Entry *
next_ready (RrS3Uploader * self)
{
  guint i;

  for (i = 0; i < self->entries->len; i++) {
    Entry *e = g_ptr_array_index (self->entries, i);

    if (e->status == RR_S3_STATUS_TRANSFER_READY)
      return e;
  }
  return NULL;
}

/* FALSE when stopped during the wait.  Files enqueued meanwhile are
 * taken in (and persisted) at once, not after the wait. */
static gboolean
wait_backoff (RrS3Uploader * self, guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * G_TIME_SPAN_MILLISECOND;
  gboolean running;

  g_mutex_lock (&self->lock);
  while (!self->stopping) {
    if (!g_queue_is_empty (&self->incoming)) {
      if (absorb_locked (self)) {
        g_mutex_unlock (&self->lock);
        persist (self);
        g_mutex_lock (&self->lock);
      }
      continue;
    }
    if (!g_cond_wait_until (&self->cond, &self->lock, end))
      break;
  }
  running = !self->stopping;
  g_mutex_unlock (&self->lock);
  return running;
}

/* ------------------------------------------------------------------ */
/* HTTP                                                                */

typedef struct
{
  const gchar *method;
  const RrS3Pair *query;
  gsize n_query;
  GBytes *body;                 /* or NULL */
  const gchar *sha256;          /* NULL: the empty body's */
  const gchar *md5_b64;         /* Content-MD5, or NULL */
  const gchar *content_type;    /* or NULL */
  gboolean body_may_hold_error; /* CompleteMultipartUpload: 200 + <Error> */
  const gchar *what;            /* for messages: "part 3/7", or NULL */
} Request;

typedef struct
{
  guint status;
  GBytes *body;
  gchar *etag;
} Response;

static void
response_clear (Response * r)
{
  g_clear_pointer (&r->body, g_bytes_unref);
  g_clear_pointer (&r->etag, g_free);
  r->status = 0;
}

/* The text of the first <@tag>…</@tag> of an XML body, entities decoded. */
static gchar *
xml_tag (GBytes * body, const gchar * tag)
{
  g_autofree gchar *text = NULL;
  g_autofree gchar *open = g_strdup_printf ("<%s>", tag);
  g_autofree gchar *close = g_strdup_printf ("</%s>", tag);
  const gchar *a, *z;
  GString *out;
  gsize len;
  const gchar *data;

  if (body == NULL)
    return NULL;
  data = g_bytes_get_data (body, &len);
  if (data == NULL || len == 0)
    return NULL;
  text = g_strndup (data, MIN (len, 64 * 1024));
  a = strstr (text, open);
  if (a == NULL)
    return NULL;
  a += strlen (open);
  z = strstr (a, close);
  if (z == NULL)
    return NULL;
  out = g_string_sized_new (z - a);
  while (a < z) {
    static const struct
    {
      const gchar *entity;
      gchar c;
    } entities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'},
      {"&apos;", '\''},
    };
    guint i;

    for (i = 0; i < G_N_ELEMENTS (entities); i++) {
      gsize n = strlen (entities[i].entity);

      if ((gsize) (z - a) >= n && strncmp (a, entities[i].entity, n) == 0) {
        g_string_append_c (out, entities[i].c);
        a += n;
        break;
      }
    }
    if (i == G_N_ELEMENTS (entities))
      g_string_append_c (out, *a++);
  }
  return g_string_free (out, FALSE);
}

static gboolean
body_has_error (GBytes * body)
{
  gsize len;
  const gchar *data;

  if (body == NULL)
    return FALSE;
  data = g_bytes_get_data (body, &len);
  return data && g_strstr_len (data, MIN (len, 4096), "<Error>") != NULL;
}

typedef struct
{
  const gchar *content_type;
  GBytes *body;
  guint restarts;
} Rearm;

/* libsoup sends a request again on its own when a kept-alive connection
 * turns out to be closed, but (3.2.3) without its body: give it back. */
static void
on_restarted (SoupMessage * msg, gpointer user_data)
{
  Rearm *rearm = user_data;

  rearm->restarts++;
  soup_message_set_request_body_from_bytes (msg, rearm->content_type,
      rearm->body);
}

/* One attempt.  *transient tells whether a failure is worth a retry. */
static gboolean
send_once (RrS3Uploader * self, Entry * e, const RrS3Location * loc,
    const Request * r, Response * resp, gboolean * transient, GError ** error)
{
  RrS3Credentials creds = { self->access_key, self->secret_key,
    self->session_token
  };
  RrS3Pair headers[2];
  gsize n_headers = 0;
  RrS3Request req = { 0 };
  g_autoptr (RrS3Signature) sig = NULL;
  g_autofree gchar *query = NULL;
  g_autofree gchar *url = NULL;
  g_autoptr (GUri) uri = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) err = NULL;
  SoupMessageHeaders *h;
  Rearm rearm = { 0 };
  guint i;

  *transient = FALSE;
  if (r->content_type) {
    headers[n_headers].name = "Content-Type";
    headers[n_headers++].value = r->content_type;
  }
  if (r->md5_b64) {
    headers[n_headers].name = "Content-MD5";
    headers[n_headers++].value = r->md5_b64;
  }
  req.method = r->method;
  req.host = loc->host;
  req.path = loc->path;
  req.query = r->query;
  req.n_query = r->n_query;
  req.headers = headers;
  req.n_headers = n_headers;
  req.payload_sha256 = r->sha256;
  /* signed right before sending: a retry gets a fresh x-amz-date */
  sig = rr_s3_sign (&req, &creds, self->region, RR_S3_SERVICE, NULL, error);
  if (sig == NULL)
    return FALSE;
  if (r->n_query > 0) {
    query = rr_s3_canonical_query (r->query, r->n_query, error);
    if (query == NULL)
      return FALSE;
    url = g_strconcat (loc->url, "?", query, NULL);
  } else {
    url = g_strdup (loc->url);
  }
  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, error);
  if (uri == NULL)
    return FALSE;
  msg = soup_message_new_from_uri (r->method, uri);
  h = soup_message_get_request_headers (msg);
  for (i = 0; i < n_headers; i++)
    soup_message_headers_replace (h, headers[i].name, headers[i].value);
  for (i = 0; i < sig->n_headers; i++)
    soup_message_headers_replace (h, sig->headers[i].name,
        sig->headers[i].value);

  rearm.content_type = r->content_type;
  if (r->body)
    rearm.body = g_bytes_ref (r->body);
  else if (strcmp (r->method, "PUT") == 0 || strcmp (r->method, "POST") == 0)
    rearm.body = g_bytes_new_static ("", 0);
  if (rearm.body) {
    soup_message_set_request_body_from_bytes (msg, r->content_type, rearm.body);
    g_signal_connect (msg, "restarted", G_CALLBACK (on_restarted), &rearm);
  }

  body = soup_session_send_and_read (self->session, msg, self->cancellable,
      &err);
  g_signal_handlers_disconnect_by_func (msg, on_restarted, &rearm);
  g_clear_pointer (&rearm.body, g_bytes_unref);
  if (rearm.restarts) {
    g_debug ("%s %s: restarted by libsoup", r->method, e->key);
    self->retries += rearm.restarts;
  }
  if (body == NULL) {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_propagate_error (error, g_steal_pointer (&err));
      return FALSE;
    }
    *transient = TRUE;
    g_set_error (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_NETWORK,
        "%s %s%s%s: %s", r->method, e->key, r->what ? " " : "",
        r->what ? r->what : "", err->message);
    return FALSE;
  }
  resp->status = soup_message_get_status (msg);
  if (resp->status >= 200 && resp->status < 300
      && !(r->body_may_hold_error && body_has_error (body))) {
    const gchar *etag =
        soup_message_headers_get_one (soup_message_get_response_headers
        (msg), "ETag");

    resp->etag = g_strdup (etag);
    resp->body = g_steal_pointer (&body);
    return TRUE;
  } else {
    g_autofree gchar *code = xml_tag (body, "Code");
    g_autofree gchar *message = xml_tag (body, "Message");

    *transient = resp->status >= 500 || resp->status == 429
        || resp->status == 408 || (resp->status >= 200 && resp->status < 300)
        || g_strcmp0 (code, "RequestTimeout") == 0
        || g_strcmp0 (code, "InternalError") == 0
        || g_strcmp0 (code, "SlowDown") == 0;
    g_set_error (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_HTTP,
        "%s %s%s%s: HTTP %u %s%s%s%s%s", r->method, e->key,
        r->what ? " " : "", r->what ? r->what : "", resp->status,
        soup_message_get_reason_phrase (msg), code ? ": " : "",
        code ? code : "", message ? ": " : "", message ? message : "");
    return FALSE;
  }
}

/* Sends with up to @max_retries retries (connection errors, 5xx, 429,
 * RequestTimeout), backing off 1 s, 2 s, 4 s … (retry_initial_ms,
 * doubling, at most retry_max_ms). */
static gboolean
send_request (RrS3Uploader * self, Entry * e, const RrS3Location * loc,
    const Request * r, guint max_retries, Response * resp, GError ** error)
{
  guint attempt;

  for (attempt = 0;; attempt++) {
    g_autoptr (GError) err = NULL;
    gboolean transient;

    if (attempt > 0) {
      guint64 ms = (guint64) self->retry_initial_ms << MIN (attempt - 1, 20);

      ms = MIN (ms, self->retry_max_ms);
      self->retries++;
      if (!wait_backoff (self, (guint) ms)) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped");
        return FALSE;
      }
    }
    response_clear (resp);
    if (send_once (self, e, loc, r, resp, &transient, &err))
      return TRUE;
    if (!transient || attempt >= max_retries
        || g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      if (transient && attempt > 0)
        g_prefix_error (&err, "gave up after %u attempts: ", attempt + 1);
      g_propagate_error (error, g_steal_pointer (&err));
      return FALSE;
    }
    g_debug ("retry %u of %s: %s", attempt + 1, e->key, err->message);
    poll_incoming (self);
  }
}

/* ------------------------------------------------------------------ */
/* Uploads                                                             */

static const gchar *
content_type_for (const gchar * path)
{
  static const struct
  {
    const gchar *ext, *type;
  } types[] = {
    {".mp4", "video/mp4"}, {".m4a", "audio/mp4"}, {".webm", "video/webm"},
    {".mkv", "video/x-matroska"}, {".ogg", "audio/ogg"},
    {".m3u8", "application/vnd.apple.mpegurl"}, {".ts", "video/mp2t"},
    {".m4s", "video/iso.segment"}, {".json", "application/json"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_str_has_suffix (path, types[i].ext))
      return types[i].type;
  return "application/octet-stream";
}

/* The MD5 of a body as a Content-MD5 value and as hex. */
static void
md5_strings (GChecksum * md5, gchar ** b64, gchar ** hex)
{
  guint8 digest[16];
  gsize len = sizeof (digest);

  g_checksum_get_digest (md5, digest, &len);
  *b64 = g_base64_encode (digest, len);
  *hex = g_strdup (g_checksum_get_string (md5));
}

/* A plain (single-part, unencrypted) S3 ETag is the body's MD5. */
static gboolean
etag_matches (RrS3Uploader * self, const gchar * etag, const gchar * md5_hex,
    GError ** error)
{
  g_autofree gchar *bare = NULL;
  gsize len;

  if (etag == NULL || self->skip_etag_check)
    return TRUE;
  bare = g_strdup (etag);
  g_strstrip (bare);
  len = strlen (bare);
  if (len >= 2 && bare[0] == '"' && bare[len - 1] == '"') {
    memmove (bare, bare + 1, len - 2);
    bare[len - 2] = '\0';
  }
  if (strlen (bare) != 32 || strspn (bare, "0123456789abcdefABCDEF") != 32)
    return TRUE;                /* multipart or encrypted: not an MD5 */
  if (g_ascii_strcasecmp (bare, md5_hex) == 0)
    return TRUE;
  g_set_error (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_CHECKSUM,
      "ETag %s is not the MD5 %s of what was sent", bare, md5_hex);
  return FALSE;
}

static gboolean
read_at (int fd, guint8 * buf, gsize len, guint64 offset)
{
  while (len > 0) {
    gssize n = pread (fd, buf, len, (off_t) offset);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    buf += n;
    len -= n;
    offset += n;
  }
  return TRUE;
}

/* The body of a single PUT is the file mapped in memory (GMappedFile):
 * nothing is copied to the heap, and libsoup can send it again when it
 * restarts a request on its own (it does after a kept-alive connection
 * was closed under it; a GInputStream body would then be sent short). */
static gboolean
upload_single (RrS3Uploader * self, Entry * e, const RrS3Location * loc,
    gchar ** etag, GError ** error)
{
  g_autoptr (GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  g_autofree gchar *sha = NULL;
  g_autofree gchar *md5_b64 = NULL;
  g_autofree gchar *md5_hex = NULL;
  g_autoptr (GMappedFile) map = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) err = NULL;
  Response resp = { 0 };
  Request r = { 0 };
  gsize len;
  gboolean ok;

  if (e->size > 0) {
    map = g_mapped_file_new (e->path, FALSE, &err);
    if (map == NULL) {
      g_set_error (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_IO,
          "%s", err->message);
      return FALSE;
    }
    body = g_mapped_file_get_bytes (map);
  } else {
    body = g_bytes_new_static ("", 0);
  }
  len = g_bytes_get_size (body);
  if (len != e->size) {
    g_set_error (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_IO,
        "%s changed while being uploaded", e->path);
    return FALSE;
  }
  sha = rr_s3_sha256_hex (g_bytes_get_data (body, NULL), len);
  g_checksum_update (md5, g_bytes_get_data (body, NULL), len);
  md5_strings (md5, &md5_b64, &md5_hex);

  r.method = "PUT";
  r.body = body;
  r.sha256 = sha;
  r.md5_b64 = md5_b64;
  r.content_type = content_type_for (e->path);
  ok = send_request (self, e, loc, &r, self->max_retries, &resp, error)
      && etag_matches (self, resp.etag, md5_hex, error);
  if (ok)
    *etag = g_steal_pointer (&resp.etag);
  response_clear (&resp);
  return ok;
}

static void
abort_multipart (RrS3Uploader * self, Entry * e, const RrS3Location * loc)
{
  RrS3Pair q[] = { {"uploadId", e->upload_id} };
  Request r = { 0 };
  Response resp = { 0 };
  g_autoptr (GError) error = NULL;

  r.method = "DELETE";
  r.what = "(abort)";
  r.query = q;
  r.n_query = 1;
  if (!send_request (self, e, loc, &r, MIN (self->max_retries, 2), &resp,
          &error))
    g_warning ("could not abort the multipart upload of %s: %s", e->key,
        error->message);
  response_clear (&resp);
  g_clear_pointer (&e->upload_id, g_free);
}

static gboolean
upload_multipart (RrS3Uploader * self, Entry * e, const RrS3Location * loc,
    gchar ** etag, GError ** error)
{
  guint64 part_size = self->part_size;
  guint n_parts, i;
  Response resp = { 0 };
  Request r = { 0 };
  RrS3Pair create_q[] = { {"uploads", NULL} };
  g_autoptr (GString) xml = NULL;
  g_autofree gchar *xml_sha = NULL;
  g_autoptr (GBytes) xml_bytes = NULL;
  RrS3Pair complete_q[1];
  int fd;

  while ((e->size + part_size - 1) / part_size > RR_S3_UPLOAD_MAX_PARTS)
    part_size *= 2;
  n_parts = (e->size + part_size - 1) / part_size;

  r.method = "POST";
  r.what = "(create)";
  r.body_may_hold_error = TRUE;
  r.query = create_q;
  r.n_query = 1;
  r.content_type = content_type_for (e->path);
  if (!send_request (self, e, loc, &r, self->max_retries, &resp, error))
    goto fail;
  e->upload_id = xml_tag (resp.body, "UploadId");
  response_clear (&resp);
  if (e->upload_id == NULL || e->upload_id[0] == '\0') {
    g_clear_pointer (&e->upload_id, g_free);
    g_set_error (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_PROTOCOL,
        "POST %s?uploads: no UploadId in the answer", e->key);
    return FALSE;
  }
  persist (self);               /* so that a restart aborts it */

  fd = g_open (e->path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    g_set_error (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_IO,
        "cannot open %s: %s", e->path, g_strerror (errno));
    return FALSE;
  }
  xml = g_string_new ("<CompleteMultipartUpload xmlns=\"" S3_XMLNS "\">");
  for (i = 1; i <= n_parts; i++) {
    guint64 offset = (guint64) (i - 1) * part_size;
    gsize len = (gsize) MIN (part_size, e->size - offset);
    guint8 *buf = g_try_malloc (len);
    g_autoptr (GBytes) bytes = NULL;
    g_autofree gchar *sha = NULL;
    g_autofree gchar *md5_b64 = NULL;
    g_autofree gchar *md5_hex = NULL;
    g_autofree gchar *num = g_strdup_printf ("%u", i);
    g_autofree gchar *what = g_strdup_printf ("part %u/%u", i, n_parts);
    g_autofree gchar *escaped = NULL;
    g_autoptr (GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
    RrS3Pair part_q[2];

    if (buf == NULL || !read_at (fd, buf, len, offset)) {
      int saved = errno;

      g_free (buf);
      close (fd);
      g_set_error (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_IO,
          "cannot read part %u of %s: %s", i, e->path,
          buf ? g_strerror (saved) : "out of memory");
      return FALSE;
    }
    bytes = g_bytes_new_take (buf, len);
    sha = rr_s3_sha256_hex (buf, len);
    g_checksum_update (md5, buf, len);
    md5_strings (md5, &md5_b64, &md5_hex);
    part_q[0].name = "partNumber";
    part_q[0].value = num;
    part_q[1].name = "uploadId";
    part_q[1].value = e->upload_id;
    memset (&r, 0, sizeof (r));
    r.method = "PUT";
    r.what = what;
    r.query = part_q;
    r.n_query = 2;
    r.body = bytes;
    r.sha256 = sha;
    r.md5_b64 = md5_b64;
    if (!send_request (self, e, loc, &r, self->max_retries, &resp, error)
        || !etag_matches (self, resp.etag, md5_hex, error)) {
      close (fd);
      goto fail;
    }
    if (resp.etag == NULL) {
      close (fd);
      g_set_error (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_PROTOCOL,
          "PUT %s part %u: no ETag in the answer", e->key, i);
      goto fail;
    }
    escaped = g_markup_escape_text (resp.etag, -1);
    g_string_append_printf (xml, "<Part><PartNumber>%u</PartNumber>"
        "<ETag>%s</ETag></Part>", i, escaped);
    response_clear (&resp);
    e->bytes_sent += len;
    emit (self, e, event_name (RR_WEBHOOK_UPLOAD_PROGRESS), i, n_parts, NULL,
        NULL);
    poll_incoming (self);
  }
  close (fd);
  g_string_append (xml, "</CompleteMultipartUpload>");

  xml_sha = rr_s3_sha256_hex (xml->str, xml->len);
  xml_bytes = g_bytes_new (xml->str, xml->len);
  complete_q[0].name = "uploadId";
  complete_q[0].value = e->upload_id;
  memset (&r, 0, sizeof (r));
  r.method = "POST";
  r.query = complete_q;
  r.n_query = 1;
  r.body = xml_bytes;
  r.sha256 = xml_sha;
  r.content_type = "application/xml";
  r.body_may_hold_error = TRUE;
  r.what = "(complete)";
  if (!send_request (self, e, loc, &r, self->max_retries, &resp, error))
    goto fail;
  *etag = xml_tag (resp.body, "ETag");
  response_clear (&resp);
  g_clear_pointer (&e->upload_id, g_free);
  return TRUE;

fail:
  response_clear (&resp);
  return FALSE;
}

static gchar *
evacuate (RrS3Uploader * self, Entry * e, GError ** error)
{
  g_autofree gchar *base = g_path_get_basename (e->path);
  g_autoptr (GFile) src = g_file_new_for_path (e->path);
  guint i;

  if (g_mkdir_with_parents (self->evacuation_dir, 0755) != 0) {
    g_set_error (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_IO,
        "cannot create %s: %s", self->evacuation_dir, g_strerror (errno));
    return NULL;
  }
  for (i = 0; i < 1000; i++) {
    g_autofree gchar *name = i == 0 ? g_strdup (base) :
        g_strdup_printf ("%s.%u", base, i);
    gchar *dest = g_build_filename (self->evacuation_dir, name, NULL);
    g_autoptr (GFile) dst = g_file_new_for_path (dest);
    g_autoptr (GError) err = NULL;

    /* a rename, or copy + delete across file systems */
    if (g_file_move (src, dst, G_FILE_COPY_NONE, NULL, NULL, NULL, &err))
      return dest;
    g_free (dest);
    if (!g_error_matches (err, G_IO_ERROR, G_IO_ERROR_EXISTS)) {
      g_set_error (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_IO,
          "cannot move %s to %s: %s", e->path, self->evacuation_dir,
          err->message);
      return NULL;
    }
  }
  g_set_error (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_IO,
      "cannot move %s to %s: too many files of that name", e->path,
      self->evacuation_dir);
  return NULL;
}

static void
finish (RrS3Uploader * self)
{
  g_mutex_lock (&self->lock);
  if (self->pending > 0)
    self->pending--;
  g_mutex_unlock (&self->lock);
}

static void
fail_entry (RrS3Uploader * self, Entry * e, const RrS3Location * loc,
    const GError * error)
{
  if (e->upload_id && loc)
    abort_multipart (self, e, loc);
  if (self->evacuation_dir && g_file_test (e->path, G_FILE_TEST_EXISTS)) {
    g_autoptr (GError) err = NULL;

    e->evacuated_path = evacuate (self, e, &err);
    if (e->evacuated_path == NULL)
      g_warning ("%s", err->message);
  }
  g_free (e->error);
  e->error = g_strdup (error->message);
  set_status (e, RR_S3_STATUS_TRANSFER_FAIL);
  persist (self);
  g_warning ("upload of %s to %s failed for good: %s", e->path, e->key,
      error->message);
  finish (self);
  emit (self, e, event_name (RR_WEBHOOK_UPLOAD_FAILED), 0, 0, NULL, error);
}

static void
upload_entry (RrS3Uploader * self, Entry * e)
{
  g_autoptr (RrS3Location) loc = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *etag = NULL;
  GStatBuf st;
  gboolean ok;

  self->current = e;
  self->retries = 0;
  e->bytes_sent = 0;
  g_clear_pointer (&e->error, g_free);
  g_clear_pointer (&e->evacuated_path, g_free);
  set_status (e, RR_S3_STATUS_TRANSFER);
  if (g_stat (e->path, &st) != 0 || !S_ISREG (st.st_mode)) {
    g_set_error (&error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_IO,
        "%s: %s", e->path, errno ? g_strerror (errno) : "not a file");
    loc = rr_s3_location_new (self->endpoint, self->bucket, e->key,
        self->addressing, NULL);
    fail_entry (self, e, loc, error);
    goto out;
  }
  e->size = st.st_size;
  persist (self);
  emit (self, e, event_name (RR_WEBHOOK_UPLOAD_STARTED), 0, 0, NULL, NULL);

  loc = rr_s3_location_new (self->endpoint, self->bucket, e->key,
      self->addressing, &error);
  if (loc == NULL) {
    fail_entry (self, e, NULL, error);
    goto out;
  }
  if (e->upload_id)             /* left by an interrupted run */
    abort_multipart (self, e, loc);

  if (e->size > self->threshold)
    ok = upload_multipart (self, e, loc, &etag, &error);
  else
    ok = upload_single (self, e, loc, &etag, &error);

  if (!ok) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      /* stopped: stays TRANSFER (with its upload id), resumed next time */
      persist (self);
      goto out;
    }
    fail_entry (self, e, loc, error);
    goto out;
  }

  e->bytes_sent = e->size;
  set_status (e, RR_S3_STATUS_TRANSFER_FINISH);
  if (self->retention_s)
    e->should_delete_us = g_get_real_time () + (gint64) self->retention_s *
        G_USEC_PER_SEC;
  persist (self);
  if (!self->delete_after_upload)
    finish (self);              /* before the last event of the file */
  emit (self, e, event_name (RR_WEBHOOK_UPLOAD_COMPLETED), 0, 0, etag, NULL);
  if (self->delete_after_upload) {
    /* only now that S3 confirmed the upload */
    if (g_unlink (e->path) == 0 || errno == ENOENT) {
      set_status (e, RR_S3_STATUS_DELETED);
      persist (self);
      finish (self);
      emit (self, e, NULL, 0, 0, NULL, NULL);
    } else {
      g_warning ("uploaded, but cannot delete %s: %s", e->path,
          g_strerror (errno));
      finish (self);
    }
  }

out:
  self->current = NULL;
}

/* Retention: deletes the local copies whose time has come.  Returns the
 * microseconds until the next one is due, or -1. */
static gint64
sweep_retained (RrS3Uploader * self)
{
  gint64 now = g_get_real_time (), next = -1;
  gboolean changed = FALSE;

  for (guint i = 0; i < self->entries->len; i++) {
    Entry *e = g_ptr_array_index (self->entries, i);

    if (e->status != RR_S3_STATUS_TRANSFER_FINISH || e->should_delete_us == 0)
      continue;
    if (e->should_delete_us > now) {
      if (next < 0 || e->should_delete_us - now < next)
        next = e->should_delete_us - now;
      continue;
    }
    if (g_unlink (e->path) == 0 || errno == ENOENT) {
      set_status (e, RR_S3_STATUS_DELETED);
      emit (self, e, NULL, 0, 0, NULL, NULL);
      changed = TRUE;
    } else {
      g_warning ("retention: cannot delete %s: %s", e->path,
          g_strerror (errno));
      e->should_delete_us = 0;  /* not again and again */
      changed = TRUE;
    }
  }
  if (changed)
    persist (self);
  return next;
}

static gpointer
worker (gpointer data)
{
  RrS3Uploader *self = data;
  gboolean changed;
  guint i;

  g_main_context_push_thread_default (self->context);
  self->session = soup_session_new_with_options ("timeout", self->timeout_s,
      "idle-timeout", 60, "user-agent", "roomrec-s3upload", NULL);

  /* what a restart re-queued */
  for (i = 0; i < self->entries->len; i++) {
    Entry *e = g_ptr_array_index (self->entries, i);

    if (e->status == RR_S3_STATUS_TRANSFER_READY)
      emit (self, e, NULL, 0, 0, NULL, NULL);
  }

  g_mutex_lock (&self->lock);
  while (!self->stopping) {
    Entry *e;

    if (absorb_locked (self)) {
      g_mutex_unlock (&self->lock);
      persist (self);
      g_mutex_lock (&self->lock);
      continue;
    }
    e = next_ready (self);
    if (e == NULL) {
      gint64 due;

      g_mutex_unlock (&self->lock);
      due = sweep_retained (self);
      g_mutex_lock (&self->lock);
      if (self->stopping || !g_queue_is_empty (&self->incoming))
        continue;
      if (due < 0)
        g_cond_wait (&self->cond, &self->lock);
      else
        g_cond_wait_until (&self->cond, &self->lock,
            g_get_monotonic_time () + MIN (due, 60 * G_USEC_PER_SEC));
      continue;
    }
    g_mutex_unlock (&self->lock);
    upload_entry (self, e);
    g_mutex_lock (&self->lock);
  }
  /* enqueued but not seen yet: keep them for the next run */
  changed = absorb_locked (self);
  g_mutex_unlock (&self->lock);
  if (changed)
    persist (self);

  soup_session_abort (self->session);
  g_clear_object (&self->session);
  while (g_main_context_iteration (self->context, FALSE));
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* API                                                                 */

static const gchar *
env_or (const gchar * value, const gchar * var)
{
  if (value && value[0])
    return value;
  value = g_getenv (var);
  return value && value[0] ? value : NULL;
}

RrS3Uploader *
rr_s3_uploader_new (const RrS3UploaderConfig * config, RrS3UploadFunc func,
    gpointer user_data, GDestroyNotify notify, GError ** error)
{
  RrS3Uploader *self;
  g_autoptr (RrS3Location) loc = NULL;
  g_autoptr (GError) err = NULL;
  const gchar *access_key, *secret_key;
  RrS3Credentials creds;
  g_autoptr (RrS3Signature) sig = NULL;
  RrS3Request probe = { 0 };

  g_return_val_if_fail (config != NULL, NULL);

  if (config->bucket == NULL || config->bucket[0] == '\0'
      || config->state_dir == NULL || config->state_dir[0] == '\0') {
    g_set_error (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_CONFIG,
        "an S3 uploader needs a bucket and a state directory");
    return NULL;
  }
  if (config->part_size != 0 && (config->part_size <
          RR_S3_UPLOAD_MIN_PART_SIZE
          || config->part_size > RR_S3_UPLOAD_MAX_PART_SIZE)) {
    g_set_error (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_CONFIG,
        "part size %" G_GUINT64_FORMAT " is not within 5 MiB .. 5 GiB",
        config->part_size);
    return NULL;
  }
  if (config->state_name && (config->state_name[0] == '\0'
          || strchr (config->state_name, '/')
          || config->state_name[0] == '.')) {
    g_set_error (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_CONFIG,
        "invalid state file name '%s'", config->state_name);
    return NULL;
  }
  access_key = env_or (config->access_key, "AWS_ACCESS_KEY_ID");
  secret_key = env_or (config->secret_key, "AWS_SECRET_ACCESS_KEY");
  if (access_key == NULL || secret_key == NULL) {
    g_set_error (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_CONFIG,
        "no S3 credentials (neither in the configuration nor in "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)");
    return NULL;
  }

  self = g_new0 (RrS3Uploader, 1);
  self->region = g_strdup (config->region ? config->region : "us-east-1");
  self->endpoint = config->endpoint ? g_strdup (config->endpoint) :
      rr_s3_aws_endpoint (self->region, &err);
  self->bucket = g_strdup (config->bucket);
  self->prefix = g_strdup (config->prefix);
  self->addressing = config->addressing;
  self->access_key = g_strdup (access_key);
  self->secret_key = g_strdup (secret_key);
  /* the environment's token only goes with the environment's keys */
  self->session_token = g_strdup (config->access_key && config->access_key[0]
      ? config->session_token : env_or (config->session_token,
          "AWS_SESSION_TOKEN"));
  self->part_size = config->part_size ? config->part_size :
      RR_S3_UPLOAD_DEFAULT_PART_SIZE;
  self->threshold = config->multipart_threshold ?
      config->multipart_threshold : self->part_size;
  self->max_retries = config->max_retries < 0 ? 0 :
      config->max_retries == 0 ? 8 : config->max_retries;
  self->retry_initial_ms = config->retry_initial_ms ?
      config->retry_initial_ms : 1000;
  self->retry_max_ms = config->retry_max_ms ? config->retry_max_ms : 32000;
  self->timeout_s = config->timeout_s ? config->timeout_s : 60;
  self->delete_after_upload = config->delete_after_upload;
  self->retention_s = config->delete_after_upload ? 0 : config->retention_s;
  self->skip_etag_check = config->skip_etag_check;
  self->evacuation_dir = g_strdup (config->evacuation_dir);
  self->state_path = g_build_filename (config->state_dir,
      config->state_name ? config->state_name : "uploads.json", NULL);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->incoming);
  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify)
      entry_free);
  self->cancellable = g_cancellable_new ();
  self->context = g_main_context_new ();
  self->sink = g_new0 (Sink, 1);
  self->sink->ref = 1;
  self->sink->context = g_main_context_ref_thread_default ();
  self->sink->func = func;
  self->sink->user_data = user_data;
  self->sink->alive = 1;
  g_mutex_init (&self->sink->lock);
  g_queue_init (&self->sink->events);
  self->notify = notify;
  self->user_data = user_data;

  if (self->endpoint == NULL)
    goto fail;
  /* the endpoint, bucket and credentials, checked once here */
  loc = rr_s3_location_new (self->endpoint, self->bucket, NULL,
      self->addressing, &err);
  if (loc == NULL)
    goto fail;
  creds.access_key = self->access_key;
  creds.secret_key = self->secret_key;
  creds.session_token = self->session_token;
  probe.method = "GET";
  probe.host = loc->host;
  probe.path = loc->path;
  sig = rr_s3_sign (&probe, &creds, self->region, RR_S3_SERVICE, NULL, &err);
  if (sig == NULL)
    goto fail;
  if (g_mkdir_with_parents (config->state_dir, 0755) != 0) {
    g_set_error (&err, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_IO,
        "cannot create %s: %s", config->state_dir, g_strerror (errno));
    goto fail;
  }
  load_state (self);
  self->thread = g_thread_new ("s3upload", worker, self);
  return self;

fail:
  g_propagate_prefixed_error (error, g_steal_pointer (&err), "S3 uploader: ");
  self->sink->func = NULL;
  self->notify = NULL;
  rr_s3_uploader_free (self);
  return NULL;
}

gboolean
rr_s3_uploader_enqueue (RrS3Uploader * self, const gchar * path,
    const gchar * key, GError ** error)
{
  g_autofree gchar *base = NULL;
  g_autofree gchar *full = NULL;
  g_autofree gchar *url = NULL;
  Entry *e;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (key == NULL)
    key = base = g_path_get_basename (path);
  full = make_key (self, key);
  url = object_url (self, full, error);
  if (url == NULL)
    return FALSE;
  e = g_new0 (Entry, 1);
  e->path = g_canonicalize_filename (path, NULL);
  e->key = g_steal_pointer (&full);
  e->url = g_steal_pointer (&url);
  e->status = RR_S3_STATUS_TRANSFER_READY;
  e->updated_us = g_get_real_time ();

  g_mutex_lock (&self->lock);
  if (self->stopping) {
    g_mutex_unlock (&self->lock);
    entry_free (e);
    g_set_error (error, RR_S3_UPLOAD_ERROR, RR_S3_UPLOAD_ERROR_CONFIG,
        "the S3 uploader is stopped");
    return FALSE;
  }
  g_queue_push_tail (&self->incoming, e);
  self->pending++;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

guint
rr_s3_uploader_get_pending (RrS3Uploader * self)
{
  guint n;

  g_return_val_if_fail (self != NULL, 0);
  g_mutex_lock (&self->lock);
  n = self->pending;
  g_mutex_unlock (&self->lock);
  return n;
}

void
rr_s3_uploader_stop (RrS3Uploader * self)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_cancellable_cancel (self->cancellable);
  if (self->thread) {
    g_thread_join (self->thread);
    self->thread = NULL;
  }
}

void
rr_s3_uploader_free (RrS3Uploader * self)
{
  if (self == NULL)
    return;
  rr_s3_uploader_stop (self);
  g_atomic_int_set (&self->sink->alive, 0);
  sink_unref (self->sink);
  if (self->notify)
    self->notify (self->user_data);
  g_queue_clear_full (&self->incoming, (GDestroyNotify) entry_free);
  g_ptr_array_unref (self->entries);
  g_object_unref (self->cancellable);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self->endpoint);
  g_free (self->region);
  g_free (self->bucket);
  g_free (self->prefix);
  g_free (self->access_key);
  if (self->secret_key)
    memset (self->secret_key, 0, strlen (self->secret_key));
  g_free (self->secret_key);
  g_free (self->session_token);
  g_free (self->evacuation_dir);
  g_free (self->state_path);
  g_free (self);
}
