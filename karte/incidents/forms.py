"""Forms of the incident log. Every choice a form offers is one its user may make; what comes back from the
browser is checked again (units, systems and units of the same local government)."""

from __future__ import annotations

import datetime

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from karte.core.forms import ScopedModelForm
from karte.core.models import OrgUnit
from karte.core.scoping import VIEW, assignable_units
from karte.core.uploads import AttachmentField
from karte.incidents.choices import IncidentStatus
from karte.incidents.models import Incident
from karte.systems.forms import UnitChoiceField, UnitMultipleChoiceField
from karte.systems.models import System

# Clocks of people and monitors drift a little; beyond this a detection time is a typing mistake.
FUTURE_TOLERANCE = datetime.timedelta(hours=1)
# Earlier than this a detection time is a typing mistake too, and near year 1 it cannot even be stored.
EARLIEST_DETECTION_YEAR = 1900
NOTE_MAX_LENGTH = 5000


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class SystemMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


class IncidentForm(ScopedModelForm):
    report_upload = AttachmentField(label=_("Report file"), required=False)
    remove_report = forms.BooleanField(label=_("Remove the attached report file"), required=False)

    class Meta:
        model = Incident
        fields = [
            "unit",
            "title",
            "detected_at",
            "detected_by",
            "source",
            "severity",
            "systems",
            "affected_units",
            "summary",
            "containment",
            "recovery",
            "cause",
            "report_text",
        ]
        labels = {"unit": _("Handling unit")}
        field_classes = {
            "unit": UnitChoiceField,
            "systems": SystemMultipleChoiceField,
            "affected_units": UnitMultipleChoiceField,
        }
        widgets = {
            "detected_at": DateTimeLocalInput,
            "systems": forms.SelectMultiple(attrs={"size": 8}),
            "affected_units": forms.SelectMultiple(attrs={"size": 8}),
            "summary": forms.Textarea(attrs={"rows": 5}),
            "containment": forms.Textarea(attrs={"rows": 4}),
            "recovery": forms.Textarea(attrs={"rows": 4}),
            "cause": forms.Textarea(attrs={"rows": 4}),
            "report_text": forms.Textarea(attrs={"rows": 8}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        units = assignable_units(self.user).order_by("code")
        if self.instance.pk:
            # The reference number is the body's: an incident stays in its local government.
            units = units.filter(body_id=self.instance.body_id)
        self.fields["unit"].queryset = units
        self.fields["systems"].queryset = (
            System.objects.restrict(self.user, VIEW).select_related("unit").order_by("code")
        )
        today = timezone.localdate()
        # Units abolished since they were named stay on offer, so that saving does not unlink them.
        affected = Q(valid_from__lte=today) & ~Q(valid_to__lt=today)
        if self.instance.pk:
            affected |= Q(pk__in=self.instance.affected_units.values("pk"))
        self.fields["affected_units"].queryset = (
            OrgUnit.objects.restrict(self.user, VIEW).filter(affected).order_by("code")
        )
        # The default is "now": no hidden copy of it, which would only say the field was changed.
        self.fields["detected_at"].show_hidden_initial = False
        if not self.instance.report_file:
            del self.fields["remove_report"]

    def clean_systems(self):
        # Systems of the incident the user may not see stay linked: they were never offered, so not removed.
        chosen = list(self.cleaned_data["systems"])
        if self.instance.pk:
            visible = self.fields["systems"].queryset.values("pk")
            chosen += list(self.instance.systems.exclude(pk__in=visible))
        return chosen

    def clean_detected_at(self):
        detected_at = self.cleaned_data["detected_at"]
        if detected_at and detected_at.year < EARLIEST_DETECTION_YEAR:
            raise forms.ValidationError(self.fields["detected_at"].error_messages["invalid"], code="invalid")
        if detected_at and detected_at > timezone.now() + FUTURE_TOLERANCE:
            raise forms.ValidationError(_("The time of detection is in the future."))
        return detected_at

    def clean(self):
        data = super().clean()
        unit = data.get("unit")
        if unit is not None:
            if any(system.body_id != unit.body_id for system in data.get("systems") or ()):
                self.add_error(
                    "systems", _("Every affected system must belong to the same local government.")
                )
            if any(other.body_id != unit.body_id for other in data.get("affected_units") or ()):
                self.add_error(
                    "affected_units", _("Every affected unit must belong to the same local government.")
                )
        if data.get("report_upload") and data.get("remove_report"):
            self.add_error("remove_report", _("Either attach a new report file or remove the current one."))
        return data


class TimelineEntryForm(forms.Form):
    text = forms.CharField(
        label=_("What happened or what was done"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write what happened or what was done.")},
    )


class StatusChangeForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Move the response to"),
        choices=IncidentStatus.choices,
        error_messages={"required": _("Choose the status to move the response to.")},
    )
    note = forms.CharField(
        label=_("Note for the timeline"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, incident: Incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.incident = incident
        self.fields["status"].choices = [
            (value, label) for value, label in IncidentStatus.choices if value != incident.status
        ]
