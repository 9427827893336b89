"""Changes to the organisation and to people's roles. Views, commands and tasks all call these."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from karte.core.choices import OrgUnitKind
from karte.core.models import Membership, OrgUnit


def derive_ancestors(unit: OrgUnit) -> None:
    """Set `unit.body` and `unit.department` from its parent (not for a new body or department)."""
    parent = unit.parent
    if unit.kind == OrgUnitKind.BODY:
        unit.parent = None
        unit.body_id = unit.pk
        unit.department_id = None
    elif unit.kind == OrgUnitKind.DEPARTMENT:
        unit.body_id = parent.body_id
        unit.department_id = unit.pk
    else:
        unit.body_id = parent.body_id
        unit.department_id = parent.department_id


@transaction.atomic
def create_org_unit(
    *,
    kind: str,
    code: str,
    name: str,
    parent: OrgUnit | None = None,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
    user=None,
) -> OrgUnit:
    """Create a unit under `parent` (None for a body) and return it; `user` is named in its history."""
    unit = OrgUnit(
        kind=kind,
        code=code,
        name=name,
        parent=parent,
        valid_from=valid_from or timezone.localdate(),
        valid_to=valid_to,
    )
    # Outside a request (a worker, a command) the history would otherwise name nobody.
    if user is not None:
        unit._history_user = user
    if kind not in (OrgUnitKind.BODY, OrgUnitKind.DEPARTMENT):
        derive_ancestors(unit)
        unit.save()
        return unit
    if kind == OrgUnitKind.DEPARTMENT:
        unit.body_id = parent.body_id
    unit.save()
    # A body and a department are their own ancestor of that kind, which needs the new primary key.
    derive_ancestors(unit)
    refs = {"body_id": unit.body_id, "department_id": unit.department_id}
    OrgUnit.objects.filter(pk=unit.pk).update(**refs)
    OrgUnit.history.filter(id=unit.pk).update(**refs)
    return unit


@transaction.atomic
def update_org_unit(unit: OrgUnit, *, user=None, **fields) -> OrgUnit:
    """Change a unit's name, parent, validity or successor; moves keep descendants' ancestors right."""
    old_department = unit.department_id
    for name, value in fields.items():
        setattr(unit, name, value)
    if user is not None:
        unit._history_user = user
    if unit.kind != OrgUnitKind.BODY:
        derive_ancestors(unit)
    unit.save()
    if unit.department_id != old_department:
        refresh_descendants(unit)
    return unit


def refresh_descendants(unit: OrgUnit) -> None:
    """Re-derive body and department below a unit that moved to another department."""
    for child in OrgUnit.objects.filter(parent=unit):
        derive_ancestors(child)
        child.save(update_fields=["body", "department"])
        refresh_descendants(child)


@transaction.atomic
def set_membership(user, *, role: str, unit: OrgUnit, actor=None) -> Membership:
    """Give `user` a role in `unit`, replacing any earlier one; `actor` is named in the history."""
    membership = Membership.objects.filter(user=user).first() or Membership(user=user)
    membership.role = role
    membership.unit = unit
    if actor is not None:
        membership._history_user = actor
    membership.save()
    user.__dict__.pop("_karte_scope", None)
    return membership


@transaction.atomic
def save_person(
    person,
    *,
    username: str,
    last_name: str,
    first_name: str,
    email: str,
    is_active: bool,
    role: str,
    unit: OrgUnit,
    password: str | None,
    actor,
):
    """Create (person None) or update a person and their role; returns the user."""
    from django.contrib.auth import get_user_model

    if person is None:
        person = get_user_model()(username=username)
    person.last_name = last_name
    person.first_name = first_name
    person.email = email
    person.is_active = is_active
    if password:
        person.set_password(password)
    person.save()
    set_membership(person, role=role, unit=unit, actor=actor)
    return person
