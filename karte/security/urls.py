from django.urls import path  # noqa: F401

from karte.security import urls_rounds

app_name = "security"

urlpatterns = [
    *urls_rounds.urlpatterns,
]
