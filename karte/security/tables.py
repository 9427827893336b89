"""Tables of the security posture, rendered by the one table component (includes/table.html)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from karte.core.tables import Col, Table, display, resolve
from karte.security.choices import Coverage, Exemption, GapReason, MonitoringService, OwnMeasure
from karte.security.selectors import CoverageRow

SEPARATOR = "、"


def services_of(row: CoverageRow) -> str:
    return SEPARATOR.join(str(MonitoringService(s).label) for s in row.enrolled)


def measures_of(row: CoverageRow) -> str:
    return SEPARATOR.join(str(OwnMeasure(m).label) for m in row.own_measures)


def coverage_of(row: CoverageRow) -> str:
    return str(Coverage(row.verdict.coverage).label)


def gap_reason_of(row: CoverageRow) -> str:
    return str(GapReason(row.verdict.gap_reason).label) if row.verdict.gap_reason else ""


def exemption_of(row: CoverageRow) -> str:
    return str(Exemption(row.exemption).label) if row.exemption else ""


class CoverageTable(Table):
    """Internet-facing systems and gaps, gaps first in red, each linking to the system's karte.

    Rows are CoverageRow, placed by the coverage rule; their order (gaps first, by department) is the
    report's own, so no column sorts.
    """

    columns = [
        Col("code", _("System ID"), link=True),
        Col("name", _("System name"), link=True),
        Col("department_name", _("Department")),
        Col("unit_name", _("Owning unit")),
        Col("internet_facing", _("Internet-facing")),
        Col(coverage_of, _("Coverage")),
        Col(gap_reason_of, _("Gap reason")),
        Col(services_of, _("Monitoring services")),
        Col(measures_of, _("Own measures")),
        Col(exemption_of, _("Exemption")),
        Col("confirmed_on", _("Confirmed on")),
    ]
    caption = _("Internet-facing systems and gaps")
    empty_text = _("No internet-facing system and no gap.")

    def link_for(self, obj: Any, column: Col) -> str | None:
        return reverse("systems:system_detail", kwargs={"pk": obj.system_id}) + "#security"

    def row_tone(self, obj: Any) -> str:
        return "danger" if obj.verdict.is_gap else ""

    def texts(self, rows: Iterable[CoverageRow]) -> Iterator[list[str]]:
        """The cells' text of every row, for a sheet: without the links, which a sheet does not keep."""
        for row in rows:
            yield [display(resolve(row, column.accessor)) for column in self.columns]
