/* roomrec — crash-safe on-disk queue (one per webhook destination)
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * queue.rrq, all integers little-endian:
 *
 *   file header (24 bytes)
 *     0  8  magic 89 'R' 'R' 'S' 'P' 'L' '\r' '\n'
 *     8  4  version (1)
 *    12  8  base_seq: the seq of the first event this file may hold
 *    20  4  CRC-32 of bytes 0–19
 *   records, back to back
 *     0  4  magic F5 'R' 'R' 'Q' (0xF5 never occurs in UTF-8)
 *     4  1  kind: 1 event, 2 ack
 *     5  3  zero
 *     8  8  seq: of the event; an ack acks every event up to seq
 *    16  4  payload length (0 for an ack)
 *    20  4  CRC-32 of the payload
 *    24  4  CRC-32 of bytes 0–23
 *    28     payload: UTF-8 text without NUL
 *
 * Events have increasing seqs.  A record is valid when its magic, both
 * CRCs, kind, length and seq agree; an invalid one is skipped by searching
 * for the next valid record after it (the payloads of valid records cannot
 * hold a magic); when none follows, what is left is a torn tail and the
 * file is cut after the last valid record.  Events in a skipped region are
 * counted as lost (from the seq gap after it).
 */
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPOOL_VERSION 1
#define KIND_EVENT 1
#define KIND_ACK 2
#define TMP_NAME RR_SPOOL_FILE_NAME ".tmp"
#define LOCK_NAME "lock"

static const guint8 file_magic[8] = { 0x89, 'R', 'R', 'S', 'P', 'L', '\r',
  '\n'
};

static const guint8 record_magic[4] = { 0xF5, 'R', 'R', 'Q' };

struct _RrSpool
{
  GMutex lock;                  /* protects everything below */
  gchar *dir;
  gchar *path;
  gchar *tmp_path;
  int fd;
  int lock_fd;
  RrSpoolOptions opt;

  guint64 next_seq;
  GArray *pending;              /* RrSpoolRecord; [head, len) un-acked */
  guint head;
  guint64 live_bytes;
  gsize end;                    /* file size */
  RrSpoolRecovery recovery;

  GBytes *head_payload;         /* cache of the last peek */
  guint64 head_payload_seq;
};

/* ------------------------------------------------------------------ */
/* CRC-32 and little-endian fields                                     */

static guint32 crc_table[256];

static void
crc_table_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    guint32 i, j, c;

    for (i = 0; i < 256; i++) {
      c = i;
      for (j = 0; j < 8; j++)
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      crc_table[i] = c;
    }
    g_once_init_leave (&done, 1);
  }
}

guint32
rr_spool_crc32 (guint32 crc, const guint8 * data, gsize length)
{
  gsize i;

  crc_table_init ();
  crc = ~crc;
  for (i = 0; i < length; i++)
    crc = crc_table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

static guint32
get_le32 (const guint8 * p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16)
      | ((guint32) p[3] << 24);
}

static guint64
get_le64 (const guint8 * p)
{
  return (guint64) get_le32 (p) | ((guint64) get_le32 (p + 4) << 32);
}

static void
put_le32 (guint8 * p, guint32 v)
{
  p[0] = v;
  p[1] = v >> 8;
  p[2] = v >> 16;
  p[3] = v >> 24;
}

static void
put_le64 (guint8 * p, guint64 v)
{
  put_le32 (p, (guint32) v);
  put_le32 (p + 4, (guint32) (v >> 32));
}

static void
build_file_header (guint8 * h, guint64 base_seq)
{
  memcpy (h, file_magic, 8);
  put_le32 (h + 8, SPOOL_VERSION);
  put_le64 (h + 12, base_seq);
  put_le32 (h + 20, rr_spool_crc32 (0, h, 20));
}

static void
build_record_header (guint8 * h, guint8 kind, guint64 seq,
    const guint8 * payload, guint32 length)
{
  memcpy (h, record_magic, 4);
  h[4] = kind;
  h[5] = h[6] = h[7] = 0;
  put_le64 (h + 8, seq);
  put_le32 (h + 16, length);
  put_le32 (h + 20, rr_spool_crc32 (0, payload, length));
  put_le32 (h + 24, rr_spool_crc32 (0, h, 24));
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */

typedef struct
{
  guint8 kind;
  guint64 seq;
  guint32 length;
} RecordHeader;

/* Structurally valid record at @pos: magic, CRCs, kind, length, text. */
static gboolean
parse_record (const guint8 * data, gsize len, gsize pos, RecordHeader * r)
{
  const guint8 *p = data + pos;
  guint32 length;

  if (pos > len || len - pos < RR_SPOOL_RECORD_HEADER_SIZE)
    return FALSE;
  if (memcmp (p, record_magic, 4) != 0
      || rr_spool_crc32 (0, p, 24) != get_le32 (p + 24))
    return FALSE;
  if ((p[4] != KIND_EVENT && p[4] != KIND_ACK) || (p[5] | p[6] | p[7]) != 0)
    return FALSE;
  length = get_le32 (p + 16);
  if (length > RR_SPOOL_RECORD_MAX
      || length > len - pos - RR_SPOOL_RECORD_HEADER_SIZE)
    return FALSE;
  if (p[4] == KIND_ACK && length != 0)
    return FALSE;
  p += RR_SPOOL_RECORD_HEADER_SIZE;
  if (rr_spool_crc32 (0, p, length) != get_le32 (p - 8))
    return FALSE;
  if (length > 0 && !g_utf8_validate ((const gchar *) p, length, NULL))
    return FALSE;
  r->kind = data[pos + 4];
  r->seq = get_le64 (data + pos + 8);
  r->length = length;
  return TRUE;
}

/* Does a valid record fit what came before it? */
static gboolean
record_in_sequence (const RecordHeader * r, guint64 next_seq)
{
  if (r->kind == KIND_EVENT)
    return r->seq >= next_seq && r->seq < G_MAXUINT64;
  return r->seq > 0 && r->seq < next_seq;
}

static gsize
find_magic (const guint8 * data, gsize len, gsize from)
{
  const guint8 *p;

  while (from < len) {
    p = memchr (data + from, record_magic[0], len - from);
    if (p == NULL)
      return len;
    from = p - data;
    if (len - from >= 4 && memcmp (p, record_magic, 4) == 0)
      return from;
    from++;
  }
  return len;
}

gboolean
rr_spool_scan (const guint8 * data, gsize len, RrSpoolScan * scan,
    GError ** error)
{
  gsize pos, valid_end;
  guint head = 0;
  gboolean after_gap = FALSE;
  RecordHeader r;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (scan != NULL, FALSE);

  memset (scan, 0, sizeof (*scan));
  scan->pending = g_array_new (FALSE, FALSE, sizeof (RrSpoolRecord));

  if (len < RR_SPOOL_HEADER_SIZE || memcmp (data, file_magic, 8) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "not a roomrec spool file (no spool header)");
    return FALSE;
  }
  if (rr_spool_crc32 (0, data, 20) != get_le32 (data + 20)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "spool file header is damaged (CRC mismatch)");
    return FALSE;
  }
  if (get_le32 (data + 8) != SPOOL_VERSION) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "spool file version %u, this roomrec reads version %u",
        get_le32 (data + 8), SPOOL_VERSION);
    return FALSE;
  }
  scan->base_seq = get_le64 (data + 12);
  if (scan->base_seq == 0 || scan->base_seq == G_MAXUINT64) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "spool file header has an invalid base sequence number");
    return FALSE;
  }
  scan->next_seq = scan->base_seq;

  pos = valid_end = RR_SPOOL_HEADER_SIZE;
  while (pos < len) {
    if (!parse_record (data, len, pos, &r)
        || !record_in_sequence (&r, scan->next_seq)) {
      /* resynchronise on the next record that fits */
      gsize next = pos;

      do {
        next = find_magic (data, len, next + 1);
      } while (next < len && !(parse_record (data, len, next, &r)
              && record_in_sequence (&r, scan->next_seq)));
      if (next >= len)
        break;
      pos = next;
    }
    if (pos > valid_end) {
      scan->recovery.corrupt_bytes += pos - valid_end;
      after_gap = TRUE;
    }

    if (r.kind == KIND_EVENT) {
      RrSpoolRecord rec = { r.seq, pos, r.length };

      if (after_gap && r.seq > scan->next_seq)
        scan->recovery.lost_events += r.seq - scan->next_seq;
      g_array_append_val (scan->pending, rec);
      scan->live_bytes += RR_SPOOL_RECORD_HEADER_SIZE + r.length;
      scan->next_seq = r.seq + 1;
      /* (acks leave it set: the gap shows at the next event) */
      after_gap = FALSE;
    } else {
      while (head < scan->pending->len
          && g_array_index (scan->pending, RrSpoolRecord, head).seq <= r.seq) {
        scan->live_bytes -= RR_SPOOL_RECORD_HEADER_SIZE
            + g_array_index (scan->pending, RrSpoolRecord, head).length;
        head++;
      }
    }
    pos += RR_SPOOL_RECORD_HEADER_SIZE + r.length;
    valid_end = pos;
  }

  g_array_remove_range (scan->pending, 0, head);
  scan->valid_end = valid_end;
  scan->recovery.tail_bytes = len - valid_end;
  return TRUE;
}

void
rr_spool_scan_clear (RrSpoolScan * scan)
{
  if (scan->pending)
    g_array_unref (scan->pending);
  scan->pending = NULL;
}

/* ------------------------------------------------------------------ */
/* File helpers                                                        */

static gboolean
set_errno_error (GError ** error, int errsv, const gchar * what,
    const gchar * path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
      "spool: cannot %s '%s': %s", what, path, g_strerror (errsv));
  return FALSE;
}

static gboolean
write_all_at (int fd, const guint8 * buf, gsize len, gsize offset, int *errsv)
{
  while (len > 0) {
    ssize_t n = pwrite (fd, buf, len, offset);

    if (n < 0) {
      if (errno == EINTR)
        continue;
      *errsv = errno;
      return FALSE;
    }
    if (n == 0) {
      *errsv = ENOSPC;
      return FALSE;
    }
    buf += n;
    len -= n;
    offset += n;
  }
  return TRUE;
}

static gboolean
read_all_at (int fd, guint8 * buf, gsize len, gsize offset, int *errsv)
{
  while (len > 0) {
    ssize_t n = pread (fd, buf, len, offset);

    if (n < 0) {
      if (errno == EINTR)
        continue;
      *errsv = errno;
      return FALSE;
    }
    if (n == 0) {
      *errsv = EIO;             /* shorter than it should be */
      return FALSE;
    }
    buf += n;
    len -= n;
    offset += n;
  }
  return TRUE;
}

static int
sync_fd (RrSpool * spool, int fd)
{
  if (spool->opt.no_sync)
    return 0;
  while (fdatasync (fd) != 0) {
    if (errno != EINTR)
      return -1;
  }
  return 0;
}

static gboolean
sync_dir (RrSpool * spool, GError ** error)
{
  int fd, errsv;

  if (spool->opt.no_sync)
    return TRUE;
  fd = open (spool->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return set_errno_error (error, errno, "open", spool->dir);
  if (fsync (fd) != 0 && errno != EINVAL) {
    errsv = errno;
    close (fd);
    return set_errno_error (error, errsv, "sync", spool->dir);
  }
  close (fd);
  return TRUE;
}

/* Writes queue.rrq.tmp with a header and the pending records (from the
 * current file, re-checked), syncs it and renames it over queue.rrq. */
static gboolean
rewrite (RrSpool * spool, GError ** error)
{
  GArray *kept = g_array_new (FALSE, FALSE, sizeof (RrSpoolRecord));
  guint8 header[RR_SPOOL_HEADER_SIZE];
  guint8 *buf = NULL;
  guint64 base, live = 0;
  gsize pos = RR_SPOOL_HEADER_SIZE;
  int fd, errsv = 0;
  guint i;

  base = spool->head < spool->pending->len ?
      g_array_index (spool->pending, RrSpoolRecord, spool->head).seq :
      spool->next_seq;

  fd = open (spool->tmp_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC
      | O_NOFOLLOW, 0600);
  if (fd < 0) {
    g_array_unref (kept);
    return set_errno_error (error, errno, "create", spool->tmp_path);
  }
  build_file_header (header, base);
  if (!write_all_at (fd, header, sizeof (header), 0, &errsv))
    goto fail;

  for (i = spool->head; i < spool->pending->len; i++) {
    RrSpoolRecord rec = g_array_index (spool->pending, RrSpoolRecord, i);
    gsize size = RR_SPOOL_RECORD_HEADER_SIZE + rec.length;
    RecordHeader r;

    buf = g_malloc (size);
    if (!read_all_at (spool->fd, buf, size, rec.offset, &errsv))
      goto fail;
    if (!parse_record (buf, size, 0, &r) || r.seq != rec.seq
        || r.kind != KIND_EVENT) {
      /* damaged since it was read: it cannot be sent anyway */
      spool->recovery.lost_events++;
      g_clear_pointer (&buf, g_free);
      continue;
    }
    if (!write_all_at (fd, buf, size, pos, &errsv))
      goto fail;
    g_clear_pointer (&buf, g_free);
    rec.offset = pos;
    g_array_append_val (kept, rec);
    pos += size;
    live += size;
  }
  if (sync_fd (spool, fd) != 0) {
    errsv = errno;
    goto fail;
  }
  if (rename (spool->tmp_path, spool->path) != 0) {
    errsv = errno;
    goto fail;
  }
  if (spool->fd >= 0)
    close (spool->fd);
  spool->fd = fd;
  g_array_unref (spool->pending);
  spool->pending = kept;
  spool->head = 0;
  spool->live_bytes = live;
  spool->end = pos;
  g_clear_pointer (&spool->head_payload, g_bytes_unref);
  return sync_dir (spool, error);

fail:
  g_free (buf);
  close (fd);
  unlink (spool->tmp_path);
  g_array_unref (kept);
  return set_errno_error (error, errsv, "rewrite", spool->path);
}

static gboolean
read_whole (int fd, const gchar * path, guint8 ** data, gsize * len,
    GError ** error)
{
  struct stat st;
  int errsv = 0;

  if (fstat (fd, &st) != 0)
    return set_errno_error (error, errno, "stat", path);
  if (!S_ISREG (st.st_mode)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
        "spool: '%s' is not a regular file", path);
    return FALSE;
  }
  if ((guint64) st.st_size > G_MAXSIZE - 1) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "spool: '%s' is too large", path);
    return FALSE;
  }
  *len = st.st_size;
  *data = g_try_malloc (*len + 1);
  if (*data == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
        "spool: no memory to read '%s' (%" G_GSIZE_FORMAT " bytes)", path,
        *len);
    return FALSE;
  }
  if (!read_all_at (fd, *data, *len, 0, &errsv)) {
    g_clear_pointer (data, g_free);
    return set_errno_error (error, errsv, "read", path);
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Public API                                                          */

gchar *
rr_spool_dir_name (const gchar * destination)
{
  GString *s = g_string_new (NULL);
  const gchar *p, *scheme;
  gchar *hash;

  g_return_val_if_fail (destination != NULL, NULL);

  scheme = strstr (destination, "://");
  p = scheme ? scheme + 3 : destination;
  for (; *p && s->len < 40; p++) {
    gchar c = *p;

    if (g_ascii_isalnum (c) || c == '-' || c == '_' || (c == '.' && s->len))
      g_string_append_c (s, c);
    else
      g_string_append_c (s, '_');
  }
  if (s->len == 0)
    g_string_append (s, "destination");
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, destination, -1);
  g_string_append_printf (s, "-%.16s", hash);
  g_free (hash);
  return g_string_free (s, FALSE);
}

static void
spool_free (RrSpool * spool)
{
  if (spool->fd >= 0)
    close (spool->fd);
  if (spool->lock_fd >= 0)
    close (spool->lock_fd);
  if (spool->pending)
    g_array_unref (spool->pending);
  g_clear_pointer (&spool->head_payload, g_bytes_unref);
  g_free (spool->dir);
  g_free (spool->path);
  g_free (spool->tmp_path);
  g_mutex_clear (&spool->lock);
  g_free (spool);
}

static gboolean
create_empty (RrSpool * spool, GError ** error)
{
  spool->next_seq = spool->next_seq ? spool->next_seq : 1;
  spool->pending = g_array_new (FALSE, FALSE, sizeof (RrSpoolRecord));
  spool->head = 0;
  if (!rewrite (spool, error))
    return FALSE;
  return TRUE;
}

RrSpool *
rr_spool_open (const gchar * dir, const RrSpoolOptions * options,
    GError ** error)
{
  RrSpool *spool;
  RrSpoolScan scan = { 0 };
  guint8 *data = NULL;
  gsize len = 0;
  gchar *lock_path;

  g_return_val_if_fail (dir != NULL && *dir != '\0', NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  spool = g_new0 (RrSpool, 1);
  g_mutex_init (&spool->lock);
  spool->fd = spool->lock_fd = -1;
  if (options)
    spool->opt = *options;
  if (spool->opt.max_bytes == 0)
    spool->opt.max_bytes = RR_SPOOL_DEFAULT_MAX_BYTES;
  if (spool->opt.max_record == 0)
    spool->opt.max_record = RR_SPOOL_DEFAULT_MAX_RECORD;
  spool->opt.max_record = MIN (spool->opt.max_record, RR_SPOOL_RECORD_MAX);
  if (spool->opt.compact_bytes == 0)
    spool->opt.compact_bytes = RR_SPOOL_DEFAULT_COMPACT_BYTES;
  spool->dir = g_strdup (dir);
  spool->path = g_build_filename (dir, RR_SPOOL_FILE_NAME, NULL);
  spool->tmp_path = g_build_filename (dir, TMP_NAME, NULL);

  if (g_mkdir_with_parents (dir, 0700) != 0) {
    set_errno_error (error, errno, "create the directory", dir);
    goto fail;
  }
  lock_path = g_build_filename (dir, LOCK_NAME, NULL);
  spool->lock_fd = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
      0600);
  if (spool->lock_fd < 0) {
    set_errno_error (error, errno, "open", lock_path);
    g_free (lock_path);
    goto fail;
  }
  if (flock (spool->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
          "spool: '%s' is in use by another process (or spool)", dir);
    else
      set_errno_error (error, errno, "lock", lock_path);
    g_free (lock_path);
    goto fail;
  }
  g_free (lock_path);

  /* a rewrite that did not reach its rename */
  if (unlink (spool->tmp_path) != 0 && errno != ENOENT) {
    set_errno_error (error, errno, "remove", spool->tmp_path);
    goto fail;
  }

  spool->fd = open (spool->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (spool->fd < 0 && errno != ENOENT) {
    set_errno_error (error, errno, "open", spool->path);
    goto fail;
  }
  if (spool->fd >= 0 && !read_whole (spool->fd, spool->path, &data, &len,
          error))
    goto fail;

  if (spool->fd < 0 || len == 0) {
    /* new, or created by hand: an empty queue */
    if (!create_empty (spool, error))
      goto fail;
    g_free (data);
    return spool;
  }

  if (!rr_spool_scan (data, len, &scan, error)) {
    g_prefix_error (error, "%s: ", spool->path);
    rr_spool_scan_clear (&scan);
    goto fail;
  }
  g_clear_pointer (&data, g_free);

  spool->pending = g_steal_pointer (&scan.pending);
  spool->next_seq = scan.next_seq;
  spool->live_bytes = scan.live_bytes;
  spool->end = scan.valid_end;
  spool->recovery = scan.recovery;

  if (scan.recovery.corrupt_bytes > 0) {
    /* leave no garbage between records */
    if (!rewrite (spool, error))
      goto fail;
  } else if (scan.recovery.tail_bytes > 0) {
    if (ftruncate (spool->fd, spool->end) != 0 || sync_fd (spool,
            spool->fd) != 0) {
      set_errno_error (error, errno, "truncate", spool->path);
      goto fail;
    }
  }
  return spool;

fail:
  g_free (data);
  spool_free (spool);
  return NULL;
}

void
rr_spool_close (RrSpool * spool)
{
  if (spool)
    spool_free (spool);
}

static guint
pending_count (RrSpool * spool)
{
  return spool->pending->len - spool->head;
}

/* After writing a record at spool->end: make it durable, or take it back
 * (a half record would only be cut at the next open, but the next append
 * must not go after it). */
static gboolean
append_done (RrSpool * spool, gboolean written, int errsv, GError ** error)
{
  if (written && sync_fd (spool, spool->fd) == 0)
    return TRUE;
  if (written)
    errsv = errno;
  if (ftruncate (spool->fd, spool->end) == 0)
    sync_fd (spool, spool->fd);
  return set_errno_error (error, errsv, "append to", spool->path);
}

gboolean
rr_spool_append (RrSpool * spool, const gchar * data, gsize length,
    guint64 * seq, GError ** error)
{
  guint8 *buf;
  gsize size;
  int errsv = 0;
  RrSpoolRecord rec;
  gboolean ok = FALSE;

  g_return_val_if_fail (spool != NULL, FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);

  if (length > 0 && !g_utf8_validate (data, length, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "spool: an event must be UTF-8 text without NUL bytes");
    return FALSE;
  }

  g_mutex_lock (&spool->lock);
  if (length > spool->opt.max_record) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
        "spool '%s': an event of %" G_GSIZE_FORMAT " bytes is larger than "
        "the limit (%" G_GSIZE_FORMAT " bytes)", spool->dir, length,
        spool->opt.max_record);
    goto out;
  }
  size = RR_SPOOL_RECORD_HEADER_SIZE + length;
  if ((spool->opt.max_events && pending_count (spool) >= spool->opt.max_events)
      || spool->live_bytes + size > spool->opt.max_bytes) {
    gchar *limit = spool->opt.max_events ?
        g_strdup_printf (", %u events", spool->opt.max_events) : NULL;

    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
        "spool '%s' is full: %u events, %" G_GUINT64_FORMAT " bytes waiting "
        "(limit %" G_GUINT64_FORMAT " bytes%s); the event of %" G_GSIZE_FORMAT
        " bytes was not queued", spool->dir, pending_count (spool),
        spool->live_bytes, spool->opt.max_bytes, limit ? limit : "", length);
    g_free (limit);
    goto out;
  }
  if (spool->next_seq == G_MAXUINT64) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
        "spool '%s': out of sequence numbers", spool->dir);
    goto out;
  }

  buf = g_malloc (size);
  build_record_header (buf, KIND_EVENT, spool->next_seq,
      (const guint8 *) data, length);
  if (length)
    memcpy (buf + RR_SPOOL_RECORD_HEADER_SIZE, data, length);
  ok = write_all_at (spool->fd, buf, size, spool->end, &errsv);
  g_free (buf);
  if (!append_done (spool, ok, errsv, error)) {
    ok = FALSE;
    goto out;
  }

  rec.seq = spool->next_seq;
  rec.offset = spool->end;
  rec.length = length;
  g_array_append_val (spool->pending, rec);
  spool->end += size;
  spool->live_bytes += size;
  spool->next_seq++;
  if (seq)
    *seq = rec.seq;
  ok = TRUE;
out:
  g_mutex_unlock (&spool->lock);
  return ok;
}

gboolean
rr_spool_peek (RrSpool * spool, guint64 * seq, GBytes ** payload,
    GError ** error)
{
  RrSpoolRecord rec;
  RecordHeader r;
  guint8 *buf;
  gsize size;
  int errsv = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (spool != NULL, FALSE);
  g_return_val_if_fail (payload != NULL, FALSE);

  g_mutex_lock (&spool->lock);
  *payload = NULL;
  if (pending_count (spool) == 0) {
    if (seq)
      *seq = 0;
    ok = TRUE;
    goto out;
  }
  rec = g_array_index (spool->pending, RrSpoolRecord, spool->head);
  if (seq)
    *seq = rec.seq;
  if (spool->head_payload && spool->head_payload_seq == rec.seq) {
    *payload = g_bytes_ref (spool->head_payload);
    ok = TRUE;
    goto out;
  }

  size = RR_SPOOL_RECORD_HEADER_SIZE + rec.length;
  buf = g_malloc (size + 1);
  if (!read_all_at (spool->fd, buf, size, rec.offset, &errsv)) {
    g_free (buf);
    set_errno_error (error, errsv, "read", spool->path);
    goto out;
  }
  if (!parse_record (buf, size, 0, &r) || r.kind != KIND_EVENT
      || r.seq != rec.seq || r.length != rec.length) {
    g_free (buf);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "spool '%s': event %" G_GUINT64_FORMAT " is damaged on disk",
        spool->dir, rec.seq);
    goto out;
  }
  memmove (buf, buf + RR_SPOOL_RECORD_HEADER_SIZE, rec.length);
  buf[rec.length] = '\0';
  g_clear_pointer (&spool->head_payload, g_bytes_unref);
  spool->head_payload = g_bytes_new_with_free_func (buf, rec.length, g_free,
      buf);
  spool->head_payload_seq = rec.seq;
  *payload = g_bytes_ref (spool->head_payload);
  ok = TRUE;
out:
  g_mutex_unlock (&spool->lock);
  return ok;
}

gboolean
rr_spool_ack (RrSpool * spool, guint64 seq, GError ** error)
{
  guint8 rec_header[RR_SPOOL_RECORD_HEADER_SIZE];
  RrSpoolRecord rec;
  guint64 dead;
  int errsv = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (spool != NULL, FALSE);

  g_mutex_lock (&spool->lock);
  if (pending_count (spool) == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "spool '%s': ack of event %" G_GUINT64_FORMAT ", but the spool is "
        "empty", spool->dir, seq);
    goto out;
  }
  rec = g_array_index (spool->pending, RrSpoolRecord, spool->head);
  if (rec.seq != seq) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "spool '%s': ack of event %" G_GUINT64_FORMAT ", but the oldest is %"
        G_GUINT64_FORMAT, spool->dir, seq, rec.seq);
    goto out;
  }

  build_record_header (rec_header, KIND_ACK, seq, NULL, 0);
  ok = write_all_at (spool->fd, rec_header, sizeof (rec_header), spool->end,
      &errsv);
  if (!append_done (spool, ok, errsv, error)) {
    ok = FALSE;
    goto out;
  }
  spool->end += sizeof (rec_header);
  spool->head++;
  spool->live_bytes -= RR_SPOOL_RECORD_HEADER_SIZE + rec.length;
  if (spool->head_payload && spool->head_payload_seq == seq)
    g_clear_pointer (&spool->head_payload, g_bytes_unref);
  if (spool->head >= 1024 && spool->head * 2 >= spool->pending->len) {
    g_array_remove_range (spool->pending, 0, spool->head);
    spool->head = 0;
  }
  ok = TRUE;

  /* The ack is durable; a failed rewrite is tried again at the next ack
   * (the old file stays valid). */
  dead = spool->end - RR_SPOOL_HEADER_SIZE - spool->live_bytes;
  if (dead >= spool->opt.compact_bytes && dead >= spool->live_bytes)
    rewrite (spool, NULL);
out:
  g_mutex_unlock (&spool->lock);
  return ok;
}

guint
rr_spool_count (RrSpool * spool)
{
  guint n;

  g_return_val_if_fail (spool != NULL, 0);
  g_mutex_lock (&spool->lock);
  n = pending_count (spool);
  g_mutex_unlock (&spool->lock);
  return n;
}

guint64
rr_spool_bytes (RrSpool * spool)
{
  guint64 n;

  g_return_val_if_fail (spool != NULL, 0);
  g_mutex_lock (&spool->lock);
  n = spool->live_bytes;
  g_mutex_unlock (&spool->lock);
  return n;
}

guint64
rr_spool_file_bytes (RrSpool * spool)
{
  guint64 n;

  g_return_val_if_fail (spool != NULL, 0);
  g_mutex_lock (&spool->lock);
  n = spool->end;
  g_mutex_unlock (&spool->lock);
  return n;
}

const gchar *
rr_spool_dir (RrSpool * spool)
{
  g_return_val_if_fail (spool != NULL, NULL);
  return spool->dir;
}

void
rr_spool_get_recovery (RrSpool * spool, RrSpoolRecovery * recovery)
{
  g_return_if_fail (spool != NULL && recovery != NULL);
  g_mutex_lock (&spool->lock);
  *recovery = spool->recovery;
  g_mutex_unlock (&spool->lock);
}
