"""A small self-inspection: two sections, three questions, a system in each department of body A."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest

from karte.core import rounds
from karte.core.models import SurveyRound
from karte.inspections.models import InspectionAnswer, InspectionQuestion, InspectionSection
from karte.inspections.rounds import KIND
from karte.systems.models import System


@dataclass
class Inspection:
    s1: InspectionSection
    s2: InspectionSection
    q1: InspectionQuestion
    q2: InspectionQuestion
    q3: InspectionQuestion
    x: System  # 福祉部 (dept_a1)
    y: System  # 健康医療部 (dept_a2)


@pytest.fixture
def inspection(world) -> Inspection:
    s1 = InspectionSection.objects.create(body=world.body_a, name="アクセス制御", order=1)
    s2 = InspectionSection.objects.create(body=world.body_a, name="バックアップ", order=2)
    q1 = InspectionQuestion.objects.create(section=s1, order=1, text="利用者IDを個別に付与していますか。")
    q2 = InspectionQuestion.objects.create(section=s1, order=2, text="権限を最小限にしていますか。")
    q3 = InspectionQuestion.objects.create(
        section=s2, order=1, text="バックアップを定期的に取得していますか。"
    )
    x = System.objects.create(unit=world.section_a1, code="SYS-X", name="福祉総合システム")
    y = System.objects.create(unit=world.section_a2, code="SYS-Y", name="感染症管理システムSECRET-A2")
    return Inspection(s1, s2, q1, q2, q3, x, y)


def open_inspection(world, name="令和7年度自己点検", fiscal_year=2025, previous=None) -> SurveyRound:
    return rounds.open_round(
        user=world.users["office_a"],
        body=world.body_a,
        kind=KIND,
        name=name,
        fiscal_year=fiscal_year,
        deadline=datetime.date(fiscal_year, 9, 30),
        fields=["result", "evidence"],
        previous=previous,
    )


@pytest.fixture
def survey(world, inspection) -> SurveyRound:
    return open_inspection(world)


def answer_of(survey, system, question) -> InspectionAnswer:
    return InspectionAnswer.objects.get(round=survey, system=system, question=question)


def set_results(survey, results: dict) -> None:
    """Write results straight to the answers: {(system, question): result}."""
    for (system, question), result in results.items():
        InspectionAnswer.objects.filter(round=survey, system=system, question=question).update(result=result)
