/* roomrec — mixed-recording layout geometry (TRTC MixLayoutMode)
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The automatic layouts follow the TRTC cloud recording description kept
 * in seeds/001_*.txt (Korean edition), lines 103-150; the line numbers
 * below are of that file.  What the text leaves open (it points at
 * pictures the seed does not have) is decided here and marked "not in the
 * seed"; docs/layout.md lists those decisions.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "layout.h"
#include "jsonmsg.h"

#include <string.h>

GQuark
rr_layout_error_quark (void)
{
  return g_quark_from_static_string ("rr-layout-error-quark");
}

#define MAX_JSON_BYTES (64 * 1024)
#define MAX_JSON_DEPTH 16
#define MAX_ID_BYTES 256
#define MAX_SHOWN_CHARS 64
#define MAX_Z 255

/* ------------------------------------------------------------------ */
/* rounding                                                            */

/* The even integer nearest to num/den (num >= 0, den > 0), halves up. */
static gint
round_even (gint64 num, gint64 den)
{
  return (gint) (2 * ((num + den) / (2 * den)));
}

/* num/den rounded down to an even integer (num >= 0, den > 0). */
static gint
floor_even (gint64 num, gint64 den)
{
  return (gint) (2 * (num / (2 * den)));
}

/* The exact rectangle (x_num/x_den, y_num/y_den, w_num/x_den,
 * h_num/y_den) of a cw x ch canvas, in pixels: the position rounded to
 * the nearest even pixel, the size down to an even one.  Both functions
 * are superadditive (round_even (a) + floor_even (b) <= round_even (a +
 * b)), so the tile ends at or before its exact end rounded to even: it
 * stays inside an even canvas and off its exact neighbours. */
static RrLayoutRect
snap (gint cw, gint ch, gint64 x_num, gint64 w_num, gint64 x_den,
    gint64 y_num, gint64 h_num, gint64 y_den)
{
  RrLayoutRect r;

  r.x = round_even (x_num * cw, x_den);
  r.w = floor_even (w_num * cw, x_den);
  r.y = round_even (y_num * ch, y_den);
  r.h = floor_even (h_num * ch, y_den);
  return r;
}

/* ------------------------------------------------------------------ */
/* modes                                                               */

static const struct
{
  RrLayoutMode mode;
  const gchar *name;
} mode_names[] = {
  {RR_LAYOUT_GRID, "grid"},
  {RR_LAYOUT_FLOATING, "floating"},
  {RR_LAYOUT_SCREEN_SHARE, "screen-share"},
  {RR_LAYOUT_CUSTOM, "custom"},
};

const gchar *
rr_layout_mode_to_string (RrLayoutMode mode)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (mode_names); i++)
    if (mode_names[i].mode == mode)
      return mode_names[i].name;
  return NULL;
}

gboolean
rr_layout_mode_from_string (const gchar * name, RrLayoutMode * mode)
{
  guint i;

  for (i = 0; name && i < G_N_ELEMENTS (mode_names); i++)
    if (strcmp (mode_names[i].name, name) == 0) {
      *mode = mode_names[i].mode;
      return TRUE;
    }
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* grid                                                                */

/* Seed lines 105-119: every tile has the same size (line 106); 1 tile:
 * the canvas (107-108); 2: half the width, the whole height (109-111);
 * up to 4: 1/2 x 1/2 (112-113); up to 9: 1/3 (114-115); up to 16: 1/4
 * (116-117); more ("16개 이상", line 118; 16 itself is on line 116): 1/5
 * (119); at most 25 (106).
 * Not in the seed (line 120 points at pictures): where the tiles of a
 * grid that is not full go.  They fill it row by row from the top-left
 * in join order; an incomplete last row is not centred and the rows are
 * not moved down (3 tiles: two on top, one at the bottom left). */
static void
grid_shape (guint n, guint * cols, guint * rows)
{
  if (n <= 1)
    *cols = *rows = 1;
  else if (n == 2) {
    *cols = 2;
    *rows = 1;
  } else if (n <= 4)
    *cols = *rows = 2;
  else if (n <= 9)
    *cols = *rows = 3;
  else if (n <= 16)
    *cols = *rows = 4;
  else
    *cols = *rows = 5;
}

static void
layout_grid (RrLayout * l, gint cw, gint ch)
{
  guint n = MIN (l->n_tiles, RR_LAYOUT_GRID_MAX), cols, rows, i;

  grid_shape (n, &cols, &rows);
  l->n_screens = n;
  for (i = 0; i < n; i++) {
    RrLayoutTile *t = &l->tiles[i];

    t->has_tile = TRUE;
    t->rect = snap (cw, ch, i % cols, 1, cols, i / cols, 1, rows);
  }
}

/* ------------------------------------------------------------------ */
/* floating                                                            */

/* Seed line 122: the first participant to join (or the chosen one) fills
 * the canvas; the others, in join order, are small tiles floating on it,
 * in rows from the bottom-left corner, left to right; 4 per row (4 x 4)
 * up to 17 screens, 5 per row (5 x 5) above; at most 25 screens; an
 * audio-only participant still takes a place.
 * Lines 123-126, up to 17 screens: tiles 0.235 of the canvas width and
 * height, 0.012 between tiles and 0.012 from the canvas edges.
 * Lines 127-130, more ("17개 이상" again, but 17 is on line 123, and
 * 16 small tiles fill the 4 x 4 rows exactly): 0.188, 0.01, 0.01.
 * Both fill the canvas: 4 x 0.235 + 3 x 0.012 + 2 x 0.012 = 1 and
 * 5 x 0.188 + 4 x 0.01 + 2 x 0.01 = 1.
 * The screen count includes the full-canvas participant. */
static void
layout_floating (RrLayout * l, gint cw, gint ch, gint main_index)
{
  guint n = l->n_tiles, screens, i, j = 0;
  gint64 size, step, margin, per_row;

  if (n == 0)
    return;
  if (main_index < 0)
    main_index = 0;
  screens = MIN (n, RR_LAYOUT_FLOATING_MAX);
  l->n_screens = screens;
  if (screens <= 17) {
    size = 235;
    margin = 12;
    per_row = 4;
  } else {
    size = 188;
    margin = 10;
    per_row = 5;
  }
  step = size + margin;

  for (i = 0; i < n; i++) {
    RrLayoutTile *t = &l->tiles[i];
    gint64 col, row;

    if ((gint) i == main_index) {
      t->has_tile = TRUE;
      t->is_main = TRUE;
      t->z = 0;
      t->rect = snap (cw, ch, 0, 1, 1, 0, 1, 1);
      continue;
    }
    if (j + 1 >= screens)
      continue;                 /* over the maximum: no tile */
    col = j % per_row;
    row = j / per_row;          /* 0 = the bottom row */
    t->has_tile = TRUE;
    t->z = 1;
    t->rect = snap (cw, ch, margin + col * step, size, 1000,
        1000 - margin - size - row * step, size, 1000);
    j++;
  }
}

/* ------------------------------------------------------------------ */
/* screen-share                                                        */

/* Seed line 133: the chosen participant is the big tile on the left
 * (nobody chosen: the big slot shows the background); the others go on
 * the right, top to bottom; below 17 screens each right column holds up
 * to 8, in at most 2 columns; past 17 screens the further participants
 * go in a row from the bottom-left corner, left to right; at most 24
 * screens; audio-only participants take a place too.
 * The size table, lines 134-148 (W, H: the canvas):
 *   screens   small tile       big tile       line
 *   <= 5      W/5  x H/4       4W/5 x H       134-136
 *   <= 7      W/7  x H/6       6W/7 x H       137-139
 *   <= 9      W/9  x H/8       8W/9 x H       140-142
 *   <= 17     W/10 x H/8       4W/5 x H       143-145
 *   more      W/10 x H/8       4W/5 x 7H/8    146-148
 * The seed writes "greater than 5 and less than 7" and so on; the
 * bounds are read as <= 7, <= 9, <= 17 because that is what the tiles
 * hold: 4 x H/4, 6 x H/6, 8 x H/8 in one column, 2 x 8 in two.
 * The screen count includes the big slot, whether someone is in it or
 * not (that is what makes the table fit), so 23 small tiles at most.
 * Not in the seed: the order of the two right columns; the one next to
 * the big tile fills first, top to bottom, then the one at the right
 * edge.  Past 17 screens the right columns take the first 16 small tiles
 * over the whole height, the bottom row (y = 7H/8) the rest. */
typedef struct
{
  gint64 x_den, y_den;          /* the small tile is 1/x_den x 1/y_den */
  gint64 big_w, big_h;          /* in those units */
  guint per_col;
} ShareRow;

static const ShareRow share_table[] = {
  {5, 4, 4, 4, 4},
  {7, 6, 6, 6, 6},
  {9, 8, 8, 8, 8},
  {10, 8, 8, 8, 8},
  {10, 8, 8, 7, 8},
};

static const ShareRow *
share_row (guint screens)
{
  if (screens <= 5)
    return &share_table[0];
  if (screens <= 7)
    return &share_table[1];
  if (screens <= 9)
    return &share_table[2];
  if (screens <= 17)
    return &share_table[3];
  return &share_table[4];
}

static void
layout_screen_share (RrLayout * l, gint cw, gint ch, gint main_index)
{
  guint n_small = l->n_tiles - (main_index >= 0 ? 1 : 0), screens, i, j = 0;
  guint n_right;
  const ShareRow *s;

  screens = 1 + MIN (n_small, RR_LAYOUT_SCREEN_SHARE_MAX - 1);
  l->n_screens = screens;
  s = share_row (screens);
  n_right = s->per_col * (guint) (s->x_den - s->big_w);
  l->big_rect = snap (cw, ch, 0, s->big_w, s->x_den, 0, s->big_h, s->y_den);
  l->big_is_background = main_index < 0;

  for (i = 0; i < l->n_tiles; i++) {
    RrLayoutTile *t = &l->tiles[i];

    if ((gint) i == main_index) {
      t->has_tile = TRUE;
      t->is_main = TRUE;
      t->rect = l->big_rect;
      continue;
    }
    if (j + 1 >= screens)
      continue;                 /* over the maximum: no tile */
    t->has_tile = TRUE;
    if (j < n_right)
      t->rect = snap (cw, ch, s->big_w + j / s->per_col, 1, s->x_den,
          j % s->per_col, 1, s->y_den);
    else
      t->rect = snap (cw, ch, j - n_right, 1, s->x_den, s->big_h, 1, s->y_den);
    j++;
  }
}

/* ------------------------------------------------------------------ */
/* custom                                                              */

/* A length in pixels, exactly: *num / *den. */
static void
length_exact (const RrLayoutLength * len, gint canvas, gint64 * num,
    gint64 * den)
{
  if (len->fraction) {
    *num = len->value * canvas;
    *den = RR_LAYOUT_FRACTION_ONE;
  } else {
    *num = len->value;
    *den = 1;
  }
}

static RrLayoutRect
region_rect (const RrLayoutRegion * r, gint cw, gint ch)
{
  RrLayoutRect out;
  gint64 num, den;

  length_exact (&r->x, cw, &num, &den);
  out.x = round_even (num, den);
  length_exact (&r->w, cw, &num, &den);
  out.w = floor_even (num, den);
  length_exact (&r->y, ch, &num, &den);
  out.y = round_even (num, den);
  length_exact (&r->h, ch, &num, &den);
  out.h = floor_even (num, den);
  /* pixel lengths may pass the canvas: cut (both sides even) */
  if (out.x >= cw || out.y >= ch)
    out.w = out.h = 0;
  out.w = MIN (out.w, cw - out.x);
  out.h = MIN (out.h, ch - out.y);
  return out;
}

static void
layout_custom (RrLayout * l, gint cw, gint ch, const RrLayoutCustom * c,
    GHashTable * index_of)
{
  gboolean *named = g_new0 (gboolean, l->n_tiles + 1);
  gint *rest = g_new (gint, l->n_tiles + 1);
  guint n_rest = 0, i;

  for (i = 0; i < c->n_regions; i++) {
    gpointer v;

    if (c->regions[i].participant
        && g_hash_table_lookup_extended (index_of,
            c->regions[i].participant, NULL, &v))
      named[GPOINTER_TO_UINT (v)] = TRUE;
  }
  for (i = 0; i < l->n_tiles; i++)
    if (!named[i])
      rest[n_rest++] = i;

  l->n_screens = 0;
  for (i = 0; i < c->n_regions; i++) {
    const RrLayoutRegion *r = &c->regions[i];
    RrLayoutTile *t;
    RrLayoutRect rect;
    gint who = -1;
    gpointer v;

    if (r->participant) {
      if (g_hash_table_lookup_extended (index_of, r->participant, NULL, &v))
        who = GPOINTER_TO_INT (v);
    } else if (r->slot >= 0 && (guint) r->slot < n_rest) {
      who = rest[r->slot];
    }
    if (who < 0)
      continue;
    rect = region_rect (r, cw, ch);
    if (rect.w <= 0 || rect.h <= 0)
      continue;
    t = &l->tiles[who];
    if (t->has_tile)
      continue;                 /* the parser refuses this; be safe */
    t->has_tile = TRUE;
    t->rect = rect;
    t->z = r->z;
    t->region = i;
    t->fit = r->fit;
    l->n_screens++;
  }
  g_free (named);
  g_free (rest);
}

/* ------------------------------------------------------------------ */
/* compute                                                             */

RrLayout *
rr_layout_compute (const RrLayoutParams * p, GError ** error)
{
  RrLayout *l;
  GHashTable *index_of;
  gint cw, ch, main_index = -1;
  guint i;

  g_return_val_if_fail (p != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (p->canvas_width < RR_LAYOUT_CANVAS_MIN
      || p->canvas_width > RR_LAYOUT_CANVAS_MAX
      || p->canvas_height < RR_LAYOUT_CANVAS_MIN
      || p->canvas_height > RR_LAYOUT_CANVAS_MAX) {
    g_set_error (error, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_INVALID,
        "canvas %dx%d is out of range (%d to %d pixels each way)",
        p->canvas_width, p->canvas_height, RR_LAYOUT_CANVAS_MIN,
        RR_LAYOUT_CANVAS_MAX);
    return NULL;
  }
  if (rr_layout_mode_to_string (p->mode) == NULL) {
    g_set_error (error, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_INVALID,
        "unknown layout mode %d", (gint) p->mode);
    return NULL;
  }
  if (p->mode == RR_LAYOUT_CUSTOM
      && (p->custom == NULL || p->custom->n_regions == 0)) {
    g_set_error (error, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_INVALID,
        "a custom layout needs at least one region");
    return NULL;
  }
  if (p->n_participants > 0 && p->participants == NULL) {
    g_set_error (error, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_INVALID,
        "%u participants but no list", p->n_participants);
    return NULL;
  }

  index_of = g_hash_table_new (g_str_hash, g_str_equal);
  for (i = 0; i < p->n_participants; i++) {
    const gchar *id = p->participants[i];

    if (id == NULL || *id == '\0') {
      g_set_error (error, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_INVALID,
          "participant %u has no id", i);
      g_hash_table_destroy (index_of);
      return NULL;
    }
    if (!g_hash_table_insert (index_of, (gpointer) id, GUINT_TO_POINTER (i))) {
      g_set_error (error, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_INVALID,
          "participant %u has the id of an earlier one", i);
      g_hash_table_destroy (index_of);
      return NULL;
    }
  }
  if (p->main_participant) {
    gpointer v;

    if (g_hash_table_lookup_extended (index_of, p->main_participant, NULL, &v))
      main_index = GPOINTER_TO_INT (v);
  }

  l = g_new0 (RrLayout, 1);
  l->mode = p->mode;
  l->canvas_width = p->canvas_width;
  l->canvas_height = p->canvas_height;
  l->n_tiles = p->n_participants;
  l->tiles = g_new0 (RrLayoutTile, p->n_participants + 1);
  for (i = 0; i < p->n_participants; i++) {
    l->tiles[i].participant = g_strdup (p->participants[i]);
    l->tiles[i].region = -1;
    l->tiles[i].fit = p->fit;
  }

  /* odd sizes: the even size below, the last column/row is background */
  cw = p->canvas_width & ~1;
  ch = p->canvas_height & ~1;
  switch (p->mode) {
    case RR_LAYOUT_GRID:
      layout_grid (l, cw, ch);
      break;
    case RR_LAYOUT_FLOATING:
      layout_floating (l, cw, ch, main_index);
      break;
    case RR_LAYOUT_SCREEN_SHARE:
      layout_screen_share (l, cw, ch, main_index);
      break;
    case RR_LAYOUT_CUSTOM:
      layout_custom (l, cw, ch, p->custom, index_of);
      break;
  }
  g_hash_table_destroy (index_of);
  return l;
}

void
rr_layout_free (RrLayout * layout)
{
  guint i;

  if (layout == NULL)
    return;
  for (i = 0; i < layout->n_tiles; i++)
    g_free (layout->tiles[i].participant);
  g_free (layout->tiles);
  g_free (layout);
}

const RrLayoutTile *
rr_layout_find (const RrLayout * layout, const gchar * participant)
{
  guint i;

  g_return_val_if_fail (layout != NULL, NULL);
  for (i = 0; participant && i < layout->n_tiles; i++)
    if (strcmp (layout->tiles[i].participant, participant) == 0)
      return &layout->tiles[i];
  return NULL;
}

/* ------------------------------------------------------------------ */
/* errors with a JSON path                                             */

/* "<path>: <message>" */
#define fail(error, code, path, ...) \
  rr_json_set_error (error, RR_LAYOUT_ERROR, code, path, __VA_ARGS__)
#define type_error(error, path, expected, node) \
  rr_json_type_error (error, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_TYPE, path, expected, node)

static gboolean
node_is (JsonNode * node, GType type)
{
  return JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == type;
}

/* ------------------------------------------------------------------ */
/* custom: parsing                                                     */

/* Every member of @obj is one of @known; else an UNKNOWN_KEY error at the
 * first other one, listing @known. */
static gboolean
check_known_keys (JsonObject * obj, const gchar * opath,
    const gchar * const *known, GError ** error)
{
  GList *members = json_object_get_members (obj), *m;
  gboolean ok = TRUE;

  for (m = members; m && ok; m = m->next) {
    if (!g_strv_contains (known, m->data)) {
      gchar *path = rr_json_key_path (opath, m->data);
      gchar *list = g_strjoinv (", ", (gchar **) known);

      fail (error, RR_LAYOUT_ERROR_UNKNOWN_KEY, path, "unknown key (known "
          "keys: %s)", list);
      g_free (list);
      g_free (path);
      ok = FALSE;
    }
  }
  g_list_free (members);
  return ok;
}

static const gchar *const region_keys[] = {
  "x", "y", "w", "h", "z", "participant", "slot", "fit", NULL
};

/* "12.5%": 1-3 digits, optionally '.' and 1-6 digits, then '%'; 0-100.
 * *value in 1e-8 of the canvas. */
static gboolean
parse_percent (const gchar * s, gint64 * value)
{
  gint64 whole = 0, frac = 0;
  guint n = 0, d;

  for (; g_ascii_isdigit (*s) && n < 3; s++, n++)
    whole = whole * 10 + (*s - '0');
  if (n == 0)
    return FALSE;
  if (*s == '.') {
    s++;
    for (d = 0; g_ascii_isdigit (*s) && d < 6; s++, d++)
      frac = frac * 10 + (*s - '0');
    if (d == 0)
      return FALSE;
    for (; d < 6; d++)
      frac *= 10;
  }
  if (s[0] != '%' || s[1] != '\0')
    return FALSE;
  *value = whole * 1000000 + frac;
  return *value <= RR_LAYOUT_FRACTION_ONE;
}

/* x, y (is_size FALSE): 0..RR_LAYOUT_CANVAS_MAX pixels or 0-100%;
 * w, h: 2..RR_LAYOUT_CANVAS_MAX pixels or more than 0%, up to 100% */
static gboolean
read_length (JsonObject * obj, const gchar * opath, const gchar * key,
    gboolean is_size, RrLayoutLength * out, GError ** error)
{
  JsonNode *node = json_object_get_member (obj, key);
  gchar *path = rr_json_key_path (opath, key);
  gboolean ok = FALSE;
  gint64 min = is_size ? 2 : 0;

  if (node == NULL) {
    fail (error, RR_LAYOUT_ERROR_MISSING, path, "required key is missing");
  } else if (node_is (node, G_TYPE_INT64)) {
    gint64 v = json_node_get_int (node);

    if (v < min || v > RR_LAYOUT_CANVAS_MAX)
      fail (error, RR_LAYOUT_ERROR_RANGE, path, "%" G_GINT64_FORMAT
          " is out of range %" G_GINT64_FORMAT " to %d pixels", v, min,
          RR_LAYOUT_CANVAS_MAX);
    else {
      out->fraction = FALSE;
      out->value = v;
      ok = TRUE;
    }
  } else if (node_is (node, G_TYPE_STRING)) {
    const gchar *s = json_node_get_string (node);
    gint64 v;

    if (!parse_percent (s, &v)) {
      gchar *q = rr_json_quote (s);

      fail (error, RR_LAYOUT_ERROR_RANGE, path, "%s is not a percentage "
          "from \"0%%\" to \"100%%\" (like \"50%%\" or \"33.333333%%\", at "
          "most 6 decimals)", q);
      g_free (q);
    } else if (is_size && v == 0) {
      fail (error, RR_LAYOUT_ERROR_RANGE, path, "a size of 0%% is empty");
    } else {
      out->fraction = TRUE;
      out->value = v;
      ok = TRUE;
    }
  } else {
    type_error (error, path, "whole pixels (640) or a percentage string "
        "(\"50%\")", node);
  }
  g_free (path);
  return ok;
}

static gboolean
read_region (JsonNode * node, const gchar * rpath, RrLayoutRegion * r,
    GError ** error)
{
  JsonObject *obj;
  JsonNode *v;
  gchar *path;
  gboolean ok = TRUE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return type_error (error, rpath, "a region object", node);
  obj = json_node_get_object (node);

  if (!check_known_keys (obj, rpath, region_keys, error))
    return FALSE;

  if (!read_length (obj, rpath, "x", FALSE, &r->x, error)
      || !read_length (obj, rpath, "y", FALSE, &r->y, error)
      || !read_length (obj, rpath, "w", TRUE, &r->w, error)
      || !read_length (obj, rpath, "h", TRUE, &r->h, error))
    return FALSE;
  if ((r->x.fraction && r->w.fraction
          && r->x.value + r->w.value > RR_LAYOUT_FRACTION_ONE)
      || (r->y.fraction && r->h.fraction
          && r->y.value + r->h.value > RR_LAYOUT_FRACTION_ONE)) {
    gboolean horizontal = r->x.fraction && r->w.fraction
        && r->x.value + r->w.value > RR_LAYOUT_FRACTION_ONE;

    path = rr_json_key_path (rpath, horizontal ? "w" : "h");
    fail (error, RR_LAYOUT_ERROR_COMBINATION, path, "the region ends past "
        "the canvas (%s is more than 100%%)", horizontal ? "x + w" : "y + h");
    g_free (path);
    return FALSE;
  }

  r->z = 0;
  if ((v = json_object_get_member (obj, "z")) != NULL) {
    path = rr_json_key_path (rpath, "z");
    if (!node_is (v, G_TYPE_INT64))
      ok = type_error (error, path, "a whole number (0 to 255)", v);
    else if (json_node_get_int (v) < 0 || json_node_get_int (v) > MAX_Z) {
      fail (error, RR_LAYOUT_ERROR_RANGE, path, "%" G_GINT64_FORMAT
          " is out of range 0 to %d", json_node_get_int (v), MAX_Z);
      ok = FALSE;
    } else
      r->z = (guint) json_node_get_int (v);
    g_free (path);
    if (!ok)
      return FALSE;
  }

  r->fit = RR_LAYOUT_FIT_CROP;
  if ((v = json_object_get_member (obj, "fit")) != NULL) {
    path = rr_json_key_path (rpath, "fit");
    if (!node_is (v, G_TYPE_STRING))
      ok = type_error (error, path, "\"crop\" or \"letterbox\"", v);
    else if (strcmp (json_node_get_string (v), "letterbox") == 0)
      r->fit = RR_LAYOUT_FIT_LETTERBOX;
    else if (strcmp (json_node_get_string (v), "crop") != 0) {
      gchar *q = rr_json_quote (json_node_get_string (v));

      fail (error, RR_LAYOUT_ERROR_RANGE, path, "%s is not a fit mode "
          "(\"crop\" or \"letterbox\")", q);
      g_free (q);
      ok = FALSE;
    }
    g_free (path);
    if (!ok)
      return FALSE;
  }

  r->slot = -1;
  if (json_object_has_member (obj, "participant")
      && json_object_has_member (obj, "slot")) {
    path = rr_json_key_path (rpath, "slot");
    fail (error, RR_LAYOUT_ERROR_COMBINATION, path, "a region has either "
        "\"participant\" or \"slot\", not both");
    g_free (path);
    return FALSE;
  }
  if ((v = json_object_get_member (obj, "participant")) != NULL) {
    const gchar *id;

    path = rr_json_key_path (rpath, "participant");
    if (!node_is (v, G_TYPE_STRING))
      ok = type_error (error, path, "a participant id (a string)", v);
    else if (*(id = json_node_get_string (v)) == '\0'
        || strlen (id) > MAX_ID_BYTES || !g_utf8_validate (id, -1, NULL)) {
      fail (error, RR_LAYOUT_ERROR_RANGE, path, "a participant id is UTF-8 "
          "text of 1 to %d bytes", MAX_ID_BYTES);
      ok = FALSE;
    } else
      r->participant = g_strdup (id);
    g_free (path);
    return ok;
  }
  if ((v = json_object_get_member (obj, "slot")) != NULL) {
    path = rr_json_key_path (rpath, "slot");
    if (!node_is (v, G_TYPE_INT64))
      ok = type_error (error, path, "a slot number (0 to 24)", v);
    else if (json_node_get_int (v) < 0
        || json_node_get_int (v) >= RR_LAYOUT_CUSTOM_MAX) {
      fail (error, RR_LAYOUT_ERROR_RANGE, path, "%" G_GINT64_FORMAT
          " is out of range 0 to %d", json_node_get_int (v),
          RR_LAYOUT_CUSTOM_MAX - 1);
      ok = FALSE;
    } else
      r->slot = (gint) json_node_get_int (v);
    g_free (path);
    return ok;
  }
  fail (error, RR_LAYOUT_ERROR_MISSING, rpath, "a region needs "
      "\"participant\" (an id) or \"slot\" (a number)");
  return FALSE;
}

void
rr_layout_custom_free (RrLayoutCustom * custom)
{
  guint i;

  if (custom == NULL)
    return;
  for (i = 0; i < custom->n_regions; i++)
    g_free (custom->regions[i].participant);
  g_free (custom->regions);
  g_free (custom);
}

RrLayoutCustom *
rr_layout_custom_from_node (JsonNode * node, const gchar * path,
    GError ** error)
{
  RrLayoutCustom *c;
  JsonArray *array;
  guint n, i, j;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (path == NULL)
    path = "$";
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node)) {
    if (node == NULL)
      fail (error, RR_LAYOUT_ERROR_TYPE, path, "expected an array of "
          "regions, got nothing");
    else
      type_error (error, path, "an array of regions", node);
    return NULL;
  }
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n == 0 || n > RR_LAYOUT_CUSTOM_MAX) {
    fail (error, RR_LAYOUT_ERROR_RANGE, path, "%u regions, expected 1 to %d",
        n, RR_LAYOUT_CUSTOM_MAX);
    return NULL;
  }

  c = g_new0 (RrLayoutCustom, 1);
  c->regions = g_new0 (RrLayoutRegion, n);
  for (i = 0; i < n; i++) {
    RrLayoutRegion *r = &c->regions[i];
    gchar *rpath = g_strdup_printf ("%s[%u]", path, i);
    gboolean ok;

    c->n_regions = i + 1;       /* so that free sees r */
    ok = read_region (json_array_get_element (array, i), rpath, r, error);
    for (j = 0; ok && j < i; j++) {
      const RrLayoutRegion *o = &c->regions[j];
      gchar *kpath;

      if (r->participant && o->participant
          && strcmp (r->participant, o->participant) == 0) {
        gchar *q = rr_json_quote (r->participant);

        kpath = rr_json_key_path (rpath, "participant");
        fail (error, RR_LAYOUT_ERROR_COMBINATION, kpath, "%s already has "
            "the region %s[%u]", q, path, j);
        g_free (q);
        g_free (kpath);
        ok = FALSE;
      } else if (r->slot >= 0 && r->slot == o->slot) {
        kpath = rr_json_key_path (rpath, "slot");
        fail (error, RR_LAYOUT_ERROR_COMBINATION, kpath, "slot %d already "
            "has the region %s[%u]", r->slot, path, j);
        g_free (kpath);
        ok = FALSE;
      }
    }
    g_free (rpath);
    if (!ok) {
      rr_layout_custom_free (c);
      return NULL;
    }
  }
  return c;
}

/* Nesting deeper than MAX_JSON_DEPTH is refused before json-glib (whose
 * parser recurses) sees the text. */
static gboolean
too_deep (const gchar * s, gsize len)
{
  gboolean in_string = FALSE;
  guint depth = 0;
  gsize i;

  for (i = 0; i < len; i++) {
    if (in_string) {
      if (s[i] == '\\')
        i++;
      else if (s[i] == '"')
        in_string = FALSE;
    } else if (s[i] == '"') {
      in_string = TRUE;
    } else if (s[i] == '[' || s[i] == '{') {
      if (++depth > MAX_JSON_DEPTH)
        return TRUE;
    } else if ((s[i] == ']' || s[i] == '}') && depth > 0) {
      depth--;
    }
  }
  return FALSE;
}

/* The JSON text @json parsed, or NULL with @error set: at most
 * MAX_JSON_BYTES of UTF-8 without NUL bytes, nested at most
 * MAX_JSON_DEPTH deep.  The root stays valid while the parser lives.
 * @what names the text in messages ("the layout"). */
static JsonParser *
load_json (const gchar * json, gssize length, const gchar * what,
    GError ** error)
{
  JsonParser *parser;
  GError *err = NULL;
  gsize len;

  len = length < 0 ? strlen (json) : (gsize) length;
  if (len > MAX_JSON_BYTES) {
    fail (error, RR_LAYOUT_ERROR_SYNTAX, "$", "%s has %" G_GSIZE_FORMAT
        " bytes, at most %d", what, len, MAX_JSON_BYTES);
    return NULL;
  }
  /* also refuses NUL bytes */
  if (len > 0 && !g_utf8_validate (json, len, NULL)) {
    fail (error, RR_LAYOUT_ERROR_SYNTAX, "$", "not UTF-8 text");
    return NULL;
  }
  if (too_deep (json, len)) {
    fail (error, RR_LAYOUT_ERROR_SYNTAX, "$", "nested deeper than %d",
        MAX_JSON_DEPTH);
    return NULL;
  }

  parser = json_parser_new_immutable ();
  if (len == 0 || !json_parser_load_from_data (parser, json, len, &err)) {
    gchar *msg = err ? g_utf8_make_valid (err->message, -1)
        : g_strdup ("empty text");

    fail (error, RR_LAYOUT_ERROR_SYNTAX, "$", "JSON syntax error: %s", msg);
    g_free (msg);
    g_clear_error (&err);
    g_object_unref (parser);
    return NULL;
  }
  return parser;
}

RrLayoutCustom *
rr_layout_custom_parse (const gchar * json, gssize length, GError ** error)
{
  JsonParser *parser;
  RrLayoutCustom *c;

  g_return_val_if_fail (json != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  parser = load_json (json, length, "the layout", error);
  if (parser == NULL)
    return NULL;
  c = rr_layout_custom_from_node (json_parser_get_root (parser), "$", error);
  g_object_unref (parser);
  return c;
}

/* Whether the exact end (start + size, either in pixels or fractions)
 * passes @canvas. */
static gboolean
passes (const RrLayoutLength * start, const RrLayoutLength * size, gint canvas)
{
  gint64 end = 0;               /* in 1e-8 pixels */

  end += start->fraction ? start->value * canvas
      : start->value * RR_LAYOUT_FRACTION_ONE;
  end += size->fraction ? size->value * canvas
      : size->value * RR_LAYOUT_FRACTION_ONE;
  return end > RR_LAYOUT_FRACTION_ONE * canvas;
}

gboolean
rr_layout_custom_check_canvas (const RrLayoutCustom * custom, gint width,
    gint height, const gchar * path, GError ** error)
{
  guint i;

  g_return_val_if_fail (custom != NULL, FALSE);
  if (path == NULL)
    path = "$";
  for (i = 0; i < custom->n_regions; i++) {
    const RrLayoutRegion *r = &custom->regions[i];
    gboolean h = passes (&r->x, &r->w, width);

    if (h || passes (&r->y, &r->h, height)) {
      gchar *rpath = g_strdup_printf ("%s[%u].%s", path, i, h ? "w" : "h");

      fail (error, RR_LAYOUT_ERROR_COMBINATION, rpath, "the region ends "
          "past the canvas %s (%d pixels)", h ? "width" : "height",
          h ? width : height);
      g_free (rpath);
      return FALSE;
    }
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* watermarks                                                          */

gboolean
rr_layout_watermarks_check (const RrLayoutWatermark * marks, guint n_marks,
    gint canvas_width, gint canvas_height, const gchar * path, GError ** error)
{
  guint i;

  g_return_val_if_fail (marks != NULL || n_marks == 0, FALSE);
  if (path == NULL)
    path = "$";
  if (n_marks > RR_LAYOUT_WATERMARK_MAX) {
    fail (error, RR_LAYOUT_ERROR_RANGE, path, "%u watermarks, at most %d",
        n_marks, RR_LAYOUT_WATERMARK_MAX);
    return FALSE;
  }
  for (i = 0; i < n_marks; i++) {
    const RrLayoutWatermark *m = &marks[i];
    const gchar *key = NULL, *msg = NULL;
    gchar *kpath;

    if (m->image == NULL || *m->image == '\0') {
      key = "image";
      msg = "required, a file or URL";
    } else if (m->top < 0 || m->top >= canvas_height) {
      key = "top";
      msg = "is not on the canvas";
    } else if (m->left < 0 || m->left >= canvas_width) {
      key = "left";
      msg = "is not on the canvas";
    } else if (m->width < 1 || m->width > canvas_width - m->left) {
      key = "width";
      msg = "the watermark does not fit on the canvas";
    } else if (m->height < 1 || m->height > canvas_height - m->top) {
      key = "height";
      msg = "the watermark does not fit on the canvas";
    }
    if (key == NULL)
      continue;
    kpath = g_strdup_printf ("%s[%u].%s", path, i, key);
    if (m->image == NULL || *m->image == '\0')
      fail (error, RR_LAYOUT_ERROR_MISSING, kpath, "%s", msg);
    else
      fail (error, RR_LAYOUT_ERROR_RANGE, kpath, "%s (top %d, left %d, "
          "%dx%d on a %dx%d canvas)", msg, m->top, m->left, m->width,
          m->height, canvas_width, canvas_height);
    g_free (kpath);
    return FALSE;
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* watermarks: parsing                                                 */

#define MAX_IMAGE_BYTES 4096

static const gchar *const watermark_keys[] = {
  "image", "top", "left", "width", "height", NULL
};

/* A required whole number from @min to @max into @out. */
static gboolean
read_pixels (JsonObject * obj, const gchar * opath, const gchar * key,
    gint min, gint max, gint * out, GError ** error)
{
  JsonNode *node = json_object_get_member (obj, key);
  gchar *path = rr_json_key_path (opath, key);
  gboolean ok = FALSE;

  if (node == NULL) {
    fail (error, RR_LAYOUT_ERROR_MISSING, path, "required key is missing");
  } else if (!node_is (node, G_TYPE_INT64)) {
    type_error (error, path, "whole pixels (a number like 10)", node);
  } else if (json_node_get_int (node) < min || json_node_get_int (node) > max) {
    fail (error, RR_LAYOUT_ERROR_RANGE, path, "%" G_GINT64_FORMAT
        " is out of range %d to %d pixels", json_node_get_int (node), min, max);
  } else {
    *out = (gint) json_node_get_int (node);
    ok = TRUE;
  }
  g_free (path);
  return ok;
}

static gboolean
read_watermark (JsonNode * node, const gchar * wpath, RrLayoutWatermark * m,
    GError ** error)
{
  JsonObject *obj;
  JsonNode *v;
  gchar *path;
  gboolean ok = TRUE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return type_error (error, wpath, "a watermark object", node);
  obj = json_node_get_object (node);

  if (!check_known_keys (obj, wpath, watermark_keys, error))
    return FALSE;

  path = rr_json_key_path (wpath, "image");
  v = json_object_get_member (obj, "image");
  if (v == NULL) {
    fail (error, RR_LAYOUT_ERROR_MISSING, path, "required key is missing");
    ok = FALSE;
  } else if (!node_is (v, G_TYPE_STRING)) {
    ok = type_error (error, path, "an image file or URL (a string)", v);
  } else {
    const gchar *image = json_node_get_string (v);

    if (*image == '\0' || strlen (image) > MAX_IMAGE_BYTES
        || !g_utf8_validate (image, -1, NULL)) {
      fail (error, RR_LAYOUT_ERROR_RANGE, path, "an image is a file or URL "
          "of 1 to %d bytes of UTF-8 text", MAX_IMAGE_BYTES);
      ok = FALSE;
    } else {
      m->image = g_strdup (image);
    }
  }
  g_free (path);
  return ok
      && read_pixels (obj, wpath, "top", 0, RR_LAYOUT_CANVAS_MAX, &m->top,
      error)
      && read_pixels (obj, wpath, "left", 0, RR_LAYOUT_CANVAS_MAX, &m->left,
      error)
      && read_pixels (obj, wpath, "width", 1, RR_LAYOUT_CANVAS_MAX, &m->width,
      error)
      && read_pixels (obj, wpath, "height", 1, RR_LAYOUT_CANVAS_MAX,
      &m->height, error);
}

void
rr_layout_watermarks_free (RrLayoutWatermarks * marks)
{
  guint i;

  if (marks == NULL)
    return;
  for (i = 0; i < marks->n_marks; i++)
    g_free ((gchar *) marks->marks[i].image);
  g_free (marks->marks);
  g_free (marks);
}

RrLayoutWatermarks *
rr_layout_watermarks_from_node (JsonNode * node, const gchar * path,
    GError ** error)
{
  RrLayoutWatermarks *w;
  JsonArray *array;
  guint n, i;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (path == NULL)
    path = "$";
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node)) {
    if (node == NULL)
      fail (error, RR_LAYOUT_ERROR_TYPE, path, "expected an array of "
          "watermarks, got nothing");
    else
      type_error (error, path, "an array of watermarks", node);
    return NULL;
  }
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n > RR_LAYOUT_WATERMARK_MAX) {
    fail (error, RR_LAYOUT_ERROR_RANGE, path, "%u watermarks, at most %d", n,
        RR_LAYOUT_WATERMARK_MAX);
    return NULL;
  }

  w = g_new0 (RrLayoutWatermarks, 1);
  w->marks = g_new0 (RrLayoutWatermark, MAX (n, 1));
  for (i = 0; i < n; i++) {
    gchar *wpath = rr_json_index_path (path, i);
    gboolean ok;

    w->n_marks = i + 1;         /* so that free sees its image */
    ok = read_watermark (json_array_get_element (array, i), wpath,
        &w->marks[i], error);
    g_free (wpath);
    if (!ok) {
      rr_layout_watermarks_free (w);
      return NULL;
    }
  }
  return w;
}

RrLayoutWatermarks *
rr_layout_watermarks_parse (const gchar * json, gssize length, GError ** error)
{
  JsonParser *parser;
  RrLayoutWatermarks *w;

  g_return_val_if_fail (json != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  parser = load_json (json, length, "the watermark list", error);
  if (parser == NULL)
    return NULL;
  w = rr_layout_watermarks_from_node (json_parser_get_root (parser), "$",
      error);
  g_object_unref (parser);
  return w;
}
