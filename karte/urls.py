from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("systems/", include("karte.systems.urls")),
    path("procedures/", include("karte.procedures.urls")),
    path("security/", include("karte.security.urls")),
    path("inspections/", include("karte.inspections.urls")),
    path("vulnerabilities/", include("karte.vulnerabilities.urls")),
    path("disposals/", include("karte.disposals.urls")),
    path("incidents/", include("karte.incidents.urls")),
    path("", include("karte.core.urls")),
]
