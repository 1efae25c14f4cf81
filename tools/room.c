/* roomrec — one room: a pipeline of participants, each recorded by an
 * rtparchivesink
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The room owns one GstPipeline.  A participant is a GstBin in it: its
 * input (a webrtcbin, or udpsrcs for RTP/SDP) and, unless it is blocked
 * from recording, one rtparchivesink.  Every track (audio, video) goes
 * through an input-selector, because webrtcbin gives a transceiver a new
 * src pad whenever the sender's SSRC changes or for each simulcast layer:
 * the selector keeps one archive track and picks the pad to record (the
 * one that carries media; among simulcast layers the one with the most
 * bytes, i.e. the highest).
 *
 * Threads: everything here runs on the main context except the webrtcbin
 * callbacks (pad-added, promises, notify), which only link pads under the
 * participant's lock or hand over to the main context.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "room.h"

#include "ids.h"
#include "naming.h"
#include "recover.h"
#include "report.h"
#include "roommix.h"
#include "s3upload.h"
#include "sdp.h"
#include "sidecar.h"
#include "whipserver.h"
#include "whepclient.h"

#include <gst/webrtc/webrtc.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC (room_debug);
#define GST_CAT_DEFAULT room_debug

/* How long an answer (offer) may take: ICE gathering is local only. */
#define NEGOTIATION_TIMEOUT_S 10
/* How long a participant's archive may take to finish its files. */
#define FINALISE_TIMEOUT_S 60
#define TICK_MS 250
/* A track's input that sent nothing for this long has stopped (a sender
 * restart, a paused simulcast layer): another live one takes over. */
#define INPUT_SILENT_US (400 * G_USEC_PER_SEC / 1000)

enum
{
  TRACK_AUDIO,
  TRACK_VIDEO,
  N_TRACKS
};

typedef struct
{
  gint *got_media;              /* the participant's */
  GstPad *src;                  /* webrtcbin/udpsrc pad */
  GstPad *selector_pad;
  gulong probe;
  gint64 last_us;               /* atomic: last packet (monotonic) */
  gint bytes;                   /* atomic: bytes since the last tick */
  guint64 window_bytes;         /* main: bytes in the last tick */
  guint64 held_bytes;           /* main: bytes while the layer is chosen */
  gulong hold;                  /* drop probe until a layer is chosen */
  gboolean removed;
} TrackInput;

typedef struct
{
  GstElement *selector;
  GstPad *archive_pad;          /* requested sink pad of the archive */
  GstPad *mix_pad;              /* requested sink pad of the composite */
  GPtrArray *inputs;            /* TrackInput* */
  TrackInput *active;
  gint64 created_us;            /* when its first input came */
  gint64 last_input_us;         /* when its latest input came */
} Track;

struct _RrParticipant
{
  gint refcount;
  RrRoom *room;                 /* NULL once detached */
  gchar *id;
  gchar *user_id;
  gchar *etag;
  gchar *remote_ufrag;
  gboolean record;
  gboolean mixed;               /* decoded into the room's composite */
  gboolean jitterbuffer;        /* plain RTP: reorder before decoding */
  gboolean offerer;
  guint twcc_ext_id;            /* of the remote offer, 0 if none */
  GstSDPMedia *simulcast;       /* the offer's video m-line, if simulcast */
  guint n_layers;               /* simulcast layers offered */

  GstElement *bin;
  GstElement *webrtc;
  GPtrArray *sources;           /* udpsrc elements of an RTP participant */
  GstElement *archive;

  GMutex lock;                  /* tracks, ending */
  Track *tracks[N_TRACKS];
  gboolean ending;

  gboolean local_set;           /* main */
  gboolean answered;
  RrAnswerReady answer_ready;
  gpointer answer_data;
  guint negotiation_timeout;
  RrParticipantEnded ended;
  gpointer ended_data;
  guint finalise_timeout;
  gchar *end_reason;

  gint64 created_us;
  gint got_media;               /* atomic */
  gint64 last_discarded_us;     /* atomic: media of tracks not recorded */
  gboolean archive_started;     /* main: the first file has a key frame */
  gint mix_started;             /* atomic: a first picture was decoded */
  gint64 last_start_request_us;
};

struct _RrRoom
{
  RrRoomConfig *config;
  GMainContext *context;
  GstElement *pipeline;
  guint bus_watch;
  GHashTable *participants;     /* id → RrParticipant* */
  RrReport *report;
  gint64 start_us;
  gint64 start_mono_us;
  gint64 last_publisher_us;     /* monotonic; when the room last had one */
  gboolean had_participant;
  guint tick;

  RrWhipServer *whip;
  GPtrArray *wheps;             /* RrWhepClient* */
  RrRoomMix *mix;               /* mixed/both, from the first participant */
  RrS3Uploader *uploader;       /* storage, or NULL */
  /* where participants and the mix go: the pipeline, or a webhooknotify
   * in it that turns their messages into webhooks */
  GstBin *container;
  GstElement *notifier;         /* the webhooknotify, or NULL */
  guint uploads_failed;
  guint upload_wait;            /* polls for the uploads after the stop */
  gboolean mix_given_up;        /* it did not finish in time at the stop */

  RrRoomObserver observer;      /* roomrec serve's control channel */
  gpointer observer_data;
  /* counters of participants already gone (rr_room_get_stats) */
  guint64 gone_bytes;
  guint64 gone_packets_lost;
  gint keyframe_requests;       /* atomic */
  gint tmp_lock;                /* fd: the room's own tmp_dir is locked */

  gboolean started;
  gboolean stopping;
  gboolean stopped;
  RrRoomStopReason stop_reason;
  RrRoomStopped stopped_cb;
  gpointer stopped_data;
  guint stop_timeout;
  gchar *report_path;
};

static void participant_finalise (RrParticipant * p);
static GstPadProbeReturn drop_data (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data);
static gboolean kind_is_recorded (RrParticipant * p, guint kind);
static void room_maybe_finish (RrRoom * room);
static void notify_event (RrRoom * room, const gchar * type,
    JsonBuilder * fields);

/* ------------------------------------------------------------------ */
/* participants: lifetime                                              */

/* ------------------------------------------------------------------ */
/* the observer (roomrec serve)                                        */

void
rr_room_set_observer (RrRoom * room, RrRoomObserver observer,
    gpointer user_data)
{
  room->observer = observer;
  room->observer_data = user_data;
}

static void
observe (RrRoom * room, const gchar * event, JsonObject * fields)
{
  if (room->observer)
    room->observer (room, event, fields, room->observer_data);
  json_object_unref (fields);
}

static void
observe_participant (RrRoom * room, RrParticipant * p, const gchar * event,
    const gchar * reason)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "connection_id", p->id);
  if (p->user_id)
    json_object_set_string_member (o, "user_id", p->user_id);
  if (reason)
    json_object_set_string_member (o, "reason", reason);
  json_object_set_boolean_member (o, "recorded", p->record);
  observe (room, event, o);
}

/* A recorder's message as the observer's event: its string and number
 * fields. */
static void
observe_structure (RrRoom * room, const gchar * event, const GstStructure * s)
{
  JsonObject *o = json_object_new ();

  for (gint i = 0; i < gst_structure_n_fields (s); i++) {
    const gchar *name = gst_structure_nth_field_name (s, i);
    const GValue *v = gst_structure_get_value (s, name);
    GValue as_int = G_VALUE_INIT;

    if (G_VALUE_HOLDS_STRING (v)) {
      if (g_value_get_string (v))
        json_object_set_string_member (o, name, g_value_get_string (v));
    } else if (G_VALUE_HOLDS_BOOLEAN (v)) {
      json_object_set_boolean_member (o, name, g_value_get_boolean (v));
    } else if (g_value_type_transformable (G_VALUE_TYPE (v), G_TYPE_INT64)
        && !G_VALUE_HOLDS_ENUM (v) && !G_VALUE_HOLDS_FLAGS (v)) {
      g_value_init (&as_int, G_TYPE_INT64);
      if (g_value_transform (v, &as_int))
        json_object_set_int_member (o, name, g_value_get_int64 (&as_int));
      g_value_unset (&as_int);
    }
  }
  observe (room, event, o);
}

/* Adds the packet counters of @p's archive (rtparchivesink "stats": one
 * structure per pad) to @bytes and @lost. */
static void
add_archive_counters (RrParticipant * p, guint64 * bytes, guint64 * lost)
{
  GstStructure *stats = NULL;

  if (p->archive == NULL)
    return;
  g_object_get (p->archive, "stats", &stats, NULL);
  for (gint i = 0; stats && i < gst_structure_n_fields (stats); i++) {
    const GValue *v = gst_structure_get_value (stats,
        gst_structure_nth_field_name (stats, i));
    const GstStructure *pad;
    guint64 n;

    if (!GST_VALUE_HOLDS_STRUCTURE (v))
      continue;
    pad = gst_value_get_structure (v);
    if (gst_structure_get_uint64 (pad, "bytes-received", &n))
      *bytes += n;
    if (gst_structure_get_uint64 (pad, "packets-lost", &n))
      *lost += n;
  }
  if (stats)
    gst_structure_free (stats);
}

void
rr_room_get_stats (RrRoom * room, RrRoomStats * stats)
{
  GHashTableIter iter;
  gpointer value;

  memset (stats, 0, sizeof (*stats));
  stats->participants = g_hash_table_size (room->participants);
  stats->bytes_received = room->gone_bytes;
  stats->packets_lost = room->gone_packets_lost;
  g_hash_table_iter_init (&iter, room->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    add_archive_counters (value, &stats->bytes_received, &stats->packets_lost);
  stats->keyframe_requests = (guint) g_atomic_int_get
      (&room->keyframe_requests);
  if (room->notifier) {
    guint pending = 0;
    guint64 failed = 0;

    g_object_get (room->notifier, "pending", &pending, "failed-attempts",
        &failed, NULL);
    stats->webhook_pending = pending;
    stats->webhook_failures = failed;
  }
  if (room->uploader)
    stats->upload_pending = rr_s3_uploader_get_pending (room->uploader);
  stats->upload_failures = room->uploads_failed;
}

/* ------------------------------------------------------------------ */
/* participants                                                        */

static RrParticipant *
participant_ref (RrParticipant * p)
{
  g_atomic_int_inc (&p->refcount);
  return p;
}

static void
track_free (Track * t)
{
  if (!t)
    return;
  g_ptr_array_unref (t->inputs);
  gst_clear_object (&t->archive_pad);
  gst_clear_object (&t->mix_pad);
  g_free (t);
}

static void
track_input_free (TrackInput * in)
{
  gst_clear_object (&in->src);
  gst_clear_object (&in->selector_pad);
  g_free (in);
}

static void
participant_unref (RrParticipant * p)
{
  if (!g_atomic_int_dec_and_test (&p->refcount))
    return;
  /* webrtcbin may outlive us a little (its pads go in dispose) */
  if (p->webrtc)
    g_signal_handlers_disconnect_by_data (p->webrtc, p);
  for (guint i = 0; i < N_TRACKS; i++)
    track_free (p->tracks[i]);
  g_clear_pointer (&p->sources, g_ptr_array_unref);
  g_clear_pointer (&p->simulcast, gst_sdp_media_free);
  gst_clear_object (&p->bin);
  g_mutex_clear (&p->lock);
  g_free (p->id);
  g_free (p->user_id);
  g_free (p->etag);
  g_free (p->remote_ufrag);
  g_free (p->end_reason);
  g_free (p);
}

/* Runs @func(p) on the room's main context, from any thread. */
static void
participant_invoke (RrParticipant * p, GSourceFunc func)
{
  GSource *src = g_idle_source_new ();

  g_source_set_priority (src, G_PRIORITY_DEFAULT);
  g_source_set_callback (src, func, participant_ref (p),
      (GDestroyNotify) participant_unref);
  g_source_attach (src, p->room ? p->room->context : NULL);
  g_source_unref (src);
}

const gchar *
rr_participant_id (RrParticipant * p)
{
  return p->id;
}

const gchar *
rr_participant_etag (RrParticipant * p)
{
  return p->etag;
}

const gchar *
rr_participant_remote_ufrag (RrParticipant * p)
{
  return p->remote_ufrag;
}

gboolean
rr_participant_is_ended (RrParticipant * p)
{
  return p->ending;
}

void
rr_participant_set_ended_callback (RrParticipant * p,
    RrParticipantEnded callback, gpointer user_data)
{
  p->ended = callback;
  p->ended_data = user_data;
}

static void
set_if_nonnull (GstElement * e, const gchar * prop, const gchar * value)
{
  if (value)
    g_object_set (e, prop, value, NULL);
}

static GstElement *
make_archive (RrRoom * room, RrParticipant * p, gboolean jitterbuffer)
{
  const RrRoomConfig *c = room->config;
  GstElement *a = gst_element_factory_make ("rtparchivesink", NULL);
  gchar *name;

  if (a == NULL)
    return NULL;
  name = g_strdup_printf ("archive-%s", p->id);
  gst_object_set_name (GST_OBJECT (a), name);
  g_free (name);
  g_object_set (a, "archive-dir", c->archive_dir,
      "recording-id", c->recording_id, "room-id", c->room_id,
      "connection-id", p->id, "session-id", c->recording_id,
      "recording-start-time", room->start_us,
      "split-duration", c->split_duration_ns,
      "split-only", c->split_only,
      "max-size-bytes", c->max_size_bytes,
      "max-duration", c->max_duration_ns,
      "max-pause", c->max_pause_ns,
      "hls-target-duration", c->hls_target_duration_ns,
      "pli-interval", c->pli_interval_ns,
      "jitterbuffer", jitterbuffer, "latency", c->latency_ms,
      "ha", c->failover, NULL);
  gst_util_set_object_arg (G_OBJECT (a), "format", rr_format_name (c->format));
  gst_util_set_object_arg (G_OBJECT (a), "naming",
      c->naming == RR_NAMING_PRESET_TRTC ? "trtc" :
      c->naming == RR_NAMING_PRESET_SPARKRTC ? "sparkrtc" : "sora");
  set_if_nonnull (a, "tmp-dir", c->tmp_dir);
  set_if_nonnull (a, "user-id", p->user_id);
  set_if_nonnull (a, "app-id", c->app_id);
  set_if_nonnull (a, "naming-template", c->naming_template);
  set_if_nonnull (a, "split-naming-template", c->split_naming_template);
  set_if_nonnull (a, "metadata", c->metadata_json);
  return a;
}

static RrParticipant *
participant_new (RrRoom * room, const gchar * user_id, gboolean record,
    gboolean jitterbuffer, GError ** error)
{
  RrParticipant *p = g_new0 (RrParticipant, 1);
  gchar *name;

  p->refcount = 1;
  p->room = room;
  p->id = rr_id_generate ();
  p->user_id = g_strdup (user_id);
  p->record = record;
  p->jitterbuffer = jitterbuffer;
  p->created_us = g_get_monotonic_time ();
  g_mutex_init (&p->lock);

  name = g_strdup_printf ("participant-%s", p->id);
  p->bin = gst_object_ref_sink (gst_bin_new (name));
  g_free (name);
  /* its archive's EOS reaches the bus wrapped in GstBinForwarded */
  g_object_set (p->bin, "message-forward", TRUE, NULL);
  g_object_set_data (G_OBJECT (p->bin), "rr-participant", p);

  if (record && room->config->mode != RR_ROOM_MODE_SINGLE) {
    p->mixed = TRUE;
    /* decodebin prerolls only with the first decoded frame: the running
     * pipeline must not lose its PLAYING state (and hold back participants
     * joining meanwhile) until then */
    g_object_set (p->bin, "async-handling", TRUE, NULL);
    /* the composite starts with its first participant */
    if (room->mix == NULL) {
      room->mix = rr_room_mix_new (room->container, room->config,
          room->start_us, error);
      if (room->mix == NULL) {
        g_prefix_error (error, "the composite could not be made: ");
        participant_unref (p);
        return NULL;
      }
    }
  }
  if (record && room->config->mode != RR_ROOM_MODE_MIXED) {
    p->archive = make_archive (room, p, jitterbuffer);
    if (p->archive == NULL) {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
          "the rtparchivesink element is missing: point GST_PLUGIN_PATH "
          "at the roomrec plugin (build/gst) or install it");
      participant_unref (p);
      return NULL;
    }
    gst_bin_add (GST_BIN (p->bin), p->archive);
  }
  return p;
}

/* Adds @p's bin to the running pipeline and registers it. */
static gboolean
participant_attach (RrRoom * room, RrParticipant * p, GError ** error)
{
  gst_bin_add (room->container, p->bin);
  if (!gst_element_sync_state_with_parent (p->bin)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "participant %s could not start (see the error above)", p->id);
    gst_element_set_state (p->bin, GST_STATE_NULL);
    gst_bin_remove (room->container, p->bin);
    return FALSE;
  }
  g_hash_table_insert (room->participants, p->id, p);
  room->had_participant = TRUE;
  observe_participant (room, p, "participant.joined", NULL);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* tracks                                                              */

static GstPadProbeReturn
count_media (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  TrackInput *in = user_data;
  gsize size = 0;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    size = gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    size = gst_buffer_list_calculate_size (GST_PAD_PROBE_INFO_BUFFER_LIST
        (info));
  g_atomic_int_add (&in->bytes, (gint) MIN (size, G_MAXINT / 4));
  g_atomic_int_set (in->got_media, 1);
  __atomic_store_n (&in->last_us, g_get_monotonic_time (), __ATOMIC_RELAXED);
  return GST_PAD_PROBE_OK;
}

static gint64
input_last_us (TrackInput * in)
{
  return __atomic_load_n (&in->last_us, __ATOMIC_RELAXED);
}

/* A decoder of the composite's branch: ask for a key frame when the
 * picture is broken, do not show broken pictures. */
static void
on_decoder_added (GstBin * decodebin, GstElement * element, gpointer data)
{
  GObjectClass *klass = G_OBJECT_GET_CLASS (element);

  if (g_object_class_find_property (klass, "automatic-request-sync-points"))
    g_object_set (element, "automatic-request-sync-points", TRUE, NULL);
  if (g_object_class_find_property (klass, "discard-corrupted-frames"))
    g_object_set (element, "discard-corrupted-frames", TRUE, NULL);
  /* libav's frame threads and direct rendering cost CPU for nothing here:
   * each participant already decodes on its own thread (bench/mixed.py,
   * docs/benchmarks.md) */
  if (g_str_has_prefix (GST_OBJECT_NAME (gst_element_get_factory (element)),
          "avdec_")) {
    if (g_object_class_find_property (klass, "max-threads"))
      g_object_set (element, "max-threads", 1, NULL);
    if (g_object_class_find_property (klass, "direct-rendering"))
      g_object_set (element, "direct-rendering", FALSE, NULL);
  }
}

static GstPadProbeReturn
note_first_picture (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  RrParticipant *p = data;

  g_atomic_int_set (&p->mix_started, 1);
  return GST_PAD_PROBE_REMOVE;
}

/* decodebin's raw pad → a ghost pad of the participant's bin → a sink pad
 * of the room's compositorlayout.  Streaming thread. */
static void
on_decoded_pad (GstElement * decodebin, GstPad * pad, RrParticipant * p)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *media = caps && gst_caps_get_size (caps) > 0 ?
      gst_structure_get_name (gst_caps_get_structure (caps, 0)) : "";
  guint kind = g_str_has_prefix (media, "video/") ? TRACK_VIDEO : TRACK_AUDIO;
  RrRoomMix *mix = p->room ? p->room->mix : NULL;
  Track *t;
  GstPad *ghost, *mix_pad;

  if (caps)
    gst_caps_unref (caps);
  g_mutex_lock (&p->lock);
  t = p->tracks[kind];
  if (p->ending || mix == NULL || t == NULL || t->mix_pad) {
    g_mutex_unlock (&p->lock);
    GST_WARNING ("participant %s: decoded %s pad not mixed", p->id, media);
    return;
  }
  mix_pad = rr_room_mix_request_pad (mix, kind == TRACK_VIDEO,
      p->user_id ? p->user_id : p->id);
  ghost = gst_ghost_pad_new (NULL, pad);
  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (p->bin, ghost);
  if (mix_pad == NULL || gst_pad_link (ghost, mix_pad) != GST_PAD_LINK_OK)
    GST_WARNING ("participant %s: the composite took no %s", p->id, media);
  t->mix_pad = mix_pad;
  if (kind == TRACK_VIDEO)
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, note_first_picture, p,
        NULL);
  g_mutex_unlock (&p->lock);
}

/* @src ! queue ! [rtpjitterbuffer !] decodebin, whose pad goes to the
 * composite (on_decoded_pad).  Called with p->lock. */
static void
add_mix_branch (RrParticipant * p, GstPad * src)
{
  GstElement *queue = gst_element_factory_make ("queue", NULL);
  GstElement *decodebin = gst_element_factory_make ("decodebin", NULL);
  GstElement *first = queue;
  GstPad *sink;

  gst_bin_add_many (GST_BIN (p->bin), queue, decodebin, NULL);
  if (p->jitterbuffer) {
    GstElement *jb = gst_element_factory_make ("rtpjitterbuffer", NULL);

    g_object_set (jb, "latency", p->room->config->latency_ms, NULL);
    gst_bin_add (GST_BIN (p->bin), jb);
    gst_element_link (queue, jb);
    queue = jb;
  }
  gst_element_link (queue, decodebin);
  g_signal_connect (decodebin, "element-added",
      G_CALLBACK (on_decoder_added), NULL);
  g_signal_connect (decodebin, "pad-added", G_CALLBACK (on_decoded_pad), p);
  sink = gst_element_get_static_pad (first, "sink");
  gst_pad_link (src, sink);
  gst_object_unref (sink);
  gst_element_sync_state_with_parent (decodebin);
  if (queue != first)
    gst_element_sync_state_with_parent (queue);
  gst_element_sync_state_with_parent (first);
}

/* Called with p->lock. */
static GstPadProbeReturn
count_keyframe_requests (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  RrRoom *room = data;

  if (gst_video_event_is_force_key_unit (GST_PAD_PROBE_INFO_EVENT (info)))
    g_atomic_int_inc (&room->keyframe_requests);
  return GST_PAD_PROBE_OK;
}

static Track *
get_track (RrParticipant * p, guint kind)
{
  Track *t = p->tracks[kind];
  GstPad *sel_src;

  if (t || (!p->archive && !p->mixed))
    return t;

  t = g_new0 (Track, 1);
  t->inputs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      track_input_free);
  t->created_us = g_get_monotonic_time ();
  t->selector = gst_element_factory_make ("input-selector", NULL);
  /* live RTP: never wait for the inactive pads' running time */
  g_object_set (t->selector, "sync-streams", FALSE, "cache-buffers", FALSE,
      NULL);
  gst_bin_add (GST_BIN (p->bin), t->selector);
  gst_element_sync_state_with_parent (t->selector);
  sel_src = gst_element_get_static_pad (t->selector, "src");
  if (p->archive) {
    t->archive_pad = gst_element_request_pad_simple (p->archive, "sink_%u");
    gst_pad_add_probe (t->archive_pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
        count_keyframe_requests, p->room, NULL);
  }
  if (p->archive && p->mixed) {
    GstElement *tee = gst_element_factory_make ("tee", NULL);
    GstPad *tee_src;

    gst_bin_add (GST_BIN (p->bin), tee);
    gst_element_sync_state_with_parent (tee);
    gst_element_link (t->selector, tee);
    tee_src = gst_element_request_pad_simple (tee, "src_%u");
    gst_pad_link (tee_src, t->archive_pad);
    gst_object_unref (tee_src);
    tee_src = gst_element_request_pad_simple (tee, "src_%u");
    add_mix_branch (p, tee_src);
    gst_object_unref (tee_src);
  } else if (p->archive) {
    gst_pad_link (sel_src, t->archive_pad);
  } else {
    add_mix_branch (p, sel_src);
  }
  gst_object_unref (sel_src);
  p->tracks[kind] = t;
  return t;
}

/* The recorder takes its tracks before it starts: ask for every track the
 * session will have as soon as that is known (offer, SDP), not when its
 * first packet comes. */
static void
prepare_tracks (RrParticipant * p, gboolean audio, gboolean video)
{
  g_mutex_lock (&p->lock);
  if (audio && kind_is_recorded (p, TRACK_AUDIO))
    get_track (p, TRACK_AUDIO);
  if (video && kind_is_recorded (p, TRACK_VIDEO))
    get_track (p, TRACK_VIDEO);
  g_mutex_unlock (&p->lock);
}

static GstPadProbeReturn
note_discarded_media (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  RrParticipant *p = data;

  __atomic_store_n (&p->last_discarded_us, g_get_monotonic_time (),
      __ATOMIC_RELAXED);
  return GST_PAD_PROBE_OK;
}

static void
discard_pad (RrParticipant * p, GstPad * pad)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstPad *sinkpad;

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (p->bin), sink);
  gst_element_sync_state_with_parent (sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  /* a participant that is not recorded is still there while it sends */
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, note_discarded_media, p, NULL);
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
}

static gboolean
kind_is_recorded (RrParticipant * p, guint kind)
{
  const RrRoomConfig *c = p->room->config;

  if (!p->record)
    return FALSE;
  /* an RTP/SDP source was checked against the format already */
  if (p->sources)
    return TRUE;
  return kind == TRACK_VIDEO ? c->n_video_codecs > 0 : c->n_audio_codecs > 0;
}

/* Links a new media pad of the participant's input into the track of
 * @kind (or throws its packets away).  Any thread. */
static void
attach_input (RrParticipant * p, GstPad * pad, guint kind)
{
  Track *t = NULL;
  TrackInput *in;

  g_mutex_lock (&p->lock);
  if (!p->ending && kind_is_recorded (p, kind))
    t = get_track (p, kind);
  if (t == NULL) {
    discard_pad (p, pad);
    g_mutex_unlock (&p->lock);
    return;
  }

  in = g_new0 (TrackInput, 1);
  in->got_media = &p->got_media;
  in->src = gst_object_ref (pad);
  in->selector_pad = gst_element_request_pad_simple (t->selector, "sink_%u");
  in->last_us = g_get_monotonic_time ();
  in->probe = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, count_media, in, NULL);
  if (t->inputs->len == 0)
    t->created_us = g_get_monotonic_time ();
  t->last_input_us = g_get_monotonic_time ();
  /* simulcast: no layer reaches the archive before the highest one is
   * known (select_inputs), so that the file starts with it */
  if (kind == TRACK_VIDEO && p->simulcast)
    in->hold = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_BUFFER_LIST, drop_data, NULL, NULL);
  if (gst_pad_link (pad, in->selector_pad) != GST_PAD_LINK_OK)
    GST_WARNING ("participant %s: could not link %s:%s", p->id,
        GST_DEBUG_PAD_NAME (pad));
  g_ptr_array_add (t->inputs, in);
  if (t->active == NULL && in->hold == 0) {
    t->active = in;
    g_object_set (t->selector, "active-pad", in->selector_pad, NULL);
  }
  GST_INFO ("participant %s: %s input %s:%s (%u on this track)", p->id,
      kind == TRACK_VIDEO ? "video" : "audio", GST_DEBUG_PAD_NAME (pad),
      t->inputs->len);
  g_mutex_unlock (&p->lock);
}

static guint
kind_of_caps (GstCaps * caps)
{
  const gchar *media = NULL;

  if (caps && gst_caps_get_size (caps) > 0)
    media = gst_structure_get_string (gst_caps_get_structure (caps, 0),
        "media");
  return g_strcmp0 (media, "audio") == 0 ? TRACK_AUDIO : TRACK_VIDEO;
}

static void
on_webrtc_pad_added (GstElement * webrtc, GstPad * pad, RrParticipant * p)
{
  GstCaps *caps;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  caps = gst_pad_get_current_caps (pad);
  attach_input (p, pad, kind_of_caps (caps));
  if (caps)
    gst_caps_unref (caps);
}

/* Marks the input of @pad as gone (rtpbin timed its SSRC out). */
static void
on_webrtc_pad_removed (GstElement * webrtc, GstPad * pad, RrParticipant * p)
{
  g_mutex_lock (&p->lock);
  for (guint k = 0; k < N_TRACKS; k++) {
    Track *t = p->tracks[k];

    for (guint i = 0; t && i < t->inputs->len; i++) {
      TrackInput *in = g_ptr_array_index (t->inputs, i);

      if (in->src == pad)
        in->removed = TRUE;
    }
  }
  g_mutex_unlock (&p->lock);
}

/* Makes @in the input @t records. */
static void
release_layer (Track * t, TrackInput * in)
{
  if (in->hold) {
    gst_pad_remove_probe (in->src, in->hold);
    in->hold = 0;
  }
  t->active = in;
  g_object_set (t->selector, "active-pad", in->selector_pad, NULL);
}

/* Picks the input each track records.  Main context, every tick. */
static void
select_inputs (RrParticipant * p, gint64 now)
{
  g_mutex_lock (&p->lock);
  for (guint k = 0; k < N_TRACKS; k++) {
    Track *t = p->tracks[k];
    TrackInput *best = NULL;
    gboolean active_silent;

    if (t == NULL)
      continue;
    for (guint i = 0; i < t->inputs->len; i++) {
      TrackInput *in = g_ptr_array_index (t->inputs, i);

      in->window_bytes = (guint) g_atomic_int_and (&in->bytes, 0);
      if (in->removed || now - input_last_us (in) > INPUT_SILENT_US)
        continue;
      if (best == NULL || in->window_bytes > best->window_bytes)
        best = in;
    }
    if (best == NULL || best == t->active)
      continue;
    if (t->active == NULL) {
      /* simulcast layers held back: the one with the most bytes is the
       * highest */
      for (guint i = 0; i < t->inputs->len; i++) {
        TrackInput *in = g_ptr_array_index (t->inputs, i);

        in->held_bytes += in->window_bytes;
        if (in->held_bytes > best->held_bytes)
          best = in;
      }
      /* every offered layer there for 500 ms, or 2.5 s after the first */
      if (!(t->inputs->len >= p->n_layers
              && now - t->last_input_us >= G_USEC_PER_SEC / 2)
          && now - t->created_us < 5 * G_USEC_PER_SEC / 2)
        continue;
      g_print ("roomrec: participant %s: recording simulcast layer %s:%s "
          "of %u (the most bytes)\n", p->id, GST_DEBUG_PAD_NAME (best->src),
          t->inputs->len);
      release_layer (t, best);
      gst_pad_send_event (best->src,
          gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
              TRUE, 0));
      continue;
    }
    active_silent = t->active == NULL || t->active->removed
        || now - input_last_us (t->active) > INPUT_SILENT_US;
    /* A sender that restarted (new SSRC), or in the first seconds a layer
     * that carries clearly more than the one recorded (simulcast by SSRC
     * group; switching later would cut the recording on a non-key frame).
     * rid layers were compared before one was chosen, and the browser's
     * bandwidth estimate moves their sizes afterwards: they stay. */
    if (active_silent || (p->simulcast == NULL
            && now - t->created_us < 3 * G_USEC_PER_SEC
            && best->window_bytes > 3 * (t->active->window_bytes / 2))) {
      g_print ("roomrec: participant %s: %s now from %s:%s (%s)\n", p->id,
          k == TRACK_VIDEO ? "video" : "audio",
          GST_DEBUG_PAD_NAME (best->src), active_silent ?
          "the sender's new stream" : "the layer with the most bytes");
      release_layer (t, best);
      if (k == TRACK_VIDEO)
        gst_pad_send_event (best->src,
            gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                TRUE, 0));
    }
  }
  g_mutex_unlock (&p->lock);
}

/* Until the first file has started, ask the sender for a key frame every
 * second, from here too: the recorder asks only once a video frame
 * reaches it, and an H.264 parser gives none before the first key frame
 * when the parameter sets come in-band only. */
static void
request_first_keyframe (RrParticipant * p, gint64 now)
{
  GstPad *src = NULL;

  gboolean started = p->archive ? p->archive_started
      : g_atomic_int_get (&p->mix_started);

  if (started || !g_atomic_int_get (&p->got_media)
      || now - p->last_start_request_us < G_USEC_PER_SEC)
    return;
  g_mutex_lock (&p->lock);
  if (p->tracks[TRACK_VIDEO] && p->tracks[TRACK_VIDEO]->active)
    src = gst_object_ref (p->tracks[TRACK_VIDEO]->active->src);
  g_mutex_unlock (&p->lock);
  if (src == NULL)
    return;
  p->last_start_request_us = now;
  gst_pad_send_event (src,
      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
          TRUE, 0));
  gst_object_unref (src);
}

/* ------------------------------------------------------------------ */
/* participants: ending                                                */

static gboolean
finalise_timeout_cb (gpointer data)
{
  RrParticipant *p = data;

  p->finalise_timeout = 0;
  g_printerr ("roomrec: participant %s: its archive did not finish within "
      "%d s; its files stay in the temp dir\n", p->id, FINALISE_TIMEOUT_S);
  participant_finalise (p);
  return G_SOURCE_REMOVE;
}

static gboolean
finalise_idle (gpointer data)
{
  participant_finalise (data);
  return G_SOURCE_REMOVE;
}

/* Ends the archive's tracks, the video track first: splitmuxsink holds
 * the other tracks until the reference (video) track starts, so a sender
 * that never sent a key frame has the audio thread waiting inside the
 * archive, holding the audio pad's stream lock until video ends. */
static void
send_eos_to_archive (GstElement * archive, gpointer data)
{
  RrParticipant *p = data;
  GstPad *pads[N_TRACKS] = { NULL, };

  g_mutex_lock (&p->lock);
  for (guint k = 0; k < N_TRACKS; k++)
    if (p->tracks[k] && p->tracks[k]->archive_pad)
      pads[k] = gst_object_ref (p->tracks[k]->archive_pad);
  g_mutex_unlock (&p->lock);

  for (gint k = N_TRACKS - 1; k >= 0; k--) {
    if (pads[k]) {
      gst_pad_send_event (pads[k], gst_event_new_eos ());
      gst_object_unref (pads[k]);
    }
  }
}

/* Nothing goes into an archive after its EOS. */
static GstPadProbeReturn
drop_data (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  return GST_PAD_PROBE_DROP;
}

void
rr_participant_end (RrParticipant * p, const gchar * why)
{
  gboolean has_tracks = FALSE;

  g_mutex_lock (&p->lock);
  if (p->ending) {
    g_mutex_unlock (&p->lock);
    return;
  }
  p->ending = TRUE;
  for (guint k = 0; k < N_TRACKS; k++) {
    Track *t = p->tracks[k];
    GstPad *src;

    if (t == NULL)
      continue;
    has_tracks = TRUE;
    src = gst_element_get_static_pad (t->selector, "src");
    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_BUFFER_LIST, drop_data, NULL, NULL);
    gst_object_unref (src);
  }
  g_mutex_unlock (&p->lock);
  /* nothing ever came: there is no file to finish; only mixed: the room's
   * composite goes on without it */
  if (!g_atomic_int_get (&p->got_media) || p->archive == NULL)
    has_tracks = FALSE;

  p->end_reason = g_strdup (why);
  g_print ("roomrec: participant %s%s%s ends: %s\n", p->id,
      p->user_id ? " user " : "", p->user_id ? p->user_id : "", why);
  if (p->negotiation_timeout) {
    g_source_remove (p->negotiation_timeout);
    p->negotiation_timeout = 0;
  }

  /* the input keeps running (its packets are dropped) until the archive
   * is done: stopping it now could wait on a thread that is inside the
   * archive */
  if (!has_tracks) {
    participant_invoke (p, finalise_idle);
    return;
  }
  p->finalise_timeout = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT,
      FINALISE_TIMEOUT_S, finalise_timeout_cb, participant_ref (p),
      (GDestroyNotify) participant_unref);
  /* finishing a file writes to disk: not on the main loop */
  gst_element_call_async (p->archive, send_eos_to_archive,
      participant_ref (p), (GDestroyNotify) participant_unref);
}

/* The participant's archive finished (or gave up): take it out. */
static void
participant_finalise (RrParticipant * p)
{
  RrRoom *room = p->room;

  if (room == NULL)
    return;                     /* already done */
  if (p->finalise_timeout) {
    g_source_remove (p->finalise_timeout);
    p->finalise_timeout = 0;
  }
  if (p->negotiation_timeout) {
    g_source_remove (p->negotiation_timeout);
    p->negotiation_timeout = 0;
  }
  p->ending = TRUE;
  if (p->answer_ready && !p->answered) {
    GError *err = g_error_new (GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
        "the session ended before it was negotiated: %s",
        p->end_reason ? p->end_reason : "unknown reason");

    p->answered = TRUE;
    p->answer_ready (p, NULL, err, p->answer_data);
    g_error_free (err);
  }

  if (p->webrtc)
    g_signal_handlers_disconnect_by_data (p->webrtc, p);
  /* the archive first: that releases any thread waiting inside it */
  if (p->archive)
    gst_element_set_state (p->archive, GST_STATE_NULL);
  gst_element_set_state (p->bin, GST_STATE_NULL);
  gst_bin_remove (room->container, p->bin);
  /* its tile goes; nothing flows into these pads any more.  When the room
   * stops they stay: the composite ends once each of its pads had EOS */
  for (guint k = 0; k < N_TRACKS; k++) {
    Track *t = p->tracks[k];

    if (t && t->mix_pad && room->mix && !room->stopping) {
      rr_room_mix_release_pad (room->mix, t->mix_pad);
      gst_clear_object (&t->mix_pad);
    }
  }
  if (p->ended)
    p->ended (p, p->ended_data);
  add_archive_counters (p, &room->gone_bytes, &room->gone_packets_lost);
  observe_participant (room, p, "participant.left", p->end_reason);
  p->room = NULL;
  room->last_publisher_us = g_get_monotonic_time ();
  g_hash_table_remove (room->participants, p->id);      /* unrefs */
  room_maybe_finish (room);
}

static RrParticipant *
participant_of_object (RrRoom * room, GstObject * obj)
{
  GstObject *o = obj ? gst_object_ref (obj) : NULL;

  while (o) {
    RrParticipant *p = g_object_get_data (G_OBJECT (o), "rr-participant");
    GstObject *parent;

    if (p) {
      gst_object_unref (o);
      return p;
    }
    parent = gst_object_get_parent (o);
    gst_object_unref (o);
    o = parent;
  }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* WebRTC                                                              */

static gboolean
negotiation_timeout_cb (gpointer data)
{
  RrParticipant *p = data;

  p->negotiation_timeout = 0;
  rr_participant_end (p, "negotiation timed out");
  return G_SOURCE_REMOVE;
}

/* Main context: hands the local description to the caller once ICE
 * gathering is complete (WHIP/WHEP carry no server-side trickle). */
static gboolean
check_local_description (gpointer data)
{
  RrParticipant *p = data;
  GstWebRTCICEGatheringState gathering;
  GstWebRTCSessionDescription *desc = NULL;
  gchar *text;

  if (p->answered || !p->local_set || p->room == NULL || p->ending)
    return G_SOURCE_REMOVE;
  g_object_get (p->webrtc, "ice-gathering-state", &gathering, NULL);
  if (gathering != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    return G_SOURCE_REMOVE;
  g_object_get (p->webrtc, "local-description", &desc, NULL);
  if (desc == NULL)
    return G_SOURCE_REMOVE;
  text = gst_sdp_message_as_text (desc->sdp);
  gst_webrtc_session_description_free (desc);
  p->answered = TRUE;
  if (p->negotiation_timeout) {
    g_source_remove (p->negotiation_timeout);
    p->negotiation_timeout = 0;
  }
  p->answer_ready (p, text, NULL, p->answer_data);
  g_free (text);
  return G_SOURCE_REMOVE;
}

static void
on_gathering_state (GObject * webrtc, GParamSpec * pspec, RrParticipant * p)
{
  participant_invoke (p, check_local_description);
}

typedef struct
{
  RrParticipant *p;
  GError *error;
} NegotiationFailure;

static gboolean
negotiation_failed_idle (gpointer data)
{
  NegotiationFailure *f = data;
  RrParticipant *p = f->p;

  if (p->room && !p->answered) {
    p->answered = TRUE;
    p->answer_ready (p, NULL, f->error, p->answer_data);
    rr_participant_end (p, f->error->message);
  }
  participant_unref (p);
  g_error_free (f->error);
  g_free (f);
  return G_SOURCE_REMOVE;
}

static void
negotiation_failed (RrParticipant * p, const gchar * step,
    const GstStructure * reply)
{
  NegotiationFailure *f = g_new0 (NegotiationFailure, 1);
  GError *err = NULL;

  if (reply)
    gst_structure_get (reply, "error", G_TYPE_ERROR, &err, NULL);
  f->p = participant_ref (p);
  f->error = g_error_new (GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
      "%s failed: %s", step, err ? err->message : "no reason given");
  g_clear_error (&err);
  g_main_context_invoke (p->room ? p->room->context : NULL,
      negotiation_failed_idle, f);
}

static gboolean
reply_has_error (const GstStructure * reply)
{
  return reply && gst_structure_has_field (reply, "error");
}

#define TWCC_EXT_URI \
  "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

/* The id the offer gives the transport-wide-cc header extension. */
static guint
offered_twcc_ext_id (const GstSDPMessage * msg)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (msg, i);

    for (guint j = 0; j < gst_sdp_media_attributes_len (m); j++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, j);
      guint id;
      gchar uri[256];

      if (g_strcmp0 (a->key, "extmap") == 0 && a->value
          && sscanf (a->value, "%u %255s", &id, uri) == 2 && id > 0
          && id < 256 && g_str_equal (uri, TWCC_EXT_URI))
        return id;
    }
  }
  return 0;
}

/* webrtcbin 1.22 answers transport-cc feedback but drops the offer's
 * header extension, so a browser gets no bandwidth estimate and stays at
 * ~0.3 Mbit/s.  Put the extension back into the answer before it is set:
 * the receiving rtpsession reads it from the caps made from the local
 * description and sends transport-wide feedback. */
static void
answer_add_twcc (GstSDPMessage * answer, guint id)
{
  gchar *value = g_strdup_printf ("%u %s", id, TWCC_EXT_URI);

  for (guint i = 0; i < gst_sdp_message_medias_len (answer); i++) {
    /* GstSDPMessage has no setter for a media in place */
    GstSDPMedia *m = (GstSDPMedia *) gst_sdp_message_get_media (answer, i);
    gboolean have = FALSE;

    if (gst_sdp_media_get_port (m) == 0
        && !gst_sdp_media_get_attribute_val (m, "bundle-only"))
      continue;
    for (guint j = 0; j < gst_sdp_media_attributes_len (m); j++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, j);

      if (g_strcmp0 (a->key, "extmap") == 0 && a->value
          && strstr (a->value, TWCC_EXT_URI))
        have = TRUE;
    }
    if (!have)
      gst_sdp_media_add_attribute (m, "extmap", value);
  }
  g_free (value);
}

#define RID_EXT_URI "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
#define MID_EXT_URI "urn:ietf:params:rtp-hdrext:sdes:mid"

/* A copy of the offer's video m-line when it sends simulcast. */
static GstSDPMedia *
offered_simulcast (const GstSDPMessage * msg)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (msg, i);
    const gchar *sim = gst_sdp_media_get_attribute_val (m, "simulcast");
    GstSDPMedia *copy = NULL;

    if (g_strcmp0 (gst_sdp_media_get_media (m), "video") == 0 && sim
        && g_str_has_prefix (sim, "send ")) {
      gst_sdp_media_copy (m, &copy);
      return copy;
    }
  }
  return NULL;
}

static void
add_extmap_like (GstSDPMedia * answer, const GstSDPMedia * offer,
    const gchar * uri)
{
  for (guint j = 0; j < gst_sdp_media_attributes_len (offer); j++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (offer, j);

    if (g_strcmp0 (a->key, "extmap") == 0 && a->value
        && g_str_has_suffix (a->value, uri)) {
      gst_sdp_media_add_attribute (answer, "extmap", a->value);
      return;
    }
  }
}

/* webrtcbin 1.22 receives simulcast (one src pad per layer) but does not
 * answer it: without a=simulcast in the answer a browser sends only its
 * lowest layer.  Accept every offered layer (each `a=rid:X send` becomes
 * `a=rid:X recv`) with the header extensions that name them; the track's
 * selector then records the layer with the most bytes. */
static void
answer_add_simulcast (GstSDPMessage * answer, const GstSDPMedia * offer)
{
  const gchar *mid = gst_sdp_media_get_attribute_val (offer, "mid");
  const gchar *sim = gst_sdp_media_get_attribute_val (offer, "simulcast");

  for (guint i = 0; i < gst_sdp_message_medias_len (answer); i++) {
    /* GstSDPMessage has no setter for a media in place */
    GstSDPMedia *m = (GstSDPMedia *) gst_sdp_message_get_media (answer, i);
    gchar *recv;

    if (g_strcmp0 (gst_sdp_media_get_attribute_val (m, "mid"), mid) != 0
        || gst_sdp_media_get_attribute_val (m, "simulcast"))
      continue;
    for (guint j = 0; j < gst_sdp_media_attributes_len (offer); j++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (offer, j);
      gchar **parts;

      if (g_strcmp0 (a->key, "rid") != 0 || a->value == NULL)
        continue;
      parts = g_strsplit (a->value, " ", 3);
      if (parts[0] && parts[1] && g_str_equal (parts[1], "send")) {
        gchar *v = g_strdup_printf ("%s recv", parts[0]);

        gst_sdp_media_add_attribute (m, "rid", v);
        g_free (v);
      }
      g_strfreev (parts);
    }
    recv = g_strdup_printf ("recv %s", sim + strlen ("send "));
    gst_sdp_media_add_attribute (m, "simulcast", recv);
    g_free (recv);
    add_extmap_like (m, offer, MID_EXT_URI);
    add_extmap_like (m, offer, RID_EXT_URI);
  }
}

/* Both offer and answer: set it as local description, then wait for the
 * gathering to complete. */
static void
on_local_created (GstPromise * promise, gpointer data)
{
  RrParticipant *p = data;
  const GstStructure *reply;
  GstWebRTCSessionDescription *desc = NULL;
  const gchar *field = p->offerer ? "offer" : "answer";

  gst_promise_wait (promise);
  reply = gst_promise_get_reply (promise);
  if (reply)
    gst_structure_get (reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
        &desc, NULL);
  if (desc == NULL) {
    negotiation_failed (p, p->offerer ? "create-offer" : "create-answer",
        reply);
    gst_promise_unref (promise);
    return;
  }
  gst_promise_unref (promise);
  if (!p->offerer && p->twcc_ext_id)
    answer_add_twcc (desc->sdp, p->twcc_ext_id);
  if (!p->offerer && p->simulcast)
    answer_add_simulcast (desc->sdp, p->simulcast);
  g_signal_emit_by_name (p->webrtc, "set-local-description", desc, NULL);
  gst_webrtc_session_description_free (desc);
  p->local_set = TRUE;
  participant_invoke (p, check_local_description);
}

static void
on_remote_offer_set (GstPromise * promise, gpointer data)
{
  RrParticipant *p = data;
  const GstStructure *reply;
  GstPromise *next;

  gst_promise_wait (promise);
  reply = gst_promise_get_reply (promise);
  if (reply_has_error (reply)) {
    negotiation_failed (p, "set-remote-description", reply);
    gst_promise_unref (promise);
    return;
  }
  gst_promise_unref (promise);
  next = gst_promise_new_with_change_func (on_local_created,
      participant_ref (p), (GDestroyNotify) participant_unref);
  g_signal_emit_by_name (p->webrtc, "create-answer", NULL, next);
}

static gboolean
connection_state_changed (gpointer data)
{
  RrParticipant *p = data;
  GstWebRTCPeerConnectionState state;

  if (p->room == NULL || p->ending)
    return G_SOURCE_REMOVE;
  g_object_get (p->webrtc, "connection-state", &state, NULL);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
    rr_participant_end (p, "ICE/DTLS connection failed");
  else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED)
    rr_participant_end (p, "connection closed");
  else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
    g_print ("roomrec: participant %s connected\n", p->id);
  return G_SOURCE_REMOVE;
}

static void
on_connection_state (GObject * webrtc, GParamSpec * pspec, RrParticipant * p)
{
  participant_invoke (p, connection_state_changed);
}

/* libnice asks the LAN's router for port mappings by default (UPnP): a
 * recorder has no use for it, and it logs warnings on hosts without one. */
static void
disable_upnp (GstElement * webrtc)
{
  GObject *ice = NULL, *agent = NULL;

  g_object_get (webrtc, "ice-agent", &ice, NULL);
  if (ice && g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
    g_object_get (ice, "agent", &agent, NULL);
  if (agent && g_object_class_find_property (G_OBJECT_GET_CLASS (agent),
          "upnp"))
    g_object_set (agent, "upnp", FALSE, NULL);
  g_clear_object (&agent);
  g_clear_object (&ice);
}

static GstElement *
make_webrtcbin (RrRoom * room, RrParticipant * p)
{
  GstElement *webrtc = gst_element_factory_make ("webrtcbin", NULL);

  if (webrtc == NULL)
    return NULL;
  g_object_set (webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
      "latency", room->config->latency_ms, NULL);
  disable_upnp (webrtc);
  g_signal_connect (webrtc, "pad-added", G_CALLBACK (on_webrtc_pad_added), p);
  g_signal_connect (webrtc, "pad-removed",
      G_CALLBACK (on_webrtc_pad_removed), p);
  g_signal_connect (webrtc, "notify::ice-gathering-state",
      G_CALLBACK (on_gathering_state), p);
  g_signal_connect (webrtc, "notify::connection-state",
      G_CALLBACK (on_connection_state), p);
  gst_bin_add (GST_BIN (p->bin), webrtc);
  p->webrtc = webrtc;
  return webrtc;
}

static gchar *
sdp_ice_ufrag (const GstSDPMessage * msg)
{
  const gchar *u = gst_sdp_message_get_attribute_val (msg, "ice-ufrag");

  for (guint i = 0; u == NULL && i < gst_sdp_message_medias_len (msg); i++)
    u = gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (msg, i),
        "ice-ufrag");
  return g_strdup (u);
}

/* Whether @msg has an m-line of @kind that is not rejected. */
static gboolean
sdp_has_media (const GstSDPMessage * msg, const gchar * kind)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (msg, i);

    if (g_strcmp0 (gst_sdp_media_get_media (m), kind) == 0
        && (gst_sdp_media_get_port (m) != 0
            || gst_sdp_media_get_attribute_val (m, "bundle-only")))
      return TRUE;
  }
  return FALSE;
}

static GstWebRTCSessionDescription *
parse_description (GstWebRTCSDPType type, const gchar * sdp,
    gchar ** ufrag, GError ** error)
{
  GstSDPMessage *msg = NULL;

  if (gst_sdp_message_new_from_text (sdp, &msg) != GST_SDP_OK) {
    g_set_error (error, RR_SDP_ERROR, RR_SDP_ERROR_MALFORMED,
        "not a readable SDP");
    if (msg)
      gst_sdp_message_free (msg);
    return NULL;
  }
  if (ufrag)
    *ufrag = sdp_ice_ufrag (msg);
  return gst_webrtc_session_description_new (type, msg);
}

/* Puts @p in the room; @ready gets its description, or an error when
 * negotiation takes longer than NEGOTIATION_TIMEOUT_S. */
static gboolean
start_negotiation (RrRoom * room, RrParticipant * p, RrAnswerReady ready,
    gpointer user_data, GError ** error)
{
  p->answer_ready = ready;
  p->answer_data = user_data;
  if (!participant_attach (room, p, error))
    return FALSE;
  p->negotiation_timeout = g_timeout_add_seconds (NEGOTIATION_TIMEOUT_S,
      negotiation_timeout_cb, p);
  return TRUE;
}

RrParticipant *
rr_room_add_webrtc_answerer (RrRoom * room, const gchar * user_id,
    gboolean record, const gchar * offer_sdp, RrAnswerReady answer_ready,
    gpointer user_data, GError ** error)
{
  const RrRoomConfig *c = room->config;
  RrParticipant *p;
  GstWebRTCSessionDescription *offer;
  GstPromise *promise;
  gchar *restricted;

  if (room->stopping) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "the room is stopping");
    return NULL;
  }
  restricted = rr_sdp_restrict_codecs (offer_sdp, c->video_codecs,
      c->n_video_codecs, c->audio_codecs, c->n_audio_codecs,
      rr_format_name (c->format), error);
  if (restricted == NULL)
    return NULL;

  p = participant_new (room, user_id, record, FALSE, error);
  if (p == NULL) {
    g_free (restricted);
    return NULL;
  }
  offer = parse_description (GST_WEBRTC_SDP_TYPE_OFFER, restricted,
      &p->remote_ufrag, error);
  g_free (restricted);
  if (offer == NULL || make_webrtcbin (room, p) == NULL) {
    if (offer)
      gst_webrtc_session_description_free (offer);
    else
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
          "webrtcbin is missing (Debian package gstreamer1.0-plugins-bad)");
    participant_unref (p);
    return NULL;
  }
  prepare_tracks (p, sdp_has_media (offer->sdp, "audio"),
      sdp_has_media (offer->sdp, "video"));
  p->twcc_ext_id = offered_twcc_ext_id (offer->sdp);
  p->simulcast = offered_simulcast (offer->sdp);
  for (guint i = 0; p->simulcast
      && i < gst_sdp_media_attributes_len (p->simulcast); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (p->simulcast, i);

    if (g_strcmp0 (a->key, "rid") == 0 && a->value
        && strstr (a->value, " send"))
      p->n_layers++;
  }
  /* the layers are held back until the highest is known (select_inputs):
   * the audio must not start the files alone meanwhile */
  if (p->simulcast && p->archive)
    g_object_set (p->archive, "track-wait", 5 * GST_SECOND, NULL);
  p->etag = g_strdup_printf ("\"%s\"", p->id);
  if (!start_negotiation (room, p, answer_ready, user_data, error)) {
    gst_webrtc_session_description_free (offer);
    participant_unref (p);
    return NULL;
  }
  promise = gst_promise_new_with_change_func (on_remote_offer_set,
      participant_ref (p), (GDestroyNotify) participant_unref);
  g_signal_emit_by_name (p->webrtc, "set-remote-description", offer, promise);
  gst_webrtc_session_description_free (offer);
  return p;
}

/* Receive-only codec preferences of a WHEP offer, in the room's order. */
static GstCaps *
recv_caps (RrCodec * codecs, guint n, const gchar * media)
{
  GstCaps *caps = gst_caps_new_empty ();
  static const struct
  {
    RrCodec codec;
    gint pt;
    const gchar *name;
    gint rate;
  } table[] = {
    {RR_CODEC_VP8, 96, "VP8", 90000}, {RR_CODEC_VP9, 98, "VP9", 90000},
    {RR_CODEC_H264, 102, "H264", 90000}, {RR_CODEC_H265, 104, "H265", 90000},
    {RR_CODEC_AV1, 106, "AV1", 90000}, {RR_CODEC_OPUS, 111, "OPUS", 48000},
    {RR_CODEC_PCMU, 0, "PCMU", 8000}, {RR_CODEC_PCMA, 8, "PCMA", 8000},
  };

  for (guint i = 0; i < n; i++) {
    for (guint j = 0; j < G_N_ELEMENTS (table); j++) {
      GstStructure *s;

      if (table[j].codec != codecs[i])
        continue;
      s = gst_structure_new ("application/x-rtp", "media", G_TYPE_STRING,
          media, "payload", G_TYPE_INT, table[j].pt, "clock-rate", G_TYPE_INT,
          table[j].rate, "encoding-name", G_TYPE_STRING, table[j].name, NULL);
      if (codecs[i] == RR_CODEC_OPUS)
        gst_structure_set (s, "encoding-params", G_TYPE_STRING, "2", NULL);
      if (codecs[i] == RR_CODEC_H264)
        gst_structure_set (s, "packetization-mode", G_TYPE_STRING, "1",
            "profile-level-id", G_TYPE_STRING, "42e01f",
            "level-asymmetry-allowed", G_TYPE_STRING, "1", NULL);
      if (rr_codec_is_video (codecs[i]))
        gst_structure_set (s, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE,
            "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE, "rtcp-fb-nack",
            G_TYPE_BOOLEAN, TRUE, NULL);
      gst_caps_append_structure (caps, s);
    }
  }
  return caps;
}

static void
add_recv_transceiver (GstElement * webrtc, GstCaps * caps)
{
  GstWebRTCRTPTransceiver *trans = NULL;

  if (gst_caps_is_empty (caps)) {
    gst_caps_unref (caps);
    return;
  }
  g_signal_emit_by_name (webrtc, "add-transceiver",
      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &trans);
  gst_caps_unref (caps);
  if (trans)
    gst_object_unref (trans);
}

RrParticipant *
rr_room_add_webrtc_offerer (RrRoom * room, const gchar * user_id,
    RrAnswerReady offer_ready, gpointer user_data, GError ** error)
{
  const RrRoomConfig *c = room->config;
  RrParticipant *p;
  GstPromise *promise;
  gboolean record = rr_room_config_may_record (c, user_id);

  if (room->stopping) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "the room is stopping");
    return NULL;
  }
  p = participant_new (room, user_id, record, FALSE, error);
  if (p == NULL)
    return NULL;
  p->offerer = TRUE;
  if (make_webrtcbin (room, p) == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "webrtcbin is missing (Debian package gstreamer1.0-plugins-bad)");
    participant_unref (p);
    return NULL;
  }
  add_recv_transceiver (p->webrtc, recv_caps (c->video_codecs,
          c->n_video_codecs, "video"));
  /* audio the room does not record is still asked for: a WHEP server may
   * refuse an offer without it; its packets are thrown away */
  if (c->n_audio_codecs > 0)
    add_recv_transceiver (p->webrtc, recv_caps (c->audio_codecs,
            c->n_audio_codecs, "audio"));
  else {
    RrCodec opus = RR_CODEC_OPUS;

    add_recv_transceiver (p->webrtc, recv_caps (&opus, 1, "audio"));
  }
  prepare_tracks (p, TRUE, TRUE);
  if (!start_negotiation (room, p, offer_ready, user_data, error)) {
    participant_unref (p);
    return NULL;
  }
  promise = gst_promise_new_with_change_func (on_local_created,
      participant_ref (p), (GDestroyNotify) participant_unref);
  g_signal_emit_by_name (p->webrtc, "create-offer", NULL, promise);
  return p;
}

static gboolean
answer_refused_idle (gpointer data)
{
  rr_participant_end (data, "the remote answer was refused");
  return G_SOURCE_REMOVE;
}

static void
on_remote_answer_set (GstPromise * promise, gpointer data)
{
  RrParticipant *p = data;
  const GstStructure *reply;

  gst_promise_wait (promise);
  reply = gst_promise_get_reply (promise);
  if (reply_has_error (reply)) {
    GError *err = NULL;

    gst_structure_get (reply, "error", G_TYPE_ERROR, &err, NULL);
    g_printerr ("roomrec: participant %s: the answer was refused: %s\n",
        p->id, err ? err->message : "no reason given");
    g_clear_error (&err);
    participant_invoke (p, answer_refused_idle);
  }
  gst_promise_unref (promise);
}

gboolean
rr_participant_set_remote_answer (RrParticipant * p, const gchar * sdp,
    GError ** error)
{
  GstWebRTCSessionDescription *answer;
  GstPromise *promise;

  g_return_val_if_fail (p->offerer && p->webrtc, FALSE);
  answer = parse_description (GST_WEBRTC_SDP_TYPE_ANSWER, sdp,
      &p->remote_ufrag, error);
  if (answer == NULL)
    return FALSE;
  promise = gst_promise_new_with_change_func (on_remote_answer_set,
      participant_ref (p), (GDestroyNotify) participant_unref);
  g_signal_emit_by_name (p->webrtc, "set-remote-description", answer, promise);
  gst_webrtc_session_description_free (answer);
  return TRUE;
}

void
rr_participant_add_ice_candidate (RrParticipant * p, guint mline,
    const gchar * candidate)
{
  if (p->webrtc == NULL || p->ending)
    return;
  g_signal_emit_by_name (p->webrtc, "add-ice-candidate", mline, candidate);
}

/* ------------------------------------------------------------------ */
/* plain RTP                                                           */

RrParticipant *
rr_room_add_rtp (RrRoom * room, const gchar * user_id, const gchar * sdp,
    GError ** error)
{
  const RrRoomConfig *c = room->config;
  GPtrArray *streams = rr_rtp_sdp_parse (sdp, error);
  RrParticipant *p;

  if (streams == NULL)
    return NULL;
  for (guint i = 0; i < streams->len; i++) {
    RrRtpSdpStream *s = g_ptr_array_index (streams, i);
    RrCodec codec = rr_codec_from_encoding_name (s->encoding_name);
    gchar *reason = NULL;

    /* mixed: decoded, whatever the archives' format */
    if (c->mode != RR_ROOM_MODE_MIXED
        && !rr_format_accepts (c->format, codec, &reason)) {
      g_set_error (error, RR_SDP_ERROR, RR_SDP_ERROR_UNSUPPORTED,
          "the SDP's %s stream (%s) cannot be recorded as %s: %s", s->media,
          s->encoding_name, rr_format_name (c->format), reason);
      g_free (reason);
      g_ptr_array_unref (streams);
      return NULL;
    }
  }

  p = participant_new (room, user_id, rr_room_config_may_record (c, user_id),
      TRUE, error);
  if (p == NULL) {
    g_ptr_array_unref (streams);
    return NULL;
  }
  p->sources = g_ptr_array_new ();
  for (guint i = 0; i < streams->len; i++) {
    RrRtpSdpStream *s = g_ptr_array_index (streams, i);

    prepare_tracks (p, g_str_equal (s->media, "audio"),
        g_str_equal (s->media, "video"));
  }
  for (guint i = 0; i < streams->len; i++) {
    RrRtpSdpStream *s = g_ptr_array_index (streams, i);
    GstElement *src = gst_element_factory_make ("udpsrc", NULL);
    GInetAddress *addr = g_inet_address_new_from_string (s->address);
    const gchar *bind = s->address;

    /* listen on the SDP's address when it is ours or multicast */
    if (addr && !g_inet_address_get_is_multicast (addr)
        && !g_inet_address_get_is_loopback (addr))
      bind = g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6 ?
          "::" : "0.0.0.0";
    g_object_set (src, "address", bind, "port", (gint) s->port,
        "caps", s->caps, "buffer-size", 4 * 1024 * 1024, NULL);
    g_clear_object (&addr);
    gst_bin_add (GST_BIN (p->bin), src);
    g_ptr_array_add (p->sources, src);
  }
  if (!participant_attach (room, p, error)) {
    g_ptr_array_unref (streams);
    participant_unref (p);
    return NULL;
  }
  for (guint i = 0; i < streams->len; i++) {
    RrRtpSdpStream *s = g_ptr_array_index (streams, i);
    GstPad *pad = gst_element_get_static_pad (g_ptr_array_index (p->sources,
            i), "src");

    attach_input (p, pad, g_str_equal (s->media, "audio") ? TRACK_AUDIO :
        TRACK_VIDEO);
    gst_object_unref (pad);
    g_print ("roomrec: participant %s receives %s %s on %s:%u\n", p->id,
        s->media, s->encoding_name, s->address, s->port);
  }
  g_ptr_array_unref (streams);
  return p;
}

/* ------------------------------------------------------------------ */
/* the room                                                            */

RrParticipant *
rr_room_find_participant (RrRoom * room, const gchar * id)
{
  return id ? g_hash_table_lookup (room->participants, id) : NULL;
}

const RrRoomConfig *
rr_room_get_config (RrRoom * room)
{
  return room->config;
}

guint
rr_room_n_participants (RrRoom * room)
{
  return g_hash_table_size (room->participants);
}

gboolean
rr_room_is_stopping (RrRoom * room)
{
  return room->stopping;
}

RrRoomStopReason
rr_room_get_stop_reason (RrRoom * room)
{
  return room->stop_reason;
}

guint
rr_room_whip_port (RrRoom * room)
{
  return room->whip ? rr_whip_server_port (room->whip) : 0;
}

guint
rr_room_uploads_failed (RrRoom * room)
{
  return room->uploads_failed;
}

const gchar *
rr_room_report_path (RrRoom * room)
{
  return room->report_path;
}

/* ------------------------------------------------------------------ */
/* upload (storage)                                                    */

static void
on_upload_event (const RrS3UploadEvent * ev, gpointer data)
{
  RrRoom *room = data;

  if (room->observer) {
    JsonObject *o = json_object_new ();

    json_object_set_string_member (o, "path", ev->path);
    json_object_set_string_member (o, "status",
        rr_s3_file_status_name (ev->status));
    if (ev->event)
      json_object_set_string_member (o, "event", ev->event);
    observe (room, "upload", o);
  }
  if (ev->event && room->notifier) {
    JsonBuilder *b = json_builder_new ();

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "recording_id");
    json_builder_add_string_value (b, room->config->recording_id);
    json_builder_set_member_name (b, "file_path");
    json_builder_add_string_value (b, ev->path);
    json_builder_set_member_name (b, "key");
    json_builder_add_string_value (b, ev->key);
    json_builder_set_member_name (b, "url");
    json_builder_add_string_value (b, ev->url);
    json_builder_set_member_name (b, "status");
    json_builder_add_string_value (b, rr_s3_file_status_name (ev->status));
    json_builder_set_member_name (b, "bytes_sent");
    json_builder_add_int_value (b, (gint64) ev->bytes_sent);
    json_builder_set_member_name (b, "bytes_total");
    json_builder_add_int_value (b, (gint64) ev->bytes_total);
    if (ev->error) {
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, ev->error->message);
    }
    if (ev->should_delete_us) {
      GDateTime *t = g_date_time_new_from_unix_utc (ev->should_delete_us /
          G_USEC_PER_SEC);

      json_builder_set_member_name (b, "should_delete_time");
      if (t) {
        gchar *text = g_date_time_format_iso8601 (t);

        json_builder_add_string_value (b, text);
        g_free (text);
        g_date_time_unref (t);
      } else {
        json_builder_add_null_value (b);
      }
    }
    json_builder_end_object (b);
    notify_event (room, ev->event, b);
    g_object_unref (b);
  }

  if (g_strcmp0 (ev->event, "upload.completed") == 0) {
    g_print ("roomrec: uploaded %s\n", ev->url);
  } else if (g_strcmp0 (ev->event, "upload.failed") == 0) {
    room->uploads_failed++;
    g_printerr ("roomrec: upload of %s failed: %s%s%s\n", ev->path,
        ev->error ? ev->error->message : "unknown error",
        ev->evacuated_path ? "; the file was moved to " : "",
        ev->evacuated_path ? ev->evacuated_path : "");
  }
}

static gboolean
start_uploader (RrRoom * room, GError ** error)
{
  const RrStorageConfig *st = &room->config->storage;
  RrS3UploaderConfig uc = { 0, };
  gchar *state_name;

  if (!st->enabled)
    return TRUE;
  uc.endpoint = st->endpoint;
  uc.region = st->region;
  uc.bucket = st->bucket;
  uc.prefix = st->prefix;
  uc.addressing = RR_S3_ADDRESSING_AUTO;
  if (st->addressing && !rr_s3_addressing_from_string (st->addressing,
          &uc.addressing)) {
    g_set_error (error, RR_CONFIG_ERROR, RR_CONFIG_ERROR_RANGE,
        "$.storage.addressing: unknown style %s", st->addressing);
    return FALSE;
  }
  uc.access_key = st->access_key;
  uc.secret_key = st->secret_key;
  uc.session_token = st->session_token;
  uc.part_size = st->part_size;
  uc.delete_after_upload = st->delete_after_upload;
  uc.retention_s = st->retention_s;
  uc.evacuation_dir = st->evacuation_dir;
  uc.state_dir = st->state_dir;
  /* one state file per recording: a restart of the same recording resumes
   * its pending uploads */
  state_name = g_strdup_printf ("uploads-%s.json", room->config->recording_id);
  uc.state_name = state_name;
  room->uploader = rr_s3_uploader_new (&uc, on_upload_event, room, NULL, error);
  g_free (state_name);
  if (room->uploader == NULL) {
    g_prefix_error (error, "$.storage: ");
    return FALSE;
  }
  return TRUE;
}

/* The object key of a file of the archive dir: its path below it. */
static void
upload_file (RrRoom * room, const gchar * path)
{
  const gchar *dir = room->config->archive_dir;
  gsize n = strlen (dir);
  const gchar *key = path;
  GError *err = NULL;

  /* the elements name files "<archive_dir>/<relative path>" */
  if (room->uploader == NULL || path == NULL)
    return;
  if (strncmp (path, dir, n) == 0 && path[n] == G_DIR_SEPARATOR)
    key = path + n + 1;
  else
    key = NULL;                 /* elsewhere: the uploader names it */
  if (!rr_s3_uploader_enqueue (room->uploader, path, key, &err)) {
    g_printerr ("roomrec: cannot upload %s: %s\n", path, err->message);
    g_clear_error (&err);
  }
}

/* An HLS playlist: its segments first, so that the playlist never names a
 * segment the bucket does not have. */
static void
upload_playlist (RrRoom * room, const gchar * m3u8)
{
  gchar *text = NULL, *dir = g_path_get_dirname (m3u8);
  gchar **lines;

  if (g_file_get_contents (m3u8, &text, NULL, NULL)) {
    lines = g_strsplit (text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
      gchar *line = g_strstrip (lines[i]);
      gchar *seg;

      if (line[0] == '\0' || line[0] == '#' || strstr (line, "://")
          || strstr (line, "..") || g_path_is_absolute (line))
        continue;
      seg = g_build_filename (dir, line, NULL);
      upload_file (room, seg);
      g_free (seg);
    }
    g_strfreev (lines);
  }
  upload_file (room, m3u8);
  g_free (text);
  g_free (dir);
}

static void
on_archive_message (RrRoom * room, const GstStructure * s)
{
  const gchar *name = gst_structure_get_name (s);
  const gchar *location = gst_structure_get_string (s, "location");
  const gchar *sidecar = gst_structure_get_string (s, "sidecar");
  GError *err = NULL;

  observe_structure (room, name, s);
  if (g_str_equal (name, "splitmuxrec-archive-available")
      || g_str_equal (name, "splitmuxrec-split-archive-available")
      || g_str_equal (name, "splitmuxrec-split-archive-end")) {
    if (sidecar && !rr_report_add_sidecar (room->report, sidecar, &err)) {
      g_printerr ("roomrec: unreadable sidecar of %s: %s\n", location,
          err->message);
      g_clear_error (&err);
    }
    if (!g_str_equal (name, "splitmuxrec-split-archive-end"))
      g_print ("roomrec: file ready: %s\n", location);
    /* split-archive-end: location is its own JSON file */
    if (location && g_str_has_suffix (location, ".m3u8"))
      upload_playlist (room, location);
    else
      upload_file (room, location);
    if (g_strcmp0 (location, gst_structure_get_string (s,
                "sidecar-location")) != 0)
      upload_file (room, gst_structure_get_string (s, "sidecar-location"));
  } else if (g_str_equal (name, "splitmuxrec-archive-started")) {
    RrParticipant *p = rr_room_find_participant (room,
        gst_structure_get_string (s, "connection-id"));

    /* the muxer has the first key frame */
    if (p)
      p->archive_started = TRUE;
    if (g_strcmp0 (gst_structure_get_string (s, "kind"), "archive") != 0)
      return;
    g_print ("roomrec: file started: %s\n", location);
  } else if (g_str_equal (name, "splitmuxrec-archive-failed")) {
    const gchar *tmp = gst_structure_get_string (s, "tmp-location");
    const gchar *reason = gst_structure_get_string (s, "reason");

    rr_report_add_failed (room->report, gst_structure_get_string (s,
            "connection-id"), tmp, reason);
    g_printerr ("roomrec: file failed, kept in %s: %s\n", tmp, reason);
  }
}

gint64
rr_room_start_time (RrRoom * room)
{
  return room->start_us;
}

void
rr_room_add_client_file (RrRoom * room, const gchar * path,
    const gchar * sidecar_path, const gchar * sidecar_json)
{
  GError *err = NULL;

  if (!rr_report_add_sidecar (room->report, sidecar_json, &err)) {
    g_printerr ("roomrec: unreadable sidecar of %s: %s\n", path, err->message);
    g_clear_error (&err);
  }
  g_print ("roomrec: file ready: %s\n", path);
  if (room->observer) {
    JsonObject *o = json_object_new ();

    json_object_set_string_member (o, "location", path);
    json_object_set_string_member (o, "sidecar-location", sidecar_path);
    observe (room, "client-file-available", o);
  }
  upload_file (room, path);
  upload_file (room, sidecar_path);
}

static void
swap_string (gchar ** old, gchar ** new_value)
{
  gchar *tmp = *old;

  *old = *new_value;
  *new_value = tmp;
}

gboolean
rr_room_modify (RrRoom * room, RrRoomConfig * changed, GError ** error)
{
  RrRoomConfig *c = room->config;
  GHashTableIter iter;
  gpointer value;
  GPtrArray *unsubscribed = g_ptr_array_new ();
  gchar **tmp;

  if (room->stopping) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "the room is stopping");
    g_ptr_array_unref (unsubscribed);
    return FALSE;
  }
  if (changed->mode != c->mode) {
    g_set_error (error, RR_CONFIG_ERROR, RR_CONFIG_ERROR_COMBINATION,
        "$.mode: the mode of a running room cannot change");
    g_ptr_array_unref (unsubscribed);
    return FALSE;
  }

  /* TRTC Modify: the new lists replace the old ones */
  tmp = c->subscribe_allow;
  c->subscribe_allow = changed->subscribe_allow;
  changed->subscribe_allow = tmp;
  tmp = c->subscribe_block;
  c->subscribe_block = changed->subscribe_block;
  changed->subscribe_block = tmp;
  g_hash_table_iter_init (&iter, room->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    RrParticipant *p = value;

    if (p->record && !p->ending && !rr_room_config_may_record (c, p->user_id))
      g_ptr_array_add (unsubscribed, p);
  }
  /* newly allowed users are recorded from their next session on */
  for (guint i = 0; i < unsubscribed->len; i++)
    rr_participant_end (g_ptr_array_index (unsubscribed, i),
        "no longer subscribed (the task was modified)");
  g_ptr_array_unref (unsubscribed);

  if (c->mode != RR_ROOM_MODE_SINGLE) {
    c->mix.layout = changed->mix.layout;
    swap_string (&c->mix.main_participant, &changed->mix.main_participant);
    swap_string (&c->mix.regions_json, &changed->mix.regions_json);
    swap_string (&c->mix.watermarks_json, &changed->mix.watermarks_json);
    if (room->mix)
      rr_room_mix_set_layout (room->mix, &c->mix);
  }
  g_print ("roomrec: modified: subscribe lists%s replaced\n",
      c->mode != RR_ROOM_MODE_SINGLE ? " and layout" : "");
  return TRUE;
}

void
rr_room_notify_event (RrRoom * room, const gchar * type, JsonBuilder * fields)
{
  notify_event (room, type, fields);
}

static gboolean
on_bus_message (GstBus * bus, GstMessage * msg, gpointer data)
{
  RrRoom *room = data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (msg);

      if (gst_structure_has_name (s, "GstBinForwarded")) {
        GstMessage *inner = NULL;

        gst_structure_get (s, "message", GST_TYPE_MESSAGE, &inner, NULL);
        if (inner && GST_MESSAGE_TYPE (inner) == GST_MESSAGE_EOS) {
          RrParticipant *p = participant_of_object (room,
              GST_MESSAGE_SRC (inner));

          if (p && p->archive
              && GST_MESSAGE_SRC (inner) == GST_OBJECT (p->archive))
            participant_finalise (p);
          else if (room->mix && rr_room_mix_handle_eos (room->mix,
                  GST_MESSAGE_SRC (inner)))
            room_maybe_finish (room);
        }
        if (inner)
          gst_message_unref (inner);
      } else if (g_str_has_prefix (gst_structure_get_name (s), "splitmuxrec-")) {
        on_archive_message (room, s);
        if (room->mix && rr_room_mix_handle_file_message (room->mix,
                gst_structure_get_name (s), GST_MESSAGE_SRC (msg),
                room->config->split_only))
          room_maybe_finish (room);
      }
      break;
    }
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *dbg = NULL;
      RrParticipant *p = participant_of_object (room, GST_MESSAGE_SRC (msg));

      gst_message_parse_error (msg, &err, &dbg);
      g_printerr ("roomrec: error from %s%s%s: %s\n",
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
          p ? " of participant " : "", p ? p->id : "", err->message);
      GST_INFO ("debug: %s", dbg ? dbg : "");
      /* one participant's failure never takes the room down */
      if (p)
        rr_participant_end (p, err->message);
      else
        rr_room_stop (room, RR_ROOM_STOP_ERROR);
      g_clear_error (&err);
      g_free (dbg);
      break;
    }
    case GST_MESSAGE_WARNING:{
      GError *err = NULL;

      gst_message_parse_warning (msg, &err, NULL);
      g_printerr ("roomrec: warning from %s: %s\n",
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message);
      g_clear_error (&err);
      break;
    }
    case GST_MESSAGE_LATENCY:
      gst_bin_recalculate_latency (GST_BIN (room->pipeline));
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
tick (gpointer data)
{
  RrRoom *room = data;
  const RrRoomConfig *c = room->config;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer value;
  GPtrArray *silent = g_ptr_array_new ();

  g_hash_table_iter_init (&iter, room->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    RrParticipant *p = value;
    gint64 last = MAX (p->created_us,
        __atomic_load_n (&p->last_discarded_us, __ATOMIC_RELAXED));

    if (p->ending)
      continue;
    select_inputs (p, now);
    request_first_keyframe (p, now);
    for (guint k = 0; k < N_TRACKS; k++) {
      Track *t = p->tracks[k];

      for (guint i = 0; t && i < t->inputs->len; i++)
        last = MAX (last, input_last_us (g_ptr_array_index (t->inputs, i)));
    }
    /* a client that crashed sends no DELETE, and ICE on 1.22 does not
     * notice that the other side is gone */
    if (p->webrtc && p->answered
        && (now - last) * 1000 > (gint64) c->media_timeout_ns)
      g_ptr_array_add (silent, p);
  }
  for (guint i = 0; i < silent->len; i++)
    rr_participant_end (g_ptr_array_index (silent, i),
        "no media for media_timeout (the sender is gone)");
  g_ptr_array_unref (silent);

  if (room->stopping)
    return G_SOURCE_CONTINUE;
  if (g_hash_table_size (room->participants) > 0)
    room->last_publisher_us = now;
  if (c->expire_time_ns
      && (now - room->start_mono_us) * 1000 >= (gint64) c->expire_time_ns)
    rr_room_stop (room, RR_ROOM_STOP_EXPIRED);
  else if (c->max_idle_time_ns && g_hash_table_size (room->participants) == 0
      && (now - room->last_publisher_us) * 1000 >= (gint64) c->max_idle_time_ns)
    rr_room_stop (room, RR_ROOM_STOP_IDLE);
  else if (c->stop_when_empty && room->had_participant
      && g_hash_table_size (room->participants) == 0)
    rr_room_stop (room, RR_ROOM_STOP_EMPTY);
  return G_SOURCE_CONTINUE;
}

/* A webhooknotify holding the participants and the mix (docs/webhooks.md):
 * their recorders' messages become events; the launcher adds the report
 * and the uploads' events through its notify-event action. */
static gboolean
make_notifier (RrRoom * room, GError ** error)
{
  const RrWebhooksConfig *wh = &room->config->webhooks;
  gchar *urls;

  room->notifier = gst_element_factory_make ("webhooknotify", "webhooks");
  if (room->notifier == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "$.webhooks: the webhooknotify element is missing: point "
        "GST_PLUGIN_PATH at the roomrec plugin");
    return FALSE;
  }
  urls = g_strjoinv (",", wh->urls);
  g_object_set (room->notifier, "urls", urls, "spool-dir", wh->spool_dir,
      "report-on-stop", FALSE, NULL);
  g_free (urls);
  if (wh->secret)
    g_object_set (room->notifier, "secret", wh->secret, NULL);
  if (wh->retry_max_s)
    g_object_set (room->notifier, "retry-max", (guint) wh->retry_max_s, NULL);
  /* participants join a running room: the notifier must not hold the
   * pipeline back while one of them prerolls */
  g_object_set (room->notifier, "async-handling", TRUE, NULL);
  gst_bin_add (GST_BIN (room->pipeline), room->notifier);
  room->container = GST_BIN (room->notifier);
  return TRUE;
}

static void
notify_node (RrRoom * room, const gchar * type, JsonNode * node)
{
  gchar *json = json_to_string (node, FALSE);
  gboolean ok = FALSE;

  g_signal_emit_by_name (room->notifier, "notify-event", type, json, &ok);
  if (!ok)
    g_printerr ("roomrec: the %s webhook could not be queued\n", type);
  g_free (json);
}

static void
notify_object (RrRoom * room, const gchar * type, JsonObject * fields)
{
  JsonNode *node;

  if (room->notifier == NULL)
    return;
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, fields);
  notify_node (room, type, node);
  json_node_unref (node);
}

/* An event of the launcher's own (the report, uploads). */
static void
notify_event (RrRoom * room, const gchar * type, JsonBuilder * fields)
{
  JsonNode *node;

  if (room->notifier == NULL)
    return;
  node = json_builder_get_root (fields);
  notify_node (room, type, node);
  json_node_unref (node);
}

RrRoom *
rr_room_new (RrRoomConfig * config, GError ** error)
{
  RrRoom *room;
  RrReportInfo info = { 0, };

  if (GST_CAT_DEFAULT == NULL)
    GST_DEBUG_CATEGORY_INIT (room_debug, "roomrec-room", 0, "roomrec room");
  if (gst_element_factory_find ("rtparchivesink") == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "the roomrec plugin is not found: set GST_PLUGIN_PATH to the "
        "build's gst/ directory (make build) or install it (meson install)");
    return NULL;
  }
  room = g_new0 (RrRoom, 1);
  room->tmp_lock = -1;
  room->config = config;
  room->context = g_main_context_ref_thread_default ();
  room->participants = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) participant_unref);
  room->wheps = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rr_whep_client_free);
  room->pipeline = gst_pipeline_new (config->room_id);
  room->container = GST_BIN (room->pipeline);
  if (config->webhooks.urls && !make_notifier (room, error)) {
    rr_room_free (room);
    return NULL;
  }

  room->start_us = g_get_real_time ();
  room->start_mono_us = g_get_monotonic_time ();
  room->last_publisher_us = room->start_mono_us;
  info.recording_id = config->recording_id;
  info.room_id = config->room_id;
  info.format = rr_format_name (config->format);
  info.split_only = config->split_only;
  info.split_duration_s = config->split_duration_ns / GST_SECOND;
  info.start_us = room->start_us;
  info.expire_time_s = config->expire_time_ns / GST_SECOND;
  info.metadata_json = config->metadata_json;
  room->report = rr_report_new (&info);
  return room;
}

static gboolean
ensure_dir (const gchar * dir, GError ** error)
{
  gchar *probe;
  gint fd;

  if (g_mkdir_with_parents (dir, 0755) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot create the directory %s: %s", dir, g_strerror (errno));
    return FALSE;
  }
  probe = g_build_filename (dir, ".roomrec-write-test-XXXXXX", NULL);
  fd = g_mkstemp (probe);
  if (fd < 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot write in %s: %s (check its permissions)", dir,
        g_strerror (errno));
    g_free (probe);
    return FALSE;
  }
  close (fd);
  g_unlink (probe);
  g_free (probe);
  return TRUE;
}

/* The DTLS elements make one certificate per process, when the first one
 * is created: make it now, not in the first publisher's POST. */
static void
prepare_dtls_certificate (void)
{
  GstElement *dec = gst_element_factory_make ("dtlsdec", NULL);

  if (dec)
    gst_object_unref (gst_object_ref_sink (dec));
}

/* An image of the composite that is a plain file must be readable now,
 * not when the first participant comes (URIs are the element's). */
static gboolean
check_image (const gchar * path, const gchar * key, GError ** error)
{
  if (path == NULL || strstr (path, "://") || g_str_has_prefix (path, "data:")
      || g_access (path, R_OK) == 0)
    return TRUE;
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
      "%s: cannot read the image %s: %s", key, path, g_strerror (errno));
  return FALSE;
}

static gboolean
check_mix_images (const RrRoomConfig * c, GError ** error)
{
  RrLayoutWatermarks *marks;
  gboolean ok = TRUE;

  if (c->mode == RR_ROOM_MODE_SINGLE)
    return TRUE;
  if (!check_image (c->mix.background_image, "$.mix.background_image", error)
      || !check_image (c->mix.placeholder_image, "$.mix.placeholder_image",
          error))
    return FALSE;
  if (c->mix.watermarks_json == NULL)
    return TRUE;
  marks = rr_layout_watermarks_parse (c->mix.watermarks_json, -1, NULL);
  for (guint i = 0; ok && marks && i < marks->n_marks; i++) {
    gchar *key = g_strdup_printf ("$.mix.watermarks[%u].image", i);

    ok = check_image (marks->marks[i].image, key, error);
    g_free (key);
  }
  rr_layout_watermarks_free (marks);
  return ok;
}

/* A room with a tmp_dir of its own (roomrec serve gives each task one)
 * holds it locked and first makes playable what an earlier, killed run of
 * it left there (tools/recover.h); each such file is reported as
 * archive.failed with "recovered".  The shared default temp dir is not
 * touched: other rooms may be writing into it. */
static gboolean
recover_leftovers (RrRoom * room, GError ** error)
{
  const RrRoomConfig *c = room->config;
  GHashTable *sidecars;
  GPtrArray *left;
  GError *err = NULL;

  if (c->tmp_dir == NULL)
    return TRUE;
  if (!rr_recover_lock (c->tmp_dir, &room->tmp_lock, error)) {
    g_prefix_error (error, "$.tmp_dir: ");
    return FALSE;
  }
  left = rr_recover_leftovers_locked (c->tmp_dir, c->archive_dir, &err);
  if (left == NULL) {
    g_printerr ("roomrec: the files left in %s were not recovered: %s\n",
        c->tmp_dir, err->message);
    g_clear_error (&err);
    return TRUE;
  }
  sidecars = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < left->len; i++) {
    RrRecoveredFile *f = g_ptr_array_index (left, i);
    JsonObject *o = json_object_new ();

    g_print ("roomrec: left by an earlier run: %s: %s\n", f->tmp_path,
        f->reason);
    json_object_set_string_member (o, "recording_id", c->recording_id);
    json_object_set_string_member (o, "room_id", c->room_id);
    json_object_set_string_member (o, "file_path", f->path ? f->path :
        f->tmp_path);
    json_object_set_string_member (o, "tmp_path", f->tmp_path);
    json_object_set_boolean_member (o, "recovered", f->recovered);
    json_object_set_string_member (o, "reason", f->reason);
    json_object_set_int_member (o, "size", (gint64) f->size);
    notify_object (room, "archive.failed", o);
    observe (room, "archive-recovered", o);     /* unrefs */

    if (!f->recovered) {
      rr_report_add_failed (room->report, NULL, f->tmp_path, f->reason);
      continue;
    }
    upload_file (room, f->path);
    if (f->sidecar_path && !g_hash_table_contains (sidecars, f->sidecar_path)) {
      gchar *text = NULL;

      g_hash_table_add (sidecars, g_strdup (f->sidecar_path));
      if (g_file_get_contents (f->sidecar_path, &text, NULL, NULL)
          && !rr_report_add_sidecar (room->report, text, &err)) {
        g_printerr ("roomrec: unreadable sidecar %s: %s\n", f->sidecar_path,
            err->message);
        g_clear_error (&err);
      }
      g_free (text);
      upload_file (room, f->sidecar_path);
    }
  }
  g_hash_table_unref (sidecars);
  g_ptr_array_unref (left);
  return TRUE;
}

gboolean
rr_room_start (RrRoom * room, RrRoomStopped stopped, gpointer user_data,
    GError ** error)
{
  const RrRoomConfig *c = room->config;
  GstBus *bus;

  room->stopped_cb = stopped;
  room->stopped_data = user_data;
  if (!ensure_dir (c->archive_dir, error)
      || (c->tmp_dir && !ensure_dir (c->tmp_dir, error))
      || !check_mix_images (c, error)
      || !start_uploader (room, error))
    return FALSE;
  bus = gst_element_get_bus (room->pipeline);
  room->bus_watch = gst_bus_add_watch (bus, on_bus_message, room);
  gst_object_unref (bus);
  if (gst_element_set_state (room->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "the room pipeline could not start");
    return FALSE;
  }
  room->started = TRUE;
  room->tick = g_timeout_add (TICK_MS, tick, room);
  if (!recover_leftovers (room, error))
    return FALSE;
  if (c->failover > 0) {
    /* roomrec serve restarted this recording (SPEC §8, TRTC 306) */
    JsonObject *o = json_object_new ();
    gchar *prefix = g_strdup_printf ("ha%u_", c->failover);

    json_object_set_string_member (o, "recording_id", c->recording_id);
    json_object_set_string_member (o, "room_id", c->room_id);
    json_object_set_int_member (o, "failover", c->failover);
    json_object_set_string_member (o, "file_prefix", prefix);
    json_object_set_string_member (o, "reason", "the recording's process "
        "ended unasked and was started again");
    notify_object (room, "failover", o);
    json_object_unref (o);
    g_free (prefix);
  }
  prepare_dtls_certificate ();

  for (guint i = 0; i < c->n_inputs; i++) {
    const RrInputConfig *in = &c->inputs[i];

    switch (in->type) {
      case RR_INPUT_WHIP:
        room->whip = rr_whip_server_new (room, in, error);
        if (room->whip == NULL)
          goto failed;
        g_print ("roomrec: WHIP endpoint http://%s:%u%s\n",
            strchr (in->listen_address, ':') ? "[::1]" : in->listen_address,
            rr_whip_server_port (room->whip), in->url_path);
        break;
      case RR_INPUT_WHEP:{
        RrWhepClient *w = rr_whep_client_new (room, in, error);

        if (w == NULL)
          goto failed;
        g_ptr_array_add (room->wheps, w);
        break;
      }
      case RR_INPUT_RTP:{
        gchar *sdp = NULL;
        RrParticipant *p;

        if (in->sdp_file) {
          if (!g_file_get_contents (in->sdp_file, &sdp, NULL, error)) {
            g_prefix_error (error, "%s.sdp_file: ", in->path);
            goto failed;
          }
        } else {
          sdp = g_strdup (in->sdp);
        }
        p = rr_room_add_rtp (room, in->user_id, sdp, error);
        g_free (sdp);
        if (p == NULL) {
          g_prefix_error (error, "%s: ", in->path);
          goto failed;
        }
        break;
      }
    }
  }
  g_print ("roomrec: recording %s of room %s into %s\n", c->recording_id,
      c->room_id, c->archive_dir);
  return TRUE;

failed:
  return FALSE;
}

static gchar *
write_report (RrRoom * room)
{
  const RrRoomConfig *c = room->config;
  RrNamingVars vars = { 0, };
  GError *err = NULL;
  gchar *rel, *filename, *path, *dir, *text;

  vars.recording_id = c->recording_id;
  vars.room_id = c->room_id;
  vars.app_id = c->app_id ? c->app_id : "0";
  vars.format = rr_format_name (c->format);
  vars.connection_id = "room";
  vars.media = "main";
  vars.type = "av";
  vars.index = 1;
  vars.shard = 1;
  vars.ha = c->failover;
  vars.file_start_us = room->start_us;
  rel = rr_naming_expand (rr_naming_preset_template (c->naming,
          RR_FILE_REPORT), &vars, &err);
  if (rel == NULL) {
    g_printerr ("roomrec: no report: %s\n", err->message);
    g_clear_error (&err);
    return NULL;
  }
  filename = g_strdup_printf ("%s.json", rel);
  path = g_build_filename (c->archive_dir, filename, NULL);
  dir = g_path_get_dirname (path);
  g_mkdir_with_parents (dir, 0755);
  text = rr_report_to_json (room->report, g_get_real_time (), path, filename);
  if (!rr_file_write_atomic (path, text, &err)) {
    g_printerr ("roomrec: could not write the report %s: %s\n", path,
        err->message);
    g_clear_error (&err);
    g_clear_pointer (&path, g_free);
  }
  g_free (text);
  g_free (dir);
  g_free (filename);
  g_free (rel);
  return path;
}

static gboolean
stopped_idle (gpointer data)
{
  RrRoom *room = data;

  /* the notifier delivers what it can (its drain-timeout), the rest stays
   * in its spool for the next run */
  gst_element_set_state (room->pipeline, GST_STATE_NULL);
  if (room->stopped_cb)
    room->stopped_cb (room, room->stopped_data);
  return G_SOURCE_REMOVE;
}

/* recording.report with the report's fields */
static void
notify_report (RrRoom * room)
{
  gchar *text = NULL;
  JsonParser *parser = json_parser_new ();
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "recording_id");
  json_builder_add_string_value (b, room->config->recording_id);
  json_builder_set_member_name (b, "report_file_path");
  json_builder_add_string_value (b, room->report_path);
  if (g_file_get_contents (room->report_path, &text, NULL, NULL)
      && json_parser_load_from_data (parser, text, -1, NULL)) {
    json_builder_set_member_name (b, "report");
    json_builder_add_value (b, json_node_copy (json_parser_get_root (parser)));
  }
  json_builder_end_object (b);
  notify_event (room, "recording.report", b);
  g_object_unref (b);
  g_object_unref (parser);
  g_free (text);
}

static gboolean
wait_for_uploads (gpointer data)
{
  RrRoom *room = data;

  if (rr_s3_uploader_get_pending (room->uploader) > 0)
    return G_SOURCE_CONTINUE;
  room->upload_wait = 0;
  g_idle_add (stopped_idle, room);
  return G_SOURCE_REMOVE;
}

static void
room_maybe_finish (RrRoom * room)
{
  if (!room->stopping || room->stopped
      || g_hash_table_size (room->participants) > 0)
    return;
  if (room->mix && !rr_room_mix_is_done (room->mix) && !room->mix_given_up)
    return;
  room->stopped = TRUE;
  if (room->stop_timeout) {
    g_source_remove (room->stop_timeout);
    room->stop_timeout = 0;
  }
  room->report_path = write_report (room);
  if (room->report_path)
    g_print ("roomrec: report %s (%u archives)\n", room->report_path,
        rr_report_n_archives (room->report));
  if (room->notifier && room->report_path)
    notify_report (room);
  /* the pipeline (and its notifier) runs until the uploads are done: their
   * events are webhooks too */
  if (room->uploader) {
    upload_file (room, room->report_path);
    g_print ("roomrec: waiting for %u upload(s) (a second signal exits; "
        "pending uploads are resumed by the next run of this recording)\n",
        rr_s3_uploader_get_pending (room->uploader));
    room->upload_wait = g_timeout_add (100, wait_for_uploads, room);
    return;
  }
  g_idle_add (stopped_idle, room);
}

static guint
undelivered (RrRoom * room)
{
  guint n = 0;

  if (room->notifier)
    g_object_get (room->notifier, "pending", &n, NULL);
  if (room->uploader)
    n += rr_s3_uploader_get_pending (room->uploader);
  return n;
}

typedef struct
{
  RrRoom *room;
  GMainLoop *loop;
  gint64 deadline_us;
  volatile gboolean *cancelled;
} Delivery;

static gboolean
delivery_goes_on (Delivery * d)
{
  return undelivered (d->room) > 0 && !*d->cancelled
      && g_get_monotonic_time () < d->deadline_us;
}

static gboolean
delivery_check (gpointer data)
{
  Delivery *d = data;

  if (delivery_goes_on (d))
    return G_SOURCE_CONTINUE;
  g_main_loop_quit (d->loop);
  return G_SOURCE_REMOVE;
}

gint
rr_room_deliver_leftovers (RrRoom * room, gint64 deadline_us,
    volatile gboolean * cancelled, GError ** error)
{
  Delivery d = { room, NULL, deadline_us, cancelled };
  GMainContext *context = g_main_context_get_thread_default ();
  guint left;

  if (!start_uploader (room, error))
    return -1;
  /* the notifier sends its spool from READY on; nothing else runs */
  if (gst_element_set_state (room->pipeline, GST_STATE_READY) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "$.webhooks: the notifier could not start (is its spool_dir "
        "writable, and not in use by a running room?)");
    return -1;
  }
  /* upload events become webhooks on this context: the last ones may
   * still be queued there when the counts reach 0 */
  d.loop = g_main_loop_new (context, FALSE);
  do {
    g_timeout_add (100, delivery_check, &d);
    g_main_loop_run (d.loop);
    while (g_main_context_iteration (context, FALSE));
  } while (delivery_goes_on (&d));
  g_main_loop_unref (d.loop);
  left = undelivered (room);
  if (room->uploader)
    rr_s3_uploader_stop (room->uploader);
  if (room->notifier)
    g_object_set (room->notifier, "drain-timeout", (guint64) 0, NULL);
  gst_element_set_state (room->pipeline, GST_STATE_NULL);
  return (gint) left;
}

static gboolean
stop_timeout_cb (gpointer data)
{
  RrRoom *room = data;
  GList *all = g_hash_table_get_values (room->participants);

  room->stop_timeout = 0;
  if (room->mix && !rr_room_mix_is_done (room->mix)) {
    g_printerr ("roomrec: the composite did not finish within %d s; its "
        "files stay in the temp dir\n", FINALISE_TIMEOUT_S + 5);
    room->mix_given_up = TRUE;
  }
  for (GList * l = all; l; l = l->next)
    participant_finalise (l->data);
  g_list_free (all);
  room_maybe_finish (room);
  return G_SOURCE_REMOVE;
}

void
rr_room_stop (RrRoom * room, RrRoomStopReason reason)
{
  static const gchar *const why[] = {
    [RR_ROOM_STOP_SIGNAL] = "stopped by a signal",
    [RR_ROOM_STOP_EXPIRED] = "expire_time reached",
    [RR_ROOM_STOP_IDLE] = "max_idle_time without a participant",
    [RR_ROOM_STOP_EMPTY] = "the last participant left",
    [RR_ROOM_STOP_ERROR] = "an error",
  };
  GList *all;

  if (room->stopping)
    return;
  room->stopping = TRUE;
  room->stop_reason = reason;
  g_print ("roomrec: room %s stops: %s\n", room->config->room_id, why[reason]);
  if (room->whip)
    rr_whip_server_stop (room->whip);
  g_ptr_array_set_size (room->wheps, 0);
  /* before the participants go, so that the compositor still has inputs
   * to end */
  if (room->mix)
    rr_room_mix_stop (room->mix);
  all = g_hash_table_get_values (room->participants);
  for (GList * l = all; l; l = l->next)
    rr_participant_end (l->data, "the room stops");
  g_list_free (all);
  room->stop_timeout = g_timeout_add_seconds (FINALISE_TIMEOUT_S + 5,
      stop_timeout_cb, room);
  room_maybe_finish (room);
}

void
rr_room_free (RrRoom * room)
{
  if (!room)
    return;
  if (room->tmp_lock >= 0)
    close (room->tmp_lock);
  if (room->tick)
    g_source_remove (room->tick);
  if (room->stop_timeout)
    g_source_remove (room->stop_timeout);
  if (room->upload_wait)
    g_source_remove (room->upload_wait);
  g_clear_pointer (&room->uploader, rr_s3_uploader_free);
  if (room->bus_watch)
    g_source_remove (room->bus_watch);
  g_clear_pointer (&room->whip, rr_whip_server_free);
  g_ptr_array_unref (room->wheps);
  gst_element_set_state (room->pipeline, GST_STATE_NULL);
  g_hash_table_unref (room->participants);
  g_clear_pointer (&room->mix, rr_room_mix_free);
  gst_object_unref (room->pipeline);
  rr_report_free (room->report);
  g_main_context_unref (room->context);
  g_free (room->report_path);
  g_free (room);
}
