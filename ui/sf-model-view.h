/* The Model view: the network drawn like Keras' plot_model with shapes, its
 * parameter and FLOP counts, the preset and an editable tower spec shared
 * with the Train view (SfTrainingSettings), and PNG/SVG export. */
#pragma once

#include <gtk/gtk.h>

#include "sf-network-diagram.h"
#include "sf-session.h"

G_BEGIN_DECLS

#define SF_TYPE_MODEL_VIEW (sf_model_view_get_type ())

G_DECLARE_FINAL_TYPE (SfModelView, sf_model_view, SF, MODEL_VIEW, GtkWidget)

GtkWidget     *sf_model_view_new         (void);
/* The shared state the view shows; set once by the window. */
void           sf_model_view_set_session (SfModelView *self, SfSession *session);

/* The tower drawn: the current model's when it is shown, else the last
 * valid spec of the training settings. */
const SfTower *sf_model_view_get_tower   (SfModelView *self);
/* Whether the current model (not the training settings) is drawn. */
gboolean       sf_model_view_get_showing_model (SfModelView *self);
void           sf_model_view_set_showing_model (SfModelView *self, gboolean showing_model);
/* The spec entry's error, NULL while it holds a valid spec. */
const char    *sf_model_view_get_error   (SfModelView *self);
/* The header's line of counts: parameters, FLOPs per pair, embedding and input size. */
const char    *sf_model_view_get_summary (SfModelView *self);
double         sf_model_view_get_zoom    (SfModelView *self);
void           sf_model_view_set_zoom    (SfModelView *self, double zoom);
/* Writes what is drawn to path (what Export PNG…/SVG… do after the dialog). */
gboolean       sf_model_view_export      (SfModelView *self, const char *path, SfDiagramFormat format,
                                          GError **error);

G_END_DECLS
