/* What the subcommands of siamese-faces-cli share: option parsing, loading the
 * dataset argument, and reporting an error as one line. */
#pragma once

#include <glib.h>

#include "dataset.h"

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

int         cli_run_train          (int argc, char **argv);
int         cli_run_eval           (int argc, char **argv);
int         cli_run_embed          (int argc, char **argv);
int         cli_run_similarity     (int argc, char **argv);
int         cli_run_bench          (int argc, char **argv);
int         cli_run_enroll         (int argc, char **argv);
int         cli_run_identify       (int argc, char **argv);
int         cli_run_verify         (int argc, char **argv);

G_END_DECLS
