"""Reads of the procedures module: KPIs of a round for any scope, year over year, priorities."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from karte.core.models import SurveyRound
from karte.procedures.choices import OnlineStatus
from karte.procedures.models import ProcedureAnswer, RoundSummary

COUNTED = ("procedures", "online", "planned", "later", "impossible", "unanswered", "volume", "online_volume")


def percent(part: int, whole: int) -> Decimal | None:
    """Return part/whole as a percentage to one decimal, rounded half up (690 of 4,950 is 13.9)."""
    if not whole:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Kpis:
    """The figures of a round for one scope (the round, a body or a department)."""

    procedures: int = 0
    online: int = 0
    planned: int = 0
    later: int = 0
    impossible: int = 0
    unanswered: int = 0
    volume: int = 0
    online_volume: int = 0
    planned_by_fy: dict[int, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def later_or_impossible(self) -> int:
        return self.later + self.impossible

    @property
    def online_share_by_count(self) -> Decimal | None:
        return percent(self.online, self.procedures)

    @property
    def online_share_by_volume(self) -> Decimal | None:
        return percent(self.online_volume, self.volume)

    @property
    def planned_share(self) -> Decimal | None:
        return percent(self.planned, self.procedures)

    @property
    def later_share(self) -> Decimal | None:
        return percent(self.later_or_impossible, self.procedures)

    def as_dict(self) -> dict:
        def num(value):
            return float(value) if value is not None else None

        return {
            **{name: getattr(self, name) for name in COUNTED},
            "later_or_impossible": self.later_or_impossible,
            "online_share_by_count_pct": num(self.online_share_by_count),
            "online_share_by_volume_pct": num(self.online_share_by_volume),
            "planned_share_pct": num(self.planned_share),
            "later_share_pct": num(self.later_share),
            "planned_by_fy": {str(k): v for k, v in sorted(self.planned_by_fy.items())},
            "reasons": dict(sorted(self.reasons.items(), key=lambda kv: -kv[1])),
        }


def _summaries(survey: SurveyRound, body_id: int | None, department_id: int | None):
    rows = RoundSummary.objects.filter(round=survey)
    if body_id is not None:
        rows = rows.filter(body_id=body_id)
    if department_id is not None:
        rows = rows.filter(department_id=department_id)
    return rows


def round_kpis(survey: SurveyRound, *, body_id: int | None = None, department_id: int | None = None) -> Kpis:
    """Return the KPIs of a round, of one body in it, or of one department, from the summaries."""
    rows = _summaries(survey, body_id, department_id)
    totals = rows.aggregate(**{name: Sum(name, default=0) for name in COUNTED})
    planned: Counter = Counter()
    reasons: Counter = Counter()
    for by_fy, given in rows.values_list("planned_by_fy", "reasons"):
        planned.update({int(fy) if fy else 0: n for fy, n in by_fy.items()})
        reasons.update(given)
    return Kpis(**totals, planned_by_fy=dict(planned), reasons=dict(reasons))


def kpis_by_department(survey: SurveyRound, *, body_id: int | None = None) -> list[tuple[str, Kpis]]:
    """Return (department name, KPIs) for every department of the round (or of one body in it)."""
    rows = _summaries(survey, body_id, None).select_related("department").order_by("department__code")
    return [
        (
            row.department.name,
            Kpis(
                **{name: getattr(row, name) for name in COUNTED},
                planned_by_fy={int(k) if k else 0: v for k, v in row.planned_by_fy.items()},
                reasons=row.reasons,
            ),
        )
        for row in rows
    ]


def priority_list(answers, top_n: int) -> tuple[list[ProcedureAnswer], Decimal | None]:
    """Return the `top_n` largest answers not yet online and the share of all cases they carry.

    `answers` is a queryset of one round's answers already scoped to what the user may see.
    """
    total = answers.aggregate(v=Sum("yearly_volume", default=0))["v"]
    not_online = (
        answers.exclude(status=OnlineStatus.ONLINE)
        .filter(yearly_volume__isnull=False)
        .select_related("procedure", "unit", "department")
        .order_by("-yearly_volume", "pk")[:top_n]
    )
    rows = list(not_online)
    return rows, percent(sum(a.yearly_volume or 0 for a in rows), total)
