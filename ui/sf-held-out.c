/* SfHeldOut: the split is not stored with the model, only the settings that
 * made it, so it is made again here exactly as evaluation makes it
 * (sf_evaluation_pairs) and only its held_out marks are kept. */
#include "sf-held-out.h"

#include <glib/gi18n.h>

#include "evaluation.h"

SfHeldOut *
sf_held_out_new (const SfCheckpoint *checkpoint, const SfDataset *dataset, const char *dataset_fingerprint)
{
  if (checkpoint == NULL || dataset == NULL || dataset->n_images <= 0)
    return NULL;

  gboolean same_data = FALSE;
  g_autofree SfPair *pairs = NULL;
  int n_pairs = 0;
  g_autoptr (SfPairSet) set = sf_evaluation_pairs (dataset, dataset_fingerprint, &checkpoint->settings,
                                                   checkpoint->dataset_fingerprint, &same_data, &pairs,
                                                   &n_pairs, NULL);
  if (set == NULL || !same_data || set->held_out == NULL || set->n_images != dataset->n_images)
    return NULL;

  SfHeldOut *held_out = g_new0 (SfHeldOut, 1);
  held_out->n_images = dataset->n_images;
  held_out->n_people = dataset->n_people;
  held_out->images = g_memdup2 (set->held_out, sizeof (gboolean) * dataset->n_images);
  held_out->people = g_new0 (gboolean, MAX (dataset->n_people, 1));
  g_autofree gboolean *trained = g_new0 (gboolean, MAX (dataset->n_people, 1));
  gboolean any = FALSE;
  for (int i = 0; i < dataset->n_images; i++)
    {
      int person = dataset->labels[i];
      if (person < 0 || person >= dataset->n_people)
        continue;
      if (held_out->images[i])
        held_out->people[person] = any = TRUE;
      else
        trained[person] = TRUE;
    }
  if (!any)
    {
      sf_held_out_free (held_out);
      return NULL;
    }
  for (int p = 0; p < dataset->n_people; p++)
    held_out->people[p] = held_out->people[p] && !trained[p];

  held_out->first_image = -1;
  for (int i = 0; i < dataset->n_images && held_out->first_image < 0; i++)
    if (sf_held_out_has_person (held_out, dataset->labels[i]))
      held_out->first_image = i;
  for (int i = 0; i < dataset->n_images && held_out->first_image < 0; i++)
    if (held_out->images[i])
      held_out->first_image = i;
  return held_out;
}

SfHeldOut *
sf_held_out_copy (const SfHeldOut *held_out)
{
  if (held_out == NULL)
    return NULL;
  SfHeldOut *copy = g_memdup2 (held_out, sizeof *held_out);
  copy->images = g_memdup2 (held_out->images, sizeof (gboolean) * held_out->n_images);
  copy->people = g_memdup2 (held_out->people, sizeof (gboolean) * MAX (held_out->n_people, 1));
  return copy;
}

void
sf_held_out_free (SfHeldOut *held_out)
{
  if (held_out == NULL)
    return;
  g_free (held_out->images);
  g_free (held_out->people);
  g_free (held_out);
}

gboolean
sf_held_out_has_image (const SfHeldOut *held_out, int image)
{
  return held_out != NULL && image >= 0 && image < held_out->n_images && held_out->images[image];
}

gboolean
sf_held_out_has_person (const SfHeldOut *held_out, int person)
{
  return held_out != NULL && person >= 0 && person < held_out->n_people && held_out->people[person];
}

char *
sf_held_out_name (const SfHeldOut *held_out, int person, const char *name)
{
  if (!sf_held_out_has_person (held_out, person))
    return g_strdup (name);
  /* Translators: a person never seen in training (the validation part of the split), e.g. "s3 (held out)". */
  return g_strdup_printf (_("%s (held out)"), name);
}
