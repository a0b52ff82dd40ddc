/* The gallery of enrolled people; see gallery.h. */
#include "gallery.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "atomic-file.h"
#include "dataset.h"
#include "error.h"
#include "evaluation.h"
#include "file-name.h"
#include "image.h"
#include "json-limits.h"
#include "safetensors.h"
#include "untrusted.h"

struct _SfGallery {
  int image_size;
  int embedding_size;       /* 0 while no face is embedded */
  char *fingerprint;        /* of the model the embeddings come from; NULL when none */
  char *source;             /* the file it was loaded from, for messages; NULL when new */
  GPtrArray *names;         /* char*, one per person */
  GArray *labels;           /* int [n_faces] */
  GPtrArray *paths;         /* char* in the file system's encoding, or NULL [n_faces] */
  GArray *pixels;           /* float [n_faces, image_size²] */
  GArray *embeddings;       /* float [n_faces, embedding_size] */
};

/* ---- model fingerprint ---- */

char *
sf_model_fingerprint (SfModel *model)
{
  g_return_val_if_fail (model != NULL, NULL);

  GChecksum *checksum = g_checksum_new (G_CHECKSUM_SHA256);
  /* "mirrored": the embeddings are sf_model_embed_mirrored's, so galleries
   * embedded before it (one pass, no mirror) count as stale and re-embed. */
  g_autofree char *header = g_strdup_printf ("%s\n%s\n%.9g\n%d\nmirrored\n", sf_model_get_spec (model),
                                             sf_head_kind_name (sf_model_get_head (model)),
                                             (double) sf_model_get_margin (model), sf_model_get_input_size (model));
  g_checksum_update (checksum, (const guchar *) header, strlen (header));
  G_STATIC_ASSERT (G_BYTE_ORDER == G_LITTLE_ENDIAN);
  g_checksum_update (checksum, (const guchar *) sf_model_params (model), sizeof (float) * sf_model_n_params (model));
  char *hex = g_strdup (g_checksum_get_string (checksum));
  g_checksum_free (checksum);
  return hex;
}

/* ---- faces from files ---- */

float *
sf_face_load (const char *path, int size, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  if (size <= 0 || size > SF_MAX_IMAGE_SIDE)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("faces of %d×%d pixels: the side must be 1 to %d"), size,
                   size, SF_MAX_IMAGE_SIDE);
      return NULL;
    }
  g_autoptr (SfImage) image = sf_image_load (path, error);
  if (image == NULL)
    return NULL;
  float *pixels = g_new (float, (gsize) size * size);
  sf_image_resize_area (image->pixels, image->width, image->height, pixels, size, size);
  return pixels;
}

static gboolean
is_image_name (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);
  return g_str_has_suffix (lower, ".pgm") || g_str_has_suffix (lower, ".ppm") || g_str_has_suffix (lower, ".pnm")
         || g_str_has_suffix (lower, ".png");
}

typedef struct {
  char *key;   /* natural order: s2 before s10 */
  char *path;
} SortedPath;

static int
compare_sorted_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (((const SortedPath *) a)->key, ((const SortedPath *) b)->key);
}

char **
sf_face_list_folder (const char *folder, GError **error)
{
  g_return_val_if_fail (folder != NULL, NULL);

  GError *local = NULL;
  g_autoptr (GDir) dir = g_dir_open (folder, 0, &local);
  if (dir == NULL)
    {
      /* One line as the file readers write it: the folder, then what it is. */
      const char *problem = local->code == G_FILE_ERROR_NOENT  ? sf_untrusted_errno_text (ENOENT)
                            : local->code == G_FILE_ERROR_LOOP  ? sf_untrusted_errno_text (ELOOP)
                            : local->code == G_FILE_ERROR_NOTDIR ? _("not a folder")
                            : local->code == G_FILE_ERROR_ACCES  ? g_strerror (EACCES)
                                                                 : NULL;
      if (problem != NULL)
        g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s: %s", folder, problem);
      else
        g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s", local->message);
      g_error_free (local);
      return NULL;
    }
  g_autoptr (GArray) entries = g_array_new (FALSE, FALSE, sizeof (SortedPath));
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (name[0] == '.' || !is_image_name (name))
        continue;
      g_autofree char *path = g_build_filename (folder, name, NULL);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      /* The collation key wants UTF-8; a name that is not sorts by its display form. */
      g_autofree char *shown = g_filename_display_name (name);
      SortedPath entry = { g_utf8_collate_key_for_filename (shown, -1), g_steal_pointer (&path) };
      g_array_append_val (entries, entry);
    }
  if (entries->len == 0)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_EMPTY, _("%s: no PGM, PPM or PNG images in this folder"), folder);
      return NULL;
    }
  g_array_sort (entries, compare_sorted_paths);
  char **paths = g_new0 (char *, entries->len + 1);
  for (guint k = 0; k < entries->len; k++)
    {
      SortedPath *entry = &g_array_index (entries, SortedPath, k);
      paths[k] = entry->path;
      g_free (entry->key);
    }
  return paths;
}

/* ---- the gallery ---- */

SfGallery *
sf_gallery_new (int image_size)
{
  g_return_val_if_fail (image_size > 0 && image_size <= SF_MAX_IMAGE_SIDE, NULL);

  SfGallery *gallery = g_new0 (SfGallery, 1);
  gallery->image_size = image_size;
  gallery->names = g_ptr_array_new_with_free_func (g_free);
  gallery->labels = g_array_new (FALSE, FALSE, sizeof (int));
  gallery->paths = g_ptr_array_new_with_free_func (g_free);
  gallery->pixels = g_array_new (FALSE, FALSE, sizeof (float));
  gallery->embeddings = g_array_new (FALSE, FALSE, sizeof (float));
  return gallery;
}

void
sf_gallery_free (SfGallery *gallery)
{
  if (gallery == NULL)
    return;
  g_free (gallery->fingerprint);
  g_free (gallery->source);
  g_ptr_array_unref (gallery->names);
  g_array_unref (gallery->labels);
  g_ptr_array_unref (gallery->paths);
  g_array_unref (gallery->pixels);
  g_array_unref (gallery->embeddings);
  g_free (gallery);
}

SfGallery *
sf_gallery_copy (const SfGallery *gallery)
{
  g_return_val_if_fail (gallery != NULL, NULL);

  SfGallery *copy = sf_gallery_new (gallery->image_size);
  copy->embedding_size = gallery->embedding_size;
  copy->fingerprint = g_strdup (gallery->fingerprint);
  copy->source = g_strdup (gallery->source);
  for (guint k = 0; k < gallery->names->len; k++)
    g_ptr_array_add (copy->names, g_strdup (gallery->names->pdata[k]));
  for (guint k = 0; k < gallery->paths->len; k++)
    g_ptr_array_add (copy->paths, g_strdup (gallery->paths->pdata[k]));
  g_array_append_vals (copy->labels, gallery->labels->data, gallery->labels->len);
  g_array_append_vals (copy->pixels, gallery->pixels->data, gallery->pixels->len);
  g_array_append_vals (copy->embeddings, gallery->embeddings->data, gallery->embeddings->len);
  return copy;
}

int
sf_gallery_get_image_size (const SfGallery *gallery)
{
  return gallery->image_size;
}

int
sf_gallery_get_embedding_size (const SfGallery *gallery)
{
  return gallery->embedding_size;
}

const char *
sf_gallery_get_model_fingerprint (const SfGallery *gallery)
{
  return gallery->fingerprint;
}

int
sf_gallery_get_n_people (const SfGallery *gallery)
{
  return (int) gallery->names->len;
}

const char *
sf_gallery_get_person_name (const SfGallery *gallery, int person)
{
  g_return_val_if_fail (person >= 0 && person < (int) gallery->names->len, NULL);
  return gallery->names->pdata[person];
}

int
sf_gallery_find_person (const SfGallery *gallery, const char *name)
{
  for (guint k = 0; k < gallery->names->len; k++)
    if (strcmp (gallery->names->pdata[k], name) == 0)
      return (int) k;
  return -1;
}

int
sf_gallery_get_person_n_faces (const SfGallery *gallery, int person)
{
  int n = 0;
  for (guint i = 0; i < gallery->labels->len; i++)
    n += g_array_index (gallery->labels, int, i) == person;
  return n;
}

int
sf_gallery_get_person_face (const SfGallery *gallery, int person)
{
  for (guint i = 0; i < gallery->labels->len; i++)
    if (g_array_index (gallery->labels, int, i) == person)
      return (int) i;
  return -1;
}

int
sf_gallery_get_n_faces (const SfGallery *gallery)
{
  return (int) gallery->labels->len;
}

int
sf_gallery_get_face_person (const SfGallery *gallery, int face)
{
  g_return_val_if_fail (face >= 0 && face < (int) gallery->labels->len, -1);
  return g_array_index (gallery->labels, int, face);
}

const char *
sf_gallery_get_face_path (const SfGallery *gallery, int face)
{
  g_return_val_if_fail (face >= 0 && face < (int) gallery->labels->len, NULL);
  return gallery->paths->pdata[face];
}

const float *
sf_gallery_get_face_pixels (const SfGallery *gallery, int face)
{
  g_return_val_if_fail (face >= 0 && face < (int) gallery->labels->len, NULL);
  return &g_array_index (gallery->pixels, float, (gsize) face * gallery->image_size * gallery->image_size);
}

const float *
sf_gallery_get_face_embedding (const SfGallery *gallery, int face)
{
  g_return_val_if_fail (face >= 0 && face < (int) gallery->labels->len, NULL);
  return &g_array_index (gallery->embeddings, float, (gsize) face * gallery->embedding_size);
}

gboolean
sf_gallery_is_current (const SfGallery *gallery, SfModel *model)
{
  g_return_val_if_fail (gallery != NULL && model != NULL, FALSE);

  if (gallery->labels->len == 0)
    return TRUE;
  /* A file that names the model but holds embeddings of another width is
   * not current: callers then update, which says what is wrong, instead of
   * reading past the embeddings. */
  if (gallery->embedding_size != sf_model_get_embedding_size (model))
    return FALSE;
  g_autofree char *fingerprint = sf_model_fingerprint (model);
  return g_strcmp0 (fingerprint, gallery->fingerprint) == 0;
}

/* What messages call the gallery: its file, if it has one. */
static const char *
gallery_name (const SfGallery *gallery)
{
  return gallery->source != NULL ? gallery->source : _("the gallery");
}

/* FALSE with an error when n faces of size × size pixels and D-wide
 * embeddings would not fit in a gallery file: checked before allocating. */
static gboolean
check_capacity (const SfGallery *gallery, guint64 n, int size, int D, GError **error)
{
  if (size <= 0 || size > SF_MAX_IMAGE_SIDE || D <= 0 || D > SF_GALLERY_MAX_EMBEDDING)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("%s: a model with %d×%d inputs and %d-wide embeddings is "
                   "out of a gallery's range (inputs 1 to %d, embeddings 1 to %d)"), gallery_name (gallery), size,
                   size, D, SF_MAX_IMAGE_SIDE, SF_GALLERY_MAX_EMBEDDING);
      return FALSE;
    }
  guint64 floats = n * ((guint64) size * size + (guint64) D);
  if (n > SF_GALLERY_MAX_FACES || floats > SF_SAFETENSORS_MAX_FILE / sizeof (float))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("%s: %" PRIu64 " faces of %d×%d pixels would not "
                   "fit in a gallery file"), gallery_name (gallery), n, size, size);
      return FALSE;
    }
  return TRUE;
}

/* Mirrored embeddings [n, D] of faces [n, input size²], in groups sized by
 * the memory the model's batch buffers take, as evaluation embeds: a model
 * whose input size was raised by hand would otherwise ask for gigabytes. */
static gboolean
embed_faces (SfModel *model, const float *faces, int n, float *embeddings, GError **error)
{
  int group = sf_evaluation_group_size (model);
  gsize area = (gsize) sf_model_get_input_size (model) * sf_model_get_input_size (model);
  gsize D = (gsize) sf_model_get_embedding_size (model);
  for (int start = 0; start < n; start += group)
    if (!sf_model_embed_mirrored (model, faces + start * area, MIN (group, n - start), embeddings + start * D,
                                  error))
      return FALSE;
  return TRUE;
}

gboolean
sf_gallery_update (SfGallery *gallery, SfModel *model, GError **error)
{
  g_return_val_if_fail (gallery != NULL && model != NULL, FALSE);

  g_autofree char *fingerprint = sf_model_fingerprint (model);
  int size = sf_model_get_input_size (model);
  int D = sf_model_get_embedding_size (model);
  guint n = gallery->labels->len;
  if (!check_capacity (gallery, n, size, D, error))
    return FALSE;
  if (g_strcmp0 (fingerprint, gallery->fingerprint) == 0 && size == gallery->image_size)
    {
      /* The file names this model, so its embeddings must have the model's
       * width: one that does not was crafted or corrupted, and using it would
       * read or write past the embeddings. */
      if (n > 0 && gallery->embedding_size != D)
        {
          g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: tensor 'embeddings' is %d wide, but the model its "
                       "model_fingerprint names gives %d"), gallery_name (gallery), gallery->embedding_size, D);
          return FALSE;
        }
      gallery->embedding_size = D;
      return TRUE;
    }

  gsize area = (gsize) size * size;
  g_autoptr (GArray) pixels = g_array_sized_new (FALSE, FALSE, sizeof (float), (guint) (n * area));
  g_array_set_size (pixels, (guint) (n * area));
  /* An empty gallery's arrays have no data at all: memcpy must not see their NULL. */
  if (n > 0 && size == gallery->image_size)
    memcpy (pixels->data, gallery->pixels->data, sizeof (float) * n * area);
  else
    for (guint i = 0; i < n; i++)
      sf_image_resize_area (sf_gallery_get_face_pixels (gallery, (int) i), gallery->image_size, gallery->image_size,
                            &g_array_index (pixels, float, i * area), size, size);
  g_autoptr (GArray) embeddings = g_array_sized_new (FALSE, FALSE, sizeof (float), n * D);
  g_array_set_size (embeddings, n * D);
  if (!embed_faces (model, (const float *) pixels->data, (int) n, (float *) embeddings->data, error))
    return FALSE;

  g_array_unref (gallery->pixels);
  gallery->pixels = g_steal_pointer (&pixels);
  g_array_unref (gallery->embeddings);
  gallery->embeddings = g_steal_pointer (&embeddings);
  gallery->image_size = size;
  gallery->embedding_size = D;
  g_free (gallery->fingerprint);
  gallery->fingerprint = g_steal_pointer (&fingerprint);
  return TRUE;
}

/* A trimmed copy of name, or NULL with an error saying what is wrong with it. */
static char *
check_name (const char *name, GError **error)
{
  if (name == NULL || !g_utf8_validate (name, -1, NULL))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("a person's name must be UTF-8 text"));
      return NULL;
    }
  g_autofree char *trimmed = g_strstrip (g_strdup (name));
  if (*trimmed == '\0')
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("a person needs a name"));
      return NULL;
    }
  if (g_utf8_strlen (trimmed, -1) > SF_GALLERY_MAX_NAME)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("a person's name may have at most %d characters"),
                   SF_GALLERY_MAX_NAME);
      return NULL;
    }
  for (const char *c = trimmed; *c != '\0'; c = g_utf8_next_char (c))
    if (g_unichar_iscntrl (g_utf8_get_char (c)))
      {
        g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("a person's name may not hold control characters"));
        return NULL;
      }
  return g_steal_pointer (&trimmed);
}

gboolean
sf_gallery_enroll (SfGallery *gallery, SfModel *model, const char *name, const float *pixels,
                   const char *const *paths, int n, GError **error)
{
  g_return_val_if_fail (gallery != NULL && model != NULL && pixels != NULL, FALSE);

  g_autofree char *person_name = check_name (name, error);
  if (person_name == NULL)
    return FALSE;
  if (n <= 0)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_EMPTY, _("%s: no images to enrol"), person_name);
      return FALSE;
    }
  if ((gint64) gallery->labels->len + n > SF_GALLERY_MAX_FACES)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("a gallery holds at most %d faces"),
                   SF_GALLERY_MAX_FACES);
      return FALSE;
    }
  if (!sf_gallery_update (gallery, model, error))
    return FALSE;
  /* The model writes its own width: the buffers are sized from it, never from the file. */
  int D = sf_model_get_embedding_size (model);
  if (!check_capacity (gallery, (guint64) gallery->labels->len + (guint64) n, gallery->image_size, D, error))
    return FALSE;
  g_assert (gallery->embedding_size == D && gallery->image_size == sf_model_get_input_size (model));

  gsize area = (gsize) gallery->image_size * gallery->image_size;
  g_autofree float *embeddings = g_try_new (float, (gsize) n * D);
  if (embeddings == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("out of memory for %d embeddings"), n);
      return FALSE;
    }
  if (!embed_faces (model, pixels, n, embeddings, error))
    return FALSE;

  int person = sf_gallery_find_person (gallery, person_name);
  if (person < 0)
    {
      person = (int) gallery->names->len;
      g_ptr_array_add (gallery->names, g_steal_pointer (&person_name));
    }
  for (int i = 0; i < n; i++)
    {
      g_array_append_val (gallery->labels, person);
      g_ptr_array_add (gallery->paths, paths != NULL && paths[i] != NULL ? g_strdup (paths[i]) : NULL);
    }
  g_array_append_vals (gallery->pixels, pixels, (guint) ((gsize) n * area));
  g_array_append_vals (gallery->embeddings, embeddings, (guint) ((gsize) n * D));
  return TRUE;
}

gboolean
sf_gallery_enroll_files (SfGallery *gallery, SfModel *model, const char *name, const char *const *paths, int n,
                         GError **error)
{
  g_return_val_if_fail (gallery != NULL && model != NULL, FALSE);

  if (n <= 0 || paths == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_EMPTY, _("%s: no images to enrol"), name != NULL ? name : "");
      return FALSE;
    }
  if (n > SF_GALLERY_MAX_FACES)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("a gallery holds at most %d faces"),
                   SF_GALLERY_MAX_FACES);
      return FALSE;
    }
  int size = sf_model_get_input_size (model);
  gsize area = (gsize) size * size;
  g_autofree float *pixels = g_try_new (float, (gsize) n * area);
  if (pixels == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("out of memory for %d images"), n);
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    {
      g_autofree float *face = sf_face_load (paths[i], size, error);
      if (face == NULL)
        return FALSE;
      memcpy (pixels + i * area, face, sizeof (float) * area);
    }
  return sf_gallery_enroll (gallery, model, name, pixels, paths, n, error);
}

gboolean
sf_gallery_enroll_folder (SfGallery *gallery, SfModel *model, const char *name, const char *folder, GError **error)
{
  g_return_val_if_fail (folder != NULL, FALSE);

  g_auto (GStrv) paths = sf_face_list_folder (folder, error);
  if (paths == NULL)
    return FALSE;
  /* A folder whose name is not UTF-8 still names its person, readably. */
  g_autofree char *base = g_filename_display_basename (folder);
  return sf_gallery_enroll_files (gallery, model, name != NULL ? name : base, (const char *const *) paths,
                                  (int) g_strv_length (paths), error);
}

void
sf_gallery_remove_person (SfGallery *gallery, int person)
{
  g_return_if_fail (gallery != NULL);
  g_return_if_fail (person >= 0 && person < (int) gallery->names->len);

  gsize area = (gsize) gallery->image_size * gallery->image_size;
  gsize D = (gsize) gallery->embedding_size;
  for (guint i = gallery->labels->len; i-- > 0;)
    {
      int *label = &g_array_index (gallery->labels, int, i);
      if (*label == person)
        {
          g_array_remove_index (gallery->labels, i);
          g_ptr_array_remove_index (gallery->paths, i);
          g_array_remove_range (gallery->pixels, (guint) (i * area), (guint) area);
          g_array_remove_range (gallery->embeddings, (guint) (i * D), (guint) D);
        }
      else if (*label > person)
        (*label)--;
    }
  g_ptr_array_remove_index (gallery->names, (guint) person);
}

gboolean
sf_gallery_rename_person (SfGallery *gallery, int person, const char *name, GError **error)
{
  g_return_val_if_fail (gallery != NULL, FALSE);
  g_return_val_if_fail (person >= 0 && person < (int) gallery->names->len, FALSE);

  g_autofree char *new_name = check_name (name, error);
  if (new_name == NULL)
    return FALSE;
  int other = sf_gallery_find_person (gallery, new_name);
  if (other >= 0 && other != person)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("someone called “%s” is enrolled already"), new_name);
      return FALSE;
    }
  g_free (gallery->names->pdata[person]);
  gallery->names->pdata[person] = g_steal_pointer (&new_name);
  return TRUE;
}

/* ---- identify and verify ---- */

static int
compare_candidates (gconstpointer a, gconstpointer b)
{
  const SfCandidate *x = a, *y = b;
  if (x->score != y->score)
    return x->score < y->score ? 1 : -1;
  if (x->distance != y->distance)
    return x->distance < y->distance ? -1 : 1;
  return x->person - y->person;
}

SfCandidate *
sf_gallery_identify_embedding (const SfGallery *gallery, SfModel *model, const float *embedding, int *n_candidates)
{
  g_return_val_if_fail (gallery != NULL && model != NULL && embedding != NULL && n_candidates != NULL, NULL);
  g_return_val_if_fail (gallery->labels->len == 0 || gallery->embedding_size == sf_model_get_embedding_size (model),
                        NULL);

  int n_people = (int) gallery->names->len;
  SfCandidate *candidates = g_new (SfCandidate, MAX (n_people, 1));
  for (int p = 0; p < n_people; p++)
    candidates[p] = (SfCandidate) { .person = p, .face = -1, .distance = INFINITY, .score = -INFINITY };
  for (guint i = 0; i < gallery->labels->len; i++)
    {
      SfCandidate *c = &candidates[g_array_index (gallery->labels, int, i)];
      float distance = sf_model_distance (model, embedding, sf_gallery_get_face_embedding (gallery, (int) i));
      float score = sf_model_score_distance (model, distance);
      if (c->face < 0 || score > c->score || (score == c->score && distance < c->distance))
        *c = (SfCandidate) { .person = c->person, .face = (int) i, .distance = distance, .score = score };
    }
  qsort (candidates, n_people, sizeof (SfCandidate), compare_candidates);
  *n_candidates = n_people;
  return candidates;
}

SfCandidate *
sf_gallery_identify (SfGallery *gallery, SfModel *model, const float *pixels, int *n_candidates, GError **error)
{
  g_return_val_if_fail (gallery != NULL && model != NULL && pixels != NULL && n_candidates != NULL, NULL);

  if (!sf_gallery_update (gallery, model, error))
    return NULL;
  int D = sf_model_get_embedding_size (model);
  if (gallery->labels->len > 0 && gallery->embedding_size != D)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: embeddings %d wide for a model that gives %d"),
                   gallery_name (gallery), gallery->embedding_size, D);
      return NULL;
    }
  g_autofree float *embedding = g_new (float, D);
  if (!sf_model_embed_mirrored (model, pixels, 1, embedding, error))
    return NULL;
  return sf_gallery_identify_embedding (gallery, model, embedding, n_candidates);
}

gboolean
sf_verify_faces (SfModel *model, const float *pixels_a, const float *pixels_b, float *score, float *distance,
                 GError **error)
{
  g_return_val_if_fail (model != NULL && pixels_a != NULL && pixels_b != NULL, FALSE);

  gsize area = (gsize) sf_model_get_input_size (model) * sf_model_get_input_size (model);
  int D = sf_model_get_embedding_size (model);
  g_autofree float *faces = g_new (float, 2 * area);
  g_autofree float *embeddings = g_new (float, 2 * (gsize) D);
  memcpy (faces, pixels_a, sizeof (float) * area);
  memcpy (faces + area, pixels_b, sizeof (float) * area);
  if (!sf_model_embed_mirrored (model, faces, 2, embeddings, error))
    return FALSE;
  float d = sf_model_distance (model, embeddings, embeddings + D);
  if (distance != NULL)
    *distance = d;
  if (score != NULL)
    *score = sf_model_score_distance (model, d);
  return TRUE;
}

/* ---- the file ---- */

/* The metadata's lists are JSON arrays of strings: one level, a string a face. */
static const SfJsonLimits list_limits = {
  .max_bytes = SF_SAFETENSORS_MAX_HEADER,
  .max_depth = 1,
  .max_values = SF_GALLERY_MAX_FACES + 1,
};

/* A JSON array of the strings, each through map when it is given; NULL entries as "". */
static char *
strings_to_json (GPtrArray *strings, char *(*map) (const char *))
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  for (guint k = 0; k < strings->len; k++)
    {
      const char *text = strings->pdata[k];
      g_autofree char *mapped = text != NULL && map != NULL ? map (text) : NULL;
      json_builder_add_string_value (b, mapped != NULL ? mapped : text != NULL ? text : "");
    }
  json_builder_end_array (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* TRUE when some path differs from its display name (it is not UTF-8, or
 * the file system's encoding is another), so "paths" alone would lose it. */
static gboolean
paths_need_bytes (GPtrArray *paths)
{
  for (guint k = 0; k < paths->len; k++)
    if (paths->pdata[k] != NULL)
      {
        g_autofree char *encoded = sf_file_name_encode_if_needed (paths->pdata[k]);
        if (encoded != NULL)
          return TRUE;
      }
  return FALSE;
}

static gboolean G_GNUC_PRINTF (4, 5)
load_fail (GError **error, int code, const char *path, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, SF_ERROR, code, "%s: %s", path, message);
  return FALSE;
}

static SfGallery *gallery_from_file (const SfSafetensors *file, const char *path, GError **error);

gboolean
sf_gallery_save (const SfGallery *gallery, const char *path, GError **error)
{
  g_return_val_if_fail (gallery != NULL && path != NULL, FALSE);

  gint64 n = gallery->labels->len;
  g_autofree char *people = strings_to_json (gallery->names, NULL);
  /* "paths" for people to read (UTF-8, as JSON must be); "path_bytes" only
   * when one of them is not the file's name as it is, and then every face's. */
  g_autofree char *paths = strings_to_json (gallery->paths, g_filename_display_name);
  g_autofree char *path_bytes = paths_need_bytes (gallery->paths)
                                 ? strings_to_json (gallery->paths, sf_file_name_encode) : NULL;
  g_autofree char *image_size = g_strdup_printf ("%d", gallery->image_size);
  const char *metadata[] = {
    "format", SF_GALLERY_FORMAT,
    "image_size", image_size,
    "model_fingerprint", gallery->fingerprint != NULL ? gallery->fingerprint : "",
    "people", people,
    "paths", paths,
    path_bytes != NULL ? "path_bytes" : NULL, path_bytes,
    NULL,
  };
  SfTensorView tensors[] = {
    { .name = "embeddings", .dtype = SF_DTYPE_F32, .rank = 2, .shape = { n, gallery->embedding_size },
      .data = gallery->embeddings->data, .n_bytes = sizeof (float) * gallery->embeddings->len },
    { .name = "labels", .dtype = SF_DTYPE_I32, .rank = 1, .shape = { n },
      .data = gallery->labels->data, .n_bytes = sizeof (int) * gallery->labels->len },
    { .name = "pixels", .dtype = SF_DTYPE_F32, .rank = 3, .shape = { n, gallery->image_size, gallery->image_size },
      .data = gallery->pixels->data, .n_bytes = sizeof (float) * gallery->pixels->len },
  };
  g_autoptr (GBytes) bytes = sf_safetensors_serialize (path, tensors, G_N_ELEMENTS (tensors), metadata, error);
  if (bytes == NULL)
    return FALSE;

  /* A gallery that could not be read back is never written: the loader's
   * own checks run on the bytes, and every face's path must come back. */
  GError *local = NULL;
  g_autoptr (SfSafetensors) file = sf_safetensors_parse (bytes, path, &local);
  g_autoptr (SfGallery) back = file != NULL ? gallery_from_file (file, path, &local) : NULL;
  for (gint64 i = 0; back != NULL && i < n; i++)
    if (g_strcmp0 (back->paths->pdata[i], gallery->paths->pdata[i]) != 0)
      {
        load_fail (&local, SF_ERROR_FORMAT, path, _("the path of face %" PRId64 " would change"), i);
        g_clear_pointer (&back, sf_gallery_free);
      }
  if (back == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("%s: not saved: it could not be read back (%s)"), path,
                   local->message);
      g_error_free (local);
      return FALSE;
    }
  gsize size = 0;
  const void *data = g_bytes_get_data (bytes, &size);
  return sf_atomic_file_save (path, data, size, error);
}

/* A JSON array of strings from the metadata key (absent: an error). */
static GPtrArray *
metadata_strings (const SfSafetensors *file, const char *path, const char *key, GError **error)
{
  const char *text = sf_safetensors_get_metadata (file, key);
  if (text == NULL)
    {
      load_fail (error, SF_ERROR_FORMAT, path, _("not a gallery: the metadata has no '%s'"), key);
      return NULL;
    }
  g_autofree char *part = g_strdup_printf ("metadata '%s'", key);
  g_autoptr (JsonNode) root = sf_json_parse (text, -1, &list_limits, path, part, error);
  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (root))
    {
      load_fail (error, SF_ERROR_FORMAT, path, _("'%s' is %s, not a JSON array"), key, sf_json_node_kind (root));
      return NULL;
    }
  JsonArray *array = json_node_get_array (root);
  guint n = json_array_get_length (array);
  if (n > SF_GALLERY_MAX_FACES)
    {
      load_fail (error, SF_ERROR_TOO_LARGE, path, _("'%s' has %u entries, more than a gallery holds"), key, n);
      return NULL;
    }
  GPtrArray *strings = g_ptr_array_new_with_free_func (g_free);
  for (guint k = 0; k < n; k++)
    {
      JsonNode *node = json_array_get_element (array, k);
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          load_fail (error, SF_ERROR_FORMAT, path, _("'%s' entry %u is %s, not a string"), key, k,
                     sf_json_node_kind (node));
          g_ptr_array_unref (strings);
          return NULL;
        }
      g_ptr_array_add (strings, g_strdup (json_node_get_string (node)));
    }
  return strings;
}

/* Face k's path: from "path_bytes" when the file has it (percent-encoded
 * bytes), else from "paths" (galleries written before "path_bytes", and
 * those whose paths are all UTF-8). *face_path NULL when it has none. */
static gboolean
face_path (GPtrArray *paths, GPtrArray *path_bytes, guint k, const char *path, char **face_path, GError **error)
{
  if (path_bytes == NULL)
    {
      const char *shown = paths->pdata[k];
      *face_path = *shown != '\0' ? g_strdup (shown) : NULL;
      return TRUE;
    }
  const char *encoded = path_bytes->pdata[k];
  *face_path = NULL;
  if (*encoded == '\0')
    return TRUE;
  if (!sf_file_name_decode (encoded, face_path))
    return load_fail (error, SF_ERROR_FORMAT, path, _("'path_bytes' entry %u is not a percent-encoded file name"),
                      k);
  return TRUE;
}

static gboolean
get_tensor (const SfSafetensors *file, const char *path, const char *name, SfDtype dtype, int rank,
            SfTensorView *view, GError **error)
{
  if (!sf_safetensors_get (file, name, view))
    return load_fail (error, SF_ERROR_FORMAT, path, _("not a gallery: no '%s' tensor"), name);
  if (view->dtype != dtype || view->rank != rank)
    return load_fail (error, SF_ERROR_FORMAT, path, _("tensor '%s' should be %s with %d dimensions, not %s with %d"),
                      name, sf_dtype_name (dtype), rank, sf_dtype_name (view->dtype), view->rank);
  return TRUE;
}

SfGallery *
sf_gallery_load (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  g_autoptr (SfSafetensors) file = sf_safetensors_read (path, error);
  if (file == NULL)
    return NULL;
  return gallery_from_file (file, path, error);
}

/* Every shape, count, label, name, path and value of a gallery file checked. */
static SfGallery *
gallery_from_file (const SfSafetensors *file, const char *path, GError **error)
{
  /* Text from the file reaches messages escaped: it may hold control characters. */
  const char *format = sf_safetensors_get_metadata (file, "format");
  if (format == NULL || strcmp (format, SF_GALLERY_FORMAT) != 0)
    {
      g_autofree char *shown = sf_untrusted_text (format != NULL ? format : "none", -1, 80);
      load_fail (error, SF_ERROR_FORMAT, path, _("not a gallery (format '%s', expected '%s')"), shown,
                 SF_GALLERY_FORMAT);
      return NULL;
    }
  const char *size_text = sf_safetensors_get_metadata (file, "image_size");
  guint64 image_size = 0;
  if (size_text == NULL || !g_ascii_string_to_unsigned (size_text, 10, 1, SF_MAX_IMAGE_SIDE, &image_size, NULL))
    {
      g_autofree char *shown = sf_untrusted_text (size_text, -1, 80);
      load_fail (error, SF_ERROR_FORMAT, path, _("image_size '%s' is not a number from 1 to %d"), shown,
                 SF_MAX_IMAGE_SIDE);
      return NULL;
    }
  const char *fingerprint = sf_safetensors_get_metadata (file, "model_fingerprint");
  if (fingerprint == NULL)
    fingerprint = "";
  gboolean hex = strlen (fingerprint) == 64;
  for (const char *c = fingerprint; hex && *c != '\0'; c++)
    hex = g_ascii_isxdigit (*c);
  if (*fingerprint != '\0' && !hex)
    {
      load_fail (error, SF_ERROR_FORMAT, path, _("model_fingerprint is not a SHA-256 hex digest"));
      return NULL;
    }

  int n_tensors = 0;
  g_autofree const char **names = sf_safetensors_names (file, &n_tensors);
  for (int t = 0; t < n_tensors; t++)
    if (strcmp (names[t], "embeddings") != 0 && strcmp (names[t], "labels") != 0 && strcmp (names[t], "pixels") != 0)
      {
        g_autofree char *shown = sf_untrusted_text (names[t], -1, 80);
        load_fail (error, SF_ERROR_FORMAT, path, _("unexpected tensor '%s'"), shown);
        return NULL;
      }
  SfTensorView labels, pixels, embeddings;
  if (!get_tensor (file, path, "labels", SF_DTYPE_I32, 1, &labels, error)
      || !get_tensor (file, path, "pixels", SF_DTYPE_F32, 3, &pixels, error)
      || !get_tensor (file, path, "embeddings", SF_DTYPE_F32, 2, &embeddings, error))
    return NULL;
  gint64 n = labels.shape[0];
  gint64 D = embeddings.shape[1];
  if (n > SF_GALLERY_MAX_FACES)
    {
      load_fail (error, SF_ERROR_TOO_LARGE, path, _("%" PRId64 " faces, more than a gallery holds (%d)"),
                 n, SF_GALLERY_MAX_FACES);
      return NULL;
    }
  if (pixels.shape[0] != n || pixels.shape[1] != (gint64) image_size || pixels.shape[2] != (gint64) image_size)
    {
      load_fail (error, SF_ERROR_FORMAT, path, _("pixels are %" PRId64 "×%" PRId64 "×%" PRId64
                 ", expected %" PRId64 "×%" PRIu64 "×%" PRIu64),
                 pixels.shape[0], pixels.shape[1], pixels.shape[2], n, image_size, image_size);
      return NULL;
    }
  if (embeddings.shape[0] != n || D > SF_GALLERY_MAX_EMBEDDING || (n > 0 && D == 0))
    {
      load_fail (error, SF_ERROR_FORMAT, path, _("embeddings are %" PRId64 "×%" PRId64
                 " for %" PRId64 " faces"), embeddings.shape[0], D, n);
      return NULL;
    }
  if (n > 0 && *fingerprint == '\0')
    {
      load_fail (error, SF_ERROR_FORMAT, path, _("the embeddings do not say which model they come from"));
      return NULL;
    }

  g_autoptr (GPtrArray) people = metadata_strings (file, path, "people", error);
  if (people == NULL)
    return NULL;
  g_autoptr (GPtrArray) paths = metadata_strings (file, path, "paths", error);
  if (paths == NULL)
    return NULL;
  if ((gint64) paths->len != n)
    {
      load_fail (error, SF_ERROR_FORMAT, path, _("%u paths for %" PRId64 " faces"), paths->len, n);
      return NULL;
    }
  g_autoptr (GPtrArray) path_bytes = NULL;
  if (sf_safetensors_get_metadata (file, "path_bytes") != NULL)
    {
      path_bytes = metadata_strings (file, path, "path_bytes", error);
      if (path_bytes == NULL)
        return NULL;
      if ((gint64) path_bytes->len != n)
        {
          load_fail (error, SF_ERROR_FORMAT, path, _("%u entries in 'path_bytes' for %" PRId64 " faces"),
                     path_bytes->len, n);
          return NULL;
        }
    }

  g_autoptr (SfGallery) gallery = sf_gallery_new ((int) image_size);
  for (guint p = 0; p < people->len; p++)
    {
      GError *local = NULL;
      g_autofree char *name = check_name (people->pdata[p], &local);
      if (name == NULL || strcmp (name, people->pdata[p]) != 0)
        {
          load_fail (error, SF_ERROR_FORMAT, path, _("person %u has a bad name: %s"), p,
                     local != NULL ? local->message : "spaces around it");
          g_clear_error (&local);
          return NULL;
        }
      if (sf_gallery_find_person (gallery, name) >= 0)
        {
          load_fail (error, SF_ERROR_FORMAT, path, _("two people are called “%s”"), name);
          return NULL;
        }
      g_ptr_array_add (gallery->names, g_steal_pointer (&name));
    }

  g_array_set_size (gallery->labels, (guint) n);
  if (labels.n_bytes > 0)
    memcpy (gallery->labels->data, labels.data, labels.n_bytes);
  g_autofree int *counts = g_new0 (int, people->len + 1);
  for (gint64 i = 0; i < n; i++)
    {
      int label = g_array_index (gallery->labels, int, i);
      if (label < 0 || label >= (int) people->len)
        {
          load_fail (error, SF_ERROR_FORMAT, path,
                     _("face %" PRId64 " belongs to person %d, not one of the %u"),
                     i, label, people->len);
          return NULL;
        }
      counts[label]++;
    }
  for (guint p = 0; p < people->len; p++)
    if (counts[p] == 0)
      {
        load_fail (error, SF_ERROR_FORMAT, path, _("“%s” has no faces"), (const char *) people->pdata[p]);
        return NULL;
      }

  /* Copied out of the mapping, which need not be aligned for floats. */
  g_array_set_size (gallery->pixels, (guint) (pixels.n_bytes / sizeof (float)));
  if (pixels.n_bytes > 0)
    memcpy (gallery->pixels->data, pixels.data, pixels.n_bytes);
  for (guint k = 0; k < gallery->pixels->len; k++)
    {
      float v = g_array_index (gallery->pixels, float, k);
      if (!(v >= 0.0f && v <= 1.0f))
        {
          load_fail (error, SF_ERROR_FORMAT, path, _("face %zu has a pixel outside [0, 1]"),
                     (gsize) k / ((gsize) image_size * image_size));
          return NULL;
        }
    }
  g_array_set_size (gallery->embeddings, (guint) (embeddings.n_bytes / sizeof (float)));
  if (embeddings.n_bytes > 0)
    memcpy (gallery->embeddings->data, embeddings.data, embeddings.n_bytes);
  for (guint k = 0; k < gallery->embeddings->len; k++)
    if (!isfinite (g_array_index (gallery->embeddings, float, k)))
      {
        load_fail (error, SF_ERROR_NUMERIC, path, _("face %zu has an embedding that is not finite"),
                   (gsize) k / (gsize) D);
        return NULL;
      }
  for (guint k = 0; k < paths->len; k++)
    {
      char *face = NULL;
      if (!face_path (paths, path_bytes, k, path, &face, error))
        return NULL;
      g_ptr_array_add (gallery->paths, face);
    }
  gallery->embedding_size = n > 0 ? (int) D : 0;
  gallery->fingerprint = *fingerprint != '\0' ? g_strdup (fingerprint) : NULL;
  gallery->source = g_strdup (path);
  return g_steal_pointer (&gallery);
}

char *
sf_gallery_path_for_model (const char *model_path)
{
  g_return_val_if_fail (model_path != NULL, NULL);

  g_autofree char *dir = g_path_get_dirname (model_path);
  g_autofree char *base = g_path_get_basename (model_path);
  char *dot = strrchr (base, '.');
  if (dot != NULL && dot != base)
    *dot = '\0';
  g_autofree char *name = g_strconcat (base, ".gallery", NULL);
  return g_build_filename (dir, name, NULL);
}
