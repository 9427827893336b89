"""The coverage rule: where each system lands in the gap report, and the survey's figures."""

from __future__ import annotations

import datetime

import pytest

from karte.security import coverage
from karte.security.choices import Coverage, Exemption, GapReason, MonitoringService
from karte.security.models import ProtectionAnswer
from karte.security.selectors import (
    coverage_figures,
    coverage_rows,
    in_report_order,
    placed_answers,
    placed_systems,
    report_rows,
)
from karte.security.tests.builders import make_system, protect, today
from karte.systems.choices import SystemStatus
from karte.systems.models import System

YEAR_AGO = datetime.timedelta(days=365)


@pytest.mark.parametrize(
    ("internet_facing", "profile", "expected"),
    [
        (True, {}, (Coverage.GAP, GapReason.UNPROTECTED)),
        (True, None, (Coverage.GAP, GapReason.UNCONFIRMED)),
        (False, None, (Coverage.GAP, GapReason.UNCONFIRMED)),
        (True, {"confirmed_on": None, "traffic_enrolled": True}, (Coverage.GAP, GapReason.UNCONFIRMED)),
        (True, {"age": YEAR_AGO + datetime.timedelta(days=1)}, (Coverage.GAP, GapReason.STALE)),
        (
            True,
            {"age": YEAR_AGO + datetime.timedelta(days=1), "traffic_enrolled": True},
            (Coverage.GAP, "stale"),
        ),
        (True, {"age": YEAR_AGO, "traffic_enrolled": True}, (Coverage.SERVICES, "")),
        (False, {}, (Coverage.NOT_EXPOSED, "")),
        (True, {"traffic_enrolled": True, "waf": True}, (Coverage.SERVICES, "")),
        (True, {"edr": True, "exemption": Exemption.NATIONAL}, (Coverage.OWN_MEASURES, "")),
        (True, {"exemption": Exemption.PRIVATE_SERVICE}, (Coverage.EXEMPT, "")),
    ],
)
def test_each_system_lands_in_one_place(world, internet_facing, profile, expected):
    system = make_system(world.section_a1, "ONE", internet_facing=internet_facing)
    if profile is not None:
        fields = dict(profile)
        age = fields.pop("age", datetime.timedelta(0))
        if "confirmed_on" in fields and fields["confirmed_on"] is None:
            from karte.security.models import ProtectionProfile

            ProtectionProfile.objects.create(system=system, **fields)
        else:
            protect(system, confirmed_on=today() - age, **fields)
    (row,) = coverage_rows(placed_systems(System.objects.all(), today()))
    assert (row.verdict.coverage, row.verdict.gap_reason) == expected
    assert row.verdict.is_gap == (expected[0] == Coverage.GAP)


def test_a_survey_round_is_read_as_answered_without_a_freshness_check(world):
    from karte.core.models import SurveyRound

    survey = SurveyRound.objects.create(body=world.body_a, kind="security", name="R", fiscal_year=2020)
    for code, fields in (("ANSWERED", {"response_enrolled": True}), ("BARE", {})):
        ProtectionAnswer.objects.create(
            round=survey,
            system=make_system(world.section_a1, code),
            unit=world.section_a1,
            department=world.dept_a1,
            internet_facing=True,
            **fields,
        )
    rows = coverage_rows(in_report_order(placed_answers(ProtectionAnswer.objects.all())))
    assert [(r.code, r.verdict.coverage, r.verdict.gap_reason) for r in rows] == [
        ("BARE", Coverage.GAP, GapReason.UNPROTECTED),
        ("ANSWERED", Coverage.SERVICES, ""),
    ]


def place(rows) -> dict[str, tuple[str, str]]:
    return {r.code: (r.verdict.coverage, r.verdict.gap_reason) for r in rows}


def test_profiles_are_placed_by_the_rule_gaps_first(world):
    long_ago = today() - datetime.timedelta(days=400)
    protect(make_system(world.section_a1, "SERVICES"), traffic_enrolled=True)
    protect(make_system(world.section_a1, "OWN"), waf=True)
    protect(make_system(world.section_a1, "EXEMPT"), exemption=Exemption.NATIONAL, exemption_note="国が運用")
    protect(make_system(world.section_a2, "BARE"))
    make_system(world.section_a2, "NEVER", internet_facing=False)
    protect(make_system(world.section_a1, "OLD", internet_facing=False), confirmed_on=long_ago)
    protect(make_system(world.section_a1, "INSIDE", internet_facing=False))
    protect(make_system(world.section_a1, "GONE", status=SystemStatus.RETIRED))

    from karte.security.selectors import systems_for_coverage

    placed = in_report_order(placed_systems(systems_for_coverage(world.users["office_a"]), today()))
    rows = coverage_rows(placed)

    assert place(rows) == {
        "SERVICES": (Coverage.SERVICES, ""),
        "OWN": (Coverage.OWN_MEASURES, ""),
        "EXEMPT": (Coverage.EXEMPT, ""),
        "BARE": (Coverage.GAP, GapReason.UNPROTECTED),
        "NEVER": (Coverage.GAP, GapReason.UNCONFIRMED),
        "OLD": (Coverage.GAP, GapReason.STALE),
        "INSIDE": (Coverage.NOT_EXPOSED, ""),
    }
    assert [r.verdict.is_gap for r in rows] == [True] * 3 + [False] * 4
    # The report lists the internet-facing systems and every gap; a confirmed inside system is not listed.
    assert {r.code for r in coverage_rows(report_rows(placed))} == {
        "SERVICES",
        "OWN",
        "EXEMPT",
        "BARE",
        "NEVER",
        "OLD",
    }


def test_the_figures_count_as_the_survey_did(world):
    protect(make_system(world.section_a1, "S1"), traffic_enrolled=True)
    protect(make_system(world.section_a1, "M1"), edr=True)
    protect(make_system(world.section_a1, "M2"), other_measures=True, measures_description="委託先SOC")
    protect(make_system(world.section_a1, "N1"), exemption=Exemption.NATIONAL, exemption_note="国")
    protect(make_system(world.section_a1, "P1"), exemption=Exemption.PRIVATE_SERVICE, exemption_note="民間")
    protect(make_system(world.section_a1, "P2"), exemption=Exemption.PRIVATE_SERVICE, exemption_note="民間")
    protect(make_system(world.section_a1, "X1"), exemption=Exemption.NOT_EXPOSED, exemption_note="閉域")
    protect(make_system(world.section_a1, "G1"))
    protect(make_system(world.section_a1, "I1", internet_facing=False))
    make_system(world.section_a1, "U1", internet_facing=False)

    figures = coverage_figures(placed_systems(System.objects.all(), today()))

    assert figures["systems"] == 10
    assert figures["internet_exposed"] == 8
    assert figures["exposed_not_enrolled"] == 7
    assert figures["own_measures_among_not_enrolled"] == 2
    assert (figures["exempt_national"], figures["exempt_private_service"], figures["exempt_not_exposed"]) == (
        1,
        2,
        1,
    )
    assert figures["unaccounted_gap"] == 2
    assert figures["gaps_by_reason"] == {
        GapReason.UNPROTECTED: 1,
        GapReason.UNCONFIRMED: 1,
        GapReason.STALE: 0,
        GapReason.NO_TARGET: 0,
    }
    assert figures["by_coverage"][Coverage.EXEMPT] == 4


@pytest.fixture
def watched_only():
    """A fake web-malware monitoring module that watches only the systems in `watched`."""
    watched: set[int] = set()

    def finder():
        return System.objects.filter(pk__in=watched).values("pk")

    coverage.register_target_finder(MonitoringService.WEB_MALWARE, finder)
    try:
        yield watched
    finally:
        coverage.unregister_target_finder(MonitoringService.WEB_MALWARE)


def test_a_service_module_flags_an_enrolled_system_it_does_not_watch(world, watched_only):
    watched = watched_only
    seen = make_system(world.section_a1, "WATCHED")
    unseen = make_system(world.section_a1, "UNWATCHED")
    protect(seen, web_malware_enrolled=True)
    protect(unseen, web_malware_enrolled=True)
    # The traffic service has no module installed here: it is not checked.
    protect(make_system(world.section_a1, "TRAFFIC"), traffic_enrolled=True)
    watched.add(seen.pk)

    rows = coverage_rows(placed_systems(System.objects.all(), today()))

    assert place(rows) == {
        "UNWATCHED": (Coverage.GAP, GapReason.NO_TARGET),
        "WATCHED": (Coverage.SERVICES, ""),
        "TRAFFIC": (Coverage.SERVICES, ""),
    }
    # Also covered by its own measures, an unwatched enrolment is still flagged.
    protect(make_system(world.section_a1, "UNWATCHED-WAF"), web_malware_enrolled=True, waf=True)
    assert place(coverage_rows(placed_systems(System.objects.filter(code="UNWATCHED-WAF"), today()))) == {
        "UNWATCHED-WAF": (Coverage.GAP, GapReason.NO_TARGET)
    }


def test_without_the_module_the_same_system_is_covered(world):
    protect(make_system(world.section_a1, "UNWATCHED"), web_malware_enrolled=True)
    assert place(coverage_rows(placed_systems(System.objects.all(), today()))) == {
        "UNWATCHED": (Coverage.SERVICES, "")
    }
