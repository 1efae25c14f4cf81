/* roomrec — mixed-recording layout geometry (TRTC MixLayoutMode)
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Pure arithmetic, no GStreamer: given a mode, a canvas and the
 * participants in join order, where each participant's tile goes.  The
 * geometry of every mode, the rounding to pixels and the custom JSON
 * format are documented in docs/layout.md.
 *
 * Rounding, in short: every rectangle is first computed exactly (rational
 * arithmetic on the canvas size, no floating point), then its position is
 * rounded to the nearest even pixel (halves up) and its width/height down
 * to an even pixel.  So every x, y, w, h is even (I420 chroma is 2x2),
 * tiles that should have one size have the same size, a tile never leaves
 * its exact rectangle by more than one pixel on the left/top and never
 * passes its exact right/bottom edge rounded to even, and tiles that do
 * not overlap exactly do not overlap in pixels.  An odd canvas size is
 * used as the even size below it (the last column/row stays background).
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define RR_LAYOUT_ERROR (rr_layout_error_quark ())
GQuark rr_layout_error_quark (void);

typedef enum
{
  RR_LAYOUT_ERROR_SYNTAX,       /* not JSON / not UTF-8 / too deep */
  RR_LAYOUT_ERROR_UNKNOWN_KEY,
  RR_LAYOUT_ERROR_TYPE,
  RR_LAYOUT_ERROR_RANGE,
  RR_LAYOUT_ERROR_MISSING,
  RR_LAYOUT_ERROR_COMBINATION,  /* each value fine, together impossible */
  RR_LAYOUT_ERROR_INVALID,      /* rr_layout_compute: bad canvas/ids */
} RrLayoutError;

typedef enum
{
  RR_LAYOUT_GRID,               /* default */
  RR_LAYOUT_FLOATING,
  RR_LAYOUT_SCREEN_SHARE,
  RR_LAYOUT_CUSTOM,
} RrLayoutMode;

/* How a source is scaled into its tile. */
typedef enum
{
  RR_LAYOUT_FIT_CROP,           /* fill the tile, cut what sticks out */
  RR_LAYOUT_FIT_LETTERBOX,      /* whole picture, bars around it */
} RrLayoutFit;

/* Most tiles (screens) each mode shows; later joiners get no tile. */
#define RR_LAYOUT_GRID_MAX 25
#define RR_LAYOUT_FLOATING_MAX 25
#define RR_LAYOUT_SCREEN_SHARE_MAX 24   /* counting the big slot */
#define RR_LAYOUT_CUSTOM_MAX 25 /* regions */
#define RR_LAYOUT_WATERMARK_MAX 25

/* Canvas sizes rr_layout_compute() accepts, in pixels. */
#define RR_LAYOUT_CANVAS_MIN 16
#define RR_LAYOUT_CANVAS_MAX 16384

/* A percentage in a custom region is kept exactly, in units of 1e-8 of
 * the canvas (100% = RR_LAYOUT_FRACTION_ONE). */
#define RR_LAYOUT_FRACTION_ONE G_GINT64_CONSTANT (100000000)

typedef struct
{
  gint x, y, w, h;
} RrLayoutRect;

/* One length of a custom region: whole pixels, or a fraction of the
 * canvas width (x, w) or height (y, h). */
typedef struct
{
  gboolean fraction;
  gint64 value;                 /* pixels, or 1e-8 of the canvas */
} RrLayoutLength;

typedef struct
{
  RrLayoutLength x, y, w, h;
  guint z;                      /* 0..255, default 0; higher is on top */
  gchar *participant;           /* this participant, or NULL: */
  gint slot;                    /*   the slot-th (from 0) participant not
                                 *   named by any region, in join order;
                                 *   -1 when participant is set */
  RrLayoutFit fit;              /* default crop */
} RrLayoutRegion;

typedef struct
{
  RrLayoutRegion *regions;
  guint n_regions;              /* 1..RR_LAYOUT_CUSTOM_MAX */
} RrLayoutCustom;

typedef struct
{
  RrLayoutMode mode;
  gint canvas_width;            /* RR_LAYOUT_CANVAS_MIN..MAX */
  gint canvas_height;
  /* Participant ids in join order: distinct, non-empty.  Audio-only
   * participants are listed too: they take a tile like the others (the
   * caller draws a placeholder in it). */
  const gchar *const *participants;
  guint n_participants;
  /* floating: the one filling the canvas (NULL or absent: the first
   * joined); screen-share: the big tile on the left (NULL or absent: the
   * big slot shows the background); grid, custom: ignored. */
  const gchar *main_participant;
  const RrLayoutCustom *custom; /* custom: required; otherwise ignored */
  RrLayoutFit fit;              /* grid, floating, screen-share tiles */
} RrLayoutParams;

typedef struct
{
  gchar *participant;
  gboolean has_tile;            /* FALSE: over the mode's maximum, or no
                                 * (non-empty) custom region */
  RrLayoutRect rect;            /* all 0 without a tile */
  guint z;                      /* higher is drawn on top */
  gint region;                  /* custom: index of its region, else -1 */
  RrLayoutFit fit;
  gboolean is_main;             /* floating full canvas / screen-share big */
} RrLayoutTile;

typedef struct
{
  RrLayoutMode mode;
  gint canvas_width, canvas_height;     /* as given */
  RrLayoutTile *tiles;          /* one per participant, in the given order */
  guint n_tiles;
  guint n_screens;              /* the count the mode's size table used */
  /* screen-share: the big slot; big_is_background when nobody is in it */
  RrLayoutRect big_rect;
  gboolean big_is_background;
} RrLayout;

/* The tile of every participant; NULL + RR_LAYOUT_ERROR_INVALID for a
 * canvas out of range, NULL/empty/duplicate ids, or custom without
 * regions. */
RrLayout *rr_layout_compute (const RrLayoutParams * params, GError ** error);
void rr_layout_free (RrLayout * layout);
/* The tile of @participant in @layout, or NULL if not listed. */
const RrLayoutTile *rr_layout_find (const RrLayout * layout,
    const gchar * participant);

const gchar *rr_layout_mode_to_string (RrLayoutMode mode);
/* "grid", "floating", "screen-share", "custom" */
gboolean rr_layout_mode_from_string (const gchar * name, RrLayoutMode * mode);

/* Custom layout: a JSON array of region objects (docs/layout.md), e.g.
 *   [{"x": 0, "y": 0, "w": "50%", "h": "100%", "participant": "alice"},
 *    {"x": "50%", "y": 0, "w": 640, "h": 720, "slot": 0, "z": 1,
 *     "fit": "letterbox"}]
 * Whole JSON numbers are pixels; strings "12.5%" are percentages of the
 * canvas; a number with a fraction or an exponent is an error.  Errors
 * are RR_LAYOUT_ERROR with the JSON path first: "$[2].w: …". */
RrLayoutCustom *rr_layout_custom_parse (const gchar * json, gssize length,
    GError ** error);
/* The same from a parsed node; @path is the node's JSON path in messages
 * (e.g. "$.layout.regions"). */
RrLayoutCustom *rr_layout_custom_from_node (JsonNode * node,
    const gchar * path, GError ** error);
/* Whether every region lies inside a @width x @height canvas (pixel
 * lengths can only be checked against a canvas); @path as above, NULL =
 * "$". */
gboolean rr_layout_custom_check_canvas (const RrLayoutCustom * custom,
    gint width, gint height, const gchar * path, GError ** error);
void rr_layout_custom_free (RrLayoutCustom * custom);

/* TRTC MixWatermark: an image at (top, left) of width x height pixels. */
typedef struct
{
  const gchar *image;           /* file or URL, non-empty */
  gint top, left, width, height;
} RrLayoutWatermark;

/* At most RR_LAYOUT_WATERMARK_MAX, each inside the canvas and at least
 * 1x1; errors name "<path>[i].key" (@path NULL = "$"). */
gboolean rr_layout_watermarks_check (const RrLayoutWatermark * marks,
    guint n_marks, gint canvas_width, gint canvas_height,
    const gchar * path, GError ** error);

/* Watermarks read from JSON; the image strings belong to the list. */
typedef struct
{
  RrLayoutWatermark *marks;
  guint n_marks;                /* 0..RR_LAYOUT_WATERMARK_MAX */
} RrLayoutWatermarks;

/* A JSON array of 0 to 25 watermark objects (docs/layout.md), e.g.
 *   [{"image": "logo.png", "top": 10, "left": 10, "width": 200,
 *     "height": 100}]
 * All five keys are required; top and left are whole pixels 0-16384,
 * width and height 1-16384.  Whether they fit on a canvas is
 * rr_layout_watermarks_check()'s business.  Errors are RR_LAYOUT_ERROR
 * with the JSON path first ("$[1].width: …"), like the custom layout. */
RrLayoutWatermarks *rr_layout_watermarks_parse (const gchar * json,
    gssize length, GError ** error);
/* The same from a parsed node; @path is the node's JSON path in messages
 * (NULL = "$"). */
RrLayoutWatermarks *rr_layout_watermarks_from_node (JsonNode * node,
    const gchar * path, GError ** error);
void rr_layout_watermarks_free (RrLayoutWatermarks * marks);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RrLayout, rr_layout_free);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RrLayoutCustom, rr_layout_custom_free);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RrLayoutWatermarks, rr_layout_watermarks_free);

G_END_DECLS
