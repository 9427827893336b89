"""Forms of the self-inspection: the question set, the questionnaire of one system, follow-up actions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from karte.core.choices import OrgUnitKind
from karte.core.forms import DateInput, ScopedModelForm
from karte.core.models import OrgUnit, SurveyRound
from karte.core.scoping import CHANGE, VIEW, assignable_units, scope_for
from karte.core.uploads import AttachmentField
from karte.inspections.choices import InspectionResult
from karte.inspections.models import FollowUpAction, InspectionAnswer, InspectionQuestion, InspectionSection
from karte.inspections.rounds import KIND
from karte.inspections.services import AnswerChange
from karte.systems.models import System

EVIDENCE_MAX_CHARS = 2000


class InspectionSectionForm(ScopedModelForm):
    """The office's own body is the section's; only a superuser, who has none, chooses it."""

    class Meta:
        model = InspectionSection
        fields = ["body", "order", "name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if scope_for(self.user).everything and not self.instance.pk:
            self.fields["body"].queryset = OrgUnit.objects.filter(kind=OrgUnitKind.BODY).order_by("code")
        else:
            del self.fields["body"]

    def clean(self):
        data = super().clean()
        body_id = self.instance.body_id or (data.get("body").pk if data.get("body") else None)
        body_id = body_id or scope_for(self.user).body_id
        name = data.get("name")
        clash = InspectionSection.objects.filter(body_id=body_id, name=name).exclude(pk=self.instance.pk)
        if name and clash.exists():
            self.add_error("name", _("A section with this name already exists."))
        return data


class InspectionQuestionForm(ScopedModelForm):
    class Meta:
        model = InspectionQuestion
        fields = ["section", "order", "text", "guidance", "active"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3}), "guidance": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = InspectionSection.objects.restrict(
            self.user, CHANGE
        ).select_related("body")


class QuestionnaireForm(forms.Form):
    """One system's answers in a round: per answer a result (radio), evidence text and an evidence file.

    Fields are named after the answer's pk (result_12, evidence_12, file_12), so a forged field of an
    answer that is not on the form is simply ignored.
    """

    def __init__(self, *args, answers: list[InspectionAnswer], disabled: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.answers = answers
        for answer in answers:
            question = answer.question
            self.fields[f"result_{answer.pk}"] = forms.ChoiceField(
                label=question.text,
                help_text=question.guidance,
                choices=[("", _("Not answered yet")), *InspectionResult.choices],
                required=False,
                initial=answer.result,
                widget=forms.RadioSelect,
                disabled=disabled,
            )
            self.fields[f"evidence_{answer.pk}"] = forms.CharField(
                label=_("Evidence (what shows it, where it is kept)"),
                required=False,
                initial=answer.evidence,
                max_length=EVIDENCE_MAX_CHARS,
                widget=forms.Textarea(attrs={"rows": 2}),
                disabled=disabled,
            )
            if not disabled:
                self.fields[f"file_{answer.pk}"] = AttachmentField(
                    label=_("Attach an evidence file"), required=False
                )

    def groups(self) -> list[tuple[InspectionSection, list[dict]]]:
        """Return [(section, [{answer, result, evidence, file}])] in the order of sections and questions."""
        groups: list[tuple[InspectionSection, list[dict]]] = []
        for answer in self.answers:
            section = answer.question.section
            if not groups or groups[-1][0].pk != section.pk:
                groups.append((section, []))
            groups[-1][1].append(
                {
                    "answer": answer,
                    "result": self[f"result_{answer.pk}"],
                    "evidence": self[f"evidence_{answer.pk}"],
                    "file": self[f"file_{answer.pk}"] if f"file_{answer.pk}" in self.fields else None,
                }
            )
        return groups

    def changes(self) -> list[AnswerChange]:
        data = self.cleaned_data
        return [
            AnswerChange(
                answer=answer,
                result=data.get(f"result_{answer.pk}", ""),
                evidence=data.get(f"evidence_{answer.pk}", "").strip(),
                upload=data.get(f"file_{answer.pk}") or None,
            )
            for answer in self.answers
        ]


class FollowUpActionForm(ScopedModelForm):
    """Units, systems, questions and rounds are limited to those the user may use."""

    class Meta:
        model = FollowUpAction
        fields = [
            "system",
            "unit",
            "question",
            "round",
            "description",
            "person_in_charge",
            "due_on",
            "done_on",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "due_on": DateInput,
            "done_on": DateInput,
        }
        help_texts = {
            "unit": _("The section that carries the action out, in the system's department."),
            "done_on": _("Empty until the action is done."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = assignable_units(self.user).order_by("code")
        self.fields["system"].queryset = (
            System.objects.restrict(self.user, CHANGE).select_related("unit").order_by("code")
        )
        self.fields["question"].queryset = InspectionQuestion.objects.restrict(
            self.user, VIEW
        ).select_related("section")
        self.fields["round"].queryset = SurveyRound.objects.restrict(self.user, VIEW).filter(kind=KIND)

    def clean(self):
        data = super().clean()
        system, unit = data.get("system"), data.get("unit")
        if system is not None and unit is not None and unit.department_id != system.unit.department_id:
            self.add_error("unit", _("Choose a unit of the system's department."))
        if system is not None:
            question, survey = data.get("question"), data.get("round")
            if question is not None and question.section.body_id != system.body_id:
                self.add_error("question", _("Choose a question of the system's local government."))
            if survey is not None and survey.body_id != system.body_id:
                self.add_error("round", _("Choose a round of the system's local government."))
        return data


class ResultsForm(forms.Form):
    """The ?round= and ?department= of the results page; departments only for who reads the whole body."""

    round = forms.ModelChoiceField(
        label=_("Survey round"), queryset=SurveyRound.objects.none(), required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("All departments"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["round"].queryset = (
            SurveyRound.objects.restrict(user, VIEW).filter(kind=KIND).order_by("-fiscal_year", "-opened_at")
        )
        self.fields["round"].empty_label = None
        if scope_for(user).reads_whole_body:
            self.fields["department"].queryset = OrgUnit.objects.restrict(user, VIEW).filter(
                kind=OrgUnitKind.DEPARTMENT
            )
        else:
            del self.fields["department"]
        for field in self.fields.values():
            field.widget.attrs["data-autosubmit"] = ""
