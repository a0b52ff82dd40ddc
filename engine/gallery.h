/* A gallery of enrolled people, matched without retraining: every face keeps
 * its pixels at the model's input size, the file it came from and its
 * embedding under one model, named by that model's fingerprint. Embeddings,
 * of enrolled faces and probes alike, are sf_model_embed_mirrored's (the
 * mean over the face and its mirror image). When the model changes the
 * embeddings are recomputed from the stored pixels. Saved as one
 * safetensors file (pixels, embeddings and person labels as tensors; names,
 * paths and the fingerprint in __metadata__), atomically, and only once the
 * loader has accepted the bytes. A gallery file is treated as hostile: every
 * dimension it states is checked, on load and against the model before use.
 * File names that are not UTF-8 survive: "paths" holds display names, and
 * "path_bytes", when needed, every path's bytes percent-encoded. */
#pragma once

#include <gio/gio.h>

#include "model.h"

G_BEGIN_DECLS

#define SF_GALLERY_FORMAT "siamese-faces-gallery/1"
/* Refused before allocating. */
#define SF_GALLERY_MAX_FACES 100000
#define SF_GALLERY_MAX_NAME 256
#define SF_GALLERY_MAX_EMBEDDING (1 << 16)

typedef struct _SfGallery SfGallery;

/* One person's best match for a probe. */
typedef struct {
  int person;
  int face;          /* the gallery face that scored best */
  float distance;
  float score;       /* the model's score for that distance; higher is more alike */
} SfCandidate;

/* SHA-256 hex of the tower spec, head, margin, input size, every parameter
 * and the way of embedding (mirrored): two models give the same embeddings
 * exactly when their fingerprints agree. */
char        *sf_model_fingerprint            (SfModel *model);

/* Loads an image file (PGM, PPM or PNG) as the dataset loaders do: grey, value
 * / maxval, resized to size × size by area averaging. Returns [size, size]. */
float       *sf_face_load                    (const char *path, int size, GError **error);
/* The image files directly inside folder (PGM, PPM, PNG by name), in natural
 * order; SF_ERROR_EMPTY when there are none. */
char       **sf_face_list_folder             (const char *folder, GError **error);

/* An empty gallery for faces of image_size × image_size. */
SfGallery   *sf_gallery_new                  (int image_size);
void         sf_gallery_free                 (SfGallery *gallery);
SfGallery   *sf_gallery_copy                 (const SfGallery *gallery);

int          sf_gallery_get_image_size       (const SfGallery *gallery);
/* 0 until the first face is embedded. */
int          sf_gallery_get_embedding_size   (const SfGallery *gallery);
/* The fingerprint of the model the embeddings come from; NULL when empty. */
const char  *sf_gallery_get_model_fingerprint (const SfGallery *gallery);

int          sf_gallery_get_n_people         (const SfGallery *gallery);
const char  *sf_gallery_get_person_name      (const SfGallery *gallery, int person);
/* -1 when nobody has that name. */
int          sf_gallery_find_person          (const SfGallery *gallery, const char *name);
int          sf_gallery_get_person_n_faces   (const SfGallery *gallery, int person);
/* The person's first face, -1 if none. */
int          sf_gallery_get_person_face      (const SfGallery *gallery, int person);

int          sf_gallery_get_n_faces          (const SfGallery *gallery);
int          sf_gallery_get_face_person      (const SfGallery *gallery, int face);
/* The file the face was enrolled from, in the file system's encoding (not
 * always UTF-8: show it with g_filename_display_name); NULL when it had none. */
const char  *sf_gallery_get_face_path        (const SfGallery *gallery, int face);
/* [image size, image size], values in [0, 1]. */
const float *sf_gallery_get_face_pixels      (const SfGallery *gallery, int face);
/* [embedding size]. */
const float *sf_gallery_get_face_embedding   (const SfGallery *gallery, int face);

/* TRUE when the embeddings come from this model (or the gallery is empty);
 * FALSE for embeddings of another width, whatever fingerprint the file names. */
gboolean     sf_gallery_is_current           (const SfGallery *gallery, SfModel *model);
/* Recomputes every embedding with model if they came from another one;
 * resizes the stored pixels first when its input size differs. A gallery
 * that names this model's fingerprint but holds embeddings of another width
 * is an SF_ERROR_FORMAT naming the file. */
gboolean     sf_gallery_update               (SfGallery *gallery, SfModel *model, GError **error);

/* Adds n faces (pixels [n, model input size²], paths[n] or NULL, entries may
 * be NULL) to the person called name, created if new, and embeds them with
 * model (updating the others first if the model changed). Names are trimmed;
 * empty or over-long names are refused. */
gboolean     sf_gallery_enroll               (SfGallery *gallery, SfModel *model, const char *name,
                                              const float *pixels, const char *const *paths, int n,
                                              GError **error);
/* The same from image files; a file that cannot be read fails the whole call
 * with its name and problem, leaving the gallery as it was. */
gboolean     sf_gallery_enroll_files         (SfGallery *gallery, SfModel *model, const char *name,
                                              const char *const *paths, int n, GError **error);
/* Every image directly inside folder; name NULL means the folder's name. */
gboolean     sf_gallery_enroll_folder        (SfGallery *gallery, SfModel *model, const char *name,
                                              const char *folder, GError **error);
void         sf_gallery_remove_person        (SfGallery *gallery, int person);
gboolean     sf_gallery_rename_person        (SfGallery *gallery, int person, const char *name, GError **error);

/* Every enrolled person's best score against the probe embedding, best
 * first: *n_candidates = n_people. The embeddings must be current
 * (sf_gallery_update). The probe is "unknown" when the gallery is empty or
 * candidates[0].score < threshold. */
SfCandidate *sf_gallery_identify_embedding   (const SfGallery *gallery, SfModel *model, const float *embedding,
                                              int *n_candidates);
/* The same for probe pixels [model input size²]; updates the gallery first.
 * NULL with error set on every failure. */
SfCandidate *sf_gallery_identify             (SfGallery *gallery, SfModel *model, const float *pixels,
                                              int *n_candidates, GError **error);

/* Two faces [model input size²] each: the model's score and distance, each
 * face embedded with its mirror as sf_evaluation_score_pairs does. Same person
 * when *score >= threshold. */
gboolean     sf_verify_faces                 (SfModel *model, const float *pixels_a, const float *pixels_b,
                                              float *score, float *distance, GError **error);

/* Atomic (atomic-file.h); refused with SF_ERROR_INVALID, leaving path as it
 * was, when sf_gallery_load would not accept the bytes or a path would not
 * come back as it is. */
gboolean     sf_gallery_save                 (const SfGallery *gallery, const char *path, GError **error);
/* Validates every shape, label, name and value; errors name the file. */
SfGallery   *sf_gallery_load                 (const char *path, GError **error);

/* The gallery file kept beside a model file: MODEL.gallery (the model's
 * extension replaced). */
char        *sf_gallery_path_for_model       (const char *model_path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfGallery, sf_gallery_free)

G_END_DECLS
