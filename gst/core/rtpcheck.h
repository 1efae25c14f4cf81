/* roomrec — RTP packet checks before depayloading
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Plain C, no GStreamer: works on byte arrays so that it can be unit tested
 * and fuzzed on its own. Validates the fixed RTP header (RFC 3550 §5.1),
 * tracks the SSRC, the payload type and the sequence number of one stream
 * and keeps counters.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RR_RTP_HEADER_MIN_LEN 12
/* A forward jump larger than this (in packets) is a new stream, not loss. */
#define RR_RTP_DEFAULT_MAX_DROPOUT 3000
/* A backward jump larger than this (in packets) is a new stream, not a
 * late packet. */
#define RR_RTP_DEFAULT_MAX_MISORDER 100

typedef enum
{
  RR_RTP_OK = 0,
  RR_RTP_ERROR_TOO_SHORT,       /* shorter than the 12 byte fixed header */
  RR_RTP_ERROR_VERSION,         /* version field is not 2 */
  RR_RTP_ERROR_RTCP,            /* an RTCP packet (rtcp-mux) on an RTP input */
  RR_RTP_ERROR_CSRC_TRUNCATED,  /* CSRC list runs past the end */
  RR_RTP_ERROR_EXTENSION_TRUNCATED,     /* header extension runs past the end */
  RR_RTP_ERROR_PADDING,         /* padding count 0 or longer than the payload */
  RR_RTP_ERROR_EMPTY_PAYLOAD,   /* no payload and no padding */
  RR_RTP_ERROR_WRONG_PAYLOAD_TYPE,      /* valid, but not the expected PT */
  RR_RTP_RESULT_LAST
} RrRtpResult;

/* The fixed header and the layout of one packet; offsets are into the
 * packet given to rr_rtp_parse(). */
typedef struct
{
  guint8 version;
  gboolean padding;
  gboolean extension;
  gboolean marker;
  guint8 csrc_count;
  guint8 payload_type;
  guint16 seq;
  guint32 timestamp;
  guint32 ssrc;
  guint16 extension_profile;    /* valid if extension */
  gsize extension_len;          /* bytes of extension data after its 4 byte
                                 * header, valid if extension */
  gsize header_len;             /* fixed header + CSRCs + extension */
  gsize payload_offset;         /* == header_len */
  gsize payload_len;            /* without padding */
  guint8 padding_len;           /* 0 unless padding */
} RrRtpHeader;

/* What rr_rtp_checker_check() noticed about an accepted packet. */
typedef enum
{
  RR_RTP_EVENT_NONE = 0,
  RR_RTP_EVENT_FIRST_PACKET = 1 << 0,   /* first accepted packet */
  RR_RTP_EVENT_SSRC_CHANGED = 1 << 1,   /* old_ssrc → header.ssrc */
  RR_RTP_EVENT_SEQ_JUMP = 1 << 2,       /* old_seq → header.seq, new stream */
  RR_RTP_EVENT_PT_CHANGED = 1 << 3,     /* old_pt → header.payload_type */
  RR_RTP_EVENT_DUPLICATE = 1 << 4,      /* same seq as the highest seen */
  RR_RTP_EVENT_REORDERED = 1 << 5,      /* older than the highest seen */
  RR_RTP_EVENT_PADDING_ONLY = 1 << 6,   /* no payload, only padding */
} RrRtpEvents;

typedef struct
{
  RrRtpHeader header;           /* filled as far as parsing got */
  guint events;                 /* RrRtpEvents */
  guint32 old_ssrc;             /* valid with RR_RTP_EVENT_SSRC_CHANGED */
  guint16 old_seq;              /* highest seq before RR_RTP_EVENT_SEQ_JUMP */
  gint old_pt;                  /* valid with RR_RTP_EVENT_PT_CHANGED */
  guint lost;                   /* packets missing just before this one */
} RrRtpCheckInfo;

typedef struct
{
  guint64 packets_received;     /* every packet given to the checker */
  guint64 packets_accepted;
  guint64 packets_dropped_invalid;      /* malformed, RTCP, empty */
  guint64 packets_dropped_wrong_pt;
  guint64 packets_padding_only; /* accepted, only padding */
  guint64 packets_duplicate;    /* accepted */
  guint64 packets_reordered;    /* accepted */
  guint64 packets_lost;         /* estimated from sequence gaps */
  guint64 ssrc_changes;
  guint64 seq_jumps;
  guint64 pt_changes;
  guint64 bytes_accepted;       /* whole packets */
  guint64 dropped_by_result[RR_RTP_RESULT_LAST];
} RrRtpStats;

/* State of one RTP stream (one input pad). Plain struct: embed it and
 * initialise with rr_rtp_checker_init(). Not thread safe. */
typedef struct
{
  /* configuration */
  gint expected_pt;             /* -1: any */
  guint max_dropout;
  guint max_misorder;

  /* state */
  gboolean have_stream;
  guint32 ssrc;
  guint16 max_seq;
  guint32 cycles;               /* sequence number wrap-arounds */
  gint last_pt;

  RrRtpStats stats;
} RrRtpChecker;

RrRtpResult  rr_rtp_parse                   (const guint8 *data, gsize size,
                                             RrRtpHeader *header);
const gchar *rr_rtp_result_to_string        (RrRtpResult result);

void         rr_rtp_checker_init            (RrRtpChecker *checker,
                                             gint expected_pt);
void         rr_rtp_checker_set_payload_type (RrRtpChecker *checker,
                                             gint expected_pt);
void         rr_rtp_checker_reset_stream    (RrRtpChecker *checker);
RrRtpResult  rr_rtp_checker_check           (RrRtpChecker *checker,
                                             const guint8 *data, gsize size,
                                             RrRtpCheckInfo *info);
guint64      rr_rtp_checker_extended_seq    (const RrRtpChecker *checker);

G_END_DECLS
