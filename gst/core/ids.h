/* roomrec — recording and connection ids
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* 26 characters of Crockford base32 over 128 random bits, as Sora's ids
 * ("WHEJ888HQ55KDCFE3TZ4VPFQHR"). */
gchar *rr_id_generate (void);

G_END_DECLS
