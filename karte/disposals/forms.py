"""The disposal form: every unit and system it offers is one its user may choose, and the certificate
goes through uploads.AttachmentField (type judged by content, size limit)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from karte.core.forms import DateInput, ScopedModelForm
from karte.core.scoping import VIEW, assignable_units
from karte.core.uploads import AttachmentField
from karte.disposals.models import StorageDisposal
from karte.systems.models import System


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.code} {obj.name}"


# A certificate is the contractor's PDF or a scan of the paper one.
CERTIFICATE_KINDS = frozenset({"pdf", "png", "jpg", "gif", "webp", "tif"})


class StorageDisposalForm(ScopedModelForm):
    certificate = AttachmentField(
        label=_("Disposal certificate"),
        required=False,
        kinds=CERTIFICATE_KINDS,
        widget=forms.FileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,.tif,.tiff,.gif,.webp"}),
    )

    class Meta:
        model = StorageDisposal
        fields = [
            "unit",
            "device_kind",
            "description",
            "asset_number",
            "quantity",
            "system",
            "planned_on",
            "disposed_on",
            "contractor",
            "certificate_received_on",
            "note",
        ]
        field_classes = {"unit": UnitChoiceField}
        widgets = {
            "planned_on": DateInput,
            "disposed_on": DateInput,
            "certificate_received_on": DateInput,
            "note": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "description": _("For example 業務用ノートPC (富士通 LIFEBOOK A579)."),
            "asset_number": _("The asset management number, or the serial number when there is none."),
            "system": _("The system the device belonged to, if any."),
            "certificate_received_on": _("Empty: the day the certificate is attached."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = assignable_units(self.user).order_by("code")
        # A system linked by someone who sees more stays on offer, so that saving does not unlink it.
        systems = Q(pk__in=System.objects.restrict(self.user, VIEW).values("pk"))
        if self.instance.system_id:
            systems |= Q(pk=self.instance.system_id)
        self.fields["system"].queryset = System.objects.filter(systems).order_by("code")
        # Worked out here rather than on the class, so that the language and the limit are today's.
        limits = _("PDF or a scanned image (PNG, JPEG, TIFF, GIF, WebP), up to %(mb)s MB.") % {
            "mb": settings.KARTE_UPLOAD_MAX_BYTES // (1024 * 1024)
        }
        self.fields["quantity"].widget.attrs["min"] = 1
        certificate = self.fields["certificate"]
        certificate.help_text = limits
        if self.instance.certificate:
            certificate.label = _("Replace the disposal certificate")
            certificate.help_text = _("Attached: %(name)s. Choose a file only to replace it. %(limits)s") % {
                "name": self.instance.certificate_name,
                "limits": limits,
            }

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        unit, system = data.get("unit"), data.get("system")
        planned, disposed = data.get("planned_on"), data.get("disposed_on")
        received = data.get("certificate_received_on")
        if unit and system and system.body_id != unit.body_id:
            self.add_error("system", _("The system belongs to another local government."))
        if (
            not planned
            and not disposed
            and "planned_on" not in self.errors
            and "disposed_on" not in self.errors
        ):
            self.add_error("planned_on", _("Enter the planned disposal date or the disposal date."))
        if disposed and disposed > today:
            self.add_error(
                "disposed_on", _("The disposal date is in the future: enter it as the planned disposal date.")
            )
        if not disposed and "disposed_on" not in self.errors:
            if data.get("certificate"):
                self.add_error(
                    "certificate", _("Enter the disposal date: a certificate is issued after the disposal.")
                )
            elif self.instance.certificate:
                self.add_error(
                    "disposed_on",
                    _("This disposal has its certificate: the disposal date cannot be removed."),
                )
        if received:
            if disposed and received < disposed:
                self.add_error(
                    "certificate_received_on", _("The certificate cannot arrive before the disposal.")
                )
            elif not disposed and "disposed_on" not in self.errors:
                self.add_error("certificate_received_on", _("Enter the disposal date first."))
            elif received > today:
                self.add_error("certificate_received_on", _("The date is in the future."))
        return data
