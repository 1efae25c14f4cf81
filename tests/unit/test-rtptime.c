/* roomrec — unit tests of core/rtptime.c
 * Copyright (C) 2026 roomrec contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtptime.h"

#define MS G_GINT64_CONSTANT (1000000)
#define S (1000 * MS)
/* Opus: 20 ms = 960 ticks at 48 kHz */
#define STEP 960

/* a burst: one minute of packets read within 200 ms keeps its spacing */
static void
test_burst_keeps_rtp_spacing (void)
{
  RrRtpTime t;

  rr_rtp_time_init (&t, 48000);
  for (gint k = 0; k < 3000; k++) {
    gint64 arrival = 10 * S + k * 200 * MS / 3000;
    gint64 out = rr_rtp_time_map (&t, 1234 + k * STEP, arrival);

    g_assert_cmpint (out, ==, 10 * S + k * 20 * MS);
  }
  /* media ran 60 s ahead of the arrivals */
  g_assert_cmpint (rr_rtp_time_offset (&t), >, 59 * S);
}

/* The first packet was held up 30 ms (a busy receiver at start): the
 * anchor moves back to the packets that came on time. */
static void
test_late_first_packet_settles (void)
{
  RrRtpTime t;
  GRand *rand = g_rand_new_with_seed (7);

  rr_rtp_time_init (&t, 48000);
  for (gint k = 0; k < 1000; k++) {
    gint64 jitter = k == 0 ? 30 * MS : g_rand_int_range (rand, 0, 2 * MS);
    gint64 out = rr_rtp_time_map (&t, 5 + k * STEP, S + k * 20 * MS + jitter);

    if (k >= 10)
      g_assert_cmpint (ABS (out - (S + k * 20 * MS)), <=, 2 * MS);
  }
  g_rand_free (rand);
}

/* After the settling time a late stream is not moved again: its times stay
 * on the sender's clock, a stall and its burst included. */
static void
test_stall_after_settling (void)
{
  RrRtpTime t;
  gint64 out = 0;

  rr_rtp_time_init (&t, 48000);
  for (gint k = 0; k < 500; k++)
    out = rr_rtp_time_map (&t, k * STEP, k * 20 * MS);
  g_assert_cmpint (out, ==, 499 * 20 * MS);
  /* 2 s nothing, then the 100 held packets at once, then on time again */
  for (gint k = 500; k < 700; k++) {
    gint64 arrival = k < 600 ? 600 * 20 * MS : k * 20 * MS;

    out = rr_rtp_time_map (&t, k * STEP, arrival);
    g_assert_cmpint (out, ==, k * 20 * MS);
  }
}

static void
test_wraparound (void)
{
  RrRtpTime t;
  guint32 ts = G_MAXUINT32 - 10 * STEP;

  rr_rtp_time_init (&t, 48000);
  for (gint k = 0; k < 40; k++, ts += STEP)
    g_assert_cmpint (rr_rtp_time_map (&t, ts, k * 20 * MS), ==, k * 20 * MS);
}

/* a sender that restarts (new random RTP time) is timed by arrival again */
static void
test_jump_takes_a_new_anchor (void)
{
  RrRtpTime t;

  rr_rtp_time_init (&t, 90000);
  for (gint k = 0; k < 30; k++)
    rr_rtp_time_map (&t, 1000 + k * 3000, k * 33 * MS);
  /* forward by hours */
  g_assert_cmpint (rr_rtp_time_map (&t, 1000 + 900000000, S), ==, S);
  g_assert_cmpint (rr_rtp_time_map (&t, 1000 + 900003000, S + 33 * MS), ==,
      S + 33 * MS);
  /* back by 10 s */
  g_assert_cmpint (rr_rtp_time_map (&t, 1000 + 900003000 - 900000,
          S + 66 * MS), ==, S + 66 * MS);
  g_assert_cmpint (rr_rtp_time_offset (&t), ==, 0);
}

/* a pause in which the sender's clock ran on stays a pause */
static void
test_pause_with_running_clock (void)
{
  RrRtpTime t;

  rr_rtp_time_init (&t, 90000);
  for (gint k = 0; k < 200; k++)
    rr_rtp_time_map (&t, k * 3000, k * (gint64) 33333333);
  /* 10 s later, on both clocks (1/30 s is no whole number of ns) */
  g_assert_cmpint (ABS (rr_rtp_time_map (&t, 200 * 3000 + 900000,
              200 * (gint64) 33333333 + 10 * S) - (200 * (gint64) 33333333 +
              10 * S)), <, 1000);
}

/* B-frames: RTP times that go back a little are kept as they are */
static void
test_small_steps_back_kept (void)
{
  RrRtpTime t;

  rr_rtp_time_init (&t, 90000);
  g_assert_cmpint (rr_rtp_time_map (&t, 9000, S), ==, S);
  g_assert_cmpint (rr_rtp_time_map (&t, 18000, S + 40 * MS), ==, S + 100 * MS);
  g_assert_cmpint (rr_rtp_time_map (&t, 12000, S + 80 * MS), ==,
      S + 100 * MS / 3);
}

static void
test_reset (void)
{
  RrRtpTime t;

  rr_rtp_time_init (&t, 8000);
  rr_rtp_time_map (&t, 0, 0);
  rr_rtp_time_map (&t, 8000, 10 * MS);
  g_assert_cmpint (rr_rtp_time_offset (&t), ==, S - 10 * MS);
  rr_rtp_time_reset (&t);
  g_assert_cmpint (rr_rtp_time_map (&t, 16000, 20 * MS), ==, 20 * MS);
  g_assert_cmpint (rr_rtp_time_offset (&t), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtptime/burst", test_burst_keeps_rtp_spacing);
  g_test_add_func ("/rtptime/late-first", test_late_first_packet_settles);
  g_test_add_func ("/rtptime/stall", test_stall_after_settling);
  g_test_add_func ("/rtptime/wraparound", test_wraparound);
  g_test_add_func ("/rtptime/jump", test_jump_takes_a_new_anchor);
  g_test_add_func ("/rtptime/pause", test_pause_with_running_clock);
  g_test_add_func ("/rtptime/steps-back", test_small_steps_back_kept);
  g_test_add_func ("/rtptime/reset", test_reset);
  return g_test_run ();
}
