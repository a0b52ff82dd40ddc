/* Planning a sweep: settings varied through their JSON members, so any
 * setting a checkpoint stores can be swept, with its type checked; see sweep.h. */
#include "sweep.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json-limits.h"
#include "rng.h"

#define MAX_PLANNED_RUNS 100000

typedef struct {
  char *name;            /* member of the settings JSON */
  GType type;            /* G_TYPE_DOUBLE, G_TYPE_INT64, G_TYPE_BOOLEAN or G_TYPE_STRING */
  GPtrArray *values;     /* JsonNode, for a list */
  gboolean is_range;
  double lo, hi;
  gboolean log;
} Dimension;

struct _SfSweep {
  char *base_json;
  GPtrArray *dimensions; /* Dimension */
  GArray *seeds;         /* guint64 */
  int n_random;
  guint64 random_seed;
};

static void
dimension_free (Dimension *d)
{
  g_free (d->name);
  if (d->values != NULL)
    g_ptr_array_unref (d->values);
  g_free (d);
}

SfSweep *
sf_sweep_new (const SfTrainSettings *base)
{
  SfSweep *sweep = g_new0 (SfSweep, 1);
  sweep->base_json = sf_train_settings_to_json (base);
  sweep->dimensions = g_ptr_array_new_with_free_func ((GDestroyNotify) dimension_free);
  sweep->seeds = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_array_append_val (sweep->seeds, base->seed);
  return sweep;
}

void
sf_sweep_free (SfSweep *sweep)
{
  if (sweep == NULL)
    return;
  g_free (sweep->base_json);
  g_ptr_array_unref (sweep->dimensions);
  g_array_unref (sweep->seeds);
  g_free (sweep);
}

static JsonObject *
base_object (SfSweep *sweep, JsonNode **root)
{
  *root = json_from_string (sweep->base_json, NULL);
  return json_node_get_object (*root);
}

/* Splits "NAME=REST", resolves NAME to a settings member and its type. */
static Dimension *
dimension_new (SfSweep *sweep, const char *spec, const char **rest, GError **error)
{
  const char *equals = strchr (spec, '=');
  if (equals == NULL || equals == spec || equals[1] == '\0')
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("'%s': expected NAME=VALUES"), spec);
      return NULL;
    }
  g_autofree char *name = g_strndup (spec, equals - spec);
  g_strdelimit (name, "-", '_');
  if (strcmp (name, "lr") == 0 || strcmp (name, "batch") == 0)
    {
      g_free (name);
      name = g_strdup (spec[0] == 'l' ? "learning_rate" : "batch_size");
    }
  if (strcmp (name, "seed") == 0)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("'%s': give the seeds with --seeds"), spec);
      return NULL;
    }
  for (guint k = 0; k < sweep->dimensions->len; k++)
    if (strcmp (((Dimension *) sweep->dimensions->pdata[k])->name, name) == 0)
      {
        g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("'%s': %s is already varied"), spec, name);
        return NULL;
      }
  g_autoptr (JsonNode) root = NULL;
  JsonObject *base = base_object (sweep, &root);
  JsonNode *member = json_object_get_member (base, name);
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member))
    {
      g_autoptr (GList) names = json_object_get_members (base);
      GString *known = g_string_new (NULL);
      for (GList *m = names; m != NULL; m = m->next)
        if (strcmp (m->data, "seed") != 0)
          g_string_append_printf (known, "%s%s", known->len > 0 ? ", " : "", (const char *) m->data);
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("'%s': no setting '%s' (settings: %s)"), spec, name,
                   known->str);
      g_string_free (known, TRUE);
      return NULL;
    }
  Dimension *d = g_new0 (Dimension, 1);
  d->name = g_steal_pointer (&name);
  d->type = json_node_get_value_type (member);
  *rest = equals + 1;
  return d;
}

static JsonNode *
parse_value (const Dimension *d, const char *text, GError **error)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);
  if (d->type == G_TYPE_STRING)
    json_node_set_string (node, text);
  else if (d->type == G_TYPE_BOOLEAN && (strcmp (text, "true") == 0 || strcmp (text, "false") == 0))
    json_node_set_boolean (node, strcmp (text, "true") == 0);
  else if (d->type == G_TYPE_INT64 && g_ascii_string_to_signed (text, 10, G_MININT32, G_MAXINT32, NULL, NULL))
    json_node_set_int (node, g_ascii_strtoll (text, NULL, 10));
  else if (d->type == G_TYPE_DOUBLE)
    {
      char *end = NULL;
      double value = g_ascii_strtod (text, &end);
      if (end == text || *end != '\0' || !isfinite (value))
        goto bad;
      json_node_set_double (node, value);
    }
  else
    goto bad;
  return node;
bad:
  json_node_unref (node);
  g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("%s: '%s' is not %s"), d->name, text,
               d->type == G_TYPE_BOOLEAN ? _("true or false") : d->type == G_TYPE_INT64 ? _("an integer")
                                                                                       : _("a number"));
  return NULL;
}

gboolean
sf_sweep_add_grid (SfSweep *sweep, const char *spec, GError **error)
{
  const char *rest = NULL;
  Dimension *d = dimension_new (sweep, spec, &rest, error);
  if (d == NULL)
    return FALSE;
  d->values = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_auto (GStrv) items = g_strsplit (rest, ",", -1);
  for (char **item = items; *item != NULL; item++)
    {
      JsonNode *node = parse_value (d, *item, error);
      if (node == NULL)
        {
          dimension_free (d);
          return FALSE;
        }
      g_ptr_array_add (d->values, node);
    }
  g_ptr_array_add (sweep->dimensions, d);
  return TRUE;
}

gboolean
sf_sweep_add_range (SfSweep *sweep, const char *spec, GError **error)
{
  const char *rest = NULL;
  Dimension *d = dimension_new (sweep, spec, &rest, error);
  if (d == NULL)
    return FALSE;
  g_auto (GStrv) parts = g_strsplit (rest, ":", -1);
  guint n = g_strv_length (parts);
  char *end_lo = NULL, *end_hi = NULL;
  if (n >= 2)
    {
      d->lo = g_ascii_strtod (parts[0], &end_lo);
      d->hi = g_ascii_strtod (parts[1], &end_hi);
    }
  d->log = n == 3 && strcmp (parts[2], "log") == 0;
  gboolean numeric = d->type == G_TYPE_DOUBLE || d->type == G_TYPE_INT64;
  if (!numeric || (n != 2 && !d->log) || end_lo == parts[0] || *end_lo != '\0' || end_hi == parts[1]
      || *end_hi != '\0' || !isfinite (d->lo) || !isfinite (d->hi) || d->lo > d->hi || (d->log && d->lo <= 0))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID,
                   _("'%s': expected NAME=LO:HI or NAME=LO:HI:log (LO > 0) for a numeric setting"), spec);
      dimension_free (d);
      return FALSE;
    }
  d->is_range = TRUE;
  g_ptr_array_add (sweep->dimensions, d);
  return TRUE;
}

gboolean
sf_sweep_set_seeds (SfSweep *sweep, const char *spec, GError **error)
{
  g_autoptr (GArray) seeds = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_auto (GStrv) items = g_strsplit (spec, ",", -1);
  for (char **item = items; *item != NULL; item++)
    {
      guint64 lo = 0, hi = 0;
      char *dash = strchr (*item, '-');
      if (dash != NULL)
        *dash = '\0';
      gboolean ok = g_ascii_string_to_unsigned (*item, 10, 0, G_MAXINT64, &lo, NULL)
                    && (dash == NULL ? (hi = lo, TRUE)
                                     : g_ascii_string_to_unsigned (dash + 1, 10, 0, G_MAXINT64, &hi, NULL))
                    && hi >= lo && hi - lo < MAX_PLANNED_RUNS;
      if (!ok || seeds->len + (hi - lo) >= MAX_PLANNED_RUNS)
        {
          g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("seeds '%s': expected e.g. 0-4 or 0,3,7"), spec);
          return FALSE;
        }
      for (guint64 s = lo; s <= hi; s++)
        g_array_append_val (seeds, s);
    }
  if (seeds->len == 0)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("seeds '%s': expected e.g. 0-4 or 0,3,7"), spec);
      return FALSE;
    }
  g_array_unref (sweep->seeds);
  sweep->seeds = g_steal_pointer (&seeds);
  return TRUE;
}

void
sf_sweep_set_random (SfSweep *sweep, int n, guint64 seed)
{
  sweep->n_random = MAX (n, 0);
  sweep->random_seed = seed;
}

static void
clear_settings (gpointer data)
{
  sf_train_settings_clear (data);
}

/* One planned run: base with choice[k] of every dimension (a node for each). */
static gboolean
add_run (SfSweep *sweep, JsonNode **choice, guint64 seed, GArray *runs, GError **error)
{
  g_autoptr (JsonNode) root = NULL;
  JsonObject *o = base_object (sweep, &root);
  for (guint k = 0; k < sweep->dimensions->len; k++)
    json_object_set_member (o, ((Dimension *) sweep->dimensions->pdata[k])->name, json_node_copy (choice[k]));
  json_object_set_int_member (o, "seed", (gint64) seed);
  g_autofree char *json = sf_json_to_string (root);
  SfTrainSettings settings = { 0 };
  if (!sf_train_settings_from_json (&settings, json, error) || !sf_train_settings_validate (&settings, error))
    {
      sf_train_settings_clear (&settings);
      return FALSE;
    }
  g_array_append_val (runs, settings);
  return TRUE;
}

static JsonNode *
draw (const Dimension *d, SfRng *rng)
{
  if (!d->is_range)
    return json_node_ref (d->values->pdata[sf_rng_below (rng, d->values->len)]);
  double u = sf_rng_uniform (rng);
  double value = d->log ? exp (log (d->lo) + u * (log (d->hi) - log (d->lo))) : d->lo + u * (d->hi - d->lo);
  JsonNode *node = json_node_new (JSON_NODE_VALUE);
  if (d->type == G_TYPE_INT64)
    json_node_set_int (node, (gint64) llround (value));
  else
    /* Four significant digits: a table of runs stays readable. */
    {
      char buffer[G_ASCII_DTOSTR_BUF_SIZE];
      json_node_set_double (node, g_ascii_strtod (g_ascii_formatd (buffer, sizeof buffer, "%.4g", value), NULL));
    }
  return node;
}

GArray *
sf_sweep_expand (SfSweep *sweep, int *n_combinations, GError **error)
{
  guint n_dims = sweep->dimensions->len;
  g_autoptr (GArray) runs = g_array_new (FALSE, TRUE, sizeof (SfTrainSettings));
  g_array_set_clear_func (runs, clear_settings);
  g_autofree JsonNode **choice = g_new0 (JsonNode *, MAX (n_dims, 1));
  guint64 n_combos = 1;
  if (sweep->n_random > 0)
    n_combos = (guint64) sweep->n_random;
  else
    for (guint k = 0; k < n_dims; k++)
      {
        Dimension *d = sweep->dimensions->pdata[k];
        if (d->is_range)
          {
            g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("%s: a range needs a random search (--random N)"),
                         d->name);
            return NULL;
          }
        n_combos *= d->values->len;
        if (n_combos > MAX_PLANNED_RUNS)
          break;
      }
  if (n_combos * sweep->seeds->len > MAX_PLANNED_RUNS)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("more than %d runs planned"), MAX_PLANNED_RUNS);
      return NULL;
    }
  SfRng rng;
  sf_rng_seed (&rng, sweep->random_seed);
  for (guint64 c = 0; c < n_combos; c++)
    {
      /* The grid's combination c counts in mixed radix, the last dimension fastest. */
      guint64 rest = c;
      for (guint k = n_dims; k-- > 0;)
        {
          Dimension *d = sweep->dimensions->pdata[k];
          if (sweep->n_random > 0)
            choice[k] = NULL;
          else
            {
              choice[k] = json_node_ref (d->values->pdata[rest % d->values->len]);
              rest /= d->values->len;
            }
        }
      for (guint k = 0; k < n_dims && sweep->n_random > 0; k++)
        choice[k] = draw (sweep->dimensions->pdata[k], &rng);
      gboolean ok = TRUE;
      for (guint s = 0; s < sweep->seeds->len && ok; s++)
        ok = add_run (sweep, choice, g_array_index (sweep->seeds, guint64, s), runs, error);
      for (guint k = 0; k < n_dims; k++)
        json_node_unref (choice[k]);
      if (!ok)
        return NULL;
    }
  *n_combinations = (int) n_combos;
  return g_steal_pointer (&runs);
}

GHashTable *
sf_sweep_finished_keys (SfRunStore *store, GError **error)
{
  g_autoptr (GPtrArray) runs = sf_run_store_list (store, NULL, error);
  if (runs == NULL)
    return NULL;
  GHashTable *keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint k = 0; k < runs->len; k++)
    {
      SfRun *run = runs->pdata[k];
      if (run->status == SF_RUN_FINISHED)
        g_hash_table_add (keys, g_strdup (run->key));
    }
  return keys;
}

typedef struct {
  SfTrainCallback callback;
  gpointer user_data;
  gboolean cancelled;        /* the trainer said it stopped */
} RunWatch;

static void
watch_cb (const SfTrainEvent *event, gpointer data)
{
  RunWatch *watch = data;
  if (event->kind == SF_TRAIN_EVENT_CANCELLED)
    watch->cancelled = TRUE;
  if (watch->callback != NULL)
    watch->callback (event, watch->user_data);
}

static void
cancel_trainer_cb (GCancellable *cancellable, gpointer trainer)
{
  sf_trainer_cancel (trainer);
}

SfRun *
sf_sweep_train_run (SfRunStore *store, const SfDataset *dataset, const SfTrainSettings *settings, gboolean rank1,
                    SfTrainCallback callback, gpointer user_data, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (store != NULL && dataset != NULL && settings != NULL, NULL);

  gint64 start = g_get_monotonic_time ();
  GError *local = NULL;
  g_autoptr (SfTrainer) trainer = sf_trainer_new (dataset, settings, &local);
  if (trainer == NULL)
    {
      g_autofree char *fingerprint = sf_dataset_fingerprint (dataset);
      SfRun *run = sf_run_store_record_failure (store, settings, fingerprint, dataset->source, local->message,
                                                (g_get_monotonic_time () - start) / 1e6, error);
      g_error_free (local);
      return run;
    }
  RunWatch watch = { callback, user_data, FALSE };
  /* Cancelled already, the trainer stops before its first batch. */
  gulong handler = cancellable != NULL ? g_cancellable_connect (cancellable, G_CALLBACK (cancel_trainer_cb),
                                                                trainer, NULL)
                                       : 0;
  gboolean ok = sf_trainer_run (trainer, watch_cb, &watch, &local);
  g_cancellable_disconnect (cancellable, handler);
  double seconds = (g_get_monotonic_time () - start) / 1e6;
  SfRunStatus status = !ok ? SF_RUN_FAILED : watch.cancelled ? SF_RUN_STOPPED : SF_RUN_FINISHED;
  SfRun *run = sf_run_store_record (store, trainer, dataset, status, ok ? NULL : local->message, seconds, NULL,
                                    rank1, ok ? &local : error);
  /* Trained to the end but unsaveable (weights grown infinite): a failed run, with why. */
  if (run == NULL && ok)
    run = sf_run_store_record (store, trainer, dataset, SF_RUN_FAILED, local->message, seconds, NULL, FALSE, error);
  g_clear_error (&local);
  return run;
}
