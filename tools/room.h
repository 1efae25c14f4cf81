/* roomrec — one room: a pipeline of participants, each recorded by an
 * rtparchivesink
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "roomconfig.h"

G_BEGIN_DECLS

typedef struct _RrRoom RrRoom;
typedef struct _RrParticipant RrParticipant;

typedef enum
{
  RR_ROOM_STOP_SIGNAL,
  RR_ROOM_STOP_EXPIRED,
  RR_ROOM_STOP_IDLE,
  RR_ROOM_STOP_EMPTY,
  RR_ROOM_STOP_ERROR,
} RrRoomStopReason;

/* Called (main context) when a WebRTC participant's answer is ready or
 * failed: @sdp is the complete local description (with candidates) or
 * NULL with @error. */
typedef void (*RrAnswerReady) (RrParticipant * p, const gchar * sdp,
    const GError * error, gpointer user_data);

/* Called (main context) once the room stopped: every archive finalised and
 * the report written. */
typedef void (*RrRoomStopped) (RrRoom * room, gpointer user_data);

RrRoom *rr_room_new (RrRoomConfig * config, GError ** error);
/* Starts the pipeline and the inputs of the config (WHIP server, WHEP
 * pulls, RTP/SDP receivers).  Runs on the thread-default main context. */
gboolean rr_room_start (RrRoom * room, RrRoomStopped stopped,
    gpointer user_data, GError ** error);
/* Finalises every participant, writes the report, then calls @stopped. */
void rr_room_stop (RrRoom * room, RrRoomStopReason reason);
void rr_room_free (RrRoom * room);

/* Sends what an ended run of the room's recording left undelivered: the
 * webhook events in its spool and the uploads in its state file, nothing
 * else (no inputs, no recording).  Runs the thread-default main context
 * until both are done, @deadline_us (monotonic) passes or *@cancelled
 * becomes TRUE; returns how many deliveries are still pending (0: all
 * done), or -1 with @error when the notifier or uploader cannot start. */
gint rr_room_deliver_leftovers (RrRoom * room, gint64 deadline_us,
    volatile gboolean * cancelled, GError ** error);

const RrRoomConfig *rr_room_get_config (RrRoom * room);
guint rr_room_n_participants (RrRoom * room);
gboolean rr_room_is_stopping (RrRoom * room);
RrRoomStopReason rr_room_get_stop_reason (RrRoom * room);
/* Port the WHIP endpoint listens on (0 when there is none). */
guint rr_room_whip_port (RrRoom * room);
/* Files whose upload (storage) failed for good. */
guint rr_room_uploads_failed (RrRoom * room);
/* Path of the report once written, else NULL. */
const gchar *rr_room_report_path (RrRoom * room);
/* When the recording started, UNIX µs. */
gint64 rr_room_start_time (RrRoom * room);
/* A file put into the archive dir by the launcher itself (a client's
 * upload): its sidecar (@sidecar_json, written at @sidecar_path) goes
 * into the report, both are handed to storage. */
void rr_room_add_client_file (RrRoom * room, const gchar * path,
    const gchar * sidecar_path, const gchar * sidecar_json);
/* An event of the launcher's own as a webhook (@fields: an object). */
void rr_room_notify_event (RrRoom * room, const gchar * type,
    JsonBuilder * fields);

/* What roomrec serve follows of a room (tools/roomcontrol.c), on the main
 * context: "participant.joined"/"participant.left" (connection_id,
 * user_id, reason), the recorders' messages under their own names
 * ("splitmuxrec-archive-available": location, connection-id, …),
 * "client-file-available" and "upload" (path, status: RECORDING …
 * DELETED).  @fields belongs to the caller. */
typedef void (*RrRoomObserver) (RrRoom * room, const gchar * event,
    JsonObject * fields, gpointer user_data);
void rr_room_set_observer (RrRoom * room, RrRoomObserver observer,
    gpointer user_data);

typedef struct
{
  guint participants;
  guint64 bytes_received;       /* RTP bytes into the archives */
  guint64 packets_lost;
  guint keyframe_requests;      /* sent upstream by the archives */
  guint webhook_pending;
  guint64 webhook_failures;     /* failed attempts */
  guint upload_pending;
  guint upload_failures;        /* files given up */
} RrRoomStats;
void rr_room_get_stats (RrRoom * room, RrRoomStats * stats);

/* TRTC Modify of a running room: the subscribe lists, layout, main
 * participant, regions and watermarks of @changed (a complete, checked
 * config of the same room) replace the room's own; participants no
 * longer subscribed are finalised.  @changed is left with the old
 * values. */
gboolean rr_room_modify (RrRoom * room, RrRoomConfig * changed,
    GError ** error);

/* WebRTC participant answering @offer_sdp (WHIP); @answer_ready is called
 * once.  @record FALSE: received but never recorded (recording_block). */
RrParticipant *rr_room_add_webrtc_answerer (RrRoom * room,
    const gchar * user_id, gboolean record, const gchar * offer_sdp,
    RrAnswerReady answer_ready, gpointer user_data, GError ** error);
/* WebRTC participant that offers receive-only media (WHEP client); the
 * offer (complete, with candidates) comes through @offer_ready. */
RrParticipant *rr_room_add_webrtc_offerer (RrRoom * room,
    const gchar * user_id, RrAnswerReady offer_ready, gpointer user_data,
    GError ** error);
/* Plain RTP described by @sdp (RTP/SDP input). */
RrParticipant *rr_room_add_rtp (RrRoom * room, const gchar * user_id,
    const gchar * sdp, GError ** error);

RrParticipant *rr_room_find_participant (RrRoom * room, const gchar * id);

const gchar *rr_participant_id (RrParticipant * p);
const gchar *rr_participant_etag (RrParticipant * p);
/* ICE credentials of the remote side, from its offer/answer. */
const gchar *rr_participant_remote_ufrag (RrParticipant * p);
gboolean rr_participant_is_ended (RrParticipant * p);
/* The answer of a remote offerer (WHEP server). */
gboolean rr_participant_set_remote_answer (RrParticipant * p,
    const gchar * sdp, GError ** error);
/* Trickled remote candidate ("candidate:…") for the m-line @mline. */
void rr_participant_add_ice_candidate (RrParticipant * p, guint mline,
    const gchar * candidate);
/* Finalise this participant's archive and remove it (DELETE, ICE
 * failure, end of input); the ended callback runs once it is gone. */
void rr_participant_end (RrParticipant * p, const gchar * why);

typedef void (*RrParticipantEnded) (RrParticipant * p, gpointer user_data);
/* Called (main context) when the participant ended, before it is freed. */
void rr_participant_set_ended_callback (RrParticipant * p,
    RrParticipantEnded callback, gpointer user_data);

G_END_DECLS
