/* roomrec — test helpers: run pipelines, inspect the files they wrote
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  gchar *error;                 /* first error message, or NULL */
  GPtrArray *messages;          /* names of element messages, in order */
  GPtrArray *structures;        /* their GstStructures (owned) */
} RrTestRun;

/* Runs a gst-launch description to EOS (or error, or 60 s). */
void rr_test_run_pipeline (const gchar *description, RrTestRun *run);
void rr_test_run_clear (RrTestRun *run);
guint rr_test_count (const RrTestRun *run, const gchar *message_name);

typedef struct
{
  guint video_frames;
  guint audio_frames;
  gboolean first_video_is_keyframe;
  gchar video_caps_name[64];
  gchar audio_caps_name[64];
  GstClockTime duration;        /* last video (or audio) end − first start */
  guint audio_backward;         /* audio frames timed before the one before */
} RrTestMediaInfo;

/* Demuxes (parsebin) and counts encoded frames per kind. */
void rr_test_media_info (const gchar *path, RrTestMediaInfo *info);
/* Decodes and counts raw video frames. */
guint rr_test_decoded_video_frames (const gchar *path);
/* The same with FFmpeg, an independent decoder (-1 when ffmpeg is not
 * installed). */
gint rr_test_ffmpeg_video_frames (const gchar *path);

JsonObject *rr_test_load_json (const gchar *dir, const gchar *relpath);
guint rr_test_count_files (const gchar *dir);
void rr_test_rm_rf (const gchar *path);

gboolean rr_test_mp4_has_box (const gchar *path, const gchar *fourcc);
/* Copies the 11-byte payload of the dOps box inside the top-level moov. */
gboolean rr_test_mp4_moov_dops (const gchar *path, guint8 payload[11]);

G_END_DECLS
