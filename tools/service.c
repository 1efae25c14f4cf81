/* roomrec — `roomrec serve`: the control service
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One process, one port (docs/service.md, docs/openapi.yaml): the REST
 * API of tasks and rules, the WHIP endpoints of every room (proxied to
 * the room's own process, tools/servicetask.c), the recordings' files,
 * the dashboard, /metrics and /healthz.  Everything runs on the main
 * context; the rooms' media never passes through here.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "service.h"

#include "serviceconfig.h"
#include "servicetask.h"
#include "whipserver.h"
#include "ids.h"
#include "jsonmsg.h"
#include "sidecar.h"

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* How long a graceful shutdown waits for the rooms to finalise. */
#define SHUTDOWN_TIMEOUT_S 120
/* forgetting expired tasks, starting deliveries of leftovers */
#define HOUSEKEEPING_S 5
/* `roomrec deliver` processes at a time */
#define MAX_DELIVERERS 4
/* Rooms first seen (refused WHIP) are remembered this long. */
#define ROOM_MEMORY_S 600
#define MAX_ROOMS_SEEN 10000

typedef struct _RrService RrService;

typedef struct
{
  gchar *id;
  gchar *app;
  gchar *match;
  JsonObject *task;             /* a task body without room_id */
  gboolean enabled;
  gint64 enabled_us;
} Rule;

typedef struct
{
  RrService *svc;
  SoupServerMessage *msg;
  gboolean finished;
  gulong finished_handler;
  gchar *room_id;
  guint timeout;
} Waiting;

struct _RrService
{
  RrServiceConfig *config;
  gchar *exe;
  gchar *base_url;
  SoupServer *server;
  SoupSession *session;         /* the WHIP proxy's */
  GMainLoop *loop;
  GHashTable *tasks;            /* id → RrTask* (all, active or not) */
  GPtrArray *task_order;        /* RrTask*, creation order */
  GPtrArray *rules;             /* Rule* */
  GHashTable *rooms_seen;       /* room id → gint64* first seen (µs) */
  GList *waiting;               /* Waiting*: requests for starting rooms */
  RrRateLimiter *limiter;
  GHashTable *http_codes;       /* status → guint64* */
  gchar *dashboard_dir;         /* ROOMREC_DASHBOARD_DIR, or NULL */
  guint64 restarts_seen;
  gboolean shutting_down;
  guint shutdown_timer;
  guint signals;
  guint housekeeping;
  /* counters of the tasks forgotten, so that /metrics' never go back */
  RrTaskStats forgotten;
  guint64 forgotten_bytes_written, forgotten_restarts;
};

/* ------------------------------------------------------------------ */
/* logs                                                                */

void
rr_service_log (const gchar * level, const gchar * task_id,
    const gchar * format, ...)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *n;
  GDateTime *now = g_date_time_new_now_utc ();
  gchar *ts = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
  gchar *msg, *line;
  va_list args;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ts");
  json_builder_add_string_value (b, ts);
  json_builder_set_member_name (b, "level");
  json_builder_add_string_value (b, level);
  if (task_id) {
    json_builder_set_member_name (b, "task_id");
    json_builder_add_string_value (b, task_id);
  }
  json_builder_set_member_name (b, "msg");
  json_builder_add_string_value (b, msg);
  json_builder_end_object (b);
  n = json_builder_get_root (b);
  line = json_to_string (n, FALSE);
  fprintf (stdout, "%s\n", line);
  fflush (stdout);
  g_free (line);
  json_node_unref (n);
  g_object_unref (b);
  g_free (msg);
  g_free (ts);
  g_date_time_unref (now);
}

/* ------------------------------------------------------------------ */
/* answers                                                             */

static void
count_status (RrService * svc, guint status)
{
  guint64 *n = g_hash_table_lookup (svc->http_codes, GUINT_TO_POINTER (status));

  if (n == NULL) {
    n = g_new0 (guint64, 1);
    g_hash_table_insert (svc->http_codes, GUINT_TO_POINTER (status), n);
  }
  (*n)++;
}

static void
reply_json (RrService * svc, SoupServerMessage * msg, guint status,
    JsonNode * node)
{
  gchar *text = json_to_string (node, TRUE);

  count_status (svc, status);
  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
      "Cache-Control", "no-store");
  soup_server_message_set_response (msg, "application/json",
      SOUP_MEMORY_TAKE, text, strlen (text));
  json_node_unref (node);
}

static void
reply_error (RrService * svc, SoupServerMessage * msg, guint status,
    const gchar * code, const gchar * format, ...)
G_GNUC_PRINTF (5, 6);

     static void
         reply_error (RrService * svc, SoupServerMessage * msg, guint status,
    const gchar * code, const gchar * format, ...)
{
  JsonBuilder *b = json_builder_new ();
  gchar *message, *request_id = rr_id_generate ();
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "request_id");
  json_builder_add_string_value (b, request_id);
  json_builder_end_object (b);
  reply_json (svc, msg, status, json_builder_get_root (b));
  g_object_unref (b);
  g_free (message);
  g_free (request_id);
}

static void
reply_api_error (RrService * svc, SoupServerMessage * msg, const RrApiError * e)
{
  reply_error (svc, msg, e->status ? e->status : 500,
      e->code ? e->code : "InternalError.Unknown", "%s",
      e->message ? e->message : "unknown error");
}

/* The URL the client reached us by (its Host header; a service listening
 * on 0.0.0.0 has no better name for itself). */
static gchar *
base_url_of (RrService * svc, SoupServerMessage * msg)
{
  const gchar *host = soup_message_headers_get_one
      (soup_server_message_get_request_headers (msg), "Host");

  if (host == NULL || *host == '\0' || strpbrk (host, "/\\ \"<>") != NULL)
    return g_strdup (svc->base_url);
  return g_strdup_printf ("http://%s", host);
}

static void
reply_task (RrService * svc, SoupServerMessage * msg, guint status,
    RrTask * task)
{
  gchar *base = base_url_of (svc, msg);

  reply_json (svc, msg, status, rr_task_to_json (task, base));
  g_free (base);
}

/* ------------------------------------------------------------------ */
/* rules                                                               */

static void
rule_free (Rule * r)
{
  g_free (r->id);
  g_free (r->app);
  g_free (r->match);
  if (r->task)
    json_object_unref (r->task);
  g_free (r);
}

static JsonNode *
rule_to_json (Rule * r)
{
  JsonObject *o = json_object_new ();
  JsonNode *task = json_node_new (JSON_NODE_OBJECT), *n;
  GDateTime *t = g_date_time_new_from_unix_utc (r->enabled_us / G_USEC_PER_SEC);

  json_object_set_string_member (o, "rule_id", r->id);
  json_object_set_string_member (o, "app", r->app);
  json_object_set_string_member (o, "match", r->match);
  json_node_set_object (task, r->task);
  json_object_set_member (o, "task", task);
  json_object_set_boolean_member (o, "enabled", r->enabled);
  if (r->enabled && t) {
    gchar *text = g_date_time_format (t, "%Y-%m-%dT%H:%M:%SZ");

    json_object_set_string_member (o, "enabled_at", text);
    g_free (text);
  } else {
    json_object_set_null_member (o, "enabled_at");
  }
  if (t)
    g_date_time_unref (t);
  json_object_set_int_member (o, "enabled_us", r->enabled_us);
  n = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (n, o);
  return n;
}

static void
save_rules (RrService * svc)
{
  JsonArray *a = json_array_new ();
  JsonNode *root = json_node_new (JSON_NODE_ARRAY);
  gchar *text, *path;
  GError *err = NULL;

  for (guint i = 0; i < svc->rules->len; i++)
    json_array_add_element (a, rule_to_json (g_ptr_array_index (svc->rules,
                i)));
  json_node_take_array (root, a);
  text = json_to_string (root, TRUE);
  json_node_unref (root);
  path = g_build_filename (svc->config->state_dir, "rules.json", NULL);
  if (!rr_file_write_atomic (path, text, &err)) {
    rr_service_log ("error", NULL, "could not save %s: %s", path, err->message);
    g_clear_error (&err);
  }
  g_free (path);
  g_free (text);
}

static void
load_rules (RrService * svc)
{
  gchar *path = g_build_filename (svc->config->state_dir, "rules.json", NULL);
  JsonParser *parser = json_parser_new ();
  JsonNode *root;

  if (json_parser_load_from_file (parser, path, NULL)
      && (root = json_parser_get_root (parser)) && JSON_NODE_HOLDS_ARRAY (root)) {
    JsonArray *a = json_node_get_array (root);

    for (guint i = 0; i < json_array_get_length (a); i++) {
      JsonObject *o = json_array_get_object_element (a, i);
      JsonNode *task;
      Rule *r;

      if (o == NULL || !(task = json_object_get_member (o, "task"))
          || !JSON_NODE_HOLDS_OBJECT (task))
        continue;
      r = g_new0 (Rule, 1);
      r->id = g_strdup (json_object_get_string_member_with_default (o,
              "rule_id", "?"));
      r->app = g_strdup (json_object_get_string_member_with_default (o, "app",
              "default"));
      r->match = g_strdup (json_object_get_string_member_with_default (o,
              "match", "*"));
      r->task = json_object_ref (json_node_get_object (task));
      r->enabled = json_object_get_boolean_member_with_default (o, "enabled",
          FALSE);
      r->enabled_us = json_object_get_int_member_with_default (o,
          "enabled_us", 0);
      g_ptr_array_add (svc->rules, r);
    }
  }
  g_object_unref (parser);
  g_free (path);
}

static Rule *
find_rule (RrService * svc, const gchar * id)
{
  for (guint i = 0; i < svc->rules->len; i++) {
    Rule *r = g_ptr_array_index (svc->rules, i);

    if (g_str_equal (r->id, id))
      return r;
  }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* tasks                                                               */

static guint
n_active_tasks (RrService * svc)
{
  guint n = 0;

  for (guint i = 0; i < svc->task_order->len; i++)
    n += rr_task_is_active (g_ptr_array_index (svc->task_order, i));
  return n;
}

static RrTask *
active_task_of_room (RrService * svc, const gchar * room_id)
{
  for (guint i = 0; i < svc->task_order->len; i++) {
    RrTask *t = g_ptr_array_index (svc->task_order, i);

    if (rr_task_is_active (t) && g_str_equal (rr_task_room_id (t), room_id))
      return t;
  }
  return NULL;
}

static void proxy_waiting (RrService * svc, RrTask * task);
static void maybe_quit (RrService * svc);

static void
on_task_changed (RrTask * task, gpointer data)
{
  RrService *svc = data;

  rr_service_log ("info", rr_task_id (task), "room %s: %s",
      rr_task_room_id (task), rr_task_status_name (rr_task_status (task)));
  proxy_waiting (svc, task);
  if (svc->shutting_down)
    maybe_quit (svc);
}

static void
add_task (RrService * svc, RrTask * task)
{
  rr_task_set_changed_callback (task, on_task_changed, svc);
  g_hash_table_insert (svc->tasks, (gpointer) rr_task_id (task), task);
  g_ptr_array_add (svc->task_order, task);
}

static void
add_task_counters (RrTask * t, RrTaskStats * sum, guint64 * bytes_written,
    guint64 * restarts)
{
  RrTaskStats st;

  rr_task_get_stats (t, &st);
  sum->participants += st.participants;
  sum->bytes_received += st.bytes_received;
  sum->packets_lost += st.packets_lost;
  sum->keyframe_requests += st.keyframe_requests;
  sum->webhook_pending += st.webhook_pending;
  sum->webhook_failures += st.webhook_failures;
  sum->upload_pending += st.upload_pending;
  sum->upload_failures += st.upload_failures;
  *bytes_written += rr_task_bytes_written (t);
  *restarts += rr_task_restarts (t);
}

/* Ended tasks past task_retention_s leave the API and the state dir (a
 * service that runs for months must not keep every task it ever had). */
static void
forget_expired_tasks (RrService * svc)
{
  gint64 now = g_get_real_time ();

  for (guint i = 0; i < svc->task_order->len;) {
    RrTask *t = g_ptr_array_index (svc->task_order, i);
    GError *err = NULL;

    if (!rr_task_expired (t, now)) {
      i++;
      continue;
    }
    if (!rr_task_delete_state (t, &err)) {
      /* tried again at the next round; the task stays meanwhile */
      rr_service_log ("warning", rr_task_id (t), "could not forget the "
          "task: %s", err->message);
      g_clear_error (&err);
      i++;
      continue;
    }
    rr_service_log ("info", rr_task_id (t), "forgotten (ended more than "
        "task_retention_s ago); its recordings stay in the archive dir");
    add_task_counters (t, &svc->forgotten, &svc->forgotten_bytes_written,
        &svc->forgotten_restarts);
    g_hash_table_remove (svc->tasks, rr_task_id (t));
    g_ptr_array_remove_index (svc->task_order, i);
  }
}

/* Ended tasks whose webhooks or uploads are still undelivered get a
 * `roomrec deliver` process (a few at a time, each task with its own
 * back-off). */
static void
deliver_leftovers (RrService * svc)
{
  guint running = 0;

  for (guint i = 0; i < svc->task_order->len; i++)
    running += rr_task_is_delivering (g_ptr_array_index (svc->task_order, i));
  for (guint i = 0; i < svc->task_order->len && running < MAX_DELIVERERS; i++)
    running += rr_task_deliver_leftovers (g_ptr_array_index (svc->task_order,
            i));
}

static gboolean
housekeeping_cb (gpointer data)
{
  RrService *svc = data;

  if (svc->shutting_down) {
    maybe_quit (svc);
    return G_SOURCE_CONTINUE;
  }
  forget_expired_tasks (svc);
  deliver_leftovers (svc);
  return G_SOURCE_CONTINUE;
}

/* Creates and starts a task of @body; NULL + @error when refused. */
static RrTask *
create_task (RrService * svc, JsonObject * body, const gchar * room_id,
    RrApiError * error)
{
  RrTask *task;
  const gchar *rid = room_id;
  GError *err = NULL;

  if (svc->shutting_down) {
    rr_api_error_set (error, 503, "FailedOperation.ShuttingDown",
        "the service is shutting down");
    return NULL;
  }
  if (n_active_tasks (svc) >= svc->config->max_tasks) {
    rr_api_error_set (error, 409, "FailedOperation.RestrictedConcurrency",
        "%u tasks are running already (max_tasks); stop one first",
        svc->config->max_tasks);
    return NULL;
  }
  task = rr_task_new (svc->config, svc->exe, body, room_id, error);
  if (task == NULL)
    return NULL;
  rid = rr_task_room_id (task);
  if (active_task_of_room (svc, rid)) {
    rr_api_error_set (error, 409, "FailedOperation.TaskExists",
        "room %s is being recorded already (task %s)", rid,
        rr_task_id (active_task_of_room (svc, rid)));
    rr_task_free (task);
    return NULL;
  }
  add_task (svc, task);
  if (!rr_task_start (task, FALSE, &err)) {
    rr_api_error_set (error, 500, "InternalError.SpawnFailed",
        "the room's process could not start: %s", err->message);
    g_error_free (err);
    return NULL;
  }
  rr_service_log ("info", rr_task_id (task), "task created for room %s (%s)",
      rid, rr_task_app (task));
  return task;
}

/* ------------------------------------------------------------------ */
/* requests                                                            */

static JsonObject *
read_json_body (RrService * svc, SoupServerMessage * msg, gboolean optional)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const gchar *type = soup_message_headers_get_content_type
      (soup_server_message_get_request_headers (msg), NULL);
  JsonParser *parser;
  JsonObject *o = NULL;
  GError *err = NULL;
  GBytes *bytes;

  if (body->length == 0 && optional)
    return json_object_new ();
  if (body->length > svc->config->max_body_bytes) {
    reply_error (svc, msg, 413, "InvalidParameter.BodyTooLarge",
        "the body has %" G_GINT64_FORMAT " bytes, at most %u are accepted "
        "(max_body_bytes)", body->length, svc->config->max_body_bytes);
    return NULL;
  }
  if (g_strcmp0 (type, "application/json") != 0) {
    reply_error (svc, msg, 415, "InvalidParameter.ContentType",
        "send the body as Content-Type: application/json");
    return NULL;
  }
  bytes = soup_message_body_flatten (body);
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
          g_bytes_get_size (bytes), &err)) {
    gchar *valid = g_utf8_make_valid (err->message, -1);

    reply_error (svc, msg, 400, "InvalidParameter.Body", "not JSON: %s", valid);
    g_free (valid);
    g_error_free (err);
  } else if (!rr_json_root_is_object (parser)) {
    reply_error (svc, msg, 400, "InvalidParameter.Body", "the body must be "
        "a JSON object");
  } else {
    o = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  }
  g_object_unref (parser);
  g_bytes_unref (bytes);
  return o;
}

static RrTask *
lookup_task (RrService * svc, SoupServerMessage * msg, const gchar * id)
{
  RrTask *task = g_hash_table_lookup (svc->tasks, id);

  if (task == NULL)
    reply_error (svc, msg, 404, "FailedOperation.TaskNotExist",
        "there is no task %s", id);
  return task;
}

typedef void (*Handler) (RrService * svc, SoupServerMessage * msg,
    gchar ** args, GHashTable * query);

static void
h_healthz (RrService * svc, SoupServerMessage * msg, gchar ** args,
    GHashTable * query)
{
  JsonObject *o = json_object_new ();
  JsonNode *n = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (o, "status", svc->shutting_down ?
      "stopping" : "ok");
  json_object_set_int_member (o, "tasks", n_active_tasks (svc));
  json_node_take_object (n, o);
  reply_json (svc, msg, svc->shutting_down ? 503 : 200, n);
}

static void
metric (GString * s, const gchar * name, const gchar * type,
    const gchar * help, guint64 value)
{
  g_string_append_printf (s, "# HELP %s %s\n# TYPE %s %s\n%s %"
      G_GUINT64_FORMAT "\n", name, help, name, type, name, value);
}

static void
h_metrics (RrService * svc, SoupServerMessage * msg, gchar ** args,
    GHashTable * query)
{
  GString *s = g_string_new (NULL);
  guint by_status[RR_TASK_FAILED + 1] = { 0, };
  RrTaskStats sum;
  guint64 rooms = 0, restarts, bytes_written;
  GHashTableIter iter;
  gpointer key, value;

  sum = svc->forgotten;
  bytes_written = svc->forgotten_bytes_written;
  restarts = svc->forgotten_restarts;
  for (guint i = 0; i < svc->task_order->len; i++) {
    RrTask *t = g_ptr_array_index (svc->task_order, i);

    by_status[rr_task_status (t)]++;
    rooms += rr_task_has_process (t);
    add_task_counters (t, &sum, &bytes_written, &restarts);
  }
  g_string_append (s, "# HELP roomrec_tasks Tasks by status\n"
      "# TYPE roomrec_tasks gauge\n");
  for (guint i = 0; i <= RR_TASK_FAILED; i++)
    g_string_append_printf (s, "roomrec_tasks{status=\"%s\"} %u\n",
        rr_task_status_name (i), by_status[i]);
  metric (s, "roomrec_rooms", "gauge", "Room processes running", rooms);
  metric (s, "roomrec_participants", "gauge", "Participants connected",
      sum.participants);
  metric (s, "roomrec_bytes_written_total", "counter",
      "Bytes of the finished files", bytes_written);
  metric (s, "roomrec_rtp_bytes_received_total", "counter",
      "RTP bytes received into the archives", sum.bytes_received);
  metric (s, "roomrec_packets_lost_total", "counter", "RTP packets lost",
      sum.packets_lost);
  metric (s, "roomrec_keyframe_requests_total", "counter",
      "Key-frame requests sent to publishers", sum.keyframe_requests);
  metric (s, "roomrec_webhook_queue_depth", "gauge",
      "Webhook deliveries pending", sum.webhook_pending);
  metric (s, "roomrec_webhook_failures_total", "counter",
      "Webhook delivery attempts that failed", sum.webhook_failures);
  metric (s, "roomrec_upload_queue_depth", "gauge", "Uploads pending",
      sum.upload_pending);
  metric (s, "roomrec_upload_failures_total", "counter",
      "Files whose upload failed for good", sum.upload_failures);
  metric (s, "roomrec_room_restarts_total", "counter",
      "Room processes restarted after a crash", restarts);
  g_string_append (s, "# HELP roomrec_http_requests_total HTTP answers by "
      "status\n# TYPE roomrec_http_requests_total counter\n");
  g_hash_table_iter_init (&iter, svc->http_codes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_string_append_printf (s, "roomrec_http_requests_total{code=\"%u\"} %"
        G_GUINT64_FORMAT "\n", GPOINTER_TO_UINT (key), *(guint64 *) value);
  count_status (svc, 200);
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/plain; version=0.0.4",
      SOUP_MEMORY_TAKE, s->str, s->len);
  g_string_free (s, FALSE);
}

/* 201 and the new task, or the error that refused it. */
static void
create_and_reply (RrService * svc, SoupServerMessage * msg, JsonObject * body,
    const gchar * room_id)
{
  RrApiError err = { 0, };
  RrTask *task = create_task (svc, body, room_id, &err);

  if (task)
    reply_task (svc, msg, 201, task);
  else
    reply_api_error (svc, msg, &err);
  rr_api_error_clear (&err);
}

static void
h_tasks_create (RrService * svc, SoupServerMessage * msg, gchar ** args,
    GHashTable * query)
{
  JsonObject *body = read_json_body (svc, msg, FALSE);

  if (body == NULL)
    return;
  create_and_reply (svc, msg, body, NULL);
  json_object_unref (body);
}

static void
h_tasks_list (RrService * svc, SoupServerMessage * msg, gchar ** args,
    GHashTable * query)
{
  const gchar *room = query ? g_hash_table_lookup (query, "room_id") : NULL;
  const gchar *status = query ? g_hash_table_lookup (query, "status") : NULL;
  const gchar *app = query ? g_hash_table_lookup (query, "app") : NULL;
  JsonArray *a = json_array_new ();
  JsonObject *o = json_object_new ();
  JsonNode *n;

  gchar *base = base_url_of (svc, msg);

  for (guint i = 0; i < svc->task_order->len; i++) {
    RrTask *t = g_ptr_array_index (svc->task_order, i);

    if ((room && !g_str_equal (room, rr_task_room_id (t)))
        || (status && !g_str_equal (status,
                rr_task_status_name (rr_task_status (t))))
        || (app && !g_str_equal (app, rr_task_app (t))))
      continue;
    json_array_add_element (a, rr_task_to_json (t, base));
  }
  g_free (base);
  json_object_set_int_member (o, "total", json_array_get_length (a));
  json_object_set_array_member (o, "tasks", a);
  n = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (n, o);
  reply_json (svc, msg, 200, n);
}

static void
h_task_get (RrService * svc, SoupServerMessage * msg, gchar ** args,
    GHashTable * query)
{
  RrTask *task = lookup_task (svc, msg, args[0]);

  if (task)
    reply_task (svc, msg, 200, task);
}

static void
h_task_delete (RrService * svc, SoupServerMessage * msg, gchar ** args,
    GHashTable * query)
{
  RrTask *task = lookup_task (svc, msg, args[0]);

  if (task == NULL)
    return;
  if (rr_task_is_active (task))
    rr_task_stop (task, "api");
  reply_task (svc, msg, 202, task);
}

typedef struct
{
  RrService *svc;
  SoupServerMessage *msg;
} PausedReply;

static void
on_modified (RrTask * task, const RrApiError * error, gpointer data)
{
  PausedReply *r = data;

  if (error)
    reply_api_error (r->svc, r->msg, error);
  else
    reply_task (r->svc, r->msg, 200, task);
  soup_server_message_unpause (r->msg);
  g_object_unref (r->msg);
  g_free (r);
}

static void
h_task_modify (RrService * svc, SoupServerMessage * msg, gchar ** args,
    GHashTable * query)
{
  RrTask *task = lookup_task (svc, msg, args[0]);
  JsonObject *changes;
  PausedReply *r;

  if (task == NULL || (changes = read_json_body (svc, msg, FALSE)) == NULL)
    return;
  r = g_new0 (PausedReply, 1);
  r->svc = svc;
  r->msg = g_object_ref (msg);
  soup_server_message_pause (msg);
  rr_task_modify (task, changes, on_modified, r);
  json_object_unref (changes);
}

static void
h_channel_start (RrService * svc, SoupServerMessage * msg, gchar ** args,
    GHashTable * query)
{
  JsonObject *body = read_json_body (svc, msg, TRUE);

  if (body == NULL)
    return;
  if (json_object_has_member (body, "room_id")) {
    reply_error (svc, msg, 400, "InvalidParameter.RoomId", "$.room_id: the "
        "channel's room id is the one of the URL");
    json_object_unref (body);
    return;
  }
  create_and_reply (svc, msg, body, args[0]);
  json_object_unref (body);
}

static void
h_channel_stop (RrService * svc, SoupServerMessage * msg, gchar ** args,
    GHashTable * query)
{
  RrTask *task = active_task_of_room (svc, args[0]);

  if (task == NULL) {
    reply_error (svc, msg, 404, "FailedOperation.TaskNotExist",
        "room %s is not being recorded", args[0]);
    return;
  }
  rr_task_stop (task, "api");
  reply_task (svc, msg, 202, task);
}

static void
h_rules_list (RrService * svc, SoupServerMessage * msg, gchar ** args,
    GHashTable * query)
{
  JsonArray *a = json_array_new ();
  JsonObject *o = json_object_new ();
  JsonNode *n = json_node_new (JSON_NODE_OBJECT);

  for (guint i = 0; i < svc->rules->len; i++)
    json_array_add_element (a, rule_to_json (g_ptr_array_index (svc->rules,
                i)));
  json_object_set_array_member (o, "rules", a);
  json_node_take_object (n, o);
  reply_json (svc, msg, 200, n);
}

static gboolean
check_rule_body (RrService * svc, SoupServerMessage * msg, JsonObject * body,
    gboolean create)
{
  static const gchar *const keys[] = { "app", "match", "task", "enabled",
    NULL
  };
  JsonObjectIter iter;
  const gchar *name;
  JsonNode *value;

  json_object_iter_init (&iter, body);
  while (json_object_iter_next (&iter, &name, &value)) {
    gchar *code;

    if (!g_strv_contains (keys, name) || (!create
            && !g_str_equal (name, "enabled"))) {
      code = rr_json_key_path ("$", name);
      reply_error (svc, msg, 400, "InvalidParameter.Body", "%s: unknown "
          "key (a rule has %s)", code, create ? "app, match, task, enabled" :
          "only \"enabled\" to change");
      g_free (code);
      return FALSE;
    }
    if (g_str_equal (name, "enabled") && (!JSON_NODE_HOLDS_VALUE (value)
            || json_node_get_value_type (value) != G_TYPE_BOOLEAN)) {
      reply_error (svc, msg, 400, "InvalidParameter.Enabled", "$.enabled: "
          "true or false");
      return FALSE;
    }
  }
  return TRUE;
}

static void
h_rules_create (RrService * svc, SoupServerMessage * msg, gchar ** args,
    GHashTable * query)
{
  JsonObject *body = read_json_body (svc, msg, FALSE);
  const gchar *app, *match;
  JsonNode *task;
  Rule *r;
  RrApiError err = { 0, };
  RrTaskRun run = { 0, };
  gchar *config;

  if (body == NULL)
    return;
  if (!check_rule_body (svc, msg, body, TRUE))
    goto out;
  app = json_object_get_string_member_with_default (body, "app", NULL);
  if (!rr_service_id_valid (app)) {
    reply_error (svc, msg, 400, "InvalidParameter.App", "$.app: required, "
        "1–64 characters of A-Z a-z 0-9 _ - .");
    goto out;
  }
  match = json_object_get_string_member_with_default (body, "match", NULL);
  if (match && (*match == '\0' || strlen (match) > 128
          || !g_utf8_validate (match, -1, NULL))) {
    reply_error (svc, msg, 400, "InvalidParameter.Match", "$.match: a glob "
        "of room ids (* and ?), 1–128 characters");
    goto out;
  }
  task = json_object_get_member (body, "task");
  if (task && !JSON_NODE_HOLDS_OBJECT (task)) {
    reply_error (svc, msg, 400, "InvalidParameter.Task", "$.task: an object "
        "(a task body without room_id)");
    goto out;
  }
  r = g_new0 (Rule, 1);
  r->id = rr_id_generate ();
  r->app = g_strdup (app);
  r->match = match ? g_strdup (match) : g_strdup_printf ("%s-*", app);
  r->task = task ? json_object_ref (json_node_get_object (task)) :
      json_object_new ();
  json_object_set_string_member (r->task, "app", app);
  r->enabled = json_object_get_boolean_member_with_default (body, "enabled",
      TRUE);
  r->enabled_us = r->enabled ? g_get_real_time () : 0;
  /* the template must make a valid task */
  run.task_id = "RULECHECK";
  run.room_id = "rule-check";
  run.task_dir = svc->config->state_dir;
  config = rr_task_room_config (svc->config, r->task, &run, NULL, &err);
  if (config == NULL) {
    gchar *code = g_strdup_printf ("InvalidParameter.Task%s",
        strchr (err.code, '.') + 1);

    reply_error (svc, msg, 400, code, "$.task: %s", err.message);
    g_free (code);
    rr_api_error_clear (&err);
    rule_free (r);
    goto out;
  }
  g_free (config);
  g_ptr_array_add (svc->rules, r);
  save_rules (svc);
  rr_service_log ("info", NULL, "rule %s: app %s, rooms %s, %s", r->id,
      r->app, r->match, r->enabled ? "enabled" : "disabled");
  reply_json (svc, msg, 201, rule_to_json (r));
out:
  json_object_unref (body);
}

static Rule *
lookup_rule (RrService * svc, SoupServerMessage * msg, const gchar * id)
{
  Rule *r = find_rule (svc, id);

  if (r == NULL)
    reply_error (svc, msg, 404, "FailedOperation.RuleNotExist",
        "there is no rule %s", id);
  return r;
}

static void
h_rule_modify (RrService * svc, SoupServerMessage * msg, gchar ** args,
    GHashTable * query)
{
  Rule *r = find_rule (svc, args[0]);
  JsonObject *body;

  if (r == NULL) {
    reply_error (svc, msg, 404, "FailedOperation.RuleNotExist",
        "there is no rule %s", args[0]);
    return;
  }
  if ((body = read_json_body (svc, msg, FALSE)) == NULL)
    return;
  if (check_rule_body (svc, msg, body, FALSE)) {
    gboolean enabled = json_object_get_boolean_member_with_default (body,
        "enabled", r->enabled);

    /* rooms created from now on: re-enabling moves the start */
    if (enabled && !r->enabled)
      r->enabled_us = g_get_real_time ();
    r->enabled = enabled;
    save_rules (svc);
    reply_json (svc, msg, 200, rule_to_json (r));
  }
  json_object_unref (body);
}

static void
h_rule_delete (RrService * svc, SoupServerMessage * msg, gchar ** args,
    GHashTable * query)
{
  Rule *r = lookup_rule (svc, msg, args[0]);

  if (r == NULL)
    return;
  g_ptr_array_remove (svc->rules, r);
  save_rules (svc);
  count_status (svc, 204);
  soup_server_message_set_status (msg, 204, NULL);
}

/* ------------------------------------------------------------------ */
/* files                                                               */

static const gchar *
content_type_of (const gchar * name)
{
  static const struct
  {
    const gchar *ext, *type;
  } types[] = {
    {".mp4", "video/mp4"}, {".m4a", "audio/mp4"}, {".webm", "video/webm"},
    {".mkv", "video/x-matroska"}, {".ts", "video/mp2t"},
    {".m3u8", "application/vnd.apple.mpegurl"}, {".json", "application/json"},
    {".ogg", "audio/ogg"}, {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_str_has_suffix (name, types[i].ext))
      return types[i].type;
  return "application/octet-stream";
}

/* Serves @bytes with Range support (one range). */
static void
reply_bytes (RrService * svc, SoupServerMessage * msg, GBytes * bytes,
    const gchar * type)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  gsize size = g_bytes_get_size (bytes);
  SoupRange *ranges = NULL;
  int n_ranges = 0;

  soup_message_headers_replace (resp, "Accept-Ranges", "bytes");
  soup_message_headers_set_content_type (resp, type, NULL);
  if (soup_message_headers_get_ranges (req, size, &ranges, &n_ranges)) {
    if (n_ranges == 1 && ranges[0].start < (goffset) size) {
      gsize start = ranges[0].start;
      gsize end = MIN ((gsize) ranges[0].end, size - 1);
      GBytes *part = g_bytes_new_from_bytes (bytes, start, end - start + 1);

      soup_message_headers_set_content_range (resp, start, end, size);
      soup_message_body_append_bytes (soup_server_message_get_response_body
          (msg), part);
      g_bytes_unref (part);
      count_status (svc, 206);
      soup_server_message_set_status (msg, 206, NULL);
      soup_message_headers_free_ranges (req, ranges);
      return;
    }
    soup_message_headers_free_ranges (req, ranges);
  }
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg),
      bytes);
  count_status (svc, 200);
  soup_server_message_set_status (msg, 200, NULL);
}

static gboolean
reply_file (RrService * svc, SoupServerMessage * msg, const gchar * path,
    GError ** error)
{
  GMappedFile *map = g_mapped_file_new (path, FALSE, error);
  GBytes *bytes;

  if (map == NULL)
    return FALSE;
  bytes = g_mapped_file_get_bytes (map);
  g_mapped_file_unref (map);
  reply_bytes (svc, msg, bytes, content_type_of (path));
  g_bytes_unref (bytes);
  return TRUE;
}

static gboolean
plain_file_name (const gchar * name)
{
  if (name == NULL || *name == '\0' || *name == '.' || strlen (name) > 255)
    return FALSE;
  for (const gchar * p = name; *p; p++)
    if (*p == '/' || *p == '\\' || (guchar) * p < 0x20)
      return FALSE;
  return TRUE;
}

static void
h_task_file (RrService * svc, SoupServerMessage * msg, gchar ** args,
    GHashTable * query)
{
  RrTask *task = lookup_task (svc, msg, args[0]);
  const gchar *name = args[1];
  const gchar *path;
  gchar *segment = NULL;
  GError *err = NULL;

  if (task == NULL)
    return;
  if (!plain_file_name (name)) {
    reply_error (svc, msg, 400, "InvalidParameter.Name", "a file name of "
        "the task (task.files[].name)");
    return;
  }
  path = rr_task_file_path (task, name);
  if (path == NULL)
    path = segment = rr_task_hls_segment_path (task, name);
  if (path == NULL) {
    reply_error (svc, msg, 404, "FailedOperation.FileNotExist",
        "task %s has no file %s", args[0], name);
    return;
  }
  if (!reply_file (svc, msg, path, &err)) {
    reply_error (svc, msg, 404, "FailedOperation.FileNotExist",
        "%s: %s (uploaded and deleted, or moved)", name, err->message);
    g_error_free (err);
  }
  g_free (segment);
}

/* ------------------------------------------------------------------ */
/* dashboard                                                           */

static void
h_root (RrService * svc, SoupServerMessage * msg, gchar ** args,
    GHashTable * query)
{
  count_status (svc, 302);
  soup_server_message_set_redirect (msg, 302, "/dashboard/");
}

static void
h_dashboard (RrService * svc, SoupServerMessage * msg, gchar ** args,
    GHashTable * query)
{
  const gchar *name = args[0] && *args[0] ? args[0] : "index.html";
  GBytes *bytes = NULL;
  GError *err = NULL;

  if (!plain_file_name (name)) {
    reply_error (svc, msg, 404, "InvalidParameter.Path", "no such page");
    return;
  }
  if (g_str_equal (name, "hls.min.js") && svc->config->hlsjs) {
    if (!reply_file (svc, msg, svc->config->hlsjs, &err)) {
      reply_error (svc, msg, 404, "InvalidParameter.Path", "hlsjs: %s",
          err->message);
      g_error_free (err);
    }
    return;
  }
  if (svc->dashboard_dir) {
    gchar *path = g_build_filename (svc->dashboard_dir, name, NULL);
    gchar *data = NULL;
    gsize len = 0;

    if (g_file_get_contents (path, &data, &len, NULL))
      bytes = g_bytes_new_take (data, len);
    g_free (path);
  } else {
    gchar *path = g_strconcat ("/org/roomrec/dashboard/", name, NULL);

    bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
    g_free (path);
  }
  if (bytes == NULL) {
    reply_error (svc, msg, 404, "InvalidParameter.Path", "no such page: %s",
        name);
    return;
  }
  reply_bytes (svc, msg, bytes, content_type_of (name));
  g_bytes_unref (bytes);
}

/* ------------------------------------------------------------------ */
/* WHIP: proxied to the room's process                                 */

typedef struct
{
  RrService *svc;
  SoupServerMessage *msg;
  SoupMessage *out;
  gboolean finished;
  gulong finished_handler;
} Proxied;

static const gchar *const forwarded_request_headers[] = {
  "Content-Type", "Authorization", "If-Match", "Origin", "Accept",
  "Access-Control-Request-Method", "Access-Control-Request-Headers", NULL
};

static const gchar *const forwarded_response_headers[] = {
  "Location", "ETag", "Link", "Accept-Post", "Accept-Patch", "Allow",
  "Retry-After", "WWW-Authenticate", "Access-Control-Allow-Origin",
  "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
  "Access-Control-Expose-Headers", "Access-Control-Max-Age", "Vary", NULL
};

/* The room's own URL of a request (path and query: ?user_id= names the
 * publisher). */
static gchar *
room_url (RrTask * task, GUri * uri)
{
  const gchar *query = g_uri_get_query (uri);

  return g_strdup_printf ("http://127.0.0.1:%u%s%s%s",
      rr_task_whip_port (task), g_uri_get_path (uri), query ? "?" : "",
      query ? query : "");
}

/* The request to the room's own server for @msg, with the headers that
 * matter to WHIP (its body is set by the caller). */
static SoupMessage *
room_request (RrTask * task, SoupServerMessage * msg)
{
  SoupMessageHeaders *from = soup_server_message_get_request_headers (msg);
  gchar *target = room_url (task, soup_server_message_get_uri (msg));
  SoupMessage *out = soup_message_new (soup_server_message_get_method (msg),
      target);

  g_free (target);
  for (guint i = 0; forwarded_request_headers[i]; i++) {
    const gchar *v = soup_message_headers_get_list (from,
        forwarded_request_headers[i]);

    if (v)
      soup_message_headers_replace (soup_message_get_request_headers (out),
          forwarded_request_headers[i], v);
  }
  return out;
}

/* The room's answer (@status, @headers, @body) as the answer to @msg. */
static void
reply_from_room (RrService * svc, SoupServerMessage * msg, guint status,
    SoupMessageHeaders * headers, GBytes * body)
{
  SoupMessageHeaders *to = soup_server_message_get_response_headers (msg);
  const gchar *type = soup_message_headers_get_one (headers, "Content-Type");

  if (soup_message_headers_get_one (headers, RR_WHIP_LIMIT_HEADER)) {
    soup_message_headers_replace (to, "Retry-After", "5");
    reply_error (svc, msg, status, "FailedOperation.RestrictedStreams",
        "the room has %u streams already (max_streams_per_task)",
        svc->config->max_streams_per_task);
    return;
  }
  for (guint i = 0; forwarded_response_headers[i]; i++) {
    const gchar *v = soup_message_headers_get_list (headers,
        forwarded_response_headers[i]);

    if (v)
      soup_message_headers_replace (to, forwarded_response_headers[i], v);
  }
  count_status (svc, status);
  soup_server_message_set_status (msg, status, NULL);
  if (body && (g_bytes_get_size (body) > 0 || type))
    soup_server_message_set_response (msg, type ? type :
        "application/octet-stream", SOUP_MEMORY_COPY,
        g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

static void
on_proxied_finished (SoupServerMessage * msg, gpointer data)
{
  ((Proxied *) data)->finished = TRUE;
}

static void
on_proxy_answer (GObject * source, GAsyncResult * result, gpointer data)
{
  Proxied *p = data;
  GError *err = NULL;
  GBytes *body = soup_session_send_and_read_finish (SOUP_SESSION (source),
      result, &err);

  if (!p->finished) {
    if (body == NULL) {
      if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        reply_error (p->svc, p->msg, 504, "InternalError.Timeout", "the "
            "room did not answer in %u s", p->svc->config->request_timeout_s);
      else
        reply_error (p->svc, p->msg, 502, "InternalError.RoomUnreachable",
            "the room's process did not answer: %s", err->message);
    } else {
      reply_from_room (p->svc, p->msg, soup_message_get_status (p->out),
          soup_message_get_response_headers (p->out), body);
    }
    soup_server_message_unpause (p->msg);
    g_signal_handler_disconnect (p->msg, p->finished_handler);
  }
  g_clear_error (&err);
  if (body)
    g_bytes_unref (body);
  g_object_unref (p->out);
  g_object_unref (p->msg);
  g_free (p);
}

/* Sends @msg (paused or not) on to @task's WHIP server. */
static void
proxy_to_room (RrService * svc, SoupServerMessage * msg, RrTask * task,
    gboolean paused)
{
  SoupMessageHeaders *from = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  Proxied *p = g_new0 (Proxied, 1);
  GBytes *bytes;

  p->svc = svc;
  p->msg = g_object_ref (msg);
  p->out = room_request (task, msg);
  bytes = soup_message_body_flatten (body);
  if (g_bytes_get_size (bytes) > 0)
    soup_message_set_request_body_from_bytes (p->out,
        soup_message_headers_get_content_type (from, NULL), bytes);
  g_bytes_unref (bytes);
  p->finished_handler = g_signal_connect (msg, "finished",
      G_CALLBACK (on_proxied_finished), p);
  if (!paused)
    soup_server_message_pause (msg);
  soup_session_send_and_read_async (svc->session, p->out, G_PRIORITY_DEFAULT,
      NULL, on_proxy_answer, p);
}

static void
waiting_free (Waiting * w)
{
  if (w->timeout)
    g_source_remove (w->timeout);
  if (!w->finished)
    g_signal_handler_disconnect (w->msg, w->finished_handler);
  g_object_unref (w->msg);
  g_free (w->room_id);
  g_free (w);
}

static void
on_waiting_finished (SoupServerMessage * msg, gpointer data)
{
  Waiting *w = data;

  w->finished = TRUE;
  g_signal_handler_disconnect (msg, w->finished_handler);
}

static gboolean
waiting_timeout_cb (gpointer data)
{
  Waiting *w = data;
  RrService *svc = w->svc;

  w->timeout = 0;
  svc->waiting = g_list_remove (svc->waiting, w);
  if (!w->finished) {
    reply_error (svc, w->msg, 504, "InternalError.Timeout", "room %s did "
        "not start in %u s", w->room_id, svc->config->request_timeout_s);
    soup_server_message_unpause (w->msg);
  }
  waiting_free (w);
  return G_SOURCE_REMOVE;
}

/* @task changed: the requests waiting for its room go on, or fail. */
static void
proxy_waiting (RrService * svc, RrTask * task)
{
  GList *l = svc->waiting;

  while (l) {
    GList *next = l->next;
    Waiting *w = l->data;

    if (g_str_equal (w->room_id, rr_task_room_id (task))
        && rr_task_status (task) != RR_TASK_STARTING) {
      svc->waiting = g_list_delete_link (svc->waiting, l);
      if (!w->finished) {
        if (rr_task_status (task) == RR_TASK_RECORDING) {
          proxy_to_room (svc, w->msg, task, TRUE);
        } else {
          reply_error (svc, w->msg, 503, "FailedOperation.RoomNotRecording",
              "room %s is %s", w->room_id,
              rr_task_status_name (rr_task_status (task)));
          soup_server_message_unpause (w->msg);
        }
      }
      waiting_free (w);
    }
    l = next;
  }
}

static void
wait_for_room (RrService * svc, SoupServerMessage * msg, const gchar * room_id)
{
  Waiting *w = g_new0 (Waiting, 1);

  w->svc = svc;
  w->msg = g_object_ref (msg);
  w->room_id = g_strdup (room_id);
  w->finished_handler = g_signal_connect (msg, "finished",
      G_CALLBACK (on_waiting_finished), w);
  w->timeout = g_timeout_add_seconds (svc->config->request_timeout_s,
      waiting_timeout_cb, w);
  svc->waiting = g_list_append (svc->waiting, w);
  soup_server_message_pause (msg);
}

/* The room's first seen time (now, if it was never seen). */
static gint64
room_first_seen (RrService * svc, const gchar * room_id)
{
  gint64 now = g_get_real_time ();
  gint64 *seen = g_hash_table_lookup (svc->rooms_seen, room_id);

  if (seen && now - *seen < (gint64) ROOM_MEMORY_S * G_USEC_PER_SEC)
    return *seen;
  if (g_hash_table_size (svc->rooms_seen) >= MAX_ROOMS_SEEN) {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, svc->rooms_seen);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      if (now - *(gint64 *) value >= (gint64) ROOM_MEMORY_S * G_USEC_PER_SEC)
        g_hash_table_iter_remove (&iter);
    if (g_hash_table_size (svc->rooms_seen) >= MAX_ROOMS_SEEN)
      g_hash_table_remove_all (svc->rooms_seen);
  }
  seen = g_new (gint64, 1);
  *seen = now;
  g_hash_table_replace (svc->rooms_seen, g_strdup (room_id), seen);
  return now;
}

/* A WHIP publisher came to a room without a task: the first matching
 * rule enabled before the room existed starts one. */
static RrTask *
start_by_rule (RrService * svc, const gchar * room_id, RrApiError * error)
{
  gint64 created = room_first_seen (svc, room_id);

  for (guint i = 0; i < svc->rules->len; i++) {
    Rule *r = g_ptr_array_index (svc->rules, i);
    JsonObject *body;
    RrTask *task;

    if (!r->enabled || !g_pattern_match_simple (r->match, room_id))
      continue;
    if (created < r->enabled_us) {
      rr_api_error_set (error, 503, "FailedOperation.RoomNotRecording",
          "room %s existed before rule %s was enabled: rules apply to rooms "
          "created after them", room_id, r->id);
      return NULL;
    }
    body = rr_json_object_copy (r->task);
    /* the room ends when its last participant leaves, unless the rule
     * says otherwise (Sora: the session's end) */
    if (!json_object_has_member (body, "stop_when_empty"))
      json_object_set_boolean_member (body, "stop_when_empty", TRUE);
    task = create_task (svc, body, room_id, error);
    json_object_unref (body);
    if (task)
      rr_service_log ("info", rr_task_id (task), "rule %s started room %s",
          r->id, room_id);
    return task;
  }
  rr_api_error_set (error, 503, "FailedOperation.RoomNotRecording",
      "room %s is not being recorded: create a task (POST /v1/tasks) or a "
      "rule (POST /v1/rules) first", room_id);
  return NULL;
}

static void
h_whip (RrService * svc, SoupServerMessage * msg, gchar ** args,
    GHashTable * query)
{
  const gchar *room_id = args[0];
  const gchar *method = soup_server_message_get_method (msg);
  RrTask *task;
  RrApiError err = { 0, };

  if (!rr_service_id_valid (room_id)) {
    reply_error (svc, msg, 404, "InvalidParameter.RoomId", "no such room");
    return;
  }
  task = active_task_of_room (svc, room_id);
  if (task == NULL && g_str_equal (method, "POST") && args[1] == NULL)
    task = start_by_rule (svc, room_id, &err);
  if (task == NULL) {
    if (err.code) {
      reply_api_error (svc, msg, &err);
      rr_api_error_clear (&err);
    } else if (g_str_equal (method, "OPTIONS")) {
      /* a preflight of a room not recorded yet: let the POST say why */
      SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

      soup_message_headers_replace (h, "Access-Control-Allow-Origin", "*");
      soup_message_headers_replace (h, "Access-Control-Allow-Methods",
          "OPTIONS, POST, PATCH, DELETE");
      soup_message_headers_replace (h, "Access-Control-Allow-Headers",
          "Authorization, Content-Type, If-Match");
      soup_message_headers_replace (h, "Access-Control-Expose-Headers",
          "Location, ETag, Link");
      soup_message_headers_replace (h, "Accept-Post", "application/sdp");
      count_status (svc, 204);
      soup_server_message_set_status (msg, 204, NULL);
    } else {
      reply_error (svc, msg, 404, "FailedOperation.RoomNotRecording",
          "room %s is not being recorded", room_id);
    }
    return;
  }
  if (rr_task_status (task) == RR_TASK_STARTING)
    wait_for_room (svc, msg, room_id);
  else if (rr_task_whip_port (task) == 0)
    reply_error (svc, msg, 503, "FailedOperation.RoomNotRecording",
        "room %s is %s", room_id, rr_task_status_name (rr_task_status (task)));
  else
    proxy_to_room (svc, msg, task, FALSE);
}

/* ------------------------------------------------------------------ */
/* client recordings: streamed through to the room                     */

/* A PUT/POST of a recording, chunk by chunk into a pipe the room's
 * request reads: nothing is buffered here beyond one chunk. */
typedef struct
{
  RrService *svc;
  SoupServerMessage *msg;
  SoupMessage *out;
  GOutputStream *pipe;
  GCancellable *cancellable;
  gboolean body_done;           /* the handler ran: the whole body is in */
  gboolean handler_waiting;     /* …and waits (paused) for the answer */
  gboolean answered;
  guint status;
  SoupMessageHeaders *answer_headers;
  GBytes *answer_body;
  GBytes *writing;              /* the chunk being written to the pipe */
  gboolean finished;
  guint refs;                   /* the message, the room's request, a write */
} Upload;

static void
upload_unref (Upload * u)
{
  if (--u->refs > 0)
    return;
  g_clear_object (&u->pipe);
  g_clear_object (&u->cancellable);
  g_clear_object (&u->out);
  if (u->answer_headers)
    soup_message_headers_unref (u->answer_headers);
  if (u->answer_body)
    g_bytes_unref (u->answer_body);
  if (u->writing)
    g_bytes_unref (u->writing);
  g_free (u);
}

static void
upload_apply_answer (Upload * u)
{
  if (u->answer_headers == NULL) {
    reply_error (u->svc, u->msg, 502, "InternalError.RoomUnreachable",
        "the room's process did not take the recording");
    return;
  }
  reply_from_room (u->svc, u->msg, u->status, u->answer_headers,
      u->answer_body);
}

static void
on_upload_answer (GObject * source, GAsyncResult * result, gpointer data)
{
  Upload *u = data;
  GError *err = NULL;
  GBytes *body = soup_session_send_and_read_finish (SOUP_SESSION (source),
      result, &err);

  u->answered = TRUE;
  u->status = soup_message_get_status (u->out);
  if (body) {
    u->answer_headers = soup_message_headers_ref
        (soup_message_get_response_headers (u->out));
    u->answer_body = body;
  } else {
    rr_service_log ("warning", NULL, "client recording: the room did not "
        "answer: %s", err->message);
    g_error_free (err);
  }
  /* the room answered before the end of the body (a refusal): what is
   * still coming is not passed on */
  g_cancellable_cancel (u->cancellable);
  if (u->finished) {
    upload_unref (u);
    return;
  }
  if (u->handler_waiting) {
    upload_apply_answer (u);
    soup_server_message_unpause (u->msg);
  } else if (!u->body_done) {
    soup_server_message_unpause (u->msg);       /* if a write was pending */
  }
  upload_unref (u);
}

static void
on_chunk_written (GObject * source, GAsyncResult * result, gpointer data)
{
  Upload *u = data;
  GError *err = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL,
      &err);
  g_clear_pointer (&u->writing, g_bytes_unref);
  if (err && !g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    rr_service_log ("warning", NULL, "client recording: %s", err->message);
  g_clear_error (&err);
  if (!u->finished && !u->answered)
    soup_server_message_unpause (u->msg);
  upload_unref (u);
}

static void
on_upload_chunk (SoupServerMessage * msg, GBytes * chunk, gpointer data)
{
  Upload *u = data;

  if (u->answered || g_cancellable_is_cancelled (u->cancellable))
    return;
  /* one chunk at a time: the client is read on only once the room took
   * this one */
  soup_server_message_pause (msg);
  u->writing = g_bytes_ref (chunk);
  u->refs++;
  g_output_stream_write_all_async (u->pipe, g_bytes_get_data (chunk, NULL),
      g_bytes_get_size (chunk), G_PRIORITY_DEFAULT, u->cancellable,
      on_chunk_written, u);
}

static void
on_upload_body (SoupServerMessage * msg, gpointer data)
{
  Upload *u = data;

  g_output_stream_close_async (u->pipe, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
}

static void
on_upload_finished (SoupServerMessage * msg, gpointer data)
{
  Upload *u = data;

  u->finished = TRUE;
  g_signal_handlers_disconnect_by_data (msg, u);
  g_object_set_data (G_OBJECT (msg), "rr-upload", NULL);
  g_cancellable_cancel (u->cancellable);
  upload_unref (u);
}

/* Early handler of PUT/POST /whip/<room>/recordings[/<name>]: starts the
 * request to the room; the body follows as it comes. */
static void
upload_start (RrService * svc, SoupServerMessage * msg, const gchar * room_id)
{
  RrTask *task = active_task_of_room (svc, room_id);
  SoupMessageHeaders *from = soup_server_message_get_request_headers (msg);
  gint fds[2];
  GError *err = NULL;
  GInputStream *in;
  Upload *u;

  if (task == NULL || rr_task_whip_port (task) == 0) {
    reply_error (svc, msg, 503, "FailedOperation.RoomNotRecording",
        "room %s is not being recorded", room_id);
    return;
  }
  if (!g_unix_open_pipe (fds, FD_CLOEXEC, &err)
      || !g_unix_set_fd_nonblocking (fds[0], TRUE, NULL)
      || !g_unix_set_fd_nonblocking (fds[1], TRUE, NULL)) {
    reply_error (svc, msg, 500, "InternalError.Pipe", "%s",
        err ? err->message : "pipe");
    g_clear_error (&err);
    return;
  }
  u = g_new0 (Upload, 1);
  u->refs = 2;                  /* the message's, the room request's */
  u->svc = svc;
  u->msg = msg;
  u->cancellable = g_cancellable_new ();
  u->pipe = g_unix_output_stream_new (fds[1], TRUE);
  in = g_unix_input_stream_new (fds[0], TRUE);
  u->out = room_request (task, msg);
  soup_message_set_request_body (u->out,
      soup_message_headers_get_content_type (from, NULL), in,
      soup_message_headers_get_encoding (from) ==
      SOUP_ENCODING_CONTENT_LENGTH ?
      (gssize) soup_message_headers_get_content_length (from) : -1);
  g_object_unref (in);
  soup_message_body_set_accumulate (soup_server_message_get_request_body
      (msg), FALSE);
  g_object_set_data (G_OBJECT (msg), "rr-upload", u);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_upload_chunk), u);
  g_signal_connect (msg, "got-body", G_CALLBACK (on_upload_body), u);
  g_signal_connect (msg, "finished", G_CALLBACK (on_upload_finished), u);
  soup_session_send_and_read_async (svc->session, u->out,
      G_PRIORITY_DEFAULT, NULL, on_upload_answer, u);
}

static void
h_upload (RrService * svc, SoupServerMessage * msg, gchar ** args,
    GHashTable * query)
{
  Upload *u = g_object_get_data (G_OBJECT (msg), "rr-upload");

  if (u == NULL) {
    /* refused early (its status is set) */
    if (soup_server_message_get_status (msg) == 0)
      reply_error (svc, msg, 503, "FailedOperation.RoomNotRecording",
          "room %s is not being recorded", args[0]);
    return;
  }
  u->body_done = TRUE;
  if (u->answered) {
    upload_apply_answer (u);
  } else {
    u->handler_waiting = TRUE;
    soup_server_message_pause (msg);
  }
}

/* ------------------------------------------------------------------ */
/* routing                                                             */

enum
{
  AUTH = 1 << 0,                /* Bearer token of the API */
  LIMITED = 1 << 1,             /* counts for requests_per_second */
};

typedef struct
{
  const gchar *method;
  const gchar *pattern;         /* {x}: one segment; {*}: the rest */
  Handler handler;
  guint flags;
} Route;

static const Route routes[] = {
  {"GET", "/healthz", h_healthz, 0},
  {"GET", "/metrics", h_metrics, AUTH | LIMITED},
  {"GET", "/v1/tasks", h_tasks_list, AUTH | LIMITED},
  {"POST", "/v1/tasks", h_tasks_create, AUTH | LIMITED},
  {"GET", "/v1/tasks/{task_id}", h_task_get, AUTH | LIMITED},
  {"PATCH", "/v1/tasks/{task_id}", h_task_modify, AUTH | LIMITED},
  {"DELETE", "/v1/tasks/{task_id}", h_task_delete, AUTH | LIMITED},
  /* not rate-limited: a player fetches HLS segments in bursts */
  {"GET", "/v1/tasks/{task_id}/files/{name}", h_task_file, AUTH},
  {"POST", "/v1/channels/{room_id}/start", h_channel_start, AUTH | LIMITED},
  {"POST", "/v1/channels/{room_id}/stop", h_channel_stop, AUTH | LIMITED},
  {"GET", "/v1/rules", h_rules_list, AUTH | LIMITED},
  {"POST", "/v1/rules", h_rules_create, AUTH | LIMITED},
  {"PATCH", "/v1/rules/{rule_id}", h_rule_modify, AUTH | LIMITED},
  {"DELETE", "/v1/rules/{rule_id}", h_rule_delete, AUTH | LIMITED},
  {"OPTIONS", "/whip/{room_id}", h_whip, LIMITED},
  {"POST", "/whip/{room_id}", h_whip, LIMITED},
  {"PATCH", "/whip/{room_id}/{session}", h_whip, LIMITED},
  {"DELETE", "/whip/{room_id}/{session}", h_whip, LIMITED},
  {"OPTIONS", "/whip/{room_id}/{session}", h_whip, LIMITED},
  {"PUT", "/whip/{room_id}/recordings/{name}", h_upload, LIMITED},
  {"POST", "/whip/{room_id}/recordings/{name}", h_upload, LIMITED},
  {"POST", "/whip/{room_id}/recordings", h_upload, LIMITED},
  {"GET", "/", h_root, 0},
  {"GET", "/dashboard/", h_dashboard, 0},
  {"GET", "/dashboard/{file}", h_dashboard, 0},
};

/* Whether @path matches @pattern; @args gets the {x} segments. */
static gboolean
route_match (const gchar * pattern, const gchar * path, gchar ** args,
    guint max_args)
{
  gchar **ps = g_strsplit (pattern, "/", -1);
  gchar **xs = g_strsplit (path, "/", -1);
  guint n = 0, i;
  gboolean ok = g_strv_length (ps) == g_strv_length (xs);

  for (i = 0; ok && ps[i]; i++) {
    if (ps[i][0] == '{') {
      if (xs[i][0] == '\0' && !g_str_equal (ps[i], "{file}"))
        ok = FALSE;
      else if (n < max_args)
        args[n++] = g_uri_unescape_string (xs[i], NULL);
      if (n > 0 && args[n - 1] == NULL)
        ok = FALSE;             /* bad %-escape */
    } else if (!g_str_equal (ps[i], xs[i])) {
      ok = FALSE;
    }
  }
  if (!ok)
    for (i = 0; i < n; i++)
      g_clear_pointer (&args[i], g_free);
  g_strfreev (ps);
  g_strfreev (xs);
  return ok;
}

static const gchar *
bearer_token (SoupServerMessage * msg, GHashTable * query)
{
  const gchar *auth = soup_message_headers_get_one
      (soup_server_message_get_request_headers (msg), "Authorization");

  if (auth && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
    return auth + 7;
  /* RFC 6750 §2.3, for <video src> of the files */
  if (query && g_str_has_prefix (g_uri_get_path (soup_server_message_get_uri
              (msg)), "/v1/tasks/"))
    return g_hash_table_lookup (query, "access_token");
  return NULL;
}

static void
handle (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  RrService *svc = data;
  const gchar *method = soup_server_message_get_method (msg);
  gchar *args[4] = { NULL, };
  GString *allow = NULL;
  const Route *route = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (routes) && route == NULL; i++) {
    if (!route_match (routes[i].pattern, path, args, G_N_ELEMENTS (args) - 1))
      continue;
    if (g_str_equal (routes[i].method, method)
        || (g_str_equal (method, "HEAD")
            && g_str_equal (routes[i].method, "GET"))) {
      route = &routes[i];
      break;
    }
    if (allow == NULL)
      allow = g_string_new (NULL);
    g_string_append_printf (allow, "%s%s", allow->len ? ", " : "",
        routes[i].method);
    for (guint k = 0; k < G_N_ELEMENTS (args); k++)
      g_clear_pointer (&args[k], g_free);
  }
  if (route == NULL) {
    if (allow) {
      soup_message_headers_replace (soup_server_message_get_response_headers
          (msg), "Allow", allow->str);
      reply_error (svc, msg, 405, "InvalidParameter.Method", "%s is not "
          "allowed on %s (allowed: %s)", method, path, allow->str);
      g_string_free (allow, TRUE);
    } else {
      reply_error (svc, msg, 404, "InvalidParameter.Path", "no such path: %s",
          path);
    }
    return;
  }
  if (allow)
    g_string_free (allow, TRUE);

  if (route->flags & LIMITED) {
    const gchar *client = soup_server_message_get_remote_host (msg);

    if (!rr_rate_limiter_allow (svc->limiter, client ? client : "?",
            g_get_monotonic_time ())) {
      soup_message_headers_replace (soup_server_message_get_response_headers
          (msg), "Retry-After", "1");
      reply_error (svc, msg, 429, "FailedOperation.RequestLimitExceeded",
          "more than %u requests in one second from %s",
          svc->config->requests_per_second, client ? client : "this client");
      goto out;
    }
  }
  if (route->flags & AUTH) {
    const gchar *token = bearer_token (msg, query);

    if (token == NULL) {
      soup_message_headers_replace (soup_server_message_get_response_headers
          (msg), "WWW-Authenticate", "Bearer realm=\"roomrec\"");
      reply_error (svc, msg, 401, "AuthFailure.MissingToken", "send "
          "Authorization: Bearer <one of the service's tokens>");
      goto out;
    }
    if (!rr_service_config_token_ok (svc->config, token)) {
      reply_error (svc, msg, 403, "AuthFailure.InvalidToken", "the token is "
          "not one of the service's tokens");
      goto out;
    }
  }
  route->handler (svc, msg, args, query);
out:
  for (guint k = 0; k < G_N_ELEMENTS (args); k++)
    g_free (args[k]);
}

/* Bodies bigger than max_body_bytes are refused before they are read
 * (WHIP offers are checked again by the room). */
static void
handle_early (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  RrService *svc = data;
  goffset length = soup_message_headers_get_content_length
      (soup_server_message_get_request_headers (msg));
  const gchar *method = soup_server_message_get_method (msg);
  gchar **parts = g_strsplit (path, "/", -1);
  gboolean upload = g_strv_length (parts) >= 4
      && g_str_equal (parts[1], "whip") && g_str_equal (parts[3], "recordings")
      && g_strv_length (parts) <= 5
      && (g_str_equal (method, "PUT") || g_str_equal (method, "POST"));

  /* a client recording may be big: it streams through to its room, which
   * has the limit (max_client_upload_bytes) */
  if (upload) {
    if (rr_service_id_valid (parts[2]))
      upload_start (svc, msg, parts[2]);
    g_strfreev (parts);
    return;
  }
  g_strfreev (parts);
  if (length > (goffset) svc->config->max_body_bytes) {
    reply_error (svc, msg, 413, "InvalidParameter.BodyTooLarge",
        "the body has %" G_GINT64_FORMAT " bytes, at most %u are accepted "
        "(max_body_bytes)", (gint64) length, svc->config->max_body_bytes);
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Connection", "close");
  }
}

/* ------------------------------------------------------------------ */
/* start, stop                                                         */

static void
maybe_quit (RrService * svc)
{
  for (guint i = 0; i < svc->task_order->len; i++) {
    RrTask *t = g_ptr_array_index (svc->task_order, i);

    if (rr_task_has_process (t) || rr_task_is_delivering (t))
      return;
  }
  g_main_loop_quit (svc->loop);
}

static gboolean
shutdown_timeout_cb (gpointer data)
{
  RrService *svc = data;

  svc->shutdown_timer = 0;
  rr_service_log ("error", NULL, "rooms still running after %d s: killing "
      "them (their files stay playable in their temp dirs)",
      SHUTDOWN_TIMEOUT_S);
  for (guint i = 0; i < svc->task_order->len; i++)
    rr_task_kill (g_ptr_array_index (svc->task_order, i));
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer data)
{
  RrService *svc = data;

  if (++svc->signals > 1) {
    rr_service_log ("warning", NULL, "second signal: killing the rooms");
    shutdown_timeout_cb (svc);
    return G_SOURCE_CONTINUE;
  }
  rr_service_log ("info", NULL, "stopping: every room finalises its files");
  svc->shutting_down = TRUE;
  for (guint i = 0; i < svc->task_order->len; i++) {
    RrTask *t = g_ptr_array_index (svc->task_order, i);

    if (rr_task_is_active (t))
      rr_task_stop (t, "shutdown");
    rr_task_stop_delivery (t);
  }
  svc->shutdown_timer = g_timeout_add_seconds (SHUTDOWN_TIMEOUT_S,
      shutdown_timeout_cb, svc);
  maybe_quit (svc);
  return G_SOURCE_CONTINUE;
}

static gint
compare_created (gconstpointer a, gconstpointer b)
{
  gint64 ca = rr_task_created_us (*(RrTask **) a);
  gint64 cb = rr_task_created_us (*(RrTask **) b);

  return ca < cb ? -1 : ca > cb;
}

/* Tasks of the last run; those it left running start again (failover):
 * the room makes its leftovers playable, resumes uploads and webhooks. */
static void
load_tasks (RrService * svc)
{
  gchar *dir = g_build_filename (svc->config->state_dir, "tasks", NULL);
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  GPtrArray *loaded = g_ptr_array_new ();

  while (d && (name = g_dir_read_name (d))) {
    gchar *task_dir = g_build_filename (dir, name, NULL);
    GError *err = NULL;
    RrTask *t = rr_task_load (svc->config, svc->exe, task_dir, &err);

    if (t == NULL) {
      rr_service_log ("warning", NULL, "ignoring %s: %s", task_dir,
          err->message);
      g_clear_error (&err);
    } else {
      g_ptr_array_add (loaded, t);
    }
    g_free (task_dir);
  }
  if (d)
    g_dir_close (d);
  g_free (dir);

  /* oldest first, as they were created */
  g_ptr_array_sort (loaded, compare_created);
  for (guint i = 0; i < loaded->len; i++) {
    RrTask *t = g_ptr_array_index (loaded, i);
    GError *err = NULL;

    add_task (svc, t);
    if (!rr_task_was_interrupted (t))
      continue;
    if (rr_task_restarts (t) >= svc->config->max_restarts) {
      rr_service_log ("error", rr_task_id (t), "room %s was interrupted and "
          "has no restarts left (max_restarts)", rr_task_room_id (t));
      rr_task_mark_failed (t, "error");
      continue;
    }
    rr_service_log ("warning", rr_task_id (t), "room %s was interrupted "
        "(the service died): starting it again", rr_task_room_id (t));
    if (!rr_task_start (t, TRUE, &err)) {
      rr_service_log ("error", rr_task_id (t), "could not restart: %s",
          err->message);
      g_clear_error (&err);
    }
  }
  g_ptr_array_unref (loaded);
}

static gchar *
own_executable (const gchar * argv0)
{
  gchar *exe = g_file_read_link ("/proc/self/exe", NULL);

  if (exe == NULL)
    exe = g_find_program_in_path (argv0);
  return exe ? exe : g_strdup (argv0);
}

static void
print_routes (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    g_print ("%s %s\n", routes[i].method, routes[i].pattern);
}

int
rr_service_main (const gchar * argv0, const gchar * filename)
{
  RrService svc = { 0, };
  GError *err = NULL;
  GSList *uris;
  guint sigint, sigterm;
  GSocketAddress *address;
  GInetAddress *inet;
  gchar *host;

  if (g_str_equal (filename, "--routes")) {
    print_routes ();
    return 0;
  }
  svc.config = rr_service_config_load_file (filename, &err);
  if (svc.config == NULL) {
    g_printerr ("roomrec serve: %s: %s\n", filename, err->message);
    g_error_free (err);
    return 2;
  }
  if (g_mkdir_with_parents (svc.config->state_dir, 0750) != 0
      || g_mkdir_with_parents (svc.config->archive_dir, 0755) != 0) {
    g_printerr ("roomrec serve: cannot create the state or archive dir "
        "(%s, %s): %s\n", svc.config->state_dir, svc.config->archive_dir,
        g_strerror (errno));
    rr_service_config_free (svc.config);
    return 2;
  }
  svc.exe = own_executable (argv0);
  svc.tasks = g_hash_table_new (g_str_hash, g_str_equal);
  svc.task_order = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rr_task_free);
  svc.rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  svc.rooms_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  svc.http_codes = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  svc.limiter = rr_rate_limiter_new (svc.config->requests_per_second);
  svc.dashboard_dir = g_strdup (g_getenv ("ROOMREC_DASHBOARD_DIR"));
  svc.loop = g_main_loop_new (NULL, FALSE);
  svc.session = soup_session_new_with_options ("timeout",
      svc.config->request_timeout_s, "max-conns-per-host", 64, NULL);

  svc.server = soup_server_new ("server-header", "roomrec", NULL);
  soup_server_add_early_handler (svc.server, NULL, handle_early, &svc, NULL);
  soup_server_add_handler (svc.server, NULL, handle, &svc, NULL);
  inet = g_inet_address_new_from_string (svc.config->listen_host);
  if (inet == NULL) {
    GResolver *resolver = g_resolver_get_default ();
    GList *list = g_resolver_lookup_by_name (resolver,
        svc.config->listen_host, NULL, &err);

    if (list) {
      inet = g_object_ref (list->data);
      g_resolver_free_addresses (list);
    }
    g_object_unref (resolver);
  }
  if (inet == NULL) {
    g_printerr ("roomrec serve: $.listen: %s: %s\n", svc.config->listen_host,
        err ? err->message : "not an address");
    g_clear_error (&err);
    return 2;
  }
  address = g_inet_socket_address_new (inet, svc.config->listen_port);
  g_object_unref (inet);
  if (!soup_server_listen (svc.server, address, 0, &err)) {
    g_printerr ("roomrec serve: cannot listen on %s:%u: %s\n",
        svc.config->listen_host, svc.config->listen_port, err->message);
    g_error_free (err);
    g_object_unref (address);
    return 1;
  }
  g_object_unref (address);
  uris = soup_server_get_uris (svc.server);
  host = g_uri_to_string (uris->data);
  if (g_str_has_suffix (host, "/"))
    host[strlen (host) - 1] = '\0';
  svc.base_url = host;
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_print ("roomrec serve: listening on %s\n", svc.base_url);
  rr_service_log ("info", NULL, "roomrec %s serving on %s, state in %s, "
      "archives in %s", VERSION, svc.base_url, svc.config->state_dir,
      svc.config->archive_dir);

  load_rules (&svc);
  load_tasks (&svc);
  forget_expired_tasks (&svc);
  svc.housekeeping = g_timeout_add_seconds (HOUSEKEEPING_S, housekeeping_cb,
      &svc);
  sigint = g_unix_signal_add (SIGINT, on_signal, &svc);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, &svc);
  g_main_loop_run (svc.loop);
  rr_service_log ("info", NULL, "stopped: every room finalised");

  g_source_remove (sigint);
  g_source_remove (sigterm);
  if (svc.shutdown_timer)
    g_source_remove (svc.shutdown_timer);
  g_source_remove (svc.housekeeping);
  soup_server_disconnect (svc.server);
  g_object_unref (svc.server);
  g_list_free_full (svc.waiting, (GDestroyNotify) waiting_free);
  g_object_unref (svc.session);
  g_hash_table_unref (svc.tasks);
  g_ptr_array_unref (svc.task_order);
  g_ptr_array_unref (svc.rules);
  g_hash_table_unref (svc.rooms_seen);
  g_hash_table_unref (svc.http_codes);
  rr_rate_limiter_free (svc.limiter);
  g_main_loop_unref (svc.loop);
  g_free (svc.dashboard_dir);
  g_free (svc.base_url);
  g_free (svc.exe);
  rr_service_config_free (svc.config);
  return 0;
}
