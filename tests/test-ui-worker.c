/* The views' worker threads are counted until they return, so the process
 * can wait for them before the libraries they use are torn down. */
#include <gio/gio.h>

#include "sf-worker.h"

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean started;
  gboolean may_finish;
} Gate;

static void
blocked_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  Gate *gate = task_data;

  g_mutex_lock (&gate->lock);
  gate->started = TRUE;
  g_cond_broadcast (&gate->cond);
  while (!gate->may_finish)
    g_cond_wait (&gate->cond, &gate->lock);
  g_mutex_unlock (&gate->lock);
  g_task_return_boolean (task, TRUE);
}

static void
test_counts_until_return (void)
{
  Gate gate = { 0 };
  g_autoptr (GTask) task = g_task_new (NULL, NULL, NULL, NULL);

  g_assert_true (sf_worker_wait_all (0));
  g_task_set_task_data (task, &gate, NULL);
  sf_worker_run_in_thread (task, blocked_thread);

  g_mutex_lock (&gate.lock);
  while (!gate.started)
    g_cond_wait (&gate.cond, &gate.lock);
  g_mutex_unlock (&gate.lock);
  /* Running: a short wait must report it. */
  g_assert_false (sf_worker_wait_all (50));

  g_mutex_lock (&gate.lock);
  gate.may_finish = TRUE;
  g_cond_broadcast (&gate.cond);
  g_mutex_unlock (&gate.lock);
  g_assert_true (sf_worker_wait_all (60000));
}

static void
test_hold_release (void)
{
  sf_worker_hold ();
  g_assert_false (sf_worker_wait_all (0));
  sf_worker_release ();
  g_assert_true (sf_worker_wait_all (0));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/worker/counts-until-return", test_counts_until_return);
  g_test_add_func ("/worker/hold-release", test_hold_release);
  return g_test_run ();
}
