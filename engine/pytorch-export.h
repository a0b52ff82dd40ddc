/* The PyTorch training program of a model: engine/pytorch/train.py, built
 * into the engine, with the model's module source and training settings
 * filled in, to train the same network under torchrun and bring it back as
 * a model file. */
#pragma once

#include "model.h"
#include "trainer.h"

G_BEGIN_DECLS

/* The program's text (UTF-8 Python), for `model` (its tower, head, margin
 * and input size) trained with `settings`. The program trains with the pair
 * losses only: with ArcFace or CosFace in the settings it stops at start,
 * saying so. NULL only when the template cannot be read. */
char *sf_pytorch_program (SfModel *model, const SfTrainSettings *settings, GError **error);

G_END_DECLS
