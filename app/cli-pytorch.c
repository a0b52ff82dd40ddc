/* siamese-faces-cli export-pytorch: the PyTorch training program of a model
 * file, or of a preset or spec with train's options. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "cli-common.h"
#include "atomic-file.h"
#include "checkpoint.h"
#include "pytorch-export.h"
#include "spec.h"

/* TRUE when the options change nothing of the default preset's settings. */
static gboolean
options_are_default (CliSettingsOptions *options)
{
  SfTrainSettings given = { 0 }, preset = { 0 };
  GError *error = NULL;
  gboolean ok = cli_settings_options_apply (options, &given, &error);
  g_clear_error (&error);
  sf_train_settings_init_preset (&preset, SF_PRESET_COMPACT);
  g_autofree char *a = ok ? sf_train_settings_to_json (&given) : g_strdup ("");
  g_autofree char *b = sf_train_settings_to_json (&preset);
  sf_train_settings_clear (&given);
  sf_train_settings_clear (&preset);
  return strcmp (a, b) == 0;
}

int
cli_run_export_pytorch (int argc, char **argv)
{
  g_autofree char *output = NULL;
  GOptionEntry own[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the program here (- for standard output)", "FILE.py" },
  };
  CliSettingsOptions *settings_options = cli_settings_options_new ();
  int n_settings_entries = 0;
  g_autofree GOptionEntry *settings_entries = cli_settings_options_entries (settings_options, &n_settings_entries);
  g_autofree GOptionEntry *entries = g_new0 (GOptionEntry, G_N_ELEMENTS (own) + n_settings_entries + 1);
  memcpy (entries, own, sizeof own);
  memcpy (entries + G_N_ELEMENTS (own), settings_entries, n_settings_entries * sizeof (GOptionEntry));

  int status = 2;
  SfTrainSettings settings = { 0 };
  g_autoptr (SfCheckpoint) checkpoint = NULL;
  g_autoptr (SfModel) built = NULL;
  SfModel *model = NULL;
  GError *error = NULL;
  if (!cli_parse_options ("export-pytorch", "[MODEL] [--preset NAME] [--spec SPEC] ... -o FILE.py", entries, &argc,
                          &argv))
    goto out;
  if (output == NULL)
    {
      g_printerr ("siamese-faces-cli: export-pytorch: give -o FILE.py, where the program goes\n");
      goto out;
    }
  if (argc > 2)
    {
      g_printerr ("siamese-faces-cli: export-pytorch: unexpected argument '%s'\n", argv[2]);
      goto out;
    }
  status = 1;
  if (argc == 2)
    {
      /* The model's own network and settings; the program's --epochs, --batch, --lr and --seed change a run. */
      if (!options_are_default (settings_options))
        {
          g_printerr ("siamese-faces-cli: export-pytorch: training options go with a preset or a spec, not with a "
                      "MODEL (the program takes --epochs, --batch, --lr and --seed)\n");
          status = 2;
          goto out;
        }
      checkpoint = sf_checkpoint_load (argv[1], &error);
      if (checkpoint == NULL)
        goto failed;
      model = checkpoint->model;
      sf_train_settings_copy (&settings, &checkpoint->settings);
    }
  else
    {
      if (!cli_settings_options_apply (settings_options, &settings, &error))
        {
          status = 2;
          goto failed;
        }
      if (cli_image_size <= 0 || cli_image_size > SF_SPEC_MAX_INPUT)
        {
          g_printerr ("siamese-faces-cli: --size %d: expected 1 to %d\n", cli_image_size, SF_SPEC_MAX_INPUT);
          status = 2;
          goto out;
        }
      built = sf_model_new (settings.spec, settings.head, settings.margin, cli_image_size, settings.seed, &error);
      if (built == NULL)
        goto failed;
      model = built;
    }

  if (settings.identity_loss != SF_IDENTITY_LOSS_NONE)
    {
      g_printerr ("siamese-faces-cli: export-pytorch: the PyTorch program trains with the pair losses only, not %s "
                  "(use --loss pairs)\n", sf_identity_loss_name (settings.identity_loss));
      goto out;
    }
  {
    g_autofree char *program = sf_pytorch_program (model, &settings, &error);
    if (program == NULL)
      goto failed;
    if (strcmp (output, "-") == 0)
      {
        g_print ("%s", program);
        status = 0;
        goto out;
      }
    if (!sf_atomic_file_save (output, program, strlen (program), &error))
      goto failed;
    g_chmod (output, 0755);
    g_printerr ("Wrote %s: %s, input %d×%d. Run it with\n"
                "  python3 %s FOLDER -o MODEL.safetensors\n"
                "  torchrun --nproc_per_node=N %s FOLDER -o MODEL.safetensors\n",
                output, sf_model_get_spec (model), sf_model_get_input_size (model), sf_model_get_input_size (model),
                output, output);
    status = 0;
    goto out;
  }

failed:
  cli_fail_with (error);
out:
  sf_train_settings_clear (&settings);
  cli_settings_options_free (settings_options);
  return status;
}
