"""Forms of the procedures module: the inventory, support cases and their hearings, form templates, and
the choices of the KPI page. Every choice a form offers is one its user may make."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from karte.core.choices import OrgUnitKind
from karte.core.forms import DateInput, ScopedModelForm
from karte.core.models import OrgUnit, SurveyRound
from karte.core.scoping import CHANGE, VIEW, assignable_units, scope_for
from karte.procedures.choices import SupportStatus
from karte.procedures.models import FormTemplate, Hearing, Procedure, SupportCase
from karte.systems.models import System

ROUND_KIND = "procedures"
DEFAULT_TOP = 20
MAX_TOP = 200


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.code} {obj.name}"


class ProcedureChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        department = obj.unit.department.name if obj.unit.department_id else ""
        return f"{obj} ({department})" if department else str(obj)


class ProcedureForm(ScopedModelForm):
    class Meta:
        model = Procedure
        fields = [
            "unit",
            "code",
            "name",
            "legal_basis",
            "kind",
            "by_residents",
            "by_businesses",
            "by_municipalities",
            "has_attachments",
            "has_fee",
            "payment_method",
            "accepting_system_name",
            "accepting_system",
            "form_template",
            "note",
        ]
        field_classes = {"unit": UnitChoiceField}
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "accepting_system_name": _(
                "For example 大阪府行政オンラインシステム. Linked to its system karte when one has this name."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = assignable_units(self.user).order_by("code")
        self.fields["accepting_system"].queryset = System.objects.restrict(self.user, VIEW).order_by("code")
        self.fields["form_template"].queryset = FormTemplate.objects.restrict(self.user, VIEW)

    def clean(self):
        data = super().clean()
        unit, code = data.get("unit"), data.get("code")
        if unit and code:
            clash = Procedure.objects.filter(body_id=unit.body_id, code=code).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("code", _("This procedure ID is already used in the same local government."))
        if unit:
            system, template = data.get("accepting_system"), data.get("form_template")
            if system and system.unit.body_id != unit.body_id:
                self.add_error("accepting_system", _("The system belongs to another local government."))
            if template and template.body_id != unit.body_id:
                self.add_error("form_template", _("The template belongs to another local government."))
        return data


class SupportCaseForm(ScopedModelForm):
    class Meta:
        model = SupportCase
        fields = [
            "unit",
            "title",
            "procedures",
            "status",
            "proposal",
            "proposal_detail",
            "next_steps",
            "went_live_on",
        ]
        field_classes = {"unit": UnitChoiceField, "procedures": ProcedureChoiceField}
        widgets = {
            "went_live_on": DateInput,
            "proposal_detail": forms.Textarea(attrs={"rows": 4}),
            "next_steps": forms.Textarea(attrs={"rows": 3}),
            "procedures": forms.SelectMultiple(attrs={"size": 10}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = assignable_units(self.user).order_by("code")
        self.fields["procedures"].queryset = (
            Procedure.objects.restrict(self.user, VIEW)
            .select_related("unit", "unit__department")
            .order_by("unit__department__code", "code", "name")
        )

    def clean_procedures(self):
        # Procedures of the case the user may not see stay linked: they were never offered, so not removed.
        chosen = list(self.cleaned_data["procedures"])
        if self.instance.pk:
            visible = self.fields["procedures"].queryset.values("pk")
            chosen += list(self.instance.procedures.exclude(pk__in=visible))
        return chosen

    def clean(self):
        data = super().clean()
        unit = data.get("unit")
        if unit and any(p.body_id != unit.body_id for p in data.get("procedures") or ()):
            self.add_error("procedures", _("Every procedure must belong to the same local government."))
        if data.get("status") == SupportStatus.LIVE and not data.get("went_live_on"):
            self.add_error("went_live_on", _("Give the date it went online."))
        return data


class HearingForm(ScopedModelForm):
    class Meta:
        model = Hearing
        fields = ["case", "held_on", "attendees", "current_workflow", "issues_found"]
        widgets = {
            "held_on": DateInput,
            "current_workflow": forms.Textarea(attrs={"rows": 5}),
            "issues_found": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = SupportCase.objects.restrict(self.user, CHANGE).order_by("-pk")


class FormTemplateForm(ScopedModelForm):
    """The office's own body is the template's; only a superuser, who has none, chooses it."""

    class Meta:
        model = FormTemplate
        fields = ["body", "name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if scope_for(self.user).everything and not self.instance.pk:
            self.fields["body"].queryset = OrgUnit.objects.filter(kind=OrgUnitKind.BODY).order_by("code")
        else:
            del self.fields["body"]


class KpiForm(forms.Form):
    """The ?round=, ?department= and ?top= of the KPI page. Departments only for who reads the whole body."""

    round = forms.ModelChoiceField(
        label=_("Survey round"), queryset=SurveyRound.objects.none(), required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("All departments"),
    )
    top = forms.IntegerField(
        label=_("Priority list size"), min_value=1, max_value=MAX_TOP, required=False, initial=DEFAULT_TOP
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope_for(user)
        self.fields["round"].queryset = SurveyRound.objects.restrict(user, VIEW).filter(kind=ROUND_KIND)
        self.fields["round"].empty_label = None
        if self.scope.reads_whole_body:
            self.fields["department"].queryset = OrgUnit.objects.restrict(user, VIEW).filter(
                kind=OrgUnitKind.DEPARTMENT
            )
        else:
            del self.fields["department"]
        for name in ("round", "department"):
            if name in self.fields:
                self.fields[name].widget.attrs["data-autosubmit"] = ""
