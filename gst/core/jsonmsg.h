/* roomrec — error messages about JSON input: paths and values as the
 * user wrote them
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Shared by the parsers of outside JSON (room config, custom layouts) so
 * that every message names its place the same way: `$.inputs[0].listen`,
 * `$["odd key"]`, and what was there ("a string (\"x\")", "300").
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Characters of a key or value quoted in a message; longer ones are cut
 * with "…". */
#define RR_JSON_MAX_SHOWN_CHARS 64

/* JSON-style escaping of @s into @out, cut after @max_chars characters;
 * bytes that are not UTF-8 show as \xFF. */
void rr_json_append_escaped (GString * out, const gchar * s, gsize max_chars);
/* @s in double quotes, escaped and cut. */
gchar *rr_json_quote (const gchar * s);
/* `.key`, or `["odd key"]` when @key is not an identifier */
void rr_json_path_append_key (GString * path, const gchar * key);
gchar *rr_json_key_path (const gchar * opath, const gchar * key);
gchar *rr_json_index_path (const gchar * apath, guint i);

/* Integral values without a fraction, others as the shortest text that
 * reads back the same. */
gchar *rr_json_number_text (gdouble d);
gboolean rr_json_node_is_number (JsonNode * node);
gboolean rr_json_node_is_string (JsonNode * node);
gchar *rr_json_node_number_text (JsonNode * node);
/* What the user wrote, for "expected …, got …" */
gchar *rr_json_describe_node (JsonNode * node);

/* Sets @error to "<path>: <message>". */
void rr_json_set_error (GError ** error, GQuark domain, gint code,
    const gchar * path, const gchar * format, ...) G_GNUC_PRINTF (5, 6);
/* "<path>: expected <expected>, got <what @node is>"; returns FALSE. */
gboolean rr_json_type_error (GError ** error, GQuark domain, gint code,
    const gchar * path, const gchar * expected, JsonNode * node);

/* A new object with @o's members (their values are json_node_copy()'d:
 * nested objects and arrays are shared; replace them, do not change them). */
JsonObject *rr_json_object_copy (JsonObject * o);
/* Whether @parser read a document whose root is an object (an empty text
 * gives no root at all). */
gboolean rr_json_root_is_object (JsonParser * parser);

G_END_DECLS
