"""Reads of the vulnerability findings: lists, the overdue list, the dashboard card and the karte section."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from karte.core.scoping import CHANGE, VIEW
from karte.core.tables import bind
from karte.vulnerabilities.choices import SEVERITY_ORDER, FindingStatus, Severity
from karte.vulnerabilities.models import Finding, Host
from karte.vulnerabilities.tables import SystemHostTable

LIST_RELATED = ("system", "system__unit", "system__unit__department", "host")


def findings_for(user, action: str = VIEW):
    """Return the findings the user may see (or change), with what lists show, overdue and open first."""
    return Finding.objects.restrict(user, action).with_status_rank().select_related(*LIST_RELATED)


def hosts_for(user, action: str = VIEW):
    return Host.objects.restrict(user, action).select_related("system", "system__unit__department")


def overdue_findings(user, today=None):
    """Return the open findings past their deadline that the user may see, the longest overdue first."""
    today = today or timezone.localdate()
    return (
        Finding.objects.restrict(user, VIEW)
        .overdue(today)
        .select_related(*LIST_RELATED)
        .order_by("due_on", "system__unit__department__code", "pk")
    )


def dashboard_cards(user) -> list[dict]:
    """Return the dashboard card: how many findings the user may see are past their deadline."""
    from django.utils.translation import gettext as _

    return [
        {
            "label": _("Overdue vulnerability findings"),
            "value": Finding.objects.restrict(user, VIEW).overdue().count(),
            "url": reverse("vulnerabilities:overdue"),
        }
    ]


def karte_section(user, system) -> dict:
    """Return the karte section of a system: its hosts and its unfixed findings by severity, with links."""
    today = timezone.localdate()
    findings = Finding.objects.restrict(user, VIEW).filter(system=system).not_fixed()
    counts = dict(findings.order_by().values_list("severity").annotate(n=Count("pk")))
    overdue = findings.overdue(today).count()
    list_url = reverse("vulnerabilities:finding_list")
    by_severity = [
        {
            "label": Severity(severity).label,
            "severity": severity,
            "count": counts.get(severity, 0),
            "url": f"{list_url}?system={system.pk}&severity={severity}&status=not_fixed",
        }
        for severity in SEVERITY_ORDER
    ]
    may_change = type(system).objects.restrict(user, CHANGE).filter(pk=system.pk).exists()
    hosts = list(
        Host.objects.restrict(user, VIEW)
        .filter(system=system)
        .annotate(open_findings=Count("findings", filter=Q(findings__fixed_on__isnull=True)))
        .order_by("ip", "hostname")
    )
    return {
        "template": "vulnerabilities/karte_section.html",
        "host_table": bind(SystemHostTable(QueryDict()), hosts),
        "by_severity": by_severity,
        "not_fixed": sum(counts.values()),
        "overdue": overdue,
        "overdue_url": f"{list_url}?system={system.pk}&status={FindingStatus.OVERDUE}",
        "all_url": f"{list_url}?system={system.pk}",
        "may_change": may_change,
        "host_add_url": f"{reverse('vulnerabilities:host_add')}?system={system.pk}" if may_change else None,
        "finding_add_url": f"{reverse('vulnerabilities:finding_add')}?system={system.pk}"
        if may_change
        else None,
    }
