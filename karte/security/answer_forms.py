"""The form a department answers one system with in a security measures survey round."""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from karte.core.round_forms import RowAnswerForm
from karte.security.choices import Exemption, MonitoringService, OwnMeasure
from karte.security.models import MEASURE_FIELDS, SERVICE_FIELDS, ProtectionAnswer
from karte.security.rounds import EXEMPTION, INTERNET_FACING, OWN_MEASURES, SERVICES

# Which form fields each asked group of SecurityRound.answer_fields shows.
GROUPS = {
    INTERNET_FACING: ("internet_facing",),
    SERVICES: ("services",),
    OWN_MEASURES: ("own_measures", "measures_description"),
    EXEMPTION: ("exemption", "exemption_note"),
}
YES, NO = "yes", "no"


class AnswerForm(RowAnswerForm):
    """One answer's fields, limited to the groups the round asks (`asked`).

    `row_form` is the id of the <form> element of an inline table row: the inputs sit in the row's cells
    and join that form through their `form` attribute. cleaned_data holds the model's fields
    (internet_facing, the service flags, the measure flags, the texts and the exemption).
    """

    internet_facing = forms.ChoiceField(
        label=capfirst(_("internet-facing")), choices=[(YES, _("Yes")), (NO, _("No"))]
    )
    services = forms.MultipleChoiceField(
        label=capfirst(_("monitoring services")),
        choices=MonitoringService.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    own_measures = forms.MultipleChoiceField(
        label=capfirst(_("own measures")),
        choices=OwnMeasure.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    measures_description = forms.CharField(
        label=capfirst(_("own measures in detail")),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 24}),
    )
    exemption = forms.ChoiceField(
        label=capfirst(_("reason no service is needed")),
        choices=[("", "—"), *Exemption.choices],
        required=False,
    )
    exemption_note = forms.CharField(
        label=capfirst(_("exemption in detail")),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 24}),
    )

    def shown_fields(self, asked: list[str]) -> set[str]:
        # The round asks for groups of answers (services, own measures …), each one or more fields.
        return {name for group in asked for name in GROUPS.get(group, ())}

    @staticmethod
    def initial_from(answer: ProtectionAnswer) -> dict:
        return {
            "internet_facing": YES if answer.internet_facing else NO,
            "services": answer.enrolled_services,
            "own_measures": answer.own_measures,
            "measures_description": answer.measures_description,
            "exemption": answer.exemption,
            "exemption_note": answer.exemption_note,
        }

    def clean(self):
        data = super().clean()
        if (
            "own_measures" in self.fields
            and data.get("measures_description", "").strip()
            and not data.get("own_measures")
        ):
            self.add_error("own_measures", _("Choose the kinds of measure the description names."))
        if (
            "exemption" in self.fields
            and data.get("exemption_note", "").strip()
            and not data.get("exemption")
        ):
            self.add_error("exemption", _("Choose the reason the note explains."))
        return data

    def answer_values(self) -> dict:
        """Return the cleaned answer as model fields, only those of the asked groups."""
        data = self.cleaned_data
        values: dict = {}
        if "internet_facing" in self.fields:
            values["internet_facing"] = data["internet_facing"] == YES
        if "services" in self.fields:
            for service, (flag, _since) in SERVICE_FIELDS.items():
                values[flag] = service in data["services"]
        if "own_measures" in self.fields:
            for name in MEASURE_FIELDS:
                values[name] = name in data["own_measures"]
            values["measures_description"] = data["measures_description"].strip()
        if "exemption" in self.fields:
            values["exemption"] = data["exemption"]
            values["exemption_note"] = data["exemption_note"].strip() if data["exemption"] else ""
        return values
