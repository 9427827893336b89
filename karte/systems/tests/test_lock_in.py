"""Vendor lock-in: maintenance runs derived from contracts, and how long one vendor has held a system."""

from __future__ import annotations

import pytest

from karte.systems.choices import ContractKind, ProcurementMethod
from karte.systems.models import Contract, MaintenanceRun, System
from karte.systems.selectors import lock_in_at, locked_in_ids, portfolio_figures, sole_source_shares
from karte.systems.services import (
    delete_contract,
    find_or_create_vendor,
    maintenance_runs,
    rebuild_maintenance_runs,
    save_contract,
)

A, B = 1, 2


def runs(*contracts: tuple[int, int, int | None]) -> list[tuple[int, int, int | None]]:
    """Return maintenance_runs of (vendor, from, to) contracts of one system, without the system id."""
    objs = [Contract(system_id=7, vendor_id=v, fy_from=a, fy_to=b) for v, a, b in contracts]
    return [(v, a, b) for _system, v, a, b in maintenance_runs(objs)]


# --- runs from contracts --------------------------------------------------------------------------
def test_adjacent_contracts_of_one_vendor_are_one_run():
    assert runs((A, 2012, 2014), (A, 2015, 2017), (A, 2018, 2020)) == [(A, 2012, 2020)]


def test_overlapping_contracts_of_one_vendor_are_one_run_whatever_their_order():
    assert runs((A, 2015, 2019), (A, 2012, 2016)) == [(A, 2012, 2019)]


def test_a_gap_of_a_year_breaks_the_run():
    assert runs((A, 2012, 2014), (A, 2016, 2018)) == [(A, 2012, 2014), (A, 2016, 2018)]


def test_another_vendor_restarts_the_run_and_ends_the_previous_one_the_year_before():
    assert runs((A, 2012, None), (B, 2016, None)) == [(A, 2012, 2015), (B, 2016, None)]


def test_the_same_vendor_after_another_starts_a_new_run():
    assert runs((A, 2012, 2014), (B, 2015, 2017), (A, 2018, None)) == [
        (A, 2012, 2014),
        (B, 2015, 2017),
        (A, 2018, None),
    ]


def test_an_ongoing_contract_keeps_the_run_open_and_later_contracts_join_it():
    assert runs((A, 2012, None), (A, 2016, 2020)) == [(A, 2012, None)]
    assert runs((A, 2012, 2015), (A, 2016, None)) == [(A, 2012, None)]


def test_no_contracts_no_runs():
    assert runs() == []


# --- runs kept in the database --------------------------------------------------------------------
@pytest.fixture
def karte(world):
    """A system of 福祉部 and two vendors of body A."""
    system = System.objects.create(unit=world.section_a1, code="S1", name="台帳システム")
    vendor_a = find_or_create_vendor(world.body_a.pk, "株式会社近畿情報システム")
    vendor_b = find_or_create_vendor(world.body_a.pk, "なにわテクノ株式会社")
    return system, vendor_a, vendor_b


def maintain(system, vendor, fy_from, fy_to=None, **fields) -> Contract:
    contract = Contract(
        system=system, vendor=vendor, kind=ContractKind.MAINTENANCE, fy_from=fy_from, fy_to=fy_to, **fields
    )
    return save_contract(contract)


def stored_runs(system) -> list[tuple[str, int, int | None]]:
    rows = MaintenanceRun.objects.filter(system=system).order_by("fy_from")
    return [(r.vendor.name, r.fy_from, r.fy_to) for r in rows]


def test_saving_contracts_keeps_the_runs_right(karte):
    system, vendor_a, vendor_b = karte

    maintain(system, vendor_a, 2012, 2016)
    maintain(system, vendor_a, 2017)
    assert stored_runs(system) == [("株式会社近畿情報システム", 2012, None)]

    maintain(system, vendor_b, 2021)
    assert stored_runs(system) == [
        ("株式会社近畿情報システム", 2012, 2020),
        ("なにわテクノ株式会社", 2021, None),
    ]


def test_only_maintenance_contracts_make_runs(karte):
    system, vendor_a, vendor_b = karte
    maintain(system, vendor_a, 2012)
    save_contract(Contract(system=system, vendor=vendor_b, kind=ContractKind.LEASE, fy_from=2015))

    assert stored_runs(system) == [("株式会社近畿情報システム", 2012, None)]


def test_deleting_a_contract_rebuilds_the_runs(karte):
    system, vendor_a, _vendor_b = karte
    maintain(system, vendor_a, 2012, 2014)
    bridge = maintain(system, vendor_a, 2015, 2017)
    maintain(system, vendor_a, 2018)

    delete_contract(bridge)

    assert stored_runs(system) == [
        ("株式会社近畿情報システム", 2012, 2014),
        ("株式会社近畿情報システム", 2018, None),
    ]


def test_rebuilding_replaces_the_runs_of_those_systems_only(karte, world):
    system, vendor_a, _vendor_b = karte
    other = System.objects.create(unit=world.section_a2, code="S2", name="健康管理システム")
    maintain(system, vendor_a, 2012)
    maintain(other, vendor_a, 2010)
    Contract.objects.filter(system=system).update(fy_from=2014)  # behind the service's back

    rebuild_maintenance_runs([system.pk])

    assert stored_runs(system) == [("株式会社近畿情報システム", 2014, None)]
    assert stored_runs(other) == [("株式会社近畿情報システム", 2010, None)]


# --- lock-in at a fiscal year ---------------------------------------------------------------------
def test_lock_in_counts_completed_years(karte):
    system, vendor_a, _vendor_b = karte
    maintain(system, vendor_a, 2012)
    systems = System.objects.all()

    assert lock_in_at(systems, 2012)[system.pk].years == 0
    assert lock_in_at(systems, 2022)[system.pk].years == 10
    assert lock_in_at(systems, 2022)[system.pk].vendor_name == "株式会社近畿情報システム"
    assert lock_in_at(systems, 2011) == {}


def test_lock_in_restarts_with_a_new_vendor_and_is_kept_for_earlier_years(karte):
    system, vendor_a, vendor_b = karte
    maintain(system, vendor_a, 2010)
    maintain(system, vendor_b, 2020)
    systems = System.objects.all()

    assert lock_in_at(systems, 2019)[system.pk].years == 9
    assert (lock_in_at(systems, 2022)[system.pk].years, lock_in_at(systems, 2022)[system.pk].vendor_id) == (
        2,
        vendor_b.pk,
    )


def test_a_gap_in_maintenance_starts_the_count_again(karte):
    system, vendor_a, _vendor_b = karte
    maintain(system, vendor_a, 2008, 2015)
    maintain(system, vendor_a, 2017)
    systems = System.objects.all()

    assert lock_in_at(systems, 2016) == {}
    assert lock_in_at(systems, 2022)[system.pk].years == 5


def test_an_ended_run_is_no_lock_in_after_its_end(karte):
    system, vendor_a, _vendor_b = karte
    maintain(system, vendor_a, 2005, 2018)

    assert lock_in_at(System.objects.all(), 2018)[system.pk].years == 13
    assert lock_in_at(System.objects.all(), 2019) == {}


def test_exactly_the_threshold_is_locked_in_and_a_year_less_is_not(karte, world):
    system, vendor_a, _vendor_b = karte
    younger = System.objects.create(unit=world.section_a1, code="S2", name="予約システム")
    maintain(system, vendor_a, 2012)
    maintain(younger, vendor_a, 2013)
    systems = System.objects.all()

    locked = set(systems.filter(pk__in=locked_in_ids(systems, 2022, 10)).values_list("code", flat=True))

    assert locked == {"S1"}
    assert portfolio_figures(world.users["office_a"], 2022, 10)["locked_in"] == 1
    assert portfolio_figures(world.users["office_a"], 2023, 10)["locked_in"] == 2


def test_lock_in_is_counted_only_over_the_systems_asked_about(karte, world):
    system, vendor_a, _vendor_b = karte
    maintain(system, vendor_a, 2000)

    assert portfolio_figures(world.users["editor_a2"], 2022, 10)["locked_in"] == 0
    assert portfolio_figures(world.users["editor_a1"], 2022, 10)["locked_in"] == 1


def test_sole_source_shares_count_every_contract_of_a_system(karte):
    system, vendor_a, vendor_b = karte
    maintain(system, vendor_a, 2012, 2014, procurement_method=ProcurementMethod.OPEN_TENDER)
    maintain(system, vendor_a, 2015, 2017, procurement_method=ProcurementMethod.SOLE_SOURCE)
    maintain(system, vendor_a, 2018, procurement_method=ProcurementMethod.SOLE_SOURCE)
    save_contract(Contract(system=system, vendor=vendor_b, kind=ContractKind.LEASE, fy_from=2018))

    assert sole_source_shares([system.pk]) == {system.pk: (2, 4)}
