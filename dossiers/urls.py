from dossiers import views, views_print

app_name = "dossiers"
urlpatterns = views.urlpatterns + views_print.urlpatterns
