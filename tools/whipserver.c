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
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "whipserver.h"

#include "sdp.h"
#include "whip.h"

#include <libsoup/soup.h>
#include <string.h>

struct _RrWhipServer
{
  RrRoom *room;
  const RrInputConfig *input;
  SoupServer *server;
  guint port;
  gboolean stopped;
  gchar *link;                  /* Link header of the ICE servers, or NULL */
  GHashTable *sessions;         /* id → Session* */
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

static void
handle_request (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer data)
{
  RrWhipServer *self = data;
  const gchar *method = soup_server_message_get_method (msg);
  gchar *id = NULL;
  Session *s = NULL;

  add_cors (self, msg);
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
  g_hash_table_unref (self->sessions);
  g_free (self->link);
  g_free (self);
}
