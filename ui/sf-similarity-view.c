/* SfSimilarityView: the article's test of the chosen face and the validation
 * pairs' evaluation are made once per (model, dataset, test face) on a GTask
 * thread with a copy of the model (sf_probe_test_new, sf_evaluation_new);
 * results of an older job are dropped by generation. Moving the threshold
 * only recolours, filters and recounts what is already there. */
#include "sf-similarity-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "sf-face-image.h"
#include "sf-face-picker.h"
#include "sf-held-out.h"
#include "sf-score-card.h"
#include "sf-score-item.h"
#include "sf-score-panel.h"
#include "sf-worker.h"

struct _SfSimilarityView
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkStack *stack;
  SfFaceImage *test_image;
  GtkLabel *title_label;
  GtkLabel *subtitle_label;
  GtkSpinner *spinner;
  SfFacePicker *picker;         /* holds the dataset shown and the test face */
  GtkAdjustment *threshold_adjustment;
  GtkScale *threshold_scale;
  GtkLabel *numbers_label;
  GtkLabel *summary_label;
  GtkToggleButton *only_matches_button;
  GtkDropDown *sort_dropdown;
  GtkStack *cards_stack;
  GtkFlowBox *cards_box;
  AdwStatusPage *message_page;
  SfScorePanel *score_panel;    /* holds the validation pairs' evaluation */

  /* Owned */
  SfSession *session;
  gulong session_handlers[3];
  GBinding *slider_binding;     /* session "threshold" ⇄ the slider */
  GBinding *panel_binding;      /* session "threshold" → the panel */
  GListStore *items;            /* SfScoreItem */
  GtkSortListModel *cards;      /* items → filter → sorter */
  /* Borrowed (owned by the list models) */
  GtkCustomFilter *filter;
  GtkCustomSorter *sorter;
  char *score_error;
  SfHeldOut *held_out;          /* of the current model on the current dataset; NULL: none */

  guint model_key;              /* bumped when the model or the dataset changes */
  guint evaluation_key;         /* the model_key the panel's evaluation belongs to */
  guint generation;             /* of scoring jobs */
  guint64 seed;
  gboolean busy;                /* scoring || the picker loading a file */
  gboolean scoring;
  gboolean only_matches;
  gboolean test_chosen;         /* the test face was chosen, not defaulted to a held-out one */
  SfSimilaritySort sort;
  /* The threshold the cards were last filtered at, only to tell the filter
   * whether a new one is stricter or looser; the session owns the threshold. */
  float filtered_threshold;
};

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SfSimilarityView, sf_similarity_view, GTK_TYPE_WIDGET)

/* ---- the scoring job (worker thread) ---- */

typedef struct
{
  guint generation;
  guint model_key;
  SfModel *model;               /* a copy: SfModel is not reentrant */
  SfFaceList *faces;            /* keeps the dataset alive */
  int test_index;               /* -1: probe holds the test face */
  float *probe;                 /* [height, width] or NULL */
  guint64 seed;
  gboolean want_evaluation;
  SfTrainSettings settings;
  char *fingerprint;            /* the checkpoint's, may be NULL */

  /* Results */
  char *error;                  /* the test face could not be scored */
  SfProbeTest *test;
  gboolean did_evaluation;
  char *evaluation_error;
  SfEvaluation *evaluation;
} ScoreJob;

static void
score_job_free (gpointer data)
{
  ScoreJob *job = data;

  g_clear_pointer (&job->model, sf_model_free);
  g_clear_object (&job->faces);
  g_free (job->probe);
  sf_train_settings_clear (&job->settings);
  g_free (job->fingerprint);
  g_free (job->error);
  g_clear_pointer (&job->test, sf_probe_test_free);
  g_free (job->evaluation_error);
  g_clear_pointer (&job->evaluation, sf_evaluation_free);
  g_free (job);
}

static void
score_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  ScoreJob *job = task_data;
  const SfDataset *dataset = sf_face_list_get_dataset (job->faces);
  int size = sf_model_get_input_size (job->model);
  g_autoptr (GError) error = NULL;

  if (dataset->width != size || dataset->height != size)
    {
      /* Translators: the model's input size against the dataset's image size. */
      job->error = g_strdup_printf (_("The model takes faces of %d × %d pixels, but this dataset’s are %d × %d."),
                                    size, size, dataset->width, dataset->height);
      g_task_return_boolean (task, TRUE);
      return;
    }

  job->test = sf_probe_test_new (job->model, dataset, job->test_index, job->probe, job->seed, &error);
  if (job->test == NULL)
    job->error = g_strdup (error->message);
  g_clear_error (&error);

  if (job->want_evaluation)
    {
      /* Its counts at one threshold are never shown: the panel takes its own
       * at the session's threshold of the moment (sf_evaluation_at_threshold). */
      job->did_evaluation = TRUE;
      job->evaluation = sf_evaluation_new (job->model, dataset, &job->settings, job->fingerprint, 0.5f,
                                           SF_EVALUATION_DEFAULT, &error);
      if (job->evaluation == NULL)
        job->evaluation_error = g_strdup (error->message);
    }
  g_task_return_boolean (task, TRUE);
}

/* ---- main thread ---- */

static const SfCheckpoint *
current_checkpoint (SfSimilarityView *self)
{
  return self->session != NULL ? sf_session_get_checkpoint (self->session) : NULL;
}

static SfFaceList *
current_faces (SfSimilarityView *self)
{
  return self->picker != NULL ? sf_face_picker_get_faces (self->picker) : NULL;
}

static const SfDataset *
current_dataset (SfSimilarityView *self)
{
  SfFaceList *faces = current_faces (self);

  return faces != NULL ? sf_face_list_get_dataset (faces) : NULL;
}

static float
current_threshold (SfSimilarityView *self)
{
  return self->session != NULL ? (float) sf_session_get_threshold (self->session) : 0.5f;
}

static void
update_busy (SfSimilarityView *self)
{
  gboolean busy = self->scoring || sf_face_picker_get_loading (self->picker);

  if (self->busy == busy)
    return;
  self->busy = busy;
  if (busy)
    gtk_spinner_start (self->spinner);
  else
    gtk_spinner_stop (self->spinner);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* The line above the cards, and the message when "only matches" leaves none. */
static void
update_summary (SfSimilarityView *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->items));
  int accepted = 0, right = 0, known = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (SfScoreItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), i);
      int r = sf_score_item_get_right (item);
      accepted += sf_score_item_get_accepted (item);
      known += r >= 0;
      right += r == 1;
    }
  g_autofree char *summary = NULL;
  if (n == 0)
    summary = g_strdup ("");
  else if (known > 0)
    /* Translators: pairs at or above the threshold, of all pairs; then right verdicts of all. */
    summary = g_strdup_printf (_("%d of %u pairs at or above the threshold · %d of %d verdicts right"),
                               accepted, n, right, known);
  else
    /* Translators: pairs at or above the threshold, of all pairs. */
    summary = g_strdup_printf (_("%d of %u pairs at or above the threshold"), accepted, n);
  gtk_label_set_label (self->summary_label, summary);

  if (self->only_matches && n > 0 && accepted == 0 && !self->busy && self->score_error == NULL)
    {
      adw_status_page_set_title (self->message_page, _("No Matches"));
      adw_status_page_set_description (self->message_page,
                                       _("No pair reaches the threshold. Lower it, or show every pair."));
      gtk_stack_set_visible_child_name (self->cards_stack, "message");
    }
  else if (self->score_error == NULL && n > 0)
    gtk_stack_set_visible_child_name (self->cards_stack, "cards");
}

static char *
percent_text (double value)
{
  if (!isfinite (value))
    /* Translators: a rate that cannot be told (no pairs of that kind). */
    return g_strdup (_("n/a"));
  /* Translators: a percentage, e.g. "92.5 %". */
  return g_strdup_printf (_("%.1f %%"), 100.0 * value);
}

/* The validation numbers that matter, next to the slider: accuracy, FAR and
 * FRR at the threshold, and the TAR at FAR 1 % (a point of the ROC curve,
 * the same at any threshold). Taken here rather than read from the panel,
 * which may not have followed the threshold yet. */
static void
update_numbers (SfSimilarityView *self)
{
  const SfEvaluation *evaluation = sf_score_panel_get_evaluation (self->score_panel);

  if (evaluation == NULL || evaluation->n_pairs == 0)
    {
      gtk_label_set_label (self->numbers_label, _("Validation: not scored yet"));
      return;
    }
  SfMetrics counts;
  sf_evaluation_at_threshold (evaluation, current_threshold (self), &counts);
  g_autofree char *accuracy = percent_text (counts.accuracy);
  g_autofree char *far = percent_text (counts.n_different > 0 ? (double) counts.false_accepts / counts.n_different : NAN);
  g_autofree char *frr = percent_text (counts.n_same > 0 ? (double) counts.false_rejects / counts.n_same : NAN);
  g_autofree char *tar = percent_text (evaluation->metrics.tar_at_far_1);
  /* Translators: the validation pairs' numbers at the current threshold; FAR false accept rate,
   * FRR false reject rate, TAR true accept rate. Each %s is a percentage such as "92.5 %". */
  g_autofree char *text = g_strdup_printf (_("Validation: accuracy %s · FAR %s · FRR %s · TAR at FAR 1 %%: %s"),
                                           accuracy, far, frr, tar);
  gtk_label_set_label (self->numbers_label, text);
}

/* Everything in the view that follows the threshold: the cards' verdicts,
 * the filter, the summary, the validation numbers. The panel follows it by
 * its binding. */
static void
apply_threshold (SfSimilarityView *self)
{
  float threshold = current_threshold (self);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->items));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (SfScoreItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), i);
      sf_score_item_set_threshold (item, threshold);
    }
  if (self->only_matches && threshold != self->filtered_threshold)
    gtk_filter_changed (GTK_FILTER (self->filter), threshold > self->filtered_threshold
                                                     ? GTK_FILTER_CHANGE_MORE_STRICT
                                                     : GTK_FILTER_CHANGE_LESS_STRICT);
  self->filtered_threshold = threshold;
  update_summary (self);
  update_numbers (self);
}

/* The EER and best-accuracy points of the panel's evaluation, as marks on
 * the slider to aim at by eye and as the actions that jump to them. */
static void
update_rule_points (SfSimilarityView *self)
{
  float eer = 0.0f, best = 0.0f;
  gboolean eer_ok = sf_score_panel_get_rule_threshold (self->score_panel, SF_THRESHOLD_EER, &eer);
  gboolean best_ok = sf_score_panel_get_rule_threshold (self->score_panel, SF_THRESHOLD_BEST_ACCURACY, &best);

  gtk_scale_clear_marks (self->threshold_scale);
  if (eer_ok)
    /* Translators: a mark on the threshold slider at the equal error rate's threshold. */
    gtk_scale_add_mark (self->threshold_scale, eer, GTK_POS_BOTTOM, _("EER"));
  if (best_ok)
    /* Translators: a mark on the threshold slider at the threshold of best accuracy. */
    gtk_scale_add_mark (self->threshold_scale, best, GTK_POS_TOP, _("best"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "similarity.use-eer-threshold", eer_ok);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "similarity.use-best-threshold", best_ok);
}

/* The panel shows `evaluation` (taken; NULL: none) or, without one, `text`. */
static void
show_evaluation (SfSimilarityView *self, SfEvaluation *evaluation, const char *text)
{
  sf_score_panel_set_evaluation (self->score_panel, evaluation);
  sf_score_panel_set_placeholder (self->score_panel, text);
  update_rule_points (self);
  update_numbers (self);
}

static void
update_header (SfSimilarityView *self)
{
  g_autoptr (SfFace) face = sf_face_picker_dup_face (self->picker);
  const SfDataset *dataset = current_dataset (self);

  sf_face_image_set_face (self->test_image, face);
  if (face == NULL || dataset == NULL)
    {
      gtk_label_set_label (self->title_label, _("No test face"));
      gtk_label_set_label (self->subtitle_label, "");
      return;
    }

  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  if (sf_face_picker_get_index (self->picker) >= 0)
    {
      g_autofree char *description = sf_face_dup_description (face);
      if (sf_held_out_has_image (self->held_out, sf_face_picker_get_index (self->picker)))
        {
          char *marked = description;
          /* Translators: a face's description (e.g. "Image 3, s5") for a face held out of training. */
          description = g_strdup_printf (_("%s, held out of training"), marked);
          g_free (marked);
        }
      /* Translators: the test face, e.g. "Test face: Image 12, s3". */
      title = g_strdup_printf (_("Test face: %s"), description);
      /* Translators: how many people the test face is paired with. */
      subtitle = g_strdup_printf (ngettext ("Paired with one other face of %d person",
                                            "Paired with one other face of each of %d people",
                                            dataset->n_people),
                                  dataset->n_people);
    }
  else
    {
      g_autofree char *name = g_path_get_basename (sf_face_get_path (face));
      /* Translators: the test face is an image file, e.g. "Test face: me.png". */
      title = g_strdup_printf (_("Test face: %s"), name);
      subtitle = g_strdup (_("An image from outside the dataset: who it shows is unknown, so no verdict is marked right or wrong"));
    }
  gtk_label_set_label (self->title_label, title);
  gtk_label_set_label (self->subtitle_label, subtitle);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->subtitle_label), subtitle);
}

static void
show_message (SfSimilarityView *self, const char *title, const char *description)
{
  adw_status_page_set_title (self->message_page, title);
  adw_status_page_set_description (self->message_page, description);
  gtk_stack_set_visible_child_name (self->cards_stack, "message");
}

/* The probe test's matches as cards, each accepted or not at the session's threshold. */
static void
show_test (SfSimilarityView *self, const SfProbeTest *test)
{
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (SfFace) probe = sf_face_picker_dup_face (self->picker);

  if (test != NULL && probe != NULL)
    {
      float threshold = current_threshold (self);
      for (int k = 0; k < test->n_matches; k++)
        {
          const SfProbeMatch *match = &test->matches[k];
          g_autoptr (SfFace) partner = sf_face_new (current_faces (self), match->image);
          int truth = test->probe_person < 0 ? -1 : match->person == test->probe_person;
          SfScoreItem *item = sf_score_item_new (probe, partner, match->score, truth);
          sf_score_item_set_held_out (item, sf_held_out_has_person (self->held_out, match->person));
          sf_score_item_set_threshold (item, threshold);
          g_ptr_array_add (items, item);
        }
    }
  g_list_store_splice (self->items, 0, g_list_model_get_n_items (G_LIST_MODEL (self->items)),
                       items->pdata, items->len);
}

static void
score_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SfSimilarityView *self = SF_SIMILARITY_VIEW (source);
  ScoreJob *job = g_task_get_task_data (G_TASK (result));

  if (job->generation != self->generation || current_faces (self) != job->faces)
    return;   /* an older job, or the view was disposed */

  g_clear_pointer (&self->score_error, g_free);
  self->score_error = g_strdup (job->error);
  if (job->did_evaluation)
    {
      self->evaluation_key = job->model_key;
      show_evaluation (self, g_steal_pointer (&job->evaluation), job->evaluation_error);
    }
  else if (sf_score_panel_get_evaluation (self->score_panel) == NULL)
    show_evaluation (self, NULL, NULL);   /* no longer "scoring…" */
  show_test (self, job->test);

  self->scoring = FALSE;
  update_busy (self);
  if (job->error != NULL)
    show_message (self, _("Cannot Score This Dataset"), job->error);
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->items)) == 0)
    show_message (self, _("No Pairs"), _("This dataset has no other face to pair the test face with."));
  apply_threshold (self);
}

/* Scores the test face's pairs, and the validation pairs if the model or the
 * dataset changed since they were scored. */
static void
start_scoring (SfSimilarityView *self)
{
  const SfCheckpoint *checkpoint = current_checkpoint (self);
  g_autoptr (SfFace) test = sf_face_picker_dup_face (self->picker);

  self->generation++;
  if (checkpoint == NULL || test == NULL)
    {
      self->scoring = FALSE;
      update_busy (self);
      return;
    }
  update_header (self);

  ScoreJob *job = g_new0 (ScoreJob, 1);
  job->generation = self->generation;
  job->model_key = self->model_key;
  job->model = sf_model_copy (checkpoint->model);
  job->faces = g_object_ref (current_faces (self));
  job->test_index = sf_face_picker_get_index (self->picker);
  if (job->test_index < 0)
    {
      int width = 0, height = 0;
      const float *pixels = sf_face_get_pixels (test, &width, &height);
      job->probe = g_memdup2 (pixels, sizeof (float) * width * height);
    }
  job->seed = self->seed;
  job->want_evaluation = self->evaluation_key != self->model_key;
  sf_train_settings_copy (&job->settings, &checkpoint->settings);
  job->fingerprint = g_strdup (checkpoint->dataset_fingerprint);

  if (job->want_evaluation)
    show_evaluation (self, NULL, _("Scoring the validation pairs…"));
  self->scoring = TRUE;
  update_busy (self);

  g_autoptr (GTask) task = g_task_new (self, NULL, score_done_cb, NULL);
  g_task_set_source_tag (task, start_scoring);
  g_task_set_task_data (task, job, score_job_free);
  sf_worker_run_in_thread (task, score_thread);
}

/* ---- the test face ---- */

static void
face_chosen_cb (SfFacePicker *picker, int index, SfFace *face, SfSimilarityView *self)
{
  self->test_chosen = TRUE;
  start_scoring (self);
}

static void
picker_loading_cb (SfFacePicker *picker, GParamSpec *pspec, SfSimilarityView *self)
{
  update_busy (self);
}

/* ---- cards: filter and sort ---- */

static gboolean
filter_cb (gpointer item, gpointer user_data)
{
  SfSimilarityView *self = user_data;

  return !self->only_matches || sf_score_item_get_accepted (item);
}

static int
sort_cb (gconstpointer a, gconstpointer b, gpointer user_data)
{
  SfSimilarityView *self = user_data;
  SfScoreItem *x = (SfScoreItem *) a, *y = (SfScoreItem *) b;
  int px = sf_score_item_get_person (x), py = sf_score_item_get_person (y);

  if (self->sort == SF_SIMILARITY_SORT_SCORE)
    {
      float sx = sf_score_item_get_score (x), sy = sf_score_item_get_score (y);
      if (sx != sy)
        return sx > sy ? GTK_ORDERING_SMALLER : GTK_ORDERING_LARGER;
    }
  return px < py ? GTK_ORDERING_SMALLER : px > py ? GTK_ORDERING_LARGER : GTK_ORDERING_EQUAL;
}

static GtkWidget *
create_card_cb (gpointer item, gpointer user_data)
{
  return sf_score_card_new (SF_SCORE_ITEM (item));
}

static void
only_matches_toggled_cb (GtkToggleButton *button, SfSimilarityView *self)
{
  sf_similarity_view_set_only_matches (self, gtk_toggle_button_get_active (button));
}

static void
sort_selected_cb (GtkDropDown *dropdown, GParamSpec *pspec, SfSimilarityView *self)
{
  sf_similarity_view_set_sort (self, gtk_drop_down_get_selected (dropdown) == 1 ? SF_SIMILARITY_SORT_PERSON
                                                                                : SF_SIMILARITY_SORT_SCORE);
}

/* ---- actions ---- */

static void
open_image_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfSimilarityView *self = SF_SIMILARITY_VIEW (widget);

  sf_face_picker_choose_file (self->picker);
}

static void
shuffle_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfSimilarityView *self = SF_SIMILARITY_VIEW (widget);

  sf_similarity_view_set_seed (self, self->seed + 1);
}

static void
use_threshold_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfSimilarityView *self = SF_SIMILARITY_VIEW (widget);
  SfThresholdRule rule = g_str_equal (action_name, "similarity.use-eer-threshold") ? SF_THRESHOLD_EER
                                                                                   : SF_THRESHOLD_BEST_ACCURACY;
  float threshold = 0.5f;

  if (self->session != NULL && sf_score_panel_get_rule_threshold (self->score_panel, rule, &threshold))
    sf_session_set_threshold (self->session, threshold);
}

/* ---- session ---- */

static void
update_page (SfSimilarityView *self)
{
  gboolean ready = current_checkpoint (self) != NULL && current_faces (self) != NULL;

  gtk_stack_set_visible_child_name (self->stack, ready ? "main" : "empty");
}

static void
model_or_faces_changed (SfSimilarityView *self)
{
  self->model_key++;
  show_evaluation (self, NULL, NULL);
  sf_face_picker_set_faces (self->picker, self->session != NULL ? sf_session_get_faces (self->session) : NULL);
  /* The honest test first: until a face is chosen, the test face is one of a
   * person the model never saw (the default split holds whole people out). */
  g_clear_pointer (&self->held_out, sf_held_out_free);
  SfFaceList *faces = current_faces (self);
  self->held_out = sf_held_out_new (current_checkpoint (self), current_dataset (self),
                                    faces != NULL ? sf_face_list_get_fingerprint (faces) : NULL);
  sf_face_picker_set_held_out (self->picker, self->held_out);
  if (!self->test_chosen && self->held_out != NULL && self->held_out->first_image >= 0
      && !sf_held_out_has_image (self->held_out, sf_face_picker_get_index (self->picker)))
    sf_face_picker_set_index (self->picker, self->held_out->first_image);
  g_list_store_remove_all (self->items);
  g_clear_pointer (&self->score_error, g_free);
  update_page (self);
  update_header (self);
  update_summary (self);
  start_scoring (self);
}

static void
checkpoint_changed_cb (SfSession *session, GParamSpec *pspec, SfSimilarityView *self)
{
  model_or_faces_changed (self);
}

static void
faces_changed_cb (SfSession *session, GParamSpec *pspec, SfSimilarityView *self)
{
  self->test_chosen = FALSE;   /* another dataset: its own held-out default */
  model_or_faces_changed (self);
}

static void
threshold_changed_cb (SfSession *session, GParamSpec *pspec, SfSimilarityView *self)
{
  apply_threshold (self);
}

/* ---- GObject ---- */

static void
disconnect_session (SfSimilarityView *self)
{
  if (self->session == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (self->session_handlers); i++)
    g_clear_signal_handler (&self->session_handlers[i], self->session);
  g_clear_pointer (&self->slider_binding, g_binding_unbind);
  g_clear_pointer (&self->panel_binding, g_binding_unbind);
  g_clear_object (&self->session);
}

static void
sf_similarity_view_dispose (GObject *object)
{
  SfSimilarityView *self = SF_SIMILARITY_VIEW (object);
  GtkWidget *child;

  self->generation++;
  disconnect_session (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), SF_TYPE_SIMILARITY_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->cards);
  g_clear_object (&self->items);

  G_OBJECT_CLASS (sf_similarity_view_parent_class)->dispose (object);
}

static void
sf_similarity_view_finalize (GObject *object)
{
  SfSimilarityView *self = SF_SIMILARITY_VIEW (object);

  g_free (self->score_error);
  sf_held_out_free (self->held_out);

  G_OBJECT_CLASS (sf_similarity_view_parent_class)->finalize (object);
}

static void
sf_similarity_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfSimilarityView *self = SF_SIMILARITY_VIEW (object);

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
sf_similarity_view_class_init (SfSimilarityViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sf_similarity_view_dispose;
  object_class->finalize = sf_similarity_view_finalize;
  object_class->get_property = sf_similarity_view_get_property;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SF_TYPE_FACE_IMAGE);
  g_type_ensure (SF_TYPE_FACE_PICKER);
  g_type_ensure (SF_TYPE_SCORE_PANEL);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-similarity-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, stack);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, test_image);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, title_label);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, spinner);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, picker);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, threshold_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, threshold_scale);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, numbers_label);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, summary_label);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, only_matches_button);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, sort_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, cards_stack);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, cards_box);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, message_page);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, score_panel);

  gtk_widget_class_install_action (widget_class, "similarity.open-image", NULL, open_image_action);
  gtk_widget_class_install_action (widget_class, "similarity.shuffle", NULL, shuffle_action);
  gtk_widget_class_install_action (widget_class, "similarity.use-eer-threshold", NULL, use_threshold_action);
  gtk_widget_class_install_action (widget_class, "similarity.use-best-threshold", NULL, use_threshold_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "similarityview");
}

static void
sf_similarity_view_init (SfSimilarityView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->filtered_threshold = 0.5f;
  self->items = g_list_store_new (SF_TYPE_SCORE_ITEM);
  self->filter = gtk_custom_filter_new (filter_cb, self, NULL);
  self->sorter = gtk_custom_sorter_new (sort_cb, self, NULL);
  GtkFilterListModel *filtered = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (self->items)),
                                                            GTK_FILTER (self->filter));
  self->cards = gtk_sort_list_model_new (G_LIST_MODEL (filtered), GTK_SORTER (self->sorter));
  gtk_flow_box_bind_model (self->cards_box, G_LIST_MODEL (self->cards), create_card_cb, self, NULL);

  g_signal_connect (self->only_matches_button, "toggled", G_CALLBACK (only_matches_toggled_cb), self);
  g_signal_connect (self->sort_dropdown, "notify::selected", G_CALLBACK (sort_selected_cb), self);
  g_signal_connect (self->picker, "face-chosen", G_CALLBACK (face_chosen_cb), self);
  g_signal_connect (self->picker, "notify::loading", G_CALLBACK (picker_loading_cb), self);
  update_page (self);
  update_rule_points (self);
  update_summary (self);
}

/* ---- public API ---- */

void
sf_similarity_view_set_session (SfSimilarityView *self, SfSession *session)
{
  g_return_if_fail (SF_IS_SIMILARITY_VIEW (self));
  g_return_if_fail (session == NULL || SF_IS_SESSION (session));

  if (session == self->session)
    return;
  disconnect_session (self);
  if (session != NULL)
    {
      self->session = g_object_ref (session);
      self->session_handlers[0] = g_signal_connect (session, "notify::checkpoint",
                                                    G_CALLBACK (checkpoint_changed_cb), self);
      self->session_handlers[1] = g_signal_connect (session, "notify::faces", G_CALLBACK (faces_changed_cb), self);
      self->session_handlers[2] = g_signal_connect (session, "notify::threshold",
                                                    G_CALLBACK (threshold_changed_cb), self);
      self->slider_binding = g_object_bind_property (session, "threshold", self->threshold_adjustment, "value",
                                                     G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
      self->panel_binding = g_object_bind_property (session, "threshold", self->score_panel, "threshold",
                                                    G_BINDING_SYNC_CREATE);
    }
  model_or_faces_changed (self);
}

void
sf_similarity_view_set_test_face (SfSimilarityView *self, int index)
{
  g_return_if_fail (SF_IS_SIMILARITY_VIEW (self));
  const SfDataset *dataset = current_dataset (self);
  g_return_if_fail (dataset != NULL && index >= 0 && index < dataset->n_images);

  self->test_chosen = TRUE;
  gboolean scored = index == sf_face_picker_get_index (self->picker) && !self->busy
                    && g_list_model_get_n_items (G_LIST_MODEL (self->items)) > 0;
  sf_face_picker_set_index (self->picker, index);   /* a pending image load no longer wins */
  if (!scored)
    start_scoring (self);
}

int
sf_similarity_view_get_test_face (SfSimilarityView *self)
{
  g_return_val_if_fail (SF_IS_SIMILARITY_VIEW (self), -1);

  return sf_face_picker_get_index (self->picker);
}

void
sf_similarity_view_open_image (SfSimilarityView *self, const char *path)
{
  g_return_if_fail (SF_IS_SIMILARITY_VIEW (self));
  g_return_if_fail (path != NULL);

  sf_face_picker_open_image (self->picker, path);
}

const char *
sf_similarity_view_get_last_error (SfSimilarityView *self)
{
  g_return_val_if_fail (SF_IS_SIMILARITY_VIEW (self), NULL);

  return sf_face_picker_get_last_error (self->picker);
}

guint64
sf_similarity_view_get_seed (SfSimilarityView *self)
{
  g_return_val_if_fail (SF_IS_SIMILARITY_VIEW (self), 0);

  return self->seed;
}

void
sf_similarity_view_set_seed (SfSimilarityView *self, guint64 seed)
{
  g_return_if_fail (SF_IS_SIMILARITY_VIEW (self));

  if (self->seed == seed)
    return;
  self->seed = seed;
  start_scoring (self);
}

gboolean
sf_similarity_view_get_busy (SfSimilarityView *self)
{
  g_return_val_if_fail (SF_IS_SIMILARITY_VIEW (self), FALSE);

  return self->busy;
}

GtkAdjustment *
sf_similarity_view_get_adjustment (SfSimilarityView *self)
{
  g_return_val_if_fail (SF_IS_SIMILARITY_VIEW (self), NULL);

  return self->threshold_adjustment;
}

void
sf_similarity_view_set_only_matches (SfSimilarityView *self, gboolean only_matches)
{
  g_return_if_fail (SF_IS_SIMILARITY_VIEW (self));

  only_matches = !!only_matches;
  if (self->only_matches == only_matches)
    return;
  self->only_matches = only_matches;
  gtk_toggle_button_set_active (self->only_matches_button, only_matches);
  gtk_filter_changed (GTK_FILTER (self->filter),
                      only_matches ? GTK_FILTER_CHANGE_MORE_STRICT : GTK_FILTER_CHANGE_LESS_STRICT);
  update_summary (self);
}

void
sf_similarity_view_set_sort (SfSimilarityView *self, SfSimilaritySort sort)
{
  g_return_if_fail (SF_IS_SIMILARITY_VIEW (self));

  if (self->sort == sort)
    return;
  self->sort = sort;
  gtk_drop_down_set_selected (self->sort_dropdown, sort == SF_SIMILARITY_SORT_PERSON ? 1 : 0);
  gtk_sorter_changed (GTK_SORTER (self->sorter), GTK_SORTER_CHANGE_DIFFERENT);
}

GListModel *
sf_similarity_view_get_cards (SfSimilarityView *self)
{
  g_return_val_if_fail (SF_IS_SIMILARITY_VIEW (self), NULL);

  return G_LIST_MODEL (self->cards);
}

GtkWidget *
sf_similarity_view_get_card_box (SfSimilarityView *self)
{
  g_return_val_if_fail (SF_IS_SIMILARITY_VIEW (self), NULL);

  return GTK_WIDGET (self->cards_box);
}

const SfEvaluation *
sf_similarity_view_get_evaluation (SfSimilarityView *self)
{
  g_return_val_if_fail (SF_IS_SIMILARITY_VIEW (self), NULL);

  return sf_score_panel_get_evaluation (self->score_panel);
}

const SfMetrics *
sf_similarity_view_get_counts (SfSimilarityView *self)
{
  g_return_val_if_fail (SF_IS_SIMILARITY_VIEW (self), NULL);

  return sf_score_panel_get_counts (self->score_panel);
}

GtkWidget *
sf_similarity_view_new (void)
{
  return g_object_new (SF_TYPE_SIMILARITY_VIEW, NULL);
}
