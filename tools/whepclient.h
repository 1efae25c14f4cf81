/* roomrec — pulling a participant from a WHEP server
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "room.h"

G_BEGIN_DECLS

typedef struct _RrWhepClient RrWhepClient;

/* Starts pulling (with retries, see docs/launcher.md); the recorded
 * participant is added to @room once the server answers. */
RrWhepClient *rr_whep_client_new (RrRoom * room, const RrInputConfig * input,
    GError ** error);
/* Stops retrying and sends DELETE for the session resource, if any. */
void rr_whep_client_free (RrWhepClient * client);

G_END_DECLS
