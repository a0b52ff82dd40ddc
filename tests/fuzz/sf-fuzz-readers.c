/* The readers the harness fuzzes and their seeds; see sf-fuzz.h. Seeds are
 * written here with libpng, zlib and the engine's own writers, so the
 * corpus is made fresh on every run. */
#include "sf-fuzz.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <png.h>
#include <string.h>
#include <zlib.h>

#include "checkpoint.h"
#include "dataset.h"
#include "error.h"
#include "gallery.h"
#include "image.h"

/* The model the gallery reader matches every gallery against, and the one
 * its seeds name: small, so re-embedding a gallery costs little. */
#define GALLERY_SPEC "conv4k3-bn-relu pool2 gap dense8"
#define GALLERY_SIZE 16

void
sf_fuzz_seed_free (SfFuzzSeed *seed)
{
  g_bytes_unref (seed->bytes);
  g_free (seed->ext);
  g_free (seed);
}

static void
add_seed (GPtrArray *seeds, int kind, const char *ext, const void *data, gsize size)
{
  SfFuzzSeed *seed = g_new0 (SfFuzzSeed, 1);
  seed->bytes = g_bytes_new (data, size);
  seed->ext = g_strdup (ext);
  seed->kind = kind;
  g_ptr_array_add (seeds, seed);
}

static gboolean
add_seed_from_file (GPtrArray *seeds, int kind, const char *ext, const char *path, GError **error)
{
  char *contents = NULL;
  gsize size = 0;
  if (!g_file_get_contents (path, &contents, &size, error))
    return FALSE;
  add_seed (seeds, kind, ext, contents, size);
  g_free (contents);
  return TRUE;
}

/* Plain writes: g_file_set_contents would fsync every case. */
static void
write_input (const char *path, const guint8 *data, gsize size)
{
  FILE *file = fopen (path, "wb");
  if (file == NULL || fwrite (data, 1, size, file) != size || fclose (file) != 0)
    g_error ("cannot write the input %s: %s", path, g_strerror (errno));
}

/* What a refusal must be: an error, which should name the file. */
static SfFuzzOutcome
refused (const char *reader, const char *path, GError *error, char **message)
{
  if (error == NULL)
    g_error ("%s: %s refused without setting an error", reader, path);
  g_autofree char *base = g_path_get_basename (path);
  SfFuzzOutcome outcome = strstr (error->message, base) != NULL ? SF_FUZZ_REFUSED : SF_FUZZ_REFUSED_UNNAMED;
  if (message != NULL)
    *message = g_strdup (error->message);
  g_error_free (error);
  return outcome;
}

/* What was accepted was saved again and did not read back: a file the
 * program writes and cannot read, which loses people's data. */
static SfFuzzOutcome
lost (GError *error, char **message)
{
  if (message != NULL)
    *message = g_strdup_printf ("the saved copy did not read back: %s", error->message);
  g_error_free (error);
  return SF_FUZZ_LOST;
}

/* ---- images: PGM, PPM (binary and ASCII) and PNG ---- */

static void
png_write_cb (png_structp png, png_bytep data, png_size_t length)
{
  g_byte_array_append (png_get_io_ptr (png), data, (guint) length);
}

/* A w × h PNG of a gradient, in the colour type and depth given. */
static GByteArray *
make_png (int w, int h, int color_type, int bit_depth, int interlace)
{
  GByteArray *out = g_byte_array_new ();
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct (png);
  if (setjmp (png_jmpbuf (png)))
    g_error ("libpng could not write a seed");
  png_set_write_fn (png, out, png_write_cb, NULL);
  png_set_IHDR (png, info, w, h, bit_depth, color_type, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                PNG_FILTER_TYPE_DEFAULT);
  png_color palette[4] = { { 0, 0, 0 }, { 90, 60, 30 }, { 200, 100, 50 }, { 255, 255, 255 } };
  png_byte alpha[2] = { 255, 128 };
  if (color_type == PNG_COLOR_TYPE_PALETTE)
    {
      png_set_PLTE (png, info, palette, 4);
      png_set_tRNS (png, info, alpha, 2, NULL);
    }
  png_write_info (png, info);
  int channels = color_type == PNG_COLOR_TYPE_RGB ? 3 : color_type == PNG_COLOR_TYPE_RGBA ? 4
               : color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 1;
  gsize row_bytes = ((gsize) w * channels * bit_depth + 7) / 8;
  g_autofree guint8 *rows = g_new0 (guint8, row_bytes * h);
  for (gsize k = 0; k < row_bytes * h; k++)
    rows[k] = color_type == PNG_COLOR_TYPE_PALETTE ? (guint8) (k % 4 == 3 ? 0x1b : 0x6c) : (guint8) (k * 37 + 11);
  png_bytep pointers[64];
  g_assert (h <= 64);
  for (int y = 0; y < h; y++)
    pointers[y] = rows + y * row_bytes;
  png_write_image (png, pointers);
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);
  return out;
}

static gboolean
image_seeds (GPtrArray *seeds, GError **error)
{
  GString *pnm = g_string_new ("P5\n# a comment\n7 5\n255\n");
  for (int k = 0; k < 35; k++)
    g_string_append_c (pnm, (char) (k * 7));
  add_seed (seeds, 0, ".pgm", pnm->str, pnm->len);
  g_string_assign (pnm, "P5 3 2 1000\n");
  for (int k = 0; k < 6; k++)
    {
      g_string_append_c (pnm, (char) (k * 150 >> 8));
      g_string_append_c (pnm, (char) (k * 150 & 0xff));
    }
  add_seed (seeds, 0, ".pgm", pnm->str, pnm->len);
  g_string_assign (pnm, "P2\n3 3\n15\n0 1 2\n3 4 5 # row\n6 7 15\n");
  add_seed (seeds, 0, ".pgm", pnm->str, pnm->len);
  g_string_assign (pnm, "P6\n4 3\n255\n");
  for (int k = 0; k < 36; k++)
    g_string_append_c (pnm, (char) (k * 13 + 5));
  add_seed (seeds, 0, ".ppm", pnm->str, pnm->len);
  g_string_assign (pnm, "P3 2 2 255 255 0 0 0 255 0 0 0 255 128 128 128\n");
  add_seed (seeds, 0, ".ppm", pnm->str, pnm->len);
  g_string_free (pnm, TRUE);

  const struct { int type, depth, interlace; } pngs[] = {
    { PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE },
    { PNG_COLOR_TYPE_GRAY, 16, PNG_INTERLACE_NONE },
    { PNG_COLOR_TYPE_GRAY, 1, PNG_INTERLACE_NONE },
    { PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_ADAM7 },
    { PNG_COLOR_TYPE_RGBA, 16, PNG_INTERLACE_NONE },
    { PNG_COLOR_TYPE_GRAY_ALPHA, 8, PNG_INTERLACE_NONE },
    { PNG_COLOR_TYPE_PALETTE, 2, PNG_INTERLACE_NONE },
  };
  for (guint k = 0; k < G_N_ELEMENTS (pngs); k++)
    {
      g_autoptr (GByteArray) png = make_png (6, 5, pngs[k].type, pngs[k].depth, pngs[k].interlace);
      add_seed (seeds, 0, ".png", png->data, png->len);
    }
  return TRUE;
}

static SfFuzzOutcome
run_image (const char *path, const guint8 *data, gsize size, char **message)
{
  write_input (path, data, size);
  GError *error = NULL;
  SfImage *image = sf_image_load (path, &error);
  if (image == NULL)
    return refused ("image", path, error, message);
  sf_image_free (image);
  return SF_FUZZ_ACCEPTED;
}

/* ---- the Olivetti faces: MAT-file and scikit-learn's .pkz ---- */

#define N_FACES 10

static guint8
face_value (gsize k)
{
  return (guint8) ((k * 7 + k / 4096) % 256);
}

/* A MAT-file with `faces`, 4096 × N_FACES, uint8 or double, compressed or not. */
static GByteArray *
make_mat (gboolean compressed, gboolean as_double)
{
  GByteArray *matrix = g_byte_array_new ();
  guint32 word;
#define PUT32(v) do { word = (v); g_byte_array_append (matrix, (const guint8 *) &word, 4); } while (0)
  PUT32 (6); PUT32 (8); PUT32 (as_double ? 6 : 9); PUT32 (0);         /* array flags: class */
  PUT32 (5); PUT32 (8); PUT32 (4096); PUT32 (N_FACES);                /* dimensions */
  PUT32 (1); PUT32 (5);                                               /* name */
  g_byte_array_append (matrix, (const guint8 *) "faces\0\0\0", 8);
  gsize n_values = (gsize) 4096 * N_FACES;
  PUT32 (as_double ? 9 : 2); PUT32 ((guint32) (n_values * (as_double ? 8 : 1)));
  for (gsize k = 0; k < n_values; k++)
    {
      guint8 v = face_value (k);
      if (as_double)
        {
          double d = v;
          g_byte_array_append (matrix, (const guint8 *) &d, 8);
        }
      else
        g_byte_array_append (matrix, &v, 1);
    }
  while (matrix->len % 8)
    g_byte_array_append (matrix, (const guint8 *) "\0", 1);
#undef PUT32
  guint32 tag[2] = { 14, matrix->len };
  GByteArray *element = g_byte_array_new ();
  g_byte_array_append (element, (const guint8 *) tag, 8);
  g_byte_array_append (element, matrix->data, matrix->len);
  g_byte_array_unref (matrix);

  GByteArray *file = g_byte_array_new ();
  guint8 header[128];
  memset (header, ' ', 116);
  memcpy (header, "MATLAB 5.0 MAT-file, written by the fuzz harness", 48);
  memset (header + 116, 0, 8);
  header[124] = 0x00;
  header[125] = 0x01;
  header[126] = 'I';
  header[127] = 'M';
  g_byte_array_append (file, header, 128);
  if (compressed)
    {
      uLongf size = compressBound (element->len);
      g_autofree guint8 *z = g_malloc (size);
      g_assert (compress (z, &size, element->data, element->len) == Z_OK);
      guint32 ztag[2] = { 15, (guint32) size };
      g_byte_array_append (file, (const guint8 *) ztag, 8);
      g_byte_array_append (file, z, (guint) size);
    }
  else
    g_byte_array_append (file, element->data, element->len);
  g_byte_array_unref (element);
  return file;
}

/* The pickle joblib writes for a uint8 (N_FACES, 4096) array, as in scikit-learn's cache. */
static GByteArray *
make_pickle (void)
{
  GByteArray *p = g_byte_array_new ();
#define RAW(s, len) g_byte_array_append (p, (const guint8 *) (s), (len))
#define STR(s) do { guint8 op = 0x8c, l = (guint8) strlen (s); RAW (&op, 1); RAW (&l, 1); RAW (s, l); RAW ("\x94", 1); } while (0)
  RAW ("\x80\x04", 2);
  STR ("joblib.numpy_pickle"); STR ("NumpyArrayWrapper"); RAW ("\x93\x94)\x81\x94}\x94(", 8);
  STR ("subclass"); STR ("numpy"); STR ("ndarray"); RAW ("\x93\x94", 2);
  STR ("shape"); RAW ("M\x0a\x00", 3); RAW ("M\x00\x10\x86\x94", 5);
  STR ("order"); STR ("C");
  STR ("dtype"); RAW ("h\x06h\x0d\x93\x94", 6); STR ("u1"); RAW ("\x89\x88\x87\x94R\x94(K\x03", 9);
  STR ("|"); RAW ("NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00" "t\x94" "b", 18);
  STR ("allow_mmap"); RAW ("\x88", 1); STR ("numpy_array_alignment_bytes"); RAW ("K\x10ub", 4);
  RAW ("\x03\xff\xff\xff", 4);
  for (gsize k = 0; k < (gsize) N_FACES * 4096; k++)
    {
      guint8 v = face_value (k);
      RAW (&v, 1);
    }
  RAW (".", 1);
#undef STR
#undef RAW
  return p;
}

static GBytes *
zlib_compress (const guint8 *data, gsize size)
{
  uLongf bound = compressBound (size);
  guint8 *z = g_malloc (bound);
  if (compress2 (z, &bound, data, size, 1) != Z_OK)
    g_error ("zlib could not compress an input");
  return g_bytes_new_take (z, bound);
}

enum { KIND_IMAGE, KIND_MAT, KIND_PKZ, KIND_PICKLE };

static gboolean
olivetti_seeds (GPtrArray *seeds, gboolean mat, gboolean pkz, GError **error)
{
  if (mat)
    for (int variant = 0; variant < 3; variant++)
      {
        g_autoptr (GByteArray) bytes = make_mat (variant > 0, variant == 2);
        add_seed (seeds, KIND_MAT, ".mat", bytes->data, bytes->len);
      }
  if (pkz)
    {
      g_autoptr (GByteArray) pickle = make_pickle ();
      g_autoptr (GBytes) z = zlib_compress (pickle->data, pickle->len);
      add_seed (seeds, KIND_PKZ, ".pkz", g_bytes_get_data (z, NULL), g_bytes_get_size (z));
    }
  return TRUE;
}

static SfFuzzOutcome
run_dataset_file (const char *reader, const char *path, const guint8 *data, gsize size, char **message)
{
  write_input (path, data, size);
  GError *error = NULL;
  SfDataset *dataset = sf_dataset_load (path, NULL, &error);
  if (dataset == NULL)
    return refused (reader, path, error, message);
  sf_dataset_free (dataset);
  return SF_FUZZ_ACCEPTED;
}

/* ---- the dataset reader: every file format a dataset is opened from ---- */

static const char *const dataset_tokens[] = {
  "P5", "P6", "P2", "P3", "255", "65535", "0", "#", "\x89PNG\r\n\x1a\n", "IHDR", "IDAT", "IEND", "PLTE", "tRNS",
  "MATLAB 5.0 MAT-file", "IM", "MI", "faces", "\x0e\x00\x00\x00", "\x0f\x00\x00\x00", "\x09\x00\x00\x00",
  "\x78\x9c", "\x78\x01", NULL,
};

static gboolean
dataset_seeds (GPtrArray *seeds, GError **error)
{
  return image_seeds (seeds, error) && olivetti_seeds (seeds, TRUE, TRUE, error);
}

static SfFuzzOutcome
run_dataset (int kind, const char *path, const guint8 *data, gsize size, char **message)
{
  if (kind == KIND_IMAGE)
    return run_image (path, data, size, message);
  return run_dataset_file ("dataset", path, data, size, message);
}

static const SfFuzzReader dataset_reader = {
  "dataset", "PGM/PPM/PNG through the image loader, Olivetti .mat and .pkz through the dataset loader",
  dataset_tokens, dataset_seeds, run_dataset,
};

static gboolean
image_only_seeds (GPtrArray *seeds, GError **error)
{
  return image_seeds (seeds, error);
}

static SfFuzzOutcome
run_image_kind (int kind, const char *path, const guint8 *data, gsize size, char **message)
{
  return run_image (path, data, size, message);
}

static const SfFuzzReader image_reader = {
  "image", "PGM, PPM and PNG files through the image loader", dataset_tokens, image_only_seeds, run_image_kind,
};

static gboolean
mat_seeds (GPtrArray *seeds, GError **error)
{
  return olivetti_seeds (seeds, TRUE, FALSE, error);
}

static SfFuzzOutcome
run_mat (int kind, const char *path, const guint8 *data, gsize size, char **message)
{
  return run_dataset_file ("mat", path, data, size, message);
}

static const SfFuzzReader mat_reader = {
  "mat", "the Olivetti MAT-file through the dataset loader", dataset_tokens, mat_seeds, run_mat,
};

static gboolean
pkz_seeds (GPtrArray *seeds, GError **error)
{
  return olivetti_seeds (seeds, FALSE, TRUE, error);
}

static SfFuzzOutcome
run_pkz (int kind, const char *path, const guint8 *data, gsize size, char **message)
{
  return run_dataset_file ("pkz", path, data, size, message);
}

static const SfFuzzReader pkz_reader = {
  "pkz", "scikit-learn's compressed .pkz through the dataset loader", dataset_tokens, pkz_seeds, run_pkz,
};

/* ---- the pickle reader, on the stream itself (compressed just before reading) ---- */

static const char *const pickle_tokens[] = {
  "\x80\x04", "\x80\x02", "\x95", "\x8c", "\x94", "\x93", "\x81", "R", "b", "u", "t", ".", "(", ")", "}", "]",
  "K", "M", "J", "N", "\x88", "\x89", "h", "q", "r", "c", "i", "\x85", "\x86", "\x87", "s", "a", "e", "0",
  "joblib.numpy_pickle", "NumpyArrayWrapper", "numpy", "ndarray", "dtype", "u1", "shape", "order", "os", "system",
  NULL,
};

static gboolean
pickle_seeds (GPtrArray *seeds, GError **error)
{
  g_autoptr (GByteArray) pickle = make_pickle ();
  add_seed (seeds, KIND_PICKLE, ".pkz", pickle->data, pickle->len);
  return TRUE;
}

static SfFuzzOutcome
run_pickle (int kind, const char *path, const guint8 *data, gsize size, char **message)
{
  g_autoptr (GBytes) z = zlib_compress (data, size);
  write_input (path, g_bytes_get_data (z, NULL), g_bytes_get_size (z));
  GError *error = NULL;
  SfDataset *dataset = sf_pickle_load_olivetti (path, &error);
  if (dataset == NULL)
    return refused ("pickle", path, error, message);
  sf_dataset_free (dataset);
  return SF_FUZZ_ACCEPTED;
}

static const SfFuzzReader pickle_reader = {
  "pickle", "the pickle reader on the stream inside a .pkz (the harness compresses each input)", pickle_tokens,
  pickle_seeds, run_pickle,
};

/* ---- model files ---- */

static const char *const safetensors_tokens[] = {
  "{", "}", "[", "]", "\"", ",", ":", "\\", "\\u0000", "\"__metadata__\"", "\"dtype\"", "\"shape\"",
  "\"data_offsets\"", "\"F32\"", "\"I32\"", "\"I64\"", "\"U8\"", "\"F16\"", "\"spec\"", "\"head\"", "\"margin\"",
  "\"input_size\"", "\"threshold\"", "\"settings\"", "\"history\"", "\"format\"", "\"people\"", "\"paths\"",
  "\"path_bytes\"", "\"image_size\"", "\"model_fingerprint\"", "\"embeddings\"", "\"labels\"", "\"pixels\"",
  "\\\"augment\\\": 1", "\\\"epochs\\\": []", "[[[[[[[[", "%FF", "-1", "4294967296", "1e308", "null", "true",
  /* Suffixes a spec may repeat without end: a long run of them once hung the parser. */
  "-leaky", "-bn", "-elu0.5",
  NULL,
};

/* A history of a few epochs, as training leaves it. */
static SfEpochRecord history[] = {
  { 1, 0.9, 0.55, 0.95, 0.5, 0.3, 2600, 3e-3 },
  { 2, 0.7, 0.71, 0.8, 0.66, 0.3, 2650, 2.9e-3 },
  { 3, 0.5, 0.83, 0.7, 0.74, 0.31, 2640, 2.5e-3 },
};

static gboolean
save_model (GPtrArray *seeds, const char *dir, const char *name, const char *spec, SfHeadKind head, int size,
            GError **error)
{
  g_autoptr (SfModel) model = sf_model_new (spec, head, 2.0f, size, 7, error);
  if (model == NULL)
    return FALSE;
  SfTrainSettings settings = { 0 };
  sf_train_settings_init_preset (&settings, SF_PRESET_COMPACT);
  g_free (settings.spec);
  settings.spec = g_strdup (spec);
  settings.head = head;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  gboolean ok = sf_checkpoint_save (path, model, &settings, history, G_N_ELEMENTS (history), 0.5f,
                                    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                                    "/data/faces", error)
                && add_seed_from_file (seeds, 0, ".safetensors", path, error);
  sf_train_settings_clear (&settings);
  return ok;
}

static gboolean
model_seeds (GPtrArray *seeds, GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("sf-fuzz-seeds-XXXXXX", error);
  if (dir == NULL)
    return FALSE;
  gboolean ok = save_model (seeds, dir, "a.safetensors", GALLERY_SPEC, SF_HEAD_CONTRASTIVE, GALLERY_SIZE, error)
                && save_model (seeds, dir, "b.safetensors", "conv2k3-leaky0.1 pool2 drop0.2 gap dense4-elu l2norm",
                               SF_HEAD_BCE, 8, error);
  g_autofree char *a = g_build_filename (dir, "a.safetensors", NULL);
  g_autofree char *b = g_build_filename (dir, "b.safetensors", NULL);
  g_unlink (a);
  g_unlink (b);
  g_rmdir (dir);
  return ok;
}

static SfFuzzOutcome
run_model (int kind, const char *path, const guint8 *data, gsize size, char **message)
{
  write_input (path, data, size);
  GError *error = NULL;
  g_autoptr (SfCheckpoint) checkpoint = sf_checkpoint_load (path, &error);
  if (checkpoint == NULL)
    return refused ("model", path, error, message);
  /* What was accepted is saved again and must read back. */
  g_autofree char *copy = g_strconcat (path, ".saved.safetensors", NULL);
  if (!sf_checkpoint_save (copy, checkpoint->model, &checkpoint->settings, checkpoint->history,
                           checkpoint->n_history, checkpoint->threshold, checkpoint->dataset_fingerprint,
                           checkpoint->dataset_source, &error))
    {
      if (error == NULL)
        g_error ("model: saving %s failed without an error", path);
      g_clear_error (&error);
      return SF_FUZZ_ACCEPTED;
    }
  g_autoptr (SfCheckpoint) back = sf_checkpoint_load (copy, &error);
  g_unlink (copy);
  return back != NULL ? SF_FUZZ_ACCEPTED : lost (error, message);
}

static const SfFuzzReader model_reader = {
  "model", "model files (safetensors) through sf_checkpoint_load; what loads is saved and must load again",
  safetensors_tokens, model_seeds, run_model,
};

/* ---- galleries ---- */

static SfModel *gallery_model;

static SfModel *
get_gallery_model (void)
{
  if (gallery_model == NULL)
    {
      GError *error = NULL;
      gallery_model = sf_model_new (GALLERY_SPEC, SF_HEAD_CONTRASTIVE, 2.0f, GALLERY_SIZE, 7, &error);
      if (gallery_model == NULL)
        g_error ("the gallery reader's model: %s", error->message);
    }
  return gallery_model;
}

static void
fake_face (float *pixels, int seed)
{
  for (int k = 0; k < GALLERY_SIZE * GALLERY_SIZE; k++)
    pixels[k] = (float) ((k * (seed + 3) + seed * 17) % 97) / 96.0f;
}

static gboolean
gallery_seeds (GPtrArray *seeds, GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("sf-fuzz-seeds-XXXXXX", error);
  if (dir == NULL)
    return FALSE;
  SfModel *model = get_gallery_model ();
  g_autoptr (SfModel) other = sf_model_new (GALLERY_SPEC, SF_HEAD_CONTRASTIVE, 2.0f, GALLERY_SIZE, 8, error);
  if (other == NULL)
    return FALSE;
  float faces[3 * GALLERY_SIZE * GALLERY_SIZE];
  for (int i = 0; i < 3; i++)
    fake_face (faces + i * GALLERY_SIZE * GALLERY_SIZE, i);
  const char *paths[] = { "/faces/ann/1.pgm", "/faces/ann/caf\xe9.pgm", NULL };
  gboolean ok = TRUE;
  for (int variant = 0; ok && variant < 4; variant++)
    {
      g_autoptr (SfGallery) gallery = sf_gallery_new (GALLERY_SIZE);
      SfModel *m = variant == 2 ? other : model;
      if (variant == 0)
        ok = sf_gallery_enroll (gallery, m, "Ann", faces, paths, 2, error)
             && sf_gallery_enroll (gallery, m, "Bob Ö", faces + 2 * GALLERY_SIZE * GALLERY_SIZE, NULL, 1, error);
      else if (variant == 1 || variant == 2)
        ok = sf_gallery_enroll (gallery, m, "Ann", faces, NULL, 3, error);
      /* variant 3: empty */
      g_autofree char *name = g_strdup_printf ("%d.gallery", variant);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      ok = ok && sf_gallery_save (gallery, path, error) && add_seed_from_file (seeds, 0, ".gallery", path, error);
      g_unlink (path);
    }
  g_rmdir (dir);
  return ok;
}

static SfFuzzOutcome
run_gallery (int kind, const char *path, const guint8 *data, gsize size, char **message)
{
  write_input (path, data, size);
  GError *error = NULL;
  g_autoptr (SfGallery) gallery = sf_gallery_load (path, &error);
  if (gallery == NULL)
    return refused ("gallery", path, error, message);

  /* Whatever loads is used as the CLI and the app use it: matched against
   * the model (re-embedded if it is another's), enrolled into, saved, and
   * the saved file must load again. */
  SfModel *model = get_gallery_model ();
  float probe[GALLERY_SIZE * GALLERY_SIZE];
  fake_face (probe, 5);
  int n = 0;
  g_autofree SfCandidate *candidates = sf_gallery_identify (gallery, model, probe, &n, &error);
  if (candidates == NULL)
    {
      if (error == NULL)
        g_error ("gallery: identify on %s failed without an error", path);
      g_clear_error (&error);
      return SF_FUZZ_ACCEPTED;
    }
  const char *probe_path[] = { "/fuzz/probe\xff.pgm" };
  if (!sf_gallery_enroll (gallery, model, "Fuzz", probe, probe_path, 1, &error))
    {
      if (error == NULL)
        g_error ("gallery: enrolling into %s failed without an error", path);
      g_clear_error (&error);
      return SF_FUZZ_ACCEPTED;
    }
  g_autofree char *copy = g_strconcat (path, ".saved.gallery", NULL);
  if (!sf_gallery_save (gallery, copy, &error))
    {
      if (error == NULL)
        g_error ("gallery: saving %s failed without an error", path);
      g_clear_error (&error);
      return SF_FUZZ_ACCEPTED;
    }
  g_autoptr (SfGallery) back = sf_gallery_load (copy, &error);
  g_unlink (copy);
  if (back == NULL)
    return lost (error, message);
  for (int i = 0; i < sf_gallery_get_n_faces (back); i++)
    if (g_strcmp0 (sf_gallery_get_face_path (back, i), sf_gallery_get_face_path (gallery, i)) != 0)
      return lost (g_error_new (SF_ERROR, SF_ERROR_FORMAT, "face %d's path changed in the saved copy", i), message);
  return SF_FUZZ_ACCEPTED;
}

static const SfFuzzReader gallery_reader = {
  "gallery", "galleries through sf_gallery_load; what loads is identified against, enrolled into, saved and "
  "loaded again", safetensors_tokens, gallery_seeds, run_gallery,
};

const SfFuzzReader *const sf_fuzz_readers[] = {
  &dataset_reader, &image_reader, &mat_reader, &pkz_reader, &pickle_reader, &model_reader, &gallery_reader, NULL,
};
