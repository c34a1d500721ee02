app_name = "tracking"
urlpatterns = []
urlpatterns += __import__("custody.views_tracking", fromlist=["urlpatterns"]).urlpatterns  # public tracking page
