"""Karte's own findings sheet and the scanners' CSV exports, through build_plan / apply_plan."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from karte.core.choices import ImportJobStatus
from karte.core.exporting import write_csv
from karte.core.importing.base import NEW, UNCHANGED, PlanHasErrors, apply_plan, build_plan
from karte.core.importing.registry import get_importer
from karte.core.models import ImportJob
from karte.vulnerabilities.choices import Severity
from karte.vulnerabilities.models import Finding, Host
from karte.vulnerabilities.tests.helpers import NESSUS, OPENVAS, make_finding, make_host, make_system

SHEET_HEADER = [
    "システムID",
    "ホスト(IP)",
    "ホスト名",
    "指摘事項",
    "CVE",
    "CVSS",
    "深刻度",
    "発見日",
    "対応方針",
    "対応期限",
    "対応完了日",
]


def write_sheet(
    tmp_path: Path, rows: list[list], *, encoding: str = "utf-8", name: str = "findings.csv"
) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["令和6年度 プラットフォーム診断 指摘事項一覧"])
    writer.writerow(SHEET_HEADER)
    writer.writerows(rows)
    path = tmp_path / name
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def plan_for(kind: str, user, path: Path):
    importer = get_importer(kind)(user)
    return importer, build_plan(importer, path, filename=path.name)


def run(kind: str, user, path: Path):
    importer, plan = plan_for(kind, user, path)
    assert plan.errors == []
    apply_plan(importer, plan)
    return plan


def state() -> tuple:
    return (
        sorted(Finding.objects.values_list("pk", "title", "cve", "cvss", "severity", "due_on", "fixed_on")),
        Finding.history.count(),
        Host.objects.count(),
        Host.history.count(),
    )


@pytest.fixture
def scanned(world):
    """A 福祉部 system with the hosts both fixture scans report on."""
    system = make_system(world.section_a1, "S-0101", "福祉総合システム")
    hosts = {
        "web01": make_host(system, "10.20.1.11", "web01.pref.example.lg.jp"),
        "db01": make_host(system, "10.20.1.12", "db01.pref.example.lg.jp"),
        "ap01": make_host(system, "10.20.1.21", "ap01.pref.example.lg.jp"),
        "file01": make_host(system, "10.20.1.22"),
    }
    return system, hosts


# --- Karte's own sheet ------------------------------------------------------------------------------
def test_the_sheet_registers_findings_and_new_hosts_with_era_dates(world, tmp_path):
    system = make_system(world.section_a1, "S-0101")
    make_host(system, "10.20.1.11", "web01")
    path = write_sheet(
        tmp_path,
        [
            [
                "S-0101",
                "10.20.1.11",
                "",
                "Apache HTTP Server の脆弱性",
                "CVE-2023-45802",
                "3.9",
                "",
                "令和6年4月1日",
                "",
                "",
                "",
            ],
            ["S-0101", "10.20.1.11", "", "TLS 1.0 が有効", "", "4.0", "", "R6.4.1", "", "", ""],
            [
                "S-0101",
                "10.20.1.30",
                "ap02",
                "管理画面が外部公開",
                "",
                "6.5",
                "緊急",
                "2024/4/1",
                "",
                "2024-05-31",
                "",
            ],
            ["S-0101", "", "", "運用手順書の未整備", "", "", "低", "令和6年4月1日", "", "", "令和6年5月1日"],
        ],
    )

    plan = run("vulnerabilities", world.users["editor_a1"], path)

    assert plan.count(NEW) == 5  # four findings and the new host ap02
    apache = Finding.objects.get(title="Apache HTTP Server の脆弱性")
    assert (apache.severity, apache.found_on, apache.due_on) == (
        Severity.LOW,
        datetime.date(2024, 4, 1),
        datetime.date(2024, 9, 28),
    )
    assert apache.host.hostname == "web01"
    assert Finding.objects.get(title="TLS 1.0 が有効").severity == Severity.MEDIUM
    exposed = Finding.objects.get(title="管理画面が外部公開")
    assert (exposed.severity, exposed.due_on) == (Severity.CRITICAL, datetime.date(2024, 5, 31))
    assert (exposed.host.ip, exposed.host.hostname, exposed.host.system) == ("10.20.1.30", "ap02", system)
    assert exposed.host.history.get().history_user == world.users["editor_a1"]
    manual = Finding.objects.get(title="運用手順書の未整備")
    assert (manual.host, manual.fixed_on) == (None, datetime.date(2024, 5, 1))
    assert apache.history.get().history_user == world.users["editor_a1"]


def test_a_cp932_sheet_is_read(world, tmp_path):
    make_system(world.section_a1, "S-0101")
    path = write_sheet(
        tmp_path,
        [
            [
                "S-0101",
                "10.20.1.11",
                "web01",
                "ＳＳＨ の弱い暗号方式",
                "",
                "5.3",
                "",
                "令和6年6月10日",
                "設定変更で対応",
                "",
                "",
            ]
        ],
        encoding="cp932",
    )

    run("vulnerabilities", world.users["editor_a1"], path)

    finding = Finding.objects.get()
    assert finding.title == "ＳＳＨ の弱い暗号方式"
    assert finding.remediation_plan == "設定変更で対応"
    assert finding.due_on == datetime.date(2024, 9, 8)


def test_sheet_row_errors_are_in_japanese_and_nothing_is_imported(world, tmp_path):
    make_system(world.section_a1, "S-0101")
    make_system(world.section_a2, "S-0201")
    before = state()
    path = write_sheet(
        tmp_path,
        [
            ["S-0101", "10.20.1.11", "", "正しい行", "", "5.0", "", "令和6年4月1日", "", "", ""],
            ["S-0201", "10.20.2.11", "", "他部局のシステム", "", "5.0", "", "令和6年4月1日", "", "", ""],
            ["S-0101", "10.20.1.999", "", "IP が不正", "", "5.0", "", "令和6年4月1日", "", "", ""],
            ["S-0101", "", "", "CVE が不正", "MS17-010", "11", "", "令和6年4月1日", "", "", ""],
            ["S-0101", "", "", "深刻度なし", "", "", "", "令和6年4月1日", "", "", ""],
        ],
    )
    importer, plan = plan_for("vulnerabilities", world.users["editor_a1"], path)

    messages = [(e["row"], e["column"], e["message"]) for e in plan.errors]
    assert messages[0][:2] == (4, "システムID") and "変更できる範囲" in messages[0][2]
    assert messages[1][:2] == (5, "ホスト(IP)") and "IPアドレス" in messages[1][2]
    assert {m[1] for m in messages if m[0] == 6} == {"CVE", "CVSS"}
    assert (7, "CVSS", "CVSS または深刻度を入力してください") in messages
    with pytest.raises(PlanHasErrors):
        apply_plan(importer, plan)
    assert state() == before


def test_the_exported_list_imports_back_without_changes(world, client, tmp_path):
    system = make_system(world.section_a1, "S-0101")
    host = make_host(system, "10.20.1.11", "web01")
    make_finding(system, "同じ指摘", cvss="7.5", host=host, cve="CVE-2023-45802")
    make_finding(system, "同じ指摘", cvss="5.0", host=host)  # two alike: the sheet's 指摘ID tells them apart
    make_finding(
        system, "期限を指定", cvss="4.0", due_on=datetime.date(2025, 1, 31), remediation_plan="次期更新で対応"
    )
    client.force_login(world.users["editor_a1"])
    exported = client.get(reverse("vulnerabilities:finding_list") + "?export=csv")
    path = tmp_path / "export.csv"
    path.write_bytes(exported.content)
    before = state()

    importer, plan = plan_for("vulnerabilities", world.users["editor_a1"], path)

    assert plan.errors == []
    assert {p.action for p in plan.records} == {UNCHANGED}
    apply_plan(importer, plan)
    assert state() == before


def test_a_sheet_changes_the_fix_date_and_the_deadline_follows_a_new_score(world, tmp_path):
    system = make_system(world.section_a1, "S-0101")
    finding = make_finding(system, "Apache の脆弱性", cvss="5.0", found_on=datetime.date(2024, 4, 1))
    path = write_sheet(
        tmp_path,
        [["S-0101", "", "", "Apache の脆弱性", "", "9.1", "", "令和6年4月1日", "", "", "令和6年4月10日"]],
    )

    importer, plan = plan_for("vulnerabilities", world.users["editor_a1"], path)
    assert [p.action for p in plan.records] == ["changed"]
    apply_plan(importer, plan)

    finding.refresh_from_db()
    assert (finding.cvss, finding.severity) == (Decimal("9.1"), Severity.CRITICAL)
    assert finding.due_on == datetime.date(2024, 4, 15)
    assert finding.fixed_on == datetime.date(2024, 4, 10)
    assert finding.history.count() == 2


# --- scanner exports --------------------------------------------------------------------------------
def test_an_openvas_export_gives_one_finding_per_host_nvt_and_port_without_log_rows(world, scanned):
    system, hosts = scanned

    plan = run("scanner-csv", world.users["editor_a1"], OPENVAS)

    assert plan.count(NEW) == 4  # six rows, two of them "Log"
    apache = Finding.objects.get(title="Apache HTTP Server < 2.4.58 Multiple Vulnerabilities")
    assert apache.host == hosts["web01"]
    assert apache.system == system
    assert apache.port == "443/tcp"
    assert apache.cve == "CVE-2023-31122, CVE-2023-43622, CVE-2023-45802"
    assert (apache.cvss, apache.severity) == (Decimal("7.5"), Severity.HIGH)
    assert apache.found_on == datetime.date(2024, 6, 10)
    assert apache.due_on == datetime.date(2024, 7, 10)
    assert apache.source == "OpenVAS"
    assert apache.remediation_plan == "Update to version 2.4.58 or later."
    timestamps = Finding.objects.get(title="TCP Timestamps Information Disclosure")
    assert (timestamps.host, timestamps.severity, timestamps.port) == (hosts["db01"], Severity.LOW, "tcp")
    assert not Finding.objects.filter(
        title__in=["Services", "OS Detection Consolidation and Reporting"]
    ).exists()


def test_a_nessus_export_merges_the_cve_rows_of_a_plugin_and_skips_risk_none(world, scanned):
    _system, hosts = scanned

    plan = run("scanner-csv", world.users["editor_a1"], NESSUS)

    assert plan.count(NEW) == 4  # seven rows: two None, two CVE rows of one plugin
    log4shell = Finding.objects.get(title__startswith="Apache Log4Shell")
    assert log4shell.cve == "CVE-2021-44228, CVE-2021-45046"
    assert (log4shell.host, log4shell.port, log4shell.severity) == (
        hosts["ap01"],
        "8443/tcp",
        Severity.CRITICAL,
    )
    assert log4shell.source == "Nessus"
    openssl = Finding.objects.get(title="OpenSSL 1.1.1 < 1.1.1i Vulnerability")
    assert (openssl.cvss, openssl.severity) == (Decimal("5.9"), Severity.MEDIUM)  # v3 over v2 (4.3)
    # The certificate row names its host by name only.
    assert Finding.objects.get(title="SSL Certificate Cannot Be Trusted").host == hosts["ap01"]
    assert Finding.objects.get(title="SMB Signing not required").host == hosts["file01"]
    assert not Finding.objects.filter(
        title__in=["Nessus Scan Information", "Traceroute Information"]
    ).exists()


@pytest.mark.parametrize("scan", [OPENVAS, NESSUS], ids=["openvas", "nessus"])
def test_importing_the_same_scan_again_changes_nothing(world, scanned, scan):
    run("scanner-csv", world.users["editor_a1"], scan)
    before = state()

    importer, plan = plan_for("scanner-csv", world.users["office_a"], scan)

    assert plan.errors == []
    assert {p.action for p in plan.records} == {UNCHANGED}
    apply_plan(importer, plan)
    assert state() == before


def test_what_people_wrote_survives_a_later_scan_and_a_finding_it_misses_stays_open(world, scanned, tmp_path):
    run("scanner-csv", world.users["editor_a1"], OPENVAS)
    ssh = Finding.objects.get(title="Weak Encryption Algorithm(s) Supported (SSH)")
    ssh.remediation_plan = "次回の保守作業で 3des-cbc を無効化"
    ssh.save()
    lines = OPENVAS.read_text(encoding="utf-8")
    later = tmp_path / "later.csv"
    # The later scan no longer reports the weak cipher suites.
    rows = list(csv.reader(io.StringIO(lines)))
    later.write_bytes(write_csv(rows[0], [r for r in rows[1:] if "Weak Cipher" not in r[8]]))

    run("scanner-csv", world.users["editor_a1"], later)

    ssh.refresh_from_db()
    assert ssh.remediation_plan == "次回の保守作業で 3des-cbc を無効化"
    missed = Finding.objects.get(title="SSL/TLS: Report Weak Cipher Suites")
    assert missed.fixed_on is None


def test_an_unregistered_host_is_refused_and_nothing_changes(world, scanned):
    _system, hosts = scanned
    hosts["file01"].delete()
    before = state()

    importer, plan = plan_for("scanner-csv", world.users["editor_a1"], NESSUS)

    assert [(e["row"], e["column"]) for e in plan.errors] == [(7, "Host")]
    assert "ホスト「10.20.1.22」は登録されていません" in plan.errors[0]["message"]
    assert "先にシステムのカルテでホストを登録してください" in plan.errors[0]["message"]
    with pytest.raises(PlanHasErrors):
        apply_plan(importer, plan)
    assert state() == before


def test_another_departments_hosts_are_unknown_to_an_editor(world, scanned):
    importer, plan = plan_for("scanner-csv", world.users["editor_a2"], OPENVAS)

    assert len(plan.errors) == 4
    assert all("登録されていません" in e["message"] for e in plan.errors)
    assert "S-0101" not in str(plan.errors)


def test_an_address_shared_by_two_systems_is_told_apart_by_host_name_or_refused(world, scanned):
    other = make_system(world.section_a1, "S-0102")
    make_host(other, "10.20.1.11", "web99.pref.example.lg.jp")

    plan = plan_for("scanner-csv", world.users["editor_a1"], OPENVAS)[1]
    assert plan.errors == []  # OpenVAS gives the host name: web01 is S-0101's

    make_host(other, "10.20.1.21", "ap99")
    plan = plan_for("scanner-csv", world.users["editor_a1"], NESSUS)[1]
    assert {e["row"] for e in plan.errors} == {3, 4, 5}
    assert "複数のシステム（S-0101、S-0102）" in plan.errors[0]["message"]


def test_a_scanner_csv_is_uploaded_previewed_and_applied_on_the_import_pages(client, world, scanned):
    client.force_login(world.users["editor_a1"])
    url = reverse("core:import_new", kwargs={"kind": "scanner-csv"})
    response = client.post(url, {"file": SimpleUploadedFile("nessus.csv", NESSUS.read_bytes())})

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert job.status == ImportJobStatus.PREVIEWED
    assert job.preview["counts"] == {"new": 4, "changed": 0, "unchanged": 0, "errors": 0}
    client.post(reverse("core:import_apply", kwargs={"pk": job.pk}))
    assert Finding.objects.count() == 4


def test_a_karte_sheet_given_as_a_scanner_csv_is_refused_with_the_missing_columns(world, scanned, tmp_path):
    path = write_sheet(
        tmp_path, [["S-0101", "10.20.1.11", "", "x", "", "5.0", "", "令和6年4月1日", "", "", ""]]
    )
    from karte.core.importing.tabular import TableError

    with pytest.raises(TableError, match="必須の列が見つかりません"):
        plan_for("scanner-csv", world.users["editor_a1"], path)


def test_a_sheet_that_contradicts_the_registered_hosts_is_refused(world, tmp_path):
    system = make_system(world.section_a1, "S-0101")
    make_host(system, "10.20.1.11", "web01")
    before = state()
    path = write_sheet(
        tmp_path,
        [
            [
                "S-0101",
                "10.20.1.99",
                "web01",
                "IP が変わったホスト",
                "",
                "5.0",
                "",
                "令和6年4月1日",
                "",
                "",
                "",
            ],
            ["S-0101", "10.20.1.30", "ap02", "新しいホスト", "", "5.0", "", "令和6年4月1日", "", "", ""],
            ["S-0101", "10.20.1.31", "ap02", "同じ名前で別の IP", "", "5.0", "", "令和6年4月1日", "", "", ""],
        ],
    )

    importer, plan = plan_for("vulnerabilities", world.users["editor_a1"], path)

    assert [(e["row"], e["column"]) for e in plan.errors] == [(3, "ホスト(IP)"), (5, "ホスト名")]
    assert "IPアドレスが変わったときはカルテでホストを直してください" in plan.errors[0]["message"]
    assert "4 行目と異なるIPアドレス" in plan.errors[1]["message"]
    with pytest.raises(PlanHasErrors):
        apply_plan(importer, plan)
    assert state() == before


def write_csv_rows(tmp_path: Path, header: list[str], rows: list[list], name: str = "odd.csv") -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / name
    path.write_bytes(out.getvalue().encode("utf-8"))
    return path


def test_an_odd_sheet_gives_row_errors_rather_than_a_failed_import(world, tmp_path):
    make_system(world.section_a1, "S-0101")
    before = state()
    path = write_csv_rows(
        tmp_path,
        ["指摘ID", "システムID", "指摘事項", "CVSS", "発見日", "診断元"],
        [
            ["99999999999999999999999", "S-0101", "桁あふれの指摘ID", "5.0", "2024-04-01", ""],
            ["-5", "S-0101", "負の指摘ID", "5.0", "2024-04-01", ""],
            ["", "S-0101", "長" * 301, "5.0", "2024-04-01", ""],
            ["", "S-0101", "長い診断元", "5.0", "2024-04-01", "診" * 101],
            ["", "S-0101", "長" * 300, "5.0", "2024-04-01", "診" * 100],
        ],
    )
    importer, plan = plan_for("vulnerabilities", world.users["editor_a1"], path)

    assert [(e["row"], e["column"]) for e in plan.errors] == [
        (2, "指摘ID"),
        (3, "指摘ID"),
        (4, "指摘事項"),
        (5, "診断元"),
    ]
    assert "指摘ID「99999999999999999999999」は存在しない" in plan.errors[0]["message"]
    assert plan.errors[2]["message"] == "300文字以内で入力してください（301文字あります）"
    assert plan.count(NEW) == 1
    with pytest.raises(PlanHasErrors):
        apply_plan(importer, plan)
    assert state() == before


def test_a_scanner_row_with_an_overlong_plugin_id_is_a_row_error(world, scanned, tmp_path):
    path = write_csv_rows(
        tmp_path,
        ["Plugin ID", "Name", "Host", "Port", "Protocol", "CVSS", "Risk"],
        [
            ["1" * 201, "長いプラグインID", "10.20.1.11", "443", "tcp", "5.0", "Medium"],
            ["10001", "長いポート", "10.20.1.11", "4" * 40, "tcp", "5.0", "Medium"],
        ],
    )
    importer, plan = plan_for("scanner-csv", world.users["editor_a1"], path)

    assert [(e["row"], e["column"]) for e in plan.errors] == [(2, "Plugin ID")]
    (planned,) = plan.records
    assert planned.record.key[2] == "nessus:10001:" + "4" * 30
    assert planned.record.fields["port"] == "4" * 30
