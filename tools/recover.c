/* roomrec — recovery of the files a killed recorder left in its temp dir
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Paths are handled relative to the temp dir (as found by readdir, never
 * through a symbolic link) and land at the same relative path under the
 * archive dir, whose directories must not be symbolic links either.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "recover.h"

#include "mp4defrag.h"

#define READ_UINT32_BE(p) \
  (((guint32) (p)[0] << 24) | ((guint32) (p)[1] << 16) | \
   ((guint32) (p)[2] << 8) | (guint32) (p)[3])
#include "mp4fix.h"
#include "sidecar.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 16
#define TS_PACKET 188

typedef struct
{
  gchar *tmp_dir;
  gchar *archive_dir;
  GPtrArray *found;             /* gchar*: media files, relative, sorted */
  GHashTable *done;             /* relative paths handled */
  GPtrArray *out;               /* RrRecoveredFile* */
} Recovery;

/* An HLS playlist being completed */
typedef struct
{
  GPtrArray *lines;             /* gchar*, without #EXT-X-ENDLIST */
  gboolean have_pdt;
  gint64 next_pdt_us;           /* last PROGRAM-DATE-TIME + EXTINFs since */
  gdouble max_extinf;
} Playlist;

static const gchar *const media_extensions[] = {
  "mp4", "m4a", "webm", "mkv", "ogg", "ts", "m3u8",
};

void
rr_recovered_file_free (RrRecoveredFile * f)
{
  if (f == NULL)
    return;
  g_free (f->tmp_path);
  g_free (f->path);
  g_free (f->reason);
  g_free (f->format);
  g_free (f->sidecar_path);
  g_free (f);
}

static const gchar *
extension_of (const gchar * path)
{
  const gchar *base = strrchr (path, '/');
  const gchar *dot = strrchr (base ? base + 1 : path, '.');

  return dot && dot[1] ? dot + 1 : "";
}

static const gchar *
format_of (const gchar * path)
{
  const gchar *ext = extension_of (path);

  if (g_str_equal (ext, "mp4") || g_str_equal (ext, "m4a"))
    return "mp4";
  if (g_str_equal (ext, "ts") || g_str_equal (ext, "m3u8"))
    return "hls";
  return ext;
}

static gboolean
is_media (const gchar * name)
{
  const gchar *ext = extension_of (name);

  for (guint i = 0; i < G_N_ELEMENTS (media_extensions); i++)
    if (g_str_equal (ext, media_extensions[i]))
      return TRUE;
  return FALSE;
}

static gboolean
path_exists (const gchar * path)
{
  GStatBuf st;

  return g_lstat (path, &st) == 0 || errno != ENOENT;
}

static guint64
file_size (const gchar * path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (guint64) st.st_size : 0;
}

/* "a/b/c.ts" → "a/b"; "c.ts" → "" */
static gchar *
rel_dirname (const gchar * rel)
{
  const gchar *slash = strrchr (rel, '/');

  return slash ? g_strndup (rel, slash - rel) : g_strdup ("");
}

static gchar *
rel_join (const gchar * dir, const gchar * name)
{
  return *dir ? g_strconcat (dir, "/", name, NULL) : g_strdup (name);
}

static gchar *
strip_extension (const gchar * path)
{
  return g_strndup (path, strlen (path) - strlen (extension_of (path)) - 1);
}

static gboolean
collect (Recovery * r, const gchar * rel_dir, guint depth, GError ** error)
{
  gchar *dir_path = g_build_filename (r->tmp_dir, rel_dir, NULL);
  GDir *dir = g_dir_open (dir_path, 0, error);
  const gchar *name;

  if (dir == NULL) {
    g_free (dir_path);
    return FALSE;
  }
  while ((name = g_dir_read_name (dir)) != NULL) {
    gchar *rel = rel_join (rel_dir, name);
    gchar *path = g_build_filename (r->tmp_dir, rel, NULL);
    GStatBuf st;

    /* lstat: a symbolic link is neither followed nor moved */
    if (g_lstat (path, &st) != 0) {
      st.st_mode = 0;
    }
    if (S_ISDIR (st.st_mode)) {
      if (depth < MAX_DEPTH && !g_str_equal (path, r->archive_dir))
        collect (r, rel, depth + 1, NULL);
    } else if (S_ISREG (st.st_mode) && is_media (name)) {
      g_ptr_array_add (r->found, rel);
      rel = NULL;
    }
    g_free (rel);
    g_free (path);
  }
  g_dir_close (dir);
  g_free (dir_path);
  return TRUE;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

static RrRecoveredFile *
add_entry (Recovery * r, const gchar * rel)
{
  RrRecoveredFile *f = g_new0 (RrRecoveredFile, 1);

  f->tmp_path = g_build_filename (r->tmp_dir, rel, NULL);
  f->format = g_strdup (format_of (rel));
  f->size = file_size (f->tmp_path);
  g_hash_table_add (r->done, g_strdup (rel));
  g_ptr_array_add (r->out, f);
  return f;
}

/* The directories of @rel under the archive dir exist as directories (not
 * symbolic links) or not at all. */
static gboolean
dest_dir_safe (Recovery * r, const gchar * rel)
{
  gchar **parts = g_strsplit (rel, "/", -1);
  GString *p = g_string_new (r->archive_dir);
  gboolean ok = TRUE;

  for (guint i = 0; parts[i] && parts[i + 1]; i++) {
    GStatBuf st;

    g_string_append_c (p, '/');
    g_string_append (p, parts[i]);
    if (g_lstat (p->str, &st) != 0)
      break;
    if (!S_ISDIR (st.st_mode)) {
      ok = FALSE;
      break;
    }
  }
  g_string_free (p, TRUE);
  g_strfreev (parts);
  return ok;
}

/* <archive>/<rel>, or with _recovered, _recovered2 … before the extension:
 * neither the file nor (@sidecar) its <stem>.json may exist. */
static gchar *
unique_dest (Recovery * r, const gchar * rel, gboolean sidecar)
{
  gchar *stem = strip_extension (rel);
  const gchar *ext = extension_of (rel);
  gchar *path = NULL;

  for (guint n = 0;; n++) {
    gchar *json;
    gboolean taken;

    if (n == 0)
      path = g_strdup_printf ("%s/%s.%s", r->archive_dir, stem, ext);
    else if (n == 1)
      path = g_strdup_printf ("%s/%s_recovered.%s", r->archive_dir, stem, ext);
    else
      path = g_strdup_printf ("%s/%s_recovered%u.%s", r->archive_dir, stem, n,
          ext);
    json = g_strdup_printf ("%.*s.json",
        (int) (strlen (path) - strlen (ext) - 1), path);
    taken = path_exists (path) || (sidecar && path_exists (json));
    g_free (json);
    if (!taken)
      break;
    g_free (path);
  }
  g_free (stem);
  return path;
}

/* A rename (or a copy across file systems) that never overwrites. */
static gboolean
move_file (const gchar * from, const gchar * to, GError ** error)
{
  GFile *src, *dst;
  gchar *dir = g_path_get_dirname (to);
  gboolean ok;

  if (g_mkdir_with_parents (dir, 0755) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot create '%s': %s", dir, g_strerror (errno));
    g_free (dir);
    return FALSE;
  }
  g_free (dir);
  src = g_file_new_for_path (from);
  dst = g_file_new_for_path (to);
  ok = g_file_move (src, dst, G_FILE_COPY_NONE, NULL, NULL, NULL, error);
  g_object_unref (src);
  g_object_unref (dst);
  return ok;
}

/* <media stem>.json next to @media_path (never over an existing file);
 * returns its path or NULL. */
static gchar *
write_sidecar (Recovery * r, const gchar * media_path, GPtrArray * tmp_paths,
    guint64 size, const gchar * format, const gchar * reason)
{
  gchar *stem = strip_extension (media_path);
  gchar *json_path = g_strconcat (stem, ".json", NULL);
  gsize skip = strlen (r->archive_dir) + 1;
  JsonBuilder *b;
  JsonNode *root;
  gchar *text, *now;
  gboolean ok;

  g_free (stem);
  if (path_exists (json_path)) {
    g_free (json_path);
    return NULL;
  }
  now = rr_time_rfc3339 (g_get_real_time ());
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "recovered");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "tmp_path");
  json_builder_add_string_value (b, g_ptr_array_index (tmp_paths, 0));
  if (tmp_paths->len > 1) {
    json_builder_set_member_name (b, "tmp_paths");
    json_builder_begin_array (b);
    for (guint i = 0; i < tmp_paths->len; i++)
      json_builder_add_string_value (b, g_ptr_array_index (tmp_paths, i));
    json_builder_end_array (b);
  }
  json_builder_set_member_name (b, "file_path");
  json_builder_add_string_value (b, media_path);
  json_builder_set_member_name (b, "filename");
  json_builder_add_string_value (b, media_path + skip);
  json_builder_set_member_name (b, "metadata_file_path");
  json_builder_add_string_value (b, json_path);
  json_builder_set_member_name (b, "metadata_filename");
  json_builder_add_string_value (b, json_path + skip);
  json_builder_set_member_name (b, "size");
  json_builder_add_int_value (b, size);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, format);
  json_builder_set_member_name (b, "reason");
  json_builder_add_string_value (b, reason);
  json_builder_set_member_name (b, "recovered_at");
  json_builder_add_string_value (b, now);
  json_builder_set_member_name (b, "created_at");
  json_builder_add_int_value (b, g_get_real_time () / G_USEC_PER_SEC);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = rr_json_to_string (root, TRUE);
  ok = rr_file_write_atomic (json_path, text, NULL);
  json_node_unref (root);
  g_object_unref (b);
  g_free (text);
  g_free (now);
  if (!ok)
    g_clear_pointer (&json_path, g_free);
  return json_path;
}

/* Moves f->tmp_path to <archive>/<rel> (or a _recovered name) with a
 * sidecar; @how says what was done before. */
static void
finish_move (Recovery * r, RrRecoveredFile * f, const gchar * rel,
    const gchar * how)
{
  GError *err = NULL;
  GPtrArray *tmp_paths;
  gchar *dest;

  if (!dest_dir_safe (r, rel)) {
    f->reason = g_strdup_printf ("%s; left in the temp dir: a directory of "
        "'%s' in the archive dir is not a directory (a symbolic link?)", how,
        rel);
    return;
  }
  dest = unique_dest (r, rel, TRUE);
  if (!move_file (f->tmp_path, dest, &err)) {
    f->reason = g_strdup_printf ("%s; left in the temp dir: %s", how,
        err->message);
    g_error_free (err);
    g_free (dest);
    return;
  }
  f->path = dest;
  f->recovered = TRUE;
  f->size = file_size (dest);
  if (g_str_equal (dest + strlen (r->archive_dir) + 1, rel))
    f->reason = g_strdup_printf ("%s; moved to the archive dir", how);
  else
    f->reason = g_strdup_printf ("%s; moved to the archive dir as %s (%s "
        "was taken)", how, dest + strlen (r->archive_dir) + 1, rel);
  tmp_paths = g_ptr_array_new ();
  g_ptr_array_add (tmp_paths, f->tmp_path);
  f->sidecar_path = write_sidecar (r, dest, tmp_paths, f->size, f->format,
      f->reason);
  g_ptr_array_unref (tmp_paths);
}

static guint64
file_size_of_stream (FILE * f)
{
  off_t end;

  if (fseeko (f, 0, SEEK_END) != 0 || (end = ftello (f)) < 0)
    return 0;
  return (guint64) end;
}

/* A fragmented MP4 whose top-level boxes end before its first moof: the
 * header (ftyp, moov) of a file opened just before the kill. */
static gboolean
mp4_header_only (const gchar * path, const gchar * rel)
{
  guint8 head[8];
  gboolean moov = FALSE, media = FALSE, cut = FALSE;
  guint64 offset = 0, file_size;
  FILE *f;

  if (!g_str_has_suffix (rel, ".mp4") && !g_str_has_suffix (rel, ".m4a"))
    return FALSE;
  f = fopen (path, "rb");
  if (f == NULL)
    return FALSE;
  file_size = file_size_of_stream (f);
  while (!media && !cut && offset < file_size
      && fseeko (f, (off_t) offset, SEEK_SET) == 0
      && fread (head, 1, 8, f) == 8) {
    guint64 size = READ_UINT32_BE (head);

    if (memcmp (head + 4, "moof", 4) == 0 || memcmp (head + 4, "mdat", 4) == 0)
      media = TRUE;
    /* 64-bit, to-the-end, or cut: not a complete header, leave it to the
     * defragmenter (which keeps what it cannot read) */
    if (size < 8 || offset + size > file_size)
      cut = TRUE;
    else if (memcmp (head + 4, "moov", 4) == 0)
      moov = TRUE;
    offset += size;
  }
  fclose (f);
  return moov && !media && !cut && offset == file_size;
}

static void
recover_mp4 (Recovery * r, const gchar * rel)
{
  RrRecoveredFile *f = add_entry (r, rel);
  GError *err = NULL;
  const gchar *how;
  gboolean fixed;

  /* in place, as a clean stop does: a kill during it leaves the input */
  if (rr_mp4_defragment (f->tmp_path, f->tmp_path, &err)) {
    how = "fragmented MP4 rewritten as a normal MP4 (a fragment cut by the "
        "kill is dropped)";
  } else if (g_error_matches (err, RR_MP4DEFRAG_ERROR,
          RR_MP4DEFRAG_ERROR_NOT_FRAGMENTED)) {
    how = "already a normal MP4";
    g_clear_error (&err);
  } else {
    f->reason = g_strdup_printf ("cannot be made playable, left in the temp "
        "dir: %s", err->message);
    g_error_free (err);
    return;
  }
  /* the dOps box of GStreamer < 1.22.4, as at a clean stop */
  if (!rr_mp4_fix_opus_dops (f->tmp_path, &fixed, &err))
    g_clear_error (&err);
  finish_move (r, f, rel, how);
}

static void
recover_as_is (Recovery * r, const gchar * rel)
{
  RrRecoveredFile *f = add_entry (r, rel);
  const gchar *ext = extension_of (rel);

  if (g_str_equal (ext, "ts"))
    finish_move (r, f, rel, "HLS segment without a playlist, moved as it is");
  else
    finish_move (r, f, rel, "playable as it is (up to its last complete "
        "block)");
}

/* ------------------------------------------------------------------------ */
/* HLS */

/* The span of the PES timestamps of an MPEG-TS file, in s; -1 if none. */
static gdouble
ts_duration (const gchar * path)
{
  GMappedFile *map = g_mapped_file_new (path, FALSE, NULL);
  const guint8 *data;
  gsize len;
  guint64 lo = G_MAXUINT64, hi = 0;

  if (map == NULL)
    return -1;
  data = (const guint8 *) g_mapped_file_get_contents (map);
  len = g_mapped_file_get_length (map);
  for (gsize off = 0; data && off + TS_PACKET <= len; off += TS_PACKET) {
    const guint8 *p = data + off, *q;
    guint pos = 4, afc = (p[3] >> 4) & 3, sid;
    guint64 pts;

    if (p[0] != 0x47)
      break;
    if (afc & 2)
      pos += 1 + p[4];
    if (!(p[1] & 0x40) || !(afc & 1) || pos + 14 > TS_PACKET)
      continue;
    q = p + pos;
    sid = q[3];
    if (q[0] != 0 || q[1] != 0 || q[2] != 1 || !(q[7] & 0x80))
      continue;
    if ((sid & 0xe0) != 0xc0 && (sid & 0xf0) != 0xe0 && sid != 0xbd)
      continue;
    pts = ((guint64) ((q[9] >> 1) & 7) << 30) | ((guint64) q[10] << 22) |
        ((guint64) (q[11] >> 1) << 15) | ((guint64) q[12] << 7) | (q[13] >> 1);
    lo = MIN (lo, pts);
    hi = MAX (hi, pts);
  }
  g_mapped_file_unref (map);
  /* no timestamps, or a wrap around 2^33 */
  if (lo > hi || hi - lo > G_GUINT64_CONSTANT (90000) * 3600)
    return -1;
  return (hi - lo) / 90000.0;
}

static Playlist *
playlist_parse (const gchar * text)
{
  Playlist *pl = g_new0 (Playlist, 1);
  gchar **lines = g_strsplit (text, "\n", -1);

  pl->lines = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; lines[i]; i++) {
    gchar *line = g_strchomp (lines[i]);

    if (*line == '\0' || g_str_equal (line, "#EXT-X-ENDLIST"))
      continue;
    if (g_str_has_prefix (line, "#EXT-X-PROGRAM-DATE-TIME:")) {
      GDateTime *dt = g_date_time_new_from_iso8601 (line + 25, NULL);

      if (dt) {
        pl->have_pdt = TRUE;
        pl->next_pdt_us = g_date_time_to_unix (dt) * G_USEC_PER_SEC +
            g_date_time_get_microsecond (dt);
        g_date_time_unref (dt);
      }
    } else if (g_str_has_prefix (line, "#EXTINF:")) {
      gdouble d = g_ascii_strtod (line + 8, NULL);

      pl->next_pdt_us += (gint64) (d * G_USEC_PER_SEC);
      pl->max_extinf = MAX (pl->max_extinf, d);
    }
    g_ptr_array_add (pl->lines, g_strdup (line));
  }
  g_strfreev (lines);
  return pl;
}

static void
playlist_free (Playlist * pl)
{
  g_ptr_array_unref (pl->lines);
  g_free (pl);
}

static void
playlist_append (Playlist * pl, const gchar * uri, gdouble seconds)
{
  gchar num[G_ASCII_DTOSTR_BUF_SIZE];

  if (pl->have_pdt) {
    gchar *pdt = rr_time_rfc3339 (pl->next_pdt_us);

    g_ptr_array_add (pl->lines, g_strconcat ("#EXT-X-PROGRAM-DATE-TIME:", pdt,
            NULL));
    g_free (pdt);
  }
  g_ascii_formatd (num, sizeof (num), "%.3f", seconds);
  g_ptr_array_add (pl->lines, g_strdup_printf ("#EXTINF:%s,", num));
  g_ptr_array_add (pl->lines, g_strdup (uri));
  pl->next_pdt_us += (gint64) (seconds * G_USEC_PER_SEC);
  pl->max_extinf = MAX (pl->max_extinf, seconds);
}

/* A VOD playlist ending with #EXT-X-ENDLIST, its target duration at least
 * every EXTINF rounded. */
static gchar *
playlist_finish (Playlist * pl)
{
  GString *s = g_string_new (NULL);
  guint target = (guint) (pl->max_extinf + 0.5);        /* rounded */

  for (guint i = 0; i < pl->lines->len; i++) {
    const gchar *line = g_ptr_array_index (pl->lines, i);

    if (g_str_has_prefix (line, "#EXT-X-TARGETDURATION:")) {
      guint64 t = g_ascii_strtoull (line + 22, NULL, 10);

      g_string_append_printf (s, "#EXT-X-TARGETDURATION:%u\n",
          (guint) MAX (t, target));
    } else if (g_str_equal (line, "#EXT-X-PLAYLIST-TYPE:EVENT")) {
      g_string_append (s, "#EXT-X-PLAYLIST-TYPE:VOD\n");
    } else {
      g_string_append_printf (s, "%s\n", line);
    }
  }
  g_string_append (s, "#EXT-X-ENDLIST\n");
  return g_string_free (s, FALSE);
}

static gdouble
playlist_target (Playlist * pl)
{
  for (guint i = 0; i < pl->lines->len; i++) {
    const gchar *line = g_ptr_array_index (pl->lines, i);

    if (g_str_has_prefix (line, "#EXT-X-TARGETDURATION:"))
      return g_ascii_strtod (line + 22, NULL);
  }
  return 1.0;
}

/* A relative URI without '..', scheme or query. */
static gboolean
uri_is_local (const gchar * uri)
{
  gchar **parts;
  gboolean ok = *uri != '/' && strpbrk (uri, ":?#\\") == NULL;

  parts = g_strsplit (uri, "/", -1);
  for (guint i = 0; ok && parts[i]; i++)
    ok = *parts[i] && !g_str_equal (parts[i], ".")
        && !g_str_equal (parts[i], "..");
  g_strfreev (parts);
  return ok;
}

static gboolean
is_leftover (Recovery * r, const gchar * rel)
{
  for (guint i = 0; i < r->found->len; i++)
    if (g_str_equal (g_ptr_array_index (r->found, i), rel))
      return !g_hash_table_contains (r->done, rel);
  return FALSE;
}

/* Moves segment @rel next to its playlist in @dir (relative); returns its
 * URI relative to @dir, or NULL when it stayed (entry says why). */
static gchar *
move_segment (Recovery * r, const gchar * rel, const gchar * dir,
    const gchar * playlist_rel, GPtrArray * entries, gdouble * seconds)
{
  RrRecoveredFile *f = add_entry (r, rel);
  GError *err = NULL;
  gchar *dest;

  *seconds = ts_duration (f->tmp_path);
  g_ptr_array_add (entries, f);
  if (!dest_dir_safe (r, rel)) {
    f->reason = g_strdup ("HLS segment left in the temp dir: a directory of "
        "its path in the archive dir is not a directory");
    return NULL;
  }
  dest = unique_dest (r, rel, FALSE);
  if (!move_file (f->tmp_path, dest, &err)) {
    f->reason = g_strdup_printf ("HLS segment left in the temp dir: %s",
        err->message);
    g_error_free (err);
    g_free (dest);
    return NULL;
  }
  f->path = dest;
  f->recovered = TRUE;
  f->size = file_size (dest);
  f->reason = g_strdup_printf ("HLS segment moved next to its playlist %s, "
      "which lists it and ends with #EXT-X-ENDLIST", playlist_rel);
  return g_strdup (dest + strlen (r->archive_dir) + 1 + strlen (dir) +
      (*dir ? 1 : 0));
}

/* The segments in @dir named <playlist stem>_… not handled yet, sorted. */
static void
append_unlisted (Recovery * r, Playlist * pl, const gchar * dir,
    const gchar * playlist_rel, GPtrArray * entries)
{
  gchar *stem = strip_extension (playlist_rel);
  gchar *prefix = g_strconcat (stem, "_", NULL);

  for (guint i = 0; i < r->found->len; i++) {
    const gchar *rel = g_ptr_array_index (r->found, i);
    gchar *rel_dir, *uri;
    gdouble secs;

    if (!g_str_has_prefix (rel, prefix) || !g_str_has_suffix (rel, ".ts")
        || g_hash_table_contains (r->done, rel))
      continue;
    rel_dir = rel_dirname (rel);
    if (g_str_equal (rel_dir, dir)) {
      uri = move_segment (r, rel, dir, playlist_rel, entries, &secs);
      if (uri)
        playlist_append (pl, uri, secs > 0 ? secs : playlist_target (pl));
      g_free (uri);
    }
    g_free (rel_dir);
  }
  g_free (prefix);
  g_free (stem);
}

/* The playlist's sidecar, shared by its segments' entries. */
static void
hls_sidecar (Recovery * r, const gchar * playlist_path, GPtrArray * entries,
    const gchar * reason)
{
  GPtrArray *tmp_paths = g_ptr_array_new ();
  gchar *sidecar;

  for (guint i = 0; i < entries->len; i++) {
    RrRecoveredFile *f = g_ptr_array_index (entries, i);

    if (f->recovered)
      g_ptr_array_add (tmp_paths, f->tmp_path);
  }
  if (tmp_paths->len == 0) {
    g_ptr_array_unref (tmp_paths);
    return;
  }
  sidecar = write_sidecar (r, playlist_path, tmp_paths,
      file_size (playlist_path), "hls", reason);
  for (guint i = 0; sidecar && i < entries->len; i++) {
    RrRecoveredFile *f = g_ptr_array_index (entries, i);

    if (f->recovered)
      f->sidecar_path = g_strdup (sidecar);
  }
  g_free (sidecar);
  g_ptr_array_unref (tmp_paths);
}

/* A playlist left in the temp dir: moved with its segments. */
static void
recover_tmp_playlist (Recovery * r, const gchar * rel)
{
  gchar *dir = rel_dirname (rel), *text = NULL, *dest = NULL;
  GPtrArray *entries = g_ptr_array_new ();
  RrRecoveredFile *pf;
  GError *err = NULL;
  Playlist *pl;

  pf = add_entry (r, rel);
  if (!g_file_get_contents (pf->tmp_path, &text, NULL, &err)) {
    pf->reason = g_strdup_printf ("left in the temp dir: %s", err->message);
    g_error_free (err);
    goto done;
  }
  if (!dest_dir_safe (r, rel)) {
    pf->reason = g_strdup ("left in the temp dir: a directory of its path in "
        "the archive dir is not a directory (a symbolic link?)");
    goto done;
  }
  pl = playlist_parse (text);
  g_clear_pointer (&text, g_free);
  /* the segments it lists, then the open one(s) it does not list yet */
  for (guint i = 0; i < pl->lines->len; i++) {
    gchar *line = g_ptr_array_index (pl->lines, i), *seg, *uri;
    gdouble secs;

    if (*line == '#' || !uri_is_local (line))
      continue;
    seg = rel_join (dir, line);
    if (is_leftover (r, seg)) {
      uri = move_segment (r, seg, dir, rel, entries, &secs);
      if (uri) {
        /* its name if it had to change */
        g_ptr_array_index (pl->lines, i) = uri;
        g_free (line);
      }
    }
    g_free (seg);
  }
  append_unlisted (r, pl, dir, rel, entries);
  text = playlist_finish (pl);
  playlist_free (pl);

  dest = unique_dest (r, rel, TRUE);
  if (!rr_file_write_atomic (dest, text, &err)) {
    pf->reason = g_strdup_printf ("left in the temp dir: %s", err->message);
    g_error_free (err);
    goto done;
  }
  g_unlink (pf->tmp_path);
  pf->path = g_strdup (dest);
  pf->recovered = TRUE;
  pf->size = file_size (dest);
  pf->reason = g_strdup_printf ("HLS playlist moved with its %u segment(s) "
      "and ended with #EXT-X-ENDLIST", entries->len);
  g_ptr_array_add (entries, pf);
  hls_sidecar (r, dest, entries, pf->reason);

done:
  g_free (text);
  g_free (dest);
  g_free (dir);
  g_ptr_array_unref (entries);
}

/* The archive playlist a lone segment is named after (the longest stem
 * followed by '_'), or NULL. */
static gchar *
find_archive_playlist (Recovery * r, const gchar * rel)
{
  gchar *dir = rel_dirname (rel), *dir_path, *best = NULL;
  const gchar *base = rel + strlen (dir) + (*dir ? 1 : 0), *name;
  GDir *d;

  dir_path = g_build_filename (r->archive_dir, dir, NULL);
  d = dest_dir_safe (r, rel) ? g_dir_open (dir_path, 0, NULL) : NULL;
  while (d && (name = g_dir_read_name (d)) != NULL) {
    gchar *path, *stem;
    gsize n;
    GStatBuf st;

    if (!g_str_has_suffix (name, ".m3u8"))
      continue;
    stem = strip_extension (name);
    n = strlen (stem);
    path = g_build_filename (dir_path, name, NULL);
    if (strncmp (base, stem, n) == 0 && base[n] == '_'
        && g_lstat (path, &st) == 0 && S_ISREG (st.st_mode)
        && (best == NULL || strlen (name) > strlen (best))) {
      g_free (best);
      best = g_strdup (name);
    }
    g_free (path);
    g_free (stem);
  }
  if (d)
    g_dir_close (d);
  g_free (dir_path);
  if (best) {
    gchar *rel_best = rel_join (dir, best);

    g_free (best);
    best = rel_best;
  }
  g_free (dir);
  return best;
}

/* Lone segments whose playlist is in the archive dir: they join it. */
static void
recover_segment (Recovery * r, const gchar * rel)
{
  gchar *playlist_rel = find_archive_playlist (r, rel);
  gchar *path, *text = NULL, *dir;
  GPtrArray *entries;
  Playlist *pl;

  if (playlist_rel == NULL) {
    recover_as_is (r, rel);
    return;
  }
  path = g_build_filename (r->archive_dir, playlist_rel, NULL);
  if (!g_file_get_contents (path, &text, NULL, NULL)) {
    recover_as_is (r, rel);
    g_free (path);
    g_free (playlist_rel);
    return;
  }
  dir = rel_dirname (rel);
  entries = g_ptr_array_new ();
  pl = playlist_parse (text);
  g_free (text);
  append_unlisted (r, pl, dir, playlist_rel, entries);
  text = playlist_finish (pl);
  playlist_free (pl);
  /* the playlist of the killed recording itself: completed in place */
  if (!rr_file_write_atomic (path, text, NULL)) {
    for (guint i = 0; i < entries->len; i++) {
      RrRecoveredFile *f = g_ptr_array_index (entries, i);

      if (f->recovered) {
        g_free (f->reason);
        f->reason = g_strdup_printf ("HLS segment moved next to its playlist "
            "%s, which could not be updated", playlist_rel);
      }
    }
  } else {
    hls_sidecar (r, path, entries, "HLS segment(s) left by a killed recorder "
        "added to the playlist, which now ends with #EXT-X-ENDLIST");
  }
  g_ptr_array_unref (entries);
  g_free (text);
  g_free (dir);
  g_free (path);
  g_free (playlist_rel);
}

/* ------------------------------------------------------------------------ */

/* Directories of the temp dir that the recovery emptied. */
static void
remove_empty_dirs (Recovery * r)
{
  for (guint i = r->found->len; i > 0; i--) {
    gchar *dir = rel_dirname (g_ptr_array_index (r->found, i - 1));

    while (*dir) {
      gchar *path = g_build_filename (r->tmp_dir, dir, NULL), *up;
      gboolean removed = g_rmdir (path) == 0;

      g_free (path);
      up = rel_dirname (dir);
      g_free (dir);
      dir = up;
      if (!removed)
        break;
    }
    g_free (dir);
  }
}

GPtrArray *
rr_recover_leftovers_locked (const gchar * tmp_dir, const gchar * archive_dir,
    GError ** error)
{
  Recovery r = { 0, };
  GStatBuf st;

  g_return_val_if_fail (tmp_dir != NULL && archive_dir != NULL, NULL);

  r.out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rr_recovered_file_free);
  if (g_stat (tmp_dir, &st) != 0 && errno == ENOENT)
    return r.out;               /* nothing was ever left */

  r.tmp_dir = g_canonicalize_filename (tmp_dir, NULL);
  r.archive_dir = g_canonicalize_filename (archive_dir, NULL);
  r.found = g_ptr_array_new_with_free_func (g_free);
  r.done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (!collect (&r, "", 0, error)) {
    g_clear_pointer (&r.out, g_ptr_array_unref);
    goto done;
  }
  g_ptr_array_sort (r.found, compare_strings);

  /* opened just before the kill (empty, or an MP4 header without a
   * fragment): nothing to lose */
  for (guint i = 0; i < r.found->len; i++) {
    const gchar *rel = g_ptr_array_index (r.found, i);
    gchar *path = g_build_filename (r.tmp_dir, rel, NULL);

    if (g_stat (path, &st) == 0 && (st.st_size == 0
            || mp4_header_only (path, rel)) && g_unlink (path) == 0)
      g_hash_table_add (r.done, g_strdup (rel));
    g_free (path);
  }
  /* playlists first: they claim their segments */
  for (guint i = 0; i < r.found->len; i++) {
    const gchar *rel = g_ptr_array_index (r.found, i);

    if (g_str_has_suffix (rel, ".m3u8") && !g_hash_table_contains (r.done, rel))
      recover_tmp_playlist (&r, rel);
  }
  for (guint i = 0; i < r.found->len; i++) {
    const gchar *rel = g_ptr_array_index (r.found, i);
    const gchar *ext = extension_of (rel);

    if (g_hash_table_contains (r.done, rel))
      continue;
    if (g_str_equal (ext, "mp4") || g_str_equal (ext, "m4a"))
      recover_mp4 (&r, rel);
    else if (g_str_equal (ext, "ts"))
      recover_segment (&r, rel);
    else
      recover_as_is (&r, rel);
  }
  remove_empty_dirs (&r);

done:
  g_free (r.tmp_dir);
  g_free (r.archive_dir);
  g_ptr_array_unref (r.found);
  g_hash_table_unref (r.done);
  return r.out;
}

GPtrArray *
rr_recover_leftovers (const gchar * tmp_dir, const gchar * archive_dir,
    GError ** error)
{
  GPtrArray *out;
  GStatBuf st;
  gint fd;

  g_return_val_if_fail (tmp_dir != NULL && archive_dir != NULL, NULL);

  if (g_stat (tmp_dir, &st) != 0 && errno == ENOENT)
    return g_ptr_array_new_with_free_func ((GDestroyNotify)
        rr_recovered_file_free);
  if (!rr_recover_lock (tmp_dir, &fd, error))
    return NULL;
  out = rr_recover_leftovers_locked (tmp_dir, archive_dir, error);
  close (fd);
  return out;
}

gboolean
rr_recover_lock (const gchar * tmp_dir, gint * fd_out, GError ** error)
{
  gchar *path;
  int fd, saved;

  g_return_val_if_fail (tmp_dir != NULL && fd_out != NULL, FALSE);

  if (g_mkdir_with_parents (tmp_dir, 0755) != 0) {
    saved = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
        "cannot create '%s': %s", tmp_dir, g_strerror (saved));
    return FALSE;
  }
  path = g_build_filename (tmp_dir, RR_RECOVER_LOCK_NAME, NULL);
  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    saved = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
        "cannot open '%s': %s", path, g_strerror (saved));
    g_free (path);
    return FALSE;
  }
  while (flock (fd, LOCK_EX | LOCK_NB) != 0) {
    saved = errno;
    if (saved == EINTR)
      continue;
    close (fd);
    if (saved == EWOULDBLOCK)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
          "another roomrec is recording into %s", tmp_dir);
    else
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
          "cannot lock '%s': %s", path, g_strerror (saved));
    g_free (path);
    return FALSE;
  }
  g_free (path);
  *fd_out = fd;
  return TRUE;
}
