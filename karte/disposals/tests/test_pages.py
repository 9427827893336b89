"""The register's pages as each role meets them: scoping on list, export, detail and download; forged
posts; filters; the karte section of a system."""

from __future__ import annotations

import datetime

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from karte.disposals.models import StorageDisposal
from karte.disposals.tests.helpers import days_ago, form_data, make_disposal, pdf_upload
from karte.systems.models import System

LIST = reverse("disposals:storagedisposal_list")
ADD = reverse("disposals:storagedisposal_add")


def url(name: str, disposal) -> str:
    return reverse(f"disposals:{name}", kwargs={"pk": disposal.pk})


@pytest.fixture
def records(world, private_dir):
    made = {}
    for unit, tag in ((world.section_a1, "A1"), (world.section_a2, "A2"), (world.section_b1, "B1")):
        disposal = make_disposal(unit, f"廃棄PC-{tag}", asset_number=f"ASSET-{tag}", disposed_on=days_ago(10))
        disposal.certificate.save("attachment.pdf", pdf_upload())
        disposal.certificate_name = f"証明書-{tag}.pdf"
        disposal.save()
        made[tag] = disposal
    return made


def snapshot(disposal) -> tuple:
    fresh = StorageDisposal.objects.get(pk=disposal.pk)
    return model_to_dict(fresh), fresh.certificate.name, fresh.certificate_name, fresh.history.count()


# --- scoping ----------------------------------------------------------------------------------------
def test_a_department_lists_and_exports_only_its_own_disposals(client_for, world, records):
    client = client_for(world.users["editor_a1"])
    for suffix in ("", "?export=csv"):
        body = client.get(LIST + suffix).content.decode("utf-8-sig")
        assert "廃棄PC-A1" in body, suffix
        assert "廃棄PC-A2" not in body, suffix
        assert "廃棄PC-B1" not in body, suffix


def test_the_office_lists_its_whole_body_and_not_the_other(client_for, world, records):
    body = client_for(world.users["office_a"]).get(LIST + "?export=csv").content.decode("utf-8-sig")
    assert "廃棄PC-A1" in body and "廃棄PC-A2" in body
    assert "廃棄PC-B1" not in body


@pytest.mark.parametrize(
    "name", ["storagedisposal_detail", "certificate_download", "storagedisposal_history"]
)
def test_another_departments_disposal_is_not_found(client_for, world, records, name):
    client = client_for(world.users["editor_a1"])
    assert client.get(url(name, records["A1"])).status_code == 200
    assert client.get(url(name, records["A2"])).status_code == 404
    assert client.get(url(name, records["B1"])).status_code == 404


def test_the_auditor_downloads_any_certificate_of_the_body(client_for, world, records):
    client = client_for(world.users["auditor_a"])
    response = client.get(url("certificate_download", records["A2"]))
    assert response.status_code == 200
    assert client.get(url("certificate_download", records["B1"])).status_code == 404


def test_the_detail_links_the_certificate_only_when_there_is_one(client_for, world, records):
    client = client_for(world.users["viewer_a1"])
    html = client.get(records["A1"].get_absolute_url()).content.decode()
    assert url("certificate_download", records["A1"]) in html
    assert "証明書-A1.pdf" in html
    missing = make_disposal(world.section_a1, "証明書待ちPC", disposed_on=days_ago(3))
    html = client.get(missing.get_absolute_url()).content.decode()
    assert url("certificate_download", missing) not in html
    assert client.get(url("certificate_download", missing)).status_code == 404


def test_a_viewer_gets_no_edit_button_and_cannot_add(client_for, world, records):
    client = client_for(world.users["viewer_a1"])
    html = client.get(records["A1"].get_absolute_url()).content.decode()
    assert url("storagedisposal_edit", records["A1"]) not in html
    assert client.get(ADD).status_code == 403


# --- forged posts -----------------------------------------------------------------------------------
def test_forged_edits_of_another_departments_disposal_change_nothing(client_for, world, records):
    client = client_for(world.users["editor_a1"])
    target = records["A2"]
    before = snapshot(target)
    data = {**form_data(target, description="FORGED"), "certificate": pdf_upload("forged.pdf")}
    assert client.post(url("storagedisposal_edit", target), data).status_code == 404
    assert client.post(url("storagedisposal_delete", target)).status_code == 404
    assert snapshot(target) == before


def test_a_viewer_cannot_add_or_change(client_for, world, records):
    client = client_for(world.users["viewer_a1"])
    own = records["A1"]
    before = snapshot(own)
    count = StorageDisposal.objects.count()
    assert (
        client.post(url("storagedisposal_edit", own), form_data(own, description="FORGED")).status_code == 403
    )
    assert client.post(ADD, form_data(own, description="FORGED")).status_code == 403
    assert snapshot(own) == before
    assert StorageDisposal.objects.count() == count


def test_moving_a_disposal_to_another_department_is_refused(client_for, world, records):
    own = records["A1"]
    before = snapshot(own)
    response = client_for(world.users["editor_a1"]).post(
        url("storagedisposal_edit", own), form_data(own, unit=world.section_a2.pk)
    )
    assert response.status_code == 400
    assert snapshot(own) == before


def test_a_system_outside_the_users_scope_cannot_be_linked(client_for, world, records):
    other = System.objects.create(unit=world.section_a2, code="S-A2", name="健康医療システム")
    foreign = System.objects.create(unit=world.section_b1, code="S-B1", name="他団体システム")
    client = client_for(world.users["editor_a1"])
    own = records["A1"]
    before = snapshot(own)
    for system in (other, foreign):
        response = client.post(url("storagedisposal_edit", own), form_data(own, system=system.pk))
        assert response.status_code == 400
    assert snapshot(own) == before


def test_a_disposal_added_by_a_department_is_its_own(client_for, world, private_dir):
    client = client_for(world.users["editor_a1"])
    data = {
        "unit": world.section_a1.pk,
        "device_kind": "usb_memory",
        "description": "USBメモリ 8GB",
        "quantity": "3",
        "planned_on": "2030-04-01",
    }
    response = client.post(ADD, data)
    assert response.status_code == 302
    added = StorageDisposal.objects.get(description="USBメモリ 8GB")
    assert added.unit == world.section_a1 and added.quantity == 3
    assert added.history.get().history_user == world.users["editor_a1"]


def test_a_disposal_without_any_date_is_refused(client_for, world, private_dir):
    data = {"unit": world.section_a1.pk, "device_kind": "pc", "description": "日付なし", "quantity": "1"}
    response = client_for(world.users["editor_a1"]).post(ADD, data)
    assert response.status_code == 400
    assert not StorageDisposal.objects.exists()


# --- filters ----------------------------------------------------------------------------------------
def test_the_list_filters_by_fiscal_year_of_disposal_and_device_kind(client_for, world, private_dir):
    make_disposal(world.section_a1, "R5年度末のPC", disposed_on=datetime.date(2024, 3, 31))
    make_disposal(
        world.section_a1, "R6年度初めのHDD", device_kind="disk", disposed_on=datetime.date(2024, 4, 1)
    )
    client = client_for(world.users["office_a"])
    html = client.get(LIST, {"fiscal_year": "2024"}).content.decode()
    assert "R6年度初めのHDD" in html and "R5年度末のPC" not in html
    html = client.get(LIST, {"fiscal_year": "2023"}).content.decode()
    assert "R5年度末のPC" in html and "R6年度初めのHDD" not in html
    html = client.get(LIST, {"device_kind": "disk"}).content.decode()
    assert "R6年度初めのHDD" in html and "R5年度末のPC" not in html


def test_the_list_filters_by_department(client_for, world, records):
    html = client_for(world.users["office_a"]).get(LIST, {"department": world.dept_a2.pk}).content.decode()
    assert "廃棄PC-A2" in html and "廃棄PC-A1" not in html


# --- the system karte --------------------------------------------------------------------------------
def test_a_systems_karte_lists_its_disposals_as_far_as_the_user_may_see(client_for, world, private_dir):
    system = System.objects.create(unit=world.section_a1, code="S-1", name="福祉システム")
    make_disposal(
        world.section_a1, "福祉システムのサーバ", device_kind="server", system=system, disposed_on=days_ago(1)
    )
    page = reverse("systems:system_detail", kwargs={"pk": system.pk})
    assert "福祉システムのサーバ" in client_for(world.users["viewer_a1"]).get(page).content.decode()
