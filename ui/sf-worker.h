/* The views' worker threads, counted, so the process never exits while one of
 * them is still inside the engine: OpenBLAS's library destructor would free
 * its buffers under it, and the process would crash on its way out. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* g_task_run_in_thread, counted until `func` returns. */
void     sf_worker_run_in_thread (GTask *task, GTaskThreadFunc func);
/* For a thread that is not a GTask's: hold before starting it, release as
 * the last thing it does. */
void     sf_worker_hold          (void);
void     sf_worker_release       (void);
/* Waits up to `timeout_ms` for every counted thread to end; FALSE when some
 * still run. Called by itself at exit. */
gboolean sf_worker_wait_all      (guint timeout_ms);

G_END_DECLS
