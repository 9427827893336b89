from django.urls import path  # noqa: F401

# The survey round pages; karte.security.urls adds them to its namespace.
urlpatterns = []
