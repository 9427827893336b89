"""Changes to the security posture: a system's protection profile, confirmed by whoever saves it."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from karte.security.models import PROTECTION_FIELDS, ProtectionProfile
from karte.systems.models import System


# Every field of a profile its owner answers (the confirmation is the service's to set).
def save_profile(
    system: System, answers: dict, *, user, today: datetime.date | None = None
) -> ProtectionProfile:
    """Save the system's protection as `answers` states it and mark it confirmed by `user` today.

    `answers` holds `internet_facing` (kept on the system itself) and the fields of PROTECTION_FIELDS; a
    field left out keeps its value. Both the system (when internet_facing changes) and the profile are
    saved with `user` in their history. Returns the saved profile.
    """
    with transaction.atomic():
        system = System.objects.select_for_update().get(pk=system.pk)
        internet_facing = answers.get("internet_facing", system.internet_facing)
        if internet_facing != system.internet_facing:
            system.internet_facing = internet_facing
            system._history_user = user
            system.save()
        profile = ProtectionProfile.objects.filter(system=system).first() or ProtectionProfile(system=system)
        for name in PROTECTION_FIELDS:
            if name in answers:
                setattr(profile, name, answers[name])
        profile.confirmed_by = user
        profile.confirmed_on = today or timezone.localdate()
        profile._history_user = user
        profile.save()
    return profile
