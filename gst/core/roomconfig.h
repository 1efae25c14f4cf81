/* roomrec — the room config file of `roomrec run room.json`
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Parsed and checked completely before anything starts: every error names
 * the JSON path of the offending key ("$.inputs[1].listen").  The schema
 * is documented in docs/config.md.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "codecs.h"
#include "layout.h"
#include "naming.h"

G_BEGIN_DECLS

#define RR_CONFIG_ERROR (rr_config_error_quark ())
GQuark rr_config_error_quark (void);

typedef enum
{
  RR_CONFIG_ERROR_SYNTAX,       /* not JSON, or not an object at the top */
  RR_CONFIG_ERROR_UNKNOWN_KEY,
  RR_CONFIG_ERROR_TYPE,
  RR_CONFIG_ERROR_RANGE,
  RR_CONFIG_ERROR_MISSING,
  RR_CONFIG_ERROR_COMBINATION,  /* each value fine, together impossible */
} RrConfigError;

typedef enum
{
  RR_INPUT_WHIP,
  RR_INPUT_WHEP,
  RR_INPUT_RTP,
} RrInputType;

/* A participant known in advance (Sora sets these per token). */
typedef struct
{
  gchar *user_id;
  gchar *token;                 /* Bearer token of this participant, or NULL */
  gboolean recording_block;     /* received, never recorded */
} RrParticipantConfig;

typedef struct
{
  RrInputType type;
  gchar *path;                  /* "$.inputs[N]", for messages */

  /* whip: the endpoint this launcher serves */
  gchar *listen_address;        /* default "127.0.0.1" */
  guint listen_port;            /* default 8080; 0 = any free port */
  gchar *url_path;              /* default "/whip"; sessions live under it */
  gchar *token;                 /* Bearer token of the room, or NULL (none) */
  gchar **ice_servers;          /* "stun:…"/"turn:…" URLs for Link headers */
  guint max_sessions;           /* default 25 (TRTC: 25 streams per task) */
  gsize max_body_bytes;         /* default 64 KiB */
  gchar *allow_origin;          /* CORS Access-Control-Allow-Origin, "*" */

  /* whep: a WHEP server to pull from */
  gchar *url;
  /* token: as above (sent as Bearer) */
  gchar *user_id;               /* whep and rtp: the participant's user id */
  guint retry_initial_ms;       /* default 1000 */
  guint retry_max_ms;           /* default 30000 */
  guint retry_limit;            /* 0 = forever (until the room stops) */

  /* rtp: plain RTP described by SDP */
  gchar *sdp_file;              /* path, or … */
  gchar *sdp;                   /* … the SDP text itself (exactly one) */
} RrInputConfig;

/* What the room records: each participant's own archive (single), one
 * composite of everybody (mixed), or both in one run. */
typedef enum
{
  RR_ROOM_MODE_SINGLE,
  RR_ROOM_MODE_MIXED,
  RR_ROOM_MODE_BOTH,
} RrRoomMode;

/* Files of the composite (TRTC OutputFormat). */
typedef enum
{
  RR_MIX_OUTPUT_HLS = 1 << 0,
  RR_MIX_OUTPUT_MP4 = 1 << 1,
  RR_MIX_OUTPUT_WEBM = 1 << 2,
} RrMixOutputs;

/* The "mix" object: canvas, encoding and layout of the composite. */
typedef struct
{
  guint outputs;                /* RrMixOutputs, default HLS */
  RrCodec video_codec;          /* H264 (default), VP8 or VP9 */
  RrCodec audio_codec;          /* AAC (HLS, MP4) or OPUS (WebM only) */
  gint width, height;           /* default 1280x720, even */
  gint fps;                     /* default 30 */
  guint bitrate_kbps;           /* default 2500 */
  guint gop_s;                  /* a key frame every, default 2 s */
  guint audio_bitrate_kbps;     /* default 64 */
  RrLayoutMode layout;          /* default grid */
  gchar *main_participant;      /* user id, or NULL */
  gchar *regions_json;          /* custom: the checked region array */
  guint32 background;           /* ARGB, default opaque black */
  gchar *background_image;      /* file, or NULL */
  gchar *placeholder_image;     /* file, or NULL: audio-only tiles */
  gchar *watermarks_json;       /* the checked watermark array, or NULL */
} RrMixConfig;

/* The "storage" object: every finished file uploaded to an S3-compatible
 * bucket (tools/s3upload.c). */
typedef struct
{
  gboolean enabled;             /* the key is there */
  gchar *endpoint;              /* NULL: AWS of region */
  gchar *region;                /* default "us-east-1" */
  gchar *bucket;                /* required */
  gchar *prefix;                /* NULL: none */
  gchar *addressing;            /* "auto" (default), "path", "virtual-host" */
  gchar *access_key;            /* NULL (with secret_key): environment */
  gchar *secret_key;
  gchar *session_token;
  guint64 part_size;            /* 0: the uploader's default (8 MiB) */
  gboolean delete_after_upload; /* default TRUE */
  guint64 retention_s;          /* keep local copies this long, then delete
                                 * (with delete_after_upload false); 0 */
  gchar *evacuation_dir;        /* default <archive_dir>/.roomrec-evacuated */
  gchar *state_dir;             /* default <archive_dir>/.roomrec-uploads */
} RrStorageConfig;

/* The "webhooks" object: events POSTed by a webhooknotify around the
 * room (docs/webhooks.md). */
typedef struct
{
  gchar **urls;                 /* NULL: no webhooks */
  gchar *secret;                /* HMAC key, or NULL (no signature) */
  gchar *spool_dir;             /* default <archive_dir>/.roomrec-webhooks */
  guint64 retry_max_s;          /* 0: the element's default */
} RrWebhooksConfig;

typedef struct
{
  gchar *room_id;               /* required */
  gchar *recording_id;          /* generated (base32) when absent */
  gchar *app_id;
  gchar *archive_dir;           /* default "." */
  gchar *tmp_dir;               /* NULL = <archive_dir>/.roomrec-tmp */

  RrNamingPreset naming;        /* "sora" (default), "trtc", "sparkrtc" */
  gchar *naming_template;
  gchar *split_naming_template;

  RrFormat format;              /* default mp4 */
  RrCodec *video_codecs;        /* offered to WebRTC senders, in order of */
  guint n_video_codecs;         /*   preference; default: what the format */
  RrCodec *audio_codecs;        /*   takes (rr_format_accepts) */
  guint n_audio_codecs;

  guint64 split_duration_ns;    /* 0 = no split files */
  gboolean split_only;
  guint64 max_size_bytes;       /* default 2e9 */
  guint64 max_duration_ns;      /* default 24 h */
  guint64 max_pause_ns;         /* default 30 s */
  guint64 hls_target_duration_ns;       /* default 6 s */
  guint64 pli_interval_ns;      /* default 20 s, 1–240 s */
  guint latency_ms;             /* WebRTC/RTP jitter buffer, default 200 */
  guint failover;               /* restarts of this recording so far (0–3):
                                 * file names get the ha<N>_ prefix */

  guint64 expire_time_ns;       /* 0 = never; the room stops after it */
  guint64 max_idle_time_ns;     /* default 0 = never; no publisher → stop */
  gboolean stop_when_empty;     /* last participant gone → stop */
  guint64 media_timeout_ns;     /* a WebRTC participant silent this long is
                                 * gone (default 20 s) */

  gchar **subscribe_allow;      /* NULL = everybody; user ids */
  gchar **subscribe_block;      /* user ids never recorded */
  RrParticipantConfig *participants;
  guint n_participants;

  gchar *metadata_json;         /* any JSON value, copied to every sidecar */

  RrInputConfig *inputs;
  guint n_inputs;

  RrRoomMode mode;              /* default single */
  RrMixConfig mix;              /* mixed, both */
  RrStorageConfig storage;
  RrWebhooksConfig webhooks;

  /* WebM recordings made by clients, PUT/POST to the WHIP server at
   * <path>/recordings/<name>.webm */
  gboolean client_uploads;      /* default FALSE */
  guint64 max_client_upload_bytes;      /* default 2 GiB */
} RrRoomConfig;

const gchar *rr_mix_output_name (guint outputs);    /* "hls+mp4", … */

/* Parse and check a whole config; NULL + @error (RR_CONFIG_ERROR, with
 * the JSON path in the message) on the first problem. */
RrRoomConfig *rr_room_config_load_data (const gchar * data, gssize length,
    GError ** error);
RrRoomConfig *rr_room_config_load_file (const gchar * filename,
    GError ** error);
void rr_room_config_free (RrRoomConfig * config);

/* Whether the subscribe lists and participants' recording_block let
 * @user_id (may be NULL: anonymous) be recorded. */
gboolean rr_room_config_may_record (const RrRoomConfig * config,
    const gchar * user_id);

/* The participant whose token is @token (constant-time comparison), or
 * NULL. */
const RrParticipantConfig *rr_room_config_participant_for_token (const
    RrRoomConfig * config, const gchar * token);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RrRoomConfig, rr_room_config_free);

G_END_DECLS
