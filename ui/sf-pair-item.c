/* SfPairItem: two faces, whether they are one person, and which part of the split. */
#include "sf-pair-item.h"

struct _SfPairItem
{
  GObject parent_instance;

  /* Owned */
  SfFace *a;
  SfFace *b;

  gboolean same;
  gboolean validation;
  int number;
};

enum {
  PROP_0,
  PROP_FACE_A,
  PROP_FACE_B,
  PROP_SAME,
  PROP_VALIDATION,
  PROP_NUMBER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SfPairItem, sf_pair_item, G_TYPE_OBJECT)

static void
sf_pair_item_dispose (GObject *object)
{
  SfPairItem *self = SF_PAIR_ITEM (object);

  g_clear_object (&self->a);
  g_clear_object (&self->b);

  G_OBJECT_CLASS (sf_pair_item_parent_class)->dispose (object);
}

static void
sf_pair_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfPairItem *self = SF_PAIR_ITEM (object);

  switch (prop_id)
    {
    case PROP_FACE_A:
      g_value_set_object (value, self->a);
      break;
    case PROP_FACE_B:
      g_value_set_object (value, self->b);
      break;
    case PROP_SAME:
      g_value_set_boolean (value, self->same);
      break;
    case PROP_VALIDATION:
      g_value_set_boolean (value, self->validation);
      break;
    case PROP_NUMBER:
      g_value_set_int (value, self->number);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_pair_item_class_init (SfPairItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sf_pair_item_dispose;
  object_class->get_property = sf_pair_item_get_property;

  properties[PROP_FACE_A] =
    g_param_spec_object ("face-a", NULL, NULL, SF_TYPE_FACE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_FACE_B] =
    g_param_spec_object ("face-b", NULL, NULL, SF_TYPE_FACE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SAME] =
    g_param_spec_boolean ("same", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_VALIDATION] =
    g_param_spec_boolean ("validation", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NUMBER] =
    g_param_spec_int ("number", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sf_pair_item_init (SfPairItem *self)
{
}

SfFace *
sf_pair_item_get_face_a (SfPairItem *self)
{
  g_return_val_if_fail (SF_IS_PAIR_ITEM (self), NULL);

  return self->a;
}

SfFace *
sf_pair_item_get_face_b (SfPairItem *self)
{
  g_return_val_if_fail (SF_IS_PAIR_ITEM (self), NULL);

  return self->b;
}

gboolean
sf_pair_item_get_same (SfPairItem *self)
{
  g_return_val_if_fail (SF_IS_PAIR_ITEM (self), FALSE);

  return self->same;
}

gboolean
sf_pair_item_get_validation (SfPairItem *self)
{
  g_return_val_if_fail (SF_IS_PAIR_ITEM (self), FALSE);

  return self->validation;
}

int
sf_pair_item_get_number (SfPairItem *self)
{
  g_return_val_if_fail (SF_IS_PAIR_ITEM (self), 0);

  return self->number;
}

SfPairItem *
sf_pair_item_new (SfFace *a, SfFace *b, gboolean same, gboolean validation, int number)
{
  g_return_val_if_fail (SF_IS_FACE (a) && SF_IS_FACE (b), NULL);

  SfPairItem *self = g_object_new (SF_TYPE_PAIR_ITEM, NULL);
  self->a = g_object_ref (a);
  self->b = g_object_ref (b);
  self->same = same;
  self->validation = validation;
  self->number = number;
  return self;
}
