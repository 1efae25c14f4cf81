/* roomrec — the config of `roomrec serve`, and tasks' bodies
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "serviceconfig.h"
#include "roomconfig.h"
#include "jsonmsg.h"

#include <string.h>

#define MAX_STREAMS 25
#define MAX_TASK_RETENTION_S (10u * 365 * 24 * 3600)
#define MAX_SUBSCRIBE_IDS 25

static const gchar *const service_keys[] = {
  "listen", "tokens", "state_dir", "archive_dir", "max_tasks",
  "max_streams_per_task", "requests_per_second", "max_body_bytes",
  "request_timeout_s", "max_restarts", "task_retention_s", "task_defaults",
  "hlsjs", NULL
};

/* Room-config keys of per-participant archives (not with "mixed"). */
static const gchar *const archive_only_keys[] = {
  "format", "naming_template", "split_naming_template", NULL
};

/* Keys of a room config the service sets itself. */
static const gchar *const owned_keys[] = {
  "recording_id", "archive_dir", "tmp_dir", "failover", "app_id", NULL
};

static gboolean
fail (GError ** error, const gchar * path, const gchar * what)
{
  g_set_error (error, RR_CONFIG_ERROR, RR_CONFIG_ERROR_RANGE, "%s: %s",
      path, what);
  return FALSE;
}

static gboolean
read_string (JsonObject * o, const gchar * key, gchar ** out, GError ** error)
{
  JsonNode *n = json_object_get_member (o, key);
  gchar *path;

  if (n == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
      && *json_node_get_string (n)) {
    g_free (*out);
    *out = g_strdup (json_node_get_string (n));
    return TRUE;
  }
  path = g_strdup_printf ("$.%s", key);
  fail (error, path, "a non-empty string");
  g_free (path);
  return FALSE;
}

static gboolean
read_uint (JsonObject * o, const gchar * key, guint min, guint max,
    guint * out, GError ** error)
{
  JsonNode *n = json_object_get_member (o, key);
  gchar *path, *what;

  if (n == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64
      && json_node_get_int (n) >= min && json_node_get_int (n) <= max) {
    *out = (guint) json_node_get_int (n);
    return TRUE;
  }
  path = g_strdup_printf ("$.%s", key);
  what = g_strdup_printf ("a whole number from %u to %u", min, max);
  fail (error, path, what);
  g_free (what);
  g_free (path);
  return FALSE;
}

static gboolean
parse_listen (const gchar * text, RrServiceConfig * c, GError ** error)
{
  const gchar *colon = strrchr (text, ':');
  gchar *end = NULL;
  guint64 port;

  if (colon == NULL || colon == text)
    return fail (error, "$.listen", "host:port, e.g. \"127.0.0.1:8080\"");
  port = g_ascii_strtoull (colon + 1, &end, 10);
  if (end == colon + 1 || *end != '\0' || port > 65535)
    return fail (error, "$.listen", "the port must be 0–65535");
  g_free (c->listen_host);
  if (text[0] == '[' && colon[-1] == ']')
    c->listen_host = g_strndup (text + 1, colon - text - 2);
  else
    c->listen_host = g_strndup (text, colon - text);
  c->listen_port = (guint) port;
  return TRUE;
}

static gboolean
parse (JsonObject * root, RrServiceConfig * c, GError ** error)
{
  JsonObjectIter iter;
  const gchar *name;
  JsonNode *node;
  gchar *listen = NULL;
  gboolean ok;

  json_object_iter_init (&iter, root);
  while (json_object_iter_next (&iter, &name, &node)) {
    if (!g_strv_contains (service_keys, name)) {
      gchar *path = rr_json_key_path ("$", name);

      g_set_error (error, RR_CONFIG_ERROR, RR_CONFIG_ERROR_UNKNOWN_KEY,
          "%s: unknown key (known: listen, tokens, state_dir, archive_dir, "
          "max_tasks, max_streams_per_task, requests_per_second, "
          "max_body_bytes, request_timeout_s, max_restarts, task_retention_s, "
          "task_defaults, hlsjs)", path);
      g_free (path);
      return FALSE;
    }
  }

  ok = read_string (root, "listen", &listen, error)
      && (listen == NULL || parse_listen (listen, c, error));
  g_free (listen);
  if (!ok)
    return FALSE;

  node = json_object_get_member (root, "tokens");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node)
      || json_array_get_length (json_node_get_array (node)) == 0) {
    g_set_error (error, RR_CONFIG_ERROR, RR_CONFIG_ERROR_MISSING,
        "$.tokens: the API's Bearer tokens, a non-empty array of strings "
        "(everything but /healthz needs one)");
    return FALSE;
  } else {
    JsonArray *a = json_node_get_array (node);
    guint n = json_array_get_length (a);

    c->tokens = g_new0 (gchar *, n + 1);
    for (guint i = 0; i < n; i++) {
      JsonNode *t = json_array_get_element (a, i);
      const gchar *s = JSON_NODE_HOLDS_VALUE (t)
          && json_node_get_value_type (t) == G_TYPE_STRING ?
          json_node_get_string (t) : NULL;

      if (s == NULL || strlen (s) < 16 || strlen (s) > 4096) {
        gchar *path = g_strdup_printf ("$.tokens[%u]", i);

        fail (error, path, "a token of 16–4096 characters");
        g_free (path);
        return FALSE;
      }
      for (const gchar * p = s; *p; p++) {
        if (*p <= ' ' || *p > '~') {
          gchar *path = g_strdup_printf ("$.tokens[%u]", i);

          fail (error, path, "printable ASCII without spaces");
          g_free (path);
          return FALSE;
        }
      }
      c->tokens[i] = g_strdup (s);
    }
  }

  if (!read_string (root, "state_dir", &c->state_dir, error)
      || !read_string (root, "archive_dir", &c->archive_dir, error)
      || !read_uint (root, "max_tasks", 1, 10000, &c->max_tasks, error)
      || !read_uint (root, "max_streams_per_task", 1, MAX_STREAMS,
          &c->max_streams_per_task, error)
      || !read_uint (root, "requests_per_second", 1, 100000,
          &c->requests_per_second, error)
      || !read_uint (root, "max_body_bytes", 1024, 16777216,
          &c->max_body_bytes, error)
      || !read_uint (root, "request_timeout_s", 1, 3600,
          &c->request_timeout_s, error)
      || !read_uint (root, "max_restarts", 0, 3, &c->max_restarts, error)
      || !read_uint (root, "task_retention_s", 1, MAX_TASK_RETENTION_S,
          &c->task_retention_s, error)
      || !read_string (root, "hlsjs", &c->hlsjs, error))
    return FALSE;
  if (c->state_dir == NULL || c->archive_dir == NULL) {
    g_set_error (error, RR_CONFIG_ERROR, RR_CONFIG_ERROR_MISSING,
        "$.%s: required (a directory)", c->state_dir ? "archive_dir" :
        "state_dir");
    return FALSE;
  }
  node = json_object_get_member (root, "task_defaults");
  if (node) {
    if (!JSON_NODE_HOLDS_OBJECT (node))
      return fail (error, "$.task_defaults", "an object of room-config keys "
          "(docs/config.md)");
    json_object_unref (c->task_defaults);
    c->task_defaults = json_object_ref (json_node_get_object (node));
  }
  return TRUE;
}

RrServiceConfig *
rr_service_config_load_data (const gchar * data, gssize length, GError ** error)
{
  JsonParser *parser = json_parser_new ();
  RrServiceConfig *c;
  JsonNode *root;

  if (!json_parser_load_from_data (parser, data, length, error)) {
    /* json-glib quotes what it could not parse as it is: maybe not UTF-8 */
    if (error && *error && !g_utf8_validate ((*error)->message, -1, NULL)) {
      gchar *valid = g_utf8_make_valid ((*error)->message, -1);

      g_free ((*error)->message);
      (*error)->message = valid;
    }
    g_object_unref (parser);
    return NULL;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, RR_CONFIG_ERROR, RR_CONFIG_ERROR_SYNTAX,
        "$: the service config is a JSON object");
    g_object_unref (parser);
    return NULL;
  }
  c = g_new0 (RrServiceConfig, 1);
  c->listen_host = g_strdup ("127.0.0.1");
  c->listen_port = 8080;
  c->max_tasks = 100;
  c->max_streams_per_task = MAX_STREAMS;
  c->requests_per_second = 20;
  c->max_body_bytes = 65536;
  c->request_timeout_s = 6;
  c->max_restarts = 3;
  c->task_retention_s = 7 * 24 * 3600;
  c->task_defaults = json_object_new ();
  if (!parse (json_node_get_object (root), c, error)) {
    rr_service_config_free (c);
    c = NULL;
  }
  g_object_unref (parser);
  return c;
}

RrServiceConfig *
rr_service_config_load_file (const gchar * filename, GError ** error)
{
  gchar *data = NULL;
  gsize length = 0;
  RrServiceConfig *c;

  if (!g_file_get_contents (filename, &data, &length, error))
    return NULL;
  c = rr_service_config_load_data (data, length, error);
  g_free (data);
  return c;
}

void
rr_service_config_free (RrServiceConfig * c)
{
  if (c == NULL)
    return;
  g_free (c->listen_host);
  g_strfreev (c->tokens);
  g_free (c->state_dir);
  g_free (c->archive_dir);
  if (c->task_defaults)
    json_object_unref (c->task_defaults);
  g_free (c->hlsjs);
  g_free (c);
}

gboolean
rr_service_config_token_ok (const RrServiceConfig * c, const gchar * token)
{
  gboolean ok = FALSE;
  gsize len;

  if (token == NULL)
    return FALSE;
  len = strlen (token);
  for (guint i = 0; c->tokens[i]; i++) {
    const gchar *t = c->tokens[i];
    gsize tlen = strlen (t);
    guint diff = (guint) (len ^ tlen);

    /* every byte of the configured token is looked at */
    for (gsize j = 0; j < tlen; j++)
      diff |= (guint) (t[j] ^ (j < len ? token[j] : 0));
    ok |= diff == 0;
  }
  return ok;
}

gboolean
rr_service_id_valid (const gchar * id)
{
  gsize n;

  if (id == NULL)
    return FALSE;
  n = strlen (id);
  if (n == 0 || n > 64 || g_str_equal (id, ".") || g_str_equal (id, ".."))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (id[i]) && id[i] != '_' && id[i] != '-'
        && id[i] != '.')
      return FALSE;
  return TRUE;
}

void
rr_api_error_set (RrApiError * error, guint status, const gchar * code,
    const gchar * format, ...)
{
  va_list args;

  if (error == NULL)
    return;
  rr_api_error_clear (error);
  error->status = status;
  error->code = g_strdup (code);
  va_start (args, format);
  error->message = g_strdup_vprintf (format, args);
  va_end (args);
}

void
rr_api_error_clear (RrApiError * error)
{
  g_clear_pointer (&error->code, g_free);
  g_clear_pointer (&error->message, g_free);
  error->status = 0;
}

gchar *
rr_api_key_code (const gchar * key)
{
  GString *s = g_string_new (NULL);
  gboolean upper = TRUE;

  for (const gchar * p = key; *p; p++) {
    if (*p == '_' || *p == '-' || *p == '.') {
      upper = TRUE;
    } else if (g_ascii_isalnum (*p)) {
      g_string_append_c (s, upper ? g_ascii_toupper (*p) : *p);
      upper = FALSE;
    }
  }
  if (s->len == 0)
    g_string_append (s, "Body");
  return g_string_free (s, FALSE);
}

static void
invalid (RrApiError * error, const gchar * key, const gchar * format, ...)
G_GNUC_PRINTF (3, 4);

     static void
         invalid (RrApiError * error, const gchar * key, const gchar * format,
    ...)
{
  gchar *code_key = rr_api_key_code (key);
  gchar *code = g_strconcat ("InvalidParameter.", code_key, NULL);
  va_list args;
  gchar *message;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  rr_api_error_set (error, 400, code, "%s", message);
  g_free (message);
  g_free (code);
  g_free (code_key);
}

/* The first key of a JSON path ("$.mix.layout" → "mix"). */
static gchar *
path_key (const gchar * message)
{
  const gchar *p = g_str_has_prefix (message, "$.") ? message + 2 : NULL;
  gsize n = 0;

  if (p == NULL)
    return g_strdup ("body");
  while (p[n] && (g_ascii_isalnum (p[n]) || p[n] == '_'))
    n++;
  return n ? g_strndup (p, n) : g_strdup ("body");
}

/* Whether a message's JSON path ("$.key: …") names a top-level key. */
static gboolean
top_level_path (const gchar * message)
{
  const gchar *colon = strchr (message, ':');

  if (!g_str_has_prefix (message, "$.") || colon == NULL)
    return FALSE;
  for (const gchar * p = message + 2; p < colon; p++)
    if (*p == '.' || *p == '[')
      return FALSE;
  return TRUE;
}

static gboolean
check_subscribe_size (JsonObject * body, RrApiError * error)
{
  JsonNode *n = json_object_get_member (body, "subscribe");
  static const gchar *const lists[] = { "allow", "block" };

  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    return TRUE;                /* the room config says what is wrong */
  for (guint i = 0; i < G_N_ELEMENTS (lists); i++) {
    JsonNode *l = json_object_get_member (json_node_get_object (n), lists[i]);

    if (l && JSON_NODE_HOLDS_ARRAY (l)
        && json_array_get_length (json_node_get_array (l)) > MAX_SUBSCRIBE_IDS) {
      rr_api_error_set (error, 400, "InvalidParameter.SubscribeStreamUserIds",
          "$.subscribe.%s: at most %u user ids (a task records at most %u "
          "streams)", lists[i], MAX_SUBSCRIBE_IDS, MAX_STREAMS);
      return FALSE;
    }
  }
  return TRUE;
}

static void
set_default_member (JsonObject * o, const gchar * key, const gchar * value)
{
  if (!json_object_has_member (o, key))
    json_object_set_string_member (o, key, value);
}

/* storage and webhooks keep their state per task unless told otherwise:
 * two rooms never share a spool or an upload state file */
static void
per_task_state (JsonObject * room, const gchar * key, const gchar * dir_key,
    const gchar * dir)
{
  JsonNode *n = json_object_get_member (room, key);

  if (n && JSON_NODE_HOLDS_OBJECT (n)) {
    JsonObject *copy = rr_json_object_copy (json_node_get_object (n));

    set_default_member (copy, dir_key, dir);
    json_object_set_object_member (room, key, copy);
  }
}

gchar *
rr_task_room_config (const RrServiceConfig * c, JsonObject * body,
    const RrTaskRun * run, gchar ** app_out, RrApiError * error)
{
  JsonObject *room = json_object_new ();
  JsonObjectIter iter;
  const gchar *name;
  JsonNode *value, *node, *mode;
  gboolean mixed_only;
  const gchar *room_id, *app = "default", *token = NULL;
  JsonArray *inputs;
  JsonObject *whip;
  gchar *text = NULL, *path, *dir;
  GError *err = NULL;
  RrRoomConfig *checked;

  for (guint i = 0; owned_keys[i]; i++) {
    if (json_object_has_member (body, owned_keys[i])) {
      invalid (error, owned_keys[i], "$.%s: set by the service (every task "
          "records under the service's archive_dir, with its task id as "
          "recording id)", owned_keys[i]);
      goto out;
    }
  }
  room_id = run->room_id;
  node = json_object_get_member (body, "room_id");
  if (room_id == NULL && node == NULL) {
    invalid (error, "room_id", "$.room_id: required");
    goto out;
  }
  if (room_id == NULL)
    room_id = JSON_NODE_HOLDS_VALUE (node)
        && json_node_get_value_type (node) == G_TYPE_STRING ?
        json_node_get_string (node) : NULL;
  if (!rr_service_id_valid (room_id)) {
    invalid (error, "room_id", "$.room_id: 1–64 characters of A-Z a-z 0-9 "
        "_ - . (it is part of the WHIP URL and of file names)");
    goto out;
  }
  node = json_object_get_member (body, "app");
  if (node) {
    app = JSON_NODE_HOLDS_VALUE (node)
        && json_node_get_value_type (node) == G_TYPE_STRING ?
        json_node_get_string (node) : NULL;
    if (!rr_service_id_valid (app)) {
      invalid (error, "app", "$.app: 1–64 characters of A-Z a-z 0-9 _ - .");
      goto out;
    }
  }
  node = json_object_get_member (body, "token");
  if (node) {
    token = JSON_NODE_HOLDS_VALUE (node)
        && json_node_get_value_type (node) == G_TYPE_STRING ?
        json_node_get_string (node) : NULL;
    if (token == NULL) {
      invalid (error, "token", "$.token: the room's WHIP Bearer token, a "
          "string of 16–4096 characters");
      goto out;
    }
  }
  node = json_object_get_member (body, "inputs");
  if (node && JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *a = json_node_get_array (node);

    if (json_array_get_length (a) >= MAX_STREAMS) {
      invalid (error, "inputs", "$.inputs: at most %u inputs (a task records "
          "at most %u streams, the WHIP endpoint counts as one)",
          MAX_STREAMS - 1, MAX_STREAMS);
      goto out;
    }
    for (guint i = 0; i < json_array_get_length (a); i++) {
      JsonNode *in = json_array_get_element (a, i);

      if (JSON_NODE_HOLDS_OBJECT (in)
          && g_strcmp0 (json_object_get_string_member_with_default
              (json_node_get_object (in), "type", NULL), "whip") == 0) {
        invalid (error, "inputs", "$.inputs[%u]: the service serves the "
            "room's WHIP endpoint itself (at /whip/%s); give only whep and "
            "rtp inputs", i, room_id);
        goto out;
      }
    }
  }
  if (!check_subscribe_size (body, error))
    goto out;

  /* the defaults, then the body's keys over them; defaults describing
   * per-participant archives do not apply to a mixed-only task */
  mode = json_object_get_member (body, "mode") ?
      json_object_get_member (body, "mode") :
      json_object_get_member (c->task_defaults, "mode");
  mixed_only = mode && JSON_NODE_HOLDS_VALUE (mode)
      && json_node_get_value_type (mode) == G_TYPE_STRING
      && g_str_equal (json_node_get_string (mode), "mixed");
  json_object_iter_init (&iter, c->task_defaults);
  while (json_object_iter_next (&iter, &name, &value))
    if (!mixed_only || !g_strv_contains (archive_only_keys, name))
      json_object_set_member (room, name, json_node_copy (value));
  json_object_iter_init (&iter, body);
  while (json_object_iter_next (&iter, &name, &value))
    if (!g_str_equal (name, "app") && !g_str_equal (name, "token"))
      json_object_set_member (room, name, json_node_copy (value));

  json_object_set_string_member (room, "room_id", room_id);
  json_object_set_string_member (room, "recording_id", run->task_id);
  json_object_set_string_member (room, "app_id", app);
  json_object_set_string_member (room, "archive_dir", c->archive_dir);
  /* on the archive's file system: finished files are renamed, not copied */
  dir = g_build_filename (c->archive_dir, ".roomrec-tmp", run->task_id, NULL);
  json_object_set_string_member (room, "tmp_dir", dir);
  g_free (dir);
  json_object_set_int_member (room, "failover", run->attempt);
  dir = g_build_filename (run->task_dir, "webhooks", NULL);
  per_task_state (room, "webhooks", "spool_dir", dir);
  g_free (dir);
  dir = g_build_filename (run->task_dir, "uploads", NULL);
  per_task_state (room, "storage", "state_dir", dir);
  g_free (dir);

  whip = json_object_new ();
  json_object_set_string_member (whip, "type", "whip");
  json_object_set_string_member (whip, "listen", "127.0.0.1:0");
  path = g_strdup_printf ("/whip/%s", room_id);
  json_object_set_string_member (whip, "path", path);
  g_free (path);
  if (token)
    json_object_set_string_member (whip, "token", token);
  json_object_set_int_member (whip, "max_sessions", c->max_streams_per_task);
  node = json_object_get_member (room, "inputs");
  inputs = json_array_new ();
  if (node && JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *a = json_node_get_array (node);

    for (guint i = 0; i < json_array_get_length (a); i++)
      json_array_add_element (inputs,
          json_node_copy (json_array_get_element (a, i)));
  }
  json_array_add_object_element (inputs, whip);
  json_object_set_array_member (room, "inputs", inputs);

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, room);
  text = json_to_string (node, TRUE);
  json_node_unref (node);

  /* the room's own checks, the launcher's messages */
  checked = rr_room_config_load_data (text, -1, &err);
  if (checked == NULL) {
    gchar *key = path_key (err->message);

    /* the service's own token went in as the WHIP input's */
    if (g_str_has_prefix (err->message, "$.inputs[")
        && strstr (err->message, ".token"))
      invalid (error, "token", "$.token: %s", err->message);
    else if (err->code == RR_CONFIG_ERROR_UNKNOWN_KEY
        && top_level_path (err->message))
      /* a key the body does not have: the codes stay a closed set */
      invalid (error, "body", "%s", err->message);
    else
      invalid (error, key, "%s", err->message);
    g_free (key);
    g_error_free (err);
    g_clear_pointer (&text, g_free);
    goto out;
  }
  rr_room_config_free (checked);
  if (app_out)
    *app_out = g_strdup (app);

out:
  json_object_unref (room);
  return text;
}

static const gchar *const modifiable_mix_keys[] = {
  "layout", "main_participant", "regions", "watermarks", NULL
};

gboolean
rr_task_body_modify (JsonObject * body, JsonObject * changes,
    RrApiError * error)
{
  JsonObjectIter iter;
  const gchar *name;
  JsonNode *value;

  if (json_object_get_size (changes) == 0) {
    rr_api_error_set (error, 400, "InvalidParameter.Body", "$: give "
        "\"subscribe\" and/or \"mix\" (each replaces the task's own)");
    return FALSE;
  }
  json_object_iter_init (&iter, changes);
  while (json_object_iter_next (&iter, &name, &value)) {
    if (!g_str_equal (name, "subscribe") && !g_str_equal (name, "mix")) {
      gchar *path = rr_json_key_path ("$", name);

      invalid (error, "body", "%s: a running task changes only its "
          "\"subscribe\" lists and its \"mix\" layout", path);
      g_free (path);
      return FALSE;
    }
    if (g_str_equal (name, "mix") && JSON_NODE_HOLDS_OBJECT (value)) {
      JsonObjectIter mi;
      const gchar *mname;
      JsonNode *mvalue;

      json_object_iter_init (&mi, json_node_get_object (value));
      while (json_object_iter_next (&mi, &mname, &mvalue)) {
        if (!g_strv_contains (modifiable_mix_keys, mname)) {
          gchar *path = rr_json_key_path ("$.mix", mname);

          invalid (error, "mix", "%s: only layout, main_participant, "
              "regions and watermarks change while recording", path);
          g_free (path);
          return FALSE;
        }
      }
    }
  }
  if (!check_subscribe_size (changes, error))
    return FALSE;

  json_object_iter_init (&iter, changes);
  while (json_object_iter_next (&iter, &name, &value)) {
    if (g_str_equal (name, "subscribe")) {
      if (JSON_NODE_HOLDS_NULL (value))
        json_object_remove_member (body, "subscribe");
      else
        json_object_set_member (body, "subscribe", json_node_copy (value));
    } else if (JSON_NODE_HOLDS_OBJECT (value)) {
      /* the layout keys are replaced as a whole; canvas and encoding stay */
      JsonNode *old = json_object_get_member (body, "mix");
      JsonObject *mix = json_object_new ();
      JsonObjectIter mi;
      const gchar *mname;
      JsonNode *mvalue;

      if (old && JSON_NODE_HOLDS_OBJECT (old)) {
        json_object_iter_init (&mi, json_node_get_object (old));
        while (json_object_iter_next (&mi, &mname, &mvalue))
          if (!g_strv_contains (modifiable_mix_keys, mname))
            json_object_set_member (mix, mname, json_node_copy (mvalue));
      }
      json_object_iter_init (&mi, json_node_get_object (value));
      while (json_object_iter_next (&mi, &mname, &mvalue))
        json_object_set_member (mix, mname, json_node_copy (mvalue));
      json_object_set_object_member (body, "mix", mix);
    } else {
      invalid (error, "mix", "$.mix: an object (layout, main_participant, "
          "regions, watermarks)");
      return FALSE;
    }
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */

/* The times of a client's last per_second requests (a ring): one more is
 * allowed when the oldest of them is a second old — a sliding window, so
 * that no burst straddling two fixed windows gets twice the rate. */
typedef struct
{
  gint64 *times;
  guint next;                   /* index of the oldest */
  gint64 newest;
} RateEntry;

struct _RrRateLimiter
{
  guint per_second;
  GHashTable *clients;          /* address → RateEntry */
  gint64 last_prune;
};

static void
rate_entry_free (RateEntry * e)
{
  g_free (e->times);
  g_free (e);
}

RrRateLimiter *
rr_rate_limiter_new (guint per_second)
{
  RrRateLimiter *l = g_new0 (RrRateLimiter, 1);

  l->per_second = MAX (per_second, 1);
  l->clients = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) rate_entry_free);
  return l;
}

gboolean
rr_rate_limiter_allow (RrRateLimiter * l, const gchar * client, gint64 now_us)
{
  RateEntry *e;

  /* forget quiet clients now and then: the table stays as big as the
   * clients of the last second */
  if (now_us - l->last_prune > G_USEC_PER_SEC) {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, l->clients);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      if (now_us - ((RateEntry *) value)->newest > G_USEC_PER_SEC)
        g_hash_table_iter_remove (&iter);
    l->last_prune = now_us;
  }
  e = g_hash_table_lookup (l->clients, client);
  if (e == NULL) {
    e = g_new0 (RateEntry, 1);
    e->times = g_new (gint64, l->per_second);
    for (guint i = 0; i < l->per_second; i++)
      e->times[i] = G_MININT64;
    g_hash_table_insert (l->clients, g_strdup (client), e);
  }
  if (e->times[e->next] != G_MININT64
      && now_us - e->times[e->next] < G_USEC_PER_SEC)
    return FALSE;
  e->times[e->next] = now_us;
  e->next = (e->next + 1) % l->per_second;
  e->newest = now_us;
  return TRUE;
}

void
rr_rate_limiter_free (RrRateLimiter * l)
{
  if (l == NULL)
    return;
  g_hash_table_unref (l->clients);
  g_free (l);
}
