from django.http import HttpResponse
from django.urls import path

app_name = "geo"
urlpatterns = [path("communes/", lambda r: HttpResponse(""), name="commune_search")]
