"""Helpers of the disposal tests, and of karte/core/tests/test_uploads.py, which meets uploads through the
certificate form."""

from __future__ import annotations

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from karte.disposals.models import StorageDisposal

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def use_private_dir(settings, tmp_path):
    """Point KARTE_PRIVATE_FILES_DIR at a fresh folder under tmp_path and return it."""
    folder = tmp_path / "private"
    settings.KARTE_PRIVATE_FILES_DIR = folder
    return folder


def pdf_upload(name: str = "廃棄証明書.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def make_disposal(unit, description: str, **fields) -> StorageDisposal:
    fields.setdefault("device_kind", "pc")
    if "disposed_on" not in fields:
        fields.setdefault("planned_on", timezone.localdate() + datetime.timedelta(days=30))
    return StorageDisposal.objects.create(unit=unit, description=description, **fields)


def form_data(disposal: StorageDisposal, **changes) -> dict:
    """Return what the edit form posts for a disposal, with `changes`."""
    data = {
        "unit": disposal.unit_id,
        "device_kind": disposal.device_kind,
        "description": disposal.description,
        "asset_number": disposal.asset_number,
        "quantity": disposal.quantity,
        "system": disposal.system_id or "",
        "planned_on": disposal.planned_on or "",
        "disposed_on": disposal.disposed_on or "",
        "contractor": disposal.contractor,
        "certificate_received_on": disposal.certificate_received_on or "",
        "note": disposal.note,
    }
    data.update(changes)
    return data
