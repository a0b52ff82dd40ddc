/* Every loader on small files the test writes itself, good and bad, and on the
 * real datasets in ../shared/datasets when they are there. */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <png.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "dataset.h"
#include "error.h"
#include "image.h"
#include "sf-test-files.h"

static char *dir;

static char *
write_file (const char *name, const void *data, gsize size)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_mkdir_with_parents (parent, 0755);
  g_assert_true (g_file_set_contents (path, data, (gssize) size, NULL));
  return path;
}

static void
expect_image_error (const char *name, const void *data, gsize size, int code)
{
  GError *error = NULL;
  SfImage *image = sf_image_decode (data, size, name, &error);
  if (image != NULL)
    g_error ("%s decoded, expected error %d", name, code);
  g_assert_error (error, SF_ERROR, code);
  g_assert_true (g_str_has_prefix (error->message, name));
  g_error_free (error);
}

static void
test_pnm (void)
{
  GError *error = NULL;
  const char p2[] = "P2\n# a comment\n3 2\n10\n0 5 10\n10 5 0\n";
  g_autoptr (SfImage) a = sf_image_decode ((const guint8 *) p2, sizeof p2 - 1, "a.pgm", &error);
  g_assert_no_error (error);
  g_assert_cmpint (a->width, ==, 3);
  g_assert_cmpint (a->height, ==, 2);
  g_assert_cmpfloat (a->pixels[1], ==, 0.5f);
  g_assert_cmpfloat (a->pixels[3], ==, 1.0f);

  const guint8 p5[] = { 'P', '5', ' ', '2', ' ', '1', ' ', '2', '5', '5', '\n', 0, 255 };
  g_autoptr (SfImage) b = sf_image_decode (p5, sizeof p5, "b.pgm", &error);
  g_assert_cmpfloat (b->pixels[0], ==, 0.0f);
  g_assert_cmpfloat (b->pixels[1], ==, 1.0f);

  /* 16-bit big-endian samples. */
  const guint8 p5_16[] = { 'P', '5', '\n', '1', ' ', '1', '\n', '6', '5', '5', '3', '5', '\n', 0x80, 0x00 };
  g_autoptr (SfImage) c = sf_image_decode (p5_16, sizeof p5_16, "c.pgm", &error);
  g_assert_cmpfloat_with_epsilon (c->pixels[0], 32768.0f / 65535.0f, 1e-7);

  /* Colour to grey by luma. */
  const guint8 p6[] = { 'P', '6', ' ', '1', ' ', '1', ' ', '2', '5', '5', '\n', 255, 0, 0 };
  g_autoptr (SfImage) d = sf_image_decode (p6, sizeof p6, "d.ppm", &error);
  g_assert_cmpfloat_with_epsilon (d->pixels[0], 0.299f, 1e-6);
  const char p3[] = "P3 1 1 255 0 255 0";
  g_autoptr (SfImage) e = sf_image_decode ((const guint8 *) p3, sizeof p3 - 1, "e.ppm", &error);
  g_assert_cmpfloat_with_epsilon (e->pixels[0], 0.587f, 1e-6);

  const guint8 truncated[] = { 'P', '5', ' ', '4', ' ', '4', ' ', '2', '5', '5', '\n', 1, 2, 3 };
  expect_image_error ("truncated.pgm", truncated, sizeof truncated, SF_ERROR_TRUNCATED);
  const char lying[] = "P5 100000 100000 255\n";
  expect_image_error ("lying.pgm", lying, sizeof lying - 1, SF_ERROR_TOO_LARGE);
  const char maxval0[] = "P2 1 1 0 0";
  expect_image_error ("maxval0.pgm", maxval0, sizeof maxval0 - 1, SF_ERROR_FORMAT);
  const char maxval_big[] = "P2 1 1 70000 0";
  expect_image_error ("maxval70000.pgm", maxval_big, sizeof maxval_big - 1, SF_ERROR_FORMAT);
  const char ascii_short[] = "P2 2 2 9 1 2 3";
  expect_image_error ("short.pgm", ascii_short, sizeof ascii_short - 1, SF_ERROR_TRUNCATED);
  expect_image_error ("magic.pgm", "GIF89a....", 10, SF_ERROR_UNSUPPORTED);
  expect_image_error ("empty.pgm", "", 0, SF_ERROR_TRUNCATED);
  const char header_only[] = "P5 3";
  expect_image_error ("header.pgm", header_only, sizeof header_only - 1, SF_ERROR_FORMAT);

  /* A number with more digits than any side: said to be too large, not printed as -2. */
  const char huge_side[] = "P5 99999999999999 9 255\n";
  GError *huge_error = NULL;
  g_assert_null (sf_image_decode ((const guint8 *) huge_side, sizeof huge_side - 1, "huge.pgm", &huge_error));
  g_assert_error (huge_error, SF_ERROR, SF_ERROR_TOO_LARGE);
  g_assert_null (strstr (huge_error->message, "-2"));
  g_assert_nonnull (strstr (huge_error->message, "more than"));
  g_clear_error (&huge_error);
  const char huge_maxval[] = "P2 1 1 99999999999999 0";
  g_assert_null (sf_image_decode ((const guint8 *) huge_maxval, sizeof huge_maxval - 1, "maxval.pgm", &huge_error));
  g_assert_null (strstr (huge_error->message, "-2"));
  g_assert_nonnull (strstr (huge_error->message, "maxval is more than"));
  g_clear_error (&huge_error);
}

/* A PNG of w×h written by libpng into memory. */
static void
png_write_cb (png_structp png, png_bytep data, png_size_t length)
{
  g_byte_array_append (png_get_io_ptr (png), data, (guint) length);
}

static GByteArray *
make_png (int w, int h, int color_type, int bit_depth, const guint8 *pixels, const png_color *palette, int n_palette)
{
  GByteArray *out = g_byte_array_new ();
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct (png);
  g_assert_cmpint (setjmp (png_jmpbuf (png)), ==, 0);
  png_set_write_fn (png, out, png_write_cb, NULL);
  png_set_IHDR (png, info, w, h, bit_depth, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                PNG_FILTER_TYPE_DEFAULT);
  if (palette != NULL)
    png_set_PLTE (png, info, palette, n_palette);
  png_write_info (png, info);
  int channels = color_type == PNG_COLOR_TYPE_RGB ? 3 : color_type == PNG_COLOR_TYPE_RGBA ? 4 : 1;
  gsize row = (gsize) w * channels * (bit_depth / 8);
  for (int y = 0; y < h; y++)
    png_write_row (png, (png_const_bytep) pixels + y * row);
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);
  return out;
}

static void
test_png (void)
{
  GError *error = NULL;
  const guint8 grey[4] = { 0, 51, 102, 255 };
  g_autoptr (GByteArray) g8 = make_png (2, 2, PNG_COLOR_TYPE_GRAY, 8, grey, NULL, 0);
  g_autoptr (SfImage) a = sf_image_decode (g8->data, g8->len, "grey.png", &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (a->pixels[1], 0.2f, 1e-6);
  g_assert_cmpfloat (a->pixels[3], ==, 1.0f);

  const guint8 grey16[4] = { 0x80, 0x00, 0xff, 0xff };  /* big-endian in the file */
  g_autoptr (GByteArray) g16 = make_png (2, 1, PNG_COLOR_TYPE_GRAY, 16, grey16, NULL, 0);
  g_autoptr (SfImage) b = sf_image_decode (g16->data, g16->len, "grey16.png", &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (b->pixels[0], 32768.0f / 65535.0f, 1e-6);

  const guint8 rgb[3] = { 0, 0, 255 };
  g_autoptr (GByteArray) c8 = make_png (1, 1, PNG_COLOR_TYPE_RGB, 8, rgb, NULL, 0);
  g_autoptr (SfImage) c = sf_image_decode (c8->data, c8->len, "rgb.png", &error);
  g_assert_cmpfloat_with_epsilon (c->pixels[0], 0.114f, 1e-5);

  const guint8 rgba[4] = { 0, 255, 0, 7 };
  g_autoptr (GByteArray) c4 = make_png (1, 1, PNG_COLOR_TYPE_RGBA, 8, rgba, NULL, 0);
  g_autoptr (SfImage) d = sf_image_decode (c4->data, c4->len, "rgba.png", &error);
  g_assert_cmpfloat_with_epsilon (d->pixels[0], 0.587f, 1e-5);

  png_color palette[2] = { { 0, 0, 0 }, { 255, 255, 255 } };
  const guint8 indices[2] = { 1, 0 };
  g_autoptr (GByteArray) pal = make_png (2, 1, PNG_COLOR_TYPE_PALETTE, 8, indices, palette, 2);
  g_autoptr (SfImage) e = sf_image_decode (pal->data, pal->len, "palette.png", &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (e->pixels[0], 1.0f, 1e-5);
  g_assert_cmpfloat (e->pixels[1], ==, 0.0f);

  expect_image_error ("cut.png", g8->data, g8->len - 20, SF_ERROR_TRUNCATED);
  guint8 garbage[64];
  /* A real signature and IHDR header, then bytes that fail the chunk's CRC. */
  memcpy (garbage, g8->data, 16);
  memset (garbage + 16, 0x5a, sizeof garbage - 16);
  expect_image_error ("garbage.png", garbage, sizeof garbage, SF_ERROR_FORMAT);

  /* 10000×10000 stated in a valid IHDR chunk: the message says the limit
   * (libpng alone says only "Invalid IHDR data"). */
  g_autoptr (GByteArray) huge = g_byte_array_new ();
  g_byte_array_append (huge, g8->data, g8->len);
  guint32 sides[2] = { GUINT32_TO_BE (10000), GUINT32_TO_BE (10000) };
  memcpy (huge->data + 16, sides, sizeof sides);
  guint32 crc = GUINT32_TO_BE ((guint32) crc32 (0, huge->data + 12, 17));
  memcpy (huge->data + 29, &crc, 4);
  g_assert_null (sf_image_decode (huge->data, huge->len, "huge.png", &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "10000×10000"));
  g_assert_nonnull (strstr (error->message, "4096"));
  g_clear_error (&error);
}

static void
test_resize (void)
{
  float constant[6 * 4], out[3 * 2];
  for (int k = 0; k < 24; k++)
    constant[k] = 0.3f;
  sf_image_resize_area (constant, 6, 4, out, 3, 2);
  for (int k = 0; k < 6; k++)
    g_assert_cmpfloat_with_epsilon (out[k], 0.3f, 1e-6);
  float src[4 * 4];
  for (int k = 0; k < 16; k++)
    src[k] = (float) k;
  float half[2 * 2];
  sf_image_resize_area (src, 4, 4, half, 2, 2);
  g_assert_cmpfloat_with_epsilon (half[0], (0 + 1 + 4 + 5) / 4.0f, 1e-5);
  g_assert_cmpfloat_with_epsilon (half[3], (10 + 11 + 14 + 15) / 4.0f, 1e-5);
  /* 3 → 2: the middle source pixel is shared half and half. */
  float row[3] = { 0, 3, 6 }, two[2];
  sf_image_resize_area (row, 3, 1, two, 2, 1);
  g_assert_cmpfloat_with_epsilon (two[0], (0 * 1 + 3 * 0.5f) / 1.5f, 1e-5);
  g_assert_cmpfloat_with_epsilon (two[1], (3 * 0.5f + 6) / 1.5f, 1e-5);
}

static void
test_folder (void)
{
  const char face[] = "P2 4 4 15 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15";
  const char *names[] = { "people/s10/1.pgm", "people/s2/1.pgm", "people/s2/2.PGM", "people/s1/10.pgm",
                          "people/s1/9.pgm", "people/s1/notes.txt", "people/.hidden/1.pgm" };
  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    g_free (write_file (names[k], face, sizeof face - 1));
  g_free (write_file ("people/s2/broken.pgm", "P5 4 4 255\n12", 14));
  g_autofree char *empty_person = g_build_filename (dir, "people", "s3", NULL);
  g_mkdir_with_parents (empty_person, 0755);

  g_autofree char *people = g_build_filename (dir, "people", NULL);
  GError *error = NULL;
  SfLoadOptions options = { .size = 8 };
  g_autoptr (SfDataset) dataset = sf_dataset_load (people, &options, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dataset->format, ==, SF_DATASET_FORMAT_FOLDER);
  g_assert_cmpint (dataset->n_people, ==, 3);
  g_assert_cmpstr (dataset->person_names[0], ==, "s1");
  g_assert_cmpstr (dataset->person_names[1], ==, "s2");
  g_assert_cmpstr (dataset->person_names[2], ==, "s10");
  g_assert_cmpint (dataset->n_images, ==, 5);
  g_assert_true (g_str_has_suffix (dataset->image_paths[0], "9.pgm"));
  g_assert_true (g_str_has_suffix (dataset->image_paths[1], "10.pgm"));
  g_assert_cmpint (dataset->labels[4], ==, 2);
  g_assert_cmpint (dataset->width, ==, 8);
  /* Every image was 4 × 4 before it was resized to 8 × 8. */
  g_assert_cmpint (dataset->original_min_width, ==, 4);
  g_assert_cmpint (dataset->original_max_width, ==, 4);
  g_assert_cmpint (dataset->original_min_height, ==, 4);
  g_assert_cmpint (dataset->original_max_height, ==, 4);
  /* The broken image and the empty person are reported by path. */
  g_assert_cmpuint (dataset->warnings->len, ==, 2);
  gboolean named_broken = FALSE;
  for (guint k = 0; k < dataset->warnings->len; k++)
    named_broken |= strstr (dataset->warnings->pdata[k], "broken.pgm") != NULL;
  g_assert_true (named_broken);

  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_cancellable_cancel (cancellable);
  SfLoadOptions cancelled = { .cancellable = cancellable };
  g_assert_null (sf_dataset_load (people, &cancelled, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_CANCELLED);
  g_clear_error (&error);

  /* Images of several sizes: the smallest and the largest side each way. */
  g_free (write_file ("mixed/a/1.pgm", "P2 3 5 15 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14", 44));
  g_free (write_file ("mixed/b/1.pgm", face, sizeof face - 1));
  g_free (write_file ("mixed/b/2.pgm", "P2 6 2 15 0 1 2 3 4 5 6 7 8 9 10 11", 35));
  g_autofree char *mixed = g_build_filename (dir, "mixed", NULL);
  g_autoptr (SfDataset) sizes = sf_dataset_load (mixed, &options, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sizes->n_images, ==, 3);
  g_assert_cmpint (sizes->width, ==, 8);
  g_assert_cmpint (sizes->original_min_width, ==, 3);
  g_assert_cmpint (sizes->original_max_width, ==, 6);
  g_assert_cmpint (sizes->original_min_height, ==, 2);
  g_assert_cmpint (sizes->original_max_height, ==, 5);

  g_autofree char *nothing = g_build_filename (dir, "nothing", NULL);
  g_mkdir (nothing, 0755);
  g_assert_null (sf_dataset_load (nothing, NULL, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_EMPTY);
  g_assert_nonnull (strstr (error->message, nothing));
  g_clear_error (&error);
}

/* A MAT-file with `faces` of 4096 × n; compressed or not, uint8 or double. */
static GByteArray *
make_mat (int n, gboolean compress_it, gboolean as_double, const char *name, gint32 lie_columns)
{
  GByteArray *matrix = g_byte_array_new ();
  guint32 word;
#define PUT32(v) do { word = (v); g_byte_array_append (matrix, (const guint8 *) &word, 4); } while (0)
  PUT32 (6); PUT32 (8); PUT32 (as_double ? 6 : 9); PUT32 (0);           /* array flags */
  PUT32 (5); PUT32 (8); PUT32 (4096); PUT32 (lie_columns ? (guint32) lie_columns : (guint32) n);  /* dims */
  gsize name_len = strlen (name);
  PUT32 (1); PUT32 ((guint32) name_len);
  guint8 padded[16] = { 0 };
  memcpy (padded, name, name_len);
  g_byte_array_append (matrix, padded, (guint) ((name_len + 7) / 8 * 8));
  gsize n_values = (gsize) 4096 * n;
  PUT32 (as_double ? 9 : 2); PUT32 ((guint32) (n_values * (as_double ? 8 : 1)));
  for (gsize k = 0; k < n_values; k++)
    {
      guint8 v = (guint8) ((k * 7 + k / 4096) % 256);
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
  GByteArray *element = g_byte_array_new ();
  guint32 tag[2] = { 14, matrix->len };
  g_byte_array_append (element, (const guint8 *) tag, 8);
  g_byte_array_append (element, matrix->data, matrix->len);
  g_byte_array_unref (matrix);

  GByteArray *file = g_byte_array_new ();
  guint8 header[128];
  memset (header, ' ', 116);
  memcpy (header, "MATLAB 5.0 MAT-file, crafted by a test", 38);
  memset (header + 116, 0, 8);
  header[124] = 0x00;
  header[125] = 0x01;
  header[126] = 'I';
  header[127] = 'M';
  g_byte_array_append (file, header, 128);
  if (compress_it)
    {
      uLongf size = compressBound (element->len);
      guint8 *z = g_malloc (size);
      g_assert_cmpint (compress (z, &size, element->data, element->len), ==, Z_OK);
      guint32 ztag[2] = { 15, (guint32) size };
      g_byte_array_append (file, (const guint8 *) ztag, 8);
      g_byte_array_append (file, z, (guint) size);
      g_free (z);
    }
  else
    g_byte_array_append (file, element->data, element->len);
  g_byte_array_unref (element);
  return file;
}

static void
expect_load_error (const char *path, int code, const char *needle)
{
  GError *error = NULL;
  SfDataset *dataset = sf_dataset_load (path, NULL, &error);
  if (dataset != NULL)
    g_error ("%s loaded, expected an error", path);
  g_assert_error (error, SF_ERROR, code);
  if (strstr (error->message, path) == NULL || strstr (error->message, needle) == NULL)
    g_error ("'%s' lacks the path or '%s'", error->message, needle);
  g_error_free (error);
}

static void
test_matfile (void)
{
  float expected_first = -1;
  for (int variant = 0; variant < 3; variant++)
    {
      g_autoptr (GByteArray) bytes = make_mat (20, variant == 1, variant == 2, "faces", 0);
      g_autofree char *name = g_strdup_printf ("good%d.mat", variant);
      g_autofree char *path = write_file (name, bytes->data, bytes->len);
      GError *error = NULL;
      g_autoptr (SfDataset) dataset = sf_dataset_load (path, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (dataset->n_images, ==, 20);
      g_assert_cmpint (dataset->n_people, ==, 2);
      g_assert_cmpint (dataset->labels[19], ==, 1);
      /* Value at column-major index k = x*64 + y of image i is (k*7 + i) % 256, scaled by 255. */
      int i = 3, y = 5, x = 2;
      gsize k = (gsize) i * 4096 + x * 64 + y;
      float want = (float) ((k * 7 + k / 4096) % 256) / 255.0f;
      g_assert_cmpfloat_with_epsilon (sf_dataset_image (dataset, i)[y * 64 + x], want, 1e-6);
      if (expected_first < 0)
        expected_first = dataset->pixels[100];
      g_assert_cmpfloat (dataset->pixels[100], ==, expected_first);
    }

  g_autoptr (GByteArray) good = make_mat (20, TRUE, FALSE, "faces", 0);
  gsize cuts[] = { 100, 130, 140, 300 };
  for (guint c = 0; c < G_N_ELEMENTS (cuts); c++)
    {
      g_autofree char *name = g_strdup_printf ("cut%u.mat", c);
      g_autofree char *path = write_file (name, good->data, cuts[c]);
      GError *error = NULL;
      g_assert_null (sf_dataset_load (path, NULL, &error));
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, name));
      g_error_free (error);
    }
  g_autoptr (GByteArray) plain = make_mat (20, FALSE, FALSE, "faces", 0);
  g_autofree char *cut_data = write_file ("cut-data.mat", plain->data, plain->len - 5000);
  expect_load_error (cut_data, SF_ERROR_TRUNCATED, "truncated");

  g_autoptr (GByteArray) lying = make_mat (20, FALSE, FALSE, "faces", 2000000000);
  g_autofree char *lying_path = write_file ("lying.mat", lying->data, lying->len);
  expect_load_error (lying_path, SF_ERROR_FORMAT, "4096");

  g_autoptr (GByteArray) other = make_mat (20, FALSE, FALSE, "images", 0);
  g_autofree char *other_path = write_file ("other.mat", other->data, other->len);
  expect_load_error (other_path, SF_ERROR_FORMAT, "no variable named 'faces'");

  g_autoptr (GByteArray) wrong_magic = make_mat (20, FALSE, FALSE, "faces", 0);
  memcpy (wrong_magic->data, "OCTAVE", 6);
  g_autofree char *magic_path = write_file ("magic.mat", wrong_magic->data, wrong_magic->len);
  expect_load_error (magic_path, SF_ERROR_FORMAT, "wrong magic");

  /* A matrix broken before its name (array flags of the wrong type): one
   * error naming the problem, not that error and then "no variable named
   * 'faces'" set over it (a GLib warning, fatal here). */
  g_autoptr (GByteArray) flagless = make_mat (20, FALSE, FALSE, "faces", 0);
  flagless->data[136] = 5;
  g_autofree char *flagless_path = write_file ("flagless.mat", flagless->data, flagless->len);
  expect_load_error (flagless_path, SF_ERROR_FORMAT, "a matrix without array flags");

  g_autoptr (GByteArray) corrupt = make_mat (20, TRUE, FALSE, "faces", 0);
  memset (corrupt->data + 150, 0xff, 40);
  g_autofree char *corrupt_path = write_file ("corrupt.mat", corrupt->data, corrupt->len);
  GError *error = NULL;
  g_assert_null (sf_dataset_load (corrupt_path, NULL, &error));
  g_assert_nonnull (strstr (error->message, "corrupt.mat"));
  g_clear_error (&error);
}

/* The opcodes of joblib's dump of a uint8 (n, 4096) array, as in the real cache. */
static GByteArray *
make_pkz (int n, const char *wrapper_module, const char *dtype, gboolean truncate_data)
{
  GByteArray *p = g_byte_array_new ();
#define RAW(s, len) g_byte_array_append (p, (const guint8 *) (s), (len))
#define STR(s) do { guint8 op = 0x8c, l = (guint8) strlen (s); RAW (&op, 1); RAW (&l, 1); RAW (s, l); RAW ("\x94", 1); } while (0)
  RAW ("\x80\x04", 2);
  STR (wrapper_module); STR ("NumpyArrayWrapper"); RAW ("\x93\x94)\x81\x94}\x94(", 8);
  STR ("subclass"); STR ("numpy"); STR ("ndarray"); RAW ("\x93\x94", 2);
  STR ("shape"); RAW ("M", 1); guint16 rows = (guint16) n; RAW (&rows, 2); RAW ("M\x00\x10\x86\x94", 5);
  STR ("order"); STR ("C");
  STR ("dtype"); RAW ("h\x06h\x0d\x93\x94", 6); STR (dtype); RAW ("\x89\x88\x87\x94R\x94(K\x03", 9);
  STR ("|"); RAW ("NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00" "t\x94" "b", 18);
  STR ("allow_mmap"); RAW ("\x88", 1); STR ("numpy_array_alignment_bytes"); RAW ("K\x10ub", 4);
  RAW ("\x03\xff\xff\xff", 4);
  gsize n_bytes = (gsize) n * 4096;
  for (gsize k = 0; k < (truncate_data ? n_bytes / 2 : n_bytes); k++)
    {
      guint8 v = (guint8) ((k * 7 + k / 4096) % 256);
      RAW (&v, 1);
    }
  if (!truncate_data)
    RAW (".", 1);
#undef STR
#undef RAW
  uLongf size = compressBound (p->len);
  GByteArray *z = g_byte_array_sized_new ((guint) size);
  g_byte_array_set_size (z, (guint) size);
  g_assert_cmpint (compress (z->data, &size, p->data, p->len), ==, Z_OK);
  g_byte_array_set_size (z, (guint) size);
  g_byte_array_unref (p);
  return z;
}

static void
test_pickle (void)
{
  g_autoptr (GByteArray) good = make_pkz (20, "joblib.numpy_pickle", "u1", FALSE);
  g_autofree char *path = write_file ("good.pkz", good->data, good->len);
  GError *error = NULL;
  g_autoptr (SfDataset) dataset = sf_dataset_load (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dataset->format, ==, SF_DATASET_FORMAT_PKZ);
  /* The same values as the crafted .mat: the two loaders agree. */
  g_autoptr (GByteArray) mat = make_mat (20, FALSE, FALSE, "faces", 0);
  g_autofree char *mat_path = write_file ("same.mat", mat->data, mat->len);
  g_autoptr (SfDataset) from_mat = sf_dataset_load (mat_path, NULL, &error);
  g_autofree char *f1 = sf_dataset_fingerprint (dataset);
  g_autofree char *f2 = sf_dataset_fingerprint (from_mat);
  g_assert_cmpstr (f1, ==, f2);

  g_autoptr (GByteArray) evil = make_pkz (20, "os", "u1", FALSE);
  /* "os" + "NumpyArrayWrapper" is not an allowed global. */
  g_autofree char *evil_path = write_file ("evil.pkz", evil->data, evil->len);
  expect_load_error (evil_path, SF_ERROR_UNSUPPORTED, "names the global os.NumpyArrayWrapper");

  /* Bytes from the file reach the message escaped: no terminal escape
   * sequence, no line break. */
  g_autoptr (GByteArray) painted = make_pkz (20, "os\x1b[2J\nrm", "u1", FALSE);
  g_autofree char *painted_path = write_file ("painted.pkz", painted->data, painted->len);
  expect_load_error (painted_path, SF_ERROR_UNSUPPORTED, "global os\\e[2J\\nrm.NumpyArrayWrapper");
  g_autoptr (GByteArray) painted_dtype = make_pkz (20, "joblib.numpy_pickle", "\x1b]0;\x07", FALSE);
  g_autofree char *painted_dtype_path = write_file ("painted-dtype.pkz", painted_dtype->data, painted_dtype->len);
  expect_load_error (painted_dtype_path, SF_ERROR_UNSUPPORTED, "'\\e]0;\\x07'");

  g_autoptr (GByteArray) float_array = make_pkz (20, "joblib.numpy_pickle", "f8", FALSE);
  g_autofree char *dtype_path = write_file ("dtype.pkz", float_array->data, float_array->len);
  expect_load_error (dtype_path, SF_ERROR_UNSUPPORTED, "'f8'");

  g_autoptr (GByteArray) short_data = make_pkz (20, "joblib.numpy_pickle", "u1", TRUE);
  g_autofree char *short_path = write_file ("short.pkz", short_data->data, short_data->len);
  expect_load_error (short_path, SF_ERROR_TRUNCATED, "truncated");

  g_autofree char *cut_path = write_file ("cut.pkz", good->data, good->len / 2);
  expect_load_error (cut_path, SF_ERROR_TRUNCATED, "truncated");

  g_autofree char *noise = write_file ("noise.pkz", "this is not zlib at all", 23);
  expect_load_error (noise, SF_ERROR_FORMAT, "zlib");

  /* An opcode outside the recognised set (GLOBAL 'c'), compressed. */
  const char evil_pickle[] = "\x80\x02" "cos\nsystem\n" "\x94.";
  uLongf size = 128;
  guint8 z[128];
  g_assert_cmpint (compress (z, &size, (const guint8 *) evil_pickle, sizeof evil_pickle - 1), ==, Z_OK);
  g_autofree char *global_path = write_file ("global.pkz", z, size);
  expect_load_error (global_path, SF_ERROR_UNSUPPORTED, "opcode 0x63");
}

static void
test_real_datasets (void)
{
  const char *root = g_getenv ("SF_DATASETS_DIR");
  g_autofree char *mat = root ? g_build_filename (root, "olivetti", "olivettifaces.mat", NULL) : NULL;
  g_autofree char *pkz = root ? g_build_filename (root, "olivetti", "olivetti_py3.pkz", NULL) : NULL;
  g_autofree char *orl = root ? g_build_filename (root, "att_faces", NULL) : NULL;
  if (root == NULL || !g_file_test (mat, G_FILE_TEST_EXISTS) || !g_file_test (pkz, G_FILE_TEST_EXISTS)
      || !g_file_test (orl, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("../shared/datasets is absent: the real Olivetti and ORL files were not tested");
      return;
    }
  GError *error = NULL;
  g_autoptr (SfDataset) a = sf_dataset_load (mat, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (SfDataset) b = sf_dataset_load (pkz, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (a->n_images, ==, 400);
  g_assert_cmpint (a->n_people, ==, 40);
  g_assert_cmpmem (a->pixels, 400 * 4096 * sizeof (float), b->pixels, 400 * 4096 * sizeof (float));
  /* Values of sklearn's fetch_olivetti_faces().images, computed with scipy.io.loadmat and the
   * recipe of the datasets' README: images[7, 10, 20], images[399, 63, 0], images[123, 31, 45]. */
  g_assert_cmpfloat_with_epsilon (sf_dataset_image (a, 7)[10 * 64 + 20], 0.5041322f, 1e-6);
  g_assert_cmpfloat_with_epsilon (sf_dataset_image (a, 399)[63 * 64 + 0], 0.3677686f, 1e-6);
  g_assert_cmpfloat_with_epsilon (sf_dataset_image (a, 123)[31 * 64 + 45], 0.78099173f, 1e-6);

  g_autoptr (SfDataset) faces = sf_dataset_load (orl, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (faces->n_images, ==, 400);
  g_assert_cmpint (faces->n_people, ==, 40);
  g_assert_cmpstr (faces->person_names[1], ==, "s2");
  g_assert_cmpstr (faces->person_names[39], ==, "s40");
  /* ORL's images are 92 × 112, resized to 64 × 64 on loading. */
  g_assert_cmpint (faces->width, ==, 64);
  g_assert_cmpint (faces->original_min_width, ==, 92);
  g_assert_cmpint (faces->original_max_width, ==, 92);
  g_assert_cmpint (faces->original_min_height, ==, 112);
  g_assert_cmpint (faces->original_max_height, ==, 112);
  /* Olivetti's are 64 × 64 to begin with. */
  g_assert_cmpint (a->original_min_width, ==, 64);
  g_assert_cmpint (b->original_max_height, ==, 64);
  g_autofree int *counts = sf_dataset_person_counts (faces);
  for (int p = 0; p < 40; p++)
    g_assert_cmpint (counts[p], ==, 10);
  for (int k = 0; k < 400 * 4096; k++)
    g_assert_true (faces->pixels[k] >= 0 && faces->pixels[k] <= 1);
}

/* Loads path expecting SF_ERROR_IO with every needle in the message. */
static void
expect_io_error (const char *path, gboolean as_image, const char *needle)
{
  GError *error = NULL;
  if (as_image)
    g_assert_null (sf_image_load (path, &error));
  else
    g_assert_null (sf_dataset_load (path, NULL, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_IO);
  if (strstr (error->message, path) == NULL || strstr (error->message, needle) == NULL)
    g_error ("'%s' lacks the path or '%s'", error->message, needle);
  g_error_free (error);
}

/* Run in a subprocess with a timeout and (outside AddressSanitizer, which
 * maps terabytes) a memory ceiling: a loader that blocks on a FIFO or reads
 * /dev/zero without end fails the test instead of hanging or eating memory. */
static void
special_files (void)
{
#ifndef __SANITIZE_ADDRESS__
  struct rlimit limit = { (rlim_t) 1 << 30, (rlim_t) 1 << 30 };
  g_assert_cmpint (setrlimit (RLIMIT_AS, &limit), ==, 0);
#endif
  const char face[] = "P2 2 2 15 0 5 10 15";
  g_free (write_file ("specials/s1/1.pgm", face, sizeof face - 1));
  g_free (write_file ("specials/s2/1.pgm", face, sizeof face - 1));
  g_autofree char *fifo = g_build_filename (dir, "specials", "s1", "face.pgm", NULL);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_autofree char *zero = g_build_filename (dir, "specials", "s2", "zero.pgm", NULL);
  g_assert_cmpint (symlink ("/dev/zero", zero), ==, 0);

  /* In a folder: skipped with a warning each, the rest loads. */
  g_autofree char *people = g_build_filename (dir, "specials", NULL);
  GError *error = NULL;
  g_autoptr (SfDataset) dataset = sf_dataset_load (people, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dataset->n_images, ==, 2);
  g_assert_cmpuint (dataset->warnings->len, ==, 2);
  g_assert_nonnull (strstr (dataset->warnings->pdata[0], "face.pgm: a FIFO"));
  g_assert_nonnull (strstr (dataset->warnings->pdata[1], "zero.pgm: a device"));

  /* One by one, as images (verify, enrol) and as datasets. */
  expect_io_error (fifo, TRUE, "FIFO");
  expect_io_error (zero, TRUE, "device");
  const char *names[] = { "zero.mat", "zero.pkz" };
  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    {
      g_autofree char *link = g_build_filename (dir, names[k], NULL);
      g_assert_cmpint (symlink ("/dev/zero", link), ==, 0);
      expect_io_error (link, FALSE, "device");
    }
  g_autofree char *fifo_mat = g_build_filename (dir, "fifo.mat", NULL);
  g_assert_cmpint (mkfifo (fifo_mat, 0600), ==, 0);
  expect_io_error (fifo_mat, FALSE, "FIFO");

  /* A loop of links is said to be one, not "no such file". */
  g_autofree char *loop_a = g_build_filename (dir, "loop-a", NULL);
  g_autofree char *loop_b = g_build_filename (dir, "loop-b", NULL);
  g_assert_cmpint (symlink (loop_b, loop_a), ==, 0);
  g_assert_cmpint (symlink (loop_a, loop_b), ==, 0);
  expect_io_error (loop_a, FALSE, "symbolic links that loop");
  expect_io_error (loop_a, TRUE, "symbolic links that loop");

  /* A regular file larger than the format allows is refused by its size,
   * before a byte is read (sparse: it takes no room). */
  const char *big_names[] = { "big.pgm", "big.mat", "big.pkz" };
  for (guint k = 0; k < G_N_ELEMENTS (big_names); k++)
    {
      g_autofree char *big = g_build_filename (dir, big_names[k], NULL);
      int fd = g_open (big, O_WRONLY | O_CREAT | O_TRUNC, 0600);
      g_assert_cmpint (fd, >=, 0);
      g_assert_cmpint (ftruncate (fd, (off_t) 300 << 20), ==, 0);
      close (fd);
      if (k == 0)
        g_assert_null (sf_image_load (big, &error));
      else
        g_assert_null (sf_dataset_load (big, NULL, &error));
      g_assert_error (error, SF_ERROR, SF_ERROR_TOO_LARGE);
      g_assert_nonnull (strstr (error->message, "too large for"));
      g_clear_error (&error);
    }
}

static void
test_special_files (void)
{
  if (g_test_subprocess ())
    {
      special_files ();
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dir = g_dir_make_tmp ("sf-loaders-XXXXXX", NULL);
  g_test_add_func ("/loaders/pnm", test_pnm);
  g_test_add_func ("/loaders/png", test_png);
  g_test_add_func ("/loaders/resize", test_resize);
  g_test_add_func ("/loaders/folder", test_folder);
  g_test_add_func ("/loaders/matfile", test_matfile);
  g_test_add_func ("/loaders/pickle", test_pickle);
  g_test_add_func ("/loaders/special-files", test_special_files);
  g_test_add_func ("/loaders/real-datasets", test_real_datasets);
  int status = g_test_run ();
  sf_test_remove_tree (dir);
  g_free (dir);
  return status;
}
