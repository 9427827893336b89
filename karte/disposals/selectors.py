"""Reads of storage-device disposals: by status, the certificates still missing, and dashboard figures."""

from __future__ import annotations

import datetime

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from karte.core.scoping import VIEW
from karte.disposals.choices import DisposalStatus
from karte.disposals.models import StorageDisposal

# After this many days without a certificate, a disposal is overdue and shown in red.
OVERDUE_DAYS = 30

STATUS_Q = {
    DisposalStatus.PLANNED: Q(disposed_on__isnull=True),
    DisposalStatus.CERTIFICATE_MISSING: Q(disposed_on__isnull=False, certificate=""),
    DisposalStatus.COMPLETE: Q(disposed_on__isnull=False) & ~Q(certificate=""),
}


def with_status(queryset: QuerySet, status: str) -> QuerySet:
    """Return the disposals of `queryset` in the given DisposalStatus."""
    return queryset.filter(STATUS_Q[DisposalStatus(status)])


def days_since_disposal(disposal: StorageDisposal, today: datetime.date | None = None) -> int | None:
    """Return how many days ago the device was disposed of, None when it has not been yet."""
    if disposal.disposed_on is None:
        return None
    return ((today or timezone.localdate()) - disposal.disposed_on).days


def is_overdue(disposal: StorageDisposal, today: datetime.date | None = None) -> bool:
    """Return whether a disposal has waited more than OVERDUE_DAYS for its certificate."""
    days = days_since_disposal(disposal, today)
    return disposal.status == DisposalStatus.CERTIFICATE_MISSING and days is not None and days > OVERDUE_DAYS


def missing_certificates(user) -> QuerySet:
    """Return the disposals the user may see that are done but have no certificate, oldest first."""
    visible = StorageDisposal.objects.restrict(user, VIEW).select_related("unit", "unit__department")
    return with_status(visible, DisposalStatus.CERTIFICATE_MISSING).order_by("disposed_on", "pk")


def missing_by_department(user) -> list[dict]:
    """Return, per department, how many certificates it still owes and since when, the longest waiting
    first: who the office has to chase."""
    today = timezone.localdate()
    rows = (
        missing_certificates(user)
        .order_by()
        .values("unit__department__name")
        .annotate(
            missing=Count("pk"),
            oldest=Min("disposed_on"),
            overdue=Count("pk", filter=Q(disposed_on__lt=today - datetime.timedelta(days=OVERDUE_DAYS))),
        )
        .order_by("oldest", "unit__department__name")
    )
    return [
        {
            "department": row["unit__department__name"] or "—",
            "missing": row["missing"],
            "overdue": row["overdue"],
            "oldest": row["oldest"],
            "days": (today - row["oldest"]).days,
        }
        for row in rows
    ]


def disposals_of_system(user, system) -> QuerySet:
    """Return the disposals linked to a system that the user may see, newest first."""
    return (
        StorageDisposal.objects.restrict(user, VIEW)
        .filter(system=system)
        .select_related("unit", "unit__department")
        .order_by("-disposed_on", "-planned_on", "-pk")
    )


def dashboard_cards(user) -> list[dict]:
    """Return the dashboard figure of this module: disposals still waiting for their certificate."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    return [
        {
            "label": _("Disposals missing a certificate"),
            "value": missing_certificates(user).count(),
            "url": reverse("disposals:missing_certificates"),
        }
    ]


def karte_section(user, system) -> dict | None:
    """Return the disposals section of a system's karte, None when no disposal the user sees is linked."""
    from karte.core.tables import bind
    from karte.disposals.tables import SystemDisposalTable

    disposals = list(disposals_of_system(user, system))
    if not disposals:
        return None
    return {"template": "disposals/karte_section.html", "table": bind(SystemDisposalTable({}), disposals)}
