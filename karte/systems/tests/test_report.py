"""`karte report systems`: the portfolio figures of the demo prefecture, as text and as JSON."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from karte.core.demo import load_demo
from karte.core.models import OrgUnit
from karte.systems.models import PortfolioSettings


def run(*args) -> str:
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db):
    load_demo()


def test_the_demo_report_as_json_gives_the_sample_figures(demo):
    figures = json.loads(run("systems", "--fy", "2022", "--json"))

    # The karte sheet's 30 systems, and 5 more that only the demo's security survey lists.
    assert figures["systems"] == 35
    assert figures["locked_in"] == 5
    assert figures["common_platform"] == 7
    assert figures["lock_in_threshold_years"] == 10
    assert figures["fiscal_year"] == 2022
    assert figures["body"] == "270008"
    assert sum(figures["by_department"].values()) == 35
    assert figures["by_department"]["健康医療部"] == 7


def test_the_json_keeps_japanese_readable(demo):
    assert "健康医療部" in run("systems", "--fy", "2022", "--json", "--body", "270008")


def test_the_text_report_names_the_year_in_the_japanese_era(demo):
    output = run("systems", "--fy", "R4")

    assert "令和4年度" in output
    assert "システム数: 35" in output
    assert "同一事業者による運用保守10年以上: 5" in output
    assert "共通プラットフォーム: 7" in output


def test_lock_in_follows_the_bodys_threshold_and_the_year(demo):
    PortfolioSettings.objects.create(body=OrgUnit.objects.get(code="270008"), lock_in_threshold_years=15)

    assert json.loads(run("systems", "--fy", "2022", "--json"))["locked_in"] == 2
    # S0024, maintained since H23 (FY2011), completes its 15th year in FY2026, not before.
    assert json.loads(run("systems", "--fy", "2025", "--json"))["locked_in"] == 4
    assert json.loads(run("systems", "--fy", "2026", "--json"))["locked_in"] == 5


def test_the_report_writes_nothing(demo):
    run("systems", "--fy", "2022")

    assert PortfolioSettings.objects.count() == 0


def test_an_unknown_report_is_refused_in_japanese(db):
    with pytest.raises(CommandError, match="報告の種類「nothing」はありません"):
        run("nothing")


def test_an_unknown_body_is_refused_in_japanese(demo):
    with pytest.raises(CommandError, match="団体コード「999999」の団体はありません"):
        run("systems", "--body", "999999")


def test_several_bodies_need_body(world):
    with pytest.raises(CommandError, match="--body"):
        run("systems")

    assert json.loads(run("systems", "--body", "271004", "--json"))["systems"] == 0


def test_a_whole_prefecture_in_the_sample_shape_gives_the_seeds_240_and_39(db, tmp_path):
    """The seeds: about 240 systems, 39 of them kept by one vendor for ten years or more (R4).

    The sheet copies the sample's rows and shapes (title, note, header; years written H24, 平成24年度,
    R3 or as numbers; costs as text) up to 240 systems, 39 of them maintained since FY2012 or earlier.
    """
    import openpyxl

    from karte.core.demo import DEMO_DIR
    from karte.core.importers import OrganisationImporter
    from karte.core.importing.base import apply_plan, build_plan
    from karte.systems.importers import SystemsImporter

    organisation = OrganisationImporter(None)
    apply_plan(organisation, build_plan(organisation, DEMO_DIR / "organisation.xlsx"))
    sample = openpyxl.load_workbook(DEMO_DIR / "systems_karte_R4.xlsx").active
    head = [list(r) for r in sample.iter_rows(min_row=1, max_row=3, values_only=True)]
    rows = [list(r) for r in sample.iter_rows(min_row=4, values_only=True) if r[0]]
    old_forms = ["H24", "平成23年度", 2010, "H18"]
    new_forms = ["R3", "令和2年度", 2019, "H30"]
    book = openpyxl.Workbook()
    for line in head:
        book.active.append(line)
    for n in range(240):
        row = list(rows[n % len(rows)])
        row[0] = f"F{n:04d}"
        row[5] = old_forms[n % 4] if n < 39 else new_forms[n % 4]
        row[10] = f"{1000 + n:,}"
        book.active.append(row)
    path = tmp_path / "prefecture.xlsx"
    book.save(path)
    importer = SystemsImporter(None, fiscal_year=2022)
    plan = build_plan(importer, path)
    assert plan.errors == []
    apply_plan(importer, plan)

    figures = json.loads(run("systems", "--fy", "2022", "--json"))

    assert figures["systems"] == 240
    assert figures["locked_in"] == 39
