"""Changes of the security survey rounds: answering one system, and carrying a closed round into the profiles.

Every change goes through here (or through the survey importer, which follows the same rules): a closed
round never changes, a submitted department is locked until the office sends it back, and every write is
in the audit trail.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from karte.core import rounds
from karte.core.models import SurveyRound
from karte.security.models import (
    MEASURE_FIELDS,
    PROTECTION_FIELDS,
    SERVICE_FIELDS,
    ProtectionAnswer,
    ProtectionProfile,
)
from karte.systems.models import System

BATCH = 1000

# What a survey asks: the services, the own measures and why no service is needed. The services' "since"
# dates are not asked; they stay as the profile has them while the service lasts.
SURVEYED_FIELDS = (
    *(flag for flag, _since in SERVICE_FIELDS.values()),
    *MEASURE_FIELDS,
    "measures_description",
    "exemption",
    "exemption_note",
)
BLANK = {
    **{name: False for name in SURVEYED_FIELDS},
    "measures_description": "",
    "exemption": "",
    "exemption_note": "",
}


def surveyed_values(source) -> dict:
    """Return the surveyed fields of a profile or answer (BLANK for None)."""
    if source is None:
        return dict(BLANK)
    return {name: getattr(source, name) for name in SURVEYED_FIELDS}


def set_protection(target, values: dict) -> bool:
    """Set the surveyed fields `values` gives on a profile or answer; return whether anything changed.

    A service no longer enrolled loses its "since" date.
    """
    changed = False
    for name in SURVEYED_FIELDS:
        if name in values and getattr(target, name) != values[name]:
            setattr(target, name, values[name])
            changed = True
    for flag, since in SERVICE_FIELDS.values():
        if not getattr(target, flag) and getattr(target, since) is not None:
            setattr(target, since, None)
            changed = True
    return changed


@transaction.atomic
def save_answer(answer: ProtectionAnswer, user, **values) -> ProtectionAnswer:
    """Change one answer while its round and department allow it; the answer records who and when.

    `values` are surveyed fields and `internet_facing`. Raises rounds.RoundRefused otherwise.
    """
    participation = rounds.ensure_answerable(answer.round, answer.department_id, user)
    if "internet_facing" in values:
        answer.internet_facing = values["internet_facing"]
    set_protection(answer, values)
    answer.answered_by = user
    answer.answered_on = timezone.localdate()
    answer._history_user = user
    answer.save()
    rounds.mark_answering(participation)
    return answer


def close_date(survey: SurveyRound) -> datetime.date:
    return timezone.localdate(survey.closed_at) if survey.closed_at else timezone.localdate()


@transaction.atomic
def write_back(survey: SurveyRound, user) -> int:
    """Copy every answer of a closed round into its system's profile and `internet_facing`.

    Each profile is confirmed by whoever answered (else the closing user) on the day they answered (else
    the day the round closed). Returns how many profiles were written.
    """
    answers = ProtectionAnswer.objects.filter(round=survey).select_related("system")
    profiles = {p.system_id: p for p in ProtectionProfile.objects.filter(system__in=answers.values("system"))}
    closed_on = close_date(survey)
    created: list[ProtectionProfile] = []
    updated: list[ProtectionProfile] = []
    systems: list[System] = []
    for answer in answers.order_by("pk").iterator(chunk_size=BATCH):
        profile = profiles.get(answer.system_id)
        if profile is None:
            profile = ProtectionProfile(system_id=answer.system_id)
            created.append(profile)
        else:
            updated.append(profile)
        set_protection(profile, surveyed_values(answer))
        profile.confirmed_by_id = answer.answered_by_id or getattr(user, "pk", None)
        profile.confirmed_on = answer.answered_on or closed_on
        system = answer.system
        if system.internet_facing != answer.internet_facing:
            system.internet_facing = answer.internet_facing
            systems.append(system)
    save_profiles(created, updated, user)
    if systems:
        bulk_update_with_history(systems, System, ["internet_facing"], batch_size=BATCH, default_user=user)
    return len(created) + len(updated)


def save_profiles(created: Iterable[ProtectionProfile], updated: Iterable[ProtectionProfile], user) -> None:
    created, updated = list(created), list(updated)
    if created:
        bulk_create_with_history(created, ProtectionProfile, batch_size=BATCH, default_user=user)
    if updated:
        bulk_update_with_history(
            updated,
            ProtectionProfile,
            [*PROTECTION_FIELDS, "confirmed_by", "confirmed_on"],
            batch_size=BATCH,
            default_user=user,
        )
