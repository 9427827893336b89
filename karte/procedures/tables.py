"""Tables of the procedures module, all rendered by the one table component (includes/table.html).

Percentages arrive as Decimals to one place from the selectors and are only formatted here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from karte.core.fiscal import format_fiscal_year
from karte.core.tables import Col, Table, resolve
from karte.procedures.choices import OnlineStatus, Reason
from karte.procedures.selectors import Kpis

NOT_IN_ROUND = _("Not in the round")


def format_percent(value: Decimal | None) -> str:
    """Return 13.9% for Decimal("13.9"), and — when there is nothing to divide by."""
    return "—" if value is None else f"{value}%"


def format_points(current: Decimal | None, previous: Decimal | None) -> str:
    """Return the change between two percentages in points, signed (+9.8 pt)."""
    if current is None or previous is None:
        return "—"
    return f"{current - previous:+} pt"


def status_label(value: str | None) -> str:
    """The label of an online status; an empty answer reads as not answered."""
    if value is None:
        return str(NOT_IN_ROUND)
    if value == "":
        return str(_("Not answered"))
    return str(OnlineStatus(value).label)


def reason_label(value: str) -> str:
    return str(Reason(value).label) if value in Reason.values else value


def fy(value: int | None) -> str:
    return format_fiscal_year(value) if value else "—"


def applicants(procedure) -> str:
    who = [
        (procedure.by_residents, _("Residents")),
        (procedure.by_businesses, _("Businesses")),
        (procedure.by_municipalities, _("Municipalities")),
    ]
    return "・".join(str(label) for applies, label in who if applies)


def fee(procedure) -> str:
    if not procedure.has_fee:
        return "—"
    return procedure.payment_method or "○"


def short(text: str, length: int = 60) -> str:
    return Truncator(text or "").chars(length)


class ProcedureTable(Table):
    """The inventory. Rows carry `latest_status` (filters.with_latest_status)."""

    columns = [
        Col("code", _("Procedure ID"), order_by="code", link=True),
        Col("name", _("Procedure name"), order_by="name", link=True),
        Col("unit.department.name", _("Department"), order_by="unit__department__code"),
        Col("unit.name", _("Owning unit"), order_by="unit__code"),
        Col("get_kind_display", _("Kind"), order_by="kind"),
        Col(applicants, _("Who applies")),
        Col("legal_basis", _("Legal basis"), order_by="legal_basis"),
        Col("has_attachments", _("Attachments")),
        Col(fee, _("Fee and payment")),
        Col("accepting_system_name", _("System that accepts it"), order_by="accepting_system_name"),
        Col(
            lambda p: status_label(p.latest_status), _("Status in the latest round"), order_by="latest_status"
        ),
    ]
    default_order = "code"
    caption = _("Procedures")


class ProcedureBriefTable(Table):
    """Procedures named on another record's page (a support case, a form template)."""

    columns = [
        Col("code", _("Procedure ID"), link=True),
        Col("name", _("Procedure name"), link=True),
        Col("unit.department.name", _("Department")),
        Col("unit.name", _("Owning unit")),
        Col(lambda p: status_label(p.latest_status), _("Status in the latest round")),
    ]
    caption = _("Procedures")
    empty_text = _("No procedures you may see.")


class AnswerHistoryTable(Table):
    """One procedure's answers over the rounds, oldest first."""

    columns = [
        Col("round.name", _("Survey round")),
        Col("yearly_volume", _("Cases a year"), is_num=True),
        Col("online_volume", _("Of which online"), is_num=True),
        Col(lambda a: status_label(a.status), _("Online status")),
        Col(lambda a: fy(a.target_fy), _("Planned fiscal year")),
        Col(lambda a: "、".join(reason_label(r) for r in a.reasons), _("Reasons it is not online")),
    ]
    caption = _("Answers over the rounds")
    empty_text = _("The procedure is in no survey round yet.")


class SupportCaseTable(Table):
    """Rows are annotated with procedure_count, hearing_count and last_hearing by the view."""

    columns = [
        Col("title", _("Title"), order_by="title", link=True),
        Col("unit.department.name", _("Department"), order_by="unit__department__code"),
        Col("unit.name", _("Owning unit"), order_by="unit__code"),
        Col("procedure_count", _("Procedures"), order_by="procedure_count", is_num=True),
        Col("get_status_display", _("Status"), order_by="status"),
        Col("get_proposal_display", _("Proposal"), order_by="proposal"),
        Col("hearing_count", _("Hearings"), order_by="hearing_count", is_num=True),
        Col("last_hearing", _("Last hearing"), order_by="last_hearing"),
        Col("went_live_on", _("Went online on"), order_by="went_live_on"),
    ]
    default_order = "-pk"
    caption = _("Support cases")


class HearingTable(Table):
    columns = [
        Col("held_on", _("Held on"), link=True),
        Col("attendees", _("Who")),
        Col(lambda h: short(h.current_workflow), _("Current workflow")),
        Col(lambda h: short(h.issues_found), _("Issues found")),
    ]
    caption = _("Hearings")
    empty_text = _("No hearings yet.")

    def link_for(self, obj: Any, column: Col) -> str | None:
        return reverse("procedures:hearing_detail", kwargs={"pk": obj.pk})


class SupportCaseBriefTable(Table):
    columns = [
        Col("title", _("Title"), link=True),
        Col("get_status_display", _("Status")),
        Col("get_proposal_display", _("Proposal")),
        Col("went_live_on", _("Went online on")),
    ]
    caption = _("Support cases")
    empty_text = _("No support cases.")


class FormTemplateTable(Table):
    """Rows are annotated with procedure_count (the procedures the user may see that use the template)."""

    columns = [
        Col("name", _("Name"), order_by="name", link=True),
        Col("procedure_count", _("Procedures using it"), order_by="procedure_count", is_num=True),
        Col(lambda t: short(t.description, 80), _("Description")),
    ]
    default_order = "name"
    caption = _("Form templates")


# --- the KPI page -----------------------------------------------------------------------------------
class RowTable(Table):
    """A table of rows already in memory (a few dozen), sorted in Python by the same ?sort= keys."""

    def sorted_rows(self, rows: Iterable[Any]) -> list[Any]:
        rows = list(rows)
        if not self.sort:
            return rows
        key = self.sort.lstrip("-")
        column = next(c for c in self.columns if c.order_by and self.sort_key(c) == key)
        # Rows without a value (no cases to divide by) go last whichever way.
        present = [r for r in rows if resolve(r, column.order_by) is not None]
        missing = [r for r in rows if resolve(r, column.order_by) is None]
        present.sort(key=lambda r: resolve(r, column.order_by), reverse=self.sort.startswith("-"))
        return present + missing


@dataclass
class DepartmentKpis:
    name: str
    kpis: Kpis

    def __getattr__(self, name: str):
        # Columns read the KPIs' figures as if they were the row's own.
        if name == "kpis":
            raise AttributeError(name)
        return getattr(self.kpis, name)


class DepartmentKpiTable(RowTable):
    columns = [
        Col("name", _("Department"), order_by="name"),
        Col("procedures", _("Procedures"), order_by="procedures", is_num=True),
        Col("online", _("Online"), order_by="online", is_num=True),
        Col(
            lambda r: format_percent(r.online_share_by_count),
            _("Online share by count"),
            order_by="online_share_by_count",
            is_num=True,
        ),
        Col("volume", _("Cases a year"), order_by="volume", is_num=True),
        Col("online_volume", _("Online cases"), order_by="online_volume", is_num=True),
        Col(
            lambda r: format_percent(r.online_share_by_volume),
            _("Online share by volume"),
            order_by="online_share_by_volume",
            is_num=True,
        ),
        Col("planned", _("Planned"), order_by="planned", is_num=True),
        Col(
            lambda r: format_percent(r.planned_share),
            _("Planned share"),
            order_by="planned_share",
            is_num=True,
        ),
        Col("later_or_impossible", _("Later or impossible"), order_by="later_or_impossible", is_num=True),
        Col(
            lambda r: format_percent(r.later_share),
            _("Later or impossible share"),
            order_by="later_share",
            is_num=True,
        ),
    ]
    caption = _("By department")
    empty_text = _("No department has answered this round.")


class PriorityTable(Table):
    """Rows are ProcedureAnswers of the round, largest first; `rank` is set by the view."""

    columns = [
        Col("rank", _("Rank"), is_num=True),
        Col("procedure.code", _("Procedure ID")),
        Col("procedure.name", _("Procedure name"), link=True),
        Col("department.name", _("Department")),
        Col("unit.name", _("Owning unit")),
        Col("yearly_volume", _("Cases a year"), is_num=True),
        Col("online_volume", _("Of which online"), is_num=True),
        Col(lambda a: status_label(a.status), _("Online status")),
        Col(lambda a: fy(a.target_fy), _("Planned fiscal year")),
    ]
    caption = _("Priority list")
    empty_text = _("Every procedure with cases is online.")

    def link_for(self, obj: Any, column: Col) -> str | None:
        return reverse("procedures:procedure_detail", kwargs={"pk": obj.procedure_id})


@dataclass
class Comparison:
    """One measure in two rounds."""

    label: str
    previous: str
    current: str
    change: str


class YearOverYearTable(Table):
    columns = [
        Col("label", _("Measure")),
        Col("previous", _("Previous round"), is_num=True),
        Col("current", _("This round"), is_num=True),
        Col("change", _("Change"), is_num=True),
    ]
    caption = _("Year over year")

    def __init__(self, params, *, previous_name: str, current_name: str):
        super().__init__(params)
        self.columns = [
            self.columns[0],
            Col("previous", previous_name, is_num=True),
            Col("current", current_name, is_num=True),
            self.columns[3],
        ]


def comparisons(previous: Kpis, current: Kpis) -> list[Comparison]:
    """The measures of the year-over-year table: counts with their change, shares with points."""
    rows = []
    for label, name in (
        (_("Procedures"), "procedures"),
        (_("Online"), "online"),
        (_("Cases a year"), "volume"),
        (_("Online cases"), "online_volume"),
        (_("Planned"), "planned"),
        (_("Later or impossible"), "later_or_impossible"),
    ):
        before, after = getattr(previous, name), getattr(current, name)
        rows.append(Comparison(str(label), f"{before:,}", f"{after:,}", f"{after - before:+,}"))
    for label, name in (
        (_("Online share by count"), "online_share_by_count"),
        (_("Online share by volume"), "online_share_by_volume"),
        (_("Planned share"), "planned_share"),
        (_("Later or impossible share"), "later_share"),
    ):
        before, after = getattr(previous, name), getattr(current, name)
        rows.append(
            Comparison(
                str(label), format_percent(before), format_percent(after), format_points(after, before)
            )
        )
    return rows


# --- the support overview ---------------------------------------------------------------------------
@dataclass
class DepartmentCases:
    name: str
    by_status: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


class DepartmentCasesTable(Table):
    caption = _("Support cases by department")
    empty_text = _("No support cases yet.")

    def __init__(self, params, *, statuses: list[tuple[str, str]]):
        super().__init__(params)
        self.columns = [
            Col("name", _("Department")),
            *(Col(_status_count(value), label, is_num=True) for value, label in statuses),
            Col("total", _("All cases"), is_num=True),
        ]


def _status_count(value: str):
    return lambda row: row.by_status.get(value, 0)


class LiveCaseTable(Table):
    columns = [
        Col("title", _("Title"), link=True),
        Col("unit.department.name", _("Department")),
        Col("get_proposal_display", _("Proposal")),
        Col("went_live_on", _("Went online on")),
    ]
    caption = _("Cases gone online")
    empty_text = _("No case has gone online yet.")


@dataclass
class Movement:
    """A supported procedure whose status improved between two rounds."""

    procedure: Any
    department: str
    before: str | None
    after: str | None

    def get_absolute_url(self) -> str:
        return self.procedure.get_absolute_url()


class MovementTable(Table):
    columns = [
        Col("procedure.code", _("Procedure ID")),
        Col("procedure.name", _("Procedure name"), link=True),
        Col("department", _("Department")),
        Col(lambda m: status_label(m.before), _("Previous round")),
        Col(lambda m: status_label(m.after), _("Latest round")),
    ]
    caption = _("Supported procedures that moved")
    empty_text = _("No supported procedure has moved between the latest two rounds.")
