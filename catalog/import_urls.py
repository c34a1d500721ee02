from django.urls import path

from catalog import views_import

urlpatterns = [
    path("", views_import.upload, name="upload"),
    path("<int:pk>/", views_import.detail, name="detail"),
    path("<int:pk>/commit/", views_import.commit, name="commit"),
    path("<int:pk>/progress/", views_import.progress, name="progress"),
    path("export/", views_import.export, name="export"),
    path("sample.csv", views_import.sample, name="sample"),
]
