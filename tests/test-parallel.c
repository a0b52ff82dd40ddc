/* The worker team: every task of every loop runs exactly once, whether the
 * workers are still watching for the next loop or asleep, with one caller
 * or two at once, with the watching on or off. */
#include <glib.h>

#include "parallel.h"

#define MAX_TASKS 40

typedef struct {
  gint runs[MAX_TASKS];
  gint bad_worker;
} Loop;

static void
count_task (gpointer data, int task, int worker)
{
  Loop *loop = data;
  if (worker < 0 || worker >= sf_parallel_n_workers ())
    g_atomic_int_set (&loop->bad_worker, 1);
  g_atomic_int_inc (&loop->runs[task]);
}

/* Runs `loops` loops of 1 .. MAX_TASKS tasks; every `pause_every` loops the
 * caller sleeps longer than the workers watch, so that they fall asleep. */
static gboolean
run_loops (int loops, int pause_every, int first_tasks)
{
  for (int k = 0; k < loops; k++)
    {
      Loop loop = { 0 };
      int n = 1 + (first_tasks + k * 7) % MAX_TASKS;
      sf_parallel_for (n, count_task, &loop);
      for (int t = 0; t < MAX_TASKS; t++)
        if (loop.runs[t] != (t < n ? 1 : 0))
          {
            g_printerr ("loop %d of %d tasks: task %d ran %d times\n", k, n, t, loop.runs[t]);
            return FALSE;
          }
      if (loop.bad_worker)
        {
          g_printerr ("loop %d: a task got a worker slot out of range\n", k);
          return FALSE;
        }
      if (pause_every > 0 && k % pause_every == pause_every - 1)
        g_usleep (2000);
    }
  return TRUE;
}

static void
test_back_to_back (void)
{
  g_assert_cmpint (sf_parallel_n_workers (), ==, 3);
  g_assert_true (run_loops (6000, 0, 0));
}

static void
test_asleep_between (void)
{
  g_assert_true (run_loops (400, 1, 3));
  g_assert_true (run_loops (2000, 50, 5));
}

static gpointer
second_caller (gpointer data)
{
  return GINT_TO_POINTER (run_loops (5000, GPOINTER_TO_INT (data), 11));
}

static void
test_two_callers (void)
{
  GThread *thread = g_thread_new ("second-caller", second_caller, GINT_TO_POINTER (100));
  gboolean mine = run_loops (5000, 70, 0);
  gboolean theirs = GPOINTER_TO_INT (g_thread_join (thread));
  g_assert_true (mine);
  g_assert_true (theirs);
}

static void
test_without_watching (void)
{
  if (g_test_subprocess ())
    {
      /* A fresh process, whose variable wins over sf_parallel_set_spin. */
      g_assert_true (run_loops (3000, 40, 0));
      GThread *thread = g_thread_new ("second-caller", second_caller, GINT_TO_POINTER (30));
      g_assert_true (run_loops (2000, 0, 1));
      g_assert_true (GPOINTER_TO_INT (g_thread_join (thread)));
      return;
    }
  g_setenv ("SF_SPIN_MICROSECONDS", "0", TRUE);
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unsetenv ("SF_SPIN_MICROSECONDS");
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  /* More workers than this machine may have cores: the hand-over races
   * show sooner. Set before the team starts. */
  g_setenv ("SF_NUM_THREADS", "3", TRUE);
  g_test_init (&argc, &argv, NULL);
  /* As the command line asks; the subprocess's variable overrides it. */
  sf_parallel_set_spin (200);
  g_test_add_func ("/parallel/without-watching", test_without_watching);
  g_test_add_func ("/parallel/back-to-back", test_back_to_back);
  g_test_add_func ("/parallel/asleep-between", test_asleep_between);
  g_test_add_func ("/parallel/two-callers", test_two_callers);
  return g_test_run ();
}
