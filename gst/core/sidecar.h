/* roomrec — archive sidecar JSON (Sora's metadata files)
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  RR_SIDECAR_ARCHIVE,           /* archive-<connection_id>.json */
  RR_SIDECAR_SPLIT_ARCHIVE,     /* split-archive-<connection_id>_0001.json */
  RR_SIDECAR_SPLIT_END,         /* split-archive-end-<connection_id>.json */
} RrSidecarKind;

typedef struct
{
  /* who */
  const gchar *recording_id;
  const gchar *room_id;         /* Sora channel_id, TRTC room */
  const gchar *session_id;
  const gchar *connection_id;
  const gchar *client_id;
  const gchar *user_id;
  /* where: absolute paths and paths relative to the archive dir */
  const gchar *file_path;
  const gchar *filename;
  const gchar *metadata_file_path;
  const gchar *metadata_filename;
  const gchar *format;
  guint64 size;
  /* when, UNIX µs */
  gint64 recording_start_us;
  gint64 start_us;
  gint64 stop_us;
  guint64 duration_ns;          /* media duration, 0 if unknown */
  /* what */
  gboolean audio;
  gboolean video;
  const gchar *audio_codec;     /* "OPUS", "AAC", "PCMU", … */
  const gchar *video_codec;     /* "VP8", "VP9", "H264", "H265", "AV1" */
  gint video_width;             /* largest seen */
  gint video_height;
  guint64 video_frames;
  guint64 audio_frames;
  guint split_index;            /* from 1; 0 when not a split file */
  /* extra */
  JsonNode *metadata;           /* user metadata, any JSON; may be NULL */
  JsonNode *events;             /* JSON array of mid-stream changes, or NULL */
} RrArchiveInfo;

gchar *rr_time_rfc3339 (gint64 unix_us);
JsonNode *rr_sidecar_build (const RrArchiveInfo *info, RrSidecarKind kind);
gchar *rr_json_to_string (JsonNode *node, gboolean pretty);
gboolean rr_file_write_atomic (const gchar *path, const gchar *contents,
                               GError **error);

G_END_DECLS
