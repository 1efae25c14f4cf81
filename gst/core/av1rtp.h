/* roomrec — AV1 RTP payload format (AOMedia "RTP Payload Format for AV1"
 * v1.0): byte-level packetizer and depacketizer
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * No GStreamer element code lives here: everything works on plain byte
 * arrays so that it can be unit tested and fuzzed.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* RTP clock rate and SDP encoding name of the payload format. */
#define RR_AV1_RTP_CLOCK_RATE 90000
#define RR_AV1_RTP_ENCODING_NAME "AV1"

/* AV1 leb128(): at most 8 bytes, value at most 2^32 - 1. */
#define RR_AV1_LEB128_MAX_BYTES 8

/* Upper bound for one reassembled OBU / temporal unit; anything bigger is
 * treated as broken input. */
#define RR_AV1_MAX_TU_SIZE (16 * 1024 * 1024)

typedef enum
{
  RR_AV1_OBU_SEQUENCE_HEADER = 1,
  RR_AV1_OBU_TEMPORAL_DELIMITER = 2,
  RR_AV1_OBU_FRAME_HEADER = 3,
  RR_AV1_OBU_TILE_GROUP = 4,
  RR_AV1_OBU_METADATA = 5,
  RR_AV1_OBU_FRAME = 6,
  RR_AV1_OBU_REDUNDANT_FRAME_HEADER = 7,
  RR_AV1_OBU_TILE_LIST = 8,
  RR_AV1_OBU_PADDING = 15,
} RrAv1ObuType;

typedef struct
{
  guint8 type;                  /* RrAv1ObuType (0..15) */
  gboolean has_extension;
  gboolean has_size_field;
  guint8 temporal_id;           /* 0 without extension */
  guint8 spatial_id;            /* 0 without extension */
  guint header_size;            /* 1 or 2 bytes */
} RrAv1ObuHeader;

/* The one-byte aggregation header that starts every RTP payload:
 * |Z|Y|W W|N|-|-|-| */
typedef struct
{
  gboolean z;                   /* first element continues a fragment */
  gboolean y;                   /* last element continues in next packet */
  guint8 w;                     /* 0: every element has a length; 1..3:
                                 * number of elements, the last one has no
                                 * length field */
  gboolean n;                   /* first packet of a coded video sequence */
} RrAv1AggregationHeader;

/* --- LEB128 ------------------------------------------------------------ */

/* Reads one leb128() from @data. Returns the number of bytes consumed, or 0
 * if @data is truncated, longer than 8 bytes or the value exceeds
 * G_MAXUINT32. */
guint    rr_av1_leb128_read              (const guint8 * data,
                                          gsize size,
                                          guint32 * value);

/* Number of bytes the minimal leb128() encoding of @value takes (1..5). */
guint    rr_av1_leb128_size              (guint32 value);

/* Writes the minimal leb128() encoding of @value to @out. Returns the number
 * of bytes written, or 0 if @out_size is too small. */
guint    rr_av1_leb128_write             (guint32 value,
                                          guint8 * out,
                                          gsize out_size);

/* --- OBU and aggregation headers ----------------------------------------- */

/* Parses the OBU header (and extension) at @data. Returns FALSE if @data is
 * too short or obu_forbidden_bit is set. */
gboolean rr_av1_obu_header_parse         (const guint8 * data,
                                          gsize size,
                                          RrAv1ObuHeader * hdr);

void     rr_av1_aggregation_header_parse (guint8 byte,
                                          RrAv1AggregationHeader * hdr);

/* Returns the header byte; invalid combinations are not checked. */
guint8   rr_av1_aggregation_header_pack  (const RrAv1AggregationHeader * hdr);

/* --- Depacketizer (RTP payloads -> obu-stream temporal units) ----------- */

typedef struct _RrAv1Depacketizer RrAv1Depacketizer;

/* A complete temporal unit in Low Overhead Bitstream Format: starts with a
 * temporal delimiter, every OBU carries obu_has_size_field + obu_size. */
typedef struct
{
  guint8 *data;                 /* owned, g_free() or
                                 * rr_av1_temporal_unit_clear() */
  gsize size;
  guint32 rtp_timestamp;
  guint64 pts;                  /* caller's value given with the first
                                 * packet of the unit */
  gboolean keyframe;            /* sequence header + KEY_FRAME (or N bit) */
  gboolean discont;             /* first unit after a drop */
} RrAv1TemporalUnit;

/* Flags returned by rr_av1_depacketizer_push(). */
typedef enum
{
  RR_AV1_DEPAY_NONE = 0,
  RR_AV1_DEPAY_TU_READY = 1 << 0,       /* rr_av1_depacketizer_pop() has
                                         * something */
  RR_AV1_DEPAY_DROPPED = 1 << 1,        /* data was dropped (broken unit,
                                         * invalid payload or waiting for a
                                         * key frame) */
  RR_AV1_DEPAY_REQUEST_KEYFRAME = 1 << 2,       /* ask the sender for a key
                                                 * frame now (rate-limited
                                                 * to one per second of RTP
                                                 * time while waiting) */
} RrAv1DepayFlags;

RrAv1Depacketizer *rr_av1_depacketizer_new (gboolean wait_for_keyframe);
void     rr_av1_depacketizer_free        (RrAv1Depacketizer * depay);

/* Forgets all partial data and queued units; waits for a key frame again
 * if configured to. */
void     rr_av1_depacketizer_reset       (RrAv1Depacketizer * depay);

void     rr_av1_depacketizer_set_wait_for_keyframe (RrAv1Depacketizer * depay,
                                          gboolean wait_for_keyframe);

/* Feeds one RTP payload (starting with the aggregation header). @discont
 * means packets may have been lost before this one (sequence gap, DISCONT
 * flag). A unit is completed on @marker, or when @rtp_timestamp changes.
 * Returns RrAv1DepayFlags. */
guint    rr_av1_depacketizer_push        (RrAv1Depacketizer * depay,
                                          const guint8 * payload,
                                          gsize size,
                                          guint32 rtp_timestamp,
                                          gboolean marker,
                                          gboolean discont,
                                          guint64 pts);

/* Completes the pending unit as if a marker had been seen (EOS). */
guint    rr_av1_depacketizer_drain       (RrAv1Depacketizer * depay);

/* Takes the oldest completed unit. Returns FALSE if none is queued. */
gboolean rr_av1_depacketizer_pop         (RrAv1Depacketizer * depay,
                                          RrAv1TemporalUnit * tu);

void     rr_av1_temporal_unit_clear      (RrAv1TemporalUnit * tu);

/* --- Packetizer (obu-stream temporal unit -> RTP payloads) -------------- */

/* Splits one temporal unit (Low Overhead Bitstream Format, OBUs with or
 * without size fields) into RTP payloads of at most @max_payload bytes
 * (aggregation header included, @max_payload >= 3). Temporal delimiters and
 * tile-list OBUs are dropped, size fields removed. Appends GBytes to
 * @packets; the last one carries the RTP marker. Sets the N bit when the
 * unit is a key frame starting with a sequence header. Returns FALSE (and
 * appends nothing) on malformed input or if @size > G_MAXUINT32.
 * @keyframe (nullable) tells whether the unit is a key frame. A unit
 * without any OBU to send yields no packets and TRUE. */
gboolean rr_av1_packetize                (const guint8 * tu,
                                          gsize size,
                                          gsize max_payload,
                                          GPtrArray * packets,
                                          gboolean * keyframe);

G_END_DECLS
