from pickups.views_public import urlpatterns  # noqa: F401

app_name = "pickup_public"
