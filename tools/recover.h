/* roomrec — recovery of the files a killed recorder left in its temp dir
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * splitmuxrec writes every file under its tmp-dir and moves it into the
 * archive dir when it is complete.  After a kill -9 the open files stay
 * in the temp dir: fragmented MP4 (playable up to the last complete
 * fragment), WebM/Matroska/Ogg (playable as they are) and the open HLS
 * segment (its playlist, in the archive dir, has no #EXT-X-ENDLIST).
 * rr_recover_leftovers() makes them normal archive files.
 *
 * Locking: a room takes rr_recover_lock() on its temp dir when it starts
 * and keeps the fd until it ends, so that no other roomrec recovers (or
 * records into) files it is still writing.  Typical start of a room:
 *
 *   if (!rr_recover_lock (tmp_dir, &lock_fd, &err))
 *     fail ("another roomrec is recording into <tmp_dir>");
 *   left = rr_recover_leftovers_locked (tmp_dir, archive_dir, &err);
 *   ... report left ..., record, close (lock_fd) at the end.
 *
 * rr_recover_leftovers() takes and releases the lock itself (for a
 * process that does not record into @tmp_dir); flock() locks belong to an
 * open file, so it fails with G_IO_ERROR_BUSY even when the same process
 * holds the lock through rr_recover_lock().
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gchar *tmp_path;              /* where it was left */
  gchar *path;                  /* where it is now (archive dir), or NULL if
                                 * it stayed in tmp */
  gboolean recovered;           /* made playable and moved into the archive */
  gchar *reason;                /* what was done / why not, for the user */
  guint64 size;
  gchar *format;                /* "mp4", "webm", "mkv", "ogg", "hls" */
  gchar *sidecar_path;          /* the sidecar written next to path, or NULL */
} RrRecoveredFile;

#define RR_RECOVER_LOCK_NAME ".roomrec-lock"

/* Every media file left in @tmp_dir (recursively; .mp4 .m4a .webm .mkv
 * .ogg .ts .m3u8) by an earlier, killed run:
 * - MP4/M4A: defragmented (an incomplete last fragment dropped) and moved
 *   to <archive_dir>/<same relative path>; a file that cannot be
 *   defragmented (e.g. cut before its moov) stays, recovered=FALSE;
 * - WebM/MKV/Ogg: moved as they are;
 * - HLS: a playlist left in @tmp_dir is moved with the segments it lists
 *   (and the unlisted ones named after it); a lone segment joins the
 *   playlist it is named after in the archive dir; a playlist that got
 *   segments ends with #EXT-X-ENDLIST.
 * Never overwrites a file of the archive dir (adds _recovered,
 * _recovered2 … before the extension).  Empty files are removed (not
 * listed).  Symbolic links are skipped, never followed.  A JSON sidecar
 * ("recovered": true, "tmp_path", "file_path", "size", "format",
 * "reason", "recovered_at", …) is written next to each recovered file (an
 * HLS playlist's for its segments).
 *
 * Returns a GPtrArray of RrRecoveredFile* (free func set), empty when
 * nothing was left or @tmp_dir does not exist; NULL with @error when
 * @tmp_dir cannot be read or (G_IO_ERROR_BUSY) another roomrec holds its
 * lock. */
GPtrArray *rr_recover_leftovers (const gchar *tmp_dir,
                                 const gchar *archive_dir, GError **error);

/* The same, for a caller holding the lock (rr_recover_lock()). */
GPtrArray *rr_recover_leftovers_locked (const gchar *tmp_dir,
                                        const gchar *archive_dir,
                                        GError **error);

/* Takes flock(LOCK_EX) on <tmp_dir>/.roomrec-lock (creating @tmp_dir if
 * needed) without waiting.  On success *@fd_out is the open lock file:
 * keep it while recording, close() it to release.  FALSE with
 * G_IO_ERROR_BUSY "another roomrec is recording into <tmp_dir>" when the
 * lock is taken. */
gboolean rr_recover_lock (const gchar *tmp_dir, gint *fd_out, GError **error);

void rr_recovered_file_free (RrRecoveredFile *f);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RrRecoveredFile, rr_recovered_file_free);

G_END_DECLS
