"""Reads of the self-inspection: the rounds a user sees, answers, scores and the dashboard's figures.

Scores follow one rule: implemented 1 point, partly implemented 0.5, not implemented 0; not applicable
answers are left out, and so are unanswered ones, which are counted apart. score % = points / applicable
answered. Every read starts from `restrict()`, so a department sees only its own systems' scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, Count, IntegerField, Q, Sum, When
from django.urls import reverse
from django.utils import timezone

from karte.core.models import SurveyRound
from karte.core.scoping import VIEW
from karte.inspections.choices import DOUBLED_POINTS, InspectionResult
from karte.inspections.models import FollowUpAction, InspectionAnswer
from karte.inspections.rounds import KIND

SCORED = [InspectionResult.IMPLEMENTED, InspectionResult.PARTLY, InspectionResult.NOT_IMPLEMENTED]
WEAKEST_SHOWN = 10


def inspection_rounds(user):
    """Return the self-inspection rounds the user may see, newest first."""
    return SurveyRound.objects.restrict(user, VIEW).filter(kind=KIND).order_by("-fiscal_year", "-opened_at")


def answers_for(user, survey: SurveyRound, department_id: int | None = None, action: str = VIEW):
    """Return the round's answers the user may see (or change), of one department or, if None, of all."""
    answers = InspectionAnswer.objects.restrict(user, action).filter(round=survey)
    if department_id is not None:
        answers = answers.filter(department_id=department_id)
    return answers


@dataclass
class Score:
    """Counts of one group of answers (a section, a department, a question, a system) and its score."""

    label: str
    doubled_points: int = 0
    applicable: int = 0
    not_implemented: int = 0
    not_applicable: int = 0
    unanswered: int = 0
    total: int = 0
    key: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def points(self) -> Decimal:
        return Decimal(self.doubled_points) / 2

    @property
    def percent(self) -> Decimal | None:
        """The score in %, one decimal; None when no answer counts (all unanswered or not applicable)."""
        if not self.applicable:
            return None
        value = Decimal(self.doubled_points * 100) / Decimal(self.applicable * 2)
        return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def answered(self) -> int:
        return self.total - self.unanswered


def _counts():
    points = Case(
        *(When(result=result, then=value) for result, value in DOUBLED_POINTS.items()),
        default=0,
        output_field=IntegerField(),
    )
    return {
        "doubled_points": Sum(points, default=0),
        "applicable": Count("pk", filter=Q(result__in=SCORED)),
        "not_implemented": Count("pk", filter=Q(result=InspectionResult.NOT_IMPLEMENTED)),
        "not_applicable": Count("pk", filter=Q(result=InspectionResult.NOT_APPLICABLE)),
        "unanswered": Count("pk", filter=Q(result="")),
        "total": Count("pk"),
    }


COUNT_NAMES = ("doubled_points", "applicable", "not_implemented", "not_applicable", "unanswered", "total")


def overall_score(answers, label: str = "") -> Score:
    row = answers.aggregate(**_counts())
    return Score(label, **{name: row[name] or 0 for name in COUNT_NAMES})


def _grouped(answers, key: str, label: str, *extra: str) -> list[Score]:
    rows = answers.values(key, label, *extra).annotate(**_counts()).order_by()
    return [
        Score(
            row[label],
            key=row[key],
            extra={name: row[name] for name in extra},
            **{name: row[name] for name in COUNT_NAMES},
        )
        for row in rows
    ]


def section_scores(answers) -> list[Score]:
    """Return the score of each section of the questions, in the sections' order."""
    scores = _grouped(answers, "question__section_id", "question__section__name", "question__section__order")
    return sorted(scores, key=lambda s: (s.extra["question__section__order"], s.label))


def department_scores(answers) -> list[Score]:
    """Return the score of each department, in the order of their codes."""
    scores = _grouped(answers, "department_id", "department__name", "department__code")
    return sorted(scores, key=lambda s: (s.extra["department__code"], s.label))


def system_scores(answers) -> list[Score]:
    """Return each system's score (label "code name"), in the order of the system IDs."""
    scores = _grouped(answers, "system_id", "system__name", "system__code", "department__name")
    for score in scores:
        score.label = f"{score.extra['system__code']} {score.label}"
    return sorted(scores, key=lambda s: s.extra["system__code"])


def weakest_questions(answers, limit: int = WEAKEST_SHOWN) -> list[Score]:
    """Return the questions with the lowest scores, weakest first.

    Ties go to the question more systems answered 未実施 (not implemented), then to the questions' order.
    Questions no system could be scored on (all unanswered or not applicable) are left out.
    """
    scores = [
        s
        for s in _grouped(
            answers,
            "question_id",
            "question__text",
            "question__order",
            "question__section__name",
            "question__section__order",
        )
        if s.applicable
    ]
    scores.sort(
        key=lambda s: (
            s.percent,
            -s.not_implemented,
            s.extra["question__section__order"],
            s.extra["question__order"],
            s.key,
        )
    )
    return scores[:limit]


@dataclass
class KarteInspection:
    """What a system's karte shows of the self-inspection."""

    survey: SurveyRound | None
    overall: Score | None
    sections: list[Score]
    actions: list[FollowUpAction]
    results_url: str
    actions_url: str


def karte_inspection(user, system) -> KarteInspection | None:
    """Return the system's score by section in the latest round it was inspected in, and its open
    follow-up actions; None when it has neither."""
    answers = InspectionAnswer.objects.restrict(user, VIEW).filter(system=system)
    latest = (
        inspection_rounds(user)
        .filter(pk__in=answers.values("round_id"))
        .order_by("-fiscal_year", "-opened_at")
    ).first()
    actions = list(
        FollowUpAction.objects.restrict(user, VIEW)
        .filter(system=system, done_on=None)
        .select_related("question")
        .order_by("due_on", "pk")
    )
    if latest is None and not actions:
        return None
    in_round = answers.filter(round=latest) if latest is not None else answers.none()
    return KarteInspection(
        survey=latest,
        overall=overall_score(in_round) if latest is not None else None,
        sections=section_scores(in_round) if latest is not None else [],
        actions=actions,
        results_url=reverse("inspections:results") + (f"?round={latest.pk}" if latest is not None else ""),
        actions_url=reverse("inspections:followupaction_list") + f"?system={system.pk}",
    )


def overdue_actions(user):
    return FollowUpAction.objects.restrict(user, VIEW).filter(done_on=None, due_on__lt=timezone.localdate())


def dashboard_cards(user) -> list[dict]:
    """Return the self-inspection's figure for the dashboard: follow-up actions past their due date."""
    from django.utils.translation import gettext as _

    from karte.inspections.filters import OVERDUE

    return [
        {
            "label": _("Overdue follow-up actions"),
            "value": overdue_actions(user).count(),
            "url": reverse("inspections:followupaction_list") + f"?status={OVERDUE}",
        }
    ]


def karte_sections(user, system) -> dict | None:
    """The self-inspection section of a system's karte page."""
    found = karte_inspection(user, system)
    if found is None:
        return None
    return {"template": "inspections/karte_section.html", "inspection": found}
