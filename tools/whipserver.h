/* roomrec — the WHIP endpoint of a room (RFC 9725), on libsoup 3
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "room.h"

G_BEGIN_DECLS

typedef struct _RrWhipServer RrWhipServer;

/* Response header of a refusal for the room's session limit. */
#define RR_WHIP_LIMIT_HEADER "Roomrec-Limit"

/* Listens on @input's address; runs on the thread-default main context. */
RrWhipServer *rr_whip_server_new (RrRoom * room, const RrInputConfig * input,
    GError ** error);
guint rr_whip_server_port (RrWhipServer * server);
/* New sessions are refused from now on (503); existing ones can still be
 * deleted. */
void rr_whip_server_stop (RrWhipServer * server);
void rr_whip_server_free (RrWhipServer * server);

G_END_DECLS
