from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "karte.core"
    label = "core"
    verbose_name = _("Core")
    navigation = [
        (_("Dashboard"), "core:dashboard", None),
        (_("Organisation"), "core:orgunit_list", None),
        (_("Survey rounds"), "core:round_list", None),
        (_("Imports"), "core:import_list", "may_write"),
        (_("People"), "core:person_list", "is_office"),
        (_("Audit trail"), "core:audit_trail", "reads_audit_trail"),
    ]

    def ready(self) -> None:
        from karte.core import importers  # noqa: F401  registers the organisation importer
