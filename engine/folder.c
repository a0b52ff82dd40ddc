/* A folder of people: one subfolder per person, image files inside, in natural order. */
#include <string.h>
#include <glib/gi18n-lib.h>

#include "dataset.h"
#include "error.h"
#include "image.h"

int
sf_natural_compare (const char *a, const char *b)
{
  while (*a != '\0' && *b != '\0')
    {
      if (g_ascii_isdigit (*a) && g_ascii_isdigit (*b))
        {
          while (*a == '0' && g_ascii_isdigit (a[1]))
            a++;
          while (*b == '0' && g_ascii_isdigit (b[1]))
            b++;
          int la = 0, lb = 0;
          while (g_ascii_isdigit (a[la]))
            la++;
          while (g_ascii_isdigit (b[lb]))
            lb++;
          if (la != lb)
            return la - lb;
          int c = strncmp (a, b, la);
          if (c != 0)
            return c;
          a += la;
          b += lb;
        }
      else
        {
          int c = g_ascii_tolower (*a) - g_ascii_tolower (*b);
          if (c != 0)
            return c;
          a++;
          b++;
        }
    }
  return (unsigned char) *a - (unsigned char) *b;
}

static int
natural_compare_cb (gconstpointer a, gconstpointer b)
{
  return sf_natural_compare (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
is_image_name (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);
  return g_str_has_suffix (lower, ".pgm") || g_str_has_suffix (lower, ".ppm") || g_str_has_suffix (lower, ".pnm")
         || g_str_has_suffix (lower, ".png");
}

/* Sorted names of the entries of dir that pass keep (NULL-terminated). */
static GPtrArray *
sorted_entries (const char *dir, gboolean want_dirs, GError **error)
{
  GError *local = NULL;
  GDir *handle = g_dir_open (dir, 0, &local);
  if (handle == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s", local->message);
      g_error_free (local);
      return NULL;
    }
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (handle)) != NULL)
    {
      if (name[0] == '.')
        continue;
      g_autofree char *path = g_build_filename (dir, name, NULL);
      gboolean is_dir = g_file_test (path, G_FILE_TEST_IS_DIR);
      if (want_dirs ? is_dir : (!is_dir && is_image_name (name)))
        g_ptr_array_add (names, g_strdup (name));
    }
  g_dir_close (handle);
  g_ptr_array_sort (names, natural_compare_cb);
  return names;
}

typedef struct {
  char *path;
  int person;
} Entry;

SfDataset *
sf_folder_load (const char *path, const SfLoadOptions *options, GError **error)
{
  SfLoadOptions defaults = { 0 };
  if (options == NULL)
    options = &defaults;
  int size = options->size > 0 ? options->size : SF_DEFAULT_IMAGE_SIZE;
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_IO, _("%s: not a folder"), path);
      return NULL;
    }
  g_autoptr (GPtrArray) people = sorted_entries (path, TRUE, error);
  if (people == NULL)
    return NULL;

  /* The file list first, so the dataset is allocated once. */
  g_autoptr (GArray) entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  for (guint p = 0; p < people->len; p++)
    {
      g_autofree char *dir = g_build_filename (path, people->pdata[p], NULL);
      GError *local = NULL;
      g_autoptr (GPtrArray) files = sorted_entries (dir, FALSE, &local);
      if (files == NULL)
        {
          g_ptr_array_add (warnings, g_strdup (local->message));
          g_error_free (local);
          continue;
        }
      if (files->len == 0)
        {
          g_ptr_array_add (warnings, g_strdup_printf (_("%s: no PGM, PPM or PNG images: not a person"), dir));
          continue;
        }
      for (guint f = 0; f < files->len; f++)
        {
          Entry entry = { g_build_filename (dir, files->pdata[f], NULL), (int) names->len };
          g_array_append_val (entries, entry);
        }
      g_ptr_array_add (names, g_strdup (people->pdata[p]));
      if (entries->len > SF_MAX_IMAGES)
        break;
    }

  SfDataset *dataset = NULL;
  float *pixels = NULL;
  int *labels = NULL;
  char **paths = NULL;
  int *new_label = NULL;
  int n = 0;
  int min_width = G_MAXINT, max_width = 0, min_height = G_MAXINT, max_height = 0;
  if (entries->len > SF_MAX_IMAGES)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("%s: more than %d images"), path, SF_MAX_IMAGES);
      goto done;
    }
  if (entries->len > 0)
    {
      pixels = g_try_new (float, (gsize) entries->len * size * size);
      if (pixels == NULL)
        {
          g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("%s: out of memory for %u images"), path, entries->len);
          goto done;
        }
    }
  labels = g_new0 (int, entries->len + 1);
  paths = g_new0 (char *, entries->len + 1);
  for (guint k = 0; k < entries->len; k++)
    {
      Entry *entry = &g_array_index (entries, Entry, k);
      if (g_cancellable_set_error_if_cancelled (options->cancellable, NULL))
        {
          g_set_error (error, SF_ERROR, SF_ERROR_CANCELLED, _("%s: loading cancelled"), path);
          goto done;
        }
      GError *local = NULL;
      g_autoptr (SfImage) image = sf_image_load (entry->path, &local);
      if (image == NULL)
        {
          g_ptr_array_add (warnings, g_strdup (local->message));
          g_error_free (local);
          continue;
        }
      sf_image_resize_area (image->pixels, image->width, image->height, pixels + (gsize) n * size * size, size, size);
      min_width = MIN (min_width, image->width);
      max_width = MAX (max_width, image->width);
      min_height = MIN (min_height, image->height);
      max_height = MAX (max_height, image->height);
      labels[n] = entry->person;
      paths[n] = g_strdup (entry->path);
      n++;
      if (options->progress != NULL)
        options->progress ((double) (k + 1) / entries->len, options->progress_data);
    }
  if (n == 0)
    {
      if (warnings->len > 0)
        g_set_error (error, SF_ERROR, SF_ERROR_EMPTY, _("%s: no usable images (first problem: %s)"), path,
                     (const char *) warnings->pdata[0]);
      else
        g_set_error (error, SF_ERROR, SF_ERROR_EMPTY,
                     _("%s: no usable images: expected one subfolder per person holding PGM, PPM or PNG files"), path);
      goto done;
    }

  /* People whose every image failed are dropped, and labels renumbered. */
  new_label = g_new (int, MAX (names->len, 1));
  int n_people = 0;
  for (guint p = 0; p < names->len; p++)
    {
      gboolean used = FALSE;
      for (int i = 0; i < n && !used; i++)
        used = labels[i] == (int) p;
      new_label[p] = used ? n_people++ : -1;
      if (!used)
        g_ptr_array_add (warnings, g_strdup_printf (_("%s/%s: no readable image: not a person"), path,
                                                    (const char *) names->pdata[p]));
    }
  dataset = sf_dataset_new (SF_DATASET_FORMAT_FOLDER, n, size, size, n_people, error);
  if (dataset == NULL)
    goto done;
  memcpy (dataset->pixels, pixels, sizeof (float) * n * size * size);
  dataset->original_min_width = min_width;
  dataset->original_max_width = max_width;
  dataset->original_min_height = min_height;
  dataset->original_max_height = max_height;
  for (int i = 0; i < n; i++)
    {
      dataset->labels[i] = new_label[labels[i]];
      dataset->image_paths[i] = g_steal_pointer (&paths[i]);
    }
  for (guint p = 0; p < names->len; p++)
    if (new_label[p] >= 0)
      dataset->person_names[new_label[p]] = g_strdup (names->pdata[p]);
  dataset->source = g_strdup (path);
  for (guint w = 0; w < warnings->len; w++)
    g_ptr_array_add (dataset->warnings, g_strdup (warnings->pdata[w]));

done:
  for (guint k = 0; k < entries->len; k++)
    g_free (g_array_index (entries, Entry, k).path);
  if (paths != NULL)
    for (guint k = 0; k < entries->len; k++)
      g_free (paths[k]);
  g_free (paths);
  g_free (new_label);
  g_free (labels);
  g_free (pixels);
  return dataset;
}
