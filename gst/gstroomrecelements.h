/* roomrec — GStreamer elements for recording real-time rooms
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

GST_ELEMENT_REGISTER_DECLARE (splitmuxrec);
GST_ELEMENT_REGISTER_DECLARE (rtpaomav1depay);
GST_ELEMENT_REGISTER_DECLARE (rtpaomav1pay);
GST_ELEMENT_REGISTER_DECLARE (rtparchivesink);
GST_ELEMENT_REGISTER_DECLARE (compositorlayout);
GST_ELEMENT_REGISTER_DECLARE (webhooknotify);

void roomrec_element_init (GstPlugin * plugin);

G_END_DECLS
