/* roomrec — splitmuxrec: encoded audio/video in, archive files out
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

#define GST_TYPE_SPLIT_MUX_REC (gst_split_mux_rec_get_type ())
G_DECLARE_FINAL_TYPE (GstSplitMuxRec, gst_split_mux_rec, GST, SPLIT_MUX_REC,
    GstBin);

#define GST_TYPE_SPLIT_MUX_REC_FORMAT (gst_split_mux_rec_format_get_type ())
GType gst_split_mux_rec_format_get_type (void);

#define GST_TYPE_SPLIT_MUX_REC_NAMING (gst_split_mux_rec_naming_get_type ())
GType gst_split_mux_rec_naming_get_type (void);

G_END_DECLS
