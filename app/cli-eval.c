/* siamese-faces-cli eval: how good a saved model is on its validation pairs
 * (or on every pair of another dataset). */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "checkpoint.h"
#include "cli-common.h"
#include "error.h"
#include "evaluation.h"
#include "runs.h"

static void
print_value (const char *label, double value, const char *format)
{
  if (isfinite (value))
    {
      g_print ("%-28s", label);
      g_print (format, value);
      g_print ("\n");
    }
  else
    g_print ("%-28sn/a\n", label);
}

/* The runs in the store made with this model's settings but another seed
 * (its run group), so one lucky seed is not mistaken for the setting's
 * result; NULL when the store holds fewer than two of them. */
static SfRunGroupSummary *
seed_group (const SfCheckpoint *checkpoint, const char *runs_dir, GPtrArray **runs_out, char **group_out)
{
  if (checkpoint->dataset_fingerprint == NULL)
    return NULL;
  g_autofree char *group = sf_run_group_key (&checkpoint->settings, checkpoint->dataset_fingerprint);
  g_autoptr (SfRunStore) store = sf_run_store_new (runs_dir);
  /* A store that cannot be read only means no group to report. */
  g_autoptr (GPtrArray) runs = sf_run_store_list (store, NULL, NULL);
  if (runs == NULL)
    return NULL;
  g_autoptr (GPtrArray) members = g_ptr_array_new ();
  for (guint k = 0; k < runs->len; k++)
    if (g_strcmp0 (((SfRun *) runs->pdata[k])->group, group) == 0)
      g_ptr_array_add (members, runs->pdata[k]);
  g_autoptr (GPtrArray) summaries = sf_runs_summarize ((SfRun *const *) members->pdata, members->len,
                                                       SF_RUN_RESULT_EER);
  if (summaries->len != 1 || ((SfRunGroupSummary *) summaries->pdata[0])->n_runs < 2)
    return NULL;
  *runs_out = g_steal_pointer (&runs);
  *group_out = g_steal_pointer (&group);
  return g_ptr_array_steal_index (summaries, 0);
}

int
cli_run_eval (int argc, char **argv)
{
  gboolean json = FALSE;
  double threshold = -1;
  g_autofree char *runs_dir = NULL;
  GOptionEntry entries[] = {
    { "runs", 0, 0, G_OPTION_ARG_FILENAME, &runs_dir, "Run store to look for this model's run group in (default: the user's)", "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object", NULL },
    { "threshold", 0, 0, G_OPTION_ARG_DOUBLE, &threshold, "Threshold for accuracy and counts (default: the model's)", "X" },
    { NULL }
  };
  if (!cli_parse_options ("eval", "MODEL [DATASET]", entries, &argc, &argv))
    return 2;
  if (argc < 2)
    {
      g_printerr ("siamese-faces-cli: eval: give the MODEL file first\n");
      return 2;
    }
  if (argc > 3)
    {
      g_printerr ("siamese-faces-cli: eval: unexpected argument '%s'\n", argv[3]);
      return 2;
    }
  GError *error = NULL;
  g_autoptr (SfCheckpoint) checkpoint = sf_checkpoint_load (argv[1], &error);
  if (checkpoint == NULL)
    {
      cli_fail_with (error);
      return 1;
    }
  gboolean threshold_given = threshold >= 0;
  if (!threshold_given)
    threshold = checkpoint->threshold;
  cli_image_size = sf_model_get_input_size (checkpoint->model);
  char *rest[3] = { argv[0], argc > 2 ? argv[2] : NULL, NULL };
  g_autoptr (SfDataset) dataset = cli_load_dataset (argc > 2 ? 2 : 1, rest, 1, 1);
  if (dataset == NULL)
    return 1;

  g_autoptr (SfEvaluation) evaluation = sf_evaluation_new (checkpoint->model, dataset, &checkpoint->settings,
                                                           checkpoint->dataset_fingerprint, (float) threshold,
                                                           SF_EVALUATION_RANK1, &error);
  if (evaluation == NULL)
    {
      cli_fail_with (error);
      return 1;
    }
  const SfMetrics metrics = evaluation->metrics;
  gboolean same_data = evaluation->same_data;
  int n = evaluation->n_pairs;
  double rank1 = evaluation->rank1;
  int n_probes = evaluation->rank1_probes;

  g_autoptr (GPtrArray) store_runs = NULL;
  g_autofree char *group = NULL;
  SfRunGroupSummary *seeds = seed_group (checkpoint, runs_dir, &store_runs, &group);

  const char *pairs_name = same_data ? "validation pairs of training" : "all pairs of this dataset";
  if (json)
    {
      g_autoptr (JsonNode) root = sf_metrics_to_json (&metrics);
      JsonObject *o = json_node_get_object (root);
      json_object_set_string_member (o, "model", argv[1]);
      json_object_set_string_member (o, "dataset", dataset->source != NULL ? dataset->source : "demo faces");
      json_object_set_string_member (o, "evaluated", pairs_name);
      json_object_set_double_member (o, "model_threshold", checkpoint->threshold);
      json_object_set_string_member (o, "split", sf_split_kind_name (evaluation->split));
      if (checkpoint->settings.init_name != NULL)
        {
          json_object_set_string_member (o, "init", checkpoint->settings.init_name);
          json_object_set_int_member (o, "freeze", checkpoint->settings.freeze);
        }
      if (isfinite (rank1))
        json_object_set_double_member (o, "rank1", rank1);
      else
        json_object_set_null_member (o, "rank1");
      json_object_set_int_member (o, "rank1_probes", n_probes);
      if (seeds != NULL)
        {
          JsonObject *g = json_object_new ();
          json_object_set_string_member (g, "group", group);
          json_object_set_int_member (g, "runs", seeds->n_runs);
          for (int r = 0; r < SF_RUN_N_RESULTS; r++)
            if (isfinite (seeds->mean[r]))
              {
                g_autofree char *sd_name = g_strdup_printf ("%s_sd", sf_run_result_name (r));
                json_object_set_double_member (g, sf_run_result_name (r), seeds->mean[r]);
                json_object_set_double_member (g, sd_name, seeds->sd[r]);
              }
          json_object_set_object_member (o, "seed_group", g);
          sf_run_group_summary_free (seeds);
        }
      g_autofree char *text = json_to_string (root, TRUE);
      g_print ("%s\n", text);
      return 0;
    }
  g_print ("Model:                      %s (%s)\n", argv[1], sf_model_get_spec (checkpoint->model));
  const SfTrainSettings *trained = &checkpoint->settings;
  if (trained->init_name != NULL)
    g_print ("Started from:               %s (%d epochs, weights %.12s), %d layers frozen\n", trained->init_name,
             trained->init_epochs, trained->init_fingerprint != NULL ? trained->init_fingerprint : "?",
             trained->freeze);
  g_print ("Dataset:                    %s\n", dataset->source != NULL ? dataset->source : "demo faces");
  g_print ("Evaluated:                  %d %s (%d same, %d different)\n", n, pairs_name, metrics.n_same,
           metrics.n_different);
  print_value (threshold_given ? "Threshold (--threshold):" : "Threshold (the model's):", metrics.threshold, "%.4f");
  print_value ("Accuracy at the threshold:", metrics.accuracy, "%.4f");
  g_print ("%-28s%d true / %d false accepts, %d true / %d false rejects\n", "Counts:", metrics.true_accepts,
           metrics.false_accepts, metrics.true_rejects, metrics.false_rejects);
  print_value ("Precision:", metrics.precision, "%.4f");
  print_value ("Recall:", metrics.recall, "%.4f");
  print_value ("ROC AUC:", metrics.auc, "%.4f");
  print_value ("Equal error rate:", metrics.eer, "%.4f");
  print_value ("  at threshold:", metrics.eer_threshold, "%.4f");
  print_value ("Best accuracy:", metrics.best_accuracy, "%.4f");
  print_value ("  at threshold:", metrics.best_threshold, "%.4f");
  print_value ("TAR at FAR 1%:", metrics.tar_at_far_1, "%.4f");
  print_value ("Rank-1 identification:", rank1, "%.4f");
  g_print ("%-28s%d probes, one gallery image per person\n", "", n_probes);
  if (seeds != NULL)
    {
      g_print ("Over seeds (run group %.16s, %d runs, mean ± sd):\n", group, seeds->n_runs);
      static const SfRunResult shown[] = { SF_RUN_RESULT_ACCURACY, SF_RUN_RESULT_EER, SF_RUN_RESULT_AUC,
                                           SF_RUN_RESULT_RANK1 };
      for (guint i = 0; i < G_N_ELEMENTS (shown); i++)
        if (isfinite (seeds->mean[shown[i]]))
          g_print ("  %-26s%.4f ± %.4f\n", sf_run_result_name (shown[i]), seeds->mean[shown[i]], seeds->sd[shown[i]]);
      sf_run_group_summary_free (seeds);
    }
  return 0;
}
