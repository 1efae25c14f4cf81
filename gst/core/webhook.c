/* roomrec — webhook events: JSON bodies, signatures, retry schedule
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * docs/webhooks.md describes the events, the signature and the schedule
 * for receivers; this file is the reference implementation.
 */
#include "webhook.h"

#include "ids.h"
#include "sidecar.h"

#include <string.h>

GQuark
rr_webhook_error_quark (void)
{
  return g_quark_from_static_string ("rr-webhook-error-quark");
}

static const gchar *const event_names[RR_WEBHOOK_N_EVENT_TYPES] = {
  [RR_WEBHOOK_RECORDING_STARTED] = "recording.started",
  [RR_WEBHOOK_RECORDING_REPORT] = "recording.report",
  [RR_WEBHOOK_ARCHIVE_STARTED] = "archive.started",
  [RR_WEBHOOK_ARCHIVE_AVAILABLE] = "archive.available",
  [RR_WEBHOOK_ARCHIVE_FAILED] = "archive.failed",
  [RR_WEBHOOK_SPLIT_ARCHIVE_AVAILABLE] = "split-archive.available",
  [RR_WEBHOOK_SPLIT_ARCHIVE_END] = "split-archive.end",
  [RR_WEBHOOK_HLS_SLICE] = "hls.slice",
  [RR_WEBHOOK_UPLOAD_STARTED] = "upload.started",
  [RR_WEBHOOK_UPLOAD_PROGRESS] = "upload.progress",
  [RR_WEBHOOK_UPLOAD_COMPLETED] = "upload.completed",
  [RR_WEBHOOK_UPLOAD_FAILED] = "upload.failed",
  [RR_WEBHOOK_FAILOVER] = "failover",
};

/* The element messages of splitmuxrec (rtparchivesink posts them
 * unchanged); see "Element messages" in gst/gstsplitmuxrec.c. */
static const struct
{
  const gchar *message;
  RrWebhookEventType type;
} message_events[] = {
  {"splitmuxrec-archive-started", RR_WEBHOOK_ARCHIVE_STARTED},
  {"splitmuxrec-archive-available", RR_WEBHOOK_ARCHIVE_AVAILABLE},
  {"splitmuxrec-archive-failed", RR_WEBHOOK_ARCHIVE_FAILED},
  {"splitmuxrec-split-archive-available", RR_WEBHOOK_SPLIT_ARCHIVE_AVAILABLE},
  {"splitmuxrec-split-archive-end", RR_WEBHOOK_SPLIT_ARCHIVE_END},
  {"splitmuxrec-hls-slice", RR_WEBHOOK_HLS_SLICE},
};

const gchar *
rr_webhook_event_type_name (RrWebhookEventType type)
{
  if ((guint) type >= RR_WEBHOOK_N_EVENT_TYPES)
    return NULL;
  return event_names[type];
}

gboolean
rr_webhook_event_type_from_name (const gchar * name, RrWebhookEventType * type)
{
  guint i;

  if (name == NULL)
    return FALSE;
  for (i = 0; i < RR_WEBHOOK_N_EVENT_TYPES; i++) {
    if (strcmp (name, event_names[i]) == 0) {
      if (type)
        *type = (RrWebhookEventType) i;
      return TRUE;
    }
  }
  return FALSE;
}

gboolean
rr_webhook_event_type_from_message (const gchar * message_name,
    RrWebhookEventType * type)
{
  guint i;

  if (message_name == NULL)
    return FALSE;
  for (i = 0; i < G_N_ELEMENTS (message_events); i++) {
    if (strcmp (message_name, message_events[i].message) == 0) {
      if (type)
        *type = message_events[i].type;
      return TRUE;
    }
  }
  return rr_webhook_event_type_from_name (message_name, type);
}

/* ------------------------------------------------------------------ */
/* TRTC                                                                */

/* From TRTC's cloud recording callback documentation ("이벤트 유형 설명"
 * of the Korean edition in /work/shared/seeds): EventGroupId 3. */
static const RrWebhookTrtcCode trtc_codes[] = {
  {301, "EVENT_TYPE_CLOUD_RECORDING_RECORDER_START",
      RR_WEBHOOK_RECORDING_STARTED, "the recording started"},
  {302, "EVENT_TYPE_CLOUD_RECORDING_RECORDER_STOP",
      RR_WEBHOOK_RECORDING_REPORT, "the recording stopped; the report lists "
        "its files"},
  {303, "EVENT_TYPE_CLOUD_RECORDING_UPLOAD_START",
      RR_WEBHOOK_UPLOAD_STARTED, "an upload started (roomrec: per file)"},
  {304, "EVENT_TYPE_CLOUD_RECORDING_FILE_INFO",
      RR_WEBHOOK_HLS_SLICE, "closest match: roomrec has one event when a "
        "playlist gets its first segment (hls.slice, 307)"},
  {305, "EVENT_TYPE_CLOUD_RECORDING_UPLOAD_STOP",
      RR_WEBHOOK_UPLOAD_COMPLETED, "TRTC: all uploads of a task ended; "
        "roomrec: one upload.completed per file"},
  {306, "EVENT_TYPE_CLOUD_RECORDING_FAILOVER",
      RR_WEBHOOK_FAILOVER, "the recording moved to another worker"},
  {307, "EVENT_TYPE_CLOUD_RECORDING_FILE_SLICE",
      RR_WEBHOOK_HLS_SLICE, "the first segment of a playlist exists"},
  {308, "EVENT_TYPE_CLOUD_RECORDING_UPLOAD_ERROR",
      RR_WEBHOOK_UPLOAD_FAILED, "an upload failed"},
  {309, "EVENT_TYPE_CLOUD_RECORDING_DOWNLOAD_IMAGE_ERROR",
      -1, "none: compositorlayout posts a warning message for a watermark "
        "image it cannot read, and records without it"},
  {310, "EVENT_TYPE_CLOUD_RECORDING_MP4_STOP",
      RR_WEBHOOK_ARCHIVE_AVAILABLE, "a whole file is complete "
        "(split files: split-archive.end)"},
  {311, "EVENT_TYPE_CLOUD_RECORDING_VOD_COMMIT",
      RR_WEBHOOK_UPLOAD_COMPLETED, "closest match: a file is in the object "
        "store (roomrec has no VOD platform)"},
  {312, "EVENT_TYPE_CLOUD_RECORDING_VOD_STOP",
      -1, "none: roomrec has no VOD platform"},
};

const RrWebhookTrtcCode *
rr_webhook_trtc_codes (guint * n_codes)
{
  if (n_codes)
    *n_codes = G_N_ELEMENTS (trtc_codes);
  return trtc_codes;
}

const RrWebhookTrtcCode *
rr_webhook_trtc_lookup (gint code)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (trtc_codes); i++)
    if (trtc_codes[i].code == code)
      return &trtc_codes[i];
  return NULL;
}

gint
rr_webhook_event_type_trtc_code (RrWebhookEventType type)
{
  switch (type) {
    case RR_WEBHOOK_RECORDING_STARTED:
      return 301;
    case RR_WEBHOOK_RECORDING_REPORT:
      return 302;
    case RR_WEBHOOK_UPLOAD_STARTED:
      return 303;
    case RR_WEBHOOK_UPLOAD_COMPLETED:
      return 305;
    case RR_WEBHOOK_FAILOVER:
      return 306;
    case RR_WEBHOOK_HLS_SLICE:
      return 307;
    case RR_WEBHOOK_UPLOAD_FAILED:
      return 308;
    case RR_WEBHOOK_ARCHIVE_AVAILABLE:
    case RR_WEBHOOK_SPLIT_ARCHIVE_END:
      return 310;
    default:
      return 0;
  }
}

/* ------------------------------------------------------------------ */
/* Sequence numbers                                                    */

struct _RrWebhookSeq
{
  GMutex lock;
  GHashTable *last;             /* recording_id → guint64 * last issued */
};

RrWebhookSeq *
rr_webhook_seq_new (void)
{
  RrWebhookSeq *seqs = g_new0 (RrWebhookSeq, 1);

  g_mutex_init (&seqs->lock);
  seqs->last = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return seqs;
}

void
rr_webhook_seq_free (RrWebhookSeq * seqs)
{
  if (seqs == NULL)
    return;
  g_hash_table_unref (seqs->last);
  g_mutex_clear (&seqs->lock);
  g_free (seqs);
}

static guint64 *
seq_slot (RrWebhookSeq * seqs, const gchar * recording_id)
{
  guint64 *last = g_hash_table_lookup (seqs->last, recording_id);

  if (last == NULL) {
    last = g_new0 (guint64, 1);
    g_hash_table_insert (seqs->last, g_strdup (recording_id), last);
  }
  return last;
}

guint64
rr_webhook_seq_next (RrWebhookSeq * seqs, const gchar * recording_id)
{
  guint64 *last, seq;

  g_return_val_if_fail (seqs != NULL, 0);
  g_return_val_if_fail (recording_id != NULL, 0);

  g_mutex_lock (&seqs->lock);
  last = seq_slot (seqs, recording_id);
  seq = ++(*last);
  g_mutex_unlock (&seqs->lock);
  return seq;
}

void
rr_webhook_seq_observe (RrWebhookSeq * seqs, const gchar * recording_id,
    guint64 seq)
{
  guint64 *last;

  g_return_if_fail (seqs != NULL);
  g_return_if_fail (recording_id != NULL);

  g_mutex_lock (&seqs->lock);
  last = seq_slot (seqs, recording_id);
  if (seq > *last)
    *last = seq;
  g_mutex_unlock (&seqs->lock);
}

gboolean
rr_webhook_seq_observe_body (RrWebhookSeq * seqs, const gchar * body,
    gssize length)
{
  JsonParser *parser;
  JsonNode *root;
  JsonObject *o;
  JsonNode *id, *seq;
  gboolean ok = FALSE;

  g_return_val_if_fail (seqs != NULL, FALSE);
  if (body == NULL)
    return FALSE;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, body, length, NULL))
    goto out;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    goto out;
  o = json_node_get_object (root);
  id = json_object_get_member (o, "recording_id");
  seq = json_object_get_member (o, "seq");
  if (id == NULL || seq == NULL || !JSON_NODE_HOLDS_VALUE (id)
      || !JSON_NODE_HOLDS_VALUE (seq)
      || json_node_get_value_type (id) != G_TYPE_STRING
      || json_node_get_value_type (seq) != G_TYPE_INT64
      || json_node_get_int (seq) < 1)
    goto out;
  rr_webhook_seq_observe (seqs, json_node_get_string (id),
      (guint64) json_node_get_int (seq));
  ok = TRUE;
out:
  g_object_unref (parser);
  return ok;
}

/* ------------------------------------------------------------------ */
/* Events                                                              */

gchar *
rr_webhook_format_timestamp (gint64 unix_us)
{
  gint64 ms = unix_us >= 0 ? unix_us / 1000 : -((-unix_us + 999) / 1000);
  gint64 secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  GDateTime *dt = g_date_time_new_from_unix_utc (secs);
  gchar *base, *out;

  if (dt == NULL)
    return g_strdup ("1970-01-01T00:00:00.000Z");
  base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  g_date_time_unref (dt);
  out = g_strdup_printf ("%s.%03uZ", base, (guint) (ms - secs * 1000));
  g_free (base);
  return out;
}

RrWebhookEvent *
rr_webhook_event_new (RrWebhookEventType type, const gchar * recording_id,
    guint64 seq, gint64 unix_us, const gchar * id, JsonObject * data)
{
  RrWebhookEvent *ev;
  JsonObject *o;
  JsonNode *root;
  gchar *ts;
  gint trtc;

  g_return_val_if_fail ((guint) type < RR_WEBHOOK_N_EVENT_TYPES, NULL);
  g_return_val_if_fail (recording_id != NULL, NULL);

  if (unix_us <= 0)
    unix_us = g_get_real_time ();

  ev = g_new0 (RrWebhookEvent, 1);
  ev->type = type;
  ev->id = id ? g_strdup (id) : rr_id_generate ();
  ev->recording_id = g_strdup (recording_id);
  ev->seq = seq;
  ev->unix_time_ms = unix_us / 1000;

  ts = rr_webhook_format_timestamp (unix_us);
  o = json_object_new ();
  json_object_set_string_member (o, "type", event_names[type]);
  json_object_set_string_member (o, "id", ev->id);
  json_object_set_string_member (o, "timestamp", ts);
  json_object_set_int_member (o, "unix_time_ms", ev->unix_time_ms);
  json_object_set_string_member (o, "recording_id", recording_id);
  json_object_set_int_member (o, "seq", (gint64) MIN (seq, G_MAXINT64));
  trtc = rr_webhook_event_type_trtc_code (type);
  if (trtc)
    json_object_set_int_member (o, "trtc_event_type", trtc);
  json_object_set_object_member (o, "data",
      data ? json_object_ref (data) : json_object_new ());
  g_free (ts);

  root = json_node_init_object (json_node_alloc (), o);
  json_object_unref (o);
  ev->body = rr_json_to_string (root, FALSE);
  json_node_unref (root);
  return ev;
}

void
rr_webhook_event_free (RrWebhookEvent * event)
{
  if (event == NULL)
    return;
  g_free (event->id);
  g_free (event->recording_id);
  g_free (event->body);
  g_free (event);
}

static JsonNode *
parse_sidecar (const gchar * text, GError ** error)
{
  JsonParser *parser = json_parser_new ();
  JsonNode *root = NULL;
  GError *err = NULL;

  if (!json_parser_load_from_data (parser, text, -1, &err)) {
    g_set_error (error, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_INVALID_FIELDS,
        "sidecar is not JSON: %s", err->message);
    g_error_free (err);
  } else if (json_parser_get_root (parser) == NULL
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_set_error (error, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_INVALID_FIELDS,
        "sidecar is not a JSON object");
  } else {
    root = json_node_copy (json_parser_get_root (parser));
  }
  g_object_unref (parser);
  return root;
}

RrWebhookEvent *
rr_webhook_event_from_message (const gchar * message_name,
    JsonObject * fields, const gchar * sidecar_json, RrWebhookSeq * seqs,
    gint64 unix_us, GError ** error)
{
  RrWebhookEventType type;
  RrWebhookEvent *ev = NULL;
  JsonObject *data;
  JsonNode *sidecar = NULL, *rid;
  GList *members, *l;

  g_return_val_if_fail (seqs != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!rr_webhook_event_type_from_message (message_name, &type)) {
    g_set_error (error, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_UNKNOWN_EVENT,
        "no webhook event for the message '%s'",
        message_name ? message_name : "(null)");
    return NULL;
  }

  if (sidecar_json == NULL && fields
      && json_object_has_member (fields, "sidecar")) {
    JsonNode *n = json_object_get_member (fields, "sidecar");

    if (JSON_NODE_HOLDS_VALUE (n)
        && json_node_get_value_type (n) == G_TYPE_STRING)
      sidecar_json = json_node_get_string (n);
    else if (!JSON_NODE_HOLDS_NULL (n)) {
      g_set_error (error, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_INVALID_FIELDS,
          "%s: the sidecar field is not a string", message_name);
      return NULL;
    }
  }

  data = json_object_new ();
  if (sidecar_json) {
    JsonObject *so;

    sidecar = parse_sidecar (sidecar_json, error);
    if (sidecar == NULL) {
      g_prefix_error (error, "%s: ", message_name);
      goto out;
    }
    so = json_node_get_object (sidecar);
    members = json_object_get_members (so);
    for (l = members; l; l = l->next)
      json_object_set_member (data, l->data,
          json_node_copy (json_object_get_member (so, l->data)));
    g_list_free (members);
  }
  if (fields) {
    members = json_object_get_members (fields);
    for (l = members; l; l = l->next) {
      const gchar *name = l->data;
      gchar *key;

      if (strcmp (name, "sidecar") == 0)
        continue;
      key = g_strdelimit (g_strdup (name), "-", '_');
      if (!json_object_has_member (data, key))
        json_object_set_member (data, key,
            json_node_copy (json_object_get_member (fields, name)));
      g_free (key);
    }
    g_list_free (members);
  }

  rid = json_object_get_member (data, "recording_id");
  if (rid == NULL || !JSON_NODE_HOLDS_VALUE (rid)
      || json_node_get_value_type (rid) != G_TYPE_STRING
      || *json_node_get_string (rid) == '\0') {
    g_set_error (error, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_INVALID_FIELDS,
        "%s: no recording_id in the fields or the sidecar", message_name);
    goto out;
  }

  ev = rr_webhook_event_new (type, json_node_get_string (rid),
      rr_webhook_seq_next (seqs, json_node_get_string (rid)), unix_us, NULL,
      data);

out:
  if (sidecar)
    json_node_unref (sidecar);
  json_object_unref (data);
  return ev;
}

/* ------------------------------------------------------------------ */
/* Signatures                                                          */

static gchar *
signature_hex (const gchar * secret, const gchar * t, const gchar * body,
    gsize body_len)
{
  GHmac *hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret,
      strlen (secret));
  gchar *hex;

  g_hmac_update (hmac, (const guchar *) t, strlen (t));
  g_hmac_update (hmac, (const guchar *) ".", 1);
  g_hmac_update (hmac, (const guchar *) body, body_len);
  hex = g_strdup (g_hmac_get_string (hmac));
  g_hmac_unref (hmac);
  return hex;
}

gchar *
rr_webhook_sign (const gchar * secret, gint64 unix_s, const gchar * body,
    gssize body_len)
{
  gchar t[32];
  gchar *hex, *header;

  g_return_val_if_fail (secret != NULL, NULL);
  g_return_val_if_fail (body != NULL || body_len == 0, NULL);

  if (body_len < 0)
    body_len = strlen (body);
  g_snprintf (t, sizeof (t), "%" G_GINT64_FORMAT, unix_s);
  hex = signature_hex (secret, t, body ? body : "", body_len);
  header = g_strdup_printf ("t=%s,v1=%s", t, hex);
  g_free (hex);
  return header;
}

/* Same length, compared without an early exit. */
static gboolean
equal_constant_time (const gchar * a, const gchar * b, gsize len)
{
  guint diff = 0;
  gsize i;

  for (i = 0; i < len; i++)
    diff |= (guchar) a[i] ^ (guchar) b[i];
  return diff == 0;
}

gboolean
rr_webhook_verify (const gchar * header, const gchar * secret,
    const gchar * body, gssize body_len, gint64 now_s, gint64 tolerance_s,
    GError ** error)
{
  gchar **items = NULL;
  gchar *t = NULL, *expected = NULL;
  GPtrArray *v1 = NULL;
  gboolean matched = FALSE, ok = FALSE;
  gint64 ts = 0;
  guint i;

  g_return_val_if_fail (secret != NULL, FALSE);
  g_return_val_if_fail (body != NULL || body_len == 0, FALSE);
  g_return_val_if_fail (tolerance_s >= 0, FALSE);

  if (header == NULL || strlen (header) > 4096) {
    g_set_error (error, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_SIGNATURE_FORMAT,
        "no signature header, or one longer than 4096 bytes");
    return FALSE;
  }
  if (body_len < 0)
    body_len = strlen (body);

  v1 = g_ptr_array_new ();
  items = g_strsplit (header, ",", 0);
  for (i = 0; items[i]; i++) {
    gchar *item = g_strstrip (items[i]);
    gchar *eq = strchr (item, '=');

    if (eq == NULL)
      goto bad_format;
    *eq = '\0';
    if (strcmp (item, "t") == 0) {
      const gchar *p;

      if (t != NULL || eq[1] == '\0' || strlen (eq + 1) > 18)
        goto bad_format;
      for (p = eq + 1; *p; p++)
        if (!g_ascii_isdigit (*p))
          goto bad_format;
      t = eq + 1;
    } else if (strcmp (item, "v1") == 0) {
      g_ptr_array_add (v1, eq + 1);
    }
    /* other schemes (v0, …) are ignored, as Stripe does */
  }
  if (t == NULL || v1->len == 0)
    goto bad_format;
  ts = g_ascii_strtoll (t, NULL, 10);

  expected = signature_hex (secret, t, body ? body : "", body_len);
  for (i = 0; i < v1->len; i++) {
    const gchar *cand = g_ptr_array_index (v1, i);

    if (strlen (cand) == strlen (expected))
      matched |= equal_constant_time (cand, expected, strlen (expected));
  }
  if (!matched) {
    g_set_error (error, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_SIGNATURE_MISMATCH,
        "no v1 signature matches the body");
    goto out;
  }
  if (now_s <= 0)
    now_s = g_get_real_time () / G_USEC_PER_SEC;
  if (tolerance_s > 0 && (ts < now_s - tolerance_s || ts > now_s + tolerance_s)) {
    g_set_error (error, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_SIGNATURE_EXPIRED,
        "signature timestamp %" G_GINT64_FORMAT " is %" G_GINT64_FORMAT
        " s away from now (tolerance %" G_GINT64_FORMAT " s)", ts,
        ts > now_s ? ts - now_s : now_s - ts, tolerance_s);
    goto out;
  }
  ok = TRUE;
  goto out;

bad_format:
  g_set_error (error, RR_WEBHOOK_ERROR, RR_WEBHOOK_ERROR_SIGNATURE_FORMAT,
      "signature header is not t=<unix seconds>,v1=<hex>");
out:
  g_free (expected);
  g_ptr_array_unref (v1);
  g_strfreev (items);
  return ok;
}

/* ------------------------------------------------------------------ */
/* Retry schedule                                                      */

guint64
rr_webhook_retry_delay_ms (const RrWebhookRetry * retry, guint attempt,
    GRand * rand)
{
  static const RrWebhookRetry defaults = RR_WEBHOOK_RETRY_INIT;
  guint64 delay, cap;
  gdouble jitter;
  guint i;

  if (retry == NULL)
    retry = &defaults;
  if (attempt == 0)
    return 0;

  cap = retry->cap_ms;
  delay = MIN (retry->base_ms, cap);
  for (i = 1; i < attempt && delay > 0 && delay < cap; i++)
    delay = delay > cap / 2 ? cap : delay * 2;

  jitter = CLAMP (retry->jitter, 0.0, 1.0);
  if (jitter > 0.0) {
    gdouble u = rand ? g_rand_double (rand) : g_random_double ();

    delay -= (guint64) (delay * jitter * u);
  }
  return delay;
}
