/* SfScoreItem: immutable but for "accepted", which the view recomputes from
 * the threshold without rescoring anything. */
#include "sf-score-item.h"

struct _SfScoreItem
{
  GObject parent_instance;

  /* Owned */
  SfFace *test;
  SfFace *partner;

  float score;
  int truth;
  gboolean accepted;
  gboolean held_out;
};

enum {
  PROP_0,
  PROP_ACCEPTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SfScoreItem, sf_score_item, G_TYPE_OBJECT)

static void
sf_score_item_dispose (GObject *object)
{
  SfScoreItem *self = SF_SCORE_ITEM (object);

  g_clear_object (&self->test);
  g_clear_object (&self->partner);

  G_OBJECT_CLASS (sf_score_item_parent_class)->dispose (object);
}

static void
sf_score_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfScoreItem *self = SF_SCORE_ITEM (object);

  switch (prop_id)
    {
    case PROP_ACCEPTED:
      g_value_set_boolean (value, self->accepted);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_score_item_class_init (SfScoreItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sf_score_item_dispose;
  object_class->get_property = sf_score_item_get_property;

  properties[PROP_ACCEPTED] =
    g_param_spec_boolean ("accepted", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sf_score_item_init (SfScoreItem *self)
{
  self->truth = -1;
}

SfFace *
sf_score_item_get_test (SfScoreItem *self)
{
  g_return_val_if_fail (SF_IS_SCORE_ITEM (self), NULL);

  return self->test;
}

SfFace *
sf_score_item_get_partner (SfScoreItem *self)
{
  g_return_val_if_fail (SF_IS_SCORE_ITEM (self), NULL);

  return self->partner;
}

float
sf_score_item_get_score (SfScoreItem *self)
{
  g_return_val_if_fail (SF_IS_SCORE_ITEM (self), 0.0f);

  return self->score;
}

int
sf_score_item_get_truth (SfScoreItem *self)
{
  g_return_val_if_fail (SF_IS_SCORE_ITEM (self), -1);

  return self->truth;
}

int
sf_score_item_get_person (SfScoreItem *self)
{
  g_return_val_if_fail (SF_IS_SCORE_ITEM (self), -1);

  return sf_face_get_person (self->partner);
}

gboolean
sf_score_item_get_held_out (SfScoreItem *self)
{
  g_return_val_if_fail (SF_IS_SCORE_ITEM (self), FALSE);

  return self->held_out;
}

void
sf_score_item_set_held_out (SfScoreItem *self, gboolean held_out)
{
  g_return_if_fail (SF_IS_SCORE_ITEM (self));

  self->held_out = !!held_out;
}

gboolean
sf_score_item_get_accepted (SfScoreItem *self)
{
  g_return_val_if_fail (SF_IS_SCORE_ITEM (self), FALSE);

  return self->accepted;
}

void
sf_score_item_set_threshold (SfScoreItem *self, float threshold)
{
  g_return_if_fail (SF_IS_SCORE_ITEM (self));

  gboolean accepted = self->score >= threshold;
  if (accepted == self->accepted)
    return;
  self->accepted = accepted;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACCEPTED]);
}

int
sf_score_item_get_right (SfScoreItem *self)
{
  g_return_val_if_fail (SF_IS_SCORE_ITEM (self), -1);

  if (self->truth < 0)
    return -1;
  return self->accepted == (self->truth == 1);
}

SfScoreItem *
sf_score_item_new (SfFace *test, SfFace *partner, float score, int truth)
{
  g_return_val_if_fail (SF_IS_FACE (test), NULL);
  g_return_val_if_fail (SF_IS_FACE (partner), NULL);

  SfScoreItem *self = g_object_new (SF_TYPE_SCORE_ITEM, NULL);
  self->test = g_object_ref (test);
  self->partner = g_object_ref (partner);
  self->score = score;
  self->truth = truth < 0 ? -1 : truth > 0;
  return self;
}
