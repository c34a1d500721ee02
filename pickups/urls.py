app_name = "pickups"
urlpatterns = []
