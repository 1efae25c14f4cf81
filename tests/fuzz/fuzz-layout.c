/* Fuzz target for the custom layout parser (gst/core/layout.c).
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: the JSON text of a custom layout, copied into a buffer of exactly
 * its size (not NUL-terminated) so that AddressSanitizer sees any read past
 * it.  A layout that parses is checked for the promises of layout.h (1 to
 * 25 regions, lengths in range, participant or slot, no region twice for
 * one participant or slot), then laid out on a few canvases for the
 * participants it names and a few more: every tile inside the canvas,
 * even, from its own region, no region used twice.  The automatic modes
 * run too, for as many participants as the input has bytes (mod 31).  An
 * error must be an RR_LAYOUT_ERROR whose message starts with a JSON path.
 *
 * libFuzzer build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DROOMREC_LIBFUZZER \
 *     -fno-sanitize-recover=undefined -Igst/core \
 *     $(pkg-config --cflags json-glib-1.0) \
 *     tests/fuzz/fuzz-layout.c gst/core/layout.c \
 *     $(pkg-config --libs json-glib-1.0) -o fuzz-layout
 *   ./fuzz-layout -max_len=4096 tests/fuzz/corpus/layout
 * Without ROOMREC_LIBFUZZER a main() replays the files and directories given
 * on the command line (used by the test suite).
 */
#include "layout.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#include "../lib/lsan-glib.h"

static void
check_length (const RrLayoutLength * l, gboolean is_size)
{
  if (l->fraction) {
    if (l->value < (is_size ? 1 : 0) || l->value > RR_LAYOUT_FRACTION_ONE)
      abort ();
  } else if (l->value < (is_size ? 2 : 0) || l->value > RR_LAYOUT_CANVAS_MAX) {
    abort ();
  }
}

static void
check_custom (const RrLayoutCustom * c)
{
  guint i, j;

  if (c->n_regions == 0 || c->n_regions > RR_LAYOUT_CUSTOM_MAX)
    abort ();
  for (i = 0; i < c->n_regions; i++) {
    const RrLayoutRegion *r = &c->regions[i];

    check_length (&r->x, FALSE);
    check_length (&r->y, FALSE);
    check_length (&r->w, TRUE);
    check_length (&r->h, TRUE);
    if (r->x.fraction && r->w.fraction
        && r->x.value + r->w.value > RR_LAYOUT_FRACTION_ONE)
      abort ();
    if (r->y.fraction && r->h.fraction
        && r->y.value + r->h.value > RR_LAYOUT_FRACTION_ONE)
      abort ();
    if (r->z > 255 || (r->fit != RR_LAYOUT_FIT_CROP
            && r->fit != RR_LAYOUT_FIT_LETTERBOX))
      abort ();
    if ((r->participant == NULL) == (r->slot < 0))
      abort ();
    if (r->participant && (*r->participant == '\0'
            || !g_utf8_validate (r->participant, -1, NULL)))
      abort ();
    if (r->slot >= RR_LAYOUT_CUSTOM_MAX)
      abort ();
    for (j = 0; j < i; j++) {
      const RrLayoutRegion *o = &c->regions[j];

      if (r->participant && o->participant
          && strcmp (r->participant, o->participant) == 0)
        abort ();
      if (r->slot >= 0 && r->slot == o->slot)
        abort ();
    }
  }
}

static void
check_layout (const RrLayout * l, guint n, gint w, gint h, guint n_regions)
{
  gboolean used[RR_LAYOUT_CUSTOM_MAX] = { FALSE };
  guint i, shown = 0;

  if (l->n_tiles != n)
    abort ();
  for (i = 0; i < n; i++) {
    const RrLayoutTile *t = &l->tiles[i];

    if (!t->has_tile)
      continue;
    shown++;
    if (t->rect.x < 0 || t->rect.y < 0 || t->rect.w <= 0 || t->rect.h <= 0
        || t->rect.x + t->rect.w > (w & ~1)
        || t->rect.y + t->rect.h > (h & ~1)
        || ((t->rect.x | t->rect.y | t->rect.w | t->rect.h) & 1))
      abort ();
    if (n_regions > 0) {
      if (t->region < 0 || (guint) t->region >= n_regions || used[t->region])
        abort ();
      used[t->region] = TRUE;
    }
  }
  if (shown != l->n_screens && l->mode != RR_LAYOUT_SCREEN_SHARE)
    abort ();
}

static void
run_auto (guint n)
{
  static const RrLayoutMode modes[] = { RR_LAYOUT_GRID, RR_LAYOUT_FLOATING,
    RR_LAYOUT_SCREEN_SHARE
  };
  gchar *ids[31];
  guint i, m;

  for (i = 0; i < n; i++)
    ids[i] = g_strdup_printf ("u%u", i);
  for (m = 0; m < G_N_ELEMENTS (modes); m++) {
    RrLayoutParams p = { 0 };
    RrLayout *l;

    p.mode = modes[m];
    p.canvas_width = 16 + (gint) (n * 37);
    p.canvas_height = 16 + (gint) (n * 23);
    p.participants = (const gchar * const *) ids;
    p.n_participants = n;
    p.main_participant = n ? ids[n / 2] : NULL;
    l = rr_layout_compute (&p, NULL);
    if (l == NULL)
      abort ();
    check_layout (l, n, p.canvas_width, p.canvas_height, 0);
    rr_layout_free (l);
  }
  for (i = 0; i < n; i++)
    g_free (ids[i]);
}

static void
run_custom (const RrLayoutCustom * c)
{
  static const gint canvases[][2] = { {1280, 720}, {33, 16383}, {16, 16} };
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  guint i;

  /* every other named participant, then a few that fill slots */
  for (i = 0; i < c->n_regions; i++)
    if (c->regions[i].participant && i % 2 == 0)
      g_ptr_array_add (ids, g_strdup (c->regions[i].participant));
  for (i = 0; i < 6; i++) {
    gchar *id = g_strdup_printf ("slot-filler-%u", i);
    guint j;
    gboolean dup = FALSE;

    for (j = 0; j < ids->len; j++)
      dup = dup || strcmp (id, ids->pdata[j]) == 0;
    if (dup)
      g_free (id);
    else
      g_ptr_array_add (ids, id);
  }

  for (i = 0; i < G_N_ELEMENTS (canvases); i++) {
    RrLayoutParams p = { 0 };
    RrLayout *l;

    p.mode = RR_LAYOUT_CUSTOM;
    p.canvas_width = canvases[i][0];
    p.canvas_height = canvases[i][1];
    p.participants = (const gchar * const *) ids->pdata;
    p.n_participants = ids->len;
    p.custom = c;
    l = rr_layout_compute (&p, NULL);
    if (l == NULL)
      abort ();
    check_layout (l, ids->len, p.canvas_width, p.canvas_height, c->n_regions);
    rr_layout_free (l);
    rr_layout_custom_check_canvas (c, p.canvas_width, p.canvas_height,
        NULL, NULL);
  }
  g_ptr_array_unref (ids);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  RrLayoutCustom *c;
  GError *err = NULL;
  gchar *buf;

  /* malloc (0) may return NULL: keep one byte */
  buf = malloc (size ? size : 1);
  if (buf == NULL)
    abort ();
  memcpy (buf, data, size);

  c = rr_layout_custom_parse (buf, size, &err);
  if (c) {
    if (err)
      abort ();
    check_custom (c);
    run_custom (c);
    rr_layout_custom_free (c);
  } else {
    if (err == NULL || err->domain != RR_LAYOUT_ERROR
        || err->code > RR_LAYOUT_ERROR_COMBINATION || err->message[0] != '$'
        || !g_utf8_validate (err->message, -1, NULL))
      abort ();
    g_error_free (err);
  }
  free (buf);
  run_auto (size % 31);
  return 0;
}

#ifndef ROOMREC_LIBFUZZER
#include "fuzz-replay.h"
#endif
