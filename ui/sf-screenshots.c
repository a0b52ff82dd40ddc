/* Screenshots: gtk_widget_paintable_new → snapshot → gsk_renderer_render_texture
 * → gdk_texture_save_to_png. The walk waits a few frames after each switch so
 * grids and lists have laid out their rows. */
#include "sf-screenshots.h"

#include <errno.h>
#include <adwaita.h>
#include <glib/gi18n.h>

#include "sf-model-view.h"
#include "sf-training-settings.h"

#define READY_TIMEOUT_US (120 * G_USEC_PER_SEC)
#define SETTLE_FRAMES 4
#define SETTLE_US (300 * 1000)
/* How long a window that is up but has drawn nothing yet gets to draw. */
#define DRAW_TIMEOUT_US (10 * G_USEC_PER_SEC)
/* The README's picture of a residual network in the Model view. */
#define RESIDUAL_SPEC "conv16k3s2-bn-relu res16 res32s2 res64s2 se4 gap dense128 l2norm"

typedef struct
{
  char *dir;
  GPtrArray *paths;
  GtkWindow *extra_window;  /* the extra window being shown */
  guint view;          /* the next step: a view of sf_window_view_names, then the extras */
  guint frames;
  gint64 since;
  gint64 started;
  guint timeout_id;
  guint tick_id;
  GtkWidget *ticking;  /* the widget whose tick callback runs */
  SfTrainSettings saved;       /* the training settings a scene changed, given back after it */
  gboolean saved_showing_model;
} Walk;

static void restore_settings (SfWindow *window, Walk *walk);

static void
walk_free (gpointer data)
{
  Walk *walk = data;

  g_clear_handle_id (&walk->timeout_id, g_source_remove);
  if (walk->tick_id != 0 && walk->ticking != NULL)
    gtk_widget_remove_tick_callback (walk->ticking, walk->tick_id);
  g_clear_object (&walk->ticking);
  if (walk->extra_window != NULL)
    {
      /* A scene of the main window (the only one: the residual network) is undone, a window closed. */
      if (SF_IS_WINDOW (walk->extra_window))
        restore_settings (SF_WINDOW (walk->extra_window), walk);
      else
        gtk_window_close (walk->extra_window);
      g_object_unref (walk->extra_window);
    }
  g_free (walk->dir);
  g_ptr_array_unref (walk->paths);
  sf_train_settings_clear (&walk->saved);
  g_free (walk);
}

GdkTexture *
sf_screenshot_texture (GtkWidget *widget, GError **error)
{
  g_return_val_if_fail (GTK_IS_WIDGET (widget), NULL);

  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GtkNative *native = gtk_widget_get_native (widget);
  GskRenderer *renderer = native != NULL ? gtk_native_get_renderer (native) : NULL;

  if (width <= 0 || height <= 0 || renderer == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                   _("The window is not shown, so it cannot be rendered"));
      return NULL;
    }

  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  g_autoptr (GskRenderNode) node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", _("Nothing was drawn"));
      return NULL;
    }
  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
}

gboolean
sf_screenshot_save (GtkWidget *widget, const char *path, GError **error)
{
  g_return_val_if_fail (GTK_IS_WIDGET (widget), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  g_autoptr (GdkTexture) texture = sf_screenshot_texture (widget, error);
  if (texture == NULL)
    return FALSE;
  if (!gdk_texture_save_to_png (texture, path))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("%s: could not be written"), path);
      return FALSE;
    }
  return TRUE;
}

static void walk_step (GTask *task);

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);
      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

static GtkWindow *
open_pair (SfWindow *window, Walk *walk)
{
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "pairs");
  return sf_pairs_view_open_pair (sf_window_get_pairs_view (window), 0);
}

static GtkWindow *
open_preferences (SfWindow *window, Walk *walk)
{
  gtk_widget_activate_action (GTK_WIDGET (window), "app.preferences", NULL);
  return find_toplevel (ADW_TYPE_PREFERENCES_WINDOW);
}

static GtkWindow *
open_shortcuts (SfWindow *window, Walk *walk)
{
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL);
  return find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW);
}

static GtkWindow *
open_about (SfWindow *window, Walk *walk)
{
  gtk_widget_activate_action (GTK_WIDGET (window), "app.about", NULL);
  return find_toplevel (ADW_TYPE_ABOUT_WINDOW);
}

static SfModelView *
find_model_view (GtkWidget *widget)
{
  if (SF_IS_MODEL_VIEW (widget))
    return SF_MODEL_VIEW (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      SfModelView *view = find_model_view (child);
      if (view != NULL)
        return view;
    }
  return NULL;
}

/* The Model view drawing a residual network: the training settings get its
 * spec (their own come back after the picture). */
static GtkWindow *
show_residual_model (SfWindow *window, Walk *walk)
{
  g_autoptr (SfTrainingSettings) settings = sf_training_settings_dup_default ();
  SfModelView *view = find_model_view (GTK_WIDGET (window));

  if (view == NULL)
    return NULL;
  sf_train_settings_clear (&walk->saved);
  sf_training_settings_get (settings, &walk->saved);
  walk->saved_showing_model = sf_model_view_get_showing_model (view);
  sf_training_settings_set_spec (settings, RESIDUAL_SPEC);
  sf_model_view_set_showing_model (view, FALSE);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "model");
  return GTK_WINDOW (window);
}

static void
restore_settings (SfWindow *window, Walk *walk)
{
  g_autoptr (SfTrainingSettings) settings = sf_training_settings_dup_default ();
  SfModelView *view = find_model_view (GTK_WIDGET (window));

  sf_training_settings_set (settings, &walk->saved);
  sf_model_view_set_showing_model (view, walk->saved_showing_model);
}

/* After the views: windows the main window opens, and scenes of the main
 * window itself, each saved as DIR/<name>.png. A window is closed after its
 * picture; a scene is undone by its `restore`. */
static const struct
{
  const char *name;
  GtkWindow *(*open) (SfWindow *window, Walk *walk);
  void (*restore) (SfWindow *window, Walk *walk);
} extras[] = {
  { "pair", open_pair, NULL },
  { "preferences", open_preferences, NULL },
  { "shortcuts", open_shortcuts, NULL },
  { "about", open_about, NULL },
  { "model-residual", show_residual_model, restore_settings },
};

/* Whether a snapshot of `widget` would hold anything: a window just opened
 * can tick before its first frame is drawn (seen under Xvfb). */
static gboolean
has_drawn (GtkWidget *widget)
{
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  if (!gtk_widget_get_mapped (widget) || width <= 0 || height <= 0)
    return FALSE;

  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  g_autoptr (GskRenderNode) node = gtk_snapshot_free_to_node (snapshot);
  return node != NULL;
}

static gboolean
settle_tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  GTask *task = data;
  Walk *walk = g_task_get_task_data (task);
  gint64 waited = g_get_monotonic_time () - walk->since;

  walk->frames++;
  if (walk->frames < SETTLE_FRAMES || waited < SETTLE_US)
    return G_SOURCE_CONTINUE;
  /* Past the timeout the save says what went wrong. */
  if (!has_drawn (widget) && waited < DRAW_TIMEOUT_US)
    return G_SOURCE_CONTINUE;

  walk->tick_id = 0;
  g_clear_object (&walk->ticking);
  walk_step (task);
  return G_SOURCE_REMOVE;
}

/* Lets `widget` lay out and draw a few frames, then takes the next step. */
static void
settle_then_step (GTask *task, GtkWidget *widget)
{
  Walk *walk = g_task_get_task_data (task);

  walk->frames = 0;
  walk->since = g_get_monotonic_time ();
  walk->ticking = g_object_ref (widget);
  walk->tick_id = gtk_widget_add_tick_callback (widget, settle_tick_cb, task, NULL);
  gtk_widget_queue_draw (widget);
}

static gboolean
save (GTask *task, GtkWidget *widget, const char *name)
{
  Walk *walk = g_task_get_task_data (task);
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  char *path = g_build_filename (walk->dir, file, NULL);
  GError *error = NULL;

  if (!sf_screenshot_save (widget, path, &error))
    {
      g_free (path);
      g_task_return_error (task, error);
      g_object_unref (task);
      return FALSE;
    }
  g_ptr_array_add (walk->paths, path);
  return TRUE;
}

/* Saves what the previous step showed, then shows the next view or window. */
static void
walk_step (GTask *task)
{
  SfWindow *window = g_task_get_source_object (task);
  Walk *walk = g_task_get_task_data (task);
  guint n_views = g_strv_length ((char **) sf_window_view_names);
  guint n_steps = n_views + G_N_ELEMENTS (extras);

  if (walk->view > 0)
    {
      guint shown = walk->view - 1;
      if (shown < n_views)
        {
          if (!save (task, GTK_WIDGET (window), sf_window_view_names[shown]))
            return;
        }
      else if (walk->extra_window != NULL)
        {
          gboolean saved = save (task, GTK_WIDGET (walk->extra_window), extras[shown - n_views].name);
          if (extras[shown - n_views].restore != NULL)
            extras[shown - n_views].restore (window, walk);
          else
            /* Close, not destroy: the shortcuts window belongs to the main window and only hides. */
            gtk_window_close (walk->extra_window);
          g_clear_object (&walk->extra_window);
          if (!saved)
            return;
        }
    }

  while (walk->view < n_steps)
    {
      guint step = walk->view++;
      if (step < n_views)
        {
          gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", sf_window_view_names[step]);
          settle_then_step (task, GTK_WIDGET (window));
          return;
        }
      GtkWindow *opened = extras[step - n_views].open (window, walk);
      if (opened != NULL)
        {
          walk->extra_window = g_object_ref (opened);
          settle_then_step (task, GTK_WIDGET (opened));
          return;
        }
    }

  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "dataset");
  g_ptr_array_add (walk->paths, NULL);
  g_task_return_pointer (task, g_ptr_array_steal (walk->paths, NULL), (GDestroyNotify) g_strfreev);
  g_object_unref (task);
}

static gboolean
wait_ready_cb (gpointer data)
{
  GTask *task = data;
  SfWindow *window = g_task_get_source_object (task);
  Walk *walk = g_task_get_task_data (task);

  gboolean ready = sf_window_get_faces (window) != NULL
                   && !sf_window_get_loading (window)
                   && !sf_pairs_view_get_busy (sf_window_get_pairs_view (window))
                   && gtk_widget_get_mapped (GTK_WIDGET (window));
  if (!ready && g_get_monotonic_time () - walk->started < READY_TIMEOUT_US)
    return G_SOURCE_CONTINUE;

  walk->timeout_id = 0;
  sf_window_dismiss_toast (window);
  if (!ready)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s",
                               _("The dataset did not finish loading"));
      g_object_unref (task);
      return G_SOURCE_REMOVE;
    }
  walk_step (task);
  return G_SOURCE_REMOVE;
}

void
sf_screenshots_take_async (SfWindow *window, const char *dir, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (SF_IS_WINDOW (window));
  g_return_if_fail (dir != NULL);

  GTask *task = g_task_new (window, cancellable, callback, user_data);
  g_task_set_source_tag (task, sf_screenshots_take_async);

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved),
                               "%s: %s", dir, g_strerror (saved));
      g_object_unref (task);
      return;
    }

  Walk *walk = g_new0 (Walk, 1);
  walk->dir = g_strdup (dir);
  walk->paths = g_ptr_array_new_with_free_func (g_free);
  walk->started = g_get_monotonic_time ();
  g_task_set_task_data (task, walk, walk_free);
  walk->timeout_id = g_timeout_add (50, wait_ready_cb, task);
}

char **
sf_screenshots_take_finish (SfWindow *window, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, window), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
