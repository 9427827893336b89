"""Filters of the incident list."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from karte.core.choices import OrgUnitKind
from karte.core.models import OrgUnit
from karte.core.scoping import VIEW
from karte.incidents.choices import IncidentSource, IncidentStatus, Severity
from karte.incidents.models import Incident
from karte.systems.models import System

# Every incident whose response is not completed, whatever its stage: the dashboard card links here.
UNFINISHED = "unfinished"


class IncidentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(
        label=_("Response status"),
        choices=[(UNFINISHED, _("Not completed")), *IncidentStatus.choices],
        method="by_status",
        empty_label=_("All"),
    )
    severity = django_filters.ChoiceFilter(
        label=_("Severity"), choices=Severity.choices, empty_label=_("All")
    )
    source = django_filters.ChoiceFilter(
        label=_("How it came to light"), choices=IncidentSource.choices, empty_label=_("All")
    )
    department = django_filters.ModelChoiceFilter(
        label=_("Department"), field_name="unit__department", queryset=OrgUnit.objects.none()
    )
    system = django_filters.ModelChoiceFilter(
        label=_("Affected system"), field_name="systems", queryset=System.objects.none()
    )

    class Meta:
        model = Incident
        fields = ["q", "status", "severity", "source", "department", "system"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = request.user
        self.filters["department"].queryset = (
            OrgUnit.objects.restrict(user, VIEW).filter(kind=OrgUnitKind.DEPARTMENT).order_by("code")
        )
        self.filters["system"].queryset = System.objects.restrict(user, VIEW).order_by("code")
        self.filters["department"].field.widget.attrs["data-autosubmit"] = ""

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(reference__icontains=value) | Q(title__icontains=value) | Q(detected_by__icontains=value)
        )

    def by_status(self, queryset, name, value):
        if value == UNFINISHED:
            return queryset.exclude(status=IncidentStatus.CLOSED)
        return queryset.filter(status=value)
