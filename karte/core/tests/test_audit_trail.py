"""Who changed what: the history tab of a record and the audit trail, its filters and exports."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from karte.core.models import OrgUnit
from tests.ledger.models import Ledger


def text(response) -> str:
    return response.content.decode("utf-8")


def name_label() -> str:
    with translation.override("ja"):
        return str(OrgUnit._meta.get_field("name").verbose_name)


def test_editing_an_org_unit_shows_who_changed_the_name_from_what_to_what(client, world):
    client.force_login(world.users["office_a"])
    unit = world.section_a1
    data = {
        "kind": "section",
        "code": unit.code,
        "name": "地域福祉推進課",
        "parent": world.dept_a1.pk,
        "valid_from": unit.valid_from.isoformat(),
        "valid_to": "",
        "successor": "",
    }

    response = client.post(reverse("core:orgunit_edit", kwargs={"pk": unit.pk}), data)

    assert response.status_code == 302, text(response)[-2000:]
    assert OrgUnit.objects.get(pk=unit.pk).name == "地域福祉推進課"
    page = client.get(reverse("core:orgunit_history", kwargs={"pk": unit.pk}))
    assert page.status_code == 200
    newest = page.context["entries"][0]
    assert newest.user == "office_a"
    assert newest.action == "~"
    assert [(c.field, c.old, c.new) for c in newest.changes] == [
        (name_label(), "地域福祉課", "地域福祉推進課")
    ]
    body = text(page)
    assert "office_a" in body
    assert "地域福祉課" in body
    assert "地域福祉推進課" in body


@pytest.fixture
def ledger_story(client, world):
    """editor_a1 creates, edits and deletes one ledger and creates another through the pages."""
    client.force_login(world.users["editor_a1"])
    unit = world.section_a1.pk
    assert (
        client.post(
            reverse("ledger:ledger_add"), {"name": "監査対象台帳", "unit": unit, "amount_yen": 100}
        ).status_code
        == 302
    )
    record = Ledger.objects.get(name="監査対象台帳")
    edit = reverse("ledger:ledger_edit", kwargs={"pk": record.pk})
    assert client.post(edit, {"name": "監査対象台帳", "unit": unit, "amount_yen": 250}).status_code == 302
    assert client.post(reverse("ledger:ledger_delete", kwargs={"pk": record.pk})).status_code == 302
    assert not Ledger.objects.filter(pk=record.pk).exists()
    assert (
        client.post(
            reverse("ledger:ledger_add"), {"name": "残る台帳", "unit": unit, "amount_yen": 1}
        ).status_code
        == 302
    )
    client.logout()
    client.force_login(world.users["auditor_a"])
    return client


def ledger_entries(response):
    return [e for e in response.context["entries"] if e.model_label == Ledger._meta.verbose_name]


def test_ledger_changes_made_on_the_pages_are_in_the_audit_trail_with_the_user(ledger_story):
    response = ledger_story.get(reverse("core:audit_trail"))

    assert response.status_code == 200
    entries = ledger_entries(response)
    assert [(e.record, e.action, e.user) for e in entries] == [
        ("残る台帳", "+", "editor_a1"),
        ("監査対象台帳", "-", "editor_a1"),
        ("監査対象台帳", "~", "editor_a1"),
        ("監査対象台帳", "+", "editor_a1"),
    ]
    changed = entries[2]
    assert [(c.old, c.new) for c in changed.changes] == [("100", "250")]
    body = text(response)
    assert "editor_a1" in body
    assert "監査対象台帳" in body


def test_the_auditor_filters_by_user(ledger_story, world):
    response = ledger_story.get(reverse("core:audit_trail"), {"user": "editor_a1"})

    entries = response.context["entries"]
    assert len(entries) == 4
    assert {e.user for e in entries} == {"editor_a1"}
    nobody = ledger_story.get(reverse("core:audit_trail"), {"user": "office_a"})
    assert nobody.context["entries"] == []


def test_the_auditor_filters_by_operation(ledger_story):
    response = ledger_story.get(reverse("core:audit_trail"), {"action": "-"})

    entries = response.context["entries"]
    assert [(e.record, e.action) for e in entries] == [("監査対象台帳", "-")]
    assert "残る台帳" not in text(response)


def test_the_auditor_exports_the_trail_as_csv(ledger_story):
    response = ledger_story.get(reverse("core:audit_trail"), {"export": "csv", "user": "editor_a1"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 4
    assert [(r[1], r[4]) for r in rows[1:]] == [("editor_a1", "残る台帳")] + [
        ("editor_a1", "監査対象台帳")
    ] * 3
    assert any("100 → 250" in r[5] for r in rows[1:])


def test_the_auditor_exports_the_trail_as_xlsx(ledger_story):
    response = ledger_story.get(reverse("core:audit_trail"), {"export": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    records = [(row[1], row[4]) for row in rows[1:]]
    assert ("editor_a1", "監査対象台帳") in records
    assert ("editor_a1", "残る台帳") in records
    # Other bodies' records never reach this body's auditor.
    assert not any("SECRET-B" in str(cell) for row in rows for cell in row)


def test_an_editor_may_not_read_the_audit_trail(client, world):
    client.force_login(world.users["editor_a1"])

    assert client.get(reverse("core:audit_trail")).status_code == 403
    assert client.get(reverse("core:audit_trail"), {"export": "csv"}).status_code == 403


def test_a_viewer_sees_the_history_of_a_record_of_their_own_department_only(client, world):
    client.force_login(world.users["editor_a1"])
    client.post(
        reverse("ledger:ledger_add"), {"name": "福祉の台帳", "unit": world.section_a1.pk, "amount_yen": 5}
    )
    own = Ledger.objects.get(name="福祉の台帳")
    other = Ledger.objects.create(name="健康の台帳", unit=world.section_a2, amount_yen=7)
    client.logout()
    client.force_login(world.users["viewer_a1"])

    response = client.get(reverse("ledger:ledger_history", kwargs={"pk": own.pk}))

    assert response.status_code == 200
    [entry] = response.context["entries"]
    assert (entry.user, entry.action) == ("editor_a1", "+")
    assert "editor_a1" in text(response)
    assert client.get(reverse("ledger:ledger_history", kwargs={"pk": other.pk})).status_code == 404
