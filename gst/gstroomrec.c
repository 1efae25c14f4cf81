/* roomrec — GStreamer elements for recording real-time rooms
 * Copyright (C) 2026 roomrec contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstroomrecelements.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  roomrec_element_init (plugin);

  ret |= GST_ELEMENT_REGISTER (splitmuxrec, plugin);
  ret |= GST_ELEMENT_REGISTER (rtpaomav1depay, plugin);
  ret |= GST_ELEMENT_REGISTER (rtpaomav1pay, plugin);
  ret |= GST_ELEMENT_REGISTER (rtparchivesink, plugin);
  ret |= GST_ELEMENT_REGISTER (compositorlayout, plugin);
  ret |= GST_ELEMENT_REGISTER (webhooknotify, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, roomrec,
    "Recording of real-time rooms without transcoding: RTP archives, "
    "split files, sidecars", plugin_init, VERSION, GST_LICENSE,
    GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
