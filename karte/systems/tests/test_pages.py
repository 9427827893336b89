"""The system karte's pages as users meet them: the list and its filters, the karte, lock-in, renewals,
the common platform, vendors and the portfolio figures."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from karte.systems import services
from karte.systems.choices import ContractKind, Hosting, NetworkTier, ProcurementMethod, StandardBusiness
from karte.systems.filters import current_fiscal_year
from karte.systems.models import Contract, Cost, MaintenanceRun, System, Vendor, WorkingGroup

NOW = current_fiscal_year()


def make_system(unit, code: str, name: str | None = None, **fields) -> System:
    return System.objects.create(unit=unit, code=code, name=name or f"{code}システム", **fields)


def contract(
    system: System,
    vendor_name: str,
    fy_from: int,
    fy_to: int | None = None,
    *,
    kind: str = ContractKind.MAINTENANCE,
    method: str = "",
    amount: int | None = None,
) -> Contract:
    vendor = services.find_or_create_vendor(system.body_id, vendor_name)
    return services.save_contract(
        Contract(
            system=system,
            vendor=vendor,
            kind=kind,
            fy_from=fy_from,
            fy_to=fy_to,
            procurement_method=method,
            amount_thousand_yen=amount,
        )
    )


def listed_codes(response) -> list[str]:
    assert response.status_code == 200
    return [row[0].text for row in response.context["table"].rows]


def chart_json(html: str, chart_id: str) -> dict:
    match = re.search(rf'<script id="{chart_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, chart_id
    return json.loads(match.group(1))


@pytest.fixture
def office(client, world):
    client.force_login(world.users["office_a"])
    return client


# --- the list ---------------------------------------------------------------------------------------
@pytest.fixture
def portfolio(world):
    a1 = make_system(
        world.section_a1,
        "A1-PF",
        hosting=Hosting.COMMON_PLATFORM,
        network_tier=NetworkTier.LGWAN,
        standard_business=StandardBusiness.RESIDENT_REGISTRY,
        next_renewal_fy=NOW + 2,
    )
    a1_cloud = make_system(
        world.section_a1, "A1-CL", hosting=Hosting.CLOUD, network_tier=NetworkTier.INTERNET
    )
    a2 = make_system(world.section_a2, "A2-DC", hosting=Hosting.DATA_CENTRE, next_renewal_fy=NOW)
    b1 = make_system(world.section_b1, "B1-SECRET", name="SECRET-B システム")
    contract(a1, "株式会社長年保守", NOW - 12)
    contract(a2, "新規ベンダー株式会社", NOW - 2)
    contract(b1, "株式会社長年保守", NOW - 20)
    return {"a1": a1, "a1_cloud": a1_cloud, "a2": a2, "b1": b1}


def system_list(client, **params):
    return client.get(reverse("systems:system_list"), params)


def test_the_list_shows_the_own_body_with_vendor_lock_in_and_renewal(office, portfolio):
    response = system_list(office)

    assert listed_codes(response) == ["A1-CL", "A1-PF", "A2-DC"]
    row = next(r for r in response.context["table"].rows if r[0].text == "A1-PF")
    texts = [cell.text for cell in row]
    assert "株式会社長年保守" in texts
    assert "12" in texts
    assert texts[8].endswith("年度") and texts[8].startswith("令和")
    assert "SECRET-B" not in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "cl"}, ["A1-CL"]),
        ({"hosting": Hosting.COMMON_PLATFORM}, ["A1-PF"]),
        ({"network_tier": NetworkTier.INTERNET}, ["A1-CL"]),
        ({"locked_in": "yes"}, ["A1-PF"]),
        ({"locked_in": "no"}, ["A1-CL", "A2-DC"]),
        ({"renewal_fy": str(NOW)}, ["A2-DC"]),
        ({"standardisation": "any"}, ["A1-PF"]),
        ({"standardisation": "none"}, ["A1-CL", "A2-DC"]),
        ({"standardisation": StandardBusiness.RESIDENT_REGISTRY}, ["A1-PF"]),
        ({"standardisation": StandardBusiness.FAMILY_REGISTER}, []),
    ],
)
def test_filters_narrow_the_system_list(office, portfolio, params, expected):
    assert listed_codes(system_list(office, **params)) == expected


def test_filtering_by_department_and_vendor(office, world, portfolio):
    assert listed_codes(system_list(office, department=world.dept_a2.pk)) == ["A2-DC"]
    vendor = Vendor.objects.get(body=world.body_a, name="株式会社長年保守")
    assert listed_codes(system_list(office, vendor=vendor.pk)) == ["A1-PF"]


def test_the_kartes_downloads_carry_the_list_filters(office, portfolio):
    html = system_list(office, hosting=Hosting.CLOUD).content.decode()

    assert f'href="{reverse("systems:kartes_xlsx")}?hosting=cloud"' in html
    assert f'href="{reverse("systems:kartes_pdf")}?hosting=cloud"' in html


def test_the_list_costs_the_same_queries_for_60_systems_as_for_5(
    office, world, django_assert_max_num_queries
):
    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert system_list(office).status_code == 200
        return len(queries)

    for n in range(5):
        contract(make_system(world.section_a1, f"S{n:03d}"), f"ベンダー{n}", 2010)
    few = list_queries()
    for n in range(5, 60):
        contract(make_system(world.section_a1, f"S{n:03d}"), f"ベンダー{n}", 2010)

    with django_assert_max_num_queries(20):
        response = system_list(office)
    assert len(response.context["table"].rows) == 50
    assert list_queries() == few


# --- editing ----------------------------------------------------------------------------------------
def system_data(system: System, **changes) -> dict:
    data = {
        "unit": system.unit_id,
        "code": system.code,
        "name": system.name,
        "status": system.status,
        "go_live_fy": "",
        "next_renewal_fy": "",
    }
    return {**data, **changes}


def test_an_editor_sees_and_edits_only_own_department_systems(client, world, portfolio):
    client.force_login(world.users["editor_a1"])
    own, other = portfolio["a1"], portfolio["a2"]

    assert listed_codes(system_list(client)) == ["A1-CL", "A1-PF"]
    assert client.get(reverse("systems:system_edit", args=[other.pk])).status_code == 404

    forged = client.post(reverse("systems:system_edit", args=[other.pk]), system_data(other, name="FORGED"))
    assert forged.status_code == 404
    other.refresh_from_db()
    assert other.name != "FORGED"

    response = client.post(
        reverse("systems:system_edit", args=[own.pk]),
        system_data(own, name="住民記録システム改", next_renewal_fy="令和9年度"),
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert (own.name, own.next_renewal_fy) == ("住民記録システム改", 2027)


def test_an_editor_cannot_move_a_system_to_another_department(client, world, portfolio):
    client.force_login(world.users["editor_a1"])
    own = portfolio["a1"]

    response = client.post(
        reverse("systems:system_edit", args=[own.pk]), system_data(own, unit=world.section_a2.pk)
    )

    assert response.status_code == 400
    own.refresh_from_db()
    assert own.unit_id == world.section_a1.pk


def test_a_system_id_is_unique_in_its_body_only(client, world, portfolio):
    client.force_login(world.users["office_a"])
    clash = {"unit": world.section_a2.pk, "code": "A1-PF", "name": "重複", "status": "active"}
    response = client.post(reverse("systems:system_add"), clash)
    assert response.status_code == 400
    assert "code" in response.context["form"].errors

    client.force_login(world.users["office_b"])
    response = client.post(reverse("systems:system_add"), {**clash, "unit": world.section_b1.pk})
    assert response.status_code == 302
    assert System.objects.filter(code="A1-PF").count() == 2


def test_editing_a_system_writes_history_on_the_history_tab(client, world, portfolio):
    client.force_login(world.users["editor_a1"])
    system = portfolio["a1"]

    client.post(
        reverse("systems:system_edit", args=[system.pk]), system_data(system, name="履歴確認システム")
    )
    html = client.get(reverse("systems:system_history", args=[system.pk])).content.decode()

    assert "履歴確認システム" in html
    assert "editor_a1" in html


# --- the karte --------------------------------------------------------------------------------------
@pytest.fixture
def karte_system(world):
    group = WorkingGroup.objects.create(
        body=world.body_a, name="基盤移行WG", migration_date=datetime.date(2025, 3, 1)
    )
    system = make_system(
        world.section_a1,
        "KRT-01",
        "福祉総合システム",
        hosting=Hosting.COMMON_PLATFORM,
        issues="保守費が年々増加している",
        plan="令和8年度に再構築",
        working_group=group,
        go_live_fy=2012,
    )
    contract(system, "株式会社福祉ソフト", 2012, None, method=ProcurementMethod.SOLE_SOURCE, amount=12000)
    contract(
        system, "開発商事", 2011, 2011, kind=ContractKind.DEVELOPMENT, method=ProcurementMethod.OPEN_TENDER
    )
    Cost.objects.create(
        system=system, fiscal_year=2022, budget_thousand_yen=10000, settlement_thousand_yen=9500
    )
    Cost.objects.create(
        system=system, fiscal_year=2023, budget_thousand_yen=11000, settlement_thousand_yen=11200
    )
    return system


def test_the_karte_shows_contracts_costs_chart_and_issues(client, world, karte_system):
    client.force_login(world.users["viewer_a1"])

    response = client.get(reverse("systems:system_detail", args=[karte_system.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "株式会社福祉ソフト",
        "開発商事",
        "保守費が年々増加している",
        "令和8年度に再構築",
        "基盤移行WG",
    ):
        assert text in html
    assert "令和7年3月1日" in html  # the working group's migration date
    assert "平成24年度" in html  # go-live FY2012
    assert (response.context["sole_source"], response.context["contract_total"]) == (1, 2)
    chart = chart_json(html, "karte-cost-chart")
    assert chart["xAxis"]["data"] == ["令和4年度", "令和5年度"]
    assert [s["data"] for s in chart["series"]] == [[10000, 11000], [9500, 11200]]
    assert 'id="security"' in html
    assert reverse("systems:system_karte_xlsx", args=[karte_system.pk]) in html
    assert reverse("systems:system_karte_pdf", args=[karte_system.pk]) in html
    assert reverse("systems:system_history", args=[karte_system.pk]) in html
    # A viewer reads the karte but is not offered changes.
    assert reverse("systems:contract_add") not in html
    assert reverse("systems:system_edit", args=[karte_system.pk]) not in html


def test_the_karte_offers_changes_to_whoever_may_make_them(client, world, karte_system):
    client.force_login(world.users["editor_a1"])
    html = client.get(reverse("systems:system_detail", args=[karte_system.pk])).content.decode()

    assert f"{reverse('systems:contract_add')}?system={karte_system.pk}" in html
    assert f"{reverse('systems:cost_add')}?system={karte_system.pk}" in html
    first = karte_system.contracts.first()
    assert reverse("systems:contract_edit", args=[first.pk]) in html


def test_the_karte_costs_a_bounded_number_of_queries(client, world, django_assert_max_num_queries):
    client.force_login(world.users["editor_a1"])

    def karte_queries(system) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("systems:system_detail", args=[system.pk])).status_code == 200
        return len(queries)

    small = make_system(world.section_a1, "SMALL")
    contract(small, "一社", 2020)
    Cost.objects.create(system=small, fiscal_year=2020, budget_thousand_yen=1)
    big = make_system(world.section_a1, "BIG")
    for year in range(2000, 2040):
        contract(big, f"ベンダー{year % 7}", year, year, method=ProcurementMethod.SOLE_SOURCE, amount=year)
    for year in range(2015, 2025):
        Cost.objects.create(system=big, fiscal_year=year, budget_thousand_yen=year)
    karte_queries(small)  # the portfolio settings row is created on first use

    with django_assert_max_num_queries(20):
        client.get(reverse("systems:system_detail", args=[big.pk]))
    assert karte_queries(big) == karte_queries(small)


# --- contracts and costs ----------------------------------------------------------------------------
def test_adding_a_contract_finds_the_vendor_however_it_is_written(client, world, karte_system):
    client.force_login(world.users["editor_a1"])
    url = f"{reverse('systems:contract_add')}?system={karte_system.pk}"

    form = client.get(url).context["form"]
    assert form["system"].value() == karte_system.pk
    response = client.post(
        url,
        {
            "system": karte_system.pk,
            "kind": ContractKind.LICENCE,
            "vendor_name": "（株）福祉ソフト",
            "fy_from": "R6",
            "fy_to": "令和7年度",
            "amount_thousand_yen": "300",
        },
    )

    assert response.status_code == 302
    assert response.url == karte_system.get_absolute_url()
    added = karte_system.contracts.get(kind=ContractKind.LICENCE)
    assert added.vendor.name == "株式会社福祉ソフト"
    assert (added.fy_from, added.fy_to) == (2024, 2025)


def test_the_contract_form_offers_only_systems_the_user_may_change(client, world, karte_system, portfolio):
    client.force_login(world.users["editor_a1"])
    other = portfolio["a2"]

    choices = {
        c
        for c, _label in client.get(reverse("systems:contract_add")).context["form"].fields["system"].choices
    }
    assert other.pk not in {getattr(c, "value", c) for c in choices}

    response = client.post(
        f"{reverse('systems:contract_add')}?system={other.pk}",
        {"system": other.pk, "kind": ContractKind.MAINTENANCE, "vendor_name": "FORGED", "fy_from": "2020"},
    )
    assert response.status_code == 400
    assert not other.contracts.filter(vendor__name="FORGED").exists()


def test_a_contract_cannot_end_before_it_starts(client, world, karte_system):
    client.force_login(world.users["editor_a1"])
    data = {
        "system": karte_system.pk,
        "kind": "lease",
        "vendor_name": "リース社",
        "fy_from": "2024",
        "fy_to": "2022",
    }

    response = client.post(reverse("systems:contract_add"), data)

    assert response.status_code == 400
    assert "fy_to" in response.context["form"].errors


def test_editing_and_deleting_a_maintenance_contract_keeps_lock_in_right(client, world, karte_system):
    client.force_login(world.users["editor_a1"])
    maintenance = karte_system.contracts.get(kind=ContractKind.MAINTENANCE)

    response = client.post(
        reverse("systems:contract_edit", args=[maintenance.pk]),
        {
            "system": karte_system.pk,
            "kind": "maintenance",
            "vendor_name": "株式会社福祉ソフト",
            "fy_from": "2016",
        },
    )
    assert response.status_code == 302
    assert MaintenanceRun.objects.get(system=karte_system).fy_from == 2016

    response = client.post(reverse("systems:contract_delete", args=[maintenance.pk]))
    assert response.status_code == 302
    assert response.url == karte_system.get_absolute_url()
    assert not MaintenanceRun.objects.filter(system=karte_system).exists()


def test_a_year_has_one_cost_row(client, world, karte_system):
    client.force_login(world.users["editor_a1"])
    data = {"system": karte_system.pk, "fiscal_year": "令和4年度", "budget_thousand_yen": "1"}

    assert client.post(reverse("systems:cost_add"), data).status_code == 400
    response = client.post(reverse("systems:cost_add"), {**data, "fiscal_year": "2024"})
    assert response.status_code == 302
    assert karte_system.costs.filter(fiscal_year=2024).exists()


# --- lock-in, renewals, the common platform --------------------------------------------------------
@pytest.fixture
def held(world):
    since_2012 = make_system(world.section_a1, "SINCE-2012")
    since_2013 = make_system(world.section_a2, "SINCE-2013")
    since_2005 = make_system(world.section_a2, "SINCE-2005")
    contract(since_2012, "十年商事", 2012)
    contract(since_2013, "九年商事", 2013, 2023)
    contract(since_2005, "古参システム", 2005, 2015)
    contract(since_2005, "古参システム株式会社", 2016)  # the same company, written another way
    contract(make_system(world.section_b1, "SECRET-B-HELD"), "他団体", 2000)
    return since_2012, since_2013, since_2005


def lock_in_codes(client, **params) -> list[str]:
    response = client.get(reverse("systems:lock_in"), params)
    assert response.status_code == 200
    return [row[0].text for row in response.context["table"].rows]


def test_the_lock_in_list_shows_exactly_the_systems_at_or_over_the_threshold(office, held):
    assert lock_in_codes(office, fy="2022") == ["SINCE-2005", "SINCE-2012"]
    assert lock_in_codes(office, fy="令和4年度") == ["SINCE-2005", "SINCE-2012"]
    assert lock_in_codes(office, fy="2023") == ["SINCE-2005", "SINCE-2012", "SINCE-2013"]


def test_the_lock_in_list_shows_years_and_vendor(office, held):
    rows = office.get(reverse("systems:lock_in"), {"fy": "2022"}).context["table"].rows

    assert [cell.text for cell in rows[0]][3:5] == ["古参システム", "17"]
    assert [cell.text for cell in rows[1]][3:5] == ["十年商事", "10"]


def test_the_lock_in_threshold_is_the_office_setting(office, held):
    response = office.post(
        reverse("systems:settings"), {"lock_in_threshold_years": "9", "common_platform_end": "2025-09-30"}
    )
    assert response.status_code == 302

    assert lock_in_codes(office, fy="2022") == ["SINCE-2005", "SINCE-2012", "SINCE-2013"]


def test_an_editor_sees_lock_in_of_own_department_only(client, world, held):
    client.force_login(world.users["editor_a1"])

    assert lock_in_codes(client, fy="2022") == ["SINCE-2012"]


def test_the_renewals_page_groups_systems_by_fiscal_year(office, world):
    make_system(world.section_a1, "RENEW-NOW", next_renewal_fy=NOW)
    make_system(world.section_a2, "RENEW-LATER", next_renewal_fy=NOW + 2)
    make_system(world.section_a2, "RENEW-ALSO-LATER", next_renewal_fy=NOW + 2)
    make_system(world.section_a1, "RENEW-FAR", next_renewal_fy=NOW + 9)
    make_system(world.section_b1, "RENEW-SECRET-B", next_renewal_fy=NOW)

    response = office.get(reverse("systems:renewals"))

    years = response.context["years"]
    assert [y["fiscal_year"] for y in years] == list(range(NOW, NOW + 6))
    grouped = {y["fiscal_year"]: [row[0].text for row in y["table"].rows] for y in years}
    assert grouped[NOW] == ["RENEW-NOW"]
    assert grouped[NOW + 2] == ["RENEW-ALSO-LATER", "RENEW-LATER"]
    assert sum(len(codes) for codes in grouped.values()) == 3
    html = response.content.decode()
    assert chart_json(html, "renewals-per-year")["series"][0]["data"] == [1, 0, 2, 0, 0, 0]
    assert "RENEW-FAR" not in html and "SECRET-B" not in html


def test_the_common_platform_page_shows_its_end_and_where_each_system_must_move(office, world):
    group = WorkingGroup.objects.create(
        body=world.body_a, name="移行WG", migration_date=datetime.date(2025, 8, 1)
    )
    make_system(
        world.section_a1,
        "CP-DECIDED",
        hosting=Hosting.COMMON_PLATFORM,
        migration_destination="ガバメントクラウド",
        working_group=group,
    )
    make_system(world.section_a2, "CP-UNDECIDED", hosting=Hosting.COMMON_PLATFORM)
    make_system(world.section_a2, "IN-CLOUD", hosting=Hosting.CLOUD)

    response = office.get(reverse("systems:platform"))

    html = response.content.decode()
    assert "令和7年9月30日" in html
    assert "令和7年8月1日" in html
    assert [row[0].text for row in response.context["table"].rows] == ["CP-DECIDED", "CP-UNDECIDED"]
    assert [s.code for s in response.context["undecided"]] == ["CP-UNDECIDED"]
    assert "k-alert--error" in html
    assert "IN-CLOUD" not in html


# --- vendors and the portfolio ----------------------------------------------------------------------
def test_the_vendor_page_shows_every_system_and_year_the_user_may_see(client, world):
    a1 = make_system(world.section_a1, "V-A1")
    a2 = make_system(world.section_a2, "V-A2")
    contract(a1, "共通ベンダー", 2020, 2022)
    contract(a2, "共通ベンダー株式会社", 2021, 2021, kind=ContractKind.LEASE)
    vendor = Vendor.objects.get(body=world.body_a)

    client.force_login(world.users["office_a"])
    response = client.get(reverse("systems:vendor_detail", args=[vendor.pk]))
    table = response.context["year_table"]
    assert [str(c.label) for c in table.columns][1:] == ["令和2年度", "令和3年度", "令和4年度"]
    assert [row[0].text for row in table.rows] == [str(a1), str(a2)]
    assert [cell.text for cell in table.rows[0]][1:] == [str(ContractKind.MAINTENANCE.label)] * 3
    assert [cell.text for cell in table.rows[1]][1:] == ["—", str(ContractKind.LEASE.label), "—"]

    client.force_login(world.users["viewer_a1"])
    response = client.get(reverse("systems:vendor_detail", args=[vendor.pk]))
    assert [row[0].text for row in response.context["year_table"].rows] == [str(a1)]
    assert "V-A2" not in response.content.decode()


def test_the_vendor_list_counts_only_visible_systems(client, world):
    contract(make_system(world.section_a1, "VL-A1"), "数える商事", 2020)
    contract(make_system(world.section_a2, "VL-A2"), "数える商事", 2020)
    client.force_login(world.users["viewer_a1"])

    rows = client.get(reverse("systems:vendor_list")).context["table"].rows

    assert [(row[0].text, row[1].text) for row in rows] == [("数える商事", "1")]


def test_the_portfolio_page_counts_and_costs_by_department_and_year(office, world, held):
    Cost.objects.create(system=held[0], fiscal_year=2022, budget_thousand_yen=100, settlement_thousand_yen=90)
    Cost.objects.create(system=held[1], fiscal_year=2022, budget_thousand_yen=50, settlement_thousand_yen=60)
    Cost.objects.create(system=held[2], fiscal_year=2021, budget_thousand_yen=7)

    response = office.get(reverse("systems:portfolio"), {"fy": "2022"})

    figures = response.context["figures"]
    assert (figures["systems"], figures["locked_in"]) == (3, 2)
    departments = {
        row[0].text: [c.text for c in row[1:]] for row in response.context["department_table"].rows
    }
    assert departments == {"福祉部": ["1", "100", "90"], "健康医療部": ["2", "50", "60"]}
    years = [[c.text for c in row] for row in response.context["year_table"].rows]
    assert years == [["令和3年度", "7", "—"], ["令和4年度", "150", "150"]]
    html = response.content.decode()
    assert chart_json(html, "costs-by-year")["xAxis"]["data"] == ["令和3年度", "令和4年度"]
    assert "SECRET-B" not in html


def test_a_long_lock_in_list_comes_in_pages_longest_held_first(office, world, django_assert_max_num_queries):
    for n in range(60):
        contract(make_system(world.section_a1, f"HELD-{n:02d}"), f"事業者{n}", 2000 + n % 10)

    with django_assert_max_num_queries(20):
        first = office.get(reverse("systems:lock_in"), {"fy": "2022"})
    second_codes = lock_in_codes(office, fy="2022", page="2")

    first_codes = [row[0].text for row in first.context["table"].rows]
    assert first.context["count"] == 60
    assert len(first_codes) == 50 and len(second_codes) == 10
    assert first_codes[:6] == ["HELD-00", "HELD-10", "HELD-20", "HELD-30", "HELD-40", "HELD-50"]
    assert set(first_codes).isdisjoint(second_codes)


def test_the_dashboard_shows_the_portfolio_figures_of_the_body(office, world, held):
    page = office.get(reverse("core:dashboard")).content.decode()

    cards = re.findall(r'k-stat__value">(\d+)</span><span class="k-stat__label">([^<]+)<', page)
    figures = {label: int(value) for value, label in cards}
    assert figures["情報システム"] == 3  # SECRET-B-HELD belongs to another body
    assert figures["同一事業者による運用保守"] == 2  # SINCE-2013 ended its maintenance in FY2023
