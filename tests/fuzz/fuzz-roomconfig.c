/* Fuzz target for the room config parser (gst/core/roomconfig.c).
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: the config text, copied into a buffer of exactly its size (not
 * NUL-terminated) so that AddressSanitizer sees any read past it.  A config
 * that loads is checked for the promises of roomconfig.h (required fields
 * set, codec lists the format takes, every participant found by its token);
 * an error must be an RR_CONFIG_ERROR whose message starts with a JSON path.
 *
 * libFuzzer build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DROOMREC_LIBFUZZER \
 *     -Igst/core $(pkg-config --cflags gstreamer-1.0 json-glib-1.0) \
 *     tests/fuzz/fuzz-roomconfig.c gst/core/roomconfig.c gst/core/codecs.c \
 *     gst/core/naming.c gst/core/ids.c \
 *     $(pkg-config --libs gstreamer-1.0 json-glib-1.0) -o fuzz-roomconfig
 *   ASAN_OPTIONS=detect_leaks=0 ./fuzz-roomconfig -max_len=4096 \
 *     tests/fuzz/corpus/roomconfig
 * (with leak checks: ASAN_OPTIONS=fast_unwind_on_malloc=0, about 7 times
 * slower; otherwise GLib's quark table is reported at exit, see
 * __lsan_default_suppressions)
 * Without ROOMREC_LIBFUZZER a main() replays the files and directories given
 * on the command line (used by the test suite).
 */
#include "roomconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#include "../lib/lsan-glib.h"

static void
check_config (const RrRoomConfig * c)
{
  guint i;

  if (c->room_id == NULL || *c->room_id == '\0' || c->recording_id == NULL
      || c->archive_dir == NULL)
    abort ();
  if (c->n_video_codecs + c->n_audio_codecs == 0)
    abort ();
  for (i = 0; i < c->n_video_codecs; i++)
    if (!rr_codec_is_video (c->video_codecs[i])
        || !rr_format_accepts (c->format, c->video_codecs[i], NULL))
      abort ();
  for (i = 0; i < c->n_audio_codecs; i++)
    if (rr_codec_is_video (c->audio_codecs[i])
        || !rr_format_accepts (c->format, c->audio_codecs[i], NULL))
      abort ();
  if (c->split_only && c->split_duration_ns == 0)
    abort ();
  if (c->pli_interval_ns < GST_SECOND || c->pli_interval_ns > 240 * GST_SECOND)
    abort ();
  if (c->n_inputs == 0 || c->inputs == NULL)
    abort ();
  for (i = 0; i < c->n_inputs; i++) {
    const RrInputConfig *in = &c->inputs[i];

    if (in->path == NULL || strncmp (in->path, "$.inputs[", 9) != 0)
      abort ();
    switch (in->type) {
      case RR_INPUT_WHIP:
        if (in->listen_address == NULL || in->url_path == NULL
            || in->url_path[0] != '/' || in->listen_port > 65535
            || in->allow_origin == NULL || in->max_sessions == 0)
          abort ();
        break;
      case RR_INPUT_WHEP:
        if (in->url == NULL || in->retry_max_ms < in->retry_initial_ms)
          abort ();
        break;
      case RR_INPUT_RTP:
        if ((in->sdp == NULL) == (in->sdp_file == NULL))
          abort ();
        break;
      default:
        abort ();
    }
  }
  for (i = 0; i < c->n_participants; i++) {
    const RrParticipantConfig *p = &c->participants[i];

    if (p->user_id == NULL)
      abort ();
    if (p->token && rr_room_config_participant_for_token (c, p->token) != p)
      abort ();
    if (p->recording_block && rr_room_config_may_record (c, p->user_id))
      abort ();
  }
  for (i = 0; c->subscribe_block && c->subscribe_block[i]; i++)
    if (rr_room_config_may_record (c, c->subscribe_block[i]))
      abort ();
  if (c->subscribe_allow && rr_room_config_may_record (c, NULL))
    abort ();
  if (rr_room_config_participant_for_token (c, "") != NULL)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static gboolean initialized;
  RrRoomConfig *c;
  GError *err = NULL;
  gchar *buf;

  if (!initialized) {
    /* rr_format_accepts asks the registry.  Scan the system plugins in the
     * helper process (the test environment says GST_REGISTRY_FORK=no, and
     * plugins loaded here would show up as leaks), into a registry of our
     * own, without the plugin of this build. */
    const gchar *registry = g_getenv ("GST_REGISTRY_1_0");

    if (registry) {
      gchar *own = g_strconcat (registry, "-roomconfig", NULL);

      g_setenv ("GST_REGISTRY_1_0", own, TRUE);
      g_free (own);
    }
    g_unsetenv ("GST_REGISTRY_FORK");
    g_unsetenv ("GST_PLUGIN_PATH_1_0");
    gst_init (NULL, NULL);
    initialized = TRUE;
  }

  /* malloc (0) may return NULL: keep one byte */
  buf = malloc (size ? size : 1);
  if (buf == NULL)
    abort ();
  memcpy (buf, data, size);

  c = rr_room_config_load_data (buf, size, &err);
  if (c) {
    if (err)
      abort ();
    check_config (c);
    rr_room_config_free (c);
  } else {
    if (err == NULL || err->domain != RR_CONFIG_ERROR
        || err->code > RR_CONFIG_ERROR_COMBINATION || err->message[0] != '$'
        || !g_utf8_validate (err->message, -1, NULL))
      abort ();
    g_error_free (err);
  }
  free (buf);
  return 0;
}

#ifndef ROOMREC_LIBFUZZER
#include "fuzz-replay.h"
#endif
