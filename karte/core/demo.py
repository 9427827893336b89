"""The demo prefecture that `make run` loads into an empty database."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from karte.core.choices import Role
from karte.core.fiscal import fiscal_year_of, format_fiscal_year
from karte.core.importing.base import apply_plan, build_plan
from karte.core.importing.registry import get_importer
from karte.core.models import OrgUnit, SurveyRound
from karte.core.rounds import close_round, open_round, round_kind
from karte.core.services import set_membership

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
DEMO_PASSWORD = "karte-demo"  # noqa: S105  the demo's published password, printed by `make run`
# (importer kind, sample sheet, importer options), in the order they load: the organisation first.
DEMO_SHEETS = [
    ("organisation", "organisation.xlsx", {}),
    # The sheet's note says its costs are the 令和4年度 budget.
    ("systems", "systems_karte_R4.xlsx", {"fiscal_year": 2022}),
    # Each survey into a round of its own, named with its year (FY2020, FY2022): R4's previous is R2.
    ("procedures", "procedures_R2.xlsx", {"round": "令和2年度調査"}),
    ("procedures", "procedures_R4.xlsx", {"round": "令和4年度調査"}),
    # The security survey of R5.5.31, taken as each system's current protection profile.
    ("security-survey", "security_survey_R5.xlsx", {}),
    # This year's platform diagnosis findings and storage disposals, made up for the demo.
    ("vulnerabilities", "vulnerabilities_R8.csv", {}),
    ("disposals", "disposals_R8.csv", {}),
]
# Past surveys, closed as soon as they are loaded (R2 before R4 comes in), as they were in their day.
DEMO_CLOSED_ROUNDS = [("procedures", "令和2年度調査"), ("procedures", "令和4年度調査")]
# The surveys open in the current fiscal year, each named "<fiscal year><suffix>".
DEMO_OPEN_ROUNDS = {
    "procedures": "調査",
    "security": "セキュリティ対策状況照会",
    "self_inspection": "自己点検",
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    section_code: str
    last_name: str


DEMO_USERS = [
    DemoUser("office", Role.OFFICE_ADMIN, "04002", "行政DX推進課 担当"),
    DemoUser("fukushi", Role.EDITOR, "06001", "福祉部 担当"),
    DemoUser("kenko", Role.EDITOR, "07001", "健康医療部 担当"),
    DemoUser("viewer", Role.VIEWER, "06002", "福祉部 閲覧"),
    DemoUser("auditor", Role.AUDITOR, "03003", "監査担当"),
]


def demo_loaded() -> bool:
    return OrgUnit.objects.exists()


@transaction.atomic
def load_demo() -> list[DemoUser]:
    """Load the sample sheets and the demo people; return the people created."""
    organisation, *registries = DEMO_SHEETS
    # The organisation first: the people sit in its units, and the office closes the past rounds.
    _load_sheet(*organisation)
    users = get_user_model()
    created = {}
    for person in DEMO_USERS:
        user = users.objects.create_user(person.username, password=DEMO_PASSWORD, last_name=person.last_name)
        set_membership(user, role=person.role, unit=OrgUnit.objects.get(code=person.section_code))
        created[person.role] = created.get(person.role, user)
    for kind, filename, options in registries:
        _load_sheet(kind, filename, options)
        if (kind, options.get("round")) in DEMO_CLOSED_ROUNDS:
            survey = SurveyRound.objects.get(kind=kind, name=options["round"])
            close_round(survey, created[Role.OFFICE_ADMIN])
    office = created[Role.OFFICE_ADMIN]
    body = office.membership.unit.body
    # Modules with more to set up (a default question set, …) do it through their AppConfig's demo_setup.
    for config in apps.get_app_configs():
        if path := getattr(config, "demo_setup", None):
            import_string(path)(office)
    # The R5 security survey as a closed round, so that this year's round has a year to compare with.
    _open_round(office, body, "security", "令和5年度セキュリティ対策状況照会", 2023, closed=True)
    # This year's surveys are under way: a newcomer can answer as a department and follow as the office.
    this_year = fiscal_year_of(timezone.localdate())
    for kind, suffix in DEMO_OPEN_ROUNDS.items():
        _open_round(office, body, kind, f"{format_fiscal_year(this_year, 'ja')}{suffix}", this_year)
    return DEMO_USERS


def _open_round(office, body, kind: str, name: str, fiscal_year: int, closed: bool = False) -> None:
    survey = open_round(
        user=office,
        body=body,
        kind=kind,
        name=name,
        fiscal_year=fiscal_year,
        deadline=None if closed else timezone.localdate() + datetime.timedelta(days=30),
        fields=[field for field, _label in round_kind(kind).answer_fields],
    )
    if closed:
        close_round(survey, office)


def _load_sheet(kind: str, filename: str, options: dict) -> None:
    importer = get_importer(kind)(None, **options)
    apply_plan(importer, build_plan(importer, DEMO_DIR / filename))
