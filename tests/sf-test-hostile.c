/* Crafted hostile models and galleries; see sf-test-hostile.h. */
#include "sf-test-hostile.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "checkpoint.h"
#include "gallery.h"
#include "safetensors.h"

/* Every metadata key a model or a gallery file has. */
static const char *const known_keys[] = {
  "format", "spec", "head", "margin", "input_size", "embedding_size", "pixel_scaling", "train_steps", "threshold",
  "settings", "history", "pytorch", "dataset_fingerprint", "dataset_source", "dataset_source_bytes", "image_size",
  "model_fingerprint", "people", "paths", "path_bytes",
  "epoch", "kept",
};

void
sf_test_hostile_file_free (SfTestHostileFile *file)
{
  g_free (file->name);
  g_free (file->path);
  g_free (file->needle);
  g_free (file);
}

static void
add (GPtrArray *files, const char *name, const char *path, const char *needle)
{
  SfTestHostileFile *file = g_new0 (SfTestHostileFile, 1);
  file->name = g_strdup (name);
  file->path = g_strdup (path);
  file->needle = g_strdup (needle);
  g_ptr_array_add (files, file);
}

void
sf_test_rewrite_metadata (const char *from, const char *to, const char *const *changes)
{
  GError *error = NULL;
  g_autoptr (SfSafetensors) file = sf_safetensors_read (from, &error);
  g_assert_no_error (error);

  g_autoptr (GPtrArray) metadata = g_ptr_array_new ();
  for (guint k = 0; k < G_N_ELEMENTS (known_keys); k++)
    {
      const char *value = sf_safetensors_get_metadata (file, known_keys[k]);
      for (int c = 0; changes[c] != NULL; c += 2)
        if (strcmp (changes[c], known_keys[k]) == 0)
          value = changes[c + 1];
      if (value != NULL)
        {
          g_ptr_array_add (metadata, (gpointer) known_keys[k]);
          g_ptr_array_add (metadata, (gpointer) value);
        }
    }
  g_ptr_array_add (metadata, NULL);
  int n = 0;
  g_autofree const char **names = sf_safetensors_names (file, &n);
  g_autofree SfTensorView *views = g_new0 (SfTensorView, MAX (n, 1));
  for (int t = 0; t < n; t++)
    g_assert_true (sf_safetensors_get (file, names[t], &views[t]));
  g_autoptr (GBytes) bytes = sf_safetensors_serialize (to, views, n, (const char *const *) metadata->pdata, &error);
  g_assert_no_error (error);
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);
  g_assert_true (g_file_set_contents (to, data, (gssize) size, NULL));
}

static char *
repeated (const char *unit, int n)
{
  GString *text = g_string_new (NULL);
  for (int k = 0; k < n; k++)
    g_string_append (text, unit);
  return g_string_free (text, FALSE);
}

/* A model file whose metadata differs from a valid one's by changes. */
static void
add_model (GPtrArray *files, const char *dir, const char *valid, const char *name, const char *needle, ...)
{
  g_autoptr (GPtrArray) changes = g_ptr_array_new ();
  va_list args;
  va_start (args, needle);
  const char *key;
  while ((key = va_arg (args, const char *)) != NULL)
    {
      g_ptr_array_add (changes, (gpointer) key);
      g_ptr_array_add (changes, va_arg (args, char *));
    }
  va_end (args);
  g_ptr_array_add (changes, NULL);
  g_autofree char *file_name = g_strconcat (name, ".safetensors", NULL);
  g_autofree char *path = g_build_filename (dir, file_name, NULL);
  sf_test_rewrite_metadata (valid, path, (const char *const *) changes->pdata);
  add (files, name, path, needle);
}

GPtrArray *
sf_test_write_hostile_models (const char *dir, SfModel *model)
{
  GPtrArray *files = g_ptr_array_new_with_free_func ((GDestroyNotify) sf_test_hostile_file_free);
  GError *error = NULL;
  g_autofree char *valid = g_build_filename (dir, "valid-model.safetensors", NULL);
  SfEpochRecord history[] = { { 1, 0.7, 0.5, 0.69, 0.55, 1.5, 100, 1e-3 } };
  g_assert_true (sf_checkpoint_save (valid, model, NULL, history, 1, 0.5f, NULL, "/data/faces", &error));
  g_assert_no_error (error);

  /* 100,000 nested brackets overflow json-glib's recursive parser. */
  g_autofree char *deep = repeated ("[", 100000);
  g_autofree char *deep_header_path = g_build_filename (dir, "deep-header.safetensors", NULL);
  {
    g_autofree char *header = g_strconcat ("{\"a\":", deep, NULL);
    guint64 length = GUINT64_TO_LE ((guint64) strlen (header));
    g_autoptr (GByteArray) bytes = g_byte_array_new ();
    g_byte_array_append (bytes, (const guint8 *) &length, 8);
    g_byte_array_append (bytes, (const guint8 *) header, (guint) strlen (header));
    g_assert_true (g_file_set_contents (deep_header_path, (const char *) bytes->data, bytes->len, NULL));
  }
  add (files, "deep header", deep_header_path, "nested deeper");
  g_autofree char *escape_header_path = g_build_filename (dir, "tensor-escape.safetensors", NULL);
  {
    /* A tensor name that would clear the terminal, in a header refused for its dtype. */
    const char header[] = "{\"\\u001b[2Jx\":{\"dtype\":\"Q8\",\"shape\":[],\"data_offsets\":[0,0]}}";
    guint64 length = GUINT64_TO_LE ((guint64) (sizeof header - 1));
    g_autoptr (GByteArray) bytes = g_byte_array_new ();
    g_byte_array_append (bytes, (const guint8 *) &length, 8);
    g_byte_array_append (bytes, (const guint8 *) header, sizeof header - 1);
    g_assert_true (g_file_set_contents (escape_header_path, (const char *) bytes->data, bytes->len, NULL));
  }
  add (files, "tensor-escape", escape_header_path, "tensor '\\e[2Jx': unsupported dtype");
  add_model (files, dir, valid, "deep-history", "metadata 'history': arrays and objects nested deeper",
             "history", deep, NULL);
  add_model (files, dir, valid, "deep-settings", "metadata 'settings': arrays and objects nested deeper",
             "settings", deep, NULL);
  add_model (files, dir, valid, "history-string", "'loss' is a string, expected a number",
             "history", "[{\"epoch\": 1, \"loss\": \"low\"}]", NULL);
  add_model (files, dir, valid, "history-object", "metadata 'history': an object, expected an array",
             "history", "{}", NULL);
  add_model (files, dir, valid, "history-epoch", "'epoch' is 0, expected 1 to",
             "history", "[{\"epoch\": 0}]", NULL);
  add_model (files, dir, valid, "input-size-huge", "metadata 'input_size' is '2048' (expected a whole number",
             "input_size", "2048", NULL);
  add_model (files, dir, valid, "input-size-fraction", "metadata 'input_size' is '12.5'",
             "input_size", "12.5", NULL);
  add_model (files, dir, valid, "embedding-size", "metadata 'embedding_size' is 3", "embedding_size", "3", NULL);
  add_model (files, dir, valid, "threshold-nan", "metadata 'threshold' is 'nan'", "threshold", "nan", NULL);
  add_model (files, dir, valid, "steps-negative", "metadata 'train_steps' is '-1'", "train_steps", "-1", NULL);
  add_model (files, dir, valid, "fingerprint", "metadata 'dataset_fingerprint'",
             "dataset_fingerprint", "not a fingerprint", NULL);
  add_model (files, dir, valid, "source-bytes", "metadata 'dataset_source_bytes'",
             "dataset_source_bytes", "/data/%00faces", NULL);
  /* Control characters reach no message unescaped: the needles are their escapes. */
  add_model (files, dir, valid, "format-escape", "metadata format is '\\e[2Jsiamese\\n'",
             "format", "\x1b[2Jsiamese\n", NULL);
  add_model (files, dir, valid, "spec-escape", "metadata 'spec' is 'conv4k3 \\e]0;owned\\x07 gap'",
             "spec", "conv4k3 \x1b]0;owned\x07 gap", NULL);
  add_model (files, dir, valid, "head-escape", "metadata 'head' is '\\e[31mbce'", "head", "\x1b[31mbce", NULL);

  /* Raising the input size makes a layer's activations outgrow the spec
   * limits (65 channels of 1024×1024 floats): refused before allocating. */
  g_autoptr (SfModel) wide = sf_model_new ("conv65k1 gap dense4", SF_HEAD_BCE, 1.0f, 16, 1, &error);
  g_assert_no_error (error);
  g_autofree char *wide_path = g_build_filename (dir, "valid-wide.safetensors", NULL);
  g_assert_true (sf_checkpoint_save (wide_path, wide, NULL, NULL, 0, 0.5f, NULL, NULL, &error));
  g_assert_no_error (error);
  add_model (files, dir, wide_path, "activations", "more than the limit", "input_size", "1024", NULL);

  g_autofree char *fifo = g_build_filename (dir, "fifo.safetensors", NULL);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  add (files, "FIFO", fifo, "not a regular file");
  return files;
}

GPtrArray *
sf_test_write_hostile_galleries (const char *dir, SfModel *model)
{
  GPtrArray *files = g_ptr_array_new_with_free_func ((GDestroyNotify) sf_test_hostile_file_free);
  GError *error = NULL;
  int size = sf_model_get_input_size (model);
  g_autofree char *valid_model = g_build_filename (dir, "valid-for-gallery.safetensors", NULL);
  g_assert_true (sf_checkpoint_save (valid_model, model, NULL, NULL, 0, 0.5f, NULL, NULL, &error));
  g_assert_no_error (error);

  /* A valid gallery of the same model, and one of a model with narrower embeddings. */
  int D = sf_model_get_embedding_size (model);
  g_autofree char *narrow_spec = g_strdup_printf ("pool2 gap dense%d", MAX (D / 2, 1));
  g_autoptr (SfModel) narrow = sf_model_new (narrow_spec, SF_HEAD_BCE, 1.0f, size, 1, &error);
  g_assert_no_error (error);
  g_autofree float *faces = g_new (float, 2 * (gsize) size * size);
  for (gsize k = 0; k < 2 * (gsize) size * size; k++)
    faces[k] = (float) (k % 13) / 12.0f;
  g_autofree char *valid = g_build_filename (dir, "valid.gallery", NULL);
  g_autofree char *narrow_path = g_build_filename (dir, "narrow.gallery", NULL);
  SfModel *models[] = { model, narrow };
  const char *paths[] = { valid, narrow_path };
  for (int m = 0; m < 2; m++)
    {
      g_autoptr (SfGallery) gallery = sf_gallery_new (size);
      g_assert_true (sf_gallery_enroll (gallery, models[m], "Ann", faces, NULL, 2, &error));
      g_assert_true (sf_gallery_save (gallery, paths[m], &error));
      g_assert_no_error (error);
    }

  g_autofree char *deep = repeated ("[", 100000);
  g_autofree char *fingerprint = sf_model_fingerprint (model);
  struct {
    const char *name;
    const char *from;
    const char *key, *value;
    const char *needle;
  } cases[] = {
    { "deep-people", valid, "people", deep, "metadata 'people': arrays and objects nested deeper" },
    { "deep-paths", valid, "paths", deep, "metadata 'paths': arrays and objects nested deeper" },
    /* Names this model, holds another width: once a heap overflow in enrol. */
    { "narrow", narrow_path, "model_fingerprint", fingerprint, "'embeddings' is" },
    { "garbage", NULL, NULL, NULL, "header length" },
  };
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autofree char *base = g_build_filename (dir, cases[c].name, NULL);
      g_autofree char *model_path = g_strconcat (base, ".safetensors", NULL);
      g_autofree char *gallery_path = g_strconcat (base, ".gallery", NULL);
      g_autofree char *bytes = NULL;
      gsize length = 0;
      g_assert_true (g_file_get_contents (valid_model, &bytes, &length, NULL));
      g_assert_true (g_file_set_contents (model_path, bytes, (gssize) length, NULL));
      if (cases[c].from != NULL)
        {
          const char *changes[] = { cases[c].key, cases[c].value, NULL };
          sf_test_rewrite_metadata (cases[c].from, gallery_path, changes);
        }
      else
        g_assert_true (g_file_set_contents (gallery_path, "\xff\xff\xff\xff\xff\xff\xff\xff{}", 10, NULL));
      add (files, cases[c].name, model_path, cases[c].needle);
    }
  return files;
}
