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
 * participant id to attach the sound to that participant. Pad properties
 * can also be given on the element, as `video_0::participant=alice` (which
 * is how gst-launch-1.0 sets them). When two video pads name the same
 * participant, only the first one is shown.
 *
 * The layout is recomputed when a pad is requested or released, when a
 * pad's participant changes and when the mode, main participant, custom
 * layout, background or canvas size changes, and applied by setting the
 * `xpos`, `ypos`, `width`, `height`, `zorder`, `alpha` and `sizing-policy`
 * properties of the compositor's sink pads; this is safe while playing,
 * from any thread. The properties of one layout are set together in the
 * compositor's `samples-selected` signal, just before it composes a frame,
 * so no frame shows some tiles moved and others not. Participants without
 * a tile are drawn with alpha 0.
 *
 * ## Fitting a picture into its tile
 *
 * Tiles of the automatic modes and custom regions with `"fit": "crop"` (the
 * default) are filled: the picture keeps its aspect ratio and what sticks
 * out of the tile is cut off, evenly on both sides. The compositor pad's
 * converter does the cutting (the source rectangle of its
 * `converter-config`, so only the kept part is scaled and nothing is
 * copied); it is set from the input's caps and the tile's size, again
 * whenever either changes (a sender changing resolution mid-stream, a new
 * layout). Custom regions
 * with `"fit": "letterbox"` show the whole picture, with bars of
 * background around it.
 *
 * ## Background, placeholders, watermarks
 *
 * #GstCompositorLayout:background is the colour of the canvas where no
 * picture is, any colour; #GstCompositorLayout:background-image (a PNG or
 * JPEG file) covers the canvas instead, keeping its aspect ratio (cut like a
 * `crop` tile). A participant who has sound (an audio pad whose
 * `participant` is set) but no video pad takes a tile like the others; it
 * shows #GstCompositorLayout:placeholder-image, or else the participant id
 * as text on a shade of the background colour. Placeholders come and go
 * with the participants, while playing.
 * #GstCompositorLayout:watermarks (TRTC's MixWatermark as JSON) are images
 * drawn over everything, each scaled to its rectangle, with their alpha.
 *
 * The background and the placeholders are still pictures fed into the
 * compositor by sources inside the bin, one frame per output frame. They
 * wait for the first data on any sink pad, then run live (paced by the
 * clock) when an input of the room is live (a LATENCY query upstream of
 * the sink pads), and otherwise as fast as the compositor takes them but
 * at most 3 s (or 90 frames) ahead of the running time the inputs have
 * reached. When every sink pad that is linked or has had data has had EOS,
 * they end too, at the running time where the last input ended, so that
 * the mixed picture ends (gst-launch-1.0 -e finishes its file). Not live,
 * the picture of a room whose last inputs are sound only may go on after
 * the sound for as long as a video encoder downstream holds frames back
 * (x264enc's lookahead); live rooms end together. With a black background,
 * no background image and nobody audio-only there are no such sources.
 *
 * Images are read when the element goes from READY to PAUSED; an image
 * that cannot be read, or watermarks that are not valid, are reported with
 * a warning message (the file, or the JSON path of the error) and left out:
 * the room is recorded all the same. The text of a placeholder is drawn
 * with `rsvgdec` (librsvg: any script the installed fonts have); without
 * it a placeholder is only the shaded tile.
 *
 * ## Live inputs
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
 * structures with `participant` (string), `x`, `y`, `w`, `h`, `z` (int),
 * `main` and `placeholder` (boolean, TRUE for an audio-only participant))
 * and `hidden` (an array of the participant ids that get no tile).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -e compositorlayout name=mix width=1280 height=720 \
 *     background=0xff3366cc ! videoconvert ! x264enc ! mp4mux ! \
 *     filesink location=grid.mp4 \
 *     videotestsrc num-buffers=60 pattern=ball ! mix.video_0 \
 *     videotestsrc num-buffers=60 pattern=smpte ! mix.video_1
 * ]| Two pictures side by side in a 1280x720 H.264 MP4, each cut to its
 * 640x720 tile, on a blue background.
 * |[
 * gst-launch-1.0 -e compositorlayout name=mix audio_0::participant=bob \
 *     mix.video_src ! videoconvert ! x264enc tune=zerolatency ! \
 *     mp4mux name=mux ! filesink location=placeholder.mp4 \
 *     mix.audio_src ! audioconvert ! avenc_aac ! mux. \
 *     videotestsrc num-buffers=90 ! mix.video_0 \
 *     audiotestsrc num-buffers=150 ! mix.audio_0
 * ]| video_0 and bob, who has only sound: bob's tile shows his name (his
 * sound lasts 0.2 s longer than video_0's picture; the zero-latency x264enc
 * holds no frames back, so the picture ends with the sound).
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=1 pattern=smpte ! \
 *     video/x-raw,width=200,height=100 ! pngenc ! filesink location=logo.png
 * gst-launch-1.0 compositorlayout name=mix mode=floating \
 *     main-participant=video_1 \
 *     watermarks='[{"image":"logo.png","top":10,"left":10,"width":200,"height":100}]' \
 *     ! videoconvert ! autovideosink \
 *     videotestsrc is-live=true ! mix.video_0 \
 *     videotestsrc is-live=true pattern=ball ! mix.video_1
 * ]| video_1 fills the canvas, video_0 floats over it at the bottom left,
 * a logo at the top left.
 * |[
 * gst-launch-1.0 compositorlayout name=mix mode=custom \
 *     custom-layout='[{"x":0,"y":0,"w":"50%","h":"100%","slot":0},{"x":"50%","y":"25%","w":"50%","h":"50%","slot":1,"fit":"letterbox"}]' \
 *     mix.video_src ! videoconvert ! autovideosink \
 *     mix.audio_src ! autoaudiosink \
 *     videotestsrc is-live=true ! mix.video_0 \
 *     videotestsrc is-live=true pattern=ball ! mix.video_1 \
 *     audiotestsrc is-live=true ! mix.audio_0
 * ]| A custom layout, with sound: video_1 letterboxed (bars of background
 * above and below it) in the right half.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <gio/gio.h>
#include <gst/base/gstpushsrc.h>
#include <gst/video/video.h>

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

/* How long reading one picture may take. */
#define DECODE_TIMEOUT (10 * GST_SECOND)
/* Not live, the still pictures run at most this far ahead of the inputs
 * (of the running time the sink pads have reached): 3 s or 90 frames,
 * whichever is longer.  Far enough for the frames an encoder holds back
 * before a muxer lets the sound go on (x264enc's lookahead: about 50
 * frames), short enough that the picture of an audio-only room does not
 * run away from its sound. */
#define STILL_AHEAD_TIME (3 * GST_SECOND)
#define STILL_AHEAD_FRAMES 90
/* Longer participant ids are cut on a placeholder. */
#define MAX_SHOWN_CHARS 40

/* Pictures made or read here are in this format (BGRA on little endian):
 * the one GstVideoOverlayComposition blends. */
#define PICTURE_FORMAT GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB

enum
{
  PROP_0,
  PROP_WIDTH,
  PROP_HEIGHT,
  PROP_FRAMERATE,
  PROP_BACKGROUND,
  PROP_BACKGROUND_IMAGE,
  PROP_PLACEHOLDER_IMAGE,
  PROP_WATERMARKS,
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

/* ------------------------------------------------------------------ */
/* pictures                                                            */

/* One still picture: @width x @height of @fill, with @image covering it
 * (cut to its aspect ratio) or else @text centred on it.  Immutable once
 * made; shared by reference. */
typedef struct
{
  gint ref_count;
  gint width, height;
  guint32 fill;                 /* 0xRRGGBB */
  GstSample *image;             /* PICTURE_FORMAT, or NULL */
  gchar *text;                  /* or NULL */
  guint32 text_rgb;
} StillContent;

static StillContent *
still_content_new (gint width, gint height, guint32 fill, GstSample * image,
    const gchar * text, guint32 text_rgb)
{
  StillContent *c = g_new0 (StillContent, 1);

  c->ref_count = 1;
  c->width = MAX (width, 2);
  c->height = MAX (height, 2);
  c->fill = fill & 0xffffff;
  c->image = image ? gst_sample_ref (image) : NULL;
  c->text = g_strdup (text);
  c->text_rgb = text_rgb & 0xffffff;
  return c;
}

static StillContent *
still_content_ref (StillContent * c)
{
  g_atomic_int_inc (&c->ref_count);
  return c;
}

static void
still_content_unref (StillContent * c)
{
  if (c == NULL || !g_atomic_int_dec_and_test (&c->ref_count))
    return;
  if (c->image)
    gst_sample_unref (c->image);
  g_free (c->text);
  g_free (c);
}

static gboolean
still_content_equal (const StillContent * a, const StillContent * b)
{
  return a != NULL && b != NULL && a->width == b->width
      && a->height == b->height && a->fill == b->fill && a->image == b->image
      && g_strcmp0 (a->text, b->text) == 0 && a->text_rgb == b->text_rgb;
}

/* 0xAARRGGBB drawn over black: the colour the I420 output shows. */
static guint32
opaque_rgb (guint argb)
{
  guint a = argb >> 24, r = (argb >> 16) & 0xff, g = (argb >> 8) & 0xff,
      b = argb & 0xff;

  r = (r * a + 127) / 255;
  g = (g * a + 127) / 255;
  b = (b * a + 127) / 255;
  return (r << 16) | (g << 8) | b;
}

/* BT.601 luma of 0xRRGGBB, 0-255 */
static guint
rgb_luma (guint32 rgb)
{
  return (299 * ((rgb >> 16) & 0xff) + 587 * ((rgb >> 8) & 0xff) +
      114 * (rgb & 0xff)) / 1000;
}

/* A placeholder tile: the background lightened (dark backgrounds) or
 * darkened (light ones) by a quarter, so that the tile shows. */
static guint32
placeholder_fill (guint32 rgb)
{
  gboolean dark = rgb_luma (rgb) < 128;
  guint32 out = 0;
  gint shift;

  for (shift = 16; shift >= 0; shift -= 8) {
    guint c = (rgb >> shift) & 0xff;

    c = dark ? c + (255 - c) / 4 : c - c / 4;
    out |= c << shift;
  }
  return out;
}

/* white on all but light fills */
static guint32
placeholder_text_rgb (guint32 fill)
{
  return rgb_luma (fill) < 150 ? 0xffffff : 0x000000;
}

/* Part of a in_w x in_h picture (pixel aspect ratio par_n/par_d) that fills
 * a w x h tile of square pixels keeping the aspect ratio, centred: what is
 * cut on each side. */
static void
cover_crop (gint in_w, gint in_h, gint par_n, gint par_d, gint w, gint h,
    gint * left, gint * right, gint * top, gint * bottom)
{
  /* display width / height of the input against the tile's */
  guint64 in_aspect = (guint64) in_w * par_n * h;
  guint64 tile_aspect = (guint64) in_h * par_d * w;
  gint keep, cut;

  *left = *right = *top = *bottom = 0;
  if (in_w <= 0 || in_h <= 0 || w <= 0 || h <= 0 || par_n <= 0 || par_d <= 0)
    return;
  if (in_aspect > tile_aspect) {
    /* wider: keep in_h * (w / h) display pixels of the width */
    keep = (gint) gst_util_uint64_scale_round ((guint64) in_h * par_d, w,
        (guint64) par_n * h);
    keep = CLAMP (keep, 1, in_w);
    cut = in_w - keep;
    *left = cut / 2;
    *right = cut - *left;
  } else if (in_aspect < tile_aspect) {
    keep = (gint) gst_util_uint64_scale_round ((guint64) in_w * par_n, h,
        (guint64) par_d * w);
    keep = CLAMP (keep, 1, in_h);
    cut = in_h - keep;
    *top = cut / 2;
    *bottom = cut - *top;
  }
}

static void
on_decodebin_pad (GstElement * decodebin, GstPad * pad, gpointer user_data)
{
  GstElement *convert = GST_ELEMENT (user_data);
  GstPad *sink = gst_element_get_static_pad (convert, "sink");
  GstCaps *caps = gst_pad_get_current_caps (pad);

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  if (!gst_pad_is_linked (sink) && caps != NULL && !gst_caps_is_empty (caps)
      && g_str_has_prefix (gst_structure_get_name (gst_caps_get_structure
              (caps, 0)), "video/"))
    gst_pad_link (pad, sink);
  if (caps)
    gst_caps_unref (caps);
  gst_object_unref (sink);
}

/* Reads one picture, from @location (a file or a URI) or from @svg (an SVG
 * document in memory), into a sample of PICTURE_FORMAT at its own size.
 * Runs a small pipeline of its own and blocks until it has the picture
 * (at most DECODE_TIMEOUT): call it from the application thread or from a
 * thread of this element's own, never from a streaming thread of the
 * room. */
static GstSample *
decode_picture (const gchar * location, GBytes * svg, GError ** error)
{
  GstElement *pipeline, *src, *dec, *convert, *filter, *sink;
  GstSample *sample = NULL;
  GstCaps *caps;
  GstBus *bus;
  GstClockTime end;
  gboolean done = FALSE;

  if (svg == NULL && !gst_uri_is_valid (location)
      && !g_file_test (location, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
        "no such file");
    return NULL;
  }

  pipeline = gst_pipeline_new (NULL);
  if (svg != NULL) {
    GInputStream *stream = g_memory_input_stream_new_from_bytes (svg);

    src = gst_element_factory_make ("giostreamsrc", NULL);
    if (src)
      g_object_set (src, "stream", stream, NULL);
    g_object_unref (stream);
    dec = gst_element_factory_make ("rsvgdec", NULL);
  } else {
    if (gst_uri_is_valid (location))
      src = gst_element_make_from_uri (GST_URI_SRC, location, NULL, NULL);
    else if ((src = gst_element_factory_make ("filesrc", NULL)))
      g_object_set (src, "location", location, NULL);
    dec = gst_element_factory_make ("decodebin", NULL);
  }
  convert = gst_element_factory_make ("videoconvert", NULL);
  filter = gst_element_factory_make ("capsfilter", NULL);
  sink = gst_element_factory_make ("fakesink", NULL);
  if (src == NULL || dec == NULL || convert == NULL || filter == NULL
      || sink == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "%s is missing", src == NULL ? "a source for it" : dec == NULL ?
        (svg ? "the rsvgdec element" : "the decodebin element") :
        "videoconvert, capsfilter or fakesink");
    gst_clear_object (&src);
    gst_clear_object (&dec);
    gst_clear_object (&convert);
    gst_clear_object (&filter);
    gst_clear_object (&sink);
    gst_object_unref (pipeline);
    return NULL;
  }
  caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
      gst_video_format_to_string (PICTURE_FORMAT), NULL);
  g_object_set (filter, "caps", caps, NULL);
  gst_caps_unref (caps);
  g_object_set (sink, "sync", FALSE, "enable-last-sample", TRUE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, dec, convert, filter, sink, NULL);
  if (!gst_element_link (src, dec)
      || !gst_element_link_many (convert, filter, sink, NULL)
      || (svg != NULL && !gst_element_link (dec, convert))) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "cannot link the decoder");
    gst_object_unref (pipeline);
    return NULL;
  }
  if (svg == NULL)
    g_signal_connect_object (dec, "pad-added", G_CALLBACK (on_decodebin_pad),
        convert, 0);

  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PAUSED);
  end = gst_util_get_timestamp () + DECODE_TIMEOUT;
  while (!done) {
    GstClockTime now = gst_util_get_timestamp ();
    GstMessage *msg = now < end ? gst_bus_timed_pop_filtered (bus, end - now,
        GST_MESSAGE_ASYNC_DONE | GST_MESSAGE_ERROR | GST_MESSAGE_EOS) : NULL;

    if (msg == NULL) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
          "no picture after %u s", (guint) (DECODE_TIMEOUT / GST_SECOND));
      break;
    }
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_ERROR:
        gst_message_parse_error (msg, error, NULL);
        done = TRUE;
        break;
      case GST_MESSAGE_EOS:
        g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
            "the file holds no picture");
        done = TRUE;
        break;
      default:
        if (GST_MESSAGE_SRC (msg) == GST_OBJECT (pipeline)) {
          g_object_get (sink, "last-sample", &sample, NULL);
          if (sample == NULL)
            g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
                "the file holds no picture");
          done = TRUE;
        }
        break;
    }
    gst_message_unref (msg);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return sample;
}

/* @pic (PICTURE_FORMAT) scaled to @width x @height, first cut to that
 * aspect ratio when @cover (else stretched), as a buffer with a
 * GstVideoMeta (what a GstVideoOverlayRectangle wants). */
static GstBuffer *
scale_picture (GstSample * pic, gboolean cover, gint width, gint height)
{
  GstVideoInfo in_info, out_info;
  GstVideoFrame in_frame, out_frame;
  GstVideoConverter *conv;
  GstStructure *config;
  GstBuffer *out;
  gint left, right, top, bottom;

  if (!gst_video_info_from_caps (&in_info, gst_sample_get_caps (pic))
      || GST_VIDEO_INFO_FORMAT (&in_info) != PICTURE_FORMAT)
    return NULL;
  cover_crop (GST_VIDEO_INFO_WIDTH (&in_info),
      GST_VIDEO_INFO_HEIGHT (&in_info), GST_VIDEO_INFO_PAR_N (&in_info),
      GST_VIDEO_INFO_PAR_D (&in_info), width, height, &left, &right, &top,
      &bottom);
  if (!cover)
    left = right = top = bottom = 0;
  gst_video_info_set_format (&out_info, PICTURE_FORMAT, width, height);
  out = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&out_info), NULL);
  gst_buffer_add_video_meta_full (out, GST_VIDEO_FRAME_FLAG_NONE,
      PICTURE_FORMAT, width, height, GST_VIDEO_INFO_N_PLANES (&out_info),
      out_info.offset, out_info.stride);
  if (!gst_video_frame_map (&in_frame, &in_info, gst_sample_get_buffer (pic),
          GST_MAP_READ)) {
    gst_buffer_unref (out);
    return NULL;
  }
  gst_video_frame_map (&out_frame, &out_info, out, GST_MAP_WRITE);
  config = gst_structure_new ("GstVideoConverter",
      GST_VIDEO_CONVERTER_OPT_SRC_X, G_TYPE_INT, left,
      GST_VIDEO_CONVERTER_OPT_SRC_Y, G_TYPE_INT, top,
      GST_VIDEO_CONVERTER_OPT_SRC_WIDTH, G_TYPE_INT,
      GST_VIDEO_INFO_WIDTH (&in_info) - left - right,
      GST_VIDEO_CONVERTER_OPT_SRC_HEIGHT, G_TYPE_INT,
      GST_VIDEO_INFO_HEIGHT (&in_info) - top - bottom, NULL);
  conv = gst_video_converter_new (&in_info, &out_info, config);
  gst_video_converter_frame (conv, &in_frame, &out_frame);
  gst_video_converter_free (conv);
  gst_video_frame_unmap (&out_frame);
  gst_video_frame_unmap (&in_frame);
  return out;
}

/* Fills @frame with 0xRRGGBB, converted the way the frame's colorimetry
 * says. */
static void
fill_frame (GstVideoFrame * frame, guint32 rgb)
{
  GstVideoInfo patch_info, yuv_info;
  GstVideoFrame patch, yuv;
  GstBuffer *patch_buf, *yuv_buf;
  GstVideoConverter *conv;
  guint8 *px;
  guint i, c;
  gint x, y;

  /* convert a small patch of the colour, then repeat its samples */
  gst_video_info_set_format (&patch_info, PICTURE_FORMAT, 16, 16);
  yuv_info = frame->info;
  gst_video_info_set_format (&yuv_info, GST_VIDEO_FRAME_FORMAT (frame), 16, 16);
  yuv_info.colorimetry = frame->info.colorimetry;
  yuv_info.chroma_site = frame->info.chroma_site;
  patch_buf = gst_buffer_new_allocate (NULL, patch_info.size, NULL);
  yuv_buf = gst_buffer_new_allocate (NULL, yuv_info.size, NULL);
  gst_video_frame_map (&patch, &patch_info, patch_buf, GST_MAP_WRITE);
  gst_video_frame_map (&yuv, &yuv_info, yuv_buf, GST_MAP_WRITE);
  for (y = 0; y < 16; y++) {
    px = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&patch, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&patch, 0);
    for (x = 0; x < 16; x++) {
      /* B, G, R, A in memory on little endian; A, R, G, B on big */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
      px[4 * x] = rgb & 0xff;
      px[4 * x + 1] = (rgb >> 8) & 0xff;
      px[4 * x + 2] = (rgb >> 16) & 0xff;
      px[4 * x + 3] = 0xff;
#else
      px[4 * x] = 0xff;
      px[4 * x + 1] = (rgb >> 16) & 0xff;
      px[4 * x + 2] = (rgb >> 8) & 0xff;
      px[4 * x + 3] = rgb & 0xff;
#endif
    }
  }
  conv = gst_video_converter_new (&patch_info, &yuv_info, NULL);
  gst_video_converter_frame (conv, &patch, &yuv);
  gst_video_converter_free (conv);

  /* every component plane of a planar format: one byte per sample */
  for (c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (frame); c++) {
    guint8 value = *(guint8 *) GST_VIDEO_FRAME_COMP_DATA (&yuv, c);
    gint w = GST_VIDEO_FRAME_COMP_WIDTH (frame, c);
    gint h = GST_VIDEO_FRAME_COMP_HEIGHT (frame, c);
    gint stride = GST_VIDEO_FRAME_COMP_STRIDE (frame, c);
    guint8 *data = GST_VIDEO_FRAME_COMP_DATA (frame, c);

    for (i = 0; i < (guint) h; i++)
      memset (data + i * stride, value, w);
  }
  gst_video_frame_unmap (&yuv);
  gst_video_frame_unmap (&patch);
  gst_buffer_unref (yuv_buf);
  gst_buffer_unref (patch_buf);
}

static void
blend_picture (GstVideoFrame * frame, GstBuffer * pic, gint x, gint y,
    gint width, gint height)
{
  GstVideoOverlayRectangle *rect;
  GstVideoOverlayComposition *comp;

  rect = gst_video_overlay_rectangle_new_raw (pic, x, y, width, height,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  comp = gst_video_overlay_composition_new (rect);
  gst_video_overlay_composition_blend (comp, frame);
  gst_video_overlay_composition_unref (comp);
  gst_video_overlay_rectangle_unref (rect);
}

/* An SVG document showing @text (cut to MAX_SHOWN_CHARS) centred on a
 * transparent @width x @height picture, as large as fits. */
static GBytes *
text_svg (const gchar * text, gint width, gint height, guint32 rgb)
{
  GString *shown = g_string_new (NULL);
  const gchar *p;
  gchar *escaped, *svg;
  glong n = 0;
  gint size;

  /* control characters are not allowed in XML: spaces */
  for (p = text; *p != '\0' && n < MAX_SHOWN_CHARS;
      p = g_utf8_next_char (p), n++) {
    gunichar c = g_utf8_get_char (p);

    g_string_append_unichar (shown, g_unichar_iscntrl (c) ? ' ' : c);
  }
  if (*p != '\0') {
    g_string_truncate (shown, g_utf8_offset_to_pointer (shown->str,
            MAX_SHOWN_CHARS - 1) - shown->str);
    g_string_append (shown, "\xe2\x80\xa6");    /* … */
  }
  escaped = g_markup_escape_text (shown->str, -1);
  /* glyphs are about 0.6 em wide: 1.5 / n of the width keeps 10% free */
  size = MIN (height / 5, (gint) (width * 3 / (2 * MAX (n, 1))));
  size = MAX (size, 4);
  svg = g_strdup_printf ("<svg xmlns=\"http://www.w3.org/2000/svg\" "
      "width=\"%d\" height=\"%d\"><text x=\"%d\" y=\"%d\" "
      "font-family=\"sans-serif\" font-size=\"%d\" fill=\"#%06x\" "
      "text-anchor=\"middle\" dominant-baseline=\"central\">%s</text></svg>",
      width, height, width / 2, height / 2, size, rgb & 0xffffff, escaped);
  g_free (escaped);
  g_string_free (shown, TRUE);
  return g_bytes_new_take (svg, strlen (svg));
}

/* Draws @c into a new I420 buffer; @info gets its video info. */
static GstBuffer *
render_content (GstObject * obj, const StillContent * c, gint fps_n,
    gint fps_d, GstVideoInfo * info)
{
  GstVideoFrame frame;
  GstBuffer *buf, *pic = NULL;

  gst_video_info_set_format (info, GST_VIDEO_FORMAT_I420, c->width, c->height);
  GST_VIDEO_INFO_FPS_N (info) = fps_n;
  GST_VIDEO_INFO_FPS_D (info) = fps_d;
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (info), NULL);
  gst_video_frame_map (&frame, info, buf, GST_MAP_WRITE);
  fill_frame (&frame, c->fill);

  if (c->image != NULL) {
    pic = scale_picture (c->image, TRUE, c->width, c->height);
  } else if (c->text != NULL && c->text[0] != '\0') {
    GBytes *svg = text_svg (c->text, c->width, c->height, c->text_rgb);
    GError *error = NULL;
    GstSample *sample = decode_picture (NULL, svg, &error);

    if (sample != NULL) {
      pic = scale_picture (sample, FALSE, c->width, c->height);
      gst_sample_unref (sample);
    } else {
      GST_WARNING_OBJECT (obj, "cannot draw the text \"%s\": %s", c->text,
          error->message);
      g_clear_error (&error);
    }
    g_bytes_unref (svg);
  }
  if (pic != NULL) {
    blend_picture (&frame, pic, 0, 0, c->width, c->height);
    gst_buffer_unref (pic);
  }
  gst_video_frame_unmap (&frame);
  return buf;
}

/* ------------------------------------------------------------------ */
/* the still source: one picture, over and over                        */

/* A source inside the bin that feeds a still picture (the background, a
 * placeholder) into a compositor pad, one frame per output frame.  It
 * waits until the room has started (the first data on any sink pad of
 * the bin), then runs live (each frame at its running time on the clock)
 * when the room is live and as fast as the compositor takes the frames
 * otherwise, and ends (EOS) when the room has ended.  The room state only
 * goes forward until the bin goes to PAUSED again (still_reset).  The
 * picture can be changed from any thread; it is drawn in the source's own
 * streaming thread. */
#define GST_TYPE_COMPOSITOR_LAYOUT_STILL \
    (gst_compositor_layout_still_get_type ())
G_DECLARE_FINAL_TYPE (GstCompositorLayoutStill, gst_compositor_layout_still,
    GST, COMPOSITOR_LAYOUT_STILL, GstPushSrc);

struct _GstCompositorLayoutStill
{
  GstPushSrc parent;

  GMutex lock;
  GCond cond;
  /* lock */
  StillContent *content;        /* what to show (owned) */
  gboolean content_changed;
  gint fps_n, fps_d;
  gboolean started;             /* the room has started */
  gboolean live;                /* and is live */
  GstClockTime end_time;        /* the room has ended: EOS at this running
                                 * time; NONE before */
  GstClockTime progress;        /* running time the inputs have reached */
  gboolean waiting;             /* for progress */
  gboolean flushing;
  GstClockID clock_id;

  /* streaming thread */
  GstBuffer *frame;
  GstVideoInfo info;
  guint64 n_frames;
  GstClockTime offset;          /* running time of frame 0 */
};

static GstStaticPadTemplate still_src_template =
GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw, format=(string)I420"));

G_DEFINE_TYPE (GstCompositorLayoutStill, gst_compositor_layout_still,
    GST_TYPE_PUSH_SRC);

static void
still_set_content (GstCompositorLayoutStill * still, StillContent * content)
{
  StillContent *old = NULL;

  g_mutex_lock (&still->lock);
  if (!still_content_equal (still->content, content)) {
    old = still->content;
    still->content = still_content_ref (content);
    still->content_changed = TRUE;
    g_cond_broadcast (&still->cond);
  }
  g_mutex_unlock (&still->lock);
  still_content_unref (old);
}

static void
still_set_framerate (GstCompositorLayoutStill * still, gint fps_n, gint fps_d)
{
  g_mutex_lock (&still->lock);
  still->fps_n = fps_n;
  still->fps_d = fps_d;
  g_mutex_unlock (&still->lock);
}

/* The room has started (@live or not) and/or ended at the running time
 * @end_time (valid); what is already known stays known. */
static void
still_update (GstCompositorLayoutStill * still, gboolean started,
    gboolean live, GstClockTime end_time)
{
  g_mutex_lock (&still->lock);
  if (started && !still->started) {
    still->started = TRUE;
    still->live = live;
  }
  if (GST_CLOCK_TIME_IS_VALID (end_time)
      && !GST_CLOCK_TIME_IS_VALID (still->end_time)) {
    still->end_time = end_time;
    if (still->clock_id)
      gst_clock_id_unschedule (still->clock_id);
  }
  g_cond_broadcast (&still->cond);
  g_mutex_unlock (&still->lock);
}

/* The inputs have reached the running time @progress. */
static void
still_progress (GstCompositorLayoutStill * still, GstClockTime progress)
{
  g_mutex_lock (&still->lock);
  if (!GST_CLOCK_TIME_IS_VALID (still->progress)
      || progress > still->progress) {
    still->progress = progress;
    if (still->waiting)
      g_cond_broadcast (&still->cond);
  }
  g_mutex_unlock (&still->lock);
}

/* A new run (READY to PAUSED): wait for the room again. */
static void
still_reset (GstCompositorLayoutStill * still)
{
  g_mutex_lock (&still->lock);
  still->started = FALSE;
  still->live = FALSE;
  still->end_time = GST_CLOCK_TIME_NONE;
  still->progress = GST_CLOCK_TIME_NONE;
  g_mutex_unlock (&still->lock);
}

static gboolean
gst_compositor_layout_still_start (GstBaseSrc * src)
{
  GstCompositorLayoutStill *still = GST_COMPOSITOR_LAYOUT_STILL (src);

  g_mutex_lock (&still->lock);
  still->flushing = FALSE;
  still->content_changed = TRUE;
  g_mutex_unlock (&still->lock);
  gst_clear_buffer (&still->frame);
  still->n_frames = 0;
  still->offset = 0;
  return TRUE;
}

static gboolean
gst_compositor_layout_still_stop (GstBaseSrc * src)
{
  GstCompositorLayoutStill *still = GST_COMPOSITOR_LAYOUT_STILL (src);

  gst_clear_buffer (&still->frame);
  return TRUE;
}

static gboolean
gst_compositor_layout_still_unlock (GstBaseSrc * src)
{
  GstCompositorLayoutStill *still = GST_COMPOSITOR_LAYOUT_STILL (src);

  g_mutex_lock (&still->lock);
  still->flushing = TRUE;
  if (still->clock_id)
    gst_clock_id_unschedule (still->clock_id);
  g_cond_broadcast (&still->cond);
  g_mutex_unlock (&still->lock);
  return TRUE;
}

static gboolean
gst_compositor_layout_still_unlock_stop (GstBaseSrc * src)
{
  GstCompositorLayoutStill *still = GST_COMPOSITOR_LAYOUT_STILL (src);

  g_mutex_lock (&still->lock);
  still->flushing = FALSE;
  g_mutex_unlock (&still->lock);
  return TRUE;
}

/* The caps are set in create(), from the picture. */
static gboolean
gst_compositor_layout_still_negotiate (GstBaseSrc * src)
{
  return TRUE;
}

static gboolean
gst_compositor_layout_still_query (GstBaseSrc * src, GstQuery * query)
{
  GstCompositorLayoutStill *still = GST_COMPOSITOR_LAYOUT_STILL (src);
  gboolean live;

  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    g_mutex_lock (&still->lock);
    live = still->started && still->live;
    g_mutex_unlock (&still->lock);
    gst_query_set_latency (query, live, 0, GST_CLOCK_TIME_NONE);
    return TRUE;
  }
  return GST_BASE_SRC_CLASS (gst_compositor_layout_still_parent_class)->query
      (src, query);
}

/* Whether the frame at @pts is past the end of the room; with the lock
 * held. */
static gboolean
still_past_end (GstCompositorLayoutStill * still, GstClockTime pts)
{
  return GST_CLOCK_TIME_IS_VALID (still->end_time) && pts >= still->end_time;
}

/* Waits on @clock until @time, or until unlocked (flushing, or the room
 * ended); with the lock held. */
static void
still_wait_clock (GstCompositorLayoutStill * still, GstClock * clock,
    GstClockTime time)
{
  GstClockID id = gst_clock_new_single_shot_id (clock, time);

  still->clock_id = id;
  g_mutex_unlock (&still->lock);
  gst_clock_id_wait (id, NULL);
  g_mutex_lock (&still->lock);
  still->clock_id = NULL;
  gst_clock_id_unref (id);
}

static GstFlowReturn
gst_compositor_layout_still_create (GstPushSrc * src, GstBuffer ** out)
{
  GstCompositorLayoutStill *still = GST_COMPOSITOR_LAYOUT_STILL (src);
  StillContent *content = NULL;
  GstClock *clock = NULL;
  GstClockTime base_time = 0, pts, next, dur;
  GstFlowReturn ret = GST_FLOW_OK;
  GstBuffer *buf;
  gint fps_n, fps_d;
  gboolean live;

  g_mutex_lock (&still->lock);
  while (!still->flushing && !GST_CLOCK_TIME_IS_VALID (still->end_time)
      && !(still->started && still->content != NULL))
    g_cond_wait (&still->cond, &still->lock);
  if (still->flushing) {
    g_mutex_unlock (&still->lock);
    return GST_FLOW_FLUSHING;
  }
  if (!(still->started && still->content != NULL)) {
    /* ended before it started */
    g_mutex_unlock (&still->lock);
    return GST_FLOW_EOS;
  }
  if (still->content_changed || still->frame == NULL) {
    content = still_content_ref (still->content);
    still->content_changed = FALSE;
  }
  fps_n = still->fps_n;
  fps_d = still->fps_d;
  live = still->live;
  g_mutex_unlock (&still->lock);

  if (content != NULL) {
    GstVideoInfo info;
    GstBuffer *frame = render_content (GST_OBJECT (still), content, fps_n,
        fps_d, &info);
    GstCaps *caps;

    still_content_unref (content);
    caps = gst_video_info_to_caps (&info);
    gst_caps_set_simple (caps, "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1,
        NULL);
    if (!gst_base_src_set_caps (GST_BASE_SRC (still), caps)) {
      gst_caps_unref (caps);
      gst_buffer_unref (frame);
      return GST_FLOW_NOT_NEGOTIATED;
    }
    gst_caps_unref (caps);
    gst_clear_buffer (&still->frame);
    still->frame = frame;
    still->info = info;
  }

  dur = gst_util_uint64_scale_int (GST_SECOND, fps_d, fps_n);
  if (live) {
    clock = gst_element_get_clock (GST_ELEMENT (still));
    base_time = gst_element_get_base_time (GST_ELEMENT (still));
  }
  if (still->n_frames == 0) {
    /* live: from now on; else from the start of the stream */
    still->offset = 0;
    if (clock != NULL) {
      GstClockTime now = gst_clock_get_time (clock);

      still->offset = now > base_time ? now - base_time : 0;
    }
  }
  pts = still->offset + gst_util_uint64_scale (still->n_frames,
      GST_SECOND * fps_d, fps_n);
  next = still->offset + gst_util_uint64_scale (still->n_frames + 1,
      GST_SECOND * fps_d, fps_n);

  /* up to the end of the room; live: each frame one frame early, in time
   * for the compositor; not live: not too far ahead of the inputs */
  g_mutex_lock (&still->lock);
  if (clock != NULL && still->n_frames > 0 && !still->flushing
      && !still_past_end (still, pts))
    still_wait_clock (still, clock, base_time + pts - MIN (pts, dur));
  while (!live && !still->flushing && !GST_CLOCK_TIME_IS_VALID (still->end_time)
      && (!GST_CLOCK_TIME_IS_VALID (still->progress)
          || pts > still->progress + MAX (STILL_AHEAD_TIME,
              STILL_AHEAD_FRAMES * dur))) {
    still->waiting = TRUE;
    g_cond_wait (&still->cond, &still->lock);
    still->waiting = FALSE;
  }
  if (still->flushing)
    ret = GST_FLOW_FLUSHING;
  else if (still_past_end (still, pts))
    ret = GST_FLOW_EOS;
  g_mutex_unlock (&still->lock);
  gst_clear_object (&clock);
  if (ret != GST_FLOW_OK)
    return ret;

  buf = gst_buffer_copy (still->frame);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (buf) = next - pts;
  GST_BUFFER_OFFSET (buf) = still->n_frames;
  GST_BUFFER_OFFSET_END (buf) = still->n_frames + 1;
  if (still->n_frames == 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  still->n_frames++;
  *out = buf;
  return GST_FLOW_OK;
}

static void
gst_compositor_layout_still_finalize (GObject * object)
{
  GstCompositorLayoutStill *still = GST_COMPOSITOR_LAYOUT_STILL (object);

  still_content_unref (still->content);
  gst_clear_buffer (&still->frame);
  g_mutex_clear (&still->lock);
  g_cond_clear (&still->cond);

  G_OBJECT_CLASS (gst_compositor_layout_still_parent_class)->finalize (object);
}

static void
gst_compositor_layout_still_class_init (GstCompositorLayoutStillClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS (klass);

  gobject_class->finalize = gst_compositor_layout_still_finalize;
  gst_element_class_add_static_pad_template (element_class,
      &still_src_template);
  gst_element_class_set_static_metadata (element_class,
      "Compositor layout still picture", "Source/Video",
      "A still picture of compositorlayout (its background or a "
      "placeholder)", "roomrec contributors <https://github.com/roomrec/"
      "roomrec>");
  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_compositor_layout_still_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_compositor_layout_still_stop);
  basesrc_class->unlock =
      GST_DEBUG_FUNCPTR (gst_compositor_layout_still_unlock);
  basesrc_class->unlock_stop =
      GST_DEBUG_FUNCPTR (gst_compositor_layout_still_unlock_stop);
  basesrc_class->negotiate =
      GST_DEBUG_FUNCPTR (gst_compositor_layout_still_negotiate);
  basesrc_class->query = GST_DEBUG_FUNCPTR (gst_compositor_layout_still_query);
  pushsrc_class->create =
      GST_DEBUG_FUNCPTR (gst_compositor_layout_still_create);
}

static void
gst_compositor_layout_still_init (GstCompositorLayoutStill * still)
{
  g_mutex_init (&still->lock);
  g_cond_init (&still->cond);
  still->end_time = GST_CLOCK_TIME_NONE;
  still->progress = GST_CLOCK_TIME_NONE;
  still->fps_n = DEFAULT_FPS_N;
  still->fps_d = DEFAULT_FPS_D;
  gst_base_src_set_format (GST_BASE_SRC (still), GST_FORMAT_TIME);
  gst_base_src_set_live (GST_BASE_SRC (still), FALSE);
}

/* ------------------------------------------------------------------ */
/* the element's types                                                 */

struct _GstCompositorLayoutPad
{
  GstGhostPad parent;

  /* set once before the pad is added */
  gboolean is_video;
  GstPad *mixer_pad;            /* (owned) compositor/audiomixer sink pad */
  /* video pads: the ghost pad of the compositor pad, whose converter cuts
   * the picture to its tile's aspect ratio (its converter-config's source
   * rectangle); audio pads: audioconvert ! audioresample in front of the
   * audiomixer, which converts format and channels but not the rate;
   * (owned) */
  GstElement *convert;
  GstElement *resample;

  /* serialises computing and setting the compositor pad's crop */
  GMutex crop_lock;
  gint crop[6];                 /* crop_lock: left, right, top, bottom,
                                 * input width, height set */

  /* object lock of the pad */
  gchar *participant;
  gint in_width, in_height;     /* input caps; 0 before any */
  gint in_par_n, in_par_d;
  gint tile_width, tile_height; /* 0: no tile */
  gboolean fit_crop;
  gboolean had_data;            /* since READY to PAUSED */
  gboolean eos;
  GstSegment segment;           /* of the input, TIME */
  GstClockTime end_time;        /* running time of the end of the last
                                 * buffer, NONE before */
};

/* An audio-only participant's tile. */
typedef struct
{
  GstCompositorLayoutStill *still;      /* (owned) */
  GstPad *mixer_pad;            /* (owned) its compositor pad */
  gchar *participant;           /* NULL: unused (hidden) */
  gboolean used;                /* in the relayout under way */
} Placeholder;

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
   * properties are set, elements added and no data is pushed while it is
   * held */
  GMutex layout_lock;
  gchar *last_posted;           /* layout_lock */
  GstCompositorLayoutStill *background_still;   /* layout_lock, (owned) */
  GstPad *background_pad;       /* layout_lock, (owned) */
  GPtrArray *placeholders;      /* layout_lock, Placeholder; only grows */
  guint next_still;             /* layout_lock */

  /* object lock */
  gint width;
  gint height;
  gint fps_n;
  gint fps_d;
  guint background;
  gchar *background_image;
  gchar *placeholder_image;
  gchar *watermarks_json;
  /* read at READY to PAUSED: PICTURE_FORMAT samples, the watermarks */
  GstSample *background_picture;
  GstSample *placeholder_picture;
  GstVideoOverlayComposition *watermarks;
  RrLayoutMode mode;
  gchar *main_participant;
  gchar *custom_json;
  RrLayoutCustom *custom;
  guint64 latency;
  GList *pads;                  /* GstCompositorLayoutPad, join order */
  guint next_video;
  guint next_audio;
  gboolean disposing;
  /* the room, since READY to PAUSED: first data on a sink pad; every
   * sink pad done */
  gint room_started;            /* also read atomically */
  gboolean room_live;
  GstClockTime room_end;        /* running time; NONE before the end */
  GstClockTime room_progress;   /* running time the inputs have reached */
  GPtrArray *stills;            /* every still source (refs) */

  /* compositor pad properties waiting for its next frame: pad (ref) →
   * GstStructure of the values (pending_lock; see queue_pad_props) */
  GMutex pending_lock;
  GHashTable *pending;
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
  g_mutex_clear (&pad->crop_lock);

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
   * the layout. A participant with an audio pad but no video pad gets a
   * placeholder tile.
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
  g_mutex_init (&pad->crop_lock);
  pad->in_par_n = pad->in_par_d = 1;
  pad->fit_crop = TRUE;
  gst_segment_init (&pad->segment, GST_FORMAT_TIME);
  pad->end_time = GST_CLOCK_TIME_NONE;
}

/* Cuts the input of a video pad to its tile's aspect ratio (nothing for a
 * letterbox tile, before the input's caps or without a tile) with the
 * source rectangle of its compositor pad's converter, which then scales
 * only that part: no copy, unlike a videobox in front (bench/mixed.py: 106
 * → 64 CPU s per media minute for a 9-tile grid).  The left and top cuts
 * are even: 4:2:0 converters start at even pixels.  The converter clamps
 * the rectangle to the frame, so a frame of the previous size converted
 * with a new rectangle stays inside its buffer.  Called from the pad's
 * streaming thread (caps) and from relayouts; only queues a property. */
static void
queue_pad_props (GstCompositorLayout * self, GstPad * mixer_pad,
    const gchar * first_name, ...)
    G_GNUC_NULL_TERMINATED;

     static void
         update_crop (GstCompositorLayout * self, GstCompositorLayoutPad * pad)
{
  gint crop[6] = { 0, 0, 0, 0, 0, 0 };

  if (!pad->is_video || pad->mixer_pad == NULL)
    return;
  g_mutex_lock (&pad->crop_lock);
  GST_OBJECT_LOCK (pad);
  if (pad->fit_crop)
    cover_crop (pad->in_width, pad->in_height, pad->in_par_n, pad->in_par_d,
        pad->tile_width, pad->tile_height, &crop[0], &crop[1], &crop[2],
        &crop[3]);
  crop[4] = pad->in_width;
  crop[5] = pad->in_height;
  GST_OBJECT_UNLOCK (pad);
  for (guint i = 0; i < 4; i += 2) {
    gint cut = crop[i] + crop[i + 1];

    crop[i] = (cut / 2) & ~1;
    crop[i + 1] = cut - crop[i];
  }
  if (memcmp (crop, pad->crop, sizeof (crop)) != 0) {
    GstStructure *config = NULL;
    gint in_w = crop[4], in_h = crop[5];

    GST_DEBUG_OBJECT (pad, "crop left %d right %d top %d bottom %d", crop[0],
        crop[1], crop[2], crop[3]);
    if (crop[0] || crop[1] || crop[2] || crop[3])
      config = gst_structure_new ("GstVideoConverter",
          GST_VIDEO_CONVERTER_OPT_SRC_X, G_TYPE_INT, crop[0],
          GST_VIDEO_CONVERTER_OPT_SRC_Y, G_TYPE_INT, crop[2],
          GST_VIDEO_CONVERTER_OPT_SRC_WIDTH, G_TYPE_INT,
          in_w - crop[0] - crop[1], GST_VIDEO_CONVERTER_OPT_SRC_HEIGHT,
          G_TYPE_INT, in_h - crop[2] - crop[3], NULL);
    queue_pad_props (self, pad->mixer_pad, "converter-config",
        GST_TYPE_STRUCTURE, config, NULL);
    if (config)
      gst_structure_free (config);
    memcpy (pad->crop, crop, sizeof (crop));
  }
  g_mutex_unlock (&pad->crop_lock);
}

/* ---- the element ---- */

static void gst_compositor_layout_child_proxy_init (gpointer g_iface,
    gpointer iface_data);

#define gst_compositor_layout_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstCompositorLayout, gst_compositor_layout,
    GST_TYPE_BIN, G_IMPLEMENT_INTERFACE (GST_TYPE_CHILD_PROXY,
        gst_compositor_layout_child_proxy_init));

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
static GstStateChangeReturn gst_compositor_layout_change_state (GstElement *
    element, GstStateChange transition);
static GstPad *gst_compositor_layout_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps);
static void gst_compositor_layout_release_pad (GstElement * element,
    GstPad * pad);

/* Pad properties as children ("video_0::participant=alice" in
 * gst-launch-1.0): a pad of that name first, else an element of the bin. */
static GstChildProxyInterface *parent_child_proxy_iface;

static GObject *
gst_compositor_layout_get_child_by_name (GstChildProxy * proxy,
    const gchar * name)
{
  GstPad *pad = gst_element_get_static_pad (GST_ELEMENT (proxy), name);

  if (pad != NULL) {
    if (GST_IS_COMPOSITOR_LAYOUT_PAD (pad))
      return G_OBJECT (pad);
    gst_object_unref (pad);
  }
  return parent_child_proxy_iface->get_child_by_name (proxy, name);
}

static void
gst_compositor_layout_child_proxy_init (gpointer g_iface, gpointer iface_data)
{
  GstChildProxyInterface *iface = g_iface;

  parent_child_proxy_iface = g_type_interface_peek_parent (iface);
  iface->get_child_by_name = gst_compositor_layout_get_child_by_name;
}

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
   * Colour of the canvas where no picture is, as 0xAARRGGBB; any colour.
   * The output has no alpha: the colour is drawn over black with its alpha
   * (0xff: the colour itself, 0x00: black). Placeholder tiles are a shade
   * of it. Can be changed while playing.
   */
  g_object_class_install_property (gobject_class, PROP_BACKGROUND,
      g_param_spec_uint ("background", "Background",
          "Background colour as 0xAARRGGBB (drawn over black with its alpha)",
          0, G_MAXUINT32, DEFAULT_BACKGROUND,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstCompositorLayout:background-image:
   *
   * A picture file (PNG, JPEG, or whatever decodebin reads; a URI works
   * too) covering the canvas under the tiles instead of the background
   * colour, scaled keeping its aspect ratio and cut to the canvas. Read
   * when the element goes to PAUSED; a file that cannot be read is
   * reported with a warning message and the colour is shown.
   */
  g_object_class_install_property (gobject_class, PROP_BACKGROUND_IMAGE,
      g_param_spec_string ("background-image", "Background image",
          "Picture file covering the canvas under the tiles (PNG, JPEG)",
          NULL, G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstCompositorLayout:placeholder-image:
   *
   * A picture file shown in the tile of each participant who has sound
   * but no video pad, cut to the tile like a `crop` tile. Without it (or
   * when it cannot be read, which is reported with a warning message) such
   * a tile shows the participant id as text on a shade of the background
   * colour.
   */
  g_object_class_install_property (gobject_class, PROP_PLACEHOLDER_IMAGE,
      g_param_spec_string ("placeholder-image", "Placeholder image",
          "Picture file shown in the tile of an audio-only participant "
          "(default: the participant id as text)", NULL,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstCompositorLayout:watermarks:
   *
   * Up to 25 images drawn over everything, as a JSON array (TRTC's
   * MixWatermark): `[{"image": "logo.png", "top": 10, "left": 10,
   * "width": 200, "height": 100}]`, each image scaled to its rectangle,
   * later ones on top. Read when the element goes to PAUSED: an invalid
   * text, a watermark off the canvas or an image that cannot be read is
   * reported with a warning message naming its JSON path ("$[1].width")
   * or file, and left out.
   */
  g_object_class_install_property (gobject_class, PROP_WATERMARKS,
      g_param_spec_string ("watermarks", "Watermarks",
          "Images drawn over everything, as a JSON array of {\"image\", "
          "\"top\", \"left\", \"width\", \"height\"}", NULL,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstCompositorLayout:mode:
   *
   * The layout (docs/layout.md). `custom` without a valid
   * #GstCompositorLayout:custom-layout is laid out as `grid`.
   */
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode", "Layout mode",
          GST_TYPE_COMPOSITOR_LAYOUT_MODE, DEFAULT_MODE,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstCompositorLayout:main-participant:
   *
   * floating: the participant filling the canvas (unset: the first to
   * join); screen-share: the big tile (unset: it shows the background).
   */
  g_object_class_install_property (gobject_class, PROP_MAIN_PARTICIPANT,
      g_param_spec_string ("main-participant", "Main participant",
          "Participant id filling the canvas (floating) or in the big tile "
          "(screen-share)", NULL,
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

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_compositor_layout_change_state);
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

/* Blends the watermarks onto each output picture.  The composition is
 * immutable; only taking a reference to it needs the lock. */
static GstPadProbeReturn
draw_watermarks (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstCompositorLayout *self = GST_COMPOSITOR_LAYOUT (user_data);
  GstVideoOverlayComposition *comp = NULL;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstVideoFrame frame;
  GstVideoInfo vinfo;
  GstCaps *caps;

  if (buf == NULL)
    return GST_PAD_PROBE_OK;
  GST_OBJECT_LOCK (self);
  if (self->watermarks != NULL)
    comp = gst_video_overlay_composition_ref (self->watermarks);
  GST_OBJECT_UNLOCK (self);
  if (comp == NULL)
    return GST_PAD_PROBE_OK;

  caps = gst_pad_get_current_caps (pad);
  if (caps != NULL && gst_video_info_from_caps (&vinfo, caps)) {
    buf = gst_buffer_make_writable (buf);
    GST_PAD_PROBE_INFO_DATA (info) = buf;
    if (gst_video_frame_map (&frame, &vinfo, buf, GST_MAP_READWRITE)) {
      gst_video_overlay_composition_blend (comp, &frame);
      gst_video_frame_unmap (&frame);
    }
  }
  if (caps)
    gst_caps_unref (caps);
  gst_video_overlay_composition_unref (comp);
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

static void
configure_mixer (GstElement * mixer)
{
  g_object_set (mixer, "ignore-inactive-pads", TRUE, NULL);
  gst_util_set_object_arg (G_OBJECT (mixer), "start-time-selection", "first");
}

/* The compositor pad properties of a layout (positions, sizes, z-order,
 * alpha, crop) are set together, from the compositor's samples-selected
 * signal: its own thread, after it picked the next frame's inputs and
 * before it converts and composes them.  Set one by one from another
 * thread, a frame could show half of a new layout.  Queued values of a
 * pad replace older ones of the same property.  Strings for enum
 * properties are their nicks.  Any thread. */
static void
queue_pad_props (GstCompositorLayout * self, GstPad * mixer_pad,
    const gchar * first_name, ...)
{
  GstStructure *props;
  va_list args;

  g_mutex_lock (&self->pending_lock);
  props = g_hash_table_lookup (self->pending, mixer_pad);
  if (props == NULL) {
    props = gst_structure_new_empty ("props");
    g_hash_table_insert (self->pending, gst_object_ref (mixer_pad), props);
  }
  va_start (args, first_name);
  gst_structure_set_valist (props, first_name, args);
  va_end (args);
  g_mutex_unlock (&self->pending_lock);
}

static gboolean
set_queued_prop (GQuark field, const GValue * value, gpointer pad)
{
  const gchar *name = g_quark_to_string (field);
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (pad),
      name);

  if (pspec == NULL)
    return TRUE;
  if (G_TYPE_IS_ENUM (pspec->value_type) && G_VALUE_HOLDS_STRING (value))
    gst_util_set_object_arg (G_OBJECT (pad), name, g_value_get_string (value));
  else
    g_object_set_property (G_OBJECT (pad), name, value);
  return TRUE;
}

/* the compositor's thread, before it composes a frame */
static void
apply_queued_props (GstElement * compositor, GstSegment * segment,
    GstClockTime pts, GstClockTime dts, GstClockTime duration,
    GstStructure * info, GstCompositorLayout * self)
{
  GHashTable *pending;
  GHashTableIter iter;
  gpointer pad, props;

  g_mutex_lock (&self->pending_lock);
  if (g_hash_table_size (self->pending) == 0) {
    g_mutex_unlock (&self->pending_lock);
    return;
  }
  pending = self->pending;
  self->pending = g_hash_table_new_full (NULL, NULL, gst_object_unref,
      (GDestroyNotify) gst_structure_free);
  g_mutex_unlock (&self->pending_lock);

  g_hash_table_iter_init (&iter, pending);
  while (g_hash_table_iter_next (&iter, &pad, &props))
    gst_structure_foreach (props, set_queued_prop, pad);
  g_hash_table_unref (pending);
}

/* A pad going away: what was queued for it is of no use. */
static void
drop_queued_props (GstCompositorLayout * self, GstPad * mixer_pad)
{
  g_mutex_lock (&self->pending_lock);
  g_hash_table_remove (self->pending, mixer_pad);
  g_mutex_unlock (&self->pending_lock);
}

static void
gst_compositor_layout_init (GstCompositorLayout * self)
{
  GstCaps *caps;
  GstPad *pad;

  g_mutex_init (&self->layout_lock);
  g_mutex_init (&self->pending_lock);
  self->pending = g_hash_table_new_full (NULL, NULL, gst_object_unref,
      (GDestroyNotify) gst_structure_free);
  self->width = DEFAULT_WIDTH;
  self->height = DEFAULT_HEIGHT;
  self->fps_n = DEFAULT_FPS_N;
  self->fps_d = DEFAULT_FPS_D;
  self->background = DEFAULT_BACKGROUND;
  self->mode = DEFAULT_MODE;
  self->latency = DEFAULT_LATENCY;
  self->placeholders = g_ptr_array_new ();
  self->room_end = GST_CLOCK_TIME_NONE;
  self->room_progress = GST_CLOCK_TIME_NONE;
  self->stills = g_ptr_array_new_with_free_func (gst_object_unref);

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
  g_object_set (self->compositor, "emit-signals", TRUE, NULL);
  g_signal_connect (self->compositor, "samples-selected",
      G_CALLBACK (apply_queued_props), self);
  /* the colour and image come from a still source under the tiles */
  gst_util_set_object_arg (G_OBJECT (self->compositor), "background", "black");

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

  pad = gst_element_get_static_pad (self->video_caps, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, draw_watermarks, self,
      NULL);
  gst_object_unref (pad);
}

static void
placeholder_free (gpointer data)
{
  Placeholder *ph = data;

  gst_object_unref (ph->still);
  gst_object_unref (ph->mixer_pad);
  g_free (ph->participant);
  g_free (ph);
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
  g_hash_table_unref (self->pending);
  g_mutex_clear (&self->pending_lock);
  gst_clear_object (&self->background_still);
  gst_clear_object (&self->background_pad);
  g_ptr_array_set_free_func (self->placeholders, placeholder_free);
  g_ptr_array_unref (self->placeholders);
  g_ptr_array_unref (self->stills);
  g_free (self->background_image);
  g_free (self->placeholder_image);
  g_free (self->watermarks_json);
  if (self->background_picture)
    gst_sample_unref (self->background_picture);
  if (self->placeholder_picture)
    gst_sample_unref (self->placeholder_picture);
  if (self->watermarks)
    gst_video_overlay_composition_unref (self->watermarks);
  g_free (self->main_participant);
  g_free (self->custom_json);
  g_clear_pointer (&self->custom, rr_layout_custom_free);
  g_free (self->last_posted);
  g_list_free (self->pads);
  g_mutex_clear (&self->layout_lock);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* ---- the room: started, live, ended ---- */

static gpointer
copy_object_ref (gconstpointer src, gpointer data)
{
  return gst_object_ref ((gpointer) src);
}

/* The still sources, with the object lock. */
static GPtrArray *
copy_stills (GstCompositorLayout * self)
{
  GPtrArray *stills = g_ptr_array_copy (self->stills, copy_object_ref, NULL);

  g_ptr_array_set_free_func (stills, gst_object_unref);
  return stills;
}

/* Adds a still source of the bin to the room's. */
static void
register_still (GstCompositorLayout * self, GstCompositorLayoutStill * still)
{
  gboolean started, live;
  GstClockTime end, progress;
  gint fps_n, fps_d;

  GST_OBJECT_LOCK (self);
  g_ptr_array_add (self->stills, gst_object_ref (still));
  started = self->room_started;
  live = self->room_live;
  end = self->room_end;
  progress = self->room_progress;
  fps_n = self->fps_n;
  fps_d = self->fps_d;
  GST_OBJECT_UNLOCK (self);
  still_set_framerate (still, fps_n, fps_d);
  still_update (still, started, live, end);
  if (GST_CLOCK_TIME_IS_VALID (progress))
    still_progress (still, progress);
}

/* Whether any sink pad's upstream is live (a LATENCY query). */
static gboolean
room_is_live (GstCompositorLayout * self)
{
  GPtrArray *pads = g_ptr_array_new_with_free_func (gst_object_unref);
  gboolean live = FALSE;
  GList *l;
  guint i;

  GST_OBJECT_LOCK (self);
  for (l = self->pads; l != NULL; l = l->next)
    g_ptr_array_add (pads, gst_object_ref (l->data));
  GST_OBJECT_UNLOCK (self);
  for (i = 0; i < pads->len && !live; i++) {
    GstQuery *query = gst_query_new_latency ();

    if (gst_pad_peer_query (g_ptr_array_index (pads, i), query))
      gst_query_parse_latency (query, &live, NULL, NULL);
    gst_query_unref (query);
  }
  g_ptr_array_unref (pads);
  return live;
}

/* First data on a sink pad: the still sources start (from a streaming
 * thread; only queries and signals). */
static void
room_start (GstCompositorLayout * self)
{
  GPtrArray *stills;
  gboolean live;
  guint i;

  live = room_is_live (self);
  GST_OBJECT_LOCK (self);
  if (self->room_started) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  g_atomic_int_set (&self->room_started, TRUE);
  self->room_live = live;
  stills = copy_stills (self);
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "the room has started (%s)", live ? "live" :
      "not live");
  for (i = 0; i < stills->len; i++)
    still_update (g_ptr_array_index (stills, i), TRUE, live,
        GST_CLOCK_TIME_NONE);
  g_ptr_array_unref (stills);
}

/* When every sink pad that is linked or has had data has had EOS (and
 * one at least), the still sources end where the last input ended (its
 * running time: in a pipeline that is not live, EOS on one input may
 * come long before the compositor is there), so that the picture ends. */
static void
check_room_ended (GstCompositorLayout * self)
{
  GPtrArray *stills = NULL;
  gboolean any_eos = FALSE, all = TRUE;
  GstClockTime end = 0;
  GList *l;
  guint i;

  GST_OBJECT_LOCK (self);
  if (!GST_CLOCK_TIME_IS_VALID (self->room_end)) {
    for (l = self->pads; l != NULL; l = l->next) {
      GstCompositorLayoutPad *pad = l->data;

      GST_OBJECT_LOCK (pad);
      if (pad->eos)
        any_eos = TRUE;
      else if (pad->had_data || GST_PAD_PEER (pad) != NULL)
        all = FALSE;
      if (GST_CLOCK_TIME_IS_VALID (pad->end_time))
        end = MAX (end, pad->end_time);
      GST_OBJECT_UNLOCK (pad);
    }
    if (any_eos && all) {
      self->room_end = end;
      stills = copy_stills (self);
    }
  }
  GST_OBJECT_UNLOCK (self);
  if (stills == NULL)
    return;
  GST_INFO_OBJECT (self, "every input has ended, at %" GST_TIME_FORMAT
      ": the still pictures end there", GST_TIME_ARGS (end));
  for (i = 0; i < stills->len; i++)
    still_update (g_ptr_array_index (stills, i), FALSE, FALSE, end);
  g_ptr_array_unref (stills);
}

/* A sink pad has reached the running time @end: the still sources may
 * follow (from a streaming thread, for each buffer: no allocation, short
 * locks). */
static void
room_progress (GstCompositorLayout * self, GstClockTime end)
{
  guint i;

  GST_OBJECT_LOCK (self);
  if (!GST_CLOCK_TIME_IS_VALID (self->room_progress)
      || end > self->room_progress) {
    self->room_progress = end;
    for (i = 0; i < self->stills->len; i++)
      still_progress (g_ptr_array_index (self->stills, i), end);
  }
  GST_OBJECT_UNLOCK (self);
}

/* A new run (READY to PAUSED). */
static void
reset_room (GstCompositorLayout * self)
{
  GList *l;
  guint i;

  GST_OBJECT_LOCK (self);
  g_atomic_int_set (&self->room_started, FALSE);
  self->room_live = FALSE;
  self->room_end = GST_CLOCK_TIME_NONE;
  self->room_progress = GST_CLOCK_TIME_NONE;
  for (l = self->pads; l != NULL; l = l->next) {
    GstCompositorLayoutPad *pad = l->data;

    GST_OBJECT_LOCK (pad);
    pad->had_data = FALSE;
    pad->eos = FALSE;
    gst_segment_init (&pad->segment, GST_FORMAT_TIME);
    pad->end_time = GST_CLOCK_TIME_NONE;
    GST_OBJECT_UNLOCK (pad);
  }
  for (i = 0; i < self->stills->len; i++) {
    still_reset (g_ptr_array_index (self->stills, i));
    still_set_framerate (g_ptr_array_index (self->stills, i), self->fps_n,
        self->fps_d);
  }
  GST_OBJECT_UNLOCK (self);
}

/* Watches each sink pad: its first data starts the room, its EOS may end
 * it, a video pad's caps set its crop.  Streaming thread: no blocking. */
static GstPadProbeReturn
watch_sink_pad (GstPad * gpad, GstPadProbeInfo * info, gpointer user_data)
{
  GstCompositorLayoutPad *pad = GST_COMPOSITOR_LAYOUT_PAD (gpad);
  GstCompositorLayout *self;
  GstObject *parent;

  if (info->type & (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST)) {
    GstBuffer *buf = NULL;
    GstClockTime reached = GST_CLOCK_TIME_NONE;

    if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
      buf = GST_PAD_PROBE_INFO_BUFFER (info);
    else if (gst_buffer_list_length (GST_PAD_PROBE_INFO_BUFFER_LIST (info)))
      buf = gst_buffer_list_get (GST_PAD_PROBE_INFO_BUFFER_LIST (info),
          gst_buffer_list_length (GST_PAD_PROBE_INFO_BUFFER_LIST (info)) - 1);
    GST_OBJECT_LOCK (pad);
    pad->had_data = TRUE;
    if (buf != NULL && GST_BUFFER_PTS_IS_VALID (buf)) {
      GstClockTime end = GST_BUFFER_PTS (buf);

      if (GST_BUFFER_DURATION_IS_VALID (buf))
        end += GST_BUFFER_DURATION (buf);
      end = gst_segment_to_running_time (&pad->segment, GST_FORMAT_TIME, end);
      if (GST_CLOCK_TIME_IS_VALID (end))
        pad->end_time = reached = end;
    } else if (buf != NULL) {
      /* no time to follow: the still pictures must not wait for one */
      reached = G_MAXINT64;
    }
    GST_OBJECT_UNLOCK (pad);
    /* the hot path: one atomic read */
    parent = gst_object_get_parent (GST_OBJECT (pad));
    if (parent == NULL)
      return GST_PAD_PROBE_OK;
    self = GST_COMPOSITOR_LAYOUT (parent);
    if (GST_CLOCK_TIME_IS_VALID (reached))
      room_progress (self, reached);
    if (!g_atomic_int_get (&self->room_started))
      room_start (self);
    gst_object_unref (parent);
    return GST_PAD_PROBE_OK;
  }

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    GstStructure *s;
    GstCaps *caps;

    switch (GST_EVENT_TYPE (event)) {
      case GST_EVENT_STREAM_START:
      case GST_EVENT_FLUSH_STOP:
        GST_OBJECT_LOCK (pad);
        pad->had_data = TRUE;
        pad->eos = FALSE;
        GST_OBJECT_UNLOCK (pad);
        break;
      case GST_EVENT_SEGMENT:{
        const GstSegment *segment;

        gst_event_parse_segment (event, &segment);
        if (segment->format == GST_FORMAT_TIME) {
          GST_OBJECT_LOCK (pad);
          gst_segment_copy_into (segment, &pad->segment);
          GST_OBJECT_UNLOCK (pad);
        }
        break;
      }
      case GST_EVENT_CAPS:
        gst_event_parse_caps (event, &caps);
        if (!pad->is_video || gst_caps_is_empty (caps))
          break;
        s = gst_caps_get_structure (caps, 0);
        GST_OBJECT_LOCK (pad);
        pad->had_data = TRUE;
        gst_structure_get_int (s, "width", &pad->in_width);
        gst_structure_get_int (s, "height", &pad->in_height);
        if (!gst_structure_get_fraction (s, "pixel-aspect-ratio",
                &pad->in_par_n, &pad->in_par_d) || pad->in_par_n <= 0
            || pad->in_par_d <= 0)
          pad->in_par_n = pad->in_par_d = 1;
        GST_OBJECT_UNLOCK (pad);
        parent = gst_object_get_parent (GST_OBJECT (pad));
        if (parent != NULL) {
          update_crop (GST_COMPOSITOR_LAYOUT (parent), pad);
          gst_object_unref (parent);
        }
        break;
      case GST_EVENT_EOS:
        GST_OBJECT_LOCK (pad);
        pad->eos = TRUE;
        GST_OBJECT_UNLOCK (pad);
        parent = gst_object_get_parent (GST_OBJECT (pad));
        if (parent != NULL) {
          check_room_ended (GST_COMPOSITOR_LAYOUT (parent));
          gst_object_unref (parent);
        }
        break;
      default:
        break;
    }
  }
  return GST_PAD_PROBE_OK;
}

/* ---- layout ---- */

typedef struct
{
  GstCompositorLayoutPad *pad;  /* (owned) a video pad */
  gchar *participant;           /* (owned) */
  gboolean shown;               /* first video pad of its participant */
} PadSnapshot;

/* What the still pictures are made of, read with the layout. */
typedef struct
{
  gint width, height;
  guint32 background;           /* 0xRRGGBB as shown */
  GstSample *background_picture;
  GstSample *placeholder_picture;
} StillParams;

static GstStructure *
layout_to_structure (const RrLayout * layout, GHashTable * video_ids)
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
          "placeholder", G_TYPE_BOOLEAN,
          !g_hash_table_contains (video_ids, t->participant), NULL);

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

/* Compositor pad zorders: 0 is the background, a tile of layout z is at
 * z + 1. */
static void
apply_tile (GstCompositorLayout * self, GstCompositorLayoutPad * pad,
    const RrLayoutTile * tile)
{
  GstPad *mixer_pad = pad->mixer_pad;

  GST_OBJECT_LOCK (pad);
  if (tile != NULL && tile->has_tile) {
    pad->tile_width = tile->rect.w;
    pad->tile_height = tile->rect.h;
    pad->fit_crop = tile->fit == RR_LAYOUT_FIT_CROP;
  } else {
    pad->tile_width = pad->tile_height = 0;
  }
  GST_OBJECT_UNLOCK (pad);

  if (tile == NULL || !tile->has_tile) {
    queue_pad_props (self, mixer_pad, "alpha", G_TYPE_DOUBLE, 0.0, NULL);
    return;
  }
  update_crop (self, pad);
  queue_pad_props (self, mixer_pad, "sizing-policy", G_TYPE_STRING,
      tile->fit == RR_LAYOUT_FIT_LETTERBOX ? "keep-aspect-ratio" : "none",
      "xpos", G_TYPE_INT, tile->rect.x, "ypos", G_TYPE_INT, tile->rect.y,
      "width", G_TYPE_INT, tile->rect.w, "height", G_TYPE_INT, tile->rect.h,
      "zorder", G_TYPE_UINT, (guint) tile->z + 1, "alpha", G_TYPE_DOUBLE, 1.0,
      NULL);
}

/* A new still source linked to a new compositor pad (hidden until it is
 * placed).  Without the layout lock and the object lock: adding an element
 * and changing its state post messages, and a sync bus handler may set
 * our properties. */
static GstCompositorLayoutStill *
add_still (GstCompositorLayout * self, const gchar * kind, GstPad ** mixer_pad)
{
  GstCompositorLayoutStill *still;
  StillContent *content;
  GstPad *sink, *src;
  gchar *name;

  sink = gst_element_request_pad_simple (self->compositor, "sink_%u");
  if (sink == NULL) {
    GST_WARNING_OBJECT (self, "the compositor refused a pad for a %s", kind);
    return NULL;
  }
  g_object_set (sink, "alpha", 0.0, NULL);
  name = g_strdup_printf ("%s_%u", kind, self->next_still++);
  still = g_object_new (GST_TYPE_COMPOSITOR_LAYOUT_STILL, "name", name, NULL);
  g_free (name);
  gst_object_ref_sink (still);
  /* a picture from the start: a still source without one would hold back
   * a compositor that is not live, even hidden */
  content = still_content_new (16, 16, 0, NULL, NULL, 0);
  still_set_content (still, content);
  still_content_unref (content);
  gst_bin_add (GST_BIN (self), GST_ELEMENT (still));
  src = gst_element_get_static_pad (GST_ELEMENT (still), "src");
  if (gst_pad_link (src, sink) != GST_PAD_LINK_OK)
    GST_WARNING_OBJECT (self, "cannot link %" GST_PTR_FORMAT, still);
  gst_object_unref (src);
  register_still (self, still);
  gst_element_sync_state_with_parent (GST_ELEMENT (still));
  *mixer_pad = sink;
  return still;
}

/* The background: a still source under every tile when there is a colour
 * other than black or a picture.  TRUE when it is wanted but not there
 * yet (made by the caller, without the layout lock). */
static gboolean
update_background (GstCompositorLayout * self, const StillParams * p)
{
  StillContent *content;
  gboolean wanted = p->background != 0 || p->background_picture != NULL;

  if (self->background_still == NULL)
    return wanted;
  content = still_content_new (p->width, p->height, p->background,
      p->background_picture, NULL, 0);
  still_set_content (self->background_still, content);
  still_content_unref (content);
  queue_pad_props (self, self->background_pad, "xpos", G_TYPE_INT, 0, "ypos",
      G_TYPE_INT, 0, "width", G_TYPE_INT, p->width, "height", G_TYPE_INT,
      p->height, "zorder", G_TYPE_UINT, 0, "alpha", G_TYPE_DOUBLE,
      wanted ? 1.0 : 0.0, NULL);
  return FALSE;
}

/* A placeholder for every audio-only participant with a tile; the others
 * are hidden, kept for the next one.  Returns how many placeholders are
 * missing (made by the caller, without the layout lock). */
static guint
update_placeholders (GstCompositorLayout * self, const RrLayout * layout,
    GHashTable * video_ids, const StillParams * p)
{
  guint32 fill = placeholder_fill (p->background);
  guint i, j, missing = 0;

  for (j = 0; j < self->placeholders->len; j++)
    ((Placeholder *) g_ptr_array_index (self->placeholders, j))->used = FALSE;
  /* a participant keeps its placeholder */
  for (i = 0; layout != NULL && i < layout->n_tiles; i++) {
    const RrLayoutTile *t = &layout->tiles[i];

    if (!t->has_tile || g_hash_table_contains (video_ids, t->participant))
      continue;
    for (j = 0; j < self->placeholders->len; j++) {
      Placeholder *ph = g_ptr_array_index (self->placeholders, j);

      if (g_strcmp0 (ph->participant, t->participant) == 0)
        ph->used = TRUE;
    }
  }

  for (i = 0; layout != NULL && i < layout->n_tiles; i++) {
    const RrLayoutTile *t = &layout->tiles[i];
    Placeholder *ph = NULL;
    StillContent *content;

    if (!t->has_tile || g_hash_table_contains (video_ids, t->participant))
      continue;
    for (j = 0; j < self->placeholders->len && ph == NULL; j++) {
      Placeholder *other = g_ptr_array_index (self->placeholders, j);

      if (g_strcmp0 (other->participant, t->participant) == 0)
        ph = other;
    }
    for (j = 0; j < self->placeholders->len && ph == NULL; j++) {
      Placeholder *other = g_ptr_array_index (self->placeholders, j);

      if (!other->used) {
        ph = other;
        ph->used = TRUE;
        g_free (ph->participant);
        ph->participant = g_strdup (t->participant);
      }
    }
    if (ph == NULL) {
      missing++;
      continue;
    }
    GST_DEBUG_OBJECT (self, "placeholder for %s: %d,%d %dx%d", t->participant,
        t->rect.x, t->rect.y, t->rect.w, t->rect.h);
    content = still_content_new (t->rect.w, t->rect.h, fill,
        p->placeholder_picture, t->participant, placeholder_text_rgb (fill));
    still_set_content (ph->still, content);
    still_content_unref (content);
    queue_pad_props (self, ph->mixer_pad, "xpos", G_TYPE_INT, t->rect.x,
        "ypos", G_TYPE_INT, t->rect.y, "width", G_TYPE_INT, t->rect.w,
        "height", G_TYPE_INT, t->rect.h, "zorder", G_TYPE_UINT,
        (guint) t->z + 1, "alpha", G_TYPE_DOUBLE, 1.0, NULL);
  }

  for (j = 0; j < self->placeholders->len; j++) {
    Placeholder *ph = g_ptr_array_index (self->placeholders, j);

    if (!ph->used && ph->participant != NULL) {
      GST_DEBUG_OBJECT (self, "placeholder of %s hidden", ph->participant);
      g_clear_pointer (&ph->participant, g_free);
    }
    if (!ph->used)
      queue_pad_props (self, ph->mixer_pad, "alpha", G_TYPE_DOUBLE, 0.0, NULL);
  }
  return missing;
}

/* Makes the background still source (@background) and @n_placeholders
 * unused placeholders; without the layout lock. */
static void
add_stills (GstCompositorLayout * self, gboolean background,
    guint n_placeholders)
{
  GstCompositorLayoutStill *still;
  GstPad *mixer_pad = NULL;
  guint i;

  if (background) {
    still = add_still (self, "background", &mixer_pad);
    if (still != NULL) {
      g_mutex_lock (&self->layout_lock);
      if (self->background_still == NULL) {
        self->background_still = still;
        self->background_pad = mixer_pad;
        still = NULL;
        mixer_pad = NULL;
      }
      g_mutex_unlock (&self->layout_lock);
      /* made twice at once: the second stays hidden */
      gst_clear_object (&still);
      gst_clear_object (&mixer_pad);
    }
  }
  for (i = 0; i < n_placeholders; i++) {
    Placeholder *ph;

    still = add_still (self, "placeholder", &mixer_pad);
    if (still == NULL)
      break;
    ph = g_new0 (Placeholder, 1);
    ph->still = still;
    ph->mixer_pad = mixer_pad;
    g_mutex_lock (&self->layout_lock);
    g_ptr_array_add (self->placeholders, ph);
    g_mutex_unlock (&self->layout_lock);
  }
}

/* Computes the layout of the current pads and applies it to the compositor
 * pads, the background and the placeholders.  The object lock is taken
 * only to read the state; the compositor pad properties are set without
 * it.  Returns TRUE when it had to make still sources, which a second
 * pass places. */
static gboolean
relayout_once (GstCompositorLayout * self)
{
  GPtrArray *ids, *snaps;
  gboolean missing_background;
  guint missing_placeholders;
  GHashTable *video_ids;
  RrLayoutParams params = { 0, };
  StillParams still_params = { 0, };
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
    return FALSE;
  }
  ids = g_ptr_array_new_with_free_func (g_free);
  snaps = g_ptr_array_new ();
  video_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
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
      if (pad->is_video)
        g_hash_table_add (video_ids, g_strdup (participant));
    }
    if (pad->is_video && pad->mixer_pad != NULL) {
      PadSnapshot *snap = g_new0 (PadSnapshot, 1);
      guint j;

      snap->pad = gst_object_ref (pad);
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

  still_params.width = self->width;
  still_params.height = self->height;
  still_params.background = opaque_rgb (self->background);
  if (self->background_picture)
    still_params.background_picture = gst_sample_ref (self->background_picture);
  if (self->placeholder_picture)
    still_params.placeholder_picture = gst_sample_ref
        (self->placeholder_picture);
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
        snap->pad, GST_STR_NULL (snap->participant),
        tile ? tile->rect.x : 0, tile ? tile->rect.y : 0,
        tile ? tile->rect.w : 0, tile ? tile->rect.h : 0,
        tile && tile->has_tile ? "" : " (hidden)");
    apply_tile (self, snap->pad, tile);
    gst_object_unref (snap->pad);
    g_free (snap->participant);
    g_free (snap);
  }
  g_ptr_array_unref (snaps);

  missing_background = update_background (self, &still_params);
  missing_placeholders = update_placeholders (self, layout, video_ids,
      &still_params);
  if (still_params.background_picture)
    gst_sample_unref (still_params.background_picture);
  if (still_params.placeholder_picture)
    gst_sample_unref (still_params.placeholder_picture);

  if (layout != NULL) {
    s = layout_to_structure (layout, video_ids);
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
  g_hash_table_unref (video_ids);
  g_ptr_array_unref (ids);
  g_mutex_unlock (&self->layout_lock);

  /* posted without our locks: a sync handler may set our properties */
  if (s != NULL) {
    GST_INFO_OBJECT (self, "layout changed: %" GST_PTR_FORMAT, s);
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self), s));
  }
  if (!missing_background && missing_placeholders == 0)
    return FALSE;
  add_stills (self, missing_background, missing_placeholders);
  return TRUE;
}

static void
gst_compositor_layout_relayout (GstCompositorLayout * self)
{
  guint passes = 0;

  /* a second pass places the still sources the first one made (more only
   * when another thread took them meanwhile) */
  while (relayout_once (self) && ++passes < 4);
}

/* ---- pictures read at READY to PAUSED ---- */

static GstSample *
read_picture (GstCompositorLayout * self, const gchar * location,
    const gchar * what, const gchar * instead)
{
  GError *error = NULL;
  GstSample *sample;

  if (location == NULL || location[0] == '\0')
    return NULL;
  sample = decode_picture (location, NULL, &error);
  if (sample == NULL) {
    GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ,
        (_("Could not read the %s \"%s\", %s: %s"), what, location, instead,
            error->message), ("%s: %s", location, error->message));
    g_clear_error (&error);
  }
  return sample;
}

static GstVideoOverlayComposition *
read_watermarks (GstCompositorLayout * self, const gchar * json, gint width,
    gint height)
{
  GstVideoOverlayComposition *comp = NULL;
  RrLayoutWatermarks *marks;
  GError *error = NULL;
  guint i;

  if (json == NULL || json[0] == '\0')
    return NULL;
  marks = rr_layout_watermarks_parse (json, -1, &error);
  if (marks != NULL && !rr_layout_watermarks_check (marks->marks,
          marks->n_marks, width, height, NULL, &error))
    g_clear_pointer (&marks, rr_layout_watermarks_free);
  if (marks == NULL) {
    GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
        (_("Invalid watermarks, none are drawn: %s"), error->message),
        ("watermarks: %s", json));
    g_clear_error (&error);
    return NULL;
  }

  for (i = 0; i < marks->n_marks; i++) {
    const RrLayoutWatermark *m = &marks->marks[i];
    GstSample *sample = decode_picture (m->image, NULL, &error);
    GstVideoOverlayRectangle *rect;
    GstBuffer *pic = NULL;

    if (sample != NULL) {
      pic = scale_picture (sample, FALSE, m->width, m->height);
      gst_sample_unref (sample);
    }
    if (pic == NULL) {
      GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ,
          (_("Could not read the watermark image \"%s\" ($[%u].image), it "
                  "is not drawn: %s"), m->image, i,
              error ? error->message : "not a picture"), ("watermarks: %s",
              json));
      g_clear_error (&error);
      continue;
    }
    rect = gst_video_overlay_rectangle_new_raw (pic, m->left, m->top,
        m->width, m->height, GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
    gst_buffer_unref (pic);
    if (comp == NULL)
      comp = gst_video_overlay_composition_new (rect);
    else
      gst_video_overlay_composition_add_rectangle (comp, rect);
    gst_video_overlay_rectangle_unref (rect);
  }
  GST_INFO_OBJECT (self, "%u watermarks, %u drawn", marks->n_marks,
      comp ? gst_video_overlay_composition_n_rectangles (comp) : 0);
  rr_layout_watermarks_free (marks);
  return comp;
}

/* Reads the background and placeholder pictures and the watermarks (from
 * the state change: the application thread). */
static void
read_pictures (GstCompositorLayout * self)
{
  gchar *background_image, *placeholder_image, *json;
  GstSample *background, *placeholder;
  GstVideoOverlayComposition *watermarks;
  gint width, height;

  GST_OBJECT_LOCK (self);
  background_image = g_strdup (self->background_image);
  placeholder_image = g_strdup (self->placeholder_image);
  json = g_strdup (self->watermarks_json);
  width = self->width;
  height = self->height;
  GST_OBJECT_UNLOCK (self);

  background = read_picture (self, background_image, _("background image"),
      _("the background colour is shown instead"));
  placeholder = read_picture (self, placeholder_image,
      _("placeholder image"), _("participant ids are shown instead"));
  watermarks = read_watermarks (self, json, width, height);

  GST_OBJECT_LOCK (self);
  if (self->background_picture)
    gst_sample_unref (self->background_picture);
  self->background_picture = background;
  if (self->placeholder_picture)
    gst_sample_unref (self->placeholder_picture);
  self->placeholder_picture = placeholder;
  if (self->watermarks)
    gst_video_overlay_composition_unref (self->watermarks);
  self->watermarks = watermarks;
  GST_OBJECT_UNLOCK (self);

  g_free (background_image);
  g_free (placeholder_image);
  g_free (json);
}

static GstStateChangeReturn
gst_compositor_layout_change_state (GstElement * element,
    GstStateChange transition)
{
  GstCompositorLayout *self = GST_COMPOSITOR_LAYOUT (element);

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (self->compositor == NULL) {
        GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
            (_("The compositor or audiomixer element is missing; install "
                    "gst-plugins-base.")), (NULL));
        return GST_STATE_CHANGE_FAILURE;
      }
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      reset_room (self);
      read_pictures (self);
      gst_compositor_layout_relayout (self);
      break;
    default:
      break;
  }
  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
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
set_string (GstCompositorLayout * self, gchar ** field, const GValue * value)
{
  gchar *s = g_value_dup_string (value);

  if (s != NULL && s[0] == '\0')
    g_clear_pointer (&s, g_free);
  GST_OBJECT_LOCK (self);
  g_free (*field);
  *field = s;
  GST_OBJECT_UNLOCK (self);
}

static void
gst_compositor_layout_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstCompositorLayout *self = GST_COMPOSITOR_LAYOUT (object);
  guint background;
  guint64 latency;
  GError *error = NULL;
  RrLayoutWatermarks *marks;

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
      gst_compositor_layout_relayout (self);
      break;
    case PROP_BACKGROUND_IMAGE:
      set_string (self, &self->background_image, value);
      break;
    case PROP_PLACEHOLDER_IMAGE:
      set_string (self, &self->placeholder_image, value);
      break;
    case PROP_WATERMARKS:
      set_string (self, &self->watermarks_json, value);
      /* reported with a message when going to PAUSED */
      if (g_value_get_string (value) != NULL
          && g_value_get_string (value)[0] != '\0') {
        marks = rr_layout_watermarks_parse (g_value_get_string (value), -1,
            &error);
        if (marks == NULL) {
          GST_WARNING_OBJECT (self, "watermarks: %s", error->message);
          g_clear_error (&error);
        }
        rr_layout_watermarks_free (marks);
      }
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
    case PROP_BACKGROUND_IMAGE:
      g_value_set_string (value, self->background_image);
      break;
    case PROP_PLACEHOLDER_IMAGE:
      g_value_set_string (value, self->placeholder_image);
      break;
    case PROP_WATERMARKS:
      g_value_set_string (value, self->watermarks_json);
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

/* first ! second, the ghost pad to first's sink, second's src to the
 * mixer pad; elements added to the bin (not yet in its state). */
static gboolean
add_chain (GstCompositorLayout * self, GstCompositorLayoutPad * pad,
    GstElement * first, GstElement * second)
{
  GstPad *sink, *src;
  gboolean ok;

  gst_bin_add_many (GST_BIN (self), first, second, NULL);
  src = gst_element_get_static_pad (second, "src");
  ok = gst_element_link (first, second)
      && gst_pad_link (src, pad->mixer_pad) == GST_PAD_LINK_OK;
  gst_object_unref (src);
  sink = gst_element_get_static_pad (first, "sink");
  gst_ghost_pad_set_target (GST_GHOST_PAD (pad), sink);
  gst_object_unref (sink);
  if (!ok) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        (_("Could not link the converters of an input to the mixer.")), (NULL));
    gst_bin_remove_many (GST_BIN (self), first, second, NULL);
  }
  return ok;
}

static gboolean
add_audio_chain (GstCompositorLayout * self, GstCompositorLayoutPad * pad)
{
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
  gst_object_ref_sink (pad->convert);
  gst_object_ref_sink (pad->resample);
  return add_chain (self, pad, pad->convert, pad->resample);
}

/* a video pad is the compositor pad itself: it converts and crops */
static gboolean
add_video_chain (GstCompositorLayout * self, GstCompositorLayoutPad * pad)
{
  return gst_ghost_pad_set_target (GST_GHOST_PAD (pad), pad->mixer_pad);
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
  gboolean ok;

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
  ok = is_video ? add_video_chain (self, pad) : add_audio_chain (self, pad);
  if (!ok) {
    gst_element_release_request_pad (mixer, mixer_pad);
    gst_object_unref (pad);
    return NULL;
  }
  gst_pad_add_probe (GST_PAD (pad), GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      watch_sink_pad, NULL, NULL);

  GST_OBJECT_LOCK (self);
  self->pads = g_list_append (self->pads, pad);
  GST_OBJECT_UNLOCK (self);

  if (GST_STATE (self) > GST_STATE_NULL)
    gst_pad_set_active (GST_PAD (pad), TRUE);
  gst_element_add_pad (element, GST_PAD (pad));
  gst_child_proxy_child_added (GST_CHILD_PROXY (self), G_OBJECT (pad),
      GST_OBJECT_NAME (pad));

  if (pad->convert)
    gst_element_sync_state_with_parent (pad->convert);
  if (pad->resample)
    gst_element_sync_state_with_parent (pad->resample);

  gst_compositor_layout_relayout (self);
  return GST_PAD (pad);
}

static void
remove_chain_element (GstCompositorLayout * self, GstElement * element)
{
  if (element == NULL)
    return;
  gst_element_set_locked_state (element, TRUE);
  gst_element_set_state (element, GST_STATE_NULL);
  if (GST_OBJECT_PARENT (element) == GST_OBJECT (self))
    gst_bin_remove (GST_BIN (self), element);
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
  /* released first: that unblocks a converter pushing into it */
  if (pad->mixer_pad != NULL) {
    drop_queued_props (self, pad->mixer_pad);
    owner = gst_object_get_parent (GST_OBJECT (pad->mixer_pad));
    if (owner != NULL) {
      if (owner == GST_OBJECT (mixer))
        gst_element_release_request_pad (mixer, pad->mixer_pad);
      gst_object_unref (owner);
    }
  }
  gst_pad_set_active (gpad, FALSE);
  remove_chain_element (self, pad->convert);
  remove_chain_element (self, pad->resample);
  gst_child_proxy_child_removed (GST_CHILD_PROXY (self), G_OBJECT (pad),
      GST_OBJECT_NAME (pad));
  gst_element_remove_pad (element, gpad);

  gst_compositor_layout_relayout (self);
  /* the pads left may all have ended */
  check_room_ended (self);
}
