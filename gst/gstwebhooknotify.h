/* roomrec — webhooknotify: element messages in, signed HTTP POSTs out
 * Copyright (C) 2026 roomrec contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_WEBHOOK_NOTIFY (gst_webhook_notify_get_type ())
G_DECLARE_FINAL_TYPE (GstWebhookNotify, gst_webhook_notify, GST,
    WEBHOOK_NOTIFY, GstBin);

G_END_DECLS
