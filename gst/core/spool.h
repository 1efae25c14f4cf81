/* roomrec — crash-safe on-disk queue (one per webhook destination)
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * At-least-once, in-order delivery: an event is appended (durable when
 * rr_spool_append() returns), the sender peeks the oldest, sends it, and
 * acks it once the receiver said 2xx; after a crash rr_spool_open() finds
 * every event that was not acked, in order.
 *
 * On disk: <dir>/queue.rrq, an append-only log of records, each with its
 * length and CRC-32s, fdatasync()ed after every append and every ack; a
 * torn or corrupted tail (kill -9 or power loss mid-write) is detected at
 * open and cut off; corrupted records in the middle are skipped without
 * losing the valid ones around them.  When enough of the file is acked it
 * is rewritten (temp file + fsync + rename).  <dir>/lock (flock) keeps a
 * second process out.  docs/webhooks.md has the format and the reasons.
 *
 * Payloads are UTF-8 text without NUL bytes (event JSON): the record magic
 * starts with 0xF5, which UTF-8 never contains, so after a corruption the
 * next record is found again by searching for the magic.
 *
 * Errors are G_IO_ERROR: NO_SPACE (spool full, or the disk),
 * MESSAGE_TOO_LARGE, INVALID_DATA (not UTF-8; a file that is not a spool
 * or a record damaged after open), BUSY (locked by another process),
 * INVALID_ARGUMENT (ack of an event that is not the oldest), and the
 * errno-based ones of the file system.  All functions are thread-safe.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RR_SPOOL_FILE_NAME "queue.rrq"
#define RR_SPOOL_HEADER_SIZE 24
#define RR_SPOOL_RECORD_HEADER_SIZE 28
/* No record is longer, whatever the options (a length field above it is
 * corruption). */
#define RR_SPOOL_RECORD_MAX (16 * 1024 * 1024)

#define RR_SPOOL_DEFAULT_MAX_BYTES (64 * 1024 * 1024)
#define RR_SPOOL_DEFAULT_MAX_RECORD (1024 * 1024)
#define RR_SPOOL_DEFAULT_COMPACT_BYTES (64 * 1024)

typedef struct
{
  /* Un-acked events may take this many bytes (record headers included);
   * 0: RR_SPOOL_DEFAULT_MAX_BYTES.  The file stays below about twice this
   * plus compact_bytes. */
  guint64 max_bytes;
  guint max_events;             /* 0: no limit */
  gsize max_record;             /* largest payload; 0: the default */
  /* Rewrite the file once the acked records take this many bytes and at
   * least as many as the un-acked ones; 0: the default. */
  gsize compact_bytes;
  /* Tests and fuzzing only: no fsync/fdatasync (not crash-safe). */
  gboolean no_sync;
} RrSpoolOptions;

typedef struct _RrSpool RrSpool;

/* A directory name for @destination (a URL, …) that is one path component:
 * a readable part of it ([A-Za-z0-9._-], never starting with '.') then '-'
 * and 16 hex digits of its SHA-256, e.g. "hooks.example.com_in-1c0e…". */
gchar *rr_spool_dir_name (const gchar * destination);

/* Opens (creating @dir with mode 0700 and an empty queue if needed) and
 * recovers the queue; @options NULL: the defaults. */
RrSpool *rr_spool_open (const gchar * dir, const RrSpoolOptions * options,
    GError ** error);
void rr_spool_close (RrSpool * spool);

/* Durable when TRUE; @seq (may be NULL) gets the spool's number of the
 * event (1, 2, … per spool, kept across reopen). */
gboolean rr_spool_append (RrSpool * spool, const gchar * data, gsize length,
    guint64 * seq, GError ** error);
/* The oldest un-acked event: TRUE with *@payload NULL when the spool is
 * empty; *@payload is the text, NUL-terminated after its size. */
gboolean rr_spool_peek (RrSpool * spool, guint64 * seq, GBytes ** payload,
    GError ** error);
/* Removes the oldest event, which must be @seq. */
gboolean rr_spool_ack (RrSpool * spool, guint64 seq, GError ** error);

guint rr_spool_count (RrSpool * spool);
/* Bytes of the un-acked events on disk, record headers included (what
 * max_bytes limits). */
guint64 rr_spool_bytes (RrSpool * spool);
/* Size of queue.rrq. */
guint64 rr_spool_file_bytes (RrSpool * spool);
const gchar *rr_spool_dir (RrSpool * spool);

/* What the last open repaired. */
typedef struct
{
  guint64 tail_bytes;           /* cut off the end: a torn last write */
  guint64 corrupt_bytes;        /* skipped between valid records */
  guint64 lost_events;          /* events whose records were skipped */
} RrSpoolRecovery;

void rr_spool_get_recovery (RrSpool * spool, RrSpoolRecovery * recovery);

/* ------------------------------------------------------------------ */
/* The parser of queue.rrq (used by rr_spool_open; public for the fuzz  */
/* target and the tests).                                              */

typedef struct
{
  guint64 seq;
  gsize offset;                 /* of the record header */
  guint32 length;               /* of the payload */
} RrSpoolRecord;

typedef struct
{
  guint64 base_seq;             /* from the file header */
  guint64 next_seq;             /* for the next append */
  GArray *pending;              /* RrSpoolRecord, oldest first */
  guint64 live_bytes;           /* headers + payloads of pending */
  gsize valid_end;              /* end of the last valid record */
  RrSpoolRecovery recovery;
} RrSpoolScan;

/* FALSE (G_IO_ERROR_INVALID_DATA) only when the file header is not a
 * spool header of a version we read; anything after it is recovered. */
gboolean rr_spool_scan (const guint8 * data, gsize length, RrSpoolScan * scan,
    GError ** error);
void rr_spool_scan_clear (RrSpoolScan * scan);

/* CRC-32 (ISO-HDLC, as zlib's crc32()), continuing from @crc (0 first). */
guint32 rr_spool_crc32 (guint32 crc, const guint8 * data, gsize length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RrSpool, rr_spool_close);

G_END_DECLS
