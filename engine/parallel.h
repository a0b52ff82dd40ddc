/* A small team of worker threads, shared by every model, for the loops of the
 * network that are not GEMMs and for running many single-threaded GEMMs side
 * by side. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* task: 0 .. n_tasks-1; worker: 0 .. sf_parallel_n_workers()-1, the slot of
 * scratch memory the task may use (no two tasks run at once on one worker). */
typedef void (*SfTaskFunc) (gpointer data, int task, int worker);

/* The number of workers, the calling thread included: the number of
 * processors (at most 8), or SF_NUM_THREADS if set. Starting the team also
 * makes OpenBLAS single-threaded: the engine parallelises over images itself,
 * and OpenBLAS's own threads would only spin against ours. */
int   sf_parallel_n_workers (void);

/* How long, in microseconds, the workers watch for the next loop (and the
 * caller for their last tasks) before they sleep; 0 (the default) sleeps at
 * once. A training step runs dozens of loops a few hundred microseconds
 * apart, and each sleep costs a wake-up: a program with the cores to itself
 * (the command line) gains a few per cent with some 200. A window must not:
 * the watching threads take the cores its main loop needs (docs/
 * PERFORMANCE.md, "Waking the workers"). SF_SPIN_MICROSECONDS, when set,
 * wins over this call. */
void  sf_parallel_set_spin (int microseconds);

/* Runs func for every task and returns when all are done. The tasks are
 * handed out dynamically, so a task must not depend on which worker runs it
 * except for its scratch memory. If another thread is using the team, the
 * caller runs every task itself (as worker 0). */
void  sf_parallel_for (int n_tasks, SfTaskFunc func, gpointer data);

G_END_DECLS
