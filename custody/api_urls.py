from custody import api_manifests, api_scans

urlpatterns = [*api_scans.urlpatterns, *api_manifests.urlpatterns]  # scans, overdue, incidents, manifests, items
