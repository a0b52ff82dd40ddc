/* The Similarity view: a test face paired with one face of every person as
 * cards with their scores; a threshold slider that highlights the pairs it
 * accepts; and, for the validation pairs, the score histograms, the ROC
 * curve, the counts at the threshold and the EER and best-accuracy points. */
#pragma once

#include <gtk/gtk.h>

#include "metrics.h"
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
/* The seed of the choice of one face per person (the CLI's --seed). */
guint64          sf_similarity_view_get_seed      (SfSimilarityView *self);
void             sf_similarity_view_set_seed      (SfSimilarityView *self, guint64 seed);
/* "busy": scores are being computed. */
gboolean         sf_similarity_view_get_busy      (SfSimilarityView *self);

/* The threshold slider's adjustment (bound to the session's "threshold"). */
GtkAdjustment   *sf_similarity_view_get_adjustment (SfSimilarityView *self);
void             sf_similarity_view_set_only_matches (SfSimilarityView *self, gboolean only_matches);
void             sf_similarity_view_set_sort      (SfSimilarityView *self, SfSimilaritySort sort);
/* The cards as shown: SfScoreItem, filtered and sorted. */
GListModel      *sf_similarity_view_get_cards     (SfSimilarityView *self);
/* The widget that holds the cards (a GtkFlowBox of SfScoreCard). */
GtkWidget       *sf_similarity_view_get_card_box  (SfSimilarityView *self);

/* The validation pairs' scores and truths (NULL until they are scored), the
 * metrics over every threshold, and the counts at the current threshold. */
const float     *sf_similarity_view_get_validation (SfSimilarityView *self, const float **truths, int *n);
const SfMetrics *sf_similarity_view_get_metrics   (SfSimilarityView *self);
const SfMetrics *sf_similarity_view_get_counts    (SfSimilarityView *self);
/* TRUE when the open dataset is not the one the model was trained on. */
gboolean         sf_similarity_view_get_other_dataset (SfSimilarityView *self);

G_END_DECLS
