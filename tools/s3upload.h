/* roomrec — uploading finished files to S3-compatible storage
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The upload engine of SPEC §6 (docs/s3.md, "The uploader"): every file
 * handed to rr_s3_uploader_enqueue() is uploaded to one bucket with SigV4
 * (gst/core/s3sign.h) over libsoup 3 — a single PUT for small files, a
 * multipart upload read from disk one part at a time for large ones —
 * with retries and backoff, SHA-256 payload hashes and Content-MD5 on
 * every body, the local file deleted only after S3 confirmed the upload,
 * failed files moved to an evacuation directory, and the status of every
 * file (Naver Live Station's statuses) persisted in a JSON state file so
 * that a restart resumes what was pending.
 *
 * Threads: the uploader owns ONE worker thread with its own GMainContext
 * and SoupSession (created, used and freed there, as libsoup 3 wants).
 * rr_s3_uploader_enqueue() may be called from any thread and never
 * blocks on I/O; events are delivered, in order, on the GMainContext that
 * was the thread-default one of the thread that called
 * rr_s3_uploader_new().
 */
#pragma once

#include <glib.h>
#include "s3sign.h"

G_BEGIN_DECLS

#define RR_S3_UPLOAD_ERROR (rr_s3_upload_error_quark ())
GQuark rr_s3_upload_error_quark (void);

typedef enum
{
  RR_S3_UPLOAD_ERROR_CONFIG,    /* bad configuration, no credentials */
  RR_S3_UPLOAD_ERROR_IO,        /* local file or state file */
  RR_S3_UPLOAD_ERROR_NETWORK,   /* connection failed/dropped, timeout */
  RR_S3_UPLOAD_ERROR_HTTP,      /* S3 answered with an error status */
  RR_S3_UPLOAD_ERROR_CHECKSUM,  /* an ETag did not match the body's MD5 */
  RR_S3_UPLOAD_ERROR_PROTOCOL,  /* an answer S3 would not give */
} RrS3UploadError;

/* Per-file status (Naver Live Station).  The uploader sets TRANSFER_READY
 * (queued), TRANSFER (uploading), TRANSFER_FINISH (confirmed by S3),
 * TRANSFER_FAIL (given up; the file is in the evacuation directory) and
 * DELETED (confirmed, then the local file deleted); the other three
 * belong to the recorder and are kept as they are in the state file. */
typedef enum
{
  RR_S3_STATUS_RECORDING,
  RR_S3_STATUS_PROCESSING,
  RR_S3_STATUS_PROCESSING_FAIL,
  RR_S3_STATUS_TRANSFER_READY,
  RR_S3_STATUS_TRANSFER,
  RR_S3_STATUS_TRANSFER_FINISH,
  RR_S3_STATUS_TRANSFER_FAIL,
  RR_S3_STATUS_DELETED,
} RrS3FileStatus;

/* "RECORDING" … "DELETED"; NULL when out of range. */
const gchar *rr_s3_file_status_name (RrS3FileStatus status);
gboolean rr_s3_file_status_from_name (const gchar * name,
    RrS3FileStatus * status);
/* TRANSFER_READY or TRANSFER: what an uploader started on the state file
 * sends (again). */
gboolean rr_s3_file_status_is_pending (RrS3FileStatus status);
/* Whether the upload state file @path (uploads-<recording_id>.json) holds
 * a pending file; one that cannot be read may: TRUE. */
gboolean rr_s3_upload_state_has_pending (const gchar * path);

#define RR_S3_UPLOAD_MIN_PART_SIZE (5 * 1024 * 1024)
#define RR_S3_UPLOAD_DEFAULT_PART_SIZE (8 * 1024 * 1024)
#define RR_S3_UPLOAD_MAX_PART_SIZE (G_GUINT64_CONSTANT (5) << 30)
#define RR_S3_UPLOAD_MAX_PARTS 10000

typedef struct
{
  /* "http(s)://host[:port]"; NULL: the AWS endpoint of @region */
  const gchar *endpoint;
  const gchar *region;          /* NULL: "us-east-1" */
  const gchar *bucket;          /* required */
  /* prepended to every key, with a '/' in between unless it ends with one
   * ("recordings" + "rec-1/a.mp4" → "recordings/rec-1/a.mp4"); NULL: none */
  const gchar *prefix;
  RrS3Addressing addressing;
  /* NULL access/secret key: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
   * AWS_SESSION_TOKEN from the environment */
  const gchar *access_key;
  const gchar *secret_key;
  const gchar *session_token;
  /* multipart part size, bytes: 0 → 8 MiB; at least 5 MiB (S3's
   * minimum), at most 5 GiB; raised when a file would need more than
   * 10000 parts */
  guint64 part_size;
  /* files larger than this go multipart: 0 → part_size */
  guint64 multipart_threshold;
  /* retries of one request after a connection error, 5xx, 429 or an S3
   * RequestTimeout, before the file fails for good: 0 → 8, negative →
   * none */
  gint max_retries;
  /* backoff before retry n (1, 2, …): initial << (n - 1), at most max;
   * 0 → 1000 ms and 32000 ms */
  guint retry_initial_ms;
  guint retry_max_ms;
  /* I/O timeout of one request, seconds; 0 → 60 */
  guint timeout_s;
  /* delete the local file once S3 confirmed the upload (status DELETED);
   * otherwise it stays and the status is TRANSFER_FINISH */
  gboolean delete_after_upload;
  /* without delete_after_upload: keep the local copy this long after its
   * upload (RemoteMonster keeps 6 h), then delete it (status DELETED);
   * its should_delete_time is in the state file and the events; expired
   * copies are deleted by the running uploader and by the next one on
   * the same state dir; 0: keep them */
  guint64 retention_s;
  /* S3 answers a single PUT and each part with the MD5 of the body as
   * ETag, which is checked (Content-MD5 is sent too, and checked by S3);
   * buckets with SSE-KMS/SSE-C encryption answer something else that may
   * look like an MD5: set this for them */
  gboolean skip_etag_check;
  /* where files that failed for good are moved (created if needed);
   * NULL: they stay where they are */
  const gchar *evacuation_dir;
  /* required: where the state file is (created if needed); pending
   * uploads found there are resumed */
  const gchar *state_dir;
  /* the state file's name in @state_dir: NULL → "uploads.json" (one per
   * recording: "uploads-<recording_id>.json") */
  const gchar *state_name;
} RrS3UploaderConfig;

/* One status change or progress report of one file.  Everything is only
 * valid during the callback. */
typedef struct
{
  const gchar *path;            /* the local file as enqueued */
  const gchar *key;             /* the object key, prefix included */
  const gchar *url;             /* the object's URL */
  RrS3FileStatus status;
  /* "upload.started" (→ TRANSFER), "upload.progress" (a part was
   * confirmed), "upload.completed" (→ TRANSFER_FINISH), "upload.failed"
   * (→ TRANSFER_FAIL); NULL for TRANSFER_READY and DELETED */
  const gchar *event;
  guint64 bytes_sent;           /* confirmed by S3 so far */
  guint64 bytes_total;
  guint parts_sent;             /* multipart only, else 0 */
  guint n_parts;
  guint retries;                /* retried requests of this file so far */
  const gchar *etag;            /* upload.completed: the object's ETag */
  const GError *error;          /* upload.failed: why */
  const gchar *evacuated_path;  /* upload.failed: where the file went, or
                                 * NULL (not moved) */
  gint64 should_delete_us;      /* UNIX µs the local copy goes (retention),
                                 * or 0 */
} RrS3UploadEvent;

typedef void (*RrS3UploadFunc) (const RrS3UploadEvent * event,
    gpointer user_data);

typedef struct _RrS3Uploader RrS3Uploader;

/* Checks @config, loads the state file (files left in TRANSFER_READY or
 * TRANSFER are queued again: a multipart upload restarts from its first
 * part, the unfinished one is aborted), starts the worker thread.
 * @func (may be NULL) is called on the caller's thread-default main
 * context; @notify frees @user_data in rr_s3_uploader_free(). */
RrS3Uploader *rr_s3_uploader_new (const RrS3UploaderConfig * config,
    RrS3UploadFunc func, gpointer user_data, GDestroyNotify notify,
    GError ** error);

/* Queues @path (a regular file) for upload to @key (without the prefix;
 * NULL: the file's basename).  Thread-safe, never blocks on I/O: the
 * worker persists the new entry as TRANSFER_READY.  Enqueuing a path the
 * state already holds uploads it again.  FALSE (with @error) for an
 * invalid key or after rr_s3_uploader_stop(). */
gboolean rr_s3_uploader_enqueue (RrS3Uploader * uploader, const gchar * path,
    const gchar * key, GError ** error);

/* The number of files queued or uploading.  Thread-safe. */
guint rr_s3_uploader_get_pending (RrS3Uploader * uploader);

/* Cancels the request in flight, stops and joins the worker.  Files not
 * finished stay TRANSFER_READY/TRANSFER in the state file (resumed by the
 * next rr_s3_uploader_new() on it).  Idempotent. */
void rr_s3_uploader_stop (RrS3Uploader * uploader);

/* Stops, then frees; no callback runs after this returns. */
void rr_s3_uploader_free (RrS3Uploader * uploader);

G_END_DECLS
