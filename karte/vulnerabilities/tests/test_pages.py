"""The findings' pages as people meet them: lists, overdue list, karte section, forms, roles."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from karte.vulnerabilities.choices import Severity
from karte.vulnerabilities.models import Finding, Host
from karte.vulnerabilities.tests.helpers import make_finding, make_host, make_system

TODAY = timezone.localdate()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def findings(world):
    """Findings of a 福祉部 and a 健康医療部 system: overdue (long and just), open, fixed."""
    a1 = make_system(world.section_a1, "S-A1", "福祉総合システム")
    a2 = make_system(world.section_a2, "S-A2", "健康管理システム")
    b1 = make_system(world.section_b1, "S-B1", "他団体システム")
    host_a1 = make_host(a1, "10.20.1.11", "web01")
    host_a2 = make_host(a2, "10.30.1.11", "web02")
    return {
        "long_overdue": make_finding(a1, "OVERDUE-LONG", cvss="9.8", found_on=days(-60), host=host_a1),
        "just_overdue": make_finding(a2, "OVERDUE-JUST", cvss="7.5", found_on=days(-31), host=host_a2),
        "open": make_finding(a1, "OPEN-A1", cvss="5.0", found_on=days(-10)),
        "fixed": make_finding(a1, "FIXED-A1", cvss="9.8", found_on=days(-60), fixed_on=days(-50)),
        "open_a2": make_finding(a2, "OPEN-A2", cvss="3.0", found_on=days(-1)),
        "other_body": make_finding(b1, "OVERDUE-B1", cvss="9.8", found_on=days(-60)),
        "hosts": (host_a1, host_a2),
        "systems": (a1, a2, b1),
    }


def titles(response) -> list[str]:
    assert response.status_code == 200
    return [row[0].text for row in response.context["table"].rows]


def test_the_list_shows_overdue_first_in_red_then_open_then_fixed(client, world, findings):
    client.force_login(world.users["office_a"])

    response = client.get(reverse("vulnerabilities:finding_list"))

    assert titles(response) == ["OVERDUE-LONG", "OVERDUE-JUST", "OPEN-A1", "OPEN-A2", "FIXED-A1"]
    tones = [row.tone for row in response.context["table"].rows]
    assert tones == ["danger", "danger", "", "", ""]
    assert 'class="k-row--danger"' in response.content.decode()
    assert "自動的に対応済にはなりません" in response.content.decode() or "not closed automatically" in (
        response.content.decode()
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=overdue", ["OVERDUE-LONG", "OVERDUE-JUST"]),
        ("status=open", ["OPEN-A1", "OPEN-A2"]),
        ("status=fixed", ["FIXED-A1"]),
        ("status=not_fixed&severity=critical", ["OVERDUE-LONG"]),
        ("severity=medium", ["OPEN-A1"]),
    ],
)
def test_the_list_filters_by_status_and_severity(client, world, findings, query, expected):
    client.force_login(world.users["office_a"])

    assert titles(client.get(reverse("vulnerabilities:finding_list") + "?" + query)) == expected


def test_the_list_filters_by_department_and_system(client, world, findings):
    client.force_login(world.users["office_a"])
    url = reverse("vulnerabilities:finding_list")
    a1, a2, _b1 = findings["systems"]

    assert titles(client.get(f"{url}?department={world.dept_a2.pk}")) == ["OVERDUE-JUST", "OPEN-A2"]
    assert titles(client.get(f"{url}?system={a1.pk}")) == ["OVERDUE-LONG", "OPEN-A1", "FIXED-A1"]


def test_an_editor_sees_only_their_departments_findings_and_hosts(client, world, findings):
    client.force_login(world.users["editor_a1"])
    url = reverse("vulnerabilities:finding_list")

    assert titles(client.get(url)) == ["OVERDUE-LONG", "OPEN-A1", "FIXED-A1"]
    csv_text = client.get(url + "?export=csv").content.decode("utf-8-sig")
    assert "OVERDUE-LONG" in csv_text and "OVERDUE-JUST" not in csv_text and "OPEN-A2" not in csv_text
    book = openpyxl.load_workbook(io.BytesIO(client.get(url + "?export=xlsx").content))
    cells = {str(c) for row in book.active.iter_rows(values_only=True) for c in row}
    assert "OPEN-A1" in cells and "OPEN-A2" not in cells
    a2_finding = findings["just_overdue"]
    assert client.get(reverse("vulnerabilities:finding_detail", args=[a2_finding.pk])).status_code == 404
    assert client.get(reverse("vulnerabilities:finding_history", args=[a2_finding.pk])).status_code == 404
    host_a1, host_a2 = findings["hosts"]
    host_list = client.get(reverse("vulnerabilities:host_list")).content.decode()
    assert "web01" in host_list and "web02" not in host_list
    assert client.get(reverse("vulnerabilities:host_detail", args=[host_a2.pk])).status_code == 404
    assert client.get(reverse("vulnerabilities:host_detail", args=[host_a1.pk])).status_code == 200


def test_an_auditor_reads_every_finding_of_the_body_with_its_history(client, world, findings):
    finding = findings["just_overdue"]
    finding.remediation_plan = "保守事業者に修正パッチ適用を依頼済"
    finding._history_user = world.users["editor_a2"]
    finding.save()
    client.force_login(world.users["auditor_a"])

    listed = titles(client.get(reverse("vulnerabilities:finding_list")))
    history = client.get(reverse("vulnerabilities:finding_history", args=[finding.pk]))

    assert set(listed) == {"OVERDUE-LONG", "OVERDUE-JUST", "OPEN-A1", "FIXED-A1", "OPEN-A2"}
    assert history.status_code == 200
    assert "保守事業者に修正パッチ適用を依頼済" in history.content.decode()
    assert "editor_a2" in history.content.decode()
    detail = client.get(reverse("vulnerabilities:finding_detail", args=[finding.pk]))
    assert detail.context["edit_url"] is None


def test_the_overdue_list_names_the_departments_to_chase_oldest_first(client, world, findings):
    client.force_login(world.users["auditor_a"])

    response = client.get(reverse("vulnerabilities:overdue"))

    rows = response.context["table"].rows
    assert [row[7].text for row in rows] == ["OVERDUE-LONG", "OVERDUE-JUST"]
    assert [row[2].text for row in rows] == ["福祉部", "健康医療部"]
    assert rows[0][1].text == "46"  # due 14 days after a finding 60 days ago
    assert [(r["system__unit__department__name"], r["n"]) for r in response.context["by_department"]] == [
        ("福祉部", 1),
        ("健康医療部", 1),
    ]
    exported = client.get(reverse("vulnerabilities:overdue") + "?export=csv").content.decode("utf-8-sig")
    assert "OVERDUE-LONG" in exported and "OPEN-A1" not in exported and "OVERDUE-B1" not in exported


def test_the_overdue_list_of_an_editor_is_their_departments(client, world, findings):
    client.force_login(world.users["editor_a2"])

    rows = client.get(reverse("vulnerabilities:overdue")).context["table"].rows

    assert [row[7].text for row in rows] == ["OVERDUE-JUST"]


def test_the_dashboard_counts_the_overdue_findings_the_user_may_see(client, world, findings):
    for role, expected in (("office_a", 2), ("editor_a1", 1), ("office_b", 1)):
        client.force_login(world.users[role])
        cards = client.get(reverse("core:dashboard")).context["module_cards"]
        card = next(c for c in cards if c["url"] == reverse("vulnerabilities:overdue"))
        assert card["value"] == expected, role


def test_the_karte_shows_the_systems_hosts_and_unfixed_findings_by_severity(client, world, findings):
    a1, _a2, _b1 = findings["systems"]
    client.force_login(world.users["viewer_a1"])

    response = client.get(reverse("systems:system_detail", args=[a1.pk]))

    html = response.content.decode()
    assert 'id="vulnerabilities"' in html
    assert "web01" in html and "web02" not in html
    section = next(
        s for s in response.context["karte_sections"] if s["template"].startswith("vulnerabilities/")
    )
    counts = {row["severity"]: row["count"] for row in section["by_severity"]}
    assert counts == {"critical": 1, "high": 0, "medium": 1, "low": 0, "none": 0}
    link = next(row["url"] for row in section["by_severity"] if row["severity"] == "critical")
    assert titles(client.get(link)) == ["OVERDUE-LONG"]
    assert section["overdue"] == 1
    assert section["host_add_url"] is None  # a viewer adds nothing


def test_an_editor_adds_a_host_and_a_finding_from_the_karte(client, world, findings):
    a1, _a2, _b1 = findings["systems"]
    client.force_login(world.users["editor_a1"])
    add_host = client.get(reverse("vulnerabilities:host_add") + f"?system={a1.pk}")
    assert add_host.context["form"].initial == {"system": a1.pk}

    response = client.post(
        reverse("vulnerabilities:host_add"),
        {"system": a1.pk, "ip": "10.20.1.40", "hostname": " AP03.Pref.Example. "},
    )

    host = Host.objects.get(ip="10.20.1.40")
    assert response["Location"] == f"{a1.get_absolute_url()}#vulnerabilities"
    assert host.hostname == "ap03.pref.example"
    response = client.post(
        reverse("vulnerabilities:finding_add"),
        {
            "system": a1.pk,
            "host": host.pk,
            "title": "管理画面へのアクセス制限なし",
            "cve": "cve-2024-1234, CVE-2024-5678",
            "cvss": "7.0",
            "found_on": "2024-06-01",
        },
    )
    finding = Finding.objects.get(title="管理画面へのアクセス制限なし")
    assert response.status_code == 302
    assert (finding.severity, finding.due_on) == (Severity.HIGH, datetime.date(2024, 7, 1))
    assert finding.cve == "CVE-2024-1234, CVE-2024-5678"
    assert finding.history.get().history_user == world.users["editor_a1"]


def test_a_changed_score_moves_a_derived_severity_and_deadline_on_the_edit_page(client, world, findings):
    finding = findings["open"]
    client.force_login(world.users["editor_a1"])
    form = client.get(reverse("vulnerabilities:finding_edit", args=[finding.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["cvss"] = "9.0"

    response = client.post(reverse("vulnerabilities:finding_edit", args=[finding.pk]), data)

    assert response.status_code == 302
    finding.refresh_from_db()
    assert (finding.severity, finding.due_on) == (
        Severity.CRITICAL,
        finding.found_on + datetime.timedelta(days=14),
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cve": "CVE-2024-1, MS17-010"}, "cve"),
        ({"cvss": "10.1"}, "cvss"),
        ({"cvss": "", "severity": ""}, "severity"),
        ({"fixed_on": "2000-01-01"}, "fixed_on"),
    ],
)
def test_bad_finding_input_is_refused_with_a_message_and_changes_nothing(
    client, world, findings, change, field
):
    finding = findings["open"]
    client.force_login(world.users["editor_a1"])
    form = client.get(reverse("vulnerabilities:finding_edit", args=[finding.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None} | change
    before = model_to_dict(finding)

    response = client.post(reverse("vulnerabilities:finding_edit", args=[finding.pk]), data)

    assert response.status_code == 400
    assert field in response.context["form"].errors
    finding.refresh_from_db()
    assert model_to_dict(finding) == before


def test_forged_posts_into_another_department_change_nothing(client, world, findings):
    _a1, a2, _b1 = findings["systems"]
    host_a1, host_a2 = findings["hosts"]
    own, theirs = findings["open"], findings["just_overdue"]
    client.force_login(world.users["editor_a1"])
    counts = (Finding.objects.count(), Host.objects.count(), Finding.history.count(), Host.history.count())

    base = {"title": "FORGED", "cvss": "5.0", "found_on": "2024-06-01"}
    assert client.post(reverse("vulnerabilities:finding_add"), base | {"system": a2.pk}).status_code == 400
    assert (
        client.post(
            reverse("vulnerabilities:finding_edit", args=[theirs.pk]), base | {"system": a2.pk}
        ).status_code
        == 404
    )
    assert client.post(reverse("vulnerabilities:finding_delete", args=[theirs.pk])).status_code == 404
    # Their host on my finding, or my finding moved to their system.
    moved = base | {"system": own.system_id, "host": host_a2.pk}
    assert client.post(reverse("vulnerabilities:finding_edit", args=[own.pk]), moved).status_code == 400
    assert (
        client.post(reverse("vulnerabilities:host_add"), {"system": a2.pk, "ip": "10.9.9.9"}).status_code
        == 400
    )
    assert (
        client.post(
            reverse("vulnerabilities:host_edit", args=[host_a2.pk]), {"system": a2.pk, "ip": "10.9.9.9"}
        ).status_code
        == 404
    )
    assert client.post(reverse("vulnerabilities:host_delete", args=[host_a2.pk])).status_code == 404
    client.force_login(world.users["viewer_a1"])
    assert client.post(reverse("vulnerabilities:host_delete", args=[host_a1.pk])).status_code == 403

    assert (
        Finding.objects.count(),
        Host.objects.count(),
        Finding.history.count(),
        Host.history.count(),
    ) == counts
    own.refresh_from_db()
    assert own.title == "OPEN-A1" and own.host_id is None


def test_a_host_needs_an_address_or_a_name_unique_in_its_system(client, world, findings):
    a1, _a2, _b1 = findings["systems"]
    client.force_login(world.users["editor_a1"])
    url = reverse("vulnerabilities:host_add")

    empty = client.post(url, {"system": a1.pk})
    same_ip = client.post(url, {"system": a1.pk, "ip": "10.20.1.11"})
    same_name = client.post(url, {"system": a1.pk, "hostname": "WEB01"})
    bad_name = client.post(url, {"system": a1.pk, "hostname": "web 01/x"})

    assert [r.status_code for r in (empty, same_ip, same_name, bad_name)] == [400] * 4
    assert empty.context["form"].non_field_errors()
    assert "ip" in same_ip.context["form"].errors
    assert "hostname" in same_name.context["form"].errors
    assert "hostname" in bad_name.context["form"].errors
    assert Host.objects.filter(system=a1).count() == 1


def test_a_host_with_findings_is_not_deleted_but_its_system_still_can_be(client, world, findings):
    host_a1, _host_a2 = findings["hosts"]
    client.force_login(world.users["editor_a1"])

    response = client.post(reverse("vulnerabilities:host_delete", args=[host_a1.pk]))

    assert response.status_code == 302
    assert Host.objects.filter(pk=host_a1.pk).exists()
    client.post(reverse("systems:system_delete", args=[host_a1.system_id]))
    assert not Host.objects.filter(pk=host_a1.pk).exists()
    assert not Finding.objects.filter(system_id=host_a1.system_id).exists()
