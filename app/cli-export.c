/* siamese-faces-cli export-onnx: a model's tower as an ONNX file, for
 * OpenCV's dnn module, onnxruntime and other deployment tools. */
#include <glib.h>

#include "checkpoint.h"
#include "cli-common.h"
#include "onnx-export.h"

int
cli_run_export_onnx (int argc, char **argv)
{
  g_autofree char *output = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the tower (image → embedding) here", "FILE.onnx" },
    { NULL }
  };
  if (!cli_parse_options ("export-onnx", "MODEL -o FILE.onnx", entries, &argc, &argv))
    return 2;
  if (argc != 2 || output == NULL)
    {
      g_printerr ("siamese-faces-cli: export-onnx: give one MODEL file and -o FILE.onnx\n");
      return 2;
    }
  GError *error = NULL;
  g_autoptr (SfCheckpoint) checkpoint = sf_checkpoint_load (argv[1], &error);
  if (checkpoint == NULL || !sf_onnx_export_save (output, checkpoint->model, checkpoint->threshold, &error))
    {
      cli_fail_with (error);
      return 1;
    }
  int size = sf_model_get_input_size (checkpoint->model);
  g_print ("Wrote %s: ONNX opset %d, input “%s” float32 N×1×%d×%d, output “%s” float32 N×%d\n", output,
           SF_ONNX_OPSET, SF_ONNX_INPUT_NAME, size, size, SF_ONNX_OUTPUT_NAME,
           sf_model_get_embedding_size (checkpoint->model));
  return 0;
}
