"""Changes to the self-inspection: the question set, answers and their evidence, follow-up actions.

Every answer change goes through `core.rounds.ensure_answerable`, so a closed round, or a department's
submitted answer, never changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from karte.core import rounds
from karte.core.fiscal import fiscal_year_of, format_fiscal_year
from karte.core.models import OrgUnit
from karte.inspections.choices import InspectionResult
from karte.inspections.defaults import DEFAULT_SECTIONS
from karte.inspections.models import (
    FollowUpAction,
    InspectionAnswer,
    InspectionEvidence,
    InspectionQuestion,
    InspectionSection,
)
from karte.inspections.rounds import KIND

# The demo's answers to last year's self-inspection, by (system code, question number) mod 10: mostly
# implemented, some partly, a few not, now and then not applicable.
DEMO_RESULTS = [InspectionResult.IMPLEMENTED] * 6 + [
    InspectionResult.PARTLY,
    InspectionResult.PARTLY,
    InspectionResult.NOT_IMPLEMENTED,
    InspectionResult.NOT_APPLICABLE,
]


@transaction.atomic
def install_demo_questions(office_user) -> None:
    """The demo prefecture: the default question set and last year's self-inspection, answered and closed,
    so that this year's round (opened by core.demo) starts from it (core.demo calls this)."""
    body = office_user.membership.unit.body
    install_default_questions(body, office_user)
    last_year = fiscal_year_of(timezone.localdate()) - 1
    survey = rounds.open_round(
        user=office_user,
        body=body,
        kind=KIND,
        name=f"{format_fiscal_year(last_year, 'ja')}自己点検",
        fiscal_year=last_year,
        deadline=None,
        fields=[field for field, _label in rounds.round_kind(KIND).answer_fields],
    )
    answers = list(InspectionAnswer.objects.filter(round=survey).select_related("system", "question"))
    for answer in answers:
        pick = sum(map(ord, answer.system.code)) * 7 + answer.question.order * 3 + answer.question.section_id
        answer.result = DEMO_RESULTS[pick % len(DEMO_RESULTS)]
        answer.answered_on = timezone.localdate()
    InspectionAnswer.objects.bulk_update(answers, ["result", "answered_on"])
    rounds.close_round(survey, office_user)


def install_default_questions(body: OrgUnit, user) -> int:
    """Add the default sections and questions the body does not have yet; return how many questions.

    Idempotent: a default the body already has (even renamed, edited, moved or made inactive) is left
    as the office made it.
    """
    sections = {s.default_key: s for s in InspectionSection.objects.filter(body=body).exclude(default_key="")}
    by_name = {s.name: s for s in InspectionSection.objects.filter(body=body)}
    have = set(
        InspectionQuestion.objects.filter(section__body=body)
        .exclude(default_key="")
        .values_list("default_key", flat=True)
    )
    next_order = (max((s.order for s in by_name.values()), default=0) // 10) * 10
    created = 0
    for default in DEFAULT_SECTIONS:
        section = sections.get(default.key) or by_name.get(default.name)
        if section is None:
            next_order += 10
            section = InspectionSection(
                body=body, name=default.name, order=next_order, default_key=default.key
            )
            section._history_user = user
            section.save()
        last = max(section.questions.values_list("order", flat=True), default=0)
        for question in default.questions:
            if question.key in have:
                continue
            last += 10
            record = InspectionQuestion(
                section=section,
                order=last,
                text=question.text,
                guidance=question.guidance,
                default_key=question.key,
            )
            record._history_user = user
            record.save()
            created += 1
    return created


@dataclass
class AnswerChange:
    """What the questionnaire form asks to change in one answer; `upload` is a cleaned AttachmentField."""

    answer: InspectionAnswer
    result: str
    evidence: str
    upload: UploadedFile | None = None


@transaction.atomic
def save_answers(answers: Iterable[InspectionAnswer], changes: Iterable[AnswerChange], user) -> int:
    """Save one system's answers while the round lets its department answer; return the answers changed.

    RoundRefused (before anything is written) when the round is closed or the answer submitted.
    """
    answers = list(answers)
    changes = list(changes)
    if not answers:
        return 0
    survey = answers[0].round
    checked = set()
    participations = {}
    for answer in answers:
        if answer.department_id not in checked:
            participations[answer.department_id] = rounds.ensure_answerable(
                survey, answer.department_id, user
            )
            checked.add(answer.department_id)
    known = {a.pk for a in answers}
    today = timezone.localdate()
    changed = 0
    for change in changes:
        answer = change.answer
        if answer.pk not in known:
            continue
        touched = False
        if (answer.result, answer.evidence) != (change.result, change.evidence):
            answer.result = change.result
            answer.evidence = change.evidence
            touched = True
        if change.upload is not None:
            add_evidence(answer, change.upload, user)
            touched = True
        if touched:
            answer.answered_by = user
            answer.answered_on = today
            answer._history_user = user
            answer.save()
            changed += 1
    if changed:
        for participation in participations.values():
            rounds.mark_answering(participation)
    return changed


def add_evidence(answer: InspectionAnswer, upload: UploadedFile, user) -> InspectionEvidence:
    """Keep an uploaded file (already checked by AttachmentField) as evidence of the answer."""
    evidence = InspectionEvidence(
        answer=answer,
        original_name=getattr(upload, "original_name", upload.name)[:255],
        uploaded_by=user,
    )
    evidence.file.save(upload.name, upload, save=False)
    evidence._history_user = user
    evidence.save()
    return evidence


@transaction.atomic
def delete_evidence(evidence: InspectionEvidence, user) -> None:
    """Remove an evidence file while its answer may still change; RoundRefused otherwise."""
    answer = evidence.answer
    rounds.ensure_answerable(answer.round, answer.department_id, user)
    stored = evidence.file
    storage, name = stored.storage, stored.name
    evidence._history_user = user
    evidence.delete()
    # The file goes only once the deletion is committed; a rolled-back delete keeps it.
    transaction.on_commit(lambda: storage.delete(name))


def save_action(action: FollowUpAction, user) -> FollowUpAction:
    action._history_user = user
    action.save()
    return action


def delete_action(action: FollowUpAction, user) -> None:
    action._history_user = user
    action.delete()
