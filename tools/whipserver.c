/* roomrec — the WHIP endpoint of a room (RFC 9725), on libsoup 3
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * HTTP only: what a request means is decided by gst/core/whip.c, the
 * session itself is a participant of the room (tools/room.c).
 *
 *   POST   <path>        SDP offer → 201 + answer, Location, ETag, Link
 *   PATCH  <path>/<id>   trickle ICE → 204; ICE restart → 422
 *   DELETE <path>/<id>   ends the session, finalises its archive → 200
 *   OPTIONS either       CORS preflight → 204
 *   PUT|POST <path>/recordings/<name>.webm
 *                        a client's WebM recording (client_uploads) → 201;
 *                        streamed to the tmp dir, then filed in the archive
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "whipserver.h"

#include "ids.h"
#include "sdp.h"
#include "sidecar.h"
#include "whip.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>
#include <unistd.h>

#define RECORDINGS "/recordings"
#define WEBM_MIME "video/webm"
#define PROGRESS_INTERVAL_US (G_USEC_PER_SEC)
#define HEAD_BYTES 65536        /* kept to find the tracks' codecs */

struct _RrWhipServer
{
  RrRoom *room;
  const RrInputConfig *input;
  SoupServer *server;
  guint port;
  gboolean stopped;
  gchar *link;                  /* Link header of the ICE servers, or NULL */
  GHashTable *sessions;         /* id → Session* */
  GList *uploads;               /* Upload* being received */
};

typedef struct
{
  RrWhipServer *server;
  gchar *id;
  gchar **mids;                 /* a=mid of the offer's m-lines, in order */
  SoupServerMessage *pending;   /* POST waiting for the answer */
  gboolean gone;
} Session;

static void
session_free (Session * s)
{
  g_free (s->id);
  g_strfreev (s->mids);
  g_clear_object (&s->pending);
  g_free (s);
}

static void
set_text (SoupServerMessage * msg, guint status, const gchar * text)
{
  soup_server_message_set_status (msg, status, NULL);
  if (text) {
    gchar *body = g_strdup_printf ("%s\n", text);

    soup_server_message_set_response (msg, "text/plain; charset=utf-8",
        SOUP_MEMORY_TAKE, body, strlen (body));
  }
}

static void
add_cors (RrWhipServer * self, SoupServerMessage * msg)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (h, "Access-Control-Allow-Origin",
      self->input->allow_origin ? self->input->allow_origin : "*");
  soup_message_headers_replace (h, "Access-Control-Expose-Headers",
      rr_whip_cors_expose_headers ());
}

static gboolean
auth_required (RrWhipServer * self)
{
  const RrRoomConfig *c = rr_room_get_config (self->room);

  if (self->input->token)
    return TRUE;
  for (guint i = 0; i < c->n_participants; i++)
    if (c->participants[i].token)
      return TRUE;
  return FALSE;
}

/* Checks the Bearer token; *participant is the participant it belongs to
 * (NULL for the room's token or when none is needed). */
static gboolean
authorize (RrWhipServer * self, SoupServerMessage * msg,
    const RrParticipantConfig ** participant)
{
  const gchar *auth =
      soup_message_headers_get_one (soup_server_message_get_request_headers
      (msg), "Authorization");
  gchar *token;
  gboolean ok = FALSE;

  *participant = NULL;
  if (!auth_required (self))
    return TRUE;
  token = rr_whip_bearer_token (auth);
  if (token) {
    /* both compared, whatever the first gives: no timing difference */
    gboolean room_ok = self->input->token != NULL
        && rr_whip_token_equal (token, self->input->token);

    *participant = rr_room_config_participant_for_token
        (rr_room_get_config (self->room), token);
    ok = room_ok || *participant != NULL;
    g_free (token);
  }
  if (!ok) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "WWW-Authenticate", "Bearer realm=\"roomrec\"");
    set_text (msg, SOUP_STATUS_UNAUTHORIZED, auth ?
        "the Bearer token is not valid for this room" :
        "this endpoint needs \"Authorization: Bearer <token>\"");
  }
  return ok;
}

static gboolean
user_id_valid (const gchar * s)
{
  gsize len = strlen (s);

  if (len == 0 || len > 255 || !g_utf8_validate (s, len, NULL))
    return FALSE;
  for (const gchar * c = s; *c; c++)
    if ((guchar) * c < 0x20 || *c == 0x7f)
      return FALSE;
  return TRUE;
}

static void
on_session_ended (RrParticipant * p, gpointer data)
{
  Session *s = data;

  s->gone = TRUE;
  g_hash_table_remove (s->server->sessions, s->id);
}

static void
on_answer_ready (RrParticipant * p, const gchar * sdp, const GError * error,
    gpointer data)
{
  Session *s = data;
  RrWhipServer *self = s->server;
  SoupServerMessage *msg = s->pending;
  SoupMessageHeaders *h;
  gchar *location;

  if (msg == NULL)
    return;
  s->pending = NULL;
  if (sdp == NULL) {
    set_text (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error ?
        error->message : "negotiation failed");
    soup_server_message_unpause (msg);
    g_object_unref (msg);
    return;
  }
  h = soup_server_message_get_response_headers (msg);
  location = g_strdup_printf ("%s/%s", self->input->url_path, s->id);
  soup_message_headers_replace (h, "Location", location);
  soup_message_headers_replace (h, "ETag", rr_participant_etag (p));
  soup_message_headers_replace (h, "Accept-Patch", RR_WHIP_SDPFRAG_MIME);
  if (self->link)
    soup_message_headers_append (h, "Link", self->link);
  soup_server_message_set_status (msg, SOUP_STATUS_CREATED, NULL);
  soup_server_message_set_response (msg, RR_WHIP_SDP_MIME, SOUP_MEMORY_COPY,
      sdp, strlen (sdp));
  soup_server_message_unpause (msg);
  g_object_unref (msg);
  g_print ("roomrec: WHIP session %s created\n", location);
  g_free (location);
}

/* Sessions that still receive (an ended one may still be finishing its
 * files). */
static guint
live_sessions (RrWhipServer * self)
{
  GHashTableIter iter;
  gpointer key;
  guint n = 0;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    RrParticipant *p = rr_room_find_participant (self->room, key);

    if (p && !rr_participant_is_ended (p))
      n++;
  }
  return n;
}

static void
handle_post (RrWhipServer * self, SoupServerMessage * msg, GHashTable * query)
{
  const RrRoomConfig *c = rr_room_get_config (self->room);
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const RrParticipantConfig *pc;
  const gchar *user_id;
  RrWhipOffer *offer;
  RrParticipant *p;
  Session *s;
  GError *err = NULL;
  guint status = 0;
  GBytes *bytes;
  gchar *sdp;

  if (!authorize (self, msg, &pc))
    return;
  if (!rr_whip_content_type_is (soup_message_headers_get_content_type (req,
              NULL), RR_WHIP_SDP_MIME)) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Accept-Post", RR_WHIP_SDP_MIME);
    set_text (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
        "a WHIP offer is sent with Content-Type: application/sdp");
    return;
  }
  if (self->stopped || rr_room_is_stopping (self->room)) {
    set_text (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "the room is stopping");
    return;
  }
  if (live_sessions (self) >= self->input->max_sessions) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Retry-After", "5");
    /* roomrec serve answers this one in its API's error form */
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), RR_WHIP_LIMIT_HEADER, "max_sessions");
    set_text (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
        "the room has max_sessions sessions already");
    return;
  }

  bytes = soup_message_body_flatten (body);
  offer = rr_whip_offer_parse (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes), self->input->max_body_bytes, &status, &err);
  if (offer == NULL) {
    set_text (msg, status ? status : SOUP_STATUS_BAD_REQUEST, err->message);
    g_clear_error (&err);
    g_bytes_unref (bytes);
    return;
  }

  user_id = pc ? pc->user_id : query ? g_hash_table_lookup (query,
      "user_id") : NULL;
  if (user_id && !user_id_valid (user_id)) {
    set_text (msg, SOUP_STATUS_BAD_REQUEST,
        "user_id must be 1 to 255 bytes of UTF-8 without control characters");
    rr_whip_offer_free (offer);
    g_bytes_unref (bytes);
    return;
  }

  s = g_new0 (Session, 1);
  s->server = self;
  s->mids = g_new0 (gchar *, offer->n_media + 1);
  for (guint i = 0; i < offer->n_media; i++)
    s->mids[i] = g_strdup (offer->media[i].mid);
  rr_whip_offer_free (offer);

  sdp = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_bytes_unref (bytes);
  s->pending = g_object_ref (msg);
  soup_server_message_pause (msg);
  p = rr_room_add_webrtc_answerer (self->room, user_id,
      rr_room_config_may_record (c, user_id), sdp, on_answer_ready, s, &err);
  g_free (sdp);
  if (p == NULL) {
    set_text (msg, err->domain == RR_SDP_ERROR ?
        (err->code == RR_SDP_ERROR_UNSUPPORTED ? 422 : 400) :
        SOUP_STATUS_INTERNAL_SERVER_ERROR, err->message);
    g_clear_error (&err);
    soup_server_message_unpause (msg);
    session_free (s);
    return;
  }
  s->id = g_strdup (rr_participant_id (p));
  rr_participant_set_ended_callback (p, on_session_ended, s);
  g_hash_table_insert (self->sessions, s->id, s);
}

static void
handle_patch (RrWhipServer * self, SoupServerMessage * msg, Session * s)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  RrParticipant *p = rr_room_find_participant (self->room, s->id);
  const RrParticipantConfig *pc;
  RrWhipSdpFrag *frag;
  GError *err = NULL;
  GBytes *bytes;

  if (!authorize (self, msg, &pc))
    return;
  if (p == NULL || rr_participant_is_ended (p)) {
    set_text (msg, SOUP_STATUS_NOT_FOUND, "the session has ended");
    return;
  }
  if (!rr_whip_content_type_is (soup_message_headers_get_content_type (req,
              NULL), RR_WHIP_SDPFRAG_MIME)) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Accept-Patch", RR_WHIP_SDPFRAG_MIME);
    set_text (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
        "a PATCH carries Content-Type: application/trickle-ice-sdpfrag");
    return;
  }
  if (!rr_whip_if_match_ok (soup_message_headers_get_one (req, "If-Match"),
          rr_participant_etag (p))) {
    set_text (msg, SOUP_STATUS_PRECONDITION_FAILED,
        "If-Match does not match the session's ETag");
    return;
  }
  bytes = soup_message_body_flatten (body);
  frag = rr_whip_sdpfrag_parse (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes), &err);
  g_bytes_unref (bytes);
  if (frag == NULL) {
    set_text (msg, rr_whip_error_http_status (err), err->message);
    g_clear_error (&err);
    return;
  }
  switch (rr_whip_patch_kind (frag, rr_participant_remote_ufrag (p), NULL)) {
    case RR_WHIP_PATCH_TRICKLE:
      for (guint i = 0; i < frag->n_candidates; i++) {
        const RrWhipCandidate *cand = &frag->candidates[i];
        guint mline = 0;

        /* all m-lines share one transport (max-bundle): any index of
         * the offer will do, the one of its mid is the right one */
        for (guint m = 0; cand->mid && s->mids[m]; m++)
          if (g_strcmp0 (s->mids[m], cand->mid) == 0)
            mline = m;
        rr_participant_add_ice_candidate (p, mline, cand->candidate);
      }
      soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
      break;
    case RR_WHIP_PATCH_ICE_RESTART:
      set_text (msg, 422, "ICE restarts are not supported: DELETE this "
          "session and POST a new offer");
      break;
    case RR_WHIP_PATCH_INVALID:
      set_text (msg, SOUP_STATUS_BAD_REQUEST,
          "the fragment's ICE credentials do not belong to this session");
      break;
  }
  rr_whip_sdpfrag_free (frag);
}

static void
handle_delete (RrWhipServer * self, SoupServerMessage * msg, Session * s)
{
  RrParticipant *p = rr_room_find_participant (self->room, s->id);
  const RrParticipantConfig *pc;

  if (!authorize (self, msg, &pc))
    return;
  if (p == NULL || rr_participant_is_ended (p)) {
    set_text (msg, SOUP_STATUS_NOT_FOUND, "the session has ended");
    return;
  }
  rr_participant_end (p, "the client sent DELETE");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

static void
handle_options (RrWhipServer * self, SoupServerMessage * msg, gboolean endpoint)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  const gchar *methods = endpoint ? rr_whip_allowed_methods_endpoint () :
      rr_whip_allowed_methods_session ();

  soup_message_headers_replace (h, "Allow", methods);
  soup_message_headers_replace (h, "Access-Control-Allow-Methods", methods);
  soup_message_headers_replace (h, "Access-Control-Allow-Headers",
      rr_whip_cors_allow_headers ());
  soup_message_headers_replace (h, "Access-Control-Max-Age", "86400");
  if (endpoint)
    soup_message_headers_replace (h, "Accept-Post", RR_WHIP_SDP_MIME);
  else
    soup_message_headers_replace (h, "Accept-Patch", RR_WHIP_SDPFRAG_MIME);
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

/* ------------------------------------------------------------------ */
/* client recordings: PUT/POST <path>/recordings[/<name>.webm]         */

typedef struct
{
  RrWhipServer *server;         /* NULL once the server is gone */
  gchar *id;
  gchar *user_id;
  gchar *tmp_path;
  gint fd;
  guint64 size;
  guint64 expected;             /* Content-Length, 0 when chunked */
  guchar head[HEAD_BYTES];      /* the file's start */
  gint64 start_us;
  gint64 last_progress_us;
  gboolean failed;              /* over the limit or a write error */
  gboolean done;                /* answered from the main handler */
} Upload;

static void
upload_discard (Upload * u)
{
  if (u->fd >= 0) {
    close (u->fd);
    u->fd = -1;
  }
  if (u->tmp_path) {
    g_unlink (u->tmp_path);
    g_clear_pointer (&u->tmp_path, g_free);
  }
}

static void
upload_free (Upload * u)
{
  if (u->server)
    u->server->uploads = g_list_remove (u->server->uploads, u);
  upload_discard (u);
  g_free (u->id);
  g_free (u->user_id);
  g_free (u);
}

/* "<path>/recordings" or "<path>/recordings/<name>.webm"; the name is
 * checked, never used: files are named by a generated id. */
static gboolean
is_recording_path (RrWhipServer * self, const gchar * path)
{
  const gchar *prefix = self->input->url_path;
  gsize n = strlen (prefix), len;
  const gchar *name;

  if (strncmp (path, prefix, n) != 0
      || strncmp (path + n, RECORDINGS, strlen (RECORDINGS)) != 0)
    return FALSE;
  name = path + n + strlen (RECORDINGS);
  if (*name == '\0')
    return TRUE;
  if (*name != '/')
    return FALSE;
  name++;
  len = strlen (name);
  if (len < 6 || len > 128 || name[0] == '.'
      || !g_str_has_suffix (name, ".webm"))
    return FALSE;
  for (const gchar * c = name; *c; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_' && *c != '.')
      return FALSE;
  return strstr (name, "..") == NULL;
}

static gchar *
recording_dir (RrWhipServer * self)
{
  const RrRoomConfig *c = rr_room_get_config (self->room);

  return g_build_filename (c->archive_dir, c->recording_id, NULL);
}

static void
upload_event (Upload * u, const gchar * type, const gchar * file_path,
    const gchar * error)
{
  const RrRoomConfig *c;
  JsonBuilder *b;

  if (u->server == NULL)
    return;
  c = rr_room_get_config (u->server->room);
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "recording_id");
  json_builder_add_string_value (b, c->recording_id);
  json_builder_set_member_name (b, "room_id");
  json_builder_add_string_value (b, c->room_id);
  json_builder_set_member_name (b, "client_recording");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "upload_id");
  json_builder_add_string_value (b, u->id);
  json_builder_set_member_name (b, "user_id");
  if (u->user_id)
    json_builder_add_string_value (b, u->user_id);
  else
    json_builder_add_null_value (b);
  if (file_path) {
    json_builder_set_member_name (b, "file_path");
    json_builder_add_string_value (b, file_path);
  }
  json_builder_set_member_name (b, "bytes_received");
  json_builder_add_int_value (b, (gint64) u->size);
  json_builder_set_member_name (b, "bytes_total");
  if (u->expected)
    json_builder_add_int_value (b, (gint64) u->expected);
  else
    json_builder_add_null_value (b);
  if (error) {
    json_builder_set_member_name (b, "error");
    json_builder_add_string_value (b, error);
  }
  json_builder_end_object (b);
  rr_room_notify_event (u->server->room, type, b);
  g_object_unref (b);
}

/* Ends the request at once: the client is told by the closed connection
 * (a response cannot be sent before the body is read). */
static void
upload_abort (Upload * u, SoupServerMessage * msg, const gchar * why)
{
  GSocket *sock = soup_server_message_get_socket (msg);

  g_printerr ("roomrec: client upload %s refused: %s\n", u->id, why);
  u->failed = TRUE;
  upload_discard (u);
  upload_event (u, "upload.failed", NULL, why);
  if (sock)
    g_socket_shutdown (sock, TRUE, TRUE, NULL);
}

static void
on_upload_chunk (SoupServerMessage * msg, GBytes * chunk, gpointer data)
{
  Upload *u = data;
  gsize len;
  const guchar *p = g_bytes_get_data (chunk, &len);
  gint64 now;

  if (u->failed || u->server == NULL)
    return;
  if (u->size + len >
      rr_room_get_config (u->server->room)->max_client_upload_bytes) {
    upload_abort (u, msg, "the body is larger than max_client_upload_bytes");
    return;
  }
  if (u->size < HEAD_BYTES)
    memcpy (u->head + u->size, p, MIN (len, HEAD_BYTES - u->size));
  u->size += len;
  while (len > 0) {
    gssize w = write (u->fd, p, len);

    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      gchar *why = g_strdup_printf ("cannot write %s: %s", u->tmp_path,
          g_strerror (errno));

      upload_abort (u, msg, why);
      g_free (why);
      return;
    }
    p += w;
    len -= w;
  }
  now = g_get_monotonic_time ();
  if (now - u->last_progress_us >= PROGRESS_INTERVAL_US) {
    u->last_progress_us = now;
    upload_event (u, "upload.progress", NULL, NULL);
  }
}

/* Done, or the client went away: whatever is not filed is removed. */
static void
on_upload_finished (SoupServerMessage * msg, gpointer data)
{
  Upload *u = data;

  if (!u->done && !u->failed) {
    g_printerr ("roomrec: client upload %s interrupted after %"
        G_GUINT64_FORMAT " bytes\n", u->id, u->size);
    u->failed = TRUE;
    upload_event (u, "upload.failed", NULL,
        "the client disconnected before the end of the body");
  }
  upload_discard (u);
}

/* Early: everything that can be refused before the body is. */
static void
upload_early (RrWhipServer * self, SoupServerMessage * msg, GHashTable * query)
{
  const RrRoomConfig *c = rr_room_get_config (self->room);
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  const gchar *method = soup_server_message_get_method (msg);
  const RrParticipantConfig *pc;
  const gchar *user_id;
  gchar *tmp_dir;
  Upload *u;

  if (!g_str_equal (method, "PUT") && !g_str_equal (method, "POST"))
    return;
  add_cors (self, msg);
  if (!c->client_uploads) {
    set_text (msg, SOUP_STATUS_NOT_FOUND,
        "this room does not take client recordings (client_uploads)");
    return;
  }
  if (!authorize (self, msg, &pc))
    return;
  if (!rr_whip_content_type_is (soup_message_headers_get_content_type (req,
              NULL), WEBM_MIME)) {
    set_text (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
        "a recording is sent with Content-Type: video/webm");
    return;
  }
  if (self->stopped || rr_room_is_stopping (self->room)) {
    set_text (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "the room is stopping");
    return;
  }
  if (soup_message_headers_get_encoding (req) == SOUP_ENCODING_CONTENT_LENGTH
      && (guint64) soup_message_headers_get_content_length (req) >
      c->max_client_upload_bytes) {
    gchar *text = g_strdup_printf ("the recording is larger than "
        "max_client_upload_bytes (%" G_GUINT64_FORMAT ")",
        c->max_client_upload_bytes);

    set_text (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, text);
    g_free (text);
    return;
  }
  user_id = pc ? pc->user_id : query ? g_hash_table_lookup (query,
      "user_id") : NULL;
  if (user_id && !user_id_valid (user_id)) {
    set_text (msg, SOUP_STATUS_BAD_REQUEST,
        "user_id must be 1 to 255 bytes of UTF-8 without control characters");
    return;
  }

  u = g_new0 (Upload, 1);
  u->server = self;
  u->fd = -1;
  u->id = rr_id_generate ();
  u->user_id = g_strdup (user_id);
  u->start_us = g_get_real_time ();
  u->last_progress_us = g_get_monotonic_time ();
  if (soup_message_headers_get_encoding (req) == SOUP_ENCODING_CONTENT_LENGTH)
    u->expected = soup_message_headers_get_content_length (req);
  tmp_dir = c->tmp_dir ? g_strdup (c->tmp_dir) :
      g_build_filename (c->archive_dir, ".roomrec-tmp", NULL);
  u->tmp_path = g_strdup_printf ("%s/client-%s.webm.part", tmp_dir, u->id);
  if (g_mkdir_with_parents (tmp_dir, 0755) == 0)
    u->fd = g_open (u->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (u->fd < 0) {
    gchar *text = g_strdup_printf ("cannot create %s: %s", u->tmp_path,
        g_strerror (errno));

    g_printerr ("roomrec: client upload: %s\n", text);
    set_text (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, text);
    g_free (text);
    g_clear_pointer (&u->tmp_path, g_free);
    upload_free (u);
    g_free (tmp_dir);
    return;
  }
  g_free (tmp_dir);
  self->uploads = g_list_prepend (self->uploads, u);
  g_object_set_data_full (G_OBJECT (msg), "rr-upload", u,
      (GDestroyNotify) upload_free);
  soup_message_body_set_accumulate (soup_server_message_get_request_body
      (msg), FALSE);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_upload_chunk), u);
  g_signal_connect (msg, "finished", G_CALLBACK (on_upload_finished), u);
  g_print ("roomrec: client upload %s started\n", u->id);
  upload_event (u, "upload.started", NULL, NULL);
}

/* The codec of the first video and audio track: a CodecID element (0x86,
 * a one-byte size, the string) in the file's start; NULL when not found.
 * No more than a hint for the sidecar: the file is not parsed. */
static const gchar *
webm_codec (const guchar * head, gsize len, gboolean video)
{
  static const gchar *const ids[][2] = {
    {"V_VP8", "VP8"}, {"V_VP9", "VP9"}, {"V_AV1", "AV1"},
    {"V_MPEG4/ISO/AVC", "H264"}, {"A_OPUS", "OPUS"}, {"A_VORBIS", "VORBIS"},
  };

  for (gsize i = 0; i + 2 < len; i++) {
    if (head[i] != 0x86)
      continue;
    for (guint k = 0; k < G_N_ELEMENTS (ids); k++) {
      gsize n = strlen (ids[k][0]);

      /* some muxers count a trailing NUL */
      if ((ids[k][0][0] == 'V') == video && i + 3 + n <= len
          && (head[i + 1] == (0x80 | n) || (head[i + 1] == (0x80 | (n + 1))
                  && head[i + 2 + n] == 0))
          && memcmp (head + i + 2, ids[k][0], n) == 0)
        return ids[k][1];
    }
  }
  return NULL;
}

static gchar *
client_sidecar (RrWhipServer * self, Upload * u, const gchar * path,
    const gchar * sidecar_path, gint64 stop_us)
{
  const RrRoomConfig *c = rr_room_get_config (self->room);
  RrArchiveInfo info = { 0, };
  gchar *name = g_path_get_basename (path);
  gchar *sname = g_path_get_basename (sidecar_path);
  gchar *rel = g_build_filename (c->recording_id, name, NULL);
  gchar *srel = g_build_filename (c->recording_id, sname, NULL);
  JsonNode *node;
  gchar *json;

  info.recording_id = c->recording_id;
  info.room_id = c->room_id;
  info.session_id = c->recording_id;
  info.connection_id = u->id;
  info.user_id = u->user_id;
  info.file_path = path;
  info.filename = rel;
  info.metadata_file_path = sidecar_path;
  info.metadata_filename = srel;
  info.format = "webm";
  info.size = u->size;
  info.recording_start_us = rr_room_start_time (self->room);
  info.start_us = u->start_us;
  info.stop_us = stop_us;
  info.video_codec = webm_codec (u->head, MIN (u->size, HEAD_BYTES), TRUE);
  info.audio_codec = webm_codec (u->head, MIN (u->size, HEAD_BYTES), FALSE);
  info.video = info.video_codec != NULL;
  info.audio = info.audio_codec != NULL;
  node = rr_sidecar_build (&info, RR_SIDECAR_ARCHIVE);
  json_object_set_boolean_member (json_node_get_object (node),
      "client_recording", TRUE);
  json = rr_json_to_string (node, TRUE);
  json_node_unref (node);
  g_free (name);
  g_free (sname);
  g_free (rel);
  g_free (srel);
  return json;
}

/* After the body: check it, file it, answer. */
static void
upload_finish (RrWhipServer * self, SoupServerMessage * msg, Upload * u)
{
  static const guchar ebml[4] = { 0x1a, 0x45, 0xdf, 0xa3 };
  gchar *dir = NULL, *path = NULL, *sidecar_path = NULL, *json = NULL;
  gchar *location, *body;
  GError *err = NULL;
  const gchar *why = NULL;
  guint status = SOUP_STATUS_BAD_REQUEST;
  gboolean synced;

  if (u->failed) {
    set_text (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
        "the recording was refused while it was received");
    return;
  }
  /* on disk before it is in the archive */
  synced = fsync (u->fd) == 0;
  if (close (u->fd) != 0)
    synced = FALSE;
  u->fd = -1;
  if (!synced) {
    why = "cannot write the recording to disk";
    status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
  }
  if (why == NULL && (u->size < 4 || memcmp (u->head, ebml, 4) != 0))
    why = "the body is not a WebM file (no EBML header 1A 45 DF A3)";
  else if (why == NULL && rr_room_is_stopping (self->room)) {
    why = "the room is stopping";
    status = SOUP_STATUS_SERVICE_UNAVAILABLE;
  }
  if (why == NULL) {
    gchar *name = g_strdup_printf ("client-%s.webm", u->id);
    gchar *sname = g_strdup_printf ("client-%s.json", u->id);

    dir = recording_dir (self);
    path = g_build_filename (dir, name, NULL);
    sidecar_path = g_build_filename (dir, sname, NULL);
    g_free (name);
    g_free (sname);
    json = client_sidecar (self, u, path, sidecar_path, g_get_real_time ());
    status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
    if (g_mkdir_with_parents (dir, 0755) != 0
        || g_rename (u->tmp_path, path) != 0)
      why = "cannot move the recording into the archive dir";
    else if (!rr_file_write_atomic (sidecar_path, json, &err)) {
      g_printerr ("roomrec: client upload %s: %s\n", u->id, err->message);
      g_clear_error (&err);
      g_unlink (path);
      why = "cannot write the sidecar";
    } else {
      g_clear_pointer (&u->tmp_path, g_free);
    }
  }
  if (why) {
    g_printerr ("roomrec: client upload %s refused: %s\n", u->id, why);
    upload_discard (u);
    upload_event (u, "upload.failed", NULL, why);
    set_text (msg, status, why);
    u->failed = TRUE;
  } else {
    u->done = TRUE;
    rr_room_add_client_file (self->room, path, sidecar_path, json);
    upload_event (u, "upload.completed", path, NULL);
    location = g_strdup_printf ("%s" RECORDINGS "/client-%s.webm",
        self->input->url_path, u->id);
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Location", location);
    body = g_strdup_printf ("{\"upload_id\": \"%s\", \"recording_id\": "
        "\"%s\", \"filename\": \"client-%s.webm\", \"size\": %"
        G_GUINT64_FORMAT "}\n", u->id,
        rr_room_get_config (self->room)->recording_id, u->id, u->size);
    soup_server_message_set_status (msg, SOUP_STATUS_CREATED, NULL);
    soup_server_message_set_response (msg, "application/json",
        SOUP_MEMORY_TAKE, body, strlen (body));
    g_free (location);
  }
  g_free (dir);
  g_free (path);
  g_free (sidecar_path);
  g_free (json);
}

static void
handle_recording (RrWhipServer * self, SoupServerMessage * msg)
{
  const gchar *method = soup_server_message_get_method (msg);
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  Upload *u = g_object_get_data (G_OBJECT (msg), "rr-upload");

  if (u) {
    upload_finish (self, msg, u);
  } else if (g_str_equal (method, "OPTIONS")) {
    soup_message_headers_replace (h, "Allow", "PUT, POST, OPTIONS");
    soup_message_headers_replace (h, "Access-Control-Allow-Methods",
        "PUT, POST, OPTIONS");
    soup_message_headers_replace (h, "Access-Control-Allow-Headers",
        rr_whip_cors_allow_headers ());
    soup_message_headers_replace (h, "Access-Control-Max-Age", "86400");
    soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
  } else if (!g_str_equal (method, "PUT") && !g_str_equal (method, "POST")) {
    soup_message_headers_replace (h, "Allow", "PUT, POST, OPTIONS");
    set_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
        "recordings are sent with PUT or POST (and OPTIONS)");
  } else if (soup_server_message_get_status (msg) == 0) {
    /* refused early already has its status */
    set_text (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "upload not started");
  }
}

static void
handle_request (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer data)
{
  RrWhipServer *self = data;
  const gchar *method = soup_server_message_get_method (msg);
  gchar *id = NULL;
  Session *s = NULL;

  add_cors (self, msg);
  if (is_recording_path (self, path)) {
    handle_recording (self, msg);
    return;
  }
  if (!rr_whip_parse_session_path (self->input->url_path, path, &id)) {
    set_text (msg, SOUP_STATUS_NOT_FOUND, "no such WHIP resource");
    return;
  }
  if (g_str_equal (method, "OPTIONS")) {
    handle_options (self, msg, id == NULL);
  } else if (id == NULL) {
    if (g_str_equal (method, "POST"))
      handle_post (self, msg, query);
    else {
      soup_message_headers_replace (soup_server_message_get_response_headers
          (msg), "Allow", rr_whip_allowed_methods_endpoint ());
      set_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
          "the WHIP endpoint takes POST (and OPTIONS)");
    }
  } else if ((s = g_hash_table_lookup (self->sessions, id)) == NULL) {
    set_text (msg, SOUP_STATUS_NOT_FOUND, "no such session");
  } else if (g_str_equal (method, "PATCH")) {
    handle_patch (self, msg, s);
  } else if (g_str_equal (method, "DELETE")) {
    handle_delete (self, msg, s);
  } else {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Allow", rr_whip_allowed_methods_session ());
    set_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
        "a WHIP session takes PATCH and DELETE (and OPTIONS)");
  }
  g_free (id);
}

/* Before the body is read: refuse what is too large to be an offer. */
static void
handle_early (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer data)
{
  RrWhipServer *self = data;
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  const gchar *method = soup_server_message_get_method (msg);

  if (is_recording_path (self, path)) {
    upload_early (self, msg, query);
    return;
  }
  if (!g_str_equal (method, "POST") && !g_str_equal (method, "PATCH"))
    return;
  if (soup_message_headers_get_encoding (req) == SOUP_ENCODING_CHUNKED) {
    add_cors (self, msg);
    set_text (msg, SOUP_STATUS_LENGTH_REQUIRED,
        "send the body with a Content-Length");
  } else if ((guint64) soup_message_headers_get_content_length (req) >
      self->input->max_body_bytes) {
    add_cors (self, msg);
    set_text (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
        "the body is larger than max_body_bytes");
  }
}

RrWhipServer *
rr_whip_server_new (RrRoom * room, const RrInputConfig * input, GError ** error)
{
  RrWhipServer *self = g_new0 (RrWhipServer, 1);
  GInetAddress *addr;
  GSocketAddress *sockaddr;
  GSList *uris;

  self->room = room;
  self->input = input;
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) session_free);
  self->link = rr_whip_link_header ((const gchar * const *)
      input->ice_servers);
  self->server = soup_server_new ("server-header", "roomrec", NULL);
  soup_server_add_early_handler (self->server, input->url_path,
      handle_early, self, NULL);
  soup_server_add_handler (self->server, input->url_path, handle_request,
      self, NULL);

  addr = g_inet_address_new_from_string (input->listen_address);
  if (addr == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "%s.listen: %s is not an IP address", input->path,
        input->listen_address);
    rr_whip_server_free (self);
    return NULL;
  }
  sockaddr = g_inet_socket_address_new (addr, input->listen_port);
  g_object_unref (addr);
  if (!soup_server_listen (self->server, sockaddr, 0, error)) {
    g_prefix_error (error, "%s.listen: cannot listen on %s:%u: ",
        input->path, input->listen_address, input->listen_port);
    g_object_unref (sockaddr);
    rr_whip_server_free (self);
    return NULL;
  }
  g_object_unref (sockaddr);
  uris = soup_server_get_uris (self->server);
  if (uris)
    self->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return self;
}

guint
rr_whip_server_port (RrWhipServer * self)
{
  return self->port;
}

void
rr_whip_server_stop (RrWhipServer * self)
{
  self->stopped = TRUE;
}

void
rr_whip_server_free (RrWhipServer * self)
{
  if (!self)
    return;
  if (self->server) {
    soup_server_disconnect (self->server);
    g_object_unref (self->server);
  }
  for (GList * l = self->uploads; l; l = l->next) {
    Upload *u = l->data;

    u->server = NULL;
    upload_discard (u);
  }
  g_list_free (self->uploads);
  g_hash_table_unref (self->sessions);
  g_free (self->link);
  g_free (self);
}
