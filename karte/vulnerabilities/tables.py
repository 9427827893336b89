"""Tables of the vulnerability findings, rendered by the one table component (includes/table.html)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from karte.core.tables import Col, Table
from karte.vulnerabilities.choices import FindingStatus


def host_label(finding) -> str | None:
    return finding.host.label if finding.host_id else None


def cvss(finding) -> str | None:
    return None if finding.cvss is None else f"{finding.cvss:.1f}"


class FindingTable(Table):
    """Findings, overdue and open first (the view annotates `status_rank`); overdue rows are red."""

    columns = [
        Col("title", _("Finding"), order_by="title", link=True),
        Col("get_severity_display", _("Severity"), order_by="severity"),
        Col(cvss, _("CVSS"), order_by="cvss", is_num=True),
        Col("get_status_display", _("Status"), order_by="status_rank"),
        Col("due_on", _("Due date"), order_by="due_on"),
        Col("found_on", _("Found on"), order_by="found_on"),
        Col("system.code", _("System ID"), order_by="system__code"),
        Col("system.name", _("System name")),
        Col(host_label, _("Host")),
        Col("system.unit.department.name", _("Department"), order_by="system__unit__department__code"),
        Col("cve", _("CVE")),
    ]
    caption = _("Vulnerability findings")
    empty_text = _("No findings to show.")

    def __init__(self, params):
        super().__init__(params)
        self.today = timezone.localdate()

    def order(self, queryset):
        if self.sort:
            return super().order(queryset)
        return queryset.order_by("status_rank", "due_on", "pk")

    def row_tone(self, obj: Any) -> str:
        return "danger" if obj.status_on(self.today) == FindingStatus.OVERDUE else ""


def days_overdue(finding) -> int:
    return (timezone.localdate() - finding.due_on).days


class OverdueTable(Table):
    """Findings past their deadline, the longest overdue first, with the department to chase."""

    columns = [
        Col("due_on", _("Due date")),
        Col(days_overdue, _("Days overdue"), is_num=True),
        Col("system.unit.department.name", _("Department")),
        Col("system.unit.name", _("Owning unit")),
        Col("system.code", _("System ID")),
        Col("system.name", _("System name")),
        Col(host_label, _("Host")),
        Col("title", _("Finding"), link=True),
        Col("get_severity_display", _("Severity")),
        Col("found_on", _("Found on")),
    ]
    caption = _("Overdue vulnerability findings")
    empty_text = _("No finding is past its due date.")

    def row_tone(self, obj: Any) -> str:
        return "danger"


class HostTable(Table):
    columns = [
        Col(lambda h: h.hostname or None, _("Host name"), order_by="hostname", link=True),
        Col("ip", _("IP address"), order_by="ip", link=True),
        Col("system.code", _("System ID"), order_by="system__code"),
        Col("system.name", _("System name")),
        Col("system.unit.department.name", _("Department"), order_by="system__unit__department__code"),
        Col("open_findings", _("Findings not fixed"), order_by="open_findings", is_num=True),
    ]
    default_order = "system__code"
    caption = _("Hosts")
    empty_text = _("No hosts are registered.")


class SystemHostTable(Table):
    """The hosts on a system's karte; rows carry `open_findings`."""

    columns = [
        Col(lambda h: h.hostname or None, _("Host name"), link=True),
        Col("ip", _("IP address"), link=True),
        Col("open_findings", _("Findings not fixed"), is_num=True),
        Col("note", _("Note")),
    ]
    caption = _("Hosts")
    empty_text = _("No hosts are registered. Register the hosts before importing a scanner's results.")


class HostFindingTable(Table):
    columns = [
        Col("title", _("Finding"), link=True),
        Col("get_severity_display", _("Severity")),
        Col(cvss, _("CVSS"), is_num=True),
        Col("port", _("Port")),
        Col("get_status_display", _("Status")),
        Col("due_on", _("Due date")),
    ]
    caption = _("Findings on this host")
    empty_text = _("No findings are recorded for this host.")

    def __init__(self, params):
        super().__init__(params)
        self.today = timezone.localdate()

    def row_tone(self, obj: Any) -> str:
        return "danger" if obj.status_on(self.today) == FindingStatus.OVERDUE else ""
