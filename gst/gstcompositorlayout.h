/* roomrec — compositorlayout: mixed (composite) recording of a room
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_COMPOSITOR_LAYOUT (gst_compositor_layout_get_type ())
G_DECLARE_FINAL_TYPE (GstCompositorLayout, gst_compositor_layout, GST,
    COMPOSITOR_LAYOUT, GstBin);

#define GST_TYPE_COMPOSITOR_LAYOUT_PAD (gst_compositor_layout_pad_get_type ())
G_DECLARE_FINAL_TYPE (GstCompositorLayoutPad, gst_compositor_layout_pad, GST,
    COMPOSITOR_LAYOUT_PAD, GstGhostPad);

#define GST_TYPE_COMPOSITOR_LAYOUT_MODE (gst_compositor_layout_mode_get_type ())
GType gst_compositor_layout_mode_get_type (void);

GST_ELEMENT_REGISTER_DECLARE (compositorlayout);

G_END_DECLS
