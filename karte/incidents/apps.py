from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "karte.incidents"
    label = "incidents"
    verbose_name = _("Incidents (CSIRT)")
    navigation = [(_("Incidents (CSIRT)"), "incidents:incident_list", None)]
    dashboard_cards = "karte.incidents.selectors.dashboard_cards"
    karte_sections = "karte.incidents.selectors.karte_section"
    demo_setup = "karte.incidents.services.open_demo_incident"
