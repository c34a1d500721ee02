"""Public catalogue pages, mounted at /thu-tuc/ (namespace "catalog"); no login."""

from django.urls import path

from catalog import views_public

urlpatterns = [
    path("", views_public.search, name="search"),
    path("<str:province_code>/<str:procedure_code>/", views_public.procedure, name="procedure"),
]
