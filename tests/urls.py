from django.urls import include, path

from karte.urls import urlpatterns as karte_urlpatterns

urlpatterns = [path("ledger/", include("tests.ledger.urls")), *karte_urlpatterns]
