from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from karte.core.models import OrgUnit, SurveyRound
from karte.core.scoping import ScopedQuerySet
from karte.security.choices import Exemption, MonitoringService, OwnMeasure
from karte.systems.models import System

# Each service's (enrolled, since) fields.
SERVICE_FIELDS = {
    MonitoringService.SUSPICIOUS_TRAFFIC: ("traffic_enrolled", "traffic_since"),
    MonitoringService.WEB_MALWARE: ("web_malware_enrolled", "web_malware_since"),
    MonitoringService.RESPONSE: ("response_enrolled", "response_since"),
}
MEASURE_FIELDS = [measure.value for measure in OwnMeasure]


class ProtectionFields(models.Model):
    """How a system is protected: the three services, its own measures, or why it needs neither."""

    traffic_enrolled = models.BooleanField(_("enrolled in cyber-attack detection"), default=False)
    traffic_since = models.DateField(_("cyber-attack detection since"), null=True, blank=True)
    web_malware_enrolled = models.BooleanField(_("enrolled in web malware detection"), default=False)
    web_malware_since = models.DateField(_("web malware detection since"), null=True, blank=True)
    response_enrolled = models.BooleanField(_("enrolled in response observation"), default=False)
    response_since = models.DateField(_("response observation since"), null=True, blank=True)
    waf = models.BooleanField(_("WAF"), default=False)
    ips_ids = models.BooleanField(_("IPS/IDS"), default=False)
    edr = models.BooleanField(_("EDR"), default=False)
    soc_24h = models.BooleanField(_("24-hour SOC monitoring"), default=False)
    cdn_cloud = models.BooleanField(_("CDN or cloud provider protection"), default=False)
    other_measures = models.BooleanField(_("other measures"), default=False)
    measures_description = models.TextField(_("own measures in detail"), blank=True)
    exemption = models.CharField(
        _("reason no service is needed"), max_length=20, choices=Exemption.choices, blank=True
    )
    exemption_note = models.TextField(_("exemption in detail"), blank=True)

    class Meta:
        abstract = True

    @property
    def enrolled_services(self) -> list[str]:
        return [service for service, (flag, _since) in SERVICE_FIELDS.items() if getattr(self, flag)]

    @property
    def own_measures(self) -> list[str]:
        return [name for name in MEASURE_FIELDS if getattr(self, name)]


# Every field of a protection, as profiles and answers share them.
PROTECTION_FIELDS = [field.name for field in ProtectionFields._meta.local_fields]


class ProtectionProfile(ProtectionFields):
    """A system's protection as last confirmed by its owner; whether it faces the internet is the
    system's own `internet_facing`, on the karte."""

    system = models.OneToOneField(System, models.CASCADE, related_name="protection", verbose_name=_("system"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_on = models.DateField(_("confirmed on"), null=True, blank=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_path = "system__unit"
    scope_by_department = True

    class Meta:
        verbose_name = _("protection profile")
        verbose_name_plural = _("protection profiles")
        ordering = ["system__code"]

    def __str__(self) -> str:
        return str(self.system)

    def get_absolute_url(self) -> str:
        return reverse("systems:system_detail", kwargs={"pk": self.system_id}) + "#security"


class ProtectionAnswer(ProtectionFields):
    """A system's protection as answered in one yearly survey round: frozen once the round is closed."""

    round = models.ForeignKey(SurveyRound, models.CASCADE, related_name="+", verbose_name=_("survey round"))
    system = models.ForeignKey(
        System, models.CASCADE, related_name="protection_answers", verbose_name=_("system")
    )
    # Owner and department when answered: later reorganisations do not move a closed round's figures.
    unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("owning unit"))
    department = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("department"))
    internet_facing = models.BooleanField(_("internet-facing"), default=False)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()
    scope_path = "unit"
    scope_by_department = True

    class Meta:
        verbose_name = _("protection answer")
        verbose_name_plural = _("protection answers")
        constraints = [
            models.UniqueConstraint(fields=["round", "system"], name="protection_answer_one_per_round")
        ]
        indexes = [models.Index(fields=["round", "department"])]

    def __str__(self) -> str:
        return f"{self.round} / {self.system}"
