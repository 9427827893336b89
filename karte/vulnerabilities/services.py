"""Changes to hosts and vulnerability findings: derived severity and deadline, and the audit trail."""

from __future__ import annotations

from django.db import transaction

from karte.vulnerabilities.choices import default_due_on, severity_for_cvss
from karte.vulnerabilities.models import Finding, Host, join_cves, normalize_hostname, split_cves


def derive(finding: Finding) -> Finding:
    """Fill in what the finding leaves empty and return it.

    An empty severity follows the CVSS score (v3 bands); an empty due date follows the severity (critical
    14 days, high 30, medium 90, low 180 after the finding). A severity or due date that differs from
    what the rule gives is remembered as given, so that it stays when the score or the date changes.
    """
    derived = severity_for_cvss(finding.cvss)
    if not finding.severity and derived:
        finding.severity = derived
    finding.severity_given = finding.severity != derived
    default = default_due_on(finding.severity, finding.found_on)
    if finding.due_on is None:
        finding.due_on = default
    finding.due_given = finding.due_on != default
    finding.cve = join_cves(split_cves(finding.cve)[0])
    return finding


def clear_derived(finding: Finding) -> Finding:
    """Empty the severity and due date when they were derived, so that derive() works them out again."""
    if not finding.severity_given:
        finding.severity = ""
    if not finding.due_given:
        finding.due_on = None
    return finding


@transaction.atomic
def save_finding(finding: Finding, *, user=None) -> Finding:
    derive(finding)
    if finding.host_id is not None and finding.system_id is None:
        finding.system_id = finding.host.system_id
    if user is not None:
        finding._history_user = user
    finding.save()
    return finding


@transaction.atomic
def delete_finding(finding: Finding, *, user=None) -> None:
    if user is not None:
        finding._history_user = user
    finding.delete()


def tidy_host(host: Host) -> Host:
    host.hostname = normalize_hostname(host.hostname)
    return host


@transaction.atomic
def save_host(host: Host, *, user=None) -> Host:
    tidy_host(host)
    if user is not None:
        host._history_user = user
    host.save()
    return host


@transaction.atomic
def delete_host(host: Host, *, user=None) -> None:
    if user is not None:
        host._history_user = user
    host.delete()
