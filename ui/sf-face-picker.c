/* SfFacePicker: a menu button whose popover lists the people and, for the one
 * selected, their faces; an image file is read on a GTask thread and results
 * of an older load (or one the user overrode by picking a face) are dropped
 * by generation. */
#include "sf-face-picker.h"

#include <glib/gi18n.h>

#include "image.h"
#include "sf-face-image.h"
#include "sf-face-paint.h"
#include "sf-file-chooser.h"
#include "sf-held-out.h"
#include "sf-notify.h"
#include "sf-worker.h"

struct _SfFacePicker
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkMenuButton *button;
  GtkPopover *popover;
  GtkDropDown *person_dropdown;
  GtkFlowBox *face_box;

  /* Owned */
  SfFaceList *faces;
  SfImage *outside;             /* the image file as read, kept to resize for another dataset */
  char *outside_path;
  SfFace *outside_face;         /* it at the dataset's size, in a list of its own */
  GtkFileChooserNative *chooser;
  char *last_error;
  SfHeldOut *held_out;          /* NULL: nothing to mark */

  int index;                    /* -1: the image file */
  guint load_generation;
  gboolean loading;
};

enum {
  PROP_0,
  PROP_FACES,
  PROP_INDEX,
  PROP_LOADING,
  N_PROPS
};

enum {
  FACE_CHOSEN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SfFacePicker, sf_face_picker, GTK_TYPE_WIDGET)

/* ---- reading an image file (worker thread) ---- */

typedef struct
{
  guint generation;
  char *path;
  SfImage *image;
} LoadJob;

static void
load_job_free (gpointer data)
{
  LoadJob *job = data;

  g_free (job->path);
  g_clear_pointer (&job->image, sf_image_free);
  g_free (job);
}

static void
load_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  LoadJob *job = task_data;
  GError *error = NULL;

  job->image = sf_image_load (job->path, &error);
  if (job->image == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* ---- main thread ---- */

static const SfDataset *
current_dataset (SfFacePicker *self)
{
  return self->faces != NULL ? sf_face_list_get_dataset (self->faces) : NULL;
}

static void
set_loading (SfFacePicker *self, gboolean loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
set_index (SfFacePicker *self, int index)
{
  if (self->index == index)
    return;
  self->index = index;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INDEX]);
}

/* The image file resized like the dataset, as the one face of its own list. */
static void
rebuild_outside_face (SfFacePicker *self)
{
  const SfDataset *dataset = current_dataset (self);

  g_clear_object (&self->outside_face);
  if (self->outside == NULL || dataset == NULL)
    return;

  SfDataset *one = sf_dataset_new (SF_DATASET_FORMAT_FOLDER, 1, dataset->height, dataset->width, 1, NULL);
  if (one == NULL)
    return;
  sf_image_resize_area (self->outside->pixels, self->outside->width, self->outside->height,
                        one->pixels, dataset->width, dataset->height);
  one->source = g_strdup (self->outside_path);
  one->labels[0] = 0;
  one->person_names[0] = g_path_get_basename (self->outside_path);
  one->image_paths[0] = g_strdup (self->outside_path);
  g_autoptr (SfFaceList) list = sf_face_list_new (one);
  self->outside_face = sf_face_new (list, 0);
}

static void
fill_face_box (SfFacePicker *self, int person)
{
  const SfDataset *dataset = current_dataset (self);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->face_box))) != NULL)
    gtk_flow_box_remove (self->face_box, child);
  if (dataset == NULL || person < 0 || person >= dataset->n_people)
    return;

  for (int i = 0; i < dataset->n_images; i++)
    {
      if (dataset->labels[i] != person)
        continue;
      g_autoptr (SfFace) face = sf_face_new (self->faces, i);
      g_autofree char *description = sf_face_dup_description (face);
      gboolean held = sf_held_out_has_image (self->held_out, i);
      if (held)
        {
          char *marked = description;
          /* Translators: a face's description (e.g. "Image 3, s5") for a face held out of training. */
          description = g_strdup_printf (_("%s, held out of training"), marked);
          g_free (marked);
        }
      GtkWidget *image = sf_face_image_new ();
      sf_face_image_set_face (SF_FACE_IMAGE (image), face);
      sf_face_image_set_zoom (SF_FACE_IMAGE (image), sf_zoom_for_target (dataset->width, 64));
      GtkWidget *cell = gtk_flow_box_child_new ();
      gtk_flow_box_child_set_child (GTK_FLOW_BOX_CHILD (cell), image);
      gtk_widget_set_tooltip_text (cell, description);
      gtk_accessible_update_property (GTK_ACCESSIBLE (cell), GTK_ACCESSIBLE_PROPERTY_LABEL, description, -1);
      g_object_set_data (G_OBJECT (cell), "sf-image-index", GINT_TO_POINTER (i));
      if (held)
        gtk_widget_add_css_class (cell, "held-out");
      gtk_flow_box_append (self->face_box, cell);
      if (i == self->index)
        gtk_flow_box_select_child (self->face_box, GTK_FLOW_BOX_CHILD (cell));
    }
}

/* The person list, and the faces of the person selected, follow the dataset. */
static void
rebuild_people (SfFacePicker *self)
{
  const SfDataset *dataset = current_dataset (self);
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);

  if (dataset != NULL)
    for (int p = 0; p < dataset->n_people; p++)
      {
        g_autofree char *name = sf_held_out_name (self->held_out, p, dataset->person_names[p]);
        gtk_string_list_append (names, name);
      }
  g_autoptr (GtkExpression) expression = gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string");
  gtk_drop_down_set_expression (self->person_dropdown, expression);
  gtk_drop_down_set_model (self->person_dropdown, G_LIST_MODEL (names));
  /* The selection may not have moved, but the faces behind it did. */
  guint selected = gtk_drop_down_get_selected (self->person_dropdown);
  fill_face_box (self, selected == GTK_INVALID_LIST_POSITION ? -1 : (int) selected);
}

/* The popover opens at the chosen face's person, with that face selected. */
static void
sync_popover (SfFacePicker *self)
{
  const SfDataset *dataset = current_dataset (self);

  if (dataset == NULL || self->index < 0 || self->index >= dataset->n_images)
    {
      gtk_flow_box_unselect_all (self->face_box);
      return;
    }
  guint person = (guint) dataset->labels[self->index];
  if (gtk_drop_down_get_selected (self->person_dropdown) != person)
    {
      gtk_drop_down_set_selected (self->person_dropdown, person);   /* refills the faces */
      return;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->face_box)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GPOINTER_TO_INT (g_object_get_data (G_OBJECT (child), "sf-image-index")) == self->index)
      gtk_flow_box_select_child (self->face_box, GTK_FLOW_BOX_CHILD (child));
}

static void
emit_face_chosen (SfFacePicker *self)
{
  g_autoptr (SfFace) face = sf_face_picker_dup_face (self);

  if (face != NULL)
    g_signal_emit (self, signals[FACE_CHOSEN], 0, self->index, face);
}

static void
person_selected_cb (GtkDropDown *dropdown, GParamSpec *pspec, SfFacePicker *self)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  fill_face_box (self, selected == GTK_INVALID_LIST_POSITION ? -1 : (int) selected);
}

static void
face_activated_cb (GtkFlowBox *box, GtkFlowBoxChild *child, SfFacePicker *self)
{
  int index = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (child), "sf-image-index"));
  gboolean changed = index != self->index;

  gtk_popover_popdown (self->popover);
  sf_face_picker_set_index (self, index);
  if (changed)
    emit_face_chosen (self);
}

static void
load_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SfFacePicker *self = SF_FACE_PICKER (source);
  LoadJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  if (job->generation != self->load_generation)
    return;   /* an older load, one the user overrode, or the picker was disposed */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_free (self->last_error);
      self->last_error = g_strdup (error->message);
      set_loading (self, FALSE);
      sf_notify_toast (GTK_WIDGET (self), error->message, 5);
      return;
    }

  g_clear_pointer (&self->outside, sf_image_free);
  self->outside = g_steal_pointer (&job->image);
  g_free (self->outside_path);
  self->outside_path = g_strdup (job->path);
  g_clear_pointer (&self->last_error, g_free);
  rebuild_outside_face (self);
  if (self->outside_face == NULL)
    {
      set_loading (self, FALSE);   /* no dataset to resize it for: kept for the next one */
      return;
    }
  set_index (self, -1);
  gtk_flow_box_unselect_all (self->face_box);
  /* Chosen before "loading" ends, so an owner that starts work on the choice
   * never looks idle in between. */
  emit_face_chosen (self);
  set_loading (self, FALSE);
}

static void
image_chosen (gpointer owner, const char *const *paths)
{
  sf_face_picker_open_image (owner, paths[0]);
}

static void
open_image_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  sf_face_picker_choose_file (SF_FACE_PICKER (widget));
}

/* ---- GObject ---- */

static void
sf_face_picker_dispose (GObject *object)
{
  SfFacePicker *self = SF_FACE_PICKER (object);
  GtkWidget *child;

  self->load_generation++;
  sf_file_chooser_clear (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), SF_TYPE_FACE_PICKER);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->faces);
  g_clear_object (&self->outside_face);
  g_clear_pointer (&self->outside, sf_image_free);
  g_clear_pointer (&self->held_out, sf_held_out_free);

  G_OBJECT_CLASS (sf_face_picker_parent_class)->dispose (object);
}

static void
sf_face_picker_finalize (GObject *object)
{
  SfFacePicker *self = SF_FACE_PICKER (object);

  g_free (self->outside_path);
  g_free (self->last_error);

  G_OBJECT_CLASS (sf_face_picker_parent_class)->finalize (object);
}

static void
sf_face_picker_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfFacePicker *self = SF_FACE_PICKER (object);

  switch (prop_id)
    {
    case PROP_FACES:
      g_value_set_object (value, self->faces);
      break;
    case PROP_INDEX:
      g_value_set_int (value, self->index);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_face_picker_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SfFacePicker *self = SF_FACE_PICKER (object);

  switch (prop_id)
    {
    case PROP_FACES:
      sf_face_picker_set_faces (self, g_value_get_object (value));
      break;
    case PROP_INDEX:
      sf_face_picker_set_index (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_face_picker_class_init (SfFacePickerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sf_face_picker_dispose;
  object_class->finalize = sf_face_picker_finalize;
  object_class->get_property = sf_face_picker_get_property;
  object_class->set_property = sf_face_picker_set_property;

  properties[PROP_FACES] =
    g_param_spec_object ("faces", NULL, NULL, SF_TYPE_FACE_LIST,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_INDEX] =
    g_param_spec_int ("index", NULL, NULL, -1, G_MAXINT, 0,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[FACE_CHOSEN] =
    g_signal_new ("face-chosen", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_INT, SF_TYPE_FACE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-face-picker.ui");
  gtk_widget_class_bind_template_child (widget_class, SfFacePicker, button);
  gtk_widget_class_bind_template_child (widget_class, SfFacePicker, popover);
  gtk_widget_class_bind_template_child (widget_class, SfFacePicker, person_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SfFacePicker, face_box);
  gtk_widget_class_bind_template_callback (widget_class, person_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, face_activated_cb);

  gtk_widget_class_install_action (widget_class, "face-picker.open-image", NULL, open_image_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "facepicker");
}

static void
sf_face_picker_init (SfFacePicker *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* ---- public API ---- */

SfFaceList *
sf_face_picker_get_faces (SfFacePicker *self)
{
  g_return_val_if_fail (SF_IS_FACE_PICKER (self), NULL);

  return self->faces;
}

void
sf_face_picker_set_faces (SfFacePicker *self, SfFaceList *faces)
{
  g_return_if_fail (SF_IS_FACE_PICKER (self));
  g_return_if_fail (faces == NULL || SF_IS_FACE_LIST (faces));

  if (!g_set_object (&self->faces, faces))
    return;
  rebuild_people (self);
  rebuild_outside_face (self);

  const SfDataset *dataset = current_dataset (self);
  if ((self->index < 0 && self->outside_face == NULL) || (dataset != NULL && self->index >= dataset->n_images))
    set_index (self, 0);
  sync_popover (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FACES]);
}

void
sf_face_picker_set_held_out (SfFacePicker *self, const SfHeldOut *held_out)
{
  g_return_if_fail (SF_IS_FACE_PICKER (self));

  g_clear_pointer (&self->held_out, sf_held_out_free);
  self->held_out = sf_held_out_copy (held_out);
  rebuild_people (self);
  sync_popover (self);
}

int
sf_face_picker_get_index (SfFacePicker *self)
{
  g_return_val_if_fail (SF_IS_FACE_PICKER (self), 0);

  return self->index;
}

void
sf_face_picker_set_index (SfFacePicker *self, int index)
{
  g_return_if_fail (SF_IS_FACE_PICKER (self));
  const SfDataset *dataset = current_dataset (self);
  g_return_if_fail (index >= 0 || self->outside_face != NULL);
  g_return_if_fail (dataset == NULL || index < dataset->n_images);

  self->load_generation++;   /* a pending image load no longer wins */
  set_loading (self, FALSE);
  set_index (self, index);
  sync_popover (self);
}

SfFace *
sf_face_picker_dup_face (SfFacePicker *self)
{
  g_return_val_if_fail (SF_IS_FACE_PICKER (self), NULL);
  const SfDataset *dataset = current_dataset (self);

  if (self->index < 0)
    return self->outside_face != NULL ? g_object_ref (self->outside_face) : NULL;
  if (dataset != NULL && self->index < dataset->n_images)
    return sf_face_new (self->faces, self->index);
  return NULL;
}

void
sf_face_picker_choose_file (SfFacePicker *self)
{
  g_return_if_fail (SF_IS_FACE_PICKER (self));

  gtk_popover_popdown (self->popover);
  if (self->chooser != NULL)
    return;
  sf_file_chooser_open_images (&self->chooser, GTK_WIDGET (self), _("Open Test Face"), _("_Open"), FALSE,
                               image_chosen, self);
}

void
sf_face_picker_open_image (SfFacePicker *self, const char *path)
{
  g_return_if_fail (SF_IS_FACE_PICKER (self));
  g_return_if_fail (path != NULL);

  LoadJob *job = g_new0 (LoadJob, 1);
  job->generation = ++self->load_generation;
  job->path = g_strdup (path);
  g_autoptr (GTask) task = g_task_new (self, NULL, load_done_cb, NULL);
  g_task_set_source_tag (task, sf_face_picker_open_image);
  g_task_set_task_data (task, job, load_job_free);
  set_loading (self, TRUE);
  sf_worker_run_in_thread (task, load_thread);
}

gboolean
sf_face_picker_get_loading (SfFacePicker *self)
{
  g_return_val_if_fail (SF_IS_FACE_PICKER (self), FALSE);

  return self->loading;
}

const char *
sf_face_picker_get_last_error (SfFacePicker *self)
{
  g_return_val_if_fail (SF_IS_FACE_PICKER (self), NULL);

  return self->last_error;
}

GtkWidget *
sf_face_picker_new (void)
{
  return g_object_new (SF_TYPE_FACE_PICKER, NULL);
}
