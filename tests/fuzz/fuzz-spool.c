/* Fuzz target for the on-disk format of the event spool (gst/core/spool.c).
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: the bytes of a queue.rrq file (a crash, a bad disk or anyone with
 * write access may have left anything there).  First the parser alone, on
 * a buffer of exactly the input's size: a refused file must be refused
 * with G_IO_ERROR_INVALID_DATA and a UTF-8 message; an accepted one must
 * keep the promises of spool.h (pending events in increasing seq order,
 * inside the valid part, not overlapping, each record intact and UTF-8,
 * the byte counts adding up).  Then the real reopen path: the input is
 * written as queue.rrq of a spool directory and rr_spool_open() must
 * refuse it the same way (leaving the file as it was) or recover the same
 * events; one more event is appended, the spool reopened (nothing left to
 * repair, the new event last, its seq next_seq), and drained in order.
 *
 * libFuzzer build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DROOMREC_LIBFUZZER \
 *     -fno-sanitize-recover=undefined -Igst/core \
 *     $(pkg-config --cflags gio-2.0) \
 *     tests/fuzz/fuzz-spool.c gst/core/spool.c \
 *     $(pkg-config --libs gio-2.0) -o fuzz-spool
 *   ./fuzz-spool -max_len=4096 tests/fuzz/corpus/spool
 * (it writes into a temporary directory of its own, without fsync).
 * Without ROOMREC_LIBFUZZER a main() replays the files and directories given
 * on the command line (used by the test suite).
 */
#include "spool.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static gchar *work_dir;

static void
remove_work_dir (void)
{
  const gchar *names[] = { RR_SPOOL_FILE_NAME, RR_SPOOL_FILE_NAME ".tmp",
    "lock"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    gchar *p = g_build_filename (work_dir, names[i], NULL);

    g_unlink (p);
    g_free (p);
  }
  g_rmdir (work_dir);
  g_free (work_dir);
}

static const gchar *
get_work_dir (void)
{
  if (work_dir == NULL) {
    work_dir = g_dir_make_tmp ("roomrec-fuzz-spool-XXXXXX", NULL);
    if (work_dir == NULL)
      abort ();
    atexit (remove_work_dir);
  }
  return work_dir;
}

static void
check_error (GError * err)
{
  if (err == NULL || err->domain != G_IO_ERROR
      || err->code != G_IO_ERROR_INVALID_DATA
      || !g_utf8_validate (err->message, -1, NULL))
    abort ();
}

static void
check_scan (const guint8 * data, gsize size, const RrSpoolScan * scan)
{
  guint64 live = 0, prev_seq = 0;
  gsize prev_end = RR_SPOOL_HEADER_SIZE;
  guint i;

  if (scan->valid_end < RR_SPOOL_HEADER_SIZE || scan->valid_end > size)
    abort ();
  if (scan->recovery.tail_bytes != size - scan->valid_end)
    abort ();
  if (scan->base_seq == 0 || scan->next_seq < scan->base_seq)
    abort ();
  for (i = 0; i < scan->pending->len; i++) {
    const RrSpoolRecord *r = &g_array_index (scan->pending, RrSpoolRecord, i);
    const guint8 *p = data + r->offset;
    gsize end = r->offset + RR_SPOOL_RECORD_HEADER_SIZE + r->length;

    if (r->seq < scan->base_seq || r->seq >= scan->next_seq
        || (i > 0 && r->seq <= prev_seq))
      abort ();
    if (r->offset < prev_end || end > scan->valid_end)
      abort ();
    if (p[0] != 0xF5 || p[4] != 1 || r->length > RR_SPOOL_RECORD_MAX)
      abort ();
    if (rr_spool_crc32 (0, p, 24) != (guint32) (p[24] | p[25] << 8
            | p[26] << 16 | (guint32) p[27] << 24))
      abort ();
    if (r->length && !g_utf8_validate ((const gchar *) p
            + RR_SPOOL_RECORD_HEADER_SIZE, r->length, NULL))
      abort ();
    live += RR_SPOOL_RECORD_HEADER_SIZE + r->length;
    prev_seq = r->seq;
    prev_end = end;
  }
  if (live != scan->live_bytes)
    abort ();
  if (scan->recovery.corrupt_bytes > scan->valid_end - RR_SPOOL_HEADER_SIZE)
    abort ();
}

static gboolean
same_file (const gchar * path, const guint8 * data, gsize size)
{
  gchar *contents = NULL;
  gsize len = 0;
  gboolean same;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return FALSE;
  same = len == size && memcmp (contents, data, size) == 0;
  g_free (contents);
  return same;
}

/* Peeks and acks every event, comparing with @scan's records in @data. */
static void
drain (RrSpool * spool, const guint8 * data, const RrSpoolScan * scan,
    const gchar * extra, guint64 extra_seq)
{
  guint i;
  GBytes *b;
  guint64 seq;

  for (i = 0; i <= scan->pending->len; i++) {
    const gchar *want;
    gsize want_len;
    guint64 want_seq;

    if (i < scan->pending->len) {
      const RrSpoolRecord *r = &g_array_index (scan->pending, RrSpoolRecord, i);

      want = (const gchar *) data + r->offset + RR_SPOOL_RECORD_HEADER_SIZE;
      want_len = r->length;
      want_seq = r->seq;
    } else {
      want = extra;
      want_len = strlen (extra);
      want_seq = extra_seq;
    }
    b = NULL;
    if (!rr_spool_peek (spool, &seq, &b, NULL) || b == NULL)
      abort ();
    if (seq != want_seq || g_bytes_get_size (b) != want_len
        || memcmp (g_bytes_get_data (b, NULL), want, want_len) != 0)
      abort ();
    g_bytes_unref (b);
    if (!rr_spool_ack (spool, seq, NULL))
      abort ();
  }
  b = NULL;
  if (!rr_spool_peek (spool, &seq, &b, NULL) || b != NULL
      || rr_spool_count (spool) != 0 || rr_spool_bytes (spool) != 0)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static const RrSpoolOptions opt = {.no_sync = TRUE,.max_bytes = 1 << 30 };
  static const gchar extra[] = "{\"type\":\"failover\",\"seq\":1}";
  RrSpoolScan scan;
  RrSpoolRecovery rec;
  GError *err = NULL;
  RrSpool *spool;
  guint8 *buf;
  gchar *path;
  gboolean ok;
  guint64 extra_seq = 0;

  /* malloc (0) may return NULL: keep one byte */
  buf = malloc (size ? size : 1);
  if (buf == NULL)
    abort ();
  memcpy (buf, data, size);

  ok = rr_spool_scan (buf, size, &scan, &err);
  if (ok) {
    if (err)
      abort ();
    check_scan (buf, size, &scan);
  } else {
    check_error (err);
    g_clear_error (&err);
  }

  path = g_build_filename (get_work_dir (), RR_SPOOL_FILE_NAME, NULL);
  if (!g_file_set_contents (path, (const gchar *) buf, size, NULL))
    abort ();
  spool = rr_spool_open (get_work_dir (), &opt, &err);
  if (size == 0) {
    /* an empty file is an empty spool */
    if (spool == NULL || rr_spool_count (spool) != 0)
      abort ();
  } else if (!ok) {
    check_error (err);
    g_clear_error (&err);
    if (spool || !same_file (path, buf, size))
      abort ();
  } else {
    if (spool == NULL || err)
      abort ();
    rr_spool_get_recovery (spool, &rec);
    if (memcmp (&rec, &scan.recovery, sizeof (rec)) != 0
        || rr_spool_count (spool) != scan.pending->len
        || rr_spool_bytes (spool) != scan.live_bytes)
      abort ();
  }
  if (spool) {
    if (!rr_spool_append (spool, extra, strlen (extra), &extra_seq, NULL))
      abort ();
    if (ok && extra_seq != scan.next_seq)
      abort ();
    rr_spool_close (spool);

    /* the repaired file needs no repair */
    spool = rr_spool_open (get_work_dir (), &opt, &err);
    if (spool == NULL || err)
      abort ();
    rr_spool_get_recovery (spool, &rec);
    if (rec.tail_bytes || rec.corrupt_bytes || rec.lost_events)
      abort ();
    if (ok)
      drain (spool, buf, &scan, extra, extra_seq);
    rr_spool_close (spool);
  }
  rr_spool_scan_clear (&scan);
  g_unlink (path);
  g_free (path);
  free (buf);
  return 0;
}

#ifndef ROOMREC_LIBFUZZER
#include "fuzz-replay.h"
#endif
