"""The disposal register sheet (記憶媒体廃棄台帳): one row per disposal.

Rows find their record by 資産番号 within the body; a row without one finds it by unit, device kind, 品名
and 廃棄予定日 (廃棄日 when there is no planned date), so that an exported sheet comes back as the same
records. An empty cell leaves the stored value as it is, as in the other registers' sheets. Dates may be
written in 和暦 (令和6年4月1日, R6.4.1). The certificate file itself is attached on screen; the sheet
records only the day it arrived.
"""

from __future__ import annotations

import datetime
from collections.abc import Hashable, Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from karte.core.importing.base import (
    UNCHANGED,
    AssignableUnits,
    Column,
    Importer,
    Plan,
    Progress,
    Record,
    RowError,
)
from karte.core.importing.normalize import text_within, to_choice, to_code, to_date, to_int, to_text
from karte.core.importing.registry import register
from karte.core.models import OrgUnit
from karte.core.scoping import CHANGE, scope_for
from karte.disposals.choices import KIND_WORD, SHEET_KIND, DeviceKind
from karte.disposals.models import StorageDisposal

KIND = "disposals"
BATCH = 2000
# Fields a row may set, in the order the preview lists them.
FIELDS = (
    "unit_id",
    "device_kind",
    "description",
    "asset_number",
    "quantity",
    "planned_on",
    "disposed_on",
    "contractor",
    "certificate_received_on",
    "note",
)
TEXT_FIELDS = frozenset({"contractor", "note"})
DATE_FIELDS = frozenset({"planned_on", "disposed_on", "certificate_received_on"})
ASSET = "asset"


# Text a row may give, checked against the columns' max_length; larger numbers than this do not fit either.
def within(name: str, clean=to_text):
    """The cell parser of a text field: no longer than the field holds."""
    return text_within(StorageDisposal._meta.get_field(name).max_length, clean)


MAX_QUANTITY = 2**31 - 1


def to_device_kind(v: object) -> str | None:
    """Return the device kind a 機器種別 cell names: パソコン, サーバ, HDD, USBメモリ, 複合機 …"""
    return to_choice(v, [(kind, KIND_WORD[kind]) for kind in DeviceKind], aliases=SHEET_KIND)


def _shown_date(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


@register
class DisposalsImporter(Importer):
    kind = KIND
    label = _("Storage-device disposals")
    export_filename = "disposals"
    columns = [
        Column("department", "部局名", ("部局", "部局等", "部名")),
        Column("unit_name", "所属名", ("所属", "所管課", "担当課", "課名", "課室名")),
        Column("unit_code", "所属コード", ("所管課コード", "課コード"), parse=to_code),
        Column(
            "device_kind", "機器種別", ("種別", "機器の種類", "媒体種別"), required=True, parse=to_device_kind
        ),
        Column(
            "description",
            "品名",
            ("機器名", "名称", "品目", "型番"),
            required=True,
            parse=within("description"),
        ),
        Column(
            "asset_number",
            "資産番号",
            ("備品番号", "管理番号", "シリアル番号", "製造番号"),
            parse=within("asset_number", to_code),
        ),
        Column("quantity", "数量", ("台数", "個数"), parse=to_int),
        Column("planned_on", "廃棄予定日", ("廃棄予定", "予定日"), parse=to_date),
        Column("disposed_on", "廃棄日", ("廃棄年月日", "廃棄実施日"), parse=to_date),
        Column("contractor", "廃棄業者", ("廃棄事業者", "委託業者", "業者名"), parse=within("contractor")),
        Column("certificate_received_on", "証明書受領日", ("廃棄証明書受領日", "証明書受領"), parse=to_date),
        Column("note", "備考", ("メモ",)),
    ]

    def __init__(self, user):
        super().__init__(user)
        self.units = AssignableUnits(user)

    def permitted(self) -> bool:
        return self.user is None or scope_for(self.user).may_write

    # -- reading rows ------------------------------------------------------------------------------
    def records_from_row(self, values: dict[str, Any]) -> list[Record]:
        unit = self.units.find(values["unit_code"], values["unit_name"], values["department"])
        today = timezone.localdate()
        planned, disposed = values["planned_on"], values["disposed_on"]
        received = values["certificate_received_on"]
        quantity = values["quantity"]
        if quantity is not None and quantity < 1:
            raise RowError("数量は1以上で入力してください", "quantity")
        if quantity is not None and quantity > MAX_QUANTITY:
            raise RowError(f"数量は{MAX_QUANTITY}以下で入力してください", "quantity")
        if planned is None and disposed is None:
            raise RowError("廃棄予定日か廃棄日を入力してください", "planned_on")
        if disposed is not None and disposed > today:
            raise RowError("廃棄日が未来の日付です。予定であれば廃棄予定日に入力してください", "disposed_on")
        if received is not None:
            if disposed is None:
                raise RowError("証明書受領日があるときは廃棄日も入力してください", "disposed_on")
            if received < disposed:
                raise RowError("証明書受領日が廃棄日より前です", "certificate_received_on")
            if received > today:
                raise RowError("証明書受領日が未来の日付です", "certificate_received_on")
        fields: dict[str, Any] = {
            "unit_id": unit.pk,
            "device_kind": values["device_kind"],
            "description": values["description"],
        }
        for name in ("asset_number", *FIELDS[4:]):
            value = values[name]
            if value is not None and value != "":
                fields[name] = value
        if values["asset_number"]:
            key: Hashable = (unit.body_id, ASSET, values["asset_number"])
        else:
            key = (unit.pk, values["device_kind"], values["description"], planned or disposed)
        return [Record(key, fields, 0)]

    def describe(self, record: Record) -> str:
        number = record.fields.get("asset_number", "")
        return f"{record.fields.get('description', '')} {number}".strip()

    def field_label(self, name: str) -> str:
        return {"unit_id": "所属"}.get(name) or super().field_label(name)

    # -- comparing with the database ---------------------------------------------------------------
    def existing(self, records: list[Record]) -> dict[Hashable, StorageDisposal]:
        bodies = {r.key[0] for r in records if r.key[1] == ASSET}
        units = {r.key[0] for r in records if r.key[1] != ASSET}
        candidates = StorageDisposal.objects.filter(
            unit__body_id__in=bodies
        ) | StorageDisposal.objects.filter(unit_id__in=units, asset_number="")
        visible = candidates.restrict(self.user, CHANGE) if self.user is not None else candidates
        found: dict[Hashable, StorageDisposal] = {}
        self.ambiguous: set[Hashable] = set()
        for disposal in visible.select_related("unit").order_by("pk"):
            if disposal.asset_number:
                key: Hashable = (disposal.unit.body_id, ASSET, disposal.asset_number)
            else:
                key = (
                    disposal.unit_id,
                    disposal.device_kind,
                    disposal.description,
                    disposal.planned_on or disposal.disposed_on,
                )
            if key in found:
                self.ambiguous.add(key)
            found.setdefault(key, disposal)
        known = {u.pk: u.name for units in self.units.by_name.values() for u in units}
        missing = {d.unit_id for d in found.values()} - known.keys()
        known.update(OrgUnit.objects.filter(pk__in=missing).values_list("pk", "name"))
        self.unit_names = known
        return found

    def changes(self, record: Record, instance: StorageDisposal) -> dict[str, tuple[Any, Any]]:
        return {
            name: (self._shown(name, getattr(instance, name)), self._shown(name, value))
            for name, value in record.fields.items()
            if getattr(instance, name) != value
        }

    def _shown(self, name: str, value: Any) -> Any:
        if name == "unit_id":
            return self.unit_names.get(value, value)
        if name == "device_kind":
            return KIND_WORD.get(value, value)
        if name in DATE_FIELDS:
            return _shown_date(value)
        return value

    def check_plan(self, plan: Plan) -> None:
        """A 資産番号 another department's record uses, or two records share, cannot be matched safely."""
        new_assets = [p.record for p in plan.records if p.action != UNCHANGED and p.record.key[1] == ASSET]
        taken = set()
        if new_assets:
            taken = set(
                StorageDisposal.objects.filter(
                    unit__body_id__in={r.key[0] for r in new_assets},
                    asset_number__in={r.key[2] for r in new_assets},
                )
                .exclude(pk__in=[p.existing.pk for p in plan.records if p.existing is not None])
                .values_list("unit__body_id", "asset_number")
            )
        label = self.field_label("asset_number")
        for planned in plan.records:
            record = planned.record
            if record.key in self.ambiguous:
                message = "同じ内容の記録が複数あるため、どの記録か決められません。資産番号を入力してください"
                if record.key[1] == ASSET:
                    message = f"資産番号「{record.key[2]}」の記録が複数あります。画面で確認してください"
                plan.errors.append({"row": record.row, "column": label, "message": message})
            elif record.key[1] == ASSET and (record.key[0], record.key[2]) in taken:
                message = f"資産番号「{record.key[2]}」は、登録できる範囲の外の記録で使われています"
                plan.errors.append({"row": record.row, "column": label, "message": message})
            elif planned.existing is not None:
                self._check_dates(planned, plan)

    def _check_dates(self, planned, plan: Plan) -> None:
        """A row that leaves 廃棄日 empty keeps the stored one: the receipt date must still follow it."""
        merged = {name: getattr(planned.existing, name) for name in DATE_FIELDS}
        merged.update({k: v for k, v in planned.record.fields.items() if k in DATE_FIELDS})
        received, disposed = merged["certificate_received_on"], merged["disposed_on"]
        if received is not None and disposed is not None and received < disposed:
            plan.errors.append(
                {
                    "row": planned.record.row,
                    "column": self.field_label("certificate_received_on"),
                    "message": "証明書受領日が廃棄日より前です",
                }
            )

    # -- writing -----------------------------------------------------------------------------------
    def apply(self, plan: Plan, progress: Progress | None = None) -> None:
        planned = [p for p in plan.records if p.action != UNCHANGED]
        new = [StorageDisposal(**p.record.fields) for p in planned if p.existing is None]
        for start in range(0, len(new), BATCH):
            batch = new[start : start + BATCH]
            bulk_create_with_history(batch, StorageDisposal, batch_size=BATCH, default_user=self.user)
            if progress:
                progress(start + len(batch), len(planned))
        updates = []
        for p in planned:
            if p.existing is None:
                continue
            for name, value in p.record.fields.items():
                setattr(p.existing, name, value)
            updates.append(p.existing)
        if updates:
            fields = [name.removesuffix("_id") for name in FIELDS]
            bulk_update_with_history(
                updates, StorageDisposal, fields, batch_size=BATCH, default_user=self.user
            )
        if progress:
            progress(len(planned), len(planned))

    # -- export ------------------------------------------------------------------------------------
    def export_rows(self, queryset) -> Iterable[list]:
        for d in queryset.select_related("unit", "unit__department"):
            row = {
                "department": d.unit.department.name if d.unit.department_id else None,
                "unit_name": d.unit.name,
                "unit_code": d.unit.code,
                "device_kind": KIND_WORD.get(d.device_kind, d.device_kind),
                "description": d.description,
                "asset_number": d.asset_number or None,
                "quantity": d.quantity,
                "planned_on": d.planned_on,
                "disposed_on": d.disposed_on,
                "contractor": d.contractor or None,
                "certificate_received_on": d.certificate_received_on,
                "note": d.note or None,
            }
            yield [row[column.key] for column in self.columns]
