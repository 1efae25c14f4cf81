/* roomrec — unit tests of the service config, task bodies and the rate
 * limiter (gst/core/serviceconfig.c)
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "serviceconfig.h"
#include "roomconfig.h"

#include "unit-gst.h"

#include <string.h>

#define TOKEN "service-token-0123456789"

static RrServiceConfig *
load (const gchar * json, GError ** err)
{
  return rr_service_config_load_data (json, -1, err);
}

static RrServiceConfig *
good_config (void)
{
  GError *err = NULL;
  RrServiceConfig *c = load ("{\"tokens\": [\"" TOKEN "\"], "
      "\"state_dir\": \"/tmp/st\", \"archive_dir\": \"/tmp/ar\", "
      "\"max_streams_per_task\": 4, "
      "\"task_defaults\": {\"format\": \"webm\", \"max_idle_time\": 60}}",
      &err);

  g_assert_no_error (err);
  g_assert_nonnull (c);
  return c;
}

static void
test_config_defaults (void)
{
  RrServiceConfig *c = good_config ();

  g_assert_cmpstr (c->listen_host, ==, "127.0.0.1");
  g_assert_cmpuint (c->listen_port, ==, 8080);
  g_assert_cmpuint (c->max_tasks, ==, 100);
  g_assert_cmpuint (c->max_streams_per_task, ==, 4);
  g_assert_cmpuint (c->requests_per_second, ==, 20);
  g_assert_cmpuint (c->request_timeout_s, ==, 6);
  g_assert_cmpuint (c->max_restarts, ==, 3);
  g_assert_cmpuint (c->task_retention_s, ==, 7 * 24 * 3600);
  g_assert_true (rr_service_config_token_ok (c, TOKEN));
  g_assert_false (rr_service_config_token_ok (c, TOKEN "x"));
  g_assert_false (rr_service_config_token_ok (c, "service-token-012345678"));
  g_assert_false (rr_service_config_token_ok (c, ""));
  g_assert_false (rr_service_config_token_ok (c, NULL));
  rr_service_config_free (c);
}

static void
test_config_errors (void)
{
  static const struct
  {
    const gchar *json;
    const gchar *path;          /* in the message */
  } cases[] = {
    {"[]", "$"},
    {"{\"tokens\": [\"" TOKEN "\"], \"state_dir\": \"s\", \"archive_dir\": "
          "\"a\", \"colour\": 1}", "$.colour"},
    {"{\"state_dir\": \"s\", \"archive_dir\": \"a\"}", "$.tokens"},
    {"{\"tokens\": [], \"state_dir\": \"s\", \"archive_dir\": \"a\"}",
        "$.tokens"},
    {"{\"tokens\": [\"short\"], \"state_dir\": \"s\", \"archive_dir\": "
          "\"a\"}", "$.tokens[0]"},
    {"{\"tokens\": [\"with space 0123456789\"], \"state_dir\": \"s\", "
          "\"archive_dir\": \"a\"}", "$.tokens[0]"},
    {"{\"tokens\": [\"" TOKEN "\"], \"archive_dir\": \"a\"}", "$.state_dir"},
    {"{\"tokens\": [\"" TOKEN "\"], \"state_dir\": \"s\"}", "$.archive_dir"},
    {"{\"tokens\": [\"" TOKEN "\"], \"state_dir\": \"s\", \"archive_dir\": "
          "\"a\", \"listen\": \"nocolon\"}", "$.listen"},
    {"{\"tokens\": [\"" TOKEN "\"], \"state_dir\": \"s\", \"archive_dir\": "
          "\"a\", \"listen\": \"h:70000\"}", "$.listen"},
    {"{\"tokens\": [\"" TOKEN "\"], \"state_dir\": \"s\", \"archive_dir\": "
          "\"a\", \"max_streams_per_task\": 26}", "$.max_streams_per_task"},
    {"{\"tokens\": [\"" TOKEN "\"], \"state_dir\": \"s\", \"archive_dir\": "
          "\"a\", \"max_tasks\": \"100\"}", "$.max_tasks"},
    {"{\"tokens\": [\"" TOKEN "\"], \"state_dir\": \"s\", \"archive_dir\": "
          "\"a\", \"max_restarts\": 4}", "$.max_restarts"},
    {"{\"tokens\": [\"" TOKEN "\"], \"state_dir\": \"s\", \"archive_dir\": "
          "\"a\", \"task_retention_s\": 0}", "$.task_retention_s"},
    {"{\"tokens\": [\"" TOKEN "\"], \"state_dir\": \"s\", \"archive_dir\": "
          "\"a\", \"task_defaults\": []}", "$.task_defaults"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    GError *err = NULL;
    RrServiceConfig *c = load (cases[i].json, &err);

    g_assert_null (c);
    g_assert_nonnull (err);
    if (!g_str_has_prefix (err->message, cases[i].path)
        && strstr (err->message, cases[i].path) == NULL)
      g_error ("case %u: '%s' does not name %s", i, err->message,
          cases[i].path);
    g_error_free (err);
  }
}

static void
test_config_listen (void)
{
  GError *err = NULL;
  RrServiceConfig *c = load ("{\"tokens\": [\"" TOKEN "\"], \"state_dir\": "
      "\"s\", \"archive_dir\": \"a\", \"listen\": \"[::1]:0\"}", &err);

  g_assert_no_error (err);
  g_assert_cmpstr (c->listen_host, ==, "::1");
  g_assert_cmpuint (c->listen_port, ==, 0);
  rr_service_config_free (c);
}

static void
test_examples (void)
{
  const gchar *src = g_getenv ("ROOMREC_SOURCE_DIR");
  gchar *path;
  GError *err = NULL;
  RrServiceConfig *c;

  if (src == NULL) {
    g_test_skip ("ROOMREC_SOURCE_DIR is not set (run through meson test)");
    return;
  }
  path = g_build_filename (src, "pipelines", "serve.json", NULL);
  c = rr_service_config_load_file (path, &err);
  g_assert_no_error (err);
  g_assert_cmpuint (c->listen_port, ==, 8080);
  rr_service_config_free (c);
  g_free (path);
}

static JsonObject *
object (const gchar * json)
{
  JsonParser *p = json_parser_new ();
  JsonObject *o;

  g_assert_true (json_parser_load_from_data (p, json, -1, NULL));
  o = json_object_ref (json_node_get_object (json_parser_get_root (p)));
  g_object_unref (p);
  return o;
}

static gchar *
room_config (RrServiceConfig * c, const gchar * body_json,
    const gchar * room_id, guint attempt, RrApiError * err, gchar ** app)
{
  JsonObject *body = object (body_json);
  RrTaskRun run = { "TASK1", room_id, attempt, "/tmp/st/tasks/TASK1" };
  gchar *text = rr_task_room_config (c, body, &run, app, err);

  json_object_unref (body);
  return text;
}

static void
test_task_room_config (void)
{
  RrServiceConfig *c = good_config ();
  RrApiError err = { 0, };
  gchar *app = NULL;
  gchar *text = room_config (c, "{\"room_id\": \"r1\", \"token\": "
      "\"room-token-0123456789\", \"app\": \"class\", \"format\": \"mp4\", "
      "\"webhooks\": {\"urls\": [\"http://127.0.0.1:9/hook\"]}, "
      "\"subscribe\": {\"allow\": [\"alice\"]}}", NULL, 2, &err, &app);
  RrRoomConfig *rc;
  GError *gerr = NULL;

  g_assert_null (err.code);
  g_assert_nonnull (text);
  g_assert_cmpstr (app, ==, "class");
  rc = rr_room_config_load_data (text, -1, &gerr);
  g_assert_no_error (gerr);
  g_assert_cmpstr (rc->room_id, ==, "r1");
  g_assert_cmpstr (rc->recording_id, ==, "TASK1");
  g_assert_cmpstr (rc->app_id, ==, "class");
  g_assert_cmpstr (rc->archive_dir, ==, "/tmp/ar");
  g_assert_cmpstr (rc->tmp_dir, ==, "/tmp/ar/.roomrec-tmp/TASK1");
  g_assert_cmpuint (rc->failover, ==, 2);
  /* the body wins over the defaults, the defaults fill in */
  g_assert_cmpint (rc->format, ==, RR_FORMAT_MP4);
  g_assert_cmpuint (rc->max_idle_time_ns, ==, 60 * G_GUINT64_CONSTANT
      (1000000000));
  g_assert_cmpstr (rc->webhooks.spool_dir, ==, "/tmp/st/tasks/TASK1/webhooks");
  g_assert_cmpuint (rc->n_inputs, ==, 1);
  g_assert_cmpint (rc->inputs[0].type, ==, RR_INPUT_WHIP);
  g_assert_cmpstr (rc->inputs[0].listen_address, ==, "127.0.0.1");
  g_assert_cmpuint (rc->inputs[0].listen_port, ==, 0);
  g_assert_cmpstr (rc->inputs[0].url_path, ==, "/whip/r1");
  g_assert_cmpstr (rc->inputs[0].token, ==, "room-token-0123456789");
  g_assert_cmpuint (rc->inputs[0].max_sessions, ==, 4);
  g_assert_true (rr_room_config_may_record (rc, "alice"));
  g_assert_false (rr_room_config_may_record (rc, "bob"));
  rr_room_config_free (rc);
  g_free (text);
  g_free (app);

  /* the default format does not stop a mixed task */
  text = room_config (c, "{\"room_id\": \"m\", \"mode\": \"mixed\"}", NULL, 0,
      &err, NULL);
  g_assert_null (err.code);
  g_assert_nonnull (text);
  g_assert_null (strstr (text, "\"format\" : \"webm\""));
  g_free (text);

  /* the channels API gives the room id */
  text = room_config (c, "{}", "chan-1", 0, &err, &app);
  g_assert_nonnull (text);
  g_assert_cmpstr (app, ==, "default");
  g_assert_nonnull (strstr (text, "\"/whip/chan-1\""));
  g_free (text);
  g_free (app);
  rr_service_config_free (c);
}

static void
test_task_errors (void)
{
  static const struct
  {
    const gchar *body;
    const gchar *code;
  } cases[] = {
    {"{}", "InvalidParameter.RoomId"},
    {"{\"room_id\": \"../etc\"}", "InvalidParameter.RoomId"},
    {"{\"room_id\": \"a/b\"}", "InvalidParameter.RoomId"},
    {"{\"room_id\": 5}", "InvalidParameter.RoomId"},
    {"{\"room_id\": \"r\", \"app\": \"x y\"}", "InvalidParameter.App"},
    {"{\"room_id\": \"r\", \"token\": 1}", "InvalidParameter.Token"},
    {"{\"room_id\": \"r\", \"token\": \"short\"}", "InvalidParameter.Token"},
    {"{\"room_id\": \"r\", \"archive_dir\": \"/\"}",
        "InvalidParameter.ArchiveDir"},
    {"{\"room_id\": \"r\", \"recording_id\": \"x\"}",
        "InvalidParameter.RecordingId"},
    {"{\"room_id\": \"r\", \"failover\": 1}", "InvalidParameter.Failover"},
    {"{\"room_id\": \"r\", \"app_id\": \"x\"}", "InvalidParameter.AppId"},
    {"{\"room_id\": \"r\", \"mode\": \"sideways\"}", "InvalidParameter.Mode"},
    {"{\"room_id\": \"r\", \"colour\": 1}", "InvalidParameter.Body"},
    {"{\"room_id\": \"r\", \"mix\": {\"colour\": 1}}", "InvalidParameter.Mix"},
    {"{\"room_id\": \"r\", \"format\": \"webm\", \"video_codecs\": "
          "[\"H265\"]}", "InvalidParameter.VideoCodecs"},
    {"{\"room_id\": \"r\", \"inputs\": [{\"type\": \"whip\"}]}",
        "InvalidParameter.Inputs"},
    {"{\"room_id\": \"r\", \"subscribe\": {\"allow\": [\"1\",\"2\",\"3\","
          "\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\",\"12\",\"13\","
          "\"14\",\"15\",\"16\",\"17\",\"18\",\"19\",\"20\",\"21\",\"22\","
          "\"23\",\"24\",\"25\",\"26\"]}}",
        "InvalidParameter.SubscribeStreamUserIds"},
  };
  RrServiceConfig *c = good_config ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    RrApiError err = { 0, };
    gchar *text = room_config (c, cases[i].body, NULL, 0, &err, NULL);

    if (text != NULL || g_strcmp0 (err.code, cases[i].code) != 0)
      g_error ("case %u (%s): got %s (%s), want %s", i, cases[i].body,
          text ? "a config" : err.code, err.message, cases[i].code);
    g_assert_cmpuint (err.status, ==, 400);
    g_assert_nonnull (err.message);
    rr_api_error_clear (&err);
  }
  rr_service_config_free (c);
}

static void
test_modify (void)
{
  JsonObject *body = object ("{\"room_id\": \"r\", \"mode\": \"mixed\", "
      "\"subscribe\": {\"block\": [\"eve\"]}, \"mix\": {\"width\": 640, "
      "\"height\": 360, \"layout\": \"floating\", \"main_participant\": "
      "\"alice\"}}");
  JsonObject *changes = object ("{\"subscribe\": {\"allow\": [\"bob\"]}, "
      "\"mix\": {\"layout\": \"grid\"}}");
  JsonObject *bad = object ("{\"mix\": {\"width\": 320}}");
  JsonObject *other = object ("{\"format\": \"mp4\"}");
  JsonObject *empty = object ("{}");
  RrApiError err = { 0, };
  JsonObject *mix, *sub;

  g_assert_true (rr_task_body_modify (body, changes, &err));
  sub = json_object_get_object_member (body, "subscribe");
  /* full replace: the block list is gone */
  g_assert_false (json_object_has_member (sub, "block"));
  g_assert_true (json_object_has_member (sub, "allow"));
  mix = json_object_get_object_member (body, "mix");
  g_assert_cmpstr (json_object_get_string_member (mix, "layout"), ==, "grid");
  g_assert_false (json_object_has_member (mix, "main_participant"));
  g_assert_cmpint (json_object_get_int_member (mix, "width"), ==, 640);

  g_assert_false (rr_task_body_modify (body, bad, &err));
  g_assert_cmpstr (err.code, ==, "InvalidParameter.Mix");
  rr_api_error_clear (&err);
  g_assert_false (rr_task_body_modify (body, other, &err));
  g_assert_cmpstr (err.code, ==, "InvalidParameter.Body");
  rr_api_error_clear (&err);
  g_assert_false (rr_task_body_modify (body, empty, &err));
  g_assert_cmpstr (err.code, ==, "InvalidParameter.Body");
  rr_api_error_clear (&err);
  json_object_unref (body);
  json_object_unref (changes);
  json_object_unref (bad);
  json_object_unref (other);
  json_object_unref (empty);
}

static void
test_ids (void)
{
  gchar *long_id = g_strnfill (65, 'a');

  g_assert_true (rr_service_id_valid ("room-1.A_b"));
  g_assert_false (rr_service_id_valid (""));
  g_assert_false (rr_service_id_valid ("."));
  g_assert_false (rr_service_id_valid (".."));
  g_assert_false (rr_service_id_valid ("a/b"));
  g_assert_false (rr_service_id_valid ("a%2fb"));
  g_assert_false (rr_service_id_valid (long_id));
  long_id[64] = '\0';
  g_assert_true (rr_service_id_valid (long_id));
  g_free (long_id);
}

static void
test_key_code (void)
{
  gchar *s = rr_api_key_code ("room_id");

  g_assert_cmpstr (s, ==, "RoomId");
  g_free (s);
  s = rr_api_key_code ("subscribe");
  g_assert_cmpstr (s, ==, "Subscribe");
  g_free (s);
  s = rr_api_key_code ("");
  g_assert_cmpstr (s, ==, "Body");
  g_free (s);
}

static void
test_rate_limiter (void)
{
  RrRateLimiter *l = rr_rate_limiter_new (20);
  gint64 t0 = 5 * G_USEC_PER_SEC + 100;

  for (guint i = 0; i < 20; i++)
    g_assert_true (rr_rate_limiter_allow (l, "10.0.0.1", t0 + i * 1000));
  /* the 21st within the second */
  g_assert_false (rr_rate_limiter_allow (l, "10.0.0.1", t0 + 30000));
  /* another client has its own budget */
  g_assert_true (rr_rate_limiter_allow (l, "10.0.0.2", t0 + 30000));
  /* a second after the first request, one more is allowed (sliding) */
  g_assert_false (rr_rate_limiter_allow (l, "10.0.0.1",
          t0 + G_USEC_PER_SEC - 1));
  g_assert_true (rr_rate_limiter_allow (l, "10.0.0.1", t0 + G_USEC_PER_SEC));
  g_assert_false (rr_rate_limiter_allow (l, "10.0.0.1",
          t0 + G_USEC_PER_SEC + 10));
  /* 20 spread over a second boundary still count together */
  g_assert_true (rr_rate_limiter_allow (l, "10.0.0.3", 9 * G_USEC_PER_SEC
          - 5000));
  for (guint i = 0; i < 19; i++)
    g_assert_true (rr_rate_limiter_allow (l, "10.0.0.3",
            9 * G_USEC_PER_SEC + i));
  g_assert_false (rr_rate_limiter_allow (l, "10.0.0.3",
          9 * G_USEC_PER_SEC + 100));
  rr_rate_limiter_free (l);
}

int
main (int argc, char **argv)
{
  /* room configs ask the registry which codecs a format takes */
  unit_gst_init (&argc, &argv, "serviceconfig");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/serviceconfig/defaults", test_config_defaults);
  g_test_add_func ("/serviceconfig/errors", test_config_errors);
  g_test_add_func ("/serviceconfig/listen", test_config_listen);
  g_test_add_func ("/serviceconfig/examples", test_examples);
  g_test_add_func ("/serviceconfig/task-room-config", test_task_room_config);
  g_test_add_func ("/serviceconfig/task-errors", test_task_errors);
  g_test_add_func ("/serviceconfig/modify", test_modify);
  g_test_add_func ("/serviceconfig/ids", test_ids);
  g_test_add_func ("/serviceconfig/key-code", test_key_code);
  g_test_add_func ("/serviceconfig/rate-limiter", test_rate_limiter);
  return g_test_run ();
}
