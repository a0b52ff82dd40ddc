/* The Similarity view: a test face (SfFacePicker) paired with one face of
 * every person as cards with their scores; a threshold slider, bound to the
 * session's threshold, that highlights the pairs it accepts; and the
 * validation pairs' evaluation at that threshold (SfScorePanel). */
#pragma once

#include <gtk/gtk.h>

#include "evaluation.h"
#include "sf-session.h"

G_BEGIN_DECLS

#define SF_TYPE_SIMILARITY_VIEW (sf_similarity_view_get_type ())

G_DECLARE_FINAL_TYPE (SfSimilarityView, sf_similarity_view, SF, SIMILARITY_VIEW, GtkWidget)

typedef enum {
  SF_SIMILARITY_SORT_SCORE,    /* highest score first */
  SF_SIMILARITY_SORT_PERSON,   /* in the dataset's person order */
} SfSimilaritySort;

GtkWidget       *sf_similarity_view_new         (void);
/* The shared state the view shows; set once by the window. */
void             sf_similarity_view_set_session (SfSimilarityView *self, SfSession *session);

/* The test face: a dataset image (scores are computed on a worker thread;
 * "busy" is TRUE until they are in). -1 while an outside image is the test face. */
void             sf_similarity_view_set_test_face (SfSimilarityView *self, int index);
int              sf_similarity_view_get_test_face (SfSimilarityView *self);
/* An image file as the test face, loaded and resized like the dataset off
 * the main thread; a bad file leaves the test face as it was and says why in
 * a toast (and in sf_similarity_view_get_last_error). */
void             sf_similarity_view_open_image    (SfSimilarityView *self, const char *path);
const char      *sf_similarity_view_get_last_error (SfSimilarityView *self);
/* The seed of the choice of one face per person (the CLI's --seed); the
 * shuffle action adds one. */
guint64          sf_similarity_view_get_seed      (SfSimilarityView *self);
void             sf_similarity_view_set_seed      (SfSimilarityView *self, guint64 seed);
/* "busy": scores are being computed, or an image file read. */
gboolean         sf_similarity_view_get_busy      (SfSimilarityView *self);

/* The threshold slider's adjustment (bound both ways to the session's "threshold"). */
GtkAdjustment   *sf_similarity_view_get_adjustment (SfSimilarityView *self);
void             sf_similarity_view_set_only_matches (SfSimilarityView *self, gboolean only_matches);
void             sf_similarity_view_set_sort      (SfSimilarityView *self, SfSimilaritySort sort);
/* The cards as shown: SfScoreItem, filtered and sorted. */
GListModel      *sf_similarity_view_get_cards     (SfSimilarityView *self);
/* The widget that holds the cards (a GtkFlowBox of SfScoreCard). */
GtkWidget       *sf_similarity_view_get_card_box  (SfSimilarityView *self);

/* The evaluation of the model on the validation pairs (on the pairs of the
 * whole dataset when it is not the one the model was trained on: see
 * same_data), NULL until they are scored; its metrics are the ones over
 * every threshold. The counts at the session's threshold, NULL likewise. */
const SfEvaluation *sf_similarity_view_get_evaluation (SfSimilarityView *self);
const SfMetrics    *sf_similarity_view_get_counts     (SfSimilarityView *self);

G_END_DECLS
