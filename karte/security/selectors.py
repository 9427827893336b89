"""Reads of the security posture: systems and survey answers placed by the coverage rule (in the
database, see coverage.placement), the survey's figures, the gap report's rows, the karte section."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from karte.core.scoping import CHANGE, VIEW
from karte.security.choices import Coverage, Exemption, GapReason, MonitoringService, OwnMeasure
from karte.security.coverage import Verdict, placement
from karte.security.models import MEASURE_FIELDS, SERVICE_FIELDS, ProtectionAnswer
from karte.systems.choices import SystemStatus
from karte.systems.models import System

ROW_FIELDS = [
    *(flag for flag, _since in SERVICE_FIELDS.values()),
    *MEASURE_FIELDS,
    "measures_description",
]
PLACED = ["cv_enrolled", "cv_measures", "cv_exemption", "cv_coverage", "cv_gap_reason"]


@dataclass(frozen=True)
class CoverageRow:
    """One system (or one survey answer) as the gap report shows it."""

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


# --- placing ---------------------------------------------------------------------------------------
def systems_for_coverage(user) -> QuerySet[System]:
    """The systems the user may see that the report covers: every system not retired."""
    return System.objects.restrict(user, VIEW).exclude(status=SystemStatus.RETIRED)


def body_systems(body, department=None) -> QuerySet[System]:
    """The systems of a body (or of one of its departments) the report covers, for the command line."""
    systems = System.objects.filter(body=body).exclude(status=SystemStatus.RETIRED)
    if department is not None:
        systems = systems.filter(unit__department=department)
    return systems


def placed_systems(systems: QuerySet[System], today: datetime.date) -> QuerySet[System]:
    """`systems` with each one's place by the rule (the cv_* annotations)."""
    return systems.annotate(
        **placement(prefix="protection__", system="pk", confirmed_on="protection__confirmed_on", today=today)
    )


def placed_answers(answers: QuerySet[ProtectionAnswer]) -> QuerySet[ProtectionAnswer]:
    """A survey round's answers with each one's place by the rule, as answered (no freshness check)."""
    return answers.annotate(**placement(prefix="", system="system_id", confirmed_on=None, today=None))


def in_report_order(placed: QuerySet) -> QuerySet:
    """Gaps first, then by department and system, as the office chases them."""
    gaps_first = Case(
        When(cv_coverage=Coverage.GAP, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    department = "unit__department__code" if placed.model is System else "department__code"
    code = "code" if placed.model is System else "system__code"
    return placed.order_by(gaps_first, department, code)


def report_rows(placed: QuerySet) -> QuerySet:
    """What the gap report lists: every internet-facing system and every gap."""
    return placed.filter(Q(internet_facing=True) | Q(cv_coverage=Coverage.GAP))


def filter_placed(
    placed: QuerySet, *, department_id=None, coverage: str = "", gap_reason: str = ""
) -> QuerySet:
    """One department, coverage and gap reason, each only when given."""
    if department_id is not None:
        field = "unit__department_id" if placed.model is System else "department_id"
        placed = placed.filter(**{field: department_id})
    if coverage:
        placed = placed.filter(cv_coverage=coverage)
    if gap_reason:
        placed = placed.filter(cv_coverage=Coverage.GAP, cv_gap_reason=gap_reason)
    return placed


def coverage_figures(placed: QuerySet) -> dict:
    """The figures as the R5 survey reported them, and the gaps by reason.

    Exposed systems not enrolled in any service split into those with own measures and the rest; the rest
    by exemption reason. Every gap counts in `unaccounted_gap`, stale and unconfirmed profiles included.
    The database groups the systems by their place (a few dozen groups, however many systems).
    """
    groups = (
        placed.order_by()
        .values(
            "internet_facing", "cv_enrolled", "cv_measures", "cv_exemption", "cv_coverage", "cv_gap_reason"
        )
        .annotate(systems=Count("pk"))
    )
    figures = {
        "systems": 0,
        "internet_exposed": 0,
        "exposed_not_enrolled": 0,
        "own_measures_among_not_enrolled": 0,
        **{f"exempt_{e.value}": 0 for e in Exemption},
        "unaccounted_gap": 0,
        "gaps_by_reason": {r.value: 0 for r in GapReason},
        "by_coverage": {c.value: 0 for c in Coverage},
    }
    for group in groups:
        n = group["systems"]
        figures["systems"] += n
        figures["by_coverage"][group["cv_coverage"]] += n
        if group["cv_coverage"] == Coverage.GAP:
            figures["unaccounted_gap"] += n
            figures["gaps_by_reason"][group["cv_gap_reason"]] += n
        if not group["internet_facing"]:
            continue
        figures["internet_exposed"] += n
        if group["cv_enrolled"]:
            continue
        figures["exposed_not_enrolled"] += n
        if group["cv_measures"]:
            figures["own_measures_among_not_enrolled"] += n
        elif group["cv_exemption"]:
            figures[f"exempt_{group['cv_exemption']}"] += n
    return figures


# --- rows ------------------------------------------------------------------------------------------
def _row(v: dict, prefix: str) -> CoverageRow:
    confirmed = v["confirmed_on"] is not None or not prefix
    return CoverageRow(
        system_id=v["system_id"],
        code=v["code"],
        name=v["name"],
        unit_name=v["unit_name"],
        department_id=v["department_id"],
        department_name=v["department_name"] or "",
        internet_facing=v["internet_facing"],
        # A protection never confirmed counts nothing, as the rule reads it.
        enrolled=tuple(s for s, (flag, _since) in SERVICE_FIELDS.items() if confirmed and v[prefix + flag]),
        own_measures=tuple(m for m in MEASURE_FIELDS if confirmed and v[prefix + m]),
        measures_description=v[prefix + "measures_description"] or "",
        exemption=v["cv_exemption"],
        confirmed_on=v["confirmed_on"],
        verdict=Verdict(v["cv_coverage"], v["cv_gap_reason"]),
    )


def coverage_rows(placed: QuerySet, window: slice | None = None) -> list[CoverageRow]:
    """The rows of placed systems or answers, in the queryset's order; `window` (a page) of them only."""
    if placed.model is System:
        prefix = "protection__"
        values = placed.values(
            *PLACED,
            *(prefix + name for name in ROW_FIELDS),
            "code",
            "name",
            "internet_facing",
            system_id=F("pk"),
            unit_name=F("unit__name"),
            department_id=F("unit__department_id"),
            department_name=F("unit__department__name"),
            confirmed_on=F("protection__confirmed_on"),
        )
    else:
        prefix = ""
        values = placed.values(
            *PLACED,
            *ROW_FIELDS,
            "system_id",
            "department_id",
            "internet_facing",
            code=F("system__code"),
            name=F("system__name"),
            unit_name=F("unit__name"),
            department_name=F("department__name"),
            confirmed_on=F("answered_on"),
        )
    if window is not None:
        values = values[window]
    return [_row(v, prefix) for v in values]


def gap_list(placed: QuerySet) -> list[dict]:
    """The gaps as `karte report security` lists them: code, name, department and reason."""
    return [
        {"code": r.code, "name": r.name, "department": r.department_name, "reason": r.verdict.gap_reason}
        for r in coverage_rows(in_report_order(placed.filter(cv_coverage=Coverage.GAP)))
    ]


# --- the karte section and the dashboard -----------------------------------------------------------
def karte_section(user, system: System) -> dict:
    """The security section of a system's karte: its protection profile and where the rule puts it."""
    from django.db.models import Exists, OuterRef
    from django.urls import reverse
    from django.utils import timezone

    found = (
        placed_systems(System.objects.filter(pk=system.pk), timezone.localdate())
        .select_related("protection__confirmed_by")
        .annotate(may_change=Exists(System.objects.restrict(user, CHANGE).filter(pk=OuterRef("pk"))))
        .get()
    )
    profile = getattr(found, "protection", None)
    in_report = found.status != SystemStatus.RETIRED
    verdict = Verdict(found.cv_coverage, found.cv_gap_reason) if in_report else None
    services = []
    if profile is not None:
        services = [
            {
                "label": MonitoringService(service).label,
                "enrolled": getattr(profile, flag),
                "since": getattr(profile, since),
            }
            for service, (flag, since) in SERVICE_FIELDS.items()
        ]
    confirmer = profile.confirmed_by if profile is not None else None
    return {
        "template": "security/karte_section.html",
        "system": found,
        "profile": profile,
        "services": services,
        "measures": [OwnMeasure(m).label for m in profile.own_measures] if profile is not None else [],
        "confirmed_by": (
            f"{confirmer.last_name} {confirmer.first_name}".strip() or confirmer.get_username()
            if confirmer is not None
            else ""
        ),
        "in_report": in_report,
        "verdict": verdict,
        "coverage_label": Coverage(verdict.coverage).label if verdict is not None else "",
        "gap_reason_label": GapReason(verdict.gap_reason).label if verdict and verdict.is_gap else "",
        "edit_url": reverse("security:profile_edit", kwargs={"pk": system.pk}) if found.may_change else None,
    }


def gap_count(user, today: datetime.date) -> int:
    """How many of the systems the user may see are gaps."""
    return placed_systems(systems_for_coverage(user), today).filter(cv_coverage=Coverage.GAP).count()


def dashboard_cards(user) -> list[dict]:
    """The security posture's figure for the dashboard: the gaps to chase, linking to the report."""
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.translation import gettext as _

    return [
        {
            "label": _("Protection gaps"),
            "value": gap_count(user, timezone.localdate()),
            "url": reverse("security:coverage") + f"?coverage={Coverage.GAP.value}",
        }
    ]
