from karte.core.importing.base import AssignableUnits, Column, Importer, Record
from karte.core.importing.normalize import to_code, to_int
from karte.core.importing.registry import register
from karte.core.scoping import VIEW, scope_for
from tests.ledger.models import Ledger


@register
class LedgerImporter(Importer):
    kind = "ledger"
    label = "台帳"
    export_filename = "ledger"
    columns = [
        Column("name", "名称", required=True),
        Column("unit_code", "所属コード", required=True, parse=to_code),
        Column("amount_yen", "金額", parse=to_int),
    ]

    def __init__(self, user):
        super().__init__(user)
        self.units = AssignableUnits(user)

    def permitted(self):
        return self.user is None or scope_for(self.user).may_write

    def records_from_row(self, values):
        unit = self.units.get(code=values["unit_code"], column="unit_code")
        return [Record(values["name"], {"unit_id": unit.pk, "amount_yen": values["amount_yen"] or 0}, 0)]

    def existing(self, records):
        return {
            obj.name: obj
            for obj in Ledger.objects.restrict(self.user, VIEW).filter(name__in=[r.key for r in records])
        }

    def apply(self, plan, progress=None):
        for planned in plan.records:
            if planned.action == "new":
                Ledger.objects.create(name=planned.record.key, **planned.record.fields)
            elif planned.action == "changed":
                for name, value in planned.record.fields.items():
                    setattr(planned.existing, name, value)
                planned.existing.save()

    def export_rows(self, queryset):
        for obj in queryset.select_related("unit"):
            yield [obj.name, obj.unit.code, obj.amount_yen]
