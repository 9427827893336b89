"""One vendor record per company: the office renames vendors and merges duplicates, and lock-in follows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from karte.core import audit
from karte.systems import services
from karte.systems.choices import ContractKind
from karte.systems.models import Contract, MaintenanceRun, System, Vendor
from karte.systems.selectors import lock_in_at


def maintain(system: System, vendor: Vendor, fy_from: int, fy_to: int | None = None) -> Contract:
    return services.save_contract(
        Contract(system=system, vendor=vendor, kind=ContractKind.MAINTENANCE, fy_from=fy_from, fy_to=fy_to)
    )


def years_at(system: System, fiscal_year: int) -> int:
    return lock_in_at(System.objects.filter(pk=system.pk), fiscal_year)[system.pk].years


@pytest.fixture
def typo(world):
    """A system maintained by ミナトIT since FY2010, entered as ミナトアイティー from FY2016 on."""
    system = System.objects.create(unit=world.section_a1, code="MINATO", name="港湾管理システム")
    real = services.find_or_create_vendor(world.body_a.pk, "ミナトIT")
    misspelt = services.find_or_create_vendor(world.body_a.pk, "ミナトアイティー")
    maintain(system, real, 2010, 2015)
    maintain(system, misspelt, 2016)
    return system, real, misspelt


def merge(client, keep: Vendor, duplicate: Vendor):
    return client.post(reverse("systems:vendor_merge", args=[keep.pk]), {"duplicate": duplicate.pk})


def test_merging_a_misspelt_vendor_moves_its_contracts_and_joins_the_lock_in_run(client, world, typo):
    system, real, misspelt = typo
    # Another vendor name restarts the run: six years at FY2022, not twelve.
    assert years_at(system, 2022) == 6
    client.force_login(world.users["office_a"])

    response = merge(client, real, misspelt)

    assert response.status_code == 302
    assert response.url == reverse("systems:vendor_detail", args=[real.pk])
    assert not Vendor.objects.filter(pk=misspelt.pk).exists()
    assert set(Contract.objects.filter(system=system).values_list("vendor_id", flat=True)) == {real.pk}
    assert list(
        MaintenanceRun.objects.filter(system=system).values_list("vendor_id", "fy_from", "fy_to")
    ) == [(real.pk, 2010, None)]
    assert years_at(system, 2022) == 12


def test_the_merge_is_in_the_history_under_the_user_who_made_it(client, world, typo):
    system, real, misspelt = typo
    office = world.users["office_a"]
    client.force_login(office)

    merge(client, real, misspelt)

    moved = Contract.objects.get(system=system, fy_from=2016)
    latest = moved.history.first()
    assert (latest.vendor_id, latest.history_user) == (real.pk, office)
    deleted = Vendor.history.filter(id=misspelt.pk, history_type="-").get()
    assert deleted.history_user == office
    # The contract's history still reads, though its earlier rows name the deleted duplicate.
    history = client.get(reverse("systems:contract_history", args=[moved.pk]))
    assert history.status_code == 200
    assert office.username in history.content.decode()
    trail = audit.audit_trail(office, audit.TrailFilter(), limit=20)
    assert any(e.action == "-" and e.record == "ミナトアイティー" and e.user == str(office) for e in trail)


def test_the_vendor_page_offers_the_office_a_merge_of_the_bodys_other_vendors(client, world, typo):
    _system, real, misspelt = typo
    other_body = services.find_or_create_vendor(world.body_b.pk, "ミナトアイティー")
    client.force_login(world.users["office_a"])

    response = client.get(reverse("systems:vendor_detail", args=[real.pk]))

    assert list(response.context["merge_form"].fields["duplicate"].queryset) == [misspelt]
    assert other_body not in response.context["merge_form"].fields["duplicate"].queryset
    assert reverse("systems:vendor_merge", args=[real.pk]) in response.content.decode()
    client.force_login(world.users["editor_a1"])
    response = client.get(reverse("systems:vendor_detail", args=[real.pk]))
    assert "merge_form" not in response.context
    assert reverse("systems:vendor_merge", args=[real.pk]) not in response.content.decode()


def test_an_editor_may_not_merge(client, world, typo):
    _system, real, misspelt = typo
    client.force_login(world.users["editor_a1"])

    assert merge(client, real, misspelt).status_code == 403
    assert Vendor.objects.filter(pk=misspelt.pk).exists()


def test_a_merge_across_bodies_is_refused(client, world, typo):
    _system, real, _misspelt = typo
    elsewhere = System.objects.create(unit=world.section_b1, code="B-1", name="B市システム")
    vendor_b = services.find_or_create_vendor(world.body_b.pk, "ミナト情報")
    maintain(elsewhere, vendor_b, 2012)

    client.force_login(world.users["superuser"])
    response = merge(client, real, vendor_b)
    assert response.status_code == 302
    assert Vendor.objects.filter(pk=vendor_b.pk).exists()
    assert elsewhere.contracts.get().vendor_id == vendor_b.pk
    client.force_login(world.users["office_a"])
    assert merge(client, vendor_b, real).status_code == 404
    with pytest.raises(services.VendorClash):
        services.merge_vendors(real, vendor_b, user=world.users["superuser"])
    assert Vendor.objects.filter(pk=vendor_b.pk).exists()


def test_a_vendor_is_not_merged_into_itself(world, typo):
    _system, real, _misspelt = typo

    with pytest.raises(services.VendorClash):
        services.merge_vendors(real, real, user=world.users["office_a"])
    assert Vendor.objects.filter(pk=real.pk).exists()


def test_renaming_keeps_the_vendor_its_contracts_and_its_identity(client, world, typo):
    system, real, _misspelt = typo
    client.force_login(world.users["office_a"])

    response = client.post(reverse("systems:vendor_edit", args=[real.pk]), {"name": "株式会社ミナト情報技術"})

    assert response.status_code == 302
    real.refresh_from_db()
    assert (real.name, real.normalized_name) == ("株式会社ミナト情報技術", "ミナト情報技術")
    assert Contract.objects.filter(vendor=real).count() == 1
    # A sheet that spells the new name another way still finds the same vendor.
    assert services.find_or_create_vendor(world.body_a.pk, "ミナト情報技術 (株)").pk == real.pk
    assert real.history.first().history_user == world.users["office_a"]


def test_renaming_into_another_vendors_name_asks_for_a_merge(client, world, typo):
    _system, real, misspelt = typo
    client.force_login(world.users["office_a"])

    response = client.post(reverse("systems:vendor_edit", args=[misspelt.pk]), {"name": "ﾐﾅﾄIT 株式会社"})

    assert response.status_code == 400
    assert "ミナトIT" in response.content.decode()
    misspelt.refresh_from_db()
    assert misspelt.name == "ミナトアイティー"


def test_only_the_office_renames_vendors(client, world, typo):
    _system, real, _misspelt = typo
    client.force_login(world.users["editor_a1"])

    assert client.get(reverse("systems:vendor_edit", args=[real.pk])).status_code == 403
    assert client.post(reverse("systems:vendor_edit", args=[real.pk]), {"name": "改名"}).status_code == 403
    real.refresh_from_db()
    assert real.name == "ミナトIT"
