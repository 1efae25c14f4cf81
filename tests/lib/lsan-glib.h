/* roomrec — LeakSanitizer settings of the tests and fuzz targets whose
 * code calls into GLib's type system or gst_init().  Include it in one .c
 * of an executable.
 *
 * GLib abandons its first quark table on purpose when it grows (lock-free
 * readers may still hold it), and gst_init() makes it grow.  The table is
 * allocated in GLib's constructor, so only leaks from library constructors
 * are ignored; GLib has no frame pointers, so that frame is only seen with
 * the slow unwinder (too slow for fuzzing: replays only).
 */
#pragma once

const char *__lsan_default_suppressions (void);
const char *__asan_default_options (void);

const char *
__lsan_default_suppressions (void)
{
  return "leak:_dl_init\n";
}

#ifndef ROOMREC_LIBFUZZER
const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}
#endif
