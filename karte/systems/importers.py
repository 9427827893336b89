"""The system karte list (情報システムカルテ一覧): one row per system, with its maintainer and its cost.

A row sets the system's fields, makes sure its current maintenance contract is with the vendor the sheet
names from the year it names (a new maintainer ends the previous one the year before), and records the
cost column as the budget of one fiscal year: the row's 経費年度, else the importer's `fiscal_year`
(the current fiscal year unless given).

An empty cell leaves the stored value as it is: the pipeline cannot tell an empty cell from a column the
sheet does not have, and a sheet in the sample's shape (no 目的, no 利用者 …) must not wipe what the
departments wrote on screen. Yes/no columns are exported as ○/× so that they can be turned off by import.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from karte.core import fiscal
from karte.core.importing.base import (
    NEW,
    UNCHANGED,
    AssignableUnits,
    Column,
    Importer,
    Plan,
    Progress,
    Record,
    RowError,
)
from karte.core.importing.normalize import to_bool, to_choice, to_code, to_fiscal_year, to_int
from karte.core.importing.registry import register
from karte.core.models import OrgUnit
from karte.core.scoping import CHANGE, scope_for
from karte.systems.choices import (
    SHEET_NAMES,
    ContractKind,
    Hosting,
    NetworkTier,
    Optimisation,
    StandardBusiness,
    SystemStatus,
    sheet_choices,
)
from karte.systems.models import Contract, Cost, MaintenanceRun, System, Vendor
from karte.systems.services import maintenance_runs, normalize_vendor_name, rebuild_maintenance_runs

BATCH = 2000
YES, NO = "○", "×"
TEXT_FIELDS = frozenset({"users", "purpose", "issues", "migration_destination"})
YEAR_FIELDS = frozenset({"go_live_fy", "next_renewal_fy", "maintenance_from"})
TRUE_FIELDS = frozenset({"internet_facing", "handles_personal_data", "handles_my_number"})
CHOICE_FIELDS = {
    "status": SystemStatus,
    "hosting": Hosting,
    "network_tier": NetworkTier,
    "standard_business": StandardBusiness,
    "optimisation": Optimisation,
}
# System fields a row may set, in the order the preview lists them.
SYSTEM_FIELDS = (
    "unit_id",
    "name",
    "status",
    "users",
    "purpose",
    "go_live_fy",
    "next_renewal_fy",
    "hosting",
    "network_tier",
    "internet_facing",
    "handles_personal_data",
    "handles_my_number",
    "standard_business",
    "issues",
    "optimisation",
    "migration_destination",
)
VENDOR = "vendor"
MAINTENANCE_FROM = "maintenance_from"
COST_YEAR = "cost_fiscal_year"
BUDGET = "budget_thousand_yen"
# Changes to the budget are listed as "budget:<fiscal year>", so that the preview names the year.
BUDGET_CHANGE = "budget:"


def _choice(enum, v: object, aliases: dict[str, str] | None = None) -> str | None:
    return to_choice(v, sheet_choices(enum), aliases)


def _standardisation(v: object) -> str | None:
    """Return the business the cell names, UNSPECIFIED for ○, "" for ×, None when blank."""
    try:
        return _choice(StandardBusiness, v)
    except ValueError as not_a_business:
        try:
            mark = to_bool(v)
        except ValueError:
            raise not_a_business from None
        return StandardBusiness.UNSPECIFIED if mark else ""


@dataclass
class MaintenanceChange:
    """What a row does to one system's maintenance contracts; `error` refuses the row."""

    vendor_name: str
    ends: list[tuple[Contract, int]] = field(default_factory=list)
    moves: list[tuple[Contract, int]] = field(default_factory=list)
    add_from: int | None = None
    error: str = ""


@register
class SystemsImporter(Importer):
    kind = "systems"
    label = _("Information systems")
    export_filename = "systems"
    columns = [
        Column(
            "code",
            "システムID",
            ("システムコード", "システム番号", "ID", "system ID"),
            required=True,
            parse=to_code,
        ),
        Column("name", "システム名", ("システム名称", "名称", "system name"), required=True),
        Column("department", "部局名", ("部局", "部局等", "部名")),
        Column("unit_name", "所管課", ("所管所属", "所属名", "担当課", "所管課室", "所属")),
        Column("unit_code", "所属コード", ("所管課コード", "課コード"), parse=to_code),
        Column(VENDOR, "運用保守事業者", ("保守事業者", "事業者", "運用保守業者", "事業者名")),
        Column(
            MAINTENANCE_FROM,
            "同一事業者による運用保守開始年度",
            ("運用保守開始年度", "保守開始年度", "同一事業者開始年度"),
            parse=to_fiscal_year,
        ),
        Column("go_live_fy", "稼働開始年度", ("稼働年度", "運用開始年度"), parse=to_fiscal_year),
        Column("next_renewal_fy", "次期更新予定年度", ("次期更新年度", "更新予定年度"), parse=to_fiscal_year),
        Column("hosting", "設置場所", ("設置先", "稼働場所"), parse=partial(_choice, Hosting)),
        Column(
            "network_tier",
            "ネットワーク区分",
            ("ネットワーク", "接続系"),
            parse=partial(_choice, NetworkTier),
        ),
        # Which fiscal year the cost column is the budget of; without it, the importer's fiscal year.
        Column(COST_YEAR, "経費年度", ("予算年度", "対象年度"), parse=to_fiscal_year),
        Column(
            BUDGET, "年間運用経費（千円）", ("運用経費", "年間経費（千円）", "年間運用経費"), parse=to_int
        ),
        Column("standard_business", "標準化対象", ("標準化対象業務",), parse=_standardisation),
        Column("issues", "課題", ("現状の課題",)),
        Column(
            "status",
            "状態",
            ("稼働状況", "ステータス"),
            parse=partial(_choice, SystemStatus, aliases={"運用中": "active"}),
        ),
        Column("users", "利用者", ("利用者数", "利用者の範囲")),
        Column("purpose", "目的", ("システムの目的", "概要")),
        Column("internet_facing", "外部公開", ("インターネット公開",), parse=to_bool),
        Column("handles_personal_data", "個人情報", ("個人情報の取扱い",), parse=to_bool),
        Column("handles_my_number", "マイナンバー", ("個人番号", "マイナンバーの取扱い"), parse=to_bool),
        Column("optimisation", "最適化の方向性", ("最適化方針",), parse=partial(_choice, Optimisation)),
        Column("migration_destination", "移行先", ("移行先環境",)),
    ]

    options = ("fiscal_year",)

    def __init__(self, user, fiscal_year: int | None = None):
        super().__init__(user)
        self.fiscal_year = fiscal_year or fiscal.fiscal_year_of(timezone.localdate())
        self.units = AssignableUnits(user)

    def permitted(self) -> bool:
        return self.user is None or scope_for(self.user).may_write

    # -- reading rows ------------------------------------------------------------------------------
    def records_from_row(self, values: dict[str, Any]) -> list[Record]:
        unit = self._unit(values)
        fields: dict[str, Any] = {"unit_id": unit.pk, "name": values["name"]}
        for name in SYSTEM_FIELDS[2:]:
            value = values[name]
            # Empty text is "" and other empty cells None; × in 標準化対象 is "" and clears it.
            if value is not None and (value != "" or name not in TEXT_FIELDS):
                fields[name] = value
        vendor, start = values[VENDOR], values[MAINTENANCE_FROM]
        if vendor and start is None:
            raise RowError("運用保守事業者があるときは開始年度も入力してください", MAINTENANCE_FROM)
        if start is not None and not vendor:
            raise RowError("開始年度があるときは運用保守事業者も入力してください", VENDOR)
        if vendor:
            if not normalize_vendor_name(vendor):
                raise RowError(f"事業者名「{vendor}」を読み取れません", VENDOR)
            fields[VENDOR] = vendor
            fields[MAINTENANCE_FROM] = start
        if values[BUDGET] is not None:
            fields[COST_YEAR] = values[COST_YEAR] or self.fiscal_year
            fields[BUDGET] = values[BUDGET]
        return [Record((unit.body_id, values["code"]), fields, 0)]

    def _unit(self, values: dict[str, Any]):
        return self.units.find(values["unit_code"], values["unit_name"], values["department"])

    def describe(self, record: Record) -> str:
        return f"{record.key[1]} {record.fields.get('name', '')}"

    def field_label(self, name: str) -> str:
        if name.startswith(BUDGET_CHANGE):
            year = int(name.removeprefix(BUDGET_CHANGE))
            return f"{fiscal.format_fiscal_year(year, 'ja')} {super().field_label(BUDGET)}"
        return {"unit_id": "所管課"}.get(name) or super().field_label(name)

    # -- comparing with the database ---------------------------------------------------------------
    def existing(self, records: list[Record]) -> dict[Hashable, System]:
        bodies = {r.key[0] for r in records}
        systems = System.objects.filter(body_id__in=bodies)
        if self.user is not None:
            systems = systems.restrict(self.user, CHANGE)
        found = {(s.body_id, s.code): s for s in systems}

        self.vendors: dict[tuple[int, str], Vendor] = {}
        self.vendor_by_id: dict[int, Vendor] = {}
        for vendor in Vendor.objects.filter(body_id__in=bodies):
            self.vendors[(vendor.body_id, vendor.normalized_name)] = vendor
            self.vendor_by_id[vendor.pk] = vendor
        self.contracts: dict[int, list[Contract]] = defaultdict(list)
        maintenance = Contract.objects.filter(system__in=systems, kind=ContractKind.MAINTENANCE).only(
            "pk", "system_id", "vendor_id", "fy_from", "fy_to"
        )
        for contract in maintenance:
            self.contracts[contract.system_id].append(contract)
        # A contract entered on screen may name a vendor kept under another body; the preview names it too.
        strangers = {c.vendor_id for cs in self.contracts.values() for c in cs} - self.vendor_by_id.keys()
        self.vendor_by_id.update(Vendor.objects.in_bulk(strangers))
        years = {r.fields[COST_YEAR] for r in records if COST_YEAR in r.fields}
        self.costs: dict[tuple[int, int], Cost] = {
            (c.system_id, c.fiscal_year): c
            for c in Cost.objects.filter(system__in=systems, fiscal_year__in=years)
        }
        known = {u.pk: u.name for units in self.units.by_name.values() for u in units}
        missing = {s.unit_id for s in found.values()} - known.keys()
        known.update(OrgUnit.objects.filter(pk__in=missing).values_list("pk", "name"))
        self.unit_names = known
        return found

    def _latest_run(self, system: System | None) -> tuple[int, int, int | None] | None:
        """Return (vendor id, from, to) of the system's latest maintenance run: the one the sheet shows."""
        if system is None or not self.contracts.get(system.pk):
            return None
        _system, vendor_id, start, end = maintenance_runs(self.contracts[system.pk])[-1]
        return vendor_id, start, end

    def changes(self, record: Record, instance: System) -> dict[str, tuple[Any, Any]]:
        changed: dict[str, tuple[Any, Any]] = {}
        # A bare ○ confirms a target whose business the karte already names: keep the business.
        if (
            record.fields.get("standard_business") == StandardBusiness.UNSPECIFIED
            and instance.standard_business
        ):
            record.fields["standard_business"] = instance.standard_business
        for name in SYSTEM_FIELDS:
            if name in record.fields and getattr(instance, name) != record.fields[name]:
                changed[name] = (
                    self._shown(name, getattr(instance, name)),
                    self._shown(name, record.fields[name]),
                )
        if VENDOR in record.fields:
            run = self._latest_run(instance)
            vendor = self.vendor_by_id[run[0]] if run else None
            if vendor is None or vendor.normalized_name != normalize_vendor_name(record.fields[VENDOR]):
                changed[VENDOR] = (vendor.name if vendor else None, record.fields[VENDOR])
            start = run[1] if run else None
            if start != record.fields[MAINTENANCE_FROM]:
                changed[MAINTENANCE_FROM] = (
                    self._shown(MAINTENANCE_FROM, start),
                    self._shown(MAINTENANCE_FROM, record.fields[MAINTENANCE_FROM]),
                )
        if BUDGET in record.fields:
            cost = self.costs.get((instance.pk, record.fields[COST_YEAR]))
            old = cost.budget_thousand_yen if cost else None
            if old != record.fields[BUDGET]:
                changed[f"{BUDGET_CHANGE}{record.fields[COST_YEAR]}"] = (old, record.fields[BUDGET])
        return changed

    def _shown(self, name: str, value: Any) -> Any:
        if name == "unit_id":
            return self.unit_names.get(value, value)
        if name in TRUE_FIELDS:
            return YES if value else NO
        if name in YEAR_FIELDS:
            return fiscal.format_fiscal_year(value, "ja") or None
        if name in CHOICE_FIELDS:
            return SHEET_NAMES[CHOICE_FIELDS[name]].get(value, value) if value else ""
        return value

    def check_plan(self, plan: Plan) -> None:
        """Work out each row's maintenance contracts now; a row that contradicts them is an error."""
        new_keys = [p.record.key for p in plan.records if p.action == NEW]
        taken = set()
        if new_keys:
            # Systems the user may not change (another department's) are not in existing(): the code is taken.
            taken = set(
                System.objects.filter(
                    body_id__in={body for body, _code in new_keys},
                    code__in={code for _body, code in new_keys},
                ).values_list("body_id", "code")
            )
        self.maintenance: dict[Hashable, MaintenanceChange] = {}
        for planned in plan.records:
            record = planned.record
            if record.key in taken:
                message = f"システムID「{record.key[1]}」は、登録できる範囲の外のシステムで使われています"
                plan.errors.append(
                    {"row": record.row, "column": self.field_label("code"), "message": message}
                )
                continue
            moved = planned.action == NEW or VENDOR in planned.changes or MAINTENANCE_FROM in planned.changes
            if VENDOR not in record.fields or not moved:
                continue
            change = self._maintenance_change(record, planned.existing)
            if change.error:
                column = self.field_label(MAINTENANCE_FROM)
                plan.errors.append({"row": record.row, "column": column, "message": change.error})
            self.maintenance[record.key] = change

    def _maintenance_change(self, record: Record, system: System | None) -> MaintenanceChange:
        """Return how the system's maintenance contracts must change for the sheet's vendor and start.

        The sheet says: this vendor has maintained the system without a break since `start`. Another
        vendor's contract running into that year ends the year before; one starting in it contradicts
        the sheet. The same vendor with another start corrects the first contract of its current run.
        """
        name = record.fields[VENDOR]
        start = record.fields[MAINTENANCE_FROM]
        vendor = self.vendors.get((record.key[0], normalize_vendor_name(name)))
        contracts = self.contracts.get(system.pk, []) if system is not None else []
        change = MaintenanceChange(vendor_name=name)
        own = []
        for contract in contracts:
            if vendor is not None and contract.vendor_id == vendor.pk:
                own.append(contract)
            elif contract.fy_from >= start:
                other = self.vendor_by_id[contract.vendor_id].name
                shown = fiscal.format_fiscal_year(contract.fy_from, "ja")
                change.error = (
                    f"{other}の運用保守契約（{shown}〜）と食い違います。契約の画面で確認してください"
                )
                return change
            elif contract.fy_to is None or contract.fy_to >= start:
                change.ends.append((contract, start - 1))
        run = self._latest_run(system)
        if vendor is None or run is None or run[0] != vendor.pk:
            change.add_from = start
            return change
        run_start = run[1]
        in_run = sorted((c for c in own if c.fy_from >= run_start), key=lambda c: c.fy_from)
        first = in_run[0]
        contradicts = (
            # A later start would leave an earlier contract of the same run in place.
            start > run_start
            and (
                any(c.fy_from < start for c in in_run[1:])
                or (first.fy_to is not None and first.fy_to < start)
            )
        ) or (
            # An earlier start would join an older run of the same vendor.
            start < run_start
            and any(c.fy_to is not None and c.fy_to >= start - 1 for c in own if c.fy_from < run_start)
        )
        if contradicts:
            shown = fiscal.format_fiscal_year(run_start, "ja")
            change.error = (
                f"運用保守の契約は{shown}からです。"
                "複数の契約にまたがるため、開始年度は契約の画面で直してください"
            )
            return change
        change.moves.append((first, start))
        return change

    # -- writing -----------------------------------------------------------------------------------
    def apply(self, plan: Plan, progress: Progress | None = None) -> None:
        planned = [p for p in plan.records if p.action != UNCHANGED]
        total = len(planned)
        systems: dict[Hashable, System] = {}

        new = [p.record for p in planned if p.action == NEW]
        objs = [self._new_system(record) for record in new]
        for start in range(0, len(objs), BATCH):
            batch = objs[start : start + BATCH]
            bulk_create_with_history(batch, System, batch_size=BATCH, default_user=self.user)
            if progress:
                progress(start + len(batch), total)
        systems.update(zip((r.key for r in new), objs, strict=True))

        updates = []
        for p in planned:
            if p.action == NEW:
                continue
            systems[p.record.key] = p.existing
            if any(name in p.changes for name in SYSTEM_FIELDS):
                for name in SYSTEM_FIELDS:
                    if name in p.record.fields:
                        setattr(p.existing, name, p.record.fields[name])
                updates.append(p.existing)
        if updates:
            fields = [name.removesuffix("_id") for name in SYSTEM_FIELDS]
            bulk_update_with_history(updates, System, fields, batch_size=BATCH, default_user=self.user)

        self._apply_maintenance(systems)
        self._apply_costs(planned, systems)
        if progress:
            progress(total, total)

    def _new_system(self, record: Record) -> System:
        body_id, code = record.key
        # bulk_create skips System.save, which sets the body from the unit; the key holds it already.
        return System(
            body_id=body_id, code=code, **{k: v for k, v in record.fields.items() if k in SYSTEM_FIELDS}
        )

    def _apply_maintenance(self, systems: dict[Hashable, System]) -> None:
        vendors = self._vendors_for(key for key, change in self.maintenance.items() if change.add_from)
        changed: dict[int, Contract] = {}
        added = []
        for key, change in self.maintenance.items():
            system = systems[key]
            for contract, fy_to in change.ends:
                contract.fy_to = fy_to
                changed[contract.pk] = contract
            for contract, fy_from in change.moves:
                contract.fy_from = fy_from
                changed[contract.pk] = contract
            if change.add_from is not None:
                vendor = vendors[key]
                added.append(
                    Contract(
                        system=system, vendor=vendor, kind=ContractKind.MAINTENANCE, fy_from=change.add_from
                    )
                )
        if changed:
            bulk_update_with_history(
                list(changed.values()),
                Contract,
                ["fy_from", "fy_to"],
                batch_size=BATCH,
                default_user=self.user,
            )
        if added:
            bulk_create_with_history(added, Contract, batch_size=BATCH, default_user=self.user)
        ids = [systems[key].pk for key in self.maintenance]
        for start in range(0, len(ids), BATCH):
            rebuild_maintenance_runs(ids[start : start + BATCH])

    def _vendors_for(self, keys: Iterable[Hashable]) -> dict[Hashable, Vendor]:
        """Return {record key: vendor}, creating in one go the vendors no sheet named before."""
        wanted: dict[Hashable, tuple[int, str]] = {}
        missing: dict[tuple[int, str], Vendor] = {}
        for key in keys:
            name = self.maintenance[key].vendor_name
            identity = (key[0], normalize_vendor_name(name))
            wanted[key] = identity
            if identity not in self.vendors and identity not in missing:
                # Under the name as first written, as services.find_or_create_vendor does one by one.
                missing[identity] = Vendor(body_id=key[0], name=name, normalized_name=identity[1])
        if missing:
            bulk_create_with_history(list(missing.values()), Vendor, batch_size=BATCH, default_user=self.user)
            self.vendors.update(missing)
        return {key: self.vendors[identity] for key, identity in wanted.items()}

    def _apply_costs(self, planned, systems: dict[Hashable, System]) -> None:
        created, updated = [], []
        for p in planned:
            fields = p.record.fields
            if BUDGET not in fields:
                continue
            system = systems[p.record.key]
            cost = self.costs.get((system.pk, fields[COST_YEAR]))
            if cost is None:
                created.append(
                    Cost(system=system, fiscal_year=fields[COST_YEAR], budget_thousand_yen=fields[BUDGET])
                )
            elif cost.budget_thousand_yen != fields[BUDGET]:
                cost.budget_thousand_yen = fields[BUDGET]
                updated.append(cost)
        if created:
            bulk_create_with_history(created, Cost, batch_size=BATCH, default_user=self.user)
        if updated:
            bulk_update_with_history(
                updated, Cost, ["budget_thousand_yen"], batch_size=BATCH, default_user=self.user
            )

    # -- export ------------------------------------------------------------------------------------
    def export_rows(self, queryset) -> Iterable[list]:
        systems = queryset.select_related("unit", "unit__department")
        runs: dict[int, tuple[str, int]] = {}
        latest = (
            MaintenanceRun.objects.filter(system__in=queryset.values("pk"))
            .order_by("system_id", "fy_from")
            .values_list("system_id", "vendor__name", "fy_from")
        )
        for system_id, vendor, start in latest:
            runs[system_id] = (vendor, start)
        budgets: dict[int, tuple[int, int]] = {}
        costs = (
            Cost.objects.filter(system__in=queryset.values("pk"), budget_thousand_yen__isnull=False)
            .order_by("system_id", "fiscal_year")
            .values_list("system_id", "fiscal_year", "budget_thousand_yen")
        )
        for system_id, year, budget in costs:
            budgets[system_id] = (year, budget)

        def word(enum, value):
            return SHEET_NAMES[enum].get(value) if value else None

        for s in systems.order_by("body_id", "code"):
            vendor, start = runs.get(s.pk, (None, None))
            year, budget = budgets.get(s.pk, (None, None))
            row = {
                "code": s.code,
                "name": s.name,
                "department": s.unit.department.name if s.unit.department_id else None,
                "unit_name": s.unit.name,
                "unit_code": s.unit.code,
                VENDOR: vendor,
                MAINTENANCE_FROM: start,
                "go_live_fy": s.go_live_fy,
                "next_renewal_fy": s.next_renewal_fy,
                COST_YEAR: year,
                BUDGET: budget,
                "issues": s.issues or None,
                "users": s.users or None,
                "purpose": s.purpose or None,
                "migration_destination": s.migration_destination or None,
            }
            row.update({name: word(enum, getattr(s, name)) for name, enum in CHOICE_FIELDS.items()})
            row.update({name: YES if getattr(s, name) else NO for name in TRUE_FIELDS})
            yield [row[column.key] for column in self.columns]
