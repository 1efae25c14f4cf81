/* roomrec — archive sidecar JSON (Sora's metadata files)
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Field names follow Sora's archive-*.json / split-archive-*.json /
 * split-archive-end-*.json so that tools written for Sora read ours.
 */
#include "sidecar.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

gchar *
rr_time_rfc3339 (gint64 unix_us)
{
  GDateTime *dt;
  gchar *base, *out;

  dt = g_date_time_new_from_unix_utc (unix_us / G_USEC_PER_SEC);
  if (dt == NULL)
    return g_strdup ("1970-01-01T00:00:00.000000Z");
  base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  g_date_time_unref (dt);
  out = g_strdup_printf ("%s.%06uZ", base,
      (guint) (((unix_us % G_USEC_PER_SEC) + G_USEC_PER_SEC) % G_USEC_PER_SEC));
  g_free (base);
  return out;
}

static void
add_string (JsonBuilder * b, const gchar * name, const gchar * value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder * b, const gchar * name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_bool (JsonBuilder * b, const gchar * name, gboolean value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

static void
add_time (JsonBuilder * b, const gchar * prefix, gint64 us,
    gint64 recording_start_us)
{
  gchar *name, *ts;

  name = g_strdup_printf ("%s_time", prefix);
  add_int (b, name, us / G_USEC_PER_SEC);
  g_free (name);

  name = g_strdup_printf ("%s_time_offset", prefix);
  add_int (b, name, (us - recording_start_us) / G_USEC_PER_SEC);
  g_free (name);

  /* Sora's offsets are whole seconds; ours in ms too, for aligning tracks */
  name = g_strdup_printf ("%s_time_offset_ms", prefix);
  add_int (b, name, (us - recording_start_us) / 1000);
  g_free (name);

  name = g_strdup_printf ("%s_timestamp", prefix);
  ts = rr_time_rfc3339 (us);
  add_string (b, name, ts);
  g_free (ts);
  g_free (name);
}

JsonNode *
rr_sidecar_build (const RrArchiveInfo * info, RrSidecarKind kind)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *root;
  gdouble seconds;

  json_builder_begin_object (b);

  add_bool (b, "audio", info->audio);
  if (info->audio)
    add_string (b, "audio_codec_type", info->audio_codec);
  add_string (b, "recording_id", info->recording_id);
  add_string (b, "channel_id", info->room_id);
  add_string (b, "room_id", info->room_id);
  add_string (b, "session_id", info->session_id);
  add_string (b, "client_id", info->client_id ? info->client_id :
      info->connection_id);
  add_string (b, "bundle_id", info->connection_id);
  add_string (b, "connection_id", info->connection_id);
  add_string (b, "user_id", info->user_id);
  add_int (b, "created_at", g_get_real_time () / G_USEC_PER_SEC);

  add_string (b, "file_path", info->file_path);
  add_string (b, "filename", info->filename);
  if (kind != RR_SIDECAR_SPLIT_END) {
    add_string (b, "metadata_file_path", info->metadata_file_path);
    add_string (b, "metadata_filename", info->metadata_filename);
    add_int (b, "size", info->size);
  }
  if (kind == RR_SIDECAR_SPLIT_ARCHIVE) {
    gchar *idx = g_strdup_printf ("%04u", info->split_index);
    add_string (b, "split_index", idx);
    g_free (idx);
  } else if (kind == RR_SIDECAR_SPLIT_END) {
    gchar *idx = g_strdup_printf ("%04u", info->split_index);
    add_string (b, "split_last_index", idx);
    g_free (idx);
  }

  add_time (b, "start", info->start_us, info->recording_start_us);
  add_time (b, "stop", info->stop_us, info->recording_start_us);
  seconds = info->duration_ns ? info->duration_ns / 1e9 :
      (info->stop_us - info->start_us) / 1e6;
  json_builder_set_member_name (b, "duration");
  json_builder_add_double_value (b, seconds);

  json_builder_set_member_name (b, "stats");
  json_builder_begin_object (b);
  if (info->video_frames)
    add_int (b, "video_frames", info->video_frames);
  if (info->audio_frames)
    add_int (b, "audio_frames", info->audio_frames);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "event_metadata");
  if (info->metadata)
    json_builder_add_value (b, json_node_copy (info->metadata));
  else
    json_builder_add_null_value (b);

  add_bool (b, "video", info->video);
  if (info->video) {
    add_string (b, "video_codec_type", info->video_codec);
    if (kind != RR_SIDECAR_SPLIT_END && seconds > 0)
      add_int (b, "video_bit_rate", (gint64) (info->size * 8 / seconds / 1000));
    add_int (b, "video_width", info->video_width);
    add_int (b, "video_height", info->video_height);
  }
  add_string (b, "format", info->format);

  json_builder_set_member_name (b, "events");
  if (info->events)
    json_builder_add_value (b, json_node_copy (info->events));
  else {
    json_builder_begin_array (b);
    json_builder_end_array (b);
  }

  json_builder_end_object (b);
  root = json_builder_get_root (b);
  g_object_unref (b);
  return root;
}

gchar *
rr_json_to_string (JsonNode * node, gboolean pretty)
{
  JsonGenerator *gen = json_generator_new ();
  gchar *s;

  json_generator_set_pretty (gen, pretty);
  json_generator_set_root (gen, node);
  s = json_generator_to_data (gen, NULL);
  g_object_unref (gen);
  return s;
}

/* Write to <path>.tmp, fsync, rename, fsync the directory: a reader never
 * sees half a file, and a crash right after leaves the new one. */
gboolean
rr_file_write_atomic (const gchar * path, const gchar * contents,
    GError ** error)
{
  gchar *tmp = g_strdup_printf ("%s.tmp", path);
  gsize len = strlen (contents);
  gsize done = 0;
  int fd;

  fd = g_open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    goto fail;
  while (done < len) {
    ssize_t n = write (fd, contents + done, len - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      close (fd);
      goto fail_unlink;
    }
    done += n;
  }
  if (fsync (fd) != 0 || close (fd) != 0)
    goto fail_unlink;
  if (g_rename (tmp, path) != 0)
    goto fail_unlink;
  {
    gchar *dir = g_path_get_dirname (path);
    int dfd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

    if (dfd >= 0) {
      fsync (dfd);
      close (dfd);
    }
    g_free (dir);
  }
  g_free (tmp);
  return TRUE;

fail_unlink:
  {
    int saved = errno;
    g_unlink (tmp);
    errno = saved;
  }
fail:
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
      "cannot write '%s': %s", path, g_strerror (errno));
  g_free (tmp);
  return FALSE;
}
