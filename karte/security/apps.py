from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "karte.security"
    label = "security"
    verbose_name = _("Security posture")
    dashboard_cards = "karte.security.selectors.dashboard_cards"
    karte_sections = "karte.security.selectors.karte_section"
    navigation = [
        (_("Security posture"), "security:coverage", None),
    ]

    def ready(self) -> None:
        from karte.security import importers, rounds  # noqa: F401  registers the importer and the round kind
