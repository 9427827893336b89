"""Systems with protection profiles, built with the ORM for the security posture's tests."""

from __future__ import annotations

import datetime

from django.utils import timezone

from karte.security.models import ProtectionProfile
from karte.systems.models import System


def today() -> datetime.date:
    return timezone.localdate()


def make_system(unit, code: str, *, internet_facing: bool = True, **fields) -> System:
    return System.objects.create(
        unit=unit, code=code, name=f"{code}-SYSTEM", internet_facing=internet_facing, **fields
    )


def protect(system: System, *, confirmed_on: datetime.date | None = None, **fields) -> ProtectionProfile:
    """Give the system a profile confirmed today (or on `confirmed_on`) with `fields` set."""
    return ProtectionProfile.objects.create(system=system, confirmed_on=confirmed_on or today(), **fields)
