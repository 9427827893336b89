"""The incident pages as the CSIRT and the departments meet them: the list and its order, filters and
exports, one incident with its timeline, the timeline and status forms, the report file, the system karte's
section, and what each role may see and change."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from karte.incidents import services
from karte.incidents.choices import EntryKind, IncidentSource, IncidentStatus, Severity
from karte.incidents.models import Incident, TimelineEntry
from karte.systems.models import System

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def at(month, day, hour=9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2026, month, day, hour, 0))


def make(unit, title, *, when, severity=Severity.MEDIUM, source=IncidentSource.STAFF_REPORT, systems=()):
    incident, _ = services.open_incident(
        unit=unit,
        title=title,
        source=source,
        severity=severity,
        detected_at=when,
        detected_by="情報政策課",
        systems=systems,
    )
    return incident


def listed(response) -> list[str]:
    assert response.status_code == 200
    return [row[0].text for row in response.context["table"].rows]


@pytest.fixture
def log(world):
    """Incidents of both departments of the prefecture and one of the city."""
    office = world.users["office_a"]
    web = System.objects.create(unit=world.section_a1, code="S-WEB", name="福祉ポータル")
    old_closed = make(world.section_a1, "委託先メール誤送信", when=at(3, 1), severity=Severity.LOW)
    services.change_status(old_closed, IncidentStatus.CLOSED, office)
    recovered = make(
        world.section_a1, "ポータル改ざん", when=at(3, 10), severity=Severity.CRITICAL, systems=[web]
    )
    services.change_status(recovered, IncidentStatus.RECOVERED, office)
    open_old = make(
        world.section_a2, "不審通信の検知", when=at(2, 1), source=IncidentSource.SUSPICIOUS_TRAFFIC
    )
    open_new = make(world.section_a1, "ポータル応答なし", when=at(3, 20), systems=[web])
    city = make(world.section_b1, "SECRET-B 市の事案", when=at(3, 5))
    return {
        "web": web,
        "old_closed": old_closed,
        "recovered": recovered,
        "open_old": open_old,
        "open_new": open_new,
        "city": city,
    }


def test_the_list_shows_open_incidents_first_then_the_newest(client, world, log):
    client.force_login(world.users["office_a"])
    rows = listed(client.get(reverse("incidents:incident_list")))
    assert rows == [str(log[k]) for k in ("open_new", "open_old", "recovered", "old_closed")]


def test_the_list_filters_by_status_severity_source_and_department(client, world, log):
    client.force_login(world.users["office_a"])
    url = reverse("incidents:incident_list")
    assert listed(client.get(url, {"status": "unfinished"})) == [
        str(log[k]) for k in ("open_new", "open_old", "recovered")
    ]
    assert listed(client.get(url, {"status": "closed"})) == [str(log["old_closed"])]
    assert listed(client.get(url, {"severity": "critical"})) == [str(log["recovered"])]
    assert listed(client.get(url, {"source": "suspicious_traffic"})) == [str(log["open_old"])]
    assert listed(client.get(url, {"department": world.dept_a2.pk})) == [str(log["open_old"])]
    assert listed(client.get(url, {"system": log["web"].pk})) == [str(log["open_new"]), str(log["recovered"])]


def test_a_department_sees_only_the_incidents_its_units_handle(client, world, log):
    client.force_login(world.users["viewer_a1"])
    url = reverse("incidents:incident_list")
    assert set(listed(client.get(url))) == {str(log[k]) for k in ("open_new", "recovered", "old_closed")}
    csv = client.get(url + "?export=csv").content.decode("utf-8-sig")
    assert str(log["open_new"]) in csv
    assert "不審通信" not in csv and "SECRET-B" not in csv
    book = openpyxl.load_workbook(io.BytesIO(client.get(url + "?export=xlsx").content), read_only=True)
    cells = {str(c) for ws in book for row in ws.iter_rows(values_only=True) for c in row if c}
    assert str(log["recovered"]) in cells
    assert str(log["open_old"]) not in cells and str(log["city"]) not in cells
    assert client.get(reverse("incidents:incident_detail", args=[log["open_old"].pk])).status_code == 404
    assert client.get(reverse("incidents:incident_detail", args=[log["city"].pk])).status_code == 404


def test_auditors_read_every_incident_of_their_body_but_change_none(client, world, log):
    client.force_login(world.users["auditor_a"])
    rows = listed(client.get(reverse("incidents:incident_list")))
    assert len(rows) == 4 and str(log["city"]) not in rows
    page = client.get(reverse("incidents:incident_detail", args=[log["open_old"].pk]))
    assert page.status_code == 200
    assert page.context["status_form"] is None
    assert 'action="/incidents/' not in page.content.decode()


def test_the_dashboard_counts_incidents_not_completed(client, world, log):
    def open_card(role):
        client.force_login(world.users[role])
        cards = client.get(reverse("core:dashboard")).context["module_cards"]
        (card,) = [c for c in cards if c["url"].startswith(reverse("incidents:incident_list"))]
        assert listed(client.get(card["url"])) != []
        return card["value"], len(listed(client.get(card["url"])))

    assert open_card("editor_a2") == (1, 1)
    assert open_card("office_a") == (3, 3)


def test_the_detail_shows_the_timeline_newest_last(client, world, log):
    incident = log["open_new"]
    services.add_entry(incident, text="ベンダーに調査を依頼", user=world.users["editor_a1"], at=at(3, 20, 11))
    services.add_entry(incident, text="ログを保全", user=world.users["editor_a1"], at=at(3, 20, 10))
    client.force_login(world.users["editor_a1"])
    page = client.get(reverse("incidents:incident_detail", args=[incident.pk]))
    texts = [entry.text for entry in page.context["timeline"]]
    assert texts == ["ポータル応答なし", "ログを保全", "ベンダーに調査を依頼"]
    body = page.content.decode()
    assert body.index("ログを保全") < body.index("ベンダーに調査を依頼")
    assert "福祉ポータル" in body


def test_a_writer_adds_a_note_and_moves_the_status_from_the_page(client, world, log):
    incident = log["open_new"]
    client.force_login(world.users["editor_a1"])
    response = client.post(
        reverse("incidents:incident_add_entry", args=[incident.pk]), {"text": "サーバを再起動"}
    )
    assert response.status_code == 302
    assert incident.timeline.filter(kind=EntryKind.NOTE, text="サーバを再起動").exists()
    response = client.post(
        reverse("incidents:incident_change_status", args=[incident.pk]),
        {"status": "closed", "note": "再発なし"},
        follow=True,
    )
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED and incident.closed_at is not None
    assert incident.get_status_display() in response.content.decode()
    entry = incident.timeline.get(kind=EntryKind.STATUS_CHANGE)
    assert (entry.to_status, entry.text, entry.author) == ("closed", "再発なし", world.users["editor_a1"])


def test_an_empty_note_or_a_bad_status_says_why_and_changes_nothing(client, world, log):
    incident = log["open_new"]
    client.force_login(world.users["editor_a1"])
    before = incident.timeline.count()
    response = client.post(
        reverse("incidents:incident_add_entry", args=[incident.pk]), {"text": ""}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [_("Write what happened or what was done.")]
    for status in ("open", "lost", ""):
        response = client.post(
            reverse("incidents:incident_change_status", args=[incident.pk]), {"status": status}, follow=True
        )
        assert response.status_code == 200
        assert response.context["messages"]
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN
    assert incident.timeline.count() == before


@pytest.mark.parametrize("role", ["editor_a2", "viewer_a1", "auditor_a", "office_b", "no_role", "anonymous"])
def test_forged_timeline_and_status_posts_change_nothing(client, world, log, role):
    incident = log["open_new"]
    if role != "anonymous":
        client.force_login(world.users[role])
    before = model_to_dict(incident)
    entries = TimelineEntry.objects.count()
    history = incident.history.count()
    for name, data in (
        ("incidents:incident_add_entry", {"text": "FORGED"}),
        ("incidents:incident_change_status", {"status": "closed", "note": "FORGED"}),
    ):
        response = client.post(reverse(name, args=[incident.pk]), data)
        assert response.status_code in (302, 403, 404), (name, role)
        if role == "anonymous":
            assert response.url.startswith(reverse("login"))
        else:
            assert response.status_code in (403, 404)
    incident.refresh_from_db()
    assert model_to_dict(incident) == before
    assert TimelineEntry.objects.count() == entries
    assert incident.history.count() == history


def test_the_timeline_urls_take_no_get(client, world, log):
    client.force_login(world.users["office_a"])
    response = client.get(reverse("incidents:incident_change_status", args=[log["open_new"].pk]))
    assert response.status_code == 405


def test_adding_an_incident_numbers_it_and_keeps_the_report_file_private(client, world, settings):
    client.force_login(world.users["editor_a1"])
    web = System.objects.create(unit=world.section_a1, code="S-WEB", name="福祉ポータル")
    response = client.post(
        reverse("incidents:incident_add"),
        {
            "unit": world.section_a1.pk,
            "title": "USBメモリ紛失",
            "detected_at": "2026-04-03T14:20",
            "detected_by": "地域福祉課 職員",
            "source": "staff_report",
            "severity": "high",
            "systems": [web.pk],
            "affected_units": [world.section_a1.pk, world.section_a2.pk],
            "summary": "外出先で紛失",
            "report_upload": SimpleUploadedFile("報告書.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get(title="USBメモリ紛失")
    assert incident.reference == "2026-0001"
    assert incident.status == IncidentStatus.OPEN
    assert list(incident.systems.all()) == [web]
    assert incident.affected_units.count() == 2
    assert incident.report_file_name == "報告書.pdf"
    assert "報告書" not in incident.report_file.name
    assert incident.history.get(history_type="+").history_user == world.users["editor_a1"]
    download = client.get(reverse("incidents:incident_report", args=[incident.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert "attachment" in download["Content-Disposition"]


def test_a_report_that_is_not_a_document_is_refused(client, world, log):
    incident = log["open_new"]
    client.force_login(world.users["editor_a1"])
    form = client.get(reverse("incidents:incident_edit", args=[incident.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["detected_at"] = "2026-03-20T09:00"
    data["systems"] = [s.pk for s in data["systems"]]
    data["affected_units"] = []
    data["report_upload"] = SimpleUploadedFile("report.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200)
    response = client.post(reverse("incidents:incident_edit", args=[incident.pk]), data)
    assert response.status_code == 400
    assert response.context["form"].errors["report_upload"]
    incident.refresh_from_db()
    assert not incident.report_file


def test_affected_systems_of_another_body_are_refused_in_the_form(client, world, log):
    theirs = System.objects.create(unit=world.section_b1, code="S-B", name="SECRET-B 市のシステム")
    incident = log["open_new"]
    for role in ("office_a", "superuser"):
        client.force_login(world.users[role])
        response = client.post(
            reverse("incidents:incident_edit", args=[incident.pk]),
            {
                "unit": world.section_a1.pk,
                "title": "改ざん",
                "detected_at": "2026-03-20T09:00",
                "detected_by": "x",
                "source": "staff_report",
                "severity": "low",
                "systems": [theirs.pk],
            },
        )
        assert response.status_code == 400, role
        assert response.context["form"].errors["systems"], role
    incident.refresh_from_db()
    assert incident.title == "ポータル応答なし"
    assert list(incident.systems.values_list("name", flat=True)) == ["福祉ポータル"]


def test_a_department_editor_cannot_give_an_incident_to_another_department(client, world):
    client.force_login(world.users["editor_a1"])
    response = client.post(
        reverse("incidents:incident_add"),
        {
            "unit": world.section_a2.pk,
            "title": "他部局",
            "detected_at": "2026-03-20T09:00",
            "detected_by": "x",
            "source": "other",
            "severity": "low",
        },
    )
    assert response.status_code == 400
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("role", "expected"),
    [("viewer_a1", 200), ("auditor_a", 200), ("editor_a2", 404), ("office_b", 404), ("no_role", 403)],
)
def test_the_report_file_goes_only_to_those_who_may_see_the_incident(client, world, log, role, expected):
    incident = log["recovered"]
    incident.report_file.save("report.txt", ContentFile("報告書本文".encode()), save=True)
    client.force_login(world.users[role])
    response = client.get(reverse("incidents:incident_report", args=[incident.pk]))
    assert response.status_code == expected
    if expected == 200:
        assert b"".join(response.streaming_content).decode() == "報告書本文"


def test_a_missing_report_file_is_a_404(client, world, log):
    client.force_login(world.users["office_a"])
    assert client.get(reverse("incidents:incident_report", args=[log["open_new"].pk])).status_code == 404


def test_the_system_karte_lists_the_incidents_affecting_it_open_first(client, world, log):
    web = log["web"]
    other_department = make(world.section_a2, "健康医療部の事案", when=at(3, 25), systems=[web])
    client.force_login(world.users["office_a"])
    page = client.get(reverse("systems:system_detail", args=[web.pk]))
    body = page.content.decode()
    assert 'id="incidents"' in body
    # Open ones first, the newest first; the recovered one after them; the unrelated one not at all.
    positions = [body.index(str(i)) for i in (other_department, log["open_new"], log["recovered"])]
    assert positions == sorted(positions)
    assert "委託先メール誤送信" not in body

    # A department reads only the incidents its own units handle.
    client.force_login(world.users["viewer_a1"])
    body = client.get(reverse("systems:system_detail", args=[web.pk])).content.decode()
    assert str(log["open_new"]) in body and str(other_department) not in body


def test_a_system_without_incidents_has_no_incident_section(client, world, log):
    quiet = System.objects.create(unit=world.section_a1, code="S-Q", name="静かなシステム")
    client.force_login(world.users["office_a"])
    body = client.get(reverse("systems:system_detail", args=[quiet.pk])).content.decode()
    assert 'id="incidents"' not in body


def test_deleting_an_incident_removes_its_timeline_and_is_audited(client, world, log):
    incident = log["open_new"]
    client.force_login(world.users["office_a"])
    response = client.post(reverse("incidents:incident_delete", args=[incident.pk]))
    assert response.status_code == 302
    assert not Incident.objects.filter(pk=incident.pk).exists()
    assert not TimelineEntry.objects.filter(incident_id=incident.pk).exists()
    assert (
        Incident.history.filter(id=incident.pk, history_type="-").get().history_user
        == world.users["office_a"]
    )


def test_systems_of_another_department_stay_linked_but_unnamed_for_a_department(client, world):
    ours = System.objects.create(unit=world.section_a1, code="S-1", name="福祉ポータル")
    theirs = System.objects.create(unit=world.section_a2, code="S-2", name="健康医療部の基幹システム")
    incident = make(world.section_a1, "共通基盤の障害", when=at(3, 1), systems=[ours, theirs])
    client.force_login(world.users["editor_a1"])
    page = client.get(reverse("incidents:incident_detail", args=[incident.pk]))
    assert page.context["systems"] == [ours] and page.context["hidden_systems"] == 1
    assert "健康医療部の基幹システム" not in page.content.decode()
    response = client.post(
        reverse("incidents:incident_edit", args=[incident.pk]),
        {
            "unit": world.section_a1.pk,
            "title": "共通基盤の障害（続報）",
            "detected_at": "2026-03-01T09:00",
            "detected_by": "x",
            "source": "staff_report",
            "severity": "high",
            "systems": [ours.pk],
        },
    )
    assert response.status_code == 302
    assert set(incident.systems.all()) == {ours, theirs}


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "0001-01-01T09:00", "1899-12-31T23:59"])
def test_a_detection_time_far_in_the_past_is_refused_not_a_server_error(client, world, when):
    client.force_login(world.users["editor_a1"])
    response = client.post(
        reverse("incidents:incident_add"),
        {
            "unit": world.section_a1.pk,
            "title": "年の打ち間違い",
            "detected_at": when,
            "detected_by": "x",
            "source": "other",
            "severity": "low",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["detected_at"]
    assert not Incident.objects.exists()


def test_saving_an_incident_keeps_affected_units_abolished_since(client, world):
    incident = make(world.section_a1, "共通基盤の障害", when=at(3, 1))
    incident.affected_units.set([world.section_a1, world.section_a2])
    world.section_a2.valid_to = datetime.date(2025, 3, 31)
    world.section_a2.save()
    client.force_login(world.users["editor_a1"])
    form = client.get(reverse("incidents:incident_edit", args=[incident.pk])).context["form"]
    assert world.section_a2 in form.fields["affected_units"].queryset
    response = client.post(
        reverse("incidents:incident_edit", args=[incident.pk]),
        {
            "unit": world.section_a1.pk,
            "title": "共通基盤の障害（続報）",
            "detected_at": "2026-03-01T09:00",
            "detected_by": "x",
            "source": "staff_report",
            "severity": "high",
            "affected_units": [world.section_a1.pk, world.section_a2.pk],
        },
    )
    assert response.status_code == 302
    assert set(incident.affected_units.all()) == {world.section_a1, world.section_a2}
    # A new incident is offered only the units that exist today.
    form = client.get(reverse("incidents:incident_add")).context["form"]
    assert world.section_a2 not in form.fields["affected_units"].queryset
