/* Fuzz target for the AV1 RTP depacketizer (gst/core/av1rtp.c).
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input format: one config byte (bit 0: wait-for-keyframe), then records of
 *   1 byte flags (bit 0 marker, bit 1 discont, bit 2 next timestamp,
 *                 bit 3 reset before this packet)
 *   2 bytes payload length (big endian; clipped to what is left)
 *   payload (RTP payload, starting with the aggregation header)
 *
 * Every unit the depacketizer outputs must be a well-formed obu-stream
 * temporal unit, and must survive rr_av1_packetize() plus a second
 * depacketizer unchanged.
 *
 * libFuzzer:  clang -DROOMREC_LIBFUZZER -fsanitize=fuzzer,address,undefined
 * replay:     built without ROOMREC_LIBFUZZER, arguments are files or
 *             directories of inputs.
 */
#include "av1rtp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#define FLAG_MARKER 0x01
#define FLAG_DISCONT 0x02
#define FLAG_NEXT_TS 0x04
#define FLAG_RESET 0x08

static void
check (gboolean cond, const char *what)
{
  if (!cond) {
    fprintf (stderr, "fuzz-av1depay: invariant failed: %s\n", what);
    abort ();
  }
}

/* The unit is a temporal delimiter followed by OBUs that all carry a size
 * field covering exactly the rest of the buffer. */
static void
check_obu_stream (const guint8 * data, gsize size)
{
  gsize pos = 0;
  gboolean first = TRUE;

  check (size >= 2 && data[0] == 0x12 && data[1] == 0x00, "leading TD");
  while (pos < size) {
    RrAv1ObuHeader hdr;
    guint32 obu_size;
    guint n;

    check (rr_av1_obu_header_parse (data + pos, size - pos, &hdr),
        "OBU header");
    check (hdr.has_size_field, "size field");
    check (first || (hdr.type != RR_AV1_OBU_TEMPORAL_DELIMITER &&
            hdr.type != RR_AV1_OBU_TILE_LIST), "no TD/tile list inside");
    pos += hdr.header_size;
    n = rr_av1_leb128_read (data + pos, size - pos, &obu_size);
    check (n > 0, "obu_size");
    pos += n;
    check (obu_size <= size - pos, "obu_size within unit");
    pos += obu_size;
    first = FALSE;
  }
}

/* Packetize with a small MTU and depacketize again: same bytes. */
static void
check_roundtrip (const RrAv1TemporalUnit * tu, gsize mtu)
{
  GPtrArray *packets = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  RrAv1Depacketizer *d = rr_av1_depacketizer_new (FALSE);
  RrAv1TemporalUnit out;
  guint i;

  check (rr_av1_packetize (tu->data, tu->size, mtu, packets, NULL),
      "packetize output");
  for (i = 0; i < packets->len; i++) {
    gsize len;
    const guint8 *p = g_bytes_get_data (packets->pdata[i], &len);

    check (len <= mtu, "MTU");
    rr_av1_depacketizer_push (d, p, len, 0, i + 1 == packets->len, FALSE, 0);
  }
  rr_av1_depacketizer_drain (d);
  if (packets->len > 0) {
    check (rr_av1_depacketizer_pop (d, &out), "round trip unit");
    check (out.size == tu->size && memcmp (out.data, tu->data,
            tu->size) == 0, "round trip bytes");
    rr_av1_temporal_unit_clear (&out);
  } else {
    check (tu->size == 2, "only empty units have no packets");
  }
  check (!rr_av1_depacketizer_pop (d, &out), "one unit");
  rr_av1_depacketizer_free (d);
  g_ptr_array_unref (packets);
}

static void
drain_units (RrAv1Depacketizer * d, gsize mtu)
{
  RrAv1TemporalUnit tu;

  while (rr_av1_depacketizer_pop (d, &tu)) {
    check_obu_stream (tu.data, tu.size);
    check_roundtrip (&tu, mtu);
    rr_av1_temporal_unit_clear (&tu);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  RrAv1Depacketizer *d;
  gsize pos = 1, mtu;
  guint32 ts = 0;

  if (size < 1)
    return 0;

  d = rr_av1_depacketizer_new (data[0] & 1);
  mtu = 3 + (data[0] >> 1) * 4;

  while (pos + 3 <= size) {
    guint8 flags = data[pos];
    gsize len = ((gsize) data[pos + 1] << 8) | data[pos + 2];

    pos += 3;
    len = MIN (len, size - pos);
    if (flags & FLAG_RESET)
      rr_av1_depacketizer_reset (d);
    if (flags & FLAG_NEXT_TS)
      ts += 3000;
    /* copy so that ASan sees reads past the packet, not into the input */
    {
      guint8 *pkt = g_memdup2 (data + pos, len);

      rr_av1_depacketizer_push (d, pkt, len, ts, flags & FLAG_MARKER,
          (flags & FLAG_DISCONT) != 0, ts);
      g_free (pkt);
    }
    pos += len;
    drain_units (d, mtu);
  }
  rr_av1_depacketizer_drain (d);
  drain_units (d, mtu);
  rr_av1_depacketizer_free (d);
  return 0;
}

#ifndef ROOMREC_LIBFUZZER
static int
run_file (const gchar * path)
{
  gchar *contents;
  gsize len;
  GError *err = NULL;

  if (!g_file_get_contents (path, &contents, &len, &err)) {
    fprintf (stderr, "%s: %s\n", path, err->message);
    g_error_free (err);
    return 1;
  }
  LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
  g_free (contents);
  return 0;
}

int
main (int argc, char **argv)
{
  int i, failed = 0, count = 0;

  for (i = 1; i < argc; i++) {
    if (g_file_test (argv[i], G_FILE_TEST_IS_DIR)) {
      GDir *dir = g_dir_open (argv[i], 0, NULL);
      const gchar *name;

      if (dir == NULL) {
        failed++;
        continue;
      }
      while ((name = g_dir_read_name (dir)) != NULL) {
        gchar *path = g_build_filename (argv[i], name, NULL);

        if (g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
          failed += run_file (path);
          count++;
        }
        g_free (path);
      }
      g_dir_close (dir);
    } else {
      failed += run_file (argv[i]);
      count++;
    }
  }
  printf ("fuzz-av1depay: replayed %d inputs, %d unreadable\n", count, failed);
  return failed ? 1 : 0;
}
#endif
