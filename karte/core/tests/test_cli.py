"""The management commands: `import KIND FILE [--apply]` and `load_demo`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from karte.core.choices import Role
from karte.core.demo import DEMO_PASSWORD
from karte.core.importing import tabular
from karte.core.models import Membership, OrgUnit
from tests.ledger.models import Ledger

DEMO = Path(__file__).resolve().parents[2] / "demo" / "organisation.xlsx"


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def state() -> tuple[int, int, int, int]:
    return (
        OrgUnit.objects.count(),
        OrgUnit.history.count(),
        get_user_model().objects.count(),
        Membership.objects.count(),
    )


def test_import_prints_the_preview_and_changes_nothing(db):
    output = run("import", "organisation", str(DEMO))

    assert "見出し行: 2行目" in output
    assert "データ行: 54" in output
    assert "新規: 71" in output
    assert "エラー: 0" in output
    assert "政策企画部" in output
    assert "確認のみ" in output
    assert OrgUnit.objects.count() == 0
    assert OrgUnit.history.count() == 0


def test_import_with_apply_creates_the_units(db):
    output = run("import", "organisation", str(DEMO), apply=True)

    assert "反映しました。" in output
    assert OrgUnit.objects.count() == 71
    assert OrgUnit.objects.filter(kind="department").count() == 16
    assert OrgUnit.objects.get(code="07001").department.code == "07"
    again = run("import", "organisation", str(DEMO))
    assert "新規: 0" in again
    assert "変更なし: 71" in again


def test_import_of_a_broken_file_raises_the_japanese_message(db, tmp_path):
    broken = tmp_path / "organisation.xlsx"
    data = DEMO.read_bytes()
    broken.write_bytes(data[: len(data) // 2])

    with pytest.raises(CommandError) as raised:
        run("import", "organisation", str(broken), apply=True)

    assert str(raised.value) == tabular.MSG_CORRUPT_XLSX
    assert OrgUnit.objects.count() == 0


def test_import_of_a_sheet_with_row_errors_lists_them_and_applies_nothing(world, tmp_path):
    sheet = tmp_path / "org.csv"
    sheet.write_text(
        "団体コード,団体名,部局コード,部局名,所属コード,所属名\n"
        "270008,大阪府,06,福祉部,06001,地域福祉推進課\n"
        "270008,大阪府,06,福祉部,06002,\n",
        encoding="cp932",
    )
    before = state()
    out = io.StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("import", "organisation", str(sheet), apply=True, stdout=out)

    assert "エラーがあるため取り込みません" in str(raised.value)
    assert "! 3行目 所属名: 必須の項目が空です" in out.getvalue()
    assert state() == before
    assert OrgUnit.objects.get(pk=world.section_a1.pk).name == "地域福祉課"


def test_import_of_an_unknown_kind_is_refused(db):
    with pytest.raises(CommandError) as raised:
        run("import", "nothing", str(DEMO))

    assert "取り込みの種類「nothing」はありません" in str(raised.value)
    assert "organisation" in str(raised.value)


def test_load_demo_creates_the_demo_people_with_their_roles(db):
    output = run("load_demo")

    assert OrgUnit.objects.count() == 71
    users = get_user_model().objects
    expected = {
        "office": (Role.OFFICE_ADMIN, "04002"),
        "fukushi": (Role.EDITOR, "06001"),
        "kenko": (Role.EDITOR, "07001"),
        "viewer": (Role.VIEWER, "06002"),
        "auditor": (Role.AUDITOR, "03003"),
    }
    for username, (role, code) in expected.items():
        user = users.get(username=username)
        assert (user.membership.role, user.membership.unit.code) == (role, code)
        assert user.check_password(DEMO_PASSWORD)
        assert username in output


def test_load_demo_twice_does_nothing_the_second_time(db):
    run("load_demo")
    before = state()

    output = run("load_demo")

    assert "読み込み済み" in output
    assert state() == before


def ledger_sheet(tmp_path, code: str) -> Path:
    path = tmp_path / "ledger.csv"
    path.write_text(f"名称,所属コード,金額\n台帳,{code},100\n", encoding="utf-8-sig")
    return path


def test_a_ledger_import_from_the_command_line_assigns_the_unit_of_the_code(world, tmp_path):
    output = run("import", "ledger", str(ledger_sheet(tmp_path, "07001")), apply=True)

    assert "新規: 1" in output
    ledger = Ledger.objects.get()
    assert (ledger.unit_id, ledger.amount_yen) == (world.section_a2.pk, 100)


def test_a_ledger_import_from_the_command_line_never_guesses_between_two_bodies(world, tmp_path):
    # 06001 is 地域福祉課 of 大阪府 and 福祉課 of 大阪市: the sheet does not say which.
    with pytest.raises(CommandError):
        run("import", "ledger", str(ledger_sheet(tmp_path, "06001")), apply=True)

    assert Ledger.objects.count() == 0
