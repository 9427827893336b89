"""The office's form for opening a survey round of any registered kind, and the base of the forms with
which departments answer one record of a round (on its own page or as an htmx table row)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from karte.core.choices import OrgUnitKind
from karte.core.fiscal import FiscalParseError, parse_fiscal_year
from karte.core.forms import DateInput
from karte.core.models import OrgUnit, SurveyRound
from karte.core.rounds import round_kind, round_kinds
from karte.core.scoping import VIEW, scope_for


class RoundOpenForm(forms.Form):
    """Name, registry, fiscal year, deadline, the fields departments answer and the round to copy from.

    The round is opened for the office's own body; a system administrator, who belongs to no body,
    chooses one.
    """

    name = forms.CharField(label=_("Name"), max_length=100)
    body = forms.ModelChoiceField(label=_("Local government"), queryset=OrgUnit.objects.none())
    kind = forms.ChoiceField(label=_("Registry"))
    fiscal_year = forms.CharField(
        label=_("Fiscal year"), max_length=20, help_text=_("For example 令和7年度 or 2025.")
    )
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=DateInput)
    fields = forms.MultipleChoiceField(
        label=_("Fields departments answer"), widget=forms.CheckboxSelectMultiple
    )
    previous = forms.ModelChoiceField(
        label=_("Previous round"),
        queryset=SurveyRound.objects.none(),
        required=False,
        help_text=_("Answers are pre-filled from this round. Empty: the latest round of the registry."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        scope = scope_for(user)
        kinds = round_kinds()
        self.fields["kind"].choices = [(k.kind, k.label) for k in kinds]
        if len(kinds) == 1:
            self.fields["kind"].initial = kinds[0].kind
        # Field names may repeat across registries: one checkbox each, checked in clean().
        several = len(kinds) > 1
        choices: dict[str, str] = {}
        for spec in kinds:
            for name, label in spec.answer_fields:
                choices.setdefault(name, f"{spec.label}: {label}" if several else label)
        self.fields["fields"].choices = list(choices.items())
        if not self.is_bound and len(kinds) == 1:
            self.initial.setdefault("fields", [name for name, _label in kinds[0].answer_fields])
        self.fields["previous"].queryset = SurveyRound.objects.restrict(user, VIEW).select_related("body")
        if scope.body_id is None:
            self.fields["body"].queryset = OrgUnit.objects.filter(kind=OrgUnitKind.BODY).order_by("code")
        else:
            del self.fields["body"]
            self.body = OrgUnit.objects.get(pk=scope.body_id)

    def clean_fiscal_year(self) -> int:
        try:
            value = parse_fiscal_year(self.cleaned_data["fiscal_year"])
        except FiscalParseError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if value is None:
            raise forms.ValidationError(_("Enter the fiscal year."))
        return value

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        body = data.get("body", getattr(self, "body", None))
        if kind and data.get("fields"):
            allowed = {name for name, _label in round_kind(kind).answer_fields}
            if not set(data["fields"]) <= allowed:
                self.add_error("fields", _("Choose only fields of the chosen registry."))
        previous = data.get("previous")
        if (
            previous is not None
            and kind
            and (previous.kind != kind or previous.body_id != getattr(body, "pk", None))
        ):
            self.add_error(
                "previous", _("The previous round must be of the same registry and local government.")
            )
        name = data.get("name")
        taken = SurveyRound.objects.filter(body=body, kind=kind, name=name)
        if name and kind and body is not None and taken.exists():
            self.add_error("name", _("A round of this registry already has this name."))
        data["body"] = body
        return data


class RowAnswerForm(forms.Form):
    """One record's answer in a round: only the fields the round asks, each field tied to the row's own
    <form> (`row_form`, an HTML id) when it is edited inside a table row.

    Subclasses declare their fields and `initial_from(answer)`; `shown_fields(asked)` maps the round's
    asked fields to form fields where they differ.
    """

    def __init__(self, *args, answer, asked: list[str], row_form: str | None = None, **kwargs):
        if row_form:
            kwargs.setdefault("auto_id", f"{row_form}-%s")
        super().__init__(*args, initial=self.initial_from(answer), **kwargs)
        shown = self.shown_fields(asked)
        for name in list(self.fields):
            if name not in shown:
                del self.fields[name]
        if row_form:
            for field in self.fields.values():
                field.widget.attrs["form"] = row_form
                field.help_text = ""
                # In a table row the column header is the only visible label, and there is no room for help.
                if not getattr(field.widget, "allow_multiple_selected", False):
                    field.widget.attrs["aria-label"] = str(field.label)

    @staticmethod
    def initial_from(answer) -> dict:
        raise NotImplementedError

    def shown_fields(self, asked: list[str]) -> set[str]:
        return set(asked)
