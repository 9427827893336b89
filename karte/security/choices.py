from django.db import models
from django.utils.translation import gettext_lazy as _


class MonitoringService(models.TextChoices):
    """The three monitoring services the office signs departments up for (seed 000 §3(3))."""

    SUSPICIOUS_TRAFFIC = "traffic", _("Cyber-attack detection and notification")
    WEB_MALWARE = "web_malware", _("Web malware and tampering detection")
    RESPONSE = "response", _("Homepage response observation")


class OwnMeasure(models.TextChoices):
    WAF = "waf", _("WAF")
    IPS_IDS = "ips_ids", _("IPS/IDS")
    EDR = "edr", _("EDR")
    SOC_24H = "soc_24h", _("24-hour SOC monitoring")
    CDN_CLOUD = "cdn_cloud", _("CDN or cloud provider protection")
    OTHER = "other_measures", _("Other measures")


class Exemption(models.TextChoices):
    NATIONAL = "national", _("The national government or another body is responsible")
    PRIVATE_SERVICE = "private_service", _("A private service used as it is")
    NOT_EXPOSED = "not_exposed", _("Not internet-facing after all")


class Coverage(models.TextChoices):
    GAP = "gap", _("Gap")
    SERVICES = "services", _("Monitoring services")
    OWN_MEASURES = "own_measures", _("Own measures")
    EXEMPT = "exempt", _("Exempt")
    NOT_EXPOSED = "not_exposed", _("Not internet-facing")


class GapReason(models.TextChoices):
    UNPROTECTED = "unprotected", _("Internet-facing with no service, no own measures and no exemption")
    UNCONFIRMED = "unconfirmed", _("No protection profile has been confirmed")
    STALE = "stale", _("Not confirmed within a year")
    NO_TARGET = "no_target", _("Enrolled in a monitoring service that has no target registered for it")
