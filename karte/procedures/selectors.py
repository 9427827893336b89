"""Reads of the procedures module: KPIs of a round for any scope, year over year, priorities."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from karte.core.models import OrgUnit, SurveyRound
from karte.procedures.choices import OnlineStatus
from karte.procedures.models import Procedure, ProcedureAnswer, RoundSummary

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


def priority_list(answers, top_n: int, total_volume: int) -> tuple[list[ProcedureAnswer], Decimal | None]:
    """Return the `top_n` largest answers not yet online and the share of `total_volume` they carry.

    `answers` is one round's answers already scoped to what the user may see; `total_volume` the cases
    of that scope (from the KPIs). Each status not online is read largest first on the index
    (round, status, yearly_volume) and the few candidates merged here, so that a national round of
    millions of answers is never sorted whole.
    """
    candidates = []
    for status in [s for s in OnlineStatus.values if s != OnlineStatus.ONLINE] + [""]:
        candidates.extend(
            answers.filter(status=status, yearly_volume__isnull=False)
            .select_related("procedure", "unit", "department")
            .order_by("-yearly_volume", "pk")[:top_n]
        )
    rows = sorted(candidates, key=lambda a: (-a.yearly_volume, a.pk))[:top_n]
    return rows, percent(sum(a.yearly_volume for a in rows), total_volume)


@dataclass
class ProcedureChange:
    """One procedure answered in both rounds: its status and volumes before and after."""

    procedure_id: int
    code: str
    name: str
    department: str
    status_before: str
    status_after: str
    volume_before: int | None
    volume_after: int | None
    online_volume_before: int | None
    online_volume_after: int | None

    def as_dict(self) -> dict:
        return asdict(self)


def _answers_in(survey: SurveyRound, body_id: int | None, department_id: int | None):
    answers = ProcedureAnswer.objects.filter(round=survey)
    if body_id is not None:
        answers = answers.filter(department__body_id=body_id)
    if department_id is not None:
        answers = answers.filter(department_id=department_id)
    return answers


ANSWER_VALUES = ("procedure_id", "department_id", "status", "yearly_volume", "online_volume")
# Ids per query, well below SQLite's limit on bound parameters.
CHUNK = 5000


def year_over_year(
    current: SurveyRound,
    previous: SurveyRound,
    *,
    body_id: int | None = None,
    department_id: int | None = None,
) -> dict:
    """Return both rounds' KPIs and what changed for the procedures answered in both.

    A procedure is matched across rounds as the same Procedure row. Imports find a sheet row's procedure
    by its 手続ID and, where IDs are missing, by owner and name (see ProceduresImporter), and a round opened
    on screen pre-fills one answer per procedure of the inventory; so a procedure answered in both rounds
    has an answer with the same procedure_id in each. The scope (body, department) is that of the current
    round's answers; `dropped` counts the previous round's answers in the scope with no answer now.

    Keys: "current" and "previous" (Kpis of the scope in each round), "matched", "added", "dropped"
    (counts), "newly_online", "newly_planned", "no_longer_online" (lists of ProcedureChange, most cases
    first), "matched_volume" and "matched_online_volume" ((previous, current) sums over matched ones).
    When the current round is closed, the changes name procedures and departments as they were then.
    """
    in_scope = _answers_in(current, body_id, department_id)
    now = {row[0]: row for row in in_scope.values_list(*ANSWER_VALUES)}
    # The previous answers of the procedures in the scope now, wherever they were then.
    earlier = ProcedureAnswer.objects.filter(round=previous, procedure__in=in_scope.values("procedure_id"))
    before = {row[0]: row for row in earlier.values_list(*ANSWER_VALUES)}
    # A procedure that moved out of the scope is not dropped: it is still answered, elsewhere.
    dropped = (
        _answers_in(previous, body_id, department_id)
        .exclude(procedure__in=ProcedureAnswer.objects.filter(round=current).values("procedure_id"))
        .count()
    )
    matched = [(before[pk], now[pk]) for pk in now if pk in before]

    def changed(test) -> list[tuple[tuple, tuple]]:
        return [(old, new) for old, new in matched if test(old[2], new[2])]

    online, planned = OnlineStatus.ONLINE, OnlineStatus.PLANNED
    groups = {
        "newly_online": changed(lambda old, new: new == online and old != online),
        "newly_planned": changed(lambda old, new: new == planned and old not in (online, planned)),
        "no_longer_online": changed(lambda old, new: old == online and new != online),
    }
    shown = [new for pairs in groups.values() for _old, new in pairs]
    # A closed round is a snapshot: its procedures and departments are named as they were when it closed.
    as_of = None if current.is_open else current.closed_at
    procedures = _as_of(Procedure, ("code", "name"), [new[0] for new in shown], as_of)
    names = {
        pk: name for pk, (name,) in _as_of(OrgUnit, ("name",), list({new[1] for new in shown}), as_of).items()
    }
    result: dict = {
        "current": round_kpis(current, body_id=body_id, department_id=department_id),
        "previous": round_kpis(previous, body_id=body_id, department_id=department_id),
        "matched": len(matched),
        "added": len(now) - len(matched),
        "dropped": dropped,
        "matched_volume": (
            sum(old[3] or 0 for old, _new in matched),
            sum(new[3] or 0 for _old, new in matched),
        ),
        "matched_online_volume": (
            sum(old[4] or 0 for old, _new in matched),
            sum(new[4] or 0 for _old, new in matched),
        ),
    }
    for key, pairs in groups.items():
        changes = [
            ProcedureChange(
                procedure_id=new[0],
                code=procedures[new[0]][0],
                name=procedures[new[0]][1],
                department=names.get(new[1], ""),
                status_before=old[2],
                status_after=new[2],
                volume_before=old[3],
                volume_after=new[3],
                online_volume_before=old[4],
                online_volume_after=new[4],
            )
            for old, new in pairs
        ]
        result[key] = sorted(changes, key=lambda c: (-(c.volume_after or 0), c.code, c.name))
    return result


def _as_of(model, fields: tuple[str, ...], ids: list[int], when) -> dict[int, tuple]:
    """Return {pk: values of `fields`} for these rows now, or as their history had them at `when`."""
    found: dict[int, tuple] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found.update(
            {row[0]: row[1:] for row in model.objects.filter(pk__in=chunk).values_list("pk", *fields)}
        )
        if when is not None:
            history = (
                model.history.filter(id__in=chunk, history_date__lte=when)
                .order_by("id", "history_date", "history_id")
                .values_list("id", *fields)
            )
            # Ordered oldest first: the last record of each row before `when` wins.
            found.update({row[0]: row[1:] for row in history})
    return found


def department_ids(survey: SurveyRound, body_id: int) -> list[int]:
    """Return the ids of the departments of one body that answer in the round."""
    return list(
        RoundSummary.objects.filter(round=survey, body_id=body_id).values_list("department_id", flat=True)
    )
