from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from karte.core.models import BodyCodedModel, OrgUnit, SurveyRound, UnitOwnedModel
from karte.core.scoping import ScopedQuerySet
from karte.procedures.choices import OnlineStatus, ProcedureKind, ProposalKind, SupportStatus


class Procedure(BodyCodedModel):
    """An administrative procedure in the inventory. `code` may be missing in old sheets: rounds then
    match a procedure by its owner and name."""

    code = models.CharField(_("procedure ID"), max_length=30, blank=True)
    name = models.CharField(_("procedure name"), max_length=300)
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=ProcedureKind.choices, default=ProcedureKind.APPLICATION
    )
    by_residents = models.BooleanField(_("residents apply"), default=False)
    by_businesses = models.BooleanField(_("businesses apply"), default=False)
    by_municipalities = models.BooleanField(_("municipalities apply"), default=False)
    has_attachments = models.BooleanField(_("attachments"), default=False)
    has_fee = models.BooleanField(_("fee"), default=False)
    payment_method = models.CharField(_("payment method"), max_length=200, blank=True)
    accepting_system_name = models.CharField(_("system that accepts it"), max_length=200, blank=True)
    accepting_system = models.ForeignKey(
        "systems.System",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="procedures",
        verbose_name=_("system karte"),
    )
    form_template = models.ForeignKey(
        "FormTemplate",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="procedures",
        verbose_name=_("form template"),
    )
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        ordering = ["code", "name"]
        indexes = [models.Index(fields=["body", "code"]), models.Index(fields=["unit", "name"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()

    def get_absolute_url(self) -> str:
        return reverse("procedures:procedure_detail", kwargs={"pk": self.pk})


class ProcedureAnswer(models.Model):
    """A procedure's state in one survey round: frozen once the round is closed."""

    round = models.ForeignKey(SurveyRound, models.CASCADE, related_name="+", verbose_name=_("survey round"))
    procedure = models.ForeignKey(
        Procedure, models.CASCADE, related_name="answers", verbose_name=_("procedure")
    )
    # Owner and department when answered: later reorganisations do not move a closed round's figures.
    unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("owning unit"))
    department = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("department"))
    yearly_volume = models.BigIntegerField(_("cases a year"), null=True, blank=True)
    online_volume = models.BigIntegerField(_("of which online"), null=True, blank=True)
    status = models.CharField(_("online status"), max_length=20, choices=OnlineStatus.choices, blank=True)
    target_fy = models.PositiveSmallIntegerField(_("planned fiscal year"), null=True, blank=True)
    reasons = models.JSONField(_("reasons it is not online"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_path = "unit"
    scope_by_department = True

    class Meta:
        verbose_name = _("procedure answer")
        verbose_name_plural = _("procedure answers")
        constraints = [models.UniqueConstraint(fields=["round", "procedure"], name="answer_one_per_round")]
        indexes = [
            models.Index(fields=["round", "department"]),
            models.Index(fields=["round", "status", "yearly_volume"]),
        ]

    def __str__(self) -> str:
        return f"{self.round} / {self.procedure}"


class RoundSummary(models.Model):
    """A department's KPIs in a round, recomputed whenever its answers change, so that a round of
    millions of answers reads its KPIs from a few thousand rows."""

    round = models.ForeignKey(SurveyRound, models.CASCADE, related_name="+")
    department = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    body = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    procedures = models.PositiveIntegerField(default=0)
    online = models.PositiveIntegerField(default=0)
    planned = models.PositiveIntegerField(default=0)
    later = models.PositiveIntegerField(default=0)
    impossible = models.PositiveIntegerField(default=0)
    unanswered = models.PositiveIntegerField(default=0)
    volume = models.BigIntegerField(default=0)
    online_volume = models.BigIntegerField(default=0)
    # {fiscal year: procedures planned for it} and {reason: procedures giving it}.
    planned_by_fy = models.JSONField(default=dict)
    reasons = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "department"], name="summary_one_per_department")
        ]
        indexes = [models.Index(fields=["round", "body"])]

    def __str__(self) -> str:
        return f"{self.round_id}/{self.department_id}"


class FormTemplate(models.Model):
    """An online application screen template (申請画面テンプレート) procedures can reuse."""

    body = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("local government"))
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_path = "body"
    scope_by_department = False

    class Meta:
        verbose_name = _("form template")
        verbose_name_plural = _("form templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("procedures:formtemplate_detail", kwargs={"pk": self.pk})


class SupportCase(UnitOwnedModel):
    """Hands-on support (伴走支援) for one procedure or a group of them, up to going online."""

    title = models.CharField(_("title"), max_length=200)
    procedures = models.ManyToManyField(Procedure, related_name="support_cases", verbose_name=_("procedures"))
    status = models.CharField(
        _("status"), max_length=20, choices=SupportStatus.choices, default=SupportStatus.HEARING
    )
    proposal = models.CharField(_("proposal"), max_length=20, choices=ProposalKind.choices, blank=True)
    proposal_detail = models.TextField(_("what was proposed"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    went_live_on = models.DateField(_("went online on"), null=True, blank=True)
    history = HistoricalRecords(m2m_fields=[procedures])

    class Meta:
        verbose_name = _("support case")
        verbose_name_plural = _("support cases")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("procedures:supportcase_detail", kwargs={"pk": self.pk})


class Hearing(models.Model):
    """A hearing on the current workflow within a support case."""

    case = models.ForeignKey(
        SupportCase, models.CASCADE, related_name="hearings", verbose_name=_("support case")
    )
    held_on = models.DateField(_("held on"))
    attendees = models.CharField(_("who"), max_length=300, blank=True)
    current_workflow = models.TextField(_("current workflow"), blank=True)
    issues_found = models.TextField(_("issues found"), blank=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_path = "case__unit"
    scope_by_department = True

    class Meta:
        verbose_name = _("hearing")
        verbose_name_plural = _("hearings")
        ordering = ["held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.case} {self.held_on}"
