from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from karte.core.choices import ImportJobStatus, OrgUnitKind, ParticipationStatus, Role, RoundStatus
from karte.core.scoping import ScopedQuerySet


class OrgUnit(models.Model):
    """A node of the organisation tree: 団体 → 部局 → 課・室 (→ グループ).

    `body` and `department` are the unit's ancestors of those kinds (themselves for a body or a
    department), kept on every row so that scoping any record is one join, not a tree walk.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=OrgUnitKind.choices)
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent unit")
    )
    body = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("local government")
    )
    department = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("department")
    )
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="predecessors",
        verbose_name=_("merged into"),
    )
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    # Everyone in a body reads its whole tree; only the office changes it.
    scope_path = ""
    scope_by_department = False

    class Meta:
        verbose_name = _("organisational unit")
        verbose_name_plural = _("organisational units")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["body", "code"], name="orgunit_code_unique_in_body")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("core:orgunit_detail", kwargs={"pk": self.pk})

    def is_valid_on(self, day) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class UnitOwnedModel(models.Model):
    """Base of every registry record: it belongs to one unit, and that decides who sees it."""

    unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("owning unit"))

    objects = ScopedQuerySet.as_manager()
    scope_path = "unit"
    scope_by_department = True

    class Meta:
        abstract = True


class BodyCodedModel(UnitOwnedModel):
    """A registry record whose code is unique within its body (a system ID, a procedure ID).

    The body is kept on the row and follows the unit, however the record was made.
    """

    body = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.body_id = self.unit.body_id
        super().save(*args, **kwargs)


class Membership(models.Model):
    """Where a person sits and what role they hold there."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="membership")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("unit"))
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    # In the audit trail with the unit's body; the people pages themselves are the office's alone.
    scope_path = "unit"
    scope_by_department = True

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    def get_absolute_url(self) -> str:
        return reverse("core:person_edit", kwargs={"pk": self.user_id})


class ImportJob(models.Model):
    """One uploaded sheet on its way through preview and apply."""

    kind = models.CharField(_("kind"), max_length=50)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    size_bytes = models.PositiveBigIntegerField(_("size"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportJobStatus.choices, default=ImportJobStatus.PENDING
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    # The preview: counts, the first changes and every row error; see importing.base.Preview.as_dict.
    preview = models.JSONField(default=dict, blank=True)
    # The importer's options chosen on upload (Importer.options), e.g. {"fiscal_year": 2022}.
    options = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def progress_percent(self) -> int:
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0


class SurveyRound(models.Model):
    """An organisation-wide survey (照会): the office asks, each department answers for its own records.

    `kind` names the registry the round is about (see karte.core.rounds); `fields` the fields departments
    answer. A closed round is a frozen snapshot: the modules refuse any change to its answers.
    """

    body = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("local government"))
    kind = models.CharField(_("registry"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    fields = models.JSONField(_("fields departments answer"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.OPEN
    )
    previous = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("previous round")
    )
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_path = "body"
    scope_by_department = False

    class Meta:
        verbose_name = _("survey round")
        verbose_name_plural = _("survey rounds")
        ordering = ["-fiscal_year", "-opened_at"]
        constraints = [models.UniqueConstraint(fields=["body", "kind", "name"], name="round_name_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN


class RoundParticipation(models.Model):
    """One department's answer to a round: its progress, who submitted it, when it was reminded."""

    round = models.ForeignKey(SurveyRound, models.CASCADE, related_name="participations")
    department = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("department"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ParticipationStatus.choices,
        default=ParticipationStatus.NOT_STARTED,
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_path = "department"
    scope_by_department = True

    class Meta:
        verbose_name = _("department's answer")
        verbose_name_plural = _("departments' answers")
        ordering = ["department__code"]
        constraints = [
            models.UniqueConstraint(fields=["round", "department"], name="participation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.round} / {self.department}"
