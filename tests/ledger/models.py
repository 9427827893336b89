from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from karte.core.models import UnitOwnedModel


class Ledger(UnitOwnedModel):
    name = models.CharField("名称", max_length=100)
    amount_yen = models.IntegerField("金額（円）", default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "台帳"
        verbose_name_plural = "台帳"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("ledger:ledger_detail", kwargs={"pk": self.pk})
