/* siamese-faces-cli: the engine from a terminal — one subcommand per task,
 * one line on stderr and a non-zero exit for anything that goes wrong. */
#include <glib.h>
#include <glib/gstdio.h>
#include <glib/gi18n.h>
#include <errno.h>
#include <unistd.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli-common.h"
#include "blas.h"
#include "parallel.h"
#include "dataset.h"
#include "error.h"
#include "npy.h"
#include "pairs.h"

typedef struct {
  const char *name;
  const char *args;
  const char *summary;
  int (*run) (int argc, char **argv);
} Command;

int cli_image_size = SF_DEFAULT_IMAGE_SIZE;

static GOptionEntry common_entries[] = {
  { "size", 0, 0, G_OPTION_ARG_INT, &cli_image_size, "Side of the square images the model sees (default 64)", "N" },
  { NULL }
};

/* The subcommand running, for the one line when no error says more. */
static const char *current_command = "siamese-faces-cli";

void
cli_fail_with (GError *error)
{
  if (error == NULL)
    {
      g_printerr ("siamese-faces-cli: %s failed, and no reason was given\n", current_command);
      return;
    }
  g_printerr ("siamese-faces-cli: %s\n", error->message);
  g_error_free (error);
}

/* Parses options common to every subcommand plus `entries`; on error prints
 * one line and returns FALSE. */
gboolean
cli_parse_options (const char *command, const char *args, GOptionEntry *entries,
               int *argc, char ***argv)
{
  g_autofree char *parameter = g_strdup_printf ("%s %s", command, args);
  g_autoptr (GOptionContext) context = g_option_context_new (parameter);
  g_option_context_add_main_entries (context, common_entries, NULL);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, NULL);
  GError *error = NULL;
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      cli_fail_with (error);
      return FALSE;
    }
  return TRUE;
}

SfDataset *
cli_load_dataset (int argc, char **argv, int dataset_index, int max_positional)
{
  if (argc - 1 > max_positional)
    {
      g_printerr ("siamese-faces-cli: %s: unexpected argument '%s'\n", argv[0], argv[max_positional + 1]);
      return NULL;
    }
  if (cli_image_size <= 0 || cli_image_size > SF_MAX_IMAGE_SIDE)
    {
      g_printerr ("siamese-faces-cli: --size %d: expected 1 to %d\n", cli_image_size, SF_MAX_IMAGE_SIDE);
      return NULL;
    }
  SfLoadOptions options = { .size = cli_image_size };
  GError *error = NULL;
  SfDataset *dataset = sf_dataset_load (argc > dataset_index ? argv[dataset_index] : NULL, &options, &error);
  if (dataset == NULL)
    {
      cli_fail_with (error);
      return NULL;
    }
  for (guint k = 0; k < dataset->warnings->len; k++)
    g_printerr ("siamese-faces-cli: warning: %s\n", (const char *) dataset->warnings->pdata[k]);
  return dataset;
}

static int
run_info (int argc, char **argv)
{
  if (!cli_parse_options ("info", "[DATASET | MODEL.safetensors]", NULL, &argc, &argv))
    return 2;
  if (argc > 1 && g_str_has_suffix (argv[1], ".safetensors"))
    return cli_run_model_info (argc, argv);
  g_autoptr (SfDataset) dataset = cli_load_dataset (argc, argv, 1, 1);
  if (dataset == NULL)
    return 1;

  g_autofree char *fingerprint = sf_dataset_fingerprint (dataset);
  g_autofree int *counts = sf_dataset_person_counts (dataset);
  int lo = G_MAXINT, hi = 0;
  for (int p = 0; p < dataset->n_people; p++)
    {
      lo = MIN (lo, counts[p]);
      hi = MAX (hi, counts[p]);
    }
  g_print ("Dataset:     %s\n", dataset->source != NULL ? dataset->source : "(built-in demo faces)");
  g_print ("Format:      %s\n", sf_dataset_format_name (dataset->format));
  g_print ("Images:      %d\n", dataset->n_images);
  g_print ("People:      %d\n", dataset->n_people);
  g_print ("Image size:  %d×%d\n", dataset->width, dataset->height);
  g_print ("Per person:  %d to %d images\n", lo, hi);
  g_print ("Fingerprint: %s\n", fingerprint);
  if (dataset->warnings->len > 0)
    g_print ("Skipped:     %u files (listed on stderr)\n", dataset->warnings->len);
  g_print ("\n%-24s %s\n", "Person", "Images");
  for (int p = 0; p < dataset->n_people; p++)
    g_print ("%-24s %d\n", dataset->person_names[p], counts[p]);
  return 0;
}

static int
run_export (int argc, char **argv)
{
  g_autofree char *images_path = NULL;
  g_autofree char *labels_path = NULL;
  GOptionEntry entries[] = {
    { "images", 0, 0, G_OPTION_ARG_FILENAME, &images_path, "Write the images as float32 N×H×W", "FILE.npy" },
    { "labels", 0, 0, G_OPTION_ARG_FILENAME, &labels_path, "Write the person labels as int32 N", "FILE.npy" },
    { NULL }
  };
  if (!cli_parse_options ("export", "[DATASET]", entries, &argc, &argv))
    return 2;
  if (images_path == NULL && labels_path == NULL)
    {
      g_printerr ("siamese-faces-cli: export: give --images FILE.npy, --labels FILE.npy or both\n");
      return 2;
    }
  g_autoptr (SfDataset) dataset = cli_load_dataset (argc, argv, 1, 1);
  if (dataset == NULL)
    return 1;

  GError *error = NULL;
  if (images_path != NULL)
    {
      gsize shape[3] = { dataset->n_images, dataset->height, dataset->width };
      if (!sf_npy_write_float32 (images_path, dataset->pixels, shape, 3, &error))
        {
          cli_fail_with (error);
          return 1;
        }
      g_print ("Wrote %s: float32 %d×%d×%d\n", images_path, dataset->n_images, dataset->height, dataset->width);
    }
  if (labels_path != NULL)
    {
      gsize shape[1] = { dataset->n_images };
      G_STATIC_ASSERT (sizeof (int) == sizeof (gint32));
      if (!sf_npy_write_int32 (labels_path, (const gint32 *) dataset->labels, shape, 1, &error))
        {
          cli_fail_with (error);
          return 1;
        }
      g_print ("Wrote %s: int32 %d\n", labels_path, dataset->n_images);
    }
  return 0;
}

static gboolean
write_pairs_csv (FILE *out, const SfDataset *dataset, const char *split,
                 const SfPair *pairs, int n_pairs)
{
  for (int k = 0; k < n_pairs; k++)
    {
      const SfPair *pair = &pairs[k];
      const char *path_a = dataset->image_paths[pair->a];
      const char *path_b = dataset->image_paths[pair->b];
      if (fprintf (out, "%s,%d,%d,%d,%s,%s,%s,%s\n", split, pair->a, pair->b, pair->same > 0.5f,
                   dataset->person_names[dataset->labels[pair->a]],
                   dataset->person_names[dataset->labels[pair->b]],
                   path_a != NULL ? path_a : "", path_b != NULL ? path_b : "") < 0)
        return FALSE;
    }
  return TRUE;
}

static int
count_same (const SfPair *pairs, int n_pairs)
{
  int same = 0;
  for (int k = 0; k < n_pairs; k++)
    same += pairs[k].same > 0.5f;
  return same;
}

static int
run_pairs (int argc, char **argv)
{
  gint64 seed = 0;
  double share = 0;
  g_autofree char *split_name = NULL;
  g_autofree char *csv_path = NULL;
  GOptionEntry entries[] = {
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the pair generator (default 0)", "N" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &split_name, "How validation is held out: pairs (default), images or people", "KIND" },
    { "share", 0, 0, G_OPTION_ARG_DOUBLE, &share, "Share held out (default: 0.1 pairs, 0.2 images, 0.25 people)", "X" },
    { "csv", 0, 0, G_OPTION_ARG_FILENAME, &csv_path, "Write every pair as CSV (- for standard output)", "FILE" },
    { NULL }
  };
  if (!cli_parse_options ("pairs", "[DATASET]", entries, &argc, &argv))
    return 2;
  SfSplitKind kind = SF_SPLIT_PAIRS;
  if (split_name != NULL && !sf_split_kind_parse (split_name, &kind))
    {
      g_printerr ("siamese-faces-cli: --split %s: expected pairs, images or people\n", split_name);
      return 2;
    }
  if (seed < 0)
    {
      g_printerr ("siamese-faces-cli: --seed %" G_GINT64_FORMAT ": expected a non-negative number\n", seed);
      return 2;
    }
  if (share < 0 || share >= 1)
    {
      g_printerr ("siamese-faces-cli: --share %g: expected a number in (0, 1)\n", share);
      return 2;
    }
  g_autoptr (SfDataset) dataset = cli_load_dataset (argc, argv, 1, 1);
  if (dataset == NULL)
    return 1;

  GError *error = NULL;
  g_autoptr (SfPairSet) pairs = sf_pairs_generate (dataset, kind, share, (guint64) seed, &error);
  if (pairs == NULL)
    {
      cli_fail_with (error);
      return 1;
    }

  gboolean to_stdout = csv_path != NULL && strcmp (csv_path, "-") == 0;
  FILE *summary = to_stdout ? stderr : stdout;
  int train_same = count_same (pairs->train, pairs->n_train);
  int validation_same = count_same (pairs->validation, pairs->n_validation);
  fprintf (summary, "Split:       %s, %.0f%% held out, seed %" G_GINT64_FORMAT "\n",
           sf_split_kind_name (kind), pairs->validation_share * 100, seed);
  fprintf (summary, "Training:    %d pairs (%d same, %d different)\n",
           pairs->n_train, train_same, pairs->n_train - train_same);
  fprintf (summary, "Validation:  %d pairs (%d same, %d different)\n",
           pairs->n_validation, validation_same, pairs->n_validation - validation_same);
  for (int k = 0; k < pairs->n_lonely_people; k++)
    g_printerr ("siamese-faces-cli: warning: %s has a single image: no positive pair\n",
                dataset->person_names[pairs->lonely_people[k]]);

  if (csv_path == NULL)
    return 0;

  FILE *out = to_stdout ? stdout : NULL;
  g_autofree char *tmp_path = NULL;
  if (!to_stdout)
    {
      /* Written beside the target, then renamed: an interrupted run never leaves half a file. */
      tmp_path = g_strdup_printf ("%s.tmp-XXXXXX", csv_path);
      int fd = g_mkstemp (tmp_path);
      if (fd < 0 || (out = fdopen (fd, "w")) == NULL)
        {
          g_printerr ("siamese-faces-cli: %s: %s\n", csv_path, g_strerror (errno));
          return 1;
        }
    }
  gboolean ok = fprintf (out, "split,a,b,same,person_a,person_b,path_a,path_b\n") >= 0
                && write_pairs_csv (out, dataset, "train", pairs->train, pairs->n_train)
                && write_pairs_csv (out, dataset, "validation", pairs->validation, pairs->n_validation)
                && fflush (out) == 0;
  if (!to_stdout)
    {
      ok = ok && fsync (fileno (out)) == 0;
      ok = (fclose (out) == 0) && ok;
      ok = ok && g_rename (tmp_path, csv_path) == 0;
      if (!ok)
        g_unlink (tmp_path);
    }
  if (!ok)
    {
      g_printerr ("siamese-faces-cli: %s: %s\n", to_stdout ? "standard output" : csv_path, g_strerror (errno));
      return 1;
    }
  return 0;
}

static const Command commands[] = {
  { "info", "[DATASET | MODEL.safetensors]", "Format, images, people, size, per-person counts and fingerprint; or what a model file says", run_info },
  { "export", "[DATASET] --images FILE.npy --labels FILE.npy", "Write the images and labels as NumPy arrays", run_export },
  { "pairs", "[DATASET] [--seed N] [--split KIND] [--csv FILE]", "The training and validation pairs", run_pairs },
  { "train", "[DATASET] [--preset article|compact] [--epochs N] ... -o MODEL", "Train a Siamese network", cli_run_train },
  { "eval", "MODEL [DATASET] [--json]", "Accuracy, ROC AUC, EER, TAR at FAR 1%, rank-1", cli_run_eval },
  { "embed", "MODEL [DATASET] -o FILE.npy", "The embedding of every image", cli_run_embed },
  { "export-onnx", "MODEL -o FILE.onnx", "The tower (image → embedding) as ONNX, for OpenCV or onnxruntime", cli_run_export_onnx },
  { "similarity", "MODEL [DATASET] --image INDEX|PATH", "A face against one face of every person", cli_run_similarity },
  { "bench", "[--preset article|compact] [--epochs N]", "Seconds per epoch, GFLOP/s, peak memory", cli_run_bench },
  { "enroll", "MODEL GALLERY --name NAME IMAGE|FOLDER...", "Add a person to a gallery, no retraining", cli_run_enroll },
  { "identify", "MODEL GALLERY IMAGE [--top K]", "Who in the gallery a face is, or unknown", cli_run_identify },
  { "verify", "MODEL IMAGE IMAGE", "Whether two faces are the same person", cli_run_verify },
  { "sweep", "[DATASET] --grid NAME=V1,V2 | --random N --range NAME=LO:HI[:log] [--seeds 0-4] ...", "Train over a grid or a random search of settings, each over several seeds", cli_run_sweep },
  { "export-pytorch", "[MODEL] [--preset NAME] [--spec SPEC] ... -o FILE.py", "A PyTorch program that trains the network on one process or under torchrun", cli_run_export_pytorch },
  { "runs", "[--runs DIR] [--group G] [--csv FILE] [--rename ID=NAME] [--delete ID]", "The recorded runs, a group's mean ± sd over seeds", cli_run_runs },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: siamese-faces-cli COMMAND [OPTIONS] [DATASET]\n\n"
                "DATASET is a folder of per-person subfolders (e.g. the AT&T/ORL faces), an\n"
                "Olivetti .mat file or a scikit-learn olivetti_py3.pkz; without it the built-in\n"
                "demo faces are used.\n\nCommands:\n");
  for (gsize k = 0; k < G_N_ELEMENTS (commands); k++)
    fprintf (out, "  %-8s %s\n           %s\n", commands[k].name, commands[k].args, commands[k].summary);
  fprintf (out, "\nRun 'siamese-faces-cli COMMAND --help' for a command's options.\n");
}

int
main (int argc, char **argv)
{
  /* Before anything else: it may re-execute the program with OpenBLAS's AVX-512 kernels. */
  sf_blas_reexec_for_fast_kernels (argc, argv);
  setlocale (LC_ALL, "");
  /* The engine's error messages are translated. */
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  /* No window shares the cores: the engine's workers may watch for their next loop. */
  sf_parallel_set_spin (200);

  if (argc < 2)
    {
      print_usage (stderr);
      return 2;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return 0;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      g_print ("siamese-faces-cli %s\n", PACKAGE_VERSION);
      return 0;
    }
  for (gsize k = 0; k < G_N_ELEMENTS (commands); k++)
    if (strcmp (argv[1], commands[k].name) == 0)
      {
        current_command = commands[k].name;
        return commands[k].run (argc - 1, argv + 1);
      }

  g_printerr ("siamese-faces-cli: unknown command '%s' (try --help)\n", argv[1]);
  return 2;
}
