"""The one-stop desk's staff pages, mounted at /mot-cua/ (namespace ``onestop``): the PDF forms 01–06 and the
form 07 register (``onestop.views_forms``, installed by their own change) first, so that their fixed paths
win over ``<tracking_code>/``; then the desk, the deadlines, the inbox and one dossier's page and steps."""

from importlib.util import find_spec

from onestop import views

app_name = "onestop"

urlpatterns = []
if find_spec("onestop.views_forms") is not None:  # not installed yet: the pages link to no form
    from onestop import views_forms

    urlpatterns += views_forms.urlpatterns
urlpatterns += views.urlpatterns
