/* SfPeopleView: enrolled people, identification of a probe face and the map
 * of embeddings. Enrolment, re-embedding after a model change and the map run
 * on a worker thread with copies of the model and gallery; results from an
 * older job are dropped by generation. One probe is embedded on the main
 * thread (a single image). */
#include "sf-people-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

#include "gallery.h"
#include "image.h"
#include "pca.h"
#include "sf-embedding-map.h"
#include "sf-face-paint.h"
#include "sf-file-chooser.h"
#include "sf-notify.h"
#include "sf-person-dialog.h"

#define MAX_CANDIDATES 10

typedef struct {
  char *name;
  char **paths;     /* files to load, or NULL when pixels are given */
  float *pixels;    /* [n, size, size] at `size` */
  int n;
  int size;
} Enrolment;

struct _SfPeopleView
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkStack *stack;
  GtkSpinner *spinner;
  GtkListBox *people_list;
  GtkLabel *storage_label;
  GtkWidget *identify_box;
  GtkPicture *probe_picture;
  GtkLabel *verdict_label;
  GtkLabel *threshold_label;
  GtkListBox *candidates_list;
  GtkWidget *candidates_scroller;
  GtkLabel *map_caption;
  GtkDrawingArea *map_area;

  /* Owned */
  SfSession *session;
  SfModel *model;              /* a copy of the current model, main thread only */
  SfGallery *gallery;
  char *gallery_path;          /* beside the model file; NULL while the model has none */
  GPtrArray *pending;          /* Enrolment*: not yet in the gallery */
  GCancellable *cancellable;
  guint generation;
  gboolean busy;
  float *probe;                /* [size, size] at the model's input size, or NULL */
  char *probe_name;
  SfCandidate *candidates;
  int n_candidates;
  SfMapPoint *points;          /* dataset faces, then gallery faces */
  int n_points;
  int n_dataset_points;
  SfGallery *map_gallery;      /* the gallery the map's enrolled points come from */
  int hover;
  char *last_error;
  GtkFileChooserNative *chooser;
};

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SfPeopleView, sf_people_view, GTK_TYPE_WIDGET)

static void refresh (SfPeopleView *self);

/* ---- enrolments ---- */

static void
enrolment_free (Enrolment *e)
{
  g_free (e->name);
  g_strfreev (e->paths);
  g_free (e->pixels);
  g_free (e);
}

static Enrolment *
enrolment_copy (const Enrolment *e)
{
  Enrolment *copy = g_new0 (Enrolment, 1);
  copy->name = g_strdup (e->name);
  copy->paths = g_strdupv (e->paths);
  copy->pixels = e->pixels != NULL ? g_memdup2 (e->pixels, sizeof (float) * e->n * e->size * e->size) : NULL;
  copy->n = e->n;
  copy->size = e->size;
  return copy;
}

/* ---- small helpers ---- */

static void
show_error (SfPeopleView *self, const char *message)
{
  g_free (self->last_error);
  self->last_error = g_strdup (message);
  sf_notify_toast (GTK_WIDGET (self), message, 6);
}

static void
set_busy (SfPeopleView *self, gboolean busy)
{
  if (self->busy == busy)
    return;
  self->busy = busy;
  gtk_spinner_set_spinning (self->spinner, busy);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static const SfDataset *
dataset (SfPeopleView *self)
{
  SfFaceList *faces = self->session != NULL ? sf_session_get_faces (self->session) : NULL;
  return faces != NULL ? sf_face_list_get_dataset (faces) : NULL;
}

static GtkWidget *
face_picture (const float *pixels, int size, int side)
{
  g_autoptr (GdkTexture) texture = sf_face_texture_new (pixels, size, size);
  GtkWidget *picture = gtk_picture_new_for_paintable (GDK_PAINTABLE (texture));
  gtk_widget_set_size_request (picture, side, side);
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_widget_set_valign (picture, GTK_ALIGN_CENTER);
  return picture;
}

static void
save_gallery (SfPeopleView *self)
{
  if (self->gallery_path == NULL)
    return;
  GError *error = NULL;
  if (!sf_gallery_save (self->gallery, self->gallery_path, &error))
    {
      show_error (self, error->message);
      g_error_free (error);
    }
}

static void
update_storage (SfPeopleView *self)
{
  g_autofree char *text = NULL;
  if (self->gallery_path != NULL)
    {
      g_autofree char *base = g_path_get_basename (self->gallery_path);
      text = g_strdup_printf (_("Saved beside the model in %s; the embeddings are recomputed whenever the model changes."),
                              base);
    }
  else
    text = g_strdup (_("Kept in memory: save the model (Save Model As…) to keep these people in a gallery file beside it."));
  gtk_label_set_text (self->storage_label, text);
}

/* ---- the people list ---- */

static void
remove_clicked_cb (GtkButton *button, SfPeopleView *self)
{
  const char *name = g_object_get_data (G_OBJECT (button), "person-name");
  int person = sf_gallery_find_person (self->gallery, name);
  if (person >= 0)
    sf_people_view_remove_person (self, person);
}

static void
rename_response_cb (AdwMessageDialog *dialog, const char *response, SfPeopleView *self)
{
  if (g_strcmp0 (response, "rename") != 0)
    return;
  const char *old_name = g_object_get_data (G_OBJECT (dialog), "person-name");
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "entry");
  int person = sf_gallery_find_person (self->gallery, old_name);
  if (person >= 0)
    sf_people_view_rename_person (self, person, gtk_editable_get_text (entry), NULL);
}

static void
rename_entry_activate_cb (GtkEntry *entry, AdwMessageDialog *dialog)
{
  adw_message_dialog_response (dialog, "rename");
  gtk_window_close (GTK_WINDOW (dialog));
}

static void
rename_clicked_cb (GtkButton *button, SfPeopleView *self)
{
  const char *name = g_object_get_data (G_OBJECT (button), "person-name");
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  /* Translators: %s is the enrolled person's current name. */
  g_autofree char *heading = g_strdup_printf (_("Rename “%s”"), name);
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, NULL);
  GtkWidget *entry = gtk_entry_new ();

  gtk_editable_set_text (GTK_EDITABLE (entry), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, _("New name"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "rename", _("_Rename"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "rename", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "rename");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "person-name", g_strdup (name), g_free);
  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  g_signal_connect (entry, "activate", G_CALLBACK (rename_entry_activate_cb), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (rename_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
update_people (SfPeopleView *self)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->people_list))) != NULL)
    gtk_list_box_remove (self->people_list, child);

  int size = sf_gallery_get_image_size (self->gallery);
  for (int p = 0; p < sf_gallery_get_n_people (self->gallery); p++)
    {
      const char *name = sf_gallery_get_person_name (self->gallery, p);
      int n = sf_gallery_get_person_n_faces (self->gallery, p);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *escaped = g_markup_escape_text (name, -1);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), escaped);
      g_autofree char *subtitle = g_strdup_printf (ngettext ("%d image", "%d images", n), n);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      int face = sf_gallery_get_person_face (self->gallery, p);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                                 face_picture (sf_gallery_get_face_pixels (self->gallery, face), size, 40));
      GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
      g_autofree char *tooltip = g_strdup_printf (_("Remove %s"), name);
      gtk_widget_set_tooltip_text (remove, tooltip);
      gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
      gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (remove, "flat");
      g_object_set_data_full (G_OBJECT (remove), "person-name", g_strdup (name), g_free);
      g_signal_connect (remove, "clicked", G_CALLBACK (remove_clicked_cb), self);
      GtkWidget *rename = gtk_button_new_from_icon_name ("document-edit-symbolic");
      g_autofree char *rename_tooltip = g_strdup_printf (_("Rename %s"), name);
      gtk_widget_set_tooltip_text (rename, rename_tooltip);
      gtk_accessible_update_property (GTK_ACCESSIBLE (rename), GTK_ACCESSIBLE_PROPERTY_LABEL, rename_tooltip, -1);
      gtk_widget_set_valign (rename, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (rename, "flat");
      g_object_set_data_full (G_OBJECT (rename), "person-name", g_strdup (name), g_free);
      g_signal_connect (rename, "clicked", G_CALLBACK (rename_clicked_cb), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), rename);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
      gtk_list_box_append (self->people_list, row);
    }
  if (sf_gallery_get_n_people (self->gallery) == 0)
    {
      GtkWidget *label = gtk_label_new (_("Nobody enrolled yet. Add a person, or enrol the dataset's people with one image each."));
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_widget_set_margin_top (label, 18);
      gtk_widget_set_margin_bottom (label, 18);
      gtk_widget_set_margin_start (label, 12);
      gtk_widget_set_margin_end (label, 12);
      gtk_widget_add_css_class (label, "dim-label");
      gtk_list_box_set_placeholder (self->people_list, label);
    }
}

/* ---- identify ---- */

static GtkWidget *
threshold_row (double threshold)
{
  g_autofree char *text = g_strdup_printf (_("Threshold %.3f: above it the person is named"), threshold);
  GtkWidget *label = gtk_label_new (text);
  gtk_widget_add_css_class (label, "caption");
  gtk_widget_add_css_class (label, "accent");
  gtk_widget_set_margin_top (label, 4);
  gtk_widget_set_margin_bottom (label, 4);
  GtkWidget *row = gtk_list_box_row_new ();
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), label);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_add_css_class (row, "threshold-line");
  return row;
}

static void
update_candidates (SfPeopleView *self)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->candidates_list))) != NULL)
    gtk_list_box_remove (self->candidates_list, child);

  double threshold = self->session != NULL ? sf_session_get_threshold (self->session) : 0.5;
  g_autofree char *threshold_text = g_strdup_printf (_("Threshold %.3f (Similarity view)"), threshold);
  gtk_label_set_text (self->threshold_label, threshold_text);
  /* No probe, no list: the map takes the room. */
  gtk_widget_set_visible (self->candidates_scroller, self->probe != NULL);
  if (self->probe == NULL)
    return;
  if (self->n_candidates == 0)
    {
      gtk_label_set_text (self->verdict_label, _("Nobody is enrolled: add a person first."));
      return;
    }
  const SfCandidate *best = &self->candidates[0];
  g_autofree char *verdict = NULL;
  if (best->score >= threshold)
    verdict = g_strdup_printf (_("Identified: %s (score %.3f)"),
                               sf_gallery_get_person_name (self->gallery, best->person), best->score);
  else
    verdict = g_strdup_printf (_("Unknown person: nobody scores %.3f or more"), threshold);
  gtk_label_set_text (self->verdict_label, verdict);

  int size = sf_gallery_get_image_size (self->gallery);
  gboolean line_drawn = FALSE;
  for (int k = 0; k < MIN (self->n_candidates, MAX_CANDIDATES); k++)
    {
      const SfCandidate *c = &self->candidates[k];
      if (!line_drawn && c->score < threshold)
        {
          gtk_list_box_append (self->candidates_list, threshold_row (threshold));
          line_drawn = TRUE;
        }
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *escaped = g_markup_escape_text (sf_gallery_get_person_name (self->gallery, c->person), -1);
      g_autofree char *title = g_strdup_printf ("%d. %s", k + 1, escaped);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      g_autofree char *subtitle = g_strdup_printf (_("Score %.3f, distance %.3f"), c->score, c->distance);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                                 face_picture (sf_gallery_get_face_pixels (self->gallery, c->face), size, 40));
      GtkWidget *level = gtk_level_bar_new_for_interval (0, 1);
      gtk_level_bar_set_value (GTK_LEVEL_BAR (level), CLAMP (c->score, 0, 1));
      gtk_widget_set_size_request (level, 80, -1);
      gtk_widget_set_valign (level, GTK_ALIGN_CENTER);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), level);
      if (c->score < threshold)
        gtk_widget_add_css_class (row, "dim-label");
      gtk_list_box_append (self->candidates_list, row);
    }
  if (!line_drawn)
    gtk_list_box_append (self->candidates_list, threshold_row (threshold));
}

static void
identify (SfPeopleView *self)
{
  g_clear_pointer (&self->candidates, g_free);
  self->n_candidates = 0;
  if (self->probe != NULL && self->model != NULL)
    {
      GError *error = NULL;
      self->candidates = sf_gallery_identify (self->gallery, self->model, self->probe, &self->n_candidates, &error);
      if (self->candidates == NULL)
        {
          show_error (self, error->message);
          g_error_free (error);
          self->n_candidates = 0;
        }
    }
  update_candidates (self);
}

static void
set_probe_pixels (SfPeopleView *self, float *pixels, int size, const char *name)
{
  g_free (self->probe);
  self->probe = pixels;
  g_free (self->probe_name);
  self->probe_name = g_strdup (name);
  g_autoptr (GdkTexture) texture = sf_face_texture_new (pixels, size, size);
  gtk_picture_set_paintable (self->probe_picture, GDK_PAINTABLE (texture));
  identify (self);
}

gboolean
sf_people_view_identify_file (SfPeopleView *self, const char *path)
{
  g_return_val_if_fail (SF_IS_PEOPLE_VIEW (self), FALSE);

  if (self->model == NULL)
    return FALSE;
  int size = sf_model_get_input_size (self->model);
  GError *error = NULL;
  float *pixels = sf_face_load (path, size, &error);
  if (pixels == NULL)
    {
      show_error (self, error->message);
      g_error_free (error);
      return FALSE;
    }
  g_autofree char *base = g_path_get_basename (path);
  set_probe_pixels (self, pixels, size, base);
  return TRUE;
}

/* ---- the worker job: enrol, re-embed, map ---- */

typedef struct {
  guint generation;
  SfModel *model;
  SfGallery *gallery;
  GPtrArray *enrolments;      /* Enrolment* */
  float *dataset_pixels;      /* [n_dataset, dataset_size²] */
  int n_dataset;
  int dataset_size;
  /* Results */
  GPtrArray *errors;          /* char* */
  float *map;                 /* [n_dataset + gallery faces, 2] */
  int n_map;
} Job;

static void
job_free (Job *job)
{
  sf_model_free (job->model);
  sf_gallery_free (job->gallery);
  g_ptr_array_unref (job->enrolments);
  g_free (job->dataset_pixels);
  g_ptr_array_unref (job->errors);
  g_free (job->map);
  g_free (job);
}

static float *
resized (const float *pixels, int n, int from, int to)
{
  gsize area = (gsize) to * to;
  float *out = g_new (float, n * area);
  for (int i = 0; i < n; i++)
    {
      if (from == to)
        memcpy (out + i * area, pixels + i * area, sizeof (float) * area);
      else
        sf_image_resize_area (pixels + (gsize) i * from * from, from, from, out + i * area, to, to);
    }
  return out;
}

static void
job_run (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Job *job = task_data;
  int size = sf_model_get_input_size (job->model);
  GError *error = NULL;

  for (guint k = 0; k < job->enrolments->len; k++)
    {
      Enrolment *e = job->enrolments->pdata[k];
      gboolean ok;
      if (e->pixels != NULL)
        {
          g_autofree float *pixels = resized (e->pixels, e->n, e->size, size);
          ok = sf_gallery_enroll (job->gallery, job->model, e->name, pixels, (const char *const *) e->paths, e->n,
                                  &error);
        }
      else
        ok = sf_gallery_enroll_files (job->gallery, job->model, e->name, (const char *const *) e->paths, e->n,
                                      &error);
      if (!ok)
        {
          g_ptr_array_add (job->errors, g_strdup (error->message));
          g_clear_error (&error);
        }
      if (g_cancellable_is_cancelled (cancellable))
        return;
    }
  if (!sf_gallery_update (job->gallery, job->model, &error))
    {
      g_ptr_array_add (job->errors, g_strdup (error->message));
      g_clear_error (&error);
      return;
    }

  /* Every dataset face and every enrolled face in one PCA, embedded alike (mirrored, as the gallery does). */
  int n_gallery = sf_gallery_get_n_faces (job->gallery);
  int n = job->n_dataset + n_gallery;
  int D = sf_model_get_embedding_size (job->model);
  if (n < 2 || D < 2)
    return;
  g_autofree float *embeddings = g_try_new (float, (gsize) n * D);
  g_autofree float *faces = job->n_dataset > 0 ? resized (job->dataset_pixels, job->n_dataset, job->dataset_size, size)
                                               : NULL;
  if (embeddings == NULL
      || (job->n_dataset > 0 && !sf_model_embed_mirrored (job->model, faces, job->n_dataset, embeddings, &error)))
    {
      g_ptr_array_add (job->errors, g_strdup (error != NULL ? error->message : _("Out of memory for the map")));
      g_clear_error (&error);
      return;
    }
  for (int i = 0; i < n_gallery; i++)
    memcpy (embeddings + (gsize) (job->n_dataset + i) * D, sf_gallery_get_face_embedding (job->gallery, i),
            sizeof (float) * D);
  if (g_cancellable_is_cancelled (cancellable))
    return;
  job->map = g_new (float, (gsize) n * 2);
  if (!sf_pca (embeddings, n, D, 2, job->map, NULL, NULL, NULL, &error))
    {
      g_ptr_array_add (job->errors, g_strdup (error->message));
      g_clear_error (&error);
      g_clear_pointer (&job->map, g_free);
      return;
    }
  job->n_map = n;
}

static void
update_map_caption (SfPeopleView *self)
{
  g_autofree char *text = NULL;
  if (self->n_points == 0)
    text = g_strdup (_("Appears once the model has embedded the faces"));
  else
    text = g_strdup_printf (_("%d dataset faces and %d enrolled faces, first two principal components"),
                            self->n_dataset_points, self->n_points - self->n_dataset_points);
  gtk_label_set_text (self->map_caption, text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->map_area), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
}

static void
job_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SfPeopleView *self = SF_PEOPLE_VIEW (source);
  Job *job = g_task_get_task_data (G_TASK (result));

  if (job->generation != self->generation)
    return;   /* a newer job is under way */
  set_busy (self, FALSE);
  gboolean enrolled = job->enrolments->len > 0;
  g_ptr_array_set_size (self->pending, 0);
  for (guint k = 0; k < job->errors->len; k++)
    show_error (self, job->errors->pdata[k]);

  sf_gallery_free (self->gallery);
  self->gallery = g_steal_pointer (&job->gallery);
  if (enrolled)
    save_gallery (self);

  /* Colours by person name: a dataset person enrolled keeps their colour. */
  const SfDataset *data = dataset (self);
  g_clear_pointer (&self->points, g_free);
  g_clear_pointer (&self->map_gallery, sf_gallery_free);
  self->n_points = 0;
  self->n_dataset_points = 0;
  self->hover = -1;
  if (job->map != NULL && data != NULL && data->n_images == job->n_dataset)
    {
      self->points = g_new (SfMapPoint, job->n_map);
      self->n_points = job->n_map;
      self->n_dataset_points = job->n_dataset;
      self->map_gallery = sf_gallery_copy (self->gallery);
      for (int i = 0; i < job->n_map; i++)
        {
          SfMapPoint *point = &self->points[i];
          point->x = job->map[2 * i];
          point->y = job->map[2 * i + 1];
          point->enrolled = i >= job->n_dataset;
          if (!point->enrolled)
            point->colour = data->labels[i];
          else
            {
              int person = sf_gallery_get_face_person (self->gallery, i - job->n_dataset);
              const char *name = sf_gallery_get_person_name (self->gallery, person);
              point->colour = data->n_people + person;
              for (int p = 0; p < data->n_people; p++)
                if (g_strcmp0 (data->person_names[p], name) == 0)
                  point->colour = p;
            }
        }
    }
  update_map_caption (self);
  gtk_widget_queue_draw (GTK_WIDGET (self->map_area));
  update_people (self);
  identify (self);
}

/* Starts a job for the current model, gallery, pending enrolments and dataset. */
static void
refresh (SfPeopleView *self)
{
  if (self->model == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  Job *job = g_new0 (Job, 1);
  job->generation = ++self->generation;
  job->model = sf_model_copy (self->model);
  job->gallery = sf_gallery_copy (self->gallery);
  job->enrolments = g_ptr_array_new_with_free_func ((GDestroyNotify) enrolment_free);
  for (guint k = 0; k < self->pending->len; k++)
    g_ptr_array_add (job->enrolments, enrolment_copy (self->pending->pdata[k]));
  job->errors = g_ptr_array_new_with_free_func (g_free);
  const SfDataset *data = dataset (self);
  if (data != NULL && data->width == data->height)
    {
      job->n_dataset = data->n_images;
      job->dataset_size = data->width;
      job->dataset_pixels = g_memdup2 (data->pixels, sizeof (float) * data->n_images * data->width * data->height);
    }
  if (job->model == NULL)
    {
      job_free (job);
      show_error (self, _("Out of memory for a copy of the model"));
      return;
    }
  set_busy (self, TRUE);
  GTask *task = g_task_new (self, self->cancellable, job_done_cb, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, job_run);
  g_object_unref (task);
}

/* ---- public API ---- */

void
sf_people_view_enroll_files (SfPeopleView *self, const char *name, const char *const *paths)
{
  g_return_if_fail (SF_IS_PEOPLE_VIEW (self));
  g_return_if_fail (name != NULL && paths != NULL);

  if (self->model == NULL)
    return;
  Enrolment *e = g_new0 (Enrolment, 1);
  e->name = g_strdup (name);
  e->paths = g_strdupv ((char **) paths);
  e->n = (int) g_strv_length (e->paths);
  g_ptr_array_add (self->pending, e);
  refresh (self);
}

void
sf_people_view_enroll_dataset (SfPeopleView *self)
{
  g_return_if_fail (SF_IS_PEOPLE_VIEW (self));

  const SfDataset *data = dataset (self);
  if (self->model == NULL || data == NULL || data->width != data->height)
    return;
  int added = 0;
  gsize area = (gsize) data->width * data->height;
  for (int p = 0; p < data->n_people; p++)
    {
      if (sf_gallery_find_person (self->gallery, data->person_names[p]) >= 0)
        continue;
      for (int i = 0; i < data->n_images; i++)
        if (data->labels[i] == p)
          {
            Enrolment *e = g_new0 (Enrolment, 1);
            e->name = g_strdup (data->person_names[p]);
            e->pixels = g_memdup2 (sf_dataset_image (data, i), sizeof (float) * area);
            e->n = 1;
            e->size = data->width;
            if (data->image_paths[i] != NULL)
              {
                e->paths = g_new0 (char *, 2);
                e->paths[0] = g_strdup (data->image_paths[i]);
              }
            g_ptr_array_add (self->pending, e);
            added++;
            break;
          }
    }
  if (added > 0)
    refresh (self);
}

void
sf_people_view_remove_person (SfPeopleView *self, int person)
{
  g_return_if_fail (SF_IS_PEOPLE_VIEW (self));
  g_return_if_fail (person >= 0 && person < sf_gallery_get_n_people (self->gallery));

  sf_gallery_remove_person (self->gallery, person);
  save_gallery (self);
  update_people (self);
  identify (self);
  refresh (self);   /* the map */
}

gboolean
sf_people_view_rename_person (SfPeopleView *self, int person, const char *name, GError **error)
{
  g_return_val_if_fail (SF_IS_PEOPLE_VIEW (self), FALSE);
  g_return_val_if_fail (person >= 0 && person < sf_gallery_get_n_people (self->gallery), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  g_autoptr (GError) local_error = NULL;
  g_autofree char *stripped = g_strstrip (g_strdup (name));
  if (!sf_gallery_rename_person (self->gallery, person, stripped, &local_error))
    {
      show_error (self, local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  save_gallery (self);
  update_people (self);
  identify (self);
  refresh (self);   /* the map's hover names */
  return TRUE;
}

const SfGallery *
sf_people_view_get_gallery (SfPeopleView *self)
{
  g_return_val_if_fail (SF_IS_PEOPLE_VIEW (self), NULL);
  return self->gallery;
}

gboolean
sf_people_view_get_busy (SfPeopleView *self)
{
  g_return_val_if_fail (SF_IS_PEOPLE_VIEW (self), FALSE);
  return self->busy;
}

const SfCandidate *
sf_people_view_get_candidates (SfPeopleView *self, int *n_candidates)
{
  g_return_val_if_fail (SF_IS_PEOPLE_VIEW (self), NULL);
  *n_candidates = self->n_candidates;
  return self->candidates;
}

const char *
sf_people_view_get_verdict (SfPeopleView *self)
{
  g_return_val_if_fail (SF_IS_PEOPLE_VIEW (self), NULL);
  return gtk_label_get_text (self->verdict_label);
}

int
sf_people_view_get_n_map_points (SfPeopleView *self)
{
  g_return_val_if_fail (SF_IS_PEOPLE_VIEW (self), 0);
  return self->n_points;
}

const char *
sf_people_view_get_gallery_path (SfPeopleView *self)
{
  g_return_val_if_fail (SF_IS_PEOPLE_VIEW (self), NULL);
  return self->gallery_path;
}

const char *
sf_people_view_get_last_error (SfPeopleView *self)
{
  g_return_val_if_fail (SF_IS_PEOPLE_VIEW (self), NULL);
  return self->last_error;
}

/* ---- actions ---- */

static void
dialog_add_cb (SfPersonDialog *dialog, const char *name, const char *const *paths, SfPeopleView *self)
{
  sf_people_view_enroll_files (self, name, paths);
}

static void
add_person_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfPeopleView *self = SF_PEOPLE_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);

  if (self->model == NULL)
    return;
  GtkWidget *dialog = sf_person_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL);
  g_signal_connect_object (dialog, "add", G_CALLBACK (dialog_add_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
enroll_dataset_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  sf_people_view_enroll_dataset (SF_PEOPLE_VIEW (widget));
}

static void
probe_chosen (gpointer owner, const char *const *paths)
{
  sf_people_view_identify_file (owner, paths[0]);
}

static void
choose_probe_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfPeopleView *self = SF_PEOPLE_VIEW (widget);

  if (self->chooser != NULL || self->model == NULL)
    return;
  sf_file_chooser_open_images (&self->chooser, widget, _("Choose a Face to Identify"), _("_Identify"), FALSE,
                               probe_chosen, self);
}

static gboolean
probe_drop_cb (GtkDropTarget *target, const GValue *value, double x, double y, SfPeopleView *self)
{
  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  GSList *files = g_value_get_boxed (value);
  if (files == NULL)
    return FALSE;
  g_autofree char *path = g_file_get_path (files->data);
  return path != NULL && sf_people_view_identify_file (self, path);
}

/* ---- the map ---- */

static void
draw_map_cb (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
  SfPeopleView *self = user_data;

  sf_embedding_map_draw (cr, width, height, self->points, self->n_points, self->hover,
                         adw_style_manager_get_dark (adw_style_manager_get_default ()));
}

static void
map_motion_cb (GtkEventControllerMotion *motion, double x, double y, SfPeopleView *self)
{
  int hit = sf_embedding_map_hit (self->points, self->n_points, gtk_widget_get_width (GTK_WIDGET (self->map_area)),
                                  gtk_widget_get_height (GTK_WIDGET (self->map_area)), x, y, 6);
  if (hit != self->hover)
    {
      self->hover = hit;
      gtk_widget_queue_draw (GTK_WIDGET (self->map_area));
    }
}

static void
map_leave_cb (GtkEventControllerMotion *motion, SfPeopleView *self)
{
  if (self->hover >= 0)
    {
      self->hover = -1;
      gtk_widget_queue_draw (GTK_WIDGET (self->map_area));
    }
}

static gboolean
map_tooltip_cb (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip, SfPeopleView *self)
{
  const SfDataset *data = dataset (self);
  int hit = sf_embedding_map_hit (self->points, self->n_points, gtk_widget_get_width (widget),
                                  gtk_widget_get_height (widget), x, y, 6);
  if (hit < 0 || data == NULL)
    return FALSE;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *text = NULL;
  if (hit < self->n_dataset_points)
    {
      texture = sf_face_texture_new (sf_dataset_image (data, hit), data->width, data->height);
      text = g_strdup_printf (_("%s, dataset image %d"), data->person_names[data->labels[hit]], hit);
    }
  else if (self->map_gallery != NULL)
    {
      int face = hit - self->n_dataset_points;
      int size = sf_gallery_get_image_size (self->map_gallery);
      texture = sf_face_texture_new (sf_gallery_get_face_pixels (self->map_gallery, face), size, size);
      text = g_strdup_printf (_("%s, enrolled"), sf_gallery_get_person_name (self->map_gallery,
                                                                            sf_gallery_get_face_person (self->map_gallery, face)));
    }
  else
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  gtk_tooltip_set_icon (tooltip, GDK_PAINTABLE (texture));
  return TRUE;
}

/* ---- session ---- */

static void
load_gallery_beside_model (SfPeopleView *self)
{
  const char *model_path = sf_session_get_model_path (self->session);
  g_clear_pointer (&self->gallery_path, g_free);
  if (model_path != NULL)
    {
      self->gallery_path = sf_gallery_path_for_model (model_path);
      if (g_file_test (self->gallery_path, G_FILE_TEST_EXISTS))
        {
          GError *error = NULL;
          SfGallery *loaded = sf_gallery_load (self->gallery_path, &error);
          if (loaded != NULL)
            {
              sf_gallery_free (self->gallery);
              self->gallery = loaded;
            }
          else
            {
              g_autofree char *message = g_strdup_printf (_("The people beside the model could not be read: %s"),
                                                          error->message);
              show_error (self, message);
              g_error_free (error);
              /* Do not overwrite a file we could not read. */
              g_clear_pointer (&self->gallery_path, g_free);
            }
        }
      else if (sf_gallery_get_n_people (self->gallery) > 0)
        save_gallery (self);
    }
  update_storage (self);
}

static void
checkpoint_changed_cb (SfSession *session, GParamSpec *pspec, SfPeopleView *self)
{
  const SfCheckpoint *checkpoint = sf_session_get_checkpoint (session);

  g_clear_pointer (&self->model, sf_model_free);
  if (checkpoint == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      g_cancellable_cancel (self->cancellable);
      self->generation++;
      set_busy (self, FALSE);
      return;
    }
  self->model = sf_model_copy (checkpoint->model);
  gtk_stack_set_visible_child_name (self->stack, "main");
  load_gallery_beside_model (self);
  if (self->probe != NULL && sf_model_get_input_size (self->model) != sf_gallery_get_image_size (self->gallery))
    {
      g_clear_pointer (&self->probe, g_free);
      gtk_picture_set_paintable (self->probe_picture, NULL);
    }
  update_people (self);
  refresh (self);
}

static void
model_path_changed_cb (SfSession *session, GParamSpec *pspec, SfPeopleView *self)
{
  const char *model_path = sf_session_get_model_path (session);
  g_autofree char *path = model_path != NULL ? sf_gallery_path_for_model (model_path) : NULL;
  if (g_strcmp0 (path, self->gallery_path) == 0)
    return;
  /* Saved under a new name: the people go with it. */
  g_free (self->gallery_path);
  self->gallery_path = g_steal_pointer (&path);
  if (sf_gallery_get_n_people (self->gallery) > 0)
    save_gallery (self);
  update_storage (self);
}

static void
faces_changed_cb (SfSession *session, GParamSpec *pspec, SfPeopleView *self)
{
  refresh (self);
}

static void
threshold_changed_cb (SfSession *session, GParamSpec *pspec, SfPeopleView *self)
{
  update_candidates (self);
}

void
sf_people_view_set_session (SfPeopleView *self, SfSession *session)
{
  g_return_if_fail (SF_IS_PEOPLE_VIEW (self));

  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  if (session == NULL)
    return;
  g_signal_connect (session, "notify::checkpoint", G_CALLBACK (checkpoint_changed_cb), self);
  g_signal_connect (session, "notify::model-path", G_CALLBACK (model_path_changed_cb), self);
  g_signal_connect (session, "notify::faces", G_CALLBACK (faces_changed_cb), self);
  g_signal_connect (session, "notify::threshold", G_CALLBACK (threshold_changed_cb), self);
  checkpoint_changed_cb (session, NULL, self);
}

/* ---- GObject ---- */

static void
sf_people_view_dispose (GObject *object)
{
  SfPeopleView *self = SF_PEOPLE_VIEW (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  self->generation++;
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
  sf_file_chooser_clear (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (object), SF_TYPE_PEOPLE_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (sf_people_view_parent_class)->dispose (object);
}

static void
sf_people_view_finalize (GObject *object)
{
  SfPeopleView *self = SF_PEOPLE_VIEW (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->model, sf_model_free);
  g_clear_pointer (&self->gallery, sf_gallery_free);
  g_clear_pointer (&self->map_gallery, sf_gallery_free);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_free (self->gallery_path);
  g_free (self->probe);
  g_free (self->probe_name);
  g_free (self->candidates);
  g_free (self->points);
  g_free (self->last_error);

  G_OBJECT_CLASS (sf_people_view_parent_class)->finalize (object);
}

static void
sf_people_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfPeopleView *self = SF_PEOPLE_VIEW (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_people_view_class_init (SfPeopleViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sf_people_view_dispose;
  object_class->finalize = sf_people_view_finalize;
  object_class->get_property = sf_people_view_get_property;

  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-people-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SfPeopleView, stack);
  gtk_widget_class_bind_template_child (widget_class, SfPeopleView, spinner);
  gtk_widget_class_bind_template_child (widget_class, SfPeopleView, people_list);
  gtk_widget_class_bind_template_child (widget_class, SfPeopleView, storage_label);
  gtk_widget_class_bind_template_child (widget_class, SfPeopleView, identify_box);
  gtk_widget_class_bind_template_child (widget_class, SfPeopleView, probe_picture);
  gtk_widget_class_bind_template_child (widget_class, SfPeopleView, verdict_label);
  gtk_widget_class_bind_template_child (widget_class, SfPeopleView, threshold_label);
  gtk_widget_class_bind_template_child (widget_class, SfPeopleView, candidates_scroller);
  gtk_widget_class_bind_template_child (widget_class, SfPeopleView, candidates_list);
  gtk_widget_class_bind_template_child (widget_class, SfPeopleView, map_caption);
  gtk_widget_class_bind_template_child (widget_class, SfPeopleView, map_area);

  gtk_widget_class_install_action (widget_class, "people.add-person", NULL, add_person_action);
  gtk_widget_class_install_action (widget_class, "people.enroll-dataset", NULL, enroll_dataset_action);
  gtk_widget_class_install_action (widget_class, "people.choose-probe", NULL, choose_probe_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "people.add-person", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_i, GDK_CONTROL_MASK, "people.choose-probe", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "peopleview");
}

static void
sf_people_view_init (SfPeopleView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->gallery = sf_gallery_new (SF_DEFAULT_IMAGE_SIZE);
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) enrolment_free);
  self->hover = -1;
  gtk_drawing_area_set_draw_func (self->map_area, draw_map_cb, self, NULL);
  GtkEventController *motion = gtk_event_controller_motion_new ();
  g_signal_connect (motion, "motion", G_CALLBACK (map_motion_cb), self);
  g_signal_connect (motion, "leave", G_CALLBACK (map_leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->map_area), motion);
  g_signal_connect (self->map_area, "query-tooltip", G_CALLBACK (map_tooltip_cb), self);
  GtkDropTarget *target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (target, "drop", G_CALLBACK (probe_drop_cb), self);
  gtk_widget_add_controller (self->identify_box, GTK_EVENT_CONTROLLER (target));
  gtk_stack_set_visible_child_name (self->stack, "empty");
  update_storage (self);
  update_map_caption (self);
  update_people (self);
  update_candidates (self);
}

GtkWidget *
sf_people_view_new (void)
{
  return g_object_new (SF_TYPE_PEOPLE_VIEW, NULL);
}
