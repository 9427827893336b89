"""The yearly survey of protection profiles as a kind of survey round."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from karte.core.models import SurveyRound
from karte.core.rounds import RoundKind, register
from karte.security.models import PROTECTION_FIELDS, ProtectionAnswer, ProtectionProfile
from karte.security.services_rounds import write_back
from karte.systems.selectors import departments_asked_about, systems_asked_about

BATCH = 2000

# The groups of fields a round may ask; the answer form shows only those asked.
INTERNET_FACING = "internet_facing"
SERVICES = "services"
OWN_MEASURES = "own_measures"
EXEMPTION = "exemption"


@register
class SecurityRound(RoundKind):
    kind = "security"
    label = _("Security measures survey")
    answer_fields = [
        (INTERNET_FACING, _("internet-facing")),
        (SERVICES, _("monitoring services")),
        (OWN_MEASURES, _("own measures")),
        (EXEMPTION, _("reason no service is needed")),
    ]

    def participating_departments(self, body_id: int):
        return departments_asked_about(body_id)

    def prefill(self, survey: SurveyRound) -> None:
        """Create one answer per system, copied from its current profile (blank where it has none)."""
        systems = (
            systems_asked_about(survey.body_id)
            .select_related("unit")
            .only("pk", "internet_facing", "unit_id", "unit__department_id")
        )
        profiles = {
            p.system_id: p
            for p in ProtectionProfile.objects.filter(system__in=systems.values("pk")).only(
                "system_id", *PROTECTION_FIELDS
            )
        }
        batch = []
        for system in systems.iterator(chunk_size=BATCH):
            profile = profiles.get(system.pk)
            copied = {name: getattr(profile, name) for name in PROTECTION_FIELDS} if profile else {}
            batch.append(
                ProtectionAnswer(
                    round=survey,
                    system_id=system.pk,
                    unit_id=system.unit_id,
                    department_id=system.unit.department_id,
                    internet_facing=system.internet_facing,
                    **copied,
                )
            )
            if len(batch) >= BATCH:
                ProtectionAnswer.objects.bulk_create(batch)
                batch = []
        ProtectionAnswer.objects.bulk_create(batch)

    def answer_counts(self, survey: SurveyRound) -> dict[int, int]:
        counts = (
            ProtectionAnswer.objects.filter(round=survey)
            .values("department_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return {row["department_id"]: row["n"] for row in counts}

    def round_closed(self, survey: SurveyRound, user) -> None:
        write_back(survey, user)
