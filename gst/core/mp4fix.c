/* roomrec — in-place repairs of MP4 boxes written by buggy muxers
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GStreamer 1.22.0 (Debian bookworm) writes the Opus specific box 'dOps'
 * with little-endian PreSkip/InputSampleRate/OutputGain (fixed upstream in
 * 1.22.4).  Players then see a sample rate of 0x80BB0000.  The bug is
 * detected from the bytes themselves, so a correct file from a newer
 * GStreamer is never touched.
 */
#include "mp4fix.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define DOPS_MIN_PAYLOAD 11

static guint32
rd32be (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

static guint32
rd32le (const guint8 * p)
{
  return ((guint32) p[3] << 24) | ((guint32) p[2] << 16) |
      ((guint32) p[1] << 8) | p[0];
}

static gboolean
plausible_rate (guint32 rate)
{
  return rate >= 8000 && rate <= 384000;
}

static void
swap16 (guint8 * p)
{
  guint8 t = p[0];
  p[0] = p[1];
  p[1] = t;
}

static void
swap32 (guint8 * p)
{
  guint8 t = p[0];
  p[0] = p[3];
  p[3] = t;
  t = p[1];
  p[1] = p[2];
  p[2] = t;
}

guint
rr_mp4_fix_opus_dops_in_buffer (guint8 * data, gsize size)
{
  guint fixed = 0;
  gsize i;

  if (size < 8 + DOPS_MIN_PAYLOAD)
    return 0;

  for (i = 4; i + 4 + DOPS_MIN_PAYLOAD <= size; i++) {
    guint8 *box, *payload;
    guint32 box_size;

    if (memcmp (data + i, "dOps", 4) != 0)
      continue;
    box = data + i - 4;
    box_size = rd32be (box);
    if (box_size < 8 + DOPS_MIN_PAYLOAD || (gsize) (box - data) + box_size >
        size)
      continue;
    payload = box + 8;
    if (payload[0] != 0)        /* Version */
      continue;
    /* payload: Version(1) OutputChannelCount(1) PreSkip(2)
     * InputSampleRate(4) OutputGain(2) ChannelMappingFamily(1) */
    if (!plausible_rate (rd32be (payload + 4))
        && plausible_rate (rd32le (payload + 4))) {
      swap16 (payload + 2);
      swap32 (payload + 4);
      swap16 (payload + 8);
      fixed++;
    }
  }
  return fixed;
}

static gboolean
read_exact (int fd, guint8 * buf, gsize len, goffset off)
{
  gsize done = 0;

  while (done < len) {
    ssize_t n = pread (fd, buf + done, len - done, off + done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    done += n;
  }
  return TRUE;
}

static gboolean
write_exact (int fd, const guint8 * buf, gsize len, goffset off)
{
  gsize done = 0;

  while (done < len) {
    ssize_t n = pwrite (fd, buf + done, len - done, off + done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    done += n;
  }
  return TRUE;
}

/* A moov larger than this is not an Opus recording's header we can fix. */
#define MAX_MOOV_SIZE (64 * 1024 * 1024)

gboolean
rr_mp4_fix_opus_dops (const gchar * path, gboolean * fixed, GError ** error)
{
  int fd;
  goffset off = 0, file_size;
  GStatBuf st;

  *fixed = FALSE;
  fd = g_open (path, O_RDWR | O_CLOEXEC, 0);
  if (fd < 0 || fstat (fd, &st) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot open '%s' to check its Opus header: %s", path,
        g_strerror (errno));
    if (fd >= 0)
      close (fd);
    return FALSE;
  }
  file_size = st.st_size;

  while (off + 8 <= file_size) {
    guint8 hdr[16];
    guint64 box_size;
    guint hdr_len = 8;

    if (!read_exact (fd, hdr, 8, off))
      break;
    box_size = rd32be (hdr);
    if (box_size == 1) {
      if (!read_exact (fd, hdr + 8, 8, off + 8))
        break;
      box_size = ((guint64) rd32be (hdr + 8) << 32) | rd32be (hdr + 12);
      hdr_len = 16;
    } else if (box_size == 0) {
      box_size = file_size - off;
    }
    if (box_size < hdr_len || off + (goffset) box_size > file_size)
      break;                    /* truncated tail of a killed recording */

    if (memcmp (hdr + 4, "moov", 4) == 0 && box_size <= MAX_MOOV_SIZE) {
      gsize len = box_size - hdr_len;
      guint8 *moov = g_malloc (len);

      if (read_exact (fd, moov, len, off + hdr_len)
          && rr_mp4_fix_opus_dops_in_buffer (moov, len) > 0) {
        if (!write_exact (fd, moov, len, off + hdr_len)) {
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
              "cannot rewrite the Opus header of '%s': %s", path,
              g_strerror (errno));
          g_free (moov);
          close (fd);
          return FALSE;
        }
        *fixed = TRUE;
      }
      g_free (moov);
    }
    off += box_size;
  }
  close (fd);
  return TRUE;
}
