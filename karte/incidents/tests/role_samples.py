"""Records of this app for tests/test_role_matrix.py: who may see and change what."""

import datetime

from django.core.files.base import ContentFile
from django.utils import timezone

from karte.incidents import services
from karte.incidents.choices import IncidentSource, Severity
from karte.incidents.models import Incident

DETECTED = timezone.make_aware(datetime.datetime(2026, 1, 5, 9, 30))


def incident_samples(world):
    """One incident in each corner of the world, each with a report file to download.

    One saved row each: the audit trail's first page is shared by every module's samples.
    """
    incidents = []
    for unit, tag in ((world.section_a1, "A1"), (world.section_a2, "A2"), (world.section_b1, "B1")):
        incident = Incident(
            unit=unit,
            reference=services.next_reference(unit.body_id, DETECTED.year),
            title=f"KARTE-INCIDENT-{tag}",
            source=IncidentSource.STAFF_REPORT,
            severity=Severity.MEDIUM,
            detected_at=DETECTED,
            detected_by="職員",
            report_file_name=f"report-{tag}.txt",
        )
        incident.report_file.save("report.txt", ContentFile(f"REPORT-{tag}".encode()), save=False)
        incident.save()
        incidents.append(incident)
    return incidents


SAMPLES = {Incident: incident_samples}
SPECIAL_PAGES = {
    "incidents:incident_report": ("record", Incident),
    "incidents:incident_add_entry": "post-only",
    "incidents:incident_change_status": "post-only",
}
OFFICE_ADDS = set()
