"""The one table component: columns declared once, sorted by whitelisted keys.

Rendered by includes/table.html.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict
from django.utils import formats
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Col:
    """A column: `accessor` is an attribute path ("unit.name") or a callable taking the row object.

    `order_by` is the ORM ordering used when the user sorts by this column (None: not sortable).
    `link` makes the cell a link to the row's get_absolute_url().
    """

    accessor: str | Callable[[Any], Any]
    label: str
    order_by: str | None = None
    is_num: bool = False
    link: bool = False


@dataclass(frozen=True)
class Cell:
    text: str
    url: str | None = None
    is_num: bool = False


class Row(list):
    """A table row's cells; `tone` ("danger", "warning" or "") marks a row that needs attention."""

    tone = ""


@dataclass(frozen=True)
class HeaderCell:
    label: str
    sort_url: str | None
    aria_sort: str | None
    is_num: bool


def display(value: Any) -> str:
    """Return how a value reads in a table cell."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "○" if value else "—"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime.datetime):
        return formats.date_format(value.astimezone(), "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def resolve(obj: Any, accessor: str | Callable[[Any], Any]) -> Any:
    if callable(accessor):
        return accessor(obj)
    value = obj
    for part in accessor.split("."):
        if value is None:
            return None
        value = getattr(value, part)
        if callable(value) and part.startswith("get_"):
            value = value()
    return value


class Table:
    """Subclasses set `columns` and optionally `default_order`; views hand it the request's GET."""

    columns: list[Col] = []
    default_order: str | None = None
    empty_text = _("Nothing to show.")
    caption = ""

    def __init__(self, params: QueryDict):
        self.params = params
        keys = {self.sort_key(c) for c in self.columns if c.order_by}
        sort = params.get("sort", "")
        self.sort = sort if sort.lstrip("-") in keys else None

    @staticmethod
    def sort_key(column: Col) -> str:
        return column.order_by.lstrip("-").replace("__", "_")

    def order(self, queryset):
        """Return the queryset ordered as the user asked, or by default_order."""
        if self.sort:
            descending = self.sort.startswith("-")
            for column in self.columns:
                if column.order_by and self.sort_key(column) == self.sort.lstrip("-"):
                    field = column.order_by.lstrip("-")
                    return queryset.order_by(f"-{field}" if descending else field, "pk")
        if self.default_order:
            return queryset.order_by(self.default_order, "pk")
        return queryset

    @property
    def header(self) -> list[HeaderCell]:
        cells = []
        for column in self.columns:
            if not column.order_by:
                cells.append(HeaderCell(column.label, None, None, column.is_num))
                continue
            key = self.sort_key(column)
            current = None
            if self.sort == key:
                current = "ascending"
            elif self.sort == f"-{key}":
                current = "descending"
            params = self.params.copy()
            params["sort"] = f"-{key}" if current == "ascending" else key
            params.pop("page", None)
            cells.append(HeaderCell(column.label, f"?{params.urlencode()}", current or "none", column.is_num))
        return cells

    def link_for(self, obj: Any, column: Col) -> str | None:
        """Return where a link cell points; tables with more than one link per row override this."""
        return obj.get_absolute_url()

    def row_tone(self, obj: Any) -> str:
        """Return "danger" or "warning" for a row that needs attention (a gap, an overdue finding)."""
        return ""

    def rows(self, objects: Iterable[Any]) -> list[Row]:
        rows = []
        for obj in objects:
            row = Row(
                Cell(
                    display(resolve(obj, column.accessor)),
                    self.link_for(obj, column) if column.link else None,
                    column.is_num,
                )
                for column in self.columns
            )
            row.tone = self.row_tone(obj)
            rows.append(row)
        return rows


@dataclass
class BoundTable:
    """What includes/table.html renders."""

    columns: list[HeaderCell]
    rows: list[Row]
    empty_text: str
    caption: str


def bind(table: Table, objects: Iterable[Any]) -> BoundTable:
    return BoundTable(table.header, table.rows(objects), table.empty_text, table.caption)


class OrgUnitTable(Table):
    columns = [
        Col("code", _("Code"), order_by="code", link=True),
        Col("name", _("Name"), order_by="name", link=True),
        Col("get_kind_display", _("Kind"), order_by="kind"),
        Col("department.name", _("Department"), order_by="department__code"),
        Col("parent.name", _("Parent unit")),
        Col("valid_from", _("Valid from"), order_by="valid_from"),
        Col("valid_to", _("Valid until"), order_by="valid_to"),
    ]
    default_order = "code"
    caption = _("Organisational units")


class PersonTable(Table):
    columns = [
        Col("user.username", _("Login name"), order_by="user__username", link=True),
        Col(
            lambda m: f"{m.user.last_name} {m.user.first_name}".strip(), _("Name"), order_by="user__last_name"
        ),
        Col("get_role_display", _("Role"), order_by="role"),
        Col("unit.department.name", _("Department"), order_by="unit__department__code"),
        Col("unit.name", _("Unit"), order_by="unit__code"),
        Col("user.is_active", _("May sign in")),
        Col("user.last_login", _("Last sign-in"), order_by="user__last_login"),
    ]
    default_order = "user__username"
    caption = _("People")
