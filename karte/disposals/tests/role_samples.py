"""Records of this app for tests/test_role_matrix.py: who may see and change what."""

import datetime

from django.core.files.base import ContentFile

from karte.disposals.models import StorageDisposal

# One certificate file shared by the samples, written once, so that walking the matrix leaves no litter.
SAMPLE_CERTIFICATE = "disposals/role-matrix/certificate.pdf"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def disposal_samples(world):
    storage = StorageDisposal._meta.get_field("certificate").storage
    if not storage.exists(SAMPLE_CERTIFICATE):
        storage.save(SAMPLE_CERTIFICATE, ContentFile(PDF))
    return [
        StorageDisposal.objects.create(
            unit=unit,
            device_kind="pc",
            description=f"KARTE-DISPOSAL-{tag}",
            disposed_on=datetime.date(2024, 5, 1),
            certificate=SAMPLE_CERTIFICATE,
            certificate_name=f"certificate-{tag}.pdf",
        )
        for unit, tag in ((world.section_a1, "A1"), (world.section_a2, "A2"), (world.section_b1, "B1"))
    ]


SAMPLES = {StorageDisposal: disposal_samples}
SPECIAL_PAGES = {
    "disposals:missing_certificates": "members",
    "disposals:certificate_download": ("record", StorageDisposal),
}
OFFICE_ADDS = set()
