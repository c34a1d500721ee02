from django.urls import path

from geo import views

app_name = "geo"
urlpatterns = [
    path("communes/", views.commune_search, name="commune_search"),
    path("resolve/", views.address_resolve, name="address_resolve"),
]
