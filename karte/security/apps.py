from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "karte.security"
    label = "security"
    verbose_name = _("Security posture")
    navigation = []

    def ready(self) -> None:
        from karte.security import importers, rounds  # noqa: F401  registers the importer and the round kind
