from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "karte.procedures"
    label = "procedures"
    verbose_name = _("Procedures going online")
    navigation = [
        (_("Procedures"), "procedures:procedure_list", None),
        (_("Online KPIs"), "procedures:kpis", None),
        (_("Support cases"), "procedures:supportcase_list", None),
        (_("Form templates"), "procedures:formtemplate_list", None),
    ]

    def ready(self) -> None:
        from karte.procedures import importers, rounds  # noqa: F401  registers the importer and the round kind
