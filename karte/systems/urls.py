app_name = "systems"
urlpatterns = []
