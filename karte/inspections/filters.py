"""Filters of the self-inspection lists."""

from __future__ import annotations

import django_filters
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from karte.core.choices import OrgUnitKind
from karte.core.models import OrgUnit
from karte.core.scoping import VIEW
from karte.inspections.choices import ActionStatus
from karte.inspections.models import FollowUpAction, InspectionQuestion, InspectionSection
from karte.systems.models import System

OVERDUE, OPEN, DONE = ActionStatus.OVERDUE, ActionStatus.OPEN, ActionStatus.DONE
# Overdue first, then open, then done: what needs doing comes to the top.
STATUS_RANK = {OVERDUE: 0, OPEN: 1, DONE: 2}


def with_status_rank(actions):
    """Annotate `status_rank` (0 overdue, 1 open, 2 done) for ordering and filtering in the database."""
    today = timezone.localdate()
    return actions.annotate(
        status_rank=Case(
            When(done_on__isnull=False, then=Value(STATUS_RANK[DONE])),
            When(due_on__lt=today, then=Value(STATUS_RANK[OVERDUE])),
            default=Value(STATUS_RANK[OPEN]),
            output_field=IntegerField(),
        )
    )


def departments_for(user):
    return OrgUnit.objects.restrict(user, VIEW).filter(kind=OrgUnitKind.DEPARTMENT).order_by("code")


class FollowUpActionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=ActionStatus.choices, method="by_status", empty_label=_("All")
    )
    department = django_filters.ModelChoiceFilter(
        label=_("Department"), field_name="unit__department", queryset=OrgUnit.objects.none()
    )
    system = django_filters.ModelChoiceFilter(
        label=_("System"), field_name="system", queryset=System.objects.none()
    )

    class Meta:
        model = FollowUpAction
        fields = ["q", "status", "department", "system"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        self.filters["department"].queryset = departments_for(request.user)
        self.filters["system"].queryset = System.objects.restrict(request.user, VIEW).order_by("code")
        for name in ("status", "department"):
            self.filters[name].field.widget.attrs["data-autosubmit"] = ""

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(description__icontains=value)
            | Q(person_in_charge__icontains=value)
            | Q(system__name__icontains=value)
            | Q(system__code__icontains=value)
        )

    def by_status(self, queryset, name, value):
        return with_status_rank(queryset).filter(status_rank=STATUS_RANK[value])


class InspectionQuestionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    section = django_filters.ModelChoiceFilter(
        label=_("Inspection area"), queryset=InspectionSection.objects.none()
    )
    active = django_filters.BooleanFilter(label=_("Asked in new rounds"))

    class Meta:
        model = InspectionQuestion
        fields = ["q", "section", "active"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        self.filters["section"].queryset = InspectionSection.objects.restrict(request.user, VIEW)
        self.filters["section"].field.widget.attrs["data-autosubmit"] = ""

    def search(self, queryset, name, value):
        return queryset.filter(Q(text__icontains=value) | Q(guidance__icontains=value))
