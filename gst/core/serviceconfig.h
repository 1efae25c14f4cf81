/* roomrec — the config of `roomrec serve`, and tasks' bodies
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The service config file (docs/service.md) is checked completely before
 * the service starts, errors naming the JSON path.  A task's body (POST
 * /v1/tasks) becomes the room config of the process that records it:
 * the body's keys over the service's task_defaults, plus what the service
 * owns (recording id, dirs, the WHIP input behind its one port).  Errors
 * carry the TRTC-form code of the API (InvalidParameter.RoomId, …).
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  gchar *listen_host;           /* default "127.0.0.1" */
  guint listen_port;            /* default 8080; 0 = any free port */
  gchar **tokens;               /* Bearer tokens of the API (≥ 1) */
  gchar *state_dir;             /* required */
  gchar *archive_dir;           /* required */
  guint max_tasks;              /* default 100 */
  guint max_streams_per_task;   /* default 25, 1–25 */
  guint requests_per_second;    /* default 20 per client */
  guint max_body_bytes;         /* default 65536 */
  guint request_timeout_s;      /* default 6 */
  guint max_restarts;           /* default 3 (0–3: ha1_…ha3_) */
  /* an ended task is forgotten (API, state dir; never its files) this
   * long after it stopped: default 7 days */
  guint task_retention_s;
  JsonObject *task_defaults;    /* room-config keys, never NULL */
  gchar *hlsjs;                 /* hls.min.js to serve, or NULL */
} RrServiceConfig;

RrServiceConfig *rr_service_config_load_data (const gchar * data,
    gssize length, GError ** error);
RrServiceConfig *rr_service_config_load_file (const gchar * filename,
    GError ** error);
void rr_service_config_free (RrServiceConfig * config);

/* Whether @token is one of the config's (constant time per token). */
gboolean rr_service_config_token_ok (const RrServiceConfig * config,
    const gchar * token);

/* Room and app ids: 1–64 of A-Z a-z 0-9 _ - . (not "." or ".."). */
gboolean rr_service_id_valid (const gchar * id);

/* An API error: HTTP status, TRTC-form code, message. */
typedef struct
{
  guint status;
  gchar *code;
  gchar *message;
} RrApiError;

void rr_api_error_set (RrApiError * error, guint status, const gchar * code,
    const gchar * format, ...) G_GNUC_PRINTF (4, 5);
void rr_api_error_clear (RrApiError * error);

/* What one run of a task needs besides its body. */
typedef struct
{
  const gchar *task_id;         /* also the recording id */
  const gchar *room_id;         /* overrides the body's (channels API) */
  guint attempt;                /* 0, then 1… after restarts (failover) */
  const gchar *task_dir;        /* <state_dir>/tasks/<task_id> */
} RrTaskRun;

/* The room config (JSON text) of @body for @run; NULL and @error set
 * (status 400) when the body is not acceptable.  @app (out, optional):
 * the task's app, "default" when the body has none. */
gchar *rr_task_room_config (const RrServiceConfig * config,
    JsonObject * body, const RrTaskRun * run, gchar ** app,
    RrApiError * error);

/* A PATCH body (subscribe and/or mix) applied to @body (full replace of
 * each given key); FALSE with @error when it holds anything else. */
gboolean rr_task_body_modify (JsonObject * body, JsonObject * changes,
    RrApiError * error);

/* "room_id" → "RoomId": the X of InvalidParameter.X. */
gchar *rr_api_key_code (const gchar * json_key);

/* Requests per second per client (a sliding one-second window). */
typedef struct _RrRateLimiter RrRateLimiter;
RrRateLimiter *rr_rate_limiter_new (guint per_second);
/* Whether @client may make one more request at @now_us (monotonic). */
gboolean rr_rate_limiter_allow (RrRateLimiter * limiter, const gchar * client,
    gint64 now_us);
void rr_rate_limiter_free (RrRateLimiter * limiter);

G_END_DECLS
