/* Translated names and summaries of datasets and splits. */
#include "sf-strings.h"

#include <glib/gi18n.h>
#include <math.h>

const char *
sf_strings_format_name (SfDatasetFormat format)
{
  switch (format)
    {
    case SF_DATASET_FORMAT_DEMO:
      return _("Demo faces");
    case SF_DATASET_FORMAT_MAT:
      return _("Olivetti MAT-file");
    case SF_DATASET_FORMAT_PKZ:
      return _("scikit-learn cache");
    case SF_DATASET_FORMAT_FOLDER:
      return _("Folder of people");
    default:
      return _("Unknown format");
    }
}

char *
sf_strings_size (int width, int height)
{
  /* Translators: an image size, width × height. */
  return g_strdup_printf (_("%d × %d pixels"), width, height);
}

char *
sf_strings_dataset_summary (const SfDataset *dataset)
{
  g_return_val_if_fail (dataset != NULL, NULL);

  g_autofree char *faces = g_strdup_printf (ngettext ("%d face", "%d faces", dataset->n_images),
                                            dataset->n_images);
  g_autofree char *people = g_strdup_printf (ngettext ("%d person", "%d people", dataset->n_people),
                                             dataset->n_people);
  g_autofree char *size = sf_strings_size (dataset->width, dataset->height);

  if (dataset->format == SF_DATASET_FORMAT_DEMO)
    /* Translators: "200 faces" of "20 people" · "64 × 64 pixels", for the demo faces. */
    return g_strdup_printf (_("Generated: %s of %s · %s"), faces, people, size);
  /* Translators: format · "400 faces" of "40 people" · "64 × 64 pixels". */
  return g_strdup_printf (_("%s · %s of %s · %s"), sf_strings_format_name (dataset->format),
                          faces, people, size);
}

const char *
sf_strings_split_name (SfSplitKind kind)
{
  switch (kind)
    {
    case SF_SPLIT_PAIRS:
      return _("Pairs");
    case SF_SPLIT_IMAGES:
      return _("Images");
    case SF_SPLIT_PEOPLE:
      return _("People");
    default:
      return _("Unknown split");
    }
}

char *
sf_strings_split_description (SfSplitKind kind, double share)
{
  int percent = (int) lround (share * 100);

  switch (kind)
    {
    case SF_SPLIT_PAIRS:
      /* Translators: %d %% is a percentage, e.g. "10 %". */
      return g_strdup_printf (_("%d %% of all pairs are held out for validation, as in the article."), percent);
    case SF_SPLIT_IMAGES:
      return g_strdup_printf (_("%d %% of each person’s images are held out; validation pairs use only those."), percent);
    case SF_SPLIT_PEOPLE:
      return g_strdup_printf (_("%d %% of the people are held out entirely: the honest one-shot test."), percent);
    default:
      return g_strdup ("");
    }
}
