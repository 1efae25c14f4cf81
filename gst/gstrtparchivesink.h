/* roomrec — rtparchivesink: RTP in, recorded files out, no transcoding
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

#define GST_TYPE_RTP_ARCHIVE_SINK (gst_rtp_archive_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstRtpArchiveSink, gst_rtp_archive_sink, GST,
    RTP_ARCHIVE_SINK, GstBin);

GST_ELEMENT_REGISTER_DECLARE (rtparchivesink);

G_END_DECLS
