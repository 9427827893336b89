"""The procedures pages, each group in its own module so that they can grow independently."""

from karte.procedures.urls_inventory import urlpatterns as inventory
from karte.procedures.urls_rounds import urlpatterns as rounds
from karte.procedures.urls_support import urlpatterns as support

app_name = "procedures"
urlpatterns = [*inventory, *rounds, *support]
