/* The network picture: boxes laid out top to bottom from a parsed SfTower,
 * measured with pango on the cairo context they are drawn on. A residual or
 * squeeze-and-excitation block is one box whose lower part shows its inside:
 * its layers in a row, and below them the branch that joins them again (the
 * shortcut into the sum, or the attention that gates each channel). */
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
/* Inside a block */
#define BLOCK_TOP 10.0    /* the header's bottom to the layers' row */
#define LANE_GAP 12.0     /* the layers' row to the branch's */
#define STEP_GAP 24.0     /* between two steps: room for an arrow */
#define STEP_PAD 6.0      /* inside a step's frame */
#define STEP_HEAD 5.0
#define JOIN_R 8.0        /* the sum's or product's circle */
#define DOT_R 3.0

/* One step of a block's inside: layers run together ("Conv2d 3×3 · BatchNorm2d
 * · ReLU") in a frame, or a label of the branch. */
typedef struct {
  char *text;
  gboolean framed;
  double x, w;           /* from the block's split point; set when measured */
} Step;

typedef enum {
  JOIN_ADD,              /* a residual block's sum */
  JOIN_SCALE,            /* squeeze-and-excitation: each channel times its gate */
} JoinKind;

typedef struct {
  GPtrArray *main;       /* Step *: the block's layers, left to right */
  GPtrArray *branch;     /* Step *: the shortcut or the attention, a label first */
  JoinKind join;
  Step *after;           /* after the join (the residual block's ReLU), or NULL */
  double join_x, end_x;  /* set when measured */
} Block;

typedef struct {
  char *title;
  char *detail;          /* may be NULL */
  char *labels[2];       /* "input:", "output:"; a NULL label ends the rows */
  char *values[2];
  char *counts[2];       /* a layer's "192 parameters" and "1.6 MFLOPs"; NULL for the other boxes */
  Block *block;          /* a block's inside, drawn under the rest; NULL for other boxes */
  gboolean accent;
  double height;         /* set when measured */
  double x, y, width;    /* set when placed */
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
  double step_h;
  double embedding_w, embedding_x;
  double width, height;
  /* Where things are, once placed in a width × height area. */
  double cx, input_y, input_cx[2], frame_x, frame_y;
} Diagram;

enum { FONT_INDEX_BODY, FONT_INDEX_TITLE, FONT_INDEX_SMALL, FONT_INDEX_SMALL_BOLD };

static void
step_free (gpointer data)
{
  Step *step = data;

  if (step == NULL)
    return;
  g_free (step->text);
  g_free (step);
}

static Step *
step_new (char *text, gboolean framed)
{
  Step *step = g_new0 (Step, 1);

  step->text = text;
  step->framed = framed;
  return step;
}

static void
block_free (Block *block)
{
  if (block == NULL)
    return;
  g_ptr_array_unref (block->main);
  g_ptr_array_unref (block->branch);
  step_free (block->after);
  g_free (block);
}

static void
box_free (gpointer data)
{
  Box *box = data;

  if (box == NULL)
    return;
  block_free (box->block);
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
          if (op->stride > 1)
            /* Translators: a strided convolution, e.g. "32 filters 3×3, stride 2". */
            g_ptr_array_add (parts, g_strdup_printf (ngettext ("%d filter %d×%d, stride %d",
                                                               "%d filters %d×%d, stride %d", op->units),
                                                     op->units, op->kernel, op->kernel, op->stride));
          else
            g_ptr_array_add (parts, g_strdup_printf (ngettext ("%d filter %d×%d, same padding",
                                                               "%d filters %d×%d, same padding", op->units),
                                                     op->units, op->kernel, op->kernel));
          break;
        case SF_OP_RESIDUAL:
          if (op->stride > 1)
            /* Translators: a residual block, e.g. "residual · two 3×3 convolutions to 32 channels,
             * stride 2". */
            g_ptr_array_add (parts, g_strdup_printf (_("residual · two 3×3 convolutions to %d channels, "
                                                       "stride %d"), op->units, op->stride));
          else
            g_ptr_array_add (parts, g_strdup_printf (_("residual · two 3×3 convolutions to %d channels"),
                                                     op->units));
          break;
        case SF_OP_SEPARABLE:
          if (op->stride > 1)
            /* Translators: a depthwise separable convolution, e.g. "depthwise 3×3, stride 2 → pointwise
             * 1×1 to 64" (channels). */
            g_ptr_array_add (parts, g_strdup_printf (_("depthwise %d×%d, stride %d → pointwise 1×1 to %d"),
                                                     op->kernel, op->kernel, op->stride, op->units));
          else
            g_ptr_array_add (parts, g_strdup_printf (_("depthwise %d×%d → pointwise 1×1 to %d"),
                                                     op->kernel, op->kernel, op->units));
          /* Translators: what follows both convolutions of a depthwise separable one. */
          g_ptr_array_add (parts, g_strdup (_("each + BatchNorm2d + ReLU")));
          break;
        case SF_OP_SQUEEZE_EXCITE:
          /* Translators: squeeze-and-excitation, e.g. "channel attention · reduction 4: 64 → 16 → 64". */
          g_ptr_array_add (parts, g_strdup_printf (_("channel attention · reduction %g: %d → %d → %d"),
                                                   (double) op->value, op->in.c, op->units, op->in.c));
          break;
        case SF_OP_DENSE:
          g_ptr_array_add (parts, g_strdup_printf (ngettext ("%d unit", "%d units", op->units), op->units));
          break;
        case SF_OP_MAXPOOL:
        case SF_OP_AVGPOOL_WINDOW:
          /* Translators: a pooling window, e.g. "window 2×2". */
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

/* A block's part in a step's words: "Conv2d 3×3, stride 2", "Linear 64 → 16",
 * "mean over 8×8", "ReLU". */
static char *
part_text (const SfOpPart *part)
{
  switch (part->kind)
    {
    case SF_OP_CONV:
      if (part->groups > 1 && part->stride > 1)
        /* Translators: a depthwise convolution inside a block, e.g. "Conv2d 3×3 depthwise, stride 2". */
        return g_strdup_printf (_("Conv2d %d×%d depthwise, stride %d"), part->kernel, part->kernel,
                                part->stride);
      if (part->groups > 1)
        return g_strdup_printf (_("Conv2d %d×%d depthwise"), part->kernel, part->kernel);
      if (part->stride > 1)
        /* Translators: a convolution inside a block, e.g. "Conv2d 3×3, stride 2". */
        return g_strdup_printf (_("Conv2d %d×%d, stride %d"), part->kernel, part->kernel, part->stride);
      return g_strdup_printf ("Conv2d %d×%d", part->kernel, part->kernel);
    case SF_OP_DENSE:
      return g_strdup_printf ("Linear %d → %d", part->in.c, part->units);
    case SF_OP_AVGPOOL:
      /* Translators: squeeze-and-excitation's mean of each channel, e.g. "mean over 8×8". */
      return g_strdup_printf (_("mean over %d×%d"), part->in.h, part->in.w);
    default:
      return g_strdup (sf_op_part_torch_class (part));
    }
}

/* Adds a part to a row: a convolution, a linear layer or a mean starts a
 * step, batch norm and activations join the step before them. */
static void
add_part (GPtrArray *row, const SfOpPart *part)
{
  g_autofree char *text = part_text (part);
  Step *last = row->len > 0 ? g_ptr_array_index (row, row->len - 1) : NULL;
  gboolean starts = part->kind == SF_OP_CONV || part->kind == SF_OP_DENSE || part->kind == SF_OP_AVGPOOL;

  if (last == NULL || !last->framed || starts)
    {
      g_ptr_array_add (row, step_new (g_steal_pointer (&text), TRUE));
      return;
    }
  char *joined = g_strconcat (last->text, " · ", text, NULL);
  g_free (last->text);
  last->text = joined;
}

/* The inside of a residual or squeeze-and-excitation op, from the engine's
 * parts; NULL for other ops (a separable convolution is a chain, said in
 * words like a layer's). */
static Block *
block_new (const SfOp *op)
{
  if (op->kind != SF_OP_RESIDUAL && op->kind != SF_OP_SQUEEZE_EXCITE)
    return NULL;

  Block *block = g_new0 (Block, 1);
  g_autoptr (GPtrArray) tail = g_ptr_array_new_with_free_func (step_free);
  gboolean joined = FALSE;
  const char *label = op->kind == SF_OP_SQUEEZE_EXCITE ? _("channel attention")
                      : op->projection ? _("projection shortcut") : _("identity shortcut");

  block->main = g_ptr_array_new_with_free_func (step_free);
  block->branch = g_ptr_array_new_with_free_func (step_free);
  g_ptr_array_add (block->branch, step_new (g_strdup (label), FALSE));
  for (int i = 0; i < op->n_parts; i++)
    {
      const SfOpPart *part = &op->parts[i];

      if (part->kind == SF_OP_ADD || part->kind == SF_OP_SCALE)
        {
          block->join = part->kind == SF_OP_ADD ? JOIN_ADD : JOIN_SCALE;
          joined = TRUE;
        }
      else if (joined)
        add_part (tail, part);
      /* Squeeze-and-excitation's layers all make the gate: its branch. */
      else if (part->shortcut || op->kind == SF_OP_SQUEEZE_EXCITE)
        add_part (block->branch, part);
      else
        add_part (block->main, part);
    }
  if (tail->len > 0)
    block->after = g_ptr_array_steal_index (tail, 0);
  return block;
}

/* The inside in words, for descriptions: "Conv2d 3×3 · BatchNorm2d · ReLU →
 * Conv2d 3×3 · BatchNorm2d, + identity shortcut → ReLU". */
static char *
block_text (const Block *block)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < block->main->len; i++)
    {
      const Step *step = g_ptr_array_index (block->main, i);
      g_string_append_printf (text, "%s%s", i > 0 ? " → " : "", step->text);
    }
  if (text->len > 0)
    g_string_append (text, ", ");
  g_string_append (text, block->join == JOIN_ADD ? "+ " : "× ");
  for (guint i = 0; i < block->branch->len; i++)
    {
      const Step *step = g_ptr_array_index (block->branch, i);
      g_string_append_printf (text, "%s%s", i == 0 ? "" : i == 1 ? ": " : " → ", step->text);
    }
  if (block->after != NULL)
    g_string_append_printf (text, " → %s", block->after->text);
  return g_string_free (text, FALSE);
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
      /* A block is a token of its own. */
      if (end - k == 1)
        box->block = block_new (&tower->ops[k]);
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

/* The steps' widths and where they go, from the block's split point. */
static void
measure_block (Diagram *d, Block *block)
{
  double x = DOT_R + STEP_GAP;

  for (guint i = 0; i < block->main->len; i++)
    {
      Step *step = g_ptr_array_index (block->main, i);
      text_size (d, FONT_INDEX_SMALL, step->text, &step->w, NULL);
      step->w = ceil (step->w + 2 * STEP_PAD);
      step->x = x;
      x += step->w + STEP_GAP;
    }
  block->join_x = x + JOIN_R;

  /* The branch runs under the row: down from the split point, along, up into the join. */
  x = STEP_GAP / 2;
  for (guint i = 0; i < block->branch->len; i++)
    {
      Step *step = g_ptr_array_index (block->branch, i);
      text_size (d, FONT_INDEX_SMALL, step->text, &step->w, NULL);
      step->w = ceil (step->w + (step->framed ? 2 * STEP_PAD : 0));
      step->x = x;
      x += step->w + STEP_GAP;
    }
  block->join_x = MAX (block->join_x, x - STEP_GAP / 2);

  x = block->join_x + JOIN_R + STEP_GAP;
  if (block->after != NULL)
    {
      Step *step = block->after;
      text_size (d, FONT_INDEX_SMALL, step->text, &step->w, NULL);
      step->w = ceil (step->w + 2 * STEP_PAD);
      step->x = x;
      x += step->w + STEP_GAP;
    }
  block->end_x = x;
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
  d->step_h = ceil (d->small_h + 8);
  double layers_h = 0;
  for (guint i = 0; i < d->layers->len; i++)
    {
      Box *box = g_ptr_array_index (d->layers, i);
      box->height = d->box_h;
      if (box->block != NULL)
        {
          /* A wide inside widens every box, at its first column. */
          measure_block (d, box->block);
          double needed = ceil (box->block->end_x + DOT_R + 2 * PAD);
          if (needed > d->box_w)
            {
              d->left_w += needed - d->box_w;
              d->box_w = needed;
            }
          box->height += BLOCK_TOP + 2 * d->step_h + LANE_GAP + PAD;
        }
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

static void
place_box (Box *box, double x, double y, double width)
{
  box->x = x;
  box->y = y;
  box->width = width;
}

/* Where everything goes in a width × height area, the picture centred. */
static void
diagram_place (Diagram *d, double width, double height)
{
  double y = round (MAX (0, (height - d->height) / 2)) + OUTER;

  d->cx = round (width / 2);

  /* The two images, side by side. */
  d->input_y = y;
  d->input_cx[0] = d->cx - INPUT_GAP / 2 - d->input_w / 2;
  d->input_cx[1] = d->cx + INPUT_GAP / 2 + d->input_w / 2;
  for (int i = 0; i < 2; i++)
    place_box (d->inputs[i], d->input_cx[i] - d->input_w / 2, y, d->input_w);
  y += d->box_h;

  /* The tower, once. */
  d->frame_x = d->cx - d->frame_w / 2;
  d->frame_y = y + INPUT_ARROW;
  y = d->frame_y + FRAME_PAD + d->frame_title_h + 12;
  for (guint i = 0; i < d->layers->len; i++)
    {
      Box *box = g_ptr_array_index (d->layers, i);
      place_box (box, d->cx - d->box_w / 2, y, d->box_w);
      y += box->height + ROW_GAP;
    }

  /* Distance, head, score. */
  Box *tail[] = { d->distance, d->head, d->score };
  y = d->frame_y + d->frame_h + EMBED_ARROW;
  for (guint i = 0; i < G_N_ELEMENTS (tail); i++)
    {
      place_box (tail[i], d->cx - d->box_w / 2, y, d->box_w);
      y += tail[i]->height + ROW_GAP;
    }
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

/* A line from (x1, y1) with an arrowhead of `head` at (x2, y2); none when head is 0. */
static void
draw_line (cairo_t *cr, const GdkRGBA *colour, double alpha, double head,
           double x1, double y1, double x2, double y2)
{
  double dx = x2 - x1, dy = y2 - y1;
  double length = hypot (dx, dy);

  if (length < 1)
    return;
  dx /= length;
  dy /= length;
  set_colour (cr, colour, alpha);
  cairo_set_line_width (cr, 1.25);
  cairo_move_to (cr, x1, y1);
  cairo_line_to (cr, x2 - dx * head * 0.8, y2 - dy * head * 0.8);
  cairo_stroke (cr);
  if (head <= 0)
    return;
  cairo_move_to (cr, x2, y2);
  cairo_line_to (cr, x2 - dx * head - dy * head * 0.45, y2 - dy * head + dx * head * 0.45);
  cairo_line_to (cr, x2 - dx * head + dy * head * 0.45, y2 - dy * head - dx * head * 0.45);
  cairo_close_path (cr);
  cairo_fill (cr);
}

static void
draw_arrow (cairo_t *cr, const SfDiagramStyle *style, double x1, double y1, double x2, double y2)
{
  draw_line (cr, &style->foreground, 0.6, ARROW_HEAD, x1, y1, x2, y2);
}

/* A box at (x, y), w × box_h, with columns left_w and label_w. */
static void draw_block (cairo_t *cr, Diagram *d, const SfDiagramStyle *style, const Box *box);

/* A box, its columns left_w, label_w and value_w wide; the header is box_h
 * high, a block's inside below it. */
static void
draw_box (cairo_t *cr, Diagram *d, const SfDiagramStyle *style, const Box *box,
          double left_w, double label_w, double value_w)
{
  double h = d->box_h;
  double w = box->width;
  const GdkRGBA *tint = box->accent ? &style->accent : &style->foreground;
  double x = round (box->x) + 0.5;
  double y = round (box->y) + 0.5;

  sf_chart_rounded_rectangle (cr, x, y, w, box->height, RADIUS);
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

  if (box->block != NULL)
    draw_block (cr, d, style, box);
}

/* A step centred on the row at y: a frame tinted `tint`, or a label in it. */
static void
draw_step (cairo_t *cr, Diagram *d, const SfDiagramStyle *style, const GdkRGBA *tint, const Step *step,
           double x, double y)
{
  double top = round (y - d->step_h / 2);

  if (step->framed)
    {
      sf_chart_rounded_rectangle (cr, round (x) + 0.5, top + 0.5, step->w, d->step_h, 3.0);
      if (style->background.alpha > 0)
        {
          set_colour (cr, &style->background, 1.0);
          cairo_fill_preserve (cr);
        }
      set_colour (cr, tint, 0.08);
      cairo_fill_preserve (cr);
      set_colour (cr, tint, 0.6);
      cairo_set_line_width (cr, 1.0);
      cairo_stroke (cr);
      set_colour (cr, &style->foreground, 0.9);
      show_text (cr, d, FONT_INDEX_SMALL, step->text, round (x + STEP_PAD), round (y - d->small_h / 2));
    }
  else
    {
      set_colour (cr, tint, 1.0);
      show_text (cr, d, FONT_INDEX_SMALL, step->text, round (x), round (y - d->small_h / 2));
    }
}

/* The sum (+) or the channels' product (×) in a circle. */
static void
draw_join (cairo_t *cr, const SfDiagramStyle *style, JoinKind join, double x, double y)
{
  double r = JOIN_R * (join == JOIN_ADD ? 0.5 : 0.4);

  cairo_new_sub_path (cr);
  cairo_arc (cr, x, y, JOIN_R, 0, 2 * G_PI);
  if (style->background.alpha > 0)
    {
      set_colour (cr, &style->background, 1.0);
      cairo_fill_preserve (cr);
    }
  set_colour (cr, &style->foreground, 0.75);
  cairo_set_line_width (cr, 1.25);
  cairo_stroke (cr);
  if (join == JOIN_ADD)
    {
      cairo_move_to (cr, x - r, y);
      cairo_line_to (cr, x + r, y);
      cairo_move_to (cr, x, y - r);
      cairo_line_to (cr, x, y + r);
    }
  else
    {
      cairo_move_to (cr, x - r, y - r);
      cairo_line_to (cr, x + r, y + r);
      cairo_move_to (cr, x - r, y + r);
      cairo_line_to (cr, x + r, y - r);
    }
  cairo_stroke (cr);
}

/* A block's inside, under its header: from the split point the layers run
 * right into the join; the branch (accent) drops from the split point, runs
 * under them and rises into the join. */
static void
draw_block (cairo_t *cr, Diagram *d, const SfDiagramStyle *style, const Box *box)
{
  const Block *block = box->block;
  double x0 = round (box->x + (box->width - block->end_x) / 2);
  double row = round (box->y + d->box_h + BLOCK_TOP + d->step_h / 2) + 0.5;
  double lane = row + d->step_h + LANE_GAP;
  double join_x = x0 + block->join_x;
  const GdkRGBA *fg = &style->foreground;

  /* The header's words above, the inside below. */
  set_colour (cr, fg, 0.12);
  cairo_set_line_width (cr, 1.0);
  cairo_move_to (cr, round (box->x) + 6, round (box->y + d->box_h) + 0.5);
  cairo_line_to (cr, round (box->x + box->width) - 6, round (box->y + d->box_h) + 0.5);
  cairo_stroke (cr);

  set_colour (cr, fg, 0.7);
  cairo_arc (cr, x0, row, DOT_R, 0, 2 * G_PI);
  cairo_fill (cr);

  double from = x0 + DOT_R;
  for (guint i = 0; i < block->main->len; i++)
    {
      const Step *step = g_ptr_array_index (block->main, i);
      draw_line (cr, fg, 0.6, STEP_HEAD, from, row, x0 + step->x, row);
      draw_step (cr, d, style, fg, step, x0 + step->x, row);
      from = x0 + step->x + step->w;
    }
  draw_line (cr, fg, 0.6, STEP_HEAD, from, row, join_x - JOIN_R, row);

  from = x0;
  draw_line (cr, &style->accent, 0.9, 0, x0, row + DOT_R, x0, lane);
  for (guint i = 0; i < block->branch->len; i++)
    {
      const Step *step = g_ptr_array_index (block->branch, i);
      double gap = step->framed ? 0 : 4;
      draw_line (cr, &style->accent, 0.9, step->framed ? STEP_HEAD : 0, from, lane, x0 + step->x - gap, lane);
      draw_step (cr, d, style, &style->accent, step, x0 + step->x, lane);
      from = x0 + step->x + step->w + gap;
    }
  draw_line (cr, &style->accent, 0.9, 0, from, lane, join_x, lane);
  draw_line (cr, &style->accent, 0.9, STEP_HEAD, join_x, lane, join_x, row + JOIN_R);
  draw_join (cr, style, block->join, join_x, row);

  from = join_x + JOIN_R;
  if (block->after != NULL)
    {
      draw_line (cr, fg, 0.6, STEP_HEAD, from, row, x0 + block->after->x, row);
      draw_step (cr, d, style, fg, block->after, x0 + block->after->x, row);
      from = x0 + block->after->x + block->after->w;
    }
  draw_line (cr, fg, 0.6, STEP_HEAD, from, row, x0 + block->end_x, row);
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
  diagram_place (d, width, height);
  double cx = d->cx;

  /* The two images, both into the one tower. */
  for (int i = 0; i < 2; i++)
    draw_box (cr, d, style, d->inputs[i], d->input_left_w, d->input_label_w, d->input_value_w);
  double reach = d->frame_w / 2 - 2 * RADIUS - 8;
  for (int i = 0; i < 2; i++)
    {
      double x_end = cx + CLAMP (d->input_cx[i] - cx, -reach, reach);
      draw_arrow (cr, style, d->input_cx[i], d->input_y + d->box_h + 2, x_end, d->frame_y);
    }

  sf_chart_rounded_rectangle (cr, round (d->frame_x) + 0.5, round (d->frame_y) + 0.5, d->frame_w, d->frame_h,
                              2 * RADIUS);
  set_colour (cr, &style->foreground, 0.025);
  cairo_fill_preserve (cr);
  double dashes[] = { 5.0, 4.0 };
  cairo_set_dash (cr, dashes, G_N_ELEMENTS (dashes), 0);
  set_colour (cr, &style->foreground, 0.45);
  cairo_set_line_width (cr, 1.0);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
  set_colour (cr, &style->foreground, 0.8);
  show_text (cr, d, FONT_INDEX_SMALL_BOLD, d->frame_title, round (cx - d->frame_title_w / 2),
             d->frame_y + FRAME_PAD);

  for (guint i = 0; i < d->layers->len; i++)
    {
      const Box *box = g_ptr_array_index (d->layers, i);
      if (i > 0)
        draw_arrow (cr, style, cx, box->y - ROW_GAP + 2, cx, box->y);
      draw_box (cr, d, style, box, d->left_w, d->label_w, d->value_w);
    }

  /* Two embeddings out of the tower, into the distance. */
  double frame_bottom = d->frame_y + d->frame_h;
  for (int i = 0; i < 2; i++)
    {
      double sign = i == 0 ? -1 : 1;
      double x_start = cx + sign * d->embedding_x;
      double label_w;

      draw_arrow (cr, style, x_start, frame_bottom + 2, cx + sign * 30, d->distance->y);
      text_size (d, FONT_INDEX_SMALL, d->embedding_labels[i], &label_w, NULL);
      set_colour (cr, &style->foreground, 0.75);
      show_text (cr, d, FONT_INDEX_SMALL, d->embedding_labels[i],
                 i == 0 ? round (x_start - 8 - label_w) : round (x_start + 8),
                 frame_bottom + (EMBED_ARROW - d->small_h) / 2 - 6);
    }

  /* Distance, head, score. */
  const Box *tail[] = { d->distance, d->head, d->score };
  for (guint i = 0; i < G_N_ELEMENTS (tail); i++)
    {
      if (i > 0)
        draw_arrow (cr, style, cx, tail[i]->y - ROW_GAP + 2, cx, tail[i]->y);
      draw_box (cr, d, style, tail[i], d->left_w, d->label_w, d->value_w);
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

/* "3. MaxPool2d: window 2×2; input: (16, 64, 64), output: (16, 32, 32); no
 * parameters, 65.5 kFLOPs per image" (a block's inside in brackets after its
 * settings). */
static char *
layer_line (const Box *box, guint number)
{
  g_autofree char *inside = box->block != NULL ? block_text (box->block) : NULL;
  g_autofree char *detail = inside != NULL ? g_strdup_printf ("%s (%s)", box->detail, inside)
                                           : g_strdup (box->detail);

  /* Translators: one layer of the picture's description, e.g. "3. MaxPool2d: window 2×2;
   * input: (16, 64, 64), output: (16, 32, 32); no parameters, 65.5 kFLOPs per image". */
  return g_strdup_printf (_("%u. %s%s%s; %s %s, %s %s; %s, %s per image"), number, box->title,
                          detail != NULL ? ": " : "", detail != NULL ? detail : "",
                          box->labels[0], box->values[0], box->labels[1], box->values[1],
                          box->counts[0], box->counts[1]);
}

char *
sf_network_describe_layers (const SfTower *tower)
{
  g_return_val_if_fail (tower != NULL, NULL);

  g_autoptr (Diagram) d = diagram_build (tower, SF_HEAD_CONTRASTIVE, 1.0);
  GString *desc = g_string_new (NULL);

  for (guint i = 0; i < d->layers->len; i++)
    {
      g_autofree char *line = layer_line (g_ptr_array_index (d->layers, i), i + 1);
      g_string_append (desc, line);
      g_string_append_c (desc, '\n');
    }
  return g_string_free (desc, FALSE);
}

/* "  tower.4.conv1 Conv2d 3×3: 2,304 parameters, 4.7 MFLOPs" */
static void
append_module (GString *text, const char *name, const char *what, gsize params, double flops)
{
  g_autofree char *count = sf_network_format_count (params);
  g_autofree char *flops_text = sf_network_format_flops (flops);

  g_string_append_printf (text, "\n  %s%s%s: ", name != NULL ? name : "", name != NULL ? " " : "", what);
  if (params > 0)
    /* Translators: a module's cost in a layer's tooltip, e.g. "2,304 parameters, 4.7 MFLOPs". */
    g_string_append_printf (text, ngettext ("%s parameter, %s", "%s parameters, %s", (gulong) params), count,
                            flops_text);
  else
    g_string_append (text, flops_text);
}

char *
sf_network_describe_layer (const SfTower *tower, int layer)
{
  g_return_val_if_fail (tower != NULL, NULL);

  g_autoptr (Diagram) d = diagram_build (tower, SF_HEAD_CONTRASTIVE, 1.0);
  if (layer < 0 || layer >= (int) d->layers->len)
    return NULL;

  g_autofree char *line = layer_line (g_ptr_array_index (d->layers, layer), layer + 1);
  GString *text = g_string_new (line);
  for (int k = 0, token = -1, n = -1; k < tower->n_ops; k++)
    {
      const SfOp *op = &tower->ops[k];

      if (op->token != token)
        {
          token = op->token;
          n++;
        }
      if (n != layer)
        continue;
      /* The names its tensors have in a model file, and what each module does. */
      g_autofree char *index = g_strdup_printf ("tower.%d", k);
      if (op->n_parts == 0)
        {
          g_autofree char *python = sf_op_to_python (op);
          append_module (text, index, python, op->n_params, op->flops);
        }
      for (int i = 0; i < op->n_parts; i++)
        {
          const SfOpPart *part = &op->parts[i];
          g_autofree char *name = part->name != NULL ? g_strdup_printf ("%s.%s", index, part->name) : NULL;
          g_autofree char *what = part_text (part);
          append_module (text, name, what, part->n_params, part->flops);
        }
    }
  return g_string_free (text, FALSE);
}

int
sf_network_diagram_layer_at (const SfTower *tower, SfHeadKind head, double margin,
                             double width, double height, double x, double y)
{
  g_return_val_if_fail (tower != NULL, -1);

  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t *cr = cairo_create (surface);
  g_autoptr (Diagram) d = diagram_new (cr, tower, head, margin);
  int found = -1;

  diagram_place (d, width, height);
  for (guint i = 0; i < d->layers->len && found < 0; i++)
    {
      const Box *box = g_ptr_array_index (d->layers, i);
      if (x >= box->x && x < box->x + box->width && y >= box->y && y < box->y + box->height)
        found = (int) i;
    }
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  return found;
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
