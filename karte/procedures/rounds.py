"""Procedures as a kind of survey round: departments answer volumes, status, plans and reasons."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from karte.core.models import SurveyRound
from karte.core.rounds import RoundKind, register
from karte.procedures.models import Procedure, ProcedureAnswer, RoundSummary
from karte.procedures.services import ANSWER_FIELDS, refresh_summaries

BATCH = 5000


@register
class ProcedureRound(RoundKind):
    kind = "procedures"
    label = _("Procedures going online")
    answer_fields = [
        ("yearly_volume", _("cases a year")),
        ("online_volume", _("of which online")),
        ("status", _("online status")),
        ("target_fy", _("planned fiscal year")),
        ("reasons", _("reasons it is not online")),
    ]

    def participating_departments(self, body_id: int):
        return (
            Procedure.objects.filter(body_id=body_id)
            .exclude(unit__department_id=None)
            .values_list("unit__department_id", flat=True)
            .distinct()
            .order_by()
        )

    def prefill(self, survey: SurveyRound) -> None:
        """Create one answer per procedure of the body, copied from the previous round where it has one."""
        previous = {}
        if survey.previous_id:
            previous = {
                a.procedure_id: a
                for a in ProcedureAnswer.objects.filter(round_id=survey.previous_id).only(
                    "procedure_id", *ANSWER_FIELDS
                )
            }
        procedures = Procedure.objects.filter(body_id=survey.body_id).filter(~Q(unit__department_id=None))
        batch = []
        for procedure in (
            procedures.select_related("unit").only("pk", "unit_id", "unit__department_id").iterator()
        ):
            before = previous.get(procedure.pk)
            copied = {name: getattr(before, name) for name in ANSWER_FIELDS} if before else {}
            batch.append(
                ProcedureAnswer(
                    round=survey,
                    procedure_id=procedure.pk,
                    unit_id=procedure.unit_id,
                    department_id=procedure.unit.department_id,
                    **copied,
                )
            )
            if len(batch) >= BATCH:
                ProcedureAnswer.objects.bulk_create(batch)
                batch = []
        ProcedureAnswer.objects.bulk_create(batch)

    def answers_changed(self, survey: SurveyRound, department_ids) -> None:
        refresh_summaries(survey, department_ids)

    def answer_counts(self, survey: SurveyRound) -> dict[int, int]:
        return dict(RoundSummary.objects.filter(round=survey).values_list("department_id", "procedures"))
