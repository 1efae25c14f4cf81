/* roomrec — rtparchivesink: RTP in, recorded files out, no transcoding
 * Copyright (C) 2026 roomrec contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-rtparchivesink
 * @title: rtparchivesink
 * @short_description: Records RTP streams to archive files without
 *   transcoding
 * @see_also: splitmuxrec, rtpjitterbuffer, webrtcbin
 *
 * rtparchivesink takes one RTP stream per request pad (`sink_%u`,
 * `application/x-rtp` caps with `media`, `clock-rate`, `encoding-name` and
 * `payload`) and records all of them into the files of one participant
 * (connection) through an inner #splitmuxrec. Nothing is decoded or
 * re-encoded.
 *
 * Per pad the chain is: an RTP check (malformed packets, RTCP packets and
 * packets with another payload type than the caps' `payload` are dropped and
 * counted in #GstRtpArchiveSink:stats; SSRC changes, sequence number restarts
 * and payload type changes are noted), an optional `rtpjitterbuffer`
 * (#GstRtpArchiveSink:jitterbuffer, switch it off when the input comes from
 * webrtcbin, which has its own), then the depayloader chosen from the caps'
 * `encoding-name`:
 *
 * | encoding-name | depayloader |
 * |---|---|
 * | VP8 | rtpvp8depay |
 * | VP9 | rtpvp9depay |
 * | H264 | rtph264depay |
 * | H265 | rtph265depay |
 * | AV1 | rtpaomav1depay (or rtpav1depay from gst-plugins-rs) |
 * | OPUS | rtpopusdepay |
 * | PCMU | rtppcmudepay |
 * | PCMA | rtppcmadepay |
 * | MP4A-LATM | rtpmp4adepay |
 * | MPEG4-GENERIC | rtpmp4gdepay |
 *
 * Missing `media` and `clock-rate` fields are filled in for the codecs that
 * have a fixed clock rate, and `encoding-name` is matched case-insensitively,
 * so plain `application/x-rtp,encoding-name=VP8,payload=96` caps on a
 * `udpsrc` are enough.
 *
 * The parser, muxer and file handling are splitmuxrec's. All of splitmuxrec's
 * own properties (#GstRtpArchiveSink:archive-dir, `tmp-dir`, `recording-id`,
 * `room-id`, `connection-id`, `user-id`, `format`, `split-duration`,
 * `max-duration`, `max-pause`, `pli-interval`, `split-only`,
 * `max-size-bytes`, `naming`, `metadata`, ...) exist on rtparchivesink with
 * the same type, range and default and are forwarded to it; the inner
 * element itself is #GstRtpArchiveSink:recorder. One splitmuxrec sink pad is
 * requested per rtparchivesink sink pad, when the pad is requested, so
 * request all pads before data flows. splitmuxrec asks for key frames with
 * upstream force-key-unit events; they leave rtparchivesink's sink pads
 * unchanged so that webrtcbin or an RTP session turns them into RTCP
 * PLI/FIR. rtph264depay, rtpvp8depay and rtpvp9depay also get
 * `request-keyframe` and `wait-for-keyframe`.
 *
 * When the SSRC of a pad changes (sender restart), the sequence number jumps
 * by more than 3000 packets (a new stream, not 3000 lost packets) or the
 * payload type changes, a custom serialized downstream event with a
 * structure named `roomrec-stream-note` reaches splitmuxrec just before the
 * first depayloaded packet of the new stream, with the fields `what`
 * (`ssrc-changed`, `sequence-jump`, `payload-type-changed` or
 * `codec-changed`), `pad` and `old-ssrc`/`new-ssrc`,
 * `ssrc`/`old-seq`/`new-seq`, `old-pt`/`new-pt` or
 * `old-encoding-name`/`new-encoding-name`; at most 100 per pad. A change of
 * `encoding-name` on a pad that is recording is not followed: its packets are
 * dropped (a warning says so) until the caps name the first codec again.
 *
 * With the internal jitter buffer, rtpjitterbuffer resets itself on such a
 * restart and drops what it still holds of the old stream (at most
 * #GstRtpArchiveSink:latency worth of packets).
 *
 * ## Timestamps
 *
 * With the internal jitter buffer, the files follow the sender's clock: a
 * pad's first packet keeps the time it arrived, every later one is that
 * plus its RTP time since (rtpjitterbuffer alone times packets by arrival,
 * and a burst after a network stall would squeeze seconds of media into
 * milliseconds).  In the first 5 s a packet that arrives earlier than that
 * predicts moves the pad's start back (1 s at most), so a first packet held
 * up does not shift the track for good; a jump of the RTP time against the
 * arrival times (more than 3 s ahead, or back) starts over from the
 * arrival.  With `jitterbuffer=false` the upstream timestamps are kept.
 *
 * ## Messages
 *
 * The element messages of splitmuxrec (`splitmuxrec-archive-started`,
 * `splitmuxrec-archive-available`, `splitmuxrec-split-archive-available`,
 * `splitmuxrec-split-archive-end`, `splitmuxrec-archive-failed`) are posted
 * unchanged.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -e videotestsrc num-buffers=150 ! vp8enc deadline=1 ! \
 *     rtpvp8pay ! rtparchivesink name=rec archive-dir=out recording-id=demo \
 *     connection-id=alice format=webm \
 *     audiotestsrc num-buffers=250 ! opusenc ! rtpopuspay ! rec.
 * ]| Records VP8 and Opus into `out/demo/archive-alice.webm`.
 * |[
 * gst-launch-1.0 -e videotestsrc num-buffers=150 ! x264enc tune=zerolatency \
 *     key-int-max=30 ! rtph264pay ! rtparchivesink archive-dir=out \
 *     recording-id=demo connection-id=bob format=mp4
 * ]| Records H.264 into `out/demo/archive-bob.mp4`.
 * |[
 * gst-launch-1.0 -e udpsrc port=5004 \
 *     caps="application/x-rtp,encoding-name=VP8,payload=96" ! \
 *     rtparchivesink archive-dir=out recording-id=demo connection-id=carol \
 *     format=webm
 * ]| Records a VP8 stream sent to UDP port 5004 until Ctrl-C (media and
 * clock-rate are filled in for VP8).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <glib/gi18n-lib.h>

#include "gstrtparchivesink.h"
#include "gstroomrecelements.h"
#include "gstsplitmuxrec.h"
#include "core/rtpcheck.h"
#include "core/rtptime.h"

GST_DEBUG_CATEGORY_STATIC (rtp_archive_sink_debug);
#define GST_CAT_DEFAULT rtp_archive_sink_debug

#define DEFAULT_JITTERBUFFER TRUE
#define DEFAULT_LATENCY 200

/* A hostile sender must not flood the recorder's sidecar with notes. */
#define MAX_NOTES_PER_PAD 100

#define MAX_PENDING_NOTES 16

#define STREAM_NOTE_NAME "roomrec-stream-note"

enum
{
  PROP_0,
  PROP_JITTERBUFFER,
  PROP_LATENCY,
  PROP_RECORDER,
  PROP_STATS,
  PROP_FORWARD_FIRST
};

/* splitmuxrec's own properties, mirrored at class_init and forwarded to the
 * recorder: archive-dir, tmp-dir, recording-id, room-id, connection-id,
 * user-id, format, split-duration, max-duration, max-pause, pli-interval,
 * split-only, max-size-bytes, naming, metadata, ... */
#define MAX_FORWARDED 64
static GParamSpec *forwarded_pspecs[MAX_FORWARDED];
static guint n_forwarded;

typedef struct
{
  const gchar *encoding_name;
  /* first one found is used */
  const gchar *depayloaders[3];
  const gchar *media;           /* filled in when missing, or NULL */
  gint clock_rate;              /* filled in when missing, or 0 */
} RrDepayInfo;

static const RrDepayInfo depay_table[] = {
  {"VP8", {"rtpvp8depay", NULL}, "video", 90000},
  {"VP9", {"rtpvp9depay", NULL}, "video", 90000},
  {"H264", {"rtph264depay", NULL}, "video", 90000},
  {"H265", {"rtph265depay", NULL}, "video", 90000},
  {"AV1", {"rtpaomav1depay", "rtpav1depay", NULL}, "video", 90000},
  {"OPUS", {"rtpopusdepay", NULL}, "audio", 48000},
  {"PCMU", {"rtppcmudepay", NULL}, "audio", 8000},
  {"PCMA", {"rtppcmadepay", NULL}, "audio", 8000},
  {"MP4A-LATM", {"rtpmp4adepay", NULL}, "audio", 0},
  {"MPEG4-GENERIC", {"rtpmp4gdepay", NULL}, NULL, 0},
};

typedef struct
{
  GstRtpArchiveSink *sink;
  GstPad *ghost;                /* our sink_%u, owned by the element */
  gchar *name;
  GstPad *rec_pad;              /* (owned) requested splitmuxrec pad */

  /* streaming thread only (stream lock of ghost) */
  gboolean built;
  gboolean failed;
  gboolean codec_mismatch;
  gboolean has_jitterbuffer;
  guint notes_sent;

  /* streaming thread of the jitter buffer's output */
  RrRtpTime rtp_time;

  /* streaming thread of the depayloader */
  gboolean have_segment;
  GstSegment last_segment;

  /* notes waiting for their packet to leave the jitter buffer */
  GMutex notes_lock;
  GQueue pending_notes;         /* PendingNote */
  gint n_pending;               /* atomic */

  /* object lock of sink; set once by the streaming thread */
  gchar *encoding_name;
  /* object lock of sink; (owned) */
  GstElement *jitterbuffer;
  GstElement *depay;
  GstElement *queue;

  /* stats_lock of sink */
  RrRtpChecker checker;
} RrArchivePad;

struct _GstRtpArchiveSink
{
  GstBin parent;

  /* (owned) created in init, never changes */
  GstElement *recorder;

  /* object lock */
  gboolean use_jitterbuffer;
  guint latency;
  GList *pads;                  /* RrArchivePad */
  guint next_pad_index;

  /* protects the checkers of all pads */
  GMutex stats_lock;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("application/x-rtp"));

#define gst_rtp_archive_sink_parent_class parent_class
G_DEFINE_TYPE (GstRtpArchiveSink, gst_rtp_archive_sink, GST_TYPE_BIN);

static void
rtparchivesink_do_init (GstPlugin * plugin)
{
  GST_DEBUG_CATEGORY_INIT (rtp_archive_sink_debug, "rtparchivesink", 0,
      "RTP archive sink");
  roomrec_element_init (plugin);
}

GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtparchivesink, "rtparchivesink",
    GST_RANK_NONE, GST_TYPE_RTP_ARCHIVE_SINK, rtparchivesink_do_init (plugin));

static void gst_rtp_archive_sink_dispose (GObject * object);
static void gst_rtp_archive_sink_finalize (GObject * object);
static void gst_rtp_archive_sink_set_property (GObject * object,
    guint prop_id, const GValue * value, GParamSpec * pspec);
static void gst_rtp_archive_sink_get_property (GObject * object,
    guint prop_id, GValue * value, GParamSpec * pspec);
static GstPad *gst_rtp_archive_sink_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps);
static void gst_rtp_archive_sink_release_pad (GstElement * element,
    GstPad * pad);
static GstStateChangeReturn gst_rtp_archive_sink_change_state (GstElement *
    element, GstStateChange transition);

static GstFlowReturn gst_rtp_archive_sink_pad_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buffer);
static GstFlowReturn gst_rtp_archive_sink_pad_chain_list (GstPad * pad,
    GstObject * parent, GstBufferList * list);
static gboolean gst_rtp_archive_sink_pad_event (GstPad * pad,
    GstObject * parent, GstEvent * event);
static gboolean gst_rtp_archive_sink_pad_query (GstPad * pad,
    GstObject * parent, GstQuery * query);

/* splitmuxrec's class, whose archive properties are mirrored. Taken from the
 * type, not from the registry, so that it does not depend on the order in
 * which the plugin registers its elements. Kept for the lifetime of the
 * process: the copied param specs point to its strings. */
static GObjectClass *
lookup_recorder_class (void)
{
  GType type = GST_TYPE_SPLIT_MUX_REC;

  if (type == G_TYPE_INVALID)
    return NULL;
  return g_type_class_ref (type);
}

/* A new param spec with the name, blurb, type, range and default of @src. */
static GParamSpec *
copy_param_spec (GParamSpec * src)
{
  const gchar *name = g_param_spec_get_name (src);
  const gchar *nick = g_param_spec_get_nick (src);
  const gchar *blurb = g_param_spec_get_blurb (src);
  GParamFlags flags;

  flags = (src->flags & (G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          GST_PARAM_MUTABLE_PAUSED | GST_PARAM_MUTABLE_PLAYING |
          GST_PARAM_DOC_SHOW_DEFAULT)) | G_PARAM_STATIC_STRINGS;

  if (G_IS_PARAM_SPEC_STRING (src)) {
    return g_param_spec_string (name, nick, blurb,
        G_PARAM_SPEC_STRING (src)->default_value, flags);
  } else if (G_IS_PARAM_SPEC_BOOLEAN (src)) {
    return g_param_spec_boolean (name, nick, blurb,
        G_PARAM_SPEC_BOOLEAN (src)->default_value, flags);
  } else if (G_IS_PARAM_SPEC_UINT64 (src)) {
    GParamSpecUInt64 *p = G_PARAM_SPEC_UINT64 (src);
    return g_param_spec_uint64 (name, nick, blurb, p->minimum, p->maximum,
        p->default_value, flags);
  } else if (G_IS_PARAM_SPEC_INT64 (src)) {
    GParamSpecInt64 *p = G_PARAM_SPEC_INT64 (src);
    return g_param_spec_int64 (name, nick, blurb, p->minimum, p->maximum,
        p->default_value, flags);
  } else if (G_IS_PARAM_SPEC_UINT (src)) {
    GParamSpecUInt *p = G_PARAM_SPEC_UINT (src);
    return g_param_spec_uint (name, nick, blurb, p->minimum, p->maximum,
        p->default_value, flags);
  } else if (G_IS_PARAM_SPEC_INT (src)) {
    GParamSpecInt *p = G_PARAM_SPEC_INT (src);
    return g_param_spec_int (name, nick, blurb, p->minimum, p->maximum,
        p->default_value, flags);
  } else if (G_IS_PARAM_SPEC_DOUBLE (src)) {
    GParamSpecDouble *p = G_PARAM_SPEC_DOUBLE (src);
    return g_param_spec_double (name, nick, blurb, p->minimum, p->maximum,
        p->default_value, flags);
  } else if (G_IS_PARAM_SPEC_ENUM (src)) {
    return g_param_spec_enum (name, nick, blurb, src->value_type,
        G_PARAM_SPEC_ENUM (src)->default_value, flags);
  } else if (G_IS_PARAM_SPEC_FLAGS (src)) {
    return g_param_spec_flags (name, nick, blurb, src->value_type,
        G_PARAM_SPEC_FLAGS (src)->default_value, flags);
  } else if (G_IS_PARAM_SPEC_BOXED (src)) {
    return g_param_spec_boxed (name, nick, blurb, src->value_type, flags);
  }
  return NULL;
}

static void
gst_rtp_archive_sink_class_init (GstRtpArchiveSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GObjectClass *rec_class;
  guint i;

  gobject_class->dispose = gst_rtp_archive_sink_dispose;
  gobject_class->finalize = gst_rtp_archive_sink_finalize;
  gobject_class->set_property = gst_rtp_archive_sink_set_property;
  gobject_class->get_property = gst_rtp_archive_sink_get_property;

  /**
   * GstRtpArchiveSink:jitterbuffer:
   *
   * Put an rtpjitterbuffer in front of each depayloader. Switch it off when
   * the RTP comes from webrtcbin or rtpbin, which have their own. Takes
   * effect for the pads whose caps arrive after the change.
   */
  g_object_class_install_property (gobject_class, PROP_JITTERBUFFER,
      g_param_spec_boolean ("jitterbuffer", "Jitter buffer",
          "Reorder packets in an rtpjitterbuffer before depayloading "
          "(off when fed by webrtcbin/rtpbin)", DEFAULT_JITTERBUFFER,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstRtpArchiveSink:latency:
   *
   * Latency of the internal jitter buffers, in milliseconds.
   */
  g_object_class_install_property (gobject_class, PROP_LATENCY,
      g_param_spec_uint ("latency", "Latency (ms)",
          "Latency of the internal jitter buffers in milliseconds", 0,
          G_MAXUINT, DEFAULT_LATENCY,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstRtpArchiveSink:recorder:
   *
   * The inner splitmuxrec that writes the files.
   */
  g_object_class_install_property (gobject_class, PROP_RECORDER,
      g_param_spec_object ("recorder", "Recorder",
          "The inner splitmuxrec element", GST_TYPE_ELEMENT,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstRtpArchiveSink:stats:
   *
   * Packet counters: the totals `packets-received`, `packets-accepted`,
   * `packets-dropped-invalid`, `packets-dropped-wrong-pt` and
   * `ssrc-changes`, and one structure per sink pad (field named after the
   * pad) with those and `packets-padding-only`, `packets-duplicate`,
   * `packets-reordered`, `packets-lost`, `sequence-jumps`,
   * `payload-type-changes`, `bytes-received`, `ssrc` and `encoding-name`.
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Packet counters, in total and per sink pad", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  rec_class = lookup_recorder_class ();
  if (rec_class == NULL) {
    GST_WARNING ("splitmuxrec is not available: rtparchivesink has no "
        "archive properties");
  } else {
    GParamSpec **specs;
    guint n_specs;

    specs = g_object_class_list_properties (rec_class, &n_specs);
    for (i = 0; i < n_specs && n_forwarded < MAX_FORWARDED; i++) {
      GParamSpec *copy;

      /* only splitmuxrec's own, not GstBin's, and none of ours;
       * input-queues is ours to decide (every pad has its own thread) */
      if (specs[i]->owner_type != G_OBJECT_CLASS_TYPE (rec_class)
          || g_object_class_find_property (gobject_class, specs[i]->name)
          || g_str_equal (specs[i]->name, "input-queues"))
        continue;
      copy = copy_param_spec (specs[i]);
      if (copy == NULL) {
        GST_WARNING ("cannot mirror property '%s' of type %s",
            specs[i]->name, G_PARAM_SPEC_TYPE_NAME (specs[i]));
        continue;
      }
      forwarded_pspecs[n_forwarded] = copy;
      g_object_class_install_property (gobject_class,
          PROP_FORWARD_FIRST + n_forwarded, copy);
      n_forwarded++;
    }
    g_free (specs);
  }

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "RTP archive sink", "Sink/Network/RTP",
      "Records RTP streams into archive files without transcoding: "
      "jitter buffer, depayloader and splitmuxrec",
      "roomrec contributors <https://github.com/roomrec/roomrec>");

  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_rtp_archive_sink_request_new_pad);
  element_class->release_pad =
      GST_DEBUG_FUNCPTR (gst_rtp_archive_sink_release_pad);
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_rtp_archive_sink_change_state);
}

static void
gst_rtp_archive_sink_init (GstRtpArchiveSink * self)
{
  self->use_jitterbuffer = DEFAULT_JITTERBUFFER;
  self->latency = DEFAULT_LATENCY;
  g_mutex_init (&self->stats_lock);

  self->recorder = gst_element_factory_make ("splitmuxrec", "recorder");
  if (self->recorder != NULL) {
    /* one reference for us, one for the bin */
    gst_object_ref_sink (self->recorder);
    gst_bin_add (GST_BIN (self), self->recorder);
    /* each pad has its own streaming thread (jitter buffer, or a queue
     * without one): splitmuxrec needs no extra queue per track */
    g_object_set (self->recorder, "input-queues", FALSE, NULL);
  } else {
    GST_WARNING_OBJECT (self, "splitmuxrec element not found");
  }

  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}

/* Tears down the chain of @ap; the ghost pad must be inactive. */
static void
remove_chain (GstRtpArchiveSink * self, RrArchivePad * ap)
{
  GstElement *elements[3];
  guint i;

  GST_OBJECT_LOCK (self);
  elements[0] = ap->jitterbuffer;
  elements[1] = ap->depay;
  elements[2] = ap->queue;
  ap->jitterbuffer = ap->depay = ap->queue = NULL;
  GST_OBJECT_UNLOCK (self);

  for (i = 0; i < G_N_ELEMENTS (elements); i++) {
    if (elements[i] == NULL)
      continue;
    gst_element_set_locked_state (elements[i], TRUE);
    gst_element_set_state (elements[i], GST_STATE_NULL);
    if (GST_OBJECT_PARENT (elements[i]) == GST_OBJECT_CAST (self))
      gst_bin_remove (GST_BIN (self), elements[i]);
    gst_object_unref (elements[i]);
  }
}

typedef struct
{
  guint32 ssrc;
  guint16 seq;
  GstStructure *s;
} PendingNote;

static void
pending_note_free (PendingNote * note)
{
  gst_structure_free (note->s);
  g_free (note);
}

static void
free_archive_pad (RrArchivePad * ap)
{
  g_free (ap->name);
  g_free (ap->encoding_name);
  g_queue_clear_full (&ap->pending_notes, (GDestroyNotify) pending_note_free);
  g_mutex_clear (&ap->notes_lock);
  g_free (ap);
}

static void
gst_rtp_archive_sink_dispose (GObject * object)
{
  GstRtpArchiveSink *self = GST_RTP_ARCHIVE_SINK (object);
  GList *pads = NULL, *l;

  /* Release our request pads ourselves while the recorder is still there. */
  GST_OBJECT_LOCK (self);
  for (l = self->pads; l != NULL; l = l->next)
    pads = g_list_prepend (pads, gst_object_ref (((RrArchivePad *)
                l->data)->ghost));
  GST_OBJECT_UNLOCK (self);
  for (l = pads; l != NULL; l = l->next)
    gst_element_release_request_pad (GST_ELEMENT (self), l->data);
  g_list_free_full (pads, gst_object_unref);

  G_OBJECT_CLASS (parent_class)->dispose (object);
}

static void
gst_rtp_archive_sink_finalize (GObject * object)
{
  GstRtpArchiveSink *self = GST_RTP_ARCHIVE_SINK (object);

  g_list_free_full (self->pads, (GDestroyNotify) free_archive_pad);
  gst_clear_object (&self->recorder);
  g_mutex_clear (&self->stats_lock);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
add_pad_stats (GstStructure * s, const RrArchivePad * ap)
{
  const RrRtpStats *st = &ap->checker.stats;

  gst_structure_set (s,
      "packets-received", G_TYPE_UINT64, st->packets_received,
      "packets-accepted", G_TYPE_UINT64, st->packets_accepted,
      "packets-dropped-invalid", G_TYPE_UINT64, st->packets_dropped_invalid,
      "packets-dropped-wrong-pt", G_TYPE_UINT64, st->packets_dropped_wrong_pt,
      "packets-padding-only", G_TYPE_UINT64, st->packets_padding_only,
      "packets-duplicate", G_TYPE_UINT64, st->packets_duplicate,
      "packets-reordered", G_TYPE_UINT64, st->packets_reordered,
      "packets-lost", G_TYPE_UINT64, st->packets_lost,
      "ssrc-changes", G_TYPE_UINT64, st->ssrc_changes,
      "sequence-jumps", G_TYPE_UINT64, st->seq_jumps,
      "payload-type-changes", G_TYPE_UINT64, st->pt_changes,
      "bytes-received", G_TYPE_UINT64, st->bytes_accepted,
      "ssrc", G_TYPE_UINT, ap->checker.ssrc, NULL);
}

static GstStructure *
gst_rtp_archive_sink_get_stats (GstRtpArchiveSink * self)
{
  GstStructure *s = gst_structure_new_empty ("rtparchivesink-stats");
  guint64 received = 0, accepted = 0, invalid = 0, wrong_pt = 0, ssrc = 0;
  GList *l;

  GST_OBJECT_LOCK (self);
  g_mutex_lock (&self->stats_lock);
  for (l = self->pads; l != NULL; l = l->next) {
    RrArchivePad *ap = l->data;
    const RrRtpStats *st = &ap->checker.stats;
    GstStructure *ps = gst_structure_new_empty ("rtparchivesink-pad-stats");

    add_pad_stats (ps, ap);
    if (ap->encoding_name != NULL)
      gst_structure_set (ps, "encoding-name", G_TYPE_STRING,
          ap->encoding_name, NULL);
    gst_structure_set (s, ap->name, GST_TYPE_STRUCTURE, ps, NULL);
    gst_structure_free (ps);

    received += st->packets_received;
    accepted += st->packets_accepted;
    invalid += st->packets_dropped_invalid;
    wrong_pt += st->packets_dropped_wrong_pt;
    ssrc += st->ssrc_changes;
  }
  g_mutex_unlock (&self->stats_lock);
  GST_OBJECT_UNLOCK (self);

  gst_structure_set (s,
      "packets-received", G_TYPE_UINT64, received,
      "packets-accepted", G_TYPE_UINT64, accepted,
      "packets-dropped-invalid", G_TYPE_UINT64, invalid,
      "packets-dropped-wrong-pt", G_TYPE_UINT64, wrong_pt,
      "ssrc-changes", G_TYPE_UINT64, ssrc, NULL);
  return s;
}

static void
gst_rtp_archive_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtpArchiveSink *self = GST_RTP_ARCHIVE_SINK (object);

  switch (prop_id) {
    case PROP_JITTERBUFFER:
      GST_OBJECT_LOCK (self);
      self->use_jitterbuffer = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_LATENCY:{
      GList *jbs = NULL, *l;
      guint latency = g_value_get_uint (value);

      GST_OBJECT_LOCK (self);
      self->latency = latency;
      for (l = self->pads; l != NULL; l = l->next) {
        RrArchivePad *ap = l->data;
        if (ap->jitterbuffer != NULL)
          jbs = g_list_prepend (jbs, gst_object_ref (ap->jitterbuffer));
      }
      GST_OBJECT_UNLOCK (self);
      for (l = jbs; l != NULL; l = l->next)
        g_object_set (l->data, "latency", latency, NULL);
      g_list_free_full (jbs, gst_object_unref);
      break;
    }
    default:
      if (prop_id >= PROP_FORWARD_FIRST
          && prop_id < PROP_FORWARD_FIRST + n_forwarded
          && pspec == forwarded_pspecs[prop_id - PROP_FORWARD_FIRST]) {
        if (self->recorder != NULL)
          g_object_set_property (G_OBJECT (self->recorder), pspec->name, value);
        break;
      }
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtp_archive_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtpArchiveSink *self = GST_RTP_ARCHIVE_SINK (object);

  switch (prop_id) {
    case PROP_JITTERBUFFER:
      GST_OBJECT_LOCK (self);
      g_value_set_boolean (value, self->use_jitterbuffer);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_LATENCY:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->latency);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_RECORDER:
      g_value_set_object (value, self->recorder);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, gst_rtp_archive_sink_get_stats (self));
      break;
    default:
      if (prop_id >= PROP_FORWARD_FIRST
          && prop_id < PROP_FORWARD_FIRST + n_forwarded
          && pspec == forwarded_pspecs[prop_id - PROP_FORWARD_FIRST]) {
        if (self->recorder != NULL)
          g_object_get_property (G_OBJECT (self->recorder), pspec->name, value);
        else
          g_param_value_set_default (pspec, value);
        break;
      }
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static gchar *
supported_encodings_string (void)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (depay_table); i++) {
    if (i > 0)
      g_string_append (s, ", ");
    g_string_append (s, depay_table[i].encoding_name);
  }
  return g_string_free (s, FALSE);
}

static const RrDepayInfo *
find_depay_info (const gchar * encoding_name)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (depay_table); i++) {
    if (g_ascii_strcasecmp (depay_table[i].encoding_name, encoding_name) == 0)
      return &depay_table[i];
  }
  return NULL;
}

static void
set_boolean_if_exists (GstElement * element, const gchar * name, gboolean value)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (element), name))
    g_object_set (element, name, value, NULL);
}

static GstElement *
make_named (const gchar * factory, const gchar * pad_name, const gchar * what)
{
  gchar *name = g_strdup_printf ("%s_%s", pad_name, what);
  GstElement *element = gst_element_factory_make (factory, name);

  g_free (name);
  return element;
}

/* Sends a roomrec-stream-note to the recorder, if @with_packet just before
 * the packet with @ssrc/@seq. Called from the streaming thread of @ap's
 * ghost pad. Without a jitter buffer the note goes downstream right away;
 * with one it waits in pending_notes until that packet leaves the jitter buffer: rtpjitterbuffer
 * resets itself on a sequence number jump and drops the serialized events it
 * holds at that moment. */
static void
send_stream_note (RrArchivePad * ap, GstObject * parent, GstStructure * s,
    gboolean with_packet, guint32 ssrc, guint16 seq)
{
  PendingNote *note;

  if (ap->notes_sent >= MAX_NOTES_PER_PAD) {
    GST_LOG_OBJECT (ap->ghost, "not sending more notes: %" GST_PTR_FORMAT, s);
    gst_structure_free (s);
    return;
  }
  ap->notes_sent++;
  gst_structure_set (s, "pad", G_TYPE_STRING, ap->name, NULL);
  GST_INFO_OBJECT (ap->ghost, "stream note %" GST_PTR_FORMAT, s);

  if (!ap->has_jitterbuffer || !with_packet) {
    gst_pad_event_default (ap->ghost, parent,
        gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s));
    return;
  }

  note = g_new0 (PendingNote, 1);
  note->ssrc = ssrc;
  note->seq = seq;
  note->s = s;
  g_mutex_lock (&ap->notes_lock);
  g_queue_push_tail (&ap->pending_notes, note);
  /* the packet of the oldest one never came out */
  while (g_queue_get_length (&ap->pending_notes) > MAX_PENDING_NOTES)
    pending_note_free (g_queue_pop_head (&ap->pending_notes));
  g_atomic_int_set (&ap->n_pending, g_queue_get_length (&ap->pending_notes));
  g_mutex_unlock (&ap->notes_lock);
}

/* Drops sticky events equal to the ones the depayloader has already.
 * rtpjitterbuffer sends its stream-start, caps and segment events again when
 * it resets itself after a sequence number jump; rtpbasedepayload would
 * answer with a new segment (running time starting over mid-recording) and
 * a repeated stream-start reaches splitmuxrec's muxer. */
static GstPadProbeReturn
depay_event_probe (RrArchivePad * ap, GstPad * pad, GstEvent * event)
{
  GstEvent *current;
  gboolean same = FALSE;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEGMENT:{
      const GstSegment *segment;

      gst_event_parse_segment (event, &segment);
      same = ap->have_segment && gst_segment_is_equal (segment,
          &ap->last_segment);
      gst_segment_copy_into (segment, &ap->last_segment);
      ap->have_segment = TRUE;
      break;
    }
    case GST_EVENT_STREAM_START:{
      const gchar *id = NULL, *cur_id = NULL;

      current = gst_pad_get_sticky_event (pad, GST_EVENT_STREAM_START, 0);
      if (current != NULL) {
        gst_event_parse_stream_start (event, &id);
        gst_event_parse_stream_start (current, &cur_id);
        same = g_strcmp0 (id, cur_id) == 0;
        gst_event_unref (current);
      }
      break;
    }
    case GST_EVENT_CAPS:{
      GstCaps *caps, *cur_caps = gst_pad_get_current_caps (pad);

      if (cur_caps != NULL) {
        gst_event_parse_caps (event, &caps);
        same = gst_caps_is_equal (caps, cur_caps);
        gst_caps_unref (cur_caps);
      }
      break;
    }
    case GST_EVENT_FLUSH_STOP:
      ap->have_segment = FALSE;
      break;
    default:
      break;
  }

  if (same) {
    GST_DEBUG_OBJECT (ap->ghost, "dropping repeated %s event",
        GST_EVENT_TYPE_NAME (event));
    return GST_PAD_PROBE_DROP;
  }
  return GST_PAD_PROBE_OK;
}

/* Probe on the depayloader's sink pad. For buffers, when a jitter buffer is
 * in front: sends the pending notes up to the one whose packet this is. */
static GstPadProbeReturn
depay_sink_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RrArchivePad *ap = user_data;
  GstBuffer *buf;
  guint8 hdr[12];
  guint32 ssrc;
  guint16 seq;
  GList *l, *match = NULL, *ready = NULL;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_BOTH)
    return depay_event_probe (ap, pad, GST_PAD_PROBE_INFO_EVENT (info));

  if (g_atomic_int_get (&ap->n_pending) == 0)
    return GST_PAD_PROBE_OK;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    buf = gst_buffer_list_length (list) ? gst_buffer_list_get (list, 0) : NULL;
  } else {
    buf = GST_PAD_PROBE_INFO_BUFFER (info);
  }
  if (buf == NULL || gst_buffer_extract (buf, 0, hdr, 12) != 12)
    return GST_PAD_PROBE_OK;
  seq = GST_READ_UINT16_BE (hdr + 2);
  ssrc = GST_READ_UINT32_BE (hdr + 8);

  g_mutex_lock (&ap->notes_lock);
  for (l = ap->pending_notes.head; l != NULL; l = l->next) {
    PendingNote *note = l->data;
    if (note->ssrc == ssrc && note->seq == seq)
      match = l;
  }
  if (match != NULL) {
    while (ap->pending_notes.head != match)
      ready = g_list_prepend (ready, g_queue_pop_head (&ap->pending_notes));
    ready = g_list_prepend (ready, g_queue_pop_head (&ap->pending_notes));
    g_atomic_int_set (&ap->n_pending, g_queue_get_length (&ap->pending_notes));
  }
  g_mutex_unlock (&ap->notes_lock);

  /* in order, before the buffer; we hold the depayloader's stream lock */
  ready = g_list_reverse (ready);
  for (l = ready; l != NULL; l = l->next) {
    PendingNote *note = l->data;
    gst_pad_send_event (pad, gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
            note->s));
    note->s = NULL;
    g_free (note);
  }
  g_list_free (ready);

  return GST_PAD_PROBE_OK;
}

/* rtpjitterbuffer times packets by their arrival: a burst after a stall
 * squeezes seconds of media into milliseconds, and a receiver short of CPU
 * repeats times.  The recording gets the sender's clock (core/rtptime.c);
 * lost-packet events move with the packets. */
static GstPadProbeReturn
media_time_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RrArchivePad *ap = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    guint8 hdr[8];
    gint64 pts;

    if (!GST_BUFFER_PTS_IS_VALID (buf)
        || gst_buffer_extract (buf, 0, hdr, 8) != 8)
      return GST_PAD_PROBE_OK;
    pts = rr_rtp_time_map (&ap->rtp_time, GST_READ_UINT32_BE (hdr + 4),
        (gint64) GST_BUFFER_PTS (buf));
    buf = gst_buffer_make_writable (buf);
    GST_BUFFER_PTS (buf) = MAX (pts, 0);
    GST_PAD_PROBE_INFO_DATA (info) = buf;
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    const GstStructure *s = gst_event_get_structure (event);
    GstCaps *caps;
    gint rate;
    guint64 ts;

    switch (GST_EVENT_TYPE (event)) {
      case GST_EVENT_CAPS:
        gst_event_parse_caps (event, &caps);
        if (gst_structure_get_int (gst_caps_get_structure (caps, 0),
                "clock-rate", &rate) && rate > 0
            && (guint) rate != ap->rtp_time.clock_rate)
          rr_rtp_time_init (&ap->rtp_time, rate);
        break;
      case GST_EVENT_SEGMENT:
      case GST_EVENT_FLUSH_STOP:
        rr_rtp_time_reset (&ap->rtp_time);
        break;
      case GST_EVENT_CUSTOM_DOWNSTREAM:
        if (s != NULL && gst_structure_has_name (s, "GstRTPPacketLost")
            && gst_structure_get_uint64 (s, "timestamp", &ts)
            && GST_CLOCK_TIME_IS_VALID (ts)) {
          event = gst_event_make_writable (event);
          gst_structure_set (gst_event_writable_structure (event),
              "timestamp", G_TYPE_UINT64, (guint64) MAX ((gint64) ts +
                  rr_rtp_time_offset (&ap->rtp_time), 0), NULL);
          GST_PAD_PROBE_INFO_DATA (info) = event;
        }
        break;
      default:
        break;
    }
  }
  return GST_PAD_PROBE_OK;
}

/* Builds [jitterbuffer !] depay [! queue] ! splitmuxrec.sink_N for @ap and
 * points the ghost pad at it. Runs in the streaming thread on the first caps
 * event. */
static gboolean
build_chain (GstRtpArchiveSink * self, RrArchivePad * ap,
    const RrDepayInfo * info)
{
  GstElement *jb = NULL, *depay = NULL, *queue = NULL, *first;
  GstPad *srcpad, *sinkpad;
  GstPadLinkReturn lret;
  gboolean use_jb;
  guint latency, i;

  GST_OBJECT_LOCK (self);
  use_jb = self->use_jitterbuffer;
  latency = self->latency;
  GST_OBJECT_UNLOCK (self);

  for (i = 0; depay == NULL && info->depayloaders[i] != NULL; i++)
    depay = make_named (info->depayloaders[i], ap->name, "depay");
  if (depay == NULL) {
    if (g_str_equal (info->encoding_name, "AV1")) {
      GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
          (_("Cannot record AV1 on %s: the AV1 RTP depayloader "
                  "(rtpaomav1depay) is not installed."), ap->name),
          ("none of rtpaomav1depay, rtpav1depay found; install the roomrec "
              "plugin with rtpaomav1depay or have the sender use VP8, VP9 "
              "or H.264"));
    } else {
      GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
          (_("Cannot record %s on %s: the RTP depayloader %s is not "
                  "installed."), info->encoding_name, ap->name,
              info->depayloaders[0]),
          ("element %s not found", info->depayloaders[0]));
    }
    return FALSE;
  }
  set_boolean_if_exists (depay, "request-keyframe", TRUE);
  set_boolean_if_exists (depay, "wait-for-keyframe", TRUE);

  if (use_jb) {
    jb = make_named ("rtpjitterbuffer", ap->name, "jitterbuffer");
    if (jb == NULL) {
      GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
          (_("The rtpjitterbuffer element is not installed.")),
          ("install gst-plugins-good or set jitterbuffer=false"));
      gst_object_unref (depay);
      return FALSE;
    }
    g_object_set (jb, "latency", latency, "do-lost", TRUE, NULL);
  } else {
    /* Decouples the upstream thread from splitmuxrec, which may hold one
     * input while it waits for another. */
    queue = make_named ("queue", ap->name, "queue");
  }

  gst_bin_add (GST_BIN (self), gst_object_ref (depay));
  if (jb != NULL)
    gst_bin_add (GST_BIN (self), gst_object_ref (jb));
  if (queue != NULL)
    gst_bin_add (GST_BIN (self), gst_object_ref (queue));

  if (jb != NULL && !gst_element_link_pads (jb, "src", depay, "sink"))
    goto link_failed;
  if (queue != NULL && !gst_element_link_pads (depay, "src", queue, "sink"))
    goto link_failed;
  srcpad = gst_element_get_static_pad (queue != NULL ? queue : depay, "src");
  lret = gst_pad_link (srcpad, ap->rec_pad);
  gst_object_unref (srcpad);
  if (GST_PAD_LINK_FAILED (lret))
    goto link_failed;

  GST_OBJECT_LOCK (self);
  ap->jitterbuffer = jb;
  ap->depay = depay;
  ap->queue = queue;
  GST_OBJECT_UNLOCK (self);

  /* downstream first, so nothing pushes into a stopped element */
  if (queue != NULL)
    gst_element_sync_state_with_parent (queue);
  gst_element_sync_state_with_parent (depay);
  if (jb != NULL)
    gst_element_sync_state_with_parent (jb);

  if (jb != NULL) {
    rr_rtp_time_init (&ap->rtp_time, info->clock_rate);
    srcpad = gst_element_get_static_pad (jb, "src");
    gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_EVENT_FLUSH,
        media_time_probe, ap, NULL);
    gst_object_unref (srcpad);
  }

  sinkpad = gst_element_get_static_pad (depay, "sink");
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
      GST_PAD_PROBE_TYPE_EVENT_FLUSH, depay_sink_probe, ap, NULL);
  gst_object_unref (sinkpad);

  first = jb != NULL ? jb : depay;
  sinkpad = gst_element_get_static_pad (first, "sink");
  gst_ghost_pad_set_target (GST_GHOST_PAD (ap->ghost), sinkpad);
  gst_object_unref (sinkpad);

  GST_INFO_OBJECT (self, "%s: %s%s%s", ap->name,
      jb != NULL ? "rtpjitterbuffer ! " : "",
      GST_OBJECT_NAME (gst_element_get_factory (depay)),
      queue != NULL ? " ! queue" : "");
  return TRUE;

link_failed:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
      (_("Could not link the %s depayloader of %s to the recorder."),
          info->encoding_name, ap->name), (NULL));
  GST_OBJECT_LOCK (self);
  ap->jitterbuffer = jb;
  ap->depay = depay;
  ap->queue = queue;
  GST_OBJECT_UNLOCK (self);
  remove_chain (self, ap);
  return FALSE;
}

/* Uppercases encoding-name and fills in missing media/clock-rate. */
static GstCaps *
fixup_caps (GstCaps * caps, const RrDepayInfo * info)
{
  GstStructure *s;
  gint rate;

  caps = gst_caps_copy (caps);
  s = gst_caps_get_structure (caps, 0);
  gst_structure_set (s, "encoding-name", G_TYPE_STRING, info->encoding_name,
      NULL);
  if (info->media != NULL && !gst_structure_has_field (s, "media"))
    gst_structure_set (s, "media", G_TYPE_STRING, info->media, NULL);
  if (info->clock_rate > 0 && !gst_structure_get_int (s, "clock-rate", &rate))
    gst_structure_set (s, "clock-rate", G_TYPE_INT, info->clock_rate, NULL);
  return caps;
}

static gboolean
handle_caps (GstRtpArchiveSink * self, RrArchivePad * ap, GstObject * parent,
    GstEvent * event)
{
  GstCaps *caps, *fixed;
  const GstStructure *s;
  const gchar *encoding_name;
  const RrDepayInfo *info;
  gint pt = -1;

  gst_event_parse_caps (event, &caps);
  s = gst_caps_get_structure (caps, 0);
  encoding_name = gst_structure_get_string (s, "encoding-name");
  if (encoding_name == NULL) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        (_("The RTP caps on %s have no encoding-name."), ap->name),
        ("caps %" GST_PTR_FORMAT "; give the input caps like "
            "application/x-rtp,media=video,clock-rate=90000,"
            "encoding-name=VP8,payload=96", caps));
    goto refused;
  }

  info = find_depay_info (encoding_name);
  if (info == NULL) {
    gchar *supported = supported_encodings_string ();

    GST_ELEMENT_ERROR (self, STREAM, CODEC_NOT_FOUND,
        (_("Cannot record RTP encoding-name %s on %s; supported are: %s."),
            encoding_name, ap->name, supported), ("caps %" GST_PTR_FORMAT,
            caps));
    g_free (supported);
    goto refused;
  }

  if (!gst_structure_get_int (s, "payload", &pt))
    pt = -1;

  if (ap->built) {
    if (!g_str_equal (ap->encoding_name, info->encoding_name)) {
      GST_ELEMENT_WARNING (self, STREAM, FORMAT,
          (_("The codec on %s changed from %s to %s; its packets are "
                  "dropped. Use a new pad for the new codec."), ap->name,
              ap->encoding_name, info->encoding_name), (NULL));
      if (!ap->codec_mismatch) {
        send_stream_note (ap, parent,
            gst_structure_new (STREAM_NOTE_NAME, "what", G_TYPE_STRING,
                "codec-changed", "old-encoding-name", G_TYPE_STRING,
                ap->encoding_name, "new-encoding-name", G_TYPE_STRING,
                info->encoding_name, NULL), FALSE, 0, 0);
      }
      ap->codec_mismatch = TRUE;
      gst_event_unref (event);
      return TRUE;
    }
    ap->codec_mismatch = FALSE;
  } else {
    if (!build_chain (self, ap, info))
      goto refused;
    GST_OBJECT_LOCK (self);
    ap->encoding_name = g_strdup (info->encoding_name);
    ap->has_jitterbuffer = ap->jitterbuffer != NULL;
    GST_OBJECT_UNLOCK (self);
    ap->built = TRUE;
  }
  ap->failed = FALSE;

  g_mutex_lock (&self->stats_lock);
  rr_rtp_checker_set_payload_type (&ap->checker, pt);
  g_mutex_unlock (&self->stats_lock);

  fixed = fixup_caps (caps, info);
  if (!gst_caps_is_equal (fixed, caps)) {
    GST_DEBUG_OBJECT (ap->ghost, "caps fixed up to %" GST_PTR_FORMAT, fixed);
    gst_event_unref (event);
    event = gst_event_new_caps (fixed);
  }
  gst_caps_unref (fixed);

  return gst_pad_event_default (ap->ghost, parent, event);

refused:
  ap->failed = TRUE;
  gst_event_unref (event);
  return FALSE;
}

static gboolean
gst_rtp_archive_sink_pad_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstRtpArchiveSink *self = GST_RTP_ARCHIVE_SINK (parent);
  RrArchivePad *ap = gst_pad_get_element_private (pad);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
      return handle_caps (self, ap, parent, event);
    case GST_EVENT_FLUSH_STOP:
      g_mutex_lock (&self->stats_lock);
      rr_rtp_checker_reset_stream (&ap->checker);
      g_mutex_unlock (&self->stats_lock);
      break;
    case GST_EVENT_EOS:
      if (!ap->built) {
        /* Nothing was linked: let the recorder know this input is done so
         * that it does not wait for it. */
        GST_INFO_OBJECT (pad, "EOS before caps");
        return gst_pad_send_event (ap->rec_pad, event);
      }
      break;
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_rtp_archive_sink_pad_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_ACCEPT_CAPS:{
      /* The caps are checked, and fixed up, on the caps event: any RTP is
       * accepted here, whatever the depayloader would say about them. */
      GstCaps *caps, *templ = gst_pad_get_pad_template_caps (pad);

      gst_query_parse_accept_caps (query, &caps);
      gst_query_set_accept_caps_result (query,
          gst_caps_is_subset (caps, templ));
      gst_caps_unref (templ);
      return TRUE;
    }
    case GST_QUERY_CAPS:{
      GstCaps *filter, *templ = gst_pad_get_pad_template_caps (pad);

      gst_query_parse_caps (query, &filter);
      if (filter != NULL) {
        GstCaps *tmp = gst_caps_intersect_full (filter, templ,
            GST_CAPS_INTERSECT_FIRST);
        gst_caps_unref (templ);
        templ = tmp;
      }
      gst_query_set_caps_result (query, templ);
      gst_caps_unref (templ);
      return TRUE;
    }
    default:
      break;
  }
  return gst_pad_query_default (pad, parent, query);
}

static GstFlowReturn
gst_rtp_archive_sink_pad_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer)
{
  GstRtpArchiveSink *self = GST_RTP_ARCHIVE_SINK (parent);
  RrArchivePad *ap = gst_pad_get_element_private (pad);
  RrRtpCheckInfo info;
  RrRtpResult res;
  GstMapInfo map;

  if (G_UNLIKELY (ap->failed)) {
    gst_buffer_unref (buffer);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (G_UNLIKELY (!ap->built)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        (_("Received RTP on %s before its caps."), ap->name),
        ("set application/x-rtp caps with encoding-name, clock-rate and "
            "payload on the input"));
    gst_buffer_unref (buffer);
    return GST_FLOW_NOT_NEGOTIATED;
  }

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    GST_WARNING_OBJECT (pad, "could not map buffer, dropping it");
    gst_buffer_unref (buffer);
    return GST_FLOW_OK;
  }
  g_mutex_lock (&self->stats_lock);
  if (G_UNLIKELY (ap->codec_mismatch)) {
    ap->checker.stats.packets_received++;
    ap->checker.stats.packets_dropped_wrong_pt++;
    res = RR_RTP_ERROR_WRONG_PAYLOAD_TYPE;
  } else {
    res = rr_rtp_checker_check (&ap->checker, map.data, map.size, &info);
  }
  g_mutex_unlock (&self->stats_lock);
  gst_buffer_unmap (buffer, &map);

  if (res != RR_RTP_OK) {
    GST_DEBUG_OBJECT (pad, "dropping packet of %" G_GSIZE_FORMAT " bytes: %s",
        gst_buffer_get_size (buffer), rr_rtp_result_to_string (res));
    gst_buffer_unref (buffer);
    return GST_FLOW_OK;
  }

  if (G_UNLIKELY (info.events & (RR_RTP_EVENT_SSRC_CHANGED |
              RR_RTP_EVENT_SEQ_JUMP | RR_RTP_EVENT_PT_CHANGED))) {
    if (info.events & RR_RTP_EVENT_SSRC_CHANGED) {
      GST_INFO_OBJECT (pad, "SSRC changed from %08x to %08x", info.old_ssrc,
          info.header.ssrc);
      send_stream_note (ap, parent,
          gst_structure_new (STREAM_NOTE_NAME, "what", G_TYPE_STRING,
              "ssrc-changed", "old-ssrc", G_TYPE_UINT, info.old_ssrc,
              "new-ssrc", G_TYPE_UINT, info.header.ssrc, NULL),
          TRUE, info.header.ssrc, info.header.seq);
    }
    if (info.events & RR_RTP_EVENT_SEQ_JUMP) {
      GST_INFO_OBJECT (pad, "sequence number jumped from %u to %u",
          info.old_seq, info.header.seq);
      send_stream_note (ap, parent,
          gst_structure_new (STREAM_NOTE_NAME, "what", G_TYPE_STRING,
              "sequence-jump", "ssrc", G_TYPE_UINT, info.header.ssrc,
              "old-seq", G_TYPE_UINT, (guint) info.old_seq, "new-seq",
              G_TYPE_UINT, (guint) info.header.seq, NULL),
          TRUE, info.header.ssrc, info.header.seq);
    }
    if (info.events & RR_RTP_EVENT_PT_CHANGED) {
      GST_INFO_OBJECT (pad, "payload type changed from %d to %u",
          info.old_pt, info.header.payload_type);
      send_stream_note (ap, parent,
          gst_structure_new (STREAM_NOTE_NAME, "what", G_TYPE_STRING,
              "payload-type-changed", "old-pt", G_TYPE_UINT,
              (guint) info.old_pt, "new-pt", G_TYPE_UINT,
              (guint) info.header.payload_type, NULL),
          TRUE, info.header.ssrc, info.header.seq);
    }
    buffer = gst_buffer_make_writable (buffer);
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
  }

  return gst_proxy_pad_chain_default (pad, parent, buffer);
}

static GstFlowReturn
gst_rtp_archive_sink_pad_chain_list (GstPad * pad, GstObject * parent,
    GstBufferList * list)
{
  GstFlowReturn ret = GST_FLOW_OK;
  guint i, n = gst_buffer_list_length (list);

  /* Each packet is checked, and a note may go between two of them. */
  for (i = 0; i < n && ret == GST_FLOW_OK; i++) {
    ret = gst_rtp_archive_sink_pad_chain (pad, parent,
        gst_buffer_ref (gst_buffer_list_get (list, i)));
  }
  gst_buffer_list_unref (list);
  return ret;
}

static gboolean
parse_pad_index (const gchar * name, guint * index)
{
  guint64 v;
  gchar *end = NULL;

  if (name == NULL || !g_str_has_prefix (name, "sink_"))
    return FALSE;
  v = g_ascii_strtoull (name + 5, &end, 10);
  if (end == name + 5 || *end != '\0' || v > G_MAXUINT)
    return FALSE;
  *index = (guint) v;
  return TRUE;
}

static GstPad *
gst_rtp_archive_sink_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps)
{
  GstRtpArchiveSink *self = GST_RTP_ARCHIVE_SINK (element);
  RrArchivePad *ap;
  GstPad *rec_pad, *ghost;
  gchar *pad_name;
  guint index = 0;
  GList *l;

  if (self->recorder == NULL) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        (_("The splitmuxrec element is missing; the roomrec plugin is not "
                "installed completely.")), (NULL));
    return NULL;
  }

  GST_OBJECT_LOCK (self);
  if (name != NULL && !g_str_equal (name, "sink_%u")) {
    if (!parse_pad_index (name, &index)) {
      GST_OBJECT_UNLOCK (self);
      GST_WARNING_OBJECT (self, "invalid pad name %s", name);
      return NULL;
    }
    for (l = self->pads; l != NULL; l = l->next) {
      if (g_str_equal (((RrArchivePad *) l->data)->name, name)) {
        GST_OBJECT_UNLOCK (self);
        GST_WARNING_OBJECT (self, "pad %s exists already", name);
        return NULL;
      }
    }
    self->next_pad_index = MAX (self->next_pad_index, index + 1);
  } else {
    index = self->next_pad_index++;
  }
  GST_OBJECT_UNLOCK (self);

  rec_pad = gst_element_request_pad_simple (self->recorder, "sink_%u");
  if (rec_pad == NULL) {
    GST_WARNING_OBJECT (self, "splitmuxrec gave no sink pad");
    return NULL;
  }

  pad_name = g_strdup_printf ("sink_%u", index);
  ghost = gst_ghost_pad_new_no_target_from_template (pad_name, templ);

  ap = g_new0 (RrArchivePad, 1);
  ap->sink = self;
  ap->ghost = ghost;
  ap->name = pad_name;
  ap->rec_pad = rec_pad;
  rr_rtp_checker_init (&ap->checker, -1);
  g_mutex_init (&ap->notes_lock);
  g_queue_init (&ap->pending_notes);

  gst_pad_set_element_private (ghost, ap);
  gst_pad_set_chain_function (ghost,
      GST_DEBUG_FUNCPTR (gst_rtp_archive_sink_pad_chain));
  gst_pad_set_chain_list_function (ghost,
      GST_DEBUG_FUNCPTR (gst_rtp_archive_sink_pad_chain_list));
  gst_pad_set_event_function (ghost,
      GST_DEBUG_FUNCPTR (gst_rtp_archive_sink_pad_event));
  gst_pad_set_query_function (ghost,
      GST_DEBUG_FUNCPTR (gst_rtp_archive_sink_pad_query));

  GST_OBJECT_LOCK (self);
  self->pads = g_list_append (self->pads, ap);
  GST_OBJECT_UNLOCK (self);

  GST_DEBUG_OBJECT (self, "new pad %s for recorder pad %s", pad_name,
      GST_PAD_NAME (rec_pad));
  gst_element_add_pad (element, ghost);
  return ghost;
}

static void
gst_rtp_archive_sink_release_pad (GstElement * element, GstPad * pad)
{
  GstRtpArchiveSink *self = GST_RTP_ARCHIVE_SINK (element);
  RrArchivePad *ap = NULL;
  GList *l;

  GST_OBJECT_LOCK (self);
  for (l = self->pads; l != NULL; l = l->next) {
    if (((RrArchivePad *) l->data)->ghost == pad) {
      ap = l->data;
      self->pads = g_list_delete_link (self->pads, l);
      break;
    }
  }
  GST_OBJECT_UNLOCK (self);
  if (ap == NULL)
    return;

  GST_DEBUG_OBJECT (self, "releasing %s", ap->name);
  /* waits for the streaming thread to leave the pad */
  gst_pad_set_active (pad, FALSE);
  gst_ghost_pad_set_target (GST_GHOST_PAD (pad), NULL);
  remove_chain (self, ap);

  if (self->recorder != NULL)
    gst_element_release_request_pad (self->recorder, ap->rec_pad);
  gst_object_unref (ap->rec_pad);

  gst_pad_set_element_private (pad, NULL);
  gst_element_remove_pad (element, pad);
  free_archive_pad (ap);
}

static GstStateChangeReturn
gst_rtp_archive_sink_change_state (GstElement * element,
    GstStateChange transition)
{
  GstRtpArchiveSink *self = GST_RTP_ARCHIVE_SINK (element);
  GstStateChangeReturn ret;
  GList *l;

  if (transition == GST_STATE_CHANGE_NULL_TO_READY && self->recorder == NULL) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        (_("The splitmuxrec element is missing; the roomrec plugin is not "
                "installed completely.")), (NULL));
    return GST_STATE_CHANGE_FAILURE;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    GST_OBJECT_LOCK (self);
    g_mutex_lock (&self->stats_lock);
    for (l = self->pads; l != NULL; l = l->next) {
      RrArchivePad *ap = l->data;

      /* the pads are inactive now */
      rr_rtp_checker_reset_stream (&ap->checker);
      ap->failed = FALSE;
      ap->notes_sent = 0;
    }
    g_mutex_unlock (&self->stats_lock);
    GST_OBJECT_UNLOCK (self);
  }

  return ret;
}
