/* roomrec — recording and connection ids
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "ids.h"

gchar *
rr_id_generate (void)
{
  static const gchar alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  guint8 bytes[17] = { 0 };
  gchar *out = g_malloc (27);
  guint bit = 0;

  for (guint i = 0; i < 16; i += 4) {
    guint32 r = g_random_int ();
    bytes[i] = r >> 24;
    bytes[i + 1] = r >> 16;
    bytes[i + 2] = r >> 8;
    bytes[i + 3] = r;
  }
  for (guint i = 0; i < 26; i++, bit += 5) {
    guint byte = bit / 8, shift = bit % 8;
    guint v = ((bytes[byte] << 8) | bytes[byte + 1]) >> (11 - shift);
    out[i] = alphabet[v & 0x1f];
  }
  out[26] = '\0';
  return out;
}
