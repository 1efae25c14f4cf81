/* roomrec — for unit tests of plain modules that need gst_init()
 * (GstCaps, GstSDPMessage, the installed plugins' versions).
 * Include it in exactly one .c file of a test executable.
 */
#pragma once

#include <gst/gst.h>

#include "../lib/lsan-glib.h"

/* The test environment scans plugins in the test process
 * (GST_REGISTRY_FORK=no, for the element tests), and LeakSanitizer would
 * report what the system plugins leak: scan them in the helper process,
 * into a registry of this test's own (@name), without this build's
 * plugin. */
static inline void
unit_gst_init (int *argc, char ***argv, const char *name)
{
  const gchar *registry = g_getenv ("GST_REGISTRY_1_0");

  if (registry) {
    gchar *own = g_strconcat (registry, "-", name, NULL);

    g_setenv ("GST_REGISTRY_1_0", own, TRUE);
    g_free (own);
  }
  g_unsetenv ("GST_REGISTRY_FORK");
  g_unsetenv ("GST_PLUGIN_PATH_1_0");
  gst_init (argc, argv);
}
