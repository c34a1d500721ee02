app_name = "pickup_public"
urlpatterns = []
