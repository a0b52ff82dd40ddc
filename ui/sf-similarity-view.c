/* SfSimilarityView: a placeholder status page until the Similarity view exists. */
#include "sf-similarity-view.h"

#include <adwaita.h>

struct _SfSimilarityView
{
  GtkWidget parent_instance;

  SfSession *session;
};

G_DEFINE_FINAL_TYPE (SfSimilarityView, sf_similarity_view, GTK_TYPE_WIDGET)

static void
sf_similarity_view_dispose (GObject *object)
{
  GtkWidget *child;

  g_clear_object (&SF_SIMILARITY_VIEW (object)->session);
  gtk_widget_dispose_template (GTK_WIDGET (object), SF_TYPE_SIMILARITY_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (sf_similarity_view_parent_class)->dispose (object);
}

static void
sf_similarity_view_class_init (SfSimilarityViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sf_similarity_view_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-similarity-view.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "similarityview");
}

static void
sf_similarity_view_init (SfSimilarityView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
sf_similarity_view_new (void)
{
  return g_object_new (SF_TYPE_SIMILARITY_VIEW, NULL);
}

void
sf_similarity_view_set_session (SfSimilarityView *self, SfSession *session)
{
  g_return_if_fail (SF_IS_SIMILARITY_VIEW (self));

  g_set_object (&self->session, session);
}
