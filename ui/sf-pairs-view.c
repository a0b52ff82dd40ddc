/* SfPairsView: pairs are generated on a GTask thread whenever the dataset, the
 * split or the seed changes; an older generation's result is dropped. */
#include "sf-pairs-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "sf-face-paint.h"
#include "sf-pair-item.h"
#include "sf-pair-row.h"
#include "sf-pair-window.h"
#include "sf-strings.h"
#include "sf-worker.h"

#define APP_ID "io.github.siamesefaces.SiameseFaces"
/* Pair rows show faces at about this many pixels. */
#define ROW_FACE_PIXELS 72

typedef struct
{
  SfFaceList *faces;
  SfSplitKind kind;
  guint seed;
  guint generation;
} GenerateJob;

struct _SfPairsView
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkLabel *title_label;
  GtkLabel *subtitle_label;
  GtkDropDown *split_dropdown;
  GtkSpinButton *seed_spin;
  GtkToggleButton *kind_all;
  GtkToggleButton *kind_same;
  GtkToggleButton *kind_different;
  GtkToggleButton *part_all;
  GtkToggleButton *part_training;
  GtkToggleButton *part_validation;
  GtkLabel *split_label;
  GtkStack *stack;
  AdwStatusPage *error_page;
  GtkSpinner *spinner;
  GtkGridView *pair_grid;

  /* Owned */
  SfFaceList *faces;
  SfPairList *pair_list;
  GtkSingleSelection *selection;
  GCancellable *cancellable;
  GSettings *settings;
  /* The defaults last followed: GSettings says "changed" on every write, and
   * a preset chosen elsewhere rewrites every training key, so only a real
   * change of a default replaces the split or seed chosen here. */
  int followed_split;
  guint followed_seed;

  guint generation;
  gboolean busy;
  gboolean updating_controls;
  double zoom;
};

enum {
  PROP_0,
  PROP_FACES,
  PROP_PAIR_LIST,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SfPairsView, sf_pairs_view, GTK_TYPE_WIDGET)

static void generate (SfPairsView *self);

static void
generate_job_free (gpointer data)
{
  GenerateJob *job = data;

  g_clear_object (&job->faces);
  g_free (job);
}

static SfPairKind
current_kind (SfPairsView *self)
{
  if (gtk_toggle_button_get_active (self->kind_same))
    return SF_PAIR_KIND_SAME;
  if (gtk_toggle_button_get_active (self->kind_different))
    return SF_PAIR_KIND_DIFFERENT;
  return SF_PAIR_KIND_ALL;
}

static SfPairPart
current_part (SfPairsView *self)
{
  if (gtk_toggle_button_get_active (self->part_training))
    return SF_PAIR_PART_TRAINING;
  if (gtk_toggle_button_get_active (self->part_validation))
    return SF_PAIR_PART_VALIDATION;
  return SF_PAIR_PART_ALL;
}

static void
set_busy (SfPairsView *self, gboolean busy)
{
  if (self->busy == busy)
    return;
  self->busy = busy;
  gtk_spinner_set_spinning (self->spinner, busy);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
update_counts (SfPairsView *self)
{
  if (self->pair_list == NULL)
    {
      gtk_label_set_label (self->title_label, _("Pairs"));
      gtk_label_set_label (self->subtitle_label,
                           self->faces == NULL ? _("No dataset") : "");
      gtk_label_set_label (self->split_label, "");
      return;
    }

  const SfPairSet *set = sf_pair_list_get_pair_set (self->pair_list);
  int total = set->n_train + set->n_validation;
  int shown = (int) g_list_model_get_n_items (G_LIST_MODEL (self->pair_list));
  int same = sf_pair_list_count (self->pair_list, SF_PAIR_KIND_SAME, SF_PAIR_PART_ALL);
  int different = total - same;
  g_autofree char *title = NULL;

  if (shown == total)
    title = g_strdup_printf (ngettext ("%d pair", "%d pairs", total), total);
  else
    /* Translators: "Showing 80 of 800 pairs". */
    title = g_strdup_printf (ngettext ("Showing %d of %d pair", "Showing %d of %d pairs", total),
                             shown, total);

  g_autofree char *train = g_strdup_printf (ngettext ("%d for training", "%d for training", set->n_train),
                                            set->n_train);
  g_autofree char *validation = g_strdup_printf (ngettext ("%d for validation", "%d for validation",
                                                           set->n_validation),
                                                 set->n_validation);
  g_autofree char *same_text = g_strdup_printf (ngettext ("%d of the same person", "%d of the same person", same),
                                                same);
  g_autofree char *different_text = g_strdup_printf (ngettext ("%d of different people",
                                                               "%d of different people", different),
                                                     different);
  g_autoptr (GString) subtitle = g_string_new (NULL);
  /* Translators: "720 for training, 80 for validation · 400 of the same person, 400 of different people". */
  g_string_printf (subtitle, _("%s, %s · %s, %s"), train, validation, same_text, different_text);
  if (set->n_lonely_people > 0)
    {
      g_string_append (subtitle, " · ");
      g_string_append_printf (subtitle,
                              ngettext ("%d person has a single image and no same-person pair",
                                        "%d people have a single image and no same-person pair",
                                        set->n_lonely_people),
                              set->n_lonely_people);
    }

  g_autofree char *split = sf_strings_split_description (set->kind, set->validation_share);

  gtk_label_set_label (self->title_label, title);
  gtk_label_set_label (self->subtitle_label, subtitle->str);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->subtitle_label), subtitle->str);
  gtk_label_set_label (self->split_label, split);
}

static void
set_pair_list (SfPairsView *self, SfPairList *pair_list)
{
  gtk_grid_view_set_model (self->pair_grid, NULL);
  g_clear_object (&self->selection);
  g_set_object (&self->pair_list, pair_list);

  if (pair_list != NULL)
    {
      sf_pair_list_set_filter (pair_list, current_kind (self), current_part (self));
      self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (pair_list)));
      gtk_single_selection_set_autoselect (self->selection, FALSE);
      gtk_single_selection_set_can_unselect (self->selection, TRUE);
      gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
      gtk_grid_view_set_model (self->pair_grid, GTK_SELECTION_MODEL (self->selection));
      gtk_stack_set_visible_child_name (self->stack, "pairs");
    }
  update_counts (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAIR_LIST]);
}

/* Worker thread: reads the immutable dataset only. */
static void
generate_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  GenerateJob *job = task_data;
  GError *error = NULL;

  const SfDataset *dataset = sf_face_list_get_dataset (job->faces);
  SfPairSet *pairs = sf_pairs_generate (dataset, job->kind, 0.0, job->seed, &error);
  if (pairs == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, pairs, (GDestroyNotify) sf_pair_set_free);
}

static void
generate_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SfPairsView *self = SF_PAIRS_VIEW (source);
  GenerateJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  SfPairSet *pairs = g_task_propagate_pointer (G_TASK (result), &error);
  if (job->generation != self->generation || job->faces != self->faces)
    {
      g_clear_pointer (&pairs, sf_pair_set_free);
      return;
    }

  g_clear_object (&self->cancellable);
  set_busy (self, FALSE);
  if (pairs == NULL)
    {
      set_pair_list (self, NULL);
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }

  g_autoptr (SfPairList) pair_list = sf_pair_list_new (self->faces, pairs);
  set_pair_list (self, pair_list);
}

static void
generate (SfPairsView *self)
{
  self->generation++;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  if (self->faces == NULL)
    {
      set_busy (self, FALSE);
      set_pair_list (self, NULL);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  GenerateJob *job = g_new0 (GenerateJob, 1);
  job->faces = g_object_ref (self->faces);
  job->kind = sf_pairs_view_get_split_kind (self);
  job->seed = sf_pairs_view_get_seed (self);
  job->generation = self->generation;

  set_busy (self, TRUE);
  /* Keep showing the old pairs of this dataset until the new ones arrive. */
  if (self->pair_list == NULL || sf_pair_list_get_faces (self->pair_list) != self->faces)
    {
      set_pair_list (self, NULL);
      gtk_stack_set_visible_child_name (self->stack, "busy");
    }

  self->cancellable = g_cancellable_new ();
  g_autoptr (GTask) task = g_task_new (self, self->cancellable, generate_done_cb, NULL);
  g_task_set_source_tag (task, generate);
  g_task_set_task_data (task, job, generate_job_free);
  g_task_set_check_cancellable (task, FALSE);
  sf_worker_run_in_thread (task, generate_thread);
}

static void
filter_toggled_cb (SfPairsView *self, GtkToggleButton *button)
{
  /* Each click toggles two buttons of a group; act on the one turned on. */
  if (!gtk_toggle_button_get_active (button) || self->pair_list == NULL)
    return;
  sf_pair_list_set_filter (self->pair_list, current_kind (self), current_part (self));
  update_counts (self);
}

static void
generation_settings_changed_cb (SfPairsView *self)
{
  if (self->updating_controls)
    return;
  generate (self);
}

static void
default_split_changed_cb (SfPairsView *self)
{
  int split = g_settings_get_enum (self->settings, "default-split");

  if (split == self->followed_split)
    return;
  self->followed_split = split;
  sf_pairs_view_set_split_kind (self, (SfSplitKind) split);
}

static void
default_seed_changed_cb (SfPairsView *self)
{
  guint seed = g_settings_get_uint (self->settings, "default-seed");

  if (seed == self->followed_seed)
    return;
  self->followed_seed = seed;
  sf_pairs_view_set_seed (self, seed);
}

static void
update_zoom (SfPairsView *self)
{
  int side = 64;

  if (self->faces != NULL)
    {
      const SfDataset *dataset = sf_face_list_get_dataset (self->faces);
      side = MAX (dataset->width, dataset->height);
    }
  self->zoom = sf_zoom_for_target (side, ROW_FACE_PIXELS);
}

static void
setup_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, SfPairsView *self)
{
  gtk_list_item_set_child (item, sf_pair_row_new ());
}

static void
bind_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, SfPairsView *self)
{
  SfPairRow *row = SF_PAIR_ROW (gtk_list_item_get_child (item));

  sf_pair_row_set_zoom (row, self->zoom);
  sf_pair_row_set_item (row, gtk_list_item_get_item (item));
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, SfPairsView *self)
{
  sf_pair_row_set_item (SF_PAIR_ROW (gtk_list_item_get_child (item)), NULL);
}

static void
pair_activate_cb (SfPairsView *self, guint position)
{
  sf_pairs_view_open_pair (self, position);
}

static void
regenerate_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfPairsView *self = SF_PAIRS_VIEW (widget);
  guint seed = sf_pairs_view_get_seed (self);

  sf_pairs_view_set_seed (self, seed < G_MAXINT32 ? seed + 1 : 0);
}

static void
sf_pairs_view_dispose (GObject *object)
{
  SfPairsView *self = SF_PAIRS_VIEW (object);
  GtkWidget *child;

  self->generation++;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->pair_grid != NULL)
    gtk_grid_view_set_model (self->pair_grid, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), SF_TYPE_PAIRS_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->selection);
  g_clear_object (&self->pair_list);
  g_clear_object (&self->faces);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (sf_pairs_view_parent_class)->dispose (object);
}

static void
sf_pairs_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfPairsView *self = SF_PAIRS_VIEW (object);

  switch (prop_id)
    {
    case PROP_FACES:
      g_value_set_object (value, self->faces);
      break;
    case PROP_PAIR_LIST:
      g_value_set_object (value, self->pair_list);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_pairs_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SfPairsView *self = SF_PAIRS_VIEW (object);

  switch (prop_id)
    {
    case PROP_FACES:
      sf_pairs_view_set_faces (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_pairs_view_class_init (SfPairsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sf_pairs_view_dispose;
  object_class->get_property = sf_pairs_view_get_property;
  object_class->set_property = sf_pairs_view_set_property;

  properties[PROP_FACES] =
    g_param_spec_object ("faces", NULL, NULL, SF_TYPE_FACE_LIST,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAIR_LIST] =
    g_param_spec_object ("pair-list", NULL, NULL, SF_TYPE_PAIR_LIST,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-pairs-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SfPairsView, title_label);
  gtk_widget_class_bind_template_child (widget_class, SfPairsView, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, SfPairsView, split_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SfPairsView, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, SfPairsView, kind_all);
  gtk_widget_class_bind_template_child (widget_class, SfPairsView, kind_same);
  gtk_widget_class_bind_template_child (widget_class, SfPairsView, kind_different);
  gtk_widget_class_bind_template_child (widget_class, SfPairsView, part_all);
  gtk_widget_class_bind_template_child (widget_class, SfPairsView, part_training);
  gtk_widget_class_bind_template_child (widget_class, SfPairsView, part_validation);
  gtk_widget_class_bind_template_child (widget_class, SfPairsView, split_label);
  gtk_widget_class_bind_template_child (widget_class, SfPairsView, stack);
  gtk_widget_class_bind_template_child (widget_class, SfPairsView, error_page);
  gtk_widget_class_bind_template_child (widget_class, SfPairsView, spinner);
  gtk_widget_class_bind_template_child (widget_class, SfPairsView, pair_grid);

  gtk_widget_class_install_action (widget_class, "pairs.regenerate", NULL, regenerate_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "pairs.regenerate", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "pairsview");
}

static void
sf_pairs_view_init (SfPairsView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->zoom = 1.0;
  self->settings = g_settings_new (APP_ID);

  self->updating_controls = TRUE;
  self->followed_split = g_settings_get_enum (self->settings, "default-split");
  self->followed_seed = g_settings_get_uint (self->settings, "default-seed");
  gtk_drop_down_set_selected (self->split_dropdown, (guint) self->followed_split);
  gtk_spin_button_set_value (self->seed_spin, self->followed_seed);
  self->updating_controls = FALSE;

  g_signal_connect_object (self->settings, "changed::default-split",
                           G_CALLBACK (default_split_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::default-seed",
                           G_CALLBACK (default_seed_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_swapped (self->split_dropdown, "notify::selected",
                            G_CALLBACK (generation_settings_changed_cb), self);
  g_signal_connect_swapped (self->seed_spin, "value-changed",
                            G_CALLBACK (generation_settings_changed_cb), self);

  GtkToggleButton *toggles[] = {
    self->kind_all, self->kind_same, self->kind_different,
    self->part_all, self->part_training, self->part_validation,
  };
  for (gsize i = 0; i < G_N_ELEMENTS (toggles); i++)
    g_signal_connect_swapped (toggles[i], "toggled", G_CALLBACK (filter_toggled_cb), self);

  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row_cb), self);
  gtk_grid_view_set_factory (self->pair_grid, factory);
  g_object_unref (factory);
  g_signal_connect_swapped (self->pair_grid, "activate", G_CALLBACK (pair_activate_cb), self);

  gtk_stack_set_visible_child_name (self->stack, "empty");
  update_counts (self);
}

SfFaceList *
sf_pairs_view_get_faces (SfPairsView *self)
{
  g_return_val_if_fail (SF_IS_PAIRS_VIEW (self), NULL);

  return self->faces;
}

void
sf_pairs_view_set_faces (SfPairsView *self, SfFaceList *faces)
{
  g_return_if_fail (SF_IS_PAIRS_VIEW (self));
  g_return_if_fail (faces == NULL || SF_IS_FACE_LIST (faces));

  if (!g_set_object (&self->faces, faces))
    return;
  update_zoom (self);
  generate (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FACES]);
}

SfPairList *
sf_pairs_view_get_pair_list (SfPairsView *self)
{
  g_return_val_if_fail (SF_IS_PAIRS_VIEW (self), NULL);

  return self->pair_list;
}

gboolean
sf_pairs_view_get_busy (SfPairsView *self)
{
  g_return_val_if_fail (SF_IS_PAIRS_VIEW (self), FALSE);

  return self->busy;
}

SfSplitKind
sf_pairs_view_get_split_kind (SfPairsView *self)
{
  g_return_val_if_fail (SF_IS_PAIRS_VIEW (self), SF_SPLIT_PAIRS);

  guint selected = gtk_drop_down_get_selected (self->split_dropdown);
  return selected <= SF_SPLIT_PEOPLE ? (SfSplitKind) selected : SF_SPLIT_PAIRS;
}

void
sf_pairs_view_set_split_kind (SfPairsView *self, SfSplitKind kind)
{
  g_return_if_fail (SF_IS_PAIRS_VIEW (self));
  g_return_if_fail (kind <= SF_SPLIT_PEOPLE);

  gtk_drop_down_set_selected (self->split_dropdown, (guint) kind);
}

guint
sf_pairs_view_get_seed (SfPairsView *self)
{
  g_return_val_if_fail (SF_IS_PAIRS_VIEW (self), 0);

  return (guint) gtk_spin_button_get_value_as_int (self->seed_spin);
}

void
sf_pairs_view_set_seed (SfPairsView *self, guint seed)
{
  g_return_if_fail (SF_IS_PAIRS_VIEW (self));

  gtk_spin_button_set_value (self->seed_spin, MIN (seed, (guint) G_MAXINT32));
}

void
sf_pairs_view_set_filter (SfPairsView *self, SfPairKind kind, SfPairPart part)
{
  g_return_if_fail (SF_IS_PAIRS_VIEW (self));

  GtkToggleButton *kinds[] = { self->kind_all, self->kind_same, self->kind_different };
  GtkToggleButton *parts[] = { self->part_all, self->part_training, self->part_validation };

  g_return_if_fail (kind <= SF_PAIR_KIND_DIFFERENT && part <= SF_PAIR_PART_VALIDATION);
  gtk_toggle_button_set_active (kinds[kind], TRUE);
  gtk_toggle_button_set_active (parts[part], TRUE);
}

GtkWindow *
sf_pairs_view_open_pair (SfPairsView *self, guint position)
{
  g_return_val_if_fail (SF_IS_PAIRS_VIEW (self), NULL);

  if (self->pair_list == NULL)
    return NULL;
  g_autoptr (SfPairItem) item = g_list_model_get_item (G_LIST_MODEL (self->pair_list), position);
  if (item == NULL)
    return NULL;

  GtkWidget *window = sf_pair_window_new (item);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (root));
  gtk_window_present (GTK_WINDOW (window));
  return GTK_WINDOW (window);
}

GtkWidget *
sf_pairs_view_new (void)
{
  return g_object_new (SF_TYPE_PAIRS_VIEW, NULL);
}
