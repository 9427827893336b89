from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from karte.core.choices import OrgUnitKind
from karte.core.models import OrgUnit
from karte.core.scoping import VIEW
from karte.systems.models import System
from karte.vulnerabilities.choices import FindingStatus, Severity
from karte.vulnerabilities.models import Finding, Host

NOT_FIXED = "not_fixed"


class FindingFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    severity = django_filters.ChoiceFilter(label=_("Severity"), choices=Severity.choices)
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[(NOT_FIXED, _("Not fixed (open or overdue)")), *FindingStatus.choices],
        method="by_status",
        empty_label=_("All"),
    )
    department = django_filters.ModelChoiceFilter(
        label=_("Department"), field_name="system__unit__department", queryset=OrgUnit.objects.none()
    )
    system = django_filters.ModelChoiceFilter(label=_("System"), queryset=System.objects.none())

    class Meta:
        model = Finding
        fields = ["q", "severity", "status", "department", "system"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = request.user
        self.filters["department"].queryset = OrgUnit.objects.restrict(user, VIEW).filter(
            kind=OrgUnitKind.DEPARTMENT
        )
        self.filters["system"].queryset = System.objects.restrict(user, VIEW).order_by("code")
        self.filters["department"].field.widget.attrs["data-autosubmit"] = ""

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(title__icontains=value)
            | Q(cve__icontains=value)
            | Q(host__hostname__icontains=value)
            | Q(host__ip__startswith=value)
        )

    def by_status(self, queryset, name, value):
        today = timezone.localdate()
        if value == NOT_FIXED:
            return queryset.not_fixed()
        if value == FindingStatus.FIXED:
            return queryset.fixed()
        if value == FindingStatus.OVERDUE:
            return queryset.overdue(today)
        if value == FindingStatus.OPEN:
            return queryset.open(today)
        return queryset


class HostFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    department = django_filters.ModelChoiceFilter(
        label=_("Department"), field_name="system__unit__department", queryset=OrgUnit.objects.none()
    )
    system = django_filters.ModelChoiceFilter(label=_("System"), queryset=System.objects.none())

    class Meta:
        model = Host
        fields = ["q", "department", "system"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = request.user
        self.filters["department"].queryset = OrgUnit.objects.restrict(user, VIEW).filter(
            kind=OrgUnitKind.DEPARTMENT
        )
        self.filters["system"].queryset = System.objects.restrict(user, VIEW).order_by("code")

    def search(self, queryset, name, value):
        return queryset.filter(Q(hostname__icontains=value) | Q(ip__startswith=value))
