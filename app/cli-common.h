/* What the subcommands of siamese-faces-cli share: option parsing, loading the
 * dataset argument, and reporting an error as one line. */
#pragma once

#include <glib.h>

#include "dataset.h"
#include "evaluation.h"
#include "trainer.h"

G_BEGIN_DECLS

/* --size, common to every subcommand. */
extern int cli_image_size;

/* Prints "siamese-faces-cli: MESSAGE" and frees the error; without one
 * (a bug: every failure should set it) a line naming the command. */
void        cli_fail_with          (GError *error);
/* Parses the common options plus entries; prints one line and returns FALSE on error. */
gboolean    cli_parse_options      (const char *command, const char *args, GOptionEntry *entries,
                                    int *argc, char ***argv);
/* Loads argv[dataset_index] (the demo faces when absent) at cli_image_size;
 * refuses more than max_positional positional arguments. */
SfDataset  *cli_load_dataset       (int argc, char **argv, int dataset_index, int max_positional);

/* train's --runs DIR and --no-run (cli-sweep.c). */
typedef struct {
  char *runs_dir;
  gboolean no_run;
} CliRunOptions;
#define CLI_RUN_OPTION_ENTRIES(r) \
  { "runs", 0, 0, G_OPTION_ARG_FILENAME, &(r).runs_dir, "Record the run in this run store (default: the user's, see 'runs')", "DIR" }, \
  { "no-run", 0, 0, G_OPTION_ARG_NONE, &(r).no_run, "Do not record the run in a run store", NULL }
void        cli_run_options_clear  (CliRunOptions *options);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CliRunOptions, cli_run_options_clear)
/* Records a trainer that is done as a run (unless --no-run); a failure is a
 * warning on stderr, the model saved with -o stands. */
void        cli_record_run         (const CliRunOptions *options, SfTrainer *trainer, const SfDataset *dataset,
                                    gboolean stopped, const SfEvaluation *evaluation);
/* Records a run that failed (trainer NULL: it could not be built), with message. */
void        cli_record_failed_run  (const CliRunOptions *options, const SfTrainSettings *settings,
                                    const SfDataset *dataset, SfTrainer *trainer, const char *message);

/* The settings options of train, for sweep (cli-model.c). */
typedef struct _CliSettingsOptions CliSettingsOptions;
CliSettingsOptions *cli_settings_options_new     (void);
/* Its entries, not NULL-terminated; g_free. */
GOptionEntry       *cli_settings_options_entries (CliSettingsOptions *options, int *n_entries);

/* --precision of the commands that train: sets the engine's precision
 * (auto when name is NULL); FALSE, with a message, on a name it does not
 * know. */
gboolean            cli_apply_precision          (const char *command, const char *name);
#define CLI_PRECISION_OPTION_ENTRY(name) \
  { "precision", 0, 0, G_OPTION_ARG_STRING, &(name), "Matrix products and direct convolutions in auto (the default: bf16 where the CPU has AVX512_BF16, else fp32), fp32 (always), or bf16 (fp32 sums; CPUs with AVX512_BF16, else fp32)", "auto|fp32|bf16" }

gboolean            cli_settings_options_apply   (CliSettingsOptions *options, SfTrainSettings *settings,
                                                  GError **error);
void                cli_settings_options_free    (CliSettingsOptions *options);

int         cli_run_train          (int argc, char **argv);
int         cli_run_sweep          (int argc, char **argv);
int         cli_run_runs           (int argc, char **argv);
int         cli_run_eval           (int argc, char **argv);
/* info MODEL.safetensors: what the model file says (cli-model.c). */
int         cli_run_model_info     (int argc, char **argv);
int         cli_run_embed          (int argc, char **argv);
int         cli_run_export_onnx    (int argc, char **argv);
int         cli_run_similarity     (int argc, char **argv);
int         cli_run_bench          (int argc, char **argv);
int         cli_run_enroll         (int argc, char **argv);
int         cli_run_identify       (int argc, char **argv);
int         cli_run_verify         (int argc, char **argv);
int         cli_run_export_pytorch (int argc, char **argv);

G_END_DECLS
