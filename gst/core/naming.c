/* roomrec — file naming templates
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A template is a relative path with {variables}; the extension is added
 * by the caller.  Values are escaped so that no id can add a path
 * component, and templates are checked so that no template can leave the
 * archive directory.
 */
#include "naming.h"

#include <string.h>

G_DEFINE_QUARK (rr - naming - error - quark, rr_naming_error);

/* Sora: <recording_id>/archive-<connection_id>.mp4, split files
 * split-archive-<connection_id>_0001.mp4.  A forced shard of a single file
 * (2 GB / 24 h) gets _<n> from the second file on, as TRTC's <Index>.
 * A restarted recording's files start with ha<n>_ (SPEC §8), in every
 * preset, so that they never overwrite the earlier run's. */
static const gchar *const sora_templates[] = {
  [RR_FILE_SINGLE] = "{recording_id}/{ha}archive-{connection_id}{shard}",
  [RR_FILE_SPLIT] = "{recording_id}/{ha}split-archive-{connection_id}_{index}",
  [RR_FILE_SPLIT_END] = "{recording_id}/{ha}split-archive-end-{connection_id}",
  [RR_FILE_PLAYLIST] = "{recording_id}/{ha}archive-{connection_id}",
  [RR_FILE_SEGMENT] = "{recording_id}/{ha}archive-{connection_id}_{index}",
  [RR_FILE_REPORT] = "{recording_id}/{ha}report-{recording_id}",
};

/* TRTC: <TaskId>/<SdkAppId>_<RoomId>__UserId_s_<UserId>__UserId_e_<MediaId>_... */
#define TRTC_STEM "{recording_id}/{ha}{app_id}_{room_id_b64}__UserId_s_" \
  "{user_id_b64}__UserId_e_{media}"
static const gchar *const trtc_templates[] = {
  [RR_FILE_SINGLE] = TRTC_STEM "{shard}",
  [RR_FILE_SPLIT] = TRTC_STEM "_{index}",
  [RR_FILE_SPLIT_END] = TRTC_STEM "_end",
  [RR_FILE_PLAYLIST] = TRTC_STEM "_{type}",
  [RR_FILE_SEGMENT] = TRTC_STEM "_{type}_{utc}",
  [RR_FILE_REPORT] = "{recording_id}/{ha}report-{recording_id}",
};

/* SparkRTC: {app_id}/{record_format}/{stream}_{file_start_time}/... */
#define SPARK_DIR "{app_id}/{format}/{connection_id}_{start_time}/"
static const gchar *const sparkrtc_templates[] = {
  [RR_FILE_SINGLE] = SPARK_DIR "{ha}{connection_id}_{start_time}",
  [RR_FILE_SPLIT] = SPARK_DIR "{ha}{connection_id}_{start_time}",
  [RR_FILE_SPLIT_END] = "{app_id}/{format}/{ha}{connection_id}_end",
  [RR_FILE_PLAYLIST] = SPARK_DIR "{ha}{connection_id}_{start_time}",
  [RR_FILE_SEGMENT] = SPARK_DIR "{ha}{connection_id}_{start_time}_{index}",
  [RR_FILE_REPORT] = "{app_id}/{format}/{ha}report-{recording_id}",
};

const gchar *
rr_naming_preset_template (RrNamingPreset preset, RrFileKind kind)
{
  g_return_val_if_fail (kind <= RR_FILE_REPORT, NULL);

  switch (preset) {
    case RR_NAMING_PRESET_SORA:
      return sora_templates[kind];
    case RR_NAMING_PRESET_TRTC:
      return trtc_templates[kind];
    case RR_NAMING_PRESET_SPARKRTC:
      return sparkrtc_templates[kind];
  }
  g_return_val_if_reached (NULL);
}

gboolean
rr_naming_preset_from_string (const gchar * name, RrNamingPreset * preset)
{
  if (g_strcmp0 (name, "sora") == 0)
    *preset = RR_NAMING_PRESET_SORA;
  else if (g_strcmp0 (name, "trtc") == 0)
    *preset = RR_NAMING_PRESET_TRTC;
  else if (g_strcmp0 (name, "sparkrtc") == 0)
    *preset = RR_NAMING_PRESET_SPARKRTC;
  else
    return FALSE;
  return TRUE;
}

static const gchar *const known_variables[] = {
  "recording_id", "room_id", "room_id_b64", "connection_id", "user_id",
  "user_id_b64", "app_id", "media", "type", "format", "index", "shard",
  "ha", "utc", "start_time", NULL
};

static gboolean
is_known_variable (const gchar * name, gsize len)
{
  for (guint i = 0; known_variables[i]; i++) {
    if (strlen (known_variables[i]) == len &&
        strncmp (known_variables[i], name, len) == 0)
      return TRUE;
  }
  return FALSE;
}

gboolean
rr_naming_template_validate (const gchar * tmpl, GError ** error)
{
  const gchar *p;
  gchar **parts;
  gboolean ok = TRUE;

  if (tmpl == NULL || *tmpl == '\0') {
    g_set_error (error, RR_NAMING_ERROR, RR_NAMING_ERROR_INVALID_TEMPLATE,
        "the naming template is empty");
    return FALSE;
  }
  if (tmpl[0] == '/') {
    g_set_error (error, RR_NAMING_ERROR, RR_NAMING_ERROR_INVALID_TEMPLATE,
        "naming template '%s' is an absolute path; templates are relative "
        "to the archive directory", tmpl);
    return FALSE;
  }
  if (!g_utf8_validate (tmpl, -1, NULL) || strchr (tmpl, '\\') != NULL) {
    g_set_error (error, RR_NAMING_ERROR, RR_NAMING_ERROR_INVALID_TEMPLATE,
        "naming template '%s' contains invalid characters", tmpl);
    return FALSE;
  }

  for (p = tmpl; *p; p++) {
    if (*p == '{') {
      const gchar *end = strchr (p, '}');
      if (end == NULL) {
        g_set_error (error, RR_NAMING_ERROR,
            RR_NAMING_ERROR_INVALID_TEMPLATE,
            "naming template '%s' has an unclosed '{'", tmpl);
        return FALSE;
      }
      if (!is_known_variable (p + 1, end - p - 1)) {
        g_set_error (error, RR_NAMING_ERROR,
            RR_NAMING_ERROR_UNKNOWN_VARIABLE,
            "naming template '%s' uses unknown variable {%.*s}", tmpl,
            (int) (end - p - 1), p + 1);
        return FALSE;
      }
      p = end;
    } else if (*p == '}') {
      g_set_error (error, RR_NAMING_ERROR, RR_NAMING_ERROR_INVALID_TEMPLATE,
          "naming template '%s' has a '}' without '{'", tmpl);
      return FALSE;
    }
  }

  /* literal path components must not climb out */
  parts = g_strsplit (tmpl, "/", -1);
  for (guint i = 0; parts[i]; i++) {
    if (parts[i][0] == '\0' || g_str_equal (parts[i], ".")
        || g_str_equal (parts[i], "..")) {
      g_set_error (error, RR_NAMING_ERROR, RR_NAMING_ERROR_INVALID_TEMPLATE,
          "naming template '%s' has an empty, '.' or '..' path component",
          tmpl);
      ok = FALSE;
      break;
    }
  }
  g_strfreev (parts);
  return ok;
}

/* Only unreserved URI characters stay as they are: a value can never add a
 * '/' or become '.'/'..', and a leading '.' (hidden file) is escaped too. */
gchar *
rr_naming_escape_component (const gchar * value)
{
  GString *s = g_string_new (NULL);
  const guchar *p;

  for (p = (const guchar *) value; *p; p++) {
    gboolean plain = g_ascii_isalnum (*p) || *p == '-' || *p == '_'
        || *p == '~' || *p == '+' || (*p == '.' && p != (const guchar *) value);
    if (plain)
      g_string_append_c (s, *p);
    else
      g_string_append_printf (s, "%%%02X", *p);
  }
  return g_string_free (s, FALSE);
}

/* TRTC: base64, then '/' → '-' and '=' → '.' */
gchar *
rr_naming_trtc_base64 (const gchar * value)
{
  gchar *b64 = g_base64_encode ((const guchar *) value, strlen (value));

  for (gchar * p = b64; *p; p++) {
    if (*p == '/')
      *p = '-';
    else if (*p == '=')
      *p = '.';
  }
  return b64;
}

/* Sora: 0001 … 9999, then 10000 */
gchar *
rr_naming_index_string (guint index)
{
  return g_strdup_printf ("%04u", index);
}

static gboolean
all_digits (const gchar * s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isdigit (*s))
      return FALSE;
  return TRUE;
}

static gchar *
format_utc (gint64 us, gboolean with_ms)
{
  GDateTime *dt = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);
  gchar *s, *out;

  if (dt == NULL)
    return g_strdup ("0");
  s = g_date_time_format (dt, "%Y%m%d%H%M%S");
  g_date_time_unref (dt);
  if (!with_ms)
    return s;
  out = g_strdup_printf ("%s%03u", s, (guint) ((us / 1000) % 1000));
  g_free (s);
  return out;
}

/* Returns the (unescaped) value of variable @name, or NULL if unset. */
static gchar *
variable_value (const gchar * name, const RrNamingVars * v)
{
  if (g_str_equal (name, "recording_id"))
    return g_strdup (v->recording_id);
  if (g_str_equal (name, "room_id"))
    return g_strdup (v->room_id);
  if (g_str_equal (name, "room_id_b64")) {
    if (v->room_id == NULL)
      return NULL;
    /* TRTC encodes string room ids only; numeric ones stay as they are */
    return all_digits (v->room_id) ? g_strdup (v->room_id) :
        rr_naming_trtc_base64 (v->room_id);
  }
  if (g_str_equal (name, "connection_id"))
    return g_strdup (v->connection_id);
  if (g_str_equal (name, "user_id"))
    return g_strdup (v->user_id ? v->user_id : v->connection_id);
  if (g_str_equal (name, "user_id_b64")) {
    const gchar *uid = v->user_id ? v->user_id : v->connection_id;
    return uid ? rr_naming_trtc_base64 (uid) : NULL;
  }
  if (g_str_equal (name, "app_id"))
    return g_strdup (v->app_id);
  if (g_str_equal (name, "media"))
    return g_strdup (v->media ? v->media : "main");
  if (g_str_equal (name, "type"))
    return g_strdup (v->type);
  if (g_str_equal (name, "format"))
    return g_strdup (v->format);
  if (g_str_equal (name, "index"))
    return rr_naming_index_string (v->index);
  if (g_str_equal (name, "shard"))
    return v->shard > 1 ? g_strdup_printf ("_%u", v->shard - 1) : g_strdup ("");
  if (g_str_equal (name, "ha"))
    return v->ha > 0 ? g_strdup_printf ("ha%u_", v->ha) : g_strdup ("");
  if (g_str_equal (name, "utc"))
    return format_utc (v->file_start_us, TRUE);
  if (g_str_equal (name, "start_time"))
    return format_utc (v->file_start_us, FALSE);
  return NULL;
}

gchar *
rr_naming_expand (const gchar * tmpl, const RrNamingVars * vars,
    GError ** error)
{
  GString *out;
  const gchar *p;

  if (!rr_naming_template_validate (tmpl, error))
    return NULL;

  out = g_string_new (NULL);
  for (p = tmpl; *p; p++) {
    if (*p == '{') {
      const gchar *end = strchr (p, '}');
      gchar *name = g_strndup (p + 1, end - p - 1);
      gchar *value = variable_value (name, vars);
      gchar *escaped;

      /* {shard} and {ha} may legitimately be empty; ids may not */
      if (value == NULL || (value[0] == '\0' && !g_str_equal (name, "shard")
              && !g_str_equal (name, "ha"))) {
        g_set_error (error, RR_NAMING_ERROR, RR_NAMING_ERROR_MISSING_VALUE,
            "naming template '%s' uses {%s}, which is not set", tmpl, name);
        g_free (name);
        g_free (value);
        g_string_free (out, TRUE);
        return NULL;
      }
      escaped = rr_naming_escape_component (value);
      g_string_append (out, escaped);
      g_free (escaped);
      g_free (value);
      g_free (name);
      p = end;
    } else {
      g_string_append_c (out, *p);
    }
  }

  /* an empty {shard} or {ha} must not leave an empty path component */
  if (strstr (out->str, "//") != NULL || out->str[0] == '/'
      || g_str_has_suffix (out->str, "/")) {
    g_set_error (error, RR_NAMING_ERROR, RR_NAMING_ERROR_INVALID_TEMPLATE,
        "naming template '%s' expands to '%s', which has an empty path "
        "component", tmpl, out->str);
    g_string_free (out, TRUE);
    return NULL;
  }
  return g_string_free (out, FALSE);
}
