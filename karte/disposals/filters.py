"""Filters of the disposal list: status, department, device kind, fiscal year of disposal."""

from __future__ import annotations

import django_filters
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from karte.core.choices import OrgUnitKind
from karte.core.fiscal import fiscal_year_bounds, fiscal_year_of, format_fiscal_year
from karte.core.models import OrgUnit
from karte.core.scoping import VIEW
from karte.disposals.choices import DeviceKind, DisposalStatus
from karte.disposals.models import StorageDisposal
from karte.disposals.selectors import with_status


def disposal_fiscal_years(user) -> list[int]:
    """Return the fiscal years, newest first, from the user's first disposal to this year."""
    span = StorageDisposal.objects.restrict(user, VIEW).aggregate(
        first=Min("disposed_on"), last=Max("disposed_on")
    )
    if span["first"] is None:
        return []
    this_year = fiscal_year_of(timezone.localdate())
    last = max(fiscal_year_of(span["last"]), this_year)
    return list(range(last, fiscal_year_of(span["first"]) - 1, -1))


class StorageDisposalFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=DisposalStatus.choices, method="by_status", empty_label=_("All")
    )
    department = django_filters.ModelChoiceFilter(
        label=_("Department"), field_name="unit__department", queryset=OrgUnit.objects.none()
    )
    device_kind = django_filters.ChoiceFilter(
        label=_("Device kind"), choices=DeviceKind.choices, empty_label=_("All")
    )
    fiscal_year = django_filters.ChoiceFilter(
        label=_("Fiscal year of disposal"), choices=[], method="by_fiscal_year", empty_label=_("All")
    )

    class Meta:
        model = StorageDisposal
        fields = ["q", "status", "department", "device_kind", "fiscal_year"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = request.user
        self.filters["department"].queryset = (
            OrgUnit.objects.restrict(user, VIEW).filter(kind=OrgUnitKind.DEPARTMENT).order_by("code")
        )
        self.filters["fiscal_year"].extra["choices"] = lambda: [
            (year, format_fiscal_year(year)) for year in disposal_fiscal_years(user)
        ]
        for name in ("status", "department", "device_kind", "fiscal_year"):
            self.filters[name].field.widget.attrs["data-autosubmit"] = ""

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(description__icontains=value)
            | Q(asset_number__icontains=value)
            | Q(contractor__icontains=value)
        )

    def by_status(self, queryset, name, value):
        return with_status(queryset, value)

    def by_fiscal_year(self, queryset, name, value):
        first, last = fiscal_year_bounds(int(value))
        return queryset.filter(disposed_on__gte=first, disposed_on__lte=last)
