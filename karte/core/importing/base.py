"""The import pipeline every module plugs into.

A module declares an `Importer`: its columns (Japanese header and aliases, a normaliser each) and how
a parsed row becomes records keyed by a natural key. The pipeline finds the header, parses every row,
collects every error with its sheet row and column, compares with what the user may already see, and
yields a `Plan`. Applying a plan is all or nothing and goes through the importer, which writes the
audit trail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from karte.core.importing.normalize import to_text
from karte.core.importing.tabular import find_header, read_table

Progress = Callable[[int, int], None]

NEW = "new"
CHANGED = "changed"
UNCHANGED = "unchanged"

# The preview kept with a job shows this many changed and new records; counts are always complete.
PREVIEW_SAMPLE = 200
# How offices start the notes they write below a table.
NOTE_MARKS = ("※", "注", "(注", "（注", "*", "＊", "備考", "【")


@dataclass(frozen=True)
class Column:
    """One column of a sheet: `label` is the header written on export and matched on import."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    parse: Callable[[Any], Any] = to_text

    @property
    def headers(self) -> list[str]:
        return [self.label, *self.aliases]


class RowError(ValueError):
    """A problem with one row; `column` is a Column.key or None for the row as a whole."""

    def __init__(self, message: str, column: str | None = None):
        super().__init__(message)
        self.column = column


@dataclass
class Record:
    """What the sheet says one record should be, from the first row that mentions it."""

    key: Hashable
    fields: dict[str, Any]
    row: int
    kind: str = ""


@dataclass
class PlannedRecord:
    record: Record
    action: str
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    existing: Any = None


@dataclass
class Plan:
    header_row: int = 0
    rows_read: int = 0
    records: list[PlannedRecord] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for r in self.records if r.action == action)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def as_dict(self, importer: Importer) -> dict:
        """Return the preview as JSON-ready data: counts, a sample of changes, every error."""
        sample = []
        for planned in self.records:
            if planned.action == UNCHANGED:
                continue
            if len(sample) >= PREVIEW_SAMPLE:
                break
            sample.append(
                {
                    "row": planned.record.row,
                    "action": planned.action,
                    "label": importer.describe(planned.record),
                    "changes": [
                        {"field": importer.field_label(name), "old": _shown(old), "new": _shown(new)}
                        for name, (old, new) in planned.changes.items()
                    ],
                }
            )
        return {
            "header_row": self.header_row,
            "rows_read": self.rows_read,
            "counts": {
                NEW: self.count(NEW),
                CHANGED: self.count(CHANGED),
                UNCHANGED: self.count(UNCHANGED),
                "errors": len(self.errors),
            },
            "sample": sample,
            "errors": self.errors,
        }


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class Importer:
    """Base of every module's importer; subclasses set the class attributes and the three hooks."""

    kind: str = ""
    label: str = ""
    columns: list[Column] = []
    export_filename: str = "export"
    # Templates list importer classes; without this they would try to instantiate them.
    do_not_call_in_templates = True
    # Keyword arguments the importer takes besides the user, offered on the upload page and the command
    # line: "fiscal_year" (which year a sheet's yearly figures belong to), "round" (the survey round).
    options: tuple[str, ...] = ()

    def __init__(self, user):
        self.user = user

    # -- hooks -------------------------------------------------------------------------------------
    def permitted(self) -> bool:
        """Return whether self.user may import this kind at all."""
        raise NotImplementedError

    def records_from_row(self, values: dict[str, Any]) -> list[Record]:
        """Return the records one parsed row describes; raise RowError for a row that cannot be."""
        raise NotImplementedError

    def existing(self, records: list[Record]) -> dict[Hashable, Any]:
        """Return {key: model instance} for the records the user may see already."""
        raise NotImplementedError

    def changes(self, record: Record, instance: Any) -> dict[str, tuple[Any, Any]]:
        """Return {field: (old, new)} for what applying `record` would change on `instance`."""
        return {
            name: (getattr(instance, name), value)
            for name, value in record.fields.items()
            if getattr(instance, name) != value
        }

    def apply(self, plan: Plan, progress: Progress | None = None) -> None:
        """Write the plan's new and changed records; runs inside a transaction."""
        raise NotImplementedError

    def export_rows(self, queryset) -> Iterable[list]:
        """Return the rows of an export in the order of `columns`."""
        raise NotImplementedError

    # -- shared ------------------------------------------------------------------------------------
    def describe(self, record: Record) -> str:
        return str(record.key)

    def field_label(self, name: str) -> str:
        for column in self.columns:
            if column.key == name:
                return column.label
        return name

    def check_plan(self, plan: Plan) -> None:
        """Add errors that need the whole file and the database, such as references between records."""


def _cell(cells: list, index: int | None) -> Any:
    if index is None or index >= len(cells):
        return None
    value = cells[index]
    if isinstance(value, str) and not value.strip():
        return None
    return value


def build_plan(
    importer: Importer, path: str | Path, progress: Progress | None = None, *, filename: str | None = None
) -> Plan:
    """Read the file at `path` and return what importing it would do, with every row error.

    Raises TableError when the file itself cannot be read (format, encoding, size, header).
    """
    aliases = {c.key: c.headers for c in importer.columns}
    required = [c.key for c in importer.columns if c.required]
    rows = read_table(path, filename=filename, max_bytes=settings.KARTE_IMPORT_MAX_BYTES)
    header_row, positions, rest = find_header(rows, aliases, required)
    data_rows = list(rest)
    plan = Plan(header_row=header_row)
    total = len(data_rows)
    by_key: dict[Hashable, Record] = {}

    after_blank = False
    for done, (row_number, cells) in enumerate(data_rows, start=1):
        if progress and done % 2000 == 0:
            progress(done, total)
        raw = {c.key: _cell(cells, positions.get(c.key)) for c in importer.columns}
        # Blank rows and the notes offices write below their data carry none of the required columns.
        if all(raw[key] is None for key in required):
            after_blank = after_blank or not any(_cell(cells, i) is not None for i in range(len(cells)))
            continue
        if _is_note(cells, after_blank):
            continue
        plan.rows_read += 1
        values: dict[str, Any] = {}
        row_errors = []
        for column in importer.columns:
            value = raw[column.key]
            if value is None and column.required:
                row_errors.append((column, "必須の項目が空です"))
                continue
            try:
                values[column.key] = column.parse(value)
            except ValueError as exc:
                row_errors.append((column, str(exc)))
        if row_errors:
            plan.errors.extend(_error(row_number, column.label, message) for column, message in row_errors)
            continue
        try:
            records = importer.records_from_row(values)
        except RowError as exc:
            plan.errors.append(_error(row_number, importer.field_label(exc.column or ""), str(exc)))
            continue
        for record in records:
            record.row = row_number
            seen = by_key.get(record.key)
            if seen is None:
                by_key[record.key] = record
            elif all(seen.fields.get(k, v) == v for k, v in record.fields.items()):
                # Rows may mention a record with fewer fields (a section on its groups' rows): merge them.
                for name, value in record.fields.items():
                    seen.fields.setdefault(name, value)
            else:
                plan.errors.append(
                    _error(
                        row_number,
                        "",
                        f"{importer.describe(record)} の内容が {seen.row} 行目と食い違っています",
                    )
                )

    del data_rows  # the records hold what is needed; the raw cells would double the peak memory
    if progress:
        progress(total, total)
    existing = importer.existing(list(by_key.values()))
    for record in by_key.values():
        instance = existing.get(record.key)
        if instance is None:
            plan.records.append(PlannedRecord(record, NEW))
            continue
        changes = importer.changes(record, instance)
        plan.records.append(PlannedRecord(record, CHANGED if changes else UNCHANGED, changes, instance))
    importer.check_plan(plan)
    plan.errors.sort(key=lambda e: e["row"])
    return plan


def _is_note(cells: list, after_blank: bool) -> bool:
    """A single text cell that reads like a note, or stands alone below a blank row, is not data."""
    filled = [v for v in cells if v is not None and not (isinstance(v, str) and not v.strip())]
    if len(filled) != 1 or not isinstance(filled[0], str):
        return False
    return after_blank or filled[0].strip().startswith(NOTE_MARKS)


def _error(row: int, column: str, message: str) -> dict:
    return {"row": row, "column": column, "message": message}


class PlanHasErrors(Exception):
    pass


def apply_plan(importer: Importer, plan: Plan, progress: Progress | None = None) -> None:
    """Apply a plan without errors, all or nothing."""
    if plan.has_errors:
        raise PlanHasErrors
    with transaction.atomic():
        importer.apply(plan, progress)


class AssignableUnits:
    """Resolves the unit code or name a sheet gives to a unit the importing user may assign records to."""

    def __init__(self, user):
        from karte.core.scoping import assignable_units

        self.by_code: dict[str, list] = defaultdict(list)
        self.by_name: dict[str, list] = defaultdict(list)
        self._departments: dict[int, str] | None = None
        # The command line (no user) may assign any current unit of any body.
        for unit in assignable_units(user, everything=user is None).only("pk", "code", "name", "body_id"):
            self.by_code[unit.code].append(unit)
            self.by_name[unit.name].append(unit)

    def get(self, code: str | None = None, name: str | None = None, column: str = "unit"):
        """Return the unit; RowError when it is unknown, out of reach, or matches units of two bodies."""
        shown = code or name or ""
        found = self.by_code.get(code, []) if code else self.by_name.get(name or "", [])
        if not found:
            raise RowError(f"所属「{shown}」は存在しないか、登録できる範囲の所属ではありません", column)
        if len(found) > 1:
            raise RowError(
                f"所属「{shown}」は複数の団体・所属に該当します。所属コードで指定してください", column
            )
        return found[0]

    def find(self, code: str | None, name: str | None, department: str | None = None):
        """Return the unit a row names by code (column "unit_code") or by name (column "unit_name").

        The same section name in two departments (庶務課) is told apart by the row's department name.
        """
        if code:
            return self.get(code=code, column="unit_code")
        if not name:
            raise RowError("所管課または所属コードを入力してください", "unit_name")
        found = self.by_name.get(name, [])
        if len(found) > 1 and department:
            in_department = [u for u in found if self._department_names().get(u.pk) == department]
            if len(in_department) == 1:
                return in_department[0]
        return self.get(name=name, column="unit_name")

    def _department_names(self) -> dict[int, str]:
        """Return {unit id: department name} for the unit names that occur more than once."""
        if self._departments is None:
            from karte.core.models import OrgUnit

            repeated = [u.pk for units in self.by_name.values() if len(units) > 1 for u in units]
            self._departments = dict(
                OrgUnit.objects.filter(pk__in=repeated).values_list("pk", "department__name")
            )
        return self._departments
