"""Survey rounds (照会), for every registry that departments answer for: procedures, security, …

A module registers a `RoundKind` that knows its answers: which departments take part, how answers are
pre-filled from the previous round, and what to recompute when answers change. The office opens a round,
departments answer and submit, the office sends reminders, sends answers back, and closes the round.
Once closed, `ensure_answerable` refuses every change, so a closed round stays a frozen snapshot.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from karte.core.choices import ParticipationStatus, Role, RoundStatus
from karte.core.models import Membership, OrgUnit, RoundParticipation, SurveyRound
from karte.core.scoping import scope_for


class RoundKind:
    """What a module tells the round mechanism about its registry; subclasses fill in the hooks."""

    kind: str = ""
    label: str = ""
    # (field name, label) pairs departments may be asked to answer.
    answer_fields: list[tuple[str, str]] = []

    def participating_departments(self, body_id: int) -> Iterable[int]:
        """Return the ids of the departments that own records of this registry in the body."""
        raise NotImplementedError

    def prefill(self, survey: SurveyRound) -> None:
        """Create the round's answers, copied from the previous round where there is one."""
        raise NotImplementedError

    def answers_changed(self, survey: SurveyRound, department_ids: Iterable[int]) -> None:
        """Recompute whatever the module derives from these departments' answers (e.g. KPIs)."""

    def answer_counts(self, survey: SurveyRound) -> dict[int, int]:
        """Return {department id: number of answers} for the progress table."""
        return {}

    def round_closed(self, survey: SurveyRound, user) -> None:
        """Carry the closed round's answers into the registry, for modules that keep a current state."""


_kinds: dict[str, RoundKind] = {}


def register(kind: type[RoundKind]) -> type[RoundKind]:
    _kinds[kind.kind] = kind()
    return kind


def round_kind(kind: str) -> RoundKind:
    return _kinds[kind]


def round_kinds() -> list[RoundKind]:
    return list(_kinds.values())


class RoundRefused(Exception):
    """A change the round's state does not allow; str() is the Japanese message for the user."""


def _require_office(user) -> None:
    if not scope_for(user).is_office:
        raise PermissionDenied


@transaction.atomic
def open_round(
    *,
    user,
    body: OrgUnit,
    kind: str,
    name: str,
    fiscal_year: int,
    deadline: datetime.date | None,
    fields: list[str],
    previous: SurveyRound | None = None,
) -> SurveyRound:
    """Open a round for every department that owns records of the registry, answers pre-filled."""
    _require_office(user)
    spec = round_kind(kind)
    if previous is None:
        previous = (
            SurveyRound.objects.filter(body=body, kind=kind).order_by("-fiscal_year", "-opened_at").first()
        )
    survey = SurveyRound(
        body=body,
        kind=kind,
        name=name,
        fiscal_year=fiscal_year,
        deadline=deadline,
        fields=fields,
        previous=previous,
    )
    survey._history_user = user
    survey.save()
    RoundParticipation.objects.bulk_create(
        RoundParticipation(round=survey, department_id=pk) for pk in spec.participating_departments(body.pk)
    )
    spec.prefill(survey)
    spec.answers_changed(survey, survey.participations.values_list("department_id", flat=True))
    return survey


def participation_for(survey: SurveyRound, department_id: int) -> RoundParticipation:
    participation, _created = RoundParticipation.objects.get_or_create(
        round=survey, department_id=department_id
    )
    return participation


def ensure_answerable(survey: SurveyRound, department_id: int, user) -> RoundParticipation:
    """Return the department's participation if `user` may change its answers now; else RoundRefused.

    A closed round never changes. A submitted answer is locked for the department until the office sends
    it back; the office itself may still correct it while the round is open.
    """
    if not survey.is_open:
        raise RoundRefused(_("This survey round is closed: its answers cannot change."))
    participation = participation_for(survey, department_id)
    scope = scope_for(user)
    if participation.status == ParticipationStatus.SUBMITTED and not scope.is_office:
        raise RoundRefused(
            _(
                "This answer has been submitted. "
                "To change it, ask the digital administration office to send it back."
            )
        )
    return participation


def sheet_refusals(survey: SurveyRound, department_ids: Iterable[int], user) -> list[dict]:
    """The import errors for a sheet that would change answers of departments that have submitted, unless
    the user may still change them (the office while the round is open)."""
    department_ids = set(department_ids)
    submitted = RoundParticipation.objects.filter(
        round=survey, department_id__in=department_ids, status=ParticipationStatus.SUBMITTED
    ).values_list("department_id", flat=True)
    names = dict(OrgUnit.objects.filter(pk__in=department_ids).values_list("pk", "name"))
    errors = []
    for department_id in sorted(submitted):
        try:
            ensure_answerable(survey, department_id, user)
        except RoundRefused as refused:
            errors.append({"row": 0, "column": "部局名", "message": f"{names[department_id]}: {refused}"})
    return errors


def mark_answering(participation: RoundParticipation) -> None:
    if participation.status == ParticipationStatus.NOT_STARTED:
        participation.status = ParticipationStatus.IN_PROGRESS
        participation.save(update_fields=["status"])


@transaction.atomic
def submit(survey: SurveyRound, department_id: int, user) -> RoundParticipation:
    """The department hands in its answer."""
    participation = ensure_answerable(survey, department_id, user)
    participation.status = ParticipationStatus.SUBMITTED
    participation.submitted_at = timezone.now()
    participation.submitted_by = user
    participation._history_user = user
    participation.save()
    return participation


@transaction.atomic
def send_back(survey: SurveyRound, department_id: int, user) -> RoundParticipation:
    """The office reopens a department's submitted answer."""
    _require_office(user)
    if not survey.is_open:
        raise RoundRefused(_("Answers of a closed survey round cannot be sent back."))
    participation = participation_for(survey, department_id)
    participation.status = ParticipationStatus.REOPENED
    participation._history_user = user
    participation.save()
    return participation


@transaction.atomic
def close_round(survey: SurveyRound, user) -> SurveyRound:
    """Close the round: from now on its answers are a frozen snapshot."""
    _require_office(user)
    if not survey.is_open:
        raise RoundRefused(_("This survey round is already closed."))
    survey.status = RoundStatus.CLOSED
    survey.closed_at = timezone.now()
    survey._history_user = user
    survey.save()
    spec = round_kind(survey.kind)
    spec.answers_changed(survey, survey.participations.values_list("department_id", flat=True))
    spec.round_closed(survey, user)
    return survey


def send_reminders(survey: SurveyRound, user) -> int:
    """E-mail the editors of every department that has not submitted; return how many mails went out."""
    _require_office(user)
    if not survey.is_open:
        raise RoundRefused(_("No reminders can be sent for a closed survey round."))
    waiting = survey.participations.exclude(status=ParticipationStatus.SUBMITTED).select_related("department")
    departments = {p.department_id: p for p in waiting}
    editors = Membership.objects.filter(
        role=Role.EDITOR, unit__department_id__in=departments, user__is_active=True
    ).select_related("user", "unit__department")
    deadline = survey.deadline.isoformat() if survey.deadline else "—"
    messages = [
        (
            f"【Karte】照会「{survey.name}」の回答のお願い",
            f"{m.unit.department.name if m.unit.department_id else ''} ご担当者様\n\n"
            f"照会「{survey.name}」の回答がまだ提出されていません。期限: {deadline}\n"
            "Karte にログインし、所属の回答を確認のうえ提出してください。\n",
            settings.DEFAULT_FROM_EMAIL,
            [m.user.email],
        )
        for m in editors
        if m.user.email
    ]
    send_mass_mail(messages, fail_silently=False)
    RoundParticipation.objects.filter(pk__in=[p.pk for p in waiting]).update(reminded_at=timezone.now())
    return len(messages)
