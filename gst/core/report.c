/* roomrec — report-<recording_id>.json
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "report.h"
#include "sidecar.h"

#include <string.h>

/* What a report entry copies from an archive's sidecar, in Sora's order. */
static const gchar *const entry_members[] = {
  "client_id", "bundle_id", "connection_id", "user_id",
  "file_path", "filename", "metadata_file_path", "metadata_filename",
  "size", "start_time_offset", "start_time_offset_ms", "start_timestamp",
  "stop_time_offset", "stop_time_offset_ms", "stop_timestamp",
  "audio", "audio_codec_type", "video", "video_codec_type",
  "split_last_index", "client_recording",
};

struct _RrReport
{
  gchar *recording_id;
  gchar *room_id;
  gchar *format;
  gboolean split_only;
  guint64 split_duration_s;
  gint64 start_us;
  guint64 expire_time_s;
  JsonNode *metadata;

  GPtrArray *archives;          /* JsonObject*, in the order files ended */
  GPtrArray *failed;            /* JsonObject* */
  guint n_split_files;
};

RrReport *
rr_report_new (const RrReportInfo * info)
{
  RrReport *r = g_new0 (RrReport, 1);

  r->recording_id = g_strdup (info->recording_id);
  r->room_id = g_strdup (info->room_id);
  r->format = g_strdup (info->format);
  r->split_only = info->split_only;
  r->split_duration_s = info->split_duration_s;
  r->start_us = info->start_us;
  r->expire_time_s = info->expire_time_s;
  if (info->metadata_json)
    r->metadata = json_from_string (info->metadata_json, NULL);
  r->archives = g_ptr_array_new_with_free_func ((GDestroyNotify)
      json_object_unref);
  r->failed = g_ptr_array_new_with_free_func ((GDestroyNotify)
      json_object_unref);
  return r;
}

void
rr_report_free (RrReport * r)
{
  if (!r)
    return;
  g_free (r->recording_id);
  g_free (r->room_id);
  g_free (r->format);
  if (r->metadata)
    json_node_unref (r->metadata);
  g_ptr_array_unref (r->archives);
  g_ptr_array_unref (r->failed);
  g_free (r);
}

static JsonObject *
entry_from_sidecar (JsonObject * sidecar)
{
  JsonObject *entry = json_object_new ();

  for (guint i = 0; i < G_N_ELEMENTS (entry_members); i++) {
    JsonNode *v = json_object_get_member (sidecar, entry_members[i]);

    if (v)
      json_object_set_member (entry, entry_members[i], json_node_copy (v));
  }
  return entry;
}

static JsonObject *
last_archive_of (RrReport * r, const gchar * connection_id)
{
  for (guint i = r->archives->len; i > 0; i--) {
    JsonObject *e = g_ptr_array_index (r->archives, i - 1);

    if (g_strcmp0 (json_object_get_string_member_with_default (e,
                "connection_id", NULL), connection_id) == 0)
      return e;
  }
  return NULL;
}

gboolean
rr_report_add_sidecar (RrReport * r, const gchar * sidecar_json,
    GError ** error)
{
  JsonNode *root = json_from_string (sidecar_json, error);
  JsonObject *sidecar;
  const gchar *connection_id;

  if (!root)
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "a sidecar is a JSON object");
    json_node_unref (root);
    return FALSE;
  }
  sidecar = json_node_get_object (root);
  connection_id = json_object_get_string_member_with_default (sidecar,
      "connection_id", NULL);

  if (json_object_has_member (sidecar, "split_index")) {
    r->n_split_files++;
  } else if (json_object_has_member (sidecar, "split_last_index")) {
    JsonObject *archive = r->split_only ? NULL :
        last_archive_of (r, connection_id);

    /* the split files of a dual recording end before its whole file does,
     * so the whole file's entry may not be there yet: then the split end
     * gets an entry of its own */
    if (archive)
      json_object_set_member (archive, "split_last_index",
          json_node_copy (json_object_get_member (sidecar,
                  "split_last_index")));
    else
      g_ptr_array_add (r->archives, entry_from_sidecar (sidecar));
  } else {
    g_ptr_array_add (r->archives, entry_from_sidecar (sidecar));
  }
  json_node_unref (root);
  return TRUE;
}

void
rr_report_add_failed (RrReport * r, const gchar * connection_id,
    const gchar * tmp_location, const gchar * reason)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "connection_id", connection_id);
  json_object_set_string_member (o, "tmp_file_path", tmp_location);
  json_object_set_string_member (o, "reason", reason);
  g_ptr_array_add (r->failed, o);
}

guint
rr_report_n_archives (const RrReport * r)
{
  return r->archives->len;
}

static void
add_timestamp (JsonObject * o, const gchar * name, gint64 us)
{
  gchar *ts = rr_time_rfc3339 (us);

  json_object_set_string_member (o, name, ts);
  g_free (ts);
}

gchar *
rr_report_to_json (const RrReport * r, gint64 stop_us,
    const gchar * file_path, const gchar * filename)
{
  JsonObject *o = json_object_new ();
  JsonArray *archives = json_array_new ();
  JsonArray *failed = json_array_new ();
  JsonNode *root;
  gchar *text;

  for (guint i = 0; i < r->archives->len; i++)
    json_array_add_object_element (archives,
        json_object_ref (g_ptr_array_index (r->archives, i)));
  for (guint i = 0; i < r->failed->len; i++)
    json_array_add_object_element (failed,
        json_object_ref (g_ptr_array_index (r->failed, i)));

  json_object_set_array_member (o, "archives", archives);
  json_object_set_array_member (o, "failed_archives", failed);
  json_object_set_string_member (o, "channel_id", r->room_id);
  json_object_set_string_member (o, "room_id", r->room_id);
  json_object_set_int_member (o, "created_at", r->start_us / G_USEC_PER_SEC);
  if (r->expire_time_s) {
    json_object_set_int_member (o, "expire_time", r->expire_time_s);
    json_object_set_int_member (o, "expired_at",
        r->start_us / G_USEC_PER_SEC + r->expire_time_s);
  }
  json_object_set_string_member (o, "file_path", file_path);
  json_object_set_string_member (o, "filename", filename);
  json_object_set_string_member (o, "recording_id", r->recording_id);
  if (r->metadata)
    json_object_set_member (o, "recording_metadata",
        json_node_copy (r->metadata));
  else
    json_object_set_null_member (o, "recording_metadata");
  if (r->split_duration_s)
    json_object_set_int_member (o, "split_duration", r->split_duration_s);
  json_object_set_boolean_member (o, "split_only", r->split_only);
  json_object_set_int_member (o, "split_files", r->n_split_files);
  add_timestamp (o, "start_timestamp", r->start_us);
  add_timestamp (o, "stop_timestamp", stop_us);
  json_object_set_string_member (o, "format", r->format);

  root = json_node_init_object (json_node_alloc (), o);
  text = rr_json_to_string (root, TRUE);
  json_node_unref (root);
  json_object_unref (o);
  return text;
}
