/* roomrec — one task of `roomrec serve`: a room recorded by its own
 * process
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "servicetask.h"

#include "service.h"
#include "ids.h"
#include "jsonmsg.h"
#include "sidecar.h"
#include "spool.h"
#include "s3upload.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* A room that died unasked is started again after this long. */
#define RESTART_DELAY_MS 1000
/* `roomrec deliver` of an ended task's leftovers: 10 s after the room
 * ended (its own drain just failed), then 30 s, 60 s … up to an hour */
#define FIRST_DELIVERY_RETRY_US (G_GINT64_CONSTANT (10) * G_USEC_PER_SEC)
#define MAX_DELIVERY_RETRY_US (G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC)
/* A modify the room did not answer in this long failed. */
#define MODIFY_TIMEOUT_S 5

typedef struct
{
  gchar *name;                  /* basename, the API's handle */
  gchar *path;                  /* where it is (archive dir, or temp dir) */
  gchar *tmp_path;              /* where it is written, while RECORDING */
  gchar *connection_id;
  gint64 begin_ms;
  guint64 size;
  gchar *status;                /* Naver Live Station's */
} TaskFile;

typedef struct
{
  RrTask *task;
  guint64 id;
  RrTaskModified done;
  gpointer data;
  guint timeout;
  JsonObject *body;             /* the body once applied */
} PendingModify;

struct _RrTask
{
  const RrServiceConfig *config;
  gchar *exe;
  gchar *id;
  gchar *room_id;
  gchar *app;
  gchar *dir;
  JsonObject *body;

  RrTaskStatus status;
  gchar *stop_reason;
  gint64 created_us, started_us, stopped_us;
  guint attempt;
  gboolean interrupted;         /* active when the last service stopped */
  gboolean stop_requested;
  gchar *requested_reason;

  /* the room's process */
  GSubprocess *process;
  GSocketConnection *connection;
  GDataInputStream *input;
  GCancellable *cancellable;
  guint whip_port;
  gboolean child_stopped;       /* it sent "stopped" */
  gchar *child_reason;
  gchar *report;
  guint restart_timer;

  GHashTable *participants;     /* connection id → user id ("" if none) */
  GPtrArray *files;             /* TaskFile* */
  RrTaskStats stats;            /* of the current process */
  RrTaskStats earlier;          /* counters of processes before it */

  GHashTable *modifies;         /* id → PendingModify* */
  guint64 next_modify_id;

  /* what an ended run left undelivered (webhooks spooled, uploads not
   * transferred): -1 not known yet, 0 nothing, 1 something */
  gint leftovers;
  GSubprocess *deliverer;       /* `roomrec deliver` of the leftovers */
  GCancellable *deliver_cancel;
  guint delivery_failures;
  gint64 next_delivery_us;      /* monotonic */

  RrTaskChanged changed;
  gpointer changed_data;
};

static void
task_file_free (TaskFile * f)
{
  g_free (f->name);
  g_free (f->path);
  g_free (f->tmp_path);
  g_free (f->connection_id);
  g_free (f->status);
  g_free (f);
}

static void
set_file_status (TaskFile * f, const gchar * status)
{
  g_free (f->status);
  f->status = g_strdup (status);
}

const gchar *
rr_task_status_name (RrTaskStatus status)
{
  static const gchar *const names[] = {
    "starting", "recording", "stopping", "stopped", "failed"
  };

  return status <= RR_TASK_FAILED ? names[status] : "unknown";
}

static gboolean
status_from_name (const gchar * name, RrTaskStatus * status)
{
  for (guint i = 0; i <= RR_TASK_FAILED; i++) {
    if (g_strcmp0 (name, rr_task_status_name (i)) == 0) {
      *status = i;
      return TRUE;
    }
  }
  return FALSE;
}

static gchar *
format_time (gint64 us)
{
  GDateTime *t;
  gchar *text;

  if (us <= 0)
    return NULL;
  t = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);
  if (t == NULL)
    return NULL;
  text = g_strdup_printf ("%s.%03dZ", g_date_time_format (t,
          "%Y-%m-%dT%H:%M:%S"), (gint) ((us / 1000) % 1000));
  g_date_time_unref (t);
  return text;
}

static void
set_time_member (JsonObject * o, const gchar * name, gint64 us)
{
  gchar *text = format_time (us);

  if (text)
    json_object_set_string_member (o, name, text);
  else
    json_object_set_null_member (o, name);
  g_free (text);
}

/* ------------------------------------------------------------------ */
/* task.json                                                           */

static JsonNode *
body_node (JsonObject * body)
{
  JsonNode *n = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (n, body);
  return n;
}

static void
save (RrTask * t)
{
  JsonObject *o = json_object_new ();
  JsonArray *files = json_array_new ();
  JsonNode *root;
  gchar *text, *path;
  GError *err = NULL;

  json_object_set_string_member (o, "task_id", t->id);
  json_object_set_string_member (o, "room_id", t->room_id);
  json_object_set_string_member (o, "app", t->app);
  json_object_set_string_member (o, "status", rr_task_status_name (t->status));
  if (t->stop_reason)
    json_object_set_string_member (o, "stop_reason", t->stop_reason);
  if (t->stop_requested)
    json_object_set_string_member (o, "stop_requested", t->requested_reason);
  json_object_set_int_member (o, "created_us", t->created_us);
  json_object_set_int_member (o, "started_us", t->started_us);
  json_object_set_int_member (o, "stopped_us", t->stopped_us);
  json_object_set_int_member (o, "attempt", t->attempt);
  if (t->report)
    json_object_set_string_member (o, "report", t->report);
  json_object_set_member (o, "body", body_node (t->body));
  for (guint i = 0; i < t->files->len; i++) {
    TaskFile *f = g_ptr_array_index (t->files, i);
    JsonObject *fo = json_object_new ();

    json_object_set_string_member (fo, "name", f->name);
    json_object_set_string_member (fo, "path", f->path);
    if (f->tmp_path)
      json_object_set_string_member (fo, "tmp_path", f->tmp_path);
    if (f->connection_id)
      json_object_set_string_member (fo, "connection_id", f->connection_id);
    json_object_set_int_member (fo, "begin_ms", f->begin_ms);
    json_object_set_int_member (fo, "size", (gint64) f->size);
    json_object_set_string_member (fo, "status", f->status);
    json_array_add_object_element (files, fo);
  }
  json_object_set_array_member (o, "files", files);
  root = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (root, o);
  text = json_to_string (root, TRUE);
  json_node_unref (root);
  path = g_build_filename (t->dir, "task.json", NULL);
  if (!rr_file_write_atomic (path, text, &err)) {
    rr_service_log ("error", t->id, "could not save %s: %s", path,
        err->message);
    g_clear_error (&err);
  }
  g_free (path);
  g_free (text);
}

static void
set_status (RrTask * t, RrTaskStatus status)
{
  gboolean changed = t->status != status;

  t->status = status;
  if ((status == RR_TASK_STOPPED || status == RR_TASK_FAILED)
      && t->stopped_us == 0)
    t->stopped_us = g_get_real_time ();
  save (t);
  if (changed && t->changed)
    t->changed (t, t->changed_data);
}

static RrTask *
task_alloc (const RrServiceConfig * config, const gchar * exe)
{
  RrTask *t = g_new0 (RrTask, 1);

  t->config = config;
  t->exe = g_strdup (exe);
  t->participants = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  t->files = g_ptr_array_new_with_free_func ((GDestroyNotify) task_file_free);
  t->modifies = g_hash_table_new (g_int64_hash, g_int64_equal);
  t->leftovers = -1;
  return t;
}

RrTask *
rr_task_new (const RrServiceConfig * config, const gchar * exe,
    JsonObject * body, const gchar * room_id, RrApiError * error)
{
  RrTask *t = task_alloc (config, exe);
  RrTaskRun run = { 0, };
  gchar *room_config, *app = NULL;
  JsonObject *copy = rr_json_object_copy (body);

  if (room_id)
    json_object_set_string_member (copy, "room_id", room_id);
  t->body = copy;
  t->id = rr_id_generate ();
  t->dir = g_build_filename (config->state_dir, "tasks", t->id, NULL);
  run.task_id = t->id;
  run.task_dir = t->dir;
  room_config = rr_task_room_config (config, t->body, &run, &app, error);
  if (room_config == NULL) {
    rr_task_free (t);
    return NULL;
  }
  g_free (room_config);
  t->app = app;
  t->room_id = g_strdup (json_object_get_string_member (t->body, "room_id"));
  t->created_us = g_get_real_time ();
  if (g_mkdir_with_parents (t->dir, 0750) != 0) {
    rr_api_error_set (error, 500, "InternalError.StateDir",
        "cannot create %s: %s", t->dir, g_strerror (errno));
    rr_task_free (t);
    return NULL;
  }
  save (t);
  return t;
}

RrTask *
rr_task_load (const RrServiceConfig * config, const gchar * exe,
    const gchar * task_dir, GError ** error)
{
  JsonParser *parser = json_parser_new ();
  gchar *path = g_build_filename (task_dir, "task.json", NULL);
  RrTask *t = NULL;
  JsonObject *o;
  JsonNode *n;

  if (!json_parser_load_from_file (parser, path, error))
    goto out;
  n = json_parser_get_root (parser);
  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "%s: not a task", path);
    goto out;
  }
  o = json_node_get_object (n);
  n = json_object_get_member (o, "body");
  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n)
      || !json_object_has_member (o, "task_id")
      || !json_object_has_member (o, "room_id")) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "%s: not a task", path);
    goto out;
  }
  t = task_alloc (config, exe);
  t->body = json_object_ref (json_node_get_object (n));
  t->id = g_strdup (json_object_get_string_member (o, "task_id"));
  t->room_id = g_strdup (json_object_get_string_member (o, "room_id"));
  t->app = g_strdup (json_object_get_string_member_with_default (o, "app",
          "default"));
  t->dir = g_strdup (task_dir);
  status_from_name (json_object_get_string_member_with_default (o, "status",
          "failed"), &t->status);
  t->stop_reason = g_strdup (json_object_get_string_member_with_default (o,
          "stop_reason", NULL));
  t->requested_reason =
      g_strdup (json_object_get_string_member_with_default (o,
          "stop_requested", NULL));
  t->stop_requested = t->requested_reason != NULL;
  t->created_us = json_object_get_int_member_with_default (o, "created_us", 0);
  t->started_us = json_object_get_int_member_with_default (o, "started_us", 0);
  t->stopped_us = json_object_get_int_member_with_default (o, "stopped_us", 0);
  t->attempt = json_object_get_int_member_with_default (o, "attempt", 0);
  t->report = g_strdup (json_object_get_string_member_with_default (o,
          "report", NULL));
  n = json_object_get_member (o, "files");
  if (n && JSON_NODE_HOLDS_ARRAY (n)) {
    JsonArray *a = json_node_get_array (n);

    for (guint i = 0; i < json_array_get_length (a); i++) {
      JsonObject *fo = json_array_get_object_element (a, i);
      TaskFile *f;

      if (fo == NULL || !json_object_has_member (fo, "path"))
        continue;
      f = g_new0 (TaskFile, 1);
      f->path = g_strdup (json_object_get_string_member (fo, "path"));
      f->name = g_path_get_basename (f->path);
      f->tmp_path = g_strdup (json_object_get_string_member_with_default (fo,
              "tmp_path", NULL));
      f->connection_id =
          g_strdup (json_object_get_string_member_with_default (fo,
              "connection_id", NULL));
      f->begin_ms = json_object_get_int_member_with_default (fo, "begin_ms", 0);
      f->size = json_object_get_int_member_with_default (fo, "size", 0);
      f->status = g_strdup (json_object_get_string_member_with_default (fo,
              "status", "RECORDING"));
      g_ptr_array_add (t->files, f);
    }
  }
  t->interrupted = t->status == RR_TASK_STARTING
      || t->status == RR_TASK_RECORDING || t->status == RR_TASK_STOPPING;
  /* the room died with the service: what it was writing is in its temp
   * dir, until the next run recovers it */
  for (guint i = 0; t->interrupted && i < t->files->len; i++) {
    TaskFile *f = g_ptr_array_index (t->files, i);

    if (g_str_equal (f->status, "RECORDING")) {
      set_file_status (f, "PROCESSING_FAIL");
      if (f->tmp_path) {
        g_free (f->path);
        f->path = g_strdup (f->tmp_path);
      }
    }
  }
out:
  g_free (path);
  g_object_unref (parser);
  return t;
}

void
rr_task_set_changed_callback (RrTask * t, RrTaskChanged changed,
    gpointer user_data)
{
  t->changed = changed;
  t->changed_data = user_data;
}

/* ------------------------------------------------------------------ */
/* what the room tells                                                 */

static TaskFile *
find_file (RrTask * t, const gchar * path)
{
  for (guint i = 0; path && i < t->files->len; i++) {
    TaskFile *f = g_ptr_array_index (t->files, i);

    if (g_str_equal (f->path, path))
      return f;
  }
  return NULL;
}

static TaskFile *
add_file (RrTask * t, const gchar * path, const gchar * connection_id)
{
  TaskFile *f = find_file (t, path);

  if (f)
    return f;
  f = g_new0 (TaskFile, 1);
  f->path = g_strdup (path);
  f->name = g_path_get_basename (path);
  f->connection_id = g_strdup (connection_id);
  f->begin_ms = g_get_real_time () / 1000;
  f->status = g_strdup ("RECORDING");
  g_ptr_array_add (t->files, f);
  return f;
}

static gboolean
has_storage (RrTask * t)
{
  return json_object_has_member (t->body, "storage")
      || json_object_has_member (t->config->task_defaults, "storage");
}

static guint64
member_uint (JsonObject * o, const gchar * name)
{
  gint64 v = json_object_get_int_member_with_default (o, name, 0);

  return v > 0 ? (guint64) v : 0;
}

static void
on_stats (RrTask * t, JsonObject * o)
{
  RrTaskStats *s = &t->stats;

  s->participants = member_uint (o, "participants");
  s->bytes_received = member_uint (o, "bytes_received");
  s->packets_lost = member_uint (o, "packets_lost");
  s->keyframe_requests = member_uint (o, "keyframe_requests");
  s->webhook_pending = member_uint (o, "webhook_pending");
  s->webhook_failures = member_uint (o, "webhook_failures");
  s->upload_pending = member_uint (o, "upload_pending");
  s->upload_failures = member_uint (o, "upload_failures");
}

static void finish_modify (PendingModify * m, const RrApiError * error);

static void
on_event (RrTask * t, JsonObject * o)
{
  const gchar *event = json_object_get_string_member_with_default (o,
      "event", "");
  const gchar *location = json_object_get_string_member_with_default (o,
      "location", NULL);
  const gchar *conn = json_object_get_string_member_with_default (o,
      "connection-id", NULL);

  if (g_str_equal (event, "stats")) {
    on_stats (t, o);
    return;
  }
  if (g_str_equal (event, "ready")) {
    t->whip_port = (guint) member_uint (o, "whip_port");
    if (t->started_us == 0)
      t->started_us = g_get_real_time ();
    rr_service_log ("info", t->id, "room %s recording, pid %"
        G_GINT64_FORMAT ", WHIP on 127.0.0.1:%u", t->room_id,
        json_object_get_int_member_with_default (o, "pid", 0), t->whip_port);
    /* a stop asked for while it was starting (or before a restart) */
    if (t->stop_requested) {
      set_status (t, RR_TASK_STOPPING);
      rr_task_stop (t, t->requested_reason);
    } else {
      set_status (t, RR_TASK_RECORDING);
    }
  } else if (g_str_equal (event, "participant.joined")) {
    g_hash_table_replace (t->participants,
        g_strdup (json_object_get_string_member_with_default (o,
                "connection_id", "?")),
        g_strdup (json_object_get_string_member_with_default (o, "user_id",
                "")));
  } else if (g_str_equal (event, "participant.left")) {
    g_hash_table_remove (t->participants,
        json_object_get_string_member_with_default (o, "connection_id", ""));
  } else if (g_str_equal (event, "splitmuxrec-archive-started")) {
    const gchar *kind = json_object_get_string_member_with_default (o,
        "kind", "");

    if (location && !g_str_equal (kind, "hls-segment")) {
      TaskFile *f = add_file (t, location, conn);

      g_free (f->tmp_path);
      f->tmp_path = g_strdup (json_object_get_string_member_with_default (o,
              "tmp-location", NULL));
      save (t);
    }
  } else if (g_str_equal (event, "splitmuxrec-archive-available")
      || g_str_equal (event, "splitmuxrec-split-archive-available")
      || g_str_equal (event, "client-file-available")) {
    if (location) {
      TaskFile *f = add_file (t, location, conn);
      GStatBuf st;

      if (g_stat (location, &st) == 0)
        f->size = st.st_size;
      /* no storage: its transfer into the archive dir is its last step */
      set_file_status (f, has_storage (t) ? "TRANSFER_READY" :
          "TRANSFER_FINISH");
      save (t);
    }
  } else if (g_str_equal (event, "archive-recovered")) {
    /* a file an earlier, killed run left, made playable by this one */
    const gchar *tmp = json_object_get_string_member_with_default (o,
        "tmp_path", NULL);
    const gchar *path = json_object_get_string_member_with_default (o,
        "file_path", NULL);
    TaskFile *f = NULL;

    for (guint i = 0; tmp && i < t->files->len; i++) {
      TaskFile *c = g_ptr_array_index (t->files, i);

      if (g_strcmp0 (c->tmp_path, tmp) == 0 || g_str_equal (c->path, tmp))
        f = c;
    }
    if (f == NULL && tmp)
      f = add_file (t, tmp, conn);
    if (f && path
        && json_object_get_boolean_member_with_default (o, "recovered",
            FALSE)) {
      GStatBuf st;

      g_free (f->path);
      f->path = g_strdup (path);
      g_free (f->name);
      f->name = g_path_get_basename (path);
      if (g_stat (path, &st) == 0)
        f->size = st.st_size;
      set_file_status (f, has_storage (t) ? "TRANSFER_READY" :
          "TRANSFER_FINISH");
    }
    if (f)
      save (t);
  } else if (g_str_equal (event, "splitmuxrec-archive-failed")) {
    const gchar *tmp = json_object_get_string_member_with_default (o,
        "tmp-location", NULL);

    if (tmp) {
      TaskFile *f = add_file (t, tmp, conn);

      set_file_status (f, "PROCESSING_FAIL");
      save (t);
    }
  } else if (g_str_equal (event, "upload")) {
    TaskFile *f = find_file (t, json_object_get_string_member_with_default (o,
            "path", NULL));

    if (f) {
      set_file_status (f, json_object_get_string_member_with_default (o,
              "status", f->status));
      save (t);
    }
  } else if (g_str_equal (event, "modified")) {
    guint64 id = member_uint (o, "id");
    PendingModify *m = g_hash_table_lookup (t->modifies, &id);

    if (m) {
      RrApiError err = { 0, };

      if (!json_object_get_boolean_member_with_default (o, "ok", FALSE))
        rr_api_error_set (&err, 400, "InvalidParameter.Modify", "%s",
            json_object_get_string_member_with_default (o, "error",
                "the room refused the change"));
      finish_modify (m, err.code ? &err : NULL);
      rr_api_error_clear (&err);
    }
  } else if (g_str_equal (event, "stopped")) {
    t->child_stopped = TRUE;
    g_free (t->child_reason);
    t->child_reason = g_strdup (json_object_get_string_member_with_default (o,
            "reason", "error"));
    g_free (t->report);
    t->report = g_strdup (json_object_get_string_member_with_default (o,
            "report", NULL));
    if (t->status == RR_TASK_RECORDING)
      set_status (t, RR_TASK_STOPPING);
  }
}

static void read_next (RrTask * t);

static void
on_line (GObject * source, GAsyncResult * result, gpointer data)
{
  RrTask *t = data;
  GError *err = NULL;
  gchar *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM
      (source), result, NULL, &err);
  JsonParser *parser;

  if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_error_free (err);
    return;                     /* t may be gone */
  }
  /* the timeout is for writes; a quiet room is fine */
  if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
    g_error_free (err);
    read_next (t);
    return;
  }
  g_clear_error (&err);
  if (line == NULL)
    return;                     /* the process ended; on_process_exit follows */
  parser = json_parser_new ();
  if (json_parser_load_from_data (parser, line, -1, NULL)
      && rr_json_root_is_object (parser))
    on_event (t, json_node_get_object (json_parser_get_root (parser)));
  g_object_unref (parser);
  g_free (line);
  read_next (t);
}

static void
read_next (RrTask * t)
{
  g_data_input_stream_read_line_async (t->input, G_PRIORITY_DEFAULT,
      t->cancellable, on_line, t);
}

/* ------------------------------------------------------------------ */
/* the process                                                         */

static void
child_setup (gpointer data)
{
  /* the service killed (even with SIGKILL): the room finalises its files
   * as on SIGTERM instead of recording on, unowned */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* <task dir>/room-<attempt>.<ext>: the config and log of one run */
static gchar *
attempt_path (RrTask * t, const gchar * ext)
{
  gchar *name = g_strdup_printf ("room-%u.%s", t->attempt, ext);
  gchar *path = g_build_filename (t->dir, name, NULL);

  g_free (name);
  return path;
}

/* a child of the service (a room, a deliverer): its output into
 * @log_path, SIGTERM when the service dies */
static GSubprocessLauncher *
child_launcher (const gchar * log_path)
{
  GSubprocessLauncher *launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);

  g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  return launcher;
}

static void
close_channel (RrTask * t)
{
  if (t->cancellable) {
    g_cancellable_cancel (t->cancellable);
    g_clear_object (&t->cancellable);
  }
  g_clear_object (&t->input);
  if (t->connection) {
    g_io_stream_close (G_IO_STREAM (t->connection), NULL, NULL);
    g_clear_object (&t->connection);
  }
}

static void
add_stats (RrTaskStats * to, const RrTaskStats * s)
{
  to->bytes_received += s->bytes_received;
  to->packets_lost += s->packets_lost;
  to->keyframe_requests += s->keyframe_requests;
  to->webhook_failures += s->webhook_failures;
  to->upload_failures += s->upload_failures;
}

static gboolean
restart_cb (gpointer data)
{
  RrTask *t = data;
  GError *err = NULL;

  t->restart_timer = 0;
  if (!rr_task_start (t, TRUE, &err)) {
    rr_service_log ("error", t->id, "restart failed: %s", err->message);
    g_clear_error (&err);
    g_free (t->stop_reason);
    t->stop_reason = g_strdup ("error");
    set_status (t, RR_TASK_FAILED);
  }
  return G_SOURCE_REMOVE;
}

static void
on_process_exit (GObject * source, GAsyncResult * result, gpointer data)
{
  RrTask *t = data;
  GSubprocess *proc = G_SUBPROCESS (source);
  gboolean crashed;
  gchar *how;

  g_subprocess_wait_finish (proc, result, NULL);
  if (proc != t->process)
    return;
  if (g_subprocess_get_if_signaled (proc))
    how = g_strdup_printf ("killed by signal %d",
        g_subprocess_get_term_sig (proc));
  else
    how = g_strdup_printf ("exit status %d",
        g_subprocess_get_exit_status (proc));
  /* a room that finished by its own rules (expire, idle, empty) or was
   * told to stop is done; anything else is a crash */
  crashed = !t->stop_requested && (!t->child_stopped
      || g_strcmp0 (t->child_reason, "error") == 0);
  rr_service_log (crashed ? "error" : "info", t->id, "room %s: process "
      "ended (%s)%s", t->room_id, how, crashed ? ": crashed" : "");
  g_free (how);
  g_clear_object (&t->process);
  close_channel (t);
  t->whip_port = 0;
  t->leftovers = -1;
  t->next_delivery_us = g_get_monotonic_time () + FIRST_DELIVERY_RETRY_US;
  add_stats (&t->earlier, &t->stats);
  memset (&t->stats, 0, sizeof (t->stats));
  g_hash_table_remove_all (t->participants);
  /* the room's files that were still being written are in its temp dir */
  for (guint i = 0; i < t->files->len; i++) {
    TaskFile *f = g_ptr_array_index (t->files, i);

    if (g_str_equal (f->status, "RECORDING") && crashed) {
      set_file_status (f, "PROCESSING_FAIL");
      if (f->tmp_path) {
        g_free (f->path);
        f->path = g_strdup (f->tmp_path);
      }
    }
  }

  if (crashed && t->attempt < t->config->max_restarts) {
    rr_service_log ("warning", t->id, "restarting the room in %d ms "
        "(failover %u of %u; its files get the ha%u_ prefix)",
        RESTART_DELAY_MS, t->attempt + 1, t->config->max_restarts,
        t->attempt + 1);
    set_status (t, RR_TASK_STARTING);
    t->restart_timer = g_timeout_add (RESTART_DELAY_MS, restart_cb, t);
  } else {
    g_free (t->stop_reason);
    t->stop_reason = g_strdup (crashed ? "error" : t->stop_requested ?
        t->requested_reason : t->child_reason);
    set_status (t, crashed ? RR_TASK_FAILED : RR_TASK_STOPPED);
  }
}

gboolean
rr_task_start (RrTask * t, gboolean failover, GError ** error)
{
  RrTaskRun run = { 0, };
  RrApiError api = { 0, };
  gchar *room_config, *config_path, *log_path;
  GSubprocessLauncher *launcher;
  gint fds[2];
  GSocket *socket;

  if (failover)
    t->attempt++;
  run.task_id = t->id;
  run.task_dir = t->dir;
  run.attempt = t->attempt;
  room_config = rr_task_room_config (t->config, t->body, &run, NULL, &api);
  if (room_config == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s",
        api.message);
    rr_api_error_clear (&api);
    return FALSE;
  }
  config_path = attempt_path (t, "json");
  if (!g_file_set_contents (config_path, room_config, -1, error)) {
    g_free (room_config);
    g_free (config_path);
    return FALSE;
  }
  g_free (room_config);
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "socketpair: %s", g_strerror (errno));
    g_free (config_path);
    return FALSE;
  }
  log_path = attempt_path (t, "log");
  launcher = child_launcher (log_path);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  t->process = g_subprocess_launcher_spawn (launcher, error, t->exe, "run",
      "--control-fd", "3", config_path, NULL);
  g_object_unref (launcher);
  g_free (log_path);
  g_free (config_path);
  if (t->process == NULL) {
    close (fds[0]);
    return FALSE;
  }
  socket = g_socket_new_from_fd (fds[0], error);
  if (socket == NULL) {
    close (fds[0]);
    g_subprocess_force_exit (t->process);
    g_clear_object (&t->process);
    return FALSE;
  }
  /* a hung room must not hang the service on a write */
  g_socket_set_timeout (socket, 2);
  t->connection = g_socket_connection_factory_create_connection (socket);
  g_object_unref (socket);
  t->input =
      g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM
          (t->connection)));
  t->cancellable = g_cancellable_new ();
  t->child_stopped = FALSE;
  g_clear_pointer (&t->child_reason, g_free);
  read_next (t);
  /* the service frees its tasks only after their processes ended */
  g_subprocess_wait_async (t->process, NULL, on_process_exit, t);
  t->interrupted = FALSE;
  if (t->status != RR_TASK_STOPPING)
    set_status (t, RR_TASK_STARTING);
  else
    save (t);
  return TRUE;
}

static gboolean
send_line (RrTask * t, JsonObject * o)
{
  JsonNode *n = json_node_new (JSON_NODE_OBJECT);
  gchar *line;
  gboolean ok = FALSE;

  json_node_set_object (n, o);
  line = json_to_string (n, FALSE);
  json_node_unref (n);
  if (t->connection) {
    GOutputStream *out =
        g_io_stream_get_output_stream (G_IO_STREAM (t->connection));
    gchar *with_nl = g_strconcat (line, "\n", NULL);

    /* a few hundred bytes into a socket the room reads continuously */
    ok = g_output_stream_write_all (out, with_nl, strlen (with_nl), NULL,
        NULL, NULL);
    g_free (with_nl);
  }
  g_free (line);
  return ok;
}

void
rr_task_stop (RrTask * t, const gchar * reason)
{
  JsonObject *o;

  if (!t->stop_requested) {
    t->stop_requested = TRUE;
    g_free (t->requested_reason);
    t->requested_reason = g_strdup (reason);
  }
  if (t->restart_timer) {
    /* it was waiting for a restart: nothing runs */
    g_source_remove (t->restart_timer);
    t->restart_timer = 0;
    g_free (t->stop_reason);
    t->stop_reason = g_strdup (reason);
    set_status (t, RR_TASK_STOPPED);
    return;
  }
  if (t->process == NULL) {
    save (t);
    return;
  }
  o = json_object_new ();
  json_object_set_string_member (o, "cmd", "stop");
  if (!send_line (t, o))
    g_subprocess_send_signal (t->process, SIGTERM);
  json_object_unref (o);
  if (t->status == RR_TASK_RECORDING || t->status == RR_TASK_STARTING)
    set_status (t, RR_TASK_STOPPING);
  else
    save (t);
}

void
rr_task_mark_failed (RrTask * t, const gchar * reason)
{
  g_free (t->stop_reason);
  t->stop_reason = g_strdup (reason);
  t->interrupted = FALSE;
  set_status (t, RR_TASK_FAILED);
}

void
rr_task_kill (RrTask * t)
{
  if (t->process)
    g_subprocess_force_exit (t->process);
  if (t->deliverer)
    g_subprocess_force_exit (t->deliverer);
}

static gboolean
modify_timeout_cb (gpointer data)
{
  PendingModify *m = data;
  RrApiError err = { 0, };

  m->timeout = 0;
  rr_api_error_set (&err, 504, "InternalError.Timeout", "the room did not "
      "answer the change in %d s", MODIFY_TIMEOUT_S);
  finish_modify (m, &err);
  rr_api_error_clear (&err);
  return G_SOURCE_REMOVE;
}

static void
finish_modify (PendingModify * m, const RrApiError * error)
{
  RrTask *t = m->task;

  g_hash_table_remove (t->modifies, &m->id);
  if (m->timeout)
    g_source_remove (m->timeout);
  if (error == NULL) {
    json_object_unref (t->body);
    t->body = json_object_ref (m->body);
    save (t);
  }
  m->done (t, error, m->data);
  json_object_unref (m->body);
  g_free (m);
}

void
rr_task_modify (RrTask * t, JsonObject * changes, RrTaskModified done,
    gpointer user_data)
{
  RrApiError err = { 0, };
  JsonObject *body = rr_json_object_copy (t->body);
  RrTaskRun run = { 0, };
  gchar *room_config;
  PendingModify *m;
  JsonObject *cmd;

  if (t->status != RR_TASK_RECORDING || t->connection == NULL) {
    rr_api_error_set (&err, 409, "FailedOperation.TaskNotRunning",
        "task %s is %s: only a recording task can be modified", t->id,
        rr_task_status_name (t->status));
    goto fail;
  }
  if (!rr_task_body_modify (body, changes, &err))
    goto fail;
  run.task_id = t->id;
  run.task_dir = t->dir;
  run.attempt = t->attempt;
  room_config = rr_task_room_config (t->config, body, &run, NULL, &err);
  if (room_config == NULL)
    goto fail;

  m = g_new0 (PendingModify, 1);
  m->task = t;
  m->id = ++t->next_modify_id;
  m->done = done;
  m->data = user_data;
  m->body = body;
  m->timeout = g_timeout_add_seconds (MODIFY_TIMEOUT_S, modify_timeout_cb, m);
  g_hash_table_insert (t->modifies, &m->id, m);
  cmd = json_object_new ();
  json_object_set_string_member (cmd, "cmd", "modify");
  json_object_set_int_member (cmd, "id", (gint64) m->id);
  json_object_set_string_member (cmd, "config", room_config);
  g_free (room_config);
  if (!send_line (t, cmd)) {
    rr_api_error_set (&err, 500, "InternalError.RoomUnreachable",
        "the room's process does not take commands");
    finish_modify (m, &err);
    rr_api_error_clear (&err);
  }
  json_object_unref (cmd);
  return;

fail:
  done (t, &err, user_data);
  rr_api_error_clear (&err);
  json_object_unref (body);
}

/* ------------------------------------------------------------------ */

const gchar *
rr_task_id (RrTask * t)
{
  return t->id;
}

const gchar *
rr_task_room_id (RrTask * t)
{
  return t->room_id;
}

const gchar *
rr_task_app (RrTask * t)
{
  return t->app;
}

RrTaskStatus
rr_task_status (RrTask * t)
{
  return t->status;
}

gboolean
rr_task_is_active (RrTask * t)
{
  return t->status == RR_TASK_STARTING || t->status == RR_TASK_RECORDING
      || t->status == RR_TASK_STOPPING;
}

gboolean
rr_task_was_interrupted (RrTask * t)
{
  return t->interrupted;
}

gboolean
rr_task_has_process (RrTask * t)
{
  return t->process != NULL || t->restart_timer != 0;
}

guint
rr_task_whip_port (RrTask * t)
{
  return t->status == RR_TASK_RECORDING ? t->whip_port : 0;
}

guint
rr_task_restarts (RrTask * t)
{
  return t->attempt;
}

void
rr_task_get_stats (RrTask * t, RrTaskStats * stats)
{
  *stats = t->stats;
  add_stats (stats, &t->earlier);
}

gint64
rr_task_created_us (RrTask * t)
{
  return t->created_us;
}

guint64
rr_task_bytes_written (RrTask * t)
{
  guint64 n = 0;

  for (guint i = 0; i < t->files->len; i++)
    n += ((TaskFile *) g_ptr_array_index (t->files, i))->size;
  return n;
}

gchar *
rr_task_hls_segment_path (RrTask * t, const gchar * name)
{
  if (!g_str_has_suffix (name, ".ts"))
    return NULL;
  for (guint i = 0; i < t->files->len; i++) {
    TaskFile *f = g_ptr_array_index (t->files, i);
    gchar *dir, *candidate;

    if (!g_str_has_suffix (f->path, ".m3u8"))
      continue;
    dir = g_path_get_dirname (f->path);
    candidate = g_build_filename (dir, name, NULL);
    g_free (dir);
    if (g_file_test (candidate, G_FILE_TEST_IS_REGULAR))
      return candidate;
    g_free (candidate);
  }
  return NULL;
}

const gchar *
rr_task_file_path (RrTask * t, const gchar * name)
{
  for (guint i = 0; i < t->files->len; i++) {
    TaskFile *f = g_ptr_array_index (t->files, i);

    if (g_str_equal (f->name, name))
      return f->path;
  }
  return NULL;
}

/* The body as given, without its secrets (API tokens are not room
 * tokens or storage keys). */
static JsonNode *
redacted_body (JsonObject * body)
{
  static const gchar *const secrets[][2] = {
    {NULL, "token"}, {"storage", "secret_key"}, {"storage", "session_token"},
    {"webhooks", "secret"},
  };
  JsonNode *given = body_node (body);
  gchar *text = json_to_string (given, FALSE);
  /* deep: json_node_copy() would share the objects with the task's */
  JsonNode *copy = json_from_string (text, NULL);
  JsonObject *o = json_node_get_object (copy);

  json_node_unref (given);
  g_free (text);

  for (guint i = 0; i < G_N_ELEMENTS (secrets); i++) {
    JsonObject *in = o;

    if (secrets[i][0]) {
      JsonNode *sub = json_object_get_member (o, secrets[i][0]);

      if (sub == NULL || !JSON_NODE_HOLDS_OBJECT (sub))
        continue;
      in = json_node_get_object (sub);
    }
    if (json_object_has_member (in, secrets[i][1]))
      json_object_set_string_member (in, secrets[i][1], "(hidden)");
  }
  return copy;
}

JsonNode *
rr_task_to_json (RrTask * t, const gchar * base_url)
{
  JsonObject *o = json_object_new ();
  JsonArray *participants = json_array_new ();
  JsonArray *files = json_array_new ();
  GHashTableIter iter;
  gpointer key, value;
  JsonNode *n;
  gchar *url;

  json_object_set_string_member (o, "task_id", t->id);
  json_object_set_string_member (o, "room_id", t->room_id);
  json_object_set_string_member (o, "app", t->app);
  json_object_set_string_member (o, "mode",
      json_object_get_string_member_with_default (t->body, "mode",
          json_object_get_string_member_with_default (t->config->task_defaults,
              "mode", "single")));
  json_object_set_string_member (o, "status", rr_task_status_name (t->status));
  if (t->stop_reason && !rr_task_is_active (t))
    json_object_set_string_member (o, "stop_reason", t->stop_reason);
  else
    json_object_set_null_member (o, "stop_reason");
  set_time_member (o, "created_at", t->created_us);
  set_time_member (o, "started_at", t->started_us);
  set_time_member (o, "stopped_at", t->stopped_us);
  json_object_set_string_member (o, "recording_id", t->id);
  json_object_set_int_member (o, "restarts", t->attempt);
  url = g_strdup_printf ("%s/whip/%s", base_url, t->room_id);
  json_object_set_string_member (o, "whip_url", url);
  g_free (url);

  g_hash_table_iter_init (&iter, t->participants);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    JsonObject *p = json_object_new ();

    json_object_set_string_member (p, "connection_id", key);
    if (*(const gchar *) value)
      json_object_set_string_member (p, "user_id", value);
    else
      json_object_set_null_member (p, "user_id");
    json_array_add_object_element (participants, p);
  }
  json_object_set_array_member (o, "participants", participants);

  for (guint i = 0; i < t->files->len; i++) {
    TaskFile *f = g_ptr_array_index (t->files, i);
    JsonObject *fo = json_object_new ();

    json_object_set_string_member (fo, "name", f->name);
    json_object_set_string_member (fo, "path", f->path);
    if (f->connection_id)
      json_object_set_string_member (fo, "connection_id", f->connection_id);
    else
      json_object_set_null_member (fo, "connection_id");
    json_object_set_int_member (fo, "begin_timestamp", f->begin_ms);
    json_object_set_int_member (fo, "size", (gint64) f->size);
    json_object_set_string_member (fo, "status", f->status);
    json_array_add_object_element (files, fo);
  }
  json_object_set_array_member (o, "files", files);
  if (t->report)
    json_object_set_string_member (o, "report", t->report);
  else
    json_object_set_null_member (o, "report");
  json_object_set_member (o, "config", redacted_body (t->body));
  n = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (n, o);
  return n;
}

/* ------------------------------------------------------------------ */
/* retention                                                           */

/* Whether @ok holds for every entry of @dir (TRUE without @dir). */
static gboolean
all_entries (const gchar * dir, gboolean (*ok) (const gchar * path))
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  gboolean all = TRUE;

  while (all && d && (name = g_dir_read_name (d))) {
    gchar *path = g_build_filename (dir, name, NULL);

    all = ok (path);
    g_free (path);
  }
  if (d)
    g_dir_close (d);
  return all;
}

/* a destination's spool (webhooks/<destination>/) */
static gboolean
spool_empty (const gchar * dir)
{
  RrSpool *spool;
  gboolean empty;

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    return TRUE;
  /* a spool that does not open may still hold events: keep it */
  spool = rr_spool_open (dir, NULL, NULL);
  empty = spool != NULL && rr_spool_count (spool) == 0;
  rr_spool_close (spool);
  return empty;
}

/* an upload state file (uploads-<recording_id>.json) */
static gboolean
upload_state_done (const gchar * path)
{
  return !g_str_has_suffix (path, ".json")
      || !rr_s3_upload_state_has_pending (path);
}

static gboolean
has_leftovers (RrTask * t)
{
  if (t->leftovers < 0) {
    gchar *webhooks = g_build_filename (t->dir, "webhooks", NULL);
    gchar *uploads = g_build_filename (t->dir, "uploads", NULL);

    t->leftovers = !(all_entries (webhooks, spool_empty)
        && all_entries (uploads, upload_state_done));
    g_free (webhooks);
    g_free (uploads);
  }
  return t->leftovers > 0;
}

static gboolean
is_ended (RrTask * t)
{
  return !rr_task_is_active (t) && !rr_task_has_process (t)
      && !t->interrupted && t->stopped_us != 0;
}

gboolean
rr_task_expired (RrTask * t, gint64 now_us)
{
  return is_ended (t) && t->deliverer == NULL
      && g_hash_table_size (t->modifies) == 0
      && now_us - t->stopped_us >=
      (gint64) t->config->task_retention_s * G_USEC_PER_SEC
      && !has_leftovers (t);
}

gboolean
rr_task_is_delivering (RrTask * t)
{
  return t->deliverer != NULL;
}

void
rr_task_stop_delivery (RrTask * t)
{
  if (t->deliverer)
    g_subprocess_send_signal (t->deliverer, SIGTERM);
}

static void
on_deliverer_exit (GObject * source, GAsyncResult * result, gpointer data)
{
  RrTask *t = data;
  GSubprocess *proc = G_SUBPROCESS (source);
  GError *err = NULL;

  if (!g_subprocess_wait_finish (proc, result, &err)) {
    /* cancelled: the task is being freed, the process killed */
    g_error_free (err);
    return;
  }
  /* what is left is read again from the spool and the upload state */
  t->leftovers = -1;
  if (g_subprocess_get_successful (proc) && !has_leftovers (t)) {
    rr_service_log ("info", t->id, "room %s: its undelivered webhooks and "
        "uploads are delivered", t->room_id);
    t->delivery_failures = 0;
  } else {
    gint64 wait = MIN (MAX_DELIVERY_RETRY_US, (gint64) 30 * G_USEC_PER_SEC
        << MIN (t->delivery_failures, 10));

    rr_service_log ("warning", t->id, "room %s: webhooks or uploads still "
        "undelivered (see deliver.log in its state dir); next try in %"
        G_GINT64_FORMAT " s", t->room_id, wait / G_USEC_PER_SEC);
    t->delivery_failures++;
    t->next_delivery_us = g_get_monotonic_time () + wait;
  }
  g_clear_object (&t->deliverer);
  g_clear_object (&t->deliver_cancel);
}

gboolean
rr_task_deliver_leftovers (RrTask * t)
{
  GSubprocessLauncher *launcher;
  gchar *config_path, *log_path;
  GError *err = NULL;

  if (!is_ended (t) || t->deliverer
      || g_get_monotonic_time () < t->next_delivery_us || !has_leftovers (t))
    return FALSE;
  config_path = attempt_path (t, "json");
  if (!g_file_test (config_path, G_FILE_TEST_EXISTS)) {
    g_free (config_path);
    t->leftovers = 0;           /* never ran: nothing of it to deliver */
    return FALSE;
  }
  log_path = g_build_filename (t->dir, "deliver.log", NULL);
  launcher = child_launcher (log_path);
  t->deliverer = g_subprocess_launcher_spawn (launcher, &err, t->exe,
      "deliver", config_path, NULL);
  g_object_unref (launcher);
  g_free (log_path);
  g_free (config_path);
  if (t->deliverer == NULL) {
    rr_service_log ("error", t->id, "cannot start roomrec deliver: %s",
        err->message);
    g_error_free (err);
    t->next_delivery_us = g_get_monotonic_time () + MAX_DELIVERY_RETRY_US;
    return FALSE;
  }
  rr_service_log ("info", t->id, "room %s: delivering the webhooks and "
      "uploads its last run left", t->room_id);
  t->deliver_cancel = g_cancellable_new ();
  g_subprocess_wait_async (t->deliverer, t->deliver_cancel, on_deliverer_exit,
      t);
  return TRUE;
}

/* rm -r of a directory this service wrote: symbolic links are removed,
 * never followed */
static gboolean
remove_tree (const gchar * path, GError ** error)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0) {
    if (errno == ENOENT)
      return TRUE;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "cannot read %s: %s", path, g_strerror (errno));
    return FALSE;
  }
  if (S_ISDIR (st.st_mode)) {
    GDir *d = g_dir_open (path, 0, error);
    const gchar *name;
    gboolean ok = d != NULL;

    while (ok && (name = g_dir_read_name (d))) {
      gchar *child = g_build_filename (path, name, NULL);

      ok = remove_tree (child, error);
      g_free (child);
    }
    if (d)
      g_dir_close (d);
    if (!ok)
      return FALSE;
  }
  if (g_remove (path) != 0 && errno != ENOENT) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "cannot remove %s: %s", path, g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

gboolean
rr_task_delete_state (RrTask * t, GError ** error)
{
  return remove_tree (t->dir, error);
}

void
rr_task_free (RrTask * t)
{
  if (t == NULL)
    return;
  if (t->restart_timer)
    g_source_remove (t->restart_timer);
  close_channel (t);
  g_clear_object (&t->process);
  /* what a deliverer did not deliver stays spooled for the next time */
  if (t->deliver_cancel)
    g_cancellable_cancel (t->deliver_cancel);
  rr_task_stop_delivery (t);
  g_clear_object (&t->deliverer);
  g_clear_object (&t->deliver_cancel);
  g_free (t->exe);
  g_free (t->id);
  g_free (t->room_id);
  g_free (t->app);
  g_free (t->dir);
  if (t->body)
    json_object_unref (t->body);
  g_free (t->stop_reason);
  g_free (t->requested_reason);
  g_free (t->child_reason);
  g_free (t->report);
  g_hash_table_unref (t->participants);
  g_ptr_array_unref (t->files);
  g_hash_table_unref (t->modifies);
  g_free (t);
}
