/* Element tests for rtparchivesink.
 *
 * The pad/depayloader/garbage/upstream-event tests run against the real
 * splitmuxrec when it is installed and against a small stand-in otherwise;
 * the recording tests need the real one and are skipped without it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "lib/filecheck.h"

static gboolean have_real_recorder;
static gchar *tmpdir;

/* ------------------------------------------------------------------ */
/* stand-in for splitmuxrec: request sink pads into fakesinks          */

typedef GstBin RrTestRecorderStub;
typedef GstBinClass RrTestRecorderStubClass;
static GType rr_test_recorder_stub_get_type (void);
G_DEFINE_TYPE (RrTestRecorderStub, rr_test_recorder_stub, GST_TYPE_BIN);

static GstStaticPadTemplate stub_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS_ANY);

static GstPad *
stub_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstPad *target, *ghost;
  gchar *pad_name = name && !strstr (name, "%") ? g_strdup (name) :
      g_strdup_printf ("sink_%u", element->numsinkpads);

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (element), sink);
  gst_element_sync_state_with_parent (sink);
  target = gst_element_get_static_pad (sink, "sink");
  ghost = gst_ghost_pad_new_from_template (pad_name, target, templ);
  gst_object_unref (target);
  g_free (pad_name);
  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (element, ghost);
  return ghost;
}

static void
rr_test_recorder_stub_class_init (RrTestRecorderStubClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gst_element_class_add_static_pad_template (element_class,
      &stub_sink_template);
  gst_element_class_set_static_metadata (element_class, "stub", "Sink",
      "splitmuxrec stand-in", "roomrec");
  element_class->request_new_pad = stub_request_new_pad;
}

static void
rr_test_recorder_stub_init (RrTestRecorderStub * self)
{
}

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static void
tempdir_setup (void)
{
  tmpdir = g_dir_make_tmp ("rtparchivesink-XXXXXX", NULL);
  fail_unless (tmpdir != NULL);
}

static void
rm_rf (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (dir != NULL) {
    while ((name = g_dir_read_name (dir)) != NULL) {
      gchar *child = g_build_filename (path, name, NULL);
      rm_rf (child);
      g_free (child);
    }
    g_dir_close (dir);
  }
  g_remove (path);
}

static void
tempdir_cleanup (void)
{
  if (g_getenv ("RTPARCHIVESINK_KEEP_FILES") == NULL)
    rm_rf (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static GstElement *
new_sink (gboolean jitterbuffer)
{
  GstElement *sink = gst_element_factory_make ("rtparchivesink", NULL);
  GstBus *bus;

  fail_unless (sink != NULL);
  g_object_set (sink, "jitterbuffer", jitterbuffer, NULL);
  if (have_real_recorder) {
    g_object_set (sink, "archive-dir", tmpdir, "recording-id", "test",
        "connection-id", "conn", NULL);
  }
  bus = gst_bus_new ();
  gst_element_set_bus (sink, bus);
  gst_object_unref (bus);
  return sink;
}

static GstHarness *
new_harness (GstElement * sink, const gchar * caps)
{
  GstHarness *h = gst_harness_new_with_element (sink, "sink_%u", NULL);

  gst_harness_set_src_caps_str (h, caps);
  return h;
}

static GstElement *
get_child (GstElement * sink, const gchar * name)
{
  return gst_bin_get_by_name (GST_BIN (sink), name);
}

/* An RTP packet; VP8 payload that is a continuation fragment (no S bit), so
 * that rtpvp8depay drops it without output. */
static GstBuffer *
make_rtp (guint8 pt, guint16 seq, guint32 ts, guint32 ssrc, gsize payload_len)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 12 + payload_len, NULL);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  memset (map.data, 0, map.size);
  map.data[0] = 0x80;
  map.data[1] = pt & 0x7f;
  GST_WRITE_UINT16_BE (map.data + 2, seq);
  GST_WRITE_UINT32_BE (map.data + 4, ts);
  GST_WRITE_UINT32_BE (map.data + 8, ssrc);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = seq * GST_MSECOND;
  return buf;
}

static GstBuffer *
make_bytes (const guint8 * data, gsize len)
{
  GstBuffer *buf = len ? gst_buffer_new_memdup (data, len) : gst_buffer_new ();

  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = 0;
  return buf;
}

static guint64
stat_u64 (GstElement * sink, const gchar * pad, const gchar * field)
{
  GstStructure *stats = NULL;
  const GstStructure *s;
  guint64 v = G_MAXUINT64;

  g_object_get (sink, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  if (pad != NULL) {
    const GValue *pv = gst_structure_get_value (stats, pad);
    fail_unless (pv != NULL && GST_VALUE_HOLDS_STRUCTURE (pv));
    s = gst_value_get_structure (pv);
  } else {
    s = stats;
  }
  fail_unless (gst_structure_get_uint64 (s, field, &v), "no field %s", field);
  gst_structure_free (stats);
  return v;
}

/* ------------------------------------------------------------------ */
/* pads and depayloaders                                               */

static const struct
{
  const gchar *caps;
  const gchar *depay;
  const gchar *encoding_name;
  gint clock_rate;
} depay_cases[] = {
  {"application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,"
        "payload=96", "rtpvp8depay", "VP8", 90000},
  /* lowercase, media and clock-rate filled in */
  {"application/x-rtp,encoding-name=vp9,payload=98", "rtpvp9depay", "VP9",
      90000},
  {"application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,"
        "payload=102,packetization-mode=(string)1", "rtph264depay", "H264",
      90000},
  {"application/x-rtp,media=video,clock-rate=90000,encoding-name=H265,"
        "payload=104", "rtph265depay", "H265", 90000},
  {"application/x-rtp,encoding-name=OPUS,payload=111", "rtpopusdepay",
      "OPUS", 48000},
  {"application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU,"
        "payload=0", "rtppcmudepay", "PCMU", 8000},
  {"application/x-rtp,encoding-name=PCMA,payload=8", "rtppcmadepay", "PCMA",
      8000},
  {"application/x-rtp,media=audio,clock-rate=44100,encoding-name=MP4A-LATM,"
        "payload=96,cpresent=(string)0,config=(string)40002410",
      "rtpmp4adepay", "MP4A-LATM", 44100},
  {"application/x-rtp,media=audio,clock-rate=44100,"
        "encoding-name=MPEG4-GENERIC,payload=96,mode=(string)AAC-hbr,"
        "config=(string)1210,sizelength=(string)13,indexlength=(string)3,"
        "indexdeltalength=(string)3,streamtype=(string)5", "rtpmp4gdepay",
      "MPEG4-GENERIC", 44100},
};

GST_START_TEST (test_depayloader_choice)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (depay_cases); i++) {
    gboolean use_jb = (i % 2) == 0;
    GstElement *sink = new_sink (use_jb);
    GstHarness *h = new_harness (sink, depay_cases[i].caps);
    GstElement *depay, *jb, *queue;
    GstPad *pad;
    GstCaps *caps;
    const GstStructure *s;
    gint rate = 0;
    guint j;

    GST_INFO ("case %u: %s", i, depay_cases[i].caps);
    depay = get_child (sink, "sink_0_depay");
    fail_unless (depay != NULL, "no depayloader for %s", depay_cases[i].caps);
    fail_unless_equals_string (GST_OBJECT_NAME (gst_element_get_factory
            (depay)), depay_cases[i].depay);

    jb = get_child (sink, "sink_0_jitterbuffer");
    queue = get_child (sink, "sink_0_queue");
    fail_unless ((jb != NULL) == use_jb);
    fail_unless ((queue != NULL) == !use_jb);
    if (jb) {
      guint latency;
      g_object_get (jb, "latency", &latency, NULL);
      fail_unless_equals_int (latency, 200);
      g_object_set (sink, "latency", 500, NULL);
      g_object_get (jb, "latency", &latency, NULL);
      fail_unless_equals_int (latency, 500);
    }
    gst_clear_object (&jb);
    gst_clear_object (&queue);

    if (g_object_class_find_property (G_OBJECT_GET_CLASS (depay),
            "request-keyframe")) {
      gboolean rk = FALSE, wk = FALSE;
      g_object_get (depay, "request-keyframe", &rk, "wait-for-keyframe", &wk,
          NULL);
      fail_unless (rk && wk);
    }

    /* the caps that reach the depayloader are fixed up; the jitter buffer
     * passes them on from its own thread */
    pad = gst_element_get_static_pad (depay, "sink");
    for (j = 0; j < 500 && !(caps = gst_pad_get_current_caps (pad)); j++)
      g_usleep (10000);
    fail_unless (caps != NULL, "caps not accepted for %s", depay_cases[i].caps);
    s = gst_caps_get_structure (caps, 0);
    fail_unless_equals_string (gst_structure_get_string (s, "encoding-name"),
        depay_cases[i].encoding_name);
    fail_unless (gst_structure_get_int (s, "clock-rate", &rate));
    fail_unless_equals_int (rate, depay_cases[i].clock_rate);
    gst_caps_unref (caps);
    gst_object_unref (pad);
    gst_object_unref (depay);

    gst_harness_teardown (h);
    gst_object_unref (sink);
  }
}

GST_END_TEST;

GST_START_TEST (test_request_pads)
{
  GstElement *sink = new_sink (TRUE);
  GstElement *recorder = NULL;
  GstPad *p0, *p1, *p5, *p6;

  g_object_get (sink, "recorder", &recorder, NULL);
  fail_unless (recorder != NULL);
  fail_unless (GST_OBJECT_PARENT (recorder) == GST_OBJECT (sink));

  p0 = gst_element_request_pad_simple (sink, "sink_%u");
  p1 = gst_element_request_pad_simple (sink, "sink_%u");
  p5 = gst_element_request_pad_simple (sink, "sink_5");
  p6 = gst_element_request_pad_simple (sink, "sink_%u");
  fail_unless_equals_string (GST_PAD_NAME (p0), "sink_0");
  fail_unless_equals_string (GST_PAD_NAME (p1), "sink_1");
  fail_unless_equals_string (GST_PAD_NAME (p5), "sink_5");
  fail_unless_equals_string (GST_PAD_NAME (p6), "sink_6");
  /* one recorder pad per sink pad */
  fail_unless_equals_int (recorder->numsinkpads, 4);

  gst_element_release_request_pad (sink, p1);
  gst_object_unref (p1);
  fail_unless_equals_int (recorder->numsinkpads, 3);
  fail_unless_equals_int (sink->numsinkpads, 3);

  gst_object_unref (p0);
  gst_object_unref (p5);
  gst_object_unref (p6);
  gst_object_unref (recorder);
  /* p0, p5, p6 are released on dispose */
  gst_object_unref (sink);
}

GST_END_TEST;

static GstMessage *
pop_error (GstElement * sink)
{
  GstBus *bus = gst_element_get_bus (sink);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

  gst_object_unref (bus);
  return msg;
}

GST_START_TEST (test_unknown_encoding)
{
  GstElement *sink = new_sink (FALSE);
  GstHarness *h = gst_harness_new_with_element (sink, "sink_%u", NULL);
  GstMessage *msg;
  GError *err = NULL;
  gchar *dbg = NULL;

  /* refused sticky events still "succeed"; the error is what counts */
  gst_pad_push_event (h->srcpad, gst_event_new_stream_start ("s"));
  gst_pad_push_event (h->srcpad,
      gst_event_new_caps (gst_caps_from_string ("application/x-rtp,"
              "media=video,clock-rate=90000,encoding-name=THEORA,"
              "payload=96")));
  {
    GstSegment seg;
    gst_segment_init (&seg, GST_FORMAT_TIME);
    gst_pad_push_event (h->srcpad, gst_event_new_segment (&seg));
  }
  msg = pop_error (sink);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, &dbg);
  GST_INFO ("error: %s", err->message);
  fail_unless (strstr (err->message, "THEORA") != NULL);
  fail_unless (strstr (err->message, "VP8") != NULL);
  fail_unless (strstr (err->message, "H264") != NULL);
  fail_unless (strstr (err->message, "OPUS") != NULL);
  g_clear_error (&err);
  g_free (dbg);
  gst_message_unref (msg);

  /* data after refused caps is refused, nothing crashes */
  fail_unless_equals_int (gst_harness_push (h, make_rtp (96, 1, 0, 1, 10)),
      GST_FLOW_NOT_NEGOTIATED);

  gst_harness_teardown (h);
  gst_object_unref (sink);
}

GST_END_TEST;

GST_START_TEST (test_missing_encoding_name)
{
  GstElement *sink = new_sink (FALSE);
  GstHarness *h = gst_harness_new_with_element (sink, "sink_%u", NULL);
  GstMessage *msg;

  gst_pad_push_event (h->srcpad, gst_event_new_stream_start ("s"));
  gst_pad_push_event (h->srcpad,
      gst_event_new_caps (gst_caps_from_string ("application/x-rtp,"
              "media=video,clock-rate=90000,payload=96")));
  msg = pop_error (sink);
  fail_unless (msg != NULL);
  gst_message_unref (msg);

  gst_harness_teardown (h);
  gst_object_unref (sink);
}

GST_END_TEST;

GST_START_TEST (test_av1)
{
  GstElement *sink = new_sink (TRUE);
  GstHarness *h = gst_harness_new_with_element (sink, "sink_%u", NULL);
  GstElementFactory *f = gst_element_factory_find ("rtpaomav1depay");
  if (f == NULL)
    f = gst_element_factory_find ("rtpav1depay");

  gst_pad_push_event (h->srcpad, gst_event_new_stream_start ("s"));
  gst_pad_push_event (h->srcpad,
      gst_event_new_caps (gst_caps_from_string ("application/x-rtp,"
              "media=video,clock-rate=90000,encoding-name=AV1,payload=45")));

  if (f != NULL) {
    GstElement *depay = get_child (sink, "sink_0_depay");
    fail_unless (depay != NULL);
    fail_unless (gst_element_get_factory (depay) == f);
    gst_object_unref (depay);
    gst_object_unref (f);
  } else {
    GstMessage *msg = pop_error (sink);
    GError *err = NULL;

    fail_unless (msg != NULL);
    gst_message_parse_error (msg, &err, NULL);
    GST_INFO ("error: %s", err->message);
    fail_unless (err->domain == GST_CORE_ERROR);
    fail_unless (strstr (err->message, "AV1") != NULL);
    fail_unless (strstr (err->message, "rtpaomav1depay") != NULL);
    g_clear_error (&err);
    gst_message_unref (msg);
  }

  gst_harness_teardown (h);
  gst_object_unref (sink);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* hostile input                                                       */

static GstPadProbeReturn
note_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const GstStructure *s = gst_event_get_structure (event);
  GAsyncQueue *notes = user_data;

  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM && s != NULL
      && gst_structure_has_name (s, "roomrec-stream-note"))
    g_async_queue_push (notes, gst_structure_copy (s));
  return GST_PAD_PROBE_OK;
}

/* Waits for a note @what whose uint @field is @value, skipping others. */
static GstStructure *
wait_note (GAsyncQueue * notes, const gchar * what, const gchar * field,
    guint value)
{
  GstStructure *note;

  while ((note = g_async_queue_timeout_pop (notes, 5 * G_USEC_PER_SEC))) {
    guint v = 0;

    GST_DEBUG ("note %" GST_PTR_FORMAT, note);
    if (g_strcmp0 (gst_structure_get_string (note, "what"), what) == 0
        && gst_structure_get_uint (note, field, &v) && v == value)
      return note;
    gst_structure_free (note);
  }
  return NULL;
}

GST_START_TEST (test_garbage_dropped_and_counted)
{
  GstElement *sink = new_sink (FALSE);
  GstHarness *h = new_harness (sink,
      "application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,"
      "payload=96");
  GstElement *recorder = NULL;
  GstPad *rec_pad;
  GAsyncQueue *notes = g_async_queue_new_full ((GDestroyNotify)
      gst_structure_free);
  GRand *rand = g_rand_new_with_seed (1234);
  guint8 bytes[1500];
  guint64 invalid = 0, wrong_pt = 0, received = 0, accepted = 0;
  GstStructure *note;
  guint i, j;

  g_object_get (sink, "recorder", &recorder, NULL);
  rec_pad = gst_element_get_static_pad (recorder, "sink_0");
  fail_unless (rec_pad != NULL);
  gst_pad_add_probe (rec_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      note_probe, notes, NULL);

  /* truncated: 0..11 bytes */
  for (i = 0; i < 12; i++) {
    for (j = 0; j < i; j++)
      bytes[j] = 0x80 + j;
    fail_unless_equals_int (gst_harness_push (h, make_bytes (bytes, i)),
        GST_FLOW_OK);
    invalid++;
  }
  /* wrong versions */
  for (i = 0; i < 3; i++) {
    GstBuffer *b = make_rtp (96, 1, 0, 1, 20);
    gst_buffer_memset (b, 0, (i == 2 ? 3 : i) << 6, 1);
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
    invalid++;
  }
  /* CSRC count past the end, extension past the end, bad padding */
  {
    GstBuffer *b = make_rtp (96, 1, 0, 1, 8);
    gst_buffer_memset (b, 0, 0x8f, 1);
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
    b = make_rtp (96, 1, 0, 1, 8);
    gst_buffer_memset (b, 0, 0x90, 1);
    gst_buffer_memset (b, 14, 0xff, 2);
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
    b = make_rtp (96, 1, 0, 1, 8);
    gst_buffer_memset (b, 0, 0xa0, 1);
    gst_buffer_memset (b, 19, 200, 1);
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
    b = make_rtp (96, 1, 0, 1, 0);      /* header only */
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
    /* rtcp-mux receiver report */
    b = make_rtp (96, 1, 0, 1, 20);
    gst_buffer_memset (b, 0, 0x81, 1);
    gst_buffer_memset (b, 1, 201, 1);
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
    invalid += 5;
  }
  fail_unless_equals_uint64 (stat_u64 (sink, "sink_0",
          "packets-dropped-invalid"), invalid);
  fail_unless_equals_uint64 (stat_u64 (sink, NULL, "packets-dropped-invalid"),
      invalid);

  /* valid RTP with another payload type */
  for (i = 0; i < 50; i++) {
    fail_unless_equals_int (gst_harness_push (h, make_rtp (97, i, 0, 1, 30)),
        GST_FLOW_OK);
    wrong_pt++;
  }
  fail_unless_equals_uint64 (stat_u64 (sink, "sink_0",
          "packets-dropped-wrong-pt"), wrong_pt);
  fail_unless_equals_uint64 (stat_u64 (sink, "sink_0", "packets-accepted"), 0);

  /* random bytes; a few may happen to look like valid VP8 RTP */
  for (i = 0; i < 3000; i++) {
    gsize n = g_rand_int_range (rand, 0, 300);
    for (j = 0; j < n; j++)
      bytes[j] = g_rand_int (rand);
    if (i % 2)
      bytes[0] = (bytes[0] & 0x3f) | 0x80;      /* version 2 */
    fail_unless_equals_int (gst_harness_push (h, make_bytes (bytes, n)),
        GST_FLOW_OK);
  }
  received = invalid + wrong_pt + 3000;
  fail_unless_equals_uint64 (stat_u64 (sink, "sink_0", "packets-received"),
      received);
  accepted = stat_u64 (sink, "sink_0", "packets-accepted");
  fail_unless (accepted < 100);
  fail_unless_equals_uint64 (accepted + stat_u64 (sink, "sink_0",
          "packets-dropped-invalid") + stat_u64 (sink, "sink_0",
          "packets-dropped-wrong-pt"), received);
  fail_unless (stat_u64 (sink, "sink_0", "packets-dropped-wrong-pt") >
      wrong_pt);

  /* a clean stream, then SSRC changes */
  gst_harness_push (h, make_rtp (96, 7, 0, 0x0f0f, 30));
  {
    guint64 ssrc_changes = stat_u64 (sink, "sink_0", "ssrc-changes");
    for (i = 0; i < 20; i++)
      gst_harness_push (h, make_rtp (96, 100 + i, 0, 0x1111, 30));
    for (i = 0; i < 20; i++)
      gst_harness_push (h, make_rtp (96, 40000 + i, 0, 0x2222, 30));
    fail_unless_equals_uint64 (stat_u64 (sink, "sink_0", "ssrc-changes"),
        ssrc_changes + 2);
  }
  /* the notes went through depayloader and queue to the recorder */
  note = wait_note (notes, "ssrc-changed", "new-ssrc", 0x1111);
  fail_unless (note != NULL);
  fail_unless_equals_string (gst_structure_get_string (note, "pad"), "sink_0");
  gst_structure_free (note);
  note = wait_note (notes, "ssrc-changed", "new-ssrc", 0x2222);
  fail_unless (note != NULL);
  {
    guint old_ssrc = 0;
    fail_unless (gst_structure_get_uint (note, "old-ssrc", &old_ssrc));
    fail_unless_equals_int (old_ssrc, 0x1111);
  }
  gst_structure_free (note);

  /* a huge sequence jump on the same SSRC */
  {
    guint64 jumps = stat_u64 (sink, "sink_0", "sequence-jumps");
    gst_harness_push (h, make_rtp (96, 40020 + 5000, 0, 0x2222, 30));
    note = wait_note (notes, "sequence-jump", "new-seq", 45020);
    fail_unless (note != NULL);
    gst_structure_free (note);
    fail_unless_equals_uint64 (stat_u64 (sink, "sink_0", "sequence-jumps"),
        jumps + 1);
  }

  g_rand_free (rand);
  gst_object_unref (rec_pad);
  gst_object_unref (recorder);
  gst_harness_teardown (h);
  gst_object_unref (sink);
  g_async_queue_unref (notes);
}

GST_END_TEST;

GST_START_TEST (test_buffer_list)
{
  GstElement *sink = new_sink (FALSE);
  GstHarness *h = new_harness (sink,
      "application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,"
      "payload=96");
  GstBufferList *list = gst_buffer_list_new ();
  guint8 junk[3] = { 1, 2, 3 };

  gst_buffer_list_add (list, make_rtp (96, 1, 0, 5, 10));
  gst_buffer_list_add (list, make_bytes (junk, 3));
  gst_buffer_list_add (list, make_rtp (33, 2, 0, 5, 10));
  gst_buffer_list_add (list, make_rtp (96, 3, 0, 5, 10));
  fail_unless_equals_int (gst_pad_push_list (h->srcpad, list), GST_FLOW_OK);
  fail_unless_equals_uint64 (stat_u64 (sink, "sink_0", "packets-received"), 4);
  fail_unless_equals_uint64 (stat_u64 (sink, "sink_0", "packets-accepted"), 2);
  fail_unless_equals_uint64 (stat_u64 (sink, "sink_0", "packets-lost"), 1);

  gst_harness_teardown (h);
  gst_object_unref (sink);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* upstream force-key-unit                                             */

static void
check_upstream_fku (gboolean use_jb)
{
  GstElement *sink = new_sink (use_jb);
  GstHarness *h = new_harness (sink,
      "application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,"
      "payload=96");
  GstElement *recorder = NULL;
  GstPad *rec_pad;
  GstEvent *ev = NULL;
  gboolean all_headers = FALSE;
  guint count = 0, i;

  g_object_get (sink, "recorder", &recorder, NULL);
  rec_pad = gst_element_get_static_pad (recorder, "sink_0");
  fail_unless (rec_pad != NULL);

  /* what splitmuxrec does: push the event upstream out of its sink pad */
  while ((ev = gst_harness_try_pull_upstream_event (h)))
    gst_event_unref (ev);
  fail_unless (gst_pad_push_event (rec_pad,
          gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
              TRUE, 7)));

  for (i = 0; i < 500 && ev == NULL; i++) {
    ev = gst_harness_try_pull_upstream_event (h);
    if (ev && !gst_video_event_is_force_key_unit (ev))
      gst_clear_event (&ev);
    if (ev == NULL)
      g_usleep (10000);
  }
  fail_unless (ev != NULL, "force-key-unit did not leave the sink pad");
  fail_unless (gst_video_event_parse_upstream_force_key_unit (ev, NULL,
          &all_headers, &count));
  fail_unless (all_headers);
  fail_unless_equals_int (count, 7);
  gst_event_unref (ev);

  gst_object_unref (rec_pad);
  gst_object_unref (recorder);
  gst_harness_teardown (h);
  gst_object_unref (sink);
}

GST_START_TEST (test_upstream_force_key_unit)
{
  check_upstream_fku (TRUE);
  check_upstream_fku (FALSE);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* recording with the real splitmuxrec                                 */

static void
run_pipeline (const gchar * desc)
{
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  GstBus *bus;
  GstMessage *msg;

  fail_unless (pipeline != NULL, "%s: %s", desc, err ? err->message : "");
  g_clear_error (&err);
  bus = gst_element_get_bus (pipeline);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "timeout running %s", desc);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gchar *dbg = NULL;
    gst_message_parse_error (msg, &err, &dbg);
    fail ("error running %s: %s (%s)", desc, err->message, dbg);
  }
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

typedef struct
{
  guint n_video_pads;
  guint n_audio_pads;
  guint n_frames;               /* decoded video frames */
  guint n_audio_buffers;
  gint first_video_is_key;      /* -1 unknown */
} FileInfo;

static GstPadProbeReturn
first_buffer_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  FileInfo *fi = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  fi->first_video_is_key = !GST_BUFFER_FLAG_IS_SET (buf,
      GST_BUFFER_FLAG_DELTA_UNIT);
  return GST_PAD_PROBE_REMOVE;
}

static void
demux_pad_added (GstElement * demux, GstPad * pad, FileInfo * fi)
{
  if (g_str_has_prefix (GST_PAD_NAME (pad), "video")) {
    fi->n_video_pads++;
    if (fi->n_video_pads == 1)
      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, first_buffer_probe,
          fi, NULL);
  } else if (g_str_has_prefix (GST_PAD_NAME (pad), "audio")) {
    fi->n_audio_pads++;
  }
}

static void
count_handoff (GstElement * fakesink, GstBuffer * buf, GstPad * pad, guint * n)
{
  (*n)++;
}

/* Demuxes and decodes @path; fails on any error. */
static FileInfo
inspect_file (const gchar * path, const gchar * demuxer,
    const gchar * video_decoder, gboolean with_audio)
{
  FileInfo fi = { 0, 0, 0, 0, -1 };
  gchar *desc;
  GstElement *pipeline, *demux, *vsink, *asink;
  GError *err = NULL;
  GstBus *bus;
  GstMessage *msg;

  fail_unless (g_file_test (path, G_FILE_TEST_IS_REGULAR), "no file %s", path);
  desc = g_strdup_printf ("filesrc location=\"%s\" ! %s name=d "
      "d.video_0 ! queue ! %s ! fakesink name=vs signal-handoffs=true "
      "sync=false async=false %s", path, demuxer, video_decoder,
      with_audio ? "d.audio_0 ! queue ! fakesink name=as signal-handoffs=true "
      "sync=false async=false" : "");
  pipeline = gst_parse_launch (desc, &err);
  fail_unless (pipeline != NULL, "%s", err ? err->message : "");
  g_free (desc);

  demux = gst_bin_get_by_name (GST_BIN (pipeline), "d");
  vsink = gst_bin_get_by_name (GST_BIN (pipeline), "vs");
  asink = gst_bin_get_by_name (GST_BIN (pipeline), "as");
  g_signal_connect (demux, "pad-added", G_CALLBACK (demux_pad_added), &fi);
  g_signal_connect (vsink, "handoff", G_CALLBACK (count_handoff), &fi.n_frames);
  if (asink != NULL)
    g_signal_connect (asink, "handoff", G_CALLBACK (count_handoff),
        &fi.n_audio_buffers);

  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "timeout reading %s", path);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, &err, NULL);
    fail ("error reading %s: %s", path, err->message);
  }
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  gst_object_unref (bus);
  gst_object_unref (demux);
  gst_object_unref (vsink);
  gst_clear_object (&asink);
  gst_object_unref (pipeline);
  GST_INFO ("%s: %u video pads, %u audio pads, %u frames, %u audio buffers, "
      "first key %d", path, fi.n_video_pads, fi.n_audio_pads, fi.n_frames,
      fi.n_audio_buffers, fi.first_video_is_key);
  return fi;
}

static gboolean
need (const gchar * factory)
{
  GstElementFactory *f = gst_element_factory_find (factory);

  if (f == NULL) {
    GST_WARNING ("%s missing, skipping", factory);
    return FALSE;
  }
  gst_object_unref (f);
  return TRUE;
}

#define VP8_FRAMES 90

GST_START_TEST (test_record_vp8_opus_webm)
{
  gchar *desc, *path;
  FileInfo fi;

  if (!have_real_recorder || !need ("vp8enc") || !need ("opusenc"))
    return;

  desc = g_strdup_printf ("videotestsrc num-buffers=%d ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay ! "
      "rtparchivesink name=rec archive-dir=\"%s\" recording-id=demo "
      "connection-id=alice format=webm "
      "audiotestsrc num-buffers=150 ! opusenc ! rtpopuspay ! rec.",
      VP8_FRAMES, tmpdir);
  run_pipeline (desc);
  g_free (desc);

  path = g_build_filename (tmpdir, "demo", "archive-alice.webm", NULL);
  fi = inspect_file (path, "matroskademux", "vp8dec", TRUE);
  fail_unless_equals_int (fi.n_video_pads, 1);
  fail_unless_equals_int (fi.n_audio_pads, 1);
  fail_unless_equals_int (fi.first_video_is_key, 1);
  fail_unless (fi.n_frames >= VP8_FRAMES - 2 && fi.n_frames <= VP8_FRAMES,
      "%u frames decoded, %d sent", fi.n_frames, VP8_FRAMES);
  fail_unless (fi.n_audio_buffers > 100);
  g_free (path);
}

GST_END_TEST;

#define H264_FRAMES 60

GST_START_TEST (test_record_h264_mp4)
{
  gchar *desc, *path;
  FileInfo fi;
  const gchar *dec = need ("avdec_h264") ? "avdec_h264" : "openh264dec";

  if (!have_real_recorder || !need ("x264enc") || !need (dec))
    return;

  desc = g_strdup_printf ("videotestsrc num-buffers=%d ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency key-int-max=30 speed-preset=ultrafast ! "
      "rtph264pay config-interval=-1 ! "
      "rtparchivesink archive-dir=\"%s\" recording-id=demo "
      "connection-id=bob format=mp4", H264_FRAMES, tmpdir);
  run_pipeline (desc);
  g_free (desc);

  path = g_build_filename (tmpdir, "demo", "archive-bob.mp4", NULL);
  fi = inspect_file (path, "qtdemux", dec, FALSE);
  fail_unless_equals_int (fi.n_video_pads, 1);
  fail_unless_equals_int (fi.n_audio_pads, 0);
  fail_unless_equals_int (fi.first_video_is_key, 1);
  fail_unless (fi.n_frames >= H264_FRAMES - 2 && fi.n_frames <= H264_FRAMES,
      "%u frames decoded, %d sent", fi.n_frames, H264_FRAMES);
  g_free (path);
}

GST_END_TEST;

static GstPadProbeReturn
arrive_at_once (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GstClockTime *first = user_data;

  /* what udpsrc stamps on packets read in one go: about the same time */
  if (!GST_CLOCK_TIME_IS_VALID (*first))
    *first = GST_BUFFER_DTS_IS_VALID (buf) ? GST_BUFFER_DTS (buf) :
        GST_BUFFER_PTS (buf);
  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = *first;
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

/* Three seconds of RTP that arrive at once (a burst after a network stall)
 * are three seconds in the file, as the RTP timestamps say; the jitter
 * buffer alone (mode=slave) squeezes them into one instant. */
GST_START_TEST (test_burst_keeps_media_time)
{
  gchar *desc, *path;
  GstElement *pipeline, *pay;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  RrTestMediaInfo mi;
  GstClockTime first = GST_CLOCK_TIME_NONE;

  if (!have_real_recorder || !need ("x264enc"))
    return;

  desc = g_strdup_printf ("videotestsrc num-buffers=%d ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency key-int-max=30 speed-preset=ultrafast ! "
      "rtph264pay name=pay config-interval=-1 ! "
      "rtparchivesink archive-dir=\"%s\" recording-id=demo "
      "connection-id=burst format=mp4", H264_FRAMES, tmpdir);
  pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (pipeline != NULL);
  pay = gst_bin_get_by_name (GST_BIN (pipeline), "pay");
  pad = gst_element_get_static_pad (pay, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, arrive_at_once, &first,
      NULL);
  gst_object_unref (pad);
  gst_object_unref (pay);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);

  path = g_build_filename (tmpdir, "demo", "archive-burst.mp4", NULL);
  rr_test_media_info (path, &mi);
  fail_unless (mi.video_frames >= H264_FRAMES - 2, "%u frames",
      mi.video_frames);
  /* H264_FRAMES at 30 fps, less the last frame's duration */
  fail_unless (mi.duration >= (H264_FRAMES - 2) * GST_SECOND / 30,
      "%" GST_TIME_FORMAT " in the file", GST_TIME_ARGS (mi.duration));
  g_free (path);
}

GST_END_TEST;

typedef struct
{
  guint n;
  gboolean restarted;
} RestartState;

/* Whether @buf is the first RTP packet of a VP8 key frame. */
static gboolean
is_vp8_keyframe_start (const guint8 * d, gsize size)
{
  gsize off = 12 + 4 * (d[0] & 0x0f);

  if (size < off + 4)
    return FALSE;
  d += off;
  size -= off;
  off = 1;
  if (!(d[0] & 0x10) || (d[0] & 0x0f) != 0)     /* S bit, partition 0 */
    return FALSE;
  if (d[0] & 0x80) {            /* X */
    off = 2;
    if (d[1] & 0x80)            /* I */
      off += (d[off] & 0x80) ? 2 : 1;
    if (d[1] & 0x40)            /* L */
      off++;
    if (d[1] & 0x30)            /* T, K */
      off++;
  }
  return off < size && !(d[off] & 0x01);
}

/* From the first key frame after packet 100 on, rewrites the RTP header as a
 * restarted sender would: new SSRC, sequence numbers and timestamps. */
static gboolean
restart_sender (GstBuffer ** buf, guint idx, gpointer data)
{
  RestartState *st = data;
  GstMapInfo map;

  if (st->n++ < 100)
    return TRUE;
  *buf = gst_buffer_make_writable (*buf);
  gst_buffer_map (*buf, &map, GST_MAP_READWRITE);
  if (map.size >= 12 && !st->restarted)
    st->restarted = is_vp8_keyframe_start (map.data, map.size);
  if (map.size >= 12 && st->restarted) {
    GST_WRITE_UINT16_BE (map.data + 2, GST_READ_UINT16_BE (map.data + 2) +
        20000);
    GST_WRITE_UINT32_BE (map.data + 4, GST_READ_UINT32_BE (map.data + 4) +
        123456789);
    GST_WRITE_UINT32_BE (map.data + 8, 0xcafe0001);
  }
  gst_buffer_unmap (*buf, &map);
  return TRUE;
}

static GstPadProbeReturn
restart_sender_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);

    list = gst_buffer_list_make_writable (list);
    gst_buffer_list_foreach (list, restart_sender, data);
    GST_PAD_PROBE_INFO_DATA (info) = list;
  } else {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

    restart_sender (&buf, 0, data);
    GST_PAD_PROBE_INFO_DATA (info) = buf;
  }
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_record_ssrc_change)
{
  gchar *desc, *path;
  GstElement *pipeline, *pay, *rec, *recorder = NULL;
  GAsyncQueue *notes = g_async_queue_new_full ((GDestroyNotify)
      gst_structure_free);
  GstStructure *note;
  GstPad *pad;
  GError *err = NULL;
  GstBus *bus;
  GstMessage *msg;
  RestartState st = { 0, FALSE };
  FileInfo fi;
  guint64 changes;

  if (!have_real_recorder || !need ("vp8enc"))
    return;

  /* live: in a fast non-live run the jitter buffer would still hold the
   * first GOP when it resets itself on the restart, and drop it */
  desc = g_strdup_printf ("videotestsrc is-live=true num-buffers=%d ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay name=pay mtu=400 ! "
      "rtparchivesink name=rec archive-dir=\"%s\" recording-id=demo "
      "connection-id=carol format=webm", VP8_FRAMES, tmpdir);
  pipeline = gst_parse_launch (desc, &err);
  fail_unless (pipeline != NULL);
  g_free (desc);
  pay = gst_bin_get_by_name (GST_BIN (pipeline), "pay");
  rec = gst_bin_get_by_name (GST_BIN (pipeline), "rec");
  pad = gst_element_get_static_pad (pay, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, restart_sender_probe, &st, NULL);
  gst_object_unref (pad);
  /* the note must reach splitmuxrec through jitter buffer and depayloader */
  g_object_get (rec, "recorder", &recorder, NULL);
  pad = gst_element_get_static_pad (recorder, "sink_0");
  fail_unless (pad != NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, note_probe,
      notes, NULL);
  gst_object_unref (pad);
  gst_object_unref (recorder);

  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, &err, NULL);
    fail ("error: %s", err->message);
  }
  gst_message_unref (msg);
  changes = stat_u64 (rec, "sink_0", "ssrc-changes");
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless (st.restarted);
  fail_unless_equals_uint64 (changes, 1);
  note = wait_note (notes, "ssrc-changed", "new-ssrc", 0xcafe0001);
  fail_unless (note != NULL, "no ssrc-changed note reached the recorder");
  gst_structure_free (note);
  g_async_queue_unref (notes);

  path = g_build_filename (tmpdir, "demo", "archive-carol.webm", NULL);
  fi = inspect_file (path, "matroskademux", "vp8dec", FALSE);
  fail_unless_equals_int (fi.n_video_pads, 1);
  fail_unless_equals_int (fi.first_video_is_key, 1);
  /* the restarted stream begins with a key frame: nothing is lost */
  fail_unless (fi.n_frames >= VP8_FRAMES - 2 && fi.n_frames <= VP8_FRAMES,
      "%u frames decoded, %d sent", fi.n_frames, VP8_FRAMES);
  g_free (path);

  gst_object_unref (bus);
  gst_object_unref (pay);
  gst_object_unref (rec);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static Suite *
rtparchivesink_suite (void)
{
  Suite *s = suite_create ("rtparchivesink");
  TCase *tc = tcase_create ("general");
  TCase *tc_rec = tcase_create ("recording");
  GstElementFactory *f = gst_element_factory_find ("splitmuxrec");

  if (f != NULL) {
    /* load it before rtparchivesink, which mirrors its properties */
    GstPluginFeature *loaded = gst_plugin_feature_load (GST_PLUGIN_FEATURE (f));
    have_real_recorder = loaded != NULL;
    gst_clear_object (&loaded);
    gst_object_unref (f);
  }
  if (!have_real_recorder) {
    gst_element_register (NULL, "splitmuxrec", GST_RANK_NONE,
        rr_test_recorder_stub_get_type ());
  }

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, tempdir_setup, tempdir_cleanup);
  tcase_add_test (tc, test_request_pads);
  tcase_add_test (tc, test_depayloader_choice);
  tcase_add_test (tc, test_unknown_encoding);
  tcase_add_test (tc, test_missing_encoding_name);
  tcase_add_test (tc, test_av1);
  tcase_add_test (tc, test_garbage_dropped_and_counted);
  tcase_add_test (tc, test_buffer_list);
  tcase_add_test (tc, test_upstream_force_key_unit);

  suite_add_tcase (s, tc_rec);
  tcase_add_checked_fixture (tc_rec, tempdir_setup, tempdir_cleanup);
  tcase_set_timeout (tc_rec, 120);
  tcase_add_test (tc_rec, test_record_vp8_opus_webm);
  tcase_add_test (tc_rec, test_record_h264_mp4);
  tcase_add_test (tc_rec, test_burst_keeps_media_time);
  tcase_add_test (tc_rec, test_record_ssrc_change);

  return s;
}

GST_CHECK_MAIN (rtparchivesink);
