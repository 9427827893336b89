"""Task-force working groups: the office forms them for its body, everyone in the body reads them."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from karte.core.choices import OrgUnitKind
from karte.core.services import create_org_unit
from karte.systems.choices import Hosting
from karte.systems.forms import SystemForm
from karte.systems.models import System, WorkingGroup


def make_system(unit, code: str, **fields) -> System:
    return System.objects.create(unit=unit, code=code, name=f"{code}システム", **fields)


def system_data(system: System, **changes) -> dict:
    data = {
        "unit": system.unit_id,
        "code": system.code,
        "name": system.name,
        "status": system.status,
        "hosting": system.hosting,
    }
    return {**data, **changes}


@pytest.fixture
def group(world):
    group = WorkingGroup.objects.create(
        body=world.body_a, name="共通基盤移行WG", migration_date=datetime.date(2025, 9, 1)
    )
    group.member_units.set([world.dept_a1, world.dept_a2])
    return group


def test_the_office_creates_a_group_with_member_units_and_a_migration_date(client, world):
    client.force_login(world.users["office_a"])

    form = client.get(reverse("systems:workinggroup_add")).context["form"]
    offered = set(form.fields["member_units"].queryset)
    assert world.dept_a1 in offered and world.section_a2 in offered
    assert world.dept_b1 not in offered and world.body_a not in offered
    assert "body" not in form.fields
    response = client.post(
        reverse("systems:workinggroup_add"),
        {
            "name": "ガバクラ移行WG",
            "member_units": [world.dept_a1.pk, world.section_a2.pk],
            "migration_date": "2026-03-31",
            "note": "共通基盤の契約満了までに移行",
        },
    )

    group = WorkingGroup.objects.get(name="ガバクラ移行WG")
    assert response.status_code == 302
    assert response.url == reverse("systems:workinggroup_detail", args=[group.pk])
    assert group.body == world.body_a
    assert set(group.member_units.all()) == {world.dept_a1, world.section_a2}
    assert group.migration_date == datetime.date(2026, 3, 31)
    assert group.history.first().history_user == world.users["office_a"]
    history = client.get(reverse("systems:workinggroup_history", args=[group.pk])).content.decode()
    assert "office_a" in history and "2026-03-31" in history


def test_the_office_assigns_systems_and_the_group_page_shows_where_each_must_move(client, world, group):
    moving = make_system(world.section_a1, "WG-1", hosting=Hosting.COMMON_PLATFORM)
    make_system(world.section_a2, "WG-2", hosting=Hosting.COMMON_PLATFORM, migration_destination="庁内サーバ")
    System.objects.filter(code="WG-2").update(working_group=group)
    client.force_login(world.users["office_a"])

    response = client.post(
        reverse("systems:system_edit", args=[moving.pk]),
        system_data(moving, working_group=group.pk, migration_destination="ガバメントクラウド"),
    )

    assert response.status_code == 302
    moving.refresh_from_db()
    assert moving.working_group == group
    page = client.get(reverse("systems:workinggroup_detail", args=[group.pk]))
    rows = [[cell.text for cell in row] for row in page.context["system_table"].rows]
    platform = str(Hosting.COMMON_PLATFORM.label)
    assert [(r[0], r[4], r[5]) for r in rows] == [
        ("WG-1", platform, "ガバメントクラウド"),
        ("WG-2", platform, "庁内サーバ"),
    ]
    html = page.content.decode()
    assert "令和7年9月1日" in html
    assert world.dept_a1.name in html and world.dept_a2.name in html
    karte = client.get(reverse("systems:system_detail", args=[moving.pk])).content.decode()
    assert f'href="{reverse("systems:workinggroup_detail", args=[group.pk])}"' in karte


def test_an_editor_sees_the_group_and_only_their_own_systems_in_it_but_cannot_change_it(client, world, group):
    make_system(world.section_a1, "OWN-1", working_group=group)
    make_system(world.section_a2, "OTHER-2", working_group=group)
    client.force_login(world.users["editor_a1"])

    listing = client.get(reverse("systems:workinggroup_list"))
    assert [[c.text for c in row] for row in listing.context["table"].rows] == [
        ["共通基盤移行WG", f"{world.dept_a1.name}、{world.dept_a2.name}", "令和7年9月1日", "1"]
    ]
    assert listing.context["add_url"] is None
    detail = client.get(reverse("systems:workinggroup_detail", args=[group.pk]))
    assert [row[0].text for row in detail.context["system_table"].rows] == ["OWN-1"]
    assert detail.context["edit_url"] is None and detail.context["delete_url"] is None

    assert client.get(reverse("systems:workinggroup_add")).status_code == 403
    response = client.post(reverse("systems:workinggroup_add"), {"name": "勝手なWG"})
    assert response.status_code == 403
    assert not WorkingGroup.objects.filter(name="勝手なWG").exists()
    response = client.post(reverse("systems:workinggroup_edit", args=[group.pk]), {"name": "改名"})
    assert response.status_code == 403
    assert client.post(reverse("systems:workinggroup_delete", args=[group.pk])).status_code == 403
    group.refresh_from_db()
    assert group.name == "共通基盤移行WG"


def test_the_system_form_offers_only_the_bodys_groups(world, group):
    WorkingGroup.objects.create(body=world.body_b, name="他団体WG")

    form = SystemForm(user=world.users["editor_a1"])

    assert list(form.fields["working_group"].queryset) == [group]


def test_member_units_of_another_body_are_refused(client, world):
    client.force_login(world.users["office_a"])

    response = client.post(
        reverse("systems:workinggroup_add"), {"name": "越境WG", "member_units": [world.dept_b1.pk]}
    )

    assert response.status_code == 400
    assert not WorkingGroup.objects.filter(name="越境WG").exists()


def test_a_superuser_chooses_the_body_and_units_must_belong_to_it(client, world):
    client.force_login(world.users["superuser"])
    url = reverse("systems:workinggroup_add")

    refused = client.post(
        url, {"body": world.body_a.pk, "name": "混在WG", "member_units": [world.dept_b1.pk]}
    )
    saved = client.post(url, {"body": world.body_b.pk, "name": "B市WG", "member_units": [world.dept_b1.pk]})

    assert refused.status_code == 400
    assert saved.status_code == 302
    assert WorkingGroup.objects.get(name="B市WG").body == world.body_b


def test_an_abolished_member_unit_stays_until_the_office_takes_it_out(client, world, group):
    old = create_org_unit(
        kind=OrgUnitKind.SECTION,
        code="06099",
        name="廃止課",
        parent=world.dept_a1,
        valid_from=datetime.date(2000, 4, 1),
        valid_to=datetime.date(2020, 3, 31),
    )
    group.member_units.add(old)
    client.force_login(world.users["office_a"])

    offered = client.get(reverse("systems:workinggroup_edit", args=[group.pk])).context["form"]
    assert old in offered.fields["member_units"].queryset
    add_form = client.get(reverse("systems:workinggroup_add")).context["form"]
    assert old not in add_form.fields["member_units"].queryset


def test_deleting_a_group_takes_its_systems_out_of_it_with_a_history_entry(client, world, group):
    system = make_system(world.section_a1, "LEAVE-1", working_group=group)
    client.force_login(world.users["office_a"])

    response = client.post(reverse("systems:workinggroup_delete", args=[group.pk]))

    assert response.status_code == 302
    assert not WorkingGroup.objects.filter(pk=group.pk).exists()
    system.refresh_from_db()
    assert system.working_group is None
    latest = system.history.first()
    assert latest.working_group_id is None and latest.history_user == world.users["office_a"]


def test_the_group_list_costs_the_same_queries_for_many_groups_as_for_few(client, world):
    client.force_login(world.users["office_a"])

    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("systems:workinggroup_list")).status_code == 200
        return len(queries)

    def add_groups(numbers):
        for n in numbers:
            group = WorkingGroup.objects.create(body=world.body_a, name=f"WG{n:03d}")
            group.member_units.set([world.dept_a1, world.section_a2])
            make_system(world.section_a1, f"Q{n:03d}", working_group=group)

    add_groups(range(3))
    few = list_queries()
    add_groups(range(3, 40))

    assert list_queries() == few
    export = client.get(reverse("systems:workinggroup_list") + "?export=csv").content.decode("utf-8-sig")
    assert export.count(world.section_a2.name) == 40


def test_the_portfolio_pages_link_to_the_working_groups(client, world):
    client.force_login(world.users["viewer_a1"])

    html = client.get(reverse("systems:portfolio")).content.decode()

    assert f'href="{reverse("systems:workinggroup_list")}"' in html
