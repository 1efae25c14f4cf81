/* roomrec — `roomrec serve`: the control service
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Runs the service of the config file @filename until SIGINT/SIGTERM;
 * the exit code of `roomrec serve`. */
int rr_service_main (const gchar * argv0, const gchar * filename);

/* One structured log line (JSON) on stdout: @level "info"/"warning"/
 * "error", @task_id or NULL. */
void rr_service_log (const gchar * level, const gchar * task_id,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);

G_END_DECLS
