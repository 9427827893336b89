"""The self-inspection as a kind of survey round: every department answers the questions per system."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from karte.core.models import SurveyRound
from karte.core.rounds import RoundKind, register
from karte.inspections.models import InspectionAnswer, InspectionQuestion
from karte.systems.selectors import departments_asked_about, systems_asked_about

KIND = "self_inspection"
BATCH = 5000
COPIED_FIELDS = ("result", "evidence")


@register
class InspectionRound(RoundKind):
    kind = KIND
    label = _("Self-inspection")
    answer_fields = [("result", _("result")), ("evidence", _("evidence"))]
    answers_url_name = "inspections:round_answers"

    def participating_departments(self, body_id: int):
        return departments_asked_about(body_id)

    def prefill(self, survey: SurveyRound) -> None:
        """One answer per system in use × active question, copied from the previous round where it has one.

        Evidence files are not copied: last year's files stay with last year's answers.
        """
        previous = {}
        if survey.previous_id:
            previous = {
                (system_id, question_id): (result, evidence)
                for system_id, question_id, result, evidence in InspectionAnswer.objects.filter(
                    round_id=survey.previous_id
                ).values_list("system_id", "question_id", *COPIED_FIELDS)
            }
        questions = list(
            InspectionQuestion.objects.filter(section__body_id=survey.body_id, active=True).values_list(
                "pk", flat=True
            )
        )
        batch = []
        systems = systems_asked_about(survey.body_id).values_list("pk", "unit_id", "unit__department_id")
        for system_id, unit_id, department_id in systems.iterator():
            for question_id in questions:
                result, evidence = previous.get((system_id, question_id), ("", ""))
                batch.append(
                    InspectionAnswer(
                        round=survey,
                        system_id=system_id,
                        question_id=question_id,
                        unit_id=unit_id,
                        department_id=department_id,
                        result=result,
                        evidence=evidence,
                    )
                )
                if len(batch) >= BATCH:
                    InspectionAnswer.objects.bulk_create(batch)
                    batch = []
        InspectionAnswer.objects.bulk_create(batch)

    def answer_counts(self, survey: SurveyRound) -> dict[int, int]:
        """Return {department id: answers given so far} (unanswered questions not counted)."""
        return dict(
            InspectionAnswer.objects.filter(round=survey)
            .values("department_id")
            .annotate(n=Count("pk", filter=~Q(result="")))
            .values_list("department_id", "n")
            .order_by()
        )
