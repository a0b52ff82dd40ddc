/* One process-wide team of worker threads that sleep between loops, or first
 * watch for the next one if the program asks (sf_parallel_set_spin); the
 * caller of a parallel loop works too, so a team of n uses n-1 extra threads. */
#include "parallel.h"

#include <cblas.h>
#ifdef __x86_64__
#include <immintrin.h>
#endif
#include <stdlib.h>
#ifdef __linux__
#include <sys/resource.h>
#include <unistd.h>
#endif

#define MAX_WORKERS 8

/* The most a program may ask the workers to watch for the next loop. */
#define MAX_SPIN_USEC 100000

typedef struct {
  int n_workers;
  int nice;               /* SF_WORKER_NICE: the extra workers' niceness, 0 to 19 */
  gint busy;              /* atomic: 1 while a thread's loop runs on the team (a flag, not a
                           * GMutex: only ever tried, and ThreadSanitizer sees atomics,
                           * not GLib's futex mutex) */
  GMutex lock;            /* with work and done, for sleeping and waking only: the */
  GCond work;             /* loop itself is handed over through the atomics below */
  GCond done;
  guint generation;       /* bumped for every loop; read without the lock while spinning */
  SfTaskFunc func;
  gpointer data;
  int n_tasks;
  int next_task;          /* atomic */
  int n_finished;         /* extra workers done with this generation (atomic) */
  int workers_asleep;     /* atomic, changed under the lock: workers waiting on work */
  int caller_asleep;      /* atomic, changed under the lock: the caller waits on done */
} Team;

static Team team;

/* Atomic: sf_parallel_set_spin's, or SF_SPIN_MICROSECONDS's. */
static gint spin_usec;

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

static inline void
cpu_relax (void)
{
#ifdef __x86_64__
  _mm_pause ();
#endif
}

/* TRUE once *value differs from seen (unequal) or reaches seen (!unequal),
 * watched for at most the spin time. */
static gboolean
spin_until (const gint *value, int seen, gboolean unequal)
{
  gint64 usec = g_atomic_int_get (&spin_usec);
  if (usec <= 0)
    return FALSE;
  gint64 deadline = 0;
  for (guint k = 0;; k++)
    {
      int now = g_atomic_int_get (value);
      if (unequal ? now != seen : now >= seen)
        return TRUE;
      cpu_relax ();
      /* The clock is read now and then: it costs more than a pause. */
      if ((k & 63) == 0)
        {
          gint64 t = g_get_monotonic_time ();
          if (deadline == 0)
            deadline = t + usec;
          else if (t >= deadline)
            return FALSE;
        }
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
  for (;;)
    {
      if (!spin_until ((const gint *) &team.generation, (int) seen, TRUE))
        {
          /* Asleep is announced before generation is read again, and the
           * caller bumps generation before it reads asleep: one of the two
           * sees the other, so the wake-up cannot be lost. */
          g_mutex_lock (&team.lock);
          g_atomic_int_inc (&team.workers_asleep);
          while ((guint) g_atomic_int_get ((const gint *) &team.generation) == seen)
            g_cond_wait (&team.work, &team.lock);
          g_atomic_int_add (&team.workers_asleep, -1);
          g_mutex_unlock (&team.lock);
        }
      seen = (guint) g_atomic_int_get ((const gint *) &team.generation);
      run_tasks (worker);
      if (g_atomic_int_add (&team.n_finished, 1) + 1 == team.n_workers - 1 && g_atomic_int_get (&team.caller_asleep))
        {
          /* Under the lock, so that the signal cannot fall between the
           * caller's last check and its wait. */
          g_mutex_lock (&team.lock);
          g_cond_signal (&team.done);
          g_mutex_unlock (&team.lock);
        }
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
  const char *spin_env = g_getenv ("SF_SPIN_MICROSECONDS");
  if (spin_env != NULL)
    g_atomic_int_set (&spin_usec, (gint) CLAMP (g_ascii_strtoll (spin_env, NULL, 10), 0, MAX_SPIN_USEC));
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

void
sf_parallel_set_spin (int microseconds)
{
  if (g_getenv ("SF_SPIN_MICROSECONDS") == NULL)
    g_atomic_int_set (&spin_usec, CLAMP (microseconds, 0, MAX_SPIN_USEC));
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
  if (n_tasks == 1 || team.n_workers == 1 || !g_atomic_int_compare_and_exchange (&team.busy, 0, 1))
    {
      for (int task = 0; task < n_tasks; task++)
        func (data, task, 0);
      return;
    }
  team.func = func;
  team.data = data;
  team.n_tasks = n_tasks;
  g_atomic_int_set (&team.next_task, 0);
  g_atomic_int_set (&team.n_finished, 0);
  /* Last: a spinning worker that sees the new generation finds the rest set. */
  g_atomic_int_inc ((gint *) &team.generation);
  if (g_atomic_int_get (&team.workers_asleep) > 0)
    {
      g_mutex_lock (&team.lock);
      g_cond_broadcast (&team.work);
      g_mutex_unlock (&team.lock);
    }

  run_tasks (0);

  int extra = team.n_workers - 1;
  if (!spin_until (&team.n_finished, extra, FALSE))
    {
      g_mutex_lock (&team.lock);
      g_atomic_int_set (&team.caller_asleep, 1);
      while (g_atomic_int_get (&team.n_finished) < extra)
        g_cond_wait (&team.done, &team.lock);
      g_atomic_int_set (&team.caller_asleep, 0);
      g_mutex_unlock (&team.lock);
    }
  g_atomic_int_set (&team.busy, 0);
}
