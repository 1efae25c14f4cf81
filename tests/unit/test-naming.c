/* Unit tests for the naming templates. */
#include "naming.h"

#include <string.h>

static RrNamingVars
default_vars (void)
{
  RrNamingVars v = {
    .recording_id = "WHEJ888HQ55KDCFE3TZ4VPFQHR",
    .room_id = "sora",
    .connection_id = "GK2R6PSDYX68VDQPRX4FVVFN8W",
    .user_id = "1686119",
    .app_id = "1400123456",
    .media = "main",
    .type = "video",
    .format = "mp4",
    .index = 1,
    .shard = 1,
    .file_start_us = G_GINT64_CONSTANT (1985384751825000),
  };
  return v;
}

static gchar *
expand_preset (RrNamingPreset preset, RrFileKind kind, RrNamingVars * v)
{
  GError *err = NULL;
  gchar *s = rr_naming_expand (rr_naming_preset_template (preset, kind), v,
      &err);
  g_assert_no_error (err);
  return s;
}

static void
test_sora_preset (void)
{
  RrNamingVars v = default_vars ();
  gchar *s;

  s = expand_preset (RR_NAMING_PRESET_SORA, RR_FILE_SINGLE, &v);
  g_assert_cmpstr (s, ==,
      "WHEJ888HQ55KDCFE3TZ4VPFQHR/archive-GK2R6PSDYX68VDQPRX4FVVFN8W");
  g_free (s);

  v.shard = 3;
  s = expand_preset (RR_NAMING_PRESET_SORA, RR_FILE_SINGLE, &v);
  g_assert_cmpstr (s, ==,
      "WHEJ888HQ55KDCFE3TZ4VPFQHR/archive-GK2R6PSDYX68VDQPRX4FVVFN8W_2");
  g_free (s);

  v.index = 42;
  s = expand_preset (RR_NAMING_PRESET_SORA, RR_FILE_SPLIT, &v);
  g_assert_cmpstr (s, ==, "WHEJ888HQ55KDCFE3TZ4VPFQHR/"
      "split-archive-GK2R6PSDYX68VDQPRX4FVVFN8W_0042");
  g_free (s);

  s = expand_preset (RR_NAMING_PRESET_SORA, RR_FILE_SPLIT_END, &v);
  g_assert_cmpstr (s, ==, "WHEJ888HQ55KDCFE3TZ4VPFQHR/"
      "split-archive-end-GK2R6PSDYX68VDQPRX4FVVFN8W");
  g_free (s);

  s = expand_preset (RR_NAMING_PRESET_SORA, RR_FILE_REPORT, &v);
  g_assert_cmpstr (s, ==,
      "WHEJ888HQ55KDCFE3TZ4VPFQHR/report-WHEJ888HQ55KDCFE3TZ4VPFQHR");
  g_free (s);
}

static void
test_split_index (void)
{
  gchar *s;

  s = rr_naming_index_string (1);
  g_assert_cmpstr (s, ==, "0001");
  g_free (s);
  s = rr_naming_index_string (9999);
  g_assert_cmpstr (s, ==, "9999");
  g_free (s);
  s = rr_naming_index_string (10000);
  g_assert_cmpstr (s, ==, "10000");
  g_free (s);
}

static void
test_trtc_preset (void)
{
  RrNamingVars v = default_vars ();
  gchar *s;

  v.recording_id = "task1";
  s = expand_preset (RR_NAMING_PRESET_TRTC, RR_FILE_SEGMENT, &v);
  /* the seed's example: 1400123456_12345__UserId_s_MTY4NjExOQ..__UserId_e_
   * main_video_20330531094551825.ts (room 12345 numeric stays as is) */
  g_assert_cmpstr (s, ==, "task1/1400123456_c29yYQ..__UserId_s_MTY4NjExOQ.."
      "__UserId_e_main_video_20321129234551825");
  g_free (s);
}

static void
test_trtc_numeric_room_and_ha (void)
{
  RrNamingVars v = default_vars ();
  gchar *s;

  v.recording_id = "task1";
  v.room_id = "12345";
  v.ha = 2;
  s = expand_preset (RR_NAMING_PRESET_TRTC, RR_FILE_PLAYLIST, &v);
  g_assert_cmpstr (s, ==, "task1/ha2_1400123456_12345__UserId_s_"
      "MTY4NjExOQ..__UserId_e_main_video");
  g_free (s);
}

static void
test_trtc_base64 (void)
{
  gchar *s = rr_naming_trtc_base64 ("\xff\xff\xfe");    /* "///+" in base64 */
  g_assert_cmpstr (s, ==, "---+");
  g_free (s);
  s = rr_naming_trtc_base64 ("1686119");
  g_assert_cmpstr (s, ==, "MTY4NjExOQ..");
  g_free (s);
}

static void
test_sparkrtc_preset (void)
{
  RrNamingVars v = default_vars ();
  gchar *s;

  v.connection_id = "stream1";
  v.file_start_us = G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC;
  s = expand_preset (RR_NAMING_PRESET_SPARKRTC, RR_FILE_SINGLE, &v);
  g_assert_cmpstr (s, ==, "1400123456/mp4/stream1_20231114221320/"
      "stream1_20231114221320");
  g_free (s);
}

static void
test_hostile_ids_never_escape (void)
{
  const gchar *hostile[] = { "..", ".", "../../etc/passwd", "/abs",
    "a/b", ".hidden", "x\\y", "%2e%2e", "con\nnl", "\xc3\xa9t\xc3\xa9", NULL
  };

  for (guint i = 0; hostile[i]; i++) {
    RrNamingVars v = default_vars ();
    GError *err = NULL;
    gchar *s, **parts;

    v.connection_id = hostile[i];
    v.recording_id = hostile[i];
    s = rr_naming_expand ("{recording_id}/{connection_id}", &v, &err);
    g_assert_no_error (err);
    g_assert_nonnull (s);
    parts = g_strsplit (s, "/", -1);
    g_assert_cmpuint (g_strv_length (parts), ==, 2);
    for (guint j = 0; parts[j]; j++) {
      g_assert_cmpstr (parts[j], !=, "..");
      g_assert_cmpstr (parts[j], !=, ".");
      g_assert_cmpstr (parts[j], !=, "");
      g_assert_false (parts[j][0] == '.');
      g_assert_null (strchr (parts[j], '\n'));
    }
    g_strfreev (parts);
    g_free (s);
  }
}

static void
test_bad_templates (void)
{
  const gchar *bad[] = { "", "/abs/{connection_id}", "../{connection_id}",
    "a/../b", "a//b", "{nope}", "{connection_id", "x}", "a/./b", "a\\b",
    NULL
  };
  for (guint i = 0; bad[i]; i++) {
    GError *err = NULL;
    g_assert_false (rr_naming_template_validate (bad[i], &err));
    g_assert_nonnull (err);
    g_assert_nonnull (err->message);
    g_clear_error (&err);
  }
  g_assert_true (rr_naming_template_validate ("{recording_id}/x-{index}",
          NULL));
}

static void
test_missing_and_empty_values (void)
{
  RrNamingVars v = default_vars ();
  GError *err = NULL;
  gchar *s;

  v.app_id = NULL;
  s = rr_naming_expand ("{app_id}/{connection_id}", &v, &err);
  g_assert_null (s);
  g_assert_error (err, RR_NAMING_ERROR, RR_NAMING_ERROR_MISSING_VALUE);
  g_assert_nonnull (strstr (err->message, "{app_id}"));
  g_clear_error (&err);

  /* an empty {shard} alone in a component must not give '//' */
  s = rr_naming_expand ("a/{shard}/b", &v, &err);
  g_assert_null (s);
  g_assert_error (err, RR_NAMING_ERROR, RR_NAMING_ERROR_INVALID_TEMPLATE);
  g_clear_error (&err);
}

static void
test_presets_from_string (void)
{
  RrNamingPreset p;

  g_assert_true (rr_naming_preset_from_string ("trtc", &p));
  g_assert_cmpint (p, ==, RR_NAMING_PRESET_TRTC);
  g_assert_true (rr_naming_preset_from_string ("sora", &p));
  g_assert_cmpint (p, ==, RR_NAMING_PRESET_SORA);
  g_assert_false (rr_naming_preset_from_string ("zoom", &p));
  for (p = RR_NAMING_PRESET_SORA; p <= RR_NAMING_PRESET_SPARKRTC; p++)
    for (RrFileKind k = RR_FILE_SINGLE; k <= RR_FILE_REPORT; k++)
      g_assert_true (rr_naming_template_validate (rr_naming_preset_template
              (p, k), NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/naming/sora", test_sora_preset);
  g_test_add_func ("/naming/split-index", test_split_index);
  g_test_add_func ("/naming/trtc", test_trtc_preset);
  g_test_add_func ("/naming/trtc-numeric-room-ha",
      test_trtc_numeric_room_and_ha);
  g_test_add_func ("/naming/trtc-base64", test_trtc_base64);
  g_test_add_func ("/naming/sparkrtc", test_sparkrtc_preset);
  g_test_add_func ("/naming/hostile-ids", test_hostile_ids_never_escape);
  g_test_add_func ("/naming/bad-templates", test_bad_templates);
  g_test_add_func ("/naming/missing-values", test_missing_and_empty_values);
  g_test_add_func ("/naming/presets", test_presets_from_string);
  return g_test_run ();
}
