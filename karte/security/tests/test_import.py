"""The security survey sheet: the R5 sample's figures, a full survey's, bad sheets, and re-imports."""

from __future__ import annotations

import csv
import datetime
import json
import random
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict
from django.utils import timezone

from karte.core import rounds
from karte.core.choices import Role
from karte.core.demo import DEMO_DIR
from karte.core.importing.base import CHANGED, NEW, UNCHANGED, PlanHasErrors, apply_plan, build_plan
from karte.core.importing.registry import get_importer
from karte.core.importing.tabular import MSG_CORRUPT_XLSX, TableError
from karte.core.models import OrgUnit
from karte.core.tests.factories import make_user
from karte.security.choices import Exemption, OwnMeasure
from karte.security.importers import MSG_MARK, SecuritySurveyImporter, to_exemption, to_mark, to_measures
from karte.security.models import ProtectionAnswer, ProtectionProfile
from karte.security.selectors import coverage_figures, placed_systems
from karte.security.tests.builders import protect
from karte.systems.models import System

SAMPLE = DEMO_DIR / "security_survey_R5.xlsx"
EXPECTED = json.loads((DEMO_DIR / "expected-sample.json").read_text(encoding="utf-8"))["security_survey_R5"]
HEADER = [
    "システムID",
    "システム名",
    "所管課",
    "外部公開",
    "サイバー攻撃検知通報事業",
    "ウェブ感染型マルウェア検知事業",
    "ホームページレスポンス観測事業",
    "独自のサイバー攻撃対策",
    "申込みが不要な理由",
]


@pytest.fixture
def organisation(db):
    """The demo prefecture's organisation, without its registries."""
    importer = get_importer("organisation")(None)
    apply_plan(importer, build_plan(importer, DEMO_DIR / "organisation.xlsx"))


@pytest.fixture
def office(organisation):
    return make_user("office", Role.OFFICE_ADMIN, OrgUnit.objects.get(code="04002"))


def imported(importer, path: Path):
    plan = build_plan(importer, path)
    assert plan.errors == []
    apply_plan(importer, plan)
    return plan


def figures() -> dict:
    placed = placed_systems(System.objects.all(), timezone.localdate())
    return {key: value for key, value in coverage_figures(placed).items() if key in EXPECTED}


def state() -> dict:
    return {
        "systems": [model_to_dict(s) for s in System.objects.order_by("pk")],
        "profiles": [model_to_dict(p) for p in ProtectionProfile.objects.order_by("pk")],
        "answers": [model_to_dict(a) for a in ProtectionAnswer.objects.order_by("pk")],
        "history": System.history.count()
        + ProtectionProfile.history.count()
        + ProtectionAnswer.history.count(),
    }


def sheet(tmp_path: Path, rows: list[list], header: list[str] = HEADER, name: str = "survey.xlsx") -> Path:
    wb = openpyxl.Workbook()
    for line in [["情報システムのサイバー攻撃対策状況照会"], ["※３事業の申込状況"], header, *rows]:
        wb.active.append(line)
    path = tmp_path / name
    wb.save(path)
    return path


def sample_rows() -> list[list]:
    book = openpyxl.load_workbook(SAMPLE, read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)]


# --- the sample --------------------------------------------------------------------------------------
def test_the_r5_sample_gives_the_surveys_figures(office):
    plan = imported(SecuritySurveyImporter(office), SAMPLE)

    assert plan.count(NEW) == EXPECTED["systems"]
    assert figures() == EXPECTED


def test_the_sample_keeps_the_texts_and_sets_the_flags(office):
    imported(SecuritySurveyImporter(office), SAMPLE)

    s0007 = ProtectionProfile.objects.get(system__code="S0007")
    s0027 = ProtectionProfile.objects.get(system__code="S0027")
    s0030 = ProtectionProfile.objects.get(system__code="S0030")
    assert (s0007.own_measures, s0007.measures_description) == (
        ["waf", "cdn_cloud"],
        "クラウド事業者のDDoS対策・WAFを利用",
    )
    assert s0027.own_measures == ["ips_ids", "other_measures"]
    assert (s0030.exemption, s0030.exemption_note) == (
        Exemption.NATIONAL,
        "国等がセキュリティ対策の権限（責任）を有するシステム",
    )
    system = System.objects.get(code="S0001")
    assert (system.name, system.unit.name, system.internet_facing) == (
        "新許認可統合システム【薬事・食品・環境】",
        "水産課",
        True,
    )
    assert (system.protection.confirmed_by, system.protection.confirmed_on) == (office, timezone.localdate())
    assert system.protection.history.first().history_user == office
    assert system.history.first().history_user == office


def test_reimporting_the_sample_changes_nothing(office):
    imported(SecuritySurveyImporter(office), SAMPLE)
    before = state()

    plan = imported(SecuritySurveyImporter(office), SAMPLE)

    assert (plan.count(NEW), plan.count(CHANGED), plan.count(UNCHANGED)) == (0, 0, EXPECTED["systems"])
    assert state() == before


def test_the_command_line_imports_the_sample(organisation):
    call_command("import", "security-survey", str(SAMPLE))
    assert System.objects.count() == 0

    call_command("import", "security-survey", str(SAMPLE), "--apply")

    assert figures() == EXPECTED
    assert (
        ProtectionProfile.objects.filter(confirmed_by=None, confirmed_on=timezone.localdate()).count() == 35
    )


def test_a_cp932_csv_of_the_sample_gives_the_same_figures(office, tmp_path):
    path = tmp_path / "survey.csv"
    with path.open("w", encoding="cp932", newline="") as f:
        csv.writer(f).writerows([["" if v is None else v for v in row] for row in sample_rows()])

    imported(SecuritySurveyImporter(office), path)

    assert figures() == EXPECTED
    assert ProtectionProfile.objects.get(system__code="S0002").exemption_note == "民間事業者のSNSサービス"


# --- a whole survey ----------------------------------------------------------------------------------
MEASURE_TEXTS = [
    "WAF導入",
    "IPS/IDSによる監視",
    "EDR導入及び委託事業者による常時監視",
    "外部SOCによる24時間監視",
    "クラウド事業者のDDoS対策",
    "CDNを利用",
    "ログの定期分析",
]
NATIONAL_TEXTS = [
    "国等がセキュリティ対策の権限（責任）を有するシステム",
    "国のシステム",
    "運用の責任は国にある",
]
SERVICE_PATTERNS = [("申込済", "無", "無"), ("○", "○", "×"), ("いいえ", "はい", "はい"), ("no", "no", "yes")]


def full_survey(sections: list[str]) -> tuple[list[list], dict]:
    """A survey of 245 systems in the sample's shape: 67 internet-facing, 35 of them in no service, of
    which 26 with own measures, 8 the national government's and 1 a private service."""
    counts = {"systems": 245, "exposed": 67, "not_enrolled": 35, "own": 26, "national": 8, "private": 1}
    rows: list[list] = []

    def add(facing: str, services, measures=None, reason=None):
        n = len(rows) + 1
        rows.append(
            [
                f"F{n:04d}",
                f"全数調査システム{n}",
                sections[n % len(sections)],
                facing,
                *services,
                measures,
                reason,
            ]
        )

    for i in range(counts["systems"] - counts["exposed"]):
        add(["無", "×", "いいえ", "no"][i % 4], ("無", "無", "無"))
    for i in range(counts["exposed"] - counts["not_enrolled"]):
        # Some enrolled systems also have own measures: they count as enrolled.
        add("有", SERVICE_PATTERNS[i % len(SERVICE_PATTERNS)], MEASURE_TEXTS[i % 3] if i % 5 == 0 else None)
    for i in range(counts["own"]):
        add(["有", "○", "はい", "yes"][i % 4], ("無", "無", "無"), MEASURE_TEXTS[i % len(MEASURE_TEXTS)])
    for i in range(counts["national"]):
        add("有", ("無", "無", "無"), None, NATIONAL_TEXTS[i % len(NATIONAL_TEXTS)])
    add("有", ("無", "×", "no"), "なし", "民間事業者のSNSサービス")
    random.Random(5).shuffle(rows)
    return rows, counts


def test_a_full_survey_accounts_for_every_exposed_system(office, tmp_path):
    sections = sorted({row[2] for row in sample_rows()[3:]})
    rows, counts = full_survey(sections)

    imported(SecuritySurveyImporter(office), sheet(tmp_path, rows))

    assert figures() == {
        "systems": counts["systems"],
        "internet_exposed": counts["exposed"],
        "exposed_not_enrolled": counts["not_enrolled"],
        "own_measures_among_not_enrolled": counts["own"],
        "exempt_national": counts["national"],
        "exempt_private_service": counts["private"],
        "unaccounted_gap": 0,
    }


# --- bad sheets --------------------------------------------------------------------------------------
def test_a_sheet_without_a_column_is_refused(office, tmp_path):
    header = [h for h in HEADER if h != "外部公開"]
    rows = [row[:3] + row[4:] for row in sample_rows()[3:]]

    with pytest.raises(TableError) as refused:
        build_plan(SecuritySurveyImporter(office), sheet(tmp_path, rows, header))

    assert "外部公開" in str(refused.value) and "必須の列" in str(refused.value)
    assert System.objects.count() == 0


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("外部公開", "たぶん", MSG_MARK.format(value="たぶん")),
        ("ウェブ感染型マルウェア検知事業", "検討中", MSG_MARK.format(value="検討中")),
        ("外部公開", None, "必須の項目が空です"),
        ("申込みが不要な理由", "予算がない", "申込みが不要な理由を読み取れません"),
    ],
)
def test_a_bad_value_is_a_row_error_and_nothing_changes(office, tmp_path, column, value, message):
    imported(SecuritySurveyImporter(office), SAMPLE)
    before = state()
    rows = sample_rows()[3:]
    rows[4][HEADER.index(column)] = value

    plan = build_plan(SecuritySurveyImporter(office), sheet(tmp_path, rows))

    assert [(e["row"], e["column"]) for e in plan.errors] == [(8, column)]
    assert message in plan.errors[0]["message"]
    with pytest.raises(PlanHasErrors):
        apply_plan(SecuritySurveyImporter(office), plan)
    assert state() == before


def test_the_reason_error_lists_what_is_accepted():
    with pytest.raises(ValueError) as refused:
        to_exemption("予算がない")

    message = str(refused.value)
    assert all(word in message for word in ("国等", "民間", "SNS", "外部公開していない", "公開なし"))


def test_a_corrupt_file_is_refused_in_japanese(office, tmp_path):
    data = SAMPLE.read_bytes()
    path = tmp_path / "survey.xlsx"
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(TableError) as refused:
        build_plan(SecuritySurveyImporter(office), path)

    assert str(refused.value) == MSG_CORRUPT_XLSX
    assert System.objects.count() == 0


def test_a_cp932_csv_with_a_bad_value_changes_nothing(office, tmp_path):
    rows = sample_rows()
    rows[5][3] = "不明"
    path = tmp_path / "survey.csv"
    with path.open("w", encoding="cp932", newline="") as f:
        csv.writer(f).writerows([["" if v is None else v for v in row] for row in rows])

    plan = build_plan(SecuritySurveyImporter(office), path)

    assert [(e["row"], e["column"], e["message"]) for e in plan.errors] == [
        (6, "外部公開", MSG_MARK.format(value="不明"))
    ]
    assert System.objects.count() == 0


def test_the_command_line_refuses_a_bad_sheet_without_changing_anything(organisation, tmp_path):
    rows = sample_rows()[3:]
    rows[0][3] = "??"

    with pytest.raises(CommandError):
        call_command("import", "security-survey", str(sheet(tmp_path, rows)), "--apply")

    assert System.objects.count() == 0


# --- what the sheet changes --------------------------------------------------------------------------
def test_the_census_overwrites_the_profile_and_clears_empty_cells(office, tmp_path):
    unit = OrgUnit.objects.get(name="水産課")
    system = System.objects.create(unit=unit, code="S0001", name="旧名称", internet_facing=False)
    protect(
        system,
        confirmed_on=datetime.date(2023, 4, 1),
        web_malware_since=datetime.date(2021, 4, 1),
        traffic_enrolled=True,
        traffic_since=datetime.date(2020, 4, 1),
        edr=True,
        measures_description="EDR導入",
        exemption=Exemption.NATIONAL,
        exemption_note="国のシステム",
    )
    rows = [["S0001", "新名称", "別の課", "有", "無", "申込済", "無", None, None]]

    plan = imported(SecuritySurveyImporter(office), sheet(tmp_path, rows))

    assert plan.count(CHANGED) == 1
    system.refresh_from_db()
    profile = system.protection
    # The karte keeps its name and owner; the survey sets the protection only.
    assert (system.name, system.unit, system.internet_facing) == ("旧名称", unit, True)
    assert (profile.traffic_enrolled, profile.traffic_since, profile.web_malware_enrolled) == (
        False,
        None,
        True,
    )
    assert (profile.edr, profile.measures_description, profile.exemption, profile.exemption_note) == (
        False,
        "",
        "",
        "",
    )
    assert profile.confirmed_on == timezone.localdate()
    assert profile.history.count() == 2


def test_an_unknown_id_creates_the_system_shown_as_new(office, tmp_path):
    rows = [["NEW-1", "新規公開サイト", "水産課", "有", "申込済", "無", "無", None, None]]

    plan = build_plan(SecuritySurveyImporter(office), sheet(tmp_path, rows))
    preview = plan.as_dict(SecuritySurveyImporter(office))

    assert preview["counts"]["new"] == 1
    assert preview["sample"][0]["label"] == "NEW-1 新規公開サイト"
    apply_plan(SecuritySurveyImporter(office), plan)
    system = System.objects.get(code="NEW-1")
    assert (system.unit.name, system.internet_facing, system.protection.traffic_enrolled) == (
        "水産課",
        True,
        True,
    )


def test_an_unknown_unit_is_an_error_only_for_a_new_system(office, tmp_path):
    unit = OrgUnit.objects.get(name="水産課")
    System.objects.create(unit=unit, code="S0001", name="既存システム")
    rows = [
        ["S0001", "既存システム", "改称前の課", "無", "無", "無", "無", None, None],
        ["NEW-1", "新規システム", "改称前の課", "無", "無", "無", "無", None, None],
    ]

    plan = build_plan(SecuritySurveyImporter(office), sheet(tmp_path, rows))

    assert [(e["row"], e["column"]) for e in plan.errors] == [(5, "所管課")]
    assert "改称前の課" in plan.errors[0]["message"]


def test_a_department_editor_imports_only_its_own_systems(office, tmp_path):
    imported(SecuritySurveyImporter(office), SAMPLE)
    editor = make_user("suisan", Role.EDITOR, OrgUnit.objects.get(name="水産課"))
    before = state()
    own = [row for row in sample_rows()[3:] if row[2] == "水産課"]
    other = [row for row in sample_rows()[3:] if row[2] == "秘書課"]
    own[0][4] = "申込済"

    refused = build_plan(SecuritySurveyImporter(editor), sheet(tmp_path, own + other[:1]))
    assert [e["column"] for e in refused.errors] == ["システムID"]
    assert state() == before

    plan = imported(SecuritySurveyImporter(editor), sheet(tmp_path, own, name="own.xlsx"))
    assert plan.count(CHANGED) == 1
    assert ProtectionProfile.objects.get(system__code=own[0][0]).confirmed_by == editor


# --- into a round ------------------------------------------------------------------------------------
def test_the_round_option_writes_the_rounds_answers_not_the_profiles(office, tmp_path):
    imported(SecuritySurveyImporter(office), SAMPLE)
    survey = rounds.open_round(
        user=office,
        body=OrgUnit.objects.get(code="04002").body,
        kind="security",
        name="令和6年度照会",
        fiscal_year=2024,
        deadline=None,
        fields=["internet_facing", "services", "own_measures", "exemption"],
    )
    profiles = [model_to_dict(p) for p in ProtectionProfile.objects.order_by("pk")]
    rows = sample_rows()[3:]
    rows[0][5] = "無"  # S0001 leaves web malware detection
    rows[0][7] = "WAF導入"

    plan = imported(SecuritySurveyImporter(office, round="令和6年度照会"), sheet(tmp_path, rows))

    assert (plan.count(CHANGED), plan.count(UNCHANGED)) == (1, 34)
    answer = ProtectionAnswer.objects.get(round=survey, system__code="S0001")
    assert (answer.web_malware_enrolled, answer.own_measures, answer.answered_by) == (False, ["waf"], office)
    assert [model_to_dict(p) for p in ProtectionProfile.objects.order_by("pk")] == profiles

    with pytest.raises(CommandError):
        call_command("import", "security-survey", str(SAMPLE), "--round", "ない照会")


# --- the cells ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "measures"),
    [
        ("WAF導入及び外部SOCによる24時間監視", {OwnMeasure.WAF, OwnMeasure.SOC_24H}),
        ("IPS導入、ログの定期分析", {OwnMeasure.IPS_IDS, OwnMeasure.OTHER}),
        ("ＥＤＲ導入及び委託事業者による常時監視", {OwnMeasure.EDR, OwnMeasure.SOC_24H}),
        ("クラウド事業者のDDoS対策・WAFを利用", {OwnMeasure.CDN_CLOUD, OwnMeasure.WAF}),
        ("CDN", {OwnMeasure.CDN_CLOUD}),
        ("パスワードの定期変更", {OwnMeasure.OTHER}),
        ("なし", set()),
        (None, set()),
    ],
)
def test_own_measures_are_read_by_key_words(text, measures):
    found, kept = to_measures(text)

    assert set(found) == {m.value for m in measures}
    assert kept == ("" if not measures else text)


@pytest.mark.parametrize(
    ("text", "exemption"),
    [
        ("国等がセキュリティ対策の権限（責任）を有するシステム", Exemption.NATIONAL),
        ("運用の責任は委託元", Exemption.NATIONAL),
        ("民間事業者のSNSサービス", Exemption.PRIVATE_SERVICE),
        ("外部のサービスをそのまま利用", Exemption.PRIVATE_SERVICE),
        ("実際には外部公開していない", Exemption.NOT_EXPOSED),
        ("公開なし", Exemption.NOT_EXPOSED),
        (None, ""),
    ],
)
def test_exemption_reasons_are_read_by_key_words(text, exemption):
    assert to_exemption(text)[0] == exemption


@pytest.mark.parametrize(
    ("cell", "value"),
    [("有", True), ("申込済", True), ("○", True), ("はい", True), ("YES", True), ("無", False), ("×", False)]
    + [("いいえ", False), ("no", False), (None, None)],
)
def test_yes_no_cells(cell, value):
    assert to_mark(cell) is value


@pytest.mark.parametrize("cell", ["済", "1", "不明", "有無"])
def test_other_marks_are_refused(cell):
    with pytest.raises(ValueError):
        to_mark(cell)


def test_the_sheet_exports_in_the_importers_columns(office, tmp_path):
    imported(SecuritySurveyImporter(office), SAMPLE)
    importer = SecuritySurveyImporter(office)
    rows = list(importer.export_rows(System.objects.all()))
    path = sheet(tmp_path, rows, [c.label for c in importer.columns])

    plan = build_plan(SecuritySurveyImporter(office), path)

    assert (plan.count(UNCHANGED), plan.errors) == (35, [])
    s0017 = next(row for row in rows if row[0] == "S0017")
    assert s0017[3:9] == ["有", "無", "無", "無", "WAF導入及び外部SOCによる24時間監視", None]
