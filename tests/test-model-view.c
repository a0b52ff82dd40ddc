/* The network picture and the Model view: the diagram drawn on an image
 * surface from the engine's parsed towers, PNG and SVG exports, and (under
 * Xvfb) the real window's Model view following the shared training settings
 * (SfTrainingSettings) and writing to them. */
#include <adwaita.h>
#include <string.h>
#include <glib/gstdio.h>

#include "sf-application.h"
#include "sf-model-view.h"
#include "sf-network-diagram.h"
#include "sf-screenshots.h"
#include "sf-test-files.h"
#include "sf-test-ui.h"
#include "sf-training-settings.h"
#include "sf-window.h"

static char *tmp_dir;
static SfApplication *app;
static SfWindow *window;

static SfTower *
parse (const char *spec)
{
  g_autoptr (GError) error = NULL;
  SfTower *tower = sf_tower_parse (spec, 64, &error);

  g_assert_no_error (error);
  g_assert_nonnull (tower);
  return tower;
}

/* Pixels clearly darker than the white background: text, lines, arrows. */
static double
inked_share (cairo_surface_t *surface)
{
  int width = cairo_image_surface_get_width (surface);
  int height = cairo_image_surface_get_height (surface);
  int stride = cairo_image_surface_get_stride (surface);
  const guint8 *data = cairo_image_surface_get_data (surface);
  gsize inked = 0;

  cairo_surface_flush (surface);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint32 pixel = *(const guint32 *) (data + y * stride + 4 * x);
        if (((pixel >> 16) & 0xff) < 0xa0 || ((pixel >> 8) & 0xff) < 0xa0 || (pixel & 0xff) < 0xa0)
          inked++;
      }
  return (double) inked / ((double) width * height);
}

static void
test_draw (void)
{
  const char *specs[] = { SF_SPEC_ARTICLE, SF_SPEC_COMPACT };

  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      g_autoptr (SfTower) tower = parse (specs[i]);
      SfDiagramStyle style;
      int width, height;

      sf_network_diagram_style_init_export (&style);
      sf_network_diagram_get_natural_size (tower, SF_HEAD_BCE, 1.0, &width, &height);
      g_assert_cmpint (width, >, 300);
      g_assert_cmpint (height, >, 300);

      cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
      cairo_t *cr = cairo_create (surface);
      sf_network_diagram_draw (cr, width, height, tower, i == 0 ? SF_HEAD_BCE : SF_HEAD_CONTRASTIVE, 1.0, &style);
      g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
      cairo_destroy (cr);

      /* Boxes, text and arrows: neither blank nor a flood. */
      double share = inked_share (surface);
      g_test_message ("%s: %d × %d, %.1f%% inked", specs[i], width, height, 100 * share);
      g_assert_cmpfloat (share, >, 0.01);
      g_assert_cmpfloat (share, <, 0.3);

      /* The picture's corners are background: nothing is drawn off the edge. */
      const guint8 *data = cairo_image_surface_get_data (surface);
      int stride = cairo_image_surface_get_stride (surface);
      g_assert_cmphex (*(const guint32 *) data & 0xffffff, ==, 0xffffff);
      g_assert_cmphex (*(const guint32 *) (data + (height - 1) * stride + 4 * (width - 1)) & 0xffffff, ==,
                       0xffffff);
      cairo_surface_destroy (surface);
    }
}

static void
test_natural_size (void)
{
  /* By number of layers; the two presets have twelve each. */
  const char *specs[] = { "flatten dense8", "conv8k3 gap dense8", "conv8k3 pool2 conv8k3 gap dense8", SF_SPEC_COMPACT,
                          SF_SPEC_ARTICLE };
  int last_height = 0, last_layers = 0;

  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      g_autoptr (SfTower) tower = parse (specs[i]);
      int width, height, layers = sf_network_n_layers (tower);

      sf_network_diagram_get_natural_size (tower, SF_HEAD_CONTRASTIVE, 1.0, &width, &height);
      g_test_message ("%d layers: %d × %d", layers, width, height);
      if (layers > last_layers)
        g_assert_cmpint (height, >, last_height);
      else
        g_assert_cmpint (height, ==, last_height);
      last_height = height;
      last_layers = layers;
    }

  g_autoptr (SfTower) article = parse (SF_SPEC_ARTICLE);
  g_autoptr (SfTower) compact = parse (SF_SPEC_COMPACT);
  g_assert_cmpint (sf_network_n_layers (article), ==, 12);
  g_assert_cmpint (sf_network_n_layers (compact), ==, 12);
}

static void
test_counts (void)
{
  g_autoptr (SfTower) article = parse (SF_SPEC_ARTICLE);
  g_autofree char *count = sf_network_format_count (article->n_params + sf_network_head_params (SF_HEAD_BCE));
  g_autofree char *small = sf_network_format_count (999);

  /* Keras' model.summary() of the article's network: 2,036,930 parameters. */
  g_assert_cmpstr (count, ==, "2,036,930");
  g_assert_cmpstr (small, ==, "999");
  g_assert_cmpuint (sf_network_head_params (SF_HEAD_CONTRASTIVE), ==, 0);
  g_assert_cmpfloat (sf_network_pair_flops (article), ==, 2 * article->flops);

  g_autofree char *description = sf_network_describe (article, SF_HEAD_BCE, 1.0);
  g_assert_nonnull (strstr (description, "12 layers"));
  g_assert_nonnull (strstr (description, "2,036,930 parameters"));
}

/* Every layer's box says its parameters and FLOPs (per image): the
 * figures worked out by hand for this tiny tower at 16 × 16. */
static void
test_layer_counts (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SfTower) tower = sf_tower_parse ("conv8k3-bn pool2 gap dense4", 16, &error);
  const char *expected[] = {
    /* conv 2·(1·3·3)·8·16·16 = 36,864, bn 2·8·16·16 = 4,096, relu 8·16·16 = 2,048;
     * 8·9 + 8 + 2·8 parameters */
    "(1, 16, 16), output: (8, 16, 16); 96 parameters, 43.0 kFLOPs per image",
    /* one per input element */
    "(8, 16, 16), output: (8, 8, 8); no parameters, 2.0 kFLOPs per image",
    "(8, 8, 8), output: (8); no parameters, 512 FLOPs per image",
    /* 2·8·4; 8·4 + 4 parameters */
    "(8), output: (4); 36 parameters, 64 FLOPs per image",
  };

  g_assert_no_error (error);
  g_autofree char *layers = sf_network_describe_layers (tower);
  g_auto (GStrv) lines = g_strsplit (layers, "\n", -1);
  g_test_message ("%s", layers);
  g_assert_cmpuint (g_strv_length (lines), ==, G_N_ELEMENTS (expected) + 1);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *number = g_strdup_printf ("%u. ", i + 1);
      g_assert_true (g_str_has_prefix (lines[i], number));
      g_assert_true (g_str_has_suffix (lines[i], expected[i]));
    }

  /* The SVG says it too. */
  g_autofree char *svg = g_build_filename (tmp_dir, "counts.svg", NULL);
  g_autofree char *svg_data = NULL;
  g_assert_true (sf_network_diagram_save (svg, SF_DIAGRAM_SVG, tower, SF_HEAD_CONTRASTIVE, 1.0, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (svg, &svg_data, NULL, NULL));
  g_assert_nonnull (strstr (svg_data, "96 parameters, 43.0 kFLOPs per image"));
  g_remove (svg);
}

/* Pixels in the export style's accent (blue #1c71d8) in rows y0..y1: in
 * the tower only a block's branch is drawn in it. */
static int
accent_pixels (cairo_surface_t *surface, int y0, int y1)
{
  int width = cairo_image_surface_get_width (surface);
  int stride = cairo_image_surface_get_stride (surface);
  const guint8 *data = cairo_image_surface_get_data (surface);
  int n = 0;

  for (int y = y0; y <= y1; y++)
    for (int x = 0; x < width; x++)
      {
        guint32 pixel = *(const guint32 *) (data + y * stride + 4 * x);
        int red = (pixel >> 16) & 0xff, blue = pixel & 0xff;
        if (blue > 150 && blue - red > 90)
          n++;
      }
  return n;
}

/* A residual block is one box of the picture, with its shortcut drawn inside
 * it; so is squeeze-and-excitation with its attention branch. */
static void
test_blocks (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SfTower) tower = sf_tower_parse ("conv8k3-bn pool2 res16s2 res16 se4 gap dense8", 32, &error);
  gboolean block[] = { FALSE, FALSE, TRUE, TRUE, TRUE, FALSE, FALSE };
  SfDiagramStyle style;
  int width, height;

  g_assert_no_error (error);
  g_assert_cmpint (sf_network_n_layers (tower), ==, G_N_ELEMENTS (block));
  sf_network_diagram_style_init_export (&style);
  sf_network_diagram_get_natural_size (tower, SF_HEAD_CONTRASTIVE, 1.0, &width, &height);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  cairo_t *cr = cairo_create (surface);
  sf_network_diagram_draw (cr, width, height, tower, SF_HEAD_CONTRASTIVE, 1.0, &style);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_flush (surface);

  /* Down the middle: each layer's box once, in order, one box per token
   * (the block's nine modules are not boxes of their own). */
  int next = 0, current = -1, top = 0;
  int tops[G_N_ELEMENTS (block)], bottoms[G_N_ELEMENTS (block)];
  for (int y = 0; y <= height; y++)
    {
      int layer = y < height ? sf_network_diagram_layer_at (tower, SF_HEAD_CONTRASTIVE, 1.0, width, height,
                                                              width / 2.0, y)
                             : -1;
      if (layer == current)
        continue;
      if (current >= 0)
        {
          tops[current] = top;
          bottoms[current] = y - 1;
        }
      if (layer >= 0)
        {
          g_assert_cmpint (layer, ==, next);
          next++;
          top = y;
        }
      current = layer;
    }
  g_assert_cmpint (next, ==, G_N_ELEMENTS (block));
  g_assert_cmpint (sf_network_diagram_layer_at (tower, SF_HEAD_CONTRASTIVE, 1.0, width, height, 1, 1), ==,
                   -1);

  /* The blocks' branches are drawn inside their boxes, and nothing else there is. */
  for (guint i = 0; i < G_N_ELEMENTS (block); i++)
    {
      int accent = accent_pixels (surface, tops[i], bottoms[i]);
      g_test_message ("layer %u: rows %d..%d, %d accent pixels", i, tops[i], bottoms[i], accent);
      /* A block's box is taller than a plain layer's: its inside is drawn under the header. */
      if (block[i])
        {
          g_assert_cmpint (accent, >, 150);
          g_assert_cmpint (bottoms[i] - tops[i], >, bottoms[0] - tops[0] + 40);
        }
      else
        {
          g_assert_cmpint (accent, ==, 0);
          g_assert_cmpint (bottoms[i] - tops[i], ==, bottoms[0] - tops[0]);
        }
    }
  cairo_surface_destroy (surface);

  /* What the boxes say: the shortcut, shapes, parameters and FLOPs. By
   * hand: conv1 8·16·9, conv2 16·16·9, shortcut 8·16 weights, three batch
   * norms of 2·16; FLOPs 2 per multiply-add (147,456 + 294,912 + 16,384), 2
   * per element of each batch norm (3 · 2,048), 1 per element for the ReLUs
   * and the sum (3 · 1,024) = 467,968. */
  g_autofree char *projection = sf_network_describe_layer (tower, 2);
  g_autofree char *identity = sf_network_describe_layer (tower, 3);
  g_autofree char *attention = sf_network_describe_layer (tower, 4);
  g_test_message ("%s\n%s\n%s", projection, identity, attention);
  g_assert_true (g_str_has_prefix (projection, "3. BasicBlock: "));
  g_assert_nonnull (strstr (projection, "+ projection shortcut: Conv2d 1×1, stride 2 · BatchNorm2d → ReLU"));
  g_assert_nonnull (strstr (projection, "input: (8, 16, 16), output: (16, 8, 8); 3,680 parameters, "
                                        "468.0 kFLOPs per image"));
  g_assert_nonnull (strstr (projection, "tower.4.shortcut.0 Conv2d 1×1, stride 2: 128 parameters, "
                                        "16.4 kFLOPs"));
  g_assert_nonnull (strstr (identity, "+ identity shortcut → ReLU"));
  g_assert_null (strstr (identity, "projection"));
  g_assert_true (g_str_has_prefix (attention, "5. SqueezeExcite: "));
  g_assert_nonnull (strstr (attention, "× channel attention: mean over 8×8 → Linear 16 → 4 · ReLU → "
                                       "Linear 4 → 16 · Sigmoid"));
  g_assert_null (sf_network_describe_layer (tower, G_N_ELEMENTS (block)));

  /* The other new tokens are boxes like the old ones. */
  g_autoptr (SfTower) other = sf_tower_parse ("conv8k3s2 sep16k3s2 avgpool2 gap dense8", 32, &error);
  g_assert_no_error (error);
  g_autofree char *layers = sf_network_describe_layers (other);
  g_test_message ("%s", layers);
  g_assert_nonnull (strstr (layers, "1. Conv2d + ReLU: 8 filters 3×3, stride 2; input: (1, 32, 32), "
                                    "output: (8, 16, 16)"));
  g_assert_nonnull (strstr (layers, "2. SeparableConv: depthwise 3×3, stride 2 → pointwise 1×1 to 16"));
  g_assert_nonnull (strstr (layers, "3. AvgPool2d: window 2×2; input: (16, 8, 8), output: (16, 4, 4)"));
}

static void
test_export (void)
{
  g_autoptr (SfTower) tower = parse (SF_SPEC_COMPACT);
  g_autofree char *png = g_build_filename (tmp_dir, "network.png", NULL);
  g_autofree char *svg = g_build_filename (tmp_dir, "network.svg", NULL);
  g_autoptr (GError) error = NULL;
  int width, height;

  /* Over an existing file: replaced whole. */
  g_assert_true (g_file_set_contents (png, "old", -1, NULL));
  g_assert_true (sf_network_diagram_save (png, SF_DIAGRAM_PNG, tower, SF_HEAD_CONTRASTIVE, 1.0, &error));
  g_assert_no_error (error);
  g_assert_true (sf_network_diagram_save (svg, SF_DIAGRAM_SVG, tower, SF_HEAD_CONTRASTIVE, 1.0, &error));
  g_assert_no_error (error);

  g_autofree char *png_data = NULL;
  gsize png_length = 0;
  g_assert_true (g_file_get_contents (png, &png_data, &png_length, NULL));
  g_assert_cmpuint (png_length, >, 1000);
  g_assert_cmpmem (png_data, 8, "\x89PNG\r\n\x1a\n", 8);
  cairo_surface_t *image = cairo_image_surface_create_from_png (png);
  g_assert_cmpint (cairo_surface_status (image), ==, CAIRO_STATUS_SUCCESS);
  sf_network_diagram_get_natural_size (tower, SF_HEAD_CONTRASTIVE, 1.0, &width, &height);
  g_assert_cmpint (cairo_image_surface_get_width (image), ==, 2 * width);
  g_assert_cmpint (cairo_image_surface_get_height (image), ==, 2 * height);
  cairo_surface_destroy (image);

  g_autofree char *svg_data = NULL;
  g_assert_true (g_file_get_contents (svg, &svg_data, NULL, NULL));
  g_assert_nonnull (strstr (svg_data, "<svg"));
  g_assert_nonnull (strstr (svg_data, "</svg>"));
  g_assert_nonnull (strstr (svg_data, "<title>Siamese network</title>"));
  g_assert_nonnull (strstr (svg_data, "Conv2d + BatchNorm2d + ReLU"));
  g_assert_nonnull (strstr (svg_data, SF_SPEC_COMPACT));

  /* No temporary files are left beside them. */
  g_autoptr (GDir) dir = g_dir_open (tmp_dir, 0, NULL);
  int n_files = 0;
  while (g_dir_read_name (dir) != NULL)
    n_files++;
  g_assert_cmpint (n_files, ==, 2);

  /* A folder that does not exist: an error that names the file, nothing written. */
  g_autofree char *bad = g_build_filename (tmp_dir, "missing", "network.svg", NULL);
  g_assert_false (sf_network_diagram_save (bad, SF_DIAGRAM_SVG, tower, SF_HEAD_BCE, 1.0, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "network.svg"));
}

/* The real window. */

static SfModelView *
model_view (void)
{
  GtkWidget *view = sf_test_find_widget (GTK_WIDGET (window), SF_TYPE_MODEL_VIEW, NULL);

  g_assert_nonnull (view);
  return SF_MODEL_VIEW (view);
}

/* The first label at or under root that says text, depth first. */
static GtkLabel *
find_label (GtkWidget *root, const char *text)
{
  if (GTK_IS_LABEL (root) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (root)), text) == 0)
    return GTK_LABEL (root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkLabel *label = find_label (child, text);
      if (label != NULL)
        return label;
    }
  return NULL;
}

/* The preset dropdown: the one that lists Compact, Article, Custom. */
static GtkDropDown *
find_preset_dropdown (GtkWidget *root)
{
  if (GTK_IS_DROP_DOWN (root)
      && g_list_model_get_n_items (gtk_drop_down_get_model (GTK_DROP_DOWN (root))) == 3)
    return GTK_DROP_DOWN (root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkDropDown *dropdown = find_preset_dropdown (child);
      if (dropdown != NULL)
        return dropdown;
    }
  return NULL;
}

/* What the dropdown shows: its selected row's words. */
static const char *
dropdown_text (GtkDropDown *dropdown)
{
  gpointer item = gtk_drop_down_get_selected_item (dropdown);

  g_assert_true (GTK_IS_STRING_OBJECT (item));
  return gtk_string_object_get_string (item);
}

static void
test_window_spec (void)
{
  g_autoptr (GSettings) settings = g_settings_new (SF_APPLICATION_ID);
  SfModelView *view = model_view ();
  GtkWidget *error_label = sf_test_find_widget_with_class (GTK_WIDGET (view), GTK_TYPE_LABEL, "error");
  GtkWidget *area = sf_test_find_widget (GTK_WIDGET (view), GTK_TYPE_DRAWING_AREA, NULL);
  const char *bad = "conv8k3 pool2 gap dense16 blorp7";
  const char *good = "conv8k3 pool2 conv16k3-bn-relu gap dense16";

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "model"));
  g_settings_set_string (settings, "train-head", "contrastive");
  sf_test_settle (window);
  g_assert_null (sf_model_view_get_error (view));
  g_assert_nonnull (sf_model_view_get_tower (view));
  g_assert_false (gtk_widget_get_visible (error_label));
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (area), GTK_ACCESSIBLE_ROLE_IMG);

  /* A bad spec: the parser's own message under the entry, the last picture stays. */
  const SfTower *before = sf_model_view_get_tower (view);
  g_autofree char *before_spec = g_strdup (before->spec);
  g_autoptr (GError) error = NULL;
  g_assert_null (sf_tower_parse (bad, 64, &error));
  g_settings_set_string (settings, "train-spec", bad);
  sf_test_settle (window);
  g_assert_cmpstr (sf_model_view_get_error (view), ==, error->message);
  g_assert_true (gtk_widget_get_visible (error_label));
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (error_label)), ==, error->message);
  g_assert_nonnull (strstr (error->message, "blorp7"));
  g_assert_cmpstr (sf_model_view_get_tower (view)->spec, ==, before_spec);

  /* A good one: drawn, counted from the engine's parse. */
  g_settings_set_string (settings, "train-spec", good);
  sf_test_settle (window);
  g_assert_null (sf_model_view_get_error (view));
  g_assert_false (gtk_widget_get_visible (error_label));
  g_autoptr (SfTower) tower = parse (good);
  g_assert_cmpstr (sf_model_view_get_tower (view)->spec, ==, tower->spec);
  g_autofree char *count = sf_network_format_count (tower->n_params);
  g_autofree char *expected = g_strdup_printf ("%s parameters", count);
  g_test_message ("%s", sf_model_view_get_summary (view));
  g_assert_true (g_str_has_prefix (sf_model_view_get_summary (view), expected));
  g_autofree char *description = sf_network_describe (tower, SF_HEAD_CONTRASTIVE,
                                                          g_settings_get_double (settings, "train-margin"));
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (area), GTK_ACCESSIBLE_PROPERTY_LABEL, description);
  /* Its layers, each with its parameters and FLOPs, for screen readers. */
  g_autofree char *layers = sf_network_describe_layers (tower);
  g_assert_nonnull (strstr (layers, "FLOPs per image"));
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (area), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, layers);
  g_assert_cmpint (gtk_widget_get_width (area), >, 300);

  /* Typing in the entry: a valid edit is saved and makes the preset custom,
   * and the dropdown says so. */
  GtkWidget *entry = sf_test_find_widget (GTK_WIDGET (view), GTK_TYPE_ENTRY, NULL);
  GtkDropDown *preset_dropdown = find_preset_dropdown (GTK_WIDGET (view));
  g_settings_set_string (settings, "train-preset", "compact");
  sf_test_settle (window);
  g_assert_cmpstr (dropdown_text (preset_dropdown), ==, "Compact");
  gtk_editable_set_text (GTK_EDITABLE (entry), "conv4k3 gap dense8");
  sf_test_settle (window);
  g_autofree char *saved = g_settings_get_string (settings, "train-spec");
  g_autofree char *preset = g_settings_get_string (settings, "train-preset");
  g_assert_cmpstr (saved, ==, "conv4k3 gap dense8");
  g_assert_cmpstr (preset, ==, "custom");
  g_assert_cmpstr (dropdown_text (preset_dropdown), ==, "Custom");
  /* The Train view's form shares the settings. */
  GtkWidget *train_spec = sf_test_find_widget (GTK_WIDGET (sf_window_get_train_view (window)), ADW_TYPE_ENTRY_ROW,
                                               NULL);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (train_spec)), ==, "conv4k3 gap dense8");
  gtk_editable_set_text (GTK_EDITABLE (entry), "conv4k3 gap dense");
  sf_test_settle (window);
  g_assert_nonnull (sf_model_view_get_error (view));
  g_free (saved);
  saved = g_settings_get_string (settings, "train-spec");
  g_assert_cmpstr (saved, ==, "conv4k3 gap dense8");
}

static void
test_window_preset (void)
{
  g_autoptr (GSettings) settings = g_settings_new (SF_APPLICATION_ID);
  SfModelView *view = model_view ();
  GtkDropDown *preset_dropdown = NULL;

  /* The preset dropdown lists Compact, Article, Custom. */
  GtkWidget *stack[64];
  int n = 0;
  stack[n++] = GTK_WIDGET (view);
  while (n > 0 && preset_dropdown == NULL)
    {
      GtkWidget *widget = stack[--n];
      if (GTK_IS_DROP_DOWN (widget)
          && g_list_model_get_n_items (gtk_drop_down_get_model (GTK_DROP_DOWN (widget))) == 3)
        preset_dropdown = GTK_DROP_DOWN (widget);
      for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL && n < 64;
           child = gtk_widget_get_next_sibling (child))
        stack[n++] = child;
    }
  g_assert_nonnull (preset_dropdown);

  /* Choosing a preset here brings all of it, also what only the Train view shows. */
  g_autoptr (SfTrainingSettings) store = sf_training_settings_dup_default ();
  gtk_drop_down_set_selected (preset_dropdown, 1);
  sf_test_settle (window);
  g_autofree char *spec = g_settings_get_string (settings, "train-spec");
  g_autofree char *head = g_settings_get_string (settings, "train-head");
  g_autofree char *preset = g_settings_get_string (settings, "train-preset");
  g_assert_cmpstr (spec, ==, SF_SPEC_ARTICLE);
  g_assert_cmpstr (head, ==, "bce");
  g_assert_cmpstr (preset, ==, "article");
  g_assert_cmpint (g_settings_get_int (settings, "train-epochs"), ==, 100);
  g_assert_cmpint (g_settings_get_enum (settings, "default-split"), ==, SF_SPLIT_PAIRS);
  g_assert_false (sf_training_settings_is_custom (store));
  g_assert_null (sf_model_view_get_error (view));
  g_assert_true (g_str_has_prefix (sf_model_view_get_summary (view), "2,036,930 parameters"));

  /* A change elsewhere shows here: the dropdown says Custom. */
  g_settings_set_int (settings, "train-epochs", 5);
  sf_test_settle (window);
  g_assert_cmpuint (gtk_drop_down_get_selected (preset_dropdown), ==, 2);
  g_assert_cmpstr (sf_model_view_get_tower (view)->spec, ==, SF_SPEC_ARTICLE);

  gtk_drop_down_set_selected (preset_dropdown, 0);
  sf_test_settle (window);
  g_free (spec);
  g_free (head);
  spec = g_settings_get_string (settings, "train-spec");
  head = g_settings_get_string (settings, "train-head");
  g_assert_cmpstr (spec, ==, SF_SPEC_COMPACT);
  g_assert_cmpstr (head, ==, "contrastive");
  g_assert_cmpstr (sf_model_view_get_tower (view)->spec, ==, SF_SPEC_COMPACT);

  /* Zoom by action. */
  sf_model_view_set_zoom (view, 1.0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "model.zoom-in", NULL));
  g_assert_cmpfloat (sf_model_view_get_zoom (view), ==, 1.25);
  gtk_widget_activate_action (GTK_WIDGET (view), "model.zoom-reset", NULL);
  g_assert_cmpfloat (sf_model_view_get_zoom (view), ==, 1.0);

  /* Export of what is shown. */
  g_autofree char *path = g_build_filename (tmp_dir, "view.svg", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (sf_model_view_export (view, path, SF_DIAGRAM_SVG, &error));
  g_assert_no_error (error);
  g_autofree char *svg = NULL;
  g_assert_true (g_file_get_contents (path, &svg, NULL, NULL));
  g_assert_nonnull (strstr (svg, SF_SPEC_COMPACT));
  g_remove (path);
}

static void
test_window_model (void)
{
  SfModelView *view = model_view ();
  SfSession *session = sf_window_get_session (window);
  g_autoptr (GError) error = NULL;
  SfCheckpoint *checkpoint = g_new0 (SfCheckpoint, 1);

  /* A model whose network differs from the settings'. */
  checkpoint->model = sf_model_new ("conv4k5 pool2 gap dense12", SF_HEAD_BCE, 1.0f, 32, 1, &error);
  g_assert_no_error (error);
  sf_train_settings_init_preset (&checkpoint->settings, SF_PRESET_COMPACT);
  checkpoint->threshold = 0.5f;
  sf_session_set_checkpoint (session, checkpoint, NULL);
  sf_test_settle (window);

  g_assert_true (sf_model_view_get_showing_model (view));
  const SfTower *tower = sf_model_view_get_tower (view);
  g_assert_true (tower == sf_model_get_tower (checkpoint->model));
  g_autofree char *count = sf_network_format_count (tower->n_params + 2);
  g_assert_true (g_str_has_prefix (sf_model_view_get_summary (view), count));
  g_assert_nonnull (strstr (sf_model_view_get_summary (view), "input 32 × 32"));

  sf_model_view_set_showing_model (view, FALSE);
  sf_test_settle (window);
  g_assert_false (sf_model_view_get_showing_model (view));
  g_assert_cmpstr (sf_model_view_get_tower (view)->spec, ==, SF_SPEC_COMPACT);
}

/* The line of counts under the title is read whole at the window's default
 * size, also with the Showing dropdown beside the title (a model open). */
static void
test_window_summary (void)
{
  SfModelView *view = model_view ();
  SfSession *session = sf_window_get_session (window);
  g_autoptr (GError) error = NULL;
  SfCheckpoint *checkpoint = g_new0 (SfCheckpoint, 1);
  int width, height;

  /* Small, so the other views' work on it ends soon, with a summary as long as the presets'. */
  checkpoint->model = sf_model_new ("conv8k3 pool2 conv16k3 gap dense128", SF_HEAD_BCE, 1.0f, 32, 1, &error);
  g_assert_no_error (error);
  sf_train_settings_init_preset (&checkpoint->settings, SF_PRESET_COMPACT);
  checkpoint->threshold = 0.5f;
  sf_session_set_checkpoint (session, checkpoint, NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "model"));
  sf_test_settle (window);
  sf_test_settle (window);
  g_assert_true (sf_model_view_get_showing_model (view));

  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  g_test_message ("window %d × %d (default %d × %d)", gtk_widget_get_width (GTK_WIDGET (window)),
                  gtk_widget_get_height (GTK_WIDGET (window)), width, height);
  const char *summary = sf_model_view_get_summary (view);
  g_test_message ("%s", summary);
  g_assert_nonnull (strstr (summary, "binary cross-entropy head"));
  GtkLabel *label = find_label (GTK_WIDGET (view), summary);
  g_assert_nonnull (label);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (label)));

  PangoLayout *layout = gtk_label_get_layout (label);
  int text_width, text_height;
  pango_layout_get_pixel_size (layout, &text_width, &text_height);
  g_test_message ("summary %d × %d in %d × %d", text_width, text_height,
                  gtk_widget_get_width (GTK_WIDGET (label)), gtk_widget_get_height (GTK_WIDGET (label)));
  g_assert_false (pango_layout_is_ellipsized (layout));
  g_assert_cmpint (text_width, <=, gtk_widget_get_width (GTK_WIDGET (label)));
  g_assert_cmpint (text_height, <=, gtk_widget_get_height (GTK_WIDGET (label)));

  /* The softmax pair loss of an l2norm tower is named as the picture names it. */
  sf_model_view_set_showing_model (view, FALSE);
  sf_test_settle (window);
  g_assert_nonnull (strstr (sf_model_view_get_summary (view), "softmax pair loss"));
}

typedef struct
{
  char **paths;
  GError *error;
  gboolean done;
} Shots;

static void
shots_done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Shots *shots = data;

  shots->paths = sf_screenshots_take_finish (SF_WINDOW (source), result, &shots->error);
  shots->done = TRUE;
}

static gboolean
shots_done (gpointer data)
{
  return ((Shots *) data)->done;
}

/* Clearly blue pixels of a screenshot: in the Model view, the accent of the
 * input boxes and of a block's branch. */
static int
blue_pixels (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture = gdk_texture_new_from_filename (path, &error);
  int n = 0;

  g_assert_no_error (error);
  int width = gdk_texture_get_width (texture), height = gdk_texture_get_height (texture);
  g_autofree guint8 *data = g_malloc ((gsize) width * height * 4);
  gdk_texture_download (texture, data, (gsize) width * 4);
  for (gsize i = 0; i < (gsize) width * height; i++)
    {
      guint32 pixel;
      memcpy (&pixel, data + 4 * i, 4);
      int red = (pixel >> 16) & 0xff, blue = pixel & 0xff;
      if (blue > 150 && blue - red > 90)
        n++;
    }
  return n;
}

/* --screenshots' picture of a residual network for the README: the Model
 * view draws it from the training settings, which come back afterwards,
 * as does the model the view showed. */
static void
test_window_screenshot (void)
{
  g_autoptr (GSettings) settings = g_settings_new (SF_APPLICATION_ID);
  SfModelView *view = model_view ();
  g_autofree char *dir = g_build_filename (tmp_dir, "screenshots", NULL);
  Shots shots = { 0 };

  g_settings_set_string (settings, "train-preset", "article");
  sf_model_view_set_showing_model (view, TRUE);
  sf_test_settle (window);
  g_assert_true (sf_model_view_get_showing_model (view));
  const SfTower *model_tower = sf_model_view_get_tower (view);

  sf_screenshots_take_async (window, dir, NULL, shots_done_cb, &shots);
  sf_test_wait_until (shots_done, &shots, "the screenshots");
  g_assert_no_error (shots.error);
  guint n = g_strv_length (shots.paths);
  g_assert_cmpuint (n, >, 2);
  g_assert_true (g_str_has_suffix (shots.paths[n - 1], "/model-residual.png"));
  g_autofree char *model_png = g_build_filename (dir, "model.png", NULL);
  int residual_blue = blue_pixels (shots.paths[n - 1]), model_blue = blue_pixels (model_png);
  g_test_message ("blue pixels: %d in model-residual.png, %d in model.png", residual_blue, model_blue);
  g_assert_cmpint (residual_blue, >, model_blue + 300);
  g_strfreev (shots.paths);

  g_autofree char *preset = g_settings_get_string (settings, "train-preset");
  g_autofree char *spec = g_settings_get_string (settings, "train-spec");
  g_assert_cmpstr (preset, ==, "article");
  g_assert_cmpstr (spec, ==, SF_SPEC_ARTICLE);
  g_assert_true (sf_model_view_get_showing_model (view));
  g_assert_true (sf_model_view_get_tower (view) == model_tower);
}

int
main (int argc, char *argv[])
{
  gboolean display = sf_test_ui_init (&argc, &argv);

  tmp_dir = sf_test_make_tmp_dir ("sf-model-view-XXXXXX");

  g_test_add_func ("/model-view/draw", test_draw);
  g_test_add_func ("/model-view/natural-size", test_natural_size);
  g_test_add_func ("/model-view/counts", test_counts);
  g_test_add_func ("/model-view/layer-counts", test_layer_counts);
  g_test_add_func ("/model-view/blocks", test_blocks);
  g_test_add_func ("/model-view/export", test_export);
  if (display)
    {
      window = sf_test_open_window (&app);

      g_test_add_func ("/model-view/window/spec", test_window_spec);
      g_test_add_func ("/model-view/window/preset", test_window_preset);
      g_test_add_func ("/model-view/window/model", test_window_model);
      g_test_add_func ("/model-view/window/summary", test_window_summary);
      g_test_add_func ("/model-view/window/screenshot", test_window_screenshot);
    }
  else
    g_test_message ("no display: the window tests are skipped (run under xvfb-run)");

  int status = g_test_run ();

  if (display)
    sf_test_close_window (&app, &window);
  sf_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
