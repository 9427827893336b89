"""Tables of the system karte, all rendered by the one table component (includes/table.html)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from typing import Any

from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from karte.core.fiscal import fiscal_year_of, format_era_date, format_fiscal_year
from karte.core.tables import Cell, Col, Table
from karte.systems import selectors
from karte.systems.models import System

# Systems per lock-in query when a whole list is exported.
CHUNK = 500


def fy(value: int | None) -> str:
    return format_fiscal_year(value)


def lock_in_years(system) -> int | None:
    lock = getattr(system, "lock_in", None)
    return lock.years if lock else None


def maintenance_vendor(system) -> str | None:
    lock = getattr(system, "lock_in", None)
    return lock.vendor_name if lock else None


def sole_source_share(system) -> str | None:
    sole, total = getattr(system, "sole_share", (0, 0))
    if not total:
        return None
    return f"{sole}/{total} ({round(100 * sole / total)}%)"


def attach_lock_in(systems: list, fiscal_year: int) -> list:
    """Set `lock_in` (a selectors.LockIn or None) on each system, with one query for all of them."""
    locks = selectors.lock_in_at(System.objects.filter(pk__in=[s.pk for s in systems]), fiscal_year)
    for system in systems:
        system.lock_in = locks.get(system.pk)
    return systems


class RecordTable(Table):
    """A table of a system's contracts or costs: the first column opens the record, an optional last
    column its edit page. `url_prefix` names the views ("systems:contract")."""

    url_prefix = ""
    edit_column = Col(lambda record: _("Edit"), _("Edit"), link=True)

    def __init__(self, params, *, editable: bool = False):
        super().__init__(params)
        if editable:
            self.columns = [*self.columns, self.edit_column]

    def link_for(self, obj: Any, column: Col) -> str | None:
        suffix = "edit" if column is self.edit_column else "detail"
        return reverse(f"{self.url_prefix}_{suffix}", kwargs={"pk": obj.pk})


class SystemTable(Table):
    """The portfolio list. Lock-in and the maintenance vendor are read at `fiscal_year` for the rows shown
    (one query per page, or per CHUNK systems in an export), never one per row."""

    columns = [
        Col("code", _("System ID"), order_by="code", link=True),
        Col("name", _("System name"), order_by="name", link=True),
        Col("unit.department.name", _("Department"), order_by="unit__department__code"),
        Col("unit.name", _("Owning unit"), order_by="unit__code"),
        Col("get_hosting_display", _("Where it runs"), order_by="hosting"),
        Col("get_network_tier_display", _("Network tier"), order_by="network_tier"),
        Col(maintenance_vendor, _("Maintenance vendor")),
        Col(lock_in_years, _("Years with the same vendor"), is_num=True),
        Col(lambda s: fy(s.next_renewal_fy), _("Next renewal"), order_by="next_renewal_fy"),
        Col("get_status_display", _("Status"), order_by="status"),
    ]
    default_order = "code"
    caption = _("Information systems")

    def __init__(self, params, *, fiscal_year: int | None = None):
        super().__init__(params)
        self.fiscal_year = fiscal_year or fiscal_year_of(timezone.localdate())

    def rows(self, objects: Iterable[Any]) -> list[list[Cell]]:
        iterator = iter(objects)
        rows: list[list[Cell]] = []
        while chunk := list(islice(iterator, CHUNK)):
            rows.extend(super().rows(attach_lock_in(chunk, self.fiscal_year)))
        return rows


class LockInTable(Table):
    """Systems held by one vendor; rows carry `lock_in` and `sole_share`."""

    columns = [
        Col("code", _("System ID"), link=True),
        Col("name", _("System name"), link=True),
        Col("unit.department.name", _("Department")),
        Col(maintenance_vendor, _("Maintenance vendor")),
        Col(lock_in_years, _("Years with the same vendor"), is_num=True),
        Col(sole_source_share, _("Sole-source contracts")),
        Col(lambda s: fy(s.next_renewal_fy), _("Next renewal")),
    ]
    caption = _("Systems held by one vendor")


class RenewalTable(Table):
    columns = [
        Col("code", _("System ID"), link=True),
        Col("name", _("System name"), link=True),
        Col("unit.department.name", _("Department")),
        Col("get_hosting_display", _("Where it runs")),
        Col(maintenance_vendor, _("Maintenance vendor")),
        Col(lock_in_years, _("Years with the same vendor"), is_num=True),
        Col("get_status_display", _("Status")),
    ]


def destination(system) -> str:
    return system.migration_destination or str(_("⚠ Not decided"))


class CommonPlatformTable(Table):
    columns = [
        Col("code", _("System ID"), link=True),
        Col("name", _("System name"), link=True),
        Col("unit.department.name", _("Department")),
        Col(destination, _("Where it must move")),
        Col("working_group.name", _("Working group")),
        Col(
            lambda s: format_era_date(s.working_group.migration_date) if s.working_group else None,
            _("Migration date"),
        ),
        Col(lambda s: fy(s.next_renewal_fy), _("Next renewal")),
    ]
    caption = _("Systems on the common platform")


def member_units(group) -> str:
    return "、".join(unit.name for unit in group.member_units.all())


def migration_date(group) -> str | None:
    return format_era_date(group.migration_date) or None


class WorkingGroupTable(Table):
    """Working groups with the number of systems the user may see (annotated by the view). Member units
    are fetched per page, or per CHUNK groups in an export, never one query per row."""

    columns = [
        Col("name", _("Name"), order_by="name", link=True),
        Col(member_units, _("Member units")),
        Col(migration_date, _("Migration date"), order_by="migration_date"),
        Col("system_count", _("Systems"), order_by="system_count", is_num=True),
    ]
    default_order = "name"
    caption = _("Working groups")

    def rows(self, objects: Iterable[Any]) -> list[list[Cell]]:
        iterator = iter(objects)
        rows: list[list[Cell]] = []
        while chunk := list(islice(iterator, CHUNK)):
            prefetch_related_objects(chunk, "member_units")
            rows.extend(super().rows(chunk))
        return rows


class WorkingGroupSystemTable(Table):
    """A working group's systems: where each runs now and where it must move."""

    columns = [
        Col("code", _("System ID"), link=True),
        Col("name", _("System name"), link=True),
        Col("unit.department.name", _("Department")),
        Col("unit.name", _("Owning unit")),
        Col("get_hosting_display", _("Where it runs")),
        Col(destination, _("Where it must move")),
        Col(lambda s: fy(s.next_renewal_fy), _("Next renewal")),
    ]
    caption = _("Systems of the working group")
    empty_text = _("No systems you may see belong to this working group.")


class ContractTable(RecordTable):
    """A system's contracts over the years; `editable` adds a link to each contract's edit page."""

    columns = [
        Col("get_kind_display", _("Contract kind"), link=True),
        Col("vendor.name", _("Vendor")),
        Col(lambda c: fy(c.fy_from), _("From fiscal year")),
        Col(lambda c: fy(c.fy_to) or _("Ongoing"), _("To fiscal year")),
        Col("amount_thousand_yen", _("Amount (thousand yen)"), is_num=True),
        Col("get_procurement_method_display", _("Procurement method")),
    ]
    url_prefix = "systems:contract"
    caption = _("Contracts")
    empty_text = _("No contracts are recorded.")


def difference(cost) -> int | None:
    if cost.budget_thousand_yen is None or cost.settlement_thousand_yen is None:
        return None
    return cost.settlement_thousand_yen - cost.budget_thousand_yen


class CostTable(RecordTable):
    columns = [
        Col(lambda c: fy(c.fiscal_year), _("Fiscal year"), link=True),
        Col("budget_thousand_yen", _("Budget (thousand yen)"), is_num=True),
        Col("settlement_thousand_yen", _("Settlement (thousand yen)"), is_num=True),
        Col(difference, _("Settlement minus budget"), is_num=True),
    ]
    url_prefix = "systems:cost"
    caption = _("Costs by fiscal year")
    empty_text = _("No costs are recorded.")


class VendorTable(Table):
    """Vendors with the number of systems and contracts the user may see (annotated by the view)."""

    columns = [
        Col("name", _("Vendor"), order_by="name", link=True),
        Col("system_count", _("Systems"), order_by="system_count", is_num=True),
        Col("contract_count", _("Contracts"), order_by="contract_count", is_num=True),
        Col(lambda v: fy(v.first_fy), _("Since"), order_by="first_fy"),
    ]
    default_order = "name"
    caption = _("Vendors")


class VendorContractTable(Table):
    columns = [
        Col(lambda c: str(c.system), _("System"), link=True),
        Col("get_kind_display", _("Contract kind")),
        Col(lambda c: fy(c.fy_from), _("From fiscal year")),
        Col(lambda c: fy(c.fy_to) or _("Ongoing"), _("To fiscal year")),
        Col("amount_thousand_yen", _("Amount (thousand yen)"), is_num=True),
        Col("get_procurement_method_display", _("Procurement method")),
    ]
    caption = _("Contracts")

    def link_for(self, obj, column):
        return obj.system.get_absolute_url()


class DepartmentTable(Table):
    """Rows are selectors.by_department dicts."""

    columns = [
        Col(lambda r: r["department"], _("Department")),
        Col(lambda r: r["systems"], _("Systems"), is_num=True),
        Col(lambda r: r["budget"], _("Budget (thousand yen)"), is_num=True),
        Col(lambda r: r["settlement"], _("Settlement (thousand yen)"), is_num=True),
    ]
    caption = _("By department")


class FiscalYearCostTable(Table):
    """Rows are selectors.costs_by_fy dicts."""

    columns = [
        Col(lambda r: fy(r["fiscal_year"]), _("Fiscal year")),
        Col(lambda r: r["budget"], _("Budget (thousand yen)"), is_num=True),
        Col(lambda r: r["settlement"], _("Settlement (thousand yen)"), is_num=True),
    ]
    caption = _("By fiscal year")


@dataclass
class VendorYearRow:
    system: System
    kinds: dict[int, list[str]] = field(default_factory=dict)

    def get_absolute_url(self) -> str:
        return self.system.get_absolute_url()


class VendorYearTable(Table):
    """One company's systems by fiscal year: each cell names the kinds of contract in force that year.

    `grid` holds the rows; an ongoing contract counts up to `until` (this fiscal year).
    """

    caption = _("Systems by fiscal year")
    empty_text = _("No contracts of this vendor are recorded for systems you may see.")
    MAX_YEARS = 30

    def __init__(self, params, *, contracts: list, until: int):
        super().__init__(params)
        rows: dict[int, VendorYearRow] = {}
        for contract in contracts:
            row = rows.setdefault(contract.system_id, VendorYearRow(contract.system))
            end = contract.fy_to if contract.fy_to is not None else max(until, contract.fy_from)
            for year in range(contract.fy_from, end + 1):
                kinds = row.kinds.setdefault(year, [])
                if contract.get_kind_display() not in kinds:
                    kinds.append(contract.get_kind_display())
        self.grid = list(rows.values())
        years = sorted({year for row in self.grid for year in row.kinds})
        years = list(range(years[0], years[-1] + 1))[-self.MAX_YEARS :] if years else []
        self.columns = [
            Col(lambda r: str(r.system), _("System"), link=True),
            *(Col(partial(year_cell, year=year), fy(year)) for year in years),
        ]


def year_cell(row: VendorYearRow, *, year: int) -> str:
    return "・".join(str(kind) for kind in row.kinds.get(year, []))
