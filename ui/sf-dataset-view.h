/* The Dataset view: every face in a zoomable grid grouped by person, a person
 * filter, the dataset's numbers, and the selected face large with its details. */
#pragma once

#include <gtk/gtk.h>

#include "sf-face-list.h"

G_BEGIN_DECLS

#define SF_TYPE_DATASET_VIEW (sf_dataset_view_get_type ())

G_DECLARE_FINAL_TYPE (SfDatasetView, sf_dataset_view, SF, DATASET_VIEW, GtkWidget)

GtkWidget  *sf_dataset_view_new           (void);
SfFaceList *sf_dataset_view_get_faces     (SfDatasetView *self);
void        sf_dataset_view_set_faces     (SfDatasetView *self, SfFaceList *faces);
double      sf_dataset_view_get_zoom      (SfDatasetView *self);
void        sf_dataset_view_set_zoom      (SfDatasetView *self, double zoom);
/* -1 for every person. */
void        sf_dataset_view_set_person    (SfDatasetView *self, int person);
/* Selects dataset image `index` (showing every person if the filter hides it). */
void        sf_dataset_view_select_image  (SfDatasetView *self, int index);
/* The dataset index of the selected face, or -1. */
int         sf_dataset_view_get_selected  (SfDatasetView *self);

G_END_DECLS
