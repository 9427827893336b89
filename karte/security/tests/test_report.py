"""`karte report security`: the coverage figures and the gaps of a body, for scripts and checks."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from karte.security.choices import Exemption, GapReason
from karte.security.tests.builders import make_system, protect


def report(*args) -> str:
    out = io.StringIO()
    call_command("report", "security", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def body_a_systems(world):
    protect(make_system(world.section_a1, "A1-GAP"))
    protect(make_system(world.section_a1, "A1-OWN"), ips_ids=True)
    make_system(world.section_a2, "A2-NEVER", internet_facing=False)
    protect(make_system(world.section_a2, "A2-EXEMPT"), exemption=Exemption.NATIONAL, exemption_note="国")
    protect(make_system(world.section_b1, "B1-GAP"))


def test_the_json_holds_the_body_figures_and_its_gaps(world, body_a_systems):
    figures = json.loads(report("--json", "--body", world.body_a.code))

    assert figures["body"] == world.body_a.code
    assert (figures["systems"], figures["internet_exposed"], figures["unaccounted_gap"]) == (4, 3, 2)
    assert (figures["own_measures_among_not_enrolled"], figures["exempt_national"]) == (1, 1)
    assert figures["gaps_by_reason"][GapReason.UNCONFIRMED] == 1
    assert sorted((g["code"], g["department"], g["reason"]) for g in figures["gaps"]) == [
        ("A1-GAP", "福祉部", GapReason.UNPROTECTED),
        ("A2-NEVER", "健康医療部", GapReason.UNCONFIRMED),
    ]


def test_a_department_reads_its_own_gaps(world, body_a_systems):
    figures = json.loads(report("--json", "--body", world.body_a.code, "--department", world.dept_a2.code))
    assert figures["department"] == world.dept_a2.code
    assert [g["code"] for g in figures["gaps"]] == ["A2-NEVER"]
    assert figures["systems"] == 2


def test_the_text_lists_the_gaps_to_chase(world, body_a_systems):
    text = report("--body", world.body_a.code)
    assert "未対応（ギャップ）: 2" in text
    assert "A1-GAP A1-GAP-SYSTEM（福祉部）" in text
    assert "B1-GAP" not in text


def test_several_bodies_need_a_body_code(world):
    with pytest.raises(CommandError):
        report("--json")
