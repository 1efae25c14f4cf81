/* roomrec — webhooknotify: element messages in, signed HTTP POSTs out
 * Copyright (C) 2026 roomrec contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/**
 * SECTION:element-webhooknotify
 * @title: webhooknotify
 * @short_description: Sends the recording elements' messages as signed
 * webhook events (HTTP POST), at least once and in order
 *
 * webhooknotify is a bin: put the recording elements (splitmuxrec,
 * rtparchivesink) inside it. Every `splitmuxrec-*` element message of its
 * children becomes a webhook event (docs/webhooks.md): `archive.started`,
 * `archive.available`, `split-archive.available`, `split-archive.end`,
 * `hls.slice`, `archive.failed`; the first `archive.started` of a
 * recording is preceded by `recording.started`, and when the element stops
 * (PAUSED → READY, e.g. after EOS) a `recording.report` is sent for every
 * recording it saw (#GstWebhookNotify:report-on-stop). The messages are
 * passed on to the parent unchanged.
 *
 * Each event is POSTed to every destination (#GstWebhookNotify:url,
 * #GstWebhookNotify:urls) as compact JSON, with the headers
 * `Roomrec-Signature` (HMAC-SHA256 with #GstWebhookNotify:secret),
 * `Roomrec-Event-Id` and `Roomrec-Event-Type`. Delivery is at least once and
 * in order per destination: an event is written to an on-disk spool (one
 * per destination under #GstWebhookNotify:spool-dir) and removed only after
 * a `2xx` answer; until then it is retried after 3 s, 6 s, 12 s … up to
 * #GstWebhookNotify:retry-max, and the events after it wait. Events still
 * in a spool when the element starts (a restart after a crash or a
 * receiver outage) are sent first.
 *
 * HTTP runs on a thread of the element (libsoup 3, its own main context);
 * the thread that posts a message only builds the event and queues it in
 * memory (at most #GstWebhookNotify:max-queue events; beyond that it writes
 * the queue to the spools itself, a small synced write, never the network).
 *
 * ## Element messages
 *
 * - `webhooknotify-delivered`: `url`, `event-id`, `event-type`, `status`,
 *   `attempts`.
 * - `webhooknotify-failed`: an attempt failed and will be retried: `url`,
 *   `event-id`, `event-type`, `status` (0: no HTTP answer), `reason`,
 *   `attempts`, `retry-in` (ms).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -e webhooknotify.\( url=http://127.0.0.1:8000/hook \
 *     secret=s spool-dir=/tmp/spool videotestsrc num-buffers=60 ! \
 *     x264enc ! splitmuxrec format=mp4 archive-dir=/tmp/a \)
 * ]| Records two seconds of H.264 and POSTs `recording.started`,
 * `archive.started`, `archive.available` and `recording.report` to
 * http://127.0.0.1:8000/hook (the parentheses are escaped for the shell).
 * |[
 * gst-launch-1.0 -e webhooknotify.\( urls=http://a/hook,http://b/hook \
 *     spool-dir=/var/spool/roomrec udpsrc port=5004 \
 *     caps="application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96" ! \
 *     rtparchivesink archive-dir=out format=webm split-duration=10000000000 \)
 * ]| Records RTP and sends every event to two receivers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "gstroomrecelements.h"
#include "gstwebhooknotify.h"
#include "spool.h"
#include "webhook.h"

GST_DEBUG_CATEGORY_STATIC (webhooknotify_debug);
#define GST_CAT_DEFAULT webhooknotify_debug

#define DEFAULT_RETRY_MAX 300
#define DEFAULT_TIMEOUT 10
#define DEFAULT_MAX_QUEUE 64
#define DEFAULT_DRAIN_TIMEOUT (5 * GST_SECOND)
#define DEFAULT_REPORT_ON_STOP TRUE

enum
{
  PROP_0,
  PROP_URL,
  PROP_URLS,
  PROP_SECRET,
  PROP_SPOOL_DIR,
  PROP_RETRY_MAX,
  PROP_TIMEOUT,
  PROP_MAX_QUEUE,
  PROP_DRAIN_TIMEOUT,
  PROP_REPORT_ON_STOP,
  PROP_DELIVERED,
  PROP_FAILED_ATTEMPTS,
  PROP_PENDING,
};

enum
{
  SIGNAL_NOTIFY_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* One destination: its spool and the state of its head event.  Only the
 * HTTP thread touches the fields after start (the spool is thread-safe). */
typedef struct
{
  GstWebhookNotify *self;
  gchar *url;
  RrSpool *spool;
  gboolean in_flight;
  guint attempts;               /* failed attempts of the head event */
  GSource *timer;               /* retry wait */
  guint64 head_seq;
  gchar *head_id;
  gchar *head_type;
  SoupMessage *msg;
} Dest;

/* What recording.report says about one recording. */
typedef struct
{
  gchar *recording_id;
  JsonArray *files;
  JsonArray *failed;
  JsonArray *connections;
} Recording;

struct _GstWebhookNotify
{
  GstBin parent;

  /* properties: object lock */
  gchar **urls;
  gchar *secret;
  gchar *spool_dir;
  guint retry_max;
  guint timeout;
  guint max_queue;
  GstClockTime drain_timeout;
  gboolean report_on_stop;

  /* lock: the memory queue, the run state, stats, recordings */
  GMutex lock;
  GCond cond;
  GQueue queue;                 /* event bodies (gchar *) not yet spooled */
  gboolean running;
  gboolean wake_pending;
  guint64 delivered;
  guint64 failed_attempts;
  GHashTable *recordings;       /* recording_id → Recording */
  GPtrArray *recording_order;   /* recording ids, first seen first */
  RrWebhookSeq *seqs;

  /* held from an event's seq to its place in the queue, so that the
   * queue is in seq order whichever threads post the messages */
  GMutex event_lock;

  /* serialises moving events from the memory queue into the spools, so
   * that they keep their order whoever does it */
  GMutex append_lock;

  /* set at start, freed at stop (app thread); used by the HTTP thread */
  GPtrArray *dests;             /* Dest */
  gchar *run_secret;
  guint run_retry_max;
  guint run_timeout;
  guint run_max_queue;

  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  GCancellable *cancellable;
  guint n_in_flight;            /* HTTP thread only */
  SoupSession *session;         /* HTTP thread only */
};

#define gst_webhook_notify_parent_class parent_class
G_DEFINE_TYPE (GstWebhookNotify, gst_webhook_notify, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (webhooknotify, "webhooknotify",
    GST_RANK_NONE, GST_TYPE_WEBHOOK_NOTIFY,
    GST_DEBUG_CATEGORY_INIT (webhooknotify_debug, "webhooknotify", 0,
        "roomrec webhook notifier"));

static void kick (Dest * d);

/* ------------------------------------------------------------------ */
/* recordings (for recording.started / recording.report)               */

static void
recording_free (Recording * r)
{
  g_free (r->recording_id);
  json_array_unref (r->files);
  json_array_unref (r->failed);
  json_array_unref (r->connections);
  g_free (r);
}

static void
add_unique (JsonArray * a, const gchar * s)
{
  guint i;

  if (s == NULL)
    return;
  for (i = 0; i < json_array_get_length (a); i++)
    if (g_strcmp0 (json_array_get_string_element (a, i), s) == 0)
      return;
  json_array_add_string_element (a, s);
}

/* ------------------------------------------------------------------ */
/* the memory queue and the spools                                     */

static void
post_delivery_message (GstWebhookNotify * self, GstStructure * s)
{
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
}

/* Moves every event of the memory queue into every spool, in order.  Any
 * thread; disk only. */
static void
flush_queue (GstWebhookNotify * self)
{
  g_mutex_lock (&self->append_lock);
  for (;;) {
    gchar *body;
    guint i;

    g_mutex_lock (&self->lock);
    body = g_queue_pop_head (&self->queue);
    g_mutex_unlock (&self->lock);
    if (body == NULL)
      break;
    for (i = 0; self->dests && i < self->dests->len; i++) {
      Dest *d = g_ptr_array_index (self->dests, i);
      GError *err = NULL;

      if (!rr_spool_append (d->spool, body, strlen (body), NULL, &err)) {
        GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
            (_("A webhook event for %s could not be queued."), d->url),
            ("%s; event: %.200s", err->message, body));
        g_clear_error (&err);
      }
    }
    g_free (body);
  }
  g_mutex_unlock (&self->append_lock);
}

static gboolean
on_wake (gpointer data)
{
  GstWebhookNotify *self = data;
  guint i;

  g_mutex_lock (&self->lock);
  self->wake_pending = FALSE;
  g_mutex_unlock (&self->lock);
  flush_queue (self);
  for (i = 0; i < self->dests->len; i++)
    kick (g_ptr_array_index (self->dests, i));
  return G_SOURCE_REMOVE;
}

/* Queues @body (taken) for every destination; never waits for the network.
 * Any thread. */
static void
enqueue (GstWebhookNotify * self, gchar * body)
{
  gboolean overflow;
  GMainContext *wake = NULL;

  g_mutex_lock (&self->lock);
  if (!self->running) {
    g_mutex_unlock (&self->lock);
    GST_WARNING_OBJECT (self, "not started, event dropped: %.200s", body);
    g_free (body);
    return;
  }
  g_queue_push_tail (&self->queue, body);
  overflow = self->queue.length > self->run_max_queue;
  if (!self->wake_pending) {
    self->wake_pending = TRUE;
    wake = g_main_context_ref (self->context);
  }
  g_mutex_unlock (&self->lock);

  if (overflow)
    flush_queue (self);
  if (wake) {
    GSource *s = g_idle_source_new ();

    /* the thread drains its context before it ends (http_thread) */
    g_source_set_callback (s, on_wake, self, NULL);
    g_source_attach (s, wake);
    g_source_unref (s);
    g_main_context_unref (wake);
  }
}

/* ------------------------------------------------------------------ */
/* events from messages                                                */

static JsonObject *
structure_to_json (const GstStructure * s)
{
  JsonObject *o = json_object_new ();
  guint i, n = gst_structure_n_fields (s);

  for (i = 0; i < n; i++) {
    const gchar *name = gst_structure_nth_field_name (s, i);
    const GValue *v = gst_structure_get_value (s, name);
    GType t = G_VALUE_TYPE (v);

    if (t == G_TYPE_STRING) {
      if (g_value_get_string (v))
        json_object_set_string_member (o, name, g_value_get_string (v));
      else
        json_object_set_null_member (o, name);
    } else if (t == G_TYPE_BOOLEAN) {
      json_object_set_boolean_member (o, name, g_value_get_boolean (v));
    } else if (t == G_TYPE_INT) {
      json_object_set_int_member (o, name, g_value_get_int (v));
    } else if (t == G_TYPE_UINT) {
      json_object_set_int_member (o, name, g_value_get_uint (v));
    } else if (t == G_TYPE_INT64) {
      json_object_set_int_member (o, name, g_value_get_int64 (v));
    } else if (t == G_TYPE_UINT64) {
      json_object_set_int_member (o, name, (gint64) g_value_get_uint64 (v));
    } else if (t == G_TYPE_DOUBLE) {
      json_object_set_double_member (o, name, g_value_get_double (v));
    }
  }
  return o;
}

/* The sidecar JSON of a message: its `sidecar` string, or the file its
 * `sidecar-location` names. */
static gchar *
message_sidecar (GstWebhookNotify * self, const GstStructure * s)
{
  const gchar *text = gst_structure_get_string (s, "sidecar");
  const gchar *path = gst_structure_get_string (s, "sidecar-location");
  gchar *contents = NULL;
  GError *err = NULL;

  if (text)
    return g_strdup (text);
  if (path == NULL)
    return NULL;
  if (!g_file_get_contents (path, &contents, NULL, &err)) {
    GST_WARNING_OBJECT (self, "sidecar %s: %s", path, err->message);
    g_clear_error (&err);
  }
  return contents;
}

/* With event_lock. */
static void
make_event (GstWebhookNotify * self, const gchar * name, JsonObject * fields,
    const gchar * sidecar)
{
  GError *err = NULL;
  RrWebhookEvent *ev;

  ev = rr_webhook_event_from_message (name, fields, sidecar, self->seqs, 0,
      &err);
  if (ev == NULL) {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        (_("No webhook event could be made of the message '%s'."), name),
        ("%s", err->message));
    g_clear_error (&err);
    return;
  }
  GST_DEBUG_OBJECT (self, "event %s %s seq %" G_GUINT64_FORMAT,
      rr_webhook_event_type_name (ev->type), ev->id, ev->seq);
  enqueue (self, g_steal_pointer (&ev->body));
  rr_webhook_event_free (ev);
}

static Recording *
get_recording (GstWebhookNotify * self, const gchar * rid, gboolean * is_new)
{
  Recording *r;

  g_mutex_lock (&self->lock);
  r = g_hash_table_lookup (self->recordings, rid);
  *is_new = r == NULL;
  if (r == NULL) {
    r = g_new0 (Recording, 1);
    r->recording_id = g_strdup (rid);
    r->files = json_array_new ();
    r->failed = json_array_new ();
    r->connections = json_array_new ();
    g_hash_table_insert (self->recordings, r->recording_id, r);
    g_ptr_array_add (self->recording_order, g_strdup (rid));
  }
  g_mutex_unlock (&self->lock);
  return r;
}

static void
handle_recording_message (GstWebhookNotify * self, const GstStructure * s)
{
  const gchar *name = gst_structure_get_name (s);
  const gchar *rid = gst_structure_get_string (s, "recording-id");
  RrWebhookEventType type;
  JsonObject *fields;
  gchar *sidecar;

  if (!rr_webhook_event_type_from_message (name, &type)) {
    GST_DEBUG_OBJECT (self, "no event for %s", name);
    return;
  }
  fields = structure_to_json (s);
  sidecar = message_sidecar (self, s);
  g_mutex_lock (&self->event_lock);
  if (rid) {
    gboolean is_new;
    Recording *r = get_recording (self, rid, &is_new);
    const gchar *conn = gst_structure_get_string (s, "connection-id");

    if (is_new && type == RR_WEBHOOK_ARCHIVE_STARTED) {
      JsonObject *sf = json_object_new ();

      json_object_set_string_member (sf, "recording-id", rid);
      if (conn)
        json_object_set_string_member (sf, "connection-id", conn);
      make_event (self, "recording.started", sf, NULL);
      json_object_unref (sf);
    }
    g_mutex_lock (&self->lock);
    add_unique (r->connections, conn);
    if (type == RR_WEBHOOK_ARCHIVE_AVAILABLE
        || type == RR_WEBHOOK_SPLIT_ARCHIVE_AVAILABLE)
      add_unique (r->files, gst_structure_get_string (s, "location"));
    else if (type == RR_WEBHOOK_ARCHIVE_FAILED)
      add_unique (r->failed, gst_structure_get_string (s, "tmp-location"));
    g_mutex_unlock (&self->lock);
  }
  make_event (self, name, fields, sidecar);
  g_mutex_unlock (&self->event_lock);
  g_free (sidecar);
  json_object_unref (fields);
}

static void
send_reports (GstWebhookNotify * self)
{
  GPtrArray *order;
  guint i;

  g_mutex_lock (&self->lock);
  order = self->recording_order;
  self->recording_order = g_ptr_array_new_with_free_func (g_free);
  g_mutex_unlock (&self->lock);

  for (i = 0; i < order->len; i++) {
    const gchar *rid = g_ptr_array_index (order, i);
    JsonObject *fields = json_object_new ();
    Recording *r;

    g_mutex_lock (&self->lock);
    r = g_hash_table_lookup (self->recordings, rid);
    json_object_set_string_member (fields, "recording_id", rid);
    json_object_set_array_member (fields, "connection_ids",
        json_array_ref (r->connections));
    json_object_set_array_member (fields, "files", json_array_ref (r->files));
    json_object_set_array_member (fields, "failed", json_array_ref (r->failed));
    g_mutex_unlock (&self->lock);
    g_mutex_lock (&self->event_lock);
    make_event (self, "recording.report", fields, NULL);
    g_mutex_unlock (&self->event_lock);
    json_object_unref (fields);
  }
  g_ptr_array_unref (order);
  g_mutex_lock (&self->lock);
  g_hash_table_remove_all (self->recordings);
  g_mutex_unlock (&self->lock);
}

static void
gst_webhook_notify_handle_message (GstBin * bin, GstMessage * message)
{
  GstWebhookNotify *self = GST_WEBHOOK_NOTIFY (bin);

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT) {
    const GstStructure *s = gst_message_get_structure (message);
    GstMessage *inner = NULL;

    if (gst_structure_has_name (s, "GstBinForwarded")) {
      gst_structure_get (s, "message", GST_TYPE_MESSAGE, &inner, NULL);
      if (inner && GST_MESSAGE_TYPE (inner) == GST_MESSAGE_ELEMENT)
        s = gst_message_get_structure (inner);
      else
        s = NULL;
    }
    if (s && g_str_has_prefix (gst_structure_get_name (s), "splitmuxrec-"))
      handle_recording_message (self, s);
    if (inner)
      gst_message_unref (inner);
  }

  GST_BIN_CLASS (parent_class)->handle_message (bin, message);
}

static gboolean
gst_webhook_notify_notify_event (GstWebhookNotify * self,
    const gchar * event_type, const gchar * fields_json)
{
  JsonParser *p;
  JsonNode *root;
  GError *err = NULL;
  RrWebhookEventType type;

  if (event_type == NULL
      || !rr_webhook_event_type_from_name (event_type, &type)) {
    GST_WARNING_OBJECT (self, "unknown event type %s", event_type);
    return FALSE;
  }
  p = json_parser_new ();
  if (!json_parser_load_from_data (p, fields_json ? fields_json : "{}", -1,
          &err) || (root = json_parser_get_root (p)) == NULL
      || !JSON_NODE_HOLDS_OBJECT (root)) {
    GST_WARNING_OBJECT (self, "fields of %s are not a JSON object: %s",
        event_type, err ? err->message : "");
    g_clear_error (&err);
    g_object_unref (p);
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  if (!self->running) {
    g_mutex_unlock (&self->lock);
    g_object_unref (p);
    return FALSE;
  }
  g_mutex_unlock (&self->lock);
  g_mutex_lock (&self->event_lock);
  make_event (self, event_type, json_node_get_object (root), NULL);
  g_mutex_unlock (&self->event_lock);
  g_object_unref (p);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* HTTP thread                                                         */

typedef struct
{
  Dest *dest;
  guint64 seq;
} Request;

static gboolean
on_retry (gpointer data)
{
  Dest *d = data;

  g_source_unref (d->timer);
  d->timer = NULL;
  kick (d);
  return G_SOURCE_REMOVE;
}

static void
on_sent (GObject * source, GAsyncResult * res, gpointer data)
{
  Request *req = data;
  Dest *d = req->dest;
  GstWebhookNotify *self = d->self;
  GError *err = NULL;
  GBytes *answer;
  guint status = 0;
  SoupMessage *msg = d->msg;

  answer = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &err);
  self->n_in_flight--;
  d->in_flight = FALSE;
  d->msg = NULL;
  if (answer)
    g_bytes_unref (answer);
  if (err == NULL)
    status = soup_message_get_status (msg);

  if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    GST_DEBUG_OBJECT (self, "%s: cancelled", d->url);
  } else if (err == NULL && status >= 200 && status < 300) {
    GError *aerr = NULL;

    if (!rr_spool_ack (d->spool, req->seq, &aerr)) {
      GST_WARNING_OBJECT (self, "%s: ack: %s", d->url, aerr->message);
      g_clear_error (&aerr);
    }
    GST_DEBUG_OBJECT (self, "%s: delivered %s (%u)", d->url, d->head_id,
        status);
    g_mutex_lock (&self->lock);
    self->delivered++;
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
    post_delivery_message (self, gst_structure_new ("webhooknotify-delivered",
            "url", G_TYPE_STRING, d->url,
            "event-id", G_TYPE_STRING, d->head_id,
            "event-type", G_TYPE_STRING, d->head_type,
            "status", G_TYPE_UINT, status,
            "attempts", G_TYPE_UINT, d->attempts + 1, NULL));
    d->attempts = 0;
    kick (d);
  } else {
    RrWebhookRetry retry = RR_WEBHOOK_RETRY_INIT;
    guint64 delay;
    gchar *reason = err ? g_strdup (err->message) :
        g_strdup_printf ("HTTP %u %s", status,
        soup_message_get_reason_phrase (msg) ?
        soup_message_get_reason_phrase (msg) : "");

    d->attempts++;
    retry.cap_ms = (guint64) self->run_retry_max * 1000;
    delay = rr_webhook_retry_delay_ms (&retry, d->attempts, NULL);
    GST_INFO_OBJECT (self, "%s: attempt %u of %s failed (%s), retry in %"
        G_GUINT64_FORMAT " ms", d->url, d->attempts, d->head_id, reason, delay);
    g_mutex_lock (&self->lock);
    self->failed_attempts++;
    g_mutex_unlock (&self->lock);
    post_delivery_message (self, gst_structure_new ("webhooknotify-failed",
            "url", G_TYPE_STRING, d->url,
            "event-id", G_TYPE_STRING, d->head_id,
            "event-type", G_TYPE_STRING, d->head_type,
            "status", G_TYPE_UINT, status,
            "reason", G_TYPE_STRING, reason,
            "attempts", G_TYPE_UINT, d->attempts,
            "retry-in", G_TYPE_UINT64, delay, NULL));
    g_free (reason);
    d->timer = g_timeout_source_new ((guint) MIN (delay, G_MAXUINT));
    g_source_set_callback (d->timer, on_retry, d, NULL);
    g_source_attach (d->timer, self->context);
  }
  g_clear_error (&err);
  g_object_unref (msg);
  g_free (req);
}

/* Sends the head event of @d unless one is on its way or waiting for a
 * retry.  HTTP thread. */
static void
kick (Dest * d)
{
  GstWebhookNotify *self = d->self;
  GBytes *payload = NULL;
  GError *err = NULL;
  guint64 seq;
  JsonParser *p;
  JsonNode *root;
  SoupMessageHeaders *h;
  Request *req;

  if (d->in_flight || d->timer || g_cancellable_is_cancelled
      (self->cancellable))
    return;
  seq = 0;
  if (!rr_spool_peek (d->spool, &seq, &payload, &err)) {
    /* a record damaged on disk after open: skip it (spool.h) */
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        (_("A damaged webhook event for %s was skipped."), d->url),
        ("%s", err->message));
    g_clear_error (&err);
    if (seq != 0 && rr_spool_ack (d->spool, seq, NULL))
      kick (d);
    return;
  }
  if (payload == NULL)
    return;

  g_clear_pointer (&d->head_id, g_free);
  g_clear_pointer (&d->head_type, g_free);
  p = json_parser_new ();
  if (json_parser_load_from_data (p, g_bytes_get_data (payload, NULL),
          g_bytes_get_size (payload), NULL)
      && (root = json_parser_get_root (p)) && JSON_NODE_HOLDS_OBJECT (root)) {
    JsonObject *o = json_node_get_object (root);

    d->head_id = g_strdup (json_object_get_string_member_with_default (o,
            "id", ""));
    d->head_type = g_strdup (json_object_get_string_member_with_default (o,
            "type", ""));
  }
  g_object_unref (p);
  if (d->head_id == NULL)
    d->head_id = g_strdup ("");
  if (d->head_type == NULL)
    d->head_type = g_strdup ("");

  d->head_seq = seq;
  d->msg = soup_message_new (SOUP_METHOD_POST, d->url);
  soup_message_set_request_body_from_bytes (d->msg, "application/json",
      payload);
  h = soup_message_get_request_headers (d->msg);
  if (self->run_secret && *self->run_secret) {
    gchar *sig = rr_webhook_sign (self->run_secret,
        g_get_real_time () / G_USEC_PER_SEC, g_bytes_get_data (payload, NULL),
        g_bytes_get_size (payload));

    soup_message_headers_replace (h, RR_WEBHOOK_SIGNATURE_HEADER, sig);
    g_free (sig);
  }
  soup_message_headers_replace (h, RR_WEBHOOK_EVENT_ID_HEADER, d->head_id);
  soup_message_headers_replace (h, RR_WEBHOOK_EVENT_TYPE_HEADER, d->head_type);
  g_bytes_unref (payload);

  req = g_new0 (Request, 1);
  req->dest = d;
  req->seq = seq;
  d->in_flight = TRUE;
  self->n_in_flight++;
  GST_DEBUG_OBJECT (self, "%s: POST %s %s (spool seq %" G_GUINT64_FORMAT ")",
      d->url, d->head_type, d->head_id, seq);
  soup_session_send_and_read_async (self->session, d->msg, G_PRIORITY_DEFAULT,
      self->cancellable, on_sent, req);
}

static gpointer
http_thread (gpointer data)
{
  GstWebhookNotify *self = data;
  guint i;

  g_main_context_push_thread_default (self->context);
  /* created, configured and used only in this thread (libsoup 3) */
  self->session = soup_session_new_with_options ("timeout", self->run_timeout,
      "user-agent", "roomrec-webhooknotify/" VERSION, NULL);
  for (i = 0; i < self->dests->len; i++)
    kick (g_ptr_array_index (self->dests, i));

  g_main_loop_run (self->loop);

  g_cancellable_cancel (self->cancellable);
  while (self->n_in_flight > 0)
    g_main_context_iteration (self->context, TRUE);
  for (i = 0; i < self->dests->len; i++) {
    Dest *d = g_ptr_array_index (self->dests, i);

    if (d->timer) {
      g_source_destroy (d->timer);
      g_clear_pointer (&d->timer, g_source_unref);
    }
  }
  g_clear_object (&self->session);
  /* idle wake-ups left in the context run no more */
  while (g_main_context_iteration (self->context, FALSE));
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* start / stop                                                        */

static void
dest_free (Dest * d)
{
  if (d->spool)
    rr_spool_close (d->spool);
  g_free (d->url);
  g_free (d->head_id);
  g_free (d->head_type);
  g_free (d);
}

/* Restores the per-recording counters from the events still in @spool. */
static void
observe_spool (GstWebhookNotify * self, RrSpool * spool)
{
  gchar *path = g_build_filename (rr_spool_dir (spool), RR_SPOOL_FILE_NAME,
      NULL);
  gchar *data = NULL;
  gsize len = 0;
  RrSpoolScan scan;
  guint i;

  if (g_file_get_contents (path, &data, &len, NULL)
      && rr_spool_scan ((const guint8 *) data, len, &scan, NULL)) {
    for (i = 0; i < scan.pending->len; i++) {
      RrSpoolRecord *r = &g_array_index (scan.pending, RrSpoolRecord, i);

      rr_webhook_seq_observe_body (self->seqs,
          data + r->offset + RR_SPOOL_RECORD_HEADER_SIZE, r->length);
    }
    rr_spool_scan_clear (&scan);
  }
  g_free (data);
  g_free (path);
}

static gchar *
default_spool_dir (void)
{
  return g_build_filename (g_get_user_state_dir (), "roomrec", "webhooks",
      NULL);
}

static gboolean
gst_webhook_notify_start (GstWebhookNotify * self)
{
  gchar **urls;
  gchar *root;
  guint i;

  GST_OBJECT_LOCK (self);
  urls = g_strdupv (self->urls);
  root = self->spool_dir ? g_strdup (self->spool_dir) : default_spool_dir ();
  self->run_secret = g_strdup (self->secret);
  self->run_retry_max = self->retry_max;
  self->run_timeout = self->timeout;
  self->run_max_queue = self->max_queue;
  GST_OBJECT_UNLOCK (self);

  if (urls == NULL || urls[0] == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        (_("No webhook destination: set the url or urls property.")), (NULL));
    goto fail;
  }
  self->dests = g_ptr_array_new_with_free_func ((GDestroyNotify) dest_free);
  for (i = 0; urls[i]; i++) {
    GUri *uri = g_uri_parse (urls[i], G_URI_FLAGS_NONE, NULL);
    const gchar *scheme = uri ? g_uri_get_scheme (uri) : NULL;
    gboolean ok = scheme && (g_ascii_strcasecmp (scheme, "http") == 0
        || g_ascii_strcasecmp (scheme, "https") == 0)
        && g_uri_get_host (uri) && *g_uri_get_host (uri);
    gchar *name, *dir;
    GError *err = NULL;
    Dest *d;

    if (uri)
      g_uri_unref (uri);
    if (!ok) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          (_("The webhook URL '%s' is not an http:// or https:// URL."),
              urls[i]), (NULL));
      goto fail;
    }
    name = rr_spool_dir_name (urls[i]);
    dir = g_build_filename (root, name, NULL);
    g_free (name);
    d = g_new0 (Dest, 1);
    d->self = self;
    d->url = g_strdup (urls[i]);
    d->spool = rr_spool_open (dir, NULL, &err);
    g_ptr_array_add (self->dests, d);
    if (d->spool == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
          (_("Cannot open the webhook spool '%s' of %s."), dir, urls[i]),
          ("%s (set spool-dir to a writable directory; only one process "
              "may use a spool)", err->message));
      g_clear_error (&err);
      g_free (dir);
      goto fail;
    } else {
      RrSpoolRecovery rec;

      rr_spool_get_recovery (d->spool, &rec);
      if (rec.tail_bytes || rec.corrupt_bytes || rec.lost_events)
        GST_ELEMENT_WARNING (self, RESOURCE, READ,
            (_("The webhook spool '%s' was repaired."), dir),
            ("%" G_GUINT64_FORMAT " bytes cut off the end, %" G_GUINT64_FORMAT
                " corrupt bytes skipped, %" G_GUINT64_FORMAT " events lost",
                rec.tail_bytes, rec.corrupt_bytes, rec.lost_events));
      GST_INFO_OBJECT (self, "%s: spool %s, %u pending", urls[i], dir,
          rr_spool_count (d->spool));
      observe_spool (self, d->spool);
    }
    g_free (dir);
  }
  g_strfreev (urls);
  g_free (root);

  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->cancellable = g_cancellable_new ();
  g_mutex_lock (&self->lock);
  self->running = TRUE;
  self->wake_pending = FALSE;
  g_mutex_unlock (&self->lock);
  self->thread = g_thread_new ("webhooknotify", http_thread, self);
  return TRUE;

fail:
  g_strfreev (urls);
  g_free (root);
  g_clear_pointer (&self->dests, g_ptr_array_unref);
  g_clear_pointer (&self->run_secret, g_free);
  return FALSE;
}

static guint
pending_locked (GstWebhookNotify * self)
{
  guint n = self->queue.length, i;

  for (i = 0; self->dests && i < self->dests->len; i++) {
    Dest *d = g_ptr_array_index (self->dests, i);

    n += rr_spool_count (d->spool);
  }
  return n;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
gst_webhook_notify_stop (GstWebhookNotify * self)
{
  GstClockTime drain;
  gint64 deadline;
  GSource *s;

  if (self->thread == NULL)
    return;

  GST_OBJECT_LOCK (self);
  drain = self->drain_timeout;
  GST_OBJECT_UNLOCK (self);

  /* give the receivers a moment to take what is queued */
  deadline = g_get_monotonic_time () + drain / GST_USECOND;
  g_mutex_lock (&self->lock);
  while (pending_locked (self) > 0)
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
      break;
  self->running = FALSE;
  g_mutex_unlock (&self->lock);

  s = g_idle_source_new ();
  g_source_set_callback (s, quit_loop, g_main_loop_ref (self->loop),
      (GDestroyNotify) g_main_loop_unref);
  g_source_attach (s, self->context);
  g_source_unref (s);
  g_thread_join (self->thread);
  self->thread = NULL;

  /* what is still in memory goes to disk for the next start */
  flush_queue (self);
  GST_INFO_OBJECT (self, "stopped, %u events pending", pending_locked (self));

  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->cancellable);
  g_mutex_lock (&self->append_lock);
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->dests, g_ptr_array_unref);
  g_mutex_unlock (&self->lock);
  g_mutex_unlock (&self->append_lock);
  g_clear_pointer (&self->run_secret, g_free);
}

static GstStateChangeReturn
gst_webhook_notify_change_state (GstElement * element,
    GstStateChange transition)
{
  GstWebhookNotify *self = GST_WEBHOOK_NOTIFY (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_NULL_TO_READY) {
    if (!gst_webhook_notify_start (self))
      return GST_STATE_CHANGE_FAILURE;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (ret == GST_STATE_CHANGE_FAILURE)
        gst_webhook_notify_stop (self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* the children have finished their files by now */
      GST_OBJECT_LOCK (self);
      if (self->report_on_stop) {
        GST_OBJECT_UNLOCK (self);
        send_reports (self);
      } else {
        GST_OBJECT_UNLOCK (self);
      }
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      gst_webhook_notify_stop (self);
      break;
    default:
      break;
  }
  return ret;
}

/* ------------------------------------------------------------------ */
/* GObject                                                             */

static void
gst_webhook_notify_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstWebhookNotify *self = GST_WEBHOOK_NOTIFY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_URL:
      g_strfreev (self->urls);
      self->urls = NULL;
      if (g_value_get_string (value) && *g_value_get_string (value)) {
        self->urls = g_new0 (gchar *, 2);
        self->urls[0] = g_strstrip (g_value_dup_string (value));
      }
      break;
    case PROP_URLS:{
      const gchar *s = g_value_get_string (value);
      gchar **parts = g_strsplit (s ? s : "", ",", -1);
      GPtrArray *a = g_ptr_array_new ();
      guint i;

      for (i = 0; parts[i]; i++) {
        g_strstrip (parts[i]);
        if (*parts[i])
          g_ptr_array_add (a, g_strdup (parts[i]));
      }
      g_strfreev (parts);
      g_ptr_array_add (a, NULL);
      g_strfreev (self->urls);
      self->urls = (gchar **) g_ptr_array_free (a, FALSE);
      if (self->urls[0] == NULL)
        g_clear_pointer (&self->urls, g_strfreev);
      break;
    }
    case PROP_SECRET:
      g_free (self->secret);
      self->secret = g_value_dup_string (value);
      break;
    case PROP_SPOOL_DIR:
      g_free (self->spool_dir);
      self->spool_dir = g_value_dup_string (value);
      break;
    case PROP_RETRY_MAX:
      self->retry_max = g_value_get_uint (value);
      break;
    case PROP_TIMEOUT:
      self->timeout = g_value_get_uint (value);
      break;
    case PROP_MAX_QUEUE:
      self->max_queue = g_value_get_uint (value);
      break;
    case PROP_DRAIN_TIMEOUT:
      self->drain_timeout = g_value_get_uint64 (value);
      break;
    case PROP_REPORT_ON_STOP:
      self->report_on_stop = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_webhook_notify_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstWebhookNotify *self = GST_WEBHOOK_NOTIFY (object);

  switch (prop_id) {
    case PROP_DELIVERED:
      g_mutex_lock (&self->lock);
      g_value_set_uint64 (value, self->delivered);
      g_mutex_unlock (&self->lock);
      return;
    case PROP_FAILED_ATTEMPTS:
      g_mutex_lock (&self->lock);
      g_value_set_uint64 (value, self->failed_attempts);
      g_mutex_unlock (&self->lock);
      return;
    case PROP_PENDING:
      g_mutex_lock (&self->lock);
      g_value_set_uint (value, pending_locked (self));
      g_mutex_unlock (&self->lock);
      return;
    default:
      break;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_URL:
      g_value_set_string (value, self->urls ? self->urls[0] : NULL);
      break;
    case PROP_URLS:
      g_value_take_string (value,
          self->urls ? g_strjoinv (",", self->urls) : NULL);
      break;
    case PROP_SECRET:
      g_value_set_string (value, self->secret);
      break;
    case PROP_SPOOL_DIR:
      g_value_set_string (value, self->spool_dir);
      break;
    case PROP_RETRY_MAX:
      g_value_set_uint (value, self->retry_max);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_MAX_QUEUE:
      g_value_set_uint (value, self->max_queue);
      break;
    case PROP_DRAIN_TIMEOUT:
      g_value_set_uint64 (value, self->drain_timeout);
      break;
    case PROP_REPORT_ON_STOP:
      g_value_set_boolean (value, self->report_on_stop);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_webhook_notify_dispose (GObject * object)
{
  GstWebhookNotify *self = GST_WEBHOOK_NOTIFY (object);

  /* the thread's owner: never leave it running */
  gst_webhook_notify_stop (self);
  G_OBJECT_CLASS (parent_class)->dispose (object);
}

static void
gst_webhook_notify_finalize (GObject * object)
{
  GstWebhookNotify *self = GST_WEBHOOK_NOTIFY (object);

  g_strfreev (self->urls);
  g_free (self->secret);
  g_free (self->spool_dir);
  g_queue_clear_full (&self->queue, g_free);
  g_hash_table_unref (self->recordings);
  g_ptr_array_unref (self->recording_order);
  rr_webhook_seq_free (self->seqs);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->append_lock);
  g_mutex_clear (&self->event_lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

#define PARAM_FLAGS (G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY | \
    G_PARAM_STATIC_STRINGS)

static void
gst_webhook_notify_class_init (GstWebhookNotifyClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);

  gobject_class->set_property = gst_webhook_notify_set_property;
  gobject_class->get_property = gst_webhook_notify_get_property;
  gobject_class->dispose = gst_webhook_notify_dispose;
  gobject_class->finalize = gst_webhook_notify_finalize;

  g_object_class_install_property (gobject_class, PROP_URL,
      g_param_spec_string ("url", "URL", "Where to POST the events "
          "(http:// or https://); replaces urls", NULL, PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_URLS,
      g_param_spec_string ("urls", "URLs", "Several destinations, separated "
          "by commas; each gets every event, in order, with its own spool "
          "and retries", NULL, PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_SECRET,
      g_param_spec_string ("secret", "Secret", "HMAC-SHA256 key of the "
          "Roomrec-Signature header (no header when unset)", NULL,
          PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_SPOOL_DIR,
      g_param_spec_string ("spool-dir", "Spool directory",
          "Root of the on-disk queues, one subdirectory per URL (default: "
          "$XDG_STATE_HOME/roomrec/webhooks)", NULL, PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_RETRY_MAX,
      g_param_spec_uint ("retry-max", "Longest retry wait",
          "Retries wait 3 s, 6 s, 12 s, … up to this many seconds", 1,
          24 * 3600, DEFAULT_RETRY_MAX, PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_uint ("timeout", "Request timeout",
          "Seconds to wait for an answer before the attempt counts as "
          "failed (0 = no limit)", 0, 3600, DEFAULT_TIMEOUT, PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_MAX_QUEUE,
      g_param_spec_uint ("max-queue", "Memory queue",
          "Events kept in memory before they are written to the spools by "
          "the HTTP thread; beyond this the thread posting the message "
          "writes them itself (0 = always, durable before the message "
          "handler returns)", 0, 100000, DEFAULT_MAX_QUEUE, PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_DRAIN_TIMEOUT,
      g_param_spec_uint64 ("drain-timeout", "Drain timeout",
          "On stop (READY → NULL), wait up to this long (ns) for pending "
          "events to be delivered; what is left stays in the spool for the "
          "next start", 0, G_MAXUINT64, DEFAULT_DRAIN_TIMEOUT, PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_REPORT_ON_STOP,
      g_param_spec_boolean ("report-on-stop", "Report on stop",
          "Send recording.report for every recording seen when the element "
          "goes from PAUSED to READY", DEFAULT_REPORT_ON_STOP, PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_DELIVERED,
      g_param_spec_uint64 ("delivered", "Delivered",
          "Deliveries answered with 2xx (an event counts once per URL)", 0,
          G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_FAILED_ATTEMPTS,
      g_param_spec_uint64 ("failed-attempts", "Failed attempts",
          "Attempts that failed (no answer or not 2xx)", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PENDING,
      g_param_spec_uint ("pending", "Pending",
          "Deliveries not yet done (events × URLs), in memory or spooled",
          0, G_MAXUINT, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstWebhookNotify::notify-event:
   * @self: the element
   * @event_type: an event type name, e.g. "recording.report"
   * @fields: a JSON object: the event's data (must hold recording_id)
   *
   * Sends an event of the application (a report, an upload); returns FALSE
   * when the type is unknown, @fields is not a JSON object or the element
   * is not started.
   */
  signals[SIGNAL_NOTIFY_EVENT] = g_signal_new_class_handler ("notify-event",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_webhook_notify_notify_event), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 2, G_TYPE_STRING, G_TYPE_STRING);

  gst_element_class_set_static_metadata (element_class,
      "Webhook notifier", "Generic/Bin",
      "Sends the recording messages of its children as signed webhook "
      "events (HTTP POST), spooled to disk, at least once and in order",
      "roomrec contributors");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_webhook_notify_change_state);
  bin_class->handle_message =
      GST_DEBUG_FUNCPTR (gst_webhook_notify_handle_message);
}

static void
gst_webhook_notify_init (GstWebhookNotify * self)
{
  self->retry_max = DEFAULT_RETRY_MAX;
  self->timeout = DEFAULT_TIMEOUT;
  self->max_queue = DEFAULT_MAX_QUEUE;
  self->drain_timeout = DEFAULT_DRAIN_TIMEOUT;
  self->report_on_stop = DEFAULT_REPORT_ON_STOP;
  g_mutex_init (&self->lock);
  g_mutex_init (&self->append_lock);
  g_mutex_init (&self->event_lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->queue);
  self->recordings = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) recording_free);
  self->recording_order = g_ptr_array_new_with_free_func (g_free);
  self->seqs = rr_webhook_seq_new ();
}
