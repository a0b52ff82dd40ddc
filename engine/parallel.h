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

/* Runs func for every task and returns when all are done. The tasks are
 * handed out dynamically, so a task must not depend on which worker runs it
 * except for its scratch memory. If another thread is using the team, the
 * caller runs every task itself (as worker 0). */
void  sf_parallel_for (int n_tasks, SfTaskFunc func, gpointer data);

G_END_DECLS
