"""PDF downloads: dossier slip, fee receipt, package label."""

urlpatterns = []
