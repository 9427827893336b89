"""Filters of the coverage-gap report: a plain form, since coverage and gap reason are annotations of the
rule (selectors.filter_placed), not fields a filter set could name."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from karte.core.choices import OrgUnitKind
from karte.core.models import OrgUnit
from karte.core.scoping import VIEW, scope_for
from karte.security.choices import Coverage, GapReason


class CoverageFilterForm(forms.Form):
    """The gap report's ?department=, ?coverage= and ?gap_reason=. Departments only for who reads the
    whole body: everyone else sees their own department's systems anyway."""

    department = forms.ModelChoiceField(
        label=_("Department"), queryset=OrgUnit.objects.none(), required=False, empty_label=_("All")
    )
    coverage = forms.ChoiceField(
        label=_("Coverage"),
        required=False,
        # Systems not facing the internet are listed only as gaps: "not internet-facing" lists nothing.
        choices=[("", _("All")), *((c.value, c.label) for c in Coverage if c != Coverage.NOT_EXPOSED)],
    )
    gap_reason = forms.ChoiceField(
        label=_("Gap reason"), required=False, choices=[("", _("All")), *GapReason.choices]
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if scope_for(user).reads_whole_body:
            self.fields["department"].queryset = (
                OrgUnit.objects.restrict(user, VIEW)
                .filter(kind=OrgUnitKind.DEPARTMENT)
                .order_by("body__code", "code")
            )
        else:
            del self.fields["department"]

    def chosen(self) -> dict | None:
        """The filters chosen, as selectors.filter_placed takes them; None when the form is invalid."""
        if not self.is_valid():
            return None
        department = self.cleaned_data.get("department")
        return {
            "department_id": department.pk if department is not None else None,
            "coverage": self.cleaned_data["coverage"],
            "gap_reason": self.cleaned_data["gap_reason"],
        }
