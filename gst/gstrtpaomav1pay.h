/* roomrec — rtpaomav1pay: AV1 video into RTP (AOMedia AV1 RTP v1.0)
 * Copyright (C) 2026 roomrec contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#pragma once

#include <gst/gst.h>
#include <gst/rtp/gstrtpbasepayload.h>

G_BEGIN_DECLS

#define GST_TYPE_RTP_AOM_AV1_PAY (gst_rtp_aom_av1_pay_get_type ())
G_DECLARE_FINAL_TYPE (GstRtpAomAv1Pay, gst_rtp_aom_av1_pay, GST,
    RTP_AOM_AV1_PAY, GstRTPBasePayload);

GST_ELEMENT_REGISTER_DECLARE (rtpaomav1pay);

G_END_DECLS
