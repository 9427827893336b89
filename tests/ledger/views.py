from karte.core.forms import ScopedModelForm
from karte.core.generic import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
)
from karte.core.scoping import assignable_units
from karte.core.tables import Col, Table
from tests.ledger.models import Ledger


class LedgerTable(Table):
    columns = [
        Col("name", "名称", order_by="name", link=True),
        Col("unit.name", "所属"),
        Col("amount_yen", "金額", order_by="amount_yen", is_num=True),
    ]
    default_order = "name"


class LedgerForm(ScopedModelForm):
    class Meta:
        model = Ledger
        fields = ["name", "unit", "amount_yen"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = assignable_units(self.user)


class LedgerListView(ObjectListView):
    model = Ledger
    table_class = LedgerTable
    importer_kind = "ledger"


class LedgerDetailView(ObjectDetailView):
    model = Ledger


class LedgerHistoryView(ObjectHistoryView):
    model = Ledger


class LedgerEditView(ObjectEditView):
    model = Ledger
    form_class = LedgerForm


class LedgerDeleteView(ObjectDeleteView):
    model = Ledger
