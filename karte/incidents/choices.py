"""Enumerations of the CSIRT incident log. Labels are English msgids shown in Japanese through gettext."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentSource(models.TextChoices):
    """Who or what noticed the incident first; the monitors open incidents with their own source."""

    STAFF_REPORT = "staff_report", _("Report from staff")
    EXTERNAL_NOTICE = "external_notice", _("Notification from outside")
    HOMEPAGE_OBSERVATION = "homepage_observation", _("Homepage response observation")
    WEB_TAMPERING = "web_tampering", _("Web malware or tampering detection")
    SUSPICIOUS_TRAFFIC = "suspicious_traffic", _("Suspicious-communication detection")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class IncidentStatus(models.TextChoices):
    """The response's stage, in the order it normally moves; `closed` ends it."""

    OPEN = "open", _("Being handled")
    CONTAINED = "contained", _("Contained")
    RECOVERED = "recovered", _("Recovered")
    CLOSED = "closed", _("Response completed")


# Lists show the incidents still being worked on first, the earliest stage first.
STATUS_RANK = {status: rank for rank, status in enumerate(IncidentStatus.values)}
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(reversed(Severity.values))}
# Rows a response team should look at before anything else.
URGENT_SEVERITIES = {Severity.HIGH, Severity.CRITICAL}


class EntryKind(models.TextChoices):
    NOTE = "note", _("Response note")
    STATUS_CHANGE = "status_change", _("Status change")
    ALERT = "alert", _("Monitoring alert")


# Badge colours (karte.css k-badge--…) on incident pages.
STATUS_TONE = {
    IncidentStatus.OPEN: "error",
    IncidentStatus.CONTAINED: "warning",
    IncidentStatus.RECOVERED: "warning",
    IncidentStatus.CLOSED: "ok",
}
SEVERITY_TONE = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning"}
