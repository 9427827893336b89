"""Tables of disposals, rendered by the one table component (includes/table.html)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from karte.core.tables import Col, Table
from karte.disposals.choices import DisposalStatus
from karte.disposals.selectors import OVERDUE_DAYS, days_since_disposal, is_overdue


class ToneByCertificate:
    """Red for a disposal waiting more than OVERDUE_DAYS for its certificate, amber before that."""

    def row_tone(self, obj: Any) -> str:
        if obj.status != DisposalStatus.CERTIFICATE_MISSING:
            return ""
        return "danger" if is_overdue(obj, self.today) else "warning"

    @property
    def today(self):
        if not hasattr(self, "_today"):
            self._today = timezone.localdate()
        return self._today


class StorageDisposalTable(ToneByCertificate, Table):
    columns = [
        Col("description", _("Item"), order_by="description", link=True),
        Col("get_device_kind_display", _("Device kind"), order_by="device_kind"),
        Col("asset_number", _("Asset or serial number"), order_by="asset_number"),
        Col("quantity", _("Quantity"), order_by="quantity", is_num=True),
        Col("unit.department.name", _("Department"), order_by="unit__department__code"),
        Col("unit.name", _("Owning unit"), order_by="unit__code"),
        Col("planned_on", _("Planned disposal date"), order_by="planned_on"),
        Col("disposed_on", _("Disposal date"), order_by="disposed_on"),
        Col("contractor", _("Disposal contractor"), order_by="contractor"),
        Col("get_status_display", _("Status")),
    ]
    default_order = "-disposed_on"
    caption = _("Storage-device disposals")


class MissingCertificateTable(ToneByCertificate, Table):
    """Disposals done without a certificate, oldest first; not sortable, the order is the point."""

    columns = [
        Col("disposed_on", _("Disposal date")),
        Col(lambda d: days_since_disposal(d), _("Days since disposal"), is_num=True),
        Col("unit.department.name", _("Department")),
        Col("unit.name", _("Owning unit")),
        Col("description", _("Item"), link=True),
        Col("get_device_kind_display", _("Device kind")),
        Col("asset_number", _("Asset or serial number")),
        Col("quantity", _("Quantity"), is_num=True),
        Col("contractor", _("Disposal contractor")),
    ]
    caption = _("Disposals missing a certificate")
    empty_text = _("Every disposal has its certificate.")


class DepartmentMissingTable(Table):
    """Per department: certificates owed, how many overdue, and since when. Rows are dicts."""

    columns = [
        Col(lambda r: r["department"], _("Department")),
        Col(lambda r: r["missing"], _("Certificates missing"), is_num=True),
        Col(lambda r: r["overdue"], format_lazy(_("More than {days} days"), days=OVERDUE_DAYS), is_num=True),
        Col(lambda r: r["oldest"], _("Oldest disposal")),
        Col(lambda r: r["days"], _("Days since disposal"), is_num=True),
    ]
    caption = _("Departments to chase")

    def row_tone(self, obj: Any) -> str:
        return "danger" if obj["overdue"] else "warning"


class SystemDisposalTable(ToneByCertificate, Table):
    """A system's disposals on its karte."""

    columns = [
        Col("description", _("Item"), link=True),
        Col("get_device_kind_display", _("Device kind")),
        Col("quantity", _("Quantity"), is_num=True),
        Col("disposed_on", _("Disposal date")),
        Col("get_status_display", _("Status")),
    ]
    caption = _("Storage-device disposals")
