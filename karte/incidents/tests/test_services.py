"""The incident log's services as the monitors and the CSIRT meet them: opening (and not re-opening) an
incident, numbering, moving the status, the timeline, and the audit trail of every change."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from karte.incidents import services
from karte.incidents.choices import EntryKind, IncidentSource, IncidentStatus, Severity
from karte.incidents.models import Incident, TimelineEntry
from karte.systems.models import System


def at(year, month, day, hour=9, minute=0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute))


def open_for(unit, title="トップページ応答なし", *, when=None, key="", systems=(), user=None, details=""):
    return services.open_incident(
        unit=unit,
        title=title,
        source=IncidentSource.HOMEPAGE_OBSERVATION,
        severity=Severity.HIGH,
        detected_at=when or at(2026, 4, 1),
        detected_by="ホームページ応答監視",
        systems=systems,
        details=details,
        dedupe_key=key,
        user=user,
    )


def test_a_flapping_site_adds_alerts_to_the_one_open_incident(world):
    first, created = open_for(world.section_a1, key="http://www.pref.example.jp/", details="応答なし 1回目")
    assert created
    for n in range(2, 6):
        again, created = open_for(
            world.section_a1, key="http://www.pref.example.jp/", when=at(2026, 4, 1, 9, n), details=f"{n}回目"
        )
        assert not created
        assert again.pk == first.pk
    assert Incident.objects.count() == 1
    alerts = list(first.timeline.filter(kind=EntryKind.ALERT).values_list("text", flat=True))
    assert alerts == ["応答なし 1回目", "2回目", "3回目", "4回目", "5回目"]


def test_the_same_key_opens_a_new_incident_after_the_last_one_is_completed(world):
    first, _ = open_for(world.section_a1, key="site-1")
    services.change_status(first, IncidentStatus.CONTAINED, world.users["editor_a1"])
    # Contained is not completed: the alert still belongs to the same incident.
    assert open_for(world.section_a1, key="site-1")[0].pk == first.pk
    services.change_status(first, IncidentStatus.CLOSED, world.users["editor_a1"])
    second, created = open_for(world.section_a1, key="site-1", when=at(2026, 4, 2))
    assert created
    assert second.pk != first.pk
    assert open_for(world.section_a1, key="site-1")[0].pk == second.pk


def test_keys_are_per_local_government_and_no_key_never_merges(world):
    a, _ = open_for(world.section_a1, key="dns-1")
    b, created = open_for(world.section_b1, key="dns-1")
    assert created and b.pk != a.pk
    # Another department of the same body: the same problem, so the same incident.
    assert open_for(world.section_a2, key="dns-1") == (a, False)
    assert open_for(world.section_a1)[1] is True
    assert open_for(world.section_a1)[1] is True
    assert Incident.objects.filter(body=world.body_a).count() == 3


def test_an_alert_names_new_affected_systems_on_the_open_incident(world):
    web = System.objects.create(unit=world.section_a1, code="S1", name="府ホームページ")
    cms = System.objects.create(unit=world.section_a1, code="S2", name="CMS")
    incident, _ = open_for(world.section_a1, key="k", systems=[web])
    open_for(world.section_a1, key="k", systems=[web, cms])
    assert set(incident.systems.values_list("name", flat=True)) == {"府ホームページ", "CMS"}


def test_a_system_of_another_local_government_is_refused(world):
    theirs = System.objects.create(unit=world.section_b1, code="S1", name="市のシステム")
    with pytest.raises(services.IncidentError):
        open_for(world.section_a1, systems=[theirs])
    assert not Incident.objects.exists()


def test_reference_numbers_run_per_local_government_and_per_year(world):
    refs = [
        open_for(world.section_a1, when=at(2025, 12, 31, 23, 0))[0].reference,
        open_for(world.section_a2, when=at(2026, 1, 1, 0, 30))[0].reference,
        open_for(world.section_a1, when=at(2026, 3, 1))[0].reference,
        open_for(world.section_b1, when=at(2026, 3, 1))[0].reference,
        open_for(world.section_a1, when=at(2025, 6, 1))[0].reference,
    ]
    assert refs == ["2025-0001", "2026-0001", "2026-0002", "2026-0001", "2025-0002"]


def test_reference_numbers_keep_counting_past_four_digits(world):
    Incident.objects.create(
        unit=world.section_a1, reference="2026-9999", title="x", detected_by="x", source="other"
    )
    assert services.next_reference(world.body_a.pk, 2026) == "2026-10000"
    Incident.objects.create(
        unit=world.section_a1, reference="2026-10000", title="y", detected_by="y", source="other"
    )
    assert services.next_reference(world.body_a.pk, 2026) == "2026-10001"


def test_changing_the_status_writes_the_timeline_and_the_completion_time(world):
    editor = world.users["editor_a1"]
    incident, _ = open_for(world.section_a1)
    services.change_status(incident, IncidentStatus.CONTAINED, editor, "ネットワークから切り離した")
    assert incident.closed_at is None
    services.change_status(incident, IncidentStatus.CLOSED, editor, "報告書提出")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED
    assert incident.closed_at is not None
    changes = list(
        incident.timeline.filter(kind=EntryKind.STATUS_CHANGE).values_list(
            "from_status", "to_status", "text", "author"
        )
    )
    assert changes == [
        (IncidentStatus.OPEN, IncidentStatus.CONTAINED, "ネットワークから切り離した", editor.pk),
        (IncidentStatus.CONTAINED, IncidentStatus.CLOSED, "報告書提出", editor.pk),
    ]
    # Reopened: no longer completed.
    services.change_status(incident, IncidentStatus.OPEN, editor)
    incident.refresh_from_db()
    assert incident.closed_at is None


def test_a_status_it_already_has_or_an_unknown_one_is_refused(world):
    incident, _ = open_for(world.section_a1)
    for status in (IncidentStatus.OPEN, "lost"):
        with pytest.raises(services.IncidentError):
            services.change_status(incident, status, world.users["editor_a1"])
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN
    assert not incident.timeline.filter(kind=EntryKind.STATUS_CHANGE).exists()


def test_an_empty_note_is_refused(world):
    incident, _ = open_for(world.section_a1)
    before = incident.timeline.count()
    with pytest.raises(services.IncidentError):
        services.add_entry(incident, text="   ", user=world.users["editor_a1"])
    assert incident.timeline.count() == before


def test_every_change_is_in_the_audit_trail_with_who_made_it(world):
    editor = world.users["editor_a1"]
    incident, _ = open_for(world.section_a1)
    entry = services.add_entry(incident, text="ベンダーに連絡", user=editor)
    services.change_status(incident, IncidentStatus.RECOVERED, editor)
    latest = incident.history.order_by("-history_date", "-history_id").first()
    assert latest.status == IncidentStatus.RECOVERED
    assert latest.history_user == editor
    assert entry.history.get().history_user == editor
    services.delete_incident(incident, user=editor)
    deletions = TimelineEntry.history.filter(history_type="-")
    assert deletions.count() == 3
    assert set(deletions.values_list("history_user", flat=True)) == {editor.pk}
    assert Incident.history.filter(history_type="-").get().history_user == editor
