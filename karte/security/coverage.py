"""The coverage rule: how each system's protection counts in the coverage-gap report.

The audit's finding was that nobody knew whether systems outside the three services were protected. So
the rule puts every system in exactly one place, in this order:

1. not confirmed at all, or not confirmed within a year: a GAP, whatever the old profile said;
2. not internet-facing: outside the report's exposed figures;
3. enrolled in at least one service: covered by the services (but a GAP if a service it is enrolled in
   has a monitoring module installed and that module holds no target for the system);
4. own measures: covered by own measures;
5. an exemption reason: exempt, counted per reason;
6. anything else: a GAP, the department to chase.

The rule is written once, as SQL expressions (`placement`), so that the database places, counts, filters
and pages thousands of systems, and a survey round's answers are placed by the same expressions.
Monitoring modules tell it which systems they watch with `register_target_finder`; a service with no
module installed is not checked.
"""

from __future__ import annotations

import datetime
import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce

from django.db.models import BooleanField, Case, CharField, Q, QuerySet, Value, When

from karte.security.choices import Coverage, GapReason
from karte.security.models import MEASURE_FIELDS, SERVICE_FIELDS

STALE_AFTER = datetime.timedelta(days=365)

# service → function returning a queryset of the ids of the systems with a target in that service
# (e.g. lambda: Target.objects.filter(enabled=True).values("system_id")).
TargetFinder = Callable[[], QuerySet]
_target_finders: dict[str, TargetFinder] = {}


def register_target_finder(service: str, finder: TargetFinder) -> None:
    _target_finders[service] = finder


def unregister_target_finder(service: str) -> None:
    _target_finders.pop(service, None)


@dataclass(frozen=True)
class Verdict:
    coverage: str
    gap_reason: str = ""

    @property
    def is_gap(self) -> bool:
        return self.coverage == Coverage.GAP


def _any(conditions) -> Q:
    return reduce(operator.or_, conditions)


def _flag(condition: Q) -> Case:
    # A CASE rather than the bare condition: through a left join a missing profile reads false, not NULL.
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


def placement(*, prefix: str, system: str, confirmed_on: str | None, today: datetime.date | None) -> dict:
    """Return the annotations that place each row by the rule.

    `prefix` leads to the protection fields ("protection__" from a system, "" on an answer), `system` is
    the system's id field, `confirmed_on` the confirmation date field; `today=None` skips the freshness
    check (a survey round's answers are read as answered). A protection never confirmed counts no service,
    no measure and no exemption. The annotations: cv_enrolled, cv_measures, cv_exemption, cv_coverage,
    cv_gap_reason.
    """
    confirmed = Q(**{f"{confirmed_on}__isnull": False}) if confirmed_on else Q()
    enrolled = confirmed & _any(Q(**{prefix + flag: True}) for flag, _since in SERVICE_FIELDS.values())
    measures = confirmed & _any(Q(**{prefix + name: True}) for name in MEASURE_FIELDS)
    exemption = prefix + "exemption"
    exempt = confirmed & Q(**{f"{exemption}__gt": ""})
    steps: list[tuple[Q, str, str]] = []
    if today is not None:
        steps += [
            (Q(**{f"{confirmed_on}__isnull": True}), Coverage.GAP, GapReason.UNCONFIRMED),
            (Q(**{f"{confirmed_on}__lt": today - STALE_AFTER}), Coverage.GAP, GapReason.STALE),
        ]
    steps.append((Q(internet_facing=False), Coverage.NOT_EXPOSED, ""))
    unwatched = [
        Q(**{prefix + SERVICE_FIELDS[service][0]: True}) & ~Q(**{f"{system}__in": finder()})
        for service, finder in _target_finders.items()
    ]
    if unwatched:
        steps.append((enrolled & _any(unwatched), Coverage.GAP, GapReason.NO_TARGET))
    steps += [
        (enrolled, Coverage.SERVICES, ""),
        (measures, Coverage.OWN_MEASURES, ""),
        (exempt, Coverage.EXEMPT, ""),
    ]
    return {
        "cv_enrolled": _flag(enrolled),
        "cv_measures": _flag(measures),
        "cv_exemption": Case(When(exempt, then=exemption), default=Value(""), output_field=CharField()),
        "cv_coverage": Case(
            *(When(condition, then=Value(coverage.value)) for condition, coverage, _r in steps),
            default=Value(Coverage.GAP.value),
            output_field=CharField(),
        ),
        "cv_gap_reason": Case(
            *(When(condition, then=Value(str(reason))) for condition, _c, reason in steps),
            default=Value(GapReason.UNPROTECTED.value),
            output_field=CharField(),
        ),
    }
