/* SfScorePanel: the texts that depend only on the evaluation are written when
 * it arrives; a new threshold recounts (sf_evaluation_at_threshold, cheap
 * enough for every slider step) and redraws the two charts. */
#include "sf-score-panel.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "sf-score-charts.h"

struct _SfScorePanel
{
  GtkWidget parent_instance;

  /* Template widgets */
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
  SfEvaluation *evaluation;
  char *placeholder;

  double threshold;
  SfMetrics counts;             /* of `evaluation` at `threshold` */
};

enum {
  PROP_0,
  PROP_THRESHOLD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SfScorePanel, sf_score_panel, GTK_TYPE_WIDGET)

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

/* The counts, their labels and the charts at the current threshold. */
static void
update_counts (SfScorePanel *self)
{
  GtkLabel *labels[] = { self->true_accepts_label, self->false_accepts_label, self->true_rejects_label,
                         self->false_rejects_label, self->accuracy_label, self->precision_label,
                         self->recall_label };

  if (self->evaluation == NULL)
    {
      for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
        gtk_label_set_label (labels[i], "—");
    }
  else
    {
      sf_evaluation_at_threshold (self->evaluation, (float) self->threshold, &self->counts);
      set_count_label (self->true_accepts_label, self->counts.true_accepts);
      set_count_label (self->false_accepts_label, self->counts.false_accepts);
      set_count_label (self->true_rejects_label, self->counts.true_rejects);
      set_count_label (self->false_rejects_label, self->counts.false_rejects);
      set_ratio_label (self->accuracy_label, self->counts.accuracy);
      set_ratio_label (self->precision_label, self->counts.precision);
      set_ratio_label (self->recall_label, self->counts.recall);

      g_autofree char *histogram = sf_score_histogram_describe (self->counts.n_same, self->counts.n_different,
                                                                self->threshold);
      g_autofree char *roc = sf_roc_describe (self->evaluation->metrics.auc, self->threshold,
                                              operating_far (&self->counts), self->counts.recall,
                                              self->counts.accuracy);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->histogram_area),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, histogram, -1);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->roc_area),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, roc, -1);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self->histogram_area));
  gtk_widget_queue_draw (GTK_WIDGET (self->roc_area));
}

/* The texts that change only with the evaluation. */
static void
update_summary (SfScorePanel *self)
{
  const SfEvaluation *evaluation = self->evaluation;
  float eer = 0.0f, best = 0.0f;
  gboolean eer_ok = sf_score_panel_get_rule_threshold (self, SF_THRESHOLD_EER, &eer);
  gboolean best_ok = sf_score_panel_get_rule_threshold (self, SF_THRESHOLD_BEST_ACCURACY, &best);

  gtk_widget_set_visible (self->mismatch_box, evaluation != NULL && !evaluation->same_data);
  if (evaluation == NULL)
    gtk_label_set_label (self->validation_label, self->placeholder != NULL ? self->placeholder : "");
  else
    {
      const SfMetrics *metrics = &evaluation->metrics;
      g_autofree char *auc = format_ratio (metrics->auc);
      g_autofree char *eer_text = format_ratio (metrics->eer);
      g_autofree char *text = NULL;
      if (!evaluation->same_data)
        /* Translators: pair counts of a dataset the model was not trained on, then AUC and EER. */
        text = g_strdup_printf (_("%d pairs of this dataset: %d of the same person, %d of different people. AUC %s, equal error rate %s."),
                                evaluation->n_pairs, metrics->n_same, metrics->n_different, auc, eer_text);
      else
        /* Translators: validation pair counts, the split (e.g. "whole people held out"), then AUC and EER. */
        text = g_strdup_printf (_("%d pairs held out in training (%s): %d of the same person, %d of different people. AUC %s, equal error rate %s."),
                                evaluation->n_pairs, split_description (evaluation->split), metrics->n_same,
                                metrics->n_different, auc, eer_text);
      gtk_label_set_label (self->validation_label, text);
    }

  g_autofree char *eer_label = eer_ok ? g_strdup_printf (_("Use _EER Threshold (%.3f)"), eer)
                                      : g_strdup (_("Use _EER Threshold"));
  g_autofree char *best_label = best_ok ? g_strdup_printf (_("Use _Best-Accuracy Threshold (%.3f)"), best)
                                        : g_strdup (_("Use _Best-Accuracy Threshold"));
  gtk_button_set_label (self->eer_button, eer_label);
  gtk_button_set_label (self->best_button, best_label);
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
  SfScorePanel *self = user_data;
  const SfEvaluation *evaluation = self->evaluation;
  SfScoreChartStyle style;

  chart_style (GTK_WIDGET (area), &style);
  if (evaluation != NULL)
    sf_score_histogram_draw (cr, width, height, &style, evaluation->scores, evaluation->truths,
                             evaluation->n_pairs, self->threshold);
  else
    sf_score_histogram_draw (cr, width, height, &style, NULL, NULL, 0, self->threshold);
}

static void
draw_roc_cb (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
  SfScorePanel *self = user_data;
  const SfEvaluation *evaluation = self->evaluation;
  SfScoreChartStyle style;

  chart_style (GTK_WIDGET (area), &style);
  if (evaluation != NULL)
    sf_roc_draw (cr, width, height, &style, evaluation->roc, evaluation->n_roc, evaluation->metrics.auc,
                 operating_far (&self->counts), self->counts.recall);
  else
    sf_roc_draw (cr, width, height, &style, NULL, 0, NAN, NAN, NAN);
}

/* ---- GObject ---- */

static void
sf_score_panel_dispose (GObject *object)
{
  SfScorePanel *self = SF_SCORE_PANEL (object);
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (self), SF_TYPE_SCORE_PANEL);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (sf_score_panel_parent_class)->dispose (object);
}

static void
sf_score_panel_finalize (GObject *object)
{
  SfScorePanel *self = SF_SCORE_PANEL (object);

  g_clear_pointer (&self->evaluation, sf_evaluation_free);
  g_free (self->placeholder);

  G_OBJECT_CLASS (sf_score_panel_parent_class)->finalize (object);
}

static void
sf_score_panel_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfScorePanel *self = SF_SCORE_PANEL (object);

  switch (prop_id)
    {
    case PROP_THRESHOLD:
      g_value_set_double (value, self->threshold);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_score_panel_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SfScorePanel *self = SF_SCORE_PANEL (object);

  switch (prop_id)
    {
    case PROP_THRESHOLD:
      sf_score_panel_set_threshold (self, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_score_panel_class_init (SfScorePanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sf_score_panel_dispose;
  object_class->finalize = sf_score_panel_finalize;
  object_class->get_property = sf_score_panel_get_property;
  object_class->set_property = sf_score_panel_set_property;

  properties[PROP_THRESHOLD] =
    g_param_spec_double ("threshold", NULL, NULL, 0.0, 1.0, 0.5,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-score-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, SfScorePanel, validation_label);
  gtk_widget_class_bind_template_child (widget_class, SfScorePanel, mismatch_box);
  gtk_widget_class_bind_template_child (widget_class, SfScorePanel, histogram_area);
  gtk_widget_class_bind_template_child (widget_class, SfScorePanel, roc_area);
  gtk_widget_class_bind_template_child (widget_class, SfScorePanel, true_accepts_label);
  gtk_widget_class_bind_template_child (widget_class, SfScorePanel, false_accepts_label);
  gtk_widget_class_bind_template_child (widget_class, SfScorePanel, true_rejects_label);
  gtk_widget_class_bind_template_child (widget_class, SfScorePanel, false_rejects_label);
  gtk_widget_class_bind_template_child (widget_class, SfScorePanel, accuracy_label);
  gtk_widget_class_bind_template_child (widget_class, SfScorePanel, precision_label);
  gtk_widget_class_bind_template_child (widget_class, SfScorePanel, recall_label);
  gtk_widget_class_bind_template_child (widget_class, SfScorePanel, eer_button);
  gtk_widget_class_bind_template_child (widget_class, SfScorePanel, best_button);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "scorepanel");
}

static void
sf_score_panel_init (SfScorePanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->threshold = 0.5;
  gtk_drawing_area_set_draw_func (self->histogram_area, draw_histogram_cb, self, NULL);
  gtk_drawing_area_set_draw_func (self->roc_area, draw_roc_cb, self, NULL);
  update_summary (self);
  update_counts (self);
}

/* ---- public API ---- */

void
sf_score_panel_set_evaluation (SfScorePanel *self, SfEvaluation *evaluation)
{
  g_return_if_fail (SF_IS_SCORE_PANEL (self));

  if (evaluation == self->evaluation)
    return;
  g_clear_pointer (&self->evaluation, sf_evaluation_free);
  self->evaluation = evaluation;
  memset (&self->counts, 0, sizeof self->counts);
  update_summary (self);
  update_counts (self);
}

const SfEvaluation *
sf_score_panel_get_evaluation (SfScorePanel *self)
{
  g_return_val_if_fail (SF_IS_SCORE_PANEL (self), NULL);

  return self->evaluation;
}

void
sf_score_panel_set_placeholder (SfScorePanel *self, const char *text)
{
  g_return_if_fail (SF_IS_SCORE_PANEL (self));

  if (g_strcmp0 (self->placeholder, text) == 0)
    return;
  g_free (self->placeholder);
  self->placeholder = g_strdup (text);
  update_summary (self);
}

double
sf_score_panel_get_threshold (SfScorePanel *self)
{
  g_return_val_if_fail (SF_IS_SCORE_PANEL (self), 0.5);

  return self->threshold;
}

void
sf_score_panel_set_threshold (SfScorePanel *self, double threshold)
{
  g_return_if_fail (SF_IS_SCORE_PANEL (self));

  if (self->threshold == threshold)
    return;
  self->threshold = threshold;
  update_counts (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THRESHOLD]);
}

const SfMetrics *
sf_score_panel_get_counts (SfScorePanel *self)
{
  g_return_val_if_fail (SF_IS_SCORE_PANEL (self), NULL);

  return self->evaluation != NULL ? &self->counts : NULL;
}

gboolean
sf_score_panel_get_rule_threshold (SfScorePanel *self, SfThresholdRule rule, float *threshold)
{
  g_return_val_if_fail (SF_IS_SCORE_PANEL (self), FALSE);
  g_return_val_if_fail (threshold != NULL, FALSE);

  const SfEvaluation *evaluation = self->evaluation;
  if (evaluation == NULL)
    return FALSE;
  const SfMetrics *metrics = &evaluation->metrics;
  gboolean known = rule == SF_THRESHOLD_EER ? isfinite (metrics->eer) && isfinite (metrics->eer_threshold)
                                            : isfinite (metrics->best_threshold);
  if (!known)
    return FALSE;
  *threshold = sf_evaluation_choose_threshold (evaluation, rule);
  return TRUE;
}

GtkWidget *
sf_score_panel_new (void)
{
  return g_object_new (SF_TYPE_SCORE_PANEL, NULL);
}
