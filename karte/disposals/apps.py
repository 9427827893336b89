from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisposalsConfig(AppConfig):
    name = "karte.disposals"
    label = "disposals"
    verbose_name = _("Storage-device disposal")
    dashboard_cards = "karte.disposals.selectors.dashboard_cards"
    karte_sections = "karte.disposals.selectors.karte_section"
    navigation = [
        (_("Storage disposal"), "disposals:storagedisposal_list", None),
    ]

    def ready(self) -> None:
        from karte.disposals import importers  # noqa: F401  registers the disposals importer
