/* roomrec — error messages about JSON input: paths and values as the
 * user wrote them
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "jsonmsg.h"

/* JSON-style escaping, cut after @max_chars characters. */
void
rr_json_append_escaped (GString * out, const gchar * s, gsize max_chars)
{
  const gchar *p = s;
  gsize n = 0;

  while (*p) {
    gunichar c = g_utf8_get_char_validated (p, -1);

    if (n == max_chars) {
      g_string_append (out, "…");
      return;
    }
    n++;
    if (c == (gunichar) - 1 || c == (gunichar) - 2) {
      g_string_append_printf (out, "\\x%02X", (guchar) * p);
      p++;
      continue;
    }
    if (c == '"' || c == '\\')
      g_string_append_printf (out, "\\%c", (gchar) c);
    else if (c == '\n')
      g_string_append (out, "\\n");
    else if (c == '\t')
      g_string_append (out, "\\t");
    else if (c == '\r')
      g_string_append (out, "\\r");
    else if (g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029)
      g_string_append_printf (out, "\\u%04X", c);
    else
      g_string_append_len (out, p, g_utf8_next_char (p) - p);
    p = g_utf8_next_char (p);
  }
}

gchar *
rr_json_quote (const gchar * s)
{
  GString *out = g_string_new ("\"");

  rr_json_append_escaped (out, s, RR_JSON_MAX_SHOWN_CHARS);
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

static gboolean
is_plain_key (const gchar * key)
{
  const gchar *p;

  if (!g_ascii_isalpha (key[0]) && key[0] != '_')
    return FALSE;
  for (p = key; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      return FALSE;
  return p - key <= RR_JSON_MAX_SHOWN_CHARS;
}

/* $.key, or $["odd key"] when the key is not an identifier */
void
rr_json_path_append_key (GString * path, const gchar * key)
{
  if (is_plain_key (key)) {
    g_string_append_c (path, '.');
    g_string_append (path, key);
  } else {
    g_string_append (path, "[\"");
    rr_json_append_escaped (path, key, RR_JSON_MAX_SHOWN_CHARS);
    g_string_append (path, "\"]");
  }
}

gchar *
rr_json_key_path (const gchar * opath, const gchar * key)
{
  GString *p = g_string_new (opath);

  rr_json_path_append_key (p, key);
  return g_string_free (p, FALSE);
}

gchar *
rr_json_index_path (const gchar * apath, guint i)
{
  return g_strdup_printf ("%s[%u]", apath, i);
}

/* Integral values without a fraction, others as the shortest text that
 * reads back the same. */
gchar *
rr_json_number_text (gdouble d)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
  static const gchar *const formats[] = { "%.15g", "%.16g", "%.17g" };
  guint i;

  if (d >= -1e15 && d <= 1e15 && d == (gdouble) (gint64) d)
    return g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) d);
  /* 0.1, not 0.10000000000000001 */
  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    g_ascii_formatd (buf, sizeof (buf), formats[i], d);
    if (g_ascii_strtod (buf, NULL) == d)
      break;
  }
  return g_strdup (buf);
}

gboolean
rr_json_node_is_number (JsonNode * node)
{
  GType t;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  t = json_node_get_value_type (node);
  return t == G_TYPE_INT64 || t == G_TYPE_DOUBLE;
}

gboolean
rr_json_node_is_string (JsonNode * node)
{
  return JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING;
}

gchar *
rr_json_node_number_text (JsonNode * node)
{
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  return rr_json_number_text (json_node_get_double (node));
}

/* What the user wrote, for "expected …, got …" */
gchar *
rr_json_describe_node (JsonNode * node)
{
  GType t;

  switch (JSON_NODE_TYPE (node)) {
    case JSON_NODE_OBJECT:
      return g_strdup ("an object");
    case JSON_NODE_ARRAY:
      return g_strdup ("an array");
    case JSON_NODE_NULL:
      return g_strdup ("null");
    case JSON_NODE_VALUE:
      break;
  }
  t = json_node_get_value_type (node);
  if (t == G_TYPE_STRING) {
    gchar *q = rr_json_quote (json_node_get_string (node));
    gchar *s = g_strdup_printf ("a string (%s)", q);

    g_free (q);
    return s;
  }
  if (t == G_TYPE_BOOLEAN)
    return g_strdup_printf ("a boolean (%s)",
        json_node_get_boolean (node) ? "true" : "false");
  if (t == G_TYPE_INT64 || t == G_TYPE_DOUBLE)
    return rr_json_node_number_text (node);
  return g_strdup ("an unknown value");
}

void
rr_json_set_error (GError ** error, GQuark domain, gint code,
    const gchar * path, const gchar * format, ...)
{
  va_list args;
  gchar *msg;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, domain, code, "%s: %s", path, msg);
  g_free (msg);
}

gboolean
rr_json_type_error (GError ** error, GQuark domain, gint code,
    const gchar * path, const gchar * expected, JsonNode * node)
{
  gchar *got = rr_json_describe_node (node);

  rr_json_set_error (error, domain, code, path, "expected %s, got %s",
      expected, got);
  g_free (got);
  return FALSE;
}

gboolean
rr_json_root_is_object (JsonParser * parser)
{
  JsonNode *root = json_parser_get_root (parser);

  return root != NULL && JSON_NODE_HOLDS_OBJECT (root);
}

JsonObject *
rr_json_object_copy (JsonObject * o)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const gchar *name;
  JsonNode *value;

  json_object_iter_init (&iter, o);
  while (json_object_iter_next (&iter, &name, &value))
    json_object_set_member (copy, name, json_node_copy (value));
  return copy;
}
