/* SfSession: the state the views share, with a property for each part so a
 * view redraws when the part it shows changes; and the gallery file beside
 * the model, read and written here so the views never touch files. */
#include "sf-session.h"

#include <glib/gi18n.h>

struct _SfSession
{
  GObject parent_instance;

  SfFaceList *faces;
  SfCheckpoint *checkpoint;
  char *model_path;
  double threshold;
  gboolean modified;
  gboolean training;
  SfGallery *gallery;
  char *gallery_path;          /* beside the model file; NULL while the model has none */
  SfRunStore *runs;            /* made on first use */
  char *runs_root;             /* NULL: the user's data folder */
};

enum {
  PROP_0,
  PROP_FACES,
  PROP_CHECKPOINT,
  PROP_MODEL_PATH,
  PROP_THRESHOLD,
  PROP_MODIFIED,
  PROP_TRAINING,
  PROP_GALLERY,
  PROP_GALLERY_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_GALLERY_ERROR,
  SIGNAL_RUNS_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SfSession, sf_session, G_TYPE_OBJECT)

static void
sf_session_finalize (GObject *object)
{
  SfSession *self = SF_SESSION (object);

  g_clear_object (&self->faces);
  g_clear_pointer (&self->checkpoint, sf_checkpoint_free);
  g_clear_pointer (&self->model_path, g_free);
  g_clear_pointer (&self->gallery, sf_gallery_free);
  g_clear_pointer (&self->gallery_path, g_free);
  g_clear_pointer (&self->runs, sf_run_store_free);
  g_clear_pointer (&self->runs_root, g_free);

  G_OBJECT_CLASS (sf_session_parent_class)->finalize (object);
}

static void
sf_session_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfSession *self = SF_SESSION (object);

  switch (prop_id)
    {
    case PROP_FACES:
      g_value_set_object (value, self->faces);
      break;
    case PROP_CHECKPOINT:
      g_value_set_pointer (value, self->checkpoint);
      break;
    case PROP_MODEL_PATH:
      g_value_set_string (value, self->model_path);
      break;
    case PROP_THRESHOLD:
      g_value_set_double (value, self->threshold);
      break;
    case PROP_MODIFIED:
      g_value_set_boolean (value, self->modified);
      break;
    case PROP_TRAINING:
      g_value_set_boolean (value, self->training);
      break;
    case PROP_GALLERY:
      g_value_set_pointer (value, self->gallery);
      break;
    case PROP_GALLERY_PATH:
      g_value_set_string (value, self->gallery_path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_session_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SfSession *self = SF_SESSION (object);

  switch (prop_id)
    {
    case PROP_FACES:
      sf_session_set_faces (self, g_value_get_object (value));
      break;
    case PROP_THRESHOLD:
      sf_session_set_threshold (self, g_value_get_double (value));
      break;
    case PROP_MODIFIED:
      sf_session_set_modified (self, g_value_get_boolean (value));
      break;
    case PROP_TRAINING:
      sf_session_set_training (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_session_class_init (SfSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sf_session_finalize;
  object_class->get_property = sf_session_get_property;
  object_class->set_property = sf_session_set_property;

  properties[PROP_FACES] =
    g_param_spec_object ("faces", NULL, NULL, SF_TYPE_FACE_LIST,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CHECKPOINT] =
    g_param_spec_pointer ("checkpoint", NULL, NULL,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODEL_PATH] =
    g_param_spec_string ("model-path", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_THRESHOLD] =
    g_param_spec_double ("threshold", NULL, NULL, 0.0, 1.0, 0.5,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODIFIED] =
    g_param_spec_boolean ("modified", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TRAINING] =
    g_param_spec_boolean ("training", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_GALLERY] =
    g_param_spec_pointer ("gallery", NULL, NULL,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_GALLERY_PATH] =
    g_param_spec_string ("gallery-path", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_GALLERY_ERROR] =
    g_signal_new ("gallery-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_RUNS_CHANGED] =
    g_signal_new ("runs-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
sf_session_init (SfSession *self)
{
  self->threshold = 0.5;
  self->gallery = sf_gallery_new (SF_DEFAULT_IMAGE_SIZE);
}

/* ---- the gallery beside the model ---- */

static void
report_gallery_error (SfSession *self, const char *message)
{
  g_signal_emit (self, signals[SIGNAL_GALLERY_ERROR], 0, message);
}

static void
write_gallery (SfSession *self)
{
  g_autoptr (GError) error = NULL;

  if (self->gallery_path != NULL && !sf_gallery_save (self->gallery, self->gallery_path, &error))
    report_gallery_error (self, error->message);
}

static void
take_gallery_path (SfSession *self, char *path)
{
  if (g_strcmp0 (self->gallery_path, path) == 0)
    {
      g_free (path);
      return;
    }
  g_free (self->gallery_path);
  self->gallery_path = path;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GALLERY_PATH]);
}

static void
take_gallery (SfSession *self, SfGallery *gallery)
{
  if (self->gallery == gallery)
    return;
  sf_gallery_free (self->gallery);
  self->gallery = gallery;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GALLERY]);
}

/* A model was set: the people kept beside its file, or, when it has none
 * yet, the people enrolled so far go there. */
static void
open_gallery_beside_model (SfSession *self)
{
  g_autofree char *path = self->model_path != NULL ? sf_gallery_path_for_model (self->model_path) : NULL;

  if (path != NULL && g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autoptr (GError) error = NULL;
      SfGallery *loaded = sf_gallery_load (path, &error);
      if (loaded == NULL)
        {
          /* Do not overwrite a file we could not read. */
          take_gallery_path (self, NULL);
          g_autofree char *message = g_strdup_printf (_("The people beside the model could not be read: %s"),
                                                      error->message);
          report_gallery_error (self, message);
          return;
        }
      take_gallery_path (self, g_steal_pointer (&path));
      take_gallery (self, loaded);
      return;
    }
  take_gallery_path (self, g_steal_pointer (&path));
  if (sf_gallery_get_n_people (self->gallery) > 0)
    write_gallery (self);
}

/* The model was saved under a new name: the people go with it. */
static void
move_gallery_beside_model (SfSession *self)
{
  take_gallery_path (self, sf_gallery_path_for_model (self->model_path));
  if (sf_gallery_get_n_people (self->gallery) > 0)
    write_gallery (self);
}

/* ---- public API ---- */

SfSession *
sf_session_new (void)
{
  return g_object_new (SF_TYPE_SESSION, NULL);
}

SfFaceList *
sf_session_get_faces (SfSession *self)
{
  g_return_val_if_fail (SF_IS_SESSION (self), NULL);

  return self->faces;
}

void
sf_session_set_faces (SfSession *self, SfFaceList *faces)
{
  g_return_if_fail (SF_IS_SESSION (self));

  if (g_set_object (&self->faces, faces))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FACES]);
}

const SfCheckpoint *
sf_session_get_checkpoint (SfSession *self)
{
  g_return_val_if_fail (SF_IS_SESSION (self), NULL);

  return self->checkpoint;
}

void
sf_session_set_checkpoint (SfSession *self, SfCheckpoint *checkpoint, const char *model_path)
{
  g_return_if_fail (SF_IS_SESSION (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (self->checkpoint != checkpoint)
    {
      g_clear_pointer (&self->checkpoint, sf_checkpoint_free);
      self->checkpoint = checkpoint;
    }
  if (g_strcmp0 (self->model_path, model_path) != 0)
    {
      g_free (self->model_path);
      self->model_path = g_strdup (model_path);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL_PATH]);
    }
  if (checkpoint != NULL && self->threshold != checkpoint->threshold)
    {
      self->threshold = CLAMP (checkpoint->threshold, 0.0, 1.0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THRESHOLD]);
    }
  sf_session_set_modified (self, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHECKPOINT]);
  open_gallery_beside_model (self);
  g_object_thaw_notify (G_OBJECT (self));
}

const char *
sf_session_get_model_path (SfSession *self)
{
  g_return_val_if_fail (SF_IS_SESSION (self), NULL);

  return self->model_path;
}

const SfEpochRecord *
sf_session_get_history (SfSession *self, int *n_epochs)
{
  g_return_val_if_fail (SF_IS_SESSION (self), NULL);
  g_return_val_if_fail (n_epochs != NULL, NULL);

  *n_epochs = self->checkpoint != NULL ? self->checkpoint->n_history : 0;
  return self->checkpoint != NULL ? self->checkpoint->history : NULL;
}

double
sf_session_get_threshold (SfSession *self)
{
  g_return_val_if_fail (SF_IS_SESSION (self), 0.5);

  return self->threshold;
}

void
sf_session_set_threshold (SfSession *self, double threshold)
{
  g_return_if_fail (SF_IS_SESSION (self));

  threshold = CLAMP (threshold, 0.0, 1.0);
  if (self->threshold == threshold)
    return;
  self->threshold = threshold;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THRESHOLD]);
  if (self->checkpoint != NULL)
    sf_session_set_modified (self, TRUE);
}

gboolean
sf_session_get_modified (SfSession *self)
{
  g_return_val_if_fail (SF_IS_SESSION (self), FALSE);

  return self->modified;
}

void
sf_session_set_modified (SfSession *self, gboolean modified)
{
  g_return_if_fail (SF_IS_SESSION (self));

  modified = !!modified;
  if (self->modified == modified)
    return;
  self->modified = modified;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODIFIED]);
}

gboolean
sf_session_save (SfSession *self, const char *path, GError **error)
{
  g_return_val_if_fail (SF_IS_SESSION (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  SfCheckpoint *checkpoint = self->checkpoint;
  if (checkpoint == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", _("There is no model to save yet: train one or open one first."));
      return FALSE;
    }
  /* The whole checkpoint: the epoch its weights are of too. */
  if (!sf_checkpoint_write (path, checkpoint, (float) self->threshold, error))
    return FALSE;

  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (self->model_path, path) != 0)
    {
      g_free (self->model_path);
      self->model_path = g_strdup (path);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL_PATH]);
      move_gallery_beside_model (self);
    }
  sf_session_set_modified (self, FALSE);
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}

const SfGallery *
sf_session_get_gallery (SfSession *self)
{
  g_return_val_if_fail (SF_IS_SESSION (self), NULL);

  return self->gallery;
}

void
sf_session_set_gallery (SfSession *self, SfGallery *gallery)
{
  g_return_if_fail (SF_IS_SESSION (self));
  g_return_if_fail (gallery != NULL);

  take_gallery (self, gallery);
  write_gallery (self);
}

const char *
sf_session_get_gallery_path (SfSession *self)
{
  g_return_val_if_fail (SF_IS_SESSION (self), NULL);

  return self->gallery_path;
}

gboolean
sf_session_get_training (SfSession *self)
{
  g_return_val_if_fail (SF_IS_SESSION (self), FALSE);

  return self->training;
}

void
sf_session_set_training (SfSession *self, gboolean training)
{
  g_return_if_fail (SF_IS_SESSION (self));

  training = !!training;
  if (self->training == training)
    return;
  self->training = training;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRAINING]);
}

SfRunStore *
sf_session_get_run_store (SfSession *self)
{
  g_return_val_if_fail (SF_IS_SESSION (self), NULL);

  if (self->runs == NULL)
    self->runs = sf_run_store_new (self->runs_root);
  return self->runs;
}

void
sf_session_set_run_store_root (SfSession *self, const char *root)
{
  g_return_if_fail (SF_IS_SESSION (self));

  g_free (self->runs_root);
  self->runs_root = g_strdup (root);
  g_clear_pointer (&self->runs, sf_run_store_free);
  sf_session_runs_changed (self);
}

void
sf_session_runs_changed (SfSession *self)
{
  g_return_if_fail (SF_IS_SESSION (self));

  g_signal_emit (self, signals[SIGNAL_RUNS_CHANGED], 0);
}
