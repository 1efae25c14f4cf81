/* Unit tests for the mixed-recording layouts (gst/core/layout.c).
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The expected rectangles are computed here from the seed's numbers
 * (seeds/001_*.txt, lines 103-150) in floating point, independently of the
 * integer arithmetic of layout.c, then rounded by the rule of layout.h
 * (position: nearest even pixel, halves up; size: down to even).  A few
 * tables of literal pixels anchor both.
 */
#include "layout.h"

#include <string.h>

#define MAX_TEST_PARTICIPANTS 30

static gchar *ids[MAX_TEST_PARTICIPANTS];

static const struct
{
  gint w, h;
} canvases[] = {
  {1280, 720},
  {1920, 1080},
};

/* ------------------------------------------------------------------ */
/* helpers                                                             */

/* v >= 0; the 1e-9 absorbs the binary error of products like
 * 0.012 * 1280 (the exact values are multiples of 1/1000 of a pixel at
 * worst, so it cannot push a value over an integer) */
static gint
d_round_even (gdouble v)
{
  return 2 * (gint) (v / 2 + 0.5 + 1e-9);
}

static gint
d_floor_even (gdouble v)
{
  return 2 * (gint) (v / 2 + 1e-9);
}

/* fractions of a w x h canvas */
static RrLayoutRect
expect_rect (gint w, gint h, gdouble fx, gdouble fy, gdouble fw, gdouble fh)
{
  RrLayoutRect r;

  r.x = d_round_even (fx * w);
  r.y = d_round_even (fy * h);
  r.w = d_floor_even (fw * w);
  r.h = d_floor_even (fh * h);
  return r;
}

static void
assert_rect (const RrLayoutRect * got, const RrLayoutRect * want,
    const gchar * what)
{
  if (got->x != want->x || got->y != want->y || got->w != want->w
      || got->h != want->h) {
    gchar *msg = g_strdup_printf ("%s: got (%d, %d, %dx%d), expected "
        "(%d, %d, %dx%d)", what, got->x, got->y, got->w, got->h, want->x,
        want->y, want->w, want->h);

    g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, msg);
    g_free (msg);
  }
}

static RrLayout *
compute (RrLayoutMode mode, gint w, gint h, guint n, const gchar * main_id)
{
  RrLayoutParams p = { 0 };
  GError *err = NULL;
  RrLayout *l;

  p.mode = mode;
  p.canvas_width = w;
  p.canvas_height = h;
  p.participants = (const gchar * const *) ids;
  p.n_participants = n;
  p.main_participant = main_id;
  l = rr_layout_compute (&p, &err);
  g_assert_no_error (err);
  g_assert_nonnull (l);
  g_assert_cmpuint (l->n_tiles, ==, n);
  return l;
}

static gboolean
overlap (const RrLayoutRect * a, const RrLayoutRect * b)
{
  return a->x < b->x + b->w && b->x < a->x + a->w
      && a->y < b->y + b->h && b->y < a->y + a->h;
}

/* Every rectangle inside the (even part of the) canvas, even, non-empty;
 * tiles listed in the order given; the participants with a tile are the
 * first max ones, the main one first. */
static void
check_common (const RrLayout * l, gint w, gint h, guint n)
{
  guint i;

  for (i = 0; i < n; i++) {
    const RrLayoutTile *t = &l->tiles[i];

    g_assert_cmpstr (t->participant, ==, ids[i]);
    if (!t->has_tile) {
      g_assert_cmpint (t->rect.w, ==, 0);
      g_assert_cmpint (t->rect.h, ==, 0);
      continue;
    }
    g_assert_cmpint (t->rect.x, >=, 0);
    g_assert_cmpint (t->rect.y, >=, 0);
    g_assert_cmpint (t->rect.w, >, 0);
    g_assert_cmpint (t->rect.h, >, 0);
    g_assert_cmpint (t->rect.x + t->rect.w, <=, w & ~1);
    g_assert_cmpint (t->rect.y + t->rect.h, <=, h & ~1);
    g_assert_cmpint (t->rect.x % 2, ==, 0);
    g_assert_cmpint (t->rect.y % 2, ==, 0);
    g_assert_cmpint (t->rect.w % 2, ==, 0);
    g_assert_cmpint (t->rect.h % 2, ==, 0);
  }
}

static guint
count_tiles (const RrLayout * l)
{
  guint i, n = 0;

  for (i = 0; i < l->n_tiles; i++)
    n += l->tiles[i].has_tile;
  return n;
}

static void
check_no_overlap (const RrLayout * l, gboolean skip_main)
{
  guint i, j;

  for (i = 0; i < l->n_tiles; i++)
    for (j = i + 1; j < l->n_tiles; j++) {
      const RrLayoutTile *a = &l->tiles[i], *b = &l->tiles[j];

      if (!a->has_tile || !b->has_tile
          || (skip_main && (a->is_main || b->is_main)))
        continue;
      if (overlap (&a->rect, &b->rect))
        g_error ("%s and %s overlap", a->participant, b->participant);
    }
}

/* ------------------------------------------------------------------ */
/* grid: seed lines 105-119                                            */

/* tiles -> columns x rows (the tile size is 1/cols x 1/rows) */
static const struct
{
  guint max_tiles, cols, rows;
} grid_table[] = {
  {1, 1, 1},                    /* line 107-108: the whole canvas */
  {2, 2, 1},                    /* 109-111: half the width, all the height */
  {4, 2, 2},                    /* 112-113 */
  {9, 3, 3},                    /* 114-115 */
  {16, 4, 4},                   /* 116-117 */
  {25, 5, 5},                   /* 118-119 */
};

static void
test_grid_table (void)
{
  guint c, n, i, k;

  for (c = 0; c < G_N_ELEMENTS (canvases); c++)
    for (n = 1; n <= RR_LAYOUT_GRID_MAX + 3; n++) {
      gint w = canvases[c].w, h = canvases[c].h;
      RrLayout *l = compute (RR_LAYOUT_GRID, w, h, n, NULL);
      guint shown = MIN (n, RR_LAYOUT_GRID_MAX);

      for (k = 0; grid_table[k].max_tiles < shown; k++);
      check_common (l, w, h, n);
      check_no_overlap (l, FALSE);
      g_assert_cmpuint (count_tiles (l), ==, shown);
      g_assert_cmpuint (l->n_screens, ==, shown);
      for (i = 0; i < n; i++) {
        const RrLayoutTile *t = &l->tiles[i];
        guint cols = grid_table[k].cols, rows = grid_table[k].rows;
        gchar *what = g_strdup_printf ("grid %dx%d, %u tiles, tile %u", w, h,
            n, i);

        if (i >= RR_LAYOUT_GRID_MAX) {
          g_assert_false (t->has_tile);
        } else {
          /* row by row from the top-left, in join order */
          RrLayoutRect want = expect_rect (w, h, (gdouble) (i % cols) / cols,
              (gdouble) (i / cols) / rows, 1.0 / cols, 1.0 / rows);

          g_assert_true (t->has_tile);
          assert_rect (&t->rect, &want, what);
          g_assert_cmpuint (t->z, ==, 0);
          g_assert_cmpint (t->region, ==, -1);
          g_assert_false (t->is_main);
        }
        g_free (what);
      }
      rr_layout_free (l);
    }
}

/* literal pixels */
static const struct
{
  gint w, h;
  guint n, tile;
  RrLayoutRect r;
} grid_pixels[] = {
  {1280, 720, 1, 0, {0, 0, 1280, 720}},
  {1280, 720, 2, 1, {640, 0, 640, 720}},
  {1280, 720, 3, 2, {0, 360, 640, 360}},
  {1280, 720, 5, 1, {426, 0, 426, 240}},
  {1280, 720, 5, 2, {854, 0, 426, 240}},
  {1280, 720, 9, 8, {854, 480, 426, 240}},
  {1280, 720, 10, 9, {320, 360, 320, 180}},
  {1280, 720, 17, 16, {256, 432, 256, 144}},
  {1280, 720, 25, 24, {1024, 576, 256, 144}},
  {1920, 1080, 4, 3, {960, 540, 960, 540}},
  {1920, 1080, 7, 6, {0, 720, 640, 360}},
  {1920, 1080, 16, 15, {1440, 810, 480, 270}},
  {1920, 1080, 25, 12, {768, 432, 384, 216}},
};

static void
test_grid_pixels (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (grid_pixels); i++) {
    RrLayout *l = compute (RR_LAYOUT_GRID, grid_pixels[i].w, grid_pixels[i].h,
        grid_pixels[i].n, NULL);

    assert_rect (&l->tiles[grid_pixels[i].tile].rect, &grid_pixels[i].r,
        "grid pixels");
    rr_layout_free (l);
  }
}

/* ------------------------------------------------------------------ */
/* floating: seed lines 122-130                                        */

static const struct
{
  guint max_screens;
  gdouble size, gap, margin;
  guint per_row;
} floating_table[] = {
  {17, 0.235, 0.012, 0.012, 4}, /* lines 122-126 */
  {25, 0.188, 0.01, 0.01, 5},   /* lines 122, 127-130 */
};

/* small tile j (0 = first after the main one) of a floating layout */
static RrLayoutRect
floating_expect (gint w, gint h, guint screens, guint j)
{
  guint k = screens <= 17 ? 0 : 1;
  gdouble s = floating_table[k].size, g = floating_table[k].gap,
      m = floating_table[k].margin;
  guint per_row = floating_table[k].per_row;
  guint col = j % per_row, row = j / per_row;

  /* from the bottom-left, left to right, then the row above */
  return expect_rect (w, h, m + col * (s + g), 1.0 - m - s - row * (s + g),
      s, s);
}

static void
test_floating_table (void)
{
  guint c, n, i;

  for (c = 0; c < G_N_ELEMENTS (canvases); c++)
    for (n = 1; n <= RR_LAYOUT_FLOATING_MAX + 3; n++) {
      gint w = canvases[c].w, h = canvases[c].h;
      RrLayout *l = compute (RR_LAYOUT_FLOATING, w, h, n, NULL);
      guint screens = MIN (n, RR_LAYOUT_FLOATING_MAX);
      RrLayoutRect full = { 0, 0, w, h };

      check_common (l, w, h, n);
      check_no_overlap (l, TRUE);
      g_assert_cmpuint (count_tiles (l), ==, screens);
      g_assert_cmpuint (l->n_screens, ==, screens);
      /* the first to join fills the canvas, below the others */
      g_assert_true (l->tiles[0].is_main);
      assert_rect (&l->tiles[0].rect, &full, "floating main");
      g_assert_cmpuint (l->tiles[0].z, ==, 0);
      for (i = 1; i < n; i++) {
        const RrLayoutTile *t = &l->tiles[i];
        gchar *what = g_strdup_printf ("floating %dx%d, %u screens, tile %u",
            w, h, n, i);

        g_assert_false (t->is_main);
        if (i >= RR_LAYOUT_FLOATING_MAX) {
          g_assert_false (t->has_tile);
        } else {
          RrLayoutRect want = floating_expect (w, h, screens, i - 1);

          g_assert_true (t->has_tile);
          assert_rect (&t->rect, &want, what);
          g_assert_cmpuint (t->z, >, l->tiles[0].z);
        }
        g_free (what);
      }
      rr_layout_free (l);
    }
}

static const struct
{
  gint w, h;
  guint n, tile;
  RrLayoutRect r;
} floating_pixels[] = {
  /* 0.235 x 1280 = 300.8, 0.012 x 1280 = 15.36, 0.753 x 720 = 542.16 */
  {1280, 720, 2, 1, {16, 542, 300, 168}},
  {1280, 720, 5, 4, {964, 542, 300, 168}},
  {1280, 720, 6, 5, {16, 364, 300, 168}},
  {1280, 720, 17, 16, {964, 8, 300, 168}},
  /* 0.188 x 1280 = 240.64, 0.01 x 1280 = 12.8, 0.802 x 720 = 577.44 */
  {1280, 720, 18, 1, {12, 578, 240, 134}},
  {1280, 720, 25, 24, {774, 8, 240, 134}},
  {1920, 1080, 2, 1, {24, 814, 450, 252}},
  {1920, 1080, 17, 16, {1446, 12, 450, 252}},
  {1920, 1080, 25, 24, {1160, 10, 360, 202}},
};

static void
test_floating_pixels (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (floating_pixels); i++) {
    RrLayout *l = compute (RR_LAYOUT_FLOATING, floating_pixels[i].w,
        floating_pixels[i].h, floating_pixels[i].n, NULL);

    assert_rect (&l->tiles[floating_pixels[i].tile].rect,
        &floating_pixels[i].r, "floating pixels");
    rr_layout_free (l);
  }
}

static void
test_floating_main (void)
{
  guint c, n, k, i;

  for (c = 0; c < G_N_ELEMENTS (canvases); c++)
    for (n = 1; n <= MAX_TEST_PARTICIPANTS; n++)
      for (k = 0; k < n; k++) {
        gint w = canvases[c].w, h = canvases[c].h;
        RrLayout *l = compute (RR_LAYOUT_FLOATING, w, h, n, ids[k]);
        guint screens = MIN (n, RR_LAYOUT_FLOATING_MAX), j = 0;
        RrLayoutRect full = { 0, 0, w, h };

        check_common (l, w, h, n);
        g_assert_cmpuint (count_tiles (l), ==, screens);
        /* the chosen one fills the canvas even when it joined late */
        g_assert_true (l->tiles[k].is_main);
        g_assert_true (l->tiles[k].has_tile);
        assert_rect (&l->tiles[k].rect, &full, "chosen main");
        /* the others keep their join order around it */
        for (i = 0; i < n; i++) {
          if (i == k)
            continue;
          g_assert_false (l->tiles[i].is_main);
          if (j + 1 < screens) {
            RrLayoutRect want = floating_expect (w, h, screens, j);

            g_assert_true (l->tiles[i].has_tile);
            assert_rect (&l->tiles[i].rect, &want, "floating around main");
          } else {
            g_assert_false (l->tiles[i].has_tile);
          }
          j++;
        }
        rr_layout_free (l);
      }

  /* a chosen participant not in the room: the first to join */
  {
    RrLayout *l = compute (RR_LAYOUT_FLOATING, 1280, 720, 3, "nobody");

    g_assert_true (l->tiles[0].is_main);
    g_assert_false (l->tiles[1].is_main);
    rr_layout_free (l);
  }
}

/* ------------------------------------------------------------------ */
/* screen-share: seed lines 133-148                                    */

static const struct
{
  guint max_screens;
  gdouble small_w, small_h, big_w, big_h;
} share_table[] = {
  {5, 1.0 / 5, 1.0 / 4, 4.0 / 5, 1.0},  /* lines 134-136 */
  {7, 1.0 / 7, 1.0 / 6, 6.0 / 7, 1.0},  /* 137-139 */
  {9, 1.0 / 9, 1.0 / 8, 8.0 / 9, 1.0},  /* 140-142 */
  {17, 1.0 / 10, 1.0 / 8, 4.0 / 5, 1.0},        /* 143-145 */
  {24, 1.0 / 10, 1.0 / 8, 4.0 / 5, 7.0 / 8},    /* 146-148 */
};

/* small tile j (0 = first small one in join order) */
static RrLayoutRect
share_expect (gint w, gint h, guint screens, guint j)
{
  guint k, per_col;
  gdouble sw, sh, bw, bh;

  for (k = 0; share_table[k].max_screens < screens; k++);
  sw = share_table[k].small_w;
  sh = share_table[k].small_h;
  bw = share_table[k].big_w;
  bh = share_table[k].big_h;
  per_col = (guint) (1.0 / sh + 0.5);   /* as many as fit: 4, 6, 8, 8, 8 */
  if (screens <= 17 || j < 16)
    /* right of the big tile, top to bottom, the inner column first */
    return expect_rect (w, h, bw + (j / per_col) * sw, (j % per_col) * sh,
        sw, sh);
  /* the 17th small one on: a row under the big tile, from the left */
  return expect_rect (w, h, (j - 16) * sw, bh, sw, sh);
}

static RrLayoutRect
share_big (gint w, gint h, guint screens)
{
  guint k;

  for (k = 0; share_table[k].max_screens < screens; k++);
  return expect_rect (w, h, 0, 0, share_table[k].big_w, share_table[k].big_h);
}

static void
test_share_table (void)
{
  guint c, n, i;
  gint with_main;

  for (c = 0; c < G_N_ELEMENTS (canvases); c++)
    for (with_main = 0; with_main <= 1; with_main++)
      for (n = 1; n <= RR_LAYOUT_SCREEN_SHARE_MAX + 3; n++) {
        gint w = canvases[c].w, h = canvases[c].h;
        /* the big one: the first to join, or nobody (background) */
        RrLayout *l = compute (RR_LAYOUT_SCREEN_SHARE, w, h, n,
            with_main ? ids[0] : NULL);
        guint n_small = n - with_main;
        guint screens = 1 + MIN (n_small, RR_LAYOUT_SCREEN_SHARE_MAX - 1);
        RrLayoutRect big = share_big (w, h, screens);

        check_common (l, w, h, n);
        check_no_overlap (l, FALSE);
        g_assert_cmpuint (l->n_screens, ==, screens);
        g_assert_cmpuint (count_tiles (l), ==, screens - 1 + with_main);
        assert_rect (&l->big_rect, &big, "share big slot");
        g_assert_cmpint (l->big_is_background, ==, !with_main);
        for (i = 0; i < n; i++) {
          const RrLayoutTile *t = &l->tiles[i];
          guint j = i - with_main;
          gchar *what = g_strdup_printf ("screen-share %dx%d, %u "
              "participants, main %d, tile %u", w, h, n, with_main, i);

          if (with_main && i == 0) {
            g_assert_true (t->is_main);
            assert_rect (&t->rect, &big, what);
          } else if (j + 1 >= screens) {
            g_assert_false (t->has_tile);
          } else {
            RrLayoutRect want = share_expect (w, h, screens, j);

            g_assert_false (t->is_main);
            g_assert_true (t->has_tile);
            assert_rect (&t->rect, &want, what);
            /* never in the big slot, even when it is background */
            g_assert_false (overlap (&t->rect, &l->big_rect));
          }
          g_free (what);
        }
        rr_layout_free (l);
      }
}

static const struct
{
  gint w, h;
  guint n;
  gboolean with_main;
  guint tile;
  RrLayoutRect r;
} share_pixels[] = {
  {1280, 720, 1, TRUE, 0, {0, 0, 1024, 720}},
  {1280, 720, 5, TRUE, 4, {1024, 540, 256, 180}},
  {1280, 720, 4, FALSE, 3, {1024, 540, 256, 180}},
  /* 6/7 x 1280 = 1097.14, 1280 / 7 = 182.86 */
  {1280, 720, 7, TRUE, 0, {0, 0, 1096, 720}},
  {1280, 720, 7, TRUE, 6, {1098, 600, 182, 120}},
  /* 8/9 x 1280 = 1137.78, 1280 / 9 = 142.2 */
  {1280, 720, 9, TRUE, 8, {1138, 630, 142, 90}},
  {1280, 720, 10, TRUE, 9, {1152, 0, 128, 90}},
  {1280, 720, 17, TRUE, 16, {1152, 630, 128, 90}},
  {1280, 720, 18, TRUE, 0, {0, 0, 1024, 630}},
  {1280, 720, 18, TRUE, 17, {0, 630, 128, 90}},
  {1280, 720, 24, TRUE, 23, {768, 630, 128, 90}},
  {1280, 720, 23, FALSE, 22, {768, 630, 128, 90}},
  /* 1080 / 8 = 135: heights 134, every other position rounded up */
  {1920, 1080, 9, TRUE, 1, {1706, 0, 212, 134}},
  {1920, 1080, 17, TRUE, 12, {1728, 406, 192, 134}},
  {1920, 1080, 24, TRUE, 0, {0, 0, 1536, 944}},
  {1920, 1080, 24, TRUE, 17, {0, 946, 192, 134}},
};

static void
test_share_pixels (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (share_pixels); i++) {
    RrLayout *l = compute (RR_LAYOUT_SCREEN_SHARE, share_pixels[i].w,
        share_pixels[i].h, share_pixels[i].n,
        share_pixels[i].with_main ? ids[0] : NULL);
    gchar *what = g_strdup_printf ("share pixels row %u", i);

    assert_rect (&l->tiles[share_pixels[i].tile].rect, &share_pixels[i].r,
        what);
    g_free (what);
    rr_layout_free (l);
  }
}

static void
test_share_main (void)
{
  RrLayout *l;
  guint i;

  /* the big one joined last, past the maximum: it still is the big one,
   * and the first 23 others get the small tiles */
  l = compute (RR_LAYOUT_SCREEN_SHARE, 1920, 1080, 30, ids[29]);
  g_assert_true (l->tiles[29].is_main);
  g_assert_true (l->tiles[29].has_tile);
  g_assert_false (l->big_is_background);
  for (i = 0; i < 29; i++)
    g_assert_cmpint (l->tiles[i].has_tile, ==, i < 23);
  g_assert_cmpuint (l->n_screens, ==, 24);
  rr_layout_free (l);

  /* chosen but absent: background */
  l = compute (RR_LAYOUT_SCREEN_SHARE, 1280, 720, 2, "nobody");
  g_assert_true (l->big_is_background);
  g_assert_false (l->tiles[0].is_main);
  g_assert_cmpint (l->tiles[0].rect.x, ==, 1024);
  rr_layout_free (l);

  /* nobody at all */
  l = compute (RR_LAYOUT_SCREEN_SHARE, 1280, 720, 0, NULL);
  g_assert_cmpuint (l->n_tiles, ==, 0);
  g_assert_true (l->big_is_background);
  rr_layout_free (l);
}

/* ------------------------------------------------------------------ */
/* invariants over odd and small canvases                              */

static void
test_invariants (void)
{
  static const struct
  {
    gint w, h;
  } odd[] = {
    {1279, 719}, {16, 16}, {17, 33}, {640, 360}, {1080, 1920}, {16384, 16384},
    {101, 4001},
  };
  RrLayoutMode mode;
  guint c, n;

  for (mode = RR_LAYOUT_GRID; mode <= RR_LAYOUT_SCREEN_SHARE; mode++)
    for (c = 0; c < G_N_ELEMENTS (odd); c++)
      for (n = 0; n <= MAX_TEST_PARTICIPANTS; n++) {
        gint w = odd[c].w, h = odd[c].h;
        RrLayoutParams p = { 0 };
        RrLayout *l;
        guint i;

        p.mode = mode;
        p.canvas_width = w;
        p.canvas_height = h;
        p.participants = (const gchar * const *) ids;
        p.n_participants = n;
        l = rr_layout_compute (&p, NULL);
        g_assert_nonnull (l);
        g_assert_cmpint (l->canvas_width, ==, w);
        for (i = 0; i < n; i++) {
          const RrLayoutTile *t = &l->tiles[i];

          g_assert_cmpstr (t->participant, ==, ids[i]);
          g_assert_true (rr_layout_find (l, ids[i]) == t);
          if (!t->has_tile)
            continue;
          g_assert_cmpint (t->rect.x, >=, 0);
          g_assert_cmpint (t->rect.y, >=, 0);
          g_assert_cmpint (t->rect.x + t->rect.w, <=, w & ~1);
          g_assert_cmpint (t->rect.y + t->rect.h, <=, h & ~1);
          g_assert_cmpint ((t->rect.x | t->rect.y | t->rect.w | t->rect.h)
              % 2, ==, 0);
        }
        g_assert_null (rr_layout_find (l, "nobody"));
        if (mode != RR_LAYOUT_FLOATING)
          check_no_overlap (l, FALSE);
        else
          check_no_overlap (l, TRUE);
        rr_layout_free (l);
      }
}

static void
test_bad_params (void)
{
  static const gchar *dup[] = { "a", "b", "a" };
  static const gchar *empty[] = { "a", "" };
  RrLayoutParams p = { 0 };
  GError *err = NULL;

  p.mode = RR_LAYOUT_GRID;
  p.canvas_width = 15;
  p.canvas_height = 720;
  g_assert_null (rr_layout_compute (&p, &err));
  g_assert_error (err, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_INVALID);
  g_clear_error (&err);
  p.canvas_width = 16385;
  g_assert_null (rr_layout_compute (&p, &err));
  g_assert_error (err, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_INVALID);
  g_clear_error (&err);

  p.canvas_width = 1280;
  p.participants = dup;
  p.n_participants = 3;
  g_assert_null (rr_layout_compute (&p, &err));
  g_assert_error (err, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_INVALID);
  g_clear_error (&err);
  p.participants = empty;
  p.n_participants = 2;
  g_assert_null (rr_layout_compute (&p, &err));
  g_assert_error (err, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_INVALID);
  g_clear_error (&err);

  p.participants = dup;
  p.n_participants = 2;
  p.mode = RR_LAYOUT_CUSTOM;
  g_assert_null (rr_layout_compute (&p, &err));
  g_assert_error (err, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_INVALID);
  g_clear_error (&err);
}

static void
test_mode_names (void)
{
  RrLayoutMode m;

  for (m = RR_LAYOUT_GRID; m <= RR_LAYOUT_CUSTOM; m++) {
    RrLayoutMode back = 99;

    g_assert_true (rr_layout_mode_from_string (rr_layout_mode_to_string (m),
            &back));
    g_assert_cmpint (back, ==, m);
  }
  g_assert_cmpstr (rr_layout_mode_to_string (RR_LAYOUT_SCREEN_SHARE), ==,
      "screen-share");
  g_assert_false (rr_layout_mode_from_string ("Grid", &m));
  g_assert_false (rr_layout_mode_from_string (NULL, &m));
}

/* ------------------------------------------------------------------ */
/* custom                                                              */

static RrLayoutCustom *
parse_ok (const gchar * json)
{
  GError *err = NULL;
  RrLayoutCustom *c = rr_layout_custom_parse (json, -1, &err);

  g_assert_no_error (err);
  g_assert_nonnull (c);
  return c;
}

static RrLayout *
compute_custom (const RrLayoutCustom * c, gint w, gint h, guint n)
{
  RrLayoutParams p = { 0 };
  GError *err = NULL;
  RrLayout *l;

  p.mode = RR_LAYOUT_CUSTOM;
  p.canvas_width = w;
  p.canvas_height = h;
  p.participants = (const gchar * const *) ids;
  p.n_participants = n;
  p.custom = c;
  l = rr_layout_compute (&p, &err);
  g_assert_no_error (err);
  return l;
}

static void
test_custom_compute (void)
{
  RrLayoutCustom *c;
  RrLayout *l;
  RrLayoutRect r;

  c = parse_ok ("[{\"x\": 0, \"y\": 0, \"w\": \"50%\", \"h\": \"100%\", "
      "\"participant\": \"p02\", \"z\": 2},"
      " {\"x\": \"50%\", \"y\": 0, \"w\": 641, \"h\": 361, \"slot\": 0,"
      "  \"fit\": \"letterbox\"},"
      " {\"x\": \"50%\", \"y\": \"50%\", \"w\": \"33.333333%\","
      "  \"h\": \"50%\", \"slot\": 1, \"fit\": \"crop\"},"
      " {\"x\": 1279, \"y\": 0, \"w\": 100, \"h\": 100, \"slot\": 2},"
      " {\"x\": 1, \"y\": 3, \"w\": 2000, \"h\": 2000, \"slot\": 3},"
      " {\"x\": 0, \"y\": 0, \"w\": 10, \"h\": 10,"
      "  \"participant\": \"absent\"}]");
  g_assert_cmpuint (c->n_regions, ==, 6);
  g_assert_true (c->regions[0].w.fraction);
  g_assert_cmpint (c->regions[0].w.value, ==, RR_LAYOUT_FRACTION_ONE / 2);
  g_assert_false (c->regions[1].w.fraction);
  g_assert_cmpint (c->regions[1].w.value, ==, 641);
  g_assert_cmpint (c->regions[2].w.value, ==, 33333333);
  g_assert_cmpint (c->regions[1].fit, ==, RR_LAYOUT_FIT_LETTERBOX);
  g_assert_cmpint (c->regions[0].slot, ==, -1);
  g_assert_cmpint (c->regions[1].slot, ==, 0);

  l = compute_custom (c, 1280, 720, 6);
  /* named */
  r = (RrLayoutRect) {
  0, 0, 640, 720};
  assert_rect (&l->tiles[2].rect, &r, "custom named");
  g_assert_cmpuint (l->tiles[2].z, ==, 2);
  g_assert_cmpint (l->tiles[2].region, ==, 0);
  /* slot 0 = p00 (the first not named); odd pixels: size down to even */
  r = (RrLayoutRect) {
  640, 0, 640, 360};
  assert_rect (&l->tiles[0].rect, &r, "custom slot 0");
  g_assert_cmpint (l->tiles[0].fit, ==, RR_LAYOUT_FIT_LETTERBOX);
  g_assert_cmpint (l->tiles[0].region, ==, 1);
  /* slot 1 = p01: 33.333333% of 1280 = 426.67 -> 426 */
  r = (RrLayoutRect) {
  640, 360, 426, 360};
  assert_rect (&l->tiles[1].rect, &r, "custom slot 1");
  /* slot 2 = p03 at x 1279 -> 1280: off the canvas, no tile */
  g_assert_false (l->tiles[3].has_tile);
  /* slot 3 = p04, cut at the canvas; x 1 -> 2 (halves up), y 3 -> 4 */
  r = (RrLayoutRect) {
  2, 4, 1278, 716};
  assert_rect (&l->tiles[4].rect, &r, "custom slot 3");
  /* p05: slot 4 does not exist */
  g_assert_false (l->tiles[5].has_tile);
  g_assert_cmpuint (l->n_screens, ==, 4);
  rr_layout_free (l);

  /* fewer participants than slots; the named one absent */
  l = compute_custom (c, 1920, 1080, 1);
  r = (RrLayoutRect) {
  960, 0, 640, 360};
  assert_rect (&l->tiles[0].rect, &r, "custom slot 0, one participant");
  rr_layout_free (l);

  g_assert_false (rr_layout_custom_check_canvas (c, 1280, 720, NULL, NULL));
  rr_layout_custom_free (c);

  c = parse_ok ("[{\"x\": 640, \"y\": \"50%\", \"w\": \"50%\", \"h\": 360,"
      " \"slot\": 0}]");
  g_assert_true (rr_layout_custom_check_canvas (c, 1280, 720, NULL, NULL));
  {
    GError *err = NULL;

    g_assert_false (rr_layout_custom_check_canvas (c, 1278, 720,
            "$.layout", &err));
    g_assert_error (err, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_COMBINATION);
    g_assert_true (g_str_has_prefix (err->message, "$.layout[0].w: "));
    g_clear_error (&err);
    g_assert_false (rr_layout_custom_check_canvas (c, 1280, 718, NULL, &err));
    g_assert_true (g_str_has_prefix (err->message, "$[0].h: "));
    g_clear_error (&err);
  }
  rr_layout_custom_free (c);
}

static const struct
{
  const gchar *json;
  RrLayoutError code;
  const gchar *prefix;
} custom_errors[] = {
  {"", RR_LAYOUT_ERROR_SYNTAX, "$: JSON syntax error"},
  {"[{\"x\": 0,}", RR_LAYOUT_ERROR_SYNTAX, "$: JSON syntax error"},
  {"[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]", RR_LAYOUT_ERROR_SYNTAX,
      "$: nested deeper"},
  {"[\"\xff\"]", RR_LAYOUT_ERROR_SYNTAX, "$: not UTF-8"},
  {"{}", RR_LAYOUT_ERROR_TYPE, "$: expected an array of regions, got an "
        "object"},
  {"[]", RR_LAYOUT_ERROR_RANGE, "$: 0 regions"},
  {"[1]", RR_LAYOUT_ERROR_TYPE, "$[0]: expected a region object, got 1"},
  {"[{\"y\": 0, \"w\": 2, \"h\": 2, \"slot\": 0}]", RR_LAYOUT_ERROR_MISSING,
      "$[0].x: required key is missing"},
  {"[{\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, \"slot\": 0, \"W\": 1}]",
      RR_LAYOUT_ERROR_UNKNOWN_KEY, "$[0].W: unknown key"},
  {"[{\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, \"slot\": 0, \"a b\": 1}]",
      RR_LAYOUT_ERROR_UNKNOWN_KEY, "$[0][\"a b\"]: unknown key"},
  {"[{\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, \"slot\": 0},"
        " {\"x\": 0, \"y\": 0, \"w\": 0.5, \"h\": 2, \"slot\": 1}]",
      RR_LAYOUT_ERROR_TYPE, "$[1].w: expected whole pixels (640) or a "
        "percentage string (\"50%\"), got 0.5"},
  {"[{\"x\": 0, \"y\": 0, \"w\": 1.0, \"h\": 2, \"slot\": 0}]",
      RR_LAYOUT_ERROR_TYPE, "$[0].w: expected whole pixels"},
  {"[{\"x\": 0, \"y\": 0, \"w\": 2, \"h\": true, \"slot\": 0}]",
      RR_LAYOUT_ERROR_TYPE, "$[0].h: expected whole pixels (640) or a "
        "percentage string (\"50%\"), got a boolean (true)"},
  {"[{\"x\": -2, \"y\": 0, \"w\": 2, \"h\": 2, \"slot\": 0}]",
      RR_LAYOUT_ERROR_RANGE, "$[0].x: -2 is out of range 0 to 16384"},
  {"[{\"x\": 0, \"y\": 0, \"w\": 1, \"h\": 2, \"slot\": 0}]",
      RR_LAYOUT_ERROR_RANGE, "$[0].w: 1 is out of range 2 to 16384"},
  {"[{\"x\": 0, \"y\": 16385, \"w\": 2, \"h\": 2, \"slot\": 0}]",
      RR_LAYOUT_ERROR_RANGE, "$[0].y: 16385 is out of range"},
  {"[{\"x\": \"50 %\", \"y\": 0, \"w\": 2, \"h\": 2, \"slot\": 0}]",
      RR_LAYOUT_ERROR_RANGE, "$[0].x: \"50 %\" is not a percentage"},
  {"[{\"x\": \"100.0000001%\", \"y\": 0, \"w\": 2, \"h\": 2, \"slot\": 0}]",
      RR_LAYOUT_ERROR_RANGE, "$[0].x: \"100.0000001%\" is not a percentage"},
  {"[{\"x\": \"101%\", \"y\": 0, \"w\": 2, \"h\": 2, \"slot\": 0}]",
      RR_LAYOUT_ERROR_RANGE, "$[0].x: \"101%\" is not a percentage"},
  {"[{\"x\": \"0.5\", \"y\": 0, \"w\": 2, \"h\": 2, \"slot\": 0}]",
      RR_LAYOUT_ERROR_RANGE, "$[0].x: \"0.5\" is not a percentage"},
  {"[{\"x\": 0, \"y\": 0, \"w\": \"0%\", \"h\": 2, \"slot\": 0}]",
      RR_LAYOUT_ERROR_RANGE, "$[0].w: a size of 0% is empty"},
  {"[{\"x\": \"60%\", \"y\": 0, \"w\": \"40.000001%\", \"h\": 2, "
        "\"slot\": 0}]", RR_LAYOUT_ERROR_COMBINATION,
      "$[0].w: the region ends past the canvas (x + w is more than 100%)"},
  {"[{\"x\": 0, \"y\": \"99%\", \"w\": 2, \"h\": \"2%\", \"slot\": 0}]",
      RR_LAYOUT_ERROR_COMBINATION, "$[0].h: the region ends past"},
  {"[{\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2}]", RR_LAYOUT_ERROR_MISSING,
      "$[0]: a region needs \"participant\""},
  {"[{\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, \"slot\": 0, "
        "\"participant\": \"a\"}]", RR_LAYOUT_ERROR_COMBINATION,
      "$[0].slot: a region has either"},
  {"[{\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, \"participant\": \"\"}]",
      RR_LAYOUT_ERROR_RANGE, "$[0].participant: a participant id is UTF-8"},
  /* json-glib's scanner reads octal escapes, making bytes that are not
   * UTF-8 (found by fuzz-layout) */
  {"[{\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, \"slot\": 0, \"\\377\": 1}]",
      RR_LAYOUT_ERROR_UNKNOWN_KEY, "$[0][\"\\xFF\"]: unknown key"},
  {"[{\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, \"participant\": "
        "\"a\\377\"}]", RR_LAYOUT_ERROR_RANGE,
      "$[0].participant: a participant id is UTF-8"},
  {"[{\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, \"slot\": 0, \"fit\": "
        "\"\\377\"}]", RR_LAYOUT_ERROR_RANGE,
      "$[0].fit: \"\\xFF\" is not a fit mode"},
  {"[{\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, \"participant\": 7}]",
      RR_LAYOUT_ERROR_TYPE, "$[0].participant: expected a participant id"},
  {"[{\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, \"slot\": 25}]",
      RR_LAYOUT_ERROR_RANGE, "$[0].slot: 25 is out of range 0 to 24"},
  {"[{\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, \"slot\": \"0\"}]",
      RR_LAYOUT_ERROR_TYPE, "$[0].slot: expected a slot number"},
  {"[{\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, \"slot\": 0, \"z\": 256}]",
      RR_LAYOUT_ERROR_RANGE, "$[0].z: 256 is out of range 0 to 255"},
  {"[{\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, \"slot\": 0, \"z\": null}]",
      RR_LAYOUT_ERROR_TYPE, "$[0].z: expected a whole number (0 to 255), "
        "got null"},
  {"[{\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, \"slot\": 0, \"fit\": "
        "\"stretch\"}]", RR_LAYOUT_ERROR_RANGE,
      "$[0].fit: \"stretch\" is not a fit mode"},
  {"[{\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, \"participant\": \"a\"},"
        " {\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, \"slot\": 0},"
        " {\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, \"participant\": \"a\"}]",
        RR_LAYOUT_ERROR_COMBINATION,
      "$[2].participant: \"a\" already has the region $[0]"},
  {"[{\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, \"slot\": 3},"
        " {\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, \"slot\": 3}]",
      RR_LAYOUT_ERROR_COMBINATION, "$[1].slot: slot 3 already has the "
        "region $[0]"},
};

static void
test_custom_errors (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (custom_errors); i++) {
    GError *err = NULL;
    RrLayoutCustom *c = rr_layout_custom_parse (custom_errors[i].json, -1,
        &err);

    if (c != NULL || err == NULL)
      g_error ("accepted: %s", custom_errors[i].json);
    g_assert_error (err, RR_LAYOUT_ERROR, (gint) custom_errors[i].code);
    if (!g_str_has_prefix (err->message, custom_errors[i].prefix))
      g_error ("%s\n  gave: %s\n  expected: %s…", custom_errors[i].json,
          err->message, custom_errors[i].prefix);
    g_clear_error (&err);
  }
}

static void
test_custom_limits (void)
{
  GString *s = g_string_new ("[");
  GError *err = NULL;
  RrLayoutCustom *c;
  RrLayout *l;
  guint i;

  for (i = 0; i < RR_LAYOUT_CUSTOM_MAX; i++)
    g_string_append_printf (s, "%s{\"x\": %u, \"y\": 0, \"w\": 40, "
        "\"h\": 40, \"slot\": %u, \"z\": %u}", i ? ", " : "", i * 40, i,
        RR_LAYOUT_CUSTOM_MAX - i);
  g_string_append (s, "]");
  c = parse_ok (s->str);
  g_assert_cmpuint (c->n_regions, ==, RR_LAYOUT_CUSTOM_MAX);
  l = compute_custom (c, 1280, 720, MAX_TEST_PARTICIPANTS);
  for (i = 0; i < MAX_TEST_PARTICIPANTS; i++) {
    g_assert_cmpint (l->tiles[i].has_tile, ==, i < RR_LAYOUT_CUSTOM_MAX);
    if (i < RR_LAYOUT_CUSTOM_MAX) {
      g_assert_cmpint (l->tiles[i].rect.x, ==, (gint) i * 40);
      g_assert_cmpuint (l->tiles[i].z, ==, RR_LAYOUT_CUSTOM_MAX - i);
    }
  }
  rr_layout_free (l);
  rr_layout_custom_free (c);

  /* one more region */
  g_string_truncate (s, s->len - 1);
  g_string_append (s, ", {\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, "
      "\"slot\": 0}]");
  g_assert_null (rr_layout_custom_parse (s->str, s->len, &err));
  g_assert_error (err, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_RANGE);
  g_assert_cmpstr (err->message, ==, "$: 26 regions, expected 1 to 25");
  g_clear_error (&err);
  g_string_free (s, TRUE);

  /* a length, not NUL-terminated, and NUL bytes */
  {
    const gchar *text = "[{\"x\": 0, \"y\": 0, \"w\": 2, \"h\": 2, "
        "\"slot\": 0}]garbage";

    c = rr_layout_custom_parse (text, strlen (text) - strlen ("garbage"), &err);
  }
  g_assert_no_error (err);
  rr_layout_custom_free (c);
  g_assert_null (rr_layout_custom_parse ("[]\0[]", 5, &err));
  g_assert_error (err, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_SYNTAX);
  g_clear_error (&err);

  /* from a node, with the path of an enclosing document */
  {
    JsonNode *node = json_from_string ("[{\"x\": 0, \"y\": 0, \"w\": 2, "
        "\"h\": 2, \"slot\": 0, \"fit\": 1}]", NULL);

    g_assert_null (rr_layout_custom_from_node (node, "$.mix.regions", &err));
    g_assert_error (err, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_TYPE);
    g_assert_cmpstr (err->message, ==, "$.mix.regions[0].fit: expected "
        "\"crop\" or \"letterbox\", got 1");
    g_clear_error (&err);
    json_node_unref (node);
  }
}

/* ------------------------------------------------------------------ */
/* watermarks                                                          */

static void
test_watermarks (void)
{
  RrLayoutWatermark m[RR_LAYOUT_WATERMARK_MAX + 1];
  GError *err = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (m); i++) {
    m[i].image = "logo.png";
    m[i].top = i * 10;
    m[i].left = 1280 - 100;
    m[i].width = 100;
    m[i].height = 10;
  }
  g_assert_true (rr_layout_watermarks_check (m, RR_LAYOUT_WATERMARK_MAX,
          1280, 720, NULL, &err));
  g_assert_no_error (err);
  g_assert_true (rr_layout_watermarks_check (NULL, 0, 1280, 720, NULL, &err));
  g_assert_false (rr_layout_watermarks_check (m, RR_LAYOUT_WATERMARK_MAX + 1,
          1280, 720, "$.watermarks", &err));
  g_assert_error (err, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_RANGE);
  g_assert_cmpstr (err->message, ==, "$.watermarks: 26 watermarks, at most "
      "25");
  g_clear_error (&err);

  m[3].width = 101;
  g_assert_false (rr_layout_watermarks_check (m, 5, 1280, 720, NULL, &err));
  g_assert_error (err, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_RANGE);
  g_assert_true (g_str_has_prefix (err->message, "$[3].width: "));
  g_clear_error (&err);
  m[3].width = 100;

  m[2].top = 711;
  g_assert_false (rr_layout_watermarks_check (m, 5, 1280, 720, NULL, &err));
  g_assert_true (g_str_has_prefix (err->message, "$[2].height: "));
  g_clear_error (&err);
  m[2].top = -1;
  g_assert_false (rr_layout_watermarks_check (m, 5, 1280, 720, NULL, &err));
  g_assert_true (g_str_has_prefix (err->message, "$[2].top: "));
  g_clear_error (&err);
  m[2].top = 0;
  m[1].left = 1280;
  g_assert_false (rr_layout_watermarks_check (m, 5, 1280, 720, NULL, &err));
  g_assert_true (g_str_has_prefix (err->message, "$[1].left: "));
  g_clear_error (&err);
  m[1].left = 0;
  m[0].height = 0;
  g_assert_false (rr_layout_watermarks_check (m, 5, 1280, 720, NULL, &err));
  g_assert_true (g_str_has_prefix (err->message, "$[0].height: "));
  g_clear_error (&err);
  m[0].height = 10;
  m[4].image = "";
  g_assert_false (rr_layout_watermarks_check (m, 5, 1280, 720, NULL, &err));
  g_assert_error (err, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_MISSING);
  g_assert_true (g_str_has_prefix (err->message, "$[4].image: "));
  g_clear_error (&err);
}

static void
test_watermarks_parse (void)
{
  RrLayoutWatermarks *w;
  GError *err = NULL;
  GString *many;
  guint i;

  w = rr_layout_watermarks_parse ("[{\"image\": \"logo.png\", \"top\": 10, "
      "\"left\": 20, \"width\": 200, \"height\": 100}, {\"image\": "
      "\"file:///tmp/a%20b.png\", \"top\": 0, \"left\": 0, \"width\": 1, "
      "\"height\": 1}]", -1, &err);
  g_assert_no_error (err);
  g_assert_nonnull (w);
  g_assert_cmpuint (w->n_marks, ==, 2);
  g_assert_cmpstr (w->marks[0].image, ==, "logo.png");
  g_assert_cmpint (w->marks[0].top, ==, 10);
  g_assert_cmpint (w->marks[0].left, ==, 20);
  g_assert_cmpint (w->marks[0].width, ==, 200);
  g_assert_cmpint (w->marks[0].height, ==, 100);
  g_assert_cmpstr (w->marks[1].image, ==, "file:///tmp/a%20b.png");
  g_assert_true (rr_layout_watermarks_check (w->marks, w->n_marks, 1280, 720,
          NULL, &err));
  g_assert_no_error (err);
  /* 20 + 200 does not fit on a 200 wide canvas */
  g_assert_false (rr_layout_watermarks_check (w->marks, w->n_marks, 200, 720,
          "$.watermarks", &err));
  g_assert_true (g_str_has_prefix (err->message, "$.watermarks[0].width: "));
  g_clear_error (&err);
  rr_layout_watermarks_free (w);

  /* no watermarks */
  w = rr_layout_watermarks_parse ("[]", -1, &err);
  g_assert_no_error (err);
  g_assert_cmpuint (w->n_marks, ==, 0);
  g_assert_true (rr_layout_watermarks_check (w->marks, w->n_marks, 1280, 720,
          NULL, &err));
  rr_layout_watermarks_free (w);

  /* exactly the maximum, then one more */
  many = g_string_new ("[");
  for (i = 0; i < RR_LAYOUT_WATERMARK_MAX; i++)
    g_string_append_printf (many, "%s{\"image\": \"m%u.png\", \"top\": %u, "
        "\"left\": 0, \"width\": 10, \"height\": 10}", i ? ", " : "", i, i);
  g_string_append (many, "]");
  w = rr_layout_watermarks_parse (many->str, -1, &err);
  g_assert_no_error (err);
  g_assert_cmpuint (w->n_marks, ==, RR_LAYOUT_WATERMARK_MAX);
  g_assert_cmpstr (w->marks[24].image, ==, "m24.png");
  rr_layout_watermarks_free (w);
  g_string_truncate (many, many->len - 1);
  g_string_append (many, ", {\"image\": \"x.png\", \"top\": 0, \"left\": 0, "
      "\"width\": 10, \"height\": 10}]");
  g_assert_null (rr_layout_watermarks_parse (many->str, -1, &err));
  g_assert_error (err, RR_LAYOUT_ERROR, RR_LAYOUT_ERROR_RANGE);
  g_assert_cmpstr (err->message, ==, "$: 26 watermarks, at most 25");
  g_clear_error (&err);
  g_string_free (many, TRUE);

  /* not NUL-terminated: only @length bytes are read */
  w = rr_layout_watermarks_parse ("[]garbage", 2, &err);
  g_assert_no_error (err);
  rr_layout_watermarks_free (w);
}

static const struct
{
  const gchar *json;
  gint code;
  const gchar *prefix;
} watermark_errors[] = {
  {"", RR_LAYOUT_ERROR_SYNTAX, "$: JSON syntax error"},
  {"[{\"image\": \"a.png\",}]", RR_LAYOUT_ERROR_SYNTAX,
      "$: JSON syntax error"},
  {"[\"\xff\"]", RR_LAYOUT_ERROR_SYNTAX, "$: not UTF-8"},
  {"[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]", RR_LAYOUT_ERROR_SYNTAX,
      "$: nested deeper"},
  {"{\"image\": \"a.png\"}", RR_LAYOUT_ERROR_TYPE,
      "$: expected an array of watermarks, got an object"},
  {"[\"a.png\"]", RR_LAYOUT_ERROR_TYPE,
      "$[0]: expected a watermark object, got a string (\"a.png\")"},
  {"[{\"top\": 0, \"left\": 0, \"width\": 1, \"height\": 1}]",
      RR_LAYOUT_ERROR_MISSING, "$[0].image: required key is missing"},
  {"[{\"image\": \"\", \"top\": 0, \"left\": 0, \"width\": 1, "
        "\"height\": 1}]", RR_LAYOUT_ERROR_RANGE,
      "$[0].image: an image is a file or URL"},
  {"[{\"image\": 7, \"top\": 0, \"left\": 0, \"width\": 1, \"height\": 1}]",
      RR_LAYOUT_ERROR_TYPE, "$[0].image: expected an image file or URL "
        "(a string), got 7"},
  {"[{\"image\": \"a.png\", \"left\": 0, \"width\": 1, \"height\": 1}]",
      RR_LAYOUT_ERROR_MISSING, "$[0].top: required key is missing"},
  {"[{\"image\": \"a.png\", \"top\": 0, \"left\": 0, \"width\": 1, "
        "\"height\": 1}, {\"image\": \"b.png\", \"top\": 0, \"left\": 0, "
        "\"width\": 10.5, \"height\": 1}]", RR_LAYOUT_ERROR_TYPE,
      "$[1].width: expected whole pixels (a number like 10), got 10.5"},
  {"[{\"image\": \"a.png\", \"top\": \"10\", \"left\": 0, \"width\": 1, "
        "\"height\": 1}]", RR_LAYOUT_ERROR_TYPE,
      "$[0].top: expected whole pixels"},
  {"[{\"image\": \"a.png\", \"top\": -1, \"left\": 0, \"width\": 1, "
        "\"height\": 1}]", RR_LAYOUT_ERROR_RANGE,
      "$[0].top: -1 is out of range 0 to 16384 pixels"},
  {"[{\"image\": \"a.png\", \"top\": 0, \"left\": 0, \"width\": 0, "
        "\"height\": 1}]", RR_LAYOUT_ERROR_RANGE,
      "$[0].width: 0 is out of range 1 to 16384 pixels"},
  {"[{\"image\": \"a.png\", \"top\": 0, \"left\": 0, \"width\": 1, "
        "\"height\": 16385}]", RR_LAYOUT_ERROR_RANGE,
      "$[0].height: 16385 is out of range"},
  {"[{\"image\": \"a.png\", \"top\": 0, \"left\": 0, \"width\": 1, "
        "\"height\": 1, \"Top\": 1}]", RR_LAYOUT_ERROR_UNKNOWN_KEY,
      "$[0].Top: unknown key (known keys: image, top, left, width, height)"},
};

static void
test_watermarks_parse_errors (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (watermark_errors); i++) {
    GError *err = NULL;
    RrLayoutWatermarks *w =
        rr_layout_watermarks_parse (watermark_errors[i].json,
        -1, &err);

    if (w != NULL)
      g_error ("accepted: %s", watermark_errors[i].json);
    g_assert_error (err, RR_LAYOUT_ERROR, watermark_errors[i].code);
    if (!g_str_has_prefix (err->message, watermark_errors[i].prefix))
      g_error ("%s\n  gave: %s\n  expected: %s…", watermark_errors[i].json,
          err->message, watermark_errors[i].prefix);
    g_clear_error (&err);
  }

  /* inside a bigger document, with its path */
  {
    JsonNode *node = json_from_string ("[{\"image\": \"a.png\", \"top\": 0, "
        "\"left\": 0, \"width\": 1}]", NULL);
    GError *err = NULL;

    g_assert_null (rr_layout_watermarks_from_node (node, "$.mix.watermarks",
            &err));
    g_assert_cmpstr (err->message, ==, "$.mix.watermarks[0].height: required "
        "key is missing");
    g_clear_error (&err);
    json_node_unref (node);
  }
}

int
main (int argc, char **argv)
{
  guint i;
  int ret;

  for (i = 0; i < MAX_TEST_PARTICIPANTS; i++)
    ids[i] = g_strdup_printf ("p%02u", i);

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/layout/grid/table", test_grid_table);
  g_test_add_func ("/layout/grid/pixels", test_grid_pixels);
  g_test_add_func ("/layout/floating/table", test_floating_table);
  g_test_add_func ("/layout/floating/pixels", test_floating_pixels);
  g_test_add_func ("/layout/floating/main", test_floating_main);
  g_test_add_func ("/layout/screen-share/table", test_share_table);
  g_test_add_func ("/layout/screen-share/pixels", test_share_pixels);
  g_test_add_func ("/layout/screen-share/main", test_share_main);
  g_test_add_func ("/layout/invariants", test_invariants);
  g_test_add_func ("/layout/bad-params", test_bad_params);
  g_test_add_func ("/layout/mode-names", test_mode_names);
  g_test_add_func ("/layout/custom/compute", test_custom_compute);
  g_test_add_func ("/layout/custom/errors", test_custom_errors);
  g_test_add_func ("/layout/custom/limits", test_custom_limits);
  g_test_add_func ("/layout/watermarks", test_watermarks);
  g_test_add_func ("/layout/watermarks/parse", test_watermarks_parse);
  g_test_add_func ("/layout/watermarks/parse-errors",
      test_watermarks_parse_errors);
  ret = g_test_run ();

  for (i = 0; i < MAX_TEST_PARTICIPANTS; i++)
    g_free (ids[i]);
  return ret;
}
