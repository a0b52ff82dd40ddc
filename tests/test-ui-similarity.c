/* The Similarity view in the real window under Xvfb, with a tiny model
 * trained here: the cards' scores, the highlighted set and the counts at a
 * threshold set through the slider's adjustment, all checked against the
 * engine (sf_pairs_test, sf_evaluation_score_pairs, sf_metrics_*) on its own copy of
 * the model; the EER and best-accuracy buttons; outside and bad image files;
 * another dataset's fingerprint. Also the chart drawing on an image surface. */
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "evaluation.h"
#include "pairs.h"
#include "sf-application.h"
#include "sf-score-card.h"
#include "sf-score-charts.h"
#include "sf-score-item.h"
#include "sf-screenshots.h"
#include "sf-similarity-view.h"
#include "sf-test-files.h"
#include "sf-test-model.h"
#include "sf-test-ui.h"
#include "sf-window.h"

static SfApplication *app;
static SfWindow *window;
static SfSimilarityView *view;
static char *tmp_dir;

static gboolean
view_idle (gpointer data)
{
  return !sf_similarity_view_get_busy (view);
}

static const char *
label_text (const char *name)
{
  GtkWidget *label = sf_test_find_widget (GTK_WIDGET (view), GTK_TYPE_LABEL, name);

  g_assert_nonnull (label);
  return gtk_label_get_text (GTK_LABEL (label));
}

static SfSession *
session (void)
{
  return sf_window_get_session (window);
}

static const SfDataset *
dataset (void)
{
  return sf_face_list_get_dataset (sf_window_get_faces (window));
}

/* The engine's scores of pairs with its own copy of the current model. */
static float *
engine_scores (const SfPair *pairs, int n)
{
  g_autoptr (SfModel) model = sf_model_copy (sf_session_get_checkpoint (session ())->model);
  g_autoptr (GError) error = NULL;
  float *scores = g_new (float, MAX (n, 1));

  g_assert_true (sf_evaluation_score_pairs (model, dataset (), pairs, n, scores, &error));
  g_assert_no_error (error);
  return scores;
}

/* The cards as widgets, in the order shown. */
static GPtrArray *
shown_cards (void)
{
  GPtrArray *cards = g_ptr_array_new ();
  GtkWidget *box = sf_similarity_view_get_card_box (view);

  for (GtkWidget *child = gtk_widget_get_first_child (box); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *card = gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (child));
      g_assert_true (SF_IS_SCORE_CARD (card));
      g_ptr_array_add (cards, card);
    }
  return cards;
}

static void
set_threshold (double value)
{
  gtk_adjustment_set_value (sf_similarity_view_get_adjustment (view), value);
  sf_test_settle (window);
  g_assert_cmpfloat_with_epsilon (sf_session_get_threshold (session ()), value, 1e-12);
}

/* ---- charts, no window needed ---- */

static guint
count_pixels (cairo_surface_t *surface, guint32 colour_not)
{
  cairo_surface_flush (surface);
  int stride = cairo_image_surface_get_stride (surface);
  int width = cairo_image_surface_get_width (surface);
  int height = cairo_image_surface_get_height (surface);
  const guint8 *data = cairo_image_surface_get_data (surface);
  guint n = 0;

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      n += (((const guint32 *) (data + y * stride))[x] & 0xffffff) != colour_not;
  return n;
}

static void
test_charts (void)
{
  float scores[] = { 0.9f, 0.95f, 0.8f, 1.0f, 0.1f, 0.2f, 0.3f, 0.85f, 0.0f, 0.5f };
  float truths[] = { 1, 1, 1, 1, 0, 0, 0, 0, 0, 1 };
  int n = G_N_ELEMENTS (scores);
  int same[10], different[10];

  sf_score_histogram_bin (scores, truths, n, 10, same, different);
  g_assert_cmpint (same[9], ==, 3);        /* 0.9, 0.95 and 1.0: a score of 1 goes into the last bin */
  g_assert_cmpint (same[8], ==, 1);
  g_assert_cmpint (same[5], ==, 1);
  g_assert_cmpint (different[0], ==, 1);
  g_assert_cmpint (different[8], ==, 1);
  g_assert_cmpint (sf_score_count_tick_step (7, 4), ==, 2);
  g_assert_cmpint (sf_score_count_tick_step (40, 4), ==, 10);
  g_assert_cmpint (sf_score_count_tick_step (3, 4), ==, 1);
  g_assert_cmpint (sf_score_count_tick_step (130, 5), ==, 50);

  SfScoreChartStyle style;
  sf_score_chart_style_init_default (&style);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 320, 200);
  cairo_t *cr = cairo_create (surface);

  /* Empty axes draw something; the histogram adds bars of both colours. */
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  sf_score_histogram_draw (cr, 320, 200, &style, NULL, NULL, 0, 0.5);
  guint empty = count_pixels (surface, 0xffffff);
  g_assert_cmpuint (empty, >, 500);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  sf_score_histogram_draw (cr, 320, 200, &style, scores, truths, n, 0.5);
  guint full = count_pixels (surface, 0xffffff);
  g_assert_cmpuint (full, >, empty + 500);

  /* The ROC curve of these scores, with its operating point. */
  int n_points = 0;
  g_autofree SfRocPoint *roc = sf_metrics_roc (scores, truths, n, &n_points);
  g_assert_nonnull (roc);
  SfMetrics metrics;
  g_assert_true (sf_metrics_compute (scores, truths, n, 0.5f, &metrics, NULL));
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  sf_roc_draw (cr, 320, 200, &style, NULL, 0, NAN, NAN, NAN);
  empty = count_pixels (surface, 0xffffff);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  sf_roc_draw (cr, 320, 200, &style, roc, n_points, metrics.auc,
               (double) metrics.false_accepts / metrics.n_different, metrics.recall);
  full = count_pixels (surface, 0xffffff);
  g_assert_cmpuint (full, >, empty + 200);

  /* A box too small for a plot draws nothing and does not crash. */
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  sf_score_histogram_draw (cr, 30, 20, &style, scores, truths, n, 0.5);
  sf_roc_draw (cr, 30, 20, &style, roc, n_points, metrics.auc, 0.1, 0.9);
  g_assert_cmpuint (count_pixels (surface, 0xffffff), ==, 0);

  /* Both charts of 800 validation pairs, as the slider redraws them. */
  float many_scores[800], many_truths[800];
  for (int k = 0; k < 800; k++)
    {
      many_truths[k] = k % 2;
      many_scores[k] = (float) ((k * 7919) % 1000) / 1000.0f * 0.7f + 0.3f * many_truths[k];
    }
  int n_many = 0;
  g_autofree SfRocPoint *many_roc = sf_metrics_roc (many_scores, many_truths, 800, &n_many);
  gint64 start = g_get_monotonic_time ();
  for (int i = 0; i < 20; i++)
    {
      sf_score_histogram_draw (cr, 320, 200, &style, many_scores, many_truths, 800, i / 20.0);
      sf_roc_draw (cr, 320, 200, &style, many_roc, n_many, 0.9, 0.1, 0.8);
    }
  double per_frame_ms = (g_get_monotonic_time () - start) / 20.0 / 1000.0;
  g_test_message ("both charts of 800 pairs draw in %.2f ms", per_frame_ms);
  g_assert_cmpfloat (per_frame_ms, <, 16.0);

  if (g_getenv ("SF_KEEP_SCREENSHOTS") != NULL)
    {
      g_autofree char *path = g_build_filename (g_getenv ("SF_KEEP_SCREENSHOTS"), "roc-test.png", NULL);
      cairo_surface_write_to_png (surface, path);
    }
  cairo_destroy (cr);
  cairo_surface_destroy (surface);

  g_autofree char *description = sf_roc_describe (0.97, 0.5, 0.05, 0.9, 0.93);
  g_assert_nonnull (strstr (description, "AUC 0.970"));
  g_assert_nonnull (strstr (description, "accuracy 0.930"));
}

/* ---- the view in the window ---- */

static void
test_no_model (void)
{
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "similarity");
  sf_test_settle (window);
  g_assert_null (sf_session_get_checkpoint (session ()));
  GtkWidget *page = sf_test_find_widget (GTK_WIDGET (view), ADW_TYPE_STATUS_PAGE, NULL);
  g_assert_nonnull (page);
  g_assert_true (gtk_widget_get_mapped (page));
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (page)), ==, "No Model Yet");
  g_assert_cmpuint (g_list_model_get_n_items (sf_similarity_view_get_cards (view)), ==, 0);
}

static void
test_scores (void)
{
  g_autoptr (GError) error = NULL;
  SfCheckpoint *checkpoint = sf_test_train_checkpoint (dataset (), 3, &error);
  g_assert_no_error (error);
  g_assert_nonnull (checkpoint);
  sf_session_set_checkpoint (session (), checkpoint, NULL);
  sf_test_settle (window);
  sf_test_wait_until (view_idle, NULL, "the first scores");
  sf_test_settle (window);
  g_assert_cmpuint (g_list_model_get_n_items (sf_similarity_view_get_cards (view)), ==, dataset ()->n_people);

  /* Another test face, as the picker would set it. */
  const int test = 23;
  sf_similarity_view_set_test_face (view, test);
  g_assert_true (sf_similarity_view_get_busy (view));
  sf_test_wait_until (view_idle, NULL, "the scores of face 23");
  sf_test_settle (window);
  g_assert_cmpint (sf_similarity_view_get_test_face (view), ==, test);

  /* The engine's own test pairs and scores. */
  int n_pairs = 0;
  g_autofree SfPair *pairs = sf_pairs_test (dataset (), test, sf_similarity_view_get_seed (view), &n_pairs);
  g_assert_cmpint (n_pairs, ==, dataset ()->n_people);
  g_autofree float *expected = engine_scores (pairs, n_pairs);
  GListModel *cards = sf_similarity_view_get_cards (view);
  g_assert_cmpuint (g_list_model_get_n_items (cards), ==, n_pairs);
  for (int k = 0; k < n_pairs; k++)
    {
      gboolean found = FALSE;
      for (guint i = 0; i < g_list_model_get_n_items (cards); i++)
        {
          g_autoptr (SfScoreItem) item = g_list_model_get_item (cards, i);
          if (sf_face_get_index (sf_score_item_get_partner (item)) == pairs[k].b)
            {
              g_assert_cmpfloat_with_epsilon (sf_score_item_get_score (item), expected[k], 1e-5);
              g_assert_cmpint (sf_score_item_get_truth (item), ==, pairs[k].same > 0.5f);
              found = TRUE;
            }
        }
      g_assert_true (found);
    }

  /* Sorted by score, highest first. */
  for (guint i = 1; i < g_list_model_get_n_items (cards); i++)
    {
      g_autoptr (SfScoreItem) a = g_list_model_get_item (cards, i - 1);
      g_autoptr (SfScoreItem) b = g_list_model_get_item (cards, i);
      g_assert_cmpfloat (sf_score_item_get_score (a), >=, sf_score_item_get_score (b));
    }

  /* Thresholds between the middle scores and at the extremes: the
   * highlighted cards are exactly those the engine's scores accept. */
  g_autofree float *sorted = g_memdup2 (expected, sizeof (float) * n_pairs);
  for (int i = 0; i < n_pairs; i++)
    for (int j = i + 1; j < n_pairs; j++)
      if (sorted[j] < sorted[i])
        {
          float t = sorted[i];
          sorted[i] = sorted[j];
          sorted[j] = t;
        }
  double thresholds[] = { (sorted[n_pairs / 2 - 1] + sorted[n_pairs / 2]) / 2.0,
                          (sorted[n_pairs - 3] + sorted[n_pairs - 2]) / 2.0, 0.0, 1.0 };
  g_assert_cmpfloat (sorted[0], <, sorted[n_pairs - 1]);   /* the tiny model tells faces apart a little */

  const float *val_truths = NULL;
  int n_val = 0;
  const float *val_scores = sf_similarity_view_get_validation (view, &val_truths, &n_val);
  g_assert_nonnull (val_scores);
  g_assert_cmpint (n_val, >, 0);
  g_assert_false (sf_similarity_view_get_other_dataset (view));

  /* The validation pairs regenerated from the checkpoint's settings, scored by the engine. */
  const SfTrainSettings *s = &sf_session_get_checkpoint (session ())->settings;
  g_autoptr (SfPairSet) set = sf_pairs_generate (dataset (), s->split, s->split_share, s->seed, &error);
  g_assert_no_error (error);
  g_assert_cmpint (set->n_validation, ==, n_val);
  g_autofree float *engine_val = engine_scores (set->validation, set->n_validation);
  g_autofree float *engine_truths = g_new (float, n_val);
  for (int k = 0; k < n_val; k++)
    {
      engine_truths[k] = set->validation[k].same;
      g_assert_cmpfloat (val_truths[k], ==, engine_truths[k]);
      g_assert_cmpfloat_with_epsilon (val_scores[k], engine_val[k], 1e-5);
    }

  for (guint t = 0; t < G_N_ELEMENTS (thresholds); t++)
    {
      set_threshold (thresholds[t]);
      float threshold = (float) thresholds[t];

      g_autoptr (GPtrArray) shown = shown_cards ();
      g_assert_cmpuint (shown->len, ==, n_pairs);
      int n_accepted = 0;
      for (guint i = 0; i < shown->len; i++)
        {
          SfScoreCard *card = shown->pdata[i];
          SfScoreItem *item = sf_score_card_get_item (card);
          int partner = sf_face_get_index (sf_score_item_get_partner (item));
          int k = 0;
          while (pairs[k].b != partner)
            k++;
          gboolean accept = expected[k] >= threshold;
          n_accepted += accept;
          g_assert_cmpint (gtk_widget_has_css_class (GTK_WIDGET (card), "accepted"), ==, accept);
          g_assert_cmpint (sf_score_item_get_accepted (item), ==, accept);
          g_assert_cmpint (sf_score_item_get_right (item), ==, accept == (pairs[k].same > 0.5f));
        }
      g_autofree char *summary = g_strdup_printf ("%d of %d pairs at or above the threshold", n_accepted, n_pairs);
      g_assert_true (g_str_has_prefix (label_text ("summary"), summary));

      /* The counts against the engine's, and as the labels show them. */
      SfMetrics m;
      sf_metrics_at_threshold (engine_val, engine_truths, n_val, threshold, &m);
      const SfMetrics *counts = sf_similarity_view_get_counts (view);
      g_assert_cmpint (counts->true_accepts, ==, m.true_accepts);
      g_assert_cmpint (counts->false_accepts, ==, m.false_accepts);
      g_assert_cmpint (counts->true_rejects, ==, m.true_rejects);
      g_assert_cmpint (counts->false_rejects, ==, m.false_rejects);
      g_autofree char *ta = g_strdup_printf ("%d", m.true_accepts);
      g_autofree char *fa = g_strdup_printf ("%d", m.false_accepts);
      g_autofree char *tr = g_strdup_printf ("%d", m.true_rejects);
      g_autofree char *fr = g_strdup_printf ("%d", m.false_rejects);
      g_autofree char *accuracy = g_strdup_printf ("%.3f", m.accuracy);
      g_assert_cmpstr (label_text ("true-accepts"), ==, ta);
      g_assert_cmpstr (label_text ("false-accepts"), ==, fa);
      g_assert_cmpstr (label_text ("true-rejects"), ==, tr);
      g_assert_cmpstr (label_text ("false-rejects"), ==, fr);
      g_assert_cmpstr (label_text ("accuracy"), ==, accuracy);
      if (isfinite (m.precision))
        {
          g_autofree char *precision = g_strdup_printf ("%.3f", m.precision);
          g_assert_cmpstr (label_text ("precision"), ==, precision);
        }
      else
        g_assert_cmpstr (label_text ("precision"), ==, "—");
      g_autofree char *recall = g_strdup_printf ("%.3f", m.recall);
      g_assert_cmpstr (label_text ("recall"), ==, recall);

      /* Only matches: exactly the accepted cards remain. */
      sf_similarity_view_set_only_matches (view, TRUE);
      sf_test_settle (window);
      g_autoptr (GPtrArray) matches = shown_cards ();
      g_assert_cmpuint (matches->len, ==, n_accepted);
      for (guint i = 0; i < matches->len; i++)
        g_assert_true (gtk_widget_has_css_class (matches->pdata[i], "accepted"));
      sf_similarity_view_set_only_matches (view, FALSE);
      sf_test_settle (window);
    }

  /* With only matches on, moving the slider filters at once. */
  sf_similarity_view_set_only_matches (view, TRUE);
  set_threshold (thresholds[0]);
  guint at_middle = g_list_model_get_n_items (cards);
  set_threshold (thresholds[1]);
  guint at_top = g_list_model_get_n_items (cards);
  g_assert_cmpuint (at_top, <, at_middle);
  g_assert_cmpuint (at_top, ==, 2);
  sf_similarity_view_set_only_matches (view, FALSE);

  /* By person: the dataset's person order. */
  sf_similarity_view_set_sort (view, SF_SIMILARITY_SORT_PERSON);
  sf_test_settle (window);
  for (guint i = 0; i < g_list_model_get_n_items (cards); i++)
    {
      g_autoptr (SfScoreItem) item = g_list_model_get_item (cards, i);
      g_assert_cmpint (sf_score_item_get_person (item), ==, (int) i);
    }
  sf_similarity_view_set_sort (view, SF_SIMILARITY_SORT_SCORE);

  /* Slider steps recompute nothing: time 200 of them (no drawing in between). */
  GtkAdjustment *adjustment = sf_similarity_view_get_adjustment (view);
  gint64 start = g_get_monotonic_time ();
  for (int i = 0; i < 200; i++)
    gtk_adjustment_set_value (adjustment, (i % 100) / 100.0);
  double per_step_ms = (g_get_monotonic_time () - start) / 200.0 / 1000.0;
  g_test_message ("a threshold step takes %.3f ms", per_step_ms);
  g_assert_false (sf_similarity_view_get_busy (view));
  g_assert_cmpfloat (per_step_ms, <, 8.0);
  /* With only matches shown, cards come and go as well. */
  sf_similarity_view_set_only_matches (view, TRUE);
  start = g_get_monotonic_time ();
  for (int i = 0; i < 200; i++)
    gtk_adjustment_set_value (adjustment, (i % 100) / 100.0);
  per_step_ms = (g_get_monotonic_time () - start) / 200.0 / 1000.0;
  g_test_message ("a threshold step with only matches shown takes %.3f ms", per_step_ms);
  g_assert_cmpfloat (per_step_ms, <, 8.0);
  sf_similarity_view_set_only_matches (view, FALSE);
  sf_test_settle (window);

  /* Arrow keys on the slider step by 0.01 (GtkRange's key bindings emit move-slider). */
  GtkWidget *scale = sf_test_find_widget (GTK_WIDGET (view), GTK_TYPE_SCALE, NULL);
  g_assert_nonnull (scale);
  set_threshold (0.5);
  g_signal_emit_by_name (scale, "move-slider", GTK_SCROLL_STEP_RIGHT);
  g_assert_cmpfloat_with_epsilon (sf_session_get_threshold (session ()), 0.51, 1e-9);
  g_signal_emit_by_name (scale, "move-slider", GTK_SCROLL_STEP_LEFT);
  g_signal_emit_by_name (scale, "move-slider", GTK_SCROLL_STEP_LEFT);
  g_assert_cmpfloat_with_epsilon (sf_session_get_threshold (session ()), 0.49, 1e-9);
  sf_test_settle (window);
  SfMetrics stepped;
  sf_metrics_at_threshold (engine_val, engine_truths, n_val, 0.49f, &stepped);
  g_assert_cmpint (sf_similarity_view_get_counts (view)->true_accepts, ==, stepped.true_accepts);
  g_assert_cmpint (sf_similarity_view_get_counts (view)->false_accepts, ==, stepped.false_accepts);

  /* The EER and best-accuracy buttons: the engine's thresholds. */
  SfMetrics full;
  g_assert_true (sf_metrics_compute (engine_val, engine_truths, n_val, 0.5f, &full, NULL));
  sf_session_set_modified (session (), FALSE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "similarity.use-eer-threshold", NULL));
  sf_test_settle (window);
  g_assert_cmpfloat_with_epsilon (sf_session_get_threshold (session ()), full.eer_threshold, 1e-6);
  g_assert_cmpfloat_with_epsilon (gtk_adjustment_get_value (adjustment), full.eer_threshold, 1e-6);
  g_assert_true (sf_session_get_modified (session ()));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "similarity.use-best-threshold", NULL));
  sf_test_settle (window);
  g_assert_cmpfloat_with_epsilon (sf_session_get_threshold (session ()), full.best_threshold, 1e-6);
  g_assert_cmpfloat_with_epsilon (sf_similarity_view_get_metrics (view)->auc, full.auc, 1e-6);
  SfMetrics at_best;
  sf_metrics_at_threshold (engine_val, engine_truths, n_val, full.best_threshold, &at_best);
  g_assert_cmpfloat_with_epsilon (at_best.accuracy, full.best_accuracy, 1e-9);
  g_assert_cmpint (sf_similarity_view_get_counts (view)->true_accepts, ==, at_best.true_accepts);

  if (g_getenv ("SF_KEEP_SCREENSHOTS") != NULL)
    {
      g_autofree char *path = g_build_filename (g_getenv ("SF_KEEP_SCREENSHOTS"), "similarity-test.png", NULL);
      g_assert_true (sf_screenshot_save (GTK_WIDGET (window), path, NULL));
    }
}

static gboolean
image_settled (gpointer data)
{
  return !sf_similarity_view_get_busy (view)
         && (sf_similarity_view_get_test_face (view) == -1 || sf_similarity_view_get_last_error (view) != NULL);
}

static gboolean
error_shown (gpointer data)
{
  return !sf_similarity_view_get_busy (view) && sf_similarity_view_get_last_error (view) != NULL;
}

/* The picker: a person, then one of their faces, as a click or Enter would. */
static void
test_picker (void)
{
  GtkDropDown *people = GTK_DROP_DOWN (sf_test_find_widget (GTK_WIDGET (view), GTK_TYPE_DROP_DOWN, "person-picker"));
  GtkFlowBox *faces = GTK_FLOW_BOX (sf_test_find_widget (GTK_WIDGET (view), GTK_TYPE_FLOW_BOX, "face-picker"));
  g_assert_nonnull (people);
  g_assert_nonnull (faces);
  g_assert_cmpuint (g_list_model_get_n_items (gtk_drop_down_get_model (people)), ==, dataset ()->n_people);

  gtk_drop_down_set_selected (people, 4);
  int n = 0;
  GtkWidget *third = NULL;
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (faces)); child != NULL;
       child = gtk_widget_get_next_sibling (child), n++)
    if (n == 2)
      third = child;
  int counts = 0;
  for (int i = 0; i < dataset ()->n_images; i++)
    counts += dataset ()->labels[i] == 4;
  g_assert_cmpint (n, ==, counts);
  g_assert_nonnull (third);
  g_signal_emit_by_name (faces, "child-activated", third);
  g_assert_true (sf_similarity_view_get_busy (view));
  sf_test_wait_until (view_idle, NULL, "the picked face's scores");
  int picked = sf_similarity_view_get_test_face (view);
  g_assert_cmpint (dataset ()->labels[picked], ==, 4);
  int rank = 0;
  for (int i = 0; i < picked; i++)
    rank += dataset ()->labels[i] == 4;
  g_assert_cmpint (rank, ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (sf_similarity_view_get_cards (view)), ==, dataset ()->n_people);
}

static void
test_outside_image (void)
{
  g_assert_nonnull (sf_session_get_checkpoint (session ()));

  /* Face 5 of the dataset written as a 2× larger PGM: an outside image. */
  const SfDataset *d = dataset ();
  g_autofree char *path = sf_test_write_pgm (tmp_dir, "visitor.pgm", sf_dataset_image (d, 5), d->width, d->height, 2);

  sf_similarity_view_open_image (view, path);
  sf_test_wait_until (image_settled, NULL, "the outside image");
  sf_test_settle (window);
  g_assert_null (sf_similarity_view_get_last_error (view));
  g_assert_cmpint (sf_similarity_view_get_test_face (view), ==, -1);
  GListModel *cards = sf_similarity_view_get_cards (view);
  g_assert_cmpuint (g_list_model_get_n_items (cards), ==, d->n_people);
  for (guint i = 0; i < g_list_model_get_n_items (cards); i++)
    {
      g_autoptr (SfScoreItem) item = g_list_model_get_item (cards, i);
      /* Who it shows is unknown: no right or wrong. */
      g_assert_cmpint (sf_score_item_get_truth (item), ==, -1);
      g_assert_cmpint (sf_score_item_get_right (item), ==, -1);
      g_assert_true (sf_score_item_get_score (item) >= 0.0f && sf_score_item_get_score (item) <= 1.0f);
    }
  g_autoptr (GPtrArray) shown = shown_cards ();
  g_assert_cmpuint (shown->len, ==, d->n_people);

  /* A bad file: a toast naming it, and the outside face stays. */
  g_autofree char *bad = g_build_filename (tmp_dir, "broken.png", NULL);
  g_assert_true (g_file_set_contents (bad, "\x89PNG\r\n\x1a\nnot really", -1, NULL));
  sf_similarity_view_open_image (view, bad);
  sf_test_wait_until (error_shown, NULL, "the bad image's error");
  g_assert_nonnull (strstr (sf_similarity_view_get_last_error (view), "broken.png"));
  g_assert_cmpint (sf_similarity_view_get_test_face (view), ==, -1);
  g_assert_cmpuint (g_list_model_get_n_items (cards), ==, d->n_people);
  g_autofree char *missing = g_build_filename (tmp_dir, "missing.pgm", NULL);
  sf_similarity_view_open_image (view, missing);
  sf_test_wait_until (error_shown, NULL, "the missing image's error");
  g_assert_nonnull (strstr (sf_similarity_view_get_last_error (view), "missing.pgm"));

  /* Back to a dataset face. */
  sf_similarity_view_set_test_face (view, 0);
  sf_test_wait_until (view_idle, NULL, "face 0");
  g_assert_cmpint (sf_similarity_view_get_test_face (view), ==, 0);
}

static void
test_other_dataset (void)
{
  g_autoptr (GError) error = NULL;
  SfCheckpoint *checkpoint = sf_test_train_checkpoint (dataset (), 2, &error);
  g_assert_no_error (error);
  g_free (checkpoint->dataset_fingerprint);
  checkpoint->dataset_fingerprint = g_strdup ("not this dataset");
  sf_session_set_checkpoint (session (), checkpoint, NULL);
  sf_test_settle (window);
  sf_test_wait_until (view_idle, NULL, "scores with another fingerprint");
  sf_test_settle (window);
  g_assert_true (sf_similarity_view_get_other_dataset (view));
  int n_val = 0;
  g_assert_nonnull (sf_similarity_view_get_validation (view, NULL, &n_val));
  /* Every pair of this dataset: one positive and one negative per image. */
  g_assert_cmpint (n_val, ==, 2 * dataset ()->n_images);
  g_assert_cmpfloat_with_epsilon (sf_session_get_threshold (session ()), 0.5, 1e-9);
  g_assert_cmpuint (g_list_model_get_n_items (sf_similarity_view_get_cards (view)), ==, dataset ()->n_people);
}

int
main (int argc, char *argv[])
{
  if (!sf_test_ui_init (&argc, &argv))
    return sf_test_ui_skip_no_display ();

  tmp_dir = sf_test_make_tmp_dir ("sf-similarity-test-XXXXXX");
  window = sf_test_open_window (&app);
  view = SF_SIMILARITY_VIEW (sf_test_find_widget (GTK_WIDGET (window), SF_TYPE_SIMILARITY_VIEW, NULL));
  g_assert_nonnull (view);

  g_test_add_func ("/ui/similarity/charts", test_charts);
  g_test_add_func ("/ui/similarity/no-model", test_no_model);
  g_test_add_func ("/ui/similarity/scores", test_scores);
  g_test_add_func ("/ui/similarity/picker", test_picker);
  g_test_add_func ("/ui/similarity/outside-image", test_outside_image);
  g_test_add_func ("/ui/similarity/other-dataset", test_other_dataset);

  int status = g_test_run ();

  sf_test_wait_until (view_idle, NULL, "the view to go idle");
  sf_test_close_window (&app, &window);
  sf_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
