/* Unit tests for report-<recording_id>.json (gst/core/report.c). */
#include "report.h"

#include <string.h>

static const gchar *archive_alice =
    "{\"connection_id\":\"ALICE\",\"client_id\":\"ALICE\",\"user_id\":\"alice\","
    "\"file_path\":\"/a/R/archive-ALICE.webm\",\"filename\":\"R/archive-ALICE.webm\","
    "\"metadata_file_path\":\"/a/R/archive-ALICE.json\","
    "\"metadata_filename\":\"R/archive-ALICE.json\",\"size\":1234,"
    "\"start_time_offset\":2,\"stop_time_offset\":9,"
    "\"start_timestamp\":\"2026-01-01T00:00:02.000000Z\","
    "\"stop_timestamp\":\"2026-01-01T00:00:09.000000Z\","
    "\"video\":true,\"video_codec_type\":\"VP8\",\"video_width\":640,"
    "\"stats\":{},\"events\":[]}";

static const gchar *split_bob_1 =
    "{\"connection_id\":\"BOB\",\"file_path\":\"/a/R/split-archive-BOB_0001.webm\","
    "\"split_index\":\"0001\",\"start_time_offset\":0,\"stop_time_offset\":5}";
static const gchar *split_end_bob =
    "{\"connection_id\":\"BOB\",\"file_path\":\"/a/R/split-archive-BOB_0002.webm\","
    "\"split_last_index\":\"0002\",\"start_time_offset\":0,"
    "\"stop_time_offset\":9}";
static const gchar *split_end_alice =
    "{\"connection_id\":\"ALICE\",\"split_last_index\":\"0003\"}";

static JsonObject *
parse_report (RrReport * r, JsonNode ** root)
{
  gchar *text = rr_report_to_json (r, G_GINT64_CONSTANT (1767225610000000),
      "/a/R/report-R.json", "R/report-R.json");
  GError *err = NULL;

  *root = json_from_string (text, &err);
  g_assert_no_error (err);
  g_free (text);
  return json_node_get_object (*root);
}

static RrReport *
new_report (gboolean split_only)
{
  RrReportInfo info = {
    .recording_id = "R",
    .room_id = "room1",
    .format = "webm",
    .split_only = split_only,
    .split_duration_s = split_only ? 5 : 0,
    .start_us = G_GINT64_CONSTANT (1767225600000000),
    .expire_time_s = 3600,
    .metadata_json = "{\"spam\":\"egg\"}",
  };
  return rr_report_new (&info);
}

static void
test_report_archives (void)
{
  RrReport *r = new_report (FALSE);
  GError *err = NULL;
  JsonNode *root;
  JsonObject *o, *a;
  JsonArray *archives;

  g_assert_true (rr_report_add_sidecar (r, archive_alice, &err));
  g_assert_true (rr_report_add_sidecar (r, split_end_alice, &err));
  g_assert_no_error (err);
  rr_report_add_failed (r, "CAROL", "/a/.roomrec-tmp/x.webm", "disk full");
  g_assert_cmpuint (rr_report_n_archives (r), ==, 1);

  o = parse_report (r, &root);
  g_assert_cmpstr (json_object_get_string_member (o, "recording_id"), ==, "R");
  g_assert_cmpstr (json_object_get_string_member (o, "channel_id"), ==,
      "room1");
  g_assert_cmpstr (json_object_get_string_member (o, "filename"), ==,
      "R/report-R.json");
  g_assert_cmpstr (json_object_get_string_member (o, "start_timestamp"), ==,
      "2026-01-01T00:00:00.000000Z");
  g_assert_cmpstr (json_object_get_string_member (o, "stop_timestamp"), ==,
      "2026-01-01T00:00:10.000000Z");
  g_assert_cmpint (json_object_get_int_member (o, "created_at"), ==,
      1767225600);
  g_assert_cmpint (json_object_get_int_member (o, "expired_at"), ==,
      1767225600 + 3600);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member
          (o, "recording_metadata"), "spam"), ==, "egg");
  g_assert_cmpstr (json_object_get_string_member (o, "format"), ==, "webm");

  archives = json_object_get_array_member (o, "archives");
  g_assert_cmpuint (json_array_get_length (archives), ==, 1);
  a = json_array_get_object_element (archives, 0);
  g_assert_cmpstr (json_object_get_string_member (a, "connection_id"), ==,
      "ALICE");
  g_assert_cmpint (json_object_get_int_member (a, "start_time_offset"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (a, "stop_time_offset"), ==, 9);
  g_assert_cmpint (json_object_get_int_member (a, "size"), ==, 1234);
  /* the dual recording's split end went into the whole file's entry */
  g_assert_cmpstr (json_object_get_string_member (a, "split_last_index"), ==,
      "0003");
  /* sidecar-only members stay out */
  g_assert_false (json_object_has_member (a, "stats"));
  g_assert_false (json_object_has_member (a, "events"));

  archives = json_object_get_array_member (o, "failed_archives");
  g_assert_cmpuint (json_array_get_length (archives), ==, 1);
  a = json_array_get_object_element (archives, 0);
  g_assert_cmpstr (json_object_get_string_member (a, "reason"), ==,
      "disk full");
  json_node_unref (root);
  rr_report_free (r);
}

static void
test_report_split_only (void)
{
  RrReport *r = new_report (TRUE);
  GError *err = NULL;
  JsonNode *root;
  JsonObject *o, *a;
  JsonArray *archives;

  g_assert_true (rr_report_add_sidecar (r, split_bob_1, &err));
  g_assert_true (rr_report_add_sidecar (r, split_end_bob, &err));
  g_assert_no_error (err);
  o = parse_report (r, &root);
  g_assert_true (json_object_get_boolean_member (o, "split_only"));
  g_assert_cmpint (json_object_get_int_member (o, "split_duration"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (o, "split_files"), ==, 1);
  archives = json_object_get_array_member (o, "archives");
  g_assert_cmpuint (json_array_get_length (archives), ==, 1);
  a = json_array_get_object_element (archives, 0);
  g_assert_cmpstr (json_object_get_string_member (a, "split_last_index"), ==,
      "0002");
  g_assert_cmpint (json_object_get_int_member (a, "stop_time_offset"), ==, 9);
  json_node_unref (root);
  rr_report_free (r);
}

static void
test_report_bad_sidecar (void)
{
  RrReport *r = new_report (FALSE);
  GError *err = NULL;

  g_assert_false (rr_report_add_sidecar (r, "{not json", &err));
  g_assert_nonnull (err);
  g_clear_error (&err);
  g_assert_false (rr_report_add_sidecar (r, "[1,2]", &err));
  g_assert_nonnull (err);
  g_clear_error (&err);
  g_assert_cmpuint (rr_report_n_archives (r), ==, 0);
  rr_report_free (r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/report/archives", test_report_archives);
  g_test_add_func ("/report/split-only", test_report_split_only);
  g_test_add_func ("/report/bad-sidecar", test_report_bad_sidecar);
  return g_test_run ();
}
