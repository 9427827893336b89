"""Filters of the system karte's lists, and the few reads every systems page starts from."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from karte.core.choices import OrgUnitKind
from karte.core.fiscal import fiscal_year_of, format_fiscal_year
from karte.core.models import OrgUnit
from karte.core.scoping import VIEW, scope_for
from karte.systems import selectors, services
from karte.systems.choices import Hosting, NetworkTier, StandardBusiness, SystemStatus
from karte.systems.models import Contract, PortfolioSettings, System, Vendor, WorkingGroup

YES, NO = "yes", "no"
ANY_TARGET, NOT_TARGET = "any", "none"


def current_fiscal_year() -> int:
    return fiscal_year_of(timezone.localdate())


def settings_for(user) -> PortfolioSettings:
    """Return the portfolio settings of the user's body (for a superuser, of the first body).

    Unsaved defaults when there is no body at all.
    """
    body_id = scope_for(user).body_id
    if body_id is None and scope_for(user).everything:
        body_id = (
            OrgUnit.objects.filter(kind=OrgUnitKind.BODY)
            .order_by("code")
            .values_list("pk", flat=True)
            .first()
        )
    if body_id is None:
        return PortfolioSettings()
    return services.portfolio_settings(body_id)


class SystemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    department = django_filters.ModelChoiceFilter(
        label=_("Department"), field_name="unit__department", queryset=OrgUnit.objects.none()
    )
    vendor = django_filters.ModelChoiceFilter(
        label=_("Vendor"), queryset=Vendor.objects.none(), method="by_vendor"
    )
    hosting = django_filters.ChoiceFilter(label=_("Where it runs"), choices=Hosting.choices)
    network_tier = django_filters.ChoiceFilter(label=_("Network tier"), choices=NetworkTier.choices)
    locked_in = django_filters.ChoiceFilter(
        label=_("Held by one vendor"),
        choices=[(YES, _("At or over the threshold")), (NO, _("Under the threshold"))],
        method="by_lock_in",
        empty_label=_("All"),
    )
    renewal_fy = django_filters.ChoiceFilter(
        label=_("Renewal fiscal year"), field_name="next_renewal_fy", choices=[], empty_label=_("All")
    )
    standardisation = django_filters.ChoiceFilter(
        label=_("Standardisation"),
        choices=[
            (ANY_TARGET, _("Any standardisation target")),
            (NOT_TARGET, _("Not a target")),
            *StandardBusiness.choices,
        ],
        method="by_standardisation",
        empty_label=_("All"),
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=SystemStatus.choices)

    class Meta:
        model = System
        fields = [
            "q",
            "department",
            "vendor",
            "hosting",
            "network_tier",
            "locked_in",
            "renewal_fy",
            "standardisation",
            "status",
        ]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = request.user
        self.filters["department"].queryset = OrgUnit.objects.restrict(user, VIEW).filter(
            kind=OrgUnitKind.DEPARTMENT
        )
        self.filters["vendor"].queryset = Vendor.objects.restrict(user, VIEW)
        years = (
            selectors.systems_for(user)
            .exclude(next_renewal_fy=None)
            .order_by("next_renewal_fy")
            .values_list("next_renewal_fy", flat=True)
            .distinct()
        )
        self.filters["renewal_fy"].extra["choices"] = lambda: [(y, format_fiscal_year(y)) for y in years]
        self.filters["department"].field.widget.attrs["data-autosubmit"] = ""

    def search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))

    def by_vendor(self, queryset, name, value):
        return queryset.filter(pk__in=Contract.objects.filter(vendor=value).values("system_id"))

    def by_lock_in(self, queryset, name, value):
        threshold = settings_for(self.request.user).lock_in_threshold_years
        held = selectors.locked_in_ids(System.objects.all(), current_fiscal_year(), threshold)
        if value == YES:
            return queryset.filter(pk__in=held)
        if value == NO:
            return queryset.exclude(pk__in=held)
        return queryset

    def by_standardisation(self, queryset, name, value):
        if value == ANY_TARGET:
            return queryset.exclude(standard_business="")
        if value == NOT_TARGET:
            return queryset.filter(standard_business="")
        return queryset.filter(standard_business=value)


class VendorFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")

    class Meta:
        model = Vendor
        fields = ["q"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)

    def search(self, queryset, name, value):
        return queryset.filter(name__icontains=value)


class WorkingGroupFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")

    class Meta:
        model = WorkingGroup
        fields = ["q"]

    def search(self, queryset, name, value):
        return queryset.filter(name__icontains=value)
