"""Reports modules print through `karte report KIND`: the figures their pages show, for scripts and checks.

A module registers a function in its `reports.py` (found at startup like admin.py) with the options of
the command it reads. The function returns (JSON-ready dict, text); it reads and never writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from karte.core import fiscal
from karte.core.choices import OrgUnitKind
from karte.core.models import OrgUnit

# The options `karte report` offers; each report says which of them it reads.
OPTIONS = ("fy", "round", "body", "department")

ReportFunction = Callable[[dict], tuple[dict, str]]


@dataclass(frozen=True)
class Report:
    kind: str
    function: ReportFunction
    options: tuple[str, ...]
    help: str = ""


_reports: dict[str, Report] = {}


def register_report(
    kind: str, function: ReportFunction, *, options: tuple[str, ...] = (), help: str = ""
) -> None:
    """Make `function(options) -> (dict, text)` available as `karte report KIND`; `options` are those of
    OPTIONS it reads."""
    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise ValueError(f"report {kind!r} asks for unknown options {sorted(unknown)}")
    if kind in _reports and _reports[kind].function is not function:
        raise ValueError(f"report kind {kind!r} registered twice")
    _reports[kind] = Report(kind, function, tuple(options), help)


def _discover() -> None:
    # Importing every app's reports.py registers its reports; Django imports a module only once.
    autodiscover_modules("reports")


def get_report(kind: str) -> Report | None:
    _discover()
    return _reports.get(kind)


def all_reports() -> list[Report]:
    _discover()
    return sorted(_reports.values(), key=lambda r: r.kind)


# -- helpers for report functions ------------------------------------------------------------------
def fiscal_year_option(value: str | None) -> int:
    """Return the fiscal year an option names (2022, 令和4年度, R4); this fiscal year when it is empty."""
    if not value:
        return fiscal.fiscal_year_of(timezone.localdate())
    try:
        year = fiscal.parse_fiscal_year(value)
    except fiscal.FiscalParseError as exc:
        raise CommandError(str(exc)) from exc
    if year is None:
        raise CommandError("年度を指定してください")
    return year


def body_option(code: str | None) -> OrgUnit:
    """Return the body a --body code names; without one, the only body there is."""
    bodies = OrgUnit.objects.filter(kind=OrgUnitKind.BODY).order_by("code")
    if code:
        body = bodies.filter(code=code).first()
        if body is None:
            raise CommandError(f"団体コード「{code}」の団体はありません")
        return body
    found = list(bodies[:2])
    if not found:
        raise CommandError("団体が登録されていません")
    if len(found) > 1:
        raise CommandError("団体が複数あります。--body で団体コードを指定してください")
    return found[0]


def department_option(body: OrgUnit, code: str | None) -> OrgUnit | None:
    """Return the department of the body a --department code names, None without one."""
    if not code:
        return None
    department = OrgUnit.objects.filter(body=body, kind=OrgUnitKind.DEPARTMENT, code=code).first()
    if department is None:
        raise CommandError(f"{body.name}に部局コード「{code}」の部局はありません")
    return department
