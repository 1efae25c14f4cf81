/* roomrec — a room's control channel to `roomrec serve`
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "roomcontrol.h"

#include <gio/gio.h>

#include "jsonmsg.h"
#include <string.h>
#include <unistd.h>

/* The service reads continuously; a write blocked this long means it is
 * stuck, and the room goes on without telling it. */
#define WRITE_TIMEOUT_S 2
#define MAX_LINE 1048576

struct _RrRoomControl
{
  RrRoom *room;
  GSocket *socket;
  GSocketConnection *connection;
  GDataInputStream *input;
  GCancellable *cancellable;
  guint stats_timer;
  gboolean broken;
};

const gchar *
rr_room_stop_reason_name (RrRoomStopReason reason)
{
  switch (reason) {
    case RR_ROOM_STOP_SIGNAL:
      return "api";
    case RR_ROOM_STOP_EXPIRED:
      return "expired";
    case RR_ROOM_STOP_IDLE:
      return "idle";
    case RR_ROOM_STOP_EMPTY:
      return "empty";
    case RR_ROOM_STOP_ERROR:
      return "error";
  }
  return "unknown";
}

static void
send_object (RrRoomControl * self, const gchar * event, JsonObject * fields)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  GOutputStream *out;
  GError *err = NULL;
  gchar *line;

  if (self->broken)
    return;
  json_object_set_string_member (fields, "event", event);
  json_node_set_object (node, fields);
  line = json_to_string (node, FALSE);
  json_node_unref (node);
  out = g_io_stream_get_output_stream (G_IO_STREAM (self->connection));
  if (!g_output_stream_write_all (out, line, strlen (line), NULL, NULL, &err)
      || !g_output_stream_write_all (out, "\n", 1, NULL, NULL, &err)) {
    g_printerr ("roomrec: control channel: %s; the room goes on alone\n",
        err->message);
    g_clear_error (&err);
    self->broken = TRUE;
  }
  g_free (line);
}

static void
on_observed (RrRoom * room, const gchar * event, JsonObject * fields,
    gpointer data)
{
  /* send_object adds "event": not into the room's own object */
  JsonObject *copy = rr_json_object_copy (fields);

  send_object (data, event, copy);
  json_object_unref (copy);
}

static gboolean
send_stats (gpointer data)
{
  RrRoomControl *self = data;
  RrRoomStats st;
  JsonObject *o = json_object_new ();

  rr_room_get_stats (self->room, &st);
  json_object_set_int_member (o, "participants", st.participants);
  json_object_set_int_member (o, "bytes_received", (gint64) st.bytes_received);
  json_object_set_int_member (o, "packets_lost", (gint64) st.packets_lost);
  json_object_set_int_member (o, "keyframe_requests", st.keyframe_requests);
  json_object_set_int_member (o, "webhook_pending", st.webhook_pending);
  json_object_set_int_member (o, "webhook_failures",
      (gint64) st.webhook_failures);
  json_object_set_int_member (o, "upload_pending", st.upload_pending);
  json_object_set_int_member (o, "upload_failures", st.upload_failures);
  send_object (self, "stats", o);
  json_object_unref (o);
  return G_SOURCE_CONTINUE;
}

static void
reply_modified (RrRoomControl * self, gint64 id, const GError * error)
{
  JsonObject *o = json_object_new ();

  json_object_set_int_member (o, "id", id);
  json_object_set_boolean_member (o, "ok", error == NULL);
  if (error)
    json_object_set_string_member (o, "error", error->message);
  send_object (self, "modified", o);
  json_object_unref (o);
}

static void
handle_command (RrRoomControl * self, const gchar * line)
{
  JsonParser *parser = json_parser_new ();
  GError *err = NULL;
  JsonObject *o;
  const gchar *cmd;

  if (!json_parser_load_from_data (parser, line, -1, &err)
      || !rr_json_root_is_object (parser)) {
    g_printerr ("roomrec: control channel: not a JSON object: %s\n",
        err ? err->message : line);
    g_clear_error (&err);
    g_object_unref (parser);
    return;
  }
  o = json_node_get_object (json_parser_get_root (parser));
  cmd = json_object_get_string_member_with_default (o, "cmd", "");
  if (g_str_equal (cmd, "stop")) {
    rr_room_stop (self->room, RR_ROOM_STOP_SIGNAL);
  } else if (g_str_equal (cmd, "modify")) {
    gint64 id = json_object_get_int_member_with_default (o, "id", 0);
    const gchar *text =
        json_object_get_string_member_with_default (o, "config", "");
    RrRoomConfig *changed = rr_room_config_load_data (text, -1, &err);

    if (changed)
      rr_room_modify (self->room, changed, &err);
    reply_modified (self, id, err);
    g_clear_error (&err);
    if (changed)
      rr_room_config_free (changed);
  } else {
    g_printerr ("roomrec: control channel: unknown command '%s'\n", cmd);
  }
  g_object_unref (parser);
}

static void read_next (RrRoomControl * self);

static void
on_line (GObject * source, GAsyncResult * result, gpointer data)
{
  RrRoomControl *self = data;
  GError *err = NULL;
  gsize length = 0;
  gchar *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM
      (source), result, &length, &err);

  if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_error_free (err);
    return;                     /* freed */
  }
  /* the socket's timeout is for writes; a quiet service is fine */
  if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
    g_error_free (err);
    read_next (self);
    return;
  }
  if (line == NULL) {
    /* the service is gone: finalise everything, as on SIGTERM */
    g_printerr ("roomrec: control channel closed%s%s: stopping the room\n",
        err ? ": " : "", err ? err->message : "");
    g_clear_error (&err);
    self->broken = TRUE;
    rr_room_stop (self->room, RR_ROOM_STOP_SIGNAL);
    return;
  }
  if (length > MAX_LINE)
    g_printerr ("roomrec: control channel: command too long, ignored\n");
  else
    handle_command (self, line);
  g_free (line);
  read_next (self);
}

static void
read_next (RrRoomControl * self)
{
  g_data_input_stream_read_line_async (self->input, G_PRIORITY_DEFAULT,
      self->cancellable, on_line, self);
}

RrRoomControl *
rr_room_control_new (RrRoom * room, gint fd, GError ** error)
{
  RrRoomControl *self;
  GSocket *socket = g_socket_new_from_fd (fd, error);

  if (socket == NULL) {
    g_prefix_error (error, "--control-fd %d: ", fd);
    return NULL;
  }
  self = g_new0 (RrRoomControl, 1);
  self->room = room;
  self->socket = socket;
  g_socket_set_blocking (socket, TRUE);
  g_socket_set_timeout (socket, WRITE_TIMEOUT_S);
  self->connection = g_socket_connection_factory_create_connection (socket);
  self->input =
      g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM
          (self->connection)));
  self->cancellable = g_cancellable_new ();
  rr_room_set_observer (room, on_observed, self);
  read_next (self);
  return self;
}

void
rr_room_control_ready (RrRoomControl * self)
{
  JsonObject *o = json_object_new ();
  const RrRoomConfig *c = rr_room_get_config (self->room);

  json_object_set_int_member (o, "whip_port", rr_room_whip_port (self->room));
  json_object_set_string_member (o, "recording_id", c->recording_id);
  json_object_set_int_member (o, "pid", getpid ());
  json_object_set_int_member (o, "start_time_ms",
      rr_room_start_time (self->room) / 1000);
  send_object (self, "ready", o);
  json_object_unref (o);
  send_stats (self);
  self->stats_timer = g_timeout_add_seconds (1, send_stats, self);
}

void
rr_room_control_stopped (RrRoomControl * self, const gchar * reason,
    const gchar * report_path)
{
  JsonObject *o = json_object_new ();

  send_stats (self);
  json_object_set_string_member (o, "reason", reason);
  if (report_path)
    json_object_set_string_member (o, "report", report_path);
  else
    json_object_set_null_member (o, "report");
  json_object_set_int_member (o, "uploads_failed",
      rr_room_uploads_failed (self->room));
  send_object (self, "stopped", o);
  json_object_unref (o);
}

void
rr_room_control_free (RrRoomControl * self)
{
  if (self == NULL)
    return;
  rr_room_set_observer (self->room, NULL, NULL);
  if (self->stats_timer)
    g_source_remove (self->stats_timer);
  g_cancellable_cancel (self->cancellable);
  g_object_unref (self->cancellable);
  g_object_unref (self->input);
  g_io_stream_close (G_IO_STREAM (self->connection), NULL, NULL);
  g_object_unref (self->connection);
  g_object_unref (self->socket);
  g_free (self);
}
