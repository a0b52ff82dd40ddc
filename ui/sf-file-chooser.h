/* Choosing files with a GtkFileChooserNative, the one way every view does
 * it: the open chooser is kept in a slot of its owner (a new request replaces
 * it; sf_file_chooser_clear closes it when the owner goes away), and its
 * answer reaches a callback as local paths. A choice that is not a local file
 * gets a message instead. Also the filter for the images the app reads (PGM,
 * PPM, PNG) and the save chooser for a drawing (PNG or SVG by its name). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The chosen files' paths, NULL-terminated and never empty; not called when
 * the chooser is cancelled. */
typedef void (*SfFileChooserFunc) (gpointer owner, const char *const *paths);

/* A modal chooser transient for `parent`'s window, in *slot, not yet shown:
 * add filters or a name, then sf_file_chooser_show. */
GtkFileChooser *sf_file_chooser_new     (GtkFileChooserNative **slot, GtkWidget *parent,
                                         GtkFileChooserAction action, const char *title,
                                         const char *accept_label, SfFileChooserFunc func, gpointer owner);
void            sf_file_chooser_show    (GtkFileChooser *chooser);
/* Closes the chooser in *slot, if any, without calling back. */
void            sf_file_chooser_clear   (GtkFileChooserNative **slot);

/* A filter named `name` of the MIME types and file name suffixes given
 * (either list NULL-terminated, or NULL). */
void            sf_file_chooser_add_filter       (GtkFileChooser *chooser, const char *name,
                                                  const char *const *mime_types, const char *const *suffixes);
/* "Images (PGM, PPM, PNG)": what sf_image_load reads. */
void            sf_file_chooser_add_image_filter (GtkFileChooser *chooser);

/* Opens image files: one, or several when `multiple`. */
void            sf_file_chooser_open_images (GtkFileChooserNative **slot, GtkWidget *parent, const char *title,
                                             const char *accept_label, gboolean multiple,
                                             SfFileChooserFunc func, gpointer owner);
/* Asks where to save, suggesting `name`; a name ending in .png or .svg gets
 * that format's filter. */
void            sf_file_chooser_save        (GtkFileChooserNative **slot, GtkWidget *parent, const char *title,
                                             const char *accept_label, const char *name,
                                             SfFileChooserFunc func, gpointer owner);

G_END_DECLS
