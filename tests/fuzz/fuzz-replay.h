/* roomrec — the corpus replayer of every fuzz target (not a libFuzzer
 * build): each argument is a file, or a directory whose files are run in
 * turn, through LLVMFuzzerTestOneInput().  Included once, at the end of a
 * fuzz-*.c, under #ifndef ROOMREC_LIBFUZZER.
 */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>

static guint n_runs;

static void
run_path (const gchar * path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    GDir *dir = g_dir_open (path, 0, NULL);
    const gchar *name;

    if (dir == NULL)
      return;
    while ((name = g_dir_read_name (dir)) != NULL) {
      gchar *child = g_build_filename (path, name, NULL);
      run_path (child);
      g_free (child);
    }
    g_dir_close (dir);
  } else {
    gchar *contents = NULL;
    gsize len = 0;
    GError *err = NULL;

    if (!g_file_get_contents (path, &contents, &len, &err)) {
      g_printerr ("%s: %s\n", path, err->message);
      g_clear_error (&err);
      exit (1);
    }
    LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
    g_free (contents);
    n_runs++;
  }
}

int
main (int argc, char **argv)
{
  int i;

  for (i = 1; i < argc; i++)
    run_path (argv[i]);
  g_print ("replayed %u inputs\n", n_runs);
  return 0;
}
