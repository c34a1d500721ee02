from custody import views_incidents, views_manifests

app_name = "custody"
urlpatterns = [*views_manifests.urlpatterns, *views_incidents.urlpatterns]  # manifests, item page, incidents, overdue
