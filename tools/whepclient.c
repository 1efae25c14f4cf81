/* roomrec — pulling a participant from a WHEP server
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The launcher offers receive-only media to the server (POST, RFC 9725
 * semantics as used by WHEP servers: MediaMTX, SRS, Janus, Cloudflare…),
 * and records what comes back like any participant.  A stream that is not
 * there yet (409/404/503 with or without Retry-After, refused connections,
 * timeouts) is asked for again with exponential backoff; a session that
 * ends (ICE failure, silence) is pulled again the same way, as a new
 * connection with its own archive.  Authentication or offer errors
 * (400, 401, 403, 415, 422) are not retried: they need a config change.
 *
 * libsoup 3: the session is made and used on the main context only.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "whepclient.h"

#include <libsoup/soup.h>
#include <string.h>

/* A session that lasted this long was a success: backoff starts again. */
#define STABLE_US (30 * G_USEC_PER_SEC)

struct _RrWhepClient
{
  gint refcount;                /* the client + each request in flight */
  RrRoom *room;
  const RrInputConfig *input;
  SoupSession *session;
  GCancellable *cancellable;
  RrParticipant *participant;
  gchar *location;              /* session resource, absolute */
  guint retry_source;
  guint attempts;
  guint delay_ms;
  gint64 connected_us;
  gboolean gave_up;
};

static void pull (RrWhepClient * self);

static void
client_unref (RrWhepClient * self)
{
  if (!g_atomic_int_dec_and_test (&self->refcount))
    return;
  g_object_unref (self->cancellable);
  g_object_unref (self->session);
  g_free (self->location);
  g_free (self);
}

static gboolean
retry_cb (gpointer data)
{
  RrWhepClient *self = data;

  self->retry_source = 0;
  pull (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (RrWhepClient * self, guint retry_after_s, const gchar * why)
{
  const RrInputConfig *in = self->input;
  guint delay;

  if (rr_room_is_stopping (self->room))
    return;
  self->attempts++;
  if (in->retry_limit && self->attempts > in->retry_limit) {
    g_printerr ("roomrec: WHEP %s: giving up after %u attempts (%s)\n",
        in->url, self->attempts, why);
    self->gave_up = TRUE;
    return;
  }
  if (self->delay_ms == 0)
    self->delay_ms = in->retry_initial_ms;
  delay = MAX (self->delay_ms, retry_after_s * 1000);
  delay = MIN (delay, in->retry_max_ms);
  g_print ("roomrec: WHEP %s: %s; retrying in %.1f s\n", in->url, why,
      delay / 1000.0);
  self->delay_ms = MIN ((guint64) self->delay_ms * 2, in->retry_max_ms);
  self->retry_source = g_timeout_add (delay, retry_cb, self);
}

static void
on_participant_ended (RrParticipant * p, gpointer data)
{
  RrWhepClient *self = data;
  gboolean was_stable = self->connected_us
      && g_get_monotonic_time () - self->connected_us > STABLE_US;

  self->participant = NULL;
  g_clear_pointer (&self->location, g_free);
  if (was_stable) {
    self->attempts = 0;
    self->delay_ms = 0;
  }
  self->connected_us = 0;
  if (!self->gave_up && self->retry_source == 0
      && !g_cancellable_is_cancelled (self->cancellable))
    schedule_retry (self, 0, "the session ended");
}

static void
end_participant (RrWhepClient * self, const gchar * why)
{
  RrParticipant *p = self->participant;

  if (p) {
    /* its end is not a reason to pull again: the caller decides */
    rr_participant_set_ended_callback (p, NULL, NULL);
    self->participant = NULL;
    rr_participant_end (p, why);
  }
}

static guint
retry_after_seconds (SoupMessage * msg)
{
  const gchar *v =
      soup_message_headers_get_one (soup_message_get_response_headers (msg),
      "Retry-After");
  guint64 s;

  if (v == NULL || !g_ascii_string_to_unsigned (v, 10, 0, 3600, &s, NULL))
    return 0;
  return (guint) s;
}

static void
on_post_done (GObject * source, GAsyncResult * res, gpointer data)
{
  RrWhepClient *self = data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION
      (source), res);
  GError *err = NULL;
  GBytes *body = soup_session_send_and_read_finish (SOUP_SESSION (source),
      res, &err);
  guint status;
  gchar *text, *why;

  if (g_cancellable_is_cancelled (self->cancellable)) {
    /* freed while the request was in flight */
    if (body)
      g_bytes_unref (body);
    g_clear_error (&err);
    client_unref (self);
    return;
  }
  client_unref (self);          /* the client itself still holds one */
  if (body == NULL) {
    why = g_strdup_printf ("no answer (%s)", err->message);
    end_participant (self, why);
    schedule_retry (self, 0, why);
    g_free (why);
    g_clear_error (&err);
    return;
  }
  status = soup_message_get_status (msg);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_bytes_unref (body);

  if (status == SOUP_STATUS_CREATED && self->participant) {
    const gchar *loc =
        soup_message_headers_get_one (soup_message_get_response_headers (msg),
        "Location");

    if (loc) {
      GUri *abs = g_uri_parse_relative (soup_message_get_uri (msg), loc,
          G_URI_FLAGS_NONE, NULL);

      if (abs) {
        self->location = g_uri_to_string (abs);
        g_uri_unref (abs);
      }
    }
    if (!rr_participant_set_remote_answer (self->participant, text, &err)) {
      why = g_strdup_printf ("unusable answer (%s)", err->message);
      end_participant (self, why);
      schedule_retry (self, 0, why);
      g_free (why);
      g_clear_error (&err);
    } else {
      g_print ("roomrec: WHEP %s: session %s\n", self->input->url,
          self->location ? self->location : "(no Location)");
      self->connected_us = g_get_monotonic_time ();
    }
  } else if (status == 400 || status == 401 || status == 403
      || status == 415 || status == 422) {
    g_printerr ("roomrec: WHEP %s: the server refused the offer with %u: "
        "%s (not retried: check the url and token in the room config)\n",
        self->input->url, status, text);
    self->gave_up = TRUE;
    end_participant (self, "the WHEP server refused the offer");
  } else {
    why = g_strdup_printf ("HTTP %u", status);
    end_participant (self, why);
    schedule_retry (self, retry_after_seconds (msg), why);
    g_free (why);
  }
  g_free (text);
}

/* A request to the WHEP server, with the input's Bearer token if any. */
static SoupMessage *
new_request (RrWhepClient * self, const gchar * method, const gchar * url)
{
  SoupMessage *msg = soup_message_new (method, url);

  if (msg && self->input->token) {
    gchar *auth = g_strdup_printf ("Bearer %s", self->input->token);

    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Authorization", auth);
    g_free (auth);
  }
  return msg;
}

static void
on_offer_ready (RrParticipant * p, const gchar * sdp, const GError * error,
    gpointer data)
{
  RrWhepClient *self = data;
  SoupMessage *msg;
  GBytes *body;

  if (sdp == NULL) {
    if (self->participant == p) {
      self->participant = NULL;
      schedule_retry (self, 0, error ? error->message : "no offer");
    }
    return;
  }
  msg = new_request (self, "POST", self->input->url);
  body = g_bytes_new (sdp, strlen (sdp));
  soup_message_set_request_body_from_bytes (msg, "application/sdp", body);
  g_bytes_unref (body);
  g_atomic_int_inc (&self->refcount);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
      self->cancellable, on_post_done, self);
  g_object_unref (msg);
}

static void
pull (RrWhepClient * self)
{
  GError *err = NULL;

  if (rr_room_is_stopping (self->room))
    return;
  self->participant = rr_room_add_webrtc_offerer (self->room,
      self->input->user_id, on_offer_ready, self, &err);
  if (self->participant == NULL) {
    schedule_retry (self, 0, err->message);
    g_clear_error (&err);
    return;
  }
  rr_participant_set_ended_callback (self->participant,
      on_participant_ended, self);
}

RrWhepClient *
rr_whep_client_new (RrRoom * room, const RrInputConfig * input, GError ** error)
{
  RrWhepClient *self;

  if (!g_uri_is_valid (input->url, G_URI_FLAGS_NONE, error)) {
    g_prefix_error (error, "%s.url: ", input->path);
    return NULL;
  }
  self = g_new0 (RrWhepClient, 1);
  self->refcount = 1;
  self->room = room;
  self->input = input;
  self->session = soup_session_new_with_options ("timeout", 10,
      "user-agent", "roomrec/" VERSION, NULL);
  self->cancellable = g_cancellable_new ();
  pull (self);
  return self;
}

void
rr_whep_client_free (RrWhepClient * self)
{
  if (!self)
    return;
  g_cancellable_cancel (self->cancellable);
  if (self->retry_source)
    g_source_remove (self->retry_source);
  if (self->participant)
    rr_participant_set_ended_callback (self->participant, NULL, NULL);
  if (self->location) {
    /* tell the server we are gone; short, the room is stopping anyway */
    SoupMessage *msg = new_request (self, "DELETE", self->location);

    if (msg) {
      GBytes *b;

      g_object_set (self->session, "timeout", 2, NULL);
      b = soup_session_send_and_read (self->session, msg, NULL, NULL);
      if (b)
        g_bytes_unref (b);
      g_object_unref (msg);
    }
  }
  g_clear_pointer (&self->location, g_free);
  client_unref (self);
}
