/* roomrec — webhooknotify tests: a real HTTP receiver (SoupServer on
 * 127.0.0.1, its own thread), real recordings with splitmuxrec.
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "filecheck.h"
#include "webhook.h"

#define SECRET "whsec_test"

static gchar *tmpdir;

static void
tempdir_setup (void)
{
  tmpdir = g_dir_make_tmp ("webhooknotify-XXXXXX", NULL);
}

static void
tempdir_cleanup (void)
{
  rr_test_rm_rf (tmpdir);
  g_free (tmpdir);
}

/* ---------------------------------------------------------------- */
/* the receiver                                                     */

typedef struct
{
  guint port;                   /* 0: any */
  guint delay_ms;               /* answer this late */
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SoupServer *server;
  GMutex lock;
  GCond cond;
  gboolean ready;
  GPtrArray *bodies;            /* gchar * */
  GPtrArray *signatures;        /* gchar * */
  GPtrArray *ids;               /* Roomrec-Event-Id */
} Receiver;

typedef struct
{
  Receiver *r;
  SoupServerMessage *msg;
} Delayed;

static gboolean
answer_late (gpointer data)
{
  Delayed *d = data;

  soup_server_message_set_status (d->msg, 200, NULL);
  soup_server_message_unpause (d->msg);
  g_object_unref (d->msg);
  g_free (d);
  return G_SOURCE_REMOVE;
}

static void
on_request (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  Receiver *r = data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  GBytes *b = soup_message_body_flatten (body);
  const gchar *sig = soup_message_headers_get_one (h, "Roomrec-Signature");
  const gchar *id = soup_message_headers_get_one (h, "Roomrec-Event-Id");

  g_mutex_lock (&r->lock);
  g_ptr_array_add (r->bodies, g_strndup (g_bytes_get_data (b, NULL),
          g_bytes_get_size (b)));
  g_ptr_array_add (r->signatures, g_strdup (sig ? sig : ""));
  g_ptr_array_add (r->ids, g_strdup (id ? id : ""));
  g_cond_broadcast (&r->cond);
  g_mutex_unlock (&r->lock);
  g_bytes_unref (b);

  if (r->delay_ms) {
    Delayed *d = g_new0 (Delayed, 1);
    GSource *s = g_timeout_source_new (r->delay_ms);

    d->r = r;
    d->msg = g_object_ref (msg);
    soup_server_message_pause (msg);
    g_source_set_callback (s, answer_late, d, NULL);
    g_source_attach (s, r->context);
    g_source_unref (s);
  } else {
    soup_server_message_set_status (msg, 200, NULL);
  }
}

static gpointer
receiver_thread (gpointer data)
{
  Receiver *r = data;
  GError *err = NULL;
  GSList *uris;

  g_main_context_push_thread_default (r->context);
  r->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (r->server, NULL, on_request, r, NULL);
  if (!soup_server_listen_local (r->server, r->port,
          SOUP_SERVER_LISTEN_IPV4_ONLY, &err))
    g_error ("listen on %u: %s", r->port, err->message);
  uris = soup_server_get_uris (r->server);
  r->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_mutex_lock (&r->lock);
  r->ready = TRUE;
  g_cond_broadcast (&r->cond);
  g_mutex_unlock (&r->lock);

  g_main_loop_run (r->loop);

  soup_server_disconnect (r->server);
  g_clear_object (&r->server);
  while (g_main_context_iteration (r->context, FALSE));
  g_main_context_pop_thread_default (r->context);
  return NULL;
}

static void
receiver_start (Receiver * r, guint port, guint delay_ms)
{
  if (r->bodies == NULL) {
    g_mutex_init (&r->lock);
    g_cond_init (&r->cond);
    r->bodies = g_ptr_array_new_with_free_func (g_free);
    r->signatures = g_ptr_array_new_with_free_func (g_free);
    r->ids = g_ptr_array_new_with_free_func (g_free);
  }
  r->port = port;
  r->delay_ms = delay_ms;
  r->ready = FALSE;
  r->context = g_main_context_new ();
  r->loop = g_main_loop_new (r->context, FALSE);
  r->thread = g_thread_new ("receiver", receiver_thread, r);
  g_mutex_lock (&r->lock);
  while (!r->ready)
    g_cond_wait (&r->cond, &r->lock);
  g_mutex_unlock (&r->lock);
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
receiver_stop (Receiver * r)
{
  GSource *s;

  if (r->thread == NULL)
    return;
  s = g_idle_source_new ();
  g_source_set_callback (s, quit_loop, r->loop, NULL);
  g_source_attach (s, r->context);
  g_source_unref (s);
  g_thread_join (r->thread);
  r->thread = NULL;
  g_main_loop_unref (r->loop);
  g_main_context_unref (r->context);
}

static void
receiver_clear (Receiver * r)
{
  receiver_stop (r);
  g_ptr_array_unref (r->bodies);
  g_ptr_array_unref (r->signatures);
  g_ptr_array_unref (r->ids);
  g_mutex_clear (&r->lock);
  g_cond_clear (&r->cond);
}

/* Waits up to @timeout_s for @n requests. */
static guint
receiver_wait (Receiver * r, guint n, guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
  guint got;

  g_mutex_lock (&r->lock);
  while (r->bodies->len < n)
    if (!g_cond_wait_until (&r->cond, &r->lock, deadline))
      break;
  got = r->bodies->len;
  g_mutex_unlock (&r->lock);
  return got;
}

/* A port where nothing listens (connection refused), free again for the
 * receiver later. */
static guint
free_port (void)
{
  Receiver r = { 0 };
  guint port;

  receiver_start (&r, 0, 0);
  port = r.port;
  receiver_clear (&r);
  return port;
}

static JsonObject *
parse_event (const gchar * body)
{
  JsonParser *p = json_parser_new ();
  JsonObject *o;

  fail_unless (json_parser_load_from_data (p, body, -1, NULL), "not JSON: %s",
      body);
  o = json_object_ref (json_node_get_object (json_parser_get_root (p)));
  g_object_unref (p);
  return o;
}

/* Every request signed, ids in the header and the body, events in seq
 * order with no gap and no duplicate; returns the types. */
static GPtrArray *
check_events (Receiver * r, guint64 first_seq)
{
  GPtrArray *types = g_ptr_array_new_with_free_func (g_free);
  guint i;

  g_mutex_lock (&r->lock);
  for (i = 0; i < r->bodies->len; i++) {
    const gchar *body = g_ptr_array_index (r->bodies, i);
    GError *err = NULL;
    JsonObject *o = parse_event (body);

    fail_unless (rr_webhook_verify (g_ptr_array_index (r->signatures, i),
            SECRET, body, -1, 0, RR_WEBHOOK_DEFAULT_TOLERANCE_S, &err),
        "signature of %s: %s", body, err ? err->message : "");
    fail_if (rr_webhook_verify (g_ptr_array_index (r->signatures, i),
            "wrong", body, -1, 0, 0, NULL));
    fail_unless_equals_string (json_object_get_string_member (o, "id"),
        g_ptr_array_index (r->ids, i));
    fail_unless_equals_uint64 (json_object_get_int_member (o, "seq"),
        first_seq + i);
    g_ptr_array_add (types,
        g_strdup (json_object_get_string_member (o, "type")));
    json_object_unref (o);
  }
  g_mutex_unlock (&r->lock);
  return types;
}

/* ---------------------------------------------------------------- */
/* pipelines                                                        */

typedef struct
{
  GstElement *pipeline;
  gdouble seconds_to_eos;
  guint delivered_messages;
  guint failed_messages;
} Run;

/* Plays @desc until EOS, counting webhooknotify messages; leaves it
 * PLAYING (the caller stops it). */
static void
run_to_eos (const gchar * desc, Run * run)
{
  GError *err = NULL;
  GstBus *bus;
  gint64 start;
  gboolean done = FALSE;

  memset (run, 0, sizeof (*run));
  run->pipeline = gst_parse_launch (desc, &err);
  fail_unless (run->pipeline != NULL, "%s: %s", desc, err ? err->message : "");
  if (!GST_IS_PIPELINE (run->pipeline)) {
    /* "webhooknotify.( … )" is the bin itself: gst-launch-1.0 puts it in a
     * pipeline too */
    GstElement *p = gst_pipeline_new (NULL);

    gst_bin_add (GST_BIN (p), run->pipeline);
    run->pipeline = p;
  }
  bus = gst_element_get_bus (run->pipeline);
  start = g_get_monotonic_time ();
  fail_if (gst_element_set_state (run->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  while (!done) {
    GstMessage *m = gst_bus_timed_pop (bus, 60 * GST_SECOND);

    fail_unless (m != NULL, "no EOS after 60 s");
    switch (GST_MESSAGE_TYPE (m)) {
      case GST_MESSAGE_EOS:
        done = TRUE;
        break;
      case GST_MESSAGE_ERROR:{
        GError *e = NULL;

        gst_message_parse_error (m, &e, NULL);
        fail ("error: %s", e->message);
        break;
      }
      case GST_MESSAGE_ELEMENT:
        if (gst_message_has_name (m, "webhooknotify-delivered"))
          run->delivered_messages++;
        else if (gst_message_has_name (m, "webhooknotify-failed"))
          run->failed_messages++;
        break;
      default:
        break;
    }
    gst_message_unref (m);
  }
  run->seconds_to_eos = (g_get_monotonic_time () - start) / 1e6;
  gst_object_unref (bus);
}

static void
run_stop (Run * run)
{
  gst_element_set_state (run->pipeline, GST_STATE_NULL);
  gst_object_unref (run->pipeline);
}

static gchar *
recording_desc (const gchar * bin, const gchar * props, guint buffers,
    gboolean live, const gchar * archive)
{
  return g_strdup_printf ("%s.( %s videotestsrc is-live=%d num-buffers=%u ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc speed-preset=ultrafast key-int-max=10 ! "
      "splitmuxrec format=mp4 archive-dir=%s recording-id=rec1 "
      "connection-id=alice split-duration=1000000000 )", bin, props,
      live, buffers, archive);
}

static guint
count_type (GPtrArray * types, const gchar * type)
{
  guint i, n = 0;

  for (i = 0; i < types->len; i++)
    n += g_strcmp0 (g_ptr_array_index (types, i), type) == 0;
  return n;
}

/* ---------------------------------------------------------------- */

GST_START_TEST (test_split_recording_events)
{
  Receiver r = { 0 };
  gchar *props, *desc, *archive, *last_body;
  GPtrArray *types;
  Run run;
  guint n, i, n_split = 0;
  JsonObject *o, *data;

  receiver_start (&r, 0, 0);
  archive = g_build_filename (tmpdir, "a", NULL);
  props = g_strdup_printf ("name=n url=http://127.0.0.1:%u/hook secret="
      SECRET " spool-dir=%s/spool", r.port, tmpdir);
  desc = recording_desc ("webhooknotify", props, 90, FALSE, archive);
  run_to_eos (desc, &run);
  run_stop (&run);              /* drains: waits for the deliveries */

  n = receiver_wait (&r, 1, 1);
  types = check_events (&r, 1);
  for (i = 0; i < types->len; i++)
    GST_INFO ("event %u: %s", i, (gchar *) g_ptr_array_index (types, i));
  fail_unless (n >= 8, "only %u events", n);
  fail_unless_equals_string (g_ptr_array_index (types, 0), "recording.started");
  fail_unless_equals_string (g_ptr_array_index (types, 1), "archive.started");
  fail_unless_equals_string (g_ptr_array_index (types, n - 1),
      "recording.report");
  fail_unless_equals_int (count_type (types, "archive.available"), 1);
  fail_unless_equals_int (count_type (types, "split-archive.end"), 1);
  fail_unless (count_type (types, "split-archive.available") >= 2);
  fail_unless_equals_int (count_type (types, "recording.started"), 1);

  /* the fields of the sidecars */
  for (i = 0; i < n; i++) {
    o = parse_event (g_ptr_array_index (r.bodies, i));
    data = json_object_get_object_member (o, "data");
    fail_unless_equals_string (json_object_get_string_member (o,
            "recording_id"), "rec1");
    if (g_str_equal (g_ptr_array_index (types, i), "archive.available")) {
      fail_unless (g_str_has_suffix (json_object_get_string_member (data,
                  "file_path"), "rec1/archive-alice.mp4"));
      fail_unless (g_file_test (json_object_get_string_member (data,
                  "sidecar_location"), G_FILE_TEST_IS_REGULAR));
      fail_unless_equals_string (json_object_get_string_member (data,
              "video_codec_type"), "H264");
      fail_unless_equals_int (json_object_get_int_member (o,
              "trtc_event_type"), 310);
    } else if (g_str_equal (g_ptr_array_index (types, i),
            "split-archive.available")) {
      gchar *want = g_strdup_printf ("%04u", ++n_split);

      fail_unless_equals_string (json_object_get_string_member (data,
              "split_index"), want);
      fail_unless (json_object_get_int_member (data, "size") > 0);
      g_free (want);
    }
    json_object_unref (o);
  }
  last_body = g_ptr_array_index (r.bodies, n - 1);
  o = parse_event (last_body);
  data = json_object_get_object_member (o, "data");
  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (data, "files")), 1 + n_split);
  json_object_unref (o);

  g_ptr_array_unref (types);
  receiver_clear (&r);
  g_free (props);
  g_free (desc);
  g_free (archive);
}

GST_END_TEST;

/* A bin with webhooknotify around a fakesink that posts splitmuxrec
 * messages, as a recording would. */
static GstElement *
make_notifier (guint port, const gchar * spool, GstElement ** child)
{
  GstElement *n = gst_element_factory_make ("webhooknotify", NULL);
  gchar *url = g_strdup_printf ("http://127.0.0.1:%u/hook", port);

  fail_unless (n != NULL);
  g_object_set (n, "url", url, "secret", SECRET, "spool-dir", spool,
      "retry-max", 1, "drain-timeout", (guint64) 0, "report-on-stop", FALSE,
      NULL);
  *child = gst_element_factory_make ("fakesink", NULL);
  gst_bin_add (GST_BIN (n), *child);
  g_free (url);
  return n;
}

static void
post_split (GstElement * child, guint index)
{
  gchar *sidecar = g_strdup_printf ("{\"recording_id\":\"r1\","
      "\"split_index\":\"%04u\",\"file_path\":\"/x/split_%04u.mp4\"}", index,
      index);

  gst_element_post_message (child, gst_message_new_element (GST_OBJECT
          (child), gst_structure_new ("splitmuxrec-split-archive-available",
              "recording-id", G_TYPE_STRING, "r1", "connection-id",
              G_TYPE_STRING, "c1", "location", G_TYPE_STRING, "/x/s.mp4",
              "sidecar", G_TYPE_STRING, sidecar, "size", G_TYPE_UINT64,
              (guint64) 1000 + index, "index", G_TYPE_UINT, index, NULL)));
  g_free (sidecar);
}

static guint64
get_u64 (GstElement * e, const gchar * prop)
{
  guint64 v;

  g_object_get (e, prop, &v, NULL);
  return v;
}

static void
check_split_order (Receiver * r, guint first, guint count, guint64 first_seq)
{
  GPtrArray *types = check_events (r, first_seq);
  guint i;

  fail_unless_equals_int (types->len, count);
  for (i = 0; i < count; i++) {
    JsonObject *o = parse_event (g_ptr_array_index (r->bodies, i));
    JsonObject *data = json_object_get_object_member (o, "data");
    gchar *want = g_strdup_printf ("%04u", first + i);

    fail_unless_equals_string (g_ptr_array_index (types, i),
        "split-archive.available");
    fail_unless_equals_string (json_object_get_string_member (data,
            "split_index"), want);
    g_free (want);
    json_object_unref (o);
  }
  g_ptr_array_unref (types);
}

GST_START_TEST (test_receiver_down_then_up)
{
  Receiver r = { 0 };
  guint port = free_port (), i;
  gchar *spool = g_build_filename (tmpdir, "spool", NULL);
  GstElement *child, *n = make_notifier (port, spool, &child);
  guint pending;

  fail_unless_equals_int (gst_element_set_state (n, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  for (i = 1; i <= 10; i++)
    post_split (child, i);
  /* connection refused, retried every second (retry-max=1) */
  g_usleep (1500 * 1000);
  fail_unless (get_u64 (n, "failed-attempts") >= 1);
  fail_unless_equals_uint64 (get_u64 (n, "delivered"), 0);
  g_object_get (n, "pending", &pending, NULL);
  fail_unless_equals_int (pending, 10);

  receiver_start (&r, port, 0);
  fail_unless_equals_int (receiver_wait (&r, 10, 10), 10);
  for (i = 0; i < 50 && get_u64 (n, "delivered") < 10; i++)
    g_usleep (20 * 1000);
  fail_unless_equals_uint64 (get_u64 (n, "delivered"), 10);
  check_split_order (&r, 1, 10, 1);

  gst_element_set_state (n, GST_STATE_NULL);
  gst_object_unref (n);
  receiver_clear (&r);
  g_free (spool);
}

GST_END_TEST;

/* Two URLs, one of them down: the other gets every event at once (a
 * destination's outage never holds another back); the down one gets them
 * all, in order, once it is up. */
GST_START_TEST (test_two_urls_one_down)
{
  Receiver up = { 0 }, down = { 0 };
  guint port_down = free_port (), i;
  gchar *spool = g_build_filename (tmpdir, "spool2", NULL);
  GstElement *child, *n;
  gchar *urls;
  guint pending;

  receiver_start (&up, 0, 0);
  n = make_notifier (up.port, spool, &child);
  urls = g_strdup_printf ("http://127.0.0.1:%u/hook,http://127.0.0.1:%u/hook",
      up.port, port_down);
  g_object_set (n, "urls", urls, NULL);
  g_free (urls);
  fail_unless_equals_int (gst_element_set_state (n, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  for (i = 1; i <= 10; i++)
    post_split (child, i);
  fail_unless_equals_int (receiver_wait (&up, 10, 5), 10);
  check_split_order (&up, 1, 10, 1);
  /* the other destination's ten are still pending (retried every second) */
  g_usleep (1200 * 1000);
  fail_unless (get_u64 (n, "failed-attempts") >= 1);
  g_object_get (n, "pending", &pending, NULL);
  fail_unless_equals_int (pending, 10);

  receiver_start (&down, port_down, 0);
  fail_unless_equals_int (receiver_wait (&down, 10, 10), 10);
  check_split_order (&down, 1, 10, 1);
  for (i = 0; i < 50 && get_u64 (n, "delivered") < 20; i++)
    g_usleep (20 * 1000);
  fail_unless_equals_uint64 (get_u64 (n, "delivered"), 20);
  /* each destination got each event once */
  fail_unless_equals_int (receiver_wait (&up, 11, 0), 10);

  gst_element_set_state (n, GST_STATE_NULL);
  gst_object_unref (n);
  receiver_clear (&up);
  receiver_clear (&down);
  g_free (spool);
}

GST_END_TEST;

GST_START_TEST (test_restart_delivers_pending)
{
  Receiver r = { 0 };
  guint port = free_port (), i;
  gchar *spool = g_build_filename (tmpdir, "spool", NULL);
  GstElement *child, *n = make_notifier (port, spool, &child);
  guint pending;

  /* the receiver is down; stopped with 5 events pending */
  gst_element_set_state (n, GST_STATE_READY);
  for (i = 1; i <= 5; i++)
    post_split (child, i);
  gst_element_set_state (n, GST_STATE_NULL);
  gst_object_unref (n);

  /* a new element on the same spool, the receiver up */
  receiver_start (&r, port, 0);
  n = make_notifier (port, spool, &child);
  gst_element_set_state (n, GST_STATE_READY);
  fail_unless_equals_int (receiver_wait (&r, 5, 10), 5);
  /* the numbers go on after the restart */
  post_split (child, 6);
  fail_unless_equals_int (receiver_wait (&r, 6, 10), 6);
  for (i = 0; i < 50 && get_u64 (n, "delivered") < 6; i++)
    g_usleep (20 * 1000);
  g_object_get (n, "pending", &pending, NULL);
  fail_unless_equals_int (pending, 0);
  check_split_order (&r, 1, 6, 1);

  gst_element_set_state (n, GST_STATE_NULL);
  gst_object_unref (n);
  receiver_clear (&r);
  g_free (spool);
}

GST_END_TEST;

GST_START_TEST (test_slow_receiver_does_not_stall)
{
  Receiver r = { 0 };
  gchar *props, *desc, *archive;
  Run run;
  gdouble plain, notified;
  guint pending;

  /* the same live recording (2 s) in a plain bin */
  archive = g_build_filename (tmpdir, "plain", NULL);
  desc = recording_desc ("bin", "", 60, TRUE, archive);
  run_to_eos (desc, &run);
  plain = run.seconds_to_eos;
  run_stop (&run);
  g_free (desc);
  g_free (archive);

  /* every answer takes 2 s */
  receiver_start (&r, 0, 2000);
  archive = g_build_filename (tmpdir, "slow", NULL);
  props = g_strdup_printf ("name=n url=http://127.0.0.1:%u/hook secret="
      SECRET " spool-dir=%s/spool drain-timeout=0", r.port, tmpdir);
  desc = recording_desc ("webhooknotify", props, 60, TRUE, archive);
  run_to_eos (desc, &run);
  notified = run.seconds_to_eos;
  {
    GstElement *n = gst_bin_get_by_name (GST_BIN (run.pipeline), "n");

    g_object_get (n, "pending", &pending, NULL);
    gst_object_unref (n);
  }
  GST_INFO ("plain %.2f s, with a slow receiver %.2f s, %u pending", plain,
      notified, pending);
  /* 8 events (2 split files and the whole one), at most 1 answered */
  fail_unless (pending >= 5, "only %u pending", pending);
  fail_unless (notified < plain + 1.0, "%.2f s instead of %.2f s", notified,
      plain);
  run_stop (&run);

  receiver_clear (&r);
  g_free (props);
  g_free (desc);
  g_free (archive);
}

GST_END_TEST;

GST_START_TEST (test_bad_settings)
{
  GstElement *n = gst_element_factory_make ("webhooknotify", NULL);

  /* no url */
  fail_unless_equals_int (gst_element_set_state (n, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  g_object_set (n, "url", "ftp://example.com/x", NULL);
  fail_unless_equals_int (gst_element_set_state (n, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  g_object_set (n, "urls", " http://127.0.0.1:1/a , http://127.0.0.1:1/b,",
      "spool-dir", tmpdir, NULL);
  {
    gchar *urls;

    g_object_get (n, "urls", &urls, NULL);
    fail_unless_equals_string (urls, "http://127.0.0.1:1/a,"
        "http://127.0.0.1:1/b");
    g_free (urls);
  }
  g_object_set (n, "drain-timeout", (guint64) 0, NULL);
  fail_unless_equals_int (gst_element_set_state (n, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  gst_element_set_state (n, GST_STATE_NULL);
  gst_object_unref (n);
}

GST_END_TEST;

static Suite *
webhooknotify_suite (void)
{
  Suite *s = suite_create ("webhooknotify");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, tempdir_setup, tempdir_cleanup);
  tcase_add_test (tc, test_split_recording_events);
  tcase_add_test (tc, test_receiver_down_then_up);
  tcase_add_test (tc, test_two_urls_one_down);
  tcase_add_test (tc, test_restart_delivers_pending);
  tcase_add_test (tc, test_slow_receiver_does_not_stall);
  tcase_add_test (tc, test_bad_settings);
  return s;
}

GST_CHECK_MAIN (webhooknotify);
