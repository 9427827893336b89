from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SystemsConfig(AppConfig):
    name = "karte.systems"
    label = "systems"
    verbose_name = _("System karte")
    dashboard_cards = "karte.systems.selectors.dashboard_cards"
    navigation = [
        (_("Information systems"), "systems:system_list", None),
        (_("Vendor lock-in"), "systems:lock_in", None),
        (_("Renewal timeline"), "systems:renewals", None),
        (_("Vendors"), "systems:vendor_list", None),
    ]

    def ready(self) -> None:
        from karte.systems import importers  # noqa: F401  registers the systems importer
