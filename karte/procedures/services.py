"""Changes to procedures and their answers in survey rounds."""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q, Sum

from karte.core import rounds
from karte.core.models import OrgUnit, SurveyRound
from karte.procedures.choices import OnlineStatus
from karte.procedures.models import Procedure, ProcedureAnswer, RoundSummary
from karte.systems.models import System

ANSWER_FIELDS = ("yearly_volume", "online_volume", "status", "target_fy", "reasons", "note")


@transaction.atomic
def refresh_summaries(survey: SurveyRound, department_ids: Iterable[int]) -> None:
    """Recompute the KPI rows of these departments in the round from their answers."""
    department_ids = list(department_ids)
    answers = ProcedureAnswer.objects.filter(round=survey, department_id__in=department_ids)
    counts = answers.values("department_id").annotate(
        procedures=Count("pk"),
        online=Count("pk", filter=Q(status=OnlineStatus.ONLINE)),
        planned=Count("pk", filter=Q(status=OnlineStatus.PLANNED)),
        later=Count("pk", filter=Q(status=OnlineStatus.LATER)),
        impossible=Count("pk", filter=Q(status=OnlineStatus.IMPOSSIBLE)),
        unanswered=Count("pk", filter=Q(status="")),
        volume=Sum("yearly_volume", default=0),
        online_volume=Sum("online_volume", default=0),
    )
    planned_by_fy: dict[int, Counter] = defaultdict(Counter)
    for department_id, fy, n in (
        answers.filter(status=OnlineStatus.PLANNED)
        .values_list("department_id", "target_fy")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        planned_by_fy[department_id][str(fy or "")] += n
    reasons: dict[int, Counter] = defaultdict(Counter)
    for department_id, given in answers.exclude(reasons=[]).values_list("department_id", "reasons"):
        reasons[department_id].update(given)
    bodies = dict(OrgUnit.objects.filter(pk__in=department_ids).values_list("pk", "body_id"))
    RoundSummary.objects.filter(round=survey, department_id__in=department_ids).delete()
    RoundSummary.objects.bulk_create(
        RoundSummary(
            round=survey,
            department_id=row["department_id"],
            body_id=bodies[row["department_id"]],
            procedures=row["procedures"],
            online=row["online"],
            planned=row["planned"],
            later=row["later"],
            impossible=row["impossible"],
            unanswered=row["unanswered"],
            volume=row["volume"],
            online_volume=row["online_volume"],
            planned_by_fy=dict(planned_by_fy[row["department_id"]]),
            reasons=dict(reasons[row["department_id"]]),
        )
        for row in counts
    )


@transaction.atomic
def save_answer(answer: ProcedureAnswer, user, **fields) -> ProcedureAnswer:
    """Change one answer while its round and department allow it; the KPIs follow."""
    participation = rounds.ensure_answerable(answer.round, answer.department_id, user)
    for name in ANSWER_FIELDS:
        if name in fields:
            setattr(answer, name, fields[name])
    if answer.status != OnlineStatus.PLANNED:
        answer.target_fy = None
    if answer.status == OnlineStatus.ONLINE:
        answer.reasons = []
    answer._history_user = user
    answer.save()
    rounds.mark_answering(participation)
    refresh_summaries(answer.round, [answer.department_id])
    return answer


def _system_name_key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name or "").split())


def link_accepting_system(procedure: Procedure) -> Procedure:
    """Link the procedure to the system karte its accepting system's name names, and return it (unsaved).

    Only when no system is chosen and exactly one system of the procedure's body has that name (full-width
    letters and spaces aside); a chosen system without a name lends the procedure its name.
    """
    if procedure.accepting_system_id is not None:
        if not procedure.accepting_system_name.strip():
            procedure.accepting_system_name = procedure.accepting_system.name
        return procedure
    key = _system_name_key(procedure.accepting_system_name)
    if not key or procedure.unit_id is None:
        return procedure
    body_id = OrgUnit.objects.filter(pk=procedure.unit_id).values_list("body_id", flat=True).first()
    # The name is compared in Python after NFKC; a body has hundreds of systems, not millions.
    matches = [
        pk
        for pk, name in System.objects.filter(unit__body_id=body_id).values_list("pk", "name")
        if _system_name_key(name) == key
    ]
    if len(matches) == 1:
        procedure.accepting_system_id = matches[0]
    return procedure
