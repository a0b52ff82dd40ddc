/* siamese-faces: the GNOME application's entry point. Run from the build
 * folder, it uses that build's compiled schema and translations. */
#include <glib/gi18n.h>
#include <limits.h>
#include <locale.h>
#include <stdlib.h>

#include "blas.h"
#include "sf-application.h"

/* TRUE when this executable lives inside the build folder it was built in. */
static gboolean
running_uninstalled (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  char root[PATH_MAX];

  if (exe == NULL || realpath (SF_BUILD_ROOT, root) == NULL)
    return FALSE;
  g_autofree char *prefix = g_strconcat (root, G_DIR_SEPARATOR_S, NULL);
  return g_str_has_prefix (exe, prefix);
}

int
main (int argc, char *argv[])
{
  /* First: on AVX-512 CPUs this re-executes the program with OpenBLAS's fast kernels. */
  sf_blas_reexec_for_fast_kernels (argc, argv);
  const char *localedir = LOCALEDIR;

  if (running_uninstalled ())
    {
      if (g_getenv ("GSETTINGS_SCHEMA_DIR") == NULL)
        g_setenv ("GSETTINGS_SCHEMA_DIR", SF_BUILD_ROOT "/resources", TRUE);
      localedir = SF_BUILD_ROOT "/po";
    }

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_autoptr (SfApplication) app = sf_application_new (SF_APPLICATION_ID, G_APPLICATION_HANDLES_OPEN);
  int status = g_application_run (G_APPLICATION (app), argc, argv);
  if (status == 0)
    status = sf_application_get_exit_status (app);
  return status;
}
