/* SfPeopleView: the enrolled people, identification of a probe face and the
 * map of embeddings. The people are the session's gallery (it reads and
 * writes the file); enrolment, re-embedding after a model change and the
 * map's projection run as one SfPeopleJob on a worker thread, and results
 * from an older job are dropped by generation. One probe is embedded on the
 * main thread (a single image). */
#include "sf-people-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "image.h"
#include "sf-embedding-map.h"
#include "sf-face-paint.h"
#include "sf-face-picker.h"
#include "sf-file-chooser.h"
#include "sf-held-out.h"
#include "sf-notify.h"
#include "sf-people-job.h"
#include "sf-person-dialog.h"

#define MAX_CANDIDATES 10

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
  SfEmbeddingMap *map;
  GtkCheckButton *show_training_check;
  SfFacePicker *probe_picker;
  GtkCheckButton *show_held_out_check;

  /* Owned */
  SfSession *session;
  SfModel *model;              /* a copy of the current model, main thread only */
  GPtrArray *pending;          /* SfEnrolment*: not yet in the gallery */
  GCancellable *cancellable;
  guint generation;            /* of the newest job */
  gboolean busy;
  float *probe;                /* [probe_size, probe_size], or NULL */
  int probe_size;
  SfCandidate *candidates;     /* against the session's gallery */
  int n_candidates;
  char *last_error;
  GtkFileChooserNative *chooser;
  SfHeldOut *held_out;         /* of the current model on the session's dataset; NULL: none */
  SfMapData *fitted;           /* the map of the current model and dataset: its projection is reused */
};

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SfPeopleView, sf_people_view, GTK_TYPE_WIDGET)

static void refresh (SfPeopleView *self);

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

/* The people enrolled: the session's; NULL before the view has a session. */
static const SfGallery *
gallery (SfPeopleView *self)
{
  return self->session != NULL ? sf_session_get_gallery (self->session) : NULL;
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
update_storage (SfPeopleView *self)
{
  const char *path = self->session != NULL ? sf_session_get_gallery_path (self->session) : NULL;
  g_autofree char *text = NULL;
  if (path != NULL)
    {
      g_autofree char *base = g_path_get_basename (path);
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
  int person = sf_gallery_find_person (gallery (self), name);
  if (person >= 0)
    sf_people_view_remove_person (self, person);
}

static void
rename_response_cb (AdwMessageDialog *dialog, const char *response, SfPeopleView *self)
{
  if (g_strcmp0 (response, "rename") != 0 || self->session == NULL)
    return;
  const char *old_name = g_object_get_data (G_OBJECT (dialog), "person-name");
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "entry");
  int person = sf_gallery_find_person (gallery (self), old_name);
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

/* The dimmed sentence an empty list shows. */
static GtkWidget *
placeholder_label (const char *text)
{
  GtkWidget *label = gtk_label_new (text);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_set_margin_top (label, 18);
  gtk_widget_set_margin_bottom (label, 18);
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_set_margin_end (label, 12);
  gtk_widget_add_css_class (label, "dim-label");
  return label;
}

static GtkWidget *
icon_button (const char *icon_name, const char *tooltip, const char *person_name, GCallback clicked,
             SfPeopleView *self)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  g_object_set_data_full (G_OBJECT (button), "person-name", g_strdup (person_name), g_free);
  g_signal_connect (button, "clicked", clicked, self);
  return button;
}

/* An enrolled name is a held-out person's when the dataset has a person of
 * that name the model never saw. */
static gboolean
held_out_name (SfPeopleView *self, const char *name)
{
  const SfDataset *data = dataset (self);

  if (self->held_out == NULL || data == NULL)
    return FALSE;
  for (int p = 0; p < data->n_people; p++)
    if (g_strcmp0 (data->person_names[p], name) == 0)
      return sf_held_out_has_person (self->held_out, p);
  return FALSE;
}

static void
update_people (SfPeopleView *self)
{
  const SfGallery *people = gallery (self);
  int n_people = people != NULL ? sf_gallery_get_n_people (people) : 0;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->people_list))) != NULL)
    gtk_list_box_remove (self->people_list, child);

  for (int p = 0; p < n_people; p++)
    {
      const char *name = sf_gallery_get_person_name (people, p);
      int n = sf_gallery_get_person_n_faces (people, p);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *escaped = g_markup_escape_text (name, -1);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), escaped);
      g_autofree char *subtitle = g_strdup_printf (ngettext ("%d image", "%d images", n), n);
      if (held_out_name (self, name))
        {
          char *plain = subtitle;
          /* Translators: an enrolled person's image count (e.g. "3 images"), the dataset person of that name held out of training. */
          subtitle = g_strdup_printf (_("%s · held out of training"), plain);
          g_free (plain);
          gtk_widget_add_css_class (row, "held-out");
        }
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      int face = sf_gallery_get_person_face (people, p);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), face_picture (sf_gallery_get_face_pixels (people, face),
                                                                     sf_gallery_get_image_size (people), 40));
      g_autofree char *rename_tooltip = g_strdup_printf (_("Rename %s"), name);
      g_autofree char *remove_tooltip = g_strdup_printf (_("Remove %s"), name);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), icon_button ("document-edit-symbolic", rename_tooltip, name,
                                                                    G_CALLBACK (rename_clicked_cb), self));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), icon_button ("user-trash-symbolic", remove_tooltip, name,
                                                                    G_CALLBACK (remove_clicked_cb), self));
      gtk_list_box_append (self->people_list, row);
    }
  if (n_people == 0)
    {
      gtk_list_box_set_placeholder (self->people_list,
                                    placeholder_label (_("Nobody enrolled yet. Add a person, or enrol the "
                                                         "dataset's people with one image each.")));
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

static GtkWidget *
candidate_row (const SfGallery *people, const SfCandidate *c, int rank, double threshold)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *escaped = g_markup_escape_text (sf_gallery_get_person_name (people, c->person), -1);
  g_autofree char *title = g_strdup_printf ("%d. %s", rank, escaped);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  g_autofree char *subtitle = g_strdup_printf (_("Score %.3f, distance %.3f"), c->score, c->distance);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), face_picture (sf_gallery_get_face_pixels (people, c->face),
                                                                 sf_gallery_get_image_size (people), 40));
  GtkWidget *level = gtk_level_bar_new_for_interval (0, 1);
  gtk_level_bar_set_value (GTK_LEVEL_BAR (level), CLAMP (c->score, 0, 1));
  gtk_widget_set_size_request (level, 80, -1);
  gtk_widget_set_valign (level, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), level);
  if (c->score < threshold)
    gtk_widget_add_css_class (row, "dim-label");
  return row;
}

static void
update_candidates (SfPeopleView *self)
{
  const SfGallery *people = gallery (self);
  double threshold = self->session != NULL ? sf_session_get_threshold (self->session) : 0.5;
  g_autofree char *threshold_text = g_strdup_printf (_("Threshold %.3f (Similarity view)"), threshold);

  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->candidates_list))) != NULL)
    gtk_list_box_remove (self->candidates_list, child);

  gtk_label_set_text (self->threshold_label, threshold_text);
  /* The list keeps its room with no probe (its placeholder speaks), so the
   * map keeps its size when candidates arrive. */
  if (self->probe == NULL || self->n_candidates == 0)
    {
      gtk_list_box_set_placeholder (self->candidates_list,
                                    placeholder_label (_("The enrolled people nearest the face appear here, "
                                                         "best first, and on the map.")));
    }
  if (self->probe == NULL)
    return;
  if (self->n_candidates == 0)
    {
      /* With people enrolled, their embeddings are being recomputed: the job identifies when done. */
      if (people == NULL || sf_gallery_get_n_people (people) == 0)
        gtk_label_set_text (self->verdict_label, _("Nobody is enrolled: add a person first."));
      return;
    }

  const SfCandidate *best = &self->candidates[0];
  g_autofree char *verdict = NULL;
  if (best->score >= threshold)
    verdict = g_strdup_printf (_("Identified: %s (score %.3f)"), sf_gallery_get_person_name (people, best->person),
                               best->score);
  else
    verdict = g_strdup_printf (_("Unknown person: nobody scores %.3f or more"), threshold);
  gtk_label_set_text (self->verdict_label, verdict);

  gboolean line_drawn = FALSE;
  for (int k = 0; k < MIN (self->n_candidates, MAX_CANDIDATES); k++)
    {
      const SfCandidate *c = &self->candidates[k];
      if (!line_drawn && c->score < threshold)
        {
          gtk_list_box_append (self->candidates_list, threshold_row (threshold));
          line_drawn = TRUE;
        }
      gtk_list_box_append (self->candidates_list, candidate_row (people, c, k + 1, threshold));
    }
  if (!line_drawn)
    gtk_list_box_append (self->candidates_list, threshold_row (threshold));
}

/* The probe against the session's gallery, when its embeddings are the
 * current model's; otherwise the job re-embedding them identifies when done. */
static void
identify (SfPeopleView *self)
{
  const SfGallery *people = gallery (self);
  SfMapProbe mark = { 0 };

  g_clear_pointer (&self->candidates, g_free);
  self->n_candidates = 0;
  if (self->probe != NULL && self->model != NULL && people != NULL && sf_gallery_get_n_people (people) > 0
      && sf_gallery_is_current (people, self->model))
    {
      GError *error = NULL;
      int dimension = sf_model_get_embedding_size (self->model);
      g_autofree float *embedding = g_new (float, dimension);
      if (sf_model_embed_mirrored (self->model, self->probe, 1, embedding, &error))
        {
          self->candidates = sf_gallery_identify_embedding (people, self->model, embedding,
                                                            &self->n_candidates);
          /* On the map: where the probe lands and who is nearest. */
          SfMapData *data = sf_embedding_map_get_data (self->map);
          if (data != NULL && sf_map_data_project (data, embedding, dimension, &mark.x, &mark.y))
            {
              mark.shown = TRUE;
              mark.n_nearest = MIN (self->n_candidates, SF_MAP_MAX_NEAREST);
              for (int k = 0; k < mark.n_nearest; k++)
                mark.nearest[k] = self->candidates[k].person;
            }
        }
      else
        {
          show_error (self, error->message);
          g_error_free (error);
        }
    }
  sf_embedding_map_set_probe (self->map, &mark);
  update_candidates (self);
}

/* A face chosen in the picker (a dataset face or an image file it read),
 * at the model's input size, as the probe. */
static void
probe_face_chosen_cb (SfFacePicker *picker, int index, SfFace *face, SfPeopleView *self)
{
  int width = 0, height = 0;
  const float *pixels = sf_face_get_pixels (face, &width, &height);

  if (self->model == NULL || pixels == NULL)
    return;
  int size = sf_model_get_input_size (self->model);
  float *probe = g_new (float, (gsize) size * size);
  if (width == size && height == size)
    memcpy (probe, pixels, sizeof (float) * size * size);
  else
    sf_image_resize_area (pixels, width, height, probe, size, size);
  g_free (self->probe);
  self->probe = probe;
  self->probe_size = size;
  g_autoptr (GdkTexture) texture = sf_face_texture_new (probe, size, size);
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
  g_free (self->probe);
  self->probe = pixels;
  self->probe_size = size;
  g_autoptr (GdkTexture) texture = sf_face_texture_new (pixels, size, size);
  gtk_picture_set_paintable (self->probe_picture, GDK_PAINTABLE (texture));
  identify (self);
  return TRUE;
}

/* ---- the worker job: enrol, re-embed, map ---- */

static void
job_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SfPeopleView *self = SF_PEOPLE_VIEW (source);
  SfPeopleJob *job = sf_people_job_run_finish (result);

  if (GPOINTER_TO_UINT (user_data) != self->generation)
    return;   /* a newer job is under way */
  set_busy (self, FALSE);
  g_ptr_array_set_size (self->pending, 0);
  for (const char *const *error = sf_people_job_get_errors (job); *error != NULL; error++)
    show_error (self, *error);

  sf_embedding_map_set_data (self->map, sf_people_job_get_map (job));
  if (sf_people_job_get_map (job) != NULL)
    {
      g_clear_pointer (&self->fitted, sf_map_data_unref);
      self->fitted = sf_map_data_ref (sf_people_job_get_map (job));
    }
  SfGallery *changed = sf_people_job_steal_gallery (job);
  if (changed != NULL)
    sf_session_set_gallery (self->session, changed);   /* the list and the probe follow its notify */
  else
    identify (self);
}

/* Starts a job for the current model, gallery, pending enrolments and dataset. */
static void
refresh (SfPeopleView *self)
{
  if (self->model == NULL || self->session == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  SfPeopleJob *job = sf_people_job_new (self->model, gallery (self), self->pending,
                                        sf_session_get_faces (self->session));
  if (job == NULL)
    {
      show_error (self, _("Out of memory for a copy of the model"));
      return;
    }
  g_clear_pointer (&self->held_out, sf_held_out_free);
  SfFaceList *faces = sf_session_get_faces (self->session);
  self->held_out = sf_held_out_new (sf_session_get_checkpoint (self->session), dataset (self),
                                    faces != NULL ? sf_face_list_get_fingerprint (faces) : NULL);
  sf_people_job_set_held_out (job, self->held_out != NULL ? self->held_out->images : NULL);
  sf_people_job_set_fitted (job, self->fitted);
  sf_face_picker_set_held_out (self->probe_picker, self->held_out);
  update_people (self);
  set_busy (self, TRUE);
  sf_people_job_run_async (job, self, self->cancellable, job_done_cb, GUINT_TO_POINTER (++self->generation));
}

/* ---- public API ---- */

void
sf_people_view_enroll_files (SfPeopleView *self, const char *name, const char *const *paths)
{
  g_return_if_fail (SF_IS_PEOPLE_VIEW (self));
  g_return_if_fail (name != NULL && paths != NULL);

  if (self->model == NULL)
    return;
  g_ptr_array_add (self->pending, sf_enrolment_new_files (name, paths));
  refresh (self);
}

/* The gallery person a dataset person is enrolled as, or -1: under the
 * same name, or under any name from one of their images (the same file, or
 * the same pixels to within 8-bit rounding: a copy of the file). */
static int
enrolled_as (SfPeopleView *self, int p)
{
  const SfDataset *data = dataset (self);
  const SfGallery *people = gallery (self);

  if (people == NULL || data == NULL)
    return -1;
  int found = sf_gallery_find_person (people, data->person_names[p]);
  if (found >= 0)
    return found;
  int n_faces = sf_gallery_get_n_faces (people);
  int size = sf_gallery_get_image_size (people);
  gsize area = (gsize) size * size;
  for (int i = 0; i < data->n_images; i++)
    {
      if (data->labels[i] != p)
        continue;
      const char *path = data->image_paths != NULL ? data->image_paths[i] : NULL;
      const float *image = sf_dataset_image (data, i);
      for (int f = 0; f < n_faces; f++)
        {
          const char *face_path = sf_gallery_get_face_path (people, f);
          if (path != NULL && face_path != NULL && g_strcmp0 (path, face_path) == 0)
            return sf_gallery_get_face_person (people, f);
          if (data->width != size || data->height != size)
            continue;
          const float *pixels = sf_gallery_get_face_pixels (people, f);
          gsize k = 0;
          while (k < area && fabsf (pixels[k] - image[k]) <= 1.5f / 255.0f)
            k++;
          if (k == area)
            return sf_gallery_get_face_person (people, f);
        }
    }
  return -1;
}

int
sf_people_view_find_enrolled (SfPeopleView *self, int dataset_person)
{
  g_return_val_if_fail (SF_IS_PEOPLE_VIEW (self), -1);
  const SfDataset *data = dataset (self);
  g_return_val_if_fail (data != NULL && dataset_person >= 0 && dataset_person < data->n_people, -1);

  return enrolled_as (self, dataset_person);
}

void
sf_people_view_enroll_dataset (SfPeopleView *self, int shots)
{
  g_return_if_fail (SF_IS_PEOPLE_VIEW (self));

  const SfDataset *data = dataset (self);
  if (self->model == NULL || data == NULL || data->width != data->height)
    return;
  int added = 0;
  for (int p = 0; p < data->n_people; p++)
    {
      if (enrolled_as (self, p) >= 0)
        continue;
      int taken = 0;
      for (int i = 0; i < data->n_images && (shots <= 0 || taken < shots); i++)
        if (data->labels[i] == p)
          {
            g_ptr_array_add (self->pending, sf_enrolment_new_face (data->person_names[p], sf_dataset_image (data, i),
                                                                   data->width, data->image_paths[i]));
            taken++;
          }
      added += taken > 0;
    }
  if (added > 0)
    refresh (self);
}

void
sf_people_view_remove_person (SfPeopleView *self, int person)
{
  g_return_if_fail (SF_IS_PEOPLE_VIEW (self));
  g_return_if_fail (self->session != NULL);
  g_return_if_fail (person >= 0 && person < sf_gallery_get_n_people (gallery (self)));

  SfGallery *edited = sf_gallery_copy (gallery (self));
  sf_gallery_remove_person (edited, person);
  sf_session_set_gallery (self->session, edited);
  refresh (self);   /* the map */
}

gboolean
sf_people_view_rename_person (SfPeopleView *self, int person, const char *name, GError **error)
{
  g_return_val_if_fail (SF_IS_PEOPLE_VIEW (self), FALSE);
  g_return_val_if_fail (self->session != NULL, FALSE);
  g_return_val_if_fail (person >= 0 && person < sf_gallery_get_n_people (gallery (self)), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  g_autoptr (GError) local_error = NULL;
  g_autofree char *stripped = g_strstrip (g_strdup (name));
  g_autoptr (SfGallery) edited = sf_gallery_copy (gallery (self));
  if (!sf_gallery_rename_person (edited, person, stripped, &local_error))
    {
      show_error (self, local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  sf_session_set_gallery (self->session, g_steal_pointer (&edited));
  refresh (self);   /* the map's tooltips */
  return TRUE;
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

SfEmbeddingMap *
sf_people_view_get_map (SfPeopleView *self)
{
  g_return_val_if_fail (SF_IS_PEOPLE_VIEW (self), NULL);
  return self->map;
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
enroll_response_cb (AdwMessageDialog *dialog, const char *response, SfPeopleView *self)
{
  GtkSpinButton *shots = g_object_get_data (G_OBJECT (dialog), "shots");

  if (g_strcmp0 (response, "enrol") == 0)
    sf_people_view_enroll_dataset (self, gtk_spin_button_get_value_as_int (shots));
}

/* Asks first: how many images of each person, and says who is enrolled
 * already (by name or from their images) and will be left as they are. */
static void
enroll_dataset_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfPeopleView *self = SF_PEOPLE_VIEW (widget);
  const SfDataset *data = dataset (self);

  if (self->model == NULL || data == NULL || data->width != data->height)
    return;
  g_autoptr (GString) already = g_string_new (NULL);
  int n_new = 0, n_already = 0, most = 1;
  g_autofree int *counts = g_new0 (int, MAX (data->n_people, 1));
  for (int i = 0; i < data->n_images; i++)
    most = MAX (most, ++counts[data->labels[i]]);
  for (int p = 0; p < data->n_people; p++)
    {
      int as = enrolled_as (self, p);
      if (as < 0)
        {
          n_new++;
          continue;
        }
      const char *name = sf_gallery_get_person_name (gallery (self), as);
      if (n_already++ > 0)
        g_string_append (already, ", ");
      if (g_strcmp0 (name, data->person_names[p]) == 0)
        g_string_append (already, name);
      else
        /* Translators: a dataset person already enrolled under another name, e.g. "s1 as Alice". */
        g_string_append_printf (already, _("%s as %s"), data->person_names[p], name);
    }

  g_autofree char *body = NULL;
  if (n_new == 0)
    body = g_strdup (_("Everyone in the dataset is enrolled already."));
  else if (n_already == 0)
    /* Translators: how many dataset people are about to be enrolled. */
    body = g_strdup_printf (ngettext ("%d person will be enrolled.", "%d people will be enrolled.", n_new), n_new);
  else
    /* Translators: %d people to enrol; then the names of those enrolled already (by name or from their images). */
    body = g_strdup_printf (ngettext ("%d person will be enrolled. Enrolled already, and left as they are: %s.",
                                      "%d people will be enrolled. Enrolled already, and left as they are: %s.", n_new),
                            n_new, already->str);

  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                              _("Enrol the Dataset’s People?"), body);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new_with_mnemonic (_("_Images per person"));
  GtkWidget *spin = gtk_spin_button_new_with_range (1, most, 1);
  gtk_widget_set_name (spin, "enrol-shots");
  gtk_widget_set_tooltip_text (spin, _("How many images of each person to enrol, as the command line’s --shots"));
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), spin);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), spin);
  gtk_widget_set_sensitive (box, n_new > 0);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "enrol", _("_Enrol"), NULL);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "enrol", n_new > 0);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "enrol", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), n_new > 0 ? "enrol" : "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "shots", spin);
  g_signal_connect_object (dialog, "response", G_CALLBACK (enroll_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
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

/* ---- session ---- */

static void
map_show_toggled_cb (SfPeopleView *self)
{
  SfMapShow show = 0;

  if (gtk_check_button_get_active (self->show_training_check))
    show |= SF_MAP_SHOW_TRAINING;
  if (gtk_check_button_get_active (self->show_held_out_check))
    show |= SF_MAP_SHOW_HELD_OUT;
  sf_embedding_map_set_show (self->map, show);
}

static void
checkpoint_changed_cb (SfSession *session, GParamSpec *pspec, SfPeopleView *self)
{
  const SfCheckpoint *checkpoint = sf_session_get_checkpoint (session);

  g_clear_pointer (&self->model, sf_model_free);
  g_clear_pointer (&self->fitted, sf_map_data_unref);   /* a new model: a new plane */
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
  if (self->probe != NULL && (self->model == NULL || sf_model_get_input_size (self->model) != self->probe_size))
    {
      g_clear_pointer (&self->probe, g_free);
      gtk_picture_set_paintable (self->probe_picture, NULL);
    }
  refresh (self);
}

static void
gallery_changed_cb (SfSession *session, GParamSpec *pspec, SfPeopleView *self)
{
  update_people (self);
  identify (self);
}

static void
gallery_path_changed_cb (SfSession *session, GParamSpec *pspec, SfPeopleView *self)
{
  update_storage (self);
}

static void
gallery_error_cb (SfSession *session, const char *message, SfPeopleView *self)
{
  show_error (self, message);
}

static void
faces_changed_cb (SfSession *session, GParamSpec *pspec, SfPeopleView *self)
{
  sf_face_picker_set_faces (self->probe_picker, sf_session_get_faces (session));
  g_clear_pointer (&self->fitted, sf_map_data_unref);   /* a new dataset: a new plane */
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
  /* A job under way works for the old session: drop its result. */
  g_cancellable_cancel (self->cancellable);
  self->generation++;
  set_busy (self, FALSE);
  g_set_object (&self->session, session);
  if (session == NULL)
    return;
  g_signal_connect (session, "notify::checkpoint", G_CALLBACK (checkpoint_changed_cb), self);
  g_signal_connect (session, "notify::gallery", G_CALLBACK (gallery_changed_cb), self);
  g_signal_connect (session, "notify::gallery-path", G_CALLBACK (gallery_path_changed_cb), self);
  g_signal_connect (session, "gallery-error", G_CALLBACK (gallery_error_cb), self);
  g_signal_connect (session, "notify::faces", G_CALLBACK (faces_changed_cb), self);
  g_signal_connect (session, "notify::threshold", G_CALLBACK (threshold_changed_cb), self);
  update_storage (self);
  update_people (self);
  sf_face_picker_set_faces (self->probe_picker, sf_session_get_faces (session));
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
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_free (self->probe);
  g_free (self->candidates);
  g_free (self->last_error);
  sf_held_out_free (self->held_out);
  g_clear_pointer (&self->fitted, sf_map_data_unref);

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

  g_type_ensure (SF_TYPE_EMBEDDING_MAP);
  g_type_ensure (SF_TYPE_FACE_PICKER);
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
  gtk_widget_class_bind_template_child (widget_class, SfPeopleView, map);
  gtk_widget_class_bind_template_child (widget_class, SfPeopleView, show_training_check);
  gtk_widget_class_bind_template_child (widget_class, SfPeopleView, probe_picker);
  gtk_widget_class_bind_template_callback (widget_class, probe_face_chosen_cb);
  gtk_widget_class_bind_template_child (widget_class, SfPeopleView, show_held_out_check);
  gtk_widget_class_bind_template_callback (widget_class, map_show_toggled_cb);

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

  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) sf_enrolment_free);
  GtkDropTarget *target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (target, "drop", G_CALLBACK (probe_drop_cb), self);
  gtk_widget_add_controller (self->identify_box, GTK_EVENT_CONTROLLER (target));
  gtk_stack_set_visible_child_name (self->stack, "empty");
  update_storage (self);
  update_people (self);
  update_candidates (self);
}

GtkWidget *
sf_people_view_new (void)
{
  return g_object_new (SF_TYPE_PEOPLE_VIEW, NULL);
}
