"""Records of this app for tests/test_role_matrix.py: who may see and change what."""

from __future__ import annotations

import datetime

from django.core.files.base import ContentFile
from django.utils import timezone

from karte.core.models import SurveyRound
from karte.inspections.models import (
    FollowUpAction,
    InspectionAnswer,
    InspectionEvidence,
    InspectionQuestion,
    InspectionSection,
)
from karte.inspections.rounds import KIND
from karte.systems.models import System

PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
CORNERS = (("section_a1", "A1"), ("section_a2", "A2"), ("section_b1", "B1"))


def section_samples(world):
    return [
        InspectionSection.objects.create(body=world.body_a, name="KARTE-SECTION-A", order=1),
        InspectionSection.objects.create(body=world.body_b, name="KARTE-SECTION-B", order=1),
    ]


def question_samples(world):
    questions = []
    for body, tag in ((world.body_a, "A"), (world.body_b, "B")):
        section = InspectionSection.objects.create(body=body, name=f"QSECTION-{tag}", order=2)
        questions.append(
            InspectionQuestion.objects.create(section=section, order=1, text=f"KARTE-QUESTION-{tag}")
        )
    return questions


def action_samples(world):
    due = timezone.localdate() + datetime.timedelta(days=30)
    actions = []
    for attribute, tag in CORNERS:
        unit = getattr(world, attribute)
        system = System.objects.create(unit=unit, code=f"FA-{tag}", name=f"ACTED-{tag}")
        actions.append(
            FollowUpAction.objects.create(
                unit=unit,
                system=system,
                description=f"KARTE-ACTION-{tag}",
                person_in_charge=f"担当{tag}",
                due_on=due,
            )
        )
    return actions


def evidence_samples(world):
    """One evidence file (a small PDF) per corner of the world, on an answer of a round of its body."""
    files = []
    surveys, questions = {}, {}
    for attribute, tag in CORNERS:
        unit = getattr(world, attribute)
        body = unit.body
        if body.pk not in surveys:
            surveys[body.pk] = SurveyRound.objects.create(
                body=body, kind=KIND, name=f"EVIDENCE-ROUND-{body.code}", fiscal_year=2025
            )
            section = InspectionSection.objects.create(body=body, name=f"ESECTION-{body.code}", order=3)
            questions[body.pk] = InspectionQuestion.objects.create(
                section=section, text=f"EQUESTION-{body.code}"
            )
        system = System.objects.create(unit=unit, code=f"EV-{tag}", name=f"EVIDENCED-{tag}")
        answer = InspectionAnswer.objects.create(
            round=surveys[body.pk],
            system=system,
            question=questions[body.pk],
            unit=unit,
            department=unit.department,
            result="implemented",
        )
        evidence = InspectionEvidence(answer=answer, original_name=f"KARTE-EVIDENCE-{tag}.pdf")
        evidence.file.save("evidence.pdf", ContentFile(PDF_BYTES), save=False)
        evidence.save()
        files.append(evidence)
    return files


SAMPLES = {
    InspectionSection: section_samples,
    InspectionQuestion: question_samples,
    FollowUpAction: action_samples,
    InspectionEvidence: evidence_samples,
}
SPECIAL_PAGES = {
    "inspections:results": "members",
    # Pages of one round: walked by karte/inspections/tests/test_answering.py for every role.
    "inspections:round_answers": "round",
    "inspections:system_answers": "round",
    "inspections:round_submit": "post-only",
    "inspections:evidence_download": ("record", InspectionEvidence),
    "inspections:evidence_delete": "post-only",
    "inspections:install_defaults": "post-only",
}
OFFICE_ADDS = {InspectionSection, InspectionQuestion}
