/* roomrec — report-<recording_id>.json: every archive of a recording
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Sora's report file: written when a recording ends, it groups the
 * archives of every participant with their start/stop offsets from the
 * recording start, so that tools (compose, merge) can align them.
 * Entries come from the sidecar JSON the recording elements post.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _RrReport RrReport;

typedef struct
{
  const gchar *recording_id;
  const gchar *room_id;
  const gchar *format;
  gboolean split_only;
  guint64 split_duration_s;     /* 0 = no split files */
  gint64 start_us;              /* UNIX µs the recording started */
  guint64 expire_time_s;        /* 0 = none */
  const gchar *metadata_json;   /* any JSON value, or NULL */
} RrReportInfo;

RrReport *rr_report_new (const RrReportInfo * info);
void rr_report_free (RrReport * report);

/* Adds the file a sidecar describes: an archive (whole-recording file) is
 * one entry; a split-archive-end closes the split files of a connection
 * (one entry with split_last_index when there is no whole file, else the
 * index goes into that connection's archive entry); a split-archive
 * sidecar is counted but not listed (Sora lists only the end). */
gboolean rr_report_add_sidecar (RrReport * report, const gchar * sidecar_json,
    GError ** error);

/* A file that could not be completed: stays in the temp dir. */
void rr_report_add_failed (RrReport * report, const gchar * connection_id,
    const gchar * tmp_location, const gchar * reason);

guint rr_report_n_archives (const RrReport * report);

/* The whole report; @file_path is where it is written, @filename that
 * path relative to the archive dir. */
gchar *rr_report_to_json (const RrReport * report, gint64 stop_us,
    const gchar * file_path, const gchar * filename);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RrReport, rr_report_free);

G_END_DECLS
