/* scikit-learn's olivetti_py3.pkz: a zlib stream holding joblib's pickle of a
 * NumPy uint8 array. A pickle is a program; this file never runs it. It walks
 * the opcodes, accepts only those a joblib array dump uses and only the
 * globals naming NumPy's array types, reads the array's shape, order and
 * dtype, and takes the raw bytes joblib writes after the pickled wrapper. */
#include <string.h>
#include <glib/gi18n-lib.h>

#include "dataset.h"
#include "error.h"
#include "inflate.h"
#include "untrusted.h"

#define MAX_PKZ_FILE ((gsize) 256 << 20)
#define MAX_INFLATED ((gsize) 64 << 20)
#define MAX_STACK 64
#define MAX_MEMO 64

typedef enum { ITEM_MARK, ITEM_STRING, ITEM_INT, ITEM_TUPLE, ITEM_OTHER } ItemKind;

typedef struct {
  ItemKind kind;
  const char *text;   /* strings: into the inflated buffer's copy in `strings` */
  gint64 value;
  gint64 ints[2];     /* tuples of one or two ints (a shape) */
  int n_ints;
  gboolean is_dtype;  /* the numpy.dtype global */
} Item;

typedef struct {
  const char *path;
  Item stack[MAX_STACK];
  int depth;
  Item memo[MAX_MEMO];
  guint32 n_memo;
  GPtrArray *strings;
  gint64 shape[2];
  int n_shape;
  char order;
  char dtype[8];
} Walk;

static gboolean
reject (Walk *w, GError **error, const char *what)
{
  g_set_error (error, SF_ERROR, SF_ERROR_UNSUPPORTED,
               _("%s: not a NumPy array dump as scikit-learn writes it (%s); refusing to read further"), w->path, what);
  return FALSE;
}

static gboolean
push (Walk *w, Item item, GError **error)
{
  if (w->depth >= MAX_STACK)
    return reject (w, error, _("pickle stack too deep"));
  w->stack[w->depth++] = item;
  return TRUE;
}

static gboolean
pop (Walk *w, Item *item, GError **error)
{
  if (w->depth == 0)
    return reject (w, error, _("pickle stack underflow"));
  *item = w->stack[--w->depth];
  return TRUE;
}

static gboolean
is_allowed_global (const char *module, const char *name)
{
  static const char *allowed[][2] = {
    { "joblib.numpy_pickle", "NumpyArrayWrapper" },
    { "sklearn.externals.joblib.numpy_pickle", "NumpyArrayWrapper" },
    { "numpy", "ndarray" },
    { "numpy", "dtype" },
  };
  for (guint k = 0; k < G_N_ELEMENTS (allowed); k++)
    if (strcmp (module, allowed[k][0]) == 0 && strcmp (name, allowed[k][1]) == 0)
      return TRUE;
  return FALSE;
}

/* Applies SETITEMS' key/value pairs between the mark and the top: the wrapper's state. */
static gboolean
take_items (Walk *w, int mark, GError **error)
{
  for (int k = mark + 1; k + 1 < w->depth; k += 2)
    {
      Item *key = &w->stack[k], *value = &w->stack[k + 1];
      if (key->kind != ITEM_STRING)
        return reject (w, error, _("a dictionary key that is not a string"));
      if (strcmp (key->text, "shape") == 0)
        {
          if (value->kind != ITEM_TUPLE)
            return reject (w, error, _("a shape that is not a tuple of integers"));
          w->n_shape = value->n_ints;
          memcpy (w->shape, value->ints, sizeof w->shape);
        }
      else if (strcmp (key->text, "order") == 0 && value->kind == ITEM_STRING)
        w->order = value->text[0];
    }
  w->depth = mark;
  return TRUE;
}

/* Walks the opcodes up to the wrapper's BUILD; *end is where the array's bytes begin. */
static gboolean
walk_pickle (Walk *w, const guint8 *p, gsize size, gsize *end, GError **error)
{
  gsize pos = 0;
  int builds_after_setitems = 0;
  gboolean after_setitems = FALSE;
#define NEED(n) do { if (size - pos < (gsize) (n)) { g_set_error (error, SF_ERROR, SF_ERROR_TRUNCATED, _("%s: truncated pickle"), w->path); return FALSE; } } while (0)
  while (pos < size)
    {
      guint8 op = p[pos++];
      Item item = { 0 };
      gsize len;
      switch (op)
        {
        case 0x80: /* PROTO */
          NEED (1);
          if (p[pos] < 2 || p[pos] > 5)
            return reject (w, error, _("an unknown pickle protocol"));
          pos++;
          break;
        case 0x95: /* FRAME */
          NEED (8);
          pos += 8;
          break;
        case 0x8c: /* SHORT_BINUNICODE */
        case 'X':  /* BINUNICODE */
          {
            int width = op == 'X' ? 4 : 1;
            NEED (width);
            guint32 n32 = 0;
            memcpy (&n32, p + pos, width);
            len = n32;
            pos += width;
            if (len > 256)
              return reject (w, error, _("a long string"));
            NEED (len);
            char *text = g_strndup ((const char *) p + pos, len);
            g_ptr_array_add (w->strings, text);
            pos += len;
            item.kind = ITEM_STRING;
            item.text = text;
            if (!push (w, item, error))
              return FALSE;
            break;
          }
        case 0x94: /* MEMOIZE */
        case 'q':  /* BINPUT */
          {
            guint32 index = w->n_memo;
            if (op == 'q')
              {
                NEED (1);
                index = p[pos++];
              }
            if (w->depth == 0 || index >= MAX_MEMO)
              return reject (w, error, _("a memo store out of range"));
            w->memo[index] = w->stack[w->depth - 1];
            if (op == 0x94)
              w->n_memo++;
            break;
          }
        default:
          goto more;
        }
      continue;
    more:
      switch (op)
        {
        case 'h': /* BINGET */
        case 'j': /* LONG_BINGET */
          {
            int width = op == 'j' ? 4 : 1;
            NEED (width);
            guint32 index = 0;
            memcpy (&index, p + pos, width);
            pos += width;
            if (index >= MAX_MEMO)
              return reject (w, error, _("a memo index out of range"));
            if (!push (w, w->memo[index], error))
              return FALSE;
            break;
          }
        case 0x93: /* STACK_GLOBAL */
          {
            Item name, module;
            if (!pop (w, &name, error) || !pop (w, &module, error))
              return FALSE;
            if (name.kind != ITEM_STRING || module.kind != ITEM_STRING)
              return reject (w, error, _("a global named by something other than strings"));
            if (!is_allowed_global (module.text, name.text))
              {
                /* Translators: a Python global such as os.system. */
                g_autofree char *module_text = sf_untrusted_text (module.text, -1, 64);
                g_autofree char *name_text = sf_untrusted_text (name.text, -1, 64);
                g_autofree char *what = g_strdup_printf (_("it names the global %s.%s"), module_text, name_text);
                return reject (w, error, what);
              }
            item.kind = ITEM_OTHER;
            item.is_dtype = strcmp (name.text, "dtype") == 0;
            if (!push (w, item, error))
              return FALSE;
            break;
          }
        case ')': /* EMPTY_TUPLE */
        case '}': /* EMPTY_DICT */
        case 'N': /* NONE */
        case 0x88: /* NEWTRUE */
        case 0x89: /* NEWFALSE */
          item.kind = ITEM_OTHER;
          if (!push (w, item, error))
            return FALSE;
          break;
        case '(': /* MARK */
          item.kind = ITEM_MARK;
          if (!push (w, item, error))
            return FALSE;
          break;
        case 'K': /* BININT1 */
        case 'M': /* BININT2 */
        case 'J': /* BININT */
          {
            int width = op == 'K' ? 1 : op == 'M' ? 2 : 4;
            NEED (width);
            guint32 raw = 0;
            memcpy (&raw, p + pos, width);
            pos += width;
            item.kind = ITEM_INT;
            item.value = op == 'J' ? (gint64) (gint32) raw : (gint64) raw;
            if (!push (w, item, error))
              return FALSE;
            break;
          }
        case 0x85: /* TUPLE1 */
        case 0x86: /* TUPLE2 */
        case 0x87: /* TUPLE3 */
          {
            int n = op - 0x84;
            Item parts[3];
            for (int k = n - 1; k >= 0; k--)
              if (!pop (w, &parts[k], error))
                return FALSE;
            item.kind = ITEM_TUPLE;
            for (int k = 0; k < n; k++)
              {
                if (parts[k].kind == ITEM_INT && item.n_ints < 2 && n <= 2)
                  item.ints[item.n_ints++] = parts[k].value;
                else
                  item.kind = ITEM_OTHER;
                /* numpy.dtype('u1', False, True): remember the type code. */
                if (k == 0 && parts[0].kind == ITEM_STRING && n == 3)
                  g_strlcpy (w->dtype, parts[0].text, sizeof w->dtype);
              }
            if (!push (w, item, error))
              return FALSE;
            break;
          }
        case 't': /* TUPLE */
          {
            int mark = w->depth - 1;
            while (mark >= 0 && w->stack[mark].kind != ITEM_MARK)
              mark--;
            if (mark < 0)
              return reject (w, error, _("TUPLE without MARK"));
            w->depth = mark;
            item.kind = ITEM_OTHER;
            if (!push (w, item, error))
              return FALSE;
            break;
          }
        case 'R': /* REDUCE: only numpy.dtype(...) is built this way */
        case 0x81: /* NEWOBJ: only the wrapper */
          {
            Item args, callable;
            if (!pop (w, &args, error) || !pop (w, &callable, error))
              return FALSE;
            if (callable.kind != ITEM_OTHER)
              return reject (w, error, _("a call of something that is not an allowed global"));
            if (op == 'R' && !callable.is_dtype)
              return reject (w, error, _("REDUCE on something other than numpy.dtype"));
            item.kind = ITEM_OTHER;
            if (!push (w, item, error))
              return FALSE;
            break;
          }
        case 'u': /* SETITEMS */
          {
            int mark = w->depth - 1;
            while (mark >= 0 && w->stack[mark].kind != ITEM_MARK)
              mark--;
            if (mark < 0)
              return reject (w, error, _("SETITEMS without MARK"));
            if (!take_items (w, mark, error))
              return FALSE;
            after_setitems = TRUE;
            break;
          }
        case 'b': /* BUILD */
          {
            Item state;
            if (!pop (w, &state, error))
              return FALSE;
            if (after_setitems)
              builds_after_setitems++;
            if (builds_after_setitems == 1)
              {
                /* The wrapper is complete: joblib writes the array's bytes next. */
                *end = pos;
                return TRUE;
              }
            break;
          }
        default:
          {
            g_autofree char *what = g_strdup_printf (_("opcode 0x%02x at byte %zu"), op, pos - 1);
            return reject (w, error, what);
          }
        }
    }
  g_set_error (error, SF_ERROR, SF_ERROR_TRUNCATED, _("%s: truncated pickle: the array never starts"), w->path);
  return FALSE;
#undef NEED
}


SfDataset *
sf_pickle_load_olivetti (const char *path, GError **error)
{
  g_autoptr (GBytes) contents = sf_untrusted_read (path, MAX_PKZ_FILE, _("the Olivetti faces"), error);
  if (contents == NULL)
    return NULL;
  gsize size = 0;
  const guint8 *compressed = g_bytes_get_data (contents, &size);
  SfDataset *dataset = NULL;
  guint8 *pickle = NULL;
  gsize pickle_size = 0;
  Walk walk = { .path = path, .strings = g_ptr_array_new_with_free_func (g_free) };
  gsize end = 0;
  pickle = sf_inflate (path, compressed, size, MAX_INFLATED, &pickle_size, error);
  if (pickle == NULL || !walk_pickle (&walk, pickle, pickle_size, &end, error))
    goto done;
  if (walk.n_shape != 2 || walk.shape[1] != 4096 || walk.shape[0] <= 0 || walk.shape[0] % 10 != 0
      || walk.shape[0] > SF_MAX_IMAGES)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: the array's shape is not (a multiple of 10, 4096)"), path);
      goto done;
    }
  if (strcmp (walk.dtype, "u1") != 0 || walk.order != 'C')
    {
      g_autofree char *dtype = sf_untrusted_text (walk.dtype, -1, 16);
      g_autofree char *order = sf_untrusted_text (walk.order ? &walk.order : "?", 1, 1);
      g_set_error (error, SF_ERROR, SF_ERROR_UNSUPPORTED, _("%s: the array is '%s' in order %s, expected uint8 ('u1') in C order"),
                   path, dtype, order);
      goto done;
    }
  /* joblib pads the array to its alignment: one byte says how many padding bytes follow. */
  gsize n_bytes = (gsize) walk.shape[0] * 4096;
  if (end >= pickle_size || pickle[end] > 64 || pickle_size - end - 1 < (gsize) pickle[end] + n_bytes + 1)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TRUNCATED, _("%s: truncated: the array needs %zu bytes"), path, n_bytes);
      goto done;
    }
  const guint8 *bytes = pickle + end + 1 + pickle[end];
  if (bytes[n_bytes] != '.')
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: the pickle does not end after the array"), path);
      goto done;
    }
  float *values = g_try_new (float, n_bytes);
  if (values == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("%s: out of memory"), path);
      goto done;
    }
  for (gsize k = 0; k < n_bytes; k++)
    values[k] = bytes[k];
  dataset = sf_dataset_from_olivetti_values (SF_DATASET_FORMAT_PKZ, path, values, (int) walk.shape[0], error);
  g_free (values);

done:
  g_ptr_array_unref (walk.strings);
  g_free (pickle);
  return dataset;
}
