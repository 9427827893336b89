"""The coverage rule: how one system's protection counts in the coverage-gap report.

The audit's finding was that nobody knew whether systems outside the three services were protected. So
the rule puts every system in exactly one place, in this order:

1. not confirmed at all, or not confirmed within a year: a GAP, whatever the old profile said;
2. not internet-facing: outside the report's exposed figures;
3. enrolled in at least one service: covered by the services (but a GAP if a service it is enrolled in
   has a monitoring module installed and that module holds no target for the system);
4. own measures: covered by own measures;
5. an exemption reason: exempt, counted per reason;
6. anything else: a GAP, the department to chase.

Monitoring modules tell the rule which systems they watch with `register_target_finder`; a service with
no module installed is not checked.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from karte.security.choices import Coverage, GapReason

STALE_AFTER = datetime.timedelta(days=365)

# service → function(system ids) → the ids among them that have a target registered in that service.
TargetFinder = Callable[[Iterable[int]], set[int]]
_target_finders: dict[str, TargetFinder] = {}


def register_target_finder(service: str, finder: TargetFinder) -> None:
    _target_finders[service] = finder


def unregister_target_finder(service: str) -> None:
    _target_finders.pop(service, None)


def systems_without_target(service_enrolments: dict[int, list[str]]) -> dict[int, set[str]]:
    """Return {system id: the services it is enrolled in but not watched by}, for checked services only."""
    missing: dict[int, set[str]] = {}
    for service, finder in _target_finders.items():
        enrolled = [pk for pk, services in service_enrolments.items() if service in services]
        if not enrolled:
            continue
        watched = finder(enrolled)
        for pk in enrolled:
            if pk not in watched:
                missing.setdefault(pk, set()).add(service)
    return missing


@dataclass(frozen=True)
class Verdict:
    coverage: str
    gap_reason: str = ""

    @property
    def is_gap(self) -> bool:
        return self.coverage == Coverage.GAP


def classify(
    *,
    internet_facing: bool,
    enrolled: Iterable[str],
    has_own_measures: bool,
    exemption: str,
    confirmed_on: datetime.date | None,
    today: datetime.date | None,
    without_target: Iterable[str] = (),
) -> Verdict:
    """Place one system; `today=None` skips the freshness check (a survey round's answers)."""
    if today is not None:
        if confirmed_on is None:
            return Verdict(Coverage.GAP, GapReason.UNCONFIRMED)
        if confirmed_on < today - STALE_AFTER:
            return Verdict(Coverage.GAP, GapReason.STALE)
    if not internet_facing:
        return Verdict(Coverage.NOT_EXPOSED)
    enrolled = set(enrolled)
    if enrolled:
        if enrolled & set(without_target):
            return Verdict(Coverage.GAP, GapReason.NO_TARGET)
        return Verdict(Coverage.SERVICES)
    if has_own_measures:
        return Verdict(Coverage.OWN_MEASURES)
    if exemption:
        return Verdict(Coverage.EXEMPT)
    return Verdict(Coverage.GAP, GapReason.UNPROTECTED)
