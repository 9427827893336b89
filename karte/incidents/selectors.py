"""Reads of the incident log: the incidents a person may see, the dashboard figure, the karte section."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse

from karte.core.scoping import VIEW
from karte.incidents.choices import SEVERITY_RANK, STATUS_RANK, IncidentStatus
from karte.incidents.models import Incident, TimelineEntry
from karte.systems.models import System

KARTE_SECTION_LIMIT = 20


def _rank(field: str, ranks: dict[str, int]) -> Case:
    return Case(
        *(When(**{field: value}, then=Value(rank)) for value, rank in ranks.items()),
        default=Value(len(ranks)),
        output_field=IntegerField(),
    )


def with_ranks(incidents):
    """Annotate `status_rank` (0 being handled … 3 completed) and `severity_rank` (0 critical … 3 low),
    so that lists sort by what matters rather than by the stored words."""
    return incidents.annotate(
        status_rank=_rank("status", STATUS_RANK), severity_rank=_rank("severity", SEVERITY_RANK)
    )


def open_first(incidents):
    """Order incidents still being worked on first (earliest stage first), then the newest detected first."""
    return with_ranks(incidents).order_by("status_rank", "-detected_at", "-pk")


def incidents_for(user, action: str = VIEW):
    """Return the incidents the user may see (or change), with what every list shows."""
    return Incident.objects.restrict(user, action).select_related("unit", "unit__department")


def timeline_of(user, incident):
    """Return the incident's timeline as the user may read it, oldest first (newest last)."""
    return (
        TimelineEntry.objects.restrict(user, VIEW)
        .filter(incident=incident)
        .select_related("author")
        .order_by("at", "pk")
    )


def visible_systems(user, incident):
    """Return (systems of the incident the user may see, how many others it names)."""
    linked = incident.systems.all()
    visible = list(System.objects.restrict(user, VIEW).filter(pk__in=linked.values("pk")).order_by("code"))
    return visible, linked.count() - len(visible)


def incidents_affecting(user, system):
    """Return the incidents the user may see that affect `system`, open ones first."""
    return open_first(incidents_for(user).filter(systems=system))


def karte_section(user, system) -> dict | None:
    """The incidents section of a system's karte, or None when the user may see no incident of it."""
    affecting = incidents_affecting(user, system)
    incidents = list(affecting[: KARTE_SECTION_LIMIT + 1])
    if not incidents:
        return None
    return {
        "template": "incidents/karte_incidents.html",
        "incidents": incidents[:KARTE_SECTION_LIMIT],
        "more": len(incidents) > KARTE_SECTION_LIMIT,
        "list_url": f"{reverse('incidents:incident_list')}?system={system.pk}",
        "open_count": affecting.exclude(status=IncidentStatus.CLOSED).count(),
    }


def dashboard_cards(user) -> list[dict]:
    """Return the incident log's figure for the dashboard: incidents not yet completed."""
    from django.utils.translation import gettext as _

    unfinished = Incident.objects.restrict(user, VIEW).exclude(status=IncidentStatus.CLOSED).count()
    return [
        {
            "label": _("Open incidents"),
            "value": unfinished,
            "url": f"{reverse('incidents:incident_list')}?status=unfinished",
        }
    ]
