/* SfFaceList: a dataset's faces grouped by person (a stable counting sort), so
 * each person's faces are one contiguous range and filtering costs nothing. */
#include "sf-face-list.h"

#include <glib/gi18n.h>

#include "sf-face.h"

struct _SfFaceList
{
  GObject parent_instance;

  /* Owned */
  SfDataset *dataset;
  int *order;     /* [n_images]: dataset indices grouped by person, in dataset order within */
  int *inverse;   /* [n_images]: position of each dataset index in `order` */
  int *offsets;   /* [n_people + 1]: person p occupies order[offsets[p] .. offsets[p+1]) */
  char *fingerprint;  /* NULL until asked for or handed over */

  int person;
};

enum {
  PROP_0,
  PROP_PERSON,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SfFaceList, sf_face_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static guint
range_start (SfFaceList *self)
{
  return self->person < 0 ? 0 : (guint) self->offsets[self->person];
}

static guint
range_length (SfFaceList *self)
{
  if (self->dataset == NULL)
    return 0;
  if (self->person < 0)
    return (guint) self->dataset->n_images;
  return (guint) (self->offsets[self->person + 1] - self->offsets[self->person]);
}

static GType
sf_face_list_get_item_type (GListModel *model)
{
  return SF_TYPE_FACE;
}

static guint
sf_face_list_get_n_items (GListModel *model)
{
  return range_length (SF_FACE_LIST (model));
}

static gpointer
sf_face_list_get_item (GListModel *model, guint position)
{
  SfFaceList *self = SF_FACE_LIST (model);

  if (position >= range_length (self))
    return NULL;
  return sf_face_new (self, self->order[range_start (self) + position]);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = sf_face_list_get_item_type;
  iface->get_n_items = sf_face_list_get_n_items;
  iface->get_item = sf_face_list_get_item;
}

static void
sf_face_list_finalize (GObject *object)
{
  SfFaceList *self = SF_FACE_LIST (object);

  g_clear_pointer (&self->dataset, sf_dataset_free);
  g_clear_pointer (&self->order, g_free);
  g_clear_pointer (&self->inverse, g_free);
  g_clear_pointer (&self->offsets, g_free);
  g_clear_pointer (&self->fingerprint, g_free);

  G_OBJECT_CLASS (sf_face_list_parent_class)->finalize (object);
}

static void
sf_face_list_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfFaceList *self = SF_FACE_LIST (object);

  switch (prop_id)
    {
    case PROP_PERSON:
      g_value_set_int (value, self->person);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, range_length (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_face_list_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SfFaceList *self = SF_FACE_LIST (object);

  switch (prop_id)
    {
    case PROP_PERSON:
      sf_face_list_set_person (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_face_list_class_init (SfFaceListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sf_face_list_finalize;
  object_class->get_property = sf_face_list_get_property;
  object_class->set_property = sf_face_list_set_property;

  properties[PROP_PERSON] =
    g_param_spec_int ("person", NULL, NULL, -1, G_MAXINT, -1,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sf_face_list_init (SfFaceList *self)
{
  self->person = -1;
}

const SfDataset *
sf_face_list_get_dataset (SfFaceList *self)
{
  g_return_val_if_fail (SF_IS_FACE_LIST (self), NULL);

  return self->dataset;
}

int
sf_face_list_get_person (SfFaceList *self)
{
  g_return_val_if_fail (SF_IS_FACE_LIST (self), -1);

  return self->person;
}

void
sf_face_list_set_person (SfFaceList *self, int person)
{
  g_return_if_fail (SF_IS_FACE_LIST (self));

  if (person < 0 || person >= self->dataset->n_people)
    person = -1;
  if (person == self->person)
    return;

  guint removed = range_length (self);
  self->person = person;
  guint added = range_length (self);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, added);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PERSON]);
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

int
sf_face_list_get_image_index (SfFaceList *self, guint position)
{
  g_return_val_if_fail (SF_IS_FACE_LIST (self), -1);

  if (position >= range_length (self))
    return -1;
  return self->order[range_start (self) + position];
}

int
sf_face_list_find_position (SfFaceList *self, int index)
{
  g_return_val_if_fail (SF_IS_FACE_LIST (self), -1);

  if (index < 0 || index >= self->dataset->n_images)
    return -1;
  guint position = (guint) self->inverse[index];
  guint start = range_start (self);
  if (position < start || position - start >= range_length (self))
    return -1;
  return (int) (position - start);
}

int
sf_face_list_get_person_count (SfFaceList *self, int person)
{
  g_return_val_if_fail (SF_IS_FACE_LIST (self), 0);

  if (person < 0 || person >= self->dataset->n_people)
    return 0;
  return self->offsets[person + 1] - self->offsets[person];
}

char *
sf_face_list_dup_title (SfFaceList *self)
{
  g_return_val_if_fail (SF_IS_FACE_LIST (self), NULL);

  if (self->dataset->source == NULL)
    return g_strdup (_("Demo faces"));
  return g_path_get_basename (self->dataset->source);
}

const char *
sf_face_list_get_fingerprint (SfFaceList *self)
{
  g_return_val_if_fail (SF_IS_FACE_LIST (self), NULL);

  /* A SHA-256 of every pixel: about 15 ms for ORL, worth keeping. */
  if (self->fingerprint == NULL)
    self->fingerprint = sf_dataset_fingerprint (self->dataset);
  return self->fingerprint;
}

void
sf_face_list_take_fingerprint (SfFaceList *self, char *fingerprint)
{
  g_return_if_fail (SF_IS_FACE_LIST (self));

  if (fingerprint == NULL)
    return;
  g_free (self->fingerprint);
  self->fingerprint = fingerprint;
}

SfFaceList *
sf_face_list_new (SfDataset *dataset)
{
  g_return_val_if_fail (dataset != NULL, NULL);
  g_return_val_if_fail (dataset->n_images > 0 && dataset->n_people > 0, NULL);

  SfFaceList *self = g_object_new (SF_TYPE_FACE_LIST, NULL);
  int n = dataset->n_images;
  int n_people = dataset->n_people;

  self->dataset = dataset;
  self->order = g_new (int, n);
  self->inverse = g_new (int, n);
  self->offsets = g_new0 (int, n_people + 1);

  for (int i = 0; i < n; i++)
    {
      int label = dataset->labels[i];
      g_assert (label >= 0 && label < n_people);
      self->offsets[label + 1]++;
    }
  for (int p = 0; p < n_people; p++)
    self->offsets[p + 1] += self->offsets[p];

  g_autofree int *next = g_memdup2 (self->offsets, sizeof (int) * n_people);
  for (int i = 0; i < n; i++)
    {
      int position = next[dataset->labels[i]]++;
      self->order[position] = i;
      self->inverse[i] = position;
    }
  return self;
}
