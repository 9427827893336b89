"""Tables of the incident log."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from karte.core.tables import Col, Table
from karte.incidents.choices import URGENT_SEVERITIES, IncidentStatus


class IncidentTable(Table):
    """Rows are annotated with `status_rank` and `severity_rank` (selectors.with_ranks) by the view.

    Without a chosen sort, incidents still being handled come first, then the newest detected.
    """

    columns = [
        Col(str, _("Incident"), order_by="reference", link=True),
        Col("get_status_display", _("Response status"), order_by="status_rank"),
        Col("get_severity_display", _("Severity"), order_by="severity_rank"),
        Col("detected_at", _("Detected at"), order_by="detected_at"),
        Col("get_source_display", _("How it came to light"), order_by="source"),
        Col("unit.department.name", _("Department"), order_by="unit__department__code"),
        Col("unit.name", _("Handling unit"), order_by="unit__code"),
        Col("closed_at", _("Completed at"), order_by="closed_at"),
    ]
    caption = _("Incidents")
    empty_text = _("No incidents are recorded that you may see.")

    def order(self, queryset):
        if self.sort:
            return super().order(queryset)
        return queryset.order_by("status_rank", "-detected_at", "-pk")

    def row_tone(self, obj) -> str:
        if obj.status == IncidentStatus.CLOSED:
            return ""
        return "danger" if obj.severity in URGENT_SEVERITIES else "warning"
