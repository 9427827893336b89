"""Records of this app for tests/test_role_matrix.py: who may see and change what."""

import datetime
from decimal import Decimal

from karte.systems.models import System
from karte.vulnerabilities.models import Finding, Host

CORNERS = ("section_a1", "A1"), ("section_a2", "A2"), ("section_b1", "B1")


def host_samples(world):
    hosts = []
    for unit, tag in CORNERS:
        system = System.objects.create(unit=getattr(world, unit), code=f"VH-{tag}", name=f"HOSTED-{tag}")
        hosts.append(
            Host.objects.create(
                system=system, ip=f"10.0.9.{len(hosts) + 1}", hostname=f"karte-host-{tag}".lower()
            )
        )
    return hosts


def finding_samples(world):
    findings = []
    for unit, tag in CORNERS:
        system = System.objects.create(unit=getattr(world, unit), code=f"VF-{tag}", name=f"DIAGNOSED-{tag}")
        host = Host.objects.create(system=system, ip="192.0.2.10", hostname=f"scanned-{tag}".lower())
        findings.append(
            Finding.objects.create(
                system=system,
                host=host,
                title=f"KARTE-FINDING-{tag}",
                cve="CVE-2021-44228",
                cvss=Decimal("9.8"),
                severity="critical",
                found_on=datetime.date(2024, 4, 1),
                due_on=datetime.date(2024, 4, 15),
            )
        )
    return findings


SAMPLES = {Host: host_samples, Finding: finding_samples}
SPECIAL_PAGES = {"vulnerabilities:overdue": "members"}
OFFICE_ADDS = set()
