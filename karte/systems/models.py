import datetime

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from karte.core.models import BodyCodedModel, OrgUnit
from karte.core.scoping import ScopedQuerySet
from karte.systems.choices import (
    ContractKind,
    Hosting,
    NetworkTier,
    Optimisation,
    ProcurementMethod,
    StandardBusiness,
    SystemStatus,
)


class BodyOwnedModel(models.Model):
    """Reference data of one body (vendors, working groups): all its people read it, the office changes it."""

    body = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("local government"))

    objects = ScopedQuerySet.as_manager()
    scope_path = "body"
    scope_by_department = False

    class Meta:
        abstract = True


class PortfolioSettings(BodyOwnedModel):
    """What the office decides for its whole portfolio."""

    lock_in_threshold_years = models.PositiveSmallIntegerField(_("lock-in threshold (years)"), default=10)
    common_platform_end = models.DateField(
        _("end of the common platform's term"), default=datetime.date(2025, 9, 30)
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("portfolio settings")
        verbose_name_plural = _("portfolio settings")
        constraints = [models.UniqueConstraint(fields=["body"], name="portfoliosettings_one_per_body")]

    def __str__(self) -> str:
        return str(_("Portfolio settings"))


class Vendor(BodyOwnedModel):
    """One company, however sheets spell it: `normalized_name` is the identity."""

    name = models.CharField(_("vendor"), max_length=200)
    normalized_name = models.CharField(max_length=200, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["body", "normalized_name"], name="vendor_unique_in_body"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("systems:vendor_detail", kwargs={"pk": self.pk})


class WorkingGroup(BodyOwnedModel):
    """A task-force working group that moves systems together (e.g. off the common platform)."""

    name = models.CharField(_("name"), max_length=200)
    member_units = models.ManyToManyField(
        OrgUnit, related_name="+", blank=True, verbose_name=_("member units")
    )
    migration_date = models.DateField(_("migration date"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords(m2m_fields=[member_units])

    class Meta:
        verbose_name = _("working group")
        verbose_name_plural = _("working groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("systems:workinggroup_detail", kwargs={"pk": self.pk})


class System(BodyCodedModel):
    """An information system: one karte."""

    code = models.CharField(_("system ID"), max_length=30)
    name = models.CharField(_("system name"), max_length=200)
    purpose = models.TextField(_("purpose"), blank=True)
    users = models.CharField(_("users"), max_length=200, blank=True)
    go_live_fy = models.PositiveSmallIntegerField(_("go-live fiscal year"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=SystemStatus.choices, default=SystemStatus.ACTIVE
    )
    hosting = models.CharField(_("where it runs"), max_length=30, choices=Hosting.choices, blank=True)
    network_tier = models.CharField(_("network tier"), max_length=20, choices=NetworkTier.choices, blank=True)
    internet_facing = models.BooleanField(_("internet-facing"), default=False)
    handles_personal_data = models.BooleanField(_("handles personal data"), default=False)
    handles_my_number = models.BooleanField(_("handles My Number"), default=False)
    standard_business = models.CharField(
        _("standardisation target"), max_length=40, choices=StandardBusiness.choices, blank=True
    )
    next_renewal_fy = models.PositiveSmallIntegerField(_("next renewal fiscal year"), null=True, blank=True)
    issues = models.TextField(_("issues"), blank=True)
    plan = models.TextField(_("renewal plan"), blank=True)
    optimisation = models.CharField(
        _("optimisation direction"), max_length=20, choices=Optimisation.choices, blank=True
    )
    migration_destination = models.CharField(_("where it must move"), max_length=200, blank=True)
    working_group = models.ForeignKey(
        WorkingGroup,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="systems",
        verbose_name=_("working group"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("information system")
        verbose_name_plural = _("information systems")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["body", "code"], name="system_code_unique_in_body")]
        indexes = [models.Index(fields=["body", "next_renewal_fy"]), models.Index(fields=["body", "hosting"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("systems:system_detail", kwargs={"pk": self.pk})


class Contract(models.Model):
    system = models.ForeignKey(System, models.CASCADE, related_name="contracts", verbose_name=_("system"))
    vendor = models.ForeignKey(Vendor, models.PROTECT, related_name="contracts", verbose_name=_("vendor"))
    kind = models.CharField(_("contract kind"), max_length=20, choices=ContractKind.choices)
    fy_from = models.PositiveSmallIntegerField(_("from fiscal year"))
    fy_to = models.PositiveSmallIntegerField(
        _("to fiscal year"), null=True, blank=True, help_text=_("Empty: ongoing.")
    )
    amount_thousand_yen = models.BigIntegerField(_("amount (thousand yen)"), null=True, blank=True)
    procurement_method = models.CharField(
        _("procurement method"), max_length=20, choices=ProcurementMethod.choices, blank=True
    )
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_path = "system__unit"
    scope_by_department = True

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["system", "fy_from", "pk"]
        indexes = [models.Index(fields=["system", "kind", "fy_from"])]

    def __str__(self) -> str:
        try:
            vendor = str(self.vendor)
        except Vendor.DoesNotExist:
            # A history row can name a vendor since merged into another (services.merge_vendors).
            vendor = "—"
        return f"{self.system.code} {self.get_kind_display()} {vendor}"


class Cost(models.Model):
    """Budget and settlement of one system in one fiscal year, in thousand yen."""

    system = models.ForeignKey(System, models.CASCADE, related_name="costs", verbose_name=_("system"))
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    budget_thousand_yen = models.BigIntegerField(_("budget (thousand yen)"), null=True, blank=True)
    settlement_thousand_yen = models.BigIntegerField(_("settlement (thousand yen)"), null=True, blank=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_path = "system__unit"
    scope_by_department = True

    class Meta:
        verbose_name = _("yearly cost")
        verbose_name_plural = _("yearly costs")
        ordering = ["system", "fiscal_year"]
        constraints = [models.UniqueConstraint(fields=["system", "fiscal_year"], name="cost_one_per_year")]

    def __str__(self) -> str:
        return f"{self.system.code} {self.fiscal_year}"


class MaintenanceRun(models.Model):
    """Derived from contracts (services.rebuild_maintenance_runs): a stretch of fiscal years in which one
    vendor maintained a system without a break. Lock-in at any fiscal year is then one indexed query."""

    system = models.ForeignKey(System, models.CASCADE, related_name="maintenance_runs")
    vendor = models.ForeignKey(Vendor, models.CASCADE, related_name="+")
    fy_from = models.PositiveSmallIntegerField()
    fy_to = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["fy_from", "fy_to"])]

    def __str__(self) -> str:
        return f"{self.system_id}: {self.vendor_id} {self.fy_from}–{self.fy_to or ''}"
