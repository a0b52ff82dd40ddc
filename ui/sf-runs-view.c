/* SfRunsView: the session's run store read into a GListStore of SfRunItem
 * (a GObject holding one SfRun), shown by a GtkColumnView whose setting
 * columns are rebuilt on each reload (only the settings that differ), sorted
 * by the columns' own sorters; the selection drives the overlaid curves and
 * the actions. "Group Seeds" shows a second store instead, one SfRunItem
 * per run group (the engine's SfRunGroupSummary: mean ± sd over seeds, failed
 * runs left out), whose selection stands for all the group's runs. */
#include "sf-runs-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "sf-file-chooser.h"
#include "sf-notify.h"
#include "sf-training-settings.h"
#include "sf-worker.h"

/* Rows added to the table per frame when the view fills it after a read:
 * GTK 4.8's column view builds and measures a row of cells for each at
 * once, about 2 ms a row here, and 112 runs in one go stalled the window
 * for 400 ms. */
#define RUNS_PER_FRAME 8

/* ---- one run as a list item ---- */

#define SF_TYPE_RUN_ITEM (sf_run_item_get_type ())
G_DECLARE_FINAL_TYPE (SfRunItem, sf_run_item, SF, RUN_ITEM, GObject)

struct _SfRunItem
{
  GObject parent_instance;
  SfRun *run;                  /* NULL for a group */
  guint position;              /* in the store's order, oldest first */
  SfRunGroupSummary *group;    /* a group's row: its summary */
  GPtrArray *members;          /* a group's runs (SfRunItem), keeping them alive */
  GHashTable *texts;           /* column key → cell text, made once: a setting's
                                * text parses the run's settings JSON, and the
                                * table asks again at every bind and sort */
};

G_DEFINE_FINAL_TYPE (SfRunItem, sf_run_item, G_TYPE_OBJECT)

static void
sf_run_item_finalize (GObject *object)
{
  SfRunItem *self = SF_RUN_ITEM (object);

  g_clear_pointer (&self->group, sf_run_group_summary_free);
  g_clear_pointer (&self->members, g_ptr_array_unref);
  g_clear_pointer (&self->texts, g_hash_table_unref);
  g_clear_pointer (&self->run, sf_run_free);
  G_OBJECT_CLASS (sf_run_item_parent_class)->finalize (object);
}

static void
sf_run_item_class_init (SfRunItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sf_run_item_finalize;
}

static void
sf_run_item_init (SfRunItem *self)
{
}

/* ---- the panel ---- */

/* Distinct colours for the overlaid runs (GNOME palette), reused in turn. */
static const SfChartColor run_colors[] = {
  { 0.21, 0.52, 0.89, 1.0 },
  { 0.90, 0.38, 0.00, 1.0 },
  { 0.18, 0.76, 0.49, 1.0 },
  { 0.57, 0.25, 0.67, 1.0 },
  { 0.88, 0.11, 0.14, 1.0 },
  { 0.39, 0.27, 0.17, 1.0 },
  { 0.96, 0.76, 0.07, 1.0 },
  { 0.37, 0.36, 0.39, 1.0 },
};

struct _SfRunsView
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkColumnView *column_view;
  GtkLabel *problems_label;
  SfPlot *loss_plot;
  SfPlot *accuracy_plot;

  /* Owned */
  SfSession *session;
  GListStore *store;           /* SfRunItem, oldest first */
  GListStore *groups;          /* SfRunItem, one per run group */
  GtkSortListModel *sorted;    /* of store or groups; owned by selection */
  GtkMultiSelection *selection;
  GPtrArray *setting_columns;  /* GtkColumnViewColumn, rebuilt per reload */
  GStrv setting_names;         /* theirs, as sf_runs_differing_settings gave them */
  GtkColumnViewColumn *name_column, *status_column, *epochs_column;  /* the column view's */
  gboolean group_seeds;
  gboolean stale;              /* the store changed since the last reload */
  /* A read on a worker thread (shown view), then a paced fill: */
  GCancellable *reading;       /* while the worker reads the store */
  guint read_generation;       /* a read whose generation is not this one is dropped */
  GPtrArray *to_add;           /* SfRun, oldest first, not yet in the store */
  guint added;                 /* of to_add */
  guint first_position;        /* the store position of to_add's first run */
  guint fill_id;               /* tick callback adding them */
  GStrv problems;
  GtkFileChooserNative *chooser;
};

G_DEFINE_FINAL_TYPE (SfRunsView, sf_runs_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_GROUP_SEEDS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
message (SfRunsView *self, const char *heading, const char *body)
{
  sf_notify_message (GTK_WIDGET (self), heading, body);
}

static char *
format_result (SfRunResult result, double value)
{
  if (!isfinite (value))
    return g_strdup ("—");
  if (result == SF_RUN_RESULT_SECONDS)
    {
      int s = (int) round (value);
      return s >= 3600 ? g_strdup_printf ("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                       : g_strdup_printf ("%d:%02d", s / 60, s % 60);
    }
  return g_strdup_printf ("%.3f", value);
}

static const char *
status_text (SfRunStatus status)
{
  switch (status)
    {
    case SF_RUN_FINISHED:
      return _("Finished");
    case SF_RUN_STOPPED:
      return _("Stopped");
    case SF_RUN_FAILED:
    default:
      return _("Failed");
    }
}

/* The run a row shows settings of: a group's first run. */
static const SfRun *
item_run (const SfRunItem *item)
{
  return item->group != NULL ? item->group->example : item->run;
}

/* A result as the row compares it: a group's mean. */
static double
item_value (const SfRunItem *item, SfRunResult result)
{
  return item->group != NULL ? item->group->mean[result] : item->run->final.values[result];
}

/* The text of one cell; `key` is "name", "status", "epochs", a result's
 * engine name, or "setting:<name>". A group's "name" is its number of
 * runs, its results mean ± sd. */
static char *
make_cell_text (const SfRunItem *item, const char *key)
{
  const SfRun *run = item_run (item);
  SfRunResult result;

  if (item->group != NULL && g_str_equal (key, "name"))
    /* Translators: a row of the runs table grouped over seeds: how many runs it summarizes. */
    return g_strdup_printf (_("n = %d"), item->group->n_runs);
  if (item->group != NULL && sf_run_result_parse (key, &result))
    {
      if (!isfinite (item->group->mean[result]))
        return g_strdup ("—");
      g_autofree char *mean = format_result (result, item->group->mean[result]);
      g_autofree char *sd = format_result (result, item->group->sd[result]);
      /* Translators: a result over a run group's seeds: mean ± standard deviation, e.g. "0.112 ± 0.004". */
      return g_strdup_printf (_("%s ± %s"), mean, sd);
    }
  if (g_str_equal (key, "name"))
    return g_strdup (run->name);
  if (g_str_equal (key, "status") && run->status == SF_RUN_FAILED && run->message != NULL)
    /* Translators: the status of a run that failed, with the reason, e.g. "Failed: the loss became NaN…". */
    return g_strdup_printf (_("Failed: %s"), run->message);
  if (g_str_equal (key, "status"))
    return g_strdup (status_text (run->status));
  if (g_str_equal (key, "epochs"))
    return g_strdup_printf ("%d", run->n_history);
  if (g_str_has_prefix (key, "setting:"))
    {
      char *value = sf_run_get_setting (run, key + strlen ("setting:"));
      return value != NULL ? value : g_strdup ("—");
    }
  if (sf_run_result_parse (key, &result))
    return format_result (result, run->final.values[result]);
  return g_strdup ("");
}

static const char *
cell_text (SfRunItem *item, const char *key)
{
  if (item->texts == NULL)
    item->texts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *text = g_hash_table_lookup (item->texts, key);
  if (text == NULL)
    {
      char *made = make_cell_text (item, key);
      g_hash_table_insert (item->texts, g_strdup (key), made);
      text = made;
    }
  return text;
}

static void
setup_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *label = gtk_label_new (NULL);
  SfRunResult result;

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  /* Results whole (a group's "mean ± sd" too): the table scrolls sideways instead. */
  if (!sf_run_result_parse (data, &result))
    gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
bind_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  const char *key = data;
  SfRunItem *run_item = gtk_list_item_get_item (item);
  const char *text = cell_text (run_item, key);

  GtkWidget *label = gtk_list_item_get_child (item);
  gtk_label_set_label (GTK_LABEL (label), text);
  /* A failed run's message may be long: whole in the tooltip. Set only when
   * it changes: setting a tooltip, even none, asks the display server where
   * the pointer is, a round trip per cell of every bound row. */
  const char *tooltip = g_str_equal (key, "status") && run_item->run != NULL
                        && run_item->run->status == SF_RUN_FAILED ? text : NULL;
  if (g_strcmp0 (gtk_widget_get_tooltip_text (label), tooltip) != 0)
    gtk_widget_set_tooltip_text (label, tooltip);
}

/* Orders two runs by a column: results and numbers by value (unmeasured
 * last), other text alphabetically. */
static int
compare_cb (gconstpointer a, gconstpointer b, gpointer data)
{
  const char *key = data;
  SfRunItem *i = (SfRunItem *) a, *j = (SfRunItem *) b;
  SfRunResult result;
  double u, v;

  if (sf_run_result_parse (key, &result))
    {
      u = item_value (i, result);
      v = item_value (j, result);
    }
  else if (g_str_equal (key, "epochs"))
    {
      u = item_run (i)->n_history;
      v = item_run (j)->n_history;
    }
  else if (g_str_equal (key, "name") && i->group != NULL && j->group != NULL)
    {
      u = i->group->n_runs;
      v = j->group->n_runs;
    }
  else
    {
      const char *s = cell_text (i, key), *t = cell_text (j, key);
      char *end_s, *end_t;
      u = g_ascii_strtod (s, &end_s);
      v = g_ascii_strtod (t, &end_t);
      if (*s == '\0' || *end_s != '\0' || *t == '\0' || *end_t != '\0')
        return g_utf8_collate (s, t);
    }
  if (!isfinite (u) || !isfinite (v))
    return isfinite (u) ? -1 : isfinite (v) ? 1 : 0;
  return u < v ? -1 : u > v ? 1 : 0;
}

/* A setting's column title: the form's words for the usual ones, the
 * settings JSON's name for the rest. */
static const char *
setting_title (const char *name)
{
  static const struct { const char *name; const char *title; } titles[] = {
    { "spec", N_("Tower spec") },
    { "head", N_("Head") },
    { "margin", N_("Margin") },
    { "epochs", N_("Epochs") },
    { "batch_size", N_("Batch size") },
    { "optimizer", N_("Optimizer") },
    { "learning_rate", N_("Learning rate") },
    { "weight_decay", N_("Weight decay") },
    { "schedule", N_("Schedule") },
    { "augment", N_("Augmentation") },
    { "split", N_("Split") },
    { "seed", N_("Seed") },
    { "temperature", N_("Temperature") },
    { "new_pairs_each_epoch", N_("New pairs each epoch") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    if (g_str_equal (name, titles[i].name))
      return _(titles[i].title);
  return name;
}

static GtkColumnViewColumn *
make_column (const char *title, const char *key, gboolean expand)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  char *data = g_strdup (key);

  g_object_set_data_full (G_OBJECT (factory), "sf-key", data, g_free);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), data);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), data);
  GtkColumnViewColumn *column = gtk_column_view_column_new (title, factory);
  GtkSorter *sorter = GTK_SORTER (gtk_custom_sorter_new (compare_cb, g_strdup (key), g_free));
  gtk_column_view_column_set_sorter (column, sorter);
  g_object_unref (sorter);
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_column_set_expand (column, expand);
  return column;
}

static GPtrArray *
selected_runs (SfRunsView *self)
{
  GPtrArray *runs = g_ptr_array_new ();
  GListModel *model = G_LIST_MODEL (self->selection);
  g_autoptr (GtkBitset) set = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  GtkBitsetIter iter;
  guint i;

  for (gboolean ok = gtk_bitset_iter_init_first (&iter, set, &i); ok; ok = gtk_bitset_iter_next (&iter, &i))
    {
      g_autoptr (SfRunItem) item = g_list_model_get_item (model, i);
      if (item->group == NULL)
        g_ptr_array_add (runs, item->run);
      for (guint m = 0; item->members != NULL && m < item->members->len; m++)
        g_ptr_array_add (runs, ((SfRunItem *) g_ptr_array_index (item->members, m))->run);
    }
  return runs;
}

/* The selected runs' validation curves (training ones without validation),
 * one colour a run, named in the legend. */
static void
overlay_selected (SfRunsView *self)
{
  g_autoptr (GPtrArray) runs = selected_runs (self);
  SfPlot *plots[] = { self->loss_plot, self->accuracy_plot };
  int max_epochs = 2;

  for (guint k = 0; k < 2; k++)
    sf_plot_clear (plots[k]);
  for (guint r = 0; r < runs->len; r++)
    {
      const SfRun *run = g_ptr_array_index (runs, r);
      const SfChartColor *color = &run_colors[r % G_N_ELEMENTS (run_colors)];
      g_autofree SfPlotPoint *loss = g_new (SfPlotPoint, MAX (run->n_history, 1));
      g_autofree SfPlotPoint *accuracy = g_new (SfPlotPoint, MAX (run->n_history, 1));
      for (int i = 0; i < run->n_history; i++)
        {
          const SfEpochRecord *e = &run->history[i];
          gboolean validated = isfinite (e->validation_loss);
          loss[i] = (SfPlotPoint) { e->epoch, validated ? e->validation_loss : e->loss };
          accuracy[i] = (SfPlotPoint) { e->epoch, validated ? e->validation_accuracy : e->accuracy };
        }
      max_epochs = MAX (max_epochs, run->n_history);
      for (guint k = 0; k < 2; k++)
        {
          guint index = sf_plot_add_series (plots[k], run->name, color, FALSE, FALSE, FALSE);
          sf_plot_set_points (plots[k], index, k == 0 ? loss : accuracy, (guint) run->n_history);
        }
    }
  for (guint k = 0; k < 2; k++)
    sf_plot_set_x_range (plots[k], 1, max_epochs);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "runs.use",
                                 runs->len == 1 && ((const SfRun *) g_ptr_array_index (runs, 0))->has_model);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "runs.rename", runs->len == 1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "runs.use-settings", runs->len == 1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "runs.delete", runs->len > 0);
}

static void
selection_changed_cb (SfRunsView *self)
{
  overlay_selected (self);
}

/* One group item per engine summary of the listed runs. */
static void
rebuild_groups (SfRunsView *self)
{
  GListModel *store = G_LIST_MODEL (self->store);
  guint n = g_list_model_get_n_items (store);
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree SfRun **runs = g_new0 (SfRun *, MAX (n, 1));

  g_list_store_remove_all (self->groups);
  for (guint i = 0; i < n; i++)
    {
      g_ptr_array_add (items, g_list_model_get_item (store, i));
      runs[i] = ((SfRunItem *) g_ptr_array_index (items, i))->run;
    }
  g_autoptr (GPtrArray) summaries = sf_runs_summarize (runs, n, SF_RUN_RESULT_EER);
  g_ptr_array_set_free_func (summaries, NULL);
  for (guint g = 0; g < summaries->len; g++)
    {
      SfRunItem *group = g_object_new (SF_TYPE_RUN_ITEM, NULL);
      group->group = g_ptr_array_index (summaries, g);
      group->position = G_MAXUINT;
      group->members = g_ptr_array_new_with_free_func (g_object_unref);
      /* The same runs the summary counts. */
      for (guint i = 0; i < n; i++)
        if (runs[i]->status != SF_RUN_FAILED && g_str_equal (runs[i]->group, group->group->group))
          g_ptr_array_add (group->members, g_object_ref (g_ptr_array_index (items, i)));
      g_list_store_append (self->groups, group);
      g_object_unref (group);
    }
}

static gboolean
is_seed_column (GtkColumnViewColumn *column)
{
  const char *key = g_object_get_data (G_OBJECT (gtk_column_view_column_get_factory (column)), "sf-key");
  return g_strcmp0 (key, "setting:seed") == 0;
}

/* Runs or groups: a group has no status, epochs or single seed. */
static void
apply_grouping (SfRunsView *self)
{
  gboolean grouped = self->group_seeds;

  gtk_sort_list_model_set_model (self->sorted, G_LIST_MODEL (grouped ? self->groups : self->store));
  /* Translators: the first column of the runs table grouped over seeds: how many runs a row summarizes. */
  gtk_column_view_column_set_title (self->name_column, grouped ? _("Runs") : _("Name"));
  gtk_column_view_column_set_visible (self->status_column, !grouped);
  gtk_column_view_column_set_visible (self->epochs_column, !grouped);
  for (guint i = 0; i < self->setting_columns->len; i++)
    if (is_seed_column (g_ptr_array_index (self->setting_columns, i)))
      gtk_column_view_column_set_visible (g_ptr_array_index (self->setting_columns, i), !grouped);
}

/* Stops a read under way and a fill, dropping what they had. */
static void
stop_loading (SfRunsView *self)
{
  self->read_generation++;
  if (self->reading != NULL)
    g_cancellable_cancel (self->reading);
  g_clear_object (&self->reading);
  if (self->fill_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->fill_id);
  self->fill_id = 0;
  g_clear_pointer (&self->to_add, g_ptr_array_unref);
  self->added = 0;
}

/* Moves up to `limit` runs of to_add into the store, as items in one
 * splice; TRUE when none are left. */
static gboolean
add_runs (SfRunsView *self, guint limit)
{
  guint n = MIN (limit, self->to_add->len - self->added);
  g_autofree gpointer *items = g_new (gpointer, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    {
      SfRunItem *item = g_object_new (SF_TYPE_RUN_ITEM, NULL);
      item->run = g_steal_pointer (&self->to_add->pdata[self->added + i]);
      item->position = self->first_position + self->added + i;
      items[i] = item;
    }
  g_list_store_splice (self->store, g_list_model_get_n_items (G_LIST_MODEL (self->store)), 0, items, n);
  for (guint i = 0; i < n; i++)
    g_object_unref (items[i]);
  self->added += n;
  return self->added == self->to_add->len;
}

/* What is computed over all the runs once they are in. */
static void
finish_fill (SfRunsView *self)
{
  g_clear_pointer (&self->to_add, g_ptr_array_unref);
  self->added = 0;
  rebuild_groups (self);
  apply_grouping (self);
  overlay_selected (self);
}

static gboolean
fill_tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  SfRunsView *self = SF_RUNS_VIEW (widget);

  if (!add_runs (self, RUNS_PER_FRAME))
    return G_SOURCE_CONTINUE;
  self->fill_id = 0;
  finish_fill (self);
  return G_SOURCE_REMOVE;
}

/* The label above the table: the run folders that could not be read. */
static void
show_problems (SfRunsView *self, GPtrArray *runs, GPtrArray *problems, const GError *error)
{
  g_clear_pointer (&self->problems, g_strfreev);
  g_autoptr (GStrvBuilder) lines = g_strv_builder_new ();
  if (runs == NULL && error != NULL)
    g_strv_builder_add (lines, error->message);
  for (guint i = 0; problems != NULL && i < problems->len; i++)
    g_strv_builder_add (lines, g_ptr_array_index (problems, i));
  self->problems = g_strv_builder_end (lines);
  if (self->problems[0] != NULL)
    {
      g_autofree char *all = g_strjoinv ("\n", self->problems);
      /* Translators: above the runs table when some run folders are bad; the reasons follow. */
      g_autofree char *text = g_strdup_printf (ngettext ("%u run folder could not be read:\n%s",
                                                         "%u run folders could not be read:\n%s",
                                                         g_strv_length (self->problems)),
                                               g_strv_length (self->problems), all);
      gtk_label_set_label (self->problems_label, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->problems_label), self->problems[0] != NULL);
}

/* The same run as far as the table shows it: a rename or a rewrite is not. */
static gboolean
same_run (const SfRun *a, const SfRun *b)
{
  return g_str_equal (a->id, b->id) && g_str_equal (a->name, b->name) && a->status == b->status
         && g_strcmp0 (a->message, b->message) == 0 && a->n_history == b->n_history
         && g_strcmp0 (a->settings_json, b->settings_json) == 0;
}

/* How many of the table's runs a new read begins with, unchanged, under
 * the same setting columns: those rows can stay (and stay selected). The
 * store lists runs oldest first, so a run that ended is one more at the end. */
static guint
unchanged_prefix (SfRunsView *self, GPtrArray *runs, GStrv differing)
{
  GListModel *store = G_LIST_MODEL (self->store);
  guint have = g_list_model_get_n_items (store);

  if (self->to_add != NULL || self->setting_names == NULL || differing == NULL
      || !g_strv_equal ((const char *const *) self->setting_names, (const char *const *) differing)
      || have > runs->len)
    return 0;
  for (guint i = 0; i < have; i++)
    {
      g_autoptr (SfRunItem) item = g_list_model_get_item (store, i);
      if (!same_run (item->run, g_ptr_array_index (runs, i)))
        return 0;
    }
  return have;
}

/* Shows what a read of the store found: problems, the setting columns (the
 * settings that differ between the runs) and then the runs, all at once
 * (`paced` FALSE) or RUNS_PER_FRAME a frame. Takes runs. A read that
 * begins with the table's runs unchanged only adds the newer ones. */
static void
show_runs (SfRunsView *self, GPtrArray *runs, GPtrArray *problems, const GError *error, GStrv differing,
           gboolean paced)
{
  show_problems (self, runs, problems, error);
  guint kept = runs != NULL ? unchanged_prefix (self, runs, differing) : 0;
  if (kept > 0)
    {
      /* Only newer runs: add them, leave the rows there are. */
      g_ptr_array_remove_range (runs, 0, kept);
      self->to_add = runs;
      self->added = 0;
      self->first_position = kept;
      if (!paced || add_runs (self, RUNS_PER_FRAME))
        {
          add_runs (self, G_MAXUINT);
          finish_fill (self);
        }
      else if (gtk_widget_get_mapped (GTK_WIDGET (self)))
        self->fill_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), fill_tick_cb, NULL, NULL);
      return;
    }
  self->first_position = 0;
  g_clear_pointer (&self->setting_names, g_strfreev);
  self->setting_names = g_strdupv (differing);
  g_list_store_remove_all (self->groups);
  g_list_store_remove_all (self->store);
  for (guint i = 0; i < self->setting_columns->len; i++)
    gtk_column_view_remove_column (self->column_view, g_ptr_array_index (self->setting_columns, i));
  g_ptr_array_set_size (self->setting_columns, 0);
  if (runs == NULL)
    {
      finish_fill (self);
      return;
    }

  /* Settings columns go between the status and the results, in the order
   * the settings are stored. */
  for (guint i = 0; differing != NULL && differing[i] != NULL; i++)
    {
      g_autofree char *key = g_strconcat ("setting:", differing[i], NULL);
      GtkColumnViewColumn *column = make_column (setting_title (differing[i]), key, FALSE);
      gtk_column_view_insert_column (self->column_view, 2 + i, column);
      g_ptr_array_add (self->setting_columns, column);
    }
  self->to_add = runs;
  self->added = 0;
  if (!paced || add_runs (self, RUNS_PER_FRAME))
    {
      add_runs (self, G_MAXUINT);
      finish_fill (self);
      return;
    }
  /* Hidden meanwhile: the fill goes on when shown (sf_runs_view_map). */
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    self->fill_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), fill_tick_cb, NULL, NULL);
}

typedef struct {
  char *root;
  guint generation;
  GPtrArray *runs, *problems;
  GStrv differing;             /* parses every run's settings: here, not on the main thread */
  GError *error;
} ReadJob;

static void
read_job_free (gpointer data)
{
  ReadJob *job = data;

  g_free (job->root);
  g_clear_pointer (&job->runs, g_ptr_array_unref);
  g_clear_pointer (&job->problems, g_ptr_array_unref);
  g_strfreev (job->differing);
  g_clear_error (&job->error);
  g_free (job);
}

static void
read_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  ReadJob *job = data;
  g_autoptr (SfRunStore) store = sf_run_store_new (job->root);

  job->runs = sf_run_store_list (store, &job->problems, &job->error);
  if (job->runs != NULL)
    job->differing = sf_runs_differing_settings ((SfRun *const *) job->runs->pdata, job->runs->len);
  g_task_return_boolean (task, TRUE);
}

static void
read_done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  SfRunsView *self = SF_RUNS_VIEW (source);
  ReadJob *job = g_task_get_task_data (G_TASK (result));

  if (job->generation != self->read_generation)
    return;
  g_clear_object (&self->reading);
  show_runs (self, g_steal_pointer (&job->runs), job->problems, job->error, job->differing, TRUE);
}

/* Reads the store on a worker thread, then fills the table over frames. */
static void
reload_in_background (SfRunsView *self)
{
  stop_loading (self);
  self->stale = FALSE;
  if (self->session == NULL)
    return;

  ReadJob *job = g_new0 (ReadJob, 1);
  job->root = g_strdup (sf_run_store_get_root (sf_session_get_run_store (self->session)));
  job->generation = self->read_generation;
  self->reading = g_cancellable_new ();
  g_autoptr (GTask) task = g_task_new (self, self->reading, read_done_cb, NULL);
  g_task_set_source_tag (task, reload_in_background);
  g_task_set_task_data (task, job, read_job_free);
  g_task_set_check_cancellable (task, FALSE);
  sf_worker_run_in_thread (task, read_thread);
}

void
sf_runs_view_reload (SfRunsView *self)
{
  g_return_if_fail (SF_IS_RUNS_VIEW (self));

  g_autoptr (GPtrArray) problems = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) differing = NULL;
  GPtrArray *runs;

  stop_loading (self);
  self->stale = FALSE;
  if (self->session == NULL)
    {
      show_runs (self, NULL, NULL, NULL, NULL, FALSE);
      return;
    }
  runs = sf_run_store_list (sf_session_get_run_store (self->session), &problems, &error);
  if (runs != NULL)
    differing = sf_runs_differing_settings ((SfRun *const *) runs->pdata, runs->len);
  show_runs (self, runs, problems, error, differing, FALSE);
}

/* Reading the store parses every run's file and rebuilds the table: on the
 * main thread, 280 ms at the end of a training run with 70 runs stored,
 * 400 ms at the view's first showing with 112 (docs/PERFORMANCE.md, "The
 * window during training"). So it waits until the view is shown, then reads
 * on a worker and fills the table a few rows a frame; whoever asks for the
 * runs meanwhile gets them read at once. */
static void
runs_changed_cb (SfRunsView *self)
{
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    reload_in_background (self);
  else
    {
      stop_loading (self);
      self->stale = TRUE;
    }
}

static void
ensure_current (SfRunsView *self)
{
  if (self->stale || self->reading != NULL || self->to_add != NULL)
    sf_runs_view_reload (self);
}

static void
sf_runs_view_map (GtkWidget *widget)
{
  SfRunsView *self = SF_RUNS_VIEW (widget);

  GTK_WIDGET_CLASS (sf_runs_view_parent_class)->map (widget);
  if (self->stale)
    reload_in_background (self);
  else if (self->to_add != NULL && self->fill_id == 0)
    self->fill_id = gtk_widget_add_tick_callback (widget, fill_tick_cb, NULL, NULL);
}

static void
sf_runs_view_unmap (GtkWidget *widget)
{
  SfRunsView *self = SF_RUNS_VIEW (widget);

  /* A fill hidden halfway waits (a hidden widget gets no frames) and goes
   * on when shown again, rather than starting over. */
  if (self->fill_id != 0)
    gtk_widget_remove_tick_callback (widget, self->fill_id);
  self->fill_id = 0;
  GTK_WIDGET_CLASS (sf_runs_view_parent_class)->unmap (widget);
}

/* ---- actions ---- */

static void
use_run (SfRunsView *self, const SfRun *run)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = sf_run_get_model_path (run);
  SfCheckpoint *checkpoint = sf_checkpoint_load (path, &error);

  if (checkpoint == NULL)
    {
      /* Translators: %s is a run's name. */
      g_autofree char *heading = g_strdup_printf (_("Could Not Open the Model of “%s”"), run->name);
      message (self, heading, error->message);
      return;
    }
  /* No model path: saving asks where, never into the run's folder. */
  sf_session_set_checkpoint (self->session, checkpoint, NULL);
  /* Translators: %s is a run's name. */
  g_autofree char *text = g_strdup_printf (_("The model of “%s” is now the current model"), run->name);
  sf_notify_toast (GTK_WIDGET (self), text, 4);
}

static void
use_response_cb (AdwMessageDialog *dialog, const char *response, SfRunsView *self)
{
  g_autoptr (GPtrArray) runs = selected_runs (self);

  if (g_strcmp0 (response, "replace") == 0 && runs->len == 1)
    use_run (self, g_ptr_array_index (runs, 0));
}

gboolean
sf_runs_view_use_selected (SfRunsView *self)
{
  g_return_val_if_fail (SF_IS_RUNS_VIEW (self), FALSE);

  g_autoptr (GPtrArray) runs = selected_runs (self);
  if (runs->len != 1 || self->session == NULL || sf_session_get_training (self->session)
      || !((const SfRun *) g_ptr_array_index (runs, 0))->has_model)
    return FALSE;
  if (sf_session_get_checkpoint (self->session) == NULL || !sf_session_get_modified (self->session))
    {
      use_run (self, g_ptr_array_index (runs, 0));
      return TRUE;
    }
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                              _("Replace the Current Model?"),
                                              _("The current model has changes that are not saved. "
                                                "Using the run’s model instead loses them."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "replace", _("_Replace"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "replace", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (use_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}

static void
use_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  sf_runs_view_use_selected (SF_RUNS_VIEW (widget));
}

gboolean
sf_runs_view_use_settings (SfRunsView *self)
{
  g_return_val_if_fail (SF_IS_RUNS_VIEW (self), FALSE);

  g_autoptr (GPtrArray) runs = selected_runs (self);
  if (runs->len != 1 || (self->session != NULL && sf_session_get_training (self->session)))
    return FALSE;
  const SfRun *run = g_ptr_array_index (runs, 0);
  g_autoptr (SfTrainingSettings) settings = sf_training_settings_dup_default ();
  sf_training_settings_set (settings, &run->settings);
  /* Translators: %s is a run's name. */
  g_autofree char *text = g_strdup_printf (_("The training settings are now those of “%s”"), run->name);
  sf_notify_toast (GTK_WIDGET (self), text, 4);
  return TRUE;
}

static void
use_settings_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  sf_runs_view_use_settings (SF_RUNS_VIEW (widget));
}

static void
rename_response_cb (AdwMessageDialog *dialog, const char *response, SfRunsView *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_autoptr (GPtrArray) runs = selected_runs (self);
  g_autoptr (GError) error = NULL;
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  if (g_strcmp0 (response, "rename") != 0 || runs->len != 1 || *name == '\0')
    return;
  if (!sf_run_set_name (g_ptr_array_index (runs, 0), name, &error))
    message (self, _("Could Not Rename the Run"), error->message);
  sf_session_runs_changed (self->session);
}

static void
rename_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfRunsView *self = SF_RUNS_VIEW (widget);
  g_autoptr (GPtrArray) runs = selected_runs (self);

  if (runs->len != 1)
    return;
  const SfRun *run = g_ptr_array_index (runs, 0);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), _("Rename Run"), NULL);
  GtkWidget *entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), run->name);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Name of the run"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "rename", _("_Rename"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "rename", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "rename");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (rename_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
delete_response_cb (AdwMessageDialog *dialog, const char *response, SfRunsView *self)
{
  g_autoptr (GPtrArray) runs = selected_runs (self);
  g_autoptr (GString) failures = g_string_new (NULL);

  if (g_strcmp0 (response, "delete") != 0)
    return;
  for (guint i = 0; i < runs->len; i++)
    {
      g_autoptr (GError) error = NULL;
      if (!sf_run_delete (g_ptr_array_index (runs, i), &error))
        g_string_append_printf (failures, "%s\n", error->message);
    }
  if (failures->len > 0)
    message (self, _("Could Not Delete Every Run"), failures->str);
  sf_session_runs_changed (self->session);
}

static void
delete_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfRunsView *self = SF_RUNS_VIEW (widget);
  g_autoptr (GPtrArray) runs = selected_runs (self);

  if (runs->len == 0)
    return;
  /* Translators: %u is how many runs are selected. */
  g_autofree char *heading = g_strdup_printf (ngettext ("Delete %u Run?", "Delete %u Runs?", runs->len), runs->len);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), heading,
                                              _("Their folders, with their models, are removed for good."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (delete_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- keeping a failed run ---- */

void
sf_runs_view_record_failed (SfRunsView *self, SfTrainingRun *run, const char *reason)
{
  g_return_if_fail (SF_IS_RUNS_VIEW (self));
  g_return_if_fail (SF_IS_TRAINING_RUN (run));

  SfTrainer *trainer = sf_training_run_get_trainer (run);
  g_autoptr (GError) error = NULL;

  if (self->session == NULL || trainer == NULL)
    return;
  /* Here, not on a worker: the next Start frees this trainer. A failed run
   * is not evaluated, so this is one small write (as a Save). */
  const SfDataset *dataset = sf_face_list_get_dataset (sf_training_run_get_faces (run));
  g_autoptr (SfRun) recorded = sf_run_store_record (sf_session_get_run_store (self->session), trainer, dataset,
                                                    SF_RUN_FAILED, reason, sf_training_run_get_active_seconds (run),
                                                    NULL, FALSE, &error);
  if (recorded == NULL)
    message (self, _("Could Not Keep the Failed Run"), error->message);
  else
    sf_session_runs_changed (self->session);
}

gboolean
sf_runs_view_export_csv (SfRunsView *self, const char *path, GError **error)
{
  g_return_val_if_fail (SF_IS_RUNS_VIEW (self), FALSE);
  ensure_current (self);

  g_autoptr (GPtrArray) runs = selected_runs (self);
  if (runs->len == 0)
    for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->store)); i++)
      g_ptr_array_add (runs, (gpointer) sf_runs_view_get_run (self, i));
  g_autofree char *csv = NULL;
  if (self->group_seeds)
    {
      /* The table as shown: the groups' summary. */
      g_autoptr (GPtrArray) summaries = sf_runs_summarize ((SfRun *const *) runs->pdata, runs->len,
                                                           SF_RUN_RESULT_EER);
      csv = sf_runs_summary_to_csv (summaries);
    }
  else
    csv = sf_runs_to_csv ((SfRun *const *) runs->pdata, runs->len);
  return g_file_set_contents (path, csv, -1, error);
}

static void
export_chosen (gpointer owner, const char *const *paths)
{
  SfRunsView *self = owner;
  g_autoptr (GError) error = NULL;

  sf_runs_view_export_csv (self, paths[0], &error);
  sf_notify_saved (GTK_WIDGET (self), paths[0], error);
}

static void
export_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfRunsView *self = SF_RUNS_VIEW (widget);

  sf_file_chooser_save (&self->chooser, widget, _("Export Runs"), _("_Save"), "runs.csv", export_chosen, self);
}

static void
reload_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  sf_runs_view_reload (SF_RUNS_VIEW (widget));
}

/* ---- the object ---- */

static void
sf_runs_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfRunsView *self = SF_RUNS_VIEW (object);

  switch (prop_id)
    {
    case PROP_GROUP_SEEDS:
      g_value_set_boolean (value, self->group_seeds);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_runs_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SfRunsView *self = SF_RUNS_VIEW (object);

  switch (prop_id)
    {
    case PROP_GROUP_SEEDS:
      if (self->group_seeds == g_value_get_boolean (value))
        break;
      self->group_seeds = g_value_get_boolean (value);
      apply_grouping (self);
      g_object_notify_by_pspec (object, pspec);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_runs_view_dispose (GObject *object)
{
  SfRunsView *self = SF_RUNS_VIEW (object);
  GtkWidget *child;

  sf_file_chooser_clear (&self->chooser);
  stop_loading (self);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (object), SF_TYPE_RUNS_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->selection);
  g_clear_object (&self->groups);
  g_clear_object (&self->store);
  g_clear_pointer (&self->setting_columns, g_ptr_array_unref);

  G_OBJECT_CLASS (sf_runs_view_parent_class)->dispose (object);
}

static void
sf_runs_view_finalize (GObject *object)
{
  g_strfreev (SF_RUNS_VIEW (object)->problems);
  g_strfreev (SF_RUNS_VIEW (object)->setting_names);

  G_OBJECT_CLASS (sf_runs_view_parent_class)->finalize (object);
}

static void
sf_runs_view_class_init (SfRunsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sf_runs_view_dispose;
  object_class->finalize = sf_runs_view_finalize;
  object_class->get_property = sf_runs_view_get_property;
  object_class->set_property = sf_runs_view_set_property;

  /* One row per run group (same settings but the seed), results as mean ± sd. */
  properties[PROP_GROUP_SEEDS] = g_param_spec_boolean ("group-seeds", NULL, NULL, FALSE,
                                                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY
                                                       | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SF_TYPE_PLOT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-runs-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SfRunsView, column_view);
  gtk_widget_class_bind_template_child (widget_class, SfRunsView, problems_label);
  gtk_widget_class_bind_template_child (widget_class, SfRunsView, loss_plot);
  gtk_widget_class_bind_template_child (widget_class, SfRunsView, accuracy_plot);

  gtk_widget_class_install_action (widget_class, "runs.use", NULL, use_action);
  gtk_widget_class_install_action (widget_class, "runs.rename", NULL, rename_action);
  gtk_widget_class_install_action (widget_class, "runs.use-settings", NULL, use_settings_action);
  gtk_widget_class_install_action (widget_class, "runs.delete", NULL, delete_action);
  gtk_widget_class_install_action (widget_class, "runs.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "runs.reload", NULL, reload_action);
  gtk_widget_class_install_property_action (widget_class, "runs.group-seeds", "group-seeds");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_u, GDK_CONTROL_MASK, "runs.use", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F2, 0, "runs.rename", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_U, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "runs.use-settings", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "runs.delete", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_g, GDK_CONTROL_MASK, "runs.group-seeds", NULL);

  widget_class->map = sf_runs_view_map;
  widget_class->unmap = sf_runs_view_unmap;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "runsview");
}

static void
sf_runs_view_init (SfRunsView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->store = g_list_store_new (SF_TYPE_RUN_ITEM);
  self->groups = g_list_store_new (SF_TYPE_RUN_ITEM);
  self->setting_columns = g_ptr_array_new_with_free_func (g_object_unref);
  GtkSorter *sorter = gtk_column_view_get_sorter (self->column_view);
  self->sorted = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (self->store)), g_object_ref (sorter));
  self->selection = gtk_multi_selection_new (G_LIST_MODEL (self->sorted));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_swapped (self->selection, "selection-changed", G_CALLBACK (selection_changed_cb), self);
  g_signal_connect_swapped (self->selection, "items-changed", G_CALLBACK (selection_changed_cb), self);

  struct { const char *title; const char *key; } fixed[] = {
    { _("Name"), "name" },
    { _("Status"), "status" },
    /* Translators: a column: how many epochs a run trained (a stopped one fewer than asked). */
    { _("Epochs done"), "epochs" },
    /* Translators: a column: validation accuracy at the run's threshold. */
    { _("Accuracy"), "accuracy" },
    /* Translators: a column: the equal error rate. */
    { _("EER"), "eer" },
    /* Translators: a column: area under the ROC curve. */
    { _("AUC"), "auc" },
    /* Translators: a column: one-shot rank-1 identification accuracy. */
    { _("Rank-1"), "rank1" },
    /* Translators: a column: true accept rate at a false accept rate of 1 %. */
    { _("TAR at FAR 1 %"), "tar_far_1" },
    /* Translators: a column: how long the run trained. */
    { _("Time"), "seconds" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    {
      GtkColumnViewColumn *column = make_column (fixed[i].title, fixed[i].key, FALSE);
      /* Names are timestamps until renamed: wide enough to read one. */
      if (i == 0)
        gtk_column_view_column_set_fixed_width (column, 150);
      gtk_column_view_append_column (self->column_view, column);
      g_object_unref (column);
    }
  GListModel *columns = gtk_column_view_get_columns (self->column_view);
  g_autoptr (GtkColumnViewColumn) name_column = g_list_model_get_item (columns, 0);
  g_autoptr (GtkColumnViewColumn) status_column = g_list_model_get_item (columns, 1);
  g_autoptr (GtkColumnViewColumn) epochs_column = g_list_model_get_item (columns, 2);
  self->name_column = name_column;
  self->status_column = status_column;
  self->epochs_column = epochs_column;

  const char *titles[] = { _("Validation loss"), _("Validation accuracy") };
  SfPlot *plots[] = { self->loss_plot, self->accuracy_plot };
  for (guint k = 0; k < 2; k++)
    {
      sf_plot_set_labels (plots[k], _("Epoch"), titles[k]);
      sf_plot_set_title (plots[k], titles[k]);
      sf_plot_set_empty_text (plots[k], _("Select runs to compare their curves"));
      sf_plot_set_y_range (plots[k], 0, k == 0 ? NAN : 1);
      sf_plot_set_x_range (plots[k], 1, 2);
    }
  overlay_selected (self);
}

GtkWidget *
sf_runs_view_new (void)
{
  return g_object_new (SF_TYPE_RUNS_VIEW, NULL);
}

void
sf_runs_view_set_session (SfRunsView *self, SfSession *session)
{
  g_return_if_fail (SF_IS_RUNS_VIEW (self));

  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  if (session != NULL)
    g_signal_connect_swapped (session, "runs-changed", G_CALLBACK (runs_changed_cb), self);
  runs_changed_cb (self);
}

gboolean
sf_runs_view_get_stale (SfRunsView *self)
{
  g_return_val_if_fail (SF_IS_RUNS_VIEW (self), FALSE);

  return self->stale;
}

gboolean
sf_runs_view_get_loading (SfRunsView *self)
{
  g_return_val_if_fail (SF_IS_RUNS_VIEW (self), FALSE);

  return self->reading != NULL || self->to_add != NULL;
}

guint
sf_runs_view_get_n_runs (SfRunsView *self)
{
  g_return_val_if_fail (SF_IS_RUNS_VIEW (self), 0);
  ensure_current (self);

  return g_list_model_get_n_items (G_LIST_MODEL (self->store));
}

const SfRun *
sf_runs_view_get_run (SfRunsView *self, guint position)
{
  g_return_val_if_fail (SF_IS_RUNS_VIEW (self), NULL);
  ensure_current (self);

  g_autoptr (SfRunItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), position);
  return item != NULL ? item->run : NULL;
}

const char *const *
sf_runs_view_get_problems (SfRunsView *self)
{
  static const char *const none[] = { NULL };

  g_return_val_if_fail (SF_IS_RUNS_VIEW (self), NULL);
  ensure_current (self);

  return self->problems != NULL ? (const char *const *) self->problems : none;
}

GtkColumnView *
sf_runs_view_get_column_view (SfRunsView *self)
{
  g_return_val_if_fail (SF_IS_RUNS_VIEW (self), NULL);
  ensure_current (self);

  return self->column_view;
}

void
sf_runs_view_select (SfRunsView *self, const guint *positions, guint n_positions)
{
  g_return_if_fail (SF_IS_RUNS_VIEW (self));
  ensure_current (self);

  GListModel *model = G_LIST_MODEL (self->selection);
  g_autoptr (GtkBitset) wanted = gtk_bitset_new_empty ();
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (SfRunItem) item = g_list_model_get_item (model, i);
      for (guint p = 0; p < n_positions; p++)
        if (item->position == positions[p])
          gtk_bitset_add (wanted, i);
    }
  g_autoptr (GtkBitset) all = gtk_bitset_new_range (0, g_list_model_get_n_items (model));
  gtk_selection_model_set_selection (GTK_SELECTION_MODEL (self->selection), wanted, all);
}

SfPlot *
sf_runs_view_get_loss_plot (SfRunsView *self)
{
  g_return_val_if_fail (SF_IS_RUNS_VIEW (self), NULL);

  return self->loss_plot;
}

SfPlot *
sf_runs_view_get_accuracy_plot (SfRunsView *self)
{
  g_return_val_if_fail (SF_IS_RUNS_VIEW (self), NULL);

  return self->accuracy_plot;
}
