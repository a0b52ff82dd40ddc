/* The real application window, in process under Xvfb: start-up with the demo
 * faces, every view by its action, the dataset and pairs views, the shortcuts,
 * about and preferences windows, bad datasets that must not replace the open
 * one, the ORL folder when SF_DATASETS_DIR has it, and screenshots. */
#include <string.h>
#include <glib/gstdio.h>

#include "error.h"

#include "sf-application.h"
#include "sf-dataset-view.h"
#include "sf-face.h"
#include "sf-pair-item.h"
#include "sf-pair-row.h"
#include "sf-pair-window.h"
#include "sf-pairs-view.h"
#include "sf-screenshots.h"
#include "sf-test-files.h"
#include "sf-test-ui.h"
#include "sf-window.h"

static SfApplication *app;
static SfWindow *window;
static char *tmp_dir;

/* A label under widget whose text contains needle. */
static gboolean
has_label_text (GtkWidget *widget, const char *needle)
{
  if (GTK_IS_LABEL (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), needle) != NULL)
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (has_label_text (child, needle))
      return TRUE;
  return FALSE;
}

static gboolean
window_idle (gpointer data)
{
  return !sf_window_get_loading (window) && !sf_pairs_view_get_busy (sf_window_get_pairs_view (window));
}

/* Closes it as its close button would (the shortcuts window only hides). */
static void
close_toplevel (GType type)
{
  GtkWindow *found = sf_test_find_toplevel (type);

  g_assert_nonnull (found);
  gtk_window_close (found);
  sf_test_wait_toplevel_gone (type, g_type_name (type));
}

static const SfDataset *
dataset (void)
{
  return sf_face_list_get_dataset (sf_window_get_faces (window));
}

static void
test_startup (void)
{
  SfDatasetView *view = sf_window_get_dataset_view (window);

  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window)));
  g_assert_cmpint (dataset ()->format, ==, SF_DATASET_FORMAT_DEMO);
  g_assert_cmpint (dataset ()->n_images, ==, 200);
  g_assert_cmpint (dataset ()->n_people, ==, 20);
  g_assert_cmpint (dataset ()->width, ==, 64);
  g_assert_null (sf_window_get_path (window));
  g_assert_true (sf_window_get_welcome_shown (window));
  g_assert_cmpstr (sf_window_get_visible_view (window), ==, "dataset");
  g_assert_true (sf_dataset_view_get_faces (view) == sf_window_get_faces (window));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (sf_window_get_faces (window))), ==, 200);
  /* The first face is selected and shown large. */
  g_assert_cmpint (sf_dataset_view_get_selected (view), ==, 0);
  g_assert_nonnull (sf_pairs_view_get_pair_list (sf_window_get_pairs_view (window)));

  /* No model yet: one can be opened, none saved. */
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (window), "open-model"));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "open-model"));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "save-model-as"));
}

static void
collect_widgets (GtkWidget *widget, GType type, GPtrArray *found)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (found, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_widgets (child, type, found);
}

/* In every view switcher of the header (wide and narrow), the button of
 * view i is the one pressed, and no other: a user saw the highlight trail
 * the shown view by one. */
static void
assert_switcher_shows (guint i)
{
  GtkWidget *title = sf_test_find_widget (GTK_WIDGET (window), ADW_TYPE_VIEW_SWITCHER_TITLE, NULL);
  g_autoptr (GPtrArray) switchers = g_ptr_array_new ();

  g_assert_nonnull (title);
  collect_widgets (title, ADW_TYPE_VIEW_SWITCHER, switchers);
  g_assert_cmpuint (switchers->len, >=, 1);
  for (guint s = 0; s < switchers->len; s++)
    {
      g_autoptr (GPtrArray) toggles = g_ptr_array_new ();
      collect_widgets (switchers->pdata[s], GTK_TYPE_TOGGLE_BUTTON, toggles);
      g_assert_cmpuint (toggles->len, ==, g_strv_length ((char **) sf_window_view_names));
      for (guint k = 0; k < toggles->len; k++)
        g_assert_cmpint (gtk_toggle_button_get_active (toggles->pdata[k]), ==, k == i);
    }
}

static void
test_views (void)
{
  for (guint i = 0; sf_window_view_names[i] != NULL; i++)
    {
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s",
                                                 sf_window_view_names[i]));
      /* At once, before any frame: the highlight moves with the view. */
      assert_switcher_shows (i);
      sf_test_settle (window);
      assert_switcher_shows (i);
      g_assert_cmpstr (sf_window_get_visible_view (window), ==, sf_window_view_names[i]);
    }
  /* An unknown name changes nothing. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "nonsense");
  g_assert_cmpstr (sf_window_get_visible_view (window), ==, "people");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "dataset");
  sf_test_settle (window);
  g_assert_cmpstr (sf_window_get_visible_view (window), ==, "dataset");
}

static void
test_dataset_view (void)
{
  SfDatasetView *view = sf_window_get_dataset_view (window);
  GListModel *faces = G_LIST_MODEL (sf_window_get_faces (window));

  sf_dataset_view_set_zoom (view, 1.0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "dataset.zoom-in", NULL));
  g_assert_cmpfloat (sf_dataset_view_get_zoom (view), ==, 2.0);
  gtk_widget_activate_action (GTK_WIDGET (view), "dataset.zoom-in", NULL);
  gtk_widget_activate_action (GTK_WIDGET (view), "dataset.zoom-in", NULL);
  gtk_widget_activate_action (GTK_WIDGET (view), "dataset.zoom-in", NULL);
  g_assert_cmpfloat (sf_dataset_view_get_zoom (view), ==, 4.0);
  sf_test_settle (window);
  gtk_widget_activate_action (GTK_WIDGET (view), "dataset.zoom-out", NULL);
  g_assert_cmpfloat (sf_dataset_view_get_zoom (view), ==, 3.0);
  gtk_widget_activate_action (GTK_WIDGET (view), "dataset.zoom-reset", NULL);
  g_assert_cmpfloat (sf_dataset_view_get_zoom (view), ==, 1.0);
  gtk_widget_activate_action (GTK_WIDGET (view), "dataset.zoom-out", NULL);
  g_assert_cmpfloat (sf_dataset_view_get_zoom (view), ==, 0.5);
  sf_test_settle (window);
  sf_dataset_view_set_zoom (view, 2.0);

  /* One person's faces, then everyone again. */
  sf_dataset_view_set_person (view, 3);
  sf_test_settle (window);
  g_assert_cmpuint (g_list_model_get_n_items (faces), ==, 10);
  g_autoptr (SfFace) first = g_list_model_get_item (faces, 0);
  g_assert_cmpint (sf_face_get_person (first), ==, 3);
  g_assert_cmpint (dataset ()->labels[sf_dataset_view_get_selected (view)], ==, 3);
  sf_dataset_view_set_person (view, -1);
  sf_test_settle (window);
  g_assert_cmpuint (g_list_model_get_n_items (faces), ==, 200);

  /* Selecting a face hidden by the filter shows everyone. */
  sf_dataset_view_set_person (view, 0);
  sf_dataset_view_select_image (view, 57);
  sf_test_settle (window);
  g_assert_cmpint (sf_dataset_view_get_selected (view), ==, 57);
  g_assert_cmpuint (g_list_model_get_n_items (faces), ==, 200);

  /* The demo faces are made at 64 × 64: nothing was resized. */
  g_assert_true (has_label_text (GTK_WIDGET (view), "64 × 64 pixels"));
  g_assert_false (has_label_text (GTK_WIDGET (view), "shown at"));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "dataset.copy-face", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "dataset.toggle-details", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "dataset.toggle-details", NULL));
  sf_test_settle (window);
}

static gboolean
pairs_idle (gpointer data)
{
  return !sf_pairs_view_get_busy (SF_PAIRS_VIEW (data))
         && sf_pairs_view_get_pair_list (SF_PAIRS_VIEW (data)) != NULL;
}

static void
test_pairs_view (void)
{
  SfPairsView *view = sf_window_get_pairs_view (window);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "pairs");
  sf_pairs_view_set_split_kind (view, SF_SPLIT_PAIRS);
  sf_pairs_view_set_seed (view, 3);
  sf_test_wait_until (pairs_idle, view, "pairs");
  sf_test_settle (window);

  /* Rows are built for the pairs in sight and a margin, not for 200 of the
   * 400: GTK 4.8's list view built 200, and the view's first showing
   * stalled the window for 60-130 ms while training. */
  g_autoptr (GPtrArray) rows = g_ptr_array_new ();
  collect_widgets (GTK_WIDGET (view), SF_TYPE_PAIR_ROW, rows);
  guint n_rows = rows->len;
  g_test_message ("pair rows built: %u", n_rows);
  g_assert_cmpuint (n_rows, >=, 5);
  g_assert_cmpuint (n_rows, <=, 40);

  SfPairList *list = sf_pairs_view_get_pair_list (view);
  const SfPairSet *set = sf_pair_list_get_pair_set (list);
  g_assert_cmpint (set->kind, ==, SF_SPLIT_PAIRS);
  g_assert_cmpuint (set->seed, ==, 3);
  /* The article: one positive and one negative pair per image. */
  g_assert_cmpint (set->n_train + set->n_validation, ==, 400);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 400);
  SfPair first = set->train[0];

  sf_pairs_view_set_filter (view, SF_PAIR_KIND_SAME, SF_PAIR_PART_ALL);
  guint n_same = g_list_model_get_n_items (G_LIST_MODEL (list));
  g_assert_cmpint ((int) n_same, ==, sf_pair_list_count (list, SF_PAIR_KIND_SAME, SF_PAIR_PART_ALL));
  g_assert_cmpuint (n_same, ==, 200);
  sf_pairs_view_set_filter (view, SF_PAIR_KIND_DIFFERENT, SF_PAIR_PART_VALIDATION);
  g_assert_cmpint ((int) g_list_model_get_n_items (G_LIST_MODEL (list)), ==,
                   sf_pair_list_count (list, SF_PAIR_KIND_DIFFERENT, SF_PAIR_PART_VALIDATION));
  sf_pairs_view_set_filter (view, SF_PAIR_KIND_ALL, SF_PAIR_PART_ALL);
  sf_test_settle (window);

  /* Regenerate draws with the next seed; going back gives the same pairs. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "pairs.regenerate", NULL));
  sf_test_wait_until (pairs_idle, view, "regenerated pairs");
  g_assert_cmpuint (sf_pairs_view_get_seed (view), ==, 4);
  g_assert_cmpuint (sf_pair_list_get_pair_set (sf_pairs_view_get_pair_list (view))->seed, ==, 4);
  sf_pairs_view_set_seed (view, 3);
  sf_test_wait_until (pairs_idle, view, "pairs again");
  set = sf_pair_list_get_pair_set (sf_pairs_view_get_pair_list (view));
  g_assert_cmpint (set->train[0].a, ==, first.a);
  g_assert_cmpint (set->train[0].b, ==, first.b);

  /* The people split holds out whole people. */
  sf_pairs_view_set_split_kind (view, SF_SPLIT_PEOPLE);
  sf_test_wait_until (pairs_idle, view, "people split");
  set = sf_pair_list_get_pair_set (sf_pairs_view_get_pair_list (view));
  g_assert_cmpint (set->kind, ==, SF_SPLIT_PEOPLE);
  for (int i = 0; i < set->n_validation; i++)
    g_assert_true (set->held_out[set->validation[i].a] && set->held_out[set->validation[i].b]);
  sf_test_settle (window);

  /* A pair opened large. */
  GtkWindow *pair_window = sf_pairs_view_open_pair (view, 0);
  g_assert_true (SF_IS_PAIR_WINDOW (pair_window));
  sf_test_wait_toplevel_shown (SF_TYPE_PAIR_WINDOW, "the pair window");
  SfPairItem *item = sf_pair_window_get_item (SF_PAIR_WINDOW (pair_window));
  g_assert_cmpint (sf_face_get_index (sf_pair_item_get_face_a (item)), ==, set->train[0].a);
  close_toplevel (SF_TYPE_PAIR_WINDOW);

  /* Enter on a row (the list's activate-item action) opens it too. */
  GtkWidget *grid = sf_test_find_widget (GTK_WIDGET (view), GTK_TYPE_GRID_VIEW, NULL);
  g_assert_nonnull (grid);
  g_assert_true (gtk_widget_activate_action (grid, "list.activate-item", "u", 1));
  sf_test_wait_toplevel_shown (SF_TYPE_PAIR_WINDOW, "the pair window opened from the list");
  g_autoptr (SfPairItem) second = g_list_model_get_item (G_LIST_MODEL (sf_pairs_view_get_pair_list (view)), 1);
  item = sf_pair_window_get_item (SF_PAIR_WINDOW (sf_test_find_toplevel (SF_TYPE_PAIR_WINDOW)));
  g_assert_cmpint (sf_face_get_index (sf_pair_item_get_face_a (item)), ==,
                   sf_face_get_index (sf_pair_item_get_face_a (second)));
  g_assert_cmpint (sf_face_get_index (sf_pair_item_get_face_b (item)), ==,
                   sf_face_get_index (sf_pair_item_get_face_b (second)));
  close_toplevel (SF_TYPE_PAIR_WINDOW);

  sf_pairs_view_set_split_kind (view, SF_SPLIT_PAIRS);
  sf_test_wait_until (pairs_idle, view, "pairs split");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "dataset");
  sf_test_settle (window);
}

static void
test_shortcuts (void)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL));
  sf_test_wait_toplevel_shown (GTK_TYPE_SHORTCUTS_WINDOW, "the shortcuts window");
  close_toplevel (GTK_TYPE_SHORTCUTS_WINDOW);
}

static void
test_about (void)
{
  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  sf_test_wait_toplevel_shown (ADW_TYPE_ABOUT_WINDOW, "the about window");
  AdwAboutWindow *about = ADW_ABOUT_WINDOW (sf_test_find_toplevel (ADW_TYPE_ABOUT_WINDOW));
  g_assert_cmpstr (adw_about_window_get_application_name (about), ==, "Siamese Faces");
  g_assert_cmpstr (adw_about_window_get_version (about), ==, PACKAGE_VERSION);
  close_toplevel (ADW_TYPE_ABOUT_WINDOW);
}

static gboolean
faces_of_size (gpointer data)
{
  return sf_test_window_ready (window) && dataset ()->width == GPOINTER_TO_INT (data);
}

static void
test_preferences (void)
{
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  sf_test_wait_toplevel_shown (ADW_TYPE_PREFERENCES_WINDOW, "the preferences window");

  /* A new image size reloads the open dataset at that size. */
  g_autoptr (GSettings) settings = g_settings_new (SF_APPLICATION_ID);
  g_settings_set_int (settings, "image-size", 32);
  sf_test_wait_until (faces_of_size, GINT_TO_POINTER (32), "the faces at 32 pixels");
  g_assert_cmpint (dataset ()->height, ==, 32);
  g_assert_cmpint (dataset ()->n_images, ==, 200);
  g_settings_set_int (settings, "image-size", 64);
  sf_test_wait_until (faces_of_size, GINT_TO_POINTER (64), "the faces at 64 pixels");

  /* The default split and seed reach the Pairs view. */
  SfPairsView *pairs = sf_window_get_pairs_view (window);
  g_settings_set_enum (settings, "default-split", SF_SPLIT_IMAGES);
  g_settings_set_uint (settings, "default-seed", 11);
  g_assert_cmpint (sf_pairs_view_get_split_kind (pairs), ==, SF_SPLIT_IMAGES);
  g_assert_cmpuint (sf_pairs_view_get_seed (pairs), ==, 11);
  sf_test_wait_until (pairs_idle, pairs, "pairs with the new defaults");
  g_assert_cmpint (sf_pair_list_get_pair_set (sf_pairs_view_get_pair_list (pairs))->kind, ==, SF_SPLIT_IMAGES);
  g_settings_reset (settings, "default-split");
  g_settings_reset (settings, "default-seed");
  sf_test_wait_until (pairs_idle, pairs, "pairs with the old defaults");
  sf_test_settle (window);

  close_toplevel (ADW_TYPE_PREFERENCES_WINDOW);
}

static gboolean
error_dialog_shown (gpointer data)
{
  return !sf_window_get_loading (window) && sf_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

/* Opens `path`, expects an error dialog that names `name`, and the open dataset kept. */
static void
expect_load_error (const char *path, const char *name)
{
  SfFaceList *before = sf_window_get_faces (window);
  g_autofree char *path_before = g_strdup (sf_window_get_path (window));

  sf_window_open (window, path);
  g_assert_true (sf_window_get_loading (window));
  sf_test_wait_until (error_dialog_shown, NULL, "the error dialog");
  sf_test_settle (window);

  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (sf_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  const char *body = adw_message_dialog_get_body (dialog);
  g_test_message ("error for %s: %s", name, body);
  g_assert_nonnull (strstr (body, name));
  g_assert_nonnull (strstr (adw_message_dialog_get_heading (dialog), name));
  g_assert_cmpstr (sf_window_get_last_error (window), ==, body);

  g_assert_true (sf_window_get_faces (window) == before);
  g_assert_cmpstr (sf_window_get_path (window), ==, path_before);
  g_assert_true (sf_dataset_view_get_faces (sf_window_get_dataset_view (window)) == before);

  /* What the Close button does: respond, then close. */
  adw_message_dialog_response (dialog, "close");
  gtk_window_close (GTK_WINDOW (dialog));
  sf_test_wait_toplevel_gone (ADW_TYPE_MESSAGE_DIALOG, "the error dialog to close");
}

static void
test_bad_datasets (void)
{
  /* A MAT-file cut off inside its header. */
  g_autofree char *mat = g_build_filename (tmp_dir, "truncated-olivetti.mat", NULL);
  static const char header[] = "MATLAB 5.0 MAT-file, Platform: PCWIN, Created on: Mon";
  g_assert_true (g_file_set_contents (mat, header, sizeof header - 1, NULL));
  expect_load_error (mat, "truncated-olivetti.mat");

  /* A folder with no people in it. */
  g_autofree char *empty = g_build_filename (tmp_dir, "no-people-here", NULL);
  g_assert_cmpint (g_mkdir_with_parents (empty, 0755), ==, 0);
  expect_load_error (empty, "no-people-here");

  /* A path that does not exist. */
  g_autofree char *missing = g_build_filename (tmp_dir, "missing-faces.pkz", NULL);
  expect_load_error (missing, "missing-faces.pkz");

  /* Dropped on the window, as from a file manager. */
  g_autofree char *dropped = g_build_filename (tmp_dir, "dropped.mat", NULL);
  g_assert_true (g_file_set_contents (dropped, "MATLAB 5.0 MAT-file", 19, NULL));
  GtkWidget *content = adw_application_window_get_content (ADW_APPLICATION_WINDOW (window));
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (content);
  GtkDropTarget *target = NULL;
  for (guint i = 0; i < g_list_model_get_n_items (controllers) && target == NULL; i++)
    {
      g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);
      if (GTK_IS_DROP_TARGET (controller))
        target = GTK_DROP_TARGET (controller);
    }
  g_assert_nonnull (target);
  g_autoptr (GFile) file = g_file_new_for_path (dropped);
  GSList *files = g_slist_prepend (NULL, file);
  GValue value = G_VALUE_INIT;
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, gdk_file_list_new_from_list (files));
  g_slist_free (files);
  gboolean accepted = FALSE;
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &accepted);
  g_value_unset (&value);
  g_assert_true (accepted);
  g_assert_true (sf_window_get_loading (window));
  sf_test_wait_until (error_dialog_shown, NULL, "the error dialog for the dropped file");
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (sf_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "dropped.mat"));
  gtk_window_close (GTK_WINDOW (dialog));
  sf_test_wait_toplevel_gone (ADW_TYPE_MESSAGE_DIALOG, "the error dialog to close");
}

static gboolean
window_loaded_path (gpointer data)
{
  return sf_test_window_ready (window) && g_strcmp0 (sf_window_get_path (window), data) == 0;
}

static void
test_orl_folder (void)
{
  const char *datasets = g_getenv ("SF_DATASETS_DIR");
  g_autofree char *orl = datasets != NULL ? g_build_filename (datasets, "att_faces", NULL) : NULL;

  if (orl == NULL || !g_file_test (orl, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("SF_DATASETS_DIR has no att_faces folder");
      return;
    }

  /* Until the engine's folder loader exists (it answers "not built yet"), skip. */
  g_autoptr (GError) probe_error = NULL;
  g_autoptr (SfDataset) probe = sf_folder_load (orl, NULL, &probe_error);
  if (probe == NULL && g_error_matches (probe_error, SF_ERROR, SF_ERROR_UNSUPPORTED))
    {
      g_autofree char *reason = g_strdup_printf ("the engine cannot read folders yet: %s", probe_error->message);
      g_test_skip (reason);
      return;
    }

  sf_window_open (window, orl);
  gboolean done = FALSE;
  while (!done)
    {
      g_main_context_iteration (NULL, TRUE);
      done = !sf_window_get_loading (window);
    }
  GtkWindow *dialog = sf_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  if (dialog != NULL)
    {
      g_autofree char *reason = g_strdelimit (g_strdup (sf_window_get_last_error (window)), "\n", ' ');
      gtk_window_close (dialog);
      g_test_fail_printf ("the ORL folder did not load: %s", reason);
      return;
    }
  sf_test_wait_until (window_loaded_path, orl, "the ORL faces");
  sf_test_settle (window);

  g_assert_cmpint (dataset ()->format, ==, SF_DATASET_FORMAT_FOLDER);
  g_assert_cmpint (dataset ()->n_images, ==, 400);
  g_assert_cmpint (dataset ()->n_people, ==, 40);
  g_assert_cmpint (dataset ()->width, ==, 64);
  g_assert_cmpint (dataset ()->height, ==, 64);
  g_assert_false (sf_window_get_welcome_shown (window));

  /* s1 .. s40 in natural order; the first face is s1's. */
  SfDatasetView *view = sf_window_get_dataset_view (window);
  int selected = sf_dataset_view_get_selected (view);
  g_assert_cmpint (selected, >=, 0);
  g_assert_cmpstr (dataset ()->person_names[dataset ()->labels[selected]], ==, "s1");
  g_assert_cmpstr (dataset ()->person_names[1], ==, "s2");
  /* The details give the size in the files as well as the size shown. */
  g_assert_true (has_label_text (GTK_WIDGET (view), "92 × 112 pixels, shown at 64 × 64"));

  /* Remembered as a recent dataset. */
  g_autoptr (GSettings) settings = g_settings_new (SF_APPLICATION_ID);
  g_auto (GStrv) recent = g_settings_get_strv (settings, "recent-datasets");
  g_assert_nonnull (recent[0]);
  g_assert_cmpstr (recent[0], ==, orl);
  g_autofree char *last = g_settings_get_string (settings, "last-dataset");
  g_assert_cmpstr (last, ==, orl);

  /* A bad dataset now keeps the ORL faces open. */
  g_autofree char *mat = g_build_filename (tmp_dir, "another-bad.mat", NULL);
  g_assert_true (g_file_set_contents (mat, "MATLAB 5", 8, NULL));
  expect_load_error (mat, "another-bad.mat");
  g_assert_cmpint (dataset ()->n_images, ==, 400);

  /* And the demo faces come back from the menu's action. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.open-demo", NULL));
  sf_test_wait_until (sf_test_window_ready, window, "the demo faces");
  sf_test_settle (window);
  g_assert_cmpint (dataset ()->format, ==, SF_DATASET_FORMAT_DEMO);
}

typedef struct
{
  char **paths;
  GError *error;
  gboolean done;
} ShotResult;

static void
shots_done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  ShotResult *shots = data;

  shots->paths = sf_screenshots_take_finish (SF_WINDOW (source), result, &shots->error);
  shots->done = TRUE;
}

static gboolean
shots_done (gpointer data)
{
  return ((ShotResult *) data)->done;
}

/* Not blank: many distinct colours, and real contrast. */
static void
assert_not_blank (const char *path, int min_width, int min_height)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture = gdk_texture_new_from_filename (path, &error);
  g_assert_no_error (error);

  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  g_assert_cmpint (width, >=, min_width);
  g_assert_cmpint (height, >=, min_height);

  g_autofree guint8 *data = g_malloc ((gsize) width * height * 4);
  gdk_texture_download (texture, data, (gsize) width * 4);
  g_autoptr (GHashTable) colours = g_hash_table_new (NULL, NULL);
  int lo = 255, hi = 0;
  for (gsize i = 0; i < (gsize) width * height; i++)
    {
      guint32 pixel;
      memcpy (&pixel, data + 4 * i, 4);
      g_hash_table_add (colours, GUINT_TO_POINTER (pixel));
      int green = (pixel >> 8) & 0xff;
      lo = MIN (lo, green);
      hi = MAX (hi, green);
    }
  g_test_message ("%s: %d × %d, %u colours, green %d..%d", path, width, height,
                  g_hash_table_size (colours), lo, hi);
  g_assert_cmpuint (g_hash_table_size (colours), >, 32);
  g_assert_cmpint (hi - lo, >, 128);
}

static void
test_screenshots (void)
{
  g_autofree char *dir = g_build_filename (tmp_dir, "screenshots", NULL);
  ShotResult shots = { 0 };

  sf_screenshots_take_async (window, dir, NULL, shots_done_cb, &shots);
  sf_test_wait_until (shots_done, &shots, "the screenshots");
  g_assert_no_error (shots.error);
  g_assert_nonnull (shots.paths);

  static const char * const extras[] = { "pair", "preferences", "shortcuts", "about", "model-residual" };
  guint n_views = g_strv_length ((char **) sf_window_view_names);
  g_assert_cmpuint (g_strv_length (shots.paths), ==, n_views + G_N_ELEMENTS (extras));
  for (guint i = 0; i < n_views; i++)
    {
      g_autofree char *name = g_strconcat ("/", sf_window_view_names[i], ".png", NULL);
      g_assert_true (g_str_has_suffix (shots.paths[i], name));
      assert_not_blank (shots.paths[i], gtk_widget_get_width (GTK_WIDGET (window)),
                        gtk_widget_get_height (GTK_WIDGET (window)));
    }
  for (guint i = 0; i < G_N_ELEMENTS (extras); i++)
    {
      g_autofree char *name = g_strconcat ("/", extras[i], ".png", NULL);
      g_assert_true (g_str_has_suffix (shots.paths[n_views + i], name));
      assert_not_blank (shots.paths[n_views + i], 200, 200);
    }
  /* The extra windows are closed again. */
  g_assert_null (sf_test_find_toplevel (SF_TYPE_PAIR_WINDOW));
  g_assert_null (sf_test_find_toplevel (ADW_TYPE_ABOUT_WINDOW));
  g_assert_cmpstr (sf_window_get_visible_view (window), ==, "dataset");
  g_strfreev (shots.paths);
}

static gboolean
window_width_is (gpointer data)
{
  return gtk_widget_get_width (GTK_WIDGET (window)) <= GPOINTER_TO_INT (data);
}

static gboolean
window_wide (gpointer data)
{
  return gtk_widget_get_width (GTK_WIDGET (window)) >= GPOINTER_TO_INT (data);
}

/* GTK 4.8's GtkActionBar (inside AdwViewSwitcherBar) allocates its content a
 * height of -1 in the frame the bar is revealed; GTK clamps it and draws
 * correctly. While resizing, only that warning is tolerated: any other fails. */
static const char *const action_bar_warning[] = {
  "gtk_widget_size_allocate(): attempt to allocate", "height -1", NULL,
};

/* A phone-sized window: the view switcher moves to the bottom bar. */
static void
test_narrow (void)
{
  int width, height;

  sf_test_ui_tolerate_warnings (action_bar_warning);

  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  sf_test_wait_until (window_width_is, GINT_TO_POINTER (440), "the narrow window");
  sf_test_settle (window);
  AdwViewSwitcherBar *bar = ADW_VIEW_SWITCHER_BAR (sf_test_find_widget (GTK_WIDGET (window), ADW_TYPE_VIEW_SWITCHER_BAR, NULL));
  g_assert_nonnull (bar);
  g_assert_true (adw_view_switcher_bar_get_reveal (bar));
  for (guint i = 0; sf_window_view_names[i] != NULL; i++)
    {
      gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", sf_window_view_names[i]);
      sf_test_settle (window);
    }
  g_autofree char *path = g_build_filename (tmp_dir, "narrow.png", NULL);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "pairs");
  sf_test_settle (window);
  g_assert_true (sf_screenshot_save (GTK_WIDGET (window), path, NULL));
  if (g_getenv ("SF_KEEP_SCREENSHOTS") != NULL)
    {
      g_autofree char *kept = g_build_filename (g_getenv ("SF_KEEP_SCREENSHOTS"), "narrow.png", NULL);
      g_assert_true (sf_screenshot_save (GTK_WIDGET (window), kept, NULL));
    }
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "dataset");
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  sf_test_wait_until (window_wide, GINT_TO_POINTER (width - 40), "the wide window again");
  sf_test_settle (window);
  g_assert_false (adw_view_switcher_bar_get_reveal (bar));
  sf_test_ui_tolerate_warnings (NULL);
  g_test_message ("%u tolerated GtkActionBar warnings", sf_test_ui_get_n_tolerated ());
}

/* Last: closing the window (as its close button does) remembers its size. */
static void
test_close_saves_size (void)
{
  g_autoptr (GSettings) settings = g_settings_new (SF_APPLICATION_ID);
  int width, height;

  sf_test_wait_until (window_idle, NULL, "the window to go idle");
  g_settings_set_int (settings, "window-width", 1);
  g_settings_set_int (settings, "window-height", 1);
  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  g_assert_cmpint (width, >, 360);
  g_assert_cmpint (height, >, 360);
  gtk_window_close (GTK_WINDOW (window));
  window = NULL;
  sf_test_drain ();
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, width);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, height);
  g_assert_false (g_settings_get_boolean (settings, "window-maximized"));
  g_assert_null (gtk_application_get_active_window (GTK_APPLICATION (app)));
}

/* A preset chosen elsewhere rewrites the default split and seed with the
 * values they have: the split and seed chosen in the Pairs view stay; a real
 * change of a default is followed. */
static void
test_pairs_keep_their_choice (void)
{
  SfPairsView *view = sf_window_get_pairs_view (window);
  g_autoptr (GSettings) settings = g_settings_new (SF_APPLICATION_ID);
  guint seed = g_settings_get_uint (settings, "default-seed");
  int split = g_settings_get_enum (settings, "default-split");
  SfSplitKind other = split == SF_SPLIT_IMAGES ? SF_SPLIT_PAIRS : SF_SPLIT_IMAGES;

  sf_test_wait_until (pairs_idle, view, "the pairs");
  sf_pairs_view_set_split_kind (view, other);
  sf_pairs_view_set_seed (view, seed + 5);
  g_settings_set_uint (settings, "default-seed", seed);
  g_settings_set_enum (settings, "default-split", split);
  sf_test_wait_until (pairs_idle, view, "the pairs chosen here");
  g_assert_cmpuint (sf_pairs_view_get_seed (view), ==, seed + 5);
  g_assert_cmpint (sf_pairs_view_get_split_kind (view), ==, other);

  g_settings_set_uint (settings, "default-seed", seed + 1);
  g_assert_cmpuint (sf_pairs_view_get_seed (view), ==, seed + 1);
  g_settings_set_uint (settings, "default-seed", seed);
  sf_pairs_view_set_split_kind (view, (SfSplitKind) split);
  sf_test_wait_until (pairs_idle, view, "the pairs again");
}

int
main (int argc, char *argv[])
{
  if (!sf_test_ui_init (&argc, &argv))
    return sf_test_ui_skip_no_display ();

  tmp_dir = sf_test_make_tmp_dir ("sf-ui-test-XXXXXX");
  window = sf_test_open_window (&app);

  g_test_add_func ("/ui/window/startup", test_startup);
  g_test_add_func ("/ui/window/views", test_views);
  g_test_add_func ("/ui/window/dataset-view", test_dataset_view);
  g_test_add_func ("/ui/window/pairs-view", test_pairs_view);
  g_test_add_func ("/ui/window/shortcuts", test_shortcuts);
  g_test_add_func ("/ui/window/about", test_about);
  g_test_add_func ("/ui/window/preferences", test_preferences);
  g_test_add_func ("/ui/window/bad-datasets", test_bad_datasets);
  g_test_add_func ("/ui/window/orl-folder", test_orl_folder);
  g_test_add_func ("/ui/window/screenshots", test_screenshots);
  g_test_add_func ("/ui/window/narrow", test_narrow);
  g_test_add_func ("/ui/window/pairs-keep-their-choice", test_pairs_keep_their_choice);
  g_test_add_func ("/ui/window/close-saves-size", test_close_saves_size);

  int status = g_test_run ();

  if (window != NULL)
    sf_test_wait_until (window_idle, NULL, "the window to go idle");
  sf_test_close_window (&app, &window);
  sf_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
