/* Runs and the run store: recording a trained model as a run folder, reading
 * run folders back (as hostile input), renaming, deleting, and comparing runs
 * (differing settings, CSV, per-group mean and standard deviation). */
#include "runs.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "atomic-file.h"
#include "checkpoint.h"
#include "dataset.h"
#include "error.h"
#include "json-limits.h"

static const char *const result_names[SF_RUN_N_RESULTS] = {
  "accuracy", "eer", "auc", "tar_far_1", "rank1", "seconds",
};

static const char *const status_names[] = { "finished", "stopped", "failed" };

/* run.json is small: settings, results and a history of at most a few
 * thousand epochs. */
static const SfJsonLimits run_json_limits = { 4 << 20, 8, 1 << 18 };

const char *
sf_run_status_name (SfRunStatus status)
{
  return (guint) status < G_N_ELEMENTS (status_names) ? status_names[status] : "failed";
}

gboolean
sf_run_status_parse (const char *name, SfRunStatus *status)
{
  for (guint k = 0; k < G_N_ELEMENTS (status_names); k++)
    if (g_strcmp0 (name, status_names[k]) == 0)
      {
        *status = (SfRunStatus) k;
        return TRUE;
      }
  return FALSE;
}

const char *
sf_run_result_name (SfRunResult result)
{
  return (guint) result < SF_RUN_N_RESULTS ? result_names[result] : "";
}

gboolean
sf_run_result_parse (const char *name, SfRunResult *result)
{
  for (int k = 0; k < SF_RUN_N_RESULTS; k++)
    if (g_strcmp0 (name, result_names[k]) == 0)
      {
        *result = (SfRunResult) k;
        return TRUE;
      }
  return FALSE;
}

gboolean
sf_run_result_higher_is_better (SfRunResult result)
{
  return result != SF_RUN_RESULT_EER && result != SF_RUN_RESULT_SECONDS;
}

/* ---- keys ---- */

static char *
digest (const char *settings_json, const char *dataset_fingerprint)
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, (const guchar *) settings_json, -1);
  g_checksum_update (checksum, (const guchar *) "\n", 1);
  if (dataset_fingerprint != NULL)
    g_checksum_update (checksum, (const guchar *) dataset_fingerprint, -1);
  return g_strndup (g_checksum_get_string (checksum), 16);
}

char *
sf_run_key (const SfTrainSettings *settings, const char *dataset_fingerprint)
{
  g_autofree char *json = sf_train_settings_to_json (settings);
  return digest (json, dataset_fingerprint);
}

char *
sf_run_group_key (const SfTrainSettings *settings, const char *dataset_fingerprint)
{
  SfTrainSettings unseeded = { 0 };
  sf_train_settings_copy (&unseeded, settings);
  unseeded.seed = 0;
  g_autofree char *json = sf_train_settings_to_json (&unseeded);
  sf_train_settings_clear (&unseeded);
  return digest (json, dataset_fingerprint);
}

/* ---- run.json ---- */

static void
metrics_init (SfRunMetrics *m)
{
  m->epoch = 0;
  for (int k = 0; k < SF_RUN_N_RESULTS; k++)
    m->values[k] = NAN;
  m->validation_loss = NAN;
}

static void
add_number (JsonBuilder *b, const char *name, double value)
{
  json_builder_set_member_name (b, name);
  if (isfinite (value))
    json_builder_add_double_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_metrics (JsonBuilder *b, const char *name, const SfRunMetrics *m)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "epoch");
  json_builder_add_int_value (b, m->epoch);
  for (int k = 0; k < SF_RUN_N_RESULTS; k++)
    add_number (b, result_names[k], m->values[k]);
  add_number (b, "validation_loss", m->validation_loss);
  json_builder_end_object (b);
}

static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static gboolean
run_write_json (const SfRun *run, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, "format", SF_RUN_FORMAT);
  add_string (b, "name", run->name);
  add_string (b, "status", sf_run_status_name (run->status));
  add_string (b, "message", run->message);
  add_string (b, "key", run->key);
  add_string (b, "group", run->group);
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, run->created);
  add_number (b, "duration_seconds", run->duration_seconds);
  add_string (b, "dataset_fingerprint", run->dataset_fingerprint);
  add_string (b, "dataset_path", run->dataset_path);
  add_number (b, "threshold", run->threshold);
  add_metrics (b, "final", &run->final);
  add_metrics (b, "best", &run->best);
  /* Written by this program; NULL only if json-glib wrote a number it cannot read back. */
  JsonNode *settings = json_from_string (run->settings_json, NULL);
  json_builder_set_member_name (b, "settings");
  if (settings != NULL)
    json_builder_add_value (b, settings);
  else
    json_builder_add_null_value (b);
  /* The names sf_history_from_json reads. */
  json_builder_set_member_name (b, "history");
  json_builder_begin_array (b);
  for (int e = 0; e < run->n_history; e++)
    {
      const SfEpochRecord *r = &run->history[e];
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "epoch");
      json_builder_add_int_value (b, r->epoch);
      add_number (b, "loss", r->loss);
      add_number (b, "accuracy", r->accuracy);
      add_number (b, "val_loss", r->validation_loss);
      add_number (b, "val_accuracy", r->validation_accuracy);
      add_number (b, "seconds", r->seconds);
      add_number (b, "pairs_per_second", r->pairs_per_second);
      add_number (b, "learning_rate", r->learning_rate);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree char *text = sf_json_to_string (root);
  g_autofree char *path = g_build_filename (run->folder, SF_RUN_JSON, NULL);
  return sf_atomic_file_save (path, text, strlen (text), error);
}

static gboolean
get_nullable_string (JsonObject *o, const char *member, char **value, const char *file, GError **error)
{
  JsonNode *node = json_object_get_member (o, member);
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      *value = NULL;
      return TRUE;
    }
  const char *text = NULL;
  if (!sf_json_get_string (o, member, NULL, &text, file, NULL, error))
    return FALSE;
  *value = g_strdup (text);
  return TRUE;
}

static gboolean
get_nullable_double (JsonObject *o, const char *member, double *value, const char *file, const char *part,
                     GError **error)
{
  JsonNode *node = json_object_get_member (o, member);
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      *value = NAN;
      return TRUE;
    }
  return sf_json_get_double (o, member, NAN, -G_MAXDOUBLE, G_MAXDOUBLE, value, file, part, error);
}

static gboolean
read_metrics (JsonObject *o, const char *member, SfRunMetrics *m, const char *file, GError **error)
{
  metrics_init (m);
  JsonNode *node = json_object_get_member (o, member);
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: '%s' is %s, expected an object"), file, member,
                   sf_json_node_kind (node));
      return FALSE;
    }
  JsonObject *mo = json_node_get_object (node);
  gint64 epoch = 0;
  if (!sf_json_get_int (mo, "epoch", 0, 0, G_MAXINT, &epoch, file, member, error))
    return FALSE;
  m->epoch = (int) epoch;
  for (int k = 0; k < SF_RUN_N_RESULTS; k++)
    if (!get_nullable_double (mo, result_names[k], &m->values[k], file, member, error))
      return FALSE;
  return get_nullable_double (mo, "validation_loss", &m->validation_loss, file, member, error);
}

/* A member holding JSON of the given kind, as text for the existing readers. */
static char *
member_as_text (JsonObject *o, const char *member, gboolean object, const char *file, GError **error)
{
  JsonNode *node = json_object_get_member (o, member);
  if (node == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: '%s' is missing"), file, member);
      return NULL;
    }
  if (object ? !JSON_NODE_HOLDS_OBJECT (node) : !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: '%s' is %s, expected %s"), file, member,
                   sf_json_node_kind (node), object ? _("an object") : _("an array"));
      return NULL;
    }
  return sf_json_to_string (node);
}

static SfRun *
run_parse (const char *folder, const char *text, gsize length, const char *file, GError **error)
{
  g_autoptr (JsonNode) root = sf_json_parse (text, (gssize) length, &run_json_limits, file, NULL, error);
  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: %s, expected an object"), file,
                   sf_json_node_kind (root));
      return NULL;
    }
  JsonObject *o = json_node_get_object (root);
  const char *format = NULL;
  if (!sf_json_get_string (o, "format", NULL, &format, file, NULL, error))
    return NULL;
  if (g_strcmp0 (format, SF_RUN_FORMAT) != 0)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_UNSUPPORTED, _("%s: not a run of this program (format '%s')"), file,
                   format != NULL ? format : "");
      return NULL;
    }

  g_autoptr (SfRun) run = g_new0 (SfRun, 1);
  run->folder = g_strdup (folder);
  run->id = g_path_get_basename (folder);
  metrics_init (&run->final);
  metrics_init (&run->best);
  const char *status = NULL;
  gint64 created = 0;
  double threshold = 0.5;
  GError *local = NULL;
  if (!get_nullable_string (o, "name", &run->name, file, error)
      || !sf_json_get_string (o, "status", "finished", &status, file, NULL, error)
      || !get_nullable_string (o, "message", &run->message, file, error)
      || !get_nullable_string (o, "key", &run->key, file, error)
      || !get_nullable_string (o, "group", &run->group, file, error)
      || !sf_json_get_int (o, "created", 0, 0, G_MAXINT64, &created, file, NULL, error)
      || !get_nullable_double (o, "duration_seconds", &run->duration_seconds, file, NULL, error)
      || !get_nullable_string (o, "dataset_fingerprint", &run->dataset_fingerprint, file, error)
      || !get_nullable_string (o, "dataset_path", &run->dataset_path, file, error)
      || !sf_json_get_double (o, "threshold", 0.5, -1e6, 1e6, &threshold, file, NULL, error)
      || !read_metrics (o, "final", &run->final, file, error)
      || !read_metrics (o, "best", &run->best, file, error))
    return NULL;
  if (!sf_run_status_parse (status, &run->status))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: unknown status '%s'"), file, status);
      return NULL;
    }
  run->created = created;
  run->threshold = (float) threshold;
  run->final.values[SF_RUN_RESULT_SECONDS] = run->duration_seconds;
  run->best.values[SF_RUN_RESULT_SECONDS] = run->duration_seconds;
  run->settings_json = member_as_text (o, "settings", TRUE, file, error);
  if (run->settings_json == NULL)
    return NULL;
  if (!sf_train_settings_from_json (&run->settings, run->settings_json, &local))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, "%s: %s", file, local->message);
      g_error_free (local);
      return NULL;
    }
  g_autofree char *history = member_as_text (o, "history", FALSE, file, error);
  if (history == NULL)
    return NULL;
  if (!sf_history_from_json (history, &run->history, &run->n_history, &local))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, "%s: %s", file, local->message);
      g_error_free (local);
      return NULL;
    }
  if (run->name == NULL)
    run->name = g_strdup (run->id);
  if (run->key == NULL)
    run->key = sf_run_key (&run->settings, run->dataset_fingerprint);
  if (run->group == NULL)
    run->group = sf_run_group_key (&run->settings, run->dataset_fingerprint);
  return g_steal_pointer (&run);
}

SfRun *
sf_run_load (const char *folder, GError **error)
{
  g_autofree char *path = g_build_filename (folder, SF_RUN_JSON, NULL);
  g_autofree char *model = g_build_filename (folder, SF_RUN_MODEL, NULL);
  g_autofree char *text = NULL;
  gsize length = 0;
  GError *local = NULL;
  if (!g_file_get_contents (path, &text, &length, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, SF_ERROR, SF_ERROR_IO, _("%s: no %s: not a run folder, or a run that never finished saving"),
                     folder, SF_RUN_JSON);
      else
        g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s", local->message);
      g_error_free (local);
      return NULL;
    }
  SfRun *run = run_parse (folder, text, length, path, error);
  if (run == NULL)
    return NULL;
  run->has_model = g_file_test (model, G_FILE_TEST_IS_REGULAR);
  /* A run that failed before it had a model (or with one a NaN spoilt) is kept without one. */
  if (!run->has_model && run->status != SF_RUN_FAILED)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_IO, _("%s: the model file %s is missing"), folder, SF_RUN_MODEL);
      sf_run_free (run);
      return NULL;
    }
  return run;
}

void
sf_run_free (SfRun *run)
{
  if (run == NULL)
    return;
  g_free (run->id);
  g_free (run->folder);
  g_free (run->name);
  g_free (run->group);
  g_free (run->key);
  g_free (run->settings_json);
  sf_train_settings_clear (&run->settings);
  g_free (run->dataset_fingerprint);
  g_free (run->dataset_path);
  g_free (run->history);
  g_free (run->message);
  g_free (run);
}

gboolean
sf_run_set_name (SfRun *run, const char *name, GError **error)
{
  g_autofree char *old = run->name;
  run->name = g_strdup (name != NULL && *name != '\0' ? name : run->id);
  if (!run_write_json (run, error))
    {
      g_free (run->name);
      run->name = g_steal_pointer (&old);
      return FALSE;
    }
  return TRUE;
}

gboolean
sf_run_delete (SfRun *run, GError **error)
{
  const char *files[] = { SF_RUN_JSON, SF_RUN_MODEL };
  /* run.json first: a folder left half-deleted lists as a bad run, never as a good one. */
  for (guint k = 0; k < G_N_ELEMENTS (files); k++)
    {
      g_autofree char *path = g_build_filename (run->folder, files[k], NULL);
      sf_atomic_file_remove_stale (path);
      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          int saved = errno;
          g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s: %s", path, g_strerror (saved));
          return FALSE;
        }
    }
  if (g_rmdir (run->folder) != 0)
    {
      int saved = errno;
      g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s: %s", run->folder, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

char *
sf_run_get_model_path (const SfRun *run)
{
  return g_build_filename (run->folder, SF_RUN_MODEL, NULL);
}

static char *
node_to_text (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("");
  if (!JSON_NODE_HOLDS_VALUE (node))
    return sf_json_to_string (node);
  GType type = json_node_get_value_type (node);
  if (type == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  if (type == G_TYPE_BOOLEAN)
    return g_strdup (json_node_get_boolean (node) ? "true" : "false");
  if (type == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  /* Settings are stored as float: 6 significant digits say what was set. */
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];
  return g_strdup (g_ascii_formatd (buffer, sizeof buffer, "%.6g", json_node_get_double (node)));
}

char *
sf_run_get_setting (const SfRun *run, const char *name)
{
  g_autoptr (JsonNode) root = json_from_string (run->settings_json, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  JsonObject *o = json_node_get_object (root);
  if (!json_object_has_member (o, name))
    return NULL;
  return node_to_text (json_object_get_member (o, name));
}

/* ---- the store ---- */

struct _SfRunStore {
  char *root;
};

char *
sf_run_store_default_root (void)
{
  return g_build_filename (g_get_user_data_dir (), "siamese-faces", "runs", NULL);
}

SfRunStore *
sf_run_store_new (const char *root)
{
  SfRunStore *store = g_new0 (SfRunStore, 1);
  store->root = root != NULL ? g_strdup (root) : sf_run_store_default_root ();
  return store;
}

void
sf_run_store_free (SfRunStore *store)
{
  if (store == NULL)
    return;
  g_free (store->root);
  g_free (store);
}

const char *
sf_run_store_get_root (SfRunStore *store)
{
  return store->root;
}

static int
compare_runs (gconstpointer a, gconstpointer b)
{
  const SfRun *x = *(SfRun *const *) a, *y = *(SfRun *const *) b;
  if (x->created != y->created)
    return x->created < y->created ? -1 : 1;
  /* Folders of one second are numbered -2, -3, ..., -10: in that order. */
  return sf_natural_compare (x->id, y->id);
}

GPtrArray *
sf_run_store_list (SfRunStore *store, GPtrArray **problems, GError **error)
{
  GPtrArray *runs = g_ptr_array_new_with_free_func ((GDestroyNotify) sf_run_free);
  if (problems != NULL)
    *problems = g_ptr_array_new_with_free_func (g_free);
  GError *local = NULL;
  g_autoptr (GDir) dir = g_dir_open (store->root, 0, &local);
  if (dir == NULL)
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_error_free (local);
          return runs;
        }
      g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s", local->message);
      g_error_free (local);
      g_ptr_array_unref (runs);
      if (problems != NULL)
        g_clear_pointer (problems, g_ptr_array_unref);
      return NULL;
    }
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *folder = g_build_filename (store->root, name, NULL);
      if (name[0] == '.' || !g_file_test (folder, G_FILE_TEST_IS_DIR))
        continue;
      SfRun *run = sf_run_load (folder, &local);
      if (run != NULL)
        g_ptr_array_add (runs, run);
      else
        {
          if (problems != NULL)
            g_ptr_array_add (*problems, g_strdup (local->message));
          g_clear_error (&local);
        }
    }
  g_ptr_array_sort (runs, compare_runs);
  return runs;
}

/* A new folder named after the time, with a counter when two runs end in one second. */
static char *
make_run_folder (SfRunStore *store, gint64 created, GError **error)
{
  if (g_mkdir_with_parents (store->root, 0755) != 0)
    {
      int saved = errno;
      g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s: %s", store->root, g_strerror (saved));
      return NULL;
    }
  g_autoptr (GDateTime) time = g_date_time_new_from_unix_local (created);
  g_autofree char *stamp = g_date_time_format (time, "%Y%m%d-%H%M%S");
  for (int k = 1; k < 10000; k++)
    {
      g_autofree char *name = k == 1 ? g_strdup (stamp) : g_strdup_printf ("%s-%d", stamp, k);
      char *folder = g_build_filename (store->root, name, NULL);
      if (g_mkdir (folder, 0755) == 0)
        return folder;
      int saved = errno;
      g_free (folder);
      if (saved != EEXIST)
        {
          g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s: %s", store->root, g_strerror (saved));
          return NULL;
        }
    }
  g_set_error (error, SF_ERROR, SF_ERROR_IO, _("%s: too many runs in one second"), store->root);
  return NULL;
}

static void
metrics_from_evaluation (SfRunMetrics *m, const SfEvaluation *evaluation)
{
  if (evaluation == NULL || evaluation->n_pairs <= 0)
    return;
  m->values[SF_RUN_RESULT_ACCURACY] = evaluation->metrics.accuracy;
  m->values[SF_RUN_RESULT_EER] = evaluation->metrics.eer;
  m->values[SF_RUN_RESULT_AUC] = evaluation->metrics.auc;
  m->values[SF_RUN_RESULT_TAR_FAR_1] = evaluation->metrics.tar_at_far_1;
  m->values[SF_RUN_RESULT_RANK1] = evaluation->rank1;
}

/* A run with what every run has, not yet in a folder. */
static SfRun *
run_new (const SfTrainSettings *settings, const char *dataset_fingerprint, const char *dataset_path,
         SfRunStatus status, const char *message, double duration_seconds)
{
  SfRun *run = g_new0 (SfRun, 1);
  run->created = g_get_real_time () / G_USEC_PER_SEC;
  run->status = status;
  run->message = g_strdup (message);
  run->duration_seconds = duration_seconds;
  run->dataset_fingerprint = g_strdup (dataset_fingerprint);
  run->dataset_path = g_strdup (dataset_path);
  sf_train_settings_copy (&run->settings, settings);
  run->settings_json = sf_train_settings_to_json (settings);
  run->key = sf_run_key (settings, run->dataset_fingerprint);
  run->group = sf_run_group_key (settings, run->dataset_fingerprint);
  metrics_init (&run->final);
  metrics_init (&run->best);
  run->final.values[SF_RUN_RESULT_SECONDS] = duration_seconds;
  run->best.values[SF_RUN_RESULT_SECONDS] = duration_seconds;
  run->threshold = 0.5f;
  return run;
}

/* Gives the run its folder and name. */
static gboolean
run_place (SfRunStore *store, SfRun *run, GError **error)
{
  run->folder = make_run_folder (store, run->created, error);
  if (run->folder == NULL)
    return FALSE;
  run->id = g_path_get_basename (run->folder);
  run->name = g_strdup (run->id);
  return TRUE;
}

SfRun *
sf_run_store_record_failure (SfRunStore *store, const SfTrainSettings *settings, const char *dataset_fingerprint,
                             const char *dataset_path, const char *message, double duration_seconds, GError **error)
{
  g_return_val_if_fail (store != NULL && settings != NULL && message != NULL, NULL);

  g_autoptr (SfRun) run = run_new (settings, dataset_fingerprint, dataset_path, SF_RUN_FAILED, message,
                                   duration_seconds);
  run->history = g_new0 (SfEpochRecord, 1);
  if (!run_place (store, run, error))
    return NULL;
  if (!run_write_json (run, error))
    {
      g_rmdir (run->folder);
      return NULL;
    }
  return g_steal_pointer (&run);
}

SfRun *
sf_run_store_record (SfRunStore *store, SfTrainer *trainer, const SfDataset *dataset, SfRunStatus status,
                     const char *message, double duration_seconds, const SfEvaluation *evaluation,
                     gboolean rank1, GError **error)
{
  const SfTrainSettings *settings = sf_trainer_get_settings (trainer);
  SfModel *model = sf_trainer_get_model (trainer);
  int n_history = 0;
  const SfEpochRecord *history = sf_trainer_get_history (trainer, &n_history);

  g_autofree char *fingerprint = sf_dataset_fingerprint (dataset);
  g_autoptr (SfRun) run = run_new (settings, fingerprint, dataset->source, status, message, duration_seconds);
  run->history = g_memdup2 (history, sizeof *history * MAX (n_history, 1));
  run->n_history = n_history;

  /* Judged on its own validation pairs; a model a NaN spoilt has no results, but is still a run. */
  g_autoptr (SfEvaluation) own = NULL;
  if (evaluation == NULL && status != SF_RUN_FAILED)
    evaluation = own = sf_evaluation_new_for_trainer (trainer, NULL);
  run->threshold = evaluation != NULL ? sf_evaluation_choose_threshold (evaluation, SF_THRESHOLD_EER) : 0.5f;
  g_autoptr (SfEvaluation) with_rank1 = NULL;
  if (rank1 && evaluation != NULL)
    with_rank1 = sf_evaluation_new (model, dataset, settings, run->dataset_fingerprint, run->threshold,
                                    SF_EVALUATION_RANK1, NULL);
  metrics_from_evaluation (&run->final, with_rank1 != NULL ? with_rank1 : evaluation);
  run->final.epoch = sf_trainer_get_model_epoch (trainer);
  run->final.validation_loss = run->final.epoch > 0 ? history[run->final.epoch - 1].validation_loss : NAN;
  run->final.values[SF_RUN_RESULT_SECONDS] = duration_seconds;

  /* The best epoch by validation loss, from the history. */
  for (int e = 0; e < n_history; e++)
    if (isfinite (history[e].validation_loss)
        && (run->best.epoch == 0 || history[e].validation_loss < run->best.validation_loss))
      {
        run->best.epoch = history[e].epoch;
        run->best.validation_loss = history[e].validation_loss;
        run->best.values[SF_RUN_RESULT_ACCURACY] = history[e].validation_accuracy;
      }
  run->best.values[SF_RUN_RESULT_SECONDS] = duration_seconds;
  if (run->best.epoch == run->final.epoch && run->best.epoch > 0)
    run->best = run->final;

  if (!run_place (store, run, error))
    return NULL;
  g_autofree char *model_path = g_build_filename (run->folder, SF_RUN_MODEL, NULL);
  GError *local = NULL;
  run->has_model = sf_checkpoint_save_epoch (model_path, model, settings, history, n_history, run->threshold,
                                             run->dataset_fingerprint, run->dataset_path,
                                             sf_trainer_get_model_epoch (trainer), settings->keep_best, &local);
  /* A failed run is kept without its model when that cannot be saved (NaN weights). */
  if (!run->has_model && status == SF_RUN_FAILED)
    g_clear_error (&local);
  gboolean ok = local == NULL;
  if (!ok)
    g_propagate_error (error, local);
  if (!ok || !run_write_json (run, error))
    {
      g_autofree char *json_path = g_build_filename (run->folder, SF_RUN_JSON, NULL);
      g_unlink (json_path);
      g_unlink (model_path);
      g_rmdir (run->folder);
      return NULL;
    }
  return g_steal_pointer (&run);
}

/* ---- comparing ---- */

char **
sf_runs_differing_settings (SfRun *const *runs, guint n_runs)
{
  GPtrArray *names = g_ptr_array_new ();
  /* Every run's members, in the order they first appear: some are written
   * only when set (a fine-tuning run's init and freeze). */
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint r = 0; r < n_runs; r++)
    {
      g_autoptr (JsonNode) root = json_from_string (runs[r]->settings_json, NULL);
      g_autoptr (GList) members = root != NULL && JSON_NODE_HOLDS_OBJECT (root)
                                    ? json_object_get_members (json_node_get_object (root))
                                    : NULL;
      for (GList *m = members; m != NULL; m = m->next)
        {
          if (!g_hash_table_add (seen, g_strdup (m->data)))
            continue;
          g_autofree char *value = sf_run_get_setting (runs[0], m->data);
          gboolean differs = FALSE;
          for (guint k = 1; k < n_runs && !differs; k++)
            {
              g_autofree char *other = sf_run_get_setting (runs[k], m->data);
              differs = g_strcmp0 (value, other) != 0;
            }
          if (differs)
            g_ptr_array_add (names, g_strdup (m->data));
        }
    }
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

static void
append_csv_field (GString *csv, const char *text)
{
  if (text == NULL)
    text = "";
  if (strpbrk (text, ",\"\n\r") == NULL)
    {
      g_string_append (csv, text);
      return;
    }
  g_string_append_c (csv, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (csv, '"');
      g_string_append_c (csv, *p);
    }
  g_string_append_c (csv, '"');
}

static void
append_csv_number (GString *csv, double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];
  if (isfinite (value))
    g_string_append (csv, g_ascii_formatd (buffer, sizeof buffer, "%.6g", value));
}

char *
sf_runs_to_csv (SfRun *const *runs, guint n_runs)
{
  g_auto (GStrv) differing = sf_runs_differing_settings (runs, n_runs);
  GString *csv = g_string_new ("id,name,group,status,dataset");
  for (char **d = differing; *d != NULL; d++)
    {
      g_string_append_c (csv, ',');
      append_csv_field (csv, *d);
    }
  g_string_append (csv, ",epochs,best_epoch,threshold");
  for (int r = 0; r < SF_RUN_N_RESULTS; r++)
    g_string_append_printf (csv, ",%s", result_names[r]);
  g_string_append_c (csv, '\n');
  for (guint k = 0; k < n_runs; k++)
    {
      const SfRun *run = runs[k];
      append_csv_field (csv, run->id);
      g_string_append_c (csv, ',');
      append_csv_field (csv, run->name);
      g_string_append_c (csv, ',');
      append_csv_field (csv, run->group);
      g_string_append_c (csv, ',');
      append_csv_field (csv, sf_run_status_name (run->status));
      g_string_append_c (csv, ',');
      append_csv_field (csv, run->dataset_path != NULL ? run->dataset_path : "demo");
      for (char **d = differing; *d != NULL; d++)
        {
          g_autofree char *value = sf_run_get_setting (run, *d);
          g_string_append_c (csv, ',');
          append_csv_field (csv, value);
        }
      g_string_append_printf (csv, ",%d,%d,", run->n_history, run->best.epoch);
      append_csv_number (csv, run->threshold);
      for (int r = 0; r < SF_RUN_N_RESULTS; r++)
        {
          g_string_append_c (csv, ',');
          append_csv_number (csv, run->final.values[r]);
        }
      g_string_append_c (csv, '\n');
    }
  return g_string_free (csv, FALSE);
}

void
sf_run_group_summary_free (SfRunGroupSummary *summary)
{
  if (summary == NULL)
    return;
  g_free (summary->group);
  g_free (summary);
}

static int
compare_summaries (gconstpointer a, gconstpointer b, gpointer data)
{
  SfRunResult summary_sort_by = GPOINTER_TO_INT (data);
  const SfRunGroupSummary *x = *(SfRunGroupSummary *const *) a, *y = *(SfRunGroupSummary *const *) b;
  double u = x->mean[summary_sort_by], v = y->mean[summary_sort_by];
  if (isnan (u) || isnan (v))
    return isnan (u) - isnan (v);
  if (u == v)
    return strcmp (x->group, y->group);
  gboolean before = sf_run_result_higher_is_better (summary_sort_by) ? u > v : u < v;
  return before ? -1 : 1;
}

GPtrArray *
sf_runs_summarize (SfRun *const *runs, guint n_runs, SfRunResult sort_by)
{
  GPtrArray *summaries = g_ptr_array_new_with_free_func ((GDestroyNotify) sf_run_group_summary_free);
  g_autoptr (GHashTable) by_group = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint k = 0; k < n_runs; k++)
    {
      if (runs[k]->status == SF_RUN_FAILED)
        continue;
      SfRunGroupSummary *s = g_hash_table_lookup (by_group, runs[k]->group);
      if (s == NULL)
        {
          s = g_new0 (SfRunGroupSummary, 1);
          s->group = g_strdup (runs[k]->group);
          s->example = runs[k];
          g_hash_table_insert (by_group, s->group, s);
          g_ptr_array_add (summaries, s);
        }
      s->n_runs++;
    }
  for (guint g = 0; g < summaries->len; g++)
    {
      SfRunGroupSummary *s = summaries->pdata[g];
      for (int r = 0; r < SF_RUN_N_RESULTS; r++)
        {
          double sum = 0, sum2 = 0;
          int n = 0;
          for (guint k = 0; k < n_runs; k++)
            {
              double value = runs[k]->final.values[r];
              if (runs[k]->status != SF_RUN_FAILED && strcmp (runs[k]->group, s->group) == 0 && isfinite (value))
                {
                  sum += value;
                  n++;
                }
            }
          s->mean[r] = n > 0 ? sum / n : NAN;
          for (guint k = 0; k < n_runs; k++)
            {
              double value = runs[k]->final.values[r];
              if (runs[k]->status != SF_RUN_FAILED && strcmp (runs[k]->group, s->group) == 0 && isfinite (value))
                sum2 += (value - s->mean[r]) * (value - s->mean[r]);
            }
          s->sd[r] = n > 1 ? sqrt (sum2 / (n - 1)) : n == 1 ? 0 : NAN;
        }
    }
  g_ptr_array_sort_with_data (summaries, compare_summaries, GINT_TO_POINTER (sort_by));
  return summaries;
}

static char **
summary_settings (GPtrArray *summaries)
{
  g_autofree SfRun **examples = g_new0 (SfRun *, MAX (summaries->len, 1));
  for (guint g = 0; g < summaries->len; g++)
    examples[g] = ((SfRunGroupSummary *) summaries->pdata[g])->example;
  char **names = sf_runs_differing_settings (examples, summaries->len);
  /* Within a group only the seed differs; between groups it says nothing. */
  GPtrArray *kept = g_ptr_array_new ();
  for (char **n = names; *n != NULL; n++)
    if (strcmp (*n, "seed") != 0)
      g_ptr_array_add (kept, g_strdup (*n));
  g_ptr_array_add (kept, NULL);
  g_strfreev (names);
  return (char **) g_ptr_array_free (kept, FALSE);
}

char *
sf_runs_summary_to_csv (GPtrArray *summaries)
{
  g_auto (GStrv) differing = summary_settings (summaries);
  GString *csv = g_string_new ("group,runs");
  for (char **d = differing; *d != NULL; d++)
    {
      g_string_append_c (csv, ',');
      append_csv_field (csv, *d);
    }
  for (int r = 0; r < SF_RUN_N_RESULTS; r++)
    g_string_append_printf (csv, ",%s_mean,%s_sd", result_names[r], result_names[r]);
  g_string_append_c (csv, '\n');
  for (guint g = 0; g < summaries->len; g++)
    {
      const SfRunGroupSummary *s = summaries->pdata[g];
      g_string_append_printf (csv, "%s,%d", s->group, s->n_runs);
      for (char **d = differing; *d != NULL; d++)
        {
          g_autofree char *value = sf_run_get_setting (s->example, *d);
          g_string_append_c (csv, ',');
          append_csv_field (csv, value);
        }
      for (int r = 0; r < SF_RUN_N_RESULTS; r++)
        {
          g_string_append_c (csv, ',');
          append_csv_number (csv, s->mean[r]);
          g_string_append_c (csv, ',');
          append_csv_number (csv, s->sd[r]);
        }
      g_string_append_c (csv, '\n');
    }
  return g_string_free (csv, FALSE);
}

char *
sf_runs_summary_to_json (GPtrArray *summaries)
{
  g_auto (GStrv) differing = summary_settings (summaries);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  for (guint g = 0; g < summaries->len; g++)
    {
      const SfRunGroupSummary *s = summaries->pdata[g];
      json_builder_begin_object (b);
      add_string (b, "group", s->group);
      json_builder_set_member_name (b, "runs");
      json_builder_add_int_value (b, s->n_runs);
      json_builder_set_member_name (b, "settings");
      json_builder_begin_object (b);
      for (char **d = differing; *d != NULL; d++)
        {
          g_autofree char *value = sf_run_get_setting (s->example, *d);
          add_string (b, *d, value);
        }
      json_builder_end_object (b);
      for (int r = 0; r < SF_RUN_N_RESULTS; r++)
        {
          json_builder_set_member_name (b, result_names[r]);
          json_builder_begin_object (b);
          add_number (b, "mean", s->mean[r]);
          add_number (b, "sd", s->sd[r]);
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return sf_json_to_string (root);
}
