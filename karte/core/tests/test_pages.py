"""The everyday pages: the dashboard, the organisation list (filters, sort, export) and error pages."""

from __future__ import annotations

import csv
import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from karte.core.importers import OrganisationImporter
from karte.core.importing.base import NEW, UNCHANGED, build_plan
from karte.core.models import OrgUnit
from karte.core.services import create_org_unit, update_org_unit

ORG_LABELS = [c.label for c in OrganisationImporter.columns]


def listed_codes(response) -> list[str]:
    assert response.status_code == 200
    return [row[0].text for row in response.context["table"].rows]


def org_list(client, **params):
    return client.get(reverse("core:orgunit_list"), params)


@pytest.fixture
def office(client, world):
    client.force_login(world.users["office_a"])
    return client


# --- dashboard --------------------------------------------------------------------------------------
def test_the_dashboard_counts_only_the_units_of_the_own_body(office, world):
    create_org_unit(kind="section", code="06999", name="福祉別室SECRET-B", parent=world.dept_b1)

    response = office.get(reverse("core:dashboard"))

    assert response.status_code == 200
    counts = response.context["counts"]
    assert (counts["departments"], counts["sections"]) == (3, 3)
    html = response.content.decode()
    assert '<span class="k-stat__value">3</span>' in html
    assert "SECRET-B" not in html
    chart = response.context["chart_option"]
    assert sorted(chart["yAxis"]["data"]) == sorted(["福祉部", "健康医療部", "スマートシティ戦略部"])


def test_the_dashboard_leaves_out_ended_sections(office, world):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    update_org_unit(world.section_a2, valid_to=yesterday)

    counts = office.get(reverse("core:dashboard")).context["counts"]

    assert counts["sections"] == 2


def test_a_person_without_a_role_sees_the_dashboard(client, world):
    client.force_login(world.users["no_role"])

    response = client.get(reverse("core:dashboard"))

    assert response.status_code == 200
    assert response.context["has_role"] is False
    html = response.content.decode()
    assert "SECRET-B" not in html
    assert "地域福祉課" not in html


# --- the organisation list --------------------------------------------------------------------------
def test_the_org_list_shows_the_own_body_only(office):
    assert sorted(listed_codes(org_list(office))) == ["04", "04002", "06", "06001", "07", "07001", "270008"]


def test_filtering_the_org_list_by_kind(office):
    assert listed_codes(org_list(office, kind="section")) == ["04002", "06001", "07001"]
    assert listed_codes(org_list(office, kind="department")) == ["04", "06", "07"]


def test_searching_the_org_list(office):
    assert listed_codes(org_list(office, q="福祉")) == ["06", "06001"]
    assert listed_codes(org_list(office, q="0700")) == ["07001"]


def test_filtering_the_org_list_by_validity(office, world):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    assert listed_codes(org_list(office, validity="ended")) == []

    update_org_unit(world.section_a2, valid_to=yesterday)

    assert listed_codes(org_list(office, validity="ended")) == ["07001"]
    assert "07001" not in listed_codes(org_list(office, validity="current"))
    assert "07001" in listed_codes(org_list(office))


def test_sorting_the_org_list(office):
    assert listed_codes(org_list(office, sort="-code")) == [
        "270008",
        "07001",
        "07",
        "06001",
        "06",
        "04002",
        "04",
    ]
    by_name = listed_codes(org_list(office, kind="section", sort="name"))
    names = {"04002": "行政DX推進課", "06001": "地域福祉課", "07001": "健康医療総務課"}
    assert by_name == sorted(names, key=names.get)


@pytest.mark.parametrize("sort", ["password", "-body__name", "name; DROP TABLE", "pk", ""])
def test_an_unknown_sort_key_is_ignored(office, sort):
    response = org_list(office, sort=sort)

    assert listed_codes(response) == ["04", "04002", "06", "06001", "07", "07001", "270008"]


def test_sort_and_filter_together(office):
    assert listed_codes(org_list(office, kind="section", sort="-code")) == ["07001", "06001", "04002"]


# --- export round trip ------------------------------------------------------------------------------
def export_xlsx(client, **params) -> bytes:
    response = client.get(reverse("core:orgunit_list"), {"export": "xlsx", **params})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return response.content


def test_the_org_list_export_has_the_importer_header(office):
    sheet = openpyxl.load_workbook(io.BytesIO(export_xlsx(office))).active
    rows = list(sheet.iter_rows(values_only=True))

    assert list(rows[0]) == ORG_LABELS
    assert rows[0][0] == "団体コード"
    assert sorted(r[4] for r in rows[1:]) == ["04002", "06001", "07001"]
    assert not any("SECRET-B" in str(c) for r in rows for c in r)


def test_the_org_list_export_csv_has_the_importer_header(office):
    response = office.get(reverse("core:orgunit_list"), {"export": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ORG_LABELS
    assert len(rows) == 4


def test_exporting_then_importing_the_export_changes_nothing(office, world, tmp_path):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    update_org_unit(world.section_a1, valid_to=yesterday, successor=world.section_a2)
    path = tmp_path / "organisation.xlsx"
    path.write_bytes(export_xlsx(office))

    plan = build_plan(OrganisationImporter(world.users["office_a"]), path)

    assert plan.errors == []
    assert {p.action for p in plan.records} == {UNCHANGED}
    assert len(plan.records) == 1 + 3 + 3


def test_exporting_then_importing_an_organisation_with_groups_changes_nothing(office, world, tmp_path):
    create_org_unit(kind="group", code="0600101", name="地域福祉グループ", parent=world.section_a1)
    path = tmp_path / "organisation.xlsx"
    path.write_bytes(export_xlsx(office))

    plan = build_plan(OrganisationImporter(world.users["office_a"]), path)

    assert plan.errors == []
    assert {p.action for p in plan.records} == {UNCHANGED}


def test_importing_an_edited_export_adds_what_was_added(office, world, tmp_path):
    book = openpyxl.load_workbook(io.BytesIO(export_xlsx(office)))
    sheet = book.active
    sheet.append(["270008", "大阪府", "06", "福祉部", "06002", "高齢介護課"])
    path = tmp_path / "organisation.xlsx"
    book.save(path)

    plan = build_plan(OrganisationImporter(world.users["office_a"]), path)

    assert plan.errors == []
    assert [p.record.key for p in plan.records if p.action == NEW] == [("270008", "06002")]


# --- error pages ------------------------------------------------------------------------------------
def test_an_unknown_record_is_a_404_page(office, world):
    response = office.get(reverse("core:orgunit_detail", kwargs={"pk": 987654}))

    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    other_body = office.get(reverse("core:orgunit_detail", kwargs={"pk": world.section_b1.pk}))
    assert other_body.status_code == 404
    assert "SECRET-B" not in other_body.content.decode()


def test_an_unknown_import_job_is_a_404(office):
    assert office.get(reverse("core:import_job", kwargs={"pk": 987654})).status_code == 404
    assert office.get(reverse("core:import_new", kwargs={"kind": "nothing"})).status_code == 404


def test_the_org_detail_lists_the_units_below(office, world):
    response = office.get(reverse("core:orgunit_detail", kwargs={"pk": world.dept_a1.pk}))

    assert response.status_code == 200
    assert [u.code for u in response.context["children"]] == ["06001"]
    assert "地域福祉課" in response.content.decode()
    assert OrgUnit.objects.filter(parent=world.dept_a1).count() == 1
