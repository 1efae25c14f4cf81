/* roomrec — the launcher
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   roomrec run room.json     record one room until it stops
 *   roomrec check room.json   only check the config
 *   roomrec serve serve.json  the control service (tools/service.c)
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "room.h"
#include "roomcontrol.h"
#include "service.h"

#include <glib-unix.h>
#include <gst/gst.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

/* Exit codes: 0 stopped cleanly, 1 the room failed, 2 usage or config. */
enum
{
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
};

typedef struct
{
  GMainLoop *loop;
  RrRoom *room;
  RrRoomControl *control;
  guint signals;
  int exit_code;
} Run;

static void
usage (FILE * to)
{
  fprintf (to,
      "Usage: roomrec run ROOM.json    record one room until it stops\n"
      "       roomrec check ROOM.json  check a room config and exit\n"
      "       roomrec deliver ROOM.json  send the webhooks and uploads an\n"
      "                                ended run of ROOM.json left (spool,\n"
      "                                upload state); records nothing\n"
      "       roomrec serve SERVE.json the control service: REST API, WHIP\n"
      "                                of every room, dashboard (one port)\n"
      "       roomrec --version\n\n"
      "The config files are documented in docs/config.md and\n"
      "docs/service.md; examples are in pipelines/*.json.  SIGINT/SIGTERM\n"
      "stop the room (or every room of the service): every archive is\n"
      "finalised and the report written before roomrec exits with 0.\n");
}

static RrRoomConfig *
load_config (const gchar * filename)
{
  GError *err = NULL;
  RrRoomConfig *config = rr_room_config_load_file (filename, &err);

  if (config == NULL) {
    g_printerr ("roomrec: %s: %s\n", filename, err->message);
    g_error_free (err);
  }
  return config;
}

static void
on_room_stopped (RrRoom * room, gpointer data)
{
  Run *run = data;

  if (rr_room_get_stop_reason (room) == RR_ROOM_STOP_ERROR)
    run->exit_code = EXIT_FAILED;
  if (run->control)
    rr_room_control_stopped (run->control,
        rr_room_stop_reason_name (rr_room_get_stop_reason (room)),
        rr_room_report_path (room));
  g_main_loop_quit (run->loop);
}

static gboolean
on_signal (gpointer data)
{
  Run *run = data;

  if (++run->signals > 1) {
    g_printerr ("roomrec: second signal: exiting without waiting for the "
        "archives (their files stay in the temp dir)\n");
    exit (EXIT_FAILED);
  }
  rr_room_stop (run->room, RR_ROOM_STOP_SIGNAL);
  return G_SOURCE_CONTINUE;
}

static int
cmd_run (const gchar * filename, gint control_fd)
{
  Run run = { 0, };
  RrRoomConfig *config = load_config (filename);
  GError *err = NULL;
  guint sigint, sigterm;

  if (config == NULL)
    return EXIT_USAGE;
  run.room = rr_room_new (config, &err);
  if (run.room == NULL) {
    g_printerr ("roomrec: %s\n", err->message);
    g_error_free (err);
    rr_room_config_free (config);
    return EXIT_FAILED;
  }
  run.loop = g_main_loop_new (NULL, FALSE);
  sigint = g_unix_signal_add (SIGINT, on_signal, &run);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, &run);

  if (control_fd >= 0) {
    run.control = rr_room_control_new (run.room, control_fd, &err);
    if (run.control == NULL) {
      g_printerr ("roomrec: %s\n", err->message);
      g_clear_error (&err);
      rr_room_free (run.room);
      rr_room_config_free (config);
      g_main_loop_unref (run.loop);
      return EXIT_USAGE;
    }
  }
  if (!rr_room_start (run.room, on_room_stopped, &run, &err)) {
    g_printerr ("roomrec: %s\n", err->message);
    g_clear_error (&err);
    run.exit_code = EXIT_FAILED;
    /* whatever had started is finalised the normal way */
    rr_room_stop (run.room, RR_ROOM_STOP_ERROR);
  } else if (run.control) {
    rr_room_control_ready (run.control);
  }
  g_main_loop_run (run.loop);
  if (run.exit_code == EXIT_OK && rr_room_report_path (run.room) == NULL)
    run.exit_code = EXIT_FAILED;
  /* the recording is there, but not where it was asked to go */
  if (run.exit_code == EXIT_OK && rr_room_uploads_failed (run.room) > 0)
    run.exit_code = EXIT_FAILED;

  g_source_remove (sigint);
  g_source_remove (sigterm);
  rr_room_control_free (run.control);
  rr_room_free (run.room);
  rr_room_config_free (config);
  g_main_loop_unref (run.loop);
  return run.exit_code;
}

/* How long `roomrec deliver` tries before it leaves the rest for the next
 * time (its receivers may be down for longer). */
#define DELIVER_MAX_S 60

static gboolean
on_deliver_signal (gpointer data)
{
  *(volatile gboolean *) data = TRUE;
  return G_SOURCE_CONTINUE;
}

static int
cmd_deliver (const gchar * filename)
{
  RrRoomConfig *config = load_config (filename);
  volatile gboolean cancelled = FALSE;
  GError *err = NULL;
  RrRoom *room;
  guint sigint, sigterm;
  gint left;

  if (config == NULL)
    return EXIT_USAGE;
  if (config->webhooks.urls == NULL && !config->storage.enabled) {
    g_print ("roomrec: %s has neither webhooks nor storage: nothing to "
        "deliver\n", filename);
    rr_room_config_free (config);
    return EXIT_OK;
  }
  room = rr_room_new (config, &err);
  if (room == NULL) {
    g_printerr ("roomrec: %s\n", err->message);
    g_error_free (err);
    rr_room_config_free (config);
    return EXIT_FAILED;
  }
  sigint =
      g_unix_signal_add (SIGINT, on_deliver_signal, (gpointer) & cancelled);
  sigterm =
      g_unix_signal_add (SIGTERM, on_deliver_signal, (gpointer) & cancelled);
  left =
      rr_room_deliver_leftovers (room,
      g_get_monotonic_time () + DELIVER_MAX_S * G_USEC_PER_SEC, &cancelled,
      &err);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  rr_room_free (room);
  rr_room_config_free (config);
  if (left < 0) {
    g_printerr ("roomrec: %s\n", err->message);
    g_error_free (err);
    return EXIT_FAILED;
  }
  if (left > 0) {
    g_printerr ("roomrec: %d deliveries still pending (the webhook receiver "
        "or the storage does not answer); they stay spooled for the next "
        "`roomrec deliver` or run of this recording\n", left);
    return EXIT_FAILED;
  }
  g_print ("roomrec: everything delivered\n");
  return EXIT_OK;
}

static int
cmd_check (const gchar * filename)
{
  RrRoomConfig *config = load_config (filename);
  const RrMixConfig *m;
  gchar *mix = NULL;

  if (config == NULL)
    return EXIT_USAGE;
  m = &config->mix;
  if (config->mode != RR_ROOM_MODE_SINGLE)
    mix = g_strdup_printf ("composite %s %s %dx%d@%d %s",
        rr_mix_output_name (m->outputs), rr_codec_name (m->video_codec),
        m->width, m->height, m->fps, rr_layout_mode_to_string (m->layout));
  g_print ("%s: room %s, recording %s, %s%s%s%s, %u input(s): OK\n",
      filename, config->room_id, config->recording_id,
      config->mode == RR_ROOM_MODE_MIXED ? "" : "format ",
      config->mode == RR_ROOM_MODE_MIXED ? "" : rr_format_name (config->format),
      config->mode == RR_ROOM_MODE_BOTH ? " + " : "", mix ? mix : "",
      config->n_inputs);
  g_free (mix);
  rr_room_config_free (config);
  return EXIT_OK;
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  /* one line at a time, also into a pipe: scripts follow the log */
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (argc == 2 && (g_str_equal (argv[1], "--version")
          || g_str_equal (argv[1], "-v"))) {
    g_print ("roomrec %s\n", VERSION);
    return EXIT_OK;
  }
  if (argc == 2 && (g_str_equal (argv[1], "--help")
          || g_str_equal (argv[1], "-h"))) {
    usage (stdout);
    return EXIT_OK;
  }
  if (argc == 5 && g_str_equal (argv[1], "run")
      && g_str_equal (argv[2], "--control-fd")) {
    gchar *end = NULL;
    gint64 fd = g_ascii_strtoll (argv[3], &end, 10);

    if (end == argv[3] || *end != '\0' || fd < 3 || fd > 65535) {
      g_printerr ("roomrec: --control-fd takes a file descriptor (>= 3)\n");
      return EXIT_USAGE;
    }
    gst_init (NULL, NULL);
    return cmd_run (argv[4], (gint) fd);
  }
  if (argc != 3) {
    usage (stderr);
    return EXIT_USAGE;
  }
  if (g_str_equal (argv[1], "serve"))
    return rr_service_main (argv[0], argv[2]);
  gst_init (NULL, NULL);
  if (g_str_equal (argv[1], "run"))
    return cmd_run (argv[2], -1);
  if (g_str_equal (argv[1], "check"))
    return cmd_check (argv[2]);
  if (g_str_equal (argv[1], "deliver"))
    return cmd_deliver (argv[2]);
  usage (stderr);
  return EXIT_USAGE;
}
