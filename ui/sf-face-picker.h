/* Choosing one face: a dataset face by person and image from a popover, or an
 * image file from outside the dataset (loaded and resized to the dataset's
 * size off the main thread). Says what was chosen with "face-chosen". */
#pragma once

#include <gtk/gtk.h>

#include "sf-face-list.h"
#include "sf-face.h"
#include "sf-held-out.h"

G_BEGIN_DECLS

#define SF_TYPE_FACE_PICKER (sf_face_picker_get_type ())

G_DECLARE_FINAL_TYPE (SfFacePicker, sf_face_picker, SF, FACE_PICKER, GtkWidget)

GtkWidget  *sf_face_picker_new            (void);

/* "faces": the dataset to choose from. The chosen face stays when it can: the
 * same index if the new dataset has it (else its first face), an image file
 * resized to the new dataset's size. */
SfFaceList *sf_face_picker_get_faces      (SfFacePicker *self);
void        sf_face_picker_set_faces      (SfFacePicker *self, SfFaceList *faces);

/* Marks the held-out people in the person list and the held-out faces (a
 * copy is kept; NULL: none). Call it after sf_face_picker_set_faces. */
void        sf_face_picker_set_held_out   (SfFacePicker *self, const SfHeldOut *held_out);

/* "index": the dataset face chosen, or -1 while the image file is. Setting it
 * shows that face in the popover, drops a pending file load and does not emit
 * "face-chosen" (that is for the user's choices). */
int         sf_face_picker_get_index      (SfFacePicker *self);
void        sf_face_picker_set_index      (SfFacePicker *self, int index);
/* The face chosen, or NULL without faces: a face of "faces", or the image
 * file as the only face of a list of its own (sf_face_get_path is the file). */
SfFace     *sf_face_picker_dup_face       (SfFacePicker *self);

/* Asks for an image file with a file chooser, then loads it as
 * sf_face_picker_open_image does. */
void        sf_face_picker_choose_file    (SfFacePicker *self);
/* Loads `path` off the main thread ("loading" is TRUE meanwhile). A file
 * that cannot be read leaves the choice as it was and says why in a toast
 * and in sf_face_picker_get_last_error. */
void        sf_face_picker_open_image     (SfFacePicker *self, const char *path);
gboolean    sf_face_picker_get_loading    (SfFacePicker *self);
const char *sf_face_picker_get_last_error (SfFacePicker *self);

/* Signal "face-chosen" (SfFacePicker *picker, int index, SfFace *face): the
 * user chose another dataset face (index >= 0) or an image file loaded
 * (index -1); `face` is then what sf_face_picker_dup_face returns. */

G_END_DECLS
