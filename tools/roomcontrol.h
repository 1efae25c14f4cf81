/* roomrec — a room's control channel to `roomrec serve`
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * `roomrec run --control-fd N room.json`: the service that started the
 * room talks to it over the socket N, one JSON object per line.
 *
 * room → service: {"event": "ready", "whip_port": …, "recording_id": …},
 *   the room's observer events (room.h) with their fields, {"event":
 *   "stats", …} every second, {"event": "modified", "id": …, "ok": …,
 *   "error": …} and, last, {"event": "stopped", "reason": …, "report": …}.
 * service → room: {"cmd": "stop"}, {"cmd": "modify", "id": N, "config":
 *   "<the whole new room config>"}.
 *
 * The end of the channel (the service is gone) stops the room the way
 * SIGTERM does: every archive is finalised.
 */
#pragma once

#include "room.h"

G_BEGIN_DECLS

typedef struct _RrRoomControl RrRoomControl;

/* Takes @fd; runs on the thread-default main context. */
RrRoomControl *rr_room_control_new (RrRoom * room, gint fd, GError ** error);
/* The room is running: tells the service ("ready"). */
void rr_room_control_ready (RrRoomControl * control);
/* The last message; written before it returns (the process exits next). */
void rr_room_control_stopped (RrRoomControl * control, const gchar * reason,
    const gchar * report_path);
void rr_room_control_free (RrRoomControl * control);

const gchar *rr_room_stop_reason_name (RrRoomStopReason reason);

G_END_DECLS
