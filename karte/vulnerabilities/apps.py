from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VulnerabilitiesConfig(AppConfig):
    name = "karte.vulnerabilities"
    label = "vulnerabilities"
    verbose_name = _("Vulnerability findings")
    dashboard_cards = "karte.vulnerabilities.selectors.dashboard_cards"
    karte_sections = "karte.vulnerabilities.selectors.karte_section"
    navigation = [
        (_("Vulnerability findings"), "vulnerabilities:finding_list", None),
    ]

    def ready(self) -> None:
        from karte.vulnerabilities import importers  # noqa: F401  registers the sheet and scanner importers
