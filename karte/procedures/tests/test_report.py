"""`karte report procedures`: the demo's survey rounds, as text and as JSON."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from karte.core.choices import RoundStatus
from karte.core.demo import DEMO_DIR, load_demo
from karte.core.importing.base import apply_plan, build_plan
from karte.core.models import SurveyRound
from karte.procedures.importers import ProceduresImporter
from karte.procedures.models import Procedure, ProcedureAnswer

EXPECTED = json.loads((DEMO_DIR / "expected-sample.json").read_text(encoding="utf-8"))
R2_ROUND, R4_ROUND = "令和2年度調査", "令和4年度調査"


def run(*args) -> str:
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


def report(*args) -> dict:
    return json.loads(run("procedures", *args, "--json"))


def subset(figures: dict, expected: dict) -> dict:
    return {key: figures[key] for key in expected}


@pytest.fixture
def demo(db):
    load_demo()


def test_the_demo_loads_both_surveys_as_closed_rounds_r4_after_r2(demo):
    r2 = SurveyRound.objects.get(kind="procedures", name=R2_ROUND)
    r4 = SurveyRound.objects.get(kind="procedures", name=R4_ROUND)

    assert (r2.fiscal_year, r2.status, r2.previous) == (2020, RoundStatus.CLOSED, None)
    assert (r4.fiscal_year, r4.status, r4.previous) == (2022, RoundStatus.CLOSED, r2)


def test_the_r4_report_as_json_gives_the_sample_figures_and_the_year_over_year(demo):
    figures = report("--round", R4_ROUND)

    assert subset(figures["kpis"], EXPECTED["procedures_R4"]) == EXPECTED["procedures_R4"]
    assert (figures["body"], figures["fiscal_year"], figures["status"]) == ("270008", 2022, "closed")
    assert figures["previous_round"] == R2_ROUND
    change = figures["year_over_year"]
    assert subset(change["previous"], EXPECTED["procedures_R2"]) == EXPECTED["procedures_R2"]
    assert (change["matched"], change["added"], change["dropped"]) == (45, 15, 0)
    assert sum(d["procedures"] for d in figures["by_department"].values()) == 60
    assert figures["by_department"]["健康医療部"]["procedures"] == 7


def test_the_r2_report_gives_the_r2_figures_and_no_year_over_year(demo):
    figures = report("--round", R2_ROUND)

    assert subset(figures["kpis"], EXPECTED["procedures_R2"]) == EXPECTED["procedures_R2"]
    assert (figures["previous_round"], figures["year_over_year"]) == (None, None)


def test_the_text_report_shows_the_shares_and_their_change(demo):
    output = run("procedures", "--round", R4_ROUND)

    assert "行政手続のオンライン化（大阪府 令和4年度調査 令和4年度・締切済）" in output
    assert "手続数: 60" in output
    assert "オンライン化済: 18（30.0%）" in output
    assert "オンライン件数: 25,600 / 61,200（41.8%）" in output
    assert "オンライン化予定: 9（15.0%）" in output
    assert "それ以降・オンライン化不可: 33（55.0%）" in output
    assert "オンライン化率（手続数）: 8.9% → 30.0%" in output
    assert "オンライン化率（件数）: 32.0% → 41.8%" in output
    assert "健康医療部: 7手続" in output


def test_one_department(demo):
    figures = report("--round", R4_ROUND, "--department", "07")

    assert figures["department"] == "07"
    assert figures["kpis"]["procedures"] == 7
    assert list(figures["by_department"]) == ["健康医療部"]
    # R2's 健康医療部 answered for six procedures.
    assert figures["year_over_year"]["previous"]["procedures"] == 6


def test_a_closed_round_reports_the_same_after_later_rounds_change_everything(demo, tmp_path):
    import openpyxl

    before = report("--round", R4_ROUND)
    # A later survey renames, moves and brings every procedure online.
    sheet = openpyxl.load_workbook(DEMO_DIR / "procedures_R4.xlsx")
    for cells in sheet.active.iter_rows(min_row=4):
        if cells[3].value:
            cells[3].value = f"{cells[3].value}（改）"
            cells[2].value = "行政DX推進課"
            cells[8].value = cells[7].value
            cells[9].value = "オンライン化済"
    path = tmp_path / "r6.xlsx"
    sheet.save(path)
    importer = ProceduresImporter(None, round="令和6年度調査")
    plan = build_plan(importer, path)
    assert plan.errors == []
    apply_plan(importer, plan)

    assert report("--round", R4_ROUND) == before
    assert report("--round", "令和6年度調査")["kpis"]["online"] == 60


def test_the_report_writes_nothing(demo):
    counts = (Procedure.history.count(), ProcedureAnswer.history.count(), SurveyRound.history.count())

    run("procedures", "--round", R4_ROUND)
    report("--round", R4_ROUND)

    assert (Procedure.history.count(), ProcedureAnswer.history.count(), SurveyRound.history.count()) == counts


def test_an_unknown_round_is_refused_in_japanese(demo):
    with pytest.raises(CommandError, match="照会「令和9年度調査」はありません"):
        run("procedures", "--round", "令和9年度調査")


def test_a_round_is_needed(demo):
    with pytest.raises(CommandError, match="--round で照会名を指定してください"):
        run("procedures")


def test_options_a_report_does_not_read_are_refused(demo):
    with pytest.raises(CommandError, match="「procedures」の報告には --fy を指定できません"):
        run("procedures", "--round", R4_ROUND, "--fy", "R4")
    with pytest.raises(CommandError, match="「systems」の報告には --round を指定できません"):
        run("systems", "--round", R4_ROUND)


def test_an_unknown_department_is_refused(demo):
    with pytest.raises(CommandError, match="部局コード「99」の部局はありません"):
        run("procedures", "--round", R4_ROUND, "--department", "99")


def test_a_round_name_used_by_two_bodies_needs_body(world):
    for body in (world.body_a, world.body_b):
        SurveyRound.objects.create(body=body, kind="procedures", name=R4_ROUND, fiscal_year=2022)

    with pytest.raises(CommandError, match="--body"):
        run("procedures", "--round", R4_ROUND)

    figures = report("--round", R4_ROUND, "--body", "271004")
    assert (figures["body"], figures["kpis"]["procedures"]) == ("271004", 0)


def test_the_unknown_kind_message_lists_every_report(db):
    listed = r"報告の種類「nothing」はありません（procedures, security, systems）"
    with pytest.raises(CommandError, match=listed):
        run("nothing")
