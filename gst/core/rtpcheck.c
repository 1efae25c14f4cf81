/* roomrec — RTP packet checks before depayloading
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtpcheck.h"

#include <string.h>

static inline guint16
read_be16 (const guint8 * p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static inline guint32
read_be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | (guint32) p[3];
}

/**
 * rr_rtp_parse:
 * @data: (array length=size): one packet
 * @size: its size in bytes
 * @header: (out caller-allocates): filled as far as parsing got
 *
 * Checks that @data is a well-formed RTP packet: version 2, CSRC list and
 * header extension inside the packet, a sane padding count and a payload or
 * padding. An RTCP packet (RFC 5761 multiplexing: a marker bit with payload
 * type 72–79, i.e. RTCP packet types 200–207) is refused as
 * %RR_RTP_ERROR_RTCP. A packet with padding but no payload is valid (senders
 * use them for bandwidth probing) and has payload_len 0.
 *
 * Never reads outside @data.
 *
 * Returns: %RR_RTP_OK or why the packet is malformed.
 */
RrRtpResult
rr_rtp_parse (const guint8 * data, gsize size, RrRtpHeader * header)
{
  gsize len;

  g_return_val_if_fail (header != NULL, RR_RTP_ERROR_TOO_SHORT);

  memset (header, 0, sizeof (*header));
  if (data == NULL || size < RR_RTP_HEADER_MIN_LEN)
    return RR_RTP_ERROR_TOO_SHORT;

  header->version = data[0] >> 6;
  header->padding = (data[0] & 0x20) != 0;
  header->extension = (data[0] & 0x10) != 0;
  header->csrc_count = data[0] & 0x0f;
  header->marker = (data[1] & 0x80) != 0;
  header->payload_type = data[1] & 0x7f;
  header->seq = read_be16 (data + 2);
  header->timestamp = read_be32 (data + 4);
  header->ssrc = read_be32 (data + 8);

  if (header->version != 2)
    return RR_RTP_ERROR_VERSION;

  if (header->marker && header->payload_type >= 72
      && header->payload_type <= 79)
    return RR_RTP_ERROR_RTCP;

  len = RR_RTP_HEADER_MIN_LEN + 4 * (gsize) header->csrc_count;
  if (len > size)
    return RR_RTP_ERROR_CSRC_TRUNCATED;

  if (header->extension) {
    gsize ext_len;

    if (size - len < 4)
      return RR_RTP_ERROR_EXTENSION_TRUNCATED;
    header->extension_profile = read_be16 (data + len);
    ext_len = 4 * (gsize) read_be16 (data + len + 2);
    len += 4;
    if (ext_len > size - len)
      return RR_RTP_ERROR_EXTENSION_TRUNCATED;
    header->extension_len = ext_len;
    len += ext_len;
  }

  header->header_len = len;
  header->payload_offset = len;

  if (header->padding) {
    guint8 pad = data[size - 1];

    /* The count includes itself, so it can't be 0, and the padding must not
     * eat into the header. */
    if (pad == 0 || pad > size - len)
      return RR_RTP_ERROR_PADDING;
    header->padding_len = pad;
  }

  header->payload_len = size - len - header->padding_len;
  if (header->payload_len == 0 && header->padding_len == 0)
    return RR_RTP_ERROR_EMPTY_PAYLOAD;

  return RR_RTP_OK;
}

/**
 * rr_rtp_result_to_string:
 * @result: a result
 *
 * Returns: a short English description of @result, for logs.
 */
const gchar *
rr_rtp_result_to_string (RrRtpResult result)
{
  switch (result) {
    case RR_RTP_OK:
      return "ok";
    case RR_RTP_ERROR_TOO_SHORT:
      return "shorter than an RTP header";
    case RR_RTP_ERROR_VERSION:
      return "RTP version is not 2";
    case RR_RTP_ERROR_RTCP:
      return "RTCP packet on an RTP input";
    case RR_RTP_ERROR_CSRC_TRUNCATED:
      return "CSRC list truncated";
    case RR_RTP_ERROR_EXTENSION_TRUNCATED:
      return "header extension truncated";
    case RR_RTP_ERROR_PADDING:
      return "invalid padding length";
    case RR_RTP_ERROR_EMPTY_PAYLOAD:
      return "empty payload";
    case RR_RTP_ERROR_WRONG_PAYLOAD_TYPE:
      return "unexpected payload type";
    default:
      break;
  }
  return "unknown";
}

/**
 * rr_rtp_checker_init:
 * @checker: (out caller-allocates): a checker
 * @expected_pt: the payload type to accept, or -1 for any
 *
 * Clears @checker (state and counters) with the default dropout/misorder
 * limits.
 */
void
rr_rtp_checker_init (RrRtpChecker * checker, gint expected_pt)
{
  g_return_if_fail (checker != NULL);

  memset (checker, 0, sizeof (*checker));
  checker->max_dropout = RR_RTP_DEFAULT_MAX_DROPOUT;
  checker->max_misorder = RR_RTP_DEFAULT_MAX_MISORDER;
  checker->last_pt = -1;
  rr_rtp_checker_set_payload_type (checker, expected_pt);
}

/**
 * rr_rtp_checker_set_payload_type:
 * @checker: a checker
 * @expected_pt: the payload type to accept from now on (0–127), or -1 for any
 *
 * Out-of-range values mean "any".
 */
void
rr_rtp_checker_set_payload_type (RrRtpChecker * checker, gint expected_pt)
{
  g_return_if_fail (checker != NULL);

  checker->expected_pt = (expected_pt >= 0 && expected_pt <= 127) ?
      expected_pt : -1;
}

/**
 * rr_rtp_checker_reset_stream:
 * @checker: a checker
 *
 * Forgets the SSRC/sequence/payload type state (e.g. after a flush); the next
 * accepted packet is a %RR_RTP_EVENT_FIRST_PACKET again. Counters stay.
 */
void
rr_rtp_checker_reset_stream (RrRtpChecker * checker)
{
  g_return_if_fail (checker != NULL);

  checker->have_stream = FALSE;
  checker->ssrc = 0;
  checker->max_seq = 0;
  checker->cycles = 0;
  checker->last_pt = -1;
}

static void
start_stream (RrRtpChecker * checker, const RrRtpHeader * h)
{
  checker->have_stream = TRUE;
  checker->ssrc = h->ssrc;
  checker->max_seq = h->seq;
  checker->cycles = 0;
}

static void
update_seq (RrRtpChecker * checker, RrRtpCheckInfo * info)
{
  const RrRtpHeader *h = &info->header;
  guint16 udelta = (guint16) (h->seq - checker->max_seq);
  guint32 max_dropout = MIN (checker->max_dropout, 32768);
  guint32 max_misorder = MIN (checker->max_misorder, 32768);

  if (udelta == 0) {
    info->events |= RR_RTP_EVENT_DUPLICATE;
    checker->stats.packets_duplicate++;
  } else if (udelta < max_dropout) {
    /* in order, maybe with a gap */
    if (h->seq < checker->max_seq)
      checker->cycles++;
    info->lost = udelta - 1;
    checker->stats.packets_lost += info->lost;
    checker->max_seq = h->seq;
  } else if (udelta >= 65536 - max_misorder) {
    info->events |= RR_RTP_EVENT_REORDERED;
    checker->stats.packets_reordered++;
  } else {
    /* Too far in either direction: the sender restarted its sequence, this
     * is a new stream and not thousands of lost packets. */
    info->events |= RR_RTP_EVENT_SEQ_JUMP;
    info->old_seq = checker->max_seq;
    checker->stats.seq_jumps++;
    checker->max_seq = h->seq;
    checker->cycles = 0;
  }
}

/**
 * rr_rtp_checker_check:
 * @checker: a checker
 * @data: (array length=size): one packet
 * @size: its size in bytes
 * @info: (out caller-allocates) (optional): header and what changed
 *
 * Validates one packet with rr_rtp_parse(), checks its payload type against
 * the expected one and, if it is accepted, follows the SSRC, payload type and
 * sequence number of the stream. Updates the counters in @checker->stats.
 *
 * Returns: %RR_RTP_OK if the packet should be passed on, else why it should
 *   be dropped.
 */
RrRtpResult
rr_rtp_checker_check (RrRtpChecker * checker, const guint8 * data, gsize size,
    RrRtpCheckInfo * info)
{
  RrRtpCheckInfo local;
  RrRtpResult res;
  const RrRtpHeader *h;

  g_return_val_if_fail (checker != NULL, RR_RTP_ERROR_TOO_SHORT);

  if (info == NULL)
    info = &local;
  memset (info, 0, sizeof (*info));
  info->old_pt = -1;
  h = &info->header;

  checker->stats.packets_received++;

  res = rr_rtp_parse (data, size, &info->header);
  if (res == RR_RTP_OK && checker->expected_pt >= 0
      && h->payload_type != checker->expected_pt)
    res = RR_RTP_ERROR_WRONG_PAYLOAD_TYPE;

  if (res != RR_RTP_OK) {
    if (res == RR_RTP_ERROR_WRONG_PAYLOAD_TYPE)
      checker->stats.packets_dropped_wrong_pt++;
    else
      checker->stats.packets_dropped_invalid++;
    checker->stats.dropped_by_result[res]++;
    return res;
  }

  checker->stats.packets_accepted++;
  checker->stats.bytes_accepted += size;
  if (h->payload_len == 0) {
    info->events |= RR_RTP_EVENT_PADDING_ONLY;
    checker->stats.packets_padding_only++;
  }

  if (!checker->have_stream) {
    info->events |= RR_RTP_EVENT_FIRST_PACKET;
    start_stream (checker, h);
  } else if (h->ssrc != checker->ssrc) {
    info->events |= RR_RTP_EVENT_SSRC_CHANGED;
    info->old_ssrc = checker->ssrc;
    checker->stats.ssrc_changes++;
    start_stream (checker, h);
  } else {
    update_seq (checker, info);
  }

  if (checker->last_pt >= 0 && checker->last_pt != h->payload_type) {
    info->events |= RR_RTP_EVENT_PT_CHANGED;
    info->old_pt = checker->last_pt;
    checker->stats.pt_changes++;
  }
  checker->last_pt = h->payload_type;

  return RR_RTP_OK;
}

/**
 * rr_rtp_checker_extended_seq:
 * @checker: a checker
 *
 * Returns: the highest sequence number seen in the current stream, extended
 *   with the wrap-around count (RFC 3550 A.1), or 0 before the first packet.
 */
guint64
rr_rtp_checker_extended_seq (const RrRtpChecker * checker)
{
  g_return_val_if_fail (checker != NULL, 0);

  if (!checker->have_stream)
    return 0;
  return ((guint64) checker->cycles << 16) | checker->max_seq;
}
