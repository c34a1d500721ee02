from custody import api_manifests, api_scans, api_tracking

urlpatterns = [*api_scans.urlpatterns, *api_tracking.urlpatterns, *api_manifests.urlpatterns]
