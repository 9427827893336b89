from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgUnitKind(models.TextChoices):
    BODY = "body", _("Local government")
    DEPARTMENT = "department", _("Department")
    SECTION = "section", _("Section")
    GROUP = "group", _("Group")


class Role(models.TextChoices):
    OFFICE_ADMIN = "office_admin", _("Office administrator")
    EDITOR = "editor", _("Department editor")
    VIEWER = "viewer", _("Viewer")
    AUDITOR = "auditor", _("Auditor")


class RoundStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ParticipationStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("Answering")
    SUBMITTED = "submitted", _("Submitted")
    REOPENED = "reopened", _("Sent back")


class ImportJobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    PREVIEWING = "previewing", _("Checking")
    PREVIEWED = "previewed", _("Checked")
    APPLYING = "applying", _("Applying")
    APPLIED = "applied", _("Applied")
    FAILED = "failed", _("Failed")
    DISCARDED = "discarded", _("Discarded")
