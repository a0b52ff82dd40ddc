/* The stall meter: a run of training with the views switched, timed from
 * the main loop; see sf-stall-meter.h. */
#include "sf-stall-meter.h"

#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "pairs.h"
#include "sf-pairs-view.h"
#include "sf-train-view.h"
#include "sf-training-run.h"

#define TICK_MS 10
#define MAX_VIEWS 16
#define SWITCH_MS 400
/* Give up waiting for the dataset after this long. */
#define WAIT_LIMIT_US (G_USEC_PER_SEC * 300)

typedef struct {
  SfWindow *window;
  GApplication *application;
  double seconds;
  gint64 waiting_since;
  gboolean settled;          /* everything was ready at the last poll, 200 ms ago */
  gint64 started;            /* training started, the clock running */
  gint64 last_tick;
  gint64 last_cpu;           /* the main thread's CPU time at the last tick, µs */
  gint64 started_cpu;        /* ... and at Start */
  long last_voluntary, last_involuntary;   /* the main thread's context switches at the last tick */
  gint64 worst_gap;          /* µs: the longest time between two ticks ... */
  gint64 worst_gap_busy;     /* ... the main thread's CPU time in it ... */
  long worst_gap_voluntary, worst_gap_involuntary;   /* ... and its context switches: waits, preemptions */
  gint64 worst_busy;         /* µs: the most CPU time the main thread spent between two ticks */
  gint64 worst_busy_in_view[MAX_VIEWS];
  /* The same after each view's first showing: a view is built, laid out and
   * drawn in full only the first time, later showings reuse that. */
  gint64 worst_busy_again[MAX_VIEWS];
  gboolean shown_before[MAX_VIEWS];
  GArray *lateness;          /* gint64 µs: how late each tick ran */
  GArray *switch_to_paint;   /* gint64 µs: from a view switch to the window drawn */
  gint64 switched_at;        /* 0 when no switch awaits its frame */
  guint tick_id;
  guint switch_id;
  gulong paint_id;
  GdkFrameClock *clock;
  int view;                  /* the next to show */
  int train_shown;           /* times the Train view was shown */
  int shown;                 /* the one shown, -1 before the first switch */
  gint64 worst_in_view[MAX_VIEWS];   /* µs: the latest tick while each view was shown */
  gint64 worst_at_start;     /* µs: the latest tick before the first switch */
  GArray *late_ticks;        /* LateTick: every tick late by more than LATE_LIST_MS, to find the cause */
} Meter;

#define LATE_LIST_MS 50

typedef struct {
  gint64 at;                 /* µs since Start */
  gint64 late;               /* µs */
  gint64 busy;               /* µs of the main thread's own work since the tick before */
  int view;                  /* -1 before the first switch */
  gboolean first_showing;
} LateTick;

/* CPU time of the calling thread: a gap the main thread spent working, not
 * waiting for a core the rest of the machine held. */
static gint64
thread_cpu_us (void)
{
  struct timespec t;
  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t) != 0)
    return 0;
  return (gint64) t.tv_sec * G_USEC_PER_SEC + t.tv_nsec / 1000;
}

/* Context switches of the calling thread (Linux): voluntary ones are waits
 * (the main loop's poll, a lock), involuntary ones preemptions. */
static void
thread_switches (long *voluntary, long *involuntary)
{
  struct rusage usage = { 0 };
#ifdef RUSAGE_THREAD
  getrusage (RUSAGE_THREAD, &usage);
#endif
  *voluntary = usage.ru_nvcsw;
  *involuntary = usage.ru_nivcsw;
}

static void
meter_free (Meter *m)
{
  g_clear_handle_id (&m->tick_id, g_source_remove);
  g_clear_handle_id (&m->switch_id, g_source_remove);
  if (m->paint_id != 0)
    g_signal_handler_disconnect (m->clock, m->paint_id);
  g_clear_object (&m->clock);
  g_array_unref (m->lateness);
  g_array_unref (m->switch_to_paint);
  g_array_unref (m->late_ticks);
  g_object_unref (m->window);
  g_application_release (m->application);
  g_object_unref (m->application);
  g_free (m);
}

static int
compare_int64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

/* Milliseconds at quantile q of sorted µs values. */
static double
quantile_ms (GArray *sorted, double q)
{
  if (sorted->len == 0)
    return 0;
  guint k = MIN ((guint) (q * (sorted->len - 1) + 0.5), sorted->len - 1);
  return g_array_index (sorted, gint64, k) / 1000.0;
}

static guint
count_over (GArray *values, gint64 limit_us)
{
  guint n = 0;
  for (guint k = 0; k < values->len; k++)
    n += g_array_index (values, gint64, k) > limit_us;
  return n;
}

static void
report (Meter *m)
{
  SfTrainView *train = sf_window_get_train_view (m->window);
  SfTrainer *trainer = sf_training_run_get_trainer (sf_train_view_get_run (train));
  double seconds = (m->last_tick - m->started) / (double) G_USEC_PER_SEC;

  g_array_sort (m->lateness, compare_int64);
  g_array_sort (m->switch_to_paint, compare_int64);
  printf ("measured: %.1f s of training with the views switched every %d ms; Start at %.3f s of the monotonic "
          "clock (for a profiler's timestamps)\n", seconds, SWITCH_MS, m->started / (double) G_USEC_PER_SEC);
  printf ("main loop: %u ticks of %d ms; lateness median %.1f ms, 99th percentile %.1f ms, worst %.1f ms; "
          "%u late by more than 50 ms, %u by more than 100 ms\n",
          m->lateness->len, TICK_MS, quantile_ms (m->lateness, 0.5), quantile_ms (m->lateness, 0.99),
          quantile_ms (m->lateness, 1.0), count_over (m->lateness, 50000), count_over (m->lateness, 100000));
  printf ("worst lateness by the view shown: before the first switch %.1f ms", m->worst_at_start / 1000.0);
  for (int v = 0; v < MAX_VIEWS && sf_window_view_names[v] != NULL; v++)
    printf (", %s %.1f ms", sf_window_view_names[v], m->worst_in_view[v] / 1000.0);
  printf ("\n");
  printf ("main thread's own work between two ticks (CPU time): worst %.1f ms", m->worst_busy / 1000.0);
  for (int v = 0; v < MAX_VIEWS && sf_window_view_names[v] != NULL; v++)
    printf (", %s %.1f ms", sf_window_view_names[v], m->worst_busy_in_view[v] / 1000.0);
  printf ("\n");
  printf ("the same after each view's first showing:");
  for (int v = 0; v < MAX_VIEWS && sf_window_view_names[v] != NULL; v++)
    printf ("%s %s %.1f ms", v == 0 ? "" : ",", sf_window_view_names[v], m->worst_busy_again[v] / 1000.0);
  printf ("\n");
  printf ("the main thread's CPU time while measured: %.2f s of %.1f s (%.0f %% of one core)\n",
          (m->last_cpu - m->started_cpu) / (double) G_USEC_PER_SEC, seconds,
          100.0 * (m->last_cpu - m->started_cpu) / MAX (m->last_tick - m->started, 1));
  printf ("the longest gap: %.1f ms, of which the main thread worked %.1f ms; "
          "in it %ld waits and %ld preemptions\n", m->worst_gap / 1000.0, m->worst_gap_busy / 1000.0,
          m->worst_gap_voluntary, m->worst_gap_involuntary);
  for (guint k = 0; k < m->late_ticks->len; k++)
    {
      const LateTick *t = &g_array_index (m->late_ticks, LateTick, k);
      printf ("late tick: %.2f s after Start, %s%s, %.1f ms late, the main thread worked %.1f ms\n",
              t->at / (double) G_USEC_PER_SEC, t->view >= 0 ? sf_window_view_names[t->view] : "before the first switch",
              t->first_showing ? " (its first showing)" : "", t->late / 1000.0, t->busy / 1000.0);
    }
  printf ("view switch to frame drawn: %u switches; median %.1f ms, worst %.1f ms\n", m->switch_to_paint->len,
          quantile_ms (m->switch_to_paint, 0.5), quantile_ms (m->switch_to_paint, 1.0));
  if (trainer != NULL)
    {
      const SfTrainSettings *s = sf_trainer_get_settings (trainer);
      const SfPairSet *pairs = sf_trainer_get_pairs (trainer);
      printf ("training: spec \"%s\", batch %d, split %s (%d training and %d validation pairs)\n", s->spec,
              s->batch_size, sf_split_kind_name (s->split), pairs->n_train, pairs->n_validation);
    }
  int n = 0;
  const SfEpochRecord *history = sf_train_view_get_history (train, &n);
  double sum = 0;
  for (int e = 0; e < n; e++)
    {
      printf ("epoch %d: %.2f s, %.0f pairs/s\n", history[e].epoch, history[e].seconds,
              history[e].pairs_per_second);
      sum += history[e].pairs_per_second;
    }
  if (n > 0)
    printf ("throughput: %.0f pairs/s, the mean of %d epochs\n", sum / n, n);
  else
    printf ("throughput: no epoch finished; measure for longer\n");
  fflush (stdout);
}

static gboolean
wait_stopped_cb (gpointer data)
{
  Meter *m = data;

  if (sf_train_view_get_running (sf_window_get_train_view (m->window)))
    return G_SOURCE_CONTINUE;
  report (m);
  g_application_quit (m->application);
  meter_free (m);
  return G_SOURCE_REMOVE;
}

static void
after_paint_cb (GdkFrameClock *clock, Meter *m)
{
  if (m->switched_at == 0)
    return;
  gint64 latency = g_get_monotonic_time () - m->switched_at;
  g_array_append_val (m->switch_to_paint, latency);
  m->switched_at = 0;
}

static gboolean
tick_cb (gpointer data)
{
  Meter *m = data;
  gint64 now = g_get_monotonic_time ();
  gint64 late = MAX (now - m->last_tick - TICK_MS * 1000, 0);

  gint64 cpu = thread_cpu_us (), busy = cpu - m->last_cpu;
  long voluntary, involuntary;

  thread_switches (&voluntary, &involuntary);
  if (now - m->last_tick > m->worst_gap)
    {
      m->worst_gap = now - m->last_tick;
      m->worst_gap_busy = busy;
      m->worst_gap_voluntary = voluntary - m->last_voluntary;
      m->worst_gap_involuntary = involuntary - m->last_involuntary;
    }
  m->last_voluntary = voluntary;
  m->last_involuntary = involuntary;

  g_array_append_val (m->lateness, late);
  m->last_tick = now;
  m->last_cpu = cpu;
  m->worst_busy = MAX (m->worst_busy, busy);
  if (m->shown >= 0)
    {
      m->worst_in_view[m->shown] = MAX (m->worst_in_view[m->shown], late);
      m->worst_busy_in_view[m->shown] = MAX (m->worst_busy_in_view[m->shown], busy);
      if (m->shown_before[m->shown])
        m->worst_busy_again[m->shown] = MAX (m->worst_busy_again[m->shown], busy);
    }
  else
    m->worst_at_start = MAX (m->worst_at_start, late);
  if (late > LATE_LIST_MS * 1000)
    {
      LateTick t = { now - m->started, late, busy, m->shown, m->shown >= 0 && !m->shown_before[m->shown] };
      g_array_append_val (m->late_ticks, t);
    }
  if (now - m->started < m->seconds * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;
  /* Time is up: stop switching, stop the run, report once it has ended. */
  m->tick_id = 0;
  g_clear_handle_id (&m->switch_id, g_source_remove);
  sf_train_view_stop (sf_window_get_train_view (m->window));
  g_timeout_add (100, wait_stopped_cb, m);
  return G_SOURCE_REMOVE;
}

static gboolean
switch_cb (gpointer data)
{
  Meter *m = data;

  if (sf_window_view_names[m->view] == NULL || m->view >= MAX_VIEWS)
    m->view = 0;
  /* What Alt+1..n activates. */
  if (m->shown >= 0)
    m->shown_before[m->shown] = TRUE;
  gtk_widget_activate_action (GTK_WIDGET (m->window), "win.show-view", "s", sf_window_view_names[m->view]);
  /* The Train view's two pages in turn: the curves drawn while training,
   * and Compare Runs, which reads and lists every run stored. */
  if (g_str_equal (sf_window_view_names[m->view], "train"))
    sf_train_view_show_page (sf_window_get_train_view (m->window), m->train_shown++ % 2 == 0 ? "curves" : "runs");
  m->shown = m->view++;
  if (m->switched_at == 0)
    m->switched_at = g_get_monotonic_time ();
  return G_SOURCE_CONTINUE;
}

static gboolean
wait_ready_cb (gpointer data)
{
  Meter *m = data;
  SfTrainView *train = sf_window_get_train_view (m->window);
  g_autoptr (GError) error = NULL;

  if (g_get_monotonic_time () - m->waiting_since > WAIT_LIMIT_US)
    {
      g_printerr ("siamese-faces: --measure-stalls: the dataset did not load\n");
      g_application_quit (m->application);
      meter_free (m);
      return G_SOURCE_REMOVE;
    }
  if (sf_window_get_loading (m->window) || sf_window_get_faces (m->window) == NULL
      || sf_pairs_view_get_busy (sf_window_get_pairs_view (m->window))
      || !gtk_widget_get_mapped (GTK_WIDGET (m->window)))
    {
      m->settled = FALSE;
      return G_SOURCE_CONTINUE;
    }
  /* The pairs and the dataset's views are laid out and drawn for the first
   * time in the frames after they arrive: wait one more poll so that their
   * cost, the dataset's and not training's, is not timed as Start's. */
  if (!m->settled)
    {
      m->settled = TRUE;
      return G_SOURCE_CONTINUE;
    }
  if (!sf_train_view_start (train, &error))
    return G_SOURCE_CONTINUE;

  m->clock = g_object_ref (gtk_widget_get_frame_clock (GTK_WIDGET (m->window)));
  m->paint_id = g_signal_connect (m->clock, "after-paint", G_CALLBACK (after_paint_cb), m);
  m->started = m->last_tick = g_get_monotonic_time ();
  m->last_cpu = m->started_cpu = thread_cpu_us ();
  thread_switches (&m->last_voluntary, &m->last_involuntary);
  /* Above redraws and input: a tick runs as soon as the main loop is free. */
  m->tick_id = g_timeout_add_full (G_PRIORITY_HIGH, TICK_MS, tick_cb, m, NULL);
  m->switch_id = g_timeout_add (SWITCH_MS, switch_cb, m);
  return G_SOURCE_REMOVE;
}

void
sf_stall_meter_start (SfWindow *window, double seconds)
{
  g_return_if_fail (SF_IS_WINDOW (window));

  Meter *m = g_new0 (Meter, 1);
  m->window = g_object_ref (window);
  m->application = G_APPLICATION (g_object_ref (gtk_window_get_application (GTK_WINDOW (window))));
  g_application_hold (m->application);
  m->seconds = seconds;
  m->lateness = g_array_new (FALSE, FALSE, sizeof (gint64));
  m->switch_to_paint = g_array_new (FALSE, FALSE, sizeof (gint64));
  m->late_ticks = g_array_new (FALSE, FALSE, sizeof (LateTick));
  m->waiting_since = g_get_monotonic_time ();
  m->shown = -1;
  g_timeout_add (200, wait_ready_cb, m);
}
