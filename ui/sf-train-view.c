/* SfTrainView: settings bound to GSettings (a preset choice fills every key
 * from the engine's preset; any other change makes the preset "custom"), an
 * SfTrainingRun that trains off the main thread, the curves in two SfPlots,
 * and the finished run handed to the session with a threshold chosen from
 * its validation pairs on a worker thread. */
#include "sf-train-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "error.h"
#include "evaluation.h"
#include "metrics.h"
#include "sf-drawing-file.h"
#include "sf-file-chooser.h"
#include "sf-notify.h"
#include "sf-training-run.h"

#define APP_ID "io.github.siamesefaces.SiameseFaces"

static const char * const preset_names[] = { "compact", "article", "custom", NULL };
static const char * const head_names[] = { "bce", "contrastive", NULL };
static const char * const optimizer_names[] = { "adam", "rmsprop", "sgd", NULL };
static const char * const schedule_names[] = { "constant", "step", "cosine", NULL };
static const char * const split_names[] = { "pairs", "images", "people", NULL };

/* Training colours: blue for training, orange for validation (GNOME palette). */
static const SfChartColor train_color = { 0.21, 0.52, 0.89, 1.0 };
static const SfChartColor validation_color = { 0.90, 0.38, 0.0, 1.0 };

struct _SfTrainView
{
  GtkWidget parent_instance;

  /* Template widgets */
  AdwFlap *flap;
  AdwPreferencesPage *settings_page;
  AdwComboRow *preset_row;
  AdwEntryRow *spec_row;
  AdwComboRow *head_row;
  AdwActionRow *margin_row;
  GtkSpinButton *margin_spin;
  GtkSpinButton *dropout_spin;
  AdwComboRow *optimizer_row;
  GtkSpinButton *rate_spin;
  AdwComboRow *schedule_row;
  GtkSpinButton *decay_spin;
  GtkSpinButton *epochs_spin;
  GtkSpinButton *batch_spin;
  GtkSwitch *flip_switch;
  GtkSwitch *shift_switch;
  GtkSwitch *rotate_switch;
  GtkSwitch *scale_switch;
  GtkSwitch *light_switch;
  AdwComboRow *split_row;
  GtkSpinButton *share_spin;
  AdwActionRow *new_pairs_row;
  GtkSwitch *new_pairs_switch;
  GtkSpinButton *seed_spin;
  GtkWidget *start_button;
  GtkWidget *pause_button;
  GtkWidget *resume_button;
  GtkWidget *stop_button;
  GtkLabel *epoch_label;
  GtkScale *smoothing_scale;
  GtkProgressBar *progress_bar;
  GtkLabel *status_label;
  SfPlot *loss_plot;
  SfPlot *accuracy_plot;
  GtkLabel *result_label;

  /* Owned */
  SfSession *session;
  GSettings *settings;
  SfTrainingRun *run;
  GArray *history;              /* SfEpochRecord of the curves shown */
  GCancellable *finishing;      /* the threshold task of the run that just ended */
  GtkFileChooserNative *chooser;
  char *export_kind;            /* what the chooser saves: "loss.png", "history.csv", ... */

  /* Borrowed */
  const SfCheckpoint *own_checkpoint;   /* the last checkpoint this view gave the session */

  guint loss_train, loss_validation, accuracy_train, accuracy_validation;
  guint runs;
  guint status_id;
  gint64 status_us;             /* when update_status last ran for a batch */
  gboolean updating;
};

enum {
  PROP_0,
  PROP_RUNNING,
  PROP_PAUSED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SfTrainView, sf_train_view, GTK_TYPE_WIDGET)

static int
name_index (const char * const *names, const char *name)
{
  for (int i = 0; names[i] != NULL; i++)
    if (g_strcmp0 (names[i], name) == 0)
      return i;
  return 0;
}

/* GSettings string (or enum nick) ↔ combo row "selected". */
static gboolean
get_index_mapping (GValue *value, GVariant *variant, gpointer user_data)
{
  g_value_set_uint (value, (guint) name_index (user_data, g_variant_get_string (variant, NULL)));
  return TRUE;
}

static GVariant *
set_index_mapping (const GValue *value, const GVariantType *type, gpointer user_data)
{
  const char * const *names = user_data;
  guint index = g_value_get_uint (value);

  if (index >= g_strv_length ((char **) names))
    return NULL;
  return g_variant_new_string (names[index]);
}

static void
bind_combo (SfTrainView *self, const char *key, AdwComboRow *row, const char * const *names)
{
  g_settings_bind_with_mapping (self->settings, key, row, "selected", G_SETTINGS_BIND_DEFAULT,
                                get_index_mapping, set_index_mapping, (gpointer) names, NULL);
}

static char *
effective_spec (SfTrainView *self)
{
  g_autofree char *spec = g_settings_get_string (self->settings, "train-spec");
  g_autofree char *preset = g_settings_get_string (self->settings, "train-preset");

  if (*g_strstrip (spec) != '\0')
    return g_steal_pointer (&spec);
  const char *own = sf_spec_preset (preset);
  return g_strdup (own != NULL ? own : SF_SPEC_COMPACT);
}

void
sf_train_view_get_settings (SfTrainView *self, SfTrainSettings *s)
{
  g_return_if_fail (SF_IS_TRAIN_VIEW (self));

  SfPreset preset = SF_PRESET_COMPACT;
  g_autofree char *preset_name = g_settings_get_string (self->settings, "train-preset");
  g_autofree char *head = g_settings_get_string (self->settings, "train-head");
  g_autofree char *optimizer = g_settings_get_string (self->settings, "train-optimizer");
  g_autofree char *schedule = g_settings_get_string (self->settings, "train-schedule");

  /* What the view does not show (β, ε, step size, augmentation strengths) comes from the preset. */
  sf_preset_parse (preset_name, &preset);
  memset (s, 0, sizeof *s);
  sf_train_settings_init_preset (s, preset);
  g_free (s->spec);
  s->spec = effective_spec (self);
  sf_head_kind_parse (head, &s->head);
  s->margin = (float) g_settings_get_double (self->settings, "train-margin");
  s->epochs = g_settings_get_int (self->settings, "train-epochs");
  s->batch_size = g_settings_get_int (self->settings, "train-batch-size");
  sf_optimizer_kind_parse (optimizer, &s->optimizer.kind);
  s->optimizer.learning_rate = (float) g_settings_get_double (self->settings, "train-learning-rate");
  sf_schedule_kind_parse (schedule, &s->optimizer.schedule);
  s->optimizer.weight_decay = (float) g_settings_get_double (self->settings, "train-weight-decay");

  SfAugmentSettings strengths;
  sf_augment_settings_init_default (&strengths);
  s->augment = (SfAugmentSettings) { 0 };
  s->augment.flip = g_settings_get_boolean (self->settings, "train-augment-flip");
  if (g_settings_get_boolean (self->settings, "train-augment-shift"))
    s->augment.shift = strengths.shift;
  if (g_settings_get_boolean (self->settings, "train-augment-rotate"))
    s->augment.rotate_degrees = strengths.rotate_degrees;
  if (g_settings_get_boolean (self->settings, "train-augment-scale"))
    s->augment.scale = strengths.scale;
  if (g_settings_get_boolean (self->settings, "train-augment-light"))
    {
      s->augment.brightness = strengths.brightness;
      s->augment.contrast = strengths.contrast;
    }
  s->split = (SfSplitKind) g_settings_get_enum (self->settings, "default-split");
  double share = g_settings_get_double (self->settings, "train-split-share");
  s->split_share = share > 0 ? share : sf_split_default_share (s->split);
  s->seed = g_settings_get_uint (self->settings, "default-seed");
  s->new_pairs_each_epoch = g_settings_get_boolean (self->settings, "train-new-pairs") && s->split != SF_SPLIT_PAIRS;
}

static gboolean
close_enough (double a, double b)
{
  return fabs (a - b) <= 1e-6 * MAX (fabs (a), fabs (b)) + 1e-9;
}

/* Whether the settings are the preset's, the seed aside. */
static gboolean
matches_preset (const SfTrainSettings *s, SfPreset preset)
{
  SfTrainSettings p = { 0 };
  sf_train_settings_init_preset (&p, preset);
  gboolean same = g_strcmp0 (s->spec, p.spec) == 0
                  && s->head == p.head
                  && (s->head != SF_HEAD_CONTRASTIVE || close_enough (s->margin, p.margin))
                  && s->epochs == p.epochs
                  && s->batch_size == p.batch_size
                  && s->optimizer.kind == p.optimizer.kind
                  && close_enough (s->optimizer.learning_rate, p.optimizer.learning_rate)
                  && s->optimizer.schedule == p.optimizer.schedule
                  && close_enough (s->optimizer.weight_decay, p.optimizer.weight_decay)
                  && s->augment.flip == p.augment.flip
                  && (s->augment.shift > 0) == (p.augment.shift > 0)
                  && (s->augment.rotate_degrees > 0) == (p.augment.rotate_degrees > 0)
                  && (s->augment.scale > 0) == (p.augment.scale > 0)
                  && (s->augment.brightness > 0) == (p.augment.brightness > 0)
                  && s->split == p.split
                  && close_enough (s->split_share, p.split_share > 0 ? p.split_share : sf_split_default_share (p.split))
                  && s->new_pairs_each_epoch == p.new_pairs_each_epoch;
  sf_train_settings_clear (&p);
  return same;
}

/* Writes every training key from settings (the seed only if asked). */
static void
store_settings (SfTrainView *self, const SfTrainSettings *s, const char *preset_name, gboolean with_seed)
{
  GSettings *g = self->settings;
  gboolean was_updating = self->updating;

  self->updating = TRUE;
  g_settings_set_string (g, "train-preset", preset_name);
  g_settings_set_string (g, "train-spec", sf_spec_preset (preset_name) != NULL ? "" : s->spec);
  g_settings_set_string (g, "train-head", sf_head_kind_name (s->head));
  g_settings_set_double (g, "train-margin", CLAMP (s->margin, 0.01, 100));
  g_settings_set_string (g, "train-optimizer", sf_optimizer_kind_name (s->optimizer.kind));
  g_settings_set_double (g, "train-learning-rate", CLAMP (s->optimizer.learning_rate, 1e-6, 10));
  g_settings_set_string (g, "train-schedule", sf_schedule_kind_name (s->optimizer.schedule));
  g_settings_set_double (g, "train-weight-decay", CLAMP (s->optimizer.weight_decay, 0, 1));
  g_settings_set_int (g, "train-epochs", CLAMP (s->epochs, 1, 100000));
  g_settings_set_int (g, "train-batch-size", CLAMP (s->batch_size, 1, 4096));
  g_settings_set_boolean (g, "train-augment-flip", s->augment.flip);
  g_settings_set_boolean (g, "train-augment-shift", s->augment.shift > 0);
  g_settings_set_boolean (g, "train-augment-rotate", s->augment.rotate_degrees > 0);
  g_settings_set_boolean (g, "train-augment-scale", s->augment.scale > 0);
  g_settings_set_boolean (g, "train-augment-light", s->augment.brightness > 0 || s->augment.contrast > 0);
  g_settings_set_enum (g, "default-split", (int) s->split);
  gboolean default_share = s->split_share <= 0 || close_enough (s->split_share, sf_split_default_share (s->split));
  g_settings_set_double (g, "train-split-share", default_share ? 0.0 : CLAMP (s->split_share, 0, 0.9));
  if (s->split != SF_SPLIT_PAIRS)
    g_settings_set_boolean (g, "train-new-pairs", s->new_pairs_each_epoch);
  if (with_seed)
    g_settings_set_uint (g, "default-seed", (guint) MIN (s->seed, 2147483647));
  self->updating = was_updating;
}

static void
fill_from_preset (SfTrainView *self, SfPreset preset)
{
  SfTrainSettings s = { 0 };

  sf_train_settings_init_preset (&s, preset);
  store_settings (self, &s, sf_preset_name (preset), FALSE);
  sf_train_settings_clear (&s);
}

/* Dropout: the rate of the first drop layer in the spec, 0 without. */
static double
spec_dropout (const char *spec)
{
  g_auto (GStrv) tokens = g_strsplit_set (spec, " \t\n", -1);

  for (guint i = 0; tokens[i] != NULL; i++)
    if (g_str_has_prefix (tokens[i], "drop"))
      return g_ascii_strtod (tokens[i] + 4, NULL);
  return 0.0;
}

/* The spec with every drop layer at `rate`: none at 0; one before the last
 * layer when there was none. */
static char *
spec_with_dropout (const char *spec, double rate)
{
  g_auto (GStrv) tokens = g_strsplit_set (spec, " \t\n", -1);
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  char number[G_ASCII_DTOSTR_BUF_SIZE];
  gboolean had = FALSE;

  /* "0.30" → "0.3", as specs are usually written. */
  g_ascii_formatd (number, sizeof number, "%.2f", rate);
  for (char *end = number + strlen (number) - 1; end > number && *end == '0'; end--)
    *end = '\0';
  for (guint i = 0; tokens[i] != NULL; i++)
    {
      if (*tokens[i] == '\0')
        continue;
      if (g_str_has_prefix (tokens[i], "drop"))
        {
          had = TRUE;
          if (rate > 0)
            g_ptr_array_add (out, g_strconcat ("drop", number, NULL));
          continue;
        }
      g_ptr_array_add (out, g_strdup (tokens[i]));
    }
  if (!had && rate > 0 && out->len > 0)
    g_ptr_array_insert (out, (int) out->len - 1, g_strconcat ("drop", number, NULL));
  g_ptr_array_add (out, NULL);
  return g_strjoinv (" ", (char **) out->pdata);
}

/* Shows what GSettings holds where no binding does. */
static void
load_unbound (SfTrainView *self)
{
  g_autofree char *preset = g_settings_get_string (self->settings, "train-preset");
  g_autofree char *spec = effective_spec (self);
  g_autofree char *head = g_settings_get_string (self->settings, "train-head");
  SfSplitKind split = (SfSplitKind) g_settings_get_enum (self->settings, "default-split");
  double share = g_settings_get_double (self->settings, "train-split-share");
  /* Also called while store_settings writes: keep its guard up. */
  gboolean was_updating = self->updating;

  self->updating = TRUE;
  adw_combo_row_set_selected (self->preset_row, (guint) name_index (preset_names, preset));
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->spec_row)), spec) != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->spec_row), spec);
  gtk_widget_remove_css_class (GTK_WIDGET (self->spec_row), "error");
  gtk_spin_button_set_value (self->dropout_spin, spec_dropout (spec));
  gtk_spin_button_set_value (self->share_spin, share > 0 ? share : sf_split_default_share (split));
  gtk_widget_set_sensitive (GTK_WIDGET (self->margin_row), g_strcmp0 (head, "contrastive") == 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->new_pairs_row), split != SF_SPLIT_PAIRS);
  self->updating = was_updating;
}

static void
settings_changed_cb (GSettings *settings, const char *key, SfTrainView *self)
{
  if (!g_str_has_prefix (key, "train-") && g_strcmp0 (key, "default-split") != 0)
    return;
  if (g_strcmp0 (key, "train-smoothing") == 0)
    return;

  if (!self->updating)
    {
      g_autofree char *name = g_settings_get_string (settings, "train-preset");
      SfPreset preset;
      if (g_strcmp0 (key, "train-preset") == 0)
        {
          /* A preset chosen here or in the Model view brings all its settings. */
          if (sf_preset_parse (name, &preset))
            fill_from_preset (self, preset);
        }
      else if (sf_preset_parse (name, &preset))
        {
          SfTrainSettings s;
          sf_train_view_get_settings (self, &s);
          if (!matches_preset (&s, preset))
            {

              self->updating = TRUE;
              g_settings_set_string (settings, "train-preset", "custom");
              self->updating = FALSE;
            }
          sf_train_settings_clear (&s);
        }
    }
  load_unbound (self);
}

static void
preset_selected_cb (SfTrainView *self)
{
  guint selected = adw_combo_row_get_selected (self->preset_row);

  if (self->updating || selected >= G_N_ELEMENTS (preset_names) - 1)
    return;
  g_autofree char *current = g_settings_get_string (self->settings, "train-preset");
  if (g_strcmp0 (current, preset_names[selected]) != 0)
    g_settings_set_string (self->settings, "train-preset", preset_names[selected]);
}

static void
spec_apply_cb (SfTrainView *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->spec_row))));
  g_autoptr (GError) error = NULL;
  g_autoptr (SfTower) tower = sf_tower_parse (text, SF_DEFAULT_IMAGE_SIZE, &error);

  if (tower == NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->spec_row), "error");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->spec_row), error->message);
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->spec_row), "error");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->spec_row), NULL);
  g_settings_set_string (self->settings, "train-spec", tower->spec);
}

static void
dropout_changed_cb (SfTrainView *self)
{
  if (self->updating)
    return;
  g_autofree char *spec = effective_spec (self);
  double rate = gtk_spin_button_get_value (self->dropout_spin);
  if (fabs (spec_dropout (spec) - rate) < 1e-6)
    return;
  g_autofree char *changed = spec_with_dropout (spec, rate);
  g_settings_set_string (self->settings, "train-spec", changed);
}

static void
share_changed_cb (SfTrainView *self)
{
  if (self->updating)
    return;
  SfSplitKind split = (SfSplitKind) g_settings_get_enum (self->settings, "default-split");
  double share = gtk_spin_button_get_value (self->share_spin);
  g_settings_set_double (self->settings, "train-split-share",
                         close_enough (share, sf_split_default_share (split)) ? 0.0 : share);
}

static void
split_changed_cb (SfTrainView *self)
{
  /* A new kind starts from its own default share. */
  if (!self->updating && g_settings_get_double (self->settings, "train-split-share") != 0.0)
    g_settings_set_double (self->settings, "train-split-share", 0.0);
}

static void
message (SfTrainView *self, const char *heading, const char *body)
{
  sf_notify_message (GTK_WIDGET (self), heading, body);
}

static char *
format_duration (double seconds)
{
  int s = (int) MAX (0, round (seconds));

  if (s >= 3600)
    return g_strdup_printf ("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  return g_strdup_printf ("%d:%02d", s / 60, s % 60);
}

static void
update_status (SfTrainView *self)
{
  const SfTrainEvent *p = sf_training_run_get_progress (self->run);
  gboolean running = sf_training_run_get_running (self->run);

  if (!running)
    return;
  int n_batches = MAX (p->n_batches, 1);
  double done = p->n_epochs > 0 ? ((p->epoch - 1) + (double) p->batch / n_batches) / p->n_epochs : 0;
  double active = sf_training_run_get_active_seconds (self->run);
  g_autofree char *elapsed = format_duration (active);
  g_autoptr (GString) text = g_string_new (NULL);

  /* Translators: elapsed training time, e.g. "Elapsed 1:05". */
  g_string_append_printf (text, _("Elapsed %s"), elapsed);
  if (done > 0.001)
    {
      g_autofree char *left = format_duration (active / done * (1 - done));
      g_string_append (text, " · ");
      /* Translators: estimated time left, e.g. "About 0:40 left". */
      g_string_append_printf (text, _("About %s left"), left);
    }
  if (self->history->len > 0)
    {
      const SfEpochRecord *last = &g_array_index (self->history, SfEpochRecord, self->history->len - 1);
      g_string_append (text, " · ");
      g_string_append_printf (text, _("%.0f pairs/s"), last->pairs_per_second);
    }
  if (sf_training_run_get_paused (self->run))
    {
      g_string_append (text, " · ");
      g_string_append (text, _("Paused"));
    }
  gtk_label_set_label (self->status_label, text->str);

  /* Translators: "Epoch 3 of 30". */
  g_autofree char *epoch = g_strdup_printf (_("Epoch %d of %d"), MAX (p->epoch, 1), p->n_epochs);
  gtk_label_set_label (self->epoch_label, epoch);
  gtk_progress_bar_set_fraction (self->progress_bar, p->n_batches > 0 ? (double) p->batch / n_batches : 0.0);
}

static gboolean
status_tick_cb (gpointer data)
{
  update_status (data);
  return G_SOURCE_CONTINUE;
}

static void
update_actions (SfTrainView *self)
{
  gboolean running = sf_training_run_get_running (self->run);
  gboolean paused = sf_training_run_get_paused (self->run);
  gboolean finishing = self->finishing != NULL;
  gboolean have_faces = self->session != NULL && sf_session_get_faces (self->session) != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "train.start", !running && !finishing && have_faces);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "train.pause", running && !paused);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "train.resume", running && paused);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "train.stop", running);
  gtk_widget_set_visible (self->pause_button, !paused);
  gtk_widget_set_visible (self->resume_button, paused);
  /* Nothing about the network or the data may change mid-run. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->settings_page), !running && !finishing);
}

static void
running_changed_cb (SfTrainView *self)
{
  gboolean running = sf_training_run_get_running (self->run);

  update_actions (self);
  if (running && self->status_id == 0)
    self->status_id = g_timeout_add_seconds (1, status_tick_cb, self);
  else if (!running)
    g_clear_handle_id (&self->status_id, g_source_remove);
  if (self->session != NULL)
    sf_session_set_training (self->session, running || self->finishing != NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static void
paused_changed_cb (SfTrainView *self)
{
  update_actions (self);
  update_status (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

static void
add_series (SfTrainView *self)
{
  self->loss_train = sf_plot_add_series (self->loss_plot, _("training"), &train_color, FALSE, FALSE, FALSE);
  self->loss_validation = sf_plot_add_series (self->loss_plot, _("validation"), &validation_color, TRUE, FALSE, FALSE);
  self->accuracy_train = sf_plot_add_series (self->accuracy_plot, _("training"), &train_color, FALSE, FALSE, FALSE);
  self->accuracy_validation = sf_plot_add_series (self->accuracy_plot, _("validation"), &validation_color, TRUE,
                                                  FALSE, FALSE);
}

/* The curves shown become faint "earlier runs", and new empty ones start. */
static void
new_curves (SfTrainView *self, int n_epochs)
{
  SfPlot *plots[] = { self->loss_plot, self->accuracy_plot };

  for (guint k = 0; k < G_N_ELEMENTS (plots); k++)
    {
      SfPlot *plot = plots[k];
      guint n = sf_plot_get_n_series (plot);
      g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func ((GDestroyNotify) sf_plot_series_free);
      for (guint s = 0; s < n; s++)
        {
          const SfPlotSeries *series = sf_plot_get_series (plot, s);
          if (series->points->len == 0)
            continue;
          SfPlotSeries *copy = sf_plot_series_new (series->name, &series->color, series->dashed, TRUE, series->thin);
          g_array_append_vals (copy->points, series->points->data, series->points->len);
          g_ptr_array_add (keep, copy);
        }
      sf_plot_clear (plot);
      for (guint s = 0; s < keep->len; s++)
        {
          const SfPlotSeries *series = g_ptr_array_index (keep, s);
          guint index = sf_plot_add_series (plot, series->name, &series->color, series->dashed, TRUE, series->thin);
          for (guint i = 0; i < series->points->len; i++)
            {
              SfPlotPoint *p = &g_array_index (series->points, SfPlotPoint, i);
              sf_plot_add_point (plot, index, p->x, p->y);
            }
        }
      sf_plot_set_x_range (plot, 1, MAX (n_epochs, 2));
    }
  add_series (self);
  g_array_set_size (self->history, 0);
}

static void
add_record (SfTrainView *self, const SfEpochRecord *record)
{
  g_array_append_val (self->history, *record);
  sf_plot_add_point (self->loss_plot, self->loss_train, record->epoch, record->loss);
  sf_plot_add_point (self->accuracy_plot, self->accuracy_train, record->epoch, record->accuracy);
  if (isfinite (record->validation_loss))
    sf_plot_add_point (self->loss_plot, self->loss_validation, record->epoch, record->validation_loss);
  if (isfinite (record->validation_accuracy))
    sf_plot_add_point (self->accuracy_plot, self->accuracy_validation, record->epoch, record->validation_accuracy);
}

static void
epoch_cb (SfTrainingRun *run, const SfEpochRecord *record, SfTrainView *self)
{
  add_record (self, record);
  update_status (self);
}

/* Batches end many times a second: the labels and bar follow at a few Hz,
 * which reads as smooth and leaves the main loop free. */
static void
progress_cb (SfTrainingRun *run, SfTrainView *self)
{
  gint64 now = g_get_monotonic_time ();

  if (now - self->status_us < 200 * 1000)
    return;
  self->status_us = now;
  update_status (self);
}

typedef struct
{
  SfTrainingRun *run;
  SfCheckpoint *checkpoint;
  gboolean cancelled;
  float threshold;
  double accuracy;     /* validation accuracy at the threshold */
  double eer;
  gboolean has_validation;
} FinishJob;

static void
finish_job_free (gpointer data)
{
  FinishJob *job = data;

  g_object_unref (job->run);
  g_clear_pointer (&job->checkpoint, sf_checkpoint_free);
  g_free (job);
}

/* Worker thread: the threshold from the validation pairs' scores. */
static void
finish_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  FinishJob *job = task_data;
  SfTrainer *trainer = sf_training_run_get_trainer (job->run);
  const SfDataset *dataset = sf_face_list_get_dataset (sf_training_run_get_faces (job->run));
  const SfPairSet *pairs = sf_trainer_get_pairs (trainer);
  GError *error = NULL;

  job->threshold = 0.5f;
  job->accuracy = NAN;
  job->eer = NAN;
  int n = pairs->n_validation;
  if (n > 0)
    {
      g_autofree float *scores = g_new (float, n);
      g_autofree float *truths = g_new (float, n);
      if (!sf_evaluation_score_pairs (job->checkpoint->model, dataset, pairs->validation, n, scores, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      for (int i = 0; i < n; i++)
        truths[i] = pairs->validation[i].same;
      job->threshold = sf_metrics_choose_threshold (scores, truths, n);
      SfMetrics metrics;
      if (sf_metrics_compute (scores, truths, n, job->threshold, &metrics, NULL))
        {
          job->accuracy = metrics.accuracy;
          job->eer = metrics.eer;
          job->has_validation = TRUE;
        }
    }
  g_task_return_boolean (task, TRUE);
}

static void
finish_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SfTrainView *self = SF_TRAIN_VIEW (source);
  FinishJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  if (g_task_get_cancellable (G_TASK (result)) != self->finishing)
    return;
  g_clear_object (&self->finishing);

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      message (self, _("Could Not Evaluate the Model"), error->message);
      running_changed_cb (self);
      return;
    }

  SfCheckpoint *checkpoint = g_steal_pointer (&job->checkpoint);
  checkpoint->threshold = job->threshold;
  self->own_checkpoint = checkpoint;
  if (self->session != NULL)
    {
      sf_session_set_checkpoint (self->session, checkpoint, NULL);
      sf_session_set_modified (self->session, TRUE);
    }
  else
    sf_checkpoint_free (checkpoint);

  g_autoptr (GString) text = g_string_new (NULL);
  if (job->has_validation)
    /* Translators: after training; accuracy, equal error rate and the threshold chosen. */
    g_string_append_printf (text, _("Validation accuracy %.3f, EER %.3f at threshold %.2f"),
                            job->accuracy, job->eer, job->threshold);
  else
    g_string_append_printf (text, _("Trained without validation pairs; threshold %.2f"), job->threshold);
  g_autofree char *heading = g_strdup (job->cancelled ? _("Training stopped") : _("Training finished"));
  g_autofree char *label = g_strdup_printf ("%s. %s.", heading, text->str);
  gtk_label_set_label (self->result_label, label);

  AdwToast *t = adw_toast_new (label);
  adw_toast_set_button_label (t, _("_Save Model…"));
  adw_toast_set_action_name (t, "win.save-model");
  adw_toast_set_timeout (t, 6);
  sf_notify_add_toast (GTK_WIDGET (self), t);
  running_changed_cb (self);
}

/* The run ended with at least one epoch: its model becomes the session's. */
static void
ended (SfTrainView *self, gboolean cancelled)
{
  SfTrainer *trainer = sf_training_run_get_trainer (self->run);
  int n_history = 0;
  sf_trainer_get_history (trainer, &n_history);

  gtk_progress_bar_set_fraction (self->progress_bar, cancelled ? gtk_progress_bar_get_fraction (self->progress_bar)
                                                                : 1.0);
  if (n_history == 0)
    {
      gtk_label_set_label (self->result_label, _("Training stopped before the first epoch ended: no model."));
      return;
    }

  const SfDataset *dataset = sf_face_list_get_dataset (sf_training_run_get_faces (self->run));
  /* The threshold is chosen on a worker below. */
  SfCheckpoint *checkpoint = sf_checkpoint_new_from_trainer (trainer, dataset, 0.5f);
  if (checkpoint == NULL)
    {
      message (self, _("Training Failed"), _("Out of memory while copying the model."));
      return;
    }

  FinishJob *job = g_new0 (FinishJob, 1);
  job->run = g_object_ref (self->run);
  job->checkpoint = checkpoint;
  job->cancelled = cancelled;

  g_clear_object (&self->finishing);
  self->finishing = g_cancellable_new ();
  g_autoptr (GTask) task = g_task_new (self, self->finishing, finish_done_cb, NULL);
  g_task_set_task_data (task, job, finish_job_free);
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, finish_thread);
  gtk_label_set_label (self->result_label, _("Choosing a threshold on the validation pairs…"));
  running_changed_cb (self);
}

static void
finished_cb (SfTrainingRun *run, SfTrainView *self)
{
  ended (self, FALSE);
}

static void
cancelled_cb (SfTrainingRun *run, SfTrainView *self)
{
  ended (self, TRUE);
}

static void
failed_cb (SfTrainingRun *run, const char *reason, SfTrainView *self)
{
  g_autofree char *text = g_strdup_printf (_("Training failed: %s"), reason);

  gtk_label_set_label (self->result_label, text);
  message (self, _("Training Failed"), reason);
}

/* Shows a model opened from a file (or set elsewhere): its settings and curves. */
static void
checkpoint_changed_cb (SfTrainView *self)
{
  const SfCheckpoint *checkpoint = sf_session_get_checkpoint (self->session);

  if (checkpoint == NULL || checkpoint == self->own_checkpoint)
    return;
  self->own_checkpoint = checkpoint;

  const char *preset_name = "custom";
  if (matches_preset (&checkpoint->settings, SF_PRESET_COMPACT))
    preset_name = "compact";
  else if (matches_preset (&checkpoint->settings, SF_PRESET_ARTICLE))
    preset_name = "article";
  store_settings (self, &checkpoint->settings, preset_name, TRUE);
  load_unbound (self);

  new_curves (self, checkpoint->settings.epochs);
  for (int i = 0; i < checkpoint->n_history; i++)
    add_record (self, &checkpoint->history[i]);

  const char *path = sf_session_get_model_path (self->session);
  g_autofree char *name = path != NULL ? g_path_get_basename (path) : g_strdup (_("model"));
  g_autofree char *epoch = g_strdup_printf (ngettext ("%s: %d epoch", "%s: %d epochs", checkpoint->n_history),
                                            name, checkpoint->n_history);
  gtk_label_set_label (self->epoch_label, epoch);
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_label_set_label (self->status_label, "");
  /* Translators: the similarity threshold stored with an opened model. */
  g_autofree char *result = g_strdup_printf (_("Threshold %.2f"), checkpoint->threshold);
  gtk_label_set_label (self->result_label, result);
}

static void
faces_changed_cb (SfTrainView *self)
{
  update_actions (self);
}

gboolean
sf_train_view_start (SfTrainView *self, GError **error)
{
  g_return_val_if_fail (SF_IS_TRAIN_VIEW (self), FALSE);

  SfFaceList *faces = self->session != NULL ? sf_session_get_faces (self->session) : NULL;
  if (faces == NULL || self->finishing != NULL || sf_training_run_get_running (self->run))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "%s", _("Training cannot start now"));
      return FALSE;
    }

  SfTrainSettings s;
  sf_train_view_get_settings (self, &s);
  gboolean ok = sf_training_run_start (self->run, faces, &s, error);
  if (ok)
    {
      self->runs++;
      new_curves (self, s.epochs);
      gtk_label_set_label (self->result_label, "");
      gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
      update_status (self);
    }
  sf_train_settings_clear (&s);
  return ok;
}

void
sf_train_view_pause (SfTrainView *self)
{
  g_return_if_fail (SF_IS_TRAIN_VIEW (self));

  sf_training_run_pause (self->run);
}

void
sf_train_view_resume (SfTrainView *self)
{
  g_return_if_fail (SF_IS_TRAIN_VIEW (self));

  sf_training_run_resume (self->run);
}

void
sf_train_view_stop (SfTrainView *self)
{
  g_return_if_fail (SF_IS_TRAIN_VIEW (self));

  sf_training_run_cancel (self->run);
}

static void
start_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfTrainView *self = SF_TRAIN_VIEW (widget);
  g_autoptr (GError) error = NULL;

  if (!sf_train_view_start (self, &error))
    message (self, _("Could Not Start Training"), error->message);
}

static void
pause_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  sf_train_view_pause (SF_TRAIN_VIEW (widget));
}

static void
resume_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  sf_train_view_resume (SF_TRAIN_VIEW (widget));
}

static void
pause_resume_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfTrainView *self = SF_TRAIN_VIEW (widget);

  if (sf_training_run_get_paused (self->run))
    sf_train_view_resume (self);
  else
    sf_train_view_pause (self);
}

static void
stop_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  sf_train_view_stop (SF_TRAIN_VIEW (widget));
}

/* Both plots, one above the other, on any cairo surface. */
static void
draw_both (cairo_t *cr, double width, double height, gpointer user_data)
{
  SfTrainView *self = user_data;
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
sf_train_view_export (SfTrainView *self, const char *path, GError **error)
{
  g_return_val_if_fail (SF_IS_TRAIN_VIEW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (g_str_has_suffix (path, ".csv"))
    {
      g_autofree char *csv = sf_history_to_csv ((const SfEpochRecord *) self->history->data, (int) self->history->len);
      return g_file_set_contents (path, csv, -1, error);
    }

  SfDrawingFileOptions options = { sf_drawing_format_for_path (path), 800, 900, 1.0, NULL, NULL };
  return sf_drawing_file_save (path, &options, draw_both, self, error);
}

static void
export_chosen (gpointer owner, const char *const *paths)
{
  SfTrainView *self = owner;
  g_autoptr (GError) error = NULL;

  if (g_str_has_prefix (self->export_kind, "loss."))
    sf_plot_save (self->loss_plot, paths[0], 800, 450, &error);
  else if (g_str_has_prefix (self->export_kind, "accuracy."))
    sf_plot_save (self->accuracy_plot, paths[0], 800, 450, &error);
  else
    sf_train_view_export (self, paths[0], &error);
  sf_notify_saved (GTK_WIDGET (self), paths[0], error);
}

static void
export_plot_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfTrainView *self = SF_TRAIN_VIEW (widget);
  const char *kind = g_variant_get_string (parameter, NULL);

  g_free (self->export_kind);
  self->export_kind = g_strdup (kind);
  sf_file_chooser_save (&self->chooser, widget, _("Export"), _("_Save"), kind, export_chosen, self);
}

static void
sf_train_view_dispose (GObject *object)
{
  SfTrainView *self = SF_TRAIN_VIEW (object);
  GtkWidget *child;

  g_clear_handle_id (&self->status_id, g_source_remove);
  if (self->finishing != NULL)
    g_cancellable_cancel (self->finishing);
  g_clear_object (&self->finishing);
  if (self->run != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->run, self);
      g_clear_object (&self->run);
    }
  sf_file_chooser_clear (&self->chooser);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (object), SF_TYPE_TRAIN_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (sf_train_view_parent_class)->dispose (object);
}

static void
sf_train_view_finalize (GObject *object)
{
  SfTrainView *self = SF_TRAIN_VIEW (object);

  g_array_unref (self->history);
  g_free (self->export_kind);

  G_OBJECT_CLASS (sf_train_view_parent_class)->finalize (object);
}

static void
sf_train_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfTrainView *self = SF_TRAIN_VIEW (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, sf_train_view_get_running (self));
      break;
    case PROP_PAUSED:
      g_value_set_boolean (value, sf_train_view_get_paused (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_train_view_class_init (SfTrainViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sf_train_view_dispose;
  object_class->finalize = sf_train_view_finalize;
  object_class->get_property = sf_train_view_get_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SF_TYPE_PLOT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-train-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, flap);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, settings_page);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, preset_row);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, spec_row);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, head_row);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, margin_row);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, margin_spin);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, dropout_spin);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, optimizer_row);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, rate_spin);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, schedule_row);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, decay_spin);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, batch_spin);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, flip_switch);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, shift_switch);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, rotate_switch);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, scale_switch);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, light_switch);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, split_row);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, share_spin);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, new_pairs_row);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, new_pairs_switch);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, start_button);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, pause_button);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, resume_button);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, stop_button);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, epoch_label);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, smoothing_scale);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, status_label);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, loss_plot);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, accuracy_plot);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, result_label);

  gtk_widget_class_install_action (widget_class, "train.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "train.pause", NULL, pause_action);
  gtk_widget_class_install_action (widget_class, "train.resume", NULL, resume_action);
  gtk_widget_class_install_action (widget_class, "train.pause-resume", NULL, pause_resume_action);
  gtk_widget_class_install_action (widget_class, "train.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "train.export-plot", "s", export_plot_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "trainview");
}

static void
sf_train_view_init (SfTrainView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->history = g_array_new (FALSE, FALSE, sizeof (SfEpochRecord));
  self->settings = g_settings_new (APP_ID);
  self->run = sf_training_run_new ();
  g_signal_connect_swapped (self->run, "notify::running", G_CALLBACK (running_changed_cb), self);
  g_signal_connect_swapped (self->run, "notify::paused", G_CALLBACK (paused_changed_cb), self);
  g_signal_connect (self->run, "epoch", G_CALLBACK (epoch_cb), self);
  g_signal_connect (self->run, "progress", G_CALLBACK (progress_cb), self);
  g_signal_connect (self->run, "finished", G_CALLBACK (finished_cb), self);
  g_signal_connect (self->run, "cancelled", G_CALLBACK (cancelled_cb), self);
  g_signal_connect (self->run, "failed", G_CALLBACK (failed_cb), self);

  /* A preset that is not "custom" is filled from the engine, which may have been tuned since. */
  g_autofree char *preset_name = g_settings_get_string (self->settings, "train-preset");
  SfPreset preset;
  if (sf_preset_parse (preset_name, &preset))
    fill_from_preset (self, preset);

  bind_combo (self, "train-head", self->head_row, head_names);
  bind_combo (self, "train-optimizer", self->optimizer_row, optimizer_names);
  bind_combo (self, "train-schedule", self->schedule_row, schedule_names);
  bind_combo (self, "default-split", self->split_row, split_names);
  g_settings_bind (self->settings, "train-margin", self->margin_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "train-learning-rate", self->rate_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "train-weight-decay", self->decay_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "train-epochs", self->epochs_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "train-batch-size", self->batch_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "train-augment-flip", self->flip_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "train-augment-shift", self->shift_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "train-augment-rotate", self->rotate_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "train-augment-scale", self->scale_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "train-augment-light", self->light_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "train-new-pairs", self->new_pairs_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "default-seed", self->seed_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "train-smoothing", gtk_range_get_adjustment (GTK_RANGE (self->smoothing_scale)),
                   "value", G_SETTINGS_BIND_DEFAULT);
  g_object_bind_property (gtk_range_get_adjustment (GTK_RANGE (self->smoothing_scale)), "value",
                          self->loss_plot, "smoothing", G_BINDING_SYNC_CREATE);
  g_object_bind_property (gtk_range_get_adjustment (GTK_RANGE (self->smoothing_scale)), "value",
                          self->accuracy_plot, "smoothing", G_BINDING_SYNC_CREATE);

  g_signal_connect_object (self->settings, "changed", G_CALLBACK (settings_changed_cb), self, 0);
  g_signal_connect_object (self->settings, "changed::default-split", G_CALLBACK (split_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_swapped (self->preset_row, "notify::selected", G_CALLBACK (preset_selected_cb), self);
  g_signal_connect_swapped (self->spec_row, "apply", G_CALLBACK (spec_apply_cb), self);
  g_signal_connect_swapped (self->dropout_spin, "value-changed", G_CALLBACK (dropout_changed_cb), self);
  g_signal_connect_swapped (self->share_spin, "value-changed", G_CALLBACK (share_changed_cb), self);

  SfPlot *plots[] = { self->loss_plot, self->accuracy_plot };
  for (guint k = 0; k < G_N_ELEMENTS (plots); k++)
    {
      sf_plot_set_labels (plots[k], _("Epoch"), k == 0 ? _("Loss") : _("Accuracy"));
      sf_plot_set_title (plots[k], k == 0 ? _("Loss") : _("Accuracy"));
      sf_plot_set_empty_text (plots[k], _("Start training to see the curves"));
      sf_plot_set_faint_label (plots[k], _("earlier runs"));
      sf_plot_set_y_range (plots[k], 0, k == 0 ? NAN : 1);
    }
  new_curves (self, g_settings_get_int (self->settings, "train-epochs"));
  gtk_label_set_label (self->epoch_label, _("Not trained yet"));

  load_unbound (self);
  update_actions (self);
}

gboolean
sf_train_view_get_running (SfTrainView *self)
{
  g_return_val_if_fail (SF_IS_TRAIN_VIEW (self), FALSE);

  return sf_training_run_get_running (self->run) || self->finishing != NULL;
}

gboolean
sf_train_view_get_paused (SfTrainView *self)
{
  g_return_val_if_fail (SF_IS_TRAIN_VIEW (self), FALSE);

  return sf_training_run_get_paused (self->run);
}

SfPlot *
sf_train_view_get_loss_plot (SfTrainView *self)
{
  g_return_val_if_fail (SF_IS_TRAIN_VIEW (self), NULL);

  return self->loss_plot;
}

SfPlot *
sf_train_view_get_accuracy_plot (SfTrainView *self)
{
  g_return_val_if_fail (SF_IS_TRAIN_VIEW (self), NULL);

  return self->accuracy_plot;
}

const SfEpochRecord *
sf_train_view_get_history (SfTrainView *self, int *n_epochs)
{
  g_return_val_if_fail (SF_IS_TRAIN_VIEW (self), NULL);

  if (n_epochs != NULL)
    *n_epochs = (int) self->history->len;
  return (const SfEpochRecord *) self->history->data;
}

GtkWidget *
sf_train_view_new (void)
{
  return g_object_new (SF_TYPE_TRAIN_VIEW, NULL);
}

void
sf_train_view_set_session (SfTrainView *self, SfSession *session)
{
  g_return_if_fail (SF_IS_TRAIN_VIEW (self));

  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  if (session != NULL)
    {
      g_signal_connect_swapped (session, "notify::checkpoint", G_CALLBACK (checkpoint_changed_cb), self);
      g_signal_connect_swapped (session, "notify::faces", G_CALLBACK (faces_changed_cb), self);
      if (sf_session_get_checkpoint (session) != NULL)
        checkpoint_changed_cb (self);
    }
  update_actions (self);
}
