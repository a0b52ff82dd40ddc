/* The People view: the enrolled people (the session's gallery, kept beside
 * the model file), Add Person… and one-shot enrolment of the dataset's people
 * without retraining, identification of a probe face against everyone with
 * the threshold line, and the 2-D map (PCA) of every embedding coloured by
 * person. */
#pragma once

#include <gtk/gtk.h>

#include "gallery.h"
#include "sf-embedding-map.h"
#include "sf-session.h"

G_BEGIN_DECLS

#define SF_TYPE_PEOPLE_VIEW (sf_people_view_get_type ())

G_DECLARE_FINAL_TYPE (SfPeopleView, sf_people_view, SF, PEOPLE_VIEW, GtkWidget)

GtkWidget         *sf_people_view_new              (void);
/* The shared state the view shows; set once by the window. */
void               sf_people_view_set_session      (SfPeopleView *self, SfSession *session);

/* Enrols on a worker thread ("busy" until done; bad files end in a toast and
 * in sf_people_view_get_last_error); the session keeps the result. What the
 * Add Person dialog calls. */
void               sf_people_view_enroll_files     (SfPeopleView *self, const char *name, const char *const *paths);
/* Every dataset person not enrolled yet (sf_people_view_find_enrolled),
 * with their first `shots` images (<= 0: all). The "people.enroll-dataset"
 * action asks for `shots` in a dialog that names who is enrolled already. */
void               sf_people_view_enroll_dataset   (SfPeopleView *self, int shots);
/* The gallery person a dataset person is enrolled as, or -1: the same name,
 * or any name given to one of their images (the same file or pixels). */
int                sf_people_view_find_enrolled    (SfPeopleView *self, int dataset_person);
void               sf_people_view_remove_person    (SfPeopleView *self, int person);
/* FALSE with the reason (also shown as a toast) for an empty or taken name. */
gboolean           sf_people_view_rename_person    (SfPeopleView *self, int person, const char *name,
                                                    GError **error);
/* Loads the probe on the main thread and identifies it; FALSE (and a toast) for a bad file. */
gboolean           sf_people_view_identify_file    (SfPeopleView *self, const char *path);

gboolean           sf_people_view_get_busy         (SfPeopleView *self);
/* The probe's candidates, best first: indices into the session's gallery. */
const SfCandidate *sf_people_view_get_candidates   (SfPeopleView *self, int *n_candidates);
const char        *sf_people_view_get_verdict      (SfPeopleView *self);
SfEmbeddingMap    *sf_people_view_get_map          (SfPeopleView *self);
const char        *sf_people_view_get_last_error   (SfPeopleView *self);

G_END_DECLS
