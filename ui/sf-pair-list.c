/* SfPairList: the visible pairs are an index array over train ++ validation,
 * rebuilt when the filter changes; items are made only when a row asks. */
#include "sf-pair-list.h"

#include "sf-pair-item.h"

struct _SfPairList
{
  GObject parent_instance;

  /* Owned */
  SfFaceList *faces;
  SfPairSet *pairs;
  GArray *visible;   /* guint: numbers (train first, then validation) that pass the filter */

  SfPairKind kind;
  SfPairPart part;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SfPairList, sf_pair_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static const SfPair *
pair_at (SfPairList *self, guint number, gboolean *validation)
{
  guint n_train = (guint) self->pairs->n_train;

  *validation = number >= n_train;
  return *validation ? &self->pairs->validation[number - n_train] : &self->pairs->train[number];
}

static gboolean
pair_matches (const SfPair *pair, gboolean validation, SfPairKind kind, SfPairPart part)
{
  gboolean same = pair->same > 0.5f;

  if ((kind == SF_PAIR_KIND_SAME && !same) || (kind == SF_PAIR_KIND_DIFFERENT && same))
    return FALSE;
  if ((part == SF_PAIR_PART_TRAINING && validation) || (part == SF_PAIR_PART_VALIDATION && !validation))
    return FALSE;
  return TRUE;
}

static void
rebuild_visible (SfPairList *self)
{
  guint total = (guint) (self->pairs->n_train + self->pairs->n_validation);

  g_array_set_size (self->visible, 0);
  for (guint number = 0; number < total; number++)
    {
      gboolean validation;
      const SfPair *pair = pair_at (self, number, &validation);
      if (pair_matches (pair, validation, self->kind, self->part))
        g_array_append_val (self->visible, number);
    }
}

static GType
sf_pair_list_get_item_type (GListModel *model)
{
  return SF_TYPE_PAIR_ITEM;
}

static guint
sf_pair_list_get_n_items (GListModel *model)
{
  return SF_PAIR_LIST (model)->visible->len;
}

static gpointer
sf_pair_list_get_item (GListModel *model, guint position)
{
  SfPairList *self = SF_PAIR_LIST (model);

  if (position >= self->visible->len)
    return NULL;

  guint number = g_array_index (self->visible, guint, position);
  gboolean validation;
  const SfPair *pair = pair_at (self, number, &validation);
  g_autoptr (SfFace) a = sf_face_new (self->faces, pair->a);
  g_autoptr (SfFace) b = sf_face_new (self->faces, pair->b);
  return sf_pair_item_new (a, b, pair->same > 0.5f, validation, (int) number);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = sf_pair_list_get_item_type;
  iface->get_n_items = sf_pair_list_get_n_items;
  iface->get_item = sf_pair_list_get_item;
}

static void
sf_pair_list_finalize (GObject *object)
{
  SfPairList *self = SF_PAIR_LIST (object);

  g_clear_object (&self->faces);
  g_clear_pointer (&self->pairs, sf_pair_set_free);
  g_clear_pointer (&self->visible, g_array_unref);

  G_OBJECT_CLASS (sf_pair_list_parent_class)->finalize (object);
}

static void
sf_pair_list_class_init (SfPairListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sf_pair_list_finalize;
}

static void
sf_pair_list_init (SfPairList *self)
{
  self->visible = g_array_new (FALSE, FALSE, sizeof (guint));
}

SfFaceList *
sf_pair_list_get_faces (SfPairList *self)
{
  g_return_val_if_fail (SF_IS_PAIR_LIST (self), NULL);

  return self->faces;
}

const SfPairSet *
sf_pair_list_get_pair_set (SfPairList *self)
{
  g_return_val_if_fail (SF_IS_PAIR_LIST (self), NULL);

  return self->pairs;
}

void
sf_pair_list_set_filter (SfPairList *self, SfPairKind kind, SfPairPart part)
{
  g_return_if_fail (SF_IS_PAIR_LIST (self));

  if (kind == self->kind && part == self->part)
    return;

  guint removed = self->visible->len;
  self->kind = kind;
  self->part = part;
  rebuild_visible (self);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, self->visible->len);
}

SfPairKind
sf_pair_list_get_kind (SfPairList *self)
{
  g_return_val_if_fail (SF_IS_PAIR_LIST (self), SF_PAIR_KIND_ALL);

  return self->kind;
}

SfPairPart
sf_pair_list_get_part (SfPairList *self)
{
  g_return_val_if_fail (SF_IS_PAIR_LIST (self), SF_PAIR_PART_ALL);

  return self->part;
}

int
sf_pair_list_count (SfPairList *self, SfPairKind kind, SfPairPart part)
{
  g_return_val_if_fail (SF_IS_PAIR_LIST (self), 0);

  int count = 0;
  guint total = (guint) (self->pairs->n_train + self->pairs->n_validation);
  for (guint number = 0; number < total; number++)
    {
      gboolean validation;
      const SfPair *pair = pair_at (self, number, &validation);
      count += pair_matches (pair, validation, kind, part);
    }
  return count;
}

SfPairList *
sf_pair_list_new (SfFaceList *faces, SfPairSet *pairs)
{
  g_return_val_if_fail (SF_IS_FACE_LIST (faces), NULL);
  g_return_val_if_fail (pairs != NULL, NULL);

  SfPairList *self = g_object_new (SF_TYPE_PAIR_LIST, NULL);
  self->faces = g_object_ref (faces);
  self->pairs = pairs;
  rebuild_visible (self);
  return self;
}
