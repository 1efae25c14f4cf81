/* roomrec — splitmuxrec: encoded audio/video in, archive files out
 * Copyright (C) 2026 roomrec contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/**
 * SECTION:element-splitmuxrec
 * @title: splitmuxrec
 * @short_description: Records encoded streams into crash-safe archive
 * files with JSON sidecars, optionally split
 *
 * splitmuxrec takes already encoded audio and video (H.264, H.265, VP8,
 * VP9, AV1, Opus, AAC, G.711) on request pads `sink_%u` and writes them,
 * without transcoding, into archive files:
 *
 * - one whole file per recording (forced shards at #GstSplitMuxRec:max-size-bytes
 *   and #GstSplitMuxRec:max-duration),
 * - split files every #GstSplitMuxRec:split-duration, cut at the first key
 *   frame after the duration (#GstSplitMuxRec:split-only),
 * - or both at once (dual output, the default when a split duration is set).
 *
 * A pause of the reference stream longer than #GstSplitMuxRec:max-pause
 * starts a new file. Files are written under #GstSplitMuxRec:tmp-dir and
 * moved into #GstSplitMuxRec:archive-dir when complete, next to a JSON
 * sidecar with Sora's fields. MP4 is written fragmented (one fragment per
 * second), so a killed recorder leaves a file that plays up to the last
 * second; a clean stop rewrites it as a normal MP4. HLS writes MPEG-TS segments and a playlist carrying
 * `#EXT-X-PROGRAM-DATE-TIME`.
 *
 * The element asks upstream for key frames (upstream force-key-unit
 * events, which webrtcbin turns into RTCP PLI/FIR): when recording starts,
 * every #GstSplitMuxRec:pli-interval and at every planned split.
 *
 * Codec/container pairs that cannot work (H.265 in WebM, VP8 in MP4, Opus
 * in HLS, …) are refused at caps negotiation with an error naming both.
 *
 * ## Element messages
 *
 * - `splitmuxrec-archive-started`: a file was opened (`kind`, `location`,
 *   `tmp-location`, `index`).
 * - `splitmuxrec-archive-available`: a whole-recording file (or HLS
 *   playlist) is complete (`location`, `sidecar-location`, `sidecar` JSON
 *   string, `size`).
 * - `splitmuxrec-split-archive-available`: one split file is complete
 *   (same fields, plus `index`).
 * - `splitmuxrec-split-archive-end`: the last split file was written
 *   (`location` of split-archive-end JSON, `sidecar`).
 * - `splitmuxrec-hls-slice`: the first HLS segment is available.
 * - `splitmuxrec-archive-failed`: a file could not be completed; it stays
 *   playable in the temp dir (`tmp-location`, `reason`).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -e splitmuxrec name=rec archive-dir=out recording-id=rec1 \
 *     connection-id=alice format=webm split-duration=2000000000 \
 *   videotestsrc num-buffers=150 ! vp8enc deadline=1 keyframe-max-dist=15 ! rec. \
 *   audiotestsrc num-buffers=250 ! opusenc ! rec.
 * ]| Records five seconds of VP8 and Opus into
 * out/rec1/archive-alice.webm and 2-second split files
 * out/rec1/split-archive-alice_0001.webm …, each with a JSON sidecar.
 * |[
 * gst-launch-1.0 -e videotestsrc num-buffers=90 ! x264enc key-int-max=30 ! \
 *   splitmuxrec archive-dir=out recording-id=rec2 connection-id=bob format=mp4
 * ]| Records H.264 into out/rec2/archive-bob.mp4.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <gst/video/video.h>
#include <string.h>
#include <unistd.h>

#include "gstroomrecelements.h"
#include "gstsplitmuxrec.h"
#include "codecs.h"
#include "ids.h"
#include "fmp4shift.h"
#include "mp4defrag.h"
#include "mp4fix.h"
#include "naming.h"
#include "sidecar.h"

GST_DEBUG_CATEGORY_STATIC (splitmuxrec_debug);
#define GST_CAT_DEFAULT splitmuxrec_debug

#define DEFAULT_ARCHIVE_DIR "."
#define DEFAULT_FORMAT RR_FORMAT_MP4
#define DEFAULT_SPLIT_DURATION 0
#define DEFAULT_SPLIT_ONLY FALSE
#define DEFAULT_MAX_SIZE_BYTES (G_GUINT64_CONSTANT (2000000000))
#define DEFAULT_MAX_DURATION (24 * 3600 * GST_SECOND)
#define DEFAULT_MAX_PAUSE (30 * GST_SECOND)
#define DEFAULT_PLI_INTERVAL (20 * GST_SECOND)
#define MIN_PLI_INTERVAL (1 * GST_SECOND)
#define MAX_PLI_INTERVAL (240 * GST_SECOND)
#define DEFAULT_HLS_TARGET_DURATION (6 * GST_SECOND)
#define DEFAULT_TRACK_WAIT (1 * GST_SECOND)
#define DEFAULT_NAMING RR_NAMING_PRESET_SORA
#define DEFAULT_HA 0

#define QUEUE_MAX_BYTES (32 * 1024 * 1024)

/* A key frame we asked for and did not get is asked for again after this. */
#define KEYFRAME_RETRY_INTERVAL (1 * GST_SECOND)
/* mp4mux is an aggregator: give it enough latency for a whole GOP held
 * back by splitmuxsink (notes A2.4: fixed in splitmuxsink only in 1.24.8). */
#define MP4MUX_EXTRA_LATENCY (5 * GST_SECOND)

/* splitmuxsink gives a GOP to its muxer only once the next key frame shows
 * the GOP complete: each recording would hold up to a whole GOP of video in
 * memory (20 s from a browser that sends key frames only when asked), and
 * a killed recorder would lose it.  A video frame that could start a GOP
 * (nothing decoded after it is shown before it) reaches splitmuxsink as a
 * key unit carrying this meta, and the muxer sees its delta flag again.
 * Files still start at real key frames: those are the only places where we
 * ask splitmuxsink to split (split-at-running-time, also for size). */
#define HIDDEN_DELTA_META "RrSplitMuxRecHiddenDelta"
/* at most two such GOPs a second: each wakes splitmuxsink's threads */
#define HIDDEN_GOP_INTERVAL (GST_SECOND / 2)

enum
{
  PROP_0,
  PROP_ARCHIVE_DIR,
  PROP_TMP_DIR,
  PROP_RECORDING_ID,
  PROP_ROOM_ID,
  PROP_CONNECTION_ID,
  PROP_USER_ID,
  PROP_SESSION_ID,
  PROP_APP_ID,
  PROP_MEDIA,
  PROP_FORMAT,
  PROP_SPLIT_DURATION,
  PROP_SPLIT_ONLY,
  PROP_MAX_SIZE_BYTES,
  PROP_MAX_DURATION,
  PROP_MAX_PAUSE,
  PROP_PLI_INTERVAL,
  PROP_HLS_TARGET_DURATION,
  PROP_TRACK_WAIT,
  PROP_NAMING,
  PROP_NAMING_TEMPLATE,
  PROP_SPLIT_NAMING_TEMPLATE,
  PROP_METADATA,
  PROP_RECORDING_START_TIME,
  PROP_HA,
  PROP_INPUT_QUEUES,
};

typedef enum
{
  OUTPUT_SINGLE,                /* whole recording, forced shards */
  OUTPUT_SPLIT,                 /* split-duration files */
  OUTPUT_HLS,                   /* MPEG-TS segments + playlist */
} OutputKind;

typedef struct _GstSplitMuxRecOutput Output;
typedef struct _GstSplitMuxRecInput Input;
typedef struct _GstSplitMuxRecFile FileRecord;

/* One output kind across restarts of the muxing (a late or re-added track
 * starts a new splitmuxsink): numbering, the HLS playlist and the
 * split-archive-end summary continue. files_lock. */
typedef struct
{
  OutputKind kind;
  guint files_opened;
  guint files_done;
  guint last_index;
  gint64 first_start_us;
  gint64 last_stop_us;
  GString *playlist;            /* HLS only */
  gdouble max_segment_seconds;
} Track;

/* tee ! [queue] ! splitmuxsink of one input into one output */
typedef struct
{
  Output *output;
  GstElement *queue;            /* NULL without input-queues */
  GstPad *target;               /* what the tee pad links to */
  GstPad *tee_pad;              /* NULL until the input switches to it */
} Branch;

struct _GstSplitMuxRecFile
{
  gint refcount;
  Output *output;
  guint index;                  /* split index, shard or segment number */
  gchar *rel_stem;              /* relative path, no extension */
  gchar *ext;
  gchar *tmp_path;
  GstClockTimeDiff start_rt;
  GstClockTimeDiff stop_rt;
  gint64 start_us;
  gint64 stop_us;
  gboolean closed;
  gboolean failed;
  gint width;                   /* largest video size in this file */
  gint height;
  JsonArray *events;            /* mid-stream changes during this file */
};

struct _GstSplitMuxRecOutput
{
  GstSplitMuxRec *self;
  OutputKind kind;
  Track *track;
  /* the tracks in this output's files */
  gboolean has_video;
  gboolean has_audio;
  RrCodec video_codec;
  RrCodec audio_codec;
  gboolean retired;             /* replaced after a restart, finishing */
  GstElement *sink;             /* splitmuxsink */
  GstClockTime cut_interval;    /* 0 = only byte/pause cuts */

  /* reference input's streaming thread only */
  GstClockTimeDiff next_cut_rt;
  GstClockTimeDiff pending_cut_rt;
  gboolean cut_keyframe_requested;
  guint64 bytes_at_cut;         /* recorded_bytes when its file began */

  /* files_lock */
  FileRecord *current;
  guint files_opened;
  /* events before its next file opens: they belong to that file */
  JsonArray *pending_events;
  /* the number of this output's first file, taken when the output is
   * made: outputs are made in time order, their splitmuxsinks open their
   * first files in whatever order their threads run */
  guint first_index;
};

struct _GstSplitMuxRecInput
{
  GstSplitMuxRec *self;
  GstPad *sinkpad;
  GstPad *srcpad;               /* internal, feeds the parser */
  GList *elements;              /* parser, capsfilter, tee */
  GstElement *tee;
  GList *branches;              /* Branch, one per output */

  /* self->lock */
  GstCaps *caps;
  RrCodec codec;
  gboolean eos;
  gboolean linked;              /* data flows into the chain */
  gboolean late;                /* caps came after the files started */
  gboolean readded;             /* new stream after EOS */
  gboolean switch_pending;      /* move to the new outputs at switch_rt */
  GstEvent *pending_caps;       /* caps the current files cannot take */
  GstClockTimeDiff switch_rt;

  /* streaming thread */
  GstSegment segment;
  gboolean waiting_keyframe;
  GstClockTimeDiff last_rt;
  GstClockTimeDiff last_keyframe_rt;
  GstClockTimeDiff last_request_rt;
  guint keyframe_requests;
  guint64 dropped;
  gint width;
  gint height;

  /* streaming thread, after the parser */
  guint64 repaired;             /* timestamps moved forward */
  GstClockTime last_dts;
  GstClockTimeDiff max_pts_rt;  /* latest presentation time so far */
  GstClockTimeDiff gop_start_rt;        /* as splitmuxsink sees GOPs */
  gboolean dts_seen;
  guint64 gop_start_bytes;      /* recorded_bytes at the last key frame */
  guint64 last_gop_bytes;
};

struct _GstSplitMuxRec
{
  GstBin parent;

  /* object lock */
  gchar *archive_dir;
  gchar *tmp_dir;
  gchar *recording_id;
  gchar *room_id;
  gchar *connection_id;
  gchar *user_id;
  gchar *session_id;
  gchar *app_id;
  gchar *media;
  RrFormat format;
  GstClockTime split_duration;
  gboolean split_only;
  guint64 max_size_bytes;
  GstClockTime max_duration;
  GstClockTime max_pause;
  GstClockTime pli_interval;
  GstClockTime hls_target_duration;
  GstClockTime track_wait;
  RrNamingPreset naming;
  gchar *naming_template;
  gchar *split_naming_template;
  gchar *metadata;
  gint64 recording_start_us;
  guint ha;
  gboolean input_queues;

  /* self->lock: inputs and start of recording */
  GMutex lock;
  GCond cond;
  GList *inputs;
  guint next_pad_id;
  gboolean started;
  gboolean flushing;
  gint64 first_data_monotonic;
  Input *reference;
  Input *video_input;
  Input *audio_input;
  gboolean restart_pending;     /* a track (re)joined: new files needed */

  /* bytes_lock: every recorded buffer's bytes, for the size cuts */
  GMutex bytes_lock;
  guint64 recorded_bytes;
  gboolean drained;             /* the worker reached a JOB_DRAIN */
  GList *tracks;

  /* self->lock to change, files_lock to change or read */
  GList *outputs;
  GList *retired;               /* outputs finishing after a restart */

  /* set once before the first file opens, read everywhere after */
  JsonNode *metadata_node;
  gboolean has_video;
  gboolean has_audio;
  RrCodec video_codec;
  RrCodec audio_codec;
  GstClockTimeDiff wallclock_base_rt;
  gint64 wallclock_base_us;

  /* files_lock: file records, shared with the splitmuxsink threads and
   * the worker */
  GMutex files_lock;
  GHashTable *files;            /* tmp path → FileRecord */
  gint max_width;
  gint max_height;
  JsonArray *pending_events;

  /* finishing files (rename, sidecar, playlist) happens off the
   * streaming threads, in this worker, in order */
  GThread *worker;
  GAsyncQueue *jobs;
};

typedef enum
{
  JOB_FINISH_FILE,
  JOB_FAILED_FILE,
  JOB_FORWARD_EOS,
  JOB_DRAIN,                    /* wakes drain_worker () */
  JOB_QUIT,
} JobType;

typedef struct
{
  JobType type;
  Output *output;
  FileRecord *file;
  GstMessage *message;
  gchar *reason;
} Job;

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-h264; video/x-h265; video/x-vp8; video/x-vp9; "
        "video/x-av1; audio/x-opus; audio/mpeg, mpegversion=(int){2,4}; "
        "audio/x-mulaw; audio/x-alaw"));

#define gst_split_mux_rec_parent_class parent_class
G_DEFINE_TYPE (GstSplitMuxRec, gst_split_mux_rec, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (splitmuxrec, "splitmuxrec",
    GST_RANK_NONE, GST_TYPE_SPLIT_MUX_REC,
    GST_DEBUG_CATEGORY_INIT (splitmuxrec_debug, "splitmuxrec", 0,
        "roomrec archive recorder"));

GType
gst_split_mux_rec_format_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {RR_FORMAT_MP4, "Fragmented MP4 (.mp4, audio-only .m4a)", "mp4"},
    {RR_FORMAT_WEBM, "WebM (.webm)", "webm"},
    {RR_FORMAT_MKV, "Matroska (.mkv, audio-only .mka)", "mkv"},
    {RR_FORMAT_HLS, "HLS: MPEG-TS segments and .m3u8 playlist", "hls"},
    {RR_FORMAT_OGG, "Ogg, audio-only Opus (.ogg)", "ogg"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstSplitMuxRecFormat", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_split_mux_rec_naming_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {RR_NAMING_PRESET_SORA,
        "Sora: <recording_id>/archive-<connection_id>", "sora"},
    {RR_NAMING_PRESET_TRTC,
          "TRTC: <task>/<app>_<room>__UserId_s_<user>__UserId_e_<media>",
        "trtc"},
    {RR_NAMING_PRESET_SPARKRTC,
        "SparkRTC: <app>/<format>/<stream>_<start>/...", "sparkrtc"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstSplitMuxRecNaming", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ------------------------------------------------------------------ */
/* file records                                                        */

static FileRecord *
file_record_ref (FileRecord * f)
{
  g_atomic_int_inc (&f->refcount);
  return f;
}

static void
file_record_unref (FileRecord * f)
{
  if (!g_atomic_int_dec_and_test (&f->refcount))
    return;
  g_free (f->rel_stem);
  g_free (f->ext);
  g_free (f->tmp_path);
  if (f->events)
    json_array_unref (f->events);
  g_free (f);
}

static void
job_free (Job * job)
{
  if (job->file)
    file_record_unref (job->file);
  if (job->message)
    gst_message_unref (job->message);
  g_free (job->reason);
  g_free (job);
}

static void
push_job (GstSplitMuxRec * self, JobType type, FileRecord * file,
    GstMessage * message, const gchar * reason)
{
  Job *job = g_new0 (Job, 1);

  job->type = type;
  job->file = file ? file_record_ref (file) : NULL;
  job->message = message;
  job->reason = g_strdup (reason);
  g_async_queue_push (self->jobs, job);
}

/* Wall clock of a running time: the first buffer of the recording fixes
 * the mapping, so offsets inside the recording follow media time. */
static gint64
running_time_to_unix_us (GstSplitMuxRec * self, GstClockTimeDiff rt)
{
  if (self->wallclock_base_us == 0 || !GST_CLOCK_STIME_IS_VALID (rt))
    return g_get_real_time ();
  return self->wallclock_base_us + (rt - self->wallclock_base_rt) / 1000;
}

static void
append_event (JsonArray ** events, JsonObject * event)
{
  if (*events == NULL)
    *events = json_array_new ();
  json_array_add_object_element (*events, json_object_ref (event));
}

static void
add_event_locked (GstSplitMuxRec * self, JsonObject * event)
{
  GList *l;
  gchar *now = rr_time_rfc3339 (g_get_real_time ());

  json_object_set_string_member (event, "timestamp", now);
  g_free (now);
  /* to the open file of every current output, or to the file it opens
   * next (a splitmuxsink opens its file only once it has a whole GOP) */
  for (l = self->outputs; l; l = l->next) {
    Output *out = l->data;

    append_event (out->current ? &out->current->events :
        &out->pending_events, event);
  }
  /* before the recording started: for the first files */
  if (self->outputs == NULL)
    append_event (&self->pending_events, event);
  json_object_unref (event);
}

static void
note_event (GstSplitMuxRec * self, const gchar * what, const gchar * detail)
{
  JsonObject *event = json_object_new ();

  json_object_set_string_member (event, "what", what);
  if (detail)
    json_object_set_string_member (event, "detail", detail);
  g_mutex_lock (&self->files_lock);
  add_event_locked (self, event);
  g_mutex_unlock (&self->files_lock);
}

/* ------------------------------------------------------------------ */
/* naming                                                              */

static const gchar *
output_template (GstSplitMuxRec * self, OutputKind kind, RrFileKind * fkind)
{
  switch (kind) {
    case OUTPUT_SINGLE:
      *fkind = RR_FILE_SINGLE;
      if (self->naming_template)
        return self->naming_template;
      break;
    case OUTPUT_SPLIT:
      *fkind = RR_FILE_SPLIT;
      if (self->split_naming_template)
        return self->split_naming_template;
      break;
    case OUTPUT_HLS:
      *fkind = RR_FILE_SEGMENT;
      break;
  }
  return rr_naming_preset_template (self->naming, *fkind);
}

static void
fill_naming_vars (GstSplitMuxRec * self, RrNamingVars * v)
{
  memset (v, 0, sizeof (*v));
  v->recording_id = self->recording_id;
  v->room_id = self->room_id;
  v->connection_id = self->connection_id;
  v->user_id = self->user_id;
  v->app_id = self->app_id;
  v->media = self->media;
  v->type = self->has_video ? (self->has_audio ? "av" : "video") : "audio";
  v->format = rr_format_name (self->format);
  v->ha = self->ha;
}

static gchar *
expand_name (GstSplitMuxRec * self, Output * out, const gchar * tmpl,
    guint index, gint64 start_us, GError ** error)
{
  RrNamingVars v;

  fill_naming_vars (self, &v);
  v.type = out->has_video ? (out->has_audio ? "av" : "video") : "audio";
  v.index = index;
  v.shard = index;
  v.file_start_us = start_us;
  return rr_naming_expand (tmpl, &v, error);
}

/* names that belong to the whole recording: split-archive-end, playlist */
static gchar *
recording_stem (GstSplitMuxRec * self, RrFileKind kind)
{
  RrNamingVars v;

  fill_naming_vars (self, &v);
  v.file_start_us = self->recording_start_us;
  return rr_naming_expand (rr_naming_preset_template (self->naming, kind),
      &v, NULL);
}

/* splitmuxsink asks where the next file goes: called on its output thread
 * when a file opens. */
static gchar *
on_format_location (GstElement * sink, guint fragment_id, GstSample * sample,
    Output * out)
{
  GstSplitMuxRec *self = out->self;
  RrFileKind fkind;
  const gchar *tmpl;
  FileRecord *f;
  GError *err = NULL;
  gchar *stem, *dir;
  gint64 start_us = g_get_real_time ();
  GstBuffer *buf = sample ? gst_sample_get_buffer (sample) : NULL;
  const GstSegment *seg = sample ? gst_sample_get_segment (sample) : NULL;
  GstClockTimeDiff rt = GST_CLOCK_STIME_NONE;
  guint index;

  if (buf && seg && GST_BUFFER_PTS_IS_VALID (buf)) {
    rt = gst_segment_to_running_time (seg, GST_FORMAT_TIME,
        GST_BUFFER_PTS (buf));
    start_us = running_time_to_unix_us (self, rt);
  }

  /* numbered in time order across restarts: an output's first file has
   * its number from when the output was made (a retired splitmuxsink
   * still gathering its first GOP may open it after the new one opened
   * its own); the next files of an output, cut while it is current, are
   * numbered as they open */
  g_mutex_lock (&self->files_lock);
  if (out->files_opened++ == 0)
    index = out->first_index;
  else
    index = ++out->track->files_opened;
  g_mutex_unlock (&self->files_lock);

  GST_OBJECT_LOCK (self);
  tmpl = output_template (self, out->kind, &fkind);
  stem = expand_name (self, out, tmpl, index, start_us, &err);
  GST_OBJECT_UNLOCK (self);

  if (stem == NULL) {
    /* validated at start; only a template using an unset id gets here */
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        (_("Cannot name the recording file: %s"), err->message), (NULL));
    g_clear_error (&err);
    return NULL;
  }

  f = g_new0 (FileRecord, 1);
  f->refcount = 1;
  f->output = out;
  f->index = index;
  f->rel_stem = stem;
  f->ext = g_strdup (rr_format_extension (self->format, out->has_video));
  f->tmp_path = g_strdup_printf ("%s/%s.%s", self->tmp_dir, stem, f->ext);
  f->start_rt = rt;
  f->stop_rt = GST_CLOCK_STIME_NONE;
  f->start_us = start_us;

  /* the temp file's directory: a tiny metadata operation on the muxer's
   * output thread, not on the network-facing input threads */
  dir = g_path_get_dirname (f->tmp_path);
  if (g_mkdir_with_parents (dir, 0755) != 0)
    GST_WARNING_OBJECT (self, "cannot create %s: %s", dir, g_strerror (errno));
  g_free (dir);

  g_mutex_lock (&self->files_lock);
  f->events = g_steal_pointer (&out->pending_events);
  if (self->video_input) {
    f->width = self->video_input->width;
    f->height = self->video_input->height;
  }
  g_hash_table_insert (self->files, g_strdup (f->tmp_path), f);
  out->current = f;
  g_mutex_unlock (&self->files_lock);

  GST_INFO_OBJECT (self, "opening %s", f->tmp_path);
  return g_strdup (f->tmp_path);
}

/* ------------------------------------------------------------------ */
/* outputs                                                             */

/* ------------------------------------------------------------------ */
/* fragmented MP4: every track starts at its own time                  */

/* 1.22's mp4mux, fragmented, starts every track at decode time 0 (see
 * core/fmp4shift.h): the first buffer's running time of each of its sink
 * pads in the current file is noted, and its output's 'tfdt' boxes are
 * shifted by each track's lateness against the earliest track.  (The
 * normal MP4 made at the end presents a track's first sample at that
 * decode time, whatever its composition offset: core/mp4defrag.c.) */
typedef struct
{
  GMutex lock;
  RrFmp4Shift *shift;
  GstClockTimeDiff first_pts[2];        /* running time per kind (0 audio,
                                         * 1 video) in the current file, or
                                         * NONE */
  gboolean ended[2];            /* EOS passed: the next buffer starts a
                                 * file */
  gboolean dirty;               /* a first running time changed */
} TrackStarts;

static void
track_starts_free (TrackStarts * ts)
{
  g_mutex_clear (&ts->lock);
  rr_fmp4_shift_free (ts->shift);
  g_free (ts);
}

static GstPadProbeReturn
note_track_start (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  TrackStarts *ts = data;
  guint kind = g_str_has_prefix (GST_PAD_NAME (pad), "video") ? 1 : 0;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    /* splitmuxsink ends every file with EOS into the muxer: a buffer after
     * it starts the next file.  (The EOS can pass here long before the
     * muxer is done with the buffers before it.) */
    if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS) {
      g_mutex_lock (&ts->lock);
      ts->ended[kind] = TRUE;
      g_mutex_unlock (&ts->lock);
    }
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstClockTime pts = GST_BUFFER_PTS (buf);
    GstEvent *ev;

    g_mutex_lock (&ts->lock);
    if ((ts->ended[kind] || !GST_CLOCK_STIME_IS_VALID (ts->first_pts[kind]))
        && GST_CLOCK_TIME_IS_VALID (pts)
        && (ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0))) {
      const GstSegment *seg;

      gst_event_parse_segment (ev, &seg);
      ts->first_pts[kind] = gst_segment_to_running_time (seg, GST_FORMAT_TIME,
          pts);
      ts->ended[kind] = FALSE;
      ts->dirty = TRUE;
      GST_DEBUG_OBJECT (pad, "this file starts at running time %"
          GST_STIME_FORMAT, GST_STIME_ARGS (ts->first_pts[kind]));
      gst_event_unref (ev);
    }
    g_mutex_unlock (&ts->lock);
  }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
shift_track_starts (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  TrackStarts *ts = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;
  guint8 head[8];

  /* only header buffers can hold a 'moov' (after 'ftyp') or 'moof' */
  if (gst_buffer_extract (buf, 0, head, 8) != 8
      || (memcmp (head + 4, "ftyp", 4) != 0
          && memcmp (head + 4, "moov", 4) != 0
          && memcmp (head + 4, "moof", 4) != 0))
    return GST_PAD_PROBE_OK;

  g_mutex_lock (&ts->lock);
  if (ts->dirty) {
    GstClockTimeDiff first = GST_CLOCK_STIME_NONE;

    for (guint k = 0; k < 2; k++)
      if (GST_CLOCK_STIME_IS_VALID (ts->first_pts[k])
          && (!GST_CLOCK_STIME_IS_VALID (first) || ts->first_pts[k] < first))
        first = ts->first_pts[k];
    for (guint k = 0; k < 2; k++) {
      GstClockTimeDiff delay = 0;

      if (GST_CLOCK_STIME_IS_VALID (ts->first_pts[k]))
        delay = ts->first_pts[k] - first;
      rr_fmp4_shift_set_delay (ts->shift, k ? RR_FMP4_HANDLER_VIDEO :
          RR_FMP4_HANDLER_AUDIO, (guint64) delay);
      GST_DEBUG_OBJECT (pad, "%s track starts %" GST_STIME_FORMAT " late",
          k ? "video" : "audio", GST_STIME_ARGS (delay));
    }
    ts->dirty = FALSE;
  }
  buf = gst_buffer_make_writable (buf);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  if (gst_buffer_map (buf, &map, GST_MAP_READWRITE)) {
    guint n = rr_fmp4_shift_process (ts->shift, map.data, map.size, NULL);

    GST_LOG_OBJECT (pad, "%.4s buffer of %" G_GSIZE_FORMAT " bytes: %u "
        "track start(s) shifted", head + 4, map.size, n);
    gst_buffer_unmap (buf, &map);
  }
  g_mutex_unlock (&ts->lock);
  return GST_PAD_PROBE_OK;
}

static void
on_muxer_pad_added (GstElement * mux, GstPad * pad, TrackStarts * ts)
{
  if (GST_PAD_DIRECTION (pad) == GST_PAD_SINK)
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, note_track_start, ts, NULL);
}

static void
shift_track_starts_of (GstElement * mux)
{
  TrackStarts *ts = g_new0 (TrackStarts, 1);
  GstPad *src = gst_element_get_static_pad (mux, "src");

  g_mutex_init (&ts->lock);
  ts->shift = rr_fmp4_shift_new ();
  ts->first_pts[0] = ts->first_pts[1] = GST_CLOCK_STIME_NONE;
  g_object_set_data_full (G_OBJECT (mux), "rr-track-starts", ts,
      (GDestroyNotify) track_starts_free);
  g_signal_connect (mux, "pad-added", G_CALLBACK (on_muxer_pad_added), ts);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, shift_track_starts, ts,
      NULL);
  gst_object_unref (src);
}

static GstPadProbeReturn on_parsed_data (GstPad * pad,
    GstPadProbeInfo * info, gpointer data);

static GstPadProbeReturn
restore_hidden_delta (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstCustomMeta *meta;

  if (gst_buffer_get_custom_meta (buf, HIDDEN_DELTA_META) == NULL)
    return GST_PAD_PROBE_OK;
  /* shared with the other outputs' muxers when there are several */
  buf = gst_buffer_make_writable (buf);
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  meta = gst_buffer_get_custom_meta (buf, HIDDEN_DELTA_META);
  if (meta)
    gst_buffer_remove_meta (buf, (GstMeta *) meta);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

static void
on_muxer_pad_added_restore (GstElement * mux, GstPad * pad, gpointer data)
{
  if (GST_PAD_DIRECTION (pad) == GST_PAD_SINK)
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, restore_hidden_delta,
        NULL, NULL);
}

static GstElement *
make_muxer (GstSplitMuxRec * self)
{
  GstElement *mux;
  const gchar *factory = rr_format_muxer_factory (self->format);

  mux = gst_element_factory_make (factory, NULL);
  if (mux == NULL)
    return NULL;

  switch (self->format) {
    case RR_FORMAT_MP4:
      /* fragmented (moov, then moof+mdat every second): a killed recorder
       * leaves a file that plays up to the last fragment; finish_file ()
       * rewrites it as a normal MP4 after a clean stop.  1.22's
       * first-moov-then-finalise mode would do that itself, but after a
       * kill only its first fragment is readable. */
      g_object_set (mux, "fragment-duration", 1000, NULL);
      g_object_set (mux, "latency", self->pli_interval + MP4MUX_EXTRA_LATENCY,
          NULL);
      shift_track_starts_of (mux);
      break;
    case RR_FORMAT_WEBM:
    case RR_FORMAT_MKV:
      g_object_set (mux, "streamable", FALSE, NULL);
      break;
    default:
      break;
  }
  return mux;
}

static Track *
track_for_kind (GstSplitMuxRec * self, OutputKind kind)
{
  Track *t;

  for (GList * l = self->tracks; l; l = l->next) {
    t = l->data;
    if (t->kind == kind)
      return t;
  }
  t = g_new0 (Track, 1);
  t->kind = kind;
  if (kind == OUTPUT_HLS)
    t->playlist = g_string_new (NULL);
  self->tracks = g_list_append (self->tracks, t);
  return t;
}

static void
track_free (Track * t)
{
  if (t->playlist)
    g_string_free (t->playlist, TRUE);
  g_free (t);
}

static Output *
output_new (GstSplitMuxRec * self, OutputKind kind, GError ** error)
{
  Output *out = g_new0 (Output, 1);
  GstElement *mux, *file;

  out->self = self;
  out->kind = kind;
  g_mutex_lock (&self->files_lock);
  out->track = track_for_kind (self, kind);
  out->first_index = ++out->track->files_opened;
  g_mutex_unlock (&self->files_lock);

  out->has_video = self->has_video;
  out->has_audio = self->has_audio;
  out->video_codec = self->video_codec;
  out->audio_codec = self->audio_codec;

  out->next_cut_rt = GST_CLOCK_STIME_NONE;
  out->pending_cut_rt = GST_CLOCK_STIME_NONE;
  g_mutex_lock (&self->bytes_lock);
  out->bytes_at_cut = self->recorded_bytes;
  g_mutex_unlock (&self->bytes_lock);
  switch (kind) {
    case OUTPUT_SINGLE:
      out->cut_interval = self->max_duration;
      break;
    case OUTPUT_SPLIT:
      out->cut_interval = self->split_duration;
      if (self->max_duration && self->max_duration < out->cut_interval)
        out->cut_interval = self->max_duration;
      break;
    case OUTPUT_HLS:
      out->cut_interval = self->hls_target_duration;
      break;
  }

  out->sink = gst_element_factory_make ("splitmuxsink", NULL);
  mux = make_muxer (self);
  if (out->sink == NULL || mux == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "%s needs splitmuxsink (gst-plugins-good) and %s; install "
        "gstreamer1.0-plugins-good and gstreamer1.0-plugins-bad",
        GST_OBJECT_NAME (self), rr_format_muxer_factory (self->format));
    if (mux)
      gst_object_unref (mux);
    if (out->sink)
      gst_object_unref (out->sink);
    g_free (out);
    return NULL;
  }
  /* Splits are driven from our input side (split-at-running-time plus our
   * own key frame requests): splitmuxsink's requests do not survive
   * webrtcbin (notes A2.13). async-finalize stays off (A2.5). */
  g_signal_connect (mux, "pad-added", G_CALLBACK (on_muxer_pad_added_restore),
      NULL);
  /* no max-size-bytes: splitmuxsink would cut wherever a GOP (for it, any
   * frame) overflows; cut_at_keyframe () asks for size cuts instead */
  g_object_set (out->sink, "muxer", mux, "send-keyframe-requests", FALSE,
      "max-size-time", (guint64) 0, "max-size-bytes", (guint64) 0,
      "async-finalize", FALSE, "location", "unused", NULL);
  /* each fragment reaches the disk soon after the muxer writes it:
   * filesink's default 64 KiB buffer would hold seconds of a low-bitrate
   * stream that a killed recorder then loses (its default buffering, only
   * smaller) */
  file = gst_element_factory_make ("filesink", NULL);
  if (file) {
    g_object_set (file, "buffer-size", 4096, NULL);
    g_object_set (out->sink, "sink", file, NULL);
  }
  g_signal_connect (out->sink, "format-location-full",
      G_CALLBACK (on_format_location), out);
  return out;
}

/* ------------------------------------------------------------------ */
/* starting the recording                                              */

static gboolean
input_ready_locked (Input * in)
{
  return in->caps != NULL || in->eos;
}

static gboolean
all_inputs_ready_locked (GstSplitMuxRec * self)
{
  GList *l;

  if (self->inputs == NULL)
    return FALSE;
  for (l = self->inputs; l; l = l->next)
    if (!input_ready_locked (l->data))
      return FALSE;
  return TRUE;
}

/* Takes @e out of the bin for good.  Locked first: a state change of the
 * bin running meanwhile (the pipeline stopping) would otherwise set it
 * back to PAUSED after our NULL, and, once removed, nothing would ever
 * stop it: its threads would outlive the pipeline. */
static void
remove_element (GstSplitMuxRec * self, GstElement * e)
{
  gst_object_ref (e);
  gst_element_set_locked_state (e, TRUE);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (self), e);
  /* a state change the bin had begun before the lock */
  gst_element_set_state (e, GST_STATE_NULL);
  gst_object_unref (e);
}

static GstElement *
add_element (GstSplitMuxRec * self, Input * in, const gchar * factory)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e == NULL)
    return NULL;
  gst_bin_add (GST_BIN (self), e);
  in->elements = g_list_prepend (in->elements, e);
  return e;
}

/* VP9 caps without chroma-site crash 1.22.0's mp4mux: name the siting
 * vp9parse gives libvpx streams when it knows it. */
static GstPadProbeReturn
add_vp9_chroma_site (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (event, &caps);
  if (gst_caps_get_size (caps) == 0
      || gst_structure_has_field (gst_caps_get_structure (caps, 0),
          "chroma-site"))
    return GST_PAD_PROBE_OK;
  caps = gst_caps_copy (caps);
  gst_caps_set_simple (caps, "chroma-site", G_TYPE_STRING, "jpeg", NULL);
  gst_event_unref (event);
  GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_caps (caps);
  gst_caps_unref (caps);
  return GST_PAD_PROBE_OK;
}

/* internal pad ! parser ! [capsfilter] ! tee */
static gboolean
build_chain_locked (GstSplitMuxRec * self, Input * in, GError ** error)
{
  const gchar *parser_name = rr_codec_parser_factory (in->codec);
  GstCaps *filter_caps = rr_format_parser_caps (self->format, in->codec);
  GstElement *first = NULL, *last = NULL, *e;
  GstPad *pad;

  if (parser_name) {
    e = add_element (self, in, parser_name);
    if (e == NULL) {
      if (filter_caps)
        gst_caps_unref (filter_caps);
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
          "recording %s needs the element %s; install "
          "gstreamer1.0-plugins-good and gstreamer1.0-plugins-bad",
          rr_codec_name (in->codec), parser_name);
      return FALSE;
    }
    if (in->codec == RR_CODEC_H264 || in->codec == RR_CODEC_H265)
      g_object_set (e, "config-interval", -1, NULL);
    if (in->codec == RR_CODEC_VP9 && self->format == RR_FORMAT_MP4
        && rr_mp4mux_needs_vp9_chroma_site ()) {
      pad = gst_element_get_static_pad (e, "src");
      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
          add_vp9_chroma_site, NULL, NULL);
      gst_object_unref (pad);
    }
    first = last = e;
  }
  if (filter_caps) {
    e = add_element (self, in, "capsfilter");
    g_object_set (e, "caps", filter_caps, NULL);
    gst_caps_unref (filter_caps);
    if (last)
      gst_element_link (last, e);
    else
      first = e;
    last = e;
  }
  /* a tee even for one output: a restart moves the input to new outputs
   * by relinking tee pads */
  in->tee = add_element (self, in, "tee");
  g_object_set (in->tee, "allow-not-linked", TRUE, NULL);
  pad = gst_element_get_static_pad (in->tee, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_parsed_data, in, NULL);
  gst_object_unref (pad);
  if (last)
    gst_element_link (last, in->tee);
  else
    first = in->tee;

  for (GList * l = in->elements; l; l = l->next)
    gst_element_sync_state_with_parent (l->data);
  pad = gst_element_get_static_pad (first, "sink");
  gst_pad_link (in->srcpad, pad);
  gst_object_unref (pad);
  return TRUE;
}

/* queue ! splitmuxsink pad; the tee pad is linked when the input switches
 * to this output (at once when @link_now) */
static gboolean
add_branch_locked (GstSplitMuxRec * self, Input * in, Output * out,
    gboolean link_now, GError ** error)
{
  Branch *b = g_new0 (Branch, 1);
  GstPad *mux_pad;

  b->output = out;
  in->branches = g_list_append (in->branches, b);
  mux_pad = gst_element_request_pad_simple (out->sink,
      rr_codec_is_video (in->codec) ? "video" : "audio_%u");
  if (mux_pad == NULL) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_MUX,
        "the muxer refused a %s track", rr_codec_name (in->codec));
    return FALSE;
  }

  /* A queue decouples the threads in front of splitmuxsink, which blocks
   * an input until the others reach the GOP's end (notes A2.7): needed
   * when one thread feeds several inputs, and for dual output (one thread
   * into two splitmuxsinks).  Inputs that each have their own thread
   * (rtparchivesink's jitter buffers) into one output can do without it,
   * one thread hand-off per track less. */
  if (self->input_queues || g_list_length (self->outputs) > 1) {
    GstPad *qsrc;

    b->queue = gst_element_factory_make ("queue", NULL);
    /* Bounded in bytes only: while splitmuxsink waits for the other
     * track, a burst of one track must not block its socket (a time limit
     * would), and memory must stay bounded when the recorder falls
     * behind. */
    g_object_set (b->queue, "max-size-buffers", 0,
        "max-size-bytes", QUEUE_MAX_BYTES, "max-size-time", (guint64) 0, NULL);
    gst_bin_add (GST_BIN (self), b->queue);
    qsrc = gst_element_get_static_pad (b->queue, "src");
    if (gst_pad_link (qsrc, mux_pad) != GST_PAD_LINK_OK) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_MUX,
          "%s cannot be linked to %s", rr_codec_name (in->codec),
          rr_format_muxer_factory (self->format));
      gst_object_unref (qsrc);
      gst_object_unref (mux_pad);
      return FALSE;
    }
    gst_object_unref (qsrc);
    gst_object_unref (mux_pad);
    gst_element_sync_state_with_parent (b->queue);
    b->target = gst_element_get_static_pad (b->queue, "sink");
  } else {
    b->target = mux_pad;
  }

  if (link_now) {
    b->tee_pad = gst_element_request_pad_simple (in->tee, "src_%u");
    if (gst_pad_link (b->tee_pad, b->target) != GST_PAD_LINK_OK) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_MUX,
          "%s cannot be linked to %s", rr_codec_name (in->codec),
          rr_format_muxer_factory (self->format));
      return FALSE;
    }
  }
  return TRUE;
}

static void
branch_free (Branch * b)
{
  gst_clear_object (&b->target);
  gst_clear_object (&b->tee_pad);
  g_free (b);
}

/* On the input's own streaming thread: leave the retired outputs, enter
 * the new ones.  Returns the queue pads of the old branches, which get EOS
 * once the lock is released. */
static GList *
switch_branches_locked (GstSplitMuxRec * self, Input * in)
{
  GList *l, *next, *eos_pads = NULL;

  for (l = in->branches; l; l = next) {
    Branch *b = l->data;

    next = l->next;
    if (b->output->retired) {
      if (b->tee_pad) {
        gst_pad_unlink (b->tee_pad, b->target);
        gst_element_release_request_pad (in->tee, b->tee_pad);
      }
      eos_pads = g_list_prepend (eos_pads, gst_object_ref (b->target));
      in->branches = g_list_delete_link (in->branches, l);
      branch_free (b);
      continue;
    }
    if (b->tee_pad == NULL) {
      b->tee_pad = gst_element_request_pad_simple (in->tee, "src_%u");
      gst_pad_link (b->tee_pad, b->target);
    }
  }
  in->switch_pending = FALSE;
  in->linked = TRUE;
  return eos_pads;
}

static void
send_eos_to_pads (GList * pads)
{
  for (GList * l = pads; l; l = l->next)
    gst_pad_send_event (l->data, gst_event_new_eos ());
  g_list_free_full (pads, gst_object_unref);
}

static gboolean
input_is_live_locked (Input * in)
{
  return in->caps != NULL && (!in->eos || in->readded);
}

/* The recorded tracks: the first live video and the first live audio
 * input; video (if any) drives the cuts. */
static void
update_track_kinds_locked (GstSplitMuxRec * self)
{
  self->video_input = self->audio_input = NULL;
  for (GList * l = self->inputs; l; l = l->next) {
    Input *in = l->data;
    if (!input_is_live_locked (in))
      continue;
    if (rr_codec_is_video (in->codec) && self->video_input == NULL)
      self->video_input = in;
    else if (!rr_codec_is_video (in->codec) && self->audio_input == NULL)
      self->audio_input = in;
  }
  self->has_video = self->video_input != NULL;
  self->has_audio = self->audio_input != NULL;
  if (self->has_video)
    self->video_codec = self->video_input->codec;
  if (self->has_audio)
    self->audio_codec = self->audio_input->codec;
  self->reference = self->video_input ? self->video_input : self->audio_input;
}

/* one track per kind: a second video or audio pad is not recorded */
static gboolean
is_surplus_locked (GstSplitMuxRec * self, Input * in)
{
  return in != self->video_input && in != self->audio_input;
}

static GList *
create_outputs_locked (GstSplitMuxRec * self, GError ** error)
{
  GList *outs = NULL;
  Output *out;

  if (self->format == RR_FORMAT_HLS) {
    if ((out = output_new (self, OUTPUT_HLS, error)))
      outs = g_list_append (outs, out);
  } else {
    if (self->split_duration == 0 || !self->split_only) {
      if ((out = output_new (self, OUTPUT_SINGLE, error)))
        outs = g_list_append (outs, out);
    }
    if (*error == NULL && self->split_duration > 0) {
      if ((out = output_new (self, OUTPUT_SPLIT, error)))
        outs = g_list_append (outs, out);
    }
  }
  g_mutex_lock (&self->files_lock);
  for (GList * l = outs; l; l = l->next) {
    out = l->data;
    for (guint i = 0; i < json_array_get_length (self->pending_events); i++)
      append_event (&out->pending_events,
          json_array_get_object_element (self->pending_events, i));
  }
  if (outs && json_array_get_length (self->pending_events) > 0) {
    json_array_unref (self->pending_events);
    self->pending_events = json_array_new ();
  }
  g_mutex_unlock (&self->files_lock);
  for (GList * l = outs; l; l = l->next) {
    out = l->data;
    gst_bin_add (GST_BIN (self), out->sink);
    gst_element_sync_state_with_parent (out->sink);
  }
  return outs;
}

/* Called by the first input thread that may start: every requested input
 * has caps (or ended), or the track-wait time is over.  Inputs without caps
 * by now join later, which starts new files (restart_locked). */
static gboolean
start_locked (GstSplitMuxRec * self)
{
  GList *l, *outs;
  GError *err = NULL;

  update_track_kinds_locked (self);
  if (self->reference == NULL)
    return TRUE;                /* nothing to record (all ended) */

  outs = create_outputs_locked (self, &err);
  g_mutex_lock (&self->files_lock);
  self->outputs = outs;
  g_mutex_unlock (&self->files_lock);
  if (err)
    goto error;

  for (l = self->inputs; l; l = l->next) {
    Input *in = l->data;
    if (in->caps == NULL || in->eos)
      continue;
    if (is_surplus_locked (self, in))
      continue;
    if (!build_chain_locked (self, in, &err))
      goto error;
    for (GList * o = self->outputs; o; o = o->next)
      if (!add_branch_locked (self, in, o->data, TRUE, &err))
        goto error;
    in->linked = TRUE;
  }
  self->started = TRUE;
  g_cond_broadcast (&self->cond);
  return TRUE;

error:
  GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
      (_("Cannot start recording: %s"), err->message), (NULL));
  g_clear_error (&err);
  return FALSE;
}

/* A track joined late or came back after it ended: on the reference
 * input's key frame at @rt, new files start with every live track.  The
 * current files end there; each input moves over on its own thread when
 * its data reaches @rt. */
static void
restart_locked (GstSplitMuxRec * self, GstClockTimeDiff rt)
{
  GList *outs, *l;
  GError *err = NULL;
  Input *old_reference = self->reference;

  self->restart_pending = FALSE;
  update_track_kinds_locked (self);
  if (self->reference != old_reference && self->reference == NULL)
    return;

  outs = create_outputs_locked (self, &err);
  if (err) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        (_("Cannot start recording: %s"), err->message), (NULL));
    g_clear_error (&err);
    return;
  }
  g_mutex_lock (&self->files_lock);
  for (l = self->outputs; l; l = l->next)
    ((Output *) l->data)->retired = TRUE;
  self->retired = g_list_concat (self->retired, self->outputs);
  self->outputs = outs;
  g_mutex_unlock (&self->files_lock);

  for (l = self->inputs; l; l = l->next) {
    Input *in = l->data;

    if (in->caps == NULL || (in->eos && !in->readded))
      continue;
    if (is_surplus_locked (self, in))
      continue;
    if (in->readded) {
      /* the old chain saw EOS: a fresh one for the new stream */
      for (GList * e = in->elements; e; e = e->next)
        remove_element (self, e->data);
      g_list_free (in->elements);
      in->elements = NULL;
      in->tee = NULL;
      g_list_free_full (in->branches, (GDestroyNotify) branch_free);
      in->branches = NULL;
      in->readded = FALSE;
      in->eos = FALSE;
    }
    if (in->tee == NULL && !build_chain_locked (self, in, &err)) {
      GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
          (_("Cannot start recording: %s"), err->message), (NULL));
      g_clear_error (&err);
      return;
    }
    for (GList * o = self->outputs; o; o = o->next)
      add_branch_locked (self, in, o->data, FALSE, NULL);
    in->late = FALSE;
    in->switch_pending = TRUE;
    in->switch_rt = rt;
  }
  g_cond_broadcast (&self->cond);
}

static gboolean
wait_for_start (GstSplitMuxRec * self, Input * in)
{
  gboolean ok = TRUE;
  gint64 deadline;

  g_mutex_lock (&self->lock);
  if (self->first_data_monotonic == 0)
    self->first_data_monotonic = g_get_monotonic_time ();
  deadline = self->first_data_monotonic + self->track_wait / GST_USECOND;
  while (!self->started && !self->flushing && !all_inputs_ready_locked (self)) {
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
      break;
  }
  if (self->flushing)
    ok = FALSE;
  else if (!self->started)
    ok = start_locked (self);
  g_mutex_unlock (&self->lock);
  return ok;
}

/* ------------------------------------------------------------------ */
/* key frames and cuts (reference input's streaming thread)            */

static void
request_keyframe (GstSplitMuxRec * self, Input * in, GstClockTimeDiff rt,
    const gchar * why)
{
  GstEvent *ev;

  in->last_request_rt = rt;
  ev = gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
      TRUE, ++in->keyframe_requests);
  GST_DEBUG_OBJECT (in->sinkpad, "requesting a key frame (%s) at %"
      GST_STIME_FORMAT, why, GST_STIME_ARGS (rt));
  gst_pad_push_event (in->sinkpad, ev);
}

/* chain: which outputs want a new file; the cut itself waits for a key
 * frame (cut_at_keyframe) */
static void
plan_cuts (GstSplitMuxRec * self, Input * in, GstClockTimeDiff rt,
    gboolean keyframe)
{
  GList *l;
  gboolean paused = FALSE;

  if (self->max_pause > 0 && GST_CLOCK_STIME_IS_VALID (in->last_rt)
      && rt - in->last_rt > (GstClockTimeDiff) self->max_pause) {
    gchar *detail = g_strdup_printf ("no media for %.3f s; a new file starts",
        (rt - in->last_rt) / 1e9);
    note_event (self, "pause", detail);
    g_free (detail);
    paused = TRUE;
  }

  for (l = self->outputs; l; l = l->next) {
    Output *out = l->data;

    if (paused) {
      out->pending_cut_rt = rt;
      out->next_cut_rt = GST_CLOCK_STIME_NONE;
    } else if (GST_CLOCK_STIME_IS_VALID (out->next_cut_rt)
        && rt >= out->next_cut_rt) {
      /* the first key frame at or after this time opens a new file: "cut
       * at the next key frame after the duration" */
      out->pending_cut_rt = out->next_cut_rt;
      out->next_cut_rt = GST_CLOCK_STIME_NONE;
    }

    if (GST_CLOCK_STIME_IS_VALID (out->pending_cut_rt) && !keyframe
        && (!out->cut_keyframe_requested
            || rt - in->last_request_rt > KEYFRAME_RETRY_INTERVAL)) {
      out->cut_keyframe_requested = TRUE;
      request_keyframe (self, in, rt, "split");
    }
  }
}

/* A real key frame of the reference input: the outputs whose file is due
 * (time, pause, or size: it would pass max-size-bytes with another GOP like
 * the last) start a new file with it.  @bytes: recorded before it. */
static void
cut_at_keyframe (GstSplitMuxRec * self, Input * in, GstClockTimeDiff rt,
    guint64 bytes)
{
  /* splitmuxsink splits before the first GOP starting at or after this:
   * after every frame before this one, not after this key frame's GOP */
  GstClockTimeDiff split_rt = GST_CLOCK_STIME_IS_VALID (in->max_pts_rt)
      && in->max_pts_rt < rt ? in->max_pts_rt + 1 : rt;

  in->last_gop_bytes = bytes - in->gop_start_bytes;
  in->gop_start_bytes = bytes;

  for (GList * l = self->outputs; l; l = l->next) {
    Output *out = l->data;
    guint64 file_bytes = bytes - out->bytes_at_cut;
    gboolean due = GST_CLOCK_STIME_IS_VALID (out->pending_cut_rt)
        && rt >= out->pending_cut_rt;

    if (!due && self->max_size_bytes && file_bytes > 0
        && (file_bytes + in->last_gop_bytes) * 1.02 > self->max_size_bytes) {
      GST_DEBUG_OBJECT (self, "%" G_GUINT64_FORMAT " bytes in the file: a "
          "shard starts at %" GST_STIME_FORMAT, file_bytes,
          GST_STIME_ARGS (rt));
      due = TRUE;
    }
    if (due) {
      g_signal_emit_by_name (out->sink, "split-at-running-time",
          (GstClockTime) split_rt);
      out->bytes_at_cut = bytes;
      out->pending_cut_rt = GST_CLOCK_STIME_NONE;
      out->cut_keyframe_requested = FALSE;
      out->next_cut_rt = out->cut_interval ?
          rt + (GstClockTimeDiff) out->cut_interval : GST_CLOCK_STIME_NONE;
    } else if (!GST_CLOCK_STIME_IS_VALID (out->next_cut_rt)
        && !GST_CLOCK_STIME_IS_VALID (out->pending_cut_rt)
        && out->cut_interval) {
      /* first file */
      out->next_cut_rt = rt + (GstClockTimeDiff) out->cut_interval;
    }
  }
}

/* a GOP overran max-size-bytes before its end: ask for a key frame now */
static void
plan_size_cuts (GstSplitMuxRec * self, GstClockTimeDiff rt, guint64 bytes)
{
  for (GList * l = self->outputs; l; l = l->next) {
    Output *out = l->data;

    if (bytes - out->bytes_at_cut > self->max_size_bytes
        && !GST_CLOCK_STIME_IS_VALID (out->pending_cut_rt))
      out->pending_cut_rt = rt;
  }
}

/* tee sink pad: every buffer going into the files, after the parser */
/* 1.22.0 splitmuxsink asserts on buffers without timestamps and hangs on
 * DTS > PTS (notes A2.3), and splitmuxsink ("Queued GOP time is negative")
 * and mp4mux fail a file whose decode times go back, which a jitter buffer
 * under load produces.  Repaired where splitmuxsink takes them, after the
 * parser: baseparse takes a repeated timestamp for a missing one and counts
 * on past the next, so a repair before it does not hold.
 * Returns FALSE when @buf is to be dropped. */
static gboolean
repair_timestamps (Input * in, GstBuffer ** buf)
{
  gboolean has_dts;
  GstClockTime dts;

  if (!GST_BUFFER_PTS_IS_VALID (*buf)) {
    if (!GST_BUFFER_DTS_IS_VALID (*buf)) {
      in->dropped++;
      return FALSE;
    }
    *buf = gst_buffer_make_writable (*buf);
    GST_BUFFER_PTS (*buf) = GST_BUFFER_DTS (*buf);
  }
  if (GST_BUFFER_DTS_IS_VALID (*buf)
      && GST_BUFFER_DTS (*buf) > GST_BUFFER_PTS (*buf)) {
    *buf = gst_buffer_make_writable (*buf);
    GST_BUFFER_DTS (*buf) = GST_BUFFER_PTS (*buf);
  }
  has_dts = GST_BUFFER_DTS_IS_VALID (*buf);
  dts = has_dts ? GST_BUFFER_DTS (*buf) : GST_BUFFER_PTS (*buf);
  if (GST_CLOCK_TIME_IS_VALID (in->last_dts) && dts < in->last_dts) {
    *buf = gst_buffer_make_writable (*buf);
    if (has_dts)
      GST_BUFFER_DTS (*buf) = in->last_dts;
    if (!has_dts || GST_BUFFER_PTS (*buf) < in->last_dts)
      GST_BUFFER_PTS (*buf) = in->last_dts;
    in->repaired++;
    dts = in->last_dts;
  }
  in->last_dts = dts;
  return TRUE;
}

static GstPadProbeReturn
on_parsed_data (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Input *in = data;
  GstSplitMuxRec *self = in->self;
  GstBuffer *buf;
  gboolean keep;
  guint64 bytes;
  GstClockTime rt, dts_rt;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEventType type = GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info));

    if (type == GST_EVENT_SEGMENT || type == GST_EVENT_FLUSH_STOP)
      in->last_dts = GST_CLOCK_TIME_NONE;
    return GST_PAD_PROBE_OK;
  }
  buf = GST_PAD_PROBE_INFO_BUFFER (info);
  keep = repair_timestamps (in, &buf);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  if (!keep)
    return GST_PAD_PROBE_DROP;

  g_mutex_lock (&self->bytes_lock);
  bytes = self->recorded_bytes;
  self->recorded_bytes += gst_buffer_get_size (buf);
  g_mutex_unlock (&self->bytes_lock);

  if (in != self->reference)
    return GST_PAD_PROBE_OK;
  rt = gst_segment_to_running_time (&in->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return GST_PAD_PROBE_OK;

  if (GST_BUFFER_DTS_IS_VALID (buf))
    in->dts_seen = TRUE;
  if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
    cut_at_keyframe (self, in, rt, bytes);
    in->gop_start_rt = rt;
  } else {
    if (self->max_size_bytes)
      plan_size_cuts (self, rt, bytes);
    /* A frame decoded after every earlier frame is shown can start a GOP
     * for splitmuxsink: nothing after it is shown before them, so its GOP
     * times never go back (B-frame streams, whose DTS runs behind the PTS,
     * keep whole GOPs).  A GOP start without DTS after frames with one
     * loops 1.22.0's check_completed_gop forever (notes A2.3): PTS-only
     * frames qualify only in streams without DTS. */
    if (GST_BUFFER_DTS_IS_VALID (buf))
      dts_rt = gst_segment_to_running_time (&in->segment, GST_FORMAT_TIME,
          GST_BUFFER_DTS (buf));
    else
      dts_rt = in->dts_seen ? GST_CLOCK_TIME_NONE : rt;
    if (GST_CLOCK_TIME_IS_VALID (dts_rt)
        && GST_CLOCK_STIME_IS_VALID (in->max_pts_rt)
        && (GstClockTimeDiff) dts_rt >= in->max_pts_rt
        && GST_CLOCK_STIME_IS_VALID (in->gop_start_rt)
        && (GstClockTimeDiff) rt - in->gop_start_rt >=
        (GstClockTimeDiff) HIDDEN_GOP_INTERVAL) {
      in->gop_start_rt = rt;
      buf = gst_buffer_make_writable (buf);
      GST_BUFFER_FLAG_UNSET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
      gst_buffer_add_custom_meta (buf, HIDDEN_DELTA_META);
      GST_PAD_PROBE_INFO_DATA (info) = buf;
    }
  }
  if (!GST_CLOCK_STIME_IS_VALID (in->max_pts_rt)
      || (GstClockTimeDiff) rt > in->max_pts_rt)
    in->max_pts_rt = rt;
  return GST_PAD_PROBE_OK;
}

/* ------------------------------------------------------------------ */
/* input pads                                                          */

static GstFlowReturn
gst_split_mux_rec_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstSplitMuxRec *self = GST_SPLIT_MUX_REC (parent);
  Input *in = gst_pad_get_element_private (pad);
  GstClockTimeDiff rt;
  gboolean keyframe;

  if (G_UNLIKELY (!self->started) && !wait_for_start (self, in)) {
    gst_buffer_unref (buf);
    return self->flushing ? GST_FLOW_FLUSHING : GST_FLOW_ERROR;
  }
  /* timestamps are repaired after the parser (repair_timestamps) */
  rt = gst_segment_to_running_time (&in->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) :
      GST_BUFFER_DTS (buf));
  if (!GST_CLOCK_STIME_IS_VALID (rt) || rt < 0) {
    in->dropped++;
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  keyframe = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);

  if (G_UNLIKELY (self->restart_pending) && in == self->reference) {
    if (keyframe) {
      g_mutex_lock (&self->lock);
      if (self->restart_pending)
        restart_locked (self, rt);
      g_mutex_unlock (&self->lock);
    } else if (rt - in->last_request_rt > KEYFRAME_RETRY_INTERVAL
        || !GST_CLOCK_STIME_IS_VALID (in->last_request_rt)) {
      request_keyframe (self, in, rt, "track joined");
    }
  }
  if (G_UNLIKELY (in->switch_pending) && rt >= in->switch_rt) {
    GList *eos_pads;
    GstEvent *caps_event;

    g_mutex_lock (&self->lock);
    eos_pads = switch_branches_locked (self, in);
    caps_event = in->pending_caps;
    in->pending_caps = NULL;
    g_mutex_unlock (&self->lock);
    send_eos_to_pads (eos_pads);
    if (caps_event)
      gst_pad_push_event (in->srcpad, caps_event);
  }
  if (G_UNLIKELY (in->pending_caps != NULL)) {
    /* new parameters, old files: wait for the new files */
    in->dropped++;
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  if (G_UNLIKELY (!in->linked)) {
    /* a late track before it joins, or a surplus one: not recorded */
    in->dropped++;
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }

  if (rr_codec_is_video (in->codec)) {
    if (in->waiting_keyframe) {
      if (!keyframe) {
        /* a file never starts with a frame that cannot be decoded */
        in->dropped++;
        if (!GST_CLOCK_STIME_IS_VALID (in->last_request_rt)
            || rt - in->last_request_rt > KEYFRAME_RETRY_INTERVAL)
          request_keyframe (self, in, rt, "start");
        gst_buffer_unref (buf);
        return GST_FLOW_OK;
      }
      in->waiting_keyframe = FALSE;
    }
    if (keyframe)
      in->last_keyframe_rt = rt;
  }

  if (in == self->reference) {
    if (self->wallclock_base_us == 0) {
      self->wallclock_base_rt = rt;
      self->wallclock_base_us = g_get_real_time ();
    }
    plan_cuts (self, in, rt, keyframe);
    if (rr_codec_is_video (in->codec)
        && rt - in->last_keyframe_rt >= (GstClockTimeDiff) self->pli_interval
        && rt - in->last_request_rt >= (GstClockTimeDiff) self->pli_interval)
      request_keyframe (self, in, rt, "pli-interval");
  }
  in->last_rt = rt;

  return gst_pad_push (in->srcpad, buf);
}

/* @for_next_files: the caps start new files, the current ones keep their
 * size */
static void
note_caps_change (GstSplitMuxRec * self, Input * in, GstCaps * caps,
    gboolean for_next_files)
{
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  gint w = 0, h = 0;

  if (!rr_codec_is_video (in->codec))
    return;
  if (!gst_structure_get_int (s, "width", &w)
      || !gst_structure_get_int (s, "height", &h))
    return;
  if (in->width && (w != in->width || h != in->height)) {
    gchar *detail = g_strdup_printf ("%dx%d -> %dx%d", in->width, in->height,
        w, h);
    note_event (self, "resolution-changed", detail);
    g_free (detail);
  }
  in->width = w;
  in->height = h;
  g_mutex_lock (&self->files_lock);
  self->max_width = MAX (self->max_width, w);
  self->max_height = MAX (self->max_height, h);
  for (GList * l = self->outputs; l && !for_next_files; l = l->next) {
    FileRecord *f = ((Output *) l->data)->current;
    if (f) {
      f->width = MAX (f->width, w);
      f->height = MAX (f->height, h);
    }
  }
  g_mutex_unlock (&self->files_lock);
}

static gboolean
handle_caps (GstSplitMuxRec * self, Input * in, GstCaps * caps,
    gboolean * needs_new_files)
{
  RrCodec codec = rr_codec_from_caps (caps);
  gchar *reason = NULL;
  gboolean late;

  if (codec == RR_CODEC_UNKNOWN) {
    gchar *str = gst_caps_to_string (caps);
    GST_ELEMENT_ERROR (self, STREAM, WRONG_TYPE,
        (_("Cannot record this stream: unsupported codec.")), ("caps %s", str));
    g_free (str);
    return FALSE;
  }
  if (!rr_format_accepts (self->format, codec, &reason)) {
    GST_ELEMENT_ERROR (self, STREAM, WRONG_TYPE, ("%s", reason),
        ("refused caps on %s", GST_PAD_NAME (in->sinkpad)));
    g_free (reason);
    return FALSE;
  }

  g_mutex_lock (&self->lock);
  if (in->caps && in->codec != codec) {
    g_mutex_unlock (&self->lock);
    GST_ELEMENT_ERROR (self, STREAM, WRONG_TYPE,
        (_("The codec of a track changed from %s to %s during the "
                "recording; start a new recording for the new codec."),
            rr_codec_name (in->codec), rr_codec_name (codec)), (NULL));
    return FALSE;
  }
  *needs_new_files = in->linked && in->caps
      && !gst_caps_is_equal (in->caps, caps)
      && !rr_format_takes_caps_changes (self->format, codec);
  if (*needs_new_files)
    self->restart_pending = TRUE;
  in->codec = codec;
  late = self->started && !in->linked && !in->late && in->caps == NULL;
  gst_caps_replace (&in->caps, caps);
  if (late) {
    in->late = TRUE;
    /* a second track of a kind already recorded is not recorded */
    if ((rr_codec_is_video (codec) && self->video_input == NULL)
        || (!rr_codec_is_video (codec) && self->audio_input == NULL))
      self->restart_pending = TRUE;
    else
      late = FALSE;
  }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  if (late)
    note_event (self, "track-joined", rr_codec_name (codec));
  note_caps_change (self, in, caps, *needs_new_files);
  if (*needs_new_files)
    note_event (self, "caps-changed", "the container cannot change the "
        "stream's parameters inside a file; a new file starts");
  return TRUE;
}

static void
handle_stream_note (GstSplitMuxRec * self, const GstStructure * s)
{
  JsonObject *event = json_object_new ();
  gint n = gst_structure_n_fields (s);

  for (gint i = 0; i < n; i++) {
    const gchar *name = gst_structure_nth_field_name (s, i);
    const GValue *v = gst_structure_get_value (s, name);
    GValue str = G_VALUE_INIT;

    if (G_VALUE_HOLDS_STRING (v)) {
      json_object_set_string_member (event, name, g_value_get_string (v));
    } else if (G_VALUE_HOLDS_UINT (v)) {
      json_object_set_int_member (event, name, g_value_get_uint (v));
    } else if (G_VALUE_HOLDS_INT (v)) {
      json_object_set_int_member (event, name, g_value_get_int (v));
    } else if (G_VALUE_HOLDS_UINT64 (v)) {
      json_object_set_int_member (event, name, g_value_get_uint64 (v));
    } else if (g_value_type_transformable (G_VALUE_TYPE (v), G_TYPE_STRING)) {
      g_value_init (&str, G_TYPE_STRING);
      g_value_transform (v, &str);
      json_object_set_string_member (event, name, g_value_get_string (&str));
      g_value_unset (&str);
    }
  }
  g_mutex_lock (&self->files_lock);
  add_event_locked (self, event);
  g_mutex_unlock (&self->files_lock);
}

static gboolean
gst_split_mux_rec_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstSplitMuxRec *self = GST_SPLIT_MUX_REC (parent);
  Input *in = gst_pad_get_element_private (pad);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      gboolean needs_new_files = FALSE;

      gst_event_parse_caps (event, &caps);
      if (!handle_caps (self, in, caps, &needs_new_files)) {
        gst_event_unref (event);
        return FALSE;
      }
      if (needs_new_files) {
        /* reaches only the new files, when this input switches */
        gst_event_replace (&in->pending_caps, event);
        gst_event_unref (event);
        return TRUE;
      }
      break;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &in->segment);
      if (in->segment.format != GST_FORMAT_TIME) {
        GST_ELEMENT_ERROR (self, STREAM, FORMAT,
            (_("Cannot record a stream without timestamps.")),
            ("segment format %s", gst_format_get_name (in->segment.format)));
        gst_event_unref (event);
        return FALSE;
      }
      break;
    case GST_EVENT_STREAM_START:{
      gboolean readded = FALSE;

      g_mutex_lock (&self->lock);
      if (in->linked && in->eos) {
        /* the track ended and comes back: new files with it */
        in->readded = readded = TRUE;
        in->linked = FALSE;
        in->waiting_keyframe = rr_codec_is_video (in->codec);
        in->last_rt = GST_CLOCK_STIME_NONE;
        self->restart_pending = TRUE;
      }
      g_mutex_unlock (&self->lock);
      if (readded) {
        note_event (self, "track-readded", GST_PAD_NAME (pad));
        gst_pad_store_sticky_event (in->srcpad, event);
        gst_event_unref (event);
        return TRUE;
      }
      break;
    }
    case GST_EVENT_EOS:{
      gboolean start;
      GList *eos_pads = NULL;

      g_mutex_lock (&self->lock);
      if (in->switch_pending)
        eos_pads = switch_branches_locked (self, in);
      in->eos = TRUE;
      start = !self->started && all_inputs_ready_locked (self);
      if (start)
        start_locked (self);
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      send_eos_to_pads (eos_pads);
      break;
    }
    case GST_EVENT_CUSTOM_DOWNSTREAM:{
      const GstStructure *s = gst_event_get_structure (event);

      if (s && gst_structure_has_name (s, "roomrec-stream-note")) {
        handle_stream_note (self, s);
        gst_event_unref (event);
        return TRUE;
      }
      break;
    }
    case GST_EVENT_FLUSH_STOP:
      in->waiting_keyframe = rr_codec_is_video (in->codec);
      in->last_rt = GST_CLOCK_STIME_NONE;
      break;
    default:
      break;
  }

  if (!in->linked && GST_EVENT_IS_SERIALIZED (event)
      && !GST_EVENT_IS_STICKY (event)) {
    /* nothing downstream yet; sticky events wait on the internal pad */
    gst_event_unref (event);
    return TRUE;
  }
  if (!in->linked && GST_EVENT_IS_STICKY (event)) {
    gst_pad_store_sticky_event (in->srcpad, event);
    gst_event_unref (event);
    return TRUE;
  }
  return gst_pad_push_event (in->srcpad, event);
}

static gboolean
gst_split_mux_rec_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  Input *in = gst_pad_get_element_private (pad);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:{
      GstCaps *filter, *caps;

      /* every codec is offered so that linking works; a pair the format
       * cannot hold is refused on the caps event, with an error naming
       * both (a failed link would only say "could not link") */
      gst_query_parse_caps (query, &filter);
      caps = gst_pad_get_pad_template_caps (pad);
      if (filter) {
        GstCaps *tmp = gst_caps_intersect_full (filter, caps,
            GST_CAPS_INTERSECT_FIRST);
        gst_caps_unref (caps);
        caps = tmp;
      }
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    case GST_QUERY_ACCEPT_CAPS:{
      GstCaps *caps;

      gst_query_parse_accept_caps (query, &caps);
      /* accept here; handle_caps explains a refusal in words */
      gst_query_set_accept_caps_result (query,
          rr_codec_from_caps (caps) != RR_CODEC_UNKNOWN);
      return TRUE;
    }
    case GST_QUERY_ALLOCATION:
      return FALSE;
    default:
      if (in->linked)
        return gst_pad_peer_query (in->srcpad, query);
      return gst_pad_query_default (pad, parent, query);
  }
}

/* upstream events (force-key-unit from parsers, latency, …) leave through
 * our sink pad */
static gboolean
internal_src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  Input *in = gst_pad_get_element_private (pad);

  return gst_pad_push_event (in->sinkpad, event);
}

static gboolean
internal_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  Input *in = gst_pad_get_element_private (pad);

  if (GST_QUERY_TYPE (query) == GST_QUERY_CAPS && in->caps) {
    GstCaps *filter;
    gst_query_parse_caps (query, &filter);
    if (filter) {
      GstCaps *res = gst_caps_intersect (filter, in->caps);
      gst_query_set_caps_result (query, res);
      gst_caps_unref (res);
    } else {
      gst_query_set_caps_result (query, in->caps);
    }
    return TRUE;
  }
  return gst_pad_peer_query (in->sinkpad, query);
}

static void
input_reset_stream_state (Input * in)
{
  gst_segment_init (&in->segment, GST_FORMAT_TIME);
  in->waiting_keyframe = TRUE;
  in->last_rt = GST_CLOCK_STIME_NONE;
  in->last_keyframe_rt = 0;
  in->last_request_rt = GST_CLOCK_STIME_NONE;
  in->keyframe_requests = 0;
  in->last_dts = GST_CLOCK_TIME_NONE;
  in->max_pts_rt = GST_CLOCK_STIME_NONE;
  in->gop_start_rt = GST_CLOCK_STIME_NONE;
  in->dts_seen = FALSE;
}

static GstPad *
gst_split_mux_rec_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps)
{
  GstSplitMuxRec *self = GST_SPLIT_MUX_REC (element);
  Input *in;
  gchar *pad_name, *src_name;

  g_mutex_lock (&self->lock);
  if (self->started) {
    g_mutex_unlock (&self->lock);
    GST_ELEMENT_WARNING (self, CORE, PAD,
        (_("Tracks must be added before the recording starts.")),
        ("pad requested after the first file was opened"));
    return NULL;
  }
  pad_name = name ? g_strdup (name) :
      g_strdup_printf ("sink_%u", self->next_pad_id);
  self->next_pad_id++;

  in = g_new0 (Input, 1);
  in->self = self;
  input_reset_stream_state (in);
  in->sinkpad = gst_pad_new_from_template (templ, pad_name);
  gst_pad_set_element_private (in->sinkpad, in);
  gst_pad_set_chain_function (in->sinkpad,
      GST_DEBUG_FUNCPTR (gst_split_mux_rec_chain));
  gst_pad_set_event_function (in->sinkpad,
      GST_DEBUG_FUNCPTR (gst_split_mux_rec_sink_event));
  gst_pad_set_query_function (in->sinkpad,
      GST_DEBUG_FUNCPTR (gst_split_mux_rec_sink_query));
  GST_PAD_SET_PROXY_ALLOCATION (in->sinkpad);

  src_name = g_strdup_printf ("%s_internal", pad_name);
  in->srcpad = gst_pad_new (src_name, GST_PAD_SRC);
  g_free (src_name);
  gst_pad_set_element_private (in->srcpad, in);
  gst_pad_set_event_function (in->srcpad,
      GST_DEBUG_FUNCPTR (internal_src_event));
  gst_pad_set_query_function (in->srcpad,
      GST_DEBUG_FUNCPTR (internal_src_query));
  gst_pad_set_active (in->srcpad, TRUE);

  self->inputs = g_list_append (self->inputs, in);
  g_mutex_unlock (&self->lock);
  g_free (pad_name);

  if (GST_STATE (self) > GST_STATE_READY)
    gst_pad_set_active (in->sinkpad, TRUE);
  gst_element_add_pad (element, in->sinkpad);
  return in->sinkpad;
}

static void
input_free (Input * in)
{
  GstPad *peer = gst_pad_get_peer (in->srcpad);

  if (peer) {
    gst_pad_unlink (in->srcpad, peer);
    gst_object_unref (peer);
  }
  g_list_free_full (in->branches, (GDestroyNotify) branch_free);
  gst_event_replace (&in->pending_caps, NULL);
  gst_pad_set_active (in->srcpad, FALSE);
  gst_object_unref (in->srcpad);
  gst_caps_replace (&in->caps, NULL);
  g_list_free (in->elements);
  g_free (in);
}

static void
gst_split_mux_rec_release_pad (GstElement * element, GstPad * pad)
{
  GstSplitMuxRec *self = GST_SPLIT_MUX_REC (element);
  Input *in = gst_pad_get_element_private (pad);

  g_mutex_lock (&self->lock);
  self->inputs = g_list_remove (self->inputs, in);
  if (self->reference == in)
    self->reference = NULL;
  if (self->video_input == in)
    self->video_input = NULL;
  if (self->audio_input == in)
    self->audio_input = NULL;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  gst_element_remove_pad (element, pad);
  /* the internal chain stays until the element stops; it holds no
   * reference to the input */
  input_free (in);
}

/* ------------------------------------------------------------------ */
/* finishing files (worker thread)                                     */

static GstStructure *
file_message_fields (GstSplitMuxRec * self, const gchar * name,
    const gchar * location, const gchar * sidecar_location,
    const gchar * sidecar, guint64 size, guint index)
{
  return gst_structure_new (name,
      "recording-id", G_TYPE_STRING, self->recording_id,
      "connection-id", G_TYPE_STRING, self->connection_id,
      "location", G_TYPE_STRING, location,
      "sidecar-location", G_TYPE_STRING, sidecar_location,
      "sidecar", G_TYPE_STRING, sidecar,
      "size", G_TYPE_UINT64, size, "index", G_TYPE_UINT, index, NULL);
}

static gchar *
unique_destination (const gchar * archive_dir, const gchar * rel_stem,
    const gchar * ext)
{
  gchar *path = g_strdup_printf ("%s/%s.%s", archive_dir, rel_stem, ext);

  /* never overwrite an earlier recording's file */
  for (guint n = 1; g_file_test (path, G_FILE_TEST_EXISTS); n++) {
    g_free (path);
    path = g_strdup_printf ("%s/%s-dup%u.%s", archive_dir, rel_stem, n, ext);
  }
  return path;
}

static gboolean
move_file (const gchar * from, const gchar * to, GError ** error)
{
  GFile *src = g_file_new_for_path (from);
  GFile *dst = g_file_new_for_path (to);
  gchar *dir = g_path_get_dirname (to);
  gboolean ok;

  if (g_mkdir_with_parents (dir, 0755) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot create '%s': %s", dir, g_strerror (errno));
    ok = FALSE;
  } else {
    /* a rename, or a copy when tmp and archive are on different disks */
    ok = g_file_move (src, dst, G_FILE_COPY_NONE, NULL, NULL, NULL, error);
  }
  g_free (dir);
  g_object_unref (src);
  g_object_unref (dst);
  return ok;
}

static void
fill_archive_info (GstSplitMuxRec * self, Output * out, RrArchiveInfo * info)
{
  memset (info, 0, sizeof (*info));
  info->recording_id = self->recording_id;
  info->room_id = self->room_id;
  info->session_id = self->session_id;
  info->connection_id = self->connection_id;
  info->user_id = self->user_id;
  info->format = rr_format_name (self->format);
  info->recording_start_us = self->recording_start_us;
  info->audio = out->has_audio;
  info->video = out->has_video;
  info->audio_codec = rr_codec_name (out->audio_codec);
  info->video_codec = rr_codec_name (out->video_codec);
  info->metadata = self->metadata_node;
}

static void
post_file_message (GstSplitMuxRec * self, GstStructure * s)
{
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
}

static void
post_failed (GstSplitMuxRec * self, const gchar * tmp_path,
    const gchar * reason)
{
  GST_WARNING_OBJECT (self, "archive failed: %s (%s)", tmp_path, reason);
  post_file_message (self, gst_structure_new ("splitmuxrec-archive-failed",
          "recording-id", G_TYPE_STRING, self->recording_id,
          "connection-id", G_TYPE_STRING, self->connection_id,
          "tmp-location", G_TYPE_STRING, tmp_path,
          "reason", G_TYPE_STRING, reason, NULL));
}

static void
hls_update_playlist (GstSplitMuxRec * self, Output * out, FileRecord * f,
    const gchar * final_path, gboolean ended)
{
  gchar *stem = recording_stem (self, RR_FILE_PLAYLIST);
  gchar *path, *text, *seg_name;
  GString *s;
  GError *err = NULL;

  if (stem == NULL)
    return;
  path = g_strdup_printf ("%s/%s.m3u8", self->archive_dir, stem);

  if (f) {
    gdouble secs = (f->stop_rt - f->start_rt) / 1e9;
    gchar *pdt = rr_time_rfc3339 (f->start_us);
    gchar *dir = g_path_get_dirname (path);

    /* segment URIs relative to the playlist */
    if (g_str_has_prefix (final_path, dir) && final_path[strlen (dir)] == '/')
      seg_name = g_strdup (final_path + strlen (dir) + 1);
    else
      seg_name = g_strdup (final_path);
    g_string_append_printf (out->track->playlist,
        "#EXT-X-PROGRAM-DATE-TIME:%s\n#EXTINF:%.3f,\n%s\n", pdt, secs,
        seg_name);
    out->track->max_segment_seconds =
        MAX (out->track->max_segment_seconds, secs);
    g_free (seg_name);
    g_free (pdt);
    g_free (dir);
  }

  s = g_string_new ("#EXTM3U\n#EXT-X-VERSION:3\n");
  g_string_append_printf (s, "#EXT-X-TARGETDURATION:%u\n",
      (guint) (out->track->max_segment_seconds + 0.999));
  g_string_append (s, "#EXT-X-MEDIA-SEQUENCE:0\n");
  g_string_append_printf (s, "#EXT-X-PLAYLIST-TYPE:%s\n",
      ended ? "VOD" : "EVENT");
  /* TRTC's start tag: the recording's start in UNIX ms */
  g_string_append_printf (s, "#EXT-X-TRTC-START-REC-TIME:%" G_GINT64_FORMAT
      "\n", self->recording_start_us / 1000);
  g_string_append (s, out->track->playlist->str);
  if (ended)
    g_string_append (s, "#EXT-X-ENDLIST\n");
  text = g_string_free (s, FALSE);
  if (!rr_file_write_atomic (path, text, &err)) {
    GST_WARNING_OBJECT (self, "playlist: %s", err->message);
    g_clear_error (&err);
  }
  g_free (text);
  g_free (path);
  g_free (stem);
}

/* A sidecar that cannot be written is worth a warning, not the recording */
static void
write_sidecar (GstSplitMuxRec * self, const gchar * path, const gchar * json)
{
  GError *err = NULL;

  if (!rr_file_write_atomic (path, json, &err)) {
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
        (_("Cannot write the recording's metadata file: %s"), err->message),
        (NULL));
    g_clear_error (&err);
  }
}

static void
finish_file (GstSplitMuxRec * self, FileRecord * f)
{
  Output *out = f->output;
  RrArchiveInfo info;
  GError *err = NULL;
  gchar *final_path, *sidecar_path = NULL, *rel, *sidecar_rel = NULL;
  gchar *json = NULL, *final_stem;
  GStatBuf st;
  JsonNode *node;
  gboolean fixed;
  guint files_done;

  /* a clean stop: the crash-safe fragmented file becomes a normal MP4,
   * in place (a moov appended, the fragments' boxes made 'free': the cost
   * does not grow with the recording's length); if that fails it stays
   * fragmented, still valid */
  if (self->format == RR_FORMAT_MP4 && !rr_mp4_finalize (f->tmp_path, &err)) {
    GST_WARNING_OBJECT (self, "%s stays fragmented: %s", f->tmp_path,
        err->message);
    g_clear_error (&err);
  }
  if (self->format == RR_FORMAT_MP4 && out->audio_codec == RR_CODEC_OPUS
      && !rr_mp4_fix_opus_dops (f->tmp_path, &fixed, &err)) {
    GST_WARNING_OBJECT (self, "%s", err->message);
    g_clear_error (&err);
  }

  final_path = unique_destination (self->archive_dir, f->rel_stem, f->ext);
  if (!move_file (f->tmp_path, final_path, &err)) {
    post_failed (self, f->tmp_path, err->message);
    g_clear_error (&err);
    g_free (final_path);
    return;
  }
  final_stem = g_strndup (final_path, strlen (final_path) - strlen (f->ext)
      - 1);
  rel = g_strdup (final_path + strlen (self->archive_dir) + 1);
  if (g_stat (final_path, &st) != 0)
    st.st_size = 0;

  g_mutex_lock (&self->files_lock);
  out->track->files_done++;
  out->track->last_index = MAX (out->track->last_index, f->index);
  if (out->track->first_start_us == 0)
    out->track->first_start_us = f->start_us;
  out->track->last_stop_us = f->stop_us;
  files_done = out->track->files_done;
  g_mutex_unlock (&self->files_lock);

  if (out->kind == OUTPUT_HLS) {
    hls_update_playlist (self, out, f, final_path, FALSE);
    if (files_done == 1)
      post_file_message (self, file_message_fields (self,
              "splitmuxrec-hls-slice", final_path, NULL, NULL, st.st_size,
              f->index));
    goto done;
  }

  fill_archive_info (self, out, &info);
  info.file_path = final_path;
  info.filename = rel;
  sidecar_path = g_strdup_printf ("%s.json", final_stem);
  sidecar_rel = g_strdup (sidecar_path + strlen (self->archive_dir) + 1);
  info.metadata_file_path = sidecar_path;
  info.metadata_filename = sidecar_rel;
  info.size = st.st_size;
  info.start_us = f->start_us;
  info.stop_us = f->stop_us;
  if (GST_CLOCK_STIME_IS_VALID (f->start_rt)
      && GST_CLOCK_STIME_IS_VALID (f->stop_rt) && f->stop_rt > f->start_rt)
    info.duration_ns = f->stop_rt - f->start_rt;
  g_mutex_lock (&self->files_lock);
  info.video_width = f->width;
  info.video_height = f->height;
  if (f->events)
    info.events = json_node_init_array (json_node_alloc (), f->events);
  g_mutex_unlock (&self->files_lock);
  info.split_index = out->kind == OUTPUT_SPLIT ? f->index : 0;

  node = rr_sidecar_build (&info, out->kind == OUTPUT_SPLIT ?
      RR_SIDECAR_SPLIT_ARCHIVE : RR_SIDECAR_ARCHIVE);
  if (info.events)
    json_node_unref (info.events);
  json = rr_json_to_string (node, TRUE);
  json_node_unref (node);
  write_sidecar (self, sidecar_path, json);

  post_file_message (self, file_message_fields (self,
          out->kind == OUTPUT_SPLIT ? "splitmuxrec-split-archive-available" :
          "splitmuxrec-archive-available", final_path, sidecar_path, json,
          st.st_size, f->index));

done:
  g_free (json);
  g_free (sidecar_path);
  g_free (sidecar_rel);
  g_free (final_stem);
  g_free (rel);
  g_free (final_path);
}

/* After the last file: split-archive-end JSON, the HLS playlist's end and
 * its sidecar. */
static void
finish_output (GstSplitMuxRec * self, Output * out)
{
  RrArchiveInfo info;
  RrSidecarKind kind;
  gchar *stem, *json_path, *json_rel, *media_path = NULL, *media_rel = NULL;
  gchar *json;
  JsonNode *node;

  if (out == NULL || out->track->files_done == 0 || out->kind == OUTPUT_SINGLE)
    return;
  stem = recording_stem (self, out->kind == OUTPUT_SPLIT ?
      RR_FILE_SPLIT_END : RR_FILE_PLAYLIST);
  if (stem == NULL)
    return;

  json_path = g_strdup_printf ("%s/%s.json", self->archive_dir, stem);
  json_rel = g_strdup_printf ("%s.json", stem);
  fill_archive_info (self, out, &info);
  info.start_us = out->track->first_start_us;
  info.stop_us = out->track->last_stop_us;
  info.video_width = self->max_width;
  info.video_height = self->max_height;
  info.split_index = out->track->last_index;
  if (out->kind == OUTPUT_SPLIT) {
    /* split-archive-end-*.json describes itself */
    kind = RR_SIDECAR_SPLIT_END;
    info.file_path = json_path;
    info.filename = json_rel;
  } else {
    /* the playlist's sidecar */
    hls_update_playlist (self, out, NULL, NULL, TRUE);
    kind = RR_SIDECAR_ARCHIVE;
    media_path = g_strdup_printf ("%s/%s.m3u8", self->archive_dir, stem);
    media_rel = g_strdup_printf ("%s.m3u8", stem);
    info.file_path = media_path;
    info.filename = media_rel;
    info.metadata_file_path = json_path;
    info.metadata_filename = json_rel;
  }
  node = rr_sidecar_build (&info, kind);
  json = rr_json_to_string (node, TRUE);
  json_node_unref (node);
  write_sidecar (self, json_path, json);
  post_file_message (self, file_message_fields (self,
          out->kind == OUTPUT_SPLIT ? "splitmuxrec-split-archive-end" :
          "splitmuxrec-archive-available",
          media_path ? media_path : json_path, json_path, json, 0,
          out->track->last_index));

  g_free (json);
  g_free (media_path);
  g_free (media_rel);
  g_free (json_rel);
  g_free (json_path);
  g_free (stem);
}

static gpointer
worker_main (gpointer data)
{
  GstSplitMuxRec *self = data;

  for (;;) {
    Job *job = g_async_queue_pop (self->jobs);
    JobType type = job->type;

    switch (type) {
      case JOB_FINISH_FILE:
        finish_file (self, job->file);
        break;
      case JOB_FAILED_FILE:
        post_failed (self, job->file->tmp_path, job->reason);
        break;
      case JOB_FORWARD_EOS:
        if (job->output && job->output->retired) {
          /* replaced after a restart: its files are done, it goes */
          remove_element (self, job->output->sink);
          break;
        }
        finish_output (self, job->output);
        GST_BIN_CLASS (parent_class)->handle_message (GST_BIN (self),
            job->message);
        job->message = NULL;
        break;
      case JOB_DRAIN:
        g_mutex_lock (&self->lock);
        self->drained = TRUE;
        g_cond_broadcast (&self->cond);
        g_mutex_unlock (&self->lock);
        break;
      case JOB_QUIT:
        break;
    }
    job_free (job);
    if (type == JOB_QUIT)
      break;
  }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* messages from the splitmuxsinks                                     */

static Output *
output_of_sink (GstSplitMuxRec * self, GstObject * src)
{
  Output *found = NULL;

  g_mutex_lock (&self->files_lock);
  for (GList * l = self->outputs; l && !found; l = l->next)
    if (src == GST_OBJECT_CAST (((Output *) l->data)->sink))
      found = l->data;
  for (GList * l = self->retired; l && !found; l = l->next)
    if (src == GST_OBJECT_CAST (((Output *) l->data)->sink))
      found = l->data;
  g_mutex_unlock (&self->files_lock);
  return found;
}

static void
gst_split_mux_rec_handle_message (GstBin * bin, GstMessage * message)
{
  GstSplitMuxRec *self = GST_SPLIT_MUX_REC (bin);

  switch (GST_MESSAGE_TYPE (message)) {
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (message);
      const gchar *location;
      GstClockTime rt = GST_CLOCK_TIME_NONE;
      FileRecord *f;
      Output *out = output_of_sink (self, GST_MESSAGE_SRC (message));

      if (out == NULL || s == NULL)
        break;
      location = gst_structure_get_string (s, "location");
      gst_structure_get_clock_time (s, "running-time", &rt);
      if (location == NULL)
        break;

      if (gst_structure_has_name (s, "splitmuxsink-fragment-opened")) {
        gchar *final_rel;

        g_mutex_lock (&self->files_lock);
        f = g_hash_table_lookup (self->files, location);
        if (f && GST_CLOCK_TIME_IS_VALID (rt)) {
          f->start_rt = rt;
          f->start_us = running_time_to_unix_us (self, rt);
        }
        g_mutex_unlock (&self->files_lock);
        if (f == NULL)
          break;
        final_rel = g_strdup_printf ("%s/%s.%s", self->archive_dir,
            f->rel_stem, f->ext);
        post_file_message (self, gst_structure_new
            ("splitmuxrec-archive-started",
                "recording-id", G_TYPE_STRING, self->recording_id,
                "connection-id", G_TYPE_STRING, self->connection_id,
                "kind", G_TYPE_STRING, out->kind == OUTPUT_SPLIT ? "split" :
                out->kind == OUTPUT_HLS ? "hls-segment" : "archive",
                "location", G_TYPE_STRING, final_rel,
                "tmp-location", G_TYPE_STRING, f->tmp_path,
                "index", G_TYPE_UINT, f->index, NULL));
        g_free (final_rel);
      } else if (gst_structure_has_name (s, "splitmuxsink-fragment-closed")) {
        g_mutex_lock (&self->files_lock);
        f = g_hash_table_lookup (self->files, location);
        if (f) {
          f->closed = TRUE;
          f->stop_rt = GST_CLOCK_TIME_IS_VALID (rt) ? (GstClockTimeDiff) rt :
              GST_CLOCK_STIME_NONE;
          f->stop_us = running_time_to_unix_us (self, f->stop_rt);
          if (out->current == f)
            out->current = NULL;
          file_record_ref (f);
          g_hash_table_remove (self->files, location);
        }
        g_mutex_unlock (&self->files_lock);
        if (f) {
          if (!f->failed)
            push_job (self, JOB_FINISH_FILE, f, NULL, NULL);
          file_record_unref (f);
        }
      }
      break;
    }
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *dbg = NULL;
      GHashTableIter iter;
      gpointer value;
      GString *paths = g_string_new (NULL);
      GPtrArray *failed = g_ptr_array_new_with_free_func (g_free);

      /* a write error (disk full, removed dir): the open files stay in the
       * temp dir, playable up to the last fragment */
      gst_message_parse_error (message, &err, &dbg);
      g_mutex_lock (&self->files_lock);
      g_hash_table_iter_init (&iter, self->files);
      while (g_hash_table_iter_next (&iter, NULL, &value)) {
        FileRecord *f = value;
        if (!f->failed) {
          f->failed = TRUE;
          g_ptr_array_add (failed, g_strdup (f->tmp_path));
          g_string_append_printf (paths, "%s%s", paths->len ? ", " : "",
              f->tmp_path);
        }
      }
      g_mutex_unlock (&self->files_lock);
      /* before the error, so that an application stopping on the error
       * has seen them */
      for (guint i = 0; i < failed->len; i++)
        post_failed (self, g_ptr_array_index (failed, i), err->message);
      g_ptr_array_unref (failed);
      if (paths->len && err->domain == GST_RESOURCE_ERROR) {
        gchar *reason = g_strdup (err->message);

        /* "No space left on the resource." → without the final dot */
        g_strchomp (reason);
        if (g_str_has_suffix (reason, "."))
          reason[strlen (reason) - 1] = '\0';
        GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
            (_("Recording failed while writing %s (%s). The partial file "
                    "is kept there and plays up to the failure."),
                paths->str, reason), ("%s", dbg ? dbg : ""));
        g_free (reason);
        g_string_free (paths, TRUE);
        g_clear_error (&err);
        g_free (dbg);
        gst_message_unref (message);
        return;
      }
      g_string_free (paths, TRUE);
      g_clear_error (&err);
      g_free (dbg);
      break;
    }
    case GST_MESSAGE_EOS:
      /* hold EOS until every file before it is in place */
      if (self->jobs) {
        Job *job = g_new0 (Job, 1);

        job->type = JOB_FORWARD_EOS;
        job->output = output_of_sink (self, GST_MESSAGE_SRC (message));
        job->message = message;
        g_async_queue_push (self->jobs, job);
        return;
      }
      break;
    default:
      break;
  }
  GST_BIN_CLASS (parent_class)->handle_message (bin, message);
}

/* ------------------------------------------------------------------ */
/* state                                                               */

static gboolean
check_settings (GstSplitMuxRec * self)
{
  GError *err = NULL;
  RrFileKind fkind;

  if (self->format == RR_FORMAT_HLS && self->split_duration > 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        (_("HLS recordings are already segmented: use "
                "hls-target-duration instead of split-duration.")), (NULL));
    return FALSE;
  }
  if (self->split_only && self->split_duration == 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        (_("split-only needs a split-duration.")), (NULL));
    return FALSE;
  }
  for (OutputKind k = OUTPUT_SINGLE; k <= OUTPUT_SPLIT; k++) {
    if (!rr_naming_template_validate (output_template (self, k, &fkind), &err)) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", err->message),
          (NULL));
      g_clear_error (&err);
      return FALSE;
    }
  }
  if (self->metadata && *self->metadata) {
    JsonParser *parser = json_parser_new ();
    if (!json_parser_load_from_data (parser, self->metadata, -1, &err)) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          (_("The metadata property is not valid JSON: %s"), err->message),
          (NULL));
      g_clear_error (&err);
      g_object_unref (parser);
      return FALSE;
    }
    self->metadata_node = json_node_copy (json_parser_get_root (parser));
    g_object_unref (parser);
  }
  return TRUE;
}

static gboolean
prepare_dir (GstSplitMuxRec * self, const gchar * what, const gchar * dir)
{
  if (g_mkdir_with_parents (dir, 0755) != 0 || access (dir, W_OK) != 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        (_("Cannot write to %s directory '%s': %s"), what, dir,
            g_strerror (errno)), (NULL));
    return FALSE;
  }
  return TRUE;
}

static gboolean
start_resources (GstSplitMuxRec * self)
{
  gboolean ok;

  GST_OBJECT_LOCK (self);
  if (self->recording_id == NULL)
    self->recording_id = rr_id_generate ();
  if (self->connection_id == NULL)
    self->connection_id = rr_id_generate ();
  /* sidecars carry absolute paths */
  {
    gchar *abs = g_canonicalize_filename (self->archive_dir, NULL);
    g_free (self->archive_dir);
    self->archive_dir = abs;
  }
  if (self->tmp_dir == NULL)
    self->tmp_dir = g_build_filename (self->archive_dir, ".roomrec-tmp", NULL);
  else {
    gchar *abs = g_canonicalize_filename (self->tmp_dir, NULL);
    g_free (self->tmp_dir);
    self->tmp_dir = abs;
  }
  if (self->recording_start_us == 0)
    self->recording_start_us = g_get_real_time ();
  GST_OBJECT_UNLOCK (self);

  g_clear_pointer (&self->metadata_node, json_node_unref);
  ok = check_settings (self)
      && prepare_dir (self, _("archive"), self->archive_dir)
      && prepare_dir (self, _("temporary"), self->tmp_dir);
  if (!ok)
    return FALSE;

  self->jobs = g_async_queue_new_full ((GDestroyNotify) job_free);
  self->worker = g_thread_new ("splitmuxrec-finish", worker_main, self);
  return TRUE;
}

/* Waits until every job queued so far is done (files moved, sidecars
 * written): before the outputs they point to are freed.  Application
 * thread only. */
static void
drain_worker (GstSplitMuxRec * self)
{
  if (self->worker == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->drained = FALSE;
  g_mutex_unlock (&self->lock);
  push_job (self, JOB_DRAIN, NULL, NULL, NULL);
  g_mutex_lock (&self->lock);
  while (!self->drained)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
}

static void
stop_worker (GstSplitMuxRec * self)
{
  if (self->worker == NULL)
    return;
  push_job (self, JOB_QUIT, NULL, NULL, NULL);
  g_thread_join (self->worker);
  self->worker = NULL;
  g_async_queue_unref (self->jobs);
  self->jobs = NULL;
}

/* Files still open when the element stops without EOS stay where they
 * are, in the temp dir, and are reported. */
static void
report_open_files (GstSplitMuxRec * self)
{
  GHashTableIter iter;
  gpointer value;

  g_mutex_lock (&self->files_lock);
  g_hash_table_iter_init (&iter, self->files);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    FileRecord *f = value;
    if (!f->failed && self->jobs)
      push_job (self, JOB_FAILED_FILE, f, NULL,
          "recording stopped without end-of-stream; the file is kept in "
          "the temp dir");
  }
  g_hash_table_remove_all (self->files);
  g_mutex_unlock (&self->files_lock);
}

static void
output_free (Output * out)
{
  if (out->pending_events)
    json_array_unref (out->pending_events);
  g_free (out);
}

static void
reset_recording (GstSplitMuxRec * self)
{
  GList *l, *children;

  g_mutex_lock (&self->lock);
  /* every internal element: chains, queues, splitmuxsinks */
  GST_OBJECT_LOCK (self);
  children = g_list_copy (GST_BIN_CHILDREN (self));
  for (l = children; l; l = l->next)
    gst_object_ref (l->data);
  GST_OBJECT_UNLOCK (self);
  for (l = children; l; l = l->next)
    remove_element (self, l->data);
  g_list_free_full (children, gst_object_unref);

  for (l = self->inputs; l; l = l->next) {
    Input *in = l->data;
    g_list_free (in->elements);
    in->elements = NULL;
    in->tee = NULL;
    g_list_free_full (in->branches, (GDestroyNotify) branch_free);
    in->branches = NULL;
    in->linked = FALSE;
    in->late = FALSE;
    in->eos = FALSE;
    in->readded = FALSE;
    in->switch_pending = FALSE;
    gst_event_replace (&in->pending_caps, NULL);
    gst_caps_replace (&in->caps, NULL);
    input_reset_stream_state (in);
  }
  g_mutex_lock (&self->files_lock);
  g_list_free_full (self->outputs, (GDestroyNotify) output_free);
  self->outputs = NULL;
  g_list_free_full (self->retired, (GDestroyNotify) output_free);
  self->retired = NULL;
  g_list_free_full (self->tracks, (GDestroyNotify) track_free);
  self->tracks = NULL;
  g_mutex_unlock (&self->files_lock);
  self->restart_pending = FALSE;
  self->video_input = self->audio_input = NULL;
  self->started = FALSE;
  self->reference = NULL;
  self->first_data_monotonic = 0;
  self->wallclock_base_us = 0;
  g_mutex_unlock (&self->lock);
}

static GstStateChangeReturn
gst_split_mux_rec_change_state (GstElement * element, GstStateChange transition)
{
  GstSplitMuxRec *self = GST_SPLIT_MUX_REC (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!start_resources (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      g_mutex_lock (&self->lock);
      self->flushing = FALSE;
      g_mutex_unlock (&self->lock);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* wake input threads waiting for the other tracks */
      g_mutex_lock (&self->lock);
      self->flushing = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      drain_worker (self);
      report_open_files (self);
      drain_worker (self);
      reset_recording (self);
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      stop_worker (self);
      break;
    default:
      break;
  }
  return ret;
}

/* ------------------------------------------------------------------ */
/* properties                                                          */

static void
gst_split_mux_rec_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSplitMuxRec *self = GST_SPLIT_MUX_REC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_ARCHIVE_DIR:
      g_free (self->archive_dir);
      self->archive_dir = g_value_dup_string (value);
      if (self->archive_dir == NULL)
        self->archive_dir = g_strdup (DEFAULT_ARCHIVE_DIR);
      break;
    case PROP_TMP_DIR:
      g_free (self->tmp_dir);
      self->tmp_dir = g_value_dup_string (value);
      break;
    case PROP_RECORDING_ID:
      g_free (self->recording_id);
      self->recording_id = g_value_dup_string (value);
      break;
    case PROP_ROOM_ID:
      g_free (self->room_id);
      self->room_id = g_value_dup_string (value);
      break;
    case PROP_CONNECTION_ID:
      g_free (self->connection_id);
      self->connection_id = g_value_dup_string (value);
      break;
    case PROP_USER_ID:
      g_free (self->user_id);
      self->user_id = g_value_dup_string (value);
      break;
    case PROP_SESSION_ID:
      g_free (self->session_id);
      self->session_id = g_value_dup_string (value);
      break;
    case PROP_APP_ID:
      g_free (self->app_id);
      self->app_id = g_value_dup_string (value);
      break;
    case PROP_MEDIA:
      g_free (self->media);
      self->media = g_value_dup_string (value);
      break;
    case PROP_FORMAT:
      self->format = g_value_get_enum (value);
      break;
    case PROP_SPLIT_DURATION:
      self->split_duration = g_value_get_uint64 (value);
      break;
    case PROP_SPLIT_ONLY:
      self->split_only = g_value_get_boolean (value);
      break;
    case PROP_MAX_SIZE_BYTES:
      self->max_size_bytes = g_value_get_uint64 (value);
      break;
    case PROP_MAX_DURATION:
      self->max_duration = g_value_get_uint64 (value);
      break;
    case PROP_MAX_PAUSE:
      self->max_pause = g_value_get_uint64 (value);
      break;
    case PROP_PLI_INTERVAL:
      self->pli_interval = g_value_get_uint64 (value);
      break;
    case PROP_HLS_TARGET_DURATION:
      self->hls_target_duration = g_value_get_uint64 (value);
      break;
    case PROP_TRACK_WAIT:
      self->track_wait = g_value_get_uint64 (value);
      break;
    case PROP_NAMING:
      self->naming = g_value_get_enum (value);
      break;
    case PROP_NAMING_TEMPLATE:
      g_free (self->naming_template);
      self->naming_template = g_value_dup_string (value);
      break;
    case PROP_SPLIT_NAMING_TEMPLATE:
      g_free (self->split_naming_template);
      self->split_naming_template = g_value_dup_string (value);
      break;
    case PROP_METADATA:
      g_free (self->metadata);
      self->metadata = g_value_dup_string (value);
      break;
    case PROP_RECORDING_START_TIME:
      self->recording_start_us = g_value_get_int64 (value);
      break;
    case PROP_HA:
      self->ha = g_value_get_uint (value);
      break;
    case PROP_INPUT_QUEUES:
      self->input_queues = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_split_mux_rec_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstSplitMuxRec *self = GST_SPLIT_MUX_REC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_ARCHIVE_DIR:
      g_value_set_string (value, self->archive_dir);
      break;
    case PROP_TMP_DIR:
      g_value_set_string (value, self->tmp_dir);
      break;
    case PROP_RECORDING_ID:
      g_value_set_string (value, self->recording_id);
      break;
    case PROP_ROOM_ID:
      g_value_set_string (value, self->room_id);
      break;
    case PROP_CONNECTION_ID:
      g_value_set_string (value, self->connection_id);
      break;
    case PROP_USER_ID:
      g_value_set_string (value, self->user_id);
      break;
    case PROP_SESSION_ID:
      g_value_set_string (value, self->session_id);
      break;
    case PROP_APP_ID:
      g_value_set_string (value, self->app_id);
      break;
    case PROP_MEDIA:
      g_value_set_string (value, self->media);
      break;
    case PROP_FORMAT:
      g_value_set_enum (value, self->format);
      break;
    case PROP_SPLIT_DURATION:
      g_value_set_uint64 (value, self->split_duration);
      break;
    case PROP_SPLIT_ONLY:
      g_value_set_boolean (value, self->split_only);
      break;
    case PROP_MAX_SIZE_BYTES:
      g_value_set_uint64 (value, self->max_size_bytes);
      break;
    case PROP_MAX_DURATION:
      g_value_set_uint64 (value, self->max_duration);
      break;
    case PROP_MAX_PAUSE:
      g_value_set_uint64 (value, self->max_pause);
      break;
    case PROP_PLI_INTERVAL:
      g_value_set_uint64 (value, self->pli_interval);
      break;
    case PROP_HLS_TARGET_DURATION:
      g_value_set_uint64 (value, self->hls_target_duration);
      break;
    case PROP_TRACK_WAIT:
      g_value_set_uint64 (value, self->track_wait);
      break;
    case PROP_NAMING:
      g_value_set_enum (value, self->naming);
      break;
    case PROP_NAMING_TEMPLATE:
      g_value_set_string (value, self->naming_template);
      break;
    case PROP_SPLIT_NAMING_TEMPLATE:
      g_value_set_string (value, self->split_naming_template);
      break;
    case PROP_METADATA:
      g_value_set_string (value, self->metadata);
      break;
    case PROP_RECORDING_START_TIME:
      g_value_set_int64 (value, self->recording_start_us);
      break;
    case PROP_HA:
      g_value_set_uint (value, self->ha);
      break;
    case PROP_INPUT_QUEUES:
      g_value_set_boolean (value, self->input_queues);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_split_mux_rec_finalize (GObject * object)
{
  GstSplitMuxRec *self = GST_SPLIT_MUX_REC (object);

  stop_worker (self);
  g_list_free_full (self->inputs, (GDestroyNotify) input_free);
  g_list_free_full (self->outputs, (GDestroyNotify) output_free);
  g_list_free_full (self->retired, (GDestroyNotify) output_free);
  g_list_free_full (self->tracks, (GDestroyNotify) track_free);
  g_hash_table_unref (self->files);
  json_array_unref (self->pending_events);
  g_clear_pointer (&self->metadata_node, json_node_unref);
  g_free (self->archive_dir);
  g_free (self->tmp_dir);
  g_free (self->recording_id);
  g_free (self->room_id);
  g_free (self->connection_id);
  g_free (self->user_id);
  g_free (self->session_id);
  g_free (self->app_id);
  g_free (self->media);
  g_free (self->naming_template);
  g_free (self->split_naming_template);
  g_free (self->metadata);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->files_lock);
  g_mutex_clear (&self->bytes_lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

#define PARAM_FLAGS (G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY | \
    G_PARAM_STATIC_STRINGS)

static void
install_string (GObjectClass * klass, guint id, const gchar * name,
    const gchar * nick, const gchar * blurb, const gchar * def)
{
  g_object_class_install_property (klass, id,
      g_param_spec_string (name, nick, blurb, def, PARAM_FLAGS));
}

static void
install_time (GObjectClass * klass, guint id, const gchar * name,
    const gchar * nick, const gchar * blurb, guint64 min, guint64 max,
    guint64 def)
{
  g_object_class_install_property (klass, id,
      g_param_spec_uint64 (name, nick, blurb, min, max, def, PARAM_FLAGS));
}

static void
gst_split_mux_rec_class_init (GstSplitMuxRecClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);

  gobject_class->set_property = gst_split_mux_rec_set_property;
  gobject_class->get_property = gst_split_mux_rec_get_property;
  gobject_class->finalize = gst_split_mux_rec_finalize;

  install_string (gobject_class, PROP_ARCHIVE_DIR, "archive-dir",
      "Archive directory", "Directory that receives completed files",
      DEFAULT_ARCHIVE_DIR);
  install_string (gobject_class, PROP_TMP_DIR, "tmp-dir",
      "Temporary directory", "Directory for files being written; a failed "
      "file stays here (default: <archive-dir>/.roomrec-tmp)", NULL);
  install_string (gobject_class, PROP_RECORDING_ID, "recording-id",
      "Recording id", "Id of the recording (default: a generated base32 id)",
      NULL);
  install_string (gobject_class, PROP_ROOM_ID, "room-id", "Room id",
      "Room (channel) the participant is in", NULL);
  install_string (gobject_class, PROP_CONNECTION_ID, "connection-id",
      "Connection id", "Participant connection id (default: generated)", NULL);
  install_string (gobject_class, PROP_USER_ID, "user-id", "User id",
      "Participant user id", NULL);
  install_string (gobject_class, PROP_SESSION_ID, "session-id",
      "Session id", "Session id written to the sidecar", NULL);
  install_string (gobject_class, PROP_APP_ID, "app-id", "App id",
      "Application id used by the trtc and sparkrtc naming", NULL);
  install_string (gobject_class, PROP_MEDIA, "media", "Media id",
      "Stream of the participant: main (camera) or aux (screen)", "main");

  g_object_class_install_property (gobject_class, PROP_FORMAT,
      g_param_spec_enum ("format", "Format", "Container of the files",
          GST_TYPE_SPLIT_MUX_REC_FORMAT, DEFAULT_FORMAT, PARAM_FLAGS));
  install_time (gobject_class, PROP_SPLIT_DURATION, "split-duration",
      "Split duration", "Also write split files of this duration, cut at "
      "the first key frame after it (ns, 0 = no split files)", 0,
      G_MAXUINT64, DEFAULT_SPLIT_DURATION);
  g_object_class_install_property (gobject_class, PROP_SPLIT_ONLY,
      g_param_spec_boolean ("split-only", "Split only",
          "Write only split files, no whole-recording file",
          DEFAULT_SPLIT_ONLY, PARAM_FLAGS));
  install_time (gobject_class, PROP_MAX_SIZE_BYTES, "max-size-bytes",
      "Max file size", "Start a new file (shard) beyond this size in bytes "
      "(0 = no limit)", 0, G_MAXUINT64, DEFAULT_MAX_SIZE_BYTES);
  install_time (gobject_class, PROP_MAX_DURATION, "max-duration",
      "Max file duration", "Start a new file (shard) after this duration "
      "(ns, 0 = no limit)", 0, G_MAXUINT64, DEFAULT_MAX_DURATION);
  install_time (gobject_class, PROP_MAX_PAUSE, "max-pause",
      "Max pause", "A pause of the media longer than this starts a new "
      "file; a shorter one continues the file (ns, 0 = never)", 0,
      G_MAXUINT64, DEFAULT_MAX_PAUSE);
  install_time (gobject_class, PROP_PLI_INTERVAL, "pli-interval",
      "Key frame request interval", "Ask the sender for a key frame when "
      "none came for this long (ns, 1 s to 240 s)", MIN_PLI_INTERVAL,
      MAX_PLI_INTERVAL, DEFAULT_PLI_INTERVAL);
  install_time (gobject_class, PROP_HLS_TARGET_DURATION,
      "hls-target-duration", "HLS segment duration",
      "Target duration of HLS segments (ns)", GST_SECOND, 60 * GST_SECOND,
      DEFAULT_HLS_TARGET_DURATION);
  install_time (gobject_class, PROP_TRACK_WAIT, "track-wait",
      "Track wait", "How long the first track waits for the other requested "
      "tracks before the files start without them (ns)", 0, 30 * GST_SECOND,
      DEFAULT_TRACK_WAIT);
  g_object_class_install_property (gobject_class, PROP_NAMING,
      g_param_spec_enum ("naming", "Naming preset",
          "File naming convention", GST_TYPE_SPLIT_MUX_REC_NAMING,
          DEFAULT_NAMING, PARAM_FLAGS));
  install_string (gobject_class, PROP_NAMING_TEMPLATE, "naming-template",
      "Naming template", "Relative path of the whole-recording file without "
      "extension, with variables such as {recording_id} {connection_id} "
      "{shard} (overrides the preset)", NULL);
  install_string (gobject_class, PROP_SPLIT_NAMING_TEMPLATE,
      "split-naming-template", "Split naming template",
      "Relative path of split files without extension; must use {index} "
      "(overrides the preset)", NULL);
  install_string (gobject_class, PROP_METADATA, "metadata", "Metadata",
      "JSON value copied into every sidecar as event_metadata", NULL);
  g_object_class_install_property (gobject_class, PROP_RECORDING_START_TIME,
      g_param_spec_int64 ("recording-start-time", "Recording start time",
          "UNIX time in µs the recording started; offsets in the sidecars "
          "count from it (0 = when the element starts)", 0, G_MAXINT64, 0,
          PARAM_FLAGS));
  g_object_class_install_property (gobject_class, PROP_HA,
      g_param_spec_uint ("ha", "Failover count",
          "Times this recording was restarted or taken over by another "
          "recorder (file names of every preset get the ha<n>_ prefix, so "
          "nothing is overwritten)", 0, 3, DEFAULT_HA, PARAM_FLAGS));

  g_object_class_install_property (gobject_class, PROP_INPUT_QUEUES,
      g_param_spec_boolean ("input-queues", "Input queues",
          "A queue (a thread) per input in front of the muxer. Switch off "
          "only when every input has its own streaming thread (one thread "
          "feeding two inputs would block); dual output always has them",
          TRUE, PARAM_FLAGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Split-muxing archive recorder", "Generic/Bin/Muxer/Sink",
      "Records encoded audio/video into crash-safe archive files, whole "
      "and/or split, with JSON sidecars, without transcoding",
      "roomrec contributors");

  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_split_mux_rec_request_new_pad);
  element_class->release_pad =
      GST_DEBUG_FUNCPTR (gst_split_mux_rec_release_pad);
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_split_mux_rec_change_state);
  bin_class->handle_message =
      GST_DEBUG_FUNCPTR (gst_split_mux_rec_handle_message);

  {
    static const gchar *no_tags[] = { NULL };

    gst_meta_register_custom (HIDDEN_DELTA_META, no_tags, NULL, NULL, NULL);
  }
  gst_type_mark_as_plugin_api (GST_TYPE_SPLIT_MUX_REC_FORMAT, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_SPLIT_MUX_REC_NAMING, 0);
}

static void
gst_split_mux_rec_init (GstSplitMuxRec * self)
{
  self->archive_dir = g_strdup (DEFAULT_ARCHIVE_DIR);
  self->media = g_strdup ("main");
  self->format = DEFAULT_FORMAT;
  self->split_duration = DEFAULT_SPLIT_DURATION;
  self->split_only = DEFAULT_SPLIT_ONLY;
  self->max_size_bytes = DEFAULT_MAX_SIZE_BYTES;
  self->max_duration = DEFAULT_MAX_DURATION;
  self->max_pause = DEFAULT_MAX_PAUSE;
  self->pli_interval = DEFAULT_PLI_INTERVAL;
  self->hls_target_duration = DEFAULT_HLS_TARGET_DURATION;
  self->track_wait = DEFAULT_TRACK_WAIT;
  self->naming = DEFAULT_NAMING;
  self->ha = DEFAULT_HA;
  self->input_queues = TRUE;
  g_mutex_init (&self->lock);
  g_mutex_init (&self->files_lock);
  g_mutex_init (&self->bytes_lock);
  g_cond_init (&self->cond);
  self->files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) file_record_unref);
  self->pending_events = json_array_new ();
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}
