/* roomrec — one task of `roomrec serve`: a room recorded by its own
 * process
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A task runs `roomrec run --control-fd 3 room-<attempt>.json` (so one
 * room's crash never takes another down), follows it over the control
 * channel (tools/roomcontrol.h), restarts it when it dies unasked (file
 * names get ha<N>_), and keeps its state in <state_dir>/tasks/<id>/
 * task.json so that a restarted service knows it.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "serviceconfig.h"

G_BEGIN_DECLS

typedef enum
{
  RR_TASK_STARTING,
  RR_TASK_RECORDING,
  RR_TASK_STOPPING,
  RR_TASK_STOPPED,
  RR_TASK_FAILED,
} RrTaskStatus;

typedef struct _RrTask RrTask;

typedef struct
{
  guint participants;
  guint64 bytes_received;
  guint64 packets_lost;
  guint64 keyframe_requests;
  guint webhook_pending;
  guint64 webhook_failures;
  guint upload_pending;
  guint64 upload_failures;
} RrTaskStats;

/* Called on the main context when the task's status changed. */
typedef void (*RrTaskChanged) (RrTask * task, gpointer user_data);
/* The answer of rr_task_modify (NULL error: applied). */
typedef void (*RrTaskModified) (RrTask * task, const RrApiError * error,
    gpointer user_data);

/* A new task of @body (checked: NULL + @error when not acceptable);
 * @room_id overrides the body's.  Not started yet. */
RrTask *rr_task_new (const RrServiceConfig * config, const gchar * exe,
    JsonObject * body, const gchar * room_id, RrApiError * error);
/* A task of an earlier run of the service, from its task.json. */
RrTask *rr_task_load (const RrServiceConfig * config, const gchar * exe,
    const gchar * task_dir, GError ** error);
void rr_task_set_changed_callback (RrTask * task, RrTaskChanged changed,
    gpointer user_data);

/* Starts the room's process (again, as a failover, when @failover). */
gboolean rr_task_start (RrTask * task, gboolean failover, GError ** error);
/* Asks the room to finish (@reason: "api", "shutdown"). */
void rr_task_stop (RrTask * task, const gchar * reason);
/* Ends a task that cannot run again (no restarts left). */
void rr_task_mark_failed (RrTask * task, const gchar * reason);
/* SIGKILL (the service gave up waiting at shutdown). */
void rr_task_kill (RrTask * task);
void rr_task_modify (RrTask * task, JsonObject * changes,
    RrTaskModified done, gpointer user_data);

const gchar *rr_task_id (RrTask * task);
const gchar *rr_task_room_id (RrTask * task);
const gchar *rr_task_app (RrTask * task);
RrTaskStatus rr_task_status (RrTask * task);
const gchar *rr_task_status_name (RrTaskStatus status);
/* starting, recording or stopping */
gboolean rr_task_is_active (RrTask * task);
/* Whether the task was active when the last service stopped. */
gboolean rr_task_was_interrupted (RrTask * task);
gboolean rr_task_has_process (RrTask * task);
guint rr_task_whip_port (RrTask * task);
guint rr_task_restarts (RrTask * task);
void rr_task_get_stats (RrTask * task, RrTaskStats * stats);
gint64 rr_task_created_us (RrTask * task);
/* Sum of the sizes of the task's files. */
guint64 rr_task_bytes_written (RrTask * task);
/* An HLS segment @name next to one of the task's playlists, or NULL. */
gchar *rr_task_hls_segment_path (RrTask * task, const gchar * name);
/* Path of a file of the task by its name (task.files[].name), or NULL. */
const gchar *rr_task_file_path (RrTask * task, const gchar * name);
/* The API's task object. */
JsonNode *rr_task_to_json (RrTask * task, const gchar * base_url);

/* Whether @task ended more than the config's task_retention_s before
 * @now_us with nothing left to deliver (webhooks spooled, uploads not
 * yet transferred: those keep it). */
gboolean rr_task_expired (RrTask * task, gint64 now_us);
/* Starts `roomrec deliver` of what an ended task left undelivered, when it
 * has some and its retry time has come; TRUE when started. */
gboolean rr_task_deliver_leftovers (RrTask * task);
gboolean rr_task_is_delivering (RrTask * task);
/* Asks a running `roomrec deliver` to stop (what it has not delivered
 * stays spooled). */
void rr_task_stop_delivery (RrTask * task);
/* Deletes the task's state dir (task.json, room configs and logs, its
 * spool and upload state); its recordings stay where they are. */
gboolean rr_task_delete_state (RrTask * task, GError ** error);

void rr_task_free (RrTask * task);

G_END_DECLS
