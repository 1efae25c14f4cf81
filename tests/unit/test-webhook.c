/* Unit tests for webhook events, signatures and the retry schedule
 * (gst/core/webhook.c). */
#include "webhook.h"
#include "sidecar.h"

#include <string.h>

#define T0 G_GINT64_CONSTANT (1767225600000000) /* 2026-01-01T00:00:00Z */

static JsonObject *
parse_object (const gchar * text, JsonNode ** root)
{
  GError *err = NULL;

  *root = json_from_string (text, &err);
  g_assert_no_error (err);
  g_assert_nonnull (*root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (*root));
  return json_node_get_object (*root);
}

static gboolean
is_event_id (const gchar * id)
{
  const gchar *p;

  if (strlen (id) != 26)
    return FALSE;
  for (p = id; *p; p++)
    if (!strchr ("0123456789ABCDEFGHJKMNPQRSTVWXYZ", *p))
      return FALSE;
  return TRUE;
}

/* Every member of the envelope, with the right types; returns data. */
static JsonObject *
check_envelope (JsonObject * o, const gchar * type, const gchar * rec,
    guint64 seq, gint64 unix_us)
{
  const gchar *ts;
  gchar *want_ts;
  gint code;
  RrWebhookEventType t;

  g_assert_cmpstr (json_object_get_string_member (o, "type"), ==, type);
  g_assert_true (is_event_id (json_object_get_string_member (o, "id")));
  ts = json_object_get_string_member (o, "timestamp");
  want_ts = rr_webhook_format_timestamp (unix_us);
  g_assert_cmpstr (ts, ==, want_ts);
  g_free (want_ts);
  g_assert_true (g_regex_match_simple
      ("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$", ts, 0, 0));
  g_assert_cmpint (json_object_get_int_member (o, "unix_time_ms"), ==,
      unix_us / 1000);
  g_assert_cmpstr (json_object_get_string_member (o, "recording_id"), ==, rec);
  g_assert_cmpint (json_object_get_int_member (o, "seq"), ==, seq);
  g_assert_true (rr_webhook_event_type_from_name (type, &t));
  code = rr_webhook_event_type_trtc_code (t);
  if (code)
    g_assert_cmpint (json_object_get_int_member (o, "trtc_event_type"), ==,
        code);
  else
    g_assert_false (json_object_has_member (o, "trtc_event_type"));
  g_assert_true (json_object_has_member (o, "data"));
  return json_object_get_object_member (o, "data");
}

static gchar *
sidecar_text (RrSidecarKind kind, guint index)
{
  RrArchiveInfo info = { 0 };
  JsonNode *node;
  gchar *text;

  info.recording_id = "REC1";
  info.room_id = "room";
  info.connection_id = "ALICE";
  info.user_id = "alice";
  info.file_path = "/a/REC1/archive-ALICE.webm";
  info.filename = "REC1/archive-ALICE.webm";
  info.metadata_file_path = "/a/REC1/archive-ALICE.json";
  info.metadata_filename = "REC1/archive-ALICE.json";
  info.format = "webm";
  info.size = 4321;
  info.recording_start_us = T0;
  info.start_us = T0 + 1000000;
  info.stop_us = T0 + 9000000;
  info.video = TRUE;
  info.video_codec = "VP8";
  info.audio = TRUE;
  info.audio_codec = "OPUS";
  info.video_width = 640;
  info.video_height = 360;
  info.split_index = index;
  node = rr_sidecar_build (&info, kind);
  text = rr_json_to_string (node, TRUE);
  json_node_unref (node);
  return text;
}

/* The fields splitmuxrec posts (file_message_fields(), post_failed(),
 * the archive-started message in gst/gstsplitmuxrec.c). */
static JsonObject *
message_fields (const gchar * name, const gchar * sidecar)
{
  JsonObject *f = json_object_new ();

  json_object_set_string_member (f, "recording-id", "REC1");
  json_object_set_string_member (f, "connection-id", "ALICE");
  if (g_str_equal (name, "splitmuxrec-archive-failed")) {
    json_object_set_string_member (f, "tmp-location",
        "/a/tmp/archive-ALICE.webm");
    json_object_set_string_member (f, "reason", "disk full");
    return f;
  }
  if (g_str_equal (name, "splitmuxrec-archive-started")) {
    json_object_set_string_member (f, "kind", "split");
    json_object_set_string_member (f, "location",
        "/a/REC1/split-archive-ALICE_0002.webm");
    json_object_set_string_member (f, "tmp-location",
        "/a/tmp/split-archive-ALICE_0002.webm");
    json_object_set_int_member (f, "index", 2);
    return f;
  }
  json_object_set_string_member (f, "location", "/a/REC1/archive-ALICE.webm");
  if (sidecar) {
    json_object_set_string_member (f, "sidecar-location",
        "/a/REC1/archive-ALICE.json");
    json_object_set_string_member (f, "sidecar", sidecar);
  } else {
    json_object_set_null_member (f, "sidecar-location");
    json_object_set_null_member (f, "sidecar");
  }
  json_object_set_int_member (f, "size", 4321);
  json_object_set_int_member (f, "index", 2);
  return f;
}

static void
test_type_names (void)
{
  RrWebhookEventType t;
  guint i;

  g_assert_cmpstr (rr_webhook_event_type_name (RR_WEBHOOK_HLS_SLICE), ==,
      "hls.slice");
  g_assert_cmpstr (rr_webhook_event_type_name
      (RR_WEBHOOK_SPLIT_ARCHIVE_AVAILABLE), ==, "split-archive.available");
  g_assert_null (rr_webhook_event_type_name (RR_WEBHOOK_N_EVENT_TYPES));
  g_assert_null (rr_webhook_event_type_name ((RrWebhookEventType) - 1));
  for (i = 0; i < RR_WEBHOOK_N_EVENT_TYPES; i++) {
    const gchar *name = rr_webhook_event_type_name (i);

    g_assert_nonnull (name);
    g_assert_true (rr_webhook_event_type_from_name (name, &t));
    g_assert_cmpint (t, ==, i);
    g_assert_true (rr_webhook_event_type_from_message (name, &t));
    g_assert_cmpint (t, ==, i);
  }
  g_assert_false (rr_webhook_event_type_from_name ("archive", &t));
  g_assert_false (rr_webhook_event_type_from_name (NULL, &t));
  g_assert_false (rr_webhook_event_type_from_message
      ("splitmuxsink-fragment-closed", &t));
  g_assert_true (rr_webhook_event_type_from_message
      ("splitmuxrec-split-archive-end", &t));
  g_assert_cmpint (t, ==, RR_WEBHOOK_SPLIT_ARCHIVE_END);
}

/* Every element message of splitmuxrec, as posted. */
static void
test_from_messages (void)
{
  static const struct
  {
    const gchar *message;
    const gchar *type;
    gint sidecar_kind;          /* -1: no sidecar */
  } cases[] = {
    {"splitmuxrec-archive-started", "archive.started", -1},
    {"splitmuxrec-archive-available", "archive.available",
        RR_SIDECAR_ARCHIVE},
    {"splitmuxrec-split-archive-available", "split-archive.available",
        RR_SIDECAR_SPLIT_ARCHIVE},
    {"splitmuxrec-split-archive-end", "split-archive.end",
        RR_SIDECAR_SPLIT_END},
    {"splitmuxrec-hls-slice", "hls.slice", -1},
    {"splitmuxrec-archive-failed", "archive.failed", -1},
  };
  g_autoptr (RrWebhookSeq) seqs = rr_webhook_seq_new ();
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *sidecar = cases[i].sidecar_kind >= 0 ?
        sidecar_text (cases[i].sidecar_kind, 2) : NULL;
    JsonObject *fields = message_fields (cases[i].message, sidecar);
    gint64 when = T0 + i * 1001;
    GError *err = NULL;
    RrWebhookEvent *ev;
    JsonNode *root;
    JsonObject *o, *data;

    ev = rr_webhook_event_from_message (cases[i].message, fields, NULL, seqs,
        when, &err);
    g_assert_no_error (err);
    g_assert_nonnull (ev);
    g_assert_cmpstr (rr_webhook_event_type_name (ev->type), ==, cases[i].type);
    g_assert_cmpstr (ev->recording_id, ==, "REC1");
    g_assert_cmpuint (ev->seq, ==, i + 1);
    g_assert_cmpint (ev->unix_time_ms, ==, when / 1000);
    /* compact JSON: what is signed is what is sent */
    g_assert_null (strchr (ev->body, '\n'));

    o = parse_object (ev->body, &root);
    g_assert_cmpstr (json_object_get_string_member (o, "id"), ==, ev->id);
    data = check_envelope (o, cases[i].type, "REC1", i + 1, when);
    g_assert_cmpstr (json_object_get_string_member (data, "connection_id"),
        ==, "ALICE");
    g_assert_cmpstr (json_object_get_string_member (data, "recording_id"),
        ==, "REC1");
    g_assert_false (json_object_has_member (data, "sidecar"));
    g_assert_false (json_object_has_member (data, "recording-id"));

    switch (cases[i].sidecar_kind) {
      case RR_SIDECAR_ARCHIVE:
        g_assert_cmpstr (json_object_get_string_member (data, "file_path"),
            ==, "/a/REC1/archive-ALICE.webm");
        g_assert_cmpint (json_object_get_int_member (data, "size"), ==, 4321);
        g_assert_cmpstr (json_object_get_string_member (data,
                "video_codec_type"), ==, "VP8");
        g_assert_cmpstr (json_object_get_string_member (data,
                "sidecar_location"), ==, "/a/REC1/archive-ALICE.json");
        g_assert_cmpint (json_object_get_int_member (data,
                "start_time_offset"), ==, 1);
        break;
      case RR_SIDECAR_SPLIT_ARCHIVE:
        g_assert_cmpstr (json_object_get_string_member (data, "split_index"),
            ==, "0002");
        g_assert_cmpint (json_object_get_int_member (data, "index"), ==, 2);
        break;
      case RR_SIDECAR_SPLIT_END:
        g_assert_cmpstr (json_object_get_string_member (data,
                "split_last_index"), ==, "0002");
        break;
      default:
        break;
    }
    if (g_str_equal (cases[i].type, "archive.failed")) {
      g_assert_cmpstr (json_object_get_string_member (data, "reason"), ==,
          "disk full");
      g_assert_cmpstr (json_object_get_string_member (data, "tmp_location"),
          ==, "/a/tmp/archive-ALICE.webm");
    } else if (g_str_equal (cases[i].type, "archive.started")) {
      g_assert_cmpstr (json_object_get_string_member (data, "kind"), ==,
          "split");
      g_assert_cmpint (json_object_get_int_member (data, "index"), ==, 2);
    } else if (g_str_equal (cases[i].type, "hls.slice")) {
      g_assert_cmpstr (json_object_get_string_member (data, "location"), ==,
          "/a/REC1/archive-ALICE.webm");
      g_assert_true (json_object_get_null_member (data, "sidecar_location"));
      g_assert_cmpint (json_object_get_int_member (data, "size"), ==, 4321);
    }

    json_node_unref (root);
    json_object_unref (fields);
    g_free (sidecar);
    rr_webhook_event_free (ev);
  }
}

/* The events nobody posts a splitmuxrec message for: by type name, with
 * the data as a sidecar-like JSON text (recording.report) or fields. */
static void
test_other_events (void)
{
  static const gchar *types[] = { "recording.started", "recording.report",
    "upload.started", "upload.progress", "upload.completed", "upload.failed",
    "failover"
  };
  g_autoptr (RrWebhookSeq) seqs = rr_webhook_seq_new ();
  guint i;

  for (i = 0; i < G_N_ELEMENTS (types); i++) {
    JsonObject *fields = json_object_new ();
    const gchar *json = NULL;
    GError *err = NULL;
    RrWebhookEvent *ev;
    JsonNode *root;
    JsonObject *data;

    json_object_set_string_member (fields, "recording-id", "REC2");
    if (g_str_has_prefix (types[i], "upload.")) {
      json_object_set_string_member (fields, "location", "/a/x.webm");
      json_object_set_int_member (fields, "bytes-sent", 10 * i);
    }
    if (g_str_equal (types[i], "recording.report"))
      json = "{\"recording_id\":\"REC2\",\"archives\":[{\"size\":1}]}";
    ev = rr_webhook_event_from_message (types[i], fields, json, seqs, T0, &err);
    g_assert_no_error (err);
    data = check_envelope (parse_object (ev->body, &root), types[i], "REC2",
        i + 1, T0);
    if (json)
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member
              (data, "archives")), ==, 1);
    if (g_str_has_prefix (types[i], "upload."))
      g_assert_cmpint (json_object_get_int_member (data, "bytes_sent"), ==,
          10 * i);
    json_node_unref (root);
    json_object_unref (fields);
    rr_webhook_event_free (ev);
  }
}

/* The whole body, byte for byte (the signature test below signs it). */
static const gchar *exact_body =
    "{\"type\":\"archive.available\",\"id\":\"0123456789ABCDEFGHJKMNPQRS\","
    "\"timestamp\":\"2026-01-01T00:00:00.123Z\",\"unix_time_ms\":1767225600123,"
    "\"recording_id\":\"R1\",\"seq\":3,\"trtc_event_type\":310,"
    "\"data\":{\"size\":1234}}";

static void
test_exact_body (void)
{
  JsonObject *data = json_object_new ();
  RrWebhookEvent *ev;

  json_object_set_int_member (data, "size", 1234);
  ev = rr_webhook_event_new (RR_WEBHOOK_ARCHIVE_AVAILABLE, "R1", 3,
      T0 + 123456, "0123456789ABCDEFGHJKMNPQRS", data);
  g_assert_cmpstr (ev->body, ==, exact_body);
  rr_webhook_event_free (ev);
  /* data untouched */
  g_assert_cmpuint (json_object_get_size (data), ==, 1);
  json_object_unref (data);

  /* no data: an empty object; no TRTC code for archive.started */
  ev = rr_webhook_event_new (RR_WEBHOOK_ARCHIVE_STARTED, "R1", 1, T0,
      "0123456789ABCDEFGHJKMNPQRS", NULL);
  g_assert_cmpstr (ev->body, ==,
      "{\"type\":\"archive.started\",\"id\":\"0123456789ABCDEFGHJKMNPQRS\","
      "\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"unix_time_ms\":"
      "1767225600000,\"recording_id\":\"R1\",\"seq\":1,\"data\":{}}");
  rr_webhook_event_free (ev);

  /* now, and a fresh id each time */
  {
    RrWebhookEvent *a = rr_webhook_event_new (RR_WEBHOOK_FAILOVER, "R", 1, 0,
        NULL, NULL);
    RrWebhookEvent *b = rr_webhook_event_new (RR_WEBHOOK_FAILOVER, "R", 2, 0,
        NULL, NULL);
    gint64 now_ms = g_get_real_time () / 1000;

    g_assert_true (is_event_id (a->id));
    g_assert_cmpstr (a->id, !=, b->id);
    g_assert_cmpint (ABS (a->unix_time_ms - now_ms), <, 60000);
    rr_webhook_event_free (a);
    rr_webhook_event_free (b);
  }
}

static void
test_timestamp (void)
{
  static const struct
  {
    gint64 us;
    const gchar *text;
  } cases[] = {
    {0, "1970-01-01T00:00:00.000Z"},
    {999, "1970-01-01T00:00:00.000Z"},
    {1000, "1970-01-01T00:00:00.001Z"},
    {T0 + 999999, "2026-01-01T00:00:00.999Z"},
    {T0 + 86399 * G_GINT64_CONSTANT (1000000) + 5000,
        "2026-01-01T23:59:59.005Z"},
    {-1000, "1969-12-31T23:59:59.999Z"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *s = rr_webhook_format_timestamp (cases[i].us);

    g_assert_cmpstr (s, ==, cases[i].text);
    g_free (s);
  }
}

static void
test_seq (void)
{
  g_autoptr (RrWebhookSeq) seqs = rr_webhook_seq_new ();

  g_assert_cmpuint (rr_webhook_seq_next (seqs, "A"), ==, 1);
  g_assert_cmpuint (rr_webhook_seq_next (seqs, "A"), ==, 2);
  g_assert_cmpuint (rr_webhook_seq_next (seqs, "B"), ==, 1);
  g_assert_cmpuint (rr_webhook_seq_next (seqs, "A"), ==, 3);
  /* restoring after a restart never goes back */
  rr_webhook_seq_observe (seqs, "A", 2);
  g_assert_cmpuint (rr_webhook_seq_next (seqs, "A"), ==, 4);
  rr_webhook_seq_observe (seqs, "C", 41);
  g_assert_cmpuint (rr_webhook_seq_next (seqs, "C"), ==, 42);

  g_assert_true (rr_webhook_seq_observe_body (seqs, exact_body, -1));
  g_assert_cmpuint (rr_webhook_seq_next (seqs, "R1"), ==, 4);
  g_assert_false (rr_webhook_seq_observe_body (seqs, "{\"seq\":3}", -1));
  g_assert_false (rr_webhook_seq_observe_body (seqs,
          "{\"recording_id\":\"X\",\"seq\":\"3\"}", -1));
  g_assert_false (rr_webhook_seq_observe_body (seqs,
          "{\"recording_id\":\"X\",\"seq\":0}", -1));
  g_assert_false (rr_webhook_seq_observe_body (seqs, "[1,2]", -1));
  g_assert_false (rr_webhook_seq_observe_body (seqs, "{nope", -1));
  g_assert_false (rr_webhook_seq_observe_body (seqs, NULL, -1));
  g_assert_cmpuint (rr_webhook_seq_next (seqs, "X"), ==, 1);
}

static void
test_message_errors (void)
{
  g_autoptr (RrWebhookSeq) seqs = rr_webhook_seq_new ();
  JsonObject *fields = json_object_new ();
  GError *err = NULL;

  g_assert_null (rr_webhook_event_from_message ("splitmuxsink-fragment-closed",
          NULL, NULL, seqs, T0, &err));
  g_assert_error (err, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_UNKNOWN_EVENT);
  g_clear_error (&err);
  g_assert_null (rr_webhook_event_from_message (NULL, NULL, NULL, seqs, T0,
          &err));
  g_assert_error (err, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_UNKNOWN_EVENT);
  g_clear_error (&err);

  /* no recording id anywhere */
  g_assert_null (rr_webhook_event_from_message ("splitmuxrec-hls-slice",
          fields, NULL, seqs, T0, &err));
  g_assert_error (err, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_INVALID_FIELDS);
  g_assert_nonnull (strstr (err->message, "recording_id"));
  g_clear_error (&err);
  g_assert_null (rr_webhook_event_from_message ("splitmuxrec-hls-slice",
          NULL, "{\"recording_id\":\"\"}", seqs, T0, &err));
  g_assert_error (err, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_INVALID_FIELDS);
  g_clear_error (&err);
  g_assert_null (rr_webhook_event_from_message ("splitmuxrec-hls-slice",
          NULL, "{\"recording_id\":7}", seqs, T0, &err));
  g_assert_error (err, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_INVALID_FIELDS);
  g_clear_error (&err);

  /* sidecars that are not JSON objects */
  g_assert_null (rr_webhook_event_from_message
      ("splitmuxrec-archive-available", NULL, "{\"a\":", seqs, T0, &err));
  g_assert_error (err, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_INVALID_FIELDS);
  g_assert_true (g_str_has_prefix (err->message,
          "splitmuxrec-archive-available: sidecar is not JSON"));
  g_clear_error (&err);
  g_assert_null (rr_webhook_event_from_message
      ("splitmuxrec-archive-available", NULL, "[]", seqs, T0, &err));
  g_assert_error (err, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_INVALID_FIELDS);
  g_clear_error (&err);
  json_object_set_int_member (fields, "sidecar", 5);
  g_assert_null (rr_webhook_event_from_message
      ("splitmuxrec-archive-available", fields, NULL, seqs, T0, &err));
  g_assert_error (err, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_INVALID_FIELDS);
  g_clear_error (&err);

  /* no sequence number was used up by the failures */
  json_object_set_string_member (fields, "sidecar",
      "{\"recording_id\":\"R9\"}");
  {
    RrWebhookEvent *ev =
        rr_webhook_event_from_message ("splitmuxrec-archive-available",
        fields, NULL, seqs, T0, &err);

    g_assert_no_error (err);
    g_assert_cmpuint (ev->seq, ==, 1);
    rr_webhook_event_free (ev);
  }
  json_object_unref (fields);
}

/* Known answers from Python, independently of GLib:
 *   import hmac, hashlib
 *   hmac.new(b"whsec_5f2b", b"1767225601." + body,
 *            hashlib.sha256).hexdigest()
 * with body = exact_body above, and
 *   hmac.new(b"whsec_test", b'1767225600.{"type":"archive.available",'
 *            b'"id":"01HZX3","seq":1}', hashlib.sha256).hexdigest()
 *   hmac.new(b"", b"0.", hashlib.sha256).hexdigest()
 */
static void
test_sign_known_answers (void)
{
  gchar *h;

  h = rr_webhook_sign ("whsec_5f2b", 1767225601, exact_body, -1);
  g_assert_cmpstr (h, ==, "t=1767225601,v1="
      "7937900bf4bee7b467d20934aa492e1042575018bc321c05741d8df91d68ed61");
  g_free (h);

  h = rr_webhook_sign ("whsec_test", 1767225600,
      "{\"type\":\"archive.available\",\"id\":\"01HZX3\",\"seq\":1}", -1);
  g_assert_cmpstr (h, ==, "t=1767225600,v1="
      "124d41b3e2d054ebe4bd609503182a796581e450cc53c54c4e80271f61b324a4");
  g_free (h);

  /* body_len counts, not the NUL */
  h = rr_webhook_sign ("", 0, "xyz", 0);
  g_assert_cmpstr (h, ==, "t=0,v1="
      "b849d5a581847b281957065739df36df2463d1977ea8d6e1e4e6cf33fadc68c3");
  g_free (h);
}

static void
test_verify (void)
{
  const gint64 t = 1767225601;
  gchar *h = rr_webhook_sign ("whsec_5f2b", t, exact_body, -1);
  gchar *tampered = g_strdup (exact_body);
  gchar *rotated, *spaced, *upper;
  GError *err = NULL;
  static const gchar *bad_headers[] = {
    "", "t=1767225601", "v1=7937900bf4bee7b467d20934aa492e10",
    "t=,v1=00", "t=abc,v1=00", "t=-5,v1=00", "t=1,t=2,v1=00",
    "garbage", "t=1767225601;v1=00", "t=12345678901234567890,v1=00",
  };
  guint i;

  g_assert_true (rr_webhook_verify (h, "whsec_5f2b", exact_body, -1, t,
          RR_WEBHOOK_DEFAULT_TOLERANCE_S, &err));
  g_assert_no_error (err);
  /* edges of the window, both ways */
  g_assert_true (rr_webhook_verify (h, "whsec_5f2b", exact_body, -1,
          t + 300, 300, NULL));
  g_assert_true (rr_webhook_verify (h, "whsec_5f2b", exact_body, -1,
          t - 300, 300, NULL));
  /* tolerance 0: any age */
  g_assert_true (rr_webhook_verify (h, "whsec_5f2b", exact_body, -1,
          t + 1000000, 0, NULL));

  /* wrong secret */
  g_assert_false (rr_webhook_verify (h, "whsec_5f2c", exact_body, -1, t,
          300, &err));
  g_assert_error (err, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_SIGNATURE_MISMATCH);
  g_clear_error (&err);
  /* tampered body: one digit */
  tampered[strlen (tampered) - 3] = '5';
  g_assert_false (rr_webhook_verify (h, "whsec_5f2b", tampered, -1, t, 300,
          &err));
  g_assert_error (err, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_SIGNATURE_MISMATCH);
  g_clear_error (&err);
  /* truncated body */
  g_assert_false (rr_webhook_verify (h, "whsec_5f2b", exact_body,
          strlen (exact_body) - 1, t, 300, &err));
  g_assert_error (err, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_SIGNATURE_MISMATCH);
  g_clear_error (&err);
  /* too old, too far in the future (replays) */
  g_assert_false (rr_webhook_verify (h, "whsec_5f2b", exact_body, -1,
          t + 301, 300, &err));
  g_assert_error (err, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_SIGNATURE_EXPIRED);
  g_clear_error (&err);
  g_assert_false (rr_webhook_verify (h, "whsec_5f2b", exact_body, -1,
          t - 301, 300, &err));
  g_assert_error (err, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_SIGNATURE_EXPIRED);
  g_clear_error (&err);
  /* a new timestamp does not fit the old signature */
  {
    gchar *moved = g_strdup (h);

    moved[strlen ("t=176722560")] = '9';
    g_assert_false (rr_webhook_verify (moved, "whsec_5f2b", exact_body, -1,
            t, 300, &err));
    g_assert_error (err, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_SIGNATURE_MISMATCH);
    g_clear_error (&err);
    g_free (moved);
  }

  /* secret rotation: several v1, unknown schemes ignored, spaces */
  rotated = g_strdup_printf ("t=%" G_GINT64_FORMAT ",v1=%064d,v0=abc,%s", t,
      0, strstr (h, "v1="));
  g_assert_true (rr_webhook_verify (rotated, "whsec_5f2b", exact_body, -1, t,
          300, NULL));
  spaced = g_strdup_printf ("t=%" G_GINT64_FORMAT ", %s", t, strstr (h, "v1="));
  g_assert_true (rr_webhook_verify (spaced, "whsec_5f2b", exact_body, -1, t,
          300, NULL));
  /* hex is lower case */
  upper = g_strdup (h);
  {
    gchar *hex = strstr (upper, "v1=") + 3;
    gchar *up = g_ascii_strup (hex, -1);

    memcpy (hex, up, strlen (up));
    g_free (up);
  }
  g_assert_false (rr_webhook_verify (upper, "whsec_5f2b", exact_body, -1, t,
          300, &err));
  g_assert_error (err, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_SIGNATURE_MISMATCH);
  g_clear_error (&err);
  /* V1 is not v1 */
  upper[strlen ("t=1767225601,")] = 'V';
  g_assert_false (rr_webhook_verify (upper, "whsec_5f2b", exact_body, -1, t,
          300, &err));
  g_assert_error (err, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_SIGNATURE_FORMAT);
  g_clear_error (&err);

  for (i = 0; i < G_N_ELEMENTS (bad_headers); i++) {
    g_assert_false (rr_webhook_verify (bad_headers[i], "whsec_5f2b",
            exact_body, -1, t, 300, &err));
    g_assert_error (err, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_SIGNATURE_FORMAT);
    g_clear_error (&err);
  }
  g_assert_false (rr_webhook_verify (NULL, "s", "", 0, t, 300, &err));
  g_assert_error (err, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_SIGNATURE_FORMAT);
  g_clear_error (&err);
  /* a v1 of the wrong length is not a match */
  g_assert_false (rr_webhook_verify ("t=1767225601,v1=7937", "whsec_5f2b",
          exact_body, -1, t, 300, &err));
  g_assert_error (err, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_SIGNATURE_MISMATCH);
  g_clear_error (&err);

  /* a real clock: sign now, verify now */
  {
    gint64 now = g_get_real_time () / G_USEC_PER_SEC;
    gchar *hn = rr_webhook_sign ("k", now, "{}", -1);

    g_assert_true (rr_webhook_verify (hn, "k", "{}", -1, 0, 300, NULL));
    g_free (hn);
  }

  g_free (upper);
  g_free (spaced);
  g_free (rotated);
  g_free (tampered);
  g_free (h);
}

static void
test_retry_schedule (void)
{
  static const guint64 want[] = { 0, 3000, 6000, 12000, 24000, 48000, 96000,
    192000, 300000, 300000
  };
  RrWebhookRetry r = RR_WEBHOOK_RETRY_INIT;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (want); i++) {
    g_assert_cmpuint (rr_webhook_retry_delay_ms (&r, i, NULL), ==, want[i]);
    g_assert_cmpuint (rr_webhook_retry_delay_ms (NULL, i, NULL), ==, want[i]);
  }
  g_assert_cmpuint (rr_webhook_retry_delay_ms (&r, 64, NULL), ==, 300000);
  g_assert_cmpuint (rr_webhook_retry_delay_ms (&r, G_MAXUINT, NULL), ==,
      300000);

  /* a cap that is not a doubling of the base */
  r.cap_ms = 10000;
  g_assert_cmpuint (rr_webhook_retry_delay_ms (&r, 2, NULL), ==, 6000);
  g_assert_cmpuint (rr_webhook_retry_delay_ms (&r, 3, NULL), ==, 10000);
  g_assert_cmpuint (rr_webhook_retry_delay_ms (&r, 4, NULL), ==, 10000);
  /* base above the cap, base 0, huge values */
  r.base_ms = 20000;
  g_assert_cmpuint (rr_webhook_retry_delay_ms (&r, 1, NULL), ==, 10000);
  r.base_ms = 0;
  g_assert_cmpuint (rr_webhook_retry_delay_ms (&r, G_MAXUINT, NULL), ==, 0);
  r.base_ms = G_MAXUINT64 / 2 + 7;
  r.cap_ms = G_MAXUINT64;
  g_assert_cmpuint (rr_webhook_retry_delay_ms (&r, 5, NULL), ==, G_MAXUINT64);
}

static void
test_retry_jitter (void)
{
  RrWebhookRetry r = RR_WEBHOOK_RETRY_INIT;
  GRand *a, *b;
  guint i;

  r.jitter = 0.25;
  a = g_rand_new_with_seed (42);
  b = g_rand_new_with_seed (42);
  for (i = 1; i <= 12; i++) {
    guint64 full = rr_webhook_retry_delay_ms (NULL, i, NULL);
    guint64 da = rr_webhook_retry_delay_ms (&r, i, a);
    guint64 db = rr_webhook_retry_delay_ms (&r, i, b);

    /* the same seed, the same schedule */
    g_assert_cmpuint (da, ==, db);
    g_assert_cmpuint (da, <=, full);
    g_assert_cmpuint (da, >=, full - full / 4);
  }
  g_rand_free (a);
  g_rand_free (b);

  /* the exact values of seed 7: what g_rand_double() gives */
  a = g_rand_new_with_seed (7);
  b = g_rand_new_with_seed (7);
  for (i = 1; i <= 4; i++) {
    guint64 full = rr_webhook_retry_delay_ms (NULL, i, NULL);
    gdouble u = g_rand_double (b);

    g_assert_cmpuint (rr_webhook_retry_delay_ms (&r, i, a), ==,
        full - (guint64) (full * 0.25 * u));
  }
  g_rand_free (a);
  g_rand_free (b);

  /* jitter outside 0…1 is clamped; without a GRand, still in range */
  r.jitter = 7.0;
  for (i = 0; i < 50; i++)
    g_assert_cmpuint (rr_webhook_retry_delay_ms (&r, 1, NULL), <=, 3000);
  r.jitter = -1.0;
  g_assert_cmpuint (rr_webhook_retry_delay_ms (&r, 1, NULL), ==, 3000);
}

static void
test_trtc_table (void)
{
  const RrWebhookTrtcCode *codes;
  guint n, i;
  gint t;

  codes = rr_webhook_trtc_codes (&n);
  g_assert_cmpuint (n, ==, 12);
  for (i = 0; i < n; i++) {
    g_assert_cmpint (codes[i].code, ==, 301 + (gint) i);
    g_assert_true (g_str_has_prefix (codes[i].trtc_name,
            "EVENT_TYPE_CLOUD_RECORDING_"));
    g_assert_true (codes[i].event == -1
        || rr_webhook_event_type_name (codes[i].event) != NULL);
    g_assert_nonnull (codes[i].note);
    g_assert_true (rr_webhook_trtc_lookup (codes[i].code) == &codes[i]);
  }
  g_assert_null (rr_webhook_trtc_lookup (300));
  g_assert_null (rr_webhook_trtc_lookup (313));
  g_assert_cmpstr (rr_webhook_trtc_lookup (307)->trtc_name, ==,
      "EVENT_TYPE_CLOUD_RECORDING_FILE_SLICE");
  g_assert_cmpint (rr_webhook_trtc_lookup (307)->event, ==,
      RR_WEBHOOK_HLS_SLICE);
  g_assert_cmpint (rr_webhook_trtc_lookup (309)->event, ==, -1);
  g_assert_cmpint (rr_webhook_trtc_lookup (312)->event, ==, -1);

  /* an event's code points back at a row for that event */
  for (t = 0; t < RR_WEBHOOK_N_EVENT_TYPES; t++) {
    gint code = rr_webhook_event_type_trtc_code (t);

    if (code == 0)
      continue;
    g_assert_nonnull (rr_webhook_trtc_lookup (code));
    /* 310 (MP4_STOP) is archive.available, and split-archive.end for
     * split files (its note says so) */
    if (t == RR_WEBHOOK_SPLIT_ARCHIVE_END)
      g_assert_nonnull (strstr (rr_webhook_trtc_lookup (code)->note,
              "split-archive.end"));
    else
      g_assert_cmpint (rr_webhook_trtc_lookup (code)->event, ==, t);
  }
  g_assert_cmpint (rr_webhook_event_type_trtc_code
      (RR_WEBHOOK_RECORDING_STARTED), ==, 301);
  g_assert_cmpint (rr_webhook_event_type_trtc_code
      (RR_WEBHOOK_SPLIT_ARCHIVE_END), ==, 310);
  g_assert_cmpint (rr_webhook_event_type_trtc_code
      (RR_WEBHOOK_ARCHIVE_FAILED), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/webhook/type-names", test_type_names);
  g_test_add_func ("/webhook/from-messages", test_from_messages);
  g_test_add_func ("/webhook/other-events", test_other_events);
  g_test_add_func ("/webhook/exact-body", test_exact_body);
  g_test_add_func ("/webhook/timestamp", test_timestamp);
  g_test_add_func ("/webhook/seq", test_seq);
  g_test_add_func ("/webhook/message-errors", test_message_errors);
  g_test_add_func ("/webhook/sign-known-answers", test_sign_known_answers);
  g_test_add_func ("/webhook/verify", test_verify);
  g_test_add_func ("/webhook/retry-schedule", test_retry_schedule);
  g_test_add_func ("/webhook/retry-jitter", test_retry_jitter);
  g_test_add_func ("/webhook/trtc-table", test_trtc_table);
  return g_test_run ();
}
