/* Add Person: a name and image files (picked, a folder, or dropped). Emits
 * "add" with the name and the file paths; the People view enrols them. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SF_TYPE_PERSON_DIALOG (sf_person_dialog_get_type ())

G_DECLARE_FINAL_TYPE (SfPersonDialog, sf_person_dialog, SF, PERSON_DIALOG, AdwWindow)

GtkWidget  *sf_person_dialog_new       (GtkWindow *parent);
/* The name typed so far and the chosen image paths (NULL-terminated). */
const char *sf_person_dialog_get_name  (SfPersonDialog *self);
void        sf_person_dialog_set_name  (SfPersonDialog *self, const char *name);
const char *const *sf_person_dialog_get_paths (SfPersonDialog *self);
/* Adds files (images) or folders (their images); an unreadable folder or one
 * with no images is named in the dialog and adds nothing. */
void        sf_person_dialog_add_paths (SfPersonDialog *self, const char *const *paths);

G_END_DECLS
