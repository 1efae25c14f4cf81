/* Fuzz target for the RTP packet checks (gst/core/rtpcheck.c).
 *
 * Input: one configuration byte (bit 7 set: any payload type, else the
 * expected payload type; the next byte's low bits pick the dropout and
 * misorder limits), then packets, each a 2-byte big-endian length followed by
 * that many bytes (cut at the end of the input). Every packet is copied into a
 * buffer of exactly its size so that AddressSanitizer sees any read past it.
 *
 * libFuzzer build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DROOMREC_LIBFUZZER \
 *     -Igst/core $(pkg-config --cflags glib-2.0) tests/fuzz/fuzz-rtpcheck.c \
 *     gst/core/rtpcheck.c $(pkg-config --libs glib-2.0) -o fuzz-rtpcheck
 *   ./fuzz-rtpcheck tests/fuzz/corpus/rtpcheck
 * Without ROOMREC_LIBFUZZER a main() replays the files and directories given
 * on the command line (used by the test suite).
 */
#include "rtpcheck.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static void
check_invariants (const RrRtpChecker * c, RrRtpResult res,
    const RrRtpCheckInfo * info, gsize size)
{
  const RrRtpStats *st = &c->stats;
  guint64 dropped = 0;
  guint i;

  if (st->packets_received != st->packets_accepted +
      st->packets_dropped_invalid + st->packets_dropped_wrong_pt)
    abort ();
  for (i = 0; i < RR_RTP_RESULT_LAST; i++)
    dropped += st->dropped_by_result[i];
  if (dropped != st->packets_dropped_invalid + st->packets_dropped_wrong_pt)
    abort ();
  if (res >= RR_RTP_RESULT_LAST)
    abort ();
  if (rr_rtp_result_to_string (res) == NULL)
    abort ();
  if (res == RR_RTP_OK) {
    const RrRtpHeader *h = &info->header;

    if (h->version != 2 || h->header_len < RR_RTP_HEADER_MIN_LEN)
      abort ();
    if (h->header_len + h->payload_len + h->padding_len != size)
      abort ();
    if (h->payload_len == 0 && h->padding_len == 0)
      abort ();
    if (c->expected_pt >= 0 && h->payload_type != c->expected_pt)
      abort ();
    if (!c->have_stream || c->ssrc != h->ssrc)
      abort ();
    if ((info->events & RR_RTP_EVENT_SEQ_JUMP) && info->lost != 0)
      abort ();
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static const guint dropouts[4] = { RR_RTP_DEFAULT_MAX_DROPOUT, 1, 0,
    G_MAXUINT
  };
  static const guint misorders[4] = { RR_RTP_DEFAULT_MAX_MISORDER, 0, 1,
    G_MAXUINT
  };
  RrRtpChecker checker;
  RrRtpHeader header;
  gsize off = 2;

  if (size < 2)
    return 0;

  rr_rtp_checker_init (&checker, (data[0] & 0x80) ? -1 : data[0] & 0x7f);
  checker.max_dropout = dropouts[data[1] & 3];
  checker.max_misorder = misorders[(data[1] >> 2) & 3];

  /* the whole input as one packet too */
  rr_rtp_parse (data, size, &header);

  while (off + 2 <= size) {
    gsize len = ((gsize) data[off] << 8) | data[off + 1];
    RrRtpCheckInfo info;
    RrRtpResult res;
    guint8 *pkt;

    off += 2;
    if (len > size - off)
      len = size - off;
    /* malloc (0) may return NULL: keep one byte */
    pkt = malloc (len ? len : 1);
    if (pkt == NULL)
      abort ();
    memcpy (pkt, data + off, len);
    res = rr_rtp_checker_check (&checker, pkt, len, &info);
    check_invariants (&checker, res, &info, len);
    if ((data[1] & 0x10) && res == RR_RTP_OK && info.header.marker)
      rr_rtp_checker_reset_stream (&checker);
    free (pkt);
    off += len;
  }
  rr_rtp_checker_extended_seq (&checker);

  return 0;
}

#ifndef ROOMREC_LIBFUZZER
#include "fuzz-replay.h"
#endif
