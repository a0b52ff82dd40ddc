/* The Similarity view in the real window under Xvfb, with a tiny model
 * trained here: the cards' partners and scores checked against the engine
 * (sf_pairs_test, sf_probe_test_new, sf_evaluation_score_pairs on its own copy
 * of the model), for a dataset face and for an outside image file; the
 * highlighted set and the counts at a threshold set through the slider's
 * adjustment; the EER and best-accuracy actions; bad image files; another
 * dataset's fingerprint. Its two parts on their own: the score panel shows
 * the counts of the evaluation it is given, the face picker says what was
 * chosen. Also the chart drawing on an image surface. Every wait is on an
 * event (the view's or the picker's "busy"/"loading" going FALSE, a frame
 * drawn), with the harness's timeout only as a failsafe. */
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "evaluation.h"
#include "image.h"
#include "pairs.h"
#include "sf-application.h"
#include "sf-face-picker.h"
#include "sf-score-card.h"
#include "sf-score-charts.h"
#include "sf-score-item.h"
#include "sf-score-panel.h"
#include "sf-screenshots.h"
#include "sf-similarity-view.h"
#include "sf-test-files.h"
#include "sf-test-model.h"
#include "sf-test-ui.h"
#include "sf-training-curves.h"
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

/* After a call that starts scoring: "busy" is TRUE at once, and the main
 * context runs until it turns FALSE (the harness fails the test if it never
 * does within its generous timeout). */
static void
wait_scored (const char *what)
{
  g_assert_true (sf_similarity_view_get_busy (view));
  sf_test_wait_until (view_idle, NULL, what);
  sf_test_settle (window);
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

/* The items behind the cards, in the order shown. */
static GPtrArray *
card_items (void)
{
  GListModel *cards = sf_similarity_view_get_cards (view);
  GPtrArray *items = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < g_list_model_get_n_items (cards); i++)
    g_ptr_array_add (items, g_list_model_get_item (cards, i));
  return items;
}

static void
count_notify (guint *count)
{
  (*count)++;
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

  if (g_getenv ("SF_KEEP_SCREENSHOTS") != NULL)
    {
      g_autofree char *path = g_build_filename (g_getenv ("SF_KEEP_SCREENSHOTS"), "roc-test.png", NULL);
      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_paint (cr);
      sf_roc_draw (cr, 320, 200, &style, roc, n_points, metrics.auc, 0.25, 0.8);
      cairo_surface_write_to_png (surface, path);
    }
  cairo_destroy (cr);
  cairo_surface_destroy (surface);

  g_autofree char *description = sf_roc_describe (0.97, 0.5, 0.05, 0.9, 0.93);
  g_assert_nonnull (strstr (description, "AUC 0.970"));
  g_assert_nonnull (strstr (description, "accuracy 0.930"));
}

/* ---- the view in the window ---- */

/* The histogram's legend covers no bar: with tall bars in every bin, the
 * legend box (found by a fill colour of its own) has no bar pixel above it in
 * its columns, where a bar reaching the top of the plot would show in the
 * margin between the plot's top and the box. */
static void
test_histogram_legend (void)
{
  enum { W = 320, H = 200, N = 400 };
  float scores[N], truths[N];
  for (int i = 0; i < N; i++)
    {
      scores[i] = (i + 0.5f) / N;
      truths[i] = i % 2;
    }
  SfScoreChartStyle style;
  sf_score_chart_style_init_default (&style);
  style.background = (GdkRGBA) { 1.0, 0.0, 1.0, 1.0 };   /* the legend's fill: magenta, maybe translucent */
  style.same = (GdkRGBA) { 0.0, 0.8, 0.0, 1.0 };
  style.different = (GdkRGBA) { 0.0, 0.0, 0.8, 1.0 };
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, W, H);
  cairo_t *cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  sf_score_histogram_draw (cr, W, H, &style, scores, truths, N, 0.999);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  const guint8 *data = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface);
#define PIXEL(x, y) (((const guint32 *) (data + (y) * stride))[x] & 0xffffff)
  int x0 = W, x1 = -1, y0 = H;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      if (((PIXEL (x, y) >> 16) & 0xff) > 180 && (PIXEL (x, y) & 0xff) > 180 && ((PIXEL (x, y) >> 8) & 0xff) < 150)
        {
          x0 = MIN (x0, x);
          x1 = MAX (x1, x);
          y0 = MIN (y0, y);
        }
  g_assert_cmpint (x1, >, x0 + 20);   /* the legend box is there */
  int bar_pixels = 0;
  for (int y = 0; y < y0; y++)
    for (int x = x0; x <= x1; x++)
      {
        guint32 p = PIXEL (x, y);
        int r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;
        bar_pixels += (g > r + 40 || b > r + 40);
      }
#undef PIXEL
  if (g_getenv ("SF_KEEP_SCREENSHOTS") != NULL)
    {
      g_autofree char *kept = g_build_filename (g_getenv ("SF_KEEP_SCREENSHOTS"), "histogram-legend.png", NULL);
      cairo_surface_write_to_png (surface, kept);
    }
  cairo_surface_destroy (surface);
  g_assert_cmpint (bar_pixels, ==, 0);
}

/* The accuracy curves say at which threshold they count (the trainer's fixed
 * 0.5), since the end-of-run summary and this view use the model's own. */
static void
test_curves_threshold_label (void)
{
  SfTrainingCurves *curves = SF_TRAINING_CURVES (sf_test_find_widget (GTK_WIDGET (window), SF_TYPE_TRAINING_CURVES, NULL));
  g_assert_nonnull (curves);
  SfPlot *accuracy = sf_training_curves_get_accuracy_plot (curves);
  guint n = sf_plot_get_n_series (accuracy);
  g_assert_cmpuint (n, >=, 2);
  for (guint k = n - 2; k < n; k++)
    g_assert_nonnull (strstr (sf_plot_get_series (accuracy, k)->name, "0.5"));
}

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
  wait_scored ("the first scores");
  g_assert_cmpuint (g_list_model_get_n_items (sf_similarity_view_get_cards (view)), ==, dataset ()->n_people);

  /* Another test face, as the picker would set it. */
  const int test = 23;
  sf_similarity_view_set_test_face (view, test);
  wait_scored ("the scores of face 23");
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

  const SfEvaluation *evaluation = sf_similarity_view_get_evaluation (view);
  g_assert_nonnull (evaluation);
  const float *val_truths = evaluation->truths;
  const float *val_scores = evaluation->scores;
  int n_val = evaluation->n_pairs;
  g_assert_cmpint (n_val, >, 0);
  g_assert_true (evaluation->same_data);

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

  /* Slider steps recompute nothing: through 200 of them the view never goes
   * busy, and the evaluation and the cards are the very same objects. */
  GtkAdjustment *adjustment = sf_similarity_view_get_adjustment (view);
  guint busy_changes = 0;
  gulong busy_handler = g_signal_connect_swapped (view, "notify::busy", G_CALLBACK (count_notify), &busy_changes);
  g_autoptr (GPtrArray) before = card_items ();
  for (int i = 0; i < 200; i++)
    gtk_adjustment_set_value (adjustment, (i % 100) / 100.0);
  g_assert_true (sf_similarity_view_get_evaluation (view) == evaluation);
  set_threshold (0.5);
  g_autoptr (GPtrArray) after = card_items ();
  g_assert_cmpuint (after->len, ==, before->len);
  for (guint i = 0; i < before->len; i++)
    g_assert_true (after->pdata[i] == before->pdata[i]);
  /* With only matches shown, cards come and go as the threshold jumps up
   * and down, and always exactly the accepted ones remain. */
  sf_similarity_view_set_only_matches (view, TRUE);
  for (int i = 0; i < 200; i++)
    {
      double value = ((i * 37) % 101) / 100.0;
      gtk_adjustment_set_value (adjustment, value);
      guint accepted = 0;
      for (int k = 0; k < n_pairs; k++)
        accepted += expected[k] >= (float) value;
      g_assert_cmpuint (g_list_model_get_n_items (cards), ==, accepted);
    }
  g_assert_cmpuint (busy_changes, ==, 0);
  g_signal_handler_disconnect (view, busy_handler);
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
  g_assert_cmpfloat (full.eer, >, 0.0);   /* at 0 the EER rule would keep the best-accuracy threshold */
  sf_session_set_modified (session (), FALSE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "similarity.use-eer-threshold", NULL));
  sf_test_settle (window);
  g_assert_cmpfloat_with_epsilon (sf_session_get_threshold (session ()), full.eer_threshold, 1e-6);
  g_assert_cmpfloat_with_epsilon (gtk_adjustment_get_value (adjustment), full.eer_threshold, 1e-6);
  g_assert_true (sf_session_get_modified (session ()));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "similarity.use-best-threshold", NULL));
  sf_test_settle (window);
  g_assert_cmpfloat_with_epsilon (sf_session_get_threshold (session ()), full.best_threshold, 1e-6);
  g_assert_cmpfloat_with_epsilon (sf_similarity_view_get_evaluation (view)->metrics.auc, full.auc, 1e-6);
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

/* The picker in the view: a person, then one of their faces, as a click or
 * Enter would; the view scores the face chosen. */
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
  wait_scored ("the picked face's scores");
  int picked = sf_similarity_view_get_test_face (view);
  g_assert_cmpint (picked, ==, sf_test_image_of (dataset (), 4, 2));
  g_assert_cmpuint (g_list_model_get_n_items (sf_similarity_view_get_cards (view)), ==, dataset ()->n_people);
}

/* The held-out people are the honest test: with a model trained on this
 * dataset under the people split, the default test face is one of them, the
 * person picker and the cards say which people were held out, and the
 * picker's faces of a held-out person are marked. */
static void
test_held_out (void)
{
  g_autoptr (GError) error = NULL;
  SfCheckpoint *checkpoint = sf_test_train_checkpoint (dataset (), 2, &error);
  g_assert_no_error (error);
  g_assert_nonnull (checkpoint);
  g_assert_cmpint (checkpoint->settings.split, ==, SF_SPLIT_PEOPLE);
  const SfDataset *d = dataset ();
  g_autoptr (SfPairSet) split = sf_pairs_generate (d, checkpoint->settings.split, checkpoint->settings.split_share,
                                                   checkpoint->settings.seed, &error);
  g_assert_no_error (error);
  g_autofree gboolean *held = g_new0 (gboolean, d->n_people);
  int n_held = 0;
  for (int i = 0; i < d->n_images; i++)
    if (split->held_out[i] && !held[d->labels[i]])
      {
        held[d->labels[i]] = TRUE;
        n_held++;
      }
  g_assert_cmpint (n_held, >, 0);
  g_assert_cmpint (n_held, <, d->n_people);
  g_assert_false (held[d->labels[0]]);   /* else the old default (image 0) would pass */

  sf_session_set_checkpoint (session (), checkpoint, NULL);
  wait_scored ("the held-out default's scores");
  int test = sf_similarity_view_get_test_face (view);
  g_assert_cmpint (test, >=, 0);
  g_assert_true (held[d->labels[test]]);
  const char *title = gtk_label_get_text (GTK_LABEL (sf_test_find_widget (GTK_WIDGET (view), GTK_TYPE_LABEL, "test-title")));
  g_assert_nonnull (strstr (title, "held out"));

  GtkDropDown *people = GTK_DROP_DOWN (sf_test_find_widget (GTK_WIDGET (view), GTK_TYPE_DROP_DOWN, "person-picker"));
  GListModel *names = gtk_drop_down_get_model (people);
  g_assert_cmpuint (g_list_model_get_n_items (names), ==, d->n_people);
  for (int p = 0; p < d->n_people; p++)
    {
      const char *name = gtk_string_list_get_string (GTK_STRING_LIST (names), p);
      g_assert_true (g_str_has_prefix (name, d->person_names[p]));
      g_assert_cmpint (strstr (name, "held out") != NULL, ==, held[p]);
    }
  GtkFlowBox *faces = GTK_FLOW_BOX (sf_test_find_widget (GTK_WIDGET (view), GTK_TYPE_FLOW_BOX, "face-picker"));
  int n_faces = 0;
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (faces)); child != NULL;
       child = gtk_widget_get_next_sibling (child), n_faces++)
    g_assert_true (gtk_widget_has_css_class (child, "held-out"));   /* the test face's person is held out */
  g_assert_cmpint (n_faces, >, 0);

  g_autoptr (GPtrArray) cards = shown_cards ();
  g_assert_cmpuint (cards->len, ==, d->n_people);
  for (guint i = 0; i < cards->len; i++)
    {
      SfScoreItem *item = sf_score_card_get_item (cards->pdata[i]);
      g_assert_cmpint (gtk_widget_has_css_class (cards->pdata[i], "held-out"), ==, held[sf_score_item_get_person (item)]);
    }
}

static gboolean
window_height_at_most (gpointer data)
{
  return gtk_widget_get_height (GTK_WIDGET (window)) <= GPOINTER_TO_INT (data);
}

/* The widget lies wholly inside the window: seen without scrolling. */
static void
assert_in_view (const char *name, GType type)
{
  GtkWidget *widget = sf_test_find_widget (GTK_WIDGET (view), type, name);
  graphene_rect_t bounds;

  g_assert_nonnull (widget);
  g_assert_true (gtk_widget_get_mapped (widget));
  g_assert_true (gtk_widget_compute_bounds (widget, GTK_WIDGET (window), &bounds));
  g_test_message ("%s at %.0f,%.0f %.0f×%.0f in a window of %d×%d", name, bounds.origin.x, bounds.origin.y,
                  bounds.size.width, bounds.size.height, gtk_widget_get_width (GTK_WIDGET (window)),
                  gtk_widget_get_height (GTK_WIDGET (window)));
  g_assert_cmpfloat (bounds.origin.y, >=, 0);
  g_assert_cmpfloat (bounds.origin.x, >=, 0);
  g_assert_cmpfloat (bounds.origin.y + bounds.size.height, <=, gtk_widget_get_height (GTK_WIDGET (window)));
  g_assert_cmpfloat (bounds.origin.x + bounds.size.width, <=, gtk_widget_get_width (GTK_WIDGET (window)));
}

static char *
percent (double value)
{
  return g_strdup_printf ("%.1f %%", 100.0 * value);
}

/* At 1280 × 800 the numbers that matter (validation accuracy, FAR, FRR at
 * the threshold, TAR at FAR 1 %) and the EER and best-accuracy buttons are
 * in sight next to the slider, and the numbers follow the threshold. */
static void
test_numbers_in_sight (void)
{
  int width, height;

  g_assert_nonnull (sf_similarity_view_get_evaluation (view));
  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  gtk_window_unmaximize (GTK_WINDOW (window));
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  sf_test_wait_until (window_height_at_most, GINT_TO_POINTER (800), "the 1280 × 800 window");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "similarity");
  sf_test_settle (window);
  if (g_getenv ("SF_KEEP_SCREENSHOTS") != NULL)
    {
      g_autofree char *kept = g_build_filename (g_getenv ("SF_KEEP_SCREENSHOTS"), "similarity-1280x800.png", NULL);
      g_assert_true (sf_screenshot_save (GTK_WIDGET (window), kept, NULL));
    }
  assert_in_view ("validation-numbers", GTK_TYPE_LABEL);
  assert_in_view ("quick-eer-threshold", GTK_TYPE_BUTTON);
  assert_in_view ("quick-best-threshold", GTK_TYPE_BUTTON);

  const double thresholds[] = { sf_similarity_view_get_evaluation (view)->metrics.eer_threshold, 1.0 };
  for (guint k = 0; k < G_N_ELEMENTS (thresholds); k++)
    {
      set_threshold (thresholds[k]);
      const SfMetrics *counts = sf_similarity_view_get_counts (view);
      g_assert_nonnull (counts);
      g_autofree char *accuracy = percent ((double) (counts->true_accepts + counts->true_rejects) / counts->n_pairs);
      g_autofree char *far = percent ((double) counts->false_accepts / counts->n_different);
      g_autofree char *frr = percent ((double) counts->false_rejects / counts->n_same);
      g_autofree char *tar = percent (sf_similarity_view_get_evaluation (view)->metrics.tar_at_far_1);
      const char *text = label_text ("validation-numbers");
      g_test_message ("%s", text);
      g_autofree char *a = g_strdup_printf ("accuracy %s", accuracy);
      g_autofree char *f = g_strdup_printf ("FAR %s", far);
      g_autofree char *r = g_strdup_printf ("FRR %s", frr);
      g_autofree char *t = g_strdup_printf ("TAR at FAR 1 %%: %s", tar);
      g_assert_nonnull (strstr (text, a));
      g_assert_nonnull (strstr (text, f));
      g_assert_nonnull (strstr (text, r));
      g_assert_nonnull (strstr (text, t));
    }

  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  sf_test_settle (window);
}

/* The cards equal the engine's article test of the same probe: the same
 * partner images, one per person, with the same scores. */
static void
assert_cards_match_probe_test (const float *probe, guint64 seed)
{
  const SfDataset *d = dataset ();
  g_autoptr (SfModel) model = sf_model_copy (sf_session_get_checkpoint (session ())->model);
  g_autoptr (GError) error = NULL;
  g_autoptr (SfProbeTest) expected = sf_probe_test_new (model, d, -1, probe, seed, &error);
  g_assert_no_error (error);
  g_assert_nonnull (expected);
  g_assert_cmpint (expected->n_matches, ==, d->n_people);

  GListModel *cards = sf_similarity_view_get_cards (view);
  g_assert_cmpuint (g_list_model_get_n_items (cards), ==, expected->n_matches);
  g_autofree gboolean *seen = g_new0 (gboolean, d->n_people);
  for (guint i = 0; i < g_list_model_get_n_items (cards); i++)
    {
      g_autoptr (SfScoreItem) item = g_list_model_get_item (cards, i);
      SfFace *partner = sf_score_item_get_partner (item);
      int person = sf_score_item_get_person (item);
      g_assert_true (sf_face_get_list (partner) == sf_window_get_faces (window));
      g_assert_cmpint (d->labels[sf_face_get_index (partner)], ==, person);
      g_assert_false (seen[person]);
      seen[person] = TRUE;
      const SfProbeMatch *match = NULL;
      for (int k = 0; k < expected->n_matches; k++)
        if (expected->matches[k].person == person)
          match = &expected->matches[k];
      g_assert_nonnull (match);
      g_assert_cmpint (sf_face_get_index (partner), ==, match->image);
      g_assert_cmpfloat_with_epsilon (sf_score_item_get_score (item), match->score, 1e-6);
      /* Who it shows is unknown: no right or wrong. */
      g_assert_cmpint (sf_score_item_get_truth (item), ==, -1);
      g_assert_cmpint (sf_score_item_get_right (item), ==, -1);
    }
}

static void
test_outside_image (void)
{
  g_assert_nonnull (sf_session_get_checkpoint (session ()));

  /* Face 5 of the dataset written as a 2× larger PGM: an outside image. */
  const SfDataset *d = dataset ();
  g_autofree char *path = sf_test_write_pgm (tmp_dir, "visitor.pgm", sf_dataset_image (d, 5), d->width, d->height, 2);

  sf_similarity_view_open_image (view, path);
  g_assert_true (sf_similarity_view_get_busy (view));
  sf_test_wait_until (image_settled, NULL, "the outside image");
  sf_test_settle (window);
  g_assert_null (sf_similarity_view_get_last_error (view));
  g_assert_cmpint (sf_similarity_view_get_test_face (view), ==, -1);

  /* The probe as the file reads, resized to the dataset's size. */
  g_autoptr (GError) error = NULL;
  g_autoptr (SfImage) image = sf_image_load (path, &error);
  g_assert_no_error (error);
  g_autofree float *probe = g_new (float, d->width * d->height);
  sf_image_resize_area (image->pixels, image->width, image->height, probe, d->width, d->height);
  SfFacePicker *picker = SF_FACE_PICKER (sf_test_find_widget (GTK_WIDGET (view), SF_TYPE_FACE_PICKER, NULL));
  g_autoptr (SfFace) shown = sf_face_picker_dup_face (picker);
  int width = 0, height = 0;
  const float *pixels = sf_face_get_pixels (shown, &width, &height);
  g_assert_cmpint (width, ==, d->width);
  g_assert_cmpint (height, ==, d->height);
  g_assert_cmpmem (pixels, sizeof (float) * width * height, probe, sizeof (float) * d->width * d->height);

  guint64 seed = sf_similarity_view_get_seed (view);
  assert_cards_match_probe_test (probe, seed);
  g_autoptr (GPtrArray) shown_before = shown_cards ();
  g_assert_cmpuint (shown_before->len, ==, d->n_people);
  g_autofree int *partners = g_new (int, d->n_people);
  for (guint i = 0; i < shown_before->len; i++)
    {
      SfScoreItem *item = sf_score_card_get_item (shown_before->pdata[i]);
      partners[sf_score_item_get_person (item)] = sf_face_get_index (sf_score_item_get_partner (item));
    }

  /* "Pair with other faces of every person": another draw of partners, again the engine's. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "similarity.shuffle", NULL));
  wait_scored ("the outside image's new partners");
  g_assert_true (sf_similarity_view_get_seed (view) != seed);
  assert_cards_match_probe_test (probe, sf_similarity_view_get_seed (view));
  int moved = 0;
  g_autoptr (GPtrArray) shuffled = card_items ();
  for (guint i = 0; i < shuffled->len; i++)
    {
      SfScoreItem *item = shuffled->pdata[i];
      moved += partners[sf_score_item_get_person (item)] != sf_face_get_index (sf_score_item_get_partner (item));
    }
  g_assert_cmpint (moved, >, 0);

  /* A bad file: a toast naming it, and the outside face stays. */
  GListModel *cards = sf_similarity_view_get_cards (view);
  g_autofree char *bad = g_build_filename (tmp_dir, "broken.png", NULL);
  g_assert_true (g_file_set_contents (bad, "\x89PNG\r\n\x1a\nnot really", -1, NULL));
  sf_similarity_view_open_image (view, bad);
  g_assert_true (sf_similarity_view_get_busy (view));
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
  wait_scored ("face 0");
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
  wait_scored ("scores with another fingerprint");
  const SfEvaluation *evaluation = sf_similarity_view_get_evaluation (view);
  g_assert_nonnull (evaluation);
  g_assert_false (evaluation->same_data);
  /* Every pair of this dataset: one positive and one negative per image. */
  g_assert_cmpint (evaluation->n_pairs, ==, 2 * dataset ()->n_images);
  GtkWidget *warning = sf_test_find_widget_with_class (GTK_WIDGET (view), GTK_TYPE_BOX, "similarity-warning");
  g_assert_nonnull (warning);
  g_assert_true (gtk_widget_get_visible (warning));
  g_assert_cmpfloat_with_epsilon (sf_session_get_threshold (session ()), 0.5, 1e-9);
  g_assert_cmpuint (g_list_model_get_n_items (sf_similarity_view_get_cards (view)), ==, dataset ()->n_people);
}

/* ---- the two parts on their own ---- */

static const char *
panel_label (SfScorePanel *panel, const char *name)
{
  GtkWidget *label = sf_test_find_widget (GTK_WIDGET (panel), GTK_TYPE_LABEL, name);

  g_assert_nonnull (label);
  return gtk_label_get_text (GTK_LABEL (label));
}

/* A crafted evaluation: same-person scores 0.9 0.8 0.7 0.4, different 0.6
 * 0.3 0.2 0.1. The counts below are worked out by hand. */
static void
test_score_panel (void)
{
  const float scores[] = { 0.9f, 0.8f, 0.7f, 0.4f, 0.6f, 0.3f, 0.2f, 0.1f };
  const float truths[] = { 1, 1, 1, 1, 0, 0, 0, 0 };
  g_autoptr (GError) error = NULL;
  SfScorePanel *panel = SF_SCORE_PANEL (g_object_ref_sink (sf_score_panel_new ()));

  /* Nothing yet: dashes, and what the owner says instead. */
  sf_score_panel_set_placeholder (panel, "Scoring the validation pairs…");
  g_assert_null (sf_score_panel_get_counts (panel));
  g_assert_cmpstr (panel_label (panel, "true-accepts"), ==, "—");
  g_assert_cmpstr (panel_label (panel, "accuracy"), ==, "—");
  g_assert_cmpstr (panel_label (panel, "validation-summary"), ==, "Scoring the validation pairs…");
  float unused;
  g_assert_false (sf_score_panel_get_rule_threshold (panel, SF_THRESHOLD_EER, &unused));
  /* The charts are pictures with names for screen readers. */
  GtkWidget *histogram = sf_test_find_widget (GTK_WIDGET (panel), GTK_TYPE_DRAWING_AREA, NULL);
  GtkWidget *roc = gtk_widget_get_next_sibling (histogram);
  g_assert_true (GTK_IS_DRAWING_AREA (roc));
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (roc), GTK_ACCESSIBLE_ROLE_IMG);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (histogram), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Histogram of same-person and different-person scores");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (roc), GTK_ACCESSIBLE_PROPERTY_LABEL, "ROC curve");

  SfEvaluation *evaluation = sf_evaluation_new_from_scores (scores, truths, G_N_ELEMENTS (scores), 0.5f, &error);
  g_assert_no_error (error);
  sf_score_panel_set_threshold (panel, 0.5);
  sf_score_panel_set_evaluation (panel, evaluation);
  g_assert_true (sf_score_panel_get_evaluation (panel) == evaluation);
  g_assert_nonnull (strstr (panel_label (panel, "validation-summary"),
                            "8 pairs of this dataset: 4 of the same person, 4 of different people."));

  /* At 0.5: 0.9 0.8 0.7 accepted and 0.4 rejected; 0.6 accepted by mistake. */
  g_assert_cmpstr (panel_label (panel, "true-accepts"), ==, "3");
  g_assert_cmpstr (panel_label (panel, "false-rejects"), ==, "1");
  g_assert_cmpstr (panel_label (panel, "false-accepts"), ==, "1");
  g_assert_cmpstr (panel_label (panel, "true-rejects"), ==, "3");
  g_assert_cmpstr (panel_label (panel, "accuracy"), ==, "0.750");
  g_assert_cmpstr (panel_label (panel, "precision"), ==, "0.750");
  g_assert_cmpstr (panel_label (panel, "recall"), ==, "0.750");

  /* At 0.65 the 0.6 is rejected: precision 1; at 0.95 nothing is accepted. */
  g_object_set (panel, "threshold", 0.65, NULL);
  g_assert_cmpint (sf_score_panel_get_counts (panel)->false_accepts, ==, 0);
  g_assert_cmpstr (panel_label (panel, "false-accepts"), ==, "0");
  g_assert_cmpstr (panel_label (panel, "true-rejects"), ==, "4");
  g_assert_cmpstr (panel_label (panel, "accuracy"), ==, "0.875");
  g_assert_cmpstr (panel_label (panel, "precision"), ==, "1.000");
  sf_score_panel_set_threshold (panel, 0.95);
  g_assert_cmpstr (panel_label (panel, "true-accepts"), ==, "0");
  g_assert_cmpstr (panel_label (panel, "precision"), ==, "—");
  g_assert_cmpstr (panel_label (panel, "recall"), ==, "0.000");

  /* The rules' points: at the EER one false accepts and false rejects
   * balance (one of four each here); the best-accuracy one gets 7 of 8 right. */
  float eer = 0.0f, best = 0.0f;
  g_assert_true (sf_score_panel_get_rule_threshold (panel, SF_THRESHOLD_EER, &eer));
  g_assert_true (sf_score_panel_get_rule_threshold (panel, SF_THRESHOLD_BEST_ACCURACY, &best));
  sf_score_panel_set_threshold (panel, eer);
  const SfMetrics *counts = sf_score_panel_get_counts (panel);
  g_assert_cmpint (counts->false_accepts, ==, 1);
  g_assert_cmpint (counts->false_rejects, ==, 1);
  sf_score_panel_set_threshold (panel, best);
  g_assert_cmpstr (panel_label (panel, "accuracy"), ==, "0.875");
  g_autofree char *best_label = g_strdup_printf ("Use _Best-Accuracy Threshold (%.3f)", best);
  GtkWidget *best_button = sf_test_find_widget (GTK_WIDGET (panel), GTK_TYPE_BUTTON, "use-best-threshold");
  g_assert_nonnull (best_button);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (best_button)), ==, best_label);

  /* Cleared: back to dashes. */
  sf_score_panel_set_evaluation (panel, NULL);
  g_assert_null (sf_score_panel_get_counts (panel));
  g_assert_cmpstr (panel_label (panel, "false-rejects"), ==, "—");
  g_object_unref (panel);
}

typedef struct
{
  int n;
  int index;
  SfFace *face;
} Chosen;

static void
face_chosen_cb (SfFacePicker *picker, int index, SfFace *face, Chosen *chosen)
{
  chosen->n++;
  chosen->index = index;
  g_set_object (&chosen->face, face);
}

static gboolean
picker_idle (gpointer picker)
{
  return !sf_face_picker_get_loading (picker);
}

/* The picker on its own: it says what the user chose, and only that. */
static void
test_face_picker (void)
{
  SfFaceList *faces = sf_window_get_faces (window);
  const SfDataset *d = sf_face_list_get_dataset (faces);
  SfFacePicker *picker = SF_FACE_PICKER (g_object_ref_sink (sf_face_picker_new ()));
  Chosen chosen = { 0, -2, NULL };
  g_signal_connect (picker, "face-chosen", G_CALLBACK (face_chosen_cb), &chosen);

  sf_face_picker_set_faces (picker, faces);
  g_assert_cmpint (sf_face_picker_get_index (picker), ==, 0);
  sf_face_picker_set_index (picker, 7);   /* the owner's choice: no signal */
  g_assert_cmpint (sf_face_picker_get_index (picker), ==, 7);
  g_assert_cmpint (chosen.n, ==, 0);

  /* Person 3, their second face, as a click would. */
  GtkDropDown *people = GTK_DROP_DOWN (sf_test_find_widget (GTK_WIDGET (picker), GTK_TYPE_DROP_DOWN, "person-picker"));
  GtkFlowBox *box = GTK_FLOW_BOX (sf_test_find_widget (GTK_WIDGET (picker), GTK_TYPE_FLOW_BOX, "face-picker"));
  gtk_drop_down_set_selected (people, 3);
  GtkWidget *second = gtk_widget_get_next_sibling (gtk_widget_get_first_child (GTK_WIDGET (box)));
  g_signal_emit_by_name (box, "child-activated", second);
  int expected = sf_test_image_of (d, 3, 1);
  g_assert_cmpint (chosen.n, ==, 1);
  g_assert_cmpint (chosen.index, ==, expected);
  g_assert_cmpint (sf_face_get_index (chosen.face), ==, expected);
  g_assert_true (sf_face_get_list (chosen.face) == faces);
  g_assert_cmpint (sf_face_picker_get_index (picker), ==, expected);
  /* The same face again is no new choice. */
  g_signal_emit_by_name (box, "child-activated", second);
  g_assert_cmpint (chosen.n, ==, 1);

  /* An image file: its pixels at the dataset's size, its path. */
  g_autofree char *path = sf_test_write_pgm (tmp_dir, "picked.pgm", sf_dataset_image (d, 9), d->width, d->height, 3);
  sf_face_picker_open_image (picker, path);
  g_assert_true (sf_face_picker_get_loading (picker));
  sf_test_wait_until (picker_idle, picker, "the picker's image");
  g_assert_cmpint (chosen.n, ==, 2);
  g_assert_cmpint (chosen.index, ==, -1);
  g_assert_cmpint (sf_face_picker_get_index (picker), ==, -1);
  g_assert_cmpstr (sf_face_get_path (chosen.face), ==, path);
  int width = 0, height = 0;
  const float *pixels = sf_face_get_pixels (chosen.face, &width, &height);
  g_assert_cmpint (width, ==, d->width);
  g_assert_cmpint (height, ==, d->height);
  /* Written 3× larger as 8-bit grey and averaged back: within rounding of face 9. */
  const float *original = sf_dataset_image (d, 9);
  for (int i = 0; i < width * height; i++)
    g_assert_cmpfloat_with_epsilon (pixels[i], CLAMP (original[i], 0.0f, 1.0f), 0.5 / 255 + 1e-6);

  /* A bad file: no choice, the reason, and the image file stays chosen. */
  g_autofree char *bad = g_build_filename (tmp_dir, "picked-bad.pgm", NULL);
  g_assert_true (g_file_set_contents (bad, "P5\n99999 99999\n255\n", -1, NULL));
  sf_face_picker_open_image (picker, bad);
  sf_test_wait_until (picker_idle, picker, "the picker's bad image");
  g_assert_cmpint (chosen.n, ==, 2);
  g_assert_nonnull (strstr (sf_face_picker_get_last_error (picker), "picked-bad.pgm"));
  g_assert_cmpint (sf_face_picker_get_index (picker), ==, -1);

  /* Another dataset of another size: the image file stays chosen, resized for it. */
  SfDataset *small = sf_dataset_new (SF_DATASET_FORMAT_FOLDER, 2, 16, 16, 1, NULL);
  g_assert_nonnull (small);
  small->labels[0] = small->labels[1] = 0;
  small->person_names[0] = g_strdup ("Small");
  g_autoptr (SfFaceList) small_faces = sf_face_list_new (small);
  sf_face_picker_set_faces (picker, small_faces);
  g_assert_cmpint (sf_face_picker_get_index (picker), ==, -1);
  g_autoptr (SfFace) resized = sf_face_picker_dup_face (picker);
  sf_face_get_pixels (resized, &width, &height);
  g_assert_cmpint (width, ==, 16);
  g_assert_cmpint (height, ==, 16);
  g_assert_cmpstr (sf_face_get_path (resized), ==, path);
  g_assert_cmpint (chosen.n, ==, 2);

  g_clear_object (&chosen.face);
  g_object_unref (picker);
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
  g_test_add_func ("/ui/similarity/histogram-legend", test_histogram_legend);
  g_test_add_func ("/ui/similarity/curves-threshold-label", test_curves_threshold_label);
  g_test_add_func ("/ui/similarity/score-panel", test_score_panel);
  g_test_add_func ("/ui/similarity/face-picker", test_face_picker);
  g_test_add_func ("/ui/similarity/no-model", test_no_model);
  g_test_add_func ("/ui/similarity/held-out", test_held_out);
  g_test_add_func ("/ui/similarity/scores", test_scores);
  g_test_add_func ("/ui/similarity/numbers-in-sight", test_numbers_in_sight);
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
