/* Unit tests for the sidecar JSON. */
#include "sidecar.h"

#include <glib/gstdio.h>
#include <string.h>

static JsonObject *
parse_object (const gchar * text, JsonParser ** parser)
{
  GError *err = NULL;

  *parser = json_parser_new ();
  g_assert_true (json_parser_load_from_data (*parser, text, -1, &err));
  g_assert_no_error (err);
  return json_node_get_object (json_parser_get_root (*parser));
}

static RrArchiveInfo
sample_info (void)
{
  RrArchiveInfo info = {
    .recording_id = "REC1",
    .room_id = "room-1",
    .connection_id = "CONN1",
    .user_id = "alice",
    .file_path = "/srv/archive/REC1/archive-CONN1.webm",
    .filename = "REC1/archive-CONN1.webm",
    .metadata_file_path = "/srv/archive/REC1/archive-CONN1.json",
    .metadata_filename = "REC1/archive-CONN1.json",
    .format = "webm",
    .size = 1250000,
    .recording_start_us = G_GINT64_CONSTANT (1615524130000000),
    .start_us = G_GINT64_CONSTANT (1615524137455668),
    .stop_us = G_GINT64_CONSTANT (1615524154094375),
    .duration_ns = 10 * G_GUINT64_CONSTANT (1000000000),
    .audio = TRUE,
    .video = TRUE,
    .audio_codec = "OPUS",
    .video_codec = "VP9",
    .video_width = 640,
    .video_height = 480,
    .video_frames = 300,
    .audio_frames = 500,
  };
  return info;
}

static void
test_rfc3339 (void)
{
  gchar *s = rr_time_rfc3339 (G_GINT64_CONSTANT (1615524137455668));
  g_assert_cmpstr (s, ==, "2021-03-12T04:42:17.455668Z");
  g_free (s);
  s = rr_time_rfc3339 (0);
  g_assert_cmpstr (s, ==, "1970-01-01T00:00:00.000000Z");
  g_free (s);
}

static void
test_archive_fields (void)
{
  RrArchiveInfo info = sample_info ();
  JsonParser *parser, *mparser;
  JsonObject *o;
  JsonNode *node;
  gchar *text;

  mparser = json_parser_new ();
  g_assert_true (json_parser_load_from_data (mparser, "{\"spam\":\"egg\"}",
          -1, NULL));
  info.metadata = json_parser_get_root (mparser);

  node = rr_sidecar_build (&info, RR_SIDECAR_ARCHIVE);
  text = rr_json_to_string (node, TRUE);
  o = parse_object (text, &parser);

  g_assert_true (json_object_get_boolean_member (o, "audio"));
  g_assert_cmpstr (json_object_get_string_member (o, "audio_codec_type"), ==,
      "OPUS");
  g_assert_cmpstr (json_object_get_string_member (o, "video_codec_type"), ==,
      "VP9");
  g_assert_cmpstr (json_object_get_string_member (o, "recording_id"), ==,
      "REC1");
  g_assert_cmpstr (json_object_get_string_member (o, "channel_id"), ==,
      "room-1");
  g_assert_cmpstr (json_object_get_string_member (o, "connection_id"), ==,
      "CONN1");
  g_assert_cmpstr (json_object_get_string_member (o, "filename"), ==,
      "REC1/archive-CONN1.webm");
  g_assert_cmpint (json_object_get_int_member (o, "size"), ==, 1250000);
  g_assert_cmpint (json_object_get_int_member (o, "start_time"), ==,
      1615524137);
  g_assert_cmpint (json_object_get_int_member (o, "start_time_offset"), ==, 7);
  g_assert_cmpint (json_object_get_int_member (o, "stop_time_offset"), ==, 24);
  g_assert_cmpint (json_object_get_int_member (o, "start_time_offset_ms"),
      ==, 7455);
  g_assert_cmpstr (json_object_get_string_member (o, "start_timestamp"), ==,
      "2021-03-12T04:42:17.455668Z");
  g_assert_cmpstr (json_object_get_string_member (o, "stop_timestamp"), ==,
      "2021-03-12T04:42:34.094375Z");
  g_assert_cmpint (json_object_get_int_member (o, "video_width"), ==, 640);
  g_assert_cmpint (json_object_get_int_member (o, "video_height"), ==, 480);
  /* 1.25 MB over 10 s = 1000 kbit/s */
  g_assert_cmpint (json_object_get_int_member (o, "video_bit_rate"), ==, 1000);
  g_assert_cmpstr (json_object_get_string_member (o, "format"), ==, "webm");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member
          (o, "event_metadata"), "spam"), ==, "egg");
  g_assert_false (json_object_has_member (o, "split_index"));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member
          (o, "stats"), "video_frames"), ==, 300);

  g_object_unref (parser);
  g_object_unref (mparser);
  g_free (text);
  json_node_unref (node);
}

static void
test_split_fields (void)
{
  RrArchiveInfo info = sample_info ();
  JsonParser *parser;
  JsonObject *o;
  JsonNode *node;
  gchar *text;

  info.split_index = 3;
  node = rr_sidecar_build (&info, RR_SIDECAR_SPLIT_ARCHIVE);
  text = rr_json_to_string (node, FALSE);
  o = parse_object (text, &parser);
  g_assert_cmpstr (json_object_get_string_member (o, "split_index"), ==,
      "0003");
  g_object_unref (parser);
  g_free (text);
  json_node_unref (node);

  info.split_index = 10000;
  node = rr_sidecar_build (&info, RR_SIDECAR_SPLIT_END);
  text = rr_json_to_string (node, FALSE);
  o = parse_object (text, &parser);
  g_assert_cmpstr (json_object_get_string_member (o, "split_last_index"), ==,
      "10000");
  g_assert_false (json_object_has_member (o, "size"));
  g_object_unref (parser);
  g_free (text);
  json_node_unref (node);
}

static void
test_audio_only_has_no_video_fields (void)
{
  RrArchiveInfo info = sample_info ();
  JsonParser *parser;
  JsonObject *o;
  JsonNode *node;
  gchar *text;

  info.video = FALSE;
  node = rr_sidecar_build (&info, RR_SIDECAR_ARCHIVE);
  text = rr_json_to_string (node, FALSE);
  o = parse_object (text, &parser);
  g_assert_false (json_object_get_boolean_member (o, "video"));
  g_assert_false (json_object_has_member (o, "video_codec_type"));
  g_assert_true (json_object_get_null_member (o, "event_metadata"));
  g_object_unref (parser);
  g_free (text);
  json_node_unref (node);
}

static void
test_atomic_write (void)
{
  gchar *dir = g_dir_make_tmp ("rr-sidecar-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "a.json", NULL);
  gchar *bad = g_build_filename (dir, "missing", "a.json", NULL);
  gchar *contents = NULL;
  GError *err = NULL;

  g_assert_true (rr_file_write_atomic (path, "{}", &err));
  g_assert_no_error (err);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "{}");
  g_free (contents);

  g_assert_false (rr_file_write_atomic (bad, "{}", &err));
  g_assert_nonnull (err);
  g_assert_nonnull (strstr (err->message, bad));
  g_clear_error (&err);

  g_unlink (path);
  g_rmdir (dir);
  g_free (bad);
  g_free (path);
  g_free (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sidecar/rfc3339", test_rfc3339);
  g_test_add_func ("/sidecar/archive", test_archive_fields);
  g_test_add_func ("/sidecar/split", test_split_fields);
  g_test_add_func ("/sidecar/audio-only", test_audio_only_has_no_video_fields);
  g_test_add_func ("/sidecar/atomic-write", test_atomic_write);
  return g_test_run ();
}
