from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisposalsConfig(AppConfig):
    name = "karte.disposals"
    label = "disposals"
    verbose_name = _("Storage-device disposal")
    navigation = []
