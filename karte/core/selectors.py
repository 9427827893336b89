"""Reads for the core pages: the dashboard, import jobs, the organisation."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from karte.core import audit
from karte.core.choices import OrgUnitKind
from karte.core.models import ImportJob, OrgUnit
from karte.core.scoping import VIEW, scope_for


def current_units(user):
    """Return the organisational units valid today that the user may see."""
    today = timezone.localdate()
    return OrgUnit.objects.restrict(user, VIEW).filter(valid_from__lte=today).exclude(valid_to__lt=today)


def organisation_counts(user) -> dict[str, int]:
    """Return how many current bodies, departments and sections the user may see."""
    counts = current_units(user).aggregate(
        bodies=Count("pk", filter=Q(kind=OrgUnitKind.BODY)),
        departments=Count("pk", filter=Q(kind=OrgUnitKind.DEPARTMENT)),
        sections=Count("pk", filter=Q(kind=OrgUnitKind.SECTION)),
    )
    return counts


def sections_per_department(user) -> list[tuple[str, int]]:
    """Return (department name, number of current sections) for the departments the user may see."""
    rows = (
        current_units(user)
        .filter(kind=OrgUnitKind.SECTION)
        .values("department__code", "department__name")
        .annotate(n=Count("pk"))
        .order_by("department__code")
    )
    return [(r["department__name"], r["n"]) for r in rows]


def import_jobs_for(user):
    """Return the import jobs a user may see: their own; the office sees every job of its body."""
    scope = scope_for(user)
    jobs = ImportJob.objects.select_related("created_by")
    if scope.everything:
        return jobs
    if scope.is_office:
        return jobs.filter(created_by__membership__unit__body_id=scope.body_id)
    return jobs.filter(created_by=user)


def body_name(user) -> str:
    scope = scope_for(user)
    if scope.body_id is None:
        return ""
    return OrgUnit.objects.filter(pk=scope.body_id).values_list("name", flat=True).first() or ""


def module_cards(user) -> list[dict]:
    """Return the dashboard figures each module offers: apps name a function in `dashboard_cards`
    that takes the user and returns dicts of label, value and url."""
    from django.apps import apps
    from django.utils.module_loading import import_string

    cards = []
    for config in apps.get_app_configs():
        path = getattr(config, "dashboard_cards", None)
        if path:
            cards.extend(import_string(path)(user))
    return cards


def module_karte_sections(user, system) -> list[dict]:
    """Return the karte sections other modules add to a system's page: apps name a function in
    `karte_sections` that takes the user and the system and returns a dict with the `template` to include
    and its context (as `section`), or None when it has nothing to show."""
    from django.apps import apps
    from django.utils.module_loading import import_string

    sections = []
    for config in apps.get_app_configs():
        path = getattr(config, "karte_sections", None)
        if path and (section := import_string(path)(user, system)):
            sections.append(section)
    return sections


def recent_changes(user, limit: int = 8) -> list[audit.Entry]:
    return audit.audit_trail(user, audit.TrailFilter(), limit=limit)


def people_for(user):
    """Return the memberships of the people the office may manage: those of its own body."""
    from karte.core.models import Membership

    return Membership.objects.restrict(user, VIEW).select_related("user", "unit", "unit__department")
