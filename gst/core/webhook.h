/* roomrec — webhook events: JSON bodies, signatures, retry schedule
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The pure-C part of event delivery (SPEC §6; docs/webhooks.md): what an
 * event looks like on the wire, how it is signed and checked, how long to
 * wait before the next attempt, and how TRTC's callback event types map
 * onto ours.  No HTTP and no GStreamer here: the notifier element turns its
 * element messages into events with rr_webhook_event_from_message(),
 * queues the bodies in a spool (spool.h) and sends them.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define RR_WEBHOOK_ERROR (rr_webhook_error_quark ())
GQuark rr_webhook_error_quark (void);

typedef enum
{
  RR_WEBHOOK_ERROR_UNKNOWN_EVENT,       /* no event for this message name */
  RR_WEBHOOK_ERROR_INVALID_FIELDS,      /* bad sidecar JSON, no recording_id */
  RR_WEBHOOK_ERROR_SIGNATURE_FORMAT,    /* header is not t=<unix>,v1=<hex> */
  RR_WEBHOOK_ERROR_SIGNATURE_MISMATCH,  /* no v1 matches (secret, body) */
  RR_WEBHOOK_ERROR_SIGNATURE_EXPIRED,   /* t outside the tolerance window */
} RrWebhookError;

/* The events of SPEC §6, names from Sora. */
typedef enum
{
  RR_WEBHOOK_RECORDING_STARTED,         /* recording.started */
  RR_WEBHOOK_RECORDING_REPORT,          /* recording.report */
  RR_WEBHOOK_ARCHIVE_STARTED,           /* archive.started */
  RR_WEBHOOK_ARCHIVE_AVAILABLE,         /* archive.available */
  RR_WEBHOOK_ARCHIVE_FAILED,            /* archive.failed */
  RR_WEBHOOK_SPLIT_ARCHIVE_AVAILABLE,   /* split-archive.available */
  RR_WEBHOOK_SPLIT_ARCHIVE_END,         /* split-archive.end */
  RR_WEBHOOK_HLS_SLICE,                 /* hls.slice */
  RR_WEBHOOK_UPLOAD_STARTED,            /* upload.started */
  RR_WEBHOOK_UPLOAD_PROGRESS,           /* upload.progress */
  RR_WEBHOOK_UPLOAD_COMPLETED,          /* upload.completed */
  RR_WEBHOOK_UPLOAD_FAILED,             /* upload.failed */
  RR_WEBHOOK_FAILOVER,                  /* failover */
  RR_WEBHOOK_N_EVENT_TYPES
} RrWebhookEventType;

/* "archive.available", …; NULL when out of range. */
const gchar *rr_webhook_event_type_name (RrWebhookEventType type);
gboolean rr_webhook_event_type_from_name (const gchar * name,
                                          RrWebhookEventType * type);
/* An element message name ("splitmuxrec-archive-available", …) or an event
 * type name ("recording.report") → the event type. */
gboolean rr_webhook_event_type_from_message (const gchar * message_name,
                                             RrWebhookEventType * type);

/* ------------------------------------------------------------------ */
/* TRTC cloud recording callbacks (EventGroupId 3, EventType 301–312)  */

typedef struct
{
  gint code;                    /* 301 … 312 */
  const gchar *trtc_name;       /* "EVENT_TYPE_CLOUD_RECORDING_FILE_SLICE" */
  gint event;                   /* an RrWebhookEventType, or -1: none */
  const gchar *note;            /* how close the match is */
} RrWebhookTrtcCode;

/* The 12 rows, in code order. */
const RrWebhookTrtcCode *rr_webhook_trtc_codes (guint * n_codes);
/* The row of @code, or NULL. */
const RrWebhookTrtcCode *rr_webhook_trtc_lookup (gint code);
/* The TRTC code an event stands for (its "trtc_event_type"), or 0. */
gint rr_webhook_event_type_trtc_code (RrWebhookEventType type);

/* ------------------------------------------------------------------ */
/* Events                                                              */

/* Per-recording sequence numbers (1, 2, 3, … for each recording_id);
 * thread-safe. */
typedef struct _RrWebhookSeq RrWebhookSeq;

RrWebhookSeq *rr_webhook_seq_new (void);
void rr_webhook_seq_free (RrWebhookSeq * seqs);
guint64 rr_webhook_seq_next (RrWebhookSeq * seqs, const gchar * recording_id);
/* After a restart: the next number of @recording_id will be above @seq. */
void rr_webhook_seq_observe (RrWebhookSeq * seqs, const gchar * recording_id,
                             guint64 seq);
/* rr_webhook_seq_observe() with the recording_id and seq of an event body
 * (e.g. one still in a spool); FALSE if the body has neither. */
gboolean rr_webhook_seq_observe_body (RrWebhookSeq * seqs, const gchar * body,
                                      gssize length);

typedef struct
{
  RrWebhookEventType type;
  gchar *id;                    /* 26 characters of Crockford base32 */
  gchar *recording_id;
  guint64 seq;
  gint64 unix_time_ms;
  gchar *body;                  /* compact JSON: spooled, signed, sent */
} RrWebhookEvent;

/* The event @type of @recording_id: {"type", "id", "timestamp",
 * "unix_time_ms", "recording_id", "seq", ["trtc_event_type",] "data"}.
 * @unix_us <= 0 means now, @id NULL a new id, @data NULL an empty object
 * (@data is not modified nor kept). */
RrWebhookEvent *rr_webhook_event_new (RrWebhookEventType type,
                                      const gchar * recording_id,
                                      guint64 seq, gint64 unix_us,
                                      const gchar * id, JsonObject * data);

/* The event for an element message: @message_name as posted
 * ("splitmuxrec-split-archive-available") or an event type name;
 * @fields the message's fields (names as posted, "recording-id"; may be
 * NULL); @sidecar_json the sidecar JSON text, or NULL to take the
 * "sidecar" string field of @fields.  data = the sidecar's members, then
 * the other fields with '-' turned into '_' (sidecar members win).
 * recording_id comes from the fields or the sidecar; seq from @seqs. */
RrWebhookEvent *rr_webhook_event_from_message (const gchar * message_name,
                                               JsonObject * fields,
                                               const gchar * sidecar_json,
                                               RrWebhookSeq * seqs,
                                               gint64 unix_us,
                                               GError ** error);
void rr_webhook_event_free (RrWebhookEvent * event);

/* "2026-01-02T03:04:05.678Z" */
gchar *rr_webhook_format_timestamp (gint64 unix_us);

/* ------------------------------------------------------------------ */
/* Signatures (Stripe's scheme)                                        */

#define RR_WEBHOOK_SIGNATURE_HEADER "Roomrec-Signature"
#define RR_WEBHOOK_EVENT_ID_HEADER "Roomrec-Event-Id"
#define RR_WEBHOOK_EVENT_TYPE_HEADER "Roomrec-Event-Type"
/* Receivers' default: 5 minutes either way. */
#define RR_WEBHOOK_DEFAULT_TOLERANCE_S 300

/* "t=<unix_s>,v1=<hex HMAC-SHA256(secret, "<unix_s>." + body)>";
 * @body_len -1: NUL-terminated. */
gchar *rr_webhook_sign (const gchar * secret, gint64 unix_s,
                        const gchar * body, gssize body_len);
/* TRUE if a v1 of @header is the signature of @body with @secret
 * (constant-time compare; more than one v1 is allowed, for secret
 * rotation) and |now_s - t| <= @tolerance_s (0: any age). */
gboolean rr_webhook_verify (const gchar * header, const gchar * secret,
                            const gchar * body, gssize body_len,
                            gint64 now_s, gint64 tolerance_s,
                            GError ** error);

/* ------------------------------------------------------------------ */
/* Retry schedule: 3 s, 6 s, 12 s, … up to a cap (TRTC's advice)      */

typedef struct
{
  guint64 base_ms;              /* first delay; default 3000 */
  guint64 cap_ms;               /* largest delay; default 300000 */
  gdouble jitter;               /* 0 … 1: delay × (1 − jitter × U[0,1)) */
} RrWebhookRetry;

#define RR_WEBHOOK_RETRY_BASE_MS 3000
#define RR_WEBHOOK_RETRY_CAP_MS 300000
#define RR_WEBHOOK_RETRY_INIT { RR_WEBHOOK_RETRY_BASE_MS, \
      RR_WEBHOOK_RETRY_CAP_MS, 0.0 }

/* The wait after the @attempt-th failed attempt (1, 2, …):
 * min(base × 2^(attempt−1), cap), minus jitter drawn from @rand (a seeded
 * GRand makes it deterministic; NULL: g_random_double()).  @retry NULL:
 * the defaults.  Attempt 0 is 0. */
guint64 rr_webhook_retry_delay_ms (const RrWebhookRetry * retry,
                                   guint attempt, GRand * rand);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RrWebhookEvent, rr_webhook_event_free);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RrWebhookSeq, rr_webhook_seq_free);

G_END_DECLS
