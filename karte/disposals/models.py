from pathlib import Path

from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from karte.core.models import UnitOwnedModel
from karte.core.uploads import attachment_path, private_storage
from karte.disposals.choices import DeviceKind, DisposalStatus


class StorageDisposal(UnitOwnedModel):
    """Devices holding data that a department disposes of, and the contractor's disposal certificate
    (廃棄証明書) that proves the data went with them."""

    device_kind = models.CharField(_("device kind"), max_length=20, choices=DeviceKind.choices)
    description = models.CharField(_("item"), max_length=200)
    asset_number = models.CharField(_("asset or serial number"), max_length=100, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])
    system = models.ForeignKey(
        "systems.System",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="storage_disposals",
        verbose_name=_("information system"),
    )
    planned_on = models.DateField(_("planned disposal date"), null=True, blank=True)
    disposed_on = models.DateField(_("disposal date"), null=True, blank=True)
    contractor = models.CharField(_("disposal contractor"), max_length=200, blank=True)
    # Not editable: a certificate comes only through services.save_disposal, which keeps the name the
    # user gave and the date it arrived, and never through a form's model fields.
    certificate = models.FileField(
        _("disposal certificate"),
        storage=private_storage,
        upload_to=attachment_path,
        max_length=255,
        blank=True,
        editable=False,
    )
    certificate_name = models.CharField(
        _("certificate file name"), max_length=255, blank=True, editable=False
    )
    certificate_received_on = models.DateField(_("certificate received on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("storage-device disposal")
        verbose_name_plural = _("storage-device disposals")
        ordering = ["-disposed_on", "-planned_on", "-pk"]
        indexes = [models.Index(fields=["unit", "disposed_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(certificate="") | models.Q(disposed_on__isnull=False),
                name="disposal_certificate_needs_disposal_date",
            ),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="disposal_quantity_positive"),
        ]

    def __str__(self) -> str:
        return self.description or f"{self.get_device_kind_display()} {self.asset_number}".strip()

    def get_absolute_url(self) -> str:
        return reverse("disposals:storagedisposal_detail", kwargs={"pk": self.pk})

    @property
    def status(self) -> str:
        if self.disposed_on is None:
            return DisposalStatus.PLANNED
        return DisposalStatus.COMPLETE if self.certificate else DisposalStatus.CERTIFICATE_MISSING

    def get_status_display(self) -> str:
        return DisposalStatus(self.status).label

    @property
    def certificate_download_name(self) -> str:
        """The name the certificate is downloaded under: the one the user gave it."""
        return self.certificate_name or f"certificate{Path(self.certificate.name).suffix}"
