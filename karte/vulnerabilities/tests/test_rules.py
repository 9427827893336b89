"""Severity from the CVSS score, and the deadline from the severity."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from karte.vulnerabilities.choices import FindingStatus, Severity, default_due_on, severity_for_cvss
from karte.vulnerabilities.models import split_cves
from karte.vulnerabilities.tests.helpers import make_finding, make_system

FOUND = datetime.date(2024, 4, 1)


@pytest.mark.parametrize(
    ("score", "severity"),
    [
        ("0.0", Severity.NONE),
        ("0.1", Severity.LOW),
        ("3.9", Severity.LOW),
        ("4.0", Severity.MEDIUM),
        ("6.9", Severity.MEDIUM),
        ("7.0", Severity.HIGH),
        ("8.9", Severity.HIGH),
        ("9.0", Severity.CRITICAL),
        ("10.0", Severity.CRITICAL),
    ],
)
def test_the_severity_follows_the_cvss_v3_bands_at_their_boundaries(score, severity):
    assert severity_for_cvss(Decimal(score)) == severity


@pytest.mark.parametrize(
    ("severity", "due"),
    [
        (Severity.CRITICAL, datetime.date(2024, 4, 15)),
        (Severity.HIGH, datetime.date(2024, 5, 1)),
        (Severity.MEDIUM, datetime.date(2024, 6, 30)),
        (Severity.LOW, datetime.date(2024, 9, 28)),
        (Severity.NONE, None),
    ],
)
def test_the_default_due_date_is_14_30_90_or_180_days_after_the_finding(severity, due):
    assert default_due_on(severity, FOUND) == due


def test_a_saved_finding_takes_its_severity_and_deadline_from_the_score(world):
    system = make_system(world.section_a1, "S-1")

    finding = make_finding(system, "古い OpenSSL", cvss="8.9", found_on=FOUND)

    assert finding.severity == Severity.HIGH
    assert finding.due_on == datetime.date(2024, 5, 1)


def test_a_given_severity_and_due_date_are_kept_and_a_derived_one_follows_the_score(world):
    system = make_system(world.section_a1, "S-1")
    pinned = make_finding(
        system, "指定あり", cvss="3.9", severity=Severity.HIGH, due_on=datetime.date(2024, 12, 31)
    )
    derived = make_finding(system, "指定なし", cvss="3.9")
    assert (pinned.severity, pinned.due_on) == (Severity.HIGH, datetime.date(2024, 12, 31))
    assert (derived.severity, derived.due_on) == (Severity.LOW, datetime.date(2024, 9, 28))

    from karte.vulnerabilities.services import clear_derived, save_finding

    for finding in (pinned, derived):
        clear_derived(finding)
        finding.cvss = Decimal("9.0")
        save_finding(finding)

    assert (pinned.severity, pinned.due_on) == (Severity.HIGH, datetime.date(2024, 12, 31))
    assert (derived.severity, derived.due_on) == (Severity.CRITICAL, datetime.date(2024, 4, 15))


def test_the_status_is_overdue_only_after_the_due_date_and_fixed_once_a_fix_is_dated(world):
    system = make_system(world.section_a1, "S-1")
    finding = make_finding(system, "期限テスト", cvss="9.8", found_on=FOUND)  # due 2024-04-15

    assert finding.status_on(datetime.date(2024, 4, 15)) == FindingStatus.OPEN
    assert finding.status_on(datetime.date(2024, 4, 16)) == FindingStatus.OVERDUE
    finding.fixed_on = datetime.date(2024, 5, 1)
    assert finding.status_on(datetime.date(2024, 6, 1)) == FindingStatus.FIXED


def test_cve_ids_are_read_in_any_common_separator_and_other_text_is_refused():
    ids, bad = split_cves("cve-2021-44228、CVE-2021-45046 ,ＣＶＥ－２０２１－４４２２８; MS17-010")

    assert ids == ["CVE-2021-44228", "CVE-2021-45046"]
    assert bad == ["MS17-010"]
