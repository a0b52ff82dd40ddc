/* For tests: temporary folders and files — a fresh folder, removing a tree,
 * a face written as a PGM, and where a person's k-th image is. GLib and the
 * engine's dataset only, so engine tests use it as well as UI tests. */
#pragma once

#include "dataset.h"

G_BEGIN_DECLS

/* A new folder under the system's temporary folder from `template`
 * ("sf-name-XXXXXX"); the test fails when it cannot be made. */
char  *sf_test_make_tmp_dir (const char *template);
/* Removes `path`, a file or a folder with everything in it. */
void   sf_test_remove_tree  (const char *path);
/* Writes `pixels` (width × height grey values in [0, 1], clamped) as an 8-bit
 * binary PGM at dir/name, each pixel repeated `scale` × `scale` times;
 * returns its path. The test fails when it cannot be written. */
char  *sf_test_write_pgm    (const char *dir, const char *name, const float *pixels,
                             int width, int height, int scale);
/* The index of `person`'s k-th image in `dataset` (k from 0). */
int    sf_test_image_of     (const SfDataset *dataset, int person, int k);

G_END_DECLS
