/* Unit tests for the on-disk event queue (gst/core/spool.c). */
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const RrSpoolOptions fast = {.no_sync = TRUE };

static gchar *
make_tmp_dir (void)
{
  GError *err = NULL;
  gchar *dir = g_dir_make_tmp ("roomrec-spool-XXXXXX", &err);

  g_assert_no_error (err);
  return dir;
}

static void
remove_tree (const gchar * path)
{
  GDir *dir;
  const gchar *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR)
      || g_file_test (path, G_FILE_TEST_IS_SYMLINK)) {
    g_unlink (path);
    return;
  }
  g_chmod (path, 0700);
  dir = g_dir_open (path, 0, NULL);
  if (dir) {
    while ((name = g_dir_read_name (dir)) != NULL) {
      gchar *child = g_build_filename (path, name, NULL);

      remove_tree (child);
      g_free (child);
    }
    g_dir_close (dir);
  }
  g_rmdir (path);
}

static gchar *
queue_path (const gchar * dir)
{
  return g_build_filename (dir, RR_SPOOL_FILE_NAME, NULL);
}

static void
write_queue (const gchar * dir, const guint8 * data, gsize len)
{
  gchar *path = queue_path (dir);
  GError *err = NULL;

  g_mkdir_with_parents (dir, 0700);
  g_file_set_contents (path, (const gchar *) data, len, &err);
  g_assert_no_error (err);
  g_free (path);
}

static GBytes *
read_queue (const gchar * dir)
{
  gchar *path = queue_path (dir), *data = NULL;
  gsize len = 0;
  GError *err = NULL;

  g_file_get_contents (path, &data, &len, &err);
  g_assert_no_error (err);
  g_free (path);
  return g_bytes_new_take (data, len);
}

static void
append_ok (RrSpool * s, const gchar * text, guint64 want_seq)
{
  GError *err = NULL;
  guint64 seq = 0;

  g_assert_true (rr_spool_append (s, text, strlen (text), &seq, &err));
  g_assert_no_error (err);
  g_assert_cmpuint (seq, ==, want_seq);
}

/* The oldest is @text with @want_seq; acks it. */
static void
pop_ok (RrSpool * s, const gchar * text, guint64 want_seq)
{
  GError *err = NULL;
  GBytes *b = NULL;
  guint64 seq = 0;
  gsize len;
  const gchar *data;

  g_assert_true (rr_spool_peek (s, &seq, &b, &err));
  g_assert_no_error (err);
  g_assert_nonnull (b);
  g_assert_cmpuint (seq, ==, want_seq);
  data = g_bytes_get_data (b, &len);
  g_assert_cmpuint (len, ==, strlen (text));
  g_assert_cmpmem (data, len, text, strlen (text));
  g_assert_cmpint (data[len], ==, '\0');
  g_bytes_unref (b);
  g_assert_true (rr_spool_ack (s, seq, &err));
  g_assert_no_error (err);
}

static void
assert_empty (RrSpool * s)
{
  GBytes *b = (GBytes *) 1;
  guint64 seq = 99;

  g_assert_true (rr_spool_peek (s, &seq, &b, NULL));
  g_assert_null (b);
  g_assert_cmpuint (seq, ==, 0);
  g_assert_cmpuint (rr_spool_count (s), ==, 0);
  g_assert_cmpuint (rr_spool_bytes (s), ==, 0);
}

static void
test_crc32 (void)
{
  /* the CRC-32 check value; zlib.crc32(b"123456789") */
  g_assert_cmphex (rr_spool_crc32 (0, (const guint8 *) "123456789", 9), ==,
      0xCBF43926);
  g_assert_cmphex (rr_spool_crc32 (rr_spool_crc32 (0,
              (const guint8 *) "1234", 4), (const guint8 *) "56789", 5), ==,
      0xCBF43926);
  g_assert_cmphex (rr_spool_crc32 (0, NULL, 0), ==, 0);
}

static void
test_dir_name (void)
{
  static const gchar *dests[] = {
    "https://hooks.example.com/in?x=1", "../../etc/passwd", "..", ".", "/",
    "", "http://[::1]:8080/", "file:///", ".hidden", "a/b\\c\nd",
    "https://例え.jp/フック",
    "https://a-very-long-host-name.example.org/and/a/very/long/path/too",
  };
  GHashTable *seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  gchar *root = make_tmp_dir ();
  guint i;

  for (i = 0; i < G_N_ELEMENTS (dests); i++) {
    gchar *name = rr_spool_dir_name (dests[i]);
    gchar *again = rr_spool_dir_name (dests[i]);
    gchar *dir, *parent;
    const gchar *p;
    RrSpool *s;
    GError *err = NULL;

    g_assert_cmpstr (name, ==, again);
    g_assert_cmpuint (strlen (name), <=, 40 + 17);
    g_assert_cmpuint (strlen (name), >, 17);
    g_assert_true (name[0] != '.');
    for (p = name; *p; p++)
      g_assert_true (g_ascii_isalnum (*p) || strchr ("._-", *p));
    g_assert_false (g_hash_table_contains (seen, name));

    /* the spool lands right under the root */
    dir = g_build_filename (root, name, NULL);
    s = rr_spool_open (dir, &fast, &err);
    g_assert_no_error (err);
    rr_spool_close (s);
    parent = g_path_get_dirname (dir);
    g_assert_cmpstr (parent, ==, root);
    g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));

    g_hash_table_add (seen, name);
    g_free (parent);
    g_free (dir);
    g_free (again);
  }
  {
    gchar *n = rr_spool_dir_name ("https://hooks.example.com/in?x=1");

    g_assert_true (g_str_has_prefix (n, "hooks.example.com_in_x_1-"));
    g_free (n);
  }
  /* nothing but the spools was created */
  {
    GDir *d = g_dir_open (root, 0, NULL);
    guint n = 0;

    while (g_dir_read_name (d))
      n++;
    g_dir_close (d);
    g_assert_cmpuint (n, ==, G_N_ELEMENTS (dests));
  }
  g_hash_table_unref (seen);
  remove_tree (root);
  g_free (root);
}

static void
test_order_and_ack (void)
{
  gchar *dir = make_tmp_dir ();
  GError *err = NULL;
  RrSpool *s = rr_spool_open (dir, NULL, &err);
  gchar *text;
  guint i;

  g_assert_no_error (err);
  assert_empty (s);
  for (i = 1; i <= 5; i++) {
    text = g_strdup_printf ("{\"n\":%u}", i);
    append_ok (s, text, i);
    g_free (text);
  }
  g_assert_cmpuint (rr_spool_count (s), ==, 5);
  g_assert_cmpuint (rr_spool_bytes (s), ==, 5 * (RR_SPOOL_RECORD_HEADER_SIZE
          + 7));
  g_assert_cmpuint (rr_spool_file_bytes (s), ==, RR_SPOOL_HEADER_SIZE
      + rr_spool_bytes (s));

  /* only the oldest can be acked */
  g_assert_false (rr_spool_ack (s, 2, &err));
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&err);
  /* peek does not remove */
  {
    GBytes *a, *b;
    guint64 sa, sb;

    g_assert_true (rr_spool_peek (s, &sa, &a, NULL));
    g_assert_true (rr_spool_peek (s, &sb, &b, NULL));
    g_assert_cmpuint (sa, ==, 1);
    g_assert_cmpuint (sb, ==, 1);
    g_assert_true (g_bytes_equal (a, b));
    g_bytes_unref (a);
    g_bytes_unref (b);
  }
  pop_ok (s, "{\"n\":1}", 1);
  pop_ok (s, "{\"n\":2}", 2);
  g_assert_cmpuint (rr_spool_count (s), ==, 3);
  /* appends while draining keep the order */
  append_ok (s, "{\"n\":6}", 6);
  for (i = 3; i <= 6; i++) {
    text = g_strdup_printf ("{\"n\":%u}", i);
    pop_ok (s, text, i);
    g_free (text);
  }
  assert_empty (s);
  g_assert_false (rr_spool_ack (s, 7, &err));
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&err);

  /* an empty event and one with multi-byte UTF-8 */
  append_ok (s, "", 7);
  append_ok (s, "{\"s\":\"é€😀\"}", 8);
  pop_ok (s, "", 7);
  pop_ok (s, "{\"s\":\"é€😀\"}", 8);
  rr_spool_close (s);
  remove_tree (dir);
  g_free (dir);
}

static void
test_reopen (void)
{
  gchar *dir = make_tmp_dir ();
  GError *err = NULL;
  RrSpool *s = rr_spool_open (dir, NULL, &err);
  RrSpoolRecovery rec;
  gchar *text;
  guint i;

  g_assert_no_error (err);
  for (i = 1; i <= 10; i++) {
    text = g_strdup_printf ("{\"event\":%u,\"pad\":\"%*s\"}", i, i * 7, "");
    append_ok (s, text, i);
    g_free (text);
  }
  for (i = 1; i <= 3; i++) {
    text = g_strdup_printf ("{\"event\":%u,\"pad\":\"%*s\"}", i, i * 7, "");
    pop_ok (s, text, i);
    g_free (text);
  }
  rr_spool_close (s);

  s = rr_spool_open (dir, NULL, &err);
  g_assert_no_error (err);
  rr_spool_get_recovery (s, &rec);
  g_assert_cmpuint (rec.tail_bytes, ==, 0);
  g_assert_cmpuint (rec.corrupt_bytes, ==, 0);
  g_assert_cmpuint (rec.lost_events, ==, 0);
  g_assert_cmpuint (rr_spool_count (s), ==, 7);
  /* numbers go on after a reopen */
  append_ok (s, "{\"event\":11}", 11);
  for (i = 4; i <= 10; i++) {
    text = g_strdup_printf ("{\"event\":%u,\"pad\":\"%*s\"}", i, i * 7, "");
    pop_ok (s, text, i);
    g_free (text);
  }
  rr_spool_close (s);

  s = rr_spool_open (dir, NULL, &err);
  g_assert_no_error (err);
  pop_ok (s, "{\"event\":11}", 11);
  assert_empty (s);
  rr_spool_close (s);

  /* and after everything was acked */
  s = rr_spool_open (dir, NULL, &err);
  g_assert_no_error (err);
  assert_empty (s);
  append_ok (s, "{}", 12);
  rr_spool_close (s);

  remove_tree (dir);
  g_free (dir);
}

/* ------------------------------------------------------------------ */
/* A file with events and acks, and what any damage to it must leave   */

typedef struct
{
  gboolean ack;
  guint64 seq;
  gsize end;                    /* file offset after the record */
  gchar *payload;
} Op;

typedef struct
{
  GBytes *file;
  Op ops[32];
  guint n_ops;
} Fixture;

static void
fixture_build (Fixture * f, const gchar * dir)
{
  static const gchar *const script[] = {
    "+{\"n\":1}", "+{\"n\":2,\"s\":\"é€\"}", "+", "-",
    "+{\"n\":4,\"pad\":\"0123456789abcdef\"}", "-", "+{\"n\":5}", "-",
    "+{\"type\":\"archive.available\",\"seq\":6}", "+{\"n\":7}",
  };
  GError *err = NULL;
  RrSpool *s;
  guint i;
  guint64 next = 1, oldest = 1;

  remove_tree (dir);
  s = rr_spool_open (dir, &fast, &err);
  g_assert_no_error (err);
  memset (f, 0, sizeof (*f));
  for (i = 0; i < G_N_ELEMENTS (script); i++) {
    Op *op = &f->ops[f->n_ops++];

    if (script[i][0] == '+') {
      op->payload = g_strdup (script[i] + 1);
      op->seq = next++;
      append_ok (s, op->payload, op->seq);
    } else {
      op->ack = TRUE;
      op->seq = oldest++;
      g_assert_true (rr_spool_ack (s, op->seq, &err));
      g_assert_no_error (err);
    }
    op->end = rr_spool_file_bytes (s);
  }
  rr_spool_close (s);
  f->file = read_queue (dir);
  g_assert_cmpuint (g_bytes_get_size (f->file), ==, f->ops[f->n_ops - 1].end);
}

static void
fixture_clear (Fixture * f)
{
  guint i;

  for (i = 0; i < f->n_ops; i++)
    g_free (f->ops[i].payload);
  g_bytes_unref (f->file);
}

/* The events left when the records ending at or before @upto survive,
 * except record @skip (-1: none); acks ack everything up to their seq. */
static GPtrArray *
fixture_expect (const Fixture * f, gsize upto, gint skip)
{
  GPtrArray *left = g_ptr_array_new ();
  guint i;

  for (i = 0; i < f->n_ops; i++) {
    const Op *op = &f->ops[i];

    if (op->end > upto || (gint) i == skip)
      continue;
    if (!op->ack) {
      g_ptr_array_add (left, (gpointer) op);
    } else {
      while (left->len && ((Op *) left->pdata[0])->seq <= op->seq)
        g_ptr_array_remove_index (left, 0);
    }
  }
  return left;
}

/* Opens @dir and drains it, checking it holds exactly @want. */
static void
check_spool (const gchar * dir, GPtrArray * want)
{
  GError *err = NULL;
  RrSpool *s = rr_spool_open (dir, &fast, &err);
  guint i;

  g_assert_no_error (err);
  g_assert_cmpuint (rr_spool_count (s), ==, want->len);
  for (i = 0; i < want->len; i++) {
    const Op *op = want->pdata[i];

    pop_ok (s, op->payload, op->seq);
  }
  assert_empty (s);
  rr_spool_close (s);
}

static void
test_torn_tail (void)
{
  gchar *dir = make_tmp_dir ();
  Fixture f;
  const guint8 *data;
  gsize len, k;

  fixture_build (&f, dir);
  data = g_bytes_get_data (f.file, &len);

  for (k = 0; k <= len; k++) {
    GError *err = NULL;
    RrSpool *s;
    RrSpoolRecovery rec;
    GPtrArray *want;
    gsize last_end = RR_SPOOL_HEADER_SIZE;
    guint i;
    GBytes *after;

    remove_tree (dir);
    write_queue (dir, data, k);
    s = rr_spool_open (dir, &fast, &err);
    if (k > 0 && k < RR_SPOOL_HEADER_SIZE) {
      /* cannot happen (the header is written before a rename), but a
       * clear error, and the file left alone */
      g_assert_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_null (s);
      g_clear_error (&err);
      after = read_queue (dir);
      g_assert_cmpuint (g_bytes_get_size (after), ==, k);
      g_bytes_unref (after);
      continue;
    }
    g_assert_no_error (err);
    for (i = 0; i < f.n_ops; i++)
      if (f.ops[i].end <= k)
        last_end = f.ops[i].end;
    rr_spool_get_recovery (s, &rec);
    if (k == 0) {
      g_assert_cmpuint (rec.tail_bytes, ==, 0);
    } else {
      g_assert_cmpuint (rec.tail_bytes, ==, k - last_end);
      /* cut back to the last whole record */
      g_assert_cmpuint (rr_spool_file_bytes (s), ==, last_end);
    }
    g_assert_cmpuint (rec.corrupt_bytes, ==, 0);
    g_assert_cmpuint (rec.lost_events, ==, 0);
    rr_spool_close (s);
    after = read_queue (dir);
    g_assert_cmpuint (g_bytes_get_size (after), ==, k ? last_end :
        RR_SPOOL_HEADER_SIZE);
    g_bytes_unref (after);

    want = fixture_expect (&f, k, -1);
    check_spool (dir, want);
    g_ptr_array_unref (want);
  }

  /* a torn write that left zeros or garbage instead of a short file */
  {
    static const guint8 fills[] = { 0x00, 0xff, 0xf5 };
    guint i;

    for (i = 0; i < G_N_ELEMENTS (fills); i++) {
      gsize cut = f.ops[f.n_ops - 2].end + 5;
      guint8 *copy = g_memdup2 (data, len);
      GPtrArray *want = fixture_expect (&f, cut, -1);

      memset (copy + cut, fills[i], len - cut);
      remove_tree (dir);
      write_queue (dir, copy, len);
      check_spool (dir, want);
      g_ptr_array_unref (want);
      g_free (copy);
    }
  }

  fixture_clear (&f);
  remove_tree (dir);
  g_free (dir);
}

static void
test_corruption (void)
{
  static const guint8 flips[] = { 0x01, 0x80, 0xff };
  gchar *dir = make_tmp_dir ();
  Fixture f;
  const guint8 *data;
  gsize len, k;
  guint fl;

  fixture_build (&f, dir);
  data = g_bytes_get_data (f.file, &len);

  for (fl = 0; fl < G_N_ELEMENTS (flips); fl++) {
    for (k = 0; k < len; k++) {
      guint8 *copy = g_memdup2 (data, len);
      GError *err = NULL;
      RrSpool *s;
      RrSpoolRecovery rec;
      GPtrArray *want;
      gint hit = -1;
      guint i;

      copy[k] ^= flips[fl];
      remove_tree (dir);
      write_queue (dir, copy, len);
      s = rr_spool_open (dir, &fast, &err);
      if (k < RR_SPOOL_HEADER_SIZE) {
        GBytes *after;

        g_assert_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
        g_assert_null (s);
        g_clear_error (&err);
        after = read_queue (dir);
        g_assert_cmpmem (g_bytes_get_data (after, NULL),
            g_bytes_get_size (after), copy, len);
        g_bytes_unref (after);
        g_free (copy);
        continue;
      }
      g_assert_no_error (err);
      for (i = 0; i < f.n_ops && hit < 0; i++)
        if (k < f.ops[i].end)
          hit = i;
      rr_spool_get_recovery (s, &rec);
      if (hit == (gint) f.n_ops - 1) {
        /* the last record: a torn tail */
        g_assert_cmpuint (rec.tail_bytes, ==, len - f.ops[hit - 1].end);
        g_assert_cmpuint (rec.corrupt_bytes, ==, 0);
      } else {
        /* skipped; the records after it are kept */
        g_assert_cmpuint (rec.tail_bytes, ==, 0);
        g_assert_cmpuint (rec.corrupt_bytes, ==, f.ops[hit].end
            - (hit ? f.ops[hit - 1].end : RR_SPOOL_HEADER_SIZE));
        /* a lost event shows in the numbers of the next one */
        g_assert_cmpuint (rec.lost_events, ==, f.ops[hit].ack ? 0 : 1);
      }
      rr_spool_close (s);
      g_free (copy);

      /* the file was repaired: a second open finds nothing to fix */
      s = rr_spool_open (dir, &fast, &err);
      g_assert_no_error (err);
      rr_spool_get_recovery (s, &rec);
      g_assert_cmpuint (rec.tail_bytes + rec.corrupt_bytes, ==, 0);
      rr_spool_close (s);

      /* a lost ack brings its event back: delivered twice, never lost */
      want = fixture_expect (&f, len, hit);
      check_spool (dir, want);
      g_ptr_array_unref (want);
    }
  }
  fixture_clear (&f);
  remove_tree (dir);
  g_free (dir);
}

/* Records written by an independent implementation (Python's struct and
 * zlib.crc32; the generator is in docs/webhooks.md): the seeds of the fuzz
 * target. */
static void
test_python_files (void)
{
  const gchar *src = g_getenv ("ROOMREC_SOURCE_DIR");
  gchar *corpus, *path, *data = NULL, *dir;
  gsize len;
  GError *err = NULL;
  RrSpool *s;
  RrSpoolRecovery rec;

  if (src == NULL) {
    g_test_skip ("ROOMREC_SOURCE_DIR is not set");
    return;
  }
  corpus = g_build_filename (src, "tests", "fuzz", "corpus", "spool", NULL);
  dir = make_tmp_dir ();

  path = g_build_filename (corpus, "three-events-one-ack", NULL);
  g_assert_true (g_file_get_contents (path, &data, &len, &err));
  g_free (path);
  write_queue (dir, (const guint8 *) data, len);
  g_free (data);
  s = rr_spool_open (dir, &fast, &err);
  g_assert_no_error (err);
  g_assert_cmpuint (rr_spool_count (s), ==, 2);
  pop_ok (s, "{\"n\":2,\"s\":\"é€\"}", 2);
  pop_ok (s, "", 3);
  append_ok (s, "{}", 4);
  rr_spool_close (s);

  remove_tree (dir);
  path = g_build_filename (corpus, "base-seq-100", NULL);
  g_assert_true (g_file_get_contents (path, &data, &len, &err));
  g_free (path);
  write_queue (dir, (const guint8 *) data, len);
  g_free (data);
  s = rr_spool_open (dir, &fast, &err);
  g_assert_no_error (err);
  pop_ok (s, "{\"a\":101}", 101);
  append_ok (s, "{}", 102);
  rr_spool_close (s);

  /* events 1–5, a byte of event 2 changed: 4 left, one lost */
  remove_tree (dir);
  path = g_build_filename (corpus, "corrupt-middle", NULL);
  g_assert_true (g_file_get_contents (path, &data, &len, &err));
  g_free (path);
  write_queue (dir, (const guint8 *) data, len);
  g_free (data);
  s = rr_spool_open (dir, &fast, &err);
  g_assert_no_error (err);
  rr_spool_get_recovery (s, &rec);
  g_assert_cmpuint (rec.lost_events, ==, 1);
  g_assert_cmpuint (rec.corrupt_bytes, ==, RR_SPOOL_RECORD_HEADER_SIZE + 7);
  pop_ok (s, "{\"n\":1}", 1);
  pop_ok (s, "{\"n\":3}", 3);
  pop_ok (s, "{\"n\":4}", 4);
  pop_ok (s, "{\"n\":5}", 5);
  assert_empty (s);
  rr_spool_close (s);

  remove_tree (dir);
  g_free (dir);
  g_free (corpus);
}

static void
test_full (void)
{
  gchar *dir = make_tmp_dir ();
  RrSpoolOptions o = { 0 };
  GError *err = NULL;
  RrSpool *s;
  gchar *big;
  guint i;

  /* room for 4 records of 10 bytes */
  o.max_bytes = 4 * (RR_SPOOL_RECORD_HEADER_SIZE + 10);
  o.max_record = 100;
  s = rr_spool_open (dir, &o, &err);
  g_assert_no_error (err);
  for (i = 1; i <= 4; i++)
    append_ok (s, "0123456789", i);
  g_assert_false (rr_spool_append (s, "0123456789", 10, NULL, &err));
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  {
    gchar *want = g_strdup_printf ("spool '%s' is full: 4 events, 152 bytes "
        "waiting (limit 152 bytes); the event of 10 bytes was not queued",
        dir);

    g_assert_cmpstr (err->message, ==, want);
    g_free (want);
  }
  g_clear_error (&err);
  /* nothing was written */
  g_assert_cmpuint (rr_spool_count (s), ==, 4);
  g_assert_cmpuint (rr_spool_file_bytes (s), ==, RR_SPOOL_HEADER_SIZE
      + o.max_bytes);
  /* a smaller one still fits?  no: 0 bytes left */
  g_assert_false (rr_spool_append (s, "", 0, NULL, &err));
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_clear_error (&err);
  /* an ack makes room */
  pop_ok (s, "0123456789", 1);
  append_ok (s, "0123456789", 5);

  /* one event larger than max_record */
  big = g_strnfill (101, 'x');
  g_assert_false (rr_spool_append (s, big, 101, NULL, &err));
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_clear_error (&err);
  g_free (big);

  /* not text */
  g_assert_false (rr_spool_append (s, "a\0b", 3, NULL, &err));
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&err);
  g_assert_false (rr_spool_append (s, "\xff\xfe", 2, NULL, &err));
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&err);
  rr_spool_close (s);

  /* a count limit */
  remove_tree (dir);
  memset (&o, 0, sizeof (o));
  o.max_events = 2;
  s = rr_spool_open (dir, &o, &err);
  g_assert_no_error (err);
  append_ok (s, "{}", 1);
  append_ok (s, "{}", 2);
  g_assert_false (rr_spool_append (s, "{}", 2, NULL, &err));
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_nonnull (strstr (err->message, ", 2 events)"));
  g_clear_error (&err);
  rr_spool_close (s);

  remove_tree (dir);
  g_free (dir);
}

static void
test_unwritable (void)
{
  gchar *root = make_tmp_dir ();
  gchar *file = g_build_filename (root, "a-file", NULL);
  gchar *under_file = g_build_filename (file, "spool", NULL);
  gchar *dir = g_build_filename (root, "spool", NULL);
  gchar *qpath = queue_path (dir);
  gchar *target = g_build_filename (root, "target", NULL);
  GError *err = NULL;
  RrSpool *s;

  /* a path through a regular file */
  g_file_set_contents (file, "x", 1, NULL);
  s = rr_spool_open (under_file, NULL, &err);
  g_assert_null (s);
  g_assert_nonnull (err);
  g_assert_true (err->domain == G_IO_ERROR);
  g_assert_nonnull (strstr (err->message, under_file));
  g_clear_error (&err);

  /* a directory without write permission (root may write anyway) */
  if (geteuid () != 0) {
    g_mkdir (dir, 0500);
    s = rr_spool_open (dir, NULL, &err);
    g_assert_null (s);
    g_assert_error (err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
    g_clear_error (&err);
    g_chmod (dir, 0700);
  } else {
    g_test_message ("running as root: permission bits not checked");
  }

  /* queue.rrq is a directory */
  g_mkdir_with_parents (qpath, 0700);
  s = rr_spool_open (dir, NULL, &err);
  g_assert_null (s);
  g_assert_nonnull (err);
  g_clear_error (&err);
  g_rmdir (qpath);

  /* queue.rrq is a symlink: not followed, its target left alone */
  g_file_set_contents (target, "keep", 4, NULL);
  g_assert_cmpint (symlink (target, qpath), ==, 0);
  s = rr_spool_open (dir, NULL, &err);
  g_assert_null (s);
  g_assert_nonnull (err);
  g_clear_error (&err);
  {
    gchar *contents = NULL;

    g_file_get_contents (target, &contents, NULL, NULL);
    g_assert_cmpstr (contents, ==, "keep");
    g_free (contents);
  }
  g_unlink (qpath);

  /* not a spool, or a newer one: refused, and not touched */
  {
    static const gchar text[] = "{\"not\":\"a spool\"} and more text";
    guint8 newer[RR_SPOOL_HEADER_SIZE] = { 0x89, 'R', 'R', 'S', 'P', 'L',
      '\r', '\n', 2, 0, 0, 0, 1
    };
    guint32 crc = rr_spool_crc32 (0, newer, 20);
    GBytes *after;

    write_queue (dir, (const guint8 *) text, sizeof (text) - 1);
    s = rr_spool_open (dir, NULL, &err);
    g_assert_null (s);
    g_assert_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (err->message, "not a roomrec spool"));
    g_clear_error (&err);
    after = read_queue (dir);
    g_assert_cmpmem (g_bytes_get_data (after, NULL), g_bytes_get_size (after),
        text, sizeof (text) - 1);
    g_bytes_unref (after);

    newer[20] = crc;
    newer[21] = crc >> 8;
    newer[22] = crc >> 16;
    newer[23] = crc >> 24;
    write_queue (dir, newer, sizeof (newer));
    s = rr_spool_open (dir, NULL, &err);
    g_assert_null (s);
    g_assert_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (err->message, "version 2"));
    g_clear_error (&err);
  }

  /* an empty file (created by hand): an empty queue */
  write_queue (dir, (const guint8 *) "", 0);
  s = rr_spool_open (dir, NULL, &err);
  g_assert_no_error (err);
  append_ok (s, "{}", 1);
  rr_spool_close (s);

  remove_tree (root);
  g_free (target);
  g_free (qpath);
  g_free (dir);
  g_free (under_file);
  g_free (file);
  g_free (root);
}

static void
test_locked (void)
{
  gchar *dir = make_tmp_dir ();
  GError *err = NULL;
  RrSpool *a, *b;

  a = rr_spool_open (dir, NULL, &err);
  g_assert_no_error (err);
  b = rr_spool_open (dir, NULL, &err);
  g_assert_null (b);
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_clear_error (&err);
  rr_spool_close (a);
  b = rr_spool_open (dir, NULL, &err);
  g_assert_no_error (err);
  rr_spool_close (b);
  remove_tree (dir);
  g_free (dir);
}

static void
test_compaction (void)
{
  gchar *dir = make_tmp_dir ();
  gchar *tmp = g_build_filename (dir, RR_SPOOL_FILE_NAME ".tmp", NULL);
  RrSpoolOptions o = { 0 };
  GError *err = NULL;
  RrSpool *s;
  gchar *text;
  guint64 full_size;
  guint i;

  o.compact_bytes = 512;
  s = rr_spool_open (dir, &o, &err);
  g_assert_no_error (err);
  for (i = 1; i <= 200; i++) {
    text = g_strdup_printf ("{\"i\":%u}", i);
    append_ok (s, text, i);
    g_free (text);
  }
  full_size = rr_spool_file_bytes (s);
  /* drain all but the last 5: the acked records never take more than
   * max(compact_bytes, what is left) for long */
  for (i = 1; i <= 195; i++) {
    text = g_strdup_printf ("{\"i\":%u}", i);
    pop_ok (s, text, i);
    g_free (text);
    g_assert_cmpuint (rr_spool_file_bytes (s), <=, RR_SPOOL_HEADER_SIZE
        + rr_spool_bytes (s) + MAX (512, rr_spool_bytes (s)) + 64);
  }
  g_assert_cmpuint (rr_spool_bytes (s), ==, 5 * (RR_SPOOL_RECORD_HEADER_SIZE
          + 9));
  g_assert_cmpuint (rr_spool_file_bytes (s), <, full_size / 4);
  g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
  rr_spool_close (s);

  /* a rewrite that crashed before its rename left a temp file */
  g_file_set_contents (tmp, "half", 4, NULL);
  s = rr_spool_open (dir, &o, &err);
  g_assert_no_error (err);
  g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (rr_spool_count (s), ==, 5);
  for (i = 196; i <= 200; i++) {
    text = g_strdup_printf ("{\"i\":%u}", i);
    pop_ok (s, text, i);
    g_free (text);
  }
  /* once empty and compacted the numbers still go on */
  append_ok (s, "{}", 201);
  rr_spool_close (s);

  /* a long run stays bounded */
  remove_tree (dir);
  memset (&o, 0, sizeof (o));
  o.compact_bytes = 4096;
  o.no_sync = TRUE;
  s = rr_spool_open (dir, &o, &err);
  g_assert_no_error (err);
  for (i = 1; i <= 5000; i++) {
    append_ok (s, "{\"payload\":\"0123456789\"}", i);
    pop_ok (s, "{\"payload\":\"0123456789\"}", i);
    g_assert_cmpuint (rr_spool_file_bytes (s), <=, RR_SPOOL_HEADER_SIZE
        + 4096 + 2 * 80);
  }
  rr_spool_close (s);

  remove_tree (dir);
  g_free (tmp);
  g_free (dir);
}

/* A record damaged on disk after open: peek says so, ack skips it. */
static void
test_damaged_after_open (void)
{
  gchar *dir = make_tmp_dir ();
  gchar *path = queue_path (dir);
  GError *err = NULL;
  RrSpool *s = rr_spool_open (dir, NULL, &err);
  GBytes *b = NULL;
  guint64 seq = 0;
  int fd;

  g_assert_no_error (err);
  append_ok (s, "{\"first\":1}", 1);
  append_ok (s, "{\"second\":2}", 2);
  fd = open (path, O_WRONLY);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pwrite (fd, "X", 1, RR_SPOOL_HEADER_SIZE
          + RR_SPOOL_RECORD_HEADER_SIZE + 2), ==, 1);
  close (fd);
  g_assert_false (rr_spool_peek (s, &seq, &b, &err));
  g_assert_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_null (b);
  g_assert_cmpuint (seq, ==, 1);
  g_clear_error (&err);
  g_assert_true (rr_spool_ack (s, 1, &err));
  g_assert_no_error (err);
  pop_ok (s, "{\"second\":2}", 2);
  rr_spool_close (s);
  remove_tree (dir);
  g_free (path);
  g_free (dir);
}

/* Appends and acks from several threads keep the count straight. */
static gpointer
appender (gpointer data)
{
  RrSpool *s = data;
  guint i;

  for (i = 0; i < 200; i++)
    g_assert_true (rr_spool_append (s, "{\"t\":1}", 7, NULL, NULL));
  return NULL;
}

static void
test_threads (void)
{
  gchar *dir = make_tmp_dir ();
  RrSpool *s = rr_spool_open (dir, &fast, NULL);
  GThread *t[4];
  guint i, n = 0;

  for (i = 0; i < G_N_ELEMENTS (t); i++)
    t[i] = g_thread_new ("appender", appender, s);
  while (n < 800) {
    GBytes *b = NULL;
    guint64 seq;

    g_assert_true (rr_spool_peek (s, &seq, &b, NULL));
    if (b == NULL) {
      g_thread_yield ();
      continue;
    }
    g_assert_cmpuint (seq, ==, n + 1);
    g_bytes_unref (b);
    g_assert_true (rr_spool_ack (s, seq, NULL));
    n++;
  }
  for (i = 0; i < G_N_ELEMENTS (t); i++)
    g_thread_join (t[i]);
  assert_empty (s);
  rr_spool_close (s);
  remove_tree (dir);
  g_free (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/spool/crc32", test_crc32);
  g_test_add_func ("/spool/dir-name", test_dir_name);
  g_test_add_func ("/spool/order-and-ack", test_order_and_ack);
  g_test_add_func ("/spool/reopen", test_reopen);
  g_test_add_func ("/spool/torn-tail", test_torn_tail);
  g_test_add_func ("/spool/corruption", test_corruption);
  g_test_add_func ("/spool/python-files", test_python_files);
  g_test_add_func ("/spool/full", test_full);
  g_test_add_func ("/spool/unwritable", test_unwritable);
  g_test_add_func ("/spool/locked", test_locked);
  g_test_add_func ("/spool/compaction", test_compaction);
  g_test_add_func ("/spool/damaged-after-open", test_damaged_after_open);
  g_test_add_func ("/spool/threads", test_threads);
  return g_test_run ();
}
