/* Counting the views' worker threads and waiting for them at exit. */
#include "sf-worker.h"

#include <stdlib.h>

/* Long enough for any scoring or enrolment job to finish its current pass;
 * past it the process exits anyway rather than hang. */
#define EXIT_WAIT_MS 60000

static GMutex lock;
static GCond ended;
static guint running;
static gsize exit_hook_installed;

static void
wait_at_exit (void)
{
  if (!sf_worker_wait_all (EXIT_WAIT_MS))
    g_printerr ("siamese-faces: a worker thread was still running at exit\n");
}

void
sf_worker_hold (void)
{
  /* atexit handlers run before the shared libraries' destructors, which were
   * registered first: so OpenBLAS is still whole while this one waits. */
  if (g_once_init_enter (&exit_hook_installed))
    {
      atexit (wait_at_exit);
      g_once_init_leave (&exit_hook_installed, 1);
    }
  g_mutex_lock (&lock);
  running++;
  g_mutex_unlock (&lock);
}

void
sf_worker_release (void)
{
  g_mutex_lock (&lock);
  g_assert (running > 0);
  if (--running == 0)
    g_cond_broadcast (&ended);
  g_mutex_unlock (&lock);
}

gboolean
sf_worker_wait_all (guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;
  gboolean done;

  g_mutex_lock (&lock);
  while (running > 0 && g_cond_wait_until (&ended, &lock, deadline))
    ;
  done = running == 0;
  g_mutex_unlock (&lock);
  return done;
}

static void
counted_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  GTaskThreadFunc func = (GTaskThreadFunc) g_object_get_data (G_OBJECT (task), "sf-worker-func");

  func (task, source_object, task_data, cancellable);
  sf_worker_release ();
}

void
sf_worker_run_in_thread (GTask *task, GTaskThreadFunc func)
{
  g_return_if_fail (G_IS_TASK (task) && func != NULL);

  sf_worker_hold ();
  g_object_set_data (G_OBJECT (task), "sf-worker-func", (gpointer) func);
  g_task_run_in_thread (task, counted_thread);
}
