/* For UI tests that drive the real application window (under Xvfb): start-up
 * and shut-down of the application and its window, waiting on the main loop
 * for a condition, letting a frame draw, finding widgets and toplevel windows,
 * answering message dialogs, and a log writer that makes every warning and
 * critical fatal unless the test tolerates one it documents. */
#pragma once

#include "sf-application.h"
#include "sf-window.h"

G_BEGIN_DECLS

typedef gboolean (*SfTestCondition) (gpointer data);

/* The C locale, GSettings in memory, gtk_test_init (g_test_init without a
 * display), animations off and the fatal log writer. Returns whether there is
 * a display. */
gboolean    sf_test_ui_init              (int *argc, char ***argv);
/* For a test that needs a display and has none: TAP's plan of nothing,
 * skipped; returns the exit status. */
int         sf_test_ui_skip_no_display   (void);

/* Warnings whose message contains every one of `parts` (NULL-terminated) are
 * counted and let through rather than fatal, until called with NULL. */
void        sf_test_ui_tolerate_warnings (const char *const *parts);
guint       sf_test_ui_get_n_tolerated   (void);

/* Runs the main loop until condition (data) holds; fails the test with
 * "timed out waiting for `what`" after the wait timeout (60 s unless set). */
void        sf_test_wait_until           (SfTestCondition condition, gpointer data, const char *what);
void        sf_test_set_wait_timeout     (guint ms);
/* Dispatches whatever is pending, without blocking. */
void        sf_test_drain                (void);
/* Lets pending idles and one frame of `widget` run. */
void        sf_test_settle               (gpointer widget);

/* The application with its window (SfApplication, non-unique), once the demo
 * faces are loaded and the pairs drawn. */
SfWindow   *sf_test_open_window          (SfApplication **app);
/* Destroys *window when not NULL, dispatches what is pending, drops *app. */
void        sf_test_close_window         (SfApplication **app, SfWindow **window);
/* A condition on an SfWindow: faces loaded, nothing loading, no pairs being drawn. */
gboolean    sf_test_window_ready         (gpointer window);

/* The first widget at or under `root` (depth first) of `type` and, unless
 * NULL, with the widget name `name` / the CSS class `css_class`. */
GtkWidget  *sf_test_find_widget          (GtkWidget *root, GType type, const char *name);
GtkWidget  *sf_test_find_widget_with_class (GtkWidget *root, GType type, const char *css_class);
/* A visible toplevel window of `type`, or NULL. */
GtkWindow  *sf_test_find_toplevel        (GType type);
/* Waits until a toplevel of `type` is mapped / until none is visible. */
void        sf_test_wait_toplevel_shown  (GType type, const char *what);
void        sf_test_wait_toplevel_gone   (GType type, const char *what);
/* Waits for a message dialog, answers it with `response` and destroys it;
 * returns its heading (the body goes to the test log). */
char       *sf_test_answer_dialog        (const char *response);

G_END_DECLS
