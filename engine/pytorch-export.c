/* Filling in the PyTorch training program's template; see pytorch-export.h. */
#include "pytorch-export.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "checkpoint.h"
#include "json-limits.h"
#include "spec.h"
#include "sf-pytorch-resources.h"

#define TEMPLATE_PATH "/org/gnome/SiameseFaces/engine/pytorch/train.py"
#define SOURCE_MARK "# @SF_MODULE_SOURCE@\n"
#define CONFIG_MARK "@SF_CONFIG@"

/* text as a Python string literal: raw and triple-quoted when it can be
 * (JSON's own escapes stay readable), else escaped. */
static char *
python_literal (const char *text)
{
  if (strstr (text, "'''") == NULL && !g_str_has_suffix (text, "\\") && strchr (text, '\r') == NULL)
    return g_strdup_printf ("r'''%s'''", text);
  GString *s = g_string_new ("'");
  for (const char *c = text; *c != '\0'; c++)
    {
      if (*c == '\\' || *c == '\'')
        g_string_append_printf (s, "\\%c", *c);
      else if (*c == '\n')
        g_string_append (s, "\\n");
      else if ((guchar) *c < 0x20 || *c == 0x7f)
        g_string_append_printf (s, "\\x%02x", (guchar) *c);
      else
        g_string_append_c (s, *c);
    }
  g_string_append_c (s, '\'');
  return g_string_free (s, FALSE);
}

static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static void
add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

char *
sf_pytorch_program (SfModel *model, const SfTrainSettings *settings, GError **error)
{
  g_return_val_if_fail (model != NULL && settings != NULL, NULL);

  g_autoptr (GBytes) template =
    g_resource_lookup_data (sf_pytorch_get_resource (), TEMPLATE_PATH, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (template == NULL)
    return NULL;
  gsize size = 0;
  const char *text = g_bytes_get_data (template, &size);
  const char *source_at = strstr (text, SOURCE_MARK);
  const char *config_at = strstr (text, CONFIG_MARK);
  g_return_val_if_fail (source_at != NULL && config_at != NULL && source_at < config_at, NULL);

  /* The settings as the model file stores them, a member of the config. */
  g_autofree char *settings_json = sf_train_settings_to_json (settings);
  g_autoptr (JsonNode) settings_node = json_from_string (settings_json, error);
  if (settings_node == NULL)
    return NULL;
  const SfTower *tower = sf_model_get_tower (model);
  g_autofree char *python = sf_model_to_python (model);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, "format", SF_CHECKPOINT_FORMAT);
  add_string (b, "spec", sf_model_get_spec (model));
  add_string (b, "head", sf_head_kind_name (sf_model_get_head (model)));
  json_builder_set_member_name (b, "margin");
  json_builder_add_double_value (b, sf_model_get_margin (model));
  add_int (b, "input_size", sf_model_get_input_size (model));
  add_int (b, "embedding_size", sf_model_get_embedding_size (model));
  /* The softmax loss and the mirrored scores need embeddings on the unit sphere. */
  json_builder_set_member_name (b, "unit_sphere");
  json_builder_add_boolean_value (b, tower->ops[tower->n_ops - 1].kind == SF_OP_L2NORM);
  add_string (b, "pixel_scaling", SF_CHECKPOINT_PIXEL_SCALING);
  add_string (b, "pytorch", python);
  json_builder_set_member_name (b, "settings");
  json_builder_add_value (b, g_steal_pointer (&settings_node));
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree char *config = sf_json_to_string (root);
  g_autofree char *literal = python_literal (config);

  GString *program = g_string_sized_new (size + strlen (python) + strlen (literal));
  g_string_append_len (program, text, source_at - text);
  g_string_append (program, python);
  const char *after_source = source_at + strlen (SOURCE_MARK);
  g_string_append_len (program, after_source, config_at - after_source);
  g_string_append (program, literal);
  g_string_append (program, config_at + strlen (CONFIG_MARK));
  return g_string_free (program, FALSE);
}
