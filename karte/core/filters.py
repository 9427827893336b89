import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from karte.core.choices import OrgUnitKind
from karte.core.models import OrgUnit
from karte.core.scoping import VIEW

CURRENT, ENDED = "current", "ended"


class OrgUnitFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=OrgUnitKind.choices)
    department = django_filters.ModelChoiceFilter(label=_("Department"), queryset=OrgUnit.objects.none())
    validity = django_filters.ChoiceFilter(
        label=_("Validity"),
        choices=[(CURRENT, _("Current")), (ENDED, _("Ended"))],
        method="by_validity",
        empty_label=_("All"),
    )

    class Meta:
        model = OrgUnit
        fields = ["q", "kind", "department", "validity"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        self.filters["department"].queryset = OrgUnit.objects.restrict(request.user, VIEW).filter(
            kind=OrgUnitKind.DEPARTMENT
        )
        self.filters["department"].field.widget.attrs["data-autosubmit"] = ""

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))

    def by_validity(self, queryset, name, value):
        today = timezone.localdate()
        if value == CURRENT:
            return queryset.filter(valid_from__lte=today).exclude(valid_to__lt=today)
        if value == ENDED:
            return queryset.filter(valid_to__lt=today)
        return queryset
