/* Fuzz target for the service's config and task bodies
 * (gst/core/serviceconfig.c): what API clients send to `roomrec serve`.
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: one byte choosing what is parsed, then the JSON text (copied into
 * a buffer of exactly its size, not NUL-terminated):
 *   0: a service config file (rr_service_config_load_data);
 *   1: a POST /v1/tasks body → the room config of its process, which must
 *      then load as a room config whose last input is the service's WHIP
 *      endpoint of the room;
 *   2: a PATCH /v1/tasks/<id> body applied to a mixed task's body.
 * Every refusal must be an API error: status 400, a TRTC-form code
 * (InvalidParameter.X), a UTF-8 message.
 *
 * libFuzzer build (as fuzz-roomconfig.c, plus gst/core/serviceconfig.c):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DROOMREC_LIBFUZZER \
 *     -Igst/core $(pkg-config --cflags gstreamer-1.0 json-glib-1.0) \
 *     tests/fuzz/fuzz-taskbody.c gst/core/serviceconfig.c \
 *     gst/core/roomconfig.c gst/core/codecs.c gst/core/naming.c \
 *     gst/core/ids.c gst/core/jsonmsg.c gst/core/layout.c \
 *     $(pkg-config --libs gstreamer-1.0 json-glib-1.0) -o fuzz-taskbody
 *   ASAN_OPTIONS=detect_leaks=0 ./fuzz-taskbody -max_len=4096 \
 *     tests/fuzz/corpus/taskbody
 */
#include "serviceconfig.h"
#include "roomconfig.h"
#include "jsonmsg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#include "../lib/lsan-glib.h"

static void
check_api_error (RrApiError * err)
{
  if (err->status != 400 || err->code == NULL || err->message == NULL
      || !g_str_has_prefix (err->code, "InvalidParameter.")
      || strlen (err->code) <= strlen ("InvalidParameter.")
      || !g_utf8_validate (err->message, -1, NULL))
    abort ();
  for (const gchar * p = err->code; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.')
      abort ();
  rr_api_error_clear (err);
}

static JsonObject *
parse_object (const gchar * text, gssize len)
{
  JsonParser *p = json_parser_new ();
  JsonObject *o = NULL;

  if (json_parser_load_from_data (p, text, len, NULL)
      && rr_json_root_is_object (p))
    o = json_object_ref (json_node_get_object (json_parser_get_root (p)));
  g_object_unref (p);
  return o;
}

static void
fuzz_task (const RrServiceConfig * config, JsonObject * body)
{
  RrTaskRun run = { "TASKID0123456789ABCDEFGHJK", NULL, 1, "/tmp/st/t" };
  RrApiError err = { 0, };
  gchar *app = NULL;
  gchar *text = rr_task_room_config (config, body, &run, &app, &err);
  RrRoomConfig *rc;
  const RrInputConfig *whip;
  gchar *path;

  if (text == NULL) {
    if (app)
      abort ();
    check_api_error (&err);
    return;
  }
  if (err.code || app == NULL || !rr_service_id_valid (app))
    abort ();
  rc = rr_room_config_load_data (text, -1, NULL);
  if (rc == NULL || !rr_service_id_valid (rc->room_id)
      || g_strcmp0 (rc->recording_id, run.task_id) != 0
      || g_strcmp0 (rc->archive_dir, config->archive_dir) != 0
      || rc->failover != 1 || rc->n_inputs == 0)
    abort ();
  whip = &rc->inputs[rc->n_inputs - 1];
  path = g_strdup_printf ("/whip/%s", rc->room_id);
  if (whip->type != RR_INPUT_WHIP || whip->listen_port != 0
      || g_strcmp0 (whip->listen_address, "127.0.0.1") != 0
      || g_strcmp0 (whip->url_path, path) != 0
      || whip->max_sessions != config->max_streams_per_task)
    abort ();
  for (guint i = 0; i + 1 < rc->n_inputs; i++)
    if (rc->inputs[i].type == RR_INPUT_WHIP)
      abort ();
  g_free (path);
  rr_room_config_free (rc);
  g_free (text);
  g_free (app);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static gboolean initialized;
  static RrServiceConfig *config;
  gchar *buf;
  guint mode;

  if (!initialized) {
    /* as fuzz-roomconfig.c: a registry of our own, no plugin of ours */
    const gchar *registry = g_getenv ("GST_REGISTRY_1_0");

    if (registry) {
      gchar *own = g_strconcat (registry, "-taskbody", NULL);

      g_setenv ("GST_REGISTRY_1_0", own, TRUE);
      g_free (own);
    }
    g_unsetenv ("GST_REGISTRY_FORK");
    g_unsetenv ("GST_PLUGIN_PATH_1_0");
    gst_init (NULL, NULL);
    config = rr_service_config_load_data ("{\"tokens\": "
        "[\"fuzz-token-0123456789\"], \"state_dir\": \"/tmp/st\", "
        "\"archive_dir\": \"/tmp/ar\", \"task_defaults\": {\"format\": "
        "\"webm\"}}", -1, NULL);
    if (config == NULL)
      abort ();
    initialized = TRUE;
  }
  if (size == 0)
    return 0;
  mode = data[0] % 3;
  data++;
  size--;
  buf = malloc (size ? size : 1);
  if (buf == NULL)
    abort ();
  memcpy (buf, data, size);

  if (mode == 0) {
    GError *err = NULL;
    RrServiceConfig *c = rr_service_config_load_data (buf, size, &err);

    if (c) {
      if (err || c->tokens == NULL || c->tokens[0] == NULL
          || c->state_dir == NULL || c->archive_dir == NULL
          || c->task_defaults == NULL || c->max_streams_per_task == 0
          || c->max_streams_per_task > 25 || c->max_restarts > 3
          || !rr_service_config_token_ok (c, c->tokens[0]))
        abort ();
      rr_service_config_free (c);
    } else {
      if (err == NULL || !g_utf8_validate (err->message, -1, NULL))
        abort ();
      g_error_free (err);
    }
  } else {
    JsonObject *o = parse_object (buf, size);

    if (o && mode == 1) {
      fuzz_task (config, o);
    } else if (o) {
      JsonObject *body = parse_object ("{\"room_id\": \"r\", \"mode\": "
          "\"mixed\", \"mix\": {\"width\": 640, \"height\": 360}}", -1);
      RrApiError err = { 0, };

      if (rr_task_body_modify (body, o, &err)) {
        if (err.code)
          abort ();
        /* what a modify left must still be a task body of the room */
        if (g_strcmp0 (json_object_get_string_member_with_default (body,
                    "room_id", NULL), "r") != 0)
          abort ();
        fuzz_task (config, body);
      } else {
        check_api_error (&err);
      }
      json_object_unref (body);
    }
    if (o)
      json_object_unref (o);
  }
  free (buf);
  return 0;
}

#ifndef ROOMREC_LIBFUZZER
#include "fuzz-replay.h"
#endif
