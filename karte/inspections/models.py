"""The yearly self-inspection (自己点検) against the body's information security policy.

The office keeps the questions (sections and questions of its body); each year a survey round asks every
department one answer per question for each of its systems in use; what is not implemented becomes
follow-up actions with a person in charge and a due date.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from karte.core.models import OrgUnit, SurveyRound, UnitOwnedModel
from karte.core.scoping import ScopedQuerySet
from karte.core.uploads import attachment_path, private_storage
from karte.inspections.choices import ActionStatus, InspectionResult
from karte.systems.models import System


class InspectionSection(models.Model):
    """A chapter of the body's self-inspection (組織体制, アクセス制御 …): the office's alone to change."""

    body = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("local government"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=100)
    # The default set's key, so that installing the defaults again adds only what is missing.
    default_key = models.CharField(max_length=40, blank=True, editable=False)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_path = "body"
    scope_by_department = False

    class Meta:
        verbose_name = _("inspection section")
        verbose_name_plural = _("inspection sections")
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["body", "name"], name="inspectionsection_name_unique_in_body")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("inspections:inspectionsection_detail", kwargs={"pk": self.pk})


class InspectionQuestion(models.Model):
    """One question of the self-inspection; inactive questions are no longer asked in new rounds."""

    section = models.ForeignKey(
        InspectionSection, models.PROTECT, related_name="questions", verbose_name=_("section")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    text = models.TextField(_("question"))
    guidance = models.TextField(
        _("guidance"), blank=True, help_text=_("What to check and what counts as evidence.")
    )
    active = models.BooleanField(_("asked in new rounds"), default=True)
    default_key = models.CharField(max_length=40, blank=True, editable=False)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_path = "section__body"
    scope_by_department = False

    class Meta:
        verbose_name = _("inspection question")
        verbose_name_plural = _("inspection questions")
        ordering = ["section__order", "section__name", "order", "pk"]

    def __str__(self) -> str:
        return Truncator(self.text).chars(60)

    def get_absolute_url(self) -> str:
        return reverse("inspections:inspectionquestion_detail", kwargs={"pk": self.pk})


class InspectionAnswer(models.Model):
    """One system's answer to one question in a round: frozen once the round is closed."""

    round = models.ForeignKey(SurveyRound, models.CASCADE, related_name="+", verbose_name=_("survey round"))
    system = models.ForeignKey(
        System, models.CASCADE, related_name="inspection_answers", verbose_name=_("system")
    )
    question = models.ForeignKey(
        InspectionQuestion, models.PROTECT, related_name="answers", verbose_name=_("question")
    )
    # Owner and department when the round opened: a later reorganisation does not move a closed round.
    unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("owning unit"))
    department = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("department"))
    result = models.CharField(_("result"), max_length=20, choices=InspectionResult.choices, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_path = "unit"
    scope_by_department = True

    class Meta:
        verbose_name = _("inspection answer")
        verbose_name_plural = _("inspection answers")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "system", "question"], name="inspectionanswer_one_per_round"
            )
        ]
        indexes = [
            models.Index(fields=["round", "department"]),
            models.Index(fields=["round", "system"]),
        ]

    def __str__(self) -> str:
        return f"{self.round} / {self.system.code} / {self.question}"


class InspectionEvidence(models.Model):
    """A file that backs an answer (a procedure, a log excerpt, a contract clause), kept privately."""

    answer = models.ForeignKey(
        InspectionAnswer, models.CASCADE, related_name="files", verbose_name=_("inspection answer")
    )
    file = models.FileField(_("file"), storage=private_storage, upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_path = "answer__unit"
    scope_by_department = True

    class Meta:
        verbose_name = _("inspection evidence")
        verbose_name_plural = _("inspection evidence")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("inspections:evidence_download", kwargs={"pk": self.pk})


class FollowUpAction(UnitOwnedModel):
    """What a department will do about a gap the self-inspection found, by when and who."""

    system = models.ForeignKey(
        System, models.PROTECT, related_name="inspection_actions", verbose_name=_("system")
    )
    question = models.ForeignKey(
        InspectionQuestion,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("question"),
    )
    round = models.ForeignKey(
        SurveyRound,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("survey round"),
    )
    description = models.TextField(_("what will be done"))
    person_in_charge = models.CharField(_("person in charge"), max_length=100)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("follow-up action")
        verbose_name_plural = _("follow-up actions")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["done_on", "due_on"])]

    def __str__(self) -> str:
        first_line = self.description.strip().splitlines()[0] if self.description.strip() else ""
        return Truncator(first_line).chars(60)

    def get_absolute_url(self) -> str:
        return reverse("inspections:followupaction_detail", kwargs={"pk": self.pk})

    @property
    def status(self) -> str:
        if self.done_on is not None:
            return ActionStatus.DONE
        if self.due_on < timezone.localdate():
            return ActionStatus.OVERDUE
        return ActionStatus.OPEN

    def get_status_display(self) -> str:
        return ActionStatus(self.status).label
