/* A deterministic mutation fuzzer for the readers of files that travel
 * between people (gcc has no libFuzzer, and a fixed seed makes every finding
 * reproducible): seeds made by the engine's own writers, then bit flips,
 * interesting bytes and integers, insertions, deletions, repeated runs, deep
 * nests, splices, truncations and edits of numbers and length fields; a
 * safetensors header is mutated with its length kept true (or one tensor
 * reshaped with the rest of the file made to agree), and PNG chunks
 * get their CRCs right again, so mutations get past the first check. Case i of a
 * seed is a pure function of (seed, i), so the supervisor regenerates any
 * input it has to keep. A worker process runs case after case (ASan and
 * LeakSanitizer watch it); when it crashes or a case outlives the timeout,
 * the supervisor saves that input under the output folder and starts a new
 * worker at the next case. Refusals whose message does not name the file,
 * GLib warnings, and accepted inputs whose saved copy does not read back are
 * counted and shown; --strict makes them fail the run as crashes do.
 *
 *   sf-fuzz READER [--cases N] [--seconds S] [--seed S] [--out DIR] [--timeout S] [--strict]
 *   sf-fuzz READER --replay FILE…      read files as the fuzzer would, in this process
 *   sf-fuzz READER --write-seeds DIR   the seed corpus as files
 *   sf-fuzz --list
 *
 * build-aux/fuzz.sh READER MINUTES runs one reader long in the ASan build. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "sf-fuzz.h"

/* Inputs grow no larger: repeated runs stay big enough to nest 100,000 deep. */
#define MAX_INPUT_BYTES ((gsize) 4 << 20)
/* Mutations concentrate on the first bytes, where the headers are. */
#define HEAD_BYTES 512
/* The worker's exit status when a seed itself is refused: the harness, not the reader, is wrong. */
#define EXIT_SEED_REFUSED 77

/* ---- random numbers: splitmix64 ---- */

typedef struct {
  guint64 state;
} Rng;

static guint64
rng_next (Rng *rng)
{
  guint64 z = (rng->state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static guint64
rng_below (Rng *rng, guint64 n)
{
  return n > 0 ? rng_next (rng) % n : 0;
}

/* ---- mutations ---- */

typedef struct {
  const SfFuzzReader *reader;
  GPtrArray *seeds;        /* SfFuzzSeed* */
  guint64 seed;
  guint64 n_cases;
  gint64 deadline_us;      /* monotonic; 0: none */
  int timeout_s;
  char *out_dir;
  char *work_dir;
} Fuzz;

static const guint8 interesting_bytes[] = {
  0x00, 0x01, 0x02, 0x07, 0x08, 0x0f, 0x10, 0x20, 0x7f, 0x80, 0x81, 0xfe, 0xff,
  '[', ']', '{', '}', '"', '\\', ',', ':', '0', '9', '-', '.', 'e', ' ', '\n', '#', '/', '\'', '%',
};

static guint64
interesting_int (Rng *rng, gsize size)
{
  const guint64 values[] = {
    0, 1, 2, 3, 7, 8, 10, 16, 64, 127, 128, 255, 256, 1000, 4095, 4096, 4097, 32767, 32768, 65535, 65536,
    0x7fffffffull, 0x80000000ull, 0xffffffffull, 0x100000000ull, 0x7fffffffffffffffull, 0xffffffffffffffffull,
    (guint64) size, (guint64) size - 8, (guint64) size + 8, (guint64) 100 << 20,
  };
  return values[rng_below (rng, G_N_ELEMENTS (values))];
}

static const char *const interesting_numbers[] = {
  "0", "1", "-1", "2", "8", "16", "64", "513", "4096", "65535", "65536", "2147483647", "2147483648",
  "4294967296", "9223372036854775807", "18446744073709551616", "1e308", "-1e308", "0.5", "1e-45", "nan", "-0",
};

/* A position in [0, size), near the start half of the time. */
static gsize
pick_position (Rng *rng, gsize size)
{
  if (size == 0)
    return 0;
  return rng_below (rng, 2) == 0 ? rng_below (rng, MIN (size, HEAD_BYTES)) : rng_below (rng, size);
}

static void
insert_bytes (GByteArray *input, gsize at, const guint8 *bytes, gsize n)
{
  if (input->len + n > MAX_INPUT_BYTES)
    n = MAX_INPUT_BYTES - MIN (input->len, MAX_INPUT_BYTES);
  if (n > 0)
    g_array_insert_vals ((GArray *) input, (guint) at, bytes, (guint) n);   /* a GByteArray is a GArray of bytes */
}

static void
mutate_once (const Fuzz *f, GByteArray *input, Rng *rng)
{
  gsize size = input->len;
  int op = (int) rng_below (rng, 14);
  if (size == 0 && op != 3 && op != 6 && op != 11)
    op = 3;
  gsize pos = pick_position (rng, size);
  switch (op)
    {
    case 0: /* flip a bit */
      input->data[pos] ^= (guint8) (1u << rng_below (rng, 8));
      break;
    case 1: /* an interesting byte */
      input->data[pos] = interesting_bytes[rng_below (rng, sizeof interesting_bytes)];
      break;
    case 2: /* any byte */
      input->data[pos] = (guint8) rng_next (rng);
      break;
    case 3: /* insert a few bytes */
      {
        guint8 bytes[16];
        gsize n = 1 + rng_below (rng, sizeof bytes);
        for (gsize k = 0; k < n; k++)
          bytes[k] = rng_below (rng, 2) ? (guint8) rng_next (rng)
                                        : interesting_bytes[rng_below (rng, sizeof interesting_bytes)];
        insert_bytes (input, rng_below (rng, size + 1), bytes, n);
        break;
      }
    case 4: /* delete a range */
      {
        gsize n = 1 + rng_below (rng, MIN (size - pos, (gsize) 64));
        g_byte_array_remove_range (input, (guint) pos, (guint) n);
        break;
      }
    case 5: /* repeat a short run, up to 100,000 times: nesting, long numbers, huge counts */
      {
        const gsize times[] = { 2, 16, 256, 4096, 100000 };
        gsize n = 1 + rng_below (rng, MIN (size - pos, (gsize) 8));
        gsize repeat = times[rng_below (rng, G_N_ELEMENTS (times))];
        repeat = MIN (repeat, (MAX_INPUT_BYTES - MIN (size, MAX_INPUT_BYTES)) / n);
        g_autofree guint8 *runs = g_malloc (n * repeat + 1);
        for (gsize k = 0; k < repeat; k++)
          memcpy (runs + k * n, input->data + pos, n);
        insert_bytes (input, pos, runs, n * repeat);
        break;
      }
    case 6: /* splice in a piece of a seed */
      {
        const SfFuzzSeed *other = f->seeds->pdata[rng_below (rng, f->seeds->len)];
        gsize other_size = 0;
        const guint8 *other_data = g_bytes_get_data (other->bytes, &other_size);
        if (other_size == 0)
          break;
        gsize from = pick_position (rng, other_size);
        gsize n = 1 + rng_below (rng, MIN (other_size - from, (gsize) 256));
        gsize at = rng_below (rng, size + 1);
        if (rng_below (rng, 2) == 0 || at + n > size)
          insert_bytes (input, at, other_data + from, n);
        else
          memcpy (input->data + at, other_data + from, n);
        break;
      }
    case 7: /* truncate */
      g_byte_array_set_size (input, (guint) rng_below (rng, size));
      break;
    case 8: /* an interesting integer of 1, 2, 4 or 8 little-endian bytes: lengths, counts, offsets */
      {
        gsize width = (gsize) 1 << rng_below (rng, 4);
        if (pos + width > size)
          break;
        guint64 value = interesting_int (rng, size);
        for (gsize k = 0; k < width; k++)
          input->data[pos + k] = (guint8) (value >> (8 * k));
        break;
      }
    case 9: /* add or subtract a little from an integer */
      {
        gsize width = (gsize) 1 << rng_below (rng, 4);
        if (pos + width > size)
          break;
        guint64 value = 0;
        for (gsize k = 0; k < width; k++)
          value |= (guint64) input->data[pos + k] << (8 * k);
        value += rng_below (rng, 2) ? 1 + rng_below (rng, 16) : -(1 + rng_below (rng, 16));
        for (gsize k = 0; k < width; k++)
          input->data[pos + k] = (guint8) (value >> (8 * k));
        break;
      }
    case 10: /* replace a decimal number in text with an interesting one */
      {
        gsize start = pos;
        while (start < size && start < pos + 256 && !g_ascii_isdigit (input->data[start]))
          start++;
        if (start >= size || !g_ascii_isdigit (input->data[start]))
          break;
        gsize end = start;
        while (end < size && (g_ascii_isdigit (input->data[end]) || input->data[end] == '.'
                              || input->data[end] == 'e' || input->data[end] == '-'))
          end++;
        const char *number = interesting_numbers[rng_below (rng, G_N_ELEMENTS (interesting_numbers))];
        g_byte_array_remove_range (input, (guint) start, (guint) (end - start));
        insert_bytes (input, start, (const guint8 *) number, strlen (number));
        break;
      }
    case 11: /* a token of the format: a magic number, a key, an opcode */
      {
        gsize n_tokens = g_strv_length ((char **) f->reader->tokens);
        if (n_tokens == 0)
          break;
        const char *token = f->reader->tokens[rng_below (rng, n_tokens)];
        gsize n = strlen (token);
        gsize at = rng_below (rng, size + 1);
        if (rng_below (rng, 2) == 0 || at + n > size)
          insert_bytes (input, at, (const guint8 *) token, n);
        else
          memcpy (input->data + at, token, n);
        break;
      }
    case 13: /* a deep nest of arrays or objects, closed or not: recursive parsers' stacks */
      {
        const char *opens[] = { "[", "{\"a\":", "[{\"a\":" }, *closes[] = { "]", "}", "}]" };
        const gsize depths[] = { 16, 1000, 100000 };
        int kind = (int) rng_below (rng, G_N_ELEMENTS (opens));
        gsize depth = depths[rng_below (rng, G_N_ELEMENTS (depths))];
        gboolean closed = rng_below (rng, 2) == 0;
        GString *nest = g_string_new (NULL);
        for (gsize k = 0; k < depth; k++)
          g_string_append (nest, opens[kind]);
        for (gsize k = 0; closed && k < depth; k++)
          g_string_append (nest, closes[kind]);
        insert_bytes (input, rng_below (rng, size + 1), (const guint8 *) nest->str, nest->len);
        g_string_free (nest, TRUE);
        break;
      }
    case 12: /* copy a piece of the input over another place in it */
    default:
      {
        gsize n = 1 + rng_below (rng, MIN (size - pos, (gsize) 1024));
        gsize at = rng_below (rng, size);
        g_autofree guint8 *piece = g_memdup2 (input->data + pos, n);
        memcpy (input->data + at, piece, MIN (n, size - at));
        break;
      }
    }
}

static void
mutate_some (const Fuzz *f, GByteArray *input, Rng *rng)
{
  guint64 n = 1 + rng_below (rng, 4);
  if (rng_below (rng, 8) == 0)
    n += rng_below (rng, 12);
  for (guint64 k = 0; k < n; k++)
    mutate_once (f, input, rng);
}

typedef struct {
  const char *name;
  JsonObject *entry;
  guint64 begin;
  guint64 end;
} Tensor;

static int
compare_tensors (gconstpointer a, gconstpointer b)
{
  const Tensor *x = a, *y = b;
  return (x->begin > y->begin) - (x->begin < y->begin);
}

/* One dimension of one tensor changed, and the file made consistent
 * around it (every data_offsets and the data itself), so that only the
 * meaning of the shape is wrong: the lies a reader must catch by checking
 * dimensions against each other and against the model (a gallery whose
 * embeddings are narrower than its model's). header is replaced. */
static void
reshape_tensor (GByteArray *header, GByteArray *data, Rng *rng)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, (const char *) header->data, header->len, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return;
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  g_autoptr (GList) members = json_object_get_members (root);
  g_autoptr (GArray) tensors = g_array_new (FALSE, FALSE, sizeof (Tensor));
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (root, l->data);
      if (strcmp (l->data, "__metadata__") == 0 || !JSON_NODE_HOLDS_OBJECT (node))
        continue;
      JsonObject *entry = json_node_get_object (node);
      JsonArray *offsets = json_object_get_array_member (entry, "data_offsets");
      Tensor t = { l->data, entry, json_array_get_int_element (offsets, 0), json_array_get_int_element (offsets, 1) };
      g_array_append_val (tensors, t);
    }
  if (tensors->len == 0)
    return;
  g_array_sort (tensors, compare_tensors);
  Tensor *chosen = &g_array_index (tensors, Tensor, rng_below (rng, tensors->len));
  JsonArray *shape = json_object_get_array_member (chosen->entry, "shape");
  guint rank = json_array_get_length (shape);
  if (rank == 0)
    return;
  guint d = (guint) rng_below (rng, rank);
  gint64 old = json_array_get_int_element (shape, d);
  const gint64 choices[] = { 0, 1, old - 1, old + 1, old / 2, old * 2, 3, 4096 };
  gint64 value = MAX (choices[rng_below (rng, G_N_ELEMENTS (choices))], 0);
  guint64 elements = 1;
  for (guint k = 0; k < rank; k++)
    elements *= (guint64) (k == d ? value : json_array_get_int_element (shape, k));
  guint64 old_elements = 1;
  for (guint k = 0; k < rank; k++)
    old_elements *= (guint64) json_array_get_int_element (shape, k);
  if (old_elements == 0 || elements * ((chosen->end - chosen->begin) / old_elements) > ((guint64) 1 << 20))
    return;
  json_node_set_int (json_array_get_element (shape, d), value);
  guint64 item = (chosen->end - chosen->begin) / old_elements;

  /* The data again, each tensor at its new place; a grown tensor is padded with zeros. */
  g_autoptr (GByteArray) moved = g_byte_array_new ();
  for (guint k = 0; k < tensors->len; k++)
    {
      Tensor *t = &g_array_index (tensors, Tensor, k);
      guint64 length = t == chosen ? elements * item : t->end - t->begin;
      guint64 begin = moved->len;
      guint64 keep = MIN (length, t->end - t->begin);
      if (t->begin + keep <= data->len)
        g_byte_array_append (moved, data->data + t->begin, (guint) keep);
      g_byte_array_set_size (moved, (guint) (begin + length));
      if (length > keep)
        memset (moved->data + begin + keep, 0, length - keep);
      JsonArray *offsets = json_object_get_array_member (t->entry, "data_offsets");
      json_node_set_int (json_array_get_element (offsets, 0), (gint64) begin);
      json_node_set_int (json_array_get_element (offsets, 1), (gint64) (begin + length));
    }
  g_autofree char *text = json_to_string (json_parser_get_root (parser), FALSE);
  g_byte_array_set_size (header, 0);
  g_byte_array_append (header, (const guint8 *) text, (guint) strlen (text));
  g_byte_array_set_size (data, 0);
  g_byte_array_append (data, moved->data, moved->len);
}

/* A safetensors file mutated as its parts, the JSON header and the data,
 * with the length field then telling the truth: raw mutations nearly
 * always break that field and stop at the first check. */
static gboolean
mutate_safetensors (const Fuzz *f, GByteArray *input, Rng *rng)
{
  guint64 header_len = 0;
  if (input->len < 8)
    return FALSE;
  memcpy (&header_len, input->data, 8);
  header_len = GUINT64_FROM_LE (header_len);
  if (header_len > input->len - 8)
    return FALSE;
  g_autoptr (GByteArray) header = g_byte_array_new ();
  g_byte_array_append (header, input->data + 8, (guint) header_len);
  g_autoptr (GByteArray) data = g_byte_array_new ();
  g_byte_array_append (data, input->data + 8 + header_len, (guint) (input->len - 8 - header_len));
  int how = (int) rng_below (rng, 3);
  if (how != 1)
    reshape_tensor (header, data, rng);
  if (how != 0)
    mutate_some (f, header, rng);
  if (data->len > 0 && rng_below (rng, 4) == 0)
    mutate_once (f, data, rng);
  guint64 le = GUINT64_TO_LE ((guint64) header->len);
  g_byte_array_set_size (input, 0);
  g_byte_array_append (input, (const guint8 *) &le, 8);
  g_byte_array_append (input, header->data, header->len);
  g_byte_array_append (input, data->data, data->len);
  return TRUE;
}

/* PNG chunks carry CRCs that libpng checks first: after a mutation they
 * are made right again, so the mutation reaches the decoder. */
static void
fix_png_crcs (GByteArray *input)
{
  gsize pos = 8;
  while (pos + 12 <= input->len)
    {
      guint32 length = (guint32) input->data[pos] << 24 | (guint32) input->data[pos + 1] << 16
                       | (guint32) input->data[pos + 2] << 8 | input->data[pos + 3];
      if (length > input->len - pos - 12)
        break;
      guint32 crc = (guint32) crc32 (0, input->data + pos + 4, length + 4);
      for (int k = 0; k < 4; k++)
        input->data[pos + 8 + length + k] = (guint8) (crc >> (24 - 8 * k));
      pos += 12 + length;
    }
}

/* Case index of this fuzz run: the first cases are the seeds themselves. */
static GByteArray *
make_input (const Fuzz *f, guint64 index, const SfFuzzSeed **from)
{
  Rng rng = { f->seed * 0x9e3779b97f4a7c15ull ^ (index + 1) * 0xd1b54a32d192ed03ull };
  rng_next (&rng);
  gboolean plain = index < f->seeds->len;
  const SfFuzzSeed *seed = f->seeds->pdata[plain ? index : rng_below (&rng, f->seeds->len)];
  GByteArray *input = g_byte_array_new ();
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (seed->bytes, &size);
  if (size > 0)
    g_byte_array_append (input, data, (guint) size);
  *from = seed;
  if (plain)
    return input;
  gboolean safetensors = strcmp (seed->ext, ".safetensors") == 0 || strcmp (seed->ext, ".gallery") == 0;
  if (!(safetensors && rng_below (&rng, 4) != 0 && mutate_safetensors (f, input, &rng)))
    mutate_some (f, input, &rng);
  if (strcmp (seed->ext, ".png") == 0 && rng_below (&rng, 4) != 0)
    fix_png_crcs (input);
  return input;
}

/* ---- worker and supervisor ---- */

/* Shared between the supervisor and its workers (an anonymous shared mapping). */
typedef struct {
  guint64 next_case;       /* the first case not finished */
  guint64 current;         /* the case under way */
  gint64 started_us;       /* when it started, monotonic */
  gboolean finished;       /* the worker ran out of cases or time */
  guint64 accepted;
  guint64 refused;
  guint64 unnamed;         /* refused with a message that does not name the file */
  char first_unnamed[512];
  guint64 warnings;        /* GLib warnings: bugs ("GError set over the top of a previous GError"), not crashes */
  char first_warning[512];
  guint64 lost;            /* accepted, saved again, and the copy did not read back */
  char first_lost[512];
  guint64 first_lost_case;
} Shared;

static Shared *shared_state;

/* Counts warnings and prints the first few; a critical stays fatal under G_DEBUG=fatal-criticals. */
static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if ((level & G_LOG_LEVEL_WARNING) && shared_state != NULL)
    {
      if (shared_state->warnings++ == 0)
        for (gsize k = 0; k < n_fields; k++)
          if (strcmp (fields[k].key, "MESSAGE") == 0)
            g_strlcpy (shared_state->first_warning, fields[k].value, sizeof shared_state->first_warning);
      if (shared_state->warnings > 3)
        return G_LOG_WRITER_HANDLED;
    }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static gboolean
out_of_time (const Fuzz *f)
{
  return f->deadline_us > 0 && g_get_monotonic_time () >= f->deadline_us;
}

static void
run_worker (const Fuzz *f, Shared *shared)
{
  while (shared->next_case < f->n_cases && !out_of_time (f))
    {
      guint64 index = shared->next_case;
      shared->current = index;
      shared->started_us = g_get_monotonic_time ();
      const SfFuzzSeed *seed = NULL;
      GByteArray *input = make_input (f, index, &seed);
      g_autofree char *path = g_strconcat (f->work_dir, G_DIR_SEPARATOR_S, "input", seed->ext, NULL);
      char *message = NULL;
      SfFuzzOutcome outcome = f->reader->run (seed->kind, path, input->data, input->len, &message);
      if (index < f->seeds->len && outcome != SF_FUZZ_ACCEPTED)
        {
          g_printerr ("sf-fuzz: %s: seed %" G_GUINT64_FORMAT " (%s) is refused: %s\n", f->reader->name, index,
                      seed->ext, message != NULL ? message : "");
          _exit (EXIT_SEED_REFUSED);
        }
      if (outcome == SF_FUZZ_ACCEPTED || outcome == SF_FUZZ_LOST)
        shared->accepted++;
      else
        shared->refused++;
      if (outcome == SF_FUZZ_REFUSED_UNNAMED && shared->unnamed++ == 0)
        g_strlcpy (shared->first_unnamed, message, sizeof shared->first_unnamed);
      if (outcome == SF_FUZZ_LOST && shared->lost++ == 0)
        {
          g_strlcpy (shared->first_lost, message, sizeof shared->first_lost);
          shared->first_lost_case = index;
        }
      g_free (message);
      g_byte_array_unref (input);
      shared->next_case = index + 1;
    }
  shared->finished = TRUE;
}

static void
save_finding (const Fuzz *f, guint64 index, const char *what)
{
  const SfFuzzSeed *seed = NULL;
  g_autoptr (GByteArray) input = make_input (f, index, &seed);
  g_autofree char *name = g_strdup_printf ("%s-%s-%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "%s", what,
                                           f->reader->name, f->seed, index, seed->ext);
  g_autofree char *path = g_build_filename (f->out_dir, name, NULL);
  GError *error = NULL;
  if (g_mkdir_with_parents (f->out_dir, 0755) != 0
      || !g_file_set_contents (path, (const char *) input->data, (gssize) input->len, &error))
    g_printerr ("sf-fuzz: cannot keep the input of case %" G_GUINT64_FORMAT " in %s: %s\n", index, path,
                error != NULL ? error->message : g_strerror (errno));
  else
    g_printerr ("sf-fuzz: %s: %s in case %" G_GUINT64_FORMAT "; input kept as %s\n"
                "         replay: sf-fuzz %s --replay %s\n", f->reader->name, what, index, path, f->reader->name,
                path);
  g_clear_error (&error);
}

/* strict: refusals without the file's name, GLib warnings and lost round
 * trips fail the run too, not only crashes and hangs. */
static int
supervise (const Fuzz *f, Shared *shared, gboolean strict)
{
  int crashes = 0, hangs = 0, failures = 0;
  gint64 begun = g_get_monotonic_time ();
  while (shared->next_case < f->n_cases && !out_of_time (f))
    {
      shared->finished = FALSE;
      shared->started_us = g_get_monotonic_time ();
      fflush (stdout);
      fflush (stderr);
      pid_t pid = fork ();
      if (pid < 0)
        {
          g_printerr ("sf-fuzz: fork: %s\n", g_strerror (errno));
          return 2;
        }
      if (pid == 0)
        {
          prctl (PR_SET_PDEATHSIG, SIGKILL);
          run_worker (f, shared);
          exit (0);   /* not _exit: LeakSanitizer reports at exit */
        }
      int status = 0;
      gboolean hung = FALSE;
      /* Polls: the worker's progress is in shared memory, and a hang is a case
       * that has run longer than the timeout. */
      while (waitpid (pid, &status, WNOHANG) == 0)
        {
          if (!shared->finished && g_get_monotonic_time () - shared->started_us > (gint64) f->timeout_s * G_USEC_PER_SEC)
            {
              kill (pid, SIGKILL);
              waitpid (pid, &status, 0);
              hung = TRUE;
              break;
            }
          g_usleep (10000);
        }
      if (!hung && WIFEXITED (status) && WEXITSTATUS (status) == EXIT_SEED_REFUSED)
        return 2;
      if (!hung && shared->finished)
        {
          if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
            {
              g_printerr ("sf-fuzz: %s: the worker ended with status %d after its last case (a leak report?)\n",
                          f->reader->name, WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status));
              failures++;
            }
          break;
        }
      guint64 index = shared->current;
      if (hung)
        hangs++;
      else
        crashes++;
      save_finding (f, index, hung ? "hang" : "crash");
      shared->next_case = index + 1;
    }
  double seconds = (double) (g_get_monotonic_time () - begun) / G_USEC_PER_SEC;
  g_print ("sf-fuzz: %s: %" G_GUINT64_FORMAT " cases in %.1f s (seed %" G_GUINT64_FORMAT "): %" G_GUINT64_FORMAT
           " accepted, %" G_GUINT64_FORMAT " refused (%" G_GUINT64_FORMAT " without the file's name), %d crashes, "
           "%d hangs\n", f->reader->name, shared->next_case, seconds, f->seed, shared->accepted, shared->refused,
           shared->unnamed, crashes, hangs);
  if (shared->unnamed > 0)
    g_print ("sf-fuzz: %s: a refusal without the file's name: %s\n", f->reader->name, shared->first_unnamed);
  if (shared->warnings > 0)
    g_print ("sf-fuzz: %s: %" G_GUINT64_FORMAT " GLib warnings, the first: %s\n", f->reader->name, shared->warnings,
             shared->first_warning);
  if (shared->lost > 0)
    {
      g_print ("sf-fuzz: %s: %" G_GUINT64_FORMAT " inputs were accepted but their saved copy did not read back, the "
               "first in case %" G_GUINT64_FORMAT ": %s\n", f->reader->name, shared->lost, shared->first_lost_case,
               shared->first_lost);
      save_finding (f, shared->first_lost_case, "lost");
    }
  guint64 soft = shared->unnamed + shared->warnings + shared->lost;
  return crashes + hangs + failures > 0 || (strict && soft > 0) ? 1 : 0;
}

/* ---- seeds: made in a child, so this process never starts the engine's threads before forking ---- */

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
load_seeds (Fuzz *f)
{
  g_autofree char *dir = g_build_filename (f->work_dir, "seeds", NULL);
  pid_t pid = fork ();
  if (pid == 0)
    {
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      GError *error = NULL;
      g_autoptr (GPtrArray) seeds = g_ptr_array_new_with_free_func ((GDestroyNotify) sf_fuzz_seed_free);
      if (!f->reader->make_seeds (seeds, &error))
        {
          g_printerr ("sf-fuzz: %s: cannot make the seeds: %s\n", f->reader->name, error->message);
          _exit (1);
        }
      g_mkdir_with_parents (dir, 0700);
      for (guint k = 0; k < seeds->len; k++)
        {
          SfFuzzSeed *seed = seeds->pdata[k];
          g_autofree char *name = g_strdup_printf ("%03u-%d%s", k, seed->kind, seed->ext);
          g_autofree char *path = g_build_filename (dir, name, NULL);
          if (!g_file_set_contents (path, g_bytes_get_data (seed->bytes, NULL), (gssize) g_bytes_get_size (seed->bytes),
                                    &error))
            {
              g_printerr ("sf-fuzz: %s\n", error->message);
              _exit (1);
            }
        }
      exit (0);
    }
  int status = 0;
  if (pid < 0 || waitpid (pid, &status, 0) != pid || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return FALSE;

  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint k = 0; k < names->len; k++)
    {
      const char *seed_name = names->pdata[k];
      g_autofree char *path = g_build_filename (dir, seed_name, NULL);
      char *contents = NULL;
      gsize size = 0;
      if (!g_file_get_contents (path, &contents, &size, NULL))
        return FALSE;
      SfFuzzSeed *seed = g_new0 (SfFuzzSeed, 1);
      seed->bytes = g_bytes_new_take (contents, size);
      seed->kind = (int) g_ascii_strtoll (seed_name + 4, NULL, 10);
      seed->ext = g_strdup (strchr (seed_name, '.'));
      g_ptr_array_add (f->seeds, seed);
      g_unlink (path);
    }
  g_rmdir (dir);
  return f->seeds->len > 0;
}

/* ---- replay ---- */

static int
replay (const Fuzz *f, char **files)
{
  int status = 0;
  for (int k = 0; files[k] != NULL; k++)
    {
      char *contents = NULL;
      gsize size = 0;
      GError *error = NULL;
      if (!g_file_get_contents (files[k], &contents, &size, &error))
        {
          g_printerr ("sf-fuzz: %s\n", error->message);
          g_error_free (error);
          status = 2;
          continue;
        }
      const char *ext = strrchr (files[k], '.');
      if (ext == NULL)
        ext = "";
      g_autofree char *lower = g_ascii_strdown (ext, -1);
      /* The dataset reader's kinds: images by their name, the rest through the dataset loader. */
      int kind = strcmp (lower, ".pgm") == 0 || strcmp (lower, ".ppm") == 0 || strcmp (lower, ".png") == 0 ? 0 : 1;
      g_autofree char *path = g_strconcat (f->work_dir, G_DIR_SEPARATOR_S, "input", ext, NULL);
      char *message = NULL;
      SfFuzzOutcome outcome = f->reader->run (kind, path, (const guint8 *) contents, size, &message);
      g_print ("%s: %s%s%s\n", files[k], outcome == SF_FUZZ_ACCEPTED ? "accepted" : outcome == SF_FUZZ_LOST ? "lost" : "refused",
               message != NULL ? ": " : "", message != NULL ? message : "");
      g_free (message);
      g_free (contents);
    }
  return status;
}

static void
remove_work_dir (const char *dir)
{
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;
  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  gint64 n_cases = -1, seconds = 0, seed = 1, timeout = 20;
  g_autofree char *out_dir = NULL;
  g_autofree char *seeds_dir = NULL;
  gboolean list = FALSE, do_replay = FALSE, strict = FALSE;
  GOptionEntry entries[] = {
    { "cases", 'n', 0, G_OPTION_ARG_INT64, &n_cases, "Run N cases (default 1000, or unlimited with --seconds)", "N" },
    { "seconds", 't', 0, G_OPTION_ARG_INT64, &seconds, "Stop after S seconds", "S" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "The seed of the mutations (default 1)", "S" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir, "Keep crashing and hanging inputs here (default sf-fuzz-findings)", "DIR" },
    { "timeout", 0, 0, G_OPTION_ARG_INT64, &timeout, "A case running longer than S seconds is a hang (default 20)", "S" },
    { "replay", 'r', 0, G_OPTION_ARG_NONE, &do_replay, "Read the FILEs given, in this process", NULL },
    { "write-seeds", 0, 0, G_OPTION_ARG_FILENAME, &seeds_dir, "Write the seed corpus into DIR and stop", "DIR" },
    { "strict", 0, 0, G_OPTION_ARG_NONE, &strict,
      "Fail on refusals that do not name the file, GLib warnings and saved copies that do not read back too", NULL },
    { "list", 'l', 0, G_OPTION_ARG_NONE, &list, "List the readers", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("READER [FILE…]");
  g_option_context_set_summary (context, "Mutation fuzzing of the readers of datasets, models and galleries.");
  g_option_context_add_main_entries (context, entries, NULL);
  GError *error = NULL;
  g_log_set_writer_func (log_writer, NULL, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("sf-fuzz: %s\n", error->message);
      return 2;
    }
  if (list)
    {
      for (int k = 0; sf_fuzz_readers[k] != NULL; k++)
        g_print ("%-8s %s\n", sf_fuzz_readers[k]->name, sf_fuzz_readers[k]->about);
      return 0;
    }
  const SfFuzzReader *reader = NULL;
  for (int k = 0; argc >= 2 && sf_fuzz_readers[k] != NULL; k++)
    if (strcmp (argv[1], sf_fuzz_readers[k]->name) == 0)
      reader = sf_fuzz_readers[k];
  if (reader == NULL || (do_replay && argc < 3) || seconds < 0 || timeout < 1 || seed < 0)
    {
      g_printerr ("sf-fuzz: give a reader (see --list)%s\n", do_replay ? " and the files to replay" : "");
      return 2;
    }

  Fuzz f = {
    .reader = reader,
    .seeds = g_ptr_array_new_with_free_func ((GDestroyNotify) sf_fuzz_seed_free),
    .seed = (guint64) seed,
    .n_cases = n_cases >= 0 ? (guint64) n_cases : seconds > 0 ? G_MAXUINT64 : 1000,
    .deadline_us = seconds > 0 ? g_get_monotonic_time () + seconds * G_USEC_PER_SEC : 0,
    .timeout_s = (int) timeout,
    .out_dir = out_dir != NULL ? g_strdup (out_dir) : g_strdup ("sf-fuzz-findings"),
    .work_dir = g_dir_make_tmp ("sf-fuzz-XXXXXX", &error),
  };
  if (f.work_dir == NULL)
    {
      g_printerr ("sf-fuzz: %s\n", error->message);
      return 2;
    }
  int status;
  if (do_replay)
    status = replay (&f, argv + 2);
  else if (!load_seeds (&f))
    {
      g_printerr ("sf-fuzz: %s: no seeds\n", reader->name);
      status = 2;
    }
  else if (seeds_dir != NULL)
    {
      g_mkdir_with_parents (seeds_dir, 0755);
      status = 0;
      for (guint k = 0; k < f.seeds->len; k++)
        {
          SfFuzzSeed *s = f.seeds->pdata[k];
          g_autofree char *name = g_strdup_printf ("%s-%02u%s", reader->name, k, s->ext);
          g_autofree char *path = g_build_filename (seeds_dir, name, NULL);
          if (!g_file_set_contents (path, g_bytes_get_data (s->bytes, NULL), (gssize) g_bytes_get_size (s->bytes), NULL))
            status = 2;
        }
    }
  else
    {
      Shared *shared = mmap (NULL, sizeof (Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
      if (shared == MAP_FAILED)
        {
          g_printerr ("sf-fuzz: mmap: %s\n", g_strerror (errno));
          return 2;
        }
      memset (shared, 0, sizeof *shared);
      shared_state = shared;
      status = supervise (&f, shared, strict);
      munmap (shared, sizeof (Shared));
    }
  remove_work_dir (f.work_dir);
  g_ptr_array_unref (f.seeds);
  g_free (f.out_dir);
  g_free (f.work_dir);
  return status;
}
