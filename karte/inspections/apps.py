from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "karte.inspections"
    label = "inspections"
    verbose_name = _("Self-inspection")
    navigation = [(_("Self-inspection"), "inspections:results", None)]
    dashboard_cards = "karte.inspections.selectors.dashboard_cards"
    karte_sections = "karte.inspections.selectors.karte_sections"
    demo_setup = "karte.inspections.services.install_demo_questions"

    def ready(self) -> None:
        from karte.inspections import rounds  # noqa: F401  registers the round kind
