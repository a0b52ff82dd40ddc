/* The application: single instance, opens datasets given on the command line,
 * app actions (About, Preferences, Quit) and the --screenshots mode. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SF_APPLICATION_ID "io.github.siamesefaces.SiameseFaces"

#define SF_TYPE_APPLICATION (sf_application_get_type ())

G_DECLARE_FINAL_TYPE (SfApplication, sf_application, SF, APPLICATION, AdwApplication)

SfApplication *sf_application_new             (const char *application_id, GApplicationFlags flags);
/* Non-zero when --screenshots failed. */
int            sf_application_get_exit_status (SfApplication *self);
/* Opens the About window for `parent`. */
GtkWindow     *sf_application_show_about      (SfApplication *self, GtkWindow *parent);

G_END_DECLS
