/* The network picture: boxes laid out top to bottom from a parsed SfTower,
 * measured with pango on the cairo context they are drawn on. */
#include "sf-network-diagram.h"

#include <locale.h>
#include <string.h>
#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "sf-chart-primitives.h"
#include "sf-drawing-file.h"
#include "trainer.h"

#define FONT_BODY "Sans 10"
#define FONT_TITLE "Sans Bold 10"
#define FONT_SMALL "Sans 9"
#define FONT_SMALL_BOLD "Sans Bold 9"

#define OUTER 24.0        /* around the whole picture */
#define PAD 10.0          /* inside a box */
#define CELL_GAP 20.0     /* between a box's left and right cells; the divider sits in the middle */
#define LABEL_GAP 6.0     /* "input:" to its shape */
#define LINE_GAP 2.0
#define ROW_GAP 26.0      /* between boxes: room for an arrow */
#define INPUT_GAP 48.0    /* between the two input boxes */
#define INPUT_ARROW 40.0  /* input boxes to the tower frame */
#define EMBED_ARROW 56.0  /* tower frame to the distance box */
#define FRAME_PAD 16.0
#define RADIUS 5.0
#define ARROW_HEAD 7.0
#define EXPORT_PNG_SCALE 2.0

typedef struct {
  char *title;
  char *detail;          /* may be NULL */
  char *labels[2];       /* "input:", "output:"; a NULL label ends the rows */
  char *values[2];
  char *counts[2];       /* a layer's "192 parameters" and "1.6 MFLOPs"; NULL for the other boxes */
  gboolean accent;
  double height;         /* set when measured */
} Box;

typedef struct {
  GPtrArray *layers;     /* Box *, one per spec token */
  Box *inputs[2];
  Box *distance;
  Box *head;
  Box *score;
  char *frame_title;
  char *embedding_labels[2];

  PangoLayout *layout;
  PangoFontDescription *fonts[4];  /* body, title, small, small bold */

  double body_h, title_h, small_h;
  /* The big boxes share their columns, so their dividers line up. */
  double left_w, label_w, value_w, count_w, box_w;
  double input_left_w, input_label_w, input_value_w, input_w;
  double box_h;
  double frame_title_w, frame_title_h, frame_w, frame_h;
  double embedding_w, embedding_x;
  double width, height;
} Diagram;

enum { FONT_INDEX_BODY, FONT_INDEX_TITLE, FONT_INDEX_SMALL, FONT_INDEX_SMALL_BOLD };

static void
box_free (gpointer data)
{
  Box *box = data;

  if (box == NULL)
    return;
  g_free (box->title);
  g_free (box->detail);
  for (int i = 0; i < 2; i++)
    {
      g_free (box->labels[i]);
      g_free (box->values[i]);
      g_free (box->counts[i]);
    }
  g_free (box);
}

static Box *
box_new (char *title, char *detail, const char *label0, char *value0, const char *label1, char *value1)
{
  Box *box = g_new0 (Box, 1);

  box->title = title;
  box->detail = detail;
  box->labels[0] = g_strdup (label0);
  box->values[0] = value0;
  box->labels[1] = g_strdup (label1);
  box->values[1] = value1;
  return box;
}

static char *
shape_text (const SfShape *shape)
{
  if (shape->flat)
    return g_strdup_printf ("(%d)", shape->c);
  return g_strdup_printf ("(%d, %d, %d)", shape->c, shape->h, shape->w);
}

gsize
sf_network_head_params (SfHeadKind head)
{
  /* sf_bce_head_forward: σ(w·d + b). The contrastive loss has no weights. */
  return head == SF_HEAD_BCE ? 2 : 0;
}

double
sf_network_pair_flops (const SfTower *tower)
{
  g_return_val_if_fail (tower != NULL, 0.0);

  return 2.0 * tower->flops;
}

int
sf_network_n_layers (const SfTower *tower)
{
  int n = 0;

  g_return_val_if_fail (tower != NULL, 0);

  for (int k = 0; k < tower->n_ops; k++)
    if (k == 0 || tower->ops[k].token != tower->ops[k - 1].token)
      n++;
  return n;
}

char *
sf_network_format_count (guint64 count)
{
  const char *separator = localeconv ()->thousands_sep;
  g_autofree char *digits = g_strdup_printf ("%" G_GUINT64_FORMAT, count);
  GString *s = g_string_new (NULL);
  gsize n = strlen (digits);

  if (separator == NULL || *separator == '\0')
    separator = ",";
  for (gsize i = 0; i < n; i++)
    {
      if (i > 0 && (n - i) % 3 == 0)
        g_string_append (s, separator);
      g_string_append_c (s, digits[i]);
    }
  return g_string_free (s, FALSE);
}

char *
sf_network_format_flops (double flops)
{
  if (flops >= 1e9)
    /* Translators: floating-point operations, e.g. "7.55 GFLOPs". */
    return g_strdup_printf (_("%.2f GFLOPs"), flops / 1e9);
  if (flops >= 1e6)
    return g_strdup_printf (_("%.1f MFLOPs"), flops / 1e6);
  if (flops >= 1e3)
    return g_strdup_printf (_("%.1f kFLOPs"), flops / 1e3);
  return g_strdup_printf (_("%.0f FLOPs"), flops);
}

/* What the ops of one token do, beyond their class names. */
static char *
layer_detail (const SfOp *ops, int n_ops)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  for (int i = 0; i < n_ops; i++)
    {
      const SfOp *op = &ops[i];

      switch (op->kind)
        {
        case SF_OP_CONV:
          g_ptr_array_add (parts, g_strdup_printf (ngettext ("%d filter %d×%d, same padding",
                                                             "%d filters %d×%d, same padding", op->units),
                                                   op->units, op->kernel, op->kernel));
          break;
        case SF_OP_DENSE:
          g_ptr_array_add (parts, g_strdup_printf (ngettext ("%d unit", "%d units", op->units), op->units));
          break;
        case SF_OP_MAXPOOL:
          /* Translators: a max-pooling window, e.g. "window 2×2". */
          g_ptr_array_add (parts, g_strdup_printf (_("window %d×%d"), op->kernel, op->kernel));
          break;
        case SF_OP_DROPOUT:
          /* Translators: a dropout rate, e.g. "rate 0.3". */
          g_ptr_array_add (parts, g_strdup_printf (_("rate %g"), (double) op->value));
          break;
        case SF_OP_LEAKY_RELU:
          /* Translators: the negative slope of LeakyReLU, e.g. "slope 0.01". */
          g_ptr_array_add (parts, g_strdup_printf (_("slope %g"), (double) op->value));
          break;
        case SF_OP_ELU:
          g_ptr_array_add (parts, g_strdup_printf ("α %g", (double) op->value));
          break;
        case SF_OP_AVGPOOL:
          g_ptr_array_add (parts, g_strdup (_("global average")));
          break;
        case SF_OP_BATCHNORM:
        case SF_OP_RELU:
        case SF_OP_FLATTEN:
        default:
          break;
        }
    }
  if (parts->len == 0)
    return NULL;
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **) parts->pdata);
}

/* The trainable parameters and forward FLOPs (per image) of the ops of one token. */
static void
layer_counts (Box *box, const SfOp *ops, int n_ops)
{
  gsize params = 0;
  double flops = 0;

  for (int i = 0; i < n_ops; i++)
    {
      params += ops[i].n_params;
      flops += ops[i].flops;
    }
  if (params > 0)
    {
      g_autofree char *count = sf_network_format_count (params);
      /* Translators: "11,712 parameters". */
      box->counts[0] = g_strdup_printf (ngettext ("%s parameter", "%s parameters", (gulong) params), count);
    }
  else
    box->counts[0] = g_strdup (_("no parameters"));
  box->counts[1] = sf_network_format_flops (flops);
}

static void
diagram_free (Diagram *d)
{
  g_ptr_array_unref (d->layers);
  box_free (d->inputs[0]);
  box_free (d->inputs[1]);
  box_free (d->distance);
  box_free (d->head);
  box_free (d->score);
  g_free (d->frame_title);
  g_free (d->embedding_labels[0]);
  g_free (d->embedding_labels[1]);
  g_clear_object (&d->layout);
  for (guint i = 0; i < G_N_ELEMENTS (d->fonts); i++)
    g_clear_pointer (&d->fonts[i], pango_font_description_free);
  g_free (d);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Diagram, diagram_free)

/* The boxes and their words, before any measuring. */
/* Towers ending in l2norm train with the softmax pair loss, not the contrastive one. */
static gboolean
ends_on_unit_sphere (const SfTower *tower)
{
  return tower->n_ops > 0 && tower->ops[tower->n_ops - 1].kind == SF_OP_L2NORM;
}

static Diagram *
diagram_build (const SfTower *tower, SfHeadKind head, double margin)
{
  Diagram *d = g_new0 (Diagram, 1);
  int size = tower->input_size;
  int embedding = tower->embedding_size;

  d->layers = g_ptr_array_new_with_free_func (box_free);
  for (int k = 0; k < tower->n_ops;)
    {
      int end = k + 1;
      while (end < tower->n_ops && tower->ops[end].token == tower->ops[k].token)
        end++;

      GString *title = g_string_new (NULL);
      for (int i = k; i < end; i++)
        {
          if (i > k)
            g_string_append (title, " + ");
          g_string_append (title, sf_op_torch_class (&tower->ops[i]));
        }
      Box *box = box_new (g_string_free (title, FALSE), layer_detail (&tower->ops[k], end - k),
                          _("input:"), shape_text (&tower->ops[k].in),
                          _("output:"), shape_text (&tower->ops[end - 1].out));
      layer_counts (box, &tower->ops[k], end - k);
      g_ptr_array_add (d->layers, box);
      k = end;
    }

  for (int i = 0; i < 2; i++)
    {
      d->inputs[i] = box_new (g_strdup (i == 0 ? _("Image A") : _("Image B")),
                              /* Translators: the network's input, e.g. "grey, 64 × 64 pixels". */
                              g_strdup_printf (_("grey, %d × %d pixels"), size, size),
                              _("output:"), g_strdup_printf ("(1, %d, %d)", size, size), NULL, NULL);
      d->inputs[i]->accent = TRUE;
      d->embedding_labels[i] = g_strdup_printf (i == 0 ? _("embedding A (%d)") : _("embedding B (%d)"), embedding);
    }

  d->distance = box_new (g_strdup (_("Euclidean distance")), g_strdup ("√max(Σ(a − b)², 10⁻⁷)"),
                         _("input:"), g_strdup_printf ("(%d), (%d)", embedding, embedding),
                         _("output:"), g_strdup ("(1)"));
  d->distance->accent = TRUE;

  if (head == SF_HEAD_BCE)
    {
      gsize params = sf_network_head_params (head);
      g_autofree char *count = sf_network_format_count (params);
      d->head = box_new (g_strdup (_("Dense(1, sigmoid)")),
                         /* Translators: the article's head, e.g. "binary cross-entropy · 2 parameters". */
                         g_strdup_printf (ngettext ("binary cross-entropy · %s parameter",
                                                    "binary cross-entropy · %s parameters", (gulong) params),
                                          count),
                         _("input:"), g_strdup ("(1)"), _("output:"), g_strdup ("(1)"));
    }
  else if (ends_on_unit_sphere (tower))
    {
      /* The trainer's choice for such towers (trainer.h: temperature). */
      d->head = box_new (g_strdup (_("Softmax pair loss")),
                         /* Translators: τ is the temperature, m the margin, d the distance. */
                         g_strdup_printf (_("every pair of a batch, τ = %g · score 1 / (1 + (2d/m)²), m = %g"),
                                          (double) SF_SOFTMAX_TEMPERATURE, margin),
                         _("input:"), g_strdup ("(1)"), _("output:"), g_strdup ("(1)"));
    }
  else
    {
      d->head = box_new (g_strdup (_("Contrastive loss")),
                         /* Translators: m is the margin, d the distance. */
                         g_strdup_printf (_("margin m = %g · score 1 / (1 + (2d/m)²)"), margin),
                         _("input:"), g_strdup ("(1)"), _("output:"), g_strdup ("(1)"));
    }
  d->head->accent = TRUE;

  d->score = box_new (g_strdup (_("Similarity score")), g_strdup (_("in [0, 1]; the same person at or above the threshold")),
                      _("output:"), g_strdup ("(1)"), NULL, NULL);
  d->score->accent = TRUE;
  d->frame_title = g_strdup (_("Tower · shared weights: the same layers embed image A and image B · "
                                "FLOPs per image"));
  return d;
}

static void
text_size (Diagram *d, int font, const char *text, double *width, double *height)
{
  int w = 0, h = 0;

  pango_layout_set_font_description (d->layout, d->fonts[font]);
  pango_layout_set_text (d->layout, text != NULL ? text : "", -1);
  pango_layout_get_pixel_size (d->layout, &w, &h);
  if (width != NULL)
    *width = w;
  if (height != NULL)
    *height = h;
}

static void
measure_box (Diagram *d, const Box *box, double *left_w, double *label_w, double *value_w, double *count_w)
{
  double w;

  text_size (d, FONT_INDEX_TITLE, box->title, &w, NULL);
  *left_w = MAX (*left_w, w);
  if (box->detail != NULL)
    {
      text_size (d, FONT_INDEX_SMALL, box->detail, &w, NULL);
      *left_w = MAX (*left_w, w);
    }
  for (int i = 0; i < 2 && box->labels[i] != NULL; i++)
    {
      text_size (d, FONT_INDEX_SMALL, box->labels[i], &w, NULL);
      *label_w = MAX (*label_w, w);
      text_size (d, FONT_INDEX_BODY, box->values[i], &w, NULL);
      *value_w = MAX (*value_w, w);
    }
  for (int i = 0; i < 2 && count_w != NULL && box->counts[i] != NULL; i++)
    {
      text_size (d, FONT_INDEX_SMALL, box->counts[i], &w, NULL);
      *count_w = MAX (*count_w, w);
    }
}

static double
box_width (double left_w, double label_w, double value_w, double count_w)
{
  return PAD + left_w + CELL_GAP + label_w + LABEL_GAP + value_w + (count_w > 0 ? CELL_GAP + count_w : 0)
         + PAD;
}

/* Measures everything with pango on cr and lays it out. */
static Diagram *
diagram_new (cairo_t *cr, const SfTower *tower, SfHeadKind head, double margin)
{
  Diagram *d = diagram_build (tower, head, margin);
  const char *fonts[] = { FONT_BODY, FONT_TITLE, FONT_SMALL, FONT_SMALL_BOLD };

  d->layout = pango_cairo_create_layout (cr);
  for (guint i = 0; i < G_N_ELEMENTS (fonts); i++)
    d->fonts[i] = pango_font_description_from_string (fonts[i]);

  text_size (d, FONT_INDEX_BODY, "(0)", NULL, &d->body_h);
  text_size (d, FONT_INDEX_TITLE, "Conv2d", NULL, &d->title_h);
  text_size (d, FONT_INDEX_SMALL, "input:", NULL, &d->small_h);

  for (guint i = 0; i < d->layers->len; i++)
    measure_box (d, g_ptr_array_index (d->layers, i), &d->left_w, &d->label_w, &d->value_w, &d->count_w);
  measure_box (d, d->distance, &d->left_w, &d->label_w, &d->value_w, &d->count_w);
  measure_box (d, d->head, &d->left_w, &d->label_w, &d->value_w, &d->count_w);
  measure_box (d, d->score, &d->left_w, &d->label_w, &d->value_w, &d->count_w);
  d->box_w = ceil (box_width (d->left_w, d->label_w, d->value_w, d->count_w));

  for (int i = 0; i < 2; i++)
    measure_box (d, d->inputs[i], &d->input_left_w, &d->input_label_w, &d->input_value_w, NULL);
  d->input_w = ceil (box_width (d->input_left_w, d->input_label_w, d->input_value_w, 0));

  double left_h = d->title_h + LINE_GAP + d->small_h;
  double right_h = 2 * MAX (d->body_h, d->small_h) + LINE_GAP;
  d->box_h = ceil (2 * PAD + MAX (left_h, right_h));
  for (int i = 0; i < 2; i++)
    d->inputs[i]->height = d->box_h;
  d->distance->height = d->head->height = d->score->height = d->box_h;

  text_size (d, FONT_INDEX_SMALL_BOLD, d->frame_title, &d->frame_title_w, &d->frame_title_h);
  double layers_h = 0;
  for (guint i = 0; i < d->layers->len; i++)
    {
      Box *box = g_ptr_array_index (d->layers, i);
      box->height = d->box_h;
      layers_h += (i > 0 ? ROW_GAP : 0) + box->height;
    }
  d->frame_w = ceil (MAX (d->box_w, d->frame_title_w) + 2 * FRAME_PAD);
  d->frame_h = ceil (FRAME_PAD + d->frame_title_h + 12 + layers_h + FRAME_PAD);

  double w0, w1;
  text_size (d, FONT_INDEX_SMALL, d->embedding_labels[0], &w0, NULL);
  text_size (d, FONT_INDEX_SMALL, d->embedding_labels[1], &w1, NULL);
  d->embedding_w = MAX (w0, w1);
  d->embedding_x = MAX (d->box_w / 4, 60);

  double half = MAX (d->frame_w / 2, d->box_w / 2);
  half = MAX (half, d->input_w + INPUT_GAP / 2);
  half = MAX (half, d->embedding_x + 8 + d->embedding_w);
  d->width = ceil (2 * (OUTER + half));
  d->height = ceil (OUTER + d->box_h + INPUT_ARROW + d->frame_h + EMBED_ARROW
                    + 3 * d->box_h + 2 * ROW_GAP + OUTER);
  return d;
}

void
sf_network_diagram_style_init_export (SfDiagramStyle *style)
{
  g_return_if_fail (style != NULL);

  style->foreground = (GdkRGBA) { 0.14, 0.12, 0.19, 1.0 };   /* GNOME's dark 4 #241f31 */
  style->background = (GdkRGBA) { 1.0, 1.0, 1.0, 1.0 };
  style->accent = (GdkRGBA) { 0.11, 0.44, 0.85, 1.0 };       /* blue 4 #1c71d8 */
}

void
sf_network_diagram_get_natural_size (const SfTower *tower, SfHeadKind head, double margin,
                                     int *width, int *height)
{
  g_return_if_fail (tower != NULL);

  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t *cr = cairo_create (surface);
  g_autoptr (Diagram) d = diagram_new (cr, tower, head, margin);

  /* A little slack: the screen's font options may round text a pixel wider. */
  if (width != NULL)
    *width = (int) d->width + 8;
  if (height != NULL)
    *height = (int) d->height;
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
}

static void
set_colour (cairo_t *cr, const GdkRGBA *colour, double alpha)
{
  cairo_set_source_rgba (cr, colour->red, colour->green, colour->blue, colour->alpha * alpha);
}

static void
show_text (cairo_t *cr, Diagram *d, int font, const char *text, double x, double y)
{
  pango_layout_set_font_description (d->layout, d->fonts[font]);
  pango_layout_set_text (d->layout, text, -1);
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, d->layout);
}

static void
draw_arrow (cairo_t *cr, const SfDiagramStyle *style, double x1, double y1, double x2, double y2)
{
  double dx = x2 - x1, dy = y2 - y1;
  double length = hypot (dx, dy);

  if (length < 1)
    return;
  dx /= length;
  dy /= length;
  set_colour (cr, &style->foreground, 0.6);
  cairo_set_line_width (cr, 1.25);
  cairo_move_to (cr, x1, y1);
  cairo_line_to (cr, x2 - dx * ARROW_HEAD * 0.8, y2 - dy * ARROW_HEAD * 0.8);
  cairo_stroke (cr);
  cairo_move_to (cr, x2, y2);
  cairo_line_to (cr, x2 - dx * ARROW_HEAD - dy * ARROW_HEAD * 0.45, y2 - dy * ARROW_HEAD + dx * ARROW_HEAD * 0.45);
  cairo_line_to (cr, x2 - dx * ARROW_HEAD + dy * ARROW_HEAD * 0.45, y2 - dy * ARROW_HEAD - dx * ARROW_HEAD * 0.45);
  cairo_close_path (cr);
  cairo_fill (cr);
}

/* A box at (x, y), w × box_h, with columns left_w and label_w. */
static void
draw_box (cairo_t *cr, Diagram *d, const SfDiagramStyle *style, const Box *box,
          double x, double y, double w, double left_w, double label_w, double value_w)
{
  double h = box->height;
  const GdkRGBA *tint = box->accent ? &style->accent : &style->foreground;

  x = round (x) + 0.5;
  y = round (y) + 0.5;
  sf_chart_rounded_rectangle (cr, x, y, w, h, RADIUS);
  if (style->background.alpha > 0)
    {
      set_colour (cr, &style->background, 1.0);
      cairo_fill_preserve (cr);
    }
  set_colour (cr, tint, box->accent ? 0.12 : 0.05);
  cairo_fill_preserve (cr);
  set_colour (cr, tint, box->accent ? 0.75 : 0.45);
  cairo_set_line_width (cr, 1.0);
  cairo_stroke (cr);

  double divider = round (x + PAD + left_w + CELL_GAP / 2);
  double count_divider = round (x + PAD + left_w + CELL_GAP + label_w + LABEL_GAP + value_w + CELL_GAP / 2);
  set_colour (cr, tint, 0.3);
  cairo_move_to (cr, divider, y + 6);
  cairo_line_to (cr, divider, y + h - 6);
  if (box->counts[0] != NULL)
    {
      cairo_move_to (cr, count_divider, y + 6);
      cairo_line_to (cr, count_divider, y + h - 6);
    }
  cairo_stroke (cr);

  /* Left: the type, then its settings, centred as a block. */
  double left_h = d->title_h + (box->detail != NULL ? LINE_GAP + d->small_h : 0);
  double ty = y + (h - left_h) / 2;
  set_colour (cr, &style->foreground, 1.0);
  show_text (cr, d, FONT_INDEX_TITLE, box->title, x + PAD, ty);
  if (box->detail != NULL)
    {
      set_colour (cr, &style->foreground, 0.7);
      show_text (cr, d, FONT_INDEX_SMALL, box->detail, x + PAD, ty + d->title_h + LINE_GAP);
    }

  /* Right: the shapes, "input:" and "output:" in a small table. */
  int rows = box->labels[1] != NULL ? 2 : 1;
  double row_h = MAX (d->body_h, d->small_h);
  double ry = y + (h - (rows * row_h + (rows - 1) * LINE_GAP)) / 2;
  double lx = x + PAD + left_w + CELL_GAP;
  for (int i = 0; i < rows; i++)
    {
      double yy = ry + i * (row_h + LINE_GAP);
      set_colour (cr, &style->foreground, 0.7);
      show_text (cr, d, FONT_INDEX_SMALL, box->labels[i], lx, yy + (row_h - d->small_h) / 2 + 1);
      set_colour (cr, &style->foreground, 1.0);
      show_text (cr, d, FONT_INDEX_BODY, box->values[i], lx + label_w + LABEL_GAP, yy + (row_h - d->body_h) / 2);
    }

  /* Far right: what the layer costs, right-aligned. */
  for (int i = 0; i < 2 && box->counts[i] != NULL; i++)
    {
      double cw, yy = ry + i * (row_h + LINE_GAP);
      text_size (d, FONT_INDEX_SMALL, box->counts[i], &cw, NULL);
      set_colour (cr, &style->foreground, 0.7);
      show_text (cr, d, FONT_INDEX_SMALL, box->counts[i], round (x + w - PAD - cw),
                 yy + (row_h - d->small_h) / 2 + 1);
    }
}

void
sf_network_diagram_draw (cairo_t *cr, double width, double height,
                         const SfTower *tower, SfHeadKind head, double margin,
                         const SfDiagramStyle *style)
{
  g_return_if_fail (cr != NULL);
  g_return_if_fail (tower != NULL);
  g_return_if_fail (style != NULL);

  cairo_save (cr);
  if (style->background.alpha > 0)
    {
      set_colour (cr, &style->background, 1.0);
      cairo_paint (cr);
    }

  g_autoptr (Diagram) d = diagram_new (cr, tower, head, margin);
  double cx = round (width / 2);
  double y = round (MAX (0, (height - d->height) / 2)) + OUTER;

  /* The two images, side by side. */
  double input_cx[2] = { cx - INPUT_GAP / 2 - d->input_w / 2, cx + INPUT_GAP / 2 + d->input_w / 2 };
  for (int i = 0; i < 2; i++)
    draw_box (cr, d, style, d->inputs[i], input_cx[i] - d->input_w / 2, y, d->input_w,
              d->input_left_w, d->input_label_w, d->input_value_w);
  y += d->box_h;

  /* Both feed the one tower. */
  double frame_x = cx - d->frame_w / 2;
  double frame_y = y + INPUT_ARROW;
  double reach = d->frame_w / 2 - 2 * RADIUS - 8;
  for (int i = 0; i < 2; i++)
    {
      double x_end = cx + CLAMP (input_cx[i] - cx, -reach, reach);
      draw_arrow (cr, style, input_cx[i], y + 2, x_end, frame_y);
    }

  sf_chart_rounded_rectangle (cr, round (frame_x) + 0.5, round (frame_y) + 0.5, d->frame_w, d->frame_h, 2 * RADIUS);
  set_colour (cr, &style->foreground, 0.025);
  cairo_fill_preserve (cr);
  double dashes[] = { 5.0, 4.0 };
  cairo_set_dash (cr, dashes, G_N_ELEMENTS (dashes), 0);
  set_colour (cr, &style->foreground, 0.45);
  cairo_set_line_width (cr, 1.0);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
  set_colour (cr, &style->foreground, 0.8);
  show_text (cr, d, FONT_INDEX_SMALL_BOLD, d->frame_title, round (cx - d->frame_title_w / 2), frame_y + FRAME_PAD);

  double box_x = cx - d->box_w / 2;
  y = frame_y + FRAME_PAD + d->frame_title_h + 12;
  for (guint i = 0; i < d->layers->len; i++)
    {
      if (i > 0)
        {
          draw_arrow (cr, style, cx, y - ROW_GAP + 2, cx, y);
        }
      const Box *box = g_ptr_array_index (d->layers, i);
      draw_box (cr, d, style, box, box_x, y, d->box_w, d->left_w, d->label_w, d->value_w);
      y += box->height + ROW_GAP;
    }

  /* Two embeddings out of the tower, into the distance. */
  double frame_bottom = frame_y + d->frame_h;
  double distance_y = frame_bottom + EMBED_ARROW;
  for (int i = 0; i < 2; i++)
    {
      double sign = i == 0 ? -1 : 1;
      double x_start = cx + sign * d->embedding_x;
      double label_w;

      draw_arrow (cr, style, x_start, frame_bottom + 2, cx + sign * 30, distance_y);
      text_size (d, FONT_INDEX_SMALL, d->embedding_labels[i], &label_w, NULL);
      set_colour (cr, &style->foreground, 0.75);
      show_text (cr, d, FONT_INDEX_SMALL, d->embedding_labels[i],
                 i == 0 ? round (x_start - 8 - label_w) : round (x_start + 8),
                 frame_bottom + (EMBED_ARROW - d->small_h) / 2 - 6);
    }

  /* Distance, head, score. */
  const Box *tail[] = { d->distance, d->head, d->score };
  y = distance_y;
  for (guint i = 0; i < G_N_ELEMENTS (tail); i++)
    {
      if (i > 0)
        draw_arrow (cr, style, cx, y - ROW_GAP + 2, cx, y);
      draw_box (cr, d, style, tail[i], box_x, y, d->box_w, d->left_w, d->label_w, d->value_w);
      y += tail[i]->height + ROW_GAP;
    }
  cairo_restore (cr);
}

const char *
sf_network_head_name (const SfTower *tower, SfHeadKind head)
{
  g_return_val_if_fail (tower != NULL, NULL);

  if (head == SF_HEAD_BCE)
    return _("binary cross-entropy head");
  return ends_on_unit_sphere (tower) ? _("softmax pair loss") : _("contrastive loss");
}

char *
sf_network_describe (const SfTower *tower, SfHeadKind head, double margin)
{
  g_return_val_if_fail (tower != NULL, NULL);

  int n = sf_network_n_layers (tower);
  g_autofree char *params = sf_network_format_count (tower->n_params + sf_network_head_params (head));
  g_autofree char *flops = sf_network_format_flops (sf_network_pair_flops (tower));
  g_autofree char *head_text = head == SF_HEAD_BCE
                               ? g_strdup (_("a Dense(1, sigmoid) head with binary cross-entropy"))
                               : ends_on_unit_sphere (tower)
                               ? g_strdup_printf (_("the softmax loss over every pair of a batch at temperature %g"),
                                                  (double) SF_SOFTMAX_TEMPERATURE)
                               : g_strdup_printf (_("the contrastive loss with margin %g"), margin);

  /* Translators: "Network: 12 layers, 2,036,930 parameters, 15.2 GFLOPs per pair, embedding size 128,
   * a Dense(1, sigmoid) head with binary cross-entropy." */
  return g_strdup_printf (ngettext ("Network: %d layer, %s parameters, %s per pair, embedding size %d, %s.",
                                    "Network: %d layers, %s parameters, %s per pair, embedding size %d, %s.", n),
                          n, params, flops, tower->embedding_size, head_text);
}

char *
sf_network_describe_layers (const SfTower *tower)
{
  g_return_val_if_fail (tower != NULL, NULL);

  g_autoptr (Diagram) d = diagram_build (tower, SF_HEAD_CONTRASTIVE, 1.0);
  GString *desc = g_string_new (NULL);

  for (guint i = 0; i < d->layers->len; i++)
    {
      const Box *box = g_ptr_array_index (d->layers, i);
      /* Translators: one layer of the picture's description, e.g. "3. MaxPool2d: window 2×2;
       * input: (16, 64, 64), output: (16, 32, 32); no parameters, 65.5 kFLOPs per image". */
      g_string_append_printf (desc, _("%u. %s%s%s; %s %s, %s %s; %s, %s per image"), i + 1, box->title,
                              box->detail != NULL ? ": " : "", box->detail != NULL ? box->detail : "",
                              box->labels[0], box->values[0], box->labels[1], box->values[1],
                              box->counts[0], box->counts[1]);
      g_string_append_c (desc, '\n');
    }
  return g_string_free (desc, FALSE);
}

/* The SVG's text is glyph outlines: its description lists every layer, to
 * make it searchable and give screen readers its content. */
static char *
describe_picture (const SfTower *tower, SfHeadKind head, double margin)
{
  g_autofree char *summary = sf_network_describe (tower, head, margin);
  g_autofree char *layers = sf_network_describe_layers (tower);

  return g_strdup_printf ("%s\n%s: %s\n%s", summary, _("Spec"), tower->spec, layers);
}

typedef struct
{
  const SfTower *tower;
  SfHeadKind head;
  double margin;
  SfDiagramStyle style;
} SaveData;

static void
save_draw (cairo_t *cr, double width, double height, gpointer data)
{
  SaveData *save = data;

  sf_network_diagram_draw (cr, width, height, save->tower, save->head, save->margin, &save->style);
}

gboolean
sf_network_diagram_save (const char *path, SfDiagramFormat format,
                         const SfTower *tower, SfHeadKind head, double margin,
                         GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (tower != NULL, FALSE);

  SaveData save = { .tower = tower, .head = head, .margin = margin };
  int width, height;

  sf_network_diagram_style_init_export (&save.style);
  sf_network_diagram_get_natural_size (tower, head, margin, &width, &height);
  g_autofree char *description = format == SF_DIAGRAM_SVG ? describe_picture (tower, head, margin) : NULL;
  SfDrawingFileOptions options = {
    format == SF_DIAGRAM_SVG ? SF_DRAWING_SVG : SF_DRAWING_PNG, width, height, EXPORT_PNG_SCALE,
    _("Siamese network"), description,
  };
  return sf_drawing_file_save (path, &options, save_draw, &save, error);
}
