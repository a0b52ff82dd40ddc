/* Saving and loading a trained model as safetensors with its story in
 * __metadata__; see checkpoint.h. */
#include "checkpoint.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "atomic-file.h"
#include "error.h"
#include "file-name.h"
#include "json-limits.h"
#include "safetensors.h"
#include "untrusted.h"

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

/* The trainer accepts at most this many epochs (sf_train_settings_validate). */
#define MAX_EPOCHS 100000
/* A spec longer than any network this tool builds; refused before parsing,
 * so no message quotes an endless token. */
#define MAX_SPEC_CHARS 16384

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
  /* json-glib's own writer gives 1e+308.0 for 1e308, which no parser reads. */
  return sf_json_to_string (root);
}

/* The history in json, an array of one flat object per epoch: nothing
 * deeper, no more epochs than training makes. file and part name it in
 * messages. */
static gboolean
history_parse (const char *json, const char *file, const char *part, SfEpochRecord **history, int *n_history,
               GError **error)
{
  const SfJsonLimits limits = {
    .max_bytes = SF_SAFETENSORS_MAX_HEADER,
    .max_depth = 2,
    .max_values = (gsize) MAX_EPOCHS * (1 + 2 * G_N_ELEMENTS (history_fields)) + 1,
  };
  g_autoptr (JsonNode) root = sf_json_parse (json, -1, &limits, file, part, error);
  if (root == NULL)
    return FALSE;
  g_autofree char *subject = file != NULL ? g_strdup_printf ("%s: %s", file, part) : g_strdup (part);
  if (!JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: %s, expected an array"), subject,
                   sf_json_node_kind (root));
      return FALSE;
    }
  JsonArray *array = json_node_get_array (root);
  guint n = json_array_get_length (array);
  if (n > MAX_EPOCHS)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("%s: %u epochs, more than the %d training makes"), subject,
                   n, MAX_EPOCHS);
      return FALSE;
    }
  g_autofree SfEpochRecord *records = g_new0 (SfEpochRecord, MAX (n, 1));
  for (guint e = 0; e < n; e++)
    {
      JsonNode *node = json_array_get_element (array, e);
      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: epoch %u is %s, expected an object"), subject, e + 1,
                       sf_json_node_kind (node));
          return FALSE;
        }
      JsonObject *o = json_node_get_object (node);
      g_autofree char *where = g_strdup_printf (_("%s, epoch %u"), part, e + 1);
      gint64 epoch = 0;
      if (!sf_json_get_int (o, "epoch", e + 1, 1, MAX_EPOCHS, &epoch, file, where, error))
        return FALSE;
      records[e].epoch = (int) epoch;
      for (guint k = 1; k < G_N_ELEMENTS (history_fields); k++)
        {
          /* null stands for a value that was not finite (or not measured). */
          JsonNode *value = json_object_get_member (o, history_fields[k]);
          double *field = record_field (&records[e], k);
          *field = NAN;
          if (value != NULL && !JSON_NODE_HOLDS_NULL (value)
              && !sf_json_get_double (o, history_fields[k], NAN, -G_MAXDOUBLE, G_MAXDOUBLE, field, file, where,
                                      error))
            return FALSE;
        }
    }
  *history = g_steal_pointer (&records);
  *n_history = (int) n;
  return TRUE;
}

gboolean
sf_history_from_json (const char *json, SfEpochRecord **history, int *n_history, GError **error)
{
  g_return_val_if_fail (json != NULL && history != NULL && n_history != NULL, FALSE);

  return history_parse (json, NULL, _("history"), history, n_history, error);
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

static SfCheckpoint *checkpoint_from_file (const SfSafetensors *file, GError **error);

gboolean
sf_checkpoint_save (const char *path, SfModel *model, const SfTrainSettings *settings,
                    const SfEpochRecord *history, int n_history, float threshold,
                    const char *dataset_fingerprint, const char *dataset_source, GError **error)
{
  return sf_checkpoint_save_epoch (path, model, settings, history, n_history, threshold, dataset_fingerprint,
                                   dataset_source, 0, SF_KEEP_LAST, error);
}

gboolean
sf_checkpoint_write (const char *path, const SfCheckpoint *checkpoint, float threshold, GError **error)
{
  g_return_val_if_fail (checkpoint != NULL, FALSE);

  return sf_checkpoint_save_epoch (path, checkpoint->model, &checkpoint->settings, checkpoint->history,
                                   checkpoint->n_history, threshold, checkpoint->dataset_fingerprint,
                                   checkpoint->dataset_source, checkpoint->epoch, checkpoint->kept, error);
}

gboolean
sf_checkpoint_save_epoch (const char *path, SfModel *model, const SfTrainSettings *settings,
                          const SfEpochRecord *history, int n_history, float threshold,
                          const char *dataset_fingerprint, const char *dataset_source, int epoch, SfKeepBest kept,
                          GError **error)
{
  g_return_val_if_fail (path != NULL && model != NULL, FALSE);

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
  /* JSON holds UTF-8 only: the source's display form, and its bytes when
   * that form is not the name itself (file-name.h). */
  g_autofree char *source_shown = dataset_source != NULL ? g_filename_display_name (dataset_source) : g_strdup ("");
  g_autofree char *source_bytes = dataset_source != NULL ? sf_file_name_encode_if_needed (dataset_source) : NULL;
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
    "dataset_source", source_shown,
    /* Last: absent, it ends the list. */
    source_bytes != NULL ? "dataset_source_bytes" : NULL, source_bytes,
    NULL,
  };
  /* Which epoch the weights are of, when known: the keys follow the list above. */
  g_autofree char *epoch_text = g_strdup_printf ("%d", epoch);
  g_autoptr (GPtrArray) keys = g_ptr_array_new ();
  for (guint k = 0; metadata[k] != NULL; k += 2)
    {
      g_ptr_array_add (keys, (gpointer) metadata[k]);
      g_ptr_array_add (keys, (gpointer) metadata[k + 1]);
    }
  if (epoch > 0)
    {
      const char *epoch_keys[] = { "epoch", epoch_text, "kept", sf_keep_best_name (kept) };
      for (guint k = 0; k < G_N_ELEMENTS (epoch_keys); k++)
        g_ptr_array_add (keys, (gpointer) epoch_keys[k]);
    }
  g_ptr_array_add (keys, NULL);
  g_autoptr (GBytes) bytes = sf_safetensors_serialize (path, views, n_tensors, (const char **) keys->pdata, error);
  if (bytes == NULL)
    return FALSE;

  /* A model that could not be read back is never written: the loader's own
   * checks run on the bytes, and the dataset's source must come back. */
  GError *local = NULL;
  g_autoptr (SfSafetensors) file = sf_safetensors_parse (bytes, path, &local);
  g_autoptr (SfCheckpoint) back = file != NULL ? checkpoint_from_file (file, &local) : NULL;
  if (back != NULL && g_strcmp0 (back->dataset_source, dataset_source != NULL && *dataset_source ? dataset_source
                                                                                                  : NULL) != 0)
    {
      g_set_error (&local, SF_ERROR, SF_ERROR_FORMAT, _("%s: the dataset's source would change"), path);
      g_clear_pointer (&back, sf_checkpoint_free);
    }
  if (back == NULL)
    {
      /* Translators: the second %s is the reason the reader gives, which starts with the file name. */
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("%s: not saved: it could not be read back (%s)"), path,
                   local->message);
      g_error_free (local);
      return FALSE;
    }
  gsize size = 0;
  const void *data = g_bytes_get_data (bytes, &size);
  return sf_atomic_file_save (path, data, size, error);
}

/* Text from the file for a message: escaped, and cut short. */
static char *
quoted (const char *text)
{
  return sf_untrusted_text (text, -1, 80);
}

/* A number in the metadata, within [lo, hi]; a whole number when integer. */
static gboolean
parse_number (const SfSafetensors *file, const char *key, double lo, double hi, gboolean integer, double *value,
              GError **error)
{
  const char *text = sf_safetensors_get_metadata (file, key);
  char *end = NULL;
  double parsed = text != NULL ? g_ascii_strtod (text, &end) : NAN;
  if (text == NULL || end == text || *end != '\0' || !(parsed >= lo && parsed <= hi)
      || (integer && parsed != floor (parsed)))
    {
      g_autofree char *shown = quoted (text);
      if (text == NULL && integer)
        g_set_error (error, SF_ERROR, SF_ERROR_FORMAT,
                     /* Translators: metadata 'input_size' is missing (expected a whole number from 1 to 1024). */
                     _("%s: metadata '%s' is missing (expected a whole number from %g to %g)"),
                     sf_safetensors_path (file), key, lo, hi);
      else if (text == NULL)
        g_set_error (error, SF_ERROR, SF_ERROR_FORMAT,
                     /* Translators: metadata 'margin' is missing (expected a number from 0 to 1e+06). */
                     _("%s: metadata '%s' is missing (expected a number from %g to %g)"),
                     sf_safetensors_path (file), key, lo, hi);
      else if (integer)
        g_set_error (error, SF_ERROR, SF_ERROR_FORMAT,
                     _("%s: metadata '%s' is '%s' (expected a whole number from %g to %g)"),
                     sf_safetensors_path (file), key, shown, lo, hi);
      else
        g_set_error (error, SF_ERROR, SF_ERROR_FORMAT,
                     _("%s: metadata '%s' is '%s' (expected a number from %g to %g)"),
                     sf_safetensors_path (file), key, shown, lo, hi);
      return FALSE;
    }
  *value = parsed;
  return TRUE;
}

/* TRUE when text is empty or 64 lowercase hexadecimal digits (SHA-256). */
static gboolean
is_fingerprint (const char *text)
{
  if (*text == '\0')
    return TRUE;
  gsize n = 0;
  for (; text[n] != '\0'; n++)
    if (!g_ascii_isdigit (text[n]) && !(text[n] >= 'a' && text[n] <= 'f'))
      return FALSE;
  return n == 64;
}

/* Metadata 'epoch' and 'kept' (absent in older files: epoch 0, unknown):
 * a whole number within the history, when there is one, and a rule's name. */
static gboolean
read_epoch (const SfSafetensors *file, SfCheckpoint *checkpoint, GError **error)
{
  const char *kept = sf_safetensors_get_metadata (file, "kept");
  double epoch = 0;
  checkpoint->epoch = 0;
  checkpoint->kept = SF_KEEP_LAST;
  if (sf_safetensors_get_metadata (file, "epoch") == NULL)
    return TRUE;
  if (!parse_number (file, "epoch", 1, checkpoint->n_history > 0 ? checkpoint->n_history : MAX_EPOCHS, TRUE, &epoch,
                     error))
    return FALSE;
  if (kept != NULL && !sf_keep_best_parse (kept, &checkpoint->kept))
    {
      g_autofree char *shown = quoted (kept);
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: metadata 'kept' is '%s' (expected last, loss or eer)"),
                   sf_safetensors_path (file), shown);
      return FALSE;
    }
  checkpoint->epoch = (int) epoch;
  return TRUE;
}

/* Every metadata field and tensor of a file checked, type and range. */
static SfCheckpoint *
checkpoint_from_file (const SfSafetensors *file, GError **error)
{
  const char *path = sf_safetensors_path (file);
  const char *format = sf_safetensors_get_metadata (file, "format");
  if (format == NULL || strcmp (format, SF_CHECKPOINT_FORMAT) != 0)
    {
      g_autofree char *shown = quoted (format);
      if (format == NULL)
        g_set_error (error, SF_ERROR, SF_ERROR_UNSUPPORTED,
                     _("%s: not a Siamese Faces model (metadata format is missing, expected '%s')"), path,
                     SF_CHECKPOINT_FORMAT);
      else
        g_set_error (error, SF_ERROR, SF_ERROR_UNSUPPORTED,
                     _("%s: not a Siamese Faces model (metadata format is '%s', expected '%s')"), path, shown,
                     SF_CHECKPOINT_FORMAT);
      return NULL;
    }
  const char *spec = sf_safetensors_get_metadata (file, "spec");
  const char *head_name = sf_safetensors_get_metadata (file, "head");
  SfHeadKind head;
  if (spec == NULL || head_name == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: metadata lacks a tower spec or a known head"), path);
      return NULL;
    }
  /* The spec parser quotes tokens in its messages: only printable text of a sane length reaches it. */
  g_autofree char *spec_escaped = sf_untrusted_text (spec, -1, MAX_SPEC_CHARS);
  if (strcmp (spec_escaped, spec) != 0)
    {
      g_autofree char *spec_shown = quoted (spec);
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT,
                   _("%s: metadata 'spec' is '%s', not a tower spec (printable text of at most %d characters)"),
                   path, spec_shown, MAX_SPEC_CHARS);
      return NULL;
    }
  if (!sf_head_kind_parse (head_name, &head))
    {
      g_autofree char *shown = quoted (head_name);
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: metadata 'head' is '%s' (expected bce or contrastive)"),
                   path, shown);
      return NULL;
    }
  double margin, input_size, threshold, steps;
  if (!parse_number (file, "margin", 0, 1e6, FALSE, &margin, error)
      || !parse_number (file, "input_size", 1, SF_SPEC_MAX_INPUT, TRUE, &input_size, error)
      || !parse_number (file, "threshold", 0, 1, FALSE, &threshold, error)
      || !parse_number (file, "train_steps", 0, 1e15, TRUE, &steps, error))
    return NULL;

  /* The spec at this input size is checked against the spec limits
   * (spec.h) before anything is allocated: an input size raised by hand
   * is refused when a layer's activations would outgrow them. */
  GError *local = NULL;
  g_autoptr (SfModel) model = sf_model_new (spec, head, head == SF_HEAD_CONTRASTIVE ? (float) margin : 1.0f,
                                            (int) input_size, 0, &local);
  if (model == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, "%s: %s", path, local->message);
      g_error_free (local);
      return NULL;
    }
  sf_model_set_train_steps (model, (gint64) steps);
  double embedding_size;
  if (sf_safetensors_get_metadata (file, "embedding_size") != NULL
      && !parse_number (file, "embedding_size", 1, G_MAXINT, TRUE, &embedding_size, error))
    return NULL;
  if (sf_safetensors_get_metadata (file, "embedding_size") != NULL
      && (int) embedding_size != sf_model_get_embedding_size (model))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: metadata 'embedding_size' is %d, but the spec '%s' gives %d"),
                   path, (int) embedding_size, spec, sf_model_get_embedding_size (model));
      return NULL;
    }

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
          return NULL;
        }
      memcpy (params + info->offset, view.data, info->size * sizeof (float));
    }
  int n_names = 0;
  g_autofree const char **names = sf_safetensors_names (file, &n_names);
  for (int k = 0; k < n_names; k++)
    if (sf_model_find_tensor (model, names[k]) == NULL && !g_str_has_suffix (names[k], ".num_batches_tracked"))
      {
        g_autofree char *shown = quoted (names[k]);
        g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: tensor '%s' is not part of the spec '%s'"), path, shown,
                     spec);
        return NULL;
      }
  for (gsize i = 0; i < sf_model_n_params (model); i++)
    if (!isfinite (params[i]))
      {
        g_set_error (error, SF_ERROR, SF_ERROR_NUMERIC, _("%s: the weights hold NaN or infinite values"), path);
        return NULL;
      }

  const char *fingerprint = sf_safetensors_get_metadata (file, "dataset_fingerprint");
  if (fingerprint != NULL && !is_fingerprint (fingerprint))
    {
      g_autofree char *shown = quoted (fingerprint);
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT,
                   _("%s: metadata 'dataset_fingerprint' is '%s' (expected 64 hexadecimal digits)"), path, shown);
      return NULL;
    }
  char *source = NULL;
  const char *source_shown = sf_safetensors_get_metadata (file, "dataset_source");
  const char *source_bytes = sf_safetensors_get_metadata (file, "dataset_source_bytes");
  if (source_bytes != NULL && !sf_file_name_decode (source_bytes, &source))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT,
                   _("%s: metadata 'dataset_source_bytes' is not a percent-encoded file name"), path);
      return NULL;
    }
  if (source_bytes == NULL && source_shown != NULL && *source_shown != '\0')
    source = g_strdup (source_shown);

  g_autoptr (SfCheckpoint) checkpoint = g_new0 (SfCheckpoint, 1);
  checkpoint->model = g_steal_pointer (&model);
  checkpoint->threshold = (float) threshold;
  checkpoint->dataset_fingerprint = fingerprint != NULL && *fingerprint ? g_strdup (fingerprint) : NULL;
  checkpoint->dataset_source = source;
  sf_train_settings_init_preset (&checkpoint->settings, SF_PRESET_COMPACT);

  /* The settings are one flat object (a little room is left for groups);
   * the scan refuses anything deeper or larger before a parser sees it. */
  const SfJsonLimits settings_limits = { .max_bytes = 1 << 20, .max_depth = 4, .max_values = 4096 };
  const char *settings = sf_safetensors_get_metadata (file, "settings");
  if (settings != NULL && strcmp (settings, "{}") != 0)
    {
      if (!sf_json_check (settings, strlen (settings), &settings_limits, path, _("metadata 'settings'"), error))
        return NULL;
      if (!sf_train_settings_from_json (&checkpoint->settings, settings, &local))
        {
          g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, "%s: %s", path, local->message);
          g_error_free (local);
          return NULL;
        }
    }
  const char *history = sf_safetensors_get_metadata (file, "history");
  if (history != NULL
      && !history_parse (history, path, _("metadata 'history'"), &checkpoint->history, &checkpoint->n_history,
                         error))
    return NULL;
  if (!read_epoch (file, checkpoint, error))
    return NULL;
  return g_steal_pointer (&checkpoint);
}

SfCheckpoint *
sf_checkpoint_load (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  g_autoptr (SfSafetensors) file = sf_safetensors_read (path, error);
  if (file == NULL)
    return NULL;
  return checkpoint_from_file (file, error);
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
  checkpoint->epoch = sf_trainer_get_model_epoch (trainer);
  checkpoint->kept = sf_trainer_get_settings (trainer)->keep_best;
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
