"""Shared builders for the vulnerability tests."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

from karte.systems.models import System
from karte.vulnerabilities import services
from karte.vulnerabilities.models import Finding, Host

DATA = Path(__file__).resolve().parent / "data"
OPENVAS = DATA / "openvas_results.csv"
NESSUS = DATA / "nessus_results.csv"


def make_system(unit, code: str, name: str | None = None) -> System:
    return System.objects.create(unit=unit, code=code, name=name or f"{code}システム")


def make_host(system, ip: str | None = None, hostname: str = "") -> Host:
    return services.save_host(Host(system=system, ip=ip, hostname=hostname))


def make_finding(
    system, title: str, *, cvss: str | None = "5.0", found_on=None, host=None, **fields
) -> Finding:
    finding = Finding(
        system=system,
        host=host,
        title=title,
        cvss=Decimal(cvss) if cvss is not None else None,
        found_on=found_on or datetime.date(2024, 4, 1),
        **fields,
    )
    return services.save_finding(finding)
