"""The one-stop desk's staff pages, mounted at /mot-cua/ (namespace ``onestop``): the PDF forms 01–06 and the
form 07 register first, so that their fixed paths win over ``<tracking_code>/``; then the desk, the deadlines,
the inbox and one dossier's page and steps."""

from onestop import views, views_forms

app_name = "onestop"

urlpatterns = [*views_forms.urlpatterns, *views.urlpatterns]
