/* SfSimilarityView: scores are computed once per (model, dataset, test face)
 * on a GTask thread with a copy of the model; results of an older job are
 * dropped by generation. Moving the threshold only recolours, filters and
 * recounts what is already there. */
#include "sf-similarity-view.h"

#include <math.h>
#include <string.h>
#include <adwaita.h>
#include <glib/gi18n.h>

#include "evaluation.h"
#include "image.h"
#include "pairs.h"
#include "rng.h"
#include "sf-face-image.h"
#include "sf-face-paint.h"
#include "sf-file-chooser.h"
#include "sf-notify.h"
#include "sf-score-card.h"
#include "sf-score-charts.h"
#include "sf-score-item.h"

struct _SfSimilarityView
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkStack *stack;
  SfFaceImage *test_image;
  GtkLabel *title_label;
  GtkLabel *subtitle_label;
  GtkSpinner *spinner;
  GtkPopover *pick_popover;
  GtkDropDown *person_dropdown;
  GtkFlowBox *face_box;
  GtkAdjustment *threshold_adjustment;
  GtkScale *threshold_scale;
  GtkLabel *summary_label;
  GtkToggleButton *only_matches_button;
  GtkDropDown *sort_dropdown;
  GtkStack *cards_stack;
  GtkFlowBox *cards_box;
  AdwStatusPage *message_page;
  GtkLabel *validation_label;
  GtkWidget *mismatch_box;
  GtkDrawingArea *histogram_area;
  GtkDrawingArea *roc_area;
  GtkLabel *true_accepts_label;
  GtkLabel *false_accepts_label;
  GtkLabel *true_rejects_label;
  GtkLabel *false_rejects_label;
  GtkLabel *accuracy_label;
  GtkLabel *precision_label;
  GtkLabel *recall_label;
  GtkButton *eer_button;
  GtkButton *best_button;

  /* Owned */
  SfSession *session;
  gulong session_handlers[3];
  GBinding *threshold_binding;
  SfFaceList *faces;            /* the session's dataset when last seen */
  GListStore *items;            /* SfScoreItem */
  GtkSortListModel *cards;      /* items → filter → sorter */
  /* Borrowed (owned by the list models) */
  GtkCustomFilter *filter;
  GtkCustomSorter *sorter;
  SfImage *outside;             /* an outside test image as loaded */
  char *outside_path;
  SfFaceList *outside_list;     /* it, resized like the dataset */
  GtkFileChooserNative *chooser;
  char *last_error;
  char *score_error;

  /* The validation pairs of the current (model, dataset). */
  float *val_scores;
  float *val_truths;
  int n_val;
  SfMetrics metrics;            /* over every threshold */
  SfMetrics counts;             /* at the current threshold */
  SfRocPoint *roc;
  int n_roc;
  gboolean have_validation;
  gboolean other_dataset;
  char *val_error;
  SfSplitKind val_split;

  guint model_key;              /* bumped when the model or the dataset changes */
  guint val_key;                /* the model_key the validation arrays belong to */
  guint generation;             /* of scoring jobs */
  guint load_generation;        /* of image loads */
  int test_index;               /* -1: the outside image */
  guint64 seed;
  gboolean busy;                /* scoring || loading */
  gboolean scoring;
  gboolean loading;
  gboolean only_matches;
  SfSimilaritySort sort;
  float threshold;              /* the last one applied to the cards */
  gboolean syncing_picker;
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
  float *probe;                 /* [size, size] or NULL */
  guint64 seed;
  gboolean want_validation;
  SfTrainSettings settings;
  char *fingerprint;            /* the checkpoint's, may be NULL */
  float threshold;

  /* Results */
  char *error;                  /* the test pairs could not be scored */
  int *partners;                /* [n_pairs] dataset indices */
  float *scores;                /* [n_pairs] */
  int n_pairs;
  gboolean did_validation;
  char *val_error;
  float *val_scores;
  float *val_truths;
  int n_val;
  SfMetrics metrics;
  SfRocPoint *roc;
  int n_roc;
  gboolean other_dataset;
  SfSplitKind val_split;
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
  g_free (job->partners);
  g_free (job->scores);
  g_free (job->val_error);
  g_free (job->val_scores);
  g_free (job->val_truths);
  g_free (job->roc);
  g_free (job);
}

/* The test face against one face of every person: for a dataset face the
 * article's sf_pairs_test; for an outside image one random face of every
 * person, drawn as `siamese-faces-cli similarity --image FILE` draws them. */
static gboolean
score_test_pairs (ScoreJob *job, const SfDataset *dataset, GError **error)
{
  if (job->probe == NULL)
    {
      g_autofree SfPair *pairs = sf_pairs_test (dataset, job->test_index, job->seed, &job->n_pairs);
      job->partners = g_new (int, MAX (job->n_pairs, 1));
      job->scores = g_new (float, MAX (job->n_pairs, 1));
      for (int k = 0; k < job->n_pairs; k++)
        job->partners[k] = pairs[k].b;
      return sf_evaluation_score_pairs (job->model, dataset, pairs, job->n_pairs, job->scores, error);
    }

  SfRng rng;
  sf_rng_seed (&rng, job->seed);
  g_autofree int *counts = sf_dataset_person_counts (dataset);
  job->partners = g_new (int, dataset->n_people);
  job->n_pairs = 0;
  for (int p = 0; p < dataset->n_people; p++)
    {
      if (counts[p] == 0)
        continue;
      int pick = (int) sf_rng_below (&rng, (guint32) counts[p]);
      for (int i = 0; i < dataset->n_images; i++)
        if (dataset->labels[i] == p && pick-- == 0)
          {
            job->partners[job->n_pairs++] = i;
            break;
          }
    }
  job->scores = g_new (float, MAX (job->n_pairs, 1));
  if (job->n_pairs == 0)
    return TRUE;

  /* Image 0 is the probe, images 1 … n its partners. */
  g_autoptr (SfDataset) set = sf_dataset_new (dataset->format, job->n_pairs + 1, dataset->height, dataset->width,
                                              dataset->n_people, error);
  if (set == NULL)
    return FALSE;
  gsize side = (gsize) dataset->height * dataset->width;
  g_autofree SfPair *pairs = g_new (SfPair, job->n_pairs);
  memcpy (set->pixels, job->probe, sizeof (float) * side);
  set->labels[0] = 0;
  for (int k = 0; k < job->n_pairs; k++)
    {
      memcpy (set->pixels + (k + 1) * side, sf_dataset_image (dataset, job->partners[k]), sizeof (float) * side);
      set->labels[k + 1] = dataset->labels[job->partners[k]];
      pairs[k] = (SfPair) { 0, k + 1, 0.0f };
    }
  return sf_evaluation_score_pairs (job->model, set, pairs, job->n_pairs, job->scores, error);
}

/* On the dataset the model was trained on, the very validation pairs of
 * training; on any other, every pair the article's recipe makes (as
 * `siamese-faces-cli eval` does). */
static gboolean
score_validation (ScoreJob *job, const SfDataset *dataset, GError **error)
{
  gboolean same_data = FALSE;
  g_autofree SfPair *evaluated = NULL;
  int n = 0;
  g_autoptr (SfPairSet) pairs = sf_evaluation_pairs (dataset, &job->settings, job->fingerprint, &same_data,
                                                         &evaluated, &n, error);
  if (pairs == NULL)
    return FALSE;
  job->other_dataset = !same_data;
  job->val_split = same_data ? job->settings.split : SF_SPLIT_PAIRS;
  job->val_scores = g_new (float, MAX (n, 1));
  job->val_truths = g_new (float, MAX (n, 1));
  job->n_val = n;
  for (int k = 0; k < n; k++)
    job->val_truths[k] = evaluated[k].same;
  if (!sf_evaluation_score_pairs (job->model, dataset, evaluated, n, job->val_scores, error)
      || !sf_metrics_compute (job->val_scores, job->val_truths, n, job->threshold, &job->metrics, error))
    {
      job->n_val = 0;
      return FALSE;
    }
  job->roc = sf_metrics_roc (job->val_scores, job->val_truths, n, &job->n_roc);
  return TRUE;
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

  if (!score_test_pairs (job, dataset, &error))
    job->error = g_strdup (error->message);
  g_clear_error (&error);

  if (job->want_validation && !g_cancellable_is_cancelled (cancellable))
    {
      job->did_validation = TRUE;
      if (!score_validation (job, dataset, &error))
        job->val_error = g_strdup (error->message);
    }
  g_task_return_boolean (task, TRUE);
}

/* ---- the image load job (worker thread) ---- */

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

static const SfCheckpoint *
current_checkpoint (SfSimilarityView *self)
{
  return self->session != NULL ? sf_session_get_checkpoint (self->session) : NULL;
}

static const SfDataset *
current_dataset (SfSimilarityView *self)
{
  return self->faces != NULL ? sf_face_list_get_dataset (self->faces) : NULL;
}

static void
update_busy (SfSimilarityView *self)
{
  gboolean busy = self->scoring || self->loading;

  if (self->busy == busy)
    return;
  self->busy = busy;
  if (busy)
    gtk_spinner_start (self->spinner);
  else
    gtk_spinner_stop (self->spinner);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
show_error (SfSimilarityView *self, const char *message)
{
  g_free (self->last_error);
  self->last_error = g_strdup (message);
  sf_notify_toast (GTK_WIDGET (self), message, 5);
}

static char *
format_ratio (double value)
{
  return isfinite (value) ? g_strdup_printf ("%.3f", value) : g_strdup ("—");
}

static void
set_count_label (GtkLabel *label, int value)
{
  g_autofree char *text = g_strdup_printf ("%d", value);
  gtk_label_set_label (label, text);
}

static void
set_ratio_label (GtkLabel *label, double value)
{
  g_autofree char *text = format_ratio (value);
  gtk_label_set_label (label, text);
}

static double
operating_far (const SfMetrics *counts)
{
  return counts->n_different > 0 ? (double) counts->false_accepts / counts->n_different : NAN;
}

/* The counts, the charts' descriptions and the summary at the current threshold. */
static void
update_counts (SfSimilarityView *self)
{
  GtkLabel *labels[] = { self->true_accepts_label, self->false_accepts_label, self->true_rejects_label,
                         self->false_rejects_label, self->accuracy_label, self->precision_label,
                         self->recall_label };

  if (!self->have_validation)
    {
      for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
        gtk_label_set_label (labels[i], "—");
    }
  else
    {
      sf_metrics_at_threshold (self->val_scores, self->val_truths, self->n_val, self->threshold, &self->counts);
      set_count_label (self->true_accepts_label, self->counts.true_accepts);
      set_count_label (self->false_accepts_label, self->counts.false_accepts);
      set_count_label (self->true_rejects_label, self->counts.true_rejects);
      set_count_label (self->false_rejects_label, self->counts.false_rejects);
      set_ratio_label (self->accuracy_label, self->counts.accuracy);
      set_ratio_label (self->precision_label, self->counts.precision);
      set_ratio_label (self->recall_label, self->counts.recall);

      g_autofree char *histogram = sf_score_histogram_describe (self->counts.n_same, self->counts.n_different,
                                                                self->threshold);
      g_autofree char *roc = sf_roc_describe (self->metrics.auc, self->threshold, operating_far (&self->counts),
                                              self->counts.recall, self->counts.accuracy);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->histogram_area),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, histogram, -1);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->roc_area),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, roc, -1);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self->histogram_area));
  gtk_widget_queue_draw (GTK_WIDGET (self->roc_area));

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

/* Everything that follows the threshold: cards, filter, counts, charts. */
static void
apply_threshold (SfSimilarityView *self)
{
  float threshold = self->session != NULL ? (float) sf_session_get_threshold (self->session) : 0.5f;
  float old = self->threshold;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->items));

  self->threshold = threshold;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (SfScoreItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), i);
      sf_score_item_set_threshold (item, threshold);
    }
  if (self->only_matches && threshold != old)
    gtk_filter_changed (GTK_FILTER (self->filter),
                        threshold > old ? GTK_FILTER_CHANGE_MORE_STRICT : GTK_FILTER_CHANGE_LESS_STRICT);
  update_counts (self);
}

static const char *
split_description (SfSplitKind kind)
{
  switch (kind)
    {
    case SF_SPLIT_PAIRS:
      return _("a share of the pairs held out");
    case SF_SPLIT_IMAGES:
      return _("a share of each person’s images held out");
    case SF_SPLIT_PEOPLE:
      return _("whole people held out, never seen in training");
    default:
      return "";
    }
}

/* The texts that change only with the validation scores. */
static void
update_validation (SfSimilarityView *self)
{
  gboolean ok = self->have_validation;
  gboolean eer_ok = ok && isfinite (self->metrics.eer) && isfinite (self->metrics.eer_threshold);
  gboolean best_ok = ok && isfinite (self->metrics.best_threshold);

  gtk_widget_set_visible (self->mismatch_box, ok && self->other_dataset);
  if (self->val_error != NULL)
    gtk_label_set_label (self->validation_label, self->val_error);
  else if (!ok)
    gtk_label_set_label (self->validation_label, self->busy ? _("Scoring the validation pairs…") : "");
  else
    {
      g_autofree char *auc = format_ratio (self->metrics.auc);
      g_autofree char *eer = format_ratio (self->metrics.eer);
      g_autofree char *text = NULL;
      if (self->other_dataset)
        /* Translators: pair counts of a dataset the model was not trained on, then AUC and EER. */
        text = g_strdup_printf (_("%d pairs of this dataset: %d of the same person, %d of different people. AUC %s, equal error rate %s."),
                                self->n_val, self->metrics.n_same, self->metrics.n_different, auc, eer);
      else
        /* Translators: validation pair counts, the split (e.g. "whole people held out"), then AUC and EER. */
        text = g_strdup_printf (_("%d pairs held out in training (%s): %d of the same person, %d of different people. AUC %s, equal error rate %s."),
                                self->n_val, split_description (self->val_split), self->metrics.n_same,
                                self->metrics.n_different, auc, eer);
      gtk_label_set_label (self->validation_label, text);
    }

  g_autofree char *eer_label = eer_ok ? g_strdup_printf (_("Use _EER Threshold (%.3f)"), self->metrics.eer_threshold)
                                      : g_strdup (_("Use _EER Threshold"));
  g_autofree char *best_label = best_ok ? g_strdup_printf (_("Use _Best-Accuracy Threshold (%.3f)"),
                                                           self->metrics.best_threshold)
                                        : g_strdup (_("Use _Best-Accuracy Threshold"));
  /* The two points also as marks on the slider, to aim at by eye. */
  gtk_scale_clear_marks (self->threshold_scale);
  if (eer_ok)
    /* Translators: a mark on the threshold slider at the equal error rate's threshold. */
    gtk_scale_add_mark (self->threshold_scale, self->metrics.eer_threshold, GTK_POS_BOTTOM, _("EER"));
  if (best_ok)
    /* Translators: a mark on the threshold slider at the threshold of best accuracy. */
    gtk_scale_add_mark (self->threshold_scale, self->metrics.best_threshold, GTK_POS_TOP, _("best"));
  gtk_button_set_label (self->eer_button, eer_label);
  gtk_button_set_label (self->best_button, best_label);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "similarity.use-eer-threshold", eer_ok);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "similarity.use-best-threshold", best_ok);
}

static void
clear_validation (SfSimilarityView *self)
{
  g_clear_pointer (&self->val_scores, g_free);
  g_clear_pointer (&self->val_truths, g_free);
  g_clear_pointer (&self->roc, g_free);
  g_clear_pointer (&self->val_error, g_free);
  self->n_val = 0;
  self->n_roc = 0;
  self->have_validation = FALSE;
  self->other_dataset = FALSE;
  memset (&self->metrics, 0, sizeof self->metrics);
  memset (&self->counts, 0, sizeof self->counts);
}

/* The face the cards pair with everyone, as an SfFace; NULL when there is none. */
static SfFace *
dup_test_face (SfSimilarityView *self)
{
  if (self->test_index < 0)
    return self->outside_list != NULL ? sf_face_new (self->outside_list, 0) : NULL;
  if (self->faces != NULL && self->test_index < current_dataset (self)->n_images)
    return sf_face_new (self->faces, self->test_index);
  return NULL;
}

static void
update_header (SfSimilarityView *self)
{
  g_autoptr (SfFace) face = dup_test_face (self);
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
  if (self->test_index >= 0)
    {
      g_autofree char *description = sf_face_dup_description (face);
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
      g_autofree char *name = g_path_get_basename (self->outside_path);
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

static void
score_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SfSimilarityView *self = SF_SIMILARITY_VIEW (source);
  ScoreJob *job = g_task_get_task_data (G_TASK (result));

  if (job->generation != self->generation || self->faces != job->faces)
    return;   /* an older job, or the view was disposed */

  g_clear_pointer (&self->score_error, g_free);
  self->score_error = g_strdup (job->error);

  if (job->did_validation)
    {
      clear_validation (self);
      self->val_key = job->model_key;
      self->val_error = g_strdup (job->val_error);
      if (job->val_error == NULL)
        {
          self->val_scores = g_steal_pointer (&job->val_scores);
          self->val_truths = g_steal_pointer (&job->val_truths);
          self->n_val = job->n_val;
          self->metrics = job->metrics;
          self->roc = g_steal_pointer (&job->roc);
          self->n_roc = job->n_roc;
          self->other_dataset = job->other_dataset;
          self->val_split = job->val_split;
          self->have_validation = TRUE;
        }
    }

  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (SfFace) test = dup_test_face (self);
  if (job->error == NULL && test != NULL)
    {
      const SfDataset *dataset = current_dataset (self);
      float threshold = self->session != NULL ? (float) sf_session_get_threshold (self->session) : 0.5f;
      int own = job->test_index >= 0 ? dataset->labels[job->test_index] : -1;
      for (int k = 0; k < job->n_pairs; k++)
        {
          g_autoptr (SfFace) partner = sf_face_new (self->faces, job->partners[k]);
          int truth = own < 0 ? -1 : dataset->labels[job->partners[k]] == own;
          SfScoreItem *item = sf_score_item_new (test, partner, job->scores[k], truth);
          sf_score_item_set_threshold (item, threshold);
          g_ptr_array_add (items, item);
        }
      self->threshold = threshold;
    }
  g_list_store_splice (self->items, 0, g_list_model_get_n_items (G_LIST_MODEL (self->items)),
                       items->pdata, items->len);

  self->scoring = FALSE;
  update_busy (self);
  if (job->error != NULL)
    show_message (self, _("Cannot Score This Dataset"), job->error);
  else if (items->len == 0)
    show_message (self, _("No Pairs"), _("This dataset has no other face to pair the test face with."));
  update_validation (self);
  apply_threshold (self);
}

/* Scores the test face's pairs, and the validation pairs if the model or the
 * dataset changed since they were scored. */
static void
start_scoring (SfSimilarityView *self)
{
  const SfCheckpoint *checkpoint = current_checkpoint (self);
  const SfDataset *dataset = current_dataset (self);

  self->generation++;
  if (checkpoint == NULL || dataset == NULL)
    {
      self->scoring = FALSE;
      update_busy (self);
      return;
    }
  if (self->test_index >= dataset->n_images)
    self->test_index = 0;
  if (self->test_index < 0 && self->outside_list == NULL)
    self->test_index = 0;
  update_header (self);

  ScoreJob *job = g_new0 (ScoreJob, 1);
  job->generation = self->generation;
  job->model_key = self->model_key;
  job->model = sf_model_copy (checkpoint->model);
  job->faces = g_object_ref (self->faces);
  job->test_index = self->test_index;
  if (self->test_index < 0)
    {
      const SfDataset *outside = sf_face_list_get_dataset (self->outside_list);
      job->probe = g_memdup2 (outside->pixels, sizeof (float) * outside->width * outside->height);
    }
  job->seed = self->seed;
  job->want_validation = self->val_key != self->model_key;
  sf_train_settings_copy (&job->settings, &checkpoint->settings);
  job->fingerprint = g_strdup (checkpoint->dataset_fingerprint);
  job->threshold = self->session != NULL ? (float) sf_session_get_threshold (self->session) : 0.5f;

  if (job->want_validation)
    clear_validation (self);
  self->scoring = TRUE;
  update_busy (self);
  update_validation (self);

  g_autoptr (GTask) task = g_task_new (self, NULL, score_done_cb, NULL);
  g_task_set_source_tag (task, start_scoring);
  g_task_set_task_data (task, job, score_job_free);
  g_task_run_in_thread (task, score_thread);
}

/* The outside image resized like the open dataset, as a one-face list. */
static void
rebuild_outside_list (SfSimilarityView *self)
{
  const SfDataset *dataset = current_dataset (self);

  g_clear_object (&self->outside_list);
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
  self->outside_list = sf_face_list_new (one);
}

static void
load_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SfSimilarityView *self = SF_SIMILARITY_VIEW (source);
  LoadJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  if (job->generation != self->load_generation || self->session == NULL)
    return;
  self->loading = FALSE;
  update_busy (self);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      show_error (self, error->message);
      return;
    }

  g_clear_pointer (&self->outside, sf_image_free);
  self->outside = g_steal_pointer (&job->image);
  g_free (self->outside_path);
  self->outside_path = g_strdup (job->path);
  g_clear_pointer (&self->last_error, g_free);
  rebuild_outside_list (self);
  self->test_index = -1;
  gtk_flow_box_unselect_all (self->face_box);
  start_scoring (self);
}

/* ---- the test face picker ---- */

static void
fill_face_box (SfSimilarityView *self, int person)
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
      GtkWidget *image = sf_face_image_new ();
      sf_face_image_set_face (SF_FACE_IMAGE (image), face);
      sf_face_image_set_zoom (SF_FACE_IMAGE (image), sf_zoom_for_target (dataset->width, 64));
      GtkWidget *cell = gtk_flow_box_child_new ();
      gtk_flow_box_child_set_child (GTK_FLOW_BOX_CHILD (cell), image);
      gtk_widget_set_tooltip_text (cell, description);
      gtk_accessible_update_property (GTK_ACCESSIBLE (cell), GTK_ACCESSIBLE_PROPERTY_LABEL, description, -1);
      g_object_set_data (G_OBJECT (cell), "sf-image-index", GINT_TO_POINTER (i));
      gtk_flow_box_append (self->face_box, cell);
      if (i == self->test_index)
        gtk_flow_box_select_child (self->face_box, GTK_FLOW_BOX_CHILD (cell));
    }
}

static void
person_selected_cb (GtkDropDown *dropdown, GParamSpec *pspec, SfSimilarityView *self)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  fill_face_box (self, selected == GTK_INVALID_LIST_POSITION ? -1 : (int) selected);
}

static void
face_activated_cb (GtkFlowBox *box, GtkFlowBoxChild *child, SfSimilarityView *self)
{
  int index = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (child), "sf-image-index"));

  gtk_popover_popdown (self->pick_popover);
  sf_similarity_view_set_test_face (self, index);
}

/* The person list follows the dataset; the picker opens at the test face's person. */
static void
rebuild_people (SfSimilarityView *self)
{
  const SfDataset *dataset = current_dataset (self);
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);

  if (dataset != NULL)
    for (int p = 0; p < dataset->n_people; p++)
      gtk_string_list_append (names, dataset->person_names[p]);
  g_autoptr (GtkExpression) expression = gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string");
  gtk_drop_down_set_expression (self->person_dropdown, expression);
  gtk_drop_down_set_model (self->person_dropdown, G_LIST_MODEL (names));
}

static void
sync_picker (SfSimilarityView *self)
{
  const SfDataset *dataset = current_dataset (self);

  if (dataset == NULL || self->test_index < 0 || self->test_index >= dataset->n_images)
    return;
  guint person = (guint) dataset->labels[self->test_index];
  if (gtk_drop_down_get_selected (self->person_dropdown) != person)
    gtk_drop_down_set_selected (self->person_dropdown, person);   /* refills the faces */
  else
    fill_face_box (self, (int) person);
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

/* ---- charts ---- */

static void
chart_style (GtkWidget *widget, SfScoreChartStyle *style)
{
  GtkStyleContext *context = gtk_widget_get_style_context (widget);

  sf_score_chart_style_init_default (style);
  gtk_style_context_get_color (context, &style->foreground);
  gtk_style_context_lookup_color (context, "success_color", &style->same);
  gtk_style_context_lookup_color (context, "warning_color", &style->different);
  gtk_style_context_lookup_color (context, "accent_color", &style->accent);
  gtk_style_context_lookup_color (context, "window_bg_color", &style->background);
  style->font = pango_context_get_font_description (gtk_widget_get_pango_context (widget));
}

static void
draw_histogram_cb (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
  SfSimilarityView *self = user_data;
  SfScoreChartStyle style;

  chart_style (GTK_WIDGET (area), &style);
  sf_score_histogram_draw (cr, width, height, &style, self->val_scores, self->val_truths,
                           self->have_validation ? self->n_val : 0, self->threshold);
}

static void
draw_roc_cb (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
  SfSimilarityView *self = user_data;
  SfScoreChartStyle style;

  chart_style (GTK_WIDGET (area), &style);
  if (self->have_validation)
    sf_roc_draw (cr, width, height, &style, self->roc, self->n_roc, self->metrics.auc,
                 operating_far (&self->counts), self->counts.recall);
  else
    sf_roc_draw (cr, width, height, &style, NULL, 0, NAN, NAN, NAN);
}

/* ---- actions ---- */

static void
image_chosen (gpointer owner, const char *const *paths)
{
  sf_similarity_view_open_image (owner, paths[0]);
}

static void
open_image_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfSimilarityView *self = SF_SIMILARITY_VIEW (widget);

  gtk_popover_popdown (self->pick_popover);
  if (self->chooser != NULL)
    return;
  sf_file_chooser_open_images (&self->chooser, widget, _("Open Test Face"), _("_Open"), FALSE, image_chosen, self);
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

  if (!self->have_validation || self->session == NULL)
    return;
  float threshold = g_str_equal (action_name, "similarity.use-eer-threshold") ? self->metrics.eer_threshold
                                                                               : self->metrics.best_threshold;
  if (isfinite (threshold))
    sf_session_set_threshold (self->session, threshold);
}

/* ---- session ---- */

static void
update_page (SfSimilarityView *self)
{
  gboolean ready = current_checkpoint (self) != NULL && self->faces != NULL;

  gtk_stack_set_visible_child_name (self->stack, ready ? "main" : "empty");
}

static void
model_or_faces_changed (SfSimilarityView *self)
{
  SfFaceList *faces = self->session != NULL ? sf_session_get_faces (self->session) : NULL;

  self->model_key++;
  clear_validation (self);
  if (faces != self->faces)
    {
      g_set_object (&self->faces, faces);
      rebuild_people (self);
      rebuild_outside_list (self);
      if (self->test_index < 0 && self->outside_list == NULL)
        self->test_index = 0;
      sync_picker (self);
    }
  g_list_store_remove_all (self->items);
  g_clear_pointer (&self->score_error, g_free);
  update_page (self);
  update_header (self);
  update_validation (self);
  update_counts (self);
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
  if (self->threshold_binding != NULL)
    g_binding_unbind (self->threshold_binding);
  self->threshold_binding = NULL;
  g_clear_object (&self->session);
}

static void
sf_similarity_view_dispose (GObject *object)
{
  SfSimilarityView *self = SF_SIMILARITY_VIEW (object);
  GtkWidget *child;

  self->generation++;
  self->load_generation++;
  disconnect_session (self);
  sf_file_chooser_clear (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), SF_TYPE_SIMILARITY_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->cards);
  g_clear_object (&self->items);
  g_clear_object (&self->faces);
  g_clear_object (&self->outside_list);
  g_clear_pointer (&self->outside, sf_image_free);

  G_OBJECT_CLASS (sf_similarity_view_parent_class)->dispose (object);
}

static void
sf_similarity_view_finalize (GObject *object)
{
  SfSimilarityView *self = SF_SIMILARITY_VIEW (object);

  clear_validation (self);
  g_free (self->outside_path);
  g_free (self->last_error);
  g_free (self->score_error);

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
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-similarity-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, stack);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, test_image);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, title_label);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, spinner);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, pick_popover);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, person_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, face_box);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, threshold_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, threshold_scale);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, summary_label);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, only_matches_button);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, sort_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, cards_stack);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, cards_box);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, message_page);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, validation_label);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, mismatch_box);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, histogram_area);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, roc_area);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, true_accepts_label);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, false_accepts_label);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, true_rejects_label);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, false_rejects_label);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, accuracy_label);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, precision_label);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, recall_label);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, eer_button);
  gtk_widget_class_bind_template_child (widget_class, SfSimilarityView, best_button);

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

  self->threshold = 0.5f;
  self->items = g_list_store_new (SF_TYPE_SCORE_ITEM);
  self->filter = gtk_custom_filter_new (filter_cb, self, NULL);
  self->sorter = gtk_custom_sorter_new (sort_cb, self, NULL);
  GtkFilterListModel *filtered = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (self->items)),
                                                            GTK_FILTER (self->filter));
  self->cards = gtk_sort_list_model_new (G_LIST_MODEL (filtered), GTK_SORTER (self->sorter));
  gtk_flow_box_bind_model (self->cards_box, G_LIST_MODEL (self->cards), create_card_cb, self, NULL);

  g_signal_connect (self->only_matches_button, "toggled", G_CALLBACK (only_matches_toggled_cb), self);
  g_signal_connect (self->sort_dropdown, "notify::selected", G_CALLBACK (sort_selected_cb), self);
  g_signal_connect (self->person_dropdown, "notify::selected", G_CALLBACK (person_selected_cb), self);
  g_signal_connect (self->face_box, "child-activated", G_CALLBACK (face_activated_cb), self);
  gtk_drawing_area_set_draw_func (self->histogram_area, draw_histogram_cb, self, NULL);
  gtk_drawing_area_set_draw_func (self->roc_area, draw_roc_cb, self, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->histogram_area), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Histogram of same-person and different-person scores"), -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->roc_area), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("ROC curve"), -1);
  update_page (self);
  update_validation (self);
  update_counts (self);
}

GtkWidget *
sf_similarity_view_new (void)
{
  return g_object_new (SF_TYPE_SIMILARITY_VIEW, NULL);
}

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
      self->threshold_binding = g_object_bind_property (session, "threshold", self->threshold_adjustment, "value",
                                                        G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
    }
  model_or_faces_changed (self);
}

void
sf_similarity_view_set_test_face (SfSimilarityView *self, int index)
{
  g_return_if_fail (SF_IS_SIMILARITY_VIEW (self));
  const SfDataset *dataset = current_dataset (self);
  g_return_if_fail (dataset != NULL && index >= 0 && index < dataset->n_images);

  self->load_generation++;   /* a pending image load no longer wins */
  self->loading = FALSE;
  if (index == self->test_index && self->busy == FALSE && g_list_model_get_n_items (G_LIST_MODEL (self->items)) > 0)
    return;
  self->test_index = index;
  sync_picker (self);
  start_scoring (self);
}

int
sf_similarity_view_get_test_face (SfSimilarityView *self)
{
  g_return_val_if_fail (SF_IS_SIMILARITY_VIEW (self), -1);

  return self->test_index;
}

void
sf_similarity_view_open_image (SfSimilarityView *self, const char *path)
{
  g_return_if_fail (SF_IS_SIMILARITY_VIEW (self));
  g_return_if_fail (path != NULL);

  LoadJob *job = g_new0 (LoadJob, 1);
  job->generation = ++self->load_generation;
  job->path = g_strdup (path);
  g_autoptr (GTask) task = g_task_new (self, NULL, load_done_cb, NULL);
  g_task_set_source_tag (task, sf_similarity_view_open_image);
  g_task_set_task_data (task, job, load_job_free);
  self->loading = TRUE;
  update_busy (self);
  g_task_run_in_thread (task, load_thread);
}

const char *
sf_similarity_view_get_last_error (SfSimilarityView *self)
{
  g_return_val_if_fail (SF_IS_SIMILARITY_VIEW (self), NULL);

  return self->last_error;
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
  update_counts (self);
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

const float *
sf_similarity_view_get_validation (SfSimilarityView *self, const float **truths, int *n)
{
  g_return_val_if_fail (SF_IS_SIMILARITY_VIEW (self), NULL);

  if (truths != NULL)
    *truths = self->have_validation ? self->val_truths : NULL;
  if (n != NULL)
    *n = self->have_validation ? self->n_val : 0;
  return self->have_validation ? self->val_scores : NULL;
}

const SfMetrics *
sf_similarity_view_get_metrics (SfSimilarityView *self)
{
  g_return_val_if_fail (SF_IS_SIMILARITY_VIEW (self), NULL);

  return self->have_validation ? &self->metrics : NULL;
}

const SfMetrics *
sf_similarity_view_get_counts (SfSimilarityView *self)
{
  g_return_val_if_fail (SF_IS_SIMILARITY_VIEW (self), NULL);

  return self->have_validation ? &self->counts : NULL;
}

gboolean
sf_similarity_view_get_other_dataset (SfSimilarityView *self)
{
  g_return_val_if_fail (SF_IS_SIMILARITY_VIEW (self), FALSE);

  return self->other_dataset;
}
