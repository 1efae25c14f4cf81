/* roomrec — for unit tests of plain modules that need gst_init()
 * (GstCaps, GstSDPMessage, the installed plugins' versions).
 * Include it in exactly one .c file of a test executable.
 */
#pragma once

#include <gst/gst.h>

/* LeakSanitizer: GLib abandons its first quark table on purpose when it
 * grows (lock-free readers may still hold it), and gst_init() makes it
 * grow.  The table is allocated in GLib's constructor, so only leaks from
 * library constructors are ignored; GLib has no frame pointers, so that
 * frame is only seen with the slow unwinder. */
const char *__lsan_default_suppressions (void);
const char *__asan_default_options (void);

const char *
__lsan_default_suppressions (void)
{
  return "leak:_dl_init\n";
}

const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}

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
