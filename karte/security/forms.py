"""Forms of the security posture: a system's protection profile."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from karte.core.forms import DateInput, ScopedModelForm
from karte.security.choices import OwnMeasure
from karte.security.models import MEASURE_FIELDS, PROTECTION_FIELDS, SERVICE_FIELDS, ProtectionProfile


class ProtectionProfileForm(ScopedModelForm):
    """Whether the system faces the internet, and how it is protected; saving confirms the profile."""

    internet_facing = forms.BooleanField(
        label=_("Internet-facing"),
        required=False,
        help_text=_("Reachable from the internet (a public website, an online application, remote access)."),
    )

    class Meta:
        model = ProtectionProfile
        fields = PROTECTION_FIELDS
        widgets = {since: DateInput for _flag, since in SERVICE_FIELDS.values()}

    def __init__(self, *args, system, **kwargs):
        super().__init__(*args, **kwargs)
        self.system = system
        self.fields["internet_facing"].initial = system.internet_facing
        self.fields["exemption"].help_text = _(
            "Only for an internet-facing system in no monitoring service and without own measures."
        )
        self.fields["measures_description"].help_text = _("Required when “other measures” is chosen.")
        self.fields["exemption_note"].help_text = _(
            "Required when a reason is chosen: who is responsible, which service, or why it is not reachable."
        )
        for name in ("measures_description", "exemption_note"):
            self.fields[name].widget.attrs["rows"] = 3

    # Groups of the page: (heading, field names).
    @property
    def groups(self) -> list[tuple[str, list]]:
        services = [name for pair in SERVICE_FIELDS.values() for name in pair]
        return [
            (_("Exposure"), [self["internet_facing"]]),
            (_("Monitoring services"), [self[name] for name in services]),
            (_("Own measures"), [self[name] for name in [*MEASURE_FIELDS, "measures_description"]]),
            (_("Exemption"), [self["exemption"], self["exemption_note"]]),
        ]

    def clean(self):
        data = super().clean()
        for flag, since in SERVICE_FIELDS.values():
            if data.get(since) and not data.get(flag):
                self.add_error(
                    since, _("Enter the date the service started only when the system is enrolled in it.")
                )
        if data.get(OwnMeasure.OTHER) and not (data.get("measures_description") or "").strip():
            self.add_error("measures_description", _("Describe the other measures."))
        if data.get("exemption") and not (data.get("exemption_note") or "").strip():
            self.add_error("exemption_note", _("Explain the reason no monitoring service is needed."))
        return data

    def answers(self) -> dict:
        """The cleaned answers as services.save_profile takes them."""
        return {name: self.cleaned_data[name] for name in ["internet_facing", *PROTECTION_FIELDS]}
