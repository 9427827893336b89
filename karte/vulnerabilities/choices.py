"""Enumerations of the platform vulnerability findings, and the rules that derive them.

Severity follows the CVSS v3 qualitative rating scale; the deadline to fix follows the office's rule
(critical 14 days, high 30, medium 90, low 180 after the finding).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")
    NONE = "none", _("None (informational)")


class FindingStatus(models.TextChoices):
    OVERDUE = "overdue", _("Overdue")
    OPEN = "open", _("Unresolved")
    FIXED = "fixed", _("Fixed")


# Lower bounds of the CVSS v3 bands, highest first: 9.0 and above is critical, 0.1–3.9 low.
CVSS_BANDS: tuple[tuple[Decimal, str], ...] = (
    (Decimal("9.0"), Severity.CRITICAL),
    (Decimal("7.0"), Severity.HIGH),
    (Decimal("4.0"), Severity.MEDIUM),
    (Decimal("0.1"), Severity.LOW),
    (Decimal("0.0"), Severity.NONE),
)

DAYS_TO_FIX = {
    Severity.CRITICAL: 14,
    Severity.HIGH: 30,
    Severity.MEDIUM: 90,
    Severity.LOW: 180,
}

# Most urgent first, for sorting and for the karte's counts.
SEVERITY_ORDER = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.NONE]
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITY_ORDER)}

# Words sheets and scanners use for a severity (compared case-insensitively after NFKC).
SEVERITY_WORDS = {
    "緊急": Severity.CRITICAL,
    "critical": Severity.CRITICAL,
    "重大": Severity.CRITICAL,
    "高": Severity.HIGH,
    "high": Severity.HIGH,
    "重要": Severity.HIGH,
    "中": Severity.MEDIUM,
    "medium": Severity.MEDIUM,
    "警告": Severity.MEDIUM,
    "低": Severity.LOW,
    "low": Severity.LOW,
    "注意": Severity.LOW,
    "なし": Severity.NONE,
    "none": Severity.NONE,
    "情報": Severity.NONE,
    "info": Severity.NONE,
    "informational": Severity.NONE,
}
SHEET_SEVERITY = {
    Severity.CRITICAL: "緊急",
    Severity.HIGH: "高",
    Severity.MEDIUM: "中",
    Severity.LOW: "低",
    Severity.NONE: "なし",
}
SHEET_STATUS = {
    FindingStatus.OPEN: "未対応",
    FindingStatus.OVERDUE: "期限超過",
    FindingStatus.FIXED: "対応済",
}


def severity_for_cvss(cvss: Decimal | None) -> str | None:
    """Return the CVSS v3 severity of a score (None for no score)."""
    if cvss is None:
        return None
    for bound, severity in CVSS_BANDS:
        if cvss >= bound:
            return severity
    return Severity.NONE


def default_due_on(severity: str | None, found_on: datetime.date | None) -> datetime.date | None:
    """Return the deadline the office's rule gives a finding; None for informational findings."""
    days = DAYS_TO_FIX.get(severity)
    if days is None or found_on is None:
        return None
    return found_on + datetime.timedelta(days=days)
