"""Platform vulnerability diagnosis (プラットフォーム診断): the hosts of each system and their findings."""

from __future__ import annotations

import datetime
import re
import unicodedata
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from karte.core.scoping import ScopedQuerySet
from karte.systems.models import System
from karte.vulnerabilities.choices import FindingStatus, Severity

CVE_ID = re.compile(r"CVE-\d{4}-\d{4,7}")
CVE_SEPARATORS = re.compile(r"[\s,、，;；/]+")
HOSTNAME = re.compile(r"[a-z0-9_]([a-z0-9_.-]{0,251}[a-z0-9_])?")


def split_cves(text: str | None) -> tuple[list[str], list[str]]:
    """Return (CVE IDs in the order first written, without repeats; the parts that are not CVE IDs)."""
    ids: list[str] = []
    bad: list[str] = []
    for part in CVE_SEPARATORS.split(unicodedata.normalize("NFKC", text or "").upper()):
        if not part:
            continue
        if not CVE_ID.fullmatch(part):
            bad.append(part)
        elif part not in ids:
            ids.append(part)
    return ids, bad


def join_cves(ids) -> str:
    return ", ".join(ids)


def validate_cves(text: str) -> None:
    _ids, bad = split_cves(text)
    if bad:
        raise ValidationError(
            _("Not a CVE ID: %(ids)s. Write them as CVE-2024-12345, separated by commas."),
            params={"ids": ", ".join(bad)},
            code="cve",
        )


def normalize_hostname(name: str | None) -> str:
    """Return a host name as compared: NFKC, lower case, without spaces or a trailing dot."""
    return unicodedata.normalize("NFKC", name or "").strip().lower().rstrip(".")


class Host(models.Model):
    """A server or device of a system that the platform diagnosis scans, known by its IP and/or name."""

    system = models.ForeignKey(System, models.CASCADE, related_name="hosts", verbose_name=_("system"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    hostname = models.CharField(_("host name"), max_length=253, blank=True)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_path = "system__unit"
    scope_by_department = True

    class Meta:
        verbose_name = _("host")
        verbose_name_plural = _("hosts")
        ordering = ["system", "ip", "hostname"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "ip"], condition=Q(ip__isnull=False), name="host_ip_unique_in_system"
            ),
            models.UniqueConstraint(
                fields=["system", "hostname"], condition=~Q(hostname=""), name="host_name_unique_in_system"
            ),
            models.CheckConstraint(
                condition=Q(ip__isnull=False) | ~Q(hostname=""), name="host_has_ip_or_name"
            ),
        ]
        indexes = [models.Index(fields=["ip"]), models.Index(fields=["hostname"])]

    def __str__(self) -> str:
        return self.hostname or self.ip or ""

    def get_absolute_url(self) -> str:
        return reverse("vulnerabilities:host_detail", kwargs={"pk": self.pk})

    @property
    def label(self) -> str:
        """Return the host as lists show it: name and address."""
        if self.hostname and self.ip:
            return f"{self.hostname} ({self.ip})"
        return str(self)


class FindingQuerySet(ScopedQuerySet):
    def fixed(self):
        return self.filter(fixed_on__isnull=False)

    def not_fixed(self):
        return self.filter(fixed_on__isnull=True)

    def overdue(self, today: datetime.date | None = None):
        """Return the findings not fixed whose deadline has passed."""
        return self.not_fixed().filter(due_on__lt=today or timezone.localdate())

    def open(self, today: datetime.date | None = None):
        """Return the findings not fixed and not past their deadline (or without one)."""
        today = today or timezone.localdate()
        return self.not_fixed().filter(Q(due_on__isnull=True) | Q(due_on__gte=today))

    def with_status_rank(self, today: datetime.date | None = None):
        """Annotate `status_rank`: 0 overdue, 1 open, 2 fixed (the order lists show them in)."""
        today = today or timezone.localdate()
        return self.annotate(
            status_rank=models.Case(
                models.When(fixed_on__isnull=False, then=2),
                models.When(due_on__lt=today, then=0),
                default=1,
                output_field=models.IntegerField(),
            )
        )


class Finding(models.Model):
    """One vulnerability the diagnosis found on a system (on one of its hosts, when known)."""

    system = models.ForeignKey(
        System, models.CASCADE, related_name="vulnerability_findings", verbose_name=_("system")
    )
    host = models.ForeignKey(
        # RESTRICT rather than PROTECT: a host keeps its findings, yet deleting the system removes both.
        Host,
        models.RESTRICT,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("host"),
    )
    title = models.CharField(_("finding"), max_length=300)
    cve = models.TextField(
        _("CVE"), blank=True, validators=[validate_cves], help_text=_("CVE IDs separated by commas.")
    )
    cvss = models.DecimalField(
        _("CVSS score"),
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.0")), MaxValueValidator(Decimal("10.0"))],
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    # Whether the severity was given rather than derived from the CVSS score (then it follows the score).
    severity_given = models.BooleanField(default=False, editable=False)
    port = models.CharField(_("port"), max_length=30, blank=True)
    description = models.TextField(_("description"), blank=True)
    found_on = models.DateField(_("found on"))
    remediation_plan = models.TextField(_("remediation plan"), blank=True)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    # Whether the due date was given rather than derived from the severity and the finding's date.
    due_given = models.BooleanField(default=False, editable=False)
    fixed_on = models.DateField(_("fixed on"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    # The scanner's identity of the finding on its host (scanner, plugin/NVT, port): a re-import finds it.
    scanner_key = models.CharField(max_length=300, blank=True, editable=False)
    history = HistoricalRecords()

    objects = FindingQuerySet.as_manager()
    scope_path = "system__unit"
    scope_by_department = True

    class Meta:
        verbose_name = _("vulnerability finding")
        verbose_name_plural = _("vulnerability findings")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["host", "scanner_key"],
                condition=~Q(scanner_key=""),
                name="finding_scanner_key_unique_on_host",
            ),
            models.CheckConstraint(
                condition=Q(cvss__isnull=True) | Q(cvss__gte=0, cvss__lte=10), name="finding_cvss_in_range"
            ),
        ]
        indexes = [models.Index(fields=["fixed_on", "due_on"]), models.Index(fields=["system", "title"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("vulnerabilities:finding_detail", kwargs={"pk": self.pk})

    def status_on(self, today: datetime.date) -> str:
        if self.fixed_on is not None:
            return FindingStatus.FIXED
        if self.due_on is not None and self.due_on < today:
            return FindingStatus.OVERDUE
        return FindingStatus.OPEN

    @property
    def status(self) -> str:
        """Return open, overdue or fixed, today."""
        return self.status_on(timezone.localdate())

    def get_status_display(self) -> str:
        return str(FindingStatus(self.status).label)

    @property
    def cve_ids(self) -> list[str]:
        return split_cves(self.cve)[0]
