/* roomrec — file naming templates
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  RR_NAMING_PRESET_SORA,
  RR_NAMING_PRESET_TRTC,
  RR_NAMING_PRESET_SPARKRTC,
} RrNamingPreset;

/* Which file of a recording a template names. */
typedef enum
{
  RR_FILE_SINGLE,               /* the whole-recording archive */
  RR_FILE_SPLIT,                /* one split file */
  RR_FILE_SPLIT_END,            /* the split-archive-end JSON */
  RR_FILE_PLAYLIST,             /* HLS playlist */
  RR_FILE_SEGMENT,              /* HLS segment */
  RR_FILE_REPORT,               /* report-<recording_id>.json */
} RrFileKind;

typedef struct
{
  const gchar *recording_id;
  const gchar *room_id;
  const gchar *connection_id;
  const gchar *user_id;
  const gchar *app_id;
  const gchar *media;           /* "main" or "aux" */
  const gchar *type;            /* "audio", "video" or "av" */
  const gchar *format;          /* "mp4", "webm", "mkv", "hls", "ogg" */
  guint index;                  /* split/segment index, from 1 */
  guint shard;                  /* forced shard of a single file, from 1 */
  guint ha;                     /* failover count, 0..3 */
  gint64 file_start_us;         /* wall clock (UNIX µs) of the file start */
} RrNamingVars;

#define RR_NAMING_ERROR (rr_naming_error_quark ())
GQuark rr_naming_error_quark (void);

typedef enum
{
  RR_NAMING_ERROR_INVALID_TEMPLATE,
  RR_NAMING_ERROR_UNKNOWN_VARIABLE,
  RR_NAMING_ERROR_MISSING_VALUE,
} RrNamingError;

const gchar *rr_naming_preset_template (RrNamingPreset preset,
                                        RrFileKind kind);
gboolean rr_naming_preset_from_string (const gchar *name,
                                       RrNamingPreset *preset);

gboolean rr_naming_template_validate (const gchar *tmpl, GError **error);

gchar *rr_naming_expand (const gchar *tmpl, const RrNamingVars *vars,
                         GError **error);

gchar *rr_naming_escape_component (const gchar *value);
gchar *rr_naming_trtc_base64 (const gchar *value);
gchar *rr_naming_index_string (guint index);

G_END_DECLS
