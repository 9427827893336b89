"""The form a department answers one procedure with in a survey round."""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from karte.core.fiscal import FiscalParseError, format_fiscal_year, parse_fiscal_year
from karte.core.importing.normalize import to_int
from karte.core.round_forms import RowAnswerForm
from karte.procedures.choices import OnlineStatus, Reason
from karte.procedures.models import ProcedureAnswer


class CountField(forms.CharField):
    """A number of cases, read as the sheets read it: '1,200', '１２００' and '1200件' are all 1200."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "size": 8})

    def to_python(self, value):
        value = super().to_python(value)
        try:
            number = to_int(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if number is not None and number < 0:
            raise forms.ValidationError(_("Enter a number of 0 or more."))
        return number


class AnswerForm(RowAnswerForm):
    """One answer's fields, limited to those the round asks (`asked`).

    `row_form` is the id of the <form> element of an inline table row: the inputs sit in the row's cells
    and join that form through their `form` attribute.
    """

    yearly_volume = CountField(label=capfirst(_("cases a year")), required=False)
    online_volume = CountField(label=capfirst(_("of which online")), required=False)
    status = forms.ChoiceField(
        label=capfirst(_("online status")), choices=[("", "—"), *OnlineStatus.choices], required=False
    )
    target_fy = forms.CharField(
        label=capfirst(_("planned fiscal year")),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"size": 10}),
        help_text=_("For example 令和8年度. Only for procedures planned to go online."),
    )
    reasons = forms.MultipleChoiceField(
        label=capfirst(_("reasons it is not online")),
        choices=Reason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    @staticmethod
    def initial_from(answer: ProcedureAnswer) -> dict:
        return {
            "yearly_volume": answer.yearly_volume,
            "online_volume": answer.online_volume,
            "status": answer.status,
            "target_fy": format_fiscal_year(answer.target_fy),
            "reasons": list(answer.reasons),
        }

    def clean_target_fy(self) -> int | None:
        try:
            return parse_fiscal_year(self.cleaned_data["target_fy"])
        except FiscalParseError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        data = super().clean()
        yearly, online = data.get("yearly_volume"), data.get("online_volume")
        if yearly is not None and online is not None and online > yearly:
            self.add_error("online_volume", _("The online cases cannot exceed the cases a year."))
        if (
            "target_fy" in self.fields
            and data.get("status") == OnlineStatus.PLANNED
            and data.get("target_fy") is None
            and "target_fy" not in self.errors
        ):
            self.add_error("target_fy", _("Enter the fiscal year it is planned to go online."))
        return data
