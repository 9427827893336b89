"""The organisation sheet: 団体 → 部局 → 所属 (→ グループ), one row per section or group."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from karte.core.choices import OrgUnitKind
from karte.core.importing.base import NEW, Column, Importer, Plan, Progress, Record, RowError
from karte.core.importing.normalize import to_code, to_date
from karte.core.importing.registry import register
from karte.core.models import OrgUnit
from karte.core.scoping import VIEW, scope_for
from karte.core.services import create_org_unit, derive_ancestors, refresh_descendants

KIND_ORDER = [OrgUnitKind.BODY, OrgUnitKind.DEPARTMENT, OrgUnitKind.SECTION, OrgUnitKind.GROUP]
BATCH = 2000


@register
class OrganisationImporter(Importer):
    kind = "organisation"
    label = _("Organisation")
    export_filename = "organisation"
    columns = [
        Column("body_code", "団体コード", ("地方公共団体コード", "body code"), required=True, parse=to_code),
        Column("body_name", "団体名", ("地方公共団体名", "body")),
        Column(
            "department_code", "部局コード", ("部コード", "department code"), required=True, parse=to_code
        ),
        Column("department_name", "部局名", ("部局", "部名", "department"), required=True),
        Column(
            "section_code",
            "所属コード",
            ("課コード", "課室コード", "section code"),
            required=True,
            parse=to_code,
        ),
        Column("section_name", "所属名", ("課名", "課室名", "所属", "section"), required=True),
        Column("group_code", "グループコード", ("group code",), parse=to_code),
        Column("group_name", "グループ名", ("group",)),
        Column("valid_from", "有効開始日", ("開始日", "適用開始日", "valid from"), parse=to_date),
        Column("valid_to", "有効終了日", ("終了日", "廃止日", "valid to"), parse=to_date),
        Column(
            "successor_code",
            "統合先コード",
            ("統合先所属コード", "移管先コード", "merged into"),
            parse=to_code,
        ),
    ]

    def __init__(self, user):
        super().__init__(user)
        scope = scope_for(user) if user is not None else None
        # The command line (no user) and superusers may load any body; an office only its own.
        self.only_body_id = None if scope is None or scope.everything else scope.body_id
        self.only_body_code = (
            OrgUnit.objects.filter(pk=self.only_body_id).values_list("code", flat=True).first()
            if self.only_body_id
            else None
        )

    def permitted(self) -> bool:
        return self.user is None or scope_for(self.user).is_office

    def records_from_row(self, values: dict[str, Any]) -> list[Record]:
        body = values["body_code"]
        if self.only_body_code is not None and body != self.only_body_code:
            raise RowError(f"ご自身の団体（{self.only_body_code}）以外の組織は取り込めません", "body_code")
        valid = {"valid_from": values["valid_from"]} if values["valid_from"] else {}
        records = []
        if values["body_name"]:
            records.append(Record((body, body), {"name": values["body_name"]}, 0, OrgUnitKind.BODY))
        records.append(
            Record(
                (body, values["department_code"]),
                {"name": values["department_name"], "parent_code": body},
                0,
                OrgUnitKind.DEPARTMENT,
            )
        )
        leaf = {
            "valid_to": values["valid_to"],
            "successor_code": values["successor_code"] or None,
            **valid,
        }
        section = {"name": values["section_name"], "parent_code": values["department_code"]}
        if values["group_code"]:
            if not values["group_name"]:
                raise RowError("グループ名が空です", "group_name")
            records.append(Record((body, values["section_code"]), section, 0, OrgUnitKind.SECTION))
            group = {"name": values["group_name"], "parent_code": values["section_code"], **leaf}
            records.append(Record((body, values["group_code"]), group, 0, OrgUnitKind.GROUP))
        else:
            records.append(
                Record((body, values["section_code"]), {**section, **leaf}, 0, OrgUnitKind.SECTION)
            )
        return records

    def describe(self, record: Record) -> str:
        return f"{OrgUnitKind(record.kind).label} {record.key[1]} {record.fields.get('name', '')}"

    def field_label(self, name: str) -> str:
        labels = {"name": "名称", "parent_code": "上位組織コード", "successor_code": "統合先コード"}
        return labels.get(name) or super().field_label(name)

    def existing(self, records: list[Record]) -> dict[Hashable, OrgUnit]:
        bodies = {r.key[0] for r in records}
        units = OrgUnit.objects.restrict(self.user, VIEW) if self.user is not None else OrgUnit.objects.all()
        # Plain rows and a code map rather than select_related: a body of 100,000 units would otherwise
        # build three objects per unit, the body copied on every one.
        units = list(units.filter(body__code__in=bodies))
        self.codes = {u.pk: u.code for u in units}
        return {(self.codes[u.body_id], u.code): u for u in units}

    def changes(self, record: Record, instance: OrgUnit) -> dict[str, tuple[Any, Any]]:
        current = {
            "name": instance.name,
            "parent_code": self.codes[instance.parent_id] if instance.parent_id else instance.code,
            "valid_from": instance.valid_from,
            "valid_to": instance.valid_to,
            "successor_code": self.codes.get(instance.successor_id) if instance.successor_id else None,
        }
        changed = {}
        if record.kind != instance.kind:
            changed["kind"] = (instance.get_kind_display(), OrgUnitKind(record.kind).label)
        for name, value in record.fields.items():
            if current[name] != value:
                changed[name] = (current[name], value)
        return changed

    def check_plan(self, plan: Plan) -> None:
        known = {p.record.key for p in plan.records}
        for planned in plan.records:
            record = planned.record
            body, _code = record.key
            if planned.action == NEW and record.kind == OrgUnitKind.BODY and self.only_body_id is not None:
                plan.errors.append(
                    {"row": record.row, "column": "団体コード", "message": "団体は追加できません"}
                )
            if (body, body) not in known:
                plan.errors.append({"row": record.row, "column": "団体名", "message": "団体名が空です"})
            successor = record.fields.get("successor_code")
            if successor and (body, successor) not in known:
                plan.errors.append(
                    {
                        "row": record.row,
                        "column": "統合先コード",
                        "message": f"統合先「{successor}」がありません",
                    }
                )

    def apply(self, plan: Plan, progress: Progress | None = None) -> None:
        units: dict[Hashable, OrgUnit] = {
            p.record.key: p.existing for p in plan.records if p.existing is not None
        }
        total = sum(1 for p in plan.records if p.action != "unchanged")
        done = 0
        today = timezone.localdate()
        moved = []
        for kind in KIND_ORDER:
            planned = [p for p in plan.records if p.record.kind == kind and p.action != "unchanged"]
            new = [p.record for p in planned if p.action == NEW]
            changed = [p for p in planned if p.action != NEW]
            if kind in (OrgUnitKind.BODY, OrgUnitKind.DEPARTMENT):
                # Few of these, and each is its own ancestor: created one by one.
                for record in new:
                    body = record.key[0]
                    parent = units[(body, record.fields["parent_code"])] if kind != OrgUnitKind.BODY else None
                    units[record.key] = create_org_unit(
                        kind=kind,
                        code=record.key[1],
                        name=record.fields["name"],
                        parent=parent,
                        valid_from=record.fields.get("valid_from") or today,
                        user=self.user,
                    )
            else:
                objs = []
                for record in new:
                    unit = OrgUnit(
                        kind=kind,
                        code=record.key[1],
                        name=record.fields["name"],
                        parent=units[(record.key[0], record.fields["parent_code"])],
                        valid_from=record.fields.get("valid_from") or today,
                        valid_to=record.fields.get("valid_to"),
                    )
                    derive_ancestors(unit)
                    objs.append(unit)
                for start in range(0, len(objs), BATCH):
                    batch = objs[start : start + BATCH]
                    bulk_create_with_history(batch, OrgUnit, batch_size=BATCH, default_user=self.user)
                    done += len(batch)
                    if progress:
                        progress(done, total)
                for record, unit in zip(new, objs, strict=True):
                    units[record.key] = unit
            updates = []
            for p in changed:
                unit = p.existing
                body = p.record.key[0]
                unit.kind = kind
                unit.name = p.record.fields["name"]
                if kind != OrgUnitKind.BODY:
                    old_department = unit.department_id
                    unit.parent = units[(body, p.record.fields["parent_code"])]
                    derive_ancestors(unit)
                    if unit.department_id != old_department:
                        moved.append(unit)
                for name in ("valid_from", "valid_to"):
                    if name in p.record.fields:
                        setattr(
                            unit, name, p.record.fields[name] or (today if name == "valid_from" else None)
                        )
                updates.append(unit)
            if updates:
                bulk_update_with_history(
                    updates,
                    OrgUnit,
                    ["kind", "name", "parent", "body", "department", "valid_from", "valid_to"],
                    batch_size=BATCH,
                    default_user=self.user,
                )
                done += len(updates)
                if progress:
                    progress(done, total)
        # Units below a moved one that the sheet does not mention follow it to its new department.
        for unit in moved:
            refresh_descendants(unit)
        self._link_successors(plan, units)

    def _link_successors(self, plan: Plan, units: dict[Hashable, OrgUnit]) -> None:
        linked = []
        for p in plan.records:
            if "successor_code" not in p.record.fields:
                continue
            unit = units[p.record.key]
            code = p.record.fields["successor_code"]
            target = units[(p.record.key[0], code)].pk if code else None
            if unit.successor_id != target:
                unit.successor_id = target
                linked.append(unit)
        if linked:
            bulk_update_with_history(linked, OrgUnit, ["successor"], batch_size=BATCH, default_user=self.user)

    def export_rows(self, queryset) -> Iterable[list]:
        units = queryset.filter(kind__in=[OrgUnitKind.SECTION, OrgUnitKind.GROUP]).select_related(
            "body", "department", "parent", "successor"
        )
        for unit in units.order_by("body__code", "department__code", "code"):
            section = unit.parent if unit.kind == OrgUnitKind.GROUP else unit
            group = unit if unit.kind == OrgUnitKind.GROUP else None
            yield [
                unit.body.code,
                unit.body.name,
                unit.department.code,
                unit.department.name,
                section.code,
                section.name,
                group.code if group else None,
                group.name if group else None,
                unit.valid_from,
                unit.valid_to,
                unit.successor.code if unit.successor_id else None,
            ]
