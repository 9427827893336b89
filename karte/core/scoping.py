"""Who sees and changes which records: one rule, applied in querysets.

Every registry model declares `scope_path`, the lookup from the model to its owning OrgUnit
("unit" for UnitOwnedModel, "" for OrgUnit itself), and `scope_by_department`. Views, forms,
exports, imports and the API all call `Model.objects.restrict(user, action)`; nothing else filters
by role.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from karte.core.choices import Role

VIEW = "view"
CHANGE = "change"

READ_ALL_ROLES = {Role.OFFICE_ADMIN, Role.AUDITOR}
WRITE_ROLES = {Role.OFFICE_ADMIN, Role.EDITOR}


@dataclass(frozen=True)
class Scope:
    """What one person may reach: a body, possibly narrowed to one department."""

    role: str | None
    body_id: int | None
    department_id: int | None
    unit_id: int | None
    everything: bool = False

    @property
    def reads_whole_body(self) -> bool:
        return self.everything or self.role in READ_ALL_ROLES

    @property
    def may_write(self) -> bool:
        return self.everything or self.role in WRITE_ROLES

    @property
    def is_office(self) -> bool:
        return self.everything or self.role == Role.OFFICE_ADMIN

    @property
    def reads_audit_trail(self) -> bool:
        return self.everything or self.role in READ_ALL_ROLES


NO_SCOPE = Scope(role=None, body_id=None, department_id=None, unit_id=None)


def scope_for(user) -> Scope:
    """Return the user's Scope, cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_SCOPE
    cached = getattr(user, "_karte_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(role=Role.OFFICE_ADMIN, body_id=None, department_id=None, unit_id=None, everything=True)
    else:
        from karte.core.models import Membership

        membership = Membership.objects.select_related("unit").filter(user=user).first()
        if membership is None:
            scope = NO_SCOPE
        else:
            unit = membership.unit
            scope = Scope(
                role=membership.role,
                body_id=unit.body_id,
                department_id=unit.department_id,
                unit_id=unit.pk,
            )
    user._karte_scope = scope
    return scope


def _lookup(path: str, field: str) -> str:
    return f"{path}__{field}" if path else field


def restrict(queryset, model, user, action: str = VIEW):
    """Return the rows of `queryset` (of `model` or of its history) that `user` may see or change."""
    scope = scope_for(user)
    if scope.everything:
        return queryset
    if scope.role is None or scope.body_id is None:
        return queryset.none()
    path = model.scope_path
    qs = queryset.filter(**{_lookup(path, "body_id"): scope.body_id})
    department = {_lookup(path, "department_id"): scope.department_id}
    if action == VIEW:
        if scope.reads_whole_body or not model.scope_by_department:
            return qs
        return qs.filter(**department)
    if action == CHANGE:
        if scope.role == Role.OFFICE_ADMIN:
            return qs
        if scope.role == Role.EDITOR and model.scope_by_department and scope.department_id:
            return qs.filter(**department)
        return queryset.none()
    raise ValueError(f"unknown action {action!r}")


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = VIEW) -> ScopedQuerySet:
        """Return only the rows `user` may see (action "view") or change (action "change")."""
        return restrict(self, self.model, user, action)


def assignable_units(user, *, everything: bool = False):
    """Return the currently valid units a user may give a record to when creating or editing it.

    `everything` is for the command line, which acts for no one user.
    """
    from django.utils import timezone

    from karte.core.models import OrgUnit

    today = timezone.localdate()
    scope = scope_for(user)
    units = OrgUnit.objects.filter(valid_from__lte=today).exclude(valid_to__lt=today)
    if everything or scope.everything:
        return units
    if not scope.may_write or scope.body_id is None:
        return units.none()
    units = units.filter(body_id=scope.body_id)
    if scope.role == Role.EDITOR:
        units = units.filter(department_id=scope.department_id)
    return units
