/* Saving and loading a trained model as safetensors with its story in
 * __metadata__; see checkpoint.h. */
#include "checkpoint.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "error.h"
#include "safetensors.h"

static const char *history_fields[] = {
  "epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds", "pairs_per_second", "learning_rate",
};

static double *
record_field (SfEpochRecord *r, int k)
{
  double *fields[] = { NULL, &r->loss, &r->accuracy, &r->validation_loss, &r->validation_accuracy,
                       &r->seconds, &r->pairs_per_second, &r->learning_rate };
  return fields[k];
}

char *
sf_history_to_json (const SfEpochRecord *history, int n_history)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  for (int e = 0; e < n_history; e++)
    {
      SfEpochRecord r = history[e];
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "epoch");
      json_builder_add_int_value (b, r.epoch);
      for (guint k = 1; k < G_N_ELEMENTS (history_fields); k++)
        {
          json_builder_set_member_name (b, history_fields[k]);
          double value = *record_field (&r, k);
          if (isfinite (value))
            json_builder_add_double_value (b, value);
          else
            json_builder_add_null_value (b);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

gboolean
sf_history_from_json (const char *json, SfEpochRecord **history, int *n_history, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  GError *local = NULL;
  if (!json_parser_load_from_data (parser, json, -1, &local))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("history: %s"), local->message);
      g_error_free (local);
      return FALSE;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("history: not a JSON array"));
      return FALSE;
    }
  JsonArray *array = json_node_get_array (root);
  guint n = json_array_get_length (array);
  if (n > 1000000)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("history: %u epochs"), n);
      return FALSE;
    }
  SfEpochRecord *records = g_new0 (SfEpochRecord, MAX (n, 1));
  for (guint e = 0; e < n; e++)
    {
      JsonNode *node = json_array_get_element (array, e);
      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("history: epoch %u is not an object"), e + 1);
          g_free (records);
          return FALSE;
        }
      JsonObject *o = json_node_get_object (node);
      records[e].epoch = (int) json_object_get_int_member_with_default (o, "epoch", e + 1);
      for (guint k = 1; k < G_N_ELEMENTS (history_fields); k++)
        {
          JsonNode *value = json_object_get_member (o, history_fields[k]);
          gboolean number = value != NULL && JSON_NODE_HOLDS_VALUE (value)
                            && (json_node_get_value_type (value) == G_TYPE_DOUBLE
                                || json_node_get_value_type (value) == G_TYPE_INT64);
          *record_field (&records[e], k) = number ? json_node_get_double (value) : NAN;
        }
    }
  *history = records;
  *n_history = (int) n;
  return TRUE;
}

char *
sf_history_to_csv (const SfEpochRecord *history, int n_history)
{
  GString *csv = g_string_new ("epoch,loss,accuracy,val_loss,val_accuracy,seconds,pairs_per_second,learning_rate\n");
  for (int e = 0; e < n_history; e++)
    {
      SfEpochRecord r = history[e];
      g_string_append_printf (csv, "%d", r.epoch);
      for (guint k = 1; k < G_N_ELEMENTS (history_fields); k++)
        {
          char buffer[G_ASCII_DTOSTR_BUF_SIZE];
          double value = *record_field (&r, k);
          g_string_append_c (csv, ',');
          if (isfinite (value))
            g_string_append (csv, g_ascii_formatd (buffer, sizeof buffer, "%.6g", value));
        }
      g_string_append_c (csv, '\n');
    }
  return g_string_free (csv, FALSE);
}

static char *
format_double (double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];
  return g_strdup (g_ascii_dtostr (buffer, sizeof buffer, value));
}

gboolean
sf_checkpoint_save (const char *path, SfModel *model, const SfTrainSettings *settings,
                    const SfEpochRecord *history, int n_history, float threshold,
                    const char *dataset_fingerprint, const char *dataset_source, GError **error)
{
  int n_tensors = sf_model_n_tensors (model);
  g_autofree SfTensorView *views = g_new0 (SfTensorView, n_tensors);
  const float *params = sf_model_params (model);
  for (int t = 0; t < n_tensors; t++)
    {
      const SfTensorInfo *info = sf_model_tensor (model, t);
      views[t].name = info->name;
      views[t].dtype = SF_DTYPE_F32;
      views[t].rank = info->rank;
      for (int d = 0; d < info->rank; d++)
        views[t].shape[d] = info->shape[d];
      views[t].data = params + info->offset;
      views[t].n_bytes = info->size * sizeof (float);
    }

  g_autofree char *margin = format_double (sf_model_get_margin (model));
  g_autofree char *input_size = g_strdup_printf ("%d", sf_model_get_input_size (model));
  g_autofree char *embedding_size = g_strdup_printf ("%d", sf_model_get_embedding_size (model));
  g_autofree char *steps = g_strdup_printf ("%" G_GINT64_FORMAT, sf_model_get_train_steps (model));
  g_autofree char *threshold_text = format_double (threshold);
  g_autofree char *settings_json = settings != NULL ? sf_train_settings_to_json (settings) : g_strdup ("{}");
  g_autofree char *history_json = sf_history_to_json (history, n_history);
  g_autofree char *python = sf_model_to_python (model);
  const char *metadata[] = {
    "format", SF_CHECKPOINT_FORMAT,
    "spec", sf_model_get_spec (model),
    "head", sf_head_kind_name (sf_model_get_head (model)),
    "margin", margin,
    "input_size", input_size,
    "embedding_size", embedding_size,
    "pixel_scaling", SF_CHECKPOINT_PIXEL_SCALING,
    "train_steps", steps,
    "threshold", threshold_text,
    "settings", settings_json,
    "history", history_json,
    "pytorch", python,
    "dataset_fingerprint", dataset_fingerprint != NULL ? dataset_fingerprint : "",
    "dataset_source", dataset_source != NULL ? dataset_source : "",
    NULL,
  };
  return sf_safetensors_write (path, views, n_tensors, metadata, error);
}

static gboolean
parse_number (const SfSafetensors *file, const char *key, double lo, double hi, double *value, GError **error)
{
  const char *text = sf_safetensors_get_metadata (file, key);
  char *end = NULL;
  double parsed = text != NULL ? g_ascii_strtod (text, &end) : NAN;
  if (text == NULL || end == text || *end != '\0' || !(parsed >= lo && parsed <= hi))
    {
      if (text == NULL)
        g_set_error (error, SF_ERROR, SF_ERROR_FORMAT,
                     /* Translators: metadata 'margin' is missing (expected a number from 0 to 1e+06). */
                     _("%s: metadata '%s' is missing (expected a number from %g to %g)"),
                     sf_safetensors_path (file), key, lo, hi);
      else
        g_set_error (error, SF_ERROR, SF_ERROR_FORMAT,
                     _("%s: metadata '%s' is '%s' (expected a number from %g to %g)"),
                     sf_safetensors_path (file), key, text, lo, hi);
      return FALSE;
    }
  *value = parsed;
  return TRUE;
}

SfCheckpoint *
sf_checkpoint_load (const char *path, GError **error)
{
  g_autoptr (SfSafetensors) file = sf_safetensors_read (path, error);
  if (file == NULL)
    return NULL;
  const char *format = sf_safetensors_get_metadata (file, "format");
  if (format == NULL || strcmp (format, SF_CHECKPOINT_FORMAT) != 0)
    {
      if (format == NULL)
        g_set_error (error, SF_ERROR, SF_ERROR_UNSUPPORTED,
                     _("%s: not a Siamese Faces model (metadata format is missing, expected '%s')"), path,
                     SF_CHECKPOINT_FORMAT);
      else
        g_set_error (error, SF_ERROR, SF_ERROR_UNSUPPORTED,
                     _("%s: not a Siamese Faces model (metadata format is '%s', expected '%s')"), path, format,
                     SF_CHECKPOINT_FORMAT);
      return NULL;
    }
  const char *spec = sf_safetensors_get_metadata (file, "spec");
  const char *head_name = sf_safetensors_get_metadata (file, "head");
  SfHeadKind head;
  if (spec == NULL || head_name == NULL || !sf_head_kind_parse (head_name, &head))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: metadata lacks a tower spec or a known head"), path);
      return NULL;
    }
  double margin, input_size, threshold, steps;
  if (!parse_number (file, "margin", 0, 1e6, &margin, error) || !parse_number (file, "input_size", 1, 4096, &input_size, error)
      || !parse_number (file, "threshold", 0, 1, &threshold, error)
      || !parse_number (file, "train_steps", 0, 1e15, &steps, error))
    return NULL;

  GError *local = NULL;
  SfModel *model = sf_model_new (spec, head, head == SF_HEAD_CONTRASTIVE ? (float) margin : 1.0f, (int) input_size, 0,
                                 &local);
  if (model == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, "%s: %s", path, local->message);
      g_error_free (local);
      return NULL;
    }
  sf_model_set_train_steps (model, (gint64) steps);

  /* Every tensor the spec implies, with its exact dtype and shape; nothing else but torch's counters. */
  float *params = sf_model_params (model);
  int n_tensors = sf_model_n_tensors (model);
  for (int t = 0; t < n_tensors; t++)
    {
      const SfTensorInfo *info = sf_model_tensor (model, t);
      SfTensorView view;
      gboolean shape_ok = sf_safetensors_get (file, info->name, &view) && view.rank == info->rank;
      for (int d = 0; shape_ok && d < info->rank; d++)
        shape_ok = view.shape[d] == info->shape[d];
      if (!shape_ok || view.dtype != SF_DTYPE_F32)
        {
          g_autoptr (GString) expected = g_string_new (NULL);
          for (int d = 0; d < info->rank; d++)
            g_string_append_printf (expected, "%s%d", d ? ", " : "", info->shape[d]);
          g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: tensor '%s' is missing or not F32 [%s] as the spec '%s' needs"),
                       path, info->name, expected->str, spec);
          sf_model_free (model);
          return NULL;
        }
      memcpy (params + info->offset, view.data, info->size * sizeof (float));
    }
  int n_names = 0;
  g_autofree const char **names = sf_safetensors_names (file, &n_names);
  for (int k = 0; k < n_names; k++)
    if (sf_model_find_tensor (model, names[k]) == NULL && !g_str_has_suffix (names[k], ".num_batches_tracked"))
      {
        g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: tensor '%s' is not part of the spec '%s'"), path, names[k], spec);
        sf_model_free (model);
        return NULL;
      }
  for (gsize i = 0; i < sf_model_n_params (model); i++)
    if (!isfinite (params[i]))
      {
        g_set_error (error, SF_ERROR, SF_ERROR_NUMERIC, _("%s: the weights hold NaN or infinite values"), path);
        sf_model_free (model);
        return NULL;
      }

  SfCheckpoint *checkpoint = g_new0 (SfCheckpoint, 1);
  checkpoint->model = model;
  checkpoint->threshold = (float) threshold;
  sf_train_settings_init_preset (&checkpoint->settings, SF_PRESET_COMPACT);
  const char *settings = sf_safetensors_get_metadata (file, "settings");
  if (settings != NULL && strcmp (settings, "{}") != 0
      && !sf_train_settings_from_json (&checkpoint->settings, settings, &local))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, "%s: %s", path, local->message);
      g_error_free (local);
      sf_checkpoint_free (checkpoint);
      return NULL;
    }
  const char *history = sf_safetensors_get_metadata (file, "history");
  if (history != NULL && !sf_history_from_json (history, &checkpoint->history, &checkpoint->n_history, &local))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, "%s: %s", path, local->message);
      g_error_free (local);
      sf_checkpoint_free (checkpoint);
      return NULL;
    }
  const char *fingerprint = sf_safetensors_get_metadata (file, "dataset_fingerprint");
  const char *source = sf_safetensors_get_metadata (file, "dataset_source");
  checkpoint->dataset_fingerprint = fingerprint != NULL && *fingerprint ? g_strdup (fingerprint) : NULL;
  checkpoint->dataset_source = source != NULL && *source ? g_strdup (source) : NULL;
  return checkpoint;
}

SfCheckpoint *
sf_checkpoint_new_from_trainer (SfTrainer *trainer, const SfDataset *dataset, float threshold)
{
  g_return_val_if_fail (trainer != NULL && dataset != NULL, NULL);

  SfModel *model = sf_model_copy (sf_trainer_get_model (trainer));
  if (model == NULL)
    return NULL;

  int n_history = 0;
  const SfEpochRecord *history = sf_trainer_get_history (trainer, &n_history);
  SfCheckpoint *checkpoint = g_new0 (SfCheckpoint, 1);
  checkpoint->model = model;
  sf_train_settings_copy (&checkpoint->settings, sf_trainer_get_settings (trainer));
  checkpoint->history = g_memdup2 (history, sizeof (SfEpochRecord) * n_history);
  checkpoint->n_history = n_history;
  checkpoint->threshold = threshold;
  checkpoint->dataset_fingerprint = sf_dataset_fingerprint (dataset);
  checkpoint->dataset_source = g_strdup (dataset->source);
  return checkpoint;
}

void
sf_checkpoint_free (SfCheckpoint *checkpoint)
{
  if (checkpoint == NULL)
    return;
  sf_model_free (checkpoint->model);
  sf_train_settings_clear (&checkpoint->settings);
  g_free (checkpoint->history);
  g_free (checkpoint->dataset_fingerprint);
  g_free (checkpoint->dataset_source);
  g_free (checkpoint);
}
