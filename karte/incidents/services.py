"""Changes to the incident log. Monitors and people both go through these functions, and every change they
make is in the audit trail with the person (or no one, for a monitor) who made it.

`open_incident` is the stable entry point for the monitoring modules.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from karte.core.models import OrgUnit
from karte.incidents.choices import EntryKind, IncidentSource, IncidentStatus, Severity
from karte.incidents.models import Incident, TimelineEntry

# Sources whose first timeline entry is the monitor's alert rather than a person's note.
MONITOR_SOURCES = {
    IncidentSource.HOMEPAGE_OBSERVATION,
    IncidentSource.WEB_TAMPERING,
    IncidentSource.SUSPICIOUS_TRAFFIC,
}
NUMBERING_ATTEMPTS = 5


class IncidentError(ValueError):
    """A change the incident log refuses; str() is the message for the user, in their language."""


def _as_user(record, user):
    if user is not None:
        record._history_user = user
    return record


def reference_year(detected_at: datetime.datetime) -> int:
    """The year an incident is numbered in: the (Japan time) year it was detected."""
    return timezone.localtime(detected_at).year


def next_reference(body_id: int, year: int) -> str:
    """Return the next free reference number of a body in a year, e.g. "2026-0007"."""
    prefix = f"{year}-"
    taken = Incident.objects.filter(body_id=body_id, reference__startswith=prefix).values_list(
        "reference", flat=True
    )
    # Compared as numbers: "2026-10000" comes after "2026-9999".
    last = max((int(ref[len(prefix) :]) for ref in taken if ref[len(prefix) :].isdigit()), default=0)
    return f"{prefix}{last + 1:04d}"


def _insert_numbered(incident: Incident) -> Incident:
    """Save a new incident under the next reference number of its body and year."""
    body_id = incident.unit.body_id
    for attempt in range(NUMBERING_ATTEMPTS):
        incident.reference = next_reference(body_id, reference_year(incident.detected_at))
        try:
            # A savepoint, so that losing the number to a concurrent writer leaves the transaction usable.
            with transaction.atomic():
                incident.save()
            return incident
        except IntegrityError:
            if attempt == NUMBERING_ATTEMPTS - 1:
                raise
    return incident


def _check_same_body(unit: OrgUnit, systems: Iterable, units: Iterable = ()) -> None:
    if any(system.body_id != unit.body_id for system in systems):
        raise IncidentError(_("Every affected system must belong to the same local government."))
    if any(other.body_id != unit.body_id for other in units):
        raise IncidentError(_("Every affected unit must belong to the same local government."))


@transaction.atomic
def open_incident(
    *,
    unit: OrgUnit,
    title: str,
    source: str,
    severity: str,
    detected_at: datetime.datetime,
    detected_by: str,
    systems: Iterable = (),
    details: str = "",
    dedupe_key: str = "",
    user=None,
) -> tuple[Incident, bool]:
    """Open an incident handled by `unit`, or add to the one already open for the same problem.

    Returns (incident, created). When `dedupe_key` is given and an incident of the unit's body with that
    key is not yet completed, the alert is added to that incident's timeline (and any newly named systems
    to it) and that incident is returned with created False: a flapping site does not open 100 incidents.
    After the incident is completed, the same key opens a new one. Raises IncidentError for systems of
    another local government.
    """
    systems = list(systems)
    _check_same_body(unit, systems)
    text = details or title
    if dedupe_key:
        existing = (
            Incident.objects.select_for_update()
            .filter(body_id=unit.body_id, dedupe_key=dedupe_key)
            .exclude(status=IncidentStatus.CLOSED)
            .order_by("-detected_at", "-pk")
            .first()
        )
        if existing is not None:
            add_entry(existing, text=text, kind=EntryKind.ALERT, at=detected_at, user=user)
            known = set(existing.systems.values_list("pk", flat=True))
            new_systems = [system for system in systems if system.pk not in known]
            if new_systems:
                _as_user(existing, user)
                existing.systems.add(*new_systems)
            return existing, False
    incident = Incident(
        unit=unit,
        title=title[:200],
        source=source,
        severity=severity,
        detected_at=detected_at,
        detected_by=detected_by[:200],
        summary=details,
        dedupe_key=dedupe_key[:200],
    )
    _insert_numbered(_as_user(incident, user))
    if systems:
        incident.systems.set(systems)
    kind = EntryKind.ALERT if source in MONITOR_SOURCES or dedupe_key else EntryKind.NOTE
    add_entry(incident, text=text, kind=kind, at=detected_at, user=user)
    return incident, True


@transaction.atomic
def save_incident(
    incident: Incident,
    *,
    user,
    systems: Iterable | None = None,
    affected_units: Iterable | None = None,
    report_upload=None,
    remove_report: bool = False,
) -> Incident:
    """Save an incident as a person entered it (numbering a new one); return it.

    `report_upload` is a cleaned uploads.AttachmentField file; it replaces the report file, and
    `remove_report` removes it. A replaced file leaves the disk once the change is committed.
    Raises IncidentError for affected systems or units of another local government.
    """
    systems = list(systems) if systems is not None else None
    affected_units = list(affected_units) if affected_units is not None else None
    _check_same_body(incident.unit, systems or (), affected_units or ())
    previous_file = ""
    if incident.pk is not None:
        previous_file = Incident.objects.filter(pk=incident.pk).values_list("report_file", flat=True).first()
    if report_upload:
        incident.report_file = report_upload
        incident.report_file_name = getattr(report_upload, "original_name", "")[:255]
    elif remove_report:
        incident.report_file = None
        incident.report_file_name = ""
    _as_user(incident, user)
    if incident.pk is None:
        _insert_numbered(incident)
    else:
        incident.save()
    if systems is not None:
        incident.systems.set(systems)
    if affected_units is not None:
        incident.affected_units.set(affected_units)
    if previous_file and previous_file != incident.report_file.name:
        _discard_file_on_commit(previous_file)
    return incident


def _discard_file_on_commit(name: str) -> None:
    storage = Incident._meta.get_field("report_file").storage
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def change_status(incident: Incident, status: str, user, note: str = "") -> TimelineEntry:
    """Move the incident's response to `status`, with a status-change entry on its timeline; return it.

    Completing the incident stamps `closed_at`; moving a completed one back clears it. Raises
    IncidentError for an unknown status or the status it already has.
    """
    if status not in IncidentStatus.values:
        raise IncidentError(_("Choose the status to move the response to."))
    if status == incident.status:
        raise IncidentError(_("The incident is already in this status."))
    previous = incident.status
    incident.status = status
    incident.closed_at = timezone.now() if status == IncidentStatus.CLOSED else None
    _as_user(incident, user)
    incident.save(update_fields=["status", "closed_at"])
    entry = TimelineEntry(
        incident=incident,
        kind=EntryKind.STATUS_CHANGE,
        text=note.strip(),
        author=user,
        from_status=previous,
        to_status=status,
    )
    _as_user(entry, user)
    entry.save()
    return entry


def add_entry(
    incident: Incident,
    *,
    text: str,
    user=None,
    kind: str = EntryKind.NOTE,
    at: datetime.datetime | None = None,
) -> TimelineEntry:
    """Add a line to the incident's timeline (a note unless `kind` says otherwise); return it.

    Raises IncidentError for an empty note.
    """
    text = (text or "").strip()
    if kind == EntryKind.NOTE and not text:
        raise IncidentError(_("Write what happened or what was done."))
    entry = TimelineEntry(
        incident=incident,
        kind=kind,
        text=text,
        author=user if user is not None and user.is_authenticated else None,
        at=at or timezone.now(),
    )
    _as_user(entry, user)
    entry.save()
    return entry


@transaction.atomic
def delete_incident(incident: Incident, *, user) -> None:
    """Delete an incident with its timeline; each deletion is in the audit trail under the user."""
    for entry in incident.timeline.all():
        _as_user(entry, user)
        entry.delete()
    if incident.report_file:
        _discard_file_on_commit(incident.report_file.name)
    _as_user(incident, user)
    incident.delete()


def open_demo_incident(office_user) -> None:
    """The demo prefecture has one incident under way (core.demo calls this)."""
    from karte.systems.models import System

    system = System.objects.filter(body=office_user.membership.unit.body, code="S0009").first()
    if system is None:
        return
    incident, _created = open_incident(
        unit=system.unit,
        title="ウェブサイトに不審なスクリプトが埋め込まれた疑い",
        source=IncidentSource.EXTERNAL_NOTICE,
        severity=Severity.HIGH,
        detected_at=timezone.now() - datetime.timedelta(days=2),
        detected_by="府民からの問い合わせ（電話）",
        systems=[system],
        details="トップページを開くと別サイトへ移動するとの連絡。委託事業者に調査を依頼。",
        user=office_user,
    )
    add_entry(incident, text="委託事業者がサーバを外部から遮断し、該当ページを公開停止。", user=office_user)
