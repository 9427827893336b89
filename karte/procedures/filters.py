"""Filters of the procedures lists, and the few reads every procedures page starts from (which survey
rounds the user may see, and each procedure's status in its body's latest round)."""

from __future__ import annotations

import django_filters
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from karte.core.choices import OrgUnitKind
from karte.core.models import OrgUnit, SurveyRound
from karte.core.scoping import VIEW
from karte.procedures.choices import OnlineStatus, ProcedureKind, ProposalKind, SupportStatus
from karte.procedures.forms import ROUND_KIND
from karte.procedures.models import FormTemplate, Procedure, ProcedureAnswer, SupportCase

YES, NO = "yes", "no"
RESIDENTS, BUSINESSES, MUNICIPALITIES = "residents", "businesses", "municipalities"
APPLICANT_FIELDS = {
    RESIDENTS: "by_residents",
    BUSINESSES: "by_businesses",
    MUNICIPALITIES: "by_municipalities",
}
UNANSWERED = "unanswered"


def procedure_rounds(user):
    """Return the procedure survey rounds the user may see, newest first."""
    return (
        SurveyRound.objects.restrict(user, VIEW)
        .filter(kind=ROUND_KIND)
        .order_by("-fiscal_year", "-opened_at")
    )


def latest_round_ids(user) -> list[int]:
    """Return the id of the newest procedure round of every body the user may see (one for most users)."""
    latest: dict[int, int] = {}
    for pk, body_id in procedure_rounds(user).values_list("pk", "body_id"):
        latest.setdefault(body_id, pk)
    return list(latest.values())


def with_latest_status(procedures, user):
    """Annotate `latest_status`: the procedure's online status in its body's newest round ("" unanswered,
    None when the procedure is not in that round). One subquery in the list's own query, not one per row."""
    answers = ProcedureAnswer.objects.filter(procedure=OuterRef("pk"), round_id__in=latest_round_ids(user))
    return procedures.annotate(latest_status=Subquery(answers.values("status")[:1]))


def departments_for(user):
    return OrgUnit.objects.restrict(user, VIEW).filter(kind=OrgUnitKind.DEPARTMENT).order_by("code")


class ProcedureFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    department = django_filters.ModelChoiceFilter(
        label=_("Department"), field_name="unit__department", queryset=OrgUnit.objects.none()
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=ProcedureKind.choices)
    applicant = django_filters.ChoiceFilter(
        label=_("Who applies"),
        choices=[
            (RESIDENTS, _("Residents")),
            (BUSINESSES, _("Businesses")),
            (MUNICIPALITIES, _("Municipalities")),
        ],
        method="by_applicant",
    )
    has_fee = django_filters.ChoiceFilter(
        label=_("Fee"),
        choices=[(YES, _("With a fee")), (NO, _("No fee"))],
        method="by_fee",
        empty_label=_("All"),
    )
    accepting_system = django_filters.ChoiceFilter(
        label=_("System that accepts it"),
        field_name="accepting_system_name",
        choices=[],
        empty_label=_("All"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status in the latest round"),
        choices=[*OnlineStatus.choices, (UNANSWERED, _("Not answered"))],
        method="by_status",
    )

    class Meta:
        model = Procedure
        fields = ["q", "department", "kind", "applicant", "has_fee", "accepting_system", "status"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = request.user
        self.filters["department"].queryset = departments_for(user)
        self.filters["department"].field.widget.attrs["data-autosubmit"] = ""
        names = (
            Procedure.objects.restrict(user, VIEW)
            .exclude(accepting_system_name="")
            .order_by("accepting_system_name")
            .values_list("accepting_system_name", flat=True)
            .distinct()
        )
        self.filters["accepting_system"].extra["choices"] = lambda: [(n, n) for n in names]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(code__icontains=value) | Q(name__icontains=value) | Q(legal_basis__icontains=value)
        )

    def by_applicant(self, queryset, name, value):
        return queryset.filter(**{APPLICANT_FIELDS[value]: True})

    def by_fee(self, queryset, name, value):
        return queryset.filter(has_fee=value == YES)

    def by_status(self, queryset, name, value):
        # Through the (round, status, …) index rather than the list's per-row `latest_status`.
        latest = ProcedureAnswer.objects.filter(round_id__in=latest_round_ids(self.request.user))
        if value == UNANSWERED:
            return queryset.exclude(pk__in=latest.exclude(status="").values("procedure_id"))
        return queryset.filter(pk__in=latest.filter(status=value).values("procedure_id"))


class SupportCaseFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    department = django_filters.ModelChoiceFilter(
        label=_("Department"), field_name="unit__department", queryset=OrgUnit.objects.none()
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=SupportStatus.choices)
    proposal = django_filters.ChoiceFilter(label=_("Proposal"), choices=ProposalKind.choices)

    class Meta:
        model = SupportCase
        fields = ["q", "department", "status", "proposal"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        self.filters["department"].queryset = departments_for(request.user)
        self.filters["department"].field.widget.attrs["data-autosubmit"] = ""

    def search(self, queryset, name, value):
        # A subquery rather than a join, so that the list's counts are not multiplied.
        matching = SupportCase.objects.filter(
            Q(title__icontains=value) | Q(procedures__name__icontains=value) | Q(procedures__code=value)
        )
        return queryset.filter(pk__in=matching.values("pk"))


class FormTemplateFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")

    class Meta:
        model = FormTemplate
        fields = ["q"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))
