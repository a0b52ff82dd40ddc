/* The Model view. For now a status page that says what it will do;
 * it is replaced by the real view when that is built. */
#pragma once

#include <gtk/gtk.h>

#include "sf-session.h"

G_BEGIN_DECLS

#define SF_TYPE_MODEL_VIEW (sf_model_view_get_type ())

G_DECLARE_FINAL_TYPE (SfModelView, sf_model_view, SF, MODEL_VIEW, GtkWidget)

GtkWidget *sf_model_view_new         (void);
/* The shared state the view shows; set once by the window. */
void       sf_model_view_set_session (SfModelView *self, SfSession *session);

G_END_DECLS
