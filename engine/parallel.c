/* One process-wide team of sleeping worker threads; the caller of a parallel
 * loop works too, so a team of n uses n-1 extra threads. */
#include "parallel.h"

#include <cblas.h>
#include <stdlib.h>
#ifdef __linux__
#include <sys/resource.h>
#include <unistd.h>
#endif

#define MAX_WORKERS 8

typedef struct {
  int n_workers;
  int nice;               /* SF_WORKER_NICE: the extra workers' niceness, 0 to 19 */
  GMutex busy;            /* held by the thread whose loop the team runs */
  GMutex lock;            /* guards everything below */
  GCond work;
  GCond done;
  guint generation;       /* bumped for every loop */
  SfTaskFunc func;
  gpointer data;
  int n_tasks;
  int next_task;          /* atomic */
  int n_finished;         /* extra workers done with this generation */
} Team;

static Team team;

static void
run_tasks (int worker)
{
  for (;;)
    {
      int task = g_atomic_int_add (&team.next_task, 1);
      if (task >= team.n_tasks)
        break;
      team.func (team.data, task, worker);
    }
}

static gpointer
worker_main (gpointer data)
{
  int worker = GPOINTER_TO_INT (data);
  guint seen = 0;
#ifdef __linux__
  /* Linux nices threads one by one: this worker yields to the rest of the
   * process (a window's main loop) when cores are short. */
  if (team.nice > 0)
    setpriority (PRIO_PROCESS, (id_t) gettid (), team.nice);
#endif
  g_mutex_lock (&team.lock);
  for (;;)
    {
      while (team.generation == seen)
        g_cond_wait (&team.work, &team.lock);
      seen = team.generation;
      g_mutex_unlock (&team.lock);
      run_tasks (worker);
      g_mutex_lock (&team.lock);
      if (++team.n_finished == team.n_workers - 1)
        g_cond_signal (&team.done);
    }
  return NULL;
}

static gpointer
team_start (gpointer unused)
{
  int n = (int) g_get_num_processors ();
  const char *env = g_getenv ("SF_NUM_THREADS");
  if (env != NULL && atoi (env) > 0)
    n = atoi (env);
  n = CLAMP (n, 1, MAX_WORKERS);
  const char *nice_env = g_getenv ("SF_WORKER_NICE");
  team.nice = nice_env != NULL ? CLAMP (atoi (nice_env), 0, 19) : 0;
  g_mutex_init (&team.busy);
  g_mutex_init (&team.lock);
  g_cond_init (&team.work);
  g_cond_init (&team.done);
  team.n_workers = 1;
  for (int k = 1; k < n; k++)
    {
      GThread *thread = g_thread_try_new ("sf-worker", worker_main, GINT_TO_POINTER (k), NULL);
      if (thread == NULL)
        break;
      g_thread_unref (thread);
      team.n_workers++;
    }
  openblas_set_num_threads (1);
  return NULL;
}

static void
ensure_team (void)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, team_start, NULL);
}

int
sf_parallel_n_workers (void)
{
  ensure_team ();
  return team.n_workers;
}

void
sf_parallel_for (int n_tasks, SfTaskFunc func, gpointer data)
{
  ensure_team ();
  if (n_tasks <= 0)
    return;
  if (n_tasks == 1 || team.n_workers == 1 || !g_mutex_trylock (&team.busy))
    {
      for (int task = 0; task < n_tasks; task++)
        func (data, task, 0);
      return;
    }
  g_mutex_lock (&team.lock);
  team.func = func;
  team.data = data;
  team.n_tasks = n_tasks;
  g_atomic_int_set (&team.next_task, 0);
  team.n_finished = 0;
  team.generation++;
  g_cond_broadcast (&team.work);
  g_mutex_unlock (&team.lock);

  run_tasks (0);

  g_mutex_lock (&team.lock);
  while (team.n_finished < team.n_workers - 1)
    g_cond_wait (&team.done, &team.lock);
  g_mutex_unlock (&team.lock);
  g_mutex_unlock (&team.busy);
}
