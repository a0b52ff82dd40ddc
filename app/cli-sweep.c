/* siamese-faces-cli's experiment commands: sweep (a grid or random search of
 * settings, each combination over several seeds, resumable), runs (the run
 * store: list, a group's mean ± sd, CSV, rename, delete), and recording
 * train's run. */
#include <glib.h>
#include <glib-unix.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "atomic-file.h"
#include "cli-common.h"
#include "error.h"
#include "runs.h"
#include "sweep.h"

void
cli_run_options_clear (CliRunOptions *options)
{
  g_clear_pointer (&options->runs_dir, g_free);
}

static double
history_seconds (SfTrainer *trainer)
{
  int n = 0;
  const SfEpochRecord *history = sf_trainer_get_history (trainer, &n);
  double seconds = 0;
  for (int e = 0; e < n; e++)
    seconds += history[e].seconds;
  return seconds;
}

void
cli_record_run (const CliRunOptions *options, SfTrainer *trainer, const SfDataset *dataset, gboolean stopped,
                const SfEvaluation *evaluation)
{
  if (options->no_run)
    return;
  g_autoptr (SfRunStore) store = sf_run_store_new (options->runs_dir);
  GError *error = NULL;
  g_autoptr (SfRun) run = sf_run_store_record (store, trainer, dataset, stopped ? SF_RUN_STOPPED : SF_RUN_FINISHED,
                                               NULL, history_seconds (trainer), evaluation, TRUE, &error);
  if (run == NULL)
    {
      g_printerr ("siamese-faces-cli: warning: the run was not recorded: %s\n", error->message);
      g_error_free (error);
      return;
    }
  fprintf (stderr, "Recorded run %s in %s (the weights of epoch %d of %d)\n", run->id, sf_run_store_get_root (store),
           run->final.epoch, run->n_history);
}

void
cli_record_failed_run (const CliRunOptions *options, const SfTrainSettings *settings, const SfDataset *dataset,
                       SfTrainer *trainer, const char *message)
{
  if (options->no_run)
    return;
  g_autoptr (SfRunStore) store = sf_run_store_new (options->runs_dir);
  g_autofree char *fingerprint = sf_dataset_fingerprint (dataset);
  GError *error = NULL;
  g_autoptr (SfRun) run = trainer != NULL
                            ? sf_run_store_record (store, trainer, dataset, SF_RUN_FAILED, message,
                                                   history_seconds (trainer), NULL, FALSE, &error)
                            : sf_run_store_record_failure (store, settings, fingerprint, dataset->source, message, 0,
                                                           &error);
  if (run == NULL)
    {
      g_printerr ("siamese-faces-cli: warning: the failed run was not recorded: %s\n", error->message);
      g_error_free (error);
      return;
    }
  fprintf (stderr, "Recorded the failed run %s in %s\n", run->id, sf_run_store_get_root (store));
}

/* ---- printing runs and summaries ---- */

static char *
format_result (SfRunResult result, double value)
{
  if (!isfinite (value))
    return g_strdup ("–");
  return g_strdup_printf (result == SF_RUN_RESULT_SECONDS ? "%.0f" : "%.4f", value);
}

/* Setting names but the seed, which varies inside a group, not between groups. */
static char **
without_seed (char **names)
{
  GPtrArray *kept = g_ptr_array_new ();
  for (char **n = names; *n != NULL; n++)
    if (strcmp (*n, "seed") != 0)
      g_ptr_array_add (kept, g_strdup (*n));
  g_ptr_array_add (kept, NULL);
  return (char **) g_ptr_array_free (kept, FALSE);
}

/* Settings that differ between the groups, without the seed. */
static char **
varied_settings (GPtrArray *summaries)
{
  g_autofree SfRun **examples = g_new0 (SfRun *, MAX (summaries->len, 1));
  for (guint g = 0; g < summaries->len; g++)
    examples[g] = ((SfRunGroupSummary *) summaries->pdata[g])->example;
  g_auto (GStrv) names = sf_runs_differing_settings (examples, summaries->len);
  return without_seed (names);
}

static void
print_summary (GPtrArray *summaries)
{
  g_auto (GStrv) varied = varied_settings (summaries);
  g_print ("%-4s %-16s %4s", "rank", "group", "runs");
  for (char **v = varied; *v != NULL; v++)
    g_print ("  %-14s", *v);
  for (int r = 0; r < SF_RUN_N_RESULTS; r++)
    g_print ("  %-17s", sf_run_result_name (r));
  g_print ("\n");
  for (guint g = 0; g < summaries->len; g++)
    {
      const SfRunGroupSummary *s = summaries->pdata[g];
      g_print ("%-4u %-16s %4d", g + 1, s->group, s->n_runs);
      for (char **v = varied; *v != NULL; v++)
        {
          g_autofree char *value = sf_run_get_setting (s->example, *v);
          g_print ("  %-14s", value != NULL ? value : "");
        }
      for (int r = 0; r < SF_RUN_N_RESULTS; r++)
        {
          g_autofree char *mean = format_result (r, s->mean[r]);
          g_autofree char *sd = format_result (r, s->sd[r]);
          g_autofree char *cell = g_strdup_printf ("%s ± %s", mean, sd);
          /* "±" is two bytes but one column. */
          g_print ("  %-18s", cell);
        }
      g_print ("\n");
    }
}

static gboolean
write_summary (const char *path, GPtrArray *summaries, GError **error)
{
  g_autofree char *text = g_str_has_suffix (path, ".json") ? sf_runs_summary_to_json (summaries)
                                                            : sf_runs_summary_to_csv (summaries);
  return sf_atomic_file_save (path, text, strlen (text), error);
}

/* ---- sweep ---- */

typedef struct {
  gboolean stop_after_run;   /* first Ctrl+C */
  GCancellable *cancelled;   /* second Ctrl+C: the current run too */
  gboolean terminal;
} SweepState;

static gboolean
sweep_interrupt_cb (gpointer data)
{
  SweepState *state = data;
  if (!state->stop_after_run)
    g_printerr ("\nStopping after this run (Ctrl+C again stops it too)…\n");
  else if (!g_cancellable_is_cancelled (state->cancelled))
    {
      g_printerr ("\nStopping this run now…\n");
      g_cancellable_cancel (state->cancelled);
    }
  state->stop_after_run = TRUE;
  return G_SOURCE_CONTINUE;
}

/* Runs on this thread (sf_trainer_run): prints each epoch, and lets the
 * signal sources run between batches. */
static void
sweep_progress_cb (const SfTrainEvent *event, gpointer data)
{
  SweepState *state = data;
  if (event->kind == SF_TRAIN_EVENT_BATCH)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      if (state->terminal)
        fprintf (stderr, "\r\033[K  epoch %d/%d  batch %d/%d  loss %.4f", event->epoch, event->n_epochs,
                 event->batch, event->n_batches, event->epoch_loss);
    }
  else if (event->kind == SF_TRAIN_EVENT_EPOCH && (!state->terminal || event->epoch == event->n_epochs))
    {
      const SfEpochRecord *r = &event->record;
      fprintf (stderr, "%s  epoch %d/%d  loss %.4f  val_loss %.4f  val_accuracy %.4f\n",
               state->terminal ? "\r\033[K" : "", r->epoch, event->n_epochs, r->loss, r->validation_loss,
               r->validation_accuracy);
    }
  else if (event->kind != SF_TRAIN_EVENT_EPOCH && event->kind != SF_TRAIN_EVENT_STARTED && state->terminal)
    fprintf (stderr, "\r\033[K");
}

/* "temperature=0.25 seed=0": what a planned run varies. */
static char *
describe_run (const SfTrainSettings *settings, char **varied)
{
  g_autoptr (SfRun) probe = g_new0 (SfRun, 1);
  probe->settings_json = sf_train_settings_to_json (settings);
  GString *text = g_string_new (NULL);
  for (char **v = varied; *v != NULL; v++)
    {
      g_autofree char *value = sf_run_get_setting (probe, *v);
      g_string_append_printf (text, "%s=%s ", *v, value != NULL ? value : "");
    }
  g_string_append_printf (text, "seed=%" G_GUINT64_FORMAT, settings->seed);
  return g_string_free (text, FALSE);
}

/* The settings the planned runs vary (as in the settings JSON), seed aside. */
static char **
planned_varied (GArray *planned)
{
  g_autoptr (GPtrArray) probes = g_ptr_array_new_with_free_func ((GDestroyNotify) sf_run_free);
  for (guint k = 0; k < planned->len; k++)
    {
      SfRun *probe = g_new0 (SfRun, 1);
      probe->settings_json = sf_train_settings_to_json (&g_array_index (planned, SfTrainSettings, k));
      g_ptr_array_add (probes, probe);
    }
  g_auto (GStrv) names = sf_runs_differing_settings ((SfRun *const *) probes->pdata, probes->len);
  return without_seed (names);
}

static int
fail (GError *error)
{
  cli_fail_with (error);
  return 1;
}

/* Trains the planned runs the store does not hold finished, then summarizes. */
static int
run_planned (int argc, char **argv, GArray *planned, int n_combinations, SfRunResult metric, const char *runs_dir,
             const char *summary_path)
{
  GError *error = NULL;
  g_autoptr (SfDataset) dataset = cli_load_dataset (argc, argv, 1, 1);
  if (dataset == NULL)
    return 1;
  g_autofree char *fingerprint = sf_dataset_fingerprint (dataset);
  g_autoptr (SfRunStore) store = sf_run_store_new (runs_dir);
  g_autoptr (GHashTable) finished = sf_sweep_finished_keys (store, &error);
  if (finished == NULL)
    return fail (error);
  g_autoptr (GHashTable) planned_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GChecksum) sweep_id = g_checksum_new (G_CHECKSUM_SHA256);
  int n_done = 0;
  for (guint k = 0; k < planned->len; k++)
    {
      char *key = sf_run_key (&g_array_index (planned, SfTrainSettings, k), fingerprint);
      g_checksum_update (sweep_id, (const guchar *) key, -1);
      n_done += g_hash_table_contains (finished, key);
      g_hash_table_add (planned_keys, key);
    }
  g_auto (GStrv) varied = planned_varied (planned);
  g_print ("Sweep of %d combinations × %u seeds = %u runs on %s; %d already done (store %s)\n", n_combinations,
           planned->len / MAX (n_combinations, 1), planned->len,
           dataset->source != NULL ? dataset->source : "the demo faces", n_done, sf_run_store_get_root (store));

  g_autoptr (GCancellable) cancelled = g_cancellable_new ();
  SweepState state = { .terminal = isatty (fileno (stderr)), .cancelled = cancelled };
  guint sigint = g_unix_signal_add (SIGINT, sweep_interrupt_cb, &state);
  guint sigterm = g_unix_signal_add (SIGTERM, sweep_interrupt_cb, &state);
  int n_trained = 0, n_failed = 0;
  for (guint k = 0; k < planned->len && !state.stop_after_run; k++)
    {
      const SfTrainSettings *settings = &g_array_index (planned, SfTrainSettings, k);
      g_autofree char *key = sf_run_key (settings, fingerprint);
      if (g_hash_table_contains (finished, key))
        continue;
      g_autofree char *what = describe_run (settings, varied);
      g_print ("Run %u/%u: %s\n", k + 1, planned->len, what);
      /* A run that fails is recorded as failed, with its message, and the sweep goes on. */
      g_autoptr (SfRun) run = sf_sweep_train_run (store, dataset, settings, TRUE, sweep_progress_cb, &state,
                                                  cancelled, &error);
      if (run == NULL)
        {
          g_printerr ("siamese-faces-cli: %s: the run could not be recorded: %s\n", what, error->message);
          g_clear_error (&error);
          n_failed++;
          continue;
        }
      SfRunStatus run_status = run->status;
      double seconds = run->duration_seconds;
      if (run_status == SF_RUN_FAILED)
        g_printerr ("siamese-faces-cli: %s: %s\n", what, run->message);
      n_trained += run_status == SF_RUN_FINISHED;
      n_failed += run_status == SF_RUN_FAILED;
      g_autofree char *eer = format_result (SF_RUN_RESULT_EER, run->final.values[SF_RUN_RESULT_EER]);
      g_autofree char *accuracy = format_result (SF_RUN_RESULT_ACCURACY, run->final.values[SF_RUN_RESULT_ACCURACY]);
      g_autofree char *auc = format_result (SF_RUN_RESULT_AUC, run->final.values[SF_RUN_RESULT_AUC]);
      g_autofree char *rank1 = format_result (SF_RUN_RESULT_RANK1, run->final.values[SF_RUN_RESULT_RANK1]);
      g_print ("  %s %s in %.0f s: accuracy %s  EER %s  AUC %s  rank-1 %s\n", sf_run_status_name (run_status),
               run->id, seconds, accuracy, eer, auc, rank1);
    }
  g_source_remove (sigint);
  g_source_remove (sigterm);

  /* The summary covers every planned run in the store, from earlier sweeps too (the latest of each). */
  g_autoptr (GPtrArray) all = sf_run_store_list (store, NULL, &error);
  if (all == NULL)
    return fail (error);
  g_autoptr (GHashTable) latest = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint k = 0; k < all->len; k++)
    {
      SfRun *run = all->pdata[k];
      if (run->status == SF_RUN_FINISHED && g_hash_table_contains (planned_keys, run->key))
        g_hash_table_insert (latest, run->key, run);
    }
  g_autoptr (GPtrArray) chosen = g_ptr_array_new ();
  for (guint k = 0; k < all->len; k++)
    if (g_hash_table_lookup (latest, ((SfRun *) all->pdata[k])->key) == all->pdata[k])
      g_ptr_array_add (chosen, all->pdata[k]);
  g_autoptr (GPtrArray) summaries = sf_runs_summarize ((SfRun *const *) chosen->pdata, chosen->len, metric);
  g_print ("\n%d runs trained now, %d failed, %u of %u planned runs finished; by %s, best first:\n", n_trained,
           n_failed, chosen->len, planned->len, sf_run_result_name (metric));
  print_summary (summaries);
  g_autofree char *default_path = g_strdup_printf ("%s/sweep-%.8s.csv", sf_run_store_get_root (store),
                                                   g_checksum_get_string (sweep_id));
  const char *paths[] = { default_path, summary_path };
  for (guint k = 0; k < G_N_ELEMENTS (paths); k++)
    if (paths[k] != NULL && chosen->len > 0)
      {
        if (!write_summary (paths[k], summaries, &error))
          return fail (error);
        g_print ("Summary written to %s\n", paths[k]);
      }
  return state.stop_after_run ? 130 : n_failed > 0 ? 1 : 0;

}

int
cli_run_sweep (int argc, char **argv)
{
  g_auto (GStrv) grid = NULL;
  g_auto (GStrv) ranges = NULL;
  g_autofree char *seeds = NULL;
  g_autofree char *metric_name = NULL;
  g_autofree char *summary_path = NULL;
  g_autofree char *runs_dir = NULL;
  g_autofree char *precision = NULL;
  int n_random = 0;
  gint64 random_seed = 0;
  CliSettingsOptions *settings_options = cli_settings_options_new ();
  int n_settings_entries = 0;
  g_autofree GOptionEntry *settings_entries = cli_settings_options_entries (settings_options, &n_settings_entries);
  GOptionEntry own[] = {
    { "grid", 0, 0, G_OPTION_ARG_STRING_ARRAY, &grid, "Values of a setting, every combination tried (repeatable), e.g. lr=1e-3,3e-3", "NAME=V1,V2" },
    { "random", 0, 0, G_OPTION_ARG_INT, &n_random, "Random search: N combinations drawn from --range and --grid", "N" },
    { "range", 0, 0, G_OPTION_ARG_STRING_ARRAY, &ranges, "Range of a numeric setting for --random, log-uniform with :log (repeatable)", "NAME=LO:HI[:log]" },
    { "random-seed", 0, 0, G_OPTION_ARG_INT64, &random_seed, "Seed of the random search's draws (default 0)", "N" },
    { "seeds", 0, 0, G_OPTION_ARG_STRING, &seeds, "Seeds of every combination, e.g. 0-4 or 0,3,7 (default: --seed, 0)", "LIST" },
    { "metric", 0, 0, G_OPTION_ARG_STRING, &metric_name, "Sort the summary by eer (default), accuracy, auc, tar_far_1 or rank1", "NAME" },
    { "runs", 0, 0, G_OPTION_ARG_FILENAME, &runs_dir, "The run store (default: the user's)", "DIR" },
    { "summary", 0, 0, G_OPTION_ARG_FILENAME, &summary_path, "Also write the summary here (.json: JSON, else CSV)", "FILE" },
    CLI_PRECISION_OPTION_ENTRY (precision),
  };
  g_autofree GOptionEntry *entries = g_new0 (GOptionEntry, G_N_ELEMENTS (own) + n_settings_entries + 1);
  memcpy (entries, own, sizeof own);
  memcpy (entries + G_N_ELEMENTS (own), settings_entries, n_settings_entries * sizeof (GOptionEntry));

  SfTrainSettings base = { 0 };
  GError *error = NULL;
  int status = 2;
  g_autoptr (SfSweep) sweep = NULL;
  g_autoptr (GArray) planned = NULL;
  SfRunResult metric = SF_RUN_RESULT_EER;
  int n_combinations = 0;
  if (!cli_parse_options ("sweep", "[DATASET]", entries, &argc, &argv) || !cli_apply_precision ("sweep", precision))
    goto out;
  if (metric_name != NULL && (!sf_run_result_parse (metric_name, &metric) || metric == SF_RUN_RESULT_SECONDS))
    {
      g_printerr ("siamese-faces-cli: --metric %s: expected eer, accuracy, auc, tar_far_1 or rank1\n", metric_name);
      goto out;
    }
  if (!cli_settings_options_apply (settings_options, &base, &error))
    goto fail;
  sweep = sf_sweep_new (&base);
  for (char **g = grid; g != NULL && *g != NULL; g++)
    if (!sf_sweep_add_grid (sweep, *g, &error))
      goto fail;
  for (char **r = ranges; r != NULL && *r != NULL; r++)
    if (!sf_sweep_add_range (sweep, *r, &error))
      goto fail;
  if (seeds != NULL && !sf_sweep_set_seeds (sweep, seeds, &error))
    goto fail;
  if (n_random < 0 || random_seed < 0)
    {
      g_printerr ("siamese-faces-cli: --random and --random-seed: expected non-negative numbers\n");
      goto out;
    }
  sf_sweep_set_random (sweep, n_random, (guint64) random_seed);
  planned = sf_sweep_expand (sweep, &n_combinations, &error);
  if (planned == NULL)
    goto fail;

  status = run_planned (argc, argv, planned, n_combinations, metric, runs_dir, summary_path);
  goto out;

fail:
  cli_fail_with (error);
out:
  sf_train_settings_clear (&base);
  cli_settings_options_free (settings_options);
  return status;
}

/* ---- runs ---- */

int
cli_run_runs (int argc, char **argv)
{
  g_autofree char *runs_dir = NULL;
  g_autofree char *group = NULL;
  g_autofree char *csv_path = NULL;
  g_autofree char *rename = NULL;
  g_autofree char *delete = NULL;
  g_autofree char *metric_name = NULL;
  GOptionEntry entries[] = {
    { "runs", 0, 0, G_OPTION_ARG_FILENAME, &runs_dir, "The run store (default: the user's)", "DIR" },
    { "group", 0, 0, G_OPTION_ARG_STRING, &group, "Only this group (or a prefix of it), with its mean ± sd over seeds", "G" },
    { "csv", 0, 0, G_OPTION_ARG_FILENAME, &csv_path, "Write the table as CSV (- for standard output)", "FILE" },
    { "metric", 0, 0, G_OPTION_ARG_STRING, &metric_name, "Sort the groups by eer (default), accuracy, auc, tar_far_1 or rank1", "NAME" },
    { "rename", 0, 0, G_OPTION_ARG_STRING, &rename, "Rename a run", "ID=NAME" },
    { "delete", 0, 0, G_OPTION_ARG_STRING, &delete, "Delete a run (its folder)", "ID" },
    { NULL }
  };
  if (!cli_parse_options ("runs", "", entries, &argc, &argv))
    return 2;
  SfRunResult metric = SF_RUN_RESULT_EER;
  if (metric_name != NULL && !sf_run_result_parse (metric_name, &metric))
    {
      g_printerr ("siamese-faces-cli: --metric %s: expected eer, accuracy, auc, tar_far_1 or rank1\n", metric_name);
      return 2;
    }
  if (argc > 1)
    {
      g_printerr ("siamese-faces-cli: runs: unexpected argument '%s'\n", argv[1]);
      return 2;
    }
  g_autoptr (SfRunStore) store = sf_run_store_new (runs_dir);
  GError *error = NULL;
  g_autoptr (GPtrArray) problems = NULL;
  g_autoptr (GPtrArray) runs = sf_run_store_list (store, &problems, &error);
  if (runs == NULL)
    {
      cli_fail_with (error);
      return 1;
    }
  for (guint k = 0; k < problems->len; k++)
    g_printerr ("siamese-faces-cli: warning: %s\n", (const char *) problems->pdata[k]);

  if (rename != NULL || delete != NULL)
    {
      g_auto (GStrv) parts = rename != NULL ? g_strsplit (rename, "=", 2) : NULL;
      const char *id = rename != NULL ? parts[0] : delete;
      if (rename != NULL && parts[1] == NULL)
        {
          g_printerr ("siamese-faces-cli: --rename %s: expected ID=NAME\n", rename);
          return 2;
        }
      for (guint k = 0; k < runs->len; k++)
        {
          SfRun *run = runs->pdata[k];
          if (strcmp (run->id, id) != 0)
            continue;
          gboolean ok = rename != NULL ? sf_run_set_name (run, parts[1], &error) : sf_run_delete (run, &error);
          if (!ok)
            {
              cli_fail_with (error);
              return 1;
            }
          g_print ("%s %s\n", rename != NULL ? "Renamed" : "Deleted", id);
          return 0;
        }
      g_printerr ("siamese-faces-cli: no run '%s' in %s\n", id, sf_run_store_get_root (store));
      return 1;
    }

  g_autoptr (GPtrArray) chosen = g_ptr_array_new ();
  for (guint k = 0; k < runs->len; k++)
    if (group == NULL || g_str_has_prefix (((SfRun *) runs->pdata[k])->group, group))
      g_ptr_array_add (chosen, runs->pdata[k]);
  if (csv_path != NULL)
    {
      g_autofree char *csv = sf_runs_to_csv ((SfRun *const *) chosen->pdata, chosen->len);
      if (strcmp (csv_path, "-") == 0)
        {
          fputs (csv, stdout);
          return 0;
        }
      if (!sf_atomic_file_save (csv_path, csv, strlen (csv), &error))
        {
          cli_fail_with (error);
          return 1;
        }
      g_print ("Wrote %s: %u runs\n", csv_path, chosen->len);
      return 0;
    }
  g_auto (GStrv) differing = sf_runs_differing_settings ((SfRun *const *) chosen->pdata, chosen->len);
  g_print ("%-18s %-9s %-16s", "id", "status", "group");
  for (char **d = differing; *d != NULL; d++)
    g_print (" %-12s", *d);
  for (int r = 0; r < SF_RUN_N_RESULTS; r++)
    g_print (" %-9s", sf_run_result_name (r));
  g_print (" name\n");
  for (guint k = 0; k < chosen->len; k++)
    {
      const SfRun *run = chosen->pdata[k];
      g_print ("%-18s %-9s %-16s", run->id, sf_run_status_name (run->status), run->group);
      for (char **d = differing; *d != NULL; d++)
        {
          g_autofree char *value = sf_run_get_setting (run, *d);
          g_print (" %-12s", value != NULL ? value : "");
        }
      for (int r = 0; r < SF_RUN_N_RESULTS; r++)
        {
          g_autofree char *value = format_result (r, run->final.values[r]);
          g_print (" %-9s", value);
        }
      g_print (" %s\n", run->name);
      if (run->status == SF_RUN_FAILED && run->message != NULL)
        g_print ("%-18s failed: %s\n", "", run->message);
    }
  g_autoptr (GPtrArray) summaries = sf_runs_summarize ((SfRun *const *) chosen->pdata, chosen->len, metric);
  if (summaries->len > 0)
    {
      g_print ("\nPer group over seeds (mean ± sd), by %s, best first:\n", sf_run_result_name (metric));
      print_summary (summaries);
    }
  return 0;
}
