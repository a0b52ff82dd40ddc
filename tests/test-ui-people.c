/* The People view in the real window under Xvfb, with a tiny model trained
 * here and saved to a file: Add Person through the dialog's action (a folder
 * of PGM files), the gallery written beside the model by the session, a probe
 * identified with the session's threshold deciding "unknown", the dataset's
 * people enrolled in one step, a bad probe file, a new model re-embedding
 * everyone, the gallery going with the model when it is saved under a new
 * name and read back when the first model is opened again; the map widget
 * holding the points of the dataset and the gallery; and the embedding map
 * drawn on an image surface. */
#include <math.h>
#include <string.h>
#include <adwaita.h>
#include <glib/gstdio.h>

#include "pairs.h"

#include "sf-application.h"
#include "sf-embedding-map.h"
#include "sf-face-picker.h"
#include "sf-people-view.h"
#include "sf-person-dialog.h"
#include "sf-screenshots.h"
#include "sf-test-files.h"
#include "sf-test-model.h"
#include "sf-test-ui.h"
#include "sf-window.h"

static SfApplication *app;
static SfWindow *window;
static SfPeopleView *view;
static char *tmp_dir;

static gboolean
view_idle (gpointer data)
{
  return !sf_people_view_get_busy (view);
}

/* A label under widget whose text contains needle. */
static gboolean
has_label (GtkWidget *widget, const char *needle)
{
  if (GTK_IS_LABEL (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), needle) != NULL)
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (has_label (child, needle))
      return TRUE;
  return FALSE;
}

static SfSession *
session (void)
{
  return sf_window_get_session (window);
}

static const SfDataset *
dataset (void)
{
  return sf_face_list_get_dataset (sf_window_get_faces (window));
}

static const SfGallery *
gallery (void)
{
  return sf_session_get_gallery (session ());
}

static SfMapData *
map_data (void)
{
  return sf_embedding_map_get_data (sf_people_view_get_map (view));
}

static int
n_map_points (void)
{
  return map_data () != NULL ? map_data ()->n_points : 0;
}

/* The map shows every dataset face (coloured by person) and then every face
 * of the session's gallery (coloured as the dataset person of that name, if
 * any), with the name in each tooltip. */
static void
assert_map_matches (void)
{
  const SfDataset *d = dataset ();
  const SfGallery *g = gallery ();
  SfMapData *data = map_data ();

  g_assert_nonnull (data);
  g_assert_cmpint (data->n_points, ==, d->n_images + sf_gallery_get_n_faces (g));
  g_assert_cmpint (sf_map_data_get_n_enrolled (data), ==, sf_gallery_get_n_faces (g));
  for (int i = 0; i < d->n_images; i++)
    {
      g_assert_false (data->points[i].enrolled);
      g_assert_cmpint (data->points[i].colour, ==, d->labels[i]);
      g_assert_true (g_str_has_prefix (data->labels[i], d->person_names[d->labels[i]]));
    }
  for (int f = 0; f < sf_gallery_get_n_faces (g); f++)
    {
      const char *name = sf_gallery_get_person_name (g, sf_gallery_get_face_person (g, f));
      g_autofree char *label = g_strdup_printf ("%s, enrolled", name);
      g_assert_true (data->points[d->n_images + f].enrolled);
      g_assert_cmpstr (data->labels[d->n_images + f], ==, label);
    }
}


static int
image_of (int person, int k)
{
  return sf_test_image_of (dataset (), person, k);
}

static char *
write_pgm (const char *dir, const char *name, int index)
{
  const SfDataset *d = dataset ();
  return sf_test_write_pgm (dir, name, sf_dataset_image (d, index), d->width, d->height, 1);
}

/* The map widget draws its points where sf_embedding_map_layout puts them:
 * an enrolled face's dot differs from the empty corner. */
static void
assert_map_draws_enrolled (void)
{
  GtkWidget *map = GTK_WIDGET (sf_people_view_get_map (view));
  SfMapData *data = map_data ();
  int width = gtk_widget_get_width (map), height = gtk_widget_get_height (map);
  GError *error = NULL;

  g_assert_cmpint (width, >, 0);
  g_autoptr (GdkTexture) texture = sf_screenshot_texture (map, &error);
  g_assert_no_error (error);
  g_autofree guint32 *pixels = g_new (guint32, (gsize) width * height);
  gdk_texture_download (texture, (guchar *) pixels, width * 4);
  g_autofree double *xs = g_new (double, data->n_points);
  g_autofree double *ys = g_new (double, data->n_points);
  sf_embedding_map_layout (data->points, data->n_points, width, height, xs, ys);
  int last = data->n_points - 1;
  g_assert_true (data->points[last].enrolled);
  guint32 corner = pixels[(gsize) (height / 2) * width + 4];
  guint32 dot = pixels[(gsize) (int) ys[last] * width + (int) xs[last]];
  g_assert_cmphex (dot, !=, corner);
}

static void
test_no_model (void)
{
  GtkStack *stack = GTK_STACK (sf_test_find_widget (GTK_WIDGET (view), GTK_TYPE_STACK, NULL));

  g_assert_null (sf_session_get_checkpoint (session ()));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "empty");
  g_assert_true (has_label (GTK_WIDGET (view), "No Model Yet"));
}

static void
test_model_and_dialog (void)
{
  GError *error = NULL;
  SfCheckpoint *checkpoint = sf_test_train_checkpoint (dataset (), 3, &error);
  g_assert_no_error (error);
  g_autofree char *model_path = g_build_filename (tmp_dir, "faces.safetensors", NULL);
  g_assert_true (sf_checkpoint_save (model_path, checkpoint->model, &checkpoint->settings, checkpoint->history,
                                     checkpoint->n_history, checkpoint->threshold, NULL, NULL, &error));
  g_assert_no_error (error);
  sf_session_set_checkpoint (session (), checkpoint, model_path);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "people"));
  sf_test_wait_until (view_idle, NULL, "the map");
  sf_test_settle (window);
  GtkStack *stack = GTK_STACK (sf_test_find_widget (GTK_WIDGET (view), GTK_TYPE_STACK, NULL));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "main");
  g_assert_cmpint (n_map_points (), ==, dataset ()->n_images);
  assert_map_matches ();
  SfEmbeddingMap *map = sf_people_view_get_map (view);
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (map)), ==, GTK_ACCESSIBLE_ROLE_IMG);
  g_autofree char *description = g_strdup_printf ("%d dataset faces and 0 enrolled faces", dataset ()->n_images);
  g_assert_true (g_str_has_prefix (sf_embedding_map_get_description (map), description));
  g_assert_true (has_label (GTK_WIDGET (view), description));
  g_autofree char *gallery_path = g_build_filename (tmp_dir, "faces.gallery", NULL);
  g_assert_cmpstr (sf_session_get_gallery_path (session ()), ==, gallery_path);
  g_assert_false (g_file_test (gallery_path, G_FILE_TEST_EXISTS));   /* nobody to keep yet */
  g_assert_true (has_label (GTK_WIDGET (view), "faces.gallery"));

  /* Where the dataset's faces are, on the map and on the screen. */
  GtkWidget *map_widget = GTK_WIDGET (map);
  int n_images = dataset ()->n_images;
  int map_width = gtk_widget_get_width (map_widget), map_height = gtk_widget_get_height (map_widget);
  g_assert_cmpint (map_width, >, 0);
  g_autofree SfMapPoint *before = g_memdup2 (map_data ()->points, sizeof (SfMapPoint) * n_images);
  g_autofree double *xs_before = g_new (double, n_images);
  g_autofree double *ys_before = g_new (double, n_images);
  sf_embedding_map_layout (before, n_images, map_width, map_height, xs_before, ys_before);

  /* Add Person… opens the dialog; a folder names the person; Add enrols. */
  g_autofree char *folder = g_build_filename (tmp_dir, "Ann", NULL);
  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  g_autofree char *a = write_pgm (folder, "1.pgm", image_of (0, 0));
  g_autofree char *b = write_pgm (folder, "2.pgm", image_of (0, 1));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "people.add-person", NULL));
  sf_test_wait_toplevel_shown (SF_TYPE_PERSON_DIALOG, "the Add Person dialog");
  SfPersonDialog *dialog = SF_PERSON_DIALOG (sf_test_find_toplevel (SF_TYPE_PERSON_DIALOG));
  const char *paths[] = { folder, NULL };
  sf_person_dialog_add_paths (dialog, paths);
  g_assert_cmpstr (sf_person_dialog_get_name (dialog), ==, "Ann");
  g_assert_cmpuint (g_strv_length ((char **) sf_person_dialog_get_paths (dialog)), ==, 2);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.add", NULL));
  sf_test_wait_toplevel_gone (SF_TYPE_PERSON_DIALOG, "the dialog to close");
  sf_test_wait_until (view_idle, NULL, "the enrolment");
  sf_test_settle (window);

  g_assert_cmpint (sf_gallery_get_n_people (gallery ()), ==, 1);
  g_assert_cmpint (sf_gallery_get_person_n_faces (gallery (), 0), ==, 2);
  g_assert_cmpstr (sf_gallery_get_face_path (gallery (), 0), ==, a);
  g_assert_cmpint (n_map_points (), ==, dataset ()->n_images + 2);
  assert_map_matches ();
  g_assert_true (has_label (GTK_WIDGET (view), "2 images"));
  g_assert_true (has_label (GTK_WIDGET (view), "and 2 enrolled faces"));
  assert_map_draws_enrolled ();
  /* Enrolling moved nobody: the plane was fitted on the dataset's faces
   * and Ann was projected into it; the frame is the dataset's. */
  SfMapData *after = map_data ();
  g_assert_cmpint (gtk_widget_get_width (map_widget), ==, map_width);
  g_assert_cmpint (gtk_widget_get_height (map_widget), ==, map_height);
  g_autofree double *xs_after = g_new (double, after->n_points);
  g_autofree double *ys_after = g_new (double, after->n_points);
  sf_embedding_map_layout (after->points, after->n_points, map_width, map_height, xs_after, ys_after);
  for (int i = 0; i < n_images; i++)
    {
      g_assert_cmpfloat (after->points[i].x, ==, before[i].x);
      g_assert_cmpfloat (after->points[i].y, ==, before[i].y);
      g_assert_cmpfloat_with_epsilon (xs_after[i], xs_before[i], 1e-6);
      g_assert_cmpfloat_with_epsilon (ys_after[i], ys_before[i], 1e-6);
    }
  /* Ann's faces are projected as the dataset's were: her first image is
   * person 0's first, so her point lies on that face's point. */
  g_assert_cmpint (after->points[n_images].gallery_person, ==, 0);
  g_assert_cmpfloat_with_epsilon (after->points[n_images].x, after->points[image_of (0, 0)].x, 1e-2);
  g_assert_cmpfloat_with_epsilon (after->points[n_images].y, after->points[image_of (0, 0)].y, 1e-2);
  g_autoptr (SfGallery) saved = sf_gallery_load (gallery_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sf_gallery_get_n_people (saved), ==, 1);
  g_assert_cmpstr (sf_gallery_get_person_name (saved, 0), ==, "Ann");
}

static void
test_identify (void)
{
  g_autofree char *probe = write_pgm (tmp_dir, "probe.pgm", image_of (0, 0));
  GtkWidget *map = GTK_WIDGET (sf_people_view_get_map (view));
  int map_width = gtk_widget_get_width (map), map_height = gtk_widget_get_height (map);

  g_assert_false (sf_embedding_map_get_probe (SF_EMBEDDING_MAP (map))->shown);
  sf_session_set_threshold (session (), 0.0);
  g_assert_true (sf_people_view_identify_file (view, probe));
  sf_test_settle (window);
  sf_test_settle (window);
  /* The candidates take no room from the map. */
  g_assert_cmpint (gtk_widget_get_width (map), ==, map_width);
  g_assert_cmpint (gtk_widget_get_height (map), ==, map_height);
  /* The probe is on the map, Ann marked as nearest, where her image lies. */
  const SfMapProbe *mark = sf_embedding_map_get_probe (SF_EMBEDDING_MAP (map));
  g_assert_true (mark->shown);
  g_assert_cmpint (mark->n_nearest, ==, 1);
  g_assert_cmpint (mark->nearest[0], ==, sf_gallery_find_person (gallery (), "Ann"));
  g_assert_cmpfloat_with_epsilon (mark->x, map_data ()->points[image_of (0, 0)].x, 1e-2);
  g_assert_cmpfloat_with_epsilon (mark->y, map_data ()->points[image_of (0, 0)].y, 1e-2);
  int n = 0;
  const SfCandidate *candidates = sf_people_view_get_candidates (view, &n);
  g_assert_cmpint (n, ==, 1);
  g_assert_cmpfloat (candidates[0].distance, <, 0.05);   /* the enrolled image itself, up to 8-bit rounding */
  g_assert_true (g_str_has_prefix (sf_people_view_get_verdict (view), "Identified: Ann"));
  g_assert_true (has_label (GTK_WIDGET (view), "Threshold 0.000"));
  /* What the view shows is the session's threshold, not the checkpoint's field. */
  g_assert_cmpfloat (sf_session_get_checkpoint (session ())->threshold, ==, 0.5f);

  /* Above every score nobody is named. */
  sf_session_set_threshold (session (), 1.0);
  sf_test_settle (window);
  g_assert_true (g_str_has_prefix (sf_people_view_get_verdict (view), "Unknown person"));

  /* A bad probe keeps the last one and names the file. */
  g_autofree char *bad = g_build_filename (tmp_dir, "bad.pgm", NULL);
  g_assert_true (g_file_set_contents (bad, "P5\n9999999 1\n255\n", -1, NULL));
  g_assert_false (sf_people_view_identify_file (view, bad));
  g_assert_nonnull (strstr (sf_people_view_get_last_error (view), "bad.pgm"));
  sf_people_view_get_candidates (view, &n);
  g_assert_cmpint (n, ==, 1);
}

/* Enrol Dataset asks first: answers with `shots` images each (or cancels
 * when there is nobody to enrol) and returns what the dialog said. */
static char *
enrol_dataset_through_dialog (int shots, gboolean expect_anyone)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "people.enroll-dataset", NULL));
  sf_test_wait_toplevel_shown (ADW_TYPE_MESSAGE_DIALOG, "the Enrol Dataset dialog");
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (sf_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  char *body = g_strdup (adw_message_dialog_get_body (dialog));
  GtkSpinButton *spin = GTK_SPIN_BUTTON (sf_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_SPIN_BUTTON, "enrol-shots"));
  g_assert_nonnull (spin);
  gtk_spin_button_set_value (spin, shots);
  g_assert_cmpint (adw_message_dialog_get_response_enabled (dialog, "enrol"), ==, expect_anyone);
  adw_message_dialog_response (dialog, expect_anyone ? "enrol" : "cancel");
  gtk_window_close (GTK_WINDOW (dialog));
  sf_test_wait_toplevel_gone (ADW_TYPE_MESSAGE_DIALOG, "the Enrol Dataset dialog to close");
  return body;
}

static void
test_enroll_dataset_and_new_model (void)
{
  /* Ann was enrolled from copies of person 0's images: the dialog says so,
   * and she is not enrolled a second time under the dataset's name. */
  g_assert_cmpint (sf_people_view_find_enrolled (view, 0), ==, sf_gallery_find_person (gallery (), "Ann"));
  g_assert_cmpint (sf_people_view_find_enrolled (view, 1), ==, -1);
  g_autofree char *body = enrol_dataset_through_dialog (2, TRUE);
  g_autofree char *as_ann = g_strdup_printf ("%s as Ann", dataset ()->person_names[0]);
  g_assert_nonnull (strstr (body, as_ann));
  sf_test_wait_until (view_idle, NULL, "the dataset's people");
  sf_test_settle (window);
  g_assert_cmpint (sf_gallery_get_n_people (gallery ()), ==, dataset ()->n_people);
  g_assert_cmpint (sf_gallery_find_person (gallery (), dataset ()->person_names[0]), ==, -1);
  g_assert_cmpint (sf_gallery_get_n_faces (gallery ()), ==, 2 * dataset ()->n_people);   /* two shots each */
  g_assert_cmpint (sf_gallery_get_person_n_faces (gallery (), sf_gallery_find_person (gallery (), dataset ()->person_names[5])), ==, 2);
  assert_map_matches ();
  /* A dataset person enrolled keeps their colour on the map. */
  SfMapData *data = map_data ();
  int person = sf_gallery_find_person (gallery (), dataset ()->person_names[3]);
  int face = sf_gallery_get_person_face (gallery (), person);
  g_assert_cmpint (data->points[dataset ()->n_images + face].colour, ==, 3);
  /* Again: nobody twice. */
  g_autofree char *again = enrol_dataset_through_dialog (1, FALSE);
  g_assert_nonnull (strstr (again, "Everyone"));
  sf_test_wait_until (view_idle, NULL, "the dataset's people again");
  g_assert_cmpint (sf_gallery_get_n_faces (gallery ()), ==, 2 * dataset ()->n_people);

  /* Probes of a dataset person are identified among everyone (Ann for person 0). */
  sf_session_set_threshold (session (), 0.0);
  g_autofree char *probe = write_pgm (tmp_dir, "probe3.pgm", image_of (3, 0));
  g_assert_true (sf_people_view_identify_file (view, probe));
  int n = 0;
  const SfCandidate *candidates = sf_people_view_get_candidates (view, &n);
  g_assert_cmpint (n, ==, dataset ()->n_people);
  g_assert_cmpstr (sf_gallery_get_person_name (gallery (), candidates[0].person), ==, dataset ()->person_names[3]);

  /* A new model with no file: the same people, embedded by it, kept in memory. */
  GError *error = NULL;
  SfCheckpoint *checkpoint = sf_test_train_checkpoint (dataset (), 1, &error);
  g_assert_no_error (error);
  g_autoptr (SfModel) model = sf_model_copy (checkpoint->model);
  sf_session_set_checkpoint (session (), checkpoint, NULL);
  sf_test_wait_until (view_idle, NULL, "re-embedding");
  sf_test_settle (window);
  g_assert_cmpint (sf_gallery_get_n_people (gallery ()), ==, dataset ()->n_people);
  g_assert_true (sf_gallery_is_current (gallery (), model));
  g_assert_null (sf_session_get_gallery_path (session ()));
  g_assert_true (has_label (GTK_WIDGET (view), "Kept in memory"));
  assert_map_matches ();

  /* Rename: a new name sticks, a taken or empty one is refused with a reason. */
  g_autoptr (GError) rename_error = NULL;
  g_autofree char *second = g_strdup (sf_gallery_get_person_name (gallery (), 1));
  g_assert_true (sf_people_view_rename_person (view, 0, "  Ada Lovelace ", &rename_error));
  g_assert_no_error (rename_error);
  g_assert_cmpstr (sf_gallery_get_person_name (gallery (), 0), ==, "Ada Lovelace");
  g_assert_true (has_label (GTK_WIDGET (view), "Ada Lovelace"));
  g_assert_false (sf_people_view_rename_person (view, 0, second, &rename_error));
  g_assert_nonnull (rename_error);
  g_clear_error (&rename_error);
  g_assert_false (sf_people_view_rename_person (view, 0, "   ", &rename_error));
  g_assert_nonnull (rename_error);
  g_assert_cmpstr (sf_gallery_get_person_name (gallery (), 0), ==, "Ada Lovelace");
  sf_test_wait_until (view_idle, NULL, "the map after renaming");
  assert_map_matches ();

  sf_people_view_remove_person (view, 0);
  sf_test_wait_until (view_idle, NULL, "the map after removing");
  g_assert_cmpint (sf_gallery_get_n_people (gallery ()), ==, dataset ()->n_people - 1);
  g_assert_cmpint (n_map_points (), ==, dataset ()->n_images + 2 * (dataset ()->n_people - 1));
  assert_map_matches ();
}

/* The gallery lives beside the model file: saving the model under a new name
 * takes the people along, and opening the first model again brings back the
 * people saved beside it, not the ones in memory. */
static void
test_gallery_follows_model (void)
{
  GError *error = NULL;
  g_autofree char *other = g_build_filename (tmp_dir, "other.safetensors", NULL);
  g_autofree char *other_gallery = g_build_filename (tmp_dir, "other.gallery", NULL);

  g_assert_null (sf_session_get_gallery_path (session ()));
  g_assert_true (sf_session_save (session (), other, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (sf_session_get_gallery_path (session ()), ==, other_gallery);
  g_autoptr (SfGallery) saved = sf_gallery_load (other_gallery, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sf_gallery_get_n_people (saved), ==, dataset ()->n_people - 1);
  sf_test_settle (window);
  g_assert_true (has_label (GTK_WIDGET (view), "other.gallery"));

  /* faces.gallery has Ann and the dataset's people as enrolled before the
   * model changed (no rename, no removal: those happened in memory). */
  g_autofree char *first = g_build_filename (tmp_dir, "faces.safetensors", NULL);
  g_autofree char *first_gallery = g_build_filename (tmp_dir, "faces.gallery", NULL);
  sf_window_open_model (window, first);
  g_assert_cmpstr (sf_session_get_model_path (session ()), ==, first);
  g_assert_cmpstr (sf_session_get_gallery_path (session ()), ==, first_gallery);
  g_assert_cmpint (sf_gallery_get_n_people (gallery ()), ==, dataset ()->n_people);
  g_assert_cmpint (sf_gallery_find_person (gallery (), "Ann"), ==, 0);
  g_assert_cmpint (sf_gallery_find_person (gallery (), "Ada Lovelace"), ==, -1);
  sf_test_wait_until (view_idle, NULL, "the reopened model's map");
  sf_test_settle (window);
  g_assert_true (has_label (GTK_WIDGET (view), "Ann"));
  g_assert_true (has_label (GTK_WIDGET (view), "faces.gallery"));
  assert_map_matches ();
}

/* Held-out people are marked: the map's points carry the split's held-out
 * marks and the map can hide either part; enrolled people of a held-out
 * dataset name say so. */
static void
test_held_out (void)
{
  const SfDataset *d = dataset ();
  const SfCheckpoint *checkpoint = sf_session_get_checkpoint (session ());
  GError *error = NULL;

  sf_test_wait_until (view_idle, NULL, "the map");
  sf_test_settle (window);
  g_assert_cmpint (checkpoint->settings.split, ==, SF_SPLIT_PEOPLE);
  g_autoptr (SfPairSet) split = sf_pairs_generate (d, checkpoint->settings.split, checkpoint->settings.split_share,
                                                   checkpoint->settings.seed, &error);
  g_assert_no_error (error);
  SfMapData *data = map_data ();
  g_assert_nonnull (data);
  int n_held = 0;
  for (int i = 0; i < d->n_images; i++)
    {
      g_assert_cmpint (data->points[i].held_out, ==, split->held_out[i]);
      n_held += split->held_out[i];
    }
  g_assert_cmpint (n_held, >, 0);
  g_assert_cmpint (n_held, <, d->n_images);

  /* The people list: a row is marked exactly when its name is a held-out person's. */
  GtkWidget *list = sf_test_find_widget (GTK_WIDGET (view), GTK_TYPE_LIST_BOX, "people-list");
  g_assert_nonnull (list);
  int n_rows = 0, n_marked = 0;
  for (GtkWidget *row = gtk_widget_get_first_child (list); row != NULL; row = gtk_widget_get_next_sibling (row))
    {
      if (!ADW_IS_ACTION_ROW (row))
        continue;
      const char *name = adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row));
      gboolean held = FALSE;
      for (int i = 0; i < d->n_images; i++)
        held |= split->held_out[i] && g_strcmp0 (d->person_names[d->labels[i]], name) == 0;
      g_assert_cmpint (gtk_widget_has_css_class (row, "held-out"), ==, held);
      g_assert_cmpint (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "held out") != NULL, ==, held);
      n_rows++;
      n_marked += held;
    }
  g_assert_cmpint (n_rows, >, 0);
  g_assert_cmpint (n_marked, >, 0);

  /* Show or hide either part. */
  SfEmbeddingMap *map = sf_people_view_get_map (view);
  GtkCheckButton *held_check = GTK_CHECK_BUTTON (sf_test_find_widget (GTK_WIDGET (view), GTK_TYPE_CHECK_BUTTON,
                                                                      "map-show-held-out"));
  GtkCheckButton *training_check = GTK_CHECK_BUTTON (sf_test_find_widget (GTK_WIDGET (view), GTK_TYPE_CHECK_BUTTON,
                                                                          "map-show-training"));
  g_assert_nonnull (held_check);
  g_assert_nonnull (training_check);
  g_assert_cmpint (sf_embedding_map_get_show (map), ==, SF_MAP_SHOW_ALL);
  gtk_check_button_set_active (held_check, FALSE);
  g_assert_cmpint (sf_embedding_map_get_show (map), ==, SF_MAP_SHOW_TRAINING);
  gtk_check_button_set_active (held_check, TRUE);
  gtk_check_button_set_active (training_check, FALSE);
  g_assert_cmpint (sf_embedding_map_get_show (map), ==, SF_MAP_SHOW_HELD_OUT);
  gtk_check_button_set_active (training_check, TRUE);
  g_assert_cmpint (sf_embedding_map_get_show (map), ==, SF_MAP_SHOW_ALL);

  /* Hidden points are not drawn and cannot be hit; the layout stays. */
  SfMapPoint points[] = {
    { 0, 0, 0, FALSE, FALSE }, { 1, 0, 1, FALSE, TRUE }, { 0, 1, 2, FALSE, FALSE }, { 1, 1, 3, TRUE, FALSE },
  };
  double xs[4], ys[4];
  sf_embedding_map_layout (points, 4, 200, 200, xs, ys);
  const SfMapShow shows[] = { SF_MAP_SHOW_TRAINING, SF_MAP_SHOW_HELD_OUT };
  for (guint k = 0; k < G_N_ELEMENTS (shows); k++)
    {
      cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 200, 200);
      cairo_t *cr = cairo_create (surface);
      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_paint (cr);
      sf_embedding_map_draw_shown (cr, 200, 200, points, 4, -1, FALSE, shows[k], NULL, NULL);
      cairo_destroy (cr);
      cairo_surface_flush (surface);
      const guint8 *pixels = cairo_image_surface_get_data (surface);
      int stride = cairo_image_surface_get_stride (surface);
      for (int i = 0; i < 4; i++)
        {
          gboolean shown = points[i].enrolled || (points[i].held_out ? shows[k] == SF_MAP_SHOW_HELD_OUT
                                                                     : shows[k] == SF_MAP_SHOW_TRAINING);
          guint32 pixel = *((const guint32 *) (pixels + (int) ys[i] * stride) + (int) xs[i]) & 0xffffff;
          g_assert_cmpint (pixel != 0xffffff, ==, shown);
          g_assert_cmpint (sf_embedding_map_hit_shown (points, 4, 200, 200, xs[i], ys[i], 6, shows[k]) == i, ==, shown);
        }
      cairo_surface_destroy (surface);
    }
}

/* Identify takes a dataset face from the picker, not only a file. */
static void
test_identify_from_dataset (void)
{
  SfFacePicker *picker = SF_FACE_PICKER (sf_test_find_widget (GTK_WIDGET (view), SF_TYPE_FACE_PICKER, "probe-picker"));
  g_assert_nonnull (picker);
  g_assert_true (sf_face_picker_get_faces (picker) == sf_window_get_faces (window));
  GtkDropDown *people = GTK_DROP_DOWN (sf_test_find_widget (GTK_WIDGET (picker), GTK_TYPE_DROP_DOWN, "person-picker"));
  GtkFlowBox *faces = GTK_FLOW_BOX (sf_test_find_widget (GTK_WIDGET (picker), GTK_TYPE_FLOW_BOX, "face-picker"));
  g_assert_nonnull (people);
  g_assert_nonnull (faces);

  sf_test_wait_until (view_idle, NULL, "the view to go idle");
  sf_session_set_threshold (session (), 0.0);
  /* Person 7: the last probe (test_enroll_dataset_and_new_model) was person 3. */
  gtk_drop_down_set_selected (people, 7);
  GtkWidget *first = gtk_widget_get_first_child (GTK_WIDGET (faces));
  g_assert_nonnull (first);
  g_signal_emit_by_name (faces, "child-activated", first);
  sf_test_settle (window);
  g_assert_cmpint (sf_face_picker_get_index (picker), ==, image_of (7, 0));
  int n = 0;
  const SfCandidate *candidates = sf_people_view_get_candidates (view, &n);
  g_assert_cmpint (n, ==, sf_gallery_get_n_people (gallery ()));
  g_assert_cmpstr (sf_gallery_get_person_name (gallery (), candidates[0].person), ==, dataset ()->person_names[7]);
  g_assert_true (has_label (GTK_WIDGET (view), "Identified:"));
}

static void
collect_accelerators (GtkWidget *widget, GPtrArray *accelerators)
{
  if (GTK_IS_SHORTCUTS_SHORTCUT (widget))
    {
      char *accelerator = NULL, *action = NULL;
      g_object_get (widget, "accelerator", &accelerator, "action-name", &action, NULL);
      if (accelerator != NULL)
        g_ptr_array_add (accelerators, accelerator);
      if (action != NULL)
        {
          g_auto (GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), action);
          for (int i = 0; accels != NULL && accels[i] != NULL; i++)
            g_ptr_array_add (accelerators, g_strdup (accels[i]));
          g_free (action);
        }
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    collect_accelerators (child, accelerators);
}

/* The Keyboard Shortcuts window names the People view's own keys. */
static void
test_shortcuts_window (void)
{
  g_autoptr (GtkBuilder) builder = gtk_builder_new_from_resource ("/io/github/siamesefaces/SiameseFaces/gtk/help-overlay.ui");
  GtkWidget *overlay = GTK_WIDGET (gtk_builder_get_object (builder, "help_overlay"));
  g_assert_nonnull (overlay);
  g_autoptr (GPtrArray) accelerators = g_ptr_array_new_with_free_func (g_free);
  collect_accelerators (overlay, accelerators);
  const char *wanted[] = { "<Control>n", "<Control>i" };
  for (guint k = 0; k < G_N_ELEMENTS (wanted); k++)
    {
      guint key = 0;
      GdkModifierType mods = 0;
      g_assert_true (gtk_accelerator_parse (wanted[k], &key, &mods));
      gboolean found = FALSE;
      for (guint i = 0; i < accelerators->len; i++)
        {
          guint k2 = 0;
          GdkModifierType m2 = 0;
          found |= gtk_accelerator_parse (accelerators->pdata[i], &k2, &m2) && k2 == key && m2 == mods;
        }
      if (!found)
        g_error ("the shortcuts window omits %s", wanted[k]);
    }
  gtk_window_destroy (GTK_WINDOW (overlay));
}

static void
test_map_drawing (void)
{
  SfMapPoint points[] = {
    { 0, 0, 0, FALSE, FALSE, -1 }, { 1, 0, 1, FALSE, FALSE, -1 }, { 0, 1, 2, FALSE, FALSE, -1 },
    { 1, 1, 3, TRUE, FALSE, 0 },
  };
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 200, 200);
  cairo_t *cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  sf_embedding_map_draw (cr, 200, 200, points, 4, -1, FALSE);
  cairo_destroy (cr);
  cairo_surface_flush (surface);

  double xs[4], ys[4];
  sf_embedding_map_layout (points, 4, 200, 200, xs, ys);
  /* Aspect kept and the y axis up: (1, 1) is at the top right. */
  g_assert_cmpfloat (xs[3], >, xs[0]);
  g_assert_cmpfloat (ys[3], <, ys[0]);
  g_assert_cmpfloat (fabs ((xs[1] - xs[0]) - (ys[0] - ys[2])), <, 1e-9);
  const guint8 *data = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface);
  for (int i = 0; i < 4; i++)
    {
      const guint32 *pixel = (const guint32 *) (data + (int) ys[i] * stride) + (int) xs[i];
      g_assert_cmphex (*pixel & 0xffffff, !=, 0xffffff);
    }
  /* Between the points: background. */
  g_assert_cmphex (*((const guint32 *) (data + 100 * stride) + 100) & 0xffffff, ==, 0xffffff);
  cairo_surface_destroy (surface);

  g_assert_cmpint (sf_embedding_map_hit (points, 4, 200, 200, xs[3] + 5, ys[3], 6), ==, 3);
  g_assert_cmpint (sf_embedding_map_hit (points, 4, 200, 200, xs[1] + 2, ys[1] - 2, 6), ==, 1);
  g_assert_cmpint (sf_embedding_map_hit (points, 4, 200, 200, 100, 100, 6), ==, -1);
  g_assert_cmpint (sf_embedding_map_hit (points, 0, 200, 200, 100, 100, 6), ==, -1);

  /* An enrolled face far out waits at the edge; the dataset's faces keep their places. */
  SfMapPoint far[5];
  memcpy (far, points, sizeof points);
  far[4] = (SfMapPoint) { 50, -50, 4, TRUE, FALSE, 1 };
  double far_xs[5], far_ys[5];
  sf_embedding_map_layout (far, 5, 200, 200, far_xs, far_ys);
  for (int i = 0; i < 4; i++)
    {
      g_assert_cmpfloat (far_xs[i], ==, xs[i]);
      g_assert_cmpfloat (far_ys[i], ==, ys[i]);
    }
  g_assert_cmpfloat (far_xs[4], <=, 200);
  g_assert_cmpfloat (far_ys[4], <=, 200);
  g_assert_cmpfloat (far_ys[4], >=, 0);
}

/* Coverage of the mark of person `colour` drawn alone, in the middle of a
 * size × size area: which pixels it paints. */
static guint8 *
mark_mask (int colour, int size)
{
  SfMapPoint point = { 0, 0, colour, FALSE, FALSE, -1 };
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, size, size);
  cairo_t *cr = cairo_create (surface);
  sf_embedding_map_draw (cr, size, size, &point, 1, -1, FALSE);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  guint8 *mask = g_new (guint8, size * size);
  const guint8 *data = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface);
  for (int y = 0; y < size; y++)
    for (int x = 0; x < size; x++)
      mask[y * size + x] = (((const guint32 *) (data + y * stride))[x] >> 24) > 128;
  cairo_surface_destroy (surface);
  return mask;
}

/* Forty people get forty marks told apart: a hue and a shape each, and
 * people with the same shape are at least a tenth of the wheel apart in hue. */
static void
test_map_marks (void)
{
  double hues[40];
  SfMapShape shapes[40];
  for (int c = 0; c < 40; c++)
    {
      double r, g, b;
      sf_embedding_map_style (c, FALSE, &hues[c], &r, &g, &b, &shapes[c]);
      g_assert_cmpint (shapes[c], >=, 0);
      g_assert_cmpint (shapes[c], <, SF_MAP_N_SHAPES);
    }
  for (int a = 0; a < 40; a++)
    for (int b = a + 1; b < 40; b++)
      {
        double gap = fabs (hues[a] - hues[b]);
        gap = MIN (gap, 1 - gap);
        if (shapes[a] == shapes[b] && hues[a] == hues[b])
          g_error ("people %d and %d get the same mark", a, b);
        if (shapes[a] == shapes[b] && gap < 0.099)
          g_error ("people %d and %d get the same shape and hues %.3f and %.3f", a, b, hues[a], hues[b]);
      }
  /* The shapes are drawn: people 0 and 10 share a hue, not a mark. */
  g_assert_cmpint (shapes[0], !=, shapes[10]);
  g_assert_cmpfloat (hues[0], ==, hues[10]);
  g_autofree guint8 *zero = mark_mask (0, 64);
  g_autofree guint8 *ten = mark_mask (10, 64);
  g_assert_cmpint (zero[32 * 64 + 32], ==, 1);
  g_assert_true (memcmp (zero, ten, 64 * 64) != 0);

  /* The probe and its nearest person are drawn: a cross where it lands. */
  SfMapPoint points[] = {
    { 0, 0, 0, FALSE, FALSE, -1 }, { 1, 0, 1, FALSE, FALSE, -1 }, { 0, 1, 2, FALSE, FALSE, -1 },
    { 1, 1, 3, TRUE, FALSE, 0 },
  };
  SfMapProbe probe = { TRUE, 0.5f, 0.5f, 1, { 0 } };
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 200, 200);
  cairo_t *cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  sf_embedding_map_draw_shown (cr, 200, 200, points, 4, -1, FALSE, SF_MAP_SHOW_ALL, &probe, NULL);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  const guint8 *data = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface);
  g_assert_cmphex (*((const guint32 *) (data + 100 * stride) + 100) & 0xffffff, !=, 0xffffff);
  /* The line to the nearest person (top right) passes between them. */
  g_assert_cmphex (*((const guint32 *) (data + 70 * stride) + 130) & 0xffffff, !=, 0xffffff);
  cairo_surface_destroy (surface);
}

int
main (int argc, char **argv)
{
  if (!sf_test_ui_init (&argc, &argv))
    return sf_test_ui_skip_no_display ();
  tmp_dir = sf_test_make_tmp_dir ("sf-ui-people-XXXXXX");
  window = sf_test_open_window (&app);
  view = SF_PEOPLE_VIEW (sf_test_find_widget (GTK_WIDGET (window), SF_TYPE_PEOPLE_VIEW, NULL));
  g_assert_nonnull (view);

  g_test_add_func ("/ui/people/no-model", test_no_model);
  g_test_add_func ("/ui/people/model-and-dialog", test_model_and_dialog);
  g_test_add_func ("/ui/people/identify", test_identify);
  g_test_add_func ("/ui/people/enroll-dataset-and-new-model", test_enroll_dataset_and_new_model);
  g_test_add_func ("/ui/people/identify-from-dataset", test_identify_from_dataset);
  g_test_add_func ("/ui/people/held-out", test_held_out);
  g_test_add_func ("/ui/people/gallery-follows-model", test_gallery_follows_model);
  g_test_add_func ("/ui/people/map-drawing", test_map_drawing);
  g_test_add_func ("/ui/people/map-marks", test_map_marks);
  g_test_add_func ("/ui/people/shortcuts-window", test_shortcuts_window);
  int status = g_test_run ();

  sf_test_wait_until (view_idle, NULL, "the view to go idle");
  sf_test_close_window (&app, &window);
  sf_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
