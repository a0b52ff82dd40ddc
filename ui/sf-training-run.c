/* SfTrainingRun: the worker's callback writes into a Channel under its lock
 * (latest progress, the epoch records in order, the end); a timer on the
 * main loop takes everything gathered so far with a trylock (the main
 * thread never waits for the worker) and emits it if the run is still the
 * current one (its channel and generation). */
#include "sf-training-run.h"

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <errno.h>
#include <unistd.h>
#endif

#include "error.h"
#include "sf-worker.h"

typedef struct
{
  gatomicrefcount ref_count;
  guint generation;

  GMutex lock;
  /* Under lock: */
  gboolean has_progress;
  SfTrainEvent progress;     /* message is always NULL */
  GArray *epochs;            /* SfEpochRecord, not yet delivered */
  int end;                   /* -1, or the SfTrainEventKind that ended the run */
  char *message;
} Channel;

struct _SfTrainingRun
{
  GObject parent_instance;

  /* Owned */
  SfTrainer *trainer;
  SfFaceList *faces;         /* the trainer's dataset lives in it */
  Channel *channel;          /* of the current run */
  Channel *trainer_channel;  /* the trainer's callback data, freed after it */
  GArray *history;           /* SfEpochRecord of the current run, as delivered */

  guint generation;
  gboolean running;
  gboolean paused;
  SfTrainEvent progress;
  gint64 started_us;
  gint64 paused_since_us;
  gint64 paused_total_us;
  gint64 ended_us;
  guint poll_id;
};

enum {
  PROP_0,
  PROP_RUNNING,
  PROP_PAUSED,
  N_PROPS
};

enum {
  PROGRESS,
  EPOCH,
  FINISHED,
  CANCELLED,
  FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SfTrainingRun, sf_training_run, G_TYPE_OBJECT)

static Channel *
channel_new (guint generation)
{
  Channel *channel = g_new0 (Channel, 1);

  g_atomic_ref_count_init (&channel->ref_count);
  channel->generation = generation;
  g_mutex_init (&channel->lock);
  channel->epochs = g_array_new (FALSE, FALSE, sizeof (SfEpochRecord));
  channel->end = -1;
  return channel;
}

static Channel *
channel_ref (Channel *channel)
{
  g_atomic_ref_count_inc (&channel->ref_count);
  return channel;
}

static void
channel_unref (gpointer data)
{
  Channel *channel = data;

  if (!g_atomic_ref_count_dec (&channel->ref_count))
    return;
  g_mutex_clear (&channel->lock);
  g_array_unref (channel->epochs);
  g_free (channel->message);
  g_free (channel);
}

static void
set_running (SfTrainingRun *self, gboolean running)
{
  if (self->running == running)
    return;
  self->running = running;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static void
set_paused (SfTrainingRun *self, gboolean paused)
{
  gint64 now = g_get_monotonic_time ();

  if (self->paused == paused)
    return;
  self->paused = paused;
  if (paused)
    self->paused_since_us = now;
  else
    self->paused_total_us += now - self->paused_since_us;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

/* Main thread: delivers what the worker reported since the last time. */
static gboolean
deliver (SfTrainingRun *self, Channel *channel)
{
  gboolean has_progress;
  SfTrainEvent progress;
  GArray *epochs;
  int end;
  char *message;

  /* Never wait for the worker: if it holds the lock, look again next tick. */
  if (!g_mutex_trylock (&channel->lock))
    return TRUE;
  has_progress = channel->has_progress;
  channel->has_progress = FALSE;
  progress = channel->progress;
  epochs = channel->epochs;
  channel->epochs = g_array_new (FALSE, FALSE, sizeof (SfEpochRecord));
  end = channel->end;
  channel->end = -1;
  message = g_steal_pointer (&channel->message);
  g_mutex_unlock (&channel->lock);

  g_object_ref (self);
  gboolean current = self->channel == channel && self->generation == channel->generation;

  for (guint i = 0; current && i < epochs->len; i++)
    {
      g_array_append_val (self->history, g_array_index (epochs, SfEpochRecord, i));
      g_signal_emit (self, signals[EPOCH], 0, &g_array_index (epochs, SfEpochRecord, i));
      current = self->channel == channel;
    }
  if (current && has_progress)
    {
      self->progress = progress;
      g_signal_emit (self, signals[PROGRESS], 0);
      current = self->channel == channel;
    }
  if (current && end >= 0)
    {
      /* The worker said its last word: joining waits only for its return. */
      g_autoptr (GError) error = NULL;
      sf_trainer_join (self->trainer, &error);
      self->ended_us = g_get_monotonic_time ();
      set_paused (self, FALSE);
      /* "running" falls only after the end is told, so whoever carries on
       * from it (the view's threshold) leaves no moment of "nothing runs". */
      if (end == SF_TRAIN_EVENT_FINISHED)
        g_signal_emit (self, signals[FINISHED], 0);
      else if (end == SF_TRAIN_EVENT_CANCELLED)
        g_signal_emit (self, signals[CANCELLED], 0);
      else
        g_signal_emit (self, signals[FAILED], 0,
                       error != NULL ? error->message : (message != NULL ? message : "training failed"));
      if (self->channel == channel)
        set_running (self, FALSE);
    }

  g_array_unref (epochs);
  g_free (message);
  g_object_unref (self);
  return end < 0;
}

/* Main thread, while a run is under way: picks up what the worker reported. */
static gboolean
poll_cb (gpointer data)
{
  SfTrainingRun *self = data;

  if (self->channel != NULL && deliver (self, self->channel))
    return G_SOURCE_CONTINUE;
  self->poll_id = 0;
  return G_SOURCE_REMOVE;
}

/* Training yields to the window: on a busy machine the main loop must win
 * the CPU over the trainer and the engine's worker team ("sf-worker"
 * threads, which may have been started from the main thread). Linux only:
 * elsewhere the threads keep the process's priority. */
static void
lower_priority (void)
{
#ifdef __linux__
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  pid_t self_tid = (pid_t) syscall (SYS_gettid);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      pid_t tid = (pid_t) g_ascii_strtoll (name, NULL, 10);
      g_autofree char *comm_path = g_build_filename ("/proc/self/task", name, "comm", NULL);
      g_autofree char *comm = NULL;
      if (tid <= 0 || !g_file_get_contents (comm_path, &comm, NULL, NULL))
        continue;
      if (tid != self_tid && !g_str_has_prefix (comm, "sf-worker"))
        continue;
      errno = 0;
      int nice_value = getpriority (PRIO_PROCESS, (id_t) tid);
      if (errno == 0 && nice_value < 10)
        (void) setpriority (PRIO_PROCESS, (id_t) tid, 10);
    }
#endif
}

/* Worker thread. */
static void
event_cb (const SfTrainEvent *event, gpointer data)
{
  Channel *channel = data;

  if (event->kind == SF_TRAIN_EVENT_STARTED)
    lower_priority ();

  g_mutex_lock (&channel->lock);
  switch (event->kind)
    {
    case SF_TRAIN_EVENT_STARTED:
    case SF_TRAIN_EVENT_BATCH:
      channel->progress = *event;
      channel->progress.message = NULL;
      channel->has_progress = TRUE;
      break;
    case SF_TRAIN_EVENT_EPOCH:
      g_array_append_val (channel->epochs, event->record);
      channel->progress = *event;
      channel->progress.message = NULL;
      channel->has_progress = TRUE;
      break;
    case SF_TRAIN_EVENT_FINISHED:
    case SF_TRAIN_EVENT_CANCELLED:
    case SF_TRAIN_EVENT_FAILED:
      channel->end = event->kind;
      g_free (channel->message);
      channel->message = g_strdup (event->message);
      break;
    default:
      break;
    }
  g_mutex_unlock (&channel->lock);
}

typedef struct
{
  SfTrainer *trainer;
  SfFaceList *faces;
  Channel *channel;
} Orphan;

/* A thread that waits for an abandoned run, so disposing never blocks. */
static gpointer
reap_thread (gpointer data)
{
  Orphan *orphan = data;

  sf_trainer_free (orphan->trainer);
  channel_unref (orphan->channel);
  g_object_unref (orphan->faces);
  g_free (orphan);
  sf_worker_release ();
  return NULL;
}

/* Drops the previous trainer; a running one is cancelled and reaped elsewhere. */
static void
release_trainer (SfTrainingRun *self)
{
  if (self->trainer == NULL)
    return;
  if (self->running)
    {
      Orphan *orphan = g_new0 (Orphan, 1);
      sf_trainer_cancel (self->trainer);
      orphan->trainer = g_steal_pointer (&self->trainer);
      orphan->faces = g_steal_pointer (&self->faces);
      orphan->channel = g_steal_pointer (&self->trainer_channel);
      sf_worker_hold ();
      g_thread_unref (g_thread_new ("sf-trainer-reap", reap_thread, orphan));
    }
  else
    {
      g_clear_pointer (&self->trainer, sf_trainer_free);
      g_clear_pointer (&self->trainer_channel, channel_unref);
      g_clear_object (&self->faces);
    }
}

static void
sf_training_run_dispose (GObject *object)
{
  SfTrainingRun *self = SF_TRAINING_RUN (object);

  self->generation++;
  g_clear_handle_id (&self->poll_id, g_source_remove);
  release_trainer (self);
  g_clear_object (&self->faces);
  g_clear_pointer (&self->channel, channel_unref);

  G_OBJECT_CLASS (sf_training_run_parent_class)->dispose (object);
}

static void
sf_training_run_finalize (GObject *object)
{
  SfTrainingRun *self = SF_TRAINING_RUN (object);

  g_array_unref (self->history);

  G_OBJECT_CLASS (sf_training_run_parent_class)->finalize (object);
}

static void
sf_training_run_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfTrainingRun *self = SF_TRAINING_RUN (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_training_run_class_init (SfTrainingRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sf_training_run_dispose;
  object_class->finalize = sf_training_run_finalize;
  object_class->get_property = sf_training_run_get_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* ::progress (): read sf_training_run_get_progress. */
  signals[PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  /* ::epoch (const SfEpochRecord *record): every epoch, in order, once it
   * is the history's last. */
  signals[EPOCH] =
    g_signal_new ("epoch", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[CANCELLED] =
    g_signal_new ("cancelled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  /* ::failed (const char *message) */
  signals[FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
sf_training_run_init (SfTrainingRun *self)
{
  self->history = g_array_new (FALSE, FALSE, sizeof (SfEpochRecord));
}

gboolean
sf_training_run_start (SfTrainingRun *self, SfFaceList *faces, const SfTrainSettings *settings, GError **error)
{
  return sf_training_run_start_from (self, faces, settings, NULL, error);
}

gboolean
sf_training_run_start_from (SfTrainingRun *self, SfFaceList *faces, const SfTrainSettings *settings,
                            const SfModel *init, GError **error)
{
  g_return_val_if_fail (SF_IS_TRAINING_RUN (self), FALSE);
  g_return_val_if_fail (SF_IS_FACE_LIST (faces), FALSE);
  g_return_val_if_fail (settings != NULL, FALSE);

  if (self->running)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "a training run is under way");
      return FALSE;
    }
  if (!sf_train_settings_validate (settings, error))
    return FALSE;

  SfTrainer *trainer = sf_trainer_new_from (sf_face_list_get_dataset (faces), settings, init, error);
  if (trainer == NULL)
    return FALSE;

  release_trainer (self);
  self->generation++;
  g_clear_pointer (&self->channel, channel_unref);
  self->channel = channel_new (self->generation);
  self->trainer = trainer;
  self->faces = g_object_ref (faces);
  g_array_set_size (self->history, 0);
  self->progress = (SfTrainEvent) { .kind = SF_TRAIN_EVENT_STARTED, .epoch = 1, .n_epochs = settings->epochs };
  self->started_us = g_get_monotonic_time ();
  self->paused_total_us = 0;
  self->ended_us = 0;

  /* The trainer's callback holds the channel until the trainer is freed. */
  self->trainer_channel = channel_ref (self->channel);
  if (!sf_trainer_start (trainer, event_cb, self->trainer_channel, error))
    {
      g_clear_pointer (&self->trainer, sf_trainer_free);
      g_clear_pointer (&self->trainer_channel, channel_unref);
      g_clear_object (&self->faces);
      return FALSE;
    }
  self->paused = FALSE;
  /* The worker never touches the main context (whose lock a preempted
   * worker could hold): the main loop looks for its news 30 times a second. */
  g_clear_handle_id (&self->poll_id, g_source_remove);
  self->poll_id = g_timeout_add (33, poll_cb, self);
  set_running (self, TRUE);
  return TRUE;
}

void
sf_training_run_pause (SfTrainingRun *self)
{
  g_return_if_fail (SF_IS_TRAINING_RUN (self));

  if (!self->running || self->paused)
    return;
  sf_trainer_pause (self->trainer);
  set_paused (self, TRUE);
}

void
sf_training_run_resume (SfTrainingRun *self)
{
  g_return_if_fail (SF_IS_TRAINING_RUN (self));

  if (!self->running || !self->paused)
    return;
  sf_trainer_resume (self->trainer);
  set_paused (self, FALSE);
}

void
sf_training_run_cancel (SfTrainingRun *self)
{
  g_return_if_fail (SF_IS_TRAINING_RUN (self));

  if (!self->running)
    return;
  /* A paused worker wakes to see the cancel. */
  sf_trainer_cancel (self->trainer);
}

gboolean
sf_training_run_get_running (SfTrainingRun *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_RUN (self), FALSE);

  return self->running;
}

gboolean
sf_training_run_get_paused (SfTrainingRun *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_RUN (self), FALSE);

  return self->paused;
}

const SfTrainEvent *
sf_training_run_get_progress (SfTrainingRun *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_RUN (self), NULL);

  return &self->progress;
}

double
sf_training_run_get_active_seconds (SfTrainingRun *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_RUN (self), 0.0);

  if (self->started_us == 0)
    return 0.0;
  gint64 end = self->running ? g_get_monotonic_time () : self->ended_us;
  gint64 paused = self->paused_total_us;
  if (self->paused)
    paused += end - self->paused_since_us;
  return MAX (0, end - self->started_us - paused) / 1e6;
}

const SfEpochRecord *
sf_training_run_get_history (SfTrainingRun *self, int *n_epochs)
{
  g_return_val_if_fail (SF_IS_TRAINING_RUN (self), NULL);

  if (n_epochs != NULL)
    *n_epochs = (int) self->history->len;
  return (const SfEpochRecord *) self->history->data;
}

SfTrainer *
sf_training_run_get_trainer (SfTrainingRun *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_RUN (self), NULL);

  return self->trainer;
}

SfFaceList *
sf_training_run_get_faces (SfTrainingRun *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_RUN (self), NULL);

  return self->faces;
}

SfTrainingRun *
sf_training_run_new (void)
{
  return g_object_new (SF_TYPE_TRAINING_RUN, NULL);
}
