/* roomrec — compositorlayout: mixed (composite) recording of a room
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-compositorlayout
 * @title: compositorlayout
 * @short_description: Mixes the participants of a room into one picture
 *   and one sound, laid out like TRTC's MixLayoutMode
 * @see_also: compositor, audiomixer
 *
 * compositorlayout is a bin holding a `compositor` and an `audiomixer`. Each
 * participant's raw video goes into a request pad `video_%u`, raw audio into
 * `audio_%u`. The mixed picture leaves on `video_src` (I420, the canvas size
 * and frame rate of #GstCompositorLayout:width,
 * #GstCompositorLayout:height and #GstCompositorLayout:framerate), the mixed
 * sound on `audio_src` (S16LE, 48 kHz, stereo).
 *
 * Where each picture goes is computed by the layout module of roomrec
 * (docs/layout.md) from #GstCompositorLayout:mode (`grid`, `floating`,
 * `screen-share`, `custom`), #GstCompositorLayout:main-participant,
 * #GstCompositorLayout:custom-layout and the participants in join order
 * (the order their pads were requested). Every sink pad has a `participant`
 * property. On a video pad it defaults to the pad name; on an audio pad it
 * is unset by default, which keeps that pad out of the layout; set it to a
 * participant id to attach the sound to that participant. A participant
 * with sound but no video pad (audio only) still takes a tile, which shows
 * the background for now. When two video pads name the same participant,
 * only the first one is shown.
 *
 * The layout is recomputed when a pad is requested or released, when a
 * pad's participant changes and when the mode, main participant, custom
 * layout or canvas size changes, and applied by setting the `xpos`, `ypos`,
 * `width`, `height`, `zorder`, `alpha` and `sizing-policy` properties of the
 * compositor's sink pads; this is safe while playing, from any thread. The
 * compositor scales each input into its tile: `letterbox` tiles of a custom
 * layout keep the aspect ratio (bars of background), the other tiles are
 * scaled to fill the tile (the picture is stretched, not cropped, in this
 * version). Participants without a tile are drawn with alpha 0.
 *
 * For live inputs both aggregators run with `ignore-inactive-pads` and
 * `start-time-selection=first`, so a participant whose pad exists but who
 * sends nothing yet does not hold the output back; #GstCompositorLayout:latency
 * is the aggregators' `latency`. Release pads from the application thread,
 * not from a streaming thread.
 *
 * ## Messages
 *
 * Each time the tiles change, an element message
 * `compositorlayout-layout-changed` is posted with the fields `mode`
 * (string), `width`, `height` (int), `tiles` (an array of `tile`
 * structures with `participant` (string), `x`, `y`, `w`, `h`, `z` (int) and
 * `main` (boolean)) and `hidden` (an array of the participant ids that get
 * no tile).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -e compositorlayout name=mix width=1280 height=720 ! \
 *     videoconvert ! x264enc ! mp4mux name=mux ! filesink location=grid.mp4 \
 *     videotestsrc num-buffers=60 pattern=ball ! mix.video_0 \
 *     videotestsrc num-buffers=60 pattern=smpte ! mix.video_1
 * ]| Two pictures side by side in a 1280x720 H.264 MP4.
 * |[
 * gst-launch-1.0 compositorlayout name=mix mode=floating \
 *     main-participant=video_1 ! videoconvert ! autovideosink \
 *     videotestsrc is-live=true ! mix.video_0 \
 *     videotestsrc is-live=true pattern=ball ! mix.video_1
 * ]| video_1 fills the canvas, video_0 floats over it at the bottom left.
 * |[
 * gst-launch-1.0 compositorlayout name=mix mode=custom \
 *     custom-layout='[{"x":0,"y":0,"w":"50%","h":"100%","slot":0},
 *     {"x":"50%","y":"25%","w":"50%","h":"50%","slot":1,"fit":"letterbox"}]' \
 *     mix.video_src ! videoconvert ! autovideosink \
 *     mix.audio_src ! autoaudiosink \
 *     videotestsrc is-live=true ! mix.video_0 \
 *     videotestsrc is-live=true pattern=ball ! mix.video_1 \
 *     audiotestsrc is-live=true ! mix.audio_0
 * ]| A custom layout, with sound.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "gstcompositorlayout.h"
#include "gstroomrecelements.h"
#include "core/layout.h"

GST_DEBUG_CATEGORY_STATIC (compositor_layout_debug);
#define GST_CAT_DEFAULT compositor_layout_debug

#define DEFAULT_WIDTH 1280
#define DEFAULT_HEIGHT 720
#define DEFAULT_FPS_N 30
#define DEFAULT_FPS_D 1
#define DEFAULT_BACKGROUND 0xff000000
#define DEFAULT_MODE RR_LAYOUT_GRID
#define DEFAULT_LATENCY 0

#define AUDIO_CAPS "audio/x-raw, format=(string)S16LE, rate=(int)48000, " \
    "channels=(int)2, layout=(string)interleaved"

#define LAYOUT_CHANGED_NAME "compositorlayout-layout-changed"

enum
{
  PROP_0,
  PROP_WIDTH,
  PROP_HEIGHT,
  PROP_FRAMERATE,
  PROP_BACKGROUND,
  PROP_MODE,
  PROP_MAIN_PARTICIPANT,
  PROP_CUSTOM_LAYOUT,
  PROP_LATENCY,
};

enum
{
  PROP_PAD_0,
  PROP_PAD_PARTICIPANT,
};

struct _GstCompositorLayoutPad
{
  GstGhostPad parent;

  /* set once before the pad is added */
  gboolean is_video;
  GstPad *mixer_pad;            /* (owned) compositor/audiomixer sink pad */
  /* audio pads: audioconvert ! audioresample in front of the audiomixer,
   * which converts format and channels but not the rate; (owned) */
  GstElement *convert;
  GstElement *resample;

  /* object lock of the pad */
  gchar *participant;
};

struct _GstCompositorLayout
{
  GstBin parent;

  /* set at init, (owned) */
  GstElement *compositor;
  GstElement *video_caps;
  GstElement *audiomixer;
  GstElement *audio_caps;
  GstPad *video_src;
  GstPad *audio_src;

  /* serialises computing and applying layouts; only compositor pad
   * properties are set and no data is pushed while it is held */
  GMutex layout_lock;
  gchar *last_posted;           /* layout_lock */

  /* object lock */
  gint width;
  gint height;
  gint fps_n;
  gint fps_d;
  guint background;
  RrLayoutMode mode;
  gchar *main_participant;
  gchar *custom_json;
  RrLayoutCustom *custom;
  guint64 latency;
  GList *pads;                  /* GstCompositorLayoutPad, join order */
  guint next_video;
  guint next_audio;
  gboolean disposing;
};

static GstStaticPadTemplate video_sink_template =
GST_STATIC_PAD_TEMPLATE ("video_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-raw"));

static GstStaticPadTemplate audio_sink_template =
GST_STATIC_PAD_TEMPLATE ("audio_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("audio/x-raw"));

static GstStaticPadTemplate video_src_template =
GST_STATIC_PAD_TEMPLATE ("video_src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw, format=(string)I420"));

static GstStaticPadTemplate audio_src_template =
GST_STATIC_PAD_TEMPLATE ("audio_src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (AUDIO_CAPS));

GType
gst_compositor_layout_mode_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {RR_LAYOUT_GRID, "Equal tiles, up to 5x5", "grid"},
    {RR_LAYOUT_FLOATING, "Main participant full canvas, others floating "
          "over it", "floating"},
    {RR_LAYOUT_SCREEN_SHARE, "Main participant big on the left, others in "
          "columns on the right", "screen-share"},
    {RR_LAYOUT_CUSTOM, "Regions from custom-layout", "custom"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstCompositorLayoutMode", values);
    g_once_init_leave (&type, t);
  }
  return (GType) type;
}

/* ---- the pad ---- */

G_DEFINE_TYPE (GstCompositorLayoutPad, gst_compositor_layout_pad,
    GST_TYPE_GHOST_PAD);

static void gst_compositor_layout_relayout (GstCompositorLayout * self);

static void
gst_compositor_layout_pad_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstCompositorLayoutPad *pad = GST_COMPOSITOR_LAYOUT_PAD (object);
  GstObject *parent;

  switch (prop_id) {
    case PROP_PAD_PARTICIPANT:
      GST_OBJECT_LOCK (pad);
      g_free (pad->participant);
      pad->participant = g_value_dup_string (value);
      if (pad->participant != NULL && pad->participant[0] == '\0')
        g_clear_pointer (&pad->participant, g_free);
      GST_OBJECT_UNLOCK (pad);
      parent = gst_object_get_parent (GST_OBJECT (pad));
      if (parent != NULL) {
        if (GST_IS_COMPOSITOR_LAYOUT (parent))
          gst_compositor_layout_relayout (GST_COMPOSITOR_LAYOUT (parent));
        gst_object_unref (parent);
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_compositor_layout_pad_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstCompositorLayoutPad *pad = GST_COMPOSITOR_LAYOUT_PAD (object);

  switch (prop_id) {
    case PROP_PAD_PARTICIPANT:
      GST_OBJECT_LOCK (pad);
      g_value_set_string (value, pad->participant);
      GST_OBJECT_UNLOCK (pad);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_compositor_layout_pad_finalize (GObject * object)
{
  GstCompositorLayoutPad *pad = GST_COMPOSITOR_LAYOUT_PAD (object);

  g_free (pad->participant);
  gst_clear_object (&pad->mixer_pad);
  gst_clear_object (&pad->convert);
  gst_clear_object (&pad->resample);

  G_OBJECT_CLASS (gst_compositor_layout_pad_parent_class)->finalize (object);
}

static void
gst_compositor_layout_pad_class_init (GstCompositorLayoutPadClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->set_property = gst_compositor_layout_pad_set_property;
  gobject_class->get_property = gst_compositor_layout_pad_get_property;
  gobject_class->finalize = gst_compositor_layout_pad_finalize;

  /**
   * GstCompositorLayoutPad:participant:
   *
   * The participant id of this pad. Video pads default to the pad name;
   * audio pads default to none (not in the layout). Setting it recomputes
   * the layout.
   */
  g_object_class_install_property (gobject_class, PROP_PAD_PARTICIPANT,
      g_param_spec_string ("participant", "Participant",
          "Participant id of this input (video pads: default the pad name; "
          "audio pads: default none, not in the layout)", NULL,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));
}

static void
gst_compositor_layout_pad_init (GstCompositorLayoutPad * pad)
{
}

/* ---- the element ---- */

#define gst_compositor_layout_parent_class parent_class
G_DEFINE_TYPE (GstCompositorLayout, gst_compositor_layout, GST_TYPE_BIN);

static void
compositorlayout_do_init (GstPlugin * plugin)
{
  GST_DEBUG_CATEGORY_INIT (compositor_layout_debug, "compositorlayout", 0,
      "Mixed recording layout");
  roomrec_element_init (plugin);
}

GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (compositorlayout, "compositorlayout",
    GST_RANK_NONE, GST_TYPE_COMPOSITOR_LAYOUT,
    compositorlayout_do_init (plugin));

static void gst_compositor_layout_dispose (GObject * object);
static void gst_compositor_layout_finalize (GObject * object);
static void gst_compositor_layout_set_property (GObject * object,
    guint prop_id, const GValue * value, GParamSpec * pspec);
static void gst_compositor_layout_get_property (GObject * object,
    guint prop_id, GValue * value, GParamSpec * pspec);
static GstPad *gst_compositor_layout_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps);
static void gst_compositor_layout_release_pad (GstElement * element,
    GstPad * pad);

static void
gst_compositor_layout_class_init (GstCompositorLayoutClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->dispose = gst_compositor_layout_dispose;
  gobject_class->finalize = gst_compositor_layout_finalize;
  gobject_class->set_property = gst_compositor_layout_set_property;
  gobject_class->get_property = gst_compositor_layout_get_property;

  /**
   * GstCompositorLayout:width:
   *
   * Width of the canvas (the output picture), in pixels.
   */
  g_object_class_install_property (gobject_class, PROP_WIDTH,
      g_param_spec_int ("width", "Width", "Width of the canvas in pixels",
          RR_LAYOUT_CANVAS_MIN, RR_LAYOUT_CANVAS_MAX, DEFAULT_WIDTH,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstCompositorLayout:height:
   *
   * Height of the canvas (the output picture), in pixels.
   */
  g_object_class_install_property (gobject_class, PROP_HEIGHT,
      g_param_spec_int ("height", "Height", "Height of the canvas in pixels",
          RR_LAYOUT_CANVAS_MIN, RR_LAYOUT_CANVAS_MAX, DEFAULT_HEIGHT,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstCompositorLayout:framerate:
   *
   * Frame rate of the output.
   */
  g_object_class_install_property (gobject_class, PROP_FRAMERATE,
      gst_param_spec_fraction ("framerate", "Frame rate",
          "Frame rate of the output", 1, 1, 240, 1, DEFAULT_FPS_N,
          DEFAULT_FPS_D, G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstCompositorLayout:background:
   *
   * Colour of the canvas where no picture is, as 0xAARRGGBB. The
   * compositor of GStreamer 1.22 draws only black, white or transparent
   * (black in I420): opaque colours are drawn as black or white, whichever
   * is nearer in brightness, and an alpha of 0 as transparent.
   */
  g_object_class_install_property (gobject_class, PROP_BACKGROUND,
      g_param_spec_uint ("background", "Background",
          "Background colour as 0xAARRGGBB (drawn as black, white or "
          "transparent, whichever is nearest)", 0, G_MAXUINT32,
          DEFAULT_BACKGROUND,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstCompositorLayout:mode:
   *
   * The layout (docs/layout.md). `custom` without a valid
   * #GstCompositorLayout:custom-layout is laid out as `grid`.
   */
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Layout mode", "How the tiles are laid out",
          GST_TYPE_COMPOSITOR_LAYOUT_MODE, DEFAULT_MODE,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstCompositorLayout:main-participant:
   *
   * floating: the participant filling the canvas (default: the first to
   * join); screen-share: the one in the big tile (default: none, the big
   * tile shows the background). Ignored by grid and custom.
   */
  g_object_class_install_property (gobject_class, PROP_MAIN_PARTICIPANT,
      g_param_spec_string ("main-participant", "Main participant",
          "Participant id of the big picture (floating, screen-share)", NULL,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstCompositorLayout:custom-layout:
   *
   * The regions of the custom mode, as a JSON array (docs/layout.md). An
   * invalid text is refused: the property keeps its value and a warning
   * message naming the JSON path of the error is posted.
   */
  g_object_class_install_property (gobject_class, PROP_CUSTOM_LAYOUT,
      g_param_spec_string ("custom-layout", "Custom layout",
          "Regions of the custom mode as a JSON array", NULL,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstCompositorLayout:latency:
   *
   * Additional latency of the compositor and the audio mixer in live mode,
   * in nanoseconds (their `latency` property).
   */
  g_object_class_install_property (gobject_class, PROP_LATENCY,
      g_param_spec_uint64 ("latency", "Latency",
          "Additional latency of the mixers in live mode (ns)", 0,
          G_MAXUINT64, DEFAULT_LATENCY,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &video_sink_template, GST_TYPE_COMPOSITOR_LAYOUT_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &audio_sink_template, GST_TYPE_COMPOSITOR_LAYOUT_PAD);
  gst_element_class_add_static_pad_template (element_class,
      &video_src_template);
  gst_element_class_add_static_pad_template (element_class,
      &audio_src_template);
  gst_element_class_set_static_metadata (element_class,
      "Compositor layout", "Filter/Editor/Video/Audio/Compositor",
      "Mixes the participants of a room into one picture (grid, floating, "
      "screen-share or custom layout) and one sound",
      "roomrec contributors <https://github.com/roomrec/roomrec>");

  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_compositor_layout_request_new_pad);
  element_class->release_pad =
      GST_DEBUG_FUNCPTR (gst_compositor_layout_release_pad);

  gst_type_mark_as_plugin_api (GST_TYPE_COMPOSITOR_LAYOUT_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_COMPOSITOR_LAYOUT_PAD, 0);
}

/* Output buffers are dropped while a src ghost pad is not linked, so that a
 * pipeline using only the video (or only the audio) does not fail with
 * not-linked. */
static GstPadProbeReturn
drop_when_unlinked (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstPad *ghost = GST_PAD (user_data);

  if (!gst_pad_is_linked (ghost))
    return GST_PAD_PROBE_DROP;
  return GST_PAD_PROBE_OK;
}

static GstPad *
add_src_ghost (GstCompositorLayout * self, GstElement * target,
    GstStaticPadTemplate * tmpl)
{
  GstPad *target_pad = gst_element_get_static_pad (target, "src");
  GstPadTemplate *templ = gst_static_pad_template_get (tmpl);
  GstPad *ghost;

  ghost = gst_ghost_pad_new_from_template (tmpl->name_template, target_pad,
      templ);
  gst_pad_add_probe (target_pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, drop_when_unlinked, ghost, NULL);
  gst_object_unref (templ);
  gst_object_unref (target_pad);
  gst_element_add_pad (GST_ELEMENT (self), ghost);
  return ghost;
}

static GstCaps *
make_video_caps (gint width, gint height, gint fps_n, gint fps_d)
{
  return gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420",
      "width", G_TYPE_INT, width, "height", G_TYPE_INT, height, "framerate",
      GST_TYPE_FRACTION, fps_n, fps_d, "pixel-aspect-ratio",
      GST_TYPE_FRACTION, 1, 1, NULL);
}

static const gchar *
background_nick (guint argb)
{
  guint r = (argb >> 16) & 0xff, g = (argb >> 8) & 0xff, b = argb & 0xff;

  if ((argb >> 24) == 0)
    return "transparent";
  /* BT.601 luma, times 1000 */
  return (299 * r + 587 * g + 114 * b) >= 128 * 1000 ? "white" : "black";
}

static void
configure_mixer (GstElement * mixer)
{
  g_object_set (mixer, "ignore-inactive-pads", TRUE, NULL);
  gst_util_set_object_arg (G_OBJECT (mixer), "start-time-selection", "first");
}

static void
gst_compositor_layout_init (GstCompositorLayout * self)
{
  GstCaps *caps;

  g_mutex_init (&self->layout_lock);
  self->width = DEFAULT_WIDTH;
  self->height = DEFAULT_HEIGHT;
  self->fps_n = DEFAULT_FPS_N;
  self->fps_d = DEFAULT_FPS_D;
  self->background = DEFAULT_BACKGROUND;
  self->mode = DEFAULT_MODE;
  self->latency = DEFAULT_LATENCY;

  self->compositor = gst_element_factory_make ("compositor", "compositor");
  self->video_caps = gst_element_factory_make ("capsfilter", "video_caps");
  self->audiomixer = gst_element_factory_make ("audiomixer", "audiomixer");
  self->audio_caps = gst_element_factory_make ("capsfilter", "audio_caps");
  if (self->compositor == NULL || self->audiomixer == NULL
      || self->video_caps == NULL || self->audio_caps == NULL) {
    /* reported when a pad is requested or the state changes */
    GST_ERROR_OBJECT (self, "compositor, audiomixer or capsfilter missing");
    gst_clear_object (&self->compositor);
    gst_clear_object (&self->video_caps);
    gst_clear_object (&self->audiomixer);
    gst_clear_object (&self->audio_caps);
    return;
  }
  gst_bin_add_many (GST_BIN (self), gst_object_ref (self->compositor),
      gst_object_ref (self->video_caps), gst_object_ref (self->audiomixer),
      gst_object_ref (self->audio_caps), NULL);

  configure_mixer (self->compositor);
  configure_mixer (self->audiomixer);
  gst_util_set_object_arg (G_OBJECT (self->compositor), "background",
      background_nick (self->background));

  caps = make_video_caps (self->width, self->height, self->fps_n, self->fps_d);
  g_object_set (self->video_caps, "caps", caps, NULL);
  gst_caps_unref (caps);
  caps = gst_caps_from_string (AUDIO_CAPS);
  g_object_set (self->audio_caps, "caps", caps, NULL);
  gst_caps_unref (caps);

  gst_element_link (self->compositor, self->video_caps);
  gst_element_link (self->audiomixer, self->audio_caps);

  self->video_src = add_src_ghost (self, self->video_caps, &video_src_template);
  self->audio_src = add_src_ghost (self, self->audio_caps, &audio_src_template);
}

static void
gst_compositor_layout_dispose (GObject * object)
{
  GstCompositorLayout *self = GST_COMPOSITOR_LAYOUT (object);

  GST_OBJECT_LOCK (self);
  self->disposing = TRUE;
  GST_OBJECT_UNLOCK (self);

  G_OBJECT_CLASS (parent_class)->dispose (object);
}

static void
gst_compositor_layout_finalize (GObject * object)
{
  GstCompositorLayout *self = GST_COMPOSITOR_LAYOUT (object);

  gst_clear_object (&self->compositor);
  gst_clear_object (&self->video_caps);
  gst_clear_object (&self->audiomixer);
  gst_clear_object (&self->audio_caps);
  g_free (self->main_participant);
  g_free (self->custom_json);
  g_clear_pointer (&self->custom, rr_layout_custom_free);
  g_free (self->last_posted);
  g_list_free (self->pads);
  g_mutex_clear (&self->layout_lock);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* ---- layout ---- */

typedef struct
{
  GstPad *mixer_pad;            /* (owned) */
  gchar *participant;           /* (owned) */
  gboolean shown;               /* first video pad of its participant */
} PadSnapshot;

static GstStructure *
layout_to_structure (const RrLayout * layout)
{
  GstStructure *s;
  GValue tiles = G_VALUE_INIT, hidden = G_VALUE_INIT;
  guint i;

  g_value_init (&tiles, GST_TYPE_ARRAY);
  g_value_init (&hidden, GST_TYPE_ARRAY);
  for (i = 0; i < layout->n_tiles; i++) {
    const RrLayoutTile *t = &layout->tiles[i];
    GValue v = G_VALUE_INIT;

    if (t->has_tile) {
      GstStructure *ts = gst_structure_new ("tile",
          "participant", G_TYPE_STRING, t->participant,
          "x", G_TYPE_INT, t->rect.x, "y", G_TYPE_INT, t->rect.y,
          "w", G_TYPE_INT, t->rect.w, "h", G_TYPE_INT, t->rect.h,
          "z", G_TYPE_INT, (gint) t->z, "main", G_TYPE_BOOLEAN, t->is_main,
          NULL);

      g_value_init (&v, GST_TYPE_STRUCTURE);
      g_value_take_boxed (&v, ts);
      gst_value_array_append_and_take_value (&tiles, &v);
    } else {
      g_value_init (&v, G_TYPE_STRING);
      g_value_set_string (&v, t->participant);
      gst_value_array_append_and_take_value (&hidden, &v);
    }
  }
  s = gst_structure_new (LAYOUT_CHANGED_NAME,
      "mode", G_TYPE_STRING, rr_layout_mode_to_string (layout->mode),
      "width", G_TYPE_INT, layout->canvas_width,
      "height", G_TYPE_INT, layout->canvas_height, NULL);
  gst_structure_take_value (s, "tiles", &tiles);
  gst_structure_take_value (s, "hidden", &hidden);
  return s;
}

static void
apply_tile (GstPad * mixer_pad, const RrLayoutTile * tile)
{
  if (tile == NULL || !tile->has_tile) {
    g_object_set (mixer_pad, "alpha", 0.0, NULL);
    return;
  }
  gst_util_set_object_arg (G_OBJECT (mixer_pad), "sizing-policy",
      tile->fit == RR_LAYOUT_FIT_LETTERBOX ? "keep-aspect-ratio" : "none");
  g_object_set (mixer_pad, "xpos", tile->rect.x, "ypos", tile->rect.y,
      "width", tile->rect.w, "height", tile->rect.h,
      "zorder", (guint) tile->z, "alpha", 1.0, NULL);
}

/* Computes the layout of the current pads and applies it to the compositor
 * pads.  The object lock is taken only to read the state; the compositor
 * pad properties are set without it. */
static void
gst_compositor_layout_relayout (GstCompositorLayout * self)
{
  GPtrArray *ids, *snaps;
  RrLayoutParams params = { 0, };
  RrLayout *layout;
  GError *error = NULL;
  GstStructure *s = NULL;
  gchar *str;
  GList *l;
  guint i;

  g_mutex_lock (&self->layout_lock);
  GST_OBJECT_LOCK (self);
  if (self->disposing || self->compositor == NULL) {
    GST_OBJECT_UNLOCK (self);
    g_mutex_unlock (&self->layout_lock);
    return;
  }
  ids = g_ptr_array_new_with_free_func (g_free);
  snaps = g_ptr_array_new ();
  for (l = self->pads; l != NULL; l = l->next) {
    GstCompositorLayoutPad *pad = l->data;
    gchar *participant;
    gboolean known = FALSE;

    GST_OBJECT_LOCK (pad);
    participant = g_strdup (pad->participant);
    GST_OBJECT_UNLOCK (pad);

    if (participant != NULL) {
      for (i = 0; i < ids->len; i++)
        if (g_str_equal (g_ptr_array_index (ids, i), participant))
          known = TRUE;
      if (!known)
        g_ptr_array_add (ids, g_strdup (participant));
    }
    if (pad->is_video && pad->mixer_pad != NULL) {
      PadSnapshot *snap = g_new0 (PadSnapshot, 1);
      guint j;

      snap->mixer_pad = gst_object_ref (pad->mixer_pad);
      snap->participant = participant;
      snap->shown = participant != NULL;
      /* a second video pad of one participant is not shown */
      for (j = 0; j < snaps->len && snap->shown; j++) {
        PadSnapshot *other = g_ptr_array_index (snaps, j);

        if (other->shown && g_str_equal (other->participant, participant))
          snap->shown = FALSE;
      }
      g_ptr_array_add (snaps, snap);
    } else {
      g_free (participant);
    }
  }

  params.mode = self->mode;
  params.canvas_width = self->width;
  params.canvas_height = self->height;
  params.participants = (const gchar * const *) ids->pdata;
  params.n_participants = ids->len;
  params.main_participant = self->main_participant;
  params.custom = self->custom;
  params.fit = RR_LAYOUT_FIT_CROP;
  if (params.mode == RR_LAYOUT_CUSTOM && params.custom == NULL) {
    GST_WARNING_OBJECT (self, "custom mode without custom-layout: grid");
    params.mode = RR_LAYOUT_GRID;
  }
  layout = rr_layout_compute (&params, &error);
  GST_OBJECT_UNLOCK (self);

  if (layout == NULL) {
    GST_WARNING_OBJECT (self, "no layout: %s", error->message);
    g_clear_error (&error);
  }

  for (i = 0; i < snaps->len; i++) {
    PadSnapshot *snap = g_ptr_array_index (snaps, i);
    const RrLayoutTile *tile = NULL;

    if (layout != NULL && snap->shown)
      tile = rr_layout_find (layout, snap->participant);
    GST_DEBUG_OBJECT (self, "%" GST_PTR_FORMAT " (%s): %d,%d %dx%d%s",
        snap->mixer_pad, GST_STR_NULL (snap->participant),
        tile ? tile->rect.x : 0, tile ? tile->rect.y : 0,
        tile ? tile->rect.w : 0, tile ? tile->rect.h : 0,
        tile && tile->has_tile ? "" : " (hidden)");
    apply_tile (snap->mixer_pad, tile);
    gst_object_unref (snap->mixer_pad);
    g_free (snap->participant);
    g_free (snap);
  }
  g_ptr_array_unref (snaps);

  if (layout != NULL) {
    s = layout_to_structure (layout);
    str = gst_structure_to_string (s);
    if (g_strcmp0 (str, self->last_posted) == 0) {
      g_free (str);
      gst_structure_free (s);
      s = NULL;
    } else {
      g_free (self->last_posted);
      self->last_posted = str;
    }
    rr_layout_free (layout);
  }
  g_ptr_array_unref (ids);
  g_mutex_unlock (&self->layout_lock);

  /* posted without our locks: a sync handler may set our properties */
  if (s != NULL) {
    GST_INFO_OBJECT (self, "layout changed: %" GST_PTR_FORMAT, s);
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self), s));
  }
}

/* ---- properties ---- */

static void
update_video_caps (GstCompositorLayout * self)
{
  GstCaps *caps;

  GST_OBJECT_LOCK (self);
  caps = make_video_caps (self->width, self->height, self->fps_n, self->fps_d);
  GST_OBJECT_UNLOCK (self);
  if (self->video_caps != NULL)
    g_object_set (self->video_caps, "caps", caps, NULL);
  gst_caps_unref (caps);
}

static void
set_custom_layout (GstCompositorLayout * self, const gchar * json)
{
  RrLayoutCustom *custom = NULL;
  GError *error = NULL;
  gint width, height;

  if (json != NULL && json[0] != '\0') {
    custom = rr_layout_custom_parse (json, -1, &error);
    if (custom == NULL) {
      GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
          (_("Invalid custom layout, the setting is ignored: %s"),
              error->message), ("custom-layout: %s", json));
      g_clear_error (&error);
      return;
    }
    GST_OBJECT_LOCK (self);
    width = self->width;
    height = self->height;
    GST_OBJECT_UNLOCK (self);
    if (!rr_layout_custom_check_canvas (custom, width, height, NULL, &error)) {
      /* pixel sizes past the canvas: the tiles are cut at its edge */
      GST_WARNING_OBJECT (self, "custom layout on %dx%d: %s", width, height,
          error->message);
      g_clear_error (&error);
    }
  }

  GST_OBJECT_LOCK (self);
  g_free (self->custom_json);
  self->custom_json = custom != NULL ? g_strdup (json) : NULL;
  g_clear_pointer (&self->custom, rr_layout_custom_free);
  self->custom = custom;
  GST_OBJECT_UNLOCK (self);
}

static void
gst_compositor_layout_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstCompositorLayout *self = GST_COMPOSITOR_LAYOUT (object);
  guint background;
  guint64 latency;

  switch (prop_id) {
    case PROP_WIDTH:
      GST_OBJECT_LOCK (self);
      self->width = g_value_get_int (value);
      GST_OBJECT_UNLOCK (self);
      update_video_caps (self);
      gst_compositor_layout_relayout (self);
      break;
    case PROP_HEIGHT:
      GST_OBJECT_LOCK (self);
      self->height = g_value_get_int (value);
      GST_OBJECT_UNLOCK (self);
      update_video_caps (self);
      gst_compositor_layout_relayout (self);
      break;
    case PROP_FRAMERATE:
      GST_OBJECT_LOCK (self);
      self->fps_n = gst_value_get_fraction_numerator (value);
      self->fps_d = gst_value_get_fraction_denominator (value);
      GST_OBJECT_UNLOCK (self);
      update_video_caps (self);
      break;
    case PROP_BACKGROUND:
      background = g_value_get_uint (value);
      GST_OBJECT_LOCK (self);
      self->background = background;
      GST_OBJECT_UNLOCK (self);
      if (self->compositor != NULL)
        gst_util_set_object_arg (G_OBJECT (self->compositor), "background",
            background_nick (background));
      break;
    case PROP_MODE:
      GST_OBJECT_LOCK (self);
      self->mode = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      gst_compositor_layout_relayout (self);
      break;
    case PROP_MAIN_PARTICIPANT:
      GST_OBJECT_LOCK (self);
      g_free (self->main_participant);
      self->main_participant = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      gst_compositor_layout_relayout (self);
      break;
    case PROP_CUSTOM_LAYOUT:
      set_custom_layout (self, g_value_get_string (value));
      gst_compositor_layout_relayout (self);
      break;
    case PROP_LATENCY:
      latency = g_value_get_uint64 (value);
      GST_OBJECT_LOCK (self);
      self->latency = latency;
      GST_OBJECT_UNLOCK (self);
      if (self->compositor != NULL) {
        g_object_set (self->compositor, "latency", latency, NULL);
        g_object_set (self->audiomixer, "latency", latency, NULL);
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_compositor_layout_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstCompositorLayout *self = GST_COMPOSITOR_LAYOUT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_WIDTH:
      g_value_set_int (value, self->width);
      break;
    case PROP_HEIGHT:
      g_value_set_int (value, self->height);
      break;
    case PROP_FRAMERATE:
      gst_value_set_fraction (value, self->fps_n, self->fps_d);
      break;
    case PROP_BACKGROUND:
      g_value_set_uint (value, self->background);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_MAIN_PARTICIPANT:
      g_value_set_string (value, self->main_participant);
      break;
    case PROP_CUSTOM_LAYOUT:
      g_value_set_string (value, self->custom_json);
      break;
    case PROP_LATENCY:
      g_value_set_uint64 (value, self->latency);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ---- pads ---- */

static gboolean
pad_name_taken (GstCompositorLayout * self, const gchar * name)
{
  GstPad *pad = gst_element_get_static_pad (GST_ELEMENT (self), name);

  if (pad == NULL)
    return FALSE;
  gst_object_unref (pad);
  return TRUE;
}

static gboolean
add_audio_chain (GstCompositorLayout * self, GstCompositorLayoutPad * pad)
{
  GstPad *sink, *src;
  gboolean ok;

  pad->convert = gst_element_factory_make ("audioconvert", NULL);
  pad->resample = gst_element_factory_make ("audioresample", NULL);
  if (pad->convert == NULL || pad->resample == NULL) {
    gst_clear_object (&pad->convert);
    gst_clear_object (&pad->resample);
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        (_("The audioconvert or audioresample element is missing; install "
                "gst-plugins-base.")), (NULL));
    return FALSE;
  }
  gst_bin_add_many (GST_BIN (self), gst_object_ref (pad->convert),
      gst_object_ref (pad->resample), NULL);
  src = gst_element_get_static_pad (pad->resample, "src");
  ok = gst_element_link (pad->convert, pad->resample)
      && gst_pad_link (src, pad->mixer_pad) == GST_PAD_LINK_OK;
  gst_object_unref (src);
  sink = gst_element_get_static_pad (pad->convert, "sink");
  gst_ghost_pad_set_target (GST_GHOST_PAD (pad), sink);
  gst_object_unref (sink);
  if (!ok) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        (_("Could not link the audio converter to the audio mixer.")), (NULL));
    gst_bin_remove_many (GST_BIN (self), pad->convert, pad->resample, NULL);
  }
  return ok;
}

static GstPad *
gst_compositor_layout_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps)
{
  GstCompositorLayout *self = GST_COMPOSITOR_LAYOUT (element);
  const gchar *tname = GST_PAD_TEMPLATE_NAME_TEMPLATE (templ);
  gboolean is_video = g_str_equal (tname, "video_%u");
  GstElement *mixer = is_video ? self->compositor : self->audiomixer;
  GstCompositorLayoutPad *pad;
  GstPad *mixer_pad;
  gchar *pad_name = NULL;
  guint index;

  if (mixer == NULL) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        (_("The compositor or audiomixer element is missing; install "
                "gst-plugins-base.")), (NULL));
    return NULL;
  }

  GST_OBJECT_LOCK (self);
  if (name != NULL) {
    if (sscanf (name, is_video ? "video_%u" : "audio_%u", &index) != 1) {
      GST_OBJECT_UNLOCK (self);
      GST_WARNING_OBJECT (self, "bad pad name %s", name);
      return NULL;
    }
    pad_name = g_strdup (name);
    if (is_video)
      self->next_video = MAX (self->next_video, index + 1);
    else
      self->next_audio = MAX (self->next_audio, index + 1);
  } else {
    index = is_video ? self->next_video++ : self->next_audio++;
    pad_name = g_strdup_printf (is_video ? "video_%u" : "audio_%u", index);
  }
  GST_OBJECT_UNLOCK (self);

  if (pad_name_taken (self, pad_name)) {
    GST_WARNING_OBJECT (self, "pad %s exists already", pad_name);
    g_free (pad_name);
    return NULL;
  }

  mixer_pad = gst_element_request_pad_simple (mixer, "sink_%u");
  if (mixer_pad == NULL) {
    GST_WARNING_OBJECT (self, "%s refused a sink pad", GST_ELEMENT_NAME
        (mixer));
    g_free (pad_name);
    return NULL;
  }
  if (is_video)
    /* hidden until the layout gives it a tile */
    g_object_set (mixer_pad, "alpha", 0.0, NULL);

  pad = g_object_new (GST_TYPE_COMPOSITOR_LAYOUT_PAD, "name", pad_name,
      "direction", GST_PAD_SINK, "template", templ, NULL);
  pad->is_video = is_video;
  pad->mixer_pad = mixer_pad;
  pad->participant = is_video ? g_strdup (pad_name) : NULL;
  g_free (pad_name);
  if (is_video) {
    gst_ghost_pad_set_target (GST_GHOST_PAD (pad), mixer_pad);
  } else if (!add_audio_chain (self, pad)) {
    gst_element_release_request_pad (mixer, mixer_pad);
    gst_object_unref (pad);
    return NULL;
  }

  GST_OBJECT_LOCK (self);
  self->pads = g_list_append (self->pads, pad);
  GST_OBJECT_UNLOCK (self);

  if (GST_STATE (self) > GST_STATE_NULL)
    gst_pad_set_active (GST_PAD (pad), TRUE);
  gst_element_add_pad (element, GST_PAD (pad));

  if (pad->convert != NULL) {
    gst_element_sync_state_with_parent (pad->convert);
    gst_element_sync_state_with_parent (pad->resample);
  }

  gst_compositor_layout_relayout (self);
  return GST_PAD (pad);
}

static void
gst_compositor_layout_release_pad (GstElement * element, GstPad * gpad)
{
  GstCompositorLayout *self = GST_COMPOSITOR_LAYOUT (element);
  GstCompositorLayoutPad *pad = GST_COMPOSITOR_LAYOUT_PAD (gpad);
  GstElement *mixer = pad->is_video ? self->compositor : self->audiomixer;
  GstObject *owner;

  GST_OBJECT_LOCK (self);
  self->pads = g_list_remove (self->pads, pad);
  GST_OBJECT_UNLOCK (self);

  gst_ghost_pad_set_target (GST_GHOST_PAD (pad), NULL);
  if (pad->mixer_pad != NULL) {
    owner = gst_object_get_parent (GST_OBJECT (pad->mixer_pad));
    if (owner != NULL) {
      if (owner == GST_OBJECT (mixer))
        gst_element_release_request_pad (mixer, pad->mixer_pad);
      gst_object_unref (owner);
    }
  }
  gst_pad_set_active (gpad, FALSE);
  if (pad->convert != NULL) {
    gst_element_set_locked_state (pad->convert, TRUE);
    gst_element_set_locked_state (pad->resample, TRUE);
    gst_element_set_state (pad->convert, GST_STATE_NULL);
    gst_element_set_state (pad->resample, GST_STATE_NULL);
    if (GST_OBJECT_PARENT (pad->convert) == GST_OBJECT (self))
      gst_bin_remove (GST_BIN (self), pad->convert);
    if (GST_OBJECT_PARENT (pad->resample) == GST_OBJECT (self))
      gst_bin_remove (GST_BIN (self), pad->resample);
  }
  gst_element_remove_pad (element, gpad);

  gst_compositor_layout_relayout (self);
}
