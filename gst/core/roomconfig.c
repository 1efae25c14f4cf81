/* roomrec — the room config file of `roomrec run room.json`
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two passes.  First a strict RFC 8259 check of the text: json-glib 1.6
 * accepts comments, single quotes, hex and leading-zero numbers and
 * garbage after the value, silently wraps integers beyond 64 bits, turns
 * 1e400 into infinity, cuts strings at \u0000, and recurses without a
 * depth limit (a deeply nested file overflows the stack).  The check also
 * rejects duplicate keys and tells where the problem is (line, column and
 * JSON path).  Then json-glib builds the tree and every key is checked
 * against the schema of docs/config.md, in a fixed order, stopping at the
 * first problem.
 */
#include "roomconfig.h"
#include "jsonmsg.h"

#include "ids.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#define MAX_CONFIG_BYTES (1024 * 1024)
#define MAX_DEPTH 64
#define MAX_ID_BYTES 255
#define MAX_PATH_BYTES 4096
#define MIN_TOKEN_CHARS 16
#define MAX_TOKEN_CHARS 4096
#define MAX_SHOWN_CHARS 64      /* of a key or value quoted in a message */

GQuark
rr_config_error_quark (void)
{
  return g_quark_from_static_string ("rr-config-error-quark");
}

/* ------------------------------------------------------------------ */
/* messages                                                            */

/* "<path>: <message>" */
#define fail(error, code, path, ...) \
  rr_json_set_error (error, RR_CONFIG_ERROR, code, path, __VA_ARGS__)
#define type_error(error, path, expected, node) \
  rr_json_type_error (error, RR_CONFIG_ERROR, RR_CONFIG_ERROR_TYPE, path, expected, node)

/* ------------------------------------------------------------------ */
/* strict JSON text check                                              */

typedef struct
{
  gboolean is_object;
  guint index;                  /* array: the element being read */
  gchar *key;                   /* object: the member being read */
  GHashTable *keys;             /* object: keys seen so far */
} JFrame;

typedef struct
{
  const gchar *s;
  gsize len;
  gsize pos;
  GArray *frames;               /* of JFrame, outermost first */
  GString *str;                 /* the string just read, decoded */
  GError **error;
} JCheck;

static gchar *
jcheck_path (JCheck * jc)
{
  GString *p = g_string_new ("$");
  guint i;

  for (i = 0; i < jc->frames->len; i++) {
    JFrame *f = &g_array_index (jc->frames, JFrame, i);

    if (!f->is_object)
      g_string_append_printf (p, "[%u]", f->index);
    else if (f->key)
      rr_json_path_append_key (p, f->key);
  }
  return g_string_free (p, FALSE);
}

/* *INDENT-OFF* */
static void jcheck_fail (JCheck * jc, RrConfigError code,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);
/* *INDENT-ON* */

/* "<path>: line L, column C: <message>" */
static void
jcheck_fail (JCheck * jc, RrConfigError code, const gchar * format, ...)
{
  va_list args;
  gchar *msg, *path;
  guint line = 1, column = 1;
  gsize i, end = MIN (jc->pos, jc->len);

  for (i = 0; i < end; i++) {
    if (jc->s[i] == '\n') {
      line++;
      column = 1;
    } else if (((guchar) jc->s[i] & 0xc0) != 0x80) {
      column++;
    }
  }
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  path = jcheck_path (jc);
  g_set_error (jc->error, RR_CONFIG_ERROR, code, "%s: line %u, column %u: %s",
      path, line, column, msg);
  g_free (path);
  g_free (msg);
}

static gboolean
jcheck_syntax (JCheck * jc, const gchar * what)
{
  gchar buf[32];
  const gchar *hint = "";

  if (jc->pos >= jc->len) {
    jcheck_fail (jc, RR_CONFIG_ERROR_SYNTAX,
        "JSON syntax error: %s, got the end of the file", what);
    return FALSE;
  }
  if ((guchar) jc->s[jc->pos] >= 0x80)
    g_snprintf (buf, sizeof (buf), "U+%04X",
        g_utf8_get_char_validated (jc->s + jc->pos, jc->len - jc->pos));
  else if (g_ascii_isgraph (jc->s[jc->pos]))
    g_snprintf (buf, sizeof (buf), "'%c'", jc->s[jc->pos]);
  else
    g_snprintf (buf, sizeof (buf), "byte 0x%02X", (guchar) jc->s[jc->pos]);

  switch (jc->s[jc->pos]) {
    case '/':
    case '#':
      hint = " (JSON has no comments)";
      break;
    case '\'':
      hint = " (JSON strings and keys take double quotes)";
      break;
    default:
      if (g_ascii_isalpha (jc->s[jc->pos]))
        hint = " (strings and keys need double quotes; the only bare words "
            "are true, false and null)";
      break;
  }
  jcheck_fail (jc, RR_CONFIG_ERROR_SYNTAX, "JSON syntax error: %s, got %s%s",
      what, buf, hint);
  return FALSE;
}

static void
jcheck_ws (JCheck * jc)
{
  while (jc->pos < jc->len) {
    gchar c = jc->s[jc->pos];

    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      break;
    jc->pos++;
  }
}

static gint
hex4 (const gchar * p)
{
  gint v = 0, i;

  for (i = 0; i < 4; i++) {
    gint d = g_ascii_xdigit_value (p[i]);

    if (d < 0)
      return -1;
    v = v * 16 + d;
  }
  return v;
}

/* At '"': checks the string and decodes it into jc->str. */
static gboolean
jcheck_string (JCheck * jc)
{
  g_string_truncate (jc->str, 0);
  jc->pos++;
  while (TRUE) {
    guchar c;

    if (jc->pos >= jc->len)
      return jcheck_syntax (jc, "unterminated string: expected '\"'");
    c = jc->s[jc->pos];
    if (c == '"') {
      jc->pos++;
      return TRUE;
    }
    if (c < 0x20) {
      jcheck_fail (jc, RR_CONFIG_ERROR_SYNTAX, "JSON syntax error: control "
          "character 0x%02X in a string (write it as \\n, \\t or \\u00XX)", c);
      return FALSE;
    }
    if (c != '\\') {
      g_string_append_c (jc->str, c);
      jc->pos++;
      continue;
    }
    jc->pos++;
    if (jc->pos >= jc->len)
      return jcheck_syntax (jc, "expected an escape after '\\'");
    c = jc->s[jc->pos];
    if (c == 'u') {
      gint u = jc->pos + 5 <= jc->len ? hex4 (jc->s + jc->pos + 1) : -1;

      if (u < 0)
        return jcheck_syntax (jc, "expected 4 hex digits after \\u");
      if (u == 0) {
        jcheck_fail (jc, RR_CONFIG_ERROR_SYNTAX, "\\u0000 (a NUL character) "
            "is not allowed in a string");
        return FALSE;
      }
      jc->pos += 5;
      if (u >= 0xdc00 && u <= 0xdfff) {
        jcheck_fail (jc, RR_CONFIG_ERROR_SYNTAX, "JSON syntax error: \\u%04X "
            "is a low surrogate without a high surrogate before it", u);
        return FALSE;
      }
      if (u >= 0xd800 && u <= 0xdbff) {
        gint lo = -1;

        if (jc->pos + 6 <= jc->len && jc->s[jc->pos] == '\\'
            && jc->s[jc->pos + 1] == 'u')
          lo = hex4 (jc->s + jc->pos + 2);
        if (lo < 0xdc00 || lo > 0xdfff) {
          jcheck_fail (jc, RR_CONFIG_ERROR_SYNTAX, "JSON syntax error: "
              "\\u%04X is a high surrogate without \\uDC00–\\uDFFF after "
              "it", u);
          return FALSE;
        }
        jc->pos += 6;
        u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
      }
      g_string_append_unichar (jc->str, u);
      continue;
    }
    switch (c) {
      case '"':
      case '\\':
      case '/':
        g_string_append_c (jc->str, c);
        break;
      case 'b':
        g_string_append_c (jc->str, '\b');
        break;
      case 'f':
        g_string_append_c (jc->str, '\f');
        break;
      case 'n':
        g_string_append_c (jc->str, '\n');
        break;
      case 'r':
        g_string_append_c (jc->str, '\r');
        break;
      case 't':
        g_string_append_c (jc->str, '\t');
        break;
      default:
        return jcheck_syntax (jc, "expected one of \\\" \\\\ \\/ \\b \\f \\n "
            "\\r \\t \\uXXXX");
    }
    jc->pos++;
  }
}

static gboolean
jcheck_digits (JCheck * jc, const gchar * what)
{
  if (jc->pos >= jc->len || !g_ascii_isdigit (jc->s[jc->pos]))
    return jcheck_syntax (jc, what);
  while (jc->pos < jc->len && g_ascii_isdigit (jc->s[jc->pos]))
    jc->pos++;
  return TRUE;
}

/* At '-' or a digit.  Numbers json-glib would get wrong (integers beyond
 * 64 bits, which it wraps; reals beyond the double range, which become
 * infinite) are out of range wherever they are. */
static gboolean
jcheck_number (JCheck * jc)
{
  gsize start = jc->pos;
  gboolean integer = TRUE, too_big;
  gchar *lit;

  if (jc->s[jc->pos] == '-')
    jc->pos++;
  if (jc->pos < jc->len && jc->s[jc->pos] == '0') {
    jc->pos++;
    if (jc->pos < jc->len && g_ascii_isdigit (jc->s[jc->pos])) {
      jcheck_fail (jc, RR_CONFIG_ERROR_SYNTAX, "JSON syntax error: numbers "
          "do not start with 0 (no leading zeros, no octal)");
      return FALSE;
    }
  } else if (!jcheck_digits (jc, "expected a digit")) {
    return FALSE;
  }
  if (jc->pos < jc->len && jc->s[jc->pos] == '.') {
    integer = FALSE;
    jc->pos++;
    if (!jcheck_digits (jc, "expected a digit after '.'"))
      return FALSE;
  }
  if (jc->pos < jc->len && (jc->s[jc->pos] == 'e' || jc->s[jc->pos] == 'E')) {
    integer = FALSE;
    jc->pos++;
    if (jc->pos < jc->len && (jc->s[jc->pos] == '+' || jc->s[jc->pos] == '-'))
      jc->pos++;
    if (!jcheck_digits (jc, "expected a digit in the exponent"))
      return FALSE;
  }

  lit = g_strndup (jc->s + start, jc->pos - start);
  errno = 0;
  if (integer) {
    g_ascii_strtoll (lit, NULL, 10);
    too_big = errno == ERANGE;
  } else {
    too_big = isinf (g_ascii_strtod (lit, NULL));
  }
  if (too_big) {
    gchar *path = jcheck_path (jc);
    GString *shown = g_string_new_len (lit, MIN (jc->pos - start, 32));

    if (jc->pos - start > 32)
      g_string_append (shown, "…");
    fail (jc->error, RR_CONFIG_ERROR_RANGE, path, "%s is too large to be "
        "read exactly (integers: at most 19 digits, reals: up to 1.7e308)",
        shown->str);
    g_string_free (shown, TRUE);
    g_free (path);
  }
  g_free (lit);
  return !too_big;
}

static gboolean
jcheck_word (JCheck * jc, const gchar * word)
{
  gsize n = strlen (word);

  if (jc->len - jc->pos < n || memcmp (jc->s + jc->pos, word, n) != 0)
    return jcheck_syntax (jc, "expected a value");
  jc->pos += n;
  return TRUE;
}

static gboolean jcheck_value (JCheck * jc, guint depth);

static JFrame *
jcheck_top (JCheck * jc)
{
  return &g_array_index (jc->frames, JFrame, jc->frames->len - 1);
}

static void
jframe_clear (JFrame * f)
{
  g_free (f->key);
  if (f->keys)
    g_hash_table_unref (f->keys);
}

static gboolean
jcheck_object (JCheck * jc, guint depth)
{
  JFrame frame = { TRUE, 0, NULL, NULL };

  g_array_append_val (jc->frames, frame);
  jc->pos++;
  jcheck_ws (jc);
  if (jc->pos < jc->len && jc->s[jc->pos] == '}') {
    jc->pos++;
    return TRUE;
  }
  while (TRUE) {
    JFrame *f;

    if (jc->pos >= jc->len || jc->s[jc->pos] != '"')
      return jcheck_syntax (jc, "expected a key in double quotes");
    if (!jcheck_string (jc))
      return FALSE;
    f = jcheck_top (jc);
    g_free (f->key);
    f->key = g_strdup (jc->str->str);
    if (f->keys == NULL)
      f->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    if (g_hash_table_contains (f->keys, f->key)) {
      jcheck_fail (jc, RR_CONFIG_ERROR_SYNTAX, "this key appears twice in "
          "the same object; give it once");
      return FALSE;
    }
    g_hash_table_add (f->keys, g_strdup (f->key));
    jcheck_ws (jc);
    if (jc->pos >= jc->len || jc->s[jc->pos] != ':')
      return jcheck_syntax (jc, "expected ':' after the key");
    jc->pos++;
    jcheck_ws (jc);
    if (!jcheck_value (jc, depth))
      return FALSE;
    jcheck_ws (jc);
    if (jc->pos < jc->len && jc->s[jc->pos] == '}') {
      jc->pos++;
      return TRUE;
    }
    if (jc->pos >= jc->len || jc->s[jc->pos] != ',')
      return jcheck_syntax (jc, "expected ',' or '}' after the value");
    jc->pos++;
    jcheck_ws (jc);
    if (jc->pos < jc->len && jc->s[jc->pos] == '}') {
      jcheck_fail (jc, RR_CONFIG_ERROR_SYNTAX, "JSON syntax error: a comma "
          "before '}' (JSON has no trailing commas)");
      return FALSE;
    }
  }
}

static gboolean
jcheck_array (JCheck * jc, guint depth)
{
  JFrame frame = { FALSE, 0, NULL, NULL };

  g_array_append_val (jc->frames, frame);
  jc->pos++;
  jcheck_ws (jc);
  if (jc->pos < jc->len && jc->s[jc->pos] == ']') {
    jc->pos++;
    return TRUE;
  }
  while (TRUE) {
    if (!jcheck_value (jc, depth))
      return FALSE;
    jcheck_ws (jc);
    if (jc->pos < jc->len && jc->s[jc->pos] == ']') {
      jc->pos++;
      return TRUE;
    }
    if (jc->pos >= jc->len || jc->s[jc->pos] != ',')
      return jcheck_syntax (jc, "expected ',' or ']' after the element");
    jc->pos++;
    jcheck_top (jc)->index++;
    jcheck_ws (jc);
    if (jc->pos < jc->len && jc->s[jc->pos] == ']') {
      jcheck_fail (jc, RR_CONFIG_ERROR_SYNTAX, "JSON syntax error: a comma "
          "before ']' (JSON has no trailing commas)");
      return FALSE;
    }
  }
}

static gboolean
jcheck_value (JCheck * jc, guint depth)
{
  gboolean ok;

  if (jc->pos >= jc->len)
    return jcheck_syntax (jc, "expected a value");
  switch (jc->s[jc->pos]) {
    case '{':
    case '[':
      if (depth >= MAX_DEPTH) {
        jcheck_fail (jc, RR_CONFIG_ERROR_SYNTAX, "objects and arrays are "
            "nested more than %u deep", MAX_DEPTH);
        return FALSE;
      }
      ok = jc->s[jc->pos] == '{' ? jcheck_object (jc, depth + 1)
          : jcheck_array (jc, depth + 1);
      if (ok) {
        jframe_clear (jcheck_top (jc));
        g_array_set_size (jc->frames, jc->frames->len - 1);
      }
      return ok;
    case '"':
      return jcheck_string (jc);
    case 't':
      return jcheck_word (jc, "true");
    case 'f':
      return jcheck_word (jc, "false");
    case 'n':
      return jcheck_word (jc, "null");
    default:
      if (jc->s[jc->pos] == '-' || g_ascii_isdigit (jc->s[jc->pos]))
        return jcheck_number (jc);
      return jcheck_syntax (jc, "expected a value");
  }
}

/* The whole text; *start is set past a UTF-8 byte order mark. */
static gboolean
check_json_text (const gchar * s, gsize len, gsize * start, GError ** error)
{
  JCheck jc = { s, len, 0, NULL, NULL, error };
  const gchar *bad = NULL;
  gboolean ok;
  guint i;

  if (!g_utf8_validate_len (s, len, &bad)) {
    jc.pos = bad - s;
    jc.frames = g_array_new (FALSE, TRUE, sizeof (JFrame));
    if (*bad == '\0')
      jcheck_fail (&jc, RR_CONFIG_ERROR_SYNTAX, "a NUL byte at offset %"
          G_GSIZE_FORMAT "; a room config is UTF-8 text", jc.pos);
    else
      jcheck_fail (&jc, RR_CONFIG_ERROR_SYNTAX, "not valid UTF-8 (byte "
          "0x%02X at offset %" G_GSIZE_FORMAT "); save the file as UTF-8",
          (guchar) * bad, jc.pos);
    g_array_unref (jc.frames);
    return FALSE;
  }
  if (len >= 3 && memcmp (s, "\xef\xbb\xbf", 3) == 0)
    jc.pos = 3;
  *start = jc.pos;

  jc.frames = g_array_new (FALSE, TRUE, sizeof (JFrame));
  jc.str = g_string_new (NULL);
  jcheck_ws (&jc);
  if (jc.pos >= len) {
    jcheck_fail (&jc, RR_CONFIG_ERROR_SYNTAX, "the room config is empty; "
        "it must be a JSON object such as {\"room_id\": …, \"inputs\": […]}");
    ok = FALSE;
  } else {
    ok = jcheck_value (&jc, 0);
    if (ok) {
      jcheck_ws (&jc);
      if (jc.pos < len)
        ok = jcheck_syntax (&jc, "expected the end of the file after the "
            "JSON value");
    }
  }
  for (i = 0; i < jc.frames->len; i++)
    jframe_clear (&g_array_index (jc.frames, JFrame, i));
  g_array_unref (jc.frames);
  g_string_free (jc.str, TRUE);
  return ok;
}

/* ------------------------------------------------------------------ */
/* schema helpers                                                      */

/* Same after lower-casing and dropping '_' and '-' (roomId, room-id), one
 * the start of the other (room → room_id), or one or two typos away. */
static gboolean
keys_similar (const gchar * a, const gchar * b)
{
  guint la = strlen (a), lb = strlen (b), i, j;
  guint row0[MAX_SHOWN_CHARS + 1], row1[MAX_SHOWN_CHARS + 1];
  guint *prev = row0, *cur = row1;
  GString *na, *nb;
  gboolean same;

  na = g_string_new (NULL);
  nb = g_string_new (NULL);
  for (i = 0; i < la; i++)
    if (a[i] != '_' && a[i] != '-')
      g_string_append_c (na, g_ascii_tolower (a[i]));
  for (i = 0; i < lb; i++)
    if (b[i] != '_' && b[i] != '-')
      g_string_append_c (nb, g_ascii_tolower (b[i]));
  same = g_str_equal (na->str, nb->str)
      || (MIN (na->len, nb->len) >= 4 && strncmp (na->str, nb->str,
          MIN (na->len, nb->len)) == 0);
  g_string_free (na, TRUE);
  g_string_free (nb, TRUE);
  if (same)
    return TRUE;

  if (la > MAX_SHOWN_CHARS || lb > MAX_SHOWN_CHARS)
    return FALSE;
  for (j = 0; j <= lb; j++)
    prev[j] = j;
  for (i = 1; i <= la; i++) {
    guint *tmp;

    cur[0] = i;
    for (j = 1; j <= lb; j++) {
      guint sub = prev[j - 1] + (a[i - 1] != b[j - 1]);

      cur[j] = MIN (MIN (prev[j] + 1, cur[j - 1] + 1), sub);
    }
    tmp = prev;
    prev = cur;
    cur = tmp;
  }
  return prev[lb] <= (lb <= 4 ? 1u : 2u);
}

static const gchar *
find_unknown_key (JsonObject * obj, const gchar * const *known)
{
  GList *members = json_object_get_members (obj), *l;
  const gchar *found = NULL;

  for (l = members; l && found == NULL; l = l->next)
    if (!g_strv_contains (known, l->data))
      found = l->data;
  g_list_free (members);
  return found;
}

/* "<path>: unknown key (did you mean "x"? known keys: a, b, c)" */
static gboolean
unknown_key (GError ** error, const gchar * opath, const gchar * key,
    const gchar * const *known, const gchar * extra)
{
  gchar *path = rr_json_key_path (opath, key);
  gchar *list = g_strjoinv (", ", (gchar **) known);
  GString *msg = g_string_new ("unknown key (");
  guint i;

  for (i = 0; known[i]; i++) {
    if (keys_similar (key, known[i])) {
      g_string_append_printf (msg, "did you mean \"%s\"? ", known[i]);
      break;
    }
  }
  if (extra)
    g_string_append_printf (msg, "%s; ", extra);
  g_string_append_printf (msg, "known keys: %s)", list);
  fail (error, RR_CONFIG_ERROR_UNKNOWN_KEY, path, "%s", msg->str);
  g_string_free (msg, TRUE);
  g_free (list);
  g_free (path);
  return FALSE;
}

static gboolean
check_keys (JsonObject * obj, const gchar * opath, const gchar * const *known,
    GError ** error)
{
  const gchar *key = find_unknown_key (obj, known);

  if (key)
    return unknown_key (error, opath, key, known, NULL);
  return TRUE;
}

static gboolean
require (JsonObject * obj, const gchar * opath, const gchar * key,
    GError ** error)
{
  gchar *path;

  if (json_object_has_member (obj, key))
    return TRUE;
  path = rr_json_key_path (opath, key);
  fail (error, RR_CONFIG_ERROR_MISSING, path, "required key is missing");
  g_free (path);
  return FALSE;
}

typedef enum
{
  TEXT_LINE,                    /* no control characters */
  TEXT_MULTILINE,               /* tab, CR and LF allowed too (SDP) */
  TEXT_VISIBLE_ASCII,           /* '!'..'~' only: tokens, URLs, headers */
} TextKind;

/* Never quotes the value: it may be a secret. */
static gboolean
check_text (const gchar * path, const gchar * s, TextKind kind,
    gsize min_len, gsize max_len, GError ** error)
{
  const gchar *unit = kind == TEXT_VISIBLE_ASCII ? "characters" : "bytes";
  gsize len = strlen (s);
  const gchar *p;

  if (!g_utf8_validate (s, -1, NULL)) {
    fail (error, RR_CONFIG_ERROR_RANGE, path, "is not valid UTF-8");
    return FALSE;
  }
  if (len == 0) {
    fail (error, RR_CONFIG_ERROR_RANGE, path, "must not be empty");
    return FALSE;
  }
  if (len < min_len || len > max_len) {
    fail (error, RR_CONFIG_ERROR_RANGE, path, "is %" G_GSIZE_FORMAT " %s "
        "long; %" G_GSIZE_FORMAT "–%" G_GSIZE_FORMAT " %s are allowed", len,
        unit, min_len, max_len, unit);
    return FALSE;
  }
  for (p = s; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (kind == TEXT_VISIBLE_ASCII && (c < 0x21 || c > 0x7e)) {
      fail (error, RR_CONFIG_ERROR_RANGE, path, "contains %s U+%04X at byte %"
          G_GSIZE_FORMAT "; only printable ASCII without spaces is allowed "
          "here", c == ' ' ? "a space," : "the character", c, (gsize) (p - s));
      return FALSE;
    }
    if (kind == TEXT_MULTILINE && (c == '\t' || c == '\r' || c == '\n'))
      continue;
    if (g_unichar_iscntrl (c)) {
      fail (error, RR_CONFIG_ERROR_RANGE, path, "contains the control "
          "character U+%04X at byte %" G_GSIZE_FORMAT "; control characters "
          "are not allowed here", c, (gsize) (p - s));
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
string_node (JsonNode * node, const gchar * path, TextKind kind,
    gsize min_len, gsize max_len, const gchar ** out, GError ** error)
{
  if (!rr_json_node_is_string (node))
    return type_error (error, path, "a string", node);
  if (!check_text (path, json_node_get_string (node), kind, min_len, max_len,
          error))
    return FALSE;
  *out = json_node_get_string (node);
  return TRUE;
}

/* Absent: TRUE and *out untouched. */
static gboolean
read_string (JsonObject * obj, const gchar * opath, const gchar * key,
    TextKind kind, gsize min_len, gsize max_len, gchar ** out, GError ** error)
{
  JsonNode *node = json_object_get_member (obj, key);
  const gchar *s = NULL;
  gchar *path;
  gboolean ok;

  if (node == NULL)
    return TRUE;
  path = rr_json_key_path (opath, key);
  ok = string_node (node, path, kind, min_len, max_len, &s, error);
  if (ok) {
    g_free (*out);
    *out = g_strdup (s);
  }
  g_free (path);
  return ok;
}

static gboolean
read_bool (JsonObject * obj, const gchar * opath, const gchar * key,
    gboolean * out, GError ** error)
{
  JsonNode *node = json_object_get_member (obj, key);
  gchar *path;

  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_BOOLEAN) {
    *out = json_node_get_boolean (node);
    return TRUE;
  }
  path = rr_json_key_path (opath, key);
  type_error (error, path, "true or false", node);
  g_free (path);
  return FALSE;
}

typedef struct
{
  gdouble min, max;
  gboolean zero_ok;             /* 0 is allowed besides min..max */
  gboolean min_exclusive;       /* more than min */
  gboolean fraction;            /* seconds: fractions allowed */
  const gchar *unit;            /* "seconds", "bytes", … or NULL */
} Range;

static gchar *
range_text (const Range * r)
{
  gchar *lo = rr_json_number_text (r->min), *hi = rr_json_number_text (r->max);
  GString *s = g_string_new ("(");

  if (r->zero_ok)
    g_string_append (s, "0 or ");
  if (r->min_exclusive)
    g_string_append_printf (s, "more than %s, at most %s", lo, hi);
  else
    g_string_append_printf (s, "%s–%s", lo, hi);
  if (r->unit)
    g_string_append_printf (s, " %s", r->unit);
  g_string_append_c (s, ')');
  g_free (lo);
  g_free (hi);
  return g_string_free (s, FALSE);
}

static gboolean
in_range (const Range * r, gdouble v)
{
  if (r->zero_ok && v == 0)
    return TRUE;
  if (r->min_exclusive ? v <= r->min : v < r->min)
    return FALSE;
  return v <= r->max;
}

static gboolean
is_integral (gdouble v)
{
  /* doubles this large have no fraction; the range check takes them */
  return v < -1e18 || v > 1e18 || v == (gdouble) (gint64) v;
}

static gboolean
range_error (GError ** error, const gchar * path, const Range * r,
    gdouble v, const gchar * context)
{
  gchar *got = rr_json_number_text (v), *range = range_text (r);

  fail (error, RR_CONFIG_ERROR_RANGE, path, "%s is out of range%s %s", got,
      context ? context : "", range);
  g_free (got);
  g_free (range);
  return FALSE;
}

/* A number in @r.  @integer: fractions are a type error. */
static gboolean
number_node (JsonNode * node, const gchar * path, const Range * r,
    gboolean integer, const gchar * what, const gchar * what_integer,
    gdouble * out, GError ** error)
{
  gdouble v;

  if (!rr_json_node_is_number (node))
    return type_error (error, path, what, node);
  v = json_node_get_double (node);
  if (integer && !is_integral (v)) {
    gchar *got = rr_json_number_text (v);

    fail (error, RR_CONFIG_ERROR_TYPE, path, "expected %s, got %s",
        what_integer, got);
    g_free (got);
    return FALSE;
  }
  if (!in_range (r, v))
    return range_error (error, path, r, v, NULL);
  *out = v;
  return TRUE;
}

/* Seconds in @r (range and messages in seconds), stored as ns. */
static gboolean
read_seconds (JsonObject * obj, const gchar * opath, const gchar * key,
    const Range * r, guint64 * out_ns, GError ** error)
{
  JsonNode *node = json_object_get_member (obj, key);
  gchar *path;
  gdouble v = 0;
  gboolean ok;

  if (node == NULL)
    return TRUE;
  path = rr_json_key_path (opath, key);
  ok = number_node (node, path, r, !r->fraction, "a number of seconds",
      "a whole number of seconds", &v, error);
  g_free (path);
  if (ok)                       /* r->max keeps this far below 2^64 */
    *out_ns = (guint64) (v * GST_SECOND + 0.5);
  return ok;
}

/* An integer in @r (whose max must stay below 2^63). */
static gboolean
read_uint (JsonObject * obj, const gchar * opath, const gchar * key,
    const Range * r, guint64 * out, GError ** error)
{
  JsonNode *node = json_object_get_member (obj, key);
  gchar *path;
  gdouble v = 0;
  gboolean ok;

  if (node == NULL)
    return TRUE;
  path = rr_json_key_path (opath, key);
  ok = number_node (node, path, r, TRUE, "an integer", "an integer", &v, error);
  g_free (path);
  if (ok) {
    if (json_node_get_value_type (node) == G_TYPE_INT64)
      *out = (guint64) json_node_get_int (node);
    else
      *out = (guint64) v;
  }
  return ok;
}

static gboolean
read_array (JsonObject * obj, const gchar * opath, const gchar * key,
    const gchar * what, JsonArray ** out, GError ** error)
{
  JsonNode *node = json_object_get_member (obj, key);
  gchar *path;

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_ARRAY (node)) {
    *out = json_node_get_array (node);
    return TRUE;
  }
  path = rr_json_key_path (opath, key);
  type_error (error, path, what, node);
  g_free (path);
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* top level                                                           */

static const gchar *const room_keys[] = {
  "room_id", "recording_id", "app_id", "archive_dir", "tmp_dir", "naming",
  "naming_template", "split_naming_template", "format", "video_codecs",
  "audio_codecs", "split_duration", "split_only", "max_size_bytes",
  "max_duration", "max_pause", "hls_target_duration", "pli_interval",
  "latency_ms", "expire_time", "max_idle_time", "stop_when_empty",
  "media_timeout", "subscribe", "participants", "metadata", "inputs", "mode",
  "mix", "storage", "webhooks", "client_uploads", "max_client_upload_bytes",
  "failover", NULL
};

static gboolean
parse_ids (JsonObject * root, RrRoomConfig * c, GError ** error)
{
  if (!require (root, "$", "room_id", error)
      || !read_string (root, "$", "room_id", TEXT_LINE, 1, MAX_ID_BYTES,
          &c->room_id, error)
      || !read_string (root, "$", "recording_id", TEXT_LINE, 1, MAX_ID_BYTES,
          &c->recording_id, error)
      || !read_string (root, "$", "app_id", TEXT_LINE, 1, MAX_ID_BYTES,
          &c->app_id, error)
      || !read_string (root, "$", "archive_dir", TEXT_LINE, 1,
          MAX_PATH_BYTES, &c->archive_dir, error)
      || !read_string (root, "$", "tmp_dir", TEXT_LINE, 1, MAX_PATH_BYTES,
          &c->tmp_dir, error))
    return FALSE;
  if (c->recording_id == NULL)
    c->recording_id = rr_id_generate ();
  if (c->archive_dir == NULL)
    c->archive_dir = g_strdup (".");
  return TRUE;
}

static gboolean
parse_naming (JsonObject * root, RrRoomConfig * c, GError ** error)
{
  static const gchar *const keys[] = { "naming_template",
    "split_naming_template"
  };
  gchar *name = NULL;
  guint i;

  if (!read_string (root, "$", "naming", TEXT_LINE, 1, MAX_ID_BYTES, &name,
          error))
    return FALSE;
  c->naming = RR_NAMING_PRESET_SORA;
  if (name && !rr_naming_preset_from_string (name, &c->naming)) {
    gchar *q = rr_json_quote (name);

    fail (error, RR_CONFIG_ERROR_RANGE, "$.naming", "%s is not a naming "
        "preset (sora, trtc or sparkrtc)", q);
    g_free (q);
    g_free (name);
    return FALSE;
  }
  g_free (name);

  if (!read_string (root, "$", keys[0], TEXT_LINE, 1, MAX_PATH_BYTES,
          &c->naming_template, error)
      || !read_string (root, "$", keys[1], TEXT_LINE, 1, MAX_PATH_BYTES,
          &c->split_naming_template, error))
    return FALSE;
  for (i = 0; i < G_N_ELEMENTS (keys); i++) {
    const gchar *tmpl = i == 0 ? c->naming_template : c->split_naming_template;
    GError *err = NULL;
    gchar *path;

    if (tmpl == NULL)
      continue;
    path = rr_json_key_path ("$", keys[i]);
    if (!rr_naming_template_validate (tmpl, &err)) {
      fail (error, RR_CONFIG_ERROR_RANGE, path, "%s", err->message);
      g_error_free (err);
      g_free (path);
      return FALSE;
    }
    if (i == 1 && strstr (tmpl, "{index}") == NULL) {
      fail (error, RR_CONFIG_ERROR_RANGE, path, "a split naming template "
          "must use {index} (split files would overwrite each other)");
      g_free (path);
      return FALSE;
    }
    g_free (path);
  }
  return TRUE;
}

/* The codecs a list may hold when it is given explicitly. */
static gboolean
webrtc_codec (RrCodec codec, gboolean video)
{
  if (video)
    return rr_codec_is_video (codec);
  return codec == RR_CODEC_OPUS || codec == RR_CODEC_PCMU
      || codec == RR_CODEC_PCMA;
}

static gboolean
parse_codec_list (JsonObject * root, const gchar * key, gboolean video,
    gboolean any_format, RrFormat format, RrCodec ** out, guint * n_out,
    GError ** error)
{
  static const RrCodec video_default[] = { RR_CODEC_VP8, RR_CODEC_H264,
    RR_CODEC_VP9, RR_CODEC_AV1, RR_CODEC_H265
  };
  static const RrCodec audio_default[] = { RR_CODEC_OPUS };
  const gchar *kind = video ? "video" : "audio";
  JsonArray *arr;
  guint n, i, j;
  gchar *apath;

  if (!read_array (root, "$", key, video ? "an array of video codec names "
          "such as [\"VP8\", \"H264\"]" : "an array of audio codec names "
          "such as [\"OPUS\"]", &arr, error))
    return FALSE;

  if (arr == NULL) {
    const RrCodec *defaults = video ? video_default : audio_default;
    guint n_defaults = video ? G_N_ELEMENTS (video_default)
        : G_N_ELEMENTS (audio_default);

    *out = g_new0 (RrCodec, n_defaults);
    for (i = 0; i < n_defaults; i++)
      if (any_format || rr_format_accepts (format, defaults[i], NULL))
        (*out)[(*n_out)++] = defaults[i];
    return TRUE;
  }

  n = json_array_get_length (arr);
  *out = g_new0 (RrCodec, MAX (n, 1));
  apath = rr_json_key_path ("$", key);
  for (i = 0; i < n; i++) {
    gchar *path = rr_json_index_path (apath, i);
    const gchar *name = NULL;
    gchar *reason = NULL;
    RrCodec codec = RR_CODEC_UNKNOWN;
    gboolean ok = string_node (json_array_get_element (arr, i), path,
        TEXT_LINE, 1, MAX_ID_BYTES, &name, error);

    if (ok) {
      codec = rr_codec_from_encoding_name (name);
      if (!webrtc_codec (codec, video)) {
        gchar *q = rr_json_quote (name);
        const gchar *hint = video ? "VP8, VP9, H264, H265 or AV1"
            : "OPUS, PCMU or PCMA";

        if (codec != RR_CODEC_UNKNOWN && rr_codec_is_video (codec) != video)
          fail (error, RR_CONFIG_ERROR_RANGE, path, "%s is %s codec; list it "
              "in %s", q, video ? "an audio" : "a video",
              video ? "audio_codecs" : "video_codecs");
        else
          fail (error, RR_CONFIG_ERROR_RANGE, path, "%s is not one of the "
              "%s codecs offered to WebRTC senders (%s)", q, kind, hint);
        g_free (q);
        ok = FALSE;
      }
    }
    for (j = 0; ok && j < *n_out; j++) {
      if ((*out)[j] == codec) {
        fail (error, RR_CONFIG_ERROR_COMBINATION, path, "%s is listed twice "
            "(also at %s[%u])", rr_codec_name (codec), apath, j);
        ok = FALSE;
      }
    }
    if (ok && !any_format && !rr_format_accepts (format, codec, &reason)) {
      fail (error, RR_CONFIG_ERROR_COMBINATION, path, "%s", reason);
      ok = FALSE;
    }
    g_free (reason);
    g_free (path);
    if (!ok) {
      g_free (apath);
      return FALSE;
    }
    (*out)[(*n_out)++] = codec;
  }
  g_free (apath);
  return TRUE;
}

static gboolean
parse_mode (JsonObject * root, RrRoomConfig * c, GError ** error)
{
  gchar *name = NULL;

  if (!read_string (root, "$", "mode", TEXT_LINE, 1, MAX_ID_BYTES, &name,
          error))
    return FALSE;
  c->mode = RR_ROOM_MODE_SINGLE;
  if (name == NULL || g_str_equal (name, "single")) {
    /* default */
  } else if (g_str_equal (name, "mixed")) {
    c->mode = RR_ROOM_MODE_MIXED;
  } else if (g_str_equal (name, "both")) {
    c->mode = RR_ROOM_MODE_BOTH;
  } else {
    gchar *q = rr_json_quote (name);

    fail (error, RR_CONFIG_ERROR_RANGE, "$.mode", "%s is not a recording "
        "mode (single: one archive per participant, mixed: one composite of "
        "the room, both)", q);
    g_free (q);
    g_free (name);
    return FALSE;
  }
  g_free (name);
  if (c->mode == RR_ROOM_MODE_SINGLE && json_object_has_member (root, "mix")) {
    fail (error, RR_CONFIG_ERROR_COMBINATION, "$.mix", "mix configures the "
        "composite, which only mode \"mixed\" or \"both\" records");
    return FALSE;
  }
  if (c->mode == RR_ROOM_MODE_MIXED) {
    static const gchar *const archive_only[] = { "format", "naming_template",
      "split_naming_template", NULL
    };

    for (guint i = 0; archive_only[i]; i++) {
      gchar *path;

      if (!json_object_has_member (root, archive_only[i]))
        continue;
      path = rr_json_key_path ("$", archive_only[i]);
      fail (error, RR_CONFIG_ERROR_COMBINATION, path, "applies to "
          "per-participant archives, which mode \"mixed\" does not write; "
          "the composite's files are set in mix (or use mode \"both\")");
      g_free (path);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
parse_format (JsonObject * root, RrRoomConfig * c, GError ** error)
{
  gchar *name = NULL;

  if (!read_string (root, "$", "format", TEXT_LINE, 1, MAX_ID_BYTES, &name,
          error))
    return FALSE;
  c->format = RR_FORMAT_MP4;
  if (name && !rr_format_from_string (name, &c->format)) {
    gchar *q = rr_json_quote (name);

    fail (error, RR_CONFIG_ERROR_RANGE, "$.format", "%s is not a format "
        "(mp4, webm, mkv, hls or ogg)", q);
    g_free (q);
    g_free (name);
    return FALSE;
  }
  g_free (name);

  /* rr_format_accepts asks the registry which GStreamer is installed */
  if (!gst_is_initialized ())
    gst_init (NULL, NULL);

  /* mixed: everything is decoded, any WebRTC codec will do */
  if (!parse_codec_list (root, "video_codecs", TRUE,
          c->mode == RR_ROOM_MODE_MIXED, c->format, &c->video_codecs,
          &c->n_video_codecs, error)
      || !parse_codec_list (root, "audio_codecs", FALSE,
          c->mode == RR_ROOM_MODE_MIXED, c->format, &c->audio_codecs,
          &c->n_audio_codecs, error))
    return FALSE;
  if (c->n_video_codecs == 0 && c->n_audio_codecs == 0) {
    fail (error, RR_CONFIG_ERROR_COMBINATION, "$", "nothing to record: "
        "video_codecs and audio_codecs are both empty with format %s",
        rr_format_name (c->format));
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_files (JsonObject * root, RrRoomConfig * c, GError ** error)
{
  static const Range split = { 0, 86400, FALSE, TRUE, TRUE, "seconds" };
  static const Range size = { 1000000, 1e18, TRUE, FALSE, FALSE, "bytes" };
  static const Range pause = { 0, 604800, FALSE, FALSE, TRUE, "seconds" };
  static const Range hls = { 1, 60, FALSE, FALSE, FALSE, "seconds" };
  static const Range pli = { 1, 240, FALSE, FALSE, FALSE, "seconds" };
  static const Range latency = { 0, 10000, FALSE, FALSE, FALSE, "ms" };
  static const Range failover = { 0, 3, FALSE, FALSE, FALSE, NULL };
  /* explicit max_duration: SparkRTC's recording length for HLS and MP4 */
  static const Range dur_hls = { 60, 43200, TRUE, FALSE, FALSE, "seconds" };
  static const Range dur_mp4 = { 60, 10800, FALSE, FALSE, FALSE, "seconds" };
  static const Range dur_any = { 60, 604800, TRUE, FALSE, FALSE, "seconds" };
  static const Range anything = { -G_MAXDOUBLE, G_MAXDOUBLE, FALSE, FALSE,
    FALSE, NULL
  };
  static const Range upload = { 1024, 1099511627776.0, FALSE, FALSE, FALSE,
    "bytes"
  };
  JsonNode *node;
  guint64 latency_ms = 200;
  guint64 failover_count = 0;

  c->split_duration_ns = 0;
  c->max_size_bytes = G_GUINT64_CONSTANT (2000000000);
  c->max_duration_ns = 86400 * GST_SECOND;
  c->max_pause_ns = 30 * GST_SECOND;
  c->hls_target_duration_ns = 6 * GST_SECOND;
  c->pli_interval_ns = 20 * GST_SECOND;

  if (!read_seconds (root, "$", "split_duration", &split,
          &c->split_duration_ns, error)
      || !read_bool (root, "$", "split_only", &c->split_only, error))
    return FALSE;
  if (c->split_only && c->split_duration_ns == 0) {
    fail (error, RR_CONFIG_ERROR_COMBINATION, "$.split_only", "split_only "
        "needs split_duration (the length of the split files)");
    return FALSE;
  }
  if (c->format == RR_FORMAT_HLS && c->split_duration_ns > 0) {
    fail (error, RR_CONFIG_ERROR_COMBINATION, "$.split_duration", "HLS "
        "recordings are already segmented: use hls_target_duration instead "
        "of split_duration");
    return FALSE;
  }

  if (!read_uint (root, "$", "max_size_bytes", &size, &c->max_size_bytes,
          error))
    return FALSE;

  node = json_object_get_member (root, "max_duration");
  if (node) {
    const Range *r = c->format == RR_FORMAT_HLS ? &dur_hls
        : c->format == RR_FORMAT_MP4 ? &dur_mp4 : &dur_any;
    gdouble v = 0;

    if (!number_node (node, "$.max_duration", &anything, TRUE,
            "a number of seconds", "a whole number of seconds", &v, error))
      return FALSE;
    if (!in_range (r, v)) {
      gchar *ctx = g_strdup_printf (" for format %s",
          rr_format_name (c->format));

      range_error (error, "$.max_duration", r, v, ctx);
      g_free (ctx);
      return FALSE;
    }
    c->max_duration_ns = (guint64) v *GST_SECOND;
  }

  if (!read_seconds (root, "$", "max_pause", &pause, &c->max_pause_ns, error)
      || !read_seconds (root, "$", "hls_target_duration", &hls,
          &c->hls_target_duration_ns, error)
      || !read_seconds (root, "$", "pli_interval", &pli, &c->pli_interval_ns,
          error)
      || !read_uint (root, "$", "latency_ms", &latency, &latency_ms, error)
      || !read_uint (root, "$", "failover", &failover, &failover_count, error))
    return FALSE;
  c->latency_ms = (guint) latency_ms;
  c->failover = (guint) failover_count;
  c->max_client_upload_bytes = G_GUINT64_CONSTANT (2147483648);
  if (!read_bool (root, "$", "client_uploads", &c->client_uploads, error)
      || !read_uint (root, "$", "max_client_upload_bytes", &upload,
          &c->max_client_upload_bytes, error))
    return FALSE;
  return TRUE;
}

static gboolean
parse_stops (JsonObject * root, RrRoomConfig * c, GError ** error)
{
  static const Range expire = { 1, 86400 * 30, TRUE, FALSE, FALSE,
    "seconds"
  };
  static const Range idle = { 5, 86400, TRUE, FALSE, FALSE, "seconds" };
  static const Range media = { 1, 600, FALSE, FALSE, TRUE, "seconds" };

  c->media_timeout_ns = 20 * GST_SECOND;
  return read_seconds (root, "$", "expire_time", &expire,
      &c->expire_time_ns, error)
      && read_seconds (root, "$", "max_idle_time", &idle,
      &c->max_idle_time_ns, error)
      && read_seconds (root, "$", "media_timeout", &media,
      &c->media_timeout_ns, error)
      && read_bool (root, "$", "stop_when_empty", &c->stop_when_empty, error);
}

/* ------------------------------------------------------------------ */
/* mix: the composite of mode mixed/both                               */

static const gchar *const mix_keys[] = {
  "format", "video_codec", "width", "height", "fps", "bitrate", "gop",
  "audio_bitrate", "layout", "main_participant", "regions", "background",
  "background_image", "placeholder_image", "watermarks", NULL
};

const gchar *
rr_mix_output_name (guint outputs)
{
  switch (outputs) {
    case RR_MIX_OUTPUT_HLS:
      return "hls";
    case RR_MIX_OUTPUT_MP4:
      return "mp4";
    case RR_MIX_OUTPUT_HLS | RR_MIX_OUTPUT_MP4:
      return "hls+mp4";
    case RR_MIX_OUTPUT_WEBM:
      return "webm";
    default:
      return "unknown";
  }
}

static gboolean
parse_mix_format (JsonObject * mix, RrMixConfig * m, GError ** error)
{
  static const guint all[] = { RR_MIX_OUTPUT_HLS, RR_MIX_OUTPUT_MP4,
    RR_MIX_OUTPUT_HLS | RR_MIX_OUTPUT_MP4, RR_MIX_OUTPUT_WEBM
  };
  gchar *name = NULL, *codec = NULL;
  gboolean ok = TRUE;

  m->outputs = RR_MIX_OUTPUT_HLS;
  m->video_codec = RR_CODEC_H264;
  if (!read_string (mix, "$.mix", "format", TEXT_LINE, 1, MAX_ID_BYTES,
          &name, error)
      || !read_string (mix, "$.mix", "video_codec", TEXT_LINE, 1,
          MAX_ID_BYTES, &codec, error)) {
    ok = FALSE;
    goto done;
  }
  if (name) {
    guint i;

    for (i = 0; i < G_N_ELEMENTS (all); i++)
      if (g_ascii_strcasecmp (name, rr_mix_output_name (all[i])) == 0)
        break;
    if (i == G_N_ELEMENTS (all)) {
      gchar *q = rr_json_quote (name);

      fail (error, RR_CONFIG_ERROR_RANGE, "$.mix.format", "%s is not "
          "a composite format (hls, mp4, hls+mp4 or webm)", q);
      ok = FALSE;
      g_free (q);
      goto done;
    }
    m->outputs = all[i];
  }
  if (codec) {
    m->video_codec = rr_codec_from_encoding_name (codec);
    if (m->video_codec != RR_CODEC_H264 && m->video_codec != RR_CODEC_VP8
        && m->video_codec != RR_CODEC_VP9) {
      gchar *q = rr_json_quote (codec);

      fail (error, RR_CONFIG_ERROR_RANGE, "$.mix.video_codec", "%s is "
          "not a codec the composite is encoded with (H264, VP8 or VP9)", q);
      ok = FALSE;
      g_free (q);
      goto done;
    }
  }
  m->audio_codec = m->outputs == RR_MIX_OUTPUT_WEBM ? RR_CODEC_OPUS
      : RR_CODEC_AAC;
  for (guint bit = RR_MIX_OUTPUT_HLS; bit <= RR_MIX_OUTPUT_WEBM; bit <<= 1) {
    RrFormat f = bit == RR_MIX_OUTPUT_HLS ? RR_FORMAT_HLS
        : bit == RR_MIX_OUTPUT_MP4 ? RR_FORMAT_MP4 : RR_FORMAT_WEBM;
    gchar *reason = NULL;

    if (!(m->outputs & bit))
      continue;
    if (!rr_format_accepts (f, m->video_codec, &reason)) {
      fail (error, RR_CONFIG_ERROR_COMBINATION, "$.mix.video_codec",
          "%s (mix.format is %s)", reason, rr_mix_output_name (m->outputs));
      ok = FALSE;
      g_free (reason);
      goto done;
    }
  }
done:
  g_free (name);
  g_free (codec);
  return ok;
}

/* "#rrggbb" or 0xRRGGBB as a number (TRTC BackGroundColor) → opaque ARGB */
static gboolean
parse_colour (JsonObject * obj, const gchar * opath, const gchar * key,
    guint32 * argb, GError ** error)
{
  static const Range rgb = { 0, 0xffffff, FALSE, FALSE, FALSE, NULL };
  JsonNode *node = json_object_get_member (obj, key);
  gchar *path;
  gboolean ok = FALSE;

  if (node == NULL)
    return TRUE;
  path = rr_json_key_path (opath, key);
  if (rr_json_node_is_string (node)) {
    const gchar *s = json_node_get_string (node);
    guint i;

    for (i = 1; s[0] == '#' && i < 7 && g_ascii_isxdigit (s[i]); i++);
    if (s[0] == '#' && i == 7 && s[7] == '\0') {
      *argb = 0xff000000 | (guint32) g_ascii_strtoull (s + 1, NULL, 16);
      ok = TRUE;
    } else {
      gchar *q = rr_json_quote (s);

      fail (error, RR_CONFIG_ERROR_RANGE, path, "%s is not a colour: write "
          "\"#rrggbb\" (e.g. \"#3366cc\") or a number 0xRRGGBB", q);
      g_free (q);
    }
  } else {
    gdouble v = 0;

    ok = number_node (node, path, &rgb, TRUE, "a colour (\"#rrggbb\" or a "
        "number)", "a whole number 0xRRGGBB", &v, error);
    if (ok)
      *argb = 0xff000000 | (guint32) v;
  }
  g_free (path);
  return ok;
}

/* The layout module reads and checks watermarks (its errors name the
 * path already); they become config errors. */
static gboolean
parse_mix_watermarks (JsonObject * mix, RrMixConfig * m, GError ** error)
{
  JsonNode *node = json_object_get_member (mix, "watermarks");
  RrLayoutWatermarks *marks;
  GError *err = NULL;
  gboolean ok;

  if (node == NULL)
    return TRUE;
  marks = rr_layout_watermarks_from_node (node, "$.mix.watermarks", &err);
  ok = marks != NULL && rr_layout_watermarks_check (marks->marks,
      marks->n_marks, m->width, m->height, "$.mix.watermarks", &err);
  if (ok) {
    m->watermarks_json = json_to_string (node, FALSE);
  } else {
    g_set_error_literal (error, RR_CONFIG_ERROR,
        err->code == RR_LAYOUT_ERROR_TYPE ? RR_CONFIG_ERROR_TYPE :
        err->code == RR_LAYOUT_ERROR_MISSING ? RR_CONFIG_ERROR_MISSING :
        err->code == RR_LAYOUT_ERROR_UNKNOWN_KEY ?
        RR_CONFIG_ERROR_UNKNOWN_KEY : RR_CONFIG_ERROR_RANGE, err->message);
    g_error_free (err);
  }
  rr_layout_watermarks_free (marks);
  return ok;
}

static gboolean
parse_mix (JsonObject * root, RrRoomConfig * c, GError ** error)
{
  static const Range canvas = { 16, 4096, FALSE, FALSE, FALSE, "pixels" };
  static const Range fps = { 1, 60, FALSE, FALSE, FALSE, "frames/s" };
  static const Range bitrate = { 64, 50000, FALSE, FALSE, FALSE, "kbit/s" };
  static const Range gop = { 1, 10, FALSE, FALSE, FALSE, "seconds" };
  static const Range abitrate = { 16, 320, FALSE, FALSE, FALSE, "kbit/s" };
  RrMixConfig *m = &c->mix;
  JsonNode *node = json_object_get_member (root, "mix");
  JsonObject *mix;
  guint64 width = 1280, height = 720, rate = 30, kbps = 2500, gop_s = 2;
  guint64 akbps = 64;
  gchar *layout = NULL;
  GError *err = NULL;

  m->background = 0xff000000;
  m->layout = RR_LAYOUT_GRID;
  if (c->mode == RR_ROOM_MODE_SINGLE)
    return TRUE;
  if (node == NULL) {
    /* all defaults */
    m->outputs = RR_MIX_OUTPUT_HLS;
    m->video_codec = RR_CODEC_H264;
    m->audio_codec = RR_CODEC_AAC;
    m->width = width;
    m->height = height;
    m->fps = rate;
    m->bitrate_kbps = kbps;
    m->gop_s = gop_s;
    m->audio_bitrate_kbps = akbps;
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return type_error (error, "$.mix", "an object {\"format\": \"hls\", "
        "\"layout\": \"grid\", …}", node);
  mix = json_node_get_object (node);
  if (!check_keys (mix, "$.mix", mix_keys, error)
      || !parse_mix_format (mix, m, error)
      || !read_uint (mix, "$.mix", "width", &canvas, &width, error)
      || !read_uint (mix, "$.mix", "height", &canvas, &height, error)
      || !read_uint (mix, "$.mix", "fps", &fps, &rate, error)
      || !read_uint (mix, "$.mix", "bitrate", &bitrate, &kbps, error)
      || !read_uint (mix, "$.mix", "gop", &gop, &gop_s, error)
      || !read_uint (mix, "$.mix", "audio_bitrate", &abitrate, &akbps, error))
    return FALSE;
  if (width % 2 || height % 2) {
    fail (error, RR_CONFIG_ERROR_RANGE, width % 2 ? "$.mix.width" :
        "$.mix.height", "%u is odd; the composite is 4:2:0 video, whose "
        "width and height are even", (guint) (width % 2 ? width : height));
    return FALSE;
  }
  m->width = width;
  m->height = height;
  m->fps = rate;
  m->bitrate_kbps = kbps;
  m->gop_s = gop_s;
  m->audio_bitrate_kbps = akbps;

  if (!read_string (mix, "$.mix", "layout", TEXT_LINE, 1, MAX_ID_BYTES,
          &layout, error))
    return FALSE;
  if (layout && !rr_layout_mode_from_string (layout, &m->layout)) {
    gchar *q = rr_json_quote (layout);

    fail (error, RR_CONFIG_ERROR_RANGE, "$.mix.layout", "%s is not a layout "
        "(grid, floating, screen-share or custom)", q);
    g_free (q);
    g_free (layout);
    return FALSE;
  }
  g_free (layout);

  node = json_object_get_member (mix, "regions");
  if (m->layout == RR_LAYOUT_CUSTOM && node == NULL) {
    fail (error, RR_CONFIG_ERROR_MISSING, "$.mix.regions", "layout "
        "custom needs its regions ([{\"x\": 0, \"y\": 0, \"w\": \"50%%\", "
        "\"h\": \"100%%\", \"slot\": 0}, …], see docs/layout.md)");
    return FALSE;
  }
  if (m->layout != RR_LAYOUT_CUSTOM && node) {
    fail (error, RR_CONFIG_ERROR_COMBINATION, "$.mix.regions",
        "regions are the custom layout's; set \"layout\": \"custom\" to use "
        "them");
    return FALSE;
  }
  if (node) {
    RrLayoutCustom *custom = rr_layout_custom_from_node (node,
        "$.mix.regions", &err);

    if (custom == NULL || !rr_layout_custom_check_canvas (custom, m->width,
            m->height, "$.mix.regions", &err)) {
      rr_layout_custom_free (custom);
      /* the message names the path already */
      g_set_error_literal (error, RR_CONFIG_ERROR, RR_CONFIG_ERROR_RANGE,
          err->message);
      g_error_free (err);
      return FALSE;
    }
    rr_layout_custom_free (custom);
    m->regions_json = json_to_string (node, FALSE);
  }

  if (!read_string (mix, "$.mix", "main_participant", TEXT_LINE, 1,
          MAX_ID_BYTES, &m->main_participant, error)
      || !parse_colour (mix, "$.mix", "background", &m->background, error)
      || !read_string (mix, "$.mix", "background_image", TEXT_LINE, 1,
          MAX_PATH_BYTES, &m->background_image, error)
      || !read_string (mix, "$.mix", "placeholder_image", TEXT_LINE, 1,
          MAX_PATH_BYTES, &m->placeholder_image, error)
      || !parse_mix_watermarks (mix, m, error))
    return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* storage: S3-compatible upload                                       */

static gboolean
parse_storage (JsonObject * root, RrRoomConfig * c, GError ** error)
{
  static const gchar *const keys[] = { "bucket", "endpoint", "region",
    "prefix", "addressing", "access_key", "secret_key", "session_token",
    "part_size", "delete_after_upload", "retention", "evacuation_dir",
    "state_dir", NULL
  };
  static const Range keep = { 1, 86400 * 30, FALSE, FALSE, FALSE, "seconds" };
  static const Range part = { 5 * 1024 * 1024, 5368709120.0, TRUE, FALSE,
    FALSE, "bytes"
  };
  RrStorageConfig *st = &c->storage;
  JsonNode *node = json_object_get_member (root, "storage");
  JsonObject *o;

  st->delete_after_upload = TRUE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return type_error (error, "$.storage", "an object {\"bucket\": …, "
        "\"endpoint\": …, \"region\": …}", node);
  o = json_node_get_object (node);
  st->enabled = TRUE;
  if (!check_keys (o, "$.storage", keys, error)
      || !require (o, "$.storage", "bucket", error)
      || !read_string (o, "$.storage", "bucket", TEXT_VISIBLE_ASCII, 3, 63,
          &st->bucket, error)
      || !read_string (o, "$.storage", "endpoint", TEXT_VISIBLE_ASCII, 1,
          MAX_PATH_BYTES, &st->endpoint, error)
      || !read_string (o, "$.storage", "region", TEXT_VISIBLE_ASCII, 1,
          MAX_ID_BYTES, &st->region, error)
      || !read_string (o, "$.storage", "prefix", TEXT_LINE, 1, 512,
          &st->prefix, error)
      || !read_string (o, "$.storage", "addressing", TEXT_LINE, 1,
          MAX_ID_BYTES, &st->addressing, error)
      || !read_string (o, "$.storage", "access_key", TEXT_VISIBLE_ASCII, 1,
          MAX_TOKEN_CHARS, &st->access_key, error)
      || !read_string (o, "$.storage", "secret_key", TEXT_VISIBLE_ASCII, 1,
          MAX_TOKEN_CHARS, &st->secret_key, error)
      || !read_string (o, "$.storage", "session_token", TEXT_VISIBLE_ASCII, 1,
          MAX_TOKEN_CHARS, &st->session_token, error)
      || !read_uint (o, "$.storage", "part_size", &part, &st->part_size, error)
      || !read_bool (o, "$.storage", "delete_after_upload",
          &st->delete_after_upload, error)
      || !read_seconds (o, "$.storage", "retention", &keep, &st->retention_s,
          error)
      || !read_string (o, "$.storage", "evacuation_dir", TEXT_LINE, 1,
          MAX_PATH_BYTES, &st->evacuation_dir, error)
      || !read_string (o, "$.storage", "state_dir", TEXT_LINE, 1,
          MAX_PATH_BYTES, &st->state_dir, error))
    return FALSE;
  if (st->addressing && !g_str_equal (st->addressing, "auto")
      && !g_str_equal (st->addressing, "path")
      && !g_str_equal (st->addressing, "virtual-host")) {
    gchar *q = rr_json_quote (st->addressing);

    fail (error, RR_CONFIG_ERROR_RANGE, "$.storage.addressing", "%s is not "
        "an addressing style (auto, path or virtual-host)", q);
    g_free (q);
    return FALSE;
  }
  if ((st->access_key == NULL) != (st->secret_key == NULL)) {
    fail (error, RR_CONFIG_ERROR_COMBINATION, st->access_key ?
        "$.storage.access_key" : "$.storage.secret_key", "access_key and "
        "secret_key go together (or leave both out to take "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment)");
    return FALSE;
  }
  if (st->session_token && st->access_key == NULL) {
    fail (error, RR_CONFIG_ERROR_COMBINATION, "$.storage.session_token",
        "a session token needs access_key and secret_key");
    return FALSE;
  }
  if (st->endpoint && !g_str_has_prefix (st->endpoint, "http://")
      && !g_str_has_prefix (st->endpoint, "https://")) {
    fail (error, RR_CONFIG_ERROR_RANGE, "$.storage.endpoint", "must start "
        "with http:// or https:// (e.g. \"https://s3.eu-west-1.amazonaws.com\""
        " or \"http://127.0.0.1:9000\")");
    return FALSE;
  }
  st->retention_s /= GST_SECOND;
  if (st->retention_s && st->delete_after_upload) {
    fail (error, RR_CONFIG_ERROR_COMBINATION, "$.storage.retention",
        "keeps the local copies that long after their upload: set "
        "\"delete_after_upload\": false with it (by default they are "
        "deleted once uploaded)");
    return FALSE;
  }
  if (st->region == NULL)
    st->region = g_strdup ("us-east-1");
  if (st->evacuation_dir == NULL)
    st->evacuation_dir = g_build_filename (c->archive_dir,
        ".roomrec-evacuated", NULL);
  if (st->state_dir == NULL)
    st->state_dir = g_build_filename (c->archive_dir, ".roomrec-uploads", NULL);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* webhooks                                                            */

static gboolean
parse_webhooks (JsonObject * root, RrRoomConfig * c, GError ** error)
{
  static const gchar *const keys[] = { "urls", "secret", "spool_dir",
    "retry_max", NULL
  };
  static const Range retry = { 3, 86400, FALSE, FALSE, FALSE, "seconds" };
  RrWebhooksConfig *wh = &c->webhooks;
  JsonNode *node = json_object_get_member (root, "webhooks");
  JsonObject *o;
  JsonArray *arr;
  guint n;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return type_error (error, "$.webhooks", "an object {\"urls\": "
        "[\"https://…\"], \"secret\": …}", node);
  o = json_node_get_object (node);
  if (!check_keys (o, "$.webhooks", keys, error)
      || !require (o, "$.webhooks", "urls", error)
      || !read_array (o, "$.webhooks", "urls", "an array of http(s) URLs",
          &arr, error))
    return FALSE;
  n = json_array_get_length (arr);
  if (n == 0 || n > 10) {
    fail (error, RR_CONFIG_ERROR_RANGE, "$.webhooks.urls", "%u URLs; 1–10 "
        "are allowed", n);
    return FALSE;
  }
  wh->urls = g_new0 (gchar *, n + 1);
  for (guint i = 0; i < n; i++) {
    gchar *path = rr_json_index_path ("$.webhooks.urls", i);
    const gchar *url = NULL;
    gboolean ok = string_node (json_array_get_element (arr, i), path,
        TEXT_VISIBLE_ASCII, 8, MAX_PATH_BYTES, &url, error);

    if (ok && !g_str_has_prefix (url, "http://")
        && !g_str_has_prefix (url, "https://")) {
      fail (error, RR_CONFIG_ERROR_RANGE, path, "must start with http:// or "
          "https://");
      ok = FALSE;
    }
    g_free (path);
    if (!ok)
      return FALSE;
    wh->urls[i] = g_strdup (url);
  }
  if (!read_string (o, "$.webhooks", "secret", TEXT_VISIBLE_ASCII, 1,
          MAX_TOKEN_CHARS, &wh->secret, error)
      || !read_string (o, "$.webhooks", "spool_dir", TEXT_LINE, 1,
          MAX_PATH_BYTES, &wh->spool_dir, error)
      || !read_seconds (o, "$.webhooks", "retry_max", &retry,
          &wh->retry_max_s, error))
    return FALSE;
  wh->retry_max_s /= GST_SECOND;
  if (wh->spool_dir == NULL)
    wh->spool_dir = g_build_filename (c->archive_dir, ".roomrec-webhooks",
        NULL);
  return TRUE;
}

/* An array of user ids; *out is set (NULL-terminated) before the first
 * element is read, so that the caller frees what was read on errors. */
static gboolean
read_user_list (JsonObject * obj, const gchar * opath, const gchar * key,
    gchar *** out, GError ** error)
{
  JsonArray *arr;
  gchar *apath;
  guint n, i;

  if (!read_array (obj, opath, key, "an array of user ids", &arr, error))
    return FALSE;
  if (arr == NULL)
    return TRUE;
  n = json_array_get_length (arr);
  *out = g_new0 (gchar *, n + 1);
  apath = rr_json_key_path (opath, key);
  for (i = 0; i < n; i++) {
    gchar *path = rr_json_index_path (apath, i);
    const gchar *id = NULL;
    gboolean ok = string_node (json_array_get_element (arr, i), path,
        TEXT_LINE, 1, MAX_ID_BYTES, &id, error);

    g_free (path);
    if (!ok) {
      g_free (apath);
      return FALSE;
    }
    (*out)[i] = g_strdup (id);
  }
  g_free (apath);
  return TRUE;
}

static gboolean
parse_subscribe (JsonObject * root, RrRoomConfig * c, GError ** error)
{
  static const gchar *const keys[] = { "allow", "block", NULL };
  JsonNode *node = json_object_get_member (root, "subscribe");
  JsonObject *obj;
  GHashTable *allowed;
  gboolean ok = TRUE;
  guint i;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return type_error (error, "$.subscribe", "an object with \"allow\" "
        "and/or \"block\" lists", node);
  obj = json_node_get_object (node);
  if (!check_keys (obj, "$.subscribe", keys, error)
      || !read_user_list (obj, "$.subscribe", "allow", &c->subscribe_allow,
          error)
      || !read_user_list (obj, "$.subscribe", "block", &c->subscribe_block,
          error))
    return FALSE;
  if (c->subscribe_allow && c->subscribe_allow[0] == NULL) {
    fail (error, RR_CONFIG_ERROR_RANGE, "$.subscribe.allow", "an empty allow "
        "list would record nobody; leave allow out to record everybody");
    return FALSE;
  }
  if (c->subscribe_allow == NULL || c->subscribe_block == NULL)
    return TRUE;

  allowed = g_hash_table_new (g_str_hash, g_str_equal);
  for (i = 0; c->subscribe_allow[i]; i++)
    g_hash_table_add (allowed, c->subscribe_allow[i]);
  for (i = 0; c->subscribe_block[i]; i++) {
    if (g_hash_table_contains (allowed, c->subscribe_block[i])) {
      gchar *path = g_strdup_printf ("$.subscribe.block[%u]", i);
      gchar *q = rr_json_quote (c->subscribe_block[i]);

      fail (error, RR_CONFIG_ERROR_COMBINATION, path, "user %s is both "
          "allowed and blocked; remove it from one of the lists", q);
      g_free (q);
      g_free (path);
      ok = FALSE;
      break;
    }
  }
  g_hash_table_unref (allowed);
  return ok;
}

static gboolean
parse_participant (JsonNode * node, const gchar * path,
    RrParticipantConfig * p, GError ** error)
{
  static const gchar *const keys[] = { "user_id", "token",
    "recording_block", NULL
  };
  JsonObject *obj;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return type_error (error, path, "an object with a \"user_id\"", node);
  obj = json_node_get_object (node);
  return check_keys (obj, path, keys, error)
      && require (obj, path, "user_id", error)
      && read_string (obj, path, "user_id", TEXT_LINE, 1, MAX_ID_BYTES,
      &p->user_id, error)
      && read_string (obj, path, "token", TEXT_VISIBLE_ASCII,
      MIN_TOKEN_CHARS, MAX_TOKEN_CHARS, &p->token, error)
      && read_bool (obj, path, "recording_block", &p->recording_block, error);
}

static gboolean
parse_participants (JsonObject * root, RrRoomConfig * c, GError ** error)
{
  JsonArray *arr;
  GHashTable *users, *tokens;
  gboolean ok = TRUE;
  guint i;

  if (!read_array (root, "$", "participants", "an array of participant "
          "objects", &arr, error))
    return FALSE;
  if (arr == NULL)
    return TRUE;
  c->n_participants = json_array_get_length (arr);
  c->participants = g_new0 (RrParticipantConfig, MAX (c->n_participants, 1));

  /* value: index + 1 */
  users = g_hash_table_new (g_str_hash, g_str_equal);
  tokens = g_hash_table_new (g_str_hash, g_str_equal);
  for (i = 0; ok && i < c->n_participants; i++) {
    RrParticipantConfig *p = &c->participants[i];
    gchar *path = rr_json_index_path ("$.participants", i);
    gchar *sub = NULL;
    guint other = 0;

    ok = parse_participant (json_array_get_element (arr, i), path, p, error);
    if (ok && (other = GPOINTER_TO_UINT (g_hash_table_lookup (users,
                    p->user_id)))) {
      gchar *q = rr_json_quote (p->user_id);

      sub = rr_json_key_path (path, "user_id");
      fail (error, RR_CONFIG_ERROR_COMBINATION, sub, "user %s is listed "
          "twice (also at $.participants[%u])", q, other - 1);
      g_free (q);
      ok = FALSE;
    } else if (ok && p->token && (other = GPOINTER_TO_UINT
            (g_hash_table_lookup (tokens, p->token)))) {
      sub = rr_json_key_path (path, "token");
      fail (error, RR_CONFIG_ERROR_COMBINATION, sub, "the same token is "
          "given to $.participants[%u]; every participant needs its own",
          other - 1);
      ok = FALSE;
    }
    if (ok) {
      g_hash_table_insert (users, p->user_id, GUINT_TO_POINTER (i + 1));
      if (p->token)
        g_hash_table_insert (tokens, p->token, GUINT_TO_POINTER (i + 1));
    }
    g_free (sub);
    g_free (path);
  }
  g_hash_table_unref (users);
  g_hash_table_unref (tokens);
  return ok;
}

static gboolean
parse_metadata (JsonObject * root, RrRoomConfig * c, GError ** error)
{
  JsonNode *node = json_object_get_member (root, "metadata");

  if (node && !JSON_NODE_HOLDS_NULL (node))
    c->metadata_json = json_to_string (node, FALSE);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* inputs                                                              */

static const gchar *const whip_keys[] = { "type", "listen", "path", "token",
  "ice_servers", "max_sessions", "max_body_bytes", "allow_origin", NULL
};

static const gchar *const whep_keys[] = { "type", "url", "token", "user_id",
  "retry_initial", "retry_max", "retry_limit", NULL
};

static const gchar *const rtp_keys[] = { "type", "sdp_file", "sdp",
  "user_id", NULL
};

static const gchar *const input_type_names[] = { "whip", "whep", "rtp" };

static const gchar *const *
input_keys (RrInputType type)
{
  switch (type) {
    case RR_INPUT_WHIP:
      return whip_keys;
    case RR_INPUT_WHEP:
      return whep_keys;
    case RR_INPUT_RTP:
      break;
  }
  return rtp_keys;
}

static gboolean
valid_hostname (const gchar * h)
{
  gsize len = strlen (h);
  gboolean numeric = TRUE;
  const gchar *p;

  if (len == 0 || len > 253 || h[0] == '-' || h[0] == '.')
    return FALSE;
  for (p = h; *p; p++) {
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.')
      return FALSE;
    if (!g_ascii_isdigit (*p) && *p != '.')
      numeric = FALSE;
  }
  /* "1.2.3" or "300.1.1.1" is a broken address, not a name */
  return !numeric;
}

/* "host:port", "[v6]:port" */
static gboolean
parse_listen (const gchar * s, gchar ** address, guint * port)
{
  const gchar *colon, *p;
  gchar *host;
  guint v = 0;

  if (s[0] == '[') {
    const gchar *end = strchr (s, ']');

    if (end == NULL || end[1] != ':')
      return FALSE;
    host = g_strndup (s + 1, end - s - 1);
    colon = end + 1;
    if (strchr (host, ':') == NULL || !g_hostname_is_ip_address (host)) {
      g_free (host);
      return FALSE;
    }
  } else {
    colon = strrchr (s, ':');
    if (colon == NULL)
      return FALSE;
    host = g_strndup (s, colon - s);
    if (strchr (host, ':') || (!g_hostname_is_ip_address (host)
            && !valid_hostname (host))) {
      g_free (host);
      return FALSE;
    }
  }
  p = colon + 1;
  if (*p == '\0' || strlen (p) > 5) {
    g_free (host);
    return FALSE;
  }
  for (; *p; p++) {
    if (!g_ascii_isdigit (*p)) {
      g_free (host);
      return FALSE;
    }
    v = v * 10 + (*p - '0');
  }
  if (v > 65535) {
    g_free (host);
    return FALSE;
  }
  *address = host;
  *port = v;
  return TRUE;
}

/* NULL when @s is a good WHIP endpoint path, else why not. */
static const gchar *
url_path_problem (const gchar * s)
{
  static const gchar allowed[] = "-._~!$&'()*+,;=:@/%";
  const gchar *p;

  if (s[0] != '/')
    return "must start with \"/\"";
  if (s[1] == '\0')
    return "must name a path below \"/\", such as \"/whip\"";
  if (strpbrk (s, "?#"))
    return "must not contain a query (\"?\") or a fragment (\"#\")";
  if (strstr (s, ".."))
    return "must not contain \"..\"";
  if (g_str_has_suffix (s, "/"))
    return "must not end with \"/\" (sessions live below it)";
  if (strstr (s, "//") || strstr (s, "/./") || g_str_has_suffix (s, "/."))
    return "must not contain empty or \".\" segments";
  for (p = s; *p; p++) {
    if (*p == '%' && !(g_ascii_isxdigit (p[1]) && g_ascii_isxdigit (p[2])))
      return "has a '%' that is not followed by two hex digits";
    if (!g_ascii_isalnum (*p) && strchr (allowed, *p) == NULL)
      return "may contain only letters, digits and - . _ ~ ! $ & ' ( ) * + "
          ", ; = : @ / %XX";
  }
  return NULL;
}

static gboolean
parse_whip (JsonObject * obj, const gchar * opath, RrInputConfig * in,
    GError ** error)
{
  static const Range sessions = { 1, 1000, FALSE, FALSE, FALSE, NULL };
  static const Range body = { 1024, 1048576, FALSE, FALSE, FALSE, "bytes" };
  static const gchar *const schemes[] = { "stun:", "stuns:", "turn:",
    "turns:", NULL
  };
  gchar *listen = NULL, *path;
  const gchar *problem;
  guint64 max_sessions = 25, max_body = 65536;
  JsonArray *arr;
  guint i, n;

  in->url_path = g_strdup ("/whip");
  in->allow_origin = g_strdup ("*");

  if (!read_string (obj, opath, "listen", TEXT_VISIBLE_ASCII, 1,
          MAX_ID_BYTES, &listen, error))
    return FALSE;
  if (listen == NULL) {
    in->listen_address = g_strdup ("127.0.0.1");
    in->listen_port = 8080;
  } else if (!parse_listen (listen, &in->listen_address, &in->listen_port)) {
    gchar *q = rr_json_quote (listen);

    path = rr_json_key_path (opath, "listen");
    fail (error, RR_CONFIG_ERROR_RANGE, path, "%s is not host:port (such "
        "as \"127.0.0.1:8080\", \"[::1]:8080\" or \"0.0.0.0:0\"; IPv6 "
        "addresses in brackets; port 0–65535, 0 = any free port)", q);
    g_free (q);
    g_free (path);
    g_free (listen);
    return FALSE;
  }
  g_free (listen);

  if (!read_string (obj, opath, "path", TEXT_VISIBLE_ASCII, 1,
          MAX_PATH_BYTES, &in->url_path, error))
    return FALSE;
  problem = url_path_problem (in->url_path);
  if (problem) {
    gchar *q = rr_json_quote (in->url_path);

    path = rr_json_key_path (opath, "path");
    fail (error, RR_CONFIG_ERROR_RANGE, path, "%s %s", q, problem);
    g_free (q);
    g_free (path);
    return FALSE;
  }

  if (!read_string (obj, opath, "token", TEXT_VISIBLE_ASCII, MIN_TOKEN_CHARS,
          MAX_TOKEN_CHARS, &in->token, error)
      || !read_array (obj, opath, "ice_servers", "an array of \"stun:…\" or "
          "\"turn:…\" URLs", &arr, error))
    return FALSE;
  if (arr) {
    gchar *apath = rr_json_key_path (opath, "ice_servers");

    n = json_array_get_length (arr);
    in->ice_servers = g_new0 (gchar *, n + 1);
    for (i = 0; i < n; i++) {
      const gchar *url = NULL;
      gboolean ok, scheme_ok = FALSE;
      guint k;

      path = rr_json_index_path (apath, i);
      ok = string_node (json_array_get_element (arr, i), path,
          TEXT_VISIBLE_ASCII, 1, MAX_PATH_BYTES, &url, error);
      for (k = 0; ok && schemes[k]; k++) {
        gsize len = strlen (schemes[k]);

        if (g_ascii_strncasecmp (url, schemes[k], len) == 0 && url[len])
          scheme_ok = TRUE;
      }
      if (ok && (!scheme_ok || strpbrk (url, "<>\",\\"))) {
        gchar *q = rr_json_quote (url);

        fail (error, RR_CONFIG_ERROR_RANGE, path, "%s is not a STUN/TURN URL "
            "(\"stun:host:port\", \"turns:host:port?transport=tcp\"; no < > "
            "\" , \\)", q);
        g_free (q);
        ok = FALSE;
      }
      g_free (path);
      if (!ok) {
        g_free (apath);
        return FALSE;
      }
      in->ice_servers[i] = g_strdup (url);
    }
    g_free (apath);
  }

  if (!read_uint (obj, opath, "max_sessions", &sessions, &max_sessions, error)
      || !read_uint (obj, opath, "max_body_bytes", &body, &max_body, error)
      || !read_string (obj, opath, "allow_origin", TEXT_VISIBLE_ASCII, 1,
          MAX_PATH_BYTES, &in->allow_origin, error))
    return FALSE;
  in->max_sessions = (guint) max_sessions;
  in->max_body_bytes = (gsize) max_body;
  return TRUE;
}

static gboolean
parse_whep (JsonObject * obj, const gchar * opath, RrInputConfig * in,
    GError ** error)
{
  static const Range initial = { 0.1, 60, FALSE, FALSE, TRUE, "seconds" };
  static const Range max = { 1, 3600, FALSE, FALSE, TRUE, "seconds" };
  static const Range limit = { 0, G_MAXUINT, FALSE, FALSE, FALSE, NULL };
  guint64 initial_ns = GST_SECOND, max_ns = 30 * GST_SECOND, retry_limit = 0;
  GUri *uri;
  gchar *path;

  if (!require (obj, opath, "url", error)
      || !read_string (obj, opath, "url", TEXT_VISIBLE_ASCII, 1,
          MAX_PATH_BYTES, &in->url, error))
    return FALSE;
  uri = g_uri_parse (in->url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL
      || *g_uri_get_host (uri) == '\0'
      || (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0
          && g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") != 0)) {
    gchar *q = rr_json_quote (in->url);

    path = rr_json_key_path (opath, "url");
    fail (error, RR_CONFIG_ERROR_RANGE, path, "%s is not an http:// or "
        "https:// URL of a WHEP endpoint (such as "
        "\"https://sfu.example.com/whep/room1\")", q);
    g_free (q);
    g_free (path);
    if (uri)
      g_uri_unref (uri);
    return FALSE;
  }
  g_uri_unref (uri);

  if (!read_string (obj, opath, "token", TEXT_VISIBLE_ASCII, MIN_TOKEN_CHARS,
          MAX_TOKEN_CHARS, &in->token, error)
      || !read_string (obj, opath, "user_id", TEXT_LINE, 1, MAX_ID_BYTES,
          &in->user_id, error)
      || !read_seconds (obj, opath, "retry_initial", &initial, &initial_ns,
          error)
      || !read_seconds (obj, opath, "retry_max", &max, &max_ns, error)
      || !read_uint (obj, opath, "retry_limit", &limit, &retry_limit, error))
    return FALSE;
  if (max_ns < initial_ns) {
    gchar *a = rr_json_number_text (initial_ns / 1e9), *b =
        rr_json_number_text (max_ns / 1e9);

    path = rr_json_key_path (opath, json_object_has_member (obj, "retry_max")
        ? "retry_max" : "retry_initial");
    fail (error, RR_CONFIG_ERROR_COMBINATION, path, "retry_max (%s s%s) is "
        "less than retry_initial (%s s); the retry delay grows from "
        "retry_initial up to retry_max", b,
        json_object_has_member (obj, "retry_max") ? "" : ", the default", a);
    g_free (path);
    g_free (a);
    g_free (b);
    return FALSE;
  }
  in->retry_initial_ms = (guint) ((initial_ns + 500000) / 1000000);
  in->retry_max_ms = (guint) ((max_ns + 500000) / 1000000);
  in->retry_limit = (guint) retry_limit;
  return TRUE;
}

static gboolean
parse_rtp (JsonObject * obj, const gchar * opath, RrInputConfig * in,
    GError ** error)
{
  gboolean has_file = json_object_has_member (obj, "sdp_file");
  gboolean has_sdp = json_object_has_member (obj, "sdp");

  if (!has_file && !has_sdp) {
    fail (error, RR_CONFIG_ERROR_MISSING, opath, "an rtp input needs "
        "\"sdp_file\" (a path) or \"sdp\" (the SDP text)");
    return FALSE;
  }
  if (has_file && has_sdp) {
    fail (error, RR_CONFIG_ERROR_COMBINATION, opath, "give either "
        "\"sdp_file\" or \"sdp\", not both");
    return FALSE;
  }
  if (!read_string (obj, opath, "sdp_file", TEXT_LINE, 1, MAX_PATH_BYTES,
          &in->sdp_file, error)
      || !read_string (obj, opath, "sdp", TEXT_MULTILINE, 1,
          MAX_CONFIG_BYTES, &in->sdp, error))
    return FALSE;
  if (in->sdp && !g_str_has_prefix (in->sdp, "v=0")) {
    gchar *path = rr_json_key_path (opath, "sdp");

    fail (error, RR_CONFIG_ERROR_RANGE, path, "does not look like SDP: it "
        "must start with \"v=0\" (use \\r\\n or \\n between lines)");
    g_free (path);
    return FALSE;
  }
  return read_string (obj, opath, "user_id", TEXT_LINE, 1, MAX_ID_BYTES,
      &in->user_id, error);
}

static gboolean
parse_input (JsonNode * node, const gchar * opath, RrInputConfig * in,
    GError ** error)
{
  JsonObject *obj;
  gchar *type = NULL;
  const gchar *key;
  guint t;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return type_error (error, opath, "an object with a \"type\" (whip, whep "
        "or rtp)", node);
  obj = json_node_get_object (node);
  if (!require (obj, opath, "type", error)
      || !read_string (obj, opath, "type", TEXT_LINE, 1, MAX_ID_BYTES, &type,
          error))
    return FALSE;
  for (t = 0; t < G_N_ELEMENTS (input_type_names); t++)
    if (g_str_equal (type, input_type_names[t]))
      break;
  if (t == G_N_ELEMENTS (input_type_names)) {
    gchar *q = rr_json_quote (type), *path = rr_json_key_path (opath, "type");

    fail (error, RR_CONFIG_ERROR_RANGE, path, "%s is not an input type "
        "(whip, whep or rtp)", q);
    g_free (q);
    g_free (path);
    g_free (type);
    return FALSE;
  }
  g_free (type);
  in->type = (RrInputType) t;

  key = find_unknown_key (obj, input_keys (in->type));
  if (key) {
    gchar *extra = NULL;
    guint o;

    for (o = 0; o < G_N_ELEMENTS (input_type_names); o++) {
      if (o != t && g_strv_contains (input_keys ((RrInputType) o), key)) {
        extra = g_strdup_printf ("\"%s\" is a key of %s inputs, this input "
            "is %s", key, input_type_names[o], input_type_names[t]);
        break;
      }
    }
    unknown_key (error, opath, key, input_keys (in->type), extra);
    g_free (extra);
    return FALSE;
  }

  switch (in->type) {
    case RR_INPUT_WHIP:
      return parse_whip (obj, opath, in, error);
    case RR_INPUT_WHEP:
      return parse_whep (obj, opath, in, error);
    case RR_INPUT_RTP:
      break;
  }
  return parse_rtp (obj, opath, in, error);
}

static gboolean
parse_inputs (JsonObject * root, RrRoomConfig * c, GError ** error)
{
  JsonArray *arr;
  gint whip = -1;
  guint i;

  if (!require (root, "$", "inputs", error)
      || !read_array (root, "$", "inputs", "an array of input objects", &arr,
          error))
    return FALSE;
  c->n_inputs = json_array_get_length (arr);
  if (c->n_inputs == 0) {
    fail (error, RR_CONFIG_ERROR_MISSING, "$.inputs", "at least one input "
        "is needed, such as {\"type\": \"whip\"}");
    return FALSE;
  }
  c->inputs = g_new0 (RrInputConfig, c->n_inputs);
  for (i = 0; i < c->n_inputs; i++) {
    RrInputConfig *in = &c->inputs[i];

    in->path = rr_json_index_path ("$.inputs", i);
    if (!parse_input (json_array_get_element (arr, i), in->path, in, error))
      return FALSE;
    if (in->type == RR_INPUT_WHIP) {
      if (whip >= 0) {
        fail (error, RR_CONFIG_ERROR_COMBINATION, in->path, "only one whip "
            "input per room ($.inputs[%d] is one already); it takes any "
            "number of publishers (max_sessions)", whip);
        return FALSE;
      }
      whip = i;
    }
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* public                                                              */

/* Client recordings are served by the WHIP input's server. */
static gboolean
check_client_uploads (const RrRoomConfig * c, GError ** error)
{
  for (guint i = 0; i < c->n_inputs; i++)
    if (c->inputs[i].type == RR_INPUT_WHIP)
      return TRUE;
  if (!c->client_uploads)
    return TRUE;
  fail (error, RR_CONFIG_ERROR_COMBINATION, "$.client_uploads",
      "client_uploads needs a \"whip\" input (its server takes the "
      "recordings)");
  return FALSE;
}

RrRoomConfig *
rr_room_config_load_data (const gchar * data, gssize length, GError ** error)
{
  RrRoomConfig *c;
  JsonParser *parser;
  JsonObject *root;
  JsonNode *node;
  GError *err = NULL;
  gsize len, start = 0;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (data == NULL)
    data = "";
  len = length < 0 ? strlen (data) : (gsize) length;
  if (len > MAX_CONFIG_BYTES) {
    fail (error, RR_CONFIG_ERROR_SYNTAX, "$", "the room config is %"
        G_GSIZE_FORMAT " bytes; at most 1 MiB (%d bytes) is allowed", len,
        MAX_CONFIG_BYTES);
    return NULL;
  }
  if (!check_json_text (data, len, &start, error))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data + start, len - start, &err)) {
    /* the strict check above should have caught it */
    fail (error, RR_CONFIG_ERROR_SYNTAX, "$", "not valid JSON: %s",
        err->message);
    g_error_free (err);
    g_object_unref (parser);
    return NULL;
  }
  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node)) {
    gchar *got = node ? rr_json_describe_node (node) : g_strdup ("nothing");

    fail (error, RR_CONFIG_ERROR_SYNTAX, "$", "the room config must be a "
        "JSON object ({\"room_id\": …, \"inputs\": […]}), got %s", got);
    g_free (got);
    g_object_unref (parser);
    return NULL;
  }
  root = json_node_get_object (node);

  c = g_new0 (RrRoomConfig, 1);
  if (!check_keys (root, "$", room_keys, error)
      || !parse_ids (root, c, error)
      || !parse_mode (root, c, error)
      || !parse_naming (root, c, error)
      || !parse_format (root, c, error)
      || !parse_files (root, c, error)
      || !parse_mix (root, c, error)
      || !parse_storage (root, c, error)
      || !parse_webhooks (root, c, error)
      || !parse_stops (root, c, error)
      || !parse_subscribe (root, c, error)
      || !parse_participants (root, c, error)
      || !parse_metadata (root, c, error)
      || !parse_inputs (root, c, error)
      || !check_client_uploads (c, error)) {
    rr_room_config_free (c);
    c = NULL;
  }
  g_object_unref (parser);
  return c;
}

RrRoomConfig *
rr_room_config_load_file (const gchar * filename, GError ** error)
{
  RrRoomConfig *c;
  GError *err = NULL;
  gchar *name, *buf;
  gsize len;
  FILE *f;
  int e;

  g_return_val_if_fail (filename != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  name = g_filename_display_name (filename);
  f = g_fopen (filename, "rb");
  if (f == NULL) {
    e = errno;
    g_set_error (error, RR_CONFIG_ERROR, RR_CONFIG_ERROR_SYNTAX,
        "%s: cannot open the room config: %s", name, g_strerror (e));
    g_free (name);
    return NULL;
  }
  /* one byte more than allowed tells a too large file (pipes included) */
  buf = g_malloc (MAX_CONFIG_BYTES + 1);
  len = fread (buf, 1, MAX_CONFIG_BYTES + 1, f);
  e = errno;
  if (ferror (f)) {
    g_set_error (error, RR_CONFIG_ERROR, RR_CONFIG_ERROR_SYNTAX,
        "%s: cannot read the room config: %s", name, g_strerror (e));
    fclose (f);
    g_free (buf);
    g_free (name);
    return NULL;
  }
  fclose (f);
  if (len > MAX_CONFIG_BYTES) {
    g_set_error (error, RR_CONFIG_ERROR, RR_CONFIG_ERROR_SYNTAX,
        "%s: the room config is larger than 1 MiB (%d bytes)", name,
        MAX_CONFIG_BYTES);
    g_free (buf);
    g_free (name);
    return NULL;
  }

  c = rr_room_config_load_data (buf, len, &err);
  if (c == NULL)
    g_propagate_prefixed_error (error, err, "%s: ", name);
  g_free (buf);
  g_free (name);
  return c;
}

static void
input_clear (RrInputConfig * in)
{
  g_free (in->path);
  g_free (in->listen_address);
  g_free (in->url_path);
  g_free (in->token);
  g_strfreev (in->ice_servers);
  g_free (in->allow_origin);
  g_free (in->url);
  g_free (in->user_id);
  g_free (in->sdp_file);
  g_free (in->sdp);
}

void
rr_room_config_free (RrRoomConfig * config)
{
  guint i;

  if (config == NULL)
    return;
  g_free (config->room_id);
  g_free (config->recording_id);
  g_free (config->app_id);
  g_free (config->archive_dir);
  g_free (config->tmp_dir);
  g_free (config->naming_template);
  g_free (config->split_naming_template);
  g_free (config->video_codecs);
  g_free (config->audio_codecs);
  g_strfreev (config->subscribe_allow);
  g_strfreev (config->subscribe_block);
  for (i = 0; config->participants && i < config->n_participants; i++) {
    g_free (config->participants[i].user_id);
    g_free (config->participants[i].token);
  }
  g_free (config->participants);
  g_free (config->metadata_json);
  for (i = 0; config->inputs && i < config->n_inputs; i++)
    input_clear (&config->inputs[i]);
  g_free (config->inputs);
  g_free (config->mix.main_participant);
  g_free (config->mix.regions_json);
  g_free (config->mix.background_image);
  g_free (config->mix.placeholder_image);
  g_free (config->mix.watermarks_json);
  g_free (config->storage.endpoint);
  g_free (config->storage.region);
  g_free (config->storage.bucket);
  g_free (config->storage.prefix);
  g_free (config->storage.addressing);
  g_free (config->storage.access_key);
  g_free (config->storage.secret_key);
  g_free (config->storage.session_token);
  g_free (config->storage.evacuation_dir);
  g_free (config->storage.state_dir);
  g_strfreev (config->webhooks.urls);
  g_free (config->webhooks.secret);
  g_free (config->webhooks.spool_dir);
  g_free (config);
}

gboolean
rr_room_config_may_record (const RrRoomConfig * config, const gchar * user_id)
{
  guint i;

  g_return_val_if_fail (config != NULL, FALSE);

  if (user_id) {
    if (config->subscribe_block
        && g_strv_contains ((const gchar * const *) config->subscribe_block,
            user_id))
      return FALSE;
    for (i = 0; i < config->n_participants; i++) {
      const RrParticipantConfig *p = &config->participants[i];

      if (p->recording_block && g_strcmp0 (p->user_id, user_id) == 0)
        return FALSE;
    }
  }
  if (config->subscribe_allow)
    return user_id != NULL
        && g_strv_contains ((const gchar * const *) config->subscribe_allow,
        user_id);
  return TRUE;
}

/* Every byte of equal-length strings, without an early exit. */
static gboolean
token_equal (const gchar * a, gsize a_len, const gchar * b, gsize b_len)
{
  volatile guchar diff = 0;
  gsize i;

  if (a_len != b_len)
    return FALSE;
  for (i = 0; i < a_len; i++)
    diff |= (guchar) a[i] ^ (guchar) b[i];
  return diff == 0;
}

const RrParticipantConfig *
rr_room_config_participant_for_token (const RrRoomConfig * config,
    const gchar * token)
{
  const RrParticipantConfig *found = NULL;
  gsize len;
  guint i;

  g_return_val_if_fail (config != NULL, NULL);

  if (token == NULL)
    return NULL;
  len = strlen (token);
  /* all participants, also after a match */
  for (i = 0; i < config->n_participants; i++) {
    const RrParticipantConfig *p = &config->participants[i];

    if (p->token && token_equal (p->token, strlen (p->token), token, len)
        && found == NULL)
      found = p;
  }
  return found;
}
