"""Reads of the system karte: the portfolio, lock-in, renewals, the common platform."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from karte.core.scoping import VIEW, scope_for
from karte.systems.choices import Hosting, ProcurementMethod, SystemStatus
from karte.systems.models import Contract, Cost, MaintenanceRun, System


def systems_for(user):
    """Return the systems the user may see, with what every list shows."""
    return System.objects.restrict(user, VIEW).select_related("unit", "unit__department")


@dataclass(frozen=True)
class LockIn:
    years: int
    vendor_id: int
    vendor_name: str


def systems_asked_about(body_id: int):
    """The systems a survey round asks departments about: every system of the body still in use and
    owned in a department."""
    return (
        System.objects.filter(body_id=body_id)
        .exclude(status=SystemStatus.RETIRED)
        .exclude(unit__department_id=None)
    )


def departments_asked_about(body_id: int):
    """The ids of the departments that own systems_asked_about: those a round about systems asks."""
    return systems_asked_about(body_id).values_list("unit__department_id", flat=True).distinct().order_by()


def lock_in_at(systems, fiscal_year: int) -> dict[int, LockIn]:
    """Return {system id: LockIn} for the systems maintained by one vendor at `fiscal_year`.

    Years are counted as completed years: maintained since FY2012, at FY2022 that is 10.
    """
    runs = (
        MaintenanceRun.objects.filter(system__in=systems.values("pk"), fy_from__lte=fiscal_year)
        .filter(Q(fy_to__isnull=True) | Q(fy_to__gte=fiscal_year))
        .values_list("system_id", "vendor_id", "vendor__name", "fy_from")
    )
    return {s: LockIn(fiscal_year - start, v, name) for s, v, name, start in runs}


def locked_in_ids(systems, fiscal_year: int, threshold: int):
    """Return a subquery of the ids of systems held by one vendor for `threshold` years or more."""
    return (
        MaintenanceRun.objects.filter(system__in=systems.values("pk"), fy_from__lte=fiscal_year - threshold)
        .filter(Q(fy_to__isnull=True) | Q(fy_to__gte=fiscal_year))
        .values("system_id")
    )


def locked_in_systems(systems, fiscal_year: int, threshold: int):
    """Return the systems held by one vendor for `threshold` years or more, longest held first.

    Annotated with `held_since` (the first fiscal year of the run), so that the list pages in SQL.
    """
    run_start = (
        MaintenanceRun.objects.filter(system=OuterRef("pk"), fy_from__lte=fiscal_year - threshold)
        .filter(Q(fy_to__isnull=True) | Q(fy_to__gte=fiscal_year))
        .order_by("fy_from")
        .values("fy_from")[:1]
    )
    return (
        systems.annotate(held_since=Subquery(run_start))
        .filter(held_since__isnull=False)
        .order_by("held_since", "code")
    )


def sole_source_shares(system_ids) -> dict[int, tuple[int, int]]:
    """Return {system id: (sole-source contracts, all contracts)}."""
    rows = (
        Contract.objects.filter(system_id__in=system_ids)
        .order_by()
        .values("system_id")
        .annotate(
            total=Count("pk"), sole=Count("pk", filter=Q(procurement_method=ProcurementMethod.SOLE_SOURCE))
        )
    )
    return {r["system_id"]: (r["sole"], r["total"]) for r in rows}


def renewal_timeline(systems, first_fy: int, last_fy: int) -> dict[int, list[System]]:
    """Return {fiscal year: systems renewing that year} for first_fy..last_fy, every year present."""
    timeline: dict[int, list[System]] = {fy: [] for fy in range(first_fy, last_fy + 1)}
    for system in systems.filter(next_renewal_fy__gte=first_fy, next_renewal_fy__lte=last_fy).order_by(
        "next_renewal_fy", "code"
    ):
        timeline[system.next_renewal_fy].append(system)
    return timeline


def working_group_systems(user, group):
    """Return the systems of a working group that the user may see, by system ID."""
    return systems_for(user).filter(working_group=group).order_by("code")


def common_platform_systems(systems):
    return systems.filter(hosting=Hosting.COMMON_PLATFORM).select_related("working_group").order_by("code")


def by_department(systems, fiscal_year: int) -> list[dict]:
    """Return per department: number of systems and that year's budget and settlement (thousand yen)."""
    counts = systems.values(
        "unit__department_id", "unit__department__name", "unit__department__code"
    ).annotate(n=Count("pk"))
    money = (
        Cost.objects.filter(system__in=systems.values("pk"), fiscal_year=fiscal_year)
        .values("system__unit__department_id")
        .annotate(budget=Sum("budget_thousand_yen"), settlement=Sum("settlement_thousand_yen"))
    )
    money_by = {m["system__unit__department_id"]: m for m in money}
    rows = []
    for c in sorted(counts, key=lambda c: c["unit__department__code"] or ""):
        m = money_by.get(c["unit__department_id"], {})
        rows.append(
            {
                "department": c["unit__department__name"],
                "systems": c["n"],
                "budget": m.get("budget"),
                "settlement": m.get("settlement"),
            }
        )
    return rows


def costs_by_fy(systems) -> list[dict]:
    """Return, per fiscal year with any cost, the budget and settlement summed over `systems`."""
    rows = (
        Cost.objects.filter(system__in=systems.values("pk"))
        .values("fiscal_year")
        .annotate(budget=Sum("budget_thousand_yen"), settlement=Sum("settlement_thousand_yen"))
        .order_by("fiscal_year")
    )
    return list(rows)


def portfolio_figures(user, fiscal_year: int, threshold: int) -> dict:
    """Return the figures the portfolio page shows for `fiscal_year`, over the systems the user sees."""
    return portfolio_figures_for(System.objects.restrict(user, VIEW), fiscal_year, threshold)


def portfolio_figures_for(systems, fiscal_year: int, threshold: int) -> dict:
    """Return the portfolio figures of `systems` for `fiscal_year`; `karte report systems` prints them.

    `locked_in` counts the systems one vendor has maintained for `threshold` completed years or more.
    """
    per_department: dict[str, int] = defaultdict(int)
    for row in by_department(systems, fiscal_year):
        per_department[row["department"] or ""] += row["systems"]
    return {
        "fiscal_year": fiscal_year,
        "systems": systems.count(),
        "lock_in_threshold_years": threshold,
        "locked_in": systems.filter(pk__in=locked_in_ids(systems, fiscal_year, threshold)).count(),
        "common_platform": systems.filter(hosting=Hosting.COMMON_PLATFORM).count(),
        "by_department": dict(per_department),
    }


def user_body_id(user) -> int | None:
    return scope_for(user).body_id


def dashboard_cards(user) -> list[dict]:
    """Return the system karte's figures for the dashboard: systems, lock-in now, common platform."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from karte.core.fiscal import fiscal_year_of
    from karte.systems.filters import settings_for

    systems = System.objects.restrict(user, VIEW)
    fiscal_year = fiscal_year_of(timezone.localdate())
    threshold = settings_for(user).lock_in_threshold_years
    locked = systems.filter(pk__in=locked_in_ids(systems, fiscal_year, threshold)).count()
    return [
        {"label": _("Information systems"), "value": systems.count(), "url": reverse("systems:system_list")},
        {"label": _("Held by one vendor"), "value": locked, "url": reverse("systems:lock_in")},
        {
            "label": _("On the common platform"),
            "value": systems.filter(hosting=Hosting.COMMON_PLATFORM).count(),
            "url": reverse("systems:platform"),
        },
    ]
