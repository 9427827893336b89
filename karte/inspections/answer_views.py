"""Answering a self-inspection round: a department's systems with their progress, one system's
questionnaire, and submitting.

Answers are read through `InspectionAnswer.objects.restrict(user, VIEW)` and changed only when
`restrict(user, CHANGE)` reaches them and the round lets the department answer (core.rounds); every
change goes through services.save_answers, so a closed or submitted round never changes.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from karte.core import rounds
from karte.core.choices import ParticipationStatus
from karte.core.generic import ScopeRequiredMixin
from karte.core.models import RoundParticipation, SurveyRound
from karte.core.scoping import CHANGE, VIEW, scope_for
from karte.inspections import selectors, services
from karte.inspections.choices import InspectionResult
from karte.inspections.forms import QuestionnaireForm
from karte.inspections.models import InspectionEvidence
from karte.systems.models import System


def chosen_department(request) -> int | None:
    """Return the department the page is about: the user's own, or for the office ?department= (or POST)."""
    scope = scope_for(request.user)
    if not scope.reads_whole_body:
        return scope.department_id
    raw = request.POST.get("department") if request.method == "POST" else request.GET.get("department")
    try:
        return int(raw) if raw else None
    except ValueError:
        raise Http404 from None


def refusal(survey: SurveyRound, department_id: int, user) -> str | None:
    """Return why the user may not change the department's answers now, None if they may."""
    try:
        rounds.ensure_answerable(survey, department_id, user)
    except rounds.RoundRefused as exc:
        return str(exc)
    return None


def answers_page_url(survey: SurveyRound, department_id: int | None = None) -> str:
    url = reverse("inspections:round_answers", kwargs={"pk": survey.pk})
    return f"{url}?department={department_id}" if department_id else url


def notice(survey: SurveyRound, participation: RoundParticipation, *, office_corrects: bool):
    """Return (alert level, text): why the answers are read-only, or what state they are in."""
    if not survey.is_open:
        return "info", _("This round is closed. Its answers are a fixed record and can only be viewed.")
    if participation.status == ParticipationStatus.SUBMITTED:
        if office_corrects:
            return "info", _(
                "This department has submitted its answer. As the office you can still correct it, "
                "or send it back to the department from the round's page."
            )
        return "success", _(
            "This department's answer has been submitted and can no longer be changed. "
            "To change it, ask the digital administration office to send it back."
        )
    if participation.status == ParticipationStatus.REOPENED:
        return "warning", _("The office has sent this answer back. Correct it and submit it again.")
    return None


def round_crumbs(survey: SurveyRound) -> list[tuple[str, str | None]]:
    return [
        (_("Survey rounds"), reverse("core:round_list")),
        (survey.name, reverse("core:round_detail", kwargs={"pk": survey.pk})),
    ]


class RoundAnswersView(ScopeRequiredMixin, TemplateView):
    """A department's systems in a round: how far each is answered and its score, with links to answer."""

    template_name = "inspections/round_answers.html"

    def get(self, request, *args, **kwargs):
        self.survey = get_object_or_404(selectors.inspection_rounds(request.user), pk=kwargs["pk"])
        self.department_id = chosen_department(request)
        self.participation = None
        if self.department_id is not None:
            self.participation = (
                RoundParticipation.objects.restrict(request.user, VIEW)
                .filter(round=self.survey, department_id=self.department_id)
                .select_related("department", "submitted_by")
                .first()
            )
            if self.participation is None and scope_for(request.user).reads_whole_body:
                raise Http404
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user = self.request.user
        survey = self.survey
        participation = self.participation
        rows = []
        may_edit = may_submit = False
        message = None
        if participation is not None:
            department_id = participation.department_id
            answers = selectors.answers_for(user, survey, department_id)
            scores = {s.key: s for s in selectors.system_scores(answers)}
            for score in scores.values():
                score.extra["url"] = reverse(
                    "inspections:system_answers", kwargs={"pk": survey.pk, "system_pk": score.key}
                )
                score.extra["progress"] = round(100 * score.answered / score.total) if score.total else 0
            rows = list(scores.values())
            may_change = selectors.answers_for(user, survey, department_id, CHANGE).exists()
            refused = refusal(survey, department_id, user) if may_change else None
            may_edit = may_change and refused is None
            may_submit = may_edit and participation.status != ParticipationStatus.SUBMITTED
            message = notice(survey, participation, office_corrects=may_edit and scope_for(user).is_office)
        return {
            **super().get_context_data(**kwargs),
            "survey": survey,
            "participation": participation,
            "department_choices": self.department_choices() if scope_for(user).reads_whole_body else None,
            "department_id": self.department_id,
            "rows": rows,
            "unanswered": sum(row.unanswered for row in rows),
            "may_edit": may_edit,
            "may_submit": may_submit,
            "notice": message,
            "title": survey.name,
            "breadcrumbs": [*round_crumbs(survey), (_("Answers"), None)],
        }

    def department_choices(self):
        return (
            RoundParticipation.objects.restrict(self.request.user, VIEW)
            .filter(round=self.survey)
            .select_related("department")
        )


class SystemAnswersView(ScopeRequiredMixin, TemplateView):
    """One system's questionnaire: every question by section, in one form (GET shows, POST saves)."""

    template_name = "inspections/system_answers.html"

    def load(self, action: str = VIEW) -> list:
        user = self.request.user
        self.survey = get_object_or_404(selectors.inspection_rounds(user), pk=self.kwargs["pk"])
        answers = list(
            selectors.answers_for(user, self.survey, action=action)
            .filter(system_id=self.kwargs["system_pk"])
            .select_related("system", "question", "question__section", "department", "answered_by")
            .order_by("question__section__order", "question__section__name", "question__order", "question_id")
        )
        if not answers:
            raise Http404
        self.answers = answers
        self.system = answers[0].system
        self.department_id = answers[0].department_id
        return answers

    def may_edit(self) -> tuple[bool, str | None]:
        user = self.request.user
        may_change = (
            scope_for(user).may_write
            and selectors.answers_for(user, self.survey, action=CHANGE)
            .filter(system_id=self.system.pk)
            .exists()
        )
        if not may_change:
            return False, None
        refused = refusal(self.survey, self.department_id, user)
        return refused is None, refused

    def get(self, request, *args, **kwargs):
        self.load()
        editable, _refused = self.may_edit()
        form = QuestionnaireForm(answers=self.answers, disabled=not editable)
        return self.render_to_response(self.get_context_data(form=form, editable=editable))

    def post(self, request, *args, **kwargs):
        if not scope_for(request.user).may_write:
            raise PermissionDenied
        self.load(CHANGE)
        refused = refusal(self.survey, self.department_id, request.user)
        if refused:
            messages.error(request, refused)
            return redirect(request.path)
        form = QuestionnaireForm(request.POST, request.FILES, answers=self.answers)
        if not form.is_valid():
            context = self.get_context_data(form=form, editable=True)
            return self.render_to_response(context, status=400)
        try:
            changed = services.save_answers(self.answers, form.changes(), request.user)
        except rounds.RoundRefused as exc:
            messages.error(request, str(exc))
            return redirect(request.path)
        messages.success(
            request,
            _("Saved: %(count)d answers of %(system)s changed.") % {"count": changed, "system": self.system},
        )
        whole_body = scope_for(request.user).reads_whole_body
        return redirect(answers_page_url(self.survey, self.department_id if whole_body else None))

    def get_context_data(self, **kwargs):
        user = self.request.user
        survey = self.survey
        participation = (
            RoundParticipation.objects.filter(round=survey, department_id=self.department_id)
            .select_related("department")
            .first()
        )
        editable = kwargs.get("editable", False)
        files: dict[int, list] = {}
        for evidence in InspectionEvidence.objects.restrict(user, VIEW).filter(
            answer__in=[a.pk for a in self.answers]
        ):
            files.setdefault(evidence.answer_id, []).append(evidence)
        for answer in self.answers:
            answer.evidence_files = files.get(answer.pk, [])
        may_add_action = scope_for(user).may_write and any(
            a.result == InspectionResult.NOT_IMPLEMENTED for a in self.answers
        )
        action_url = None
        if may_add_action and self.system_changeable():
            base = reverse("inspections:followupaction_add")
            action_url = f"{base}?system={self.system.pk}&round={survey.pk}&question="
        whole_body = scope_for(user).reads_whole_body
        back = answers_page_url(survey, self.department_id if whole_body else None)
        counts = selectors.overall_score(selectors.answers_for(user, survey).filter(system_id=self.system.pk))
        return {
            **super().get_context_data(**kwargs),
            "survey": survey,
            "system": self.system,
            "participation": participation,
            "notice": notice(survey, participation, office_corrects=editable and scope_for(user).is_office)
            if participation
            else None,
            "score": counts,
            "action_url": action_url,
            "not_implemented": InspectionResult.NOT_IMPLEMENTED,
            "cancel_url": back,
            "title": str(self.system),
            "breadcrumbs": [*round_crumbs(survey), (_("Answers"), back), (str(self.system), None)],
        }

    def system_changeable(self) -> bool:
        return System.objects.restrict(self.request.user, CHANGE).filter(pk=self.system.pk).exists()


class RoundSubmitView(ScopeRequiredMixin, View):
    """A department hands in its answers (the office may do so on a department's behalf)."""

    scope_test = "may_write"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        survey = get_object_or_404(selectors.inspection_rounds(request.user), pk=kwargs["pk"])
        department_id = chosen_department(request)
        if department_id is None:
            raise Http404
        participation = get_object_or_404(
            RoundParticipation.objects.restrict(request.user, VIEW), round=survey, department_id=department_id
        )
        if not selectors.answers_for(request.user, survey, department_id, CHANGE).exists():
            raise Http404
        try:
            rounds.submit(survey, department_id, request.user)
        except rounds.RoundRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("The answer of %(department)s has been submitted.")
                % {"department": participation.department},
            )
        whole_body = scope_for(request.user).reads_whole_body
        return redirect(answers_page_url(survey, department_id if whole_body else None))
