from django.urls import path

from network import views

app_name = "network"
urlpatterns = [
    path("post-offices/", views.post_office_list, name="post_office_list"),
    path("post-offices/<int:pk>/", views.post_office_detail, name="post_office_detail"),
    path("agencies/", views.agency_list, name="agency_list"),
    path("agencies/<int:pk>/", views.agency_detail, name="agency_detail"),
    path("desks/", views.desk_list, name="desk_list"),
    path("coverage/", views.coverage, name="coverage"),
    path("coverage.xlsx", views.coverage_export, name="coverage_export"),
]
