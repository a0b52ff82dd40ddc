/* The network picture, like Keras' plot_model(show_shapes=True): the two
 * input images, the tower drawn once with "shared weights" (one box per spec
 * token: type, settings, input and output shapes, parameters and FLOPs, all from the
 * engine's parsed SfTower; a residual or squeeze-and-excitation block shows
 * its inside with the shortcut or the attention branch), the distance, the
 * head and the score. Pure cairo and pango, so the screen, a PNG and an SVG
 * show the same picture. */
#pragma once

#include <gtk/gtk.h>

#include "model.h"

G_BEGIN_DECLS

typedef struct {
  GdkRGBA foreground;   /* text and lines */
  GdkRGBA background;   /* painted first, unless fully transparent */
  GdkRGBA accent;       /* the inputs, the distance, the head and the score */
} SfDiagramStyle;

typedef enum {
  SF_DIAGRAM_PNG,
  SF_DIAGRAM_SVG,
} SfDiagramFormat;

/* Dark on white: what exports use. */
void      sf_network_diagram_style_init_export (SfDiagramStyle *style);

/* The size the picture wants, in pixels at scale 1. */
void      sf_network_diagram_get_natural_size  (const SfTower *tower, SfHeadKind head, double margin,
                                                int *width, int *height);
/* Draws the picture centred in width × height (user units of cr). */
void      sf_network_diagram_draw              (cairo_t *cr, double width, double height,
                                                const SfTower *tower, SfHeadKind head, double margin,
                                                const SfDiagramStyle *style);
/* The layer whose box is at (x, y) of the picture drawn in width × height
 * (a box per spec token, counted from 0), or -1. */
int       sf_network_diagram_layer_at          (const SfTower *tower, SfHeadKind head, double margin,
                                                double width, double height, double x, double y);
/* Writes the picture in the export style, atomically (a temporary file
 * beside path, renamed over it when complete). PNG at twice the natural
 * size; the SVG carries a <title> and a <desc> listing the layers. */
gboolean  sf_network_diagram_save              (const char *path, SfDiagramFormat format,
                                                const SfTower *tower, SfHeadKind head, double margin,
                                                GError **error);

/* Trainable parameters of the head: bce's Dense(1) has a weight and a bias. */
gsize     sf_network_head_params               (SfHeadKind head);
/* Forward FLOPs of one pair: the tower on both images. */
double    sf_network_pair_flops                (const SfTower *tower);
/* The layers as boxes count them: one per spec token. */
int       sf_network_n_layers                  (const SfTower *tower);
/* "2,036,930" with the locale's grouping (a comma where it has none). */
char     *sf_network_format_count              (guint64 count);
/* "7.55 GFLOPs" */
char     *sf_network_format_flops              (double flops);
/* What the score is trained with, as the picture's head box says:
 * "binary cross-entropy head", "softmax pair loss" or "contrastive loss". */
const char *sf_network_head_name               (const SfTower *tower, SfHeadKind head);
/* One sentence for screen readers: "Siamese network: 12 layers, 2,036,930 parameters, …". */
char     *sf_network_describe                  (const SfTower *tower, SfHeadKind head, double margin);
/* What the tower's boxes say, one numbered line per layer: type, settings,
 * shapes, parameters and FLOPs (the SVG's description, the drawing's
 * accessible description). */
char     *sf_network_describe_layers           (const SfTower *tower);
/* One of those lines (layer counted from 0), then a line per module: its
 * tensors' name in a model file and what it is, with its parameters and
 * FLOPs ("tower.4.conv1 Conv2d 3×3: 2,304 parameters, 4.7 MFLOPs"). NULL past
 * the last layer. */
char     *sf_network_describe_layer            (const SfTower *tower, int layer);

G_END_DECLS
