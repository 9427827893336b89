"""The security posture's pages: the coverage-gap report, the karte section and the profile form."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from karte.security import services
from karte.security.choices import Coverage, Exemption, GapReason
from karte.security.models import ProtectionProfile
from karte.security.selectors import dashboard_cards
from karte.security.tests.builders import make_system, protect, today
from karte.systems.models import System

COVERAGE = reverse("security:coverage")


def listed(response) -> dict[str, str]:
    """The report's rows on the page: system ID → row tone ("danger" for a gap)."""
    return {row[0].text: row.tone for row in response.context["table"].rows}


def exported(response) -> str:
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(str(c) for ws in book for row in ws.iter_rows(values_only=True) for c in row if c)
    return response.content.decode("utf-8-sig")


@pytest.fixture
def exempt_systems(world):
    """Three internet-facing systems of 福祉部, each exempt for a different reason."""
    systems = {}
    for code, reason in (
        ("EX-NATIONAL", Exemption.NATIONAL),
        ("EX-PRIVATE", Exemption.PRIVATE_SERVICE),
        ("EX-CLOSED", Exemption.NOT_EXPOSED),
    ):
        systems[code] = make_system(world.section_a1, code)
        protect(systems[code], exemption=reason, exemption_note="説明")
    return systems


@pytest.fixture
def spread(world):
    """A gap in each department of body A and in body B, and a covered system in 福祉部."""
    for unit, tag in ((world.section_a1, "A1"), (world.section_a2, "A2"), (world.section_b1, "B1")):
        protect(make_system(unit, f"GAP-{tag}"))
    protect(make_system(world.section_a1, "COVERED-A1"), traffic_enrolled=True)


def test_clearing_an_exemption_makes_exactly_that_system_a_gap(client, world, exempt_systems):
    from django.core.management import call_command

    client.force_login(world.users["office_a"])
    before = client.get(COVERAGE)
    assert listed(before) == dict.fromkeys(exempt_systems, "")
    assert before.context["figures"]["unaccounted_gap"] == 0

    services.save_profile(
        exempt_systems["EX-PRIVATE"], {"exemption": "", "exemption_note": ""}, user=world.users["office_a"]
    )

    after = client.get(COVERAGE)
    assert listed(after) == {"EX-PRIVATE": "danger", "EX-NATIONAL": "", "EX-CLOSED": ""}
    assert list(listed(after))[0] == "EX-PRIVATE", "gaps come first"
    figures = after.context["figures"]
    assert (figures["unaccounted_gap"], figures["exempt_private_service"]) == (1, 0)
    assert figures["gaps_by_reason"][GapReason.UNPROTECTED] == 1
    assert 'class="k-row--danger"' in after.content.decode()

    out = io.StringIO()
    call_command("report", "security", "--json", "--body", world.body_a.code, stdout=out)
    import json

    report = json.loads(out.getvalue())
    assert [gap["code"] for gap in report["gaps"]] == ["EX-PRIVATE"]
    assert report["gaps"][0]["reason"] == GapReason.UNPROTECTED
    assert report["gaps"][0]["department"] == "福祉部"
    assert (report["unaccounted_gap"], report["exempt_national"], report["exempt_not_exposed"]) == (1, 1, 1)


def test_a_stale_profile_is_a_gap_on_the_page(client, world):
    old = today() - datetime.timedelta(days=400)
    protect(make_system(world.section_a1, "STALE", internet_facing=False), confirmed_on=old)
    protect(make_system(world.section_a1, "STALE-SERVED"), traffic_enrolled=True, confirmed_on=old)
    protect(make_system(world.section_a1, "FRESH-INSIDE", internet_facing=False))
    client.force_login(world.users["viewer_a1"])

    response = client.get(COVERAGE)

    assert listed(response) == {"STALE": "danger", "STALE-SERVED": "danger"}
    assert response.context["figures"]["gaps_by_reason"][GapReason.STALE] == 2
    stale_only = client.get(COVERAGE, {"gap_reason": GapReason.STALE})
    assert set(listed(stale_only)) == {"STALE", "STALE-SERVED"}


def test_an_editor_sees_only_their_department_on_the_page_and_in_the_export(client, world, spread):
    client.force_login(world.users["editor_a1"])

    response = client.get(COVERAGE)

    assert listed(response) == {"GAP-A1": "danger", "COVERED-A1": ""}
    assert response.context["figures"]["systems"] == 2
    assert "department" not in response.context["filter_form"].fields
    for fmt in ("csv", "xlsx"):
        sheet = exported(client.get(COVERAGE, {"export": fmt}))
        assert "GAP-A1" in sheet and "COVERED-A1" in sheet, fmt
        assert "GAP-A2" not in sheet and "GAP-B1" not in sheet, fmt


def test_the_auditor_sees_the_whole_body_and_filters_by_department(client, world, spread):
    client.force_login(world.users["auditor_a"])

    response = client.get(COVERAGE)
    assert set(listed(response)) == {"GAP-A1", "GAP-A2", "COVERED-A1"}
    sheet = exported(client.get(COVERAGE, {"export": "xlsx"}))
    assert "GAP-A2" in sheet and "GAP-B1" not in sheet

    one = client.get(COVERAGE, {"department": world.dept_a2.pk})
    assert set(listed(one)) == {"GAP-A2"}
    assert one.context["figures"]["systems"] == 1
    gaps = client.get(COVERAGE, {"coverage": Coverage.GAP})
    assert set(listed(gaps)) == {"GAP-A1", "GAP-A2"}
    csv = exported(client.get(COVERAGE, {"coverage": Coverage.SERVICES, "export": "csv"}))
    assert "COVERED-A1" in csv and "GAP-A1" not in csv


def test_another_bodys_department_is_no_filter(client, world, spread):
    client.force_login(world.users["office_a"])
    response = client.get(COVERAGE, {"department": world.dept_b1.pk})
    assert response.status_code == 200
    assert listed(response) == {}
    assert response.context["filter_form"].errors
    assert "GAP-B1" not in exported(client.get(COVERAGE, {"department": world.dept_b1.pk, "export": "csv"}))


def test_the_report_pages_and_counts_a_bounded_number_of_queries(client, world):
    client.force_login(world.users["office_a"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(COVERAGE).status_code == 200
        return len(captured)

    protect(make_system(world.section_a1, "FIRST"))
    few = queries()
    for n in range(60):
        protect(make_system(world.section_a2, f"MORE-{n:02d}"))
    response = client.get(COVERAGE)
    assert len(response.context["table"].rows) == 50
    assert response.context["paginator"].count == 61
    assert queries() == few
    second = client.get(COVERAGE, {"page": 2})
    assert len(second.context["table"].rows) == 11


def test_the_karte_shows_the_profile_and_its_verdict(client, world):
    system = make_system(world.section_a1, "KARTE")
    protect(
        system,
        web_malware_enrolled=True,
        web_malware_since=datetime.date(2023, 4, 1),
        other_measures=True,
        measures_description="委託先による24時間監視MARKER",
        confirmed_on=today() - datetime.timedelta(days=500),
        confirmed_by=world.users["editor_a1"],
    )
    client.force_login(world.users["viewer_a1"])

    html = client.get(reverse("systems:system_detail", args=[system.pk])).content.decode()

    assert 'id="security"' in html
    assert "委託先による24時間監視MARKER" in html
    assert "令和5年4月1日" in html
    assert "k-badge--error" in html  # stale: a gap in red
    assert reverse("security:profile_edit", args=[system.pk]) not in html

    client.force_login(world.users["editor_a1"])
    html = client.get(reverse("systems:system_detail", args=[system.pk])).content.decode()
    assert reverse("security:profile_edit", args=[system.pk]) in html


def valid_post(**overrides) -> dict:
    data = {
        "internet_facing": "on",
        "traffic_enrolled": "on",
        "traffic_since": "2024-04-01",
        "waf": "on",
        "exemption": "",
        "exemption_note": "",
        "measures_description": "",
    }
    return {k: v for k, v in {**data, **overrides}.items() if v is not None}


def test_saving_the_profile_confirms_it_and_is_in_the_history(client, world):
    system = make_system(world.section_a1, "EDIT", internet_facing=False)
    editor = world.users["editor_a1"]
    client.force_login(editor)
    url = reverse("security:profile_edit", args=[system.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, valid_post())

    assert response.status_code == 302
    assert response.url.endswith("#security")
    profile = ProtectionProfile.objects.get(system=system)
    assert (profile.confirmed_by, profile.confirmed_on) == (editor, today())
    assert profile.traffic_enrolled and profile.traffic_since == datetime.date(2024, 4, 1) and profile.waf
    system.refresh_from_db()
    assert system.internet_facing
    assert profile.history.latest().history_user == editor
    assert system.history.latest().history_user == editor
    assert system.history.latest().internet_facing is True
    history = client.get(reverse("systems:system_history", args=[system.pk]))
    assert history.status_code == 200

    client.force_login(world.users["auditor_a"])
    trail = client.get(reverse("core:audit_trail")).content.decode()
    assert "EDIT-SYSTEM" in trail


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"traffic_enrolled": None}, "traffic_since"),
        ({"other_measures": "on"}, "measures_description"),
        ({"exemption": Exemption.NATIONAL}, "exemption_note"),
        ({"exemption": "forged"}, "exemption"),
        ({"traffic_since": "令和9999年"}, "traffic_since"),
    ],
)
def test_an_incomplete_profile_is_refused_and_changes_nothing(client, world, overrides, field):
    system = make_system(world.section_a1, "EDIT", internet_facing=False)
    client.force_login(world.users["editor_a1"])

    response = client.post(reverse("security:profile_edit", args=[system.pk]), valid_post(**overrides))

    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert not ProtectionProfile.objects.filter(system=system).exists()
    system.refresh_from_db()
    assert not system.internet_facing


@pytest.mark.parametrize(
    ("role", "status"),
    [("editor_a2", 404), ("office_b", 404), ("viewer_a1", 403), ("auditor_a", 403), ("no_role", 403)],
)
def test_a_forged_post_outside_the_scope_changes_nothing(client, world, role, status):
    system = make_system(world.section_a1, "TARGET", internet_facing=False)
    profile = protect(system, exemption=Exemption.NATIONAL, exemption_note="国", confirmed_on=today())
    before = (model_to_dict(system), model_to_dict(profile), system.history.count(), profile.history.count())
    client.force_login(world.users[role])

    response = client.post(reverse("security:profile_edit", args=[system.pk]), valid_post())

    assert response.status_code == status
    system = System.objects.get(pk=system.pk)
    profile = ProtectionProfile.objects.get(pk=profile.pk)
    after = (model_to_dict(system), model_to_dict(profile), system.history.count(), profile.history.count())
    assert after == before


def test_an_anonymous_post_goes_to_the_login(client, world):
    system = make_system(world.section_a1, "TARGET")
    response = client.post(reverse("security:profile_edit", args=[system.pk]), valid_post())
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not ProtectionProfile.objects.exists()


def test_the_dashboard_card_counts_the_gaps_the_user_may_see(world, spread):
    office, editor = world.users["office_a"], world.users["editor_a2"]
    (office_card,) = dashboard_cards(office)
    (editor_card,) = dashboard_cards(editor)
    assert (office_card["value"], editor_card["value"]) == (2, 1)
    assert office_card["url"].startswith(COVERAGE)


def test_the_navigation_leads_to_the_report(client, world):
    client.force_login(world.users["viewer_a1"])
    html = client.get(COVERAGE).content.decode()
    assert f'href="{COVERAGE}"' in html


def test_the_audit_trail_still_reads_after_a_surveyed_system_is_deleted(client, world):
    from karte.core.models import SurveyRound
    from karte.security.models import ProtectionAnswer

    survey = SurveyRound.objects.create(body=world.body_a, kind="security", name="R", fiscal_year=2025)
    system = make_system(world.section_a1, "GONE-LATER")
    answer = ProtectionAnswer(
        round=survey, system=system, unit=world.section_a1, department=world.dept_a1, waf=True
    )
    answer._history_user = world.users["office_a"]
    answer.save()
    system.delete()
    client.force_login(world.users["auditor_a"])

    response = client.get(reverse("core:audit_trail"))

    assert response.status_code == 200
    # The answer's entries name it by kind and number: the system its name came from is gone.
    assert f"#{answer.pk}" in response.content.decode()
    assert client.get(reverse("core:dashboard")).status_code == 200
