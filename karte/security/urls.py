from django.urls import path

from karte.security import urls_rounds, views

app_name = "security"

urlpatterns = [
    path("", views.CoverageView.as_view(), name="coverage"),
    path("systems/<int:pk>/protection/", views.ProfileEditView.as_view(), name="profile_edit"),
    *urls_rounds.urlpatterns,
]
