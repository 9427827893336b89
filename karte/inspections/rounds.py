"""The self-inspection as a kind of survey round: every department answers the questions per system."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from karte.core.models import SurveyRound
from karte.core.rounds import RoundKind, register
from karte.inspections.models import InspectionAnswer, InspectionQuestion
from karte.systems.choices import SystemStatus
from karte.systems.models import System

KIND = "self_inspection"
BATCH = 5000
COPIED_FIELDS = ("result", "evidence")


def inspected_systems(body_id: int):
    """Return the body's systems the self-inspection asks about: those not retired, owned in a department."""
    return (
        System.objects.filter(body_id=body_id)
        .exclude(status=SystemStatus.RETIRED)
        .exclude(unit__department_id=None)
    )


@register
class InspectionRound(RoundKind):
    kind = KIND
    label = _("Self-inspection")
    answer_fields = [("result", _("result")), ("evidence", _("evidence"))]
    answers_url_name = "inspections:round_answers"

    def participating_departments(self, body_id: int):
        return inspected_systems(body_id).values_list("unit__department_id", flat=True).distinct().order_by()

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
        systems = inspected_systems(survey.body_id).values_list("pk", "unit_id", "unit__department_id")
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
