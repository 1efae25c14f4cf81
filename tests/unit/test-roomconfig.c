/* Unit tests for the room config file (gst/core/roomconfig.c).
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The configs are written with single quotes, which q() turns into double
 * quotes, to keep them readable.
 */
#include "roomconfig.h"
#include "unit-gst.h"

#include <glib/gstdio.h>
#include <string.h>

#define MINIMAL_INPUTS "'inputs': [{'type': 'whip'}]"

/* single quotes → double quotes */
static gchar *
q (const gchar * json)
{
  return g_strdelimit (g_strdup (json), "'", '"');
}

static RrRoomConfig *
load (const gchar * json)
{
  GError *err = NULL;
  gchar *text = q (json);
  RrRoomConfig *c = rr_room_config_load_data (text, -1, &err);

  if (err)
    g_test_message ("unexpected error: %s", err->message);
  g_assert_no_error (err);
  g_assert_nonnull (c);
  g_free (text);
  return c;
}

/* The config must fail with @code, and the message must start with @path
 * followed by ": " and contain @needle (if not NULL). */
static void
expect_error_raw (const gchar * text, gssize len, RrConfigError code,
    const gchar * path, const gchar * needle)
{
  GError *err = NULL;
  RrRoomConfig *c = rr_room_config_load_data (text, len, &err);
  gchar *prefix = g_strdup_printf ("%s: ", path);

  if (c)
    g_test_message ("config loaded, expected error %d at %s", code, path);
  g_assert_null (c);
  g_assert_nonnull (err);
  g_test_message ("%s", err->message);
  g_assert_error (err, RR_CONFIG_ERROR, (gint) code);
  if (!g_str_has_prefix (err->message, prefix))
    g_error ("message '%s' does not start with '%s'", err->message, prefix);
  if (needle && strstr (err->message, needle) == NULL)
    g_error ("message '%s' does not contain '%s'", err->message, needle);
  g_free (prefix);
  g_error_free (err);
}

static void
expect_error (const gchar * json, RrConfigError code, const gchar * path,
    const gchar * needle)
{
  gchar *text = q (json);

  expect_error_raw (text, -1, code, path, needle);
  g_free (text);
}

/* {'room_id': 'r', <extra>, 'inputs': [{'type': 'whip'}]} */
static gchar *
room (const gchar * extra)
{
  return g_strdup_printf ("{'room_id': 'r', %s%s" MINIMAL_INPUTS "}",
      extra, *extra ? ", " : "");
}

static RrRoomConfig *
load_room (const gchar * extra)
{
  gchar *json = room (extra);
  RrRoomConfig *c = load (json);

  g_free (json);
  return c;
}

static void
expect_room_error (const gchar * extra, RrConfigError code,
    const gchar * path, const gchar * needle)
{
  gchar *json = room (extra);

  expect_error (json, code, path, needle);
  g_free (json);
}

/* {'room_id': 'r', 'inputs': [<input>]} */
static RrRoomConfig *
load_input (const gchar * input)
{
  gchar *json = g_strdup_printf ("{'room_id': 'r', 'inputs': [%s]}", input);
  RrRoomConfig *c = load (json);

  g_free (json);
  return c;
}

static void
expect_input_error (const gchar * input, RrConfigError code,
    const gchar * path, const gchar * needle)
{
  gchar *json = g_strdup_printf ("{'room_id': 'r', 'inputs': [%s]}", input);

  expect_error (json, code, path, needle);
  g_free (json);
}

static void
assert_codecs (const RrCodec * got, guint n_got, const RrCodec * want,
    guint n_want)
{
  guint i;

  g_assert_cmpuint (n_got, ==, n_want);
  for (i = 0; i < n_want; i++)
    g_assert_cmpstr (rr_codec_name (got[i]), ==, rr_codec_name (want[i]));
}

/* The default list: the candidates in order that the format takes. */
static void
assert_default_codecs (RrFormat format, const RrCodec * got, guint n_got,
    gboolean video)
{
  static const RrCodec video_order[] = { RR_CODEC_VP8, RR_CODEC_H264,
    RR_CODEC_VP9, RR_CODEC_AV1, RR_CODEC_H265
  };
  RrCodec want[5];
  guint n = 0, i;

  if (video) {
    for (i = 0; i < G_N_ELEMENTS (video_order); i++)
      if (rr_format_accepts (format, video_order[i], NULL))
        want[n++] = video_order[i];
  } else if (rr_format_accepts (format, RR_CODEC_OPUS, NULL)) {
    want[n++] = RR_CODEC_OPUS;
  }
  assert_codecs (got, n_got, want, n);
}

/* ------------------------------------------------------------------ */

static void
test_defaults (void)
{
  RrRoomConfig *c = load ("{'room_id': 'room-1', " MINIMAL_INPUTS "}");
  const RrInputConfig *in;

  g_assert_cmpstr (c->room_id, ==, "room-1");
  g_assert_nonnull (c->recording_id);
  g_assert_cmpuint (strlen (c->recording_id), ==, 26);
  g_assert_null (c->app_id);
  g_assert_cmpstr (c->archive_dir, ==, ".");
  g_assert_null (c->tmp_dir);
  g_assert_cmpint (c->naming, ==, RR_NAMING_PRESET_SORA);
  g_assert_null (c->naming_template);
  g_assert_null (c->split_naming_template);
  g_assert_cmpint (c->format, ==, RR_FORMAT_MP4);
  assert_default_codecs (RR_FORMAT_MP4, c->video_codecs, c->n_video_codecs,
      TRUE);
  assert_default_codecs (RR_FORMAT_MP4, c->audio_codecs, c->n_audio_codecs,
      FALSE);
  /* MP4 takes no VP8: the default list starts with H.264 */
  g_assert_cmpint (c->video_codecs[0], ==, RR_CODEC_H264);
  g_assert_cmpuint (c->n_audio_codecs, ==, 1);
  g_assert_cmpint (c->audio_codecs[0], ==, RR_CODEC_OPUS);
  g_assert_cmpuint (c->split_duration_ns, ==, 0);
  g_assert_false (c->split_only);
  g_assert_cmpuint (c->max_size_bytes, ==, 2000000000);
  g_assert_cmpuint (c->max_duration_ns, ==, 86400 * GST_SECOND);
  g_assert_cmpuint (c->max_pause_ns, ==, 30 * GST_SECOND);
  g_assert_cmpuint (c->hls_target_duration_ns, ==, 6 * GST_SECOND);
  g_assert_cmpuint (c->pli_interval_ns, ==, 20 * GST_SECOND);
  g_assert_cmpuint (c->latency_ms, ==, 200);
  g_assert_cmpuint (c->expire_time_ns, ==, 0);
  g_assert_cmpuint (c->max_idle_time_ns, ==, 0);
  g_assert_cmpuint (c->media_timeout_ns, ==, 20 * GST_SECOND);
  g_assert_false (c->stop_when_empty);
  g_assert_null (c->subscribe_allow);
  g_assert_null (c->subscribe_block);
  g_assert_cmpuint (c->n_participants, ==, 0);
  g_assert_null (c->metadata_json);

  g_assert_cmpuint (c->n_inputs, ==, 1);
  in = &c->inputs[0];
  g_assert_cmpint (in->type, ==, RR_INPUT_WHIP);
  g_assert_cmpstr (in->path, ==, "$.inputs[0]");
  g_assert_cmpstr (in->listen_address, ==, "127.0.0.1");
  g_assert_cmpuint (in->listen_port, ==, 8080);
  g_assert_cmpstr (in->url_path, ==, "/whip");
  g_assert_null (in->token);
  g_assert_null (in->ice_servers);
  g_assert_cmpuint (in->max_sessions, ==, 25);
  g_assert_cmpuint (in->max_body_bytes, ==, 65536);
  g_assert_cmpstr (in->allow_origin, ==, "*");
  g_assert_null (in->url);
  g_assert_null (in->user_id);
  g_assert_null (in->sdp_file);
  g_assert_null (in->sdp);

  /* every load generates a new recording id */
  {
    RrRoomConfig *c2 = load ("{'room_id': 'room-1', " MINIMAL_INPUTS "}");

    g_assert_cmpstr (c->recording_id, !=, c2->recording_id);
    rr_room_config_free (c2);
  }
  rr_room_config_free (c);
}

static void
test_everything (void)
{
  RrRoomConfig *c = load ("{\n"
      " 'room_id': 'sora-room',\n"
      " 'recording_id': 'WHEJ888HQ55KDCFE3TZ4VPFQHR',\n"
      " 'app_id': '1400123456',\n"
      " 'archive_dir': '/var/lib/roomrec',\n"
      " 'tmp_dir': '/var/lib/roomrec/tmp',\n"
      " 'naming': 'trtc',\n"
      " 'naming_template': '{recording_id}/{user_id}{shard}',\n"
      " 'split_naming_template': '{recording_id}/{user_id}_{index}',\n"
      " 'format': 'webm',\n"
      " 'video_codecs': ['vp9', 'VP8'],\n"
      " 'audio_codecs': ['Opus'],\n"
      " 'split_duration': 60.5,\n"
      " 'split_only': true,\n"
      " 'max_size_bytes': 1e9,\n"
      " 'max_duration': 3600,\n"
      " 'max_pause': 2.5,\n"
      " 'hls_target_duration': 4,\n"
      " 'pli_interval': 1,\n"
      " 'latency_ms': 0,\n"
      " 'expire_time': 7200,\n"
      " 'max_idle_time': 5,\n"
      " 'media_timeout': 2.5,\n"
      " 'stop_when_empty': true,\n"
      " 'subscribe': {'allow': ['alice', 'bob'], 'block': ['eve']},\n"
      " 'participants': [\n"
      "   {'user_id': 'alice', 'token': 'alice-token-0123456789'},\n"
      "   {'user_id': 'bob', 'recording_block': true}],\n"
      " 'metadata': {'course': 'math 101', 'tags': [1, 2.5, null]},\n"
      " 'inputs': [\n"
      "   {'type': 'whip', 'listen': '[::1]:0', 'path': '/rooms/math-101',\n"
      "    'token': 'room-token-0123456789', 'ice_servers': ['stun:stun.l."
      "google.com:19302', 'TURNS:turn.example.com:443?transport=tcp'],\n"
      "    'max_sessions': 1000, 'max_body_bytes': 1024,\n"
      "    'allow_origin': 'https://app.example.com'},\n"
      "   {'type': 'whep', 'url': 'https://sfu.example.com/whep/1',\n"
      "    'token': 'whep-token-0123456789', 'user_id': 'carol',\n"
      "    'retry_initial': 0.25, 'retry_max': 10, 'retry_limit': 3},\n"
      "   {'type': 'rtp', 'sdp_file': 'janus.sdp', 'user_id': 'dave'},\n"
      "   {'type': 'rtp', 'sdp': 'v=0\\r\\no=- 0 0 IN IP4 127.0.0.1\\r\\n'}\n"
      " ]\n" "}");
  static const RrCodec video[] = { RR_CODEC_VP9, RR_CODEC_VP8 };
  static const RrCodec audio[] = { RR_CODEC_OPUS };
  const RrInputConfig *in;

  g_assert_cmpstr (c->room_id, ==, "sora-room");
  g_assert_cmpstr (c->recording_id, ==, "WHEJ888HQ55KDCFE3TZ4VPFQHR");
  g_assert_cmpstr (c->app_id, ==, "1400123456");
  g_assert_cmpstr (c->archive_dir, ==, "/var/lib/roomrec");
  g_assert_cmpstr (c->tmp_dir, ==, "/var/lib/roomrec/tmp");
  g_assert_cmpint (c->naming, ==, RR_NAMING_PRESET_TRTC);
  g_assert_cmpstr (c->naming_template, ==, "{recording_id}/{user_id}{shard}");
  g_assert_cmpstr (c->split_naming_template, ==,
      "{recording_id}/{user_id}_{index}");
  g_assert_cmpint (c->format, ==, RR_FORMAT_WEBM);
  assert_codecs (c->video_codecs, c->n_video_codecs, video, 2);
  assert_codecs (c->audio_codecs, c->n_audio_codecs, audio, 1);
  g_assert_cmpuint (c->split_duration_ns, ==, 60500 * GST_MSECOND);
  g_assert_true (c->split_only);
  g_assert_cmpuint (c->max_size_bytes, ==, 1000000000);
  g_assert_cmpuint (c->max_duration_ns, ==, 3600 * GST_SECOND);
  g_assert_cmpuint (c->max_pause_ns, ==, 2500 * GST_MSECOND);
  g_assert_cmpuint (c->hls_target_duration_ns, ==, 4 * GST_SECOND);
  g_assert_cmpuint (c->pli_interval_ns, ==, GST_SECOND);
  g_assert_cmpuint (c->latency_ms, ==, 0);
  g_assert_cmpuint (c->expire_time_ns, ==, 7200 * GST_SECOND);
  g_assert_cmpuint (c->max_idle_time_ns, ==, 5 * GST_SECOND);
  g_assert_cmpuint (c->media_timeout_ns, ==, 2500 * GST_MSECOND);
  g_assert_true (c->stop_when_empty);
  g_assert_cmpuint (g_strv_length (c->subscribe_allow), ==, 2);
  g_assert_cmpstr (c->subscribe_allow[1], ==, "bob");
  g_assert_cmpuint (g_strv_length (c->subscribe_block), ==, 1);
  g_assert_cmpstr (c->subscribe_block[0], ==, "eve");
  g_assert_cmpuint (c->n_participants, ==, 2);
  g_assert_cmpstr (c->participants[0].user_id, ==, "alice");
  g_assert_cmpstr (c->participants[0].token, ==, "alice-token-0123456789");
  g_assert_false (c->participants[0].recording_block);
  g_assert_cmpstr (c->participants[1].user_id, ==, "bob");
  g_assert_null (c->participants[1].token);
  g_assert_true (c->participants[1].recording_block);
  g_assert_cmpstr (c->metadata_json, ==,
      "{\"course\":\"math 101\",\"tags\":[1,2.5,null]}");

  g_assert_cmpuint (c->n_inputs, ==, 4);
  in = &c->inputs[0];
  g_assert_cmpint (in->type, ==, RR_INPUT_WHIP);
  g_assert_cmpstr (in->listen_address, ==, "::1");
  g_assert_cmpuint (in->listen_port, ==, 0);
  g_assert_cmpstr (in->url_path, ==, "/rooms/math-101");
  g_assert_cmpstr (in->token, ==, "room-token-0123456789");
  g_assert_cmpuint (g_strv_length (in->ice_servers), ==, 2);
  g_assert_cmpstr (in->ice_servers[1], ==,
      "TURNS:turn.example.com:443?transport=tcp");
  g_assert_cmpuint (in->max_sessions, ==, 1000);
  g_assert_cmpuint (in->max_body_bytes, ==, 1024);
  g_assert_cmpstr (in->allow_origin, ==, "https://app.example.com");

  in = &c->inputs[1];
  g_assert_cmpint (in->type, ==, RR_INPUT_WHEP);
  g_assert_cmpstr (in->path, ==, "$.inputs[1]");
  g_assert_cmpstr (in->url, ==, "https://sfu.example.com/whep/1");
  g_assert_cmpstr (in->token, ==, "whep-token-0123456789");
  g_assert_cmpstr (in->user_id, ==, "carol");
  g_assert_cmpuint (in->retry_initial_ms, ==, 250);
  g_assert_cmpuint (in->retry_max_ms, ==, 10000);
  g_assert_cmpuint (in->retry_limit, ==, 3);
  g_assert_null (in->listen_address);
  g_assert_null (in->url_path);

  in = &c->inputs[2];
  g_assert_cmpint (in->type, ==, RR_INPUT_RTP);
  g_assert_cmpstr (in->sdp_file, ==, "janus.sdp");
  g_assert_null (in->sdp);
  g_assert_cmpstr (in->user_id, ==, "dave");

  in = &c->inputs[3];
  g_assert_cmpint (in->type, ==, RR_INPUT_RTP);
  g_assert_cmpstr (in->path, ==, "$.inputs[3]");
  g_assert_null (in->sdp_file);
  g_assert_cmpstr (in->sdp, ==, "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\n");
  rr_room_config_free (c);
}

static void
test_whep_defaults (void)
{
  RrRoomConfig *c = load_input ("{'type': 'whep', 'url': 'http://h/w'}");

  g_assert_cmpuint (c->inputs[0].retry_initial_ms, ==, 1000);
  g_assert_cmpuint (c->inputs[0].retry_max_ms, ==, 30000);
  g_assert_cmpuint (c->inputs[0].retry_limit, ==, 0);
  g_assert_null (c->inputs[0].token);
  g_assert_null (c->inputs[0].user_id);
  rr_room_config_free (c);
}

static void
test_default_codecs_per_format (void)
{
  static const gchar *const formats[] = { "mp4", "webm", "mkv", "hls",
    "ogg"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    gchar *extra = g_strdup_printf ("'format': '%s'", formats[i]);
    RrRoomConfig *c = load_room (extra);

    g_assert_cmpstr (rr_format_name (c->format), ==, formats[i]);
    assert_default_codecs (c->format, c->video_codecs, c->n_video_codecs, TRUE);
    assert_default_codecs (c->format, c->audio_codecs, c->n_audio_codecs,
        FALSE);
    rr_room_config_free (c);
    g_free (extra);
  }

  /* the exact lists where they do not depend on the GStreamer version */
  {
    static const RrCodec webm_video[] = { RR_CODEC_VP8, RR_CODEC_VP9,
      RR_CODEC_AV1
    };
    static const RrCodec mkv_video[] = { RR_CODEC_VP8, RR_CODEC_H264,
      RR_CODEC_VP9, RR_CODEC_AV1, RR_CODEC_H265
    };
    static const RrCodec hls_video[] = { RR_CODEC_H264, RR_CODEC_H265 };
    static const RrCodec opus[] = { RR_CODEC_OPUS };
    RrRoomConfig *c;

    c = load_room ("'format': 'webm'");
    assert_codecs (c->video_codecs, c->n_video_codecs, webm_video, 3);
    assert_codecs (c->audio_codecs, c->n_audio_codecs, opus, 1);
    rr_room_config_free (c);
    c = load_room ("'format': 'mkv'");
    assert_codecs (c->video_codecs, c->n_video_codecs, mkv_video, 5);
    assert_codecs (c->audio_codecs, c->n_audio_codecs, opus, 1);
    rr_room_config_free (c);
    /* HLS takes no Opus: no audio by default, and that is fine */
    c = load_room ("'format': 'hls'");
    assert_codecs (c->video_codecs, c->n_video_codecs, hls_video, 2);
    g_assert_cmpuint (c->n_audio_codecs, ==, 0);
    rr_room_config_free (c);
    c = load_room ("'format': 'ogg'");
    g_assert_cmpuint (c->n_video_codecs, ==, 0);
    assert_codecs (c->audio_codecs, c->n_audio_codecs, opus, 1);
    rr_room_config_free (c);
  }
}

static void
test_codec_lists (void)
{
  RrRoomConfig *c;

  /* names are case-insensitive; order is kept */
  c = load_room ("'format': 'mkv', 'video_codecs': ['h265', 'Av1', 'vp8'], "
      "'audio_codecs': ['pcma', 'PCMU', 'opus']");
  {
    static const RrCodec v[] = { RR_CODEC_H265, RR_CODEC_AV1, RR_CODEC_VP8 };
    static const RrCodec a[] = { RR_CODEC_PCMA, RR_CODEC_PCMU,
      RR_CODEC_OPUS
    };

    assert_codecs (c->video_codecs, c->n_video_codecs, v, 3);
    assert_codecs (c->audio_codecs, c->n_audio_codecs, a, 3);
  }
  rr_room_config_free (c);

  /* H.265 only in MP4 (and MKV, HLS) */
  c = load_room ("'format': 'mp4', 'video_codecs': ['H265', 'H264']");
  g_assert_cmpuint (c->n_video_codecs, ==, 2);
  rr_room_config_free (c);
  expect_room_error ("'format': 'webm', 'video_codecs': ['H265']",
      RR_CONFIG_ERROR_COMBINATION, "$.video_codecs[0]",
      "H265 cannot be recorded in webm: WebM holds only");
  /* MP4 has no VP8 */
  expect_room_error ("'video_codecs': ['H264', 'VP8']",
      RR_CONFIG_ERROR_COMBINATION, "$.video_codecs[1]",
      "MP4 has no VP8 mapping");
  c = load_room ("'format': 'webm', 'video_codecs': ['VP8']");
  g_assert_cmpuint (c->n_video_codecs, ==, 1);
  rr_room_config_free (c);
  /* HLS: no Opus, no VP8 */
  expect_room_error ("'format': 'hls', 'audio_codecs': ['OPUS']",
      RR_CONFIG_ERROR_COMBINATION, "$.audio_codecs[0]",
      "OPUS cannot be recorded in hls");
  expect_room_error ("'format': 'hls', 'video_codecs': ['H264', 'VP9']",
      RR_CONFIG_ERROR_COMBINATION, "$.video_codecs[1]", "HLS");
  /* Ogg: audio only */
  expect_room_error ("'format': 'ogg', 'video_codecs': ['VP8']",
      RR_CONFIG_ERROR_COMBINATION, "$.video_codecs[0]", "audio-only Opus");
  /* G.711 only in Matroska */
  expect_room_error ("'audio_codecs': ['PCMU']",
      RR_CONFIG_ERROR_COMBINATION, "$.audio_codecs[0]", "use format mkv");
  /* AV1 in MP4 depends on the installed mp4mux */
  {
    gchar *reason = NULL;

    if (rr_format_accepts (RR_FORMAT_MP4, RR_CODEC_AV1, &reason)) {
      c = load_room ("'video_codecs': ['AV1']");
      rr_room_config_free (c);
    } else {
      expect_room_error ("'video_codecs': ['AV1']",
          RR_CONFIG_ERROR_COMBINATION, "$.video_codecs[0]", reason);
    }
    g_free (reason);
  }

  /* an explicit empty list: no video (or no audio) */
  c = load_room ("'format': 'webm', 'video_codecs': []");
  g_assert_cmpuint (c->n_video_codecs, ==, 0);
  g_assert_cmpuint (c->n_audio_codecs, ==, 1);
  rr_room_config_free (c);
  c = load_room ("'audio_codecs': []");
  g_assert_cmpuint (c->n_audio_codecs, ==, 0);
  g_assert_cmpuint (c->n_video_codecs, >, 0);
  rr_room_config_free (c);
  /* … but not both */
  expect_room_error ("'video_codecs': [], 'audio_codecs': []",
      RR_CONFIG_ERROR_COMBINATION, "$", "nothing to record");
  expect_room_error ("'format': 'hls', 'video_codecs': []",
      RR_CONFIG_ERROR_COMBINATION, "$", "format hls");
  expect_room_error ("'format': 'ogg', 'audio_codecs': []",
      RR_CONFIG_ERROR_COMBINATION, "$", "nothing to record");

  /* duplicates, wrong kind, unknown names, types */
  expect_room_error ("'video_codecs': ['H264', 'VP9', 'h264']",
      RR_CONFIG_ERROR_COMBINATION, "$.video_codecs[2]",
      "H264 is listed twice (also at $.video_codecs[0])");
  expect_room_error ("'video_codecs': ['OPUS']", RR_CONFIG_ERROR_RANGE,
      "$.video_codecs[0]", "is an audio codec; list it in audio_codecs");
  expect_room_error ("'audio_codecs': ['H264']", RR_CONFIG_ERROR_RANGE,
      "$.audio_codecs[0]", "is a video codec; list it in video_codecs");
  expect_room_error ("'video_codecs': ['XVID']", RR_CONFIG_ERROR_RANGE,
      "$.video_codecs[0]", "\"XVID\" is not one of the video codecs");
  expect_room_error ("'audio_codecs': ['MP4A-LATM']", RR_CONFIG_ERROR_RANGE,
      "$.audio_codecs[0]", "OPUS, PCMU or PCMA");
  expect_room_error ("'video_codecs': 'VP8'", RR_CONFIG_ERROR_TYPE,
      "$.video_codecs", "expected an array of video codec names");
  expect_room_error ("'format': 'mkv', 'video_codecs': ['VP8', 8]",
      RR_CONFIG_ERROR_TYPE, "$.video_codecs[1]", "expected a string, got 8");
}

static void
test_unknown_keys (void)
{
  expect_room_error ("'room': 'x'", RR_CONFIG_ERROR_UNKNOWN_KEY, "$.room",
      "unknown key (did you mean \"room_id\"? known keys: room_id, "
      "recording_id");
  expect_room_error ("'pliInterval': 5", RR_CONFIG_ERROR_UNKNOWN_KEY,
      "$.pliInterval", "did you mean \"pli_interval\"?");
  expect_room_error ("'zzzz': 5", RR_CONFIG_ERROR_UNKNOWN_KEY, "$.zzzz",
      "unknown key (known keys: room_id,");
  expect_room_error ("'a b\\n\\\"': 1", RR_CONFIG_ERROR_UNKNOWN_KEY,
      "$[\"a b\\n\\\"\"]", "unknown key");
  expect_input_error ("{'type': 'whip', 'lsten': '0.0.0.0:80'}",
      RR_CONFIG_ERROR_UNKNOWN_KEY, "$.inputs[0].lsten",
      "unknown key (did you mean \"listen\"? known keys: type, listen, "
      "path, token, ice_servers, max_sessions, max_body_bytes, "
      "allow_origin)");
  /* a key of another input type */
  expect_input_error ("{'type': 'whip', 'url': 'http://x/'}",
      RR_CONFIG_ERROR_UNKNOWN_KEY, "$.inputs[0].url",
      "\"url\" is a key of whep inputs, this input is whip");
  expect_input_error ("{'type': 'rtp', 'sdp': 'v=0', 'listen': ':1'}",
      RR_CONFIG_ERROR_UNKNOWN_KEY, "$.inputs[0].listen",
      "known keys: type, sdp_file, sdp, user_id");
  expect_room_error ("'subscribe': {'allowed': ['a']}",
      RR_CONFIG_ERROR_UNKNOWN_KEY, "$.subscribe.allowed",
      "did you mean \"allow\"?");
  expect_room_error ("'participants': [{'user_id': 'a', 'name': 'A'}]",
      RR_CONFIG_ERROR_UNKNOWN_KEY, "$.participants[0].name",
      "known keys: user_id, token, recording_block");
  /* metadata is free-form */
  {
    RrRoomConfig *c = load_room ("'metadata': {'anything': {'goes': 1}}");

    g_assert_cmpstr (c->metadata_json, ==, "{\"anything\":{\"goes\":1}}");
    rr_room_config_free (c);
  }
}

static void
test_types (void)
{
  expect_room_error ("'pli_interval': '20'", RR_CONFIG_ERROR_TYPE,
      "$.pli_interval", "expected a number of seconds, got a string");
  expect_room_error ("'pli_interval': 1.5", RR_CONFIG_ERROR_TYPE,
      "$.pli_interval", "expected a whole number of seconds, got 1.5");
  expect_room_error ("'pli_interval': null", RR_CONFIG_ERROR_TYPE,
      "$.pli_interval", "got null");
  expect_room_error ("'split_only': 'yes'", RR_CONFIG_ERROR_TYPE,
      "$.split_only", "expected true or false, got a string (\"yes\")");
  expect_room_error ("'stop_when_empty': 1", RR_CONFIG_ERROR_TYPE,
      "$.stop_when_empty", "expected true or false, got 1");
  expect_room_error ("'max_size_bytes': 1000000.5", RR_CONFIG_ERROR_TYPE,
      "$.max_size_bytes", "expected an integer, got 1000000.5");
  expect_room_error ("'latency_ms': true", RR_CONFIG_ERROR_TYPE,
      "$.latency_ms", "expected an integer, got a boolean (true)");
  expect_room_error ("'format': ['mp4']", RR_CONFIG_ERROR_TYPE, "$.format",
      "expected a string, got an array");
  expect_room_error ("'subscribe': ['a']", RR_CONFIG_ERROR_TYPE,
      "$.subscribe", "got an array");
  expect_room_error ("'subscribe': {'block': 'a'}", RR_CONFIG_ERROR_TYPE,
      "$.subscribe.block", "expected an array of user ids");
  expect_room_error ("'participants': {}", RR_CONFIG_ERROR_TYPE,
      "$.participants", "got an object");
  expect_room_error ("'participants': ['alice']", RR_CONFIG_ERROR_TYPE,
      "$.participants[0]", "expected an object");
  expect_error ("{'room_id': 42, " MINIMAL_INPUTS "}", RR_CONFIG_ERROR_TYPE,
      "$.room_id", "expected a string, got 42");
  expect_error ("{'room_id': 'r', 'inputs': {'type': 'whip'}}",
      RR_CONFIG_ERROR_TYPE, "$.inputs", "expected an array of input objects");
  expect_error ("{'room_id': 'r', 'inputs': ['whip']}",
      RR_CONFIG_ERROR_TYPE, "$.inputs[0]", "expected an object");
  expect_input_error ("{'type': 'whip', 'max_sessions': 2.5}",
      RR_CONFIG_ERROR_TYPE, "$.inputs[0].max_sessions",
      "expected an integer, got 2.5");
  expect_input_error ("{'type': 'whip', 'listen': 8080}",
      RR_CONFIG_ERROR_TYPE, "$.inputs[0].listen", "expected a string");
  expect_input_error ("{'type': 'whep', 'url': 'http://h/', "
      "'retry_limit': 1.5}", RR_CONFIG_ERROR_TYPE,
      "$.inputs[0].retry_limit", "expected an integer, got 1.5");
  expect_input_error ("{'type': 'whep', 'url': 'http://h/', "
      "'retry_initial': '1s'}", RR_CONFIG_ERROR_TYPE,
      "$.inputs[0].retry_initial", "expected a number of seconds");
  expect_input_error ("{'type': 'rtp', 'sdp_file': ['a.sdp']}",
      RR_CONFIG_ERROR_TYPE, "$.inputs[0].sdp_file", "expected a string");
  expect_input_error ("{'type': 1}", RR_CONFIG_ERROR_TYPE,
      "$.inputs[0].type", "expected a string");

  /* an integral real is an integer: 2e9 bytes */
  {
    RrRoomConfig *c = load_room ("'max_size_bytes': 2.5e9, "
        "'pli_interval': 30.0");

    g_assert_cmpuint (c->max_size_bytes, ==, 2500000000u);
    g_assert_cmpuint (c->pli_interval_ns, ==, 30 * GST_SECOND);
    rr_room_config_free (c);
  }
}

static void
test_ranges (void)
{
  RrRoomConfig *c;

  expect_room_error ("'pli_interval': 300", RR_CONFIG_ERROR_RANGE,
      "$.pli_interval", "300 is out of range (1–240 seconds)");
  expect_room_error ("'media_timeout': 0", RR_CONFIG_ERROR_RANGE,
      "$.media_timeout", "0 is out of range (1–600 seconds)");
  expect_room_error ("'pli_interval': 0", RR_CONFIG_ERROR_RANGE,
      "$.pli_interval", "0 is out of range (1–240 seconds)");
  expect_room_error ("'pli_interval': -1", RR_CONFIG_ERROR_RANGE,
      "$.pli_interval", "-1 is out of range");
  c = load_room ("'pli_interval': 240, 'latency_ms': 10000, "
      "'hls_target_duration': 60, 'max_idle_time': 86400, "
      "'expire_time': 2592000, 'max_pause': 0, 'split_duration': 86400");
  g_assert_cmpuint (c->pli_interval_ns, ==, 240 * GST_SECOND);
  g_assert_cmpuint (c->latency_ms, ==, 10000);
  g_assert_cmpuint (c->hls_target_duration_ns, ==, 60 * GST_SECOND);
  g_assert_cmpuint (c->max_idle_time_ns, ==, 86400 * GST_SECOND);
  g_assert_cmpuint (c->expire_time_ns, ==, 2592000 * GST_SECOND);
  g_assert_cmpuint (c->max_pause_ns, ==, 0);
  g_assert_cmpuint (c->split_duration_ns, ==, 86400 * GST_SECOND);
  rr_room_config_free (c);

  expect_room_error ("'latency_ms': 10001", RR_CONFIG_ERROR_RANGE,
      "$.latency_ms", "10001 is out of range (0–10000 ms)");
  expect_room_error ("'latency_ms': -1", RR_CONFIG_ERROR_RANGE,
      "$.latency_ms", "out of range");
  expect_room_error ("'hls_target_duration': 0", RR_CONFIG_ERROR_RANGE,
      "$.hls_target_duration", "(1–60 seconds)");
  expect_room_error ("'hls_target_duration': 61", RR_CONFIG_ERROR_RANGE,
      "$.hls_target_duration", "61 is out of range");
  expect_room_error ("'max_size_bytes': 999999", RR_CONFIG_ERROR_RANGE,
      "$.max_size_bytes", "999999 is out of range (0 or 1000000–");
  c = load_room ("'max_size_bytes': 0");
  g_assert_cmpuint (c->max_size_bytes, ==, 0);
  rr_room_config_free (c);
  c = load_room ("'max_size_bytes': 1000000");
  g_assert_cmpuint (c->max_size_bytes, ==, 1000000);
  rr_room_config_free (c);
  expect_room_error ("'max_size_bytes': -1000000", RR_CONFIG_ERROR_RANGE,
      "$.max_size_bytes", "out of range");
  expect_room_error ("'max_pause': -0.5", RR_CONFIG_ERROR_RANGE,
      "$.max_pause", "-0.5 is out of range (0–604800 seconds)");
  expect_room_error ("'expire_time': 2592001", RR_CONFIG_ERROR_RANGE,
      "$.expire_time", "(0 or 1–2592000 seconds)");
  expect_room_error ("'max_idle_time': 4", RR_CONFIG_ERROR_RANGE,
      "$.max_idle_time", "4 is out of range (0 or 5–86400 seconds)");
  c = load_room ("'max_idle_time': 0, 'expire_time': 0");
  g_assert_cmpuint (c->max_idle_time_ns, ==, 0);
  rr_room_config_free (c);
  expect_room_error ("'split_duration': 0", RR_CONFIG_ERROR_RANGE,
      "$.split_duration", "(more than 0, at most 86400 seconds)");
  expect_room_error ("'split_duration': 86400.5", RR_CONFIG_ERROR_RANGE,
      "$.split_duration", "86400.5 is out of range");
  c = load_room ("'split_duration': 0.5");
  g_assert_cmpuint (c->split_duration_ns, ==, 500 * GST_MSECOND);
  rr_room_config_free (c);

  /* huge values are range errors, never wrapped into something valid */
  expect_room_error ("'pli_interval': 1e300", RR_CONFIG_ERROR_RANGE,
      "$.pli_interval", "1e+300 is out of range");
  expect_room_error ("'max_size_bytes': 1.8446744073709552e19",
      RR_CONFIG_ERROR_RANGE, "$.max_size_bytes", "out of range");
  expect_room_error ("'max_size_bytes': 9223372036854775807",
      RR_CONFIG_ERROR_RANGE, "$.max_size_bytes", "out of range");
  expect_room_error ("'split_duration': -1e308", RR_CONFIG_ERROR_RANGE,
      "$.split_duration", "out of range");
  /* beyond 64 bits, or beyond the double range: json-glib would wrap
   * them (to -1) or make them infinite */
  expect_room_error ("'max_size_bytes': 99999999999999999999",
      RR_CONFIG_ERROR_RANGE, "$.max_size_bytes",
      "99999999999999999999 is too large");
  expect_room_error ("'pli_interval': 1e400", RR_CONFIG_ERROR_RANGE,
      "$.pli_interval", "1e400 is too large");
  expect_room_error ("'metadata': {'n': [1, -99999999999999999999]}",
      RR_CONFIG_ERROR_RANGE, "$.metadata.n[1]", "too large");
}

static void
test_max_duration (void)
{
  RrRoomConfig *c;

  /* the default is the same for every format */
  c = load_room ("'format': 'hls'");
  g_assert_cmpuint (c->max_duration_ns, ==, 86400 * GST_SECOND);
  rr_room_config_free (c);

  /* MP4: 1–180 min */
  c = load_room ("'max_duration': 10800");
  g_assert_cmpuint (c->max_duration_ns, ==, 10800 * GST_SECOND);
  rr_room_config_free (c);
  c = load_room ("'max_duration': 60");
  g_assert_cmpuint (c->max_duration_ns, ==, 60 * GST_SECOND);
  rr_room_config_free (c);
  expect_room_error ("'max_duration': 10801", RR_CONFIG_ERROR_RANGE,
      "$.max_duration", "10801 is out of range for format mp4 "
      "(60–10800 seconds)");
  expect_room_error ("'format': 'mp4', 'max_duration': 0",
      RR_CONFIG_ERROR_RANGE, "$.max_duration", "for format mp4");
  expect_room_error ("'max_duration': 59", RR_CONFIG_ERROR_RANGE,
      "$.max_duration", "59 is out of range");

  /* HLS: 0 or 1–720 min */
  c = load_room ("'format': 'hls', 'max_duration': 0");
  g_assert_cmpuint (c->max_duration_ns, ==, 0);
  rr_room_config_free (c);
  c = load_room ("'format': 'hls', 'max_duration': 43200");
  g_assert_cmpuint (c->max_duration_ns, ==, 43200 * GST_SECOND);
  rr_room_config_free (c);
  expect_room_error ("'format': 'hls', 'max_duration': 43201",
      RR_CONFIG_ERROR_RANGE, "$.max_duration",
      "43201 is out of range for format hls (0 or 60–43200 seconds)");

  /* others: 0 or 60 s – 7 days */
  c = load_room ("'format': 'webm', 'max_duration': 604800");
  g_assert_cmpuint (c->max_duration_ns, ==, 604800 * GST_SECOND);
  rr_room_config_free (c);
  c = load_room ("'format': 'mkv', 'max_duration': 0");
  g_assert_cmpuint (c->max_duration_ns, ==, 0);
  rr_room_config_free (c);
  expect_room_error ("'format': 'mkv', 'max_duration': 30",
      RR_CONFIG_ERROR_RANGE, "$.max_duration",
      "30 is out of range for format mkv (0 or 60–604800 seconds)");
  expect_room_error ("'format': 'ogg', 'max_duration': 604801",
      RR_CONFIG_ERROR_RANGE, "$.max_duration", "for format ogg");
  expect_room_error ("'format': 'webm', 'max_duration': 90.5",
      RR_CONFIG_ERROR_TYPE, "$.max_duration", "whole number of seconds");
  expect_room_error ("'max_duration': '1h'", RR_CONFIG_ERROR_TYPE,
      "$.max_duration", "expected a number of seconds, got a string");
}

static void
test_missing (void)
{
  expect_error ("{" MINIMAL_INPUTS "}", RR_CONFIG_ERROR_MISSING,
      "$.room_id", "required key is missing");
  expect_error ("{'room_id': 'r'}", RR_CONFIG_ERROR_MISSING, "$.inputs",
      "required key is missing");
  expect_error ("{'room_id': 'r', 'inputs': []}", RR_CONFIG_ERROR_MISSING,
      "$.inputs", "at least one input");
  expect_input_error ("{'listen': '0.0.0.0:1'}", RR_CONFIG_ERROR_MISSING,
      "$.inputs[0].type", "required key is missing");
  expect_input_error ("{'type': 'whep'}", RR_CONFIG_ERROR_MISSING,
      "$.inputs[0].url", "required key is missing");
  expect_input_error ("{'type': 'rtp', 'user_id': 'a'}",
      RR_CONFIG_ERROR_MISSING, "$.inputs[0]", "\"sdp_file\"");
  expect_room_error ("'participants': [{'token': '0123456789abcdef'}]",
      RR_CONFIG_ERROR_MISSING, "$.participants[0].user_id",
      "required key is missing");
  /* the path names the failing input, not the first one */
  expect_error ("{'room_id': 'r', 'inputs': [{'type': 'whip'}, "
      "{'type': 'whep'}]}", RR_CONFIG_ERROR_MISSING, "$.inputs[1].url", NULL);
}

static void
test_strings (void)
{
  RrRoomConfig *c;
  gchar *id255 = g_strnfill (255, 'x');
  gchar *id256 = g_strnfill (256, 'x');
  gchar *json;

  json = g_strdup_printf ("{'room_id': '%s', " MINIMAL_INPUTS "}", id255);
  c = load (json);
  g_assert_cmpuint (strlen (c->room_id), ==, 255);
  rr_room_config_free (c);
  g_free (json);
  json = g_strdup_printf ("{'room_id': '%s', " MINIMAL_INPUTS "}", id256);
  expect_error (json, RR_CONFIG_ERROR_RANGE, "$.room_id",
      "is 256 bytes long; 1–255 bytes are allowed");
  g_free (json);
  json = g_strdup_printf ("{'room_id': 'r', 'recording_id': '%s', "
      MINIMAL_INPUTS "}", id256);
  expect_error (json, RR_CONFIG_ERROR_RANGE, "$.recording_id", "256 bytes");
  g_free (json);

  expect_error ("{'room_id': '', " MINIMAL_INPUTS "}", RR_CONFIG_ERROR_RANGE,
      "$.room_id", "must not be empty");
  expect_error ("{'room_id': 'a\\nb', " MINIMAL_INPUTS "}",
      RR_CONFIG_ERROR_RANGE, "$.room_id", "control character U+000A");
  expect_error ("{'room_id': 'a\\u0085b', " MINIMAL_INPUTS "}",
      RR_CONFIG_ERROR_RANGE, "$.room_id", "control character U+0085");
  expect_room_error ("'recording_id': 'a\\tb'", RR_CONFIG_ERROR_RANGE,
      "$.recording_id", "control character");
  expect_room_error ("'archive_dir': ''", RR_CONFIG_ERROR_RANGE,
      "$.archive_dir", "must not be empty");
  expect_room_error ("'app_id': 'x\\u001b[31m'", RR_CONFIG_ERROR_RANGE,
      "$.app_id", "control character");
  /* Unicode is fine */
  c = load ("{'room_id': '教室-\\u00e9', " MINIMAL_INPUTS "}");
  g_assert_cmpstr (c->room_id, ==, "教室-é");
  rr_room_config_free (c);

  g_free (id255);
  g_free (id256);
}

static void
test_naming (void)
{
  RrRoomConfig *c;

  c = load_room ("'naming': 'sparkrtc'");
  g_assert_cmpint (c->naming, ==, RR_NAMING_PRESET_SPARKRTC);
  rr_room_config_free (c);
  expect_room_error ("'naming': 'zoom'", RR_CONFIG_ERROR_RANGE, "$.naming",
      "\"zoom\" is not a naming preset (sora, trtc or sparkrtc)");
  expect_room_error ("'naming': 'Sora'", RR_CONFIG_ERROR_RANGE, "$.naming",
      NULL);
  expect_room_error ("'naming_template': '../{recording_id}'",
      RR_CONFIG_ERROR_RANGE, "$.naming_template", "'..'");
  expect_room_error ("'naming_template': '/abs/{recording_id}'",
      RR_CONFIG_ERROR_RANGE, "$.naming_template", "absolute path");
  expect_room_error ("'naming_template': '{nope}'", RR_CONFIG_ERROR_RANGE,
      "$.naming_template", "unknown variable {nope}");
  expect_room_error ("'split_naming_template': '{recording_id}/split'",
      RR_CONFIG_ERROR_RANGE, "$.split_naming_template", "must use {index}");
  expect_room_error ("'split_naming_template': '{recording_id}/{index'",
      RR_CONFIG_ERROR_RANGE, "$.split_naming_template", "unclosed");
}

static void
test_format_and_split (void)
{
  RrRoomConfig *c;

  expect_room_error ("'format': 'avi'", RR_CONFIG_ERROR_RANGE, "$.format",
      "\"avi\" is not a format (mp4, webm, mkv, hls or ogg)");
  expect_room_error ("'format': 'MP4'", RR_CONFIG_ERROR_RANGE, "$.format",
      NULL);

  expect_room_error ("'split_only': true", RR_CONFIG_ERROR_COMBINATION,
      "$.split_only", "needs split_duration");
  c = load_room ("'split_only': false");
  g_assert_false (c->split_only);
  rr_room_config_free (c);
  c = load_room ("'split_only': true, 'split_duration': 3600");
  g_assert_true (c->split_only);
  g_assert_cmpuint (c->split_duration_ns, ==, 3600 * GST_SECOND);
  rr_room_config_free (c);
  expect_room_error ("'format': 'hls', 'split_duration': 60",
      RR_CONFIG_ERROR_COMBINATION, "$.split_duration",
      "use hls_target_duration");
}

static void
test_whip (void)
{
  static const struct
  {
    const gchar *listen;
    const gchar *address;
    guint port;
  } good[] = {
    {"127.0.0.1:8080", "127.0.0.1", 8080},
    {"0.0.0.0:0", "0.0.0.0", 0},
    {"[::1]:8080", "::1", 8080},
    {"[::]:65535", "::", 65535},
    {"localhost:443", "localhost", 443},
    {"rec-1.example.com:1", "rec-1.example.com", 1},
  };
  static const gchar *const bad_listen[] = { "localhost", "127.0.0.1",
    "127.0.0.1:", ":8080", "127.0.0.1:65536", "127.0.0.1:-1",
    "127.0.0.1:80x", "127.0.0.1:123456", "::1:8080", "[::1]8080",
    "[127.0.0.1]:80", "[::1:80", "300.1.1.1:80", "a_b:80", "-x:80",
  };
  static const gchar *const bad_paths[] = { "whip", "/", "/whip/",
    "/a/../b", "/..", "/whip?x=1", "/whip#f", "//whip", "/a//b", "/a/./b",
    "/a/.", "/a b", "/a%zz", "/a\\\\b", "/a\\\"b",
  };
  RrRoomConfig *c;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (good); i++) {
    gchar *in = g_strdup_printf ("{'type': 'whip', 'listen': '%s'}",
        good[i].listen);

    c = load_input (in);
    g_assert_cmpstr (c->inputs[0].listen_address, ==, good[i].address);
    g_assert_cmpuint (c->inputs[0].listen_port, ==, good[i].port);
    rr_room_config_free (c);
    g_free (in);
  }
  for (i = 0; i < G_N_ELEMENTS (bad_listen); i++) {
    gchar *in = g_strdup_printf ("{'type': 'whip', 'listen': '%s'}",
        bad_listen[i]);

    expect_input_error (in, RR_CONFIG_ERROR_RANGE, "$.inputs[0].listen",
        "is not host:port");
    g_free (in);
  }
  expect_input_error ("{'type': 'whip', 'listen': '0.0.0.0: 80'}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].listen", "printable ASCII");

  c = load_input ("{'type': 'whip', 'path': '/rooms/a-1/whip~x%20y'}");
  g_assert_cmpstr (c->inputs[0].url_path, ==, "/rooms/a-1/whip~x%20y");
  rr_room_config_free (c);
  for (i = 0; i < G_N_ELEMENTS (bad_paths); i++) {
    gchar *in = g_strdup_printf ("{'type': 'whip', 'path': '%s'}",
        bad_paths[i]);

    expect_input_error (in, RR_CONFIG_ERROR_RANGE, "$.inputs[0].path", NULL);
    g_free (in);
  }
  expect_input_error ("{'type': 'whip', 'path': 'whip'}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].path", "must start with \"/\"");
  expect_input_error ("{'type': 'whip', 'path': '/whip/'}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].path", "must not end with \"/\"");
  expect_input_error ("{'type': 'whip', 'path': '/a/../b'}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].path", "\"..\"");
  expect_input_error ("{'type': 'whip', 'path': '/whip?x'}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].path", "query");

  /* tokens: at least 16 characters, never echoed in messages */
  c = load_input ("{'type': 'whip', 'token': '0123456789abcdef'}");
  g_assert_cmpstr (c->inputs[0].token, ==, "0123456789abcdef");
  rr_room_config_free (c);
  expect_input_error ("{'type': 'whip', 'token': 'secret-15-chars'}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].token",
      "is 15 characters long; 16–4096 characters are allowed");
  expect_input_error ("{'type': 'whip', 'token': 'secret with spaces!!'}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].token", "printable ASCII");
  {
    GError *err = NULL;
    gchar *text = q ("{'room_id': 'r', 'inputs': [{'type': 'whip', "
        "'token': 'hunter2-secret'}]}");

    g_assert_null (rr_room_config_load_data (text, -1, &err));
    g_assert_nonnull (err);
    g_assert_null (strstr (err->message, "hunter2"));
    g_clear_error (&err);
    g_free (text);
  }

  expect_input_error ("{'type': 'whip', 'ice_servers': ['http://x']}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].ice_servers[0]",
      "is not a STUN/TURN URL");
  expect_input_error ("{'type': 'whip', 'ice_servers': ['stun:a', 'turn:']}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].ice_servers[1]", NULL);
  expect_input_error ("{'type': 'whip', 'ice_servers': ['stun:a>; rel=x']}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].ice_servers[0]", NULL);
  expect_input_error ("{'type': 'whip', 'ice_servers': 'stun:a'}",
      RR_CONFIG_ERROR_TYPE, "$.inputs[0].ice_servers", "expected an array");
  c = load_input ("{'type': 'whip', 'ice_servers': []}");
  g_assert_nonnull (c->inputs[0].ice_servers);
  g_assert_null (c->inputs[0].ice_servers[0]);
  rr_room_config_free (c);

  expect_input_error ("{'type': 'whip', 'max_sessions': 0}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].max_sessions", "(1–1000)");
  expect_input_error ("{'type': 'whip', 'max_sessions': 1001}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].max_sessions", NULL);
  expect_input_error ("{'type': 'whip', 'max_body_bytes': 1023}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].max_body_bytes",
      "(1024–1048576 bytes)");
  expect_input_error ("{'type': 'whip', 'max_body_bytes': 1048577}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].max_body_bytes", NULL);
  c = load_input ("{'type': 'whip', 'max_body_bytes': 1048576, "
      "'max_sessions': 1}");
  g_assert_cmpuint (c->inputs[0].max_body_bytes, ==, 1048576);
  g_assert_cmpuint (c->inputs[0].max_sessions, ==, 1);
  rr_room_config_free (c);
  /* a header value: no CR/LF */
  expect_input_error ("{'type': 'whip', 'allow_origin': 'x\\r\\nSet-Cookie: "
      "a'}", RR_CONFIG_ERROR_RANGE, "$.inputs[0].allow_origin", NULL);

  /* one WHIP endpoint per room */
  expect_input_error ("{'type': 'whip'}, {'type': 'rtp', 'sdp': 'v=0'}, "
      "{'type': 'whip', 'listen': '0.0.0.0:9'}",
      RR_CONFIG_ERROR_COMBINATION, "$.inputs[2]",
      "only one whip input per room ($.inputs[0] is one already)");
  expect_input_error ("{'type': 'WHIP'}", RR_CONFIG_ERROR_RANGE,
      "$.inputs[0].type", "\"WHIP\" is not an input type (whip, whep or "
      "rtp)");
}

static void
test_whep (void)
{
  RrRoomConfig *c;

  c = load_input ("{'type': 'whep', 'url': 'HTTPS://[::1]:8443/whep', "
      "'retry_initial': 0.1, 'retry_max': 0.1e1, 'retry_limit': 0}");
  g_assert_cmpuint (c->inputs[0].retry_initial_ms, ==, 100);
  g_assert_cmpuint (c->inputs[0].retry_max_ms, ==, 1000);
  rr_room_config_free (c);
  c = load_input ("{'type': 'whep', 'url': 'http://h/w', "
      "'retry_initial': 60, 'retry_max': 3600, 'retry_limit': 4294967295}");
  g_assert_cmpuint (c->inputs[0].retry_initial_ms, ==, 60000);
  g_assert_cmpuint (c->inputs[0].retry_max_ms, ==, 3600000);
  g_assert_cmpuint (c->inputs[0].retry_limit, ==, G_MAXUINT);
  rr_room_config_free (c);

  expect_input_error ("{'type': 'whep', 'url': 'ftp://h/w'}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].url", "is not an http:// or "
      "https:// URL");
  expect_input_error ("{'type': 'whep', 'url': 'sfu.example.com/whep'}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].url", NULL);
  expect_input_error ("{'type': 'whep', 'url': 'http:///whep'}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].url", NULL);
  expect_input_error ("{'type': 'whep', 'url': 'http://h/a b'}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].url", NULL);
  expect_input_error ("{'type': 'whep', 'url': 'http://h/', "
      "'retry_initial': 0.05}", RR_CONFIG_ERROR_RANGE,
      "$.inputs[0].retry_initial", "0.05 is out of range (0.1–60 seconds)");
  expect_input_error ("{'type': 'whep', 'url': 'http://h/', "
      "'retry_max': 0.5}", RR_CONFIG_ERROR_RANGE, "$.inputs[0].retry_max",
      "(1–3600 seconds)");
  expect_input_error ("{'type': 'whep', 'url': 'http://h/', "
      "'retry_initial': 10, 'retry_max': 5}", RR_CONFIG_ERROR_COMBINATION,
      "$.inputs[0].retry_max", "retry_max (5 s) is less than retry_initial "
      "(10 s)");
  expect_input_error ("{'type': 'whep', 'url': 'http://h/', "
      "'retry_initial': 45}", RR_CONFIG_ERROR_COMBINATION,
      "$.inputs[0].retry_initial", "30 s, the default");
  expect_input_error ("{'type': 'whep', 'url': 'http://h/', "
      "'retry_limit': -1}", RR_CONFIG_ERROR_RANGE,
      "$.inputs[0].retry_limit", "out of range");
  expect_input_error ("{'type': 'whep', 'url': 'http://h/', "
      "'retry_limit': 4294967296}", RR_CONFIG_ERROR_RANGE,
      "$.inputs[0].retry_limit", "out of range");
  expect_input_error ("{'type': 'whep', 'url': 'http://h/', 'token': 'x'}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].token", "16–4096");
  expect_input_error ("{'type': 'whep', 'url': 'http://h/', 'user_id': ''}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].user_id", "must not be empty");
}

static void
test_rtp (void)
{
  RrRoomConfig *c;

  /* the SDP file is not opened here: the launcher does that */
  c = load_input ("{'type': 'rtp', 'sdp_file': '/nonexistent/x.sdp'}");
  g_assert_cmpstr (c->inputs[0].sdp_file, ==, "/nonexistent/x.sdp");
  rr_room_config_free (c);
  c = load_input ("{'type': 'rtp', 'sdp': 'v=0\\n', 'user_id': 'u'}");
  g_assert_cmpstr (c->inputs[0].sdp, ==, "v=0\n");
  g_assert_cmpstr (c->inputs[0].user_id, ==, "u");
  rr_room_config_free (c);

  expect_input_error ("{'type': 'rtp', 'sdp_file': 'a.sdp', 'sdp': 'v=0'}",
      RR_CONFIG_ERROR_COMBINATION, "$.inputs[0]", "not both");
  expect_input_error ("{'type': 'rtp'}", RR_CONFIG_ERROR_MISSING,
      "$.inputs[0]", "\"sdp_file\" (a path) or \"sdp\"");
  expect_input_error ("{'type': 'rtp', 'sdp': 'm=video 5004 RTP/AVP 96'}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].sdp", "must start with \"v=0\"");
  expect_input_error ("{'type': 'rtp', 'sdp': ''}", RR_CONFIG_ERROR_RANGE,
      "$.inputs[0].sdp", "must not be empty");
  expect_input_error ("{'type': 'rtp', 'sdp': 'v=0\\u0001'}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].sdp", "control character");
  expect_input_error ("{'type': 'rtp', 'sdp_file': 'a\\nb'}",
      RR_CONFIG_ERROR_RANGE, "$.inputs[0].sdp_file", "control character");
}

static void
test_subscribe (void)
{
  RrRoomConfig *c;

  c = load_room ("'subscribe': {'block': []}");
  g_assert_null (c->subscribe_allow);
  g_assert_nonnull (c->subscribe_block);
  g_assert_null (c->subscribe_block[0]);
  rr_room_config_free (c);
  c = load_room ("'subscribe': {}");
  g_assert_null (c->subscribe_allow);
  g_assert_null (c->subscribe_block);
  rr_room_config_free (c);

  expect_room_error ("'subscribe': {'allow': ['a', 'b'], 'block': ['c', "
      "'b']}", RR_CONFIG_ERROR_COMBINATION, "$.subscribe.block[1]",
      "user \"b\" is both allowed and blocked");
  expect_room_error ("'subscribe': {'allow': []}", RR_CONFIG_ERROR_RANGE,
      "$.subscribe.allow", "would record nobody");
  expect_room_error ("'subscribe': {'allow': ['a', '']}",
      RR_CONFIG_ERROR_RANGE, "$.subscribe.allow[1]", "must not be empty");
  expect_room_error ("'subscribe': {'block': [null]}", RR_CONFIG_ERROR_TYPE,
      "$.subscribe.block[0]", "expected a string, got null");
}

static void
test_participants (void)
{
  expect_room_error ("'participants': [{'user_id': 'a'}, {'user_id': 'b'}, "
      "{'user_id': 'a'}]", RR_CONFIG_ERROR_COMBINATION,
      "$.participants[2].user_id", "user \"a\" is listed twice (also at "
      "$.participants[0])");
  {
    GError *err = NULL;
    gchar *text = q ("{'room_id': 'r', " MINIMAL_INPUTS ", 'participants': "
        "[{'user_id': 'a', 'token': 'same-token-0123456789'}, "
        "{'user_id': 'b', 'token': 'same-token-0123456789'}]}");

    expect_error_raw (text, -1, RR_CONFIG_ERROR_COMBINATION,
        "$.participants[1].token", "the same token is given to "
        "$.participants[0]");
    g_assert_null (rr_room_config_load_data (text, -1, &err));
    g_assert_null (strstr (err->message, "same-token"));
    g_clear_error (&err);
    g_free (text);
  }
  expect_room_error ("'participants': [{'user_id': 'a', 'token': 'short'}]",
      RR_CONFIG_ERROR_RANGE, "$.participants[0].token", "16–4096");
  expect_room_error ("'participants': [{'user_id': 'a', "
      "'recording_block': 'yes'}]", RR_CONFIG_ERROR_TYPE,
      "$.participants[0].recording_block", "expected true or false");
}

static void
test_metadata (void)
{
  RrRoomConfig *c;

  c = load_room ("'metadata': 'lesson 3'");
  g_assert_cmpstr (c->metadata_json, ==, "\"lesson 3\"");
  rr_room_config_free (c);
  c = load_room ("'metadata': [1, true, {'a': 'é'}]");
  g_assert_cmpstr (c->metadata_json, ==, "[1,true,{\"a\":\"é\"}]");
  rr_room_config_free (c);
  c = load_room ("'metadata': 12.5");
  g_assert_cmpstr (c->metadata_json, ==, "12.5");
  rr_room_config_free (c);
  c = load_room ("'metadata': null");
  g_assert_null (c->metadata_json);
  rr_room_config_free (c);
  /* a key twice is an error inside metadata too */
  expect_room_error ("'metadata': {'a': 1, 'a': 2}", RR_CONFIG_ERROR_SYNTAX,
      "$.metadata.a", "appears twice");
}

static void
test_may_record (void)
{
  RrRoomConfig *c;

  /* no lists: everybody, anonymous too */
  c = load_room ("");
  g_assert_true (rr_room_config_may_record (c, "alice"));
  g_assert_true (rr_room_config_may_record (c, NULL));
  rr_room_config_free (c);

  c = load_room ("'subscribe': {'block': ['eve']}, 'participants': ["
      "{'user_id': 'bob', 'recording_block': true}, {'user_id': 'carol', "
      "'recording_block': false}]");
  g_assert_true (rr_room_config_may_record (c, "alice"));
  g_assert_true (rr_room_config_may_record (c, "carol"));
  g_assert_true (rr_room_config_may_record (c, NULL));
  g_assert_false (rr_room_config_may_record (c, "eve"));
  g_assert_false (rr_room_config_may_record (c, "bob"));
  g_assert_true (rr_room_config_may_record (c, "Eve"));
  g_assert_true (rr_room_config_may_record (c, "bo"));
  rr_room_config_free (c);

  /* an allow list: only those on it; blocks still win */
  c = load_room ("'subscribe': {'allow': ['alice', 'bob', 'carol'], "
      "'block': ['eve']}, 'participants': [{'user_id': 'bob', "
      "'recording_block': true}]");
  g_assert_true (rr_room_config_may_record (c, "alice"));
  g_assert_true (rr_room_config_may_record (c, "carol"));
  g_assert_false (rr_room_config_may_record (c, "bob"));
  g_assert_false (rr_room_config_may_record (c, "eve"));
  g_assert_false (rr_room_config_may_record (c, "dave"));
  g_assert_false (rr_room_config_may_record (c, NULL));
  g_assert_false (rr_room_config_may_record (c, ""));
  rr_room_config_free (c);
}

static void
test_participant_for_token (void)
{
  RrRoomConfig *c = load_room ("'participants': ["
      "{'user_id': 'alice', 'token': 'alice-token-0123456789'},"
      "{'user_id': 'bob'},"
      "{'user_id': 'carol', 'token': 'carol-token-0123456789'}]");
  const RrParticipantConfig *p;

  p = rr_room_config_participant_for_token (c, "carol-token-0123456789");
  g_assert_nonnull (p);
  g_assert_cmpstr (p->user_id, ==, "carol");
  g_assert_true (p == &c->participants[2]);
  p = rr_room_config_participant_for_token (c, "alice-token-0123456789");
  g_assert_nonnull (p);
  g_assert_cmpstr (p->user_id, ==, "alice");

  g_assert_null (rr_room_config_participant_for_token (c, NULL));
  g_assert_null (rr_room_config_participant_for_token (c, ""));
  /* prefixes, extensions, one byte off */
  g_assert_null (rr_room_config_participant_for_token (c,
          "alice-token-012345678"));
  g_assert_null (rr_room_config_participant_for_token (c,
          "alice-token-01234567890"));
  g_assert_null (rr_room_config_participant_for_token (c,
          "alice-token-0123456788"));
  g_assert_null (rr_room_config_participant_for_token (c,
          "Alice-token-0123456789"));
  rr_room_config_free (c);

  c = load_room ("");
  g_assert_null (rr_room_config_participant_for_token (c, "anything-at-all"));
  rr_room_config_free (c);
}

static void
test_syntax (void)
{
  static const struct
  {
    const gchar *json;
    const gchar *path;
    const gchar *needle;
  } cases[] = {
    {"", "$", "line 1, column 1: the room config is empty"},
    {"  \n ", "$", "empty"},
    {"nope", "$", "line 1, column 1: JSON syntax error"},
    {"[1, 2]", "$", "must be a JSON object"},
    {"'just a string'", "$", "got a string"},
    {"{'room_id': 'r',\n 'inputs': [],}", "$.inputs",
        "line 2, column 15: JSON syntax error: a comma before '}'"},
    {"{'room_id': 'r', 'inputs': [1,]}", "$.inputs[1]", "trailing commas"},
    {"{'room_id': 'r' /* c */}", "$.room_id", "JSON has no comments"},
    {"{'room_id': 'r'} // c", "$", "JSON has no comments"},
    {"{room_id: 1}", "$", "line 1, column 2: JSON syntax error: expected a "
          "key in double quotes, got 'r'"},
    {"{'room_id': 'r'} {}", "$", "expected the end of the file"},
    {"{'room_id': 'r'", "$.room_id", "got the end of the file"},
    {"{'room_id': 'r", "$.room_id", "unterminated string"},
    {"{'a': 01}", "$.a", "leading zeros"},
    {"{'a': 0x10}", "$.a", "expected ',' or '}'"},
    {"{'a': .5}", "$.a", "expected a value"},
    {"{'a': 1.}", "$.a", "expected a digit after '.'"},
    {"{'a': 1e}", "$.a", "exponent"},
    {"{'a': -}", "$.a", "expected a digit"},
    {"{'a': +1}", "$.a", "expected a value"},
    {"{'a': NaN}", "$.a", "expected a value"},
    {"{'a': Infinity}", "$.a", "expected a value"},
    {"{'a': tru}", "$.a", "expected a value"},
    {"{'a': '\\x'}", "$.a", "expected one of"},
    {"{'a': '\\u12'}", "$.a", "4 hex digits"},
    {"{'a': 'x\\u0000y'}", "$.a", "\\u0000"},
    {"{'a': '\\ud800'}", "$.a", "high surrogate"},
    {"{'a': '\\udc00'}", "$.a", "low surrogate"},
    {"{'a': 'tab\there'}", "$.a", "control character 0x09"},
    {"{'room_id': 'r', 'room_id': 's'}", "$.room_id",
        "this key appears twice"},
    {"{'inputs': [{'type': 'whip', 'type': 'whep'}]}", "$.inputs[0].type",
        "appears twice"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_test_message ("case %u: %s", i, cases[i].json);
    expect_error (cases[i].json, RR_CONFIG_ERROR_SYNTAX, cases[i].path,
        cases[i].needle);
  }

  /* invalid UTF-8, a NUL byte, explicit lengths */
  expect_error_raw ("{\"room_id\": \"\xff\"}", -1, RR_CONFIG_ERROR_SYNTAX,
      "$", "not valid UTF-8 (byte 0xFF at offset 13)");
  expect_error_raw ("{\"room_id\": \"a\0b\"}", 18, RR_CONFIG_ERROR_SYNTAX,
      "$", "a NUL byte at offset 14");
  /* single quotes are not JSON */
  expect_error_raw ("{'room_id': 'r'}", -1, RR_CONFIG_ERROR_SYNTAX, "$",
      "got ''' (JSON strings and keys take double quotes)");
  expect_error_raw ("{}garbage", 2, RR_CONFIG_ERROR_MISSING, "$.room_id", NULL);

  /* too deep */
  {
    GString *s = g_string_new ("{\"room_id\": \"r\", \"metadata\": ");
    GString *path = g_string_new ("$.metadata");
    guint d;

    for (d = 0; d < 100000; d++)
      g_string_append_c (s, '[');
    /* the object and 63 arrays are fine, the 64th array is not */
    for (d = 0; d < 63; d++)
      g_string_append (path, "[0]");
    expect_error_raw (s->str, s->len, RR_CONFIG_ERROR_SYNTAX, path->str,
        "nested more than 64 deep");
    g_string_free (s, TRUE);
    g_string_free (path, TRUE);
  }
  /* 63 levels of metadata are fine */
  {
    GString *s = g_string_new ("{\"room_id\": \"r\", " "\"inputs\": "
        "[{\"type\": \"whip\"}], \"metadata\": ");
    RrRoomConfig *c;
    guint d;

    for (d = 0; d < 63; d++)
      g_string_append_c (s, '[');
    for (d = 0; d < 63; d++)
      g_string_append_c (s, ']');
    g_string_append_c (s, '}');
    c = rr_room_config_load_data (s->str, s->len, NULL);
    g_assert_nonnull (c);
    g_assert_cmpuint (strlen (c->metadata_json), ==, 126);
    rr_room_config_free (c);
    g_string_free (s, TRUE);
  }

  /* a UTF-8 byte order mark is skipped; other escapes decode */
  {
    gchar *text = q ("\xef\xbb\xbf{'room_id': 'a\\/b\\u00e9\\ud83d\\ude00', "
        MINIMAL_INPUTS "}");
    RrRoomConfig *c = rr_room_config_load_data (text, -1, NULL);

    g_assert_nonnull (c);
    g_assert_cmpstr (c->room_id, ==, "a/bé\xf0\x9f\x98\x80");
    rr_room_config_free (c);
    g_free (text);
  }
  /* not NUL-terminated */
  {
    static const gchar text[] = "{\"room_id\": \"r\", \"inputs\": "
        "[{\"type\": \"whip\"}]}XXXX";
    gchar *copy = g_memdup2 (text, sizeof (text) - 5);
    RrRoomConfig *c = rr_room_config_load_data (copy, sizeof (text) - 5,
        NULL);

    g_assert_nonnull (c);
    rr_room_config_free (c);
    g_free (copy);
  }
  /* more than 1 MiB */
  {
    gsize n = 1024 * 1024 + 1;
    gchar *big = g_malloc (n + 1);

    memset (big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    big[n] = '\0';
    expect_error_raw (big, -1, RR_CONFIG_ERROR_SYNTAX, "$", "at most 1 MiB");
    g_free (big);
  }
}

static void
test_load_file (void)
{
  GError *err = NULL;
  gchar *dir = g_dir_make_tmp ("roomrec-config-XXXXXX", &err);
  gchar *good, *bad, *big, *missing, *text;
  RrRoomConfig *c;

  g_assert_no_error (err);
  good = g_build_filename (dir, "good.json", NULL);
  bad = g_build_filename (dir, "bad.json", NULL);
  big = g_build_filename (dir, "big.json", NULL);
  missing = g_build_filename (dir, "missing.json", NULL);

  text = q ("{'room_id': 'file-room', " MINIMAL_INPUTS "}");
  g_assert_true (g_file_set_contents (good, text, -1, NULL));
  g_free (text);
  c = rr_room_config_load_file (good, &err);
  g_assert_no_error (err);
  g_assert_cmpstr (c->room_id, ==, "file-room");
  rr_room_config_free (c);

  /* errors in the file name the file, then the path */
  text = q ("{'room_id': 'r', 'pli_interval': 0, " MINIMAL_INPUTS "}");
  g_assert_true (g_file_set_contents (bad, text, -1, NULL));
  g_free (text);
  g_assert_null (rr_room_config_load_file (bad, &err));
  g_assert_error (err, RR_CONFIG_ERROR, RR_CONFIG_ERROR_RANGE);
  g_assert_true (g_str_has_suffix (err->message, "bad.json: "
          "$.pli_interval: 0 is out of range (1–240 seconds)"));
  g_clear_error (&err);

  g_assert_null (rr_room_config_load_file (missing, &err));
  g_assert_error (err, RR_CONFIG_ERROR, RR_CONFIG_ERROR_SYNTAX);
  g_assert_nonnull (strstr (err->message, "missing.json"));
  g_assert_nonnull (strstr (err->message, "No such file"));
  g_clear_error (&err);

  g_assert_null (rr_room_config_load_file (dir, &err));
  g_assert_error (err, RR_CONFIG_ERROR, RR_CONFIG_ERROR_SYNTAX);
  g_assert_nonnull (strstr (err->message, dir));
  g_clear_error (&err);

  text = g_strnfill (1024 * 1024 + 10, ' ');
  text[0] = '{';
  g_assert_true (g_file_set_contents (big, text, -1, NULL));
  g_free (text);
  g_assert_null (rr_room_config_load_file (big, &err));
  g_assert_error (err, RR_CONFIG_ERROR, RR_CONFIG_ERROR_SYNTAX);
  g_assert_nonnull (strstr (err->message, "big.json"));
  g_assert_nonnull (strstr (err->message, "larger than 1 MiB"));
  g_clear_error (&err);

  g_unlink (good);
  g_unlink (bad);
  g_unlink (big);
  g_rmdir (dir);
  g_free (good);
  g_free (bad);
  g_free (big);
  g_free (missing);
  g_free (dir);
}

/* Every example config (pipelines/NAME.json) loads. */
static void
test_examples (void)
{
  const gchar *src = g_getenv ("ROOMREC_SOURCE_DIR");
  gchar *dir;
  GDir *d;
  const gchar *name;
  guint n = 0;

  if (src == NULL) {
    g_test_skip ("ROOMREC_SOURCE_DIR is not set (run through meson test)");
    return;
  }
  dir = g_build_filename (src, "pipelines", NULL);
  d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL) {
    gchar *path;
    GError *err = NULL;
    RrRoomConfig *c;

    /* serve*.json: configs of roomrec serve (test-serviceconfig) */
    if (!g_str_has_suffix (name, ".json") || g_str_has_prefix (name, "serve"))
      continue;
    path = g_build_filename (dir, name, NULL);
    c = rr_room_config_load_file (path, &err);
    if (err)
      g_test_message ("%s", err->message);
    g_assert_no_error (err);
    g_assert_nonnull (c);
    g_assert_cmpuint (c->n_inputs, >, 0);
    rr_room_config_free (c);
    g_free (path);
    n++;
  }
  g_dir_close (d);
  g_free (dir);
  g_assert_cmpuint (n, >=, 2);
}

static void
test_free_null (void)
{
  rr_room_config_free (NULL);
}

static void
test_mix_defaults (void)
{
  RrRoomConfig *c = load_room ("");

  g_assert_cmpint (c->mode, ==, RR_ROOM_MODE_SINGLE);
  rr_room_config_free (c);

  c = load_room ("'mode': 'mixed'");
  g_assert_cmpint (c->mode, ==, RR_ROOM_MODE_MIXED);
  g_assert_cmpuint (c->mix.outputs, ==, RR_MIX_OUTPUT_HLS);
  g_assert_cmpstr (rr_mix_output_name (c->mix.outputs), ==, "hls");
  g_assert_cmpint (c->mix.video_codec, ==, RR_CODEC_H264);
  g_assert_cmpint (c->mix.audio_codec, ==, RR_CODEC_AAC);
  g_assert_cmpint (c->mix.width, ==, 1280);
  g_assert_cmpint (c->mix.height, ==, 720);
  g_assert_cmpint (c->mix.fps, ==, 30);
  g_assert_cmpuint (c->mix.bitrate_kbps, ==, 2500);
  g_assert_cmpuint (c->mix.gop_s, ==, 2);
  g_assert_cmpuint (c->mix.audio_bitrate_kbps, ==, 64);
  g_assert_cmpint (c->mix.layout, ==, RR_LAYOUT_GRID);
  g_assert_cmphex (c->mix.background, ==, 0xff000000);
  g_assert_null (c->mix.regions_json);
  g_assert_null (c->mix.watermarks_json);
  /* mixed decodes: every WebRTC codec is offered, whatever mp4 takes */
  {
    static const RrCodec all[] = { RR_CODEC_VP8, RR_CODEC_H264,
      RR_CODEC_VP9, RR_CODEC_AV1, RR_CODEC_H265
    };
    assert_codecs (c->video_codecs, c->n_video_codecs, all, G_N_ELEMENTS (all));
  }
  rr_room_config_free (c);
}

static void
test_mix_everything (void)
{
  RrRoomConfig *c = load_room ("'mode': 'both', 'format': 'webm', "
      "'mix': {'format': 'webm', 'video_codec': 'VP9', 'width': 640, "
      "'height': 360, 'fps': 15, 'bitrate': 800, 'gop': 4, "
      "'audio_bitrate': 48, 'layout': 'custom', 'regions': [{'x': 0, "
      "'y': 0, 'w': '50%', 'h': '100%', 'slot': 0}], 'background': "
      "'#3366cc', 'background_image': 'bg.png', 'placeholder_image': "
      "'p.png', 'main_participant': 'alice', 'watermarks': [{'image': "
      "'logo.png', 'top': 10, 'left': 20, 'width': 100, 'height': 50}]}");

  g_assert_cmpint (c->mode, ==, RR_ROOM_MODE_BOTH);
  g_assert_cmpuint (c->mix.outputs, ==, RR_MIX_OUTPUT_WEBM);
  g_assert_cmpint (c->mix.video_codec, ==, RR_CODEC_VP9);
  g_assert_cmpint (c->mix.audio_codec, ==, RR_CODEC_OPUS);
  g_assert_cmpint (c->mix.width, ==, 640);
  g_assert_cmpint (c->mix.height, ==, 360);
  g_assert_cmpint (c->mix.fps, ==, 15);
  g_assert_cmpuint (c->mix.bitrate_kbps, ==, 800);
  g_assert_cmpuint (c->mix.gop_s, ==, 4);
  g_assert_cmpuint (c->mix.audio_bitrate_kbps, ==, 48);
  g_assert_cmpint (c->mix.layout, ==, RR_LAYOUT_CUSTOM);
  g_assert_nonnull (strstr (c->mix.regions_json, "\"50%\""));
  g_assert_cmphex (c->mix.background, ==, 0xff3366cc);
  g_assert_cmpstr (c->mix.background_image, ==, "bg.png");
  g_assert_cmpstr (c->mix.placeholder_image, ==, "p.png");
  g_assert_cmpstr (c->mix.main_participant, ==, "alice");
  g_assert_nonnull (strstr (c->mix.watermarks_json, "logo.png"));
  rr_room_config_free (c);

  c = load_room ("'mode': 'mixed', 'mix': {'format': 'hls+mp4', "
      "'background': 1193046}");
  g_assert_cmpuint (c->mix.outputs, ==, RR_MIX_OUTPUT_HLS | RR_MIX_OUTPUT_MP4);
  g_assert_cmpstr (rr_mix_output_name (c->mix.outputs), ==, "hls+mp4");
  g_assert_cmphex (c->mix.background, ==, 0xff123456);
  rr_room_config_free (c);
}

static void
test_mix_errors (void)
{
  expect_room_error ("'mode': 'mix'", RR_CONFIG_ERROR_RANGE, "$.mode",
      "single");
  expect_room_error ("'mix': {}", RR_CONFIG_ERROR_COMBINATION, "$.mix", "mode");
  expect_room_error ("'mode': 'mixed', 'format': 'mp4'",
      RR_CONFIG_ERROR_COMBINATION, "$.format", "both");
  expect_room_error ("'mode': 'mixed', 'mix': []", RR_CONFIG_ERROR_TYPE,
      "$.mix", "an object");
  expect_room_error ("'mode': 'mixed', 'mix': {'fromat': 'hls'}",
      RR_CONFIG_ERROR_UNKNOWN_KEY, "$.mix.fromat", "format");
  expect_room_error ("'mode': 'mixed', 'mix': {'format': 'flv'}",
      RR_CONFIG_ERROR_RANGE, "$.mix.format", "hls+mp4");
  expect_room_error ("'mode': 'mixed', 'mix': {'video_codec': 'AV1'}",
      RR_CONFIG_ERROR_RANGE, "$.mix.video_codec", "VP8");
  /* VP8 cannot go into MPEG-TS */
  expect_room_error ("'mode': 'mixed', 'mix': {'video_codec': 'VP8'}",
      RR_CONFIG_ERROR_COMBINATION, "$.mix.video_codec", "hls");
  expect_room_error ("'mode': 'mixed', 'mix': {'format': 'webm', "
      "'video_codec': 'H264'}", RR_CONFIG_ERROR_COMBINATION,
      "$.mix.video_codec", "webm");
  expect_room_error ("'mode': 'mixed', 'mix': {'width': 641}",
      RR_CONFIG_ERROR_RANGE, "$.mix.width", "odd");
  expect_room_error ("'mode': 'mixed', 'mix': {'height': 8}",
      RR_CONFIG_ERROR_RANGE, "$.mix.height", "16–4096");
  expect_room_error ("'mode': 'mixed', 'mix': {'fps': 0}",
      RR_CONFIG_ERROR_RANGE, "$.mix.fps", NULL);
  expect_room_error ("'mode': 'mixed', 'mix': {'bitrate': 2.5}",
      RR_CONFIG_ERROR_TYPE, "$.mix.bitrate", NULL);
  expect_room_error ("'mode': 'mixed', 'mix': {'gop': 11}",
      RR_CONFIG_ERROR_RANGE, "$.mix.gop", NULL);
  expect_room_error ("'mode': 'mixed', 'mix': {'layout': 'mosaic'}",
      RR_CONFIG_ERROR_RANGE, "$.mix.layout", "screen-share");
  expect_room_error ("'mode': 'mixed', 'mix': {'layout': 'custom'}",
      RR_CONFIG_ERROR_MISSING, "$.mix.regions", "custom");
  expect_room_error ("'mode': 'mixed', 'mix': {'regions': []}",
      RR_CONFIG_ERROR_COMBINATION, "$.mix.regions", "custom");
  expect_room_error ("'mode': 'mixed', 'mix': {'layout': 'custom', "
      "'regions': [{'x': 0, 'y': 0, 'w': 2000, 'h': 10, 'slot': 0}]}",
      RR_CONFIG_ERROR_RANGE, "$.mix.regions[0].w", "canvas");
  expect_room_error ("'mode': 'mixed', 'mix': {'background': 'blue'}",
      RR_CONFIG_ERROR_RANGE, "$.mix.background", "#rrggbb");
  expect_room_error ("'mode': 'mixed', 'mix': {'background': '#12345'}",
      RR_CONFIG_ERROR_RANGE, "$.mix.background", NULL);
  expect_room_error ("'mode': 'mixed', 'mix': {'background': 16777216}",
      RR_CONFIG_ERROR_RANGE, "$.mix.background", NULL);
  expect_room_error ("'mode': 'mixed', 'mix': {'watermarks': {}}",
      RR_CONFIG_ERROR_TYPE, "$.mix.watermarks", "array");
  expect_room_error ("'mode': 'mixed', 'mix': {'watermarks': [{'image': "
      "'a.png', 'top': 0, 'left': 0, 'width': 10}]}",
      RR_CONFIG_ERROR_MISSING, "$.mix.watermarks[0].height", NULL);
  expect_room_error ("'mode': 'mixed', 'mix': {'watermarks': [{'image': "
      "'a.png', 'top': 700, 'left': 0, 'width': 10, 'height': 100}]}",
      RR_CONFIG_ERROR_RANGE, "$.mix.watermarks[0].height", "canvas");
  expect_room_error ("'mode': 'mixed', 'mix': {'watermarks': [{'image': "
      "'a.png', 'top': 0, 'left': 0, 'width': 10, 'height': 10, "
      "'alpha': 1}]}", RR_CONFIG_ERROR_UNKNOWN_KEY,
      "$.mix.watermarks[0].alpha", NULL);
}

static void
test_storage (void)
{
  RrRoomConfig *c = load_room ("");

  g_assert_false (c->storage.enabled);
  rr_room_config_free (c);

  c = load_room ("'archive_dir': '/rec', 'storage': {'bucket': 'b-1'}");
  g_assert_true (c->storage.enabled);
  g_assert_cmpstr (c->storage.bucket, ==, "b-1");
  g_assert_cmpstr (c->storage.region, ==, "us-east-1");
  g_assert_null (c->storage.endpoint);
  g_assert_null (c->storage.access_key);
  g_assert_true (c->storage.delete_after_upload);
  g_assert_cmpstr (c->storage.state_dir, ==, "/rec/.roomrec-uploads");
  g_assert_cmpstr (c->storage.evacuation_dir, ==, "/rec/.roomrec-evacuated");
  rr_room_config_free (c);

  c = load_room ("'storage': {'bucket': 'rec', 'endpoint': "
      "'http://127.0.0.1:9000', 'region': 'eu-west-1', 'prefix': 'a/b', "
      "'addressing': 'path', 'access_key': 'AK', 'secret_key': 'S/K+', "
      "'session_token': 'T', 'part_size': 10485760, "
      "'delete_after_upload': false, 'evacuation_dir': '/e', "
      "'state_dir': '/s'}");
  g_assert_cmpstr (c->storage.endpoint, ==, "http://127.0.0.1:9000");
  g_assert_cmpstr (c->storage.region, ==, "eu-west-1");
  g_assert_cmpstr (c->storage.prefix, ==, "a/b");
  g_assert_cmpstr (c->storage.addressing, ==, "path");
  g_assert_cmpstr (c->storage.secret_key, ==, "S/K+");
  g_assert_cmpuint (c->storage.part_size, ==, 10485760);
  g_assert_false (c->storage.delete_after_upload);
  g_assert_cmpstr (c->storage.state_dir, ==, "/s");
  rr_room_config_free (c);

  expect_room_error ("'storage': 's3://b'", RR_CONFIG_ERROR_TYPE,
      "$.storage", "an object");
  expect_room_error ("'storage': {}", RR_CONFIG_ERROR_MISSING,
      "$.storage.bucket", NULL);
  expect_room_error ("'storage': {'bucket': 'bkt', 'buckett': 'c'}",
      RR_CONFIG_ERROR_UNKNOWN_KEY, "$.storage.buckett", "bucket");
  expect_room_error ("'storage': {'bucket': 'b b b'}", RR_CONFIG_ERROR_RANGE,
      "$.storage.bucket", "space");
  expect_room_error ("'storage': {'bucket': 'bkt', 'addressing': 'dns'}",
      RR_CONFIG_ERROR_RANGE, "$.storage.addressing", "virtual-host");
  expect_room_error ("'storage': {'bucket': 'bkt', 'access_key': 'AK'}",
      RR_CONFIG_ERROR_COMBINATION, "$.storage.access_key", "secret_key");
  expect_room_error ("'storage': {'bucket': 'bkt', 'session_token': 'T'}",
      RR_CONFIG_ERROR_COMBINATION, "$.storage.session_token", NULL);
  expect_room_error ("'storage': {'bucket': 'bkt', 'endpoint': 'ftp://x'}",
      RR_CONFIG_ERROR_RANGE, "$.storage.endpoint", "http://");
  expect_room_error ("'storage': {'bucket': 'bkt', 'retention': 3600}",
      RR_CONFIG_ERROR_COMBINATION, "$.storage.retention",
      "delete_after_upload");
  c = load_room ("'storage': {'bucket': 'bkt', 'retention': 21600, "
      "'delete_after_upload': false}");
  g_assert_cmpuint (c->storage.retention_s, ==, 21600);
  rr_room_config_free (c);
  expect_room_error ("'storage': {'bucket': 'bkt', 'part_size': 1024}",
      RR_CONFIG_ERROR_RANGE, "$.storage.part_size", NULL);
}

static void
test_webhooks (void)
{
  RrRoomConfig *c = load_room ("'archive_dir': '/rec', 'webhooks': "
      "{'urls': ['https://a.example/hook', 'http://127.0.0.1:8/h'], "
      "'secret': 'whsec_1', 'retry_max': 60}");

  g_assert_cmpuint (g_strv_length (c->webhooks.urls), ==, 2);
  g_assert_cmpstr (c->webhooks.urls[1], ==, "http://127.0.0.1:8/h");
  g_assert_cmpstr (c->webhooks.secret, ==, "whsec_1");
  g_assert_cmpuint (c->webhooks.retry_max_s, ==, 60);
  g_assert_cmpstr (c->webhooks.spool_dir, ==, "/rec/.roomrec-webhooks");
  rr_room_config_free (c);

  expect_room_error ("'webhooks': {}", RR_CONFIG_ERROR_MISSING,
      "$.webhooks.urls", NULL);
  expect_room_error ("'webhooks': {'urls': []}", RR_CONFIG_ERROR_RANGE,
      "$.webhooks.urls", "1–10");
  expect_room_error ("'webhooks': {'urls': ['ftp://x.example/h']}",
      RR_CONFIG_ERROR_RANGE, "$.webhooks.urls[0]", "http://");
  expect_room_error ("'webhooks': {'urls': ['http://h/x'], 'sekret': 's'}",
      RR_CONFIG_ERROR_UNKNOWN_KEY, "$.webhooks.sekret", "secret");
  expect_room_error ("'webhooks': {'urls': ['http://h/x'], 'retry_max': 1}",
      RR_CONFIG_ERROR_RANGE, "$.webhooks.retry_max", NULL);
}

static void
test_client_uploads (void)
{
  RrRoomConfig *c = load_room ("");

  g_assert_false (c->client_uploads);
  g_assert_cmpuint (c->max_client_upload_bytes, ==,
      G_GUINT64_CONSTANT (2147483648));
  rr_room_config_free (c);

  c = load_room ("'client_uploads': true, 'max_client_upload_bytes': 4096");
  g_assert_true (c->client_uploads);
  g_assert_cmpuint (c->max_client_upload_bytes, ==, 4096);
  rr_room_config_free (c);

  expect_room_error ("'client_uploads': 'yes'", RR_CONFIG_ERROR_TYPE,
      "$.client_uploads", "true or false");
  expect_room_error ("'max_client_upload_bytes': 10", RR_CONFIG_ERROR_RANGE,
      "$.max_client_upload_bytes", NULL);
  expect_error ("{'room_id': 'r', 'client_uploads': true, 'inputs': "
      "[{'type': 'rtp', 'sdp': 'v=0'}]}", RR_CONFIG_ERROR_COMBINATION,
      "$.client_uploads", "whip");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  unit_gst_init (&argc, &argv, "roomconfig");
  g_test_add_func ("/roomconfig/defaults", test_defaults);
  g_test_add_func ("/roomconfig/everything", test_everything);
  g_test_add_func ("/roomconfig/whep-defaults", test_whep_defaults);
  g_test_add_func ("/roomconfig/default-codecs",
      test_default_codecs_per_format);
  g_test_add_func ("/roomconfig/codec-lists", test_codec_lists);
  g_test_add_func ("/roomconfig/unknown-keys", test_unknown_keys);
  g_test_add_func ("/roomconfig/types", test_types);
  g_test_add_func ("/roomconfig/ranges", test_ranges);
  g_test_add_func ("/roomconfig/max-duration", test_max_duration);
  g_test_add_func ("/roomconfig/missing", test_missing);
  g_test_add_func ("/roomconfig/strings", test_strings);
  g_test_add_func ("/roomconfig/naming", test_naming);
  g_test_add_func ("/roomconfig/format-split", test_format_and_split);
  g_test_add_func ("/roomconfig/whip", test_whip);
  g_test_add_func ("/roomconfig/whep", test_whep);
  g_test_add_func ("/roomconfig/rtp", test_rtp);
  g_test_add_func ("/roomconfig/subscribe", test_subscribe);
  g_test_add_func ("/roomconfig/participants", test_participants);
  g_test_add_func ("/roomconfig/metadata", test_metadata);
  g_test_add_func ("/roomconfig/may-record", test_may_record);
  g_test_add_func ("/roomconfig/participant-for-token",
      test_participant_for_token);
  g_test_add_func ("/roomconfig/syntax", test_syntax);
  g_test_add_func ("/roomconfig/load-file", test_load_file);
  g_test_add_func ("/roomconfig/examples", test_examples);
  g_test_add_func ("/roomconfig/free-null", test_free_null);
  g_test_add_func ("/roomconfig/mix-defaults", test_mix_defaults);
  g_test_add_func ("/roomconfig/mix-everything", test_mix_everything);
  g_test_add_func ("/roomconfig/mix-errors", test_mix_errors);
  g_test_add_func ("/roomconfig/storage", test_storage);
  g_test_add_func ("/roomconfig/webhooks", test_webhooks);
  g_test_add_func ("/roomconfig/client-uploads", test_client_uploads);
  return g_test_run ();
}
