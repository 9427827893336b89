"""The CSIRT incident log: one record per incident, handled by one unit, with a timeline of what happened."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from karte.core.models import BodyCodedModel, OrgUnit
from karte.core.scoping import ScopedQuerySet
from karte.core.uploads import attachment_path, private_storage
from karte.incidents.choices import (
    SEVERITY_TONE,
    STATUS_TONE,
    EntryKind,
    IncidentSource,
    IncidentStatus,
    Severity,
)


class Incident(BodyCodedModel):
    """A security incident. `unit` is the unit handling it; `reference` ("2026-0001") is numbered per body
    and year by services.open_incident / services.save_incident and never changes.

    `dedupe_key` lets a monitor say "this is the same problem again" (services.open_incident).
    """

    reference = models.CharField(_("reference number"), max_length=20, editable=False)
    title = models.CharField(_("title"), max_length=200)
    detected_at = models.DateTimeField(_("detected at"), default=timezone.now)
    detected_by = models.CharField(
        _("detected by"),
        max_length=200,
        help_text=_("A person's name, or the monitor that raised the alert."),
    )
    source = models.CharField(_("how it came to light"), max_length=30, choices=IncidentSource.choices)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    status = models.CharField(
        _("response status"), max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    systems = models.ManyToManyField(
        "systems.System", related_name="incidents", blank=True, verbose_name=_("affected systems")
    )
    affected_units = models.ManyToManyField(
        OrgUnit, related_name="+", blank=True, verbose_name=_("affected units")
    )
    summary = models.TextField(_("what happened"), blank=True)
    containment = models.TextField(_("containment measures"), blank=True)
    recovery = models.TextField(_("recovery measures"), blank=True)
    cause = models.TextField(_("cause"), blank=True)
    report_text = models.TextField(_("report"), blank=True)
    report_file = models.FileField(
        _("report file"), storage=private_storage, upload_to=attachment_path, blank=True, max_length=255
    )
    report_file_name = models.CharField(_("report file name"), max_length=255, blank=True, editable=False)
    closed_at = models.DateTimeField(_("completed at"), null=True, blank=True, editable=False)
    dedupe_key = models.CharField(_("monitor's key"), max_length=200, blank=True, editable=False)
    history = HistoricalRecords(m2m_fields=[systems, affected_units])

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-detected_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["body", "reference"], name="incident_reference_unique_in_body")
        ]
        indexes = [models.Index(fields=["body", "status"]), models.Index(fields=["body", "dedupe_key"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}".strip()

    def get_absolute_url(self) -> str:
        return reverse("incidents:incident_detail", kwargs={"pk": self.pk})

    @property
    def is_closed(self) -> bool:
        return self.status == IncidentStatus.CLOSED

    @property
    def status_tone(self) -> str:
        return STATUS_TONE.get(self.status, "")

    @property
    def severity_tone(self) -> str:
        return SEVERITY_TONE.get(self.severity, "")


class TimelineEntry(models.Model):
    """One line of an incident's timeline: a note, a move of its status, or a monitor's alert."""

    incident = models.ForeignKey(
        Incident, models.CASCADE, related_name="timeline", verbose_name=_("incident")
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    kind = models.CharField(
        _("kind of entry"), max_length=20, choices=EntryKind.choices, default=EntryKind.NOTE
    )
    text = models.TextField(_("entry"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    # For a status change: where the response moved from and to, shown in the reader's language.
    from_status = models.CharField(
        _("status before"), max_length=20, choices=IncidentStatus.choices, blank=True
    )
    to_status = models.CharField(_("status after"), max_length=20, choices=IncidentStatus.choices, blank=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_path = "incident__unit"
    scope_by_department = True

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        try:
            reference = self.incident.reference
        except Incident.DoesNotExist:
            # A history row may outlive its incident.
            reference = "—"
        return f"{reference} {timezone.localtime(self.at):%Y-%m-%d %H:%M} {self.get_kind_display()}"
