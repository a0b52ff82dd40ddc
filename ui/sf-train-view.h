/* The Train view. For now a status page that says what it will do;
 * it is replaced by the real view when that is built. */
#pragma once

#include <gtk/gtk.h>

#include "sf-session.h"

G_BEGIN_DECLS

#define SF_TYPE_TRAIN_VIEW (sf_train_view_get_type ())

G_DECLARE_FINAL_TYPE (SfTrainView, sf_train_view, SF, TRAIN_VIEW, GtkWidget)

GtkWidget *sf_train_view_new         (void);
/* The shared state the view shows; set once by the window. */
void       sf_train_view_set_session (SfTrainView *self, SfSession *session);

G_END_DECLS
