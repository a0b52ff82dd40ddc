/* SfFace: a dataset index and a reference to the list that owns the pixels. */
#include "sf-face.h"

#include <glib/gi18n.h>

#include "sf-face-list.h"

struct _SfFace
{
  GObject parent_instance;

  /* Owned */
  SfFaceList *list;

  int index;
};

enum {
  PROP_0,
  PROP_LIST,
  PROP_INDEX,
  PROP_PERSON_NAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SfFace, sf_face, G_TYPE_OBJECT)

static void
sf_face_dispose (GObject *object)
{
  SfFace *self = SF_FACE (object);

  g_clear_object (&self->list);

  G_OBJECT_CLASS (sf_face_parent_class)->dispose (object);
}

static void
sf_face_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfFace *self = SF_FACE (object);

  switch (prop_id)
    {
    case PROP_LIST:
      g_value_set_object (value, self->list);
      break;
    case PROP_INDEX:
      g_value_set_int (value, self->index);
      break;
    case PROP_PERSON_NAME:
      g_value_set_string (value, sf_face_get_person_name (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_face_class_init (SfFaceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sf_face_dispose;
  object_class->get_property = sf_face_get_property;

  properties[PROP_LIST] =
    g_param_spec_object ("list", NULL, NULL, SF_TYPE_FACE_LIST,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_INDEX] =
    g_param_spec_int ("index", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PERSON_NAME] =
    g_param_spec_string ("person-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sf_face_init (SfFace *self)
{
}

SfFaceList *
sf_face_get_list (SfFace *self)
{
  g_return_val_if_fail (SF_IS_FACE (self), NULL);

  return self->list;
}

int
sf_face_get_index (SfFace *self)
{
  g_return_val_if_fail (SF_IS_FACE (self), -1);

  return self->index;
}

int
sf_face_get_person (SfFace *self)
{
  g_return_val_if_fail (SF_IS_FACE (self), -1);

  return sf_face_list_get_dataset (self->list)->labels[self->index];
}

const char *
sf_face_get_person_name (SfFace *self)
{
  g_return_val_if_fail (SF_IS_FACE (self), NULL);

  const SfDataset *dataset = sf_face_list_get_dataset (self->list);
  return dataset->person_names[dataset->labels[self->index]];
}

const char *
sf_face_get_path (SfFace *self)
{
  g_return_val_if_fail (SF_IS_FACE (self), NULL);

  return sf_face_list_get_dataset (self->list)->image_paths[self->index];
}

const float *
sf_face_get_pixels (SfFace *self, int *width, int *height)
{
  g_return_val_if_fail (SF_IS_FACE (self), NULL);

  const SfDataset *dataset = sf_face_list_get_dataset (self->list);
  if (width != NULL)
    *width = dataset->width;
  if (height != NULL)
    *height = dataset->height;
  return sf_dataset_image (dataset, self->index);
}

char *
sf_face_dup_description (SfFace *self)
{
  g_return_val_if_fail (SF_IS_FACE (self), NULL);

  /* Translators: a face of the dataset: its index (counted from 0, as in
   * NumPy), then the person's name. */
  return g_strdup_printf (_("Image %d, %s"), self->index, sf_face_get_person_name (self));
}

SfFace *
sf_face_new (SfFaceList *list, int index)
{
  g_return_val_if_fail (SF_IS_FACE_LIST (list), NULL);
  g_return_val_if_fail (index >= 0 && index < sf_face_list_get_dataset (list)->n_images, NULL);

  SfFace *self = g_object_new (SF_TYPE_FACE, NULL);
  self->list = g_object_ref (list);
  self->index = index;
  return self;
}
