/* SfTrainingCurves: the current run is five series (loss and accuracy, each
 * training and validation, and the learning rate) whose points are rebuilt
 * from the history given;
 * begin() turns them faint, as "earlier runs", behind the next ones. */
#include "sf-training-curves.h"

#include <glib/gi18n.h>
#include <math.h>

#include "sf-drawing-file.h"

/* Blue for training, orange for validation (GNOME palette). */
static const SfChartColor train_color = { 0.21, 0.52, 0.89, 1.0 };
static const SfChartColor validation_color = { 0.90, 0.38, 0.0, 1.0 };
static const SfChartColor rate_color = { 0.57, 0.25, 0.67, 1.0 };

struct _SfTrainingCurves
{
  GtkWidget parent_instance;

  /* Template widgets */
  SfPlot *loss_plot;
  SfPlot *accuracy_plot;
  SfPlot *rate_plot;

  /* The current run's series in the plots. */
  guint loss_train, loss_validation, accuracy_train, accuracy_validation, rate;
  double smoothing;
};

enum {
  PROP_0,
  PROP_SMOOTHING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SfTrainingCurves, sf_training_curves, GTK_TYPE_WIDGET)

static void
add_current_series (SfTrainingCurves *self)
{
  self->loss_train = sf_plot_add_series (self->loss_plot, _("training"), &train_color, FALSE, FALSE, FALSE);
  self->loss_validation = sf_plot_add_series (self->loss_plot, _("validation"), &validation_color, TRUE, FALSE,
                                              FALSE);
  /* The trainer counts a pair right at the fixed threshold 0.5, not at the
   * threshold the run ends with: say so where the curves are read. */
  /* Translators: the accuracy curve of the training pairs, counted at the fixed threshold 0.5. */
  self->accuracy_train = sf_plot_add_series (self->accuracy_plot, _("training (at 0.5)"), &train_color, FALSE, FALSE,
                                             FALSE);
  /* Translators: the accuracy curve of the validation pairs, counted at the fixed threshold 0.5. */
  self->accuracy_validation = sf_plot_add_series (self->accuracy_plot, _("validation (at 0.5)"), &validation_color,
                                                  TRUE, FALSE, FALSE);
  self->rate = sf_plot_add_series (self->rate_plot, _("learning rate"), &rate_color, FALSE, FALSE, FALSE);
}

/* The series of `plot` with points, all made faint. */
static GPtrArray *
faint_copies (SfPlot *plot)
{
  GPtrArray *keep = g_ptr_array_new_with_free_func ((GDestroyNotify) sf_plot_series_free);

  for (guint s = 0; s < sf_plot_get_n_series (plot); s++)
    {
      const SfPlotSeries *series = sf_plot_get_series (plot, s);
      if (series->points->len == 0)
        continue;
      SfPlotSeries *copy = sf_plot_series_new (series->name, &series->color, series->dashed, TRUE, series->thin);
      g_array_append_vals (copy->points, series->points->data, series->points->len);
      g_ptr_array_add (keep, copy);
    }
  return keep;
}

void
sf_training_curves_begin (SfTrainingCurves *self, int n_epochs)
{
  g_return_if_fail (SF_IS_TRAINING_CURVES (self));

  SfPlot *plots[] = { self->loss_plot, self->accuracy_plot, self->rate_plot };
  for (guint k = 0; k < G_N_ELEMENTS (plots); k++)
    {
      g_autoptr (GPtrArray) keep = faint_copies (plots[k]);
      sf_plot_clear (plots[k]);
      for (guint s = 0; s < keep->len; s++)
        {
          const SfPlotSeries *series = g_ptr_array_index (keep, s);
          guint index = sf_plot_add_series (plots[k], series->name, &series->color, series->dashed, TRUE,
                                            series->thin);
          sf_plot_set_points (plots[k], index, (const SfPlotPoint *) series->points->data, series->points->len);
        }
      sf_plot_set_x_range (plots[k], 1, MAX (n_epochs, 2));
    }
  add_current_series (self);
}

void
sf_training_curves_show_history (SfTrainingCurves *self, const SfEpochRecord *history, int n_epochs)
{
  g_return_if_fail (SF_IS_TRAINING_CURVES (self));
  g_return_if_fail (history != NULL || n_epochs == 0);

  guint n = (guint) MAX (n_epochs, 0);
  g_autofree SfPlotPoint *loss = g_new (SfPlotPoint, MAX (n, 1));
  g_autofree SfPlotPoint *accuracy = g_new (SfPlotPoint, MAX (n, 1));
  g_autofree SfPlotPoint *validation_loss = g_new (SfPlotPoint, MAX (n, 1));
  g_autofree SfPlotPoint *validation_accuracy = g_new (SfPlotPoint, MAX (n, 1));
  g_autofree SfPlotPoint *rate = g_new (SfPlotPoint, MAX (n, 1));
  guint n_loss = 0, n_accuracy = 0;

  /* Without validation pairs the validation values are NAN: no points. */
  for (guint i = 0; i < n; i++)
    {
      const SfEpochRecord *r = &history[i];
      loss[i] = (SfPlotPoint) { r->epoch, r->loss };
      accuracy[i] = (SfPlotPoint) { r->epoch, r->accuracy };
      rate[i] = (SfPlotPoint) { r->epoch, r->learning_rate };
      if (isfinite (r->validation_loss))
        validation_loss[n_loss++] = (SfPlotPoint) { r->epoch, r->validation_loss };
      if (isfinite (r->validation_accuracy))
        validation_accuracy[n_accuracy++] = (SfPlotPoint) { r->epoch, r->validation_accuracy };
    }
  sf_plot_set_points (self->loss_plot, self->loss_train, loss, n);
  sf_plot_set_points (self->loss_plot, self->loss_validation, validation_loss, n_loss);
  sf_plot_set_points (self->accuracy_plot, self->accuracy_train, accuracy, n);
  sf_plot_set_points (self->accuracy_plot, self->accuracy_validation, validation_accuracy, n_accuracy);
  sf_plot_set_points (self->rate_plot, self->rate, rate, n);
}

double
sf_training_curves_get_smoothing (SfTrainingCurves *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_CURVES (self), 0.0);

  return self->smoothing;
}

void
sf_training_curves_set_smoothing (SfTrainingCurves *self, double smoothing)
{
  g_return_if_fail (SF_IS_TRAINING_CURVES (self));

  smoothing = CLAMP (smoothing, 0.0, 0.99);
  if (self->smoothing == smoothing)
    return;
  self->smoothing = smoothing;
  sf_plot_set_smoothing (self->loss_plot, smoothing);
  sf_plot_set_smoothing (self->accuracy_plot, smoothing);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SMOOTHING]);
}

SfPlot *
sf_training_curves_get_loss_plot (SfTrainingCurves *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_CURVES (self), NULL);

  return self->loss_plot;
}

SfPlot *
sf_training_curves_get_accuracy_plot (SfTrainingCurves *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_CURVES (self), NULL);

  return self->accuracy_plot;
}

SfPlot *
sf_training_curves_get_rate_plot (SfTrainingCurves *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_CURVES (self), NULL);

  return self->rate_plot;
}

/* Both plots, one above the other, on any cairo surface. */
static void
draw_both (cairo_t *cr, double width, double height, gpointer user_data)
{
  SfTrainingCurves *self = user_data;
  SfPlot *plots[] = { self->loss_plot, self->accuracy_plot };
  const char *titles[] = { _("Loss"), _("Accuracy") };
  SfChartStyle style;

  sf_chart_style_init (&style);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  for (int k = 0; k < 2; k++)
    {
      SfPlotData data = { 0 };
      data.series = g_ptr_array_new ();
      for (guint s = 0; s < sf_plot_get_n_series (plots[k]); s++)
        g_ptr_array_add (data.series, (gpointer) sf_plot_get_series (plots[k], s));
      data.x_label = _("Epoch");
      data.y_label = titles[k];
      data.faint_label = _("earlier runs");
      data.x_min = 1;
      data.x_max = NAN;
      data.y_min = 0;
      data.y_max = k == 1 ? 1 : NAN;
      data.x_min_step = 1;
      data.smoothing = sf_plot_get_smoothing (plots[k]);
      cairo_save (cr);
      cairo_translate (cr, 0, k * height / 2.0);
      sf_plot_draw (cr, width, height / 2.0, &data, &style);
      cairo_restore (cr);
      g_ptr_array_unref (data.series);
    }
}

gboolean
sf_training_curves_save (SfTrainingCurves *self, SfTrainingCurvesPart part, const char *path, GError **error)
{
  g_return_val_if_fail (SF_IS_TRAINING_CURVES (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  switch (part)
    {
    case SF_TRAINING_CURVES_LOSS:
      return sf_plot_save (self->loss_plot, path, 800, 450, error);
    case SF_TRAINING_CURVES_ACCURACY:
      return sf_plot_save (self->accuracy_plot, path, 800, 450, error);
    case SF_TRAINING_CURVES_BOTH:
    default:
      {
        SfDrawingFileOptions options = { sf_drawing_format_for_path (path), 800, 900, 1.0, NULL, NULL };
        return sf_drawing_file_save (path, &options, draw_both, self, error);
      }
    }
}

static void
sf_training_curves_dispose (GObject *object)
{
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (object), SF_TYPE_TRAINING_CURVES);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (sf_training_curves_parent_class)->dispose (object);
}

static void
sf_training_curves_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfTrainingCurves *self = SF_TRAINING_CURVES (object);

  switch (prop_id)
    {
    case PROP_SMOOTHING:
      g_value_set_double (value, self->smoothing);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_training_curves_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SfTrainingCurves *self = SF_TRAINING_CURVES (object);

  switch (prop_id)
    {
    case PROP_SMOOTHING:
      sf_training_curves_set_smoothing (self, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_training_curves_class_init (SfTrainingCurvesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sf_training_curves_dispose;
  object_class->get_property = sf_training_curves_get_property;
  object_class->set_property = sf_training_curves_set_property;

  properties[PROP_SMOOTHING] =
    g_param_spec_double ("smoothing", NULL, NULL, 0.0, 0.99, 0.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SF_TYPE_PLOT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-training-curves.ui");
  gtk_widget_class_bind_template_child (widget_class, SfTrainingCurves, loss_plot);
  gtk_widget_class_bind_template_child (widget_class, SfTrainingCurves, accuracy_plot);
  gtk_widget_class_bind_template_child (widget_class, SfTrainingCurves, rate_plot);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "trainingcurves");
}

static void
sf_training_curves_init (SfTrainingCurves *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  SfPlot *plots[] = { self->loss_plot, self->accuracy_plot };
  for (guint k = 0; k < G_N_ELEMENTS (plots); k++)
    {
      sf_plot_set_labels (plots[k], _("Epoch"), k == 0 ? _("Loss") : _("Accuracy"));
      sf_plot_set_title (plots[k], k == 0 ? _("Loss") : _("Accuracy"));
      sf_plot_set_empty_text (plots[k], _("Start training to see the curves"));
      sf_plot_set_faint_label (plots[k], _("earlier runs"));
      sf_plot_set_y_range (plots[k], 0, k == 0 ? NAN : 1);
      sf_plot_set_x_range (plots[k], 1, 2);
    }
  /* Never smoothed: a step of the schedule would blur into a slope. */
  sf_plot_set_labels (self->rate_plot, _("Epoch"), _("Learning rate"));
  sf_plot_set_title (self->rate_plot, _("Learning rate"));
  sf_plot_set_faint_label (self->rate_plot, _("earlier runs"));
  sf_plot_set_y_range (self->rate_plot, 0, NAN);
  sf_plot_set_x_range (self->rate_plot, 1, 2);
  add_current_series (self);
}

GtkWidget *
sf_training_curves_new (void)
{
  return g_object_new (SF_TYPE_TRAINING_CURVES, NULL);
}
