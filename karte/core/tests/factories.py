"""Factories and a small two-body world for tests across every module."""

from __future__ import annotations

from dataclasses import dataclass

import factory
from django.contrib.auth import get_user_model

from karte.core.choices import OrgUnitKind, Role
from karte.core.models import OrgUnit
from karte.core.services import create_org_unit, set_membership

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)


def make_user(username: str, role: str | None = None, unit: OrgUnit | None = None, **extra):
    user = UserFactory(username=username, **extra)
    user.save()
    if role is not None:
        set_membership(user, role=role, unit=unit)
    return user


@dataclass
class World:
    """Two bodies: A (a prefecture with two departments) and B (a city); a person of every role."""

    body_a: OrgUnit
    dept_a1: OrgUnit
    section_a1: OrgUnit
    dept_a2: OrgUnit
    section_a2: OrgUnit
    office_section: OrgUnit
    body_b: OrgUnit
    dept_b1: OrgUnit
    section_b1: OrgUnit
    users: dict


def build_world() -> World:
    body_a = create_org_unit(kind=OrgUnitKind.BODY, code="270008", name="大阪府")
    dept_a1 = create_org_unit(kind=OrgUnitKind.DEPARTMENT, code="06", name="福祉部", parent=body_a)
    section_a1 = create_org_unit(kind=OrgUnitKind.SECTION, code="06001", name="地域福祉課", parent=dept_a1)
    dept_a2 = create_org_unit(kind=OrgUnitKind.DEPARTMENT, code="07", name="健康医療部", parent=body_a)
    section_a2 = create_org_unit(
        kind=OrgUnitKind.SECTION, code="07001", name="健康医療総務課", parent=dept_a2
    )
    dept_office = create_org_unit(
        kind=OrgUnitKind.DEPARTMENT, code="04", name="スマートシティ戦略部", parent=body_a
    )
    office_section = create_org_unit(
        kind=OrgUnitKind.SECTION, code="04002", name="行政DX推進課", parent=dept_office
    )
    body_b = create_org_unit(kind=OrgUnitKind.BODY, code="271004", name="大阪市SECRET-B")
    dept_b1 = create_org_unit(kind=OrgUnitKind.DEPARTMENT, code="06", name="福祉局SECRET-B", parent=body_b)
    section_b1 = create_org_unit(
        kind=OrgUnitKind.SECTION, code="06001", name="福祉課SECRET-B", parent=dept_b1
    )
    users = {
        "office_a": make_user("office_a", Role.OFFICE_ADMIN, office_section),
        "editor_a1": make_user("editor_a1", Role.EDITOR, section_a1),
        "editor_a2": make_user("editor_a2", Role.EDITOR, section_a2),
        "viewer_a1": make_user("viewer_a1", Role.VIEWER, section_a1),
        "auditor_a": make_user("auditor_a", Role.AUDITOR, office_section),
        "office_b": make_user("office_b", Role.OFFICE_ADMIN, section_b1),
        "no_role": make_user("no_role"),
        "superuser": make_user("root", is_superuser=True, is_staff=True),
    }
    return World(
        body_a, dept_a1, section_a1, dept_a2, section_a2, office_section, body_b, dept_b1, section_b1, users
    )
