/* A model's tower (image → embedding) as an ONNX file for deployment tools
 * (OpenCV's dnn module, onnxruntime): the graph in inference mode, the
 * weights under their PyTorch names, and what a client needs besides (pixel
 * scaling, how to score two embeddings, the threshold) in its doc string and
 * metadata_props. The file is built with protobuf-c from the ONNX schema
 * Debian ships (libonnx-dev), opset SF_ONNX_OPSET. */
#pragma once

#include <glib.h>

#include "model.h"

G_BEGIN_DECLS

/* ONNX opset 13 (IR version 7): what onnx 1.12 checks and OpenCV 4.6 reads. */
#define SF_ONNX_OPSET 13
#define SF_ONNX_IR_VERSION 7
/* The graph's input, float32 N×1×H×W (N free, H = W = the input size), and
 * its output, float32 N×D. */
#define SF_ONNX_INPUT_NAME "image"
#define SF_ONNX_OUTPUT_NAME "embedding"

/* FALSE, with an SF_ERROR_UNSUPPORTED error naming the first layer (its
 * position, spec token and PyTorch class), when the tower has a layer the
 * export does not know; sf_onnx_export_serialize checks this first. */
gboolean  sf_onnx_export_check_tower (const SfTower *tower, GError **error);

/* The ONNX file's bytes. threshold: the model's "same person" threshold on
 * the head's score, recorded in the metadata (NaN: none). The bytes are
 * parsed back and checked (every node's inputs defined, every weight
 * identical to the model's) before they are returned. */
GBytes   *sf_onnx_export_serialize   (SfModel *model, float threshold, GError **error);

/* sf_onnx_export_serialize, then an atomic save to path (atomic-file.h):
 * on failure the file at path is as it was. */
gboolean  sf_onnx_export_save        (const char *path, SfModel *model, float threshold, GError **error);

G_END_DECLS
