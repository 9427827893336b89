"""Reads of the security posture: every system placed by the coverage rule, and the survey's figures."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db.models import QuerySet

from karte.core.scoping import VIEW
from karte.security.choices import Coverage, Exemption, GapReason
from karte.security.coverage import Verdict, classify, systems_without_target
from karte.security.models import MEASURE_FIELDS, SERVICE_FIELDS, ProtectionAnswer
from karte.systems.choices import SystemStatus
from karte.systems.models import System

PROTECTION_FIELDS = [
    *(flag for flag, _since in SERVICE_FIELDS.values()),
    *MEASURE_FIELDS,
    "measures_description",
    "exemption",
]


@dataclass(frozen=True)
class CoverageRow:
    """One system as the gap report shows it."""

    system_id: int
    code: str
    name: str
    unit_name: str
    department_id: int | None
    department_name: str
    internet_facing: bool
    enrolled: tuple[str, ...]
    own_measures: tuple[str, ...]
    measures_description: str
    exemption: str
    confirmed_on: datetime.date | None
    verdict: Verdict

    @property
    def sort_key(self):
        # Gaps first, then by department and system, as the office chases them.
        return (not self.verdict.is_gap, self.department_name, self.code)


def _enrolled(values: dict, prefix: str) -> tuple[str, ...]:
    return tuple(service for service, (flag, _since) in SERVICE_FIELDS.items() if values[prefix + flag])


def _measures(values: dict, prefix: str) -> tuple[str, ...]:
    return tuple(name for name in MEASURE_FIELDS if values[prefix + name])


def systems_for_coverage(user) -> QuerySet[System]:
    """The systems the user may see that the report covers: every system not retired."""
    return System.objects.restrict(user, VIEW).exclude(status=SystemStatus.RETIRED)


def coverage_rows(systems: QuerySet[System], today: datetime.date) -> list[CoverageRow]:
    """Place every system of `systems` by the coverage rule, gaps first."""
    prefix = "protection__"
    values = list(
        systems.order_by().values(
            "pk",
            "code",
            "name",
            "internet_facing",
            "unit__name",
            "unit__department_id",
            "unit__department__name",
            "protection__confirmed_on",
            *(prefix + name for name in PROTECTION_FIELDS),
        )
    )
    enrolments = {v["pk"]: _enrolled(v, prefix) for v in values if v[prefix + "confirmed_on"]}
    without_target = systems_without_target({pk: s for pk, s in enrolments.items() if s})
    rows = []
    for v in values:
        enrolled = enrolments.get(v["pk"], ())
        # A system never surveyed has no profile: its flags read None, and it is unconfirmed.
        measures = _measures(v, prefix) if v[prefix + "confirmed_on"] else ()
        exemption = v[prefix + "exemption"] or ""
        rows.append(
            CoverageRow(
                system_id=v["pk"],
                code=v["code"],
                name=v["name"],
                unit_name=v["unit__name"],
                department_id=v["unit__department_id"],
                department_name=v["unit__department__name"] or "",
                internet_facing=v["internet_facing"],
                enrolled=enrolled,
                own_measures=measures,
                measures_description=v[prefix + "measures_description"] or "",
                exemption=exemption,
                confirmed_on=v[prefix + "confirmed_on"],
                verdict=classify(
                    internet_facing=v["internet_facing"],
                    enrolled=enrolled,
                    has_own_measures=bool(measures),
                    exemption=exemption,
                    confirmed_on=v[prefix + "confirmed_on"],
                    today=today,
                    without_target=without_target.get(v["pk"], ()),
                ),
            )
        )
    rows.sort(key=lambda row: row.sort_key)
    return rows


def answer_rows(answers: QuerySet[ProtectionAnswer]) -> list[CoverageRow]:
    """Place every answer of a survey round by the coverage rule, as answered (no freshness check)."""
    values = answers.order_by().values(
        "system_id",
        "system__code",
        "system__name",
        "unit__name",
        "department_id",
        "department__name",
        "internet_facing",
        "answered_on",
        *PROTECTION_FIELDS,
    )
    rows = []
    for v in values:
        enrolled, measures = _enrolled(v, ""), _measures(v, "")
        rows.append(
            CoverageRow(
                system_id=v["system_id"],
                code=v["system__code"],
                name=v["system__name"],
                unit_name=v["unit__name"],
                department_id=v["department_id"],
                department_name=v["department__name"] or "",
                internet_facing=v["internet_facing"],
                enrolled=enrolled,
                own_measures=measures,
                measures_description=v["measures_description"],
                exemption=v["exemption"],
                confirmed_on=v["answered_on"],
                verdict=classify(
                    internet_facing=v["internet_facing"],
                    enrolled=enrolled,
                    has_own_measures=bool(measures),
                    exemption=v["exemption"],
                    confirmed_on=v["answered_on"],
                    today=None,
                ),
            )
        )
    rows.sort(key=lambda row: row.sort_key)
    return rows


def coverage_figures(rows: list[CoverageRow]) -> dict:
    """The figures as the R5 survey reported them, and the gaps by reason.

    Exposed systems not enrolled in any service split into those with own measures and the rest; the rest
    by exemption reason. Every gap counts in `unaccounted_gap`, stale and unconfirmed profiles included.
    """
    exposed = [r for r in rows if r.internet_facing]
    not_enrolled = [r for r in exposed if not r.enrolled]
    without_measures = [r for r in not_enrolled if not r.own_measures]
    exemptions = Counter(r.exemption for r in without_measures)
    gaps = Counter(r.verdict.gap_reason for r in rows if r.verdict.is_gap)
    return {
        "systems": len(rows),
        "internet_exposed": len(exposed),
        "exposed_not_enrolled": len(not_enrolled),
        "own_measures_among_not_enrolled": len(not_enrolled) - len(without_measures),
        "exempt_national": exemptions[Exemption.NATIONAL],
        "exempt_private_service": exemptions[Exemption.PRIVATE_SERVICE],
        "exempt_not_exposed": exemptions[Exemption.NOT_EXPOSED],
        "unaccounted_gap": sum(gaps.values()),
        "gaps_by_reason": {reason.value: gaps[reason] for reason in GapReason},
        "by_coverage": coverage_counts(rows),
    }


def coverage_counts(rows: list[CoverageRow]) -> dict[str, int]:
    """How many systems each coverage holds, every coverage named even when empty."""
    counted = Counter(r.verdict.coverage for r in rows)
    return {coverage.value: counted[coverage] for coverage in Coverage}
