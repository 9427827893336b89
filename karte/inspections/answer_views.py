"""Answering a self-inspection round: a department's systems with their progress, one system's
questionnaire, and submitting.

The round's answers page and submitting are core.round_answers'; here are what is the inspections'
own: the rows (each system's progress and score) and one system's questionnaire. Answers are read
through `InspectionAnswer.objects.restrict(user, VIEW)` and changed only when `restrict(user, CHANGE)`
reaches them and the round lets the department answer (core.rounds); every change goes through
services.save_answers, so a closed or submitted round never changes.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from karte.core import round_answers, rounds
from karte.core.generic import ScopeRequiredMixin
from karte.core.models import RoundParticipation
from karte.core.round_answers import refusal, round_breadcrumbs, round_notice
from karte.core.scoping import CHANGE, VIEW, scope_for
from karte.inspections import selectors, services
from karte.inspections.choices import InspectionResult
from karte.inspections.forms import QuestionnaireForm
from karte.inspections.models import InspectionAnswer, InspectionEvidence
from karte.inspections.rounds import KIND
from karte.systems.models import System


class InspectionsRoundMixin(round_answers.RoundAnswersMixin):
    kind = KIND
    answer_model = InspectionAnswer
    app = "inspections"


class RoundAnswersView(InspectionsRoundMixin, round_answers.RoundAnswersView):
    """A department's systems in a round: how far each is answered and its score, with links to answer."""

    template_name = "inspections/round_answers.html"

    def answers_context(self, may_edit):
        rows = []
        if self.participation is not None:
            answers = self.answers_in(self.survey, self.participation.department_id)
            scores = {s.key: s for s in selectors.system_scores(answers)}
            for score in scores.values():
                score.extra["url"] = reverse(
                    "inspections:system_answers", kwargs={"pk": self.survey.pk, "system_pk": score.key}
                )
                score.extra["progress"] = round(100 * score.answered / score.total) if score.total else 0
            rows = list(scores.values())
        return {"rows": rows, "unanswered": sum(row.unanswered for row in rows)}


class SystemAnswersView(InspectionsRoundMixin, ScopeRequiredMixin, TemplateView):
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
        return redirect(self.back_url(self.survey, self.department_id))

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
        back = self.back_url(survey, self.department_id)
        counts = selectors.overall_score(selectors.answers_for(user, survey).filter(system_id=self.system.pk))
        notice = None
        if participation:
            office_corrects = editable and scope_for(user).is_office
            notice = round_notice(survey, participation, office_corrects=office_corrects)
        return {
            **super().get_context_data(**kwargs),
            "survey": survey,
            "system": self.system,
            "participation": participation,
            "notice": notice,
            "score": counts,
            "action_url": action_url,
            "not_implemented": InspectionResult.NOT_IMPLEMENTED,
            "cancel_url": back,
            "title": str(self.system),
            "breadcrumbs": round_breadcrumbs(survey, (_("Answers"), back), (str(self.system), None)),
        }

    def system_changeable(self) -> bool:
        return System.objects.restrict(self.request.user, CHANGE).filter(pk=self.system.pk).exists()


class RoundSubmitView(InspectionsRoundMixin, round_answers.RoundSubmitView):
    pass
